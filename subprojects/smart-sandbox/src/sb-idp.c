/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sb-idp"

#include "config.h"

#include "sb-idp.h"

#include <openssl/crypto.h>
#include <string.h>

#include "sb-faults.h"
#include "sb-idp-private.h"
#include "sb-keys.h"
#include "sb-store.h"

/* Real Cognito answers the token endpoint without "scope"; clients must read
 * the granted scope from the access token.  Set to 1 to add it anyway. */
#define SB_COGNITO_TOKEN_RESPONSE_HAS_SCOPE 0

static gint64
now_s (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* ---- families ------------------------------------------------------------- */

static void
sb_family_free (SbFamily *family)
{
  g_free (family->id);
  g_free (family->client_id);
  g_free (family->username);
  g_free (family->patient);
  g_free (family->scope);
  g_free (family->sid);
  g_free (family->nonce);
  g_hash_table_unref (family->jtis);
  g_free (family);
}

SbFamily *
sb_idp_family_new (SbIdp *idp, const char *client_id, const char *username,
                   const char *patient, const char *scope, const char *sid,
                   const char *nonce)
{
  SbFamily *family = g_new0 (SbFamily, 1);

  family->id = sb_idp_random_token (16);
  family->client_id = g_strdup (client_id);
  family->username = g_strdup (username);
  family->patient = g_strdup (patient);
  family->scope = g_strdup (scope);
  family->sid = g_strdup (sid);
  family->nonce = g_strdup (nonce);
  family->auth_time = now_s ();
  family->jtis = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_insert (idp->families, family->id, family);
  return family;
}

/* Revoking a family invalidates its refresh tokens and marks every access
 * token it issued as revoked for userinfo and introspection.  (The FHIR API
 * keeps accepting those access tokens until they expire, since the
 * validator only checks signatures — like Cognito and a Keycloak without
 * introspection.) */
void
sb_idp_family_revoke (SbIdp *idp, SbFamily *family, const char *why)
{
  GHashTableIter iter;
  gpointer jti, exp;
  JsonObject *fields;

  if (!family->revoked)
    {
      family->revoked = TRUE;
      g_hash_table_iter_init (&iter, family->jtis);
      while (g_hash_table_iter_next (&iter, &jti, &exp))
        g_hash_table_replace (idp->revoked, g_strdup (jti), exp);
    }
  fields = json_object_new ();
  json_object_set_string_member (fields, "what", "grant");
  json_object_set_string_member (fields, "reason", why);
  json_object_set_string_member (fields, "client_id", family->client_id);
  if (family->username != NULL)
    json_object_set_string_member (fields, "username", family->username);
  json_object_set_int_member (fields, "access_tokens", g_hash_table_size (family->jtis));
  sb_idp_emit (idp, "revoke", fields);
}

/* The fault switch `expire_access_tokens`: every access token issued so far
 * that has not expired yet is answered as expired by the FHIR API from now
 * on.  Tokens issued afterwards (a refresh) are not affected. */
static guint
expire_access_tokens_now (gpointer data)
{
  SbIdp *idp = data;
  gint64 now = now_s ();
  GHashTableIter iter, it2;
  gpointer value, jti, exp;
  JsonObject *fields;
  guint n = 0;

  g_hash_table_iter_init (&iter, idp->families);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      g_hash_table_iter_init (&it2, ((SbFamily *) value)->jtis);
      while (g_hash_table_iter_next (&it2, &jti, &exp))
        if ((gint64) GPOINTER_TO_SIZE (exp) > now)
          {
            sb_faults_expire_access_token (idp->ctx->faults, jti, (gint64) GPOINTER_TO_SIZE (exp));
            n++;
          }
    }
  fields = json_object_new ();
  json_object_set_string_member (fields, "what", "access_tokens");
  json_object_set_string_member (fields, "reason", "fault switch expire_access_tokens");
  json_object_set_int_member (fields, "access_tokens", n);
  sb_idp_emit (idp, "expire", fields);
  return n;
}

/* The fault switch `revoke_sessions`: what an IdP admin does with "sign out
 * all sessions".  Each grant that still has a usable refresh token is
 * revoked (one `revoke` event each). */
static guint
revoke_sessions_now (gpointer data)
{
  SbIdp *idp = data;
  gint64 now = now_s ();
  GHashTableIter iter;
  gpointer value;
  guint n = 0;

  g_hash_table_iter_init (&iter, idp->families);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      SbFamily *family = value;

      if (family->revoked || family->expires <= now)
        continue;
      sb_idp_family_revoke (idp, family, "fault switch revoke_sessions");
      n++;
    }
  return n;
}

static gint64
family_keep_until (SbFamily *family)
{
  gint64 keep = MAX (family->auth_time + SB_IDP_CODE_KEEP_S, family->expires);
  GHashTableIter iter;
  gpointer exp;

  g_hash_table_iter_init (&iter, family->jtis);
  while (g_hash_table_iter_next (&iter, NULL, &exp))
    keep = MAX (keep, (gint64) GPOINTER_TO_SIZE (exp));
  return keep;
}

void
sb_idp_purge (SbIdp *idp)
{
  gint64 mono = g_get_monotonic_time ();
  gint64 wall = now_s ();
  GHashTableIter iter;
  gpointer key, value;

  /* Everything is in memory and small; sweeping every few seconds keeps a
   * long-running workshop sandbox from growing. */
  if (idp->last_purge != 0 && mono - idp->last_purge < 5 * G_USEC_PER_SEC)
    return;
  idp->last_purge = mono;

  g_hash_table_iter_init (&iter, idp->pending);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (mono - ((SbPending *) value)->created > SB_IDP_PENDING_LIFETIME_S * G_USEC_PER_SEC)
      g_hash_table_iter_remove (&iter);

  g_hash_table_iter_init (&iter, idp->codes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (mono - ((SbCode *) value)->created
        > (gint64) MAX (SB_IDP_CODE_KEEP_S, idp->code_lifetime) * G_USEC_PER_SEC)
      g_hash_table_iter_remove (&iter);

  g_hash_table_iter_init (&iter, idp->families);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      SbFamily *family = value;
      GHashTableIter it2;
      gpointer v2;
      gboolean referenced = FALSE;

      if (family_keep_until (family) >= wall)
        continue;
      g_hash_table_iter_init (&it2, idp->codes);
      while (!referenced && g_hash_table_iter_next (&it2, NULL, &v2))
        referenced = ((SbCode *) v2)->family == family;
      if (referenced)
        continue;
      g_hash_table_iter_init (&it2, idp->refresh);
      while (g_hash_table_iter_next (&it2, NULL, &v2))
        if (((SbRefresh *) v2)->family == family)
          g_hash_table_iter_remove (&it2);
      g_hash_table_iter_remove (&iter);
    }

  g_hash_table_iter_init (&iter, idp->revoked);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if ((gint64) GPOINTER_TO_SIZE (value) < wall - 60)
      g_hash_table_iter_remove (&iter);
}

/* ---- users ----------------------------------------------------------------- */

char *
sb_idp_user_string (SbIdp *idp, const char *username, const char *key)
{
  g_autofree char *group = NULL;

  if (idp->ctx->users == NULL || username == NULL)
    return NULL;
  group = g_strconcat ("user:", username, NULL);
  return g_key_file_get_string (idp->ctx->users, group, key, NULL);
}

/* A stable, opaque subject per user, shaped like the UUIDs both Keycloak and
 * Cognito use. */
