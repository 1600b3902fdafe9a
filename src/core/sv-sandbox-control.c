/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-sandbox-control"

#include "config.h"

#include "sv-sandbox-control.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "sv-error.h"
#include "sv-http.h"
#include "sv-redact.h"
#include "sv-sandbox-events.h"

/* The "Simulate" menu of workshop mode. Each action is one request to
 * smart-sandbox's `{root}/_sandbox/faults` (see its README, "Fault
 * switches"), sent on the app's shared SoupSession so that the session
 * timeline shows it next to the requests it affects:
 *
 * - Expire: `expire_access_tokens` (every access token issued so far is
 *   answered 401 invalid_token "expired"; the refreshed one works);
 * - Revoke: `revoke_sessions` and `expire_access_tokens` together. The IdP
 *   revokes the refresh tokens, but HealthLake's validator checks only the
 *   JWT, so the access token would keep working until it expires: an
 *   administrator's "sign out everywhere" plus the wait for expiry;
 * - Slow validator: `validator_delay_ms` 1500, beyond HealthLake's 1 s;
 * - Throttle: every 2nd search answers 429 with `Retry-After: 1`;
 * - Server error: Condition answers 500, so one section of the patient
 *   view fails and the others load;
 * - Reset: DELETE, every switch off.
 *
 * Only a sandbox on loopback is driven: the URL comes from
 * sv_sandbox_hook_url_for_base(), and redirects are not followed. */

#define SLOW_VALIDATOR_MS 1500
#define THROTTLE_EVERY 2
#define RETRY_AFTER_S 1
#define SERVER_ERROR_TYPE "Condition"
/* The sandbox's answers are a few hundred bytes. */
#define MAX_ERROR_CHARS 200

struct _SvSandboxControl
{
  GObject      parent_instance;

  SoupSession *http;
  char        *url;
};

G_DEFINE_FINAL_TYPE (SvSandboxControl, sv_sandbox_control, G_TYPE_OBJECT)

static void
sv_sandbox_control_finalize (GObject *object)
{
  SvSandboxControl *self = SV_SANDBOX_CONTROL (object);

  g_clear_object (&self->http);
  g_free (self->url);

  G_OBJECT_CLASS (sv_sandbox_control_parent_class)->finalize (object);
}

static void
sv_sandbox_control_class_init (SvSandboxControlClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sv_sandbox_control_finalize;
}

static void
sv_sandbox_control_init (SvSandboxControl *self)
{
}

/**
 * sv_sandbox_control_new:
 * @http: the app's shared session
 * @fhir_base: the FHIR base of the sandbox
 * @error: return location for an error
 *
 * Whether the server really is smart-sandbox shows with the first action:
 * another server answers 404 to the fault switches.
 *
 * Returns: (transfer full) (nullable): the control, or %NULL with @error
 *   set when @fhir_base is not on loopback
 */
SvSandboxControl *
sv_sandbox_control_new (SoupSession  *http,
                        const char   *fhir_base,
                        GError      **error)
{
  SvSandboxControl *self;
  g_autofree char *url = NULL;

  g_return_val_if_fail (SOUP_IS_SESSION (http), NULL);

  url = sv_sandbox_hook_url_for_base (fhir_base, "/_sandbox/faults");
  if (url == NULL)
    {
      g_set_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT, "%s",
                   _("Simulations only work with a sandbox on this computer (127.0.0.1, ::1 or localhost). Sign in to the sandbox to use them."));
      return NULL;
    }

  self = g_object_new (SV_TYPE_SANDBOX_CONTROL, NULL);
  self->http = g_object_ref (http);
  self->url = g_steal_pointer (&url);
  return self;
}

