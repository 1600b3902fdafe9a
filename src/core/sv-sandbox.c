/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-sandbox"

#include "config.h"

#include "sv-sandbox.h"

#include <glib/gi18n.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "sv-error.h"

/* Runs smart-sandbox as a child process on a free loopback port, or finds
 * one this user already runs for the same flavor, so that "Try the offline
 * sandbox" works in a Flatpak and from a build tree alike. A sandbox this
 * object started is stopped when the object goes (and by the kernel when the
 * app dies: PR_SET_PDEATHSIG); one it found is left alone. */

#define READY_PREFIX "smart-sandbox ready "
/* The first start generates the population; later ones take well under a second. */
#define START_TIMEOUT_SECONDS 60
#define PROBE_TIMEOUT_SECONDS 2

struct _SvSandbox
{
  GObject       parent_instance;

  char         *executable;
  char         *flavor;
  char         *fhir_base;
  char         *issuer;
  char         *client_id;
  gboolean      owned;

  GSubprocess  *process;
  GDataInputStream *output;
  GCancellable *drain_cancellable;
  GTask        *start_task;
  guint         start_timeout;
};

G_DEFINE_FINAL_TYPE (SvSandbox, sv_sandbox, G_TYPE_OBJECT)

static char *
runtime_file_path (const char *flavor)
{
  g_autofree char *name = g_strdup_printf ("sandbox-%s.json", flavor);

  return g_build_filename (g_get_user_runtime_dir (), "smart-viewer", name, NULL);
}

/**
 * sv_sandbox_parse_ready_line:
 * @line: a line of smart-sandbox's output
 * @fhir_base: (out) (transfer full): the FHIR base URL
 * @issuer: (out) (transfer full): the issuer
 * @client_id: (out) (transfer full): the public client id
 *
 * Parses `smart-sandbox ready fhir=<url> issuer=<url> client_id=<id>`.
 * Only loopback http(s) URLs are accepted: the app must never be pointed
 * somewhere else by what a child process prints.
 *
 * Returns: whether @line is a ready line with all three values
 */
gboolean
sv_sandbox_parse_ready_line (const char  *line,
                             char       **fhir_base,
                             char       **issuer,
                             char       **client_id)
{
  g_auto(GStrv) words = NULL;
  g_autofree char *fhir = NULL, *iss = NULL, *client = NULL;

  *fhir_base = *issuer = *client_id = NULL;

  if (line == NULL || !g_str_has_prefix (line, READY_PREFIX))
    return FALSE;

  words = g_strsplit (line + strlen (READY_PREFIX), " ", -1);
  for (guint i = 0; words[i] != NULL; i++)
    {
      if (g_str_has_prefix (words[i], "fhir=") && fhir == NULL)
        fhir = g_strdup (words[i] + 5);
      else if (g_str_has_prefix (words[i], "issuer=") && iss == NULL)
        iss = g_strdup (words[i] + 7);
      else if (g_str_has_prefix (words[i], "client_id=") && client == NULL)
        client = g_strdup (g_strchomp (words[i] + 10));
    }

  if (fhir == NULL || iss == NULL || client == NULL || *client == '\0')
    return FALSE;

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GUri) uri = g_uri_parse (i == 0 ? fhir : iss, G_URI_FLAGS_NONE, NULL);
      const char *host = uri != NULL ? g_uri_get_host (uri) : NULL;

      if (uri == NULL || host == NULL ||
          (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 && g_strcmp0 (g_uri_get_scheme (uri), "https") != 0) ||
          !(g_str_equal (host, "127.0.0.1") || g_str_equal (host, "localhost") || g_str_equal (host, "::1")))
        return FALSE;
    }

  *fhir_base = g_steal_pointer (&fhir);
  *issuer = g_steal_pointer (&iss);
  *client_id = g_steal_pointer (&client);
  return TRUE;
}

/**
 * sv_sandbox_find_executable:
 *
 * Where smart-sandbox is: `$SMART_VIEWER_SANDBOX`, the build tree of a
 * development build, the app's own bindir (the Flatpak installs it there),
 * then `$PATH`.
 *
 * Returns: (transfer full) (nullable): the path, or %NULL when there is none
 */
