/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sv-application.h"
#include "sv-medication.h"
#include "sv-patient-match.h"
#include "sv-problem.h"
#include "sv-profile-store.h"
#include "sv-record-row.h"
#include "sv-sandbox.h"
#include "sv-sandbox-events.h"
#include "sv-server-profile.h"
#include "sv-sign-in-window.h"
#include "sv-test-util.h"
#include "sv-window.h"

/* The patient view end to end against the offline sandbox, as a clinician
 * uses it: sign in with user-level scopes (so there is no patient context
 * and the picker comes up), find a patient by part of the name, open the
 * large record and scroll to its end, then the demo patient's banner and
 * lists, the filter, the empty record, and the wide and narrow layouts.
 *
 * With SV_BENCH set it also prints, for the large record, the time from
 * "open patient" to all rows rendered, the longest main-loop stall while
 * loading, and the peak RSS: numbers to report, never asserted. */

static SvApplication *the_app;

#define USER_SCOPES "openid fhirUser offline_access user/Patient.read user/Condition.read " \
                    "user/MedicationStatement.read user/MedicationRequest.read user/Medication.read"

static gboolean
sign_in_window_shown (gpointer user_data)
{
  return sv_test_find_toplevel (SV_TYPE_SIGN_IN_WINDOW) != NULL;
}

static gboolean
window_signed_in (gpointer user_data)
{
  const char *page = sv_window_get_page (user_data);

  return g_strcmp0 (page, "picker") == 0 || g_strcmp0 (page, "patient") == 0 ||
         g_strcmp0 (page, "session") == 0 || sv_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL;
}

static gboolean
picker_done (gpointer user_data)
{
  return !sv_patient_picker_get_busy (user_data);
}

static gboolean
record_loaded (gpointer user_data)
{
  SvPatientView *view = user_data;
  SvPatientRecord *record = sv_patient_view_get_record (view);

  /* Loaded, and both lists have been given all their rows. */
  return !sv_patient_record_get_loading (record) && sv_patient_record_get_name (record) != NULL &&
         sv_record_section_get_settled (sv_patient_view_get_section (view, SV_SECTION_PROBLEMS)) &&
         sv_record_section_get_settled (sv_patient_view_get_section (view, SV_SECTION_MEDICATIONS));
}

/* The rows the list view has made: only the visible ones (and a few more)
 * exist, which is the point of a GtkListView. */
static GPtrArray *
rendered_rows (GtkWidget *root)
{
  GPtrArray *rows = g_ptr_array_new ();
  GPtrArray *stack = g_ptr_array_new ();

  g_ptr_array_add (stack, root);
  while (stack->len > 0)
    {
      GtkWidget *widget = g_ptr_array_steal_index (stack, stack->len - 1);

      if (SV_IS_RECORD_ROW (widget))
        {
          if (gtk_widget_get_mapped (widget))
            g_ptr_array_add (rows, widget);
          continue;
        }
      for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
           child = gtk_widget_get_next_sibling (child))
        g_ptr_array_add (stack, child);
    }
  g_ptr_array_unref (stack);

  return rows;
}

static guint
count_row_widgets (GtkWidget *widget)
{
  guint n = SV_IS_RECORD_ROW (widget) ? 1 : 0;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL && n == 0;
       child = gtk_widget_get_next_sibling (child))
    ;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    n += count_row_widgets (child);
  return n;
}

static SvRecordRow *
find_row (GtkWidget  *root,
          const char *title_part)
{
  g_autoptr(GPtrArray) rows = rendered_rows (root);

  for (guint i = 0; i < rows->len; i++)
    if (strstr (sv_record_row_get_title (g_ptr_array_index (rows, i)), title_part) != NULL)
      return g_ptr_array_index (rows, i);
  return NULL;
}

