/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "smart-viewer-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "sv-cli.h"
#include "sv-discovery.h"
#include "sv-error.h"
#include "sv-http.h"
#include "sv-fhir-client.h"
#include "sv-loopback-redirect.h"
#include "sv-patient-record.h"
#include "sv-profile-store.h"
#include "sv-session.h"
#include "sv-session-bearer.h"
#include "sv-token-store.h"

/* login, status, claims and logout share this: the chosen profile, its
 * discovery and a session bound to the keyring. */
typedef struct
{
  SvProfileStore *profiles;
  SvServerProfile *profile;
  SoupSession *http;
  SvTokenStore *store;
  SvDiscovery *discovery;
  SvSession *session;
  /* --verbose only */
  SvTimeline *timeline;
  SvSandboxEvents *events;
} CliContext;

static void
cli_context_free (CliContext *ctx)
{
  /* At the end of the command, whichever way it ends: a failed command's
   * steps are the ones most worth seeing. */
  if (ctx->timeline != NULL)
    sv_cli_timeline_print (ctx->timeline, ctx->events,
                           ctx->profile != NULL ? sv_server_profile_get_fhir_base_url (ctx->profile) : NULL);
  g_clear_object (&ctx->events);
  g_clear_object (&ctx->timeline);
  g_clear_object (&ctx->session);
  g_clear_object (&ctx->discovery);
  g_clear_object (&ctx->store);
  g_clear_object (&ctx->http);
  g_clear_object (&ctx->profiles);
  g_free (ctx);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CliContext, cli_context_free)

static void
on_storage_unavailable (SvTokenStore *store,
                        const char   *message,
                        gpointer      user_data)
{
  /* The core's message speaks of the app; a command ends sooner. */
  g_printerr ("smart-viewer-cli: %s\n",
              _("No keyring is available, so a sign-in lasts only as long as this command and later commands will not find it. Install and unlock a keyring (such as GNOME Keyring)."));
}

/* With @verbose, the session timeline watches every request from the
 * discovery on, and is printed on stderr when the context is freed. */
static CliContext *
cli_context_new (const char  *profile_name,
                 gboolean     verbose,
                 GError     **error)
{
  g_autoptr(CliContext) ctx = g_new0 (CliContext, 1);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) secret_result = NULL;
  g_autofree char *secret = NULL;

  ctx->profiles = sv_profile_store_new (NULL);
  if (!sv_profile_store_load (ctx->profiles, error))
    return NULL;

  ctx->profile = sv_profile_store_choose (ctx->profiles, profile_name, error);
  if (ctx->profile == NULL)
    return NULL;

  ctx->http = sv_http_session_new ();
  if (verbose)
    {
      ctx->timeline = sv_timeline_new ();
      sv_timeline_set_endpoints (ctx->timeline, sv_server_profile_get_fhir_base_url (ctx->profile), NULL, NULL);
      sv_timeline_watch_soup_session (ctx->timeline, ctx->http);
      ctx->events = sv_cli_timeline_join_sandbox (ctx->timeline, sv_server_profile_get_fhir_base_url (ctx->profile));
    }
  ctx->store = sv_token_store_new ();
  g_signal_connect (ctx->store, "storage-unavailable", G_CALLBACK (on_storage_unavailable), NULL);

  /* The discovery and the keyring's answer are awaited together: neither
   * needs the other. A confidential client's secret lives in the keyring
   * only. Both are finished before either is looked at, so no callback
   * outlives this frame. */
  sv_discovery_fetch_async (ctx->profile, ctx->http, NULL, sv_cli_store_result, &result);
  sv_token_store_lookup_client_secret_async (ctx->store, sv_server_profile_get_name (ctx->profile),
                                             NULL, sv_cli_store_result, &secret_result);
  sv_cli_wait (&secret_result);
  ctx->discovery = sv_discovery_fetch_finish (sv_cli_wait (&result), error);
  if (ctx->discovery == NULL)
    return NULL;   /* the timeline is printed all the same */
  if (ctx->timeline != NULL)
    sv_timeline_set_endpoints (ctx->timeline, sv_server_profile_get_fhir_base_url (ctx->profile),
                               sv_discovery_get_token_endpoint (ctx->discovery),
                               sv_discovery_get_revocation_endpoint (ctx->discovery));
  if (ctx->timeline != NULL)
    sv_timeline_set_jwks_uri (ctx->timeline, sv_discovery_get_jwks_uri (ctx->discovery));

  secret = sv_token_store_lookup_client_secret_finish (ctx->store, secret_result, error);
  if (secret == NULL && error != NULL && *error != NULL)
    return NULL;

  ctx->session = sv_session_new (ctx->profile, ctx->discovery, ctx->http, ctx->store, secret);
  if (secret != NULL)
    explicit_bzero (secret, strlen (secret));
  /* This process ends right after the command: no background refresh. */
  sv_session_set_auto_refresh (ctx->session, FALSE);

  return g_steal_pointer (&ctx);
}

