/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-profile-dialog"

#include "config.h"

#include "sv-profile-dialog.h"

#include <glib/gi18n.h>
#include <string.h>

#include "sv-application.h"
#include "sv-discovery.h"
#include "sv-window.h"

/* "Connect to a SMART server": a preset, then the few fields a server
 * needs, checked as the user types; "Check Server" runs discovery and says
 * what the server supports before anything is saved. Connect saves the
 * profile and signs in. Editing an existing profile uses the same form. */

struct _SvProfileDialog
{
  AdwWindow         parent_instance;

  SvProfileStore   *store;
  SvTokenStore     *store_secrets;
  SoupSession      *http;
  SvServerProfile  *original;
  GCancellable     *cancellable;

  AdwComboRow      *preset_row;
  AdwEntryRow      *name_row;
  AdwEntryRow      *fhir_row;
  AdwEntryRow      *client_id_row;
  AdwEntryRow      *client_secret_row;
  AdwComboRow      *idp_row;
  AdwComboRow      *redirect_row;
  AdwEntryRow      *scopes_row;
  AdwEntryRow      *patient_claim_row;
  GtkLabel         *problem_label;
  GtkButton        *connect_button;
  GtkButton        *check_button;
  GtkSpinner       *check_spinner;
  AdwPreferencesGroup *check_group;
  AdwActionRow     *check_source_row;
  AdwActionRow     *check_capabilities_row;
  AdwActionRow     *check_scopes_row;
};

G_DEFINE_FINAL_TYPE (SvProfileDialog, sv_profile_dialog, ADW_TYPE_WINDOW)

static const SvIdpKind idp_kinds[] = { SV_IDP_COGNITO, SV_IDP_KEYCLOAK, SV_IDP_GENERIC };
static const SvRedirectMode redirect_modes[] = { SV_REDIRECT_EMBEDDED, SV_REDIRECT_BROWSER, SV_REDIRECT_SCHEME };

static void
set_row_error (AdwEntryRow *row,
               gboolean     error)
{
  if (error)
    gtk_widget_add_css_class (GTK_WIDGET (row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
}

static char *
row_text (AdwEntryRow *row)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
}

/**
 * sv_profile_dialog_dup_profile:
 * @self: the dialog
 * @error: return location for the first problem found
 *
 * Returns: (transfer full) (nullable): the profile as filled in, when valid
 */
SvServerProfile *
sv_profile_dialog_dup_profile (SvProfileDialog  *self,
                               GError          **error)
{
  g_autoptr(SvServerProfile) profile = NULL;
  g_autofree char *name = row_text (self->name_row);
  g_autofree char *fhir = row_text (self->fhir_row);
  g_autofree char *client_id = row_text (self->client_id_row);
  g_autofree char *scopes = row_text (self->scopes_row);
  g_autofree char *claim = row_text (self->patient_claim_row);
  guint idp = adw_combo_row_get_selected (self->idp_row);
  guint redirect = adw_combo_row_get_selected (self->redirect_row);

  /* Keep what the form does not show (endpoint overrides, issuer). */
  profile = self->original != NULL ? sv_server_profile_copy (self->original) : sv_server_profile_new (name);
  sv_server_profile_set_name (profile, name);
  sv_server_profile_set_fhir_base_url (profile, fhir);
  sv_server_profile_set_client_id (profile, client_id);
  sv_server_profile_set_scopes (profile, *scopes != '\0' ? scopes : NULL);
  if (idp < G_N_ELEMENTS (idp_kinds))
    sv_server_profile_set_idp_kind (profile, idp_kinds[idp]);
  if (redirect < G_N_ELEMENTS (redirect_modes))
    sv_server_profile_set_redirect_mode (profile, redirect_modes[redirect]);
  sv_server_profile_set_patient_claim (profile, *claim != '\0' ? claim : NULL);

  if (!sv_server_profile_validate (profile, error))
    return NULL;

  return g_steal_pointer (&profile);
}

static void
sv_profile_dialog_validate (SvProfileDialog *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvServerProfile) profile = sv_profile_dialog_dup_profile (self, &error);
  g_autofree char *name = row_text (self->name_row);
  g_autofree char *fhir = row_text (self->fhir_row);
  g_autofree char *client_id = row_text (self->client_id_row);

  /* Empty fields are not errors yet: they are simply still to be filled. */
  set_row_error (self->name_row, FALSE);
  set_row_error (self->fhir_row, *fhir != '\0' && error != NULL && strstr (error->message, _("FHIR server address")) != NULL);
  set_row_error (self->client_id_row, FALSE);

  if (profile == NULL && *name != '\0' && *fhir != '\0' && *client_id != '\0')
    gtk_label_set_text (self->problem_label, error->message);
  else if (profile == NULL && *fhir != '\0' && error != NULL && strstr (error->message, _("FHIR server address")) != NULL)
    gtk_label_set_text (self->problem_label, error->message);
  else
    gtk_label_set_text (self->problem_label, "");

  gtk_widget_set_visible (GTK_WIDGET (self->problem_label),
                          *gtk_label_get_text (self->problem_label) != '\0');
  gtk_widget_set_sensitive (GTK_WIDGET (self->connect_button), profile != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->check_button), *fhir != '\0' && *client_id != '\0');
}

