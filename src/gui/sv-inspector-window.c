/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-inspector-window"

#include "config.h"

#include "sv-inspector-window.h"

#include <glib/gi18n.h>
#include <string.h>

#include "sv-error.h"
#include "sv-redact.h"
#include "sv-sandbox-control.h"
#include "sv-server-profile.h"

/* The workshop inspector (issue 7): the session timeline and the token
 * panel, in a window of its own rather than a side panel of the main
 * window, so a host can put it on the projector beside (or instead of) the
 * app, make it as large as the room needs, and keep the main window's
 * adaptive layout as it is. Ctrl+I toggles it; closing only hides it, so
 * the selection and scroll position stay for the next time.
 *
 * Everything shown comes from the SvTimeline (redacted on the way in) or
 * from the session's decoded claims: no raw token, code or verifier ever
 * reaches a widget. */

#define PREFERRED_EXPORT_NAME "smart-viewer-session.json"

struct _SvInspectorWindow
{
  AdwWindow           parent_instance;

  SvTimeline         *live;
  SvTimeline         *shown;
  char               *replay_name;
  GtkSingleSelection *selection;
  SvSession          *session;
  char               *picked_patient;
  GCancellable       *cancellable;
  GtkFileChooserNative *chooser;
  SvSandboxControl   *control;
  guint               countdown;
  guint               follow_tick;
  guint               follow_frames;

  AdwToastOverlay    *toast_overlay;
  AdwViewStack       *view_stack;
  GtkMenuButton      *simulate_button;
  GtkRevealer        *replay_revealer;
  GtkRevealer        *simulate_revealer;
  GtkLabel           *simulate_label;
  guint               simulated_step;
  GtkLabel           *replay_label;
  GtkStack           *timeline_stack;
  GtkScrolledWindow  *timeline_scroller;
  GtkListView        *timeline_view;
  GtkLabel           *detail_title;
  GtkTextView        *detail_view;
  GtkWidget          *token_panel;
  GtkLabel           *expiry_label;
  GtkLabel           *patient_label;
  GtkGrid            *scopes_grid;
  GtkLabel           *access_token_label;
  GtkLabel           *id_token_label;
};

G_DEFINE_FINAL_TYPE (SvInspectorWindow, sv_inspector_window, ADW_TYPE_WINDOW)

/* ---- rows ---- */

static const char *
kind_style (SvTimelineKind kind)
{
  switch (kind)
    {
    case SV_TIMELINE_KIND_ERROR:
      return "error";
    case SV_TIMELINE_KIND_SERVER_EVENT:
      return "success";
    case SV_TIMELINE_KIND_FHIR_REQUEST:
      return "neutral";
    case SV_TIMELINE_KIND_REFRESH:
    case SV_TIMELINE_KIND_REVOCATION:
    case SV_TIMELINE_KIND_SIMULATE:
      return "warning";
    case SV_TIMELINE_KIND_DISCOVERY:
    case SV_TIMELINE_KIND_AUTHORIZATION_REQUEST:
    case SV_TIMELINE_KIND_REDIRECT:
    case SV_TIMELINE_KIND_TOKEN_REQUEST:
    case SV_TIMELINE_KIND_TOKEN_RESPONSE:
    default:
      return "accent";
    }
}

static char *
format_duration (gint64 duration_us)
{
  if (duration_us < 0)
    return g_strdup ("");
  if (duration_us < 10 * 1000)
    /* Translators: a duration in milliseconds, e.g. "4.2 ms". */
    return g_strdup_printf (_("%.1f ms"), duration_us / 1000.0);
  /* Translators: a duration in milliseconds, e.g. "120 ms". */
  return g_strdup_printf (_("%.0f ms"), duration_us / 1000.0);
}

static char *
format_page (guint page)
{
  if (page == 0)
    return g_strdup ("");
  /* Translators: the page of a FHIR search result, e.g. "page 2". */
  return g_strdup_printf (_("page %u"), page);
}

typedef struct
{
  GtkWidget *number;
  GtkWidget *link;
  GtkWidget *kind;
  GtkWidget *title;
  GtkWidget *status;
  GtkWidget *duration;
  GtkWidget *bytes;
  GtkWidget *page;
} RowParts;

static GtkWidget *
row_label (GtkWidget  *box,
           const char *style)
{
  GtkWidget *label = gtk_label_new (NULL);

  if (style != NULL)
    gtk_widget_add_css_class (label, style);
  gtk_box_append (GTK_BOX (box), label);
  return label;
}

static void
on_row_setup (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              SvInspectorWindow        *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  RowParts *parts = g_new0 (RowParts, 1);

  gtk_widget_add_css_class (box, "timeline-row");
  parts->number = row_label (box, "numeric");
  gtk_widget_add_css_class (parts->number, "dim-label");
  parts->link = row_label (box, "numeric");
  gtk_widget_add_css_class (parts->link, "dim-label");
  parts->kind = row_label (box, "badge");
  parts->title = row_label (box, NULL);
  gtk_widget_set_hexpand (parts->title, TRUE);
  gtk_label_set_xalign (GTK_LABEL (parts->title), 0);
  gtk_label_set_ellipsize (GTK_LABEL (parts->title), PANGO_ELLIPSIZE_MIDDLE);
  parts->status = row_label (box, "numeric");
  parts->duration = row_label (box, "numeric");
  gtk_widget_add_css_class (parts->duration, "dim-label");
  parts->bytes = row_label (box, "numeric");
  gtk_widget_add_css_class (parts->bytes, "dim-label");
  parts->page = row_label (box, "dim-label");

  g_object_set_data_full (G_OBJECT (box), "row-parts", parts, g_free);
  gtk_list_item_set_child (item, box);
}

