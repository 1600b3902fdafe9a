/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "sv-error.h"
#include "sv-fhir-client.h"
#include "sv-static-bearer.h"
#include "sv-test-fhir-server.h"

/* TLS is verified: an https FHIR server whose certificate nobody vouches
 * for is refused. Its own program, because LeakSanitizer cannot stop the
 * TLS backend's threads (it crashes, "Tracer caught signal 11"): the leak
 * checker is off for this one. */

static gboolean
timeout_cb (gpointer data)
{
  g_error ("The test timed out");
  return G_SOURCE_REMOVE;
}

static void
store_result_cb_plain (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
test_tls_verified (void)
{
  const char *tokens[] = { "token-1", NULL };
  g_autofree char *pem = g_test_build_filename (G_TEST_DIST, "fhir-data", "self-signed-test-only.pem", NULL);
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(SvStaticBearer) bearer = sv_static_bearer_new (tokens);
  g_autoptr(SvFhirClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  SvTestFhirServer *server;
  guint timeout;

  certificate = g_tls_certificate_new_from_file (pem, &error);
  g_assert_no_error (error);
  server = sv_test_fhir_server_new_tls (certificate);
  sv_test_fhir_server_add_json (server, "{\"resourceType\":\"Patient\",\"id\":\"p1\"}");
  g_assert_true (g_str_has_prefix (sv_test_fhir_server_get_base_url (server), "https://127.0.0.1:"));

  client = sv_fhir_client_new (sv_test_fhir_server_get_base_url (server), SV_BEARER_SOURCE (bearer), NULL, &error);
  g_assert_no_error (error);

  /* A certificate nobody vouches for is refused before any request is
   * sent: the server never sees the token. */
  sv_fhir_client_read_async (client, "Patient", "p1", NULL, store_result_cb_plain, &result);
  timeout = g_timeout_add_seconds (30, timeout_cb, NULL);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (timeout);
  g_assert_null (sv_fhir_client_read_finish (client, result, &error));
  g_assert_error (error, SV_ERROR, SV_ERROR_NETWORK);
  g_assert_cmpuint (sv_test_fhir_server_count_all (server), ==, 0);

  sv_test_fhir_server_free (server);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fhir-tls/verified", test_tls_verified);
  return g_test_run ();
}
