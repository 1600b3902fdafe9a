/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-patient-view"

#include "config.h"

#include "sv-patient-view.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "sv-memory.h"
#include "sv-problem.h"

/* One patient on one screen: the banner, then problems and medications side
 * by side on wide windows and stacked on narrow ones. The view binds to the
 * record's models; the record fetches and parses off the main thread. */

/* Below this width the two lists are stacked instead of side by side. */
#define NARROW_WIDTH 760

struct _SvPatientView
{
  GtkWidget          parent_instance;

  SvPatientRecord   *record;
  SvFhirClient      *client;
  char              *patient_id;
  char              *granted_scope;
  char              *server_name;
  GCancellable      *cancellable;
  guint              orientation_idle;
  GtkOrientation     wanted_orientation;

  GtkWidget         *box;
  GtkWidget         *banner;
  GtkLabel          *name_label;
  GtkLabel          *deceased_label;
  GtkSpinner        *spinner;
  GtkToggleButton   *filter_button;
  GtkLabel          *born_label;
  GtkLabel          *gender_label;
  GtkLabel          *mrn_label;
  GtkLabel          *source_label;
  GtkLabel          *refresh_error_label;
  GtkWidget         *facts_box;
  GtkStack          *content_stack;
  AdwStatusPage     *error_page;
  GtkSearchBar      *search_bar;
  GtkSearchEntry    *filter_entry;
  GtkBox            *sections_box;
  SvRecordSection   *problems_section;
  SvRecordSection   *medications_section;
};

G_DEFINE_FINAL_TYPE (SvPatientView, sv_patient_view, GTK_TYPE_WIDGET)

static const char *
or_not_known (const char *text)
{
  return text != NULL && *text != '\0' ? text : _("Not known");
}

static void
update_banner (SvPatientView *self)
{
  SvPatientRecord *record = self->record;
  g_autofree char *born = NULL;
  g_autofree char *gender = NULL;
  g_autofree char *mrn = NULL;
  g_autofree char *source = NULL;
  g_autofree char *fetched = NULL;
  GDateTime *last_fetched = sv_patient_record_get_last_fetched (record);
  gboolean loading = sv_patient_record_get_loading (record);
  const char *name = sv_patient_record_get_name (record);
  const char *patient_error = sv_patient_record_get_patient_error (record);
  gboolean have_patient = sv_patient_record_get_patient (record) != NULL;
  gboolean unread = patient_error != NULL && !have_patient;

  /* A patient that could not be read is not shown as one whose details
   * are all "Not known": the page says what failed, with Retry. */
  if (name == NULL)
    name = loading ? _("Loading…") : unread ? _("Patient not read") : _("Not known");
  gtk_label_set_text (self->name_label, name);
  gtk_widget_set_visible (self->facts_box, !unread);
  gtk_stack_set_visible_child_name (self->content_stack, unread ? "error" : "record");
  if (unread)
    adw_status_page_set_description (self->error_page, patient_error);

  /* A refresh that failed keeps the patient read before; the line says
   * that the details are from then. */
  gtk_widget_set_visible (GTK_WIDGET (self->refresh_error_label), patient_error != NULL && have_patient);
  if (patient_error != NULL && have_patient)
    {
      /* Translators: the patient banner, when refreshing failed; the value is the error. */
      g_autofree char *text = g_strdup_printf (_("Could not refresh the patient (%s). The details shown are from the last fetch."),
                                               patient_error);

      gtk_label_set_text (self->refresh_error_label, text);
    }

  /* Translators: the patient banner; the value is a date with the age, e.g. "12 Mar 1961 (63 y)". */
  born = g_strdup_printf (_("Born %s"), or_not_known (sv_patient_record_get_birth (record)));
  gtk_label_set_text (self->born_label, born);
  /* Translators: the patient banner; administrative gender. */
  gender = g_strdup_printf (_("Gender %s"), or_not_known (sv_patient_record_get_gender (record)));
  gtk_label_set_text (self->gender_label, gender);
  /* Translators: the patient banner: the identifier's type text (e.g. "Medical Record Number") and the MRN. */
  mrn = g_strdup_printf (_("%s %s"),
                         sv_patient_record_get_mrn_label (record) != NULL ? sv_patient_record_get_mrn_label (record)
                                                                           : _("MRN"),
                         or_not_known (sv_patient_record_get_mrn (record)));
  gtk_label_set_text (self->mrn_label, mrn);

  gtk_widget_set_visible (GTK_WIDGET (self->deceased_label), sv_patient_record_get_deceased (record));
  if (sv_patient_record_get_deceased (record))
    gtk_label_set_text (self->deceased_label, or_not_known (sv_patient_record_get_deceased_text (record)));

  if (last_fetched != NULL)
    fetched = g_date_time_format (last_fetched, "%x %X");
  /* Translators: the patient banner: the server profile, its FHIR base URL, and when the data was fetched. */
  source = g_strdup_printf (_("From %s (%s) · fetched %s"), or_not_known (self->server_name),
                            or_not_known (sv_patient_record_get_source_server (record)),
                            fetched != NULL ? fetched : _("not yet"));
  gtk_label_set_text (self->source_label, source);

  gtk_spinner_set_spinning (self->spinner, loading);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), loading);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "view.copy-summary", !loading && !unread);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "view.print", !loading && !unread);
}

