/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-sign-in"

#include "config.h"

#include "sv-sign-in-window.h"

#include <glib/gi18n.h>

#include "sv-error.h"

/* The embedded sign-in page. It is honest about where the user types their
 * password (the IdP's host and the TLS state are always in the header bar),
 * keeps no cookies unless asked to, offers no JavaScript bridge into the
 * app, and catches the redirect before any request for it is sent: the
 * authorization code never reaches a network or an error page. The window,
 * its web context and its web processes go away when sign-in ends. */

/* The private-use scheme of the app's redirect URI (RFC 8252 §7.1). */
#define SV_REDIRECT_SCHEME "io.github.smartviewer.smartviewer"

struct _SvSignInWindow
{
  AdwWindow             parent_instance;

  char                 *authorization_url;
  char                 *redirect_uri;
  char                 *persistent_data_dir;
  char                 *host;
  gboolean              secure;

  WebKitWebContext     *web_context;
  WebKitNetworkSession *network_session;
  WebKitWebView        *web_view;
  GTask                *task;

  AdwWindowTitle       *window_title;
  GtkImage             *security_icon;
  GtkProgressBar       *progress_bar;
  GtkStack             *stack;
  GtkBox               *web_box;
  AdwStatusPage        *error_page;
};

G_DEFINE_FINAL_TYPE (SvSignInWindow, sv_sign_in_window, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_AUTHORIZATION_URL,
  PROP_REDIRECT_URI,
  PROP_PERSISTENT_DATA_DIR,
  PROP_HOST,
  PROP_SECURE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/**
 * sv_redirect_uri_matches:
 * @uri: a URI the web view is about to load
 * @redirect_uri: the registered redirect URI
 *
 * Whether @uri is the redirect: same scheme, host, port and path as
 * @redirect_uri, exactly; only the query (and fragment) may differ.
 *
 * Returns: %TRUE when @uri is the redirect
 */
gboolean
sv_redirect_uri_matches (const char *uri,
                         const char *redirect_uri)
{
  g_autoptr(GUri) parsed = NULL;
  g_autoptr(GUri) expected = NULL;

  if (uri == NULL || redirect_uri == NULL)
    return FALSE;

  parsed = g_uri_parse (uri, G_URI_FLAGS_ENCODED, NULL);
  expected = g_uri_parse (redirect_uri, G_URI_FLAGS_ENCODED, NULL);
  if (parsed == NULL || expected == NULL)
    return FALSE;

  return g_ascii_strcasecmp (g_uri_get_scheme (parsed), g_uri_get_scheme (expected)) == 0 &&
         g_uri_get_userinfo (parsed) == NULL &&
         g_strcmp0 (g_uri_get_host (parsed), g_uri_get_host (expected)) == 0 &&
         g_uri_get_port (parsed) == g_uri_get_port (expected) &&
         g_strcmp0 (g_uri_get_path (parsed), g_uri_get_path (expected)) == 0;
}

static gboolean
sv_sign_in_window_destroy_idle (gpointer user_data)
{
  gtk_window_destroy (GTK_WINDOW (user_data));

  return G_SOURCE_REMOVE;
}

static void
sv_sign_in_window_finish (SvSignInWindow *self,
                          char           *redirect,
                          GError         *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);

  if (task == NULL)
    {
      g_free (redirect);
      g_clear_error (&error);
      return;
    }

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, redirect, g_free);

  /* The web view must not load anything more once sign-in has ended; the
   * window goes once the web view's signal handlers have returned. */
  webkit_web_view_stop_loading (self->web_view);
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
  g_idle_add_full (G_PRIORITY_DEFAULT, sv_sign_in_window_destroy_idle,
                   g_object_ref (self), g_object_unref);
}

static void
sv_sign_in_window_update_security (SvSignInWindow *self)
{
  const char *uri = webkit_web_view_get_uri (self->web_view);
  g_autoptr(GUri) parsed = uri != NULL ? g_uri_parse (uri, G_URI_FLAGS_NONE, NULL) : NULL;
  GTlsCertificate *certificate = NULL;
  GTlsCertificateFlags errors = 0;
  const char *host = parsed != NULL ? g_uri_get_host (parsed) : NULL;
  gboolean secure = FALSE;
  const char *icon = "channel-insecure-symbolic";
  const char *tooltip;

  if (parsed != NULL && g_ascii_strcasecmp (g_uri_get_scheme (parsed), "https") == 0 &&
      webkit_web_view_get_tls_info (self->web_view, &certificate, &errors) && errors == 0)
    {
      secure = TRUE;
      icon = "channel-secure-symbolic";
      tooltip = _("The connection to this page is encrypted and the certificate is valid");
    }
  else if (parsed != NULL && g_ascii_strcasecmp (g_uri_get_scheme (parsed), "http") == 0)
    {
      tooltip = _("This page is not encrypted; only a server on this computer may be used so");
    }
  else
    {
      tooltip = _("The security of this page is not known");
    }

  g_free (self->host);
  self->host = g_strdup (host != NULL ? host : "");
  self->secure = secure;

  adw_window_title_set_subtitle (self->window_title, self->host);
  gtk_image_set_from_icon_name (self->security_icon, icon);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->security_icon), tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->security_icon),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HOST]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SECURE]);
}

