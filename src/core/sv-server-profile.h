/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* The private-use redirect URI registered for the app (RFC 8252 §7.1). */
#define SV_PRIVATE_REDIRECT_URI "io.github.smartviewer.smartviewer:/oauth2redirect"
#define SV_LOOPBACK_REDIRECT_PATH "/oauth2redirect"

typedef enum
{
  SV_REDIRECT_EMBEDDED,
  SV_REDIRECT_BROWSER,
  SV_REDIRECT_SCHEME,
} SvRedirectMode;

typedef enum
{
  SV_IDP_GENERIC,
  SV_IDP_COGNITO,
  SV_IDP_KEYCLOAK,
} SvIdpKind;

typedef enum
{
  SV_PRESET_HEALTHLAKE_COGNITO,
  SV_PRESET_HEALTHLAKE_KEYCLOAK,
  SV_PRESET_SANDBOX,
  SV_PRESET_OTHER,
  SV_N_PRESETS,
} SvPreset;

#define SV_TYPE_REDIRECT_MODE (sv_redirect_mode_get_type ())
#define SV_TYPE_IDP_KIND (sv_idp_kind_get_type ())

GType sv_redirect_mode_get_type (void);
GType sv_idp_kind_get_type (void);

#define SV_TYPE_SERVER_PROFILE (sv_server_profile_get_type ())

G_DECLARE_FINAL_TYPE (SvServerProfile, sv_server_profile, SV, SERVER_PROFILE, GObject)

SvServerProfile *sv_server_profile_new                   (const char       *name);
SvServerProfile *sv_server_profile_new_from_preset       (SvPreset          preset,
                                                          const char       *name);
SvServerProfile *sv_server_profile_copy                  (SvServerProfile  *self);
const char      *sv_preset_get_title                     (SvPreset          preset);

const char      *sv_server_profile_get_name              (SvServerProfile  *self);
void             sv_server_profile_set_name              (SvServerProfile  *self,
                                                          const char       *name);
const char      *sv_server_profile_get_fhir_base_url     (SvServerProfile  *self);
void             sv_server_profile_set_fhir_base_url     (SvServerProfile  *self,
                                                          const char       *url);
const char      *sv_server_profile_get_client_id         (SvServerProfile  *self);
void             sv_server_profile_set_client_id         (SvServerProfile  *self,
                                                          const char       *client_id);
const char      *sv_server_profile_get_scopes            (SvServerProfile  *self);
void             sv_server_profile_set_scopes            (SvServerProfile  *self,
                                                          const char       *scopes);
SvRedirectMode   sv_server_profile_get_redirect_mode     (SvServerProfile  *self);
void             sv_server_profile_set_redirect_mode     (SvServerProfile  *self,
                                                          SvRedirectMode    mode);
SvIdpKind        sv_server_profile_get_idp_kind          (SvServerProfile  *self);
void             sv_server_profile_set_idp_kind          (SvServerProfile  *self,
                                                          SvIdpKind         kind);
const char      *sv_server_profile_get_patient_claim     (SvServerProfile  *self);
void             sv_server_profile_set_patient_claim     (SvServerProfile  *self,
                                                          const char       *claim);
const char      *sv_server_profile_get_issuer            (SvServerProfile  *self);
void             sv_server_profile_set_issuer            (SvServerProfile  *self,
                                                          const char       *issuer);
const char      *sv_server_profile_get_authorization_endpoint (SvServerProfile *self);
void             sv_server_profile_set_authorization_endpoint (SvServerProfile *self,
                                                               const char      *url);
const char      *sv_server_profile_get_token_endpoint    (SvServerProfile  *self);
void             sv_server_profile_set_token_endpoint    (SvServerProfile  *self,
                                                          const char       *url);
const char      *sv_server_profile_get_revocation_endpoint (SvServerProfile *self);
void             sv_server_profile_set_revocation_endpoint (SvServerProfile *self,
                                                            const char      *url);
const char      *sv_server_profile_get_jwks_uri          (SvServerProfile  *self);
void             sv_server_profile_set_jwks_uri          (SvServerProfile  *self,
                                                          const char       *url);

char            *sv_server_profile_dup_redirect_uri      (SvServerProfile  *self,
                                                          guint             loopback_port);
gboolean         sv_server_profile_validate              (SvServerProfile  *self,
                                                          GError          **error);

const char      *sv_idp_kind_to_string                   (SvIdpKind         kind);
gboolean         sv_idp_kind_from_string                 (const char       *text,
                                                          SvIdpKind        *kind);
const char      *sv_idp_kind_get_patient_claim           (SvIdpKind         kind);
const char      *sv_redirect_mode_to_string              (SvRedirectMode    mode);
gboolean         sv_redirect_mode_from_string            (const char       *text,
                                                          SvRedirectMode   *mode);

gboolean         sv_uri_is_loopback_host                 (const char       *host);
gboolean         sv_uri_check_secure                     (const char       *uri,
                                                          const char       *what,
                                                          GError          **error);

G_END_DECLS
