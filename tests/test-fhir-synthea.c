/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>
#include <stdio.h>

#include "sv-patient-record.h"
#include "sv-static-bearer.h"
#include "sv-test-fhir-server.h"

/* The shared Synthea sample (../shared/data/synthea-10 from the source
 * root, or $SV_SYNTHEA_DIR) served as search Bundles: every patient's
 * record must hold exactly the Conditions and MedicationRequests of the
 * NDJSON, each once, in display order. The sample has no
 * MedicationStatement, as HealthLake's preloaded Synthea data. */

static char *data_dir;

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

static const char *
subject_of (JsonObject *resource)
{
  JsonObject *subject = json_object_has_member (resource, "subject")
                        ? json_object_get_object_member (resource, "subject") : NULL;

  return subject != NULL ? json_object_get_string_member_with_default (subject, "reference", NULL) : NULL;
}

/* Patient reference → set of resource ids, read from the NDJSON directly. */
static GHashTable *
expected_ids (const char *file)
{
  g_autofree char *path = g_build_filename (data_dir, file, NULL);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;
  GHashTable *by_patient = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                  (GDestroyNotify) g_hash_table_unref);

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *resource;
      GHashTable *ids;
      const char *subject;

      if (*lines[i] == '\0')
        continue;
      json_parser_load_from_data (parser, lines[i], -1, &error);
      g_assert_no_error (error);
      resource = json_node_get_object (json_parser_get_root (parser));
      subject = subject_of (resource);
      g_assert_nonnull (subject);

      /* Nothing in the sample is entered-in-error; were it, it would be hidden. */
      g_assert_cmpstr (json_object_get_string_member_with_default (resource, "status", ""), !=, "entered-in-error");

      ids = g_hash_table_lookup (by_patient, subject);
      if (ids == NULL)
        {
          ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
          g_hash_table_insert (by_patient, g_strdup (subject), ids);
        }
      g_hash_table_add (ids, g_strdup (json_object_get_string_member (resource, "id")));
    }

  return by_patient;
}

static void
assert_same_ids (GHashTable *expected,
                 GListModel *model,
                 GHashTable *seen)
{
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(GObject) row = g_list_model_get_item (model, i);
      g_autofree char *id = NULL;

      g_object_get (row, "id", &id, NULL);
      g_assert_nonnull (expected);
      g_assert_true (g_hash_table_contains (expected, id));
      g_assert_true (g_hash_table_add (seen, g_steal_pointer (&id)));
    }
}

static void
assert_problems_ordered (GListModel *model)
{
  for (guint i = 1; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(SvProblem) a = g_list_model_get_item (model, i - 1);
      g_autoptr(SvProblem) b = g_list_model_get_item (model, i);

      g_assert_cmpint (sv_problem_compare (a, b), <, 0);
    }
}

