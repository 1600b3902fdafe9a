/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <json-glib/json-glib.h>
#include <math.h>
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

/* A copy of exactly @length bytes, so that reading past the end is caught
 * by the sanitizer build, and no NUL stops a read that should not stop. */
static char *
exact_copy (const char *json,
            gsize       length)
{
  return g_memdup2 (json, MAX (length, 1));
}

static void
assert_refused_because (const char *json,
                        gsize       length,
                        const char *reason)
{
  g_autofree char *copy = exact_copy (json, length);
  g_autoptr(GError) error = NULL;
  g_autoptr(SvJsonTree) tree = sv_json_tree_parse (copy, length, NULL, &error);

  g_assert_null (tree);
  g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
  if (reason != NULL && strstr (error->message, reason) == NULL)
    g_error ("“%s” does not say “%s”", error->message, reason);
}

static GString *
nested (guint       depth,
        const char *open,
        const char *close)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < depth; i++)
    g_string_append (text, open);
  g_string_append (text, "1");
  for (guint i = 0; i < depth; i++)
    g_string_append (text, close);
  return text;
}

static void
test_depth (void)
{
  g_autoptr(GString) arrays = nested (511, "[", "]");
  g_autoptr(GString) too_deep = nested (512, "[", "]");
  g_autoptr(GString) objects = nested (512, "{\"a\":", "}");
  g_autoptr(GString) far_too_deep = nested (100000, "[", "]");
  g_autoptr(GString) page = g_string_new ("{\"entry\":[{\"resource\":");
  g_autoptr(SvJsonTree) tree = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *next = NULL;
  gboolean known = TRUE;

  /* 512 levels (the number inside 511 arrays) are read; one more is a
   * clear error, not a stack overflow. */
  tree = sv_json_tree_parse (arrays->str, arrays->len, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (tree);
  assert_refused_because (too_deep->str, too_deep->len, "nested too deeply");
  assert_refused_because (objects->str, objects->len, "nested too deeply");

  /* Inside a page, and for the next link's quick look as well. */
  g_string_append (page, objects->str);
  g_string_append (page, "}],\"link\":[]}");
  assert_refused_because (page->str, page->len, "nested too deeply");
  g_string_truncate (page, 0);
  g_string_append_printf (page, "{\"meta\":%s,\"link\":[{\"relation\":\"next\",\"url\":\"n\"}]}",
                          far_too_deep->str);
  next = sv_json_reader_next_link (page->str, page->len, &known);
  g_assert_false (known);
  g_assert_null (next);
}

static void
test_bounded_by_length (void)
{
  /* Each cut short just where a reader might look one byte further. */
  const char *cut[] = {
    "[\"\\", "[\"\\u", "[\"\\u12", "[\"\\ud83d", "[\"\\ud83d\\", "[\"\\ud83d\\ude0", "[\"ab", "[1e", "[1e+",
    "[-", "[1.", "[tru", "[nul", "{\"a\"", "{\"a\":", "{\"a\":1", "[1,", "\"\xc3", "\xef\xbb",
  };
  const char *links[] = {
    "{\"a\":\"\\", "{\"a\":\"", "{\"a\":[", "{\"a\":1", "{\"a\"", "{\"link\":[{\"url\":\"\\",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cut); i++)
    assert_refused_because (cut[i], strlen (cut[i]), NULL);

  for (guint i = 0; i < G_N_ELEMENTS (links); i++)
    {
      g_autofree char *copy = exact_copy (links[i], strlen (links[i]));
      gboolean known = TRUE;
      g_autofree char *next = sv_json_reader_next_link (copy, strlen (links[i]), &known);

      g_assert_false (known);
      g_assert_null (next);
    }

  /* No text at all, even without a pointer. */
  assert_refused_because (NULL, 0, "end of data");
  {
    gboolean known = TRUE;
    g_autofree char *next = sv_json_reader_next_link (NULL, 0, &known);

    g_assert_false (known);
    g_assert_null (next);
  }

#if GLIB_SIZEOF_SIZE_T > 4
  /* Too long for 32-bit node counts: refused before anything is read. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(SvJsonTree) tree = sv_json_tree_parse ("{}", (gsize) G_MAXUINT + 1, NULL, &error);

    g_assert_null (tree);
    g_assert_error (error, SV_ERROR, SV_ERROR_PROTOCOL);
  }
#endif
}

static void
test_text (void)
{
  const char *bad_utf8[] = {
    "[\"\xc0\xaf\"]",      /* overlong */
    "[\"\xed\xa0\x80\"]",  /* a surrogate, encoded */
    "[\"\xe2\x82\"]",      /* cut short */
    "[\"\xf4\x90\x80\x80\"]", /* beyond U+10FFFF */
    "{\"\xff\":1}",        /* in a name */
  };
  const char *bad_escapes[] = {
    "[\"\\ud800\\u0041\"]", "[\"\\ud800x\"]", "[\"\\udfff\\ud800\"]", "[\"\\uZZZZ\"]", "[\"\\U0041\"]",
  };
  g_autoptr(GString) long_string = g_string_new ("[\"");
  g_autoptr(SvJsonTree) tree = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad_utf8); i++)
    assert_refused_because (bad_utf8[i], strlen (bad_utf8[i]), "not UTF-8");
  /* json-glib makes invalid UTF-8 of a lone surrogate; this refuses it. */
  for (guint i = 0; i < G_N_ELEMENTS (bad_escapes); i++)
    assert_refused_because (bad_escapes[i], strlen (bad_escapes[i]), "escape");

  /* json-glib cuts a string at \u0000, which could hide what follows (a
   * "Condition\u0000…" would pass for a Condition); this refuses it. */
  assert_refused_because ("[\"a\\u0000b\"]", 12, "NUL");
  assert_refused_because ("{\"resource\\u0000x\":{}}", 22, "NUL");
  /* A raw NUL likewise. */
  assert_refused_because ("[\"a\0b\"]", 7, NULL);

  /* Escapes are never longer decoded than written. */
  assert_same_tree ("[\"\\u00e9\\u00e9\\ud83d\\ude00\\/\\/\",{\"\\u20ac\":\"\\u20ac\"}]");

  /* A long string, read whole. */
  for (guint i = 0; i < 1 << 20; i++)
    g_string_append_c (long_string, 'a' + i % 26);
  g_string_append (long_string, "\"]");
  tree = sv_json_tree_parse (long_string->str, long_string->len, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (sv_json_node_get_string (sv_json_node_get_element (sv_json_tree_get_root (tree), 0))),
                    ==, 1 << 20);
}

