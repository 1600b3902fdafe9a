/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-sign-in-flow"

#include "config.h"

#include "sv-sign-in-flow.h"

#include <glib/gi18n.h>
#include <string.h>

#include "sv-discovery.h"
#include "sv-error.h"
#include "sv-loopback-redirect.h"
#include "sv-memory.h"
#include "sv-sign-in-window.h"

/* One sign-in, start to end: discovery, the authorization request, the
 * login page (embedded, or the system browser with a loopback listener or
 * the app's URI scheme), then the code exchange in the session. The caller
 * gets a signed-in SvSession or an error that says what went wrong. */

struct _SvSignInFlow
{
  GObject                 parent_instance;

  SvServerProfile        *profile;
  SoupSession            *http;
  SvTokenStore           *store;
  GtkWindow              *parent;
  SvTimeline             *timeline;

  SvSession              *session;
  SvDiscovery            *discovery;
  SvAuthorizationRequest *request;
  char                   *authorization_url;
  SvLoopbackRedirect     *loopback;
  SvSignInWindow         *sign_in_window;
  GTask                  *task;
  gboolean                try_restore;
};

G_DEFINE_FINAL_TYPE (SvSignInFlow, sv_sign_in_flow, G_TYPE_OBJECT)

static GCancellable *
flow_cancellable (SvSignInFlow *self)
{
  return self->task != NULL ? g_task_get_cancellable (self->task) : NULL;
}

static void
sv_sign_in_flow_return_error (SvSignInFlow *self,
                              GError       *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);

  g_clear_object (&self->loopback);
  if (task != NULL)
    g_task_return_error (task, error);
  else
    g_error_free (error);
}

