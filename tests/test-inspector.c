/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "sv-application.h"
#include "sv-error.h"
#include "sv-inspector-window.h"
#include "sv-record-section.h"
#include "sv-redact.h"
#include "sv-sandbox-control.h"
#include "sv-sandbox.h"
#include "sv-sign-in-window.h"
#include "sv-test-util.h"
#include "sv-window.h"

/* The workshop inspector end to end against the offline sandbox: sign in
 * (the sandbox's patient launch), the patient opens, Ctrl+I's action opens
 * the inspector. Then:
 *  - the timeline holds discovery → authorization request → redirect →
 *    token request → token response → FHIR requests, in that order, and
 *    the sandbox's validator invocations are linked to client FHIR requests
 *    that carried the bearer token;
 *  - export and import give the same steps, shown as a replay;
 *  - no secret really used in the session (the access, refresh and id
 *    tokens, the code and the PKCE verifier, read off the wire by a
 *    SoupLogger the test adds to the app's SoupSession) appears in any text
 *    the inspector shows, in the export file, or in the log output that went
 *    through the app's redacting log writer.
 * Screenshots of the timeline and the token panel go to $SV_SCREENSHOT_DIR. */

static SvApplication *the_app;

/* Everything written to stdout and stderr while the app ran: that is where
 * the redacting writer sends GLib's log lines (G_MESSAGES_DEBUG=all). */
typedef struct
{
  int   saved_stdout;
  int   saved_stderr;
  char *path;
} Capture;

static Capture capture;

static void
capture_start (void)
{
  int fd;

  capture.path = g_build_filename (g_get_tmp_dir (), "sv-inspector-log-XXXXXX", NULL);
  fd = g_mkstemp (capture.path);
  g_assert_cmpint (fd, >=, 0);
  /* Said before the output goes there: a failure's message is in it too. */
  g_test_message ("Output captured in %s until the log check", capture.path);
  fflush (stdout);
  fflush (stderr);
  capture.saved_stdout = dup (STDOUT_FILENO);
  capture.saved_stderr = dup (STDERR_FILENO);
  g_assert_cmpint (dup2 (fd, STDOUT_FILENO), >=, 0);
  g_assert_cmpint (dup2 (fd, STDERR_FILENO), >=, 0);
  close (fd);
}

/* The lines that went through the app's writer. A process that called
 * g_test_init() also gets GLib's test harness echoing each message as a
 * TAP comment ("# domain-DEBUG: …") before any writer sees it; the app
 * never runs under the harness, so those lines are left out. */
static char *
capture_stop (void)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  GString *written = g_string_new (NULL);

  fflush (stdout);
  fflush (stderr);
  dup2 (capture.saved_stdout, STDOUT_FILENO);
  dup2 (capture.saved_stderr, STDERR_FILENO);
  close (capture.saved_stdout);
  close (capture.saved_stderr);
  g_assert_true (g_file_get_contents (capture.path, &contents, NULL, NULL));
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (!g_str_has_prefix (lines[i], "# "))
      g_string_append_printf (written, "%s\n", lines[i]);
  return g_string_free (written, FALSE);
}

/* ---- the secrets of the session, as they went over the wire ---- */

static GString *wire;

static void
on_wire (SoupLogger         *logger,
         SoupLoggerLogLevel  level,
         char                direction,
         const char         *data,
         gpointer            user_data)
{
  g_string_append_printf (wire, "%c %s\n", direction, data);
}

/* Every distinct value of @pattern's first group on the wire. */
static void
find_on_wire (const char *name,
              const char *pattern,
              GPtrArray  *found)
{
  g_autoptr(GRegex) regex = g_regex_new (pattern, G_REGEX_MULTILINE, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;

  g_assert_nonnull (regex);
  g_regex_match (regex, wire->str, 0, &match);
  while (g_match_info_matches (match))
    {
      g_autofree char *raw = g_match_info_fetch (match, 1);
      char *value = g_uri_unescape_string (raw, NULL);

      g_assert_cmpuint (strlen (value), >=, 16);
      if (!g_ptr_array_find_with_equal_func (found, value, g_str_equal, NULL))
        {
          g_ptr_array_add (found, value);
          g_test_message ("%s %u found on the wire", name, found->len);
        }
      else
        g_free (value);
      g_match_info_next (match, NULL);
    }
}

/* The secrets of the session: every access, refresh and id token issued
 * (the refresh after "Expire" brings new ones), the code and the PKCE
 * verifier. */
static GPtrArray *secrets;

static void
collect_secrets (void)
{
  static const struct { const char *name; const char *pattern; guint at_least; } kinds[] = {
    { "access token", "\"access_token\"\\s*:\\s*\"([^\"]+)\"", 2 },
    { "refresh token", "\"refresh_token\"\\s*:\\s*\"([^\"]+)\"", 1 },
    { "id token", "\"id_token\"\\s*:\\s*\"([^\"]+)\"", 1 },
    { "code", "(?:^|[&?\\s])code=([^&\\s]+)", 1 },
    { "PKCE verifier", "code_verifier=([^&\\s]+)", 1 },
  };

  secrets = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      guint before = secrets->len;

      find_on_wire (kinds[i].name, kinds[i].pattern, secrets);
      g_assert_cmpuint (secrets->len - before, >=, kinds[i].at_least);
    }
}

static void
assert_no_secret (const char *where,
                  const char *text)
{
  g_assert_nonnull (text);
  for (guint i = 0; i < secrets->len; i++)
    if (strstr (text, secrets->pdata[i]) != NULL)
      g_error ("Secret %u of the session appears in %s", i + 1, where);
}

/* ---- waiting ---- */

static gboolean
sign_in_window_shown (gpointer user_data)
{
  return sv_test_find_toplevel (SV_TYPE_SIGN_IN_WINDOW) != NULL;
}

static gboolean
patient_shown (gpointer user_data)
{
  SvPatientView *view = sv_window_get_patient_view (user_data);
  SvPatientRecord *record = sv_patient_view_get_record (view);

  if (sv_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL)
    return TRUE;
  return g_strcmp0 (sv_window_get_page (user_data), "patient") == 0 &&
         !sv_patient_record_get_loading (record) && sv_patient_record_get_name (record) != NULL &&
         sv_record_section_get_settled (sv_patient_view_get_section (view, SV_SECTION_PROBLEMS)) &&
         sv_record_section_get_settled (sv_patient_view_get_section (view, SV_SECTION_MEDICATIONS));
}

