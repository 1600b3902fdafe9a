/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sb-lambda.h — the Lambda service, as far as HealthLake uses it.
 *
 * A second SoupServer on 127.0.0.1 serves the Lambda Runtime API
 * (/2018-06-01/runtime/…); a pool of token-validator processes pulls
 * invocations from it.  The runtime API lives on its own port (not under a
 * path prefix of the main server) because AWS_LAMBDA_RUNTIME_API is
 * "host:port" by definition and runtimes are free to ignore anything else. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "sb-context.h"

G_BEGIN_DECLS

typedef struct _SbLambda SbLambda;

typedef enum
{
  SB_LAMBDA_OK,         /* response is the function's answer */
  SB_LAMBDA_TIMEOUT,    /* no answer within the deadline */
  SB_LAMBDA_ERROR       /* the function reported an error, or died */
} SbLambdaStatus;

/* Called exactly once per invocation, on the main context.  response is
 * only set for SB_LAMBDA_OK (and is NULL if the answer was not a JSON
 * object); request_id is the Lambda request id the worker logs;
 * latency_us is from submission to answer. */
typedef void (*SbLambdaCallback) (SbLambdaStatus status,
                                  JsonObject    *response,
                                  const char    *request_id,
                                  gint64         latency_us,
                                  gpointer       user_data);

/* Finds the validator: explicit path, $SMART_SANDBOX_VALIDATOR, next to
 * our executable, the build tree, then PATH.  NULL when none. */
char     *sb_lambda_find_validator (const char *explicit_path);

SbLambda *sb_lambda_new (SbContext  *ctx,
                         const char *validator_path,
                         guint       concurrency,
                         GError    **error);
/* Runs the validator once per request; the event text must not be logged. */
void      sb_lambda_invoke (SbLambda        *lambda,
                            const char      *event_json,
                            guint            timeout_ms,
                            SbLambdaCallback callback,
                            gpointer         user_data);
/* Waits (iterating the main context) until every worker asked for its first
 * invocation or died; FALSE on timeout or when none is alive. */
gboolean  sb_lambda_wait_ready (SbLambda *lambda, guint timeout_ms);
const char *sb_lambda_runtime_api (SbLambda *lambda);
/* Stops the workers (SIGTERM, then SIGKILL) and the runtime API server. */
void      sb_lambda_free (SbLambda *lambda);

G_END_DECLS
