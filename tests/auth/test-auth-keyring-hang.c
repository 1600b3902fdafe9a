/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-test"

#include "config.h"

#include <string.h>

#include "sv-test-wait.h"
#include "sv-token-store.h"

/* A keyring that never answers, like a locked one whose unlock prompt
 * nobody sees: a private bus where the Secret Service name is owned by a
 * connection that swallows every call. The store must give up after its
 * timeout and fall back to memory instead of hanging. */

static GDBusMessage *
swallow (GDBusConnection *connection,
         GDBusMessage    *message,
         gboolean         incoming,
         gpointer         user_data)
{
  if (incoming && g_dbus_message_get_message_type (message) == G_DBUS_MESSAGE_TYPE_METHOD_CALL)
    {
      (*(guint *) user_data)++;
      g_object_unref (message);
      return NULL;
    }
  return message;
}

static void
on_unavailable (SvTokenStore *store,
                const char   *message,
                guint        *count)
{
  (*count)++;
}

static void
test_hanging_keyring (void)
{
  g_autoptr(GTestDBus) bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_autoptr(GDBusConnection) owner = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(SvTokenStore) store = NULL;
  g_autoptr(SvStoredSession) stored = sv_stored_session_new ();
  g_autoptr(SvStoredSession) loaded = NULL;
  g_autoptr(GAsyncResult) saved = NULL;
  g_autoptr(GAsyncResult) looked_up = NULL;
  guint swallowed = 0;
  guint unavailable = 0;
  gint64 started;

  g_test_dbus_up (bus);
  owner = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (bus),
                                                  G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                  G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                  NULL, NULL, &error);
  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (owner, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "RequestName",
                                       g_variant_new ("(su)", "org.freedesktop.secrets", 0),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_add_filter (owner, swallow, &swallowed, NULL);

  store = sv_token_store_new ();
  sv_token_store_set_timeout (store, 500);
  g_signal_connect (store, "storage-unavailable", G_CALLBACK (on_unavailable), &unavailable);
  stored->refresh_token = g_strdup ("refresh-hang");

  started = g_get_monotonic_time ();
  sv_token_store_save_async (store, "hang", stored, NULL, sv_test_store_result, &saved);
  g_assert_true (sv_token_store_save_finish (store, sv_test_wait (&saved), &error));
  g_assert_no_error (error);
  g_test_message ("gave up after %.1f s", (g_get_monotonic_time () - started) / 1e6);

  /* It really asked the keyring, gave up, and explained once. */
  g_assert_cmpuint (swallowed, >, 0);
  g_assert_true (sv_token_store_get_memory_only (store));
  g_assert_cmpuint (unavailable, ==, 1);

  sv_token_store_lookup_async (store, "hang", NULL, sv_test_store_result, &looked_up);
  loaded = sv_token_store_lookup_finish (store, sv_test_wait (&looked_up), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (loaded->refresh_token, ==, "refresh-hang");
  g_assert_cmpuint (unavailable, ==, 1);

  g_dbus_connection_close_sync (owner, NULL, NULL);
  g_test_dbus_down (bus);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/auth/keyring/hang", test_hanging_keyring);
  return g_test_run ();
}
