/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include <libsoup/soup.h>

#include "sv-server-profile.h"
#include "sv-session.h"
#include "sv-timeline.h"
#include "sv-token-store.h"

G_BEGIN_DECLS

#define SV_TYPE_SIGN_IN_FLOW (sv_sign_in_flow_get_type ())

G_DECLARE_FINAL_TYPE (SvSignInFlow, sv_sign_in_flow, SV, SIGN_IN_FLOW, GObject)

SvSignInFlow *sv_sign_in_flow_new                (SvServerProfile     *profile,
                                                  SoupSession         *http,
                                                  SvTokenStore        *store,
                                                  GtkWindow           *parent);
void          sv_sign_in_flow_run_async          (SvSignInFlow        *self,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
SvSession    *sv_sign_in_flow_run_finish         (SvSignInFlow        *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);
void          sv_sign_in_flow_set_try_restore    (SvSignInFlow        *self,
                                                  gboolean             try_restore);
gboolean      sv_sign_in_flow_offer_redirect     (SvSignInFlow        *self,
                                                  const char          *uri);
const char   *sv_sign_in_flow_get_authorization_url (SvSignInFlow     *self);
GtkWindow    *sv_sign_in_flow_get_sign_in_window (SvSignInFlow        *self);
void          sv_sign_in_flow_set_timeline       (SvSignInFlow        *self,
                                                  SvTimeline          *timeline);

G_END_DECLS
