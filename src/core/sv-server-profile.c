/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-core"

#include "config.h"

#include "sv-server-profile.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <string.h>

#include "sv-error.h"

/**
 * SvServerProfile:
 *
 * Everything needed to sign in to one SMART server: where it is, who we are
 * to it and how the redirect comes back. A profile never holds a secret: a
 * confidential client's secret lives in the keyring only.
 */
struct _SvServerProfile
{
  GObject parent_instance;

  char *name;
  char *fhir_base_url;
  char *client_id;
  char *scopes;
  SvRedirectMode redirect_mode;
  SvIdpKind idp_kind;
  char *patient_claim;
  char *issuer;
  char *authorization_endpoint;
  char *token_endpoint;
  char *revocation_endpoint;
  char *jwks_uri;
};

G_DEFINE_FINAL_TYPE (SvServerProfile, sv_server_profile, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (SvRedirectMode, sv_redirect_mode,
                    G_DEFINE_ENUM_VALUE (SV_REDIRECT_EMBEDDED, "embedded"),
                    G_DEFINE_ENUM_VALUE (SV_REDIRECT_BROWSER, "browser"),
                    G_DEFINE_ENUM_VALUE (SV_REDIRECT_SCHEME, "scheme"))

G_DEFINE_ENUM_TYPE (SvIdpKind, sv_idp_kind,
                    G_DEFINE_ENUM_VALUE (SV_IDP_GENERIC, "generic"),
                    G_DEFINE_ENUM_VALUE (SV_IDP_COGNITO, "cognito"),
                    G_DEFINE_ENUM_VALUE (SV_IDP_KEYCLOAK, "keycloak"))

/* The properties let the GUI's form bind to a profile. */
enum
{
  PROP_0,
  PROP_NAME,
  PROP_FHIR_BASE_URL,
  PROP_CLIENT_ID,
  PROP_SCOPES,
  PROP_REDIRECT_MODE,
  PROP_IDP_KIND,
  PROP_PATIENT_CLAIM,
  PROP_ISSUER,
  PROP_AUTHORIZATION_ENDPOINT,
  PROP_TOKEN_ENDPOINT,
  PROP_REVOCATION_ENDPOINT,
  PROP_JWKS_URI,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char **
string_field (SvServerProfile *self,
              guint            prop_id)
{
  switch (prop_id)
    {
    case PROP_NAME: return &self->name;
    case PROP_FHIR_BASE_URL: return &self->fhir_base_url;
    case PROP_CLIENT_ID: return &self->client_id;
    case PROP_SCOPES: return &self->scopes;
    case PROP_PATIENT_CLAIM: return &self->patient_claim;
    case PROP_ISSUER: return &self->issuer;
    case PROP_AUTHORIZATION_ENDPOINT: return &self->authorization_endpoint;
    case PROP_TOKEN_ENDPOINT: return &self->token_endpoint;
    case PROP_REVOCATION_ENDPOINT: return &self->revocation_endpoint;
    case PROP_JWKS_URI: return &self->jwks_uri;
    default: return NULL;
    }
}

static gboolean set_string (char       **field,
                            const char  *value);
static void set_string_property (SvServerProfile *self,
                                 guint            prop_id,
                                 const char      *value);

static void
sv_server_profile_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  SvServerProfile *self = SV_SERVER_PROFILE (object);
  char **field = string_field (self, prop_id);

  if (field != NULL)
    g_value_set_string (value, *field);
  else if (prop_id == PROP_REDIRECT_MODE)
    g_value_set_enum (value, self->redirect_mode);
  else if (prop_id == PROP_IDP_KIND)
    g_value_set_enum (value, self->idp_kind);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
sv_server_profile_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  SvServerProfile *self = SV_SERVER_PROFILE (object);

  if (string_field (self, prop_id) != NULL)
    set_string_property (self, prop_id, g_value_get_string (value));
  else if (prop_id == PROP_REDIRECT_MODE)
    sv_server_profile_set_redirect_mode (self, g_value_get_enum (value));
  else if (prop_id == PROP_IDP_KIND)
    sv_server_profile_set_idp_kind (self, g_value_get_enum (value));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
sv_server_profile_finalize (GObject *object)
{
  SvServerProfile *self = SV_SERVER_PROFILE (object);

  g_free (self->name);
  g_free (self->fhir_base_url);
  g_free (self->client_id);
  g_free (self->scopes);
  g_free (self->patient_claim);
  g_free (self->issuer);
  g_free (self->authorization_endpoint);
  g_free (self->token_endpoint);
  g_free (self->revocation_endpoint);
  g_free (self->jwks_uri);

  G_OBJECT_CLASS (sv_server_profile_parent_class)->finalize (object);
}

static void
sv_server_profile_class_init (SvServerProfileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = sv_server_profile_finalize;
  object_class->get_property = sv_server_profile_get_property;
  object_class->set_property = sv_server_profile_set_property;

  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_FHIR_BASE_URL] = g_param_spec_string ("fhir-base-url", NULL, NULL, NULL, flags);
  properties[PROP_CLIENT_ID] = g_param_spec_string ("client-id", NULL, NULL, NULL, flags);
  properties[PROP_SCOPES] = g_param_spec_string ("scopes", NULL, NULL, NULL, flags);
  properties[PROP_REDIRECT_MODE] = g_param_spec_enum ("redirect-mode", NULL, NULL, SV_TYPE_REDIRECT_MODE,
                                                      SV_REDIRECT_EMBEDDED, flags);
  properties[PROP_IDP_KIND] = g_param_spec_enum ("idp-kind", NULL, NULL, SV_TYPE_IDP_KIND,
                                                 SV_IDP_GENERIC, flags);
  properties[PROP_PATIENT_CLAIM] = g_param_spec_string ("patient-claim", NULL, NULL, NULL, flags);
  properties[PROP_ISSUER] = g_param_spec_string ("issuer", NULL, NULL, NULL, flags);
  properties[PROP_AUTHORIZATION_ENDPOINT] = g_param_spec_string ("authorization-endpoint", NULL, NULL, NULL, flags);
  properties[PROP_TOKEN_ENDPOINT] = g_param_spec_string ("token-endpoint", NULL, NULL, NULL, flags);
  properties[PROP_REVOCATION_ENDPOINT] = g_param_spec_string ("revocation-endpoint", NULL, NULL, NULL, flags);
  properties[PROP_JWKS_URI] = g_param_spec_string ("jwks-uri", NULL, NULL, NULL, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sv_server_profile_init (SvServerProfile *self)
{
  self->redirect_mode = SV_REDIRECT_EMBEDDED;
  self->idp_kind = SV_IDP_GENERIC;
  self->patient_claim = g_strdup (sv_idp_kind_get_patient_claim (SV_IDP_GENERIC));
}

/**
 * sv_server_profile_new:
 * @name: the name the user gave the profile
 *
 * Returns: (transfer full): an empty profile
 */
SvServerProfile *
sv_server_profile_new (const char *name)
{
  SvServerProfile *self = g_object_new (SV_TYPE_SERVER_PROFILE, NULL);

  set_string (&self->name, name);

  return self;
}

/**
 * sv_preset_get_title:
 * @preset: a preset
 *
 * Returns: the translated title shown when choosing a preset
 */
const char *
sv_preset_get_title (SvPreset preset)
{
  switch (preset)
    {
    case SV_PRESET_HEALTHLAKE_COGNITO:
      return _("AWS HealthLake + Amazon Cognito");
    case SV_PRESET_HEALTHLAKE_KEYCLOAK:
      return _("AWS HealthLake + Keycloak");
    case SV_PRESET_SANDBOX:
      return _("Offline sandbox");
    case SV_PRESET_OTHER:
    case SV_N_PRESETS:
    default:
      return _("Other SMART server");
    }
}

/**
 * sv_server_profile_new_from_preset:
 * @preset: which preset
 * @name: (nullable): the profile name, or %NULL for the preset's title
 *
 * Presets fill in what differs between the IdPs we know: the patient claim
 * and the redirect a given IdP accepts (Cognito wants exact URIs and takes the
 * private-use scheme; Keycloak takes loopback with any port).
 *
 * Returns: (transfer full): a profile still lacking the URL and client id
 */
SvServerProfile *
sv_server_profile_new_from_preset (SvPreset    preset,
                                   const char *name)
{
  SvServerProfile *self = sv_server_profile_new (name ? name : sv_preset_get_title (preset));

  switch (preset)
    {
    case SV_PRESET_HEALTHLAKE_COGNITO:
      sv_server_profile_set_idp_kind (self, SV_IDP_COGNITO);
      self->redirect_mode = SV_REDIRECT_EMBEDDED;
      break;
    case SV_PRESET_HEALTHLAKE_KEYCLOAK:
      sv_server_profile_set_idp_kind (self, SV_IDP_KEYCLOAK);
      self->redirect_mode = SV_REDIRECT_EMBEDDED;
      break;
    case SV_PRESET_SANDBOX:
      /* The sandbox speaks Keycloak's dialect (patient in the response). */
      sv_server_profile_set_idp_kind (self, SV_IDP_KEYCLOAK);
      self->redirect_mode = SV_REDIRECT_EMBEDDED;
      self->client_id = g_strdup ("smart-viewer");
      break;
    case SV_PRESET_OTHER:
    case SV_N_PRESETS:
    default:
      sv_server_profile_set_idp_kind (self, SV_IDP_GENERIC);
      break;
    }

  return self;
}

/**
 * sv_server_profile_copy:
 * @self: a profile
 *
 * Returns: (transfer full): an independent copy, for editing forms
 */
SvServerProfile *
sv_server_profile_copy (SvServerProfile *self)
{
  SvServerProfile *copy = sv_server_profile_new (self->name);

  copy->fhir_base_url = g_strdup (self->fhir_base_url);
  copy->client_id = g_strdup (self->client_id);
  copy->scopes = g_strdup (self->scopes);
  copy->redirect_mode = self->redirect_mode;
  copy->idp_kind = self->idp_kind;
  g_free (copy->patient_claim);
  copy->patient_claim = g_strdup (self->patient_claim);
  copy->issuer = g_strdup (self->issuer);
  copy->authorization_endpoint = g_strdup (self->authorization_endpoint);
  copy->token_endpoint = g_strdup (self->token_endpoint);
  copy->revocation_endpoint = g_strdup (self->revocation_endpoint);
  copy->jwks_uri = g_strdup (self->jwks_uri);

  return copy;
}

/* Empty strings mean "not set" everywhere, so a cleared form field and a
 * missing key file entry behave the same. */
static gboolean
set_string (char       **field,
            const char  *value)
{
  char *copy = value != NULL && *value != '\0' ? g_strstrip (g_strdup (value)) : NULL;

  if (copy != NULL && *copy == '\0')
    g_clear_pointer (&copy, g_free);
  if (g_strcmp0 (copy, *field) == 0)
    {
      g_free (copy);
      return FALSE;
    }
  g_free (*field);
  *field = copy;
  return TRUE;
}

static void
set_string_property (SvServerProfile *self,
                     guint            prop_id,
                     const char      *value)
{
  if (set_string (string_field (self, prop_id), value))
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

#define STRING_ACCESSORS(field, PROP)                                   \
  const char *                                                          \
  sv_server_profile_get_##field (SvServerProfile *self)                 \
  {                                                                     \
    g_return_val_if_fail (SV_IS_SERVER_PROFILE (self), NULL);           \
    return self->field;                                                 \
  }                                                                     \
  void                                                                  \
  sv_server_profile_set_##field (SvServerProfile *self,                 \
                                 const char      *value)                \
  {                                                                     \
    g_return_if_fail (SV_IS_SERVER_PROFILE (self));                     \
    set_string_property (self, PROP, value);                            \
  }

STRING_ACCESSORS (name, PROP_NAME)
STRING_ACCESSORS (fhir_base_url, PROP_FHIR_BASE_URL)
STRING_ACCESSORS (client_id, PROP_CLIENT_ID)
STRING_ACCESSORS (scopes, PROP_SCOPES)
STRING_ACCESSORS (patient_claim, PROP_PATIENT_CLAIM)
STRING_ACCESSORS (issuer, PROP_ISSUER)
STRING_ACCESSORS (authorization_endpoint, PROP_AUTHORIZATION_ENDPOINT)
STRING_ACCESSORS (token_endpoint, PROP_TOKEN_ENDPOINT)
STRING_ACCESSORS (revocation_endpoint, PROP_REVOCATION_ENDPOINT)
STRING_ACCESSORS (jwks_uri, PROP_JWKS_URI)

SvRedirectMode
sv_server_profile_get_redirect_mode (SvServerProfile *self)
{
  g_return_val_if_fail (SV_IS_SERVER_PROFILE (self), SV_REDIRECT_EMBEDDED);
  return self->redirect_mode;
}

void
sv_server_profile_set_redirect_mode (SvServerProfile *self,
                                     SvRedirectMode   mode)
{
  g_return_if_fail (SV_IS_SERVER_PROFILE (self));
  if (self->redirect_mode == mode)
    return;
  self->redirect_mode = mode;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REDIRECT_MODE]);
}

SvIdpKind
sv_server_profile_get_idp_kind (SvServerProfile *self)
{
  g_return_val_if_fail (SV_IS_SERVER_PROFILE (self), SV_IDP_GENERIC);
  return self->idp_kind;
}

/**
 * sv_server_profile_set_idp_kind:
 * @self: a profile
 * @kind: the IdP kind
 *
 * Also presets the patient claim to the one that IdP uses, since that is what
 * a user choosing "Cognito" expects; the claim can be changed afterwards.
 */
void
sv_server_profile_set_idp_kind (SvServerProfile *self,
                                SvIdpKind        kind)
{
  g_return_if_fail (SV_IS_SERVER_PROFILE (self));
  if (self->idp_kind != kind)
    {
      self->idp_kind = kind;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IDP_KIND]);
    }
  set_string_property (self, PROP_PATIENT_CLAIM, sv_idp_kind_get_patient_claim (kind));
}

