/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-core"

#include "config.h"

#include "sv-discovery.h"

#include <glib/gi18n.h>
#include <string.h>

#include "sv-error.h"
#include "sv-http.h"

/**
 * SvDiscovery:
 *
 * What a SMART server told us about itself: endpoints and capabilities.
 * It comes from the SMART document, else from the IdP's OpenID document
 * (HealthLake may refuse anonymous discovery), else from the endpoints typed
 * into the profile; typed endpoints always win over discovered ones.
 */
struct _SvDiscovery
{
  GObject parent_instance;

  SvDiscoverySource source;
  char *issuer;
  char *authorization_endpoint;
  char *token_endpoint;
  char *revocation_endpoint;
  char *jwks_uri;
  char **capabilities;
};

G_DEFINE_FINAL_TYPE (SvDiscovery, sv_discovery, G_TYPE_OBJECT)

static void
sv_discovery_finalize (GObject *object)
{
  SvDiscovery *self = SV_DISCOVERY (object);

  g_free (self->issuer);
  g_free (self->authorization_endpoint);
  g_free (self->token_endpoint);
  g_free (self->revocation_endpoint);
  g_free (self->jwks_uri);
  g_strfreev (self->capabilities);

  G_OBJECT_CLASS (sv_discovery_parent_class)->finalize (object);
}

static void
sv_discovery_class_init (SvDiscoveryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sv_discovery_finalize;
}

static void
sv_discovery_init (SvDiscovery *self)
{
}

static gboolean
strv_contains_nocase (char       **strv,
                      const char  *value)
{
  for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
    {
      if (g_ascii_strcasecmp (strv[i], value) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
take_endpoint (char        **field,
               JsonObject   *document,
               const char   *member,
               gboolean      required,
               const char   *url,
               GError      **error)
{
  const char *value = sv_json_get_string (document, member);
  g_autoptr(GError) local_error = NULL;

  if (value == NULL)
    {
      if (!required)
        return TRUE;
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("The discovery document at %s has no “%s”. The server is not set up for SMART sign-in; enter the endpoints in the profile or ask its administrator."),
                   url, member);
      return FALSE;
    }

  if (!sv_uri_check_secure (value, member, &local_error))
    {
      /* The server, not the user, got this wrong. */
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("The discovery document at %s is not usable: %s"), url, local_error->message);
      return FALSE;
    }

  *field = g_strdup (value);
  return TRUE;
}

/**
 * sv_discovery_new_from_json:
 * @document: a SMART configuration or OpenID provider configuration
 * @source: which of the two @document is
 * @url: where it came from, for messages
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the discovery, or %NULL when the
 *   document is unusable (a required field missing, or no S256 PKCE)
 */
SvDiscovery *
sv_discovery_new_from_json (JsonObject         *document,
                            SvDiscoverySource   source,
                            const char         *url,
                            GError            **error)
{
  g_autoptr(SvDiscovery) self = g_object_new (SV_TYPE_DISCOVERY, NULL);
  g_auto(GStrv) methods = NULL;
  g_auto(GStrv) grants = NULL;
  gboolean openid = source == SV_DISCOVERY_SOURCE_OPENID;

  g_return_val_if_fail (document != NULL, NULL);

  self->source = source;

  if (!take_endpoint (&self->authorization_endpoint, document, "authorization_endpoint", TRUE, url, error) ||
      !take_endpoint (&self->token_endpoint, document, "token_endpoint", TRUE, url, error) ||
      !take_endpoint (&self->revocation_endpoint, document, "revocation_endpoint", FALSE, url, error) ||
      !take_endpoint (&self->issuer, document, "issuer", openid, url, error) ||
      !take_endpoint (&self->jwks_uri, document, "jwks_uri", openid, url, error))
    return NULL;

  self->capabilities = sv_json_get_strv (document, "capabilities");
  if (self->capabilities == NULL)
    {
      if (!openid)
        {
          g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                       _("The discovery document at %s has no “capabilities” list. The server is not set up for SMART sign-in; ask its administrator."),
                       url);
          return NULL;
        }
      /* An OpenID document knows nothing of SMART: assume the standalone
       * launch it is used for, with v1 scopes that every server accepts. */
      self->capabilities = g_new0 (char *, 1);
    }

  /* With `sso-openid-connect` we ask for an id_token and must verify it. */
  if (!openid && strv_contains_nocase (self->capabilities, "sso-openid-connect") &&
      (self->issuer == NULL || self->jwks_uri == NULL))
    {
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("The discovery document at %s offers OpenID Connect but lacks “issuer” or “jwks_uri”, so sign-ins could not be verified. Ask the server’s administrator to fix it."),
                   url);
      return NULL;
    }

  grants = sv_json_get_strv (document, "grant_types_supported");
  if (grants != NULL && grants[0] != NULL && !strv_contains_nocase (grants, "authorization_code"))
    {
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("The server at %s does not offer the authorization code flow, which SMART Viewer needs to sign you in."),
                   url);
      return NULL;
    }

  /* PKCE with S256 is always sent, even when the list forgets it; a server
   * that lists methods without S256 (typically `plain` only) is refused,
   * since `plain` gives no protection against a stolen code. */
  methods = sv_json_get_strv (document, "code_challenge_methods_supported");
  if (methods != NULL && methods[0] != NULL && !g_strv_contains ((const char * const *) methods, "S256"))
    {
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("The server at %s does not support PKCE with S256 (it lists only weaker methods), so signing in would not be safe. Ask its administrator to enable S256."),
                   url);
      return NULL;
    }

  return g_steal_pointer (&self);
}

