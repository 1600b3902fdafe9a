/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#define G_LOG_DOMAIN "sv-test"

#include "config.h"

#include "sv-mock-idp.h"

#include <cjose/cjose.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "sv-authorization-request.h"
#include "sv-random.h"

static void
respond_json (SoupServerMessage *msg,
              guint              status,
              JsonBuilder       *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = json_to_string (root, FALSE);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, text, strlen (text));
}

static void
respond_text (SoupServerMessage *msg,
              guint              status,
              const char        *type,
              const char        *text)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY, text, strlen (text));
}

static void
member (JsonBuilder *b,
        const char  *name,
        const char  *value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

static void
member_strv (JsonBuilder        *b,
             const char         *name,
             const char * const *values)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; values[i] != NULL; i++)
    json_builder_add_string_value (b, values[i]);
  json_builder_end_array (b);
}

static char *
url (SvMockIdp  *idp,
     const char *path)
{
  return g_strconcat (idp->issuer, path, NULL);
}

static void
add_endpoints (SvMockIdp   *idp,
               JsonBuilder *b)
{
  g_autofree char *authorize = url (idp, "/authorize");
  g_autofree char *token = url (idp, "/token");
  g_autofree char *revoke = url (idp, "/revoke");
  g_autofree char *jwks = url (idp, "/jwks");

  member (b, "issuer", idp->issuer);
  member (b, "authorization_endpoint", authorize);
  member (b, "token_endpoint", token);
  member (b, "revocation_endpoint", revoke);
  member (b, "jwks_uri", jwks);
}

static void
handle_discovery (SvMockIdp         *idp,
                  SoupServerMessage *msg,
                  gboolean           openid)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  static const char * const v1[] = { "launch-standalone", "client-public", "sso-openid-connect",
                                     "context-standalone-patient", "permission-offline", NULL };
  static const char * const v2[] = { "launch-standalone", "client-public", "sso-openid-connect",
                                     "context-standalone-patient", "permission-offline",
                                     "permission-v2", NULL };
  static const char * const s256[] = { "S256", NULL };
  static const char * const plain[] = { "plain", NULL };
  static const char * const grants[] = { "authorization_code", "refresh_token", NULL };

  if (!openid && idp->discovery_status != SOUP_STATUS_OK)
    {
      respond_text (msg, idp->discovery_status, "text/plain", "no");
      return;
    }
  if (!openid && idp->discovery_not_json)
    {
      respond_text (msg, SOUP_STATUS_OK, "text/html", "<html>hello</html>");
      return;
    }

  json_builder_begin_object (b);
  add_endpoints (idp, b);
  if (!openid)
    member_strv (b, "capabilities", idp->discovery_v2 ? v2 : v1);
  member_strv (b, "grant_types_supported", grants);
  member_strv (b, "code_challenge_methods_supported", idp->discovery_plain_only ? plain : s256);
  json_builder_end_object (b);
  respond_json (msg, SOUP_STATUS_OK, b);
}

static char *
new_secret (SvMockIdp  *idp,
            const char *prefix)
{
  g_autofree char *random = sv_random_base64url (24, NULL);
  char *secret = g_strconcat (prefix, random, NULL);

  g_ptr_array_add (idp->secrets, g_strdup (secret));
  return secret;
}

static char *
sign (gpointer    key,
      JsonObject *claims)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *payload = NULL;
  cjose_header_t *header;
  cjose_jws_t *jws;
  cjose_err err;
  const char *compact = NULL;
  char *result;

  json_node_set_object (node, claims);
  payload = json_to_string (node, FALSE);

  header = cjose_header_new (&err);
  cjose_header_set (header, CJOSE_HDR_ALG, CJOSE_HDR_ALG_RS256, &err);
  cjose_header_set (header, CJOSE_HDR_KID, "test-key", &err);
  cjose_header_set (header, "typ", "JWT", &err);
  jws = cjose_jws_sign (key, header, (const uint8_t *) payload, strlen (payload), &err);
  g_assert_nonnull (jws);
  g_assert_true (cjose_jws_export (jws, &compact, &err));
  result = g_strdup (compact);
  cjose_jws_release (jws);
  cjose_header_release (header);

  return result;
}

