/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-core"

#include "config.h"

#include "sv-token-client.h"

#include <glib/gi18n.h>
#include <string.h>

#include "sv-error.h"
#include "sv-http.h"

/**
 * SvTokenClient:
 *
 * Talks to the token and revocation endpoints. A desktop app is a public
 * client, so `client_id` is always in the form (Keycloak needs it on refresh
 * too); a confidential client typed in by a workshop host additionally
 * authenticates with HTTP Basic (client_secret_basic).
 */
struct _SvTokenClient
{
  GObject parent_instance;

  SoupSession *session;
  char *token_endpoint;
  char *revocation_endpoint;
  char *client_id;
  char *client_secret;
};

G_DEFINE_FINAL_TYPE (SvTokenClient, sv_token_client, G_TYPE_OBJECT)

static void
sv_token_client_dispose (GObject *object)
{
  SvTokenClient *self = SV_TOKEN_CLIENT (object);

  g_clear_object (&self->session);

  G_OBJECT_CLASS (sv_token_client_parent_class)->dispose (object);
}

static void
sv_token_client_finalize (GObject *object)
{
  SvTokenClient *self = SV_TOKEN_CLIENT (object);

  g_free (self->token_endpoint);
  g_free (self->revocation_endpoint);
  g_free (self->client_id);
  if (self->client_secret != NULL)
    explicit_bzero (self->client_secret, strlen (self->client_secret));
  g_free (self->client_secret);

  G_OBJECT_CLASS (sv_token_client_parent_class)->finalize (object);
}

static void
sv_token_client_class_init (SvTokenClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sv_token_client_dispose;
  object_class->finalize = sv_token_client_finalize;
}

static void
sv_token_client_init (SvTokenClient *self)
{
}

/**
 * sv_token_client_new:
 * @session: the HTTP session
 * @token_endpoint: the token endpoint
 * @revocation_endpoint: (nullable): the revocation endpoint (RFC 7009)
 * @client_id: the client id
 * @client_secret: (nullable): a confidential client's secret, from the keyring
 *
 * Returns: (transfer full): a token client
 */
SvTokenClient *
sv_token_client_new (SoupSession *session,
                     const char  *token_endpoint,
                     const char  *revocation_endpoint,
                     const char  *client_id,
                     const char  *client_secret)
{
  SvTokenClient *self;

  g_return_val_if_fail (SOUP_IS_SESSION (session), NULL);
  g_return_val_if_fail (token_endpoint != NULL, NULL);
  g_return_val_if_fail (client_id != NULL, NULL);

  self = g_object_new (SV_TYPE_TOKEN_CLIENT, NULL);
  self->session = g_object_ref (session);
  self->token_endpoint = g_strdup (token_endpoint);
  self->revocation_endpoint = g_strdup (revocation_endpoint);
  self->client_id = g_strdup (client_id);
  self->client_secret = g_strdup (client_secret);

  return self;
}

typedef struct
{
  SoupMessage *message;
  char *asked_scope;
  gboolean is_refresh;
} PostData;

static void
post_data_free (PostData *data)
{
  g_clear_object (&data->message);
  g_free (data->asked_scope);
  g_free (data);
}

/* The form carries the code, verifier or refresh token: it is built in one
 * buffer that is wiped once libsoup holds its own copy. */
