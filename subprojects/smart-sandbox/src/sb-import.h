/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sb-import.h — loading FHIR Bundles and bulk-export NDJSON into the store. */
#pragma once

#include <glib.h>

#include "sb-context.h"

G_BEGIN_DECLS

/* Imports a file (a Bundle or a single resource as JSON, or NDJSON with one
 * resource per line) or every *.ndjson / *.json file of a folder.  counts
 * (type → GUINT_TO_POINTER (n)) gets what was stored.  The whole import is
 * one transaction: either everything is stored or nothing. */
gboolean sb_import_path (SbStore *store, const char *path, GHashTable *counts, GError **error);

G_END_DECLS
