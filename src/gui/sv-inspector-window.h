/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sv-session.h"
#include "sv-timeline.h"

G_BEGIN_DECLS

#define SV_TYPE_INSPECTOR_WINDOW (sv_inspector_window_get_type ())

G_DECLARE_FINAL_TYPE (SvInspectorWindow, sv_inspector_window, SV, INSPECTOR_WINDOW, AdwWindow)

SvInspectorWindow *sv_inspector_window_new               (SvTimeline          *timeline);
void               sv_inspector_window_set_session       (SvInspectorWindow   *self,
                                                          SvSession           *session);
void               sv_inspector_window_set_picked_patient (SvInspectorWindow  *self,
                                                          const char          *patient_id);
GListModel        *sv_inspector_window_get_model         (SvInspectorWindow   *self);
gboolean           sv_inspector_window_get_replaying     (SvInspectorWindow   *self);
gboolean           sv_inspector_window_get_can_simulate  (SvInspectorWindow   *self);
void               sv_inspector_window_set_page          (SvInspectorWindow   *self,
                                                          const char          *name);
void               sv_inspector_window_select            (SvInspectorWindow   *self,
                                                          guint                position);
void               sv_inspector_window_export_async      (SvInspectorWindow   *self,
                                                          GFile               *file,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
gboolean           sv_inspector_window_export_finish     (SvInspectorWindow   *self,
                                                          GAsyncResult        *result,
                                                          GError             **error);
void               sv_inspector_window_import_async      (SvInspectorWindow   *self,
                                                          GFile               *file,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
gboolean           sv_inspector_window_import_finish     (SvInspectorWindow   *self,
                                                          GAsyncResult        *result,
                                                          GError             **error);

G_END_DECLS
