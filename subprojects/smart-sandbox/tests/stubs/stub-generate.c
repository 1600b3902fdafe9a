/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Stand-in for src/sb-generate.c while it is being written: a tiny population. */
#define G_LOG_DOMAIN "smart-sandbox"
#include "config.h"
#include <string.h>
#include "sb-generate.h"

gboolean
sb_generate_population (guint32 seed, SbResourceSink sink, gpointer user_data,
                        SbPopulationInfo *info_out, GError **error)
{
  const char *res[] = {
    "{\"resourceType\":\"Practitioner\",\"id\":\"stub-gp\",\"name\":[{\"family\":\"Gp\"}]}",
    "{\"resourceType\":\"Patient\",\"id\":\"stub-p1\",\"name\":[{\"family\":\"One\",\"given\":[\"Pat\"]}],"
    "\"gender\":\"female\",\"birthDate\":\"1970-05-01\","
    "\"generalPractitioner\":[{\"reference\":\"Practitioner/stub-gp\"}]}",
  };
  for (guint i = 0; i < G_N_ELEMENTS (res); i++)
    if (!sink (res[i], strlen (res[i]), user_data, error))
      return FALSE;
  if (info_out)
    {
      info_out->clinician_practitioner_id = g_strdup ("stub-gp");
      info_out->patient_id = g_strdup ("stub-p1");
      info_out->large_patient_id = g_strdup ("stub-p1");
      info_out->n_patients = 1;
    }
  return TRUE;
}

void
sb_population_info_clear (SbPopulationInfo *info)
{
  g_clear_pointer (&info->clinician_practitioner_id, g_free);
  g_clear_pointer (&info->patient_id, g_free);
  g_clear_pointer (&info->large_patient_id, g_free);
}
