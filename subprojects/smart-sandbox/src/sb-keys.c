/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sb-keys"

#include "config.h"

#include "sb-keys.h"

#include <cjose/cjose.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <openssl/crypto.h>
#include <string.h>

/* One signing key.  kid is the RFC 7638 thumbprint of the public part. */
typedef struct
{
  char *kid;
  cjose_jwk_t *jwk;
} SbKey;

struct _SbKeys
{
  char *path;        /* DATA_DIR/keys.json, or NULL for keys kept in memory */
  GPtrArray *keys;   /* SbKey*, index 0 is the current key */
};

G_DEFINE_QUARK (sb-keys-error-quark, sb_keys_error)

static void
sb_key_free (SbKey *key)
{
  g_free (key->kid);
  if (key->jwk != NULL)
    cjose_jwk_release (key->jwk);
  g_free (key);
}

/* cjose allocates with its own allocator (plain malloc unless changed). */
static void
cjose_string_free (char *s)
{
  if (s != NULL)
    cjose_get_dealloc () (s);
}

static char *
base64url_encode (const guint8 *data, gsize len)
{
  g_autofree char *b64 = g_base64_encode (data, len);
  char *p;

  for (p = b64; *p != '\0'; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
      else if (*p == '=')
        {
          *p = '\0';
          break;
        }
    }
  return g_steal_pointer (&b64);
}

static JsonObject *
parse_object (const char *text, gssize len, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (!json_parser_load_from_data (parser, text, len, error))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, SB_KEYS_ERROR, SB_KEYS_ERROR_INVALID,
                           "Expected a JSON object");
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

/* RFC 7638: SHA-256 over the required members in lexicographic order, with
 * no whitespace.  Using the thumbprint as kid means a key keeps its kid
 * across restarts without storing anything extra. */
static char *
rsa_thumbprint (cjose_jwk_t *jwk, GError **error)
{
  cjose_err err;
  char *pub = cjose_jwk_to_json (jwk, false, &err);
  g_autoptr(JsonObject) obj = NULL;
  g_autofree char *canonical = NULL;
  g_autoptr(GChecksum) sum = NULL;
  guint8 digest[32];
  gsize digest_len = sizeof digest;
  const char *e, *n;

  if (pub == NULL)
    {
      g_set_error (error, SB_KEYS_ERROR, SB_KEYS_ERROR_FAILED,
                   "Could not export the public key: %s", err.message);
      return NULL;
    }
  obj = parse_object (pub, -1, error);
  cjose_string_free (pub);
  if (obj == NULL)
    return NULL;
  e = json_object_get_string_member_with_default (obj, "e", NULL);
  n = json_object_get_string_member_with_default (obj, "n", NULL);
  if (e == NULL || n == NULL)
    {
      g_set_error_literal (error, SB_KEYS_ERROR, SB_KEYS_ERROR_FAILED,
                           "The key is not an RSA key");
      return NULL;
    }
  canonical = g_strdup_printf ("{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", e, n);
  sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, (const guchar *) canonical, strlen (canonical));
  g_checksum_get_digest (sum, digest, &digest_len);
  return base64url_encode (digest, digest_len);
}

static SbKey *
sb_key_new_from_jwk (cjose_jwk_t *jwk, GError **error)
{
  cjose_err err;
  SbKey *key;
  char *kid;

  if (cjose_jwk_get_kty (jwk, &err) != CJOSE_JWK_KTY_RSA)
    {
      g_set_error_literal (error, SB_KEYS_ERROR, SB_KEYS_ERROR_FAILED,
                           "Stored key is not an RSA key");
      cjose_jwk_release (jwk);
      return NULL;
    }
  kid = rsa_thumbprint (jwk, error);
  if (kid == NULL)
    {
      cjose_jwk_release (jwk);
      return NULL;
    }
  if (!cjose_jwk_set_kid (jwk, kid, strlen (kid), &err))
    {
      g_set_error (error, SB_KEYS_ERROR, SB_KEYS_ERROR_FAILED,
                   "Could not set the key id: %s", err.message);
      g_free (kid);
      cjose_jwk_release (jwk);
      return NULL;
    }
  key = g_new0 (SbKey, 1);
  key->kid = kid;
  key->jwk = jwk;
  return key;
}

static SbKey *
sb_key_generate (GError **error)
{
  static const guint8 e[] = { 0x01, 0x00, 0x01 };
  cjose_err err;
  cjose_jwk_t *jwk;

  jwk = cjose_jwk_create_RSA_random (2048, e, sizeof e, &err);
  if (jwk == NULL)
    {
      g_set_error (error, SB_KEYS_ERROR, SB_KEYS_ERROR_FAILED,
                   "Could not generate an RSA key: %s", err.message);
      return NULL;
    }
  return sb_key_new_from_jwk (jwk, error);
}

