/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "sv-error.h"
#include "sv-fhir-client.h"
#include "sv-fhir-value.h"
#include "sv-http.h"
#include "sv-patient-search.h"
#include "sv-scope.h"
#include "sv-static-bearer.h"
#include "sv-test-fhir-server.h"

/* The FHIR client against an in-test server on 127.0.0.1: paging, the
 * origin rule for next links, 401 refresh, 429/503 retries, errors with
 * the OperationOutcome's text, batched reads. */

typedef struct
{
  SvTestFhirServer *server;
  SvStaticBearer   *bearer;
  SvFhirClient     *client;
  GAsyncResult     *result;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  const char *tokens[] = { "token-1", "token-2", "token-3", NULL };
  g_autoptr(GError) error = NULL;

  fixture->server = sv_test_fhir_server_new ();
  fixture->bearer = sv_static_bearer_new (tokens);
  fixture->client = sv_fhir_client_new (sv_test_fhir_server_get_base_url (fixture->server),
                                        SV_BEARER_SOURCE (fixture->bearer), NULL, &error);
  g_assert_no_error (error);
  /* Retry-After values in tests are small; the cap keeps a mistake quick. */
  sv_fhir_client_set_max_retry_delay (fixture->client, 2);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->result);
  g_clear_object (&fixture->client);
  g_clear_object (&fixture->bearer);
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
  Fixture *fixture = user_data;

  fixture->result = g_object_ref (result);
}

static void
wait_result (Fixture *fixture)
{
  guint timeout = g_timeout_add_seconds (30, timeout_cb, NULL);

  while (fixture->result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (timeout);
}

static void
add_conditions (SvTestFhirServer *server,
                const char       *patient,
                guint             n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *json =
        g_strdup_printf ("{\"resourceType\":\"Condition\",\"id\":\"%s-c%u\","
                         "\"subject\":{\"reference\":\"Patient/%s\"},"
                         "\"code\":{\"text\":\"Condition %u\"}}", patient, i, patient, i);

      sv_test_fhir_server_add_json (server, json);
    }
}

static SvFhirSearchResult *
search_conditions (Fixture  *fixture,
                   GError  **error)
{
  const char *params[] = { "subject", "Patient/p1", "_count", "100", NULL };

  g_clear_object (&fixture->result);
  sv_fhir_client_search_async (fixture->client, "Condition", params, NULL, store_result_cb, fixture);
  wait_result (fixture);
  return sv_fhir_client_search_finish (fixture->client, fixture->result, error);
}

static void
assert_all_once (SvFhirSearchResult *result,
                 const char         *patient,
                 guint               n)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  g_assert_cmpuint (result->matches->len, ==, n);
  for (guint i = 0; i < result->matches->len; i++)
    {
      const char *id = json_object_get_string_member (g_ptr_array_index (result->matches, i), "id");

      g_assert_true (g_str_has_prefix (id, patient));
      g_assert_true (g_hash_table_add (seen, (gpointer) id));
    }
}

static void
test_paging (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvFhirSearchResult) result = NULL;
  GPtrArray *log;

  add_conditions (fixture->server, "p1", 250);
  add_conditions (fixture->server, "p2", 30);
  sv_test_fhir_server_set_page_size (fixture->server, 100);

  result = search_conditions (fixture, &error);
  g_assert_no_error (error);
  g_assert_false (result->partial);
  g_assert_cmpuint (result->n_pages, ==, 3);
  assert_all_once (result, "p1-", 250);
  g_assert_cmpuint (sv_test_fhir_server_count (fixture->server, "Condition"), ==, 3);

  /* The first request is the search, the next ones the opaque page links
   * exactly as the server gave them, all with the token. */
  log = sv_test_fhir_server_get_log (fixture->server);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (log, 0),
                                   "GET /fhir/Condition?subject=Patient/p1&_count=100 [Bearer token-1]"));
  g_assert_nonnull (strstr (g_ptr_array_index (log, 1), "?_getpages=pg1&_bundletype=searchset [Bearer token-1]"));
}

/* A next link to another origin, set on @page by @set_link, ends paging
 * as partial after @n_pages, and that origin receives nothing at all
 * (another port is another origin). */