static gboolean
sign_in_again_shown (gpointer user_data)
{
  return sv_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL;
}

static SvTimelineEntry *
entry_at (GListModel *model,
          guint       position)
{
  g_autoptr(SvTimelineEntry) entry = g_list_model_get_item (model, position);

  return entry;   /* the model holds it */
}

/* The position in the list of the entry with @id. */
static guint
position_of (GListModel *model,
             guint       id)
{
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    if (sv_timeline_entry_get_id (entry_at (model, i)) == id)
      return i;
  g_error ("No entry #%u in the list", id);
}

static gboolean
is_linked_validator (GListModel      *model,
                     SvTimelineEntry *entry)
{
  guint link = sv_timeline_entry_get_link_id (entry);
  SvTimelineEntry *client;

  if (sv_timeline_entry_get_kind (entry) != SV_TIMELINE_KIND_SERVER_EVENT ||
      !g_str_has_prefix (sv_timeline_entry_get_title (entry), "Validator: ") || link == 0)
    return FALSE;
  client = sv_timeline_get_entry (SV_TIMELINE (model), link);
  return sv_timeline_entry_get_kind (client) == SV_TIMELINE_KIND_FHIR_REQUEST &&
         sv_timeline_entry_get_has_bearer (client);
}

static gboolean
validator_linked (gpointer user_data)
{
  GListModel *model = user_data;

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    if (is_linked_validator (model, entry_at (model, i)))
      return TRUE;
  return FALSE;
}

typedef struct
{
  gboolean      done;
  GAsyncResult *result;
} Wait;

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Wait *wait = user_data;

  wait->result = g_object_ref (result);
  wait->done = TRUE;
}

static gboolean
wait_done (gpointer user_data)
{
  return ((Wait *) user_data)->done;
}

/* ---- the checks ---- */

/* Each linked entry is listed under the entry it is linked to: after it,
 * with only entries of the same group between them. */
static void
check_grouped (GListModel *model)
{
  guint n = g_list_model_get_n_items (model), group = 0, linked = 0;

  for (guint i = 0; i < n; i++)
    {
      SvTimelineEntry *entry = entry_at (model, i);
      guint link = sv_timeline_entry_get_link_id (entry);

      if (link == 0)
        {
          group = sv_timeline_entry_get_id (entry);
          continue;
        }
      /* The app's links are one level deep: to an unlinked request. */
      g_assert_cmpuint (link, ==, group);
      linked++;
    }
  g_assert_cmpuint (linked, >, 0);
}

/* The signing keys and the fault switches are not FHIR requests. */
static void
check_classified (GListModel *model)
{
  guint n = g_list_model_get_n_items (model), jwks = 0;

  for (guint i = 0; i < n; i++)
    {
      SvTimelineEntry *entry = entry_at (model, i);
      const char *url = sv_timeline_entry_get_url (entry);

      if (g_strcmp0 (sv_timeline_entry_get_title (entry), "Signing keys (JWKS)") == 0)
        {
          g_assert_cmpint (sv_timeline_entry_get_kind (entry), ==, SV_TIMELINE_KIND_DISCOVERY);
          jwks++;
        }
      if (url != NULL && (strstr (url, "/certs") != NULL || strstr (url, "/_sandbox/") != NULL))
        g_assert_cmpint (sv_timeline_entry_get_kind (entry), !=, SV_TIMELINE_KIND_FHIR_REQUEST);
    }
  g_test_message ("%u fetches of the signing keys", jwks);
  g_assert_cmpuint (jwks, >, 0);
}

static void
check_order (GListModel *model)
{
  static const SvTimelineKind expected[] = {
    SV_TIMELINE_KIND_SECTION, SV_TIMELINE_KIND_DISCOVERY, SV_TIMELINE_KIND_AUTHORIZATION_REQUEST, SV_TIMELINE_KIND_REDIRECT,
    SV_TIMELINE_KIND_TOKEN_REQUEST, SV_TIMELINE_KIND_TOKEN_RESPONSE, SV_TIMELINE_KIND_FHIR_REQUEST,
  };
  guint first[G_N_ELEMENTS (expected)];
  guint n = g_list_model_get_n_items (model), fhir_with_bearer = 0;

  for (guint k = 0; k < G_N_ELEMENTS (expected); k++)
    first[k] = G_MAXUINT;
  for (guint i = 0; i < n; i++)
    {
      SvTimelineEntry *entry = entry_at (model, i);
      SvTimelineKind kind = sv_timeline_entry_get_kind (entry);
      /* The FHIR requests that count are the app's, with the token. */
      gboolean counts = kind != SV_TIMELINE_KIND_FHIR_REQUEST || sv_timeline_entry_get_has_bearer (entry);

      g_test_message ("#%u %s %s → %u (link %u)", sv_timeline_entry_get_id (entry),
                      sv_timeline_kind_to_string (kind), sv_timeline_entry_get_title (entry),
                      sv_timeline_entry_get_status (entry), sv_timeline_entry_get_link_id (entry));
      for (guint k = 0; k < G_N_ELEMENTS (expected); k++)
        if (kind == expected[k] && counts && first[k] == G_MAXUINT)
          first[k] = i;
      if (kind == SV_TIMELINE_KIND_FHIR_REQUEST && counts && sv_timeline_entry_get_status (entry) == 200)
        fhir_with_bearer++;
    }
  for (guint k = 0; k < G_N_ELEMENTS (expected); k++)
    {
      g_test_message ("first %s: #%u", sv_timeline_kind_to_string (expected[k]), first[k] + 1);
      g_assert_cmpuint (first[k], <, n);
      if (k > 0)
        g_assert_cmpuint (first[k - 1], <, first[k]);
    }
  /* The patient view's reads and searches, each with the token. */
  g_assert_cmpuint (fhir_with_bearer, >=, 3);
  g_assert_true (validator_linked (model));
  g_assert_true (g_str_has_prefix (sv_timeline_entry_get_title (entry_at (model, first[0])), "Sign-in to "));
  check_grouped (model);
  check_classified (model);
}

