/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-test"

#include "config.h"

#include <cjose/cjose.h>
#include <glib/gstdio.h>
#include <string.h>

#include "sv-authorization-request.h"
#include "sv-discovery.h"
#include "sv-error.h"
#include "sv-jwt.h"
#include "sv-profile-store.h"
#include "sv-random.h"
#include "sv-token-response.h"

/* Offline checks of the sign-in building blocks: no server, no keyring. */

#define REDIRECT "http://127.0.0.1:4711/oauth2redirect"
#define ISSUER "https://idp.test/realms/smart"
#define FHIR "https://fhir.test/r4"

static void
test_pkce_rfc7636_vector (void)
{
  /* RFC 7636 Appendix B. */
  g_autofree char *challenge = sv_pkce_s256_challenge ("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");

  g_assert_cmpstr (challenge, ==, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

static SvAuthorizationRequest *
new_request (void)
{
  g_autoptr(GError) error = NULL;
  SvAuthorizationRequest *request = sv_authorization_request_new (ISSUER "/auth", "viewer", REDIRECT,
                                                                  "openid patient/Patient.rs", FHIR,
                                                                  ISSUER, &error);

  g_assert_no_error (error);
  return request;
}

static void
test_authorization_url (void)
{
  g_autoptr(SvAuthorizationRequest) request = new_request ();
  g_autoptr(SvAuthorizationRequest) other = new_request ();
  g_autofree char *url = sv_authorization_request_dup_url (request);
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
  g_autoptr(GHashTable) params = g_uri_parse_params (g_uri_get_query (uri), -1, "&", G_URI_PARAMS_NONE, NULL);
  g_autofree char *challenge = sv_pkce_s256_challenge (sv_authorization_request_get_code_verifier (request));

  g_assert_cmpstr (g_uri_get_path (uri), ==, "/realms/smart/auth");
  g_assert_cmpstr (g_hash_table_lookup (params, "response_type"), ==, "code");
  g_assert_cmpstr (g_hash_table_lookup (params, "client_id"), ==, "viewer");
  g_assert_cmpstr (g_hash_table_lookup (params, "redirect_uri"), ==, REDIRECT);
  g_assert_cmpstr (g_hash_table_lookup (params, "scope"), ==, "openid patient/Patient.rs");
  g_assert_cmpstr (g_hash_table_lookup (params, "aud"), ==, FHIR);
  g_assert_cmpstr (g_hash_table_lookup (params, "state"), ==, sv_authorization_request_get_state (request));
  g_assert_cmpstr (g_hash_table_lookup (params, "code_challenge"), ==, challenge);
  g_assert_cmpstr (g_hash_table_lookup (params, "code_challenge_method"), ==, "S256");
  /* The verifier itself never travels in the URL. */
  g_assert_null (strstr (url, sv_authorization_request_get_code_verifier (request)));

  /* At least 128 bits each, and fresh per request. */
  g_assert_cmpuint (strlen (sv_authorization_request_get_state (request)), >=, 22);
  g_assert_cmpuint (strlen (sv_authorization_request_get_code_verifier (request)), >=, 43);
  g_assert_cmpstr (sv_authorization_request_get_state (request), !=, sv_authorization_request_get_state (other));
  g_assert_cmpstr (sv_authorization_request_get_code_verifier (request), !=,
                   sv_authorization_request_get_code_verifier (other));
}

static char *
redirect_with (SvAuthorizationRequest *request,
               const char             *extra)
{
  g_autofree char *state = g_uri_escape_string (sv_authorization_request_get_state (request), NULL, FALSE);

  return g_strdup_printf (REDIRECT "?state=%s&%s", state, extra);
}

static void
test_redirect_ok (void)
{
  g_autoptr(SvAuthorizationRequest) request = new_request ();
  g_autofree char *redirect = redirect_with (request, "code=abc%2Bdef&iss=https%3A%2F%2Fidp.test%2Frealms%2Fsmart");
  g_autoptr(GError) error = NULL;
  g_autofree char *code = sv_authorization_request_parse_redirect (request, redirect, &error);
  g_autofree char *again = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (code, ==, "abc+def");

  /* A replayed redirect is refused. */
  again = sv_authorization_request_parse_redirect (request, redirect, &error);
  g_assert_null (again);
  g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
}

static void
test_redirect_state_mismatch (void)
{
  g_autoptr(SvAuthorizationRequest) request = new_request ();
  g_autoptr(GError) error = NULL;
  g_autofree char *code = sv_authorization_request_parse_redirect (request, REDIRECT "?code=abc&state=forged", &error);

  g_assert_null (code);
  g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "state"));
  g_clear_error (&error);

  code = sv_authorization_request_parse_redirect (request, REDIRECT "?code=abc", &error);
  g_assert_null (code);
  g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
}