static gboolean
model_has_id (GListModel *model,
              const char *id)
{
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (model, i);
      const char *item_id = SV_IS_PROBLEM (item) ? sv_problem_get_id (SV_PROBLEM (item))
                                                 : sv_medication_get_id (SV_MEDICATION (item));

      if (g_strcmp0 (item_id, id) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
prepare_profile (void)
{
  SvProfileStore *store = sv_application_get_profile_store (the_app);
  g_autoptr(SvServerProfile) profile = sv_server_profile_new_from_preset (SV_PRESET_SANDBOX, "Offline sandbox");
  g_autoptr(GError) error = NULL;

  /* Only the scopes matter: starting the sandbox fills in where it is. */
  sv_server_profile_set_fhir_base_url (profile, "http://127.0.0.1:9/fhir/");
  sv_server_profile_set_issuer (profile, "http://127.0.0.1:9/realms/smart");
  sv_server_profile_set_scopes (profile, USER_SCOPES);
  g_assert_true (sv_profile_store_add (store, profile, TRUE, &error));
  g_assert_no_error (error);
}

/* The main-loop stall probe: a 5 ms timeout that records the longest gap
 * between two of its runs. On a busy machine a gap also counts the time
 * other processes had the CPU, so the probe also sums the main thread's own
 * CPU time, and the most of it that one frame took. */
typedef struct
{
  gint64 last;
  gint64 last_cpu;
  gint64 longest;
  gint64 longest_cpu;
  gint64 started;
  gint64 cpu_started;
  gint64 cpu_used;
  gint64 frame_cpu_started;
  gint64 frame_cpu_longest;
} Probe;

static Probe *trace_probe;

static void
trace (const char *what)
{
  if (trace_probe != NULL && g_getenv ("SV_BENCH_TRACE") != NULL)
    printf ("trace: %7.1f ms %s\n", (g_get_monotonic_time () - trace_probe->started) / 1000.0, what);
}

static void
on_trace_items_changed (GListModel *model,
                        guint       position,
                        guint       removed,
                        guint       added,
                        const char *name)
{
  g_autofree char *text = g_strdup_printf ("%s items-changed -%u +%u", name, removed, added);

  trace (text);
}

static gint64
thread_cpu_us (void)
{
  struct timespec now;

  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &now) != 0)
    return 0;
  return (gint64) now.tv_sec * G_USEC_PER_SEC + now.tv_nsec / 1000;
}

static void
on_frame_started (GdkFrameClock *clock,
                  Probe         *probe)
{
  probe->frame_cpu_started = thread_cpu_us ();
}

static void
on_frame_painted (GdkFrameClock *clock,
                  Probe         *probe)
{
  if (probe->frame_cpu_started != 0)
    probe->frame_cpu_longest = MAX (probe->frame_cpu_longest, thread_cpu_us () - probe->frame_cpu_started);
}

static void
probe_start (Probe     *probe,
             GtkWidget *window)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (window);

  memset (probe, 0, sizeof *probe);
  probe->started = g_get_monotonic_time ();
  probe->cpu_started = thread_cpu_us ();
  g_signal_connect (clock, "before-paint", G_CALLBACK (on_frame_started), probe);
  g_signal_connect (clock, "after-paint", G_CALLBACK (on_frame_painted), probe);
}

static void
probe_stop (Probe     *probe,
            GtkWidget *window)
{
  probe->cpu_used = thread_cpu_us () - probe->cpu_started;
  g_signal_handlers_disconnect_by_data (gtk_widget_get_frame_clock (window), probe);
}

static gboolean
probe_tick (gpointer user_data)
{
  Probe *probe = user_data;
  gint64 now = g_get_monotonic_time ();
  gint64 cpu = thread_cpu_us ();

  if (probe->last != 0 && now - probe->last > probe->longest)
    {
      probe->longest = now - probe->last;
      probe->longest_cpu = cpu - probe->last_cpu;
    }
  if (probe->last != 0 && now - probe->last > 20000)
    {
      g_autofree char *text = g_strdup_printf ("stall of %.1f ms ends (%.1f ms of main-thread CPU)",
                                               (now - probe->last) / 1000.0, (cpu - probe->last_cpu) / 1000.0);

      trace (text);
    }
  probe->last = now;
  probe->last_cpu = cpu;
  return G_SOURCE_CONTINUE;
}

static long
status_kib (const char *field)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, field);
  return line != NULL ? strtol (line + strlen (field), NULL, 10) : -1;
}

/* The high-water mark includes the sign-in, when the web view was alive;
 * the resident size now is what the patient view itself holds. */
static long
peak_rss_kib (void)
{
  return status_kib ("VmHWM:");
}

static void
print_probe (const char  *prefix,
             const Probe *probe)
{
  printf ("bench: %slongest main-loop stall while loading %.1f ms (%.1f ms of it on the main thread's CPU); "
          "main-thread CPU %.0f ms, at most %.1f ms in one frame\n",
          prefix, probe->longest / 1000.0, probe->longest_cpu / 1000.0, probe->cpu_used / 1000.0,
          probe->frame_cpu_longest / 1000.0);
}

static gboolean
never (gpointer user_data)
{
  return FALSE;
}

static void
wait_for_rows (SvWindow *window)
{
  sv_test_wait_frames (GTK_WIDGET (window), 10);
}