/**
 * sv_server_profile_dup_redirect_uri:
 * @self: a profile
 * @loopback_port: the port of the loopback listener (browser mode only)
 *
 * Returns: (transfer full): the exact redirect URI to register and send
 */
char *
sv_server_profile_dup_redirect_uri (SvServerProfile *self,
                                    guint            loopback_port)
{
  g_return_val_if_fail (SV_IS_SERVER_PROFILE (self), NULL);

  if (self->redirect_mode == SV_REDIRECT_BROWSER)
    return g_strdup_printf ("http://127.0.0.1:%u" SV_LOOPBACK_REDIRECT_PATH, loopback_port);

  /* The embedded view catches the private-use URI in decide-policy, so it
   * never needs a listener. */
  return g_strdup (SV_PRIVATE_REDIRECT_URI);
}

const char *
sv_idp_kind_to_string (SvIdpKind kind)
{
  switch (kind)
    {
    case SV_IDP_COGNITO:
      return "cognito";
    case SV_IDP_KEYCLOAK:
      return "keycloak";
    case SV_IDP_GENERIC:
    default:
      return "generic";
    }
}

gboolean
sv_idp_kind_from_string (const char *text,
                         SvIdpKind  *kind)
{
  if (g_strcmp0 (text, "cognito") == 0)
    *kind = SV_IDP_COGNITO;
  else if (g_strcmp0 (text, "keycloak") == 0)
    *kind = SV_IDP_KEYCLOAK;
  else if (g_strcmp0 (text, "generic") == 0)
    *kind = SV_IDP_GENERIC;
  else
    return FALSE;
  return TRUE;
}

