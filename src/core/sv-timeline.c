/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-timeline"

#include "config.h"

#include "sv-timeline.h"

#include <glib/gi18n.h>
#include <string.h>

#include "sv-error.h"
#include "sv-redact.h"
#include "sv-sandbox-events.h"

/* The session timeline of the workshop inspector (issue 7): a GListModel of
 * SvTimelineEntry, in the order things happened.
 *
 * Requests are recorded by watching the SoupSession the app already uses
 * (`request-queued`, then each message's `got-headers`, `restarted` and
 * `finished`), so no other code has to report to it. libsoup 3 hands the
 * watcher neither the request body nor the response body, which decides
 * two things:
 *  - a token-endpoint POST cannot be told apart by its grant_type; the first
 *    one is a token request, every one after a token arrived (a 2xx answer
 *    of the token endpoint, or sv_timeline_add_tokens()) is a refresh;
 *  - "Copy as curl" of a token request has no form body.
 *
 * Page numbers: a FHIR search (a request for `{base}{Type}` or `_search`)
 * starts at page 1; a request for the same path whose query carries a
 * paging parameter (`page`, `_page`, `_getpages`, `_offset`, `_cursor`,
 * `ct`, …) continues the latest search of that path and gets the next
 * number. Reads and everything else have page 0.
 *
 * The PKCE verifier is never stored in an entry, so neither the live view,
 * nor the text, nor the export can show it. "Revealed only after the
 * exchange" means: after sv_timeline_reveal_verifier_after_exchange(),
 * sv_timeline_get_verifier_hint() gives a shortened form (its first four
 * characters and its length) for the live inspector, which a host can set
 * beside the challenge to explain S256; before, it gives %NULL. The export
 * records only that it was revealed.
 *
 * Linking server events to client requests (sv_timeline_watch_sandbox()):
 * the sandbox's `fhir-request` event names the method and path of the
 * request it answered. It is linked to the OLDEST client fhir-request (or
 * discovery) entry with the same method and path that no server
 * `fhir-request` event has claimed yet and that was queued at most
 * LINK_WINDOW_US before the event arrived. The server answers one
 * connection's requests in order, so for one client "oldest unclaimed" is
 * the nearest in time; the window stops a request whose event was lost
 * from catching a much later one. A `validator-invocation` event carries
 * no path: the sandbox emits it just before the `fhir-request` event of the
 * same request, so it waits and is linked with that next `fhir-request`
 * event. `token-*` events link to the latest token request or refresh.
 *
 * Order: the entries keep their ids (1, 2, … in the order they were
 * added), and sv_timeline_get_entry() finds them by id; the export and
 * the import keep that order, so ids survive a round trip. The list model
 * (what the inspector shows, and sv_timeline_to_text()) is grouped: every
 * entry that is not linked, in id order, each followed by the entries
 * linked to it (directly or through another linked entry), in id order.
 * So the server events of three parallel requests sit under their own
 * requests, not under the last one. Only links to an earlier id count,
 * so a hand-edited file cannot make a loop. The grouping is a function of
 * ids and links alone: the live timeline and its replay show the same. */

#define LINK_WINDOW_US (60 * G_USEC_PER_SEC)

struct _SvTimeline
{
  GObject     parent_instance;

  GPtrArray  *entries;          /* SvTimelineEntry*, id = index + 1 */
  GPtrArray  *order;            /* the same entries, grouped: the list model */
  char       *msg_key;          /* per-timeline data key on watched messages */
  char       *fhir_base;
  char       *token_endpoint;
  char       *revocation_endpoint;
  char       *jwks_uri;
  GHashTable *search_pages;     /* path → last page (GUINT_TO_POINTER) */
  GHashTable *claimed;          /* client entry ids a server fhir-request event claimed */
  GPtrArray  *pending_validator; /* SvTimelineEntry*, waiting for their fhir-request event */
  gboolean    had_token;
  guint       authorization_id;
  char       *verifier_hint;
  gboolean    verifier_revealed;
};

static void sv_timeline_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SvTimeline, sv_timeline, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, sv_timeline_list_model_init))

static GType
sv_timeline_get_item_type (GListModel *model)
{
  return SV_TYPE_TIMELINE_ENTRY;
}

static guint
sv_timeline_get_n_items (GListModel *model)
{
  return SV_TIMELINE (model)->order->len;
}

static gpointer
sv_timeline_get_item (GListModel *model,
                      guint       position)
{
  SvTimeline *self = SV_TIMELINE (model);

  if (position >= self->order->len)
    return NULL;
  return g_object_ref (self->order->pdata[position]);
}

static void
sv_timeline_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = sv_timeline_get_item_type;
  iface->get_n_items = sv_timeline_get_n_items;
  iface->get_item = sv_timeline_get_item;
}

static void
sv_timeline_finalize (GObject *object)
{
  SvTimeline *self = SV_TIMELINE (object);

  for (guint i = 0; i < self->entries->len; i++)
    g_signal_handlers_disconnect_by_data (self->entries->pdata[i], self);
  g_ptr_array_unref (self->order);
  g_ptr_array_unref (self->entries);
  g_free (self->msg_key);
  g_free (self->fhir_base);
  g_free (self->token_endpoint);
  g_free (self->revocation_endpoint);
  g_free (self->jwks_uri);
  g_hash_table_unref (self->search_pages);
  g_hash_table_unref (self->claimed);
  g_ptr_array_unref (self->pending_validator);
  g_free (self->verifier_hint);

  G_OBJECT_CLASS (sv_timeline_parent_class)->finalize (object);
}

static void
sv_timeline_class_init (SvTimelineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sv_timeline_finalize;
}

