/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-test"

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "sv-error.h"
#include "sv-http.h"
#include "sv-mock-idp.h"
#include "sv-session.h"
#include "sv-test-wait.h"
#include "sv-token-store.h"

/* No Secret Service at all: the session bus address points nowhere. Sign-in
 * must still work for this run, say once that it will not be kept, and
 * write nothing to disk. */

static char *home;

static void
on_unavailable (SvTokenStore *store,
                const char   *message,
                guint        *count)
{
  g_test_message ("notice: %s", message);
  g_assert_nonnull (strstr (message, "keyring"));
  (*count)++;
}

static void
list_files (const char *dir,
            GPtrArray  *files)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        list_files (path, files);
      else
        g_ptr_array_add (files, g_steal_pointer (&path));
    }
}

static void
test_memory_only (void)
{
  g_autoptr(SvMockIdp) idp = sv_mock_idp_new ();
  g_autoptr(SvServerProfile) profile = sv_server_profile_new ("nowhere");
  g_autoptr(SoupSession) http = sv_http_session_new ();
  g_autoptr(SvTokenStore) store = sv_token_store_new ();
  g_autoptr(SvTokenStore) next_run = sv_token_store_new ();
  g_autoptr(SvDiscovery) discovery = NULL;
  g_autoptr(SvSession) session = NULL;
  g_autoptr(SvSession) again = NULL;
  g_autoptr(SvSession) later = NULL;
  g_autoptr(SvAuthorizationRequest) request = NULL;
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GAsyncResult) r3 = NULL;
  g_autoptr(GAsyncResult) r4 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *url = NULL;
  g_autofree char *redirect = NULL;
  guint unavailable = 0;
  guint unavailable_next = 0;

  g_signal_connect (store, "storage-unavailable", G_CALLBACK (on_unavailable), &unavailable);
  g_signal_connect (next_run, "storage-unavailable", G_CALLBACK (on_unavailable), &unavailable_next);

  sv_server_profile_set_fhir_base_url (profile, idp->fhir_base);
  sv_server_profile_set_client_id (profile, idp->client_id);
  sv_discovery_fetch_async (profile, http, NULL, sv_test_store_result, &r1);
  discovery = sv_discovery_fetch_finish (sv_test_wait (&r1), &error);
  g_assert_no_error (error);

  session = sv_session_new (profile, discovery, http, store, NULL);
  request = sv_session_new_authorization_request (session, "http://127.0.0.1:9/oauth2redirect", &error);
  url = sv_authorization_request_dup_url (request);
  redirect = sv_mock_idp_browse (idp, url, &error);
  g_assert_no_error (error);
  sv_session_sign_in_async (session, request, redirect, NULL, sv_test_store_result, &r2);
  g_assert_true (sv_session_sign_in_finish (session, sv_test_wait (&r2), &error));
  g_assert_no_error (error);
  g_assert_true (sv_token_store_get_memory_only (store));
  g_assert_cmpuint (unavailable, ==, 1);

  /* Within this run the session can be restored; the notice is not repeated. */
  again = sv_session_new (profile, discovery, http, store, NULL);
  sv_session_restore_async (again, NULL, sv_test_store_result, &r3);
  g_assert_true (sv_session_restore_finish (again, sv_test_wait (&r3), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (unavailable, ==, 1);

  /* The next run has nothing, and says why. */
  later = sv_session_new (profile, discovery, http, next_run, NULL);
  sv_session_restore_async (later, NULL, sv_test_store_result, &r4);
  g_assert_false (sv_session_restore_finish (later, sv_test_wait (&r4), &error));
  g_assert_error (error, SV_ERROR, SV_ERROR_NOT_SIGNED_IN);
  g_assert_nonnull (strstr (error->message, "keyring"));

  /* Nothing under HOME at all, so certainly no token. */
  list_files (home, files);
  for (guint i = 0; i < files->len; i++)
    g_test_message ("unexpected file: %s", (char *) g_ptr_array_index (files, i));
  g_assert_cmpuint (files->len, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  /* Before GLib caches anything: an empty HOME and no reachable bus. */
  home = g_dir_make_tmp ("sv-no-keyring-XXXXXX", NULL);
  g_setenv ("HOME", home, TRUE);
  g_setenv ("XDG_CONFIG_HOME", home, TRUE);
  g_setenv ("XDG_DATA_HOME", home, TRUE);
  g_setenv ("XDG_CACHE_HOME", home, TRUE);
  g_setenv ("XDG_STATE_HOME", home, TRUE);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/sv-test-bus", TRUE);
  /* The proxy resolver reads GSettings; dconf would write its database. */
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/auth/keyring/none", test_memory_only);
  status = g_test_run ();

  g_rmdir (home);
  g_free (home);
  return status;
}