static void
row_fill (GtkWidget       *box,
          SvTimelineEntry *entry)
{
  RowParts *parts = g_object_get_data (G_OBJECT (box), "row-parts");
  SvTimelineKind kind = sv_timeline_entry_get_kind (entry);
  guint status = sv_timeline_entry_get_status (entry);
  guint link_id = sv_timeline_entry_get_link_id (entry);
  g_autofree char *status_text = status != 0 ? g_strdup_printf ("%u", status) : g_strdup ("");
  g_autofree char *duration = format_duration (sv_timeline_entry_get_duration_us (entry));
  g_autofree char *bytes = NULL;
  g_autofree char *page = format_page (sv_timeline_entry_get_page (entry));
  g_autofree char *accessible = NULL;
  g_autofree char *number = NULL;
  static const char * const styles[] = { "error", "success", "neutral", "warning", "accent" };

  bytes = sv_timeline_entry_get_bytes (entry) >= 0 ? g_format_size (sv_timeline_entry_get_bytes (entry))
                                                    : g_strdup ("");

  /* Server-side steps sit under the client request they belong to (the
   * timeline puts them there) and name it: "→ #12" under "#12". */
  if (link_id != 0)
    /* Translators: on a timeline row, points at the step (#12) it belongs to. */
    number = g_strdup_printf (_("→ #%u"), link_id);
  else
    number = g_strdup_printf ("#%u", sv_timeline_entry_get_id (entry));
  gtk_label_set_text (GTK_LABEL (link_id != 0 ? parts->link : parts->number), number);
  gtk_widget_set_visible (parts->number, link_id == 0);
  gtk_widget_set_visible (parts->link, link_id != 0);
  gtk_widget_set_margin_start (box, link_id != 0 ? 24 : 0);
  if (kind == SV_TIMELINE_KIND_SECTION)
    gtk_widget_add_css_class (parts->title, "heading");
  else
    gtk_widget_remove_css_class (parts->title, "heading");

  for (guint i = 0; i < G_N_ELEMENTS (styles); i++)
    gtk_widget_remove_css_class (parts->kind, styles[i]);
  gtk_widget_add_css_class (parts->kind, kind_style (kind));
  gtk_label_set_text (GTK_LABEL (parts->kind), sv_timeline_kind_get_label (kind));
  gtk_label_set_text (GTK_LABEL (parts->title), sv_timeline_entry_get_title (entry));
  gtk_widget_set_tooltip_text (parts->title, sv_timeline_entry_get_url (entry) != NULL
                               ? sv_timeline_entry_get_url (entry) : sv_timeline_entry_get_title (entry));
  gtk_label_set_text (GTK_LABEL (parts->status), status_text);
  if (status >= 400)
    gtk_widget_add_css_class (parts->status, "error");
  else
    gtk_widget_remove_css_class (parts->status, "error");
  gtk_label_set_text (GTK_LABEL (parts->duration), duration);
  gtk_label_set_text (GTK_LABEL (parts->bytes), bytes);
  gtk_label_set_text (GTK_LABEL (parts->page), page);

  /* Translators: what a screen reader says for one step of the timeline:
   * the step's number, its kind, its title and its HTTP status (0 = none). */
  accessible = g_strdup_printf (_("Step %u, %s: %s, status %s"), sv_timeline_entry_get_id (entry),
                                sv_timeline_kind_get_label (kind), sv_timeline_entry_get_title (entry),
                                status != 0 ? status_text : C_("HTTP status", "none"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (box), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
}

static void
on_entry_notify (SvTimelineEntry *entry,
                 GParamSpec      *pspec,
                 GtkWidget       *box)
{
  row_fill (box, entry);
}

static void
on_row_bind (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             SvInspectorWindow        *self)
{
  SvTimelineEntry *entry = gtk_list_item_get_item (item);
  GtkWidget *box = gtk_list_item_get_child (item);

  row_fill (box, entry);
  /* The status, the duration and late links arrive after the row exists.
   * The entries outlive the inspector (the application keeps the
   * timeline), so the handler goes with the row at the latest. */
  g_signal_connect_object (entry, "notify", G_CALLBACK (on_entry_notify), box, 0);
}

static void
on_row_unbind (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               SvInspectorWindow        *self)
{
  g_signal_handlers_disconnect_by_func (gtk_list_item_get_item (item), on_entry_notify,
                                        gtk_list_item_get_child (item));
}

/* ---- details ---- */

static char *
pretty_json (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  json_generator_set_root (generator, node);
  return json_generator_to_data (generator, NULL);
}

static char *
describe_entry (SvInspectorWindow *self,
                SvTimelineEntry   *entry)
{
  GString *text = g_string_new (NULL);
  JsonObject *details = sv_timeline_entry_get_details (entry);
  SvTimelineEntry *linked = sv_timeline_get_entry (self->shown, sv_timeline_entry_get_link_id (entry));
  g_autofree char *duration = format_duration (sv_timeline_entry_get_duration_us (entry));
  const char *expect = json_object_get_string_member_with_default (details, "what_to_expect", NULL);

  if (sv_timeline_entry_get_url (entry) != NULL)
    g_string_append_printf (text, "%s %s\n", sv_timeline_entry_get_method (entry), sv_timeline_entry_get_url (entry));
  if (sv_timeline_entry_get_status (entry) != 0)
    g_string_append_printf (text, "%s %u\n", _("Status:"), sv_timeline_entry_get_status (entry));
  if (*duration != '\0')
    g_string_append_printf (text, "%s %s\n", _("Duration:"), duration);
  if (sv_timeline_entry_get_bytes (entry) >= 0)
    g_string_append_printf (text, "%s %" G_GINT64_FORMAT "\n", _("Bytes:"), sv_timeline_entry_get_bytes (entry));
  if (sv_timeline_entry_get_page (entry) != 0)
    g_string_append_printf (text, "%s %u\n", _("Page:"), sv_timeline_entry_get_page (entry));
  if (linked != NULL)
    /* Translators: a server-side step names the client request it belongs to, e.g. "Caused by #12: GET Patient/1". */
    g_string_append_printf (text, _("Caused by #%u: %s\n"), sv_timeline_entry_get_id (linked),
                            sv_timeline_entry_get_title (linked));
  if (sv_timeline_entry_get_kind (entry) == SV_TIMELINE_KIND_AUTHORIZATION_REQUEST &&
      self->shown == self->live && sv_timeline_get_verifier_hint (self->live) != NULL)
    g_string_append_printf (text, "%s %s\n", _("PKCE verifier (shortened, revealed after the exchange):"),
                            sv_timeline_get_verifier_hint (self->live));
  /* A Simulate step's explanation is for the audience: a paragraph, not JSON. */
  if (expect != NULL)
    g_string_append_printf (text, "%s%s\n%s\n", text->len > 0 ? "\n" : "", _("What to expect:"), expect);

  if (json_object_get_size (details) > 0)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), details);
      g_autofree char *json = pretty_json (node);

      if (text->len > 0)
        g_string_append_c (text, '\n');
      g_string_append (text, json);
    }
  return g_string_free (text, FALSE);
}