static void
sv_timeline_init (SvTimeline *self)
{
  self->entries = g_ptr_array_new_with_free_func (g_object_unref);
  self->order = g_ptr_array_new_with_free_func (g_object_unref);
  self->msg_key = g_strdup_printf ("sv-timeline-entry-%p", (void *) self);
  self->search_pages = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->claimed = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->pending_validator = g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * sv_timeline_new:
 *
 * Returns: (transfer full): an empty timeline
 */
SvTimeline *
sv_timeline_new (void)
{
  return g_object_new (SV_TYPE_TIMELINE, NULL);
}

/**
 * sv_timeline_kind_get_label:
 * @kind: a #SvTimelineKind
 *
 * Returns: the translated name of @kind, for the inspector
 */
const char *
sv_timeline_kind_get_label (SvTimelineKind kind)
{
  switch (kind)
    {
    case SV_TIMELINE_KIND_DISCOVERY:
      return C_("timeline kind", "Discovery");
    case SV_TIMELINE_KIND_AUTHORIZATION_REQUEST:
      return C_("timeline kind", "Authorization request");
    case SV_TIMELINE_KIND_REDIRECT:
      return C_("timeline kind", "Redirect");
    case SV_TIMELINE_KIND_TOKEN_REQUEST:
      return C_("timeline kind", "Token request");
    case SV_TIMELINE_KIND_TOKEN_RESPONSE:
      return C_("timeline kind", "Token response");
    case SV_TIMELINE_KIND_FHIR_REQUEST:
      return C_("timeline kind", "FHIR request");
    case SV_TIMELINE_KIND_REFRESH:
      return C_("timeline kind", "Refresh");
    case SV_TIMELINE_KIND_REVOCATION:
      return C_("timeline kind", "Revocation");
    case SV_TIMELINE_KIND_SERVER_EVENT:
      return C_("timeline kind", "Server event");
    case SV_TIMELINE_KIND_SIMULATE:
      return C_("timeline kind", "Simulate");
    case SV_TIMELINE_KIND_SECTION:
      return C_("timeline kind", "Sign-in");
    case SV_TIMELINE_KIND_ERROR:
    default:
      return C_("timeline kind", "Error");
    }
}

/**
 * sv_timeline_get_entry:
 * @self: a #SvTimeline
 * @id: an entry id (1 = the first entry)
 *
 * Returns: (transfer none) (nullable): the entry, e.g. the one a
 *   `link-id` names
 */
SvTimelineEntry *
sv_timeline_get_entry (SvTimeline *self,
                       guint       id)
{
  g_return_val_if_fail (SV_IS_TIMELINE (self), NULL);

  if (id == 0 || id > self->entries->len)
    return NULL;
  return self->entries->pdata[id - 1];
}

/**
 * sv_timeline_set_endpoints:
 * @self: a #SvTimeline
 * @fhir_base: (nullable): the FHIR base URL
 * @token_endpoint: (nullable): the token endpoint
 * @revocation_endpoint: (nullable): the revocation endpoint
 *
 * What discovery found, to classify requests exactly. Without them, paths
 * ending in `/token` and `/revoke` (or `/revocation`) are taken for the
 * token and revocation endpoints.
 */
void
sv_timeline_set_endpoints (SvTimeline *self,
                           const char *fhir_base,
                           const char *token_endpoint,
                           const char *revocation_endpoint)
{
  g_return_if_fail (SV_IS_TIMELINE (self));

  g_free (self->fhir_base);
  self->fhir_base = g_strdup (fhir_base);
  g_free (self->token_endpoint);
  self->token_endpoint = g_strdup (token_endpoint);
  g_free (self->revocation_endpoint);
  self->revocation_endpoint = g_strdup (revocation_endpoint);
}

/**
 * sv_timeline_set_jwks_uri:
 * @self: a #SvTimeline
 * @jwks_uri: (nullable): the issuer's key set URL, from discovery
 *
 * So the app's fetch of the signing keys is shown as such, not as a FHIR
 * request. Without it, paths ending in `/certs`, `/jwks` or `/jwks.json`
 * are taken for it.
 */
void
sv_timeline_set_jwks_uri (SvTimeline *self,
                          const char *jwks_uri)
{
  g_return_if_fail (SV_IS_TIMELINE (self));

  g_free (self->jwks_uri);
  self->jwks_uri = g_strdup (jwks_uri);
}

/* The id of the unlinked entry @entry is grouped under (its own id when
 * it is not linked). Links go to earlier ids only, so this ends. */
static guint
group_of (SvTimeline      *self,
          SvTimelineEntry *entry)
{
  guint id = sv_timeline_entry_get_id (entry);

  for (;;)
    {
      guint link = sv_timeline_entry_get_link_id (sv_timeline_get_entry (self, id));

      if (link == 0 || link >= id)
        return id;
      id = link;
    }
}

/* Recomputes the grouped order and tells the view about the smallest
 * range that changed (an append, an insertion under a request, a move). */
static void
regroup (SvTimeline *self)
{
  g_autoptr(GPtrArray) order = g_ptr_array_new_full (self->entries->len, g_object_unref);
  g_autofree guint *next = g_new0 (guint, self->entries->len + 1);  /* group id → last member id */
  g_autofree guint *after = g_new0 (guint, self->entries->len + 1); /* member id → next member id */
  guint old_len = self->order->len, first = 0, tail = 0;

  /* Chain each group's members in id order, then walk the roots. */
  for (guint id = 1; id <= self->entries->len; id++)
    {
      guint group = group_of (self, self->entries->pdata[id - 1]);

      if (group != id)
        after[next[group]] = id;
      next[group] = id;
    }
  for (guint id = 1; id <= self->entries->len; id++)
    if (group_of (self, self->entries->pdata[id - 1]) == id)
      for (guint member = id; member != 0; member = after[member])
        g_ptr_array_add (order, g_object_ref (self->entries->pdata[member - 1]));

  while (first < old_len && first < order->len && self->order->pdata[first] == order->pdata[first])
    first++;
  while (tail < old_len - first && tail < order->len - first &&
         self->order->pdata[old_len - 1 - tail] == order->pdata[order->len - 1 - tail])
    tail++;
  g_ptr_array_unref (self->order);
  self->order = g_steal_pointer (&order);
  if (first < old_len || first < self->order->len)
    g_list_model_items_changed (G_LIST_MODEL (self), first, old_len - first - tail,
                                self->order->len - first - tail);
}

/**
 * sv_timeline_add:
 * @self: a #SvTimeline
 * @entry: (transfer none): an entry; it gets the next id
 *
 * An entry linked to an earlier one is shown in its group (see the top of
 * this file); when its link changes later, it moves there.
 */
void
sv_timeline_add (SvTimeline      *self,
                 SvTimelineEntry *entry)
{
  g_return_if_fail (SV_IS_TIMELINE (self));
  g_return_if_fail (SV_IS_TIMELINE_ENTRY (entry));

  sv_timeline_entry_set_id (entry, self->entries->len + 1);
  g_ptr_array_add (self->entries, g_object_ref (entry));
  g_signal_connect_object (entry, "notify::link-id", G_CALLBACK (regroup), self, G_CONNECT_SWAPPED);
  regroup (self);
}

/**
 * sv_timeline_clear:
 * @self: a #SvTimeline
 *
 * Forgets every entry; the next one is #1 again. Requests still under
 * way finish without adding to the new timeline.
 */
void
sv_timeline_clear (SvTimeline *self)
{
  guint n;

  g_return_if_fail (SV_IS_TIMELINE (self));

  n = self->order->len;
  for (guint i = 0; i < self->entries->len; i++)
    g_signal_handlers_disconnect_by_data (self->entries->pdata[i], self);
  g_ptr_array_set_size (self->order, 0);
  g_ptr_array_set_size (self->entries, 0);
  g_hash_table_remove_all (self->search_pages);
  g_hash_table_remove_all (self->claimed);
  g_ptr_array_set_size (self->pending_validator, 0);
  self->authorization_id = 0;
  if (n > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, n, 0);
}

/* Whether @entry is (still) one of this timeline's, not one from before a
 * clear. */
static gboolean
owns (SvTimeline      *self,
      SvTimelineEntry *entry)
{
  return sv_timeline_get_entry (self, sv_timeline_entry_get_id (entry)) == entry;
}

/**
 * sv_timeline_add_sign_in:
 * @self: a #SvTimeline
 * @server: the server's name, as the user knows it
 *
 * A section marker: a sign-in starts here.
 *
 * Returns: (transfer none): the entry
 */
SvTimelineEntry *
sv_timeline_add_sign_in (SvTimeline *self,
                         const char *server)
{
  g_autoptr(SvTimelineEntry) entry = NULL;
  g_autofree char *title = NULL;

  g_return_val_if_fail (SV_IS_TIMELINE (self), NULL);

  /* Translators: a section heading in the inspector's timeline; %s is a server's name. */
  title = g_strdup_printf (_("Sign-in to %s"), server != NULL ? server : "?");
  entry = sv_timeline_entry_new (SV_TIMELINE_KIND_SECTION, title);
  sv_timeline_add (self, entry);
  return entry;
}

/**
 * sv_timeline_add_simulated:
 * @self: a #SvTimeline
 * @label: the Simulate action, as the menu names it
 * @explanation: what to expect now
 *
 * What a Simulate action meant, linked to the latest fault-switch request
 * (which the timeline saw as a `simulate` entry).
 *
 * Returns: (transfer none): the entry
 */
SvTimelineEntry *
sv_timeline_add_simulated (SvTimeline *self,
                           const char *label,
                           const char *explanation)
{
  g_autoptr(SvTimelineEntry) entry = NULL;
  g_autofree char *title = NULL;

  g_return_val_if_fail (SV_IS_TIMELINE (self), NULL);
  g_return_val_if_fail (label != NULL, NULL);

  /* Translators: a timeline step; %s is a Simulate action, e.g. "Expire Token Now". */
  title = g_strdup_printf (_("Simulated: %s"), label);
  entry = sv_timeline_entry_new (SV_TIMELINE_KIND_SIMULATE, title);
  sv_timeline_entry_set_detail_string (entry, "simulate", label);
  sv_timeline_entry_set_detail_string (entry, "what_to_expect", explanation);
  for (guint i = self->entries->len; i > 0; i--)
    {
      SvTimelineEntry *request = self->entries->pdata[i - 1];

      if (sv_timeline_entry_get_kind (request) == SV_TIMELINE_KIND_SIMULATE &&
          sv_timeline_entry_get_url (request) != NULL)
        {
          sv_timeline_entry_set_link_id (entry, i);
          break;
        }
    }
  sv_timeline_add (self, entry);
  return entry;
}

/* ---- requests ---- */

static gboolean
has_suffix_path (const char *path,
                 const char *suffix)
{
  return path != NULL && g_str_has_suffix (path, suffix);
}

/* @url without query and fragment, for comparison with an endpoint. */
static char *
url_without_query (const char *url)
{
  gsize n = strcspn (url, "?#");

  return g_strndup (url, n);
}

static gboolean
query_continues_search (const char *query)
{
  static const char * const paging[] = {
    "page", "_page", "_getpages", "_getpagesoffset", "_offset", "__offset",
    "_cursor", "ct", "cursor", "nextToken", "_pageToken", "__page", NULL
  };
  g_auto(GStrv) pairs = NULL;

  if (query == NULL)
    return FALSE;
  pairs = g_strsplit (query, "&", -1);
  for (guint i = 0; pairs[i] != NULL; i++)
    {
      g_autofree char *name = g_strndup (pairs[i], strcspn (pairs[i], "="));

      if (g_strv_contains (paging, name))
        return TRUE;
    }
  return FALSE;
}

/* The part of @path after the FHIR base's path, or the last segment when
 * the base is not known. */
static const char *
relative_path (SvTimeline *self,
               const char *path)
{
  if (self->fhir_base != NULL)
    {
      g_autoptr(GUri) base = g_uri_parse (self->fhir_base, G_URI_FLAGS_ENCODED, NULL);
      const char *base_path = base != NULL ? g_uri_get_path (base) : NULL;

      if (base_path != NULL && g_str_has_prefix (path, base_path))
        {
          const char *rest = path + strlen (base_path);

          while (*rest == '/')
            rest++;
          return rest;
        }
    }
  return strrchr (path, '/') != NULL ? strrchr (path, '/') + 1 : path;
}

static gboolean
is_search_path (const char *relative)
{
  if (g_str_has_suffix (relative, "_search"))
    return TRUE;
  return g_ascii_isupper (relative[0]) && strchr (relative, '/') == NULL;
}

static gboolean
is_jwks (SvTimeline *self,
         const char *bare,
         const char *path)
{
  if (self->jwks_uri != NULL)
    return g_strcmp0 (bare, self->jwks_uri) == 0;
  return has_suffix_path (path, "/certs") || has_suffix_path (path, "/jwks") ||
         has_suffix_path (path, "/jwks.json");
}

/* The sandbox's fault switches, which the Simulate menu drives. */
static gboolean
is_fault_switch (SvTimeline *self,
                 const char *bare,
                 const char *path)
{
  g_autofree char *hook = sv_sandbox_hook_url_for_base (self->fhir_base, "/_sandbox/faults");

  if (hook != NULL)
    return g_strcmp0 (bare, hook) == 0;
  return self->fhir_base == NULL && has_suffix_path (path, "/_sandbox/faults");
}

static SvTimelineKind
classify (SvTimeline *self,
          const char *method,
          const char *url,
          const char *path)
{
  g_autofree char *bare = url_without_query (url);
  const char *relative = relative_path (self, path);

  if (strstr (path, "/.well-known/") != NULL || g_strcmp0 (relative, "metadata") == 0 ||
      is_jwks (self, bare, path))
    return SV_TIMELINE_KIND_DISCOVERY;
  if (is_fault_switch (self, bare, path))
    return SV_TIMELINE_KIND_SIMULATE;
  if ((self->token_endpoint != NULL && g_strcmp0 (bare, self->token_endpoint) == 0) ||
      (self->token_endpoint == NULL && has_suffix_path (path, "/token")))
    return self->had_token ? SV_TIMELINE_KIND_REFRESH : SV_TIMELINE_KIND_TOKEN_REQUEST;
  if ((self->revocation_endpoint != NULL && g_strcmp0 (bare, self->revocation_endpoint) == 0) ||
      (self->revocation_endpoint == NULL &&
       (has_suffix_path (path, "/revoke") || has_suffix_path (path, "/revocation"))))
    return SV_TIMELINE_KIND_REVOCATION;
  return SV_TIMELINE_KIND_FHIR_REQUEST;
}

static guint
page_number (SvTimeline *self,
             const char *path,
             const char *query)
{
  const char *relative = relative_path (self, path);
  guint page;

  if (!is_search_path (relative) && !query_continues_search (query))
    return 0;
  if (query_continues_search (query))
    page = GPOINTER_TO_UINT (g_hash_table_lookup (self->search_pages, path)) + 1;
  else
    page = 1;
  g_hash_table_replace (self->search_pages, g_strdup (path), GUINT_TO_POINTER (page));
  return page;
}

/* The title of a request: method and the redacted URL, shortened to what
 * follows the FHIR base when it is known. */
static char *
request_title (SvTimeline *self,
               const char *method,
               const char *url)
{
  g_autofree char *safe = sv_redact_url (url);
  g_autofree char *safe_base = self->fhir_base != NULL ? sv_redact_url (self->fhir_base) : NULL;
  const char *shown = safe;

  if (safe_base != NULL && g_str_has_prefix (safe, safe_base) && safe[strlen (safe_base)] != '\0')
    shown = safe + strlen (safe_base);
  return g_strdup_printf ("%s %s", method, shown);
}

static SvTimelineEntry *
entry_for_message (SvTimeline  *self,
                   SoupMessage *msg)
{
  return g_object_get_data (G_OBJECT (msg), self->msg_key);
}

static void
on_got_headers (SoupMessage *msg,
                SvTimeline  *self)
{
  SvTimelineEntry *entry = entry_for_message (self, msg);

  if (entry != NULL)
    sv_timeline_entry_set_status (entry, soup_message_get_status (msg));
}

static void
on_restarted (SoupMessage *msg,
              SvTimeline  *self)
{
  SvTimelineEntry *entry = entry_for_message (self, msg);
  JsonObject *details;
  g_autoptr(JsonNode) count = NULL;
  g_autofree char *url = NULL;

  if (entry == NULL)
    return;
  details = sv_timeline_entry_get_details (entry);
  count = json_node_new (JSON_NODE_VALUE);
  json_node_set_int (count, json_object_get_int_member_with_default (details, "restarts", 0) + 1);
  sv_timeline_entry_set_detail (entry, "restarts", count);
  /* A redirect changes the URL; the entry shows where it ended. */
  url = g_uri_to_string (soup_message_get_uri (msg));
  sv_timeline_entry_set_request (entry, soup_message_get_method (msg), url,
                                 soup_message_headers_get_one (soup_message_get_request_headers (msg),
                                                               "Authorization") != NULL);
}

static void
on_finished (SoupMessage *msg,
             SvTimeline  *self)
{
  SvTimelineEntry *entry = entry_for_message (self, msg);
  SoupMessageMetrics *metrics;
  gint64 duration, bytes = -1;
  guint status;

  if (entry == NULL)
    return;
  status = soup_message_get_status (msg);
  sv_timeline_entry_set_status (entry, status);

  duration = g_get_monotonic_time () - sv_timeline_entry_get_monotonic_time (entry);
  metrics = soup_message_get_metrics (msg);
  if (metrics != NULL)
    {
      guint64 start = soup_message_metrics_get_fetch_start (metrics);
      guint64 end = soup_message_metrics_get_response_end (metrics);

      if (start != 0 && end >= start)
        duration = end - start;
      if (status != 0)
        bytes = soup_message_metrics_get_response_body_size (metrics);
    }
  sv_timeline_entry_set_transfer (entry, duration, bytes);

  if ((sv_timeline_entry_get_kind (entry) == SV_TIMELINE_KIND_TOKEN_REQUEST ||
       sv_timeline_entry_get_kind (entry) == SV_TIMELINE_KIND_REFRESH) &&
      SOUP_STATUS_IS_SUCCESSFUL (status))
    self->had_token = TRUE;

  if (status == SOUP_STATUS_NONE && owns (self, entry))
    {
      /* No answer at all (refused, cancelled, TLS): the caller's GError is
       * not ours to see, but the step failed and the timeline says so. */
      g_autoptr(SvTimelineEntry) error = NULL;
      g_autofree char *title = g_strdup_printf ("%s %s", _("No response:"), sv_timeline_entry_get_title (entry));

      error = sv_timeline_entry_new (SV_TIMELINE_KIND_ERROR, title);
      sv_timeline_entry_set_link_id (error, sv_timeline_entry_get_id (entry));
      sv_timeline_add (self, error);
    }
  g_object_set_data (G_OBJECT (msg), self->msg_key, NULL);
}

static void
on_request_queued (SoupSession *session,
                   SoupMessage *msg,
                   SvTimeline  *self)
{
  g_autoptr(SvTimelineEntry) entry = NULL;
  g_autofree char *url = g_uri_to_string (soup_message_get_uri (msg));
  g_autofree char *title = NULL;
  g_autofree char *bare = url_without_query (url);
  const char *method = soup_message_get_method (msg);
  GUri *uri = soup_message_get_uri (msg);
  const char *path = g_uri_get_path (uri);
  SvTimelineKind kind;

  soup_message_add_flags (msg, SOUP_MESSAGE_COLLECT_METRICS);
  kind = classify (self, method, url, path);
  if (kind == SV_TIMELINE_KIND_DISCOVERY && is_jwks (self, bare, path))
    title = g_strdup (_("Signing keys (JWKS)"));
  else if (kind == SV_TIMELINE_KIND_SIMULATE)
    /* Translators: a timeline step: the request that flips the sandbox's
     * fault switches; %s is the HTTP method (POST sets, DELETE resets). */
    title = g_strdup_printf (_("Fault switches: %s"), method);
  else
    title = request_title (self, method, url);
  entry = sv_timeline_entry_new (kind, title);
  sv_timeline_entry_set_request (entry, method, url,
                                 soup_message_headers_get_one (soup_message_get_request_headers (msg),
                                                               "Authorization") != NULL);
  if (kind == SV_TIMELINE_KIND_FHIR_REQUEST)
    sv_timeline_entry_set_page (entry, page_number (self, path, g_uri_get_query (uri)));

  g_object_set_data_full (G_OBJECT (msg), self->msg_key, g_object_ref (entry), g_object_unref);
  g_signal_connect_object (msg, "got-headers", G_CALLBACK (on_got_headers), self, 0);
  g_signal_connect_object (msg, "restarted", G_CALLBACK (on_restarted), self, 0);
  g_signal_connect_object (msg, "finished", G_CALLBACK (on_finished), self, 0);
  sv_timeline_add (self, entry);
}

/**
 * sv_timeline_watch_soup_session:
 * @self: a #SvTimeline
 * @session: the session the app sends its requests on
 *
 * Records every request queued on @session from now on, until the
 * timeline is finalized. Only the method, the redacted URL, whether a
 * bearer token was sent (never the token), the status, the duration and
 * the response size are kept.
 */
void
sv_timeline_watch_soup_session (SvTimeline  *self,
                                SoupSession *session)
{
  g_return_if_fail (SV_IS_TIMELINE (self));
  g_return_if_fail (SOUP_IS_SESSION (session));

  g_signal_connect_object (session, "request-queued", G_CALLBACK (on_request_queued), self, 0);
}

/* ---- the sandbox's events ---- */

static char *
path_of (const char *url_or_path)
{
  g_autoptr(GUri) uri = NULL;
  const char *path = url_or_path;

  if (url_or_path == NULL)
    return NULL;
  if (strstr (url_or_path, "://") != NULL)
    {
      uri = g_uri_parse (url_or_path, G_URI_FLAGS_ENCODED, NULL);
      if (uri == NULL)
        return NULL;
      path = g_uri_get_path (uri);
    }
  else
    {
      g_autofree char *bare = url_without_query (url_or_path);

      return g_uri_unescape_string (bare, NULL);
    }
  return g_uri_unescape_string (path, NULL);
}

static SvTimelineEntry *
find_client_request (SvTimeline *self,
                     const char *method,
                     const char *path)
{
  g_autofree char *wanted = path_of (path);
  gint64 now = g_get_monotonic_time ();

  if (wanted == NULL || method == NULL)
    return NULL;
  for (guint i = 0; i < self->entries->len; i++)
    {
      SvTimelineEntry *entry = self->entries->pdata[i];
      SvTimelineKind kind = sv_timeline_entry_get_kind (entry);
      g_autofree char *candidate = NULL;

      if (kind != SV_TIMELINE_KIND_FHIR_REQUEST && kind != SV_TIMELINE_KIND_DISCOVERY)
        continue;
      if (g_hash_table_contains (self->claimed, GUINT_TO_POINTER (sv_timeline_entry_get_id (entry))))
        continue;
      if (now - sv_timeline_entry_get_monotonic_time (entry) > LINK_WINDOW_US)
        continue;
      if (g_strcmp0 (sv_timeline_entry_get_method (entry), method) != 0)
        continue;
      candidate = path_of (sv_timeline_entry_get_url (entry));
      if (g_strcmp0 (candidate, wanted) == 0)
        return entry;
    }
  return NULL;
}

static SvTimelineEntry *
latest_token_request (SvTimeline *self)
{
  for (guint i = self->entries->len; i > 0; i--)
    {
      SvTimelineEntry *entry = self->entries->pdata[i - 1];
      SvTimelineKind kind = sv_timeline_entry_get_kind (entry);

      if (kind == SV_TIMELINE_KIND_TOKEN_REQUEST || kind == SV_TIMELINE_KIND_REFRESH)
        return entry;
    }
  return NULL;
}

/* A string member of a server event, or %NULL: the stream is read, not
 * trusted. */
static const char *
event_string (JsonObject *event,
              const char *name)
{
  JsonNode *node = json_object_get_member (event, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gint64
event_int (JsonObject *event,
           const char *name)
{
  JsonNode *node = json_object_get_member (event, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return -1;
  return json_node_get_int (node);
}

static char *
validator_title (JsonObject *event)
{
  const char *decision = event_string (event, "decision");
  const char *reason = event_string (event, "reason");
  gint64 latency = event_int (event, "latency_us");

  if (g_strcmp0 (decision, "allow") == 0 && latency >= 0)
    /* Translators: a server step in the timeline: the token validator
     * allowed a request; %.1f is how long it took, in milliseconds. */
    return g_strdup_printf (_("Validator: allowed · %.1f ms"), latency / 1000.0);
  if (g_strcmp0 (decision, "allow") == 0)
    return g_strdup (_("Validator: allowed"));
  if (g_strcmp0 (decision, "deny") == 0 && g_strcmp0 (event_string (event, "fault"), "expire_access_tokens") == 0)
    return g_strdup (_("Validator: denied — token expired (fault switch)"));
  if (g_strcmp0 (decision, "deny") == 0 && reason != NULL)
    /* Translators: %s is the validator's reason, in English, as the server gave it. */
    return g_strdup_printf (_("Validator: denied — %s"), reason);
  if (g_strcmp0 (decision, "deny") == 0)
    return g_strdup (_("Validator: denied"));
  if (g_strcmp0 (decision, "timeout") == 0)
    return g_strdup (_("Validator: timed out"));
  if (g_strcmp0 (decision, "error") == 0)
    return g_strdup (_("Validator: failed"));
  /* Translators: %s is a decision the app does not know, as the server gave it. */
  return g_strdup_printf (_("Validator: %s"), decision != NULL ? decision : "?");
}

/* "Condition search", "Patient read", or the method and path. */
static char *
fhir_operation (JsonObject *event)
{
  const char *type = event_string (event, "resourceType");
  const char *path = event_string (event, "path");
  g_autofree char *segment = type != NULL ? g_strconcat ("/", type, NULL) : NULL;
  const char *after = NULL;

  /* The path segment that is the type: followed by its end, an id or _search. */
  for (const char *p = path != NULL && segment != NULL ? strstr (path, segment) : NULL; p != NULL;
       p = strstr (p + 1, segment))
    if (strchr ("/?", p[strlen (segment)]) != NULL)
      {
        after = p + strlen (segment);
        break;
      }
  if (after != NULL)
    {
      if (*after == '\0' || g_str_has_prefix (after, "/_search") || *after == '?')
        /* Translators: a FHIR search of a resource type, e.g. "Condition search". */
        return g_strdup_printf (_("%s search"), type);
      /* Translators: a FHIR read of one resource, e.g. "Patient read". */
      return g_strdup_printf (_("%s read"), type);
    }
  return g_strdup_printf ("%s %s", event_string (event, "method") != NULL ? event_string (event, "method") : "?",
                          path != NULL ? path : "?");
}

static char *
fhir_request_title (JsonObject *event)
{
  static const struct { const char *decision; const char *text; gboolean scope; } known[] = {
    { "allowed", N_("allowed"), TRUE },
    { "denied: scope", N_("denied: scope not granted"), TRUE },
    { "denied: other patient", N_("denied: another patient"), TRUE },
    { "denied: token", N_("denied: token refused"), TRUE },
    { "denied: token expired (fault switch)", N_("denied: token expired (fault switch)"), TRUE },
    { "validator timeout", N_("refused: the validator timed out"), FALSE },
    { "validator error", N_("refused: the validator failed"), FALSE },
    { "throttled", N_("throttled"), FALSE },
    { "no token", N_("refused: no token sent"), FALSE },
    { "anonymous", N_("public, no token needed"), FALSE },
    { "none", N_("no decision"), FALSE },
  };
  const char *decision = event_string (event, "decision");
  g_autofree char *operation = fhir_operation (event);

  for (guint i = 0; decision != NULL && i < G_N_ELEMENTS (known); i++)
    if (strcmp (decision, known[i].decision) == 0)
      return known[i].scope
        /* Translators: a server step in the timeline: the FHIR server's
         * scope decision, e.g. "Scope check: Condition search allowed". */
        ? g_strdup_printf (_("Scope check: %s %s"), operation, _(known[i].text))
        /* Translators: a server step in the timeline, e.g. "FHIR server: Condition search throttled". */
        : g_strdup_printf (_("FHIR server: %s %s"), operation, _(known[i].text));
  return g_strdup_printf (_("FHIR server: %s %s"), operation, decision != NULL ? decision : "?");
}

/* A short human title; everything else stays in the details. */
static char *
server_event_title (JsonObject *event,
                    const char *kind)
{
  static const struct { const char *kind; const char *title; } idp[] = {
    { "authorize", N_("IdP: authorization request") },
    { "login", N_("IdP: login") },
    { "consent", N_("IdP: consent") },
    { "token-issued", N_("IdP: tokens issued") },
    { "refresh", N_("IdP: refresh") },
    { "revoke", N_("IdP: revoked") },
    { "expire", N_("IdP: access tokens expired (fault switch)") },
  };

  if (g_strcmp0 (kind, "validator-invocation") == 0)
    return validator_title (event);
  if (g_strcmp0 (kind, "fhir-request") == 0)
    return fhir_request_title (event);
  if (g_strcmp0 (kind, "token-error") == 0)
    /* Translators: %s is the OAuth error code, e.g. "invalid_grant". */
    return g_strdup_printf (_("IdP: token refused — %s"),
                            event_string (event, "error") != NULL ? event_string (event, "error") : "?");
  for (guint i = 0; i < G_N_ELEMENTS (idp); i++)
    if (g_strcmp0 (kind, idp[i].kind) == 0)
      return g_strdup (_(idp[i].title));
  /* Translators: a server step of a kind the app does not know; %s is its kind. */
  return g_strdup_printf (_("Server: %s"), kind);
}

static void
on_sandbox_event (SvSandboxEvents *events,
                  JsonObject      *event,
                  SvTimeline      *self)
{
  g_autoptr(SvTimelineEntry) entry = NULL;
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), event);
  const char *kind = event_string (event, "kind") != NULL ? event_string (event, "kind") : "event";
  g_autofree char *title = server_event_title (event, kind);
  SvTimelineEntry *client = NULL;

  entry = sv_timeline_entry_new (SV_TIMELINE_KIND_SERVER_EVENT, title);
  sv_timeline_entry_set_detail (entry, "event", node);
  if (event_int (event, "status") > 0 && event_int (event, "status") < 1000)
    sv_timeline_entry_set_status (entry, event_int (event, "status"));
  if (event_int (event, "latency_us") >= 0)
    sv_timeline_entry_set_transfer (entry, event_int (event, "latency_us"), -1);

  if (g_strcmp0 (kind, "validator-invocation") == 0)
    g_ptr_array_add (self->pending_validator, g_object_ref (entry));
  else if (g_strcmp0 (kind, "fhir-request") == 0)
    {
      client = find_client_request (self,
                                    event_string (event, "method"), event_string (event, "path"));
      if (client != NULL)
        g_hash_table_add (self->claimed, GUINT_TO_POINTER (sv_timeline_entry_get_id (client)));
      for (guint i = 0; i < self->pending_validator->len && client != NULL; i++)
        sv_timeline_entry_set_link_id (self->pending_validator->pdata[i], sv_timeline_entry_get_id (client));
      g_ptr_array_set_size (self->pending_validator, 0);
    }
  else if (g_str_has_prefix (kind, "token-"))
    client = latest_token_request (self);

  if (client != NULL)
    sv_timeline_entry_set_link_id (entry, sv_timeline_entry_get_id (client));
  sv_timeline_add (self, entry);
}

/**
 * sv_timeline_watch_sandbox:
 * @self: a #SvTimeline
 * @events: the sandbox's event stream client (started by the caller)
 *
 * Each server event becomes a server-event entry, linked to the client
 * request that caused it (see the rule at the top of this file).
 */
void
sv_timeline_watch_sandbox (SvTimeline      *self,
                           SvSandboxEvents *events)
{
  g_return_if_fail (SV_IS_TIMELINE (self));
  g_return_if_fail (SV_IS_SANDBOX_EVENTS (events));

  g_signal_connect_object (events, "event", G_CALLBACK (on_sandbox_event), self, 0);
}

/* ---- the steps the app reports ---- */

/* The first four characters and the length: enough to point at, not
 * enough to use. */
static char *
shorten_secret (const char *secret)
{
  g_autofree char *head = g_utf8_substring (secret, 0, MIN (4, g_utf8_strlen (secret, -1)));

  return g_strdup_printf ("%s… (%u)", head, (guint) strlen (secret));
}

/**
 * sv_timeline_add_authorization_request:
 * @self: a #SvTimeline
 * @request: the request the browser is sent with
 *
 * Records every parameter of the authorization URL (redacted), and the
 * PKCE challenge and its method. The verifier stays out of the entry.
 *
 * Returns: (transfer none): the entry
 */
SvTimelineEntry *
sv_timeline_add_authorization_request (SvTimeline             *self,
                                       SvAuthorizationRequest *request)
{
  g_autoptr(SvTimelineEntry) entry = NULL;
  g_autofree char *url = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GHashTable) params = NULL;
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *endpoint = NULL;
  g_autofree char *title = NULL;
  const char *verifier;
  GHashTableIter iter;
  gpointer key, value;

  g_return_val_if_fail (SV_IS_TIMELINE (self), NULL);
  g_return_val_if_fail (SV_IS_AUTHORIZATION_REQUEST (request), NULL);

  url = sv_authorization_request_dup_url (request);
  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
  if (uri != NULL && g_uri_get_query (uri) != NULL)
    params = g_uri_parse_params (g_uri_get_query (uri), -1, "&", G_URI_PARAMS_WWW_FORM, NULL);
  endpoint = url_without_query (url);
  title = g_strdup_printf ("GET %s", endpoint);

  entry = sv_timeline_entry_new (SV_TIMELINE_KIND_AUTHORIZATION_REQUEST, title);
  sv_timeline_entry_set_request (entry, "GET", url, FALSE);
  if (params != NULL)
    {
      g_hash_table_iter_init (&iter, params);
      while (g_hash_table_iter_next (&iter, &key, &value))
        json_object_set_string_member (object, key, value);
      node = json_node_init_object (json_node_alloc (), object);
      sv_timeline_entry_set_detail (entry, "parameters", node);
      sv_timeline_entry_set_detail_string (entry, "code_challenge", g_hash_table_lookup (params, "code_challenge"));
      sv_timeline_entry_set_detail_string (entry, "code_challenge_method",
                                           g_hash_table_lookup (params, "code_challenge_method"));
    }

  verifier = sv_authorization_request_get_code_verifier (request);
  g_clear_pointer (&self->verifier_hint, g_free);
  self->verifier_revealed = FALSE;
  if (verifier != NULL)
    self->verifier_hint = shorten_secret (verifier);

  sv_timeline_add (self, entry);
  self->authorization_id = sv_timeline_entry_get_id (entry);
  return entry;
}

/**
 * sv_timeline_reveal_verifier_after_exchange:
 * @self: a #SvTimeline
 *
 * The code was exchanged: from now on sv_timeline_get_verifier_hint()
 * answers, and the authorization entry says the verifier was revealed.
 */
void
sv_timeline_reveal_verifier_after_exchange (SvTimeline *self)
{
  SvTimelineEntry *entry;
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_VALUE);

  g_return_if_fail (SV_IS_TIMELINE (self));

  self->verifier_revealed = TRUE;
  entry = sv_timeline_get_entry (self, self->authorization_id);
  json_node_set_boolean (node, TRUE);
  if (entry != NULL)
    sv_timeline_entry_set_detail (entry, "verifier_revealed", node);
}

