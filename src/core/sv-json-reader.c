/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-fhir"

#include "config.h"

#include "sv-json-reader.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <string.h>

#include "sv-error.h"

/* A JSON reader for FHIR pages. json-glib's parser reads a character at a
 * time through a scanner and builds a hash table per object; for a record
 * of thousands of resources that, and freeing it all again, was most of the
 * time a load took. This one reads RFC 8259 JSON in one pass into an
 * SvJsonTree: all nodes in one array, in document order (a container's
 * children follow it), all strings in one block. That is two allocations
 * per document, and reading a member is a short scan of its siblings. It
 * can also note where each Bundle entry's resource lies in the text (so
 * that a row keeps the resource's own text rather than a tree), find a
 * Bundle's next link without building anything (so that the next page is
 * asked for while this one is read), and make json-glib trees for callers
 * that want those.
 *
 * Like json-glib it accepts raw control characters inside strings, any
 * value at the top, and a byte order mark before it, and keeps the last of
 * duplicate members; a number beyond a double's range is infinity or 0, as
 * there. Unlike it, it takes no comments, single quotes or numbers like
 * "01" or ".5", which no FHIR server sends; it refuses a lone surrogate
 * (json-glib makes invalid UTF-8 of it) and \u0000 (json-glib cuts the
 * string there, which could hide the rest of it); and an integer too large
 * for 64 bits is read as a double (json-glib wraps it around). Nothing a
 * server sends can make it crash or take long: nesting is limited to 512
 * levels, every read is bounded by the length (no NUL needed), sizes are
 * checked against 32-bit node counts, and elements are found by index in
 * constant time. */

struct _SvJsonNode
{
  SvJsonType  type;
  /* The nodes of this subtree, itself included: the next sibling is this
   * many nodes further. */
  guint       span;
  /* Members or elements of a container. */
  guint       count;
  /* The member's name when the node is a member of an object. */
  const char *key;
  union
  {
    const char  *string;
    gint64       integer;
    double       number;
    gboolean     boolean;
    /* An array's elements: how many nodes further each one is, so that
     * reading them by index takes as long as the array is long, not as
     * that squared. */
    const guint *elements;
  } v;
};

struct _SvJsonTree
{
  gatomicrefcount  ref_count;
  SvJsonNode      *nodes;
  guint            n_nodes;
  char            *strings;
  guint           *elements;
};

#define MAX_DEPTH 512

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
  /* Where a tree goes: its nodes, and its strings (never more than the
   * text's length, so the block never moves). */
  GArray     *nodes;
  char       *strings;
  gsize       strings_used;
} Reader;

