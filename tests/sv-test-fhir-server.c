/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-test"

#include "config.h"

#include "sv-test-fhir-server.h"

#include <libsoup/soup.h>
#include <string.h>

typedef struct
{
  char  *resource_type;
  guint  status;
  guint  times;
  char  *retry_after;
  char  *body;
  char  *location;
} Fault;

typedef struct
{
  char     *resource_type;
  char     *subject;
  char     *ids;
  gboolean  include;
  guint     offset;
  guint     count;
} PageState;

struct _SvTestFhirServer
{
  SoupServer *server;
  char       *base_url;
  GHashTable *resources;
  guint       page_size;
  GHashTable *tokens;
  GHashTable *token_limits;
  GHashTable *token_uses;
  char       *include;
  gboolean    reject_include;
  GPtrArray  *faults;
  GHashTable *truncated;
  GHashTable *second_links;
  GHashTable *next_overrides;
  GHashTable *holds;
  GPtrArray  *held;
  GHashTable *counts;
  GPtrArray  *log;
  GHashTable *pages;
  guint       next_page;
  char       *big_type;
  gsize       big_size;
  gboolean    big_chunked;
};

static void
fault_free (Fault *fault)
{
  g_free (fault->resource_type);
  g_free (fault->retry_after);
  g_free (fault->body);
  g_free (fault->location);
  g_free (fault);
}

static void
page_state_free (PageState *state)
{
  g_free (state->resource_type);
  g_free (state->subject);
  g_free (state->ids);
  g_free (state);
}

static const char *
member_string (JsonObject *object,
               const char *name)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, name))
    return NULL;
  node = json_object_get_member (object, name);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
member_object (JsonObject *object,
               const char *name)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, name))
    return NULL;
  node = json_object_get_member (object, name);
  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static void
respond (SoupServerMessage *msg,
         guint              status,
         const char        *body)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/fhir+json", SOUP_MEMORY_COPY,
                                    body, strlen (body));
}

/* A resource of exactly big_size bytes, its text padded with 'x'. */
static void
respond_big (SvTestFhirServer  *self,
             SoupServerMessage *msg,
             const char        *type)
{
  g_autofree char *head = g_strdup_printf ("{\"resourceType\":\"%s\",\"id\":\"big\",\"text\":\"", type);
  gsize size = MAX (self->big_size, strlen (head) + 2);
  char *body = g_malloc (size);
  SoupMessageBody *response = soup_server_message_get_response_body (msg);

  memcpy (body, head, strlen (head));
  memset (body + strlen (head), 'x', size - strlen (head) - 2);
  memcpy (body + size - 2, "\"}", 2);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  if (!self->big_chunked)
    {
      soup_server_message_set_response (msg, "application/fhir+json", SOUP_MEMORY_TAKE, body, size);
      return;
    }

  soup_message_headers_set_encoding (soup_server_message_get_response_headers (msg), SOUP_ENCODING_CHUNKED);
  soup_message_headers_set_content_type (soup_server_message_get_response_headers (msg), "application/fhir+json", NULL);
  for (gsize offset = 0; offset < size; offset += 65536)
    soup_message_body_append (response, SOUP_MEMORY_COPY, body + offset, MIN (65536, size - offset));
  soup_message_body_complete (response);
  g_free (body);
}

static void
respond_outcome (SoupServerMessage *msg,
                 guint              status,
                 const char        *text)
{
  g_autofree char *body =
    g_strdup_printf ("{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\","
                     "\"code\":\"processing\",\"diagnostics\":\"%s\"}]}", text);

  respond (msg, status, body);
}

static gboolean
matches (PageState  *state,
         JsonObject *resource)
{
  if (state->subject != NULL &&
      g_strcmp0 (member_string (member_object (resource, "subject"), "reference"), state->subject) != 0)
    return FALSE;

  if (state->ids != NULL)
    {
      g_auto(GStrv) ids = g_strsplit (state->ids, ",", -1);

      return g_strv_contains ((const char * const *) ids, member_string (resource, "id"));
    }

  return TRUE;
}