static void
assert_stops_at_foreign (Fixture  *fixture,
                         void    (*set_link) (SvTestFhirServer *server,
                                              const char       *resource_type,
                                              guint             page,
                                              const char       *url),
                         guint     page,
                         guint     n_pages)
{
  SvTestFhirServer *foreign = sv_test_fhir_server_new ();
  g_autofree char *next = g_strconcat (sv_test_fhir_server_get_base_url (foreign), "Condition?_getpages=x", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(SvFhirSearchResult) result = NULL;

  add_conditions (fixture->server, "p1", 250);
  set_link (fixture->server, "Condition", page, next);

  result = search_conditions (fixture, &error);
  g_assert_no_error (error);
  g_assert_true (result->partial);
  g_assert_nonnull (result->partial_reason);
  g_assert_nonnull (strstr (result->partial_reason, "127.0.0.1"));
  g_assert_cmpuint (result->n_pages, ==, n_pages);
  assert_all_once (result, "p1-", 100 * n_pages);

  g_assert_cmpuint (sv_test_fhir_server_count_all (foreign), ==, 0);
  sv_test_fhir_server_free (foreign);
}

static void
test_foreign_next_link (Fixture       *fixture,
                        gconstpointer  data)
{
  assert_stops_at_foreign (fixture, sv_test_fhir_server_set_next_override, 2, 2);
}

/* The next page is asked for early, from the first "link" in the text;
 * the Bundle as read has a second one, which counts. The early page is
 * then dropped, and the link that counts is judged as ever. */
static void
test_second_link (Fixture       *fixture,
                  gconstpointer  data)
{
  assert_stops_at_foreign (fixture, sv_test_fhir_server_set_second_link, 1, 1);
}

static void
test_redirects (Fixture       *fixture,
                gconstpointer  data)
{
  SvTestFhirServer *foreign = sv_test_fhir_server_new ();
  g_autofree char *elsewhere = g_strconcat (sv_test_fhir_server_get_base_url (foreign), "Condition", NULL);
  g_autofree char *same = g_strconcat (sv_test_fhir_server_get_base_url (fixture->server),
                                       "Condition?subject=Patient/p1", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(SvFhirSearchResult) result = NULL;

  add_conditions (fixture->server, "p1", 5);

  /* On the same origin a redirect is followed, with the token. */
  sv_test_fhir_server_add_redirect (fixture->server, "Condition", 1, same);
  result = search_conditions (fixture, &error);
  g_assert_no_error (error);
  assert_all_once (result, "p1-", 5);
  g_assert_cmpuint (sv_test_fhir_server_count (fixture->server, "Condition"), ==, 2);
  g_clear_pointer (&result, sv_fhir_search_result_free);

  /* To another origin it is not, and that server receives nothing. */
  sv_test_fhir_server_add_redirect (fixture->server, "Condition", 1, elsewhere);
  result = search_conditions (fixture, &error);
  g_assert_null (result);
  g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
  g_assert_cmpuint (sv_test_fhir_server_count_all (foreign), ==, 0);
  sv_test_fhir_server_free (foreign);
}

static void
test_retry_after_seconds (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvFhirSearchResult) result = NULL;

  add_conditions (fixture->server, "p1", 5);
  sv_test_fhir_server_add_fault (fixture->server, "Condition", 429, 1, "1",
                                 "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"diagnostics\":\"ThrottlingException\"}]}");

  result = search_conditions (fixture, &error);
  g_assert_no_error (error);
  assert_all_once (result, "p1-", 5);
  g_assert_cmpuint (sv_test_fhir_server_count (fixture->server, "Condition"), ==, 2);
}

static void
test_retry_after_date_then_503 (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvFhirSearchResult) result = NULL;
  g_autoptr(GDateTime) past = g_date_time_new_utc (2001, 1, 1, 0, 0, 0);
  g_autofree char *date = soup_date_time_to_string (past, SOUP_DATE_HTTP);

  add_conditions (fixture->server, "p1", 5);
  sv_test_fhir_server_add_fault (fixture->server, "Condition", 429, 1, date, NULL);
  sv_test_fhir_server_add_fault (fixture->server, "Condition", 503, 1, "0", NULL);

  result = search_conditions (fixture, &error);
  g_assert_no_error (error);
  assert_all_once (result, "p1-", 5);
  g_assert_cmpuint (sv_test_fhir_server_count (fixture->server, "Condition"), ==, 3);
}

