/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>
#include <string.h>

#include "sv-error.h"
#include "sv-fhir-value.h"
#include "sv-patient-record.h"
#include "sv-static-bearer.h"
#include "sv-test-fhir-server.h"

/* The patient record on fixtures that cover each rule of FHIR-DISPLAY.md,
 * served by an in-test FHIR server, and the faults a section must survive
 * without taking the others down. */

typedef struct
{
  SvTestFhirServer *server;
  SvTestFhirServer *foreign;
  SvStaticBearer   *bearer;
  SvFhirClient     *client;
  SvPatientRecord  *record;
  GAsyncResult     *result;
} Fixture;

static void
load_fixture_file (Fixture *fixture)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fhir-data", "record.ndjson", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *long_text = g_strnfill (2000, 'x');
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(GString) line = g_string_new (lines[i]);

      if (line->len == 0)
        continue;
      g_string_replace (line, "@FOREIGN@", sv_test_fhir_server_get_base_url (fixture->foreign), 0);
      g_string_replace (line, "@LONG@", long_text, 0);
      sv_test_fhir_server_add_json (fixture->server, line->str);
    }
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  const char *tokens[] = { "token-1", "token-2", NULL };
  g_autoptr(GError) error = NULL;

  fixture->server = sv_test_fhir_server_new ();
  fixture->foreign = sv_test_fhir_server_new ();
  fixture->bearer = sv_static_bearer_new (tokens);
  fixture->client = sv_fhir_client_new (sv_test_fhir_server_get_base_url (fixture->server),
                                        SV_BEARER_SOURCE (fixture->bearer), NULL, &error);
  g_assert_no_error (error);
  sv_fhir_client_set_max_retry_delay (fixture->client, 1);
  fixture->record = sv_patient_record_new ();
  load_fixture_file (fixture);
  sv_test_fhir_server_set_include (fixture->server, "MedicationRequest");
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->result);
  g_clear_object (&fixture->record);
  g_clear_object (&fixture->client);
  g_clear_object (&fixture->bearer);
  sv_test_fhir_server_free (fixture->foreign);
  sv_test_fhir_server_free (fixture->server);
}

static gboolean
timeout_cb (gpointer data)
{
  g_error ("The test timed out");
  return G_SOURCE_REMOVE;
}

static void
store_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **store = user_data;

  *store = g_object_ref (result);
}

static void
wait_for (GAsyncResult **result)
{
  guint timeout = g_timeout_add_seconds (30, timeout_cb, NULL);

  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (timeout);
}

static gboolean
load (Fixture     *fixture,
      const char  *patient_id,
      const char  *scope,
      GError     **error)
{
  g_clear_object (&fixture->result);
  sv_patient_record_load_async (fixture->record, fixture->client, patient_id, scope, NULL,
                                store_result_cb, &fixture->result);
  wait_for (&fixture->result);
  return sv_patient_record_load_finish (fixture->record, fixture->result, error);
}

static char *
problem_ids (GListModel *model)
{
  g_autoptr(GString) ids = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(SvProblem) row = g_list_model_get_item (model, i);

      g_string_append_printf (ids, "%s%s", i > 0 ? " " : "", sv_problem_get_id (row));
    }
  return g_string_free (g_steal_pointer (&ids), FALSE);
}

static char *
medication_ids (GListModel *model)
{
  g_autoptr(GString) ids = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(SvMedication) row = g_list_model_get_item (model, i);

      g_string_append_printf (ids, "%s%s", i > 0 ? " " : "", sv_medication_get_id (row));
    }
  return g_string_free (g_steal_pointer (&ids), FALSE);
}

static SvProblem *
problem (Fixture    *fixture,
         const char *id)
{
  SvProblem *row = sv_patient_record_find_problem (fixture->record, id);

  g_assert_nonnull (row);
  return row;
}

static SvMedication *
medication (Fixture    *fixture,
            const char *id)
{
  GListModel *model = sv_patient_record_get_medications (fixture->record);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(SvMedication) row = g_list_model_get_item (model, i);

      if (g_strcmp0 (sv_medication_get_id (row), id) == 0)
        return row;
    }

  g_error ("No medication row %s", id);
  return NULL;
}