static SvTimelineEntry *
selected_entry (SvInspectorWindow *self)
{
  return gtk_single_selection_get_selected_item (self->selection);
}

static void
show_details (SvInspectorWindow *self)
{
  SvTimelineEntry *entry = selected_entry (self);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->detail_view);
  g_autofree char *text = NULL;
  g_autofree char *title = NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "inspector.copy-curl",
                                 entry != NULL && sv_timeline_entry_get_url (entry) != NULL);
  if (entry == NULL)
    {
      gtk_label_set_text (self->detail_title, _("Select a step to see its details"));
      gtk_text_buffer_set_text (buffer, "", -1);
      return;
    }

  /* Translators: the heading of the details pane: the step's number, kind and title. */
  title = g_strdup_printf (_("%u. %s: %s"), sv_timeline_entry_get_id (entry),
                           sv_timeline_kind_get_label (sv_timeline_entry_get_kind (entry)),
                           sv_timeline_entry_get_title (entry));
  gtk_label_set_text (self->detail_title, title);
  text = describe_entry (self, entry);
  gtk_text_buffer_set_text (buffer, text, -1);
}

static void
on_selection_changed (SvInspectorWindow *self)
{
  show_details (self);
}

/* ---- the token panel ---- */

static SvTimelineEntry *
latest_tokens (SvTimeline *timeline)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (timeline));

  for (guint i = n; i > 0; i--)
    {
      SvTimelineEntry *entry = sv_timeline_get_entry (timeline, i);

      if (sv_timeline_entry_get_kind (entry) == SV_TIMELINE_KIND_TOKEN_RESPONSE)
        return entry;
    }
  return NULL;
}

static void
set_decoded (GtkLabel        *label,
             SvTimelineEntry *tokens,
             const char      *member)
{
  JsonObject *details = tokens != NULL ? sv_timeline_entry_get_details (tokens) : NULL;
  JsonNode *node = details != NULL ? json_object_get_member (details, member) : NULL;
  g_autofree char *text = NULL;

  if (node == NULL)
    {
      gtk_label_set_text (label, _("None received yet."));
      return;
    }
  text = pretty_json (node);
  gtk_label_set_text (label, text);
}

static GtkWidget *
scope_label (const char *text,
             const char *style)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  if (style != NULL)
    gtk_widget_add_css_class (label, style);
  return label;
}

static void
update_scopes (SvInspectorWindow *self)
{
  GtkWidget *child;
  g_auto(GStrv) asked = NULL;
  g_auto(GStrv) granted = NULL;
  g_auto(GStrv) missing = NULL;
  int row = 1;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->scopes_grid))) != NULL)
    gtk_grid_remove (self->scopes_grid, child);

  gtk_grid_attach (self->scopes_grid, scope_label (_("Requested"), "caption-heading"), 0, 0, 1, 1);
  gtk_grid_attach (self->scopes_grid, scope_label (_("Granted"), "caption-heading"), 1, 0, 1, 1);
  if (self->session == NULL)
    {
      gtk_grid_attach (self->scopes_grid, scope_label (_("Not signed in."), "dim-label"), 0, 1, 2, 1);
      return;
    }

  asked = g_strsplit (sv_session_get_asked_scope (self->session) != NULL
                      ? sv_session_get_asked_scope (self->session) : "", " ", -1);
  granted = g_strsplit (sv_session_get_granted_scope (self->session) != NULL
                        ? sv_session_get_granted_scope (self->session) : "", " ", -1);
  missing = sv_session_dup_missing_scopes (self->session);

  for (guint i = 0; asked[i] != NULL; i++)
    {
      gboolean is_missing = missing != NULL && g_strv_contains ((const char * const *) missing, asked[i]);

      if (*asked[i] == '\0')
        continue;
      gtk_grid_attach (self->scopes_grid, scope_label (asked[i], NULL), 0, row, 1, 1);
      if (is_missing)
        {
          /* Translators: marks a scope that was asked for and not granted. */
          g_autofree char *text = g_strdup_printf (_("✗ %s (not granted)"), asked[i]);

          gtk_grid_attach (self->scopes_grid, scope_label (text, "error"), 1, row, 1, 1);
        }
      else if (g_strv_contains ((const char * const *) granted, asked[i]))
        gtk_grid_attach (self->scopes_grid, scope_label (asked[i], NULL), 1, row, 1, 1);
      row++;
    }
  /* What the server granted beyond (or instead of) what was asked. */
  for (guint i = 0; granted[i] != NULL; i++)
    {
      if (*granted[i] == '\0' || g_strv_contains ((const char * const *) asked, granted[i]))
        continue;
      gtk_grid_attach (self->scopes_grid, scope_label ("—", "dim-label"), 0, row, 1, 1);
      gtk_grid_attach (self->scopes_grid, scope_label (granted[i], NULL), 1, row, 1, 1);
      row++;
    }
}