static SoupMessage *
new_form_post (SvTokenClient *self,
               const char    *url,
               GHashTable    *form)
{
  g_autofree char *body = NULL;
  g_autoptr(GBytes) bytes = NULL;
  SoupMessage *message;

  g_hash_table_insert (form, (char *) "client_id", self->client_id);
  body = soup_form_encode_hash (form);

  message = soup_message_new (SOUP_METHOD_POST, url);
  if (message == NULL)
    return NULL;

  bytes = g_bytes_new (body, strlen (body));
  explicit_bzero (body, strlen (body));
  soup_message_set_request_body_from_bytes (message, "application/x-www-form-urlencoded", bytes);
  soup_message_headers_append (soup_message_get_request_headers (message), "Accept", "application/json");

  if (self->client_secret != NULL)
    {
      /* RFC 6749 §2.3.1: both parts form-encoded before Basic encoding. */
      g_autofree char *id = g_uri_escape_string (self->client_id, NULL, FALSE);
      g_autofree char *secret = g_uri_escape_string (self->client_secret, NULL, FALSE);
      g_autofree char *pair = g_strconcat (id, ":", secret, NULL);
      g_autofree char *encoded = g_base64_encode ((const guchar *) pair, strlen (pair));
      g_autofree char *header = g_strconcat ("Basic ", encoded, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization", header);
      explicit_bzero (pair, strlen (pair));
      explicit_bzero (encoded, strlen (encoded));
      explicit_bzero (header, strlen (header));
    }

  return message;
}

static GError *
error_from_response (PostData   *data,
                     guint       status,
                     JsonObject *object)
{
  const char *code = sv_json_get_string (object, "error");
  const char *description = sv_json_get_string (object, "error_description");

  g_debug ("Token endpoint answered HTTP %u, error %s", status, code ? code : "(none)");

  if (g_strcmp0 (code, "invalid_grant") == 0)
    {
      if (data->is_refresh)
        return g_error_new (SV_ERROR, SV_ERROR_NOT_SIGNED_IN,
                            _("Your sign-in has expired or was revoked by the server (%s). Sign in again."),
                            description ? description : code);
      return g_error_new (SV_ERROR, SV_ERROR_PROTOCOL,
                          _("The server did not accept the sign-in (%s). The code may have expired or been used already; sign in again."),
                          description ? description : code);
    }

  if (g_strcmp0 (code, "invalid_client") == 0 || g_strcmp0 (code, "unauthorized_client") == 0)
    return g_error_new (SV_ERROR, SV_ERROR_DENIED,
                        _("The server does not accept this client (%s). Check the client ID in the profile."),
                        description ? description : code);

  if (code != NULL)
    return g_error_new (SV_ERROR, SV_ERROR_PROTOCOL,
                        _("The sign-in server refused to issue tokens (%s%s%s). Sign in again, or ask the server’s administrator."),
                        code, description ? ": " : "", description ? description : "");

  return g_error_new (SV_ERROR, SV_ERROR_NETWORK,
                      _("The sign-in server failed with HTTP status %u while issuing tokens. Try again later."),
                      status);
}

static void
on_token_answer (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SvTokenClient *self = g_task_get_source_object (task);
  PostData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonObject) object = NULL;
  SvTokenResponse *response;
  guint status;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (body == NULL)
    {
      g_task_return_error (task, sv_http_wrap_error (error, self->token_endpoint));
      return;
    }

  status = soup_message_get_status (data->message);
  object = sv_json_parse_object (body, self->token_endpoint, NULL);

  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_task_return_error (task, error_from_response (data, status, object));
      return;
    }

  if (object == NULL)
    {
      g_task_return_new_error (task, SV_ERROR, SV_ERROR_PROTOCOL,
                               _("The sign-in server answered with something that is not JSON. Try again later, or ask the server’s administrator."));
      return;
    }

  response = sv_token_response_new_from_json (object, data->asked_scope,
                                              g_get_real_time () / G_USEC_PER_SEC, &error);
  if (response == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_pointer (task, response, g_object_unref);
}

static void
post (SvTokenClient       *self,
      const char          *url,
      GHashTable          *form,
      const char          *asked_scope,
      gboolean             is_refresh,
      gpointer             source_tag,
      GAsyncReadyCallback  reply,
      GCancellable        *cancellable,
      GAsyncReadyCallback  callback,
      gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  PostData *data = g_new0 (PostData, 1);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, data, (GDestroyNotify) post_data_free);
  data->asked_scope = g_strdup (asked_scope);
  data->is_refresh = is_refresh;
  data->message = new_form_post (self, url, form);

  if (data->message == NULL)
    {
      g_task_return_new_error (task, SV_ERROR, SV_ERROR_INVALID_INPUT,
                               _("The endpoint address “%s” is not valid. Check the profile."), url);
      return;
    }

  soup_session_send_and_read_async (self->session, data->message, G_PRIORITY_DEFAULT,
                                    cancellable, reply, g_steal_pointer (&task));
}

