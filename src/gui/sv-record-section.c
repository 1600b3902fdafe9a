/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-record-section"

#include "config.h"

#include "sv-record-section.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <string.h>

#include "sv-fhir-value.h"
#include "sv-medication.h"
#include "sv-problem.h"
#include "sv-record-row.h"

/* One section of the patient view (problems or medications): its state in
 * the header, the rows in a GtkListView bound to the record's GListModel
 * through a filter (inactive rows collapsed, the search text), and a status
 * page that tells "nothing recorded" apart from "could not be read". */

struct _SvRecordSection
{
  GtkWidget          parent_instance;

  SvPatientRecord   *record;
  SvSection          section;
  GListModel        *source;
  GListStore        *parts;
  GtkCustomFilter   *filter;
  GtkFilterListModel *shown;
  GtkSliceListModel *slice;
  guint              grow_id;
  char              *filter_text;
  gboolean           show_inactive;
  guint              n_inactive;
  const char        *empty_title;

  GtkWidget         *box;
  GtkLabel          *title_label;
  GtkSpinner        *spinner;
  GtkLabel          *status_label;
  GtkLabel          *partial_label;
  GtkWidget         *notice_retry_button;
  GtkStack          *stack;
  GtkScrolledWindow *scrolled;
  GtkListView       *list_view;
  AdwStatusPage     *status_page;
  GtkWidget         *retry_button;
  GtkToggleButton   *inactive_button;
};

G_DEFINE_FINAL_TYPE (SvRecordSection, sv_record_section, GTK_TYPE_WIDGET)

static GQuark filter_key_quark;

/* A GtkListView of GTK 4.8 makes up to 200 row widgets at once when a long
 * list arrives, and measures every one of them in the next frame's layout
 * (visible or not), about a millisecond each: a 200 ms stall. The list view
 * sees the rows through a slice that grows by this many per frame, from a
 * tick callback, so that each frame lays out a bounded number of new rows
 * (an idle source ran several times between two frames, and the frame that
 * followed paid for all of them). */
#define GROW_STEP 24

/* Beyond this many the list view makes no more row widgets. */
#define GROW_LIMIT 256

static gboolean
item_is_inactive (SvRecordSection *self,
                  gpointer         item)
{
  /* Encounter diagnoses are history, not the problem list: collapsed with
   * the inactive problems, unless they are all the record has. */
  if (SV_IS_PROBLEM (item))
    return sv_problem_get_group (item) == SV_PROBLEM_GROUP_INACTIVE ||
           (sv_problem_get_category (item) == SV_PROBLEM_CATEGORY_ENCOUNTER_DIAGNOSIS &&
            !sv_patient_record_get_problems_are_encounter_diagnoses (self->record));
  if (SV_IS_MEDICATION (item))
    return sv_medication_get_group (item) == SV_MEDICATION_GROUP_STOPPED;
  return FALSE;
}

/* The text a filter looks in, case-folded once per row and kept with it. */
static const char *
item_filter_key (GObject *item)
{
  char *key = g_object_get_qdata (item, filter_key_quark);

  if (key == NULL)
    {
      g_autoptr(GString) text = g_string_new (NULL);
      GPtrArray *codings = NULL;

      if (SV_IS_PROBLEM (item))
        {
          g_string_append (text, sv_problem_get_display (SV_PROBLEM (item)));
          codings = sv_problem_get_codings (SV_PROBLEM (item));
        }
      else if (SV_IS_MEDICATION (item))
        {
          SvMedication *medication = SV_MEDICATION (item);

          g_string_append (text, sv_medication_get_display (medication));
          if (sv_medication_get_dosage_text (medication) != NULL)
            g_string_append_printf (text, "\n%s", sv_medication_get_dosage_text (medication));
          if (sv_medication_get_reason_text (medication) != NULL)
            g_string_append_printf (text, "\n%s", sv_medication_get_reason_text (medication));
          codings = sv_medication_get_codings (medication);
        }
      /* Codes too, so "I10" or an RxNorm code finds the row. */
      for (guint i = 0; codings != NULL && i < codings->len; i++)
        {
          SvCoding *coding = g_ptr_array_index (codings, i);

          if (coding->code != NULL)
            g_string_append_printf (text, "\n%s", coding->code);
        }

      key = g_utf8_casefold (text->str, -1);
      g_object_set_qdata_full (item, filter_key_quark, key, g_free);
    }

  return key;
}