static void
on_record_notify (SvPatientView *self)
{
  update_banner (self);
}

static void
on_loaded (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(SvPatientView) self = user_data;
  g_autoptr(GError) error = NULL;

  /* Section errors are shown by the sections; only a failure to read the
   * Patient itself lands here, and update_banner() says what went wrong. */
  if (!sv_patient_record_load_finish (SV_PATIENT_RECORD (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* The record keeps the message; the banner or the error page shows it. */
      g_debug ("The patient could not be read: %s", error->message);
    }

  /* The responses are parsed and freed by now, in the workers' arenas; a
   * second later the rows have been laid out as well. */
  sv_memory_trim_later (1000);
}

static void
start_load (SvPatientView *self)
{
  if (self->client == NULL || self->patient_id == NULL)
    return;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  sv_patient_record_load_async (self->record, self->client, self->patient_id, self->granted_scope,
                                self->cancellable, on_loaded, g_object_ref (self));
  update_banner (self);
}

/**
 * sv_patient_view_load:
 * @self: a view
 * @client: the FHIR client of the session
 * @patient_id: the Patient to show
 * @granted_scope: (nullable): the scopes granted, so that sections the
 *   token may not read say so without asking the server
 * @server_name: (nullable): the server profile's name, for the banner
 *
 * Shows @patient_id; whatever was loading for another patient is cancelled.
 */
void
sv_patient_view_load (SvPatientView *self,
                      SvFhirClient  *client,
                      const char    *patient_id,
                      const char    *granted_scope,
                      const char    *server_name)
{
  g_return_if_fail (SV_IS_PATIENT_VIEW (self));
  g_return_if_fail (SV_IS_FHIR_CLIENT (client));
  g_return_if_fail (patient_id != NULL);

  g_set_object (&self->client, client);
  g_free (self->patient_id);
  self->patient_id = g_strdup (patient_id);
  g_free (self->granted_scope);
  self->granted_scope = g_strdup (granted_scope);
  g_free (self->server_name);
  self->server_name = g_strdup (server_name);

  /* Loading clears the lists first: collapsing the inactive rows and
   * clearing the filter of a large record before would refilter thousands
   * of rows for nothing. */
  start_load (self);
  gtk_editable_set_text (GTK_EDITABLE (self->filter_entry), "");
  gtk_search_bar_set_search_mode (self->search_bar, FALSE);
  sv_record_section_set_show_inactive (self->problems_section, FALSE);
  sv_record_section_set_show_inactive (self->medications_section, FALSE);
}

/**
 * sv_patient_view_clear:
 * @self: a view
 *
 * Cancels what is loading and forgets the client (at sign-out).
 */
void
sv_patient_view_clear (SvPatientView *self)
{
  g_return_if_fail (SV_IS_PATIENT_VIEW (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->client);
  g_clear_pointer (&self->patient_id, g_free);
}

/**
 * sv_patient_view_get_record:
 * @self: a view
 *
 * Returns: (transfer none): the record shown
 */
SvPatientRecord *
sv_patient_view_get_record (SvPatientView *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_VIEW (self), NULL);
  return self->record;
}

/**
 * sv_patient_view_get_section:
 * @self: a view
 * @section: which one
 *
 * Returns: (transfer none): the section widget
 */
SvRecordSection *
sv_patient_view_get_section (SvPatientView *self,
                             SvSection      section)
{
  g_return_val_if_fail (SV_IS_PATIENT_VIEW (self), NULL);
  return section == SV_SECTION_MEDICATIONS ? self->medications_section : self->problems_section;
}

/**
 * sv_patient_view_get_page:
 * @self: a view
 *
 * Returns: "record" when the lists are shown, "error" when the patient
 *   could not be read
 */
const char *
sv_patient_view_get_page (SvPatientView *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_VIEW (self), NULL);
  return gtk_stack_get_visible_child_name (self->content_stack);
}

/**
 * sv_patient_view_get_orientation:
 * @self: a view
 *
 * Returns: %GTK_ORIENTATION_HORIZONTAL when the lists are side by side
 */
GtkOrientation
sv_patient_view_get_orientation (SvPatientView *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_VIEW (self), GTK_ORIENTATION_HORIZONTAL);
  return gtk_orientable_get_orientation (GTK_ORIENTABLE (self->sections_box));
}

