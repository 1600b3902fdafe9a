/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <libsoup/soup.h>

#include "sv-profile-store.h"
#include "sv-sandbox.h"
#include "sv-timeline.h"
#include "sv-token-store.h"

G_BEGIN_DECLS

#define SV_TYPE_APPLICATION (sv_application_get_type ())

G_DECLARE_FINAL_TYPE (SvApplication, sv_application, SV, APPLICATION, AdwApplication)

void            sv_application_prepare_environment (void);
SvApplication  *sv_application_new                (void);
SvProfileStore *sv_application_get_profile_store  (SvApplication *self);
SvTokenStore   *sv_application_get_token_store    (SvApplication *self);
SoupSession    *sv_application_get_http           (SvApplication *self);
SvSandbox      *sv_application_get_sandbox        (SvApplication *self);
SvTimeline     *sv_application_get_timeline       (SvApplication *self);
void            sv_application_follow_server      (SvApplication *self,
                                                   const char    *fhir_base);

G_END_DECLS
