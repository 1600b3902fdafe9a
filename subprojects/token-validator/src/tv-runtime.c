/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "tv-runtime.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tv-config.h"
#include "tv-handler.h"
#include "tv-http.h"
#include "tv-util.h"
#include "tv-validator.h"

#define API_PREFIX "/2018-06-01/runtime"
/* Kept free before the deadline for posting the answer. */
#define DEADLINE_MARGIN_MS 100
/* Budget when the Runtime API sends no deadline. */
#define DEFAULT_BUDGET_MS 1000
/* JWKS fetch at init: the Lambda init phase allows 10 s. */
#define INIT_TIMEOUT_MS 5000

static bool
post_json (TvHttp *api, const char *url, const char *body,
           const char *extra_header, char *err, size_t errlen)
{
  TvHttpRequest req = { 0 };
  TvHttpResponse resp;
  bool ok;

  req.method = "POST";
  req.url = url;
  req.body = body;
  req.body_len = strlen (body);
  req.content_type = "application/json";
  req.extra_header = extra_header;
  req.timeout_ms = 5000;
  req.max_body = 64 * 1024;
  if (!tv_http_perform (api, &req, &resp, err, errlen))
    return false;
  ok = resp.status >= 200 && resp.status < 300;
  if (!ok)
    tv_set_error (err, errlen, "Runtime API answered HTTP %ld", resp.status);
  tv_http_response_clear (&resp);
  return ok;
}

static char *
error_body (const char *type, const char *message)
{
  json_t *j = json_pack ("{s:s, s:s}", "errorMessage", message, "errorType", type);
  char *s = json_dumps (j, JSON_COMPACT);

  json_decref (j);
  return s;
}

static void
report_init_error (TvHttp *api, const char *base, const char *type,
                   const char *message)
{
  char url[512], err[256];
  char *body = error_body (type, message);

  snprintf (url, sizeof url, "%s" API_PREFIX "/init/error", base);
  tv_log ("error", "init failed: %s", message);
  if (body && !post_json (api, url, body,
                          "Lambda-Runtime-Function-Error-Type: Runtime.InitError",
                          err, sizeof err))
    tv_log ("error", "could not report the init error: %s", err);
  free (body);
}

static bool
request_id_is_safe (const char *id)
{
  /* It goes into a URL path: accept what AWS uses (UUIDs) and little else. */
  if (id[0] == '\0')
    return false;
  for (const char *p = id; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
          || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
      return false;
  return true;
}

int
tv_runtime_main (const char *runtime_api)
{
  TvConfig cfg;
  TvValidator v;
  TvHttp *api;
  char base[300], next_url[512], err[512];
  int status = 1;

  snprintf (base, sizeof base, "http://%s", runtime_api);
  snprintf (next_url, sizeof next_url, "%s" API_PREFIX "/invocation/next", base);

  api = tv_http_new (NULL, false);
  if (api == NULL)
    return 1;

  if (!tv_config_load (&cfg, err, sizeof err))
    {
      report_init_error (api, base, "Runtime.ConfigError", err);
      tv_config_clear (&cfg);
      tv_http_free (api);
      return 2;
    }
  if (!tv_validator_init (&v, &cfg, true, INIT_TIMEOUT_MS, err, sizeof err))
    {
      char msg[600];

      if (v.secret_failed)
        snprintf (msg, sizeof msg, "%s", err);
      else
        snprintf (msg, sizeof msg, "cannot fetch the JWKS: %s", err);
      report_init_error (api, base,
                         v.secret_failed ? "Runtime.SecretUnavailable"
                                         : "Runtime.JwksUnavailable", msg);
      tv_validator_clear (&v);
      tv_config_clear (&cfg);
      tv_http_free (api);
      return 1;
    }
  tv_log ("info", "ready: issuer %s, %zu keys", cfg.issuer, v.jwks.n_keys);

  for (;;)
    {
      TvHttpRequest req = { 0 };
      TvHttpResponse ev;
      TvDecision d;
      TvResult result;
      char *response = NULL;
      char url[512];
      int64_t start_us;
      long budget_ms;

      req.method = "GET";
      req.url = next_url;
      req.timeout_ms = 0;   /* the long poll blocks until an event arrives */
      req.max_body = TV_MAX_EVENT_BYTES + 1;
      if (!tv_http_perform (api, &req, &ev, err, sizeof err))
        {
          char *body;

          if (ev.status != 200 || !request_id_is_safe (ev.request_id))
            {
              tv_log ("error", "Runtime API unreachable: %s", err);
              break;
            }
          /* An event we could not take in (too large): fail that invocation
           * and keep serving. */
          tv_log ("error", "invocation %s: cannot read the event: %s",
                  ev.request_id, err);
          body = error_body ("InvalidEvent", "the event could not be read");
          snprintf (url, sizeof url, "%s" API_PREFIX "/invocation/%s/error",
                    base, ev.request_id);
          if (body && !post_json (api, url, body,
                                  "Lambda-Runtime-Function-Error-Type: InvalidEvent",
                                  err, sizeof err))
            tv_log ("error", "could not post the error: %s", err);
          free (body);
          continue;
        }
      start_us = tv_now_mono_us ();
      if (ev.status != 200 || !request_id_is_safe (ev.request_id))
        {
          tv_log ("error", "unexpected answer from invocation/next (HTTP %ld)",
                  ev.status);
          tv_http_response_clear (&ev);
          sleep (1);
          continue;
        }

      if (ev.deadline_ms > 0)
        budget_ms = (long) (ev.deadline_ms - tv_now_wall_ms () - DEADLINE_MARGIN_MS);
      else
        budget_ms = DEFAULT_BUDGET_MS;

      result = tv_handle_event (&v, ev.body, ev.body_len, budget_ms, &response, &d);
      /* Logged before answering, so the line exists even if the sandbox
       * is frozen or killed right after it receives the answer. */
      tv_log_invocation (ev.request_id, result, &d, tv_now_mono_us () - start_us);
      if (result == TV_RESULT_MALFORMED)
        {
          char *body = error_body ("InvalidEvent",
                                   "the event is not a JSON object");

          snprintf (url, sizeof url, "%s" API_PREFIX "/invocation/%s/error",
                    base, ev.request_id);
          if (!post_json (api, url, body,
                          "Lambda-Runtime-Function-Error-Type: InvalidEvent",
                          err, sizeof err))
            tv_log ("error", "could not post the error: %s", err);
          free (body);
        }
      else
        {
          snprintf (url, sizeof url, "%s" API_PREFIX "/invocation/%s/response",
                    base, ev.request_id);
          if (response == NULL
              || !post_json (api, url, response, NULL, err, sizeof err))
            tv_log ("error", "could not post the response: %s", err);
        }
      free (response);
      tv_decision_clear (&d);
      tv_http_response_clear (&ev);
    }

  tv_validator_clear (&v);
  tv_config_clear (&cfg);
  tv_http_free (api);
  return status;
}
