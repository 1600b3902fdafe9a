/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-timeline"

#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "sv-authorization-request.h"
#include "sv-error.h"
#include "sv-http.h"
#include "sv-sandbox.h"
#include "sv-test-sandbox.h"
#include "sv-sandbox-events.h"
#include "sv-timeline.h"

/* The inspector's session timeline (issue 7): the steps the app reports,
 * the requests it makes on a watched session, the sandbox's server events
 * linked to them, the export round trip, and that no token, code,
 * verifier or secret survives anywhere the timeline shows. */

#define WAIT_SECONDS 30

/* Runs the main loop until check() holds, for at most WAIT_SECONDS. */
static void
wait_until (gboolean (*check) (gpointer data),
            gpointer  data,
            const char *what)
{
  sv_test_wait_until (check, data, WAIT_SECONDS, what);
}

static char *
b64url (const char *text)
{
  char *b64 = g_base64_encode ((const guchar *) text, strlen (text));

  g_strdelimit (b64, "+", '-');
  g_strdelimit (b64, "/", '_');
  for (char *p = b64 + strlen (b64); p > b64 && p[-1] == '='; p--)
    p[-1] = '\0';
  return b64;
}

static char *
fake_jwt (const char *claims,
          const char *signature)
{
  g_autofree char *header = b64url ("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}");
  g_autofree char *payload = b64url (claims);

  return g_strdup_printf ("%s.%s.%s", header, payload, signature);
}

static char *
details_text (SvTimelineEntry *entry)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), sv_timeline_entry_get_details (entry));

  return json_to_string (node, FALSE);
}

/* None of @secrets appears in the export, the text, nor any entry's
 * title, URL, details or curl command. */
static void
assert_no_secret (SvTimeline         *timeline,
                  const char * const *secrets)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *export = sv_timeline_export (timeline, &error);
  g_autofree char *text = sv_timeline_to_text (timeline);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (timeline));

  g_assert_no_error (error);
  g_assert_nonnull (export);
  for (guint s = 0; secrets[s] != NULL; s++)
    {
      g_assert_null (strstr (export, secrets[s]));
      g_assert_null (strstr (text, secrets[s]));
    }
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(SvTimelineEntry) entry = g_list_model_get_item (G_LIST_MODEL (timeline), i);
      g_autofree char *details = details_text (entry);
      g_autofree char *curl = sv_timeline_entry_dup_curl (entry);

      for (guint s = 0; secrets[s] != NULL; s++)
        {
          g_assert_null (strstr (details, secrets[s]));
          g_assert_null (strstr (sv_timeline_entry_get_title (entry), secrets[s]));
          if (sv_timeline_entry_get_url (entry) != NULL)
            g_assert_null (strstr (sv_timeline_entry_get_url (entry), secrets[s]));
          if (curl != NULL)
            g_assert_null (strstr (curl, secrets[s]));
        }
    }
}

/* Export, import, export again: the same document. */
static SvTimeline *
assert_round_trip (SvTimeline *timeline)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *first = sv_timeline_export (timeline, &error);
  g_autofree char *second = NULL;
  g_autoptr(SvTimeline) replay = NULL;

  g_assert_no_error (error);
  replay = sv_timeline_new_from_export (first, &error);
  g_assert_no_error (error);
  g_assert_nonnull (replay);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (replay)), ==,
                    g_list_model_get_n_items (G_LIST_MODEL (timeline)));
  second = sv_timeline_export (replay, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (second, ==, first);
  return g_steal_pointer (&replay);
}