/**
 * sv_patient_view_dup_banner_text:
 * @self: a view
 *
 * Returns: (transfer full): everything the banner shows, one line each
 */
char *
sv_patient_view_dup_banner_text (SvPatientView *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_VIEW (self), NULL);

  return g_strjoin ("\n", gtk_label_get_text (self->name_label),
                    gtk_widget_get_visible (GTK_WIDGET (self->deceased_label))
                      ? gtk_label_get_text (self->deceased_label) : "",
                    gtk_widget_get_visible (self->facts_box) ? gtk_label_get_text (self->born_label) : "",
                    gtk_widget_get_visible (self->facts_box) ? gtk_label_get_text (self->gender_label) : "",
                    gtk_widget_get_visible (self->facts_box) ? gtk_label_get_text (self->mrn_label) : "",
                    gtk_widget_get_visible (GTK_WIDGET (self->refresh_error_label))
                      ? gtk_label_get_text (self->refresh_error_label) : "",
                    gtk_label_get_text (self->source_label), NULL);
}

static void
on_filter_changed (SvPatientView *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->filter_entry));

  sv_record_section_set_filter_text (self->problems_section, text);
  sv_record_section_set_filter_text (self->medications_section, text);
}

static void
on_filter_stop (SvPatientView *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->filter_entry), "");
  gtk_search_bar_set_search_mode (self->search_bar, FALSE);
}

static void
sv_patient_view_refresh_action (GtkWidget  *widget,
                                const char *action_name,
                                GVariant   *parameter)
{
  start_load (SV_PATIENT_VIEW (widget));
}

static void
sv_patient_view_filter_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  SvPatientView *self = SV_PATIENT_VIEW (widget);

  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->filter_entry));
}

static void
sv_patient_view_copy_summary_action (GtkWidget  *widget,
                                     const char *action_name,
                                     GVariant   *parameter)
{
  SvPatientView *self = SV_PATIENT_VIEW (widget);
  g_autofree char *text = sv_patient_record_to_text (self->record);
  GtkRoot *root = gtk_widget_get_root (widget);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), text);
  if (ADW_IS_APPLICATION_WINDOW (root))
    gtk_widget_activate_action (GTK_WIDGET (root), "win.toast", "s", _("Summary copied"));
}

