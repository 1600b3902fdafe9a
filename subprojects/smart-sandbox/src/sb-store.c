/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "smart-sandbox"

#include "config.h"

#include "sb-store.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* Resources are kept as their JSON text; search parameters are extracted
 * once at load time into an EAV table with indexes, so that a search is a
 * handful of indexed EXISTS clauses and serving a resource never needs to
 * parse it again. */
struct _SbStore
{
  sqlite3    *db;
  GHashTable *stmts;   /* SQL text → sqlite3_stmt*, a prepared-statement cache */
  GMutex      lock;
};

static const char schema[] =
  "PRAGMA journal_mode=WAL;"
  "PRAGMA synchronous=NORMAL;"
  "CREATE TABLE IF NOT EXISTS resources ("
  "  type TEXT NOT NULL, id TEXT NOT NULL, patient TEXT,"
  "  last_updated TEXT, json TEXT NOT NULL, PRIMARY KEY (type, id));"
  "CREATE INDEX IF NOT EXISTS resources_patient ON resources (type, patient, id);"
  "CREATE TABLE IF NOT EXISTS params ("
  "  type TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL,"
  "  value TEXT, lo TEXT, hi TEXT);"
  "CREATE INDEX IF NOT EXISTS params_value ON params (type, name, value, id);"
  "CREATE INDEX IF NOT EXISTS params_range ON params (type, name, lo, hi);"
  "CREATE INDEX IF NOT EXISTS params_res ON params (type, id);";

G_DEFINE_QUARK (sb-store-error-quark, sb_store_error)

static void
finalize_stmt (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

static gboolean
set_sql_error (SbStore *store, GError **error, const char *what)
{
  g_set_error (error, SB_STORE_ERROR, SB_STORE_ERROR_SQL, "%s: %s",
               what, sqlite3_errmsg (store->db));
  return FALSE;
}

SbStore *
sb_store_open (const char *path, GError **error)
{
  SbStore *store = g_new0 (SbStore, 1);
  char *errmsg = NULL;

  g_mutex_init (&store->lock);
  store->stmts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        finalize_stmt);
  if (sqlite3_open_v2 (path, &store->db,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                       NULL) != SQLITE_OK)
    {
      set_sql_error (store, error, "Cannot open the store");
      sb_store_free (store);
      return NULL;
    }
  sqlite3_busy_timeout (store->db, 5000);
  if (sqlite3_exec (store->db, schema, NULL, NULL, &errmsg) != SQLITE_OK)
    {
      g_set_error (error, SB_STORE_ERROR, SB_STORE_ERROR_SQL,
                   "Cannot create the store schema in %s: %s", path, errmsg);
      sqlite3_free (errmsg);
      sb_store_free (store);
      return NULL;
    }
  return store;
}

void
sb_store_free (SbStore *store)
{
  if (store == NULL)
    return;
  g_hash_table_destroy (store->stmts);
  if (store->db != NULL)
    sqlite3_close (store->db);
  g_mutex_clear (&store->lock);
  g_free (store);
}

/* Caller holds the lock.  The statement is reset and unbound. */
static sqlite3_stmt *
prepare (SbStore *store, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (store->stmts, sql);

  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }
  if (sqlite3_prepare_v2 (store->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      set_sql_error (store, error, "Bad query");
      return NULL;
    }
  /* Searches build SQL from the query shape; bound the cache anyway. */
  if (g_hash_table_size (store->stmts) > 512)
    g_hash_table_remove_all (store->stmts);
  g_hash_table_insert (store->stmts, g_strdup (sql), stmt);
  return stmt;
}

static gboolean
exec_simple (SbStore *store, const char *sql, GError **error)
{
  gboolean ok;

  g_mutex_lock (&store->lock);
  ok = sqlite3_exec (store->db, sql, NULL, NULL, NULL) == SQLITE_OK;
  if (!ok)
    set_sql_error (store, error, sql);
  g_mutex_unlock (&store->lock);
  return ok;
}

gboolean
sb_store_is_empty (SbStore *store)
{
  gint64 n = 0;

  if (!sb_store_query_int (store, "SELECT EXISTS (SELECT 1 FROM resources)", NULL, 0, &n, NULL))
    return TRUE;
  return n == 0;
}

