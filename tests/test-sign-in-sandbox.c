/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "sv-application.h"
#include "sv-sandbox.h"
#include "sv-sign-in-window.h"
#include "sv-test-util.h"
#include "sv-window.h"

/* End to end, as a workshop attendee does it: "Try the offline sandbox",
 * sign in as clinician in the embedded view (login, patient picker,
 * consent), and land on the signed-in page with a patient context. The
 * flavor (keycloak or cognito) comes from SMART_VIEWER_SANDBOX_FLAVOR. */

static SvApplication *the_app;

typedef struct
{
  GPtrArray  *steps;
  guint       pending;
  const char *consent;
} Driver;

static void
on_page_driven (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Driver *driver = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JSCValue) value = webkit_web_view_call_async_javascript_function_finish (WEBKIT_WEB_VIEW (source),
                                                                                      result, &error);

  driver->pending--;
  /* The page may navigate away while the script runs; that is progress. */
  if (value != NULL && jsc_value_is_string (value))
    g_ptr_array_add (driver->steps, jsc_value_to_string (value));
}

static void
on_load_changed (WebKitWebView   *view,
                 WebKitLoadEvent  event,
                 Driver          *driver)
{
  GVariantDict arguments;

  if (event != WEBKIT_LOAD_FINISHED)
    return;

  g_variant_dict_init (&arguments, NULL);
  g_variant_dict_insert (&arguments, "username", "s", "clinician");
  g_variant_dict_insert (&arguments, "password", "s", "demo");
  g_variant_dict_insert (&arguments, "consent", "s", driver->consent);
  driver->pending++;
  webkit_web_view_call_async_javascript_function (view, sv_test_sandbox_login_js, -1, g_variant_dict_end (&arguments),
                                                  NULL, NULL, NULL, on_page_driven, driver);
}

static void
drive (SvSignInWindow *sign_in,
       Driver         *driver)
{
  WebKitWebView *view = sv_sign_in_window_get_web_view (sign_in);

  g_signal_connect (view, "load-changed", G_CALLBACK (on_load_changed), driver);
  /* The first page may have finished loading before we were listening. */
  if (!webkit_web_view_is_loading (view) && webkit_web_view_get_uri (view) != NULL)
    on_load_changed (view, WEBKIT_LOAD_FINISHED, driver);
}

static gboolean
sign_in_window_shown (gpointer user_data)
{
  return sv_test_find_toplevel (SV_TYPE_SIGN_IN_WINDOW) != NULL;
}

static gboolean
window_on_page (gpointer user_data)
{
  SvWindow *window = user_data;

  /* With a patient context the window goes on to the patient view. */
  return g_strcmp0 (sv_window_get_page (window), "session") == 0 ||
         g_strcmp0 (sv_window_get_page (window), "patient") == 0 ||
         (g_strcmp0 (sv_window_get_page (window), "welcome") == 0 &&
          sv_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL);
}

static gboolean
toplevel_of_type_shown_dialog (gpointer user_data)
{
  GtkWindow *dialog = sv_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);

  return dialog != NULL && gtk_widget_get_mapped (GTK_WIDGET (dialog));
}

static gboolean
steps_contain (GPtrArray  *steps,
               const char *step)
{
  for (guint i = 0; i < steps->len; i++)
    if (g_str_equal (g_ptr_array_index (steps, i), step))
      return TRUE;
  return FALSE;
}

static gboolean
file_contains (const char *path,
               const char *needle)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return FALSE;
  return g_strstr_len (contents, length, needle) != NULL;
}

static void
assert_not_under (const char *dir,
                  const char *secret)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  if (handle == NULL)
    return;

  while ((name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        assert_not_under (path, secret);
      else if (file_contains (path, secret))
        g_error ("A token was written to %s", path);
    }
}

typedef struct
{
  char    *token;
  gboolean done;
} TokenData;

static void
on_token (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  TokenData *data = user_data;
  g_autoptr(GError) error = NULL;

  data->token = sv_session_get_access_token_finish (SV_SESSION (source), result, &error);
  g_assert_no_error (error);
  data->done = TRUE;
}

static gboolean
token_done (gpointer user_data)
{
  return ((TokenData *) user_data)->done;
}

