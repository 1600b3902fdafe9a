/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-test"

#include "config.h"

#include <libsecret/secret.h>
#include <string.h>

#include "sv-test-wait.h"
#include "sv-token-store.h"

/* The session round trip through a real Secret Service: the throw-away
 * gnome-keyring that tests/run-headless.sh starts. */

static const SecretSchema *
schema (void)
{
  static const SecretSchema s = {
    SV_TOKEN_STORE_SCHEMA_NAME, SECRET_SCHEMA_NONE,
    { { "profile", SECRET_SCHEMA_ATTRIBUTE_STRING }, { "version", SECRET_SCHEMA_ATTRIBUTE_INTEGER }, { NULL, 0 } },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  };
  return &s;
}

static void
on_unavailable (SvTokenStore *store,
                const char   *message,
                guint        *count)
{
  (*count)++;
}

static void
test_round_trip (void)
{
  g_autoptr(SecretService) service = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SvTokenStore) store = NULL;
  g_autoptr(SvStoredSession) stored = sv_stored_session_new ();
  g_autoptr(SvStoredSession) loaded = NULL;
  g_autoptr(SvStoredSession) gone = NULL;
  g_autoptr(GAsyncResult) saved = NULL;
  g_autoptr(GAsyncResult) looked_up = NULL;
  g_autoptr(GAsyncResult) deleted = NULL;
  g_autoptr(GAsyncResult) looked_up_again = NULL;
  g_autofree char *raw = NULL;
  guint unavailable = 0;

  /* secret_service_get_sync (NONE) succeeds even without a provider;
   * opening a session proves there is one. */
  service = secret_service_get_sync (SECRET_SERVICE_OPEN_SESSION, NULL, &error);
  if (service == NULL)
    {
      g_test_skip ("No Secret Service on this bus; run the tests through tests/run-headless.sh");
      return;
    }

  store = sv_token_store_new ();
  g_signal_connect (store, "storage-unavailable", G_CALLBACK (on_unavailable), &unavailable);

  stored->refresh_token = g_strdup ("refresh-round-trip-secret");
  stored->expires_at = 1900000000;
  stored->granted_scope = g_strdup ("openid patient/Patient.rs");
  stored->patient = g_strdup ("p-7");
  stored->patient_source = 2;
  stored->fhir_user = g_strdup ("Practitioner/9");
  stored->issuer = g_strdup ("https://idp.test");

  sv_token_store_save_async (store, "keyring test", stored, NULL, sv_test_store_result, &saved);
  g_assert_true (sv_token_store_save_finish (store, sv_test_wait (&saved), &error));
  g_assert_no_error (error);
  g_assert_false (sv_token_store_get_memory_only (store));
  g_assert_cmpuint (unavailable, ==, 0);

  /* It is really in the keyring: one versioned JSON secret. */
  raw = secret_password_lookup_sync (schema (), NULL, &error,
                                     "profile", "keyring test", "version", SV_TOKEN_STORE_VERSION, NULL);
  g_assert_no_error (error);
  g_assert_nonnull (raw);
  g_assert_nonnull (strstr (raw, "\"version\":1"));
  g_assert_nonnull (strstr (raw, "refresh-round-trip-secret"));

  sv_token_store_lookup_async (store, "keyring test", NULL, sv_test_store_result, &looked_up);
  loaded = sv_token_store_lookup_finish (store, sv_test_wait (&looked_up), &error);
  g_assert_no_error (error);
  g_assert_nonnull (loaded);
  g_assert_cmpstr (loaded->refresh_token, ==, "refresh-round-trip-secret");
  g_assert_cmpint (loaded->expires_at, ==, 1900000000);
  g_assert_cmpstr (loaded->granted_scope, ==, "openid patient/Patient.rs");
  g_assert_cmpstr (loaded->patient, ==, "p-7");
  g_assert_cmpint (loaded->patient_source, ==, 2);
  g_assert_cmpstr (loaded->fhir_user, ==, "Practitioner/9");
  g_assert_cmpstr (loaded->issuer, ==, "https://idp.test");

  sv_token_store_delete_async (store, "keyring test", NULL, sv_test_store_result, &deleted);
  g_assert_true (sv_token_store_delete_finish (store, sv_test_wait (&deleted), &error));
  sv_token_store_lookup_async (store, "keyring test", NULL, sv_test_store_result, &looked_up_again);
  gone = sv_token_store_lookup_finish (store, sv_test_wait (&looked_up_again), &error);
  g_assert_no_error (error);
  g_assert_null (gone);
}

static void
test_client_secret (void)
{
  g_autoptr(SecretService) service = secret_service_get_sync (SECRET_SERVICE_OPEN_SESSION, NULL, NULL);
  g_autoptr(SvTokenStore) store = sv_token_store_new ();
  g_autoptr(GAsyncResult) saved = NULL;
  g_autoptr(GAsyncResult) looked_up = NULL;
  g_autoptr(GAsyncResult) session_lookup = NULL;
  g_autoptr(GAsyncResult) deleted = NULL;
  g_autoptr(GAsyncResult) gone = NULL;
  g_autoptr(SvStoredSession) session = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *after = NULL;

  if (service == NULL)
    {
      g_test_skip ("No Secret Service on this bus; run the tests through tests/run-headless.sh");
      return;
    }

  sv_token_store_save_client_secret_async (store, "confidential", "s3cret", NULL, sv_test_store_result, &saved);
  g_assert_true (sv_token_store_save_client_secret_finish (store, sv_test_wait (&saved), &error));
  g_assert_no_error (error);

  sv_token_store_lookup_client_secret_async (store, "confidential", NULL, sv_test_store_result, &looked_up);
  secret = sv_token_store_lookup_client_secret_finish (store, sv_test_wait (&looked_up), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (secret, ==, "s3cret");

  /* A client secret is not a session. */
  sv_token_store_lookup_async (store, "confidential", NULL, sv_test_store_result, &session_lookup);
  session = sv_token_store_lookup_finish (store, sv_test_wait (&session_lookup), &error);
  g_assert_no_error (error);
  g_assert_null (session);

  sv_token_store_delete_client_secret_async (store, "confidential", NULL, sv_test_store_result, &deleted);
  g_assert_true (sv_token_store_delete_client_secret_finish (store, sv_test_wait (&deleted), &error));
  sv_token_store_lookup_client_secret_async (store, "confidential", NULL, sv_test_store_result, &gone);
  after = sv_token_store_lookup_client_secret_finish (store, sv_test_wait (&gone), &error);
  g_assert_no_error (error);
  g_assert_null (after);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/auth/keyring/round-trip", test_round_trip);
  g_test_add_func ("/auth/keyring/client-secret", test_client_secret);
  return g_test_run ();
}
