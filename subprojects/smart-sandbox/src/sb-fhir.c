/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "smart-sandbox"

#include "config.h"

#include "sb-fhir.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "sb-authz.h"
#include "sb-events.h"
#include "sb-faults.h"
#include "sb-idp.h"
#include "sb-inproc.h"
#include "sb-keys.h"
#include "sb-store.h"

#define FHIR_JSON "application/fhir+json"
#define DEFAULT_COUNT 100
#define MAX_COUNT 100
#define LAMBDA_TIMEOUT_MS 1000
#define MAX_PATIENT_IDS 5000
/* Above any valid UTF-8 character: "value < prefix + this" is a prefix match. */
#define UTF8_MAX "\xf4\x8f\xbf\xbf"

struct _SbFhir
{
  SbContext  *ctx;
  SbLambda   *lambda;
  gboolean    in_process;
  JsonObject *external_config;
};

typedef enum
{
  P_STRING,
  P_TOKEN,
  P_REFERENCE,
  P_DATE
} ParamKind;

typedef struct
{
  const char *name;
  ParamKind   kind;
} ParamDef;

typedef struct
{
  const char     *type;
  const ParamDef *params;
  const char     *include;   /* the one _include this type supports, or NULL */
} TypeDef;

static const ParamDef patient_params[] = {
  { "name", P_STRING }, { "family", P_STRING }, { "given", P_STRING },
  { "birthdate", P_DATE }, { "gender", P_TOKEN }, { "identifier", P_TOKEN },
  { "general-practitioner", P_REFERENCE }, { NULL, 0 }
};
static const ParamDef practitioner_params[] = {
  { "name", P_STRING }, { "family", P_STRING }, { "given", P_STRING },
  { "gender", P_TOKEN }, { "identifier", P_TOKEN }, { NULL, 0 }
};
static const ParamDef condition_params[] = {
  { "subject", P_REFERENCE }, { "patient", P_REFERENCE }, { "clinical-status", P_TOKEN },
  { "verification-status", P_TOKEN }, { "category", P_TOKEN }, { "code", P_TOKEN },
  { "onset-date", P_DATE }, { "recorded-date", P_DATE }, { "identifier", P_TOKEN }, { NULL, 0 }
};
static const ParamDef medstatement_params[] = {
  { "subject", P_REFERENCE }, { "patient", P_REFERENCE }, { "status", P_TOKEN },
  { "category", P_TOKEN }, { "code", P_TOKEN }, { "medication", P_REFERENCE },
  { "effective", P_DATE }, { "identifier", P_TOKEN }, { NULL, 0 }
};
static const ParamDef medrequest_params[] = {
  { "subject", P_REFERENCE }, { "patient", P_REFERENCE }, { "status", P_TOKEN },
  { "category", P_TOKEN }, { "code", P_TOKEN }, { "medication", P_REFERENCE },
  { "intent", P_TOKEN }, { "authoredon", P_DATE }, { "identifier", P_TOKEN }, { NULL, 0 }
};
static const ParamDef medication_params[] = {
  { "code", P_TOKEN }, { "status", P_TOKEN }, { NULL, 0 }
};
static const ParamDef clinical_params[] = {
  { "subject", P_REFERENCE }, { "patient", P_REFERENCE }, { "clinical-status", P_TOKEN },
  { "category", P_TOKEN }, { "code", P_TOKEN }, { "status", P_TOKEN }, { NULL, 0 }
};
static const ParamDef organization_params[] = {
  { "name", P_STRING }, { "identifier", P_TOKEN }, { NULL, 0 }
};

static const TypeDef types[] = {
  { "Patient", patient_params, NULL },
  { "Practitioner", practitioner_params, NULL },
  { "Condition", condition_params, NULL },
  { "MedicationStatement", medstatement_params, "MedicationStatement:medication" },
  { "MedicationRequest", medrequest_params, "MedicationRequest:medication" },
  { "Medication", medication_params, NULL },
  { "AllergyIntolerance", clinical_params, NULL },
  { "Observation", clinical_params, NULL },
  { "Encounter", clinical_params, NULL },
  { "Immunization", clinical_params, NULL },
  { "Procedure", clinical_params, NULL },
  { "Organization", organization_params, NULL },
};

static const ParamDef common_params[] = {
  { "_id", P_TOKEN }, { "_lastUpdated", P_DATE }, { NULL, 0 }
};

/* Result parameters: understood, never a filter. */
static const char *const control_params[] = {
  "_count", "_include", "_summary", "_format", "_pretty", "page", NULL
};

static const TypeDef *
find_type (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    if (strcmp (types[i].type, name) == 0)
      return &types[i];
  return NULL;
}

static const ParamDef *
find_param (const TypeDef *t, const char *name)
{
  for (const ParamDef *p = common_params; p->name; p++)
    if (strcmp (p->name, name) == 0)
      return p;
  for (const ParamDef *p = t->params; p->name; p++)
    if (strcmp (p->name, name) == 0)
      return p;
  return NULL;
}

/* ---- responses ---- */

static void
append_json_string (GString *s, const char *text)
{
  g_string_append_c (s, '"');
  for (const char *p = text; *p; p++)
    {
      guchar c = *p;

      if (c == '"' || c == '\\')
        {
          g_string_append_c (s, '\\');
          g_string_append_c (s, c);
        }
      else if (c < 0x20)
        g_string_append_printf (s, "\\u%04x", c);
      else
        g_string_append_c (s, c);
    }
  g_string_append_c (s, '"');
}

static void
respond_text (SbFhir *fhir, SoupServerMessage *msg, guint status, const char *content_type, char *body)
{
  gsize len = strlen (body);

  if (sb_faults_truncate_json (fhir->ctx->faults) && len > 1)
    len /= 2;
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_TAKE, body, len);
}

static const char *
issue_code_for (guint status)
{
  switch (status)
    {
    case 400: return "invalid";
    case 401: return "login";
    case 403: return "forbidden";
    case 404: return "not-found";
    case 405: return "not-supported";
    case 429: return "throttled";
    default: return "exception";
    }
}

static void
respond_outcome (SbFhir *fhir, SoupServerMessage *msg, guint status, const char *code, const char *diagnostics)
{
  GString *s = g_string_new ("{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\",\"code\":");

  append_json_string (s, code ? code : issue_code_for (status));
  g_string_append (s, ",\"diagnostics\":");
  append_json_string (s, diagnostics);
  g_string_append (s, "}]}");
  respond_text (fhir, msg, status, FHIR_JSON, g_string_free (s, FALSE));
}

static void
respond_json_object (SbFhir *fhir, SoupServerMessage *msg, const char *content_type, JsonObject *o)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), o);

  respond_text (fhir, msg, SOUP_STATUS_OK, content_type, json_to_string (node, TRUE));
}

/* ---- query strings ---- */

