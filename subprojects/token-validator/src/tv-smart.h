/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* True when scope[0..len) is a SMART resource scope in v1
 * ("patient/Observation.read"), v2 ("user/Patient.rs") or v2.2
 * ("patient/Observation.rs?category=laboratory") syntax.  *is_patient is
 * set when its context is "patient/". */
bool tv_scope_is_smart_resource (const char *scope, size_t len, bool *is_patient);

/* Reduces a FHIR reference — "Practitioner/123", an absolute URL ending in
 * ".../Practitioner/123", optionally with "/_history/n" — to "Type/id".
 * Returns false when it is not a reference with a plausible type and id. */
bool tv_reference_reduce (const char *ref, char *out, size_t outlen);

/* Reduces a patient claim ("123", "Patient/123" or an absolute URL) to the
 * bare id.  Returns false when it is not a FHIR id or names another type. */
bool tv_patient_id_reduce (const char *value, char *out, size_t outlen);

/* A FHIR id: [A-Za-z0-9-.]{1,64}. */
bool tv_is_fhir_id (const char *s, size_t len);
