/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "tv-smart.h"

#include <string.h>

#include "tv-util.h"

static bool
is_alpha (char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool
is_digit (char c)
{
  return c >= '0' && c <= '9';
}

bool
tv_is_fhir_id (const char *s, size_t len)
{
  if (len == 0 || len > 64)
    return false;
  for (size_t i = 0; i < len; i++)
    if (!is_alpha (s[i]) && !is_digit (s[i]) && s[i] != '-' && s[i] != '.')
      return false;
  return true;
}

static bool
is_resource_type (const char *s, size_t len)
{
  if (len == 0 || len > 64 || !(s[0] >= 'A' && s[0] <= 'Z'))
    return false;
  for (size_t i = 1; i < len; i++)
    if (!is_alpha (s[i]))
      return false;
  return true;
}

/* v2 permissions: a non-empty subset of c, r, u, d, s in that order. */
static bool
is_v2_permissions (const char *s, size_t len)
{
  static const char order[] = "cruds";
  size_t pos = 0;

  if (len == 0)
    return false;
  for (size_t i = 0; i < len; i++)
    {
      const char *p = strchr (order + pos, s[i]);

      if (s[i] == '\0' || p == NULL)
        return false;
      pos = (size_t) (p - order) + 1;
    }
  return true;
}

/* v2.2 query: param=value pairs joined by '&'. */
static bool
is_scope_query (const char *s, size_t len)
{
  size_t i = 0;

  if (len == 0)
    return false;
  while (i < len)
    {
      size_t start = i;
      bool has_value = false;

      while (i < len && s[i] != '=' && s[i] != '&')
        {
          char c = s[i];

          if (!is_alpha (c) && !is_digit (c) && c != '_' && c != '-' && c != ':'
              && c != '.')
            return false;
          i++;
        }
      if (i == start || i == len || s[i] != '=')
        return false;
      i++;
      start = i;
      while (i < len && s[i] != '&')
        {
          unsigned char c = (unsigned char) s[i];

          if (c <= 0x20 || c >= 0x7f || c == '#' || c == '?')
            return false;
          i++;
          has_value = true;
        }
      if (!has_value || i == start)
        return false;
      if (i < len)
        {
          i++;
          if (i == len)
            return false;
        }
    }
  return true;
}

bool
tv_scope_is_smart_resource (const char *scope, size_t len, bool *is_patient)
{
  static const char *const contexts[] = { "patient/", "user/", "system/" };
  const char *p = NULL, *end = scope + len, *dot, *q;
  size_t ci;

  for (ci = 0; ci < 3; ci++)
    {
      size_t cl = strlen (contexts[ci]);

      if (len > cl && strncmp (scope, contexts[ci], cl) == 0)
        {
          p = scope + cl;
          break;
        }
    }
  if (p == NULL)
    return false;

  dot = memchr (p, '.', (size_t) (end - p));
  if (dot == NULL)
    return false;
  q = memchr (dot, '?', (size_t) (end - dot));

  {
    size_t tl = (size_t) (dot - p);
    const char *perm = dot + 1;
    size_t pl = (size_t) ((q ? q : end) - perm);
    bool wildcard = tl == 1 && p[0] == '*';
    bool v1 = false, v2;

    if (!wildcard && !is_resource_type (p, tl))
      return false;
    if ((pl == 4 && strncmp (perm, "read", 4) == 0)
        || (pl == 5 && strncmp (perm, "write", 5) == 0)
        || (pl == 1 && perm[0] == '*'))
      v1 = true;
    v2 = !v1 && is_v2_permissions (perm, pl);
    if (!v1 && !v2)
      return false;
    if (q)
      {
        /* Queries exist only in v2.2 syntax and only on a single type. */
        if (v1 || wildcard || !is_scope_query (q + 1, (size_t) (end - q - 1)))
          return false;
      }
  }

  if (is_patient)
    *is_patient = ci == 0;
  return true;
}

bool
tv_reference_reduce (const char *ref, char *out, size_t outlen)
{
  const char *end, *id_start, *type_start, *hist, *scheme;
  size_t id_len, type_len;

  if (ref == NULL)
    return false;
  end = ref + strlen (ref);
  scheme = strstr (ref, "://");
  /* Absolute URLs: ignore query and fragment. */
  if (scheme)
    {
      const char *qf = strpbrk (scheme, "?#");

      if (qf)
        end = qf;
    }
  hist = NULL;
  for (const char *s = ref; (s = strstr (s, "/_history/")) != NULL && s < end; s++)
    hist = s;
  if (hist)
    end = hist;
  while (end > ref && end[-1] == '/')
    end--;

  id_start = end;
  while (id_start > ref && id_start[-1] != '/')
    id_start--;
  id_len = (size_t) (end - id_start);
  if (id_start == ref)
    return false;
  type_start = id_start - 1;
  while (type_start > ref && type_start[-1] != '/')
    type_start--;
  type_len = (size_t) (id_start - 1 - type_start);

  /* A relative reference must be exactly Type/id. */
  if (!scheme && type_start != ref)
    return false;
  if (!is_resource_type (type_start, type_len) || !tv_is_fhir_id (id_start, id_len))
    return false;
  if (type_len + 1 + id_len + 1 > outlen)
    return false;
  memcpy (out, type_start, type_len);
  out[type_len] = '/';
  memcpy (out + type_len + 1, id_start, id_len);
  out[type_len + 1 + id_len] = '\0';
  return true;
}

bool
tv_patient_id_reduce (const char *value, char *out, size_t outlen)
{
  char ref[160];
  size_t n;

  if (value == NULL)
    return false;
  n = strlen (value);
  if (tv_is_fhir_id (value, n))
    {
      if (n + 1 > outlen)
        return false;
      memcpy (out, value, n + 1);
      return true;
    }
  if (!tv_reference_reduce (value, ref, sizeof ref)
      || !tv_str_has_prefix (ref, "Patient/"))
    return false;
  tv_strlcpy (out, ref + strlen ("Patient/"), outlen);
  return strlen (ref + strlen ("Patient/")) < outlen;
}