static char *
user_sub (const char *username)
{
  g_autofree char *hex = NULL;
  g_autofree char *seed = g_strconcat ("smart-sandbox-user:", username, NULL);

  hex = g_compute_checksum_for_string (G_CHECKSUM_SHA256, seed, -1);
  return g_strdup_printf ("%.8s-%.4s-5%.3s-8%.3s-%.12s", hex, hex + 8, hex + 13, hex + 17, hex + 20);
}

/* Given and family names of the user's FHIR resource, for the id_token. */
static void
user_names (SbIdp *idp, const char *fhir_user, char **given_out, char **family_out)
{
  g_auto(GStrv) parts = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *res, *name;
  JsonArray *names;

  *given_out = NULL;
  *family_out = NULL;
  if (fhir_user == NULL || idp->ctx->store == NULL)
    return;
  parts = g_strsplit (fhir_user, "/", 2);
  if (parts[0] == NULL || parts[1] == NULL)
    return;
  node = sb_store_get (idp->ctx->store, parts[0], parts[1]);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  res = json_node_get_object (node);
  if (!json_object_has_member (res, "name")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (res, "name")))
    return;
  names = json_object_get_array_member (res, "name");
  if (json_array_get_length (names) == 0
      || !JSON_NODE_HOLDS_OBJECT (json_array_get_element (names, 0)))
    return;
  name = json_array_get_object_element (names, 0);
  if (json_object_has_member (name, "given")
      && JSON_NODE_HOLDS_ARRAY (json_object_get_member (name, "given")))
    {
      JsonArray *given = json_object_get_array_member (name, "given");
      GString *s = g_string_new (NULL);
      guint i;

      for (i = 0; i < json_array_get_length (given); i++)
        {
          JsonNode *g = json_array_get_element (given, i);

          if (JSON_NODE_HOLDS_VALUE (g) && json_node_get_value_type (g) == G_TYPE_STRING)
            g_string_append_printf (s, "%s%s", s->len > 0 ? " " : "", json_node_get_string (g));
        }
      *given_out = g_string_free (s, s->len == 0);
    }
  *family_out = g_strdup (json_object_get_string_member_with_default (name, "family", NULL));
}

/* ---- tokens ------------------------------------------------------------------ */

static guint
access_lifetime (SbIdp *idp)
{
  guint override = idp->ctx->faults != NULL ? sb_faults_token_lifetime_override (idp->ctx->faults) : 0;

  if (override > 0)
    return override;
  return idp->ctx->token_lifetime > 0 ? idp->ctx->token_lifetime : 300;
}

static JsonArray *
keycloak_audience (SbIdp *idp)
{
  JsonArray *aud = json_array_new ();

  json_array_add_string_element (aud, idp->ctx->fhir_base);
  json_array_add_string_element (aud, "account");
  return aud;
}

/* Builds and signs an access token for the family.  The claims are
 * returned through claims_out for the event stream. */
static char *
issue_access_token (SbIdp *idp, SbFamily *family, const char *scope, guint lifetime,
                    JsonObject **claims_out, GError **error)
{
  g_autoptr(JsonObject) claims = json_object_new ();
  g_autofree char *jti = sb_idp_random_token (16);
  g_autofree char *fhir_user = sb_idp_user_string (idp, family->username, "fhirUser");
  g_autofree char *sub = NULL;
  gint64 iat = now_s ();
  char *token;

  if (family->username != NULL)
    sub = user_sub (family->username);
  else if (idp->cognito)
    sub = g_strdup (family->client_id);   /* Cognito: sub is the client id */
  else
    sub = user_sub (family->client_id);

  json_object_set_string_member (claims, "iss", idp->ctx->issuer);
  json_object_set_string_member (claims, "sub", sub);
  json_object_set_int_member (claims, "iat", iat);
  json_object_set_int_member (claims, "exp", iat + lifetime);
  json_object_set_string_member (claims, "jti", jti);
  json_object_set_string_member (claims, "scope", scope);
  if (family->username != NULL)
    json_object_set_int_member (claims, "auth_time", family->auth_time);

  if (idp->cognito)
    {
      json_object_set_string_member (claims, "client_id", family->client_id);
      json_object_set_string_member (claims, "token_use", "access");
      json_object_set_int_member (claims, "version", 2);
      if (family->username != NULL)
        json_object_set_string_member (claims, "username", family->username);
      if (family->patient != NULL)
        json_object_set_string_member (claims, "custom:patient", family->patient);
      if (fhir_user != NULL)
        json_object_set_string_member (claims, "custom:fhirUser", fhir_user);
    }
  else
    {
      g_autofree char *service = g_strconcat ("service-account-", family->client_id, NULL);

      json_object_set_array_member (claims, "aud", keycloak_audience (idp));
      json_object_set_string_member (claims, "azp", family->client_id);
      json_object_set_string_member (claims, "typ", "Bearer");
      if (family->sid != NULL)
        json_object_set_string_member (claims, "sid", family->sid);
      json_object_set_string_member (claims, "preferred_username",
                                     family->username != NULL ? family->username : service);
      if (family->patient != NULL)
        json_object_set_string_member (claims, "patient_id", family->patient);
      if (fhir_user != NULL)
        json_object_set_string_member (claims, "fhirUser", fhir_user);
    }

  token = sb_keys_sign_jwt (idp->ctx->keys, claims, error);
  if (token == NULL)
    return NULL;
  g_hash_table_replace (family->jtis, g_strdup (jti), GSIZE_TO_POINTER ((gsize) (iat + lifetime)));
  if (claims_out != NULL)
    *claims_out = json_object_ref (claims);
  return token;
}

static char *
issue_id_token (SbIdp *idp, SbFamily *family, const char *access_token, GError **error)
{
  g_autoptr(JsonObject) claims = json_object_new ();
  g_autofree char *sub = user_sub (family->username);
  g_autofree char *fhir_user = sb_idp_user_string (idp, family->username, "fhirUser");
  g_autofree char *given = NULL;
  g_autofree char *family_name = NULL;
  g_autofree char *at_hash = NULL;
  guint8 digest[32];
  gsize digest_len = sizeof digest;
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  gint64 iat = now_s ();

  /* at_hash: left half of SHA-256 of the access token (OIDC Core §3.1.3.6). */
  g_checksum_update (sum, (const guchar *) access_token, strlen (access_token));
  g_checksum_get_digest (sum, digest, &digest_len);
  at_hash = sb_idp_base64url (digest, digest_len / 2);

  json_object_set_string_member (claims, "iss", idp->ctx->issuer);
  json_object_set_string_member (claims, "sub", sub);
  json_object_set_string_member (claims, "aud", family->client_id);
  json_object_set_int_member (claims, "iat", iat);
  json_object_set_int_member (claims, "exp", iat + access_lifetime (idp));
  json_object_set_int_member (claims, "auth_time", family->auth_time);
  json_object_set_string_member (claims, "at_hash", at_hash);
  if (family->nonce != NULL)
    json_object_set_string_member (claims, "nonce", family->nonce);
  if (idp->cognito)
    {
      json_object_set_string_member (claims, "token_use", "id");
      json_object_set_string_member (claims, "cognito:username", family->username);
    }
  else
    {
      json_object_set_string_member (claims, "typ", "ID");
      json_object_set_string_member (claims, "azp", family->client_id);
      if (family->sid != NULL)
        json_object_set_string_member (claims, "sid", family->sid);
      json_object_set_string_member (claims, "preferred_username", family->username);
    }
  if (fhir_user != NULL && sb_idp_scope_has (family->scope, "fhirUser"))
    {
      /* SMART asks for fhirUser as an absolute URL; reading it as a relative
       * reference works too (the validator reduces it). */
      g_autofree char *url = g_strconcat (idp->ctx->fhir_base, fhir_user, NULL);

      json_object_set_string_member (claims, "fhirUser", url);
    }
  user_names (idp, fhir_user, &given, &family_name);
  if (given != NULL)
    json_object_set_string_member (claims, "given_name", given);
  if (family_name != NULL)
    json_object_set_string_member (claims, "family_name", family_name);
  if (given != NULL || family_name != NULL)
    {
      g_autofree char *full = g_strjoin (" ", given != NULL ? given : family_name,
                                         given != NULL ? family_name : NULL, NULL);

      json_object_set_string_member (claims, "name", full);
    }
  else
    json_object_set_string_member (claims, "name", family->username);

  return sb_keys_sign_jwt (idp->ctx->keys, claims, error);
}

