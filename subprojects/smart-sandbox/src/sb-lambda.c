/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "smart-sandbox"

#include "config.h"

#include "sb-lambda.h"

#include <gio/gio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <sys/prctl.h>
#include <string.h>

#include "sb-config.h"
#include "sb-faults.h"

#define RUNTIME_PREFIX "/2018-06-01/runtime/"
#define FUNCTION_NAME "smart-sandbox-token-validator"
#define RESPAWN_DELAY_MS 1000

typedef struct _Worker Worker;

typedef struct
{
  SbLambda        *lambda;
  char            *request_id;
  char            *event;          /* holds the bearer token: freed once delivered */
  SbLambdaCallback callback;
  gpointer         user_data;
  gint64           start_us;
  gint64           deadline_ms;    /* epoch milliseconds */
  guint            timeout_id;
  guint            delay_id;
  gboolean         queued;
} Invocation;

struct _Worker
{
  SbLambda    *lambda;
  guint        index;
  GSubprocess *proc;
  guint        respawn_id;
};

struct _SbLambda
{
  SbContext  *ctx;
  char       *validator;
  SoupServer *server;
  char       *runtime_api;     /* "127.0.0.1:PORT" */
  GQueue      pending;         /* Invocation*, waiting for a worker */
  GQueue      waiting;         /* SoupServerMessage*, paused …/invocation/next */
  GHashTable *invocations;     /* request id → Invocation* (pending or running) */
  GPtrArray  *workers;
  gboolean    stopping;
  gboolean    init_error_logged;
  guint64     counter;
};

static void spawn_worker (Worker *w);

char *
sb_lambda_find_validator (const char *explicit_path)
{
  const char *env = g_getenv ("SMART_SANDBOX_VALIDATOR");
  g_autofree char *self = NULL;

  if (explicit_path != NULL && *explicit_path != '\0')
    return g_strdup (explicit_path);
  if (env != NULL && *env != '\0')
    return g_strdup (env);
  self = g_file_read_link ("/proc/self/exe", NULL);
  if (self != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (self);
      g_autofree char *cand = g_build_filename (dir, "token-validator", NULL);
      /* In a meson build tree the sibling subproject builds next door. */
      g_autofree char *cand2 = g_build_filename (dir, "..", "token-validator", "token-validator", NULL);

      if (g_file_test (cand, G_FILE_TEST_IS_EXECUTABLE))
        return g_steal_pointer (&cand);
      if (g_file_test (cand2, G_FILE_TEST_IS_EXECUTABLE))
        return g_canonicalize_filename (cand2, NULL);
    }
  if (*SB_VALIDATOR_BUILD_PATH != '\0' && g_file_test (SB_VALIDATOR_BUILD_PATH, G_FILE_TEST_IS_EXECUTABLE))
    return g_strdup (SB_VALIDATOR_BUILD_PATH);
  return g_find_program_in_path ("token-validator");
}

static void
invocation_free (Invocation *inv)
{
  g_clear_handle_id (&inv->timeout_id, g_source_remove);
  g_clear_handle_id (&inv->delay_id, g_source_remove);
  g_free (inv->request_id);
  if (inv->event != NULL)
    {
      /* Do not leave the token lying around in freed memory. */
      memset (inv->event, 0, strlen (inv->event));
      g_free (inv->event);
    }
  g_free (inv);
}

/* Removes inv from every table and reports to the caller. */
static void
finish (Invocation *inv, SbLambdaStatus status, JsonObject *response)
{
  SbLambda *lambda = inv->lambda;
  gint64 latency = g_get_monotonic_time () - inv->start_us;

  if (inv->queued)
    g_queue_remove (&lambda->pending, inv);
  g_hash_table_steal (lambda->invocations, inv->request_id);
  inv->callback (status, response, inv->request_id, latency, inv->user_data);
  invocation_free (inv);
}

