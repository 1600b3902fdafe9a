/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sb-inproc.h — the validator's decision computed inside the sandbox.
 *
 * Only for the benchmark's "no Lambda hop" column (--in-process-authz): it
 * does the checks the validator does for the sandbox's own tokens (signature
 * against the sandbox keys, iss, exp/nbf/iat, client, audience, token_use,
 * SMART scopes) and answers in the same shape. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "sb-context.h"

G_BEGIN_DECLS

/* Returns {"authPayload": {…}, "iamRoleARN": …} for a HealthLake event. */
JsonObject *sb_inproc_validate (SbContext *ctx, JsonObject *event);

G_END_DECLS