static void
on_field_changed (SvProfileDialog *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->check_group), FALSE);
  sv_profile_dialog_validate (self);
}

static void
on_idp_changed (SvProfileDialog *self)
{
  guint idp = adw_combo_row_get_selected (self->idp_row);

  /* The IdP presets where the patient arrives; the field stays editable. */
  if (idp < G_N_ELEMENTS (idp_kinds))
    gtk_editable_set_text (GTK_EDITABLE (self->patient_claim_row),
                           sv_idp_kind_get_patient_claim (idp_kinds[idp]));
  on_field_changed (self);
}

static void
sv_profile_dialog_fill (SvProfileDialog *self,
                        SvServerProfile *profile)
{
  const char *scopes = sv_server_profile_get_scopes (profile);
  const char *claim = sv_server_profile_get_patient_claim (profile);

  gtk_editable_set_text (GTK_EDITABLE (self->name_row), sv_server_profile_get_name (profile));
  gtk_editable_set_text (GTK_EDITABLE (self->fhir_row),
                         sv_server_profile_get_fhir_base_url (profile) != NULL
                         ? sv_server_profile_get_fhir_base_url (profile) : "");
  gtk_editable_set_text (GTK_EDITABLE (self->client_id_row),
                         sv_server_profile_get_client_id (profile) != NULL
                         ? sv_server_profile_get_client_id (profile) : "");
  for (guint i = 0; i < G_N_ELEMENTS (idp_kinds); i++)
    if (idp_kinds[i] == sv_server_profile_get_idp_kind (profile))
      adw_combo_row_set_selected (self->idp_row, i);
  for (guint i = 0; i < G_N_ELEMENTS (redirect_modes); i++)
    if (redirect_modes[i] == sv_server_profile_get_redirect_mode (profile))
      adw_combo_row_set_selected (self->redirect_row, i);
  gtk_editable_set_text (GTK_EDITABLE (self->scopes_row), scopes != NULL ? scopes : "");
  gtk_editable_set_text (GTK_EDITABLE (self->patient_claim_row), claim != NULL ? claim : "");
}

/**
 * sv_profile_dialog_set_preset:
 * @self: the dialog
 * @preset: a preset
 *
 * Fills the form from @preset, keeping what the user typed in the address
 * and client ID.
 */
void
sv_profile_dialog_set_preset (SvProfileDialog *self,
                              SvPreset         preset)
{
  g_autoptr(SvServerProfile) profile = sv_server_profile_new_from_preset (preset, NULL);
  g_autofree char *fhir = row_text (self->fhir_row);
  g_autofree char *client_id = row_text (self->client_id_row);

  if (*fhir != '\0')
    sv_server_profile_set_fhir_base_url (profile, fhir);
  if (*client_id != '\0')
    sv_server_profile_set_client_id (profile, client_id);
  sv_profile_dialog_fill (self, profile);
  if (adw_combo_row_get_selected (self->preset_row) != (guint) preset)
    adw_combo_row_set_selected (self->preset_row, preset);
}

static void
on_preset_changed (SvProfileDialog *self)
{
  guint preset = adw_combo_row_get_selected (self->preset_row);

  if (preset < SV_N_PRESETS && self->original == NULL)
    sv_profile_dialog_set_preset (self, preset);
}