static void
test_redirect_idp_error (void)
{
  g_autoptr(SvAuthorizationRequest) request = new_request ();
  g_autofree char *redirect = redirect_with (request, "error=access_denied&error_description=User+declined");
  g_autoptr(GError) error = NULL;
  g_autofree char *code = sv_authorization_request_parse_redirect (request, redirect, &error);

  g_assert_null (code);
  g_assert_error (error, SV_ERROR, SV_ERROR_DENIED);
  g_assert_nonnull (strstr (error->message, "User declined"));
  g_assert_nonnull (strstr (error->message, "access_denied"));
}

static void
test_redirect_wrong_uri (void)
{
  g_autoptr(SvAuthorizationRequest) request = new_request ();
  g_autoptr(GError) error = NULL;
  g_autofree char *state = g_uri_escape_string (sv_authorization_request_get_state (request), NULL, FALSE);
  const char *wrong[] = {
    "http://127.0.0.1:4712/oauth2redirect",
    "http://127.0.0.1:4711/other",
    "https://127.0.0.1:4711/oauth2redirect",
    "http://evil.test:4711/oauth2redirect",
  };

  for (guint i = 0; i < G_N_ELEMENTS (wrong); i++)
    {
      g_autofree char *redirect = g_strdup_printf ("%s?code=abc&state=%s", wrong[i], state);
      g_autofree char *code = sv_authorization_request_parse_redirect (request, redirect, &error);

      g_assert_null (code);
      g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
      g_clear_error (&error);
    }
}

static void
test_redirect_iss_mismatch (void)
{
  g_autoptr(SvAuthorizationRequest) request = new_request ();
  g_autofree char *redirect = redirect_with (request, "code=abc&iss=https%3A%2F%2Fevil.test");
  g_autoptr(GError) error = NULL;
  g_autofree char *code = sv_authorization_request_parse_redirect (request, redirect, &error);

  g_assert_null (code);
  g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "evil.test"));
}

static void
test_profile_validation (void)
{
  g_autoptr(SvServerProfile) profile = sv_server_profile_new ("Test");
  g_autoptr(GError) error = NULL;

  sv_server_profile_set_client_id (profile, "viewer");

  sv_server_profile_set_fhir_base_url (profile, "http://fhir.example.org/r4");
  g_assert_false (sv_server_profile_validate (profile, &error));
  g_assert_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "https://"));
  g_clear_error (&error);

  sv_server_profile_set_fhir_base_url (profile, "ftp://fhir.example.org/r4");
  g_assert_false (sv_server_profile_validate (profile, &error));
  g_clear_error (&error);

  sv_server_profile_set_fhir_base_url (profile, "not a url");
  g_assert_false (sv_server_profile_validate (profile, &error));
  g_clear_error (&error);

  for (guint i = 0; i < 4; i++)
    {
      const char *ok[] = { "https://fhir.example.org/r4", "http://127.0.0.1:8080/fhir",
                           "http://localhost/fhir", "http://[::1]:9/fhir" };

      sv_server_profile_set_fhir_base_url (profile, ok[i]);
      g_assert_true (sv_server_profile_validate (profile, &error));
      g_assert_no_error (error);
    }

  sv_server_profile_set_token_endpoint (profile, "http://idp.example.org/token");
  g_assert_false (sv_server_profile_validate (profile, &error));
  g_clear_error (&error);
  sv_server_profile_set_token_endpoint (profile, NULL);

  sv_server_profile_set_client_id (profile, "  ");
  g_assert_false (sv_server_profile_validate (profile, &error));
  g_clear_error (&error);

  sv_server_profile_set_client_id (profile, "viewer");
  sv_server_profile_set_name (profile, "[bad]");
  g_assert_false (sv_server_profile_validate (profile, &error));
  g_clear_error (&error);
}

