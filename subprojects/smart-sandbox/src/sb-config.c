/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "smart-sandbox"

#include "config.h"

#include "sb-config.h"

#include <gio/gio.h>
#include <string.h>

#define INI_NAME "sandbox.ini"

const char *
sb_flavor_to_string (SbFlavor flavor)
{
  return flavor == SB_FLAVOR_COGNITO ? "cognito" : "keycloak";
}

gboolean
sb_flavor_from_string (const char *s, SbFlavor *flavor)
{
  if (g_strcmp0 (s, "keycloak") == 0)
    *flavor = SB_FLAVOR_KEYCLOAK;
  else if (g_strcmp0 (s, "cognito") == 0)
    *flavor = SB_FLAVOR_COGNITO;
  else
    return FALSE;
  return TRUE;
}

char *
sb_config_default_data_dir (SbFlavor flavor)
{
  return g_build_filename (g_get_user_data_dir (), "smart-sandbox",
                           sb_flavor_to_string (flavor), NULL);
}

static char *
random_hex (guint n_bytes)
{
  GString *s = g_string_new (NULL);

  /* g_random is not a CSPRNG; the secret must come from the kernel. */
  g_autoptr(GFile) f = g_file_new_for_path ("/dev/urandom");
  g_autoptr(GFileInputStream) in = g_file_read (f, NULL, NULL);
  guint8 buf[64];
  gsize got = 0;

  g_assert (n_bytes <= sizeof buf);
  if (in == NULL
      || !g_input_stream_read_all (G_INPUT_STREAM (in), buf, n_bytes, &got, NULL, NULL)
      || got != n_bytes)
    g_error ("cannot read /dev/urandom");
  for (guint i = 0; i < n_bytes; i++)
    g_string_append_printf (s, "%02x", buf[i]);
  return g_string_free (s, FALSE);
}

static char *
ini_path (SbContext *ctx)
{
  return g_build_filename (ctx->data_dir, INI_NAME, NULL);
}

gboolean
sb_config_save (SbContext *ctx, GError **error)
{
  g_autofree char *path = ini_path (ctx);
  g_autofree char *data = g_key_file_to_data (ctx->users, NULL, NULL);

  /* The file holds the backend client secret and the demo passwords. */
  if (!g_file_set_contents_full (path, data, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    return FALSE;
  return TRUE;
}

gboolean
sb_config_load (SbContext *ctx, GError **error)
{
  g_autofree char *path = ini_path (ctx);
  g_autoptr(GError) local_error = NULL;
  gboolean dirty = FALSE;

  if (ctx->users == NULL)
    ctx->users = g_key_file_new ();
  if (!g_key_file_load_from_file (ctx->users, path, G_KEY_FILE_KEEP_COMMENTS, &local_error))
    {
      if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                      "Cannot read %s: ", path);
          return FALSE;
        }
      g_key_file_set_comment (ctx->users, NULL, NULL,
                              " smart-sandbox configuration.  Demo users are [user:NAME]\n"
                              " groups (password, fhirUser, patient); edit and restart.",
                              NULL);
      dirty = TRUE;
    }

  g_free (ctx->datastore_id);
  ctx->datastore_id = g_key_file_get_string (ctx->users, "sandbox", "datastore_id", NULL);
  if (ctx->datastore_id == NULL || strlen (ctx->datastore_id) != 32)
    {
      g_free (ctx->datastore_id);
      ctx->datastore_id = random_hex (16);
      g_key_file_set_string (ctx->users, "sandbox", "datastore_id", ctx->datastore_id);
      dirty = TRUE;
    }

  g_free (ctx->backend_client_secret);
  ctx->backend_client_secret = g_key_file_get_string (ctx->users, "sandbox",
                                                      "backend_client_secret", NULL);
  if (ctx->backend_client_secret == NULL || *ctx->backend_client_secret == '\0')
    {
      g_free (ctx->backend_client_secret);
      ctx->backend_client_secret = random_hex (24);
      g_key_file_set_string (ctx->users, "sandbox", "backend_client_secret",
                             ctx->backend_client_secret);
      dirty = TRUE;
    }

  if (!g_key_file_has_key (ctx->users, "sandbox", "pool_id", NULL))
    {
      g_autofree char *pool = sb_config_pool_id (ctx);
      g_key_file_set_string (ctx->users, "sandbox", "pool_id", pool);
      dirty = TRUE;
    }

  if (dirty && !sb_config_save (ctx, error))
    return FALSE;
  return TRUE;
}

