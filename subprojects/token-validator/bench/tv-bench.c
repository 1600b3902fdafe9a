/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <cjose/cjose.h>
#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tv-config.h"
#include "tv-handler.h"
#include "tv-http.h"
#include "tv-util.h"
#include "tv-validator.h"

/* Warm throughput of the handler: configuration from the environment (as
 * in the Lambda), JWKS fetched once, then the events of EVENTS_FILE (one
 * JSON event per line) handled round-robin for SECONDS.  Every event must
 * be allowed, so the figure is for the full path.
 *
 * The floor is measured in the same process, interleaved with the handler
 * in short slices: one bare OpenSSL RS256 verification of the first token
 * (EVP_DigestVerify with the JWKS key).  On a shared, noisy machine this
 * ratio is steadier than comparing with a separate `openssl speed` run. */

static uint8_t *
b64 (const char *s, size_t len, size_t *out_len)
{
  uint8_t *out = NULL;
  cjose_err err;

  if (!cjose_base64url_decode (s, len, &out, out_len, &err))
    return NULL;
  return out;
}

/* The RSA public key of the first JWKS entry, rebuilt as an EVP_PKEY. */
static EVP_PKEY *
first_rsa_key (const char *jwks_json)
{
  json_t *root = json_loads (jwks_json, 0, NULL);
  json_t *k = json_array_get (json_object_get (root, "keys"), 0);
  const char *n = json_string_value (json_object_get (k, "n"));
  const char *e = json_string_value (json_object_get (k, "e"));
  uint8_t *nb, *eb;
  size_t nl, el;
  BIGNUM *bn_n, *bn_e;
  OSSL_PARAM_BLD *bld;
  OSSL_PARAM *params;
  EVP_PKEY_CTX *ctx;
  EVP_PKEY *pkey = NULL;

  nb = b64 (n, strlen (n), &nl);
  eb = b64 (e, strlen (e), &el);
  bn_n = BN_bin2bn (nb, (int) nl, NULL);
  bn_e = BN_bin2bn (eb, (int) el, NULL);
  bld = OSSL_PARAM_BLD_new ();
  OSSL_PARAM_BLD_push_BN (bld, OSSL_PKEY_PARAM_RSA_N, bn_n);
  OSSL_PARAM_BLD_push_BN (bld, OSSL_PKEY_PARAM_RSA_E, bn_e);
  params = OSSL_PARAM_BLD_to_param (bld);
  ctx = EVP_PKEY_CTX_new_from_name (NULL, "RSA", NULL);
  EVP_PKEY_fromdata_init (ctx);
  EVP_PKEY_fromdata (ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
  EVP_PKEY_CTX_free (ctx);
  OSSL_PARAM_free (params);
  OSSL_PARAM_BLD_free (bld);
  BN_free (bn_n);
  BN_free (bn_e);
  cjose_get_dealloc () (nb);
  cjose_get_dealloc () (eb);
  json_decref (root);
  return pkey;
}

/* What `openssl speed rsa2048` times, plus the SHA-256 of the signing
 * input: a verify context prepared once, then one EVP_PKEY_verify. */
static EVP_PKEY_CTX *bare_ctx;

static bool
bare_verify (EVP_PKEY *pkey, const char *input, size_t input_len,
             const uint8_t *sig, size_t sig_len)
{
  uint8_t digest[32];
  unsigned int dlen = sizeof digest;

  if (bare_ctx == NULL)
    {
      bare_ctx = EVP_PKEY_CTX_new_from_pkey (NULL, pkey, NULL);
      if (EVP_PKEY_verify_init (bare_ctx) != 1
          || EVP_PKEY_CTX_set_rsa_padding (bare_ctx, RSA_PKCS1_PADDING) != 1
          || EVP_PKEY_CTX_set_signature_md (bare_ctx, EVP_sha256 ()) != 1)
        return false;
    }
  if (EVP_Digest (input, input_len, digest, &dlen, EVP_sha256 (), NULL) != 1)
    return false;
  return EVP_PKEY_verify (bare_ctx, sig, sig_len, digest, dlen) == 1;
}

int
main (int argc, char **argv)
{
  TvConfig cfg;
  TvValidator v;
  char err[512];
  char *data, *p;
  char **events = NULL;
  size_t *lens = NULL, n = 0, len;
  double seconds;
  int64_t start, end;
  unsigned long count = 0, verify_count = 0;
  int64_t handler_us = 0, verify_us = 0;
  EVP_PKEY *pkey = NULL;
  uint8_t *sig = NULL;
  size_t sig_len = 0, input_len = 0;
  char *input = NULL;

  if (argc != 3)
    {
      fprintf (stderr, "usage: tv-bench EVENTS_FILE SECONDS\n");
      return 2;
    }
  seconds = atof (argv[2]);
  tv_http_global_init ();
  if (!tv_config_load (&cfg, err, sizeof err))
    {
      fprintf (stderr, "tv-bench: %s\n", err);
      return 2;
    }
  if (!tv_validator_init (&v, &cfg, true, 5000, err, sizeof err))
    {
      fprintf (stderr, "tv-bench: %s\n", err);
      return 1;
    }
  data = tv_read_file (argv[1], 64 << 20, &len, err, sizeof err);
  if (data == NULL)
    {
      fprintf (stderr, "tv-bench: %s\n", err);
      return 2;
    }
  for (p = strtok (data, "\n"); p; p = strtok (NULL, "\n"))
    {
      events = realloc (events, (n + 1) * sizeof *events);
      lens = realloc (lens, (n + 1) * sizeof *lens);
      events[n] = p;
      lens[n] = strlen (p);
      n++;
    }
  if (n == 0)
    return 2;

  /* The floor: the first token's signature, verified bare. */
  {
    json_t *ev0 = json_loadb (events[0], lens[0], 0, NULL);
    const char *tok = json_string_value (json_object_get (ev0, "bearerToken"));
    const char *dot2 = strrchr (tok, '.');
    TvHttpRequest req = { 0 };
    TvHttpResponse resp;

    req.method = "GET";
    req.url = v.jwks.uri;
    req.timeout_ms = 5000;
    if (!tv_http_perform (v.idp_http, &req, &resp, err, sizeof err))
      return 1;
    pkey = first_rsa_key (resp.body);
    tv_http_response_clear (&resp);
    sig = b64 (dot2 + 1, strlen (dot2 + 1), &sig_len);
    input_len = (size_t) (dot2 - tok);
    input = strndup (tok, input_len);
    json_decref (ev0);
    if (pkey == NULL || !bare_verify (pkey, input, input_len, sig, sig_len))
      {
        fprintf (stderr, "tv-bench: the bare verification failed\n");
        return 1;
      }
  }

  /* Alternate 100 ms slices of handler and bare verify work. */
  start = tv_now_mono_us ();
  end = start + (int64_t) (seconds * 1e6);
  while (tv_now_mono_us () < end)
    {
      int64_t slice = tv_now_mono_us ();

      while (tv_now_mono_us () - slice < 100000)
        {
          bare_verify (pkey, input, input_len, sig, sig_len);
          verify_count++;
        }
      verify_us += tv_now_mono_us () - slice;

      slice = tv_now_mono_us ();
      while (tv_now_mono_us () - slice < 100000)
        for (size_t i = 0; i < n; i++)
          {
            TvDecision d;
            char *response = NULL;

            if (tv_handle_event (&v, events[i], lens[i], 1000, &response, &d)
                != TV_RESULT_ALLOW)
              {
                fprintf (stderr, "tv-bench: event %zu denied (%s)\n", i, d.reason);
                return 1;
              }
            free (response);
            tv_decision_clear (&d);
            count++;
          }
      handler_us += tv_now_mono_us () - slice;
    }
  printf ("invocations=%lu seconds=%.3f per_second=%.1f us_per_invocation=%.2f "
          "bare_verify_us=%.2f ratio=%.2f\n",
          count, handler_us / 1e6, count / (handler_us / 1e6),
          (double) handler_us / count, (double) verify_us / verify_count,
          ((double) handler_us / count) / ((double) verify_us / verify_count));
  EVP_PKEY_CTX_free (bare_ctx);
  EVP_PKEY_free (pkey);
  cjose_get_dealloc () (sig);
  free (input);
  free (events);
  free (lens);
  free (data);
  tv_validator_clear (&v);
  tv_config_clear (&cfg);
  return 0;
}
