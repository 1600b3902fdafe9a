/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-test"

#include "config.h"

#include "sv-static-bearer.h"

#include "sv-error.h"

/* A bearer source for tests: hands out the first of its tokens, and the
 * next one each time a refresh is forced; when none is left the refresh
 * fails like an expired sign-in. */

struct _SvStaticBearer
{
  GObject  parent_instance;

  GStrv    tokens;
  guint    current;
  guint    n_refreshes;
  guint    n_requests;
};

static void sv_static_bearer_iface_init (SvBearerSourceInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SvStaticBearer, sv_static_bearer, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SV_TYPE_BEARER_SOURCE, sv_static_bearer_iface_init))

static void
sv_static_bearer_get_token_async (SvBearerSource      *source,
                                  gboolean             force_refresh,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  SvStaticBearer *self = SV_STATIC_BEARER (source);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  self->n_requests++;
  if (force_refresh)
    {
      self->n_refreshes++;
      self->current++;
    }

  if (self->current >= g_strv_length (self->tokens))
    g_task_return_new_error (task, SV_ERROR, SV_ERROR_NOT_SIGNED_IN, "The test has no token left");
  else
    g_task_return_pointer (task, g_strdup (self->tokens[self->current]), g_free);
}

static char *
sv_static_bearer_get_token_finish (SvBearerSource  *source,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
sv_static_bearer_iface_init (SvBearerSourceInterface *iface)
{
  iface->get_token_async = sv_static_bearer_get_token_async;
  iface->get_token_finish = sv_static_bearer_get_token_finish;
}

static void
sv_static_bearer_finalize (GObject *object)
{
  SvStaticBearer *self = SV_STATIC_BEARER (object);

  g_strfreev (self->tokens);

  G_OBJECT_CLASS (sv_static_bearer_parent_class)->finalize (object);
}

static void
sv_static_bearer_class_init (SvStaticBearerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sv_static_bearer_finalize;
}

static void
sv_static_bearer_init (SvStaticBearer *self)
{
}

SvStaticBearer *
sv_static_bearer_new (const char * const *tokens)
{
  SvStaticBearer *self = g_object_new (SV_TYPE_STATIC_BEARER, NULL);

  self->tokens = g_strdupv ((char **) tokens);
  return self;
}

guint
sv_static_bearer_get_n_refreshes (SvStaticBearer *self)
{
  return self->n_refreshes;
}

guint
sv_static_bearer_get_n_requests (SvStaticBearer *self)
{
  return self->n_requests;
}