static void
check_picker (SvWindow *window)
{
  SvPatientPicker *picker = sv_window_get_patient_picker (window);
  GListModel *matches = sv_patient_picker_get_matches (picker);
  gboolean found = FALSE;

  /* Part of a family name, typed as a user would: the debounced search
   * finds Margaret Rose O'Brien-Whitfield (patient-010). */
  sv_patient_picker_set_query (picker, "O'Bri");
  g_assert_true (sv_patient_picker_get_busy (picker));
  g_assert_true (sv_test_wait_until (picker_done, picker, 20000));
  g_assert_false (sv_patient_picker_get_showing_recent (picker));
  g_assert_cmpuint (g_list_model_get_n_items (matches), >=, 1);
  for (guint i = 0; i < g_list_model_get_n_items (matches); i++)
    {
      g_autoptr(SvPatientMatch) match = g_list_model_get_item (matches, i);

      g_test_message ("match: %s %s", sv_patient_match_get_id (match), sv_patient_match_get_name (match));
      if (g_str_equal (sv_patient_match_get_id (match), "patient-010"))
        {
          found = TRUE;
          g_assert_nonnull (strstr (sv_patient_match_get_name (match), "O'Brien-Whitfield"));
          g_assert_nonnull (strstr (sv_patient_match_describe (match), "Born"));
        }
    }
  g_assert_true (found);

  /* A first name part works too; a name nobody has finds nobody. */
  sv_patient_picker_set_query (picker, "margaret");
  g_assert_true (sv_test_wait_until (picker_done, picker, 20000));
  g_assert_cmpuint (g_list_model_get_n_items (matches), >=, 1);
  sv_patient_picker_set_query (picker, "Zzyzxqvw");
  g_assert_true (sv_test_wait_until (picker_done, picker, 20000));
  g_assert_cmpuint (g_list_model_get_n_items (matches), ==, 0);

  sv_patient_picker_set_query (picker, "O'Bri");
  g_assert_true (sv_test_wait_until (picker_done, picker, 20000));
  sv_test_wait_frames (GTK_WIDGET (window), 10);
  sv_test_save_screenshot (GTK_WIDGET (window), "patient-picker");
}

/* Printing lays the summary text out on pages; exported to PDF here, as
 * the print dialog cannot be answered in a test. */