/* Restores the kept session and gets a current access token (refreshing
 * it), so that what is shown is what the server says now. */
static gboolean
cli_context_restore (CliContext  *ctx,
                     char       **access_token,
                     GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) token_result = NULL;
  char *token;

  sv_session_restore_async (ctx->session, NULL, sv_cli_store_result, &result);
  if (!sv_session_restore_finish (ctx->session, sv_cli_wait (&result), error))
    return FALSE;
  if (ctx->timeline != NULL)
    sv_cli_timeline_add_restored (ctx->timeline);

  sv_session_get_access_token_async (ctx->session, NULL, sv_cli_store_result, &token_result);
  token = sv_session_get_access_token_finish (ctx->session, sv_cli_wait (&token_result), error);
  if (token == NULL)
    return FALSE;

  if (access_token != NULL)
    *access_token = token;
  else
    {
      explicit_bzero (token, strlen (token));
      g_free (token);
    }

  return TRUE;
}

static void
print_session (CliContext *ctx)
{
  SvSession *session = ctx->session;
  g_autoptr(GDateTime) expiry = g_date_time_new_from_unix_local (sv_session_get_expires_at (session));
  g_autofree char *expiry_text = expiry ? g_date_time_format (expiry, "%Y-%m-%d %H:%M:%S %Z") : NULL;
  g_auto(GStrv) missing = sv_session_dup_missing_scopes (session);
  const char *patient = sv_session_get_patient (session);

  g_print (_("Signed in to “%s”\n"), sv_server_profile_get_name (ctx->profile));
  g_print ("  %-16s %s\n", _("User:"),
           sv_session_get_fhir_user (session) ? sv_session_get_fhir_user (session) : _("(not told by the server)"));
  if (patient != NULL)
    g_print ("  %-16s %s (%s)\n", _("Patient:"), patient,
             sv_patient_source_describe (sv_session_get_patient_source (session)));
  else
    g_print ("  %-16s %s\n", _("Patient:"), sv_patient_source_describe (SV_PATIENT_SOURCE_NONE));
  g_print ("  %-16s %s\n", _("Granted scopes:"),
           sv_session_get_granted_scope (session) ? sv_session_get_granted_scope (session) : "");
  if (missing != NULL && missing[0] != NULL)
    {
      g_autofree char *joined = g_strjoinv (" ", missing);

      g_print ("  %-16s %s\n", _("Not granted:"), joined);
    }
  g_print ("  %-16s %s\n", _("Token expires:"), expiry_text ? expiry_text : "?");
}

/* The tokens step of the timeline. The token response's values are the
 * session's alone: asking it for the access token could refresh it, and
 * the text shows the step, not the claims (`claims` does). */
static void
add_tokens (CliContext *ctx)
{
  sv_timeline_add_tokens (ctx->timeline, NULL, NULL);
  sv_timeline_reveal_verifier_after_exchange (ctx->timeline);
}

