/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <libsoup/soup.h>

#include "sv-sign-in-window.h"
#include "sv-test-util.h"

/* A local stand-in for an IdP's login page: the tests check what the
 * embedded view does with it, not OAuth (which the core tests cover). */

typedef struct
{
  SoupServer *server;
  char       *base;
  char       *redirect_uri;
  guint       redirect_hits;
  guint       login_posts;
  char       *posted_username;

  SvSignInWindow *window;
  char       *result;
  GError     *error;
  gboolean    done;
} Fixture;

static const char login_page[] =
  "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Sign in</title></head>"
  "<body><h1>Test IdP</h1><form method='post' action='/login'>"
  "<label>User <input name='username'></label>"
  "<label>Password <input name='password' type='password'></label>"
  "<button type='submit'>Sign in</button></form></body></html>";

static void
server_callback (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  Fixture *fixture = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  if (g_str_equal (path, "/authorize"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_STATIC, login_page, strlen (login_page));
    }
  else if (g_str_equal (path, "/login"))
    {
      SoupMessageBody *body = soup_server_message_get_request_body (msg);
      g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
      g_autofree char *form_text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      g_autoptr(GHashTable) form = soup_form_decode (form_text);
      g_autofree char *location = g_strconcat (fixture->redirect_uri, "?code=CODE123&state=STATE456", NULL);

      fixture->login_posts++;
      g_free (fixture->posted_username);
      fixture->posted_username = g_strdup (g_hash_table_lookup (form, "username"));
      soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, location);
    }
  else if (g_str_equal (path, "/js-redirect"))
    {
      g_autofree char *page = g_strdup_printf ("<!DOCTYPE html><html><body><script>"
                                               "window.location.href = '%s?code=JS789&state=S';"
                                               "</script></body></html>", fixture->redirect_uri);
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_COPY, page, strlen (page));
    }
  else if (g_str_equal (path, "/oauth2redirect"))
    {
      /* The view must catch the redirect before it is ever sent. */
      fixture->redirect_hits++;
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "leaked", 6);
    }
  else
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    }

  soup_message_headers_replace (headers, "Cache-Control", "no-store");
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  GSList *uris;

  fixture->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (fixture->server, NULL, server_callback, fixture, NULL);
  g_assert_true (soup_server_listen (fixture->server, address, 0, &error));
  g_assert_no_error (error);

  uris = soup_server_get_uris (fixture->server);
  fixture->base = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  fixture->redirect_uri = g_strdup (user_data != NULL ? user_data : "io.github.smartviewer.smartviewer:/oauth2redirect");
  if (g_str_equal (fixture->redirect_uri, "loopback"))
    {
      g_free (fixture->redirect_uri);
      fixture->redirect_uri = g_strconcat (fixture->base, "/oauth2redirect", NULL);
    }
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  soup_server_disconnect (fixture->server);
  g_clear_object (&fixture->server);
  g_free (fixture->base);
  g_free (fixture->redirect_uri);
  g_free (fixture->posted_username);
  g_free (fixture->result);
  g_clear_error (&fixture->error);
}

static void
on_run_finished (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Fixture *fixture = user_data;

  fixture->result = sv_sign_in_window_run_finish (SV_SIGN_IN_WINDOW (source), result, &fixture->error);
  fixture->done = TRUE;
}

static gboolean
is_done (gpointer user_data)
{
  return ((Fixture *) user_data)->done;
}

static gboolean
page_loaded (gpointer user_data)
{
  WebKitWebView *view = user_data;

  return !webkit_web_view_is_loading (view) && webkit_web_view_get_uri (view) != NULL &&
         g_str_has_suffix (webkit_web_view_get_uri (view), "/authorize");
}

static gboolean
window_gone (gpointer user_data)
{
  return sv_test_find_toplevel (SV_TYPE_SIGN_IN_WINDOW) == NULL;
}

