/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "sv-token-response.h"

G_BEGIN_DECLS

#define SV_TYPE_TOKEN_CLIENT (sv_token_client_get_type ())

G_DECLARE_FINAL_TYPE (SvTokenClient, sv_token_client, SV, TOKEN_CLIENT, GObject)

SvTokenClient   *sv_token_client_new                 (SoupSession         *session,
                                                      const char          *token_endpoint,
                                                      const char          *revocation_endpoint,
                                                      const char          *client_id,
                                                      const char          *client_secret);
void             sv_token_client_exchange_code_async (SvTokenClient       *self,
                                                      const char          *code,
                                                      const char          *redirect_uri,
                                                      const char          *code_verifier,
                                                      const char          *asked_scope,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
SvTokenResponse *sv_token_client_exchange_code_finish (SvTokenClient      *self,
                                                       GAsyncResult       *result,
                                                       GError            **error);
void             sv_token_client_refresh_async       (SvTokenClient       *self,
                                                      const char          *refresh_token,
                                                      const char          *asked_scope,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
SvTokenResponse *sv_token_client_refresh_finish      (SvTokenClient       *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);
void             sv_token_client_revoke_async        (SvTokenClient       *self,
                                                      const char          *token,
                                                      const char          *token_type_hint,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean         sv_token_client_revoke_finish       (SvTokenClient       *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);

G_END_DECLS
