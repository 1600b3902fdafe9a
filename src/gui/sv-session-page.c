/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-session-page"

#include "config.h"

#include "sv-session-page.h"

#include <glib/gi18n.h>

/* What a signed-in user should see at once: who they are signed in as, on
 * which server, what was granted (and what was asked for but not granted),
 * the patient context and where it came from, and when the token expires. */

struct _SvSessionPage
{
  GtkWidget             parent_instance;

  SvSession            *session;
  guint                 tick;

  AdwPreferencesPage   *page;
  AdwActionRow         *user_row;
  AdwActionRow         *server_row;
  AdwActionRow         *expiry_row;
  AdwActionRow         *patient_row;
  AdwPreferencesGroup  *granted_group;
  AdwPreferencesGroup  *missing_group;
  GPtrArray            *scope_rows;
};

G_DEFINE_FINAL_TYPE (SvSessionPage, sv_session_page, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_SESSION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char *
describe_user (SvSession *session)
{
  JsonObject *claims = sv_session_get_id_claims (session);
  const char *fhir_user = sv_session_get_fhir_user (session);
  const char *name = NULL;

  if (claims != NULL && json_object_has_member (claims, "name") &&
      JSON_NODE_HOLDS_VALUE (json_object_get_member (claims, "name")))
    name = json_object_get_string_member (claims, "name");

  if (name != NULL && fhir_user != NULL)
    /* Translators: a person's name and their FHIR identity, e.g. "Dr. Ann Lee (Practitioner/12)". */
    return g_strdup_printf (_("%s (%s)"), name, fhir_user);
  if (name != NULL)
    return g_strdup (name);
  if (fhir_user != NULL)
    return g_strdup (fhir_user);
  return g_strdup (_("Not known: the server did not say who you are"));
}

static char *
describe_expiry (SvSession *session)
{
  gint64 expires_at = sv_session_get_expires_at (session);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 left = expires_at - now;

  if (expires_at <= 0)
    return g_strdup (_("Not known"));
  if (left <= 0)
    return g_strdup (_("Expired; it is renewed when needed"));
  if (left < 120)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "In %d second", "In %d seconds", (gulong) left),
                            (int) left);
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "In %d minute", "In %d minutes", (gulong) (left / 60)),
                          (int) (left / 60));
}

static gboolean
on_tick (gpointer user_data)
{
  SvSessionPage *self = user_data;
  g_autofree char *expiry = NULL;

  if (self->session == NULL)
    return G_SOURCE_CONTINUE;

  expiry = describe_expiry (self->session);
  adw_action_row_set_subtitle (self->expiry_row, expiry);
  return G_SOURCE_CONTINUE;
}

static void
clear_scope_rows (SvSessionPage *self)
{
  for (guint i = 0; i < self->scope_rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->scope_rows, i);
      GtkWidget *group = gtk_widget_get_ancestor (row, ADW_TYPE_PREFERENCES_GROUP);

      if (group != NULL)
        adw_preferences_group_remove (ADW_PREFERENCES_GROUP (group), row);
    }
  g_ptr_array_set_size (self->scope_rows, 0);
}

static void
add_scope_rows (SvSessionPage       *self,
                AdwPreferencesGroup *group,
                const char * const  *scopes)
{
  for (guint i = 0; scopes != NULL && scopes[i] != NULL; i++)
    {
      GtkWidget *row;

      if (*scopes[i] == '\0')
        continue;
      row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), scopes[i]);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      gtk_widget_add_css_class (row, "monospace");
      adw_preferences_group_add (group, row);
      g_ptr_array_add (self->scope_rows, row);
    }
}