static void
on_signed_in (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(SvSignInFlow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;

  if (!sv_session_sign_in_finish (SV_SESSION (source), result, &error))
    {
      sv_sign_in_flow_return_error (self, g_steal_pointer (&error));
      return;
    }
  if (self->timeline != NULL)
    sv_timeline_reveal_verifier_after_exchange (self->timeline);

  task = g_steal_pointer (&self->task);
  if (task != NULL)
    g_task_return_pointer (task, g_object_ref (self->session), g_object_unref);
}

static void
sv_sign_in_flow_exchange (SvSignInFlow *self,
                          const char   *redirect)
{
  g_clear_object (&self->loopback);
  if (self->timeline != NULL)
    sv_timeline_add_redirect (self->timeline, redirect);
  sv_session_sign_in_async (self->session, self->request, redirect, flow_cancellable (self),
                            on_signed_in, g_object_ref (self));
}

/**
 * sv_sign_in_flow_offer_redirect:
 * @self: the flow
 * @uri: a URI the app received (through its URI scheme, or pasted by the user)
 *
 * Hands a redirect to a flow that waits in the system browser.
 *
 * Returns: %TRUE when @uri was this flow's redirect and is being exchanged
 */
gboolean
sv_sign_in_flow_offer_redirect (SvSignInFlow *self,
                                const char   *uri)
{
  g_return_val_if_fail (SV_IS_SIGN_IN_FLOW (self), FALSE);

  if (self->task == NULL || self->request == NULL || self->sign_in_window != NULL ||
      !sv_authorization_request_is_redirect (self->request, uri))
    return FALSE;

  sv_sign_in_flow_exchange (self, uri);
  return TRUE;
}

static void
on_window_finished (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(SvSignInFlow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *redirect = NULL;

  redirect = sv_sign_in_window_run_finish (SV_SIGN_IN_WINDOW (source), result, &error);
  self->sign_in_window = NULL;
  /* The window and its web view are gone in a moment; what WebKit held in
   * this process can then go back to the system. */
  sv_memory_trim_later (300);

  if (redirect == NULL)
    {
      sv_sign_in_flow_return_error (self, g_steal_pointer (&error));
      return;
    }

  sv_sign_in_flow_exchange (self, redirect);
}

static void
on_loopback_redirect (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(SvSignInFlow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *redirect = NULL;

  redirect = sv_loopback_redirect_wait_finish (SV_LOOPBACK_REDIRECT (source), result, &error);
  if (redirect == NULL)
    {
      /* The paste fallback may have finished the flow already. */
      if (self->task != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        sv_sign_in_flow_return_error (self, g_steal_pointer (&error));
      return;
    }

  if (self->task != NULL)
    sv_sign_in_flow_exchange (self, redirect);
}

static void
on_browser_launched (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!g_app_info_launch_default_for_uri_finish (result, &error))
    /* Not fatal: the window offers the address to copy and a paste field. */
    g_debug ("Could not open the system browser: %s", error->message);
}

static void
sv_sign_in_flow_start_login (SvSignInFlow *self)
{
  SvRedirectMode mode = sv_server_profile_get_redirect_mode (self->profile);
  g_autoptr(GError) error = NULL;
  g_autofree char *redirect_uri = NULL;

  if (mode == SV_REDIRECT_BROWSER)
    {
      self->loopback = sv_loopback_redirect_new (0, &error);
      if (self->loopback == NULL)
        {
          sv_sign_in_flow_return_error (self, g_steal_pointer (&error));
          return;
        }
      redirect_uri = sv_loopback_redirect_dup_redirect_uri (self->loopback);
    }
  else
    {
      redirect_uri = sv_server_profile_dup_redirect_uri (self->profile, 0);
    }

  self->request = sv_session_new_authorization_request (self->session, redirect_uri, &error);
  if (self->request == NULL)
    {
      sv_sign_in_flow_return_error (self, g_steal_pointer (&error));
      return;
    }
  self->authorization_url = sv_authorization_request_dup_url (self->request);
  if (self->timeline != NULL)
    sv_timeline_add_authorization_request (self->timeline, self->request);

  if (mode == SV_REDIRECT_EMBEDDED)
    {
      self->sign_in_window = sv_sign_in_window_new (self->parent, self->authorization_url,
                                                    redirect_uri, NULL);
      sv_sign_in_window_run_async (self->sign_in_window, flow_cancellable (self),
                                   on_window_finished, g_object_ref (self));
      return;
    }

  if (self->loopback != NULL)
    sv_loopback_redirect_wait_async (self->loopback, flow_cancellable (self),
                                     on_loopback_redirect, g_object_ref (self));

  g_app_info_launch_default_for_uri_async (self->authorization_url, NULL, flow_cancellable (self),
                                           on_browser_launched, NULL);
}

static void
on_restored (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(SvSignInFlow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;

  if (sv_session_restore_finish (SV_SESSION (source), result, &error))
    {
      task = g_steal_pointer (&self->task);
      if (task != NULL)
        g_task_return_pointer (task, g_object_ref (self->session), g_object_unref);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      sv_sign_in_flow_return_error (self, g_steal_pointer (&error));
      return;
    }

  /* Nothing kept, or the kept session was refused: sign in again. */
  g_debug ("No session to restore: %s", error->message);
  sv_sign_in_flow_start_login (self);
}

static void
on_tokens_received (SvSession  *session,
                    const char *access_token,
                    const char *id_token,
                    SvTimeline *timeline)
{
  sv_timeline_add_tokens (timeline, access_token, id_token);
}

static void on_client_secret (GObject      *source,
                              GAsyncResult *result,
                              gpointer      user_data);

static void
on_discovered (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(SvSignInFlow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SvDiscovery) discovery = NULL;

  discovery = sv_discovery_fetch_finish (result, &error);
  if (discovery == NULL)
    {
      sv_sign_in_flow_return_error (self, g_steal_pointer (&error));
      return;
    }

  /* A confidential workshop client keeps its secret in the keyring only. */
  g_set_object (&self->discovery, discovery);
  if (self->timeline != NULL)
    sv_timeline_set_endpoints (self->timeline, sv_server_profile_get_fhir_base_url (self->profile),
                               sv_discovery_get_token_endpoint (discovery),
                               sv_discovery_get_revocation_endpoint (discovery));
  if (self->timeline != NULL)
    sv_timeline_set_jwks_uri (self->timeline, sv_discovery_get_jwks_uri (discovery));
  sv_token_store_lookup_client_secret_async (self->store, sv_server_profile_get_name (self->profile),
                                             flow_cancellable (self), on_client_secret,
                                             g_object_ref (self));
}

static void
on_client_secret (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(SvSignInFlow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *secret = NULL;

  secret = sv_token_store_lookup_client_secret_finish (SV_TOKEN_STORE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      sv_sign_in_flow_return_error (self, g_steal_pointer (&error));
      return;
    }
  if (error != NULL)
    /* No keyring: a public client needs none, and a confidential one is
     * told so by the server's invalid_client. */
    g_debug ("No client secret: %s", error->message);

  g_clear_object (&self->session);
  self->session = sv_session_new (self->profile, self->discovery, self->http, self->store, secret);
  if (secret != NULL)
    explicit_bzero (secret, strlen (secret));
  /* For the session's whole life: refreshes bring new tokens too. */
  if (self->timeline != NULL)
    g_signal_connect_object (self->session, "tokens-received", G_CALLBACK (on_tokens_received),
                             self->timeline, 0);
  if (self->try_restore)
    sv_session_restore_async (self->session, flow_cancellable (self), on_restored, g_object_ref (self));
  else
    sv_sign_in_flow_start_login (self);
}

/**
 * sv_sign_in_flow_run_async:
 * @self: the flow
 * @cancellable: (nullable): cancels the whole sign-in
 * @callback: called with the session or an error
 * @user_data: for @callback
 */
void
sv_sign_in_flow_run_async (SvSignInFlow        *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (SV_IS_SIGN_IN_FLOW (self));
  g_return_if_fail (self->task == NULL);

  self->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->task, sv_sign_in_flow_run_async);

  /* The inspector's timeline: a new section per sign-in. */
  if (self->timeline != NULL)
    sv_timeline_add_sign_in (self->timeline, sv_server_profile_get_name (self->profile));
  sv_discovery_fetch_async (self->profile, self->http, cancellable, on_discovered, g_object_ref (self));
}

/**
 * sv_sign_in_flow_run_finish:
 * @self: the flow
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full): the signed-in session
 */
SvSession *
sv_sign_in_flow_run_finish (SvSignInFlow  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * sv_sign_in_flow_set_try_restore:
 * @self: the flow
 * @try_restore: whether a session kept in the keyring is used first
 *
 * With @try_restore, the flow first refreshes the session kept for the
 * profile, and shows a login page only when there is none or it was
 * refused.
 */
void
sv_sign_in_flow_set_try_restore (SvSignInFlow *self,
                                 gboolean      try_restore)
{
  g_return_if_fail (SV_IS_SIGN_IN_FLOW (self));

  self->try_restore = try_restore;
}

/**
 * sv_sign_in_flow_get_authorization_url:
 * @self: the flow
 *
 * Returns: (nullable): the authorization request, to show for copying
 */
const char *
sv_sign_in_flow_get_authorization_url (SvSignInFlow *self)
{
  g_return_val_if_fail (SV_IS_SIGN_IN_FLOW (self), NULL);

  return self->authorization_url;
}

/**
 * sv_sign_in_flow_get_sign_in_window:
 * @self: the flow
 *
 * Returns: (transfer none) (nullable): the embedded sign-in window while it is open
 */
GtkWindow *
sv_sign_in_flow_get_sign_in_window (SvSignInFlow *self)
{
  g_return_val_if_fail (SV_IS_SIGN_IN_FLOW (self), NULL);

  return GTK_WINDOW (self->sign_in_window);
}

static void
sv_sign_in_flow_dispose (GObject *object)
{
  SvSignInFlow *self = SV_SIGN_IN_FLOW (object);

  g_clear_object (&self->loopback);
  g_clear_object (&self->request);
  g_clear_object (&self->session);
  g_clear_object (&self->discovery);
  g_clear_object (&self->profile);
  g_clear_object (&self->http);
  g_clear_object (&self->store);
  g_clear_object (&self->timeline);
  g_clear_weak_pointer (&self->parent);

  G_OBJECT_CLASS (sv_sign_in_flow_parent_class)->dispose (object);
}

static void
sv_sign_in_flow_finalize (GObject *object)
{
  SvSignInFlow *self = SV_SIGN_IN_FLOW (object);

  g_free (self->authorization_url);

  G_OBJECT_CLASS (sv_sign_in_flow_parent_class)->finalize (object);
}

static void
sv_sign_in_flow_class_init (SvSignInFlowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sv_sign_in_flow_dispose;
  object_class->finalize = sv_sign_in_flow_finalize;
}

static void
sv_sign_in_flow_init (SvSignInFlow *self)
{
}

/**
 * sv_sign_in_flow_new:
 * @profile: the server profile to sign in with
 * @http: the HTTP session
 * @store: where the session's tokens go
 * @parent: (nullable): the window the sign-in belongs to
 *
 * Returns: (transfer full): a new flow
 */
SvSignInFlow *
sv_sign_in_flow_new (SvServerProfile *profile,
                     SoupSession     *http,
                     SvTokenStore    *store,
                     GtkWindow       *parent)
{
  SvSignInFlow *self = g_object_new (SV_TYPE_SIGN_IN_FLOW, NULL);

  self->profile = g_object_ref (profile);
  self->http = g_object_ref (http);
  self->store = g_object_ref (store);
  g_set_weak_pointer (&self->parent, parent);

  return self;
}

/**
 * sv_sign_in_flow_set_timeline:
 * @self: the flow
 * @timeline: (nullable): the inspector's timeline
 *
 * The steps only the flow sees go into @timeline: the authorization
 * request, the redirect, the tokens (decoded; of every later refresh too),
 * and the endpoints discovery found.
 */
void
sv_sign_in_flow_set_timeline (SvSignInFlow *self,
                              SvTimeline   *timeline)
{
  g_return_if_fail (SV_IS_SIGN_IN_FLOW (self));

  g_set_object (&self->timeline, timeline);
}