static void
test_503_gives_up (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvFhirSearchResult) result = NULL;

  add_conditions (fixture->server, "p1", 5);
  sv_test_fhir_server_add_fault (fixture->server, "Condition", 503, 10, "0",
                                 "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"details\":{\"text\":\"Down for maintenance\"}}]}");

  result = search_conditions (fixture, &error);
  g_assert_null (result);
  g_assert_error (error, SV_ERROR, SV_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, "Down for maintenance"));
  /* The first try and three retries. */
  g_assert_cmpuint (sv_test_fhir_server_count (fixture->server, "Condition"), ==, 4);
}

static void
test_401_refresh (Fixture       *fixture,
                  gconstpointer  data)
{
  const char *tokens[] = { "token-2", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvFhirSearchResult) result = NULL;
  GPtrArray *log;

  add_conditions (fixture->server, "p1", 5);
  sv_test_fhir_server_set_tokens (fixture->server, tokens);

  result = search_conditions (fixture, &error);
  g_assert_no_error (error);
  assert_all_once (result, "p1-", 5);
  g_assert_cmpuint (sv_static_bearer_get_n_refreshes (fixture->bearer), ==, 1);
  log = sv_test_fhir_server_get_log (fixture->server);
  g_assert_cmpuint (log->len, ==, 2);
  g_assert_nonnull (strstr (g_ptr_array_index (log, 1), "[Bearer token-2]"));
}

static void
test_401_twice (Fixture       *fixture,
                gconstpointer  data)
{
  const char *tokens[] = { "token-3", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvFhirSearchResult) result = NULL;

  add_conditions (fixture->server, "p1", 5);
  sv_test_fhir_server_set_tokens (fixture->server, tokens);

  result = search_conditions (fixture, &error);
  g_assert_null (result);
  g_assert_error (error, SV_ERROR, SV_ERROR_NOT_SIGNED_IN);
  /* One refresh only, and no token in the message. */
  g_assert_cmpuint (sv_static_bearer_get_n_refreshes (fixture->bearer), ==, 1);
  g_assert_cmpuint (sv_test_fhir_server_count (fixture->server, "Condition"), ==, 2);
  g_assert_null (strstr (error->message, "token-"));
}

static void
test_token_expiry_while_paging (Fixture       *fixture,
                                gconstpointer  data)
{
  const char *tokens[] = { "token-1", "token-2", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvFhirSearchResult) result = NULL;

  add_conditions (fixture->server, "p1", 450);
  sv_test_fhir_server_set_tokens (fixture->server, tokens);
  sv_test_fhir_server_expire_token_after (fixture->server, "token-1", 2);

  result = search_conditions (fixture, &error);
  g_assert_no_error (error);
  g_assert_false (result->partial);
  assert_all_once (result, "p1-", 450);
  g_assert_cmpuint (sv_static_bearer_get_n_refreshes (fixture->bearer), ==, 1);
  /* Five pages and the one refused request. */
  g_assert_cmpuint (sv_test_fhir_server_count (fixture->server, "Condition"), ==, 6);
}

static void
test_error_outcome (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvFhirSearchResult) result = NULL;

  add_conditions (fixture->server, "p1", 5);
  sv_test_fhir_server_add_fault (fixture->server, "Condition", 500, 1, NULL,
                                 "{\"resourceType\":\"OperationOutcome\",\"issue\":["
                                 "{\"diagnostics\":\"Search index unavailable\"},"
                                 "{\"details\":{\"text\":\"Try later\"}}]}");

  result = search_conditions (fixture, &error);
  g_assert_null (result);
  g_assert_error (error, SV_ERROR, SV_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, "Search index unavailable; Try later"));
  g_assert_nonnull (strstr (error->message, "500"));
}

static void
test_403 (Fixture       *fixture,
          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvFhirSearchResult) result = NULL;

  sv_test_fhir_server_add_fault (fixture->server, "Condition", 403, 1, NULL, NULL);
  result = search_conditions (fixture, &error);
  g_assert_null (result);
  g_assert_error (error, SV_ERROR, SV_ERROR_DENIED);
}

