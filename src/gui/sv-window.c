/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-window"

#include "config.h"

#include "sv-window.h"

#include <glib/gi18n.h>

#include "sv-application.h"
#include "sv-error.h"
#include "sv-inspector-window.h"
#include "sv-patient-picker.h"
#include "sv-patient-view.h"
#include "sv-profile-dialog.h"
#include "sv-session-bearer.h"
#include "sv-session-page.h"
#include "sv-sign-in-flow.h"

struct _SvWindow
{
  AdwApplicationWindow  parent_instance;

  GSettings            *settings;
  GCancellable         *cancellable;
  SvSignInFlow         *flow;
  SvServerProfile      *pending_profile;
  SvSession            *session;
  SvFhirClient         *fhir_client;
  SvInspectorWindow    *inspector;

  AdwToastOverlay      *toast_overlay;
  GtkStack             *stack;
  AdwStatusPage        *welcome_page;
  AdwStatusPage        *busy_page;
  GtkSpinner           *busy_spinner;
  GtkBox               *paste_box;
  GtkEntry             *paste_entry;
  SvSessionPage        *session_page;
  GtkBox               *profiles_box;
  GtkListBox           *profiles_list;
  SvPatientPicker      *patient_picker;
  SvPatientView        *patient_view;
  GtkWidget            *change_patient_button;
  GtkWidget            *back_button;
  GtkWidget            *session_button;
};

G_DEFINE_FINAL_TYPE (SvWindow, sv_window, ADW_TYPE_APPLICATION_WINDOW)

#define SANDBOX_PROFILE_NAME N_("Offline sandbox")

static SvApplication *
sv_window_get_app (SvWindow *self)
{
  return SV_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
}

static GtkWidget *
sv_window_profile_row (SvWindow        *self,
                       SvServerProfile *profile)
{
  const char *name = sv_server_profile_get_name (profile);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *sign_in = gtk_button_new_with_mnemonic (_("_Sign In"));
  GtkWidget *menu_button = gtk_menu_button_new ();
  g_autoptr(GMenu) menu = g_menu_new ();
  g_autoptr(GMenuItem) edit = g_menu_item_new (_("_Edit"), NULL);
  g_autoptr(GMenuItem) duplicate = g_menu_item_new (_("_Duplicate"), NULL);
  g_autoptr(GMenuItem) remove = g_menu_item_new (_("_Remove"), NULL);
  g_autofree char *menu_label = NULL;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), sv_server_profile_get_fhir_base_url (profile));

  gtk_widget_set_valign (sign_in, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (sign_in), "win.profile-sign-in");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (sign_in), "s", name);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), sign_in);

  g_menu_item_set_action_and_target (edit, "win.profile-edit", "s", name);
  g_menu_item_set_action_and_target (duplicate, "win.profile-duplicate", "s", name);
  g_menu_item_set_action_and_target (remove, "win.profile-remove", "s", name);
  g_menu_append_item (menu, edit);
  g_menu_append_item (menu, duplicate);
  g_menu_append_item (menu, remove);
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (menu_button), G_MENU_MODEL (menu));
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (menu_button), "view-more-symbolic");
  gtk_widget_set_valign (menu_button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (menu_button, "flat");
  /* Translators: the tooltip of a server's menu button; %s is its name. */
  menu_label = g_strdup_printf (_("More Actions for “%s”"), name);
  gtk_widget_set_tooltip_text (menu_button, menu_label);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), menu_button);

  return row;
}

static void
sv_window_refresh_profiles (SvWindow *self)
{
  SvProfileStore *store = sv_application_get_profile_store (sv_window_get_app (self));
  g_autoptr(GPtrArray) profiles = NULL;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->profiles_list))) != NULL)
    gtk_list_box_remove (self->profiles_list, child);

  if (store == NULL)
    return;

  profiles = sv_profile_store_list (store);
  for (guint i = 0; i < profiles->len; i++)
    gtk_list_box_append (self->profiles_list, sv_window_profile_row (self, g_ptr_array_index (profiles, i)));

  gtk_widget_set_visible (GTK_WIDGET (self->profiles_box), profiles->len > 0);
}

