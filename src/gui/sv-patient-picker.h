/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "sv-fhir-client.h"

G_BEGIN_DECLS

#define SV_TYPE_PATIENT_PICKER (sv_patient_picker_get_type ())

G_DECLARE_FINAL_TYPE (SvPatientPicker, sv_patient_picker, SV, PATIENT_PICKER, GtkWidget)

void        sv_patient_picker_set_client   (SvPatientPicker *self,
                                            SvFhirClient    *client);
void        sv_patient_picker_set_query    (SvPatientPicker *self,
                                            const char      *query);
GListModel *sv_patient_picker_get_matches  (SvPatientPicker *self);
gboolean    sv_patient_picker_get_busy     (SvPatientPicker *self);
const char *sv_patient_picker_get_partial_text (SvPatientPicker *self);
gboolean    sv_patient_picker_get_showing_recent (SvPatientPicker *self);
void        sv_patient_picker_focus_search (SvPatientPicker *self);
void        sv_patient_picker_add_recent   (GSettings       *settings,
                                            const char      *patient_id);

G_END_DECLS
