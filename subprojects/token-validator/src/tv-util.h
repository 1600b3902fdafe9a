/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Monotonic clock in microseconds: latency and cache ages, immune to
 * wall-clock steps. */
int64_t tv_now_mono_us (void);

/* Wall clock in milliseconds since the epoch: what the Lambda deadline is
 * expressed in. */
int64_t tv_now_wall_ms (void);

/* Wall clock in seconds: what token claims are expressed in.  Tests and the
 * fuzzer may pin it with tv_set_fixed_time(). */
int64_t tv_now_seconds (void);
void tv_set_fixed_time (int64_t seconds);

/* Writes one JSON line {"level":…,"msg":…} to stderr.  Callers must never
 * pass tokens, signatures or secrets. */
void tv_log (const char *level, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));

/* snprintf into an error buffer; a NULL buffer is allowed. */
void tv_set_error (char *err, size_t errlen, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));

/* Reads a whole file (or stdin for "-") up to max bytes.  Returns a
 * NUL-terminated malloc'd buffer or NULL. */
char *tv_read_file (const char *path, size_t max, size_t *len_out,
                    char *err, size_t errlen);

/* Copies at most dstlen-1 bytes of src and NUL-terminates. */
void tv_strlcpy (char *dst, const char *src, size_t dstlen);

bool tv_str_has_prefix (const char *s, const char *prefix);

/* Strict unpadded base64url: only [A-Za-z0-9_-], non-empty, and a length
 * that encodes whole bytes.  cjose asserts (aborts the process) on some
 * malformed input, so everything is checked with this before it reaches
 * cjose. */
bool tv_is_base64url (const char *s, size_t len);
