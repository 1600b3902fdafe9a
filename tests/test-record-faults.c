/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-record-faults"

#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <string.h>

#include "sv-fhir-client.h"
#include "sv-http.h"
#include "sv-patient-record.h"
#include "sv-sandbox.h"
#include "sv-session-bearer.h"
#include "sv-session.h"
#include "sv-test-sandbox.h"
#include "auth/sv-test-wait.h"

/* Issue 6's fault tests, through the sandbox's fault switches and the
 * whole app stack: SvSession on one SoupSession, SvSessionBearer, the
 * SvFhirClient on that same SoupSession, and SvPatientRecord. The test
 * watches every request the app queues on the session. The sandbox is a
 * private one (its own port and data dir, found by no other test),
 * because the fault switches are global. */

#define LARGE_PATIENT "patient-010"
#define LARGE_PATIENT_NAME "Margaret Rose O'Brien-Whitfield"
#define DEMO_PATIENT "patient-001"
#define DEMO_PATIENT_NAME "Zoë Anneliese Müller"
#define TOKEN_PATH "/protocol/openid-connect/token"

static GSubprocess *sandbox;
static GDataInputStream *sandbox_output;
static char *fhir_base;
static char *client_id;
static SoupSession *control;

/* One request the app queued, as the test saw it. The token is never kept:
 * only a checksum, to tell tokens apart. */
typedef struct
{
  SoupMessage *msg;
  gulong       got_headers;
  char        *method;
  char        *url;
  char        *host;
  char        *token_sum;
  guint        status;
  guint        retry_after;
  guint        wait_timer;
  /* The test's own Retry-After timer, started when a 429 arrived, fired. */
  gboolean     wait_over;
  /* For a request of a URL that had a 429 before: whether that 429's
   * timer had fired when this one was queued. */
  gboolean     repeats_429;
  gboolean     waited_before_repeat;
} Req;

typedef struct Monitor Monitor;
typedef void (*QueuedHook) (Monitor *monitor, Req *req);

struct Monitor
{
  SoupSession *http;
  gulong       queued;
  GPtrArray   *requests;
  QueuedHook   hook;
  guint        hook_count;
};

static void
req_free (Req *req)
{
  g_clear_handle_id (&req->wait_timer, g_source_remove);
  g_clear_signal_handler (&req->got_headers, req->msg);
  g_clear_object (&req->msg);
  g_free (req->method);
  g_free (req->url);
  g_free (req->host);
  g_free (req->token_sum);
  g_free (req);
}

static gboolean
on_wait_over (gpointer user_data)
{
  Req *req = user_data;

  req->wait_timer = 0;
  req->wait_over = TRUE;
  return G_SOURCE_REMOVE;
}

static void
on_got_headers (SoupMessage *msg,
                Req         *req)
{
  const char *retry_after = soup_message_headers_get_one (soup_message_get_response_headers (msg), "Retry-After");

  req->status = soup_message_get_status (msg);
  if (req->status != 429)
    return;

  g_assert_nonnull (retry_after);
  req->retry_after = (guint) g_ascii_strtoull (retry_after, NULL, 10);
  g_assert_cmpuint (req->retry_after, >, 0);
  /* Started before the client reads the body and starts its own wait of
   * the same length: it fires first if the client honours the header. */
  req->wait_timer = g_timeout_add (req->retry_after * 1000, on_wait_over, req);
}