static void
update_patient (SvInspectorWindow *self)
{
  const char *patient = self->session != NULL ? sv_session_get_patient (self->session) : NULL;
  g_autofree char *text = NULL;

  if (self->session == NULL)
    text = g_strdup (_("Not signed in."));
  else if (patient != NULL)
    /* Translators: a patient id and where it came from, e.g. "patient-001, from the token response". */
    text = g_strdup_printf (_("%s, %s (launch context)"), patient,
                            sv_patient_source_describe (sv_session_get_patient_source (self->session)));
  else if (self->picked_patient != NULL)
    /* Translators: %s is a patient id. */
    text = g_strdup_printf (_("%s, chosen in the patient picker (no launch context)"), self->picked_patient);
  else
    text = g_strdup (sv_patient_source_describe (SV_PATIENT_SOURCE_NONE));
  gtk_label_set_text (self->patient_label, text);
}

static void
update_expiry (SvInspectorWindow *self)
{
  gint64 expires_at = self->session != NULL ? sv_session_get_expires_at (self->session) : 0;
  gint64 left = expires_at - g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *text = NULL;
  g_autofree char *clock = NULL;

  if (self->session == NULL || expires_at == 0)
    {
      gtk_label_set_text (self->expiry_label, _("No access token."));
      return;
    }
  clock = g_strdup_printf ("%" G_GINT64_FORMAT ":%02d", ABS (left) / 60, (int) (ABS (left) % 60));
  if (left >= 0)
    /* Translators: %s is minutes:seconds, e.g. "4:59". */
    text = g_strdup_printf (_("The access token expires in %s"), clock);
  else
    /* Translators: %s is minutes:seconds, e.g. "0:12". */
    text = g_strdup_printf (_("The access token expired %s ago"), clock);
  gtk_label_set_text (self->expiry_label, text);
}

static void
update_token_panel (SvInspectorWindow *self)
{
  SvTimelineEntry *tokens = latest_tokens (self->shown);

  set_decoded (self->access_token_label, tokens, "decoded_access_token");
  set_decoded (self->id_token_label, tokens, "decoded_id_token");
  update_scopes (self);
  update_patient (self);
  update_expiry (self);
}

static gboolean
on_countdown (gpointer user_data)
{
  update_expiry (user_data);
  return G_SOURCE_CONTINUE;
}

/* The countdown ticks only while someone can see it. */
static void
on_token_panel_map (SvInspectorWindow *self)
{
  update_token_panel (self);
  if (self->countdown == 0)
    self->countdown = g_timeout_add_seconds (1, on_countdown, self);
}

static void
on_token_panel_unmap (SvInspectorWindow *self)
{
  g_clear_handle_id (&self->countdown, g_source_remove);
}

/* ---- the shown timeline ---- */

static gboolean
timeline_at_end (SvInspectorWindow *self)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->timeline_scroller);

  return gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment) >=
         gtk_adjustment_get_upper (adjustment) - 4;
}

/* Keeps the end in view for a few frames, while the list view measures the
 * new rows and corrects its estimate of the height. */
static gboolean
follow_tick (GtkWidget     *widget,
             GdkFrameClock *frame_clock,
             gpointer       user_data)
{
  SvInspectorWindow *self = user_data;
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->timeline_scroller);

  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment) -
                                        gtk_adjustment_get_page_size (adjustment));
  if (++self->follow_frames < 4)
    return G_SOURCE_CONTINUE;
  self->follow_tick = 0;
  return G_SOURCE_REMOVE;
}

static void
on_items_changed (GListModel        *model,
                  guint              position,
                  guint              removed,
                  guint              added,
                  SvInspectorWindow *self)
{
  gtk_stack_set_visible_child_name (self->timeline_stack,
                                    g_list_model_get_n_items (model) > 0 ? "list" : "empty");
  /* New steps scroll into view, unless the user scrolled up to read: what
   * counts is where the view was when they arrived, before the list grew. */
  if (added > 0 && (self->follow_tick != 0 || timeline_at_end (self)))
    {
      self->follow_frames = 0;
      if (self->follow_tick == 0)
        self->follow_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self->timeline_view), follow_tick, self, NULL);
    }
  if (gtk_widget_get_mapped (self->token_panel))
    update_token_panel (self);
}

static void update_actions (SvInspectorWindow *self);

static void
set_shown (SvInspectorWindow *self,
           SvTimeline        *timeline,
           const char        *replay_name)
{
  if (self->shown != NULL)
    g_signal_handlers_disconnect_by_func (self->shown, on_items_changed, self);
  g_set_object (&self->shown, timeline);
  g_free (self->replay_name);
  self->replay_name = g_strdup (replay_name);

  gtk_single_selection_set_model (self->selection, G_LIST_MODEL (timeline));
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  g_signal_connect_object (timeline, "items-changed", G_CALLBACK (on_items_changed), self, 0);
  on_items_changed (G_LIST_MODEL (timeline), 0, 0, 0, self);

  if (replay_name != NULL)
    {
      /* Translators: %s is the name of an exported session file. */
      g_autofree char *text = g_strdup_printf (_("Replay of %s"), replay_name);

      gtk_label_set_text (self->replay_label, text);
    }
  gtk_revealer_set_reveal_child (self->replay_revealer, replay_name != NULL);
  /* A replay's steps are not the live session's. */
  gtk_revealer_set_reveal_child (self->simulate_revealer, FALSE);
  self->simulated_step = 0;
  update_token_panel (self);
  show_details (self);
  update_actions (self);
}

