/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-fhir"

#include "config.h"

#include "sv-fhir-client.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>
#include <string.h>

#include "sv-error.h"
#include "sv-fhir-value.h"
#include "sv-http.h"
#include "sv-json-reader.h"

/* A FHIR REST client for the few interactions the viewer needs: read, search
 * with paging, and batched reads by _id. It holds to ../shared/docs/HEALTHLAKE.md
 * §3 and SMART-CLIENT.md:
 *
 * - the bearer token goes only to the FHIR base's origin: redirects are not
 *   followed by libsoup but by us, and only on that origin; a Bundle's next
 *   link elsewhere ends the search as partial, and so does a later page
 *   that cannot be read (the first one failing fails the search);
 * - a 401 asks the bearer source once for a fresh token and retries;
 * - 429 and 503 are retried a bounded number of times after Retry-After;
 * - response bodies are parsed in a worker thread, so that a 100-entry page
 *   never stalls the main loop.
 *
 * Tokens are never logged or put into an error message. */

#define MAX_RETRIES 3
/* Not in libsoup 3.2's SoupStatus. */
#define HTTP_TOO_MANY_REQUESTS 429
#define MAX_REDIRECTS 5
#define MAX_PAGES 1000
#define DEFAULT_MAX_RETRY_DELAY 30
#define RESOLVE_BATCH 100
/* The largest response body read, so that a hostile or broken server
 * cannot exhaust memory: a page of 100 resources is far below it. */
#define DEFAULT_MAX_BODY_SIZE (64 * 1024 * 1024)
/* How much is asked of the body stream at a time. */
#define READ_CHUNK (256 * 1024)

struct _SvFhirClient
{
  GObject         parent_instance;

  char           *base_url;
  GUri           *base_uri;
  SvBearerSource *bearer;
  SoupSession    *session;

  /* "Type/id" → JsonObject of resources fetched by sv_fhir_client_resolve_async(). */
  GHashTable     *cache;
  guint           max_retry_delay;
  gsize           max_body_size;
};

G_DEFINE_FINAL_TYPE (SvFhirClient, sv_fhir_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BASE_URL,
  PROP_BEARER_SOURCE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

void
sv_fhir_search_result_free (SvFhirSearchResult *result)
{
  if (result == NULL)
    return;

  g_clear_pointer (&result->matches, g_ptr_array_unref);
  g_clear_pointer (&result->match_texts, g_ptr_array_unref);
  g_clear_pointer (&result->mapped, g_ptr_array_unref);
  g_clear_pointer (&result->mapped_skipped, g_ptr_array_unref);
  g_clear_pointer (&result->included, g_hash_table_unref);
  g_clear_pointer (&result->invalid, g_ptr_array_unref);
  g_free (result->partial_reason);
  g_free (result);
}

static SvFhirSearchResult *
search_result_new (void)
{
  SvFhirSearchResult *result = g_new0 (SvFhirSearchResult, 1);

  result->matches = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  result->match_texts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  result->mapped = g_ptr_array_new_with_free_func (g_object_unref);
  result->mapped_skipped = g_ptr_array_new_with_free_func (g_free);
  result->included = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) json_object_unref);
  result->invalid = g_ptr_array_new_with_free_func (g_free);
  return result;
}

static int
uri_port (GUri *uri)
{
  int port = g_uri_get_port (uri);

  if (port > 0)
    return port;

  return g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0 ? 443 : 80;
}

static gboolean
same_origin (GUri *a,
             GUri *b)
{
  return g_ascii_strcasecmp (g_uri_get_scheme (a), g_uri_get_scheme (b)) == 0 &&
         g_uri_get_host (a) != NULL && g_uri_get_host (b) != NULL &&
         g_ascii_strcasecmp (g_uri_get_host (a), g_uri_get_host (b)) == 0 &&
         uri_port (a) == uri_port (b);
}

static gboolean
is_loopback_host (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  if (host == NULL)
    return FALSE;

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;

  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

/**
 * sv_fhir_client_is_same_origin:
 * @self: a #SvFhirClient
 * @url: an absolute URL, or one relative to the FHIR base
 *
 * Returns: %TRUE when @url has the FHIR base's scheme, host and port, that
 *   is when the bearer token may be sent to it
 */
gboolean
sv_fhir_client_is_same_origin (SvFhirClient *self,
                               const char   *url)
{
  g_autoptr(GUri) uri = NULL;

  g_return_val_if_fail (SV_IS_FHIR_CLIENT (self), FALSE);

  if (url == NULL)
    return FALSE;

  uri = g_uri_parse_relative (self->base_uri, url, G_URI_FLAGS_ENCODED, NULL);
  return uri != NULL && same_origin (uri, self->base_uri);
}

static void
sv_fhir_client_finalize (GObject *object)
{
  SvFhirClient *self = SV_FHIR_CLIENT (object);

  g_clear_pointer (&self->base_url, g_free);
  g_clear_pointer (&self->base_uri, g_uri_unref);
  g_clear_pointer (&self->cache, g_hash_table_unref);

  G_OBJECT_CLASS (sv_fhir_client_parent_class)->finalize (object);
}

static void
sv_fhir_client_dispose (GObject *object)
{
  SvFhirClient *self = SV_FHIR_CLIENT (object);

  g_clear_object (&self->bearer);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (sv_fhir_client_parent_class)->dispose (object);
}

static void
sv_fhir_client_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  SvFhirClient *self = SV_FHIR_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      g_value_set_string (value, self->base_url);
      break;

    case PROP_BEARER_SOURCE:
      g_value_set_object (value, self->bearer);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sv_fhir_client_class_init (SvFhirClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sv_fhir_client_finalize;
  object_class->dispose = sv_fhir_client_dispose;
  object_class->get_property = sv_fhir_client_get_property;

  properties[PROP_BASE_URL] =
    g_param_spec_string ("base-url", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_BEARER_SOURCE] =
    g_param_spec_object ("bearer-source", NULL, NULL, SV_TYPE_BEARER_SOURCE,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sv_fhir_client_init (SvFhirClient *self)
{
  self->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) json_object_unref);
  self->max_retry_delay = DEFAULT_MAX_RETRY_DELAY;
  self->max_body_size = DEFAULT_MAX_BODY_SIZE;
}

/**
 * sv_fhir_client_new:
 * @base_url: the FHIR base, e.g. `https://…/r4/`
 * @bearer: where the access token comes from
 * @http: (nullable): the application's HTTP session, so that the session
 *   timeline sees the FHIR requests too; %NULL makes a private one
 * @error: return location for a #GError
 *
 * Plain `http` is accepted only for loopback hosts (the sandbox, tests);
 * `https` certificates are verified against the system's trust store.
 *
 * Returns: (transfer full) (nullable): the client
 */
SvFhirClient *
sv_fhir_client_new (const char      *base_url,
                    SvBearerSource  *bearer,
                    SoupSession     *http,
                    GError         **error)
{
  g_autoptr(SvFhirClient) self = NULL;
  g_autoptr(GUri) uri = NULL;
  const char *scheme;

  g_return_val_if_fail (base_url != NULL, NULL);
  g_return_val_if_fail (SV_IS_BEARER_SOURCE (bearer), NULL);
  g_return_val_if_fail (http == NULL || SOUP_IS_SESSION (http), NULL);

  uri = g_uri_parse (base_url, G_URI_FLAGS_ENCODED, NULL);
  scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      (g_ascii_strcasecmp (scheme, "https") != 0 && g_ascii_strcasecmp (scheme, "http") != 0))
    {
      g_set_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT,
                   _("“%s” is not a FHIR server address. Enter an https:// address."), base_url);
      return NULL;
    }

  if (g_ascii_strcasecmp (scheme, "http") == 0 && !is_loopback_host (g_uri_get_host (uri)))
    {
      g_set_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT,
                   _("The FHIR server “%s” does not use https. Only servers on this computer may use plain http."),
                   g_uri_get_host (uri));
      return NULL;
    }

  self = g_object_new (SV_TYPE_FHIR_CLIENT, NULL);
  self->base_url = g_str_has_suffix (base_url, "/") ? g_strdup (base_url)
                                                    : g_strconcat (base_url, "/", NULL);
  self->base_uri = g_uri_parse (self->base_url, G_URI_FLAGS_ENCODED, NULL);
  self->bearer = g_object_ref (bearer);
  if (http != NULL)
    self->session = g_object_ref (http);
  else
    self->session = soup_session_new_with_options ("user-agent", "smart-viewer/" PACKAGE_VERSION,
                                                   "timeout", 60,
                                                   "max-conns-per-host", SV_HTTP_MAX_CONNS_PER_HOST,
                                                   NULL);

  return g_steal_pointer (&self);
}

