/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "sv-patient-match.h"
#include "sv-patient-search.h"

/* What the picker sends for what was typed, and what a picker row says. */

static char *
joined (const char *query)
{
  g_auto(GStrv) params = sv_patient_search_params (query);

  return params != NULL ? g_strjoinv ("&", params) : NULL;
}

static void
test_params (void)
{
  static const struct
  {
    const char *query;
    const char *expected;
  } cases[] = {
    { "", NULL },
    { "   ", NULL },
    { NULL, NULL },
    { "O'Bri", "name&O'Bri&_count&25" },
    { "  Zoë  Müller ", "name&Zoë&name&Müller&_count&25" },
    { "1961", "birthdate&1961&_count&25" },
    { "1961-03", "birthdate&1961-03&_count&25" },
    { "1961-03-12", "birthdate&1961-03-12&_count&25" },
    { "SB179190", "identifier&SB179190&_count&25" },
    { "12345", "identifier&12345&_count&25" },
    { "Anne 2", "name&Anne&name&2&_count&25" },
    { ",", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = joined (cases[i].query);

      g_assert_cmpstr (got, ==, cases[i].expected);
    }
}

static JsonObject *
parse (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
test_match (void)
{
  g_autoptr(JsonObject) patient = parse (
    "{\"resourceType\":\"Patient\",\"id\":\"p1\","
    "\"name\":[{\"use\":\"usual\",\"given\":[\"Bobby\"],\"family\":\"Tables\"},"
    "{\"use\":\"official\",\"given\":[\"Robert\"],\"family\":\"Tables\"}],"
    "\"gender\":\"male\",\"birthDate\":\"1961\","
    "\"identifier\":[{\"system\":\"http://hl7.org/fhir/sid/us-ssn\",\"value\":\"999-12-3456\"},"
    "{\"type\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/v2-0203\",\"code\":\"MR\"}],"
    "\"text\":\"MRN\"},\"value\":\"M-1\"}]}");
  g_autoptr(JsonObject) unknown = parse ("{\"resourceType\":\"Patient\",\"id\":\"p2\"}");
  g_autoptr(SvPatientMatch) match = sv_patient_match_new_from_json (patient);
  g_autoptr(SvPatientMatch) bare = sv_patient_match_new_from_json (unknown);
  g_autofree char *description = sv_patient_match_describe (match);
  g_autofree char *bare_description = sv_patient_match_describe (bare);

  g_assert_cmpstr (sv_patient_match_get_id (match), ==, "p1");
  /* The official name, not the first one; a partial birth date as given;
   * the MRN, never the SSN. */
  g_assert_cmpstr (sv_patient_match_get_name (match), ==, "Robert Tables");
  g_assert_cmpstr (sv_patient_match_get_birth (match), ==, "1961");
  g_assert_cmpstr (sv_patient_match_get_gender (match), ==, "Male");
  g_assert_cmpstr (sv_patient_match_get_mrn (match), ==, "M-1");
  g_assert_null (strstr (description, "999"));
  g_assert_nonnull (strstr (description, "M-1"));

  /* Nothing known reads "Not known", never an empty field. */
  g_assert_cmpstr (sv_patient_match_get_gender (bare), ==, "Not known");
  g_assert_null (sv_patient_match_get_mrn (bare));
  g_assert_nonnull (strstr (bare_description, "MRN Not known"));
  g_assert_null (strstr (bare_description, "  "));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/patient-search/params", test_params);
  g_test_add_func ("/patient-search/match", test_match);

  return g_test_run ();
}