static void
sv_sign_in_window_show_error (SvSignInWindow *self,
                              const char     *title,
                              const char     *description)
{
  adw_status_page_set_title (self->error_page, title);
  adw_status_page_set_description (self->error_page, description);
  gtk_stack_set_visible_child_name (self->stack, "error");
}

static gboolean
on_decide_policy (WebKitWebView            *web_view,
                  WebKitPolicyDecision     *decision,
                  WebKitPolicyDecisionType  type,
                  SvSignInWindow           *self)
{
  WebKitNavigationAction *action;
  WebKitURIRequest *request;
  const char *uri;

  if (type != WEBKIT_POLICY_DECISION_TYPE_NAVIGATION_ACTION &&
      type != WEBKIT_POLICY_DECISION_TYPE_NEW_WINDOW_ACTION)
    return FALSE;

  action = webkit_navigation_policy_decision_get_navigation_action (WEBKIT_NAVIGATION_POLICY_DECISION (decision));
  request = webkit_navigation_action_get_request (action);
  uri = webkit_uri_request_get_uri (request);

  if (sv_redirect_uri_matches (uri, self->redirect_uri))
    {
      /* Caught before any request is sent: the code stays in this process. */
      webkit_policy_decision_ignore (decision);
      sv_sign_in_window_finish (self, g_strdup (uri), NULL);
      return TRUE;
    }

  if (type == WEBKIT_POLICY_DECISION_TYPE_NEW_WINDOW_ACTION)
    {
      /* Sign-in pages have no business opening windows. */
      webkit_policy_decision_ignore (decision);
      return TRUE;
    }

  return FALSE;
}

static void
on_load_changed (WebKitWebView   *web_view,
                 WebKitLoadEvent  event,
                 SvSignInWindow  *self)
{
  switch (event)
    {
    case WEBKIT_LOAD_STARTED:
      gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), TRUE);
      break;

    case WEBKIT_LOAD_COMMITTED:
      sv_sign_in_window_update_security (self);
      break;

    case WEBKIT_LOAD_FINISHED:
      gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), FALSE);
      break;

    case WEBKIT_LOAD_REDIRECTED:
    default:
      break;
    }
}

static gboolean
on_load_failed (WebKitWebView   *web_view,
                WebKitLoadEvent  event,
                const char      *failing_uri,
                GError          *error,
                SvSignInWindow  *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), FALSE);

  /* A load replaced by the caught redirect is not a failure. */
  if (g_error_matches (error, WEBKIT_NETWORK_ERROR, WEBKIT_NETWORK_ERROR_CANCELLED) ||
      g_error_matches (error, WEBKIT_POLICY_ERROR, WEBKIT_POLICY_ERROR_FRAME_LOAD_INTERRUPTED_BY_POLICY_CHANGE))
    return TRUE;

  g_debug ("Sign-in page failed to load: %s", error->message);
  sv_sign_in_window_show_error (self, _("The Sign-in Page Could Not Be Loaded"),
                                _("Check your network connection and the server address in the profile, then try again."));
  return TRUE;
}

static gboolean
on_load_failed_with_tls_errors (WebKitWebView        *web_view,
                                const char           *failing_uri,
                                GTlsCertificate      *certificate,
                                GTlsCertificateFlags  errors,
                                SvSignInWindow       *self)
{
  /* Never offer to continue: a password typed here would go to whoever
   * holds the bad certificate. */
  sv_sign_in_window_show_error (self, _("The Sign-in Page Is Not Secure"),
                                _("The server’s certificate is not valid, so your password could be read by others. "
                                  "Ask the server’s administrator, or check the address in the profile."));
  return TRUE;
}

static void
on_redirect_scheme_request (WebKitURISchemeRequest *request,
                            gpointer                user_data)
{
  g_autoptr(GError) error = NULL;

  /* decide-policy catches the redirect first; this only makes sure that a
   * redirect arriving some other way ends quietly, never as an error page
   * showing the code. */
  error = g_error_new_literal (WEBKIT_NETWORK_ERROR, WEBKIT_NETWORK_ERROR_CANCELLED, "");
  webkit_uri_scheme_request_finish_error (request, error);
}