static void
test_synthea_counts (void)
{
  const char *tokens[] = { "token-1", NULL };
  SvTestFhirServer *server = sv_test_fhir_server_new ();
  g_autoptr(SvStaticBearer) bearer = sv_static_bearer_new (tokens);
  g_autoptr(SvFhirClient) client = NULL;
  g_autoptr(SvPatientRecord) record = sv_patient_record_new ();
  g_autoptr(GHashTable) conditions = expected_ids ("Condition.ndjson");
  g_autoptr(GHashTable) requests = expected_ids ("MedicationRequest.ndjson");
  g_autoptr(GError) error = NULL;
  const char *files[] = { "Patient.ndjson", "Condition.ndjson", "MedicationRequest.ndjson" };
  g_autofree char *patient_path = g_build_filename (data_dir, "Patient.ndjson", NULL);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  guint patients = 0, most_medications = 0;

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (data_dir, files[i], NULL);

      g_assert_cmpuint (sv_test_fhir_server_load_ndjson (server, path, &error), >, 0);
      g_assert_no_error (error);
    }

  client = sv_fhir_client_new (sv_test_fhir_server_get_base_url (server), SV_BEARER_SOURCE (bearer), NULL, &error);
  g_assert_no_error (error);

  g_file_get_contents (patient_path, &contents, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GHashTable) seen_conditions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_autoptr(GHashTable) seen_requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_autofree char *reference = NULL;
      GHashTable *expected_conditions, *expected_requests;
      GListModel *medications;
      const char *id;
      guint timeout;

      if (*lines[i] == '\0')
        continue;
      json_parser_load_from_data (parser, lines[i], -1, &error);
      g_assert_no_error (error);
      id = json_object_get_string_member (json_node_get_object (json_parser_get_root (parser)), "id");
      reference = g_strconcat ("Patient/", id, NULL);
      expected_conditions = g_hash_table_lookup (conditions, reference);
      expected_requests = g_hash_table_lookup (requests, reference);

      sv_patient_record_load_async (record, client, id, "launch/patient openid fhirUser patient/*.rs", NULL,
                                    store_result_cb, &result);
      timeout = g_timeout_add_seconds (60, timeout_cb, NULL);
      while (result == NULL)
        g_main_context_iteration (NULL, TRUE);
      g_source_remove (timeout);
      g_assert_true (sv_patient_record_load_finish (record, result, &error));
      g_assert_no_error (error);

      g_assert_cmpint (sv_patient_record_get_section_state (record, SV_SECTION_PROBLEMS), ==, SV_SECTION_STATE_OK);
      g_assert_cmpint (sv_patient_record_get_section_state (record, SV_SECTION_MEDICATIONS), ==, SV_SECTION_STATE_OK);
      g_assert_cmpuint (sv_patient_record_get_skipped (record)->len, ==, 0);

      /* Every Condition and every MedicationRequest exactly once. */
      assert_same_ids (expected_conditions, sv_patient_record_get_problems (record), seen_conditions);
      assert_same_ids (expected_conditions, sv_patient_record_get_encounter_diagnoses (record), seen_conditions);
      g_assert_cmpuint (g_hash_table_size (seen_conditions), ==,
                        expected_conditions != NULL ? g_hash_table_size (expected_conditions) : 0);
      g_assert_cmpuint (sv_patient_record_get_section_count (record, SV_SECTION_PROBLEMS), ==,
                        g_hash_table_size (seen_conditions));

      medications = sv_patient_record_get_medications (record);
      assert_same_ids (expected_requests, medications, seen_requests);
      g_assert_cmpuint (g_hash_table_size (seen_requests), ==,
                        expected_requests != NULL ? g_hash_table_size (expected_requests) : 0);
      for (guint m = 0; m < g_list_model_get_n_items (medications); m++)
        {
          g_autoptr(SvMedication) row = g_list_model_get_item (medications, m);

          g_assert_cmpstr (sv_medication_get_source (row), ==, "ordered");
        }
      most_medications = MAX (most_medications, g_list_model_get_n_items (medications));

      /* Synthea has encounter diagnoses only: they stand in for the problem list. */
      if (g_hash_table_size (seen_conditions) > 0)
        g_assert_true (sv_patient_record_get_problems_are_encounter_diagnoses (record));
      assert_problems_ordered (sv_patient_record_get_encounter_diagnoses (record));
      patients++;
    }

  g_assert_cmpuint (patients, ==, 13);
  /* Some patient's medications span several pages. */
  g_assert_cmpuint (most_medications, >, 100);
  g_test_message ("%u patients, at most %u medications", patients, most_medications);

  sv_test_fhir_server_free (server);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_setenv ("LANGUAGE", "C", TRUE);
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

  if (g_getenv ("SV_SYNTHEA_DIR") != NULL)
    data_dir = g_strdup (g_getenv ("SV_SYNTHEA_DIR"));
  else
    data_dir = g_test_build_filename (G_TEST_DIST, "..", "..", "shared", "data", "synthea-10", NULL);

  if (!g_file_test (data_dir, G_FILE_TEST_IS_DIR))
    {
      printf ("1..0 # SKIP %s is absent\n", data_dir);
      g_free (data_dir);
      return 77;
    }

  g_test_add_func ("/fhir-synthea/counts", test_synthea_counts);
  status = g_test_run ();
  g_free (data_dir);
  return status;
}
