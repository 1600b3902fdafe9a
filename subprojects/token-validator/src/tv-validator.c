/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "tv-validator.h"

#include <cjose/cjose.h>
#include <curl/curl.h>
#include <math.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tv-secrets.h"
#include "tv-smart.h"
#include "tv-util.h"

/* Network work inside an invocation never gets less than this, or it is
 * not worth starting. */
#define MIN_NETWORK_MS 20

json_t *
tv_is_authorized_value (bool allowed)
{
  /* HealthLake's documentation shows both a string and a boolean; AWS's
   * sample code returns a boolean.  For the string form, return
   * json_string (allowed ? "true" : "false") instead (see README). */
  return json_boolean (allowed);
}

static bool
discover_jwks_uri (TvValidator *v, long timeout_ms, char *err, size_t errlen)
{
  const TvConfig *cfg = v->config;
  TvHttpRequest req = { 0 };
  TvHttpResponse resp;
  json_t *doc;
  const char *iss, *uri;
  bool ok = false;

  req.method = "GET";
  req.url = cfg->discovery_uri;
  req.timeout_ms = timeout_ms;
  req.max_body = 256 * 1024;
  if (!tv_http_perform (v->idp_http, &req, &resp, err, errlen))
    return false;
  if (resp.status != 200)
    {
      tv_set_error (err, errlen, "OpenID discovery answered HTTP %ld", resp.status);
      tv_http_response_clear (&resp);
      return false;
    }
  doc = json_loadb (resp.body, resp.body_len, 0, NULL);
  tv_http_response_clear (&resp);
  iss = json_string_value (json_object_get (doc, "issuer"));
  uri = json_string_value (json_object_get (doc, "jwks_uri"));
  if (iss == NULL || strcmp (iss, cfg->issuer) != 0)
    tv_set_error (err, errlen, "OpenID discovery names another issuer");
  else if (uri == NULL || !tv_url_is_allowed (uri))
    tv_set_error (err, errlen,
                  "OpenID discovery has no https:// jwks_uri (http:// only for "
                  "loopback hosts)");
  else
    {
      free (v->jwks.uri);
      v->jwks.uri = strdup (uri);
      ok = true;
    }
  json_decref (doc);
  return ok;
}

bool
tv_validator_init (TvValidator *v, const TvConfig *config, bool network,
                   long timeout_ms, char *err, size_t errlen)
{
  memset (v, 0, sizeof *v);
  v->config = config;
  tv_jwks_init (&v->jwks, config->jwks_uri, config->jwks_ttl_seconds);
  if (!network)
    return true;
  v->idp_http = tv_http_new (config->ca_file, true);
  if (v->idp_http == NULL)
    {
      tv_set_error (err, errlen, "cannot create an HTTP client");
      return false;
    }
  if (tv_secrets_is_arn (config->introspection_client_secret))
    {
      char why[256];

      if (!tv_secrets_get (v->idp_http, config->introspection_client_secret,
                           timeout_ms, &v->introspection_secret, why, sizeof why))
        {
          tv_set_error (err, errlen, "cannot read the introspection secret: %s", why);
          v->secret_failed = true;
          return false;
        }
    }
  if (v->jwks.uri == NULL && config->discovery_uri
      && !discover_jwks_uri (v, timeout_ms, err, errlen))
    return false;
  return tv_jwks_fetch (&v->jwks, v->idp_http, timeout_ms, err, errlen);
}

void
tv_validator_clear (TvValidator *v)
{
  tv_jwks_clear (&v->jwks);
  tv_http_free (v->idp_http);
  if (v->introspection_secret)
    {
      OPENSSL_cleanse (v->introspection_secret, strlen (v->introspection_secret));
      free (v->introspection_secret);
    }
  memset (v, 0, sizeof *v);
}

void
tv_decision_clear (TvDecision *d)
{
  json_decref (d->auth_payload);
  memset (d, 0, sizeof *d);
}

static bool
deny (TvDecision *d, const char *reason)
{
  d->allow = false;
  d->reason = reason;
  return false;
}