static void
test_banner (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *birth = NULL;
  int age;

  g_assert_true (load (fixture, "p1", NULL, &error));
  g_assert_no_error (error);

  age = g_date_time_get_year (now) - 1961 -
        (g_date_time_get_month (now) < 3 || (g_date_time_get_month (now) == 3 && g_date_time_get_day_of_month (now) < 12));
  birth = g_strdup_printf ("12 Mar 1961 (%d y)", age);
  g_assert_cmpstr (sv_patient_record_get_name (fixture->record), ==, "Robert J Smith");
  g_assert_cmpstr (sv_patient_record_get_birth (fixture->record), ==, birth);
  g_assert_cmpint (sv_patient_record_get_age (fixture->record), ==, age);
  g_assert_cmpstr (sv_patient_record_get_gender (fixture->record), ==, "Male");
  /* The SSN is typed MR too, and still never shown. */
  g_assert_cmpstr (sv_patient_record_get_mrn (fixture->record), ==, "MRN-1");
  g_assert_cmpstr (sv_patient_record_get_mrn_label (fixture->record), ==, "Medical Record Number");
  g_assert_false (sv_patient_record_get_deceased (fixture->record));
  g_assert_cmpstr (sv_patient_record_get_source_server (fixture->record), ==,
                   sv_test_fhir_server_get_base_url (fixture->server));
  g_assert_nonnull (sv_patient_record_get_last_fetched (fixture->record));
  g_assert_false (sv_patient_record_get_loading (fixture->record));

  g_assert_true (load (fixture, "p2", NULL, &error));
  g_assert_cmpstr (sv_patient_record_get_name (fixture->record), ==, "Not known (masked)");
  g_assert_cmpstr (sv_patient_record_get_birth (fixture->record), ==, "1930");
  g_assert_cmpint (sv_patient_record_get_age (fixture->record), ==, -1);
  g_assert_cmpstr (sv_patient_record_get_gender (fixture->record), ==, "Not known (declined)");
  g_assert_null (sv_patient_record_get_mrn (fixture->record));
  g_assert_true (sv_patient_record_get_deceased (fixture->record));
  g_assert_cmpstr (sv_patient_record_get_deceased_text (fixture->record), ==, "6 May 2001");
}