static void
on_request_queued (SoupSession *http,
                   SoupMessage *msg,
                   Monitor     *monitor)
{
  Req *req = g_new0 (Req, 1);
  GUri *uri = soup_message_get_uri (msg);
  const char *authorization = soup_message_headers_get_one (soup_message_get_request_headers (msg), "Authorization");

  req->msg = g_object_ref (msg);
  req->method = g_strdup (soup_message_get_method (msg));
  req->url = g_uri_to_string (uri);
  req->host = g_strdup (g_uri_get_host (uri));
  if (authorization != NULL)
    req->token_sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, authorization, -1);
  req->got_headers = g_signal_connect (msg, "got-headers", G_CALLBACK (on_got_headers), req);

  for (guint i = monitor->requests->len; i > 0; i--)
    {
      Req *earlier = g_ptr_array_index (monitor->requests, i - 1);

      if (earlier->status == 429 && g_str_equal (earlier->url, req->url))
        {
          req->repeats_429 = TRUE;
          req->waited_before_repeat = earlier->wait_over;
          break;
        }
    }

  g_ptr_array_add (monitor->requests, req);
  if (monitor->hook != NULL)
    monitor->hook (monitor, req);
}

static Monitor *
monitor_new (SoupSession *http)
{
  Monitor *monitor = g_new0 (Monitor, 1);

  monitor->http = g_object_ref (http);
  monitor->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) req_free);
  monitor->queued = g_signal_connect (http, "request-queued", G_CALLBACK (on_request_queued), monitor);
  return monitor;
}

static void
monitor_free (Monitor *monitor)
{
  g_clear_signal_handler (&monitor->queued, monitor->http);
  g_ptr_array_unref (monitor->requests);
  g_object_unref (monitor->http);
  g_free (monitor);
}

static gboolean
is_search_of (Req        *req,
              const char *type)
{
  g_autofree char *prefix = g_strconcat (fhir_base, type, "?", NULL);

  return g_str_has_prefix (req->url, prefix);
}

static guint
count_requests (Monitor    *monitor,
                gboolean  (*match) (Req *req, const char *arg),
                const char *arg)
{
  guint n = 0;

  for (guint i = 0; i < monitor->requests->len; i++)
    if (match (g_ptr_array_index (monitor->requests, i), arg))
      n++;
  return n;
}

static gboolean
has_status (Req        *req,
            const char *status)
{
  return req->status == (guint) atoi (status);
}

static gboolean
is_token_request (Req        *req,
                  const char *unused)
{
  return g_str_has_suffix (req->url, TOKEN_PATH) && g_str_equal (req->method, "POST");
}

static gboolean
is_fhir_request (Req        *req,
                 const char *unused)
{
  return strstr (req->url, "/datastore/") != NULL;
}