/**
 * sv_discovery_new_from_profile:
 * @profile: a profile with typed endpoints
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): a discovery built from the profile alone
 */
SvDiscovery *
sv_discovery_new_from_profile (SvServerProfile  *profile,
                               GError          **error)
{
  g_autoptr(SvDiscovery) self = NULL;

  g_return_val_if_fail (SV_IS_SERVER_PROFILE (profile), NULL);

  if (sv_server_profile_get_authorization_endpoint (profile) == NULL ||
      sv_server_profile_get_token_endpoint (profile) == NULL)
    {
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("The server does not describe itself and the profile has no authorization and token endpoints. Enter them in the profile."));
      return NULL;
    }

  self = g_object_new (SV_TYPE_DISCOVERY, NULL);
  self->source = SV_DISCOVERY_SOURCE_PROFILE;
  self->capabilities = g_new0 (char *, 1);
  self->authorization_endpoint = g_strdup (sv_server_profile_get_authorization_endpoint (profile));
  self->token_endpoint = g_strdup (sv_server_profile_get_token_endpoint (profile));

  return g_steal_pointer (&self);
}

static void
override (char       **field,
          const char  *value)
{
  if (value != NULL)
    {
      g_free (*field);
      *field = g_strdup (value);
    }
}

static void
apply_profile (SvDiscovery     *self,
               SvServerProfile *profile)
{
  override (&self->issuer, sv_server_profile_get_issuer (profile));
  override (&self->authorization_endpoint, sv_server_profile_get_authorization_endpoint (profile));
  override (&self->token_endpoint, sv_server_profile_get_token_endpoint (profile));
  override (&self->revocation_endpoint, sv_server_profile_get_revocation_endpoint (profile));
  override (&self->jwks_uri, sv_server_profile_get_jwks_uri (profile));
}

typedef struct
{
  SvServerProfile *profile;
  SoupSession *session;
  SoupMessage *message;
  char *url;
  SvDiscoverySource source;
} FetchData;

static void
fetch_data_free (FetchData *data)
{
  g_clear_object (&data->profile);
  g_clear_object (&data->session);
  g_clear_object (&data->message);
  g_free (data->url);
  g_free (data);
}

static void fetch_document (GTask *task);

static char *
well_known (const char *base,
            const char *name)
{
  g_autofree char *trimmed = g_strdup (base);
  gsize length = strlen (trimmed);

  while (length > 0 && trimmed[length - 1] == '/')
    trimmed[--length] = '\0';

  return g_strconcat (trimmed, "/.well-known/", name, NULL);
}

static void
finish_with (GTask       *task,
             SvDiscovery *discovery)
{
  FetchData *data = g_task_get_task_data (task);

  apply_profile (discovery, data->profile);
  g_debug ("Discovery for %s came from source %d", data->url, discovery->source);
  g_task_return_pointer (task, discovery, g_object_unref);
}

/* The last resort: what the user typed into the profile. */
static void
fall_back_to_profile (GTask  *task,
                      GError *reason)
{
  FetchData *data = g_task_get_task_data (task);
  SvDiscovery *discovery = sv_discovery_new_from_profile (data->profile, NULL);

  if (discovery == NULL)
    {
      g_task_return_error (task, reason);
      return;
    }

  g_debug ("Falling back to the profile's endpoints: %s", reason->message);
  g_error_free (reason);
  finish_with (task, discovery);
}