static gboolean
sb_keys_save (SbKeys *keys, GError **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  gsize len;
  guint i;

  if (keys->path == NULL)
    return TRUE;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "current");
  json_builder_add_string_value (builder, ((SbKey *) keys->keys->pdata[0])->kid);
  json_builder_set_member_name (builder, "keys");
  json_builder_begin_array (builder);
  for (i = 0; i < keys->keys->len; i++)
    {
      SbKey *key = keys->keys->pdata[i];
      cjose_err err;
      char *priv = cjose_jwk_to_json (key->jwk, true, &err);
      g_autoptr(JsonObject) obj = NULL;
      JsonNode *node;

      if (priv == NULL)
        {
          g_set_error (error, SB_KEYS_ERROR, SB_KEYS_ERROR_FAILED,
                       "Could not export a key: %s", err.message);
          return FALSE;
        }
      obj = parse_object (priv, -1, error);
      /* The private members must not linger in freed memory longer than
       * needed. */
      OPENSSL_cleanse (priv, strlen (priv));
      cjose_string_free (priv);
      if (obj == NULL)
        return FALSE;
      node = json_node_new (JSON_NODE_OBJECT);
      json_node_set_object (node, obj);
      json_builder_add_value (builder, node);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, &len);
  if (!g_file_set_contents_full (keys->path, text, len,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    {
      OPENSSL_cleanse (text, len);
      g_prefix_error (error, "Could not save the signing keys: ");
      return FALSE;
    }
  OPENSSL_cleanse (text, len);
  return TRUE;
}

static gboolean
sb_keys_load (SbKeys *keys, const char *text, gsize len, GError **error)
{
  g_autoptr(JsonObject) root = parse_object (text, len, error);
  JsonArray *array;
  const char *current;
  guint i;

  if (root == NULL)
    return FALSE;
  current = json_object_get_string_member_with_default (root, "current", NULL);
  if (!json_object_has_member (root, "keys")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (root, "keys")))
    {
      g_set_error_literal (error, SB_KEYS_ERROR, SB_KEYS_ERROR_FAILED,
                           "keys.json has no \"keys\" array");
      return FALSE;
    }
  array = json_object_get_array_member (root, "keys");
  for (i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      g_autofree char *jwk_text = NULL;
      cjose_jwk_t *jwk;
      cjose_err err;
      SbKey *key;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      jwk_text = json_to_string (node, FALSE);
      jwk = cjose_jwk_import (jwk_text, strlen (jwk_text), &err);
      OPENSSL_cleanse (jwk_text, strlen (jwk_text));
      if (jwk == NULL)
        {
          g_set_error (error, SB_KEYS_ERROR, SB_KEYS_ERROR_FAILED,
                       "keys.json holds an unreadable key: %s", err.message);
          return FALSE;
        }
      key = sb_key_new_from_jwk (jwk, error);
      if (key == NULL)
        return FALSE;
      /* The current key goes first whatever its position in the file. */
      if (current != NULL && g_strcmp0 (current, key->kid) == 0)
        g_ptr_array_insert (keys->keys, 0, key);
      else
        g_ptr_array_add (keys->keys, key);
    }
  if (keys->keys->len == 0)
    {
      g_set_error_literal (error, SB_KEYS_ERROR, SB_KEYS_ERROR_FAILED,
                           "keys.json holds no key");
      return FALSE;
    }
  return TRUE;
}

/**
 * sb_keys_load_or_create:
 * @data_dir: (nullable): where keys.json lives; NULL keeps keys in memory only
 *
 * Loads the signing keys of a data dir, creating a first RS256 2048-bit key
 * when there is none yet.
 */
SbKeys *
sb_keys_load_or_create (const char *data_dir, GError **error)
{
  g_autoptr(SbKeys) keys = g_new0 (SbKeys, 1);
  g_autofree char *text = NULL;
  gsize len = 0;
  GError *local_error = NULL;

  keys->keys = g_ptr_array_new_with_free_func ((GDestroyNotify) sb_key_free);
  if (data_dir != NULL)
    keys->path = g_build_filename (data_dir, "keys.json", NULL);

  if (keys->path != NULL && g_file_get_contents (keys->path, &text, &len, &local_error))
    {
      gboolean ok = sb_keys_load (keys, text, len, error);

      OPENSSL_cleanse (text, len);
      if (!ok)
        {
          g_prefix_error (error, "%s: ", keys->path);
          return NULL;
        }
      return g_steal_pointer (&keys);
    }
  if (local_error != NULL && !g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  g_clear_error (&local_error);

  if (!sb_keys_rotate (keys, error))
    return NULL;
  return g_steal_pointer (&keys);
}

gboolean
sb_keys_rotate (SbKeys *keys, GError **error)
{
  SbKey *key = sb_key_generate (error);

  if (key == NULL)
    return FALSE;
  g_ptr_array_insert (keys->keys, 0, key);
  while (keys->keys->len > SB_KEYS_MAX_PUBLISHED)
    g_ptr_array_remove_index (keys->keys, keys->keys->len - 1);
  g_debug ("Signing key is now %s (%u published)", key->kid, keys->keys->len);
  return sb_keys_save (keys, error);
}

const char *
sb_keys_current_kid (SbKeys *keys)
{
  return ((SbKey *) keys->keys->pdata[0])->kid;
}

char *
sb_keys_jwks_json (SbKeys *keys)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  guint i;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "keys");
  json_builder_begin_array (builder);
  for (i = 0; i < keys->keys->len; i++)
    {
      SbKey *key = keys->keys->pdata[i];
      cjose_err err;
      char *pub = cjose_jwk_to_json (key->jwk, false, &err);
      g_autoptr(JsonObject) obj = NULL;

      if (pub == NULL)
        continue;
      obj = parse_object (pub, -1, NULL);
      cjose_string_free (pub);
      if (obj == NULL)
        continue;
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "kty");
      json_builder_add_string_value (builder, "RSA");
      json_builder_set_member_name (builder, "use");
      json_builder_add_string_value (builder, "sig");
      json_builder_set_member_name (builder, "alg");
      json_builder_add_string_value (builder, "RS256");
      json_builder_set_member_name (builder, "kid");
      json_builder_add_string_value (builder, key->kid);
      json_builder_set_member_name (builder, "n");
      json_builder_add_string_value (builder, json_object_get_string_member (obj, "n"));
      json_builder_set_member_name (builder, "e");
      json_builder_add_string_value (builder, json_object_get_string_member (obj, "e"));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