static void
test_timeline_steps (void)
{
  g_autoptr(SvTimeline) timeline = sv_timeline_new ();
  g_autoptr(SvTimeline) replay = NULL;
  g_autoptr(SvAuthorizationRequest) request = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupSession) session = sv_http_session_new ();
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *access = fake_jwt ("{\"sub\":\"practitioner-1\",\"scope\":\"launch/patient patient/*.read\","
                                      "\"patient\":\"p-42\"}", "QUNDRVNTU0lHTkFUVVJFLXNlY3JldA");
  g_autofree char *id = fake_jwt ("{\"sub\":\"practitioner-1\",\"fhirUser\":\"Practitioner/1\"}",
                                  "SURUT0tFTlNJR05BVFVSRS1zZWNyZXQ");
  const char *code = "Sp1xAuthCodeQ7wErTy9UiOp";
  g_autofree char *redirect = NULL;
  g_autofree char *export = NULL;
  g_autofree char *curl = NULL;
  g_autofree char *text = NULL;
  SvTimelineEntry *auth, *entry;
  JsonObject *details;
  const char *verifier;
  const char *secrets[8] = { 0 };
  static const char *kinds[] = {
    "authorization-request", "redirect", "token-response", "fhir-request", "error", "error",
  };

  request = sv_authorization_request_new ("https://idp.example/authorize", "workshop-app",
                                          "http://127.0.0.1:9/callback", "launch/patient openid fhirUser",
                                          "https://fhir.example/r4", "https://idp.example", &error);
  g_assert_no_error (error);
  verifier = sv_authorization_request_get_code_verifier (request);
  g_assert_nonnull (verifier);

  auth = sv_timeline_add_authorization_request (timeline, request);
  details = sv_timeline_entry_get_details (auth);
  g_assert_cmpstr (json_object_get_string_member (details, "code_challenge_method"), ==, "S256");
  {
    g_autofree char *challenge = sv_pkce_s256_challenge (verifier);

    g_assert_cmpstr (json_object_get_string_member (details, "code_challenge"), ==, challenge);
  }
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (details, "parameters"), "client_id"),
                   ==, "workshop-app");
  /* Not before the exchange. */
  g_assert_null (sv_timeline_get_verifier_hint (timeline));

  redirect = g_strdup_printf ("http://127.0.0.1:9/callback?code=%s&state=%s", code,
                              sv_authorization_request_get_state (request));
  entry = sv_timeline_add_redirect (timeline, redirect);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (sv_timeline_entry_get_details (entry),
                                                                  "code_shortened"), "Sp1x…"));

  entry = sv_timeline_add_tokens (timeline, access, id);
  sv_timeline_reveal_verifier_after_exchange (timeline);
  g_assert_nonnull (sv_timeline_get_verifier_hint (timeline));
  /* Shortened, for the live view only. */
  {
    g_autofree char *head = g_strndup (verifier, 4);

    g_assert_true (g_str_has_prefix (sv_timeline_get_verifier_hint (timeline), head));
    g_assert_null (strstr (sv_timeline_get_verifier_hint (timeline), verifier));
  }
  g_assert_true (json_object_get_boolean_member (sv_timeline_entry_get_details (auth), "verifier_revealed"));
  details = sv_timeline_entry_get_details (entry);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (
                     json_object_get_object_member (details, "decoded_access_token"), "claims"), "patient"),
                   ==, "p-42");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (
                     json_object_get_object_member (details, "decoded_id_token"), "header"), "alg"),
                   ==, "RS256");

  /* A request on the watched session: curl says $ACCESS_TOKEN. Port 9
   * (discard) is closed on loopback, so there is no answer: an error. */
  sv_timeline_watch_soup_session (timeline, session);
  msg = soup_message_new ("GET", "http://127.0.0.1:9/r4/Patient?_count=2");
  {
    g_autofree char *value = g_strconcat ("Bearer ", access, NULL);

    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", value);
  }
  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_null (body);
  g_assert_nonnull (error);
  g_clear_error (&error);
  entry = sv_timeline_get_entry (timeline, 4);
  g_assert_cmpuint (sv_timeline_entry_get_page (entry), ==, 1);
  g_assert_cmpuint (sv_timeline_entry_get_status (entry), ==, 0);
  curl = sv_timeline_entry_dup_curl (entry);
  g_assert_nonnull (strstr (curl, "$ACCESS_TOKEN"));
  g_assert_nonnull (strstr (curl, "Patient?_count=2"));
  g_assert_cmpuint (sv_timeline_entry_get_link_id (sv_timeline_get_entry (timeline, 5)), ==, 4);

  g_set_error (&error, SV_ERROR, SV_ERROR_INVALID_INPUT, "refused: Authorization: Bearer %s", access);
  sv_timeline_add_error (timeline, error);
  g_clear_error (&error);

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (timeline)), ==, G_N_ELEMENTS (kinds));
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    g_assert_cmpstr (sv_timeline_kind_to_string (sv_timeline_entry_get_kind (sv_timeline_get_entry (timeline, i + 1))),
                     ==, kinds[i]);

  /* The redaction test: the tokens, their signatures, the code, the
   * verifier and the state-independent secrets are nowhere. */
  secrets[0] = access;
  secrets[1] = id;
  secrets[2] = strrchr (access, '.') + 1;
  secrets[3] = strrchr (id, '.') + 1;
  secrets[4] = code;
  secrets[5] = verifier;
  assert_no_secret (timeline, secrets);
  export = sv_timeline_export (timeline, &error);
  g_assert_no_error (error);
  g_assert_null (strstr (export, sv_timeline_get_verifier_hint (timeline)));
  text = sv_timeline_to_text (timeline);
  g_assert_nonnull (strstr (text, "authorization-request"));
  g_test_message ("%s", text);

  replay = assert_round_trip (timeline);
  assert_no_secret (replay, secrets);
  g_assert_cmpuint (sv_timeline_entry_get_link_id (sv_timeline_get_entry (replay, 5)), ==, 4);
}

