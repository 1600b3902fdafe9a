/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-core"

#include "config.h"

#include "sv-redact.h"

#include <string.h>

#include "sv-random.h"

/* The one place that decides what a secret looks like. The inspector, the
 * session export and every log line go through it, so a token that one of
 * them would show is a bug here, not in three places.
 *
 * Text is scanned in passes, most specific first: JWTs (recognised by a
 * header that decodes to JSON, even when wrapped over lines), then
 * Authorization-like headers, then `Bearer <x>`, then parameters with a
 * secret name in URLs, forms, JSON text and free text. Each pass leaves a
 * marker that the later ones skip, so nothing is redacted twice. */

typedef enum
{
  REDACT_DISPLAY,
  /* Placeholders become shell variables: "Copy as curl". */
  REDACT_CURL,
} RedactMode;

#define CURL_VAR_START '\x01'
#define CURL_VAR_END '\x02'

/* A base64url run, optionally continued on following lines (a token that a
 * terminal, a mail or `curl … \` wrapped). A continuation must contain a
 * digit, '-' or '_', so that the first word of the next line of prose is not
 * swallowed. */
#define B64_SEGMENT "[A-Za-z0-9_-]+(?:[ \\t]*\\\\?\\r?\\n[ \\t>]*(?=[A-Za-z0-9_-]*[0-9_-])[A-Za-z0-9_-]+)*"

/* A wrap may also fall just before or after a dot. */
#define B64_DOT "(?:[ \\t]*\\\\?\\r?\\n[ \\t>]*)?\\.(?:[ \\t]*\\\\?\\r?\\n[ \\t>]*(?=[A-Za-z0-9_-]))?"

/* A JWT header is a JSON object, so its base64url starts with "ey" ('{'
 * then '"' or a space) or "ew" ('{' then a line break). Anchoring on that
 * keeps the scan linear in a long wrapped base64 blob that is no token. */
static const char jwt_pattern[] =
  "(?<![A-Za-z0-9_.-])e[wy]" B64_SEGMENT B64_DOT B64_SEGMENT B64_DOT "(?:" B64_SEGMENT ")?(?:\\.(?:" B64_SEGMENT ")?)*";

static const char header_pattern[] =
  "(?i)(?<![A-Za-z0-9_-])((?:proxy-)?authorization|set-cookie|cookie)([\"']?[ \\t]*[:=][ \\t]*[\"']?)([^\"'\\r\\n]+)";

static const char bearer_pattern[] =
  "(?i)(?<![A-Za-z0-9_-])(bearer)(\\s+)([A-Za-z0-9._~+/-]+=*)";

static const char param_pattern[] =
  "(?i)(?<![A-Za-z0-9_])"
  "(access[_ -]?token|refresh[_ -]?token|id[_ -]?token|bearer[_ -]?token|code[_ -]?verifier|"
  "client[_ -]?secret|client[_ -]?assertion|assertion|password|passwd|token|code)"
  "(?![A-Za-z0-9_])([\"']?)(\\s*[:=]\\s*|\\s+)(?!\\[redacted|\\x01)"
  "(\"(?:[^\"\\\\]|\\\\.)*\"|'[^']*'|"
  /* An unquoted value may go on after a shell line continuation with no
   * space before it: a token wrapped inside a long command. */
  "[^\\s&#\"',;<>(){}\\[\\]\\\\]+(?:\\\\\\r?\\n[ \\t]*[^\\s&#\"',;<>(){}\\[\\]\\\\]+)*)";

static const char userinfo_pattern[] =
  "(?<=://)([^/@\\s:]+):([^/@\\s]+)@";

static GRegex *
get_regex (const char *pattern,
           GRegex    **slot)
{
  if (g_once_init_enter (slot))
    {
      g_autoptr(GError) error = NULL;
      GRegex *regex = g_regex_new (pattern, G_REGEX_OPTIMIZE, 0, &error);

      /* The patterns are constants; a failure is a programming error. */
      g_assert_no_error (error);
      g_once_init_leave (slot, regex);
    }
  return *slot;
}

