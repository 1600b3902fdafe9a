/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sb-store.h — SQLite-backed resource store (WAL mode).
 *
 * All calls are made from the main thread (the libsoup server runs on the
 * default main context); the store serialises access internally anyway. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "sb-context.h"

G_BEGIN_DECLS

#define SB_STORE_ERROR (sb_store_error_quark ())
GQuark sb_store_error_quark (void);

typedef enum
{
  SB_STORE_ERROR_SQL,
  SB_STORE_ERROR_INVALID
} SbStoreError;

SbStore *sb_store_open (const char *path, GError **error);
void     sb_store_free (SbStore *store);
gboolean sb_store_is_empty (SbStore *store);
gboolean sb_store_begin (SbStore *store, GError **error);   /* bulk-load transaction */
gboolean sb_store_commit (SbStore *store, GError **error);
/* Inserts or replaces one resource; json is the full resource JSON text with resourceType and id. */
gboolean sb_store_put_json (SbStore *store, const char *json, gsize len, GError **error);
/* Returns a new JsonNode of the resource, or NULL when absent. */
JsonNode *sb_store_get (SbStore *store, const char *type, const char *id);
/* Ids of patients whose generalPractitioner references Practitioner/<practitioner_id>. */
GPtrArray *sb_store_patients_for_practitioner (SbStore *store, const char *practitioner_id);
/* Ids of patients matching a free-text name search (for the IdP patient picker), at most limit. */
GPtrArray *sb_store_find_patients (SbStore *store, const char *name_query, guint limit);

G_END_DECLS

/* ---- Additions used by the FHIR side (not part of the original contract). ---- */
G_BEGIN_DECLS
/* The stored JSON text of a resource (a new string) or NULL; *patient_out
 * (may be NULL) gets the id of the patient whose compartment holds it. */
char      *sb_store_get_text (SbStore *store, const char *type, const char *id, char **patient_out);
/* Runs a read-only statement with text bindings; appends column 0 and, when
 * col1 is not NULL, column 1 of each row (NULL-safe, as new strings). */
gboolean   sb_store_query (SbStore *store, const char *sql,
                           const char *const *binds, guint n_binds,
                           GPtrArray *col0, GPtrArray *col1, GError **error);
/* The first column of the first row as an integer (e.g. COUNT(*)). */
gboolean   sb_store_query_int (SbStore *store, const char *sql,
                               const char *const *binds, guint n_binds,
                               gint64 *result, GError **error);
/* Counts of stored resources by type, as a JSON object. */
JsonObject *sb_store_type_counts (SbStore *store);
/* Date parameter ranges: fills lo/hi (ISO 8601 "YYYY-MM-DDTHH:MM:SS") for a
 * FHIR date/dateTime/instant of any precision; FALSE when malformed. */
gboolean   sb_store_date_range (const char *value, char **lo, char **hi);
G_END_DECLS
