/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-fhir"

#include "config.h"

#include "sv-bearer-source.h"

G_DEFINE_INTERFACE (SvBearerSource, sv_bearer_source, G_TYPE_OBJECT)

static void
sv_bearer_source_default_init (SvBearerSourceInterface *iface)
{
}

/**
 * sv_bearer_source_get_token_async:
 * @source: a #SvBearerSource
 * @force_refresh: %TRUE after the server refused the last token (HTTP 401)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the token is known
 * @user_data: data for @callback
 *
 * Gets the access token to send as `Authorization: Bearer`. The FHIR client
 * asks with @force_refresh at most once per request, after a 401.
 */
void
sv_bearer_source_get_token_async (SvBearerSource      *source,
                                  gboolean             force_refresh,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_return_if_fail (SV_IS_BEARER_SOURCE (source));

  SV_BEARER_SOURCE_GET_IFACE (source)->get_token_async (source, force_refresh, cancellable,
                                                        callback, user_data);
}

/**
 * sv_bearer_source_get_token_finish:
 * @source: a #SvBearerSource
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the access token, %NULL on error
 */
char *
sv_bearer_source_get_token_finish (SvBearerSource  *source,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  g_return_val_if_fail (SV_IS_BEARER_SOURCE (source), NULL);

  return SV_BEARER_SOURCE_GET_IFACE (source)->get_token_finish (source, result, error);
}