/* Ids of the list, in list order. */
static char *
list_ids (SvTimeline *timeline)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (timeline)); i++)
    {
      g_autoptr(SvTimelineEntry) entry = g_list_model_get_item (G_LIST_MODEL (timeline), i);

      g_string_append_printf (out, "%s%u", i > 0 ? " " : "", sv_timeline_entry_get_id (entry));
    }
  return g_string_free (out, FALSE);
}

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  GString    *changes)
{
  g_string_append_printf (changes, "%s%u-%u+%u", changes->len > 0 ? " " : "", position, removed, added);
}

static SvTimelineEntry *
add_step (SvTimeline     *timeline,
          SvTimelineKind  kind,
          const char     *title,
          guint           link_id)
{
  g_autoptr(SvTimelineEntry) entry = sv_timeline_entry_new (kind, title);

  sv_timeline_entry_set_link_id (entry, link_id);
  sv_timeline_add (timeline, entry);
  return entry;
}

/* Linked entries are listed under the entry they are linked to, whatever
 * came in between; unlinked ones stay in time order; the view hears of
 * exactly the rows that changed; the replay lists the same. */
static void
test_timeline_grouping (void)
{
  g_autoptr(SvTimeline) timeline = sv_timeline_new ();
  g_autoptr(SvTimeline) replay = NULL;
  g_autoptr(GString) changes = g_string_new (NULL);
  g_autofree char *ids = NULL;
  g_autofree char *replay_ids = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(SvTimelineEntry) late = NULL;

  g_signal_connect (timeline, "items-changed", G_CALLBACK (on_items_changed), changes);
  add_step (timeline, SV_TIMELINE_KIND_FHIR_REQUEST, "GET Condition", 0);            /* #1 */
  add_step (timeline, SV_TIMELINE_KIND_FHIR_REQUEST, "GET MedicationStatement", 0);  /* #2 */
  add_step (timeline, SV_TIMELINE_KIND_FHIR_REQUEST, "GET MedicationRequest", 0);    /* #3 */
  add_step (timeline, SV_TIMELINE_KIND_SERVER_EVENT, "for #2", 2);                   /* #4 */
  add_step (timeline, SV_TIMELINE_KIND_SERVER_EVENT, "for #1", 1);                   /* #5 */
  add_step (timeline, SV_TIMELINE_KIND_SERVER_EVENT, "IdP: login", 0);               /* #6 */
  add_step (timeline, SV_TIMELINE_KIND_SERVER_EVENT, "for #1 again", 1);             /* #7 */
  add_step (timeline, SV_TIMELINE_KIND_ERROR, "for #5, so in #1's group", 5);        /* #8 */
  ids = list_ids (timeline);
  g_assert_cmpstr (ids, ==, "1 5 7 8 2 4 3 6");
  g_assert_cmpstr (changes->str, ==, "0-0+1 1-0+1 2-0+1 2-0+1 1-0+1 5-0+1 2-0+1 3-0+1");

  /* Linked late (a validator event waits for its request's event): it moves. */
  g_string_truncate (changes, 0);
  late = g_object_ref (add_step (timeline, SV_TIMELINE_KIND_SERVER_EVENT, "validator, not linked yet", 0)); /* #9 */
  sv_timeline_entry_set_link_id (late, 3);
  g_clear_pointer (&ids, g_free);
  ids = list_ids (timeline);
  g_assert_cmpstr (ids, ==, "1 5 7 8 2 4 3 9 6");
  g_assert_cmpstr (changes->str, ==, "8-0+1 7-2+2");
  g_assert_true (sv_timeline_get_entry (timeline, 9) == late);

  /* The text follows the list; the export keeps id order, the replay groups again. */
  text = sv_timeline_to_text (timeline);
  lines = g_strsplit (text, "\n", -1);
  g_assert_true (g_str_has_prefix (lines[1], "#5 "));
  g_assert_true (g_str_has_suffix (lines[1], "(for #1)"));
  g_assert_true (g_str_has_prefix (lines[8], "#6 "));
  replay = assert_round_trip (timeline);
  replay_ids = list_ids (replay);
  g_assert_cmpstr (replay_ids, ==, ids);

  /* Clear: empty, and the next entry is #1 again. */
  g_string_truncate (changes, 0);
  sv_timeline_clear (timeline);
  g_assert_cmpstr (changes->str, ==, "0-9+0");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (timeline)), ==, 0);
  g_assert_null (sv_timeline_get_entry (timeline, 1));
  sv_timeline_entry_set_link_id (late, 1);   /* an old entry no longer moves anything */
  g_assert_cmpuint (sv_timeline_entry_get_id (sv_timeline_add_sign_in (timeline, "Offline sandbox")), ==, 1);
  g_assert_cmpstr (sv_timeline_entry_get_title (sv_timeline_get_entry (timeline, 1)), ==, "Sign-in to Offline sandbox");
  g_assert_cmpint (sv_timeline_entry_get_kind (sv_timeline_get_entry (timeline, 1)), ==, SV_TIMELINE_KIND_SECTION);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (timeline)), ==, 1);
}

