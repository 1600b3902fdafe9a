/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tv-config.h"
#include "tv-handler.h"
#include "tv-http.h"
#include "tv-runtime.h"
#include "tv-util.h"
#include "tv-validator.h"

#define EXIT_USAGE 2

static void
usage (FILE *out)
{
  fprintf (out,
           "Usage: token-validator [--event FILE|-] [--check-config] [--help] [--version]\n"
           "\n"
           "AWS HealthLake SMART token validator (Lambda custom runtime).\n"
           "With AWS_LAMBDA_RUNTIME_API set and no option, runs the Lambda runtime loop.\n"
           "\n"
           "  --event FILE   handle one HealthLake event from FILE ('-' = stdin) and\n"
           "                 print the response JSON\n"
           "  --check-config print the effective configuration and fetch the JWKS\n"
           "  --help         show this help\n"
           "  --version      show the version\n"
           "\n"
           "Configuration (environment variables):\n");
  for (size_t i = 0; tv_config_env_names[i]; i++)
    fprintf (out, "  %s\n", tv_config_env_names[i]);
  fprintf (out,
           "\nExit status: 0 when a response (allow or deny) was printed or the\n"
           "configuration is valid, 1 when the JWKS cannot be fetched (--check-config),\n"
           "2 on usage or configuration errors.\n");
}

static int
run_event (const char *path)
{
  TvConfig cfg;
  TvValidator v;
  TvDecision d;
  TvResult result;
  char err[512];
  char *event, *response = NULL;
  size_t len;
  int64_t start;

  if (!tv_config_load (&cfg, err, sizeof err))
    {
      fprintf (stderr, "token-validator: configuration error: %s\n", err);
      tv_config_clear (&cfg);
      return EXIT_USAGE;
    }
  event = tv_read_file (path, TV_MAX_EVENT_BYTES + 1, &len, err, sizeof err);
  if (event == NULL)
    {
      fprintf (stderr, "token-validator: %s\n", err);
      tv_config_clear (&cfg);
      return EXIT_USAGE;
    }
  /* A JWKS failure is not fatal here: the token check retries and denies,
   * which is what the caller wants to see. */
  if (!tv_validator_init (&v, &cfg, true, 5000, err, sizeof err))
    {
      if (v.secret_failed)
        {
          fprintf (stderr, "token-validator: configuration error: %s\n", err);
          free (event);
          tv_validator_clear (&v);
          tv_config_clear (&cfg);
          return EXIT_USAGE;
        }
      tv_log ("warn", "cannot fetch the JWKS: %s", err);
    }

  start = tv_now_mono_us ();
  result = tv_handle_event (&v, event, len, 5000, &response, &d);
  tv_log_invocation ("local", result, &d, tv_now_mono_us () - start);
  if (response)
    printf ("%s\n", response);

  free (response);
  free (event);
  tv_decision_clear (&d);
  tv_validator_clear (&v);
  tv_config_clear (&cfg);
  return response ? 0 : 1;
}

static int
run_check_config (void)
{
  TvConfig cfg;
  TvValidator v;
  char err[512];
  char *json;
  int status;

  if (!tv_config_load (&cfg, err, sizeof err))
    {
      fprintf (stderr, "token-validator: configuration error: %s\n", err);
      tv_config_clear (&cfg);
      return EXIT_USAGE;
    }
  json = tv_config_to_json (&cfg);
  printf ("%s\n", json ? json : "{}");
  free (json);

  if (tv_validator_init (&v, &cfg, true, 5000, err, sizeof err))
    {
      printf ("JWKS: %s: %zu usable keys:", v.jwks.uri, v.jwks.n_keys);
      for (size_t i = 0; i < v.jwks.n_keys; i++)
        printf (" %s", v.jwks.keys[i].kid ? v.jwks.keys[i].kid : "(no kid)");
      printf ("\n");
      status = 0;
    }
  else
    {
      printf ("%s: %s\n", v.secret_failed ? "Secret" : "JWKS: cannot be fetched", err);
      status = 1;
    }
  tv_validator_clear (&v);
  tv_config_clear (&cfg);
  return status;
}

int
main (int argc, char **argv)
{
  static const struct option options[] = {
    { "event", required_argument, NULL, 'e' },
    { "check-config", no_argument, NULL, 'c' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
  };
  const char *event = NULL, *api;
  bool check = false;
  int opt, status;

  while ((opt = getopt_long (argc, argv, "", options, NULL)) != -1)
    {
      switch (opt)
        {
        case 'e':
          event = optarg;
          break;
        case 'c':
          check = true;
          break;
        case 'h':
          usage (stdout);
          return 0;
        case 'V':
          printf ("%s %s\n", TV_PACKAGE_NAME, TV_VERSION);
          return 0;
        default:
          usage (stderr);
          return EXIT_USAGE;
        }
    }
  if (optind < argc || (event && check))
    {
      usage (stderr);
      return EXIT_USAGE;
    }

  /* A reader of our stderr going away must not kill the runtime loop. */
  signal (SIGPIPE, SIG_IGN);
  tv_http_global_init ();
  if (check)
    status = run_check_config ();
  else if (event)
    status = run_event (event);
  else if ((api = getenv ("AWS_LAMBDA_RUNTIME_API")) != NULL && api[0])
    status = tv_runtime_main (api);
  else
    {
      fprintf (stderr, "token-validator: AWS_LAMBDA_RUNTIME_API is not set; "
               "use --event FILE to handle one event\n");
      usage (stderr);
      status = EXIT_USAGE;
    }
  return status;
}
