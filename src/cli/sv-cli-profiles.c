/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "smart-viewer-cli"

#include "config.h"

#include <gio/gunixinputstream.h>
#include <glib/gi18n.h>
#include <string.h>

#include "sv-cli.h"
#include "sv-error.h"
#include "sv-profile-store.h"
#include "sv-token-store.h"

/* `profiles list|show|add|remove`: the same key file the app uses. */

static void
print_field (const char *label,
             const char *value)
{
  if (value != NULL)
    g_print ("  %-24s %s\n", label, value);
}

static int
profiles_list (SvProfileStore *store)
{
  g_autoptr(GPtrArray) profiles = sv_profile_store_list (store);
  const char *last_used = sv_profile_store_get_last_used (store);

  if (profiles->len == 0)
    {
      g_print ("%s\n", _("No server profiles yet. Add one with “smart-viewer-cli profiles add NAME --fhir URL --client-id ID”."));
      return 0;
    }

  for (guint i = 0; i < profiles->len; i++)
    {
      SvServerProfile *profile = g_ptr_array_index (profiles, i);
      const char *name = sv_server_profile_get_name (profile);

      g_print ("%s %s\t%s\n", g_strcmp0 (name, last_used) == 0 ? "*" : " ",
               name, sv_server_profile_get_fhir_base_url (profile));
    }

  return 0;
}

static int
profiles_show (SvProfileStore *store,
               const char     *name)
{
  g_autoptr(GError) error = NULL;
  SvServerProfile *profile = sv_profile_store_choose (store, name, &error);

  if (profile == NULL)
    return sv_cli_fail (error);

  g_print ("%s\n", sv_server_profile_get_name (profile));
  print_field (_("FHIR server:"), sv_server_profile_get_fhir_base_url (profile));
  print_field (_("Client ID:"), sv_server_profile_get_client_id (profile));
  print_field (_("Identity provider:"), sv_idp_kind_to_string (sv_server_profile_get_idp_kind (profile)));
  print_field (_("Patient claim:"), sv_server_profile_get_patient_claim (profile));
  print_field (_("Redirect:"), sv_redirect_mode_to_string (sv_server_profile_get_redirect_mode (profile)));
  print_field (_("Scopes:"), sv_server_profile_get_scopes (profile)
               ? sv_server_profile_get_scopes (profile) : _("(chosen from the server’s capabilities)"));
  print_field (_("Issuer:"), sv_server_profile_get_issuer (profile));
  print_field (_("Authorization endpoint:"), sv_server_profile_get_authorization_endpoint (profile));
  print_field (_("Token endpoint:"), sv_server_profile_get_token_endpoint (profile));
  print_field (_("Revocation endpoint:"), sv_server_profile_get_revocation_endpoint (profile));
  print_field (_("Key set:"), sv_server_profile_get_jwks_uri (profile));

  return 0;
}

static void
on_storage_unavailable (SvTokenStore *store,
                        const char   *message,
                        gboolean     *unavailable)
{
  *unavailable = TRUE;
}

/* The secret is read from stdin, never from the command line, where other
 * users could see it in the process list. */
static gboolean
save_client_secret (const char  *profile,
                    GError     **error)
{
  g_autoptr(GInputStream) input = g_unix_input_stream_new (0, FALSE);
  g_autoptr(GDataInputStream) data = g_data_input_stream_new (input);
  g_autoptr(SvTokenStore) tokens = sv_token_store_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *secret = NULL;
  gboolean unavailable = FALSE;
  gboolean ok;

  secret = g_data_input_stream_read_line_utf8 (data, NULL, NULL, error);
  if (secret == NULL || *g_strstrip (secret) == '\0')
    {
      g_clear_error (error);
      g_set_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT,
                   _("No client secret was given on standard input. Pipe the secret into the command."));
      return FALSE;
    }

  g_signal_connect (tokens, "storage-unavailable", G_CALLBACK (on_storage_unavailable), &unavailable);
  sv_token_store_save_client_secret_async (tokens, profile, secret, NULL, sv_cli_store_result, &result);
  ok = sv_token_store_save_client_secret_finish (tokens, sv_cli_wait (&result), error);
  explicit_bzero (secret, strlen (secret));

  if (ok && unavailable)
    {
      /* Memory only would be gone when this command ends: say so. */
      g_set_error (error, SV_ERROR, SV_ERROR_NO_SECRET_STORAGE,
                   _("No keyring is available to keep the client secret, and it is never written to a file. Install and unlock a keyring (such as GNOME Keyring), then add the profile again."));
      return FALSE;
    }

  return ok;
}