static gboolean
filter_func (gpointer item,
             gpointer user_data)
{
  SvRecordSection *self = user_data;

  if (self->filter_text != NULL)
    /* While searching, inactive rows are searched too: hiding a match
     * because it is resolved would be a trap. */
    return strstr (item_filter_key (item), self->filter_text) != NULL;

  return self->show_inactive || !item_is_inactive (self, item);
}

static const char *
section_noun_title (SvRecordSection *self)
{
  if (self->section == SV_SECTION_MEDICATIONS)
    return _("Medications");
  if (self->record != NULL && sv_patient_record_get_problems_are_encounter_diagnoses (self->record))
    return _("Encounter Diagnoses");
  return _("Problems");
}

/* Whether @line starts with a resource type and ": " ("MedicationRequest:
 * …"); then *@reason is what follows. */
static gboolean
split_type_prefix (const char  *line,
                   const char **reason)
{
  const char *p = line;

  if (!g_ascii_isupper (*p))
    return FALSE;
  while (g_ascii_isalnum (*p))
    p++;
  if (!g_str_has_prefix (p, ": "))
    return FALSE;
  *reason = p + 2;
  return TRUE;
}

/* The medications are read from two resource types, and the record gives
 * one line per type ("MedicationStatement: …", "MedicationRequest: …").
 * When both failed for the same reason, the clinician reads it once.
 * Returns: (nullable): the reason, or %NULL to show @message as it is */
static char *
same_reason_once (const char *message)
{
  g_auto(GStrv) lines = g_strsplit (message, "\n", -1);
  const char *first = NULL;

  if (g_strv_length (lines) < 2)
    return NULL;
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *reason;

      if (!split_type_prefix (lines[i], &reason) || (first != NULL && strcmp (first, reason) != 0))
        return NULL;
      first = reason;
    }
  return g_strdup (first);
}

static void
show_status (SvRecordSection *self,
             const char      *icon,
             const char      *title,
             const char      *description,
             gboolean         retry)
{
  self->empty_title = title;
  adw_status_page_set_icon_name (self->status_page, icon);
  adw_status_page_set_title (self->status_page, title);
  adw_status_page_set_description (self->status_page, description);
  gtk_widget_set_visible (self->retry_button, retry);
  gtk_stack_set_visible_child_name (self->stack, "status");
}

static void
update_inactive_button (SvRecordSection *self)
{
  g_autofree char *label = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->inactive_button), self->n_inactive > 0 && self->filter_text == NULL);
  if (self->show_inactive)
    label = g_strdup (_("Hide Inactive"));
  else if (self->section == SV_SECTION_MEDICATIONS)
    /* Translators: a button that expands the stopped and completed medications. */
    label = g_strdup_printf (ngettext ("Show %u Stopped or Completed", "Show %u Stopped or Completed",
                                       self->n_inactive), self->n_inactive);
  else
    /* Translators: a button that expands the inactive and resolved problems and the past encounter diagnoses. */
    label = g_strdup_printf (ngettext ("Show %u Inactive or Past", "Show %u Inactive or Past", self->n_inactive),
                             self->n_inactive);
  gtk_button_set_label (GTK_BUTTON (self->inactive_button), label);
}

