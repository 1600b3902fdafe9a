/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef enum
{
  TV_IDP_GENERIC,
  TV_IDP_COGNITO,
  TV_IDP_KEYCLOAK,
} TvIdp;

/* Bit flags for the supported JWS algorithms. */
typedef enum
{
  TV_ALG_RS256 = 1 << 0,
  TV_ALG_RS384 = 1 << 1,
  TV_ALG_RS512 = 1 << 2,
  TV_ALG_PS256 = 1 << 3,
  TV_ALG_PS384 = 1 << 4,
  TV_ALG_ES256 = 1 << 5,
  TV_ALG_ES384 = 1 << 6,
} TvAlg;

typedef struct
{
  char *issuer;
  TvIdp idp;
  /* Either jwks_uri is set, or discovery_uri is (generic IdP without an
   * explicit SMART_JWKS_URI) and the JWKS location is read from it at init. */
  char *jwks_uri;
  char *discovery_uri;
  char **client_ids;
  size_t n_client_ids;
  char *audience;
  char *role_arn;
  char *patient_claim;
  char *fhiruser_claim;
  unsigned allowed_algs;
  long leeway_seconds;
  long jwks_ttl_seconds;
  char *introspection_url;
  char *introspection_client_id;
  char *introspection_client_secret;
  const char *ca_file;
} TvConfig;

/* The environment variables the validator reads, NULL-terminated: printed by
 * --help and checked against the deployment templates by the tests. */
extern const char *const tv_config_env_names[];

/* Fills cfg from the environment.  Returns false with a message in err on a
 * configuration error. */
bool tv_config_load (TvConfig *cfg, char *err, size_t errlen);
void tv_config_clear (TvConfig *cfg);

/* Prints the effective configuration as JSON, secrets redacted. */
char *tv_config_to_json (const TvConfig *cfg);

const char *tv_idp_to_string (TvIdp idp);

/* Maps "RS256" etc. to a TvAlg flag, 0 when unsupported. */
unsigned tv_alg_from_string (const char *name);

/* https:// anywhere, http:// only for loopback hosts (127.0.0.0/8, ::1,
 * localhost). */
bool tv_url_is_allowed (const char *url);

/* Picks the CA bundle: SSL_CERT_FILE, Amazon Linux's path, Debian's path. */
const char *tv_config_find_ca_file (void);
