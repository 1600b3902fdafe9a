/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "tv-secrets.h"

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tv-config.h"
#include "tv-util.h"

#define SERVICE "secretsmanager"
#define TARGET "secretsmanager.GetSecretValue"
#define CONTENT_TYPE "application/x-amz-json-1.1"

bool
tv_secrets_is_arn (const char *value)
{
  return value && tv_str_has_prefix (value, "arn:aws:secretsmanager:");
}

static void
to_hex (const unsigned char *in, size_t len, char *out)
{
  static const char digits[] = "0123456789abcdef";

  for (size_t i = 0; i < len; i++)
    {
      out[2 * i] = digits[in[i] >> 4];
      out[2 * i + 1] = digits[in[i] & 15];
    }
  out[2 * len] = '\0';
}

void
tv_sha256_hex (const void *data, size_t len, char out_hex[65])
{
  unsigned char md[32];
  unsigned int n = sizeof md;

  EVP_Digest (data, len, md, &n, EVP_sha256 (), NULL);
  to_hex (md, 32, out_hex);
}

static void
hmac (const void *key, size_t key_len, const char *msg, unsigned char out[32])
{
  unsigned int n = 32;

  HMAC (EVP_sha256 (), key, (int) key_len, (const unsigned char *) msg,
        strlen (msg), out, &n);
}

void
tv_sigv4_signature (const char *secret_key, const char *date8,
                    const char *region, const char *service,
                    const char *string_to_sign, char out_hex[65])
{
  char k0[256];
  unsigned char k1[32], k2[32], k3[32], k4[32], sig[32];

  snprintf (k0, sizeof k0, "AWS4%s", secret_key);
  hmac (k0, strlen (k0), date8, k1);
  hmac (k1, 32, region, k2);
  hmac (k2, 32, service, k3);
  hmac (k3, 32, "aws4_request", k4);
  hmac (k4, 32, string_to_sign, sig);
  to_hex (sig, 32, out_hex);
  OPENSSL_cleanse (k0, sizeof k0);
  OPENSSL_cleanse (k4, sizeof k4);
}

/* "arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME" → REGION. */
static bool
arn_region (const char *arn, char *out, size_t outlen)
{
  const char *p = arn + strlen ("arn:aws:secretsmanager:");
  const char *end = strchr (p, ':');
  size_t n;

  if (end == NULL || end == p)
    return false;
  n = (size_t) (end - p);
  if (n >= outlen)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '-'))
      return false;
  memcpy (out, p, n);
  out[n] = '\0';
  return true;
}