/* Canonical name of a secret: lower case, '_' between words. */
static char *
canonical_name (const char *name)
{
  GString *s = g_string_new (NULL);

  for (const char *p = name; *p != '\0'; p++)
    g_string_append_c (s, (*p == ' ' || *p == '-') ? '_' : g_ascii_tolower (*p));
  if (strcmp (s->str, "passwd") == 0)
    g_string_assign (s, "password");
  /* "accesstoken" and the like, as in camelCase JSON members. */
  {
    static const char * const joined[][2] = {
      { "accesstoken", "access_token" }, { "refreshtoken", "refresh_token" },
      { "idtoken", "id_token" }, { "bearertoken", "bearer_token" },
      { "codeverifier", "code_verifier" }, { "clientsecret", "client_secret" },
      { "clientassertion", "client_assertion" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS (joined); i++)
      if (strcmp (s->str, joined[i][0]) == 0)
        g_string_assign (s, joined[i][1]);
  }
  return g_string_free (s, FALSE);
}

static void
append_placeholder (GString    *out,
                    const char *name,
                    RedactMode  mode)
{
  if (mode == REDACT_CURL)
    {
      g_autofree char *upper = g_ascii_strup (strcmp (name, "jwt") == 0 ? "token" : name, -1);

      g_string_append_c (out, CURL_VAR_START);
      g_string_append (out, upper);
      g_string_append_c (out, CURL_VAR_END);
    }
  else
    g_string_append_printf (out, "[redacted %s]", name);
}

/**
 * sv_redact_looks_opaque:
 * @value: a string
 *
 * Whether @value looks like a random credential rather than a word or a
 * FHIR code: at least 12 characters of the token alphabet, mixing at least
 * two of lower case, upper case and digits. Authorization codes, refresh
 * tokens and secrets do; `encounter-diagnosis`, `8302-2` or a LOINC system
 * URL do not.
 *
 * Returns: whether @value looks like a credential
 */
gboolean
sv_redact_looks_opaque (const char *value)
{
  gboolean lower = FALSE, upper = FALSE, digit = FALSE;
  gsize n = 0;

  if (value == NULL)
    return FALSE;
  for (const char *p = value; *p != '\0'; p++, n++)
    {
      if (g_ascii_islower (*p))
        lower = TRUE;
      else if (g_ascii_isupper (*p))
        upper = TRUE;
      else if (g_ascii_isdigit (*p))
        digit = TRUE;
      else if (strchr ("._~+/=%-", *p) == NULL)
        return FALSE;
    }
  return n >= 12 && (lower + upper + digit) >= 2;
}

/* Decodes the first segment of a JWT-shaped match (line breaks removed) and
 * checks that it is a JSON object: the difference between a token and
 * `www.example.org`. */
static JsonObject *
decode_segment (const char *segment,
                gssize      length)
{
  g_autoptr(GString) clean = g_string_new (NULL);
  g_autofree guint8 *bytes = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize n = 0;
  JsonNode *root;

  if (length < 0)
    length = strlen (segment);
  for (gssize i = 0; i < length; i++)
    if (g_ascii_isalnum (segment[i]) || segment[i] == '-' || segment[i] == '_')
      g_string_append_c (clean, segment[i]);

  bytes = sv_base64url_decode (clean->str, &n, NULL);
  if (bytes == NULL || n < 2 || bytes[0] != '{')
    return NULL;
  if (!json_parser_load_from_data (parser, (const char *) bytes, n, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

/* The name a JWT is known by, from the text just before it:
 * `access_token=`, `"id_token": "`, `Bearer `. */
static char *
name_before (const char *text,
             gint        start)
{
  gint end, begin;
  g_autofree char *word = NULL;
  g_autofree char *name = NULL;

  end = start;
  while (end > 0 && strchr (" \t\r\n\"':=", text[end - 1]) != NULL)
    end--;
  begin = end;
  while (begin > 0 && (g_ascii_isalnum (text[begin - 1]) || text[begin - 1] == '_'))
    begin--;
  if (begin == end)
    return g_strdup ("jwt");

  word = g_strndup (text + begin, end - begin);
  name = canonical_name (word);
  if (strcmp (name, "bearer") == 0 || strcmp (name, "bearer_token") == 0)
    return g_strdup ("access_token");
  if (g_str_has_suffix (name, "token") || strcmp (name, "assertion") == 0 ||
      strcmp (name, "client_assertion") == 0)
    return g_steal_pointer (&name);
  return g_strdup ("jwt");
}

static gboolean
replace_jwt (const GMatchInfo *info,
             GString          *out,
             gpointer          user_data)
{
  RedactMode mode = GPOINTER_TO_INT (user_data);
  g_autofree char *match = g_match_info_fetch (info, 0);
  g_autoptr(JsonObject) header = NULL;
  const char *dot = strchr (match, '.');
  gint start = 0, end = 0;

  header = decode_segment (match, dot - match);
  if (header == NULL)
    {
      g_string_append (out, match);
      return FALSE;
    }

  g_match_info_fetch_pos (info, 0, &start, &end);
  {
    g_autofree char *name = name_before (g_match_info_get_string (info), start);

    append_placeholder (out, name, mode);
  }
  return FALSE;
}

static gboolean
replace_header (const GMatchInfo *info,
                GString          *out,
                gpointer          user_data)
{
  RedactMode mode = GPOINTER_TO_INT (user_data);
  g_autofree char *name = g_match_info_fetch (info, 1);
  g_autofree char *sep = g_match_info_fetch (info, 2);
  g_autofree char *value = g_match_info_fetch (info, 3);
  g_autofree char *lower = g_ascii_strdown (name, -1);
  const char *space;

  g_string_append (out, name);
  g_string_append (out, sep);
  if (strstr (lower, "cookie") != NULL)
    {
      append_placeholder (out, "cookie", mode);
      return FALSE;
    }

  /* Keep the scheme: "Bearer" or "Basic" teaches something, the rest is
   * the secret. */
  space = strchr (value, ' ');
  if (space != NULL && space > value)
    {
      g_autofree char *scheme = g_strndup (value, space - value);

      g_string_append (out, scheme);
      g_string_append_c (out, ' ');
      append_placeholder (out, g_ascii_strcasecmp (scheme, "bearer") == 0 ? "access_token" : "credentials", mode);
    }
  else
    append_placeholder (out, "authorization", mode);
  return FALSE;
}

static gboolean
replace_bearer (const GMatchInfo *info,
                GString          *out,
                gpointer          user_data)
{
  RedactMode mode = GPOINTER_TO_INT (user_data);
  g_autofree char *all = g_match_info_fetch (info, 0);
  g_autofree char *word = g_match_info_fetch (info, 1);
  g_autofree char *space = g_match_info_fetch (info, 2);
  g_autofree char *value = g_match_info_fetch (info, 3);
  gsize n = strlen (value);
  gboolean digit = FALSE;

  for (const char *p = value; *p != '\0'; p++)
    digit |= g_ascii_isdigit (*p);
  /* "the Bearer token" and `Bearer realm=` are prose and challenges. */
  if (n < 16 && !(n >= 8 && digit))
    {
      g_string_append (out, all);
      return FALSE;
    }
  g_string_append (out, word);
  g_string_append (out, space);
  append_placeholder (out, "access_token", mode);
  return FALSE;
}

static gboolean
replace_param (const GMatchInfo *info,
               GString          *out,
               gpointer          user_data)
{
  RedactMode mode = GPOINTER_TO_INT (user_data);
  g_autofree char *all = g_match_info_fetch (info, 0);
  g_autofree char *raw_name = g_match_info_fetch (info, 1);
  g_autofree char *quote = g_match_info_fetch (info, 2);
  g_autofree char *sep = g_match_info_fetch (info, 3);
  g_autofree char *value = g_match_info_fetch (info, 4);
  g_autofree char *name = canonical_name (raw_name);
  g_autofree char *inner = NULL;
  char open = value[0];
  gboolean quoted = (open == '"' || open == '\'') && strlen (value) >= 2;
  gboolean assigned = strpbrk (sep, ":=") != NULL;

  inner = quoted ? g_strndup (value + 1, strlen (value) - 2) : g_strdup (value);
  /* Judge a wrapped value by its characters, not by the wrapping. */
  if (!quoted && strchr (inner, '\n') != NULL)
    {
      char *w = inner;

      for (const char *r = inner; *r != '\0'; r++)
        if (strchr ("\\\r\n \t", *r) == NULL)
          *w++ = *r;
      *w = '\0';
    }

  /* JSON literals carry no secret; "code" is also the name of every FHIR
   * coding and search parameter, so only a random-looking one is redacted,
   * as is anything after a secret's name in prose ("refresh token 8f…"). */
  if (*inner == '\0' || g_str_has_prefix (inner, "[redacted") || inner[0] == CURL_VAR_START ||
      (!quoted && (strcmp (inner, "null") == 0 || strcmp (inner, "true") == 0 || strcmp (inner, "false") == 0)) ||
      ((strcmp (name, "code") == 0 || !assigned) && !sv_redact_looks_opaque (inner)))
    {
      g_string_append (out, all);
      return FALSE;
    }

  g_string_append (out, raw_name);
  g_string_append (out, quote);
  g_string_append (out, sep);
  if (quoted)
    g_string_append_c (out, open);
  append_placeholder (out, name, mode);
  if (quoted)
    g_string_append_c (out, open);
  return FALSE;
}

static gboolean
replace_userinfo (const GMatchInfo *info,
                  GString          *out,
                  gpointer          user_data)
{
  RedactMode mode = GPOINTER_TO_INT (user_data);
  g_autofree char *user = g_match_info_fetch (info, 1);

  g_string_append (out, user);
  g_string_append_c (out, ':');
  append_placeholder (out, "password", mode);
  g_string_append_c (out, '@');
  return FALSE;
}

static char *
redact_pass (char            *text /* transfer full */,
             GRegex          *regex,
             GRegexEvalCallback callback,
             RedactMode       mode)
{
  g_autoptr(GError) error = NULL;
  char *result = g_regex_replace_eval (regex, text, -1, 0, 0, callback, GINT_TO_POINTER (mode), &error);

  if (result == NULL)
    {
      /* Never hand back text that might still hold a secret. */
      g_free (text);
      return g_strdup ("[redacted: text could not be scanned]");
    }
  g_free (text);
  return result;
}

static char *
redact_text_mode (const char *text,
                  RedactMode  mode)
{
  static GRegex *jwt_regex, *header_regex, *bearer_regex, *param_regex, *userinfo_regex;
  char *out;

  if (text == NULL)
    return NULL;
  if (!g_utf8_validate (text, -1, NULL))
    out = g_utf8_make_valid (text, -1);
  else
    out = g_strdup (text);

  out = redact_pass (out, get_regex (jwt_pattern, &jwt_regex), replace_jwt, mode);
  out = redact_pass (out, get_regex (header_pattern, &header_regex), replace_header, mode);
  out = redact_pass (out, get_regex (bearer_pattern, &bearer_regex), replace_bearer, mode);
  out = redact_pass (out, get_regex (param_pattern, &param_regex), replace_param, mode);
  out = redact_pass (out, get_regex (userinfo_pattern, &userinfo_regex), replace_userinfo, mode);
  return out;
}

/**
 * sv_redact_text:
 * @text: (nullable): any text: a log line, a request, a response body
 *
 * Replaces everything token-like in @text with `[redacted <name>]`: JWTs,
 * `Authorization`/`Cookie` header values, `Bearer <x>`, and the values of
 * access_token, refresh_token, id_token, code, code_verifier,
 * client_secret, password, assertion, client_assertion and token in URLs,
 * forms, JSON and prose. Everything else stays as it was.
 *
 * Returns: (transfer full) (nullable): the redacted text
 */
char *
sv_redact_text (const char *text)
{
  return redact_text_mode (text, REDACT_DISPLAY);
}

/**
 * sv_redact_url:
 * @url: (nullable): a URL
 *
 * Like sv_redact_text() for one URL: host, path and harmless parameters
 * stay readable; secret parameters (query or fragment) and a password in
 * the user info are replaced.
 *
 * Returns: (transfer full) (nullable): the redacted URL
 */
char *
sv_redact_url (const char *url)
{
  return redact_text_mode (url, REDACT_DISPLAY);
}

static gboolean
secret_member (const char *member,
               JsonNode   *value)
{
  static const char * const secret[] = {
    "accesstoken", "refreshtoken", "idtoken", "bearertoken", "codeverifier",
    "clientsecret", "clientassertion", "assertion", "password", "passwd", "token",
    "authorization", "proxyauthorization", "cookie", "setcookie", NULL,
  };
  g_autoptr(GString) norm = g_string_new (NULL);

  for (const char *p = member; *p != '\0'; p++)
    if (*p != '_' && *p != '-' && *p != ' ')
      g_string_append_c (norm, g_ascii_tolower (*p));

  /* null, true/false and numbers hold no secret, and say something:
   * the sandbox reports `"refresh_token": false` for "none issued". */
  if (JSON_NODE_HOLDS_NULL (value) ||
      (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) != G_TYPE_STRING))
    return FALSE;
  if (strcmp (norm->str, "code") == 0)
    return JSON_NODE_HOLDS_VALUE (value) &&
           json_node_get_value_type (value) == G_TYPE_STRING &&
           sv_redact_looks_opaque (json_node_get_string (value));
  return g_strv_contains (secret, norm->str);
}

static JsonNode *
redact_node (JsonNode *node)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *in = json_node_get_object (node);
        g_autoptr(JsonObject) out = json_object_new ();
        /* The member list keeps the document's order (the iterator of
         * json-glib 1.6 does not); the inspector shows it as it came. */
        g_autoptr(GList) members = json_object_get_members (in);

        for (GList *l = members; l != NULL; l = l->next)
          {
            const char *member = l->data;
            JsonNode *value = json_object_get_member (in, member);

            if (secret_member (member, value))
              {
                g_autofree char *name = canonical_name (member);
                g_autofree char *text = g_strdup_printf ("[redacted %s]", name);

                json_object_set_string_member (out, member, text);
              }
            else
              json_object_set_member (out, member, redact_node (value));
          }
        return json_node_init_object (json_node_alloc (), out);
      }

    case JSON_NODE_ARRAY:
      {
        JsonArray *in = json_node_get_array (node);
        g_autoptr(JsonArray) out = json_array_sized_new (json_array_get_length (in));

        for (guint i = 0; i < json_array_get_length (in); i++)
          json_array_add_element (out, redact_node (json_array_get_element (in, i)));
        return json_node_init_array (json_node_alloc (), out);
      }

    case JSON_NODE_VALUE:
      if (json_node_get_value_type (node) == G_TYPE_STRING)
        {
          g_autofree char *text = sv_redact_text (json_node_get_string (node));

          return json_node_init_string (json_node_alloc (), text);
        }
      return json_node_copy (node);

    case JSON_NODE_NULL:
    default:
      return json_node_copy (node);
    }
}

