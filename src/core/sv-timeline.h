/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "sv-authorization-request.h"
#include "sv-sandbox-events.h"
#include "sv-timeline-entry.h"

G_BEGIN_DECLS

#define SV_TIMELINE_EXPORT_FORMAT "smart-viewer-timeline"
#define SV_TIMELINE_EXPORT_VERSION 1

#define SV_TYPE_TIMELINE (sv_timeline_get_type ())

G_DECLARE_FINAL_TYPE (SvTimeline, sv_timeline, SV, TIMELINE, GObject)

SvTimeline      *sv_timeline_new                   (void);
SvTimeline      *sv_timeline_new_from_export       (const char             *json,
                                                    GError                **error);
SvTimelineEntry *sv_timeline_get_entry             (SvTimeline             *self,
                                                    guint                   id);
void             sv_timeline_set_endpoints         (SvTimeline             *self,
                                                    const char             *fhir_base,
                                                    const char             *token_endpoint,
                                                    const char             *revocation_endpoint);
void             sv_timeline_set_jwks_uri          (SvTimeline             *self,
                                                    const char             *jwks_uri);
void             sv_timeline_add                   (SvTimeline             *self,
                                                    SvTimelineEntry        *entry);
void             sv_timeline_clear                 (SvTimeline             *self);
SvTimelineEntry *sv_timeline_add_sign_in           (SvTimeline             *self,
                                                    const char             *server);
SvTimelineEntry *sv_timeline_add_simulated         (SvTimeline             *self,
                                                    const char             *label,
                                                    const char             *explanation);
void             sv_timeline_watch_soup_session    (SvTimeline             *self,
                                                    SoupSession            *session);
void             sv_timeline_watch_sandbox         (SvTimeline             *self,
                                                    SvSandboxEvents        *events);
SvTimelineEntry *sv_timeline_add_authorization_request (SvTimeline         *self,
                                                    SvAuthorizationRequest *request);
void             sv_timeline_reveal_verifier_after_exchange (SvTimeline    *self);
const char      *sv_timeline_get_verifier_hint     (SvTimeline             *self);
SvTimelineEntry *sv_timeline_add_redirect          (SvTimeline             *self,
                                                    const char             *uri);
SvTimelineEntry *sv_timeline_add_tokens            (SvTimeline             *self,
                                                    const char             *access_token,
                                                    const char             *id_token);
SvTimelineEntry *sv_timeline_add_error             (SvTimeline             *self,
                                                    const GError           *error);
char            *sv_timeline_export                (SvTimeline             *self,
                                                    GError                **error);
char            *sv_timeline_to_text               (SvTimeline             *self);
const char      *sv_timeline_kind_get_label        (SvTimelineKind          kind);

G_END_DECLS