static void
issue_tokens (SvMockIdp         *idp,
              SoupServerMessage *msg,
              const char        *scope)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonObject) access = json_object_new ();
  g_autoptr(JsonObject) id = json_object_new ();
  g_autofree char *jti = new_secret (idp, "jti-");
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const char *granted = idp->granted_scope ? idp->granted_scope : scope;

  json_object_set_string_member (access, "iss", idp->issuer);
  json_object_set_string_member (access, "client_id", idp->client_id);
  json_object_set_string_member (access, "sub", "clinician");
  json_object_set_string_member (access, "scope", granted);
  json_object_set_string_member (access, "jti", jti);
  json_object_set_int_member (access, "exp", now + idp->expires_in);
  if (idp->access_claim_name != NULL)
    json_object_set_string_member (access, idp->access_claim_name, idp->patient_id);

  g_free (idp->current_access);
  idp->current_access = sign (idp->key, access);
  g_ptr_array_add (idp->secrets, g_strdup (idp->current_access));

  g_free (idp->current_refresh);
  idp->current_refresh = new_secret (idp, "refresh-");

  json_builder_begin_object (b);
  member (b, "access_token", idp->current_access);
  member (b, "token_type", "bearer");
  json_builder_set_member_name (b, "expires_in");
  json_builder_add_int_value (b, idp->expires_in);
  member (b, "scope", granted);
  member (b, "refresh_token", idp->current_refresh);
  if (idp->patient_in_response)
    member (b, "patient", idp->patient_id);

  if (idp->id_token_mode != MOCK_ID_TOKEN_NONE)
    {
      g_autofree char *id_token = NULL;

      json_object_set_string_member (id, "iss", idp->issuer);
      json_object_set_string_member (id, "aud",
                                     idp->id_token_mode == MOCK_ID_TOKEN_WRONG_AUDIENCE ? "someone-else" : idp->client_id);
      json_object_set_string_member (id, "sub", "clinician");
      json_object_set_string_member (id, "fhirUser", "Practitioner/123");
      json_object_set_string_member (id, "name", "Dr. Test");
      json_object_set_int_member (id, "iat", now);
      json_object_set_int_member (id, "exp",
                                  idp->id_token_mode == MOCK_ID_TOKEN_EXPIRED ? now - 3600 : now + 300);
      if (idp->id_claim_name != NULL)
        json_object_set_string_member (id, idp->id_claim_name, idp->patient_id);
      id_token = sign (idp->id_token_mode == MOCK_ID_TOKEN_BAD_SIGNATURE ? idp->wrong_key : idp->key, id);
      g_ptr_array_add (idp->secrets, g_strdup (id_token));
      member (b, "id_token", id_token);
    }
  json_builder_end_object (b);

  respond_json (msg, SOUP_STATUS_OK, b);
}

static void
oauth_error (SoupServerMessage *msg,
             const char        *code)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  member (b, "error", code);
  json_builder_end_object (b);
  respond_json (msg, SOUP_STATUS_BAD_REQUEST, b);
}

static GHashTable *
read_form (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  g_autofree char *text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

  return soup_form_decode (text);
}