/**
 * sv_timeline_get_verifier_hint:
 * @self: a #SvTimeline
 *
 * Returns: (nullable): the shortened verifier for the live inspector, once
 *   revealed; never part of an entry, the text or the export
 */
const char *
sv_timeline_get_verifier_hint (SvTimeline *self)
{
  g_return_val_if_fail (SV_IS_TIMELINE (self), NULL);

  return self->verifier_revealed ? self->verifier_hint : NULL;
}

/**
 * sv_timeline_add_redirect:
 * @self: a #SvTimeline
 * @uri: the redirect URI the browser was sent to
 *
 * Returns: (transfer none): the entry, with the code shortened
 */
SvTimelineEntry *
sv_timeline_add_redirect (SvTimeline *self,
                          const char *uri)
{
  g_autoptr(SvTimelineEntry) entry = NULL;
  g_autoptr(GUri) parsed = NULL;
  g_autoptr(GHashTable) params = NULL;
  g_autofree char *safe = NULL;
  const char *code, *error;

  g_return_val_if_fail (SV_IS_TIMELINE (self), NULL);
  g_return_val_if_fail (uri != NULL, NULL);

  parsed = g_uri_parse (uri, G_URI_FLAGS_ENCODED, NULL);
  if (parsed != NULL && g_uri_get_query (parsed) != NULL)
    params = g_uri_parse_params (g_uri_get_query (parsed), -1, "&", G_URI_PARAMS_WWW_FORM, NULL);
  safe = sv_redact_url (uri);

  entry = sv_timeline_entry_new (SV_TIMELINE_KIND_REDIRECT, safe);
  sv_timeline_entry_set_detail_string (entry, "redirect", safe);
  code = params != NULL ? g_hash_table_lookup (params, "code") : NULL;
  error = params != NULL ? g_hash_table_lookup (params, "error") : NULL;
  if (code != NULL)
    {
      g_autofree char *shortened = shorten_secret (code);

      sv_timeline_entry_set_detail_string (entry, "code_shortened", shortened);
    }
  if (error != NULL)
    {
      sv_timeline_entry_set_detail_string (entry, "error", error);
      sv_timeline_entry_set_detail_string (entry, "error_description",
                                           g_hash_table_lookup (params, "error_description"));
    }
  sv_timeline_add (self, entry);
  return entry;
}

