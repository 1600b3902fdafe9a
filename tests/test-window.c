/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>

#include "sv-application.h"
#include "sv-profile-dialog.h"
#include "sv-token-store.h"
#include "sv-test-util.h"
#include "sv-window.h"

typedef struct
{
  SvApplication *app;
  SvWindow      *window;
} Fixture;

/* One application per test program, as in real life; each test gets a
 * fresh main window. */
static SvApplication *the_app;

static gboolean
widget_has_size (gpointer user_data)
{
  GtkWidget *widget = user_data;

  return gtk_widget_get_mapped (widget) && gtk_widget_get_width (widget) > 0;
}

static gboolean
toplevel_of_type_shown (gpointer user_data)
{
  GType type = GPOINTER_TO_SIZE (user_data);
  GtkWindow *window = sv_test_find_toplevel (type);

  return window != NULL && gtk_widget_get_mapped (GTK_WIDGET (window));
}

static gboolean
toplevel_of_type_gone (gpointer user_data)
{
  return sv_test_find_toplevel (GPOINTER_TO_SIZE (user_data)) == NULL;
}

static GtkWidget *
find_button_with_label (GtkWidget  *root,
                        const char *label)
{
  if (GTK_IS_BUTTON (root) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (root)), label) == 0)
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_button_with_label (child, label);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static GtkWidget *
find_entry_row (GtkWidget  *root,
                const char *title)
{
  if (ADW_IS_ENTRY_ROW (root) &&
      g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (root)), title) == 0)
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_entry_row (child, title);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  fixture->app = the_app;
  g_assert_null (gtk_application_get_windows (GTK_APPLICATION (fixture->app)));
  g_application_activate (G_APPLICATION (fixture->app));

  fixture->window = SV_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (fixture->app)));
  g_assert_nonnull (fixture->window);
  g_assert_true (sv_test_wait_until (widget_has_size, fixture->window, 10000));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "quit", NULL);
  g_assert_null (gtk_application_get_windows (GTK_APPLICATION (fixture->app)));
  fixture->app = NULL;
}

static void
test_window_welcome (Fixture       *fixture,
                     gconstpointer  user_data)
{
  GtkWidget *root = GTK_WIDGET (fixture->window);
  GtkWidget *status_page;
  GtkWidget *connect;
  GtkWidget *sandbox;

  status_page = sv_test_find_widget (root, ADW_TYPE_STATUS_PAGE, NULL);
  g_assert_nonnull (status_page);
  g_assert_true (gtk_widget_get_mapped (status_page));
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (status_page)), ==,
                   "Welcome to SMART Viewer");
  g_assert_cmpstr (adw_status_page_get_icon_name (ADW_STATUS_PAGE (status_page)), ==, APP_ID);

  connect = sv_test_find_widget (status_page, GTK_TYPE_BUTTON, "app.connect");
  sandbox = sv_test_find_widget (status_page, GTK_TYPE_BUTTON, "app.try-sandbox");
  g_assert_nonnull (connect);
  g_assert_nonnull (sandbox);
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (connect)), ==, "_Connect to a SMART Server");
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (sandbox)), ==, "_Try the Offline Sandbox");
  g_assert_true (gtk_widget_get_mapped (connect));
  g_assert_true (gtk_widget_is_sensitive (connect));
  g_assert_true (gtk_widget_get_focusable (connect));
  g_assert_true (gtk_widget_get_mapped (sandbox));
  g_assert_true (gtk_widget_is_sensitive (sandbox));

  /* The primary menu is reachable from the header bar (F10 opens it). */
  g_assert_nonnull (sv_test_find_widget (root, GTK_TYPE_MENU_BUTTON, NULL));
  g_assert_true (gtk_menu_button_get_primary (GTK_MENU_BUTTON (sv_test_find_widget (root, GTK_TYPE_MENU_BUTTON, NULL))));

  sv_test_save_screenshot (root, "welcome");
}

static void
test_window_about (Fixture       *fixture,
                   gconstpointer  user_data)
{
  GtkWindow *about;

  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "about", NULL);
  g_assert_true (sv_test_wait_until (toplevel_of_type_shown,
                                     GSIZE_TO_POINTER (ADW_TYPE_ABOUT_WINDOW), 10000));
  about = sv_test_find_toplevel (ADW_TYPE_ABOUT_WINDOW);
  g_assert_cmpstr (adw_about_window_get_application_name (ADW_ABOUT_WINDOW (about)), ==, "SMART Viewer");
  g_assert_cmpstr (adw_about_window_get_version (ADW_ABOUT_WINDOW (about)), ==, PACKAGE_VERSION);
  g_assert_true (adw_about_window_get_license_type (ADW_ABOUT_WINDOW (about)) == GTK_LICENSE_GPL_3_0);
  g_assert_true (gtk_window_get_transient_for (about) == GTK_WINDOW (fixture->window));

  gtk_window_close (about);
  g_assert_true (sv_test_wait_until (toplevel_of_type_gone,
                                     GSIZE_TO_POINTER (ADW_TYPE_ABOUT_WINDOW), 10000));
}

