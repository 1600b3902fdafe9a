/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-preferences"

#include "config.h"

#include "sv-preferences-window.h"

#include <glib/gi18n.h>

struct _SvPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  GSettings            *settings;

  AdwComboRow          *color_scheme_row;
};

G_DEFINE_FINAL_TYPE (SvPreferencesWindow, sv_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* The order of the combo row's items, as stored in GSettings. */
static const char * const color_schemes[] = { "default", "light", "dark" };

static gboolean
color_scheme_get_mapping (GValue   *value,
                          GVariant *variant,
                          gpointer  user_data)
{
  const char *scheme = g_variant_get_string (variant, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (color_schemes); i++)
    {
      if (g_strcmp0 (scheme, color_schemes[i]) == 0)
        {
          g_value_set_uint (value, i);
          return TRUE;
        }
    }

  g_value_set_uint (value, 0);
  return TRUE;
}

static GVariant *
color_scheme_set_mapping (const GValue       *value,
                          const GVariantType *expected_type,
                          gpointer            user_data)
{
  guint position = g_value_get_uint (value);

  if (position >= G_N_ELEMENTS (color_schemes))
    position = 0;

  return g_variant_new_string (color_schemes[position]);
}

static void
sv_preferences_window_dispose (GObject *object)
{
  SvPreferencesWindow *self = SV_PREFERENCES_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), SV_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (sv_preferences_window_parent_class)->dispose (object);
}

static void
sv_preferences_window_class_init (SvPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sv_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/sv-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SvPreferencesWindow, color_scheme_row);
}

static void
sv_preferences_window_init (SvPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);
  g_settings_bind_with_mapping (self->settings, "color-scheme",
                                self->color_scheme_row, "selected",
                                G_SETTINGS_BIND_DEFAULT,
                                color_scheme_get_mapping,
                                color_scheme_set_mapping,
                                NULL, NULL);
}

/**
 * sv_preferences_window_new:
 * @parent: (nullable): the window it belongs to
 *
 * Returns: (transfer floating): the preferences window
 */
GtkWidget *
sv_preferences_window_new (GtkWindow *parent)
{
  return g_object_new (SV_TYPE_PREFERENCES_WINDOW,
                       "transient-for", parent,
                       "modal", TRUE,
                       NULL);
}