static void
sv_patient_view_show_problem_action (GtkWidget  *widget,
                                     const char *action_name,
                                     GVariant   *parameter)
{
  SvPatientView *self = SV_PATIENT_VIEW (widget);

  gtk_editable_set_text (GTK_EDITABLE (self->filter_entry), "");
  if (!sv_record_section_select_item (self->problems_section, g_variant_get_string (parameter, NULL)))
    gtk_widget_activate_action (widget, "win.toast", "s", _("That problem is not in this record"));
}

/* Printing: the plain-text summary, laid out with Pango and cut into pages
 * at line boundaries. */
typedef struct
{
  char        *text;
  PangoLayout *layout;
  int          lines_per_page;
} PrintData;

static void
print_data_free (PrintData *data)
{
  g_free (data->text);
  g_clear_object (&data->layout);
  g_free (data);
}

static void
on_begin_print (GtkPrintOperation *operation,
                GtkPrintContext   *context,
                PrintData         *data)
{
  g_autoptr(PangoFontDescription) font = pango_font_description_from_string ("Sans 10");
  double height = gtk_print_context_get_height (context);
  int n_lines, line_height;
  PangoRectangle logical;

  data->layout = gtk_print_context_create_pango_layout (context);
  pango_layout_set_font_description (data->layout, font);
  pango_layout_set_width (data->layout, (int) (gtk_print_context_get_width (context) * PANGO_SCALE));
  pango_layout_set_wrap (data->layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_text (data->layout, data->text, -1);

  n_lines = pango_layout_get_line_count (data->layout);
  pango_layout_line_get_extents (pango_layout_get_line_readonly (data->layout, 0), NULL, &logical);
  line_height = MAX (1, logical.height / PANGO_SCALE);
  data->lines_per_page = MAX (1, (int) (height / line_height));
  gtk_print_operation_set_n_pages (operation, MAX (1, (n_lines + data->lines_per_page - 1) / data->lines_per_page));
}

static void
on_draw_page (GtkPrintOperation *operation,
              GtkPrintContext   *context,
              int                page_nr,
              PrintData         *data)
{
  cairo_t *cr = gtk_print_context_get_cairo_context (context);
  int first = page_nr * data->lines_per_page;
  int n_lines = pango_layout_get_line_count (data->layout);
  double y = 0;

  for (int i = first; i < MIN (first + data->lines_per_page, n_lines); i++)
    {
      PangoLayoutLine *line = pango_layout_get_line_readonly (data->layout, i);
      PangoRectangle logical;
      int baseline;

      pango_layout_line_get_extents (line, NULL, &logical);
      baseline = -logical.y / PANGO_SCALE;
      cairo_move_to (cr, 0, y + baseline);
      pango_cairo_show_layout_line (cr, line);
      y += logical.height / (double) PANGO_SCALE;
    }
}

static GtkPrintOperation *
new_print_operation (SvPatientView *self)
{
  GtkPrintOperation *operation = gtk_print_operation_new ();
  PrintData *data = g_new0 (PrintData, 1);

  data->text = sv_patient_record_to_text (self->record);
  g_signal_connect (operation, "begin-print", G_CALLBACK (on_begin_print), data);
  g_signal_connect (operation, "draw-page", G_CALLBACK (on_draw_page), data);
  g_object_set_data_full (G_OBJECT (operation), "sv-print-data", data, (GDestroyNotify) print_data_free);
  gtk_print_operation_set_job_name (operation, gtk_label_get_text (self->name_label));
  gtk_print_operation_set_embed_page_setup (operation, TRUE);

  return operation;
}

static void
sv_patient_view_print_action (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  SvPatientView *self = SV_PATIENT_VIEW (widget);
  g_autoptr(GtkPrintOperation) operation = new_print_operation (self);
  g_autoptr(GError) error = NULL;
  GtkRoot *root = gtk_widget_get_root (widget);

  if (gtk_print_operation_run (operation, GTK_PRINT_OPERATION_ACTION_PRINT_DIALOG,
                               GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, &error) == GTK_PRINT_OPERATION_RESULT_ERROR)
    gtk_widget_activate_action (widget, "win.toast", "s", error->message);
}

/**
 * sv_patient_view_export_pdf:
 * @self: a view
 * @path: the PDF file to write
 * @n_pages: (out) (optional): how many pages were printed
 * @error: return location for a #GError
 *
 * Prints the summary to a PDF file without a dialog, exactly as Ctrl+P
 * would print it.
 *
 * Returns: whether the file was written
 */
gboolean
sv_patient_view_export_pdf (SvPatientView  *self,
                            const char     *path,
                            int            *n_pages,
                            GError        **error)
{
  g_autoptr(GtkPrintOperation) operation = NULL;

  g_return_val_if_fail (SV_IS_PATIENT_VIEW (self), FALSE);

  operation = new_print_operation (self);
  gtk_print_operation_set_export_filename (operation, path);
  if (gtk_print_operation_run (operation, GTK_PRINT_OPERATION_ACTION_EXPORT, NULL, error) !=
      GTK_PRINT_OPERATION_RESULT_APPLY)
    return FALSE;

  if (n_pages != NULL)
    g_object_get (operation, "n-pages", n_pages, NULL);
  return TRUE;
}

static gboolean
apply_orientation (gpointer user_data)
{
  SvPatientView *self = user_data;

  self->orientation_idle = 0;
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self->sections_box), self->wanted_orientation);

  return G_SOURCE_REMOVE;
}

