/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sb-config.h — data directory, sandbox.ini and the URLs of a context. */
#pragma once

#include <glib.h>

#include "sb-context.h"

G_BEGIN_DECLS

#define SB_PUBLIC_CLIENT_ID "smart-viewer"
#define SB_BACKEND_CLIENT_ID "smart-backend"
#define SB_ROLE_ARN "arn:aws:iam::000000000000:role/smart-sandbox-healthlake"

const char *sb_flavor_to_string (SbFlavor flavor);
gboolean    sb_flavor_from_string (const char *s, SbFlavor *flavor);

/* $XDG_DATA_HOME/smart-sandbox/<flavor> */
char       *sb_config_default_data_dir (SbFlavor flavor);

/* Loads (or creates) data_dir/sandbox.ini into ctx->users and fills
 * ctx->datastore_id and ctx->backend_client_secret from it. */
gboolean    sb_config_load (SbContext *ctx, GError **error);
gboolean    sb_config_save (SbContext *ctx, GError **error);
/* Writes the demo users for a freshly generated population. */
gboolean    sb_config_set_demo_users (SbContext  *ctx,
                                      const char *clinician_practitioner_id,
                                      const char *patient_id,
                                      GError    **error);
/* The Cognito-style pool id of this data dir (us-east-1_Sb…). */
char       *sb_config_pool_id (SbContext *ctx);
/* Fills root_url, issuer and fhir_base from root_url. */
void        sb_context_set_urls (SbContext *ctx, const char *root_url);
void        sb_context_clear (SbContext *ctx);

G_END_DECLS
