/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-generate.c — the synthetic population: deterministic, valid FHIR R4
 * JSON, references that resolve, and every edge case POPULATION.md
 * promises, on the patient it names. */
#define G_LOG_DOMAIN "test-generate"

#include "config.h"

#include "sb-generate.h"

#include <json-glib/json-glib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* The population, generated once and shared by the tests. */

typedef struct
{
  GPtrArray *texts;        /* char*, in emission order */
  GPtrArray *nodes;        /* JsonNode*, same order */
  GHashTable *by_ref;      /* "Type/id" → JsonObject* (borrowed from nodes) */
  GHashTable *position;    /* "Type/id" → emission index + 1 */
  SbPopulationInfo info;
} Population;

static gboolean
collect_sink (const char *json,
              gsize       len,
              gpointer    user_data,
              GError    **error)
{
  GPtrArray *texts = user_data;

  /* The contract: len bytes of JSON, NUL-terminated. */
  g_assert_cmpint (json[len], ==, '\0');
  g_assert_cmpuint (strlen (json), ==, len);
  g_ptr_array_add (texts, g_strndup (json, len));
  return TRUE;
}

static char *
checksum_of (GPtrArray *texts)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  for (guint i = 0; i < texts->len; i++)
    {
      const char *t = g_ptr_array_index (texts, i);
      g_checksum_update (sum, (const guchar *) t, (gssize) strlen (t) + 1);
    }
  return g_strdup (g_checksum_get_string (sum));
}

static GPtrArray *
generate_texts (guint32           seed,
                SbPopulationInfo *info)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);

  g_assert_true (sb_generate_population (seed, collect_sink, texts, info, &error));
  g_assert_no_error (error);
  return texts;
}

static Population *
population_new (guint32 seed)
{
  Population *pop = g_new0 (Population, 1);

  pop->texts = generate_texts (seed, &pop->info);
  pop->nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  pop->by_ref = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  pop->position = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < pop->texts->len; i++)
    {
      const char *text = g_ptr_array_index (pop->texts, i);
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      JsonObject *obj;
      char *ref;

      if (!json_parser_load_from_data (parser, text, -1, &error))
        g_error ("resource %u does not parse: %s", i, error->message);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
      g_ptr_array_add (pop->nodes, json_node_ref (json_parser_get_root (parser)));
      obj = json_node_get_object (json_parser_get_root (parser));
      g_assert_true (json_object_has_member (obj, "resourceType"));
      g_assert_true (json_object_has_member (obj, "id"));
      ref = g_strdup_printf ("%s/%s", json_object_get_string_member (obj, "resourceType"),
                             json_object_get_string_member (obj, "id"));
      if (g_hash_table_contains (pop->by_ref, ref))
        g_error ("%s emitted twice", ref);
      g_hash_table_insert (pop->position, g_strdup (ref), GUINT_TO_POINTER (i + 1));
      g_hash_table_insert (pop->by_ref, ref, obj);
    }
  return pop;
}

static void
population_free (Population *pop)
{
  g_ptr_array_unref (pop->texts);
  g_ptr_array_unref (pop->nodes);
  g_hash_table_unref (pop->by_ref);
  g_hash_table_unref (pop->position);
  sb_population_info_clear (&pop->info);
  g_free (pop);
}

/* The population sb-main.c creates, shared by the tests. */
static Population *
population (void)
{
  static Population *pop = NULL;

  if (pop == NULL)
    pop = population_new (SB_GENERATE_DEFAULT_SEED);
  return pop;
}

static JsonObject *
resource (const char *ref)
{
  JsonObject *obj = g_hash_table_lookup (population ()->by_ref, ref);

  if (obj == NULL)
    g_error ("%s was not generated", ref);
  return obj;
}

static const char *
type_of (JsonObject *obj)
{
  return json_object_get_string_member (obj, "resourceType");
}

/* Walks a dotted path of object members; NULL when absent. Array members
 * are entered at index 0. */
static JsonNode *
path (JsonObject *obj,
      const char *dotted)
{
  g_auto(GStrv) parts = g_strsplit (dotted, ".", -1);
  JsonNode *node = NULL;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (obj == NULL || !json_object_has_member (obj, parts[i]))
        return NULL;
      node = json_object_get_member (obj, parts[i]);
      if (JSON_NODE_HOLDS_ARRAY (node))
        {
          JsonArray *a = json_node_get_array (node);
          if (parts[i + 1] == NULL)
            return node;
          if (json_array_get_length (a) == 0)
            return NULL;
          node = json_array_get_element (a, 0);
        }
      obj = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    }
  return node;
}

static const char *
path_str (JsonObject *obj,
          const char *dotted)
{
  JsonNode *node = path (obj, dotted);

  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node) && json_array_get_length (json_node_get_array (node)) > 0)
    node = json_array_get_element (json_node_get_array (node), 0);
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
         ? json_node_get_string (node) : NULL;
}

/* The code of the first coding of a CodeableConcept member. */
static const char *
cc_code (JsonObject *obj,
         const char *member)
{
  g_autofree char *p = g_strdup_printf ("%s.coding.code", member);

  return path_str (obj, p);
}

static const char *
subject_of (JsonObject *obj)
{
  return path_str (obj, "subject.reference");
}

/* ------------------------------------------------------------------ */
/* Generic validity: FHIR JSON rules and datatypes. */

