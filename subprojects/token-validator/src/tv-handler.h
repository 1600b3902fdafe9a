/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tv-validator.h"

typedef enum
{
  TV_RESULT_ALLOW,
  TV_RESULT_DENY,
  /* Not a JSON object at all: the runtime reports an invocation error; the
   * response (a deny) is still filled for --event. */
  TV_RESULT_MALFORMED,
} TvResult;

/* Largest event accepted (the Lambda synchronous payload limit). */
#define TV_MAX_EVENT_BYTES (6 * 1024 * 1024)

/* Handles one HealthLake event: *response receives the JSON answer
 * (malloc'd).  d receives the decision for the log line. */
TvResult tv_handle_event (TvValidator *v, const char *event, size_t len,
                          long budget_ms, char **response, TvDecision *d);

/* Writes the per-invocation JSON log line to stderr. */
void tv_log_invocation (const char *request_id, TvResult result,
                        const TvDecision *d, int64_t latency_us);
