/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "smart-sandbox"

#include "config.h"

#include "sb-authz.h"

#include <string.h>

#include "sb-store.h"

/* Tolerated clock skew for nbf, as the validator applies to iat/nbf. */
#define NBF_LEEWAY_SECONDS 30

gboolean
sb_scope_parse (const char *text, SbScope *scope)
{
  const char *slash, *dot, *perm, *q;
  g_autofree char *perm_s = NULL;

  memset (scope, 0, sizeof *scope);
  if (g_str_has_prefix (text, "patient/"))
    scope->context = SB_SCOPE_PATIENT;
  else if (g_str_has_prefix (text, "user/"))
    scope->context = SB_SCOPE_USER;
  else if (g_str_has_prefix (text, "system/"))
    scope->context = SB_SCOPE_SYSTEM;
  else
    return FALSE;
  slash = strchr (text, '/');
  dot = strchr (slash, '.');
  if (dot == NULL || dot == slash + 1)
    return FALSE;
  for (const char *p = slash + 1; p < dot; p++)
    if (!g_ascii_isalpha (*p) && !(*p == '*' && dot - slash == 2))
      return FALSE;
  perm = dot + 1;
  q = strchr (perm, '?');
  perm_s = q ? g_strndup (perm, q - perm) : g_strdup (perm);

  if (strcmp (perm_s, "read") == 0)
    scope->perms = SB_PERM_R | SB_PERM_S;
  else if (strcmp (perm_s, "write") == 0)
    scope->perms = SB_PERM_C | SB_PERM_U | SB_PERM_D;
  else if (strcmp (perm_s, "*") == 0)
    scope->perms = SB_PERM_C | SB_PERM_R | SB_PERM_U | SB_PERM_D | SB_PERM_S;
  else
    {
      /* v2: a non-empty subset of c r u d s, in that order. */
      static const char order[] = "cruds";
      const char *o = order;

      for (const char *p = perm_s; *p; p++)
        {
          const char *hit = strchr (o, *p);

          if (*p == '\0' || hit == NULL)
            return FALSE;
          scope->perms |= 1u << (hit - order);
          o = hit + 1;
        }
      if (scope->perms == 0)
        return FALSE;
      scope->v2 = TRUE;
    }
  if (q != NULL)
    {
      /* v2.2 query scopes: a single concrete type, v2 permissions. */
      if (!scope->v2 || dot - slash == 2 || q[1] == '\0')
        return FALSE;
      scope->query = g_strdup (q + 1);
    }
  scope->type = g_strndup (slash + 1, dot - slash - 1);
  return TRUE;
}

void
sb_scope_clear (SbScope *scope)
{
  g_clear_pointer (&scope->type, g_free);
  g_clear_pointer (&scope->query, g_free);
}

gboolean
sb_authz_type_in_compartment (const char *type)
{
  static const char *const outside[] = {
    "Medication", "Practitioner", "PractitionerRole", "Organization", "Location",
    "Substance", "HealthcareService", "Endpoint", "Device", NULL
  };

  return !g_strv_contains (outside, type);
}

static gboolean
get_number (JsonObject *o, const char *member, gint64 *out)
{
  JsonNode *n = json_object_get_member (o, member);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n))
    return FALSE;
  switch (json_node_get_value_type (n))
    {
    case G_TYPE_INT64:
      *out = json_node_get_int (n);
      return TRUE;
    case G_TYPE_DOUBLE:
      *out = (gint64) json_node_get_double (n);
      return TRUE;
    default:
      return FALSE;
    }
}

