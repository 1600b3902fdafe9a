/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-record-row"

#include "config.h"

#include "sv-record-row.h"

#include <glib/gi18n.h>

#include "sv-fhir-value.h"
#include "sv-medication.h"
#include "sv-problem.h"
#include "sv-text-block.h"

/* One row of the problem or medication list. The list view recycles rows,
 * so everything here is set again on every bind, and the details popover is
 * only filled when it opens (2,000 rows must not each build one). */

struct _SvRecordRow
{
  GtkWidget  parent_instance;

  GObject   *item;

  GtkWidget *text_box;
  SvTextBlock *title;
  SvTextBlock *subtitle;
  GtkBox    *badges_box;
  GtkWidget *details_button;
  GtkPopover *details_popover;
  GtkBox    *details_box;
};

G_DEFINE_FINAL_TYPE (SvRecordRow, sv_record_row, GTK_TYPE_WIDGET)

typedef enum
{
  BADGE_NEUTRAL,
  BADGE_ACCENT,
  BADGE_SUCCESS,
  BADGE_WARNING,
  BADGE_ERROR,
} BadgeKind;

static const char *badge_classes[] = { "neutral", "accent", "success", "warning", "error" };

static void
add_badge (SvRecordRow *self,
           const char  *text,
           BadgeKind    kind)
{
  GtkWidget *badge = gtk_label_new (text);

  gtk_widget_add_css_class (badge, "badge");
  gtk_widget_add_css_class (badge, badge_classes[kind]);
  /* Screen readers say what the badge is, not only its word. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (badge),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, text,
                                  -1);
  gtk_box_append (self->badges_box, badge);
}

static const char *
problem_status_label (const char *status,
                      BadgeKind  *kind)
{
  *kind = BADGE_NEUTRAL;
  if (status == NULL)
    return _("No clinical status");
  if (g_str_equal (status, "active"))
    {
      *kind = BADGE_ACCENT;
      return C_("condition", "Active");
    }
  if (g_str_equal (status, "recurrence"))
    {
      *kind = BADGE_ACCENT;
      return _("Recurrence");
    }
  if (g_str_equal (status, "relapse"))
    {
      *kind = BADGE_ACCENT;
      return _("Relapse");
    }
  if (g_str_equal (status, "remission"))
    {
      *kind = BADGE_SUCCESS;
      return _("In remission");
    }
  if (g_str_equal (status, "inactive"))
    return C_("condition", "Inactive");
  if (g_str_equal (status, "resolved"))
    return _("Resolved");
  return status;
}

static const char *
medication_status_label (const char *status,
                         BadgeKind  *kind)
{
  *kind = BADGE_NEUTRAL;
  if (status == NULL)
    return _("No status");
  if (g_str_equal (status, "active"))
    {
      *kind = BADGE_ACCENT;
      return C_("medication", "Active");
    }
  if (g_str_equal (status, "intended"))
    {
      *kind = BADGE_ACCENT;
      return _("Intended");
    }
  if (g_str_equal (status, "on-hold"))
    {
      *kind = BADGE_WARNING;
      return _("On hold");
    }
  if (g_str_equal (status, "draft"))
    return _("Draft");
  if (g_str_equal (status, "stopped"))
    return _("Stopped");
  if (g_str_equal (status, "completed"))
    return _("Completed");
  if (g_str_equal (status, "cancelled"))
    return _("Cancelled");
  if (g_str_equal (status, "not-taken"))
    {
      *kind = BADGE_ERROR;
      return _("Not taken");
    }
  if (g_str_equal (status, "unknown"))
    return _("Status unknown");
  return status;
}

static void
clear_badges (SvRecordRow *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->badges_box))) != NULL)
    gtk_box_remove (self->badges_box, child);
}

static char *
problem_subtitle (SvProblem *problem)
{
  GString *text = g_string_new (NULL);
  const char *onset = sv_problem_get_onset_text (problem);
  const char *abatement = sv_problem_get_abatement_text (problem);

  if (onset != NULL)
    /* Translators: when a condition began, e.g. "Onset 12 Mar 2019". */
    g_string_append_printf (text, _("Onset %s"), onset);
  if (abatement != NULL)
    {
      if (text->len > 0)
        g_string_append (text, " · ");
      /* Translators: when a condition ended, e.g. "Ended 3 Apr 2020". */
      g_string_append_printf (text, _("Ended %s"), abatement);
    }
  if (text->len == 0)
    g_string_append (text, _("Onset not known"));

  return g_string_free (text, FALSE);
}

