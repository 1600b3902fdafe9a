/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "smart-sandbox"

#include "config.h"

#include "sb-import.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "sb-store.h"

static void
count (GHashTable *counts, const char *type)
{
  gpointer old;

  if (counts == NULL)
    return;
  old = g_hash_table_lookup (counts, type);
  g_hash_table_replace (counts, g_strdup (type), GUINT_TO_POINTER (GPOINTER_TO_UINT (old) + 1));
}

static gboolean
put_node (SbStore *store, JsonNode *node, GHashTable *counts, GError **error)
{
  g_autofree char *text = json_to_string (node, FALSE);

  if (!sb_store_put_json (store, text, strlen (text), error))
    return FALSE;
  count (counts, json_object_get_string_member (json_node_get_object (node), "resourceType"));
  return TRUE;
}

/* Transaction Bundles (Synthea's default output) reference each other by
 * "urn:uuid:…" fullUrls; stored resources need "Type/id". */
static void
rewrite_references (JsonNode *node, GHashTable *map)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *o = json_node_get_object (node);
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;

      json_object_iter_init (&iter, o);
      while (json_object_iter_next (&iter, &name, &value))
        {
          if (strcmp (name, "reference") == 0 && JSON_NODE_HOLDS_VALUE (value)
              && json_node_get_value_type (value) == G_TYPE_STRING)
            {
              const char *target = g_hash_table_lookup (map, json_node_get_string (value));

              if (target != NULL)
                json_node_set_string (value, target);
            }
          else
            rewrite_references (value, map);
        }
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *a = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (a); i++)
        rewrite_references (json_array_get_element (a, i), map);
    }
}

static gboolean
import_bundle (SbStore *store, JsonObject *bundle, GHashTable *counts, GError **error)
{
  g_autoptr(GHashTable) map = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  JsonArray *entries;

  if (!json_object_has_member (bundle, "entry"))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (json_object_get_member (bundle, "entry")))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Bundle.entry is not an array");
      return FALSE;
    }
  entries = json_object_get_array_member (bundle, "entry");

  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      JsonNode *e = json_array_get_element (entries, i);
      JsonObject *eo = JSON_NODE_HOLDS_OBJECT (e) ? json_node_get_object (e) : NULL;
      JsonNode *r = eo ? json_object_get_member (eo, "resource") : NULL;
      JsonObject *ro = (r && JSON_NODE_HOLDS_OBJECT (r)) ? json_node_get_object (r) : NULL;
      const char *full_url = eo && json_object_has_member (eo, "fullUrl")
                             ? json_object_get_string_member_with_default (eo, "fullUrl", NULL) : NULL;
      const char *type = ro ? json_object_get_string_member_with_default (ro, "resourceType", NULL) : NULL;
      const char *id = ro ? json_object_get_string_member_with_default (ro, "id", NULL) : NULL;

      if (ro == NULL || type == NULL)
        continue;
      if (id == NULL && full_url != NULL && g_str_has_prefix (full_url, "urn:uuid:"))
        {
          /* Transaction entries may omit the id: the uuid is the id. */
          json_object_set_string_member (ro, "id", full_url + strlen ("urn:uuid:"));
          id = json_object_get_string_member (ro, "id");
        }
      if (full_url != NULL && id != NULL)
        g_hash_table_insert (map, g_strdup (full_url), g_strdup_printf ("%s/%s", type, id));
    }

  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      JsonNode *e = json_array_get_element (entries, i);
      JsonObject *eo = JSON_NODE_HOLDS_OBJECT (e) ? json_node_get_object (e) : NULL;
      JsonNode *r = eo ? json_object_get_member (eo, "resource") : NULL;

      if (r == NULL || !JSON_NODE_HOLDS_OBJECT (r))
        continue;
      if (g_strcmp0 (json_object_get_string_member_with_default (json_node_get_object (r),
                                                                 "resourceType", NULL), "Bundle") == 0)
        {
          if (!import_bundle (store, json_node_get_object (r), counts, error))
            return FALSE;
          continue;
        }
      rewrite_references (r, map);
      if (!put_node (store, r, counts, error))
        {
          g_prefix_error (error, "entry %u: ", i);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
import_json_text (SbStore *store, const char *data, gsize len, GHashTable *counts, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *o;

  if (!json_parser_load_from_data (parser, data, len, error))
    return FALSE;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not a JSON object");
      return FALSE;
    }
  o = json_node_get_object (root);
  if (g_strcmp0 (json_object_get_string_member_with_default (o, "resourceType", NULL), "Bundle") == 0)
    return import_bundle (store, o, counts, error);
  return put_node (store, root, counts, error);
}

static gboolean
import_file (SbStore *store, const char *path, GHashTable *counts, GError **error)
{
  g_autofree char *data = NULL;
  gsize len;

  if (!g_file_get_contents (path, &data, &len, error))
    return FALSE;

  if (g_str_has_suffix (path, ".ndjson") || g_str_has_suffix (path, ".jsonl"))
    {
      char *line = data;
      guint lineno = 0;

      while (line < data + len)
        {
          char *end = memchr (line, '\n', data + len - line);
          gsize n = end ? (gsize) (end - line) : (gsize) (data + len - line);

          lineno++;
          while (n > 0 && g_ascii_isspace (line[n - 1]))
            n--;
          if (n > 0 && !import_json_text (store, line, n, counts, error))
            {
              g_prefix_error (error, "%s:%u: ", path, lineno);
              return FALSE;
            }
          if (end == NULL)
            break;
          line = end + 1;
        }
      return TRUE;
    }

  if (!import_json_text (store, data, len, counts, error))
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  return TRUE;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static gboolean
import_any (SbStore *store, const char *path, GHashTable *counts, GError **error)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, error);
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *name;

      if (dir == NULL)
        return FALSE;
      while ((name = g_dir_read_name (dir)) != NULL)
        if (g_str_has_suffix (name, ".ndjson") || g_str_has_suffix (name, ".json")
            || g_str_has_suffix (name, ".jsonl"))
          g_ptr_array_add (names, g_strdup (name));
      /* A stable order makes a failing import reproducible. */
      g_ptr_array_sort (names, compare_names);
      for (guint i = 0; i < names->len; i++)
        {
          g_autofree char *child = g_build_filename (path, names->pdata[i], NULL);

          if (!import_file (store, child, counts, error))
            return FALSE;
        }
      return TRUE;
    }
  return import_file (store, path, counts, error);
}

gboolean
sb_import_path (SbStore *store, const char *path, GHashTable *counts, GError **error)
{
  g_autoptr(GError) ignored = NULL;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s: no such file or folder", path);
      return FALSE;
    }
  if (!sb_store_begin (store, error))
    return FALSE;
  if (!import_any (store, path, counts, error))
    {
      /* Roll back so a half-imported folder does not linger. */
      g_autoptr(GPtrArray) none = g_ptr_array_new_with_free_func (g_free);

      sb_store_query (store, "ROLLBACK", NULL, 0, none, NULL, &ignored);
      return FALSE;
    }
  return sb_store_commit (store, error);
}