static gboolean
fail (Reader     *r,
      const char *what)
{
  if (r->error != NULL && *r->error == NULL)
    g_set_error (r->error, SV_ERROR, SV_ERROR_PROTOCOL,
                 /* Translators: where JSON could not be read, e.g. "unexpected character at byte 120". */
                 _("%s at byte %lu"), what, (unsigned long) (r->p - r->start));
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

/* Starts reading @data: after a byte order mark, which RFC 8259 allows a
 * reader to skip (as json-glib does), and white space. Offsets stay those
 * in @data. */
static void
reader_init (Reader     *r,
             const char *data,
             gsize       length,
             GString    *scratch,
             GError    **error)
{
  static const char bom[] = "\xef\xbb\xbf";

  /* Even no text has a start and an end. */
  if (data == NULL)
    data = "";
  r->start = r->p = data;
  r->end = data + length;
  r->scratch = scratch;
  r->error = error;
  if (length >= 3 && memcmp (data, bom, 3) == 0)
    r->p += 3;
  skip_space (r);
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
  else if (c == 0)
    {
      /* A C string would end there, and hide the rest. */
      r->p -= 6;
      return fail (r, _("a NUL character in a string"));
    }
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

static gboolean
read_number (Reader     *r,
             SvJsonNode *node)
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
    return fail_unexpected (r);

  if (r->p < r->end && *r->p == '.')
    {
      fraction = TRUE;
      r->p++;
      if (r->p >= r->end || !g_ascii_isdigit (*r->p))
        return fail_unexpected (r);
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
        return fail_unexpected (r);
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
        {
          node->type = SV_JSON_INT;
          node->v.integer = value;
          return TRUE;
        }
    }

  node->type = SV_JSON_DOUBLE;
  node->v.number = g_ascii_strtod (text, NULL);
  return TRUE;
}

/* @length bytes and a NUL, kept in the tree's string block. */
static const char *
keep_text (Reader     *r,
           const char *text,
           gsize       length)
{
  char *kept = r->strings + r->strings_used;

  memcpy (kept, text, length);
  kept[length] = '\0';
  r->strings_used += length + 1;
  return kept;
}

/* The scratch buffer's string, kept in the tree's string block. */
static const char *
keep_string (Reader *r)
{
  return keep_text (r, r->scratch->str, r->scratch->len);
}

static inline SvJsonNode *
node_at (Reader *r,
         guint   index)
{
  return &g_array_index (r->nodes, SvJsonNode, index);
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

static gboolean read_value (Reader     *r,
                            Role        role,
                            const char *key);

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

/* Members, after the node of their object at @index. */
static gboolean
read_members (Reader *r,
              guint   index,
              Role    role)
{
  gboolean ok;

  if (read_empty (r, '}'))
    return TRUE;

  do
    {
      const char *key;
      Role child;

      skip_space (r);
      if (r->p >= r->end || *r->p != '"')
        return fail_unexpected (r);
      r->p++;
      if (!read_string (r))
        return FALSE;
      key = keep_string (r);

      skip_space (r);
      if (r->p >= r->end || *r->p != ':')
        return fail_unexpected (r);
      r->p++;
      skip_space (r);

      child = member_role (role, key);
      /* A repeated "entry" replaces the earlier one, as the last of
       * duplicate members counts. */
      if (child == ROLE_ENTRIES && r->spans != NULL)
        g_array_set_size (r->spans, 0);
      if (child == ROLE_RESOURCE && r->spans != NULL && r->spans->len > 0)
        g_array_index (r->spans, SvJsonSpan, r->spans->len - 1) = (SvJsonSpan) { 0, 0 };

      if (!read_value (r, child, key))
        return FALSE;
      node_at (r, index)->count++;
    }
  while (read_more (r, '}', &ok));

  return ok;
}

/* Elements, after the node of their array at @index. */
static gboolean
read_elements (Reader *r,
               guint   index,
               Role    role)
{
  gboolean ok;

  if (read_empty (r, ']'))
    return TRUE;

  do
    {
      skip_space (r);
      if (role == ROLE_ENTRIES && r->spans != NULL)
        g_array_append_val (r->spans, ((SvJsonSpan) { 0, 0 }));
      if (!read_value (r, role == ROLE_ENTRIES ? ROLE_ENTRY : ROLE_NONE, NULL))
        return FALSE;
      node_at (r, index)->count++;
    }
  while (read_more (r, ']', &ok));

  return ok;
}

static gboolean
read_value (Reader     *r,
            Role        role,
            const char *key)
{
  const char *start = r->p;
  guint index = r->nodes->len;
  SvJsonNode node = { SV_JSON_NULL, 1, 0, key, { NULL } };
  gboolean ok = FALSE;

  if (r->p >= r->end)
    return fail_unexpected (r);

  if (++r->depth > MAX_DEPTH)
    return fail (r, _("data nested too deeply"));

  switch (*r->p)
    {
    case '{':
      node.type = SV_JSON_OBJECT;
      g_array_append_val (r->nodes, node);
      ok = read_members (r, index, role == ROLE_ENTRY || role == ROLE_ROOT ? role : ROLE_NONE);
      if (ok && role == ROLE_RESOURCE && r->spans != NULL && r->spans->len > 0)
        g_array_index (r->spans, SvJsonSpan, r->spans->len - 1) =
          (SvJsonSpan) { start - r->start, r->p - start };
      break;
    case '[':
      node.type = SV_JSON_ARRAY;
      g_array_append_val (r->nodes, node);
      ok = read_elements (r, index, role == ROLE_ENTRIES ? role : ROLE_NONE);
      break;
    case '"':
      r->p++;
      if ((ok = read_string (r)))
        {
          node.type = SV_JSON_STRING;
          node.v.string = keep_string (r);
        }
      g_array_append_val (r->nodes, node);
      break;
    case 't':
    case 'f':
      node.type = SV_JSON_BOOLEAN;
      node.v.boolean = *r->p == 't';
      ok = read_literal (r, node.v.boolean ? "true" : "false");
      g_array_append_val (r->nodes, node);
      break;
    case 'n':
      ok = read_literal (r, "null");
      g_array_append_val (r->nodes, node);
      break;
    default:
      ok = read_number (r, &node);
      g_array_append_val (r->nodes, node);
      break;
    }

  node_at (r, index)->span = r->nodes->len - index;
  r->depth--;
  return ok;
}

/* Notes where each array's elements are, once the nodes have their place. */
static void
index_elements (SvJsonTree *tree)
{
  gsize n_elements = 0;
  guint *next;

  for (guint i = 0; i < tree->n_nodes; i++)
    if (tree->nodes[i].type == SV_JSON_ARRAY)
      n_elements += tree->nodes[i].count;

  tree->elements = next = g_new (guint, MAX (n_elements, 1));
  for (guint i = 0; i < tree->n_nodes; i++)
    {
      SvJsonNode *array = &tree->nodes[i];
      guint offset = 1;

      if (array->type != SV_JSON_ARRAY)
        continue;

      array->v.elements = next;
      for (guint k = 0; k < array->count; k++)
        {
          *next++ = offset;
          offset += array[offset].span;
        }
    }
}

static SvJsonTree *
tree_new (GArray *nodes,
          char   *strings)
{
  SvJsonTree *tree = g_new0 (SvJsonTree, 1);

  g_atomic_ref_count_init (&tree->ref_count);
  tree->n_nodes = nodes->len;
  tree->nodes = (SvJsonNode *) g_array_free (nodes, FALSE);
  tree->strings = strings;
  index_elements (tree);
  return tree;
}

/**
 * sv_json_tree_parse:
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
SvJsonTree *
sv_json_tree_parse (const char  *data,
                    gsize        length,
                    GArray      *resource_spans,
                    GError     **error)
{
  g_autoptr(GString) scratch = NULL;
  g_autoptr(GArray) nodes = NULL;
  g_autofree char *strings = NULL;
  Reader r = { 0, };

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (resource_spans != NULL)
    g_array_set_size (resource_spans, 0);

  /* Node counts and indexes are 32 bits; a node takes at least a byte. */
  if (length > G_MAXUINT)
    {
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL, "%s", _("data too large to be read"));
      return NULL;
    }

  scratch = g_string_sized_new (256);
  /* A node takes at least two bytes of text, mostly many more. */
  nodes = g_array_sized_new (FALSE, FALSE, sizeof (SvJsonNode), MIN (length / 16 + 16, 1 << 20));
  strings = g_malloc (length + 1);
  reader_init (&r, data, length, scratch, error);
  r.spans = resource_spans;
  r.nodes = nodes;
  r.strings = strings;

  if (!read_value (&r, ROLE_ROOT, NULL))
    return NULL;

  skip_space (&r);
  if (r.p != r.end)
    {
      fail_unexpected (&r);
      return NULL;
    }

  return tree_new (g_steal_pointer (&nodes), g_steal_pointer (&strings));
}