/**
 * sv_token_client_exchange_code_async:
 * @self: a token client
 * @code: the authorization code
 * @redirect_uri: the redirect URI of the authorization request
 * @code_verifier: the PKCE verifier
 * @asked_scope: the scope that was asked for
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Redeems an authorization code (RFC 6749 §4.1.3 with RFC 7636 §4.5).
 */
void
sv_token_client_exchange_code_async (SvTokenClient       *self,
                                     const char          *code,
                                     const char          *redirect_uri,
                                     const char          *code_verifier,
                                     const char          *asked_scope,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GHashTable) form = g_hash_table_new (g_str_hash, g_str_equal);

  g_return_if_fail (SV_IS_TOKEN_CLIENT (self));

  g_hash_table_insert (form, (char *) "grant_type", (char *) "authorization_code");
  g_hash_table_insert (form, (char *) "code", (char *) code);
  g_hash_table_insert (form, (char *) "redirect_uri", (char *) redirect_uri);
  g_hash_table_insert (form, (char *) "code_verifier", (char *) code_verifier);

  post (self, self->token_endpoint, form, asked_scope, FALSE,
        sv_token_client_exchange_code_async, on_token_answer,
        cancellable, callback, user_data);
}

/**
 * sv_token_client_exchange_code_finish:
 * @self: a token client
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the checked token response
 */
SvTokenResponse *
sv_token_client_exchange_code_finish (SvTokenClient  *self,
                                      GAsyncResult   *result,
                                      GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * sv_token_client_refresh_async:
 * @self: a token client
 * @refresh_token: the refresh token
 * @asked_scope: (nullable): the scope asked for at sign-in
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Gets a new access token (RFC 6749 §6). `invalid_grant` becomes
 * %SV_ERROR_NOT_SIGNED_IN: the user has to sign in again.
 */
void
sv_token_client_refresh_async (SvTokenClient       *self,
                               const char          *refresh_token,
                               const char          *asked_scope,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GHashTable) form = g_hash_table_new (g_str_hash, g_str_equal);

  g_return_if_fail (SV_IS_TOKEN_CLIENT (self));

  g_hash_table_insert (form, (char *) "grant_type", (char *) "refresh_token");
  g_hash_table_insert (form, (char *) "refresh_token", (char *) refresh_token);

  post (self, self->token_endpoint, form, asked_scope, TRUE,
        sv_token_client_refresh_async, on_token_answer,
        cancellable, callback, user_data);
}

SvTokenResponse *
sv_token_client_refresh_finish (SvTokenClient  *self,
                                GAsyncResult   *result,
                                GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_revoke_answer (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SvTokenClient *self = g_task_get_source_object (task);
  PostData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  guint status;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (body == NULL)
    {
      g_task_return_error (task, sv_http_wrap_error (error, self->revocation_endpoint));
      return;
    }

  status = soup_message_get_status (data->message);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_task_return_new_error (task, SV_ERROR, SV_ERROR_NETWORK,
                               _("The server could not revoke the sign-in (HTTP status %u). It ends when the token expires."),
                               status);
      return;
    }

  g_task_return_boolean (task, TRUE);
}

/**
 * sv_token_client_revoke_async:
 * @self: a token client
 * @token: the token to revoke
 * @token_type_hint: (nullable): `refresh_token` or `access_token`
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Revokes a token (RFC 7009). Without a revocation endpoint this does
 * nothing and succeeds: there is nothing more the client can do.
 */
void
sv_token_client_revoke_async (SvTokenClient       *self,
                              const char          *token,
                              const char          *token_type_hint,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GHashTable) form = g_hash_table_new (g_str_hash, g_str_equal);

  g_return_if_fail (SV_IS_TOKEN_CLIENT (self));

  if (self->revocation_endpoint == NULL || token == NULL)
    {
      g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

      g_task_set_source_tag (task, sv_token_client_revoke_async);
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_hash_table_insert (form, (char *) "token", (char *) token);
  if (token_type_hint != NULL)
    g_hash_table_insert (form, (char *) "token_type_hint", (char *) token_type_hint);

  post (self, self->revocation_endpoint, form, NULL, FALSE,
        sv_token_client_revoke_async, on_revoke_answer,
        cancellable, callback, user_data);
}

gboolean
sv_token_client_revoke_finish (SvTokenClient  *self,
                               GAsyncResult   *result,
                               GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