static void
set_token_detail (SvTimelineEntry *entry,
                  const char      *name,
                  const char      *token)
{
  g_autofree char *described = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (token == NULL)
    return;
  described = sv_jwt_describe (token);
  if (described != NULL)
    node = json_from_string (described, NULL);
  if (node == NULL)
    {
      /* An opaque token: its length is all there is to show. */
      g_autoptr(JsonObject) object = json_object_new ();

      json_object_set_boolean_member (object, "opaque", TRUE);
      json_object_set_int_member (object, "length", strlen (token));
      node = json_node_init_object (json_node_alloc (), object);
    }
  sv_timeline_entry_set_detail (entry, name, node);
}

/**
 * sv_timeline_add_tokens:
 * @self: a #SvTimeline
 * @access_token: (nullable): the access token received
 * @id_token: (nullable): the id token received
 *
 * Records a token response as the decoded header and claims of each token
 * (sv_jwt_describe()): never the signature, never the raw token.
 *
 * Returns: (transfer none): the entry
 */
SvTimelineEntry *
sv_timeline_add_tokens (SvTimeline *self,
                        const char *access_token,
                        const char *id_token)
{
  g_autoptr(SvTimelineEntry) entry = NULL;

  g_return_val_if_fail (SV_IS_TIMELINE (self), NULL);

  entry = sv_timeline_entry_new (SV_TIMELINE_KIND_TOKEN_RESPONSE, _("Tokens received"));
  set_token_detail (entry, "decoded_access_token", access_token);
  set_token_detail (entry, "decoded_id_token", id_token);
  self->had_token = TRUE;
  sv_timeline_add (self, entry);
  return entry;
}