static void
check_print (SvPatientView *view,
             int            min_pages)
{
  g_autofree char *dir = g_dir_make_tmp ("sv-print-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "summary.pdf", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  int n_pages = 0;

  g_assert_true (sv_patient_view_export_pdf (view, path, &n_pages, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_assert_true (g_str_has_prefix (contents, "%PDF"));
  g_test_message ("summary: %d pages, %" G_GSIZE_FORMAT " bytes of PDF", n_pages, length);
  g_assert_cmpint (n_pages, >=, min_pages);
  g_unlink (path);
  g_rmdir (dir);
}

static void
check_large_record (SvWindow *window)
{
  SvPatientView *view = sv_window_get_patient_view (window);
  SvPatientRecord *record = sv_patient_view_get_record (view);
  SvRecordSection *problems = sv_patient_view_get_section (view, SV_SECTION_PROBLEMS);
  SvRecordSection *medications = sv_patient_view_get_section (view, SV_SECTION_MEDICATIONS);
  Probe probe;
  long rss_before;
  guint probe_id;
  gint64 loaded;
  GtkListView *list;
  GtkAdjustment *adjustment;
  GListModel *shown;
  guint n;

  rss_before = status_kib ("VmRSS:");
  probe_start (&probe, GTK_WIDGET (window));
  probe_id = g_timeout_add (5, probe_tick, &probe);
  trace_probe = &probe;
  g_signal_connect (sv_patient_record_get_problems (record), "items-changed",
                    G_CALLBACK (on_trace_items_changed), (gpointer) "problems");
  g_signal_connect (sv_patient_record_get_encounter_diagnoses (record), "items-changed",
                    G_CALLBACK (on_trace_items_changed), (gpointer) "encounter-diagnoses");
  g_signal_connect (sv_patient_record_get_medications (record), "items-changed",
                    G_CALLBACK (on_trace_items_changed), (gpointer) "medications");
  /* Opened from the keyboard: Enter in the search field opens the first
   * match ("O'Bri" is still typed there). */
  g_signal_emit_by_name (sv_test_find_widget (GTK_WIDGET (sv_window_get_patient_picker (window)),
                                              GTK_TYPE_SEARCH_ENTRY, NULL), "activate");
  g_assert_cmpstr (sv_window_get_page (window), ==, "patient");
  g_assert_cmpstr (sv_patient_record_get_patient_id (record), ==, "patient-010");
  g_assert_true (sv_test_wait_until (record_loaded, view, 60000));
  /* "Rendered" is when the frame with the rows has been drawn. */
  sv_test_wait_frames (GTK_WIDGET (window), 2);
  loaded = g_get_monotonic_time ();
  g_source_remove (probe_id);
  probe_stop (&probe, GTK_WIDGET (window));
  trace ("rendered");
  trace_probe = NULL;

  g_assert_cmpuint (sv_patient_record_get_section_count (record, SV_SECTION_PROBLEMS), >=, 2000);
  g_assert_cmpuint (sv_patient_record_get_section_count (record, SV_SECTION_MEDICATIONS), >=, 2000);
  g_assert_cmpstr (sv_record_section_get_page (problems), ==, "list");
  g_assert_cmpstr (sv_record_section_get_page (medications), ==, "list");
  g_assert_nonnull (strstr (sv_patient_record_get_name (record), "O'Brien-Whitfield"));

  if (g_getenv ("SV_BENCH") != NULL)
    {
      printf ("bench: open-to-rendered %.0f ms (patient-010, %u problems, %u medications)\n",
              (loaded - probe.started) / 1000.0,
              sv_patient_record_get_section_count (record, SV_SECTION_PROBLEMS),
              sv_patient_record_get_section_count (record, SV_SECTION_MEDICATIONS));
      print_probe ("", &probe);
      printf ("bench: RSS before opening %ld KiB (signed in, picker shown)\n", rss_before);
      printf ("bench: RSS after loading %ld KiB; peak RSS of the process %ld KiB, sign-in included (GSK_RENDERER=%s)\n",
              status_kib ("VmRSS:"), peak_rss_kib (),
              g_getenv ("GSK_RENDERER") ? g_getenv ("GSK_RENDERER") : "default");
      fflush (stdout);
    }
  g_test_message ("patient-010: rendered after %.0f ms, longest stall %.1f ms, peak RSS %ld KiB",
                  (loaded - probe.started) / 1000.0, probe.longest / 1000.0, peak_rss_kib ());

  /* Again with F5: the first load also pays for loading fonts and
   * styles once per process; a refresh shows the steady state. */
  probe_start (&probe, GTK_WIDGET (window));
  probe_id = g_timeout_add (5, probe_tick, &probe);
  trace_probe = &probe;
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "view.refresh", NULL));
  g_assert_true (sv_patient_record_get_loading (record));
  g_assert_true (sv_test_wait_until (record_loaded, view, 60000));
  sv_test_wait_frames (GTK_WIDGET (window), 2);
  loaded = g_get_monotonic_time ();
  g_source_remove (probe_id);
  probe_stop (&probe, GTK_WIDGET (window));
  trace ("rendered");
  trace_probe = NULL;
  g_assert_cmpuint (sv_patient_record_get_section_count (record, SV_SECTION_PROBLEMS), >=, 2000);
  if (g_getenv ("SV_BENCH") != NULL)
    {
      printf ("bench: refresh (F5) to rendered %.0f ms\n", (loaded - probe.started) / 1000.0);
      print_probe ("refresh: ", &probe);
      /* The app returns what malloc holds free a second after a load. */
      g_assert_false (sv_test_wait_until (never, NULL, 1500));
      printf ("bench: RSS 1.5 s after the refresh %ld KiB\n", status_kib ("VmRSS:"));
      fflush (stdout);
    }

  /* 4,000 rows of text make many pages. */
  check_print (view, 20);

  /* Inactive rows are collapsed behind a button; expanded, the whole list
   * is there, and scrolling to its end shows the last row. */
  g_assert_cmpuint (sv_record_section_get_n_inactive (problems), >, 0);
  sv_record_section_set_show_inactive (problems, TRUE);
  shown = sv_record_section_get_shown (problems);
  n = g_list_model_get_n_items (shown);
  g_assert_cmpuint (n, ==, sv_patient_record_get_section_count (record, SV_SECTION_PROBLEMS));
  list = sv_record_section_get_list_view (problems);
  wait_for_rows (window);
  {
    g_autoptr(GPtrArray) rows = rendered_rows (GTK_WIDGET (list));

    g_test_message ("rows made for the problem list: %u, shown: %u", count_row_widgets (GTK_WIDGET (list)), rows->len);
    /* Only what is visible exists, not 2,000 rows. */
    g_assert_cmpuint (rows->len, >, 0);
    g_assert_cmpuint (rows->len, <, 300);
  }
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (list), "list.scroll-to-item", "u", n - 1));
  wait_for_rows (window);
  sv_test_wait_frames (GTK_WIDGET (window), 20);
  adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (list));
  g_assert_cmpfloat (gtk_adjustment_get_value (adjustment), >, 0);
  {
    g_autoptr(GObject) last = g_list_model_get_item (shown, n - 1);
    g_autoptr(GPtrArray) rows = rendered_rows (GTK_WIDGET (list));
    gboolean last_shown = FALSE;

    for (guint i = 0; i < rows->len; i++)
      if (sv_record_row_get_item (g_ptr_array_index (rows, i)) == last)
        last_shown = TRUE;
    g_assert_true (last_shown);
  }

  /* The medications scroll to their end as well. */
  list = sv_record_section_get_list_view (medications);
  n = g_list_model_get_n_items (sv_record_section_get_shown (medications));
  g_assert_cmpuint (n, >, 0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (list), "list.scroll-to-item", "u", n - 1));
  sv_test_wait_frames (GTK_WIDGET (window), 20);
  g_assert_cmpfloat (gtk_adjustment_get_value (gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (list))), >, 0);
}