static void
sv_window_set_page (SvWindow   *self,
                    const char *name)
{
  if (g_str_equal (name, "welcome") && gtk_window_get_application (GTK_WINDOW (self)) != NULL)
    sv_window_refresh_profiles (self);
  if (!g_str_equal (name, "busy"))
    gtk_widget_set_visible (GTK_WIDGET (self->paste_box), FALSE);

  gtk_spinner_set_spinning (self->busy_spinner, g_str_equal (name, "busy"));
  gtk_stack_set_visible_child_name (self->stack, name);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel", g_str_equal (name, "busy"));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.sign-out", g_str_equal (name, "session"));

  /* The way between the patient, the picker and the session details. */
  {
    gboolean patient_pages = g_str_equal (name, "patient") || g_str_equal (name, "picker");

    gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.change-patient", self->fhir_client != NULL);
    gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.show-session", self->session != NULL);
    gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.show-patient", self->fhir_client != NULL);
    gtk_widget_set_visible (self->change_patient_button, g_str_equal (name, "patient"));
    gtk_widget_set_visible (self->session_button, patient_pages);
    gtk_widget_set_visible (self->back_button, g_str_equal (name, "session") && self->fhir_client != NULL);
  }
}

static void
sv_window_show_busy (SvWindow   *self,
                     const char *title,
                     const char *description)
{
  adw_status_page_set_title (self->busy_page, title);
  adw_status_page_set_description (self->busy_page, description);
  sv_window_set_page (self, "busy");
}

static GCancellable *
sv_window_new_operation (SvWindow *self)
{
  /* One operation at a time per window; starting one cancels the last. */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  return self->cancellable;
}

static void
on_error_response (AdwMessageDialog *dialog,
                   const char       *response,
                   SvWindow         *self)
{
  if (g_strcmp0 (response, "retry") == 0 && self->pending_profile != NULL)
    {
      g_autoptr(SvServerProfile) profile = g_object_ref (self->pending_profile);

      sv_window_sign_in (self, profile);
    }
  else if (g_strcmp0 (response, "retry-sandbox") == 0)
    {
      sv_window_try_sandbox (self);
    }
}

static void
sv_window_show_error (SvWindow     *self,
                      const char   *heading,
                      const GError *error,
                      const char   *retry_response)
{
  AdwMessageDialog *dialog;

  sv_window_set_page (self, self->session != NULL ? "session" : "welcome");

  /* A cancel the user asked for needs no dialog. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  sv_timeline_add_error (sv_application_get_timeline (sv_window_get_app (self)), error);

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), heading, error->message));
  adw_message_dialog_add_response (dialog, "close", _("_Close"));
  if (retry_response != NULL)
    {
      adw_message_dialog_add_response (dialog, retry_response, _("_Try Again"));
      adw_message_dialog_set_response_appearance (dialog, retry_response, ADW_RESPONSE_SUGGESTED);
      adw_message_dialog_set_default_response (dialog, retry_response);
    }
  adw_message_dialog_set_close_response (dialog, "close");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_error_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void sv_window_set_session (SvWindow  *self,
                                   SvSession *session);

static void
on_sign_in_required (SvSession  *session,
                     const char *reason,
                     SvWindow   *self)
{
  g_autoptr(GError) error = g_error_new_literal (SV_ERROR, SV_ERROR_NOT_SIGNED_IN, reason);

  /* A refused refresh ends the session: say why and offer to sign in. */
  g_set_object (&self->pending_profile, sv_session_get_profile (session));
  sv_window_set_session (self, NULL);
  sv_window_show_error (self, _("Sign In Again"), error, "retry");
}

static void
sv_window_set_session (SvWindow  *self,
                       SvSession *session)
{
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_set_object (&self->session, session);
  if (session != NULL)
    g_signal_connect_object (session, "sign-in-required", G_CALLBACK (on_sign_in_required), self, 0);
  sv_session_page_set_session (self->session_page, session);
  if (self->inspector != NULL)
    sv_inspector_window_set_session (self->inspector, session);

  /* Whatever was shown for the last session goes with it. */
  sv_patient_view_clear (self->patient_view);
  sv_patient_picker_set_client (self->patient_picker, NULL);
  g_clear_object (&self->fhir_client);

  if (session != NULL)
    {
      g_autoptr(SvSessionBearer) bearer = sv_session_bearer_new (session);
      g_autoptr(GError) error = NULL;

      self->fhir_client = sv_fhir_client_new (sv_server_profile_get_fhir_base_url (sv_session_get_profile (session)),
                                              SV_BEARER_SOURCE (bearer),
                                              sv_session_get_http (session), &error);
      if (self->fhir_client == NULL)
        g_warning ("No FHIR client for the session: %s", error->message);
    }
}

