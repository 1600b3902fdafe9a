/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-sandbox-events"

#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "sv-error.h"
#include "sv-sandbox.h"
#include "sv-test-sandbox.h"
#include "sv-sandbox-events.h"

/* The server side of the inspector: the events client against an in-test
 * server (redaction, reconnection, refusal of anything not on loopback) and
 * against the real smart-sandbox running the real validator. */

#define WAIT_SECONDS 30

typedef struct
{
  GPtrArray *events;   /* JsonObject*, in arrival order */
  GPtrArray *texts;    /* the same, serialised */
} Collector;

static void
on_event (SvSandboxEvents *events,
          JsonObject      *event,
          Collector       *c)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), event);

  g_ptr_array_add (c->events, json_object_ref (event));
  g_ptr_array_add (c->texts, json_to_string (node, FALSE));
}

static void
collector_init (Collector *c)
{
  c->events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  c->texts = g_ptr_array_new_with_free_func (g_free);
}

static void
collector_clear (Collector *c)
{
  g_clear_pointer (&c->events, g_ptr_array_unref);
  g_clear_pointer (&c->texts, g_ptr_array_unref);
}

static gboolean
on_wait_timeout (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until check() holds, for at most WAIT_SECONDS. */
static void
wait_until (gboolean (*check) (gpointer data),
            gpointer  data,
            const char *what)
{
  sv_test_wait_until (check, data, WAIT_SECONDS, what);
}

static void
spin (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, on_wait_timeout, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static gboolean
is_connected (gpointer data)
{
  return sv_sandbox_events_get_connected (data);
}

static void
test_events_loopback_only (void)
{
  static const struct { const char *base; const char *url; } cases[] = {
    { "http://127.0.0.1:8400/datastore/0123/r4/", "http://127.0.0.1:8400/_sandbox/events" },
    { "http://127.0.0.2:9/r4/", "http://127.0.0.2:9/_sandbox/events" },
    { "http://[::1]:8400/r4/", "http://[::1]:8400/_sandbox/events" },
    { "http://localhost/r4/", "http://localhost/_sandbox/events" },
    { "https://127.0.0.1:8443/r4/?x=1", "https://127.0.0.1:8443/_sandbox/events" },
    { "https://fhir.example.org/r4/", NULL },
    { "http://127.0.0.1.evil.example/r4/", NULL },
    { "http://user:pw@127.0.0.1/r4/", NULL },
    { "http://10.0.0.1:8400/r4/", NULL },
    { "file:///tmp/r4/", NULL },
    { "ftp://127.0.0.1/r4/", NULL },
    { "not a url", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *url = sv_sandbox_events_url_for_base (cases[i].base, &error);
      g_autoptr(SvSandboxEvents) events = sv_sandbox_events_new (cases[i].base);
      g_autoptr(GError) start_error = NULL;

      g_assert_cmpstr (url, ==, cases[i].url);
      if (cases[i].url != NULL)
        {
          g_assert_no_error (error);
          continue;
        }
      g_assert_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT);
      g_assert_false (sv_sandbox_events_start (events, &start_error));
      g_assert_error (start_error, SV_ERROR, SV_ERROR_INVALID_INPUT);
      g_assert_false (sv_sandbox_events_get_running (events));
    }
}

/* An in-test server whose stream says hello, sends one event (with a
 * token in it that the sandbox would never send) and a broken line, then
 * ends: the client must redact, skip, and connect again. */

static const char fake_jwt[] =
  "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzZWNyZXQtc3ViamVjdCJ9.c2lnbmF0dXJlLXRoYXQtbXVzdC1ub3QtbGVhaw";

typedef struct
{
  guint connections;
} FakeServer;

static void
fake_events_handler (SoupServer        *server,
                     SoupServerMessage *msg,
                     const char        *path,
                     GHashTable        *query,
                     gpointer           user_data)
{
  FakeServer *fake = user_data;
  g_autofree char *body = NULL;

  fake->connections++;
  body = g_strdup_printf ("{\"kind\":\"hello\"}\n"
                          "{\"time\":\"2026-12-04T10:00:00Z\",\"kind\":\"validator-invocation\",\"n\":%u,"
                          "\"event\":{\"bearerToken\":\"%s\"},\"note\":\"Authorization: Bearer %s\"}\n"
                          "this line is not JSON\n"
                          "[1,2]\n",
                          fake->connections, fake_jwt, fake_jwt);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/x-ndjson", SOUP_MEMORY_COPY,
                                    body, strlen (body));
}

static gboolean
has_two_events (gpointer data)
{
  return ((Collector *) data)->events->len >= 2;
}

static void
test_events_reconnect (void)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(SvSandboxEvents) events = NULL;
  g_autofree char *base = NULL;
  GSList *uris;
  FakeServer fake = { 0 };
  Collector c;

  collector_init (&c);
  soup_server_add_handler (server, "/_sandbox/events", fake_events_handler, &fake, NULL);
  g_assert_true (soup_server_listen (server, address, 0, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  base = g_strdup_printf ("http://127.0.0.1:%d/datastore/abc/r4/", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  events = sv_sandbox_events_new (base);
  g_signal_connect (events, "event", G_CALLBACK (on_event), &c);
  g_assert_true (sv_sandbox_events_start (events, &error));
  g_assert_no_error (error);
  g_assert_true (sv_sandbox_events_get_running (events));

  /* The second event can only come from a second connection. */
  wait_until (has_two_events, &c, "two connections");
  g_assert_cmpuint (fake.connections, >=, 2);
  for (guint i = 0; i < 2; i++)
    {
      JsonObject *event = c.events->pdata[i];
      const char *text = c.texts->pdata[i];

      g_assert_cmpstr (json_object_get_string_member (event, "kind"), ==, "validator-invocation");
      g_assert_cmpint (json_object_get_int_member (event, "n"), ==, i + 1);
      g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (event, "event"), "bearerToken"),
                       ==, "[redacted bearer_token]");
      g_assert_cmpstr (json_object_get_string_member (event, "note"), ==, "Authorization: Bearer [redacted access_token]");
      g_assert_null (strstr (text, "c2lnbmF0dXJl"));
      g_assert_null (strstr (text, "eyJzdWIi"));
    }

  /* After stop() nothing more arrives, however long one waits. */
  sv_sandbox_events_stop (events);
  g_assert_false (sv_sandbox_events_get_running (events));
  g_assert_false (sv_sandbox_events_get_connected (events));
  {
    guint seen = c.events->len;
    guint connections = fake.connections;

    spin (1500);
    g_assert_cmpuint (c.events->len, ==, seen);
    g_assert_cmpuint (fake.connections, ==, connections);
  }
  collector_clear (&c);
}

/* Against the real sandbox. */

static gint
find_event (Collector  *c,
            guint       from,
            const char *kind,
            gint64      status)
{
  for (guint i = from; i < c->events->len; i++)
    {
      JsonObject *event = c->events->pdata[i];

      if (g_strcmp0 (json_object_get_string_member_with_default (event, "kind", NULL), kind) != 0)
        continue;
      if (status != 0 && json_object_get_int_member_with_default (event, "status", 0) != status)
        continue;
      return (gint) i;
    }
  return -1;
}

static gboolean
has_authorized_request (gpointer data)
{
  return find_event (data, 0, "fhir-request", 200) >= 0;
}

static void
test_events_sandbox (void)
{
  g_autofree char *executable = sv_sandbox_find_executable ();
  g_autoptr(SvSandbox) sandbox = NULL;
  g_autoptr(SvSandboxEvents) events = NULL;
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
  const char *access_token, *signature;
  gint unauthorized, issued, invocation, authorized;
  JsonObject *validator;
  Collector c;

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

  /* The backend client's secret is in the data dir of the sandbox, which
   * for a sandbox started by the app is under the (throw-away) XDG data
   * dir. */
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

  collector_init (&c);
  events = sv_sandbox_events_new (sv_sandbox_get_fhir_base (sandbox));
  g_signal_connect (events, "event", G_CALLBACK (on_event), &c);
  g_assert_true (sv_sandbox_events_start (events, &error));
  g_assert_no_error (error);
  wait_until (is_connected, events, "the sandbox's hello");

  session = soup_session_new ();
  url = g_strconcat (sv_sandbox_get_fhir_base (sandbox), "Patient?_count=1", NULL);

  /* 1. No token: refused before any validator runs. */
  g_assert_cmpuint (sv_test_http_request (session, SOUP_METHOD_GET, url, NULL, NULL, NULL), ==, 401);

  /* 2. A token for the backend client. */
  token_url = g_strconcat (sv_sandbox_get_issuer (sandbox), "/protocol/openid-connect/token", NULL);
  escaped_secret = g_uri_escape_string (secret, NULL, FALSE);
  form = g_strdup_printf ("grant_type=client_credentials&client_id=smart-backend&client_secret=%s"
                          "&scope=system%%2FPatient.read", escaped_secret);
  g_assert_cmpuint (sv_test_http_request (session, SOUP_METHOD_POST, token_url, NULL, form, &body), ==, 200);
  token_response = json_from_string (body, &error);
  g_assert_no_error (error);
  access_token = json_object_get_string_member (json_node_get_object (token_response), "access_token");
  g_assert_nonnull (access_token);
  signature = strrchr (access_token, '.');
  g_assert_nonnull (signature);
  signature++;

  /* 3. The same request with the token: the validator decides. */
  g_assert_cmpuint (sv_test_http_request (session, SOUP_METHOD_GET, url, access_token, NULL, NULL), ==, 200);

  wait_until (has_authorized_request, &c, "the authorized request's event");

  /* In order: the refusal, the token, the validator, the answer. */
  unauthorized = find_event (&c, 0, "fhir-request", 401);
  g_assert_cmpint (unauthorized, >=, 0);
  issued = find_event (&c, unauthorized + 1, "token-issued", 0);
  g_assert_cmpint (issued, >, unauthorized);
  invocation = find_event (&c, issued + 1, "validator-invocation", 0);
  g_assert_cmpint (invocation, >, issued);
  authorized = find_event (&c, invocation + 1, "fhir-request", 200);
  g_assert_cmpint (authorized, >, invocation);
  /* The refused request never reached the validator. */
  g_assert_cmpint (find_event (&c, unauthorized, "validator-invocation", 0), ==, invocation);

  validator = c.events->pdata[invocation];
  g_assert_cmpstr (json_object_get_string_member (validator, "decision"), ==, "allow");
  g_assert_true (json_object_get_boolean_member (validator, "isAuthorized"));
  g_assert_cmpstr (json_object_get_string_member (validator, "scope"), ==, "system/Patient.read");
  g_assert_nonnull (json_object_get_string_member (validator, "requestId"));
  g_assert_true (json_object_has_member (validator, "latency_us"));
  g_assert_cmpstr (json_object_get_string_member (c.events->pdata[authorized], "grantedBy"), ==, "system/Patient.read");
  g_assert_cmpstr (json_object_get_string_member (c.events->pdata[issued], "client_id"), ==, "smart-backend");
  g_assert_nonnull (json_object_get_string_member (c.events->pdata[issued], "time"));

  /* No event holds the token, its signature or the client's secret. */
  for (guint i = 0; i < c.texts->len; i++)
    {
      const char *text = c.texts->pdata[i];

      g_assert_null (strstr (text, access_token));
      g_assert_null (strstr (text, signature));
      g_assert_null (strstr (text, secret));
      g_assert_null (strstr (text, "[redacted"));
    }

  sv_sandbox_events_stop (events);
  sv_sandbox_stop (sandbox);
  collector_clear (&c);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sandbox-events/loopback-only", test_events_loopback_only);
  g_test_add_func ("/sandbox-events/reconnect", test_events_reconnect);
  g_test_add_func ("/sandbox-events/sandbox", test_events_sandbox);

  return g_test_run ();
}