static void
handle_token (SvMockIdp         *idp,
              SoupServerMessage *msg)
{
  g_autoptr(GHashTable) form = read_form (msg);
  const char *grant = g_hash_table_lookup (form, "grant_type");
  const char *authorization = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                            "Authorization");

  if (authorization != NULL && g_str_has_prefix (authorization, "Basic "))
    {
      gsize length = 0;
      g_autofree guchar *decoded = g_base64_decode (authorization + strlen ("Basic "), &length);

      idp->basic_auth_seen = TRUE;
      g_free (idp->basic_auth);
      idp->basic_auth = g_strndup ((const char *) decoded, length);
    }

  /* Public clients send client_id on every request (Keycloak insists). */
  if (g_strcmp0 (g_hash_table_lookup (form, "client_id"), idp->client_id) != 0)
    {
      oauth_error (msg, "invalid_client");
      return;
    }

  if (idp->token_status != SOUP_STATUS_OK)
    {
      respond_text (msg, idp->token_status, "text/html", "<h1>Internal Server Error</h1>");
      return;
    }

  if (g_strcmp0 (grant, "authorization_code") == 0)
    {
      const char *code = g_hash_table_lookup (form, "code");
      const char *verifier = g_hash_table_lookup (form, "code_verifier");
      GStrv issued = code ? g_hash_table_lookup (idp->codes, code) : NULL;
      g_autofree char *challenge = NULL;
      g_autofree char *scope = NULL;

      idp->n_code_exchanges++;
      if (verifier != NULL)
        g_ptr_array_add (idp->secrets, g_strdup (verifier));

      if (issued == NULL || verifier == NULL)
        {
          oauth_error (msg, "invalid_grant");
          return;
        }

      challenge = sv_pkce_s256_challenge (verifier);
      if (g_strcmp0 (challenge, issued[0]) != 0 ||
          g_strcmp0 (g_hash_table_lookup (form, "redirect_uri"), issued[1]) != 0)
        {
          oauth_error (msg, "invalid_grant");
          return;
        }

      scope = g_strdup (issued[2]);
      g_hash_table_remove (idp->codes, code);
      issue_tokens (idp, msg, scope);
      return;
    }

  if (g_strcmp0 (grant, "refresh_token") == 0)
    {
      idp->n_refreshes++;
      if (idp->refresh_invalid_grant ||
          g_strcmp0 (g_hash_table_lookup (form, "refresh_token"), idp->current_refresh) != 0)
        {
          oauth_error (msg, "invalid_grant");
          return;
        }
      issue_tokens (idp, msg, "openid fhirUser launch/patient offline_access patient/Patient.read");
      return;
    }

  oauth_error (msg, "unsupported_grant_type");
}

static void
handle_authorize (SvMockIdp         *idp,
                  SoupServerMessage *msg,
                  GHashTable        *query)
{
  g_autoptr(GString) location = NULL;
  g_autofree char *code = NULL;
  const char *redirect_uri = query ? g_hash_table_lookup (query, "redirect_uri") : NULL;
  const char *state;
  GStrv issued;

  idp->n_authorize++;
  g_clear_pointer (&idp->last_authorize, g_hash_table_unref);
  if (query != NULL)
    {
      GHashTableIter iter;
      gpointer k, v;

      idp->last_authorize = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_hash_table_iter_init (&iter, query);
      while (g_hash_table_iter_next (&iter, &k, &v))
        g_hash_table_insert (idp->last_authorize, g_strdup (k), g_strdup (v));
    }

  if (redirect_uri == NULL ||
      g_strcmp0 (g_hash_table_lookup (query, "response_type"), "code") != 0 ||
      g_strcmp0 (g_hash_table_lookup (query, "client_id"), idp->client_id) != 0 ||
      g_strcmp0 (g_hash_table_lookup (query, "code_challenge_method"), "S256") != 0 ||
      g_hash_table_lookup (query, "code_challenge") == NULL ||
      g_hash_table_lookup (query, "state") == NULL ||
      g_strcmp0 (g_hash_table_lookup (query, "aud"), idp->fhir_base) != 0)
    {
      respond_text (msg, SOUP_STATUS_BAD_REQUEST, "text/plain", "bad authorization request");
      return;
    }

  state = idp->redirect_state ? idp->redirect_state : g_hash_table_lookup (query, "state");
  location = g_string_new (redirect_uri);
  g_string_append_c (location, strchr (redirect_uri, '?') ? '&' : '?');

  if (idp->redirect_error != NULL)
    {
      g_string_append_printf (location, "error=%s&error_description=", idp->redirect_error);
      g_string_append_uri_escaped (location, "The user said no", NULL, FALSE);
    }
  else
    {
      code = new_secret (idp, "code-");
      issued = g_new0 (char *, 4);
      issued[0] = g_strdup (g_hash_table_lookup (query, "code_challenge"));
      issued[1] = g_strdup (redirect_uri);
      issued[2] = g_strdup (g_hash_table_lookup (query, "scope"));
      g_hash_table_insert (idp->codes, g_strdup (code), issued);
      g_string_append_printf (location, "code=%s", code);
    }

  g_string_append (location, "&state=");
  g_string_append_uri_escaped (location, state, NULL, FALSE);
  g_string_append (location, "&iss=");
  g_string_append_uri_escaped (location, idp->redirect_iss ? idp->redirect_iss : idp->issuer, NULL, FALSE);

  soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, location->str);
}

