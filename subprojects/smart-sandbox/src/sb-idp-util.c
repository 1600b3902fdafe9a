/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sb-idp"

#include "config.h"

#include "sb-idp-private.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <string.h>
#include <sys/random.h>

#include "sb-events.h"

/* The public client's redirect URIs.  The loopback one takes any port, as
 * RFC 8252 §7.3 asks; the table shows it with a placeholder. */
#define SB_PRIVATE_USE_REDIRECT "io.github.smartviewer.smartviewer:/oauth2redirect"
#define SB_LOOPBACK_PREFIX      "http://127.0.0.1:"
#define SB_LOOPBACK_PATH        "/oauth2redirect"

static const char *const public_redirect_uris[] = {
  SB_PRIVATE_USE_REDIRECT,
  SB_LOOPBACK_PREFIX "<any port>" SB_LOOPBACK_PATH,
  NULL
};

const char *const *
sb_idp_public_redirect_uris (void)
{
  return public_redirect_uris;
}

/* ---- application/x-www-form-urlencoded ---------------------------------- */

/* GLib's and libsoup's form decoders keep only the last value of a name; the
 * consent form sends several "scope" fields and OAuth wants repeated
 * parameters refused, so this parser keeps every pair. */
SbForm *
sb_form_parse (const char *text, gssize len)
{
  SbForm *form = g_new0 (SbForm, 1);
  g_autofree char *copy = NULL;
  g_auto(GStrv) pairs = NULL;
  guint i;

  form->names = g_ptr_array_new_with_free_func (g_free);
  form->values = g_ptr_array_new_with_free_func (g_free);
  if (text == NULL)
    return form;
  copy = len < 0 ? g_strdup (text) : g_strndup (text, len);
  pairs = g_strsplit (copy, "&", -1);
  for (i = 0; pairs[i] != NULL; i++)
    {
      char *eq, *p;
      char *name, *value;

      if (pairs[i][0] == '\0')
        continue;
      for (p = pairs[i]; *p != '\0'; p++)
        if (*p == '+')
          *p = ' ';
      eq = strchr (pairs[i], '=');
      if (eq != NULL)
        *eq = '\0';
      name = g_uri_unescape_string (pairs[i], NULL);
      value = g_uri_unescape_string (eq != NULL ? eq + 1 : "", NULL);
      if (name == NULL || value == NULL
          || !g_utf8_validate (name, -1, NULL) || !g_utf8_validate (value, -1, NULL))
        {
          /* Broken escapes or non-UTF-8: the pair is dropped, which makes
           * the request fail the "required parameter" checks. */
          g_free (name);
          g_free (value);
          continue;
        }
      g_ptr_array_add (form->names, name);
      g_ptr_array_add (form->values, value);
    }
  return form;
}

void
sb_form_free (SbForm *form)
{
  if (form == NULL)
    return;
  g_ptr_array_unref (form->names);
  g_ptr_array_unref (form->values);
  g_free (form);
}

const char *
sb_form_get (SbForm *form, const char *name)
{
  guint i;

  for (i = 0; i < form->names->len; i++)
    if (strcmp (form->names->pdata[i], name) == 0)
      return form->values->pdata[i];
  return NULL;
}

guint
sb_form_count (SbForm *form, const char *name)
{
  guint i, n = 0;

  for (i = 0; i < form->names->len; i++)
    if (strcmp (form->names->pdata[i], name) == 0)
      n++;
  return n;
}

const char *
sb_form_find_duplicate (SbForm *form, const char *const *names)
{
  guint i;

  for (i = 0; names[i] != NULL; i++)
    if (sb_form_count (form, names[i]) > 1)
      return names[i];
  return NULL;
}

SbForm *
sb_idp_request_query (SoupServerMessage *msg)
{
  GUri *uri = soup_server_message_get_uri (msg);

  return sb_form_parse (g_uri_get_query (uri), -1);
}

SbForm *
sb_idp_request_body (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *type = soup_message_headers_get_content_type (headers, NULL);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = NULL;
  gsize len = 0;
  const char *data;

  if (type == NULL || g_ascii_strcasecmp (type, "application/x-www-form-urlencoded") != 0)
    return NULL;
  bytes = soup_message_body_flatten (body);
  data = g_bytes_get_data (bytes, &len);
  return sb_form_parse (data, len);
}

/* ---- randomness and digests ---------------------------------------------- */

char *
sb_idp_base64url (const guint8 *data, gsize len)
{
  g_autofree char *b64 = g_base64_encode (data, len);
  char *p;

  for (p = b64; *p != '\0'; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
      else if (*p == '=')
        {
          *p = '\0';
          break;
        }
    }
  return g_steal_pointer (&b64);
}