/**
 * sv_window_open_patient:
 * @self: the window
 * @patient_id: a Patient id on the signed-in server
 *
 * Shows the patient view for @patient_id and remembers it as recently
 * opened.
 */
void
sv_window_open_patient (SvWindow   *self,
                        const char *patient_id)
{
  g_return_if_fail (SV_IS_WINDOW (self));
  g_return_if_fail (patient_id != NULL);

  if (self->fhir_client == NULL)
    return;

  sv_patient_picker_add_recent (self->settings, patient_id);
  if (self->inspector != NULL && g_strcmp0 (patient_id, sv_session_get_patient (self->session)) != 0)
    sv_inspector_window_set_picked_patient (self->inspector, patient_id);
  sv_patient_view_load (self->patient_view, self->fhir_client, patient_id,
                        sv_session_get_granted_scope (self->session),
                        sv_server_profile_get_name (sv_session_get_profile (self->session)));
  sv_window_set_page (self, "patient");
}

static void
on_patient_activated (SvWindow   *self,
                      const char *patient_id)
{
  sv_window_open_patient (self, patient_id);
}

static void
sv_window_show_picker (SvWindow *self)
{
  if (self->fhir_client == NULL)
    return;

  sv_patient_picker_set_client (self->patient_picker, self->fhir_client);
  sv_window_set_page (self, "picker");
  sv_patient_picker_focus_search (self->patient_picker);
}

/* After sign-in: the patient of the launch context, else the picker. */
static void
sv_window_show_session_patient (SvWindow *self)
{
  const char *patient = self->session != NULL ? sv_session_get_patient (self->session) : NULL;

  if (self->fhir_client == NULL)
    sv_window_set_page (self, "session");
  else if (patient != NULL)
    sv_window_open_patient (self, patient);
  else
    sv_window_show_picker (self);
}

static void
sv_window_change_patient_action (GtkWidget  *widget,
                                 const char *action_name,
                                 GVariant   *parameter)
{
  sv_window_show_picker (SV_WINDOW (widget));
}

static void
sv_window_show_session_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  SvWindow *self = SV_WINDOW (widget);

  if (self->session != NULL)
    sv_window_set_page (self, "session");
}

static void
sv_window_show_patient_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  SvWindow *self = SV_WINDOW (widget);
  SvPatientRecord *record = sv_patient_view_get_record (self->patient_view);

  if (sv_patient_record_get_patient_id (record) != NULL)
    sv_window_set_page (self, "patient");
  else
    sv_window_show_session_patient (self);
}

/* The workshop inspector: a window of its own (see sv-inspector-window.c),
 * made on first use, hidden and shown again after that. */
static void
sv_window_inspector_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  SvWindow *self = SV_WINDOW (widget);

  if (self->inspector == NULL)
    {
      self->inspector = g_object_ref_sink (sv_inspector_window_new (sv_application_get_timeline (sv_window_get_app (self))));
      sv_inspector_window_set_session (self->inspector, self->session);
      if (self->session != NULL && sv_session_get_patient (self->session) == NULL)
        sv_inspector_window_set_picked_patient (self->inspector,
                                                sv_patient_record_get_patient_id (sv_patient_view_get_record (self->patient_view)));
    }

  if (gtk_widget_get_visible (GTK_WIDGET (self->inspector)))
    gtk_widget_set_visible (GTK_WIDGET (self->inspector), FALSE);
  else
    gtk_window_present (GTK_WINDOW (self->inspector));
}

/**
 * sv_window_get_inspector:
 * @self: the window
 *
 * Returns: (transfer none) (nullable): the inspector, once opened
 */
SvInspectorWindow *
sv_window_get_inspector (SvWindow *self)
{
  g_return_val_if_fail (SV_IS_WINDOW (self), NULL);
  return self->inspector;
}