static void
update (SvRecordSection *self)
{
  SvSectionState state;
  guint count, shown;
  const char *message;
  g_autofree char *status = NULL;

  if (self->record == NULL)
    return;

  state = sv_patient_record_get_section_state (self->record, self->section);
  count = sv_patient_record_get_section_count (self->record, self->section);
  message = sv_patient_record_get_section_message (self->record, self->section);
  shown = g_list_model_get_n_items (G_LIST_MODEL (self->shown));

  gtk_label_set_text (self->title_label, section_noun_title (self));
  gtk_spinner_set_spinning (self->spinner, state == SV_SECTION_STATE_LOADING);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), state == SV_SECTION_STATE_LOADING);
  /* Rows that were read are shown even when part of the section failed
   * (the medications come from two searches), and what went wrong is said
   * above them; so are entries that could not be read. */
  if (state == SV_SECTION_STATE_ERROR && count > 0)
    state = SV_SECTION_STATE_PARTIAL;
  gtk_widget_set_visible (GTK_WIDGET (self->partial_label),
                          state == SV_SECTION_STATE_PARTIAL ||
                          (state == SV_SECTION_STATE_OK && message != NULL && *message != '\0'));
  gtk_widget_set_visible (self->notice_retry_button, state == SV_SECTION_STATE_PARTIAL);
  if (state == SV_SECTION_STATE_PARTIAL)
    {
      g_autofree char *partial = g_strdup_printf (_("Incomplete: %s"), message != NULL ? message : _("paging stopped early"));

      gtk_label_set_text (self->partial_label, partial);
    }
  else if (state == SV_SECTION_STATE_OK && message != NULL)
    {
      gtk_label_set_text (self->partial_label, message);
    }
  update_inactive_button (self);

  switch (state)
    {
    case SV_SECTION_STATE_EMPTY:
    case SV_SECTION_STATE_LOADING:
      status = g_strdup (_("Loading…"));
      show_status (self, "content-loading-symbolic", _("Loading…"), NULL, FALSE);
      break;
    case SV_SECTION_STATE_NOT_PERMITTED:
      status = g_strdup (_("Not permitted"));
      show_status (self, "action-unavailable-symbolic", _("Not Permitted"),
                   message != NULL ? message : _("The access granted at sign-in does not include this."), FALSE);
      break;
    case SV_SECTION_STATE_ERROR:
      {
        g_autofree char *once = message != NULL ? same_reason_once (message) : NULL;

        status = g_strdup (_("Error"));
        show_status (self, "dialog-error-symbolic", _("Could Not Be Read"),
                     once != NULL ? once : message != NULL ? message : _("The server did not answer."), TRUE);
      }
      break;
    case SV_SECTION_STATE_OK:
    case SV_SECTION_STATE_PARTIAL:
    default:
      if (self->section == SV_SECTION_MEDICATIONS)
        status = g_strdup_printf (ngettext ("%u medication", "%u medications", count), count);
      else
        status = g_strdup_printf (ngettext ("%u entry", "%u entries", count), count);
      if (state == SV_SECTION_STATE_PARTIAL)
        {
          g_autofree char *plain = g_steal_pointer (&status);

          /* Translators: a section's count when paging stopped early, e.g. "120 entries (incomplete)". */
          status = g_strdup_printf (_("%s (incomplete)"), plain);
        }

      if (count == 0)
        show_status (self, "emblem-ok-symbolic",
                     self->section == SV_SECTION_MEDICATIONS ? _("No Medications Recorded")
                                                             : _("No Problems Recorded"),
                     NULL, FALSE);
      else if (shown == 0 && self->filter_text != NULL)
        show_status (self, "edit-find-symbolic", _("No Matches"), NULL, FALSE);
      else if (shown == 0)
        show_status (self, "emblem-ok-symbolic",
                     self->section == SV_SECTION_MEDICATIONS ? _("No Current Medications")
                                                             : _("No Active Problems"),
                     NULL, FALSE);
      else
        {
          self->empty_title = NULL;
          gtk_stack_set_visible_child_name (self->stack, "list");
        }
      break;
    }

  gtk_label_set_text (self->status_label, status);
  {
    g_autofree char *accessible = g_strdup_printf ("%s: %s", section_noun_title (self), status);

    gtk_accessible_update_property (GTK_ACCESSIBLE (self->list_view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                    accessible, -1);
  }
}

