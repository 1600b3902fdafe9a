/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "sv-patient-record.h"
#include "sv-static-bearer.h"
#include "sv-test-fhir-server.h"

/* How long a large record takes to load, and the longest the main loop
 * stalls meanwhile (a 1 ms timeout source notes the gaps between its
 * dispatches), and how much memory the loaded record holds (the heap in
 * use after the load less before it; the server's resources were made
 * before). The server runs in its own thread, so that only the client's
 * work is on the measured main loop. Prints numbers; asserts only that
 * everything was read. */

static double
heap_in_use_mb (void)
{
  struct mallinfo2 info;

  /* Freed memory kept by malloc is not in use: trimmed first so that the
   * resident size below says the same. */
  malloc_trim (0);
  info = mallinfo2 ();
  return (info.uordblks + info.hblkhd) / (1024.0 * 1024.0);
}

static double
rss_mb (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (line = strstr (status, "VmRSS:")) == NULL)
    return -1;
  return g_ascii_strtod (line + strlen ("VmRSS:"), NULL) / 1024.0;
}

#define N_CONDITIONS 2500
#define N_REQUESTS 2500
#define N_MEDICATIONS 300

typedef struct
{
  GMutex            lock;
  GCond             ready_cond;
  gboolean          ready;
  gint              stop;
  GMainContext     *context;
  SvTestFhirServer *server;
} ServerThread;

static gpointer
server_thread (gpointer data)
{
  ServerThread *thread = data;

  g_main_context_push_thread_default (thread->context);
  thread->server = sv_test_fhir_server_new ();
  sv_test_fhir_server_add_json (thread->server,
                                "{\"resourceType\":\"Patient\",\"id\":\"big\",\"name\":[{\"family\":\"Large\",\"given\":[\"Record\"]}],"
                                "\"birthDate\":\"1950-01-01\",\"gender\":\"female\"}");
  for (guint i = 0; i < N_MEDICATIONS; i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"resourceType\":\"Medication\",\"id\":\"m%u\","
                                               "\"code\":{\"coding\":[{\"system\":\"http://www.nlm.nih.gov/research/umls/rxnorm\","
                                               "\"code\":\"%u\",\"display\":\"Drug %u 10 MG Oral Tablet\"}]}}", i, 1000 + i, i);

      sv_test_fhir_server_add_json (thread->server, json);
    }
  for (guint i = 0; i < N_CONDITIONS; i++)
    {
      g_autofree char *json =
        g_strdup_printf ("{\"resourceType\":\"Condition\",\"id\":\"c%u\",\"subject\":{\"reference\":\"Patient/big\"},"
                         "\"category\":[{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/condition-category\","
                         "\"code\":\"%s\"}]}],"
                         "\"clinicalStatus\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/condition-clinical\","
                         "\"code\":\"%s\"}]},"
                         "\"verificationStatus\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/condition-ver-status\","
                         "\"code\":\"confirmed\"}]},"
                         "\"code\":{\"coding\":[{\"system\":\"http://snomed.info/sct\",\"code\":\"%u\",\"display\":\"Condition number %u (disorder)\"}]},"
                         "\"onsetDateTime\":\"%04u-%02u-%02uT10:00:00+01:00\",\"recordedDate\":\"2020-01-01\"}",
                         i, i % 3 == 0 ? "problem-list-item" : "encounter-diagnosis",
                         i % 4 == 0 ? "resolved" : "active", 100000 + i, i,
                         1950 + i % 70, 1 + i % 12, 1 + i % 28);

      sv_test_fhir_server_add_json (thread->server, json);
    }
  for (guint i = 0; i < N_REQUESTS; i++)
    {
      g_autofree char *medication =
        i % 2 == 0 ? g_strdup_printf ("\"medicationReference\":{\"reference\":\"Medication/m%u\"}", i % N_MEDICATIONS)
                   : g_strdup_printf ("\"medicationCodeableConcept\":{\"coding\":[{\"system\":\"http://www.nlm.nih.gov/research/umls/rxnorm\","
                                      "\"code\":\"%u\",\"display\":\"Other drug %u\"}]}", 5000 + i, i);
      g_autofree char *json =
        g_strdup_printf ("{\"resourceType\":\"MedicationRequest\",\"id\":\"mr%u\",\"subject\":{\"reference\":\"Patient/big\"},"
                         "\"status\":\"%s\",\"intent\":\"order\",%s,\"authoredOn\":\"%04u-%02u-01\","
                         "\"reasonReference\":[{\"reference\":\"Condition/c%u\"}],"
                         "\"dosageInstruction\":[{\"timing\":{\"repeat\":{\"frequency\":1,\"period\":1,\"periodUnit\":\"d\"}},"
                         "\"doseAndRate\":[{\"doseQuantity\":{\"value\":1}}]}]}",
                         i, i % 5 == 0 ? "active" : "stopped", medication, 1960 + i % 60, 1 + i % 12, i % N_CONDITIONS);

      sv_test_fhir_server_add_json (thread->server, json);
    }

  g_mutex_lock (&thread->lock);
  thread->ready = TRUE;
  g_cond_signal (&thread->ready_cond);
  g_mutex_unlock (&thread->lock);

  while (!g_atomic_int_get (&thread->stop))
    g_main_context_iteration (thread->context, TRUE);

  sv_test_fhir_server_free (thread->server);
  g_main_context_pop_thread_default (thread->context);
  return NULL;
}