static void
start (Fixture    *fixture,
       const char *path)
{
  g_autofree char *url = g_strconcat (fixture->base, path, NULL);

  fixture->window = sv_sign_in_window_new (NULL, url, fixture->redirect_uri, NULL);
  sv_sign_in_window_run_async (fixture->window, NULL, on_run_finished, fixture);
}

static void
on_form_filled (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JSCValue) value = webkit_web_view_call_async_javascript_function_finish (WEBKIT_WEB_VIEW (source),
                                                                                      result, &error);

  g_assert_no_error (error);
}

static void
fill_login_form (WebKitWebView *view,
                 const char    *username,
                 const char    *password)
{
  GVariantDict arguments;

  /* The credentials travel as arguments, never pasted into script text. */
  g_variant_dict_init (&arguments, NULL);
  g_variant_dict_insert (&arguments, "username", "s", username);
  g_variant_dict_insert (&arguments, "password", "s", password);
  webkit_web_view_call_async_javascript_function (view,
    "document.querySelector('input[name=username]').value = username;"
    "document.querySelector('input[name=password]').value = password;"
    "document.forms[0].submit();"
    "return true;",
    -1, g_variant_dict_end (&arguments), NULL, NULL, NULL, on_form_filled, NULL);
}

static void
test_form_redirect (Fixture       *fixture,
                    gconstpointer  user_data)
{
  WebKitWebView *view;
  g_autofree char *expected = NULL;

  start (fixture, "/authorize");
  view = sv_sign_in_window_get_web_view (fixture->window);
  g_assert_true (sv_test_wait_until (page_loaded, view, 30000));

  /* The header shows whose page this is, and that it is not encrypted. */
  g_assert_cmpstr (sv_sign_in_window_get_host (fixture->window), ==, "127.0.0.1");
  g_assert_false (sv_sign_in_window_get_secure (fixture->window));
  /* The web process paints a little after the load finishes. */
  sv_test_wait_frames (GTK_WIDGET (fixture->window), 60);
  sv_test_save_screenshot (GTK_WIDGET (fixture->window), "sign-in-window");

  fill_login_form (view, "clinician", "demo");
  g_assert_true (sv_test_wait_until (is_done, fixture, 30000));

  g_assert_no_error (fixture->error);
  expected = g_strconcat (fixture->redirect_uri, "?code=CODE123&state=STATE456", NULL);
  g_assert_cmpstr (fixture->result, ==, expected);
  g_assert_cmpuint (fixture->login_posts, ==, 1);
  g_assert_cmpstr (fixture->posted_username, ==, "clinician");
  g_assert_cmpuint (fixture->redirect_hits, ==, 0);

  /* The window and its web view are gone once sign-in ends. */
  g_assert_true (sv_test_wait_until (window_gone, NULL, 10000));
}

static void
test_script_redirect (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autofree char *expected = NULL;

  start (fixture, "/js-redirect");
  g_assert_true (sv_test_wait_until (is_done, fixture, 30000));

  g_assert_no_error (fixture->error);
  expected = g_strconcat (fixture->redirect_uri, "?code=JS789&state=S", NULL);
  g_assert_cmpstr (fixture->result, ==, expected);
  g_assert_cmpuint (fixture->redirect_hits, ==, 0);
  g_assert_true (sv_test_wait_until (window_gone, NULL, 10000));
}

