/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tv-http.h"

/* True for "arn:aws:secretsmanager:…". */
bool tv_secrets_is_arn (const char *value);

/* Reads a secret once (at init) with a SigV4-signed GetSecretValue call,
 * using the Lambda's credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN).  The endpoint is https://secretsmanager.<region>.
 * amazonaws.com/ for the ARN's region, or AWS_ENDPOINT_URL_SECRETS_MANAGER.
 * A SecretString that is a JSON object yields its "client_secret" member;
 * otherwise the string itself.  *value is malloc'd; the caller cleanses it. */
bool tv_secrets_get (TvHttp *http, const char *arn, long timeout_ms,
                     char **value, char *err, size_t errlen);

/* SigV4 pieces, exposed for the unit test. */
void tv_sigv4_signature (const char *secret_key, const char *date8,
                         const char *region, const char *service,
                         const char *string_to_sign, char out_hex[65]);
void tv_sha256_hex (const void *data, size_t len, char out_hex[65]);