typedef struct
{
  gint64 last;
  gint64 longest;
} Probe;

static gboolean
probe_cb (gpointer data)
{
  Probe *probe = data;
  gint64 now = g_get_monotonic_time ();

  if (probe->last != 0)
    probe->longest = MAX (probe->longest, now - probe->last);
  probe->last = now;
  return G_SOURCE_CONTINUE;
}

static void
store_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

int
main (int   argc,
      char *argv[])
{
  const char *tokens[] = { "token-1", NULL };
  ServerThread thread = { 0 };
  GThread *worker;
  g_autoptr(SvStaticBearer) bearer = sv_static_bearer_new (tokens);
  g_autoptr(SvFhirClient) client = NULL;
  g_autoptr(SvPatientRecord) record = sv_patient_record_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  Probe probe = { 0 };
  gint64 start, loaded, summarized;
  double heap_before, heap_after, rss_before, rss_after;
  guint probe_id;

  setlocale (LC_ALL, "");

  g_mutex_init (&thread.lock);
  g_cond_init (&thread.ready_cond);
  thread.context = g_main_context_new ();
  worker = g_thread_new ("fhir-server", server_thread, &thread);
  g_mutex_lock (&thread.lock);
  while (!thread.ready)
    g_cond_wait (&thread.ready_cond, &thread.lock);
  g_mutex_unlock (&thread.lock);

  client = sv_fhir_client_new (sv_test_fhir_server_get_base_url (thread.server), SV_BEARER_SOURCE (bearer), NULL, &error);
  g_assert_no_error (error);

  heap_before = heap_in_use_mb ();
  rss_before = rss_mb ();
  probe_id = g_timeout_add (1, probe_cb, &probe);
  start = g_get_monotonic_time ();
  sv_patient_record_load_async (record, client, "big", NULL, NULL, store_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  loaded = g_get_monotonic_time ();
  g_source_remove (probe_id);

  g_assert_true (sv_patient_record_load_finish (record, result, &error));
  g_assert_cmpuint (sv_patient_record_get_section_count (record, SV_SECTION_PROBLEMS), ==, N_CONDITIONS);
  g_assert_cmpuint (sv_patient_record_get_section_count (record, SV_SECTION_MEDICATIONS), ==, N_REQUESTS);

  heap_after = heap_in_use_mb ();
  rss_after = rss_mb ();

  json = sv_patient_record_to_json (record);
  summarized = g_get_monotonic_time ();

  printf ("record of %u conditions and %u medication requests (%u medications by reference)\n",
          N_CONDITIONS, N_REQUESTS, N_MEDICATIONS);
  printf ("load: %.1f ms\n", (loaded - start) / 1000.0);
  printf ("longest main-loop stall while loading: %.1f ms\n", probe.longest / 1000.0);
  printf ("JSON summary: %.1f ms, %zu bytes\n", (summarized - loaded) / 1000.0, strlen (json));
  printf ("memory of the loaded record: heap %.1f MB, resident %.1f MB (process: %.1f MB resident)\n",
          heap_after - heap_before, rss_after - rss_before, rss_after);

  g_atomic_int_set (&thread.stop, 1);
  g_main_context_wakeup (thread.context);
  g_thread_join (worker);
  g_main_context_unref (thread.context);
  g_mutex_clear (&thread.lock);
  g_cond_clear (&thread.ready_cond);

  return 0;
}
