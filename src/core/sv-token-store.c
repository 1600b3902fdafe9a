/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-core"

#include "config.h"

#include "sv-token-store.h"

#include <glib/gi18n.h>
#include <libsecret/secret.h>
#include <string.h>

#include "sv-error.h"
#include "sv-http.h"

/**
 * SvTokenStore:
 *
 * Keeps one session per profile in the keyring through libsecret (the
 * Secret portal under Flatpak). When there is no usable keyring (no Secret
 * Service, a locked keyring nobody unlocks, a refusal) it says so once
 * through #SvTokenStore::storage-unavailable and keeps sessions in memory
 * for this run: tokens are never written to a file.
 */
struct _SvTokenStore
{
  GObject parent_instance;

  guint timeout_ms;
  gboolean memory_only;
  GHashTable *memory;
  GQueue queue;
  gboolean busy;
};

G_DEFINE_FINAL_TYPE (SvTokenStore, sv_token_store, G_TYPE_OBJECT)

enum
{
  STORAGE_UNAVAILABLE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* A locked keyring with a display may prompt forever; after this long the
 * user is told and the session stays in memory. */
#define DEFAULT_TIMEOUT_MS 10000

static const SecretSchema *
get_schema (void)
{
  static const SecretSchema schema = {
    SV_TOKEN_STORE_SCHEMA_NAME, SECRET_SCHEMA_NONE,
    {
      { "profile", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "version", SECRET_SCHEMA_ATTRIBUTE_INTEGER },
      { NULL, 0 },
    },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  };

  return &schema;
}

/* A confidential client's secret, typed in by a workshop host: kept apart
 * from the session so signing out does not forget it. */
static const SecretSchema *
get_client_secret_schema (void)
{
  static const SecretSchema schema = {
    SV_TOKEN_STORE_CLIENT_SECRET_SCHEMA_NAME, SECRET_SCHEMA_NONE,
    {
      { "profile", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "version", SECRET_SCHEMA_ATTRIBUTE_INTEGER },
      { NULL, 0 },
    },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  };

  return &schema;
}

SvStoredSession *
sv_stored_session_new (void)
{
  return g_new0 (SvStoredSession, 1);
}

void
sv_stored_session_free (SvStoredSession *stored)
{
  if (stored == NULL)
    return;

  if (stored->refresh_token != NULL)
    explicit_bzero (stored->refresh_token, strlen (stored->refresh_token));
  g_free (stored->refresh_token);
  g_free (stored->granted_scope);
  g_free (stored->asked_scope);
  g_free (stored->patient);
  g_free (stored->fhir_user);
  g_free (stored->issuer);
  g_clear_pointer (&stored->id_claims, json_object_unref);
  g_free (stored);
}

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  if (value == NULL)
    return;
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

/**
 * sv_stored_session_to_json:
 * @stored: a stored session
 *
 * Returns: (transfer full): the versioned JSON that goes into the keyring
 */
char *
sv_stored_session_to_json (SvStoredSession *stored)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, SV_TOKEN_STORE_VERSION);
  add_string (builder, "refresh_token", stored->refresh_token);
  json_builder_set_member_name (builder, "expires_at");
  json_builder_add_int_value (builder, stored->expires_at);
  add_string (builder, "granted_scope", stored->granted_scope);
  add_string (builder, "asked_scope", stored->asked_scope);
  add_string (builder, "patient", stored->patient);
  json_builder_set_member_name (builder, "patient_source");
  json_builder_add_int_value (builder, stored->patient_source);
  add_string (builder, "fhir_user", stored->fhir_user);
  add_string (builder, "issuer", stored->issuer);
  if (stored->id_claims != NULL)
    {
      JsonNode *claims = json_node_new (JSON_NODE_OBJECT);

      json_node_set_object (claims, stored->id_claims);
      json_builder_set_member_name (builder, "id_claims");
      json_builder_add_value (builder, claims);
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

/**
 * sv_stored_session_new_from_json:
 * @json: text from the keyring
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the session, or %NULL when it is from
 *   an unknown version or damaged
 */
SvStoredSession *
sv_stored_session_new_from_json (const char  *json,
                                 GError     **error)
{
  g_autoptr(GBytes) bytes = g_bytes_new_static (json, strlen (json));
  g_autoptr(JsonObject) object = sv_json_parse_object (bytes, NULL, NULL);
  g_autoptr(SvStoredSession) stored = NULL;
  JsonNode *claims;
  gint64 version = 0;
  gint64 value;

  if (object == NULL || !sv_json_get_int (object, "version", &version) ||
      version != SV_TOKEN_STORE_VERSION)
    {
      g_set_error (error, SV_ERROR, SV_ERROR_NOT_SIGNED_IN,
                   _("The saved sign-in is from another version of SMART Viewer or damaged. Sign in again."));
      return NULL;
    }

  stored = sv_stored_session_new ();
  stored->refresh_token = g_strdup (sv_json_get_string (object, "refresh_token"));
  if (sv_json_get_int (object, "expires_at", &value))
    stored->expires_at = value;
  stored->granted_scope = g_strdup (sv_json_get_string (object, "granted_scope"));
  stored->asked_scope = g_strdup (sv_json_get_string (object, "asked_scope"));
  stored->patient = g_strdup (sv_json_get_string (object, "patient"));
  if (sv_json_get_int (object, "patient_source", &value))
    stored->patient_source = (int) value;
  stored->fhir_user = g_strdup (sv_json_get_string (object, "fhir_user"));
  stored->issuer = g_strdup (sv_json_get_string (object, "issuer"));
  claims = json_object_get_member (object, "id_claims");
  if (claims != NULL && JSON_NODE_HOLDS_OBJECT (claims))
    stored->id_claims = json_object_ref (json_node_get_object (claims));

  return g_steal_pointer (&stored);
}

static void
sv_token_store_finalize (GObject *object)
{
  SvTokenStore *self = SV_TOKEN_STORE (object);

  g_hash_table_unref (self->memory);

  G_OBJECT_CLASS (sv_token_store_parent_class)->finalize (object);
}

static void
sv_token_store_class_init (SvTokenStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sv_token_store_finalize;

  /**
   * SvTokenStore::storage-unavailable:
   * @self: the store
   * @message: a translated explanation for the user
   *
   * Emitted once, when the keyring turns out to be unusable.
   */
  signals[STORAGE_UNAVAILABLE] =
    g_signal_new ("storage-unavailable", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
free_json_secret (gpointer data)
{
  char *text = data;

  explicit_bzero (text, strlen (text));
  g_free (text);
}

static void
sv_token_store_init (SvTokenStore *self)
{
  self->timeout_ms = DEFAULT_TIMEOUT_MS;
  self->memory = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, free_json_secret);
}

/**
 * sv_token_store_new:
 *
 * Returns: (transfer full): a store
 */
SvTokenStore *
sv_token_store_new (void)
{
  return g_object_new (SV_TYPE_TOKEN_STORE, NULL);
}

/**
 * sv_token_store_set_timeout:
 * @self: a store
 * @timeout_ms: how long a keyring call may take
 */
void
sv_token_store_set_timeout (SvTokenStore *self,
                            guint         timeout_ms)
{
  g_return_if_fail (SV_IS_TOKEN_STORE (self));
  self->timeout_ms = timeout_ms;
}

/**
 * sv_token_store_get_memory_only:
 * @self: a store
 *
 * Returns: %TRUE when sessions are kept in memory for this run only
 */
gboolean
sv_token_store_get_memory_only (SvTokenStore *self)
{
  g_return_val_if_fail (SV_IS_TOKEN_STORE (self), FALSE);
  return self->memory_only;
}

typedef enum
{
  OP_SAVE,
  OP_LOOKUP,
  OP_DELETE,
} OpKind;

typedef struct
{
  OpKind kind;
  gboolean client_secret;
  char *profile;
  char *memory_key;
  char *json;
  GCancellable *call_cancellable;
  gulong cancelled_id;
  guint timeout_id;
  gboolean timed_out;
} OpData;

static void
op_data_free (OpData *data)
{
  g_free (data->profile);
  g_free (data->memory_key);
  if (data->json != NULL)
    free_json_secret (g_steal_pointer (&data->json));
  g_clear_handle_id (&data->timeout_id, g_source_remove);
  g_clear_object (&data->call_cancellable);
  g_free (data);
}

static void
switch_to_memory (SvTokenStore *self,
                  const GError *reason)
{
  if (self->memory_only)
    return;

  g_debug ("No usable secret storage: %s", reason ? reason->message : "timeout");
  self->memory_only = TRUE;
  g_signal_emit (self, signals[STORAGE_UNAVAILABLE], 0,
                 _("No keyring is available, so you will stay signed in only until SMART Viewer quits. Install and unlock a keyring (such as GNOME Keyring) to stay signed in."));
}

static void
run_in_memory (GTask *task)
{
  SvTokenStore *self = g_task_get_source_object (task);
  OpData *data = g_task_get_task_data (task);
  const char *json;

  switch (data->kind)
    {
    case OP_SAVE:
      g_hash_table_replace (self->memory, g_strdup (data->memory_key), g_steal_pointer (&data->json));
      g_task_return_boolean (task, TRUE);
      break;

    case OP_LOOKUP:
      json = g_hash_table_lookup (self->memory, data->memory_key);
      if (json == NULL)
        g_task_return_pointer (task, NULL, NULL);
      else if (data->client_secret)
        g_task_return_pointer (task, g_strdup (json), free_json_secret);
      else
        {
          GError *error = NULL;
          SvStoredSession *stored = sv_stored_session_new_from_json (json, &error);

          if (stored == NULL)
            g_task_return_error (task, error);
          else
            g_task_return_pointer (task, stored, (GDestroyNotify) sv_stored_session_free);
        }
      break;

    case OP_DELETE:
    default:
      g_hash_table_remove (self->memory, data->memory_key);
      g_task_return_boolean (task, TRUE);
      break;
    }
}

static gboolean
is_storage_failure (const GError *error,
                    OpData       *data)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return data->timed_out;

  return error->domain == G_IO_ERROR || error->domain == G_DBUS_ERROR ||
         error->domain == SECRET_ERROR;
}

/* Returns TRUE when the call failed because of the storage and the task was
 * finished from memory instead. */
static gboolean
handle_failure (GTask  *task,
                GError *error)
{
  SvTokenStore *self = g_task_get_source_object (task);
  OpData *data = g_task_get_task_data (task);

  g_clear_handle_id (&data->timeout_id, g_source_remove);

  if (!is_storage_failure (error, data))
    return FALSE;

  switch_to_memory (self, error);
  run_in_memory (task);
  return TRUE;
}

static void dispatch_next (SvTokenStore *self);

static void
on_secret_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(SvTokenStore) self = g_object_ref (g_task_get_source_object (task));
  OpData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *secret = NULL;
  GCancellable *outer = g_task_get_cancellable (task);

  g_clear_handle_id (&data->timeout_id, g_source_remove);
  if (outer != NULL && data->cancelled_id != 0)
    g_cancellable_disconnect (outer, data->cancelled_id);
  data->cancelled_id = 0;

  switch (data->kind)
    {
    case OP_SAVE:
      if (!secret_password_store_finish (result, &error))
        {
          if (!handle_failure (task, error))
            g_task_return_error (task, g_steal_pointer (&error));
        }
      else
        g_task_return_boolean (task, TRUE);
      break;

    case OP_LOOKUP:
      secret = secret_password_lookup_finish (result, &error);
      if (error != NULL)
        {
          if (!handle_failure (task, error))
            g_task_return_error (task, g_steal_pointer (&error));
        }
      else if (secret == NULL)
        g_task_return_pointer (task, NULL, NULL);
      else if (data->client_secret)
        g_task_return_pointer (task, g_steal_pointer (&secret), free_json_secret);
      else
        {
          SvStoredSession *stored = sv_stored_session_new_from_json (secret, &error);

          explicit_bzero (secret, strlen (secret));
          if (stored == NULL)
            g_task_return_error (task, g_steal_pointer (&error));
          else
            g_task_return_pointer (task, stored, (GDestroyNotify) sv_stored_session_free);
        }
      break;

    case OP_DELETE:
    default:
      secret_password_clear_finish (result, &error);
      if (error != NULL)
        {
          if (!handle_failure (task, error))
            g_task_return_error (task, g_steal_pointer (&error));
        }
      else
        {
          /* A session may also live in memory from before the keyring failed. */
          g_hash_table_remove (self->memory, data->memory_key);
          g_task_return_boolean (task, TRUE);
        }
      break;
    }

  self->busy = FALSE;
  dispatch_next (self);
}

