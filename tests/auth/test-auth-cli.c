/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#define G_LOG_DOMAIN "sv-test"

#include "config.h"

#include <glib/gstdio.h>
#include <libsecret/secret.h>
#include <string.h>

#include "sv-mock-idp.h"
#include "sv-test-wait.h"

/* smart-viewer-cli end to end against the mock IdP, with this test as the
 * browser: it reads the printed URL, follows it to the IdP and from there to
 * the CLI's loopback listener. Then the leak test: no code, token or
 * verifier anywhere under HOME or in anything the CLI printed. */

static const char *cli_path;

typedef struct
{
  SvMockIdp *idp;
  char *root;
  char *home;
  GString *all_output;
} Fixture;

typedef struct
{
  int status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static const char *stdin_path;
static gboolean debug_logs;

static GSubprocess *
spawn (Fixture     *f,
       const char  *out_path,
       const char  *err_path,
       const char **args)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *config = g_build_filename (f->home, ".config", NULL);
  g_autofree char *data = g_build_filename (f->home, ".local", "share", NULL);
  g_autofree char *cache = g_build_filename (f->home, ".cache", NULL);
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  g_subprocess_launcher_setenv (launcher, "HOME", f->home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", cache, TRUE);
  /* The default log level: what a user would see; or every debug message,
   * which must not leak a secret either. */
  if (debug_logs)
    g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "all", TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  /* The launcher does not truncate: start from empty files. */
  g_unlink (out_path);
  g_unlink (err_path);
  g_subprocess_launcher_set_stdout_file_path (launcher, out_path);
  g_subprocess_launcher_set_stderr_file_path (launcher, err_path);
  if (stdin_path != NULL)
    g_subprocess_launcher_set_stdin_file_path (launcher, stdin_path);

  g_ptr_array_add (argv, (char *) cli_path);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  return process;
}

static void
finish (Fixture     *f,
        GSubprocess *process,
        const char  *out_path,
        const char  *err_path,
        Run         *run)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_subprocess_wait_async (process, NULL, sv_test_store_result, &result);
  g_assert_true (g_subprocess_wait_finish (process, sv_test_wait (&result), NULL));
  run->status = g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : -1;
  g_assert_true (g_file_get_contents (out_path, &run->out, NULL, NULL));
  g_assert_true (g_file_get_contents (err_path, &run->err, NULL, NULL));
  g_string_append (f->all_output, run->out);
  g_string_append (f->all_output, run->err);
  g_test_message ("[%.2f s] exit %d\nstdout: %s\nstderr: %s",
                  g_test_timer_elapsed (), run->status, run->out, run->err);
}

static void
cli (Fixture     *f,
     Run         *run,
     const char **args)
{
  g_autofree char *out_path = g_build_filename (f->root, "out.txt", NULL);
  g_autofree char *err_path = g_build_filename (f->root, "err.txt", NULL);
  g_autoptr(GSubprocess) process = spawn (f, out_path, err_path, args);

  run_clear (run);
  finish (f, process, out_path, err_path, run);
}

/* Runs `login`, playing the browser. */
static void
login (Fixture *f,
       Run     *run)
{
  const char *args[] = { "login", "--no-browser", "--timeout", "60", NULL };
  g_autofree char *out_path = g_build_filename (f->root, "login-out.txt", NULL);
  g_autofree char *err_path = g_build_filename (f->root, "login-err.txt", NULL);
  g_autoptr(GSubprocess) process = spawn (f, out_path, err_path, args);
  g_autofree char *url = NULL;
  g_autofree char *redirect = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  const char *prefix = "Open this URL to sign in: ";
  guint status = 0;

  while (url == NULL)
    {
      g_autofree char *text = NULL;
      const char *line;
      const char *end;

      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      /* Serve the CLI's requests to the mock while waiting for its line. */
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (5000);

      if (!g_file_get_contents (out_path, &text, NULL, NULL))
        continue;
      /* The URL is on its own line, starting the line. */
      line = strstr (text, prefix);
      if (line == NULL || (line != text && line[-1] != '\n') || (end = strchr (line, '\n')) == NULL)
        continue;
      url = g_strndup (line + strlen (prefix), (gsize) (end - line - strlen (prefix)));
    }

  g_assert_true (g_str_has_prefix (url, f->idp->issuer));
  redirect = sv_mock_idp_browse (f->idp, url, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (redirect, "http://127.0.0.1:"));

  /* The browser follows the redirect to the CLI's listener. */
  g_free (sv_mock_idp_get_location (redirect, &status));
  g_assert_cmpuint (status, ==, 200);

  run_clear (run);
  finish (f, process, out_path, err_path, run);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_test_timer_start ();
  f->idp = sv_mock_idp_new ();
  g_test_message ("[%.2f s] mock ready", g_test_timer_elapsed ());
  f->root = g_dir_make_tmp ("sv-cli-test-XXXXXX", NULL);
  f->home = g_build_filename (f->root, "home", NULL);
  g_mkdir (f->home, 0700);
  f->all_output = g_string_new (NULL);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  remove_tree (f->root);
  g_free (f->root);
  g_free (f->home);
  g_string_free (f->all_output, TRUE);
  sv_mock_idp_free (f->idp);
}

