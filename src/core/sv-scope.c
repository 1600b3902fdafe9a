/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-fhir"

#include "config.h"

#include "sv-scope.h"

#include <string.h>

/* SMART resource scopes, v1 (`patient/Condition.read`, `user/<any>.*`) and
 * v2 (`patient/Condition.rs`, `system/<any>.cruds?category=…`), where <any>
 * is the wildcard "*", read to decide whether asking the server for a
 * resource type is worth it at all. */

static gboolean
v2_permissions_valid (const char *permissions)
{
  const char *order = "cruds";
  const char *last = order;

  if (*permissions == '\0')
    return FALSE;

  /* v2 letters are a subset of "cruds", in that order. */
  for (const char *p = permissions; *p != '\0'; p++)
    {
      const char *at = strchr (last, *p);

      if (at == NULL)
        return FALSE;
      last = at + 1;
    }

  return TRUE;
}

static gboolean
token_allows (const char    *token,
              const char    *resource_type,
              SvScopeAccess  access)
{
  g_autofree char *scope = g_strdup (token);
  char *query, *slash, *dot, *resource, *permissions;

  /* A v2 query restricts what the server returns, not whether we may ask. */
  if ((query = strchr (scope, '?')) != NULL)
    *query = '\0';

  slash = strchr (scope, '/');
  if (slash == NULL)
    return FALSE;
  *slash = '\0';
  if (strcmp (scope, "patient") != 0 && strcmp (scope, "user") != 0 && strcmp (scope, "system") != 0)
    return FALSE;

  resource = slash + 1;
  dot = strrchr (resource, '.');
  if (dot == NULL)
    return FALSE;
  *dot = '\0';
  permissions = dot + 1;

  if (strcmp (resource, "*") != 0 && strcmp (resource, resource_type) != 0)
    return FALSE;

  if (strcmp (permissions, "read") == 0 || strcmp (permissions, "*") == 0)
    return TRUE;

  if (!v2_permissions_valid (permissions))
    return FALSE;

  return strchr (permissions, access == SV_SCOPE_ACCESS_SEARCH ? 's' : 'r') != NULL;
}

/**
 * sv_scope_allows:
 * @granted_scope: (nullable): the scope the token was granted, space-separated;
 *   %NULL when the server did not say, which allows everything
 * @resource_type: e.g. "Condition"
 * @access: what is to be done
 *
 * Returns: whether @granted_scope lets the app read or search @resource_type
 */
gboolean
sv_scope_allows (const char    *granted_scope,
                 const char    *resource_type,
                 SvScopeAccess  access)
{
  g_auto(GStrv) tokens = NULL;

  if (granted_scope == NULL)
    return TRUE;

  tokens = g_strsplit_set (granted_scope, " \t\n", -1);
  for (guint i = 0; tokens[i] != NULL; i++)
    if (*tokens[i] != '\0' && token_allows (tokens[i], resource_type, access))
      return TRUE;

  return FALSE;
}

/**
 * sv_scope_dup_missing:
 * @asked_scope: (nullable): the scope asked for, space-separated
 * @granted_scope: (nullable): the scope granted, space-separated
 *
 * Returns: (transfer full): the scopes asked for and not granted, in the
 *   order they were asked
 */
char **
sv_scope_dup_missing (const char *asked_scope,
                      const char *granted_scope)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) asked = g_strsplit (asked_scope != NULL ? asked_scope : "", " ", -1);
  g_auto(GStrv) granted = g_strsplit (granted_scope != NULL ? granted_scope : "", " ", -1);

  for (guint i = 0; asked[i] != NULL; i++)
    {
      if (*asked[i] != '\0' && !g_strv_contains ((const char * const *) granted, asked[i]))
        g_strv_builder_add (builder, asked[i]);
    }

  return g_strv_builder_end (builder);
}
