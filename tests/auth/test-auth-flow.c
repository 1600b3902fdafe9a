/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-test"

#include "config.h"

#include <string.h>

#include "sv-discovery.h"
#include "sv-error.h"
#include "sv-http.h"
#include "sv-loopback-redirect.h"
#include "sv-mock-idp.h"
#include "sv-session.h"
#include "sv-test-wait.h"
#include "sv-token-store.h"

/* Discovery, sign-in, refresh and sign-out against an IdP and FHIR server
 * played by this process on 127.0.0.1. */

typedef struct
{
  SvMockIdp *idp;
  SvServerProfile *profile;
  SoupSession *http;
  SvTokenStore *store;
  SvDiscovery *discovery;
  SvSession *session;
  guint sign_in_required;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *name = g_strdup_printf ("flow %s", g_test_get_path ());

  f->idp = sv_mock_idp_new ();
  f->profile = sv_server_profile_new (name);
  sv_server_profile_set_fhir_base_url (f->profile, f->idp->fhir_base);
  sv_server_profile_set_client_id (f->profile, f->idp->client_id);
  sv_server_profile_set_redirect_mode (f->profile, SV_REDIRECT_BROWSER);
  f->http = sv_http_session_new ();
  f->store = sv_token_store_new ();
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  if (f->store != NULL && f->profile != NULL)
    {
      g_autoptr(GAsyncResult) result = NULL;

      sv_token_store_delete_async (f->store, sv_server_profile_get_name (f->profile), NULL,
                                   sv_test_store_result, &result);
      sv_token_store_delete_finish (f->store, sv_test_wait (&result), NULL);
    }
  g_clear_object (&f->session);
  g_clear_object (&f->discovery);
  g_clear_object (&f->store);
  g_clear_object (&f->http);
  g_clear_object (&f->profile);
  g_clear_pointer (&f->idp, sv_mock_idp_free);
}

static SvDiscovery *
discover (Fixture  *f,
          GError  **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  sv_discovery_fetch_async (f->profile, f->http, NULL, sv_test_store_result, &result);
  return sv_discovery_fetch_finish (sv_test_wait (&result), error);
}

static void
on_sign_in_required (SvSession  *session,
                     const char *reason,
                     Fixture    *f)
{
  f->sign_in_required++;
}

static void
make_session (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  f->discovery = discover (f, &error);
  g_assert_no_error (error);
  f->session = sv_session_new (f->profile, f->discovery, f->http, f->store, NULL);
  sv_session_set_auto_refresh (f->session, FALSE);
  g_signal_connect (f->session, "sign-in-required", G_CALLBACK (on_sign_in_required), f);
}

/* The whole front-channel dance, with the test as the browser. */
static gboolean
sign_in (Fixture  *f,
         GError  **error)
{
  g_autoptr(SvAuthorizationRequest) request = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *url = NULL;
  g_autofree char *redirect = NULL;
  const char *redirect_uri = "http://127.0.0.1:1/oauth2redirect";

  if (f->session == NULL)
    make_session (f);

  request = sv_session_new_authorization_request (f->session, redirect_uri, error);
  g_assert_nonnull (request);
  url = sv_authorization_request_dup_url (request);
  redirect = sv_mock_idp_browse (f->idp, url, error);
  g_assert_nonnull (redirect);
  g_assert_true (g_str_has_prefix (redirect, redirect_uri));

  sv_session_sign_in_async (f->session, request, redirect, NULL, sv_test_store_result, &result);
  return sv_session_sign_in_finish (f->session, sv_test_wait (&result), error);
}

static void
test_discovery_smart (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvDiscovery) discovery = NULL;
  g_autofree char *scopes = NULL;

  f->idp->discovery_v2 = TRUE;
  discovery = discover (f, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sv_discovery_get_source (discovery), ==, SV_DISCOVERY_SOURCE_SMART);
  g_assert_cmpstr (sv_discovery_get_issuer (discovery), ==, f->idp->issuer);
  g_assert_true (g_str_has_suffix (sv_discovery_get_token_endpoint (discovery), "/idp/token"));
  scopes = sv_discovery_dup_default_scopes (discovery);
  g_assert_nonnull (strstr (scopes, "patient/Condition.rs"));
}