/**
 * sv_fhir_client_get_base_url:
 * @self: a #SvFhirClient
 *
 * Returns: the FHIR base, always ending in a slash
 */
const char *
sv_fhir_client_get_base_url (SvFhirClient *self)
{
  g_return_val_if_fail (SV_IS_FHIR_CLIENT (self), NULL);

  return self->base_url;
}

/**
 * sv_fhir_client_get_bearer_source:
 * @self: a #SvFhirClient
 *
 * Returns: (transfer none): the token source
 */
SvBearerSource *
sv_fhir_client_get_bearer_source (SvFhirClient *self)
{
  g_return_val_if_fail (SV_IS_FHIR_CLIENT (self), NULL);

  return self->bearer;
}

/**
 * sv_fhir_client_set_max_retry_delay:
 * @self: a #SvFhirClient
 * @seconds: the longest wait honoured from a Retry-After header
 *
 * A server asking for a longer wait is retried after @seconds anyway.
 */
void
sv_fhir_client_set_max_retry_delay (SvFhirClient *self,
                                    guint         seconds)
{
  g_return_if_fail (SV_IS_FHIR_CLIENT (self));

  self->max_retry_delay = seconds;
}

/**
 * sv_fhir_client_set_max_body_size:
 * @self: a #SvFhirClient
 * @bytes: the largest response body read (64 MiB by default)
 *
 * A larger response fails with an error that says so; it is not read
 * further.
 */
void
sv_fhir_client_set_max_body_size (SvFhirClient *self,
                                  gsize         bytes)
{
  g_return_if_fail (SV_IS_FHIR_CLIENT (self));
  g_return_if_fail (bytes > 0);

  self->max_body_size = bytes;
}

/* A cancellable sleep: whichever of the timeout and the cancellation comes
 * first completes the task and removes the other source. */
typedef struct
{
  GSource *timeout;
  GSource *cancel;
} Sleep;

static void
sleep_free (Sleep *sleep)
{
  if (sleep->timeout != NULL)
    {
      g_source_destroy (sleep->timeout);
      g_source_unref (sleep->timeout);
    }
  if (sleep->cancel != NULL)
    {
      g_source_destroy (sleep->cancel);
      g_source_unref (sleep->cancel);
    }
  g_free (sleep);
}

static gboolean
sleep_timeout_cb (gpointer user_data)
{
  GTask *task = user_data;
  Sleep *sleep = g_task_get_task_data (task);

  /* The other source holds a reference on the task: drop it now. */
  if (sleep->cancel != NULL)
    g_source_destroy (sleep->cancel);
  g_task_return_boolean (task, TRUE);
  return G_SOURCE_REMOVE;
}

static gboolean
sleep_cancelled_cb (GCancellable *cancellable,
                    gpointer      user_data)
{
  GTask *task = user_data;
  Sleep *sleep = g_task_get_task_data (task);

  g_source_destroy (sleep->timeout);
  g_task_return_error_if_cancelled (task);
  return G_SOURCE_REMOVE;
}

static void
sleep_async (guint                ms,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  Sleep *sleep = g_new0 (Sleep, 1);

  g_task_set_source_tag (task, sleep_async);
  g_task_set_task_data (task, sleep, (GDestroyNotify) sleep_free);

  sleep->timeout = g_timeout_source_new (ms);
  g_task_attach_source (task, sleep->timeout, sleep_timeout_cb);

  if (cancellable != NULL)
    {
      sleep->cancel = g_cancellable_source_new (cancellable);
      g_task_attach_source (task, sleep->cancel, G_SOURCE_FUNC (sleep_cancelled_cb));
    }
}

