/* SPDX-License-Identifier: GPL-3.0-or-later */
/* smart-sandbox: an offline Cognito/Keycloak-shaped IdP and a
 * HealthLake-shaped FHIR API that runs the real token-validator through
 * the Lambda Runtime API. */
#define G_LOG_DOMAIN "smart-sandbox"

#include "config.h"

#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>

#include "sb-config.h"
#include "sb-context.h"
#include "sb-events.h"
#include "sb-faults.h"
#include "sb-fhir.h"
#include "sb-generate.h"
#include "sb-idp.h"
#include "sb-import.h"
#include "sb-keys.h"
#include "sb-lambda.h"
#include "sb-store.h"

#define DEFAULT_PORT 8400
#ifndef SB_GENERATE_DEFAULT_SEED
#define SB_GENERATE_DEFAULT_SEED 20261204u
#endif
#define STORE_NAME "sandbox.db"
#define LAMBDA_READY_TIMEOUT_MS 10000

static char *opt_host = NULL;
static int opt_port = DEFAULT_PORT;
static char *opt_flavor = NULL;
static char *opt_data_dir = NULL;
static gboolean opt_reset = FALSE;
static char **opt_imports = NULL;
static char *opt_validator = NULL;
static int opt_concurrency = 2;
static int opt_token_lifetime = 300;
static char *opt_external_issuer = NULL;
static char *opt_external_client_id = NULL;
static gboolean opt_rotate_keys = FALSE;
static gboolean opt_in_process = FALSE;
static gboolean opt_version = FALSE;

static const GOptionEntry entries[] = {
  { "host", 0, 0, G_OPTION_ARG_STRING, &opt_host, "Address to listen on (default 127.0.0.1)", "ADDR" },
  { "port", 0, 0, G_OPTION_ARG_INT, &opt_port, "Port (default 8400; 0 picks a free one)", "PORT" },
  { "flavor", 0, 0, G_OPTION_ARG_STRING, &opt_flavor, "IdP flavor: keycloak (default) or cognito", "FLAVOR" },
  { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_data_dir,
    "Data directory (default $XDG_DATA_HOME/smart-sandbox/FLAVOR)", "DIR" },
  { "reset", 0, 0, G_OPTION_ARG_NONE, &opt_reset, "Delete the data directory's contents first", NULL },
  { "import", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opt_imports,
    "Import a FHIR Bundle, an NDJSON file or a folder of them (repeatable)", "PATH" },
  { "validator", 0, 0, G_OPTION_ARG_FILENAME, &opt_validator, "The token-validator executable", "PATH" },
  { "lambda-concurrency", 0, 0, G_OPTION_ARG_INT, &opt_concurrency,
    "Number of token-validator processes (default 2)", "N" },
  { "token-lifetime", 0, 0, G_OPTION_ARG_INT, &opt_token_lifetime,
    "Access token lifetime in seconds (default 300)", "SECONDS" },
  { "external-issuer", 0, 0, G_OPTION_ARG_STRING, &opt_external_issuer,
    "Trust this issuer instead of the built-in IdP (which stays off)", "URL" },
  { "external-client-id", 0, 0, G_OPTION_ARG_STRING, &opt_external_client_id,
    "Client id to accept from the external issuer", "ID" },
  { "rotate-keys", 0, 0, G_OPTION_ARG_NONE, &opt_rotate_keys,
    "Make a new signing key (the old one stays in the JWKS)", NULL },
  { "in-process-authz", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &opt_in_process,
    "Compute the authPayload in-process instead of through the Lambda (benchmarks)", NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version, "Print the version", NULL },
  { NULL }
};

static gboolean
store_sink (const char *json, gsize len, gpointer user_data, GError **error)
{
  guint *n = ((gpointer *) user_data)[1];

  if (!sb_store_put_json (((gpointer *) user_data)[0], json, len, error))
    return FALSE;
  (*n)++;
  return TRUE;
}