static void
sv_window_toast_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  sv_window_show_toast (SV_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

/**
 * sv_window_get_patient_view:
 * @self: the window
 *
 * Returns: (transfer none): the patient view
 */
SvPatientView *
sv_window_get_patient_view (SvWindow *self)
{
  g_return_val_if_fail (SV_IS_WINDOW (self), NULL);
  return self->patient_view;
}

/**
 * sv_window_get_patient_picker:
 * @self: the window
 *
 * Returns: (transfer none): the patient picker
 */
SvPatientPicker *
sv_window_get_patient_picker (SvWindow *self)
{
  g_return_val_if_fail (SV_IS_WINDOW (self), NULL);
  return self->patient_picker;
}

static void
on_sign_in_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(SvWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SvSession) session = NULL;
  SvProfileStore *store;

  session = sv_sign_in_flow_run_finish (SV_SIGN_IN_FLOW (source), result, &error);
  if (SV_SIGN_IN_FLOW (source) == self->flow)
    g_clear_object (&self->flow);

  if (session == NULL)
    {
      sv_window_show_error (self, _("Sign-in Failed"), error, "retry");
      return;
    }

  store = sv_application_get_profile_store (sv_window_get_app (self));
  sv_profile_store_set_last_used (store, sv_server_profile_get_name (sv_session_get_profile (session)));
  {
    g_autoptr(GError) save_error = NULL;

    if (!sv_profile_store_save (store, &save_error))
      g_warning ("Could not save the server profiles: %s", save_error->message);
  }

  sv_window_set_session (self, session);
  sv_window_show_session_patient (self);
  g_clear_object (&self->pending_profile);

  /* Said once per run: without a keyring, nothing is kept, never a file. */
  if (sv_token_store_get_memory_only (sv_application_get_token_store (sv_window_get_app (self))) &&
      !g_object_get_data (G_OBJECT (sv_window_get_app (self)), "memory-only-explained"))
    {
      g_object_set_data (G_OBJECT (sv_window_get_app (self)), "memory-only-explained", GINT_TO_POINTER (TRUE));
      sv_window_show_toast (self, _("No keyring is available: you stay signed in only until SMART Viewer quits"));
    }
}

/**
 * sv_window_sign_in:
 * @self: the window
 * @profile: the server to sign in to
 *
 * Signs in with @profile; the window shows the progress, then the session
 * or an error with a way forward.
 */
void
sv_window_sign_in (SvWindow        *self,
                   SvServerProfile *profile)
{
  SvApplication *app = sv_window_get_app (self);
  g_autofree char *description = NULL;
  GCancellable *cancellable;

  g_return_if_fail (SV_IS_WINDOW (self));
  g_return_if_fail (SV_IS_SERVER_PROFILE (profile));

  cancellable = sv_window_new_operation (self);
  g_set_object (&self->pending_profile, profile);

  /* Translators: %s is the name of a server profile. */
  description = g_strdup_printf (_("Signing in to “%s”. Finish signing in on the page that opens."),
                                 sv_server_profile_get_name (profile));
  sv_window_show_busy (self, _("Signing In"), description);

  g_clear_object (&self->flow);
  self->flow = sv_sign_in_flow_new (profile,
                                    sv_application_get_http (app),
                                    sv_application_get_token_store (app),
                                    GTK_WINDOW (self));
  sv_sign_in_flow_set_timeline (self->flow, sv_application_get_timeline (app));
  sv_application_follow_server (app, sv_server_profile_get_fhir_base_url (profile));
  /* A session kept in the keyring is used without a login page. */
  sv_sign_in_flow_set_try_restore (self->flow, TRUE);
  sv_sign_in_flow_run_async (self->flow, cancellable, on_sign_in_done, g_object_ref (self));

  /* When the system browser does the sign-in, its redirect may never come
   * back (no URI handler, a closed tab): offer to paste it. */
  gtk_editable_set_text (GTK_EDITABLE (self->paste_entry), "");
  gtk_widget_set_visible (GTK_WIDGET (self->paste_box),
                          sv_server_profile_get_redirect_mode (profile) != SV_REDIRECT_EMBEDDED);
}

