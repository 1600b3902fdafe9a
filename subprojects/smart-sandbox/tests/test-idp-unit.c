/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for the IdP building blocks: keys (generation, persistence,
 * rotation, signing, verification), the scope grammar, redirect URI rules
 * and the form parser.  The HTTP flows are in test-idp.py. */
#define G_LOG_DOMAIN "test-idp-unit"

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "sb-idp-private.h"
#include "sb-keys.h"

typedef struct
{
  char *dir;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("sb-idp-unit-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autofree char *keys = g_build_filename (f->dir, "keys.json", NULL);

  g_unlink (keys);
  g_rmdir (f->dir);
  g_free (f->dir);
}

static JsonObject *
parse (const char *text)
{
  g_autoptr(JsonParser) p = json_parser_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (json_parser_load_from_data (p, text, -1, &error));
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (p)));
}

static JsonObject *
jwt_object (const char *jwt, guint index)
{
  g_auto(GStrv) parts = g_strsplit (jwt, ".", -1);
  g_autofree char *b64 = g_strdup (parts[index]);
  g_autofree guchar *raw = NULL;
  g_autofree char *text = NULL;
  gsize len = 0, i, pad = (4 - strlen (b64) % 4) % 4;
  g_autofree char *padded = NULL;

  for (i = 0; b64[i] != '\0'; i++)
    b64[i] = b64[i] == '-' ? '+' : b64[i] == '_' ? '/' : b64[i];
  padded = g_strconcat (b64, pad == 2 ? "==" : pad == 1 ? "=" : "", NULL);
  raw = g_base64_decode (padded, &len);
  text = g_strndup ((const char *) raw, len);
  return parse (text);
}

static void
test_keys_persist_and_rotate (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SbKeys) keys = sb_keys_load_or_create (f->dir, &error);
  g_autoptr(SbKeys) again = NULL;
  g_autoptr(JsonObject) jwks = NULL;
  g_autoptr(JsonObject) claims = json_object_new ();
  g_autoptr(JsonObject) header = NULL;
  g_autoptr(JsonObject) verified = NULL;
  g_autofree char *path = g_build_filename (f->dir, "keys.json", NULL);
  g_autofree char *jwks_text = NULL;
  g_autofree char *jwt = NULL;
  g_autofree char *tampered = NULL;
  g_autofree char *kid1 = NULL;
  JsonArray *array;
  GStatBuf st;
  char *dot;
  guint i;

  g_assert_no_error (error);
  g_assert_nonnull (keys);
  kid1 = g_strdup (sb_keys_current_kid (keys));
  /* RFC 7638 thumbprints are 43 base64url characters. */
  g_assert_cmpuint (strlen (kid1), ==, 43);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  json_object_set_string_member (claims, "iss", "http://127.0.0.1/realms/smart");
  json_object_set_int_member (claims, "exp", 4102444800);
  jwt = sb_keys_sign_jwt (keys, claims, &error);
  g_assert_no_error (error);
  header = jwt_object (jwt, 0);
  g_assert_cmpstr (json_object_get_string_member (header, "alg"), ==, "RS256");
  g_assert_cmpstr (json_object_get_string_member (header, "typ"), ==, "JWT");
  g_assert_cmpstr (json_object_get_string_member (header, "kid"), ==, kid1);
  verified = sb_keys_verify_jwt (keys, jwt, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (verified, "exp"), ==, 4102444800);

  /* A changed payload no longer verifies. */
  tampered = g_strdup (jwt);
  dot = strchr (tampered, '.') + 2;
  *dot = *dot == 'A' ? 'B' : 'A';
  g_assert_null (sb_keys_verify_jwt (keys, tampered, &error));
  g_assert_error (error, SB_KEYS_ERROR, SB_KEYS_ERROR_SIGNATURE);
  g_clear_error (&error);
  g_assert_null (sb_keys_verify_jwt (keys, "a.b", &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  /* Rotation: new current key, the old one still published and trusted. */
  g_assert_true (sb_keys_rotate (keys, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (sb_keys_current_kid (keys), !=, kid1);
  g_clear_pointer (&verified, json_object_unref);
  verified = sb_keys_verify_jwt (keys, jwt, &error);
  g_assert_no_error (error);
  jwks_text = sb_keys_jwks_json (keys);
  jwks = parse (jwks_text);
  array = json_object_get_array_member (jwks, "keys");
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (array, 0), "kid"), ==,
                   sb_keys_current_kid (keys));
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (array, 1), "kid"), ==,
                   kid1);
  for (i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *k = json_array_get_object_element (array, i);

      g_assert_false (json_object_has_member (k, "d"));
      g_assert_false (json_object_has_member (k, "p"));
      g_assert_cmpstr (json_object_get_string_member (k, "use"), ==, "sig");
    }

  /* Reloading the data dir gives the same keys in the same order. */
  again = sb_keys_load_or_create (f->dir, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sb_keys_current_kid (again), ==, sb_keys_current_kid (keys));
  g_clear_pointer (&verified, json_object_unref);
  verified = sb_keys_verify_jwt (again, jwt, &error);
  g_assert_no_error (error);

  /* Only SB_KEYS_MAX_PUBLISHED keys stay published. */
  for (i = 0; i < SB_KEYS_MAX_PUBLISHED; i++)
    g_assert_true (sb_keys_rotate (again, &error));
  g_clear_pointer (&verified, json_object_unref);
  g_assert_null (sb_keys_verify_jwt (again, jwt, &error));
  g_clear_error (&error);
}

