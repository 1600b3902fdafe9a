/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SV_TYPE_SANDBOX (sv_sandbox_get_type ())

G_DECLARE_FINAL_TYPE (SvSandbox, sv_sandbox, SV, SANDBOX, GObject)

SvSandbox  *sv_sandbox_new                 (const char          *executable,
                                            const char          *flavor);
char       *sv_sandbox_find_executable     (void);
void        sv_sandbox_start_async         (SvSandbox           *self,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean    sv_sandbox_start_finish        (SvSandbox           *self,
                                            GAsyncResult        *result,
                                            GError             **error);
void        sv_sandbox_stop                (SvSandbox           *self);
const char *sv_sandbox_get_fhir_base       (SvSandbox           *self);
const char *sv_sandbox_get_issuer          (SvSandbox           *self);
const char *sv_sandbox_get_client_id       (SvSandbox           *self);
const char *sv_sandbox_get_flavor          (SvSandbox           *self);
gboolean    sv_sandbox_get_owned           (SvSandbox           *self);
gboolean    sv_sandbox_parse_ready_line    (const char          *line,
                                            char               **fhir_base,
                                            char               **issuer,
                                            char               **client_id);

G_END_DECLS