static gboolean
grow_slice (GtkWidget     *widget,
            GdkFrameClock *frame_clock,
            gpointer       user_data)
{
  SvRecordSection *self = user_data;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->shown));
  guint size = gtk_slice_list_model_get_size (self->slice);

  if (size >= n || size >= GROW_LIMIT)
    {
      /* The list view has made all the rows it ever will: the rest can
       * come at once. */
      gtk_slice_list_model_set_size (self->slice, G_MAXUINT);
      self->grow_id = 0;
      return G_SOURCE_REMOVE;
    }

  gtk_slice_list_model_set_size (self->slice, size + GROW_STEP);
  return G_SOURCE_CONTINUE;
}

static void
stop_growing (SvRecordSection *self)
{
  if (self->grow_id != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->grow_id);
  self->grow_id = 0;
}

/* Unmapped, nothing is laid out and a tick callback would never run: all
 * rows at once then. */
static void
sv_record_section_unmap (GtkWidget *widget)
{
  SvRecordSection *self = SV_RECORD_SECTION (widget);

  GTK_WIDGET_CLASS (sv_record_section_parent_class)->unmap (widget);

  if (self->grow_id == 0)
    return;
  stop_growing (self);
  gtk_slice_list_model_set_size (self->slice, G_MAXUINT);
}

static void
count_inactive (SvRecordSection *self)
{
  guint n = self->source != NULL ? g_list_model_get_n_items (self->source) : 0;

  self->n_inactive = 0;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (self->source, i);

      if (item_is_inactive (self, item))
        self->n_inactive++;
    }
}

static void
on_source_changed (GListModel      *model,
                   guint            position,
                   guint            removed,
                   guint            added,
                   SvRecordSection *self)
{
  guint n = g_list_model_get_n_items (model);

  /* Cleared, or a new record's rows: the list view gets them a few at a
   * time again (and not all of them at once before that: the slice stays
   * small while the record is empty). */
  if (n == 0 || (removed == 0 && position == 0 && added == n))
    {
      if (gtk_slice_list_model_get_size (self->slice) > GROW_STEP)
        gtk_slice_list_model_set_size (self->slice, GROW_STEP);
    }
  if (self->grow_id == 0 && gtk_slice_list_model_get_size (self->slice) < n)
    {
      if (gtk_widget_get_mapped (GTK_WIDGET (self)))
        self->grow_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), grow_slice, self, NULL);
      else
        gtk_slice_list_model_set_size (self->slice, G_MAXUINT);
    }

  count_inactive (self);
  update (self);
}

static void
on_shown_changed (GListModel      *model,
                  guint            position,
                  guint            removed,
                  guint            added,
                  SvRecordSection *self)
{
  update (self);
}

static void
on_section_changed (SvPatientRecord *record,
                    SvSection        section,
                    SvRecordSection *self)
{
  if (section == self->section)
    update (self);
}

static void
on_inactive_toggled (SvRecordSection *self)
{
  sv_record_section_set_show_inactive (self, gtk_toggle_button_get_active (self->inactive_button));
}

static void
setup_row (GtkSignalListItemFactory *factory,
           GtkListItem              *list_item,
           gpointer                  user_data)
{
  gtk_list_item_set_child (list_item, sv_record_row_new ());
  gtk_list_item_set_activatable (list_item, TRUE);
}

static void
bind_row (GtkSignalListItemFactory *factory,
          GtkListItem              *list_item,
          SvRecordSection          *self)
{
  sv_record_row_set_item (SV_RECORD_ROW (gtk_list_item_get_child (list_item)),
                          gtk_list_item_get_item (list_item), G_OBJECT (self->record));
}