static void
test_presets (void)
{
  g_autoptr(SvServerProfile) cognito = sv_server_profile_new_from_preset (SV_PRESET_HEALTHLAKE_COGNITO, NULL);
  g_autoptr(SvServerProfile) keycloak = sv_server_profile_new_from_preset (SV_PRESET_HEALTHLAKE_KEYCLOAK, NULL);
  g_autoptr(SvServerProfile) other = sv_server_profile_new_from_preset (SV_PRESET_OTHER, "Mine");
  g_autofree char *redirect = NULL;

  g_assert_cmpstr (sv_server_profile_get_patient_claim (cognito), ==, "custom:patient");
  g_assert_cmpstr (sv_server_profile_get_patient_claim (keycloak), ==, "patient_id");
  g_assert_cmpstr (sv_server_profile_get_patient_claim (other), ==, "patient");
  g_assert_cmpstr (sv_server_profile_get_name (other), ==, "Mine");
  g_assert_cmpint (sv_server_profile_get_idp_kind (cognito), ==, SV_IDP_COGNITO);

  redirect = sv_server_profile_dup_redirect_uri (cognito, 0);
  g_assert_cmpstr (redirect, ==, SV_PRIVATE_REDIRECT_URI);
  g_clear_pointer (&redirect, g_free);
  sv_server_profile_set_redirect_mode (other, SV_REDIRECT_BROWSER);
  redirect = sv_server_profile_dup_redirect_uri (other, 8123);
  g_assert_cmpstr (redirect, ==, "http://127.0.0.1:8123/oauth2redirect");
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *count)
{
  (*count)++;
}

static void
test_profile_properties (void)
{
  g_autoptr(SvServerProfile) profile = sv_server_profile_new ("P");
  g_autofree char *url = NULL;
  guint notified = 0;
  SvIdpKind kind;

  g_signal_connect (profile, "notify::fhir-base-url", G_CALLBACK (count_notify), &notified);
  g_object_set (profile, "fhir-base-url", " https://a.test/fhir ", "idp-kind", SV_IDP_COGNITO, NULL);
  g_object_set (profile, "fhir-base-url", "https://a.test/fhir", NULL);
  g_object_get (profile, "fhir-base-url", &url, "idp-kind", &kind, NULL);

  /* Trimmed, notified once (the second set changed nothing). */
  g_assert_cmpstr (url, ==, "https://a.test/fhir");
  g_assert_cmpuint (notified, ==, 1);
  g_assert_cmpint (kind, ==, SV_IDP_COGNITO);
  g_assert_cmpstr (sv_server_profile_get_patient_claim (profile), ==, "custom:patient");
}

