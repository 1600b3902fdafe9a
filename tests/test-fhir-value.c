/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>
#include <string.h>

#include "sv-fhir-value.h"

/* The trees the nodes live in, freed at the end. */
static GPtrArray *trees;

static const SvJsonNode *
parse_object (const char *json)
{
  g_autoptr(GError) error = NULL;
  SvJsonTree *tree = sv_json_tree_parse (json, strlen (json), NULL, &error);

  g_assert_no_error (error);
  g_ptr_array_add (trees, tree);
  return sv_json_tree_get_root (tree);
}

static void
assert_concept (const char   *json,
                SvCodeDomain  domain,
                const char   *expected)
{
  const SvJsonNode *concept = parse_object (json);
  g_autofree char *display = sv_fhir_concept_display (concept, domain);

  g_assert_cmpstr (display, ==, expected);
}

static void
test_concept_display_order (void)
{
  /* text wins over everything */
  assert_concept ("{\"text\":\"Diabetes\",\"coding\":[{\"system\":\"http://snomed.info/sct\",\"code\":\"44054006\",\"display\":\"Diabetes mellitus type 2\"}]}",
                  SV_CODE_DOMAIN_CONDITION, "Diabetes");
  /* then the userSelected coding */
  assert_concept ("{\"coding\":[{\"system\":\"http://snomed.info/sct\",\"code\":\"1\",\"display\":\"From SNOMED\"},"
                  "{\"system\":\"http://hl7.org/fhir/sid/icd-10-cm\",\"code\":\"E11\",\"display\":\"Chosen\",\"userSelected\":true}]}",
                  SV_CODE_DOMAIN_CONDITION, "Chosen");
  /* then the preferred system, in order, whatever the coding order */
  assert_concept ("{\"coding\":[{\"system\":\"http://hl7.org/fhir/sid/icd-10-cm\",\"code\":\"E11\",\"display\":\"ICD\"},"
                  "{\"system\":\"http://snomed.info/sct\",\"code\":\"1\",\"display\":\"SNOMED\"}]}",
                  SV_CODE_DOMAIN_CONDITION, "SNOMED");
  assert_concept ("{\"coding\":[{\"system\":\"http://snomed.info/sct\",\"code\":\"1\",\"display\":\"SNOMED\"},"
                  "{\"system\":\"http://www.nlm.nih.gov/research/umls/rxnorm\",\"code\":\"2\",\"display\":\"RxNorm\"}]}",
                  SV_CODE_DOMAIN_MEDICATION, "RxNorm");
  /* then any display */
  assert_concept ("{\"coding\":[{\"system\":\"urn:local\",\"code\":\"x\",\"display\":\"Local\"}]}",
                  SV_CODE_DOMAIN_MEDICATION, "Local");
  /* then the code with a short label */
  assert_concept ("{\"coding\":[{\"system\":\"http://snomed.info/sct\",\"code\":\"44054006\"}]}",
                  SV_CODE_DOMAIN_CONDITION, "SNOMED CT 44054006");
  assert_concept ("{\"coding\":[{\"code\":\"42\"}]}", SV_CODE_DOMAIN_OTHER, "42");
  /* then "Uncoded" */
  assert_concept ("{}", SV_CODE_DOMAIN_CONDITION, "Uncoded");
  assert_concept ("{\"text\":\"\",\"coding\":[]}", SV_CODE_DOMAIN_CONDITION, "Uncoded");
}

static void
test_concept_wrong_types (void)
{
  /* What a broken server sends must read as absent, never crash. */
  assert_concept ("{\"text\":42,\"coding\":{\"code\":\"x\"}}", SV_CODE_DOMAIN_CONDITION, "Uncoded");
  assert_concept ("{\"coding\":[null,7,\"x\",{\"display\":[1]},{\"code\":\"ok\"}]}", SV_CODE_DOMAIN_OTHER, "ok");
  assert_concept ("{\"coding\":[{\"display\":\"D\",\"userSelected\":\"true\"}]}", SV_CODE_DOMAIN_OTHER, "D");
  {
    g_autofree char *display = sv_fhir_concept_display (NULL, SV_CODE_DOMAIN_OTHER);
    g_assert_cmpstr (display, ==, "Uncoded");
  }
}