static char *
form_unescape (const char *s, gssize len)
{
  g_autofree char *copy = len < 0 ? g_strdup (s) : g_strndup (s, len);

  for (char *p = copy; *p; p++)
    if (*p == '+')
      *p = ' ';
  return g_uri_unescape_string (copy, NULL);
}

GPtrArray *
sb_fhir_parse_query (const char *query)
{
  GPtrArray *params = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) pairs = NULL;

  if (query == NULL || *query == '\0')
    return params;
  pairs = g_strsplit (query, "&", -1);
  for (guint i = 0; pairs[i] != NULL; i++)
    {
      char *eq = strchr (pairs[i], '=');
      char *name, *value;

      if (*pairs[i] == '\0')
        continue;
      name = eq ? form_unescape (pairs[i], eq - pairs[i]) : form_unescape (pairs[i], -1);
      value = eq ? form_unescape (eq + 1, -1) : g_strdup ("");
      if (name == NULL || value == NULL)
        {
          /* Invalid %-escapes: keep a marker the search rejects. */
          g_free (name);
          g_free (value);
          name = g_strdup ("\x01invalid");
          value = g_strdup ("");
        }
      g_ptr_array_add (params, name);
      g_ptr_array_add (params, value);
    }
  return params;
}

static void
append_query (GString *s, GPtrArray *params)
{
  for (guint i = 0; i + 1 < params->len; i += 2)
    {
      g_autofree char *n = g_uri_escape_string (params->pdata[i], NULL, FALSE);
      g_autofree char *v = g_uri_escape_string (params->pdata[i + 1], ":|,", FALSE);

      g_string_append_printf (s, "%s%s=%s", i == 0 ? "" : "&", n, v);
    }
}

/* ---- page tokens ---- */

/* The token carries the whole query and where the last page ended, so the
 * next link works for GET and POST searches alike.  It is opaque to
 * clients (base64url of JSON), as HealthLake's are. */
static char *
encode_page_token (const char *type, GPtrArray *params, const char *after_id, guint count)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  char *b64;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "t");
  json_builder_add_string_value (b, type);
  json_builder_set_member_name (b, "a");
  json_builder_add_string_value (b, after_id);
  json_builder_set_member_name (b, "c");
  json_builder_add_int_value (b, count);
  json_builder_set_member_name (b, "p");
  json_builder_begin_array (b);
  for (guint i = 0; i < params->len; i++)
    json_builder_add_string_value (b, params->pdata[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = json_to_string (root, FALSE);
  b64 = g_base64_encode ((const guchar *) text, strlen (text));
  for (char *p = b64; *p; p++)
    if (*p == '+')
      *p = '-';
    else if (*p == '/')
      *p = '_';
  while (*b64 && b64[strlen (b64) - 1] == '=')
    b64[strlen (b64) - 1] = '\0';
  return b64;
}

static gboolean
decode_page_token (const char *token, const char *type, GPtrArray **params, char **after_id, guint *count)
{
  g_autofree char *b64 = NULL;
  g_autofree guchar *raw = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len, blen;
  JsonObject *o;
  JsonArray *p;

  if (strlen (token) > 8192)
    return FALSE;
  blen = strlen (token);
  b64 = g_malloc0 (blen + 4);
  memcpy (b64, token, blen);
  for (char *c = b64; *c; c++)
    {
      if (*c == '-')
        *c = '+';
      else if (*c == '_')
        *c = '/';
      else if (!g_ascii_isalnum (*c))
        return FALSE;
    }
  while (blen % 4 != 0)
    b64[blen++] = '=';
  raw = g_base64_decode (b64, &len);
  if (raw == NULL || !json_parser_load_from_data (parser, (const char *) raw, len, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return FALSE;
  o = json_node_get_object (json_parser_get_root (parser));
  if (g_strcmp0 (json_object_get_string_member_with_default (o, "t", NULL), type) != 0
      || !json_object_has_member (o, "a") || !json_object_has_member (o, "p")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "p")))
    return FALSE;
  *after_id = g_strdup (json_object_get_string_member_with_default (o, "a", ""));
  *count = json_object_get_int_member_with_default (o, "c", DEFAULT_COUNT);
  if (*count > MAX_COUNT)
    *count = MAX_COUNT;
  p = json_object_get_array_member (o, "p");
  *params = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < json_array_get_length (p); i++)
    {
      JsonNode *e = json_array_get_element (p, i);

      if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING)
        {
          g_clear_pointer (params, g_ptr_array_unref);
          g_clear_pointer (after_id, g_free);
          return FALSE;
        }
      g_ptr_array_add (*params, g_strdup (json_node_get_string (e)));
    }
  if ((*params)->len % 2 != 0)
    {
      g_clear_pointer (params, g_ptr_array_unref);
      g_clear_pointer (after_id, g_free);
      return FALSE;
    }
  return TRUE;
}

/* ---- requests ---- */

typedef struct
{
  SbFhir            *fhir;
  SoupServerMessage *msg;
  gboolean           gone;        /* the client went away while we waited */
  SbInteraction      interaction;
  char              *operation;   /* HealthLake operationName */
  char              *type;
  char              *id;
  GPtrArray         *params;      /* search (name, value) pairs */
  gboolean           strict;
  gint64             start_us;
  char              *path;        /* for events */
  char              *decision;    /* for events */
  char              *granted_by;
  char              *jti;         /* only while the expire switch holds tokens */
} Request;

static void
request_gone (SoupServerMessage *msg, Request *req)
{
  req->gone = TRUE;
}

static void
request_free (Request *req)
{
  if (req->msg != NULL)
    {
      g_signal_handlers_disconnect_by_data (req->msg, req);
      g_object_unref (req->msg);
    }
  g_free (req->operation);
  g_free (req->type);
  g_free (req->id);
  g_clear_pointer (&req->params, g_ptr_array_unref);
  g_free (req->path);
  g_free (req->decision);
  g_free (req->granted_by);
  g_free (req->jti);
  g_free (req);
}

static void
emit_request_event (Request *req, guint status)
{
  JsonObject *f = json_object_new ();

  json_object_set_string_member (f, "method", soup_server_message_get_method (req->msg));
  json_object_set_string_member (f, "path", req->path);
  if (req->type)
    json_object_set_string_member (f, "resourceType", req->type);
  json_object_set_int_member (f, "status", status);
  json_object_set_string_member (f, "decision", req->decision ? req->decision : "none");
  if (req->granted_by)
    json_object_set_string_member (f, "grantedBy", req->granted_by);
  json_object_set_int_member (f, "latency_us", g_get_monotonic_time () - req->start_us);
  sb_events_emit (req->fhir->ctx->events, "fhir-request", f);
}

static void
set_decision (Request *req, const char *decision)
{
  g_free (req->decision);
  req->decision = g_strdup (decision);
}

/* Builds "AND r.id IN (…)" for one occurrence of a search parameter (a comma
 * list is an OR).  FALSE with *error_msg for an unusable value. */
