/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "tv-config.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tv-util.h"

const char *const tv_config_env_names[] = {
  "SMART_ISSUER",
  "SMART_IDP",
  "SMART_JWKS_URI",
  "SMART_CLIENT_IDS",
  "SMART_AUDIENCE",
  "HEALTHLAKE_ROLE_ARN",
  "SMART_PATIENT_CLAIM",
  "SMART_FHIRUSER_CLAIM",
  "SMART_ALLOWED_ALGS",
  "SMART_LEEWAY_SECONDS",
  "SMART_JWKS_TTL_SECONDS",
  "SMART_INTROSPECTION_URL",
  "SMART_INTROSPECTION_CLIENT_ID",
  "SMART_INTROSPECTION_CLIENT_SECRET",
  NULL
};

static const struct
{
  const char *name;
  TvAlg alg;
} alg_names[] = {
  { "RS256", TV_ALG_RS256 },
  { "RS384", TV_ALG_RS384 },
  { "RS512", TV_ALG_RS512 },
  { "PS256", TV_ALG_PS256 },
  { "PS384", TV_ALG_PS384 },
  { "ES256", TV_ALG_ES256 },
  { "ES384", TV_ALG_ES384 },
};

unsigned
tv_alg_from_string (const char *name)
{
  /* Case-sensitive on purpose: RFC 7518 names are case-sensitive, and
   * accepting "none"/"None" variants is how validators get fooled. */
  for (size_t i = 0; i < sizeof alg_names / sizeof alg_names[0]; i++)
    if (strcmp (name, alg_names[i].name) == 0)
      return alg_names[i].alg;
  return 0;
}

const char *
tv_idp_to_string (TvIdp idp)
{
  switch (idp)
    {
    case TV_IDP_COGNITO:
      return "cognito";
    case TV_IDP_KEYCLOAK:
      return "keycloak";
    case TV_IDP_GENERIC:
    default:
      return "generic";
    }
}

static char *
env_dup (const char *name)
{
  const char *v = getenv (name);

  if (v == NULL || v[0] == '\0')
    return NULL;
  return strdup (v);
}