/* @data is the page that is cut: the first one fails the search, a later
 * one keeps the earlier pages' matches, as partial. */
static void
test_truncated (Fixture       *fixture,
                gconstpointer  data)
{
  guint page = GPOINTER_TO_UINT (data);
  g_autoptr(GError) error = NULL;
  g_autoptr(SvFhirSearchResult) result = NULL;

  add_conditions (fixture->server, "p1", 250);
  sv_test_fhir_server_set_truncated (fixture->server, "Condition", page);
  result = search_conditions (fixture, &error);

  if (page == 1)
    {
      g_assert_null (result);
      g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
      return;
    }

  /* The reason names the page and what to do. */
  g_assert_no_error (error);
  g_assert_nonnull (result);
  g_assert_true (result->partial);
  g_assert_cmpuint (result->n_pages, ==, 1);
  g_assert_cmpuint (result->matches->len, ==, 100);
  g_assert_cmpstr (sv_fhir_member_string (g_ptr_array_index (result->matches, 0), "id"), ==, "p1-c0");
  g_assert_nonnull (strstr (result->partial_reason, "Paging stopped after 1 page: page 2 could not be read ("));
  g_assert_true (g_str_has_suffix (result->partial_reason, "). Refresh (F5) to try again."));
  /* The third page was not asked for, or not taken. */
  g_assert_cmpuint (sv_test_fhir_server_count (fixture->server, "Condition"), <=, 3);
}


/* The picker's search: when a later page cannot be read, the matches of
 * the first are given with the reason, not as if they were all. */
static void
test_patient_search_partial (Fixture       *fixture,
                             gconstpointer  data)
{
  gboolean truncate = GPOINTER_TO_UINT (data);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) matches = NULL;
  g_autofree char *reason = NULL;

  for (guint i = 0; i < 60; i++)
    {
      g_autofree char *json =
        g_strdup_printf ("{\"resourceType\":\"Patient\",\"id\":\"pt-%u\","
                         "\"name\":[{\"family\":\"Smith\",\"given\":[\"Ann %u\"]}]}", i, i);

      sv_test_fhir_server_add_json (fixture->server, json);
    }
  sv_test_fhir_server_set_page_size (fixture->server, 25);
  if (truncate)
    sv_test_fhir_server_set_truncated (fixture->server, "Patient", 2);

  sv_patient_search_async (fixture->client, "Smith", NULL, store_result_cb, fixture);
  wait_result (fixture);
  matches = sv_patient_search_finish (fixture->result, &reason, &error);
  g_assert_no_error (error);
  g_assert_nonnull (matches);
  if (!truncate)
    {
      g_assert_cmpuint (matches->len, ==, 60);
      g_assert_null (reason);
      return;
    }

  g_test_message ("partial: %s", reason);
  g_assert_cmpuint (matches->len, ==, 25);
  g_assert_nonnull (reason);
  g_assert_nonnull (strstr (reason, "page 2 could not be read"));
}

static void
test_read (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) patient = NULL;

  sv_test_fhir_server_add_json (fixture->server, "{\"resourceType\":\"Patient\",\"id\":\"p1\"}");

  sv_fhir_client_read_async (fixture->client, "Patient", "p1", NULL, store_result_cb, fixture);
  wait_result (fixture);
  patient = sv_fhir_client_read_finish (fixture->client, fixture->result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (patient, "id"), ==, "p1");

  g_clear_object (&fixture->result);
  sv_fhir_client_read_async (fixture->client, "Patient", "nobody", NULL, store_result_cb, fixture);
  wait_result (fixture);
  g_assert_null (sv_fhir_client_read_finish (fixture->client, fixture->result, &error));
  g_assert_error (error, SV_ERROR, SV_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, "Resource not found"));
}


static JsonObject *
read_resource (Fixture     *fixture,
               const char  *type,
               const char  *id,
               GError     **error)
{
  g_clear_object (&fixture->result);
  sv_fhir_client_read_async (fixture->client, type, id, NULL, store_result_cb, fixture);
  wait_result (fixture);
  return sv_fhir_client_read_finish (fixture->client, fixture->result, error);
}

/* A response larger than the limit is refused, whether its length is
 * announced (Content-Length) or only seen while reading (chunked); one
 * just under it is read; the client keeps working afterwards. */
