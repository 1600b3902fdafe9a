/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "sv-sandbox-events.h"
#include "sv-timeline.h"

G_BEGIN_DECLS

/* Exit codes: 1 for a failure the user can act on, 2 for a usage error. */
#define SV_CLI_EXIT_FAILURE 1
#define SV_CLI_EXIT_USAGE 2

int           sv_cli_profiles          (int            argc,
                                        char         **argv);
int           sv_cli_login             (int            argc,
                                        char         **argv);
int           sv_cli_status            (int            argc,
                                        char         **argv);
int           sv_cli_claims            (int            argc,
                                        char         **argv);
int           sv_cli_logout            (int            argc,
                                        char         **argv);
int           sv_cli_get               (int            argc,
                                        char         **argv);
int           sv_cli_summary           (int            argc,
                                        char         **argv);

int           sv_cli_fail              (const GError  *error);
GAsyncResult *sv_cli_wait              (GAsyncResult **slot);
void          sv_cli_store_result      (GObject       *source,
                                        GAsyncResult  *result,
                                        gpointer       user_data);
gboolean      sv_cli_parse             (GOptionContext *context,
                                        int           *argc,
                                        char        ***argv,
                                        int           *exit_code);

/* sv-cli-timeline.c: --verbose */
SvSandboxEvents *sv_cli_timeline_join_sandbox (SvTimeline      *timeline,
                                               const char      *fhir_base);
void          sv_cli_timeline_add_restored (SvTimeline      *timeline);
void          sv_cli_timeline_print    (SvTimeline      *timeline,
                                        SvSandboxEvents *events,
                                        const char      *fhir_base);

G_END_DECLS