/**
 * sv_redact_json:
 * @node: a JSON tree
 *
 * A deep copy of @node in which members with a secret's name (see
 * sv_redact_text(); `code` only when it looks random) hold
 * `"[redacted <name>]"`, and every other string went through
 * sv_redact_text(), so a JWT anywhere is gone too.
 *
 * Returns: (transfer full): the redacted copy
 */
JsonNode *
sv_redact_json (JsonNode *node)
{
  g_return_val_if_fail (node != NULL, NULL);

  return redact_node (node);
}

/* Quotes one shell word. Placeholders become `$NAME`, which needs double
 * quotes; everything else is single-quoted, which needs no thought. */
static void
append_shell_word (GString    *out,
                   const char *word)
{
  if (strchr (word, CURL_VAR_START) == NULL)
    {
      g_string_append_c (out, '\'');
      for (const char *p = word; *p != '\0'; p++)
        {
          if (*p == '\'')
            g_string_append (out, "'\\''");
          else
            g_string_append_c (out, *p);
        }
      g_string_append_c (out, '\'');
      return;
    }

  g_string_append_c (out, '"');
  for (const char *p = word; *p != '\0'; p++)
    {
      if (*p == CURL_VAR_START)
        {
          const char *end = strchr (p, CURL_VAR_END);
          g_autofree char *var = NULL;

          if (end == NULL)
            break;
          var = g_strndup (p + 1, end - p - 1);
          if (g_ascii_isalnum (end[1]) || end[1] == '_')
            g_string_append_printf (out, "${%s}", var);
          else
            g_string_append_printf (out, "$%s", var);
          p = end;
        }
      else
        {
          if (strchr ("\\\"$`", *p) != NULL)
            g_string_append_c (out, '\\');
          g_string_append_c (out, *p);
        }
    }
  g_string_append_c (out, '"');
}

