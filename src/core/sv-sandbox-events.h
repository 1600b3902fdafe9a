/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define SV_TYPE_SANDBOX_EVENTS (sv_sandbox_events_get_type ())

G_DECLARE_FINAL_TYPE (SvSandboxEvents, sv_sandbox_events, SV, SANDBOX_EVENTS, GObject)

SvSandboxEvents *sv_sandbox_events_new           (const char       *fhir_base);
gboolean         sv_sandbox_events_start         (SvSandboxEvents  *self,
                                                  GError          **error);
void             sv_sandbox_events_stop          (SvSandboxEvents  *self);
gboolean         sv_sandbox_events_get_running   (SvSandboxEvents  *self);
gboolean         sv_sandbox_events_get_connected (SvSandboxEvents  *self);
const char      *sv_sandbox_events_get_fhir_base (SvSandboxEvents  *self);
char            *sv_sandbox_events_url_for_base  (const char       *fhir_base,
                                                  GError          **error);
char            *sv_sandbox_hook_url_for_base    (const char       *fhir_base,
                                                  const char       *path);

G_END_DECLS
