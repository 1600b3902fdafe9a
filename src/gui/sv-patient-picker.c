/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-patient-picker"

#include "config.h"

#include "sv-patient-picker.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "sv-patient-match.h"
#include "sv-patient-search.h"

/* Finding a patient when the sign-in gave no patient context: a search as
 * you type (debounced, each keystroke cancelling the search before it) and,
 * before anything is typed, the patients opened recently. Keyboard only:
 * type, Down into the list, Enter to open; Enter in the entry opens the
 * first match. */

/* Long enough not to search on every keystroke of a name, short enough to
 * feel immediate. */
#define SEARCH_DELAY_MS 300
#define MAX_RECENT 10

struct _SvPatientPicker
{
  GtkWidget      parent_instance;

  SvFhirClient  *client;
  GSettings     *settings;
  GListStore    *matches;
  GCancellable  *cancellable;
  guint          search_timeout;
  gboolean       busy;
  gboolean       showing_recent;

  GtkSearchEntry *search_entry;
  GtkLabel      *heading_label;
  GtkSpinner    *spinner;
  GtkStack      *stack;
  GtkListView   *list_view;
  AdwStatusPage *status_page;
  GtkLabel      *partial_label;
};

G_DEFINE_FINAL_TYPE (SvPatientPicker, sv_patient_picker, GTK_TYPE_WIDGET)

