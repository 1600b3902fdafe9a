/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "sv-error.h"
#include "sv-json-reader.h"

/* The page reader gives the trees json-glib's parser gives, refuses what
 * is not JSON without crashing, and finds entries' texts and next links. */

static void
assert_same_tree (const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) expected = json_from_string (json, &error);
  g_autoptr(JsonNode) got = NULL;
  g_autofree char *expected_text = NULL;
  g_autofree char *got_text = NULL;

  g_assert_no_error (error);
  got = sv_json_reader_parse (json, strlen (json), NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (got);
  g_assert_cmpint (JSON_NODE_TYPE (got), ==, JSON_NODE_TYPE (expected));
  expected_text = json_to_string (expected, TRUE);
  got_text = json_to_string (got, TRUE);
  g_assert_cmpstr (got_text, ==, expected_text);
}

static void
test_same_as_json_glib (void)
{
  assert_same_tree ("{}");
  assert_same_tree (" [ ] ");
  assert_same_tree ("{\"a\":1,\"b\":-2.5,\"c\":[true,false,null],\"d\":{\"e\":\"f\"}}");
  assert_same_tree ("[0,-0,1e5,1E+2,2.5e-3,9007199254740993,-9223372036854775807]");
  assert_same_tree ("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20ac\\ud83d\\ude00\",\"é€😀\",\"a\tb\"]");
  /* The last of duplicate members counts. */
  assert_same_tree ("{\"a\":1,\"a\":{\"b\":2}}");
}

static void
assert_refused (const char *json,
                gsize       length)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = sv_json_reader_parse (json, length, NULL, &error);

  g_assert_null (node);
  g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
}

static void
test_refused (void)
{
  const char *bad[] = {
    "", "   ", "{", "[1,", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "[tru]", "[01]", "[.5]", "[1.]",
    "[-]", "[+1]", "[\"abc", "[\"\\x\"]", "[\"\\u12\"]", "[\"\\ud83d\"]", "[\"\\ude00\"]", "[1] x",
    "[\"\xff\"]", "{\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":{\"id\":\"1\"}",
  };
  g_autoptr(GString) deep = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    assert_refused (bad[i], strlen (bad[i]));

  /* Bounded by the length given, not by a NUL. */
  assert_refused ("[1]", 2);
  assert_refused ("[\"a\0b\"]", 7);

  /* Deep nesting is refused, not a stack overflow. */
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  assert_refused (deep->str, deep->len);
}

static void
test_resource_spans (void)
{
  const char *bundle =
    "{\"resourceType\":\"Bundle\",\"entry\":["
    "{\"fullUrl\":\"x\",\"resource\":{\"resourceType\":\"Condition\",\"id\":\"c1\",\"code\":{\"text\":\"}\"}}},"
    "{\"search\":{\"mode\":\"match\"}},"
    "{\"resource\":{\"id\":\"old\"},\"resource\" : { \"id\" : \"c2\" } },"
    "{\"resource\":{\"id\":\"gone\"},\"resource\":7}"
    "],\"link\":[]}";
  g_autoptr(GArray) spans = g_array_new (FALSE, FALSE, sizeof (SvJsonSpan));
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = sv_json_reader_parse (bundle, strlen (bundle), spans, &error);
  SvJsonSpan span;
  g_autofree char *first = NULL;
  g_autofree char *third = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (root);
  g_assert_cmpuint (spans->len, ==, 4);

  span = g_array_index (spans, SvJsonSpan, 0);
  first = g_strndup (bundle + span.offset, span.length);
  g_assert_cmpstr (first, ==,
                   "{\"resourceType\":\"Condition\",\"id\":\"c1\",\"code\":{\"text\":\"}\"}}");
  g_assert_cmpuint (g_array_index (spans, SvJsonSpan, 1).length, ==, 0);
  span = g_array_index (spans, SvJsonSpan, 2);
  third = g_strndup (bundle + span.offset, span.length);
  g_assert_cmpstr (third, ==, "{ \"id\" : \"c2\" }");
  /* The resource that counts is the last one, here not an object. */
  g_assert_cmpuint (g_array_index (spans, SvJsonSpan, 3).length, ==, 0);
}

static void
assert_next_link (const char *json,
                  gboolean    known,
                  const char *next)
{
  gboolean got_known = !known;
  g_autofree char *got = sv_json_reader_next_link (json, strlen (json), &got_known);

  g_assert_cmpint (got_known, ==, known);
  g_assert_cmpstr (got, ==, next);
}

static void
test_next_link (void)
{
  assert_next_link ("{\"resourceType\":\"Bundle\",\"total\":2100,\"meta\":{\"a\":[1,{\"b\":\"]}\\\"\"}]},"
                    "\"link\":[{\"relation\":\"self\",\"url\":\"s\"},{\"relation\":\"next\",\"url\":\"n\\/1\"}],"
                    "\"entry\":[{\"resource\":{\"link\":[{\"relation\":\"next\",\"url\":\"wrong\"}]}}],\"ok\":true}",
                    TRUE, "n/1");
  /* The first "link" is taken; the client checks it against the whole
   * Bundle, where the last counts. */
  assert_next_link ("{\"link\":[{\"relation\":\"next\",\"url\":\"first\"}],\"link\":[]}", TRUE, "first");
  assert_next_link ("{\"link\":[{\"relation\":\"next\",\"url\":7}]}", TRUE, NULL);
  assert_next_link ("{\"entry\":[],\"total\":0}", TRUE, NULL);
  /* What follows the link is not looked at: reading the page tells. */
  assert_next_link ("{\"link\":[{\"relation\":\"next\",\"url\":\"n\"}],\"entry\":[{\"resource\":", TRUE, "n");
  assert_next_link ("{\"total\":1,\"link\":[{\"relation\":\"next\",\"url\":\"n\"}", FALSE, NULL);
  assert_next_link ("[1]", FALSE, NULL);
  assert_next_link ("", FALSE, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/json-reader/same-as-json-glib", test_same_as_json_glib);
  g_test_add_func ("/json-reader/refused", test_refused);
  g_test_add_func ("/json-reader/resource-spans", test_resource_spans);
  g_test_add_func ("/json-reader/next-link", test_next_link);

  return g_test_run ();
}