static gboolean
valid_calendar_date (const char *s)
{
  gint y = 0, m = 1, d = 1;
  gsize len = strlen (s);

  if (len >= 4)
    y = atoi (s);
  if (len >= 7)
    m = atoi (s + 5);
  if (len >= 10)
    d = atoi (s + 8);
  return y >= 1800 && g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y);
}

static void
check_date (const char *where,
            const char *s,
            gboolean    instant)
{
  static GRegex *date_re = NULL, *instant_re = NULL;

  if (date_re == NULL)
    {
      date_re = g_regex_new ("^[0-9]{4}(-[0-9]{2}(-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2}))?)?)?$",
                             0, 0, NULL);
      instant_re = g_regex_new ("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$",
                                0, 0, NULL);
    }
  if (!g_regex_match (instant ? instant_re : date_re, s, 0, NULL) || !valid_calendar_date (s))
    g_error ("%s: \"%s\" is not a valid FHIR %s", where, s, instant ? "instant" : "date/dateTime");
}

static const char *const date_keys[] = {
  "birthDate", "recordedDate", "onsetDateTime", "abatementDateTime", "effectiveDateTime",
  "authoredOn", "dateAsserted", "deceasedDateTime", "time", "start", "end", NULL,
};
static const char *const instant_keys[] = { "lastUpdated", "date", NULL };
/* Things that have happened: never after the generator's "today".  (Period
 * ends may lie ahead: a prescription valid until next year, a planned
 * MedicationStatement.) */
static const char *const past_keys[] = {
  "birthDate", "recordedDate", "onsetDateTime", "abatementDateTime", "effectiveDateTime",
  "authoredOn", "dateAsserted", "deceasedDateTime", "lastUpdated", "date", NULL,
};
static const char *const boolean_keys[] = {
  "userSelected", "active", "preferred", "asNeededBoolean", "deceasedBoolean", NULL,
};
static const char *const integer_keys[] = { "sequence", "frequency", "numberOfRepeatsAllowed", NULL };
static const char *const number_keys[] = { "valueDecimal", "period", NULL };

static gboolean
in_list (const char *const *list,
         const char         *key)
{
  return g_strv_contains (list, key);
}

typedef struct
{
  const char *where;
  JsonObject *root;
  GPtrArray *refs;     /* const char* */
  JsonObject *parent;  /* the object whose members are being walked */
} Walk;

static void walk_node (Walk *walk, const char *key, JsonNode *node);

static void
walk_object (Walk       *walk,
             JsonObject *obj)
{
  JsonObjectIter iter;
  const char *key;
  JsonNode *member;

  g_assert_cmpuint (json_object_get_size (obj), >, 0);
  json_object_iter_init (&iter, obj);
  while (json_object_iter_next (&iter, &key, &member))
    {
      walk->parent = obj;
      walk_node (walk, key, member);
    }
}

static void
walk_node (Walk       *walk,
           const char *key,
           JsonNode   *node)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_NULL:
      g_error ("%s: null in %s (FHIR JSON has no nulls)", walk->where, key);
      break;
    case JSON_NODE_ARRAY:
      {
        JsonArray *a = json_node_get_array (node);

        if (json_array_get_length (a) == 0)
          g_error ("%s: empty array %s", walk->where, key);
        for (guint i = 0; i < json_array_get_length (a); i++)
          walk_node (walk, key, json_array_get_element (a, i));
      }
      break;
    case JSON_NODE_OBJECT:
      if (g_strcmp0 (key, "contained") == 0)
        {
          /* A contained resource: no meta, an id, and no nesting. */
          JsonObject *c = json_node_get_object (node);
          g_assert_false (json_object_has_member (c, "meta"));
          g_assert_false (json_object_has_member (c, "contained"));
          g_assert_nonnull (json_object_get_string_member (c, "id"));
        }
      walk_object (walk, json_node_get_object (node));
      break;
    case JSON_NODE_VALUE:
    default:
      {
        GType t = json_node_get_value_type (node);

        /* Quantity.value is a decimal; Identifier/ContactPoint.value a string. */
        gboolean quantity = g_str_equal (key, "value") && json_object_has_member (walk->parent, "unit");

        if (in_list (boolean_keys, key))
          g_assert_true (t == G_TYPE_BOOLEAN);
        else if (in_list (integer_keys, key))
          g_assert_true (t == G_TYPE_INT64);
        else if (in_list (number_keys, key) || quantity)
          {
            if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE)
              g_error ("%s: %s is not a number", walk->where, key);
          }
        else if (t != G_TYPE_STRING)
          g_error ("%s: %s should be a string", walk->where, key);

        if (t == G_TYPE_STRING)
          {
            const char *s = json_node_get_string (node);

            if (*s == '\0')
              g_error ("%s: empty string in %s", walk->where, key);
            if (in_list (past_keys, key) && strncmp (s, SB_GENERATE_TODAY, MIN (strlen (s), 10)) > 0)
              g_error ("%s: %s %s lies after %s", walk->where, key, s, SB_GENERATE_TODAY);
            if (in_list (date_keys, key))
              check_date (walk->where, s, FALSE);
            else if (in_list (instant_keys, key))
              check_date (walk->where, s, TRUE);
            else if (g_str_equal (key, "reference"))
              g_ptr_array_add (walk->refs, (gpointer) s);
          }
      }
      break;
    }
}