static gboolean
build_param_clause (const char *type, const ParamDef *def, const char *modifier,
                    const char *value, GString *sql, GPtrArray *binds, char **error_msg)
{
  g_auto(GStrv) alts = g_strsplit (value, ",", -1);

  if (*value == '\0')
    {
      *error_msg = g_strdup_printf ("The search parameter %s has an empty value", def->name);
      return FALSE;
    }
  if (modifier != NULL
      && !(def->kind == P_STRING && (strcmp (modifier, "exact") == 0 || strcmp (modifier, "contains") == 0)))
    {
      *error_msg = g_strdup_printf ("The modifier :%s is not supported for %s", modifier, def->name);
      return FALSE;
    }

  if (strcmp (def->name, "_id") == 0)
    {
      g_string_append (sql, " AND r.id IN (");
      for (guint i = 0; alts[i] != NULL; i++)
        {
          g_string_append (sql, i ? ",?" : "?");
          g_ptr_array_add (binds, g_strdup (alts[i]));
        }
      g_string_append (sql, ")");
      return TRUE;
    }

  /* "r.id IN (…)" rather than a correlated EXISTS: SQLite then drives the
   * search from the params index instead of scanning every resource of
   * the type (100x faster on the large record). */
  g_string_append (sql, " AND r.id IN (SELECT p.id FROM params p WHERE p.type = ? AND p.name = ? AND (");
  g_ptr_array_add (binds, g_strdup (type));
  g_ptr_array_add (binds, g_strdup (def->name));
  for (guint i = 0; alts[i] != NULL; i++)
    {
      const char *v = alts[i];

      if (i > 0)
        g_string_append (sql, " OR ");
      switch (def->kind)
        {
        case P_STRING:
          {
            g_autofree char *folded = g_utf8_strdown (v, -1);

            if (modifier != NULL && strcmp (modifier, "exact") == 0)
              {
                g_string_append (sql, "p.lo = ?");
                g_ptr_array_add (binds, g_strdup (v));
              }
            else if (modifier != NULL)
              {
                g_string_append (sql, "instr(p.value, ?) > 0");
                g_ptr_array_add (binds, g_strdup (folded));
              }
            else
              {
                g_string_append (sql, "(p.value >= ? AND p.value < ?)");
                g_ptr_array_add (binds, g_strdup (folded));
                g_ptr_array_add (binds, g_strconcat (folded, UTF8_MAX, NULL));
              }
          }
          break;

        case P_TOKEN:
          if (g_str_has_suffix (v, "|") && strlen (v) > 1)
            {
              g_string_append (sql, "(p.value >= ? AND p.value < ?)");
              g_ptr_array_add (binds, g_strdup (v));
              g_ptr_array_add (binds, g_strconcat (v, UTF8_MAX, NULL));
            }
          else
            {
              g_string_append (sql, "p.value = ?");
              g_ptr_array_add (binds, g_strdup (v));
            }
          break;

        case P_REFERENCE:
          {
            const char *slash = strrchr (v, '/');

            if (slash != NULL)
              {
                /* Absolute references are reduced to Type/id. */
                const char *start = slash;

                while (start > v && start[-1] != '/')
                  start--;
                if (start == v && slash == v)
                  {
                    *error_msg = g_strdup_printf ("Bad reference in %s", def->name);
                    return FALSE;
                  }
                g_string_append (sql, "p.value = ?");
                g_ptr_array_add (binds, g_strdup (start));
              }
            else if (strcmp (def->name, "patient") == 0)
              {
                g_string_append (sql, "p.value = ?");
                g_ptr_array_add (binds, g_strconcat ("Patient/", v, NULL));
              }
            else if (strcmp (def->name, "general-practitioner") == 0)
              {
                g_string_append (sql, "p.value = ?");
                g_ptr_array_add (binds, g_strconcat ("Practitioner/", v, NULL));
              }
            else
              {
                g_string_append (sql, "p.lo = ?");
                g_ptr_array_add (binds, g_strdup (v));
              }
          }
          break;

        case P_DATE:
          {
            static const char *const prefixes[] = { "eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap", NULL };
            char prefix[3] = "eq";
            g_autofree char *lo = NULL;
            g_autofree char *hi = NULL;

            if (g_ascii_isalpha (v[0]) && g_ascii_isalpha (v[1]))
              {
                prefix[0] = v[0];
                prefix[1] = v[1];
                if (!g_strv_contains (prefixes, prefix))
                  {
                    *error_msg = g_strdup_printf ("Unknown prefix %s in %s", prefix, def->name);
                    return FALSE;
                  }
                v += 2;
              }
            if (!sb_store_date_range (v, &lo, &hi))
              {
                *error_msg = g_strdup_printf ("The value of %s is not a FHIR date: %s", def->name, v);
                return FALSE;
              }
            if (strcmp (prefix, "eq") == 0)
              g_string_append (sql, "(p.lo >= ? AND p.hi <= ?)");
            else if (strcmp (prefix, "ne") == 0)
              g_string_append (sql, "NOT (p.lo >= ? AND p.hi <= ?)");
            else if (strcmp (prefix, "gt") == 0 || strcmp (prefix, "sa") == 0)
              g_string_append (sql, strcmp (prefix, "gt") == 0 ? "(? IS NOT NULL AND p.hi > ?)"
                                                              : "(? IS NOT NULL AND p.lo > ?)");
            else if (strcmp (prefix, "lt") == 0 || strcmp (prefix, "eb") == 0)
              g_string_append (sql, strcmp (prefix, "lt") == 0 ? "(p.lo < ? AND ? IS NOT NULL)"
                                                              : "(p.hi < ? AND ? IS NOT NULL)");
            else if (strcmp (prefix, "ge") == 0)
              g_string_append (sql, "(p.hi >= ? AND ? IS NOT NULL)");
            else if (strcmp (prefix, "le") == 0)
              g_string_append (sql, "(? IS NOT NULL AND p.lo <= ?)");
            else /* ap */
              g_string_append (sql, "(p.hi >= ? AND p.lo <= ?)");
            g_ptr_array_add (binds, g_strdup (lo));
            g_ptr_array_add (binds, g_strdup (hi));
          }
          break;
        }
    }
  g_string_append (sql, "))");
  return TRUE;
}

/* Patient ids a search names explicitly (subject/patient/_id on Patient). */
static void
collect_named_patients (const char *type, const char *name, const char *value, GPtrArray *out)
{
  g_auto(GStrv) alts = g_strsplit (value, ",", -1);
  gboolean is_patient_ref = strcmp (name, "patient") == 0 || strcmp (name, "subject") == 0;
  gboolean is_patient_id = strcmp (type, "Patient") == 0 && strcmp (name, "_id") == 0;

  if (!is_patient_ref && !is_patient_id)
    return;
  for (guint i = 0; alts[i] != NULL; i++)
    {
      const char *v = alts[i];
      const char *slash = strrchr (v, '/');

      if (is_patient_id)
        g_ptr_array_add (out, g_strdup (v));
      else if (slash == NULL)
        {
          if (strcmp (name, "patient") == 0)
            g_ptr_array_add (out, g_strdup (v));
        }
      else if (slash - v >= 7 && strncmp (slash - 7, "Patient", 7) == 0)
        g_ptr_array_add (out, g_strdup (slash + 1));
    }
}