/**
 * sv_timeline_add_error:
 * @self: a #SvTimeline
 * @error: what went wrong; its message is redacted
 *
 * Returns: (transfer none): the entry
 */
SvTimelineEntry *
sv_timeline_add_error (SvTimeline   *self,
                       const GError *error)
{
  g_autoptr(SvTimelineEntry) entry = NULL;

  g_return_val_if_fail (SV_IS_TIMELINE (self), NULL);
  g_return_val_if_fail (error != NULL, NULL);

  entry = sv_timeline_entry_new (SV_TIMELINE_KIND_ERROR, error->message);
  sv_timeline_entry_set_detail_string (entry, "domain", g_quark_to_string (error->domain));
  sv_timeline_add (self, entry);
  return entry;
}

/* ---- export, import, text ---- */

static char *
format_wall_time (gint64 wall_us)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (wall_us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) precise = NULL;

  if (time == NULL)
    return g_strdup ("1970-01-01T00:00:00Z");
  precise = g_date_time_add (time, wall_us % G_USEC_PER_SEC);
  return g_date_time_format_iso8601 (precise != NULL ? precise : time);
}

/**
 * sv_timeline_export:
 * @self: a #SvTimeline
 * @error: return location for an error
 *
 * The timeline as a JSON document for a walkthrough:
 * `{"format": "smart-viewer-timeline", "version": 1, "entries": […]}`,
 * the entries in id order (the order they were added); an import groups
 * them again by their links, as the live timeline does.
 * Every string in it was redacted when it entered the timeline; the
 * verifier hint is never part of it.
 *
 * Returns: (transfer full) (nullable): the document
 */