static void
check_valid_json (Population *pop)
{
  g_autoptr(GRegex) id_re = g_regex_new ("^[A-Za-z0-9\\-.]{1,64}$", 0, 0, NULL);

  g_assert_cmpuint (pop->nodes->len, >, 4000);
  for (guint i = 0; i < pop->nodes->len; i++)
    {
      const char *text = g_ptr_array_index (pop->texts, i);
      JsonObject *obj = json_node_get_object (g_ptr_array_index (pop->nodes, i));
      const char *id = json_object_get_string_member (obj, "id");
      g_autoptr(GPtrArray) refs = g_ptr_array_new ();
      Walk walk = { id, obj, refs, NULL };

      g_assert_true (g_utf8_validate (text, -1, NULL));
      g_assert_null (strchr (text, '\n'));
      g_assert_true (g_regex_match (id_re, id, 0, NULL));
      g_assert_true (g_ascii_isupper (type_of (obj)[0]));
      walk_object (&walk, obj);
    }
}

/* Every reference resolves: "#x" to a contained resource of the same
 * resource, "Type/id" to a generated resource; Practitioners and
 * Medications are emitted before anything refers to them.  Every contained
 * resource is referenced (dom-3). */
static void
check_references (Population *pop)
{
  g_autoptr(GRegex) ref_re = g_regex_new ("^[A-Z][A-Za-z]+/[A-Za-z0-9\\-.]{1,64}$", 0, 0, NULL);
  guint n_refs = 0, n_contained = 0;

  for (guint i = 0; i < pop->nodes->len; i++)
    {
      JsonObject *obj = json_node_get_object (g_ptr_array_index (pop->nodes, i));
      g_autoptr(GPtrArray) refs = g_ptr_array_new ();
      Walk walk = { json_object_get_string_member (obj, "id"), obj, refs, NULL };
      JsonNode *contained = path (obj, "contained");

      walk_object (&walk, obj);
      for (guint r = 0; r < refs->len; r++)
        {
          const char *ref = g_ptr_array_index (refs, r);

          n_refs++;
          if (ref[0] == '#')
            {
              gboolean found = FALSE;

              g_assert_nonnull (contained);
              for (guint c = 0; c < json_array_get_length (json_node_get_array (contained)); c++)
                {
                  JsonObject *co = json_array_get_object_element (json_node_get_array (contained), c);
                  found |= g_str_equal (json_object_get_string_member (co, "id"), ref + 1);
                }
              if (!found)
                g_error ("%s: %s is not contained", walk.where, ref);
              n_contained++;
              continue;
            }
          if (!g_regex_match (ref_re, ref, 0, NULL))
            g_error ("%s: reference \"%s\" is not a relative Type/id", walk.where, ref);
          if (!g_hash_table_contains (pop->by_ref, ref))
            g_error ("%s: reference %s does not resolve", walk.where, ref);
          if (g_str_has_prefix (ref, "Practitioner/") || g_str_has_prefix (ref, "Medication/"))
            g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (pop->position, ref)), <=, i);
        }
      if (contained != NULL)
        {
          JsonArray *a = json_node_get_array (contained);

          for (guint c = 0; c < json_array_get_length (a); c++)
            {
              g_autofree char *local = g_strdup_printf ("#%s", json_object_get_string_member (json_array_get_object_element (a, c), "id"));
              gboolean used = FALSE;

              for (guint r = 0; r < refs->len; r++)
                used |= g_str_equal (g_ptr_array_index (refs, r), local);
              g_assert_true (used);
            }
        }
    }
  g_assert_cmpuint (n_refs, >, 10000);
  g_assert_cmpuint (n_contained, >, 100);
}

static void
test_valid_json (void)
{
  check_valid_json (population ());
}

static void
test_references (void)
{
  check_references (population ());
}

/* The random parts must be valid whatever the seed. */
static void
test_other_seeds (void)
{
  static const guint32 seeds[] = { 0, 1, 0xFFFFFFFFu };

  for (guint i = 0; i < G_N_ELEMENTS (seeds); i++)
    {
      Population *pop = population_new (seeds[i]);

      check_valid_json (pop);
      check_references (pop);
      g_assert_cmpuint (pop->info.n_patients, >=, 100);
      population_free (pop);
    }
}

static void
test_determinism (void)
{
  Population *pop = population ();
  SbPopulationInfo again = { 0 }, other = { 0 };
  g_autoptr(GPtrArray) texts = generate_texts (SB_GENERATE_DEFAULT_SEED, &again);
  g_autoptr(GPtrArray) other_texts = generate_texts (SB_GENERATE_DEFAULT_SEED + 1, &other);
  g_autofree char *sum1 = checksum_of (pop->texts);
  g_autofree char *sum2 = checksum_of (texts);
  g_autofree char *sum3 = checksum_of (other_texts);

  g_test_message ("population checksum (seed %u): %s, %u resources", SB_GENERATE_DEFAULT_SEED, sum1, texts->len);
  g_assert_cmpuint (texts->len, ==, pop->texts->len);
  for (guint i = 0; i < texts->len; i++)
    g_assert_cmpstr (g_ptr_array_index (texts, i), ==, g_ptr_array_index (pop->texts, i));
  g_assert_cmpstr (sum1, ==, sum2);

  /* Another seed: other content, same documented structure. */
  g_assert_cmpstr (sum1, !=, sum3);
  g_assert_cmpstr (again.patient_id, ==, pop->info.patient_id);
  g_assert_cmpstr (other.patient_id, ==, pop->info.patient_id);
  g_assert_cmpstr (other.large_patient_id, ==, pop->info.large_patient_id);
  g_assert_cmpstr (other.clinician_practitioner_id, ==, pop->info.clinician_practitioner_id);
  g_assert_cmpuint (other.n_patients, ==, pop->info.n_patients);
  sb_population_info_clear (&again);
  sb_population_info_clear (&other);
  g_assert_null (again.patient_id);
}