/* ---- Simulate ---- */

static const SvSimulateAction simulate_actions[] = {
  SV_SIMULATE_EXPIRE_TOKEN, SV_SIMULATE_REVOKE, SV_SIMULATE_SLOW_VALIDATOR,
  SV_SIMULATE_THROTTLE, SV_SIMULATE_SERVER_ERROR, SV_SIMULATE_RESET,
};

static void
build_simulate_menu (SvInspectorWindow *self)
{
  g_autoptr(GMenu) menu = g_menu_new ();
  g_autoptr(GMenu) faults = g_menu_new ();
  g_autoptr(GMenu) reset = g_menu_new ();

  for (guint i = 0; i < G_N_ELEMENTS (simulate_actions); i++)
    {
      g_autoptr(GMenuItem) item = g_menu_item_new (sv_simulate_action_get_label (simulate_actions[i]), NULL);

      g_menu_item_set_action_and_target (item, "inspector.simulate", "i", (gint32) simulate_actions[i]);
      g_menu_append_item (simulate_actions[i] == SV_SIMULATE_RESET ? reset : faults, item);
    }
  g_menu_append_section (menu, NULL, G_MENU_MODEL (faults));
  g_menu_append_section (menu, NULL, G_MENU_MODEL (reset));
  gtk_menu_button_set_menu_model (self->simulate_button, G_MENU_MODEL (menu));
}

/* What was simulated stays in a bar above the timeline until hidden, with
 * the way to the step that explains what the audience should see next.
 * (Not a toast: libadwaita 1.2 crashes when a toast that is replacing
 * another one is dismissed early, which a host clicking fast would do.) */
static void
show_simulated (SvInspectorWindow *self,
                SvSimulateAction   action,
                guint              step_id)
{
  g_autofree char *title = NULL;

  /* Translators: a timeline step; %s is a Simulate action, e.g. "Expire Token Now". */
  title = g_strdup_printf (_("Simulated: %s"), sv_simulate_action_get_label (action));
  gtk_label_set_text (self->simulate_label, title);
  self->simulated_step = step_id;
  gtk_revealer_set_reveal_child (self->simulate_revealer, TRUE);
}

static void
sv_inspector_window_hide_simulated_action (GtkWidget  *widget,
                                           const char *action_name,
                                           GVariant   *parameter)
{
  SvInspectorWindow *self = SV_INSPECTOR_WINDOW (widget);

  gtk_revealer_set_reveal_child (self->simulate_revealer, FALSE);
}

static void
sv_inspector_window_show_simulated_step_action (GtkWidget  *widget,
                                                const char *action_name,
                                                GVariant   *parameter)
{
  SvInspectorWindow *self = SV_INSPECTOR_WINDOW (widget);

  if (self->simulated_step != 0)
    gtk_widget_activate_action (widget, "inspector.show-step", "u", self->simulated_step);
}

/* Shows the step with the id given on the timeline page, with its details. */
static void
sv_inspector_window_show_step_action (GtkWidget  *widget,
                                      const char *action_name,
                                      GVariant   *parameter)
{
  SvInspectorWindow *self = SV_INSPECTOR_WINDOW (widget);
  GListModel *model = G_LIST_MODEL (self->shown);
  guint id = g_variant_get_uint32 (parameter);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(SvTimelineEntry) entry = g_list_model_get_item (model, i);

      if (sv_timeline_entry_get_id (entry) == id)
        {
          adw_view_stack_set_visible_child_name (self->view_stack, "timeline");
          gtk_single_selection_set_selected (self->selection, i);
          gtk_widget_activate_action (GTK_WIDGET (self->timeline_view), "list.scroll-to-item", "u", i);
          return;
        }
    }
}

typedef struct
{
  SvInspectorWindow *self;
  SvSimulateAction   action;
} SimulateData;

static void
on_simulated (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autofree SimulateData *data = user_data;
  g_autoptr(SvInspectorWindow) self = data->self;
  SvSimulateAction action = data->action;
  g_autoptr(GError) error = NULL;
  SvTimelineEntry *entry;

  if (!sv_sandbox_control_simulate_finish (SV_SANDBOX_CONTROL (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      sv_timeline_add_error (self->live, error);
      adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (error->message));
      return;
    }

  /* Under the fault-switch request it sent: what it means. */
  entry = sv_timeline_add_simulated (self->live, sv_simulate_action_get_label (action),
                                     sv_simulate_action_get_explanation (action));
  show_simulated (self, action, sv_timeline_entry_get_id (entry));
}

static void
sv_inspector_window_simulate_action (GtkWidget  *widget,
                                     const char *action_name,
                                     GVariant   *parameter)
{
  SvInspectorWindow *self = SV_INSPECTOR_WINDOW (widget);
  gint32 action = g_variant_get_int32 (parameter);
  SimulateData *data;

  if (self->control == NULL || action < SV_SIMULATE_EXPIRE_TOKEN || action > SV_SIMULATE_RESET)
    return;
  data = g_new0 (SimulateData, 1);
  data->self = g_object_ref (self);
  data->action = action;
  sv_sandbox_control_simulate_async (self->control, action, self->cancellable, on_simulated, data);
}

static void
update_actions (SvInspectorWindow *self)
{
  gboolean can_simulate = self->control != NULL && self->replay_name == NULL;
  const char *tooltip;

  /* An insensitive button still shows its tooltip: it says why. */
  if (self->replay_name != NULL)
    tooltip = _("Simulations are off while a saved session is replayed. Go back to the live session to use them.");
  else if (self->control == NULL)
    tooltip = _("Simulations need the offline sandbox on this computer. Sign in to the sandbox to use them.");
  else
    tooltip = _("Simulate a server fault on the sandbox");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->simulate_button), tooltip);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "inspector.simulate", can_simulate);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "inspector.live", self->replay_name != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "inspector.clear", self->replay_name == NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->simulate_button), can_simulate);
}

