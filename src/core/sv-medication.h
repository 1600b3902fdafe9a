/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "sv-json-reader.h"

G_BEGIN_DECLS

/**
 * SvMedicationGroup:
 * @SV_MEDICATION_GROUP_ACTIVE: active, intended, on-hold (and draft orders)
 * @SV_MEDICATION_GROUP_STOPPED: stopped, completed, cancelled, not-taken
 * @SV_MEDICATION_GROUP_UNKNOWN: unknown or no status
 *
 * The groups of the medication list, in display order.
 */
typedef enum
{
  SV_MEDICATION_GROUP_ACTIVE,
  SV_MEDICATION_GROUP_STOPPED,
  SV_MEDICATION_GROUP_UNKNOWN,
} SvMedicationGroup;

#define SV_TYPE_MEDICATION_GROUP (sv_medication_group_get_type ())
GType sv_medication_group_get_type (void) G_GNUC_CONST;

#define SV_TYPE_MEDICATION (sv_medication_get_type ())

G_DECLARE_FINAL_TYPE (SvMedication, sv_medication, SV, MEDICATION, GObject)

SvMedication      *sv_medication_new_from_json             (JsonObject    *resource,
                                                            GError       **error);
SvMedication      *sv_medication_new_from_node             (const SvJsonNode  *resource,
                                                            GBytes            *text,
                                                            GError           **error);
const char        *sv_medication_get_id                    (SvMedication  *self);
const char        *sv_medication_get_resource_type         (SvMedication  *self);
const char        *sv_medication_get_source                (SvMedication  *self);
const char        *sv_medication_get_display               (SvMedication  *self);
GPtrArray         *sv_medication_get_codings               (SvMedication  *self);
const char        *sv_medication_get_status                (SvMedication  *self);
SvMedicationGroup  sv_medication_get_group                 (SvMedication  *self);
gboolean           sv_medication_get_not_taken             (SvMedication  *self);
gboolean           sv_medication_get_entered_in_error      (SvMedication  *self);
const char        *sv_medication_get_dosage_text           (SvMedication  *self);
const char        *sv_medication_get_period_text           (SvMedication  *self);
const char        *sv_medication_get_start_date            (SvMedication  *self);
const char        *sv_medication_get_reason_text           (SvMedication  *self);
const char        *sv_medication_get_reason_condition_id   (SvMedication  *self);
const char        *sv_medication_get_medication_reference  (SvMedication  *self);
const char        *sv_medication_get_medication_url        (SvMedication  *self);
const char        *sv_medication_get_notes                 (SvMedication  *self);
const char        *sv_medication_get_raw_json              (SvMedication  *self);
JsonObject        *sv_medication_get_resource              (SvMedication  *self);

void               sv_medication_set_medication            (SvMedication  *self,
                                                            JsonObject    *medication);
void               sv_medication_set_medication_node       (SvMedication      *self,
                                                            const SvJsonNode  *medication);
void               sv_medication_set_medication_url        (SvMedication  *self,
                                                            const char    *url);
void               sv_medication_set_reason_text           (SvMedication  *self,
                                                            const char    *text);
int                sv_medication_compare                   (SvMedication  *a,
                                                            SvMedication  *b);

G_END_DECLS
