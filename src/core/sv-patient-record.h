/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "sv-fhir-client.h"
#include "sv-medication.h"
#include "sv-problem.h"

G_BEGIN_DECLS

/**
 * SvSection:
 * @SV_SECTION_PROBLEMS: the Conditions
 * @SV_SECTION_MEDICATIONS: MedicationStatements and MedicationRequests
 */
typedef enum
{
  SV_SECTION_PROBLEMS,
  SV_SECTION_MEDICATIONS,
} SvSection;

/**
 * SvSectionState:
 * @SV_SECTION_STATE_EMPTY: nothing asked yet
 * @SV_SECTION_STATE_LOADING: being fetched
 * @SV_SECTION_STATE_OK: read completely (the count may be 0)
 * @SV_SECTION_STATE_PARTIAL: paging stopped early; the rows read are shown
 * @SV_SECTION_STATE_NOT_PERMITTED: the scope does not allow it, or HTTP 403
 * @SV_SECTION_STATE_ERROR: it could not be read; the message says why
 */
typedef enum
{
  SV_SECTION_STATE_EMPTY,
  SV_SECTION_STATE_LOADING,
  SV_SECTION_STATE_OK,
  SV_SECTION_STATE_PARTIAL,
  SV_SECTION_STATE_NOT_PERMITTED,
  SV_SECTION_STATE_ERROR,
} SvSectionState;

#define SV_TYPE_SECTION (sv_section_get_type ())
#define SV_TYPE_SECTION_STATE (sv_section_state_get_type ())
GType sv_section_get_type       (void) G_GNUC_CONST;
GType sv_section_state_get_type (void) G_GNUC_CONST;

#define SV_TYPE_PATIENT_RECORD (sv_patient_record_get_type ())

G_DECLARE_FINAL_TYPE (SvPatientRecord, sv_patient_record, SV, PATIENT_RECORD, GObject)

SvPatientRecord *sv_patient_record_new                     (void);

void             sv_patient_record_load_async              (SvPatientRecord      *self,
                                                            SvFhirClient         *client,
                                                            const char           *patient_id,
                                                            const char           *granted_scope,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean         sv_patient_record_load_finish             (SvPatientRecord      *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);

JsonObject      *sv_patient_record_get_patient             (SvPatientRecord      *self);
const char      *sv_patient_record_get_patient_id          (SvPatientRecord      *self);
const char      *sv_patient_record_get_name                (SvPatientRecord      *self);
const char      *sv_patient_record_get_birth               (SvPatientRecord      *self);
int              sv_patient_record_get_age                 (SvPatientRecord      *self);
const char      *sv_patient_record_get_gender              (SvPatientRecord      *self);
const char      *sv_patient_record_get_mrn                 (SvPatientRecord      *self);
const char      *sv_patient_record_get_mrn_label           (SvPatientRecord      *self);
gboolean         sv_patient_record_get_deceased            (SvPatientRecord      *self);
const char      *sv_patient_record_get_deceased_text       (SvPatientRecord      *self);
const char      *sv_patient_record_get_source_server       (SvPatientRecord      *self);
GDateTime       *sv_patient_record_get_last_fetched        (SvPatientRecord      *self);
gboolean         sv_patient_record_get_loading             (SvPatientRecord      *self);
const char      *sv_patient_record_get_patient_error       (SvPatientRecord      *self);

GListModel      *sv_patient_record_get_problems            (SvPatientRecord      *self);
GListModel      *sv_patient_record_get_encounter_diagnoses (SvPatientRecord      *self);
GListModel      *sv_patient_record_get_medications         (SvPatientRecord      *self);
gboolean         sv_patient_record_get_problems_are_encounter_diagnoses (SvPatientRecord *self);
SvProblem       *sv_patient_record_find_problem            (SvPatientRecord      *self,
                                                            const char           *condition_id);

SvSectionState   sv_patient_record_get_section_state       (SvPatientRecord      *self,
                                                            SvSection             section);
guint            sv_patient_record_get_section_count       (SvPatientRecord      *self,
                                                            SvSection             section);
const char      *sv_patient_record_get_section_message     (SvPatientRecord      *self,
                                                            SvSection             section);
SvSectionState   sv_patient_record_get_resource_state      (SvPatientRecord      *self,
                                                            const char           *resource_type,
                                                            guint                *count,
                                                            const char          **message);
GPtrArray       *sv_patient_record_get_skipped             (SvPatientRecord      *self);

const char      *sv_section_state_to_string                (SvSectionState        state);

JsonNode        *sv_patient_record_to_json_node            (SvPatientRecord      *self);
char            *sv_patient_record_to_json                 (SvPatientRecord      *self);
char            *sv_patient_record_to_text                 (SvPatientRecord      *self);

G_END_DECLS
