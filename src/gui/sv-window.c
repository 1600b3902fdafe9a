/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-window"

#include "config.h"

#include "sv-window.h"

#include <glib/gi18n.h>

struct _SvWindow
{
  AdwApplicationWindow  parent_instance;

  GSettings            *settings;

  AdwToastOverlay      *toast_overlay;
  AdwStatusPage        *welcome_page;
};

G_DEFINE_FINAL_TYPE (SvWindow, sv_window, ADW_TYPE_APPLICATION_WINDOW)

static void
sv_window_save_state (SvWindow *self)
{
  int width, height;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);

  g_settings_delay (self->settings);
  g_settings_set_boolean (self->settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
  if (!gtk_window_is_maximized (GTK_WINDOW (self)))
    {
      g_settings_set (self->settings, "window-size", "(ii)", width, height);
    }
  g_settings_apply (self->settings);
}

static gboolean
sv_window_close_request (GtkWindow *window)
{
  sv_window_save_state (SV_WINDOW (window));

  return GTK_WINDOW_CLASS (sv_window_parent_class)->close_request (window);
}

static void
sv_window_restore_state (SvWindow *self)
{
  int width, height;

  g_settings_get (self->settings, "window-size", "(ii)", &width, &height);
  gtk_window_set_default_size (GTK_WINDOW (self), width, height);

  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

static void
sv_window_dispose (GObject *object)
{
  SvWindow *self = SV_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), SV_TYPE_WINDOW);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (sv_window_parent_class)->dispose (object);
}

static void
sv_window_class_init (SvWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = sv_window_dispose;
  window_class->close_request = sv_window_close_request;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/sv-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SvWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, welcome_page);
}

static void
sv_window_init (SvWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  /* Development builds carry their own icon name and a striped header bar,
   * so they can never be mistaken for the release. */
  adw_status_page_set_icon_name (self->welcome_page, APP_ID);
  gtk_window_set_icon_name (GTK_WINDOW (self), APP_ID);
#if DEVELOPMENT_BUILD
  gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
#endif

  self->settings = g_settings_new (APP_ID);
  sv_window_restore_state (self);
}

/**
 * sv_window_new:
 * @application: the application
 *
 * Returns: (transfer floating): the main window
 */
SvWindow *
sv_window_new (GtkApplication *application)
{
  return g_object_new (SV_TYPE_WINDOW,
                       "application", application,
                       NULL);
}

/**
 * sv_window_show_toast:
 * @self: the window
 * @text: a translated message
 *
 * Shows a short message at the bottom of the window.
 */
void
sv_window_show_toast (SvWindow   *self,
                      const char *text)
{
  g_return_if_fail (SV_IS_WINDOW (self));

  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}