static void
test_problem_rules (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ids = NULL;
  g_autofree char *encounters = NULL;
  GPtrArray *codings;

  g_assert_true (load (fixture, "p1", NULL, &error));

  /* Grouped (active, remission, unknown, inactive), then onset descending,
   * then recordedDate descending; entered-in-error hidden; the encounter
   * diagnosis and the other patient's Condition elsewhere. */
  ids = problem_ids (sv_patient_record_get_problems (fixture->record));
  g_assert_cmpstr (ids, ==,
                   "c-inferred c-concern c-active-new c-same-b c-same-a c-relapse-period c-refuted "
                   "c-provisional c-differential c-active-old c-uncoded c-long "
                   "c-remission "
                   "c-nostatus "
                   "c-nostatus-abated c-inactive c-resolved");
  encounters = problem_ids (sv_patient_record_get_encounter_diagnoses (fixture->record));
  g_assert_cmpstr (encounters, ==, "c-enc");
  g_assert_false (sv_patient_record_get_problems_are_encounter_diagnoses (fixture->record));
  g_assert_null (sv_patient_record_find_problem (fixture->record, "c-eie"));
  g_assert_cmpint (sv_patient_record_get_section_state (fixture->record, SV_SECTION_PROBLEMS), ==,
                   SV_SECTION_STATE_OK);
  g_assert_cmpuint (sv_patient_record_get_section_count (fixture->record, SV_SECTION_PROBLEMS), ==, 18);

  g_assert_cmpint (sv_problem_get_group (problem (fixture, "c-active-new")), ==, SV_PROBLEM_GROUP_ACTIVE);
  g_assert_cmpint (sv_problem_get_group (problem (fixture, "c-remission")), ==, SV_PROBLEM_GROUP_REMISSION);
  g_assert_cmpint (sv_problem_get_group (problem (fixture, "c-nostatus")), ==, SV_PROBLEM_GROUP_UNKNOWN);
  g_assert_null (sv_problem_get_clinical_status (problem (fixture, "c-nostatus")));
  g_assert_cmpint (sv_problem_get_group (problem (fixture, "c-nostatus-abated")), ==, SV_PROBLEM_GROUP_INACTIVE);
  g_assert_cmpint (sv_problem_get_category (problem (fixture, "c-concern")), ==, SV_PROBLEM_CATEGORY_HEALTH_CONCERN);

  /* Verification status as a modifier. */
  g_assert_true (sv_problem_get_refuted (problem (fixture, "c-refuted")));
  g_assert_false (sv_problem_get_unconfirmed (problem (fixture, "c-refuted")));
  g_assert_true (sv_problem_get_unconfirmed (problem (fixture, "c-provisional")));
  g_assert_true (sv_problem_get_unconfirmed (problem (fixture, "c-differential")));
  g_assert_false (sv_problem_get_unconfirmed (problem (fixture, "c-active-old")));
  g_assert_false (sv_problem_get_refuted (problem (fixture, "c-active-old")));

  /* Names: preferred systems, code with system label, "Uncoded", long texts whole. */
  g_assert_cmpstr (sv_problem_get_display (problem (fixture, "c-active-new")), ==, "Migraine");
  g_assert_cmpstr (sv_problem_get_display (problem (fixture, "c-remission")), ==, "SNOMED CT 93143009");
  g_assert_cmpstr (sv_problem_get_display (problem (fixture, "c-uncoded")), ==, "Uncoded");
  g_assert_cmpuint (strlen (sv_problem_get_display (problem (fixture, "c-long"))), ==, 22 + 2000);
  codings = sv_problem_get_codings (problem (fixture, "c-active-new"));
  g_assert_cmpuint (codings->len, ==, 2);
  g_assert_cmpstr (((SvCoding *) g_ptr_array_index (codings, 0))->code, ==, "G43");

  /* onset[x] and abatement[x] of every type. */
  g_assert_cmpstr (sv_problem_get_onset_text (problem (fixture, "c-active-old")), ==, "1 Jan 2001");
  g_assert_cmpstr (sv_problem_get_onset_text (problem (fixture, "c-active-new")), ==, "Jun 2015");
  g_assert_cmpstr (sv_problem_get_onset_text (problem (fixture, "c-relapse-period")), ==, "1 Jan 2010 – 3 Feb 2011");
  g_assert_cmpstr (sv_problem_get_onset_text (problem (fixture, "c-remission")), ==, "at age 45 a");
  g_assert_cmpstr (sv_problem_get_onset_text (problem (fixture, "c-resolved")), ==, "at age 40 a – 45 a");
  g_assert_cmpstr (sv_problem_get_onset_text (problem (fixture, "c-inactive")), ==, "childhood");
  g_assert_cmpstr (sv_problem_get_abatement_text (problem (fixture, "c-resolved")), ==, "2012");
  g_assert_cmpstr (sv_problem_get_abatement_text (problem (fixture, "c-nostatus-abated")), ==, "in 2019");
  g_assert_cmpstr (sv_problem_get_recorded_text (problem (fixture, "c-nostatus")), ==, "1 Jan 2020");

  /* HealthLake NLP inference with its score. */
  g_assert_true (sv_problem_get_inferred (problem (fixture, "c-inferred")));
  g_assert_cmpfloat_with_epsilon (sv_problem_get_confidence (problem (fixture, "c-inferred")), 0.87, 1e-9);
  g_assert_false (sv_problem_get_inferred (problem (fixture, "c-active-old")));
  g_assert_cmpfloat (sv_problem_get_confidence (problem (fixture, "c-active-old")), ==, -1);

  g_assert_cmpstr (sv_problem_get_notes (problem (fixture, "c-active-old")), ==, "Worse in winter.\nUses a spacer.");
  g_assert_nonnull (strstr (sv_problem_get_raw_json (problem (fixture, "c-active-old")), "\"195967001\""));
}