static void
sv_patient_view_size_allocate (GtkWidget *widget,
                               int        width,
                               int        height,
                               int        baseline)
{
  SvPatientView *self = SV_PATIENT_VIEW (widget);
  GtkOrientation wanted = width < NARROW_WIDTH ? GTK_ORIENTATION_VERTICAL : GTK_ORIENTATION_HORIZONTAL;

  /* libadwaita 1.2 has no breakpoints: follow the width ourselves, but
   * change the box after this allocation, not in the middle of it. */
  self->wanted_orientation = wanted;
  if (wanted != gtk_orientable_get_orientation (GTK_ORIENTABLE (self->sections_box)) && self->orientation_idle == 0)
    self->orientation_idle = g_idle_add (apply_orientation, self);

  gtk_widget_allocate (self->box, width, height, baseline, NULL);
}

static void
sv_patient_view_measure (GtkWidget      *widget,
                         GtkOrientation  orientation,
                         int             for_size,
                         int            *minimum,
                         int            *natural,
                         int            *minimum_baseline,
                         int            *natural_baseline)
{
  gtk_widget_measure (SV_PATIENT_VIEW (widget)->box, orientation, for_size,
                      minimum, natural, minimum_baseline, natural_baseline);
}

static void
sv_patient_view_dispose (GObject *object)
{
  SvPatientView *self = SV_PATIENT_VIEW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->orientation_idle, g_source_remove);
  if (self->record != NULL)
    g_signal_handlers_disconnect_by_data (self->record, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), SV_TYPE_PATIENT_VIEW);
  g_clear_object (&self->record);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (sv_patient_view_parent_class)->dispose (object);
}

static void
sv_patient_view_finalize (GObject *object)
{
  SvPatientView *self = SV_PATIENT_VIEW (object);

  g_free (self->patient_id);
  g_free (self->granted_scope);
  g_free (self->server_name);

  G_OBJECT_CLASS (sv_patient_view_parent_class)->finalize (object);
}