static char *
patients_json (GPtrArray *ids)
{
  GString *s = g_string_new ("[");

  for (guint i = 0; i < ids->len; i++)
    {
      if (i)
        g_string_append_c (s, ',');
      append_json_string (s, ids->pdata[i]);
    }
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

static void
do_search (Request *req, const SbAuthzDecision *authz)
{
  SbFhir *fhir = req->fhir;
  SbContext *ctx = fhir->ctx;
  const TypeDef *t = find_type (req->type);
  g_autoptr(GPtrArray) params = NULL;
  g_autoptr(GPtrArray) binds = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) named = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *after = NULL;
  g_autofree char *where = NULL;
  g_autofree char *sql = NULL;
  g_autofree char *count_sql = NULL;
  g_autofree char *compartment = NULL;
  GString *w = g_string_new (NULL);
  guint count = DEFAULT_COUNT;
  gboolean summary_count = FALSE;
  gboolean include = FALSE;
  gboolean from_token = FALSE;
  gint64 total = 0;
  GString *bundle;
  const char *page = NULL;

  for (guint i = 0; i + 1 < req->params->len; i += 2)
    if (strcmp (req->params->pdata[i], "page") == 0)
      page = req->params->pdata[i + 1];

  if (page != NULL)
    {
      guint c;

      if (!decode_page_token (page, req->type, &params, &after, &c))
        {
          g_string_free (w, TRUE);
          respond_outcome (fhir, req->msg, 400, "invalid", "The page token is not valid for this search");
          return;
        }
      count = c;
      from_token = TRUE;
    }
  else
    params = g_ptr_array_ref (req->params);

  for (guint i = 0; i + 1 < params->len; i += 2)
    {
      const char *full = params->pdata[i];
      const char *value = params->pdata[i + 1];
      g_autofree char *name = g_strdup (full);
      char *colon = strchr (name, ':');
      const char *modifier = NULL;
      const ParamDef *def;
      g_autofree char *err = NULL;

      if (colon != NULL)
        {
          *colon = '\0';
          modifier = colon + 1;
        }
      if (g_strv_contains (control_params, name))
        {
          if (strcmp (name, "_count") == 0)
            {
              guint64 n;

              if (!g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT, &n, NULL))
                {
                  g_string_free (w, TRUE);
                  respond_outcome (fhir, req->msg, 400, "invalid", "_count must be a non-negative integer");
                  return;
                }
              count = MIN (n, MAX_COUNT);
              if (n == 0)
                summary_count = TRUE;
            }
          else if (strcmp (name, "_summary") == 0)
            {
              if (strcmp (value, "count") == 0)
                summary_count = TRUE;
              else if (req->strict && strcmp (value, "false") != 0)
                {
                  g_string_free (w, TRUE);
                  respond_outcome (fhir, req->msg, 400, "not-supported",
                                   "Only _summary=count is supported");
                  return;
                }
            }
          else if (strcmp (name, "_include") == 0)
            {
              if (t->include != NULL && strcmp (value, t->include) == 0)
                include = TRUE;
              else if (req->strict)
                {
                  g_autofree char *m = g_strdup_printf ("_include=%s is not supported", value);

                  g_string_free (w, TRUE);
                  respond_outcome (fhir, req->msg, 400, "not-supported", m);
                  return;
                }
            }
          continue;
        }
      def = find_param (t, name);
      if (def == NULL)
        {
          if (req->strict)
            {
              g_autofree char *m = g_strdup_printf ("Unknown search parameter %s for %s", full, req->type);

              g_string_free (w, TRUE);
              respond_outcome (fhir, req->msg, 400, "not-supported", m);
              return;
            }
          /* Lenient handling (the FHIR default): ignored. */
          continue;
        }
      if (!build_param_clause (req->type, def, modifier, value, w, binds, &err))
        {
          g_string_free (w, TRUE);
          respond_outcome (fhir, req->msg, 400, "invalid", err);
          return;
        }
      collect_named_patients (req->type, name, value, named);
    }

  if (!authz->unrestricted && sb_authz_type_in_compartment (req->type))
    {
      for (guint i = 0; i < named->len; i++)
        if (!sb_authz_patient_allowed (authz, named->pdata[i]))
          {
            g_autofree char *m = g_strdup_printf ("The granted scopes do not reach Patient/%s",
                                                  (char *) named->pdata[i]);

            g_string_free (w, TRUE);
            set_decision (req, "denied: other patient");
            respond_outcome (fhir, req->msg, 403, "forbidden", m);
            return;
          }
      compartment = patients_json (authz->patients);
      g_string_append (w, " AND r.patient IN (SELECT value FROM json_each(?))");
      g_ptr_array_add (binds, g_strdup (compartment));
    }

  where = g_string_free (w, FALSE);
  count_sql = g_strdup_printf ("SELECT COUNT(*) FROM resources r WHERE r.type = ?%s", where);
  g_ptr_array_insert (binds, 0, g_strdup (req->type));
  if (!sb_store_query_int (ctx->store, count_sql, (const char *const *) binds->pdata, binds->len,
                           &total, &error))
    {
      respond_outcome (fhir, req->msg, 500, "exception", "The search failed");
      g_warning ("search failed: %s", error->message);
      return;
    }

  bundle = g_string_new ("{\"resourceType\":\"Bundle\",\"id\":");
  {
    g_autofree char *uuid = g_uuid_string_random ();
    g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
    g_autofree char *ts = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");

    append_json_string (bundle, uuid);
    g_string_append (bundle, ",\"meta\":{\"lastUpdated\":");
    /* %f gives microseconds; FHIR instants allow any fraction. */
    append_json_string (bundle, ts);
    g_string_append (bundle, "},\"type\":\"searchset\"");
  }
  g_string_append_printf (bundle, ",\"total\":%" G_GINT64_FORMAT ",\"link\":[{\"relation\":\"self\",\"url\":", total);
  {
    GString *self = g_string_new (ctx->fhir_base);

    g_string_append (self, req->type);
    if (from_token)
      g_string_append_printf (self, "?page=%s", page);
    else if (params->len > 0)
      {
        g_string_append_c (self, '?');
        append_query (self, params);
      }
    append_json_string (bundle, self->str);
    g_string_free (self, TRUE);
  }
  g_string_append (bundle, "}");

  if (!summary_count)
    {
      g_autofree char *next_after = NULL;
      gboolean more;

      sql = g_strdup_printf ("SELECT r.id, r.json FROM resources r WHERE r.type = ?%s%s ORDER BY r.id LIMIT %u",
                             where, after ? " AND r.id > ?" : "", count + 1);
      if (after != NULL)
        g_ptr_array_add (binds, g_strdup (after));
      if (!sb_store_query (ctx->store, sql, (const char *const *) binds->pdata, binds->len,
                           ids, texts, &error))
        {
          g_string_free (bundle, TRUE);
          respond_outcome (fhir, req->msg, 500, "exception", "The search failed");
          g_warning ("search failed: %s", error->message);
          return;
        }
      more = ids->len > count;
      if (more)
        {
          g_ptr_array_set_size (ids, count);
          g_ptr_array_set_size (texts, count);
          next_after = g_strdup (ids->pdata[count - 1]);
        }
      if (more)
        {
          g_autofree char *token = encode_page_token (req->type, params, next_after, count);
          g_autofree char *url = NULL;

          if (sb_faults_foreign_next_link (ctx->faults))
            url = g_strdup_printf ("https://foreign.example/datastore/%s/r4/%s?page=%s",
                                   ctx->datastore_id, req->type, token);
          else
            url = g_strdup_printf ("%s%s?page=%s", ctx->fhir_base, req->type, token);
          g_string_append (bundle, ",{\"relation\":\"next\",\"url\":");
          append_json_string (bundle, url);
          g_string_append (bundle, "}");
        }
      /* FHIR JSON has no empty arrays: no matches, no "entry". */
      g_string_append (bundle, ids->len > 0 ? "],\"entry\":[" : "]");
      for (guint i = 0; i < ids->len; i++)
        {
          g_string_append (bundle, i ? ",{\"fullUrl\":" : "{\"fullUrl\":");
          g_string_append_printf (bundle, "\"%s%s/", ctx->fhir_base, req->type);
          /* ids are [A-Za-z0-9.-] by construction of the store. */
          g_string_append (bundle, ids->pdata[i]);
          g_string_append (bundle, "\",\"resource\":");
          g_string_append (bundle, texts->pdata[i]);
          g_string_append (bundle, ",\"search\":{\"mode\":\"match\"}}");
        }

      if (include && ids->len > 0)
        {
          g_autoptr(GPtrArray) med_ids = g_ptr_array_new_with_free_func (g_free);
          g_autofree char *id_list = patients_json (ids);
          const char *ib[] = { req->type, id_list };

          sb_store_query (ctx->store,
                          "SELECT DISTINCT p.lo FROM params p WHERE p.type = ? AND p.name = 'medication' "
                          "AND p.value LIKE 'Medication/%' AND p.id IN (SELECT value FROM json_each(?)) "
                          "ORDER BY p.lo",
                          ib, 2, med_ids, NULL, NULL);
          for (guint i = 0; i < med_ids->len; i++)
            {
              g_autofree char *text = sb_store_get_text (ctx->store, "Medication", med_ids->pdata[i], NULL);

              if (text == NULL)
                continue;
              g_string_append_printf (bundle, ",{\"fullUrl\":\"%sMedication/%s\",\"resource\":",
                                      ctx->fhir_base, (char *) med_ids->pdata[i]);
              g_string_append (bundle, text);
              g_string_append (bundle, ",\"search\":{\"mode\":\"include\"}}");
            }
        }
      g_string_append (bundle, ids->len > 0 ? "]}" : "}");
    }
  else
    g_string_append (bundle, "]}");

  respond_text (fhir, req->msg, SOUP_STATUS_OK, FHIR_JSON, g_string_free (bundle, FALSE));
}

