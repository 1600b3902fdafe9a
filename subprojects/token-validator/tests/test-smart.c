/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tv-config.h"
#include "tv-jwks.h"
#include "tv-secrets.h"
#include "tv-smart.h"

/* Plain C checks for the pure helpers: the Lambda links no GLib, and
 * neither do its tests. */

static int failures;
static int checks;

#define CHECK(cond) \
  do { \
    checks++; \
    if (!(cond)) \
      { \
        failures++; \
        fprintf (stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      } \
  } while (0)

static bool
scope_ok (const char *s, bool *is_patient)
{
  return tv_scope_is_smart_resource (s, strlen (s), is_patient);
}

static void
test_scopes (void)
{
  static const char *const good[] = {
    "patient/*.read", "patient/Observation.read", "user/*.write", "system/*.*",
    "user/Patient.rs", "patient/*.cruds", "user/Observation.c", "system/Encounter.rd",
    "patient/Observation.rs?category=laboratory",
    "patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory",
    "user/Condition.rs?clinical-status=active&category=problem-list-item",
  };
  static const char *const bad[] = {
    "", "patient", "patient/", "patient/*", "patient/*.", "patient/*.rx",
    "patient/*.sr", "patient/*.rr", "patient/observation.read", "launch/patient",
    "openid", "fhirUser", "admin/*.read", "patient/*.read?x=1",
    "patient/*.rs?category=lab", "patient/Observation.rs?", "patient/Observation.rs?=x",
    "patient/Observation.rs?a=", "patient/Observation.rs?a=1&", "patient/Obs-x.read",
    "Patient/*.read",
  };
  bool is_patient;

  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    {
      if (!scope_ok (good[i], &is_patient))
        fprintf (stderr, "rejected good scope %s\n", good[i]);
      CHECK (scope_ok (good[i], &is_patient));
      CHECK (is_patient == (strncmp (good[i], "patient/", 8) == 0));
    }
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      if (scope_ok (bad[i], NULL))
        fprintf (stderr, "accepted bad scope %s\n", bad[i]);
      CHECK (!scope_ok (bad[i], NULL));
    }
  /* Length-delimited: a prefix of a longer string is judged on its own. */
  CHECK (tv_scope_is_smart_resource ("user/*.rs extra", 9, NULL));
}

static void
test_references (void)
{
  char out[128];

  CHECK (tv_reference_reduce ("Practitioner/123", out, sizeof out)
         && strcmp (out, "Practitioner/123") == 0);
  CHECK (tv_reference_reduce ("https://fhir.example.org/r4/Practitioner/123", out, sizeof out)
         && strcmp (out, "Practitioner/123") == 0);
  CHECK (tv_reference_reduce ("https://x.org/r4/Patient/a-1.b/_history/3", out, sizeof out)
         && strcmp (out, "Patient/a-1.b") == 0);
  CHECK (tv_reference_reduce ("https://x.org/r4/RelatedPerson/9/", out, sizeof out)
         && strcmp (out, "RelatedPerson/9") == 0);
  CHECK (!tv_reference_reduce ("123", out, sizeof out));
  CHECK (!tv_reference_reduce ("a/b/Practitioner/1", out, sizeof out));
  CHECK (!tv_reference_reduce ("practitioner/1", out, sizeof out));
  CHECK (!tv_reference_reduce ("Practitioner/1 2", out, sizeof out));
  CHECK (!tv_reference_reduce ("Practitioner/", out, sizeof out));
  CHECK (!tv_reference_reduce ("Practitioner/123", out, 5));

  CHECK (tv_patient_id_reduce ("456", out, sizeof out) && strcmp (out, "456") == 0);
  CHECK (tv_patient_id_reduce ("Patient/456", out, sizeof out) && strcmp (out, "456") == 0);
  CHECK (tv_patient_id_reduce ("https://x.org/r4/Patient/456", out, sizeof out)
         && strcmp (out, "456") == 0);
  CHECK (!tv_patient_id_reduce ("Practitioner/456", out, sizeof out));
  CHECK (!tv_patient_id_reduce ("", out, sizeof out));
  CHECK (!tv_patient_id_reduce ("4 5", out, sizeof out));
  CHECK (!tv_patient_id_reduce ("0123456789012345678901234567890123456789012345678901234567890123456789",
                                out, sizeof out));
}