static char *
page_body (SvTestFhirServer *self,
           PageState        *state,
           guint            *page_number)
{
  GPtrArray *all = g_hash_table_lookup (self->resources, state->resource_type);
  g_autoptr(GPtrArray) found = g_ptr_array_new ();
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GHashTable) included = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *key = NULL;
  g_autofree char *override_key = NULL;
  const char *override;
  GPtrArray *medications = g_hash_table_lookup (self->resources, "Medication");

  for (guint i = 0; all != NULL && i < all->len; i++)
    if (matches (state, g_ptr_array_index (all, i)))
      g_ptr_array_add (found, g_ptr_array_index (all, i));

  *page_number = state->offset / MAX (state->count, 1) + 1;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "resourceType");
  json_builder_add_string_value (builder, "Bundle");
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "searchset");
  json_builder_set_member_name (builder, "total");
  json_builder_add_int_value (builder, found->len);

  json_builder_set_member_name (builder, "link");
  json_builder_begin_array (builder);
  override_key = g_strdup_printf ("%s#%u", state->resource_type, *page_number);
  override = g_hash_table_lookup (self->next_overrides, override_key);
  if (override != NULL || state->offset + state->count < found->len)
    {
      g_autofree char *next = NULL;

      if (override != NULL)
        next = g_strdup (override);
      else
        {
          PageState *next_state = g_new0 (PageState, 1);

          *next_state = *state;
          next_state->resource_type = g_strdup (state->resource_type);
          next_state->subject = g_strdup (state->subject);
          next_state->ids = g_strdup (state->ids);
          next_state->offset += state->count;
          key = g_strdup_printf ("pg%u", ++self->next_page);
          g_hash_table_insert (self->pages, g_strdup (key), next_state);
          next = g_strdup_printf ("%s%s?_getpages=%s&_bundletype=searchset", self->base_url,
                                  state->resource_type, key);
        }

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "relation");
      json_builder_add_string_value (builder, "next");
      json_builder_set_member_name (builder, "url");
      json_builder_add_string_value (builder, next);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "entry");
  json_builder_begin_array (builder);
  for (guint i = state->offset; i < found->len && i < state->offset + state->count; i++)
    {
      JsonObject *resource = g_ptr_array_index (found, i);
      JsonNode *node = json_node_init_object (json_node_alloc (), resource);
      const char *reference = member_string (member_object (resource, "medicationReference"), "reference");

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "resource");
      json_builder_add_value (builder, node);
      json_builder_set_member_name (builder, "search");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "mode");
      json_builder_add_string_value (builder, "match");
      json_builder_end_object (builder);
      json_builder_end_object (builder);

      if (state->include && g_strcmp0 (self->include, state->resource_type) == 0 && reference != NULL && g_str_has_prefix (reference, "Medication/"))
        g_hash_table_add (included, (gpointer) (reference + strlen ("Medication/")));
    }

  for (guint i = 0; medications != NULL && i < medications->len; i++)
    {
      JsonObject *medication = g_ptr_array_index (medications, i);

      if (!g_hash_table_contains (included, member_string (medication, "id")))
        continue;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "resource");
      json_builder_add_value (builder, json_node_init_object (json_node_alloc (), medication));
      json_builder_set_member_name (builder, "search");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "mode");
      json_builder_add_string_value (builder, "include");
      json_builder_end_object (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static gboolean
check_token (SvTestFhirServer  *self,
             SoupServerMessage *msg)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "Authorization");
  const char *token;
  guint limit, uses;

  if (header == NULL || !g_str_has_prefix (header, "Bearer "))
    return FALSE;

  token = header + strlen ("Bearer ");
  if (!g_hash_table_contains (self->tokens, token))
    return FALSE;

  limit = GPOINTER_TO_UINT (g_hash_table_lookup (self->token_limits, token));
  uses = GPOINTER_TO_UINT (g_hash_table_lookup (self->token_uses, token));
  if (limit > 0 && uses >= limit)
    return FALSE;

  g_hash_table_replace (self->token_uses, g_strdup (token), GUINT_TO_POINTER (uses + 1));
  return TRUE;
}

