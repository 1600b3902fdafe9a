/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "tv-jwks.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "tv-util.h"

void
tv_jwks_init (TvJwks *jwks, const char *uri, long ttl_seconds)
{
  memset (jwks, 0, sizeof *jwks);
  jwks->uri = uri ? strdup (uri) : NULL;
  jwks->ttl_seconds = ttl_seconds;
}

static void
free_keys (TvKey *keys, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (keys[i].kid);
      free (keys[i].alg);
      cjose_jwk_release (keys[i].jwk);
    }
  free (keys);
}

void
tv_jwks_clear (TvJwks *jwks)
{
  free_keys (jwks->keys, jwks->n_keys);
  free (jwks->uri);
  memset (jwks, 0, sizeof *jwks);
}

static const char *
obj_str (json_t *o, const char *name)
{
  json_t *v = json_object_get (o, name);

  return json_is_string (v) ? json_string_value (v) : NULL;
}

/* A key member that cjose will base64url-decode. */
static const char *
obj_b64 (json_t *o, const char *name)
{
  const char *v = obj_str (o, name);

  return v && tv_is_base64url (v, strlen (v)) ? v : NULL;
}

/* Builds a JWK holding only the public members, so a JWKS that carries
 * private parts by mistake never turns into a signing key here. */
static json_t *
public_jwk (json_t *k, TvKeyType *type, char *err, size_t errlen)
{
  const char *kty = obj_str (k, "kty");

  if (kty && strcmp (kty, "RSA") == 0)
    {
      const char *n = obj_b64 (k, "n"), *e = obj_b64 (k, "e");

      if (n == NULL || e == NULL)
        {
          tv_set_error (err, errlen, "RSA key without valid n/e");
          return NULL;
        }
      /* base64url of a 2048-bit modulus is 342 characters; anything much
       * shorter is a weak key we refuse to trust. */
      if (strlen (n) < 340)
        {
          tv_set_error (err, errlen, "RSA key shorter than 2048 bits");
          return NULL;
        }
      *type = TV_KEY_RSA;
      return json_pack ("{s:s, s:s, s:s}", "kty", "RSA", "n", n, "e", e);
    }
  if (kty && strcmp (kty, "EC") == 0)
    {
      const char *crv = obj_str (k, "crv"), *x = obj_b64 (k, "x"),
                 *y = obj_b64 (k, "y");

      if (crv == NULL || x == NULL || y == NULL)
        {
          tv_set_error (err, errlen, "EC key without valid crv/x/y");
          return NULL;
        }
      if (strcmp (crv, "P-256") == 0)
        *type = TV_KEY_EC_P256;
      else if (strcmp (crv, "P-384") == 0)
        *type = TV_KEY_EC_P384;
      else
        {
          tv_set_error (err, errlen, "unsupported curve");
          return NULL;
        }
      return json_pack ("{s:s, s:s, s:s, s:s}", "kty", "EC", "crv", crv,
                        "x", x, "y", y);
    }
  tv_set_error (err, errlen, "unsupported key type");
  return NULL;
}

bool
tv_jwks_load (TvJwks *jwks, const char *json, size_t len,
              char *err, size_t errlen)
{
  json_error_t jerr;
  json_t *root, *keys;
  TvKey *out = NULL;
  size_t n_out = 0, idx;
  json_t *k;
  char why[128] = "no keys";

  root = json_loadb (json, len, JSON_REJECT_DUPLICATES, &jerr);
  if (!json_is_object (root))
    {
      tv_set_error (err, errlen, "JWKS is not a JSON object");
      json_decref (root);
      return false;
    }
  keys = json_object_get (root, "keys");
  if (!json_is_array (keys) || json_array_size (keys) > 100)
    {
      tv_set_error (err, errlen, "JWKS has no usable \"keys\" array");
      json_decref (root);
      return false;
    }
  out = calloc (json_array_size (keys) + 1, sizeof *out);
  if (out == NULL)
    {
      json_decref (root);
      return false;
    }

  json_array_foreach (keys, idx, k)
    {
      const char *use, *kid, *alg;
      json_t *pub;
      char *text;
      cjose_err cerr;
      cjose_jwk_t *jwk;
      TvKeyType type;

      if (!json_is_object (k))
        continue;
      use = obj_str (k, "use");
      if (use && strcmp (use, "sig") != 0)
        continue;
      pub = public_jwk (k, &type, why, sizeof why);
      if (pub == NULL)
        continue;
      text = json_dumps (pub, JSON_COMPACT);
      json_decref (pub);
      if (text == NULL)
        continue;
      jwk = cjose_jwk_import (text, strlen (text), &cerr);
      free (text);
      if (jwk == NULL)
        {
          tv_set_error (why, sizeof why, "key rejected by cjose: %s", cerr.message);
          continue;
        }
      kid = obj_str (k, "kid");
      alg = obj_str (k, "alg");
      out[n_out].kid = kid ? strdup (kid) : NULL;
      out[n_out].alg = alg ? strdup (alg) : NULL;
      out[n_out].type = type;
      out[n_out].jwk = jwk;
      n_out++;
    }
  json_decref (root);

  if (n_out == 0)
    {
      tv_set_error (err, errlen, "JWKS holds no usable signing key (%s)", why);
      free (out);
      return false;
    }

  free_keys (jwks->keys, jwks->n_keys);
  jwks->keys = out;
  jwks->n_keys = n_out;
  jwks->fetched_at_us = tv_now_mono_us ();
  jwks->next_refresh_try_us = 0;
  return true;
}

bool
tv_jwks_fetch (TvJwks *jwks, TvHttp *http, long timeout_ms,
               char *err, size_t errlen)
{
  TvHttpRequest req = { 0 };
  TvHttpResponse resp;
  bool ok;

  if (jwks->uri == NULL || http == NULL)
    {
      tv_set_error (err, errlen, "no JWKS location");
      return false;
    }
  req.method = "GET";
  req.url = jwks->uri;
  req.timeout_ms = timeout_ms;
  req.max_body = TV_JWKS_MAX_BYTES;
  if (!tv_http_perform (http, &req, &resp, err, errlen))
    {
      tv_jwks_note_failure (jwks);
      return false;
    }
  if (resp.status != 200)
    {
      tv_set_error (err, errlen, "JWKS endpoint answered HTTP %ld", resp.status);
      tv_http_response_clear (&resp);
      tv_jwks_note_failure (jwks);
      return false;
    }
  ok = tv_jwks_load (jwks, resp.body, resp.body_len, err, errlen);
  tv_http_response_clear (&resp);
  if (!ok)
    tv_jwks_note_failure (jwks);
  return ok;
}

bool
tv_jwks_refresh_due (const TvJwks *jwks)
{
  int64_t now = tv_now_mono_us ();

  if (jwks->uri == NULL)
    return false;
  if (now < jwks->next_refresh_try_us)
    return false;
  return jwks->fetched_at_us == 0
         || now - jwks->fetched_at_us >= (int64_t) jwks->ttl_seconds * 1000000;
}

void
tv_jwks_note_failure (TvJwks *jwks)
{
  /* Retry a failed refresh at most once a minute: an IdP outage must not
   * add a network timeout to every invocation. */
  jwks->next_refresh_try_us = tv_now_mono_us () + TV_JWKS_UNKNOWN_KID_INTERVAL_US;
}

const TvKey *
tv_jwks_find (const TvJwks *jwks, const char *kid)
{
  for (size_t i = 0; i < jwks->n_keys; i++)
    if (jwks->keys[i].kid && strcmp (jwks->keys[i].kid, kid) == 0)
      return &jwks->keys[i];
  return NULL;
}
