/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sv-inspector-window.h"

#include "sv-patient-picker.h"
#include "sv-patient-view.h"
#include "sv-server-profile.h"
#include "sv-session.h"

G_BEGIN_DECLS

#define SV_TYPE_WINDOW (sv_window_get_type ())

G_DECLARE_FINAL_TYPE (SvWindow, sv_window, SV, WINDOW, AdwApplicationWindow)

SvWindow  *sv_window_new            (GtkApplication  *application);
void       sv_window_show_toast     (SvWindow        *self,
                                     const char      *text);
void       sv_window_sign_in        (SvWindow        *self,
                                     SvServerProfile *profile);
void       sv_window_try_sandbox    (SvWindow        *self);
gboolean   sv_window_offer_redirect (SvWindow        *self,
                                     const char      *uri);
SvSession *sv_window_get_session    (SvWindow        *self);
const char *sv_window_get_page      (SvWindow        *self);
void       sv_window_open_patient   (SvWindow        *self,
                                     const char      *patient_id);
SvPatientView   *sv_window_get_patient_view   (SvWindow *self);
SvPatientPicker *sv_window_get_patient_picker (SvWindow *self);
SvInspectorWindow *sv_window_get_inspector    (SvWindow *self);

G_END_DECLS