static void
handle (SoupServer        *server,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  SvTestFhirServer *self = user_data;
  GUri *uri = soup_server_message_get_uri (msg);
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "Authorization");
  g_auto(GStrv) segments = NULL;
  const char *type;
  g_autofree char *body = NULL;
  guint page = 1;

  g_ptr_array_add (self->log, g_strdup_printf ("%s %s%s%s [%s]", soup_server_message_get_method (msg),
                                               path, g_uri_get_query (uri) != NULL ? "?" : "",
                                               g_uri_get_query (uri) != NULL ? g_uri_get_query (uri) : "",
                                               header != NULL ? header : ""));

  if (!g_str_has_prefix (path, "/fhir/"))
    {
      respond_outcome (msg, SOUP_STATUS_NOT_FOUND, "Not a FHIR path");
      return;
    }

  segments = g_strsplit (path + strlen ("/fhir/"), "/", -1);
  type = segments[0];
  g_hash_table_replace (self->counts, g_strdup (type),
                        GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (self->counts, type)) + 1));

  if (g_strcmp0 (soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Accept"),
                 "application/fhir+json") != 0)
    {
      respond_outcome (msg, SOUP_STATUS_NOT_ACCEPTABLE, "Accept application/fhir+json");
      return;
    }

  if (!check_token (self, msg))
    {
      respond_outcome (msg, SOUP_STATUS_UNAUTHORIZED, "The access token is not valid");
      return;
    }

  if (self->big_type != NULL && g_strcmp0 (self->big_type, type) == 0)
    {
      respond_big (self, msg, type);
      return;
    }

  for (guint i = 0; i < self->faults->len; i++)
    {
      Fault *fault = g_ptr_array_index (self->faults, i);

      if (fault->times == 0 || g_strcmp0 (fault->resource_type, type) != 0)
        continue;

      fault->times--;
      if (fault->location != NULL)
        soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                      "Location", fault->location);
      if (fault->retry_after != NULL)
        soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                      "Retry-After", fault->retry_after);
      respond (msg, fault->status, fault->body != NULL ? fault->body : "");
      return;
    }

  if (segments[1] != NULL && *segments[1] != '\0')
    {
      GPtrArray *all = g_hash_table_lookup (self->resources, type);

      for (guint i = 0; all != NULL && i < all->len; i++)
        if (g_strcmp0 (member_string (g_ptr_array_index (all, i), "id"), segments[1]) == 0)
          {
            g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), g_ptr_array_index (all, i));

            body = json_to_string (node, FALSE);
            respond (msg, SOUP_STATUS_OK, body);
            return;
          }

      respond_outcome (msg, SOUP_STATUS_NOT_FOUND, "Resource not found");
      return;
    }
  else
    {
      const char *key = query != NULL ? g_hash_table_lookup (query, "_getpages") : NULL;
      PageState *state;
      PageState fresh = { 0 };
      const char *count = query != NULL ? g_hash_table_lookup (query, "_count") : NULL;
      const char *include = query != NULL ? g_hash_table_lookup (query, "_include") : NULL;
      g_autofree char *truncated_key = NULL;

      if (include != NULL && self->reject_include)
        {
          respond_outcome (msg, SOUP_STATUS_BAD_REQUEST, "_include is not supported");
          return;
        }

      if (key != NULL)
        {
          state = g_hash_table_lookup (self->pages, key);
          if (state == NULL)
            {
              respond_outcome (msg, SOUP_STATUS_GONE, "Unknown page");
              return;
            }
        }
      else
        {
          fresh.resource_type = (char *) type;
          fresh.subject = query != NULL ? g_hash_table_lookup (query, "subject") : NULL;
          fresh.ids = query != NULL ? g_hash_table_lookup (query, "_id") : NULL;
          fresh.include = include != NULL;
          fresh.count = MIN (count != NULL ? (guint) g_ascii_strtoull (count, NULL, 10) : self->page_size,
                             self->page_size);
          state = &fresh;
        }

      body = page_body (self, state, &page);
      truncated_key = g_strdup_printf ("%s#%u", type, page);
      if (g_hash_table_contains (self->truncated, truncated_key))
        body[strlen (body) / 2] = '\0';
      else if (g_hash_table_contains (self->second_links, truncated_key))
        {
          /* A second "link" member after the entries: JSON readers keep
           * the last one. */
          char *last = strrchr (body, '}');
          g_autofree char *head = g_strndup (body, last - body);

          g_free (body);
          body = g_strdup_printf ("%s,\"link\":[{\"relation\":\"next\",\"url\":\"%s\"}]}", head,
                                  (const char *) g_hash_table_lookup (self->second_links, truncated_key));
        }
    }

  respond (msg, SOUP_STATUS_OK, body);

  if (g_hash_table_contains (self->holds, type))
    {
      soup_server_message_pause (msg);
      g_ptr_array_add (self->held, g_object_ref (msg));
    }
}