static gboolean
sleep_finish (GAsyncResult  *result,
              GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* What a page is read for: a plain read, or a search of a resource type
 * (page number for messages), with the matches as json-glib objects or
 * made into what @map makes of them. */
typedef struct
{
  char            *search_type;
  guint            page_number;
  SvFhirMatchFunc  map;
  gpointer         map_data;
} PageKind;

/* A response read in a worker. For a search, its Bundle is sorted out there
 * too: the matches (json-glib objects, or what the search's function made
 * of them), each match's own text (a piece of @body), the included
 * resources and the entries that are not resources. */
typedef struct
{
  JsonNode   *root;
  SvJsonTree *tree;
  GBytes     *body;
  GArray     *spans;
  gboolean    is_bundle;
  char       *next;
  GPtrArray  *matches;
  GPtrArray  *match_texts;
  GPtrArray  *mapped;
  GPtrArray  *mapped_skipped;
  GPtrArray  *included_keys;
  GPtrArray  *included;
  GPtrArray  *invalid;
} Page;

static void
page_free (Page *page)
{
  g_clear_pointer (&page->root, json_node_unref);
  g_clear_pointer (&page->tree, sv_json_tree_unref);
  g_clear_pointer (&page->body, g_bytes_unref);
  g_clear_pointer (&page->spans, g_array_unref);
  g_free (page->next);
  g_clear_pointer (&page->matches, g_ptr_array_unref);
  g_clear_pointer (&page->match_texts, g_ptr_array_unref);
  g_clear_pointer (&page->mapped, g_ptr_array_unref);
  g_clear_pointer (&page->mapped_skipped, g_ptr_array_unref);
  g_clear_pointer (&page->included_keys, g_ptr_array_unref);
  g_clear_pointer (&page->included, g_ptr_array_unref);
  g_clear_pointer (&page->invalid, g_ptr_array_unref);
  g_free (page);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Page, page_free)

/* The text of entry @index's resource: a piece of the page, which it
 * keeps alive. */
static GBytes *
page_resource_text (Page  *page,
                    guint  index)
{
  SvJsonSpan span = { 0, 0 };

  if (page->spans != NULL && index < page->spans->len)
    span = g_array_index (page->spans, SvJsonSpan, index);
  return g_bytes_new_from_bytes (page->body, span.offset, span.length);
}

static const char *
bundle_next_link (const SvJsonNode *bundle)
{
  const SvJsonNode *links = sv_json_node_get_array_member (bundle, "link");

  for (guint i = 0; i < sv_json_node_get_length (links); i++)
    {
      const SvJsonNode *link = sv_json_node_get_object_element (links, i);

      if (g_strcmp0 (sv_json_node_get_string_member (link, "relation"), "next") == 0)
        return sv_json_node_get_string_member (link, "url");
    }

  return NULL;
}

/* A search's Bundle, sorted into matches, included resources and entries
 * that are not resources. */
static void
page_take_bundle (Page     *page,
                  PageKind *kind)
{
  const SvJsonNode *bundle = sv_json_tree_get_root (page->tree);
  const SvJsonNode *entries = sv_json_node_get_array_member (bundle, "entry");
  guint n = sv_json_node_get_length (entries);
  const SvJsonNode *entry = n > 0 ? sv_json_node_get_element (entries, 0) : NULL;

  page->is_bundle = g_strcmp0 (sv_json_node_get_string_member (bundle, "resourceType"), "Bundle") == 0;
  if (!page->is_bundle)
    return;

  page->next = g_strdup (bundle_next_link (bundle));
  page->matches = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  page->match_texts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  page->mapped = g_ptr_array_new_with_free_func (g_object_unref);
  page->mapped_skipped = g_ptr_array_new_with_free_func (g_free);
  page->included_keys = g_ptr_array_new_with_free_func (g_free);
  page->included = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  page->invalid = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < n; i++, entry = i < n ? sv_json_node_next (entry) : NULL)
    {
      const SvJsonNode *resource = sv_json_node_get_object_member (entry, "resource");
      const char *mode = sv_json_node_get_string_member (sv_json_node_get_object_member (entry, "search"), "mode");
      const char *type = sv_json_node_get_string_member (resource, "resourceType");
      const char *id = sv_json_node_get_string_member (resource, "id");

      if (resource == NULL)
        {
          g_ptr_array_add (page->invalid,
                           g_strdup_printf (_("%s entry %u of page %u (not a resource)"),
                                            kind->search_type, i + 1, kind->page_number));
          continue;
        }

      if (g_strcmp0 (mode, "include") == 0 || g_strcmp0 (mode, "outcome") == 0 ||
          (type != NULL && g_strcmp0 (type, kind->search_type) != 0))
        {
          if (type != NULL && id != NULL)
            {
              JsonNode *node = sv_json_node_to_json_node (resource);

              g_ptr_array_add (page->included_keys, g_strconcat (type, "/", id, NULL));
              g_ptr_array_add (page->included, json_object_ref (json_node_get_object (node)));
              json_node_unref (node);
            }
          continue;
        }

      /* Whether a match is usable is for the caller to judge; it reports
       * the ones it cannot show with their type and id. */
      if (kind->map != NULL)
        {
          g_autoptr(GBytes) text = page_resource_text (page, i);
          char *skipped = NULL;
          GObject *item = kind->map (resource, text, kind->map_data, &skipped);

          if (item != NULL)
            g_ptr_array_add (page->mapped, item);
          else
            g_ptr_array_add (page->mapped_skipped, skipped);
        }
      else
        {
          JsonNode *node = sv_json_node_to_json_node (resource);

          g_ptr_array_add (page->matches, json_object_ref (json_node_get_object (node)));
          g_ptr_array_add (page->match_texts, page_resource_text (page, i));
          json_node_unref (node);
        }
    }
}

typedef struct
{
  GBytes   *body;
  PageKind  kind;
  gboolean  json;
} ParseJob;

static void
parse_job_free (ParseJob *job)
{
  g_bytes_unref (job->body);
  g_free (job->kind.search_type);
  g_free (job);
}

/* Parsing in a worker: the task's data is a ParseJob, the result a Page. */
static void
parse_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  ParseJob *job = task_data;
  g_autoptr(Page) page = g_new0 (Page, 1);
  g_autoptr(GError) error = NULL;
  gsize size;
  const char *data = g_bytes_get_data (job->body, &size);

  if (size == 0)
    {
      g_task_return_new_error (task, SV_ERROR, SV_ERROR_PROTOCOL, "%s",
                               _("The FHIR server sent an empty answer."));
      return;
    }

  page->body = g_bytes_ref (job->body);
  page->spans = g_array_new (FALSE, FALSE, sizeof (SvJsonSpan));
  page->tree = sv_json_tree_parse (data, size, page->spans, &error);
  if (page->tree == NULL)
    {
      g_task_return_new_error (task, SV_ERROR, SV_ERROR_PROTOCOL,
                               _("The FHIR server sent data that could not be read (%s). Try again; "
                                 "if it happens again, tell the server’s administrator."),
                               error->message);
      return;
    }

  if (job->json)
    page->root = sv_json_node_to_json_node (sv_json_tree_get_root (page->tree));
  else
    page_take_bundle (page, &job->kind);

  /* Nothing points into the tree any more. */
  g_clear_pointer (&page->tree, sv_json_tree_unref);

  g_task_return_pointer (task, g_steal_pointer (&page), (GDestroyNotify) page_free);
}

/* A successful search page is sorted out as a Bundle; anything else is
 * made a json-glib tree. */
static void
parse_async (GBytes              *body,
             const PageKind      *kind,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  ParseJob *job = g_new0 (ParseJob, 1);

  job->body = g_bytes_ref (body);
  job->json = kind == NULL;
  if (kind != NULL)
    {
      job->kind = *kind;
      job->kind.search_type = g_strdup (kind->search_type);
    }
  g_task_set_source_tag (task, parse_async);
  g_task_set_task_data (task, job, (GDestroyNotify) parse_job_free);
  g_task_run_in_thread (task, parse_thread);
}

static Page *
parse_finish (GAsyncResult  *result,
              GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The text of an OperationOutcome: each issue's diagnostics, else its details. */
static char *
outcome_text (JsonNode *root)
{
  JsonObject *outcome;
  JsonArray *issues;
  g_autoptr(GString) text = g_string_new (NULL);

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;

  outcome = json_node_get_object (root);
  if (g_strcmp0 (sv_fhir_member_string (outcome, "resourceType"), "OperationOutcome") != 0)
    return NULL;

  issues = sv_fhir_member_array (outcome, "issue");
  for (guint i = 0; issues != NULL && i < json_array_get_length (issues); i++)
    {
      JsonNode *node = json_array_get_element (issues, i);
      JsonObject *issue = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *diagnostics = sv_fhir_member_string (issue, "diagnostics");
      const char *details = sv_fhir_member_string (sv_fhir_member_object (issue, "details"), "text");
      const char *line = diagnostics != NULL && *diagnostics != '\0' ? diagnostics : details;

      if (line == NULL || *line == '\0')
        continue;
      if (text->len > 0)
        g_string_append (text, "; ");
      g_string_append (text, line);
    }

  return text->len > 0 ? g_string_free (g_steal_pointer (&text), FALSE) : NULL;
}

/* Seconds to wait before retrying after 429/503, from Retry-After (seconds
 * or an HTTP date) or, without it, a doubling back-off. */
static guint
retry_delay_ms (SoupMessage *msg,
                guint        attempt,
                guint        max_seconds)
{
  const char *header = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                     "Retry-After");
  gint64 ms = (gint64) 1000 << MIN (attempt, 5);

  if (header != NULL)
    {
      g_autofree char *value = g_strstrip (g_strdup (header));
      guint64 seconds;

      if (g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT32, &seconds, NULL))
        ms = (gint64) seconds * 1000;
      else
        {
          g_autoptr(GDateTime) when = soup_date_time_new_from_http_string (value);
          g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

          if (when != NULL)
            ms = MAX (0, g_date_time_difference (when, now) / 1000);
        }
    }

  return (guint) MIN (ms, (gint64) max_seconds * 1000);
}

