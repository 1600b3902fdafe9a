/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "sv-fhir-client.h"

G_BEGIN_DECLS

char       **sv_patient_search_params       (const char           *query);
void         sv_patient_search_async        (SvFhirClient         *client,
                                             const char           *query,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
GPtrArray   *sv_patient_search_finish       (GAsyncResult         *result,
                                             char                **partial_reason,
                                             GError              **error);
void         sv_patient_search_ids_async    (SvFhirClient         *client,
                                             const char * const   *ids,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
GPtrArray   *sv_patient_search_ids_finish   (GAsyncResult         *result,
                                             GError              **error);

G_END_DECLS
