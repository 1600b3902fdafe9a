/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "sv-test-sandbox.h"

#include <string.h>
#include <unistd.h>

#include "auth/sv-test-wait.h"

/* Helpers for the GTK-free tests that run the real smart-sandbox. */

static gboolean
on_wait_timeout (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/**
 * sv_test_wait_until:
 *
 * Runs the main loop until check() holds; fails the test after @seconds
 * (a bound, not a timing assertion).
 */
void
sv_test_wait_until (gboolean  (*check) (gpointer data),
                    gpointer    data,
                    guint       seconds,
                    const char *what)
{
  gboolean timed_out = FALSE;
  guint timeout = g_timeout_add_seconds (seconds, on_wait_timeout, &timed_out);

  while (!check (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    g_error ("gave up waiting for %s", what);
  g_source_remove (timeout);
}

typedef struct
{
  gboolean  done;
  gboolean  ok;
  GError   *error;
} StartData;

static void
on_started (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  StartData *data = user_data;

  data->ok = sv_sandbox_start_finish (SV_SANDBOX (source), result, &data->error);
  data->done = TRUE;
}

/**
 * sv_test_sandbox_start:
 *
 * Starts (or finds) the sandbox and runs the main loop until it is ready.
 * The first start generates the population, so this may take a moment.
 */
gboolean
sv_test_sandbox_start (SvSandbox  *sandbox,
                       GError    **error)
{
  StartData data = { FALSE, FALSE, NULL };

  sv_sandbox_start_async (sandbox, NULL, on_started, &data);
  while (!data.done)
    g_main_context_iteration (NULL, TRUE);

  if (data.error != NULL)
    g_propagate_error (error, data.error);
  return data.ok;
}

/**
 * sv_test_http_request:
 *
 * One blocking request, with an optional bearer token and form body.
 *
 * Returns: the HTTP status
 */
guint
sv_test_http_request (SoupSession  *session,
                      const char   *method,
                      const char   *url,
                      const char   *bearer,
                      const char   *form,
                      char        **body_out)
{
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (msg);
  if (bearer != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", bearer, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", value);
    }
  if (form != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (form, strlen (form));

      soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", bytes);
    }
  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  if (body_out != NULL)
    *body_out = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  return soup_message_get_status (msg);
}

static void
on_communicated (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/**
 * sv_test_sandbox_browse:
 * @authorization_url: the app's authorization request
 * @error: return location for an error
 *
 * Plays the person at the sandbox's sign-in pages with
 * tests/sandbox_browser.py (clinician / demo, the first patient, consent
 * to everything) and stops at the app's redirect without opening it.
 *
 * Returns: (transfer full) (nullable): the redirect address, with the code
 */
char *
sv_test_sandbox_browse (const char  *authorization_url,
                        GError     **error)
{
  return sv_test_sandbox_browse_for (authorization_url, NULL, error);
}

/**
 * sv_test_sandbox_browse_for:
 * @authorization_url: the app's authorization request
 * @patient: (nullable): the patient to pick; %NULL for the first one
 * @error: return location for an error
 *
 * Like sv_test_sandbox_browse(), picking @patient in the patient picker.
 *
 * Returns: (transfer full) (nullable): the redirect address, with the code
 */
char *
sv_test_sandbox_browse_for (const char  *authorization_url,
                            const char  *patient,
                            GError     **error)
{
  const char *script = "import sys; sys.path.insert(0, sys.argv[2]); "
                       "from sandbox_browser import play_browser; "
                       "print(play_browser(sys.argv[1], sys.argv[3] or None, follow_redirect=False)[1])";
  g_autoptr(GSubprocess) python = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *out = NULL;

  python = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, error,
                             "python3", "-c", script, authorization_url,
                             g_test_get_dir (G_TEST_DIST), patient != NULL ? patient : "", NULL);
  if (python == NULL)
    return NULL;
  /* The main loop keeps running: the sandbox may be our child, and its
   * output is read there. */
  g_subprocess_communicate_utf8_async (python, NULL, NULL, on_communicated, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  if (!g_subprocess_communicate_utf8_finish (python, result, &out, NULL, error))
    return NULL;
  if (!g_subprocess_get_if_exited (python) || g_subprocess_get_exit_status (python) != 0 || out == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the scripted browser failed");
      return NULL;
    }
  return g_strdup (g_strstrip (out));
}

/**
 * sv_test_sandbox_sign_in:
 * @fhir_base: the sandbox's FHIR base
 * @client_id: its public client
 * @http: the application's HTTP session
 * @patient: (nullable): the patient to pick in the sandbox's picker
 * @scopes: (nullable): the scopes to ask for; %NULL for the app's defaults
 *
 * Signs in as the clinician through the app's own SvSession (discovery,
 * PKCE, code exchange, id_token check), the test being the browser.
 *
 * Returns: (transfer full): the signed-in session
 */
SvSession *
sv_test_sandbox_sign_in (const char  *fhir_base,
                         const char  *client_id,
                         SoupSession *http,
                         const char  *patient,
                         const char  *scopes)
{
  static guint n_profiles;
  const char *redirect_uri = "http://127.0.0.1:1/oauth2redirect";
  g_autofree char *name = g_strdup_printf ("test-sandbox-%d-%u", (int) getpid (), ++n_profiles);
  g_autoptr(SvServerProfile) profile = sv_server_profile_new (name);
  g_autoptr(SvTokenStore) store = sv_token_store_new ();
  g_autoptr(SvDiscovery) discovery = NULL;
  g_autoptr(SvSession) session = NULL;
  g_autoptr(SvAuthorizationRequest) request = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) signed_in = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *redirect = NULL;

  sv_server_profile_set_fhir_base_url (profile, fhir_base);
  sv_server_profile_set_client_id (profile, client_id);
  sv_server_profile_set_redirect_mode (profile, SV_REDIRECT_BROWSER);
  if (scopes != NULL)
    sv_server_profile_set_scopes (profile, scopes);

  sv_discovery_fetch_async (profile, http, NULL, sv_test_store_result, &result);
  discovery = sv_discovery_fetch_finish (sv_test_wait (&result), &error);
  g_assert_no_error (error);

  session = sv_session_new (profile, discovery, http, store, NULL);
  request = sv_session_new_authorization_request (session, redirect_uri, &error);
  g_assert_no_error (error);
  url = sv_authorization_request_dup_url (request);
  redirect = sv_test_sandbox_browse_for (url, patient, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (redirect, redirect_uri));

  sv_session_sign_in_async (session, request, redirect, NULL, sv_test_store_result, &signed_in);
  g_assert_true (sv_session_sign_in_finish (session, sv_test_wait (&signed_in), &error));
  g_assert_no_error (error);
  return g_steal_pointer (&session);
}