/* The switches of @action, as the JSON object to POST; NULL for Reset. */
static char *
request_body (SvSimulateAction action)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  switch (action)
    {
    case SV_SIMULATE_EXPIRE_TOKEN:
      json_builder_set_member_name (builder, "expire_access_tokens");
      json_builder_add_boolean_value (builder, TRUE);
      break;
    case SV_SIMULATE_REVOKE:
      json_builder_set_member_name (builder, "revoke_sessions");
      json_builder_add_boolean_value (builder, TRUE);
      json_builder_set_member_name (builder, "expire_access_tokens");
      json_builder_add_boolean_value (builder, TRUE);
      break;
    case SV_SIMULATE_SLOW_VALIDATOR:
      json_builder_set_member_name (builder, "validator_delay_ms");
      json_builder_add_int_value (builder, SLOW_VALIDATOR_MS);
      break;
    case SV_SIMULATE_THROTTLE:
      json_builder_set_member_name (builder, "throttle_every");
      json_builder_add_int_value (builder, THROTTLE_EVERY);
      json_builder_set_member_name (builder, "retry_after");
      json_builder_add_int_value (builder, RETRY_AFTER_S);
      break;
    case SV_SIMULATE_SERVER_ERROR:
      json_builder_set_member_name (builder, "error_500_type");
      json_builder_add_string_value (builder, SERVER_ERROR_TYPE);
      break;
    case SV_SIMULATE_RESET:
    default:
      return NULL;
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

/* The sandbox's own reason for a refusal (`{"error": "…"}`), shortened and
 * redacted; NULL when it sent none. */
static char *
sandbox_reason (GBytes     *body,
                const char *url)
{
  g_autoptr(JsonObject) object = sv_json_parse_object (body, url, NULL);
  g_autofree char *shortened = NULL;
  const char *reason = object != NULL ? sv_json_get_string (object, "error") : NULL;

  if (reason == NULL || !g_utf8_validate (reason, -1, NULL))
    return NULL;
  shortened = g_utf8_substring (reason, 0, MIN (g_utf8_strlen (reason, -1), MAX_ERROR_CHARS));
  return sv_redact_text (shortened);
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SvSandboxControl *self = g_task_get_source_object (task);
  SoupSession *http = SOUP_SESSION (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (http, result, &error);
  SoupMessage *msg = g_task_get_task_data (task);
  g_autofree char *reason = NULL;
  guint status;

  if (body == NULL)
    {
      g_task_return_error (task, sv_http_wrap_error (error, self->url));
      return;
    }

  status = soup_message_get_status (msg);
  if (SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  reason = sandbox_reason (body, self->url);
  switch (status)
    {
    case SOUP_STATUS_NOT_FOUND:
      g_task_return_new_error (task, SV_ERROR, SV_ERROR_PROTOCOL, "%s",
                               _("This server has no fault switches. Simulations need smart-sandbox."));
      break;
    case SOUP_STATUS_FORBIDDEN:
      g_task_return_new_error (task, SV_ERROR, SV_ERROR_DENIED, "%s",
                               _("The sandbox accepts simulations from this computer only."));
      break;
    case SOUP_STATUS_BAD_REQUEST:
      g_task_return_new_error (task, SV_ERROR, SV_ERROR_PROTOCOL,
                               _("The sandbox does not offer this simulation (%s). Update smart-sandbox, and use its own sign-in rather than an external one."),
                               reason != NULL ? reason : soup_message_get_reason_phrase (msg));
      break;
    default:
      g_task_return_new_error (task, SV_ERROR, SV_ERROR_NETWORK,
                               _("The sandbox answered the simulation with an error (%u). Try again, or restart the sandbox."),
                               status);
    }
}

/**
 * sv_sandbox_control_simulate_async:
 * @self: a #SvSandboxControl
 * @action: what to simulate
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the sandbox has answered
 * @user_data: data for @callback
 *
 * Sets the sandbox's fault switches for @action. The switches merge: a
 * second action adds to the first, until %SV_SIMULATE_RESET.
 */
void
sv_sandbox_control_simulate_async (SvSandboxControl    *self,
                                   SvSimulateAction     action,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autofree char *body = NULL;

  g_return_if_fail (SV_IS_SANDBOX_CONTROL (self));
  g_return_if_fail (action >= SV_SIMULATE_EXPIRE_TOKEN && action <= SV_SIMULATE_RESET);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sv_sandbox_control_simulate_async);

  body = request_body (action);
  msg = soup_message_new (body != NULL ? SOUP_METHOD_POST : SOUP_METHOD_DELETE, self->url);
  /* A redirect could lead away from loopback. */
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept", "application/json");
  if (body != NULL)
    {
      gsize length = strlen (body);
      g_autoptr(GBytes) bytes = g_bytes_new_take (g_steal_pointer (&body), length);

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  g_task_set_task_data (task, g_object_ref (msg), g_object_unref);
  soup_session_send_and_read_async (self->http, msg, G_PRIORITY_DEFAULT, cancellable,
                                    on_sent, g_steal_pointer (&task));
}

/**
 * sv_sandbox_control_simulate_finish:
 * @self: a #SvSandboxControl
 * @result: the result
 * @error: return location for a translated error
 *
 * Returns: whether the sandbox took the switches
 */
gboolean
sv_sandbox_control_simulate_finish (SvSandboxControl  *self,
                                    GAsyncResult      *result,
                                    GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * sv_simulate_action_get_label:
 * @action: an action
 *
 * Returns: the translated menu label of @action
 */
const char *
sv_simulate_action_get_label (SvSimulateAction action)
{
  switch (action)
    {
    case SV_SIMULATE_EXPIRE_TOKEN:
      return _("Expire Access Token Now");
    case SV_SIMULATE_REVOKE:
      return _("Revoke Session");
    case SV_SIMULATE_SLOW_VALIDATOR:
      return _("Slow Token Validator");
    case SV_SIMULATE_THROTTLE:
      return _("Throttle Searches");
    case SV_SIMULATE_SERVER_ERROR:
      return _("Server Error for Conditions");
    case SV_SIMULATE_RESET:
      return _("Reset Simulations");
    default:
      g_return_val_if_reached (NULL);
    }
}

/**
 * sv_simulate_action_get_explanation:
 * @action: an action
 *
 * Returns: one translated paragraph for the timeline: what the sandbox now
 *   does, and what the audience should see the app do next
 */
const char *
sv_simulate_action_get_explanation (SvSimulateAction action)
{
  switch (action)
    {
    case SV_SIMULATE_EXPIRE_TOKEN:
      return _("The sandbox now answers the current access token as expired. The next FHIR request gets 401 “invalid_token”; the app refreshes its token and repeats the request, which succeeds.");
    case SV_SIMULATE_REVOKE:
      return _("The sandbox’s identity provider revokes the session, as an administrator would. HealthLake’s validator checks only the access token itself, which would keep working until it expires, so the sandbox also expires it now. The next FHIR request gets 401, the refresh is refused, and the app asks to sign in again.");
    case SV_SIMULATE_SLOW_VALIDATOR:
      return _("The token validator now answers after 1.5 seconds, longer than the 1 second HealthLake waits. FHIR requests fail with a 500 “Timeout during custom Idp execution.”, and the app says that the validator was too slow.");
    case SV_SIMULATE_THROTTLE:
      return _("Every second search is now answered 429 “Too Many Requests” with Retry-After: 1. The app waits one second and repeats the search, which succeeds.");
    case SV_SIMULATE_SERVER_ERROR:
      return _("Condition requests are now answered 500. The patient’s problems show an error; the other sections load as usual.");
    case SV_SIMULATE_RESET:
      return _("Every fault switch of the sandbox is off again: requests behave normally.");
    default:
      g_return_val_if_reached (NULL);
    }
}
