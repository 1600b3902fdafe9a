/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "sv-random.h"

static void
test_random_distinct (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  /* 1,000 state values of 128 bits never collide unless the source is broken. */
  for (guint i = 0; i < 1000; i++)
    {
      g_autoptr(GError) error = NULL;
      char *value = sv_random_base64url (16, &error);

      g_assert_no_error (error);
      g_assert_nonnull (value);
      /* 16 bytes are 22 base64url characters without padding. */
      g_assert_cmpuint (strlen (value), ==, 22);
      g_assert_null (strpbrk (value, "+/="));
      g_assert_false (g_hash_table_contains (seen, value));
      g_hash_table_add (seen, value);
    }
}

static void
test_random_bytes_cover_range (void)
{
  guint8 buffer[4096];
  gboolean seen[256] = { FALSE };
  guint distinct = 0;
  g_autoptr(GError) error = NULL;

  g_assert_true (sv_random_bytes (buffer, sizeof buffer, &error));
  g_assert_no_error (error);

  for (gsize i = 0; i < sizeof buffer; i++)
    seen[buffer[i]] = TRUE;
  for (guint i = 0; i < 256; i++)
    distinct += seen[i];

  /* 4096 uniform bytes miss a given value with p ≈ 1e-7; demanding 250 of 256
   * catches a stuck or zero-filled source without ever flaking. */
  g_assert_cmpuint (distinct, >=, 250);
}

static void
test_base64url_vectors (void)
{
  /* RFC 4648 §10 vectors, in the URL-safe alphabet and without padding. */
  static const struct { const char *plain; const char *encoded; } vectors[] = {
    { "", "" },
    { "f", "Zg" },
    { "fo", "Zm8" },
    { "foo", "Zm9v" },
    { "foob", "Zm9vYg" },
    { "fooba", "Zm9vYmE" },
    { "foobar", "Zm9vYmFy" },
  };
  static const guint8 url_bytes[] = { 0xfb, 0xff, 0xbf };

  for (guint i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      g_autofree char *encoded = sv_base64url_encode ((const guint8 *) vectors[i].plain,
                                                      strlen (vectors[i].plain));
      g_autofree guint8 *decoded = NULL;
      gsize length = 0;
      g_autoptr(GError) error = NULL;

      g_assert_cmpstr (encoded, ==, vectors[i].encoded);
      decoded = sv_base64url_decode (encoded, &length, &error);
      g_assert_no_error (error);
      g_assert_cmpmem (decoded, length, vectors[i].plain, strlen (vectors[i].plain));
    }

  {
    g_autofree char *encoded = sv_base64url_encode (url_bytes, sizeof url_bytes);
    g_assert_cmpstr (encoded, ==, "-_-_");
  }
}

static void
test_base64url_rejects_garbage (void)
{
  static const char *bad[] = { "a+b", "ab/c", "a b", "abcde", "é" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      gsize length = 0;
      g_autofree guint8 *decoded = sv_base64url_decode (bad[i], &length, &error);

      g_assert_null (decoded);
      g_assert_nonnull (error);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/random/distinct", test_random_distinct);
  g_test_add_func ("/core/random/bytes-cover-range", test_random_bytes_cover_range);
  g_test_add_func ("/core/base64url/vectors", test_base64url_vectors);
  g_test_add_func ("/core/base64url/rejects-garbage", test_base64url_rejects_garbage);

  return g_test_run ();
}
