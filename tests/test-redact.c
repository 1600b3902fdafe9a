/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-redact"

#include "config.h"

#include <string.h>

#include "sv-random.h"
#include "sv-redact.h"

/* The redaction test of issue 7: a session transcript holds known secrets
 * in every shape the app meets (JWTs made here, opaque tokens, codes,
 * verifiers, secrets, Authorization headers, tokens in URLs, forms, JSON and
 * prose, tokens wrapped over lines); none may survive, and the rest of the
 * text must. The secrets come from a fixed seed so that the log subprocess
 * knows the same ones. */

typedef struct
{
  char *access_token;    /* JWT */
  char *access_token_2;  /* JWT, in a URL */
  char *id_token;        /* JWT */
  char *assertion;       /* JWT, client_assertion */
  char *wrapped_jwt;     /* JWT, written over several lines */
  char *refresh_token;   /* opaque */
  char *refresh_token_2; /* opaque, in prose */
  char *refresh_token_3; /* opaque, value on the next line */
  char *code;            /* Keycloak-shaped authorization code */
  char *verifier;
  char *client_secret;
  char *password;
  char *basic;           /* base64 of client:secret */
  char *plain_token;     /* opaque, after "token:" */
} Secrets;

static char *
seeded_base64url (GRand *rand,
                  gsize  n_bytes)
{
  g_autofree guint8 *bytes = g_malloc (n_bytes);

  for (gsize i = 0; i < n_bytes; i++)
    bytes[i] = (guint8) g_rand_int_range (rand, 0, 256);
  return sv_base64url_encode (bytes, n_bytes);
}

static char *
make_jwt (GRand      *rand,
          const char *claims)
{
  static const char header[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"sandbox-1\"}";
  g_autofree char *h = sv_base64url_encode ((const guint8 *) header, strlen (header));
  g_autofree char *c = sv_base64url_encode ((const guint8 *) claims, strlen (claims));
  g_autofree char *s = seeded_base64url (rand, 256);

  return g_strdup_printf ("%s.%s.%s", h, c, s);
}

static char *
make_uuid (GRand *rand)
{
  return g_strdup_printf ("%08x-%04x-4%03x-a%03x-%08x%04x",
                          g_rand_int (rand), g_rand_int (rand) & 0xffff, g_rand_int (rand) & 0xfff,
                          g_rand_int (rand) & 0xfff, g_rand_int (rand), g_rand_int (rand) & 0xffff);
}

static void
secrets_init (Secrets *s)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261204);
  g_autofree char *u1 = NULL, *u2 = NULL, *u3 = NULL, *pair = NULL;

  s->access_token = make_jwt (rand, "{\"iss\":\"http://127.0.0.1:8400/realms/smart\",\"sub\":\"u1\",\"scope\":\"patient/*.read openid\",\"exp\":1893456000,\"client_id\":\"smart-viewer\"}");
  s->access_token_2 = make_jwt (rand, "{\"iss\":\"http://127.0.0.1:8400/realms/smart\",\"sub\":\"u2\",\"exp\":1893456001}");
  s->id_token = make_jwt (rand, "{\"iss\":\"http://127.0.0.1:8400/realms/smart\",\"aud\":\"smart-viewer\",\"fhirUser\":\"Practitioner/7\",\"exp\":1893456002}");
  s->assertion = make_jwt (rand, "{\"iss\":\"smart-backend\",\"sub\":\"smart-backend\",\"aud\":\"http://127.0.0.1:8400/token\",\"jti\":\"j1\"}");
  s->wrapped_jwt = make_jwt (rand, "{\"iss\":\"http://127.0.0.1:8400/realms/smart\",\"sub\":\"wrapped\",\"exp\":1893456003}");
  s->refresh_token = seeded_base64url (rand, 32);
  s->refresh_token_2 = seeded_base64url (rand, 32);
  s->refresh_token_3 = seeded_base64url (rand, 32);
  u1 = make_uuid (rand);
  u2 = make_uuid (rand);
  u3 = make_uuid (rand);
  s->code = g_strdup_printf ("%s.%s.%s", u1, u2, u3);
  s->verifier = seeded_base64url (rand, 32);
  s->client_secret = seeded_base64url (rand, 24);
  s->password = g_strdup ("Tr0ub4dor-and-3");
  pair = g_strdup_printf ("smart-backend:%s", s->client_secret);
  s->basic = g_base64_encode ((const guchar *) pair, strlen (pair));
  s->plain_token = seeded_base64url (rand, 20);
}

