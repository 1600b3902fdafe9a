/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "sv-authorization-request.h"
#include "sv-discovery.h"
#include "sv-server-profile.h"
#include "sv-token-store.h"

G_BEGIN_DECLS

typedef enum
{
  SV_PATIENT_SOURCE_NONE,
  SV_PATIENT_SOURCE_TOKEN_RESPONSE,
  SV_PATIENT_SOURCE_ACCESS_TOKEN,
  SV_PATIENT_SOURCE_ID_TOKEN,
} SvPatientSource;

#define SV_TYPE_PATIENT_SOURCE (sv_patient_source_get_type ())

GType sv_patient_source_get_type (void);

#define SV_TYPE_SESSION (sv_session_get_type ())

G_DECLARE_FINAL_TYPE (SvSession, sv_session, SV, SESSION, GObject)

SvSession              *sv_session_new                       (SvServerProfile     *profile,
                                                              SvDiscovery         *discovery,
                                                              SoupSession         *http,
                                                              SvTokenStore        *store,
                                                              const char          *client_secret);
void                    sv_session_set_auto_refresh          (SvSession           *self,
                                                              gboolean             auto_refresh);
SvAuthorizationRequest *sv_session_new_authorization_request (SvSession           *self,
                                                              const char          *redirect_uri,
                                                              GError             **error);
void                    sv_session_sign_in_async             (SvSession           *self,
                                                              SvAuthorizationRequest *request,
                                                              const char          *redirect,
                                                              GCancellable        *cancellable,
                                                              GAsyncReadyCallback  callback,
                                                              gpointer             user_data);
gboolean                sv_session_sign_in_finish            (SvSession           *self,
                                                              GAsyncResult        *result,
                                                              GError             **error);
void                    sv_session_restore_async             (SvSession           *self,
                                                              GCancellable        *cancellable,
                                                              GAsyncReadyCallback  callback,
                                                              gpointer             user_data);
gboolean                sv_session_restore_finish            (SvSession           *self,
                                                              GAsyncResult        *result,
                                                              GError             **error);
void                    sv_session_get_access_token_async    (SvSession           *self,
                                                              GCancellable        *cancellable,
                                                              GAsyncReadyCallback  callback,
                                                              gpointer             user_data);
char                   *sv_session_get_access_token_finish   (SvSession           *self,
                                                              GAsyncResult        *result,
                                                              GError             **error);
void                    sv_session_handle_unauthorized_async (SvSession           *self,
                                                              const char          *rejected_token,
                                                              GCancellable        *cancellable,
                                                              GAsyncReadyCallback  callback,
                                                              gpointer             user_data);
char                   *sv_session_handle_unauthorized_finish (SvSession          *self,
                                                               GAsyncResult       *result,
                                                               GError            **error);
void                    sv_session_sign_out_async            (SvSession           *self,
                                                              GCancellable        *cancellable,
                                                              GAsyncReadyCallback  callback,
                                                              gpointer             user_data);
gboolean                sv_session_sign_out_finish           (SvSession           *self,
                                                              GAsyncResult        *result,
                                                              GError             **error);
void                    sv_session_fetch_async               (SvSession           *self,
                                                              const char          *url,
                                                              GCancellable        *cancellable,
                                                              GAsyncReadyCallback  callback,
                                                              gpointer             user_data);
GBytes                 *sv_session_fetch_finish              (SvSession           *self,
                                                              GAsyncResult        *result,
                                                              guint               *status,
                                                              GError             **error);
gboolean                sv_session_is_same_origin            (SvSession           *self,
                                                              const char          *url);

SvServerProfile        *sv_session_get_profile               (SvSession           *self);
SoupSession            *sv_session_get_http                  (SvSession           *self);
gboolean                sv_session_is_signed_in              (SvSession           *self);
const char             *sv_session_get_fhir_user             (SvSession           *self);
const char             *sv_session_get_patient               (SvSession           *self);
SvPatientSource         sv_session_get_patient_source        (SvSession           *self);
const char             *sv_session_get_granted_scope         (SvSession           *self);
const char             *sv_session_get_asked_scope           (SvSession           *self);
char                  **sv_session_dup_missing_scopes        (SvSession           *self);
gint64                  sv_session_get_expires_at            (SvSession           *self);
const char             *sv_session_get_issuer                (SvSession           *self);
JsonObject             *sv_session_get_id_claims             (SvSession           *self);
JsonObject             *sv_session_dup_access_claims         (SvSession           *self);
gboolean                sv_session_can_search_patients       (SvSession           *self);
const char             *sv_patient_source_describe           (SvPatientSource      source);

G_END_DECLS