/* One GET of JSON from the FHIR origin, with the token, 401 refresh,
 * 429/503 retries and same-origin redirects. */
typedef struct
{
  char        *url;
  SoupMessage *msg;
  gboolean     force_refresh;
  gboolean     refreshed;
  guint        retries;
  guint        redirects;
  /* Called with a successful answer's body before it is parsed. */
  void       (*on_body) (gpointer  data,
                         GBytes   *body);
  gpointer     on_body_data;
  /* For a search page. */
  PageKind    *kind;
  /* The body being read, and how much of body->data is filled. */
  GInputStream *stream;
  GByteArray   *body;
  gsize         body_len;
  gsize         expected;
} Fetch;

/* Drops a body stream without reading the rest of it: closing it with a
 * cancelled cancellable makes libsoup give up the connection instead of
 * draining what a server may keep sending. */
static void
fetch_drop_stream (Fetch *fetch)
{
  g_autoptr(GCancellable) cancelled = NULL;

  if (fetch->stream == NULL)
    return;

  if (!g_input_stream_is_closed (fetch->stream))
    {
      cancelled = g_cancellable_new ();
      g_cancellable_cancel (cancelled);
      g_input_stream_close_async (fetch->stream, G_PRIORITY_DEFAULT, cancelled, NULL, NULL);
    }
  g_clear_object (&fetch->stream);
  g_clear_pointer (&fetch->body, g_byte_array_unref);
  fetch->body_len = 0;
  fetch->expected = 0;
}

static void
fetch_free (Fetch *fetch)
{
  fetch_drop_stream (fetch);
  g_free (fetch->url);
  g_clear_object (&fetch->msg);
  if (fetch->kind != NULL)
    g_free (fetch->kind->search_type);
  g_free (fetch->kind);
  g_free (fetch);
}

static void fetch_begin (GTask *task);

static void
fetch_parsed_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Fetch *fetch = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(Page) page = parse_finish (result, &error);
  JsonNode *root = page != NULL ? page->root : NULL;
  guint status = soup_message_get_status (fetch->msg);
  g_autofree char *outcome = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      if (error != NULL)
        g_task_return_error (task, g_steal_pointer (&error));
      else if (root != NULL ? !JSON_NODE_HOLDS_OBJECT (root) : !page->is_bundle)
        g_task_return_new_error (task, SV_ERROR, SV_ERROR_PROTOCOL, "%s",
                                 root != NULL || fetch->kind == NULL
                                 ? _("The FHIR server sent something that is not a FHIR resource.")
                                 : _("The FHIR server answered a search with something other than a Bundle."));
      else
        g_task_return_pointer (task, g_steal_pointer (&page), (GDestroyNotify) page_free);
      return;
    }

  outcome = outcome_text (root);
  if (outcome == NULL)
    outcome = g_strdup (soup_message_get_reason_phrase (fetch->msg));
  g_debug ("HTTP %u from the FHIR server: %s", status, outcome);

  if (status == SOUP_STATUS_FORBIDDEN)
    g_task_return_new_error (task, SV_ERROR, SV_ERROR_DENIED,
                             _("The server does not permit reading this: %s"), outcome);
  else if (status == SOUP_STATUS_UNAUTHORIZED)
    g_task_return_new_error (task, SV_ERROR, SV_ERROR_NOT_SIGNED_IN,
                             _("The server no longer accepts the sign-in (%s). Sign in again."), outcome);
  else if (status == HTTP_TOO_MANY_REQUESTS || status == SOUP_STATUS_SERVICE_UNAVAILABLE)
    g_task_return_new_error (task, SV_ERROR, SV_ERROR_NETWORK,
                             _("The FHIR server is busy (%u: %s). Try again later."), status, outcome);
  else if (status == SOUP_STATUS_BAD_REQUEST)
    /* The server did not take the request as asked: a caller may ask
     * differently (without an optional parameter, say). */
    g_task_return_new_error (task, SV_ERROR, SV_ERROR_BAD_REQUEST,
                             _("The FHIR server did not accept the request (%u): %s"), status, outcome);
  else if (status == SOUP_STATUS_INTERNAL_SERVER_ERROR &&
           outcome != NULL && strstr (outcome, "Timeout during custom Idp execution") != NULL)
    /* HealthLake's answer when the token validator Lambda takes more than
     * 1 s (HEALTHLAKE.md): not the data's fault, and worth saying so. */
    g_task_return_new_error (task, SV_ERROR, SV_ERROR_NETWORK,
                             _("The FHIR server’s token validator did not answer in time (HealthLake waits 1 second for it), so the request failed (%u: %s). Try again; if it keeps happening, the validator needs attention."),
                             status, outcome);
  else
    g_task_return_new_error (task, SV_ERROR, SV_ERROR_NETWORK,
                             _("The FHIR server reported an error (%u): %s"), status, outcome);
}

static void
fetch_slept_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!sleep_finish (result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  fetch_begin (g_steal_pointer (&task));
}

static void
fetch_return_io_error (GTask  *task,
                       GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, error);
  else
    {
      g_task_return_new_error (task, SV_ERROR, SV_ERROR_NETWORK,
                               _("The FHIR server could not be reached: %s"), error->message);
      g_error_free (error);
    }
}

/* @announced: the Content-Length, or -1 when the limit was passed while
 * reading. */
static void
fetch_return_too_large (GTask   *task,
                        goffset  announced)
{
  SvFhirClient *self = g_task_get_source_object (task);
  g_autofree char *limit = g_format_size_full (self->max_body_size, G_FORMAT_SIZE_IEC_UNITS);
  g_autofree char *size = announced >= 0 ? g_format_size_full (announced, G_FORMAT_SIZE_IEC_UNITS) : NULL;

  fetch_drop_stream (g_task_get_task_data (task));
  if (size != NULL)
    g_task_return_new_error (task, SV_ERROR, SV_ERROR_PROTOCOL,
                             /* Translators: the values are the limit (e.g. "64.0 MiB") and the size announced. */
                             _("The FHIR server’s answer is larger than %s (%s), so it was not read. If this server is yours, have it send smaller pages; otherwise tell its administrator."),
                             limit, size);
  else
    g_task_return_new_error (task, SV_ERROR, SV_ERROR_PROTOCOL,
                             /* Translators: the value is the limit (e.g. "64.0 MiB"). */
                             _("The FHIR server’s answer is larger than %s, so it was not read. If this server is yours, have it send smaller pages; otherwise tell its administrator."),
                             limit);
}