static JsonObject *
event_from (const char *json)
{
  g_autoptr(JsonNode) node = json_from_string (json, NULL);

  g_assert_nonnull (node);
  return json_object_ref (json_node_get_object (node));
}

static void
send_event (SvSandboxEvents *events,
            const char      *json)
{
  g_autoptr(JsonObject) event = event_from (json);

  g_signal_emit_by_name (events, "event", event);
}

/* The signing keys, the fault switches and FHIR requests are told apart by
 * what discovery said; server events get short titles and sit under the
 * request they are for. Port 9 (discard) is closed on loopback: each
 * request ends in a "No response" error, under its request too. */
static void
test_timeline_classify (void)
{
  g_autoptr(SvTimeline) timeline = sv_timeline_new ();
  g_autoptr(SoupSession) session = sv_http_session_new ();
  g_autoptr(SvSandboxEvents) events = sv_sandbox_events_new ("http://127.0.0.1:9/r4/");
  static const struct { const char *method; const char *url; SvTimelineKind kind; const char *title; } requests[] = {
    { "GET", "http://127.0.0.1:9/realms/smart/protocol/openid-connect/certs", SV_TIMELINE_KIND_DISCOVERY,
      "Signing keys (JWKS)" },
    { "POST", "http://127.0.0.1:9/_sandbox/faults", SV_TIMELINE_KIND_SIMULATE, "Fault switches: POST" },
    { "DELETE", "http://127.0.0.1:9/_sandbox/faults", SV_TIMELINE_KIND_SIMULATE, "Fault switches: DELETE" },
    { "GET", "http://127.0.0.1:9/r4/Condition?patient=p1", SV_TIMELINE_KIND_FHIR_REQUEST, "GET Condition?patient=p1" },
    { "GET", "http://127.0.0.1:9/r4/certs", SV_TIMELINE_KIND_FHIR_REQUEST, "GET certs" },
  };
  static const struct { const char *json; const char *title; guint link; } server[] = {
    { "{\"kind\":\"validator-invocation\",\"decision\":\"allow\",\"latency_us\":900}", "Validator: allowed · 0.9 ms", 7 },
    { "{\"kind\":\"fhir-request\",\"method\":\"GET\",\"path\":\"/r4/Condition\",\"resourceType\":\"Condition\","
      "\"status\":200,\"decision\":\"allowed\",\"latency_us\":1500}", "Scope check: Condition search allowed", 7 },
    { "{\"kind\":\"login\",\"username\":\"clinician\"}", "IdP: login", 0 },
    { "{\"kind\":\"validator-invocation\",\"decision\":\"deny\",\"fault\":\"expire_access_tokens\","
      "\"reason\":\"the access token has expired\"}", "Validator: denied — token expired (fault switch)", 0 },
    { "{\"kind\":\"token-error\",\"error\":\"invalid_grant\"}", "IdP: token refused — invalid_grant", 0 },
    { "{\"kind\":42,\"status\":\"two hundred\",\"latency_us\":\"slow\",\"decision\":[1]}", "Server: event", 0 },
  };
  SvTimelineEntry *simulated;
  guint n;

  sv_timeline_set_endpoints (timeline, "http://127.0.0.1:9/r4/", NULL, NULL);
  sv_timeline_set_jwks_uri (timeline, "http://127.0.0.1:9/realms/smart/protocol/openid-connect/certs");
  sv_timeline_watch_soup_session (timeline, session);
  sv_timeline_watch_sandbox (timeline, events);

  for (guint i = 0; i < G_N_ELEMENTS (requests); i++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new (requests[i].method, requests[i].url);
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) body = soup_session_send_and_read (session, msg, NULL, &error);
      SvTimelineEntry *entry = sv_timeline_get_entry (timeline, 2 * i + 1);

      g_assert_nonnull (error);
      g_assert_nonnull (entry);
      g_assert_cmpint (sv_timeline_entry_get_kind (entry), ==, requests[i].kind);
      g_assert_cmpstr (sv_timeline_entry_get_title (entry), ==, requests[i].title);
      g_assert_cmpuint (sv_timeline_entry_get_link_id (sv_timeline_get_entry (timeline, 2 * i + 2)), ==, 2 * i + 1);
    }
  simulated = sv_timeline_add_simulated (timeline, "Expire Token Now", "The next request gets 401.");
  g_assert_cmpint (sv_timeline_entry_get_kind (simulated), ==, SV_TIMELINE_KIND_SIMULATE);
  g_assert_cmpuint (sv_timeline_entry_get_link_id (simulated), ==, 5);   /* the latest fault-switch request */

  n = g_list_model_get_n_items (G_LIST_MODEL (timeline));
  for (guint i = 0; i < G_N_ELEMENTS (server); i++)
    send_event (events, server[i].json);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (timeline)), ==, n + G_N_ELEMENTS (server));
  for (guint i = 0; i < G_N_ELEMENTS (server); i++)
    {
      SvTimelineEntry *entry = sv_timeline_get_entry (timeline, n + i + 1);

      g_assert_cmpstr (sv_timeline_entry_get_title (entry), ==, server[i].title);
      if (server[i].link != 0)
        g_assert_cmpuint (sv_timeline_entry_get_link_id (entry), ==, server[i].link);
    }
  /* Under the Condition search (#7), after its "No response" (#8). */
  {
    g_autofree char *ids = list_ids (timeline);

    g_assert_cmpstr (ids, ==, "1 2 3 4 5 6 11 7 8 12 13 9 10 14 15 16 17");
  }
}