static void
test_medication_rules (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ids = NULL;
  SvMedication *row;

  g_assert_true (load (fixture, "p1", NULL, &error));

  ids = medication_ids (sv_patient_record_get_medications (fixture->record));
  g_assert_cmpstr (ids, ==,
                   "ms-intended ms-active mr-active mr-contained mr-included "
                   "ms-nottaken ms-completed mr-foreign mr-cancelled "
                   "ms-unknown");
  g_assert_cmpint (sv_patient_record_get_section_state (fixture->record, SV_SECTION_MEDICATIONS), ==,
                   SV_SECTION_STATE_OK);
  g_assert_cmpuint (sv_patient_record_get_section_count (fixture->record, SV_SECTION_MEDICATIONS), ==, 10);
  g_assert_null (sv_patient_record_get_section_message (fixture->record, SV_SECTION_MEDICATIONS));

  /* Names from each place: the concept (RxNorm preferred), a contained
   * resource, an included entry, one batched read for the three others,
   * and a reference to another server shown, never fetched. */
  g_assert_cmpstr (sv_medication_get_display (medication (fixture, "mr-active")), ==, "Lisinopril 10 MG");
  g_assert_cmpstr (sv_medication_get_display (medication (fixture, "mr-contained")), ==, "Contained drug");
  g_assert_cmpstr (sv_medication_get_display (medication (fixture, "mr-included")), ==, "Included drug");
  g_assert_cmpstr (sv_medication_get_display (medication (fixture, "ms-active")), ==, "Salbutamol inhaler");
  g_assert_cmpstr (sv_medication_get_display (medication (fixture, "ms-intended")), ==, "Vitamin D");
  g_assert_cmpstr (sv_medication_get_display (medication (fixture, "ms-nottaken")), ==, "Aspirin");
  g_assert_cmpstr (sv_medication_get_display (medication (fixture, "ms-completed")), ==, "RxNorm 12345");
  g_assert_cmpuint (sv_test_fhir_server_count (fixture->server, "Medication"), ==, 1);
  row = medication (fixture, "mr-foreign");
  g_assert_cmpstr (sv_medication_get_display (row), ==, "Foreign drug");
  g_assert_nonnull (sv_medication_get_medication_url (row));
  g_assert_true (g_str_has_prefix (sv_medication_get_medication_url (row),
                                   sv_test_fhir_server_get_base_url (fixture->foreign)));
  g_assert_cmpuint (sv_test_fhir_server_count_all (fixture->foreign), ==, 0);

  g_assert_cmpstr (sv_medication_get_source (medication (fixture, "mr-active")), ==, "ordered");
  g_assert_cmpstr (sv_medication_get_source (medication (fixture, "ms-active")), ==, "reported");
  g_assert_true (sv_medication_get_not_taken (medication (fixture, "ms-nottaken")));
  g_assert_cmpint (sv_medication_get_group (medication (fixture, "ms-nottaken")), ==, SV_MEDICATION_GROUP_STOPPED);
  g_assert_cmpint (sv_medication_get_group (medication (fixture, "mr-included")), ==, SV_MEDICATION_GROUP_ACTIVE);
  g_assert_cmpint (sv_medication_get_group (medication (fixture, "ms-unknown")), ==, SV_MEDICATION_GROUP_UNKNOWN);

  /* Dosage: text first, else a summary. */
  g_assert_cmpstr (sv_medication_get_dosage_text (medication (fixture, "ms-active")), ==, "Two puffs as needed");
  g_assert_cmpstr (sv_medication_get_dosage_text (medication (fixture, "mr-active")), ==, "dose 1, 1 × daily");
  g_assert_cmpstr (sv_medication_get_dosage_text (medication (fixture, "mr-contained")), ==,
                   "2 × every 8 h, oral, as needed");
  g_assert_null (sv_medication_get_dosage_text (medication (fixture, "mr-included")));
  g_assert_cmpstr (sv_medication_get_period_text (medication (fixture, "ms-active")), ==, "since 1 Feb 2021");
  g_assert_cmpstr (sv_medication_get_period_text (medication (fixture, "mr-active")), ==, "1 Jan 2020");

  /* Reasons: a code, and a reference linked to the problem it treats. */
  g_assert_cmpstr (sv_medication_get_reason_text (medication (fixture, "ms-active")), ==, "Wheezing");
  g_assert_cmpstr (sv_medication_get_reason_condition_id (medication (fixture, "mr-active")), ==, "c-active-old");
  g_assert_cmpstr (sv_medication_get_reason_text (medication (fixture, "mr-active")), ==, "Asthma");
}