static void
test_cancel (Fixture       *fixture,
             gconstpointer  user_data)
{
  start (fixture, "/authorize");
  g_assert_true (sv_test_wait_until (page_loaded, sv_sign_in_window_get_web_view (fixture->window), 30000));

  gtk_window_close (GTK_WINDOW (fixture->window));
  g_assert_true (sv_test_wait_until (is_done, fixture, 10000));
  g_assert_error (fixture->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (fixture->result);
  g_assert_true (sv_test_wait_until (window_gone, NULL, 10000));
}

static gboolean
error_page_shown (gpointer user_data)
{
  GtkWidget *page = sv_test_find_widget (user_data, ADW_TYPE_STATUS_PAGE, NULL);

  return page != NULL && gtk_widget_get_mapped (page);
}

static void
test_load_failure (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autofree char *url = NULL;
  GtkWidget *page;

  /* A port that was just free and is closed again: nothing listens there. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_assert_true (g_socket_bind (socket, address, TRUE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  url = g_strdup_printf ("http://127.0.0.1:%d/authorize",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_socket_close (socket, NULL);

  fixture->window = sv_sign_in_window_new (NULL, url, fixture->redirect_uri, NULL);
  sv_sign_in_window_run_async (fixture->window, NULL, on_run_finished, fixture);

  g_assert_true (sv_test_wait_until (error_page_shown, fixture->window, 30000));
  page = sv_test_find_widget (GTK_WIDGET (fixture->window), ADW_TYPE_STATUS_PAGE, NULL);
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (page)), ==, "The Sign-in Page Could Not Be Loaded");
  g_assert_false (fixture->done);

  gtk_window_close (GTK_WINDOW (fixture->window));
  g_assert_true (sv_test_wait_until (is_done, fixture, 10000));
  g_assert_error (fixture->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_redirect_matching (void)
{
  static const struct { const char *uri; const char *redirect; gboolean match; } cases[] = {
    { "io.github.smartviewer.smartviewer:/oauth2redirect?code=a&state=b", "io.github.smartviewer.smartviewer:/oauth2redirect", TRUE },
    { "io.github.smartviewer.smartviewer:/oauth2redirect", "io.github.smartviewer.smartviewer:/oauth2redirect", TRUE },
    { "io.github.smartviewer.smartviewer:/oauth2redirectx?code=a", "io.github.smartviewer.smartviewer:/oauth2redirect", FALSE },
    { "io.github.smartviewer.smartviewer:/other?code=a", "io.github.smartviewer.smartviewer:/oauth2redirect", FALSE },
    { "http://127.0.0.1:8123/oauth2redirect?code=a", "http://127.0.0.1:8123/oauth2redirect", TRUE },
    { "http://127.0.0.1:8124/oauth2redirect?code=a", "http://127.0.0.1:8123/oauth2redirect", FALSE },
    { "http://127.0.0.1.evil.example:8123/oauth2redirect?code=a", "http://127.0.0.1:8123/oauth2redirect", FALSE },
    { "http://user@127.0.0.1:8123/oauth2redirect?code=a", "http://127.0.0.1:8123/oauth2redirect", FALSE },
    { "https://127.0.0.1:8123/oauth2redirect?code=a", "http://127.0.0.1:8123/oauth2redirect", FALSE },
    { "http://127.0.0.1:8123/oauth2redirect/../x?code=a", "http://127.0.0.1:8123/oauth2redirect", FALSE },
    { "not a uri", "http://127.0.0.1:8123/oauth2redirect", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_true (sv_redirect_uri_matches (cases[i].uri, cases[i].redirect) == cases[i].match);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  /* WebKit derives data paths from the program name (TESTING.md). */
  g_set_prgname ("test-sign-in-window");
  adw_init ();

  g_test_add_func ("/ui/sign-in/redirect-matching", test_redirect_matching);
  g_test_add ("/ui/sign-in/form-redirect-private-scheme", Fixture, NULL,
              fixture_set_up, test_form_redirect, fixture_tear_down);
  g_test_add ("/ui/sign-in/form-redirect-loopback", Fixture, "loopback",
              fixture_set_up, test_form_redirect, fixture_tear_down);
  g_test_add ("/ui/sign-in/script-redirect-loopback", Fixture, "loopback",
              fixture_set_up, test_script_redirect, fixture_tear_down);
  g_test_add ("/ui/sign-in/cancel", Fixture, NULL, fixture_set_up, test_cancel, fixture_tear_down);
  g_test_add ("/ui/sign-in/load-failure", Fixture, NULL, fixture_set_up, test_load_failure, fixture_tear_down);

  return g_test_run ();
}
