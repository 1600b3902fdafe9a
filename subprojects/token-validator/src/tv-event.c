/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "tv-event.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 16

typedef struct
{
  const char *p;
  const char *end;
} Scanner;

static void
skip_ws (Scanner *s)
{
  while (s->p < s->end
         && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
    s->p++;
}

/* Printable ASCII other than the quote and the backslash. */
static inline bool
is_plain (unsigned char c)
{
  return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* Scans a string starting at the opening quote.  With out != NULL, stores
 * the decoded value (malloc'd). */
static bool
scan_string (Scanner *s, char **out, size_t *out_len)
{
  const char *start;
  char *buf = NULL;
  size_t n = 0;

  if (s->p >= s->end || *s->p != '"')
    return false;
  start = ++s->p;
  if (out)
    {
      /* The decoded value is never longer than the raw one, which ends at
       * the first quote not escaped by an odd run of backslashes. */
      const char *q = start;

      for (;;)
        {
          const char *b;

          q = memchr (q, '"', (size_t) (s->end - q));
          if (q == NULL)
            {
              q = s->end;
              break;
            }
          for (b = q; b > start && b[-1] == '\\'; b--)
            ;
          if ((q - b) % 2 == 0)
            break;
          q++;
        }
      buf = malloc ((size_t) (q - start) + 1);
      if (buf == NULL)
        return false;
    }
  while (s->p < s->end)
    {
      const char *run = s->p;
      unsigned char c;

      /* Copy runs of plain characters at once: the token is ~1 KB of them. */
      while (s->p < s->end && is_plain ((unsigned char) *s->p))
        s->p++;
      if (buf && s->p > run)
        {
          memcpy (buf + n, run, (size_t) (s->p - run));
          n += (size_t) (s->p - run);
        }
      if (s->p >= s->end)
        break;
      c = (unsigned char) *s->p;
      if (c == '"')
        {
          s->p++;
          if (out)
            {
              buf[n] = '\0';
              *out = buf;
              *out_len = n;
            }
          return true;
        }
      if (c == '\\')
        {
          char e;

          if (s->p + 1 >= s->end)
            break;
          switch (s->p[1])
            {
            case '"': e = '"'; break;
            case '\\': e = '\\'; break;
            case '/': e = '/'; break;
            case 'b': e = '\b'; break;
            case 'f': e = '\f'; break;
            case 'n': e = '\n'; break;
            case 'r': e = '\r'; break;
            case 't': e = '\t'; break;
            default: goto fail;   /* \u and invalid escapes: jansson decides */
            }
          if (buf)
            buf[n++] = e;
          s->p += 2;
          continue;
        }
      /* Control characters and non-ASCII bytes: jansson decides. */
      break;
    }
fail:
  free (buf);
  return false;
}

static bool
is_digit (char c)
{
  return c >= '0' && c <= '9';
}

static bool
scan_number (Scanner *s)
{
  const char *start = s->p;

  if (s->p < s->end && *s->p == '-')
    s->p++;
  if (s->p >= s->end || !is_digit (*s->p))
    return false;
  if (*s->p == '0')
    s->p++;
  else
    while (s->p < s->end && is_digit (*s->p))
      s->p++;
  if (s->p < s->end && *s->p == '.')
    {
      s->p++;
      if (s->p >= s->end || !is_digit (*s->p))
        return false;
      while (s->p < s->end && is_digit (*s->p))
        s->p++;
    }
  /* Exponents and long numbers may overflow in jansson: let it judge. */
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E'))
    return false;
  return s->p - start <= 15;
}

static bool
scan_literal (Scanner *s, const char *word)
{
  size_t n = strlen (word);

  if ((size_t) (s->end - s->p) < n || memcmp (s->p, word, n) != 0)
    return false;
  s->p += n;
  return true;
}

static bool scan_value (Scanner *s, int depth);

static bool
scan_container (Scanner *s, int depth, bool object, TvEvent *top)
{
  char close = object ? '}' : ']';

  if (depth > MAX_DEPTH)
    return false;
  s->p++;
  skip_ws (s);
  if (s->p < s->end && *s->p == close)
    {
      s->p++;
      return true;
    }
  for (;;)
    {
      skip_ws (s);
      if (object)
        {
          char *key = NULL;
          size_t key_len = 0;
          char **slot = NULL;

          if (!scan_string (s, top ? &key : NULL, &key_len))
            return false;
          skip_ws (s);
          if (s->p >= s->end || *s->p != ':')
            {
              free (key);
              return false;
            }
          s->p++;
          skip_ws (s);
          if (key && strcmp (key, "datastoreEndpoint") == 0)
            slot = &top->endpoint;
          else if (key && strcmp (key, "bearerToken") == 0)
            slot = &top->token;
          free (key);
          if (slot)
            {
              /* Duplicate keys: the last one wins, as in jansson. */
              free (*slot);
              *slot = NULL;
              if (s->p < s->end && *s->p == '"')
                {
                  size_t vlen = 0;

                  if (!scan_string (s, slot, &vlen))
                    return false;
                  if (slot == &top->token)
                    top->token_len = vlen;
                }
              else if (!scan_value (s, depth + 1))
                return false;
            }
          else if (!scan_value (s, depth + 1))
            return false;
        }
      else if (!scan_value (s, depth + 1))
        return false;
      skip_ws (s);
      if (s->p >= s->end)
        return false;
      if (*s->p == ',')
        {
          s->p++;
          continue;
        }
      if (*s->p == close)
        {
          s->p++;
          return true;
        }
      return false;
    }
}

static bool
scan_value (Scanner *s, int depth)
{
  if (s->p >= s->end)
    return false;
  switch (*s->p)
    {
    case '{':
      return scan_container (s, depth, true, NULL);
    case '[':
      return scan_container (s, depth, false, NULL);
    case '"':
      return scan_string (s, NULL, NULL);
    case 't':
      return scan_literal (s, "true");
    case 'f':
      return scan_literal (s, "false");
    case 'n':
      return scan_literal (s, "null");
    default:
      return scan_number (s);
    }
}

TvEventScan
tv_event_scan (const char *json, size_t len, TvEvent *ev)
{
  Scanner s = { json, json + len };

  memset (ev, 0, sizeof *ev);
  skip_ws (&s);
  if (s.p >= s.end || *s.p != '{' || !scan_container (&s, 0, true, ev))
    goto fallback;
  skip_ws (&s);
  if (s.p != s.end)
    goto fallback;
  return TV_EVENT_OK;

fallback:
  tv_event_clear (ev);
  return TV_EVENT_FALLBACK;
}

void
tv_event_clear (TvEvent *ev)
{
  free (ev->endpoint);
  free (ev->token);
  memset (ev, 0, sizeof *ev);
}