static void
on_checked (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(SvProfileDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SvDiscovery) discovery = sv_discovery_fetch_finish (result, &error);
  g_autofree char *capabilities = NULL;
  g_autofree char *scopes = NULL;
  const char *source_text;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  gtk_spinner_set_spinning (self->check_spinner, FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->check_button), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->check_group), TRUE);

  if (discovery == NULL)
    {
      adw_preferences_group_set_title (self->check_group, _("The Server Could Not Be Checked"));
      adw_action_row_set_subtitle (self->check_source_row, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->check_capabilities_row), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->check_scopes_row), FALSE);
      return;
    }

  switch (sv_discovery_get_source (discovery))
    {
    case SV_DISCOVERY_SOURCE_SMART:
      source_text = _("The server’s SMART configuration");
      break;
    case SV_DISCOVERY_SOURCE_OPENID:
      source_text = _("The identity provider’s OpenID configuration (the FHIR server refused an anonymous request)");
      break;
    case SV_DISCOVERY_SOURCE_PROFILE:
    default:
      source_text = _("The endpoints typed into this profile");
      break;
    }

  capabilities = sv_discovery_get_capabilities (discovery) != NULL
    ? g_strjoinv (", ", (char **) sv_discovery_get_capabilities (discovery)) : g_strdup (_("None listed"));
  scopes = sv_discovery_dup_default_scopes (discovery);

  adw_preferences_group_set_title (self->check_group, _("The Server Supports SMART Sign-in"));
  adw_action_row_set_subtitle (self->check_source_row, source_text);
  adw_action_row_set_subtitle (self->check_capabilities_row, capabilities);
  adw_action_row_set_subtitle (self->check_scopes_row, scopes);
  gtk_widget_set_visible (GTK_WIDGET (self->check_capabilities_row), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->check_scopes_row), TRUE);

  /* Offer the scopes the server's capabilities call for when none were typed. */
  if (*gtk_editable_get_text (GTK_EDITABLE (self->scopes_row)) == '\0' && scopes != NULL)
    {
      g_signal_handlers_block_by_func (self->scopes_row, on_field_changed, self);
      gtk_editable_set_text (GTK_EDITABLE (self->scopes_row), scopes);
      g_signal_handlers_unblock_by_func (self->scopes_row, on_field_changed, self);
    }
}

static void
on_check_clicked (SvProfileDialog *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvServerProfile) profile = sv_profile_dialog_dup_profile (self, &error);

  if (profile == NULL)
    {
      gtk_label_set_text (self->problem_label, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->problem_label), TRUE);
      return;
    }

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  gtk_spinner_set_spinning (self->check_spinner, TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->check_button), FALSE);
  sv_discovery_fetch_async (profile, self->http, self->cancellable, on_checked, g_object_ref (self));
}

static void
sv_profile_dialog_finish (SvProfileDialog *self,
                          SvServerProfile *profile)
{
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));

  if (SV_IS_WINDOW (parent))
    sv_window_sign_in (SV_WINDOW (parent), profile);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_secret_saved (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(SvProfileDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  SvServerProfile *profile = g_object_get_data (G_OBJECT (self), "sv-profile");

  gtk_widget_set_sensitive (GTK_WIDGET (self), TRUE);
  if (!sv_token_store_save_client_secret_finish (SV_TOKEN_STORE (source), result, &error))
    {
      /* Never to a file: without a keyring the secret cannot be kept. */
      gtk_label_set_text (self->problem_label, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->problem_label), TRUE);
      return;
    }

  sv_profile_dialog_finish (self, profile);
}

static void
on_connect_clicked (SvProfileDialog *self)
{
  g_autofree char *secret = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SvServerProfile) profile = sv_profile_dialog_dup_profile (self, &error);
  gboolean renamed;

  if (profile == NULL)
    {
      gtk_label_set_text (self->problem_label, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->problem_label), TRUE);
      return;
    }

  renamed = self->original != NULL &&
            g_strcmp0 (sv_server_profile_get_name (self->original), sv_server_profile_get_name (profile)) != 0;

  /* A new profile must not silently replace another one of the same name. */
  if (!sv_profile_store_add (self->store, profile, self->original != NULL && !renamed, &error) ||
      (renamed && !sv_profile_store_remove (self->store, sv_server_profile_get_name (self->original), &error)) ||
      !sv_profile_store_save (self->store, &error))
    {
      gtk_label_set_text (self->problem_label, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->problem_label), TRUE);
      return;
    }

  secret = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->client_secret_row)));
  if (*secret != '\0')
    {
      /* The secret goes to the keyring only, and sign-in waits for it. An
       * empty field keeps what is stored. */
      gtk_widget_set_sensitive (GTK_WIDGET (self), FALSE);
      g_object_set_data_full (G_OBJECT (self), "sv-profile", g_object_ref (profile), g_object_unref);
      sv_token_store_save_client_secret_async (self->store_secrets, sv_server_profile_get_name (profile),
                                               secret, NULL, on_secret_saved, g_object_ref (self));
      explicit_bzero (secret, strlen (secret));
      gtk_editable_set_text (GTK_EDITABLE (self->client_secret_row), "");
      return;
    }

  sv_profile_dialog_finish (self, profile);
}

