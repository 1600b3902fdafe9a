/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Stand-in copy of the contract; the real header is src/sb-generate.h (Generator helper). */
#pragma once
#include <glib.h>
typedef gboolean (*SbResourceSink) (const char *json, gsize len, gpointer user_data, GError **error);
typedef struct {
  char *clinician_practitioner_id;
  char *patient_id;
  char *large_patient_id;
  guint n_patients;
} SbPopulationInfo;
gboolean sb_generate_population (guint32 seed, SbResourceSink sink, gpointer user_data,
                                 SbPopulationInfo *info_out, GError **error);
void sb_population_info_clear (SbPopulationInfo *info);
