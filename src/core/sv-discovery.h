/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "sv-server-profile.h"

G_BEGIN_DECLS

typedef enum
{
  SV_DISCOVERY_SOURCE_SMART,
  SV_DISCOVERY_SOURCE_OPENID,
  SV_DISCOVERY_SOURCE_PROFILE,
} SvDiscoverySource;

#define SV_TYPE_DISCOVERY (sv_discovery_get_type ())

G_DECLARE_FINAL_TYPE (SvDiscovery, sv_discovery, SV, DISCOVERY, GObject)

SvDiscovery       *sv_discovery_new_from_json         (JsonObject          *document,
                                                       SvDiscoverySource    source,
                                                       const char          *url,
                                                       GError             **error);
SvDiscovery       *sv_discovery_new_from_profile      (SvServerProfile     *profile,
                                                       GError             **error);
void               sv_discovery_fetch_async           (SvServerProfile     *profile,
                                                       SoupSession         *session,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
SvDiscovery       *sv_discovery_fetch_finish          (GAsyncResult        *result,
                                                       GError             **error);

SvDiscoverySource  sv_discovery_get_source            (SvDiscovery         *self);
const char        *sv_discovery_get_issuer            (SvDiscovery         *self);
const char        *sv_discovery_get_authorization_endpoint (SvDiscovery    *self);
const char        *sv_discovery_get_token_endpoint    (SvDiscovery         *self);
const char        *sv_discovery_get_revocation_endpoint (SvDiscovery       *self);
const char        *sv_discovery_get_jwks_uri          (SvDiscovery         *self);
const char * const *sv_discovery_get_capabilities     (SvDiscovery         *self);
gboolean           sv_discovery_has_capability        (SvDiscovery         *self,
                                                       const char          *capability);
char              *sv_discovery_dup_default_scopes    (SvDiscovery         *self);

G_END_DECLS
