/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-fhir"

#include "config.h"

#include "sv-json-reader.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <string.h>

#include "sv-error.h"

/* A JSON reader for FHIR pages. json-glib's parser reads a character at a
 * time through a scanner and was most of the time a large record took to
 * load; this one reads RFC 8259 JSON in one pass into the same json-glib
 * trees, and can note where each Bundle entry's resource lies in the text
 * (so that a row can keep the resource's own text rather than its tree) and
 * find a Bundle's next link without building anything (so that the next
 * page is asked for while this one is read).
 *
 * Like json-glib it accepts raw control characters inside strings and keeps
 * the last of duplicate members; unlike it, it takes no comments, single
 * quotes or numbers like "01" or ".5", which no FHIR server sends. An
 * integer too large for 64 bits is read as a double. Nothing a server sends
 * can make it crash: nesting is limited, every read is bounded by the
 * length. */

#define MAX_DEPTH 512
#define KEY_BUFFER 64

typedef enum
{
  ROLE_NONE,
  ROLE_ROOT,
  ROLE_ENTRIES,
  ROLE_ENTRY,
  ROLE_RESOURCE,
} Role;

typedef struct
{
  const char *start;
  const char *p;
  const char *end;
  GString    *scratch;
  GArray     *spans;
  GError    **error;
  guint       depth;
} Reader;

static gboolean
fail (Reader     *r,
      const char *what)
{
  if (r->error != NULL && *r->error == NULL)
    g_set_error (r->error, SV_ERROR, SV_ERROR_PROTOCOL,
                 /* Translators: e.g. "unexpected character at byte 120". */
                 _("%s at byte %" G_GSIZE_FORMAT), what, (gsize) (r->p - r->start));
  return FALSE;
}

static gboolean
fail_unexpected (Reader *r)
{
  return fail (r, r->p < r->end ? _("unexpected character") : _("unexpected end of data"));
}

static inline void
skip_space (Reader *r)
{
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
    r->p++;
}

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static gboolean
read_hex4 (Reader   *r,
           gunichar *value)
{
  *value = 0;
  if (r->end - r->p < 4)
    return FALSE;
  for (int i = 0; i < 4; i++)
    {
      int digit = hex_value (r->p[i]);

      if (digit < 0)
        return FALSE;
      *value = (*value << 4) | (gunichar) digit;
    }
  r->p += 4;
  return TRUE;
}

/* An escape after the backslash, appended to the scratch buffer. */
static gboolean
read_escape (Reader *r)
{
  static const char simple_escapes[] = "\"\\/bfnrt";
  static const char simple_values[] = "\"\\/\b\f\n\r\t";
  const char *simple;
  char escape;
  gunichar c;

  if (r->p >= r->end)
    return fail_unexpected (r);

  escape = *r->p++;
  simple = strchr (simple_escapes, escape);
  if (escape != '\0' && simple != NULL)
    {
      g_string_append_c (r->scratch, simple_values[simple - simple_escapes]);
      return TRUE;
    }

  if (escape != 'u')
    {
      r->p--;
      return fail (r, _("invalid escape"));
    }

  if (!read_hex4 (r, &c))
    return fail (r, _("invalid \\u escape"));
  if (c >= 0xd800 && c <= 0xdbff)
    {
      gunichar low;

      /* A character beyond the BMP comes as a surrogate pair. */
      if (r->end - r->p < 2 || r->p[0] != '\\' || r->p[1] != 'u')
        return fail (r, _("invalid \\u escape"));
      r->p += 2;
      if (!read_hex4 (r, &low) || low < 0xdc00 || low > 0xdfff)
        return fail (r, _("invalid \\u escape"));
      c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
    }
  else if (c >= 0xdc00 && c <= 0xdfff)
    return fail (r, _("invalid \\u escape"));
  g_string_append_unichar (r->scratch, c);
  return TRUE;
}