static void
sv_session_page_update (SvSessionPage *self)
{
  g_autofree char *user = NULL;
  g_autofree char *expiry = NULL;
  g_autofree char *patient = NULL;
  g_auto(GStrv) granted = NULL;
  g_auto(GStrv) missing = NULL;
  SvServerProfile *profile;
  const char *patient_id;

  clear_scope_rows (self);
  if (self->session == NULL)
    return;

  profile = sv_session_get_profile (self->session);
  user = describe_user (self->session);
  adw_action_row_set_subtitle (self->user_row, user);
  adw_action_row_set_subtitle (self->server_row, sv_server_profile_get_fhir_base_url (profile));
  adw_preferences_page_set_title (self->page, sv_server_profile_get_name (profile));
  expiry = describe_expiry (self->session);
  adw_action_row_set_subtitle (self->expiry_row, expiry);

  patient_id = sv_session_get_patient (self->session);
  if (patient_id != NULL)
    /* Translators: a patient id and where it came from, e.g. "Patient/123, from the token response". */
    patient = g_strdup_printf (_("Patient/%s, %s"), patient_id,
                               sv_patient_source_describe (sv_session_get_patient_source (self->session)));
  else
    patient = g_strdup (_("None: choose a patient after signing in"));
  adw_action_row_set_subtitle (self->patient_row, patient);

  granted = g_strsplit (sv_session_get_granted_scope (self->session) != NULL
                        ? sv_session_get_granted_scope (self->session) : "", " ", -1);
  add_scope_rows (self, self->granted_group, (const char * const *) granted);

  missing = sv_session_dup_missing_scopes (self->session);
  gtk_widget_set_visible (GTK_WIDGET (self->missing_group), missing != NULL && missing[0] != NULL);
  add_scope_rows (self, self->missing_group, (const char * const *) missing);
}

/**
 * sv_session_page_set_session:
 * @self: the page
 * @session: (nullable): the session to show
 */
void
sv_session_page_set_session (SvSessionPage *self,
                             SvSession     *session)
{
  g_return_if_fail (SV_IS_SESSION_PAGE (self));

  if (!g_set_object (&self->session, session))
    return;

  sv_session_page_update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SESSION]);
}

/**
 * sv_session_page_get_session:
 * @self: the page
 *
 * Returns: (transfer none) (nullable): the session shown
 */
SvSession *
sv_session_page_get_session (SvSessionPage *self)
{
  g_return_val_if_fail (SV_IS_SESSION_PAGE (self), NULL);

  return self->session;
}

static void
sv_session_page_dispose (GObject *object)
{
  SvSessionPage *self = SV_SESSION_PAGE (object);

  g_clear_handle_id (&self->tick, g_source_remove);
  g_clear_pointer (&self->scope_rows, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), SV_TYPE_SESSION_PAGE);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (sv_session_page_parent_class)->dispose (object);
}

static void
sv_session_page_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  SvSessionPage *self = SV_SESSION_PAGE (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      g_value_set_object (value, self->session);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sv_session_page_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  SvSessionPage *self = SV_SESSION_PAGE (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      sv_session_page_set_session (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sv_session_page_class_init (SvSessionPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sv_session_page_dispose;
  object_class->get_property = sv_session_page_get_property;
  object_class->set_property = sv_session_page_set_property;

  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL, SV_TYPE_SESSION,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/sv-session-page.ui");
  gtk_widget_class_bind_template_child (widget_class, SvSessionPage, page);
  gtk_widget_class_bind_template_child (widget_class, SvSessionPage, user_row);
  gtk_widget_class_bind_template_child (widget_class, SvSessionPage, server_row);
  gtk_widget_class_bind_template_child (widget_class, SvSessionPage, expiry_row);
  gtk_widget_class_bind_template_child (widget_class, SvSessionPage, patient_row);
  gtk_widget_class_bind_template_child (widget_class, SvSessionPage, granted_group);
  gtk_widget_class_bind_template_child (widget_class, SvSessionPage, missing_group);
}

static void
sv_session_page_init (SvSessionPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->scope_rows = g_ptr_array_new ();
  self->tick = g_timeout_add_seconds (1, on_tick, self);
}

/**
 * sv_session_page_new:
 *
 * Returns: (transfer floating): a new page
 */
GtkWidget *
sv_session_page_new (void)
{
  return g_object_new (SV_TYPE_SESSION_PAGE, NULL);
}