static void
secrets_clear (Secrets *s)
{
  char **all[] = {
    &s->access_token, &s->access_token_2, &s->id_token, &s->assertion, &s->wrapped_jwt,
    &s->refresh_token, &s->refresh_token_2, &s->refresh_token_3, &s->code, &s->verifier,
    &s->client_secret, &s->password, &s->basic, &s->plain_token,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (all); i++)
    g_clear_pointer (all[i], g_free);
}

/* Asserts that no 12-character piece of any secret is left in @text: a
 * token cut in two by a line break must not leak either half. */
static void
assert_no_secret (const char *text,
                  Secrets    *s)
{
  const char *all[] = {
    s->access_token, s->access_token_2, s->id_token, s->assertion, s->wrapped_jwt,
    s->refresh_token, s->refresh_token_2, s->refresh_token_3, s->code, s->verifier,
    s->client_secret, s->password, s->basic, s->plain_token,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (all); i++)
    {
      gsize n = strlen (all[i]);

      for (gsize at = 0; at + 12 <= n; at++)
        {
          g_autofree char *piece = g_strndup (all[i] + at, 12);

          /* The JWT header is the same for every token and is no secret;
           * only the claims and the signature are checked. */
          if (i < 5 && at < (gsize) (strchr (all[i], '.') - all[i]))
            continue;
          if (strstr (text, piece) != NULL)
            g_error ("secret %" G_GSIZE_FORMAT " survived (piece at %" G_GSIZE_FORMAT ") in:\n%s", i, at, text);
        }
    }
}

/* The JWT cut into lines of 60 characters, each continued with `\` like a
 * long curl command, then into plain 76-character lines like a mail. */
static char *
wrap (const char *text,
      gsize       width,
      const char *joiner)
{
  GString *out = g_string_new (NULL);
  gsize n = strlen (text);

  for (gsize at = 0; at < n; at += width)
    {
      if (at > 0)
        g_string_append (out, joiner);
      g_string_append_len (out, text + at, MIN (width, n - at));
    }
  return g_string_free (out, FALSE);
}

static const char * const kept_lines[] = {
  "GET http://127.0.0.1:8400/datastore/0123/r4/.well-known/smart-configuration -> 200 (3 ms, 1234 bytes)",
  "GET http://127.0.0.1:8400/realms/smart/protocol/openid-connect/auth?response_type=code&client_id=smart-viewer"
    "&redirect_uri=http%3A%2F%2F127.0.0.1%3A4711%2Foauth2redirect&scope=launch%2Fpatient+openid+fhirUser"
    "&state=Xb2k9q&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
  "GET http://127.0.0.1:8400/datastore/0123/r4/Observation?patient=123&code=http://loinc.org|8302-2&_count=50 -> 200 (12 ms, 2048 bytes, page 1)",
  "{\"system\": \"http://snomed.info/sct\", \"code\": \"44054006\", \"display\": \"Diabetes\"}",
  "{\"category\": [{\"coding\": [{\"code\": \"encounter-diagnosis\"}]}]}",
  "\"token_type\": \"Bearer\", \"expires_in\": 300, \"scope\": \"launch/patient openid fhirUser patient/*.read\"",
  "WWW-Authenticate: Bearer realm=\"smart\", error=\"invalid_token\"",
  "The Bearer token was refused; see www.example.org.",
  "token_endpoint: http://127.0.0.1:8400/realms/smart/protocol/openid-connect/token",
  "Status code: 401",
};