/* ------------------------------------------------------------------ */
/* Counts. */

static guint
count_for_subject (const char *type,
                   const char *subject)
{
  Population *pop = population ();
  guint n = 0;

  for (guint i = 0; i < pop->nodes->len; i++)
    {
      JsonObject *obj = json_node_get_object (g_ptr_array_index (pop->nodes, i));

      if (g_str_equal (type_of (obj), type) && g_strcmp0 (subject_of (obj), subject) == 0)
        n++;
    }
  return n;
}

static guint
count_type (const char *type)
{
  Population *pop = population ();
  guint n = 0;

  for (guint i = 0; i < pop->nodes->len; i++)
    n += g_str_equal (type_of (json_node_get_object (g_ptr_array_index (pop->nodes, i))), type);
  return n;
}

static void
test_counts (void)
{
  Population *pop = population ();
  g_autofree char *large = g_strdup_printf ("Patient/%s", pop->info.large_patient_id);
  g_autofree char *clinician = g_strdup_printf ("Practitioner/%s", pop->info.clinician_practitioner_id);
  guint n_ms, n_mr, panel = 0, with_gp = 0;

  g_assert_cmpuint (pop->info.n_patients, >=, 100);
  g_assert_cmpuint (count_type ("Patient"), ==, pop->info.n_patients);
  g_assert_cmpuint (count_type ("Practitioner"), >=, 5);
  g_assert_cmpuint (count_type ("Medication"), >=, 5);

  g_assert_cmpuint (count_for_subject ("Condition", large), >=, 2000);
  n_ms = count_for_subject ("MedicationStatement", large);
  n_mr = count_for_subject ("MedicationRequest", large);
  g_assert_cmpuint (n_ms + n_mr, >=, 2000);
  g_assert_cmpuint (n_ms, >, 500);
  g_assert_cmpuint (n_mr, >, 500);

  /* The demo users exist and have the roles they are documented with. */
  g_assert_nonnull (resource (clinician));
  for (guint i = 0; i < pop->nodes->len; i++)
    {
      JsonObject *obj = json_node_get_object (g_ptr_array_index (pop->nodes, i));
      const char *gp;

      if (!g_str_equal (type_of (obj), "Patient"))
        continue;
      gp = path_str (obj, "generalPractitioner.reference");
      with_gp += gp != NULL;
      panel += g_strcmp0 (gp, clinician) == 0;
    }
  g_test_message ("clinician is GP of %u patients; %u of %u have a GP", panel, with_gp, pop->info.n_patients);
  g_assert_cmpuint (panel, >=, 40);
  g_assert_cmpuint (with_gp, <, pop->info.n_patients);
  g_assert_cmpstr (path_str (resource (large), "generalPractitioner.reference"), ==, clinician);
}

/* ------------------------------------------------------------------ */
/* The documented patients (POPULATION.md). */

static const char *
official_or_first (JsonObject *patient,
                   const char *member)
{
  JsonArray *names = json_object_get_array_member (patient, "name");

  for (guint i = 0; i < json_array_get_length (names); i++)
    {
      JsonObject *n = json_array_get_object_element (names, i);
      if (g_strcmp0 (json_object_get_string_member_with_default (n, "use", ""), "official") == 0)
        return path_str (n, member);
    }
  return path_str (json_array_get_object_element (names, 0), member);
}

static void
assert_link (const char *from,
             const char *to,
             const char *type)
{
  JsonObject *p = resource (from);

  g_assert_cmpstr (path_str (p, "link.other.reference"), ==, to);
  g_assert_cmpstr (path_str (p, "link.type"), ==, type);
}