char *
sv_timeline_export (SvTimeline  *self,
                    GError     **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  gint64 first = 0;

  g_return_val_if_fail (SV_IS_TIMELINE (self), NULL);

  if (self->entries->len > 0)
    first = sv_timeline_entry_get_monotonic_time (self->entries->pdata[0]);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "format");
  json_builder_add_string_value (builder, SV_TIMELINE_EXPORT_FORMAT);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, SV_TIMELINE_EXPORT_VERSION);
  json_builder_set_member_name (builder, "entries");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->entries->len; i++)
    {
      SvTimelineEntry *entry = self->entries->pdata[i];
      g_autofree char *time = format_wall_time (sv_timeline_entry_get_wall_time (entry));
      JsonObject *details = sv_timeline_entry_get_details (entry);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_int_value (builder, sv_timeline_entry_get_id (entry));
      json_builder_set_member_name (builder, "kind");
      json_builder_add_string_value (builder, sv_timeline_kind_to_string (sv_timeline_entry_get_kind (entry)));
      json_builder_set_member_name (builder, "time");
      json_builder_add_string_value (builder, time);
      json_builder_set_member_name (builder, "offset_us");
      json_builder_add_int_value (builder, sv_timeline_entry_get_monotonic_time (entry) - first);
      json_builder_set_member_name (builder, "title");
      json_builder_add_string_value (builder, sv_timeline_entry_get_title (entry));
      if (sv_timeline_entry_get_url (entry) != NULL)
        {
          json_builder_set_member_name (builder, "method");
          json_builder_add_string_value (builder, sv_timeline_entry_get_method (entry));
          json_builder_set_member_name (builder, "url");
          json_builder_add_string_value (builder, sv_timeline_entry_get_url (entry));
          json_builder_set_member_name (builder, "bearer");
          json_builder_add_boolean_value (builder, sv_timeline_entry_get_has_bearer (entry));
        }
      json_builder_set_member_name (builder, "status");
      json_builder_add_int_value (builder, sv_timeline_entry_get_status (entry));
      json_builder_set_member_name (builder, "duration_us");
      json_builder_add_int_value (builder, sv_timeline_entry_get_duration_us (entry));
      json_builder_set_member_name (builder, "bytes");
      json_builder_add_int_value (builder, sv_timeline_entry_get_bytes (entry));
      json_builder_set_member_name (builder, "page");
      json_builder_add_int_value (builder, sv_timeline_entry_get_page (entry));
      json_builder_set_member_name (builder, "link_id");
      json_builder_add_int_value (builder, sv_timeline_entry_get_link_id (entry));
      json_builder_set_member_name (builder, "details");
      json_builder_add_value (builder, json_node_init_object (json_node_alloc (), details));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

static SvTimeline *
import_failed (GError **error)
{
  g_set_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT,
               _("This file is not a SMART Viewer session timeline."));
  return NULL;
}

