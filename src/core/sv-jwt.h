/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

JsonObject *sv_jwt_decode_claims       (const char  *jwt,
                                        GError     **error);
JsonObject *sv_jwt_verify_signature    (const char  *jwt,
                                        const char  *jwks,
                                        gsize        jwks_length,
                                        GError     **error);
gboolean    sv_jwt_check_id_token_claims (JsonObject *claims,
                                          const char *issuer,
                                          const char *client_id,
                                          gint64      now,
                                          GError    **error);
JsonObject *sv_jwt_verify_id_token     (const char  *jwt,
                                        const char  *jwks,
                                        gsize        jwks_length,
                                        const char  *issuer,
                                        const char  *client_id,
                                        gint64       now,
                                        GError     **error);

G_END_DECLS
