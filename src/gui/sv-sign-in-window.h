/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <webkit/webkit.h>

G_BEGIN_DECLS

#define SV_TYPE_SIGN_IN_WINDOW (sv_sign_in_window_get_type ())

G_DECLARE_FINAL_TYPE (SvSignInWindow, sv_sign_in_window, SV, SIGN_IN_WINDOW, AdwWindow)

SvSignInWindow *sv_sign_in_window_new            (GtkWindow           *parent,
                                                  const char          *authorization_url,
                                                  const char          *redirect_uri,
                                                  const char          *persistent_data_dir);
void            sv_sign_in_window_run_async      (SvSignInWindow      *self,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
char           *sv_sign_in_window_run_finish     (SvSignInWindow      *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);
WebKitWebView  *sv_sign_in_window_get_web_view   (SvSignInWindow      *self);
const char     *sv_sign_in_window_get_host       (SvSignInWindow      *self);
gboolean        sv_sign_in_window_get_secure     (SvSignInWindow      *self);
gboolean        sv_redirect_uri_matches          (const char          *uri,
                                                  const char          *redirect_uri);

G_END_DECLS
