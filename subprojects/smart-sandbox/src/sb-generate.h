/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sb-generate.h — the sandbox's deterministic synthetic population.
 *
 * The generator only produces FHIR R4 resources as JSON text and hands each
 * one to a sink; it knows nothing about the store, so the same code feeds
 * SQLite at first start and the tests that check the population. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The "today" every generated date is computed from; the population must not
 * depend on the wall clock or two first starts would differ. */
#define SB_GENERATE_TODAY "2026-11-01"

/* The seed sb-main.c uses on first start; POPULATION.md describes it. */
#define SB_GENERATE_DEFAULT_SEED 20261204u

#define SB_GENERATE_ERROR (sb_generate_error_quark ())
GQuark sb_generate_error_quark (void);

typedef enum
{
  SB_GENERATE_ERROR_SINK   /* the sink returned FALSE without saying why */
} SbGenerateError;

/* Receives one complete resource (compact JSON, UTF-8, not NUL-terminated
 * beyond @len although a NUL follows it).  Returning FALSE stops the
 * generation; the error is passed back to the caller. */
typedef gboolean (*SbResourceSink) (const char *json, gsize len, gpointer user_data, GError **error);

typedef struct
{
  char *clinician_practitioner_id;  /* the demo user "clinician": GP of many patients */
  char *patient_id;                 /* the demo user "patient" (has a Patient.link) */
  char *large_patient_id;           /* >= 2000 Conditions and >= 2000 medication entries */
  guint n_patients;
} SbPopulationInfo;

gboolean sb_generate_population (guint32 seed, SbResourceSink sink, gpointer user_data,
                                 SbPopulationInfo *info_out, GError **error);
void     sb_population_info_clear (SbPopulationInfo *info);

G_END_DECLS