static void
test_discovery_openid_fallback (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvDiscovery) discovery = NULL;
  g_autofree char *scopes = NULL;

  f->idp->discovery_status = SOUP_STATUS_UNAUTHORIZED;
  sv_server_profile_set_issuer (f->profile, f->idp->issuer);
  discovery = discover (f, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sv_discovery_get_source (discovery), ==, SV_DISCOVERY_SOURCE_OPENID);
  g_assert_nonnull (sv_discovery_get_jwks_uri (discovery));
  /* Without SMART capabilities, v1 scopes. */
  scopes = sv_discovery_dup_default_scopes (discovery);
  g_assert_nonnull (strstr (scopes, "patient/Condition.read"));
}

static void
test_discovery_profile_fallback (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvDiscovery) discovery = NULL;
  g_autofree char *authorize = g_strconcat (f->idp->issuer, "/authorize", NULL);
  g_autofree char *token = g_strconcat (f->idp->issuer, "/token", NULL);

  f->idp->discovery_status = SOUP_STATUS_FORBIDDEN;
  discovery = discover (f, &error);
  g_assert_null (discovery);
  g_assert_error (error, SV_ERROR, SV_ERROR_DENIED);
  g_assert_nonnull (strstr (error->message, "403"));
  g_clear_error (&error);

  sv_server_profile_set_authorization_endpoint (f->profile, authorize);
  sv_server_profile_set_token_endpoint (f->profile, token);
  discovery = discover (f, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sv_discovery_get_source (discovery), ==, SV_DISCOVERY_SOURCE_PROFILE);
  g_assert_cmpstr (sv_discovery_get_token_endpoint (discovery), ==, token);
}

static void
test_discovery_failures (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvDiscovery) discovery = NULL;

  f->idp->discovery_plain_only = TRUE;
  discovery = discover (f, &error);
  g_assert_null (discovery);
  g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "S256"));
  g_clear_error (&error);

  f->idp->discovery_plain_only = FALSE;
  f->idp->discovery_not_json = TRUE;
  discovery = discover (f, &error);
  g_assert_null (discovery);
  g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "JSON"));
  g_clear_error (&error);

  f->idp->discovery_not_json = FALSE;
  f->idp->discovery_status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
  discovery = discover (f, &error);
  g_assert_null (discovery);
  g_assert_error (error, SV_ERROR, SV_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, "500"));
  g_clear_error (&error);

  /* Plain http to anything but loopback is refused before any request. */
  sv_server_profile_set_fhir_base_url (f->profile, "http://fhir.invalid/r4");
  discovery = discover (f, &error);
  g_assert_null (discovery);
  g_assert_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT);
  g_assert_cmpuint (f->idp->n_authorize, ==, 0);
}

static void
test_sign_in_ok (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) missing = NULL;

  f->idp->granted_scope = g_strdup ("openid fhirUser launch/patient offline_access patient/Patient.read");
  g_assert_true (sign_in (f, &error));
  g_assert_no_error (error);

  g_assert_cmpstr (g_hash_table_lookup (f->idp->last_authorize, "aud"), ==, f->idp->fhir_base);
  g_assert_cmpstr (g_hash_table_lookup (f->idp->last_authorize, "code_challenge_method"), ==, "S256");
  g_assert_false (f->idp->basic_auth_seen);

  g_assert_true (sv_session_is_signed_in (f->session));
  g_assert_cmpstr (sv_session_get_fhir_user (f->session), ==, "Practitioner/123");
  g_assert_cmpstr (sv_session_get_patient (f->session), ==, "patient-42");
  g_assert_cmpint (sv_session_get_patient_source (f->session), ==, SV_PATIENT_SOURCE_TOKEN_RESPONSE);
  g_assert_cmpstr (sv_session_get_granted_scope (f->session), ==, f->idp->granted_scope);
  missing = sv_session_dup_missing_scopes (f->session);
  g_assert_true (g_strv_contains ((const char * const *) missing, "patient/Condition.read"));
  g_assert_false (g_strv_contains ((const char * const *) missing, "patient/Patient.read"));
  g_assert_cmpint (sv_session_get_expires_at (f->session), >, g_get_real_time () / G_USEC_PER_SEC + 3000);
}

