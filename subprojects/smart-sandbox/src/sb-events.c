/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "smart-sandbox"

#include "config.h"

#include "sb-events.h"

#include <string.h>

struct _SbEvents
{
  GList *clients;   /* SoupServerMessage*, each holding a streaming response */
};

SbEvents *
sb_events_new (void)
{
  return g_new0 (SbEvents, 1);
}

static void
client_finished (SoupServerMessage *msg, SbEvents *events)
{
  GList *l = g_list_find (events->clients, msg);

  if (l == NULL)
    return;
  events->clients = g_list_delete_link (events->clients, l);
  g_signal_handlers_disconnect_by_data (msg, events);
  g_object_unref (msg);
}

void
sb_events_free (SbEvents *events)
{
  if (events == NULL)
    return;
  while (events->clients != NULL)
    {
      SoupServerMessage *msg = events->clients->data;

      g_signal_handlers_disconnect_by_data (msg, events);
      soup_message_body_complete (soup_server_message_get_response_body (msg));
      soup_server_message_unpause (msg);
      events->clients = g_list_delete_link (events->clients, events->clients);
      g_object_unref (msg);
    }
  g_free (events);
}

guint
sb_events_n_clients (SbEvents *events)
{
  return g_list_length (events->clients);
}

gboolean
sb_peer_is_loopback (SoupServerMessage *msg)
{
  GSocketAddress *addr = soup_server_message_get_remote_address (msg);

  if (addr == NULL || !G_IS_INET_SOCKET_ADDRESS (addr))
    return FALSE;
  return g_inet_address_get_is_loopback (
    g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (addr)));
}

void
sb_events_emit (SbEvents *events, const char *kind, JsonObject *fields)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *time_s = NULL;
  g_autofree char *line = NULL;
  g_autofree char *text = NULL;
  JsonObject *obj;

  if (events == NULL || events->clients == NULL)
    {
      if (fields != NULL)
        json_object_unref (fields);
      return;
    }

  now = g_date_time_new_now_utc ();
  time_s = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");
  obj = fields != NULL ? fields : json_object_new ();
  /* time and kind first, whatever the caller put in. */
  node = json_node_init_object (json_node_alloc (), json_object_new ());
  json_object_set_string_member (json_node_get_object (node), "time", time_s);
  json_object_set_string_member (json_node_get_object (node), "kind", kind);
  {
    JsonObjectIter iter;
    const char *name;
    JsonNode *value;

    json_object_iter_init (&iter, obj);
    while (json_object_iter_next (&iter, &name, &value))
      if (strcmp (name, "time") != 0 && strcmp (name, "kind") != 0)
        json_object_set_member (json_node_get_object (node), name, json_node_copy (value));
  }
  json_object_unref (obj);

  text = json_to_string (node, FALSE);
  line = g_strconcat (text, "\n", NULL);
  for (GList *l = events->clients; l != NULL; l = l->next)
    {
      SoupServerMessage *msg = l->data;

      soup_message_body_append (soup_server_message_get_response_body (msg),
                                SOUP_MEMORY_COPY, line, strlen (line));
      soup_server_message_unpause (msg);
    }
}

static void
events_handler (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  SbEvents *events = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  SoupMessageBody *body = soup_server_message_get_response_body (msg);

  if (!sb_peer_is_loopback (msg))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_FORBIDDEN, NULL);
      return;
    }
  if (strcmp (soup_server_message_get_method (msg), "GET") != 0)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_headers_set_content_type (headers, "application/x-ndjson", NULL);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  /* Chunks are written and dropped, so a slow reader costs no memory beyond
   * what is in flight. */
  soup_message_body_set_accumulate (body, FALSE);
  events->clients = g_list_prepend (events->clients, g_object_ref (msg));
  /* A paused streaming message may only get "disconnected" when the
   * client goes away; both end the subscription. */
  g_signal_connect (msg, "finished", G_CALLBACK (client_finished), events);
  g_signal_connect (msg, "disconnected", G_CALLBACK (client_finished), events);
  /* A first line tells the client that the stream is live, so a test can
   * wait for it before it triggers anything. */
  {
    const char hello[] = "{\"kind\":\"hello\"}\n";

    soup_message_body_append (body, SOUP_MEMORY_STATIC, hello, strlen (hello));
  }
}

void
sb_events_register (SbEvents *events, SoupServer *server)
{
  soup_server_add_handler (server, "/_sandbox/events", events_handler, events, NULL);
}