static void
test_keys_corrupt_file (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (f->dir, "keys.json", NULL);
  SbKeys *keys;

  g_assert_true (g_file_set_contents (path, "{\"keys\": [{\"kty\":\"oct\",\"k\":\"AAAA\"}]}", -1, NULL));
  keys = sb_keys_load_or_create (f->dir, &error);
  g_assert_null (keys);
  g_assert_nonnull (error);
  /* The error names the file but never holds key material. */
  g_assert_nonnull (strstr (error->message, "keys.json"));
  g_assert_null (strstr (error->message, "AAAA"));
}

static void
test_scopes (void)
{
  static const struct { const char *scope; SbScopeKind kind; } cases[] = {
    { "openid", SB_SCOPE_OIDC },
    { "fhirUser", SB_SCOPE_OIDC },
    { "launch/patient", SB_SCOPE_LAUNCH },
    { "offline_access", SB_SCOPE_REFRESH },
    { "online_access", SB_SCOPE_REFRESH },
    { "patient/*.read", SB_SCOPE_PATIENT },
    { "patient/Condition.read", SB_SCOPE_PATIENT },
    { "patient/Condition.write", SB_SCOPE_PATIENT },
    { "patient/Condition.*", SB_SCOPE_PATIENT },
    { "patient/Condition.rs", SB_SCOPE_PATIENT },
    { "patient/Condition.cruds", SB_SCOPE_PATIENT },
    { "user/MedicationRequest.s", SB_SCOPE_USER },
    { "system/*.rs", SB_SCOPE_SYSTEM },
    { "patient/Observation.rs?category=laboratory", SB_SCOPE_PATIENT },
    { "patient/Condition.rs?category=problem-list-item&clinical-status=active", SB_SCOPE_PATIENT },
    { "patient/Condition.sr", SB_SCOPE_INVALID },       /* wrong order */
    { "patient/Condition.rr", SB_SCOPE_INVALID },
    { "patient/Condition.", SB_SCOPE_INVALID },
    { "patient/Condition.x", SB_SCOPE_INVALID },
    { "patient/condition.rs", SB_SCOPE_INVALID },
    { "patient/*.rs?category=x", SB_SCOPE_INVALID },   /* no query on a wildcard */
    { "patient/Condition.read?category=x", SB_SCOPE_INVALID },  /* no query on v1 */
    { "patient/Condition.rs?", SB_SCOPE_INVALID },
    { "patient/Condition.rs?_include=x", SB_SCOPE_INVALID },
    { "patient/Condition.rs?subject.name=x", SB_SCOPE_INVALID },
    { "patient/Condition.rs?category", SB_SCOPE_INVALID },
    { "admin/*.read", SB_SCOPE_INVALID },
    { "launch", SB_SCOPE_INVALID },
    { "", SB_SCOPE_INVALID },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("scope %s", cases[i].scope);
      g_assert_cmpint (sb_idp_scope_kind (cases[i].scope), ==, cases[i].kind);
      if (cases[i].kind != SB_SCOPE_INVALID)
        {
          g_autofree char *desc = sb_idp_scope_describe (cases[i].scope);

          g_assert_nonnull (desc);
          g_assert_cmpstr (desc, !=, "Unknown permission");
        }
    }
  g_assert_true (sb_idp_scope_has ("openid patient/*.rs", "patient/*.rs"));
  g_assert_false (sb_idp_scope_has ("openid patient/*.rs", "patient/*.r"));
  g_assert_false (sb_idp_scope_has (NULL, "openid"));
}