/* A string after its opening quote, decoded into the scratch buffer. */
static gboolean
read_string (Reader *r)
{
  gboolean high = FALSE;

  g_string_truncate (r->scratch, 0);
  for (;;)
    {
      const char *run = r->p;

      while (r->p < r->end && *r->p != '"' && *r->p != '\\' && *r->p != '\0')
        {
          high |= (guchar) *r->p >= 0x80;
          r->p++;
        }
      g_string_append_len (r->scratch, run, r->p - run);

      if (r->p >= r->end || *r->p == '\0')
        return fail_unexpected (r);
      if (*r->p++ == '"')
        break;
      if (!read_escape (r))
        return FALSE;
    }

  if (high && !g_utf8_validate_len (r->scratch->str, r->scratch->len, NULL))
    return fail (r, _("text that is not UTF-8"));
  return TRUE;
}

static gboolean
read_literal (Reader     *r,
              const char *word)
{
  gsize n = strlen (word);

  if ((gsize) (r->end - r->p) < n || memcmp (r->p, word, n) != 0)
    return fail_unexpected (r);
  r->p += n;
  return TRUE;
}

static JsonNode *
read_number (Reader *r)
{
  const char *start = r->p;
  gboolean fraction = FALSE;
  char buffer[64];
  g_autofree char *heap = NULL;
  char *text = buffer;
  gsize n;

  if (r->p < r->end && *r->p == '-')
    r->p++;
  if (r->p < r->end && *r->p == '0')
    r->p++;
  else if (r->p < r->end && *r->p >= '1' && *r->p <= '9')
    while (r->p < r->end && g_ascii_isdigit (*r->p))
      r->p++;
  else
    {
      fail_unexpected (r);
      return NULL;
    }

  if (r->p < r->end && *r->p == '.')
    {
      fraction = TRUE;
      r->p++;
      if (r->p >= r->end || !g_ascii_isdigit (*r->p))
        {
          fail_unexpected (r);
          return NULL;
        }
      while (r->p < r->end && g_ascii_isdigit (*r->p))
        r->p++;
    }
  if (r->p < r->end && (*r->p == 'e' || *r->p == 'E'))
    {
      fraction = TRUE;
      r->p++;
      if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
        r->p++;
      if (r->p >= r->end || !g_ascii_isdigit (*r->p))
        {
          fail_unexpected (r);
          return NULL;
        }
      while (r->p < r->end && g_ascii_isdigit (*r->p))
        r->p++;
    }

  n = r->p - start;
  if (n >= sizeof buffer)
    text = heap = g_malloc (n + 1);
  memcpy (text, start, n);
  text[n] = '\0';

  if (!fraction)
    {
      char *end = NULL;
      gint64 value;

      errno = 0;
      value = g_ascii_strtoll (text, &end, 10);
      if (errno == 0 && end == text + n)
        return json_node_init_int (json_node_alloc (), value);
    }

  return json_node_init_double (json_node_alloc (), g_ascii_strtod (text, NULL));
}

/* After an opening bracket: whether the container ends right away. */
static gboolean
read_empty (Reader *r,
            char    close)
{
  r->p++;
  skip_space (r);
  if (r->p < r->end && *r->p == close)
    {
      r->p++;
      return TRUE;
    }
  return FALSE;
}

/* After a member or an element: a comma (%TRUE, more follow), or the
 * container's end (%FALSE, with @ok set). */
static gboolean
read_more (Reader   *r,
           char      close,
           gboolean *ok)
{
  skip_space (r);
  *ok = FALSE;
  if (r->p < r->end && *r->p == ',')
    {
      r->p++;
      return TRUE;
    }
  if (r->p < r->end && *r->p == close)
    {
      r->p++;
      *ok = TRUE;
      return FALSE;
    }
  fail_unexpected (r);
  return FALSE;
}

static JsonNode *read_value (Reader *r,
                             Role    role);

static Role
member_role (Role        role,
             const char *key)
{
  if (role == ROLE_ROOT && strcmp (key, "entry") == 0)
    return ROLE_ENTRIES;
  if (role == ROLE_ENTRY && strcmp (key, "resource") == 0)
    return ROLE_RESOURCE;
  return ROLE_NONE;
}