static void
check_demo_patient (SvWindow *window)
{
  SvPatientView *view = sv_window_get_patient_view (window);
  SvPatientRecord *record = sv_patient_view_get_record (view);
  SvRecordSection *problems = sv_patient_view_get_section (view, SV_SECTION_PROBLEMS);
  SvRecordSection *medications = sv_patient_view_get_section (view, SV_SECTION_MEDICATIONS);
  g_autofree char *banner = NULL;
  g_autofree char *badges = NULL;
  SvRecordRow *row;

  sv_window_open_patient (window, "patient-001");
  g_assert_true (sv_test_wait_until (record_loaded, view, 30000));
  wait_for_rows (window);
  sv_test_save_screenshot (GTK_WIDGET (window), "patient-view-demo");

  /* The banner: name, born with age, gender, MRN with its label, source. */
  banner = sv_patient_view_dup_banner_text (view);
  g_test_message ("banner:\n%s", banner);
  g_assert_nonnull (strstr (banner, "Zoë Anneliese Müller"));
  g_assert_nonnull (strstr (banner, "Born "));
  g_assert_nonnull (strstr (banner, " y)"));
  g_assert_nonnull (strstr (banner, "Gender Female"));
  g_assert_nonnull (strstr (banner, "MRN SB"));
  g_assert_null (strstr (banner, "999-"));
  g_assert_nonnull (strstr (banner, "Offline sandbox"));
  g_assert_nonnull (strstr (banner, "fetched"));

  /* Both lists show rows; entered-in-error is hidden; the refuted
   * suspected COVID-19 is among the inactive ones and struck through. */
  g_assert_cmpstr (sv_record_section_get_page (problems), ==, "list");
  g_assert_cmpstr (sv_record_section_get_page (medications), ==, "list");
  g_assert_false (model_has_id (sv_patient_record_get_problems (record), "condition-001-14"));
  g_assert_false (model_has_id (sv_patient_record_get_medications (record), "medstatement-001-09"));
  row = find_row (GTK_WIDGET (problems), "Essential hypertension");
  g_assert_nonnull (row);
  badges = sv_record_row_dup_badges (row);
  g_assert_nonnull (strstr (badges, "Active"));
  g_assert_false (sv_record_row_get_struck_through (row));
  g_clear_pointer (&badges, g_free);
  g_assert_nonnull (find_row (GTK_WIDGET (medications), "lisinopril 10 MG Oral Tablet"));
  g_assert_null (find_row (GTK_WIDGET (problems), "Suspected COVID-19"));
  sv_record_section_set_show_inactive (problems, TRUE);
  wait_for_rows (window);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "view.filter", NULL));
  {
    /* The filter looks in both lists, inactive rows included. */
    GtkWidget *entry = sv_test_find_widget (GTK_WIDGET (view), GTK_TYPE_SEARCH_ENTRY, NULL);

    gtk_editable_set_text (GTK_EDITABLE (entry), "covid");
    g_assert_cmpuint (g_list_model_get_n_items (sv_record_section_get_shown (problems)), >=, 1);
    wait_for_rows (window);
    row = find_row (GTK_WIDGET (problems), "Suspected COVID-19");
    g_assert_nonnull (row);
    g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (row), "refuted"));
    g_assert_true (sv_record_row_get_struck_through (row));
    badges = sv_record_row_dup_badges (row);
    g_assert_nonnull (strstr (badges, "Refuted"));
    g_assert_cmpstr (sv_record_section_get_empty_title (medications), ==, "No Matches");

    gtk_editable_set_text (GTK_EDITABLE (entry), "epinephrine");
    wait_for_rows (window);
    g_assert_nonnull (find_row (GTK_WIDGET (medications), "Epinephrine"));
    gtk_editable_set_text (GTK_EDITABLE (entry), "");
    wait_for_rows (window);
  }

  /* The NLP-inferred condition says so, with its confidence; the reason
   * link of a medication leads to it the same way. */
  {
    g_autoptr(GPtrArray) rows = NULL;
    gboolean inferred = FALSE;

    g_assert_true (sv_record_section_select_item (problems, "condition-001-nlp1"));
    sv_test_wait_frames (GTK_WIDGET (window), 20);
    rows = rendered_rows (GTK_WIDGET (problems));
    for (guint i = 0; i < rows->len; i++)
      {
        SvRecordRow *candidate = g_ptr_array_index (rows, i);
        GObject *item = sv_record_row_get_item (candidate);

        if (SV_IS_PROBLEM (item) && g_str_equal (sv_problem_get_id (SV_PROBLEM (item)), "condition-001-nlp1"))
          {
            g_autofree char *text = sv_record_row_dup_badges (candidate);

            g_test_message ("inferred row: %s [%s]", sv_record_row_get_title (candidate), text);
            g_assert_nonnull (strstr (text, "Inferred ("));
            g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (candidate), "inferred"));
            inferred = TRUE;
          }
      }
    g_assert_true (inferred);
  }


  sv_window_open_patient (window, "patient-015");
  g_assert_true (sv_test_wait_until (record_loaded, view, 30000));
  wait_for_rows (window);
  g_assert_cmpstr (sv_record_section_get_page (problems), ==, "status");
  g_assert_cmpstr (sv_record_section_get_empty_title (problems), ==, "No Problems Recorded");
  g_assert_cmpstr (sv_record_section_get_empty_title (medications), ==, "No Medications Recorded");

  /* Deceased is flagged. */
  sv_window_open_patient (window, "patient-007");
  g_assert_true (sv_test_wait_until (record_loaded, view, 30000));
  {
    g_autofree char *deceased = sv_patient_view_dup_banner_text (view);

    g_test_message ("banner:\n%s", deceased);
    g_assert_true (sv_patient_record_get_deceased (record));
    g_assert_nonnull (strstr (deceased, "2025"));
  }
}