static gboolean
on_timeout (gpointer user_data)
{
  OpData *data = user_data;

  data->timeout_id = 0;
  data->timed_out = TRUE;
  g_cancellable_cancel (data->call_cancellable);

  return G_SOURCE_REMOVE;
}

static void
on_outer_cancelled (GCancellable *outer,
                    gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static void
dispatch (GTask *task)
{
  SvTokenStore *self = g_task_get_source_object (task);
  OpData *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autofree char *label = NULL;
  const SecretSchema *schema = data->client_secret ? get_client_secret_schema () : get_schema ();

  if (self->memory_only)
    {
      run_in_memory (task);
      g_object_unref (task);
      return;
    }

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }

  self->busy = TRUE;
  data->call_cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    data->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (on_outer_cancelled),
                                                data->call_cancellable, NULL);
  data->timeout_id = g_timeout_add (self->timeout_ms, on_timeout, data);

  switch (data->kind)
    {
    case OP_SAVE:
      if (data->client_secret)
        label = g_strdup_printf (_("SMART Viewer client secret for “%s”"), data->profile);
      else
        label = g_strdup_printf (_("SMART Viewer sign-in for “%s”"), data->profile);
      secret_password_store (schema, SECRET_COLLECTION_DEFAULT, label, data->json,
                             data->call_cancellable, on_secret_done, task,
                             "profile", data->profile, "version", SV_TOKEN_STORE_VERSION, NULL);
      break;
    case OP_LOOKUP:
      secret_password_lookup (schema, data->call_cancellable, on_secret_done, task,
                              "profile", data->profile, "version", SV_TOKEN_STORE_VERSION, NULL);
      break;
    case OP_DELETE:
    default:
      secret_password_clear (schema, data->call_cancellable, on_secret_done, task,
                             "profile", data->profile, "version", SV_TOKEN_STORE_VERSION, NULL);
      break;
    }
}

