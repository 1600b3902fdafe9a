/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sb-keys.h — the IdP's RS256 signing keys, kept per data dir.
 *
 * The keys live in DATA_DIR/keys.json (mode 0600) as private JWKs.  The kid
 * of a key is its RFC 7638 thumbprint, so it never changes for a given key.
 * Rotation makes a new current key and keeps the previous ones in the JWKS
 * so that tokens signed before the rotation keep verifying until they
 * expire. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "sb-context.h"

G_BEGIN_DECLS

#define SB_KEYS_ERROR (sb_keys_error_quark ())
GQuark sb_keys_error_quark (void);

typedef enum
{
  SB_KEYS_ERROR_FAILED,     /* key generation, signing or storage failed */
  SB_KEYS_ERROR_INVALID,    /* not a well-formed compact JWS */
  SB_KEYS_ERROR_SIGNATURE   /* unknown kid or bad signature */
} SbKeysError;

/* How many keys the JWKS publishes at most (current + previous ones). */
#define SB_KEYS_MAX_PUBLISHED 3

SbKeys     *sb_keys_load_or_create (const char *data_dir, GError **error);
/* A new current key; the old one stays in the JWKS.  Persisted at once. */
gboolean    sb_keys_rotate (SbKeys *keys, GError **error);
/* The public JWKS document ({"keys":[…]}), newest key first. */
char       *sb_keys_jwks_json (SbKeys *keys);
/* Compact JWS with header {alg:RS256,typ:JWT,kid}. */
char       *sb_keys_sign_jwt (SbKeys *keys, JsonObject *claims, GError **error);
/* Checks the signature against every published key (by kid) and returns the
 * claims.  It does not look at exp/iss: callers decide what they need. */
JsonObject *sb_keys_verify_jwt (SbKeys *keys, const char *jwt, GError **error);
const char *sb_keys_current_kid (SbKeys *keys);
void        sb_keys_free (SbKeys *keys);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SbKeys, sb_keys_free)

G_END_DECLS