static char *
medication_subtitle (SvMedication *medication)
{
  GString *text = g_string_new (NULL);
  const char *dosage = sv_medication_get_dosage_text (medication);
  const char *period = sv_medication_get_period_text (medication);
  const char *reason = sv_medication_get_reason_text (medication);

  g_string_append (text, dosage != NULL ? dosage : _("No dosage given"));
  if (period != NULL)
    g_string_append_printf (text, " · %s", period);
  if (reason != NULL)
    /* Translators: what a medication is for, e.g. "for Hypertension". */
    g_string_append_printf (text, " · %s", reason);

  return g_string_free (text, FALSE);
}

static gboolean
problem_inferred (SvProblem *problem,
                  double    *confidence)
{
  *confidence = sv_problem_get_confidence (problem);
  return sv_problem_get_inferred (problem);
}

static void
bind_problem (SvRecordRow *self,
              SvProblem   *problem)
{
  g_autofree char *subtitle = problem_subtitle (problem);
  const char *label;
  BadgeKind kind;
  double confidence;

  sv_text_block_set_text (self->title, sv_problem_get_display (problem));
  sv_text_block_set_text (self->subtitle, subtitle);

  label = problem_status_label (sv_problem_get_clinical_status (problem), &kind);
  add_badge (self, label, kind);

  if (sv_problem_get_refuted (problem))
    {
      add_badge (self, _("Refuted"), BADGE_ERROR);
      gtk_widget_add_css_class (GTK_WIDGET (self), "refuted");
      sv_text_block_set_strikethrough (self->title, TRUE);
    }
  else if (sv_problem_get_unconfirmed (problem))
    {
      add_badge (self, _("Unconfirmed"), BADGE_WARNING);
      gtk_widget_add_css_class (GTK_WIDGET (self), "unconfirmed");
    }

  if (sv_problem_get_category (problem) == SV_PROBLEM_CATEGORY_HEALTH_CONCERN)
    add_badge (self, _("Health concern"), BADGE_NEUTRAL);
  else if (sv_problem_get_category (problem) == SV_PROBLEM_CATEGORY_ENCOUNTER_DIAGNOSIS)
    add_badge (self, _("Encounter diagnosis"), BADGE_NEUTRAL);

  if (problem_inferred (problem, &confidence))
    {
      g_autofree char *inferred = NULL;

      if (confidence >= 0)
        /* Translators: an NLP-inferred condition and the model's confidence, e.g. "Inferred (78 %)". */
        inferred = g_strdup_printf (_("Inferred (%.0f %%)"), confidence * 100.0);
      else
        inferred = g_strdup (_("Inferred"));
      add_badge (self, inferred, BADGE_WARNING);
      gtk_widget_add_css_class (GTK_WIDGET (self), "inferred");
    }
}

static void
bind_medication (SvRecordRow  *self,
                 SvMedication *medication)
{
  g_autofree char *subtitle = medication_subtitle (medication);
  const char *label;
  BadgeKind kind;

  sv_text_block_set_text (self->title, sv_medication_get_display (medication));
  sv_text_block_set_text (self->subtitle, subtitle);

  label = medication_status_label (sv_medication_get_status (medication), &kind);
  add_badge (self, label, kind);
  if (sv_medication_get_not_taken (medication))
    {
      gtk_widget_add_css_class (GTK_WIDGET (self), "not-taken");
      sv_text_block_set_strikethrough (self->title, TRUE);
    }
  if (g_strcmp0 (sv_medication_get_source (medication), "ordered") == 0)
    add_badge (self, _("Ordered"), BADGE_NEUTRAL);
  else if (g_strcmp0 (sv_medication_get_source (medication), "reported") == 0)
    add_badge (self, _("Reported"), BADGE_NEUTRAL);
}