static const SvJsonNode *
number (SvJsonTree **tree,
        const char  *json)
{
  g_autoptr(GError) error = NULL;

  g_clear_pointer (tree, sv_json_tree_unref);
  *tree = sv_json_tree_parse (json, strlen (json), NULL, &error);
  g_assert_no_error (error);
  return sv_json_node_get_element (sv_json_tree_get_root (*tree), 0);
}

static void
test_numbers (void)
{
  g_autoptr(SvJsonTree) tree = NULL;
  g_autoptr(GString) digits = g_string_new ("[");
  const SvJsonNode *node;

  node = number (&tree, "[-9223372036854775808]");
  g_assert_cmpint (sv_json_node_get_node_type (node), ==, SV_JSON_INT);
  g_assert_cmpint (sv_json_node_get_int (node), ==, G_MININT64);
  node = number (&tree, "[9223372036854775807]");
  g_assert_cmpint (sv_json_node_get_int (node), ==, G_MAXINT64);

  /* Beyond 64 bits: a double, where json-glib wraps around (to
   * -9223372036854775808 here). */
  node = number (&tree, "[9223372036854775808]");
  g_assert_cmpint (sv_json_node_get_node_type (node), ==, SV_JSON_DOUBLE);
  g_assert_cmpfloat (sv_json_node_get_double (node, 0), ==, 9223372036854775808.0);
  node = number (&tree, "[-99999999999999999999999]");
  g_assert_cmpint (sv_json_node_get_node_type (node), ==, SV_JSON_DOUBLE);
  g_assert_cmpfloat (sv_json_node_get_double (node, 0), <, -9.9e22);

  /* Out of a double's range: infinity or 0, as json-glib gives. */
  node = number (&tree, "[1e400]");
  g_assert_true (isinf (sv_json_node_get_double (node, 0)) && sv_json_node_get_double (node, 0) > 0);
  node = number (&tree, "[-1E+400]");
  g_assert_true (isinf (sv_json_node_get_double (node, 0)) && sv_json_node_get_double (node, 0) < 0);
  node = number (&tree, "[1e-400]");
  g_assert_cmpfloat (sv_json_node_get_double (node, 1), ==, 0);

  /* Longer than any buffer on the stack. */
  g_string_append (digits, "1.");
  for (guint i = 0; i < 10000; i++)
    g_string_append_c (digits, '0' + i % 10);
  g_string_append (digits, "e-2]");
  node = number (&tree, digits->str);
  g_assert_cmpfloat_with_epsilon (sv_json_node_get_double (node, 0), 0.010123456789, 1e-12);
}