/* Codes, refresh tokens, token ids and page ids must be unguessable, so
 * they come from the kernel CSPRNG; GLib's GRand is a Mersenne twister. */
char *
sb_idp_random_token (gsize n_bytes)
{
  guint8 buf[64];
  gsize got = 0;
  char *result;

  g_assert (n_bytes <= sizeof buf);
  while (got < n_bytes)
    {
      ssize_t r = getrandom (buf + got, n_bytes - got, 0);

      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          g_error ("getrandom failed: %s", g_strerror (errno));
        }
      got += (gsize) r;
    }
  result = sb_idp_base64url (buf, n_bytes);
  OPENSSL_cleanse (buf, sizeof buf);
  return result;
}

char *
sb_idp_sha256_hex (const char *text)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
}

gboolean
sb_idp_secret_equal (const char *a, const char *b)
{
  g_autofree char *ha = NULL;
  g_autofree char *hb = NULL;

  if (a == NULL || b == NULL)
    return FALSE;
  /* Comparing digests keeps the comparison constant-time whatever the
   * lengths. */
  ha = sb_idp_sha256_hex (a);
  hb = sb_idp_sha256_hex (b);
  return CRYPTO_memcmp (ha, hb, strlen (ha)) == 0;
}

gboolean
sb_idp_peer_is_loopback (SoupServerMessage *msg)
{
  GSocketAddress *addr = soup_server_message_get_remote_address (msg);

  if (addr == NULL || !G_IS_INET_SOCKET_ADDRESS (addr))
    return FALSE;
  return g_inet_address_get_is_loopback (
    g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (addr)));
}

/* ---- scopes --------------------------------------------------------------- */

static gboolean
valid_resource_type (const char *type, gsize len)
{
  gsize i;

  if (len == 1 && type[0] == '*')
    return TRUE;
  if (len == 0 || len > 64 || !g_ascii_isupper (type[0]))
    return FALSE;
  for (i = 1; i < len; i++)
    if (!g_ascii_isalpha (type[i]))
      return FALSE;
  return TRUE;
}

/* v2 permissions: a non-empty subsequence of "cruds", in that order. */
static gboolean
valid_v2_permissions (const char *perm, gsize len)
{
  static const char order[] = "cruds";
  gsize i, j = 0;

  if (len == 0)
    return FALSE;
  for (i = 0; i < len; i++)
    {
      while (order[j] != '\0' && order[j] != perm[i])
        j++;
      if (order[j] == '\0')
        return FALSE;
      j++;
    }
  return TRUE;
}

/* v2.2 query part: name=value pairs joined by '&', no chained or modified
 * parameters and no _include. */
static gboolean
valid_scope_query (const char *query)
{
  g_auto(GStrv) pairs = g_strsplit (query, "&", -1);
  guint i;

  if (pairs[0] == NULL)
    return FALSE;
  for (i = 0; pairs[i] != NULL; i++)
    {
      const char *eq = strchr (pairs[i], '=');
      const char *p;

      if (eq == NULL || eq == pairs[i] || eq[1] == '\0')
        return FALSE;
      if (g_str_has_prefix (pairs[i], "_include") || g_str_has_prefix (pairs[i], "_revinclude"))
        return FALSE;
      for (p = pairs[i]; p < eq; p++)
        if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != ':')
          return FALSE;
    }
  return TRUE;
}

SbScopeKind
sb_idp_scope_kind (const char *scope)
{
  static const char *const oidc[] = { "openid", "fhirUser", "profile", "email", NULL };
  const char *rest, *dot, *query;
  SbScopeKind kind;
  gsize perm_len;

  if (g_strv_contains (oidc, scope))
    return SB_SCOPE_OIDC;
  if (strcmp (scope, "launch/patient") == 0)
    return SB_SCOPE_LAUNCH;
  if (strcmp (scope, "offline_access") == 0 || strcmp (scope, "online_access") == 0)
    return SB_SCOPE_REFRESH;

  if (g_str_has_prefix (scope, "patient/"))
    kind = SB_SCOPE_PATIENT;
  else if (g_str_has_prefix (scope, "user/"))
    kind = SB_SCOPE_USER;
  else if (g_str_has_prefix (scope, "system/"))
    kind = SB_SCOPE_SYSTEM;
  else
    return SB_SCOPE_INVALID;

  rest = strchr (scope, '/') + 1;
  dot = strchr (rest, '.');
  if (dot == NULL || !valid_resource_type (rest, dot - rest))
    return SB_SCOPE_INVALID;
  query = strchr (dot + 1, '?');
  perm_len = query != NULL ? (gsize) (query - (dot + 1)) : strlen (dot + 1);

  if (query == NULL
      && ((perm_len == 4 && strncmp (dot + 1, "read", 4) == 0)
          || (perm_len == 5 && strncmp (dot + 1, "write", 5) == 0)
          || (perm_len == 1 && dot[1] == '*')))
    return kind;
  if (!valid_v2_permissions (dot + 1, perm_len))
    return SB_SCOPE_INVALID;
  if (query != NULL && (rest[0] == '*' || !valid_scope_query (query + 1)))
    return SB_SCOPE_INVALID;
  return kind;
}

