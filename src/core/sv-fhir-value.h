/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "sv-json-reader.h"

G_BEGIN_DECLS

/**
 * SvCodeDomain:
 * @SV_CODE_DOMAIN_CONDITION: prefer SNOMED CT, then ICD-10-CM, then ICD-10
 * @SV_CODE_DOMAIN_MEDICATION: prefer RxNorm, then SNOMED CT
 * @SV_CODE_DOMAIN_OTHER: no preferred system
 *
 * Which code systems a display is preferably taken from (FHIR-DISPLAY.md).
 */
typedef enum
{
  SV_CODE_DOMAIN_CONDITION,
  SV_CODE_DOMAIN_MEDICATION,
  SV_CODE_DOMAIN_OTHER,
} SvCodeDomain;

/**
 * SvDatePrecision:
 *
 * How much of a FHIR date or dateTime was given.
 */
typedef enum
{
  SV_DATE_PRECISION_NONE,
  SV_DATE_PRECISION_YEAR,
  SV_DATE_PRECISION_MONTH,
  SV_DATE_PRECISION_DAY,
  SV_DATE_PRECISION_TIME,
} SvDatePrecision;

/**
 * SvCoding:
 * @system: (nullable): the code system URI
 * @code: (nullable): the code
 * @display: (nullable): the coding's display
 *
 * One coding of a CodeableConcept, for the "all codings" list.
 */
typedef struct
{
  char *system;
  char *code;
  char *display;
} SvCoding;

#define SV_TYPE_CODING (sv_coding_get_type ())

GType            sv_coding_get_type            (void) G_GNUC_CONST;
SvCoding        *sv_coding_copy                (const SvCoding  *coding);
void             sv_coding_free                (SvCoding        *coding);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvCoding, sv_coding_free)

#define SV_FHIR_HEALTHLAKE_EXTENSION_PREFIX "http://healthlake.amazonaws.com/"

#define SV_FHIR_DATA_ABSENT_REASON_URL "http://hl7.org/fhir/StructureDefinition/data-absent-reason"

const char      *sv_fhir_member_string         (JsonObject      *object,
                                                const char      *name);
JsonObject      *sv_fhir_member_object         (JsonObject      *object,
                                                const char      *name);
JsonArray       *sv_fhir_member_array          (JsonObject      *object,
                                                const char      *name);

const char      *sv_fhir_system_label          (const char      *system);
char            *sv_fhir_concept_display       (const SvJsonNode *concept,
                                                SvCodeDomain     domain);
gboolean         sv_fhir_concept_has_code      (const SvJsonNode *concept,
                                                const char      *system,
                                                const char      *code);
const char      *sv_fhir_concept_code          (const SvJsonNode *concept,
                                                const char      *system);

char            *sv_fhir_data_absent_reason    (const SvJsonNode *element);
char            *sv_fhir_not_known             (const char      *reason);

SvDatePrecision  sv_fhir_date_parse            (const char      *text,
                                                int             *year,
                                                int             *month,
                                                int             *day);
char            *sv_fhir_date_format           (const char      *text);
gint64           sv_fhir_date_sort_key         (const char      *text);
int              sv_fhir_age_in_years          (const char      *birth_date,
                                                GDateTime       *now);

char            *sv_fhir_patient_name          (const SvJsonNode *patient);
char            *sv_fhir_patient_birth         (const SvJsonNode *patient,
                                                GDateTime       *now);
char            *sv_fhir_patient_mrn           (const SvJsonNode *patient,
                                                char           **label);
char            *sv_fhir_choice_display        (const SvJsonNode *resource,
                                                const char      *prefix);


GPtrArray       *sv_fhir_concept_codings       (const SvJsonNode *concept);
const char      *sv_fhir_status_code           (const SvJsonNode *concept,
                                                const char      *system);
char            *sv_fhir_quantity_display      (const SvJsonNode *quantity);
char            *sv_fhir_dosage_display        (const SvJsonNode *dosage);
char            *sv_fhir_notes_text            (const SvJsonNode *resource);
gboolean         sv_fhir_inferred_confidence   (const SvJsonNode *resource,
                                                double          *confidence);
char            *sv_fhir_reference_id          (const char      *reference,
                                                const char      *resource_type);
JsonObject      *sv_fhir_resource_from_text    (GBytes          *text);
GBytes          *sv_fhir_resource_text         (JsonObject      *resource);
char            *sv_fhir_resource_pretty_text  (JsonObject      *resource,
                                                GBytes          *text);
gboolean         sv_fhir_resource_check        (const SvJsonNode *resource,
                                                const char      *resource_type,
                                                const char      *members,
                                                GError         **error);

G_END_DECLS