/**
 * sv_json_tree_ref:
 * @tree: a #SvJsonTree
 *
 * Returns: (transfer full): @tree
 */
SvJsonTree *
sv_json_tree_ref (SvJsonTree *tree)
{
  g_return_val_if_fail (tree != NULL, NULL);

  g_atomic_ref_count_inc (&tree->ref_count);
  return tree;
}

/**
 * sv_json_tree_unref:
 * @tree: (transfer full): a #SvJsonTree
 *
 * Frees @tree with its last reference; its nodes are then gone.
 */
void
sv_json_tree_unref (SvJsonTree *tree)
{
  g_return_if_fail (tree != NULL);

  if (!g_atomic_ref_count_dec (&tree->ref_count))
    return;

  g_free (tree->nodes);
  g_free (tree->strings);
  g_free (tree->elements);
  g_free (tree);
}

/**
 * sv_json_tree_get_root:
 * @tree: a #SvJsonTree
 *
 * Returns: (transfer none): the value read, valid as long as @tree
 */
const SvJsonNode *
sv_json_tree_get_root (SvJsonTree *tree)
{
  g_return_val_if_fail (tree != NULL, NULL);

  return tree->nodes;
}

static const char *
value_string (JsonNode *node)
{
  const char *string = json_node_get_string (node);

  return string != NULL ? string : "";
}