/**
 * sv_redact_curl_command:
 * @method: (nullable): the HTTP method; %NULL means GET
 * @url: the request URL
 * @headers: (nullable) (array zero-terminated=1): request headers as
 *   `Name: value` strings
 * @body: (nullable): the request body, as text
 *
 * "Copy as curl": a shell command that repeats the request, with every
 * secret replaced by a shell variable (`$ACCESS_TOKEN`, `$REFRESH_TOKEN`,
 * `$CODE_VERIFIER`, `$CLIENT_SECRET`, …) that the workshop host sets first.
 *
 * Returns: (transfer full): the command, one line
 */
char *
sv_redact_curl_command (const char         *method,
                        const char         *url,
                        const char * const *headers,
                        const char         *body)
{
  GString *out = g_string_new ("curl");
  g_autofree char *safe_url = NULL;

  g_return_val_if_fail (url != NULL, NULL);

  if (method != NULL && g_ascii_strcasecmp (method, "GET") != 0)
    {
      g_string_append (out, " -X ");
      append_shell_word (out, method);
    }
  safe_url = redact_text_mode (url, REDACT_CURL);
  g_string_append_c (out, ' ');
  append_shell_word (out, safe_url);

  for (guint i = 0; headers != NULL && headers[i] != NULL; i++)
    {
      g_autofree char *safe = redact_text_mode (headers[i], REDACT_CURL);

      g_string_append (out, " -H ");
      append_shell_word (out, safe);
    }

  if (body != NULL && *body != '\0')
    {
      g_autofree char *safe = redact_text_mode (body, REDACT_CURL);

      g_string_append (out, " --data-raw ");
      append_shell_word (out, safe);
    }
  return g_string_free (out, FALSE);
}

