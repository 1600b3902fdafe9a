/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "smart-viewer-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "sv-cli.h"

/* `--verbose` of login and summary: the session timeline of the inspector
 * (issue 7) as text on stderr. Everything in it went through the
 * timeline's redaction; on a sandbox on this computer the server's side
 * (validator invocations, scope decisions, tokens issued) joins from its
 * event stream. */

/* Bounds, not timings: how long a command waits for the event stream to
 * say hello, and for the server events of its last requests. */
#define CONNECT_WAIT_MS 3000
#define SETTLE_WAIT_MS 3000

static gboolean
on_deadline (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until check() holds or @ms have passed. */
static gboolean
wait_until (gboolean  (*check) (gpointer data),
            gpointer    data,
            guint       ms)
{
  gboolean expired = FALSE;
  guint deadline = g_timeout_add (ms, on_deadline, &expired);

  while (!check (data) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (deadline);
  return !expired;
}

static gboolean
is_connected (gpointer data)
{
  return sv_sandbox_events_get_connected (data);
}

/**
 * sv_cli_timeline_join_sandbox:
 * @timeline: the command's timeline
 * @fhir_base: the profile's FHIR base
 *
 * On a FHIR base on this computer, reads the sandbox's event stream into
 * @timeline, and waits (a little) until it is live, so that the server
 * side of every following request is seen. Anything else (a remote server,
 * a local server that is not smart-sandbox) goes on without it.
 *
 * Returns: (transfer full) (nullable): the running event client
 */
SvSandboxEvents *
sv_cli_timeline_join_sandbox (SvTimeline *timeline,
                              const char *fhir_base)
{
  g_autoptr(SvSandboxEvents) events = NULL;
  g_autofree char *url = sv_sandbox_hook_url_for_base (fhir_base, "/_sandbox/events");

  if (url == NULL)
    return NULL;
  events = sv_sandbox_events_new (fhir_base);
  sv_timeline_watch_sandbox (timeline, events);
  if (!sv_sandbox_events_start (events, NULL))
    return NULL;
  if (!wait_until (is_connected, events, CONNECT_WAIT_MS))
    {
      g_debug ("No sandbox event stream at %s; the timeline shows the client side only", url);
      sv_sandbox_events_stop (events);
      return NULL;
    }
  return g_steal_pointer (&events);
}

typedef struct
{
  SvTimeline *timeline;
  const char *fhir_base;
} Settle;

/* Every answered request to the FHIR base has its server fhir-request
 * event (the validator's comes just before it). */
static gboolean
is_settled (gpointer data)
{
  Settle *settle = data;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (settle->timeline));
  g_autoptr(GHashTable) answered = g_hash_table_new (NULL, NULL);

  for (guint id = 1; id <= n; id++)
    {
      SvTimelineEntry *entry = sv_timeline_get_entry (settle->timeline, id);
      JsonObject *details = sv_timeline_entry_get_details (entry);

      if (sv_timeline_entry_get_kind (entry) == SV_TIMELINE_KIND_SERVER_EVENT &&
          json_object_has_member (details, "event") &&
          g_strcmp0 (json_object_get_string_member_with_default (json_object_get_object_member (details, "event"),
                                                                 "kind", NULL), "fhir-request") == 0)
        g_hash_table_add (answered, GUINT_TO_POINTER (sv_timeline_entry_get_link_id (entry)));
    }
  for (guint id = 1; id <= n; id++)
    {
      SvTimelineEntry *entry = sv_timeline_get_entry (settle->timeline, id);
      const char *url = sv_timeline_entry_get_url (entry);

      if (sv_timeline_entry_get_kind (entry) == SV_TIMELINE_KIND_FHIR_REQUEST &&
          sv_timeline_entry_get_status (entry) != 0 && url != NULL &&
          g_str_has_prefix (url, settle->fhir_base) &&
          !g_hash_table_contains (answered, GUINT_TO_POINTER (id)))
        return FALSE;
    }
  return TRUE;
}

/**
 * sv_cli_timeline_print:
 * @timeline: the command's timeline
 * @events: (nullable): the sandbox's event stream, when it was joined
 * @fhir_base: the profile's FHIR base
 *
 * Waits (a little) for the server events of the last requests, stops the
 * stream, and prints the timeline on stderr.
 */
void
sv_cli_timeline_print (SvTimeline      *timeline,
                       SvSandboxEvents *events,
                       const char      *fhir_base)
{
  g_autofree char *text = NULL;

  if (events != NULL)
    {
      Settle settle = { timeline, fhir_base };

      if (fhir_base != NULL && !wait_until (is_settled, &settle, SETTLE_WAIT_MS))
        g_debug ("Some server events did not arrive in time");
      sv_sandbox_events_stop (events);
    }

  text = sv_timeline_to_text (timeline);
  g_printerr ("%s\n%s", _("Session timeline (tokens, codes and secrets redacted):"), text);
  if (text[0] != '\0' && !g_str_has_suffix (text, "\n"))
    g_printerr ("\n");
}

/**
 * sv_cli_timeline_add_restored:
 * @timeline: the command's timeline
 *
 * The step before the first request of a command that works with a kept
 * sign-in: the tokens came from the keyring, not from a token request, so
 * a token request that follows is a refresh.
 */
void
sv_cli_timeline_add_restored (SvTimeline *timeline)
{
  SvTimelineEntry *entry = sv_timeline_add_tokens (timeline, NULL, NULL);

  sv_timeline_entry_set_title (entry, _("Sign-in restored from the keyring"));
}