static void fetch_got_body (GTask  *task,
                            GBytes *body);
static void fetch_read_more (GTask *task);

static void
fetch_read_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  GTask *task = user_data;
  SvFhirClient *self = g_task_get_source_object (task);
  Fetch *fetch = g_task_get_task_data (task);
  GError *error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);
  g_autoptr(GBytes) body = NULL;

  if (n < 0)
    {
      fetch_drop_stream (fetch);
      fetch_return_io_error (task, error);
      g_object_unref (task);
      return;
    }

  fetch->body_len += n;
  if (fetch->body_len > self->max_body_size)
    {
      fetch_return_too_large (task, -1);
      g_object_unref (task);
      return;
    }

  if (n > 0)
    {
      fetch_read_more (task);
      return;
    }

  /* The end: the stream closes at once, nothing is left to drain. The text
   * lives as long as the rows made from it, so it is copied out at its
   * size: the buffer it was read into is larger (GArray rounds up to a
   * power of two, and an unannounced length reads 256 KiB at a time), which
   * for a large record kept ~14 MB more resident. */
  body = g_bytes_new (fetch->body->data, fetch->body_len);
  g_clear_pointer (&fetch->body, g_byte_array_unref);
  g_input_stream_close_async (fetch->stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  g_clear_object (&fetch->stream);
  fetch->body_len = 0;
  fetch->expected = 0;
  fetch_got_body (task, body);
}

static void
fetch_read_more (GTask *task)
{
  Fetch *fetch = g_task_get_task_data (task);
  /* With a known length, the rest and one byte more (to see the end, or a
   * server sending more than it said) fit the buffer as it was sized. */
  gsize want = fetch->expected > 0 && fetch->expected >= fetch->body_len ? fetch->expected - fetch->body_len + 1
                                                                         : READ_CHUNK;

  if (fetch->body->len < fetch->body_len + want)
    g_byte_array_set_size (fetch->body, fetch->body_len + want);
  g_input_stream_read_async (fetch->stream, fetch->body->data + fetch->body_len, want, G_PRIORITY_DEFAULT,
                             g_task_get_cancellable (task), fetch_read_cb, task);
}

/* The headers are in: a body announced larger than the limit is refused
 * before it is read; otherwise it is read in chunks, counted as it comes
 * (a chunked or compressed body has no length up front). */
static void
fetch_sent_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  GError *error = NULL;
  GInputStream *stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  GTask *task = user_data;
  Fetch *fetch = g_task_get_task_data (task);
  SvFhirClient *self = g_task_get_source_object (task);
  SoupMessageHeaders *headers;
  goffset length = -1;

  if (stream == NULL)
    {
      fetch_return_io_error (task, error);
      g_object_unref (task);
      return;
    }

  fetch_drop_stream (fetch);
  fetch->stream = stream;
  headers = soup_message_get_response_headers (fetch->msg);
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
    length = soup_message_headers_get_content_length (headers);
  if (length > 0 && (guint64) length > self->max_body_size)
    {
      fetch_return_too_large (task, length);
      g_object_unref (task);
      return;
    }

  /* Sized up front when the length is known, so that the buffer is not
   * grown (and copied) while reading. */
  fetch->expected = length > 0 ? (gsize) length : 0;
  fetch->body = g_byte_array_sized_new (fetch->expected > 0 ? fetch->expected + 1 : READ_CHUNK);
  fetch->body_len = 0;
  fetch_read_more (task);
}

static void
fetch_got_body (GTask  *task_in,
                GBytes *body)
{
  g_autoptr(GTask) task = task_in;
  SvFhirClient *self = g_task_get_source_object (task);
  Fetch *fetch = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  guint status;

  status = soup_message_get_status (fetch->msg);

  if (status == SOUP_STATUS_UNAUTHORIZED && !fetch->refreshed)
    {
      g_debug ("401 from the FHIR server: refreshing the token once");
      fetch->refreshed = TRUE;
      fetch->force_refresh = TRUE;
      fetch_begin (g_steal_pointer (&task));
      return;
    }

  if ((status == HTTP_TOO_MANY_REQUESTS || status == SOUP_STATUS_SERVICE_UNAVAILABLE) &&
      fetch->retries < MAX_RETRIES)
    {
      guint ms = retry_delay_ms (fetch->msg, fetch->retries, self->max_retry_delay);

      g_debug ("HTTP %u from the FHIR server: retrying in %u ms", status, ms);
      fetch->retries++;
      sleep_async (ms, cancellable, fetch_slept_cb, g_steal_pointer (&task));
      return;
    }

  if (SOUP_STATUS_IS_REDIRECTION (status))
    {
      const char *location = soup_message_headers_get_one (soup_message_get_response_headers (fetch->msg),
                                                           "Location");
      g_autoptr(GUri) current = g_uri_parse (fetch->url, G_URI_FLAGS_ENCODED, NULL);
      g_autoptr(GUri) next = NULL;

      if (location != NULL && current != NULL)
        next = g_uri_parse_relative (current, location, G_URI_FLAGS_ENCODED, NULL);

      if (next == NULL || !same_origin (next, self->base_uri) || fetch->redirects >= MAX_REDIRECTS)
        {
          g_task_return_new_error (task, SV_ERROR, SV_ERROR_PROTOCOL, "%s",
                                   _("The FHIR server redirected the request to another server; it was not followed."));
          return;
        }

      fetch->redirects++;
      g_free (fetch->url);
      fetch->url = g_uri_to_string (next);
      fetch_begin (g_steal_pointer (&task));
      return;
    }

  if (fetch->on_body != NULL && SOUP_STATUS_IS_SUCCESSFUL (status))
    fetch->on_body (fetch->on_body_data, body);

  parse_async (body, SOUP_STATUS_IS_SUCCESSFUL (status) ? fetch->kind : NULL,
               cancellable, fetch_parsed_cb, g_steal_pointer (&task));
}

static void
fetch_token_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SvFhirClient *self = g_task_get_source_object (task);
  Fetch *fetch = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *token = sv_bearer_source_get_token_finish (SV_BEARER_SOURCE (object), result, &error);
  g_autofree char *authorization = NULL;
  SoupMessageHeaders *headers;
  GCancellable *cancellable;

  if (token == NULL)
    {
      if (error == NULL)
        g_set_error (&error, SV_ERROR, SV_ERROR_NOT_SIGNED_IN, "%s", _("Not signed in. Sign in again."));
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  fetch->force_refresh = FALSE;

  /* Checked again here, right before the token is attached, so that no
   * code path can send it elsewhere. */
  if (!sv_fhir_client_is_same_origin (self, fetch->url))
    {
      g_task_return_new_error (task, SV_ERROR, SV_ERROR_PROTOCOL, "%s",
                               _("A request to another server than the FHIR server was refused."));
      return;
    }

  g_clear_object (&fetch->msg);
  fetch->msg = soup_message_new (SOUP_METHOD_GET, fetch->url);
  if (fetch->msg == NULL)
    {
      g_task_return_new_error (task, SV_ERROR, SV_ERROR_PROTOCOL, "%s",
                               _("The FHIR server gave an address that is not valid."));
      return;
    }

  soup_message_add_flags (fetch->msg, SOUP_MESSAGE_NO_REDIRECT);
  headers = soup_message_get_request_headers (fetch->msg);
  soup_message_headers_replace (headers, "Accept", "application/fhir+json");
  authorization = g_strconcat ("Bearer ", token, NULL);
  soup_message_headers_replace (headers, "Authorization", authorization);

  /* The task is stolen below: its cancellable is read first. */
  cancellable = g_task_get_cancellable (task);
  soup_session_send_async (self->session, fetch->msg, G_PRIORITY_DEFAULT,
                           cancellable, fetch_sent_cb, g_steal_pointer (&task));
}

