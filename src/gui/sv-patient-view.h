/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "sv-fhir-client.h"
#include "sv-patient-record.h"
#include "sv-record-section.h"

G_BEGIN_DECLS

#define SV_TYPE_PATIENT_VIEW (sv_patient_view_get_type ())

G_DECLARE_FINAL_TYPE (SvPatientView, sv_patient_view, SV, PATIENT_VIEW, GtkWidget)

void             sv_patient_view_load            (SvPatientView *self,
                                                  SvFhirClient  *client,
                                                  const char    *patient_id,
                                                  const char    *granted_scope,
                                                  const char    *server_name);
void             sv_patient_view_clear           (SvPatientView *self);
SvPatientRecord *sv_patient_view_get_record      (SvPatientView *self);
SvRecordSection *sv_patient_view_get_section     (SvPatientView *self,
                                                  SvSection      section);
const char      *sv_patient_view_get_page        (SvPatientView *self);
GtkOrientation   sv_patient_view_get_orientation (SvPatientView *self);
char            *sv_patient_view_dup_banner_text (SvPatientView *self);
gboolean         sv_patient_view_export_pdf      (SvPatientView *self,
                                                  const char    *path,
                                                  int           *n_pages,
                                                  GError       **error);

G_END_DECLS
