/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-core"

#include "config.h"

#include "sv-json-writer.h"

#include <string.h>

/* The JSON summary of a large record has tens of thousands of values:
 * JsonBuilder and JsonGenerator allocate a node for each and walk the tree
 * again to print it. This writes the same text directly. The output must
 * stay identical to json-glib 1.6's pretty printing, quirks included,
 * since `smart-viewer-cli summary --format json` promises a stable shape:
 * empty arrays are "[]", an empty object holds as many spaces as its depth
 * indents, U+001F is not escaped while U+007F is, and a double always has a
 * ".0" unless its "%.17g" form has a point. tests/test-fhir-record.c
 * compares the two. */

static const char indent_spaces[] = "                                                                ";

static void
indent (SvJsonWriter *writer,
        guint         depth)
{
  guint n = depth * 2;

  while (n > 0)
    {
      guint chunk = MIN (n, sizeof indent_spaces - 1);

      g_string_append_len (writer->out, indent_spaces, chunk);
      n -= chunk;
    }
}

/* Before each value: the separator from the previous element and the
 * indentation, unless the value follows its member name. */
static void
begin_value (SvJsonWriter *writer)
{
  if (writer->after_name)
    {
      writer->after_name = FALSE;
      return;
    }

  if (writer->depth > 0)
    {
      g_string_append (writer->out, writer->count[writer->depth - 1]++ > 0 ? ",\n" : "\n");
      indent (writer, writer->depth);
    }
}

/**
 * sv_json_writer_init:
 * @writer: an #SvJsonWriter on the stack
 * @out: where the text goes
 *
 * Sets @writer up to append one JSON value to @out.
 */
void
sv_json_writer_init (SvJsonWriter *writer,
                     GString      *out)
{
  memset (writer, 0, sizeof *writer);
  writer->out = out;
}

static void
begin_container (SvJsonWriter *writer,
                 gboolean      object)
{
  g_return_if_fail (writer->depth < SV_JSON_WRITER_MAX_DEPTH);

  begin_value (writer);
  g_string_append_c (writer->out, object ? '{' : '[');
  writer->object[writer->depth] = object;
  writer->count[writer->depth] = 0;
  writer->depth++;
}

static void
end_container (SvJsonWriter *writer,
               gboolean      object)
{
  g_return_if_fail (writer->depth > 0 && writer->object[writer->depth - 1] == object);

  writer->depth--;
  if (writer->count[writer->depth] > 0)
    {
      g_string_append_c (writer->out, '\n');
      indent (writer, writer->depth);
    }
  else if (object)
    /* json-glib's quirk: an empty object is indented inside. */
    indent (writer, writer->depth);
  g_string_append_c (writer->out, object ? '}' : ']');
}

/**
 * sv_json_writer_begin_object:
 * @writer: an #SvJsonWriter
 *
 * Starts an object; members follow as sv_json_writer_name() and a value.
 */
void
sv_json_writer_begin_object (SvJsonWriter *writer)
{
  begin_container (writer, TRUE);
}

/**
 * sv_json_writer_end_object:
 * @writer: an #SvJsonWriter
 *
 * Ends the innermost object.
 */
void
sv_json_writer_end_object (SvJsonWriter *writer)
{
  end_container (writer, TRUE);
}

/**
 * sv_json_writer_begin_array:
 * @writer: an #SvJsonWriter
 *
 * Starts an array.
 */
void
sv_json_writer_begin_array (SvJsonWriter *writer)
{
  begin_container (writer, FALSE);
}

/**
 * sv_json_writer_end_array:
 * @writer: an #SvJsonWriter
 *
 * Ends the innermost array.
 */
void
sv_json_writer_end_array (SvJsonWriter *writer)
{
  end_container (writer, FALSE);
}

/* Bytes written as \uXXXX; the named escapes are in the switch below.
 * json-glib leaves U+001F alone (a quirk kept) and escapes DEL. */
static inline gboolean
needs_escape (guchar c)
{
  return (c < 0x1f) || c == '"' || c == '\\' || c == 0x7f;
}