static void
test_patients (void)
{
  Population *pop = population ();
  g_autofree char *demo = g_strdup_printf ("Patient/%s", pop->info.patient_id);
  JsonObject *p;
  gboolean ssn = FALSE, mrn_not_first = FALSE, deceased_false = FALSE, script = FALSE;

  /* Demo patient: Zoë Müller, clinician's patient, linked record. */
  g_assert_cmpstr (demo, ==, "Patient/patient-001");
  p = resource (demo);
  g_assert_cmpstr (official_or_first (p, "family"), ==, "Müller");
  g_assert_cmpstr (path_str (p, "name.given"), ==, "Zoë");
  assert_link ("Patient/patient-001", "Patient/patient-002", "seealso");
  assert_link ("Patient/patient-002", "Patient/patient-001", "seealso");
  g_assert_cmpstr (path_str (resource ("Patient/patient-002"), "generalPractitioner.reference"), !=,
                   path_str (p, "generalPractitioner.reference"));

  g_assert_cmpstr (path_str (resource ("Patient/patient-003"), "birthDate"), ==, "1961");
  g_assert_cmpstr (official_or_first (resource ("Patient/patient-003"), "family"), ==, "Núñez");
  g_assert_cmpstr (path_str (resource ("Patient/patient-004"), "birthDate"), ==, "1961-03");
  g_assert_cmpstr (official_or_first (resource ("Patient/patient-004"), "family"), ==, "Ødegård");
  g_assert_cmpstr (official_or_first (resource ("Patient/patient-005"), "text"), ==, "山田 太郎");
  g_assert_true (json_object_get_boolean_member (resource ("Patient/patient-006"), "deceasedBoolean"));
  check_date ("patient-007", json_object_get_string_member (resource ("Patient/patient-007"), "deceasedDateTime"), TRUE);

  p = resource ("Patient/patient-008");
  g_assert_false (json_object_has_member (p, "birthDate"));
  g_assert_false (json_object_has_member (p, "gender"));
  g_assert_cmpstr (path_str (p, "_birthDate.extension.valueCode"), ==, "unknown");
  p = resource ("Patient/patient-009");
  g_assert_cmpstr (path_str (p, "name.extension.url"), ==, "http://hl7.org/fhir/StructureDefinition/data-absent-reason");
  g_assert_null (path (p, "name.family"));

  g_assert_cmpstr (path_str (resource ("Patient/patient-010"), "name.family"), ==, "O'Brien-Whitfield");
  g_assert_cmpuint (strlen (path_str (resource ("Patient/patient-011"), "name.family")), >, 30);
  g_assert_cmpstr (official_or_first (resource ("Patient/patient-013"), "text"), ==, "أحمد الفارسي");

  p = resource ("Patient/patient-014");
  g_assert_cmpstr (path_str (p, "name.use"), ==, "usual");
  g_assert_cmpstr (official_or_first (p, "given"), ==, "Robert");

  g_assert_cmpuint (count_for_subject ("Condition", "Patient/patient-015"), ==, 0);
  g_assert_cmpuint (count_for_subject ("MedicationRequest", "Patient/patient-015"), ==, 0);
  g_assert_cmpuint (count_for_subject ("MedicationStatement", "Patient/patient-015"), ==, 0);

  g_assert_cmpuint (count_for_subject ("MedicationStatement", "Patient/patient-016"), ==, 0);
  g_assert_cmpuint (count_for_subject ("MedicationRequest", "Patient/patient-016"), >, 0);

  p = resource ("Patient/patient-017");
  for (guint i = 0; i < json_array_get_length (json_object_get_array_member (p, "identifier")); i++)
    g_assert_cmpstr (cc_code (json_array_get_object_element (json_object_get_array_member (p, "identifier"), i), "type"), !=, "MR");
  g_assert_null (path (resource ("Patient/patient-018"), "generalPractitioner"));

  assert_link ("Patient/patient-030", "Patient/patient-031", "replaced-by");
  assert_link ("Patient/patient-031", "Patient/patient-030", "replaces");
  g_assert_false (json_object_get_boolean_member (resource ("Patient/patient-030"), "active"));

  /* Across the population. */
  for (guint i = 0; i < pop->nodes->len; i++)
    {
      JsonObject *obj = json_node_get_object (g_ptr_array_index (pop->nodes, i));
      JsonArray *ids;

      if (!g_str_equal (type_of (obj), "Patient"))
        continue;
      ids = json_object_get_array_member (obj, "identifier");
      for (guint k = 0; k < json_array_get_length (ids); k++)
        {
          JsonObject *id = json_array_get_object_element (ids, k);

          if (g_strcmp0 (json_object_get_string_member_with_default (id, "system", ""), "http://hl7.org/fhir/sid/us-ssn") == 0)
            ssn = TRUE;
          if (k > 0 && g_strcmp0 (cc_code (id, "type"), "MR") == 0)
            mrn_not_first = TRUE;
        }
      if (json_object_has_member (obj, "deceasedBoolean") && !json_object_get_boolean_member (obj, "deceasedBoolean"))
        deceased_false = TRUE;
      if (i > 20 && official_or_first (obj, "text") != NULL)
        script = TRUE;
    }
  g_assert_true (ssn);
  g_assert_true (mrn_not_first);
  g_assert_true (deceased_false);
  g_assert_true (script);
}

/* ------------------------------------------------------------------ */
/* Conditions. */

/* Features seen are kept as "what=value" strings in a set. */
static void
seen_add (GHashTable *seen,
          const char *what,
          const char *value)
{
  g_hash_table_add (seen, g_strdup_printf ("%s=%s", what, value != NULL ? value : "(absent)"));
}

static void
assert_seen (GHashTable *seen,
             const char *what,
             const char *value)
{
  g_autofree char *key = g_strdup_printf ("%s=%s", what, value != NULL ? value : "(absent)");

  if (!g_hash_table_contains (seen, key))
    g_error ("no generated resource shows %s", key);
}