char *
sv_sandbox_find_executable (void)
{
  const char *env = g_getenv ("SMART_VIEWER_SANDBOX");
  g_autofree char *installed = g_build_filename (BINDIR, "smart-sandbox", NULL);

  if (env != NULL && *env != '\0')
    return g_file_test (env, G_FILE_TEST_IS_EXECUTABLE) ? g_strdup (env) : NULL;

#ifdef SANDBOX_BUILD_PATH
  if (g_file_test (SANDBOX_BUILD_PATH, G_FILE_TEST_IS_EXECUTABLE))
    return g_strdup (SANDBOX_BUILD_PATH);
#endif

  if (g_file_test (installed, G_FILE_TEST_IS_EXECUTABLE))
    return g_steal_pointer (&installed);

  return g_find_program_in_path ("smart-sandbox");
}

static void
sv_sandbox_write_runtime_file (SvSandbox *self)
{
  g_autofree char *path = runtime_file_path (self->flavor);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "pid");
  json_builder_add_string_value (builder, g_subprocess_get_identifier (self->process));
  json_builder_set_member_name (builder, "fhir");
  json_builder_add_string_value (builder, self->fhir_base);
  json_builder_set_member_name (builder, "issuer");
  json_builder_add_string_value (builder, self->issuer);
  json_builder_set_member_name (builder, "client_id");
  json_builder_add_string_value (builder, self->client_id);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, TRUE);

  /* Only URLs and a pid: nothing secret is ever written here. */
  if (g_mkdir_with_parents (dir, 0700) != 0 ||
      !g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    g_debug ("Could not record the running sandbox: %s", error != NULL ? error->message : g_strerror (errno));
}

static void
sv_sandbox_remove_runtime_file (SvSandbox *self)
{
  g_autofree char *path = runtime_file_path (self->flavor);

  g_unlink (path);
}

static void
sv_sandbox_clear_start (SvSandbox *self)
{
  g_clear_handle_id (&self->start_timeout, g_source_remove);
}

static void
sv_sandbox_fail_start (SvSandbox *self,
                       GError    *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->start_task);

  sv_sandbox_clear_start (self);
  sv_sandbox_stop (self);
  if (task != NULL)
    g_task_return_error (task, error);
  else
    g_error_free (error);
}

static void on_line_read (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data);

static void
sv_sandbox_read_next_line (SvSandbox *self)
{
  g_data_input_stream_read_line_async (self->output, G_PRIORITY_DEFAULT, self->drain_cancellable,
                                       on_line_read, g_object_ref (self));
}

static void
on_line_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(SvSandbox) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), result, NULL, &error);

  if (line == NULL)
    {
      if (self->start_task != NULL)
        {
          if (error == NULL || !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            sv_sandbox_fail_start (self, g_error_new (SV_ERROR, SV_ERROR_FAILED,
                                                      _("The offline sandbox stopped while starting. "
                                                        "Run “smart-sandbox” in a terminal to see why.")));
        }
      return;
    }

  if (self->start_task != NULL)
    {
      g_autofree char *fhir = NULL, *issuer = NULL, *client = NULL;

      if (sv_sandbox_parse_ready_line (line, &fhir, &issuer, &client))
        {
          g_autoptr(GTask) task = g_steal_pointer (&self->start_task);

          sv_sandbox_clear_start (self);
          g_free (self->fhir_base);
          self->fhir_base = g_steal_pointer (&fhir);
          g_free (self->issuer);
          self->issuer = g_steal_pointer (&issuer);
          g_free (self->client_id);
          self->client_id = g_steal_pointer (&client);
          self->owned = TRUE;
          sv_sandbox_write_runtime_file (self);
          g_task_return_boolean (task, TRUE);
        }
    }
  /* Later lines are the sandbox's table for people (with its demo client
   * secret): drained, never logged. */

  /* Keep reading, so a chatty child never blocks on a full pipe. */
  sv_sandbox_read_next_line (self);
}

