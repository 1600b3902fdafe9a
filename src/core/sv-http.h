/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Connections to one server at once: the browsers' number. */
#define SV_HTTP_MAX_CONNS_PER_HOST 6

SoupSession *sv_http_session_new        (void);
GError      *sv_http_wrap_error         (const GError  *error,
                                         const char    *url);
JsonObject  *sv_json_parse_object       (GBytes        *body,
                                         const char    *url,
                                         GError       **error);
const char  *sv_json_get_string         (JsonObject    *object,
                                         const char    *member);
gboolean     sv_json_get_int            (JsonObject    *object,
                                         const char    *member,
                                         gint64        *value);
char       **sv_json_get_strv           (JsonObject    *object,
                                         const char    *member);

G_END_DECLS