/* The fault switches: a JSON object to merge, or NULL to clear them all. */
static void
set_faults (const char *json)
{
  g_autofree char *url = g_strdup_printf ("%.*s/_sandbox/faults",
                                          (int) (strstr (fhir_base, "/datastore/") - fhir_base), fhir_base);
  g_autoptr(SoupMessage) msg = soup_message_new (json != NULL ? SOUP_METHOD_POST : SOUP_METHOD_DELETE, url);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;

  if (json != NULL)
    {
      g_autoptr(GBytes) body = g_bytes_new (json, strlen (json));

      soup_message_set_request_body_from_bytes (msg, "application/json", body);
    }
  answer = soup_session_send_and_read (control, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
}

/* The app's objects for one sign-in. */
typedef struct
{
  SoupSession     *http;
  SvSession       *session;
  SvSessionBearer *bearer;
  SvFhirClient    *client;
  SvPatientRecord *record;
  Monitor         *monitor;
} Stack;

static Stack *
stack_new (const char *patient,
           const char *scopes)
{
  Stack *stack = g_new0 (Stack, 1);
  g_autoptr(GError) error = NULL;

  stack->http = sv_http_session_new ();
  stack->session = sv_test_sandbox_sign_in (fhir_base, client_id, stack->http, patient, scopes);
  g_assert_cmpstr (sv_session_get_patient (stack->session), ==, patient);
  stack->bearer = sv_session_bearer_new (stack->session);
  stack->client = sv_fhir_client_new (fhir_base, SV_BEARER_SOURCE (stack->bearer),
                                      sv_session_get_http (stack->session), &error);
  g_assert_no_error (error);
  stack->record = sv_patient_record_new ();
  return stack;
}

static void
stack_free (Stack *stack)
{
  g_clear_pointer (&stack->monitor, monitor_free);
  g_clear_object (&stack->record);
  g_clear_object (&stack->client);
  g_clear_object (&stack->bearer);
  g_clear_object (&stack->session);
  g_clear_object (&stack->http);
  g_free (stack);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Stack, stack_free)

static gboolean
stack_load (Stack       *stack,
            const char  *patient,
            GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  sv_patient_record_load_async (stack->record, stack->client, patient,
                                sv_session_get_granted_scope (stack->session), NULL,
                                sv_test_store_result, &result);
  return sv_patient_record_load_finish (stack->record, sv_test_wait (&result), error);
}

/* With the fault switches @faults on (NULL: none), signs in for @patient
 * and loads their record, watching every request of the load; @hook sees
 * each one as it is queued. The switches are off again afterwards. */
static Stack *
stack_load_with_faults (const char *patient,
                        const char *scopes,
                        const char *faults,
                        QueuedHook  hook)
{
  g_autoptr(Stack) stack = NULL;
  g_autoptr(GError) error = NULL;

  set_faults (faults);
  stack = stack_new (patient, scopes);
  stack->monitor = monitor_new (sv_session_get_http (stack->session));
  stack->monitor->hook = hook;
  g_assert_true (stack_load (stack, patient, &error));
  g_assert_no_error (error);
  stack->monitor->hook = NULL;
  set_faults (NULL);
  /* Whatever went wrong in a section, the patient is shown. */
  g_assert_cmpstr (sv_patient_record_get_name (stack->record), ==,
                   g_str_equal (patient, LARGE_PATIENT) ? LARGE_PATIENT_NAME : DEMO_PATIENT_NAME);
  return g_steal_pointer (&stack);
}

static void
assert_section (SvPatientRecord *record,
                SvSection        section,
                SvSectionState   state,
                const char      *in_message)
{
  const char *message = sv_patient_record_get_section_message (record, section);

  g_test_message ("%s: %s, %u, %s", section == SV_SECTION_PROBLEMS ? "problems" : "medications",
                  sv_section_state_to_string (sv_patient_record_get_section_state (record, section)),
                  sv_patient_record_get_section_count (record, section), message != NULL ? message : "-");
  g_assert_cmpstr (sv_section_state_to_string (sv_patient_record_get_section_state (record, section)), ==,
                   sv_section_state_to_string (state));
  if (in_message != NULL)
    {
      g_assert_nonnull (message);
      g_assert_nonnull (strstr (message, in_message));
    }
}

/* The counts of a load without faults, once per patient. */
typedef struct
{
  guint problems;
  guint medications;
} Counts;

static Counts
baseline (const char *patient)
{
  static GHashTable *known;
  g_autoptr(Stack) stack = NULL;
  g_autoptr(GError) error = NULL;
  Counts *counts;

  if (known == NULL)
    known = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  counts = g_hash_table_lookup (known, patient);
  if (counts != NULL)
    return *counts;

  stack = stack_load_with_faults (patient, NULL, NULL, NULL);
  assert_section (stack->record, SV_SECTION_PROBLEMS, SV_SECTION_STATE_OK, NULL);
  assert_section (stack->record, SV_SECTION_MEDICATIONS, SV_SECTION_STATE_OK, NULL);

  counts = g_new0 (Counts, 1);
  counts->problems = sv_patient_record_get_section_count (stack->record, SV_SECTION_PROBLEMS);
  counts->medications = sv_patient_record_get_section_count (stack->record, SV_SECTION_MEDICATIONS);
  g_assert_cmpuint (counts->problems, >, 0);
  g_assert_cmpuint (counts->medications, >, 0);
  g_hash_table_insert (known, g_strdup (patient), counts);
  return *counts;
}

static void
assert_complete (Stack      *stack,
                 const char *patient)
{
  Counts expected = baseline (patient);

  assert_section (stack->record, SV_SECTION_PROBLEMS, SV_SECTION_STATE_OK, NULL);
  assert_section (stack->record, SV_SECTION_MEDICATIONS, SV_SECTION_STATE_OK, NULL);
  g_assert_cmpuint (sv_patient_record_get_section_count (stack->record, SV_SECTION_PROBLEMS), ==, expected.problems);
  g_assert_cmpuint (sv_patient_record_get_section_count (stack->record, SV_SECTION_MEDICATIONS), ==,
                    expected.medications);
}

/* 429 ThrottlingException with Retry-After: the record loads completely,
 * each throttled search is asked again, and not before the server's wait. */
static void
test_throttled (void)
{
  g_autoptr(Stack) stack = NULL;
  g_autoptr(GError) error = NULL;
  Monitor *monitor;
  guint throttled = 0;

  baseline (DEMO_PATIENT);
  /* Every third search: of the three searches after the Patient read, one
   * at least is throttled. The client's own back-off for a first retry is
   * one second; two seconds show that the header is what counts. */
  stack = stack_load_with_faults (DEMO_PATIENT, NULL, "{\"throttle_every\":3,\"retry_after\":2}", NULL);
  monitor = stack->monitor;

  assert_complete (stack, DEMO_PATIENT);

  for (guint i = 0; i < monitor->requests->len; i++)
    {
      Req *req = g_ptr_array_index (monitor->requests, i);
      gboolean asked_again = FALSE;

      if (req->status != 429)
        continue;
      throttled++;
      g_assert_cmpuint (req->retry_after, ==, 2);
      for (guint j = i + 1; j < monitor->requests->len && !asked_again; j++)
        {
          Req *later = g_ptr_array_index (monitor->requests, j);

          if (!g_str_equal (later->url, req->url))
            continue;
          asked_again = TRUE;
          g_assert_true (later->repeats_429);
          /* The wait was honoured: the test's timer of Retry-After seconds,
           * started when the 429 arrived, had fired before the request was
           * queued again. */
          g_assert_true (later->waited_before_repeat);
        }
      g_assert_true (asked_again);
    }
  g_test_message ("%u searches throttled", throttled);
  g_assert_cmpuint (throttled, >=, 1);
  /* Nothing but the throttled ones was asked twice. */
  g_assert_cmpuint (count_requests (monitor, is_fhir_request, NULL), ==,
                    count_requests (monitor, has_status, "200") + throttled);
}

/* A 500 on Conditions only: the problems say why, the rest is there. */
static void
test_error_500 (void)
{
  g_autoptr(Stack) stack = stack_load_with_faults (DEMO_PATIENT, NULL, "{\"error_500_type\":\"Condition\"}", NULL);
  Monitor *monitor = stack->monitor;
  Counts expected = baseline (DEMO_PATIENT);

  assert_section (stack->record, SV_SECTION_PROBLEMS, SV_SECTION_STATE_ERROR, "Internal server error (injected fault)");
  g_assert_cmpuint (g_list_model_get_n_items (sv_patient_record_get_problems (stack->record)), ==, 0);
  assert_section (stack->record, SV_SECTION_MEDICATIONS, SV_SECTION_STATE_OK, NULL);
  g_assert_cmpuint (sv_patient_record_get_section_count (stack->record, SV_SECTION_MEDICATIONS), ==,
                    expected.medications);
  /* A 500 is reported, not retried. */
  g_assert_cmpuint (count_requests (monitor, is_search_of, "Condition"), ==, 1);
  g_assert_cmpuint (count_requests (monitor, has_status, "500"), ==, 1);
}

static gboolean
is_loopback_request (Req        *req,
                     const char *unused)
{
  return g_strcmp0 (req->host, "127.0.0.1") == 0;
}

/* Next links to another origin: each paged section stops as partial with
 * the reason, and the bearer never goes there. */
static void
test_foreign_next_link (void)
{
  g_autoptr(Stack) stack = stack_load_with_faults (LARGE_PATIENT, NULL, "{\"foreign_next_link\":true}", NULL);
  Monitor *monitor = stack->monitor;
  Counts expected = baseline (LARGE_PATIENT);

  assert_section (stack->record, SV_SECTION_PROBLEMS, SV_SECTION_STATE_PARTIAL, "foreign.example");
  assert_section (stack->record, SV_SECTION_PROBLEMS, SV_SECTION_STATE_PARTIAL,
                  "Paging stopped after 1 page: the next page is on another server");
  assert_section (stack->record, SV_SECTION_MEDICATIONS, SV_SECTION_STATE_PARTIAL, "foreign.example");
  /* The first page of each search, and no more. */
  g_assert_cmpuint (sv_patient_record_get_section_count (stack->record, SV_SECTION_PROBLEMS), >, 0);
  g_assert_cmpuint (sv_patient_record_get_section_count (stack->record, SV_SECTION_PROBLEMS), <=, 100);
  g_assert_cmpuint (sv_patient_record_get_section_count (stack->record, SV_SECTION_PROBLEMS), <, expected.problems);
  g_assert_cmpuint (sv_patient_record_get_section_count (stack->record, SV_SECTION_MEDICATIONS), <=, 200);
  g_assert_cmpuint (sv_patient_record_get_section_count (stack->record, SV_SECTION_MEDICATIONS), <,
                    expected.medications);
  g_assert_cmpuint (count_requests (monitor, is_search_of, "Condition"), ==, 1);
  g_assert_cmpuint (count_requests (monitor, is_search_of, "MedicationStatement"),
                    ==, 1);
  g_assert_cmpuint (count_requests (monitor, is_search_of, "MedicationRequest"),
                    ==, 1);
  /* Nothing was queued for the foreign host, nor any other. */
  g_assert_cmpuint (monitor->requests->len, >, 0);
  g_assert_cmpuint (count_requests (monitor, is_loopback_request, NULL), ==, monitor->requests->len);
}

/* Arms the one-shot truncation when the search page @page of @type is
 * queued: the fault is set before that request can reach the server (this
 * runs in the main loop, which sends it), and it is the only one in flight. */
static void
truncate_search_page (Monitor    *monitor,
                      Req        *req,
                      const char *type,
                      guint       page)
{
  if (is_search_of (req, type) && ++monitor->hook_count == page)
    set_faults ("{\"truncated_json\":true}");
}

static void
truncate_second_condition_page (Monitor *monitor,
                                Req     *req)
{
  truncate_search_page (monitor, req, "Condition", 2);
}

/* The first MedicationRequest search, the one with _include. */
static void
truncate_first_request_page (Monitor *monitor,
                             Req     *req)
{
  truncate_search_page (monitor, req, "MedicationRequest", 1);
}

/* A response cut in half on the second page: the first page's rows show,
 * the section is partial and says which page failed and why, and the next
 * load is whole again. */
static void
test_truncated_json (void)
{
  g_autoptr(Stack) stack = NULL;
  g_autoptr(Stack) first_page = NULL;
  g_autoptr(GError) error = NULL;
  Monitor *monitor;
  Counts expected = baseline (LARGE_PATIENT);
  guint shown;

  /* What the first Condition page alone gives: a load stopped after it by
   * foreign next links. */
  first_page = stack_load_with_faults (LARGE_PATIENT, NULL, "{\"foreign_next_link\":true}", NULL);
  assert_section (first_page->record, SV_SECTION_PROBLEMS, SV_SECTION_STATE_PARTIAL, NULL);

  /* Only the patient and the problems, so that the one response cut is
   * known: the second Condition page. */
  stack = stack_load_with_faults (LARGE_PATIENT, "openid fhirUser launch/patient offline_access "
                                                "patient/Patient.rs patient/Condition.rs",
                                  NULL, truncate_second_condition_page);
  monitor = stack->monitor;

  /* The third page may already be asked for: its link is read from the
   * page's text while the page is parsed. */
  g_assert_cmpuint (monitor->hook_count, >=, 2);
  assert_section (stack->record, SV_SECTION_PROBLEMS, SV_SECTION_STATE_PARTIAL,
                  "Paging stopped after 1 page: page 2 could not be read (The FHIR server sent data that could not be read (");
  assert_section (stack->record, SV_SECTION_PROBLEMS, SV_SECTION_STATE_PARTIAL, "Refresh (F5) to try again.");
  shown = sv_patient_record_get_section_count (stack->record, SV_SECTION_PROBLEMS);
  g_assert_cmpuint (shown, >, 0);
  g_assert_cmpuint (shown, <, expected.problems);
  g_assert_cmpuint (shown, ==, sv_patient_record_get_section_count (first_page->record, SV_SECTION_PROBLEMS));
  assert_section (stack->record, SV_SECTION_MEDICATIONS, SV_SECTION_STATE_NOT_PERMITTED, NULL);
  g_assert_cmpuint (count_requests (monitor, is_search_of, "Medication"), ==, 0);

  /* The switch was one-shot: a reload reads everything. */
  g_assert_true (stack_load (stack, LARGE_PATIENT, &error));
  g_assert_no_error (error);
  assert_section (stack->record, SV_SECTION_PROBLEMS, SV_SECTION_STATE_OK, NULL);
  g_assert_cmpuint (sv_patient_record_get_section_count (stack->record, SV_SECTION_PROBLEMS), ==, expected.problems);
}

/* A cut answer to a search with _include is an error like any other: it
 * shows, and the search is not asked again without _include as if the
 * server did not support it. */
static void
test_truncated_include (void)
{
  g_autoptr(Stack) stack = NULL;
  Monitor *monitor;

  stack = stack_load_with_faults (DEMO_PATIENT, "openid fhirUser launch/patient offline_access "
                                               "patient/Patient.rs patient/MedicationRequest.rs",
                                  NULL, truncate_first_request_page);
  monitor = stack->monitor;

  g_assert_cmpuint (monitor->hook_count, >=, 1);
  assert_section (stack->record, SV_SECTION_MEDICATIONS, SV_SECTION_STATE_ERROR,
                  "MedicationRequest: The FHIR server sent data that could not be read");
  g_assert_cmpuint (sv_patient_record_get_section_count (stack->record, SV_SECTION_MEDICATIONS), ==, 0);
  g_assert_cmpuint (count_requests (monitor, is_search_of, "MedicationRequest"), ==, 1);
  g_assert_cmpuint (count_requests (monitor, is_search_of, "Medication"), ==, 0);
}

/* The access token expires while the large record is being paged: the
 * session refreshes, paging goes on with the new token, nothing is lost. */
static void
test_token_expiry (void)
{
  g_autoptr(Stack) stack = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) condition_tokens = g_hash_table_new (g_str_hash, g_str_equal);
  Monitor *monitor;
  const char *previous = NULL;
  gboolean reused = FALSE;
  guint refreshes, pages = 0;

  baseline (LARGE_PATIENT);
  /* Three-second tokens from this sign-in on; each FHIR request waits
   * 200 ms for the validator, so the 21 Condition pages (4.2 s at least)
   * outlast a token. */
  stack = stack_load_with_faults (LARGE_PATIENT, NULL, "{\"token_lifetime\":3,\"validator_delay_ms\":200}", NULL);
  monitor = stack->monitor;

  assert_complete (stack, LARGE_PATIENT);

  refreshes = count_requests (monitor, is_token_request, NULL);
  g_test_message ("%u FHIR requests, %u refreshes, %u answered 401",
                  count_requests (monitor, is_fhir_request, NULL), refreshes,
                  count_requests (monitor, has_status, "401"));
  g_assert_cmpuint (refreshes, >=, 1);
  for (guint i = 0; i < monitor->requests->len; i++)
    {
      Req *req = g_ptr_array_index (monitor->requests, i);

      if (!is_search_of (req, "Condition") || req->status != 200)
        continue;
      pages++;
      if (previous != NULL && g_str_equal (previous, req->token_sum))
        reused = TRUE;
      previous = req->token_sum;
      g_hash_table_add (condition_tokens, req->token_sum);
    }
  g_test_message ("%u Condition pages with %u tokens", pages, g_hash_table_size (condition_tokens));
  /* The Condition pages were read with more than one token… */
  g_assert_cmpuint (g_hash_table_size (condition_tokens), >=, 2);
  /* …but a token is not thrown away after one request: a three-second token
   * is refreshed once it is half used, not before every request. */
  g_assert_true (reused);
}

