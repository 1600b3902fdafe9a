/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "sv-test-util.h"

typedef struct
{
  gboolean timed_out;
} WaitData;

static gboolean
on_wait_timeout (gpointer user_data)
{
  WaitData *data = user_data;

  data->timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/**
 * sv_test_wait_until:
 *
 * Runs the main loop until @predicate holds or @timeout_ms pass. Widgets get
 * their size only after a few frames, so tests wait for a state rather than
 * sleeping.
 *
 * Returns: whether the predicate held
 */
gboolean
sv_test_wait_until (SvTestPredicate predicate,
                    gpointer        user_data,
                    guint           timeout_ms)
{
  WaitData data = { FALSE };
  guint source = g_timeout_add (timeout_ms, on_wait_timeout, &data);

  while (!predicate (user_data))
    {
      if (data.timed_out)
        return FALSE;
      g_main_context_iteration (NULL, TRUE);
    }

  g_source_remove (source);
  return TRUE;
}

/**
 * sv_test_find_widget:
 * @root: where to start
 * @type: the widget type wanted
 * @action_name: (nullable): for actionable widgets, the action they trigger
 *
 * Returns: (transfer none) (nullable): the first match, depth first
 */
GtkWidget *
sv_test_find_widget (GtkWidget  *root,
                     GType       type,
                     const char *action_name)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type) &&
      (action_name == NULL ||
       (GTK_IS_ACTIONABLE (root) &&
        g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (root)), action_name) == 0)))
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = sv_test_find_widget (child, type, action_name);

      if (found != NULL)
        return found;
    }

  return NULL;
}

/**
 * sv_test_find_toplevel:
 * @type: a window type
 *
 * Returns: (transfer none) (nullable): a visible toplevel of @type
 */
GtkWindow *
sv_test_find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  guint n = g_list_model_get_n_items (toplevels);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return window;
    }

  return NULL;
}

/**
 * sv_test_save_screenshot:
 * @widget: a realized widget
 * @name: file name without extension
 *
 * Saves what @widget shows as PNG into `$SV_SCREENSHOT_DIR` (the build folder),
 * with GTK's own renderer, so the picture is what a user would see.
 */
void
sv_test_save_screenshot (GtkWidget  *widget,
                         const char *name)
{
  const char *dir = g_getenv ("SV_SCREENSHOT_DIR");
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *file_name = NULL;
  g_autofree char *path = NULL;
  GskRenderer *renderer;
  int width, height;

  if (dir == NULL)
    dir = g_get_tmp_dir ();
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);

  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  g_assert_cmpint (width, >, 0);
  g_assert_cmpint (height, >, 0);

  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);

  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  texture = gsk_renderer_render_texture (renderer, node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  file_name = g_strconcat (name, ".png", NULL);
  path = g_build_filename (dir, file_name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("Screenshot saved to %s", path);
}

static gboolean
on_tick (GtkWidget     *widget,
         GdkFrameClock *frame_clock,
         gpointer       user_data)
{
  guint *remaining = user_data;

  if (*remaining > 0)
    (*remaining)--;

  return *remaining > 0 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean
frames_done (gpointer user_data)
{
  return *(guint *) user_data == 0;
}

/**
 * sv_test_wait_frames:
 * @widget: a mapped widget
 * @n_frames: how many frames to let pass
 *
 * Lets GTK draw @n_frames frames, so that style changes reach the screen
 * before a screenshot.
 */
void
sv_test_wait_frames (GtkWidget *widget,
                     guint      n_frames)
{
  guint remaining = n_frames;

  gtk_widget_add_tick_callback (widget, on_tick, &remaining, NULL);
  gtk_widget_queue_draw (widget);
  g_assert_true (sv_test_wait_until (frames_done, &remaining, 10000));
}

/* The sandbox's login pages, answered as a user would: the login form, then
 * the patient picker (the first patient), then the consent (`consent` is
 * "allow" or "deny"). Arguments: username, password, consent. Returns the
 * page it answered. */
const char sv_test_sandbox_login_js[] =
  "const q = s => document.querySelector(s);"
  "if (q('input[name=username]')) {"
  "  q('input[name=username]').value = username;"
  "  q('input[name=password]').value = password;"
  "  q('button[name=decision][value=login]').click();"
  "  return 'login';"
  "}"
  "if (q('input[name=patient]')) {"
  "  q('input[name=patient]').checked = true;"
  "  q('button[name=decision][value=continue]').click();"
  "  return 'picker';"
  "}"
  "if (q('button[name=decision][value=allow]')) {"
  "  q('button[name=decision][value=' + consent + ']').click();"
  "  return 'consent';"
  "}"
  "return 'other: ' + document.title;";

typedef struct
{
  char *username;
  char *password;
} Login;

static void
login_free (gpointer data,
            GClosure *closure)
{
  Login *login = data;

  g_free (login->username);
  g_free (login->password);
  g_free (login);
}

static void
on_page_driven (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(JSCValue) value = webkit_web_view_call_async_javascript_function_finish (WEBKIT_WEB_VIEW (source),
                                                                                      result, NULL);
}

static void
on_login_page_loaded (WebKitWebView   *view,
                      WebKitLoadEvent  event,
                      Login           *login)
{
  GVariantDict arguments;

  if (event != WEBKIT_LOAD_FINISHED)
    return;

  g_variant_dict_init (&arguments, NULL);
  g_variant_dict_insert (&arguments, "username", "s", login->username);
  g_variant_dict_insert (&arguments, "password", "s", login->password);
  g_variant_dict_insert (&arguments, "consent", "s", "allow");
  webkit_web_view_call_async_javascript_function (view, sv_test_sandbox_login_js, -1, g_variant_dict_end (&arguments),
                                                  NULL, NULL, NULL, on_page_driven, NULL);
}

/**
 * sv_test_drive_sandbox_login:
 * @view: the sign-in window's web view
 * @username: a sandbox user ("clinician" or "patient")
 * @password: its password
 *
 * Answers each page the sandbox shows in @view from now on: logs in, picks
 * the first patient when asked, allows the consent.
 */
void
sv_test_drive_sandbox_login (WebKitWebView *view,
                             const char    *username,
                             const char    *password)
{
  Login *login = g_new0 (Login, 1);

  login->username = g_strdup (username);
  login->password = g_strdup (password);
  g_signal_connect_data (view, "load-changed", G_CALLBACK (on_login_page_loaded), login, login_free, 0);
}

typedef struct
{
  char    *text;
  gboolean done;
} ClipboardRead;

static void
on_clipboard_read (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  ClipboardRead *read = user_data;

  read->text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, NULL);
  read->done = TRUE;
}

static gboolean
clipboard_read (gpointer user_data)
{
  return ((ClipboardRead *) user_data)->done;
}

/**
 * sv_test_read_clipboard:
 * @widget: a widget of the display
 *
 * Returns: (transfer full): the text on @widget's clipboard; fails the test
 *   when there is none
 */
char *
sv_test_read_clipboard (GtkWidget *widget)
{
  ClipboardRead read = { NULL, FALSE };

  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (widget), NULL, on_clipboard_read, &read);
  g_assert_true (sv_test_wait_until (clipboard_read, &read, 5000));
  g_assert_nonnull (read.text);
  return read.text;
}