static int
profiles_add (SvProfileStore *store,
              int             argc,
              char          **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("NAME"));
  g_autoptr(GError) error = NULL;
  g_autoptr(SvServerProfile) profile = NULL;
  g_autofree char *fhir = NULL;
  g_autofree char *client_id = NULL;
  g_autofree char *idp = NULL;
  g_autofree char *scope = NULL;
  g_autofree char *redirect = NULL;
  g_autofree char *patient_claim = NULL;
  g_autofree char *issuer = NULL;
  g_autofree char *authorize = NULL;
  g_autofree char *token = NULL;
  g_autofree char *revoke = NULL;
  g_autofree char *jwks = NULL;
  gboolean replace = FALSE;
  gboolean secret_stdin = FALSE;
  int exit_code;
  SvIdpKind kind = SV_IDP_GENERIC;
  SvRedirectMode mode = SV_REDIRECT_BROWSER;
  const GOptionEntry entries[] = {
    { "fhir", 0, 0, G_OPTION_ARG_STRING, &fhir, N_("FHIR base URL (required)"), N_("URL") },
    { "client-id", 0, 0, G_OPTION_ARG_STRING, &client_id, N_("Client ID at the identity provider (required)"), N_("ID") },
    { "idp", 0, 0, G_OPTION_ARG_STRING, &idp, N_("Identity provider kind: cognito, keycloak or generic"), N_("KIND") },
    { "scope", 0, 0, G_OPTION_ARG_STRING, &scope, N_("Scopes to ask for (default: chosen from the server)"), N_("SCOPES") },
    { "redirect", 0, 0, G_OPTION_ARG_STRING, &redirect, N_("Redirect mode: embedded, browser or scheme"), N_("MODE") },
    { "patient-claim", 0, 0, G_OPTION_ARG_STRING, &patient_claim, N_("Token claim holding the patient"), N_("NAME") },
    { "issuer", 0, 0, G_OPTION_ARG_STRING, &issuer, N_("Issuer of the identity provider"), N_("URL") },
    { "authorization-endpoint", 0, 0, G_OPTION_ARG_STRING, &authorize, N_("Authorization endpoint override"), N_("URL") },
    { "token-endpoint", 0, 0, G_OPTION_ARG_STRING, &token, N_("Token endpoint override"), N_("URL") },
    { "revocation-endpoint", 0, 0, G_OPTION_ARG_STRING, &revoke, N_("Revocation endpoint override"), N_("URL") },
    { "jwks-uri", 0, 0, G_OPTION_ARG_STRING, &jwks, N_("Key set address override"), N_("URL") },
    { "client-secret-stdin", 0, 0, G_OPTION_ARG_NONE, &secret_stdin, N_("Read a confidential client’s secret from standard input and keep it in the keyring"), NULL },
    { "replace", 0, 0, G_OPTION_ARG_NONE, &replace, N_("Replace a profile of the same name"), NULL },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, _("Add a server profile. The command line’s own sign-in uses the system browser."));
  if (!sv_cli_parse (context, &argc, &argv, &exit_code))
    return exit_code;

  if (argc != 2 || fhir == NULL || client_id == NULL)
    {
      g_printerr ("%s\n", _("smart-viewer-cli: “profiles add” needs a NAME, --fhir URL and --client-id ID."));
      return SV_CLI_EXIT_USAGE;
    }

  if (idp != NULL && !sv_idp_kind_from_string (idp, &kind))
    {
      g_printerr (_("smart-viewer-cli: unknown identity provider kind “%s”; use cognito, keycloak or generic.\n"), idp);
      return SV_CLI_EXIT_USAGE;
    }
  if (redirect != NULL && !sv_redirect_mode_from_string (redirect, &mode))
    {
      g_printerr (_("smart-viewer-cli: unknown redirect mode “%s”; use embedded, browser or scheme.\n"), redirect);
      return SV_CLI_EXIT_USAGE;
    }

  profile = sv_server_profile_new (argv[1]);
  sv_server_profile_set_idp_kind (profile, kind);
  sv_server_profile_set_redirect_mode (profile, mode);
  sv_server_profile_set_fhir_base_url (profile, fhir);
  sv_server_profile_set_client_id (profile, client_id);
  sv_server_profile_set_scopes (profile, scope);
  if (patient_claim != NULL)
    sv_server_profile_set_patient_claim (profile, patient_claim);
  sv_server_profile_set_issuer (profile, issuer);
  sv_server_profile_set_authorization_endpoint (profile, authorize);
  sv_server_profile_set_token_endpoint (profile, token);
  sv_server_profile_set_revocation_endpoint (profile, revoke);
  sv_server_profile_set_jwks_uri (profile, jwks);

  if (!sv_profile_store_add (store, profile, replace, &error))
    return sv_cli_fail (error);

  if (secret_stdin && !save_client_secret (argv[1], &error))
    return sv_cli_fail (error);

  if (!sv_profile_store_save (store, &error))
    return sv_cli_fail (error);

  g_print (_("Added the profile “%s”.\n"), argv[1]);
  return 0;
}

