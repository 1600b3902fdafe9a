/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-core"

#include "config.h"

#include "sv-session.h"

#include <glib/gi18n.h>
#include <string.h>

#include "sv-error.h"
#include "sv-http.h"
#include "sv-jwt.h"
#include "sv-scope.h"
#include "sv-token-client.h"

/**
 * SvSession:
 *
 * One signed-in session for one profile. The access token lives in memory
 * only; what is needed to come back after a restart (refresh token, expiry,
 * scopes, patient, fhirUser, issuer) goes to the #SvTokenStore. Refreshes
 * are single-flight: however many callers find the token stale or get a 401
 * at the same time, one refresh request goes out and all of them wait for it.
 */
struct _SvSession
{
  GObject parent_instance;

  SvServerProfile *profile;
  SvDiscovery *discovery;
  SoupSession *http;
  SvTokenStore *store;
  SvTokenClient *token_client;

  char *access_token;
  char *refresh_token;
  gint64 expires_at;
  /* How long the access token was issued for; 0 when not known. */
  gint64 lifetime;
  char *granted_scope;
  char *asked_scope;
  char *patient;
  SvPatientSource patient_source;
  char *fhir_user;
  JsonObject *id_claims;
  GBytes *jwks;

  /* Tasks waiting for the refresh in flight; NULL when none is. */
  GPtrArray *refresh_waiters;
  gboolean auto_refresh;
  guint refresh_timer;
};