static void
test_summary (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root, *patient, *sections, *row;
  JsonArray *problems, *medications;

  g_assert_true (load (fixture, "p1", NULL, &error));

  json = sv_patient_record_to_json (fixture->record);
  /* Written directly, exactly as json-glib prints the same tree. */
  {
    g_autoptr(JsonNode) tree = sv_patient_record_to_json_node (fixture->record);
    g_autofree char *generated = json_to_string (tree, TRUE);

    g_assert_cmpstr (json, ==, generated);
  }
  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));

  patient = json_object_get_object_member (root, "patient");
  g_assert_cmpstr (json_object_get_string_member (patient, "id"), ==, "p1");
  g_assert_cmpstr (json_object_get_string_member (patient, "name"), ==, "Robert J Smith");
  g_assert_cmpstr (json_object_get_string_member (patient, "birthDate"), ==, "1961-03-12");
  g_assert_cmpstr (json_object_get_string_member (patient, "gender"), ==, "male");
  g_assert_cmpstr (json_object_get_string_member (patient, "mrn"), ==, "MRN-1");
  g_assert_cmpstr (json_object_get_string_member (patient, "mrnLabel"), ==, "Medical Record Number");
  g_assert_false (json_object_get_boolean_member (patient, "deceased"));
  g_assert_null (strstr (json, "999-99-9999"));

  problems = json_object_get_array_member (root, "problems");
  g_assert_cmpuint (json_array_get_length (problems), ==, 18);
  row = json_array_get_object_element (problems, 0);
  g_assert_cmpstr (json_object_get_string_member (row, "id"), ==, "c-inferred");
  g_assert_cmpstr (json_object_get_string_member (row, "resourceType"), ==, "Condition");
  g_assert_cmpstr (json_object_get_string_member (row, "display"), ==, "Cough");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (json_object_get_array_member (row, "codings"), 0),
                                                  "code"), ==, "R05");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (row, "statuses"), "clinical"), ==, "active");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (row, "dates"), "onsetDate"), ==, "2021-01-01");
  g_assert_true (json_object_get_boolean_member (row, "inferred"));
  g_assert_null (strstr (json, "c-eie"));
  g_assert_null (strstr (json, "Wrong drug"));
  g_assert_null (strstr (json, "c-other-patient"));

  medications = json_object_get_array_member (root, "medications");
  g_assert_cmpuint (json_array_get_length (medications), ==, 10);
  row = json_array_get_object_element (medications, 2);
  g_assert_cmpstr (json_object_get_string_member (row, "id"), ==, "mr-active");
  g_assert_cmpstr (json_object_get_string_member (row, "source"), ==, "ordered");
  g_assert_cmpstr (json_object_get_string_member (row, "dosage"), ==, "dose 1, 1 × daily");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (row, "reason"), "conditionId"), ==,
                   "c-active-old");

  sections = json_object_get_object_member (root, "sections");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (sections, "problems"), "state"), ==, "ok");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (sections, "problems"), "count"), ==, 18);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (sections, "medications"), "count"), ==, 10);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (sections, "MedicationStatement"), "count"), ==, 5);

  text = sv_patient_record_to_text (fixture->record);
  g_assert_true (g_str_has_prefix (text, "Robert J Smith\n"));
  g_assert_nonnull (strstr (text, "Medical Record Number: MRN-1"));
  g_assert_nonnull (strstr (text, "Problems (17)\n  Active\n    • Cough (onset 1 Jan 2021, inferred, 87 % confidence)\n"));
  g_assert_nonnull (strstr (text, "    • Tuberculosis (onset 1 Jan 2005, refuted)\n"));
  g_assert_nonnull (strstr (text, "Encounter diagnoses (1)\n"));
  g_assert_nonnull (strstr (text, "    • Aspirin (reported, not taken, 1 Jan 2017)\n"));
  g_assert_nonnull (strstr (text, "    • Lisinopril 10 MG (ordered, dose 1, 1 × daily, 1 Jan 2020, for Asthma)\n"));
  g_assert_null (strstr (text, "Wrong"));
}

static void
test_include_refused (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  /* The medication searches are asked again without _include, and the
   * names then come from one batched read. */
  sv_test_fhir_server_set_reject_include (fixture->server, TRUE);
  g_assert_true (load (fixture, "p1", NULL, &error));

  g_assert_cmpint (sv_patient_record_get_section_state (fixture->record, SV_SECTION_MEDICATIONS), ==,
                   SV_SECTION_STATE_OK);
  g_assert_cmpuint (sv_patient_record_get_section_count (fixture->record, SV_SECTION_MEDICATIONS), ==, 10);
  g_assert_cmpuint (sv_test_fhir_server_count (fixture->server, "MedicationRequest"), ==, 2);
  g_assert_cmpuint (sv_test_fhir_server_count (fixture->server, "MedicationStatement"), ==, 2);
  g_assert_cmpuint (sv_test_fhir_server_count (fixture->server, "Medication"), ==, 1);
  g_assert_cmpstr (sv_medication_get_display (medication (fixture, "mr-included")), ==, "Included drug");
  g_assert_cmpstr (sv_medication_get_display (medication (fixture, "ms-active")), ==, "Salbutamol inhaler");
}

static void
test_include_search_fails (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  const char *message = NULL;

  /* A search with _include that fails otherwise than by a 400 (here its
   * answer is cut) is not asked again without _include: its error shows. */
  sv_test_fhir_server_set_truncated (fixture->server, "MedicationRequest", 1);
  g_assert_true (load (fixture, "p1", NULL, &error));

  g_assert_cmpint (sv_patient_record_get_resource_state (fixture->record, "MedicationRequest", NULL, &message), ==,
                   SV_SECTION_STATE_ERROR);
  g_assert_nonnull (strstr (message, "could not be read"));
  g_assert_cmpint (sv_patient_record_get_section_state (fixture->record, SV_SECTION_MEDICATIONS), ==,
                   SV_SECTION_STATE_ERROR);
  g_assert_nonnull (strstr (sv_patient_record_get_section_message (fixture->record, SV_SECTION_MEDICATIONS),
                            "MedicationRequest: The FHIR server sent data that could not be read"));
  g_assert_cmpuint (sv_test_fhir_server_count (fixture->server, "MedicationRequest"), ==, 1);
  /* The statements still show. */
  g_assert_cmpint (sv_patient_record_get_resource_state (fixture->record, "MedicationStatement", NULL, NULL), ==,
                   SV_SECTION_STATE_OK);
  g_assert_cmpuint (g_list_model_get_n_items (sv_patient_record_get_medications (fixture->record)), ==, 5);
}