/**
 * sv_record_row_dup_badges:
 * @self: a row
 *
 * Returns: (transfer full): the badges' texts, comma-separated
 */
char *
sv_record_row_dup_badges (SvRecordRow *self)
{
  GString *text = g_string_new (NULL);

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->badges_box));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (text->len > 0)
        g_string_append (text, ", ");
      g_string_append (text, gtk_label_get_text (GTK_LABEL (child)));
    }

  return g_string_free (text, FALSE);
}

/**
 * sv_record_row_set_item:
 * @self: a row
 * @item: (nullable): an #SvProblem or #SvMedication
 * @record: (nullable): unused for now, the record the item belongs to
 *
 * Shows @item.
 */
void
sv_record_row_set_item (SvRecordRow *self,
                        GObject     *item,
                        GObject     *record)
{
  g_autofree char *badges = NULL;
  g_autofree char *accessible = NULL;

  g_return_if_fail (SV_IS_RECORD_ROW (self));

  g_set_object (&self->item, item);
  clear_badges (self);
  gtk_widget_remove_css_class (GTK_WIDGET (self), "refuted");
  gtk_widget_remove_css_class (GTK_WIDGET (self), "unconfirmed");
  gtk_widget_remove_css_class (GTK_WIDGET (self), "not-taken");
  gtk_widget_remove_css_class (GTK_WIDGET (self), "inferred");
  sv_text_block_set_strikethrough (self->title, FALSE);

  if (SV_IS_PROBLEM (item))
    bind_problem (self, SV_PROBLEM (item));
  else if (SV_IS_MEDICATION (item))
    bind_medication (self, SV_MEDICATION (item));
  else
    {
      sv_text_block_set_text (self->title, "");
      sv_text_block_set_text (self->subtitle, "");
      return;
    }

  /* One sentence for a screen reader: what, its state, and when/how. */
  badges = sv_record_row_dup_badges (self);
  accessible = g_strdup_printf ("%s (%s). %s", sv_text_block_get_text (self->title), badges,
                                sv_text_block_get_text (self->subtitle));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
}

/**
 * sv_record_row_get_item:
 * @self: a row
 *
 * Returns: (transfer none) (nullable): the item shown
 */
GObject *
sv_record_row_get_item (SvRecordRow *self)
{
  g_return_val_if_fail (SV_IS_RECORD_ROW (self), NULL);
  return self->item;
}

/**
 * sv_record_row_get_title:
 * @self: a row
 *
 * Returns: the title shown
 */
const char *
sv_record_row_get_title (SvRecordRow *self)
{
  g_return_val_if_fail (SV_IS_RECORD_ROW (self), NULL);
  return sv_text_block_get_text (self->title);
}

/**
 * sv_record_row_get_struck_through:
 * @self: a row
 *
 * Returns: whether a line goes through the title (refuted, not taken)
 */
gboolean
sv_record_row_get_struck_through (SvRecordRow *self)
{
  g_return_val_if_fail (SV_IS_RECORD_ROW (self), FALSE);
  return sv_text_block_get_strikethrough (self->title);
}

static void
details_heading (SvRecordRow *self,
                 const char  *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  gtk_widget_set_margin_top (label, 6);
  gtk_box_append (self->details_box, label);
}

static void
details_line (SvRecordRow *self,
              const char  *name,
              const char  *value)
{
  g_autofree char *text = NULL;
  GtkWidget *label;

  if (value == NULL)
    return;

  text = name != NULL ? g_strdup_printf ("%s: %s", name, value) : g_strdup (value);
  label = gtk_label_new (text);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_box_append (self->details_box, label);
}