static void
test_patient_sources (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  /* Cognito: no top-level patient, a claim in the access token. */
  sv_server_profile_set_idp_kind (f->profile, SV_IDP_COGNITO);
  f->idp->patient_in_response = FALSE;
  f->idp->access_claim_name = g_strdup ("custom:patient");
  g_assert_true (sign_in (f, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (sv_session_get_patient (f->session), ==, "patient-42");
  g_assert_cmpint (sv_session_get_patient_source (f->session), ==, SV_PATIENT_SOURCE_ACCESS_TOKEN);

  /* Keycloak-style: `patient_id` in the id_token only. */
  sv_server_profile_set_idp_kind (f->profile, SV_IDP_KEYCLOAK);
  g_clear_pointer (&f->idp->access_claim_name, g_free);
  f->idp->id_claim_name = g_strdup ("patient_id");
  g_assert_true (sign_in (f, &error));
  g_assert_no_error (error);
  g_assert_cmpint (sv_session_get_patient_source (f->session), ==, SV_PATIENT_SOURCE_ID_TOKEN);

  /* Nowhere: the app must offer the picker. */
  g_clear_pointer (&f->idp->id_claim_name, g_free);
  g_assert_true (sign_in (f, &error));
  g_assert_no_error (error);
  g_assert_null (sv_session_get_patient (f->session));
  g_assert_cmpint (sv_session_get_patient_source (f->session), ==, SV_PATIENT_SOURCE_NONE);
  /* patient/ scopes only: no picker. */
  g_assert_false (sv_session_can_search_patients (f->session));

  f->idp->granted_scope = g_strdup ("openid user/Patient.rs user/Condition.rs");
  g_assert_true (sign_in (f, &error));
  g_assert_true (sv_session_can_search_patients (f->session));
}

static void
test_sign_in_refused (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->idp->token_status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
  g_assert_false (sign_in (f, &error));
  g_assert_error (error, SV_ERROR, SV_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, "500"));
  g_assert_false (sv_session_is_signed_in (f->session));
  g_clear_error (&error);
  f->idp->token_status = SOUP_STATUS_OK;

  f->idp->id_token_mode = MOCK_ID_TOKEN_EXPIRED;
  g_assert_false (sign_in (f, &error));
  g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "expired"));
  g_assert_false (sv_session_is_signed_in (f->session));
  g_clear_error (&error);

  f->idp->id_token_mode = MOCK_ID_TOKEN_WRONG_AUDIENCE;
  g_assert_false (sign_in (f, &error));
  g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
  g_clear_error (&error);

  f->idp->id_token_mode = MOCK_ID_TOKEN_BAD_SIGNATURE;
  g_assert_false (sign_in (f, &error));
  g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "signature"));
  g_assert_null (sv_session_get_fhir_user (f->session));
  g_clear_error (&error);
}

static void
test_redirect_refused (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->idp->redirect_state = g_strdup ("forged");
  g_assert_false (sign_in (f, &error));
  g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
  g_clear_error (&error);
  g_clear_pointer (&f->idp->redirect_state, g_free);

  f->idp->redirect_iss = g_strdup ("https://mix-up.invalid");
  g_assert_false (sign_in (f, &error));
  g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
  g_clear_error (&error);
  g_clear_pointer (&f->idp->redirect_iss, g_free);

  f->idp->redirect_error = g_strdup ("access_denied");
  g_assert_false (sign_in (f, &error));
  g_assert_error (error, SV_ERROR, SV_ERROR_DENIED);
  g_assert_nonnull (strstr (error->message, "The user said no"));

  /* None of these reached the token endpoint. */
  g_assert_cmpuint (f->idp->n_code_exchanges, ==, 0);
}

typedef struct
{
  GAsyncResult *a;
  GAsyncResult *b;
} Pair;

