/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-core"

#include "config.h"

#include "sv-random.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <string.h>
#include <sys/random.h>

#include "sv-error.h"

/**
 * sv_random_bytes:
 * @buffer: where to write
 * @length: how many bytes
 * @error: return location for an error
 *
 * Fills @buffer from the kernel's CSPRNG with getrandom(2). GRand is not a
 * CSPRNG, so OAuth `state` values and PKCE verifiers must come from here.
 *
 * Returns: %TRUE on success
 */
gboolean
sv_random_bytes (guint8  *buffer,
                 gsize    length,
                 GError **error)
{
  gsize done = 0;

  g_return_val_if_fail (buffer != NULL || length == 0, FALSE);

  while (done < length)
    {
      ssize_t n = getrandom (buffer + done, length - done, 0);

      if (n < 0)
        {
          int saved_errno = errno;

          if (saved_errno == EINTR)
            continue;

          g_set_error (error, SV_ERROR, SV_ERROR_FAILED,
                       _("The system could not provide secure random numbers: %s"),
                       g_strerror (saved_errno));
          return FALSE;
        }

      done += (gsize) n;
    }

  return TRUE;
}

/**
 * sv_base64url_encode:
 * @data: bytes
 * @length: number of bytes
 *
 * Encodes as base64url without padding (RFC 4648 §5), as JOSE and PKCE want.
 *
 * Returns: (transfer full): the text
 */
char *
sv_base64url_encode (const guint8 *data,
                     gsize         length)
{
  char *text = g_base64_encode (data, length);
  char *out = text;

  for (char *p = text; *p != '\0'; p++)
    {
      if (*p == '=')
        break;
      *out++ = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    }
  *out = '\0';

  return text;
}

/**
 * sv_base64url_decode:
 * @text: base64url text, with or without padding
 * @out_length: (out): number of bytes decoded
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the bytes, or %NULL when @text is not base64url
 */
guint8 *
sv_base64url_decode (const char  *text,
                     gsize       *out_length,
                     GError     **error)
{
  g_autoptr(GString) s = NULL;
  gsize len;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (out_length != NULL, NULL);

  len = strlen (text);
  s = g_string_sized_new (len + 3);

  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];

      if (c == '-')
        c = '+';
      else if (c == '_')
        c = '/';
      else if (c == '=' && i + 2 >= len)
        break;
      else if (!g_ascii_isalnum (c))
        {
          g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                       _("The server sent data that is not valid base64url."));
          return NULL;
        }
      g_string_append_c (s, c);
    }

  if (s->len % 4 == 1)
    {
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("The server sent data that is not valid base64url."));
      return NULL;
    }

  while (s->len % 4 != 0)
    g_string_append_c (s, '=');

  return g_base64_decode (s->str, out_length);
}

/**
 * sv_random_base64url:
 * @n_bytes: how many random bytes (16 or more for 128 bits)
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): @n_bytes from getrandom(2), base64url-encoded
 */
char *
sv_random_base64url (gsize    n_bytes,
                     GError **error)
{
  g_autofree guint8 *buffer = g_malloc (n_bytes);
  char *text;

  if (!sv_random_bytes (buffer, n_bytes, error))
    return NULL;

  text = sv_base64url_encode (buffer, n_bytes);
  explicit_bzero (buffer, n_bytes);

  return text;
}