static void
unbind_row (GtkSignalListItemFactory *factory,
            GtkListItem              *list_item,
            gpointer                  user_data)
{
  sv_record_row_set_item (SV_RECORD_ROW (gtk_list_item_get_child (list_item)), NULL, NULL);
}

static void
on_row_activated (GtkListView     *list_view,
                  guint            position,
                  SvRecordSection *self)
{
  /* Enter (or a double click) on a row opens its details. */
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (list_view));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *row = gtk_widget_get_first_child (child);
      g_autoptr(GObject) item = g_list_model_get_item (G_LIST_MODEL (self->shown), position);

      if (SV_IS_RECORD_ROW (row) && sv_record_row_get_item (SV_RECORD_ROW (row)) == item)
        {
          sv_record_row_show_details (SV_RECORD_ROW (row));
          return;
        }
    }
}

/**
 * sv_record_section_set_record:
 * @self: a section
 * @record: the record
 * @section: which of its sections to show
 *
 * Binds the section to @record; it follows the record from then on.
 */
void
sv_record_section_set_record (SvRecordSection *self,
                              SvPatientRecord *record,
                              SvSection        section)
{
  g_return_if_fail (SV_IS_RECORD_SECTION (self));
  g_return_if_fail (SV_IS_PATIENT_RECORD (record));

  if (self->record != NULL)
    g_signal_handlers_disconnect_by_data (self->record, self);
  if (self->source != NULL)
    g_signal_handlers_disconnect_by_data (self->source, self);

  g_set_object (&self->record, record);
  self->section = section;
  g_clear_object (&self->parts);
  if (section == SV_SECTION_MEDICATIONS)
    {
      self->source = sv_patient_record_get_medications (record);
      gtk_filter_list_model_set_model (self->shown, self->source);
    }
  else
    {
      GtkFlattenListModel *flat;

      /* The problem list, then the encounter diagnoses (history). */
      self->parts = g_list_store_new (G_TYPE_LIST_MODEL);
      g_list_store_append (self->parts, sv_patient_record_get_problems (record));
      g_list_store_append (self->parts, sv_patient_record_get_encounter_diagnoses (record));
      flat = gtk_flatten_list_model_new (g_object_ref (G_LIST_MODEL (self->parts)));
      gtk_filter_list_model_set_model (self->shown, G_LIST_MODEL (flat));
      self->source = G_LIST_MODEL (flat);
      g_object_set_data_full (G_OBJECT (self), "sv-flat-source", flat, g_object_unref);
    }

  g_signal_connect_object (record, "section-changed", G_CALLBACK (on_section_changed), self, 0);
  g_signal_connect_object (self->source, "items-changed", G_CALLBACK (on_source_changed), self, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self), section == SV_SECTION_MEDICATIONS ? "medications" : "problems");

  count_inactive (self);
  update (self);
}

/**
 * sv_record_section_set_filter_text:
 * @self: a section
 * @text: (nullable): what to look for
 *
 * Shows only rows whose name, codes, dosage or reason contain @text.
 */
void
sv_record_section_set_filter_text (SvRecordSection *self,
                                   const char      *text)
{
  g_autofree char *folded = NULL;

  g_return_if_fail (SV_IS_RECORD_SECTION (self));

  if (text != NULL && *text != '\0')
    folded = g_utf8_casefold (text, -1);
  if (g_strcmp0 (folded, self->filter_text) == 0)
    return;

  g_free (self->filter_text);
  self->filter_text = g_steal_pointer (&folded);
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  update (self);
}

/**
 * sv_record_section_set_show_inactive:
 * @self: a section
 * @show: whether inactive (problems) or stopped (medications) rows are shown
 */