gboolean
sb_store_begin (SbStore *store, GError **error)
{
  return exec_simple (store, "BEGIN IMMEDIATE", error);
}

gboolean
sb_store_commit (SbStore *store, GError **error)
{
  return exec_simple (store, "COMMIT", error);
}

/* ---- parameter extraction ---- */

typedef struct
{
  SbStore      *store;
  const char   *type;
  const char   *id;
  sqlite3_stmt *insert;
  gboolean      ok;
} Extract;

static void
add_param (Extract *x, const char *name, const char *value, const char *lo, const char *hi)
{
  if (!x->ok)
    return;
  sqlite3_reset (x->insert);
  sqlite3_bind_text (x->insert, 1, x->type, -1, SQLITE_STATIC);
  sqlite3_bind_text (x->insert, 2, x->id, -1, SQLITE_STATIC);
  sqlite3_bind_text (x->insert, 3, name, -1, SQLITE_STATIC);
  sqlite3_bind_text (x->insert, 4, value, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (x->insert, 5, lo, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (x->insert, 6, hi, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (x->insert) != SQLITE_DONE)
    x->ok = FALSE;
}

static const char *
get_str (JsonObject *o, const char *member)
{
  JsonNode *n;

  if (o == NULL || (n = json_object_get_member (o, member)) == NULL
      || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static JsonObject *
get_obj (JsonObject *o, const char *member)
{
  JsonNode *n;

  if (o == NULL || (n = json_object_get_member (o, member)) == NULL || !JSON_NODE_HOLDS_OBJECT (n))
    return NULL;
  return json_node_get_object (n);
}

/* Calls fn for the member when it is an object, or for each object of it
 * when it is an array (FHIR cardinality differs between resource types). */
static void
for_each_obj (JsonObject *o, const char *member, void (*fn) (Extract *, const char *, JsonObject *),
              Extract *x, const char *name)
{
  JsonNode *n;

  if (o == NULL || (n = json_object_get_member (o, member)) == NULL)
    return;
  if (JSON_NODE_HOLDS_OBJECT (n))
    fn (x, name, json_node_get_object (n));
  else if (JSON_NODE_HOLDS_ARRAY (n))
    {
      JsonArray *a = json_node_get_array (n);

      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          JsonNode *e = json_array_get_element (a, i);

          if (JSON_NODE_HOLDS_OBJECT (e))
            fn (x, name, json_node_get_object (e));
        }
    }
}

static void
add_token (Extract *x, const char *name, const char *system, const char *code)
{
  g_autofree char *full = NULL;

  if (code == NULL)
    return;
  add_param (x, name, code, NULL, NULL);
  full = g_strdup_printf ("%s|%s", system ? system : "", code);
  add_param (x, name, full, NULL, NULL);
}

static void
add_coding (Extract *x, const char *name, JsonObject *coding)
{
  add_token (x, name, get_str (coding, "system"), get_str (coding, "code"));
}

static void
add_codeable (Extract *x, const char *name, JsonObject *cc)
{
  for_each_obj (cc, "coding", add_coding, x, name);
}

static void
add_identifier (Extract *x, const char *name, JsonObject *ident)
{
  add_token (x, name, get_str (ident, "system"), get_str (ident, "value"));
}

/* "http://host/base/Patient/1/_history/2" and "Patient/1" both give "Patient/1". */
static char *
normalize_reference (const char *ref)
{
  g_auto(GStrv) parts = NULL;
  guint n;

  if (ref == NULL || g_str_has_prefix (ref, "#") || g_str_has_prefix (ref, "urn:"))
    return NULL;
  parts = g_strsplit (ref, "/", -1);
  n = g_strv_length (parts);
  if (n >= 4 && g_strcmp0 (parts[n - 2], "_history") == 0)
    n -= 2;
  if (n < 2 || *parts[n - 2] == '\0' || *parts[n - 1] == '\0')
    return NULL;
  return g_strdup_printf ("%s/%s", parts[n - 2], parts[n - 1]);
}

static void
add_reference (Extract *x, const char *name, JsonObject *ref)
{
  g_autofree char *norm = normalize_reference (get_str (ref, "reference"));

  if (norm != NULL)
    add_param (x, name, norm, strchr (norm, '/') + 1, NULL);
}

static void
add_string (Extract *x, const char *name, const char *s)
{
  g_autofree char *folded = NULL;

  if (s == NULL || *s == '\0')
    return;
  folded = g_utf8_strdown (s, -1);
  add_param (x, name, folded, s, NULL);
}

static void
add_string_array (Extract *x, const char *name, JsonObject *o, const char *member)
{
  JsonNode *n = o ? json_object_get_member (o, member) : NULL;

  if (n != NULL && JSON_NODE_HOLDS_ARRAY (n))
    {
      JsonArray *a = json_node_get_array (n);

      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          JsonNode *e = json_array_get_element (a, i);

          if (JSON_NODE_HOLDS_VALUE (e) && json_node_get_value_type (e) == G_TYPE_STRING)
            add_string (x, name, json_node_get_string (e));
        }
    }
  else if (n != NULL && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
    add_string (x, name, json_node_get_string (n));
}

static void
add_human_name (Extract *x, const char *name, JsonObject *hn)
{
  add_string (x, "name", get_str (hn, "text"));
  add_string (x, "name", get_str (hn, "family"));
  add_string_array (x, "name", hn, "given");
  add_string_array (x, "name", hn, "prefix");
  add_string_array (x, "name", hn, "suffix");
  add_string (x, "family", get_str (hn, "family"));
  add_string_array (x, "given", hn, "given");
}

static void
add_date (Extract *x, const char *name, const char *value)
{
  g_autofree char *lo = NULL;
  g_autofree char *hi = NULL;

  if (value != NULL && sb_store_date_range (value, &lo, &hi))
    add_param (x, name, NULL, lo, hi);
}

static void
add_period (Extract *x, const char *name, JsonObject *period)
{
  g_autofree char *lo = NULL;
  g_autofree char *hi = NULL;
  g_autofree char *lo2 = NULL;
  g_autofree char *hi2 = NULL;
  const char *start = get_str (period, "start");
  const char *end = get_str (period, "end");

  if (start != NULL && !sb_store_date_range (start, &lo, &hi))
    return;
  if (end != NULL && !sb_store_date_range (end, &lo2, &hi2))
    return;
  /* An open end is "still going"; an open start "since ever". */
  add_param (x, name, NULL, lo ? lo : "0000-01-01T00:00:00", hi2 ? hi2 : "9999-12-31T23:59:59");
}

static void
add_subject (Extract *x, JsonObject *o, const char *member)
{
  JsonObject *ref = get_obj (o, member);
  g_autofree char *norm = normalize_reference (get_str (ref, "reference"));

  if (norm == NULL)
    return;
  add_param (x, "subject", norm, strchr (norm, '/') + 1, NULL);
  if (g_str_has_prefix (norm, "Patient/"))
    add_param (x, "patient", norm, norm + strlen ("Patient/"), NULL);
}

/* medication[x]: a code, a reference, or a reference to a contained
 * Medication whose code is what a user searches for. */
static void
add_medication (Extract *x, JsonObject *res)
{
  JsonObject *ref = get_obj (res, "medicationReference");
  const char *r;

  add_codeable (x, "code", get_obj (res, "medicationCodeableConcept"));
  if (ref == NULL)
    return;
  r = get_str (ref, "reference");
  if (r != NULL && r[0] == '#')
    {
      JsonNode *contained = json_object_get_member (res, "contained");

      if (contained != NULL && JSON_NODE_HOLDS_ARRAY (contained))
        {
          JsonArray *a = json_node_get_array (contained);

          for (guint i = 0; i < json_array_get_length (a); i++)
            {
              JsonNode *e = json_array_get_element (a, i);
              JsonObject *c = JSON_NODE_HOLDS_OBJECT (e) ? json_node_get_object (e) : NULL;

              if (g_strcmp0 (get_str (c, "id"), r + 1) == 0)
                add_codeable (x, "code", get_obj (c, "code"));
            }
        }
    }
  else
    add_reference (x, "medication", ref);
}

static void
extract_params (Extract *x, JsonObject *res)
{
  const char *type = x->type;

  add_date (x, "_lastUpdated", get_str (get_obj (res, "meta"), "lastUpdated"));

  if (strcmp (type, "Patient") == 0 || strcmp (type, "Practitioner") == 0)
    {
      for_each_obj (res, "name", add_human_name, x, "name");
      for_each_obj (res, "identifier", add_identifier, x, "identifier");
      add_token (x, "gender", NULL, get_str (res, "gender"));
      add_date (x, "birthdate", get_str (res, "birthDate"));
      for_each_obj (res, "generalPractitioner", add_reference, x, "general-practitioner");
      if (strcmp (type, "Patient") == 0)
        {
          JsonNode *links = json_object_get_member (res, "link");

          if (links != NULL && JSON_NODE_HOLDS_ARRAY (links))
            {
              JsonArray *a = json_node_get_array (links);

              for (guint i = 0; i < json_array_get_length (a); i++)
                {
                  JsonNode *e = json_array_get_element (a, i);

                  if (JSON_NODE_HOLDS_OBJECT (e))
                    add_reference (x, "link", get_obj (json_node_get_object (e), "other"));
                }
            }
        }
      return;
    }

  add_subject (x, res, "subject");
  add_subject (x, res, "patient");
  for_each_obj (res, "identifier", add_identifier, x, "identifier");
  for_each_obj (res, "category", add_codeable, x, "category");
  add_codeable (x, "clinical-status", get_obj (res, "clinicalStatus"));
  add_codeable (x, "verification-status", get_obj (res, "verificationStatus"));
  add_token (x, "status", NULL, get_str (res, "status"));
  add_token (x, "intent", NULL, get_str (res, "intent"));
  add_codeable (x, "code", get_obj (res, "code"));
  add_medication (x, res);
  add_date (x, "onset-date", get_str (res, "onsetDateTime"));
  add_date (x, "recorded-date", get_str (res, "recordedDate"));
  add_date (x, "authoredon", get_str (res, "authoredOn"));
  add_date (x, "effective", get_str (res, "effectiveDateTime"));
  for_each_obj (res, "effectivePeriod", add_period, x, "effective");
}

static gboolean
valid_id (const char *id)
{
  gsize n = 0;

  if (id == NULL)
    return FALSE;
  for (const char *p = id; *p; p++, n++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.')
      return FALSE;
  return n >= 1 && n <= 64;
}

static gboolean
valid_type (const char *type)
{
  if (type == NULL || !g_ascii_isupper (type[0]))
    return FALSE;
  for (const char *p = type; *p; p++)
    if (!g_ascii_isalpha (*p))
      return FALSE;
  return TRUE;
}

gboolean
sb_store_put_json (SbStore *store, const char *json, gsize len, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autofree char *text = NULL;
  g_autofree char *patient = NULL;
  JsonObject *res, *meta;
  const char *type, *id, *last_updated;
  sqlite3_stmt *stmt;
  Extract x = { 0 };
  gboolean ok = FALSE;

  if (!json_parser_load_from_data (parser, json, len, error))
    return FALSE;
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error_literal (error, SB_STORE_ERROR, SB_STORE_ERROR_INVALID, "Not a JSON object");
      return FALSE;
    }
  res = json_node_get_object (json_parser_get_root (parser));
  type = get_str (res, "resourceType");
  id = get_str (res, "id");
  if (!valid_type (type) || !valid_id (id))
    {
      g_set_error (error, SB_STORE_ERROR, SB_STORE_ERROR_INVALID,
                   "A resource needs a valid resourceType and id (got %s/%s)",
                   type ? type : "?", id ? id : "?");
      return FALSE;
    }
  if (strcmp (type, "Bundle") == 0)
    {
      g_set_error_literal (error, SB_STORE_ERROR, SB_STORE_ERROR_INVALID,
                           "Bundles are unpacked by the importer, not stored");
      return FALSE;
    }

  meta = get_obj (res, "meta");
  if (meta == NULL)
    {
      meta = json_object_new ();
      json_object_set_object_member (res, "meta", meta);
    }
  last_updated = get_str (meta, "lastUpdated");
  if (last_updated == NULL)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
      g_autofree char *s = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.000Z");

      json_object_set_string_member (meta, "lastUpdated", s);
      last_updated = get_str (meta, "lastUpdated");
    }
  if (!json_object_has_member (meta, "versionId"))
    json_object_set_string_member (meta, "versionId", "1");

  if (strcmp (type, "Patient") == 0)
    patient = g_strdup (id);
  else
    {
      const char *members[] = { "subject", "patient" };

      for (guint i = 0; i < G_N_ELEMENTS (members) && patient == NULL; i++)
        {
          g_autofree char *norm = normalize_reference (get_str (get_obj (res, members[i]), "reference"));

          if (norm != NULL && g_str_has_prefix (norm, "Patient/"))
            patient = g_strdup (norm + strlen ("Patient/"));
        }
    }

  text = json_to_string (json_parser_get_root (parser), FALSE);

  g_mutex_lock (&store->lock);
  stmt = prepare (store, "INSERT OR REPLACE INTO resources (type, id, patient, last_updated, json) "
                         "VALUES (?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_text (stmt, 1, type, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, patient, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, last_updated, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, text, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      set_sql_error (store, error, "Cannot store the resource");
      goto out;
    }
  sqlite3_reset (stmt);

  stmt = prepare (store, "DELETE FROM params WHERE type = ? AND id = ?", error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_text (stmt, 1, type, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      set_sql_error (store, error, "Cannot store the resource");
      goto out;
    }
  sqlite3_reset (stmt);

  x.store = store;
  x.type = type;
  x.id = id;
  x.ok = TRUE;
  x.insert = prepare (store, "INSERT INTO params (type, id, name, value, lo, hi) "
                             "VALUES (?, ?, ?, ?, ?, ?)", error);
  if (x.insert == NULL)
    goto out;
  extract_params (&x, res);
  sqlite3_reset (x.insert);
  sqlite3_clear_bindings (x.insert);
  if (!x.ok)
    {
      set_sql_error (store, error, "Cannot index the resource");
      goto out;
    }
  ok = TRUE;

out:
  g_mutex_unlock (&store->lock);
  return ok;
}

char *
sb_store_get_text (SbStore *store, const char *type, const char *id, char **patient_out)
{
  sqlite3_stmt *stmt;
  char *result = NULL;

  if (patient_out)
    *patient_out = NULL;
  g_mutex_lock (&store->lock);
  stmt = prepare (store, "SELECT json, patient FROM resources WHERE type = ? AND id = ?", NULL);
  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, type, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        {
          result = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
          if (patient_out)
            *patient_out = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
        }
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
    }
  g_mutex_unlock (&store->lock);
  return result;
}

JsonNode *
sb_store_get (SbStore *store, const char *type, const char *id)
{
  g_autofree char *text = sb_store_get_text (store, type, id, NULL);

  if (text == NULL)
    return NULL;
  return json_from_string (text, NULL);
}

gboolean
sb_store_query (SbStore *store, const char *sql,
                const char *const *binds, guint n_binds,
                GPtrArray *col0, GPtrArray *col1, GError **error)
{
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;
  int rc;

  g_mutex_lock (&store->lock);
  stmt = prepare (store, sql, error);
  if (stmt == NULL)
    goto out;
  for (guint i = 0; i < n_binds; i++)
    sqlite3_bind_text (stmt, i + 1, binds[i], -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_ptr_array_add (col0, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
      if (col1 != NULL)
        g_ptr_array_add (col1, g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
    }
  if (rc != SQLITE_DONE)
    set_sql_error (store, error, "Query failed");
  else
    ok = TRUE;
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
out:
  g_mutex_unlock (&store->lock);
  return ok;
}

gboolean
sb_store_query_int (SbStore *store, const char *sql,
                    const char *const *binds, guint n_binds,
                    gint64 *result, GError **error)
{
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;

  g_mutex_lock (&store->lock);
  stmt = prepare (store, sql, error);
  if (stmt == NULL)
    goto out;
  for (guint i = 0; i < n_binds; i++)
    sqlite3_bind_text (stmt, i + 1, binds[i], -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      *result = sqlite3_column_int64 (stmt, 0);
      ok = TRUE;
    }
  else
    set_sql_error (store, error, "Query failed");
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
out:
  g_mutex_unlock (&store->lock);
  return ok;
}

static void
free_strv_array (GPtrArray *a)
{
  g_ptr_array_unref (a);
}

GPtrArray *
sb_store_patients_for_practitioner (SbStore *store, const char *practitioner_id)
{
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *ref = g_strdup_printf ("Practitioner/%s", practitioner_id);
  const char *binds[] = { ref };

  sb_store_query (store,
                  "SELECT id FROM params WHERE type = 'Patient' AND name = 'general-practitioner' "
                  "AND value = ? ORDER BY id",
                  binds, 1, ids, NULL, NULL);
  return ids;
}

GPtrArray *
sb_store_find_patients (SbStore *store, const char *name_query, guint limit)
{
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *folded = g_utf8_strdown (name_query ? name_query : "", -1);
  g_autofree char *sql = NULL;
  g_auto(GStrv) words = g_strsplit_set (g_strstrip (folded), " \t,", -1);
  GString *where = g_string_new ("SELECT r.id FROM resources r WHERE r.type = 'Patient'");
  GPtrArray *binds = g_ptr_array_new_with_free_func (g_free);

  /* Every word must start some part of a name ("jo smi" finds John Smith). */
  for (guint i = 0; words[i] != NULL; i++)
    {
      if (*words[i] == '\0')
        continue;
      g_string_append (where, " AND EXISTS (SELECT 1 FROM params p WHERE p.type = 'Patient' "
                              "AND p.id = r.id AND p.name = 'name' AND p.value >= ? AND p.value < ?)");
      g_ptr_array_add (binds, g_strdup (words[i]));
      g_ptr_array_add (binds, g_strconcat (words[i], "\xf4\x8f\xbf\xbf", NULL));
    }
  g_string_append_printf (where, " ORDER BY r.id LIMIT %u", limit);
  sql = g_string_free (where, FALSE);
  sb_store_query (store, sql, (const char *const *) binds->pdata, binds->len, ids, NULL, NULL);
  free_strv_array (binds);
  return ids;
}

JsonObject *
sb_store_type_counts (SbStore *store)
{
  g_autoptr(GPtrArray) types = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) counts = g_ptr_array_new_with_free_func (g_free);
  JsonObject *o = json_object_new ();

  sb_store_query (store, "SELECT type, COUNT(*) FROM resources GROUP BY type ORDER BY type",
                  NULL, 0, types, counts, NULL);
  for (guint i = 0; i < types->len; i++)
    json_object_set_int_member (o, types->pdata[i], g_ascii_strtoll (counts->pdata[i], NULL, 10));
  return o;
}

static gboolean
all_digits (const char *s, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isdigit (s[i]))
      return FALSE;
  return TRUE;
}

gboolean
sb_store_date_range (const char *value, char **lo, char **hi)
{
  gsize len = strlen (value);
  int y, m = 0, d = 0;

  *lo = *hi = NULL;
  if (len < 4 || !all_digits (value, 4))
    return FALSE;
  y = atoi (value);
  if (len == 4)
    {
      *lo = g_strdup_printf ("%04d-01-01T00:00:00", y);
      *hi = g_strdup_printf ("%04d-12-31T23:59:59", y);
      return TRUE;
    }
  if (len < 7 || value[4] != '-' || !all_digits (value + 5, 2))
    return FALSE;
  m = atoi (value + 5);
  if (m < 1 || m > 12)
    return FALSE;
  if (len == 7)
    {
      *lo = g_strdup_printf ("%04d-%02d-01T00:00:00", y, m);
      *hi = g_strdup_printf ("%04d-%02d-%02dT23:59:59", y, m,
                             g_date_get_days_in_month (m, y));
      return TRUE;
    }
  if (len < 10 || value[7] != '-' || !all_digits (value + 8, 2))
    return FALSE;
  d = atoi (value + 8);
  if (d < 1 || d > g_date_get_days_in_month (m, y))
    return FALSE;
  if (len == 10)
    {
      *lo = g_strdup_printf ("%04d-%02d-%02dT00:00:00", y, m, d);
      *hi = g_strdup_printf ("%04d-%02d-%02dT23:59:59", y, m, d);
      return TRUE;
    }
  else
    {
      g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
      g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (value, utc);
      g_autoptr(GDateTime) dt_utc = NULL;

      if (dt == NULL)
        return FALSE;
      dt_utc = g_date_time_to_utc (dt);
      *lo = g_date_time_format (dt_utc, "%Y-%m-%dT%H:%M:%S");
      *hi = g_strdup (*lo);
      return TRUE;
    }
}
