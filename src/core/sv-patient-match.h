/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define SV_TYPE_PATIENT_MATCH (sv_patient_match_get_type ())

G_DECLARE_FINAL_TYPE (SvPatientMatch, sv_patient_match, SV, PATIENT_MATCH, GObject)

SvPatientMatch *sv_patient_match_new_from_json (JsonObject     *patient);
const char     *sv_patient_match_get_id        (SvPatientMatch *self);
const char     *sv_patient_match_get_name      (SvPatientMatch *self);
const char     *sv_patient_match_get_birth     (SvPatientMatch *self);
const char     *sv_patient_match_get_gender    (SvPatientMatch *self);
const char     *sv_patient_match_get_mrn       (SvPatientMatch *self);
char           *sv_patient_match_describe      (SvPatientMatch *self);

G_END_DECLS