void
sv_record_section_set_show_inactive (SvRecordSection *self,
                                     gboolean         show)
{
  g_return_if_fail (SV_IS_RECORD_SECTION (self));

  show = !!show;
  if (self->show_inactive == show)
    return;

  self->show_inactive = show;
  gtk_toggle_button_set_active (self->inactive_button, show);
  gtk_filter_changed (GTK_FILTER (self->filter), show ? GTK_FILTER_CHANGE_LESS_STRICT : GTK_FILTER_CHANGE_MORE_STRICT);
  update (self);
}

/**
 * sv_record_section_get_list_view:
 * @self: a section
 *
 * Returns: (transfer none): the list
 */
GtkListView *
sv_record_section_get_list_view (SvRecordSection *self)
{
  g_return_val_if_fail (SV_IS_RECORD_SECTION (self), NULL);
  return self->list_view;
}

/**
 * sv_record_section_get_shown:
 * @self: a section
 *
 * Returns: (transfer none): the rows shown, after the filter
 */
GListModel *
sv_record_section_get_shown (SvRecordSection *self)
{
  g_return_val_if_fail (SV_IS_RECORD_SECTION (self), NULL);
  return G_LIST_MODEL (self->shown);
}

/**
 * sv_record_section_get_settled:
 * @self: a section
 *
 * Returns: whether the list view has been given all the rows shown
 */
gboolean
sv_record_section_get_settled (SvRecordSection *self)
{
  g_return_val_if_fail (SV_IS_RECORD_SECTION (self), FALSE);
  return self->grow_id == 0;
}

/**
 * sv_record_section_get_page:
 * @self: a section
 *
 * Returns: "list" or "status"
 */