/* One keyring call at a time: libsecret 0.20 finishes a task twice when two
 * clears of the same item overlap, and ordered calls are easier to reason
 * about anyway (a save followed by a delete must end deleted). */
static void
dispatch_next (SvTokenStore *self)
{
  while (!self->busy && !g_queue_is_empty (&self->queue))
    dispatch (g_queue_pop_head (&self->queue));
}

static void
start (SvTokenStore        *self,
       OpKind               kind,
       gboolean             client_secret,
       const char          *profile,
       char                *json,
       gpointer             source_tag,
       GCancellable        *cancellable,
       GAsyncReadyCallback  callback,
       gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  OpData *data = g_new0 (OpData, 1);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, data, (GDestroyNotify) op_data_free);
  data->kind = kind;
  data->client_secret = client_secret;
  data->profile = g_strdup (profile);
  /* A newline cannot be in a profile name, so the two kinds never collide. */
  data->memory_key = client_secret ? g_strconcat ("client-secret\n", profile, NULL) : g_strdup (profile);
  data->json = json;

  g_queue_push_tail (&self->queue, task);
  dispatch_next (self);
}

/**
 * sv_token_store_save_async:
 * @self: a store
 * @profile: the profile name
 * @stored: the session to keep
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Saves (or replaces) the session of @profile.
 */
