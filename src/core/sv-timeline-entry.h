/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  SV_TIMELINE_KIND_DISCOVERY,
  SV_TIMELINE_KIND_AUTHORIZATION_REQUEST,
  SV_TIMELINE_KIND_REDIRECT,
  SV_TIMELINE_KIND_TOKEN_REQUEST,
  SV_TIMELINE_KIND_TOKEN_RESPONSE,
  SV_TIMELINE_KIND_FHIR_REQUEST,
  SV_TIMELINE_KIND_REFRESH,
  SV_TIMELINE_KIND_REVOCATION,
  SV_TIMELINE_KIND_ERROR,
  SV_TIMELINE_KIND_SERVER_EVENT,
  SV_TIMELINE_KIND_SIMULATE,
  SV_TIMELINE_KIND_SECTION,
} SvTimelineKind;

#define SV_TYPE_TIMELINE_KIND (sv_timeline_kind_get_type ())
GType        sv_timeline_kind_get_type    (void);
const char  *sv_timeline_kind_to_string   (SvTimelineKind  kind);
gboolean     sv_timeline_kind_from_string (const char     *text,
                                           SvTimelineKind *kind);

#define SV_TYPE_TIMELINE_ENTRY (sv_timeline_entry_get_type ())

G_DECLARE_FINAL_TYPE (SvTimelineEntry, sv_timeline_entry, SV, TIMELINE_ENTRY, GObject)

SvTimelineEntry *sv_timeline_entry_new             (SvTimelineKind   kind,
                                                    const char      *title);
guint            sv_timeline_entry_get_id          (SvTimelineEntry *self);
SvTimelineKind   sv_timeline_entry_get_kind        (SvTimelineEntry *self);
gint64           sv_timeline_entry_get_monotonic_time (SvTimelineEntry *self);
gint64           sv_timeline_entry_get_wall_time   (SvTimelineEntry *self);
const char      *sv_timeline_entry_get_title       (SvTimelineEntry *self);
JsonObject      *sv_timeline_entry_get_details     (SvTimelineEntry *self);
const char      *sv_timeline_entry_get_method      (SvTimelineEntry *self);
const char      *sv_timeline_entry_get_url         (SvTimelineEntry *self);
guint            sv_timeline_entry_get_status      (SvTimelineEntry *self);
gint64           sv_timeline_entry_get_duration_us (SvTimelineEntry *self);
gint64           sv_timeline_entry_get_bytes       (SvTimelineEntry *self);
guint            sv_timeline_entry_get_page        (SvTimelineEntry *self);
guint            sv_timeline_entry_get_link_id     (SvTimelineEntry *self);
char            *sv_timeline_entry_dup_curl        (SvTimelineEntry *self);

/* For SvTimeline (and an import): every string is redacted on the way in. */
void             sv_timeline_entry_set_id          (SvTimelineEntry *self,
                                                    guint            id);
void             sv_timeline_entry_set_kind        (SvTimelineEntry *self,
                                                    SvTimelineKind   kind);
void             sv_timeline_entry_set_times       (SvTimelineEntry *self,
                                                    gint64           monotonic_us,
                                                    gint64           wall_us);
void             sv_timeline_entry_set_title       (SvTimelineEntry *self,
                                                    const char      *title);
void             sv_timeline_entry_set_detail      (SvTimelineEntry *self,
                                                    const char      *name,
                                                    JsonNode        *value);
void             sv_timeline_entry_set_detail_string (SvTimelineEntry *self,
                                                    const char      *name,
                                                    const char      *value);
void             sv_timeline_entry_set_request     (SvTimelineEntry *self,
                                                    const char      *method,
                                                    const char      *url,
                                                    gboolean         has_bearer);
void             sv_timeline_entry_set_status      (SvTimelineEntry *self,
                                                    guint            status);
void             sv_timeline_entry_set_transfer    (SvTimelineEntry *self,
                                                    gint64           duration_us,
                                                    gint64           bytes);
void             sv_timeline_entry_set_page        (SvTimelineEntry *self,
                                                    guint            page);
void             sv_timeline_entry_set_link_id     (SvTimelineEntry *self,
                                                    guint            link_id);
gboolean         sv_timeline_entry_get_has_bearer  (SvTimelineEntry *self);

G_END_DECLS
