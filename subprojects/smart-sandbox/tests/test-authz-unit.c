/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for the FHIR side's pure pieces: the SMART scope grammar, the
 * authPayload checks, the scope decision (without patients), FHIR date
 * ranges and query-string parsing.  The HTTP behaviour is in test-fhir.py
 * and test-authz.py. */
#define G_LOG_DOMAIN "test-authz-unit"

#include "config.h"

#include <string.h>

#include "sb-authz.h"
#include "sb-fhir.h"
#include "sb-store.h"

static void
test_scope_grammar (void)
{
  static const struct
  {
    const char *text;
    gboolean ok;
    SbScopeContext context;
    const char *type;
    guint perms;
  } cases[] = {
    { "patient/Condition.read", TRUE, SB_SCOPE_PATIENT, "Condition", SB_PERM_R | SB_PERM_S },
    { "user/*.write", TRUE, SB_SCOPE_USER, "*", SB_PERM_C | SB_PERM_U | SB_PERM_D },
    { "system/*.*", TRUE, SB_SCOPE_SYSTEM, "*", 0x1f },
    { "patient/Patient.rs", TRUE, SB_SCOPE_PATIENT, "Patient", SB_PERM_R | SB_PERM_S },
    { "patient/Patient.cruds", TRUE, SB_SCOPE_PATIENT, "Patient", 0x1f },
    { "user/Observation.s", TRUE, SB_SCOPE_USER, "Observation", SB_PERM_S },
    { "patient/Observation.rs?category=laboratory", TRUE, SB_SCOPE_PATIENT, "Observation",
      SB_PERM_R | SB_PERM_S },
    /* Letters out of order, repeated, unknown; v1 with a query; wildcards with a query. */
    { "patient/Patient.sr", FALSE }, { "patient/Patient.rrs", FALSE },
    { "patient/Patient.x", FALSE }, { "patient/Patient.", FALSE },
    { "patient/Observation.read?category=laboratory", FALSE },
    { "patient/*.rs?category=laboratory", FALSE }, { "patient/Observation.rs?", FALSE },
    { "launch/patient", FALSE }, { "openid", FALSE }, { "patient/.read", FALSE },
    { "patient/Pa-tient.read", FALSE }, { "admin/Patient.read", FALSE },
    { "patient/**.read", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      SbScope s;
      gboolean ok = sb_scope_parse (cases[i].text, &s);

      g_test_message ("%s", cases[i].text);
      g_assert_cmpint (ok, ==, cases[i].ok);
      if (!ok)
        continue;
      g_assert_cmpint (s.context, ==, cases[i].context);
      g_assert_cmpstr (s.type, ==, cases[i].type);
      g_assert_cmpuint (s.perms, ==, cases[i].perms);
      sb_scope_clear (&s);
    }
}

static JsonObject *
payload (const char *json)
{
  g_autoptr(JsonNode) n = json_from_string (json, NULL);

  g_assert_nonnull (n);
  return json_object_ref (json_node_get_object (n));
}

static SbContext *
context (void)
{
  SbContext *ctx = g_new0 (SbContext, 1);

  ctx->fhir_base = g_strdup ("http://127.0.0.1:1/datastore/0123456789abcdef0123456789abcdef/r4/");
  return ctx;
}

static void
context_free (SbContext *ctx)
{
  g_free (ctx->fhir_base);
  g_free (ctx);
}

/* An answer of the validator; authorized is JSON text ("true", "\"true\""…),
 * NULL leaves out the authPayload. */
static JsonObject *
answer (const char *authorized, const char *aud, gint64 exp, gint64 nbf, gboolean with_scope)
{
  g_autofree char *text = NULL;

  if (authorized == NULL)
    return payload ("{\"iamRoleARN\":\"arn:aws:iam::000000000000:role/x\"}");
  text = g_strdup_printf ("{\"authPayload\":{\"isAuthorized\":%s,\"aud\":\"%s\","
                          "\"exp\":%" G_GINT64_FORMAT ",\"nbf\":%" G_GINT64_FORMAT "%s}}",
                          authorized, aud, exp, nbf,
                          with_scope ? ",\"scope\":\"system/*.read\"" : "");
  return payload (text);
}

static void
test_check_response (void)
{
  SbContext *ctx = context ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *other_aud = g_strconcat (ctx->fhir_base, "x/", NULL);
  struct
  {
    JsonObject *o;
    gboolean ok;
  } cases[] = {
    { answer ("true", ctx->fhir_base, now + 60, now, TRUE), TRUE },
    { answer ("\"true\"", ctx->fhir_base, now + 60, now, TRUE), TRUE },
    { answer ("true", ctx->fhir_base, now + 60, now + 10, TRUE), TRUE },   /* within leeway */
    { answer ("false", ctx->fhir_base, now + 60, now, TRUE), FALSE },
    { answer ("\"yes\"", ctx->fhir_base, now + 60, now, TRUE), FALSE },
    { answer ("true", other_aud, now + 60, now, TRUE), FALSE },
    { answer ("true", ctx->fhir_base, now + 60, now, FALSE), FALSE },
    { answer ("true", ctx->fhir_base, now - 1, now - 100, TRUE), FALSE },  /* expired */
    { answer ("true", ctx->fhir_base, now + 600, now + 300, TRUE), FALSE }, /* not yet */
    { answer (NULL, NULL, 0, 0, FALSE), FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *reason = NULL;

      g_test_message ("case %u", i);
      g_assert_cmpint (sb_authz_check_response (ctx, cases[i].o, &reason), ==, cases[i].ok);
      g_assert_true (cases[i].ok == (reason == NULL));
      json_object_unref (cases[i].o);
    }
  context_free (ctx);
}

static void
test_decide_types (void)
{
  SbContext *ctx = context ();
  g_autoptr(JsonObject) p = payload ("{\"scope\":\"openid system/Medication.rs system/Condition.r "
                                     "patient/Observation.s\"}");
  SbAuthzDecision d;

  /* system/ on a type: unrestricted. */
  sb_authz_decide (ctx, p, "Condition", SB_INTERACTION_READ, NULL, &d);
  g_assert_cmpuint (d.status, ==, 0);
  g_assert_true (d.unrestricted);
  g_assert_cmpstr (d.granted_by, ==, "system/Condition.r");
  sb_authz_decision_clear (&d);

  /* Read without search. */
  sb_authz_decide (ctx, p, "Condition", SB_INTERACTION_SEARCH, NULL, &d);
  g_assert_cmpuint (d.status, ==, 403);
  g_assert_nonnull (strstr (d.message, "system/Condition.s"));
  sb_authz_decision_clear (&d);

  /* A type with no scope at all. */
  sb_authz_decide (ctx, p, "Patient", SB_INTERACTION_READ, NULL, &d);
  g_assert_cmpuint (d.status, ==, 403);
  g_assert_nonnull (strstr (d.message, "Patient"));
  sb_authz_decision_clear (&d);

  /* patient/ scope with no patient in the payload: refused, never "everyone". */
  sb_authz_decide (ctx, p, "Observation", SB_INTERACTION_SEARCH, NULL, &d);
  g_assert_cmpuint (d.status, ==, 403);
  g_assert_false (d.unrestricted);
  sb_authz_decision_clear (&d);
  context_free (ctx);
}

static void
test_decide_v22_query (void)
{
  SbContext *ctx = context ();
  g_autoptr(JsonObject) p = payload ("{\"scope\":\"system/Observation.rs?category=laboratory\"}");
  g_autoptr(GPtrArray) lab = g_ptr_array_new ();
  g_autoptr(GPtrArray) vital = g_ptr_array_new ();
  SbAuthzDecision d;

  g_ptr_array_add (lab, "category");
  g_ptr_array_add (lab, "laboratory");
  g_ptr_array_add (vital, "category");
  g_ptr_array_add (vital, "vital-signs");

  sb_authz_decide (ctx, p, "Observation", SB_INTERACTION_SEARCH, lab, &d);
  g_assert_cmpuint (d.status, ==, 0);
  sb_authz_decision_clear (&d);
  sb_authz_decide (ctx, p, "Observation", SB_INTERACTION_SEARCH, vital, &d);
  g_assert_cmpuint (d.status, ==, 403);
  sb_authz_decision_clear (&d);
  sb_authz_decide (ctx, p, "Observation", SB_INTERACTION_READ, NULL, &d);
  g_assert_cmpuint (d.status, ==, 403);
  sb_authz_decision_clear (&d);
  context_free (ctx);
}

static void
test_date_ranges (void)
{
  static const struct
  {
    const char *in, *lo, *hi;
  } cases[] = {
    { "1970", "1970-01-01T00:00:00", "1970-12-31T23:59:59" },
    { "2000-02", "2000-02-01T00:00:00", "2000-02-29T23:59:59" },
    { "1900-02", "1900-02-01T00:00:00", "1900-02-28T23:59:59" },
    { "1985-06-15", "1985-06-15T00:00:00", "1985-06-15T23:59:59" },
    { "2020-01-01T10:00:00+02:00", "2020-01-01T08:00:00", "2020-01-01T08:00:00" },
    { "2020-01-01T10:00:00.123Z", "2020-01-01T10:00:00", "2020-01-01T10:00:00" },
  };
  static const char *const bad[] = {
    "", "19", "1970-13", "1970-02-30", "1970-1-1", "abcd", "1970-01-01T99:00", "1970/01/01"
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *lo = NULL;
      g_autofree char *hi = NULL;

      g_assert_true (sb_store_date_range (cases[i].in, &lo, &hi));
      g_assert_cmpstr (lo, ==, cases[i].lo);
      g_assert_cmpstr (hi, ==, cases[i].hi);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *lo = NULL;
      g_autofree char *hi = NULL;

      g_test_message ("bad: %s", bad[i]);
      g_assert_false (sb_store_date_range (bad[i], &lo, &hi));
      g_assert_null (lo);
    }
}

static void
test_query_parsing (void)
{
  g_autoptr(GPtrArray) q = sb_fhir_parse_query ("name=J%C3%BCrgen+M&_count=5&&flag&code=http%3A%2F%2Fsnomed.info%2Fsct%7C123");
  g_autoptr(GPtrArray) bad = sb_fhir_parse_query ("name=%zz");

  g_assert_cmpuint (q->len, ==, 8);
  g_assert_cmpstr (q->pdata[0], ==, "name");
  g_assert_cmpstr (q->pdata[1], ==, "Jürgen M");
  g_assert_cmpstr (q->pdata[3], ==, "5");
  g_assert_cmpstr (q->pdata[4], ==, "flag");
  g_assert_cmpstr (q->pdata[5], ==, "");
  g_assert_cmpstr (q->pdata[7], ==, "http://snomed.info/sct|123");
  /* Invalid escapes are marked so that the search answers 400. */
  g_assert_cmpuint (bad->len, ==, 2);
  g_assert_cmpint (((char *) bad->pdata[0])[0], ==, '\x01');
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/authz/scope-grammar", test_scope_grammar);
  g_test_add_func ("/authz/check-response", test_check_response);
  g_test_add_func ("/authz/decide-types", test_decide_types);
  g_test_add_func ("/authz/decide-v2.2-query", test_decide_v22_query);
  g_test_add_func ("/store/date-ranges", test_date_ranges);
  g_test_add_func ("/fhir/query-parsing", test_query_parsing);
  return g_test_run ();
}
