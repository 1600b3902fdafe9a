/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sv-session.h"

G_BEGIN_DECLS

#define SV_TYPE_SESSION_PAGE (sv_session_page_get_type ())

G_DECLARE_FINAL_TYPE (SvSessionPage, sv_session_page, SV, SESSION_PAGE, GtkWidget)

GtkWidget *sv_session_page_new          (void);
void       sv_session_page_set_session  (SvSessionPage *self,
                                         SvSession     *session);
SvSession *sv_session_page_get_session  (SvSessionPage *self);

G_END_DECLS
