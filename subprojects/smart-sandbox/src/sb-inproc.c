/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "smart-sandbox"

#include "config.h"

#include "sb-inproc.h"

#include <string.h>

#include "sb-authz.h"
#include "sb-config.h"
#include "sb-keys.h"

#define LEEWAY 30

static gboolean
number (JsonObject *o, const char *m, gint64 *out)
{
  JsonNode *n = json_object_get_member (o, m);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n))
    return FALSE;
  if (json_node_get_value_type (n) == G_TYPE_INT64)
    *out = json_node_get_int (n);
  else if (json_node_get_value_type (n) == G_TYPE_DOUBLE)
    *out = (gint64) json_node_get_double (n);
  else
    return FALSE;
  return TRUE;
}

static gboolean
array_or_string_contains (JsonObject *o, const char *m, const char *want)
{
  JsonNode *n = json_object_get_member (o, m);

  if (n == NULL || want == NULL)
    return FALSE;
  if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
    return strcmp (json_node_get_string (n), want) == 0;
  if (JSON_NODE_HOLDS_ARRAY (n))
    {
      JsonArray *a = json_node_get_array (n);

      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          JsonNode *e = json_array_get_element (a, i);

          if (JSON_NODE_HOLDS_VALUE (e) && json_node_get_value_type (e) == G_TYPE_STRING
              && strcmp (json_node_get_string (e), want) == 0)
            return TRUE;
        }
    }
  return FALSE;
}

static gboolean
has_smart_scope (const char *scope)
{
  g_auto(GStrv) words = g_strsplit (scope, " ", -1);

  for (guint i = 0; words[i]; i++)
    {
      SbScope s;

      if (sb_scope_parse (words[i], &s))
        {
          sb_scope_clear (&s);
          return TRUE;
        }
    }
  return FALSE;
}

static gboolean
has_patient_scope (const char *scope)
{
  return g_str_has_prefix (scope, "patient/") || strstr (scope, " patient/") != NULL;
}

/* fhirUser as a relative reference, as the validator answers. */
static char *
relative_reference (const char *ref)
{
  g_auto(GStrv) parts = NULL;
  guint n;

  if (ref == NULL)
    return NULL;
  parts = g_strsplit (ref, "/", -1);
  n = g_strv_length (parts);
  if (n < 2)
    return g_strdup (ref);
  return g_strdup_printf ("%s/%s", parts[n - 2], parts[n - 1]);
}

JsonObject *
sb_inproc_validate (SbContext *ctx, JsonObject *event)
{
  JsonObject *response = json_object_new ();
  JsonObject *payload = json_object_new ();
  const char *endpoint = json_object_get_string_member_with_default (event, "datastoreEndpoint", "");
  const char *token = json_object_get_string_member_with_default (event, "bearerToken", NULL);
  g_autoptr(JsonObject) claims = NULL;
  gboolean cognito = ctx->flavor == SB_FLAVOR_COGNITO;
  const char *patient_claim = cognito ? "custom:patient" : "patient_id";
  const char *user_claim = cognito ? "custom:fhirUser" : "fhirUser";
  const char *scope, *client, *patient, *fhir_user, *uid;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC, exp = 0, iat = 0, nbf = 0;
  gboolean ok = FALSE;

  json_object_set_string_member (response, "iamRoleARN", SB_ROLE_ARN);
  json_object_set_object_member (response, "authPayload", payload);
  json_object_set_boolean_member (payload, "isAuthorized", FALSE);

  if (token != NULL && g_str_has_prefix (token, "Bearer "))
    token += 7;
  if (token == NULL || *token == '\0' || ctx->keys == NULL)
    return response;
  claims = sb_keys_verify_jwt (ctx->keys, token, NULL);
  if (claims == NULL)
    return response;

  scope = json_object_get_string_member_with_default (claims, "scope", "");
  client = json_object_get_string_member_with_default (claims, cognito ? "client_id" : "azp", NULL);
  patient = json_object_get_string_member_with_default (claims, patient_claim, NULL);
  fhir_user = json_object_get_string_member_with_default (claims, user_claim, NULL);
  uid = cognito ? json_object_get_string_member_with_default (claims, "username", NULL) : NULL;
  if (uid == NULL)
    uid = json_object_get_string_member_with_default (claims, "sub", NULL);

  if (g_strcmp0 (json_object_get_string_member_with_default (claims, "iss", NULL), ctx->issuer) != 0)
    goto out;
  if (!number (claims, "exp", &exp) || exp + LEEWAY < now)
    goto out;
  number (claims, "iat", &iat);
  if (iat > now + LEEWAY)
    goto out;
  if (number (claims, "nbf", &nbf) && nbf > now + LEEWAY)
    goto out;
  if (g_strcmp0 (client, ctx->public_client_id) != 0 && g_strcmp0 (client, ctx->backend_client_id) != 0)
    goto out;
  if (cognito)
    {
      if (g_strcmp0 (json_object_get_string_member_with_default (claims, "token_use", NULL), "access") != 0)
        goto out;
    }
  else if (!array_or_string_contains (claims, "aud", ctx->fhir_base))
    goto out;
  if (!has_smart_scope (scope))
    goto out;
  if (has_patient_scope (scope) && patient == NULL)
    goto out;
  ok = TRUE;

out:
  if (ok)
    {
      g_autofree char *fu = relative_reference (fhir_user);

      json_object_set_boolean_member (payload, "isAuthorized", TRUE);
      json_object_set_string_member (payload, "iss", ctx->issuer);
      json_object_set_string_member (payload, "aud", endpoint);
      json_object_set_int_member (payload, "iat", iat ? iat : now);
      json_object_set_int_member (payload, "nbf", nbf ? nbf : (iat ? iat : now));
      json_object_set_int_member (payload, "exp", exp);
      json_object_set_string_member (payload, "scope", scope);
      if (uid != NULL)
        json_object_set_string_member (payload, "uid", uid);
      if (fu != NULL)
        json_object_set_string_member (payload, "fhirUser", fu);
      if (patient != NULL)
        json_object_set_string_member (payload, "patient", patient);
    }
  return response;
}
