/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* An in-test FHIR server on 127.0.0.1: reads, searches by subject and _id
 * with paging, _include, and switches for the faults the client must
 * survive. It runs in the test's main context. */
typedef struct _SvTestFhirServer SvTestFhirServer;

SvTestFhirServer *sv_test_fhir_server_new               (void);
SvTestFhirServer *sv_test_fhir_server_new_tls           (GTlsCertificate    *certificate);
void              sv_test_fhir_server_free              (SvTestFhirServer   *self);
const char       *sv_test_fhir_server_get_base_url      (SvTestFhirServer   *self);
void              sv_test_fhir_server_add_json          (SvTestFhirServer   *self,
                                                         const char         *json);
void              sv_test_fhir_server_add_resource      (SvTestFhirServer   *self,
                                                         JsonObject         *resource);
guint             sv_test_fhir_server_load_ndjson       (SvTestFhirServer   *self,
                                                         const char         *path,
                                                         GError            **error);
void              sv_test_fhir_server_set_page_size     (SvTestFhirServer   *self,
                                                         guint               page_size);
void              sv_test_fhir_server_set_tokens        (SvTestFhirServer   *self,
                                                         const char * const *tokens);
void              sv_test_fhir_server_expire_token_after (SvTestFhirServer  *self,
                                                         const char         *token,
                                                         guint               n_requests);
void              sv_test_fhir_server_set_include       (SvTestFhirServer   *self,
                                                         const char         *resource_type);
void              sv_test_fhir_server_set_reject_include (SvTestFhirServer *self,
                                                         gboolean            reject);
void              sv_test_fhir_server_add_fault         (SvTestFhirServer   *self,
                                                         const char         *resource_type,
                                                         guint               status,
                                                         guint               times,
                                                         const char         *retry_after,
                                                         const char         *body);
void              sv_test_fhir_server_add_redirect      (SvTestFhirServer   *self,
                                                         const char         *resource_type,
                                                         guint               times,
                                                         const char         *location);
void              sv_test_fhir_server_set_truncated     (SvTestFhirServer   *self,
                                                         const char         *resource_type,
                                                         guint               page);
void              sv_test_fhir_server_set_second_link   (SvTestFhirServer   *self,
                                                         const char         *resource_type,
                                                         guint               page,
                                                         const char         *url);
void              sv_test_fhir_server_set_next_override (SvTestFhirServer   *self,
                                                         const char         *resource_type,
                                                         guint               page,
                                                         const char         *url);
void              sv_test_fhir_server_set_big_body      (SvTestFhirServer   *self,
                                                         const char         *resource_type,
                                                         gsize               size,
                                                         gboolean            chunked);
void              sv_test_fhir_server_set_hold          (SvTestFhirServer   *self,
                                                         const char         *resource_type,
                                                         gboolean            hold);
guint             sv_test_fhir_server_get_n_held        (SvTestFhirServer   *self);
guint             sv_test_fhir_server_count             (SvTestFhirServer   *self,
                                                         const char         *resource_type);
guint             sv_test_fhir_server_count_all         (SvTestFhirServer   *self);
GPtrArray        *sv_test_fhir_server_get_log           (SvTestFhirServer   *self);

G_END_DECLS