static void
on_retry_clicked (SvSignInWindow *self)
{
  gtk_stack_set_visible_child_name (self->stack, "web");
  webkit_web_view_load_uri (self->web_view, self->authorization_url);
}

static void
on_cancel_clicked (SvSignInWindow *self)
{
  gtk_window_close (GTK_WINDOW (self));
}

static gboolean
sv_sign_in_window_close_request (GtkWindow *window)
{
  SvSignInWindow *self = SV_SIGN_IN_WINDOW (window);

  if (self->task != NULL)
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->task);

      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               _("Sign-in was cancelled."));
    }

  return GTK_WINDOW_CLASS (sv_sign_in_window_parent_class)->close_request (window);
}

static void
sv_sign_in_window_constructed (GObject *object)
{
  SvSignInWindow *self = SV_SIGN_IN_WINDOW (object);
  WebKitSettings *settings;

  G_OBJECT_CLASS (sv_sign_in_window_parent_class)->constructed (object);

  /* A context of its own: its web processes end with this window, and the
   * redirect scheme is registered on it alone. */
  self->web_context = webkit_web_context_new ();
  webkit_web_context_register_uri_scheme (self->web_context, SV_REDIRECT_SCHEME,
                                          on_redirect_scheme_request, NULL, NULL);

  if (self->persistent_data_dir != NULL)
    {
      g_autofree char *data = g_build_filename (self->persistent_data_dir, "data", NULL);
      g_autofree char *cache = g_build_filename (self->persistent_data_dir, "cache", NULL);

      self->network_session = webkit_network_session_new (data, cache);
    }
  else
    {
      self->network_session = webkit_network_session_new_ephemeral ();
    }

  self->web_view = g_object_new (WEBKIT_TYPE_WEB_VIEW,
                                 "web-context", self->web_context,
                                 "network-session", self->network_session,
                                 "vexpand", TRUE,
                                 "hexpand", TRUE,
                                 NULL);
  settings = webkit_web_view_get_settings (self->web_view);
  webkit_settings_set_enable_developer_extras (settings, FALSE);
  webkit_settings_set_javascript_can_open_windows_automatically (settings, FALSE);

  g_signal_connect_object (self->web_view, "decide-policy", G_CALLBACK (on_decide_policy), self, 0);
  g_signal_connect_object (self->web_view, "load-changed", G_CALLBACK (on_load_changed), self, 0);
  g_signal_connect_object (self->web_view, "load-failed", G_CALLBACK (on_load_failed), self, 0);
  g_signal_connect_object (self->web_view, "load-failed-with-tls-errors",
                           G_CALLBACK (on_load_failed_with_tls_errors), self, 0);
  g_object_bind_property (self->web_view, "estimated-load-progress",
                          self->progress_bar, "fraction", G_BINDING_SYNC_CREATE);

  gtk_box_append (self->web_box, GTK_WIDGET (self->web_view));
}

static void
sv_sign_in_window_dispose (GObject *object)
{
  SvSignInWindow *self = SV_SIGN_IN_WINDOW (object);

  if (self->task != NULL)
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->task);

      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Sign-in was cancelled."));
    }

  gtk_widget_dispose_template (GTK_WIDGET (self), SV_TYPE_SIGN_IN_WINDOW);
  self->web_view = NULL;
  g_clear_object (&self->network_session);
  g_clear_object (&self->web_context);

  G_OBJECT_CLASS (sv_sign_in_window_parent_class)->dispose (object);
}

static void
sv_sign_in_window_finalize (GObject *object)
{
  SvSignInWindow *self = SV_SIGN_IN_WINDOW (object);

  g_free (self->authorization_url);
  g_free (self->redirect_uri);
  g_free (self->persistent_data_dir);
  g_free (self->host);

  G_OBJECT_CLASS (sv_sign_in_window_parent_class)->finalize (object);
}