static void
do_read (Request *req, const SbAuthzDecision *authz)
{
  SbFhir *fhir = req->fhir;
  g_autofree char *patient = NULL;
  char *text = sb_store_get_text (fhir->ctx->store, req->type, req->id, &patient);

  if (text == NULL)
    {
      g_autofree char *m = g_strdup_printf ("Resource %s/%s is not known", req->type, req->id);

      respond_outcome (fhir, req->msg, 404, "not-found", m);
      return;
    }
  if (!authz->unrestricted && sb_authz_type_in_compartment (req->type)
      && !sb_authz_patient_allowed (authz, patient))
    {
      g_free (text);
      set_decision (req, "denied: other patient");
      respond_outcome (fhir, req->msg, 403, "forbidden",
                       "The granted scopes do not reach the patient this resource belongs to");
      return;
    }
  soup_message_headers_replace (soup_server_message_get_response_headers (req->msg), "ETag", "W/\"1\"");
  respond_text (fhir, req->msg, SOUP_STATUS_OK, FHIR_JSON, text);
}

static void
unauthorized (SbFhir *fhir, SoupServerMessage *msg, const char *error, const char *diagnostics)
{
  g_autofree char *h = NULL;

  if (error != NULL)
    h = g_strdup_printf ("Bearer realm=\"%s\", error=\"%s\"", fhir->ctx->fhir_base, error);
  else
    h = g_strdup_printf ("Bearer realm=\"%s\"", fhir->ctx->fhir_base);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "WWW-Authenticate", h);
  respond_outcome (fhir, msg, 401, "login", diagnostics);
}

