/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-sandbox-events"

#include "config.h"

#include "sv-sandbox-events.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>
#include <string.h>

#include "sv-error.h"
#include "sv-redact.h"

/* Reads smart-sandbox's `GET {root}/_sandbox/events` stream (JSON lines)
 * so the inspector can show the server side of each step: validator
 * invocations, scope decisions, tokens issued. The sandbox serves it to
 * loopback peers only, and this client only ever asks a loopback address,
 * with no proxy and no redirects, so the stream cannot be pointed anywhere
 * else. The sandbox promises that no event holds a token; every event still
 * goes through sv_redact_json() before anyone sees it, because the inspector
 * must not depend on a promise of another program.
 *
 * When the stream ends while the client runs (the sandbox restarted, a
 * connection dropped), it connects again after a pause that doubles up to
 * MAX_BACKOFF_MS, and starts over at INITIAL_BACKOFF_MS once the sandbox
 * says hello again. */

#define INITIAL_BACKOFF_MS 250
#define MAX_BACKOFF_MS 8000
/* Events are a few hundred bytes; a longer line is not one of them. */
#define MAX_LINE_BYTES (1024 * 1024)

struct _SvSandboxEvents
{
  GObject           parent_instance;

  char             *fhir_base;
  char             *url;
  SoupSession      *session;
  GCancellable     *cancellable;
  GDataInputStream *stream;
  guint             retry_source;
  guint             backoff_ms;
  gboolean          running;
  gboolean          connected;
};

G_DEFINE_FINAL_TYPE (SvSandboxEvents, sv_sandbox_events, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_FHIR_BASE,
  PROP_RUNNING,
  PROP_CONNECTED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_EVENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void sv_sandbox_events_connect (SvSandboxEvents *self);

/**
 * sv_sandbox_hook_url_for_base:
 * @fhir_base: a sandbox's FHIR base URL
 * @path: the path of one of the sandbox's hooks, e.g. `/_sandbox/faults`
 *
 * The URL of a hook of the sandbox that serves @fhir_base:
 * `{scheme}://{host}:{port}{path}`. The sandbox's hooks answer loopback
 * peers only, and only http(s) on a loopback address (127.0.0.0/8, ::1,
 * localhost) is accepted here, so no hook request can leave this computer.
 *
 * Returns: (transfer full) (nullable): the URL, or %NULL when @fhir_base
 *   is not such an address
 */
char *
sv_sandbox_hook_url_for_base (const char *fhir_base,
                              const char *path)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GInetAddress) address = NULL;
  const char *scheme, *host;

  g_return_val_if_fail (path != NULL && path[0] == '/', NULL);

  uri = fhir_base != NULL ? g_uri_parse (fhir_base, G_URI_FLAGS_NONE, NULL) : NULL;
  scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  host = uri != NULL ? g_uri_get_host (uri) : NULL;
  if (host != NULL)
    address = g_inet_address_new_from_string (host);

  if (host == NULL || g_uri_get_userinfo (uri) != NULL ||
      (g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0) ||
      !(g_ascii_strcasecmp (host, "localhost") == 0 ||
        (address != NULL && g_inet_address_get_is_loopback (address))))
    return NULL;

  return g_uri_join (G_URI_FLAGS_NONE, scheme, NULL, host, g_uri_get_port (uri),
                     path, NULL, NULL);
}

/**
 * sv_sandbox_events_url_for_base:
 * @fhir_base: a sandbox's FHIR base URL
 * @error: return location for an error
 *
 * The events URL of the sandbox that serves @fhir_base:
 * `{scheme}://{host}:{port}/_sandbox/events` (see
 * sv_sandbox_hook_url_for_base()).
 *
 * Returns: (transfer full) (nullable): the URL, or %NULL with @error set
 */
char *
sv_sandbox_events_url_for_base (const char  *fhir_base,
                                GError     **error)
{
  char *url = sv_sandbox_hook_url_for_base (fhir_base, "/_sandbox/events");

  if (url == NULL)
    g_set_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT,
                 _("Server-side events are only read from a sandbox on this computer (127.0.0.1, ::1 or localhost)."));
  return url;
}

static void
set_connected (SvSandboxEvents *self,
               gboolean         connected)
{
  if (self->connected == connected)
    return;
  self->connected = connected;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
}