/* Every text the inspector shows: labels, tooltips and text views, with the
 * details of each step selected in turn. */
static void
collect_text (GtkWidget *widget,
              GString   *out)
{
  if (GTK_IS_LABEL (widget))
    g_string_append_printf (out, "%s\n", gtk_label_get_text (GTK_LABEL (widget)));
  if (GTK_IS_TEXT_VIEW (widget))
    {
      GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (widget));
      GtkTextIter start, end;
      g_autofree char *text = NULL;

      gtk_text_buffer_get_bounds (buffer, &start, &end);
      text = gtk_text_buffer_get_text (buffer, &start, &end, TRUE);
      g_string_append_printf (out, "%s\n", text);
    }
  if (gtk_widget_get_tooltip_text (widget) != NULL)
    g_string_append_printf (out, "%s\n", gtk_widget_get_tooltip_text (widget));
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_text (child, out);
}

static char *
inspector_text (SvInspectorWindow *inspector)
{
  GListModel *model = sv_inspector_window_get_model (inspector);
  GString *out = g_string_new (NULL);

  sv_inspector_window_set_page (inspector, "timeline");
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      sv_inspector_window_select (inspector, i);
      collect_text (GTK_WIDGET (inspector), out);
    }
  sv_inspector_window_set_page (inspector, "tokens");
  sv_test_wait_frames (GTK_WIDGET (inspector), 3);
  collect_text (GTK_WIDGET (inspector), out);
  return g_string_free (out, FALSE);
}

static void
check_token_panel (SvInspectorWindow *inspector,
                   const char        *text)
{
  /* Decoded, not raw: the claims and the header are there. */
  g_assert_nonnull (strstr (text, "\"claims\""));
  g_assert_nonnull (strstr (text, "\"alg\""));
  g_assert_nonnull (strstr (text, "The access token expires in"));
  g_assert_nonnull (strstr (text, "launch context"));
  g_assert_nonnull (strstr (text, "Requested"));
  g_assert_nonnull (strstr (text, "Granted"));
}

/* ---- the Simulate button ---- */

static GtkWidget *
find_simulate_button (GtkWidget *root)
{
  if (GTK_IS_MENU_BUTTON (root) && g_strcmp0 (gtk_menu_button_get_label (GTK_MENU_BUTTON (root)), "_Simulate") == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_simulate_button (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The items of the menu whose text is a Simulate action's label. */
static void
collect_menu_items (GtkWidget *root,
                    GPtrArray *items)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, g_type_from_name ("GtkModelButton")))
    {
      g_autofree char *text = NULL;

      g_object_get (root, "text", &text, NULL);
      for (SvSimulateAction action = SV_SIMULATE_EXPIRE_TOKEN; action <= SV_SIMULATE_RESET; action++)
        if (g_strcmp0 (text, sv_simulate_action_get_label (action)) == 0)
          g_ptr_array_add (items, root);
    }
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    collect_menu_items (child, items);
}

/* The button and every item of its menu can be used, or not; its tooltip
 * says @why (a part of it). */
static void
check_simulate_button (SvInspectorWindow *inspector,
                       gboolean           usable,
                       const char        *why)
{
  GtkWidget *button = find_simulate_button (GTK_WIDGET (inspector));
  g_autoptr(GPtrArray) items = g_ptr_array_new ();
  const char *tooltip;

  g_assert_nonnull (button);
  tooltip = gtk_widget_get_tooltip_text (button);
  g_test_message ("Simulate (%s): %s", usable ? "usable" : "not usable", tooltip);
  g_assert_nonnull (tooltip);
  g_assert_nonnull (strstr (tooltip, why));
  g_assert_cmpint (gtk_widget_get_sensitive (button), ==, usable);
  g_assert_cmpint (sv_inspector_window_get_can_simulate (inspector), ==, usable);
  collect_menu_items (GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (button))), items);
  g_assert_cmpuint (items->len, ==, SV_SIMULATE_RESET - SV_SIMULATE_EXPIRE_TOKEN + 1);
  for (guint i = 0; i < items->len; i++)
    g_assert_cmpint (gtk_widget_get_sensitive (items->pdata[i]), ==, usable);
}

static char *
export_to (SvInspectorWindow *inspector,
           const char        *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  Wait wait = { FALSE, NULL };
  char *contents = NULL;

  sv_inspector_window_export_async (inspector, file, NULL, on_done, &wait);
  g_assert_true (sv_test_wait_until (wait_done, &wait, 10000));
  g_assert_true (sv_inspector_window_export_finish (inspector, wait.result, &error));
  g_assert_no_error (error);
  g_object_unref (wait.result);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  return contents;
}

static gboolean
import_from (SvInspectorWindow  *inspector,
             const char         *path,
             GError            **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  Wait wait = { FALSE, NULL };
  gboolean ok;

  sv_inspector_window_import_async (inspector, file, NULL, on_done, &wait);
  g_assert_true (sv_test_wait_until (wait_done, &wait, 10000));
  ok = sv_inspector_window_import_finish (inspector, wait.result, error);
  g_object_unref (wait.result);
  return ok;
}