static void
condition_features (JsonObject *obj,
                    GHashTable *seen)
{
  static const char *const choices[] = { "DateTime", "Period", "Age", "Range", "String" };
  const char *clinical = cc_code (obj, "clinicalStatus");
  const char *verification = cc_code (obj, "verificationStatus");
  JsonNode *coding = path (obj, "code.coding");
  gboolean abated = FALSE;

  seen_add (seen, "clinical", clinical);
  seen_add (seen, "verification", verification);
  seen_add (seen, "category", cc_code (obj, "category"));
  for (guint i = 0; i < G_N_ELEMENTS (choices); i++)
    {
      g_autofree char *onset = g_strconcat ("onset", choices[i], NULL);
      g_autofree char *abatement = g_strconcat ("abatement", choices[i], NULL);

      if (json_object_has_member (obj, onset))
        seen_add (seen, "onset", choices[i]);
      if (json_object_has_member (obj, abatement))
        {
          seen_add (seen, "abatement", choices[i]);
          abated = TRUE;
        }
    }
  /* A period of onset or abatement is over by "today". */
  if (path_str (obj, "onsetPeriod.end") != NULL)
    g_assert_cmpstr (path_str (obj, "onsetPeriod.end"), <=, SB_GENERATE_TODAY);
  if (path_str (obj, "abatementPeriod.end") != NULL)
    g_assert_cmpstr (path_str (obj, "abatementPeriod.end"), <=, SB_GENERATE_TODAY);
  if (json_object_has_member (obj, "onsetDateTime") && strlen (json_object_get_string_member (obj, "onsetDateTime")) == 4)
    seen_add (seen, "onset", "year-only");

  /* con-4 and con-5. */
  if (abated)
    g_assert_true (clinical == NULL || g_str_equal (clinical, "inactive") || g_str_equal (clinical, "resolved")
                   || g_str_equal (clinical, "remission"));
  if (g_strcmp0 (verification, "entered-in-error") == 0)
    g_assert_null (clinical);
  g_assert_true (g_str_has_prefix (subject_of (obj), "Patient/"));

  if (!json_object_has_member (obj, "code"))
    seen_add (seen, "code", "none");
  else if (coding == NULL)
    seen_add (seen, "code", "text-only");
  else
    {
      JsonArray *a = json_node_get_array (coding);

      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          JsonObject *c = json_array_get_object_element (a, i);
          const char *system = json_object_get_string_member (c, "system");

          seen_add (seen, "system", system);
          if (!json_object_has_member (c, "display"))
            seen_add (seen, "coding", "no-display");
          if (json_object_has_member (c, "userSelected"))
            seen_add (seen, "coding", "userSelected");
        }
      if (!json_object_has_member (json_object_get_object_member (obj, "code"), "text"))
        seen_add (seen, "code", "no-text");
    }
  if (path_str (obj, "code.text") != NULL && strlen (path_str (obj, "code.text")) > 300)
    seen_add (seen, "code", "long-text");
  if (path_str (obj, "note.text") != NULL)
    seen_add (seen, "note", strlen (path_str (obj, "note.text")) > 1000 ? "long" : "short");
  if (path (obj, "modifierExtension") != NULL)
    {
      JsonNode *score = path (obj, "modifierExtension.valueDecimal");
      double v = json_node_get_double (score);

      g_assert_cmpstr (path_str (obj, "modifierExtension.url"), ==,
                       "http://healthlake.amazonaws.com/aws-cm/infer-icd10/aws-cm-icd10-entity-score");
      g_assert_cmpfloat (v, >, 0.0);
      g_assert_cmpfloat (v, <, 1.0);
      g_assert_cmpstr (path_str (obj, "meta.tag.display"), ==, "SYSTEM_GENERATED");
      seen_add (seen, "nlp", "inferred");
    }
}

static void
scan_conditions (const char *only_subject,
                 GHashTable *seen)
{
  Population *pop = population ();

  for (guint i = 0; i < pop->nodes->len; i++)
    {
      JsonObject *obj = json_node_get_object (g_ptr_array_index (pop->nodes, i));

      if (g_str_equal (type_of (obj), "Condition")
          && (only_subject == NULL || g_strcmp0 (subject_of (obj), only_subject) == 0))
        condition_features (obj, seen);
    }
}

static void
assert_condition_edge_cases (GHashTable *seen,
                             gboolean    everything)
{
  static const char *const clinical[] = { "active", "recurrence", "relapse", "remission", "inactive", "resolved", NULL };
  static const char *const verification[] = { "confirmed", "unconfirmed", "provisional", "differential", "refuted", "entered-in-error", NULL };
  static const char *const categories[] = { "problem-list-item", "health-concern", "encounter-diagnosis" };
  static const char *const choices[] = { "DateTime", "Period", "Age", "Range", "String" };

  for (guint i = 0; i < G_N_ELEMENTS (clinical); i++)
    assert_seen (seen, "clinical", clinical[i]);
  for (guint i = 0; i < G_N_ELEMENTS (verification); i++)
    assert_seen (seen, "verification", verification[i]);
  for (guint i = 0; i < G_N_ELEMENTS (categories); i++)
    assert_seen (seen, "category", categories[i]);
  for (guint i = 0; i < G_N_ELEMENTS (choices); i++)
    {
      assert_seen (seen, "onset", choices[i]);
      assert_seen (seen, "abatement", choices[i]);
    }
  assert_seen (seen, "system", "http://snomed.info/sct");
  assert_seen (seen, "system", "http://hl7.org/fhir/sid/icd-10-cm");
  assert_seen (seen, "coding", "no-display");
  assert_seen (seen, "coding", "userSelected");
  assert_seen (seen, "note", "short");
  assert_seen (seen, "nlp", "inferred");
  assert_seen (seen, "system", "http://healthlake.amazonaws.com/aws-cm/infer-icd10/");
  if (everything)
    {
      assert_seen (seen, "code", "none");
      assert_seen (seen, "code", "text-only");
      assert_seen (seen, "code", "long-text");
      assert_seen (seen, "note", "long");
      assert_seen (seen, "onset", "year-only");
    }
}

