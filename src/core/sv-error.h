/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SV_ERROR (sv_error_quark ())

/**
 * SvError:
 * @SV_ERROR_FAILED: a generic failure
 * @SV_ERROR_INVALID_INPUT: something the user typed or stored is not valid
 * @SV_ERROR_NETWORK: a server could not be reached or answered badly
 * @SV_ERROR_PROTOCOL: a server broke the SMART or OAuth protocol
 * @SV_ERROR_DENIED: the server or the user refused access
 * @SV_ERROR_NO_SECRET_STORAGE: no usable keyring
 * @SV_ERROR_NOT_SIGNED_IN: the action needs a session that does not exist
 * @SV_ERROR_BAD_REQUEST: a server refused a request as asked (HTTP 400); the
 *   same request without an optional parameter may succeed
 *
 * Errors of SMART Viewer. Their messages are translated and say what to do.
 */
typedef enum
{
  SV_ERROR_FAILED,
  SV_ERROR_INVALID_INPUT,
  SV_ERROR_NETWORK,
  SV_ERROR_PROTOCOL,
  SV_ERROR_DENIED,
  SV_ERROR_NO_SECRET_STORAGE,
  SV_ERROR_NOT_SIGNED_IN,
  SV_ERROR_BAD_REQUEST,
} SvError;

GQuark sv_error_quark (void);

G_END_DECLS