static void
check_round_trip (SvInspectorWindow *inspector,
                  const char        *dir)
{
  g_autofree char *path = g_build_filename (dir, "session.json", NULL);
  g_autofree char *bad = g_build_filename (dir, "not-a-session.json", NULL);
  g_autoptr(GPtrArray) kinds = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *exported = NULL;
  g_autoptr(GError) error = NULL;
  GListModel *live = sv_inspector_window_get_model (inspector);
  GListModel *replay;
  GtkWidget *banner;

  /* The live timeline as it is when the export is written (the same turn
   * of the main loop, so no new step slips in between). */
  for (guint i = 0; i < g_list_model_get_n_items (live); i++)
    {
      SvTimelineEntry *entry = entry_at (live, i);

      g_ptr_array_add (kinds, g_strdup_printf ("%s %s", sv_timeline_kind_to_string (sv_timeline_entry_get_kind (entry)),
                                               sv_timeline_entry_get_title (entry)));
    }
  exported = export_to (inspector, path);
  assert_no_secret ("the export file", exported);
  g_assert_nonnull (strstr (exported, "\"format\" : \"smart-viewer-timeline\""));

  g_assert_true (import_from (inspector, path, &error));
  g_assert_no_error (error);
  g_assert_true (sv_inspector_window_get_replaying (inspector));
  check_simulate_button (inspector, FALSE, "while a saved session is replayed");
  replay = sv_inspector_window_get_model (inspector);
  g_assert_true (replay != live);
  g_assert_cmpuint (g_list_model_get_n_items (replay), ==, kinds->len);
  for (guint i = 0; i < kinds->len; i++)
    {
      SvTimelineEntry *entry = entry_at (replay, i);
      g_autofree char *kind = g_strdup_printf ("%s %s", sv_timeline_kind_to_string (sv_timeline_entry_get_kind (entry)),
                                               sv_timeline_entry_get_title (entry));

      g_assert_cmpstr (kind, ==, kinds->pdata[i]);
    }
  banner = sv_test_find_widget (GTK_WIDGET (inspector), GTK_TYPE_REVEALER, NULL);
  g_assert_true (gtk_revealer_get_reveal_child (GTK_REVEALER (banner)));
  {
    g_autoptr(GString) text = g_string_new (NULL);

    collect_text (banner, text);
    g_assert_nonnull (strstr (text->str, "Replay of session.json"));
  }

  /* A file that is not an export is refused with a clear message, and the
   * replay stays as it was. */
  g_assert_true (g_file_set_contents (bad, "{\"hello\": 1}", -1, NULL));
  g_assert_false (import_from (inspector, bad, &error));
  g_assert_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "not a SMART Viewer session timeline"));
  g_assert_true (sv_inspector_window_get_model (inspector) == replay);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (inspector), "inspector.live", NULL));
  g_assert_false (sv_inspector_window_get_replaying (inspector));
  g_assert_true (sv_inspector_window_get_model (inspector) == live);
  check_simulate_button (inspector, TRUE, "Simulate a server fault");
  g_unlink (path);
  g_unlink (bad);
}

/* "Copy as curl" of a FHIR request: the request, with $ACCESS_TOKEN. */
static void
check_copy_curl (SvInspectorWindow *inspector)
{
  GListModel *model = sv_inspector_window_get_model (inspector);
  g_autofree char *curl = NULL;
  guint position = G_MAXUINT;

  for (guint i = 0; i < g_list_model_get_n_items (model) && position == G_MAXUINT; i++)
    if (sv_timeline_entry_get_kind (entry_at (model, i)) == SV_TIMELINE_KIND_FHIR_REQUEST &&
        sv_timeline_entry_get_has_bearer (entry_at (model, i)))
      position = i;
  g_assert_cmpuint (position, !=, G_MAXUINT);
  sv_inspector_window_select (inspector, position);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (inspector), "inspector.copy-curl", NULL));
  curl = sv_test_read_clipboard (GTK_WIDGET (inspector));
  g_test_message ("Copy as curl: %s", curl);
  g_assert_true (g_str_has_prefix (curl, "curl"));
  g_assert_nonnull (strstr (curl, "Authorization: Bearer $ACCESS_TOKEN"));
  g_assert_nonnull (strstr (curl, sv_timeline_entry_get_url (entry_at (model, position))));
  assert_no_secret ("Copy as curl", curl);
}

static void
screenshots (SvInspectorWindow *inspector)
{
  GListModel *model = sv_inspector_window_get_model (inspector);

  /* The details of the first FHIR request a validator invocation belongs to. */
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    if (is_linked_validator (model, entry_at (model, i)))
      {
        sv_inspector_window_select (inspector, position_of (model, sv_timeline_entry_get_link_id (entry_at (model, i))));
        break;
      }
  sv_inspector_window_set_page (inspector, "timeline");
  sv_test_wait_frames (GTK_WIDGET (inspector), 10);
  sv_test_save_screenshot (GTK_WIDGET (inspector), "inspector");
  sv_inspector_window_set_page (inspector, "tokens");
  sv_test_wait_frames (GTK_WIDGET (inspector), 10);
  sv_test_save_screenshot (GTK_WIDGET (inspector), "inspector-tokens");
  sv_inspector_window_set_page (inspector, "timeline");
}

/* Before anything happened: Ctrl+I opens the inspector on its empty state,
 * and the same shortcut's action hides it again. */
static void
check_empty (SvWindow *window)
{
  g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (the_app), "win.inspector");
  SvInspectorWindow *inspector;
  GtkWidget *empty;

  g_assert_nonnull (accels[0]);
  g_assert_cmpstr (accels[0], ==, "<Control>i");
  g_assert_null (sv_window_get_inspector (window));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.inspector", NULL));
  inspector = sv_window_get_inspector (window);
  g_assert_nonnull (inspector);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (inspector)));
  g_assert_cmpuint (g_list_model_get_n_items (sv_inspector_window_get_model (inspector)), ==, 0);
  check_simulate_button (inspector, FALSE, "Sign in to the sandbox to use them");
  sv_test_wait_frames (GTK_WIDGET (inspector), 3);
  empty = sv_test_find_widget (GTK_WIDGET (inspector), ADW_TYPE_STATUS_PAGE, NULL);
  g_assert_nonnull (empty);
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (empty)), ==, "Nothing Happened Yet");
  g_assert_true (gtk_widget_get_mapped (empty));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.inspector", NULL));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (inspector)));
}

/* ---- what the clinician sees in the main window ---- */

static SvRecordSection *
section_widget (SvWindow  *window,
                SvSection  section)
{
  return sv_patient_view_get_section (sv_window_get_patient_view (window), section);
}

static SvSectionState
section_state (SvWindow  *window,
               SvSection  section)
{
  return sv_patient_record_get_section_state (sv_patient_view_get_record (sv_window_get_patient_view (window)),
                                              section);
}

typedef struct
{
  SvWindow  *window;
  SvSection  section;
} SectionWait;

static gboolean
section_failed (gpointer user_data)
{
  SectionWait *wait = user_data;

  return section_state (wait->window, wait->section) == SV_SECTION_STATE_ERROR &&
         g_strcmp0 (sv_record_section_get_page (section_widget (wait->window, wait->section)), "status") == 0;
}

/* The section says it could not be read, with @expected in the text, and
 * offers Retry, all on screen. Returns the Retry button. */