static gboolean
on_retry (gpointer user_data)
{
  SvSandboxEvents *self = user_data;

  self->retry_source = 0;
  sv_sandbox_events_connect (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (SvSandboxEvents *self)
{
  g_clear_object (&self->stream);
  set_connected (self, FALSE);
  if (!self->running || self->retry_source != 0)
    return;

  g_debug ("Event stream ended; connecting again in %u ms", self->backoff_ms);
  self->retry_source = g_timeout_add (self->backoff_ms, on_retry, self);
  self->backoff_ms = MIN (self->backoff_ms * 2, MAX_BACKOFF_MS);
}

static void
handle_line (SvSandboxEvents *self,
             const char      *line,
             gsize            length)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonNode) redacted = NULL;
  g_autoptr(GError) error = NULL;
  JsonNode *root;
  const char *kind;

  if (length == 0)
    return;
  if (length > MAX_LINE_BYTES || !json_parser_load_from_data (parser, line, length, &error))
    {
      /* Not the line itself: the sandbox promises no secrets, but a line we
       * cannot parse is not one we can redact either. */
      g_debug ("Ignoring an event line that is not JSON (%" G_GSIZE_FORMAT " bytes)", length);
      return;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return;

  kind = json_object_get_string_member_with_default (json_node_get_object (root), "kind", NULL);
  if (g_strcmp0 (kind, "hello") == 0)
    {
      /* The stream is live: whatever happens from now on will be seen. */
      self->backoff_ms = INITIAL_BACKOFF_MS;
      set_connected (self, TRUE);
      return;
    }

  redacted = sv_redact_json (root);
  g_signal_emit (self, signals[SIGNAL_EVENT], 0, json_node_get_object (redacted));
}

static void
on_line (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GDataInputStream *stream = G_DATA_INPUT_STREAM (source);
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  gsize length = 0;
  SvSandboxEvents *self;

  line = g_data_input_stream_read_line_finish (stream, result, &length, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* stop() or dispose: self may be gone; only the stream is ours. */
      g_input_stream_close (G_INPUT_STREAM (stream), NULL, NULL);
      return;
    }

  self = SV_SANDBOX_EVENTS (user_data);
  if (line == NULL)
    {
      if (error != NULL)
        g_debug ("Reading the event stream failed: %s", error->message);
      schedule_retry (self);
      return;
    }

  /* A handler may call stop(); keep self alive until this returns. */
  g_object_ref (self);
  handle_line (self, line, length);
  if (self->stream == stream && self->running)
    g_data_input_stream_read_line_async (stream, G_PRIORITY_DEFAULT, self->cancellable, on_line, self);
  g_object_unref (self);
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  SoupSession *session = SOUP_SESSION (source);
  g_autoptr(GInputStream) body = NULL;
  g_autoptr(GError) error = NULL;
  SvSandboxEvents *self;
  SoupMessage *msg;

  body = soup_session_send_finish (session, result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = SV_SANDBOX_EVENTS (user_data);
  if (body == NULL)
    {
      g_debug ("Could not connect to the sandbox’s event stream: %s", error->message);
      schedule_retry (self);
      return;
    }

  msg = soup_session_get_async_result_message (session, result);
  if (soup_message_get_status (msg) != SOUP_STATUS_OK)
    {
      g_debug ("The sandbox’s event stream answered %u", soup_message_get_status (msg));
      g_input_stream_close (body, NULL, NULL);
      schedule_retry (self);
      return;
    }

  g_clear_object (&self->stream);
  self->stream = g_data_input_stream_new (body);
  g_data_input_stream_set_newline_type (self->stream, G_DATA_STREAM_NEWLINE_TYPE_LF);
  g_data_input_stream_read_line_async (self->stream, G_PRIORITY_DEFAULT, self->cancellable, on_line, self);
}

static void
sv_sandbox_events_connect (SvSandboxEvents *self)
{
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, self->url);

  /* A redirect could lead away from loopback. */
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept", "application/x-ndjson");
  soup_session_send_async (self->session, msg, G_PRIORITY_DEFAULT, self->cancellable, on_sent, self);
}

/**
 * sv_sandbox_events_start:
 * @self: a #SvSandboxEvents
 * @error: return location for an error
 *
 * Starts reading the stream in the background of the thread-default main
 * context; #SvSandboxEvents::event is emitted for each event, in the order
 * the sandbox sent them. Fails only when the FHIR base is not a loopback
 * http(s) URL; connection problems are retried until
 * sv_sandbox_events_stop().
 *
 * Returns: whether the client runs
 */
gboolean
sv_sandbox_events_start (SvSandboxEvents  *self,
                         GError          **error)
{
  g_autofree char *url = NULL;

  g_return_val_if_fail (SV_IS_SANDBOX_EVENTS (self), FALSE);

  if (self->running)
    return TRUE;
  url = sv_sandbox_events_url_for_base (self->fhir_base, error);
  if (url == NULL)
    return FALSE;

  g_free (self->url);
  self->url = g_steal_pointer (&url);
  self->cancellable = g_cancellable_new ();
  self->backoff_ms = INITIAL_BACKOFF_MS;
  self->running = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  sv_sandbox_events_connect (self);
  return TRUE;
}

/**
 * sv_sandbox_events_stop:
 * @self: a #SvSandboxEvents
 *
 * Stops reading and closes the connection. No event is emitted after it
 * returns. Starting again is allowed.
 */
void
sv_sandbox_events_stop (SvSandboxEvents *self)
{
  g_return_if_fail (SV_IS_SANDBOX_EVENTS (self));

  if (!self->running)
    return;
  self->running = FALSE;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->retry_source, g_source_remove);
  g_clear_object (&self->stream);
  soup_session_abort (self->session);
  set_connected (self, FALSE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

gboolean
sv_sandbox_events_get_running (SvSandboxEvents *self)
{
  g_return_val_if_fail (SV_IS_SANDBOX_EVENTS (self), FALSE);
  return self->running;
}

/**
 * sv_sandbox_events_get_connected:
 * @self: a #SvSandboxEvents
 *
 * Whether the stream is live: the sandbox has said hello on the current
 * connection, so every event from now on will arrive.
 *
 * Returns: whether the stream is live
 */
gboolean
sv_sandbox_events_get_connected (SvSandboxEvents *self)
{
  g_return_val_if_fail (SV_IS_SANDBOX_EVENTS (self), FALSE);
  return self->connected;
}

const char *
sv_sandbox_events_get_fhir_base (SvSandboxEvents *self)
{
  g_return_val_if_fail (SV_IS_SANDBOX_EVENTS (self), NULL);
  return self->fhir_base;
}

static void
sv_sandbox_events_dispose (GObject *object)
{
  SvSandboxEvents *self = SV_SANDBOX_EVENTS (object);

  if (self->running)
    sv_sandbox_events_stop (self);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (sv_sandbox_events_parent_class)->dispose (object);
}

static void
sv_sandbox_events_finalize (GObject *object)
{
  SvSandboxEvents *self = SV_SANDBOX_EVENTS (object);

  g_free (self->fhir_base);
  g_free (self->url);

  G_OBJECT_CLASS (sv_sandbox_events_parent_class)->finalize (object);
}

static void
sv_sandbox_events_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  SvSandboxEvents *self = SV_SANDBOX_EVENTS (object);

  switch (prop_id)
    {
    case PROP_FHIR_BASE:
      g_value_set_string (value, self->fhir_base);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    case PROP_CONNECTED:
      g_value_set_boolean (value, self->connected);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sv_sandbox_events_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  SvSandboxEvents *self = SV_SANDBOX_EVENTS (object);

  switch (prop_id)
    {
    case PROP_FHIR_BASE:
      g_free (self->fhir_base);
      self->fhir_base = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sv_sandbox_events_class_init (SvSandboxEventsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sv_sandbox_events_dispose;
  object_class->finalize = sv_sandbox_events_finalize;
  object_class->get_property = sv_sandbox_events_get_property;
  object_class->set_property = sv_sandbox_events_set_property;

  properties[PROP_FHIR_BASE] =
    g_param_spec_string ("fhir-base", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONNECTED] =
    g_param_spec_boolean ("connected", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * SvSandboxEvents::event:
   * @self: the client
   * @event: the event, already redacted: `time`, `kind` and the kind's fields
   *
   * One event of the sandbox (not the opening hello), in stream order.
   */
  signals[SIGNAL_EVENT] =
    g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, JSON_TYPE_OBJECT);
}

static void
sv_sandbox_events_init (SvSandboxEvents *self)
{
  /* No proxy: the stream is on this computer, and an http_proxy in the
   * environment must not see it. */
  self->session = soup_session_new_with_options ("proxy-resolver", NULL,
                                                 "user-agent", "smart-viewer-inspector",
                                                 NULL);
}

/**
 * sv_sandbox_events_new:
 * @fhir_base: the sandbox's FHIR base URL
 *
 * Returns: (transfer full): a stopped client for the sandbox of @fhir_base
 */
SvSandboxEvents *
sv_sandbox_events_new (const char *fhir_base)
{
  return g_object_new (SV_TYPE_SANDBOX_EVENTS, "fhir-base", fhir_base, NULL);
}
