/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "smart-viewer"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "sv-application.h"
#include "sv-redact.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(SvApplication) app = NULL;

  /* Every log line goes through the redaction first: no token, code or
   * secret ever reaches a terminal or the journal. */
  sv_redact_install_log_writer ();
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_set_application_name (_("SMART Viewer"));
  sv_application_prepare_environment ();

  app = sv_application_new ();

  return g_application_run (G_APPLICATION (app), argc, argv);
}
