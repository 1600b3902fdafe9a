/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-core"

#include "config.h"

#include "sv-jwt.h"

#include <cjose/cjose.h>
#include <glib/gi18n.h>
#include <string.h>

#include "sv-error.h"
#include "sv-http.h"
#include "sv-random.h"

/* Clocks of laptops and servers disagree a little; a minute is the usual
 * tolerance of OpenID Connect libraries. */
#define CLOCK_SKEW_SECONDS 60

/* Only asymmetric algorithms: a public client has no shared key, and `none`
 * or HS256 with a public key as secret are the classic JWT forgeries. */
static const char * const allowed_algorithms[] = {
  "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", NULL,
};

static JsonObject *
parse_segment (const char  *segment,
               gsize        length,
               GError     **error)
{
  g_autofree char *text = g_strndup (segment, length);
  g_autofree guint8 *bytes = NULL;
  g_autoptr(GBytes) body = NULL;
  gsize decoded_length = 0;

  bytes = sv_base64url_decode (text, &decoded_length, NULL);
  if (bytes == NULL)
    {
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("The server sent a token that is not a valid JWT. Sign in again, or ask the server’s administrator."));
      return NULL;
    }

  body = g_bytes_new_take (g_steal_pointer (&bytes), decoded_length);
  if (decoded_length == 0)
    {
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("The server sent a token that is not a valid JWT. Sign in again, or ask the server’s administrator."));
      return NULL;
    }

  return sv_json_parse_object (body, NULL, error);
}

static gboolean
split_jwt (const char  *jwt,
           const char **parts,
           gsize       *lengths)
{
  const char *p = jwt;

  for (guint i = 0; i < 3; i++)
    {
      const char *end = strchr (p, '.');

      if (i < 2 && end == NULL)
        return FALSE;
      if (i == 2)
        end = p + strlen (p);
      parts[i] = p;
      lengths[i] = (gsize) (end - p);
      p = end + 1;
    }

  return strchr (parts[2], '.') == NULL;
}

/**
 * sv_jwt_decode_claims:
 * @jwt: a compact JWS
 * @error: return location for an error
 *
 * Reads the claims *without* checking the signature: only for showing a
 * token's shape, or reading claims of an access token that was received
 * directly from the token endpoint over TLS.
 *
 * Returns: (transfer full) (nullable): the claims
 */
JsonObject *
sv_jwt_decode_claims (const char  *jwt,
                      GError     **error)
{
  const char *parts[3];
  gsize lengths[3];

  g_return_val_if_fail (jwt != NULL, NULL);

  if (!split_jwt (jwt, parts, lengths))
    {
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("The token is not a JWT, so it has no claims to show."));
      return NULL;
    }

  return parse_segment (parts[1], lengths[1], error);
}

static JsonObject *
verify_with_key (cjose_jws_t *jws,
                 JsonNode    *key_node)
{
  g_autofree char *key_json = json_to_string (key_node, FALSE);
  cjose_jwk_t *jwk;
  cjose_err err;
  uint8_t *plaintext = NULL;
  size_t plaintext_length = 0;
  JsonObject *claims = NULL;

  jwk = cjose_jwk_import (key_json, strlen (key_json), &err);
  if (jwk == NULL)
    {
      g_debug ("Skipping a key of the key set that cjose cannot import: %s", err.message);
      return NULL;
    }

  if (cjose_jws_verify (jws, jwk, &err) &&
      cjose_jws_get_plaintext (jws, &plaintext, &plaintext_length, &err))
    {
      g_autoptr(GBytes) body = g_bytes_new (plaintext, plaintext_length);

      claims = sv_json_parse_object (body, NULL, NULL);
    }

  cjose_jwk_release (jwk);
  return claims;
}

/**
 * sv_jwt_verify_signature:
 * @jwt: a compact JWS
 * @jwks: the issuer's JSON Web Key Set
 * @jwks_length: its length
 * @error: return location for an error
 *
 * Checks the signature against the key named by `kid` (or any key of the
 * set when the token names none), accepting asymmetric algorithms only.
 *
 * Returns: (transfer full) (nullable): the verified claims
 */
