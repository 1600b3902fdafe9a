/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean  sv_random_bytes            (guint8  *buffer,
                                      gsize    length,
                                      GError **error);
char     *sv_random_base64url        (gsize    n_bytes,
                                      GError **error);
char     *sv_base64url_encode        (const guint8 *data,
                                      gsize         length);
guint8   *sv_base64url_decode        (const char   *text,
                                      gsize        *out_length,
                                      GError      **error);

G_END_DECLS