static void
add_profile (Fixture *f)
{
  const char *args[] = { "profiles", "add", "Mock", "--fhir", f->idp->fhir_base,
                         "--client-id", f->idp->client_id, "--idp", "keycloak", NULL };
  Run run = { 0 };

  cli (f, &run, args);
  g_assert_cmpint (run.status, ==, 0);
  run_clear (&run);
}

static gboolean
have_secret_service (void)
{
  g_autoptr(SecretService) service = secret_service_get_sync (SECRET_SERVICE_OPEN_SESSION, NULL, NULL);

  return service != NULL;
}

/* Scans every file under @dir for the mock's secrets. */
static guint
count_leaks (SvMockIdp  *idp,
             const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint leaks = 0;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *contents = NULL;
      gsize length;

      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        leaks += count_leaks (idp, path);
      else if (g_file_test (path, G_FILE_TEST_IS_REGULAR) &&
               g_file_get_contents (path, &contents, &length, NULL) &&
               sv_mock_idp_text_has_secret (idp, contents, length))
        {
          g_test_message ("a secret leaked into %s", path);
          leaks++;
        }
    }

  return leaks;
}

static void
test_cli_end_to_end (Fixture       *f,
                     gconstpointer  data)
{
  const char *list[] = { "profiles", "list", NULL };
  const char *status_args[] = { "status", NULL };
  const char *claims_args[] = { "claims", "--profile", "Mock", NULL };
  const char *logout_args[] = { "logout", NULL };
  const char *get_args[] = { "get", "Patient/p1", NULL };
  Run run = { 0 };

  add_profile (f);
  cli (f, &run, list);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "Mock"));

  login (f, &run);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "Practitioner/123"));
  g_assert_nonnull (strstr (run.out, "patient-42"));
  g_assert_cmpuint (f->idp->n_code_exchanges, ==, 1);

  if (!have_secret_service ())
    {
      /* Without a keyring the next process cannot know the sign-in. */
      cli (f, &run, status_args);
      g_assert_cmpint (run.status, ==, 1);
      g_assert_nonnull (strstr (run.err, "keyring"));
      g_test_message ("No Secret Service: restore checks skipped; run through tests/run-headless.sh");
    }
  else
    {
      /* A new process restores the session from the keyring. */
      cli (f, &run, status_args);
      g_assert_cmpint (run.status, ==, 0);
      g_assert_nonnull (strstr (run.out, "Practitioner/123"));
      g_assert_nonnull (strstr (run.out, "patient-42"));
      g_assert_nonnull (strstr (run.out, "Granted scopes"));
      g_assert_cmpuint (f->idp->n_refreshes, ==, 1);

      cli (f, &run, get_args);
      g_assert_cmpint (run.status, ==, 0);
      g_assert_nonnull (strstr (run.out, "\"resourceType\":\"Patient\""));

      cli (f, &run, claims_args);
      g_assert_cmpint (run.status, ==, 0);
      g_assert_nonnull (strstr (run.out, "\"client_id\""));
      g_assert_nonnull (strstr (run.out, "\"fhirUser\""));

      cli (f, &run, logout_args);
      g_assert_cmpint (run.status, ==, 0);
      g_assert_cmpuint (f->idp->n_revocations, ==, 1);

      cli (f, &run, status_args);
      g_assert_cmpint (run.status, ==, 1);
      g_assert_nonnull (strstr (run.err, "not signed in"));
    }

  /* The leak test. */
  g_assert_false (sv_mock_idp_text_has_secret (f->idp, f->all_output->str, f->all_output->len));
  g_assert_cmpuint (count_leaks (f->idp, f->home), ==, 0);
  /* The HOME of the whole run holds the keyring files; scan it when it is
   * the throw-away one of tests/run-headless.sh, never a real user's. */
  if (g_str_has_prefix (g_get_home_dir (), g_get_tmp_dir ()))
    g_assert_cmpuint (count_leaks (f->idp, g_get_home_dir ()), ==, 0);
  else
    g_test_message ("HOME is not a temporary folder; only the CLI's HOME was scanned");
  g_assert_cmpuint (f->idp->secrets->len, >, 3);
  run_clear (&run);
}