void
sv_token_store_save_async (SvTokenStore        *self,
                           const char          *profile,
                           SvStoredSession     *stored,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (SV_IS_TOKEN_STORE (self));
  g_return_if_fail (profile != NULL && stored != NULL);

  start (self, OP_SAVE, FALSE, profile, sv_stored_session_to_json (stored),
         sv_token_store_save_async, cancellable, callback, user_data);
}

gboolean
sv_token_store_save_finish (SvTokenStore  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * sv_token_store_lookup_async:
 * @self: a store
 * @profile: the profile name
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Looks up the session of @profile.
 */
void
sv_token_store_lookup_async (SvTokenStore        *self,
                             const char          *profile,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (SV_IS_TOKEN_STORE (self));
  g_return_if_fail (profile != NULL);

  start (self, OP_LOOKUP, FALSE, profile, NULL, sv_token_store_lookup_async, cancellable, callback, user_data);
}

/**
 * sv_token_store_lookup_finish:
 * @self: a store
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the session, or %NULL without an
 *   error when none is stored
 */
SvStoredSession *
sv_token_store_lookup_finish (SvTokenStore  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * sv_token_store_delete_async:
 * @self: a store
 * @profile: the profile name
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Forgets the session of @profile.
 */
void
sv_token_store_delete_async (SvTokenStore        *self,
                             const char          *profile,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (SV_IS_TOKEN_STORE (self));
  g_return_if_fail (profile != NULL);

  start (self, OP_DELETE, FALSE, profile, NULL, sv_token_store_delete_async, cancellable, callback, user_data);
}

gboolean
sv_token_store_delete_finish (SvTokenStore  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * sv_token_store_save_client_secret_async:
 * @self: a store
 * @profile: the profile name
 * @client_secret: a confidential client's secret
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Keeps a client secret in the keyring, never in the profile file.
 */
void
sv_token_store_save_client_secret_async (SvTokenStore        *self,
                                         const char          *profile,
                                         const char          *client_secret,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_return_if_fail (SV_IS_TOKEN_STORE (self));
  g_return_if_fail (profile != NULL && client_secret != NULL);

  start (self, OP_SAVE, TRUE, profile, g_strdup (client_secret),
         sv_token_store_save_client_secret_async, cancellable, callback, user_data);
}

gboolean
sv_token_store_save_client_secret_finish (SvTokenStore  *self,
                                          GAsyncResult  *result,
                                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * sv_token_store_lookup_client_secret_async:
 * @self: a store
 * @profile: the profile name
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Looks up the client secret of @profile, if it has one.
 */
void
sv_token_store_lookup_client_secret_async (SvTokenStore        *self,
                                           const char          *profile,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_return_if_fail (SV_IS_TOKEN_STORE (self));
  g_return_if_fail (profile != NULL);

  start (self, OP_LOOKUP, TRUE, profile, NULL,
         sv_token_store_lookup_client_secret_async, cancellable, callback, user_data);
}

/**
 * sv_token_store_lookup_client_secret_finish:
 * @self: a store
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the secret, or %NULL without an
 *   error for a public client; wipe it after use
 */
char *
sv_token_store_lookup_client_secret_finish (SvTokenStore  *self,
                                            GAsyncResult  *result,
                                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * sv_token_store_delete_client_secret_async:
 * @self: a store
 * @profile: the profile name
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Forgets the client secret of @profile.
 */
void
sv_token_store_delete_client_secret_async (SvTokenStore        *self,
                                           const char          *profile,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_return_if_fail (SV_IS_TOKEN_STORE (self));
  g_return_if_fail (profile != NULL);

  start (self, OP_DELETE, TRUE, profile, NULL,
         sv_token_store_delete_client_secret_async, cancellable, callback, user_data);
}

gboolean
sv_token_store_delete_client_secret_finish (SvTokenStore  *self,
                                            GAsyncResult  *result,
                                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