static void
details_codings (SvRecordRow *self,
                 GPtrArray   *codings)
{
  details_heading (self, _("Codings"));
  if (codings == NULL || codings->len == 0)
    {
      details_line (self, NULL, _("Uncoded"));
      return;
    }

  for (guint i = 0; i < codings->len; i++)
    {
      SvCoding *coding = g_ptr_array_index (codings, i);
      g_autofree char *line = g_strdup_printf ("%s %s — %s",
                                               sv_fhir_system_label (coding->system),
                                               coding->code != NULL ? coding->code : "",
                                               coding->display != NULL ? coding->display : _("no display"));

      details_line (self, NULL, line);
    }
}

static void
details_raw_json (SvRecordRow *self,
                  const char  *json)
{
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *view = gtk_text_view_new ();

  details_heading (self, _("Raw JSON"));
  gtk_text_view_set_monospace (GTK_TEXT_VIEW (view), TRUE);
  gtk_text_view_set_editable (GTK_TEXT_VIEW (view), FALSE);
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_CHAR);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (view)), json != NULL ? json : "", -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (view), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Raw JSON"), -1);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), view);
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scrolled), 200);
  gtk_widget_add_css_class (scrolled, "card");
  gtk_box_append (self->details_box, scrolled);
}

static void
fill_problem_details (SvRecordRow *self,
                      SvProblem   *problem)
{
  double confidence;

  details_line (self, _("Clinical status"), sv_problem_get_clinical_status (problem));
  details_line (self, _("Verification"), sv_problem_get_verification_status (problem));
  details_line (self, _("Category"), sv_problem_get_category_code (problem));
  if (problem_inferred (problem, &confidence))
    {
      g_autofree char *score = g_strdup_printf ("%.2f", confidence);

      details_line (self, _("Inferred by NLP, confidence"), score);
    }
  details_codings (self, sv_problem_get_codings (problem));
  details_heading (self, _("Dates"));
  details_line (self, _("Onset"), sv_problem_get_onset_text (problem));
  details_line (self, _("Abatement"), sv_problem_get_abatement_text (problem));
  details_line (self, _("Recorded"), sv_problem_get_recorded_text (problem));
  if (sv_problem_get_notes (problem) != NULL)
    {
      details_heading (self, _("Notes"));
      details_line (self, NULL, sv_problem_get_notes (problem));
    }
  details_raw_json (self, sv_problem_get_raw_json (problem));
}

static void
fill_medication_details (SvRecordRow  *self,
                         SvMedication *medication)
{
  const char *condition_id = sv_medication_get_reason_condition_id (medication);

  details_line (self, _("Status"), sv_medication_get_status (medication));
  details_line (self, _("Source"), sv_medication_get_source (medication));
  details_line (self, _("Medication reference"), sv_medication_get_medication_reference (medication));
  details_line (self, _("Medication link"), sv_medication_get_medication_url (medication));
  details_codings (self, sv_medication_get_codings (medication));
  details_heading (self, _("Dosage and dates"));
  details_line (self, _("Dosage"), sv_medication_get_dosage_text (medication));
  details_line (self, _("Period"), sv_medication_get_period_text (medication));
  if (sv_medication_get_reason_text (medication) != NULL || condition_id != NULL)
    {
      details_heading (self, _("Reason"));
      details_line (self, NULL, sv_medication_get_reason_text (medication));
      if (condition_id != NULL)
        {
          /* The reason link: shows the problem this medication treats. */
          GtkWidget *button = gtk_button_new_with_mnemonic (_("_Show the Problem"));

          gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "view.show-problem");
          gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", condition_id);
          gtk_widget_set_halign (button, GTK_ALIGN_START);
          gtk_box_append (self->details_box, button);
        }
    }
  if (sv_medication_get_notes (medication) != NULL)
    {
      details_heading (self, _("Notes"));
      details_line (self, NULL, sv_medication_get_notes (medication));
    }
  details_raw_json (self, sv_medication_get_raw_json (medication));
}

static void ensure_details_popover (SvRecordRow *self);