static void
on_paste_activate (SvWindow *self)
{
  g_autofree char *uri = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->paste_entry))));

  if (*uri == '\0')
    return;

  if (!sv_window_offer_redirect (self, uri))
    sv_window_show_toast (self, _("That is not the address this sign-in is waiting for. Copy the whole address from the browser."));
}

static void
on_copy_url_clicked (SvWindow *self)
{
  const char *url = self->flow != NULL ? sv_sign_in_flow_get_authorization_url (self->flow) : NULL;

  if (url == NULL)
    return;

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), url);
  sv_window_show_toast (self, _("Sign-in address copied; open it in your browser"));
}

static SvServerProfile *
sv_window_lookup_profile (SvWindow *self,
                          GVariant *parameter)
{
  SvProfileStore *store = sv_application_get_profile_store (sv_window_get_app (self));

  return sv_profile_store_lookup (store, g_variant_get_string (parameter, NULL));
}

static void
sv_window_profile_sign_in_action (GtkWidget  *widget,
                                  const char *action_name,
                                  GVariant   *parameter)
{
  SvWindow *self = SV_WINDOW (widget);
  SvServerProfile *profile = sv_window_lookup_profile (self, parameter);

  if (profile != NULL)
    sv_window_sign_in (self, profile);
}

static void
sv_window_profile_edit_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  SvWindow *self = SV_WINDOW (widget);
  SvApplication *app = sv_window_get_app (self);
  SvServerProfile *profile = sv_window_lookup_profile (self, parameter);
  GtkWidget *dialog;

  if (profile == NULL)
    return;

  dialog = sv_profile_dialog_new (GTK_WINDOW (self), sv_application_get_profile_store (app),
                                  sv_application_get_http (app), profile);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
sv_window_profile_duplicate_action (GtkWidget  *widget,
                                    const char *action_name,
                                    GVariant   *parameter)
{
  SvWindow *self = SV_WINDOW (widget);
  SvProfileStore *store = sv_application_get_profile_store (sv_window_get_app (self));
  SvServerProfile *profile = sv_window_lookup_profile (self, parameter);
  g_autoptr(SvServerProfile) copy = NULL;
  g_autoptr(GError) error = NULL;

  if (profile == NULL)
    return;

  copy = sv_server_profile_copy (profile);
  for (guint i = 2; ; i++)
    {
      /* Translators: the name of a copied server profile, e.g. "Workshop (2)". */
      g_autofree char *name = g_strdup_printf (_("%s (%u)"), sv_server_profile_get_name (profile), i);

      if (sv_profile_store_lookup (store, name) == NULL)
        {
          sv_server_profile_set_name (copy, name);
          break;
        }
    }

  if (!sv_profile_store_add (store, copy, FALSE, &error) || !sv_profile_store_save (store, &error))
    sv_window_show_toast (self, error->message);
  sv_window_refresh_profiles (self);
}

static void
on_remove_response (AdwMessageDialog *dialog,
                    const char       *response,
                    SvWindow         *self)
{
  SvApplication *app = sv_window_get_app (self);
  SvProfileStore *store = sv_application_get_profile_store (app);
  const char *name = g_object_get_data (G_OBJECT (dialog), "profile-name");
  g_autoptr(GError) error = NULL;

  if (g_strcmp0 (response, "remove") != 0)
    return;

  /* The kept session goes with the profile: nothing of it stays in the keyring. */
  sv_token_store_delete_async (sv_application_get_token_store (app), name, NULL, NULL, NULL);
  if (!sv_profile_store_remove (store, name, &error) || !sv_profile_store_save (store, &error))
    sv_window_show_toast (self, error->message);
  sv_window_refresh_profiles (self);
}

