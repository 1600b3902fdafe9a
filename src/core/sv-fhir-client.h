/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include <libsoup/soup.h>

#include "sv-bearer-source.h"
#include "sv-json-reader.h"

G_BEGIN_DECLS

/**
 * SvFhirSearchResult:
 * @matches: (element-type JsonObject): the resources the search matched, in
 *   server order, across all pages
 * @match_texts: (element-type GBytes): the JSON text of each match, as the
 *   server sent it, in the same order
 * @mapped: (element-type GObject): with sv_fhir_client_search_map_async(),
 *   what its function made of the matches, in order (and @matches and
 *   @match_texts are empty)
 * @mapped_skipped: (element-type utf8): why it made nothing of the others
 * @included: (element-type utf8 JsonObject): other resources of the Bundles
 *   (`_include`), by "Type/id"
 * @invalid: (element-type utf8): entries that were not resources, described
 *   for the user
 * @partial: %TRUE when paging stopped before the last page
 * @partial_reason: (nullable): why, translated
 * @n_pages: how many pages were read
 *
 * Everything a search returned.
 */
typedef struct
{
  GPtrArray  *matches;
  GHashTable *included;
  GPtrArray  *invalid;
  gboolean    partial;
  char       *partial_reason;
  guint       n_pages;
  GPtrArray  *match_texts;
  GPtrArray  *mapped;
  GPtrArray  *mapped_skipped;
} SvFhirSearchResult;

/**
 * SvFhirMatchFunc:
 * @resource: a match of a search, valid during the call only
 * @text: its JSON text as the server sent it
 * @user_data: the data given with the function
 * @skipped: (out) (transfer full): when %NULL is returned, why, translated
 *
 * Makes what a caller needs of a search match, in a worker thread.
 *
 * Returns: (transfer full) (nullable): the object made of @resource
 */
typedef GObject *(*SvFhirMatchFunc) (const SvJsonNode  *resource,
                                     GBytes            *text,
                                     gpointer           user_data,
                                     char             **skipped);

void sv_fhir_search_result_free (SvFhirSearchResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvFhirSearchResult, sv_fhir_search_result_free)

#define SV_TYPE_FHIR_CLIENT (sv_fhir_client_get_type ())

G_DECLARE_FINAL_TYPE (SvFhirClient, sv_fhir_client, SV, FHIR_CLIENT, GObject)

SvFhirClient       *sv_fhir_client_new                 (const char           *base_url,
                                                        SvBearerSource       *bearer,
                                                        SoupSession          *http,
                                                        GError              **error);
const char         *sv_fhir_client_get_base_url        (SvFhirClient         *self);
SvBearerSource     *sv_fhir_client_get_bearer_source   (SvFhirClient         *self);
void                sv_fhir_client_set_max_retry_delay (SvFhirClient         *self,
                                                        guint                 seconds);
void                sv_fhir_client_set_max_body_size   (SvFhirClient         *self,
                                                        gsize                 bytes);
gboolean            sv_fhir_client_is_same_origin      (SvFhirClient         *self,
                                                        const char           *url);

void                sv_fhir_client_read_async          (SvFhirClient         *self,
                                                        const char           *resource_type,
                                                        const char           *id,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
JsonObject         *sv_fhir_client_read_finish         (SvFhirClient         *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);

void                sv_fhir_client_search_async        (SvFhirClient         *self,
                                                        const char           *resource_type,
                                                        const char * const   *params,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
void                sv_fhir_client_search_map_async    (SvFhirClient         *self,
                                                        const char           *resource_type,
                                                        const char * const   *params,
                                                        SvFhirMatchFunc       map,
                                                        gpointer              map_data,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
SvFhirSearchResult *sv_fhir_client_search_finish       (SvFhirClient         *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);

void                sv_fhir_client_resolve_async       (SvFhirClient         *self,
                                                        const char           *resource_type,
                                                        const char * const   *ids,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
GHashTable         *sv_fhir_client_resolve_finish      (SvFhirClient         *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);

G_END_DECLS