static void
test_refresh_single_flight (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *old = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *third = NULL;
  g_autofree char *fourth = NULL;
  Pair pair = { NULL, NULL };
  Pair again = { NULL, NULL };

  g_assert_true (sign_in (f, &error));
  old = g_strdup (f->idp->current_access);

  /* Two requests got 401 with the same token at the same time. */
  sv_session_handle_unauthorized_async (f->session, old, NULL, sv_test_store_result, &pair.a);
  sv_session_handle_unauthorized_async (f->session, old, NULL, sv_test_store_result, &pair.b);
  first = sv_session_handle_unauthorized_finish (f->session, sv_test_wait (&pair.a), &error);
  g_assert_no_error (error);
  second = sv_session_handle_unauthorized_finish (f->session, sv_test_wait (&pair.b), &error);
  g_assert_no_error (error);
  g_clear_object (&pair.a);
  g_clear_object (&pair.b);

  g_assert_cmpuint (f->idp->n_refreshes, ==, 1);
  g_assert_cmpstr (first, ==, second);
  g_assert_cmpstr (first, !=, old);
  g_assert_cmpstr (first, ==, f->idp->current_access);

  /* A late 401 for the old token does not refresh again. */
  sv_session_handle_unauthorized_async (f->session, old, NULL, sv_test_store_result, &pair.a);
  third = sv_session_handle_unauthorized_finish (f->session, sv_test_wait (&pair.a), &error);
  g_clear_object (&pair.a);
  g_assert_cmpstr (third, ==, first);
  g_assert_cmpuint (f->idp->n_refreshes, ==, 1);

  /* A short-lived token is used until half of it is gone, not refreshed
   * for every request because it lives shorter than the usual margin. */
  f->idp->expires_in = 30;
  sv_session_handle_unauthorized_async (f->session, first, NULL, sv_test_store_result, &pair.a);
  g_free (sv_session_handle_unauthorized_finish (f->session, sv_test_wait (&pair.a), &error));
  g_clear_object (&pair.a);
  g_assert_cmpuint (f->idp->n_refreshes, ==, 2);
  sv_session_get_access_token_async (f->session, NULL, sv_test_store_result, &again.a);
  g_free (sv_session_get_access_token_finish (f->session, sv_test_wait (&again.a), &error));
  g_assert_no_error (error);
  g_clear_object (&again.a);
  g_assert_cmpuint (f->idp->n_refreshes, ==, 2);

  /* A token about to expire is refreshed once for two concurrent users. */
  f->idp->expires_in = 1;
  sv_session_handle_unauthorized_async (f->session, f->idp->current_access, NULL, sv_test_store_result, &pair.a);
  g_free (sv_session_handle_unauthorized_finish (f->session, sv_test_wait (&pair.a), &error));
  g_clear_object (&pair.a);
  g_assert_cmpuint (f->idp->n_refreshes, ==, 3);
  while (g_get_real_time () / G_USEC_PER_SEC < sv_session_get_expires_at (f->session))
    g_usleep (G_USEC_PER_SEC / 20);
  sv_session_get_access_token_async (f->session, NULL, sv_test_store_result, &again.a);
  sv_session_get_access_token_async (f->session, NULL, sv_test_store_result, &again.b);
  fourth = sv_session_get_access_token_finish (f->session, sv_test_wait (&again.a), &error);
  g_assert_no_error (error);
  g_free (sv_session_get_access_token_finish (f->session, sv_test_wait (&again.b), &error));
  g_assert_no_error (error);
  g_clear_object (&again.a);
  g_clear_object (&again.b);
  g_assert_cmpuint (f->idp->n_refreshes, ==, 4);
  g_assert_cmpstr (fourth, ==, f->idp->current_access);
}

static void
test_refresh_invalid_grant (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *token = NULL;

  g_assert_true (sign_in (f, &error));
  f->idp->refresh_invalid_grant = TRUE;

  sv_session_handle_unauthorized_async (f->session, f->idp->current_access, NULL, sv_test_store_result, &result);
  token = sv_session_handle_unauthorized_finish (f->session, sv_test_wait (&result), &error);
  g_assert_null (token);
  g_assert_error (error, SV_ERROR, SV_ERROR_NOT_SIGNED_IN);
  g_assert_nonnull (strstr (error->message, "Sign in again"));
  g_assert_cmpuint (f->sign_in_required, ==, 1);
  g_assert_false (sv_session_is_signed_in (f->session));
}