static bool
host_is_loopback (const char *host)
{
  struct in_addr a4;
  struct in6_addr a6;
  char buf[64];
  size_t n;

  if (strcasecmp (host, "localhost") == 0)
    return true;
  if (inet_pton (AF_INET, host, &a4) == 1)
    return (ntohl (a4.s_addr) >> 24) == 127;
  n = strlen (host);
  if (n > 2 && n < sizeof buf && host[0] == '[' && host[n - 1] == ']')
    {
      memcpy (buf, host + 1, n - 2);
      buf[n - 2] = '\0';
      if (inet_pton (AF_INET6, buf, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK (&a6);
    }
  return false;
}

bool
tv_url_is_allowed (const char *url)
{
  CURLU *u;
  char *scheme = NULL, *host = NULL;
  bool ok = false;

  if (url == NULL)
    return false;
  u = curl_url ();
  if (u == NULL)
    return false;
  if (curl_url_set (u, CURLUPART_URL, url, 0) != CURLUE_OK)
    goto out;
  if (curl_url_get (u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK
      || curl_url_get (u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
    goto out;
  if (strcasecmp (scheme, "https") == 0)
    ok = true;
  else if (strcasecmp (scheme, "http") == 0)
    ok = host_is_loopback (host);

out:
  curl_free (scheme);
  curl_free (host);
  curl_url_cleanup (u);
  return ok;
}

const char *
tv_config_find_ca_file (void)
{
  /* Lambda's provided.al2023 is Amazon Linux: its bundle is not where
   * Debian's libcurl looks by default, so probe both. */
  static const char *const candidates[] = {
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/certs/ca-certificates.crt",
  };
  const char *env = getenv ("SSL_CERT_FILE");

  if (env && env[0] && access (env, R_OK) == 0)
    return env;
  for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
    if (access (candidates[i], R_OK) == 0)
      return candidates[i];
  return NULL;
}

static bool
parse_long (const char *name, long def, long min, long max, long *out,
            char *err, size_t errlen)
{
  const char *v = getenv (name);
  char *end;
  long n;

  if (v == NULL || v[0] == '\0')
    {
      *out = def;
      return true;
    }
  errno = 0;
  n = strtol (v, &end, 10);
  if (errno != 0 || *end != '\0' || n < min || n > max)
    {
      tv_set_error (err, errlen, "%s must be an integer between %ld and %ld",
                    name, min, max);
      return false;
    }
  *out = n;
  return true;
}

static char *
trim (char *s)
{
  char *e;

  while (*s == ' ' || *s == '\t')
    s++;
  e = s + strlen (s);
  while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
    *--e = '\0';
  return s;
}

static bool
parse_client_ids (TvConfig *cfg, char *err, size_t errlen)
{
  char *list = env_dup ("SMART_CLIENT_IDS");
  char *save = NULL, *tok;

  if (list == NULL)
    return true;
  for (tok = strtok_r (list, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      char *id = trim (tok);
      char **n;

      if (*id == '\0')
        continue;
      n = realloc (cfg->client_ids, (cfg->n_client_ids + 1) * sizeof (char *));
      if (n == NULL)
        break;
      cfg->client_ids = n;
      cfg->client_ids[cfg->n_client_ids++] = strdup (id);
    }
  free (list);
  if (cfg->n_client_ids == 0)
    {
      tv_set_error (err, errlen, "SMART_CLIENT_IDS is set but lists no client id");
      return false;
    }
  return true;
}

static bool
parse_algs (TvConfig *cfg, char *err, size_t errlen)
{
  char *list = env_dup ("SMART_ALLOWED_ALGS");
  char *save = NULL, *tok;
  bool ok = true;

  if (list == NULL)
    {
      cfg->allowed_algs = TV_ALG_RS256;
      return true;
    }
  cfg->allowed_algs = 0;
  for (tok = strtok_r (list, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      char *name = trim (tok);
      unsigned a;

      if (*name == '\0')
        continue;
      a = tv_alg_from_string (name);
      if (a == 0)
        {
          tv_set_error (err, errlen,
                        "SMART_ALLOWED_ALGS: unsupported algorithm \"%.32s\" "
                        "(supported: RS256 RS384 RS512 PS256 PS384 ES256 ES384)",
                        name);
          ok = false;
          break;
        }
      cfg->allowed_algs |= a;
    }
  free (list);
  if (ok && cfg->allowed_algs == 0)
    {
      tv_set_error (err, errlen, "SMART_ALLOWED_ALGS lists no algorithm");
      ok = false;
    }
  return ok;
}

static char *
join2 (const char *a, const char *b)
{
  size_t la = strlen (a), lb = strlen (b);
  char *s = malloc (la + lb + 1);

  if (s == NULL)
    return NULL;
  memcpy (s, a, la);
  memcpy (s + la, b, lb + 1);
  return s;
}

static char *
issuer_join (const char *issuer, const char *suffix)
{
  size_t n = strlen (issuer);
  char *base, *r;

  /* A trailing slash on the issuer must not yield "//.well-known". */
  base = strdup (issuer);
  if (base == NULL)
    return NULL;
  while (n > 0 && base[n - 1] == '/')
    base[--n] = '\0';
  r = join2 (base, suffix);
  free (base);
  return r;
}

bool
tv_config_load (TvConfig *cfg, char *err, size_t errlen)
{
  char *idp;

  memset (cfg, 0, sizeof *cfg);

  cfg->issuer = env_dup ("SMART_ISSUER");
  if (cfg->issuer == NULL)
    {
      tv_set_error (err, errlen, "SMART_ISSUER is required");
      return false;
    }
  cfg->role_arn = env_dup ("HEALTHLAKE_ROLE_ARN");
  if (cfg->role_arn == NULL)
    {
      tv_set_error (err, errlen, "HEALTHLAKE_ROLE_ARN is required");
      return false;
    }

  idp = env_dup ("SMART_IDP");
  if (idp == NULL || strcmp (idp, "generic") == 0)
    cfg->idp = TV_IDP_GENERIC;
  else if (strcmp (idp, "cognito") == 0)
    cfg->idp = TV_IDP_COGNITO;
  else if (strcmp (idp, "keycloak") == 0)
    cfg->idp = TV_IDP_KEYCLOAK;
  else
    {
      tv_set_error (err, errlen,
                    "SMART_IDP must be cognito, keycloak or generic");
      free (idp);
      return false;
    }
  free (idp);

  cfg->jwks_uri = env_dup ("SMART_JWKS_URI");
  if (cfg->jwks_uri == NULL)
    {
      switch (cfg->idp)
        {
        case TV_IDP_COGNITO:
          cfg->jwks_uri = issuer_join (cfg->issuer, "/.well-known/jwks.json");
          break;
        case TV_IDP_KEYCLOAK:
          cfg->jwks_uri = issuer_join (cfg->issuer, "/protocol/openid-connect/certs");
          break;
        case TV_IDP_GENERIC:
        default:
          cfg->discovery_uri = issuer_join (cfg->issuer,
                                            "/.well-known/openid-configuration");
          break;
        }
    }
  if (cfg->jwks_uri && !tv_url_is_allowed (cfg->jwks_uri))
    {
      tv_set_error (err, errlen,
                    "the JWKS URL must be https:// (http:// only for loopback hosts)");
      return false;
    }
  if (cfg->discovery_uri && !tv_url_is_allowed (cfg->discovery_uri))
    {
      tv_set_error (err, errlen,
                    "SMART_ISSUER must be https:// (http:// only for loopback "
                    "hosts) to discover the JWKS; or set SMART_JWKS_URI");
      return false;
    }

  if (!parse_client_ids (cfg, err, errlen))
    return false;
  cfg->audience = env_dup ("SMART_AUDIENCE");

  cfg->patient_claim = env_dup ("SMART_PATIENT_CLAIM");
  if (cfg->patient_claim == NULL)
    cfg->patient_claim = strdup (cfg->idp == TV_IDP_COGNITO ? "custom:patient"
                                 : cfg->idp == TV_IDP_KEYCLOAK ? "patient_id"
                                 : "patient");
  cfg->fhiruser_claim = env_dup ("SMART_FHIRUSER_CLAIM");
  if (cfg->fhiruser_claim == NULL)
    cfg->fhiruser_claim = strdup (cfg->idp == TV_IDP_COGNITO ? "custom:fhirUser"
                                  : "fhirUser");

  if (!parse_algs (cfg, err, errlen))
    return false;
  if (!parse_long ("SMART_LEEWAY_SECONDS", 30, 0, 300, &cfg->leeway_seconds,
                   err, errlen))
    return false;
  /* Down to 1 s so that tests can watch a refresh; a refresh attempt
   * happens at most once per TTL, so even that cannot flood the IdP. */
  if (!parse_long ("SMART_JWKS_TTL_SECONDS", 3600, 1, 7 * 86400,
                   &cfg->jwks_ttl_seconds, err, errlen))
    return false;

  cfg->introspection_url = env_dup ("SMART_INTROSPECTION_URL");
  cfg->introspection_client_id = env_dup ("SMART_INTROSPECTION_CLIENT_ID");
  cfg->introspection_client_secret = env_dup ("SMART_INTROSPECTION_CLIENT_SECRET");
  if (cfg->introspection_url)
    {
      if (!tv_url_is_allowed (cfg->introspection_url))
        {
          tv_set_error (err, errlen,
                        "SMART_INTROSPECTION_URL must be https:// (http:// only "
                        "for loopback hosts)");
          return false;
        }
      if (cfg->introspection_client_id == NULL
          || cfg->introspection_client_secret == NULL)
        {
          tv_set_error (err, errlen,
                        "SMART_INTROSPECTION_URL needs SMART_INTROSPECTION_CLIENT_ID "
                        "and SMART_INTROSPECTION_CLIENT_SECRET");
          return false;
        }
    }

  cfg->ca_file = tv_config_find_ca_file ();
  return true;
}

void
tv_config_clear (TvConfig *cfg)
{
  free (cfg->issuer);
  free (cfg->jwks_uri);
  free (cfg->discovery_uri);
  for (size_t i = 0; i < cfg->n_client_ids; i++)
    free (cfg->client_ids[i]);
  free (cfg->client_ids);
  free (cfg->audience);
  free (cfg->role_arn);
  free (cfg->patient_claim);
  free (cfg->fhiruser_claim);
  free (cfg->introspection_url);
  free (cfg->introspection_client_id);
  if (cfg->introspection_client_secret)
    {
      /* Do not leave the secret lying around in freed heap memory. */
      OPENSSL_cleanse (cfg->introspection_client_secret,
                              strlen (cfg->introspection_client_secret));
      free (cfg->introspection_client_secret);
    }
  memset (cfg, 0, sizeof *cfg);
}

char *
tv_config_to_json (const TvConfig *cfg)
{
  json_t *o = json_object ();
  json_t *ids = json_array ();
  json_t *algs = json_array ();
  char *s;

  for (size_t i = 0; i < cfg->n_client_ids; i++)
    json_array_append_new (ids, json_string (cfg->client_ids[i]));
  for (size_t i = 0; i < sizeof alg_names / sizeof alg_names[0]; i++)
    if (cfg->allowed_algs & alg_names[i].alg)
      json_array_append_new (algs, json_string (alg_names[i].name));

  json_object_set_new (o, "SMART_ISSUER", json_string (cfg->issuer));
  json_object_set_new (o, "SMART_IDP", json_string (tv_idp_to_string (cfg->idp)));
  json_object_set_new (o, "SMART_JWKS_URI",
                       cfg->jwks_uri ? json_string (cfg->jwks_uri) : json_null ());
  if (cfg->discovery_uri)
    json_object_set_new (o, "discovery", json_string (cfg->discovery_uri));
  json_object_set_new (o, "SMART_CLIENT_IDS", ids);
  json_object_set_new (o, "SMART_AUDIENCE",
                       cfg->audience ? json_string (cfg->audience) : json_null ());
  json_object_set_new (o, "HEALTHLAKE_ROLE_ARN", json_string (cfg->role_arn));
  json_object_set_new (o, "SMART_PATIENT_CLAIM", json_string (cfg->patient_claim));
  json_object_set_new (o, "SMART_FHIRUSER_CLAIM", json_string (cfg->fhiruser_claim));
  json_object_set_new (o, "SMART_ALLOWED_ALGS", algs);
  json_object_set_new (o, "SMART_LEEWAY_SECONDS", json_integer (cfg->leeway_seconds));
  json_object_set_new (o, "SMART_JWKS_TTL_SECONDS", json_integer (cfg->jwks_ttl_seconds));
  json_object_set_new (o, "SMART_INTROSPECTION_URL",
                       cfg->introspection_url ? json_string (cfg->introspection_url)
                                              : json_null ());
  json_object_set_new (o, "SMART_INTROSPECTION_CLIENT_ID",
                       cfg->introspection_client_id
                         ? json_string (cfg->introspection_client_id) : json_null ());
  /* Never the value: only whether it is set. */
  json_object_set_new (o, "SMART_INTROSPECTION_CLIENT_SECRET",
                       json_string (cfg->introspection_client_secret == NULL ? "(unset)"
                                    : tv_str_has_prefix (cfg->introspection_client_secret,
                                                         "arn:aws:secretsmanager:")
                                    ? "(Secrets Manager ARN, read at init)" : "(set)"));
  json_object_set_new (o, "ca_file",
                       cfg->ca_file ? json_string (cfg->ca_file) : json_null ());

  s = json_dumps (o, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
  json_decref (o);
  return s;
}