static void
type_into (GtkWidget  *dialog,
           const char *title,
           const char *text)
{
  GtkWidget *row;

  /* Entry rows are found by their title, as a user finds them. */
  row = find_entry_row (dialog, title);
  g_assert_nonnull (row);
  gtk_editable_set_text (GTK_EDITABLE (row), text);
}

static void
test_window_connect_dialog (Fixture       *fixture,
                            gconstpointer  user_data)
{
  GtkWindow *dialog;
  GtkWidget *connect;
  GtkWidget *problem;

  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "connect", NULL);
  g_assert_true (sv_test_wait_until (toplevel_of_type_shown,
                                     GSIZE_TO_POINTER (SV_TYPE_PROFILE_DIALOG), 10000));
  dialog = sv_test_find_toplevel (SV_TYPE_PROFILE_DIALOG);
  connect = find_button_with_label (GTK_WIDGET (dialog), "C_onnect");
  g_assert_nonnull (connect);

  /* Nothing typed yet: Connect waits, and no error is shown for empty fields. */
  g_assert_false (gtk_widget_is_sensitive (connect));
  problem = sv_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_LABEL, NULL);
  g_assert_nonnull (problem);

  /* A plain-http address on another host is refused as it is typed. */
  type_into (GTK_WIDGET (dialog), "_Name", "Workshop");
  type_into (GTK_WIDGET (dialog), "_Client ID", "app-client");
  type_into (GTK_WIDGET (dialog), "_FHIR Server Address", "http://fhir.example.org/r4/");
  g_assert_false (gtk_widget_is_sensitive (connect));
  g_assert_true (gtk_widget_has_css_class (find_entry_row (GTK_WIDGET (dialog), "_FHIR Server Address"), "error"));
  sv_test_wait_frames (GTK_WIDGET (dialog), 3);
  sv_test_save_screenshot (GTK_WIDGET (dialog), "connect-dialog-error");

  /* An https address makes the profile valid. */
  type_into (GTK_WIDGET (dialog), "_FHIR Server Address",
             "https://healthlake.us-east-1.amazonaws.com/datastore/0123456789abcdef0123456789abcdef/r4/");
  g_assert_true (gtk_widget_is_sensitive (connect));
  g_assert_false (gtk_widget_has_css_class (find_entry_row (GTK_WIDGET (dialog), "_FHIR Server Address"), "error"));

  gtk_window_close (dialog);
  g_assert_true (sv_test_wait_until (toplevel_of_type_gone,
                                     GSIZE_TO_POINTER (SV_TYPE_PROFILE_DIALOG), 10000));
}

static void
on_secret_found (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  char **secret = user_data;
  g_autoptr(GError) error = NULL;

  *secret = sv_token_store_lookup_client_secret_finish (SV_TOKEN_STORE (source), result, &error);
  g_assert_no_error (error);
  if (*secret == NULL)
    *secret = g_strdup ("");
}

static gboolean
string_set (gpointer user_data)
{
  return *(char **) user_data != NULL;
}

static void
test_window_client_secret (Fixture       *fixture,
                           gconstpointer  user_data)
{
  SvProfileStore *profiles = sv_application_get_profile_store (fixture->app);
  g_autofree char *secret = NULL;
  GtkWindow *dialog;
  GtkWidget *row;

  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "connect", NULL);
  g_assert_true (sv_test_wait_until (toplevel_of_type_shown,
                                     GSIZE_TO_POINTER (SV_TYPE_PROFILE_DIALOG), 10000));
  dialog = sv_test_find_toplevel (SV_TYPE_PROFILE_DIALOG);

  /* A workshop's confidential client: the secret goes to the keyring, never
   * to the profiles file. Nothing listens on port 9, so the sign-in that
   * follows fails at once and says so. */
  type_into (GTK_WIDGET (dialog), "_Name", "Confidential");
  type_into (GTK_WIDGET (dialog), "_Client ID", "workshop-backend");
  type_into (GTK_WIDGET (dialog), "_FHIR Server Address", "http://127.0.0.1:9/r4/");
  row = sv_test_find_widget (GTK_WIDGET (dialog), ADW_TYPE_PASSWORD_ENTRY_ROW, NULL);
  g_assert_nonnull (row);
  gtk_editable_set_text (GTK_EDITABLE (row), "s3cret-workshop-value");
  gtk_widget_activate (find_button_with_label (GTK_WIDGET (dialog), "C_onnect"));

  g_assert_true (sv_test_wait_until (toplevel_of_type_gone,
                                     GSIZE_TO_POINTER (SV_TYPE_PROFILE_DIALOG), 10000));
  g_assert_nonnull (sv_profile_store_lookup (profiles, "Confidential"));
  {
    g_autofree char *contents = NULL;

    g_assert_true (g_file_get_contents (sv_profile_store_get_path (profiles), &contents, NULL, NULL));
    g_assert_null (strstr (contents, "s3cret-workshop-value"));
  }

  sv_token_store_lookup_client_secret_async (sv_application_get_token_store (fixture->app), "Confidential",
                                             NULL, on_secret_found, &secret);
  g_assert_true (sv_test_wait_until (string_set, &secret, 15000));
  g_assert_cmpstr (secret, ==, "s3cret-workshop-value");

  g_assert_true (sv_test_wait_until (toplevel_of_type_shown,
                                     GSIZE_TO_POINTER (ADW_TYPE_MESSAGE_DIALOG), 15000));
  gtk_window_destroy (sv_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
}