/* ---- export and import ---- */

static void
on_export_written (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    {
      g_task_return_new_error (task, SV_ERROR, SV_ERROR_FAILED,
                               /* Translators: %s says why, e.g. "Permission denied". */
                               _("The session could not be saved: %s. Choose another folder."),
                               error->message);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

/**
 * sv_inspector_window_export_async:
 * @self: the inspector
 * @file: where to write
 * @cancellable: (nullable): a cancellable
 * @callback: called when written
 * @user_data: for @callback
 *
 * Writes the timeline shown as a redacted JSON file (sv_timeline_export()).
 */
void
sv_inspector_window_export_async (SvInspectorWindow   *self,
                                  GFile               *file,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  char *json;

  g_return_if_fail (SV_IS_INSPECTOR_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sv_inspector_window_export_async);
  json = sv_timeline_export (self->shown, &error);
  if (json == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  bytes = g_bytes_new_take (json, strlen (json));
  g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE, G_FILE_CREATE_PRIVATE, cancellable,
                                       on_export_written, g_steal_pointer (&task));
}

gboolean
sv_inspector_window_export_finish (SvInspectorWindow  *self,
                                   GAsyncResult       *result,
                                   GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_import_read (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SvInspectorWindow *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(SvTimeline) replay = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *name = NULL;
  gsize length = 0;

  if (!g_file_load_contents_finish (G_FILE (source), result, &contents, &length, NULL, &error))
    {
      g_task_return_new_error (task, SV_ERROR, SV_ERROR_FAILED,
                               /* Translators: %s says why, e.g. "No such file or directory". */
                               _("The file could not be read: %s."), error->message);
      return;
    }
  if (!g_utf8_validate (contents, length, NULL) || memchr (contents, '\0', length) != NULL)
    {
      g_task_return_new_error (task, SV_ERROR, SV_ERROR_INVALID_INPUT,
                               _("This file is not a SMART Viewer session timeline. Choose a file that “Export” wrote."));
      return;
    }
  replay = sv_timeline_new_from_export (contents, &error);
  if (replay == NULL)
    {
      g_prefix_error (&error, "%s ", _("The file cannot be replayed."));
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  name = g_file_get_basename (G_FILE (source));
  set_shown (self, replay, name);
  g_task_return_boolean (task, TRUE);
}

/**
 * sv_inspector_window_import_async:
 * @self: the inspector
 * @file: a file sv_inspector_window_export_async() (or the CLI) wrote
 * @cancellable: (nullable): a cancellable
 * @callback: called when read
 * @user_data: for @callback
 *
 * Shows the file's timeline read-only, under a "Replay of …" banner.
 */
void
sv_inspector_window_import_async (SvInspectorWindow   *self,
                                  GFile               *file,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (SV_IS_INSPECTOR_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sv_inspector_window_import_async);
  g_file_load_contents_async (file, cancellable, on_import_read, task);
}

gboolean
sv_inspector_window_import_finish (SvInspectorWindow  *self,
                                   GAsyncResult       *result,
                                   GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
show_file_error (SvInspectorWindow *self,
                 const char        *heading,
                 const GError      *error)
{
  GtkWidget *dialog;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, error->message);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_exported (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(SvInspectorWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!sv_inspector_window_export_finish (self, result, &error))
    show_file_error (self, _("Export Failed"), error);
  else
    adw_toast_overlay_add_toast (self->toast_overlay,
                                 adw_toast_new (_("Session exported; tokens, codes and verifiers are left out")));
}

static void
on_imported (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(SvInspectorWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!sv_inspector_window_import_finish (self, result, &error))
    show_file_error (self, _("The Session Cannot Be Replayed"), error);
}

static GtkFileFilter *
json_filter (void)
{
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("Session timelines (JSON)"));
  gtk_file_filter_add_mime_type (filter, "application/json");
  gtk_file_filter_add_suffix (filter, "json");
  return filter;
}

static void
on_chooser_response (GtkNativeDialog   *chooser,
                     int                response,
                     SvInspectorWindow *self)
{
  g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  gboolean saving = gtk_file_chooser_get_action (GTK_FILE_CHOOSER (chooser)) == GTK_FILE_CHOOSER_ACTION_SAVE;

  if (response == GTK_RESPONSE_ACCEPT && file != NULL)
    {
      if (saving)
        sv_inspector_window_export_async (self, file, self->cancellable, on_exported, g_object_ref (self));
      else
        sv_inspector_window_import_async (self, file, self->cancellable, on_imported, g_object_ref (self));
    }
  g_clear_object (&self->chooser);
}

static void
run_chooser (SvInspectorWindow    *self,
             GtkFileChooserAction  action)
{
  gboolean saving = action == GTK_FILE_CHOOSER_ACTION_SAVE;
  g_autoptr(GtkFileFilter) filter = json_filter ();

  /* GtkFileDialog is GTK 4.10; the native chooser uses the portal in a sandbox. */
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  self->chooser = gtk_file_chooser_native_new (saving ? _("Export the Session") : _("Replay a Session"),
                                               GTK_WINDOW (self), action,
                                               saving ? _("_Export") : _("_Open"), _("_Cancel"));
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  if (saving)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), PREFERRED_EXPORT_NAME);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (on_chooser_response), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
sv_inspector_window_export_action (GtkWidget  *widget,
                                   const char *action_name,
                                   GVariant   *parameter)
{
  run_chooser (SV_INSPECTOR_WINDOW (widget), GTK_FILE_CHOOSER_ACTION_SAVE);
}

static void
sv_inspector_window_import_action (GtkWidget  *widget,
                                   const char *action_name,
                                   GVariant   *parameter)
{
  run_chooser (SV_INSPECTOR_WINDOW (widget), GTK_FILE_CHOOSER_ACTION_OPEN);
}

static void
sv_inspector_window_live_action (GtkWidget  *widget,
                                 const char *action_name,
                                 GVariant   *parameter)
{
  SvInspectorWindow *self = SV_INSPECTOR_WINDOW (widget);

  set_shown (self, self->live, NULL);
}

/* The live timeline grows across sign-ins; Export keeps what a host wants. */
static void
sv_inspector_window_clear_action (GtkWidget  *widget,
                                  const char *action_name,
                                  GVariant   *parameter)
{
  SvInspectorWindow *self = SV_INSPECTOR_WINDOW (widget);

  if (self->replay_name != NULL)
    return;
  sv_timeline_clear (self->live);
}

static void
sv_inspector_window_copy_curl_action (GtkWidget  *widget,
                                      const char *action_name,
                                      GVariant   *parameter)
{
  SvInspectorWindow *self = SV_INSPECTOR_WINDOW (widget);
  SvTimelineEntry *entry = selected_entry (self);
  g_autofree char *curl = entry != NULL ? sv_timeline_entry_dup_curl (entry) : NULL;

  if (curl == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), curl);
  adw_toast_overlay_add_toast (self->toast_overlay,
                               adw_toast_new (_("Copied; set ACCESS_TOKEN in your shell before running it")));
}

/* ---- the session ---- */

static void
on_session_notify (SvInspectorWindow *self)
{
  update_token_panel (self);
}

/**
 * sv_inspector_window_set_session:
 * @self: the inspector
 * @session: (nullable): the signed-in session
 *
 * The token panel follows @session; Simulate is offered when its server is
 * the offline sandbox on this computer.
 */
void
sv_inspector_window_set_session (SvInspectorWindow *self,
                                 SvSession         *session)
{
  g_return_if_fail (SV_IS_INSPECTOR_WINDOW (self));

  if (self->session != NULL)
    g_signal_handlers_disconnect_by_func (self->session, on_session_notify, self);
  g_set_object (&self->session, session);
  g_clear_pointer (&self->picked_patient, g_free);
  g_clear_object (&self->control);
  if (session != NULL)
    {
      const char *base = sv_server_profile_get_fhir_base_url (sv_session_get_profile (session));
      g_autoptr(GError) error = NULL;

      g_signal_connect_object (session, "notify", G_CALLBACK (on_session_notify), self, G_CONNECT_SWAPPED);
      self->control = sv_sandbox_control_new (sv_session_get_http (session), base, &error);
      if (self->control == NULL)
        g_debug ("No Simulate menu: %s", error->message);
    }
  update_actions (self);
  update_token_panel (self);
}

/**
 * sv_inspector_window_set_picked_patient:
 * @self: the inspector
 * @patient_id: (nullable): the patient chosen in the picker
 *
 * For the token panel: a patient that came from the picker, not the launch
 * context.
 */
void
sv_inspector_window_set_picked_patient (SvInspectorWindow *self,
                                        const char        *patient_id)
{
  g_return_if_fail (SV_IS_INSPECTOR_WINDOW (self));

  g_free (self->picked_patient);
  self->picked_patient = g_strdup (patient_id);
  update_patient (self);
}

/* ---- the object ---- */

static gboolean
on_toggle_shortcut (GtkWidget *widget,
                    GVariant  *args,
                    gpointer   user_data)
{
  gtk_widget_set_visible (widget, FALSE);
  return TRUE;
}

static void
sv_inspector_window_dispose (GObject *object)
{
  SvInspectorWindow *self = SV_INSPECTOR_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->countdown, g_source_remove);
  if (self->follow_tick != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->timeline_view), self->follow_tick);
  self->follow_tick = 0;
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  if (self->shown != NULL)
    g_signal_handlers_disconnect_by_func (self->shown, on_items_changed, self);
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_func (self->session, on_session_notify, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), SV_TYPE_INSPECTOR_WINDOW);
  g_clear_object (&self->selection);
  g_clear_object (&self->shown);
  g_clear_object (&self->live);
  g_clear_object (&self->session);
  g_clear_object (&self->control);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (sv_inspector_window_parent_class)->dispose (object);
}