static gboolean
generate (SbContext *ctx, GError **error)
{
  SbPopulationInfo info = { 0 };
  guint n = 0;
  gpointer data[2] = { ctx->store, &n };
  gboolean ok;

  if (!sb_store_begin (ctx->store, error))
    return FALSE;
  if (!sb_generate_population (SB_GENERATE_DEFAULT_SEED, store_sink, data, &info, error))
    {
      g_autoptr(GPtrArray) none = g_ptr_array_new_with_free_func (g_free);

      sb_store_query (ctx->store, "ROLLBACK", NULL, 0, none, NULL, NULL);
      sb_population_info_clear (&info);
      g_prefix_error (error, "Cannot generate the population: ");
      return FALSE;
    }
  if (!sb_store_commit (ctx->store, error))
    {
      sb_population_info_clear (&info);
      return FALSE;
    }
  ok = sb_config_set_demo_users (ctx, info.clinician_practitioner_id, info.patient_id, error);
  if (ok && info.large_patient_id != NULL)
    {
      g_key_file_set_string (ctx->users, "sandbox", "large_patient_id", info.large_patient_id);
      ok = sb_config_save (ctx, error);
    }
  g_printerr ("smart-sandbox: generated %u resources (%u patients)\n", n, info.n_patients);
  sb_population_info_clear (&info);
  return ok;
}

static gboolean
delete_tree (GFile *dir, GError **error)
{
  g_autoptr(GFileEnumerator) en = g_file_enumerate_children (dir, G_FILE_ATTRIBUTE_STANDARD_NAME ","
                                                             G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                                             G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, error);
  GFileInfo *info;
  GFile *child;

  if (en == NULL)
    return FALSE;
  while (g_file_enumerator_iterate (en, &info, &child, NULL, error))
    {
      if (info == NULL)
        return TRUE;
      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY && !delete_tree (child, error))
        return FALSE;
      if (!g_file_delete (child, NULL, error))
        return FALSE;
    }
  return FALSE;
}

static gboolean
reset_data_dir (const char *dir, GError **error)
{
  g_autofree char *ini = g_build_filename (dir, "sandbox.ini", NULL);
  g_autofree char *db = g_build_filename (dir, STORE_NAME, NULL);
  g_autoptr(GFile) f = g_file_new_for_path (dir);

  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    return TRUE;
  /* Refuse to empty a folder that is not ours (a mistyped --data-dir). */
  if (!g_file_test (ini, G_FILE_TEST_EXISTS) && !g_file_test (db, G_FILE_TEST_EXISTS))
    {
      g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);

      if (d != NULL && g_dir_read_name (d) != NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "%s does not look like a smart-sandbox data dir; not resetting it", dir);
          return FALSE;
        }
      return TRUE;
    }
  return delete_tree (f, error);
}

static JsonObject *
fetch_discovery (const char *issuer)
{
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 5, NULL);
  g_autofree char *url = g_strdup_printf ("%s%s.well-known/openid-configuration", issuer,
                                          g_str_has_suffix (issuer, "/") ? "" : "/");
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  if (msg == NULL)
    return NULL;
  body = soup_session_send_and_read (session, msg, NULL, &error);
  if (body == NULL || soup_message_get_status (msg) != SOUP_STATUS_OK
      || !json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_warning ("cannot read %s; smart-configuration will only name the issuer", url);
      return NULL;
    }
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static gboolean
on_signal (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_CONTINUE;
}