static void
check_layouts (SvWindow *window)
{
  SvPatientView *view = sv_window_get_patient_view (window);

  sv_window_open_patient (window, "patient-001");
  g_assert_true (sv_test_wait_until (record_loaded, view, 30000));

  gtk_window_set_default_size (GTK_WINDOW (window), 1200, 760);
  sv_test_wait_frames (GTK_WIDGET (window), 30);
  g_assert_cmpint (sv_patient_view_get_orientation (view), ==, GTK_ORIENTATION_HORIZONTAL);
  sv_test_save_screenshot (GTK_WIDGET (window), "patient-view-wide");

  gtk_window_set_default_size (GTK_WINDOW (window), 420, 860);
  sv_test_wait_frames (GTK_WIDGET (window), 30);
  /* Stacked, the lists need less width: now the window can be narrower. */
  gtk_window_set_default_size (GTK_WINDOW (window), 421, 860);
  sv_test_wait_frames (GTK_WIDGET (window), 30);
  sv_test_save_screenshot (GTK_WIDGET (window), "patient-view-narrow");
  g_test_message ("narrow: %d × %d", gtk_widget_get_width (GTK_WIDGET (window)), gtk_widget_get_height (GTK_WIDGET (window)));
  g_assert_cmpint (sv_patient_view_get_orientation (view), ==, GTK_ORIENTATION_VERTICAL);

  gtk_window_set_default_size (GTK_WINDOW (window), 1200, 760);
  sv_test_wait_frames (GTK_WIDGET (window), 30);
  g_assert_cmpint (sv_patient_view_get_orientation (view), ==, GTK_ORIENTATION_HORIZONTAL);

  /* Change patient leads back to the picker, which now lists the recently
   * opened patients first. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.change-patient", NULL));
  g_assert_cmpstr (sv_window_get_page (window), ==, "picker");
  g_assert_true (sv_test_wait_until (picker_done, sv_window_get_patient_picker (window), 20000));
  g_assert_true (sv_patient_picker_get_showing_recent (sv_window_get_patient_picker (window)));
  {
    GListModel *recent = sv_patient_picker_get_matches (sv_window_get_patient_picker (window));
    g_autoptr(SvPatientMatch) first = g_list_model_get_item (recent, 0);

    g_assert_nonnull (first);
    g_assert_cmpstr (sv_patient_match_get_id (first), ==, "patient-001");
  }
}

static void
check_copy_summary (SvWindow *window)
{
  SvPatientView *view = sv_window_get_patient_view (window);
  g_autofree char *text = NULL;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-patient", NULL));
  g_assert_cmpstr (sv_window_get_page (window), ==, "patient");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "view.copy-summary", NULL));
  text = sv_test_read_clipboard (GTK_WIDGET (view));
  g_assert_nonnull (strstr (text, "Zoë Anneliese Müller"));
  g_assert_nonnull (strstr (text, "Essential hypertension"));

  check_print (view, 1);
}

/* Sets (JSON) or clears (NULL) the sandbox's fault switches. */
static void
set_faults (SvWindow   *window,
            const char *json)
{
  SvSession *session = sv_window_get_session (window);
  const char *base = sv_server_profile_get_fhir_base_url (sv_session_get_profile (session));
  g_autofree char *url = sv_sandbox_hook_url_for_base (base, "/_sandbox/faults");
  g_autoptr(SoupMessage) message = soup_message_new (json != NULL ? "POST" : "DELETE", url);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (message);
  if (json != NULL)
    {
      g_autoptr(GBytes) request = g_bytes_new (json, strlen (json));

      soup_message_set_request_body_from_bytes (message, "application/json", request);
    }
  body = soup_session_send_and_read (sv_session_get_http (session), message, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (message), <, 300);
}

/* One of the two medication searches fails: the other's rows stay, and the
 * section says above them what is missing, with Retry. */
static void
check_one_medication_type_fails (SvWindow *window)
{
  SvPatientView *view = sv_window_get_patient_view (window);
  SvRecordSection *medications = sv_patient_view_get_section (view, SV_SECTION_MEDICATIONS);
  SvRecordSection *problems = sv_patient_view_get_section (view, SV_SECTION_PROBLEMS);
  const char *notice;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-patient", NULL));
  set_faults (window, "{\"error_500_type\":\"MedicationRequest\"}");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "view.refresh", NULL));
  sv_test_wait_frames (GTK_WIDGET (window), 2);
  g_assert_true (sv_test_wait_until (record_loaded, view, 30000));
  g_assert_cmpint (sv_patient_record_get_section_state (sv_patient_view_get_record (view), SV_SECTION_MEDICATIONS),
                   ==, SV_SECTION_STATE_ERROR);
  g_assert_cmpuint (sv_patient_record_get_section_count (sv_patient_view_get_record (view), SV_SECTION_MEDICATIONS), >, 0);
  g_assert_cmpstr (sv_record_section_get_page (medications), ==, "list");
  notice = sv_record_section_get_notice (medications);
  g_test_message ("medications notice: %s", notice);
  g_assert_nonnull (notice);
  g_assert_nonnull (strstr (notice, "MedicationRequest"));
  g_assert_null (sv_record_section_get_notice (problems));
  sv_test_wait_frames (GTK_WIDGET (window), 10);
  sv_test_save_screenshot (GTK_WIDGET (window), "patient-view-one-type-failed");

  set_faults (window, NULL);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "view.refresh", NULL));
  sv_test_wait_frames (GTK_WIDGET (window), 2);
  g_assert_true (sv_test_wait_until (record_loaded, view, 30000));
  g_assert_null (sv_record_section_get_notice (medications));
}


