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

/**
 * SvJsonType:
 * @SV_JSON_NULL: null (and what a %NULL node reads as)
 * @SV_JSON_BOOLEAN: true or false
 * @SV_JSON_INT: a number without fraction or exponent that fits 64 bits
 * @SV_JSON_DOUBLE: any other number
 * @SV_JSON_STRING: a string
 * @SV_JSON_ARRAY: an array
 * @SV_JSON_OBJECT: an object
 */
typedef enum
{
  SV_JSON_NULL,
  SV_JSON_BOOLEAN,
  SV_JSON_INT,
  SV_JSON_DOUBLE,
  SV_JSON_STRING,
  SV_JSON_ARRAY,
  SV_JSON_OBJECT,
} SvJsonType;

/**
 * SvJsonTree:
 *
 * A JSON document read by sv_json_tree_parse(): compact and read-only,
 * reference counted, usable from any thread once made.
 */
typedef struct _SvJsonTree SvJsonTree;

/**
 * SvJsonNode:
 *
 * A value inside an #SvJsonTree, valid as long as the tree. Every getter
 * takes %NULL and nodes of another type, and then gives nothing.
 */
typedef struct _SvJsonNode SvJsonNode;

SvJsonTree       *sv_json_tree_parse           (const char        *data,
                                                gsize              length,
                                                GArray            *resource_spans,
                                                GError           **error);
SvJsonTree       *sv_json_tree_new_from_object (JsonObject        *object);
SvJsonTree       *sv_json_tree_ref             (SvJsonTree        *tree);
void              sv_json_tree_unref           (SvJsonTree        *tree);
const SvJsonNode *sv_json_tree_get_root        (SvJsonTree        *tree);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvJsonTree, sv_json_tree_unref)

SvJsonType        sv_json_node_get_node_type   (const SvJsonNode  *node);
const SvJsonNode *sv_json_node_get_member      (const SvJsonNode  *object,
                                                const char        *name);
const char       *sv_json_node_get_string_member (const SvJsonNode *object,
                                                  const char       *name);
const SvJsonNode *sv_json_node_get_object_member (const SvJsonNode *object,
                                                  const char       *name);
const SvJsonNode *sv_json_node_get_array_member  (const SvJsonNode *object,
                                                  const char       *name);
const SvJsonNode *sv_json_node_get_object_element (const SvJsonNode *array,
                                                   guint             index);
guint             sv_json_node_get_length      (const SvJsonNode  *node);
const SvJsonNode *sv_json_node_get_element     (const SvJsonNode  *array,
                                                guint              index);
const SvJsonNode *sv_json_node_next            (const SvJsonNode  *node);
const char       *sv_json_node_get_string      (const SvJsonNode  *node);
gboolean          sv_json_node_get_boolean     (const SvJsonNode  *node);
gint64            sv_json_node_get_int         (const SvJsonNode  *node);
double            sv_json_node_get_double      (const SvJsonNode  *node,
                                                double             fallback);
JsonNode         *sv_json_node_to_json_node    (const SvJsonNode  *node);

JsonNode *sv_json_reader_parse     (const char  *data,
                                    gsize        length,
                                    GArray      *resource_spans,
                                    GError     **error);
char     *sv_json_reader_next_link (const char  *data,
                                    gsize        length,
                                    gboolean    *known);

G_END_DECLS