static void
test_timeline_import_errors (void)
{
  static const char *bad[] = {
    "", "[]", "{\"format\":\"other\",\"version\":1,\"entries\":[]}",
    "{\"format\":\"smart-viewer-timeline\",\"version\":1}",
    "{\"format\":\"smart-viewer-timeline\",\"version\":1,\"entries\":[{\"kind\":\"nonsense\"}]}",
    "{\"format\":\"smart-viewer-timeline\",\"version\":1,\"entries\":[1]}",
    "{\"format\":\"smart-viewer-timeline\",\"version\":99,\"entries\":[]}",
  };
  g_autoptr(SvTimeline) edited = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *jwt = fake_jwt ("{\"sub\":\"x\"}", "SElEREVOU0lHTkFUVVJF");
  g_autofree char *doc = NULL;
  g_autofree char *export = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(SvTimeline) timeline = sv_timeline_new_from_export (bad[i], &error);

      g_assert_null (timeline);
      g_assert_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT);
      g_clear_error (&error);
    }

  /* A hand-edited file with a token in it: redacted on the way in. */
  doc = g_strdup_printf ("{\"format\":\"smart-viewer-timeline\",\"version\":1,\"entries\":["
                         "{\"kind\":\"fhir-request\",\"title\":\"GET with %s\",\"method\":\"GET\","
                         "\"url\":\"http://127.0.0.1/r4/Patient?access_token=%s\",\"status\":200,"
                         "\"details\":{\"access_token\":\"%s\",\"note\":\"Bearer %s\"}}]}",
                         jwt, jwt, jwt, jwt);
  edited = sv_timeline_new_from_export (doc, &error);
  g_assert_no_error (error);
  export = sv_timeline_export (edited, &error);
  g_assert_no_error (error);
  g_assert_null (strstr (export, "SElEREVOU0lHTkFUVVJF"));
  g_assert_null (strstr (export, jwt));
  g_assert_cmpuint (sv_timeline_entry_get_status (sv_timeline_get_entry (edited, 1)), ==, 200);
}

