/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <json-glib/json-glib.h>
#include <stdint.h>
#include <string.h>

#include "sv-fhir-value.h"
#include "sv-json-reader.h"
#include "sv-medication.h"
#include "sv-problem.h"

/* libFuzzer target over what a FHIR page goes through (sv-fhir-client.c's
 * parse_thread() and page_take_bundle(), sv-patient-record.c's make_row()):
 * the next link looked up in the text, the page read into a tree with its
 * entries' spans, every entry's resource made a row through the display
 * helpers with its own text, the rows' details (which read that text again
 * with json-glib), and the tree made a json-glib tree. The input is the
 * page's text, not NUL-terminated. */

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  /* A critical (a getter handed what it should not get) is a finding. */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

static void
read_row (const SvJsonNode *resource,
          GBytes           *text,
          SvProblem       **previous)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvProblem) problem = sv_problem_new_from_node (resource, text, &error);
  g_autoptr(SvMedication) medication = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_utc (2026, 1, 1, 0, 0, 0);
  g_autofree char *name = sv_fhir_patient_name (resource);
  g_autofree char *birth = sv_fhir_patient_birth (resource, now);
  g_autofree char *label = NULL;
  g_autofree char *mrn = sv_fhir_patient_mrn (resource, &label);

  /* What is shown is UTF-8. */
  g_assert (name == NULL || g_utf8_validate (name, -1, NULL));
  g_assert (birth == NULL || g_utf8_validate (birth, -1, NULL));
  g_assert (mrn == NULL || g_utf8_validate (mrn, -1, NULL));

  g_assert (problem != NULL || error != NULL);
  if (problem != NULL)
    {
      g_assert (sv_problem_get_id (problem) != NULL);
      g_assert (g_utf8_validate (sv_problem_get_display (problem), -1, NULL));
      (void) sv_problem_get_raw_json (problem);
      (void) sv_problem_get_resource (problem);
      if (*previous != NULL)
        (void) sv_problem_compare (*previous, problem);
      g_set_object (previous, problem);
    }

  g_clear_error (&error);
  medication = sv_medication_new_from_node (resource, text, &error);
  g_assert (medication != NULL || error != NULL);
  if (medication != NULL)
    {
      (void) sv_medication_get_raw_json (medication);
      (void) sv_medication_compare (medication, medication);
    }

  /* Resources fetched one by one (a Patient, a referenced Medication) are
   * json-glib trees made into trees again. */
  {
    g_autoptr(JsonNode) json = sv_json_node_to_json_node (resource);
    g_autoptr(SvJsonTree) again = sv_json_tree_new_from_object (json_node_get_object (json));
    g_autoptr(SvProblem) from_json = sv_problem_new_from_json (json_node_get_object (json), NULL);
    g_autoptr(SvMedication) medication_from_json = sv_medication_new_from_json (json_node_get_object (json), NULL);
    g_autofree char *name_again = sv_fhir_patient_name (sv_json_tree_get_root (again));

    g_assert (g_strcmp0 (name, name_again) == 0);
    g_assert ((from_json != NULL) == (problem != NULL));
    g_assert ((medication_from_json != NULL) == (medication != NULL));
    if (problem != NULL)
      g_assert (g_strcmp0 (sv_problem_get_display (problem), sv_problem_get_display (from_json)) == 0);
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  /* A copy of exactly @size bytes, so that a read past the end is caught. */
  g_autoptr(GBytes) body = g_bytes_new (data, size);
  const char *text = g_bytes_get_data (body, NULL);
  g_autoptr(GArray) spans = g_array_new (FALSE, FALSE, sizeof (SvJsonSpan));
  g_autoptr(GError) error = NULL;
  g_autoptr(SvJsonTree) tree = NULL;
  g_autoptr(SvProblem) previous = NULL;
  g_autofree char *next = NULL;
  g_autoptr(JsonNode) copy = NULL;
  const SvJsonNode *root;
  const SvJsonNode *entries;
  const SvJsonNode *entry;
  gboolean known;
  guint n;

  next = sv_json_reader_next_link (text, size, &known);
  g_assert (known || next == NULL);

  tree = sv_json_tree_parse (text, size, spans, &error);
  if (tree == NULL)
    {
      g_assert (error != NULL);
      return 0;
    }
  g_assert (error == NULL);

  root = sv_json_tree_get_root (tree);
  entries = sv_json_node_get_array_member (root, "entry");
  n = sv_json_node_get_length (entries);
  g_assert (spans->len == n);
  entry = n > 0 ? sv_json_node_get_element (entries, 0) : NULL;
  for (guint i = 0; i < n; i++, entry = i < n ? sv_json_node_next (entry) : NULL)
    {
      const SvJsonNode *resource = sv_json_node_get_object_member (entry, "resource");
      SvJsonSpan span = { 0, 0 };
      g_autoptr(GBytes) resource_text = NULL;

      g_assert (entry == sv_json_node_get_element (entries, i));
      if (i < spans->len)
        span = g_array_index (spans, SvJsonSpan, i);
      g_assert (span.offset <= size && span.length <= size - span.offset);
      g_assert ((resource != NULL) == (span.length > 0));
      resource_text = g_bytes_new_from_bytes (body, span.offset, span.length);
      if (resource != NULL)
        read_row (resource, resource_text, &previous);
    }

  copy = sv_json_node_to_json_node (root);

  /* What this reader takes json-glib takes too (it is the more lenient),
   * and reads to the same structure. */
  {
    g_autoptr(JsonParser) parser = json_parser_new_immutable ();
    g_autoptr(GError) glib_error = NULL;

    if (!json_parser_load_from_data (parser, text, size, &glib_error))
      g_error ("json-glib refuses what was read: %s", glib_error->message);
    g_assert (json_node_get_node_type (json_parser_get_root (parser)) == json_node_get_node_type (copy));
  }
  return 0;
}
