/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

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

#define SV_FHIR_DATA_ABSENT_REASON_URL "http://hl7.org/fhir/StructureDefinition/data-absent-reason"

const char      *sv_fhir_system_label          (const char      *system);
char            *sv_fhir_concept_display       (JsonObject      *concept,
                                                SvCodeDomain     domain);
gboolean         sv_fhir_concept_has_code      (JsonObject      *concept,
                                                const char      *system,
                                                const char      *code);
const char      *sv_fhir_concept_code          (JsonObject      *concept,
                                                const char      *system);

char            *sv_fhir_data_absent_reason    (JsonObject      *element);
char            *sv_fhir_not_known             (const char      *reason);

SvDatePrecision  sv_fhir_date_parse            (const char      *text,
                                                int             *year,
                                                int             *month,
                                                int             *day);
char            *sv_fhir_date_format           (const char      *text);
gint64           sv_fhir_date_sort_key         (const char      *text);
int              sv_fhir_age_in_years          (const char      *birth_date,
                                                GDateTime       *now);

char            *sv_fhir_patient_name          (JsonObject      *patient);
char            *sv_fhir_patient_birth         (JsonObject      *patient,
                                                GDateTime       *now);
char            *sv_fhir_patient_mrn           (JsonObject      *patient,
                                                char           **label);
char            *sv_fhir_choice_display        (JsonObject      *resource,
                                                const char      *prefix);

G_END_DECLS
