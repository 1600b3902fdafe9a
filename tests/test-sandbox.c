/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>

#include "sv-error.h"
#include "sv-sandbox.h"
#include "sv-test-sandbox.h"

/* Starts the real smart-sandbox as the app does for "Try the offline
 * sandbox". HOME and XDG_* are the throw-away ones of run-headless.sh. */

static char *
get_text (const char *url,
          guint      *status)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) message = soup_message_new (SOUP_METHOD_GET, url);
  g_autoptr(GBytes) body = soup_session_send_and_read (session, message, NULL, NULL);

  *status = soup_message_get_status (message);
  return body != NULL ? g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body)) : NULL;
}

static void
test_sandbox_parse_ready_line (void)
{
  static const struct { const char *line; gboolean ok; } cases[] = {
    { "smart-sandbox ready fhir=http://127.0.0.1:8400/datastore/0123/r4/ issuer=http://127.0.0.1:8400/realms/smart client_id=smart-viewer", TRUE },
    { "smart-sandbox ready fhir=http://127.0.0.1:1/r4/ issuer=http://localhost:1/x client_id=c\n", TRUE },
    /* Never let a child process point the app at another host. */
    { "smart-sandbox ready fhir=https://evil.example/r4/ issuer=http://127.0.0.1:1/x client_id=c", FALSE },
    { "smart-sandbox ready fhir=http://127.0.0.1:1/r4/ issuer=http://127.0.0.2.evil/x client_id=c", FALSE },
    { "smart-sandbox ready fhir=file:///etc/passwd issuer=http://127.0.0.1:1/x client_id=c", FALSE },
    { "smart-sandbox ready fhir=http://127.0.0.1:1/r4/ issuer=http://127.0.0.1:1/x", FALSE },
    { "smart-sandbox ready fhir=http://127.0.0.1:1/r4/ issuer=http://127.0.0.1:1/x client_id=", FALSE },
    { "smart-sandbox starting", FALSE },
    { "", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *fhir = NULL, *issuer = NULL, *client = NULL;

      g_assert_true (sv_sandbox_parse_ready_line (cases[i].line, &fhir, &issuer, &client) == cases[i].ok);
      g_assert_true ((fhir != NULL) == cases[i].ok);
    }
}

static void
test_sandbox_start_reuse_stop (void)
{
  g_autofree char *executable = sv_sandbox_find_executable ();
  g_autoptr(SvSandbox) first = NULL;
  g_autoptr(SvSandbox) second = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *body = NULL;
  g_autofree char *runtime_file = NULL;
  guint status = 0;

  if (executable == NULL)
    {
      g_test_skip ("smart-sandbox is not built (configure with -Dcompanions=true)");
      return;
    }

  first = sv_sandbox_new (executable, "keycloak");
  g_assert_true (sv_test_sandbox_start (first, &error));
  g_assert_no_error (error);
  g_assert_true (sv_sandbox_get_owned (first));
  g_assert_true (g_str_has_prefix (sv_sandbox_get_fhir_base (first), "http://127.0.0.1:"));
  g_assert_true (g_str_has_suffix (sv_sandbox_get_issuer (first), "/realms/smart"));
  g_assert_cmpstr (sv_sandbox_get_client_id (first), ==, "smart-viewer");

  /* It answers as a SMART server. */
  url = g_strconcat (sv_sandbox_get_fhir_base (first), ".well-known/smart-configuration", NULL);
  body = get_text (url, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (body, "\"S256\""));

  /* A second start for the same user finds the running one. */
  second = sv_sandbox_new (executable, "keycloak");
  g_assert_true (sv_test_sandbox_start (second, &error));
  g_assert_no_error (error);
  g_assert_false (sv_sandbox_get_owned (second));
  g_assert_cmpstr (sv_sandbox_get_fhir_base (second), ==, sv_sandbox_get_fhir_base (first));

  /* Dropping the one that did not start it leaves the sandbox running. */
  g_clear_object (&second);
  g_free (body);
  body = get_text (url, &status);
  g_assert_cmpuint (status, ==, 200);

  /* Stopping the owner stops the process and forgets it. */
  runtime_file = g_build_filename (g_get_user_runtime_dir (), "smart-viewer", "sandbox-keycloak.json", NULL);
  g_assert_true (g_file_test (runtime_file, G_FILE_TEST_EXISTS));
  sv_sandbox_stop (first);
  g_assert_false (g_file_test (runtime_file, G_FILE_TEST_EXISTS));
  for (guint i = 0; i < 100; i++)
    {
      g_free (body);
      body = get_text (url, &status);
      if (status != 200)
        break;
      g_usleep (50000);
    }
  g_assert_cmpuint (status, !=, 200);
}

static void
test_sandbox_missing_executable (void)
{
  g_autoptr(SvSandbox) sandbox = sv_sandbox_new ("/nonexistent/smart-sandbox", "cognito");
  g_autoptr(GError) error = NULL;

  g_assert_false (sv_test_sandbox_start (sandbox, &error));
  g_assert_error (error, SV_ERROR, SV_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "offline sandbox"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/sandbox/parse-ready-line", test_sandbox_parse_ready_line);
  g_test_add_func ("/core/sandbox/start-reuse-stop", test_sandbox_start_reuse_stop);
  g_test_add_func ("/core/sandbox/missing-executable", test_sandbox_missing_executable);

  return g_test_run ();
}