/**
 * sv_jwt_describe:
 * @jwt: a compact JWS (or anything)
 *
 * The decoded header and claims of @jwt as pretty JSON,
 * `{"header": {…}, "claims": {…}}`, for the token panel and the logs. The
 * signature and the raw token are never part of it, and the claims went
 * through sv_redact_json().
 *
 * Returns: (transfer full) (nullable): the description, or %NULL when @jwt
 *   is not a JWT
 */
char *
sv_jwt_describe (const char *jwt)
{
  g_auto(GStrv) parts = NULL;
  g_autoptr(JsonObject) header = NULL;
  g_autoptr(JsonObject) claims = NULL;
  g_autoptr(JsonNode) header_node = NULL;
  g_autoptr(JsonNode) claims_node = NULL;
  g_autoptr(JsonObject) both = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonGenerator) generator = NULL;

  if (jwt == NULL)
    return NULL;
  parts = g_strsplit (jwt, ".", -1);
  if (g_strv_length (parts) < 2)
    return NULL;
  header = decode_segment (parts[0], -1);
  claims = decode_segment (parts[1], -1);
  if (header == NULL || claims == NULL)
    return NULL;

  header_node = json_node_init_object (json_node_alloc (), header);
  claims_node = json_node_init_object (json_node_alloc (), claims);
  both = json_object_new ();
  json_object_set_member (both, "header", sv_redact_json (header_node));
  json_object_set_member (both, "claims", sv_redact_json (claims_node));
  root = json_node_init_object (json_node_alloc (), both);

  generator = json_generator_new ();
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