static GtkWidget *
check_section_error (SvWindow   *window,
                     SvSection   section,
                     const char *expected)
{
  SectionWait wait = { window, section };
  GtkWidget *widget = GTK_WIDGET (section_widget (window, section));
  GtkWidget *page, *retry;
  const char *description;

  g_assert_true (sv_test_wait_until (section_failed, &wait, 30000));
  sv_test_wait_frames (GTK_WIDGET (window), 5);
  page = sv_test_find_widget (widget, ADW_TYPE_STATUS_PAGE, NULL);
  g_assert_nonnull (page);
  description = adw_status_page_get_description (ADW_STATUS_PAGE (page));
  g_test_message ("Section %d: %s — %s", section, adw_status_page_get_title (ADW_STATUS_PAGE (page)), description);
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (page)), ==, "Could Not Be Read");
  g_assert_nonnull (description);
  /* Said once, even for the medications, read from two resource types. */
  g_assert_nonnull (strstr (description, expected));
  g_assert_null (strstr (strstr (description, expected) + 1, expected));
  g_assert_true (gtk_widget_get_mapped (page));
  retry = sv_test_find_widget (page, GTK_TYPE_BUTTON, "view.refresh");
  g_assert_nonnull (retry);
  g_assert_true (gtk_widget_get_mapped (retry));
  g_assert_true (gtk_widget_is_sensitive (retry));
  return retry;
}

/* Everything read completely, both sections show what they read. */
static gboolean
record_complete (gpointer user_data)
{
  SvWindow *window = user_data;

  return patient_shown (window) && sv_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) == NULL &&
         section_state (window, SV_SECTION_PROBLEMS) == SV_SECTION_STATE_OK &&
         section_state (window, SV_SECTION_MEDICATIONS) == SV_SECTION_STATE_OK &&
         sv_record_section_get_empty_title (section_widget (window, SV_SECTION_PROBLEMS)) == NULL &&
         sv_record_section_get_empty_title (section_widget (window, SV_SECTION_MEDICATIONS)) == NULL;
}

/* The rows of a section, as the list shows them. */
static guint
section_rows (SvWindow  *window,
              SvSection  section)
{
  return g_list_model_get_n_items (sv_record_section_get_shown (section_widget (window, section)));
}

/* ---- Simulate ---- */

typedef struct
{
  GListModel     *model;
  guint           from;
  SvTimelineKind  kind;
  const char     *title;   /* a prefix, or NULL */
  guint           status;  /* 0: any */
  guint           found;   /* its id */
} Step;

/* Steps are looked for by id (the order they happened), after #from. */
static gboolean
step_happened (gpointer user_data)
{
  Step *step = user_data;

  for (guint id = step->from + 1; id <= g_list_model_get_n_items (step->model); id++)
    {
      SvTimelineEntry *entry = sv_timeline_get_entry (SV_TIMELINE (step->model), id);

      if (sv_timeline_entry_get_kind (entry) == step->kind &&
          (step->title == NULL || g_str_has_prefix (sv_timeline_entry_get_title (entry), step->title)) &&
          (step->status == 0 || sv_timeline_entry_get_status (entry) == step->status))
        {
          step->found = id;
          return TRUE;
        }
    }
  return FALSE;
}

static guint
wait_for_step (GListModel     *model,
               guint           from,
               SvTimelineKind  kind,
               const char     *title,
               guint           status)
{
  Step step = { model, from, kind, title, status, 0 };

  if (!sv_test_wait_until (step_happened, &step, 30000))
    g_error ("No %s step “%s” with status %u after #%u", sv_timeline_kind_to_string (kind),
             title != NULL ? title : "", status, from);
  return step.found;
}

/* Picks @action from the Simulate menu; the inspector says what to expect. */
static guint
simulate (SvInspectorWindow *inspector,
          SvSimulateAction   action)
{
  GListModel *model = sv_inspector_window_get_model (inspector);
  g_autofree char *title = g_strdup_printf ("Simulated: %s", sv_simulate_action_get_label (action));
  guint from = g_list_model_get_n_items (model);
  guint found;
  SvTimelineEntry *entry, *request;

  g_assert_true (sv_inspector_window_get_can_simulate (inspector));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (inspector), "inspector.simulate", "i", (gint32) action));
  found = wait_for_step (model, from, SV_TIMELINE_KIND_SIMULATE, title, 0);
  entry = sv_timeline_get_entry (SV_TIMELINE (model), found);
  g_assert_nonnull (json_object_get_string_member_with_default (sv_timeline_entry_get_details (entry),
                                                                "what_to_expect", NULL));
  /* It explains the fault-switch request it follows, listed right under it. */
  request = sv_timeline_get_entry (SV_TIMELINE (model), sv_timeline_entry_get_link_id (entry));
  g_assert_nonnull (request);
  g_assert_cmpint (sv_timeline_entry_get_kind (request), ==, SV_TIMELINE_KIND_SIMULATE);
  /* Reset turns every switch off with a DELETE; the faults are POSTed. */
  g_assert_cmpstr (sv_timeline_entry_get_title (request), ==,
                   action == SV_SIMULATE_RESET ? "Fault switches: DELETE" : "Fault switches: POST");
  g_assert_cmpuint (sv_timeline_entry_get_status (request), ==, 200);
  g_assert_cmpuint (sv_timeline_entry_get_id (request), >, from);
  g_assert_true (entry_at (model, position_of (model, found) - 1) == request);
  return found;
}

typedef struct
{
  GtkWidget  *root;
  const char *title;
  GtkWidget  *button;
} SimulatedWait;

/* The label inside a mapped widget whose text is @title, and the
 * "What to Expect" button beside it. */
