/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include <webkit/webkit.h>

G_BEGIN_DECLS

typedef gboolean (*SvTestPredicate) (gpointer user_data);

gboolean   sv_test_wait_until        (SvTestPredicate predicate,
                                      gpointer        user_data,
                                      guint           timeout_ms);
GtkWidget *sv_test_find_widget       (GtkWidget      *root,
                                      GType           type,
                                      const char     *action_name);
GtkWindow *sv_test_find_toplevel     (GType           type);
void       sv_test_wait_frames       (GtkWidget      *widget,
                                      guint           n_frames);
void       sv_test_save_screenshot   (GtkWidget      *widget,
                                      const char     *name);
char      *sv_test_read_clipboard    (GtkWidget      *widget);
extern const char sv_test_sandbox_login_js[];
void       sv_test_drive_sandbox_login (WebKitWebView *view,
                                      const char     *username,
                                      const char     *password);

G_END_DECLS