const char *
sv_record_section_get_page (SvRecordSection *self)
{
  g_return_val_if_fail (SV_IS_RECORD_SECTION (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

/**
 * sv_record_section_get_notice:
 * @self: a #SvRecordSection
 *
 * Returns: (nullable): what is said above the rows — why the section is
 *   incomplete, or which entries could not be read — or %NULL
 */
const char *
sv_record_section_get_notice (SvRecordSection *self)
{
  g_return_val_if_fail (SV_IS_RECORD_SECTION (self), NULL);

  if (!gtk_widget_get_visible (GTK_WIDGET (self->partial_label)))
    return NULL;
  return gtk_label_get_text (self->partial_label);
}

/**
 * sv_record_section_get_status:
 * @self: a section
 *
 * Returns: the state shown in the header, e.g. "12 entries"
 */
const char *
sv_record_section_get_status (SvRecordSection *self)
{
  g_return_val_if_fail (SV_IS_RECORD_SECTION (self), NULL);
  return gtk_label_get_text (self->status_label);
}

/**
 * sv_record_section_get_empty_title:
 * @self: a section
 *
 * Returns: (nullable): the title of the status page when it is shown
 */
const char *
sv_record_section_get_empty_title (SvRecordSection *self)
{
  g_return_val_if_fail (SV_IS_RECORD_SECTION (self), NULL);
  return self->empty_title;
}

/**
 * sv_record_section_get_n_inactive:
 * @self: a section
 *
 * Returns: how many rows are collapsed as inactive
 */
guint
sv_record_section_get_n_inactive (SvRecordSection *self)
{
  g_return_val_if_fail (SV_IS_RECORD_SECTION (self), 0);
  return self->n_inactive;
}

/**
 * sv_record_section_select_item:
 * @self: a section
 * @id: a resource id
 *
 * Scrolls to the row of @id and focuses it, expanding the inactive rows
 * when it is one of them.
 *
 * Returns: whether the row was found
 */
gboolean
sv_record_section_select_item (SvRecordSection *self,
                               const char      *id)
{
  guint n;

  g_return_val_if_fail (SV_IS_RECORD_SECTION (self), FALSE);

  sv_record_section_set_filter_text (self, NULL);
  for (int pass = 0; pass < 2; pass++)
    {
      n = g_list_model_get_n_items (G_LIST_MODEL (self->shown));
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(GObject) item = g_list_model_get_item (G_LIST_MODEL (self->shown), i);
          const char *item_id = SV_IS_PROBLEM (item) ? sv_problem_get_id (SV_PROBLEM (item))
                                                     : sv_medication_get_id (SV_MEDICATION (item));

          if (g_strcmp0 (item_id, id) == 0)
            {
              stop_growing (self);
              gtk_slice_list_model_set_size (self->slice, G_MAXUINT);
              gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", i);
              return TRUE;
            }
        }
      sv_record_section_set_show_inactive (self, TRUE);
    }

  return FALSE;
}

static void
sv_record_section_dispose (GObject *object)
{
  SvRecordSection *self = SV_RECORD_SECTION (object);

  if (self->record != NULL)
    g_signal_handlers_disconnect_by_data (self->record, self);
  if (self->source != NULL)
    g_signal_handlers_disconnect_by_data (self->source, self);
  g_clear_object (&self->record);
  g_clear_object (&self->parts);
  stop_growing (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), SV_TYPE_RECORD_SECTION);
  g_clear_object (&self->slice);
  g_clear_object (&self->shown);
  g_clear_object (&self->filter);

  G_OBJECT_CLASS (sv_record_section_parent_class)->dispose (object);
}

static void
sv_record_section_finalize (GObject *object)
{
  SvRecordSection *self = SV_RECORD_SECTION (object);

  g_free (self->filter_text);

  G_OBJECT_CLASS (sv_record_section_parent_class)->finalize (object);
}

static void
sv_record_section_class_init (SvRecordSectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sv_record_section_dispose;
  object_class->finalize = sv_record_section_finalize;
  widget_class->unmap = sv_record_section_unmap;

  filter_key_quark = g_quark_from_static_string ("sv-record-section-filter-key");

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/sv-record-section.ui");
  gtk_widget_class_bind_template_child (widget_class, SvRecordSection, box);
  gtk_widget_class_bind_template_child (widget_class, SvRecordSection, title_label);
  gtk_widget_class_bind_template_child (widget_class, SvRecordSection, spinner);
  gtk_widget_class_bind_template_child (widget_class, SvRecordSection, status_label);
  gtk_widget_class_bind_template_child (widget_class, SvRecordSection, partial_label);
  gtk_widget_class_bind_template_child (widget_class, SvRecordSection, notice_retry_button);
  gtk_widget_class_bind_template_child (widget_class, SvRecordSection, stack);
  gtk_widget_class_bind_template_child (widget_class, SvRecordSection, scrolled);
  gtk_widget_class_bind_template_child (widget_class, SvRecordSection, list_view);
  gtk_widget_class_bind_template_child (widget_class, SvRecordSection, status_page);
  gtk_widget_class_bind_template_child (widget_class, SvRecordSection, retry_button);
  gtk_widget_class_bind_template_child (widget_class, SvRecordSection, inactive_button);
  gtk_widget_class_bind_template_callback (widget_class, on_inactive_toggled);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "recordsection");
}

static void
sv_record_section_init (SvRecordSection *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkNoSelection *selection;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->filter = gtk_custom_filter_new (filter_func, self, NULL);
  self->shown = gtk_filter_list_model_new (NULL, g_object_ref (GTK_FILTER (self->filter)));
  g_signal_connect_object (self->shown, "items-changed", G_CALLBACK (on_shown_changed), self, 0);
  self->slice = gtk_slice_list_model_new (g_object_ref (G_LIST_MODEL (self->shown)), 0, GROW_STEP);
  selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->slice)));

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row), NULL);
  gtk_list_view_set_factory (self->list_view, factory);
  g_object_unref (factory);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (selection));
  g_object_unref (selection);
  gtk_list_view_set_single_click_activate (self->list_view, FALSE);
  g_signal_connect_object (self->list_view, "activate", G_CALLBACK (on_row_activated), self, 0);
}