/* The nodes and string bytes that add_node() will add for @node. */
static void
measure_node (JsonNode *node,
              guint     depth,
              gsize    *n_nodes,
              gsize    *n_bytes)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *child;

  (*n_nodes)++;
  if (depth >= MAX_DEPTH)
    return;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &name, &child))
        {
          *n_bytes += strlen (name) + 1;
          measure_node (child, depth + 1, n_nodes, n_bytes);
        }
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        measure_node (json_array_get_element (array, i), depth + 1, n_nodes, n_bytes);
    }
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    *n_bytes += strlen (value_string (node)) + 1;
}

/* @node, and what it holds, as nodes of the tree being made. What lies
 * deeper than a parsed tree can is null. */
static void
add_node (Reader     *r,
          JsonNode   *json,
          const char *key,
          guint       depth)
{
  guint index = r->nodes->len;
  SvJsonNode node = { SV_JSON_NULL, 1, 0, key, { NULL } };
  JsonObjectIter iter;
  const char *name;
  JsonNode *child;

  if (depth < MAX_DEPTH && JSON_NODE_HOLDS_OBJECT (json))
    node.type = SV_JSON_OBJECT;
  else if (depth < MAX_DEPTH && JSON_NODE_HOLDS_ARRAY (json))
    node.type = SV_JSON_ARRAY;
  else if (depth < MAX_DEPTH && JSON_NODE_HOLDS_VALUE (json))
    switch (json_node_get_value_type (json))
      {
      case G_TYPE_STRING:
        node.type = SV_JSON_STRING;
        node.v.string = keep_text (r, value_string (json), strlen (value_string (json)));
        break;
      case G_TYPE_INT64:
        node.type = SV_JSON_INT;
        node.v.integer = json_node_get_int (json);
        break;
      case G_TYPE_DOUBLE:
        node.type = SV_JSON_DOUBLE;
        node.v.number = json_node_get_double (json);
        break;
      case G_TYPE_BOOLEAN:
        node.type = SV_JSON_BOOLEAN;
        node.v.boolean = json_node_get_boolean (json);
        break;
      default:
        break;
      }
  g_array_append_val (r->nodes, node);

  if (node.type == SV_JSON_OBJECT)
    {
      /* In the order the members were read, as json_to_string() has them. */
      json_object_iter_init_ordered (&iter, json_node_get_object (json));
      while (json_object_iter_next_ordered (&iter, &name, &child))
        {
          add_node (r, child, keep_text (r, name, strlen (name)), depth + 1);
          node_at (r, index)->count++;
        }
    }
  else if (node.type == SV_JSON_ARRAY)
    {
      JsonArray *array = json_node_get_array (json);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          add_node (r, json_array_get_element (array, i), NULL, depth + 1);
          node_at (r, index)->count++;
        }
    }

  node_at (r, index)->span = r->nodes->len - index;
}

/**
 * sv_json_tree_new_from_object:
 * @object: a json-glib object
 *
 * The same value as a tree, for code that reads trees.
 *
 * Returns: (transfer full): the tree
 */
SvJsonTree *
sv_json_tree_new_from_object (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_alloc ();
  g_autoptr(GArray) nodes = NULL;
  gsize n_nodes = 0;
  gsize n_bytes = 0;
  Reader r = { 0, };

  g_return_val_if_fail (object != NULL, NULL);

  /* Not through json-glib's text: it writes numbers such as 1e20 as
   * "1e+20.0", and infinity as "inf.0", which no JSON reader takes. */
  json_node_init_object (node, object);
  measure_node (node, 0, &n_nodes, &n_bytes);
  nodes = g_array_sized_new (FALSE, FALSE, sizeof (SvJsonNode), n_nodes);
  r.nodes = nodes;
  r.strings = g_malloc (n_bytes + 1);
  add_node (&r, node, NULL, 0);
  return tree_new (g_steal_pointer (&nodes), r.strings);
}

/**
 * sv_json_node_get_node_type:
 * @node: (nullable): a node
 *
 * Returns: its type; %SV_JSON_NULL for %NULL
 */
SvJsonType
sv_json_node_get_node_type (const SvJsonNode *node)
{
  return node != NULL ? node->type : SV_JSON_NULL;
}

/**
 * sv_json_node_get_member:
 * @object: (nullable): an object node
 * @name: a member name
 *
 * Returns: (transfer none) (nullable): the member (the last one of that
 *   name), %NULL when @object is not an object or has none
 */
