/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define SV_TYPE_TOKEN_RESPONSE (sv_token_response_get_type ())

G_DECLARE_FINAL_TYPE (SvTokenResponse, sv_token_response, SV, TOKEN_RESPONSE, GObject)

SvTokenResponse *sv_token_response_new_from_json     (JsonObject      *object,
                                                      const char      *asked_scope,
                                                      gint64           now,
                                                      GError         **error);
const char      *sv_token_response_get_access_token  (SvTokenResponse *self);
const char      *sv_token_response_get_refresh_token (SvTokenResponse *self);
const char      *sv_token_response_get_id_token      (SvTokenResponse *self);
gint64           sv_token_response_get_expires_at    (SvTokenResponse *self);
const char      *sv_token_response_get_granted_scope (SvTokenResponse *self);
const char      *sv_token_response_get_asked_scope   (SvTokenResponse *self);
const char      *sv_token_response_get_patient       (SvTokenResponse *self);
const char      *sv_token_response_get_encounter     (SvTokenResponse *self);
char           **sv_token_response_dup_missing_scopes (SvTokenResponse *self);

G_END_DECLS