char *
sb_idp_scope_describe (const char *scope)
{
  SbScopeKind kind = sb_idp_scope_kind (scope);
  const char *rest, *dot, *perm, *query;
  g_autofree char *type = NULL;
  GString *actions;
  char *result;
  const char *whose;

  switch (kind)
    {
    case SB_SCOPE_OIDC:
      if (strcmp (scope, "openid") == 0)
        return g_strdup ("Confirm who you are (OpenID Connect)");
      if (strcmp (scope, "fhirUser") == 0)
        return g_strdup ("Know which FHIR Practitioner or Patient you are");
      return g_strdup ("See your name and profile");
    case SB_SCOPE_LAUNCH:
      return g_strdup ("Work with one patient, chosen now");
    case SB_SCOPE_REFRESH:
      if (strcmp (scope, "offline_access") == 0)
        return g_strdup ("Stay signed in, even after you close the app");
      return g_strdup ("Stay signed in while you use the app");
    case SB_SCOPE_INVALID:
      return g_strdup ("Unknown permission");
    case SB_SCOPE_PATIENT:
    case SB_SCOPE_USER:
    case SB_SCOPE_SYSTEM:
    default:
      break;
    }

  rest = strchr (scope, '/') + 1;
  dot = strchr (rest, '.');
  type = g_strndup (rest, dot - rest);
  perm = dot + 1;
  actions = g_string_new (NULL);
  if (g_str_has_prefix (perm, "read"))
    g_string_append (actions, "read and search");
  else if (g_str_has_prefix (perm, "write"))
    g_string_append (actions, "create, change and delete");
  else if (perm[0] == '*')
    g_string_append (actions, "read, search, create, change and delete");
  else
    {
      static const struct { char letter; const char *word; } words[] = {
        { 'c', "create" }, { 'r', "read" }, { 'u', "change" }, { 'd', "delete" }, { 's', "search" },
      };
      const char *picked[G_N_ELEMENTS (words)];
      guint i, n = 0;

      for (i = 0; i < G_N_ELEMENTS (words); i++)
        {
          const char *q = strchr (perm, '?');
          const char *hit = strchr (perm, words[i].letter);

          if (hit != NULL && (q == NULL || hit < q))
            picked[n++] = words[i].word;
        }
      /* "read", "read and search", "create, read and search" */
      for (i = 0; i < n; i++)
        g_string_append_printf (actions, "%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ", picked[i]);
    }
  whose = kind == SB_SCOPE_PATIENT ? "of the selected patient"
          : kind == SB_SCOPE_USER ? "that you may see"
          : "of every patient";
  query = strchr (perm, '?');
  if (actions->len > 0)
    actions->str[0] = g_ascii_toupper (actions->str[0]);
  result = g_strdup_printf ("%s %s records %s%s%s",
                            actions->str, strcmp (type, "*") == 0 ? "all" : type, whose,
                            query != NULL ? ", limited to " : "", query != NULL ? query + 1 : "");
  g_string_free (actions, TRUE);
  return result;
}

gboolean
sb_idp_scope_has (const char *scope_string, const char *scope)
{
  g_auto(GStrv) parts = NULL;

  if (scope_string == NULL)
    return FALSE;
  parts = g_strsplit (scope_string, " ", -1);
  return g_strv_contains ((const char *const *) parts, scope);
}

/* ---- redirects ------------------------------------------------------------ */

gboolean
sb_idp_redirect_uri_allowed (SbIdp *idp, const char *client_id, const char *uri)
{
  const char *p;
  guint64 port = 0;
  gsize digits = 0;

  if (client_id == NULL || uri == NULL
      || g_strcmp0 (client_id, idp->ctx->public_client_id) != 0)
    return FALSE;
  if (strcmp (uri, SB_PRIVATE_USE_REDIRECT) == 0)
    return TRUE;
  if (!g_str_has_prefix (uri, SB_LOOPBACK_PREFIX))
    return FALSE;
  for (p = uri + strlen (SB_LOOPBACK_PREFIX); g_ascii_isdigit (*p) && digits < 5; p++, digits++)
    port = port * 10 + (guint64) (*p - '0');
  return digits > 0 && port >= 1 && port <= 65535 && strcmp (p, SB_LOOPBACK_PATH) == 0;
}

