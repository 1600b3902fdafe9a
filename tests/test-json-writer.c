/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <json-glib/json-glib.h>

#include "sv-json-writer.h"

/* The direct writer must print what json-glib's generator prints for the
 * same values, byte for byte: the summary's text is a stable interface. */

static char *
generator_text (const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = json_from_string (json, &error);

  g_assert_no_error (error);
  return json_to_string (root, TRUE);
}

/* Writes a parsed tree again through the writer. */
static void
write_node (SvJsonWriter *writer,
            JsonNode     *node)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *object = json_node_get_object (node);
        g_autoptr(GList) members = json_object_get_members (object);

        sv_json_writer_begin_object (writer);
        for (GList *l = members; l != NULL; l = l->next)
          {
            sv_json_writer_name (writer, l->data);
            write_node (writer, json_object_get_member (object, l->data));
          }
        sv_json_writer_end_object (writer);
      }
      break;

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);

        sv_json_writer_begin_array (writer);
        for (guint i = 0; i < json_array_get_length (array); i++)
          write_node (writer, json_array_get_element (array, i));
        sv_json_writer_end_array (writer);
      }
      break;

    case JSON_NODE_NULL:
      sv_json_writer_null (writer);
      break;

    case JSON_NODE_VALUE:
    default:
      if (json_node_get_value_type (node) == G_TYPE_STRING)
        sv_json_writer_string (writer, json_node_get_string (node));
      else if (json_node_get_value_type (node) == G_TYPE_BOOLEAN)
        sv_json_writer_boolean (writer, json_node_get_boolean (node));
      else if (json_node_get_value_type (node) == G_TYPE_INT64)
        sv_json_writer_int (writer, json_node_get_int (node));
      else
        sv_json_writer_double (writer, json_node_get_double (node));
      break;
    }
}

static void
assert_same_as_generator (const char *json)
{
  g_autofree char *expected = generator_text (json);
  g_autoptr(JsonNode) root = json_from_string (json, NULL);
  g_autoptr(GString) out = g_string_new (NULL);
  SvJsonWriter writer;

  sv_json_writer_init (&writer, out);
  write_node (&writer, root);
  g_assert_cmpstr (out->str, ==, expected);
}

static void
test_shapes (void)
{
  assert_same_as_generator ("{}");
  assert_same_as_generator ("[]");
  assert_same_as_generator ("{\"a\":{\"b\":{\"c\":{}}},\"d\":[],\"e\":[[],{},[{}]]}");
  assert_same_as_generator ("[1,\"x\",null,true,false,{\"k\":[{\"l\":null}]}]");
  assert_same_as_generator ("{\"codings\":[{\"system\":null,\"code\":\"1\",\"display\":\"One\"}],\"count\":-42}");
}

static void
test_strings (void)
{
  g_autoptr(GString) all = g_string_new ("{\"s\":\"");
  g_autoptr(GString) keys = g_string_new ("{");

  /* Every ASCII control character, quote, backslash and DEL, and text
   * beyond ASCII, in values and in names. */
  for (guint c = 1; c < 0x80; c++)
    g_string_append_printf (all, "\\u%04x", c);
  g_string_append (all, "é€😀\\u2028\"}");
  assert_same_as_generator (all->str);

  for (guint c = 1; c < 0x20; c++)
    g_string_append_printf (keys, "%s\"k\\u%04x\":%u", c > 1 ? "," : "", c, c);
  g_string_append (keys, ",\"q\\\"\\\\\":0}");
  assert_same_as_generator (keys->str);
}

static void
test_numbers (void)
{
  assert_same_as_generator ("[0.95,1.0,0.0,-0.0,0.30000000000000004,1e21,1.5e300,1e-7,123456789012.5,0.1]");
  assert_same_as_generator ("[0,-1,9007199254740993,-9223372036854775807]");
}

/* A container's values written apart (as another thread would) and put in
 * place read as if written in one go, empty or not, at any depth. */
static void
test_parts (void)
{
  const char *cases[] = {
    "{\"a\":[1,{\"b\":[\"x\",null]},\"y\"],\"c\":{}}",
    "{\"a\":[],\"c\":[[true]]}",
    "{\"a\":{\"k\":1,\"l\":[2]},\"c\":1}",
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autofree char *expected = generator_text (cases[c]);
      g_autoptr(JsonNode) root = json_from_string (cases[c], NULL);
      JsonNode *first = json_object_get_member (json_node_get_object (root), "a");
      g_autoptr(GString) out = g_string_new (NULL);
      g_autoptr(GString) part_out = g_string_new (NULL);
      SvJsonWriter writer;
      SvJsonWriter part;

      sv_json_writer_init (&writer, out);
      sv_json_writer_begin_object (&writer);
      sv_json_writer_name (&writer, "a");
      if (JSON_NODE_HOLDS_ARRAY (first))
        {
          JsonArray *array = json_node_get_array (first);

          sv_json_writer_begin_array (&writer);
          sv_json_writer_init_inside (&part, part_out, &writer);
          for (guint i = 0; i < json_array_get_length (array); i++)
            write_node (&part, json_array_get_element (array, i));
          sv_json_writer_append_values (&writer, &part);
          sv_json_writer_end_array (&writer);
        }
      else
        {
          JsonObject *object = json_node_get_object (first);
          g_autoptr(GList) members = json_object_get_members (object);

          sv_json_writer_begin_object (&writer);
          sv_json_writer_init_inside (&part, part_out, &writer);
          for (GList *l = members; l != NULL; l = l->next)
            {
              sv_json_writer_name (&part, l->data);
              write_node (&part, json_object_get_member (object, l->data));
            }
          sv_json_writer_append_values (&writer, &part);
          sv_json_writer_end_object (&writer);
        }
      sv_json_writer_name (&writer, "c");
      write_node (&writer, json_object_get_member (json_node_get_object (root), "c"));
      sv_json_writer_end_object (&writer);

      g_assert_cmpstr (out->str, ==, expected);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/json-writer/shapes", test_shapes);
  g_test_add_func ("/json-writer/strings", test_strings);
  g_test_add_func ("/json-writer/numbers", test_numbers);
  g_test_add_func ("/json-writer/parts", test_parts);

  return g_test_run ();
}