static char *
make_transcript (Secrets *s)
{
  g_autofree char *wrapped_curl = wrap (s->wrapped_jwt, 60, " \\\n  ");
  g_autofree char *wrapped_mail = wrap (s->wrapped_jwt, 76, "\n");
  g_autofree char *kept = g_strjoinv ("\n", (char **) kept_lines);

  return g_strdup_printf (
    "%s\n"
    "redirect: http://127.0.0.1:4711/oauth2redirect?code=%s&state=Xb2k9q&session_state=s1\n"
    "POST /token grant_type=authorization_code&code=%s&redirect_uri=http%%3A%%2F%%2F127.0.0.1%%3A4711%%2Foauth2redirect&code_verifier=%s&client_id=smart-viewer\n"
    "token response: {\n"
    "  \"access_token\": \"%s\",\n"
    "  \"token_type\": \"Bearer\",\n"
    "  \"refresh_token\":\n    \"%s\",\n"
    "  \"id_token\":\"%s\"\n"
    "}\n"
    "GET /r4/Patient/123\nAuthorization: Bearer %s\nAccept: application/fhir+json\n"
    "GET http://127.0.0.1:8400/datastore/0123/r4/Patient/123?_format=json&access_token=%s&_pretty=true\n"
    "POST /token\nAuthorization: Basic %s\n\ngrant_type=client_credentials&scope=system%%2FPatient.read&client_secret=%s\n"
    "client_assertion_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Aclient-assertion-type%%3Ajwt-bearer&client_assertion=%s\n"
    "login form: username=clinician&password=%s\n"
    "{\"headers\":{\"Authorization\":\"Bearer %s\"},\"password\":\"%s\"}\n"
    "the refresh token %s was rotated\n"
    "token: %s\n"
    "refresh_token=\n  %s\n"
    "curl -H 'Authorization: Bearer ' http://x/ --data token=%s\n"
    "wrapped for a shell:\n  %s\n"
    "wrapped in a mail:\n%s\n"
    "proxy: http://clinician:%s@127.0.0.1:3128/\n"
    "curl http://127.0.0.1:8400/token --data code_verifier=%.20s\\\n    %s \\\n  -H 'Accept: application/json'\n",
    kept, s->code, s->code, s->verifier, s->access_token, s->refresh_token, s->id_token,
    s->access_token, s->access_token_2, s->basic, s->client_secret, s->assertion, s->password,
    s->access_token, s->password, s->refresh_token_2, s->plain_token, s->refresh_token_3,
    s->wrapped_jwt, wrapped_curl, wrapped_mail, s->password, s->verifier, s->verifier + 20);
}

static void
test_redact_transcript (void)
{
  Secrets s = { 0 };
  g_autofree char *transcript = NULL;
  g_autofree char *out = NULL;
  g_autofree char *expected = NULL;

  secrets_init (&s);
  transcript = make_transcript (&s);
  out = sv_redact_text (transcript);

  assert_no_secret (out, &s);
  for (gsize i = 0; i < G_N_ELEMENTS (kept_lines); i++)
    if (strstr (out, kept_lines[i]) == NULL)
      g_error ("a harmless line was changed: %s\nin:\n%s", kept_lines[i], out);

  /* The redirect stays readable and says what was there. */
  g_assert_nonnull (strstr (out, "redirect: http://127.0.0.1:4711/oauth2redirect?code=[redacted code]&state=Xb2k9q&session_state=s1\n"));
  g_assert_nonnull (strstr (out, "&code_verifier=[redacted code_verifier]&client_id=smart-viewer\n"));
  g_assert_nonnull (strstr (out, "\"access_token\": \"[redacted access_token]\",\n"));
  g_assert_nonnull (strstr (out, "\"id_token\":\"[redacted id_token]\"\n"));
  g_assert_nonnull (strstr (out, "\nAuthorization: Bearer [redacted access_token]\nAccept: application/fhir+json\n"));
  g_assert_nonnull (strstr (out, "Patient/123?_format=json&access_token=[redacted access_token]&_pretty=true\n"));
  g_assert_nonnull (strstr (out, "Authorization: Basic [redacted credentials]\n"));
  g_assert_nonnull (strstr (out, "username=clinician&password=[redacted password]\n"));
  g_assert_nonnull (strstr (out, "the refresh token [redacted refresh_token] was rotated\n"));
  g_assert_nonnull (strstr (out, "http://clinician:[redacted password]@127.0.0.1:3128/"));
  g_assert_nonnull (strstr (out, "wrapped in a mail:\n[redacted jwt]\nproxy:"));
  g_assert_nonnull (strstr (out, "--data code_verifier=[redacted code_verifier] \\\n  -H 'Accept: application/json'\n"));

  /* Redacting twice changes nothing more. */
  expected = sv_redact_text (out);
  g_assert_cmpstr (expected, ==, out);

  secrets_clear (&s);
}

static void
test_redact_url (void)
{
  Secrets s = { 0 };
  g_autofree char *url = NULL;
  g_autofree char *out = NULL;

  secrets_init (&s);
  url = g_strdup_printf ("http://127.0.0.1:4711/oauth2redirect?state=abc&code=%s#access_token=%s&token_type=bearer",
                         s.code, s.access_token);
  out = sv_redact_url (url);
  g_assert_cmpstr (out, ==, "http://127.0.0.1:4711/oauth2redirect?state=abc&code=[redacted code]"
                            "#access_token=[redacted access_token]&token_type=bearer");

  g_clear_pointer (&out, g_free);
  out = sv_redact_url ("http://127.0.0.1:8400/r4/Condition?patient=p1&code=http://snomed.info/sct|44054006");
  g_assert_cmpstr (out, ==, "http://127.0.0.1:8400/r4/Condition?patient=p1&code=http://snomed.info/sct|44054006");
  g_assert_null (sv_redact_url (NULL));
  secrets_clear (&s);
}

