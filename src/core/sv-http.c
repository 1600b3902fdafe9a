/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-core"

#include "config.h"

#include "sv-http.h"

#include <glib/gi18n.h>

#include "sv-error.h"
#include "sv-server-profile.h"

/* The system's proxy settings come in with the first request to a server
 * that is not on this computer. Until then the session has no resolver:
 * making the default one scans the GIO modules, loads libproxy and reads
 * GSettings through dconf, which a command talking only to a local sandbox
 * does not need (a server on loopback is never reached through a proxy,
 * as GNOME's default ignore-hosts and the usual no_proxy say). The
 * resolver is set before the request's connection is made, and stays. */
static void
on_request_queued (SoupSession *session,
                   SoupMessage *msg,
                   gpointer     user_data)
{
  if (soup_session_get_proxy_resolver (session) != NULL ||
      sv_uri_is_loopback_host (g_uri_get_host (soup_message_get_uri (msg))))
    return;

  soup_session_set_proxy_resolver (session, g_proxy_resolver_get_default ());
}

/**
 * sv_http_session_new:
 *
 * A SoupSession with certificate checking on (libsoup's default, stated
 * here so nobody switches it off) and a timeout, since a sign-in must not
 * hang forever on a dead server. Servers on loopback are reached directly;
 * from the first request to any other server on, the system's proxy
 * settings apply, as in libsoup's default.
 *
 * Returns: (transfer full): a session
 */
SoupSession *
sv_http_session_new (void)
{
  SoupSession *session;

  /* libsoup allows two connections per host by default; the patient
   * record pages through three searches at once, as browsers would with
   * their six. */
  session = soup_session_new_with_options ("user-agent", "smart-viewer/" PACKAGE_VERSION,
                                           "timeout", 30,
                                           "max-conns-per-host", SV_HTTP_MAX_CONNS_PER_HOST,
                                           "proxy-resolver", NULL,
                                           NULL);
  g_signal_connect (session, "request-queued", G_CALLBACK (on_request_queued), NULL);
  return session;
}

static char *
host_of (const char *url)
{
  g_autoptr(GUri) uri = url ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;

  return g_strdup (uri && g_uri_get_host (uri) ? g_uri_get_host (uri) : "?");
}

/**
 * sv_http_wrap_error:
 * @error: an error from libsoup or GIO
 * @url: the URL that was asked for
 *
 * Turns a transport error into a message that names the server and says
 * what to try. The original message goes to the debug log only.
 *
 * Returns: (transfer full): a #SV_ERROR error
 */
GError *
sv_http_wrap_error (const GError *error,
                    const char   *url)
{
  g_autofree char *host = host_of (url);

  g_debug ("Request to %s failed: %s", host, error->message);

  if (error->domain == SV_ERROR)
    return g_error_copy (error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);

  if (error->domain == G_TLS_ERROR)
    return g_error_new (SV_ERROR, SV_ERROR_NETWORK,
                        _("The secure connection to %s could not be established: its certificate was not accepted (%s). Check the address, or ask the server’s administrator for a valid certificate."),
                        host, error->message);

  if (error->domain == G_RESOLVER_ERROR)
    return g_error_new (SV_ERROR, SV_ERROR_NETWORK,
                        _("The server %s could not be found. Check the address and your network connection."),
                        host);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_error_new (SV_ERROR, SV_ERROR_NETWORK,
                        _("The server %s did not answer in time. Try again later."), host);

  return g_error_new (SV_ERROR, SV_ERROR_NETWORK,
                      _("The server %s could not be reached (%s). Check the address and your network connection."),
                      host, error->message);
}

/**
 * sv_json_parse_object:
 * @body: a response body
 * @url: where it came from, for the message
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the JSON object in @body
 */
JsonObject *
sv_json_parse_object (GBytes      *body,
                      const char  *url,
                      GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  gsize length = 0;
  const char *data = body ? g_bytes_get_data (body, &length) : NULL;
  JsonNode *root;

  if (data == NULL || length == 0 ||
      !json_parser_load_from_data (parser, data, (gssize) length, &local_error) ||
      (root = json_parser_get_root (parser)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_autofree char *host = host_of (url);

      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("The server %s answered with something that is not a JSON object. Check that the address points to a SMART server."),
                   host);
      return NULL;
    }

  return json_object_ref (json_node_get_object (root));
}

/**
 * sv_json_get_string:
 * @object: an object
 * @member: a member name
 *
 * Returns: (nullable): the member if it is a non-empty string
 */
const char *
sv_json_get_string (JsonObject *object,
                    const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;
  const char *value;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  value = json_node_get_string (node);
  return value != NULL && *value != '\0' ? value : NULL;
}

/**
 * sv_json_get_int:
 * @object: an object
 * @member: a member name
 * @value: (out): the number
 *
 * Accepts integers and numeric strings, since some servers quote
 * `expires_in`.
 *
 * Returns: %TRUE if @member is a number
 */
gboolean
sv_json_get_int (JsonObject *object,
                 const char *member,
                 gint64     *value)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;

  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64)
    *value = json_node_get_int (node);
  else if (type == G_TYPE_DOUBLE)
    *value = (gint64) json_node_get_double (node);
  else if (type == G_TYPE_STRING)
    {
      const char *text = json_node_get_string (node);

      if (!g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, value, NULL))
        return FALSE;
    }
  else
    return FALSE;

  return TRUE;
}

/**
 * sv_json_get_strv:
 * @object: an object
 * @member: a member name
 *
 * Returns: (transfer full) (nullable): the strings of an array member
 */
char **
sv_json_get_strv (JsonObject *object,
                  const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;
  g_autoptr(GStrvBuilder) builder = NULL;
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;

  builder = g_strv_builder_new ();
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING)
        g_strv_builder_add (builder, json_node_get_string (element));
    }

  return g_strv_builder_end (builder);
}