static void
sv_inspector_window_finalize (GObject *object)
{
  SvInspectorWindow *self = SV_INSPECTOR_WINDOW (object);

  g_free (self->replay_name);
  g_free (self->picked_patient);

  G_OBJECT_CLASS (sv_inspector_window_parent_class)->finalize (object);
}

static void
sv_inspector_window_class_init (SvInspectorWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sv_inspector_window_dispose;
  object_class->finalize = sv_inspector_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/sv-inspector-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SvInspectorWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, SvInspectorWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, SvInspectorWindow, simulate_button);
  gtk_widget_class_bind_template_child (widget_class, SvInspectorWindow, replay_revealer);
  gtk_widget_class_bind_template_child (widget_class, SvInspectorWindow, simulate_revealer);
  gtk_widget_class_bind_template_child (widget_class, SvInspectorWindow, simulate_label);
  gtk_widget_class_bind_template_child (widget_class, SvInspectorWindow, replay_label);
  gtk_widget_class_bind_template_child (widget_class, SvInspectorWindow, timeline_stack);
  gtk_widget_class_bind_template_child (widget_class, SvInspectorWindow, timeline_scroller);
  gtk_widget_class_bind_template_child (widget_class, SvInspectorWindow, timeline_view);
  gtk_widget_class_bind_template_child (widget_class, SvInspectorWindow, detail_title);
  gtk_widget_class_bind_template_child (widget_class, SvInspectorWindow, detail_view);
  gtk_widget_class_bind_template_child (widget_class, SvInspectorWindow, token_panel);
  gtk_widget_class_bind_template_child (widget_class, SvInspectorWindow, expiry_label);
  gtk_widget_class_bind_template_child (widget_class, SvInspectorWindow, patient_label);
  gtk_widget_class_bind_template_child (widget_class, SvInspectorWindow, scopes_grid);
  gtk_widget_class_bind_template_child (widget_class, SvInspectorWindow, access_token_label);
  gtk_widget_class_bind_template_child (widget_class, SvInspectorWindow, id_token_label);

  gtk_widget_class_install_action (widget_class, "inspector.export", NULL, sv_inspector_window_export_action);
  gtk_widget_class_install_action (widget_class, "inspector.import", NULL, sv_inspector_window_import_action);
  gtk_widget_class_install_action (widget_class, "inspector.live", NULL, sv_inspector_window_live_action);
  gtk_widget_class_install_action (widget_class, "inspector.clear", NULL, sv_inspector_window_clear_action);
  gtk_widget_class_install_action (widget_class, "inspector.copy-curl", NULL, sv_inspector_window_copy_curl_action);
  gtk_widget_class_install_action (widget_class, "inspector.simulate", "i", sv_inspector_window_simulate_action);
  gtk_widget_class_install_action (widget_class, "inspector.show-step", "u", sv_inspector_window_show_step_action);
  gtk_widget_class_install_action (widget_class, "inspector.show-simulated-step", NULL,
                                   sv_inspector_window_show_simulated_step_action);
  gtk_widget_class_install_action (widget_class, "inspector.hide-simulated", NULL,
                                   sv_inspector_window_hide_simulated_action);

  /* The same key that opened it puts it away. */
  gtk_widget_class_add_binding (widget_class, GDK_KEY_i, GDK_CONTROL_MASK, on_toggle_shortcut, NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
sv_inspector_window_init (SvInspectorWindow *self)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
#if DEVELOPMENT_BUILD
  gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
#endif

  self->cancellable = g_cancellable_new ();
  self->selection = gtk_single_selection_new (NULL);
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  g_signal_connect_object (self->selection, "notify::selected", G_CALLBACK (on_selection_changed), self,
                           G_CONNECT_SWAPPED);

  g_signal_connect_object (factory, "setup", G_CALLBACK (on_row_setup), self, 0);
  g_signal_connect_object (factory, "bind", G_CALLBACK (on_row_bind), self, 0);
  g_signal_connect_object (factory, "unbind", G_CALLBACK (on_row_unbind), self, 0);
  gtk_list_view_set_factory (self->timeline_view, factory);
  gtk_list_view_set_model (self->timeline_view, GTK_SELECTION_MODEL (self->selection));


  g_signal_connect_object (self->token_panel, "map", G_CALLBACK (on_token_panel_map), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->token_panel, "unmap", G_CALLBACK (on_token_panel_unmap), self, G_CONNECT_SWAPPED);

  build_simulate_menu (self);
}

