/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "smart-sandbox"

#include "config.h"

#include "sb-faults.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "sb-events.h"

struct _SbFaults
{
  char    *token_error;          /* one-shot */
  guint    token_error_status;
  gboolean refresh_invalid_grant; /* one-shot */
  guint    token_lifetime;
  guint    validator_delay_ms;
  guint    throttle_every;
  guint    retry_after;
  guint    search_counter;
  char    *error_500_type;
  gboolean foreign_next_link;
  gboolean truncated_json;        /* one-shot */
  GHashTable *expired;            /* jti → exp (s) of tokens expired early */
  SbFaultsAction expire_action;
  SbFaultsAction revoke_action;
  gpointer action_data;
};

SbFaults *
sb_faults_new (void)
{
  SbFaults *f = g_new0 (SbFaults, 1);

  f->retry_after = 1;
  f->expired = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return f;
}

static void
clear (SbFaults *f)
{
  g_clear_pointer (&f->token_error, g_free);
  g_clear_pointer (&f->error_500_type, g_free);
  f->token_error_status = 0;
  f->refresh_invalid_grant = FALSE;
  f->token_lifetime = 0;
  f->validator_delay_ms = 0;
  f->throttle_every = 0;
  f->retry_after = 1;
  f->search_counter = 0;
  f->foreign_next_link = FALSE;
  f->truncated_json = FALSE;
  if (f->expired != NULL)
    g_hash_table_remove_all (f->expired);
}

void
sb_faults_free (SbFaults *faults)
{
  if (faults == NULL)
    return;
  clear (faults);
  g_hash_table_unref (faults->expired);
  g_free (faults);
}

gboolean
sb_faults_token_error (SbFaults *faults, const char **error_code, guint *http_status)
{
  static char code[64];

  if (faults == NULL || faults->token_error == NULL)
    return FALSE;
  /* One-shot: the caller gets a stable string although we drop ours. */
  g_strlcpy (code, faults->token_error, sizeof code);
  *error_code = code;
  *http_status = faults->token_error_status ? faults->token_error_status : 500;
  g_clear_pointer (&faults->token_error, g_free);
  faults->token_error_status = 0;
  return TRUE;
}

gboolean
sb_faults_refresh_invalid_grant (SbFaults *faults)
{
  if (faults == NULL || !faults->refresh_invalid_grant)
    return FALSE;
  faults->refresh_invalid_grant = FALSE;
  return TRUE;
}

guint
sb_faults_token_lifetime_override (SbFaults *faults)
{
  return faults ? faults->token_lifetime : 0;
}

guint
sb_faults_validator_delay_ms (SbFaults *faults)
{
  return faults ? faults->validator_delay_ms : 0;
}

gboolean
sb_faults_throttle_search (SbFaults *faults, guint *retry_after)
{
  if (faults == NULL || faults->throttle_every == 0)
    return FALSE;
  faults->search_counter++;
  if (faults->search_counter % faults->throttle_every != 0)
    return FALSE;
  *retry_after = faults->retry_after;
  return TRUE;
}

gboolean
sb_faults_error_500_for_type (SbFaults *faults, const char *type)
{
  return faults != NULL && faults->error_500_type != NULL
         && (g_strcmp0 (faults->error_500_type, type) == 0
             || g_strcmp0 (faults->error_500_type, "*") == 0);
}

gboolean
sb_faults_foreign_next_link (SbFaults *faults)
{
  return faults != NULL && faults->foreign_next_link;
}

gboolean
sb_faults_truncate_json (SbFaults *faults)
{
  if (faults == NULL || !faults->truncated_json)
    return FALSE;
  faults->truncated_json = FALSE;
  return TRUE;
}

void
sb_faults_set_idp_actions (SbFaults *faults, SbFaultsAction expire_access_tokens,
                           SbFaultsAction revoke_sessions, gpointer data)
{
  faults->expire_action = expire_access_tokens;
  faults->revoke_action = revoke_sessions;
  faults->action_data = data;
}

static void
drop_past_expired (SbFaults *faults)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  GHashTableIter iter;
  gpointer exp;

  /* Tokens past their own expiry are refused by the validator anyway. */
  g_hash_table_iter_init (&iter, faults->expired);
  while (g_hash_table_iter_next (&iter, NULL, &exp))
    if ((gint64) GPOINTER_TO_SIZE (exp) < now)
      g_hash_table_iter_remove (&iter);
}