static void
test_redirect_uris (void)
{
  SbContext ctx = { 0 };
  SbIdp idp = { 0 };
  static const char *const good[] = {
    "io.github.smartviewer.smartviewer:/oauth2redirect",
    "http://127.0.0.1:1/oauth2redirect",
    "http://127.0.0.1:8080/oauth2redirect",
    "http://127.0.0.1:65535/oauth2redirect",
    NULL
  };
  static const char *const bad[] = {
    "io.github.smartviewer.smartviewer:/oauth2redirect/",
    "io.github.smartviewer.smartviewer://oauth2redirect",
    "http://127.0.0.1:0/oauth2redirect",
    "http://127.0.0.1:65536/oauth2redirect",
    "http://127.0.0.1:123456/oauth2redirect",
    "http://127.0.0.1/oauth2redirect",
    "http://127.0.0.1:80/oauth2redirect?x=1",
    "http://127.0.0.1:80/oauth2redirect#x",
    "http://127.0.0.1:80@evil.example/oauth2redirect",
    "http://localhost:80/oauth2redirect",
    "https://127.0.0.1:80/oauth2redirect",
    "",
    NULL
  };
  guint i;

  ctx.public_client_id = (char *) "smart-viewer";
  ctx.backend_client_id = (char *) "smart-backend";
  idp.ctx = &ctx;
  for (i = 0; good[i] != NULL; i++)
    g_assert_true (sb_idp_redirect_uri_allowed (&idp, "smart-viewer", good[i]));
  for (i = 0; bad[i] != NULL; i++)
    {
      g_test_message ("redirect %s", bad[i]);
      g_assert_false (sb_idp_redirect_uri_allowed (&idp, "smart-viewer", bad[i]));
    }
  g_assert_false (sb_idp_redirect_uri_allowed (&idp, "smart-backend", good[0]));
  g_assert_false (sb_idp_redirect_uri_allowed (&idp, NULL, good[0]));
}

static void
test_form (void)
{
  g_autoptr(SbForm) form = sb_form_parse ("scope=a+b&scope=c%2Fd&x=&y&bad=%zz&%e9=1&z=%C3%A9", -1);
  static const char *const names[] = { "x", "scope", NULL };
  g_autofree char *url = NULL;

  g_assert_cmpstr (sb_form_get (form, "scope"), ==, "a b");
  g_assert_cmpuint (sb_form_count (form, "scope"), ==, 2);
  g_assert_cmpstr (sb_form_get (form, "x"), ==, "");
  g_assert_cmpstr (sb_form_get (form, "y"), ==, "");
  g_assert_null (sb_form_get (form, "bad"));
  g_assert_cmpstr (sb_form_get (form, "z"), ==, "é");
  g_assert_cmpuint (form->names->len, ==, 5);   /* %zz and non-UTF-8 dropped */
  g_assert_cmpstr (sb_form_find_duplicate (form, names), ==, "scope");

  url = sb_idp_add_query ("app:/cb", "code", "a b&c", "state", NULL, "iss", "http://x/y", NULL);
  g_assert_cmpstr (url, ==, "app:/cb?code=a%20b%26c&iss=http%3A%2F%2Fx%2Fy");
}

static void
test_random (void)
{
  g_autofree char *a = sb_idp_random_token (32);
  g_autofree char *b = sb_idp_random_token (32);

  g_assert_cmpuint (strlen (a), ==, 43);
  g_assert_cmpstr (a, !=, b);
  g_assert_true (sb_idp_secret_equal ("abc", "abc"));
  g_assert_false (sb_idp_secret_equal ("abc", "abd"));
  g_assert_false (sb_idp_secret_equal ("abc", NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/idp/keys/persist-rotate", Fixture, NULL, fixture_setup,
              test_keys_persist_and_rotate, fixture_teardown);
  g_test_add ("/idp/keys/corrupt", Fixture, NULL, fixture_setup,
              test_keys_corrupt_file, fixture_teardown);
  g_test_add_func ("/idp/scopes", test_scopes);
  g_test_add_func ("/idp/redirect-uris", test_redirect_uris);
  g_test_add_func ("/idp/form", test_form);
  g_test_add_func ("/idp/random", test_random);
  return g_test_run ();
}