G_DEFINE_FINAL_TYPE (SvSession, sv_session, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (SvPatientSource, sv_patient_source,
                    G_DEFINE_ENUM_VALUE (SV_PATIENT_SOURCE_NONE, "none"),
                    G_DEFINE_ENUM_VALUE (SV_PATIENT_SOURCE_TOKEN_RESPONSE, "token-response"),
                    G_DEFINE_ENUM_VALUE (SV_PATIENT_SOURCE_ACCESS_TOKEN, "access-token"),
                    G_DEFINE_ENUM_VALUE (SV_PATIENT_SOURCE_ID_TOKEN, "id-token"))

enum
{
  SIGN_IN_REQUIRED,
  TOKENS_RECEIVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Read-only, for the GUI's signed-in page to bind to. */
enum
{
  PROP_0,
  PROP_SIGNED_IN,
  PROP_FHIR_USER,
  PROP_PATIENT,
  PROP_PATIENT_SOURCE,
  PROP_GRANTED_SCOPE,
  PROP_EXPIRES_AT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
notify_state (SvSession *self)
{
  g_object_freeze_notify (G_OBJECT (self));
  for (guint i = PROP_0 + 1; i < N_PROPS; i++)
    g_object_notify_by_pspec (G_OBJECT (self), properties[i]);
  g_object_thaw_notify (G_OBJECT (self));
}

/* Refresh this long before the access token expires, so a request started
 * just before expiry does not arrive with a dead token. */
#define REFRESH_MARGIN_SECONDS 60

static gint64
now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* A token that lives shorter than twice the margin is refreshed once half
 * used; else it would be refreshed before every request. */
static gint64
refresh_margin (SvSession *self)
{
  return self->lifetime > 0 ? MIN (REFRESH_MARGIN_SECONDS, self->lifetime / 2) : REFRESH_MARGIN_SECONDS;
}

static void
wipe (char **secret)
{
  if (*secret != NULL)
    explicit_bzero (*secret, strlen (*secret));
  g_clear_pointer (secret, g_free);
}

static void
clear_state (SvSession *self)
{
  wipe (&self->access_token);
  wipe (&self->refresh_token);
  self->expires_at = 0;
  self->lifetime = 0;
  g_clear_pointer (&self->granted_scope, g_free);
  g_clear_pointer (&self->asked_scope, g_free);
  g_clear_pointer (&self->patient, g_free);
  self->patient_source = SV_PATIENT_SOURCE_NONE;
  g_clear_pointer (&self->fhir_user, g_free);
  g_clear_pointer (&self->id_claims, json_object_unref);
  g_clear_handle_id (&self->refresh_timer, g_source_remove);
}

static void
sv_session_dispose (GObject *object)
{
  SvSession *self = SV_SESSION (object);

  g_clear_handle_id (&self->refresh_timer, g_source_remove);
  g_clear_object (&self->token_client);
  g_clear_object (&self->store);
  g_clear_object (&self->http);
  g_clear_object (&self->discovery);
  g_clear_object (&self->profile);

  G_OBJECT_CLASS (sv_session_parent_class)->dispose (object);
}

static void
sv_session_finalize (GObject *object)
{
  SvSession *self = SV_SESSION (object);

  clear_state (self);
  g_clear_pointer (&self->jwks, g_bytes_unref);
  g_clear_pointer (&self->refresh_waiters, g_ptr_array_unref);

  G_OBJECT_CLASS (sv_session_parent_class)->finalize (object);
}

static void
sv_session_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  SvSession *self = SV_SESSION (object);

  switch (prop_id)
    {
    case PROP_SIGNED_IN:
      g_value_set_boolean (value, sv_session_is_signed_in (self));
      break;
    case PROP_FHIR_USER:
      g_value_set_string (value, self->fhir_user);
      break;
    case PROP_PATIENT:
      g_value_set_string (value, self->patient);
      break;
    case PROP_PATIENT_SOURCE:
      g_value_set_enum (value, self->patient_source);
      break;
    case PROP_GRANTED_SCOPE:
      g_value_set_string (value, self->granted_scope);
      break;
    case PROP_EXPIRES_AT:
      g_value_set_int64 (value, self->expires_at);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sv_session_class_init (SvSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->dispose = sv_session_dispose;
  object_class->finalize = sv_session_finalize;
  object_class->get_property = sv_session_get_property;

  properties[PROP_SIGNED_IN] = g_param_spec_boolean ("signed-in", NULL, NULL, FALSE, flags);
  properties[PROP_FHIR_USER] = g_param_spec_string ("fhir-user", NULL, NULL, NULL, flags);
  properties[PROP_PATIENT] = g_param_spec_string ("patient", NULL, NULL, NULL, flags);
  properties[PROP_PATIENT_SOURCE] = g_param_spec_enum ("patient-source", NULL, NULL, SV_TYPE_PATIENT_SOURCE,
                                                       SV_PATIENT_SOURCE_NONE, flags);
  properties[PROP_GRANTED_SCOPE] = g_param_spec_string ("granted-scope", NULL, NULL, NULL, flags);
  properties[PROP_EXPIRES_AT] = g_param_spec_int64 ("expires-at", NULL, NULL, 0, G_MAXINT64, 0, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * SvSession::sign-in-required:
   * @self: the session
   * @reason: a translated explanation
   *
   * Emitted when a background refresh failed and the user must sign in again.
   */
  signals[SIGN_IN_REQUIRED] =
    g_signal_new ("sign-in-required", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * SvSession::tokens-received:
   * @self: the session
   * @access_token: the access token just received
   * @id_token: (nullable): the id token that came with it
   *
   * Emitted after a sign-in, a restore or a refresh was applied, for the
   * inspector's timeline (sv_timeline_add_tokens()), which keeps only the
   * decoded header and claims. The strings are passed without a copy
   * (%G_SIGNAL_TYPE_STATIC_SCOPE) and must not be kept.
   */
  signals[TOKENS_RECEIVED] =
    g_signal_new ("tokens-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
sv_session_init (SvSession *self)
{
  self->auto_refresh = TRUE;
}

/**
 * sv_session_new:
 * @profile: the profile
 * @discovery: its discovery
 * @http: the HTTP session
 * @store: the token store
 * @client_secret: (nullable): a confidential client's secret, from the keyring
 *
 * Returns: (transfer full): a session, not yet signed in
 */
SvSession *
sv_session_new (SvServerProfile *profile,
                SvDiscovery     *discovery,
                SoupSession     *http,
                SvTokenStore    *store,
                const char      *client_secret)
{
  SvSession *self;

  g_return_val_if_fail (SV_IS_SERVER_PROFILE (profile), NULL);
  g_return_val_if_fail (SV_IS_DISCOVERY (discovery), NULL);
  g_return_val_if_fail (SOUP_IS_SESSION (http), NULL);
  g_return_val_if_fail (SV_IS_TOKEN_STORE (store), NULL);

  self = g_object_new (SV_TYPE_SESSION, NULL);
  self->profile = g_object_ref (profile);
  self->discovery = g_object_ref (discovery);
  self->http = g_object_ref (http);
  self->store = g_object_ref (store);
  self->token_client = sv_token_client_new (http,
                                            sv_discovery_get_token_endpoint (discovery),
                                            sv_discovery_get_revocation_endpoint (discovery),
                                            sv_server_profile_get_client_id (profile),
                                            client_secret);

  return self;
}

/**
 * sv_session_set_auto_refresh:
 * @self: a session
 * @auto_refresh: whether to refresh in the background before expiry
 *
 * The app keeps it on; a one-shot command line call turns it off.
 */
void
sv_session_set_auto_refresh (SvSession *self,
                             gboolean   auto_refresh)
{
  g_return_if_fail (SV_IS_SESSION (self));
  self->auto_refresh = auto_refresh;
  if (!auto_refresh)
    g_clear_handle_id (&self->refresh_timer, g_source_remove);
}

/**
 * sv_session_new_authorization_request:
 * @self: a session
 * @redirect_uri: the exact redirect URI
 * @error: return location for an error
 *
 * Uses the profile's scopes, or the discovery's defaults when it has none.
 *
 * Returns: (transfer full) (nullable): a new authorization request
 */
SvAuthorizationRequest *
sv_session_new_authorization_request (SvSession   *self,
                                      const char  *redirect_uri,
                                      GError     **error)
{
  g_autofree char *scopes = NULL;

  g_return_val_if_fail (SV_IS_SESSION (self), NULL);

  if (sv_server_profile_get_scopes (self->profile) != NULL)
    scopes = g_strdup (sv_server_profile_get_scopes (self->profile));
  else
    scopes = sv_discovery_dup_default_scopes (self->discovery);

  return sv_authorization_request_new (sv_discovery_get_authorization_endpoint (self->discovery),
                                       sv_server_profile_get_client_id (self->profile),
                                       redirect_uri, scopes,
                                       sv_server_profile_get_fhir_base_url (self->profile),
                                       sv_discovery_get_issuer (self->discovery),
                                       error);
}

static void refresh_now (SvSession *self);

static gboolean
on_refresh_timer (gpointer user_data)
{
  SvSession *self = user_data;

  self->refresh_timer = 0;
  if (self->refresh_token != NULL && self->refresh_waiters == NULL)
    {
      g_debug ("Refreshing the access token before it expires");
      self->refresh_waiters = g_ptr_array_new ();
      refresh_now (self);
    }

  return G_SOURCE_REMOVE;
}

static void
schedule_refresh (SvSession *self)
{
  gint64 delay;

  g_clear_handle_id (&self->refresh_timer, g_source_remove);
  if (!self->auto_refresh || self->refresh_token == NULL)
    return;

  delay = MAX (self->expires_at - refresh_margin (self) - now_seconds (), 1);
  self->refresh_timer = g_timeout_add_seconds ((guint) MIN (delay, G_MAXUINT / 2), on_refresh_timer, self);
}

/* The patient context, in the order SMART-CLIENT.md gives. */
static void
resolve_patient (SvSession       *self,
                 SvTokenResponse *response)
{
  const char *claim = sv_server_profile_get_patient_claim (self->profile);
  g_autoptr(JsonObject) access_claims = NULL;
  const char *value;

  if (sv_token_response_get_patient (response) != NULL)
    {
      g_free (self->patient);
      self->patient = g_strdup (sv_token_response_get_patient (response));
      self->patient_source = SV_PATIENT_SOURCE_TOKEN_RESPONSE;
      return;
    }

  if (claim == NULL)
    return;

  /* The access token came straight from the token endpoint over TLS, so
   * its claims are as trustworthy as the response itself. */
  access_claims = sv_jwt_decode_claims (sv_token_response_get_access_token (response), NULL);
  value = sv_json_get_string (access_claims, claim);
  if (value != NULL)
    {
      g_free (self->patient);
      self->patient = g_strdup (value);
      self->patient_source = SV_PATIENT_SOURCE_ACCESS_TOKEN;
      return;
    }

  value = sv_json_get_string (self->id_claims, claim);
  if (value != NULL)
    {
      g_free (self->patient);
      self->patient = g_strdup (value);
      self->patient_source = SV_PATIENT_SOURCE_ID_TOKEN;
    }
}

static void
apply_response (SvSession       *self,
                SvTokenResponse *response,
                JsonObject      *verified_id_claims)
{
  const char *fhir_user;

  wipe (&self->access_token);
  self->access_token = g_strdup (sv_token_response_get_access_token (response));
  self->expires_at = sv_token_response_get_expires_at (response);
  self->lifetime = MAX (self->expires_at - now_seconds (), 0);

  /* Rotation: keep the new refresh token when one comes back, else the old. */
  if (sv_token_response_get_refresh_token (response) != NULL)
    {
      wipe (&self->refresh_token);
      self->refresh_token = g_strdup (sv_token_response_get_refresh_token (response));
    }

  g_free (self->granted_scope);
  self->granted_scope = g_strdup (sv_token_response_get_granted_scope (response));
  if (sv_token_response_get_asked_scope (response) != NULL)
    {
      g_free (self->asked_scope);
      self->asked_scope = g_strdup (sv_token_response_get_asked_scope (response));
    }

  if (verified_id_claims != NULL)
    {
      g_clear_pointer (&self->id_claims, json_object_unref);
      self->id_claims = json_object_ref (verified_id_claims);
    }

  /* Older SMART servers name the user in `profile`. */
  fhir_user = sv_json_get_string (self->id_claims, "fhirUser");
  if (fhir_user == NULL)
    fhir_user = sv_json_get_string (self->id_claims, "profile");
  if (fhir_user != NULL)
    {
      g_free (self->fhir_user);
      self->fhir_user = g_strdup (fhir_user);
    }

  resolve_patient (self, response);
  schedule_refresh (self);
  notify_state (self);
}

static SvStoredSession *
to_stored (SvSession *self)
{
  SvStoredSession *stored = sv_stored_session_new ();

  stored->refresh_token = g_strdup (self->refresh_token);
  stored->expires_at = self->expires_at;
  stored->granted_scope = g_strdup (self->granted_scope);
  stored->asked_scope = g_strdup (self->asked_scope);
  stored->patient = g_strdup (self->patient);
  stored->patient_source = self->patient_source;
  stored->fhir_user = g_strdup (self->fhir_user);
  stored->issuer = g_strdup (sv_discovery_get_issuer (self->discovery));
  stored->id_claims = self->id_claims ? json_object_ref (self->id_claims) : NULL;

  return stored;
}

/* Shared by sign-in and refresh: verify the id_token (fetching the key set
 * once), apply the response and keep the session. */
typedef struct
{
  SvTokenResponse *response;
  SoupMessage *message;
} CompleteData;

static void
complete_data_free (CompleteData *data)
{
  g_clear_object (&data->response);
  g_clear_object (&data->message);
  g_free (data);
}

static void
on_saved (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  /* A storage failure has already switched the store to memory and been
   * announced; the sign-in itself worked. */
  if (!sv_token_store_save_finish (SV_TOKEN_STORE (source), result, &error))
    g_debug ("Keeping the session failed: %s", error->message);

  g_task_return_boolean (task, TRUE);
}

static void
finish_complete (GTask      *task,
                 JsonObject *verified_claims)
{
  SvSession *self = g_task_get_source_object (task);
  CompleteData *data = g_task_get_task_data (task);
  g_autoptr(SvStoredSession) stored = NULL;

  apply_response (self, data->response, verified_claims);
  g_signal_emit (self, signals[TOKENS_RECEIVED], 0,
                 sv_token_response_get_access_token (data->response),
                 sv_token_response_get_id_token (data->response));

  if (self->refresh_token == NULL)
    {
      g_debug ("No refresh token: the session lasts as long as the access token");
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  stored = to_stored (self);
  sv_token_store_save_async (self->store, sv_server_profile_get_name (self->profile), stored,
                             g_task_get_cancellable (task), on_saved, task);
}

static void
verify_id_token (GTask *task)
{
  SvSession *self = g_task_get_source_object (task);
  CompleteData *data = g_task_get_task_data (task);
  g_autoptr(JsonObject) claims = NULL;
  g_autoptr(GError) error = NULL;
  gsize length;
  const char *jwks = g_bytes_get_data (self->jwks, &length);

  claims = sv_jwt_verify_id_token (sv_token_response_get_id_token (data->response),
                                   jwks, length,
                                   sv_discovery_get_issuer (self->discovery),
                                   sv_server_profile_get_client_id (self->profile),
                                   now_seconds (), &error);
  if (claims == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  finish_complete (task, claims);
}

static void
on_jwks (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  SvSession *self = g_task_get_source_object (task);
  CompleteData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  const char *url = sv_discovery_get_jwks_uri (self->discovery);

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (body == NULL)
    {
      g_task_return_error (task, sv_http_wrap_error (error, url));
      g_object_unref (task);
      return;
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (data->message)))
    {
      g_task_return_new_error (task, SV_ERROR, SV_ERROR_NETWORK,
                               _("The identity provider’s key set could not be fetched (HTTP status %u), so the sign-in cannot be verified. Try again later."),
                               soup_message_get_status (data->message));
      g_object_unref (task);
      return;
    }

  g_clear_pointer (&self->jwks, g_bytes_unref);
  self->jwks = g_steal_pointer (&body);
  verify_id_token (task);
}

/* Takes ownership of @task. */
static void
complete (GTask           *task,
          SvTokenResponse *response)
{
  SvSession *self = g_task_get_source_object (task);
  CompleteData *data = g_new0 (CompleteData, 1);
  const char *jwks_uri = sv_discovery_get_jwks_uri (self->discovery);

  data->response = g_object_ref (response);
  g_task_set_task_data (task, data, (GDestroyNotify) complete_data_free);

  if (sv_token_response_get_id_token (response) == NULL)
    {
      finish_complete (task, NULL);
      return;
    }

  if (jwks_uri == NULL || sv_discovery_get_issuer (self->discovery) == NULL)
    {
      /* Nothing to verify against: the id_token is ignored, never trusted. */
      g_debug ("Ignoring an id_token: the server names no issuer or key set");
      finish_complete (task, NULL);
      return;
    }

  if (self->jwks != NULL)
    {
      verify_id_token (task);
      return;
    }

  data->message = soup_message_new (SOUP_METHOD_GET, jwks_uri);
  if (data->message == NULL)
    {
      g_task_return_new_error (task, SV_ERROR, SV_ERROR_PROTOCOL,
                               _("The identity provider’s key set address is not valid. Check the profile."));
      g_object_unref (task);
      return;
    }
  soup_session_send_and_read_async (self->http, data->message, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task), on_jwks, task);
}

static void
on_code_exchanged (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GTask *task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SvTokenResponse) response = NULL;

  response = sv_token_client_exchange_code_finish (SV_TOKEN_CLIENT (source), result, &error);
  if (response == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  complete (task, response);
}

/**
 * sv_session_sign_in_async:
 * @self: a session
 * @request: the authorization request that was opened
 * @redirect: the full redirect URI the browser was sent to
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Checks the redirect, redeems the code, verifies the id_token, resolves the
 * patient context and keeps the session.
 */
void
sv_session_sign_in_async (SvSession              *self,
                          SvAuthorizationRequest *request,
                          const char             *redirect,
                          GCancellable           *cancellable,
                          GAsyncReadyCallback     callback,
                          gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;

  g_return_if_fail (SV_IS_SESSION (self));
  g_return_if_fail (SV_IS_AUTHORIZATION_REQUEST (request));
  g_return_if_fail (redirect != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sv_session_sign_in_async);

  code = sv_authorization_request_parse_redirect (request, redirect, &error);
  if (code == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  clear_state (self);
  notify_state (self);
  sv_token_client_exchange_code_async (self->token_client, code,
                                       sv_authorization_request_get_redirect_uri (request),
                                       sv_authorization_request_get_code_verifier (request),
                                       sv_authorization_request_get_scope (request),
                                       cancellable, on_code_exchanged, g_steal_pointer (&task));
  explicit_bzero (code, strlen (code));
}

gboolean
sv_session_sign_in_finish (SvSession     *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Single-flight refresh: refresh_waiters holds every task waiting for the
 * one request in flight. */
static void
finish_waiters (SvSession    *self,
                const GError *error)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->refresh_waiters);

  for (guint i = 0; waiters != NULL && i < waiters->len; i++)
    {
      GTask *waiter = g_ptr_array_index (waiters, i);

      if (error != NULL)
        g_task_return_error (waiter, g_error_copy (error));
      else
        g_task_return_pointer (waiter, g_strdup (self->access_token), g_free);
      g_object_unref (waiter);
    }
}

static void
on_refreshed_complete (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  SvSession *self = SV_SESSION (source);
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      finish_waiters (self, error);
      return;
    }

  finish_waiters (self, NULL);
}

static void
on_signed_out_after_failure (GObject      *source,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  sv_token_store_delete_finish (SV_TOKEN_STORE (source), result, NULL);
}

static void
on_refreshed (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(SvSession) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SvTokenResponse) response = NULL;
  GTask *task;

  response = sv_token_client_refresh_finish (SV_TOKEN_CLIENT (source), result, &error);
  if (response == NULL)
    {
      if (g_error_matches (error, SV_ERROR, SV_ERROR_NOT_SIGNED_IN))
        {
          /* The grant is gone for good: forget it, and say why. */
          clear_state (self);
          notify_state (self);
          sv_token_store_delete_async (self->store, sv_server_profile_get_name (self->profile),
                                       NULL, on_signed_out_after_failure, NULL);
          g_signal_emit (self, signals[SIGN_IN_REQUIRED], 0, error->message);
        }
      finish_waiters (self, error);
      return;
    }

  task = g_task_new (self, NULL, on_refreshed_complete, NULL);
  g_task_set_source_tag (task, on_refreshed);
  complete (task, response);
}

static void
refresh_now (SvSession *self)
{
  if (self->refresh_token == NULL)
    {
      g_autoptr(GError) error = g_error_new (SV_ERROR, SV_ERROR_NOT_SIGNED_IN,
                                             _("The sign-in has ended and the server gave no way to renew it. Sign in again."));

      finish_waiters (self, error);
      return;
    }

  sv_token_client_refresh_async (self->token_client, self->refresh_token, self->asked_scope,
                                 NULL, on_refreshed, g_object_ref (self));
}

/* Takes ownership of @task, which finishes with the new access token. */
static void
join_refresh (SvSession *self,
              GTask     *task)
{
  if (self->refresh_waiters != NULL)
    {
      g_ptr_array_add (self->refresh_waiters, task);
      return;
    }

  self->refresh_waiters = g_ptr_array_new ();
  g_ptr_array_add (self->refresh_waiters, task);
  refresh_now (self);
}

/**
 * sv_session_get_access_token_async:
 * @self: a session
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Gets a current access token, refreshing first when it expires within a
 * minute.
 */
void
sv_session_get_access_token_async (SvSession           *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SV_IS_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sv_session_get_access_token_async);

  if (self->access_token != NULL && now_seconds () < self->expires_at - refresh_margin (self))
    {
      g_task_return_pointer (task, g_strdup (self->access_token), g_free);
      return;
    }

  if (self->refresh_token == NULL && self->refresh_waiters == NULL)
    {
      g_task_return_new_error (task, SV_ERROR, SV_ERROR_NOT_SIGNED_IN,
                               self->access_token
                               ? _("The sign-in has expired. Sign in again.")
                               : _("You are not signed in to this server. Sign in first."));
      return;
    }

  join_refresh (self, g_steal_pointer (&task));
}

/**
 * sv_session_get_access_token_finish:
 * @self: a session
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the access token; wipe it after use
 */
char *
sv_session_get_access_token_finish (SvSession     *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * sv_session_handle_unauthorized_async:
 * @self: a session
 * @rejected_token: the access token the server answered 401 to
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Called once when a request got 401: refreshes unless another caller has
 * already done so since @rejected_token was handed out. The caller retries
 * once with the token this yields and gives up after that.
 */
void
sv_session_handle_unauthorized_async (SvSession           *self,
                                      const char          *rejected_token,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SV_IS_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sv_session_handle_unauthorized_async);

  if (self->refresh_waiters == NULL && self->access_token != NULL &&
      g_strcmp0 (self->access_token, rejected_token) != 0)
    {
      g_task_return_pointer (task, g_strdup (self->access_token), g_free);
      return;
    }

  if (self->refresh_token == NULL && self->refresh_waiters == NULL)
    {
      g_task_return_new_error (task, SV_ERROR, SV_ERROR_NOT_SIGNED_IN,
                               _("The server no longer accepts this sign-in. Sign in again."));
      return;
    }

  join_refresh (self, g_steal_pointer (&task));
}

char *
sv_session_handle_unauthorized_finish (SvSession     *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_restore_lookup (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SvSession *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoredSession) stored = NULL;

  stored = sv_token_store_lookup_finish (SV_TOKEN_STORE (source), result, &error);
  if (stored == NULL && error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (stored == NULL || stored->refresh_token == NULL)
    {
      g_task_return_new_error (task, SV_ERROR, SV_ERROR_NOT_SIGNED_IN,
                               sv_token_store_get_memory_only (self->store)
                               ? _("You are not signed in to “%s”, and without a keyring a sign-in cannot be kept between runs. Sign in again, or install and unlock a keyring.")
                               : _("You are not signed in to “%s”. Sign in first."),
                               sv_server_profile_get_name (self->profile));
      return;
    }

  if (stored->issuer != NULL && sv_discovery_get_issuer (self->discovery) != NULL &&
      g_strcmp0 (stored->issuer, sv_discovery_get_issuer (self->discovery)) != 0)
    {
      g_task_return_new_error (task, SV_ERROR, SV_ERROR_NOT_SIGNED_IN,
                               _("The server “%s” now uses another identity provider than when you signed in. Sign in again."),
                               sv_server_profile_get_name (self->profile));
      return;
    }

  clear_state (self);
  self->refresh_token = g_steal_pointer (&stored->refresh_token);
  self->granted_scope = g_steal_pointer (&stored->granted_scope);
  self->asked_scope = g_steal_pointer (&stored->asked_scope);
  self->patient = g_steal_pointer (&stored->patient);
  self->patient_source = stored->patient_source;
  self->fhir_user = g_steal_pointer (&stored->fhir_user);
  self->id_claims = g_steal_pointer (&stored->id_claims);
  /* The access token was never stored: get a fresh one now. */
  self->expires_at = 0;
  notify_state (self);

  g_task_return_boolean (task, TRUE);
}

/**
 * sv_session_restore_async:
 * @self: a session
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Reads the kept session back. The access token is fetched on first use
 * (sv_session_get_access_token_async()). Fails with
 * %SV_ERROR_NOT_SIGNED_IN when nothing is kept.
 */
void
sv_session_restore_async (SvSession           *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (SV_IS_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sv_session_restore_async);
  sv_token_store_lookup_async (self->store, sv_server_profile_get_name (self->profile),
                               cancellable, on_restore_lookup, task);
}

gboolean
sv_session_restore_finish (SvSession     *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_sign_out_deleted (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!sv_token_store_delete_finish (SV_TOKEN_STORE (source), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void
on_revoked (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  SvSession *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  /* Signing out locally must work even when the server is unreachable. */
  if (!sv_token_client_revoke_finish (SV_TOKEN_CLIENT (source), result, &error))
    g_debug ("Revocation failed: %s", error->message);

  clear_state (self);
  notify_state (self);
  sv_token_store_delete_async (self->store, sv_server_profile_get_name (self->profile),
                               g_task_get_cancellable (task), on_sign_out_deleted, task);
}

/**
 * sv_session_sign_out_async:
 * @self: a session
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Revokes the refresh token (or the access token) when the server offers
 * revocation, forgets the session in memory and deletes the keyring item.
 */
void
sv_session_sign_out_async (SvSession           *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  GTask *task;
  const char *token;

  g_return_if_fail (SV_IS_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sv_session_sign_out_async);

  token = self->refresh_token ? self->refresh_token : self->access_token;
  sv_token_client_revoke_async (self->token_client, token,
                                self->refresh_token ? "refresh_token" : "access_token",
                                cancellable, on_revoked, task);
}

gboolean
sv_session_sign_out_finish (SvSession     *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * sv_session_is_same_origin:
 * @self: a session
 * @url: an absolute URL
 *
 * The bearer token goes only to the FHIR server it was issued for: same
 * scheme, host and port as the profile's FHIR base URL. Callers check every
 * `Bundle.link[next]` and absolute reference with this.
 *
 * Returns: %TRUE when @url is on the FHIR server's origin
 */
gboolean
sv_session_is_same_origin (SvSession  *self,
                           const char *url)
{
  g_autoptr(GUri) base = NULL;
  g_autoptr(GUri) target = NULL;

  g_return_val_if_fail (SV_IS_SESSION (self), FALSE);

  base = g_uri_parse (sv_server_profile_get_fhir_base_url (self->profile), G_URI_FLAGS_NONE, NULL);
  target = url ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;
  if (base == NULL || target == NULL || g_uri_get_host (target) == NULL)
    return FALSE;

  return g_ascii_strcasecmp (g_uri_get_scheme (base), g_uri_get_scheme (target)) == 0 &&
         g_ascii_strcasecmp (g_uri_get_host (base), g_uri_get_host (target)) == 0 &&
         g_uri_get_port (base) == g_uri_get_port (target);
}

typedef struct
{
  char *url;
  char *token;
  SoupMessage *message;
  gboolean retried;
  guint status;
} FetchData;

static void
fetch_data_free (FetchData *data)
{
  g_free (data->url);
  wipe (&data->token);
  g_clear_object (&data->message);
  g_free (data);
}

static void fetch_with_token (GTask *task);

static void
on_fetch_refreshed (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  FetchData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  wipe (&data->token);
  data->token = sv_session_handle_unauthorized_finish (SV_SESSION (source), result, &error);
  if (data->token == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  fetch_with_token (task);
}

static void
on_fetched (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  SvSession *self = g_task_get_source_object (task);
  FetchData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (body == NULL)
    {
      g_task_return_error (task, sv_http_wrap_error (error, data->url));
      g_object_unref (task);
      return;
    }

  data->status = soup_message_get_status (data->message);
  if (data->status == SOUP_STATUS_UNAUTHORIZED)
    {
      if (!data->retried)
        {
          /* Once: the token may have been revoked or expired early. */
          data->retried = TRUE;
          sv_session_handle_unauthorized_async (self, data->token, g_task_get_cancellable (task),
                                                on_fetch_refreshed, task);
          return;
        }

      g_task_return_new_error (task, SV_ERROR, SV_ERROR_NOT_SIGNED_IN,
                               _("The FHIR server does not accept this sign-in even after renewing it. Sign in again, or ask the server’s administrator for access."));
      g_object_unref (task);
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&body), (GDestroyNotify) g_bytes_unref);
  g_object_unref (task);
}

static void
fetch_with_token (GTask *task)
{
  SvSession *self = g_task_get_source_object (task);
  FetchData *data = g_task_get_task_data (task);
  g_autofree char *header = g_strconcat ("Bearer ", data->token, NULL);

  g_clear_object (&data->message);
  data->message = soup_message_new (SOUP_METHOD_GET, data->url);
  soup_message_headers_append (soup_message_get_request_headers (data->message),
                               "Accept", "application/fhir+json");
  soup_message_headers_replace (soup_message_get_request_headers (data->message),
                                "Authorization", header);
  explicit_bzero (header, strlen (header));

  soup_session_send_and_read_async (self->http, data->message, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task), on_fetched, task);
}

static void
on_fetch_token (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  GTask *task = user_data;
  FetchData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  data->token = sv_session_get_access_token_finish (SV_SESSION (source), result, &error);
  if (data->token == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  fetch_with_token (task);
}

/**
 * sv_session_fetch_async:
 * @self: a session
 * @url: an absolute URL on the FHIR server, or a path relative to its base
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * GETs @url with the access token (refreshed first when due), and once
 * more after a refresh when the server answers 401. The token is never
 * sent to another origin.
 */
void
sv_session_fetch_async (SvSession           *self,
                        const char          *url,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *task;
  FetchData *data;
  g_autoptr(GUri) base = NULL;
  g_autoptr(GUri) resolved = NULL;
  g_autofree char *base_url = NULL;
  const char *fhir = sv_server_profile_get_fhir_base_url (self->profile);

  g_return_if_fail (SV_IS_SESSION (self));
  g_return_if_fail (url != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sv_session_fetch_async);
  data = g_new0 (FetchData, 1);
  g_task_set_task_data (task, data, (GDestroyNotify) fetch_data_free);

  /* Relative paths are relative to the base *folder*. */
  base_url = g_str_has_suffix (fhir, "/") ? g_strdup (fhir) : g_strconcat (fhir, "/", NULL);
  base = g_uri_parse (base_url, G_URI_FLAGS_ENCODED, NULL);
  resolved = base ? g_uri_parse_relative (base, url, G_URI_FLAGS_ENCODED, NULL) : NULL;
  data->url = resolved ? g_uri_to_string (resolved) : NULL;

  if (data->url == NULL || !sv_session_is_same_origin (self, data->url))
    {
      g_task_return_new_error (task, SV_ERROR, SV_ERROR_PROTOCOL,
                               _("The address “%s” is not on the FHIR server of this profile, so the sign-in is not sent there."),
                               url);
      g_object_unref (task);
      return;
    }

  sv_session_get_access_token_async (self, cancellable, on_fetch_token, task);
}

/**
 * sv_session_fetch_finish:
 * @self: a session
 * @result: the result
 * @status: (out) (optional): the HTTP status
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the body, for any status but a
 *   repeated 401; the caller reads an OperationOutcome from an error body
 */
GBytes *
sv_session_fetch_finish (SvSession     *self,
                         GAsyncResult  *result,
                         guint         *status,
                         GError       **error)
{
  FetchData *data;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  data = g_task_get_task_data (G_TASK (result));
  if (status != NULL)
    *status = data ? data->status : 0;
  return g_task_propagate_pointer (G_TASK (result), error);
}

SvServerProfile *
sv_session_get_profile (SvSession *self)
{
  g_return_val_if_fail (SV_IS_SESSION (self), NULL);
  return self->profile;
}

/**
 * sv_session_get_http:
 * @self: a session
 *
 * Returns: (transfer none): the HTTP session its requests go through, for
 *   the FHIR client to share (one connection pool, one timeline)
 */
SoupSession *
sv_session_get_http (SvSession *self)
{
  g_return_val_if_fail (SV_IS_SESSION (self), NULL);
  return self->http;
}

/**
 * sv_session_is_signed_in:
 * @self: a session
 *
 * Returns: %TRUE when the session holds a token or a way to get one
 */
gboolean
sv_session_is_signed_in (SvSession *self)
{
  g_return_val_if_fail (SV_IS_SESSION (self), FALSE);
  return self->refresh_token != NULL ||
         (self->access_token != NULL && now_seconds () < self->expires_at);
}

const char *
sv_session_get_fhir_user (SvSession *self)
{
  g_return_val_if_fail (SV_IS_SESSION (self), NULL);
  return self->fhir_user;
}

const char *
sv_session_get_patient (SvSession *self)
{
  g_return_val_if_fail (SV_IS_SESSION (self), NULL);
  return self->patient;
}

SvPatientSource
sv_session_get_patient_source (SvSession *self)
{
  g_return_val_if_fail (SV_IS_SESSION (self), SV_PATIENT_SOURCE_NONE);
  return self->patient_source;
}

const char *
sv_session_get_granted_scope (SvSession *self)
{
  g_return_val_if_fail (SV_IS_SESSION (self), NULL);
  return self->granted_scope;
}

const char *
sv_session_get_asked_scope (SvSession *self)
{
  g_return_val_if_fail (SV_IS_SESSION (self), NULL);
  return self->asked_scope;
}

/**
 * sv_session_dup_missing_scopes:
 * @self: a session
 *
 * Returns: (transfer full): the scopes asked for and not granted
 */
char **
sv_session_dup_missing_scopes (SvSession *self)
{
  g_return_val_if_fail (SV_IS_SESSION (self), NULL);

  return sv_scope_dup_missing (self->asked_scope, self->granted_scope);
}

gint64
sv_session_get_expires_at (SvSession *self)
{
  g_return_val_if_fail (SV_IS_SESSION (self), 0);
  return self->expires_at;
}

const char *
sv_session_get_issuer (SvSession *self)
{
  g_return_val_if_fail (SV_IS_SESSION (self), NULL);
  return sv_discovery_get_issuer (self->discovery);
}

/**
 * sv_session_get_id_claims:
 * @self: a session
 *
 * Returns: (transfer none) (nullable): the verified claims of the id_token
 */
JsonObject *
sv_session_get_id_claims (SvSession *self)
{
  g_return_val_if_fail (SV_IS_SESSION (self), NULL);
  return self->id_claims;
}

/**
 * sv_session_dup_access_claims:
 * @self: a session
 *
 * Returns: (transfer full) (nullable): the access token's claims when it is
 *   a JWT (shown to the user; never its signature)
 */
JsonObject *
sv_session_dup_access_claims (SvSession *self)
{
  g_return_val_if_fail (SV_IS_SESSION (self), NULL);
  return self->access_token ? sv_jwt_decode_claims (self->access_token, NULL) : NULL;
}

/**
 * sv_session_can_search_patients:
 * @self: a session
 *
 * The patient picker is offered only when the granted scope allows a
 * Patient search, that is a `user/` or `system/` scope on Patient or `*`.
 *
 * Returns: %TRUE when the granted scope allows searching patients
 */
gboolean
sv_session_can_search_patients (SvSession *self)
{
  g_auto(GStrv) scopes = NULL;

  g_return_val_if_fail (SV_IS_SESSION (self), FALSE);

  scopes = g_strsplit (self->granted_scope ? self->granted_scope : "", " ", -1);
  for (guint i = 0; scopes[i] != NULL; i++)
    {
      const char *scope = scopes[i];
      const char *rest;

      if (g_str_has_prefix (scope, "user/"))
        rest = scope + strlen ("user/");
      else if (g_str_has_prefix (scope, "system/"))
        rest = scope + strlen ("system/");
      else
        continue;

      if (g_str_has_prefix (rest, "Patient.") || g_str_has_prefix (rest, "*."))
        {
          const char *access = strchr (rest, '.') + 1;

          /* v1 `read` or `*`, or v2 letters including `s` (search). */
          if (g_str_equal (access, "read") || g_str_equal (access, "*") || strchr (access, 's') != NULL)
            return TRUE;
        }
    }

  return FALSE;
}

/**
 * sv_patient_source_describe:
 * @source: where the patient context came from
 *
 * Returns: a translated description
 */
const char *
sv_patient_source_describe (SvPatientSource source)
{
  switch (source)
    {
    case SV_PATIENT_SOURCE_TOKEN_RESPONSE:
      return _("from the token response");
    case SV_PATIENT_SOURCE_ACCESS_TOKEN:
      return _("from a claim in the access token");
    case SV_PATIENT_SOURCE_ID_TOKEN:
      return _("from a claim in the ID token");
    case SV_PATIENT_SOURCE_NONE:
    default:
      return _("none: choose a patient");
    }
}