/**
 * sv_idp_kind_get_patient_claim:
 * @kind: an IdP kind
 *
 * Cognito cannot put `patient` in the token response, so a pre-token trigger
 * adds `custom:patient`; the common Keycloak SMART realm uses `patient_id`.
 *
 * Returns: the claim that carries the launch patient for that IdP
 */
const char *
sv_idp_kind_get_patient_claim (SvIdpKind kind)
{
  switch (kind)
    {
    case SV_IDP_COGNITO:
      return "custom:patient";
    case SV_IDP_KEYCLOAK:
      return "patient_id";
    case SV_IDP_GENERIC:
    default:
      return "patient";
    }
}

const char *
sv_redirect_mode_to_string (SvRedirectMode mode)
{
  switch (mode)
    {
    case SV_REDIRECT_BROWSER:
      return "browser";
    case SV_REDIRECT_SCHEME:
      return "scheme";
    case SV_REDIRECT_EMBEDDED:
    default:
      return "embedded";
    }
}

gboolean
sv_redirect_mode_from_string (const char     *text,
                              SvRedirectMode *mode)
{
  if (g_strcmp0 (text, "embedded") == 0)
    *mode = SV_REDIRECT_EMBEDDED;
  else if (g_strcmp0 (text, "browser") == 0)
    *mode = SV_REDIRECT_BROWSER;
  else if (g_strcmp0 (text, "scheme") == 0)
    *mode = SV_REDIRECT_SCHEME;
  else
    return FALSE;
  return TRUE;
}