static void
handle_revoke (SvMockIdp         *idp,
               SoupServerMessage *msg)
{
  g_autoptr(GHashTable) form = read_form (msg);
  const char *token = g_hash_table_lookup (form, "token");

  idp->n_revocations++;
  if (g_strcmp0 (token, idp->current_refresh) == 0)
    g_clear_pointer (&idp->current_refresh, g_free);
  respond_text (msg, SOUP_STATUS_OK, "text/plain", "");
}

static void
handle_fhir (SvMockIdp         *idp,
             SoupServerMessage *msg,
             const char        *path)
{
  const char *authorization = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                            "Authorization");
  g_autofree char *expected = g_strconcat ("Bearer ", idp->current_access ? idp->current_access : "-", NULL);

  idp->n_fhir++;
  if (idp->fhir_always_unauthorized || g_strcmp0 (authorization, expected) != 0)
    {
      respond_text (msg, SOUP_STATUS_UNAUTHORIZED, "application/json", "{\"resourceType\":\"OperationOutcome\"}");
      return;
    }
  respond_text (msg, SOUP_STATUS_OK, "application/fhir+json", "{\"resourceType\":\"Patient\",\"id\":\"p1\"}");
}

static void
on_request (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  SvMockIdp *idp = user_data;

  if (g_str_equal (path, "/fhir/.well-known/smart-configuration"))
    handle_discovery (idp, msg, FALSE);
  else if (g_str_equal (path, "/idp/.well-known/openid-configuration"))
    handle_discovery (idp, msg, TRUE);
  else if (g_str_equal (path, "/idp/authorize"))
    handle_authorize (idp, msg, query);
  else if (g_str_equal (path, "/idp/token"))
    handle_token (idp, msg);
  else if (g_str_equal (path, "/idp/revoke"))
    handle_revoke (idp, msg);
  else if (g_str_equal (path, "/idp/jwks"))
    respond_text (msg, SOUP_STATUS_OK, "application/json", idp->jwks);
  else if (g_str_has_prefix (path, "/fhir/"))
    handle_fhir (idp, msg, path);
  else
    respond_text (msg, SOUP_STATUS_NOT_FOUND, "text/plain", "not found");
}

static gpointer
new_key (void)
{
  static const uint8_t e[] = { 0x01, 0x00, 0x01 };
  cjose_err err;
  cjose_jwk_t *key = cjose_jwk_create_RSA_random (2048, e, sizeof e, &err);

  g_assert_nonnull (key);
  g_assert_true (cjose_jwk_set_kid (key, "test-key", strlen ("test-key"), &err));
  return key;
}

/**
 * sv_mock_idp_new:
 *
 * Returns: a running mock with fresh RSA keys
 */
SvMockIdp *
sv_mock_idp_new (void)
{
  SvMockIdp *idp = g_new0 (SvMockIdp, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GError) error = NULL;
  GSList *uris;
  char *public_json;
  cjose_err err;

  /* RSA key generation is the slowest part of a test (seconds under the
   * sanitizers): one pair per process is enough. */
  static gpointer key, wrong_key;

  if (key == NULL)
    {
      key = new_key ();
      wrong_key = new_key ();
    }
  idp->key = cjose_jwk_retain (key, &err);
  idp->wrong_key = cjose_jwk_retain (wrong_key, &err);
  public_json = cjose_jwk_to_json (idp->key, false, &err);
  idp->jwks = g_strdup_printf ("{\"keys\":[%s]}", public_json);
  free (public_json);

  idp->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (idp->server, NULL, on_request, idp, NULL);
  soup_server_listen (idp->server, address, 0, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (idp->server);
  idp->base = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  idp->fhir_base = g_strconcat (idp->base, "/fhir", NULL);
  idp->issuer = g_strconcat (idp->base, "/idp", NULL);
  idp->client_id = g_strdup ("test-client");
  idp->discovery_status = SOUP_STATUS_OK;
  idp->token_status = SOUP_STATUS_OK;
  idp->patient_in_response = TRUE;
  idp->patient_id = g_strdup ("patient-42");
  idp->expires_in = 3600;
  idp->secrets = g_ptr_array_new_with_free_func (g_free);
  idp->codes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_strfreev);

  return idp;
}