/* Copies an attacker-controlled string for the log: printable ASCII only. */
static void
sanitize_copy (char *dst, size_t dstlen, const char *src)
{
  size_t i;

  for (i = 0; src[i] && i + 1 < dstlen; i++)
    {
      unsigned char c = (unsigned char) src[i];

      dst[i] = (c >= 0x20 && c < 0x7f) ? (char) c : '?';
    }
  dst[i] = '\0';
}

static json_t *
decode_json_segment (const char *seg, size_t len)
{
  uint8_t *raw = NULL;
  size_t raw_len = 0;
  cjose_err cerr;
  json_t *j;

  if (!cjose_base64url_decode (seg, len, &raw, &raw_len, &cerr))
    return NULL;
  j = json_loadb ((const char *) raw, raw_len, JSON_REJECT_DUPLICATES, NULL);
  cjose_get_dealloc () (raw);
  if (!json_is_object (j))
    {
      json_decref (j);
      return NULL;
    }
  return j;
}

static bool
key_matches_alg (const TvKey *key, const char *alg_name, unsigned alg)
{
  if (key->alg && strcmp (key->alg, alg_name) != 0)
    return false;
  switch (alg)
    {
    case TV_ALG_RS256:
    case TV_ALG_RS384:
    case TV_ALG_RS512:
    case TV_ALG_PS256:
    case TV_ALG_PS384:
      return key->type == TV_KEY_RSA;
    case TV_ALG_ES256:
      return key->type == TV_KEY_EC_P256;
    case TV_ALG_ES384:
      return key->type == TV_KEY_EC_P384;
    default:
      return false;
    }
}

static long
clamp_budget (long budget_ms)
{
  /* HealthLake gives up on the Lambda after 1 s whatever the function's
   * own timeout, so network work inside an invocation never gets more
   * than 700 ms: past that, the answer would arrive too late to matter. */
  return budget_ms > 700 ? 700 : budget_ms;
}

static void
maybe_refresh (TvValidator *v, long budget_ms)
{
  char err[256];

  if (v->idp_http == NULL || budget_ms < MIN_NETWORK_MS
      || !tv_jwks_refresh_due (&v->jwks))
    return;
  if (!tv_jwks_fetch (&v->jwks, v->idp_http, clamp_budget (budget_ms),
                      err, sizeof err))
    tv_log ("warn", "JWKS refresh failed, keeping %zu cached keys: %s",
            v->jwks.n_keys, err);
}

static const TvKey *
find_key_refetching (TvValidator *v, const char *kid, long budget_ms)
{
  const TvKey *key = tv_jwks_find (&v->jwks, kid);
  int64_t now;
  char err[256];

  if (key || v->idp_http == NULL || budget_ms < MIN_NETWORK_MS)
    return key;
  now = tv_now_mono_us ();
  if (now < v->jwks.next_unknown_kid_us)
    return NULL;
  /* At most one refetch a minute, so a stream of tokens with made-up kids
   * cannot turn the validator into a load generator against the IdP. */
  v->jwks.next_unknown_kid_us = now + TV_JWKS_UNKNOWN_KID_INTERVAL_US;
  if (!tv_jwks_fetch (&v->jwks, v->idp_http, clamp_budget (budget_ms),
                      err, sizeof err))
    {
      tv_log ("warn", "JWKS refetch for an unknown kid failed: %s", err);
      return NULL;
    }
  return tv_jwks_find (&v->jwks, kid);
}

static bool
get_numeric_date (json_t *claims, const char *name, bool *present, int64_t *out)
{
  json_t *j = json_object_get (claims, name);
  double n;

  *present = j != NULL;
  if (j == NULL)
    return true;
  if (!json_is_number (j))
    return false;
  n = json_number_value (j);
  if (!isfinite (n) || n < 0 || n > 1e12)
    return false;
  *out = (int64_t) n;
  return true;
}

static bool
aud_contains (json_t *aud, const char *value)
{
  size_t i;
  json_t *e;

  if (json_is_string (aud))
    return strcmp (json_string_value (aud), value) == 0;
  if (json_is_array (aud))
    json_array_foreach (aud, i, e)
      if (json_is_string (e) && strcmp (json_string_value (e), value) == 0)
        return true;
  return false;
}

