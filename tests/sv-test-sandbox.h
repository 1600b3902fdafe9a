/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "sv-sandbox.h"

G_BEGIN_DECLS

gboolean sv_test_sandbox_start (SvSandbox    *sandbox,
                                GError      **error);
guint    sv_test_http_request  (SoupSession  *session,
                                const char   *method,
                                const char   *url,
                                const char   *bearer,
                                const char   *form,
                                char        **body_out);

G_END_DECLS