static void
on_document (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FetchData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonObject) document = NULL;
  SvDiscovery *discovery;
  guint status;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (body == NULL)
    {
      g_task_return_error (task, sv_http_wrap_error (error, data->url));
      return;
    }

  status = soup_message_get_status (data->message);

  if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN)
    {
      GError *reason = g_error_new (SV_ERROR, SV_ERROR_DENIED,
                                    _("The FHIR server refused to describe itself without signing in (HTTP %u). Enter the issuer or the endpoints of its identity provider in the profile."),
                                    status);

      if (data->source == SV_DISCOVERY_SOURCE_SMART &&
          sv_server_profile_get_issuer (data->profile) != NULL)
        {
          g_error_free (reason);
          g_free (data->url);
          data->url = well_known (sv_server_profile_get_issuer (data->profile), "openid-configuration");
          data->source = SV_DISCOVERY_SOURCE_OPENID;
          fetch_document (g_steal_pointer (&task));
          return;
        }

      fall_back_to_profile (g_steal_pointer (&task), reason);
      return;
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      GError *reason = g_error_new (SV_ERROR, SV_ERROR_NETWORK,
                                    _("Asking %s how to sign in failed with HTTP status %u. Check the address in the profile."),
                                    data->url, status);

      fall_back_to_profile (g_steal_pointer (&task), reason);
      return;
    }

  document = sv_json_parse_object (body, data->url, &error);
  if (document == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  discovery = sv_discovery_new_from_json (document, data->source, data->url, &error);
  if (discovery == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  finish_with (g_steal_pointer (&task), discovery);
}

static void
fetch_document (GTask *task)
{
  FetchData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!sv_uri_check_secure (data->url, _("discovery address"), &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  g_clear_object (&data->message);
  data->message = soup_message_new (SOUP_METHOD_GET, data->url);
  if (data->message == NULL)
    {
      g_task_return_new_error (task, SV_ERROR, SV_ERROR_INVALID_INPUT,
                               _("The address “%s” is not valid. Check the profile."), data->url);
      g_object_unref (task);
      return;
    }
  soup_message_headers_append (soup_message_get_request_headers (data->message),
                               "Accept", "application/json");

  soup_session_send_and_read_async (data->session, data->message, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task), on_document, task);
}

/**
 * sv_discovery_fetch_async:
 * @profile: the profile to discover
 * @session: the HTTP session
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Runs discovery with its fallbacks; see #SvDiscovery.
 */
void
sv_discovery_fetch_async (SvServerProfile     *profile,
                          SoupSession         *session,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  FetchData *data;

  g_return_if_fail (SV_IS_SERVER_PROFILE (profile));
  g_return_if_fail (SOUP_IS_SESSION (session));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, sv_discovery_fetch_async);

  if (!sv_server_profile_validate (profile, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  data = g_new0 (FetchData, 1);
  data->profile = g_object_ref (profile);
  data->session = g_object_ref (session);
  data->source = SV_DISCOVERY_SOURCE_SMART;
  data->url = well_known (sv_server_profile_get_fhir_base_url (profile), "smart-configuration");
  g_task_set_task_data (task, data, (GDestroyNotify) fetch_data_free);

  fetch_document (g_steal_pointer (&task));
}

/**
 * sv_discovery_fetch_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the discovery
 */
SvDiscovery *
sv_discovery_fetch_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

SvDiscoverySource
sv_discovery_get_source (SvDiscovery *self)
{
  g_return_val_if_fail (SV_IS_DISCOVERY (self), SV_DISCOVERY_SOURCE_PROFILE);
  return self->source;
}

const char *
sv_discovery_get_issuer (SvDiscovery *self)
{
  g_return_val_if_fail (SV_IS_DISCOVERY (self), NULL);
  return self->issuer;
}

const char *
sv_discovery_get_authorization_endpoint (SvDiscovery *self)
{
  g_return_val_if_fail (SV_IS_DISCOVERY (self), NULL);
  return self->authorization_endpoint;
}

const char *
sv_discovery_get_token_endpoint (SvDiscovery *self)
{
  g_return_val_if_fail (SV_IS_DISCOVERY (self), NULL);
  return self->token_endpoint;
}

const char *
sv_discovery_get_revocation_endpoint (SvDiscovery *self)
{
  g_return_val_if_fail (SV_IS_DISCOVERY (self), NULL);
  return self->revocation_endpoint;
}

const char *
sv_discovery_get_jwks_uri (SvDiscovery *self)
{
  g_return_val_if_fail (SV_IS_DISCOVERY (self), NULL);
  return self->jwks_uri;
}

const char * const *
sv_discovery_get_capabilities (SvDiscovery *self)
{
  g_return_val_if_fail (SV_IS_DISCOVERY (self), NULL);
  return (const char * const *) self->capabilities;
}

gboolean
sv_discovery_has_capability (SvDiscovery *self,
                             const char  *capability)
{
  g_return_val_if_fail (SV_IS_DISCOVERY (self), FALSE);
  return strv_contains_nocase (self->capabilities, capability);
}

/**
 * sv_discovery_dup_default_scopes:
 * @self: a discovery
 *
 * The scopes a clinician needs for the patient summary, in v2 syntax when
 * the server advertises `permission-v2`, else in v1 syntax.
 *
 * Returns: (transfer full): space-separated scopes
 */
char *
sv_discovery_dup_default_scopes (SvDiscovery *self)
{
  static const char * const types[] = {
    "Patient", "Condition", "MedicationStatement", "MedicationRequest", "Medication",
  };
  g_autoptr(GString) scopes = g_string_new ("openid fhirUser launch/patient offline_access");
  const char *access;

  g_return_val_if_fail (SV_IS_DISCOVERY (self), NULL);

  access = sv_discovery_has_capability (self, "permission-v2") ? "rs" : "read";
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    g_string_append_printf (scopes, " patient/%s.%s", types[i], access);

  return g_string_free (g_steal_pointer (&scopes), FALSE);
}
