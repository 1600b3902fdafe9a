/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "tv-config.h"
#include "tv-http.h"
#include "tv-jwks.h"

/* Longest bearer token considered; real access tokens are a few KB, and a
 * cap keeps a hostile 1 MB token from costing anything. */
#define TV_MAX_TOKEN_BYTES (16 * 1024)

typedef struct
{
  const TvConfig *config;
  TvJwks jwks;
  TvHttp *idp_http;   /* NULL: never touch the network (fuzzing) */
  /* The introspection secret read from Secrets Manager at init, when
   * SMART_INTROSPECTION_CLIENT_SECRET is an ARN. */
  char *introspection_secret;
  bool secret_failed;  /* that read failed: a configuration error */
} TvValidator;

typedef struct
{
  bool allow;
  const char *reason;     /* static reason code, "ok" on allow */
  char kid[65];           /* from the token header, sanitised, for the log */
  char client_id[129];    /* from a verified token only, for the log */
  json_t *auth_payload;   /* the authPayload object on allow, else NULL */
} TvDecision;

/* Sets the validator up; with network = true, reads the introspection
 * secret from Secrets Manager when configured as an ARN (on failure:
 * secret_failed), resolves the JWKS location (OpenID discovery for a generic
 * IdP) and fetches the keys.  Returns false when any of that fails; after a
 * JWKS failure the validator is still usable (it retries on demand). */
bool tv_validator_init (TvValidator *v, const TvConfig *config, bool network,
                        long timeout_ms, char *err, size_t errlen);
void tv_validator_clear (TvValidator *v);

/* Validates a bearer token.  datastore_endpoint becomes authPayload.aud.
 * budget_ms bounds any network work (JWKS refresh, introspection); <= 0
 * forbids it.  Always fills d; free it with tv_decision_clear(). */
void tv_validator_check (TvValidator *v, const char *token, size_t token_len,
                         const char *datastore_endpoint, long budget_ms,
                         TvDecision *d);
void tv_decision_clear (TvDecision *d);

/* The claim rules alone, on an already verified claim set (a JWS payload
 * or an introspection answer).  Exposed for the fuzzer. */
bool tv_validator_check_claims (TvValidator *v, json_t *claims,
                                const char *datastore_endpoint, TvDecision *d);

/* The one place that decides how isAuthorized is written. */
json_t *tv_is_authorized_value (bool allowed);