static void
test_profile_store (void)
{
  g_autofree char *dir = g_dir_make_tmp ("sv-profiles-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "sub", "profiles.ini", NULL);
  g_autoptr(SvProfileStore) store = sv_profile_store_new (path);
  g_autoptr(SvProfileStore) again = sv_profile_store_new (path);
  g_autoptr(SvServerProfile) a = sv_server_profile_new_from_preset (SV_PRESET_HEALTHLAKE_COGNITO, "A");
  g_autoptr(SvServerProfile) b = sv_server_profile_new ("B");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autofree char *contents = NULL;
  SvServerProfile *loaded;
  GStatBuf st;

  g_assert_true (sv_profile_store_load (store, &error));
  g_assert_no_error (error);
  g_assert_null (sv_profile_store_choose (store, NULL, &error));
  g_clear_error (&error);

  sv_server_profile_set_fhir_base_url (a, "https://healthlake.test/datastore/x/r4/");
  sv_server_profile_set_client_id (a, "cognito-client");
  sv_server_profile_set_issuer (a, "https://cognito-idp.test/pool");
  sv_server_profile_set_scopes (a, "openid patient/Patient.read");
  g_assert_true (sv_profile_store_add (store, a, FALSE, &error));
  g_assert_no_error (error);

  /* The only profile is the default. */
  g_assert_true (sv_profile_store_choose (store, NULL, &error) == a);

  sv_server_profile_set_fhir_base_url (b, "http://example.org/fhir");
  sv_server_profile_set_client_id (b, "x");
  g_assert_false (sv_profile_store_add (store, b, FALSE, &error));
  g_assert_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  sv_server_profile_set_fhir_base_url (b, "https://example.org/fhir");
  g_assert_true (sv_profile_store_add (store, b, FALSE, &error));
  g_assert_false (sv_profile_store_add (store, b, FALSE, &error));
  g_clear_error (&error);

  /* Two profiles and none used: the user must choose. */
  g_assert_null (sv_profile_store_choose (store, NULL, &error));
  g_assert_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  sv_profile_store_set_last_used (store, "B");
  g_assert_true (sv_profile_store_save (store, &error));
  g_assert_no_error (error);

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0077, ==, 0);

  g_assert_true (sv_profile_store_load (again, &error));
  list = sv_profile_store_list (again);
  g_assert_cmpuint (list->len, ==, 2);
  loaded = sv_profile_store_lookup (again, "A");
  g_assert_nonnull (loaded);
  g_assert_cmpstr (sv_server_profile_get_fhir_base_url (loaded), ==, "https://healthlake.test/datastore/x/r4/");
  g_assert_cmpstr (sv_server_profile_get_client_id (loaded), ==, "cognito-client");
  g_assert_cmpstr (sv_server_profile_get_issuer (loaded), ==, "https://cognito-idp.test/pool");
  g_assert_cmpstr (sv_server_profile_get_scopes (loaded), ==, "openid patient/Patient.read");
  g_assert_cmpstr (sv_server_profile_get_patient_claim (loaded), ==, "custom:patient");
  g_assert_cmpint (sv_server_profile_get_idp_kind (loaded), ==, SV_IDP_COGNITO);
  g_assert_true (sv_profile_store_choose (again, NULL, &error) == sv_profile_store_lookup (again, "B"));

  g_assert_true (sv_profile_store_remove (again, "B", &error));
  g_assert_false (sv_profile_store_remove (again, "B", &error));
  g_clear_error (&error);
  g_assert_null (sv_profile_store_get_last_used (again));

  /* Nothing secret-looking is written. */
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_null (strstr (contents, "secret"));
  g_assert_null (strstr (contents, "token="));

  g_remove (path);
  g_autofree char *sub = g_path_get_dirname (path);
  g_rmdir (sub);
  g_rmdir (dir);
}

