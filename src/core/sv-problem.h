/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "sv-json-reader.h"

G_BEGIN_DECLS

/**
 * SvProblemGroup:
 * @SV_PROBLEM_GROUP_ACTIVE: clinicalStatus active, recurrence or relapse
 * @SV_PROBLEM_GROUP_REMISSION: clinicalStatus remission
 * @SV_PROBLEM_GROUP_UNKNOWN: no (known) clinicalStatus and no abatement
 * @SV_PROBLEM_GROUP_INACTIVE: inactive or resolved (shown collapsed)
 *
 * The groups of the problem list, in display order. A Condition without a
 * clinicalStatus is not hidden among the collapsed inactive ones unless it
 * has an abatement.
 */
typedef enum
{
  SV_PROBLEM_GROUP_ACTIVE,
  SV_PROBLEM_GROUP_REMISSION,
  SV_PROBLEM_GROUP_UNKNOWN,
  SV_PROBLEM_GROUP_INACTIVE,
} SvProblemGroup;

/**
 * SvProblemCategory:
 * @SV_PROBLEM_CATEGORY_PROBLEM_LIST: problem-list-item, or no category at all
 * @SV_PROBLEM_CATEGORY_HEALTH_CONCERN: health-concern
 * @SV_PROBLEM_CATEGORY_ENCOUNTER_DIAGNOSIS: encounter-diagnosis
 */
typedef enum
{
  SV_PROBLEM_CATEGORY_PROBLEM_LIST,
  SV_PROBLEM_CATEGORY_HEALTH_CONCERN,
  SV_PROBLEM_CATEGORY_ENCOUNTER_DIAGNOSIS,
} SvProblemCategory;

#define SV_TYPE_PROBLEM_GROUP (sv_problem_group_get_type ())
#define SV_TYPE_PROBLEM_CATEGORY (sv_problem_category_get_type ())
GType sv_problem_group_get_type    (void) G_GNUC_CONST;
GType sv_problem_category_get_type (void) G_GNUC_CONST;

#define SV_TYPE_PROBLEM (sv_problem_get_type ())

G_DECLARE_FINAL_TYPE (SvProblem, sv_problem, SV, PROBLEM, GObject)

SvProblem         *sv_problem_new_from_json           (JsonObject  *condition,
                                                       GError     **error);
SvProblem         *sv_problem_new_from_node           (const SvJsonNode  *condition,
                                                       GBytes            *text,
                                                       GError           **error);
const char        *sv_problem_get_id                  (SvProblem   *self);
const char        *sv_problem_get_resource_type       (SvProblem   *self);
const char        *sv_problem_get_display             (SvProblem   *self);
GPtrArray         *sv_problem_get_codings             (SvProblem   *self);
const char        *sv_problem_get_clinical_status     (SvProblem   *self);
const char        *sv_problem_get_verification_status (SvProblem   *self);
SvProblemGroup     sv_problem_get_group               (SvProblem   *self);
SvProblemCategory  sv_problem_get_category            (SvProblem   *self);
const char        *sv_problem_get_category_code       (SvProblem   *self);
const char        *sv_problem_get_onset_text          (SvProblem   *self);
const char        *sv_problem_get_abatement_text      (SvProblem   *self);
const char        *sv_problem_get_recorded_text       (SvProblem   *self);
const char        *sv_problem_get_onset_date          (SvProblem   *self);
const char        *sv_problem_get_recorded_date       (SvProblem   *self);
gboolean           sv_problem_get_refuted             (SvProblem   *self);
gboolean           sv_problem_get_unconfirmed         (SvProblem   *self);
gboolean           sv_problem_get_entered_in_error    (SvProblem   *self);
gboolean           sv_problem_get_inferred            (SvProblem   *self);
double             sv_problem_get_confidence          (SvProblem   *self);
const char        *sv_problem_get_notes               (SvProblem   *self);
const char        *sv_problem_get_raw_json            (SvProblem   *self);
JsonObject        *sv_problem_get_resource            (SvProblem   *self);
int                sv_problem_compare                 (SvProblem   *a,
                                                       SvProblem   *b);

G_END_DECLS