static void
on_details_show (SvRecordRow *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->details_box))) != NULL)
    gtk_box_remove (self->details_box, child);

  {
    GtkWidget *title = gtk_label_new (sv_text_block_get_text (self->title));

    gtk_label_set_wrap (GTK_LABEL (title), TRUE);
    gtk_label_set_xalign (GTK_LABEL (title), 0);
    gtk_widget_add_css_class (title, "title-4");
    gtk_box_append (self->details_box, title);
  }

  if (SV_IS_PROBLEM (self->item))
    fill_problem_details (self, SV_PROBLEM (self->item));
  else if (SV_IS_MEDICATION (self->item))
    fill_medication_details (self, SV_MEDICATION (self->item));
}

/**
 * sv_record_row_show_details:
 * @self: a row
 *
 * Opens the details popover.
 */
void
sv_record_row_show_details (SvRecordRow *self)
{
  g_return_if_fail (SV_IS_RECORD_ROW (self));
  ensure_details_popover (self);
  gtk_popover_popup (self->details_popover);
}

static void
sv_record_row_dispose (GObject *object)
{
  SvRecordRow *self = SV_RECORD_ROW (object);

  g_clear_object (&self->item);
  if (self->details_popover != NULL)
    gtk_widget_unparent (GTK_WIDGET (self->details_popover));
  self->details_popover = NULL;
  g_clear_pointer (&self->text_box, gtk_widget_unparent);
  g_clear_pointer (&self->details_button, gtk_widget_unparent);

  G_OBJECT_CLASS (sv_record_row_parent_class)->dispose (object);
}

/* The texts, and the details button beside them. Laid out here rather than
 * by a horizontal GtkBox: in GTK 4.8 a box looks for the width of a child
 * whose height depends on its width by measuring it at 0, 2, 6, 14, … px,
 * and every one of those lays its wrapped text out again, for each of the
 * 200 rows a list view makes. */
#define BUTTON_SPACING 12

static GtkSizeRequestMode
sv_record_row_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
sv_record_row_measure (GtkWidget      *widget,
                       GtkOrientation  orientation,
                       int             for_size,
                       int            *minimum,
                       int            *natural,
                       int            *minimum_baseline,
                       int            *natural_baseline)
{
  SvRecordRow *self = SV_RECORD_ROW (widget);
  int button_min, button_nat, text_min, text_nat;

  gtk_widget_measure (self->details_button, GTK_ORIENTATION_HORIZONTAL, -1, &button_min, &button_nat, NULL, NULL);
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      gtk_widget_measure (self->text_box, orientation, -1, &text_min, &text_nat, NULL, NULL);
      *minimum = text_min + BUTTON_SPACING + button_min;
      *natural = text_nat + BUTTON_SPACING + button_nat;
      return;
    }

  gtk_widget_measure (self->text_box, orientation,
                      for_size < 0 ? -1 : MAX (for_size - BUTTON_SPACING - button_nat, 0),
                      &text_min, &text_nat, NULL, NULL);
  gtk_widget_measure (self->details_button, orientation, -1, &button_min, &button_nat, NULL, NULL);
  *minimum = MAX (text_min, button_min);
  *natural = MAX (text_nat, button_nat);
}

static void
sv_record_row_size_allocate (GtkWidget *widget,
                             int        width,
                             int        height,
                             int        baseline)
{
  SvRecordRow *self = SV_RECORD_ROW (widget);
  gboolean rtl = gtk_widget_get_direction (widget) == GTK_TEXT_DIR_RTL;
  int button_width, button_height, text_width;

  gtk_widget_measure (self->details_button, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &button_width, NULL, NULL);
  gtk_widget_measure (self->details_button, GTK_ORIENTATION_VERTICAL, -1, NULL, &button_height, NULL, NULL);
  button_width = MIN (button_width, width);
  button_height = MIN (button_height, height);
  text_width = MAX (width - BUTTON_SPACING - button_width, 0);

  gtk_widget_allocate (self->text_box, text_width, height, -1,
                       gsk_transform_translate (NULL, &GRAPHENE_POINT_INIT (rtl ? width - text_width : 0, 0)));
  gtk_widget_allocate (self->details_button, button_width, button_height, -1,
                       gsk_transform_translate (NULL, &GRAPHENE_POINT_INIT (rtl ? 0 : width - button_width,
                                                                            (height - button_height) / 2)));
}

