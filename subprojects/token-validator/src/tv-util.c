/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "tv-util.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t fixed_time = 0;

int64_t
tv_now_mono_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
tv_now_wall_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_REALTIME, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
tv_now_seconds (void)
{
  if (fixed_time != 0)
    return fixed_time;
  return (int64_t) time (NULL);
}

void
tv_set_fixed_time (int64_t seconds)
{
  fixed_time = seconds;
}

void
tv_log (const char *level, const char *fmt, ...)
{
  char msg[1024];
  va_list ap;
  json_t *line;
  char *text;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);

  /* Going through jansson keeps the line valid JSON whatever the message
   * holds (quotes, control characters from a remote error string). */
  line = json_pack ("{s:s, s:s}", "level", level, "msg", msg);
  text = line ? json_dumps (line, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
  if (text)
    fprintf (stderr, "%s\n", text);
  free (text);
  json_decref (line);
}

void
tv_set_error (char *err, size_t errlen, const char *fmt, ...)
{
  va_list ap;

  if (err == NULL || errlen == 0)
    return;
  va_start (ap, fmt);
  vsnprintf (err, errlen, fmt, ap);
  va_end (ap);
}

char *
tv_read_file (const char *path, size_t max, size_t *len_out,
              char *err, size_t errlen)
{
  FILE *f;
  char *buf;
  size_t len = 0, cap = 4096;

  if (strcmp (path, "-") == 0)
    f = stdin;
  else
    f = fopen (path, "rb");
  if (f == NULL)
    {
      tv_set_error (err, errlen, "cannot open %s: %s", path, strerror (errno));
      return NULL;
    }

  buf = malloc (cap + 1);
  if (buf == NULL)
    goto fail;
  for (;;)
    {
      size_t n;

      if (len == cap)
        {
          char *nbuf;

          if (cap >= max)
            {
              tv_set_error (err, errlen, "%s is larger than %zu bytes", path, max);
              goto fail;
            }
          cap = cap * 2 > max ? max : cap * 2;
          nbuf = realloc (buf, cap + 1);
          if (nbuf == NULL)
            goto fail;
          buf = nbuf;
        }
      n = fread (buf + len, 1, cap - len, f);
      len += n;
      if (n == 0)
        break;
    }
  if (ferror (f))
    {
      tv_set_error (err, errlen, "cannot read %s", path);
      goto fail;
    }
  if (f != stdin)
    fclose (f);
  buf[len] = '\0';
  if (len_out)
    *len_out = len;
  return buf;

fail:
  if (f != stdin)
    fclose (f);
  free (buf);
  return NULL;
}

void
tv_strlcpy (char *dst, const char *src, size_t dstlen)
{
  size_t n;

  if (dstlen == 0)
    return;
  n = src ? strlen (src) : 0;
  if (n >= dstlen)
    n = dstlen - 1;
  if (n)
    memcpy (dst, src, n);
  dst[n] = '\0';
}

bool
tv_str_has_prefix (const char *s, const char *prefix)
{
  return strncmp (s, prefix, strlen (prefix)) == 0;
}

bool
tv_is_base64url (const char *s, size_t len)
{
  if (s == NULL || len == 0)
    return false;
  for (size_t i = 0; i < len; i++)
    {
      char c = s[i];

      if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9') || c == '-' || c == '_'))
        return false;
    }
  /* A base64 length of 1 mod 4 cannot encode whole bytes. */
  return len % 4 != 1;
}
