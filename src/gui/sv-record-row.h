/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SV_TYPE_RECORD_ROW (sv_record_row_get_type ())

G_DECLARE_FINAL_TYPE (SvRecordRow, sv_record_row, SV, RECORD_ROW, GtkWidget)

GtkWidget  *sv_record_row_new              (void);
void        sv_record_row_set_item         (SvRecordRow *self,
                                            GObject     *item,
                                            GObject     *record);
GObject    *sv_record_row_get_item         (SvRecordRow *self);
const char *sv_record_row_get_title        (SvRecordRow *self);
gboolean    sv_record_row_get_struck_through (SvRecordRow *self);
char       *sv_record_row_dup_badges       (SvRecordRow *self);
void        sv_record_row_show_details     (SvRecordRow *self);

G_END_DECLS