static void
token_error (SbIdp *idp, SoupServerMessage *msg, const char *grant_type, guint status,
             const char *error, const char *description)
{
  JsonObject *fields = json_object_new ();

  json_object_set_string_member (fields, "grant_type", grant_type != NULL ? grant_type : "");
  json_object_set_string_member (fields, "error", error);
  if (description != NULL)
    json_object_set_string_member (fields, "error_description", description);
  sb_idp_emit (idp, "token-error", fields);
  sb_idp_set_oauth_error (msg, status, error, description);
}

/* Issues the access token (and refresh/id tokens when the grant allows)
 * and writes the token response. */
static void
respond_with_tokens (SbIdp *idp, SoupServerMessage *msg, const char *grant_type,
                     SbFamily *family, const char *scope, gboolean new_refresh)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) claims = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *access = NULL;
  g_autofree char *id_token = NULL;
  g_autofree char *refresh = NULL;
  guint lifetime = access_lifetime (idp);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  gboolean patient_context = family->patient != NULL && sb_idp_scope_has (family->scope, "launch/patient");
  JsonObject *fields;
  JsonNode *claims_node;

  access = issue_access_token (idp, family, scope, lifetime, &claims, &error);
  if (access != NULL && family->username != NULL && sb_idp_scope_has (scope, "openid"))
    id_token = issue_id_token (idp, family, access, &error);
  if (access == NULL || (id_token == NULL && error != NULL))
    {
      g_warning ("Could not sign a token: %s", error->message);
      token_error (idp, msg, grant_type, 500, "server_error", "The sandbox could not sign the token");
      return;
    }
  if (new_refresh && family->expires > 0)
    {
      g_autofree char *hash = NULL;
      SbRefresh *entry = g_new0 (SbRefresh, 1);

      refresh = sb_idp_random_token (32);
      hash = sb_idp_sha256_hex (refresh);
      entry->family = family;
      g_hash_table_replace (idp->refresh, g_steal_pointer (&hash), entry);
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "access_token");
  json_builder_add_string_value (b, access);
  json_builder_set_member_name (b, "token_type");
  json_builder_add_string_value (b, "Bearer");
  json_builder_set_member_name (b, "expires_in");
  json_builder_add_int_value (b, lifetime);
  if (!idp->cognito || SB_COGNITO_TOKEN_RESPONSE_HAS_SCOPE)
    {
      json_builder_set_member_name (b, "scope");
      json_builder_add_string_value (b, scope);
    }
  if (refresh != NULL)
    {
      json_builder_set_member_name (b, "refresh_token");
      json_builder_add_string_value (b, refresh);
      if (!idp->cognito)
        {
          json_builder_set_member_name (b, "refresh_expires_in");
          json_builder_add_int_value (b, family->offline ? 0 : MAX (0, family->expires - now_s ()));
        }
    }
  if (id_token != NULL)
    {
      json_builder_set_member_name (b, "id_token");
      json_builder_add_string_value (b, id_token);
    }
  if (!idp->cognito)
    {
      json_builder_set_member_name (b, "not-before-policy");
      json_builder_add_int_value (b, 0);
      if (family->sid != NULL)
        {
          json_builder_set_member_name (b, "session_state");
          json_builder_add_string_value (b, family->sid);
        }
      /* Keycloak (with a SMART mapper) puts the launch context at the top
       * level; Cognito cannot, so clients have to read custom:patient. */
      if (patient_context)
        {
          json_builder_set_member_name (b, "patient");
          json_builder_add_string_value (b, family->patient);
          json_builder_set_member_name (b, "need_patient_banner");
          json_builder_add_boolean_value (b, TRUE);
        }
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);

  fields = json_object_new ();
  json_object_set_string_member (fields, "grant_type", grant_type);
  json_object_set_string_member (fields, "client_id", family->client_id);
  claims_node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (claims_node, claims);
  json_object_set_member (fields, "claims", claims_node);
  json_object_set_boolean_member (fields, "id_token", id_token != NULL);
  json_object_set_boolean_member (fields, "refresh_token", refresh != NULL);
  sb_idp_emit (idp, "token-issued", fields);

  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_replace (headers, "Pragma", "no-cache");
  sb_idp_set_json (msg, 200, root);
}

/* Client authentication for the token, revocation and introspection
 * endpoints: client_secret_basic, client_secret_post, or a bare client_id
 * for the public client.  On failure the response is set. */
static gboolean
authenticate_client (SbIdp *idp, SoupServerMessage *msg, SbForm *form,
                     char **client_id_out, gboolean *confidential_out)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *auth = soup_message_headers_get_one (headers, "Authorization");
  g_autofree char *basic_id = NULL;
  g_autofree char *basic_secret = NULL;
  const char *body_id = sb_form_get (form, "client_id");
  const char *body_secret = sb_form_get (form, "client_secret");
  const char *client_id, *secret;
  gboolean basic = FALSE;

  if (auth != NULL && g_ascii_strncasecmp (auth, "Basic ", 6) == 0)
    {
      gsize len = 0;
      g_autofree guchar *raw = g_base64_decode (auth + 6, &len);
      g_autofree char *text = raw != NULL ? g_strndup ((const char *) raw, len) : NULL;
      char *colon = text != NULL ? strchr (text, ':') : NULL;

      if (colon == NULL)
        {
          soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                        "WWW-Authenticate", "Basic realm=\"smart-sandbox\"");
          sb_idp_set_oauth_error (msg, 401, "invalid_client", "Malformed Basic credentials");
          return FALSE;
        }
      *colon = '\0';
      /* RFC 6749 §2.3.1: both parts are form-urlencoded first. */
      g_strdelimit (text, "+", ' ');
      g_strdelimit (colon + 1, "+", ' ');
      basic_id = g_uri_unescape_string (text, NULL);
      basic_secret = g_uri_unescape_string (colon + 1, NULL);
      OPENSSL_cleanse (text, len);
      OPENSSL_cleanse (raw, len);
      basic = TRUE;
      if (basic_id == NULL || basic_secret == NULL)
        {
          sb_idp_set_oauth_error (msg, 401, "invalid_client", "Malformed Basic credentials");
          return FALSE;
        }
    }

  if (basic && body_secret != NULL)
    {
      sb_idp_set_oauth_error (msg, 400, "invalid_request",
                              "Use one client authentication method, not two");
      return FALSE;
    }
  if (basic && body_id != NULL && strcmp (body_id, basic_id) != 0)
    {
      sb_idp_set_oauth_error (msg, 400, "invalid_request",
                              "client_id differs from the authenticated client");
      return FALSE;
    }
  if (sb_form_count (form, "client_id") > 1 || sb_form_count (form, "client_secret") > 1)
    {
      sb_idp_set_oauth_error (msg, 400, "invalid_request", "Repeated client parameters");
      return FALSE;
    }
  client_id = basic ? basic_id : body_id;
  secret = basic ? basic_secret : body_secret;

  if (client_id == NULL)
    {
      sb_idp_set_oauth_error (msg, 401, "invalid_client", "No client_id and no client authentication");
      return FALSE;
    }
  if (g_strcmp0 (client_id, idp->ctx->public_client_id) == 0)
    {
      /* A public client has no secret; one sent anyway is ignored, as
       * Keycloak does. */
      *client_id_out = g_strdup (client_id);
      *confidential_out = FALSE;
      return TRUE;
    }
  if (g_strcmp0 (client_id, idp->ctx->backend_client_id) == 0
      && sb_idp_secret_equal (secret, idp->ctx->backend_client_secret))
    {
      *client_id_out = g_strdup (client_id);
      *confidential_out = TRUE;
      return TRUE;
    }
  if (basic)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "WWW-Authenticate", "Basic realm=\"smart-sandbox\"");
  sb_idp_set_oauth_error (msg, 401, "invalid_client",
                          g_strcmp0 (client_id, idp->ctx->backend_client_id) == 0
                          ? "Client authentication failed" : "Unknown client");
  return FALSE;
}