/* Against the real sandbox. */

static gboolean
is_connected (gpointer data)
{
  return sv_sandbox_events_get_connected (data);
}

static char *
next_link (const char *bundle_text)
{
  g_autoptr(JsonNode) root = json_from_string (bundle_text, NULL);
  JsonArray *links;

  g_assert_nonnull (root);
  links = json_object_get_array_member (json_node_get_object (root), "link");
  for (guint i = 0; links != NULL && i < json_array_get_length (links); i++)
    {
      JsonObject *link = json_array_get_object_element (links, i);

      if (g_strcmp0 (json_object_get_string_member (link, "relation"), "next") == 0)
        return g_strdup (json_object_get_string_member (link, "url"));
    }
  return NULL;
}

typedef struct
{
  SvTimeline *timeline;
  guint       wanted;
} LinkWait;

/* Every 200 client fhir-request has its server fhir-request event. */
static gboolean
all_linked (gpointer data)
{
  LinkWait *wait = data;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (wait->timeline)), linked = 0;

  for (guint i = 0; i < n; i++)
    {
      SvTimelineEntry *entry = sv_timeline_get_entry (wait->timeline, i + 1);
      JsonObject *details = sv_timeline_entry_get_details (entry);

      if (sv_timeline_entry_get_kind (entry) == SV_TIMELINE_KIND_SERVER_EVENT &&
          sv_timeline_entry_get_link_id (entry) != 0 &&
          g_strcmp0 (json_object_get_string_member_with_default (
                       json_object_get_object_member (details, "event"), "kind", NULL), "fhir-request") == 0)
        linked++;
    }
  return linked >= wait->wanted;
}

static const char *
event_kind (SvTimelineEntry *entry)
{
  JsonObject *details = sv_timeline_entry_get_details (entry);

  if (!json_object_has_member (details, "event"))
    return NULL;
  return json_object_get_string_member_with_default (json_object_get_object_member (details, "event"), "kind", NULL);
}