gboolean
sb_authz_check_response (SbContext *ctx, JsonObject *response, char **reason)
{
  JsonNode *p = response ? json_object_get_member (response, "authPayload") : NULL;
  JsonObject *payload;
  JsonNode *auth;
  gboolean authorized = FALSE;
  gint64 exp, nbf, now = g_get_real_time () / G_USEC_PER_SEC;
  const char *aud;

  if (p == NULL || !JSON_NODE_HOLDS_OBJECT (p))
    {
      *reason = g_strdup ("the validator answered without an authPayload");
      return FALSE;
    }
  payload = json_node_get_object (p);
  auth = json_object_get_member (payload, "isAuthorized");
  /* HEALTHLAKE.md: both the boolean and the string "true" occur. */
  if (auth != NULL && JSON_NODE_HOLDS_VALUE (auth))
    {
      if (json_node_get_value_type (auth) == G_TYPE_BOOLEAN)
        authorized = json_node_get_boolean (auth);
      else if (json_node_get_value_type (auth) == G_TYPE_STRING)
        authorized = g_strcmp0 (json_node_get_string (auth), "true") == 0;
    }
  if (!authorized)
    {
      *reason = g_strdup ("the access token was not accepted");
      return FALSE;
    }
  if (!get_number (payload, "exp", &exp) || exp <= now)
    {
      *reason = g_strdup ("the access token has expired");
      return FALSE;
    }
  if (get_number (payload, "nbf", &nbf) && nbf > now + NBF_LEEWAY_SECONDS)
    {
      *reason = g_strdup ("the access token is not valid yet");
      return FALSE;
    }
  aud = json_object_get_string_member_with_default (payload, "aud", NULL);
  if (g_strcmp0 (aud, ctx->fhir_base) != 0)
    {
      *reason = g_strdup ("the authorization is for another data store");
      return FALSE;
    }
  p = json_object_get_member (payload, "scope");
  if (p == NULL || !JSON_NODE_HOLDS_VALUE (p) || json_node_get_value_type (p) != G_TYPE_STRING)
    {
      *reason = g_strdup ("the authorization carries no scope");
      return FALSE;
    }
  return TRUE;
}

/* A v2.2 scope query "a=b&c=d" holds when each pair is among the params. */
static gboolean
query_matches (const char *query, GPtrArray *params)
{
  g_auto(GStrv) pairs = g_strsplit (query, "&", -1);

  if (params == NULL)
    return FALSE;
  for (guint i = 0; pairs[i] != NULL; i++)
    {
      g_autofree char *name = NULL;
      g_autofree char *value = NULL;
      char *eq = strchr (pairs[i], '=');
      gboolean found = FALSE;

      if (eq == NULL)
        return FALSE;
      name = g_uri_unescape_segment (pairs[i], eq, NULL);
      value = g_uri_unescape_string (eq + 1, NULL);
      if (name == NULL || value == NULL)
        return FALSE;
      for (guint j = 0; j + 1 < params->len && !found; j += 2)
        found = g_strcmp0 (params->pdata[j], name) == 0
                && g_strcmp0 (params->pdata[j + 1], value) == 0;
      if (!found)
        return FALSE;
    }
  return TRUE;
}

static void
add_unique (GPtrArray *a, const char *id)
{
  for (guint i = 0; i < a->len; i++)
    if (strcmp (a->pdata[i], id) == 0)
      return;
  g_ptr_array_add (a, g_strdup (id));
}

static const char *
context_prefix (SbScopeContext c)
{
  return c == SB_SCOPE_PATIENT ? "patient" : c == SB_SCOPE_USER ? "user" : "system";
}

