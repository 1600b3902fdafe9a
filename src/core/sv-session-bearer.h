/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sv-bearer-source.h"
#include "sv-session.h"

G_BEGIN_DECLS

#define SV_TYPE_SESSION_BEARER (sv_session_bearer_get_type ())

G_DECLARE_FINAL_TYPE (SvSessionBearer, sv_session_bearer, SV, SESSION_BEARER, GObject)

SvSessionBearer *sv_session_bearer_new         (SvSession       *session);
SvSession       *sv_session_bearer_get_session (SvSessionBearer *self);

G_END_DECLS