static gboolean
load_finished (gpointer user_data)
{
  return !sv_patient_record_get_loading (sv_patient_view_get_record (user_data));
}

/* The Patient read fails: on a refresh of the same patient the banner
 * keeps what was read before, with its time and the error; for another
 * patient the view says it could not be read, with Retry, instead of a
 * banner of "Not known". */
static void
check_patient_read_fails (SvWindow *window)
{
  SvPatientView *view = sv_window_get_patient_view (window);
  SvPatientRecord *record = sv_patient_view_get_record (view);
  g_autofree char *name = NULL;
  g_autofree char *mrn = NULL;
  g_autofree char *banner = NULL;
  g_autoptr(GDateTime) fetched = NULL;

  sv_window_open_patient (window, "patient-001");
  g_assert_true (sv_test_wait_until (record_loaded, view, 30000));
  name = g_strdup (sv_patient_record_get_name (record));
  mrn = g_strdup (sv_patient_record_get_mrn (record));
  fetched = g_date_time_ref (sv_patient_record_get_last_fetched (record));
  g_assert_null (sv_patient_record_get_patient_error (record));

  set_faults (window, "{\"error_500_type\":\"Patient\"}");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "view.refresh", NULL));
  g_assert_true (sv_test_wait_until (load_finished, view, 30000));
  g_assert_nonnull (sv_patient_record_get_patient_error (record));
  g_assert_nonnull (strstr (sv_patient_record_get_patient_error (record), "500"));
  g_assert_cmpstr (sv_patient_record_get_name (record), ==, name);
  g_assert_cmpstr (sv_patient_record_get_mrn (record), ==, mrn);
  g_assert_true (g_date_time_equal (sv_patient_record_get_last_fetched (record), fetched));
  g_assert_cmpstr (sv_patient_view_get_page (view), ==, "record");
  banner = sv_patient_view_dup_banner_text (view);
  g_test_message ("banner after a failed refresh: %s", banner);
  g_assert_nonnull (strstr (banner, name));
  g_assert_nonnull (strstr (banner, mrn));
  g_assert_null (strstr (banner, "Not known"));
  g_assert_nonnull (strstr (banner, sv_patient_record_get_patient_error (record)));
  sv_test_wait_frames (GTK_WIDGET (window), 10);
  sv_test_save_screenshot (GTK_WIDGET (window), "patient-view-refresh-failed");

  /* Another patient, whose read fails. */
  sv_window_open_patient (window, "patient-007");
  g_assert_true (sv_test_wait_until (load_finished, view, 30000));
  g_assert_null (sv_patient_record_get_patient (record));
  g_assert_null (sv_patient_record_get_name (record));
  g_assert_null (sv_patient_record_get_last_fetched (record));
  g_assert_nonnull (sv_patient_record_get_patient_error (record));
  g_assert_cmpstr (sv_patient_view_get_page (view), ==, "error");
  g_clear_pointer (&banner, g_free);
  banner = sv_patient_view_dup_banner_text (view);
  g_test_message ("banner of a patient not read: %s", banner);
  g_assert_null (strstr (banner, name));
  g_assert_null (strstr (banner, "Born "));
  g_assert_null (strstr (banner, "Gender "));
  sv_test_wait_frames (GTK_WIDGET (window), 10);
  sv_test_save_screenshot (GTK_WIDGET (window), "patient-view-patient-not-read");

  /* Retry (the error page's button) reads it once the server answers. */
  set_faults (window, NULL);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "view.refresh", NULL));
  g_assert_true (sv_test_wait_until (record_loaded, view, 30000));
  g_assert_null (sv_patient_record_get_patient_error (record));
  g_assert_cmpstr (sv_patient_view_get_page (view), ==, "record");
  g_assert_cmpstr (sv_patient_record_get_patient_id (record), ==, "patient-007");
}