static void
test_sign_in_sandbox (void)
{
  g_autofree char *executable = sv_sandbox_find_executable ();
  const char *flavor = g_getenv ("SMART_VIEWER_SANDBOX_FLAVOR");
  Driver driver = { g_ptr_array_new_with_free_func (g_free), 0, "allow" };
  g_autoptr(GPtrArray) steps = driver.steps;
  TokenData token = { NULL, FALSE };
  g_autofree char *screenshot = NULL;
  SvSignInWindow *sign_in;
  SvSession *session;
  SvWindow *window;
  gint64 started;

  if (executable == NULL)
    {
      g_test_skip ("smart-sandbox is not built (configure with -Dcompanions=true)");
      return;
    }

  g_application_activate (G_APPLICATION (the_app));
  window = SV_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (the_app)));
  started = g_get_monotonic_time ();
  g_action_group_activate_action (G_ACTION_GROUP (the_app), "try-sandbox", NULL);

  g_assert_true (sv_test_wait_until (sign_in_window_shown, NULL, 90000));
  sign_in = SV_SIGN_IN_WINDOW (sv_test_find_toplevel (SV_TYPE_SIGN_IN_WINDOW));
  drive (sign_in, &driver);

  g_assert_true (sv_test_wait_until (window_on_page, window, 60000));
  g_test_message ("Sign-in took %.2f s from the click (sandbox start included); pages: %u",
                  (g_get_monotonic_time () - started) / 1e6, steps->len);
  g_assert_cmpstr (sv_window_get_page (window), ==, "patient");
  /* The session details are one click away. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-session", NULL));
  g_assert_cmpstr (sv_window_get_page (window), ==, "session");

  /* The clinician went through login, the patient picker and consent. */
  g_assert_true (steps_contain (steps, "login"));
  g_assert_true (steps_contain (steps, "picker"));
  g_assert_true (steps_contain (steps, "consent"));

  session = sv_window_get_session (window);
  g_assert_nonnull (session);
  g_assert_true (sv_session_is_signed_in (session));
  g_assert_nonnull (sv_session_get_patient (session));
  /* Keycloak sends the patient in the token response; Cognito cannot, so it
   * comes from the custom:patient claim. */
  if (g_strcmp0 (flavor, "cognito") == 0)
    g_assert_cmpint (sv_session_get_patient_source (session), ==, SV_PATIENT_SOURCE_ACCESS_TOKEN);
  else
    g_assert_cmpint (sv_session_get_patient_source (session), ==, SV_PATIENT_SOURCE_TOKEN_RESPONSE);
  /* fhirUser may be relative or absolute (SMART App Launch 2.0). */
  g_assert_nonnull (strstr (sv_session_get_fhir_user (session), "Practitioner/"));
  g_assert_nonnull (strstr (sv_session_get_granted_scope (session), "Condition"));

  /* Let the page transition finish before the picture. */
  sv_test_wait_frames (GTK_WIDGET (window), 30);
  screenshot = g_strdup_printf ("signed-in-%s", flavor != NULL ? flavor : "keycloak");
  sv_test_save_screenshot (GTK_WIDGET (window), screenshot);

  /* No token in any file under HOME (settings, caches, WebKit data). */
  sv_session_get_access_token_async (session, NULL, on_token, &token);
  g_assert_true (sv_test_wait_until (token_done, &token, 10000));
  g_assert_nonnull (token.token);
  g_assert_cmpuint (strlen (token.token), >, 40);
  assert_not_under (g_get_home_dir (), token.token);
  g_free (token.token);

  /* Sign out: back to the welcome page. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.sign-out", NULL));
  g_assert_cmpstr (sv_window_get_page (window), ==, "welcome");
  g_assert_null (sv_window_get_session (window));

  /* The sandbox profile is listed for the next time. */
  {
    GtkWidget *list = sv_test_find_widget (GTK_WIDGET (window), GTK_TYPE_LIST_BOX, NULL);

    g_assert_nonnull (list);
    g_assert_true (gtk_widget_get_visible (gtk_widget_get_parent (list)));
    g_assert_nonnull (gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), 0));
    g_assert_null (gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), 1));
  }
  sv_test_wait_frames (GTK_WIDGET (window), 30);
  sv_test_save_screenshot (GTK_WIDGET (window), "welcome-with-servers");
}

static void
test_sign_in_sandbox_denied (void)
{
  g_autofree char *executable = sv_sandbox_find_executable ();
  Driver driver = { g_ptr_array_new_with_free_func (g_free), 0, "deny" };
  g_autoptr(GPtrArray) steps = driver.steps;
  SvSignInWindow *sign_in;
  GtkWindow *dialog;
  SvWindow *window;

  if (executable == NULL)
    {
      g_test_skip ("smart-sandbox is not built (configure with -Dcompanions=true)");
      return;
    }

  g_application_activate (G_APPLICATION (the_app));
  window = SV_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (the_app)));
  g_action_group_activate_action (G_ACTION_GROUP (the_app), "try-sandbox", NULL);

  g_assert_true (sv_test_wait_until (sign_in_window_shown, NULL, 90000));
  sign_in = SV_SIGN_IN_WINDOW (sv_test_find_toplevel (SV_TYPE_SIGN_IN_WINDOW));
  drive (sign_in, &driver);

  /* Denying consent comes back as an RFC 6749 error redirect: the app says
   * so, offers to try again, and stays usable. */
  g_assert_true (sv_test_wait_until (window_on_page, window, 60000));
  g_assert_cmpstr (sv_window_get_page (window), ==, "welcome");
  dialog = sv_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_nonnull (dialog);
  g_test_message ("Denied: %s", adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)));
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==, "Sign-in Failed");
  g_assert_true (adw_message_dialog_has_response (ADW_MESSAGE_DIALOG (dialog), "retry"));
  g_assert_null (sv_window_get_session (window));
  gtk_window_destroy (dialog);
}

