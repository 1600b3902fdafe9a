/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "tv-handler.h"

#include "tv-event.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *
deny_response (const TvConfig *cfg, const char *datastore_endpoint)
{
  json_t *payload = json_object (), *r;
  char *s;

  /* A deny carries no user claims, only what identifies the answer. */
  json_object_set_new (payload, "iss", json_string (cfg->issuer));
  if (datastore_endpoint)
    json_object_set_new (payload, "aud", json_string (datastore_endpoint));
  json_object_set_new (payload, "isAuthorized", tv_is_authorized_value (false));
  r = json_pack ("{s:o, s:s}", "authPayload", payload, "iamRoleARN", cfg->role_arn);
  s = json_dumps (r, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref (r);
  return s;
}

TvResult
tv_handle_event (TvValidator *v, const char *event, size_t len,
                 long budget_ms, char **response, TvDecision *d)
{
  const TvConfig *cfg = v->config;
  TvEvent fast;
  json_t *ev = NULL;
  const char *endpoint, *token;
  size_t token_len = 0;
  TvResult result;

  memset (d, 0, sizeof *d);
  if (len > TV_MAX_EVENT_BYTES)
    {
      d->reason = "malformed_event";
      *response = deny_response (cfg, NULL);
      return TV_RESULT_MALFORMED;
    }
  if (tv_event_scan (event, len, &fast) == TV_EVENT_OK)
    {
      endpoint = fast.endpoint;
      token = fast.token;
      token_len = fast.token_len;
    }
  else
    {
      json_t *tok;

      ev = json_loadb (event, len, 0, NULL);
      if (!json_is_object (ev))
        {
          json_decref (ev);
          d->reason = "malformed_event";
          *response = deny_response (cfg, NULL);
          return TV_RESULT_MALFORMED;
        }
      endpoint = json_string_value (json_object_get (ev, "datastoreEndpoint"));
      tok = json_object_get (ev, "bearerToken");
      token = json_string_value (tok);
      token_len = token ? json_string_length (tok) : 0;
    }

  if (endpoint == NULL || endpoint[0] == '\0')
    {
      d->reason = "no_datastore_endpoint";
      *response = deny_response (cfg, NULL);
      result = TV_RESULT_DENY;
    }
  else if (token == NULL)
    {
      d->reason = "no_token";
      *response = deny_response (cfg, endpoint);
      result = TV_RESULT_DENY;
    }
  else
    {
      tv_validator_check (v, token, token_len, endpoint, budget_ms, d);
      if (d->allow)
        {
          json_t *r = json_pack ("{s:O, s:s}", "authPayload", d->auth_payload,
                                 "iamRoleARN", cfg->role_arn);

          *response = json_dumps (r, JSON_COMPACT | JSON_PRESERVE_ORDER);
          json_decref (r);
          result = TV_RESULT_ALLOW;
        }
      else
        {
          *response = deny_response (cfg, endpoint);
          result = TV_RESULT_DENY;
        }
    }
  json_decref (ev);
  tv_event_clear (&fast);
  return result;
}

void
tv_log_invocation (const char *request_id, TvResult result,
                   const TvDecision *d, int64_t latency_us)
{
  json_t *line;
  char *s;

  /* Only identifiers: never the token, a signature or the claim set. */
  line = json_object ();
  json_object_set_new (line, "requestId",
                       request_id && request_id[0] ? json_string (request_id) : json_null ());
  json_object_set_new (line, "decision",
                       json_string (result == TV_RESULT_ALLOW ? "allow"
                                    : result == TV_RESULT_DENY ? "deny" : "error"));
  json_object_set_new (line, "reason", json_string (d->reason ? d->reason : "internal"));
  json_object_set_new (line, "kid", d->kid[0] ? json_string (d->kid) : json_null ());
  json_object_set_new (line, "clientId",
                       d->client_id[0] ? json_string (d->client_id) : json_null ());
  json_object_set_new (line, "latencyUs", json_integer (latency_us));
  s = json_dumps (line, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
  if (s)
    {
      fprintf (stderr, "%s\n", s);
      fflush (stderr);
    }
  free (s);
  json_decref (line);
}