static bool
client_allowed (const TvConfig *cfg, json_t *claims)
{
  const char *client_id = json_string_value (json_object_get (claims, "client_id"));
  const char *azp = json_string_value (json_object_get (claims, "azp"));
  json_t *aud = json_object_get (claims, "aud");

  for (size_t i = 0; i < cfg->n_client_ids; i++)
    {
      const char *want = cfg->client_ids[i];

      if ((client_id && strcmp (client_id, want) == 0)
          || (azp && strcmp (azp, want) == 0)
          || aud_contains (aud, want))
        return true;
    }
  return false;
}

/* Appends scope words to buf (space-separated), checking each. */
static bool
collect_scope_words (const char *s, char **buf, size_t *len, size_t *cap,
                     bool *has_resource, bool *has_patient)
{
  while (*s)
    {
      const char *w;
      size_t wl;
      bool is_patient = false;

      while (*s == ' ')
        s++;
      w = s;
      while (*s && *s != ' ')
        s++;
      wl = (size_t) (s - w);
      if (wl == 0)
        continue;
      for (size_t i = 0; i < wl; i++)
        if ((unsigned char) w[i] < 0x21 || (unsigned char) w[i] == 0x7f)
          return false;
      if (tv_scope_is_smart_resource (w, wl, &is_patient))
        {
          *has_resource = true;
          if (is_patient)
            *has_patient = true;
        }
      if (*len + wl + 2 > *cap)
        {
          size_t ncap = (*cap ? *cap : 256);
          char *nb;

          while (*len + wl + 2 > ncap)
            ncap *= 2;
          nb = realloc (*buf, ncap);
          if (nb == NULL)
            return false;
          *buf = nb;
          *cap = ncap;
        }
      if (*len)
        (*buf)[(*len)++] = ' ';
      memcpy (*buf + *len, w, wl);
      *len += wl;
      (*buf)[*len] = '\0';
    }
  return true;
}

/* Every claim rule from the issue, shared by JWTs and introspection
 * responses. */