static void
append_escaped (GString    *out,
                const char *text)
{
  gsize length = strlen (text);
  gsize start = out->len;
  char *p;

  /* Room for the worst case, every byte as \uXXXX, then trimmed: one
   * pass over the text, no append per piece. */
  g_string_set_size (out, start + 6 * length + 2);
  p = out->str + start;
  *p++ = '"';
  for (const guchar *c = (const guchar *) text; *c != '\0'; c++)
    {
      if (!needs_escape (*c))
        {
          *p++ = (char) *c;
          continue;
        }

      *p++ = '\\';
      switch (*c)
        {
        case '"':
          *p++ = '"';
          break;
        case '\\':
          *p++ = '\\';
          break;
        case '\b':
          *p++ = 'b';
          break;
        case '\f':
          *p++ = 'f';
          break;
        case '\n':
          *p++ = 'n';
          break;
        case '\r':
          *p++ = 'r';
          break;
        case '\t':
          *p++ = 't';
          break;
        default:
          p += g_snprintf (p, 6, "u%04x", *c);
          break;
        }
    }
  *p++ = '"';
  g_string_truncate (out, p - out->str);
}

/**
 * sv_json_writer_name:
 * @writer: an #SvJsonWriter inside an object
 * @name: the member's name
 *
 * Writes a member's name; its value comes next.
 */
void
sv_json_writer_name (SvJsonWriter *writer,
                     const char   *name)
{
  g_return_if_fail (writer->depth > 0 && writer->object[writer->depth - 1]);

  begin_value (writer);
  append_escaped (writer->out, name);
  g_string_append (writer->out, " : ");
  writer->after_name = TRUE;
}

/**
 * sv_json_writer_string:
 * @writer: an #SvJsonWriter
 * @value: (nullable): UTF-8 text
 *
 * Writes a string, or null for %NULL.
 */
void
sv_json_writer_string (SvJsonWriter *writer,
                       const char   *value)
{
  if (value == NULL)
    {
      sv_json_writer_null (writer);
      return;
    }

  begin_value (writer);
  append_escaped (writer->out, value);
}

/**
 * sv_json_writer_null:
 * @writer: an #SvJsonWriter
 *
 * Writes null.
 */
void
sv_json_writer_null (SvJsonWriter *writer)
{
  begin_value (writer);
  g_string_append (writer->out, "null");
}

/**
 * sv_json_writer_boolean:
 * @writer: an #SvJsonWriter
 * @value: the value
 *
 * Writes true or false.
 */
void
sv_json_writer_boolean (SvJsonWriter *writer,
                        gboolean      value)
{
  begin_value (writer);
  g_string_append (writer->out, value ? "true" : "false");
}

/**
 * sv_json_writer_int:
 * @writer: an #SvJsonWriter
 * @value: the value
 *
 * Writes an integer.
 */
void
sv_json_writer_int (SvJsonWriter *writer,
                    gint64        value)
{
  begin_value (writer);
  g_string_append_printf (writer->out, "%" G_GINT64_FORMAT, value);
}

/**
 * sv_json_writer_double:
 * @writer: an #SvJsonWriter
 * @value: the value
 *
 * Writes a floating-point number as json-glib does: "%.17g" in the C
 * locale, with ".0" added when that has no decimal point.
 */
void
sv_json_writer_double (SvJsonWriter *writer,
                       double        value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  begin_value (writer);
  g_ascii_formatd (buffer, sizeof buffer, "%.17g", value);
  g_string_append (writer->out, buffer);
  if (strchr (buffer, '.') == NULL)
    g_string_append (writer->out, ".0");
}

/**
 * sv_json_writer_init_inside:
 * @writer: an #SvJsonWriter on the stack
 * @out: where its text goes
 * @like: a writer that has just begun an array or object
 *
 * Sets @writer up to write, into @out, the values of a container exactly
 * as @like would write them next, so that another thread can write one
 * part of a large document; sv_json_writer_append_values() puts the part
 * in place.
 */
void
sv_json_writer_init_inside (SvJsonWriter       *writer,
                            GString            *out,
                            const SvJsonWriter *like)
{
  g_return_if_fail (like->depth > 0 && like->count[like->depth - 1] == 0 && !like->after_name);

  *writer = *like;
  writer->out = out;
}

/**
 * sv_json_writer_append_values:
 * @writer: an #SvJsonWriter that has just begun an array or object
 * @part: a writer set up with sv_json_writer_init_inside() at a place
 *   like this one, with its values written
 *
 * Appends @part's text; @writer then goes on after its last value.
 */
void
sv_json_writer_append_values (SvJsonWriter       *writer,
                              const SvJsonWriter *part)
{
  guint depth = writer->depth;

  g_return_if_fail (depth > 0 && part->depth == depth && writer->count[depth - 1] == 0 &&
                    !writer->after_name && !part->after_name &&
                    part->object[depth - 1] == writer->object[depth - 1]);

  g_string_append_len (writer->out, part->out->str, part->out->len);
  writer->count[depth - 1] = part->count[depth - 1];
}