/* With @certificate, the server speaks https only. */
SvTestFhirServer *
sv_test_fhir_server_new_tls (GTlsCertificate *certificate)
{
  SvTestFhirServer *self = g_new0 (SvTestFhirServer, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSList) uris = NULL;
  g_autofree char *origin = NULL;

  self->server = soup_server_new ("tls-certificate", certificate, NULL);
  soup_server_add_handler (self->server, NULL, handle, self, NULL);
  soup_server_listen (self->server, address, certificate != NULL ? SOUP_SERVER_LISTEN_HTTPS : 0, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (self->server);
  origin = g_uri_to_string (uris->data);
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
  self->base_url = g_strconcat (origin, g_str_has_suffix (origin, "/") ? "" : "/", "fhir/", NULL);

  self->resources = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  self->page_size = 100;
  self->tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_add (self->tokens, g_strdup ("token-1"));
  self->token_limits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->token_uses = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->faults = g_ptr_array_new_with_free_func ((GDestroyNotify) fault_free);
  self->truncated = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->second_links = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->next_overrides = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->holds = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->held = g_ptr_array_new_with_free_func (g_object_unref);
  self->counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->log = g_ptr_array_new_with_free_func (g_free);
  self->pages = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) page_state_free);
  self->include = NULL;

  return self;
}

SvTestFhirServer *
sv_test_fhir_server_new (void)
{
  return sv_test_fhir_server_new_tls (NULL);
}

static void
release_held (SvTestFhirServer *self)
{
  for (guint i = 0; i < self->held->len; i++)
    soup_server_message_unpause (g_ptr_array_index (self->held, i));
  g_ptr_array_set_size (self->held, 0);
}

void
sv_test_fhir_server_free (SvTestFhirServer *self)
{
  release_held (self);
  soup_server_disconnect (self->server);
  g_object_unref (self->server);
  g_free (self->base_url);
  g_free (self->include);
  g_free (self->big_type);
  g_hash_table_unref (self->resources);
  g_hash_table_unref (self->tokens);
  g_hash_table_unref (self->token_limits);
  g_hash_table_unref (self->token_uses);
  g_ptr_array_unref (self->faults);
  g_hash_table_unref (self->truncated);
  g_hash_table_unref (self->second_links);
  g_hash_table_unref (self->next_overrides);
  g_hash_table_unref (self->holds);
  g_ptr_array_unref (self->held);
  g_hash_table_unref (self->counts);
  g_ptr_array_unref (self->log);
  g_hash_table_unref (self->pages);
  g_free (self);
}

const char *
sv_test_fhir_server_get_base_url (SvTestFhirServer *self)
{
  return self->base_url;
}

void
sv_test_fhir_server_add_resource (SvTestFhirServer *self,
                                  JsonObject       *resource)
{
  const char *type = member_string (resource, "resourceType");
  GPtrArray *list;

  g_assert_nonnull (type);
  list = g_hash_table_lookup (self->resources, type);
  if (list == NULL)
    {
      list = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
      g_hash_table_insert (self->resources, g_strdup (type), list);
    }
  g_ptr_array_add (list, json_object_ref (resource));
}

void
sv_test_fhir_server_add_json (SvTestFhirServer *self,
                              const char       *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  sv_test_fhir_server_add_resource (self, json_node_get_object (json_parser_get_root (parser)));
}

guint
sv_test_fhir_server_load_ndjson (SvTestFhirServer  *self,
                                 const char        *path,
                                 GError           **error)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  guint n = 0;

  if (!g_file_get_contents (path, &contents, NULL, error))
    return 0;

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (*g_strstrip (lines[i]) == '\0')
        continue;
      if (!json_parser_load_from_data (parser, lines[i], -1, error))
        return 0;
      sv_test_fhir_server_add_resource (self, json_node_get_object (json_parser_get_root (parser)));
      n++;
    }

  return n;
}