static void
test_error_in_one_section (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  sv_test_fhir_server_add_fault (fixture->server, "MedicationStatement", 500, 1, NULL,
                                 "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"diagnostics\":\"Statement index broken\"}]}");
  g_assert_true (load (fixture, "p1", NULL, &error));

  g_assert_cmpint (sv_patient_record_get_section_state (fixture->record, SV_SECTION_MEDICATIONS), ==,
                   SV_SECTION_STATE_ERROR);
  g_assert_nonnull (strstr (sv_patient_record_get_section_message (fixture->record, SV_SECTION_MEDICATIONS),
                            "Statement index broken"));
  /* The orders still show, and the problems are untouched. */
  g_assert_cmpuint (g_list_model_get_n_items (sv_patient_record_get_medications (fixture->record)), ==, 5);
  g_assert_cmpint (sv_patient_record_get_resource_state (fixture->record, "MedicationRequest", NULL, NULL), ==,
                   SV_SECTION_STATE_OK);
  g_assert_cmpint (sv_patient_record_get_section_state (fixture->record, SV_SECTION_PROBLEMS), ==,
                   SV_SECTION_STATE_OK);
  g_assert_cmpuint (sv_patient_record_get_section_count (fixture->record, SV_SECTION_PROBLEMS), ==, 18);
}

static void
test_403_not_permitted (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  sv_test_fhir_server_add_fault (fixture->server, "Condition", 403, 1, NULL, NULL);
  g_assert_true (load (fixture, "p1", NULL, &error));

  g_assert_cmpint (sv_patient_record_get_section_state (fixture->record, SV_SECTION_PROBLEMS), ==,
                   SV_SECTION_STATE_NOT_PERMITTED);
  g_assert_cmpuint (g_list_model_get_n_items (sv_patient_record_get_problems (fixture->record)), ==, 0);
  g_assert_cmpint (sv_patient_record_get_section_state (fixture->record, SV_SECTION_MEDICATIONS), ==,
                   SV_SECTION_STATE_OK);
}

static void
test_scope_not_granted (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (load (fixture, "p1", "openid launch/patient patient/Patient.read patient/MedicationRequest.rs",
                       &error));

  g_assert_cmpuint (sv_test_fhir_server_count (fixture->server, "Condition"), ==, 0);
  g_assert_cmpuint (sv_test_fhir_server_count (fixture->server, "MedicationStatement"), ==, 0);
  g_assert_cmpint (sv_patient_record_get_section_state (fixture->record, SV_SECTION_PROBLEMS), ==,
                   SV_SECTION_STATE_NOT_PERMITTED);
  g_assert_nonnull (sv_patient_record_get_section_message (fixture->record, SV_SECTION_PROBLEMS));
  /* One of the two medication types is allowed: the section is complete
   * as far as the app may see. Medication itself is not granted, so the
   * included name is used but nothing is fetched. */
  g_assert_cmpint (sv_patient_record_get_section_state (fixture->record, SV_SECTION_MEDICATIONS), ==,
                   SV_SECTION_STATE_OK);
  g_assert_cmpuint (g_list_model_get_n_items (sv_patient_record_get_medications (fixture->record)), ==, 5);
  g_assert_cmpuint (sv_test_fhir_server_count (fixture->server, "Medication"), ==, 0);
  g_assert_cmpstr (sv_medication_get_display (medication (fixture, "mr-included")), ==, "Included drug");

  /* Statements only: the names they give only by reference are not read
   * without Medication in the scope, and the section says so. */
  g_assert_true (load (fixture, "p1", "patient/Patient.read patient/MedicationStatement.rs", &error));
  g_assert_cmpint (sv_patient_record_get_section_state (fixture->record, SV_SECTION_MEDICATIONS), ==,
                   SV_SECTION_STATE_OK);
  g_assert_nonnull (sv_patient_record_get_section_message (fixture->record, SV_SECTION_MEDICATIONS));
  g_assert_nonnull (strstr (sv_patient_record_get_section_message (fixture->record, SV_SECTION_MEDICATIONS),
                            "MedicationStatement: Medication names given only by reference are not shown"));
  g_assert_cmpuint (sv_test_fhir_server_count (fixture->server, "Medication"), ==, 0);

  /* Nothing at all permitted for medications. */
  g_assert_true (load (fixture, "p1", "patient/Patient.read patient/Condition.read", &error));
  g_assert_cmpint (sv_patient_record_get_section_state (fixture->record, SV_SECTION_MEDICATIONS), ==,
                   SV_SECTION_STATE_NOT_PERMITTED);
  g_assert_cmpint (sv_patient_record_get_section_state (fixture->record, SV_SECTION_PROBLEMS), ==,
                   SV_SECTION_STATE_OK);
  g_assert_cmpuint (sv_test_fhir_server_count (fixture->server, "MedicationRequest"), ==, 1);
}