const SvJsonNode *
sv_json_node_get_member (const SvJsonNode *object,
                         const char       *name)
{
  const SvJsonNode *found = NULL;
  const SvJsonNode *child;

  if (object == NULL || object->type != SV_JSON_OBJECT)
    return NULL;

  /* The first byte rules most members out without a call: a FHIR
   * resource has a dozen or more, and rows ask for many of them. */
  child = object + 1;
  for (guint i = 0; i < object->count; i++, child += child->span)
    if (child->key[0] == name[0] && strcmp (child->key, name) == 0)
      found = child;

  return found;
}

/**
 * sv_json_node_get_string_member:
 * @object: (nullable): an object node
 * @name: a member name
 *
 * Returns: (nullable): the member if it is a string
 */
const char *
sv_json_node_get_string_member (const SvJsonNode *object,
                                const char       *name)
{
  return sv_json_node_get_string (sv_json_node_get_member (object, name));
}

/**
 * sv_json_node_get_object_member:
 * @object: (nullable): an object node
 * @name: a member name
 *
 * Returns: (transfer none) (nullable): the member if it is an object
 */
const SvJsonNode *
sv_json_node_get_object_member (const SvJsonNode *object,
                                const char       *name)
{
  const SvJsonNode *node = sv_json_node_get_member (object, name);

  return node != NULL && node->type == SV_JSON_OBJECT ? node : NULL;
}

/**
 * sv_json_node_get_array_member:
 * @object: (nullable): an object node
 * @name: a member name
 *
 * Returns: (transfer none) (nullable): the member if it is an array
 */
const SvJsonNode *
sv_json_node_get_array_member (const SvJsonNode *object,
                               const char       *name)
{
  const SvJsonNode *node = sv_json_node_get_member (object, name);

  return node != NULL && node->type == SV_JSON_ARRAY ? node : NULL;
}

/**
 * sv_json_node_get_object_element:
 * @array: (nullable): an array node
 * @index: an element's position
 *
 * Returns: (transfer none) (nullable): the element if it is an object
 */
const SvJsonNode *
sv_json_node_get_object_element (const SvJsonNode *array,
                                 guint             index)
{
  const SvJsonNode *node = sv_json_node_get_element (array, index);

  return node != NULL && node->type == SV_JSON_OBJECT ? node : NULL;
}

/**
 * sv_json_node_get_length:
 * @node: (nullable): a node
 *
 * Returns: the number of elements of an array, 0 for anything else
 */
guint
sv_json_node_get_length (const SvJsonNode *node)
{
  return node != NULL && node->type == SV_JSON_ARRAY ? node->count : 0;
}

/**
 * sv_json_node_get_element:
 * @array: (nullable): an array node
 * @index: an element's position
 *
 * Returns: (transfer none) (nullable): the element, %NULL when there is none
 */
const SvJsonNode *
sv_json_node_get_element (const SvJsonNode *array,
                          guint             index)
{
  if (array == NULL || array->type != SV_JSON_ARRAY || index >= array->count)
    return NULL;

  return array + array->v.elements[index];
}

/**
 * sv_json_node_next:
 * @node: a member or an element
 *
 * Walks a container's children without counting from the start each time:
 * the child after @node. Only for a child that is not its container's last.
 *
 * Returns: (transfer none): the next member or element
 */
const SvJsonNode *
sv_json_node_next (const SvJsonNode *node)
{
  return node + node->span;
}

/**
 * sv_json_node_get_string:
 * @node: (nullable): a node
 *
 * Returns: (nullable): the string, %NULL when @node is not a string
 */
const char *
sv_json_node_get_string (const SvJsonNode *node)
{
  return node != NULL && node->type == SV_JSON_STRING ? node->v.string : NULL;
}

/**
 * sv_json_node_get_boolean:
 * @node: (nullable): a node
 *
 * Returns: %TRUE when @node is the boolean true
 */
gboolean
sv_json_node_get_boolean (const SvJsonNode *node)
{
  return node != NULL && node->type == SV_JSON_BOOLEAN && node->v.boolean;
}

/**
 * sv_json_node_get_int:
 * @node: (nullable): a node
 *
 * Returns: the integer, 0 when @node is not an integer
 */