static void
test_patient_name (void)
{
  static const struct { const char *json; const char *expected; } cases[] = {
    { "{\"name\":[{\"use\":\"usual\",\"given\":[\"Bob\"],\"family\":\"X\"},{\"use\":\"official\",\"given\":[\"Robert\",\"James\"],\"family\":\"Smith\"}]}", "Robert James Smith" },
    { "{\"name\":[{\"given\":[\"Zoë\"],\"family\":\"Müller\"}]}", "Zoë Müller" },
    { "{\"name\":[{\"text\":\"山田 太郎\",\"family\":\"山田\"}]}", "山田 太郎" },
    { "{\"name\":[{\"family\":\"Only\"}]}", "Only" },
    { "{}", "Not known" },
    { "{\"name\":[{\"extension\":[{\"url\":\"http://hl7.org/fhir/StructureDefinition/data-absent-reason\",\"valueCode\":\"masked\"}]}]}", "Not known (masked)" },
    { "{\"name\":\"oops\"}", "Not known" },
    { "{\"name\":[{\"given\":[1,null,\"Ann\"]}]}", "Ann" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const SvJsonNode *patient = parse_object (cases[i].json);
      g_autofree char *name = sv_fhir_patient_name (patient);

      g_assert_cmpstr (name, ==, cases[i].expected);
    }
}

static void
test_patient_birth (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_utc (2026, 12, 4, 12, 0, 0);
  static const struct { const char *json; const char *expected; } cases[] = {
    { "{\"birthDate\":\"1961-03-12\"}", "12 Mar 1961 (65 y)" },
    { "{\"birthDate\":\"1961-12-05\"}", "5 Dec 1961 (64 y)" },
    { "{\"birthDate\":\"1961-12-04\"}", "4 Dec 1961 (65 y)" },
    { "{\"birthDate\":\"1961-03\"}", "Mar 1961" },
    { "{\"birthDate\":\"1961\"}", "1961" },
    { "{}", "Not known" },
    { "{\"_birthDate\":{\"extension\":[{\"url\":\"http://hl7.org/fhir/StructureDefinition/data-absent-reason\",\"valueCode\":\"asked-declined\"}]}}", "Not known (declined)" },
    { "{\"birthDate\":\"yesterday\"}", "yesterday" },
    { "{\"birthDate\":\"1961-02-30\"}", "1961-02-30" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const SvJsonNode *patient = parse_object (cases[i].json);
      g_autofree char *birth = sv_fhir_patient_birth (patient, now);

      g_assert_cmpstr (birth, ==, cases[i].expected);
    }
}

static void
test_patient_mrn (void)
{
  const SvJsonNode *patient = parse_object (
    "{\"identifier\":["
    "{\"system\":\"http://hl7.org/fhir/sid/us-ssn\",\"value\":\"999-12-3456\",\"type\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/v2-0203\",\"code\":\"MR\"}]}},"
    "{\"system\":\"urn:x\",\"value\":\"abc\"},"
    "{\"system\":\"urn:mrn\",\"value\":\"MRN-0042\",\"type\":{\"text\":\"Medical Record Number\",\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/v2-0203\",\"code\":\"MR\"}]}}]}");
  const SvJsonNode *ssn_only = parse_object (
    "{\"identifier\":[{\"system\":\"http://hl7.org/fhir/sid/us-ssn\",\"value\":\"999-12-3456\",\"type\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/v2-0203\",\"code\":\"SS\"}]}}]}");
  g_autofree char *label = NULL;
  g_autofree char *mrn = sv_fhir_patient_mrn (patient, &label);
  g_autofree char *none = sv_fhir_patient_mrn (ssn_only, NULL);

  /* The SSN is skipped even when it claims to be an MR. */
  g_assert_cmpstr (mrn, ==, "MRN-0042");
  g_assert_cmpstr (label, ==, "Medical Record Number");
  g_assert_null (none);
}

static void
test_choice_display (void)
{
  static const struct { const char *json; const char *expected; } cases[] = {
    { "{\"onsetDateTime\":\"2014-05-18T01:06:23-04:00\"}", "18 May 2014" },
    { "{\"onsetString\":\"in childhood\"}", "in childhood" },
    { "{\"onsetPeriod\":{\"start\":\"2001-02\",\"end\":\"2003\"}}", "Feb 2001 – 2003" },
    { "{\"onsetPeriod\":{\"start\":\"2001-02-03\"}}", "since 3 Feb 2001" },
    { "{\"onsetAge\":{\"value\":45,\"unit\":\"a\"}}", "at age 45 a" },
    { "{\"onsetAge\":{\"value\":4.5,\"code\":\"a\"}}", "at age 4.5 a" },
    { "{\"onsetRange\":{\"low\":{\"value\":40,\"unit\":\"a\"},\"high\":{\"value\":45,\"unit\":\"a\"}}}", "at age 40 a – 45 a" },
    { "{\"onsetRange\":{\"low\":{\"value\":40,\"unit\":\"a\"}}}", "at age 40 a or older" },
    { "{\"onsetAge\":{\"value\":\"x\"}}", NULL },
    { "{}", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const SvJsonNode *resource = parse_object (cases[i].json);
      g_autofree char *text = sv_fhir_choice_display (resource, "onset");

      g_assert_cmpstr (text, ==, cases[i].expected);
    }
}

static void
test_date_sort_key (void)
{
  /* Partial dates sort as the start of their period; absent ones first. */
  g_assert_cmpint (sv_fhir_date_sort_key (NULL), <, sv_fhir_date_sort_key ("0001"));
  g_assert_cmpint (sv_fhir_date_sort_key ("1961"), <=, sv_fhir_date_sort_key ("1961-01-01"));
  g_assert_cmpint (sv_fhir_date_sort_key ("1961-03"), <, sv_fhir_date_sort_key ("1961-03-02"));
  g_assert_cmpint (sv_fhir_date_sort_key ("1961-03-02"), <, sv_fhir_date_sort_key ("1961-03-02T10:00:00Z"));
  /* Time zones are honoured: 23:00 at -05:00 is after 02:00 UTC the next day. */
  g_assert_cmpint (sv_fhir_date_sort_key ("2020-01-01T23:00:00-05:00"), <, sv_fhir_date_sort_key ("2020-01-02T05:00:00Z"));
  g_assert_cmpint (sv_fhir_date_sort_key ("garbage"), ==, G_MININT64);
}

static void
test_age (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_utc (2026, 3, 1, 0, 0, 0);

  g_assert_cmpint (sv_fhir_age_in_years ("2000-02-29", now), ==, 26);
  g_assert_cmpint (sv_fhir_age_in_years ("2000-03-02", now), ==, 25);
  g_assert_cmpint (sv_fhir_age_in_years ("2000", now), ==, -1);
  g_assert_cmpint (sv_fhir_age_in_years ("2030-01-01", now), ==, -1);
}

static void
test_inferred (void)
{
  /* The shape HealthLake documents (and the sandbox generates): scores as
   * modifierExtensions directly under the resource. */
  const SvJsonNode *healthlake = parse_object (
    "{\"resourceType\":\"Condition\",\"modifierExtension\":["
    "{\"url\":\"http://healthlake.amazonaws.com/aws-cm/infer-icd10/aws-cm-icd10-entity-score\",\"valueDecimal\":0.91},"
    "{\"url\":\"http://healthlake.amazonaws.com/system-generated-linkage\",\"valueReference\":{\"reference\":\"Linkage/1\"}}]}");
  const SvJsonNode *nested = parse_object (
    "{\"extension\":[{\"url\":\"http://healthlake.amazonaws.com/aws-cm/\",\"extension\":["
    "{\"url\":\"infer-icd10cm-entity-score\",\"valueDecimal\":0.5}]}]}");
  const SvJsonNode *plain = parse_object ("{\"extension\":[{\"url\":\"http://example.org/score\",\"valueDecimal\":0.9}]}");
  double confidence = 0;

  g_assert_true (sv_fhir_inferred_confidence (healthlake, &confidence));
  g_assert_cmpfloat_with_epsilon (confidence, 0.91, 1e-9);
  g_assert_true (sv_fhir_inferred_confidence (nested, &confidence));
  g_assert_cmpfloat_with_epsilon (confidence, 0.5, 1e-9);
  g_assert_false (sv_fhir_inferred_confidence (plain, &confidence));
}

int
main (int   argc,
      char *argv[])
{
  int status;

  /* The expected strings are the untranslated English ones. */
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_setenv ("LANGUAGE", "C", TRUE);
  setlocale (LC_ALL, "");

  g_test_init (&argc, &argv, NULL);
  trees = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_json_tree_unref);

  g_test_add_func ("/core/fhir-value/concept-display-order", test_concept_display_order);
  g_test_add_func ("/core/fhir-value/concept-wrong-types", test_concept_wrong_types);
  g_test_add_func ("/core/fhir-value/patient-name", test_patient_name);
  g_test_add_func ("/core/fhir-value/patient-birth", test_patient_birth);
  g_test_add_func ("/core/fhir-value/patient-mrn", test_patient_mrn);
  g_test_add_func ("/core/fhir-value/choice-display", test_choice_display);
  g_test_add_func ("/core/fhir-value/date-sort-key", test_date_sort_key);
  g_test_add_func ("/core/fhir-value/age", test_age);
  g_test_add_func ("/core/fhir-value/inferred", test_inferred);

  status = g_test_run ();
  g_ptr_array_unref (trees);
  return status;
}