static gboolean
on_redirect_timeout (gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
  return G_SOURCE_REMOVE;
}

/**
 * sv_cli_login:
 * @argc: arguments after the command name, counting it
 * @argv: the arguments
 *
 * Signs in through the system browser and a loopback listener.
 *
 * Returns: the exit code
 */
int
sv_cli_login (int    argc,
              char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CliContext) ctx = NULL;
  g_autoptr(SvLoopbackRedirect) listener = NULL;
  g_autoptr(SvAuthorizationRequest) request = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) wait_result = NULL;
  g_autoptr(GAsyncResult) sign_in_result = NULL;
  g_autofree char *profile_name = NULL;
  g_autofree char *redirect_uri = NULL;
  g_autofree char *url = NULL;
  g_autofree char *redirect = NULL;
  gboolean no_browser = FALSE;
  int port = 0;
  int timeout = 600;
  gboolean verbose = FALSE;
  int exit_code;
  guint timeout_id;
  const GOptionEntry entries[] = {
    { "profile", 0, 0, G_OPTION_ARG_STRING, &profile_name, N_("Server profile (default: the only or last used one)"), N_("NAME") },
    { "no-browser", 0, 0, G_OPTION_ARG_NONE, &no_browser, N_("Only print the sign-in address, do not open a browser"), NULL },
    { "redirect-port", 0, 0, G_OPTION_ARG_INT, &port, N_("Port of the loopback redirect (default: any free port)"), N_("PORT") },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, N_("Seconds to wait for the browser (default: 600)"), N_("SECONDS") },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, N_("Print the session timeline on stderr (tokens, codes and secrets redacted)"), NULL },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, _("Sign in through the system browser."));
  if (!sv_cli_parse (context, &argc, &argv, &exit_code))
    return exit_code;

  if (argc != 1 || port < 0 || port > 65535 || timeout <= 0)
    {
      g_printerr ("%s\n", _("smart-viewer-cli: usage: login [--profile NAME] [--no-browser] [--redirect-port N] [--verbose]"));
      return SV_CLI_EXIT_USAGE;
    }

  ctx = cli_context_new (profile_name, verbose, &error);
  if (ctx == NULL)
    return sv_cli_fail (error);

  listener = sv_loopback_redirect_new ((guint) port, &error);
  if (listener == NULL)
    return sv_cli_fail (error);

  redirect_uri = sv_loopback_redirect_dup_redirect_uri (listener);
  request = sv_session_new_authorization_request (ctx->session, redirect_uri, &error);
  if (request == NULL)
    return sv_cli_fail (error);

  url = sv_authorization_request_dup_url (request);
  if (ctx->timeline != NULL)
    sv_timeline_add_authorization_request (ctx->timeline, request);
  g_print (_("Open this URL to sign in: %s\n"), url);

  if (!no_browser)
    {
      g_autoptr(GError) browser_error = NULL;

      if (!g_app_info_launch_default_for_uri (url, NULL, &browser_error))
        g_printerr (_("smart-viewer-cli: no browser could be opened (%s); open the address above yourself.\n"),
                    browser_error->message);
    }

  timeout_id = g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, (guint) timeout,
                                           on_redirect_timeout,
                                           g_object_ref (cancellable), g_object_unref);
  sv_loopback_redirect_wait_async (listener, cancellable, sv_cli_store_result, &wait_result);
  redirect = sv_loopback_redirect_wait_finish (listener, sv_cli_wait (&wait_result), &error);
  if (!g_cancellable_is_cancelled (cancellable))
    g_source_remove (timeout_id);
  if (redirect == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_printerr ("%s\n", _("smart-viewer-cli: the browser did not come back in time. Run login again."));
          return SV_CLI_EXIT_FAILURE;
        }
      return sv_cli_fail (error);
    }

  if (ctx->timeline != NULL)
    sv_timeline_add_redirect (ctx->timeline, redirect);
  sv_session_sign_in_async (ctx->session, request, redirect, NULL, sv_cli_store_result, &sign_in_result);
  explicit_bzero (redirect, strlen (redirect));
  if (!sv_session_sign_in_finish (ctx->session, sv_cli_wait (&sign_in_result), &error))
    return sv_cli_fail (error);
  if (ctx->timeline != NULL)
    add_tokens (ctx);

  sv_profile_store_set_last_used (ctx->profiles, sv_server_profile_get_name (ctx->profile));
  if (!sv_profile_store_save (ctx->profiles, &error))
    g_printerr ("smart-viewer-cli: %s\n", error->message);
  g_clear_error (&error);

  print_session (ctx);
  return 0;
}