void
sb_faults_expire_access_token (SbFaults *faults, const char *jti, gint64 exp)
{
  if (faults != NULL && jti != NULL)
    g_hash_table_replace (faults->expired, g_strdup (jti), GSIZE_TO_POINTER ((gsize) MAX (exp, 0)));
}

gboolean
sb_faults_has_expired_access_tokens (SbFaults *faults)
{
  return faults != NULL && g_hash_table_size (faults->expired) > 0;
}

gboolean
sb_faults_access_token_expired (SbFaults *faults, const char *jti)
{
  return faults != NULL && jti != NULL && g_hash_table_contains (faults->expired, jti);
}

static JsonObject *
to_json (SbFaults *f)
{
  JsonObject *o = json_object_new ();

  if (f->token_error != NULL)
    json_object_set_string_member (o, "token_error", f->token_error);
  else
    json_object_set_null_member (o, "token_error");
  json_object_set_int_member (o, "token_error_status", f->token_error_status);
  json_object_set_boolean_member (o, "refresh_invalid_grant", f->refresh_invalid_grant);
  json_object_set_int_member (o, "token_lifetime", f->token_lifetime);
  json_object_set_int_member (o, "validator_delay_ms", f->validator_delay_ms);
  json_object_set_int_member (o, "throttle_every", f->throttle_every);
  json_object_set_int_member (o, "retry_after", f->retry_after);
  if (f->error_500_type != NULL)
    json_object_set_string_member (o, "error_500_type", f->error_500_type);
  else
    json_object_set_null_member (o, "error_500_type");
  json_object_set_boolean_member (o, "foreign_next_link", f->foreign_next_link);
  json_object_set_boolean_member (o, "truncated_json", f->truncated_json);
  json_object_set_int_member (o, "expired_access_tokens", g_hash_table_size (f->expired));
  return o;
}

static gboolean
get_uint (JsonNode *n, guint max, guint *out)
{
  gint64 v;

  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    return FALSE;
  v = json_node_get_int (n);
  if (v < 0 || v > max)
    return FALSE;
  *out = (guint) v;
  return TRUE;
}

static gboolean
get_bool (JsonNode *n, gboolean *out)
{
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_BOOLEAN)
    return FALSE;
  *out = json_node_get_boolean (n);
  return TRUE;
}

static gboolean
get_opt_string (JsonNode *n, char **out)
{
  if (JSON_NODE_HOLDS_NULL (n))
    {
      g_clear_pointer (out, g_free);
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING
      || strlen (json_node_get_string (n)) > 60)
    return FALSE;
  g_free (*out);
  *out = g_strdup (json_node_get_string (n));
  return TRUE;
}

/* Validates everything first so that a bad request changes nothing.  The
 * actions (*expire, *revoke) are for the caller to run afterwards. */
static gboolean
apply (SbFaults *f, JsonObject *o, gboolean *expire, gboolean *revoke, char **bad_key)
{
  SbFaults tmp = *f;
  JsonObjectIter iter;
  const char *name;
  JsonNode *v;
  gboolean ok = TRUE;

  *expire = *revoke = FALSE;
  tmp.token_error = g_strdup (f->token_error);
  tmp.error_500_type = g_strdup (f->error_500_type);
  json_object_iter_init (&iter, o);
  while (ok && json_object_iter_next (&iter, &name, &v))
    {
      if (strcmp (name, "token_error") == 0)
        ok = get_opt_string (v, &tmp.token_error);
      else if (strcmp (name, "token_error_status") == 0)
        ok = get_uint (v, 599, &tmp.token_error_status);
      else if (strcmp (name, "refresh_invalid_grant") == 0)
        ok = get_bool (v, &tmp.refresh_invalid_grant);
      else if (strcmp (name, "token_lifetime") == 0)
        ok = get_uint (v, 86400, &tmp.token_lifetime);
      else if (strcmp (name, "validator_delay_ms") == 0)
        ok = get_uint (v, 60000, &tmp.validator_delay_ms);
      else if (strcmp (name, "throttle_every") == 0)
        {
          ok = get_uint (v, 1000000, &tmp.throttle_every);
          tmp.search_counter = 0;
        }
      else if (strcmp (name, "retry_after") == 0)
        ok = get_uint (v, 3600, &tmp.retry_after);
      else if (strcmp (name, "error_500_type") == 0)
        ok = get_opt_string (v, &tmp.error_500_type);
      else if (strcmp (name, "foreign_next_link") == 0)
        ok = get_bool (v, &tmp.foreign_next_link);
      else if (strcmp (name, "truncated_json") == 0)
        ok = get_bool (v, &tmp.truncated_json);
      else if (strcmp (name, "expire_access_tokens") == 0)
        ok = get_bool (v, expire) && (!*expire || f->expire_action != NULL);
      else if (strcmp (name, "revoke_sessions") == 0)
        ok = get_bool (v, revoke) && (!*revoke || f->revoke_action != NULL);
      else
        ok = FALSE;
      if (!ok)
        *bad_key = g_strdup (name);
    }
  if (!ok)
    {
      g_free (tmp.token_error);
      g_free (tmp.error_500_type);
      return FALSE;
    }
  g_free (f->token_error);
  g_free (f->error_500_type);
  *f = tmp;
  return TRUE;
}