bool
tv_validator_check_claims (TvValidator *v, json_t *claims,
                           const char *datastore_endpoint, TvDecision *d)
{
  const TvConfig *cfg = v->config;
  const char *iss, *client, *uid;
  int64_t now = tv_now_seconds (), exp = 0, nbf = 0, iat = 0;
  bool has_exp, has_nbf, has_iat;
  json_t *scope_j, *patient_j, *fhiruser_j;
  char *scope = NULL;
  size_t scope_len = 0, scope_cap = 0;
  bool has_resource = false, has_patient_scope = false;
  char patient[80] = "", fhiruser[160] = "";
  json_t *p;

  iss = json_string_value (json_object_get (claims, "iss"));
  if (iss == NULL || strcmp (iss, cfg->issuer) != 0)
    return deny (d, "bad_iss");

  if (!get_numeric_date (claims, "exp", &has_exp, &exp))
    return deny (d, "bad_exp");
  if (!has_exp)
    return deny (d, "no_exp");
  if (exp + cfg->leeway_seconds <= now)
    return deny (d, "expired");
  if (!get_numeric_date (claims, "nbf", &has_nbf, &nbf))
    return deny (d, "bad_nbf");
  if (has_nbf && nbf - cfg->leeway_seconds > now)
    return deny (d, "not_yet_valid");
  if (!get_numeric_date (claims, "iat", &has_iat, &iat))
    return deny (d, "bad_iat");
  if (has_iat && iat - cfg->leeway_seconds > now)
    return deny (d, "iat_in_future");

  if (cfg->idp == TV_IDP_COGNITO)
    {
      const char *use = json_string_value (json_object_get (claims, "token_use"));

      if (use == NULL || strcmp (use, "access") != 0)
        return deny (d, "not_access_token");
    }
  else if (cfg->idp == TV_IDP_KEYCLOAK)
    {
      /* Keycloak marks id tokens "typ": "ID" and access tokens "Bearer". */
      json_t *typ = json_object_get (claims, "typ");

      if (typ && !(json_is_string (typ)
                   && strcmp (json_string_value (typ), "Bearer") == 0))
        return deny (d, "not_access_token");
    }

  client = json_string_value (json_object_get (claims, "client_id"));
  if (client == NULL)
    client = json_string_value (json_object_get (claims, "azp"));
  if (client)
    sanitize_copy (d->client_id, sizeof d->client_id, client);
  if (cfg->n_client_ids > 0 && !client_allowed (cfg, claims))
    return deny (d, "bad_client");
  if (cfg->audience && !aud_contains (json_object_get (claims, "aud"), cfg->audience))
    return deny (d, "bad_aud");

  scope_j = json_object_get (claims, "scope");
  if (scope_j == NULL)
    scope_j = json_object_get (claims, "scp");
  if (json_is_string (scope_j))
    {
      if (!collect_scope_words (json_string_value (scope_j), &scope, &scope_len,
                                &scope_cap, &has_resource, &has_patient_scope))
        goto bad_scope;
    }
  else if (json_is_array (scope_j))
    {
      size_t i;
      json_t *e;

      json_array_foreach (scope_j, i, e)
        if (!json_is_string (e)
            || !collect_scope_words (json_string_value (e), &scope, &scope_len,
                                     &scope_cap, &has_resource, &has_patient_scope))
          goto bad_scope;
    }
  if (!has_resource)
    {
      free (scope);
      return deny (d, "no_smart_scope");
    }

  patient_j = json_object_get (claims, cfg->patient_claim);
  if (patient_j)
    {
      if (!json_is_string (patient_j)
          || !tv_patient_id_reduce (json_string_value (patient_j), patient,
                                    sizeof patient))
        {
          free (scope);
          return deny (d, "bad_patient_claim");
        }
    }
  else if (has_patient_scope)
    {
      free (scope);
      return deny (d, "no_patient_claim");
    }

  fhiruser_j = json_object_get (claims, cfg->fhiruser_claim);
  if (fhiruser_j
      && (!json_is_string (fhiruser_j)
          || !tv_reference_reduce (json_string_value (fhiruser_j), fhiruser,
                                   sizeof fhiruser)))
    {
      free (scope);
      return deny (d, "bad_fhiruser_claim");
    }

  uid = NULL;
  if (cfg->idp == TV_IDP_COGNITO)
    uid = json_string_value (json_object_get (claims, "username"));
  if (uid == NULL)
    uid = json_string_value (json_object_get (claims, "sub"));

  /* nbf falls back to iat (IdPs rarely send nbf); a token with neither gets
   * the decision time, so the required field is always present. */
  if (!has_iat)
    iat = has_nbf ? nbf : now;
  if (!has_nbf)
    nbf = iat;

  p = json_object ();
  json_object_set_new (p, "iss", json_string (iss));
  json_object_set_new (p, "aud", json_string (datastore_endpoint));
  json_object_set_new (p, "iat", json_integer (iat));
  json_object_set_new (p, "nbf", json_integer (nbf));
  json_object_set_new (p, "exp", json_integer (exp));
  json_object_set_new (p, "isAuthorized", tv_is_authorized_value (true));
  if (uid)
    json_object_set_new (p, "uid", json_string (uid));
  json_object_set_new (p, "scope", json_string (scope));
  if (fhiruser[0])
    json_object_set_new (p, "fhirUser", json_string (fhiruser));
  if (patient[0])
    json_object_set_new (p, "patient", json_string (patient));
  free (scope);

  d->auth_payload = p;
  d->allow = true;
  d->reason = "ok";
  return true;

bad_scope:
  free (scope);
  return deny (d, "bad_scope");
}

/* RFC 7662.  Returns the response object (caller unrefs) or NULL with the
 * reason set. */