static void
fetch_begin (GTask *task)
{
  SvFhirClient *self = g_task_get_source_object (task);
  Fetch *fetch = g_task_get_task_data (task);

  sv_bearer_source_get_token_async (self->bearer, fetch->force_refresh,
                                    g_task_get_cancellable (task), fetch_token_cb, task);
}

static void
fetch_json_full_async (SvFhirClient        *self,
                       const char          *url,
                       const PageKind      *kind,
                       void               (*on_body) (gpointer  data,
                                                      GBytes   *body),
                       gpointer             on_body_data,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Fetch *fetch = g_new0 (Fetch, 1);

  g_task_set_source_tag (task, fetch_json_full_async);
  fetch->url = g_strdup (url);
  fetch->on_body = on_body;
  fetch->on_body_data = on_body_data;
  if (kind != NULL)
    {
      fetch->kind = g_memdup2 (kind, sizeof *kind);
      fetch->kind->search_type = g_strdup (kind->search_type);
    }
  g_task_set_task_data (task, fetch, (GDestroyNotify) fetch_free);
  fetch_begin (task);
}

static void
fetch_json_async (SvFhirClient        *self,
                  const char          *url,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data)
{
  fetch_json_full_async (self, url, NULL, NULL, NULL, cancellable, callback, user_data);
}

static Page *
fetch_json_finish (GAsyncResult  *result,
                   GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
read_fetched_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  const char *resource_type = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(Page) page = fetch_json_finish (result, &error);
  JsonObject *resource;

  if (page == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  resource = json_node_get_object (page->root);
  if (g_strcmp0 (sv_fhir_member_string (resource, "resourceType"), resource_type) != 0)
    {
      g_task_return_new_error (task, SV_ERROR, SV_ERROR_PROTOCOL,
                               _("The FHIR server sent something other than the %s asked for."),
                               resource_type);
      return;
    }

  g_task_return_pointer (task, json_object_ref (resource), (GDestroyNotify) json_object_unref);
}

/**
 * sv_fhir_client_read_async:
 * @self: a #SvFhirClient
 * @resource_type: e.g. "Patient"
 * @id: the logical id
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the resource
 * @user_data: data for @callback
 *
 * Reads `[base]/Type/id`.
 */
void
sv_fhir_client_read_async (SvFhirClient        *self,
                           const char          *resource_type,
                           const char          *id,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *url = NULL;

  g_return_if_fail (SV_IS_FHIR_CLIENT (self));
  g_return_if_fail (resource_type != NULL && id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sv_fhir_client_read_async);
  g_task_set_task_data (task, g_strdup (resource_type), g_free);

  escaped = g_uri_escape_string (id, NULL, FALSE);
  url = g_strconcat (self->base_url, resource_type, "/", escaped, NULL);
  fetch_json_async (self, url, cancellable, read_fetched_cb, g_steal_pointer (&task));
}

/**
 * sv_fhir_client_read_finish:
 * @self: a #SvFhirClient
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the resource
 */
JsonObject *
sv_fhir_client_read_finish (SvFhirClient  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* A search reads its pages in order, but asks for page n + 1 as soon as
 * page n has arrived, while page n is still parsed in a worker: the next
 * link is looked up in the text first (sv_json_reader_next_link()), and
 * the parsed Bundle must then agree. The pages in flight wait in a queue,
 * so that they are taken in order whatever order their parsing ends in. */
typedef struct
{
  GTask    *task;
  char     *url;
  char     *prefetched;
  Page     *page;
  GError   *error;
  gboolean  done;
  gboolean  orphan;
} PageFetch;

typedef struct
{
  char               *resource_type;
  SvFhirSearchResult *result;
  GHashTable         *visited;
  GQueue              pages;
  guint               n_started;
  SvFhirMatchFunc     map;
  gpointer            map_data;
  gboolean            finished;
  GCancellable       *cancellable;
  GCancellable       *task_cancellable;
  gulong              cancel_handler;
} Search;

static void
page_fetch_free (PageFetch *fetch)
{
  g_clear_object (&fetch->task);
  g_free (fetch->url);
  g_free (fetch->prefetched);
  g_clear_pointer (&fetch->page, page_free);
  g_clear_error (&fetch->error);
  g_free (fetch);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PageFetch, page_fetch_free)

/* Pages in flight that will not be taken: dropped when they come back. */
static void
search_drop_pages (Search *search)
{
  PageFetch *fetch;

  while ((fetch = g_queue_pop_head (&search->pages)) != NULL)
    {
      if (fetch->done)
        page_fetch_free (fetch);
      else
        fetch->orphan = TRUE;
    }
}

static void
search_free (Search *search)
{
  /* Every page fetch holds the task: none is left when this runs. */
  g_assert (g_queue_is_empty (&search->pages));

  if (search->cancel_handler != 0)
    g_cancellable_disconnect (search->task_cancellable, search->cancel_handler);
  g_clear_object (&search->task_cancellable);
  g_clear_object (&search->cancellable);
  g_free (search->resource_type);
  sv_fhir_search_result_free (search->result);
  g_hash_table_unref (search->visited);
  g_free (search);
}

static void search_start_page (GTask      *task,
                               const char *url);

/* Moves what a page found into the search's result. */
static void
search_take_page (Search *search,
                  Page   *page)
{
  SvFhirSearchResult *result = search->result;

  g_ptr_array_extend_and_steal (result->invalid, g_steal_pointer (&page->invalid));
  for (guint i = 0; i < page->included->len; i++)
    g_hash_table_replace (result->included, g_strdup (g_ptr_array_index (page->included_keys, i)),
                          json_object_ref (g_ptr_array_index (page->included, i)));
  g_ptr_array_extend_and_steal (result->matches, g_steal_pointer (&page->matches));
  g_ptr_array_extend_and_steal (result->match_texts, g_steal_pointer (&page->match_texts));
  g_ptr_array_extend_and_steal (result->mapped, g_steal_pointer (&page->mapped));
  g_ptr_array_extend_and_steal (result->mapped_skipped, g_steal_pointer (&page->mapped_skipped));
}

/* Ends the search once; pages still in flight are cancelled and dropped
 * when they come back. */
static void
search_finish (GTask  *task,
               GError *error)
{
  Search *search = g_task_get_task_data (task);

  search->finished = TRUE;
  search_drop_pages (search);
  g_cancellable_cancel (search->cancellable);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_steal_pointer (&search->result),
                           (GDestroyNotify) sv_fhir_search_result_free);
}

/* Whether a next link may be followed: on the FHIR origin, not seen
 * before, and not beyond the page limit. Otherwise the reason, translated. */
static gboolean
next_allowed (SvFhirClient *self,
              Search       *search,
              const char   *next,
              guint         n_pages,
              char        **reason)
{
  g_autoptr(GUri) next_uri = g_uri_parse_relative (self->base_uri, next, G_URI_FLAGS_ENCODED, NULL);

  if (next_uri == NULL || !same_origin (next_uri, self->base_uri))
    {
      const char *host = next_uri != NULL ? g_uri_get_host (next_uri) : NULL;

      if (reason != NULL)
        *reason = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                "Paging stopped after %u page: the next page is on another server (%s) and was not requested.",
                                                "Paging stopped after %u pages: the next page is on another server (%s) and was not requested.",
                                                n_pages),
                                   n_pages, host != NULL ? host : _("unknown"));
      g_debug ("%s search stopped: next link on another origin", search->resource_type);
      return FALSE;
    }

  if (n_pages >= MAX_PAGES || g_hash_table_contains (search->visited, next))
    {
      if (reason != NULL)
        *reason = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                "Paging stopped after %u page: the server kept sending more pages.",
                                                "Paging stopped after %u pages: the server kept sending more pages.",
                                                n_pages),
                                   n_pages);
      return FALSE;
    }

  return TRUE;
}