static void
test_window_preferences (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  AdwStyleManager *style_manager = adw_style_manager_get_default ();
  GtkWindow *preferences;
  GtkWidget *row;

  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "preferences", NULL);
  g_assert_true (sv_test_wait_until (toplevel_of_type_shown,
                                     GSIZE_TO_POINTER (ADW_TYPE_PREFERENCES_WINDOW), 10000));
  preferences = sv_test_find_toplevel (ADW_TYPE_PREFERENCES_WINDOW);
  row = sv_test_find_widget (GTK_WIDGET (preferences), ADW_TYPE_COMBO_ROW, NULL);
  g_assert_nonnull (row);

  /* Choosing "Dark" is stored and applied at once. */
  adw_combo_row_set_selected (ADW_COMBO_ROW (row), 2);
  {
    g_autofree char *scheme = g_settings_get_string (settings, "color-scheme");
    g_assert_cmpstr (scheme, ==, "dark");
  }
  g_assert_true (adw_style_manager_get_color_scheme (style_manager) == ADW_COLOR_SCHEME_FORCE_DARK);
  sv_test_wait_frames (GTK_WIDGET (fixture->window), 3);
  sv_test_save_screenshot (GTK_WIDGET (fixture->window), "welcome-dark");

  adw_combo_row_set_selected (ADW_COMBO_ROW (row), 0);
  g_assert_true (adw_style_manager_get_color_scheme (style_manager) == ADW_COLOR_SCHEME_DEFAULT);

  gtk_window_close (preferences);
  g_assert_true (sv_test_wait_until (toplevel_of_type_gone,
                                     GSIZE_TO_POINTER (ADW_TYPE_PREFERENCES_WINDOW), 10000));
}

static void
test_window_state_saved (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  int width = 0, height = 0;

  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 777, 555);
  gtk_window_close (GTK_WINDOW (fixture->window));
  g_assert_null (gtk_application_get_windows (GTK_APPLICATION (fixture->app)));

  g_settings_get (settings, "window-size", "(ii)", &width, &height);
  g_assert_cmpint (width, ==, 777);
  g_assert_cmpint (height, ==, 555);

  /* A new window comes back with the saved size. */
  g_application_activate (G_APPLICATION (fixture->app));
  fixture->window = SV_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (fixture->app)));
  gtk_window_get_default_size (GTK_WINDOW (fixture->window), &width, &height);
  g_assert_cmpint (width, ==, 777);
  g_assert_cmpint (height, ==, 555);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  gtk_test_init (&argc, &argv, NULL);
  /* WebKit derives data paths from the program name; keep it short. */
  g_set_prgname ("test-window");

  the_app = sv_application_new ();
  /* The test is not the user's instance, so it must not claim the bus name. */
  g_application_set_flags (G_APPLICATION (the_app), G_APPLICATION_NON_UNIQUE);
  {
    g_autoptr(GError) error = NULL;

    g_assert_true (g_application_register (G_APPLICATION (the_app), NULL, &error));
    g_assert_no_error (error);
  }

  g_test_add ("/ui/window/welcome", Fixture, NULL, fixture_set_up, test_window_welcome, fixture_tear_down);
  g_test_add ("/ui/window/about", Fixture, NULL, fixture_set_up, test_window_about, fixture_tear_down);
  g_test_add ("/ui/window/connect-dialog", Fixture, NULL, fixture_set_up, test_window_connect_dialog, fixture_tear_down);
  g_test_add ("/ui/window/client-secret", Fixture, NULL, fixture_set_up, test_window_client_secret, fixture_tear_down);
  g_test_add ("/ui/window/preferences", Fixture, NULL, fixture_set_up, test_window_preferences, fixture_tear_down);
  g_test_add ("/ui/window/state-saved", Fixture, NULL, fixture_set_up, test_window_state_saved, fixture_tear_down);

  status = g_test_run ();
  g_clear_object (&the_app);

  return status;
}