static void
test_body_limit (Fixture       *fixture,
                 gconstpointer  data)
{
  gboolean chunked = GPOINTER_TO_UINT (data);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) patient = NULL;

  sv_fhir_client_set_max_body_size (fixture->client, 1024 * 1024);
  sv_test_fhir_server_add_json (fixture->server, "{\"resourceType\":\"Observation\",\"id\":\"o1\"}");

  sv_test_fhir_server_set_big_body (fixture->server, "Patient", 1024 * 1024 - 10, chunked);
  patient = read_resource (fixture, "Patient", "big", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (patient, "id"), ==, "big");
  g_clear_pointer (&patient, json_object_unref);

  sv_test_fhir_server_set_big_body (fixture->server, "Patient", 8 * 1024 * 1024, chunked);
  patient = read_resource (fixture, "Patient", "big", &error);
  g_assert_null (patient);
  g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "larger than 1.0\u00a0MiB"));
  /* Announced, the size is named too. */
  g_assert_true (chunked == (strstr (error->message, "(8.0\u00a0MiB)") == NULL));
  g_assert_nonnull (strstr (error->message, "smaller pages"));
  g_clear_error (&error);

  /* The next request works. */
  patient = read_resource (fixture, "Observation", "o1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (patient, "id"), ==, "o1");
}