/* Why a search stopped when the page after @n_pages could not be read,
 * translated, in the words of the foreign-link reason. */
static char *
page_failed_reason (guint         n_pages,
                    const GError *error)
{
  g_autofree char *cause = g_strdup (error->message);
  gsize len = strlen (cause);

  /* The cause goes in parentheses: its own closing full stop is dropped. */
  if (len > 0 && cause[len - 1] == '.')
    cause[len - 1] = '\0';

  /* Translators: a section stopped while paging; the first %u is the number
   * of pages read, the second the page that failed, %s why it failed. */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "Paging stopped after %u page: page %u could not be read (%s). Refresh (F5) to try again.",
                                       "Paging stopped after %u pages: page %u could not be read (%s). Refresh (F5) to try again.",
                                       n_pages),
                          n_pages, n_pages + 1, cause);
}

/* Takes the pages at the head of the queue that are read, in order. */
static void
search_drain (GTask *task)
{
  SvFhirClient *self = g_task_get_source_object (task);
  Search *search = g_task_get_task_data (task);
  PageFetch *head;

  while (!search->finished && (head = g_queue_peek_head (&search->pages)) != NULL && head->done)
    {
      g_autoptr(PageFetch) fetch = g_queue_pop_head (&search->pages);
      const char *next;
      g_autofree char *reason = NULL;

      if (fetch->page == NULL)
        {
          /* Nothing read yet (or cancelled): the search failed. A later
           * page that fails keeps what the earlier ones gave, as partial. */
          if (search->result->n_pages == 0 ||
              g_error_matches (fetch->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              search_finish (task, g_steal_pointer (&fetch->error));
              return;
            }
          g_debug ("%s search stopped: page %u failed: %s", search->resource_type,
                   search->result->n_pages + 1, fetch->error->message);
          search->result->partial = TRUE;
          search->result->partial_reason = page_failed_reason (search->result->n_pages, fetch->error);
          search_finish (task, NULL);
          return;
        }

      search->result->n_pages++;
      search_take_page (search, fetch->page);

      next = fetch->page->next;
      if (next == NULL || *next == '\0')
        {
          search_finish (task, NULL);
          return;
        }

      /* The page asked for early is the one the Bundle names: go on. */
      if (fetch->prefetched != NULL && strcmp (fetch->prefetched, next) == 0)
        continue;

      /* Not asked for early (or, never expected, for another link). */
      search_drop_pages (search);

      if (!next_allowed (self, search, next, search->result->n_pages, &reason))
        {
          search->result->partial = TRUE;
          search->result->partial_reason = g_steal_pointer (&reason);
          search_finish (task, NULL);
          return;
        }

      /* The link is followed exactly as given: it is an opaque page token. */
      search_start_page (task, next);
    }
}

static void
search_page_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  PageFetch *fetch = user_data;
  g_autoptr(GTask) task = g_object_ref (fetch->task);

  fetch->page = fetch_json_finish (result, &fetch->error);
  fetch->done = TRUE;

  if (fetch->orphan)
    {
      page_fetch_free (fetch);
      return;
    }

  search_drain (task);
}

/* A page's text has arrived: when it names a next page that may be read,
 * that is asked for now, while this one is parsed. */
static void
search_page_body (gpointer  data,
                  GBytes   *body)
{
  PageFetch *fetch = data;
  GTask *task = fetch->task;
  SvFhirClient *self = g_task_get_source_object (task);
  Search *search = g_task_get_task_data (task);
  g_autofree char *next = NULL;
  gboolean known;
  gsize size;
  const char *text = g_bytes_get_data (body, &size);

  if (fetch->orphan || search->finished || g_queue_peek_tail (&search->pages) != fetch || text == NULL)
    return;

  next = sv_json_reader_next_link (text, size, &known);
  if (!known || next == NULL || *next == '\0' || !next_allowed (self, search, next, search->n_started, NULL))
    return;

  fetch->prefetched = g_strdup (next);
  search_start_page (task, next);
}

static void
search_start_page (GTask      *task,
                   const char *url)
{
  SvFhirClient *self = g_task_get_source_object (task);
  Search *search = g_task_get_task_data (task);
  g_autoptr(GUri) uri = NULL;
  g_autofree char *absolute = NULL;
  PageFetch *fetch = g_new0 (PageFetch, 1);
  PageKind kind;

  /* An absolute link is used byte for byte; a relative one is taken
   * against the base. */
  if (g_uri_is_valid (url, G_URI_FLAGS_ENCODED, NULL))
    absolute = g_strdup (url);
  else if ((uri = g_uri_parse_relative (self->base_uri, url, G_URI_FLAGS_ENCODED, NULL)) != NULL)
    absolute = g_uri_to_string (uri);
  else
    absolute = g_strdup (url);

  g_hash_table_add (search->visited, g_strdup (url));
  search->n_started++;

  fetch->task = g_object_ref (task);
  fetch->url = g_strdup (url);
  g_queue_push_tail (&search->pages, fetch);
  kind.search_type = search->resource_type;
  kind.page_number = search->n_started;
  kind.map = search->map;
  kind.map_data = search->map_data;
  fetch_json_full_async (self, absolute, &kind, search_page_body, fetch, search->cancellable,
                         search_page_cb, fetch);
}

static void
search_cancelled_cb (GCancellable *task_cancellable,
                     GCancellable *cancellable)
{
  g_cancellable_cancel (cancellable);
}

/**
 * sv_fhir_client_search_async:
 * @self: a #SvFhirClient
 * @resource_type: e.g. "Condition"
 * @params: (array zero-terminated=1): names and values, alternating, not escaped
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when all pages are read
 * @user_data: data for @callback
 *
 * Searches `[base]/Type?params` and follows the Bundles' next links while
 * they stay on the FHIR base's origin.
 */
void
sv_fhir_client_search_async (SvFhirClient        *self,
                             const char          *resource_type,
                             const char * const  *params,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  sv_fhir_client_search_map_async (self, resource_type, params, NULL, NULL, cancellable, callback, user_data);
}