static void
on_session_deleted (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static int
profiles_remove (SvProfileStore *store,
                 const char     *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvTokenStore) tokens = sv_token_store_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) secret_result = NULL;

  if (!sv_profile_store_remove (store, name, &error) ||
      !sv_profile_store_save (store, &error))
    return sv_cli_fail (error);

  /* A removed profile must not leave its sign-in behind in the keyring. */
  sv_token_store_delete_async (tokens, name, NULL, on_session_deleted, &result);
  if (!sv_token_store_delete_finish (tokens, sv_cli_wait (&result), &error))
    g_debug ("Could not delete the kept session: %s", error->message);
  g_clear_error (&error);
  sv_token_store_delete_client_secret_async (tokens, name, NULL, on_session_deleted, &secret_result);
  if (!sv_token_store_delete_client_secret_finish (tokens, sv_cli_wait (&secret_result), &error))
    g_debug ("Could not delete the client secret: %s", error->message);

  g_print (_("Removed the profile “%s”.\n"), name);
  return 0;
}

/**
 * sv_cli_profiles:
 * @argc: arguments after the command name, counting it
 * @argv: the arguments
 *
 * Returns: the exit code
 */
int
sv_cli_profiles (int    argc,
                 char **argv)
{
  g_autoptr(SvProfileStore) store = sv_profile_store_new (NULL);
  g_autoptr(GError) error = NULL;
  const char *action = argc > 1 ? argv[1] : "list";

  if (!sv_profile_store_load (store, &error))
    return sv_cli_fail (error);

  if (g_strcmp0 (action, "list") == 0 && argc <= 2)
    return profiles_list (store);
  if (g_strcmp0 (action, "show") == 0 && argc <= 3)
    return profiles_show (store, argc == 3 ? argv[2] : NULL);
  if (g_strcmp0 (action, "add") == 0)
    return profiles_add (store, argc - 1, argv + 1);
  if (g_strcmp0 (action, "remove") == 0 && argc == 3)
    return profiles_remove (store, argv[2]);

  g_printerr ("%s\n", _("Usage: smart-viewer-cli profiles list | show [NAME] | add NAME --fhir URL --client-id ID [OPTION…] | remove NAME"));
  return SV_CLI_EXIT_USAGE;
}