static void
sv_window_profile_remove_action (GtkWidget  *widget,
                                 const char *action_name,
                                 GVariant   *parameter)
{
  SvWindow *self = SV_WINDOW (widget);
  const char *name = g_variant_get_string (parameter, NULL);
  g_autofree char *heading = NULL;
  AdwMessageDialog *dialog;

  /* Translators: %s is the name of a server profile. */
  heading = g_strdup_printf (_("Remove “%s”?"), name);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), heading,
                                                       _("The server’s settings are removed and you are signed out of it.")));
  adw_message_dialog_add_response (dialog, "cancel", _("_Cancel"));
  adw_message_dialog_add_response (dialog, "remove", _("_Remove"));
  adw_message_dialog_set_response_appearance (dialog, "remove", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "profile-name", g_strdup (name), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_remove_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static SvServerProfile *
sv_window_sandbox_profile (SvWindow  *self,
                           SvSandbox *sandbox)
{
  SvProfileStore *store = sv_application_get_profile_store (sv_window_get_app (self));
  SvServerProfile *existing = sv_profile_store_lookup (store, _(SANDBOX_PROFILE_NAME));
  g_autoptr(SvServerProfile) profile = NULL;
  g_autoptr(GError) error = NULL;
  gboolean cognito = g_strcmp0 (sv_sandbox_get_flavor (sandbox), "cognito") == 0;

  /* The sandbox picks a new port on every start: keep what the user set in
   * the profile (scopes, redirect mode) and update where it points. */
  if (existing != NULL)
    profile = sv_server_profile_copy (existing);
  else
    profile = sv_server_profile_new_from_preset (SV_PRESET_SANDBOX, _(SANDBOX_PROFILE_NAME));

  sv_server_profile_set_fhir_base_url (profile, sv_sandbox_get_fhir_base (sandbox));
  sv_server_profile_set_client_id (profile, sv_sandbox_get_client_id (sandbox));
  sv_server_profile_set_issuer (profile, sv_sandbox_get_issuer (sandbox));
  sv_server_profile_set_idp_kind (profile, cognito ? SV_IDP_COGNITO : SV_IDP_KEYCLOAK);
  sv_server_profile_set_patient_claim (profile, sv_idp_kind_get_patient_claim (cognito ? SV_IDP_COGNITO
                                                                                        : SV_IDP_KEYCLOAK));

  if (!sv_profile_store_add (store, profile, TRUE, &error) ||
      !sv_profile_store_save (store, &error))
    g_warning ("Could not save the sandbox profile: %s", error->message);

  return g_steal_pointer (&profile);
}

static void
on_sandbox_started (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(SvWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SvServerProfile) profile = NULL;

  if (!sv_sandbox_start_finish (SV_SANDBOX (source), result, &error))
    {
      sv_window_show_error (self, _("The Offline Sandbox Could Not Start"), error, "retry-sandbox");
      return;
    }

  if (g_cancellable_is_cancelled (self->cancellable))
    return;

  profile = sv_window_sandbox_profile (self, SV_SANDBOX (source));
  sv_window_sign_in (self, profile);
}

/**
 * sv_window_try_sandbox:
 * @self: the window
 *
 * Starts (or finds) the offline sandbox, points the "Offline sandbox"
 * profile at it and signs in.
 */
void
sv_window_try_sandbox (SvWindow *self)
{
  SvSandbox *sandbox = sv_application_get_sandbox (sv_window_get_app (self));
  GCancellable *cancellable = sv_window_new_operation (self);

  sv_window_show_busy (self, _("Starting the Offline Sandbox"),
                       _("A SMART on FHIR server with sample patients is starting on this computer."));
  sv_sandbox_start_async (sandbox, cancellable, on_sandbox_started, g_object_ref (self));
}

/**
 * sv_window_offer_redirect:
 * @self: the window
 * @uri: a redirect the app received through its URI scheme
 *
 * Returns: whether this window's sign-in took @uri
 */
gboolean
sv_window_offer_redirect (SvWindow   *self,
                          const char *uri)
{
  g_return_val_if_fail (SV_IS_WINDOW (self), FALSE);

  return self->flow != NULL && sv_sign_in_flow_offer_redirect (self->flow, uri);
}

/**
 * sv_window_get_session:
 * @self: the window
 *
 * Returns: (transfer none) (nullable): the signed-in session
 */
SvSession *
sv_window_get_session (SvWindow *self)
{
  g_return_val_if_fail (SV_IS_WINDOW (self), NULL);

  return self->session;
}

/**
 * sv_window_get_page:
 * @self: the window
 *
 * Returns: the name of the page shown: "welcome", "busy" or "session"
 */
const char *
sv_window_get_page (SvWindow *self)
{
  g_return_val_if_fail (SV_IS_WINDOW (self), NULL);

  return gtk_stack_get_visible_child_name (self->stack);
}

static void
on_signed_out (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(SvWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!sv_session_sign_out_finish (SV_SESSION (source), result, &error))
    {
      /* Signed out locally all the same; say what could not be done. */
      g_debug ("Sign-out: %s", error->message);
      sv_window_show_toast (self, _("Signed out here, but the server could not be told"));
    }
  else
    {
      sv_window_show_toast (self, _("Signed out"));
    }
}

static void
sv_window_sign_out_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  SvWindow *self = SV_WINDOW (widget);
  g_autoptr(SvSession) session = NULL;

  if (self->session == NULL)
    return;

  session = g_object_ref (self->session);
  sv_window_set_session (self, NULL);
  sv_window_set_page (self, "welcome");
  sv_session_sign_out_async (session, NULL, on_signed_out, g_object_ref (self));
}