static void
test_restore_and_sign_out (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) restored = NULL;
  g_autoptr(GAsyncResult) token_result = NULL;
  g_autoptr(GAsyncResult) out = NULL;
  g_autoptr(GAsyncResult) lookup = NULL;
  g_autoptr(GAsyncResult) restored_again = NULL;
  g_autoptr(SvSession) second = NULL;
  g_autoptr(SvSession) third = NULL;
  g_autoptr(SvStoredSession) stored = NULL;
  g_autofree char *token = NULL;

  g_assert_true (sign_in (f, &error));

  /* A new process: only the store is shared. */
  second = sv_session_new (f->profile, f->discovery, f->http, f->store, NULL);
  sv_session_set_auto_refresh (second, FALSE);
  sv_session_restore_async (second, NULL, sv_test_store_result, &restored);
  g_assert_true (sv_session_restore_finish (second, sv_test_wait (&restored), &error));
  g_assert_no_error (error);
  g_assert_cmpstr (sv_session_get_patient (second), ==, "patient-42");
  g_assert_cmpstr (sv_session_get_fhir_user (second), ==, "Practitioner/123");

  sv_session_get_access_token_async (second, NULL, sv_test_store_result, &token_result);
  token = sv_session_get_access_token_finish (second, sv_test_wait (&token_result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, f->idp->current_access);
  g_assert_cmpuint (f->idp->n_refreshes, ==, 1);

  /* The mock rotates refresh tokens: a third process only works if the
   * rotated one was stored. */
  third = sv_session_new (f->profile, f->discovery, f->http, f->store, NULL);
  sv_session_set_auto_refresh (third, FALSE);
  sv_session_restore_async (third, NULL, sv_test_store_result, &restored_again);
  g_assert_true (sv_session_restore_finish (third, sv_test_wait (&restored_again), &error));

  sv_session_sign_out_async (third, NULL, sv_test_store_result, &out);
  g_assert_true (sv_session_sign_out_finish (third, sv_test_wait (&out), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->idp->n_revocations, ==, 1);
  g_assert_null (f->idp->current_refresh);
  g_assert_false (sv_session_is_signed_in (third));

  sv_token_store_lookup_async (f->store, sv_server_profile_get_name (f->profile), NULL,
                               sv_test_store_result, &lookup);
  stored = sv_token_store_lookup_finish (f->store, sv_test_wait (&lookup), &error);
  g_assert_no_error (error);
  g_assert_null (stored);
}

static void
test_refresh_before_expiry (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *old = NULL;
  gint64 deadline;

  /* 2 s of lifetime: the timer fires when half of it is used, within a
   * second or two (a long-lived token's timer fires a minute early). */
  f->idp->expires_in = 2;
  make_session (f);
  sv_session_set_auto_refresh (f->session, TRUE);
  g_assert_true (sign_in (f, &error));
  old = g_strdup (f->idp->current_access);
  g_assert_cmpuint (f->idp->n_refreshes, ==, 0);

  f->idp->expires_in = 3600;
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (f->idp->n_refreshes == 0 || sv_session_get_expires_at (f->session) < g_get_real_time () / G_USEC_PER_SEC + 600)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }

  g_assert_cmpuint (f->idp->n_refreshes, ==, 1);
  g_assert_cmpstr (f->idp->current_access, !=, old);
  g_assert_true (sv_session_is_signed_in (f->session));
}

static GBytes *
fetch (Fixture     *f,
       const char  *url,
       guint       *status,
       GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  sv_session_fetch_async (f->session, url, NULL, sv_test_store_result, &result);
  return sv_session_fetch_finish (f->session, sv_test_wait (&result), status, error);
}