static gboolean
on_start_timeout (gpointer user_data)
{
  SvSandbox *self = user_data;

  self->start_timeout = 0;
  sv_sandbox_fail_start (self, g_error_new (SV_ERROR, SV_ERROR_FAILED,
                                            _("The offline sandbox did not start within %d seconds."),
                                            START_TIMEOUT_SECONDS));
  return G_SOURCE_REMOVE;
}

static void
child_setup (gpointer user_data)
{
  /* The sandbox must not outlive the app, even when the app crashes. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static void
sv_sandbox_spawn (SvSandbox *self)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  self->process = g_subprocess_launcher_spawn (launcher, &error,
                                               self->executable,
                                               "--host", "127.0.0.1",
                                               "--port", "0",
                                               "--flavor", self->flavor,
                                               NULL);
  if (self->process == NULL)
    {
      g_autoptr(GError) wrapped = g_error_new (SV_ERROR, SV_ERROR_FAILED,
                                               _("The offline sandbox could not be started: %s"),
                                               error->message);

      sv_sandbox_fail_start (self, g_steal_pointer (&wrapped));
      return;
    }

  self->output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (self->process));
  self->drain_cancellable = g_cancellable_new ();
  self->start_timeout = g_timeout_add_seconds (START_TIMEOUT_SECONDS, on_start_timeout, self);
  sv_sandbox_read_next_line (self);
}

static void
on_probe_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(SvSandbox) self = user_data;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  JsonNode *root;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);

  if (self->start_task == NULL)
    return;

  if (body != NULL && soup_message_get_status (message) == SOUP_STATUS_OK &&
      json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL) &&
      (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_OBJECT (root) &&
      g_strcmp0 (json_object_get_string_member_with_default (json_node_get_object (root), "issuer", ""),
                 self->issuer) == 0)
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->start_task);

      g_debug ("Using the sandbox already running at %s", self->fhir_base);
      self->owned = FALSE;
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_clear_pointer (&self->fhir_base, g_free);
  g_clear_pointer (&self->issuer, g_free);
  g_clear_pointer (&self->client_id, g_free);
  sv_sandbox_spawn (self);
}

static gboolean
sv_sandbox_probe_existing (SvSandbox *self)
{
  g_autofree char *path = runtime_file_path (self->flavor);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *fhir = NULL, *issuer = NULL, *client = NULL, *line = NULL;
  g_autofree char *url = NULL;
  JsonObject *object;

  if (!json_parser_load_from_file (parser, path, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return FALSE;

  object = json_node_get_object (json_parser_get_root (parser));
  /* The recorded values go through the same checks as a ready line. */
  line = g_strdup_printf (READY_PREFIX "fhir=%s issuer=%s client_id=%s",
                          json_object_get_string_member_with_default (object, "fhir", ""),
                          json_object_get_string_member_with_default (object, "issuer", ""),
                          json_object_get_string_member_with_default (object, "client_id", ""));
  if (!sv_sandbox_parse_ready_line (line, &fhir, &issuer, &client))
    return FALSE;

  self->fhir_base = g_steal_pointer (&fhir);
  self->issuer = g_steal_pointer (&issuer);
  self->client_id = g_steal_pointer (&client);

  url = g_strconcat (self->fhir_base, g_str_has_suffix (self->fhir_base, "/") ? "" : "/",
                     ".well-known/smart-configuration", NULL);
  message = soup_message_new (SOUP_METHOD_GET, url);
  if (message == NULL)
    return FALSE;

  session = soup_session_new_with_options ("timeout", PROBE_TIMEOUT_SECONDS, NULL);
  soup_session_send_and_read_async (session, message, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (self->start_task),
                                    on_probe_done, g_object_ref (self));
  return TRUE;
}

/**
 * sv_sandbox_start_async:
 * @self: the sandbox
 * @cancellable: (nullable): a cancellable
 * @callback: called when the sandbox is ready or could not start
 * @user_data: for @callback
 *
 * Finds a sandbox of this flavor that this user already runs, or starts one.
 */
