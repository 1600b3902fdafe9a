/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define SV_TOKEN_STORE_SCHEMA_NAME "io.github.smartviewer.SmartViewer.Session"
#define SV_TOKEN_STORE_CLIENT_SECRET_SCHEMA_NAME "io.github.smartviewer.SmartViewer.ClientSecret"
#define SV_TOKEN_STORE_VERSION 1

/**
 * SvStoredSession:
 *
 * What survives a restart: everything but the access token.
 */
typedef struct
{
  char *refresh_token;
  gint64 expires_at;
  char *granted_scope;
  char *asked_scope;
  char *patient;
  int patient_source;
  char *fhir_user;
  char *issuer;
  JsonObject *id_claims;
} SvStoredSession;

SvStoredSession *sv_stored_session_new          (void);
void             sv_stored_session_free         (SvStoredSession *stored);
char            *sv_stored_session_to_json      (SvStoredSession *stored);
SvStoredSession *sv_stored_session_new_from_json (const char     *json,
                                                  GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvStoredSession, sv_stored_session_free)

#define SV_TYPE_TOKEN_STORE (sv_token_store_get_type ())

G_DECLARE_FINAL_TYPE (SvTokenStore, sv_token_store, SV, TOKEN_STORE, GObject)

SvTokenStore    *sv_token_store_new             (void);
void             sv_token_store_set_timeout     (SvTokenStore        *self,
                                                 guint                timeout_ms);
gboolean         sv_token_store_get_memory_only (SvTokenStore        *self);
void             sv_token_store_save_async      (SvTokenStore        *self,
                                                 const char          *profile,
                                                 SvStoredSession     *stored,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean         sv_token_store_save_finish     (SvTokenStore        *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);
void             sv_token_store_lookup_async    (SvTokenStore        *self,
                                                 const char          *profile,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
SvStoredSession *sv_token_store_lookup_finish   (SvTokenStore        *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);
void             sv_token_store_delete_async    (SvTokenStore        *self,
                                                 const char          *profile,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean         sv_token_store_delete_finish   (SvTokenStore        *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);
void             sv_token_store_save_client_secret_async    (SvTokenStore        *self,
                                                             const char          *profile,
                                                             const char          *client_secret,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
gboolean         sv_token_store_save_client_secret_finish   (SvTokenStore        *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);
void             sv_token_store_lookup_client_secret_async  (SvTokenStore        *self,
                                                             const char          *profile,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
char            *sv_token_store_lookup_client_secret_finish (SvTokenStore        *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);
void             sv_token_store_delete_client_secret_async  (SvTokenStore        *self,
                                                             const char          *profile,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
gboolean         sv_token_store_delete_client_secret_finish (SvTokenStore        *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);

G_END_DECLS