/**
 * sv_fhir_client_search_map_async:
 * @self: a #SvFhirClient
 * @resource_type: e.g. "Condition"
 * @params: (array zero-terminated=1): names and values, alternating, not escaped
 * @map: (nullable) (scope call): what each match becomes, called in a worker
 *   thread as its page is read
 * @map_data: data for @map, which must be usable from any thread
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when all pages are read
 * @user_data: data for @callback
 *
 * Like sv_fhir_client_search_async(); with @map, the matches come as
 * @mapped (what @map made) and @mapped_skipped (why it made nothing), and
 * never as json-glib objects: for thousands of resources that is many times
 * quicker and smaller, and the work is done while later pages are fetched.
 */
void
sv_fhir_client_search_map_async (SvFhirClient        *self,
                                 const char          *resource_type,
                                 const char * const  *params,
                                 SvFhirMatchFunc      map,
                                 gpointer             map_data,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GTask *task;
  Search *search;
  g_autoptr(GString) url = NULL;

  g_return_if_fail (SV_IS_FHIR_CLIENT (self));
  g_return_if_fail (resource_type != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sv_fhir_client_search_async);
  search = g_new0 (Search, 1);
  search->resource_type = g_strdup (resource_type);
  search->map = map;
  search->map_data = map_data;
  search->result = search_result_new ();
  search->visited = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_queue_init (&search->pages);
  /* Cancelled by the caller, or by the search itself for the pages asked
   * for early when it ends before them. */
  search->cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      search->task_cancellable = g_object_ref (cancellable);
      search->cancel_handler = g_cancellable_connect (cancellable, G_CALLBACK (search_cancelled_cb),
                                                      g_object_ref (search->cancellable), g_object_unref);
    }
  g_task_set_task_data (task, search, (GDestroyNotify) search_free);

  url = g_string_new (self->base_url);
  g_string_append (url, resource_type);
  for (guint i = 0; params != NULL && params[i] != NULL && params[i + 1] != NULL; i += 2)
    {
      g_string_append_c (url, i == 0 ? '?' : '&');
      g_string_append_uri_escaped (url, params[i], NULL, FALSE);
      g_string_append_c (url, '=');
      g_string_append_uri_escaped (url, params[i + 1], "/,:|", FALSE);
    }

  search_start_page (task, url->str);
  g_object_unref (task);
}

/**
 * sv_fhir_client_search_finish:
 * @self: a #SvFhirClient
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the matches of all pages
 */
SvFhirSearchResult *
sv_fhir_client_search_finish (SvFhirClient  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct
{
  char       *resource_type;
  GPtrArray  *missing;
  guint       next;
  GHashTable *found;
} Resolve;

static void
resolve_free (Resolve *resolve)
{
  g_free (resolve->resource_type);
  g_ptr_array_unref (resolve->missing);
  g_hash_table_unref (resolve->found);
  g_free (resolve);
}

static void resolve_next_batch (GTask *task);

static void
resolve_batch_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SvFhirClient *self = SV_FHIR_CLIENT (object);
  Resolve *resolve = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(SvFhirSearchResult) found = sv_fhir_client_search_finish (self, result, &error);

  if (found == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  /* A batch is one page as asked: one that stopped early is a failure,
   * not a quiet gap in the names. */
  if (found->partial)
    {
      g_task_return_new_error (task, SV_ERROR, SV_ERROR_NETWORK, "%s", found->partial_reason);
      return;
    }

  for (guint i = 0; i < found->matches->len; i++)
    {
      JsonObject *resource = g_ptr_array_index (found->matches, i);
      const char *id = sv_fhir_member_string (resource, "id");

      if (id == NULL)
        continue;

      g_hash_table_replace (self->cache, g_strconcat (resolve->resource_type, "/", id, NULL),
                            json_object_ref (resource));
      g_hash_table_replace (resolve->found, g_strdup (id), json_object_ref (resource));
    }

  resolve_next_batch (g_steal_pointer (&task));
}

static void
resolve_next_batch (GTask *task)
{
  SvFhirClient *self = g_task_get_source_object (task);
  Resolve *resolve = g_task_get_task_data (task);
  g_autoptr(GString) ids = g_string_new (NULL);
  g_autofree char *count = NULL;
  guint end = MIN (resolve->next + RESOLVE_BATCH, resolve->missing->len);
  const char *params[5];

  if (resolve->next >= resolve->missing->len)
    {
      g_task_return_pointer (task, g_hash_table_ref (resolve->found),
                             (GDestroyNotify) g_hash_table_unref);
      g_object_unref (task);
      return;
    }

  for (guint i = resolve->next; i < end; i++)
    {
      if (ids->len > 0)
        g_string_append_c (ids, ',');
      g_string_append (ids, g_ptr_array_index (resolve->missing, i));
    }

  count = g_strdup_printf ("%u", end - resolve->next);
  resolve->next = end;
  params[0] = "_id";
  params[1] = ids->str;
  params[2] = "_count";
  params[3] = count;
  params[4] = NULL;
  sv_fhir_client_search_async (self, resolve->resource_type, params,
                               g_task_get_cancellable (task), resolve_batch_cb, task);
}

/**
 * sv_fhir_client_resolve_async:
 * @self: a #SvFhirClient
 * @resource_type: e.g. "Medication"
 * @ids: (array zero-terminated=1): logical ids
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when all are known
 * @user_data: data for @callback
 *
 * Reads many resources of one type with one `Type?_id=a,b,c` search per
 * 100 ids; what was read once is cached by the client and not asked again.
 */
void
sv_fhir_client_resolve_async (SvFhirClient        *self,
                              const char          *resource_type,
                              const char * const  *ids,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task;
  Resolve *resolve;
  g_autoptr(GHashTable) asked = g_hash_table_new (g_str_hash, g_str_equal);

  g_return_if_fail (SV_IS_FHIR_CLIENT (self));
  g_return_if_fail (resource_type != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sv_fhir_client_resolve_async);
  resolve = g_new0 (Resolve, 1);
  resolve->resource_type = g_strdup (resource_type);
  resolve->missing = g_ptr_array_new_with_free_func (g_free);
  resolve->found = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) json_object_unref);
  g_task_set_task_data (task, resolve, (GDestroyNotify) resolve_free);

  for (guint i = 0; ids != NULL && ids[i] != NULL; i++)
    {
      g_autofree char *key = g_strconcat (resource_type, "/", ids[i], NULL);
      JsonObject *cached = g_hash_table_lookup (self->cache, key);

      /* A comma would split the id in the _id search: such an id is left
       * unresolved rather than asked for wrongly. */
      if (*ids[i] == '\0' || strchr (ids[i], ',') != NULL || !g_hash_table_add (asked, (gpointer) ids[i]))
        continue;

      if (cached != NULL)
        g_hash_table_replace (resolve->found, g_strdup (ids[i]), json_object_ref (cached));
      else
        g_ptr_array_add (resolve->missing, g_strdup (ids[i]));
    }

  resolve_next_batch (task);
}

/**
 * sv_fhir_client_resolve_finish:
 * @self: a #SvFhirClient
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type utf8 JsonObject): the resources
 *   found, by id; ids the server does not know are absent
 */
GHashTable *
sv_fhir_client_resolve_finish (SvFhirClient  *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
