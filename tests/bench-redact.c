/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-redact"

#include "config.h"

#include <string.h>

#include "sv-redact.h"

/* Numbers, not assertions: how much the one redaction costs where it runs
 * on everything (each log line, each inspector entry, each exported body). */

static const char log_line[] =
  "GET http://127.0.0.1:8400/datastore/0123/r4/Observation?patient=123&code=http://loinc.org|8302-2&_count=50 -> 200 (12 ms, 2048 bytes, page 1)";

static const char secret_line[] =
  "POST /token grant_type=authorization_code&code=3c5f0e2a-91b7-4d7e-a6f1-0c2d9e8b7a41.8f0e&code_verifier=Zq3vK8mW1xYpR7tLs0NcBd5hJ2gFe9aUoViT4kQyXw6&client_id=smart-viewer\n"
  "Authorization: Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1MSIsImV4cCI6MTg5MzQ1NjAwMH0.c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJl";

static double
per_call_us (const char *text,
             guint       n)
{
  gint64 start = g_get_monotonic_time ();

  for (guint i = 0; i < n; i++)
    g_free (sv_redact_text (text));
  return (double) (g_get_monotonic_time () - start) / n;
}

int
main (void)
{
  GString *big = g_string_new (NULL);
  GString *bundle = g_string_new ("{\"resourceType\":\"Bundle\",\"entry\":[");
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) redacted = NULL;
  gint64 start;
  double seconds;

  g_print ("log line without secrets: %.1f us\n", per_call_us (log_line, 2000));
  g_print ("token request with secrets: %.1f us\n", per_call_us (secret_line, 2000));

  while (big->len < 1024 * 1024)
    {
      g_string_append (big, log_line);
      g_string_append_c (big, '\n');
      g_string_append (big, secret_line);
      g_string_append_c (big, '\n');
    }
  start = g_get_monotonic_time ();
  g_free (sv_redact_text (big->str));
  seconds = (g_get_monotonic_time () - start) / 1e6;
  g_print ("1 MiB transcript: %.3f s (%.1f MiB/s)\n", seconds, big->len / 1048576.0 / seconds);

  for (guint i = 0; i < 2000; i++)
    g_string_append_printf (bundle,
                            "%s{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"obs-%u\",\"status\":\"final\","
                            "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"8302-2\",\"display\":\"Body height\"}]},"
                            "\"subject\":{\"reference\":\"Patient/patient-001\"},\"effectiveDateTime\":\"2026-01-01T10:00:00Z\","
                            "\"valueQuantity\":{\"value\":%u.5,\"unit\":\"cm\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"cm\"}}}",
                            i > 0 ? "," : "", i, 150 + i % 50);
  g_string_append (bundle, "]}");
  node = json_from_string (bundle->str, NULL);
  start = g_get_monotonic_time ();
  redacted = sv_redact_json (node);
  seconds = (g_get_monotonic_time () - start) / 1e6;
  g_print ("Bundle of 2000 Observations (%.1f MiB): sv_redact_json %.3f s\n", bundle->len / 1048576.0, seconds);

  g_string_free (big, TRUE);
  g_string_free (bundle, TRUE);
  return 0;
}