static void
test_unreadable_resource (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *skipped;
  const char *message;

  sv_test_fhir_server_add_json (fixture->server,
                                "{\"resourceType\":\"Condition\",\"id\":\"bad-1\",\"subject\":{\"reference\":\"Patient/p1\"},"
                                "\"code\":\"not a concept\"}");
  sv_test_fhir_server_add_json (fixture->server,
                                "{\"resourceType\":\"Condition\",\"id\":\"bad-2\",\"subject\":{\"reference\":\"Patient/p1\"},"
                                "\"clinicalStatus\":\"active\"}");
  sv_test_fhir_server_add_json (fixture->server,
                                "{\"resourceType\":\"MedicationRequest\",\"id\":\"bad-3\",\"subject\":{\"reference\":\"Patient/p1\"},"
                                "\"status\":42}");
  g_assert_true (load (fixture, "p1", NULL, &error));

  skipped = sv_patient_record_get_skipped (fixture->record);
  g_assert_cmpuint (skipped->len, ==, 3);
  message = sv_patient_record_get_section_message (fixture->record, SV_SECTION_PROBLEMS);
  g_assert_nonnull (strstr (message, "Condition/bad-1"));
  g_assert_nonnull (strstr (message, "code"));
  g_assert_nonnull (strstr (message, "Condition/bad-2"));
  g_assert_nonnull (strstr (sv_patient_record_get_section_message (fixture->record, SV_SECTION_MEDICATIONS),
                            "MedicationRequest/bad-3"));
  /* The rest renders. */
  g_assert_cmpint (sv_patient_record_get_section_state (fixture->record, SV_SECTION_PROBLEMS), ==,
                   SV_SECTION_STATE_OK);
  g_assert_cmpuint (sv_patient_record_get_section_count (fixture->record, SV_SECTION_PROBLEMS), ==, 18);
  g_assert_cmpuint (sv_patient_record_get_section_count (fixture->record, SV_SECTION_MEDICATIONS), ==, 10);
}

static void
test_truncated_and_partial (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *foreign_next = g_strconcat (sv_test_fhir_server_get_base_url (fixture->foreign),
                                               "MedicationStatement?page=2", NULL);

  sv_test_fhir_server_set_page_size (fixture->server, 5);
  sv_test_fhir_server_set_truncated (fixture->server, "Condition", 2);
  sv_test_fhir_server_set_next_override (fixture->server, "MedicationStatement", 1, foreign_next);
  g_assert_true (load (fixture, "p1", NULL, &error));

  /* The second Condition page was cut: the first page's five rows show,
   * and the section says which page failed, why, and what to do. */
  g_assert_cmpint (sv_patient_record_get_section_state (fixture->record, SV_SECTION_PROBLEMS), ==,
                   SV_SECTION_STATE_PARTIAL);
  g_assert_nonnull (strstr (sv_patient_record_get_section_message (fixture->record, SV_SECTION_PROBLEMS),
                            "Paging stopped after 1 page: page 2 could not be read (The FHIR server sent data that could not be read ("));
  g_assert_nonnull (strstr (sv_patient_record_get_section_message (fixture->record, SV_SECTION_PROBLEMS),
                            "Refresh (F5) to try again."));
  g_assert_cmpuint (sv_patient_record_get_section_count (fixture->record, SV_SECTION_PROBLEMS), ==, 5);
  g_assert_nonnull (problem (fixture, "c-inferred"));
  g_assert_nonnull (problem (fixture, "c-same-b"));
  g_assert_null (sv_patient_record_find_problem (fixture->record, "c-relapse-period"));
  g_assert_cmpint (sv_patient_record_get_section_state (fixture->record, SV_SECTION_MEDICATIONS), ==,
                   SV_SECTION_STATE_PARTIAL);
  g_assert_nonnull (strstr (sv_patient_record_get_section_message (fixture->record, SV_SECTION_MEDICATIONS),
                            "another server"));
  /* The five statements of the first page (the hidden one was on the
   * second) and the five orders, read over two pages. */
  g_assert_cmpuint (g_list_model_get_n_items (sv_patient_record_get_medications (fixture->record)), ==, 10);
  g_assert_cmpint (sv_patient_record_get_resource_state (fixture->record, "MedicationRequest", NULL, NULL), ==,
                   SV_SECTION_STATE_OK);
  g_assert_cmpuint (sv_test_fhir_server_count_all (fixture->foreign), ==, 0);
}