static json_t *
introspect (TvValidator *v, const char *token, size_t len, long budget_ms,
            TvDecision *d)
{
  const TvConfig *cfg = v->config;
  TvHttpRequest req = { 0 };
  TvHttpResponse resp;
  char *escaped, *body;
  size_t body_len;
  json_t *r;
  char err[256];

  const char *secret = v->introspection_secret ? v->introspection_secret
                                               : cfg->introspection_client_secret;

  /* An unresolved ARN is never sent as a password. */
  if (v->idp_http == NULL || budget_ms < MIN_NETWORK_MS || tv_secrets_is_arn (secret))
    {
      deny (d, "introspection_failed");
      return NULL;
    }
  escaped = curl_easy_escape (NULL, token, (int) len);
  if (escaped == NULL)
    {
      deny (d, "introspection_failed");
      return NULL;
    }
  body_len = strlen (escaped) + 64;
  body = malloc (body_len);
  if (body == NULL)
    {
      curl_free (escaped);
      deny (d, "introspection_failed");
      return NULL;
    }
  snprintf (body, body_len, "token=%s&token_type_hint=access_token", escaped);
  curl_free (escaped);

  req.method = "POST";
  req.url = cfg->introspection_url;
  req.body = body;
  req.body_len = strlen (body);
  req.content_type = "application/x-www-form-urlencoded";
  req.extra_header = "Accept: application/json";
  req.basic_user = cfg->introspection_client_id;
  req.basic_password = secret;
  req.timeout_ms = clamp_budget (budget_ms);
  req.max_body = 64 * 1024;
  if (!tv_http_perform (v->idp_http, &req, &resp, err, sizeof err))
    {
      tv_log ("warn", "introspection failed: %s", err);
      free (body);
      deny (d, "introspection_failed");
      return NULL;
    }
  free (body);
  if (resp.status != 200)
    {
      tv_log ("warn", "introspection answered HTTP %ld", resp.status);
      tv_http_response_clear (&resp);
      deny (d, "introspection_failed");
      return NULL;
    }
  r = json_loadb (resp.body, resp.body_len, 0, NULL);
  tv_http_response_clear (&resp);
  if (!json_is_object (r))
    {
      json_decref (r);
      deny (d, "introspection_failed");
      return NULL;
    }
  if (!json_is_true (json_object_get (r, "active")))
    {
      json_decref (r);
      deny (d, "token_inactive");
      return NULL;
    }
  return r;
}