void
sb_authz_decide (SbContext        *ctx,
                 JsonObject       *auth_payload,
                 const char       *type,
                 SbInteraction     interaction,
                 GPtrArray        *params,
                 SbAuthzDecision  *out)
{
  const char *scope_s = json_object_get_string_member_with_default (auth_payload, "scope", "");
  const char *patient = json_object_get_string_member_with_default (auth_payload, "patient", NULL);
  const char *fhir_user = json_object_get_string_member_with_default (auth_payload, "fhirUser", NULL);
  g_auto(GStrv) words = g_strsplit (scope_s, " ", -1);
  guint want = interaction == SB_INTERACTION_READ ? SB_PERM_R : SB_PERM_S;
  gboolean matched[3] = { FALSE, FALSE, FALSE };
  gboolean present[3] = { FALSE, FALSE, FALSE };
  GString *granted = g_string_new (NULL);
  gboolean compartment = sb_authz_type_in_compartment (type);

  memset (out, 0, sizeof *out);
  for (guint i = 0; words[i] != NULL; i++)
    {
      SbScope s;

      if (!sb_scope_parse (words[i], &s))
        continue;
      present[s.context] = TRUE;
      if ((strcmp (s.type, "*") == 0 || strcmp (s.type, type) == 0)
          && (s.perms & want) != 0
          && (s.query == NULL || (interaction == SB_INTERACTION_SEARCH && query_matches (s.query, params))))
        {
          matched[s.context] = TRUE;
          if (granted->len > 0)
            g_string_append_c (granted, ' ');
          g_string_append (granted, words[i]);
        }
      sb_scope_clear (&s);
    }

  if (!matched[SB_SCOPE_PATIENT] && !matched[SB_SCOPE_USER] && !matched[SB_SCOPE_SYSTEM])
    {
      GString *need = g_string_new (NULL);
      const char *letter = interaction == SB_INTERACTION_READ ? "r" : "s";

      for (int c = 0; c < 3; c++)
        if (present[c] || (!present[0] && !present[1] && !present[2]))
          g_string_append_printf (need, "%s%s/%s.%s (or %s/%s.read)",
                                  need->len ? ", " : "", context_prefix (c), type, letter,
                                  context_prefix (c), type);
      out->status = 403;
      out->message = g_strdup_printf ("Insufficient scope: %s of %s needs the scope %s",
                                      interaction == SB_INTERACTION_READ ? "read" : "search",
                                      type, need->str);
      g_string_free (need, TRUE);
      g_string_free (granted, TRUE);
      return;
    }
  out->granted_by = g_string_free (granted, FALSE);

  if (matched[SB_SCOPE_SYSTEM] || !compartment)
    {
      out->unrestricted = TRUE;
      return;
    }

  out->patients = g_ptr_array_new_with_free_func (g_free);
  if (matched[SB_SCOPE_PATIENT])
    {
      if (patient != NULL && *patient != '\0')
        add_unique (out->patients, patient);
    }
  if (matched[SB_SCOPE_USER] && fhir_user != NULL)
    {
      /* Fine-grained authorization (HEALTHLAKE.md §2). */
      if (g_str_has_prefix (fhir_user, "Practitioner/"))
        {
          g_autoptr(GPtrArray) ids =
            sb_store_patients_for_practitioner (ctx->store, fhir_user + strlen ("Practitioner/"));

          for (guint i = 0; i < ids->len; i++)
            add_unique (out->patients, ids->pdata[i]);
        }
      else if (g_str_has_prefix (fhir_user, "Patient/"))
        {
          const char *self = fhir_user + strlen ("Patient/");
          g_autoptr(GPtrArray) links = g_ptr_array_new_with_free_func (g_free);
          const char *binds[] = { self };

          add_unique (out->patients, self);
          sb_store_query (ctx->store,
                          "SELECT lo FROM params WHERE type = 'Patient' AND id = ? AND name = 'link' "
                          "AND value LIKE 'Patient/%'", binds, 1, links, NULL, NULL);
          for (guint i = 0; i < links->len; i++)
            add_unique (out->patients, links->pdata[i]);
        }
    }
  if (out->patients->len == 0)
    {
      out->status = 403;
      if (matched[SB_SCOPE_PATIENT] && (patient == NULL || *patient == '\0'))
        out->message = g_strdup ("A patient/ scope needs a patient in the launch context");
      else if (matched[SB_SCOPE_USER] && fhir_user == NULL)
        out->message = g_strdup ("A user/ scope needs a fhirUser to apply fine-grained authorization");
      else
        out->message = g_strdup ("No patient is reachable with the granted scopes");
    }
}

gboolean
sb_authz_patient_allowed (const SbAuthzDecision *d, const char *patient_id)
{
  if (d->unrestricted)
    return TRUE;
  if (d->patients == NULL || patient_id == NULL)
    return FALSE;
  for (guint i = 0; i < d->patients->len; i++)
    if (strcmp (d->patients->pdata[i], patient_id) == 0)
      return TRUE;
  return FALSE;
}

void
sb_authz_decision_clear (SbAuthzDecision *d)
{
  g_clear_pointer (&d->message, g_free);
  g_clear_pointer (&d->granted_by, g_free);
  g_clear_pointer (&d->patients, g_ptr_array_unref);
}