static void
print_table (SbContext *ctx, const char *validator, const char *runtime_api)
{
  g_auto(GStrv) groups = g_key_file_get_groups (ctx->users, NULL);

  printf ("\n  flavor        %s%s\n", sb_flavor_to_string (ctx->flavor),
          ctx->external_issuer ? " (external issuer; built-in IdP off)" : "");
  printf ("  FHIR base     %s\n", ctx->fhir_base);
  printf ("  issuer        %s\n", ctx->issuer);
  if (ctx->external_issuer == NULL && ctx->idp != NULL)
    {
      printf ("  authorize     %s\n", sb_idp_authorization_endpoint (ctx->idp));
      printf ("  token         %s\n", sb_idp_token_endpoint (ctx->idp));
      printf ("  JWKS          %s\n", sb_idp_jwks_uri (ctx->idp));
    }
  printf ("  discovery     %s.well-known/smart-configuration\n", ctx->fhir_base);
  printf ("  hooks         %s/_sandbox/events  %s/_sandbox/faults  (loopback only)\n",
          ctx->root_url, ctx->root_url);
  printf ("  data dir      %s\n", ctx->data_dir);
  printf ("  validator     %s%s%s\n", validator ? validator : "(none: in-process or missing)",
          runtime_api ? "  runtime API " : "", runtime_api ? runtime_api : "");
  if (ctx->external_issuer == NULL)
    {
      const char *const *uris = sb_idp_public_redirect_uris ();

      printf ("\n  public client %s (PKCE S256)\n", ctx->public_client_id);
      for (guint i = 0; uris != NULL && uris[i] != NULL; i++)
        printf ("    redirect    %s\n", uris[i]);
      /* The secret stays in the data dir (mode 0600); terminals and logs
       * are read by others in a workshop. */
      printf ("  backend       %s  (client_credentials, system/ scopes; secret in %s/sandbox.ini)\n",
              ctx->backend_client_id, ctx->data_dir);
      printf ("\n  demo users (passwords in %s/sandbox.ini)\n", ctx->data_dir);
      for (guint i = 0; groups[i] != NULL; i++)
        if (g_str_has_prefix (groups[i], "user:"))
          {
            g_autofree char *fu = g_key_file_get_string (ctx->users, groups[i], "fhirUser", NULL);
            g_autofree char *pw = g_key_file_get_string (ctx->users, groups[i], "password", NULL);

            printf ("    %-12s %-10s %s\n", groups[i] + 5,
                    g_strcmp0 (pw, "demo") == 0 ? "demo" : "(custom)", fu ? fu : "");
          }
    }
  printf ("\n");
  fflush (stdout);
}