static void
test_fetch (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *absolute = NULL;
  guint status = 0;

  g_assert_true (sign_in (f, &error));

  body = fetch (f, "Patient/p1", &status, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (body, NULL), g_bytes_get_size (body), "\"Patient\""));
  g_assert_cmpuint (f->idp->n_fhir, ==, 1);
  g_clear_pointer (&body, g_bytes_unref);

  /* The server stops accepting the token: one refresh, one retry. */
  g_free (f->idp->current_access);
  f->idp->current_access = g_strdup ("revoked-by-the-server");
  absolute = g_strconcat (f->idp->fhir_base, "/Patient/p1", NULL);
  body = fetch (f, absolute, &status, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (f->idp->n_refreshes, ==, 1);
  g_assert_cmpuint (f->idp->n_fhir, ==, 3);
  g_clear_pointer (&body, g_bytes_unref);

  /* A server that never accepts: no endless loop. */
  f->idp->fhir_always_unauthorized = TRUE;
  body = fetch (f, "Patient/p1", &status, &error);
  g_assert_null (body);
  g_assert_error (error, SV_ERROR, SV_ERROR_NOT_SIGNED_IN);
  g_assert_cmpuint (f->idp->n_refreshes, ==, 2);
  g_assert_cmpuint (f->idp->n_fhir, ==, 5);
  g_clear_error (&error);
  f->idp->fhir_always_unauthorized = FALSE;

  /* Never to another origin. */
  body = fetch (f, "https://elsewhere.invalid/fhir/Patient/p1", &status, &error);
  g_assert_null (body);
  g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
  g_clear_error (&error);
  body = fetch (f, "//elsewhere.invalid/fhir/Patient/p1", &status, &error);
  g_assert_null (body);
  g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
  g_clear_error (&error);
  g_assert_cmpuint (f->idp->n_fhir, ==, 5);
}

static void
test_loopback_redirect (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvLoopbackRedirect) listener = sv_loopback_redirect_new (0, &error);
  g_autoptr(SvLoopbackRedirect) busy = NULL;
  g_autoptr(SvLoopbackRedirect) cancelled = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) cancelled_result = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *other = NULL;
  g_autofree char *hit = NULL;
  g_autofree char *received = NULL;
  g_autofree char *none = NULL;
  guint status = 0;

  g_assert_no_error (error);
  g_assert_cmpuint (sv_loopback_redirect_get_port (listener), >, 0);
  uri = sv_loopback_redirect_dup_redirect_uri (listener);
  g_assert_true (g_str_has_prefix (uri, "http://127.0.0.1:"));
  g_assert_true (g_str_has_suffix (uri, "/oauth2redirect"));

  /* The port is taken: a second listener on it explains itself. */
  busy = sv_loopback_redirect_new (sv_loopback_redirect_get_port (listener), &error);
  g_assert_null (busy);
  g_assert_error (error, SV_ERROR, SV_ERROR_FAILED);
  g_clear_error (&error);

  sv_loopback_redirect_wait_async (listener, NULL, sv_test_store_result, &result);

  /* Other paths are not the redirect. */
  other = g_strdup_printf ("http://127.0.0.1:%u/favicon.ico", sv_loopback_redirect_get_port (listener));
  g_free (sv_mock_idp_get_location (other, &status));
  g_assert_cmpuint (status, ==, 404);
  g_assert_null (result);

  hit = g_strconcat (uri, "?code=c&state=s", NULL);
  g_free (sv_mock_idp_get_location (hit, &status));
  g_assert_cmpuint (status, ==, 200);
  received = sv_loopback_redirect_wait_finish (listener, sv_test_wait (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (received, ==, hit);

  /* The user's Cancel ends the wait. */
  cancelled = sv_loopback_redirect_new (0, &error);
  sv_loopback_redirect_wait_async (cancelled, cancellable, sv_test_store_result, &cancelled_result);
  g_cancellable_cancel (cancellable);
  none = sv_loopback_redirect_wait_finish (cancelled, sv_test_wait (&cancelled_result), &error);
  g_assert_null (none);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/auth/discovery/smart", test_discovery_smart);
  ADD ("/auth/discovery/openid-fallback", test_discovery_openid_fallback);
  ADD ("/auth/discovery/profile-fallback", test_discovery_profile_fallback);
  ADD ("/auth/discovery/failures", test_discovery_failures);
  ADD ("/auth/sign-in/ok", test_sign_in_ok);
  ADD ("/auth/sign-in/patient-sources", test_patient_sources);
  ADD ("/auth/sign-in/refused", test_sign_in_refused);
  ADD ("/auth/sign-in/redirect-refused", test_redirect_refused);
  ADD ("/auth/refresh/single-flight", test_refresh_single_flight);
  ADD ("/auth/refresh/invalid-grant", test_refresh_invalid_grant);
  ADD ("/auth/refresh/before-expiry", test_refresh_before_expiry);
  ADD ("/auth/session/restore-and-sign-out", test_restore_and_sign_out);
  ADD ("/auth/loopback/redirect", test_loopback_redirect);
  ADD ("/auth/session/fetch", test_fetch);

  return g_test_run ();
}
