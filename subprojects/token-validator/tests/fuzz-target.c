/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tv-event.h"
#include "tv-handler.h"
#include "tv-jwks.h"
#include "tv-smart.h"
#include "tv-util.h"
#include "tv-validator.h"

/* libFuzzer target over everything that parses untrusted input: the
 * HealthLake event, the bearer token (header, base64, kid selection, JWS),
 * the claim rules, a JWKS document, the scope/reference grammar, and the
 * fast event scanner against jansson (differential: they must agree).  The
 * first byte picks the parser.  No network: the validator has no HTTP
 * client, so an unknown kid is simply denied. */

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Public keys only (generated once with tests/tvtest.py). */
static const char jwks_json[] = "{\"keys\": [{\"kty\": \"RSA\", \"n\": \"yRYR_iKLS8TVvuqK3zVyWGo0ygmppIov53-km_0ZN6e7k03ACD4Zg1lg7HQ7TbxmJwj_5T_dHbDDUDYz85KBujSYhrJgkK_iKodSDu-AmMeFXN-n8YNEEaf2_DF0s32AhSeCPNIQoUUib7_YNtbt7E5J3UE7olBKp6lAxPMMK9pkD6xuAYIm7t2S6LP7yAXAJr0I1cdLlHQmFgrwjVpn_owxHnwPA8cpjrjzmhVkNTpQeEva2keZWf8o4iS0e-co5C-lXIUzYcNQcbq8aXxXtXudQO5AzkMWxf5vbfm56HbmSFGWrG0KWDBEp9SZPam8kf_EIcBQPInOI6cGvNW1Ew\", \"e\": \"AQAB\", \"use\": \"sig\", \"kid\": \"fuzz-rsa\"}, {\"kty\": \"EC\", \"crv\": \"P-256\", \"use\": \"sig\", \"x\": \"VI2tMOHCdDc1z_SND0g0GA0S3VEp21ZUwzpzsmKIOJI\", \"y\": \"tNLjLlrpaVPx-NlBCN2PBkHbr8a-N5Wd_p9v2B-dpvA\", \"kid\": \"fuzz-ec\"}]}";

static TvConfig config;
static TvValidator validator;
static bool ready;

static void
setup (void)
{
  static char issuer[] = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Fuzz";
  static char role[] = "arn:aws:iam::123456789012:role/fuzz";
  static char patient[] = "custom:patient";
  static char fhiruser[] = "custom:fhirUser";
  static char client[] = "fuzz-client";
  static char *clients[] = { client };

  config.issuer = issuer;
  config.idp = TV_IDP_COGNITO;
  config.role_arn = role;
  config.patient_claim = patient;
  config.fhiruser_claim = fhiruser;
  config.client_ids = clients;
  config.n_client_ids = 1;
  config.allowed_algs = TV_ALG_RS256 | TV_ALG_PS256 | TV_ALG_ES256;
  config.leeway_seconds = 30;
  config.jwks_ttl_seconds = 3600;
  tv_validator_init (&validator, &config, false, 0, NULL, 0);
  if (!tv_jwks_load (&validator.jwks, jwks_json, strlen (jwks_json), NULL, 0))
    abort ();
  tv_set_fixed_time (1700000000);
  ready = true;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *text;
  size_t len;
  TvDecision d;

  if (!ready)
    setup ();
  if (size < 1)
    return 0;
  text = (const char *) data + 1;
  len = size - 1;

  switch (data[0] % 6)
    {
    case 0:
      {
        char *response = NULL;

        tv_handle_event (&validator, text, len, 0, &response, &d);
        if (response == NULL)
          abort ();
        free (response);
        tv_decision_clear (&d);
        break;
      }
    case 1:
      tv_validator_check (&validator, text, len,
                          "https://healthlake.example/datastore/x/r4/", 0, &d);
      if (d.reason == NULL || (d.allow && d.auth_payload == NULL))
        abort ();
      tv_decision_clear (&d);
      break;
    case 2:
      {
        json_t *claims = json_loadb (text, len, 0, NULL);

        if (json_is_object (claims))
          {
            memset (&d, 0, sizeof d);
            tv_validator_check_claims (&validator, claims, "https://h/r4/", &d);
            tv_decision_clear (&d);
          }
        json_decref (claims);
        break;
      }
    case 3:
      {
        TvJwks jwks;

        tv_jwks_init (&jwks, NULL, 3600);
        tv_jwks_load (&jwks, text, len, NULL, 0);
        tv_jwks_clear (&jwks);
        break;
      }
    case 4:
      {
        char *s = strndup (text, len);
        char out[128];

        tv_scope_is_smart_resource (text, len, NULL);
        if (s)
          {
            tv_reference_reduce (s, out, sizeof out);
            tv_patient_id_reduce (s, out, sizeof out);
          }
        free (s);
        break;
      }
    case 5:
      {
        TvEvent fe;

        if (tv_event_scan (text, len, &fe) == TV_EVENT_OK)
          {
            json_t *j = json_loadb (text, len, 0, NULL);
            json_t *tok = json_object_get (j, "bearerToken");
            const char *ep = json_string_value (json_object_get (j, "datastoreEndpoint"));

            if (!json_is_object (j))
              abort ();
            if ((ep == NULL) != (fe.endpoint == NULL)
                || (ep && strcmp (ep, fe.endpoint) != 0))
              abort ();
            if (json_is_string (tok) != (fe.token != NULL))
              abort ();
            if (fe.token && (json_string_length (tok) != fe.token_len
                             || memcmp (json_string_value (tok), fe.token, fe.token_len) != 0))
              abort ();
            json_decref (j);
          }
        tv_event_clear (&fe);
        break;
      }
    }
  return 0;
}