char *
sb_idp_add_query (const char *uri, ...)
{
  GString *s = g_string_new (uri);
  gboolean has_query = strchr (uri, '?') != NULL;
  const char *name;
  va_list ap;

  va_start (ap, uri);
  while ((name = va_arg (ap, const char *)) != NULL)
    {
      const char *value = va_arg (ap, const char *);
      g_autofree char *escaped = NULL;

      if (value == NULL)
        continue;
      escaped = g_uri_escape_string (value, NULL, FALSE);
      g_string_append_c (s, has_query ? '&' : '?');
      g_string_append_printf (s, "%s=%s", name, escaped);
      has_query = TRUE;
    }
  va_end (ap);
  return g_string_free (s, FALSE);
}

/* ---- responses ------------------------------------------------------------ */

void
sb_idp_set_redirect (SoupServerMessage *msg, const char *location)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  /* soup_server_message_set_redirect() would re-serialise the URI through
   * GUri; the client compares the redirect with what it registered. */
  soup_message_headers_replace (headers, "Location", location);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_server_message_set_status (msg, 302, NULL);
}

void
sb_idp_set_json (SoupServerMessage *msg, guint status, JsonNode *node)
{
  gsize len = 0;
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  char *text;

  json_generator_set_root (gen, node);
  text = json_generator_to_data (gen, &len);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, len);
}

void
sb_idp_set_oauth_error (SoupServerMessage *msg, guint status, const char *error,
                        const char *description)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_add_string_value (b, error);
  if (description != NULL)
    {
      json_builder_set_member_name (b, "error_description");
      json_builder_add_string_value (b, description);
    }
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_replace (headers, "Pragma", "no-cache");
  sb_idp_set_json (msg, status, node);
}

const char *
sb_idp_flavor_name (SbIdp *idp)
{
  return idp->cognito ? "Cognito" : "Keycloak";
}

void
sb_idp_set_html (SoupServerMessage *msg, guint status, SbIdp *idp,
                 const char *title, const char *body_html)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autofree char *etitle = g_markup_escape_text (title, -1);
  char *page;

  page = g_strdup_printf (
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>%s — SMART Sandbox (%s)</title>\n"
    "<style>\n"
    "body{font-family:Cantarell,system-ui,sans-serif;max-width:38em;margin:2em auto;padding:0 1em;"
    "line-height:1.5;color:#241f31;background:#fafafa}\n"
    "header{border-bottom:1px solid #c0bfbc;margin-bottom:1em}\n"
    ".flavor{display:inline-block;padding:0 .5em;border-radius:1em;background:#dce6f8;color:#1c3b72}\n"
    "label{display:block;margin-top:.75em}\n"
    "input[type=text],input[type=password],input[type=search]{font:inherit;width:100%%;"
    "box-sizing:border-box;padding:.4em}\n"
    "button{font:inherit;padding:.4em 1.2em;margin:1em .5em 0 0}\n"
    "fieldset{border:1px solid #c0bfbc}\n"
    "[role=alert]{color:#a51d2d;font-weight:bold}\n"
    ".hint{color:#5e5c64}\n"
    ".choice label{display:inline}\n"
    ":focus-visible{outline:3px solid #3584e4}\n"
    "</style>\n"
    "</head>\n"
    "<body>\n"
    "<header><p><strong>SMART Sandbox</strong> — offline identity provider "
    "<span class=\"flavor\">%s flavor</span></p></header>\n"
    "<main>\n<h1>%s</h1>\n%s\n</main>\n"
    "<footer><p class=\"hint\">A local test server. Never type real credentials here.</p></footer>\n"
    "</body>\n</html>\n",
    etitle, sb_idp_flavor_name (idp), sb_idp_flavor_name (idp), etitle, body_html);

  /* Pages must not be framed (click-jacking of the consent button) or
   * cached (they carry the pending request's id). */
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_replace (headers, "X-Frame-Options", "DENY");
  soup_message_headers_replace (headers, "Content-Security-Policy",
                                "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_TAKE,
                                    page, strlen (page));
}

void
sb_idp_emit (SbIdp *idp, const char *kind, JsonObject *fields)
{
  if (idp->ctx->events != NULL)
    sb_events_emit (idp->ctx->events, kind, fields);
  else if (fields != NULL)
    json_object_unref (fields);
}
