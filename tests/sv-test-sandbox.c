/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "sv-test-sandbox.h"

#include <string.h>

/* Helpers for the GTK-free tests that run the real smart-sandbox. */

typedef struct
{
  gboolean  done;
  gboolean  ok;
  GError   *error;
} StartData;

static void
on_started (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  StartData *data = user_data;

  data->ok = sv_sandbox_start_finish (SV_SANDBOX (source), result, &data->error);
  data->done = TRUE;
}

/**
 * sv_test_sandbox_start:
 *
 * Starts (or finds) the sandbox and runs the main loop until it is ready.
 * The first start generates the population, so this may take a moment.
 */
gboolean
sv_test_sandbox_start (SvSandbox  *sandbox,
                       GError    **error)
{
  StartData data = { FALSE, FALSE, NULL };

  sv_sandbox_start_async (sandbox, NULL, on_started, &data);
  while (!data.done)
    g_main_context_iteration (NULL, TRUE);

  if (data.error != NULL)
    g_propagate_error (error, data.error);
  return data.ok;
}

/**
 * sv_test_http_request:
 *
 * One blocking request, with an optional bearer token and form body.
 *
 * Returns: the HTTP status
 */
guint
sv_test_http_request (SoupSession  *session,
                      const char   *method,
                      const char   *url,
                      const char   *bearer,
                      const char   *form,
                      char        **body_out)
{
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (msg);
  if (bearer != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", bearer, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", value);
    }
  if (form != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (form, strlen (form));

      soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", bytes);
    }
  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  if (body_out != NULL)
    *body_out = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  return soup_message_get_status (msg);
}