static void
sv_patient_view_class_init (SvPatientViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sv_patient_view_dispose;
  object_class->finalize = sv_patient_view_finalize;
  widget_class->size_allocate = sv_patient_view_size_allocate;
  widget_class->measure = sv_patient_view_measure;

  g_type_ensure (SV_TYPE_RECORD_SECTION);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/sv-patient-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SvPatientView, box);
  gtk_widget_class_bind_template_child (widget_class, SvPatientView, banner);
  gtk_widget_class_bind_template_child (widget_class, SvPatientView, name_label);
  gtk_widget_class_bind_template_child (widget_class, SvPatientView, deceased_label);
  gtk_widget_class_bind_template_child (widget_class, SvPatientView, spinner);
  gtk_widget_class_bind_template_child (widget_class, SvPatientView, filter_button);
  gtk_widget_class_bind_template_child (widget_class, SvPatientView, born_label);
  gtk_widget_class_bind_template_child (widget_class, SvPatientView, gender_label);
  gtk_widget_class_bind_template_child (widget_class, SvPatientView, mrn_label);
  gtk_widget_class_bind_template_child (widget_class, SvPatientView, source_label);
  gtk_widget_class_bind_template_child (widget_class, SvPatientView, refresh_error_label);
  gtk_widget_class_bind_template_child (widget_class, SvPatientView, facts_box);
  gtk_widget_class_bind_template_child (widget_class, SvPatientView, content_stack);
  gtk_widget_class_bind_template_child (widget_class, SvPatientView, error_page);
  gtk_widget_class_bind_template_child (widget_class, SvPatientView, search_bar);
  gtk_widget_class_bind_template_child (widget_class, SvPatientView, filter_entry);
  gtk_widget_class_bind_template_child (widget_class, SvPatientView, sections_box);
  gtk_widget_class_bind_template_child (widget_class, SvPatientView, problems_section);
  gtk_widget_class_bind_template_child (widget_class, SvPatientView, medications_section);
  gtk_widget_class_bind_template_callback (widget_class, on_filter_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_filter_stop);

  gtk_widget_class_install_action (widget_class, "view.refresh", NULL, sv_patient_view_refresh_action);
  gtk_widget_class_install_action (widget_class, "view.filter", NULL, sv_patient_view_filter_action);
  gtk_widget_class_install_action (widget_class, "view.copy-summary", NULL, sv_patient_view_copy_summary_action);
  gtk_widget_class_install_action (widget_class, "view.print", NULL, sv_patient_view_print_action);
  gtk_widget_class_install_action (widget_class, "view.show-problem", "s", sv_patient_view_show_problem_action);

  /* No layout manager: size_allocate is where the width is watched. */
  gtk_widget_class_set_css_name (widget_class, "patientview");
}

static void
add_shortcut (GtkShortcutController *controller,
              const char            *accelerator,
              const char            *action)
{
  gtk_shortcut_controller_add_shortcut (controller,
                                        gtk_shortcut_new (gtk_shortcut_trigger_parse_string (accelerator),
                                                          gtk_named_action_new (action)));
}

static void
sv_patient_view_init (SvPatientView *self)
{
  GtkEventController *shortcuts = gtk_shortcut_controller_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  self->record = sv_patient_record_new ();
  g_signal_connect_object (self->record, "notify", G_CALLBACK (on_record_notify), self, G_CONNECT_SWAPPED);
  sv_record_section_set_record (self->problems_section, self->record, SV_SECTION_PROBLEMS);
  sv_record_section_set_record (self->medications_section, self->record, SV_SECTION_MEDICATIONS);

  /* The view's shortcuts work wherever the focus is in the window, as
   * long as the view is shown. */
  gtk_shortcut_controller_set_scope (GTK_SHORTCUT_CONTROLLER (shortcuts), GTK_SHORTCUT_SCOPE_GLOBAL);
  add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts), "F5", "view.refresh");
  add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts), "<Control>r", "view.refresh");
  add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts), "<Control>f", "view.filter");
  add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts), "<Control>p", "view.print");
  add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts), "<Control><Shift>c", "view.copy-summary");
  gtk_widget_add_controller (GTK_WIDGET (self), shortcuts);

  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->filter_entry));
  update_banner (self);
}