/* The Lambda (or in-process) answer arrived: enforce it and serve. */
static void
authorized_step (Request *req, SbLambdaStatus status, JsonObject *response,
                 const char *request_id, gint64 latency_us)
{
  SbFhir *fhir = req->fhir;
  SbContext *ctx = fhir->ctx;
  g_autofree char *reason = NULL;
  SbAuthzDecision authz = { 0 };
  JsonObject *payload = NULL;
  JsonObject *ev = json_object_new ();
  gboolean valid = FALSE, expired_by_switch = FALSE;
  guint code;

  if (request_id != NULL)
    json_object_set_string_member (ev, "requestId", request_id);
  json_object_set_string_member (ev, "operationName", req->operation);
  json_object_set_string_member (ev, "datastoreEndpoint", ctx->fhir_base);
  json_object_set_string_member (ev, "datastoreId", ctx->datastore_id);
  json_object_set_int_member (ev, "latency_us", latency_us);
  json_object_set_string_member (ev, "runtime", fhir->lambda ? "lambda" : "in-process");
  if (status == SB_LAMBDA_OK && response != NULL)
    {
      JsonNode *p = json_object_get_member (response, "authPayload");

      if (p != NULL && JSON_NODE_HOLDS_OBJECT (p))
        {
          JsonNode *auth;

          payload = json_node_get_object (p);
          auth = json_object_get_member (payload, "isAuthorized");
          if (auth != NULL)
            json_object_set_member (ev, "isAuthorized", json_node_copy (auth));
          if (json_object_has_member (payload, "scope"))
            json_object_set_member (ev, "scope", json_node_copy (json_object_get_member (payload, "scope")));
          if (json_object_has_member (payload, "fhirUser"))
            json_object_set_member (ev, "fhirUser", json_node_copy (json_object_get_member (payload, "fhirUser")));
          if (json_object_has_member (payload, "patient"))
            json_object_set_member (ev, "patient", json_node_copy (json_object_get_member (payload, "patient")));
        }
    }
  if (status == SB_LAMBDA_OK)
    valid = sb_authz_check_response (ctx, response, &reason);
  /* The expire_access_tokens switch overrides a valid answer for the tokens
   * it expired; the event says so, so the inspector can tell who decided. */
  if (valid && sb_faults_access_token_expired (ctx->faults, req->jti))
    {
      valid = FALSE;
      expired_by_switch = TRUE;
      g_free (reason);
      reason = g_strdup ("the access token has expired");
      json_object_set_string_member (ev, "fault", "expire_access_tokens");
      json_object_set_string_member (ev, "reason", reason);
    }
  json_object_set_string_member (ev, "decision",
                                 status == SB_LAMBDA_TIMEOUT ? "timeout"
                                 : status == SB_LAMBDA_ERROR ? "error"
                                 : valid ? "allow" : "deny");
  sb_events_emit (ctx->events, "validator-invocation", ev);

  if (req->gone)
    return;

  if (status == SB_LAMBDA_TIMEOUT)
    {
      set_decision (req, "validator timeout");
      respond_outcome (fhir, req->msg, 500, "timeout", "Timeout during custom Idp execution.");
      goto done;
    }
  if (status == SB_LAMBDA_ERROR)
    {
      set_decision (req, "validator error");
      respond_outcome (fhir, req->msg, 500, "exception", "Error during custom Idp execution.");
      goto done;
    }
  if (!valid)
    {
      set_decision (req, expired_by_switch ? "denied: token expired (fault switch)" : "denied: token");
      unauthorized (fhir, req->msg, "invalid_token", reason);
      goto done;
    }

  sb_authz_decide (ctx, payload, req->type, req->interaction, req->params, &authz);
  if (authz.status != 0)
    {
      set_decision (req, "denied: scope");
      respond_outcome (fhir, req->msg, authz.status, "forbidden", authz.message);
      sb_authz_decision_clear (&authz);
      goto done;
    }
  set_decision (req, "allowed");
  req->granted_by = g_strdup (authz.granted_by);
  if (authz.patients != NULL && authz.patients->len > MAX_PATIENT_IDS)
    g_warning ("a user reaches %u patients; searches will be slow", authz.patients->len);

  if (sb_faults_error_500_for_type (ctx->faults, req->type))
    respond_outcome (fhir, req->msg, 500, "exception", "Internal server error (injected fault)");
  else if (req->interaction == SB_INTERACTION_READ)
    do_read (req, &authz);
  else
    do_search (req, &authz);
  sb_authz_decision_clear (&authz);

done:
  code = soup_server_message_get_status (req->msg);
  emit_request_event (req, code);
  soup_server_message_unpause (req->msg);
}

static void
lambda_done (SbLambdaStatus status, JsonObject *response, const char *request_id,
             gint64 latency_us, gpointer user_data)
{
  Request *req = user_data;

  authorized_step (req, status, response, request_id, latency_us);
  request_free (req);
}

static char *
build_event (SbContext *ctx, const char *operation, const char *token)
{
  GString *s = g_string_new ("{\"datastoreEndpoint\":");

  append_json_string (s, ctx->fhir_base);
  g_string_append (s, ",\"operationName\":");
  append_json_string (s, operation);
  g_string_append (s, ",\"bearerToken\":");
  append_json_string (s, token);
  g_string_append (s, ",\"datastoreId\":");
  append_json_string (s, ctx->datastore_id);
  g_string_append (s, ",\"datastoreTypeVersion\":\"R4\",\"datastoreName\":\"smart-sandbox\"}");
  return g_string_free (s, FALSE);
}

static JsonObject *
smart_configuration (SbFhir *fhir)
{
  SbContext *ctx = fhir->ctx;
  JsonObject *o;
  static const char *const caps[] = {
    "launch-standalone", "client-public", "client-confidential-symmetric",
    "context-standalone-patient", "permission-offline", "permission-online",
    "permission-patient", "permission-user", "permission-v1", "permission-v2",
    "sso-openid-connect", NULL
  };

  if (ctx->external_issuer != NULL)
    {
      o = json_object_new ();
      if (fhir->external_config != NULL)
        {
          static const char *const copy[] = {
            "issuer", "jwks_uri", "authorization_endpoint", "token_endpoint",
            "revocation_endpoint", "introspection_endpoint", "userinfo_endpoint",
            "grant_types_supported", "scopes_supported", "code_challenge_methods_supported",
            "response_types_supported", NULL
          };

          for (guint i = 0; copy[i]; i++)
            if (json_object_has_member (fhir->external_config, copy[i]))
              json_object_set_member (o, copy[i],
                                      json_node_copy (json_object_get_member (fhir->external_config, copy[i])));
        }
      if (!json_object_has_member (o, "issuer"))
        json_object_set_string_member (o, "issuer", ctx->issuer);
    }
  else
    o = sb_idp_smart_configuration (ctx->idp);

  if (!json_object_has_member (o, "capabilities"))
    {
      JsonArray *a = json_array_new ();

      for (guint i = 0; caps[i]; i++)
        json_array_add_string_element (a, caps[i]);
      json_object_set_array_member (o, "capabilities", a);
    }
  if (!json_object_has_member (o, "code_challenge_methods_supported"))
    {
      JsonArray *a = json_array_new ();

      json_array_add_string_element (a, "S256");
      json_object_set_array_member (o, "code_challenge_methods_supported", a);
    }
  if (!json_object_has_member (o, "grant_types_supported"))
    {
      JsonArray *a = json_array_new ();

      json_array_add_string_element (a, "authorization_code");
      json_array_add_string_element (a, "refresh_token");
      json_array_add_string_element (a, "client_credentials");
      json_object_set_array_member (o, "grant_types_supported", a);
    }
  return o;
}

