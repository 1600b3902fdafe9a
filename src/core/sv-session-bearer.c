/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-fhir"

#include "config.h"

#include "sv-session-bearer.h"

#include <string.h>

/* The FHIR client asks a bearer source for tokens; the signed-in session is
 * where they come from. A 401 means the server refused the token last
 * handed out, so that one is what the session is told about: the session
 * refreshes only if nobody has done so since. */

struct _SvSessionBearer
{
  GObject    parent_instance;

  SvSession *session;
  /* The token last handed out, kept only to name the rejected one. */
  char      *last_token;
};

static void sv_session_bearer_iface_init (SvBearerSourceInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SvSessionBearer, sv_session_bearer, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SV_TYPE_BEARER_SOURCE, sv_session_bearer_iface_init))

static void
scrub (char **token)
{
  if (*token != NULL)
    explicit_bzero (*token, strlen (*token));
  g_clear_pointer (token, g_free);
}

static void
remember (SvSessionBearer *self,
          const char      *token)
{
  scrub (&self->last_token);
  self->last_token = g_strdup (token);
}

static void
on_token (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SvSessionBearer *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  char *token;

  if (g_task_get_task_data (task) != NULL)
    token = sv_session_handle_unauthorized_finish (SV_SESSION (source), result, &error);
  else
    token = sv_session_get_access_token_finish (SV_SESSION (source), result, &error);

  if (token == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  remember (self, token);
  g_task_return_pointer (task, token, g_free);
}

static void
sv_session_bearer_get_token_async (SvBearerSource      *source,
                                   gboolean             force_refresh,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  SvSessionBearer *self = SV_SESSION_BEARER (source);
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, sv_session_bearer_get_token_async);

  if (force_refresh)
    {
      /* Marks the task as a refresh for on_token. */
      g_task_set_task_data (task, GINT_TO_POINTER (TRUE), NULL);
      sv_session_handle_unauthorized_async (self->session, self->last_token, cancellable, on_token, task);
    }
  else
    {
      sv_session_get_access_token_async (self->session, cancellable, on_token, task);
    }
}

static char *
sv_session_bearer_get_token_finish (SvBearerSource  *source,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, source), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
sv_session_bearer_iface_init (SvBearerSourceInterface *iface)
{
  iface->get_token_async = sv_session_bearer_get_token_async;
  iface->get_token_finish = sv_session_bearer_get_token_finish;
}

static void
sv_session_bearer_finalize (GObject *object)
{
  SvSessionBearer *self = SV_SESSION_BEARER (object);

  scrub (&self->last_token);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (sv_session_bearer_parent_class)->finalize (object);
}

static void
sv_session_bearer_class_init (SvSessionBearerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sv_session_bearer_finalize;
}

static void
sv_session_bearer_init (SvSessionBearer *self)
{
}

/**
 * sv_session_bearer_new:
 * @session: a signed-in session
 *
 * Returns: (transfer full): a bearer source that takes its tokens from
 *   @session and asks it to refresh after a 401
 */
SvSessionBearer *
sv_session_bearer_new (SvSession *session)
{
  SvSessionBearer *self;

  g_return_val_if_fail (SV_IS_SESSION (session), NULL);

  self = g_object_new (SV_TYPE_SESSION_BEARER, NULL);
  self->session = g_object_ref (session);

  return self;
}

/**
 * sv_session_bearer_get_session:
 * @self: a bearer source
 *
 * Returns: (transfer none): the session
 */
SvSession *
sv_session_bearer_get_session (SvSessionBearer *self)
{
  g_return_val_if_fail (SV_IS_SESSION_BEARER (self), NULL);

  return self->session;
}