/**
 * sv_uri_is_loopback_host:
 * @host: a host name or address literal
 *
 * Returns: %TRUE for `localhost` and loopback addresses
 */
gboolean
sv_uri_is_loopback_host (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  if (host == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;

  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

/**
 * sv_uri_check_secure:
 * @uri: an absolute URL
 * @what: (nullable): what the URL is, for the message ("FHIR server address")
 * @error: return location for an error
 *
 * Tokens travel to these URLs, so plain http is accepted only where nobody
 * else can listen: the loopback interface.
 *
 * Returns: %TRUE when @uri is https, or http to a loopback host
 */
gboolean
sv_uri_check_secure (const char  *uri,
                     const char  *what,
                     GError     **error)
{
  g_autoptr(GUri) parsed = NULL;
  const char *scheme;

  if (what == NULL)
    what = _("server address");

  if (uri == NULL || *uri == '\0')
    {
      g_set_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT,
                   _("The %s is missing. Enter the full address, starting with https://."), what);
      return FALSE;
    }

  parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);
  if (parsed == NULL || g_uri_get_host (parsed) == NULL || *g_uri_get_host (parsed) == '\0')
    {
      g_set_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT,
                   _("The %s “%s” is not a valid web address. Enter the full address, starting with https://."),
                   what, uri);
      return FALSE;
    }

  scheme = g_uri_get_scheme (parsed);
  if (g_ascii_strcasecmp (scheme, "https") == 0)
    return TRUE;

  if (g_ascii_strcasecmp (scheme, "http") == 0)
    {
      if (sv_uri_is_loopback_host (g_uri_get_host (parsed)))
        return TRUE;

      g_set_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT,
                   _("The %s “%s” uses plain http, which would expose your sign-in to the network. Use https:// (plain http is only accepted for 127.0.0.1 and localhost)."),
                   what, uri);
      return FALSE;
    }

  g_set_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT,
               _("The %s “%s” must start with https://."), what, uri);
  return FALSE;
}

