/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "smart-viewer-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>

#include "sv-cli.h"
#include "sv-redact.h"

/* smart-viewer-cli shares src/core with the app and never links GTK, so it
 * runs on servers and in scripts with no display. */

typedef struct
{
  const char *name;
  const char *summary;
  int (*run) (int argc, char **argv);
} SvCliCommand;

/* The table keeps the dispatch in one place. */
static const SvCliCommand commands[] = {
  { "profiles", N_("List, show, add or remove server profiles"), sv_cli_profiles },
  { "login", N_("Sign in to a server through the system browser"), sv_cli_login },
  { "status", N_("Show who is signed in, the scopes, the patient and the expiry"), sv_cli_status },
  { "claims", N_("Show the claims of the access and ID tokens"), sv_cli_claims },
  { "logout", N_("Sign out and forget the sign-in"), sv_cli_logout },
  { "get", N_("Read a resource from the FHIR server, such as Patient/ID"), sv_cli_get },
  { "summary", N_("Print a patient’s problems and medications (text or JSON)"), sv_cli_summary },
  { NULL, NULL, NULL },
};

/**
 * sv_cli_fail:
 * @error: what went wrong
 *
 * Prints @error on stderr the same way for every command.
 *
 * Returns: the exit code for a failure
 */
int
sv_cli_fail (const GError *error)
{
  g_printerr ("smart-viewer-cli: %s\n", error ? error->message : _("failed"));
  return SV_CLI_EXIT_FAILURE;
}

/**
 * sv_cli_store_result:
 * @source: the source object
 * @result: the result
 * @user_data: a `GAsyncResult **` slot
 *
 * A GAsyncReadyCallback that keeps the result for sv_cli_wait().
 */
void
sv_cli_store_result (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/**
 * sv_cli_wait:
 * @slot: where sv_cli_store_result() puts the result
 *
 * A command line tool does one thing at a time: it runs the main loop until
 * the asynchronous call it started has finished.
 *
 * Returns: (transfer none): the result, still owned by @slot
 */
GAsyncResult *
sv_cli_wait (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

/**
 * sv_cli_parse:
 * @context: a command's options
 * @argc: (inout): the arguments count
 * @argv: (inout): the arguments
 * @exit_code: (out): the exit code when this returns %FALSE
 *
 * Returns: %TRUE when the command should run
 */
gboolean
sv_cli_parse (GOptionContext   *context,
              int              *argc,
              char           ***argv,
              int              *exit_code)
{
  g_autoptr(GError) error = NULL;

  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_printerr ("smart-viewer-cli: %s\n", error->message);
      *exit_code = SV_CLI_EXIT_USAGE;
      return FALSE;
    }

  *exit_code = 0;
  return TRUE;
}

static char *
sv_cli_describe_commands (void)
{
  GString *text = g_string_new (NULL);

  g_string_append (text, _("Commands:"));
  for (guint i = 0; commands[i].name != NULL; i++)
    g_string_append_printf (text, "\n  %-12s %s", commands[i].name, _(commands[i].summary));

  return g_string_free (text, FALSE);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *description = NULL;
  gboolean version = FALSE;
  const GOptionEntry entries[] = {
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Show the version and exit"), NULL },
    { NULL }
  };

  /* Every log line goes through the redaction first: no token, code or
   * secret ever reaches a terminal or the journal. */
  sv_redact_install_log_writer ();
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (_("[COMMAND [OPTION…]]"));
  g_option_context_set_summary (context, _("Sign in to SMART on FHIR servers and read patient records from the command line."));
  description = sv_cli_describe_commands ();
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  /* Options after the command belong to the command. */
  g_option_context_set_strict_posix (context, TRUE);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("smart-viewer-cli: %s\n", error->message);
      g_printerr (_("Run “%s --help” to see the options.\n"), "smart-viewer-cli");
      return 2;
    }

  if (version)
    {
      g_print ("%s %s\n", "smart-viewer-cli", PACKAGE_VERSION);
      return 0;
    }

  if (argc < 2)
    {
      g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

      g_printerr ("%s", help);
      return 2;
    }

  for (guint i = 0; commands[i].name != NULL; i++)
    {
      if (g_strcmp0 (argv[1], commands[i].name) == 0)
        return commands[i].run (argc - 1, argv + 1);
    }

  g_printerr (_("smart-viewer-cli: unknown command “%s”. Run “%s --help” to see the commands.\n"),
              argv[1], "smart-viewer-cli");
  return 2;
}