static void
test_patient_switch_cancels (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GAsyncResult) second = NULL;
  g_autoptr(GError) error = NULL;
  guint timeout;

  /* The first patient's Condition search hangs on the server. */
  sv_test_fhir_server_set_hold (fixture->server, "Condition", TRUE);
  sv_patient_record_load_async (fixture->record, fixture->client, "p1", NULL, NULL, store_result_cb, &first);
  timeout = g_timeout_add_seconds (30, timeout_cb, NULL);
  while (sv_test_fhir_server_get_n_held (fixture->server) == 0)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (timeout);

  sv_test_fhir_server_set_hold (fixture->server, "Condition", FALSE);
  sv_patient_record_load_async (fixture->record, fixture->client, "p2", NULL, NULL, store_result_cb, &second);

  wait_for (&first);
  g_assert_false (sv_patient_record_load_finish (fixture->record, first, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  wait_for (&second);
  g_assert_true (sv_patient_record_load_finish (fixture->record, second, &error));
  g_assert_no_error (error);

  /* Only the second patient's data is in the record. */
  g_assert_cmpstr (sv_patient_record_get_patient_id (fixture->record), ==, "p2");
  g_assert_cmpstr (sv_patient_record_get_name (fixture->record), ==, "Not known (masked)");
  g_assert_cmpuint (g_list_model_get_n_items (sv_patient_record_get_problems (fixture->record)), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (sv_patient_record_get_encounter_diagnoses (fixture->record)), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (sv_patient_record_get_medications (fixture->record)), ==, 0);
  g_assert_true (sv_patient_record_get_problems_are_encounter_diagnoses (fixture->record));
  g_assert_false (sv_patient_record_get_loading (fixture->record));

  /* Let the cancelled first load's stragglers arrive: they change nothing. */
  for (guint i = 0; i < 100; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpstr (sv_patient_record_get_patient_id (fixture->record), ==, "p2");
  g_assert_cmpuint (g_list_model_get_n_items (sv_patient_record_get_encounter_diagnoses (fixture->record)), ==, 1);
}

static void
test_patient_fails (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (load (fixture, "nobody", NULL, &error));
  g_assert_error (error, SV_ERROR, SV_ERROR_NETWORK);
  g_assert_cmpint (sv_patient_record_get_section_state (fixture->record, SV_SECTION_PROBLEMS), ==,
                   SV_SECTION_STATE_ERROR);
  g_assert_cmpuint (sv_test_fhir_server_count (fixture->server, "Condition"), ==, 0);
  g_assert_false (sv_patient_record_get_loading (fixture->record));
}

int
main (int   argc,
      char *argv[])
{
  /* The expected strings are the untranslated English ones. */
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_setenv ("LANGUAGE", "C", TRUE);
  g_setenv ("TZ", "UTC", TRUE);
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/fhir-record/banner", test_banner);
  ADD ("/fhir-record/problem-rules", test_problem_rules);
  ADD ("/fhir-record/medication-rules", test_medication_rules);
  ADD ("/fhir-record/summary", test_summary);
  ADD ("/fhir-record/include-refused", test_include_refused);
  ADD ("/fhir-record/include-search-fails", test_include_search_fails);
  ADD ("/fhir-record/error-in-one-section", test_error_in_one_section);
  ADD ("/fhir-record/403-not-permitted", test_403_not_permitted);
  ADD ("/fhir-record/scope-not-granted", test_scope_not_granted);
  ADD ("/fhir-record/unreadable-resource", test_unreadable_resource);
  ADD ("/fhir-record/truncated-and-partial", test_truncated_and_partial);
  ADD ("/fhir-record/patient-switch-cancels", test_patient_switch_cancels);
  ADD ("/fhir-record/patient-fails", test_patient_fails);
#undef ADD

  return g_test_run ();
}