void
sv_sandbox_start_async (SvSandbox           *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (SV_IS_SANDBOX (self));
  g_return_if_fail (self->start_task == NULL);

  self->start_task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->start_task, sv_sandbox_start_async);

  if (self->fhir_base != NULL)
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->start_task);

      g_task_return_boolean (task, TRUE);
      return;
    }

  if (self->executable == NULL)
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->start_task);

      g_task_return_new_error (task, SV_ERROR, SV_ERROR_FAILED,
                               _("The offline sandbox is not installed. Install “smart-sandbox”, "
                                 "or build SMART Viewer with its companions."));
      return;
    }

  if (!sv_sandbox_probe_existing (self))
    sv_sandbox_spawn (self);
}

/**
 * sv_sandbox_start_finish:
 * @self: the sandbox
 * @result: the result
 * @error: return location for an error
 *
 * Returns: %TRUE when the sandbox is ready
 */
gboolean
sv_sandbox_start_finish (SvSandbox     *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * sv_sandbox_stop:
 * @self: the sandbox
 *
 * Stops the sandbox if this object started it; a sandbox found running is
 * left alone.
 */
void
sv_sandbox_stop (SvSandbox *self)
{
  g_return_if_fail (SV_IS_SANDBOX (self));

  g_cancellable_cancel (self->drain_cancellable);
  g_clear_object (&self->drain_cancellable);

  if (self->process != NULL)
    {
      /* smart-sandbox stops its validator children and closes SQLite on SIGTERM. */
      g_subprocess_send_signal (self->process, SIGTERM);
      if (self->owned)
        sv_sandbox_remove_runtime_file (self);
    }

  g_clear_object (&self->output);
  g_clear_object (&self->process);
  self->owned = FALSE;
}

static void
sv_sandbox_dispose (GObject *object)
{
  SvSandbox *self = SV_SANDBOX (object);

  sv_sandbox_clear_start (self);
  sv_sandbox_stop (self);

  G_OBJECT_CLASS (sv_sandbox_parent_class)->dispose (object);
}

static void
sv_sandbox_finalize (GObject *object)
{
  SvSandbox *self = SV_SANDBOX (object);

  g_free (self->executable);
  g_free (self->flavor);
  g_free (self->fhir_base);
  g_free (self->issuer);
  g_free (self->client_id);

  G_OBJECT_CLASS (sv_sandbox_parent_class)->finalize (object);
}

static void
sv_sandbox_class_init (SvSandboxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sv_sandbox_dispose;
  object_class->finalize = sv_sandbox_finalize;
}

static void
sv_sandbox_init (SvSandbox *self)
{
}

/**
 * sv_sandbox_new:
 * @executable: (nullable): smart-sandbox, usually from sv_sandbox_find_executable()
 * @flavor: "keycloak" or "cognito"
 *
 * Returns: (transfer full): a sandbox, not started yet
 */
SvSandbox *
sv_sandbox_new (const char *executable,
                const char *flavor)
{
  SvSandbox *self = g_object_new (SV_TYPE_SANDBOX, NULL);

  g_return_val_if_fail (g_strcmp0 (flavor, "keycloak") == 0 || g_strcmp0 (flavor, "cognito") == 0, self);

  self->executable = g_strdup (executable);
  self->flavor = g_strdup (flavor);

  return self;
}

const char *
sv_sandbox_get_fhir_base (SvSandbox *self)
{
  g_return_val_if_fail (SV_IS_SANDBOX (self), NULL);
  return self->fhir_base;
}

const char *
sv_sandbox_get_issuer (SvSandbox *self)
{
  g_return_val_if_fail (SV_IS_SANDBOX (self), NULL);
  return self->issuer;
}

const char *
sv_sandbox_get_client_id (SvSandbox *self)
{
  g_return_val_if_fail (SV_IS_SANDBOX (self), NULL);
  return self->client_id;
}

const char *
sv_sandbox_get_flavor (SvSandbox *self)
{
  g_return_val_if_fail (SV_IS_SANDBOX (self), NULL);
  return self->flavor;
}

/**
 * sv_sandbox_get_owned:
 * @self: the sandbox
 *
 * Returns: whether this object started the sandbox (and will stop it)
 */
gboolean
sv_sandbox_get_owned (SvSandbox *self)
{
  g_return_val_if_fail (SV_IS_SANDBOX (self), FALSE);
  return self->owned;
}