static gboolean
valid_verifier (const char *v)
{
  gsize len = strlen (v), i;

  if (len < 43 || len > 128)
    return FALSE;
  for (i = 0; i < len; i++)
    if (!g_ascii_isalnum (v[i]) && strchr ("-._~", v[i]) == NULL)
      return FALSE;
  return TRUE;
}

static char *
s256 (const char *verifier)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize len = sizeof digest;

  g_checksum_update (sum, (const guchar *) verifier, strlen (verifier));
  g_checksum_get_digest (sum, digest, &len);
  return sb_idp_base64url (digest, len);
}

static void
grant_authorization_code (SbIdp *idp, SoupServerMessage *msg, SbForm *form,
                          const char *client_id)
{
  const char *code = sb_form_get (form, "code");
  const char *redirect_uri = sb_form_get (form, "redirect_uri");
  const char *verifier = sb_form_get (form, "code_verifier");
  g_autofree char *hash = NULL;
  g_autofree char *challenge = NULL;
  SbCode *entry;
  SbFamily *family;

  if (code == NULL)
    {
      token_error (idp, msg, "authorization_code", 400, "invalid_request", "Missing code");
      return;
    }
  hash = sb_idp_sha256_hex (code);
  entry = g_hash_table_lookup (idp->codes, hash);
  if (entry == NULL)
    {
      token_error (idp, msg, "authorization_code", 400, "invalid_grant", "Code not valid");
      return;
    }
  family = entry->family;
  if (entry->used)
    {
      /* RFC 6749 §4.1.2: a code used twice revokes what it issued. */
      sb_idp_family_revoke (idp, family, "authorization code replayed");
      token_error (idp, msg, "authorization_code", 400, "invalid_grant", "Code already used");
      return;
    }
  /* Any attempt burns the code, so a verifier cannot be guessed by retrying. */
  entry->used = TRUE;
  if (g_get_monotonic_time () - entry->created > (gint64) idp->code_lifetime * G_USEC_PER_SEC)
    {
      token_error (idp, msg, "authorization_code", 400, "invalid_grant", "Code expired");
      return;
    }
  if (g_strcmp0 (family->client_id, client_id) != 0)
    {
      token_error (idp, msg, "authorization_code", 400, "invalid_grant",
                   "Code was issued to another client");
      return;
    }
  if (g_strcmp0 (redirect_uri, entry->redirect_uri) != 0)
    {
      token_error (idp, msg, "authorization_code", 400, "invalid_grant",
                   "redirect_uri does not match the authorization request");
      return;
    }
  if (verifier == NULL || !valid_verifier (verifier))
    {
      token_error (idp, msg, "authorization_code", 400, "invalid_grant",
                   "PKCE verification failed: code_verifier missing or malformed");
      return;
    }
  challenge = s256 (verifier);
  if (!sb_idp_secret_equal (challenge, entry->code_challenge))
    {
      token_error (idp, msg, "authorization_code", 400, "invalid_grant", "PKCE verification failed");
      return;
    }

  if (sb_idp_scope_has (family->scope, "offline_access"))
    {
      family->offline = TRUE;
      family->expires = now_s () + SB_IDP_OFFLINE_LIFETIME_S;
    }
  else if (sb_idp_scope_has (family->scope, "online_access"))
    family->expires = now_s () + SB_IDP_ONLINE_LIFETIME_S;
  respond_with_tokens (idp, msg, "authorization_code", family, family->scope, TRUE);
}

static void
grant_refresh_token (SbIdp *idp, SoupServerMessage *msg, SbForm *form, const char *client_id)
{
  const char *token = sb_form_get (form, "refresh_token");
  const char *scope = sb_form_get (form, "scope");
  g_autofree char *hash = NULL;
  g_auto(GStrv) asked = NULL;
  SbRefresh *entry;
  SbFamily *family;
  JsonObject *fields;
  guint i;

  if (token == NULL)
    {
      token_error (idp, msg, "refresh_token", 400, "invalid_request", "Missing refresh_token");
      return;
    }
  if (idp->ctx->faults != NULL && sb_faults_refresh_invalid_grant (idp->ctx->faults))
    {
      token_error (idp, msg, "refresh_token", 400, "invalid_grant",
                   "Token is not active (fault injected)");
      return;
    }
  hash = sb_idp_sha256_hex (token);
  entry = g_hash_table_lookup (idp->refresh, hash);
  if (entry == NULL)
    {
      token_error (idp, msg, "refresh_token", 400, "invalid_grant", "Refresh token not valid");
      return;
    }
  family = entry->family;
  if (g_strcmp0 (family->client_id, client_id) != 0)
    {
      token_error (idp, msg, "refresh_token", 400, "invalid_grant",
                   "Refresh token was issued to another client");
      return;
    }
  if (entry->rotated && !family->revoked)
    {
      /* A rotated-out token comes back: either the client or a thief holds
       * a copy, and we cannot tell which, so the whole family goes. */
      sb_idp_family_revoke (idp, family, "refresh token reused");
      token_error (idp, msg, "refresh_token", 400, "invalid_grant",
                   "Refresh token already used; the session is revoked");
      return;
    }
  if (family->revoked || entry->rotated || family->expires < now_s ())
    {
      token_error (idp, msg, "refresh_token", 400, "invalid_grant",
                   family->revoked ? "Session revoked" : "Refresh token expired");
      return;
    }
  if (scope != NULL)
    {
      /* A refresh may narrow the scope, never widen it. */
      asked = g_strsplit (scope, " ", -1);
      for (i = 0; asked[i] != NULL; i++)
        if (asked[i][0] != '\0' && !sb_idp_scope_has (family->scope, asked[i]))
          {
            token_error (idp, msg, "refresh_token", 400, "invalid_scope",
                         "Requested scope exceeds the original grant");
            return;
          }
    }

  entry->rotated = TRUE;
  fields = json_object_new ();
  json_object_set_string_member (fields, "client_id", family->client_id);
  if (family->username != NULL)
    json_object_set_string_member (fields, "username", family->username);
  json_object_set_string_member (fields, "result", "rotated");
  sb_idp_emit (idp, "refresh", fields);
  respond_with_tokens (idp, msg, "refresh_token", family,
                       scope != NULL && scope[0] != '\0' ? scope : family->scope, TRUE);
}