static void
sv_profile_dialog_dispose (GObject *object)
{
  SvProfileDialog *self = SV_PROFILE_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), SV_TYPE_PROFILE_DIALOG);
  g_clear_object (&self->store);
  g_clear_object (&self->store_secrets);
  g_clear_object (&self->http);
  g_clear_object (&self->original);

  G_OBJECT_CLASS (sv_profile_dialog_parent_class)->dispose (object);
}

static void
sv_profile_dialog_class_init (SvProfileDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sv_profile_dialog_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/sv-profile-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, SvProfileDialog, preset_row);
  gtk_widget_class_bind_template_child (widget_class, SvProfileDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, SvProfileDialog, fhir_row);
  gtk_widget_class_bind_template_child (widget_class, SvProfileDialog, client_id_row);
  gtk_widget_class_bind_template_child (widget_class, SvProfileDialog, client_secret_row);
  gtk_widget_class_bind_template_child (widget_class, SvProfileDialog, idp_row);
  gtk_widget_class_bind_template_child (widget_class, SvProfileDialog, redirect_row);
  gtk_widget_class_bind_template_child (widget_class, SvProfileDialog, scopes_row);
  gtk_widget_class_bind_template_child (widget_class, SvProfileDialog, patient_claim_row);
  gtk_widget_class_bind_template_child (widget_class, SvProfileDialog, problem_label);
  gtk_widget_class_bind_template_child (widget_class, SvProfileDialog, connect_button);
  gtk_widget_class_bind_template_child (widget_class, SvProfileDialog, check_button);
  gtk_widget_class_bind_template_child (widget_class, SvProfileDialog, check_spinner);
  gtk_widget_class_bind_template_child (widget_class, SvProfileDialog, check_group);
  gtk_widget_class_bind_template_child (widget_class, SvProfileDialog, check_source_row);
  gtk_widget_class_bind_template_child (widget_class, SvProfileDialog, check_capabilities_row);
  gtk_widget_class_bind_template_child (widget_class, SvProfileDialog, check_scopes_row);
  gtk_widget_class_bind_template_callback (widget_class, on_field_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_idp_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_preset_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_check_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_connect_clicked);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
sv_profile_dialog_init (SvProfileDialog *self)
{
  GtkStringList *presets = gtk_string_list_new (NULL);

  gtk_widget_init_template (GTK_WIDGET (self));

  for (guint i = 0; i < SV_N_PRESETS; i++)
    gtk_string_list_append (presets, sv_preset_get_title (i));
  adw_combo_row_set_model (self->preset_row, G_LIST_MODEL (presets));
  g_object_unref (presets);
}

/**
 * sv_profile_dialog_new:
 * @parent: the main window (it signs in after Connect)
 * @store: where the profile is saved
 * @http: for "Check Server"
 * @profile: (nullable): a profile to edit, or %NULL for a new one
 *
 * Returns: (transfer floating): the dialog
 */
GtkWidget *
sv_profile_dialog_new (GtkWindow       *parent,
                       SvProfileStore  *store,
                       SoupSession     *http,
                       SvServerProfile *profile)
{
  SvProfileDialog *self = g_object_new (SV_TYPE_PROFILE_DIALOG,
                                        "transient-for", parent,
                                        "modal", TRUE,
                                        NULL);

  self->store = g_object_ref (store);
  self->http = g_object_ref (http);
  self->store_secrets = parent != NULL && SV_IS_APPLICATION (gtk_window_get_application (parent))
    ? g_object_ref (sv_application_get_token_store (SV_APPLICATION (gtk_window_get_application (parent))))
    : sv_token_store_new ();

  if (profile != NULL)
    {
      self->original = g_object_ref (profile);
      gtk_window_set_title (GTK_WINDOW (self), _("Edit Server"));
      gtk_widget_set_visible (GTK_WIDGET (self->preset_row), FALSE);
      sv_profile_dialog_fill (self, profile);
    }
  else
    {
      sv_profile_dialog_set_preset (self, SV_PRESET_HEALTHLAKE_COGNITO);
    }
  sv_profile_dialog_validate (self);

  return GTK_WIDGET (self);
}