void
sv_test_fhir_server_set_page_size (SvTestFhirServer *self,
                                   guint             page_size)
{
  self->page_size = page_size;
}

void
sv_test_fhir_server_set_tokens (SvTestFhirServer   *self,
                                const char * const *tokens)
{
  g_hash_table_remove_all (self->tokens);
  for (guint i = 0; tokens[i] != NULL; i++)
    g_hash_table_add (self->tokens, g_strdup (tokens[i]));
}

void
sv_test_fhir_server_expire_token_after (SvTestFhirServer *self,
                                        const char       *token,
                                        guint             n_requests)
{
  g_hash_table_replace (self->token_limits, g_strdup (token), GUINT_TO_POINTER (n_requests));
}

/* Only searches of @resource_type honour _include, as a server may
 * support it for some types only. */
void
sv_test_fhir_server_set_include (SvTestFhirServer *self,
                                 const char       *resource_type)
{
  g_free (self->include);
  self->include = g_strdup (resource_type);
}

/* The next @times requests for @resource_type are redirected to @location. */
void
sv_test_fhir_server_add_redirect (SvTestFhirServer *self,
                                  const char       *resource_type,
                                  guint             times,
                                  const char       *location)
{
  Fault *fault = g_new0 (Fault, 1);

  fault->resource_type = g_strdup (resource_type);
  fault->status = SOUP_STATUS_FOUND;
  fault->times = times;
  fault->location = g_strdup (location);
  g_ptr_array_add (self->faults, fault);
}

/* Like a strict server without _include: a 400 for any search with it. */
void
sv_test_fhir_server_set_reject_include (SvTestFhirServer *self,
                                        gboolean          reject)
{
  self->reject_include = reject;
}

void
sv_test_fhir_server_add_fault (SvTestFhirServer *self,
                               const char       *resource_type,
                               guint             status,
                               guint             times,
                               const char       *retry_after,
                               const char       *body)
{
  Fault *fault = g_new0 (Fault, 1);

  fault->resource_type = g_strdup (resource_type);
  fault->status = status;
  fault->times = times;
  fault->retry_after = g_strdup (retry_after);
  fault->body = g_strdup (body);
  g_ptr_array_add (self->faults, fault);
}

void
sv_test_fhir_server_set_truncated (SvTestFhirServer *self,
                                   const char       *resource_type,
                                   guint             page)
{
  g_hash_table_add (self->truncated, g_strdup_printf ("%s#%u", resource_type, page));
}

void
sv_test_fhir_server_set_second_link (SvTestFhirServer *self,
                                     const char       *resource_type,
                                     guint             page,
                                     const char       *url)
{
  g_hash_table_replace (self->second_links, g_strdup_printf ("%s#%u", resource_type, page), g_strdup (url));
}

void
sv_test_fhir_server_set_next_override (SvTestFhirServer *self,
                                       const char       *resource_type,
                                       guint             page,
                                       const char       *url)
{
  g_hash_table_replace (self->next_overrides, g_strdup_printf ("%s#%u", resource_type, page), g_strdup (url));
}

/* Every request for @resource_type is answered with one resource of
 * @size bytes, with a Content-Length or @chunked. */
void
sv_test_fhir_server_set_big_body (SvTestFhirServer *self,
                                  const char       *resource_type,
                                  gsize             size,
                                  gboolean          chunked)
{
  g_free (self->big_type);
  self->big_type = g_strdup (resource_type);
  self->big_size = size;
  self->big_chunked = chunked;
}

void
sv_test_fhir_server_set_hold (SvTestFhirServer *self,
                              const char       *resource_type,
                              gboolean          hold)
{
  if (hold)
    g_hash_table_add (self->holds, g_strdup (resource_type));
  else
    {
      g_hash_table_remove (self->holds, resource_type);
      release_held (self);
    }
}

guint
sv_test_fhir_server_get_n_held (SvTestFhirServer *self)
{
  return self->held->len;
}

guint
sv_test_fhir_server_count (SvTestFhirServer *self,
                           const char       *resource_type)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->counts, resource_type));
}

guint
sv_test_fhir_server_count_all (SvTestFhirServer *self)
{
  return self->log->len;
}

GPtrArray *
sv_test_fhir_server_get_log (SvTestFhirServer *self)
{
  return self->log;
}