static void
test_conditions (void)
{
  g_autoptr(GHashTable) all = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) demo = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) coding = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) synthea = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  scan_conditions (NULL, all);
  assert_condition_edge_cases (all, TRUE);

  /* The demo patient alone shows every status and every onset form. */
  scan_conditions ("Patient/patient-001", demo);
  assert_condition_edge_cases (demo, FALSE);

  scan_conditions ("Patient/patient-012", coding);
  assert_seen (coding, "code", "none");
  assert_seen (coding, "code", "text-only");
  assert_seen (coding, "coding", "no-display");
  assert_seen (coding, "coding", "userSelected");

  /* patient-016 looks like HealthLake's Synthea data: encounter diagnoses only. */
  scan_conditions ("Patient/patient-016", synthea);
  assert_seen (synthea, "category", "encounter-diagnosis");
  g_assert_false (g_hash_table_contains (synthea, "category=problem-list-item"));
  g_assert_false (g_hash_table_contains (synthea, "category=health-concern"));

  /* The NLP finding's note and Linkage point back at it. */
  g_assert_cmpstr (path_str (resource ("Linkage/linkage-013-1"), "item.resource.reference"), ==,
                   "Condition/condition-013-nlp1");
  g_assert_cmpstr (path_str (resource ("DocumentReference/docref-013-1"), "subject.reference"), ==,
                   "Patient/patient-013");
}

/* ------------------------------------------------------------------ */
/* Medications. */

static void
medication_features (JsonObject *obj,
                     GHashTable *seen)
{
  gboolean request = g_str_equal (type_of (obj), "MedicationRequest");
  const char *kind = request ? "mr-status" : "ms-status";
  JsonNode *dosage = path (obj, request ? "dosageInstruction" : "dosage");
  const char *ref = path_str (obj, "medicationReference.reference");

  seen_add (seen, kind, json_object_get_string_member (obj, "status"));
  if (ref != NULL)
    seen_add (seen, "medication", ref[0] == '#' ? "contained" : "shared");
  else
    {
      JsonNode *coding = path (obj, "medicationCodeableConcept.coding");

      if (coding == NULL)
        seen_add (seen, "medication", "text-only");
      else
        {
          JsonArray *a = json_node_get_array (coding);
          for (guint i = 0; i < json_array_get_length (a); i++)
            {
              JsonObject *c = json_array_get_object_element (a, i);
              seen_add (seen, "med-system", json_object_get_string_member (c, "system"));
              if (!json_object_has_member (c, "display"))
                seen_add (seen, "medication", "no-display");
            }
          if (json_array_get_length (a) == 1
              && g_str_equal (json_object_get_string_member (json_array_get_object_element (a, 0), "system"), "http://snomed.info/sct"))
            seen_add (seen, "medication", "snomed-only");
        }
    }
  if (path (obj, "reasonReference") != NULL)
    {
      const char *reason = path_str (obj, "reasonReference.reference");

      g_assert_true (g_str_has_prefix (reason, "Condition/"));
      /* Treats one of the same patient's problems. */
      g_assert_cmpstr (subject_of (resource (reason)), ==, subject_of (obj));
      seen_add (seen, "reason", "reference");
    }
  if (path (obj, "reasonCode") != NULL)
    seen_add (seen, "reason", "code");
  if (dosage == NULL)
    seen_add (seen, "dosage", "none");
  else
    {
      JsonObject *d = json_array_get_object_element (json_node_get_array (dosage), 0);
      gboolean text = json_object_has_member (d, "text"), timing = json_object_has_member (d, "timing");

      seen_add (seen, "dosage", text && timing ? "both" : text ? "text" : "structured");
    }
  if (request ? path (obj, "dispenseRequest.validityPeriod") != NULL : path (obj, "effectivePeriod") != NULL)
    seen_add (seen, "period", "yes");
  if (request)
    check_date ("authoredOn", json_object_get_string_member (obj, "authoredOn"), FALSE);
}

static void
scan_medications (const char *only_subject,
                  GHashTable *seen)
{
  Population *pop = population ();

  for (guint i = 0; i < pop->nodes->len; i++)
    {
      JsonObject *obj = json_node_get_object (g_ptr_array_index (pop->nodes, i));
      const char *type = type_of (obj);

      if ((g_str_equal (type, "MedicationStatement") || g_str_equal (type, "MedicationRequest"))
          && (only_subject == NULL || g_strcmp0 (subject_of (obj), only_subject) == 0))
        medication_features (obj, seen);
    }
}

static void
assert_medication_edge_cases (GHashTable *seen)
{
  static const char *const ms[] = { "active", "intended", "on-hold", "stopped", "completed", "unknown", "not-taken", "entered-in-error" };
  static const char *const mr[] = { "active", "on-hold", "stopped", "completed", "cancelled", "draft", "unknown", "entered-in-error" };
  static const char *const features[][2] = {
    { "medication", "contained" }, { "medication", "shared" }, { "medication", "snomed-only" },
    { "medication", "no-display" }, { "med-system", "http://www.nlm.nih.gov/research/umls/rxnorm" },
    { "med-system", "http://snomed.info/sct" }, { "reason", "reference" }, { "reason", "code" },
    { "dosage", "text" }, { "dosage", "structured" }, { "dosage", "both" }, { "dosage", "none" },
    { "period", "yes" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (ms); i++)
    assert_seen (seen, "ms-status", ms[i]);
  for (guint i = 0; i < G_N_ELEMENTS (mr); i++)
    assert_seen (seen, "mr-status", mr[i]);
  for (guint i = 0; i < G_N_ELEMENTS (features); i++)
    assert_seen (seen, features[i][0], features[i][1]);
}

static void
test_medications (void)
{
  g_autoptr(GHashTable) all = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) demo = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  scan_medications (NULL, all);
  assert_medication_edge_cases (all);
  assert_seen (all, "medication", "text-only");

  scan_medications ("Patient/patient-001", demo);
  assert_medication_edge_cases (demo);
}