static void
test_redact_json (void)
{
  Secrets s = { 0 };
  g_autofree char *text = NULL;
  g_autofree char *out = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) redacted = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *obj;

  secrets_init (&s);
  text = g_strdup_printf ("{\"access_token\":\"%s\",\"refreshToken\":\"%s\",\"id_token\":null,\"refresh_token\":false,"
                          "\"expires_in\":300,\"code\":\"%s\",\"Client-Secret\":\"%s\","
                          "\"event\":{\"headers\":{\"authorization\":\"Bearer %s\"},\"bearerToken\":\"%s\"},"
                          "\"note\":\"sent %s to the server\",\"nested\":[{\"password\":\"%s\"}],"
                          "\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"8302-2\"}],"
                          "\"scope\":\"patient/*.read\"}",
                          s.access_token, s.refresh_token, s.code, s.client_secret,
                          s.access_token_2, s.id_token, s.assertion, s.password);
  node = json_from_string (text, &error);
  g_assert_no_error (error);
  redacted = sv_redact_json (node);
  out = json_to_string (redacted, FALSE);
  assert_no_secret (out, &s);

  obj = json_node_get_object (redacted);
  g_assert_cmpstr (json_object_get_string_member (obj, "access_token"), ==, "[redacted access_token]");
  g_assert_cmpstr (json_object_get_string_member (obj, "refreshToken"), ==, "[redacted refresh_token]");
  g_assert_cmpstr (json_object_get_string_member (obj, "code"), ==, "[redacted code]");
  g_assert_true (json_object_get_null_member (obj, "id_token"));
  g_assert_false (json_object_get_boolean_member (obj, "refresh_token"));
  g_assert_cmpint (json_object_get_int_member (obj, "expires_in"), ==, 300);
  g_assert_cmpstr (json_object_get_string_member (obj, "note"), ==, "sent [redacted jwt] to the server");
  g_assert_cmpstr (json_object_get_string_member (obj, "scope"), ==, "patient/*.read");
  if (strstr (out, "{\"system\":\"http://loinc.org\",\"code\":\"8302-2\"}") == NULL)
    g_error ("the coding changed: %s", out);

  /* The input is untouched: it is a copy. */
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "access_token"), ==, s.access_token);
  secrets_clear (&s);
}

/* Runs the command with `curl` replaced by a printer, so the test sees the
 * argument vector the shell would give curl. */
