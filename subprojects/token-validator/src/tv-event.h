/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* A fast path for reading the HealthLake event.  jansson spends as long on
 * the event (mostly lexing the ~1 KB token string) as the whole rest of the
 * handler bar the RSA verify, so plain events are scanned here instead.
 * Anything unusual — non-ASCII bytes, \u escapes, deep nesting, numbers
 * jansson might reject, invalid JSON — returns TV_EVENT_FALLBACK and the
 * caller parses with jansson, which stays the reference (the fuzzer checks
 * that both agree). */

typedef enum
{
  TV_EVENT_OK,
  TV_EVENT_FALLBACK,
} TvEventScan;

typedef struct
{
  char *endpoint;       /* decoded, malloc'd; NULL when absent or not a string */
  char *token;          /* decoded, malloc'd; NULL when absent or not a string */
  size_t token_len;
} TvEvent;

TvEventScan tv_event_scan (const char *json, size_t len, TvEvent *ev);
void tv_event_clear (TvEvent *ev);