/**
 * sv_timeline_new_from_export:
 * @json: a document sv_timeline_export() wrote
 * @error: return location for an error
 *
 * A timeline to replay. Every string is redacted again on the way in, so a
 * hand-edited file cannot bring a token into the inspector either.
 *
 * Returns: (transfer full) (nullable): the timeline, or %NULL with @error set
 */
SvTimeline *
sv_timeline_new_from_export (const char  *json,
                             GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(SvTimeline) self = NULL;
  JsonNode *root;
  JsonObject *object;
  JsonArray *entries;
  gint64 now = g_get_monotonic_time ();

  g_return_val_if_fail (json != NULL, NULL);

  if (!json_parser_load_from_data (parser, json, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return import_failed (error);
  object = json_node_get_object (root);
  if (g_strcmp0 (json_object_get_string_member_with_default (object, "format", NULL),
                 SV_TIMELINE_EXPORT_FORMAT) != 0 ||
      !json_object_has_member (object, "entries") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, "entries")))
    return import_failed (error);
  if (json_object_get_int_member_with_default (object, "version", 0) != SV_TIMELINE_EXPORT_VERSION)
    {
      g_set_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT,
                   _("This session timeline was written by another version of SMART Viewer."));
      return NULL;
    }

  self = sv_timeline_new ();
  entries = json_object_get_array_member (object, "entries");
  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      JsonNode *element = json_array_get_element (entries, i);
      g_autoptr(SvTimelineEntry) entry = NULL;
      g_autoptr(GDateTime) time = NULL;
      JsonObject *e, *details;
      SvTimelineKind kind;
      gint64 wall = 0;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        return import_failed (error);
      e = json_node_get_object (element);
      if (!sv_timeline_kind_from_string (json_object_get_string_member_with_default (e, "kind", NULL), &kind))
        return import_failed (error);

      entry = sv_timeline_entry_new (kind, json_object_get_string_member_with_default (e, "title", NULL));
      time = g_date_time_new_from_iso8601 (json_object_get_string_member_with_default (e, "time", ""), NULL);
      if (time != NULL)
        wall = g_date_time_to_unix (time) * G_USEC_PER_SEC + g_date_time_get_microsecond (time);
      sv_timeline_entry_set_times (entry, now + json_object_get_int_member_with_default (e, "offset_us", 0), wall);
      if (json_object_get_string_member_with_default (e, "url", NULL) != NULL)
        sv_timeline_entry_set_request (entry, json_object_get_string_member_with_default (e, "method", "GET"),
                                       json_object_get_string_member (e, "url"),
                                       json_object_get_boolean_member_with_default (e, "bearer", FALSE));
      sv_timeline_entry_set_status (entry, json_object_get_int_member_with_default (e, "status", 0));
      sv_timeline_entry_set_transfer (entry, json_object_get_int_member_with_default (e, "duration_us", -1),
                                      json_object_get_int_member_with_default (e, "bytes", -1));
      sv_timeline_entry_set_page (entry, json_object_get_int_member_with_default (e, "page", 0));
      sv_timeline_entry_set_link_id (entry, json_object_get_int_member_with_default (e, "link_id", 0));
      details = json_object_has_member (e, "details") && JSON_NODE_HOLDS_OBJECT (json_object_get_member (e, "details"))
        ? json_object_get_object_member (e, "details") : NULL;
      if (details != NULL)
        {
          g_autoptr(GList) members = json_object_get_members (details);

          for (GList *l = members; l != NULL; l = l->next)
            sv_timeline_entry_set_detail (entry, l->data, json_object_get_member (details, l->data));
        }
      sv_timeline_add (self, entry);
    }
  return g_steal_pointer (&self);
}