static GtkWidget *
find_simulated_button (GtkWidget  *root,
                       const char *title)
{
  if (GTK_IS_BUTTON (root) &&
      g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (root)), "inspector.show-simulated-step") == 0 &&
      gtk_widget_get_mapped (root))
    {
      g_autoptr(GString) text = g_string_new (NULL);

      collect_text (gtk_widget_get_parent (root), text);
      if (strstr (text->str, title) != NULL)
        return root;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_simulated_button (child, title);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
simulated_shown (gpointer user_data)
{
  SimulatedWait *wait = user_data;

  wait->button = find_simulated_button (wait->root, wait->title);
  return wait->button != NULL;
}

/* A bar above the pages names the action, without the long explanation;
 * its button shows the step that explains what to expect, on the timeline
 * page. */
static void
check_simulated_bar (SvInspectorWindow *inspector,
                       SvSimulateAction   action)
{
  g_autofree char *title = g_strdup_printf ("Simulated: %s", sv_simulate_action_get_label (action));
  SimulatedWait wait = { GTK_WIDGET (inspector), title, NULL };
  g_autoptr(GString) text = g_string_new (NULL);
  GtkWidget *details;

  sv_inspector_window_set_page (inspector, "tokens");
  g_assert_true (sv_test_wait_until (simulated_shown, &wait, 10000));
  collect_text (gtk_widget_get_parent (wait.button), text);
  g_assert_null (strstr (text->str, sv_simulate_action_get_explanation (action)));
  sv_test_wait_frames (GTK_WIDGET (inspector), 10);
  sv_test_save_screenshot (GTK_WIDGET (inspector), "inspector-simulate-bar");

  g_signal_emit_by_name (wait.button, "clicked");
  sv_test_wait_frames (GTK_WIDGET (inspector), 5);
  details = sv_test_find_widget (GTK_WIDGET (inspector), GTK_TYPE_TEXT_VIEW, NULL);
  g_assert_true (gtk_widget_get_mapped (details));
  g_string_truncate (text, 0);
  collect_text (details, text);
  {
    g_autofree char *paragraph = g_strdup_printf ("What to expect:\n%s\n", sv_simulate_action_get_explanation (action));

    g_assert_nonnull (strstr (text->str, paragraph));
  }
  sv_test_save_screenshot (GTK_WIDGET (inspector), "inspector-simulate-explained");
}

/* Picks @action, then the clinician refreshes the patient. */
static guint
simulate_and_refresh (SvWindow          *window,
                      SvInspectorWindow *inspector,
                      SvSimulateAction   action)
{
  guint simulated = simulate (inspector, action);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (sv_window_get_patient_view (window)), "view.refresh", NULL));
  return simulated;
}