static char *
run_as_printf (const char *command,
               const char *access_token)
{
  g_autofree char *printer = NULL;
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;
  char *argv[] = { (char *) "/bin/sh", (char *) "-c", NULL, NULL };
  g_auto(GStrv) envp = g_get_environ ();

  g_assert_true (g_str_has_prefix (command, "curl "));
  printer = g_strconcat ("printf '<%s>\\n'", command + 4, NULL);
  argv[2] = printer;
  envp = g_environ_setenv (envp, "ACCESS_TOKEN", access_token, TRUE);
  envp = g_environ_setenv (envp, "REFRESH_TOKEN", "the-refresh-token", TRUE);
  g_assert_true (g_spawn_sync (NULL, argv, envp, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return g_steal_pointer (&out);
}

static void
test_redact_curl (void)
{
  Secrets s = { 0 };
  g_autofree char *url = NULL;
  g_autofree char *bearer = NULL;
  g_autofree char *command = NULL;
  g_autofree char *args = NULL;
  g_autofree char *body = NULL;
  const char *headers[] = { NULL, "Accept: application/fhir+json", "X-Note: it's $HOME", NULL };

  secrets_init (&s);
  url = g_strdup ("http://127.0.0.1:8400/datastore/0123/r4/Observation?patient=123&_count=50");
  bearer = g_strdup_printf ("Authorization: Bearer %s", s.access_token);
  headers[0] = bearer;
  command = sv_redact_curl_command ("GET", url, headers, NULL);
  assert_no_secret (command, &s);
  g_assert_nonnull (strstr (command, "\"Authorization: Bearer $ACCESS_TOKEN\""));

  /* The shell turns it back into the request, with the host's token. */
  args = run_as_printf (command, "tok-from-env");
  g_assert_cmpstr (args, ==,
                   "<http://127.0.0.1:8400/datastore/0123/r4/Observation?patient=123&_count=50>\n"
                   "<-H>\n<Authorization: Bearer tok-from-env>\n"
                   "<-H>\n<Accept: application/fhir+json>\n"
                   "<-H>\n<X-Note: it's $HOME>\n");

  g_clear_pointer (&command, g_free);
  g_clear_pointer (&args, g_free);
  body = g_strdup_printf ("grant_type=refresh_token&refresh_token=%s&client_id=smart-viewer", s.refresh_token);
  command = sv_redact_curl_command ("POST", "http://127.0.0.1:8400/realms/smart/protocol/openid-connect/token",
                                    (const char *[]) { "Content-Type: application/x-www-form-urlencoded", NULL }, body);
  assert_no_secret (command, &s);
  args = run_as_printf (command, "unused");
  g_assert_cmpstr (args, ==,
                   "<-X>\n<POST>\n<http://127.0.0.1:8400/realms/smart/protocol/openid-connect/token>\n"
                   "<-H>\n<Content-Type: application/x-www-form-urlencoded>\n"
                   "<--data-raw>\n<grant_type=refresh_token&refresh_token=the-refresh-token&client_id=smart-viewer>\n");
  secrets_clear (&s);
}

static void
test_jwt_describe (void)
{
  Secrets s = { 0 };
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *obj;
  const char *signature;

  secrets_init (&s);
  text = sv_jwt_describe (s.access_token);
  g_assert_nonnull (text);
  signature = strrchr (s.access_token, '.') + 1;
  g_assert_null (strstr (text, signature));
  g_assert_null (strstr (text, s.access_token));

  node = json_from_string (text, &error);
  g_assert_no_error (error);
  obj = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (obj, "header"), "alg"), ==, "RS256");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (obj, "claims"), "scope"), ==, "patient/*.read openid");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (obj, "claims"), "exp"), ==, 1893456000);
  g_assert_false (json_object_has_member (obj, "signature"));

  g_assert_null (sv_jwt_describe ("not a token"));
  g_assert_null (sv_jwt_describe ("www.example.org"));
  g_assert_null (sv_jwt_describe (NULL));
  secrets_clear (&s);
}

static void
test_redact_log_writer (void)
{
  Secrets s = { 0 };
  g_autofree char *pattern = NULL;

  secrets_init (&s);
  if (g_test_subprocess ())
    {
      sv_redact_install_log_writer ();
      sv_redact_install_log_writer ();
      g_debug ("token response: access_token=%s refresh_token=%s", s.access_token, s.refresh_token);
      g_message ("request\nAuthorization: Bearer %s", s.access_token_2);
      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE", "client_secret=%s", s.client_secret);
      secrets_clear (&s);
      return;
    }

  /* GLib reads G_MESSAGES_DEBUG once, so the child gets it from the start. */
  g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_unsetenv ("G_MESSAGES_DEBUG");
  g_test_trap_assert_passed ();
  /* GLib's default writer sends debug messages to stdout, the rest to stderr. */
  g_test_trap_assert_stdout ("*token response: access_token=[redacted access_token] refresh_token=[redacted refresh_token]*");
  g_test_trap_assert_stderr ("*Authorization: Bearer [redacted access_token]*");
  g_test_trap_assert_stderr ("*client_secret=[redacted client_secret]*");
  {
    const char *all[] = { s.access_token, s.access_token_2, s.refresh_token, s.client_secret };

    for (gsize i = 0; i < G_N_ELEMENTS (all); i++)
      {
        pattern = g_strdup_printf ("*%s*", all[i]);
        g_test_trap_assert_stderr_unmatched (pattern);
        g_test_trap_assert_stdout_unmatched (pattern);
        g_clear_pointer (&pattern, g_free);
      }
  }
  secrets_clear (&s);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/redact/transcript", test_redact_transcript);
  g_test_add_func ("/redact/url", test_redact_url);
  g_test_add_func ("/redact/json", test_redact_json);
  g_test_add_func ("/redact/curl", test_redact_curl);
  g_test_add_func ("/redact/jwt-describe", test_jwt_describe);
  g_test_add_func ("/redact/log-writer", test_redact_log_writer);

  return g_test_run ();
}
