/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "tv-http.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tv-util.h"

struct TvHttp
{
  CURL *curl;
  char *ca_file;
  bool proxy_allowed;
};

typedef struct
{
  TvHttpResponse *resp;
  size_t cap;
  size_t max;
  bool too_large;
} WriteCtx;

void
tv_http_global_init (void)
{
  curl_global_init (CURL_GLOBAL_DEFAULT);
}

TvHttp *
tv_http_new (const char *ca_file, bool proxy_allowed)
{
  TvHttp *http = calloc (1, sizeof *http);

  if (http == NULL)
    return NULL;
  http->curl = curl_easy_init ();
  if (http->curl == NULL)
    {
      free (http);
      return NULL;
    }
  http->ca_file = ca_file ? strdup (ca_file) : NULL;
  http->proxy_allowed = proxy_allowed;
  return http;
}

void
tv_http_free (TvHttp *http)
{
  if (http == NULL)
    return;
  curl_easy_cleanup (http->curl);
  free (http->ca_file);
  free (http);
}

void
tv_http_response_clear (TvHttpResponse *resp)
{
  free (resp->body);
  memset (resp, 0, sizeof *resp);
}

static size_t
write_cb (char *data, size_t size, size_t nmemb, void *user_data)
{
  WriteCtx *ctx = user_data;
  TvHttpResponse *resp = ctx->resp;
  size_t n = size * nmemb;

  if (resp->body_len + n > ctx->max)
    {
      ctx->too_large = true;
      return 0;
    }
  if (resp->body_len + n + 1 > ctx->cap)
    {
      size_t ncap = ctx->cap ? ctx->cap : 4096;
      char *nb;

      while (ncap < resp->body_len + n + 1)
        ncap *= 2;
      nb = realloc (resp->body, ncap);
      if (nb == NULL)
        return 0;
      resp->body = nb;
      ctx->cap = ncap;
    }
  memcpy (resp->body + resp->body_len, data, n);
  resp->body_len += n;
  resp->body[resp->body_len] = '\0';
  return n;
}

static void
header_value (const char *line, size_t len, const char *name,
              char *out, size_t outlen)
{
  size_t nl = strlen (name);
  const char *v, *end;
  size_t vl;

  if (len <= nl || strncasecmp (line, name, nl) != 0 || line[nl] != ':')
    return;
  v = line + nl + 1;
  end = line + len;
  while (v < end && (*v == ' ' || *v == '\t'))
    v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
    end--;
  vl = (size_t) (end - v);
  if (vl >= outlen)
    vl = outlen - 1;
  memcpy (out, v, vl);
  out[vl] = '\0';
}

static size_t
header_cb (char *line, size_t size, size_t nmemb, void *user_data)
{
  TvHttpResponse *resp = user_data;
  size_t n = size * nmemb;
  char deadline[32] = "";

  header_value (line, n, "Lambda-Runtime-Aws-Request-Id",
                resp->request_id, sizeof resp->request_id);
  header_value (line, n, "Lambda-Runtime-Deadline-Ms", deadline, sizeof deadline);
  if (deadline[0])
    resp->deadline_ms = strtoll (deadline, NULL, 10);
  return n;
}

bool
tv_http_perform (TvHttp *http, const TvHttpRequest *req,
                 TvHttpResponse *resp, char *err, size_t errlen)
{
  CURL *c = http->curl;
  struct curl_slist *headers = NULL;
  WriteCtx ctx = { resp, 0, req->max_body ? req->max_body : 1 << 20, false };
  char ctype[128];
  CURLcode rc;

  memset (resp, 0, sizeof *resp);
  curl_easy_reset (c);

  curl_easy_setopt (c, CURLOPT_URL, req->url);
  curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
  /* Only plain HTTP(S), never a redirect: a JWKS location is configuration,
   * not something a server gets to change. */
  curl_easy_setopt (c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt (c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt (c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (http->ca_file)
    curl_easy_setopt (c, CURLOPT_CAINFO, http->ca_file);
  if (!http->proxy_allowed)
    curl_easy_setopt (c, CURLOPT_PROXY, "");
  else
    curl_easy_setopt (c, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
  curl_easy_setopt (c, CURLOPT_TIMEOUT_MS, req->timeout_ms);
  if (req->timeout_ms > 0)
    curl_easy_setopt (c, CURLOPT_CONNECTTIMEOUT_MS, req->timeout_ms);
  curl_easy_setopt (c, CURLOPT_USERAGENT, TV_PACKAGE_NAME "/" TV_VERSION);
  curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt (c, CURLOPT_WRITEDATA, &ctx);
  curl_easy_setopt (c, CURLOPT_HEADERFUNCTION, header_cb);
  curl_easy_setopt (c, CURLOPT_HEADERDATA, resp);
  /* No "Expect: 100-continue" round trip on POSTs. */
  headers = curl_slist_append (headers, "Expect:");
  if (req->extra_header)
    headers = curl_slist_append (headers, req->extra_header);
  for (size_t i = 0; req->extra_headers && req->extra_headers[i]; i++)
    headers = curl_slist_append (headers, req->extra_headers[i]);

  if (strcmp (req->method, "POST") == 0)
    {
      curl_easy_setopt (c, CURLOPT_POST, 1L);
      curl_easy_setopt (c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
      curl_easy_setopt (c, CURLOPT_POSTFIELDSIZE_LARGE,
                        (curl_off_t) (req->body ? req->body_len : 0));
      snprintf (ctype, sizeof ctype, "Content-Type: %s",
                req->content_type ? req->content_type : "application/json");
      headers = curl_slist_append (headers, ctype);
    }
  if (req->basic_user)
    {
      curl_easy_setopt (c, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
      curl_easy_setopt (c, CURLOPT_USERNAME, req->basic_user);
      curl_easy_setopt (c, CURLOPT_PASSWORD, req->basic_password);
    }
  curl_easy_setopt (c, CURLOPT_HTTPHEADER, headers);

  rc = curl_easy_perform (c);
  curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &resp->status);
  /* The basic-auth password must not stay referenced by the handle. */
  curl_easy_setopt (c, CURLOPT_PASSWORD, NULL);
  curl_easy_setopt (c, CURLOPT_HTTPHEADER, NULL);
  curl_slist_free_all (headers);

  if (rc != CURLE_OK)
    {
      if (ctx.too_large)
        tv_set_error (err, errlen, "response larger than %zu bytes", ctx.max);
      else
        tv_set_error (err, errlen, "%s", curl_easy_strerror (rc));
      /* The headers (a request id) stay readable: the runtime must still
       * answer an invocation whose event it could not take. */
      free (resp->body);
      resp->body = NULL;
      resp->body_len = 0;
      return false;
    }
  if (resp->body == NULL)
    {
      resp->body = calloc (1, 1);
      if (resp->body == NULL)
        return false;
    }
  return true;
}