enum
{
  PATIENT_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
set_busy (SvPatientPicker *self,
          gboolean         busy)
{
  self->busy = busy;
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
}

/* A search that stopped before its last page, or whose entries were not
 * all readable, says so under the results instead of silently showing
 * fewer. */
static void
show_partial (SvPatientPicker *self,
              const char      *reason)
{
  gtk_widget_set_visible (GTK_WIDGET (self->partial_label), reason != NULL);
  if (reason != NULL)
    {
      /* Translators: under the patient search results; the value says why. */
      g_autofree char *text = g_strdup_printf (_("Not all matches could be read: %s"), reason);

      gtk_label_set_text (self->partial_label, text);
    }
}

static void
show_matches (SvPatientPicker *self,
              GPtrArray       *matches)
{
  show_partial (self, NULL);
  g_list_store_splice (self->matches, 0, g_list_model_get_n_items (G_LIST_MODEL (self->matches)),
                       matches->pdata, matches->len);

  if (matches->len > 0)
    {
      gtk_stack_set_visible_child_name (self->stack, "list");
      return;
    }

  gtk_stack_set_visible_child_name (self->stack, "status");
  adw_status_page_set_description (self->status_page, NULL);
  if (self->showing_recent)
    {
      adw_status_page_set_icon_name (self->status_page, "system-search-symbolic");
      adw_status_page_set_title (self->status_page, _("Search for a Patient"));
      adw_status_page_set_description (self->status_page,
                                       _("Patients you open are listed here for the next time."));
    }
  else
    {
      adw_status_page_set_icon_name (self->status_page, "edit-find-symbolic");
      adw_status_page_set_title (self->status_page, _("No Patients Found"));
    }
}

static void
show_error (SvPatientPicker *self,
            const GError    *error)
{
  g_list_store_remove_all (self->matches);
  show_partial (self, NULL);
  gtk_stack_set_visible_child_name (self->stack, "status");
  adw_status_page_set_icon_name (self->status_page, "dialog-error-symbolic");
  adw_status_page_set_title (self->status_page, _("The Search Failed"));
  adw_status_page_set_description (self->status_page, error->message);
}

static void
on_matches (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(SvPatientPicker) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *partial_reason = NULL;
  g_autoptr(GPtrArray) matches = g_task_get_source_tag (G_TASK (result)) == sv_patient_search_ids_async
                                   ? sv_patient_search_ids_finish (result, &error)
                                   : sv_patient_search_finish (result, &partial_reason, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  set_busy (self, FALSE);
  if (matches == NULL)
    show_error (self, error);
  else
    {
      show_matches (self, matches);
      show_partial (self, partial_reason);
    }
}

static GCancellable *
new_search (SvPatientPicker *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  set_busy (self, TRUE);

  return self->cancellable;
}

static void
show_recent (SvPatientPicker *self)
{
  g_auto(GStrv) ids = g_settings_get_strv (self->settings, "recent-patients");

  self->showing_recent = TRUE;
  gtk_label_set_text (self->heading_label, _("Recently Opened"));
  if (self->client == NULL)
    return;

  sv_patient_search_ids_async (self->client, (const char * const *) ids, new_search (self),
                               on_matches, g_object_ref (self));
}

static gboolean
run_search (gpointer user_data)
{
  SvPatientPicker *self = user_data;
  const char *query = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_auto(GStrv) params = sv_patient_search_params (query);

  self->search_timeout = 0;
  if (params == NULL)
    {
      show_recent (self);
      return G_SOURCE_REMOVE;
    }

  self->showing_recent = FALSE;
  gtk_label_set_text (self->heading_label, _("Patients Found"));
  if (self->client != NULL)
    sv_patient_search_async (self->client, query, new_search (self), on_matches, g_object_ref (self));

  return G_SOURCE_REMOVE;
}

static void
on_search_changed (SvPatientPicker *self)
{
  g_clear_handle_id (&self->search_timeout, g_source_remove);
  /* What was asked for an older text is no longer wanted. */
  g_cancellable_cancel (self->cancellable);
  self->search_timeout = g_timeout_add (SEARCH_DELAY_MS, run_search, self);
}

static void
activate_position (SvPatientPicker *self,
                   guint            position)
{
  g_autoptr(SvPatientMatch) match = g_list_model_get_item (G_LIST_MODEL (self->matches), position);

  if (match != NULL)
    g_signal_emit (self, signals[PATIENT_ACTIVATED], 0, sv_patient_match_get_id (match));
}

static void
on_search_activate (SvPatientPicker *self)
{
  activate_position (self, 0);
}

static void
on_list_activate (SvPatientPicker *self,
                  guint            position)
{
  activate_position (self, position);
}

static gboolean
on_entry_key (GtkEventControllerKey *controller,
              guint                  keyval,
              guint                  keycode,
              GdkModifierType        state,
              SvPatientPicker       *self)
{
  if (keyval == GDK_KEY_Down && g_list_model_get_n_items (G_LIST_MODEL (self->matches)) > 0)
    return gtk_widget_child_focus (GTK_WIDGET (self->list_view), GTK_DIR_TAB_FORWARD);
  return FALSE;
}

static void
setup_row (GtkSignalListItemFactory *factory,
           GtkListItem              *list_item,
           gpointer                  user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  GtkWidget *name = gtk_label_new (NULL);
  GtkWidget *details = gtk_label_new (NULL);

  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_margin_top (box, 9);
  gtk_widget_set_margin_bottom (box, 9);
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (name, "heading");
  gtk_label_set_xalign (GTK_LABEL (details), 0);
  gtk_label_set_ellipsize (GTK_LABEL (details), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (details, "dim-label");
  gtk_box_append (GTK_BOX (box), name);
  gtk_box_append (GTK_BOX (box), details);
  gtk_list_item_set_child (list_item, box);
}

static void
bind_row (GtkSignalListItemFactory *factory,
          GtkListItem              *list_item,
          gpointer                  user_data)
{
  SvPatientMatch *match = gtk_list_item_get_item (list_item);
  GtkWidget *box = gtk_list_item_get_child (list_item);
  GtkWidget *name = gtk_widget_get_first_child (box);
  GtkWidget *details = gtk_widget_get_next_sibling (name);
  g_autofree char *description = sv_patient_match_describe (match);
  g_autofree char *accessible = g_strdup_printf ("%s, %s", sv_patient_match_get_name (match), description);

  gtk_label_set_text (GTK_LABEL (name), sv_patient_match_get_name (match));
  gtk_label_set_text (GTK_LABEL (details), description);
  gtk_accessible_update_property (GTK_ACCESSIBLE (box), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
}

/**
 * sv_patient_picker_set_client:
 * @self: a picker
 * @client: (nullable): the FHIR client of the session
 *
 * Searches go to @client; the recently opened patients are shown.
 */
void
sv_patient_picker_set_client (SvPatientPicker *self,
                              SvFhirClient    *client)
{
  g_return_if_fail (SV_IS_PATIENT_PICKER (self));

  g_cancellable_cancel (self->cancellable);
  g_set_object (&self->client, client);
  g_list_store_remove_all (self->matches);
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  g_clear_handle_id (&self->search_timeout, g_source_remove);
  show_recent (self);
}

/**
 * sv_patient_picker_set_query:
 * @self: a picker
 * @query: what to search for
 *
 * Types @query into the search field, as a user would.
 */
void
sv_patient_picker_set_query (SvPatientPicker *self,
                             const char      *query)
{
  g_return_if_fail (SV_IS_PATIENT_PICKER (self));
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), query);
}

/**
 * sv_patient_picker_get_matches:
 * @self: a picker
 *
 * Returns: (transfer none): the #SvPatientMatch rows shown
 */
GListModel *
sv_patient_picker_get_matches (SvPatientPicker *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_PICKER (self), NULL);
  return G_LIST_MODEL (self->matches);
}

/**
 * sv_patient_picker_get_partial_text:
 * @self: a picker
 *
 * Returns: (nullable): what is said under the results when not all
 *   matches could be read, %NULL when nothing is missing
 */
const char *
sv_patient_picker_get_partial_text (SvPatientPicker *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_PICKER (self), NULL);
  return gtk_widget_get_visible (GTK_WIDGET (self->partial_label)) ? gtk_label_get_text (self->partial_label) : NULL;
}