static void
test_timeline_sandbox (void)
{
  g_autofree char *executable = sv_sandbox_find_executable ();
  g_autoptr(SvSandbox) sandbox = NULL;
  g_autoptr(SvSandboxEvents) events = NULL;
  g_autoptr(SvTimeline) timeline = NULL;
  g_autoptr(SvTimeline) replay = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(GKeyFile) ini = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) token_response = NULL;
  g_autofree char *ini_path = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *escaped_secret = NULL;
  g_autofree char *url = NULL;
  g_autofree char *token_url = NULL;
  g_autofree char *form = NULL;
  g_autofree char *body = NULL;
  g_autofree char *access_token = NULL;
  const char *secrets[4] = { 0 };
  guint client_requests[3] = { 0 };
  guint n_client = 0, n;
  LinkWait wait;

  if (executable == NULL)
    {
      g_test_skip ("smart-sandbox is not built (configure with -Dcompanions=true)");
      return;
    }

  sandbox = sv_sandbox_new (executable, "keycloak");
  {
    g_autoptr(GError) start_error = NULL;

    g_assert_true (sv_test_sandbox_start (sandbox, &start_error));
    g_assert_no_error (start_error);
  }

  ini_path = g_build_filename (g_get_user_data_dir (), "smart-sandbox", "keycloak", "sandbox.ini", NULL);
  ini = g_key_file_new ();
  if (!sv_sandbox_get_owned (sandbox) && !g_file_test (ini_path, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("a sandbox of another data dir is already running");
      return;
    }
  g_assert_true (g_key_file_load_from_file (ini, ini_path, G_KEY_FILE_NONE, &error));
  g_assert_no_error (error);
  secret = g_key_file_get_string (ini, "sandbox", "backend_client_secret", &error);
  g_assert_no_error (error);

  timeline = sv_timeline_new ();
  session = sv_http_session_new ();
  sv_timeline_set_endpoints (timeline, sv_sandbox_get_fhir_base (sandbox), NULL, NULL);
  sv_timeline_watch_soup_session (timeline, session);
  events = sv_sandbox_events_new (sv_sandbox_get_fhir_base (sandbox));
  sv_timeline_watch_sandbox (timeline, events);
  g_assert_true (sv_sandbox_events_start (events, &error));
  g_assert_no_error (error);
  wait_until (is_connected, events, "the sandbox's hello");

  /* Discovery, then a token for the backend client, on the watched session. */
  {
    g_autofree char *discovery = g_strconcat (sv_sandbox_get_issuer (sandbox), "/.well-known/openid-configuration", NULL);

    g_assert_cmpuint (sv_test_http_request (session, SOUP_METHOD_GET, discovery, NULL, NULL, NULL), ==, 200);
  }
  token_url = g_strconcat (sv_sandbox_get_issuer (sandbox), "/protocol/openid-connect/token", NULL);
  escaped_secret = g_uri_escape_string (secret, NULL, FALSE);
  form = g_strdup_printf ("grant_type=client_credentials&client_id=smart-backend&client_secret=%s"
                          "&scope=system%%2FPatient.read", escaped_secret);
  g_assert_cmpuint (sv_test_http_request (session, SOUP_METHOD_POST, token_url, NULL, form, &body), ==, 200);
  token_response = json_from_string (body, &error);
  g_assert_no_error (error);
  access_token = g_strdup (json_object_get_string_member (json_node_get_object (token_response), "access_token"));
  g_assert_nonnull (access_token);
  sv_timeline_add_tokens (timeline, access_token, NULL);

  /* A search, paged through its next links. */
  url = g_strconcat (sv_sandbox_get_fhir_base (sandbox), "Patient?_count=2", NULL);
  for (guint page = 0; page < 3 && url != NULL; page++)
    {
      g_autofree char *bundle = NULL;

      g_assert_cmpuint (sv_test_http_request (session, SOUP_METHOD_GET, url, access_token, NULL, &bundle), ==, 200);
      g_free (url);
      url = next_link (bundle);
      n_client++;
    }
  g_assert_cmpuint (n_client, ==, 3);

  wait.timeline = timeline;
  wait.wanted = n_client;
  wait_until (all_linked, &wait, "the server events of the searches");

  /* The client side, in order: token request, token response, the pages. */
  n = g_list_model_get_n_items (G_LIST_MODEL (timeline));
  g_assert_cmpint (sv_timeline_entry_get_kind (sv_timeline_get_entry (timeline, 1)), ==, SV_TIMELINE_KIND_DISCOVERY);
  g_assert_cmpuint (sv_timeline_entry_get_status (sv_timeline_get_entry (timeline, 1)), ==, 200);
  g_assert_cmpint (sv_timeline_entry_get_kind (sv_timeline_get_entry (timeline, 2)), ==, SV_TIMELINE_KIND_TOKEN_REQUEST);
  g_assert_cmpuint (sv_timeline_entry_get_status (sv_timeline_get_entry (timeline, 2)), ==, 200);
  g_assert_false (sv_timeline_entry_get_has_bearer (sv_timeline_get_entry (timeline, 2)));
  g_assert_cmpint (sv_timeline_entry_get_kind (sv_timeline_get_entry (timeline, 3)), ==, SV_TIMELINE_KIND_TOKEN_RESPONSE);
  n_client = 0;
  for (guint id = 4; id <= n; id++)
    {
      SvTimelineEntry *entry = sv_timeline_get_entry (timeline, id);

      if (sv_timeline_entry_get_kind (entry) != SV_TIMELINE_KIND_FHIR_REQUEST)
        continue;
      g_assert_cmpuint (n_client, <, 3);
      g_assert_cmpuint (sv_timeline_entry_get_status (entry), ==, 200);
      g_assert_cmpuint (sv_timeline_entry_get_page (entry), ==, n_client + 1);
      g_assert_cmpint (sv_timeline_entry_get_duration_us (entry), >=, 0);
      g_assert_cmpint (sv_timeline_entry_get_bytes (entry), >, 0);
      g_assert_true (sv_timeline_entry_get_has_bearer (entry));
      client_requests[n_client++] = id;
    }
  g_assert_cmpuint (n_client, ==, 3);

  /* The server side: each page's fhir-request event and validator
   * invocation are linked to that page's request, in the same order. */
  for (guint i = 0; i < 3; i++)
    {
      guint fhir = 0, validator = 0;

      for (guint id = 1; id <= n; id++)
        {
          SvTimelineEntry *entry = sv_timeline_get_entry (timeline, id);

          if (sv_timeline_entry_get_kind (entry) != SV_TIMELINE_KIND_SERVER_EVENT ||
              sv_timeline_entry_get_link_id (entry) != client_requests[i])
            continue;
          g_assert_cmpuint (id, >, client_requests[i]);
          if (g_strcmp0 (event_kind (entry), "fhir-request") == 0)
            fhir++;
          else if (g_strcmp0 (event_kind (entry), "validator-invocation") == 0)
            validator++;
        }
      g_assert_cmpuint (fhir, ==, 1);
      g_assert_cmpuint (validator, ==, 1);
    }

  /* The token-issued event belongs to the token request. */
  {
    gboolean found = FALSE;

    for (guint id = 1; id <= n; id++)
      if (g_strcmp0 (event_kind (sv_timeline_get_entry (timeline, id)), "token-issued") == 0)
        {
          g_assert_cmpuint (sv_timeline_entry_get_link_id (sv_timeline_get_entry (timeline, id)), ==, 2);
          found = TRUE;
        }
    g_assert_true (found);
  }

  /* Revocation: the form (token, secret) is never seen, the step is. */
  {
    g_autofree char *revoke_url = g_strconcat (sv_sandbox_get_issuer (sandbox), "/protocol/openid-connect/revoke", NULL);
    g_autofree char *revoke_form = g_strdup_printf ("token=%s&client_id=smart-backend&client_secret=%s",
                                                    access_token, escaped_secret);
    SvTimelineEntry *last;

    sv_test_http_request (session, SOUP_METHOD_POST, revoke_url, NULL, revoke_form, NULL);
    last = sv_timeline_get_entry (timeline, g_list_model_get_n_items (G_LIST_MODEL (timeline)));
    g_assert_cmpint (sv_timeline_entry_get_kind (last), ==, SV_TIMELINE_KIND_REVOCATION);
    g_assert_cmpuint (sv_timeline_entry_get_status (last), !=, 0);
  }

  sv_sandbox_events_stop (events);
  {
    g_autofree char *text = sv_timeline_to_text (timeline);

    g_test_message ("%s", text);
  }

  secrets[0] = access_token;
  secrets[1] = strrchr (access_token, '.') + 1;
  secrets[2] = secret;
  assert_no_secret (timeline, secrets);
  replay = assert_round_trip (timeline);
  assert_no_secret (replay, secrets);

  sv_sandbox_stop (sandbox);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/timeline/steps", test_timeline_steps);
  g_test_add_func ("/timeline/import-errors", test_timeline_import_errors);
  g_test_add_func ("/timeline/grouping", test_timeline_grouping);
  g_test_add_func ("/timeline/classify", test_timeline_classify);
  g_test_add_func ("/timeline/sandbox", test_timeline_sandbox);

  return g_test_run ();
}
