/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sv-bearer-source.h"

G_BEGIN_DECLS

#define SV_TYPE_STATIC_BEARER (sv_static_bearer_get_type ())

G_DECLARE_FINAL_TYPE (SvStaticBearer, sv_static_bearer, SV, STATIC_BEARER, GObject)

SvStaticBearer *sv_static_bearer_new               (const char * const *tokens);
guint           sv_static_bearer_get_n_refreshes   (SvStaticBearer     *self);
guint           sv_static_bearer_get_n_requests    (SvStaticBearer     *self);

G_END_DECLS
