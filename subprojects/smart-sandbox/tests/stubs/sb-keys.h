/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Stand-in copy of the contract; the real header is src/sb-keys.h (IdP helper). */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>
#include "sb-context.h"
SbKeys *sb_keys_load_or_create (const char *data_dir, GError **error);
gboolean sb_keys_rotate (SbKeys *keys, GError **error);
char *sb_keys_jwks_json (SbKeys *keys);
char *sb_keys_sign_jwt (SbKeys *keys, JsonObject *claims, GError **error);
void  sb_keys_free (SbKeys *keys);
GQuark sb_keys_error_quark (void);
JsonObject *sb_keys_verify_jwt (SbKeys *keys, const char *jwt, GError **error);
const char *sb_keys_current_kid (SbKeys *keys);
