/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-simulate"

#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "sv-discovery.h"
#include "sv-error.h"
#include "sv-fhir-client.h"
#include "sv-http.h"
#include "sv-patient-record.h"
#include "sv-sandbox.h"
#include "sv-sandbox-control.h"
#include "sv-sandbox-events.h"
#include "sv-server-profile.h"
#include "sv-session.h"
#include "sv-session-bearer.h"
#include "sv-test-sandbox.h"
#include "sv-timeline.h"
#include "sv-token-store.h"

/* Workshop mode's Simulate actions (issue 7) against the real sandbox: each
 * action goes through SvSandboxControl, then the app's own code paths
 * (SvSession, SvSessionBearer, SvFhirClient, SvPatientRecord on the
 * session's shared SoupSession) meet the fault, and the session timeline
 * must show the recovery or the explanation the action's text promises. */

#define WAIT_SECONDS 60

/* Runs the main loop until check() holds, for at most WAIT_SECONDS. */
static void
wait_until (gboolean (*check) (gpointer data),
            gpointer  data,
            const char *what)
{
  sv_test_wait_until (check, data, WAIT_SECONDS, what);
}

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
has_result (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

/* Waits for an async call that stored its result with store_result(). */
static GAsyncResult *
wait_result (GAsyncResult **slot,
             const char    *what)
{
  wait_until (has_result, slot, what);
  return *slot;
}

/* ---- without a sandbox ---- */

static void
on_not_found (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

static void
test_simulate_control (void)
{
  g_autoptr(SoupSession) http = sv_http_session_new ();
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(SvSandboxControl) control = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSList) uris = NULL;
  g_autofree char *base = NULL;
  static const char *remote[] = {
    "https://fhir.example/r4/", "http://10.0.0.1:8400/datastore/x/r4/", "not a url",
    "http://user@127.0.0.1:8400/r4/", "ftp://127.0.0.1/r4/",
  };

  for (guint i = 0; i < G_N_ELEMENTS (remote); i++)
    {
      g_autoptr(SvSandboxControl) refused = sv_sandbox_control_new (http, remote[i], &error);

      g_assert_null (refused);
      g_assert_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT);
      g_clear_error (&error);
    }

  for (SvSimulateAction action = SV_SIMULATE_EXPIRE_TOKEN; action <= SV_SIMULATE_RESET; action++)
    {
      g_assert_nonnull (sv_simulate_action_get_label (action));
      g_assert_cmpuint (strlen (sv_simulate_action_get_explanation (action)), >, 20);
    }

  /* A server on loopback that is not smart-sandbox: a clear error. */
  soup_server_add_handler (server, NULL, on_not_found, NULL, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  base = g_strdup_printf ("http://127.0.0.1:%d/datastore/x/r4/", g_uri_get_port (uris->data));
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
  control = sv_sandbox_control_new (http, base, &error);
  g_assert_no_error (error);
  sv_sandbox_control_simulate_async (control, SV_SIMULATE_THROTTLE, NULL, store_result, &result);
  g_assert_false (sv_sandbox_control_simulate_finish (control, wait_result (&result, "the 404"), &error));
  g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "smart-sandbox"));
}

/* ---- against the sandbox ---- */

typedef struct
{
  SvSandbox        *sandbox;
  SoupSession      *http;
  SvSession        *session;
  SvFhirClient     *client;
  SvSandboxControl *control;
  SvSandboxEvents  *events;
  SvTimeline       *timeline;
  char             *sign_in_reason;
  guint             sign_in_required;
} Fixture;

static void
fixture_clear (Fixture *f)
{
  if (f->events != NULL)
    sv_sandbox_events_stop (f->events);
  g_clear_object (&f->events);
  g_clear_object (&f->control);
  g_clear_object (&f->client);
  g_clear_object (&f->session);
  g_clear_object (&f->timeline);
  g_clear_object (&f->http);
  g_free (f->sign_in_reason);
  if (f->sandbox != NULL)
    sv_sandbox_stop (f->sandbox);
  g_clear_object (&f->sandbox);
}

static void
on_sign_in_required (SvSession  *session,
                     const char *reason,
                     Fixture    *f)
{
  f->sign_in_required++;
  g_free (f->sign_in_reason);
  f->sign_in_reason = g_strdup (reason);
}

static void
simulate (Fixture          *f,
          SvSimulateAction  action)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_test_message ("Simulate: %s — %s", sv_simulate_action_get_label (action),
                  sv_simulate_action_get_explanation (action));
  sv_sandbox_control_simulate_async (f->control, action, NULL, store_result, &result);
  g_assert_true (sv_sandbox_control_simulate_finish (f->control, wait_result (&result, "the fault switch"), &error));
  g_assert_no_error (error);
}