/* Expired: the next request gets 401, the app refreshes and carries on. */
static void
check_expire (SvWindow          *window,
              SvInspectorWindow *inspector)
{
  GListModel *model = sv_inspector_window_get_model (inspector);
  guint simulated = simulate_and_refresh (window, inspector, SV_SIMULATE_EXPIRE_TOKEN);
  guint refresh;

  wait_for_step (model, simulated, SV_TIMELINE_KIND_FHIR_REQUEST, NULL, 401);
  refresh = wait_for_step (model, simulated, SV_TIMELINE_KIND_REFRESH, NULL, 200);
  wait_for_step (model, refresh, SV_TIMELINE_KIND_TOKEN_RESPONSE, NULL, 0);
  wait_for_step (model, refresh, SV_TIMELINE_KIND_FHIR_REQUEST, NULL, 200);
  g_assert_true (sv_test_wait_until (patient_shown, window, 30000));
  g_assert_null (sv_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
}

/* How many of the app's FHIR requests after #@from were answered @status. */
static guint
count_fhir (GListModel *model,
            guint       from,
            guint       status)
{
  guint n = 0;

  for (guint id = from + 1; id <= g_list_model_get_n_items (model); id++)
    {
      SvTimelineEntry *entry = sv_timeline_get_entry (SV_TIMELINE (model), id);

      if (sv_timeline_entry_get_kind (entry) == SV_TIMELINE_KIND_FHIR_REQUEST &&
          sv_timeline_entry_get_has_bearer (entry) && sv_timeline_entry_get_status (entry) == status)
        n++;
    }
  return n;
}

/* Back to normal from the menu, then the section's Retry button. */
static void
reset_and_retry (SvWindow          *window,
                 SvInspectorWindow *inspector,
                 GtkWidget         *retry)
{
  GListModel *model = sv_inspector_window_get_model (inspector);
  guint reset = simulate (inspector, SV_SIMULATE_RESET);

  g_assert_true (gtk_widget_activate (retry));
  wait_for_step (model, reset, SV_TIMELINE_KIND_FHIR_REQUEST, NULL, 200);
  g_assert_true (sv_test_wait_until (record_complete, window, 30000));
  g_assert_cmpuint (section_rows (window, SV_SECTION_PROBLEMS), >, 0);
}

/* Slow validator: HealthLake gives up after 1 s; every section says the
 * validator was too slow and offers Retry. */
static void
check_slow_validator (SvWindow          *window,
                      SvInspectorWindow *inspector)
{
  GtkWidget *retry;
  guint late, refused;
  GListModel *model = sv_inspector_window_get_model (inspector);
  guint simulated = simulate_and_refresh (window, inspector, SV_SIMULATE_SLOW_VALIDATOR);

  check_simulated_bar (inspector, SV_SIMULATE_SLOW_VALIDATOR);
  check_section_error (window, SV_SECTION_MEDICATIONS, "token validator did not answer in time");
  retry = check_section_error (window, SV_SECTION_PROBLEMS, "token validator did not answer in time");
  sv_test_save_screenshot (GTK_WIDGET (window), "simulate-slow-validator");

  /* A failed Patient read ends the load: every section shows its error. */
  g_assert_cmpuint (count_fhir (model, simulated, 500), >=, 1);
  g_assert_cmpuint (count_fhir (model, simulated, 200), ==, 0);
  /* The server side: the validator was too late, and the request refused,
   * on one of the app's failed requests. */
  late = wait_for_step (model, simulated, SV_TIMELINE_KIND_SERVER_EVENT, "Validator: timed out", 0);
  late = sv_timeline_entry_get_link_id (sv_timeline_get_entry (SV_TIMELINE (model), late));
  g_assert_cmpuint (sv_timeline_entry_get_status (sv_timeline_get_entry (SV_TIMELINE (model), late)), ==, 500);
  refused = wait_for_step (model, simulated, SV_TIMELINE_KIND_SERVER_EVENT, "FHIR server: ", 500);
  g_assert_true (g_str_has_suffix (sv_timeline_entry_get_title (sv_timeline_get_entry (SV_TIMELINE (model), refused)),
                                   "refused: the validator timed out"));

  reset_and_retry (window, inspector, retry);
}

/* Throttle: a search is answered 429 with Retry-After; the app waits as
 * told and asks again, and the record loads completely. */
static void
check_throttle (SvWindow          *window,
                SvInspectorWindow *inspector)
{
  SvTimeline *timeline = SV_TIMELINE (sv_inspector_window_get_model (inspector));
  GListModel *model = G_LIST_MODEL (timeline);
  guint simulated = simulate_and_refresh (window, inspector, SV_SIMULATE_THROTTLE);
  guint throttled, retried;
  SvTimelineEntry *first, *again;

  throttled = wait_for_step (model, simulated, SV_TIMELINE_KIND_FHIR_REQUEST, NULL, 429);
  first = sv_timeline_get_entry (timeline, throttled);
  /* The same request again, answered. */
  {
    Step step = { model, throttled, SV_TIMELINE_KIND_FHIR_REQUEST, sv_timeline_entry_get_title (first), 200, 0 };

    g_assert_true (sv_test_wait_until (step_happened, &step, 30000));
    retried = step.found;
  }
  again = sv_timeline_get_entry (timeline, retried);
  g_test_message ("#%u %s → 429, again as #%u → 200", throttled, sv_timeline_entry_get_url (first), retried);
  g_assert_cmpstr (sv_timeline_entry_get_url (again), ==, sv_timeline_entry_get_url (first));
  /* Retry-After was honoured: asked again only after the 429 had come. */
  g_assert_cmpint (sv_timeline_entry_get_monotonic_time (again), >=,
                   sv_timeline_entry_get_monotonic_time (first) + sv_timeline_entry_get_duration_us (first));
  wait_for_step (model, simulated, SV_TIMELINE_KIND_SERVER_EVENT, "FHIR server: ", 429);
  g_assert_true (sv_test_wait_until (record_complete, window, 30000));
  g_assert_cmpuint (section_rows (window, SV_SECTION_PROBLEMS), >, 0);
  g_assert_cmpuint (section_rows (window, SV_SECTION_MEDICATIONS), >, 0);
  simulate (inspector, SV_SIMULATE_RESET);
}

/* Server error: only the problems fail; the medications still show. */
static void
check_server_error (SvWindow          *window,
                    SvInspectorWindow *inspector)
{
  GtkWidget *retry;
  guint failed;
  GListModel *model = sv_inspector_window_get_model (inspector);
  guint simulated = simulate_and_refresh (window, inspector, SV_SIMULATE_SERVER_ERROR);

  failed = wait_for_step (model, simulated, SV_TIMELINE_KIND_FHIR_REQUEST, NULL, 500);
  g_assert_nonnull (strstr (sv_timeline_entry_get_url (sv_timeline_get_entry (SV_TIMELINE (model), failed)), "/Condition"));
  retry = check_section_error (window, SV_SECTION_PROBLEMS, "500");
  g_assert_true (sv_test_wait_until (patient_shown, window, 30000));
  g_assert_cmpint (section_state (window, SV_SECTION_MEDICATIONS), ==, SV_SECTION_STATE_OK);
  g_assert_cmpstr (sv_record_section_get_page (section_widget (window, SV_SECTION_MEDICATIONS)), ==, "list");
  g_assert_cmpuint (section_rows (window, SV_SECTION_MEDICATIONS), >, 0);
  sv_test_save_screenshot (GTK_WIDGET (window), "simulate-server-error");

  reset_and_retry (window, inspector, retry);
}

/* Revoked: the refresh is refused and the app asks to sign in again. */
static void
check_revoke (SvWindow          *window,
              SvInspectorWindow *inspector)
{
  GListModel *model = sv_inspector_window_get_model (inspector);
  guint simulated = simulate_and_refresh (window, inspector, SV_SIMULATE_REVOKE);
  AdwMessageDialog *dialog;

  g_assert_true (sv_test_wait_until (sign_in_again_shown, NULL, 30000));
  dialog = ADW_MESSAGE_DIALOG (sv_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Sign In Again");
  wait_for_step (model, simulated, SV_TIMELINE_KIND_REFRESH, NULL, 400);
  wait_for_step (model, simulated, SV_TIMELINE_KIND_ERROR, NULL, 0);
  g_assert_null (sv_window_get_session (window));
  check_simulate_button (inspector, FALSE, "Sign in to the sandbox to use them");
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static gboolean
at_bottom (gpointer user_data)
{
  GtkAdjustment *adjustment = user_data;

  return gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment) >=
         gtk_adjustment_get_upper (adjustment) - 4;
}

static void
add_note (SvInspectorWindow *inspector)
{
  g_autoptr(SvTimelineEntry) entry = sv_timeline_entry_new (SV_TIMELINE_KIND_SERVER_EVENT, "note from the test");

  sv_timeline_add (SV_TIMELINE (sv_inspector_window_get_model (inspector)), entry);
  sv_test_wait_frames (GTK_WIDGET (inspector), 5);
}

/* New steps scroll into view, unless the user scrolled up to read. */
static void
check_autoscroll (SvInspectorWindow *inspector)
{
  GtkWidget *list = sv_test_find_widget (GTK_WIDGET (inspector), GTK_TYPE_LIST_VIEW, NULL);
  GtkAdjustment *adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (list));

  sv_inspector_window_set_page (inspector, "timeline");
  /* The steps before may have selected a row further up: the reader goes
   * back to the end first. */
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
  sv_test_wait_frames (GTK_WIDGET (inspector), 5);
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
  g_assert_true (at_bottom (adjustment));
  add_note (inspector);
  g_assert_cmpfloat (gtk_adjustment_get_upper (adjustment), >, gtk_adjustment_get_page_size (adjustment));
  g_assert_true (sv_test_wait_until (at_bottom, adjustment, 5000));

  gtk_adjustment_set_value (adjustment, 0);
  add_note (inspector);
  g_assert_cmpfloat (gtk_adjustment_get_value (adjustment), ==, 0);

  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
  add_note (inspector);
  g_assert_true (sv_test_wait_until (at_bottom, adjustment, 5000));
}

/* Clear empties the live timeline; the next step is #1 again. */
static void
check_clear (SvInspectorWindow *inspector)
{
  GListModel *model = sv_inspector_window_get_model (inspector);
  GtkWidget *empty = sv_test_find_widget (GTK_WIDGET (inspector), ADW_TYPE_STATUS_PAGE, NULL);
  GtkWidget *stack = gtk_widget_get_ancestor (empty, GTK_TYPE_STACK);

  g_assert_cmpuint (g_list_model_get_n_items (model), >, 0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (inspector), "inspector.clear", NULL));
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (stack)), ==, "empty");
  add_note (inspector);
  g_assert_cmpuint (sv_timeline_entry_get_id (entry_at (model, 0)), ==, 1);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (stack)), ==, "list");
}

