/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

char       *sv_redact_text                (const char         *text);
char       *sv_redact_url                 (const char         *url);
JsonNode   *sv_redact_json                (JsonNode           *node);
char       *sv_redact_curl_command        (const char         *method,
                                           const char         *url,
                                           const char * const *headers,
                                           const char         *body);
char       *sv_jwt_describe               (const char         *jwt);
gboolean    sv_redact_looks_opaque        (const char         *value);
void        sv_redact_install_log_writer  (void);

G_END_DECLS