static JsonNode *
read_object (Reader *r,
             Role    role)
{
  g_autoptr(JsonObject) object = json_object_new ();
  gboolean ok;

  if (read_empty (r, '}'))
    return json_node_init_object (json_node_alloc (), object);

  do
    {
      char buffer[KEY_BUFFER];
      g_autofree char *heap = NULL;
      const char *key;
      Role child;
      JsonNode *value;

      skip_space (r);
      if (r->p >= r->end || *r->p != '"')
        {
          fail_unexpected (r);
          return NULL;
        }
      r->p++;
      if (!read_string (r))
        return NULL;
      if (r->scratch->len < sizeof buffer)
        {
          memcpy (buffer, r->scratch->str, r->scratch->len + 1);
          key = buffer;
        }
      else
        key = heap = g_strndup (r->scratch->str, r->scratch->len);

      skip_space (r);
      if (r->p >= r->end || *r->p != ':')
        {
          fail_unexpected (r);
          return NULL;
        }
      r->p++;
      skip_space (r);

      child = member_role (role, key);
      /* A repeated "entry" replaces the earlier one, as its tree does. */
      if (child == ROLE_ENTRIES && r->spans != NULL)
        g_array_set_size (r->spans, 0);
      if (child == ROLE_RESOURCE && r->spans != NULL && r->spans->len > 0)
        g_array_index (r->spans, SvJsonSpan, r->spans->len - 1) = (SvJsonSpan) { 0, 0 };

      value = read_value (r, child);
      if (value == NULL)
        return NULL;
      json_object_set_member (object, key, value);
    }
  while (read_more (r, '}', &ok));

  return ok ? json_node_init_object (json_node_alloc (), object) : NULL;
}

static JsonNode *
read_array (Reader *r,
            Role    role)
{
  g_autoptr(JsonArray) array = json_array_new ();
  gboolean ok;

  if (read_empty (r, ']'))
    return json_node_init_array (json_node_alloc (), array);

  do
    {
      JsonNode *value;

      skip_space (r);
      if (role == ROLE_ENTRIES && r->spans != NULL)
        g_array_append_val (r->spans, ((SvJsonSpan) { 0, 0 }));
      value = read_value (r, role == ROLE_ENTRIES ? ROLE_ENTRY : ROLE_NONE);
      if (value == NULL)
        return NULL;
      json_array_add_element (array, value);
    }
  while (read_more (r, ']', &ok));

  return ok ? json_node_init_array (json_node_alloc (), array) : NULL;
}

static JsonNode *
read_value (Reader *r,
            Role    role)
{
  JsonNode *node = NULL;
  const char *start = r->p;

  if (r->p >= r->end)
    {
      fail_unexpected (r);
      return NULL;
    }

  if (++r->depth > MAX_DEPTH)
    {
      fail (r, _("data nested too deeply"));
      return NULL;
    }

  switch (*r->p)
    {
    case '{':
      node = read_object (r, role == ROLE_ENTRY || role == ROLE_ROOT || role == ROLE_RESOURCE ? role : ROLE_NONE);
      if (node != NULL && role == ROLE_RESOURCE && r->spans != NULL && r->spans->len > 0)
        g_array_index (r->spans, SvJsonSpan, r->spans->len - 1) =
          (SvJsonSpan) { start - r->start, r->p - start };
      break;
    case '[':
      node = read_array (r, role == ROLE_ENTRIES ? role : ROLE_NONE);
      break;
    case '"':
      r->p++;
      if (read_string (r))
        node = json_node_init_string (json_node_alloc (), r->scratch->str);
      break;
    case 't':
      if (read_literal (r, "true"))
        node = json_node_init_boolean (json_node_alloc (), TRUE);
      break;
    case 'f':
      if (read_literal (r, "false"))
        node = json_node_init_boolean (json_node_alloc (), FALSE);
      break;
    case 'n':
      if (read_literal (r, "null"))
        node = json_node_init_null (json_node_alloc ());
      break;
    default:
      node = read_number (r);
      break;
    }

  r->depth--;
  return node;
}

/**
 * sv_json_reader_parse:
 * @data: JSON text
 * @length: its length in bytes
 * @resource_spans: (nullable) (element-type SvJsonSpan): when given, filled
 *   with one span per element of the root object's "entry" array: where
 *   that entry's "resource" object lies in @data (length 0 when it has none)
 * @error: return location for a #GError
 *
 * Reads one JSON value, with nothing but white space around it.
 *
 * Returns: (transfer full) (nullable): the tree, %NULL with @error set when
 *   @data is not JSON
 */