gboolean
sb_config_set_demo_users (SbContext  *ctx,
                          const char *clinician_practitioner_id,
                          const char *patient_id,
                          GError    **error)
{
  g_autofree char *gp = g_strdup_printf ("Practitioner/%s", clinician_practitioner_id);
  g_autofree char *pt = g_strdup_printf ("Patient/%s", patient_id);

  g_key_file_set_string (ctx->users, "user:clinician", "password", "demo");
  g_key_file_set_string (ctx->users, "user:clinician", "fhirUser", gp);
  g_key_file_set_string (ctx->users, "user:patient", "password", "demo");
  g_key_file_set_string (ctx->users, "user:patient", "fhirUser", pt);
  g_key_file_set_string (ctx->users, "user:patient", "patient", patient_id);
  return sb_config_save (ctx, error);
}

char *
sb_config_pool_id (SbContext *ctx)
{
  static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  g_autofree char *stored = NULL;
  g_autofree char *sum = NULL;
  GString *s;

  if (ctx->users != NULL)
    stored = g_key_file_get_string (ctx->users, "sandbox", "pool_id", NULL);
  if (stored != NULL && *stored != '\0')
    return g_steal_pointer (&stored);

  /* Derived from the data dir so that it is stable for one sandbox and
   * differs between sandboxes, like a real pool id. */
  sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, ctx->data_dir, -1);
  s = g_string_new ("us-east-1_Sb");
  for (guint i = 0; i < 7; i++)
    {
      guint v = g_ascii_xdigit_value (sum[2 * i]) * 16 + g_ascii_xdigit_value (sum[2 * i + 1]);
      g_string_append_c (s, alphabet[v % (sizeof alphabet - 1)]);
    }
  return g_string_free (s, FALSE);
}

void
sb_context_set_urls (SbContext *ctx, const char *root_url)
{
  g_autofree char *root = g_strdup (root_url);
  gsize len = strlen (root);

  while (len > 0 && root[len - 1] == '/')
    root[--len] = '\0';

  g_free (ctx->root_url);
  g_free (ctx->issuer);
  g_free (ctx->fhir_base);
  ctx->root_url = g_strdup (root);
  if (ctx->external_issuer != NULL)
    ctx->issuer = g_strdup (ctx->external_issuer);
  else if (ctx->flavor == SB_FLAVOR_COGNITO)
    {
      g_autofree char *pool = sb_config_pool_id (ctx);
      ctx->issuer = g_strdup_printf ("%s/cognito/%s", root, pool);
    }
  else
    ctx->issuer = g_strdup_printf ("%s/realms/smart", root);
  ctx->fhir_base = g_strdup_printf ("%s/datastore/%s/r4/", root, ctx->datastore_id);
}

void
sb_context_clear (SbContext *ctx)
{
  g_clear_pointer (&ctx->root_url, g_free);
  g_clear_pointer (&ctx->issuer, g_free);
  g_clear_pointer (&ctx->fhir_base, g_free);
  g_clear_pointer (&ctx->datastore_id, g_free);
  g_clear_pointer (&ctx->data_dir, g_free);
  g_clear_pointer (&ctx->public_client_id, g_free);
  g_clear_pointer (&ctx->backend_client_id, g_free);
  g_clear_pointer (&ctx->backend_client_secret, g_free);
  g_clear_pointer (&ctx->external_issuer, g_free);
  g_clear_pointer (&ctx->external_client_id, g_free);
  g_clear_pointer (&ctx->users, g_key_file_unref);
}