char *
sb_keys_sign_jwt (SbKeys *keys, JsonObject *claims, GError **error)
{
  SbKey *key = keys->keys->pdata[0];
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *payload = NULL;
  cjose_header_t *hdr;
  cjose_jws_t *jws;
  cjose_err err;
  const char *compact = NULL;
  char *result;

  json_node_set_object (node, claims);
  payload = json_to_string (node, FALSE);

  hdr = cjose_header_new (&err);
  if (hdr == NULL
      || !cjose_header_set (hdr, CJOSE_HDR_ALG, CJOSE_HDR_ALG_RS256, &err)
      || !cjose_header_set (hdr, "typ", "JWT", &err)
      || !cjose_header_set (hdr, CJOSE_HDR_KID, key->kid, &err))
    {
      g_set_error (error, SB_KEYS_ERROR, SB_KEYS_ERROR_FAILED,
                   "Could not build the JWT header: %s", err.message);
      if (hdr != NULL)
        cjose_header_release (hdr);
      return NULL;
    }
  jws = cjose_jws_sign (key->jwk, hdr, (const uint8_t *) payload, strlen (payload), &err);
  cjose_header_release (hdr);
  if (jws == NULL || !cjose_jws_export (jws, &compact, &err))
    {
      g_set_error (error, SB_KEYS_ERROR, SB_KEYS_ERROR_FAILED,
                   "Could not sign the JWT: %s", err.message);
      if (jws != NULL)
        cjose_jws_release (jws);
      return NULL;
    }
  result = g_strdup (compact);
  cjose_jws_release (jws);
  return result;
}

JsonObject *
sb_keys_verify_jwt (SbKeys *keys, const char *jwt, GError **error)
{
  cjose_jws_t *jws;
  cjose_header_t *hdr;
  cjose_err err;
  const char *kid, *alg;
  uint8_t *plain = NULL;
  size_t plain_len = 0;
  SbKey *key = NULL;
  JsonObject *claims;
  guint i;

  if (jwt == NULL || *jwt == '\0' || strlen (jwt) > 16384)
    {
      g_set_error_literal (error, SB_KEYS_ERROR, SB_KEYS_ERROR_INVALID, "Not a JWT");
      return NULL;
    }
  jws = cjose_jws_import (jwt, strlen (jwt), &err);
  if (jws == NULL)
    {
      g_set_error_literal (error, SB_KEYS_ERROR, SB_KEYS_ERROR_INVALID, "Not a JWT");
      return NULL;
    }
  hdr = cjose_jws_get_protected (jws);
  alg = cjose_header_get (hdr, CJOSE_HDR_ALG, &err);
  kid = cjose_header_get (hdr, CJOSE_HDR_KID, &err);
  for (i = 0; kid != NULL && i < keys->keys->len; i++)
    if (g_strcmp0 (((SbKey *) keys->keys->pdata[i])->kid, kid) == 0)
      key = keys->keys->pdata[i];
  if (key == NULL || g_strcmp0 (alg, CJOSE_HDR_ALG_RS256) != 0
      || !cjose_jws_verify (jws, key->jwk, &err)
      || !cjose_jws_get_plaintext (jws, &plain, &plain_len, &err))
    {
      g_set_error_literal (error, SB_KEYS_ERROR, SB_KEYS_ERROR_SIGNATURE,
                           "The token was not signed by this sandbox");
      cjose_jws_release (jws);
      return NULL;
    }
  claims = parse_object ((const char *) plain, plain_len, error);
  cjose_jws_release (jws);
  return claims;
}

void
sb_keys_free (SbKeys *keys)
{
  if (keys == NULL)
    return;
  g_clear_pointer (&keys->keys, g_ptr_array_unref);
  g_free (keys->path);
  g_free (keys);
}
