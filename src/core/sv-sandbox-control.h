/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sv-sandbox-control.h — the "Simulate" actions of workshop mode: drives
 * smart-sandbox's fault switches (`{root}/_sandbox/faults`) so a host can
 * show the app recovering or explaining.  Loopback sandboxes only. */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/**
 * SvSimulateAction:
 * @SV_SIMULATE_EXPIRE_TOKEN: the access token the app holds stops being
 *   accepted now (the app refreshes and carries on)
 * @SV_SIMULATE_REVOKE: the IdP revokes the session (refresh fails; the app
 *   asks to sign in again)
 * @SV_SIMULATE_SLOW_VALIDATOR: the validator Lambda answers after more than
 *   1 s (HealthLake's limit), so FHIR requests fail with a timeout
 * @SV_SIMULATE_THROTTLE: searches are throttled (429 with Retry-After)
 * @SV_SIMULATE_SERVER_ERROR: one resource type answers 500
 * @SV_SIMULATE_RESET: every switch back to normal
 */
typedef enum
{
  SV_SIMULATE_EXPIRE_TOKEN,
  SV_SIMULATE_REVOKE,
  SV_SIMULATE_SLOW_VALIDATOR,
  SV_SIMULATE_THROTTLE,
  SV_SIMULATE_SERVER_ERROR,
  SV_SIMULATE_RESET,
} SvSimulateAction;

#define SV_TYPE_SANDBOX_CONTROL (sv_sandbox_control_get_type ())

G_DECLARE_FINAL_TYPE (SvSandboxControl, sv_sandbox_control, SV, SANDBOX_CONTROL, GObject)

/* NULL (with @error) unless @fhir_base is a smart-sandbox on loopback. */
SvSandboxControl *sv_sandbox_control_new             (SoupSession       *http,
                                                      const char        *fhir_base,
                                                      GError           **error);
void              sv_sandbox_control_simulate_async  (SvSandboxControl  *self,
                                                      SvSimulateAction   action,
                                                      GCancellable      *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer           user_data);
gboolean          sv_sandbox_control_simulate_finish (SvSandboxControl  *self,
                                                      GAsyncResult      *result,
                                                      GError           **error);
/* Translated: the menu label, and one sentence for the timeline saying what
 * the audience should expect to see next. */
const char       *sv_simulate_action_get_label       (SvSimulateAction   action);
const char       *sv_simulate_action_get_explanation (SvSimulateAction   action);

G_END_DECLS
