/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define SV_TYPE_AUTHORIZATION_REQUEST (sv_authorization_request_get_type ())

G_DECLARE_FINAL_TYPE (SvAuthorizationRequest, sv_authorization_request, SV, AUTHORIZATION_REQUEST, GObject)

SvAuthorizationRequest *sv_authorization_request_new            (const char             *authorization_endpoint,
                                                                 const char             *client_id,
                                                                 const char             *redirect_uri,
                                                                 const char             *scope,
                                                                 const char             *aud,
                                                                 const char             *issuer,
                                                                 GError                **error);
const char             *sv_authorization_request_get_state      (SvAuthorizationRequest *self);
const char             *sv_authorization_request_get_code_verifier (SvAuthorizationRequest *self);
const char             *sv_authorization_request_get_redirect_uri (SvAuthorizationRequest *self);
const char             *sv_authorization_request_get_scope      (SvAuthorizationRequest *self);
char                   *sv_authorization_request_dup_url        (SvAuthorizationRequest *self);
gboolean                sv_authorization_request_is_redirect    (SvAuthorizationRequest *self,
                                                                 const char             *uri);
char                   *sv_authorization_request_parse_redirect (SvAuthorizationRequest *self,
                                                                 const char             *uri,
                                                                 GError                **error);

char                   *sv_pkce_s256_challenge                  (const char             *verifier);

G_END_DECLS