static guint
n_entries (Fixture *f)
{
  return g_list_model_get_n_items (G_LIST_MODEL (f->timeline));
}

/* The app's own steps after entry @mark as "kind:status" words, e.g.
 * "fhir-request:401 refresh:200 fhir-request:200"; server events are left
 * out. */
static char *
client_steps (Fixture *f,
              guint    mark)
{
  g_autoptr(GString) steps = g_string_new (NULL);

  for (guint id = mark + 1; id <= n_entries (f); id++)
    {
      SvTimelineEntry *entry = sv_timeline_get_entry (f->timeline, id);
      SvTimelineKind kind = sv_timeline_entry_get_kind (entry);

      if (kind == SV_TIMELINE_KIND_SERVER_EVENT)
        continue;
      g_string_append_printf (steps, "%s%s:%u", steps->len > 0 ? " " : "",
                              sv_timeline_kind_to_string (kind), sv_timeline_entry_get_status (entry));
    }
  return g_string_free (g_steal_pointer (&steps), FALSE);
}

/* The id of the first client entry after @mark with this kind and status. */
static guint
find_step (Fixture        *f,
           guint           mark,
           SvTimelineKind  kind,
           guint           status)
{
  for (guint id = mark + 1; id <= n_entries (f); id++)
    {
      SvTimelineEntry *entry = sv_timeline_get_entry (f->timeline, id);

      if (sv_timeline_entry_get_kind (entry) == kind && sv_timeline_entry_get_status (entry) == status)
        return id;
    }
  return 0;
}

typedef struct
{
  Fixture    *f;
  guint       mark;
  const char *kind;     /* the server event's kind */
  const char *member;   /* NULL, or a member the event must have ... */
  const char *value;    /* ... with this string value */
  guint       link_id;  /* 0, or the client entry it must be linked to */
} EventWait;

static gboolean
has_server_event (gpointer data)
{
  EventWait *w = data;

  for (guint id = w->mark + 1; id <= n_entries (w->f); id++)
    {
      SvTimelineEntry *entry = sv_timeline_get_entry (w->f->timeline, id);
      JsonObject *details = sv_timeline_entry_get_details (entry);
      JsonObject *event;

      if (sv_timeline_entry_get_kind (entry) != SV_TIMELINE_KIND_SERVER_EVENT ||
          !json_object_has_member (details, "event"))
        continue;
      event = json_object_get_object_member (details, "event");
      if (g_strcmp0 (json_object_get_string_member_with_default (event, "kind", NULL), w->kind) != 0)
        continue;
      if (w->member != NULL &&
          g_strcmp0 (json_object_get_string_member_with_default (event, w->member, NULL), w->value) != 0)
        continue;
      if (w->link_id != 0 && sv_timeline_entry_get_link_id (entry) != w->link_id)
        continue;
      return TRUE;
    }
  return FALSE;
}

static void
wait_server_event (Fixture    *f,
                   guint       mark,
                   const char *kind,
                   const char *member,
                   const char *value,
                   guint       link_id)
{
  EventWait w = { f, mark, kind, member, value, link_id };
  g_autofree char *what = g_strdup_printf ("the sandbox's %s event", kind);

  wait_until (has_server_event, &w, what);
}

static JsonObject *
read_patient (Fixture  *f,
              GError  **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  sv_fhir_client_read_async (f->client, "Patient", sv_session_get_patient (f->session), NULL,
                             store_result, &result);
  return sv_fhir_client_read_finish (f->client, wait_result (&result, "the Patient read"), error);
}

static SvPatientRecord *
load_record (Fixture *f)
{
  g_autoptr(SvPatientRecord) record = sv_patient_record_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  sv_patient_record_load_async (record, f->client, sv_session_get_patient (f->session),
                                sv_session_get_granted_scope (f->session), NULL, store_result, &result);
  sv_patient_record_load_finish (record, wait_result (&result, "the patient record"), &error);
  if (error != NULL)
    g_test_message ("the record's load: %s", error->message);
  return g_steal_pointer (&record);
}

/* Signs in like the app: the authorization request, the scripted person at
 * the sandbox's pages, the code exchange; then the timeline, the event
 * stream, the FHIR client and the control, all on the shared session. */
