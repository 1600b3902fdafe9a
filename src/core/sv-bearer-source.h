/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SV_TYPE_BEARER_SOURCE (sv_bearer_source_get_type ())

G_DECLARE_INTERFACE (SvBearerSource, sv_bearer_source, SV, BEARER_SOURCE, GObject)

/**
 * SvBearerSourceInterface:
 * @get_token_async: starts getting an access token; with @force_refresh the
 *   implementation must not return the token it returned before (the server
 *   refused it) but refresh it or fail
 * @get_token_finish: returns the token
 *
 * Where the FHIR client gets its bearer token from: the sign-in session
 * implements it, tests use a static token.
 */
struct _SvBearerSourceInterface
{
  GTypeInterface parent_iface;

  void   (*get_token_async)  (SvBearerSource       *source,
                              gboolean              force_refresh,
                              GCancellable         *cancellable,
                              GAsyncReadyCallback   callback,
                              gpointer              user_data);
  char * (*get_token_finish) (SvBearerSource       *source,
                              GAsyncResult         *result,
                              GError              **error);
};

void  sv_bearer_source_get_token_async  (SvBearerSource       *source,
                                         gboolean              force_refresh,
                                         GCancellable         *cancellable,
                                         GAsyncReadyCallback   callback,
                                         gpointer              user_data);
char *sv_bearer_source_get_token_finish (SvBearerSource       *source,
                                         GAsyncResult         *result,
                                         GError              **error);

G_END_DECLS