/* The Host header value curl would send, which the signature covers. */
static bool
url_host (const char *url, char *out, size_t outlen)
{
  CURLU *u = curl_url ();
  char *host = NULL, *port = NULL;
  bool ok = false;

  if (u && curl_url_set (u, CURLUPART_URL, url, 0) == CURLUE_OK
      && curl_url_get (u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
    {
      curl_url_get (u, CURLUPART_PORT, &port, 0);
      if (port)
        snprintf (out, outlen, "%s:%s", host, port);
      else
        snprintf (out, outlen, "%s", host);
      ok = true;
    }
  curl_free (host);
  curl_free (port);
  curl_url_cleanup (u);
  return ok;
}

bool
tv_secrets_get (TvHttp *http, const char *arn, long timeout_ms,
                char **value, char *err, size_t errlen)
{
  const char *akid = getenv ("AWS_ACCESS_KEY_ID");
  const char *secret = getenv ("AWS_SECRET_ACCESS_KEY");
  const char *token = getenv ("AWS_SESSION_TOKEN");
  const char *endpoint_env = getenv ("AWS_ENDPOINT_URL_SECRETS_MANAGER");
  char region[64], endpoint[256], host[256], amzdate[17], date8[9];
  char body_hash[65], canon_hash[65], signature[65];
  char *body = NULL, *canonical = NULL, *to_sign = NULL;
  char h_auth[1024], h_date[64], h_target[64], h_host[300], *h_token = NULL;
  const char *headers[6];
  const char *signed_headers;
  size_t n_headers = 0, canon_len;
  TvHttpRequest req = { 0 };
  TvHttpResponse resp = { 0 };
  json_t *doc = NULL, *inner = NULL;
  const char *str;
  time_t now = time (NULL);
  struct tm tm;
  bool ok = false;

  *value = NULL;
  if (akid == NULL || secret == NULL)
    {
      tv_set_error (err, errlen, "no AWS credentials in the environment to read the secret");
      return false;
    }
  if (!arn_region (arn, region, sizeof region))
    {
      tv_set_error (err, errlen, "malformed Secrets Manager ARN");
      return false;
    }
  if (endpoint_env && endpoint_env[0])
    snprintf (endpoint, sizeof endpoint, "%s", endpoint_env);
  else
    snprintf (endpoint, sizeof endpoint, "https://" SERVICE ".%s.amazonaws.com/", region);
  if (!tv_url_is_allowed (endpoint) || !url_host (endpoint, host, sizeof host))
    {
      tv_set_error (err, errlen, "the Secrets Manager endpoint must be https://");
      return false;
    }

  gmtime_r (&now, &tm);
  strftime (amzdate, sizeof amzdate, "%Y%m%dT%H%M%SZ", &tm);
  memcpy (date8, amzdate, 8);
  date8[8] = '\0';

  {
    json_t *b = json_pack ("{s:s}", "SecretId", arn);

    body = json_dumps (b, JSON_COMPACT);
    json_decref (b);
  }
  tv_sha256_hex (body, strlen (body), body_hash);

  /* SigV4: canonical request over the headers we send (sorted). */
  signed_headers = token ? "content-type;host;x-amz-date;x-amz-security-token;x-amz-target"
                         : "content-type;host;x-amz-date;x-amz-target";
  canon_len = strlen (host) + (token ? strlen (token) : 0) + 512;
  canonical = malloc (canon_len);
  snprintf (canonical, canon_len,
            "POST\n/\n\n"
            "content-type:" CONTENT_TYPE "\n"
            "host:%s\n"
            "x-amz-date:%s\n"
            "%s%s%s"
            "x-amz-target:" TARGET "\n"
            "\n%s\n%s",
            host, amzdate,
            token ? "x-amz-security-token:" : "", token ? token : "", token ? "\n" : "",
            signed_headers, body_hash);
  tv_sha256_hex (canonical, strlen (canonical), canon_hash);
  to_sign = malloc (512);
  snprintf (to_sign, 512, "AWS4-HMAC-SHA256\n%s\n%s/%s/" SERVICE "/aws4_request\n%s",
            amzdate, date8, region, canon_hash);
  tv_sigv4_signature (secret, date8, region, SERVICE, to_sign, signature);

  snprintf (h_auth, sizeof h_auth,
            "Authorization: AWS4-HMAC-SHA256 Credential=%s/%s/%s/" SERVICE "/aws4_request, "
            "SignedHeaders=%s, Signature=%s", akid, date8, region, signed_headers, signature);
  snprintf (h_date, sizeof h_date, "X-Amz-Date: %s", amzdate);
  snprintf (h_target, sizeof h_target, "X-Amz-Target: " TARGET);
  snprintf (h_host, sizeof h_host, "Host: %s", host);
  headers[n_headers++] = h_auth;
  headers[n_headers++] = h_date;
  headers[n_headers++] = h_target;
  headers[n_headers++] = h_host;
  if (token)
    {
      size_t tl = strlen (token) + 32;

      h_token = malloc (tl);
      snprintf (h_token, tl, "X-Amz-Security-Token: %s", token);
      headers[n_headers++] = h_token;
    }
  headers[n_headers] = NULL;

  req.method = "POST";
  req.url = endpoint;
  req.body = body;
  req.body_len = strlen (body);
  req.content_type = CONTENT_TYPE;
  req.extra_headers = headers;
  req.timeout_ms = timeout_ms;
  req.max_body = 128 * 1024;
  if (!tv_http_perform (http, &req, &resp, err, errlen))
    goto out;
  if (resp.status != 200)
    {
      tv_set_error (err, errlen, "Secrets Manager answered HTTP %ld", resp.status);
      goto out;
    }
  doc = json_loadb (resp.body, resp.body_len, 0, NULL);
  str = json_string_value (json_object_get (doc, "SecretString"));
  if (str == NULL || str[0] == '\0')
    {
      tv_set_error (err, errlen, "the secret has no SecretString");
      goto out;
    }
  inner = str[0] == '{' ? json_loads (str, 0, NULL) : NULL;
  if (json_is_object (inner))
    {
      str = json_string_value (json_object_get (inner, "client_secret"));
      if (str == NULL || str[0] == '\0')
        {
          tv_set_error (err, errlen, "the secret's JSON has no \"client_secret\"");
          goto out;
        }
    }
  *value = strdup (str);
  ok = *value != NULL;

out:
  if (resp.body)
    OPENSSL_cleanse (resp.body, resp.body_len);
  tv_http_response_clear (&resp);
  json_decref (inner);
  json_decref (doc);
  free (body);
  free (canonical);
  free (to_sign);
  free (h_token);
  OPENSSL_cleanse (h_auth, sizeof h_auth);
  return ok;
}