static void
sv_window_cancel_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  SvWindow *self = SV_WINDOW (widget);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->flow);
  sv_window_set_page (self, self->session != NULL ? "session" : "welcome");
}

static void
sv_window_save_state (SvWindow *self)
{
  int width, height;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);

  g_settings_delay (self->settings);
  g_settings_set_boolean (self->settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
  if (!gtk_window_is_maximized (GTK_WINDOW (self)))
    g_settings_set (self->settings, "window-size", "(ii)", width, height);
  g_settings_apply (self->settings);
}

static gboolean
sv_window_close_request (GtkWindow *window)
{
  SvWindow *self = SV_WINDOW (window);

  sv_window_save_state (self);
  g_cancellable_cancel (self->cancellable);

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

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->flow);
  g_clear_object (&self->pending_profile);
  g_clear_object (&self->session);
  g_clear_object (&self->fhir_client);
  if (self->inspector != NULL)
    gtk_window_destroy (GTK_WINDOW (self->inspector));
  g_clear_object (&self->inspector);
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

  g_type_ensure (SV_TYPE_SESSION_PAGE);
  g_type_ensure (SV_TYPE_PATIENT_PICKER);
  g_type_ensure (SV_TYPE_PATIENT_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/sv-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SvWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, welcome_page);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, busy_page);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, busy_spinner);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, session_page);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, paste_box);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, paste_entry);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, profiles_box);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, profiles_list);
  gtk_widget_class_bind_template_callback (widget_class, on_paste_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_copy_url_clicked);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, patient_picker);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, patient_view);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, change_patient_button);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, back_button);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, session_button);
  gtk_widget_class_bind_template_callback (widget_class, on_patient_activated);

  gtk_widget_class_install_action (widget_class, "win.sign-out", NULL, sv_window_sign_out_action);
  gtk_widget_class_install_action (widget_class, "win.cancel", NULL, sv_window_cancel_action);
  gtk_widget_class_install_action (widget_class, "win.change-patient", NULL, sv_window_change_patient_action);
  gtk_widget_class_install_action (widget_class, "win.show-session", NULL, sv_window_show_session_action);
  gtk_widget_class_install_action (widget_class, "win.show-patient", NULL, sv_window_show_patient_action);
  gtk_widget_class_install_action (widget_class, "win.toast", "s", sv_window_toast_action);
  gtk_widget_class_install_action (widget_class, "win.inspector", NULL, sv_window_inspector_action);
  gtk_widget_class_install_action (widget_class, "win.profile-sign-in", "s", sv_window_profile_sign_in_action);
  gtk_widget_class_install_action (widget_class, "win.profile-edit", "s", sv_window_profile_edit_action);
  gtk_widget_class_install_action (widget_class, "win.profile-duplicate", "s", sv_window_profile_duplicate_action);
  gtk_widget_class_install_action (widget_class, "win.profile-remove", "s", sv_window_profile_remove_action);
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
  sv_window_set_page (self, "welcome");
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
  SvWindow *self = g_object_new (SV_TYPE_WINDOW,
                                 "application", application,
                                 NULL);

  /* The saved servers can be listed once the application is known. */
  sv_window_refresh_profiles (self);

  return self;
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