static void
test_patient_view (void)
{
  g_autofree char *executable = sv_sandbox_find_executable ();
  SvSignInWindow *sign_in;
  SvWindow *window;

  if (executable == NULL)
    {
      g_test_skip ("smart-sandbox is not built (configure with -Dcompanions=true)");
      return;
    }

  prepare_profile ();
  g_application_activate (G_APPLICATION (the_app));
  window = SV_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (the_app)));
  gtk_window_set_default_size (GTK_WINDOW (window), 1200, 760);
  g_action_group_activate_action (G_ACTION_GROUP (the_app), "try-sandbox", NULL);

  g_assert_true (sv_test_wait_until (sign_in_window_shown, NULL, 90000));
  sign_in = SV_SIGN_IN_WINDOW (sv_test_find_toplevel (SV_TYPE_SIGN_IN_WINDOW));
  sv_test_drive_sandbox_login (sv_sign_in_window_get_web_view (sign_in), "clinician", "demo");
  g_assert_true (sv_test_wait_until (window_signed_in, window, 60000));

  /* user/ scopes give no patient context: the picker comes first. */
  g_assert_cmpstr (sv_window_get_page (window), ==, "picker");
  g_assert_null (sv_session_get_patient (sv_window_get_session (window)));

  check_picker (window);
  check_large_record (window);
  check_demo_patient (window);
  check_layouts (window);
  check_copy_summary (window);
  check_one_medication_type_fails (window);
  check_patient_read_fails (window);

  /* Signed out, nothing of this session is left for the next test. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-session", NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.sign-out", NULL));
  g_assert_cmpstr (sv_window_get_page (window), ==, "welcome");
  sv_test_wait_frames (GTK_WIDGET (window), 10);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *config_dir = g_dir_make_tmp ("sv-patient-view-XXXXXX", NULL);
  int status;

  /* The server profiles this test writes (user-level scopes) must not be
   * what the other sign-in tests find in the shared test HOME. */
  g_assert_nonnull (config_dir);
  g_setenv ("XDG_CONFIG_HOME", config_dir, TRUE);

  /* As the application's main() does: the RSS figure is the app's. */
  sv_application_prepare_environment ();
  gtk_test_init (&argc, &argv, NULL);
  g_set_prgname ("test-patient-view");

  the_app = sv_application_new ();
  g_application_set_flags (G_APPLICATION (the_app), G_APPLICATION_NON_UNIQUE | G_APPLICATION_HANDLES_OPEN);
  {
    g_autoptr(GError) error = NULL;

    g_assert_true (g_application_register (G_APPLICATION (the_app), NULL, &error));
    g_assert_no_error (error);
  }

  g_test_add_func ("/ui/patient-view/sandbox", test_patient_view);

  status = g_test_run ();
  g_action_group_activate_action (G_ACTION_GROUP (the_app), "quit", NULL);
  g_clear_object (&the_app);
  remove_tree (config_dir);

  return status;
}