/**
 * sv_inspector_window_new:
 * @timeline: the application's session timeline
 *
 * Returns: (transfer floating): the inspector, hidden until presented
 */
SvInspectorWindow *
sv_inspector_window_new (SvTimeline *timeline)
{
  SvInspectorWindow *self;

  g_return_val_if_fail (SV_IS_TIMELINE (timeline), NULL);

  self = g_object_new (SV_TYPE_INSPECTOR_WINDOW, NULL);
  self->live = g_object_ref (timeline);
  set_shown (self, timeline, NULL);
  return self;
}

/**
 * sv_inspector_window_get_model:
 * @self: the inspector
 *
 * Returns: (transfer none): the timeline shown: the live one, or a replay
 */
GListModel *
sv_inspector_window_get_model (SvInspectorWindow *self)
{
  g_return_val_if_fail (SV_IS_INSPECTOR_WINDOW (self), NULL);
  return G_LIST_MODEL (self->shown);
}

gboolean
sv_inspector_window_get_replaying (SvInspectorWindow *self)
{
  g_return_val_if_fail (SV_IS_INSPECTOR_WINDOW (self), FALSE);
  return self->replay_name != NULL;
}

gboolean
sv_inspector_window_get_can_simulate (SvInspectorWindow *self)
{
  g_return_val_if_fail (SV_IS_INSPECTOR_WINDOW (self), FALSE);
  return self->control != NULL && self->replay_name == NULL;
}

/**
 * sv_inspector_window_set_page:
 * @self: the inspector
 * @name: "timeline" or "tokens"
 */
void
sv_inspector_window_set_page (SvInspectorWindow *self,
                              const char        *name)
{
  g_return_if_fail (SV_IS_INSPECTOR_WINDOW (self));
  adw_view_stack_set_visible_child_name (self->view_stack, name);
}

/**
 * sv_inspector_window_select:
 * @self: the inspector
 * @position: the step to show the details of
 */
void
sv_inspector_window_select (SvInspectorWindow *self,
                            guint              position)
{
  g_return_if_fail (SV_IS_INSPECTOR_WINDOW (self));
  gtk_single_selection_set_selected (self->selection, position);
}