static gboolean
check_optional (const char  *uri,
                const char  *what,
                GError     **error)
{
  return uri == NULL || sv_uri_check_secure (uri, what, error);
}

/**
 * sv_server_profile_validate:
 * @self: a profile
 * @error: return location for an error
 *
 * Checks what a user could get wrong in the form, with a message that names
 * the field and what to enter instead.
 *
 * Returns: %TRUE when the profile can be saved and used
 */
gboolean
sv_server_profile_validate (SvServerProfile  *self,
                            GError          **error)
{
  g_return_val_if_fail (SV_IS_SERVER_PROFILE (self), FALSE);

  if (self->name == NULL)
    {
      g_set_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT,
                   _("The profile has no name. Give it a name such as “Workshop server”."));
      return FALSE;
    }

  /* The name is a key file group name; these would break the file. */
  if (strpbrk (self->name, "[]\n\r") != NULL || !g_utf8_validate (self->name, -1, NULL))
    {
      g_set_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT,
                   _("The profile name “%s” contains brackets or line breaks. Choose a name without them."),
                   self->name);
      return FALSE;
    }

  if (!sv_uri_check_secure (self->fhir_base_url, _("FHIR server address"), error))
    return FALSE;

  if (self->client_id == NULL)
    {
      g_set_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT,
                   _("The client ID is missing. Enter the app client ID registered at your identity provider."));
      return FALSE;
    }

  if (!check_optional (self->issuer, _("issuer address"), error) ||
      !check_optional (self->authorization_endpoint, _("authorization endpoint"), error) ||
      !check_optional (self->token_endpoint, _("token endpoint"), error) ||
      !check_optional (self->revocation_endpoint, _("revocation endpoint"), error) ||
      !check_optional (self->jwks_uri, _("key set address"), error))
    return FALSE;

  if (self->scopes != NULL && strpbrk (self->scopes, "\"\\\n\r\t") != NULL)
    {
      g_set_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT,
                   _("The scopes contain quotes, backslashes or line breaks. Separate scopes with single spaces."));
      return FALSE;
    }

  return TRUE;
}
