/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <cjose/cjose.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tv-http.h"

typedef enum
{
  TV_KEY_RSA,
  TV_KEY_EC_P256,
  TV_KEY_EC_P384,
} TvKeyType;

typedef struct
{
  char *kid;        /* may be NULL */
  char *alg;        /* the JWK's own "alg", may be NULL */
  TvKeyType type;
  cjose_jwk_t *jwk;
} TvKey;

/* The key cache.  It survives between invocations; a failed refresh leaves
 * the previous keys in place, so an IdP outage does not deny tokens signed
 * with keys we already know. */
typedef struct
{
  char *uri;
  TvKey *keys;
  size_t n_keys;
  long ttl_seconds;
  int64_t fetched_at_us;          /* monotonic, 0 = never */
  int64_t next_refresh_try_us;    /* monotonic: back-off after a failure */
  int64_t next_unknown_kid_us;    /* monotonic: unknown-kid refetch limit */
} TvJwks;

/* How often an unknown kid may trigger a refetch. */
#define TV_JWKS_UNKNOWN_KID_INTERVAL_US (60 * (int64_t) 1000000)
/* Largest JWKS document accepted. */
#define TV_JWKS_MAX_BYTES (256 * 1024)

void tv_jwks_init (TvJwks *jwks, const char *uri, long ttl_seconds);
void tv_jwks_clear (TvJwks *jwks);

/* Replaces the key set with the one in json.  Unusable keys (symmetric,
 * encryption-only, RSA below 2048 bits, unknown curves) are skipped.  Fails
 * when the document holds no usable key, leaving the old set untouched. */
bool tv_jwks_load (TvJwks *jwks, const char *json, size_t len,
                   char *err, size_t errlen);

/* Fetches jwks->uri and loads it. */
bool tv_jwks_fetch (TvJwks *jwks, TvHttp *http, long timeout_ms,
                    char *err, size_t errlen);

/* True when the TTL has passed and a refresh may be tried now. */
bool tv_jwks_refresh_due (const TvJwks *jwks);

/* Records a failed refresh so the next try waits. */
void tv_jwks_note_failure (TvJwks *jwks);

const TvKey *tv_jwks_find (const TvJwks *jwks, const char *kid);
