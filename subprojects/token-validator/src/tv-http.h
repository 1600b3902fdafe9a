/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* A reusable libcurl handle: one per peer (Runtime API, IdP) so that
 * connections are kept alive between invocations. */
typedef struct TvHttp TvHttp;

typedef struct
{
  const char *method;       /* "GET" or "POST" */
  const char *url;
  const char *body;         /* POST body, may be NULL */
  size_t body_len;
  const char *content_type; /* for POST */
  const char *extra_header; /* one "Name: value" header, may be NULL */
  const char *const *extra_headers; /* NULL-terminated list, may be NULL */
  const char *basic_user;   /* HTTP basic auth, may be NULL */
  const char *basic_password;
  long timeout_ms;          /* 0 = no timeout (the Runtime API long poll) */
  size_t max_body;          /* larger responses are an error */
} TvHttpRequest;

typedef struct
{
  long status;
  char *body;               /* NUL-terminated, malloc'd */
  size_t body_len;
  char request_id[128];     /* Lambda-Runtime-Aws-Request-Id */
  long long deadline_ms;    /* Lambda-Runtime-Deadline-Ms, 0 if absent */
} TvHttpResponse;

/* ca_file may be NULL (libcurl's default).  proxy_allowed = false ignores
 * any *_proxy environment variable (the Runtime API is always direct). */
TvHttp *tv_http_new (const char *ca_file, bool proxy_allowed);
void tv_http_free (TvHttp *http);

/* On failure resp has no body, but status and the Lambda headers received
 * so far are kept. */
bool tv_http_perform (TvHttp *http, const TvHttpRequest *req,
                      TvHttpResponse *resp, char *err, size_t errlen);
void tv_http_response_clear (TvHttpResponse *resp);

/* Process-wide libcurl init; call once from main. */
void tv_http_global_init (void);