static void
test_documents (void)
{
  const char bom_bundle[] = "\xef\xbb\xbf{\"entry\":[{\"resource\":{\"id\":\"a\"}}],"
                            "\"link\":[{\"relation\":\"next\",\"url\":\"n\"}]}";
  g_autoptr(GArray) spans = g_array_new (FALSE, FALSE, sizeof (SvJsonSpan));
  g_autoptr(GError) error = NULL;
  g_autoptr(SvJsonTree) tree = NULL;
  g_autofree char *next = NULL;
  g_autoptr(GString) many = g_string_new ("[");
  const SvJsonNode *root;
  const SvJsonNode *element;
  gboolean known = FALSE;
  SvJsonSpan span;

  /* Any value at the top, as json-glib reads it; callers check for a
   * resource. */
  assert_same_tree ("\"text\"");
  assert_same_tree ("7");
  assert_same_tree ("null");
  assert_same_tree (" [] ");
  next = sv_json_reader_next_link ("[{\"link\":[]}]", 13, &known);
  g_assert_false (known);

  /* Nothing after the value but white space. */
  assert_refused_because ("{} {}", 5, "unexpected character at byte 3");
  assert_refused_because ("{}\0", 3, "unexpected character at byte 2");
  assert_refused_because ("{},", 3, NULL);

  /* The last of duplicate members counts, as in json-glib. */
  assert_same_tree ("{\"id\":\"a\",\"id\":\"b\",\"code\":{\"text\":\"x\"},\"code\":{\"text\":\"y\"}}");
  tree = sv_json_tree_parse ("{\"id\":\"a\",\"id\":\"b\"}", 19, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sv_json_node_get_string_member (sv_json_tree_get_root (tree), "id"), ==, "b");
  g_clear_pointer (&tree, sv_json_tree_unref);

  /* A byte order mark is skipped, as json-glib does; offsets are still
   * those in the text. Anywhere else it is refused. */
  assert_same_tree ("\xef\xbb\xbf{\"a\":[1]}");
  tree = sv_json_tree_parse (bom_bundle, sizeof bom_bundle - 1, spans, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (spans->len, ==, 1);
  span = g_array_index (spans, SvJsonSpan, 0);
  g_assert_cmpmem (bom_bundle + span.offset, span.length, "{\"id\":\"a\"}", 10);
  g_clear_pointer (&next, g_free);
  next = sv_json_reader_next_link (bom_bundle, sizeof bom_bundle - 1, &known);
  g_assert_true (known);
  g_assert_cmpstr (next, ==, "n");
  g_clear_pointer (&tree, sv_json_tree_unref);
  assert_refused_because ("\xef\xbb\xbf", 3, "end of data");
  assert_refused_because ("[\xef\xbb\xbf]", 5, NULL);
  assert_refused_because ("\xef\xbb\xbf\xef\xbb\xbf{}", 8, NULL);

  /* Elements by index, in a long array of nested values. */
  for (guint i = 0; i < 100000; i++)
    g_string_append_printf (many, "%s[%u,{\"a\":[%u]}]", i > 0 ? "," : "", i, i);
  g_string_append_c (many, ']');
  tree = sv_json_tree_parse (many->str, many->len, NULL, &error);
  g_assert_no_error (error);
  root = sv_json_tree_get_root (tree);
  g_assert_cmpuint (sv_json_node_get_length (root), ==, 100000);
  element = sv_json_node_get_element (root, 0);
  for (guint i = 0; i < 100000; i++, element = i < 100000 ? sv_json_node_next (element) : NULL)
    {
      const SvJsonNode *inner = sv_json_node_get_object_element (sv_json_node_get_element (root, i), 1);

      g_assert_true (sv_json_node_get_element (root, i) == element);
      g_assert_cmpint (sv_json_node_get_int (sv_json_node_get_element (element, 0)), ==, i);
      g_assert_cmpint (sv_json_node_get_int (sv_json_node_get_element (sv_json_node_get_array_member (inner, "a"), 0)),
                       ==, i);
    }
  g_assert_null (sv_json_node_get_element (root, 100000));
}

static void
test_from_object (void)
{
  /* json-glib writes 1e20 as "1e+20.0" and infinity as "inf.0"; neither
   * can be read as JSON text, so the tree is made without text. */
  const char *json = "{\"z\":1,\"big\":1e20,\"huge\":1e400,\"s\":\"\\u00e9\\n\\\"\",\"a\":[[],{},null,true,-7],"
                     "\"o\":{\"k\":[1.5]},\"b\":false}";
  g_autoptr(JsonNode) parsed = sv_json_reader_parse (json, strlen (json), NULL, NULL);
  g_autoptr(SvJsonTree) tree = sv_json_tree_new_from_object (json_node_get_object (parsed));
  g_autoptr(JsonNode) back = sv_json_node_to_json_node (sv_json_tree_get_root (tree));
  g_autofree char *expected = json_to_string (parsed, FALSE);
  g_autofree char *got = json_to_string (back, FALSE);
  g_autoptr(JsonObject) deep_root = json_object_new ();
  g_autoptr(SvJsonTree) deep_tree = NULL;
  JsonArray *inner = json_array_new ();
  const SvJsonNode *node;
  guint depth = 1;

  g_assert_cmpstr (got, ==, expected);
  g_assert_cmpfloat (sv_json_node_get_double (sv_json_node_get_member (sv_json_tree_get_root (tree), "big"), 0),
                     ==, 1e20);
  g_assert_true (isinf (sv_json_node_get_double (sv_json_node_get_member (sv_json_tree_get_root (tree), "huge"), 0)));

  /* A tree built deeper than a text could be read stops at the same depth. */
  json_object_set_array_member (deep_root, "a", inner);
  for (guint i = 0; i < 1000; i++)
    {
      JsonArray *next = json_array_new ();

      json_array_add_array_element (inner, next);
      inner = next;
    }
  deep_tree = sv_json_tree_new_from_object (deep_root);
  node = sv_json_node_get_member (sv_json_tree_get_root (deep_tree), "a");
  for (; sv_json_node_get_node_type (node) == SV_JSON_ARRAY; depth++)
    node = sv_json_node_get_element (node, 0);
  g_assert_cmpuint (depth, ==, 512);
  g_assert_nonnull (node);
  g_assert_cmpint (sv_json_node_get_node_type (node), ==, SV_JSON_NULL);
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
  g_test_add_func ("/json-reader/depth", test_depth);
  g_test_add_func ("/json-reader/bounded-by-length", test_bounded_by_length);
  g_test_add_func ("/json-reader/text", test_text);
  g_test_add_func ("/json-reader/numbers", test_numbers);
  g_test_add_func ("/json-reader/documents", test_documents);
  g_test_add_func ("/json-reader/from-object", test_from_object);
  g_test_add_func ("/json-reader/resource-spans", test_resource_spans);
  g_test_add_func ("/json-reader/next-link", test_next_link);

  return g_test_run ();
}
