/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "smart-viewer-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>

/* smart-viewer-cli shares src/core with the app and never links GTK, so it
 * runs on servers and in scripts with no display. */

typedef struct
{
  const char *name;
  const char *summary;
  int (*run) (int argc, char **argv);
} SvCliCommand;

/* Commands arrive with sign-in and the patient view; the table keeps the
 * dispatch in one place. */
static const SvCliCommand commands[] = {
  { NULL, NULL, NULL },
};

static char *
sv_cli_describe_commands (void)
{
  GString *text = g_string_new (NULL);

  if (commands[0].name == NULL)
    {
      g_string_append (text, _("This version has no commands yet: sign-in and patient summaries arrive in the next version."));
      return g_string_free (text, FALSE);
    }

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