static void
sv_sign_in_window_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  SvSignInWindow *self = SV_SIGN_IN_WINDOW (object);

  switch (prop_id)
    {
    case PROP_AUTHORIZATION_URL:
      g_value_set_string (value, self->authorization_url);
      break;
    case PROP_REDIRECT_URI:
      g_value_set_string (value, self->redirect_uri);
      break;
    case PROP_PERSISTENT_DATA_DIR:
      g_value_set_string (value, self->persistent_data_dir);
      break;
    case PROP_HOST:
      g_value_set_string (value, self->host);
      break;
    case PROP_SECURE:
      g_value_set_boolean (value, self->secure);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sv_sign_in_window_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  SvSignInWindow *self = SV_SIGN_IN_WINDOW (object);

  switch (prop_id)
    {
    case PROP_AUTHORIZATION_URL:
      self->authorization_url = g_value_dup_string (value);
      break;
    case PROP_REDIRECT_URI:
      self->redirect_uri = g_value_dup_string (value);
      break;
    case PROP_PERSISTENT_DATA_DIR:
      self->persistent_data_dir = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sv_sign_in_window_class_init (SvSignInWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = sv_sign_in_window_constructed;
  object_class->dispose = sv_sign_in_window_dispose;
  object_class->finalize = sv_sign_in_window_finalize;
  object_class->get_property = sv_sign_in_window_get_property;
  object_class->set_property = sv_sign_in_window_set_property;
  window_class->close_request = sv_sign_in_window_close_request;

  properties[PROP_AUTHORIZATION_URL] =
    g_param_spec_string ("authorization-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REDIRECT_URI] =
    g_param_spec_string ("redirect-uri", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PERSISTENT_DATA_DIR] =
    g_param_spec_string ("persistent-data-dir", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HOST] =
    g_param_spec_string ("host", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SECURE] =
    g_param_spec_boolean ("secure", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/sv-sign-in-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SvSignInWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, SvSignInWindow, security_icon);
  gtk_widget_class_bind_template_child (widget_class, SvSignInWindow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, SvSignInWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, SvSignInWindow, web_box);
  gtk_widget_class_bind_template_child (widget_class, SvSignInWindow, error_page);
  gtk_widget_class_bind_template_callback (widget_class, on_retry_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
sv_sign_in_window_init (SvSignInWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/**
 * sv_sign_in_window_new:
 * @parent: (nullable): the window that asked for sign-in
 * @authorization_url: the IdP's authorization request
 * @redirect_uri: the registered redirect URI to catch
 * @persistent_data_dir: (nullable): keep cookies there; %NULL for an ephemeral session
 *
 * Returns: (transfer floating): the window
 */
SvSignInWindow *
sv_sign_in_window_new (GtkWindow  *parent,
                       const char *authorization_url,
                       const char *redirect_uri,
                       const char *persistent_data_dir)
{
  g_return_val_if_fail (authorization_url != NULL, NULL);
  g_return_val_if_fail (redirect_uri != NULL, NULL);

  return g_object_new (SV_TYPE_SIGN_IN_WINDOW,
                       "transient-for", parent,
                       "modal", parent != NULL,
                       "authorization-url", authorization_url,
                       "redirect-uri", redirect_uri,
                       "persistent-data-dir", persistent_data_dir,
                       NULL);
}

/**
 * sv_sign_in_window_run_async:
 * @self: the window
 * @cancellable: (nullable): cancels the sign-in and closes the window
 * @callback: called with the redirect, or an error when the user cancelled
 * @user_data: for @callback
 *
 * Shows the window and loads the authorization request.
 */
void
sv_sign_in_window_run_async (SvSignInWindow      *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (SV_IS_SIGN_IN_WINDOW (self));
  g_return_if_fail (self->task == NULL);

  self->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->task, sv_sign_in_window_run_async);
  if (cancellable != NULL)
    g_signal_connect_object (cancellable, "cancelled", G_CALLBACK (gtk_window_close), self,
                             G_CONNECT_SWAPPED);

  gtk_window_present (GTK_WINDOW (self));
  webkit_web_view_load_uri (self->web_view, self->authorization_url);
}

/**
 * sv_sign_in_window_run_finish:
 * @self: the window
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full): the redirect URI with its query, for the caller to
 *   check (`state`, `iss`) and exchange
 */
char *
sv_sign_in_window_run_finish (SvSignInWindow  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * sv_sign_in_window_get_web_view:
 * @self: the window
 *
 * Returns: (transfer none): the web view, for tests that fill the login form
 */
WebKitWebView *
sv_sign_in_window_get_web_view (SvSignInWindow *self)
{
  g_return_val_if_fail (SV_IS_SIGN_IN_WINDOW (self), NULL);

  return self->web_view;
}

/**
 * sv_sign_in_window_get_host:
 * @self: the window
 *
 * Returns: (transfer none) (nullable): the host of the page shown
 */
const char *
sv_sign_in_window_get_host (SvSignInWindow *self)
{
  g_return_val_if_fail (SV_IS_SIGN_IN_WINDOW (self), NULL);

  return self->host;
}

/**
 * sv_sign_in_window_get_secure:
 * @self: the window
 *
 * Returns: whether the page shown came over verified TLS
 */
gboolean
sv_sign_in_window_get_secure (SvSignInWindow *self)
{
  g_return_val_if_fail (SV_IS_SIGN_IN_WINDOW (self), FALSE);

  return self->secure;
}
