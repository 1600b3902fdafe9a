/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SV_TYPE_WINDOW (sv_window_get_type ())

G_DECLARE_FINAL_TYPE (SvWindow, sv_window, SV, WINDOW, AdwApplicationWindow)

SvWindow *sv_window_new         (GtkApplication *application);
void      sv_window_show_toast  (SvWindow       *self,
                                 const char     *text);

G_END_DECLS