static void
test_urls (void)
{
  CHECK (tv_url_is_allowed ("https://cognito-idp.us-east-1.amazonaws.com/x/.well-known/jwks.json"));
  CHECK (tv_url_is_allowed ("http://127.0.0.1:8080/certs"));
  CHECK (tv_url_is_allowed ("http://127.1.2.3/certs"));
  CHECK (tv_url_is_allowed ("http://localhost:9/x"));
  CHECK (tv_url_is_allowed ("http://[::1]:9/x"));
  CHECK (!tv_url_is_allowed ("http://example.org/certs"));
  CHECK (!tv_url_is_allowed ("http://128.0.0.1/certs"));
  CHECK (!tv_url_is_allowed ("http://127.0.0.1.nip.io/certs"));
  CHECK (!tv_url_is_allowed ("http://[::2]/x"));
  CHECK (!tv_url_is_allowed ("ftp://127.0.0.1/x"));
  CHECK (!tv_url_is_allowed ("file:///etc/passwd"));
  CHECK (!tv_url_is_allowed ("not a url"));
  CHECK (!tv_url_is_allowed (NULL));
}

static void
test_algs (void)
{
  CHECK (tv_alg_from_string ("RS256") == TV_ALG_RS256);
  CHECK (tv_alg_from_string ("ES384") == TV_ALG_ES384);
  CHECK (tv_alg_from_string ("none") == 0);
  CHECK (tv_alg_from_string ("HS256") == 0);
  CHECK (tv_alg_from_string ("rs256") == 0);
}

static void
test_jwks (void)
{
  /* cjose asserts on base64 of length 1 mod 4 (found by the fuzzer): the
   * loader must refuse such keys before cjose sees them. */
  char doc[1024];
  char n[342];
  TvJwks jwks;

  memset (n, 'A', 341);
  n[341] = '\0';
  tv_jwks_init (&jwks, NULL, 3600);
  snprintf (doc, sizeof doc,
            "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a\",\"n\":\"%s\",\"e\":\"AQAB\"}]}", n);
  CHECK (!tv_jwks_load (&jwks, doc, strlen (doc), NULL, 0));
  snprintf (doc, sizeof doc,
            "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAAA\",\"y\":\"AAAA\"}]}");
  CHECK (!tv_jwks_load (&jwks, doc, strlen (doc), NULL, 0));
  snprintf (doc, sizeof doc,
            "{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}");
  CHECK (!tv_jwks_load (&jwks, doc, strlen (doc), NULL, 0));
  CHECK (jwks.n_keys == 0);
  tv_jwks_clear (&jwks);
}

static void
test_sigv4 (void)
{
  /* The worked example of AWS's SigV4 documentation (IAM ListUsers). */
  char sig[65], hex[65];

  tv_sigv4_signature ("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830",
                      "us-east-1", "iam",
                      "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n"
                      "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59",
                      sig);
  CHECK (strcmp (sig, "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7") == 0);
  tv_sha256_hex ("", 0, hex);
  CHECK (strcmp (hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0);
  CHECK (tv_secrets_is_arn ("arn:aws:secretsmanager:us-east-1:1:secret:x"));
  CHECK (!tv_secrets_is_arn ("plain-secret"));
  CHECK (!tv_secrets_is_arn (NULL));
}

int
main (void)
{
  test_sigv4 ();
  test_jwks ();
  test_scopes ();
  test_references ();
  test_urls ();
  test_algs ();
  printf ("%d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}