JsonNode *
sv_json_reader_parse (const char  *data,
                      gsize        length,
                      GArray      *resource_spans,
                      GError     **error)
{
  g_autoptr(GString) scratch = g_string_sized_new (256);
  Reader r = { data, data, data + length, scratch, resource_spans, error, 0 };
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (resource_spans != NULL)
    g_array_set_size (resource_spans, 0);

  skip_space (&r);
  root = read_value (&r, ROLE_ROOT);
  if (root == NULL)
    return NULL;

  skip_space (&r);
  if (r.p != r.end)
    {
      fail_unexpected (&r);
      return NULL;
    }

  return g_steal_pointer (&root);
}

/* Skips one value without building it; strings are only checked for
 * their end. */
static gboolean
skip_value (Reader *r)
{
  guint depth = 0;

  do
    {
      skip_space (r);
      if (r->p >= r->end)
        return FALSE;

      switch (*r->p)
        {
        case '{':
        case '[':
          if (++depth > MAX_DEPTH)
            return FALSE;
          r->p++;
          break;
        case '}':
        case ']':
          if (depth == 0)
            return FALSE;
          depth--;
          r->p++;
          break;
        case '"':
          for (r->p++; r->p < r->end && *r->p != '"'; r->p++)
            if (*r->p == '\\')
              r->p++;
          if (r->p >= r->end)
            return FALSE;
          r->p++;
          break;
        case ',':
        case ':':
          r->p++;
          break;
        default:
          /* A number or a literal, to its end. */
          r->p++;
          while (r->p < r->end && strchr (",:]} \t\r\n\"{[", *r->p) == NULL)
            r->p++;
          break;
        }
    }
  while (depth > 0);

  return TRUE;
}

/**
 * sv_json_reader_next_link:
 * @data: the text of a Bundle
 * @length: its length in bytes
 * @known: (out): %FALSE when the text could not be looked through (then
 *   only reading it fully tells)
 *
 * Finds the Bundle's `link` with relation `next` without reading the rest,
 * so that the next page can be asked for while this one is read. The link
 * is the one reading the whole Bundle gives: the last `link` member counts.
 *
 * Returns: (transfer full) (nullable): the next link's url
 */
char *
sv_json_reader_next_link (const char *data,
                          gsize       length,
                          gboolean   *known)
{
  g_autoptr(GString) scratch = g_string_sized_new (256);
  Reader r = { data, data, data + length, scratch, NULL, NULL, 0 };
  g_autoptr(JsonNode) links = NULL;
  JsonArray *array;

  *known = FALSE;
  skip_space (&r);
  if (r.p >= r.end || *r.p != '{')
    return NULL;
  r.p++;

  for (;;)
    {
      gboolean is_link;

      skip_space (&r);
      if (r.p < r.end && *r.p == '}')
        break;
      if (r.p >= r.end || *r.p != '"')
        return NULL;
      r.p++;
      if (!read_string (&r))
        return NULL;
      is_link = strcmp (r.scratch->str, "link") == 0;
      skip_space (&r);
      if (r.p >= r.end || *r.p != ':')
        return NULL;
      r.p++;
      skip_space (&r);

      if (is_link)
        {
          g_clear_pointer (&links, json_node_unref);
          if ((links = read_value (&r, ROLE_NONE)) == NULL)
            return NULL;
        }
      else if (!skip_value (&r))
        return NULL;

      skip_space (&r);
      if (r.p < r.end && *r.p == ',')
        r.p++;
      else if (r.p < r.end && *r.p == '}')
        break;
      else
        return NULL;
    }

  *known = TRUE;
  array = links != NULL && JSON_NODE_HOLDS_ARRAY (links) ? json_node_get_array (links) : NULL;
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      JsonObject *link = JSON_NODE_HOLDS_OBJECT (element) ? json_node_get_object (element) : NULL;
      JsonNode *relation = link != NULL ? json_object_get_member (link, "relation") : NULL;
      JsonNode *url = link != NULL ? json_object_get_member (link, "url") : NULL;

      if (relation != NULL && JSON_NODE_HOLDS_VALUE (relation) &&
          json_node_get_value_type (relation) == G_TYPE_STRING &&
          g_strcmp0 (json_node_get_string (relation), "next") == 0)
        return url != NULL && JSON_NODE_HOLDS_VALUE (url) && json_node_get_value_type (url) == G_TYPE_STRING
               ? g_strdup (json_node_get_string (url)) : NULL;
    }

  return NULL;
}