static void
grant_client_credentials (SbIdp *idp, SoupServerMessage *msg, SbForm *form,
                          const char *client_id, gboolean confidential)
{
  const char *scope = sb_form_get (form, "scope");
  g_auto(GStrv) parts = NULL;
  g_autoptr(GString) granted = g_string_new (NULL);
  SbFamily *family;
  guint i;

  if (!confidential)
    {
      token_error (idp, msg, "client_credentials", 400, "unauthorized_client",
                   "Only a confidential client may use client_credentials");
      return;
    }
  if (scope == NULL || scope[0] == '\0')
    {
      token_error (idp, msg, "client_credentials", 400, "invalid_scope",
                   "client_credentials needs system/ scopes");
      return;
    }
  parts = g_strsplit (scope, " ", -1);
  for (i = 0; parts[i] != NULL; i++)
    {
      if (parts[i][0] == '\0')
        continue;
      if (sb_idp_scope_kind (parts[i]) != SB_SCOPE_SYSTEM)
        {
          token_error (idp, msg, "client_credentials", 400, "invalid_scope",
                       "client_credentials accepts system/ scopes only");
          return;
        }
      if (!sb_idp_scope_has (granted->str, parts[i]))
        g_string_append_printf (granted, "%s%s", granted->len > 0 ? " " : "", parts[i]);
    }
  if (granted->len == 0)
    {
      token_error (idp, msg, "client_credentials", 400, "invalid_scope",
                   "client_credentials needs system/ scopes");
      return;
    }
  family = sb_idp_family_new (idp, client_id, NULL, NULL, granted->str, NULL, NULL);
  respond_with_tokens (idp, msg, "client_credentials", family, granted->str, FALSE);
}

static void
handle_token (SbIdp *idp, SoupServerMessage *msg)
{
  g_autoptr(SbForm) form = NULL;
  g_autofree char *client_id = NULL;
  const char *grant_type;
  const char *fault_code = NULL;
  guint fault_status = 0;
  gboolean confidential = FALSE;
  static const char *const single[] = {
    "grant_type", "code", "redirect_uri", "code_verifier", "refresh_token", "scope", NULL
  };
  const char *dup;

  if (strcmp (soup_server_message_get_method (msg), SOUP_METHOD_POST) != 0)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "POST");
      sb_idp_set_oauth_error (msg, 405, "invalid_request", "Use POST");
      return;
    }
  form = sb_idp_request_body (msg);
  if (form == NULL)
    {
      token_error (idp, msg, NULL, 400, "invalid_request",
                   "Expected application/x-www-form-urlencoded");
      return;
    }
  grant_type = sb_form_get (form, "grant_type");
  if (idp->ctx->faults != NULL
      && sb_faults_token_error (idp->ctx->faults, &fault_code, &fault_status))
    {
      token_error (idp, msg, grant_type, fault_status != 0 ? fault_status : 500,
                   fault_code != NULL ? fault_code : "server_error", "Fault injected by the sandbox");
      return;
    }
  dup = sb_form_find_duplicate (form, single);
  if (dup != NULL)
    {
      g_autofree char *desc = g_strdup_printf ("Parameter %s repeated", dup);

      token_error (idp, msg, grant_type, 400, "invalid_request", desc);
      return;
    }
  if (!authenticate_client (idp, msg, form, &client_id, &confidential))
    {
      JsonObject *fields = json_object_new ();

      json_object_set_string_member (fields, "grant_type", grant_type != NULL ? grant_type : "");
      json_object_set_string_member (fields, "error", "invalid_client");
      sb_idp_emit (idp, "token-error", fields);
      return;
    }

  if (grant_type == NULL)
    token_error (idp, msg, NULL, 400, "invalid_request", "Missing grant_type");
  else if (strcmp (grant_type, "authorization_code") == 0)
    {
      if (confidential)
        token_error (idp, msg, grant_type, 400, "unauthorized_client",
                     "This client may not use authorization_code");
      else
        grant_authorization_code (idp, msg, form, client_id);
    }
  else if (strcmp (grant_type, "refresh_token") == 0)
    grant_refresh_token (idp, msg, form, client_id);
  else if (strcmp (grant_type, "client_credentials") == 0)
    grant_client_credentials (idp, msg, form, client_id, confidential);
  else
    token_error (idp, msg, grant_type, 400, "unsupported_grant_type", "Unsupported grant_type");
}

/* Verifies one of our own access tokens: signature, issuer, expiry and
 * revocation.  Returns the claims or NULL. */
static JsonObject *
verify_access_token (SbIdp *idp, const char *token, gboolean check_exp)
{
  g_autoptr(JsonObject) claims = sb_keys_verify_jwt (idp->ctx->keys, token, NULL);
  const char *jti;

  if (claims == NULL)
    return NULL;
  if (g_strcmp0 (json_object_get_string_member_with_default (claims, "iss", NULL),
                 idp->ctx->issuer) != 0)
    return NULL;
  if (check_exp && json_object_get_int_member_with_default (claims, "exp", 0) <= now_s ())
    return NULL;
  jti = json_object_get_string_member_with_default (claims, "jti", NULL);
  if (jti != NULL && g_hash_table_contains (idp->revoked, jti))
    return NULL;
  return g_steal_pointer (&claims);
}

static gboolean
looks_like_jwt (const char *token)
{
  const char *dot1 = strchr (token, '.');

  return dot1 != NULL && strchr (dot1 + 1, '.') != NULL;
}

static void
handle_revoke (SbIdp *idp, SoupServerMessage *msg)
{
  g_autoptr(SbForm) form = NULL;
  g_autofree char *client_id = NULL;
  gboolean confidential = FALSE;
  const char *token;
  JsonObject *fields;
  const char *what = "unknown";

  if (strcmp (soup_server_message_get_method (msg), SOUP_METHOD_POST) != 0)
    {
      sb_idp_set_oauth_error (msg, 405, "invalid_request", "Use POST");
      return;
    }
  form = sb_idp_request_body (msg);
  if (form == NULL)
    {
      sb_idp_set_oauth_error (msg, 400, "invalid_request", "Expected application/x-www-form-urlencoded");
      return;
    }
  if (!authenticate_client (idp, msg, form, &client_id, &confidential))
    return;
  token = sb_form_get (form, "token");
  if (token == NULL)
    {
      sb_idp_set_oauth_error (msg, 400, "invalid_request", "Missing token");
      return;
    }

  if (looks_like_jwt (token))
    {
      g_autoptr(JsonObject) claims = NULL;

      if (idp->cognito)
        {
          /* Cognito's revoke endpoint takes refresh tokens only. */
          sb_idp_set_oauth_error (msg, 400, "unsupported_token_type",
                                  "Only refresh tokens can be revoked");
          return;
        }
      claims = verify_access_token (idp, token, FALSE);
      if (claims != NULL
          && g_strcmp0 (json_object_get_string_member_with_default (claims, "azp", NULL), client_id) == 0)
        {
          const char *jti = json_object_get_string_member_with_default (claims, "jti", "");

          g_hash_table_replace (idp->revoked, g_strdup (jti),
                                GSIZE_TO_POINTER ((gsize) json_object_get_int_member_with_default (claims, "exp", 0)));
          what = "access_token";
        }
    }
  else
    {
      g_autofree char *hash = sb_idp_sha256_hex (token);
      SbRefresh *entry = g_hash_table_lookup (idp->refresh, hash);

      /* RFC 7009 §2.1: revoking a refresh token revokes the grant. */
      if (entry != NULL && g_strcmp0 (entry->family->client_id, client_id) == 0)
        {
          sb_idp_family_revoke (idp, entry->family, "revocation endpoint");
          what = "refresh_token";
        }
    }

  fields = json_object_new ();
  json_object_set_string_member (fields, "what", what);
  json_object_set_string_member (fields, "client_id", client_id);
  sb_idp_emit (idp, "revoke", fields);
  /* RFC 7009 §2.2: 200 whether or not the token was known. */
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Cache-Control", "no-store");
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, "{}", 2);
}