static gboolean
fixture_set_up (Fixture *f)
{
  g_autofree char *executable = sv_sandbox_find_executable ();
  g_autoptr(SvServerProfile) profile = NULL;
  g_autoptr(SvDiscovery) discovery = NULL;
  g_autoptr(SvTokenStore) store = NULL;
  g_autoptr(SvAuthorizationRequest) request = NULL;
  g_autoptr(SvSessionBearer) bearer = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) sign_in = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *redirect = NULL;
  const char *fhir_base;

  if (executable == NULL)
    {
      g_test_skip ("smart-sandbox is not built (configure with -Dcompanions=true)");
      return FALSE;
    }
  f->sandbox = sv_sandbox_new (executable, "keycloak");
  g_assert_true (sv_test_sandbox_start (f->sandbox, &error));
  g_assert_no_error (error);
  fhir_base = sv_sandbox_get_fhir_base (f->sandbox);

  f->http = sv_http_session_new ();
  f->control = sv_sandbox_control_new (f->http, fhir_base, &error);
  g_assert_no_error (error);
  /* A sandbox found running may have switches on from someone else. */
  simulate (f, SV_SIMULATE_RESET);

  profile = sv_server_profile_new_from_preset (SV_PRESET_SANDBOX, "Simulate");
  sv_server_profile_set_fhir_base_url (profile, fhir_base);
  sv_server_profile_set_client_id (profile, sv_sandbox_get_client_id (f->sandbox));
  sv_server_profile_set_issuer (profile, sv_sandbox_get_issuer (f->sandbox));
  sv_discovery_fetch_async (profile, f->http, NULL, store_result, &result);
  discovery = sv_discovery_fetch_finish (wait_result (&result, "discovery"), &error);
  g_assert_no_error (error);

  store = sv_token_store_new ();
  f->session = sv_session_new (profile, discovery, f->http, store, NULL);
  /* Refreshes happen because of the faults, not because of a timer. */
  sv_session_set_auto_refresh (f->session, FALSE);
  g_signal_connect (f->session, "sign-in-required", G_CALLBACK (on_sign_in_required), f);

  f->timeline = sv_timeline_new ();
  sv_timeline_set_endpoints (f->timeline, fhir_base, sv_discovery_get_token_endpoint (discovery),
                             sv_discovery_get_revocation_endpoint (discovery));
  sv_timeline_watch_soup_session (f->timeline, f->http);
  f->events = sv_sandbox_events_new (fhir_base);
  sv_timeline_watch_sandbox (f->timeline, f->events);
  g_assert_true (sv_sandbox_events_start (f->events, &error));
  g_assert_no_error (error);

  request = sv_session_new_authorization_request (f->session, "http://127.0.0.1:9/oauth2redirect", &error);
  g_assert_no_error (error);
  sv_timeline_add_authorization_request (f->timeline, request);
  url = sv_authorization_request_dup_url (request);
  redirect = sv_test_sandbox_browse (url, &error);
  g_assert_no_error (error);
  sv_timeline_add_redirect (f->timeline, redirect);
  sv_session_sign_in_async (f->session, request, redirect, NULL, store_result, &sign_in);
  g_assert_true (sv_session_sign_in_finish (f->session, wait_result (&sign_in, "the sign-in"), &error));
  g_assert_no_error (error);
  g_assert_nonnull (sv_session_get_patient (f->session));
  wait_until ((gboolean (*) (gpointer)) sv_sandbox_events_get_connected, f->events, "the sandbox's hello");

  bearer = sv_session_bearer_new (f->session);
  f->client = sv_fhir_client_new (fhir_base, SV_BEARER_SOURCE (bearer), f->http, &error);
  g_assert_no_error (error);
  return TRUE;
}

static void
step_expire (Fixture *f)
{
  g_autoptr(JsonObject) patient = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *steps = NULL;
  guint mark, rejected;

  simulate (f, SV_SIMULATE_EXPIRE_TOKEN);
  mark = n_entries (f);
  patient = read_patient (f, &error);
  g_assert_no_error (error);
  g_assert_nonnull (patient);

  /* A 401, a refresh, and the repeated request succeeds. */
  steps = client_steps (f, mark);
  g_assert_cmpstr (steps, ==, "fhir-request:401 refresh:200 fhir-request:200");
  /* The server side says the sandbox did it, on the rejected request. */
  rejected = find_step (f, mark, SV_TIMELINE_KIND_FHIR_REQUEST, 401);
  wait_server_event (f, 0, "expire", NULL, NULL, 0);
  wait_server_event (f, mark, "validator-invocation", "fault", "expire_access_tokens", rejected);
  wait_server_event (f, mark, "fhir-request", "decision", "denied: token expired (fault switch)", rejected);
  g_assert_cmpuint (f->sign_in_required, ==, 0);
}