/* ------------------------------------------------------------------ */
/* The sink's errors stop the generation and reach the caller. */

typedef struct
{
  guint calls;
  guint fail_at;
  gboolean set_error;
} FailingSink;

static gboolean
failing_sink (const char *json,
              gsize       len,
              gpointer    user_data,
              GError    **error)
{
  FailingSink *fs = user_data;

  if (++fs->calls < fs->fail_at)
    return TRUE;
  if (fs->set_error)
    g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "disk full");
  return FALSE;
}

static void
test_sink_error (void)
{
  FailingSink fs = { 0, 10, TRUE };
  SbPopulationInfo info = { 0 };
  g_autoptr(GError) error = NULL;

  g_assert_false (sb_generate_population (1, failing_sink, &fs, &info, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOSPC);
  g_assert_cmpuint (fs.calls, ==, 10);
  g_assert_null (info.patient_id);
  g_clear_error (&error);

  /* Deep inside the large record, and without an error from the sink. */
  fs = (FailingSink) { 0, 3000, FALSE };
  g_assert_false (sb_generate_population (1, failing_sink, &fs, NULL, &error));
  g_assert_error (error, SB_GENERATE_ERROR, SB_GENERATE_ERROR_SINK);
  g_assert_cmpuint (fs.calls, ==, 3000);
}

/* ------------------------------------------------------------------ */
/* POPULATION.md stays true: every resource id it names exists, and its
 * table of counts matches the default population. */

static char *
find_population_md (void)
{
  const char *srcdir = g_getenv ("G_TEST_SRCDIR");
  g_autofree char *here = g_path_get_dirname (__FILE__);
  const char *candidates[] = { NULL, NULL };

  /* Meson compiles and runs tests from the build root, so __FILE__'s
   * directory is right relative to the working directory. */
  if (srcdir != NULL)
    candidates[0] = srcdir;
  candidates[1] = here;
  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      g_autofree char *file = NULL;

      if (candidates[i] == NULL)
        continue;
      file = g_build_filename (candidates[i], "..", "POPULATION.md", NULL);
      if (g_file_test (file, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&file);
    }
  return NULL;
}

static void
test_documentation (void)
{
  static const char *const prefixes[][2] = {
    { "patient", "Patient" }, { "practitioner", "Practitioner" }, { "condition", "Condition" },
    { "medstatement", "MedicationStatement" }, { "medrequest", "MedicationRequest" },
    { "docref", "DocumentReference" }, { "linkage", "Linkage" }, { "medication", "Medication" },
  };
  g_autofree char *file = find_population_md ();
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRegex) id_re = g_regex_new ("\\b(patient|practitioner|condition|medstatement|medrequest|docref|linkage|medication)-([0-9][A-Za-z0-9]*(-[A-Za-z0-9]+)*)",
                                         0, 0, NULL);
  g_autoptr(GRegex) count_re = g_regex_new ("^\\| ([A-Za-z]+) \\| ([0-9,]+) \\|", G_REGEX_MULTILINE, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  guint n_ids = 0, n_counts = 0;

  if (file == NULL)
    {
      g_test_skip ("POPULATION.md not found (set G_TEST_SRCDIR to the tests directory)");
      return;
    }
  g_assert_true (g_file_get_contents (file, &text, NULL, &error));
  g_assert_no_error (error);

  g_regex_match (id_re, text, 0, &match);
  for (; g_match_info_matches (match); g_match_info_next (match, NULL))
    {
      g_autofree char *prefix = g_match_info_fetch (match, 1);
      g_autofree char *rest = g_match_info_fetch (match, 2);
      g_autofree char *ref = NULL;

      for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
        if (g_str_equal (prefix, prefixes[i][0]))
          ref = g_strdup_printf ("%s/%s-%s", prefixes[i][1], prefix, rest);
      if (!g_hash_table_contains (population ()->by_ref, ref))
        g_error ("POPULATION.md names %s, which is not generated", ref);
      n_ids++;
    }
  g_clear_pointer (&match, g_match_info_free);

  g_regex_match (count_re, text, 0, &match);
  for (; g_match_info_matches (match); g_match_info_next (match, NULL))
    {
      g_autofree char *type = g_match_info_fetch (match, 1);
      g_autofree char *digits = g_match_info_fetch (match, 2);
      g_autoptr(GString) number = g_string_new (NULL);

      for (const char *p = digits; *p; p++)
        if (g_ascii_isdigit (*p))
          g_string_append_c (number, *p);
      g_test_message ("POPULATION.md: %s %s", type, number->str);
      g_assert_cmpuint (count_type (type), ==, (guint) g_ascii_strtoull (number->str, NULL, 10));
      n_counts++;
    }
  g_assert_cmpuint (n_ids, >, 40);
  g_assert_cmpuint (n_counts, ==, 8);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/generate/valid-json", test_valid_json);
  g_test_add_func ("/generate/references", test_references);
  g_test_add_func ("/generate/other-seeds", test_other_seeds);
  g_test_add_func ("/generate/determinism", test_determinism);
  g_test_add_func ("/generate/counts", test_counts);
  g_test_add_func ("/generate/patients", test_patients);
  g_test_add_func ("/generate/conditions", test_conditions);
  g_test_add_func ("/generate/medications", test_medications);
  g_test_add_func ("/generate/sink-error", test_sink_error);
  g_test_add_func ("/generate/documentation", test_documentation);

  return g_test_run ();
}