void
sv_mock_idp_free (SvMockIdp *idp)
{
  soup_server_disconnect (idp->server);
  g_object_unref (idp->server);
  cjose_jwk_release (idp->key);
  cjose_jwk_release (idp->wrong_key);
  g_free (idp->jwks);
  g_free (idp->base);
  g_free (idp->fhir_base);
  g_free (idp->issuer);
  g_free (idp->client_id);
  g_free (idp->access_claim_name);
  g_free (idp->id_claim_name);
  g_free (idp->patient_id);
  g_free (idp->redirect_state);
  g_free (idp->redirect_iss);
  g_free (idp->redirect_error);
  g_free (idp->granted_scope);
  g_clear_pointer (&idp->last_authorize, g_hash_table_unref);
  g_ptr_array_unref (idp->secrets);
  g_hash_table_unref (idp->codes);
  g_free (idp->current_access);
  g_free (idp->current_refresh);
  g_free (idp->basic_auth);
  g_free (idp);
}

typedef struct
{
  SoupMessage *message;
  gboolean done;
} GetData;

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GetData *data = user_data;
  GBytes *body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);

  g_clear_pointer (&body, g_bytes_unref);
  data->done = TRUE;
}

/**
 * sv_mock_idp_get_location:
 * @url: a URL
 * @status: (out): the status
 *
 * A GET that does not follow redirects, run on the thread-default main
 * context so the servers of this process keep answering.
 *
 * Returns: (transfer full) (nullable): the Location header
 */
char *
sv_mock_idp_get_location (const char *url,
                          guint      *status)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  GetData data = { 0 };
  char *location;

  data.message = soup_message_new (SOUP_METHOD_GET, url);
  g_assert_nonnull (data.message);
  soup_message_add_flags (data.message, SOUP_MESSAGE_NO_REDIRECT);
  soup_session_send_and_read_async (session, data.message, G_PRIORITY_DEFAULT, NULL, on_sent, &data);
  while (!data.done)
    g_main_context_iteration (NULL, TRUE);

  *status = soup_message_get_status (data.message);
  location = g_strdup (soup_message_headers_get_one (soup_message_get_response_headers (data.message), "Location"));
  g_object_unref (data.message);

  return location;
}

/**
 * sv_mock_idp_browse:
 * @idp: the mock
 * @authorize_url: the authorization URL
 * @error: return location for an error
 *
 * Plays the browser up to the redirect: returns where the IdP sends it.
 *
 * Returns: (transfer full) (nullable): the redirect
 */
char *
sv_mock_idp_browse (SvMockIdp  *idp,
                    const char *authorize_url,
                    GError    **error)
{
  guint status = 0;
  char *location = sv_mock_idp_get_location (authorize_url, &status);

  if (status != SOUP_STATUS_FOUND || location == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "authorize answered %u", status);
      g_free (location);
      return NULL;
    }
  return location;
}

/**
 * sv_mock_idp_text_has_secret:
 * @idp: the mock
 * @text: text to search
 * @length: its length
 *
 * Returns: %TRUE if any code, token or verifier the mock saw is in @text
 */
gboolean
sv_mock_idp_text_has_secret (SvMockIdp  *idp,
                             const char *text,
                             gsize       length)
{
  for (guint i = 0; i < idp->secrets->len; i++)
    {
      const char *secret = g_ptr_array_index (idp->secrets, i);

      /* jti values are claims, shown by `claims`, not credentials. */
      if (g_str_has_prefix (secret, "jti-"))
        continue;
      if (memmem (text, length, secret, strlen (secret)) != NULL)
        return TRUE;
    }
  return FALSE;
}