static const char *
bearer_token (SoupServerMessage *msg)
{
  const char *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                   "Authorization");

  if (auth == NULL || g_ascii_strncasecmp (auth, "Bearer ", 7) != 0)
    return NULL;
  auth += 7;
  while (*auth == ' ')
    auth++;
  return *auth != '\0' ? auth : NULL;
}

static void
handle_userinfo (SbIdp *idp, SoupServerMessage *msg)
{
  SoupMessageHeaders *out = soup_server_message_get_response_headers (msg);
  const char *token = bearer_token (msg);
  g_autoptr(JsonObject) claims = NULL;
  g_autoptr(JsonObject) info = NULL;
  g_autofree char *fhir_user = NULL;
  g_autofree char *given = NULL;
  g_autofree char *family_name = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *password = NULL;
  const char *username;

  if (token != NULL)
    claims = verify_access_token (idp, token, TRUE);
  if (claims == NULL)
    {
      soup_message_headers_replace (out, "WWW-Authenticate",
                                    token == NULL ? "Bearer realm=\"smart-sandbox\""
                                    : "Bearer realm=\"smart-sandbox\", error=\"invalid_token\"");
      sb_idp_set_oauth_error (msg, 401, "invalid_token", "Access token missing, invalid or revoked");
      return;
    }
  username = json_object_get_string_member_with_default (claims,
                                                         idp->cognito ? "username" : "preferred_username",
                                                         NULL);
  if (!sb_idp_scope_has (json_object_get_string_member_with_default (claims, "scope", ""), "openid")
      || username == NULL || (password = sb_idp_user_string (idp, username, "password")) == NULL)
    {
      soup_message_headers_replace (out, "WWW-Authenticate",
                                    "Bearer realm=\"smart-sandbox\", error=\"insufficient_scope\"");
      sb_idp_set_oauth_error (msg, 403, "insufficient_scope", "The token has no openid scope");
      return;
    }
  info = json_object_new ();
  json_object_set_string_member (info, "sub", json_object_get_string_member (claims, "sub"));
  json_object_set_string_member (info, idp->cognito ? "username" : "preferred_username", username);
  fhir_user = sb_idp_user_string (idp, username, "fhirUser");
  if (fhir_user != NULL)
    json_object_set_string_member (info, idp->cognito ? "custom:fhirUser" : "fhirUser", fhir_user);
  user_names (idp, fhir_user, &given, &family_name);
  if (given != NULL)
    json_object_set_string_member (info, "given_name", given);
  if (family_name != NULL)
    json_object_set_string_member (info, "family_name", family_name);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, info);
  soup_message_headers_replace (out, "Cache-Control", "no-store");
  sb_idp_set_json (msg, 200, node);
}

static void
handle_introspect (SbIdp *idp, SoupServerMessage *msg)
{
  g_autoptr(SbForm) form = NULL;
  g_autofree char *client_id = NULL;
  gboolean confidential = FALSE;
  g_autoptr(JsonObject) result = json_object_new ();
  g_autoptr(JsonNode) node = NULL;
  const char *token;

  if (strcmp (soup_server_message_get_method (msg), SOUP_METHOD_POST) != 0)
    {
      sb_idp_set_oauth_error (msg, 405, "invalid_request", "Use POST");
      return;
    }
  form = sb_idp_request_body (msg);
  if (form == NULL)
    {
      sb_idp_set_oauth_error (msg, 400, "invalid_request", "Expected application/x-www-form-urlencoded");
      return;
    }
  if (!authenticate_client (idp, msg, form, &client_id, &confidential))
    return;
  if (!confidential)
    {
      sb_idp_set_oauth_error (msg, 401, "invalid_client", "Introspection needs a confidential client");
      return;
    }
  token = sb_form_get (form, "token");
  if (token != NULL && looks_like_jwt (token))
    {
      g_autoptr(JsonObject) claims = verify_access_token (idp, token, TRUE);

      if (claims != NULL)
        {
          GList *members = json_object_get_members (claims), *l;

          for (l = members; l != NULL; l = l->next)
            json_object_set_member (result, l->data,
                                    json_node_copy (json_object_get_member (claims, l->data)));
          g_list_free (members);
          json_object_set_string_member (result, "client_id",
                                         json_object_get_string_member_with_default (claims, "azp", ""));
          json_object_set_string_member (result, "token_type", "Bearer");
          json_object_set_boolean_member (result, "active", TRUE);
        }
    }
  else if (token != NULL)
    {
      g_autofree char *hash = sb_idp_sha256_hex (token);
      SbRefresh *entry = g_hash_table_lookup (idp->refresh, hash);

      if (entry != NULL && !entry->rotated && !entry->family->revoked
          && entry->family->expires >= now_s ())
        {
          json_object_set_boolean_member (result, "active", TRUE);
          json_object_set_string_member (result, "token_type", "Refresh");
          json_object_set_string_member (result, "client_id", entry->family->client_id);
          json_object_set_string_member (result, "scope", entry->family->scope);
          json_object_set_int_member (result, "exp", entry->family->expires);
          if (entry->family->username != NULL)
            json_object_set_string_member (result, "username", entry->family->username);
        }
    }
  if (!json_object_has_member (result, "active"))
    json_object_set_boolean_member (result, "active", FALSE);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, result);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Cache-Control", "no-store");
  sb_idp_set_json (msg, 200, node);
}

static void
handle_logout (SbIdp *idp, SoupServerMessage *msg)
{
  g_autoptr(SbForm) form = NULL;
  const char *hint, *redirect, *state, *client_id;
  g_autofree char *hint_client = NULL;
  guint revoked = 0;

  if (strcmp (soup_server_message_get_method (msg), SOUP_METHOD_POST) == 0)
    form = sb_idp_request_body (msg);
  if (form == NULL)
    form = sb_idp_request_query (msg);

  hint = sb_form_get (form, "id_token_hint");
  redirect = sb_form_get (form, idp->cognito ? "logout_uri" : "post_logout_redirect_uri");
  state = sb_form_get (form, "state");
  client_id = sb_form_get (form, "client_id");

  if (hint != NULL && !idp->cognito)
    {
      g_autoptr(JsonObject) claims = sb_keys_verify_jwt (idp->ctx->keys, hint, NULL);
      const char *sid = claims != NULL ? json_object_get_string_member_with_default (claims, "sid", NULL) : NULL;

      if (claims == NULL
          || g_strcmp0 (json_object_get_string_member_with_default (claims, "iss", NULL), idp->ctx->issuer) != 0)
        {
          sb_idp_set_html (msg, 400, idp, "Sign-out failed",
                           "<p role=\"alert\">The id_token_hint was not issued by this sandbox.</p>");
          return;
        }
      hint_client = g_strdup (json_object_get_string_member_with_default (claims, "aud", NULL));
      if (sid != NULL)
        {
          GHashTableIter iter;
          gpointer value;

          /* Ending the session ends its online grants; offline_access ones
           * survive a logout, as in Keycloak. */
          g_hash_table_iter_init (&iter, idp->families);
          while (g_hash_table_iter_next (&iter, NULL, &value))
            {
              SbFamily *family = value;

              if (g_strcmp0 (family->sid, sid) == 0 && !family->offline && !family->revoked)
                {
                  sb_idp_family_revoke (idp, family, "logout");
                  revoked++;
                }
            }
        }
    }

  if (redirect != NULL)
    {
      const char *cid = hint_client != NULL ? hint_client : client_id;
      g_autofree char *location = NULL;

      if (!sb_idp_redirect_uri_allowed (idp, cid, redirect))
        {
          sb_idp_set_html (msg, 400, idp, "Sign-out failed",
                           "<p role=\"alert\">The sign-out redirect address is not registered for this "
                           "client.</p>");
          return;
        }
      location = sb_idp_add_query (redirect, "state", state, NULL);
      sb_idp_set_redirect (msg, location);
      return;
    }
  sb_idp_set_html (msg, 200, idp, "You are signed out",
                   "<p>You are signed out of the SMART Sandbox. You can close this window.</p>");
}