static void
child_setup (gpointer user_data)
{
  /* Gone with the test, even when an assertion aborts it. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* A sandbox of its own, on a free port with its own data: the fault
 * switches are global, and no other test may find this one. */
static void
start_sandbox (const char *executable,
               const char *data_dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autofree char *issuer = NULL;

  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  sandbox = g_subprocess_launcher_spawn (launcher, &error, executable, "--port", "0",
                                         "--data-dir", data_dir, NULL);
  g_assert_no_error (error);
  sandbox_output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (sandbox));
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line (sandbox_output, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (line);
      if (sv_sandbox_parse_ready_line (line, &fhir_base, &issuer, &client_id))
        break;
    }
  /* The rest is a short table for people, with a secret: never read,
   * and small enough for the pipe, which stays open until the end. */
}

static void
stop_sandbox (const char *data_dir)
{
  g_autoptr(GError) error = NULL;
  const char *rm[] = { "rm", "-rf", data_dir, NULL };

  g_subprocess_send_signal (sandbox, SIGTERM);
  g_assert_true (g_subprocess_wait (sandbox, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (sandbox));
  g_assert_cmpint (g_subprocess_get_exit_status (sandbox), ==, 0);
  g_clear_object (&sandbox_output);
  g_clear_object (&sandbox);
  g_assert_true (g_spawn_sync (NULL, (char **) rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *executable = NULL;
  g_autofree char *dir = NULL;
  int status;

  /* The expected strings are the untranslated English ones. */
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_setenv ("LANGUAGE", "C", TRUE);
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

  executable = sv_sandbox_find_executable ();
  if (executable == NULL)
    {
      g_test_skip ("smart-sandbox is not built (configure with -Dcompanions=true)");
      return 77;
    }

  /* Under the throw-away HOME of tests/run-headless.sh, so that even an
   * aborted run leaves nothing behind. */
  dir = g_build_filename (g_get_user_cache_dir (), "record-faults-XXXXXX", NULL);
  g_assert_true (g_mkdir_with_parents (g_get_user_cache_dir (), 0700) == 0);
  g_assert_nonnull (g_mkdtemp (dir));
  start_sandbox (executable, dir);
  control = sv_http_session_new ();

  g_test_add_func ("/record-faults/throttled", test_throttled);
  g_test_add_func ("/record-faults/error-500", test_error_500);
  g_test_add_func ("/record-faults/foreign-next-link", test_foreign_next_link);
  g_test_add_func ("/record-faults/truncated-json", test_truncated_json);
  g_test_add_func ("/record-faults/truncated-include", test_truncated_include);
  g_test_add_func ("/record-faults/token-expiry", test_token_expiry);
  status = g_test_run ();

  g_clear_object (&control);
  stop_sandbox (dir);
  g_free (fhir_base);
  g_free (client_id);
  return status;
}