static void
test_inspector (void)
{
  g_autofree char *executable = sv_sandbox_find_executable ();
  g_autofree char *dir = g_dir_make_tmp ("sv-inspector-XXXXXX", NULL);
  g_autoptr(SoupLogger) logger = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *log = NULL;
  SvSignInWindow *sign_in;
  SvInspectorWindow *inspector;
  SvWindow *window;

  if (executable == NULL)
    {
      g_test_skip ("smart-sandbox is not built (configure with -Dcompanions=true)");
      return;
    }

  /* Reads what really went over the wire, to know the secrets to look for.
   * Its printer keeps them in memory only. */
  wire = g_string_new (NULL);
  logger = soup_logger_new (SOUP_LOGGER_LOG_BODY);
  soup_logger_set_max_body_size (logger, -1);
  soup_logger_set_printer (logger, on_wire, NULL, NULL);
  soup_session_add_feature (sv_application_get_http (the_app), SOUP_SESSION_FEATURE (logger));

  capture_start ();

  g_application_activate (G_APPLICATION (the_app));
  window = SV_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (the_app)));
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  check_empty (window);
  g_action_group_activate_action (G_ACTION_GROUP (the_app), "try-sandbox", NULL);
  g_assert_true (sv_test_wait_until (sign_in_window_shown, NULL, 90000));
  sign_in = SV_SIGN_IN_WINDOW (sv_test_find_toplevel (SV_TYPE_SIGN_IN_WINDOW));
  sv_test_drive_sandbox_login (sv_sign_in_window_get_web_view (sign_in), "clinician", "demo");
  g_assert_true (sv_test_wait_until (patient_shown, window, 90000));
  g_assert_null (sv_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_nonnull (sv_session_get_patient (sv_window_get_session (window)));

  /* Opened again, it has followed the sign-in while hidden. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.inspector", NULL));
  inspector = sv_window_get_inspector (window);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (inspector)));
  check_simulate_button (inspector, TRUE, "Simulate a server fault");
  g_assert_true (sv_test_wait_until (validator_linked, sv_inspector_window_get_model (inspector), 30000));

  check_order (sv_inspector_window_get_model (inspector));
  screenshots (inspector);
  check_expire (window, inspector);

  collect_secrets ();
  shown = inspector_text (inspector);
  check_token_panel (inspector, shown);
  assert_no_secret ("the inspector", shown);
  /* The rows number the steps, and the server's name the request they are for. */
  g_assert_nonnull (strstr (shown, "\n#1\n"));
  g_assert_nonnull (strstr (shown, "→ #"));
  g_assert_nonnull (strstr (shown, "Caused by #"));
  g_assert_nonnull (strstr (shown, "Validator: allowed · "));
  g_assert_nonnull (strstr (shown, "Scope check: "));
  check_copy_curl (inspector);
  check_round_trip (inspector, dir);
  check_slow_validator (window, inspector);
  check_throttle (window, inspector);
  check_server_error (window, inspector);
  check_revoke (window, inspector);
  check_autoscroll (inspector);
  check_clear (inspector);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.inspector", NULL));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (inspector)));

  /* The writer really is in the way: a secret logged on purpose comes out
   * redacted, and so does everything the app logged. */
  g_debug ("test: access_token=%s", (char *) secrets->pdata[0]);
  g_message ("test: Authorization: Bearer %s", (char *) secrets->pdata[0]);
  log = capture_stop ();
  g_test_message ("%" G_GSIZE_FORMAT " bytes of log output captured", strlen (log));
  {
    g_autofree char *text = sv_timeline_to_text (sv_application_get_timeline (the_app));

    g_test_message ("The session's timeline:\n%s", text);
  }
  g_assert_nonnull (strstr (log, "test: access_token=[redacted"));
  assert_no_secret ("the log output", log);
  g_unlink (capture.path);

  soup_session_remove_feature (sv_application_get_http (the_app), SOUP_SESSION_FEATURE (logger));
  sv_test_wait_frames (GTK_WIDGET (window), 5);

  g_clear_pointer (&secrets, g_ptr_array_unref);
  g_string_free (wire, TRUE);
  g_rmdir (dir);
  g_free (capture.path);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *config_dir = NULL;
  int status;

  /* Everything the app logs, debug included, goes through its redacting
   * writer, exactly as in src/main.c. */
  g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  sv_redact_install_log_writer ();

  config_dir = g_dir_make_tmp ("sv-inspector-config-XXXXXX", NULL);
  g_assert_nonnull (config_dir);
  g_setenv ("XDG_CONFIG_HOME", config_dir, TRUE);

  gtk_test_init (&argc, &argv, NULL);
  g_set_prgname ("test-inspector");

  the_app = sv_application_new ();
  g_application_set_flags (G_APPLICATION (the_app), G_APPLICATION_NON_UNIQUE | G_APPLICATION_HANDLES_OPEN);
  {
    g_autoptr(GError) error = NULL;

    g_assert_true (g_application_register (G_APPLICATION (the_app), NULL, &error));
    g_assert_no_error (error);
  }

  g_test_add_func ("/ui/inspector/sandbox", test_inspector);

  status = g_test_run ();
  g_action_group_activate_action (G_ACTION_GROUP (the_app), "quit", NULL);
  g_clear_object (&the_app);
  {
    g_autofree char *profiles = g_build_filename (config_dir, "smart-viewer", "profiles.ini", NULL);
    g_autofree char *app_dir = g_path_get_dirname (profiles);

    g_unlink (profiles);
    g_rmdir (app_dir);
    g_rmdir (config_dir);
  }

  return status;
}