static void
on_unauthorized_done (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autofree char *token = sv_session_handle_unauthorized_finish (SV_SESSION (source), result, NULL);

  *(gboolean *) user_data = TRUE;
}

static gboolean
flag_set (gpointer user_data)
{
  return *(gboolean *) user_data;
}

static void
test_sign_in_sandbox_refresh_refused (void)
{
  g_autofree char *executable = sv_sandbox_find_executable ();
  Driver driver = { g_ptr_array_new_with_free_func (g_free), 0, "allow" };
  g_autoptr(GPtrArray) steps = driver.steps;
  g_autoptr(SoupSession) http = soup_session_new ();
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GBytes) fault = NULL;
  g_autofree char *faults_url = NULL;
  const char *fhir;
  gboolean done = FALSE;
  TokenData token = { NULL, FALSE };
  SvSignInWindow *sign_in;
  GtkWindow *dialog;
  SvSession *session;
  SvWindow *window;

  if (executable == NULL)
    {
      g_test_skip ("smart-sandbox is not built (configure with -Dcompanions=true)");
      return;
    }

  g_application_activate (G_APPLICATION (the_app));
  window = SV_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (the_app)));
  g_action_group_activate_action (G_ACTION_GROUP (the_app), "try-sandbox", NULL);
  g_assert_true (sv_test_wait_until (sign_in_window_shown, NULL, 90000));
  sign_in = SV_SIGN_IN_WINDOW (sv_test_find_toplevel (SV_TYPE_SIGN_IN_WINDOW));
  drive (sign_in, &driver);
  g_assert_true (sv_test_wait_until (window_on_page, window, 60000));
  session = sv_window_get_session (window);
  g_assert_nonnull (session);

  /* The sandbox refuses the next refresh, as an IdP does once a grant is revoked. */
  fhir = sv_server_profile_get_fhir_base_url (sv_session_get_profile (session));
  faults_url = g_strdup_printf ("%.*s/_sandbox/faults", (int) (strstr (fhir, "/datastore/") - fhir), fhir);
  message = soup_message_new (SOUP_METHOD_POST, faults_url);
  fault = g_bytes_new_static ("{\"refresh_invalid_grant\":true}", 30);
  soup_message_set_request_body_from_bytes (message, "application/json", fault);
  answer = soup_session_send_and_read (http, message, NULL, NULL);
  g_assert_cmpuint (soup_message_get_status (message), ==, 200);

  /* A 401 for the current token makes the session refresh; the refusal
   * ends it with the reason. */
  sv_session_get_access_token_async (session, NULL, on_token, &token);
  g_assert_true (sv_test_wait_until (token_done, &token, 10000));
  sv_session_handle_unauthorized_async (session, token.token, NULL, on_unauthorized_done, &done);
  g_clear_pointer (&token.token, g_free);
  g_assert_true (sv_test_wait_until (flag_set, &done, 30000));
  g_assert_true (sv_test_wait_until (toplevel_of_type_shown_dialog, NULL, 10000));
  dialog = sv_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_test_message ("Refresh refused: %s", adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)));
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==, "Sign In Again");
  g_assert_true (adw_message_dialog_has_response (ADW_MESSAGE_DIALOG (dialog), "retry"));
  g_assert_cmpstr (sv_window_get_page (window), ==, "welcome");
  g_assert_null (sv_window_get_session (window));
  gtk_window_destroy (dialog);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  gtk_test_init (&argc, &argv, NULL);
  g_set_prgname ("test-sign-in-sandbox");

  the_app = sv_application_new ();
  g_application_set_flags (G_APPLICATION (the_app), G_APPLICATION_NON_UNIQUE | G_APPLICATION_HANDLES_OPEN);
  {
    g_autoptr(GError) error = NULL;

    g_assert_true (g_application_register (G_APPLICATION (the_app), NULL, &error));
    g_assert_no_error (error);
  }

  g_test_add_func ("/ui/sign-in/sandbox", test_sign_in_sandbox);
  g_test_add_func ("/ui/sign-in/sandbox-denied", test_sign_in_sandbox_denied);
  g_test_add_func ("/ui/sign-in/sandbox-refresh-refused", test_sign_in_sandbox_refresh_refused);

  status = g_test_run ();
  g_action_group_activate_action (G_ACTION_GROUP (the_app), "quit", NULL);
  g_clear_object (&the_app);

  return status;
}