/**
 * sv_timeline_to_text:
 * @self: a #SvTimeline
 *
 * One line per entry, for `--verbose` on stderr:
 * `#3 +0.412s fhir-request GET Patient?_count=2 → 200, 12.3 ms, 1834 B, page 1`,
 * in the grouped order of the list model (a server event follows the
 * request it is for, `(for #3)`), so the ids are not always ascending.
 *
 * Returns: (transfer full): the text, each line ending in a newline
 */
char *
sv_timeline_to_text (SvTimeline *self)
{
  GString *out = g_string_new (NULL);
  gint64 first = 0;

  g_return_val_if_fail (SV_IS_TIMELINE (self), NULL);

  if (self->entries->len > 0)
    first = sv_timeline_entry_get_monotonic_time (self->entries->pdata[0]);
  for (guint i = 0; i < self->order->len; i++)
    {
      SvTimelineEntry *entry = self->order->pdata[i];
      GString *line = g_string_new (NULL);
      g_autofree char *safe = NULL;

      g_string_append_printf (line, "#%u +%.3fs %s %s", sv_timeline_entry_get_id (entry),
                              (sv_timeline_entry_get_monotonic_time (entry) - first) / (double) G_USEC_PER_SEC,
                              sv_timeline_kind_to_string (sv_timeline_entry_get_kind (entry)),
                              sv_timeline_entry_get_title (entry));
      if (sv_timeline_entry_get_status (entry) != 0)
        g_string_append_printf (line, " → %u", sv_timeline_entry_get_status (entry));
      if (sv_timeline_entry_get_duration_us (entry) >= 0)
        g_string_append_printf (line, ", %.1f ms", sv_timeline_entry_get_duration_us (entry) / 1000.0);
      if (sv_timeline_entry_get_bytes (entry) >= 0)
        g_string_append_printf (line, ", %" G_GINT64_FORMAT " B", sv_timeline_entry_get_bytes (entry));
      if (sv_timeline_entry_get_page (entry) != 0)
        g_string_append_printf (line, ", page %u", sv_timeline_entry_get_page (entry));
      if (sv_timeline_entry_get_link_id (entry) != 0)
        g_string_append_printf (line, " (for #%u)", sv_timeline_entry_get_link_id (entry));
      /* Everything in it is redacted already; a last pass costs little. */
      safe = sv_redact_text (line->str);
      g_string_append (out, safe);
      g_string_append_c (out, '\n');
      g_string_free (line, TRUE);
    }
  return g_string_free (out, FALSE);
}