static int
parse_profile_only (int         argc,
                    char      **argv,
                    const char *summary,
                    char      **profile_name,
                    gboolean   *ok)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  int exit_code = 0;
  const GOptionEntry entries[] = {
    { "profile", 0, 0, G_OPTION_ARG_STRING, profile_name, N_("Server profile (default: the only or last used one)"), N_("NAME") },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, summary);
  *ok = sv_cli_parse (context, &argc, &argv, &exit_code);
  if (*ok && argc != 1)
    {
      g_printerr (_("smart-viewer-cli: unexpected argument “%s”.\n"), argv[1]);
      *ok = FALSE;
      exit_code = SV_CLI_EXIT_USAGE;
    }
  return exit_code;
}

/**
 * sv_cli_status:
 * @argc: arguments after the command name, counting it
 * @argv: the arguments
 *
 * Returns: the exit code
 */
int
sv_cli_status (int    argc,
               char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CliContext) ctx = NULL;
  g_autofree char *profile_name = NULL;
  gboolean ok;
  int exit_code = parse_profile_only (argc, argv, _("Show who is signed in, the granted scopes, the patient and the expiry."),
                                      &profile_name, &ok);

  if (!ok)
    return exit_code;

  ctx = cli_context_new (profile_name, FALSE, &error);
  if (ctx == NULL || !cli_context_restore (ctx, NULL, &error))
    return sv_cli_fail (error);

  print_session (ctx);
  return 0;
}

static void
print_claims (const char *title,
              JsonObject *claims)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *text = NULL;

  json_node_set_object (node, claims);
  text = json_to_string (node, TRUE);
  g_print ("%s\n%s\n", title, text);
}

/**
 * sv_cli_claims:
 * @argc: arguments after the command name, counting it
 * @argv: the arguments
 *
 * Shows the claims of the access and ID tokens, never the tokens or their
 * signatures.
 *
 * Returns: the exit code
 */
int
sv_cli_claims (int    argc,
               char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CliContext) ctx = NULL;
  g_autoptr(JsonObject) access_claims = NULL;
  g_autofree char *profile_name = NULL;
  JsonObject *id_claims;
  gboolean ok;
  int exit_code = parse_profile_only (argc, argv, _("Show the claims of the access and ID tokens."),
                                      &profile_name, &ok);

  if (!ok)
    return exit_code;

  ctx = cli_context_new (profile_name, FALSE, &error);
  if (ctx == NULL || !cli_context_restore (ctx, NULL, &error))
    return sv_cli_fail (error);

  access_claims = sv_session_dup_access_claims (ctx->session);
  if (access_claims != NULL)
    print_claims (_("Access token claims:"), access_claims);
  else
    g_print ("%s\n", _("Access token claims: none (the server issues opaque access tokens)"));

  id_claims = sv_session_get_id_claims (ctx->session);
  if (id_claims != NULL)
    print_claims (_("ID token claims (verified):"), id_claims);
  else
    g_print ("%s\n", _("ID token claims: none"));

  return 0;
}

/**
 * sv_cli_logout:
 * @argc: arguments after the command name, counting it
 * @argv: the arguments
 *
 * Returns: the exit code
 */