static void
sv_record_row_class_init (SvRecordRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sv_record_row_dispose;


  widget_class->get_request_mode = sv_record_row_get_request_mode;
  widget_class->measure = sv_record_row_measure;
  widget_class->size_allocate = sv_record_row_size_allocate;
  gtk_widget_class_set_css_name (widget_class, "recordrow");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

/* The popover is made when it is first opened: a GtkListView of GTK 4.8
 * keeps up to 200 row widgets around the visible ones, and each would
 * otherwise carry a popover, a scrolled window and a box it may never show. */
static void
ensure_details_popover (SvRecordRow *self)
{
  GtkWidget *popover;
  GtkWidget *scrolled;
  GtkWidget *box;

  if (self->details_popover != NULL)
    return;

  popover = gtk_popover_new ();
  scrolled = gtk_scrolled_window_new ();
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 480);
  gtk_widget_set_size_request (scrolled, 420, -1);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), box);
  gtk_popover_set_child (GTK_POPOVER (popover), scrolled);
  gtk_widget_set_parent (popover, self->details_button);

  self->details_popover = GTK_POPOVER (popover);
  self->details_box = GTK_BOX (box);
  g_signal_connect_object (popover, "show", G_CALLBACK (on_details_show), self, G_CONNECT_SWAPPED);
}

static void
on_details_clicked (SvRecordRow *self)
{
  sv_record_row_show_details (self);
}

/* Built in code rather than from a template: GtkBuilder costs about a
 * millisecond per row, and a GtkListView of GTK 4.8 makes up to 200 rows
 * per list when a large record arrives, which stalled the main loop. */
static void
sv_record_row_init (SvRecordRow *self)
{
  GtkWidget *text_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);

  gtk_widget_set_margin_start (GTK_WIDGET (self), 12);
  gtk_widget_set_margin_end (GTK_WIDGET (self), 6);
  gtk_widget_set_margin_top (GTK_WIDGET (self), 6);
  gtk_widget_set_margin_bottom (GTK_WIDGET (self), 6);
  self->text_box = text_box;
  gtk_widget_set_parent (text_box, GTK_WIDGET (self));

  self->title = SV_TEXT_BLOCK (sv_text_block_new (3));
  gtk_widget_add_css_class (GTK_WIDGET (self->title), "record-title");
  gtk_box_append (GTK_BOX (text_box), GTK_WIDGET (self->title));
  self->subtitle = SV_TEXT_BLOCK (sv_text_block_new (2));
  gtk_widget_add_css_class (GTK_WIDGET (self->subtitle), "dim-label");
  gtk_widget_add_css_class (GTK_WIDGET (self->subtitle), "caption");
  gtk_box_append (GTK_BOX (text_box), GTK_WIDGET (self->subtitle));
  self->badges_box = GTK_BOX (gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6));
  gtk_box_append (GTK_BOX (text_box), GTK_WIDGET (self->badges_box));

  self->details_button = gtk_button_new_from_icon_name ("view-more-horizontal-symbolic");
  gtk_widget_add_css_class (self->details_button, "flat");
  /* Set while hidden: on a visible widget GTK asks the X server where the
   * pointer is (a round trip per row) to update a tooltip that may show. */
  gtk_widget_set_visible (self->details_button, FALSE);
  gtk_widget_set_tooltip_text (self->details_button, _("Details"));
  gtk_widget_set_visible (self->details_button, TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->details_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Details"), -1);
  g_signal_connect_swapped (self->details_button, "clicked", G_CALLBACK (on_details_clicked), self);
  gtk_widget_set_parent (self->details_button, GTK_WIDGET (self));
}

/**
 * sv_record_row_new:
 *
 * Returns: (transfer floating): an empty row
 */
GtkWidget *
sv_record_row_new (void)
{
  return g_object_new (SV_TYPE_RECORD_ROW, NULL);
}