int
main (int argc, char **argv)
{
  g_autoptr(GOptionContext) octx = g_option_context_new ("— offline SMART on FHIR sandbox");
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GInetAddress) addr = NULL;
  g_autoptr(GSocketAddress) saddr = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *validator = NULL;
  g_autofree char *root = NULL;
  SbContext ctx = { 0 };
  SbLambda *lambda = NULL;
  SbFhir *fhir = NULL;
  GSList *uris;
  guint sigint, sigterm;
  const char *host;
  int status = 1;

  g_option_context_add_main_entries (octx, entries, NULL);
  g_option_context_set_summary (octx,
    "Serves a Keycloak- or Cognito-shaped IdP and a HealthLake-shaped FHIR R4 API\n"
    "over SQLite; every FHIR request is authorized by the real token-validator\n"
    "run through the Lambda Runtime API.");
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    {
      g_printerr ("smart-sandbox: %s\n", error->message);
      return 2;
    }
  if (opt_version)
    {
      printf ("smart-sandbox %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (argc > 1)
    {
      g_printerr ("smart-sandbox: unexpected argument %s\n", argv[1]);
      return 2;
    }
  ctx.flavor = SB_FLAVOR_KEYCLOAK;
  if (opt_flavor != NULL && !sb_flavor_from_string (opt_flavor, &ctx.flavor))
    {
      g_printerr ("smart-sandbox: --flavor must be keycloak or cognito\n");
      return 2;
    }
  if (opt_port < 0 || opt_port > 65535 || opt_concurrency < 1 || opt_concurrency > 64
      || opt_token_lifetime < 1 || opt_token_lifetime > 86400)
    {
      g_printerr ("smart-sandbox: --port, --lambda-concurrency or --token-lifetime out of range\n");
      return 2;
    }
  if (opt_external_issuer != NULL
      && !g_str_has_prefix (opt_external_issuer, "https://") && !g_str_has_prefix (opt_external_issuer, "http://"))
    {
      g_printerr ("smart-sandbox: --external-issuer must be an http(s) URL\n");
      return 2;
    }

  ctx.data_dir = opt_data_dir ? g_canonicalize_filename (opt_data_dir, NULL)
                              : sb_config_default_data_dir (ctx.flavor);
  ctx.public_client_id = g_strdup (SB_PUBLIC_CLIENT_ID);
  ctx.backend_client_id = g_strdup (SB_BACKEND_CLIENT_ID);
  ctx.token_lifetime = opt_token_lifetime;
  ctx.external_issuer = g_strdup (opt_external_issuer);
  ctx.external_client_id = g_strdup (opt_external_client_id);

  if (opt_reset && !reset_data_dir (ctx.data_dir, &error))
    {
      g_printerr ("smart-sandbox: --reset: %s\n", error->message);
      goto out;
    }
  if (g_mkdir_with_parents (ctx.data_dir, 0700) != 0)
    {
      g_printerr ("smart-sandbox: cannot create %s: %s\n", ctx.data_dir, g_strerror (errno));
      goto out;
    }
  if (!sb_config_load (&ctx, &error))
    {
      g_printerr ("smart-sandbox: %s\n", error->message);
      goto out;
    }

  db_path = g_build_filename (ctx.data_dir, STORE_NAME, NULL);
  ctx.store = sb_store_open (db_path, &error);
  if (ctx.store == NULL)
    {
      g_printerr ("smart-sandbox: %s\n", error->message);
      goto out;
    }
  if (sb_store_is_empty (ctx.store) && !generate (&ctx, &error))
    {
      g_printerr ("smart-sandbox: %s\n", error->message);
      goto out;
    }
  for (guint i = 0; opt_imports != NULL && opt_imports[i] != NULL; i++)
    {
      g_autoptr(GHashTable) counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_autoptr(GList) keys = NULL;

      if (!sb_import_path (ctx.store, opt_imports[i], counts, &error))
        {
          g_printerr ("smart-sandbox: import failed, nothing imported: %s\n", error->message);
          goto out;
        }
      keys = g_list_sort (g_hash_table_get_keys (counts), (GCompareFunc) strcmp);
      for (GList *l = keys; l != NULL; l = l->next)
        g_printerr ("smart-sandbox: imported %u %s from %s\n",
                    GPOINTER_TO_UINT (g_hash_table_lookup (counts, l->data)),
                    (char *) l->data, opt_imports[i]);
    }

  if (ctx.external_issuer == NULL)
    {
      ctx.keys = sb_keys_load_or_create (ctx.data_dir, &error);
      if (ctx.keys == NULL)
        {
          g_printerr ("smart-sandbox: %s\n", error->message);
          goto out;
        }
      if (opt_rotate_keys && !sb_keys_rotate (ctx.keys, &error))
        {
          g_printerr ("smart-sandbox: --rotate-keys: %s\n", error->message);
          goto out;
        }
    }

  if (!opt_in_process)
    {
      validator = sb_lambda_find_validator (opt_validator);
      if (validator == NULL || !g_file_test (validator, G_FILE_TEST_IS_EXECUTABLE))
        {
          /* The IdP alone is still useful (and testable); FHIR requests
           * with a token will say what is missing. */
          g_warning ("the token-validator executable was not found%s%s; FHIR requests will fail. "
                     "Pass --validator PATH or set SMART_SANDBOX_VALIDATOR",
                     validator ? ": " : "", validator ? validator : "");
          g_clear_pointer (&validator, g_free);
        }
    }
  else if (ctx.external_issuer != NULL)
    {
      g_printerr ("smart-sandbox: --in-process-authz needs the built-in IdP\n");
      goto out;
    }

  host = opt_host ? opt_host : "127.0.0.1";
  addr = g_inet_address_new_from_string (host);
  if (addr == NULL)
    {
      g_printerr ("smart-sandbox: --host must be an IP address\n");
      goto out;
    }
  if (!g_inet_address_get_is_loopback (addr))
    g_warning ("listening on %s: the sandbox is reachable from other machines; "
               "it has demo passwords and no TLS", host);
  saddr = g_inet_socket_address_new (addr, opt_port);
  server = soup_server_new ("server-header", "smart-sandbox/" PACKAGE_VERSION " ", NULL);
  if (!soup_server_listen (server, saddr, 0, &error))
    {
      g_printerr ("smart-sandbox: cannot listen on %s:%d: %s\n", host, opt_port, error->message);
      goto out;
    }
  uris = soup_server_get_uris (server);
  {
    const char *url_host = g_inet_address_get_is_any (addr) ? "127.0.0.1" : host;
    gboolean v6 = strchr (url_host, ':') != NULL;

    root = g_strdup_printf ("http://%s%s%s:%d", v6 ? "[" : "", url_host, v6 ? "]" : "",
                            g_uri_get_port (uris->data));
  }
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  sb_context_set_urls (&ctx, root);

  ctx.events = sb_events_new ();
  ctx.faults = sb_faults_new ();
  if (!sb_faults_load_keyfile (ctx.faults, ctx.users, &error))
    {
      g_printerr ("smart-sandbox: %s/sandbox.ini: %s\n", ctx.data_dir, error->message);
      goto out;
    }
  sb_events_register (ctx.events, server);
  sb_faults_register (ctx.faults, server);
  if (ctx.external_issuer == NULL)
    {
      ctx.idp = sb_idp_new (&ctx);
      sb_idp_register (ctx.idp, server);
    }

  /* With a third-party issuer the validator's claim mapping is "generic"
   * unless --flavor says which kind of IdP it is. */
  if (ctx.external_issuer != NULL && opt_flavor != NULL)
    g_setenv ("SMART_SANDBOX_EXTERNAL_IDP", opt_flavor, TRUE);
  if (validator != NULL)
    {
      lambda = sb_lambda_new (&ctx, validator, opt_concurrency, &error);
      if (lambda == NULL)
        {
          g_printerr ("smart-sandbox: %s\n", error->message);
          goto out;
        }
    }
  fhir = sb_fhir_new (&ctx, lambda, opt_in_process);
  sb_fhir_register (fhir, server);
  if (ctx.external_issuer != NULL)
    {
      g_autoptr(JsonObject) disc = fetch_discovery (ctx.external_issuer);

      sb_fhir_set_external_configuration (fhir, disc);
    }

  /* Cold starts happen before we say "ready", so that the first request
   * of a test does not pay for them. */
  if (lambda != NULL && !sb_lambda_wait_ready (lambda, LAMBDA_READY_TIMEOUT_MS))
    g_warning ("the token-validator workers are not ready yet (see %s/lambda-*.log)", ctx.data_dir);

  printf ("smart-sandbox ready fhir=%s issuer=%s client_id=%s\n",
          ctx.fhir_base, ctx.issuer,
          ctx.external_issuer && ctx.external_client_id ? ctx.external_client_id : ctx.public_client_id);
  fflush (stdout);
  print_table (&ctx, validator, lambda ? sb_lambda_runtime_api (lambda) : NULL);

  loop = g_main_loop_new (NULL, FALSE);
  sigint = g_unix_signal_add (SIGINT, on_signal, loop);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, loop);
  g_main_loop_run (loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_printerr ("smart-sandbox: stopping\n");
  status = 0;

out:
  /* Order: stop the workers (they answer pending requests), then the
   * server, then the state the handlers use. */
  g_clear_pointer (&lambda, sb_lambda_free);
  if (server != NULL)
    soup_server_disconnect (server);
  g_clear_pointer (&fhir, sb_fhir_free);
  g_clear_pointer (&ctx.idp, sb_idp_free);
  g_clear_pointer (&ctx.events, sb_events_free);
  g_clear_pointer (&ctx.faults, sb_faults_free);
  g_clear_pointer (&ctx.keys, sb_keys_free);
  g_clear_pointer (&ctx.store, sb_store_free);
  sb_context_clear (&ctx);
  g_clear_pointer (&opt_host, g_free);
  g_clear_pointer (&opt_flavor, g_free);
  g_clear_pointer (&opt_data_dir, g_free);
  g_clear_pointer (&opt_imports, g_strfreev);
  g_clear_pointer (&opt_validator, g_free);
  g_clear_pointer (&opt_external_issuer, g_free);
  g_clear_pointer (&opt_external_client_id, g_free);
  return status;
}