static void
reply_json (SoupServerMessage *msg, guint status, JsonObject *o)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), o);
  char *text = json_to_string (node, TRUE);

  json_object_unref (o);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, strlen (text));
}

static void
faults_handler (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  SbFaults *faults = user_data;
  const char *method = soup_server_message_get_method (msg);

  if (!sb_peer_is_loopback (msg))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_FORBIDDEN, NULL);
      return;
    }
  if (strcmp (method, "GET") == 0)
    reply_json (msg, SOUP_STATUS_OK, to_json (faults));
  else if (strcmp (method, "DELETE") == 0)
    {
      clear (faults);
      reply_json (msg, SOUP_STATUS_OK, to_json (faults));
    }
  else if (strcmp (method, "POST") == 0)
    {
      SoupMessageBody *body = soup_server_message_get_request_body (msg);
      g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autofree char *bad = NULL;
      gsize len;
      const char *data = g_bytes_get_data (bytes, &len);
      JsonObject *err, *reply;
      gboolean expire, revoke;
      guint n_expired = 0, n_revoked = 0;

      if (!json_parser_load_from_data (parser, data, len, NULL)
          || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        {
          err = json_object_new ();
          json_object_set_string_member (err, "error", "expected a JSON object");
          reply_json (msg, SOUP_STATUS_BAD_REQUEST, err);
          return;
        }
      if (!apply (faults, json_node_get_object (json_parser_get_root (parser)), &expire, &revoke, &bad))
        {
          g_autofree char *m = g_strdup_printf ("unknown fault or bad value: %s", bad);

          err = json_object_new ();
          json_object_set_string_member (err, "error", m);
          reply_json (msg, SOUP_STATUS_BAD_REQUEST, err);
          return;
        }
      g_message ("fault switches changed");
      /* The actions happen now; the IdP puts them into the event stream. */
      if (revoke)
        n_revoked = faults->revoke_action (faults->action_data);
      if (expire)
        {
          drop_past_expired (faults);
          n_expired = faults->expire_action (faults->action_data);
        }
      reply = to_json (faults);
      if (expire)
        json_object_set_int_member (reply, "expired_now", n_expired);
      if (revoke)
        json_object_set_int_member (reply, "revoked_sessions", n_revoked);
      reply_json (msg, SOUP_STATUS_OK, reply);
    }
  else
    soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
}

gboolean
sb_faults_load_keyfile (SbFaults *faults, GKeyFile *kf, GError **error)
{
  g_auto(GStrv) keys = g_key_file_get_keys (kf, "faults", NULL, NULL);
  g_autoptr(JsonObject) o = json_object_new ();
  g_autofree char *bad = NULL;
  gboolean expire, revoke;

  /* No IdP is registered yet, so the action keys are refused here. */
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      g_autofree char *v = g_key_file_get_value (kf, "faults", keys[i], NULL);
      guint64 n;

      if (v == NULL)
        continue;
      if (g_ascii_string_to_unsigned (v, 10, 0, G_MAXUINT, &n, NULL))
        json_object_set_int_member (o, keys[i], (gint64) n);
      else if (strcmp (v, "true") == 0 || strcmp (v, "false") == 0)
        json_object_set_boolean_member (o, keys[i], strcmp (v, "true") == 0);
      else
        json_object_set_string_member (o, keys[i], v);
    }
  if (!apply (faults, o, &expire, &revoke, &bad))
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "[faults] %s: unknown fault or bad value", bad);
      return FALSE;
    }
  return TRUE;
}

void
sb_faults_register (SbFaults *faults, SoupServer *server)
{
  soup_server_add_handler (server, "/_sandbox/faults", faults_handler, faults, NULL);
}