/**
 * sv_patient_picker_get_busy:
 * @self: a picker
 *
 * Returns: whether a search is waiting to run or running
 */
gboolean
sv_patient_picker_get_busy (SvPatientPicker *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_PICKER (self), FALSE);
  return self->busy || self->search_timeout != 0;
}

/**
 * sv_patient_picker_get_showing_recent:
 * @self: a picker
 *
 * Returns: whether the list shows the recently opened patients
 */
gboolean
sv_patient_picker_get_showing_recent (SvPatientPicker *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_PICKER (self), FALSE);
  return self->showing_recent;
}

/**
 * sv_patient_picker_focus_search:
 * @self: a picker
 *
 * Puts the keyboard focus into the search field.
 */
void
sv_patient_picker_focus_search (SvPatientPicker *self)
{
  g_return_if_fail (SV_IS_PATIENT_PICKER (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

/**
 * sv_patient_picker_add_recent:
 * @settings: the app's settings
 * @patient_id: the patient just opened
 *
 * Puts @patient_id first in the recently opened patients (ids only).
 */
void
sv_patient_picker_add_recent (GSettings  *settings,
                              const char *patient_id)
{
  g_auto(GStrv) old = g_settings_get_strv (settings, "recent-patients");
  g_autoptr(GPtrArray) ids = g_ptr_array_new ();

  g_ptr_array_add (ids, (gpointer) patient_id);
  for (guint i = 0; old[i] != NULL && ids->len < MAX_RECENT; i++)
    if (!g_str_equal (old[i], patient_id))
      g_ptr_array_add (ids, old[i]);
  g_ptr_array_add (ids, NULL);
  g_settings_set_strv (settings, "recent-patients", (const char * const *) ids->pdata);
}

static void
sv_patient_picker_dispose (GObject *object)
{
  SvPatientPicker *self = SV_PATIENT_PICKER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->search_timeout, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), SV_TYPE_PATIENT_PICKER);
  /* The clamp at the top has no id, so the template does not unparent it. */
  {
    GtkWidget *child;

    while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
      gtk_widget_unparent (child);
  }
  g_clear_object (&self->client);
  g_clear_object (&self->matches);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (sv_patient_picker_parent_class)->dispose (object);
}

static void
sv_patient_picker_class_init (SvPatientPickerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sv_patient_picker_dispose;

  /**
   * SvPatientPicker::patient-activated:
   * @picker: the picker
   * @patient_id: the chosen Patient's id
   */
  signals[PATIENT_ACTIVATED] =
    g_signal_new ("patient-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/sv-patient-picker.ui");
  gtk_widget_class_bind_template_child (widget_class, SvPatientPicker, search_entry);
  gtk_widget_class_bind_template_child (widget_class, SvPatientPicker, heading_label);
  gtk_widget_class_bind_template_child (widget_class, SvPatientPicker, spinner);
  gtk_widget_class_bind_template_child (widget_class, SvPatientPicker, stack);
  gtk_widget_class_bind_template_child (widget_class, SvPatientPicker, list_view);
  gtk_widget_class_bind_template_child (widget_class, SvPatientPicker, status_page);
  gtk_widget_class_bind_template_child (widget_class, SvPatientPicker, partial_label);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_search_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_list_activate);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "patientpicker");
}

static void
sv_patient_picker_init (SvPatientPicker *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkEventController *keys = gtk_event_controller_key_new ();
  GtkSingleSelection *selection;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);
  self->matches = g_list_store_new (SV_TYPE_PATIENT_MATCH);
  selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->matches)));
  gtk_single_selection_set_autoselect (selection, FALSE);
  gtk_single_selection_set_can_unselect (selection, TRUE);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (selection));
  g_object_unref (selection);

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), NULL);
  gtk_list_view_set_factory (self->list_view, factory);
  g_object_unref (factory);

  g_signal_connect_object (keys, "key-pressed", G_CALLBACK (on_entry_key), self, 0);
  gtk_widget_add_controller (GTK_WIDGET (self->search_entry), keys);

  self->showing_recent = TRUE;
  gtk_label_set_text (self->heading_label, _("Recently Opened"));
  show_matches (self, &(GPtrArray) { 0 });
}
