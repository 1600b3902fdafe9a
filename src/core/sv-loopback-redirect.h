/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SV_TYPE_LOOPBACK_REDIRECT (sv_loopback_redirect_get_type ())

G_DECLARE_FINAL_TYPE (SvLoopbackRedirect, sv_loopback_redirect, SV, LOOPBACK_REDIRECT, GObject)

SvLoopbackRedirect *sv_loopback_redirect_new              (guint                port,
                                                           GError             **error);
guint               sv_loopback_redirect_get_port         (SvLoopbackRedirect  *self);
char               *sv_loopback_redirect_dup_redirect_uri (SvLoopbackRedirect  *self);
void                sv_loopback_redirect_wait_async       (SvLoopbackRedirect  *self,
                                                           GCancellable        *cancellable,
                                                           GAsyncReadyCallback  callback,
                                                           gpointer             user_data);
char               *sv_loopback_redirect_wait_finish      (SvLoopbackRedirect  *self,
                                                           GAsyncResult        *result,
                                                           GError             **error);

G_END_DECLS
