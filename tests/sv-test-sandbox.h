/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "sv-sandbox.h"
#include "sv-session.h"

G_BEGIN_DECLS

gboolean sv_test_sandbox_start (SvSandbox    *sandbox,
                                GError      **error);
guint    sv_test_http_request  (SoupSession  *session,
                                const char   *method,
                                const char   *url,
                                const char   *bearer,
                                const char   *form,
                                char        **body_out);
void     sv_test_wait_until     (gboolean    (*check) (gpointer data),
                                gpointer      data,
                                guint         seconds,
                                const char   *what);
char    *sv_test_sandbox_browse (const char  *authorization_url,
                                 GError     **error);
char    *sv_test_sandbox_browse_for (const char  *authorization_url,
                                     const char  *patient,
                                     GError     **error);

SvSession *sv_test_sandbox_sign_in (const char  *fhir_base,
                                    const char  *client_id,
                                    SoupSession *http,
                                    const char  *patient,
                                    const char  *scopes);

G_END_DECLS