static void
waiting_finished (SoupServerMessage *msg, SbLambda *lambda)
{
  g_queue_remove (&lambda->waiting, msg);
  g_signal_handlers_disconnect_by_data (msg, lambda);
  g_object_unref (msg);
}

/* Hands queued invocations to workers parked in …/invocation/next. */
static void
dispatch (SbLambda *lambda)
{
  while (!g_queue_is_empty (&lambda->pending) && !g_queue_is_empty (&lambda->waiting))
    {
      Invocation *inv = g_queue_pop_head (&lambda->pending);
      SoupServerMessage *msg = g_queue_pop_head (&lambda->waiting);
      SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
      g_autofree char *deadline = g_strdup_printf ("%" G_GINT64_FORMAT, inv->deadline_ms);
      g_autofree char *trace = g_strdup_printf ("Root=1-%08x-%024" G_GINT64_MODIFIER "x;Sampled=0",
                                                (guint) (g_get_real_time () / G_USEC_PER_SEC),
                                                (gint64) lambda->counter);
      char *body = g_steal_pointer (&inv->event);

      inv->queued = FALSE;
      soup_message_headers_replace (h, "Lambda-Runtime-Aws-Request-Id", inv->request_id);
      soup_message_headers_replace (h, "Lambda-Runtime-Deadline-Ms", deadline);
      soup_message_headers_replace (h, "Lambda-Runtime-Invoked-Function-Arn",
                                    "arn:aws:lambda:us-east-1:000000000000:function:" FUNCTION_NAME);
      soup_message_headers_replace (h, "Lambda-Runtime-Trace-Id", trace);
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, body, strlen (body));
      g_signal_handlers_disconnect_by_data (msg, lambda);
      soup_server_message_unpause (msg);
      g_object_unref (msg);
    }
}