static void
test_cli_failures (Fixture       *f,
                   gconstpointer  data)
{
  const char *insecure[] = { "profiles", "add", "Bad", "--fhir", "http://fhir.invalid/r4",
                             "--client-id", "x", NULL };
  const char *missing[] = { "profiles", "add", "Bad", "--fhir", "https://fhir.invalid/r4", NULL };
  const char *unknown[] = { "status", "--profile", "Nope", NULL };
  Run run = { 0 };

  cli (f, &run, insecure);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "https://"));

  cli (f, &run, missing);
  g_assert_cmpint (run.status, ==, 2);

  add_profile (f);
  cli (f, &run, unknown);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "Nope"));

  /* A forged state in the redirect ends the login with an explanation. */
  f->idp->redirect_state = g_strdup ("forged");
  login (f, &run);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "state"));
  g_assert_cmpuint (f->idp->n_code_exchanges, ==, 0);
  g_clear_pointer (&f->idp->redirect_state, g_free);

  /* The IdP refuses. */
  f->idp->redirect_error = g_strdup ("access_denied");
  login (f, &run);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "refused"));
  run_clear (&run);
}

static void
test_cli_confidential_client (Fixture       *f,
                              gconstpointer  data)
{
  const char *add[] = { "profiles", "add", "Workshop", "--fhir", f->idp->fhir_base,
                        "--client-id", f->idp->client_id, "--client-secret-stdin", NULL };
  const char *remove[] = { "profiles", "remove", "Workshop", NULL };
  const char *secret = "workshop-client-secret-7f3a";
  g_autofree char *path = g_build_filename (f->root, "secret.txt", NULL);
  g_autofree char *expected = g_strconcat (f->idp->client_id, ":", secret, NULL);
  Run run = { 0 };

  if (!have_secret_service ())
    {
      g_test_skip ("A client secret needs a keyring; run through tests/run-headless.sh");
      return;
    }

  g_ptr_array_add (f->idp->secrets, g_strdup (secret));
  g_assert_true (g_file_set_contents (path, secret, -1, NULL));
  stdin_path = path;
  cli (f, &run, add);
  stdin_path = NULL;
  g_assert_cmpint (run.status, ==, 0);

  debug_logs = TRUE;
  login (f, &run);
  debug_logs = FALSE;
  g_assert_cmpint (run.status, ==, 0);
  /* GLib writes debug messages to stdout. */
  g_assert_true (strstr (run.out, "sv-core-DEBUG") != NULL || strstr (run.err, "sv-core-DEBUG") != NULL);
  /* client_secret_basic, and the secret nowhere but the keyring. */
  g_assert_cmpstr (f->idp->basic_auth, ==, expected);
  g_unlink (path);
  g_assert_false (sv_mock_idp_text_has_secret (f->idp, f->all_output->str, f->all_output->len));
  g_assert_cmpuint (count_leaks (f->idp, f->home), ==, 0);

  cli (f, &run, remove);
  g_assert_cmpint (run.status, ==, 0);
  run_clear (&run);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  cli_path = argc > 1 ? argv[1] : g_getenv ("SV_CLI");
  if (cli_path == NULL)
    {
      g_printerr ("usage: test-auth-cli PATH-TO-smart-viewer-cli\n");
      return 2;
    }

  g_test_add ("/auth/cli/end-to-end", Fixture, NULL, fixture_set_up, test_cli_end_to_end, fixture_tear_down);
  g_test_add ("/auth/cli/confidential-client", Fixture, NULL, fixture_set_up, test_cli_confidential_client,
              fixture_tear_down);
  g_test_add ("/auth/cli/failures", Fixture, NULL, fixture_set_up, test_cli_failures, fixture_tear_down);

  return g_test_run ();
}