static void
handle_rotate (SbIdp *idp, SoupServerMessage *msg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) result = json_object_new ();
  g_autoptr(JsonNode) node = NULL;

  if (!sb_idp_peer_is_loopback (msg))
    {
      soup_server_message_set_status (msg, 403, NULL);
      return;
    }
  if (strcmp (soup_server_message_get_method (msg), SOUP_METHOD_POST) != 0)
    {
      sb_idp_set_oauth_error (msg, 405, "invalid_request", "Use POST");
      return;
    }
  if (!sb_keys_rotate (idp->ctx->keys, &error))
    {
      sb_idp_set_oauth_error (msg, 500, "server_error", error->message);
      return;
    }
  json_object_set_string_member (result, "kid", sb_keys_current_kid (idp->ctx->keys));
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, result);
  sb_idp_set_json (msg, 200, node);
}

/* ---- discovery -------------------------------------------------------------- */

static JsonArray *
string_array (const char *const *values)
{
  JsonArray *array = json_array_new ();
  guint i;

  for (i = 0; values[i] != NULL; i++)
    json_array_add_string_element (array, values[i]);
  return array;
}

static const char *const scopes_supported[] = {
  "openid", "fhirUser", "profile", "launch/patient", "offline_access", "online_access",
  "patient/*.read", "patient/*.rs", "user/*.read", "user/*.rs", "system/*.read", "system/*.rs",
  "patient/Patient.rs", "patient/Condition.rs", "patient/MedicationStatement.rs",
  "patient/MedicationRequest.rs", "patient/Medication.rs",
  "user/Patient.rs", "user/Condition.rs", "user/MedicationStatement.rs",
  "user/MedicationRequest.rs", "user/Medication.rs", "user/Practitioner.rs",
  NULL
};

static const char *const grant_types[] = { "authorization_code", "refresh_token", "client_credentials", NULL };
static const char *const auth_methods[] = { "client_secret_basic", "client_secret_post", "none", NULL };

static JsonObject *
openid_configuration (SbIdp *idp)
{
  JsonObject *o = json_object_new ();
  static const char *const response_types[] = { "code", NULL };
  static const char *const response_modes[] = { "query", NULL };
  static const char *const subject_types[] = { "public", NULL };
  static const char *const algs[] = { "RS256", NULL };
  static const char *const pkce[] = { "S256", NULL };
  static const char *const claims[] = {
    "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "name", "given_name", "family_name",
    "fhirUser", "preferred_username", NULL
  };

  json_object_set_string_member (o, "issuer", idp->ctx->issuer);
  json_object_set_string_member (o, "authorization_endpoint", idp->auth_url);
  json_object_set_string_member (o, "token_endpoint", idp->token_url);
  json_object_set_string_member (o, "jwks_uri", idp->jwks_url);
  json_object_set_string_member (o, "userinfo_endpoint", idp->userinfo_url);
  json_object_set_string_member (o, "revocation_endpoint", idp->revoke_url);
  json_object_set_string_member (o, "end_session_endpoint", idp->logout_url);
  if (idp->introspect_url != NULL)
    json_object_set_string_member (o, "introspection_endpoint", idp->introspect_url);
  json_object_set_array_member (o, "response_types_supported", string_array (response_types));
  json_object_set_array_member (o, "response_modes_supported", string_array (response_modes));
  json_object_set_array_member (o, "grant_types_supported", string_array (grant_types));
  json_object_set_array_member (o, "subject_types_supported", string_array (subject_types));
  json_object_set_array_member (o, "id_token_signing_alg_values_supported", string_array (algs));
  json_object_set_array_member (o, "token_endpoint_auth_methods_supported", string_array (auth_methods));
  json_object_set_array_member (o, "revocation_endpoint_auth_methods_supported", string_array (auth_methods));
  json_object_set_array_member (o, "code_challenge_methods_supported", string_array (pkce));
  json_object_set_array_member (o, "scopes_supported", string_array (scopes_supported));
  json_object_set_array_member (o, "claims_supported", string_array (claims));
  json_object_set_boolean_member (o, "authorization_response_iss_parameter_supported", TRUE);
  json_object_set_boolean_member (o, "request_parameter_supported", FALSE);
  json_object_set_boolean_member (o, "request_uri_parameter_supported", FALSE);
  return o;
}

JsonObject *
sb_idp_smart_configuration (SbIdp *idp)
{
  JsonObject *o = json_object_new ();
  static const char *const pkce[] = { "S256", NULL };
  static const char *const response_types[] = { "code", NULL };
  static const char *const capabilities[] = {
    "launch-standalone", "client-public", "client-confidential-symmetric",
    "context-standalone-patient", "permission-offline", "permission-online", "permission-patient",
    "permission-user", "permission-v1", "permission-v2", "sso-openid-connect",
    "authorize-post", NULL
  };

  if (idp->ctx->external_issuer != NULL)
    {
      /* The sandbox's IdP is off: only say whom to trust. */
      json_object_set_string_member (o, "issuer", idp->ctx->external_issuer);
      json_object_set_array_member (o, "code_challenge_methods_supported", string_array (pkce));
      return o;
    }
  json_object_set_string_member (o, "issuer", idp->ctx->issuer);
  json_object_set_string_member (o, "jwks_uri", idp->jwks_url);
  json_object_set_string_member (o, "authorization_endpoint", idp->auth_url);
  json_object_set_string_member (o, "token_endpoint", idp->token_url);
  json_object_set_string_member (o, "revocation_endpoint", idp->revoke_url);
  json_object_set_string_member (o, "userinfo_endpoint", idp->userinfo_url);
  if (idp->introspect_url != NULL)
    json_object_set_string_member (o, "introspection_endpoint", idp->introspect_url);
  json_object_set_array_member (o, "grant_types_supported", string_array (grant_types));
  json_object_set_array_member (o, "token_endpoint_auth_methods_supported", string_array (auth_methods));
  json_object_set_array_member (o, "scopes_supported", string_array (scopes_supported));
  json_object_set_array_member (o, "response_types_supported", string_array (response_types));
  json_object_set_array_member (o, "code_challenge_methods_supported", string_array (pkce));
  json_object_set_array_member (o, "capabilities", string_array (capabilities));
  return o;
}

