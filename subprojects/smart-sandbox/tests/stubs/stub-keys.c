/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Stand-in for src/sb-keys.c while it is being written: no keys at all. */
#define G_LOG_DOMAIN "smart-sandbox"
#include "config.h"
#include <gio/gio.h>
#include "sb-keys.h"

struct _SbKeys { int dummy; };

SbKeys *
sb_keys_load_or_create (const char *data_dir, GError **error)
{
  return g_new0 (SbKeys, 1);
}

gboolean
sb_keys_rotate (SbKeys *keys, GError **error)
{
  return TRUE;
}

char *
sb_keys_jwks_json (SbKeys *keys)
{
  return g_strdup ("{\"keys\":[]}");
}

char *
sb_keys_sign_jwt (SbKeys *keys, JsonObject *claims, GError **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "stub keys");
  return NULL;
}

void
sb_keys_free (SbKeys *keys)
{
  g_free (keys);
}

GQuark
sb_keys_error_quark (void)
{
  return g_quark_from_static_string ("sb-keys-error");
}

JsonObject *
sb_keys_verify_jwt (SbKeys *keys, const char *jwt, GError **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "stub keys");
  return NULL;
}

const char *
sb_keys_current_kid (SbKeys *keys)
{
  return "stub";
}