int
sv_cli_logout (int    argc,
               char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CliContext) ctx = NULL;
  g_autoptr(GAsyncResult) restore_result = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *profile_name = NULL;
  gboolean ok;
  int exit_code = parse_profile_only (argc, argv, _("Sign out: revoke the sign-in and forget it."),
                                      &profile_name, &ok);

  if (!ok)
    return exit_code;

  ctx = cli_context_new (profile_name, FALSE, &error);
  if (ctx == NULL)
    return sv_cli_fail (error);

  /* Without a kept session there is nothing to revoke, but deleting is
   * still right (the item may be from an older version). */
  sv_session_restore_async (ctx->session, NULL, sv_cli_store_result, &restore_result);
  if (!sv_session_restore_finish (ctx->session, sv_cli_wait (&restore_result), &error))
    {
      if (!g_error_matches (error, SV_ERROR, SV_ERROR_NOT_SIGNED_IN))
        return sv_cli_fail (error);
      g_clear_error (&error);
    }

  sv_session_sign_out_async (ctx->session, NULL, sv_cli_store_result, &result);
  if (!sv_session_sign_out_finish (ctx->session, sv_cli_wait (&result), &error))
    return sv_cli_fail (error);

  g_print (_("Signed out of “%s”.\n"), sv_server_profile_get_name (ctx->profile));
  return 0;
}

/* The `diagnostics` of an OperationOutcome, for a readable failure. */
static char *
describe_outcome (GBytes *body)
{
  g_autoptr(JsonObject) outcome = sv_json_parse_object (body, NULL, NULL);
  JsonNode *issues = outcome ? json_object_get_member (outcome, "issue") : NULL;
  JsonArray *array;

  if (g_strcmp0 (sv_json_get_string (outcome, "resourceType"), "OperationOutcome") != 0 ||
      issues == NULL || !JSON_NODE_HOLDS_ARRAY (issues))
    return NULL;

  array = json_node_get_array (issues);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *issue = json_array_get_element (array, i);
      const char *text;

      if (!JSON_NODE_HOLDS_OBJECT (issue))
        continue;
      text = sv_json_get_string (json_node_get_object (issue), "diagnostics");
      if (text != NULL)
        return g_strdup (text);
    }

  return NULL;
}

/**
 * sv_cli_get:
 * @argc: arguments after the command name, counting it
 * @argv: the arguments
 *
 * Reads one resource (or search) from the FHIR server with the kept sign-in
 * and prints it.
 *
 * Returns: the exit code
 */
int
sv_cli_get (int    argc,
            char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("PATH"));
  g_autoptr(GError) error = NULL;
  g_autoptr(CliContext) ctx = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *profile_name = NULL;
  guint status = 0;
  int exit_code;
  const GOptionEntry entries[] = {
    { "profile", 0, 0, G_OPTION_ARG_STRING, &profile_name, N_("Server profile (default: the only or last used one)"), N_("NAME") },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, _("Read a resource from the FHIR server, such as Patient/ID, and print its JSON."));
  if (!sv_cli_parse (context, &argc, &argv, &exit_code))
    return exit_code;

  if (argc != 2)
    {
      g_printerr ("%s\n", _("smart-viewer-cli: usage: get [--profile NAME] PATH"));
      return SV_CLI_EXIT_USAGE;
    }

  ctx = cli_context_new (profile_name, FALSE, &error);
  if (ctx == NULL || !cli_context_restore (ctx, NULL, &error))
    return sv_cli_fail (error);

  sv_session_fetch_async (ctx->session, argv[1], NULL, sv_cli_store_result, &result);
  body = sv_session_fetch_finish (ctx->session, sv_cli_wait (&result), &status, &error);
  if (body == NULL)
    return sv_cli_fail (error);

  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_autofree char *diagnostics = describe_outcome (body);

      if (diagnostics != NULL)
        g_printerr (_("smart-viewer-cli: the FHIR server answered HTTP %u: %s\n"), status, diagnostics);
      else
        g_printerr (_("smart-viewer-cli: the FHIR server answered HTTP %u.\n"), status);
      return SV_CLI_EXIT_FAILURE;
    }

  fwrite (g_bytes_get_data (body, NULL), 1, g_bytes_get_size (body), stdout);
  g_print ("\n");
  return 0;
}

