/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * SvJsonSpan:
 * @offset: where the text starts, in bytes
 * @length: its length in bytes; 0 when there is none
 *
 * A piece of the text that was read.
 */
typedef struct
{
  gsize offset;
  gsize length;
} SvJsonSpan;

JsonNode *sv_json_reader_parse     (const char  *data,
                                    gsize        length,
                                    GArray      *resource_spans,
                                    GError     **error);
char     *sv_json_reader_next_link (const char  *data,
                                    gsize        length,
                                    gboolean    *known);

G_END_DECLS