gint64
sv_json_node_get_int (const SvJsonNode *node)
{
  return node != NULL && node->type == SV_JSON_INT ? node->v.integer : 0;
}

/**
 * sv_json_node_get_double:
 * @node: (nullable): a node
 * @fallback: what a node that is not a number gives
 *
 * Returns: the number, integer or not
 */
double
sv_json_node_get_double (const SvJsonNode *node,
                         double            fallback)
{
  if (node != NULL && node->type == SV_JSON_INT)
    return (double) node->v.integer;
  if (node != NULL && node->type == SV_JSON_DOUBLE)
    return node->v.number;
  return fallback;
}

/**
 * sv_json_node_to_json_node:
 * @node: a node
 *
 * Returns: (transfer full): the same value as a json-glib tree
 */
JsonNode *
sv_json_node_to_json_node (const SvJsonNode *node)
{
  const SvJsonNode *child = node + 1;

  switch (node->type)
    {
    case SV_JSON_OBJECT:
      {
        g_autoptr(JsonObject) object = json_object_new ();

        for (guint i = 0; i < node->count; i++, child += child->span)
          json_object_set_member (object, child->key, sv_json_node_to_json_node (child));
        return json_node_init_object (json_node_alloc (), object);
      }
    case SV_JSON_ARRAY:
      {
        g_autoptr(JsonArray) array = json_array_new ();

        for (guint i = 0; i < node->count; i++, child += child->span)
          json_array_add_element (array, sv_json_node_to_json_node (child));
        return json_node_init_array (json_node_alloc (), array);
      }
    case SV_JSON_STRING:
      return json_node_init_string (json_node_alloc (), node->v.string);
    case SV_JSON_INT:
      return json_node_init_int (json_node_alloc (), node->v.integer);
    case SV_JSON_DOUBLE:
      return json_node_init_double (json_node_alloc (), node->v.number);
    case SV_JSON_BOOLEAN:
      return json_node_init_boolean (json_node_alloc (), node->v.boolean);
    case SV_JSON_NULL:
    default:
      return json_node_init_null (json_node_alloc ());
    }
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
  g_autoptr(SvJsonTree) tree = sv_json_tree_parse (data, length, resource_spans, error);

  return tree != NULL ? sv_json_node_to_json_node (sv_json_tree_get_root (tree)) : NULL;
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
            if (*r->p == '\\' && ++r->p == r->end)
              return FALSE;
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
 * so that the next page can be asked for while this one is read. Looking
 * stops at the first `link` member (servers put it before the entries); in
 * the odd Bundle with two, the caller's check against the fully read
 * Bundle, whose last `link` counts, tells.
 *
 * Returns: (transfer full) (nullable): the next link's url
 */
char *
sv_json_reader_next_link (const char *data,
                          gsize       length,
                          gboolean   *known)
{
  g_autoptr(GString) scratch = g_string_sized_new (256);
  Reader r = { 0, };
  g_autoptr(SvJsonTree) links = NULL;
  const char *links_start = NULL;
  const char *links_end = NULL;
  const SvJsonNode *link;

  *known = FALSE;
  g_return_val_if_fail (data != NULL || length == 0, NULL);

  reader_init (&r, data, length, scratch, NULL);
  if (r.p >= r.end || *r.p != '{')
    return NULL;
  r.p++;

  for (;;)
    {
      gboolean is_link;
      const char *value;

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

      value = r.p;
      if (!skip_value (&r))
        return NULL;
      if (is_link)
        {
          links_start = value;
          links_end = r.p;
          break;
        }

      skip_space (&r);
      if (r.p < r.end && *r.p == ',')
        r.p++;
      else if (r.p < r.end && *r.p == '}')
        break;
      else
        return NULL;
    }

  if (links_start != NULL &&
      (links = sv_json_tree_parse (links_start, links_end - links_start, NULL, NULL)) == NULL)
    return NULL;

  *known = TRUE;
  for (guint i = 0; links != NULL && i < sv_json_node_get_length (sv_json_tree_get_root (links)); i++)
    {
      link = sv_json_node_get_element (sv_json_tree_get_root (links), i);
      if (g_strcmp0 (sv_json_node_get_string (sv_json_node_get_member (link, "relation")), "next") == 0)
        return g_strdup (sv_json_node_get_string (sv_json_node_get_member (link, "url")));
    }

  return NULL;
}