static void
step_throttle (Fixture *f)
{
  const char *params[] = { "_id", sv_session_get_patient (f->session), NULL };
  g_autofree char *steps = NULL;
  guint mark;

  simulate (f, SV_SIMULATE_THROTTLE);
  mark = n_entries (f);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(SvFhirSearchResult) found = NULL;
      g_autoptr(GError) error = NULL;

      sv_fhir_client_search_async (f->client, "Patient", params, NULL, store_result, &result);
      found = sv_fhir_client_search_finish (f->client, wait_result (&result, "the search"), &error);
      g_assert_no_error (error);
      g_assert_cmpuint (found->matches->len, ==, 1);
    }
  /* The second search is throttled and retried after Retry-After. */
  steps = client_steps (f, mark);
  g_assert_cmpstr (steps, ==, "fhir-request:200 fhir-request:429 fhir-request:200");
  wait_server_event (f, mark, "fhir-request", "decision", "throttled",
                     find_step (f, mark, SV_TIMELINE_KIND_FHIR_REQUEST, 429));
  simulate (f, SV_SIMULATE_RESET);
}

static void
step_server_error (Fixture *f)
{
  g_autoptr(SvPatientRecord) record = NULL;

  simulate (f, SV_SIMULATE_SERVER_ERROR);
  record = load_record (f);
  g_assert_nonnull (sv_patient_record_get_patient (record));
  g_assert_cmpint (sv_patient_record_get_section_state (record, SV_SECTION_PROBLEMS), ==, SV_SECTION_STATE_ERROR);
  g_assert_nonnull (strstr (sv_patient_record_get_section_message (record, SV_SECTION_PROBLEMS), "500"));
  g_assert_cmpint (sv_patient_record_get_section_state (record, SV_SECTION_MEDICATIONS), ==, SV_SECTION_STATE_OK);
  simulate (f, SV_SIMULATE_RESET);
}

static void
step_slow_validator (Fixture *f)
{
  g_autoptr(JsonObject) patient = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SvPatientRecord) record = NULL;
  const char *message;
  guint mark;

  simulate (f, SV_SIMULATE_SLOW_VALIDATOR);
  mark = n_entries (f);
  patient = read_patient (f, &error);
  g_assert_null (patient);
  g_assert_error (error, SV_ERROR, SV_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, "token validator did not answer in time"));
  g_assert_cmpuint (find_step (f, mark, SV_TIMELINE_KIND_FHIR_REQUEST, 500), !=, 0);
  wait_server_event (f, mark, "validator-invocation", "decision", "timeout", 0);

  /* In the patient view: the sections say the validator was too slow. */
  record = load_record (f);
  message = sv_patient_record_get_section_message (record, SV_SECTION_PROBLEMS);
  g_test_message ("Problems: %s", message);
  g_assert_nonnull (message);
  g_assert_nonnull (strstr (message, "token validator did not answer in time"));
  simulate (f, SV_SIMULATE_RESET);
}

static void
step_revoke (Fixture *f)
{
  g_autoptr(JsonObject) patient = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *steps = NULL;
  guint mark;

  simulate (f, SV_SIMULATE_REVOKE);
  mark = n_entries (f);
  patient = read_patient (f, &error);
  g_assert_null (patient);
  g_assert_error (error, SV_ERROR, SV_ERROR_NOT_SIGNED_IN);

  /* The 401, the refused refresh, and the app asks to sign in again. */
  steps = client_steps (f, mark);
  g_assert_cmpstr (steps, ==, "fhir-request:401 refresh:400");
  g_assert_cmpuint (f->sign_in_required, ==, 1);
  g_assert_nonnull (f->sign_in_reason);
  g_assert_false (sv_session_is_signed_in (f->session));
  wait_server_event (f, 0, "revoke", "reason", "fault switch revoke_sessions", 0);
  wait_server_event (f, mark, "token-error", NULL, NULL, find_step (f, mark, SV_TIMELINE_KIND_REFRESH, 400));
}

static void
test_simulate_sandbox (void)
{
  Fixture f = { 0 };

  if (fixture_set_up (&f))
    {
      step_expire (&f);
      step_throttle (&f);
      step_server_error (&f);
      step_slow_validator (&f);
      step_revoke (&f);
      simulate (&f, SV_SIMULATE_RESET);
      {
        g_autofree char *text = sv_timeline_to_text (f.timeline);

        g_test_message ("%s", text);
      }
    }
  fixture_clear (&f);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/simulate/control", test_simulate_control);
  g_test_add_func ("/simulate/sandbox", test_simulate_sandbox);

  return g_test_run ();
}