static void
check_jws (TvValidator *v, const char *token, size_t len,
           const char *datastore_endpoint, long budget_ms, TvDecision *d)
{
  const TvConfig *cfg = v->config;
  const char *dot1, *dot2, *alg_name, *kid;
  json_t *header = NULL, *claims = NULL, *typ;
  cjose_jws_t *jws = NULL;
  cjose_err cerr;
  const TvKey *key = NULL;
  unsigned alg;
  uint8_t *plain = NULL;
  size_t plain_len = 0;

  dot1 = memchr (token, '.', len);
  dot2 = memchr (dot1 + 1, '.', len - (size_t) (dot1 + 1 - token));
  if (!tv_is_base64url (token, (size_t) (dot1 - token)))
    {
      deny (d, "bad_base64");
      return;
    }
  header = decode_json_segment (token, (size_t) (dot1 - token));
  if (header == NULL)
    {
      deny (d, "bad_header");
      return;
    }
  kid = json_string_value (json_object_get (header, "kid"));
  if (kid)
    sanitize_copy (d->kid, sizeof d->kid, kid);
  else if (json_object_get (header, "kid"))
    {
      deny (d, "bad_header");
      goto out;
    }

  alg_name = json_string_value (json_object_get (header, "alg"));
  alg = alg_name ? tv_alg_from_string (alg_name) : 0;
  if (alg == 0 || !(cfg->allowed_algs & alg))
    {
      deny (d, "alg_not_allowed");
      goto out;
    }
  /* We implement no JWS extension, so any "crit" must be refused
   * (RFC 7515 §4.1.11). */
  if (json_object_get (header, "crit"))
    {
      deny (d, "crit_unsupported");
      goto out;
    }
  typ = json_object_get (header, "typ");
  if (typ && !(json_is_string (typ)
               && (strcasecmp (json_string_value (typ), "JWT") == 0
                   || strcasecmp (json_string_value (typ), "at+jwt") == 0
                   || strcasecmp (json_string_value (typ), "application/at+jwt") == 0)))
    {
      deny (d, "bad_typ");
      goto out;
    }
  /* "jwk", "jku", "x5u" and "x5c" are deliberately never read: keys come
   * from the configured JWKS only. */

  if (!tv_is_base64url (dot1 + 1, (size_t) (dot2 - dot1 - 1))
      || !tv_is_base64url (dot2 + 1, len - (size_t) (dot2 + 1 - token)))
    {
      deny (d, "bad_base64");
      goto out;
    }

  maybe_refresh (v, budget_ms);
  if (kid)
    {
      key = find_key_refetching (v, kid, budget_ms);
      if (key == NULL)
        {
          deny (d, "unknown_kid");
          goto out;
        }
      if (!key_matches_alg (key, alg_name, alg))
        {
          deny (d, "alg_key_mismatch");
          goto out;
        }
    }
  else
    {
      /* Without a kid, only an unambiguous key set is acceptable. */
      size_t n = 0;

      for (size_t i = 0; i < v->jwks.n_keys; i++)
        if (key_matches_alg (&v->jwks.keys[i], alg_name, alg))
          {
            key = &v->jwks.keys[i];
            n++;
          }
      if (n != 1 || v->jwks.n_keys != 1)
        {
          deny (d, "no_kid");
          goto out;
        }
    }

  jws = cjose_jws_import (token, len, &cerr);
  if (jws == NULL)
    {
      deny (d, "malformed_token");
      goto out;
    }
  if (!cjose_jws_verify (jws, key->jwk, &cerr))
    {
      deny (d, "bad_signature");
      goto out;
    }
  if (!cjose_jws_get_plaintext (jws, &plain, &plain_len, &cerr))
    {
      deny (d, "bad_payload");
      goto out;
    }
  claims = json_loadb ((const char *) plain, plain_len, JSON_REJECT_DUPLICATES, NULL);
  if (!json_is_object (claims))
    {
      deny (d, "bad_payload");
      goto out;
    }

  if (!tv_validator_check_claims (v, claims, datastore_endpoint, d))
    goto out;

  if (cfg->introspection_url)
    {
      json_t *r = introspect (v, token, len, budget_ms, d);

      if (r == NULL)
        {
          json_decref (d->auth_payload);
          d->auth_payload = NULL;
          goto out;
        }
      json_decref (r);
    }

out:
  cjose_jws_release (jws);
  json_decref (claims);
  json_decref (header);
}

void
tv_validator_check (TvValidator *v, const char *token, size_t len,
                    const char *datastore_endpoint, long budget_ms,
                    TvDecision *d)
{
  size_t dots = 0;

  memset (d, 0, sizeof *d);
  d->reason = "internal";

  while (len > 0 && (*token == ' ' || *token == '\t'))
    token++, len--;
  if (len >= 7 && strncasecmp (token, "Bearer ", 7) == 0)
    {
      token += 7;
      len -= 7;
      while (len > 0 && *token == ' ')
        token++, len--;
    }
  while (len > 0 && (token[len - 1] == ' ' || token[len - 1] == '\t'
                     || token[len - 1] == '\r' || token[len - 1] == '\n'))
    len--;

  if (len == 0)
    {
      deny (d, "empty_token");
      return;
    }
  if (len > TV_MAX_TOKEN_BYTES)
    {
      deny (d, "token_too_large");
      return;
    }
  if (memchr (token, '\0', len))
    {
      deny (d, "malformed_token");
      return;
    }
  for (size_t i = 0; i < len; i++)
    if (token[i] == '.')
      dots++;

  if (dots == 2)
    {
      check_jws (v, token, len, datastore_endpoint, budget_ms, d);
      return;
    }
  if (dots == 0 && v->config->introspection_url)
    {
      /* An opaque token: the introspection answer is the claim set. */
      json_t *r = introspect (v, token, len, budget_ms, d);

      if (r)
        {
          tv_validator_check_claims (v, r, datastore_endpoint, d);
          json_decref (r);
        }
      return;
    }
  deny (d, "malformed_token");
}