static JsonObject *
capability_statement (SbFhir *fhir)
{
  SbContext *ctx = fhir->ctx;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *date = g_date_time_format (now, "%Y-%m-%d");
  g_autoptr(JsonObject) smart = smart_configuration (fhir);
  JsonNode *root;
  JsonObject *result;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "resourceType");
  json_builder_add_string_value (b, "CapabilityStatement");
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, "active");
  json_builder_set_member_name (b, "date");
  json_builder_add_string_value (b, date);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, "instance");
  json_builder_set_member_name (b, "description");
  json_builder_add_string_value (b, "smart-sandbox: an offline, read-only emulation of a SMART-enabled "
                                    "AWS HealthLake data store. Only read and search-type are implemented; "
                                    "there is no create, update, delete, history, transaction or export.");
  json_builder_set_member_name (b, "software");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, "smart-sandbox");
  json_builder_set_member_name (b, "version");
  json_builder_add_string_value (b, PACKAGE_VERSION);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "implementation");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "description");
  json_builder_add_string_value (b, "smart-sandbox data store");
  json_builder_set_member_name (b, "url");
  json_builder_add_string_value (b, ctx->fhir_base);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "fhirVersion");
  json_builder_add_string_value (b, "4.0.1");
  json_builder_set_member_name (b, "format");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, "application/fhir+json");
  json_builder_add_string_value (b, "json");
  json_builder_end_array (b);
  json_builder_set_member_name (b, "rest");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "mode");
  json_builder_add_string_value (b, "server");
  json_builder_set_member_name (b, "security");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "cors");
  json_builder_add_boolean_value (b, FALSE);
  json_builder_set_member_name (b, "service");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "coding");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "system");
  json_builder_add_string_value (b, "http://terminology.hl7.org/CodeSystem/restful-security-service");
  json_builder_set_member_name (b, "code");
  json_builder_add_string_value (b, "SMART-on-FHIR");
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "extension");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "url");
  json_builder_add_string_value (b, "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris");
  json_builder_set_member_name (b, "extension");
  json_builder_begin_array (b);
  {
    static const char *const map[][2] = {
      { "authorize", "authorization_endpoint" }, { "token", "token_endpoint" },
      { "revoke", "revocation_endpoint" }, { "introspect", "introspection_endpoint" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (map); i++)
      {
        const char *v = json_object_get_string_member_with_default (smart, map[i][1], NULL);

        if (v == NULL)
          continue;
        json_builder_begin_object (b);
        json_builder_set_member_name (b, "url");
        json_builder_add_string_value (b, map[i][0]);
        json_builder_set_member_name (b, "valueUri");
        json_builder_add_string_value (b, v);
        json_builder_end_object (b);
      }
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_end_object (b); /* security */

  json_builder_set_member_name (b, "resource");
  json_builder_begin_array (b);
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "type");
      json_builder_add_string_value (b, types[i].type);
      json_builder_set_member_name (b, "interaction");
      json_builder_begin_array (b);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "code");
      json_builder_add_string_value (b, "read");
      json_builder_end_object (b);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "code");
      json_builder_add_string_value (b, "search-type");
      json_builder_end_object (b);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "versioning");
      json_builder_add_string_value (b, "no-version");
      json_builder_set_member_name (b, "readHistory");
      json_builder_add_boolean_value (b, FALSE);
      json_builder_set_member_name (b, "updateCreate");
      json_builder_add_boolean_value (b, FALSE);
      if (types[i].include != NULL)
        {
          json_builder_set_member_name (b, "searchInclude");
          json_builder_begin_array (b);
          json_builder_add_string_value (b, types[i].include);
          json_builder_end_array (b);
        }
      json_builder_set_member_name (b, "searchParam");
      json_builder_begin_array (b);
      for (int pass = 0; pass < 2; pass++)
        for (const ParamDef *p = pass ? types[i].params : common_params; p->name; p++)
          {
            static const char *const kinds[] = { "string", "token", "reference", "date" };

            json_builder_begin_object (b);
            json_builder_set_member_name (b, "name");
            json_builder_add_string_value (b, p->name);
            json_builder_set_member_name (b, "type");
            json_builder_add_string_value (b, kinds[p->kind]);
            json_builder_end_object (b);
          }
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b); /* rest[0] */
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  result = json_object_ref (json_node_get_object (root));
  json_node_unref (root);
  return result;
}