static SvPatientRecord *kept_record;

/**
 * sv_cli_summary:
 * @argc: arguments after the command name, counting it
 * @argv: the arguments
 *
 * Prints one patient's record from the same model the app shows: the
 * patient of the sign-in (or --patient), as text or as the JSON described
 * in docs/summary-json.md.
 *
 * Returns: the exit code
 */
int
sv_cli_summary (int    argc,
                char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CliContext) ctx = NULL;
  g_autoptr(SvSessionBearer) bearer = NULL;
  g_autoptr(SvFhirClient) client = NULL;
  g_autoptr(SvPatientRecord) record = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *profile_name = NULL;
  g_autofree char *patient_id = NULL;
  g_autofree char *format = NULL;
  g_autofree char *output = NULL;
  const char *patient;
  gboolean json;
  gboolean verbose = FALSE;
  int exit_code = 0;
  const GOptionEntry entries[] = {
    { "profile", 0, 0, G_OPTION_ARG_STRING, &profile_name, N_("Server profile (default: the only or last used one)"), N_("NAME") },
    { "patient", 0, 0, G_OPTION_ARG_STRING, &patient_id, N_("Patient id (default: the patient chosen at sign-in)"), N_("ID") },
    { "format", 0, 0, G_OPTION_ARG_STRING, &format, N_("Output format: text (default) or json"), N_("FORMAT") },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, N_("Print the session timeline on stderr (tokens, codes and secrets redacted)"), NULL },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, _("Print a patient’s problems and medications."));
  if (!sv_cli_parse (context, &argc, &argv, &exit_code))
    return exit_code;
  if (argc != 1)
    {
      g_printerr (_("smart-viewer-cli: unexpected argument “%s”.\n"), argv[1]);
      return SV_CLI_EXIT_USAGE;
    }
  if (format != NULL && !g_str_equal (format, "text") && !g_str_equal (format, "json"))
    {
      g_printerr (_("smart-viewer-cli: unknown format “%s”: use text or json.\n"), format);
      return SV_CLI_EXIT_USAGE;
    }
  json = g_strcmp0 (format, "json") == 0;

  ctx = cli_context_new (profile_name, verbose, &error);
  if (ctx == NULL || !cli_context_restore (ctx, NULL, &error))
    return sv_cli_fail (error);

  patient = patient_id != NULL ? patient_id : sv_session_get_patient (ctx->session);
  if (patient == NULL)
    {
      g_printerr ("%s\n", _("smart-viewer-cli: the sign-in chose no patient: name one with --patient ID."));
      return SV_CLI_EXIT_USAGE;
    }

  bearer = sv_session_bearer_new (ctx->session);
  client = sv_fhir_client_new (sv_server_profile_get_fhir_base_url (ctx->profile), SV_BEARER_SOURCE (bearer),
                               ctx->http, &error);
  if (client == NULL)
    return sv_cli_fail (error);

  record = sv_patient_record_new ();
  sv_patient_record_load_async (record, client, patient, sv_session_get_granted_scope (ctx->session),
                                NULL, sv_cli_store_result, &result);
  if (!sv_patient_record_load_finish (record, sv_cli_wait (&result), &error))
    return sv_cli_fail (error);

  output = json ? sv_patient_record_to_json (record) : sv_patient_record_to_text (record);
  /* Megabytes for a large record: written as they are, not copied by
   * g_print()'s formatting, unless the terminal wants another charset. */
  if (json && g_get_charset (NULL))
    {
      fputs (output, stdout);
      fputc ('\n', stdout);
    }
  else
    g_print ("%s\n", output);

  /* Freeing a record of thousands of rows takes longer than printing it,
   * and the process ends now: it is kept, reachable, for the exit to drop. */
  kept_record = g_steal_pointer (&record);

  return 0;
}
