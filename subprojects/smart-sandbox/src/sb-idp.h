/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sb-idp.h — the sandbox's OpenID Connect provider (Keycloak- or
 * Cognito-shaped, depending on the context's flavor).
 *
 * It serves discovery, JWKS, the authorization endpoint with its login,
 * patient-picker and consent pages, the token endpoint (authorization_code
 * with PKCE, refresh_token with rotation, client_credentials), revocation,
 * userinfo, logout, and (Keycloak only) introspection.  All state is kept in
 * memory: a restart signs everybody out, as a real IdP restart without a
 * session store would.  Keys are kept per data dir by sb-keys. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "sb-context.h"

G_BEGIN_DECLS

/* Environment variable (seconds) that overrides the 60 s authorization code
 * lifetime, so tests can reach the expiry path without waiting. */
#define SB_IDP_CODE_LIFETIME_ENV "SMART_SANDBOX_CODE_LIFETIME"

SbIdp      *sb_idp_new (SbContext *ctx);
/* Adds every IdP handler for the flavor's paths, plus the loopback-only
 * POST /_sandbox/rotate-keys.  Does nothing when ctx->external_issuer is
 * set: the sandbox's own IdP is off then. */
void        sb_idp_register (SbIdp *idp, SoupServer *server);
/* The IdP part of .well-known/smart-configuration: issuer, jwks_uri,
 * authorization_endpoint, token_endpoint, revocation_endpoint,
 * userinfo_endpoint, introspection_endpoint (keycloak), grant types,
 * scopes, PKCE methods and the capabilities this IdP supports. */
JsonObject *sb_idp_smart_configuration (SbIdp *idp);
/* The URLs, for the human table printed at start. */
const char *sb_idp_authorization_endpoint (SbIdp *idp);
const char *sb_idp_token_endpoint (SbIdp *idp);
const char *sb_idp_jwks_uri (SbIdp *idp);
/* The redirect URIs of the public client, for the human table. */
const char *const *sb_idp_public_redirect_uris (void);
void        sb_idp_free (SbIdp *idp);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SbIdp, sb_idp_free)

G_END_DECLS