static GLogWriterOutput
redacting_writer (GLogLevelFlags   log_level,
                  const GLogField *fields,
                  gsize            n_fields,
                  gpointer         user_data)
{
  GLogField *copy = g_newa (GLogField, n_fields);
  g_autofree char *message = NULL;

  memcpy (copy, fields, n_fields * sizeof (GLogField));
  for (gsize i = 0; i < n_fields; i++)
    {
      if (strcmp (copy[i].key, "MESSAGE") == 0 && copy[i].value != NULL && message == NULL)
        {
          g_autofree char *raw = copy[i].length < 0
            ? g_strdup (copy[i].value)
            : g_strndup (copy[i].value, copy[i].length);

          message = sv_redact_text (raw);
          copy[i].value = message;
          copy[i].length = -1;
        }
    }
  return g_log_writer_default (log_level, copy, n_fields, user_data);
}

/**
 * sv_redact_install_log_writer:
 *
 * Makes every GLib log message go through sv_redact_text() before GLib's
 * default writer prints it (or sends it to the journal). Call it first
 * thing in main(): GLib allows one writer per process, so later calls do
 * nothing.
 */
void
sv_redact_install_log_writer (void)
{
  static gsize installed = 0;

  if (g_once_init_enter (&installed))
    {
      g_log_set_writer_func (redacting_writer, NULL, NULL);
      g_once_init_leave (&installed, 1);
    }
}
