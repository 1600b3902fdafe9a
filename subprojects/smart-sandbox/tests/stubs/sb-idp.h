/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Stand-in copy of the contract; the real header is src/sb-idp.h (IdP helper). */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include "sb-context.h"
SbIdp *sb_idp_new (SbContext *ctx);
void   sb_idp_register (SbIdp *idp, SoupServer *server);
JsonObject *sb_idp_smart_configuration (SbIdp *idp);
void   sb_idp_free (SbIdp *idp);