static void
test_cancel (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  const char *params[] = { "subject", "Patient/p1", NULL };
  g_autoptr(GError) error = NULL;

  add_conditions (fixture->server, "p1", 5);
  sv_test_fhir_server_set_hold (fixture->server, "Condition", TRUE);
  sv_fhir_client_search_async (fixture->client, "Condition", params, cancellable, store_result_cb, fixture);
  while (sv_test_fhir_server_get_n_held (fixture->server) == 0)
    g_main_context_iteration (NULL, TRUE);
  g_cancellable_cancel (cancellable);
  wait_result (fixture);
  g_assert_null (sv_fhir_client_search_finish (fixture->client, fixture->result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_cancel_retry_wait (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  const char *params[] = { "subject", "Patient/p1", NULL };
  g_autoptr(GError) error = NULL;

  /* A long Retry-After must not delay a cancellation. */
  sv_fhir_client_set_max_retry_delay (fixture->client, 600);
  sv_test_fhir_server_add_fault (fixture->server, "Condition", 429, 1, "600", NULL);
  sv_fhir_client_search_async (fixture->client, "Condition", params, cancellable, store_result_cb, fixture);
  while (sv_test_fhir_server_count (fixture->server, "Condition") == 0)
    g_main_context_iteration (NULL, TRUE);
  /* Let the 429 arrive and the wait begin. */
  for (guint i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  g_cancellable_cancel (cancellable);
  wait_result (fixture);
  g_assert_null (sv_fhir_client_search_finish (fixture->client, fixture->result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (sv_test_fhir_server_count (fixture->server, "Condition"), ==, 1);
}

static void
test_resolve_batched (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) found = NULL;

  for (guint i = 0; i < 150; i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"resourceType\":\"Medication\",\"id\":\"m%u\","
                                               "\"code\":{\"text\":\"Drug %u\"}}", i, i);

      sv_test_fhir_server_add_json (fixture->server, json);
      g_ptr_array_add (ids, g_strdup_printf ("m%u", i));
    }
  g_ptr_array_add (ids, g_strdup ("m0"));
  g_ptr_array_add (ids, g_strdup ("missing"));
  g_ptr_array_add (ids, NULL);

  sv_fhir_client_resolve_async (fixture->client, "Medication", (const char * const *) ids->pdata, NULL,
                                store_result_cb, fixture);
  wait_result (fixture);
  found = sv_fhir_client_resolve_finish (fixture->client, fixture->result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (found), ==, 150);
  /* 151 distinct ids: two searches of at most 100. */
  g_assert_cmpuint (sv_test_fhir_server_count (fixture->server, "Medication"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (g_hash_table_lookup (found, "m149"), "id"), ==, "m149");

  /* Asked again, everything comes from the client's cache but the unknown id. */
  g_clear_pointer (&found, g_hash_table_unref);
  g_clear_object (&fixture->result);
  sv_fhir_client_resolve_async (fixture->client, "Medication", (const char * const *) ids->pdata, NULL,
                                store_result_cb, fixture);
  wait_result (fixture);
  found = sv_fhir_client_resolve_finish (fixture->client, fixture->result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (found), ==, 150);
  g_assert_cmpuint (sv_test_fhir_server_count (fixture->server, "Medication"), ==, 3);
}

static void
test_base_urls (void)
{
  const char *tokens[] = { "t", NULL };
  g_autoptr(SvStaticBearer) bearer = sv_static_bearer_new (tokens);
  g_autoptr(GError) error = NULL;
  g_autoptr(SvFhirClient) client = NULL;

  client = sv_fhir_client_new ("http://fhir.example.org/r4", SV_BEARER_SOURCE (bearer), NULL, &error);
  g_assert_null (client);
  g_assert_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT);
  g_clear_error (&error);

  client = sv_fhir_client_new ("ftp://fhir.example.org/r4", SV_BEARER_SOURCE (bearer), NULL, &error);
  g_assert_null (client);
  g_assert_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT);
  g_clear_error (&error);

  client = sv_fhir_client_new ("https://fhir.example.org/r4", SV_BEARER_SOURCE (bearer), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sv_fhir_client_get_base_url (client), ==, "https://fhir.example.org/r4/");
  g_assert_true (sv_fhir_client_is_same_origin (client, "https://fhir.example.org:443/other/Medication/1"));
  g_assert_true (sv_fhir_client_is_same_origin (client, "Medication/1"));
  g_assert_false (sv_fhir_client_is_same_origin (client, "http://fhir.example.org/r4/Medication/1"));
  g_assert_false (sv_fhir_client_is_same_origin (client, "https://fhir.example.org:8443/r4/Medication/1"));
  g_assert_false (sv_fhir_client_is_same_origin (client, "https://evil.example.org/r4/Medication/1"));
  g_clear_object (&client);

  client = sv_fhir_client_new ("http://[::1]:8080/fhir/", SV_BEARER_SOURCE (bearer), NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&client);
  client = sv_fhir_client_new ("http://localhost:8080/fhir/", SV_BEARER_SOURCE (bearer), NULL, &error);
  g_assert_no_error (error);
}

static void
test_scopes (void)
{
  g_assert_true (sv_scope_allows (NULL, "Condition", SV_SCOPE_ACCESS_SEARCH));
  g_assert_false (sv_scope_allows ("", "Condition", SV_SCOPE_ACCESS_SEARCH));
  g_assert_true (sv_scope_allows ("openid patient/Condition.read", "Condition", SV_SCOPE_ACCESS_SEARCH));
  g_assert_true (sv_scope_allows ("patient/*.read", "MedicationRequest", SV_SCOPE_ACCESS_SEARCH));
  g_assert_true (sv_scope_allows ("user/*.*", "Condition", SV_SCOPE_ACCESS_READ));
  g_assert_true (sv_scope_allows ("patient/Condition.rs", "Condition", SV_SCOPE_ACCESS_SEARCH));
  g_assert_true (sv_scope_allows ("system/Condition.cruds", "Condition", SV_SCOPE_ACCESS_SEARCH));
  g_assert_true (sv_scope_allows ("patient/Condition.s?category=problem-list-item", "Condition",
                                  SV_SCOPE_ACCESS_SEARCH));
  g_assert_false (sv_scope_allows ("patient/Condition.r", "Condition", SV_SCOPE_ACCESS_SEARCH));
  g_assert_true (sv_scope_allows ("patient/Condition.r", "Condition", SV_SCOPE_ACCESS_READ));
  g_assert_false (sv_scope_allows ("patient/Condition.write", "Condition", SV_SCOPE_ACCESS_SEARCH));
  g_assert_false (sv_scope_allows ("patient/Condition.sr", "Condition", SV_SCOPE_ACCESS_SEARCH));
  g_assert_false (sv_scope_allows ("patient/Observation.rs", "Condition", SV_SCOPE_ACCESS_SEARCH));
  g_assert_false (sv_scope_allows ("launch/patient openid fhirUser", "Condition", SV_SCOPE_ACCESS_SEARCH));
  g_assert_false (sv_scope_allows ("group/Condition.read", "Condition", SV_SCOPE_ACCESS_SEARCH));
}

/* The HTTP session reaches loopback servers without the system's proxy
 * resolver (not even made), and takes it on for the first request to any
 * other address, before that request's connection. */
static void
test_proxy_off_loopback_only (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(SoupSession) http = sv_http_session_new ();
  g_autoptr(SvFhirClient) client = NULL;
  g_autoptr(JsonObject) patient = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GInputStream) stream = NULL;

  sv_test_fhir_server_add_json (fixture->server, "{\"resourceType\":\"Patient\",\"id\":\"p1\"}");
  client = sv_fhir_client_new (sv_test_fhir_server_get_base_url (fixture->server),
                               SV_BEARER_SOURCE (fixture->bearer), http, &error);
  g_assert_no_error (error);
  sv_fhir_client_read_async (client, "Patient", "p1", NULL, store_result_cb, fixture);
  wait_result (fixture);
  patient = sv_fhir_client_read_finish (client, fixture->result, &error);
  g_assert_no_error (error);
  g_assert_null (soup_session_get_proxy_resolver (http));

  /* TEST-NET-1, never reached: the request is cancelled before it runs. */
  msg = soup_message_new ("GET", "http://192.0.2.1/fhir/metadata");
  g_clear_object (&fixture->result);
  soup_session_send_async (http, msg, G_PRIORITY_DEFAULT, cancellable, store_result_cb, fixture);
  g_assert_true (soup_session_get_proxy_resolver (http) == g_proxy_resolver_get_default ());
  g_cancellable_cancel (cancellable);
  wait_result (fixture);
  stream = soup_session_send_finish (http, fixture->result, &error);
  g_assert_null (stream);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/fhir-client/base-urls", test_base_urls);
  g_test_add_func ("/fhir-client/scopes", test_scopes);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/fhir-client/paging", test_paging);
  ADD ("/fhir-client/foreign-next-link", test_foreign_next_link);
  ADD ("/fhir-client/second-link", test_second_link);
  ADD ("/fhir-client/redirects", test_redirects);
  ADD ("/fhir-client/429-retry-after-seconds", test_retry_after_seconds);
  ADD ("/fhir-client/429-retry-after-date-then-503", test_retry_after_date_then_503);
  ADD ("/fhir-client/503-gives-up", test_503_gives_up);
  ADD ("/fhir-client/401-refresh", test_401_refresh);
  ADD ("/fhir-client/401-twice", test_401_twice);
  ADD ("/fhir-client/token-expiry-while-paging", test_token_expiry_while_paging);
  ADD ("/fhir-client/error-outcome", test_error_outcome);
  ADD ("/fhir-client/403", test_403);
  g_test_add ("/fhir-client/truncated", Fixture, GUINT_TO_POINTER (1), fixture_set_up, test_truncated,
              fixture_tear_down);
  g_test_add ("/fhir-client/truncated-later-page", Fixture, GUINT_TO_POINTER (2), fixture_set_up, test_truncated,
              fixture_tear_down);
  g_test_add ("/fhir-client/patient-search-complete", Fixture, GUINT_TO_POINTER (FALSE), fixture_set_up,
              test_patient_search_partial, fixture_tear_down);
  g_test_add ("/fhir-client/patient-search-partial", Fixture, GUINT_TO_POINTER (TRUE), fixture_set_up,
              test_patient_search_partial, fixture_tear_down);
  ADD ("/fhir-client/read", test_read);
  g_test_add ("/fhir-client/body-limit", Fixture, GUINT_TO_POINTER (FALSE), fixture_set_up, test_body_limit,
              fixture_tear_down);
  g_test_add ("/fhir-client/body-limit-chunked", Fixture, GUINT_TO_POINTER (TRUE), fixture_set_up, test_body_limit,
              fixture_tear_down);
  ADD ("/fhir-client/cancel", test_cancel);
  ADD ("/fhir-client/proxy-off-loopback-only", test_proxy_off_loopback_only);
  ADD ("/fhir-client/cancel-retry-wait", test_cancel_retry_wait);
  ADD ("/fhir-client/resolve-batched", test_resolve_batched);
#undef ADD

  return g_test_run ();
}