JsonObject *
sv_jwt_verify_signature (const char  *jwt,
                         const char  *jwks,
                         gsize        jwks_length,
                         GError     **error)
{
  g_autoptr(JsonObject) header = NULL;
  g_autoptr(JsonObject) set = NULL;
  g_autoptr(GBytes) jwks_bytes = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *parts[3];
  gsize lengths[3];
  const char *alg;
  const char *kid;
  JsonNode *keys_node;
  JsonArray *keys;
  cjose_jws_t *jws;
  cjose_err err;
  JsonObject *claims = NULL;

  g_return_val_if_fail (jwt != NULL, NULL);
  g_return_val_if_fail (jwks != NULL, NULL);

  if (!split_jwt (jwt, parts, lengths) ||
      (header = parse_segment (parts[0], lengths[0], NULL)) == NULL)
    {
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("The server sent an ID token that is not a valid JWT. Sign in again, or ask the server’s administrator."));
      return NULL;
    }

  alg = sv_json_get_string (header, "alg");
  if (alg == NULL || !g_strv_contains (allowed_algorithms, alg))
    {
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("The server signed the ID token with an algorithm that is not accepted (%s). Ask the server’s administrator to use RS256 or ES256."),
                   alg ? alg : "none");
      return NULL;
    }
  kid = sv_json_get_string (header, "kid");

  jwks_bytes = g_bytes_new (jwks, jwks_length);
  set = sv_json_parse_object (jwks_bytes, NULL, &local_error);
  keys_node = set ? json_object_get_member (set, "keys") : NULL;
  if (keys_node == NULL || !JSON_NODE_HOLDS_ARRAY (keys_node))
    {
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("The identity provider’s key set is not valid, so the sign-in cannot be verified. Ask the server’s administrator."));
      return NULL;
    }
  keys = json_node_get_array (keys_node);

  jws = cjose_jws_import (jwt, strlen (jwt), &err);
  if (jws == NULL)
    {
      g_debug ("cjose cannot import the ID token: %s", err.message);
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("The server sent an ID token that is not a valid JWT. Sign in again, or ask the server’s administrator."));
      return NULL;
    }

  for (guint i = 0; i < json_array_get_length (keys) && claims == NULL; i++)
    {
      JsonNode *key_node = json_array_get_element (keys, i);
      JsonObject *key;
      const char *key_kid;
      const char *use;

      if (!JSON_NODE_HOLDS_OBJECT (key_node))
        continue;
      key = json_node_get_object (key_node);
      key_kid = sv_json_get_string (key, "kid");
      use = sv_json_get_string (key, "use");

      if (kid != NULL && g_strcmp0 (kid, key_kid) != 0)
        continue;
      if (use != NULL && g_strcmp0 (use, "sig") != 0)
        continue;

      claims = verify_with_key (jws, key_node);
    }

  cjose_jws_release (jws);

  if (claims == NULL)
    g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                 _("The ID token’s signature does not match any key of the identity provider. The sign-in cannot be trusted; sign in again, or ask the server’s administrator."));

  return claims;
}

/**
 * sv_jwt_check_id_token_claims:
 * @claims: verified claims
 * @issuer: the expected issuer
 * @client_id: our client id, which `aud` must contain
 * @now: the current time, seconds since the epoch
 * @error: return location for an error
 *
 * Returns: %TRUE when the ID token was issued for us by @issuer and is current
 */
gboolean
sv_jwt_check_id_token_claims (JsonObject  *claims,
                              const char  *issuer,
                              const char  *client_id,
                              gint64       now,
                              GError     **error)
{
  const char *iss = sv_json_get_string (claims, "iss");
  JsonNode *aud = json_object_get_member (claims, "aud");
  gboolean aud_ok = FALSE;
  gint64 exp;

  if (issuer == NULL || g_strcmp0 (iss, issuer) != 0)
    {
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("The ID token was issued by “%s”, not by the expected “%s”. Check the profile’s issuer."),
                   iss ? iss : "?", issuer ? issuer : "?");
      return FALSE;
    }

  if (aud != NULL && JSON_NODE_HOLDS_VALUE (aud) && json_node_get_value_type (aud) == G_TYPE_STRING)
    aud_ok = g_strcmp0 (json_node_get_string (aud), client_id) == 0;
  else if (aud != NULL && JSON_NODE_HOLDS_ARRAY (aud))
    {
      JsonArray *array = json_node_get_array (aud);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);

          if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING &&
              g_strcmp0 (json_node_get_string (element), client_id) == 0)
            aud_ok = TRUE;
        }
    }

  if (!aud_ok)
    {
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("The ID token was not issued for this app (its audience does not contain the client ID “%s”). Check the client ID in the profile."),
                   client_id);
      return FALSE;
    }

  if (!sv_json_get_int (claims, "exp", &exp))
    {
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("The ID token has no expiry time, so it cannot be trusted. Ask the server’s administrator."));
      return FALSE;
    }

  if (exp + CLOCK_SKEW_SECONDS < now)
    {
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("The ID token has expired already. Check that this computer’s clock is right, then sign in again."));
      return FALSE;
    }

  return TRUE;
}

/**
 * sv_jwt_verify_id_token:
 * @jwt: the id_token
 * @jwks: the issuer's key set
 * @jwks_length: its length
 * @issuer: the expected issuer
 * @client_id: our client id
 * @now: the current time, seconds since the epoch
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the claims, once signature, `iss`,
 *   `aud` and `exp` are checked
 */
JsonObject *
sv_jwt_verify_id_token (const char  *jwt,
                        const char  *jwks,
                        gsize        jwks_length,
                        const char  *issuer,
                        const char  *client_id,
                        gint64       now,
                        GError     **error)
{
  g_autoptr(JsonObject) claims = sv_jwt_verify_signature (jwt, jwks, jwks_length, error);

  if (claims == NULL)
    return NULL;

  if (!sv_jwt_check_id_token_claims (claims, issuer, client_id, now, error))
    return NULL;

  return g_steal_pointer (&claims);
}
