/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-application"

#include "config.h"

#include "sv-application.h"

#include <glib/gi18n.h>

#include "sv-http.h"
#include "sv-preferences-window.h"
#include "sv-profile-dialog.h"
#include "sv-sandbox-events.h"
#include "sv-window.h"

struct _SvApplication
{
  AdwApplication  parent_instance;

  GSettings      *settings;
  SvProfileStore *profile_store;
  SvTokenStore   *token_store;
  SoupSession    *http;
  SvSandbox      *sandbox;
  SvTimeline     *timeline;
  SvSandboxEvents *sandbox_events;
  gboolean        start_sandbox;
};

G_DEFINE_FINAL_TYPE (SvApplication, sv_application, ADW_TYPE_APPLICATION)

static GtkWindow *
sv_application_get_main_window (SvApplication *self)
{
  return gtk_application_get_active_window (GTK_APPLICATION (self));
}

static SvWindow *
sv_application_ensure_window (SvApplication *self)
{
  GtkWindow *window = sv_application_get_main_window (self);

  if (window == NULL)
    window = GTK_WINDOW (sv_window_new (GTK_APPLICATION (self)));
  gtk_window_present (window);

  return SV_WINDOW (window);
}

static void
sv_application_connect_action (GSimpleAction *action,
                               GVariant      *parameter,
                               gpointer       user_data)
{
  SvApplication *self = user_data;
  SvWindow *window = sv_application_ensure_window (self);
  GtkWidget *dialog;

  dialog = sv_profile_dialog_new (GTK_WINDOW (window), self->profile_store, self->http, NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
sv_application_sandbox_action (GSimpleAction *action,
                               GVariant      *parameter,
                               gpointer       user_data)
{
  SvApplication *self = user_data;

  sv_window_try_sandbox (sv_application_ensure_window (self));
}

static void
sv_application_preferences_action (GSimpleAction *action,
                                   GVariant      *parameter,
                                   gpointer       user_data)
{
  SvApplication *self = user_data;
  GtkWidget *preferences;

  preferences = sv_preferences_window_new (sv_application_get_main_window (self));
  gtk_window_present (GTK_WINDOW (preferences));
}

static void
sv_application_about_action (GSimpleAction *action,
                             GVariant      *parameter,
                             gpointer       user_data)
{
  SvApplication *self = user_data;
  static const char *developers[] = { "The SMART Viewer developers", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", sv_application_get_main_window (self),
                        "application-name", _("SMART Viewer"),
                        "application-icon", APP_ID,
                        "developer-name", _("The SMART Viewer developers"),
                        "developers", developers,
                        "version", PACKAGE_VERSION,
                        "website", PACKAGE_URL,
                        "issue-url", PACKAGE_BUGREPORT,
                        "copyright", "© 2026 The SMART Viewer developers",
                        "license-type", GTK_LICENSE_GPL_3_0,
                        /* Translators: put your names here, one per line. */
                        "translator-credits", _("translator-credits"),
                        "comments", _("Sign in to SMART on FHIR servers and view patients’ problems and medications"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
sv_application_quit_action (GSimpleAction *action,
                            GVariant      *parameter,
                            gpointer       user_data)
{
  SvApplication *self = user_data;
  GList *windows;

  /* Closing the windows first lets each one save its state and cancel
   * whatever it has in flight. */
  while ((windows = gtk_application_get_windows (GTK_APPLICATION (self))) != NULL)
    gtk_window_destroy (windows->data);

  g_application_quit (G_APPLICATION (self));
}

static const GActionEntry app_actions[] = {
  { .name = "connect", .activate = sv_application_connect_action },
  { .name = "try-sandbox", .activate = sv_application_sandbox_action },
  { .name = "preferences", .activate = sv_application_preferences_action },
  { .name = "about", .activate = sv_application_about_action },
  { .name = "quit", .activate = sv_application_quit_action },
};

static void
sv_application_apply_color_scheme (SvApplication *self)
{
  AdwStyleManager *style_manager = adw_style_manager_get_default ();
  g_autofree char *scheme = g_settings_get_string (self->settings, "color-scheme");
  AdwColorScheme value = ADW_COLOR_SCHEME_DEFAULT;

  if (g_strcmp0 (scheme, "light") == 0)
    value = ADW_COLOR_SCHEME_FORCE_LIGHT;
  else if (g_strcmp0 (scheme, "dark") == 0)
    value = ADW_COLOR_SCHEME_FORCE_DARK;

  adw_style_manager_set_color_scheme (style_manager, value);
}

static void
sv_application_startup (GApplication *application)
{
  SvApplication *self = SV_APPLICATION (application);
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *preferences_accels[] = { "<Control>comma", NULL };
  static const char *connect_accels[] = { "<Control>n", NULL };
  static const char *close_accels[] = { "<Control>w", NULL };
  static const char *inspector_accels[] = { "<Control>i", NULL };

  G_APPLICATION_CLASS (sv_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", preferences_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.connect", connect_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "window.close", close_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.inspector", inspector_accels);

  self->settings = g_settings_new (APP_ID);
  self->http = sv_http_session_new ();
  /* The workshop inspector's timeline sees every request of the app from
   * the start, whether the inspector is open or not. */
  self->timeline = sv_timeline_new ();
  sv_timeline_watch_soup_session (self->timeline, self->http);
  self->token_store = sv_token_store_new ();
  {
    g_autofree char *path = g_build_filename (g_get_user_config_dir (), "smart-viewer", "profiles.ini", NULL);
    g_autoptr(GError) error = NULL;

    self->profile_store = sv_profile_store_new (path);
    /* A damaged file is reported, never overwritten: the user's profiles stay. */
    if (!sv_profile_store_load (self->profile_store, &error))
      g_warning ("%s", error->message);
  }
  g_signal_connect_object (self->settings, "changed::color-scheme",
                           G_CALLBACK (sv_application_apply_color_scheme), self,
                           G_CONNECT_SWAPPED);
  sv_application_apply_color_scheme (self);
}

static void
sv_application_activate (GApplication *application)
{
  SvApplication *self = SV_APPLICATION (application);
  SvWindow *window = sv_application_ensure_window (self);

  if (self->start_sandbox)
    {
      self->start_sandbox = FALSE;
      sv_window_try_sandbox (window);
    }
}

static void
sv_application_open (GApplication  *application,
                     GFile        **files,
                     int            n_files,
                     const char    *hint)
{
  SvApplication *self = SV_APPLICATION (application);

  /* The system browser hands the redirect to the running instance through
   * the app's URI scheme. Only a window waiting for it may take it. */
  for (int i = 0; i < n_files; i++)
    {
      g_autofree char *uri = g_file_get_uri (files[i]);
      gboolean taken = FALSE;

      for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL && !taken; l = l->next)
        if (SV_IS_WINDOW (l->data))
          taken = sv_window_offer_redirect (SV_WINDOW (l->data), uri);

      if (!taken)
        g_message ("%s", _("A sign-in redirect arrived that no sign-in was waiting for; it was ignored."));
    }

  sv_application_ensure_window (self);
}

static int
sv_application_handle_local_options (GApplication *application,
                                     GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("%s %s\n", "smart-viewer", PACKAGE_VERSION);
      return 0;
    }

  if (g_variant_dict_contains (options, "sandbox"))
    {
      g_autoptr(GError) error = NULL;

      if (!g_application_register (application, NULL, &error))
        {
          g_printerr ("smart-viewer: %s\n", error->message);
          return 1;
        }

      /* When SMART Viewer already runs, the running instance does it. */
      if (g_application_get_is_remote (application))
        g_action_group_activate_action (G_ACTION_GROUP (application), "try-sandbox", NULL);
      else
        SV_APPLICATION (application)->start_sandbox = TRUE;
    }

  return -1;
}

static void
sv_application_dispose (GObject *object)
{
  SvApplication *self = SV_APPLICATION (object);

  /* Stops the sandbox this app started (one found running is left alone). */
  g_clear_object (&self->sandbox);
  if (self->sandbox_events != NULL)
    sv_sandbox_events_stop (self->sandbox_events);
  g_clear_object (&self->sandbox_events);
  g_clear_object (&self->timeline);
  g_clear_object (&self->profile_store);
  g_clear_object (&self->token_store);
  g_clear_object (&self->http);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (sv_application_parent_class)->dispose (object);
}

static void
sv_application_class_init (SvApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = sv_application_dispose;
  app_class->startup = sv_application_startup;
  app_class->activate = sv_application_activate;
  app_class->open = sv_application_open;
  app_class->handle_local_options = sv_application_handle_local_options;
}

static void
sv_application_init (SvApplication *self)
{
  static const GOptionEntry entries[] = {
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Show the version and exit"), NULL },
    { "sandbox", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Start the offline sandbox and sign in to it"), NULL },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), entries);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("View patients’ problems and medications from SMART on FHIR servers."));
}

/**
 * sv_application_prepare_environment:
 *
 * Called before GTK opens the display. GTK 4.8 initialises OpenGL when it
 * opens an X11 display, whatever renderer is chosen; without a GPU driver
 * that is Mesa's llvmpipe, about 50 MB resident for the life of the
 * process (WebKit loads it as well, for the sign-in web view). With
 * `GSK_RENDERER=cairo` nothing in this process draws with OpenGL, so
 * neither GTK nor WebKit initialises it here. A `GDK_DEBUG` set by the user
 * is left alone.
 */
void
sv_application_prepare_environment (void)
{
  const char *renderer = g_getenv ("GSK_RENDERER");

  if (renderer == NULL || g_ascii_strcasecmp (renderer, "cairo") != 0 || g_getenv ("GDK_DEBUG") != NULL)
    return;

  g_setenv ("GDK_DEBUG", "gl-disable", TRUE);
  /* WebKit's side in this process then gets the web pages in shared memory
   * instead of as DMA-BUFs, and is told the render device up front: looking
   * for one opens an EGL display, which loads the same driver. /dev/null is
   * no GPU, which is what the web process gets to use. */
  g_setenv ("WEBKIT_DISABLE_DMABUF_RENDERER", "1", FALSE);
  g_setenv ("WEBKIT_WEB_RENDER_DEVICE_FILE", "/dev/null", FALSE);
}

/**
 * sv_application_new:
 *
 * Returns: (transfer full): the application
 */
SvApplication *
sv_application_new (void)
{
  return g_object_new (SV_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "resource-base-path", RESOURCE_PATH,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       NULL);
}

/**
 * sv_application_get_profile_store:
 * @self: the application
 *
 * Returns: (transfer none): the server profiles
 */
SvProfileStore *
sv_application_get_profile_store (SvApplication *self)
{
  g_return_val_if_fail (SV_IS_APPLICATION (self), NULL);
  return self->profile_store;
}

/**
 * sv_application_get_token_store:
 * @self: the application
 *
 * Returns: (transfer none): the keyring store for sessions
 */
SvTokenStore *
sv_application_get_token_store (SvApplication *self)
{
  g_return_val_if_fail (SV_IS_APPLICATION (self), NULL);
  return self->token_store;
}

/**
 * sv_application_get_http:
 * @self: the application
 *
 * Returns: (transfer none): the HTTP session shared by all requests
 */
SoupSession *
sv_application_get_http (SvApplication *self)
{
  g_return_val_if_fail (SV_IS_APPLICATION (self), NULL);
  return self->http;
}

/**
 * sv_application_get_sandbox:
 * @self: the application
 *
 * Returns: (transfer none): the offline sandbox, started on first use and
 *   stopped when the app quits
 */
SvSandbox *
sv_application_get_sandbox (SvApplication *self)
{
  g_return_val_if_fail (SV_IS_APPLICATION (self), NULL);

  if (self->sandbox == NULL)
    {
      g_autofree char *executable = sv_sandbox_find_executable ();
      const char *flavor = g_getenv ("SMART_VIEWER_SANDBOX_FLAVOR");

      if (g_strcmp0 (flavor, "cognito") != 0)
        flavor = "keycloak";
      self->sandbox = sv_sandbox_new (executable, flavor);
    }

  return self->sandbox;
}

/**
 * sv_application_get_timeline:
 * @self: the application
 *
 * Returns: (transfer none): the session timeline the inspector shows
 */
SvTimeline *
sv_application_get_timeline (SvApplication *self)
{
  g_return_val_if_fail (SV_IS_APPLICATION (self), NULL);
  return self->timeline;
}

/**
 * sv_application_follow_server:
 * @self: the application
 * @fhir_base: the FHIR base URL of the server being signed in to
 *
 * When @fhir_base is a sandbox on this computer, its server-side events
 * (validator invocations, scope decisions) join the timeline, linked to the
 * requests that caused them. Any other server has no such stream; following
 * one stops following the last.
 */
void
sv_application_follow_server (SvApplication *self,
                              const char    *fhir_base)
{
  g_autofree char *url = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (SV_IS_APPLICATION (self));

  if (self->sandbox_events != NULL &&
      g_strcmp0 (sv_sandbox_events_get_fhir_base (self->sandbox_events), fhir_base) == 0)
    return;
  if (self->sandbox_events != NULL)
    sv_sandbox_events_stop (self->sandbox_events);
  g_clear_object (&self->sandbox_events);

  url = sv_sandbox_events_url_for_base (fhir_base, &error);
  if (url == NULL)
    {
      g_debug ("No server-side events: %s", error->message);
      return;
    }
  self->sandbox_events = sv_sandbox_events_new (fhir_base);
  sv_timeline_watch_sandbox (self->timeline, self->sandbox_events);
  if (!sv_sandbox_events_start (self->sandbox_events, &error))
    g_debug ("No server-side events: %s", error->message);
}
