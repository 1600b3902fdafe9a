/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sb-fhir.h — the HealthLake-shaped FHIR R4 API under {root}/datastore/<id>/r4/. */
#pragma once

#include <glib.h>
#include <libsoup/soup.h>

#include "sb-context.h"
#include "sb-lambda.h"

G_BEGIN_DECLS

typedef struct _SbFhir SbFhir;

/* With in_process, the authPayload is computed in-process (the hidden
 * --in-process-authz mode the benchmark compares against).  With lambda
 * NULL and !in_process there is no validator: requests with a token get a
 * 500 that says so. */
SbFhir *sb_fhir_new (SbContext *ctx, SbLambda *lambda, gboolean in_process);
/* Registers /datastore and the loopback-only GET /_sandbox/stats. */
void    sb_fhir_register (SbFhir *fhir, SoupServer *server);
/* For --external-issuer: the discovery document to publish (may be NULL). */
void    sb_fhir_set_external_configuration (SbFhir *fhir, JsonObject *config);
void    sb_fhir_free (SbFhir *fhir);

/* Search parameters as flattened (name, value) pairs from a query string
 * or a form body; "+" means space as in HTML forms. */
GPtrArray *sb_fhir_parse_query (const char *query);

G_END_DECLS