static void
set_json_object (SoupServerMessage *msg, JsonObject *obj /* transfer full */, const char *cache)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, obj);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control", cache);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Access-Control-Allow-Origin", "*");
  sb_idp_set_json (msg, 200, node);
}

/* ---- dispatch ------------------------------------------------------------------ */

static gboolean
is_get_or_head (SoupServerMessage *msg)
{
  const char *method = soup_server_message_get_method (msg);

  return strcmp (method, SOUP_METHOD_GET) == 0 || strcmp (method, SOUP_METHOD_HEAD) == 0;
}

static void
dispatch (SoupServer        *server,
          SoupServerMessage *msg,
          const char        *path,
          GHashTable        *query,
          gpointer           user_data)
{
  SbIdp *idp = user_data;

  sb_idp_purge (idp);

  if (strcmp (path, idp->auth_path) == 0)
    sb_idp_handle_authorize (server, msg, path, query, idp);
  else if (strcmp (path, idp->token_path) == 0)
    handle_token (idp, msg);
  else if (strcmp (path, idp->revoke_path) == 0)
    handle_revoke (idp, msg);
  else if (strcmp (path, idp->userinfo_path) == 0)
    handle_userinfo (idp, msg);
  else if (strcmp (path, idp->logout_path) == 0)
    handle_logout (idp, msg);
  else if (idp->introspect_path != NULL && strcmp (path, idp->introspect_path) == 0)
    handle_introspect (idp, msg);
  else if (strcmp (path, "/_sandbox/rotate-keys") == 0)
    handle_rotate (idp, msg);
  else if (strcmp (path, idp->jwks_path) == 0 && is_get_or_head (msg))
    {
      char *jwks = sb_keys_jwks_json (idp->ctx->keys);

      /* Short caching: rotation must be visible to the validator soon. */
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Cache-Control", "no-cache");
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                        jwks, strlen (jwks));
    }
  else if (strcmp (path, idp->discovery_path) == 0 && is_get_or_head (msg))
    set_json_object (msg, openid_configuration (idp), "max-age=60");
  else
    sb_idp_set_oauth_error (msg, 404, "not_found", "No such IdP endpoint");
}

static char *
url_path (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
  const char *path = uri != NULL ? g_uri_get_path (uri) : "";

  /* Paths compare without a trailing slash. */
  if (g_str_has_suffix (path, "/"))
    return g_strndup (path, strlen (path) - 1);
  return g_strdup (path);
}

static void
set_endpoint (char **url_out, char **path_out, const char *base, const char *suffix)
{
  *url_out = g_strconcat (base, suffix, NULL);
  *path_out = url_path (*url_out);
}

SbIdp *
sb_idp_new (SbContext *ctx)
{
  SbIdp *idp = g_new0 (SbIdp, 1);
  const char *lifetime = g_getenv (SB_IDP_CODE_LIFETIME_ENV);

  idp->ctx = ctx;
  idp->cognito = ctx->flavor == SB_FLAVOR_COGNITO;
  idp->issuer_path = url_path (ctx->issuer);
  idp->discovery_path = g_strconcat (idp->issuer_path, "/.well-known/openid-configuration", NULL);
  if (idp->cognito)
    {
      g_autofree char *ui = g_strconcat (ctx->root_url, "/cognito-ui", NULL);

      set_endpoint (&idp->jwks_url, &idp->jwks_path, ctx->issuer, "/.well-known/jwks.json");
      set_endpoint (&idp->auth_url, &idp->auth_path, ui, "/oauth2/authorize");
      set_endpoint (&idp->token_url, &idp->token_path, ui, "/oauth2/token");
      set_endpoint (&idp->revoke_url, &idp->revoke_path, ui, "/oauth2/revoke");
      set_endpoint (&idp->userinfo_url, &idp->userinfo_path, ui, "/oauth2/userInfo");
      set_endpoint (&idp->logout_url, &idp->logout_path, ui, "/logout");
    }
  else
    {
      g_autofree char *oidc = g_strconcat (ctx->issuer, "/protocol/openid-connect", NULL);

      set_endpoint (&idp->jwks_url, &idp->jwks_path, oidc, "/certs");
      set_endpoint (&idp->auth_url, &idp->auth_path, oidc, "/auth");
      set_endpoint (&idp->token_url, &idp->token_path, oidc, "/token");
      set_endpoint (&idp->revoke_url, &idp->revoke_path, oidc, "/revoke");
      set_endpoint (&idp->userinfo_url, &idp->userinfo_path, oidc, "/userinfo");
      set_endpoint (&idp->logout_url, &idp->logout_path, oidc, "/logout");
      set_endpoint (&idp->introspect_url, &idp->introspect_path, oidc, "/token/introspect");
    }

  idp->pending = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                        (GDestroyNotify) sb_idp_pending_free);
  idp->codes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) sb_idp_code_free);
  idp->refresh = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  idp->families = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                         (GDestroyNotify) sb_family_free);
  idp->revoked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  idp->code_lifetime = 60;
  if (lifetime != NULL)
    {
      guint64 value = g_ascii_strtoull (lifetime, NULL, 10);

      if (value > 0 && value <= 3600)
        idp->code_lifetime = (guint) value;
    }
  return idp;
}

void
sb_idp_register (SbIdp *idp, SoupServer *server)
{
  const char *paths[] = {
    idp->auth_path, idp->token_path, idp->revoke_path, idp->userinfo_path, idp->logout_path,
    idp->jwks_path, idp->discovery_path, idp->introspect_path, "/_sandbox/rotate-keys", NULL
  };
  guint i;

  if (idp->ctx->external_issuer != NULL)
    {
      g_message ("Using the external issuer; the sandbox's own IdP is off");
      return;
    }
  /* The introspection path is NULL for Cognito, hence the explicit bound. */
  for (i = 0; i < G_N_ELEMENTS (paths) - 1; i++)
    if (paths[i] != NULL)
      soup_server_add_handler (server, paths[i], dispatch, idp, NULL);
  if (idp->ctx->faults != NULL)
    sb_faults_set_idp_actions (idp->ctx->faults, expire_access_tokens_now, revoke_sessions_now, idp);
}

const char *
sb_idp_authorization_endpoint (SbIdp *idp)
{
  return idp->auth_url;
}

const char *
sb_idp_token_endpoint (SbIdp *idp)
{
  return idp->token_url;
}

const char *
sb_idp_jwks_uri (SbIdp *idp)
{
  return idp->jwks_url;
}

void
sb_idp_free (SbIdp *idp)
{
  if (idp == NULL)
    return;
  if (idp->ctx->faults != NULL && idp->ctx->external_issuer == NULL)
    sb_faults_set_idp_actions (idp->ctx->faults, NULL, NULL, NULL);
  g_hash_table_unref (idp->pending);
  g_hash_table_unref (idp->codes);
  g_hash_table_unref (idp->refresh);
  g_hash_table_unref (idp->families);
  g_hash_table_unref (idp->revoked);
  g_free (idp->issuer_path);
  g_free (idp->discovery_path);
  g_free (idp->auth_url);
  g_free (idp->auth_path);
  g_free (idp->token_url);
  g_free (idp->token_path);
  g_free (idp->jwks_url);
  g_free (idp->jwks_path);
  g_free (idp->revoke_url);
  g_free (idp->revoke_path);
  g_free (idp->userinfo_url);
  g_free (idp->userinfo_path);
  g_free (idp->logout_url);
  g_free (idp->logout_path);
  g_free (idp->introspect_url);
  g_free (idp->introspect_path);
  g_free (idp);
}
