/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SV_JSON_WRITER_MAX_DEPTH 32

/**
 * SvJsonWriter:
 *
 * Writes indented JSON straight into a #GString, byte for byte as
 * json-glib's #JsonGenerator does with pretty printing on (two spaces,
 * `"name" : value`), without building a tree first. Not a GObject: a
 * stack value, set up with sv_json_writer_init().
 */
typedef struct
{
  /*< private >*/
  GString *out;
  guint    depth;
  guint    count[SV_JSON_WRITER_MAX_DEPTH];
  gboolean object[SV_JSON_WRITER_MAX_DEPTH];
  gboolean after_name;
} SvJsonWriter;

void sv_json_writer_init         (SvJsonWriter *writer,
                                  GString      *out);
void sv_json_writer_begin_object (SvJsonWriter *writer);
void sv_json_writer_end_object   (SvJsonWriter *writer);
void sv_json_writer_begin_array  (SvJsonWriter *writer);
void sv_json_writer_end_array    (SvJsonWriter *writer);
void sv_json_writer_name         (SvJsonWriter *writer,
                                  const char   *name);
void sv_json_writer_string       (SvJsonWriter *writer,
                                  const char   *value);
void sv_json_writer_null         (SvJsonWriter *writer);
void sv_json_writer_boolean      (SvJsonWriter *writer,
                                  gboolean      value);
void sv_json_writer_int          (SvJsonWriter *writer,
                                  gint64        value);
void sv_json_writer_double       (SvJsonWriter *writer,
                                  double        value);
void sv_json_writer_init_inside  (SvJsonWriter       *writer,
                                  GString            *out,
                                  const SvJsonWriter *like);
void sv_json_writer_append_values (SvJsonWriter       *writer,
                                   const SvJsonWriter *part);

G_END_DECLS