static gboolean
on_timeout (gpointer data)
{
  Invocation *inv = data;

  inv->timeout_id = 0;
  finish (inv, SB_LAMBDA_TIMEOUT, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
on_delay_over (gpointer data)
{
  Invocation *inv = data;

  inv->delay_id = 0;
  inv->queued = TRUE;
  g_queue_push_tail (&inv->lambda->pending, inv);
  dispatch (inv->lambda);
  return G_SOURCE_REMOVE;
}

void
sb_lambda_invoke (SbLambda        *lambda,
                  const char      *event_json,
                  guint            timeout_ms,
                  SbLambdaCallback callback,
                  gpointer         user_data)
{
  Invocation *inv = g_new0 (Invocation, 1);
  guint delay = sb_faults_validator_delay_ms (lambda->ctx->faults);

  inv->lambda = lambda;
  inv->request_id = g_uuid_string_random ();
  inv->event = g_strdup (event_json);
  inv->callback = callback;
  inv->user_data = user_data;
  inv->start_us = g_get_monotonic_time ();
  inv->deadline_ms = g_get_real_time () / 1000 + timeout_ms;
  lambda->counter++;
  g_hash_table_insert (lambda->invocations, inv->request_id, inv);
  inv->timeout_id = g_timeout_add (timeout_ms, on_timeout, inv);
  if (delay > 0)
    {
      /* The "slow validator" fault: the function starts late, so the
       * deadline passes as it would with a cold start. */
      inv->delay_id = g_timeout_add (delay, on_delay_over, inv);
      return;
    }
  inv->queued = TRUE;
  g_queue_push_tail (&lambda->pending, inv);
  dispatch (lambda);
}

static JsonObject *
parse_object (SoupServerMessage *msg)
{
  g_autoptr(GBytes) bytes = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  if (!json_parser_load_from_data (parser, data, len, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
accepted (SoupServerMessage *msg)
{
  static const char ok[] = "{\"status\":\"OK\"}";

  soup_server_message_set_status (msg, SOUP_STATUS_ACCEPTED, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, ok, strlen (ok));
}

static void
runtime_handler (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  SbLambda *lambda = user_data;
  const char *method = soup_server_message_get_method (msg);
  const char *rest;

  if (!g_str_has_prefix (path, RUNTIME_PREFIX))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  rest = path + strlen (RUNTIME_PREFIX);

  if (strcmp (rest, "invocation/next") == 0 && strcmp (method, "GET") == 0)
    {
      if (lambda->stopping)
        {
          soup_server_message_set_status (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL);
          return;
        }
      /* Long poll: the worker parks here until there is work. */
      g_queue_push_tail (&lambda->waiting, g_object_ref (msg));
      g_signal_connect (msg, "finished", G_CALLBACK (waiting_finished), lambda);
      g_signal_connect (msg, "disconnected", G_CALLBACK (waiting_finished), lambda);
      soup_server_message_pause (msg);
      dispatch (lambda);
      return;
    }

  if (strcmp (rest, "init/error") == 0 && strcmp (method, "POST") == 0)
    {
      g_autoptr(JsonObject) err = parse_object (msg);

      if (!lambda->init_error_logged)
        g_warning ("token-validator failed to initialise (%s); retrying every %u ms",
                   err ? json_object_get_string_member_with_default (err, "errorType", "unknown")
                       : "unknown", RESPAWN_DELAY_MS);
      lambda->init_error_logged = TRUE;
      accepted (msg);
      return;
    }

  if (g_str_has_prefix (rest, "invocation/") && strcmp (method, "POST") == 0)
    {
      const char *id_start = rest + strlen ("invocation/");
      const char *slash = strchr (id_start, '/');
      g_autofree char *id = slash ? g_strndup (id_start, slash - id_start) : NULL;
      Invocation *inv = id ? g_hash_table_lookup (lambda->invocations, id) : NULL;

      if (slash == NULL || (strcmp (slash, "/response") != 0 && strcmp (slash, "/error") != 0))
        {
          soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
          return;
        }
      if (inv == NULL || inv->queued || inv->delay_id != 0)
        {
          /* Late (after the deadline) or unknown: the caller is gone. */
          accepted (msg);
          return;
        }
      if (strcmp (slash, "/response") == 0)
        {
          g_autoptr(JsonObject) resp = parse_object (msg);

          finish (inv, resp ? SB_LAMBDA_OK : SB_LAMBDA_ERROR, resp);
        }
      else
        finish (inv, SB_LAMBDA_ERROR, NULL);
      lambda->init_error_logged = FALSE;
      accepted (msg);
      return;
    }

  soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

static gboolean
respawn_cb (gpointer data)
{
  Worker *w = data;

  w->respawn_id = 0;
  spawn_worker (w);
  return G_SOURCE_REMOVE;
}

static void
worker_exited (GObject *source, GAsyncResult *res, gpointer data)
{
  Worker *w = data;
  GSubprocess *proc = G_SUBPROCESS (source);

  g_subprocess_wait_finish (proc, res, NULL);
  if (w->proc != proc)
    {
      g_object_unref (proc);
      return;
    }
  g_clear_object (&w->proc);
  g_object_unref (proc);
  if (w->lambda == NULL || w->lambda->stopping)
    return;
  g_debug ("token-validator worker %u exited; restarting", w->index);
  w->respawn_id = g_timeout_add (RESPAWN_DELAY_MS, respawn_cb, w);
}

static void
set_env (SbLambda *lambda, GSubprocessLauncher *launcher)
{
  SbContext *ctx = lambda->ctx;
  g_auto(GStrv) env = g_get_environ ();
  g_autofree char *client_ids = NULL;

  /* Settings inherited from the caller's shell must not change the
   * validator's policy: start from a clean SMART_* set. */
  for (guint i = 0; env[i] != NULL; i++)
    if (g_str_has_prefix (env[i], "SMART_") && !g_str_has_prefix (env[i], "SMART_SANDBOX_"))
      {
        g_autofree char *name = g_strndup (env[i], strcspn (env[i], "="));

        g_subprocess_launcher_unsetenv (launcher, name);
      }
  g_subprocess_launcher_setenv (launcher, "AWS_LAMBDA_RUNTIME_API", lambda->runtime_api, TRUE);
  g_subprocess_launcher_setenv (launcher, "AWS_LAMBDA_FUNCTION_NAME", FUNCTION_NAME, TRUE);
  g_subprocess_launcher_setenv (launcher, "AWS_LAMBDA_FUNCTION_VERSION", "$LATEST", TRUE);
  g_subprocess_launcher_setenv (launcher, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128", TRUE);
  g_subprocess_launcher_setenv (launcher, "AWS_REGION", "us-east-1", TRUE);
  g_subprocess_launcher_setenv (launcher, "_HANDLER", "bootstrap", TRUE);
  g_subprocess_launcher_setenv (launcher, "SMART_ISSUER", ctx->issuer, TRUE);
  g_subprocess_launcher_setenv (launcher, "HEALTHLAKE_ROLE_ARN", SB_ROLE_ARN, TRUE);

  if (ctx->external_issuer != NULL)
    {
      /* Third-party IdP: the validator discovers its keys itself. */
      g_subprocess_launcher_setenv (launcher, "SMART_IDP",
                                    g_getenv ("SMART_SANDBOX_EXTERNAL_IDP") ?: "generic", TRUE);
      if (ctx->external_client_id != NULL)
        g_subprocess_launcher_setenv (launcher, "SMART_CLIENT_IDS", ctx->external_client_id, TRUE);
      return;
    }

  client_ids = g_strdup_printf ("%s,%s", ctx->public_client_id, ctx->backend_client_id);
  g_subprocess_launcher_setenv (launcher, "SMART_CLIENT_IDS", client_ids, TRUE);
  if (ctx->flavor == SB_FLAVOR_COGNITO)
    {
      g_autofree char *jwks = g_strdup_printf ("%s/.well-known/jwks.json", ctx->issuer);

      g_subprocess_launcher_setenv (launcher, "SMART_IDP", "cognito", TRUE);
      g_subprocess_launcher_setenv (launcher, "SMART_JWKS_URI", jwks, TRUE);
    }
  else
    {
      g_autofree char *jwks = g_strdup_printf ("%s/protocol/openid-connect/certs", ctx->issuer);

      g_subprocess_launcher_setenv (launcher, "SMART_IDP", "keycloak", TRUE);
      g_subprocess_launcher_setenv (launcher, "SMART_JWKS_URI", jwks, TRUE);
      g_subprocess_launcher_setenv (launcher, "SMART_AUDIENCE", ctx->fhir_base, TRUE);
    }
}

/* Runs in the child between fork and exec: if the sandbox dies without
 * cleaning up (SIGKILL), its workers must not outlive it. */
static void
child_setup (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static void
spawn_worker (Worker *w)
{
  SbLambda *lambda = w->lambda;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *log_name = g_strdup_printf ("lambda-%u.log", w->index);
  g_autofree char *log_path = g_build_filename (lambda->ctx->data_dir, log_name, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  set_env (lambda, launcher);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  /* One JSON line per invocation (no tokens, by the validator's contract);
   * kept out of our own output, in the data dir for workshops. */
  g_subprocess_launcher_set_stdout_file_path (launcher, log_path);
  w->proc = g_subprocess_launcher_spawn (launcher, &error, lambda->validator, NULL);
  if (w->proc == NULL)
    {
      g_warning ("cannot start %s: %s", lambda->validator, error->message);
      w->respawn_id = g_timeout_add (RESPAWN_DELAY_MS * 5, respawn_cb, w);
      return;
    }
  g_subprocess_wait_async (w->proc, NULL, worker_exited, w);
  g_object_ref (w->proc);   /* released in worker_exited */
}

static void
worker_free (Worker *w)
{
  /* sb_lambda_free waited for every process, so worker_exited (which
   * uses w) has run for all of them. */
  g_assert (w->proc == NULL);
  g_clear_handle_id (&w->respawn_id, g_source_remove);
  g_free (w);
}

SbLambda *
sb_lambda_new (SbContext  *ctx,
               const char *validator_path,
               guint       concurrency,
               GError    **error)
{
  SbLambda *lambda = g_new0 (SbLambda, 1);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (lo, 0);
  GSList *uris;

  lambda->ctx = ctx;
  lambda->validator = g_strdup (validator_path);
  g_queue_init (&lambda->pending);
  g_queue_init (&lambda->waiting);
  lambda->invocations = g_hash_table_new (g_str_hash, g_str_equal);
  lambda->workers = g_ptr_array_new_with_free_func ((GDestroyNotify) worker_free);
  lambda->server = soup_server_new ("server-header", "smart-sandbox-lambda", NULL);
  soup_server_add_handler (lambda->server, "/2018-06-01", runtime_handler, lambda, NULL);
  if (!soup_server_listen (lambda->server, addr, 0, error))
    {
      g_prefix_error (error, "Cannot start the Lambda Runtime API: ");
      sb_lambda_free (lambda);
      return NULL;
    }
  uris = soup_server_get_uris (lambda->server);
  lambda->runtime_api = g_strdup_printf ("127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  for (guint i = 0; i < MAX (concurrency, 1); i++)
    {
      Worker *w = g_new0 (Worker, 1);

      w->lambda = lambda;
      w->index = i;
      g_ptr_array_add (lambda->workers, w);
      spawn_worker (w);
    }
  return lambda;
}

const char *
sb_lambda_runtime_api (SbLambda *lambda)
{
  return lambda->runtime_api;
}

gboolean
sb_lambda_wait_ready (SbLambda *lambda, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      if (g_queue_get_length (&lambda->waiting) >= lambda->workers->len)
        return TRUE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return g_queue_get_length (&lambda->waiting) > 0;
}

void
sb_lambda_free (SbLambda *lambda)
{
  gint64 end;

  if (lambda == NULL)
    return;
  lambda->stopping = TRUE;

  /* Callers get an answer for everything in flight. */
  while (g_hash_table_size (lambda->invocations) > 0)
    {
      GHashTableIter iter;
      gpointer key, value;

      g_hash_table_iter_init (&iter, lambda->invocations);
      g_hash_table_iter_next (&iter, &key, &value);
      finish (value, SB_LAMBDA_ERROR, NULL);
    }

  for (guint i = 0; i < lambda->workers->len; i++)
    {
      Worker *w = lambda->workers->pdata[i];

      if (w->proc != NULL)
        g_subprocess_send_signal (w->proc, SIGTERM);
    }
  end = g_get_monotonic_time () + G_USEC_PER_SEC;
  for (;;)
    {
      gboolean alive = FALSE;

      for (guint i = 0; i < lambda->workers->len; i++)
        alive |= ((Worker *) lambda->workers->pdata[i])->proc != NULL;
      if (!alive)
        break;
      if (g_get_monotonic_time () > end)
        {
          for (guint i = 0; i < lambda->workers->len; i++)
            {
              Worker *w = lambda->workers->pdata[i];

              if (w->proc != NULL)
                g_subprocess_force_exit (w->proc);
            }
          end = G_MAXINT64;
        }
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }

  while (!g_queue_is_empty (&lambda->waiting))
    {
      SoupServerMessage *msg = g_queue_pop_head (&lambda->waiting);

      g_signal_handlers_disconnect_by_data (msg, lambda);
      g_object_unref (msg);
    }
  if (lambda->server != NULL)
    {
      soup_server_disconnect (lambda->server);
      g_object_unref (lambda->server);
    }
  g_ptr_array_unref (lambda->workers);
  g_hash_table_unref (lambda->invocations);
  g_free (lambda->runtime_api);
  g_free (lambda->validator);
  g_free (lambda);
}