static gboolean
valid_id (const char *id)
{
  gsize n = 0;

  for (const char *p = id; *p; p++, n++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.')
      return FALSE;
  return n >= 1 && n <= 64;
}

static gboolean
fhir_dispatch (SbFhir            *fhir,
               SoupServerMessage *msg,
               const char        *path,
               const char       **decision)
{
  SbContext *ctx = fhir->ctx;
  const char *method = soup_server_message_get_method (msg);
  SoupMessageHeaders *rh = soup_server_message_get_request_headers (msg);
  g_autofree char *prefix = g_strdup_printf ("/datastore/%s/r4/", ctx->datastore_id);
  g_auto(GStrv) segs = NULL;
  const char *rest, *auth, *prefer;
  g_autofree char *token = NULL;
  g_autofree char *event = NULL;
  Request *req;
  guint n;
  gboolean post_search = FALSE;

  if (!g_str_has_prefix (path, prefix))
    {
      respond_outcome (fhir, msg, 404, "not-found", "No such data store");
      *decision = "no such data store";
      return FALSE;
    }
  rest = path + strlen (prefix);

  if (strcmp (rest, "metadata") == 0 || strcmp (rest, ".well-known/smart-configuration") == 0)
    {
      if (strcmp (method, "GET") != 0)
        {
          respond_outcome (fhir, msg, 405, "not-supported", "Only GET is supported here");
          *decision = "rejected";
          return FALSE;
        }
      if (rest[0] == 'm')
        respond_json_object (fhir, msg, FHIR_JSON, capability_statement (fhir));
      else
        respond_json_object (fhir, msg, "application/json", smart_configuration (fhir));
      *decision = "anonymous";
      return FALSE;
    }

  /* Everything else needs a token, as on HealthLake. */
  auth = soup_message_headers_get_one (rh, "Authorization");
  if (auth != NULL && g_ascii_strncasecmp (auth, "Bearer ", 7) == 0)
    {
      token = g_strstrip (g_strdup (auth + 7));
      if (*token == '\0')
        g_clear_pointer (&token, g_free);
    }
  if (token == NULL)
    {
      unauthorized (fhir, msg, NULL, "This request needs a bearer token");
      *decision = "no token";
      return FALSE;
    }

  segs = g_strsplit (rest, "/", -1);
  n = g_strv_length (segs);
  if (n >= 1 && *segs[n - 1] == '\0')
    n--;   /* a trailing slash */
  if (n == 0 || n > 2 || find_type (segs[0]) == NULL)
    {
      if (n >= 1 && g_ascii_isupper (segs[0][0]) && n <= 2)
        respond_outcome (fhir, msg, 404, "not-supported", "This resource type is not supported");
      else
        respond_outcome (fhir, msg, 400, "not-supported", "This interaction is not supported");
      *decision = "rejected";
      return FALSE;
    }
  if (n == 2 && strcmp (segs[1], "_search") == 0)
    {
      if (strcmp (method, "POST") != 0)
        {
          respond_outcome (fhir, msg, 405, "not-supported", "_search needs POST");
          *decision = "rejected";
          return FALSE;
        }
      post_search = TRUE;
    }
  else if (strcmp (method, "GET") != 0)
    {
      respond_outcome (fhir, msg, 405, "not-supported", "This data store is read-only");
      *decision = "rejected";
      return FALSE;
    }
  else if (n == 2 && !valid_id (segs[1]))
    {
      respond_outcome (fhir, msg, 400, "invalid", "Not a valid resource id");
      *decision = "rejected";
      return FALSE;
    }

  req = g_new0 (Request, 1);
  req->fhir = fhir;
  req->msg = g_object_ref (msg);
  req->start_us = g_get_monotonic_time ();
  req->type = g_strdup (segs[0]);
  req->path = g_strdup (path);
  prefer = soup_message_headers_get_list (rh, "Prefer");
  req->strict = prefer != NULL && strstr (prefer, "handling=strict") != NULL;
  if (n == 2 && !post_search)
    {
      req->interaction = SB_INTERACTION_READ;
      req->id = g_strdup (segs[1]);
      req->operation = g_strdup ("ReadResource");
      req->params = g_ptr_array_new_with_free_func (g_free);
    }
  else
    {
      guint retry_after = 0;

      req->interaction = SB_INTERACTION_SEARCH;
      req->operation = g_strdup (post_search ? "SearchWithPost" : "SearchWithGet");
      req->params = sb_fhir_parse_query (g_uri_get_query (soup_server_message_get_uri (msg)));
      if (post_search)
        {
          SoupMessageBody *body = soup_server_message_get_request_body (msg);
          g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
          g_autofree char *text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
          g_autoptr(GPtrArray) more = sb_fhir_parse_query (g_strstrip (text));

          for (guint i = 0; i < more->len; i++)
            g_ptr_array_add (req->params, g_strdup (more->pdata[i]));
        }
      for (guint i = 0; i < req->params->len; i += 2)
        if (((char *) req->params->pdata[i])[0] == '\x01')
          {
            respond_outcome (fhir, msg, 400, "invalid", "The query string is not validly encoded");
            set_decision (req, "bad request");
            emit_request_event (req, 400);
            request_free (req);
            return TRUE;
          }
      if (sb_faults_throttle_search (ctx->faults, &retry_after))
        {
          g_autofree char *ra = g_strdup_printf ("%u", retry_after);

          soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", ra);
          respond_outcome (fhir, msg, 429, "throttled", "ThrottlingException: Rate exceeded");
          set_decision (req, "throttled");
          emit_request_event (req, 429);
          request_free (req);
          return TRUE;
        }
    }

  /* Only while the expire switch holds tokens: which token is this? The
   * validator checks the signature again; this only reads the jti. */
  if (sb_faults_has_expired_access_tokens (ctx->faults) && ctx->keys != NULL)
    {
      g_autoptr(JsonObject) claims = sb_keys_verify_jwt (ctx->keys, token, NULL);

      if (claims != NULL)
        req->jti = g_strdup (json_object_get_string_member_with_default (claims, "jti", NULL));
    }

  event = build_event (ctx, req->operation, token);
  g_signal_connect (msg, "finished", G_CALLBACK (request_gone), req);
  g_signal_connect (msg, "disconnected", G_CALLBACK (request_gone), req);
  if (fhir->lambda == NULL && !fhir->in_process)
    {
      soup_server_message_pause (msg);
      set_decision (req, "no validator");
      respond_outcome (fhir, msg, 500, "exception",
                       "Error during custom Idp execution. (smart-sandbox runs without a "
                       "token-validator: pass --validator PATH)");
      emit_request_event (req, 500);
      soup_server_message_unpause (msg);
      request_free (req);
    }
  else if (fhir->lambda == NULL)
    {
      g_autoptr(JsonObject) event_obj = NULL;
      g_autoptr(JsonObject) response = NULL;
      g_autoptr(JsonNode) node = json_from_string (event, NULL);
      gint64 t0 = g_get_monotonic_time ();

      event_obj = json_object_ref (json_node_get_object (node));
      response = sb_inproc_validate (ctx, event_obj);
      soup_server_message_pause (msg);
      authorized_step (req, SB_LAMBDA_OK, response, NULL, g_get_monotonic_time () - t0);
      request_free (req);
    }
  else
    {
      soup_server_message_pause (msg);
      sb_lambda_invoke (fhir->lambda, event, LAMBDA_TIMEOUT_MS, lambda_done, req);
    }
  /* The event held the token: wipe it before it is freed. */
  memset (event, 0, strlen (event));
  memset (token, 0, strlen (token));
  return TRUE;
}

static void
fhir_handler (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  SbFhir *fhir = user_data;
  const char *decision = "rejected";
  gint64 start = g_get_monotonic_time ();

  /* Requests answered before the validator would run still get their
   * fhir-request event, so the stream shows every FHIR request. */
  if (!fhir_dispatch (fhir, msg, path, &decision))
    {
      JsonObject *f = json_object_new ();

      json_object_set_string_member (f, "method", soup_server_message_get_method (msg));
      json_object_set_string_member (f, "path", path);
      json_object_set_int_member (f, "status", soup_server_message_get_status (msg));
      json_object_set_string_member (f, "decision", decision);
      json_object_set_int_member (f, "latency_us", g_get_monotonic_time () - start);
      sb_events_emit (fhir->ctx->events, "fhir-request", f);
    }
}

static void
stats_handler (SoupServer        *server,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  SbFhir *fhir = user_data;
  JsonObject *o, *counts;

  if (!sb_peer_is_loopback (msg))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_FORBIDDEN, NULL);
      return;
    }
  o = json_object_new ();
  counts = sb_store_type_counts (fhir->ctx->store);
  json_object_set_object_member (o, "resources", counts);
  json_object_set_string_member (o, "fhir", fhir->ctx->fhir_base);
  json_object_set_string_member (o, "issuer", fhir->ctx->issuer);
  json_object_set_string_member (o, "authz", fhir->lambda ? "lambda"
                                              : fhir->in_process ? "in-process" : "none");
  respond_json_object (fhir, msg, "application/json", o);
}

SbFhir *
sb_fhir_new (SbContext *ctx, SbLambda *lambda, gboolean in_process)
{
  SbFhir *fhir = g_new0 (SbFhir, 1);

  fhir->in_process = in_process;
  fhir->ctx = ctx;
  fhir->lambda = lambda;
  return fhir;
}

void
sb_fhir_set_external_configuration (SbFhir *fhir, JsonObject *config)
{
  g_clear_pointer (&fhir->external_config, json_object_unref);
  if (config != NULL)
    fhir->external_config = json_object_ref (config);
}

void
sb_fhir_register (SbFhir *fhir, SoupServer *server)
{
  soup_server_add_handler (server, "/datastore", fhir_handler, fhir, NULL);
  soup_server_add_handler (server, "/_sandbox/stats", stats_handler, fhir, NULL);
}

void
sb_fhir_free (SbFhir *fhir)
{
  if (fhir == NULL)
    return;
  g_clear_pointer (&fhir->external_config, json_object_unref);
  g_free (fhir);
}