static JsonObject *
parse (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

#define SMART_BASE "\"issuer\":\"https://idp.test\",\"jwks_uri\":\"https://idp.test/jwks\"," \
  "\"authorization_endpoint\":\"https://idp.test/auth\",\"token_endpoint\":\"https://idp.test/token\"," \
  "\"grant_types_supported\":[\"authorization_code\"]"

static void
test_discovery_documents (void)
{
  g_autoptr(GError) error = NULL;
  struct
  {
    const char *json;
    gboolean ok;
    const char *scopes;
  } cases[] = {
    { "{" SMART_BASE ",\"capabilities\":[\"sso-openid-connect\"],\"code_challenge_methods_supported\":[\"S256\"]}",
      TRUE, "openid fhirUser launch/patient offline_access patient/Patient.read patient/Condition.read "
      "patient/MedicationStatement.read patient/MedicationRequest.read patient/Medication.read" },
    { "{" SMART_BASE ",\"capabilities\":[\"permission-v2\"],\"code_challenge_methods_supported\":[\"plain\",\"S256\"]}",
      TRUE, "openid fhirUser launch/patient offline_access patient/Patient.rs patient/Condition.rs "
      "patient/MedicationStatement.rs patient/MedicationRequest.rs patient/Medication.rs" },
    /* No PKCE methods listed: accepted, S256 is sent anyway. */
    { "{" SMART_BASE ",\"capabilities\":[]}", TRUE, NULL },
    /* Only plain: refused. */
    { "{" SMART_BASE ",\"capabilities\":[],\"code_challenge_methods_supported\":[\"plain\"]}", FALSE, NULL },
    /* Missing token endpoint. */
    { "{\"authorization_endpoint\":\"https://idp.test/auth\",\"capabilities\":[]}", FALSE, NULL },
    /* Missing capabilities. */
    { "{" SMART_BASE "}", FALSE, NULL },
    /* Plain http endpoint off loopback. */
    { "{\"authorization_endpoint\":\"http://idp.test/auth\",\"token_endpoint\":\"https://idp.test/token\",\"capabilities\":[]}", FALSE, NULL },
    /* OpenID Connect without issuer. */
    { "{\"authorization_endpoint\":\"https://idp.test/auth\",\"token_endpoint\":\"https://idp.test/token\",\"capabilities\":[\"sso-openid-connect\"]}", FALSE, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonObject) doc = parse (cases[i].json);
      g_autoptr(SvDiscovery) discovery = sv_discovery_new_from_json (doc, SV_DISCOVERY_SOURCE_SMART,
                                                                     "https://fhir.test", &error);

      if (cases[i].ok)
        {
          g_assert_no_error (error);
          g_assert_nonnull (discovery);
          if (cases[i].scopes != NULL)
            {
              g_autofree char *scopes = sv_discovery_dup_default_scopes (discovery);

              g_assert_cmpstr (scopes, ==, cases[i].scopes);
            }
        }
      else
        {
          g_assert_null (discovery);
          g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
          g_test_message ("case %u: %s", i, error->message);
          g_clear_error (&error);
        }
    }
}

static void
test_token_response (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) ok = parse ("{\"access_token\":\"at\",\"token_type\":\"BEARER\",\"expires_in\":\"300\","
                                    "\"scope\":\"openid patient/Patient.read\",\"patient\":\"p1\",\"refresh_token\":\"rt\"}");
  g_autoptr(JsonObject) mac = parse ("{\"access_token\":\"at\",\"token_type\":\"mac\",\"expires_in\":300}");
  g_autoptr(JsonObject) none = parse ("{\"token_type\":\"Bearer\",\"expires_in\":300}");
  g_autoptr(JsonObject) negative = parse ("{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"expires_in\":-5}");
  g_autoptr(SvTokenResponse) response = NULL;
  g_autoptr(SvTokenResponse) refused = NULL;
  g_auto(GStrv) missing = NULL;

  response = sv_token_response_new_from_json (ok, "openid patient/Patient.read patient/Condition.read", 1000, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sv_token_response_get_expires_at (response), ==, 1300);
  g_assert_cmpstr (sv_token_response_get_patient (response), ==, "p1");
  g_assert_cmpstr (sv_token_response_get_granted_scope (response), ==, "openid patient/Patient.read");
  missing = sv_token_response_dup_missing_scopes (response);
  g_assert_cmpuint (g_strv_length (missing), ==, 1);
  g_assert_cmpstr (missing[0], ==, "patient/Condition.read");

  refused = sv_token_response_new_from_json (mac, NULL, 1000, &error);
  g_assert_null (refused);
  g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
  g_clear_error (&error);
  refused = sv_token_response_new_from_json (none, NULL, 1000, &error);
  g_assert_null (refused);
  g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
  g_clear_error (&error);
  refused = sv_token_response_new_from_json (negative, NULL, 1000, &error);
  g_assert_null (refused);
  g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
  g_clear_error (&error);

  /* Cognito: no scope in the response, the granted one is in the JWT. */
  {
    g_autofree char *payload = sv_base64url_encode ((const guint8 *) "{\"scope\":\"openid patient/Patient.read\",\"exp\":2000}", 50);
    g_autofree char *jwt = g_strdup_printf ("eyJhbGciOiJSUzI1NiJ9.%s.c2ln", payload);
    g_autofree char *text = g_strdup_printf ("{\"access_token\":\"%s\",\"token_type\":\"Bearer\",\"expires_in\":300}", jwt);
    g_autoptr(JsonObject) cognito = parse (text);
    g_autoptr(JsonObject) opaque = parse ("{\"access_token\":\"opaque\",\"token_type\":\"Bearer\",\"expires_in\":300}");
    g_autoptr(SvTokenResponse) narrowed = NULL;
    g_autoptr(SvTokenResponse) as_asked = NULL;

    narrowed = sv_token_response_new_from_json (cognito, "openid patient/Patient.read patient/Condition.read", 1000, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (sv_token_response_get_granted_scope (narrowed), ==, "openid patient/Patient.read");

    /* An opaque token and no scope: RFC 6749 says the asked scope was granted. */
    as_asked = sv_token_response_new_from_json (opaque, "openid patient/Patient.read", 1000, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (sv_token_response_get_granted_scope (as_asked), ==, "openid patient/Patient.read");
  }
}

static char *
sign_claims (cjose_jwk_t *key,
             const char  *alg,
             const char  *payload)
{
  cjose_err err;
  cjose_header_t *header = cjose_header_new (&err);
  cjose_jws_t *jws;
  const char *compact;
  char *result;

  cjose_header_set (header, CJOSE_HDR_ALG, alg, &err);
  cjose_header_set (header, CJOSE_HDR_KID, "k1", &err);
  jws = cjose_jws_sign (key, header, (const uint8_t *) payload, strlen (payload), &err);
  g_assert_nonnull (jws);
  g_assert_true (cjose_jws_export (jws, &compact, &err));
  result = g_strdup (compact);
  cjose_jws_release (jws);
  cjose_header_release (header);
  return result;
}

static void
test_id_token_verification (void)
{
  static const uint8_t e[] = { 1, 0, 1 };
  cjose_err err;
  cjose_jwk_t *key = cjose_jwk_create_RSA_random (2048, e, sizeof e, &err);
  cjose_jwk_t *other = cjose_jwk_create_RSA_random (2048, e, sizeof e, &err);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *good_payload = g_strdup_printf ("{\"iss\":\"%s\",\"aud\":[\"x\",\"viewer\"],\"exp\":%" G_GINT64_FORMAT ",\"fhirUser\":\"Practitioner/1\"}", ISSUER, now + 300);
  g_autofree char *expired_payload = g_strdup_printf ("{\"iss\":\"%s\",\"aud\":\"viewer\",\"exp\":%" G_GINT64_FORMAT "}", ISSUER, now - 3600);
  g_autofree char *good = NULL;
  g_autofree char *expired = NULL;
  g_autofree char *forged = NULL;
  g_autofree char *jwks = NULL;
  g_autofree char *none = NULL;
  g_autofree char *none_header = NULL;
  g_autofree char *none_payload = NULL;
  g_autoptr(JsonObject) claims = NULL;
  g_autoptr(GError) error = NULL;
  char *public_json;

  g_assert_nonnull (key);
  cjose_jwk_set_kid (key, "k1", 2, &err);
  cjose_jwk_set_kid (other, "k1", 2, &err);
  public_json = cjose_jwk_to_json (key, false, &err);
  jwks = g_strdup_printf ("{\"keys\":[%s]}", public_json);
  free (public_json);

  good = sign_claims (key, CJOSE_HDR_ALG_RS256, good_payload);
  expired = sign_claims (key, CJOSE_HDR_ALG_RS256, expired_payload);
  forged = sign_claims (other, CJOSE_HDR_ALG_RS256, good_payload);

  claims = sv_jwt_verify_id_token (good, jwks, strlen (jwks), ISSUER, "viewer", now, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (claims, "fhirUser"), ==, "Practitioner/1");
  g_clear_pointer (&claims, json_object_unref);

  claims = sv_jwt_verify_id_token (good, jwks, strlen (jwks), "https://other.test", "viewer", now, &error);
  g_assert_null (claims);
  g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
  g_clear_error (&error);

  claims = sv_jwt_verify_id_token (good, jwks, strlen (jwks), ISSUER, "someone-else", now, &error);
  g_assert_null (claims);
  g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
  g_clear_error (&error);

  claims = sv_jwt_verify_id_token (expired, jwks, strlen (jwks), ISSUER, "viewer", now, &error);
  g_assert_null (claims);
  g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "expired"));
  g_clear_error (&error);

  claims = sv_jwt_verify_id_token (forged, jwks, strlen (jwks), ISSUER, "viewer", now, &error);
  g_assert_null (claims);
  g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
  g_clear_error (&error);

  /* alg=none with the good payload must never verify. */
  none_header = g_base64_encode ((const guchar *) "{\"alg\":\"none\"}", 15);
  none_payload = g_base64_encode ((const guchar *) good_payload, strlen (good_payload));
  none = g_strdup_printf ("%s.%s.", none_header, none_payload);
  g_strdelimit (none, "=", '\0');
  claims = sv_jwt_verify_id_token (none, jwks, strlen (jwks), ISSUER, "viewer", now, &error);
  g_assert_null (claims);
  g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
  g_clear_error (&error);

  claims = sv_jwt_verify_id_token ("garbage", jwks, strlen (jwks), ISSUER, "viewer", now, &error);
  g_assert_null (claims);
  g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
  g_clear_error (&error);

  /* Decoding without verification (for `claims`) works on any JWT. */
  claims = sv_jwt_decode_claims (forged, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (claims, "fhirUser"), ==, "Practitioner/1");

  cjose_jwk_release (key);
  cjose_jwk_release (other);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/auth/pkce/rfc7636-vector", test_pkce_rfc7636_vector);
  g_test_add_func ("/auth/request/url", test_authorization_url);
  g_test_add_func ("/auth/redirect/ok", test_redirect_ok);
  g_test_add_func ("/auth/redirect/state-mismatch", test_redirect_state_mismatch);
  g_test_add_func ("/auth/redirect/idp-error", test_redirect_idp_error);
  g_test_add_func ("/auth/redirect/wrong-uri", test_redirect_wrong_uri);
  g_test_add_func ("/auth/redirect/iss-mismatch", test_redirect_iss_mismatch);
  g_test_add_func ("/auth/profile/validation", test_profile_validation);
  g_test_add_func ("/auth/profile/presets", test_presets);
  g_test_add_func ("/auth/profile/properties", test_profile_properties);
  g_test_add_func ("/auth/profile/store", test_profile_store);
  g_test_add_func ("/auth/discovery/documents", test_discovery_documents);
  g_test_add_func ("/auth/token/response", test_token_response);
  g_test_add_func ("/auth/jwt/id-token", test_id_token_verification);

  return g_test_run ();
}
