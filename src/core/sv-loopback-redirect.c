/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-core"

#include "config.h"

#include "sv-loopback-redirect.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>
#include <string.h>

#include "sv-error.h"
#include "sv-server-profile.h"

/**
 * SvLoopbackRedirect:
 *
 * The RFC 8252 §7.3 loopback listener for sign-in in the system browser: a
 * tiny HTTP server on 127.0.0.1 (never on all interfaces) that takes the one
 * redirect to `/oauth2redirect` and tells the browser it may close the tab.
 */
struct _SvLoopbackRedirect
{
  GObject parent_instance;

  SoupServer *server;
  guint port;
  char *received;
  GTask *waiter;
};

G_DEFINE_FINAL_TYPE (SvLoopbackRedirect, sv_loopback_redirect, G_TYPE_OBJECT)

static void
sv_loopback_redirect_dispose (GObject *object)
{
  SvLoopbackRedirect *self = SV_LOOPBACK_REDIRECT (object);

  if (self->server != NULL)
    soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  g_clear_object (&self->waiter);

  G_OBJECT_CLASS (sv_loopback_redirect_parent_class)->dispose (object);
}

static void
sv_loopback_redirect_finalize (GObject *object)
{
  SvLoopbackRedirect *self = SV_LOOPBACK_REDIRECT (object);

  /* It carries the authorization code. */
  if (self->received != NULL)
    explicit_bzero (self->received, strlen (self->received));
  g_free (self->received);

  G_OBJECT_CLASS (sv_loopback_redirect_parent_class)->finalize (object);
}

static void
sv_loopback_redirect_class_init (SvLoopbackRedirectClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sv_loopback_redirect_dispose;
  object_class->finalize = sv_loopback_redirect_finalize;
}

static void
sv_loopback_redirect_init (SvLoopbackRedirect *self)
{
}

static void
set_page (SoupServerMessage *msg,
          guint              status,
          const char        *title,
          const char        *text)
{
  g_autofree char *escaped_title = g_markup_escape_text (title, -1);
  g_autofree char *escaped_text = g_markup_escape_text (text, -1);
  g_autofree char *page = g_strdup_printf ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                                           "<title>%s</title></head><body style=\"font-family: sans-serif; margin: 3em\">"
                                           "<h1>%s</h1><p>%s</p></body></html>\n",
                                           escaped_title, escaped_title, escaped_text);

  soup_server_message_set_status (msg, status, NULL);
  /* The page must not be cached or leak the address with its code. */
  soup_message_headers_append (soup_server_message_get_response_headers (msg), "Cache-Control", "no-store");
  soup_message_headers_append (soup_server_message_get_response_headers (msg), "Referrer-Policy", "no-referrer");
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_COPY, page, strlen (page));
}

static void
on_request (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  SvLoopbackRedirect *self = user_data;
  GUri *uri = soup_server_message_get_uri (msg);

  if (g_strcmp0 (path, SV_LOOPBACK_REDIRECT_PATH) != 0 ||
      g_strcmp0 (soup_server_message_get_method (msg), SOUP_METHOD_GET) != 0)
    {
      set_page (msg, SOUP_STATUS_NOT_FOUND, _("Not found"), _("This address belongs to SMART Viewer’s sign-in and has nothing else to show."));
      return;
    }

  if (self->received != NULL)
    {
      set_page (msg, SOUP_STATUS_OK, _("Sign-in already received"), _("SMART Viewer has already received this sign-in. You can close this tab."));
      return;
    }

  self->received = g_uri_to_string_partial (uri, G_URI_HIDE_USERINFO);
  set_page (msg, SOUP_STATUS_OK, _("Sign-in received"),
            _("You can close this tab and go back to SMART Viewer."));

  if (self->waiter != NULL)
    {
      GTask *waiter = g_steal_pointer (&self->waiter);

      g_task_return_pointer (waiter, g_strdup (self->received), g_free);
      g_object_unref (waiter);
    }
}

/**
 * sv_loopback_redirect_new:
 * @port: the port to listen on, or 0 for any free one
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): a listening redirect catcher
 */
SvLoopbackRedirect *
sv_loopback_redirect_new (guint    port,
                          GError **error)
{
  g_autoptr(SvLoopbackRedirect) self = g_object_new (SV_TYPE_LOOPBACK_REDIRECT, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, (guint16) port);
  g_autoptr(GError) local_error = NULL;
  GSList *uris;

  if (port > G_MAXUINT16)
    {
      g_set_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT,
                   _("The port %u is not valid. Choose a port between 1024 and 65535, or none."), port);
      return NULL;
    }

  self->server = soup_server_new ("server-header", "smart-viewer", NULL);
  soup_server_add_handler (self->server, NULL, on_request, self, NULL);

  if (!soup_server_listen (self->server, address, 0, &local_error))
    {
      g_set_error (error, SV_ERROR, SV_ERROR_FAILED,
                   _("SMART Viewer could not listen on 127.0.0.1 port %u for the browser’s answer (%s). Choose another port or close the program that uses it."),
                   port, local_error->message);
      return NULL;
    }

  uris = soup_server_get_uris (self->server);
  if (uris != NULL)
    self->port = (guint) g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  return g_steal_pointer (&self);
}

guint
sv_loopback_redirect_get_port (SvLoopbackRedirect *self)
{
  g_return_val_if_fail (SV_IS_LOOPBACK_REDIRECT (self), 0);
  return self->port;
}

/**
 * sv_loopback_redirect_dup_redirect_uri:
 * @self: a listener
 *
 * Returns: (transfer full): `http://127.0.0.1:<port>/oauth2redirect`
 */
char *
sv_loopback_redirect_dup_redirect_uri (SvLoopbackRedirect *self)
{
  g_return_val_if_fail (SV_IS_LOOPBACK_REDIRECT (self), NULL);
  return g_strdup_printf ("http://127.0.0.1:%u" SV_LOOPBACK_REDIRECT_PATH, self->port);
}

static void
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  SvLoopbackRedirect *self = user_data;
  GTask *waiter = g_steal_pointer (&self->waiter);

  if (waiter != NULL)
    {
      g_task_return_error_if_cancelled (waiter);
      g_object_unref (waiter);
    }
}

/**
 * sv_loopback_redirect_wait_async:
 * @self: a listener
 * @cancellable: (nullable): a cancellable, for the user's Cancel button
 * @callback: called when the browser came back
 * @user_data: data for @callback
 *
 * Waits for the redirect. Only one wait at a time.
 */
void
sv_loopback_redirect_wait_async (SvLoopbackRedirect  *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SV_IS_LOOPBACK_REDIRECT (self));
  g_return_if_fail (self->waiter == NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sv_loopback_redirect_wait_async);

  if (self->received != NULL)
    {
      g_task_return_pointer (task, g_strdup (self->received), g_free);
      return;
    }

  if (g_task_return_error_if_cancelled (task))
    return;

  self->waiter = g_steal_pointer (&task);
  if (cancellable != NULL)
    g_signal_connect_object (cancellable, "cancelled", G_CALLBACK (on_cancelled), self, 0);
}

/**
 * sv_loopback_redirect_wait_finish:
 * @self: a listener
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the full redirect URI, for
 *   sv_session_sign_in_async()
 */
char *
sv_loopback_redirect_wait_finish (SvLoopbackRedirect  *self,
                                  GAsyncResult        *result,
                                  GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
