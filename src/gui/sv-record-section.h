/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "sv-patient-record.h"

G_BEGIN_DECLS

#define SV_TYPE_RECORD_SECTION (sv_record_section_get_type ())

G_DECLARE_FINAL_TYPE (SvRecordSection, sv_record_section, SV, RECORD_SECTION, GtkWidget)

void         sv_record_section_set_record      (SvRecordSection *self,
                                                SvPatientRecord *record,
                                                SvSection        section);
void         sv_record_section_set_filter_text (SvRecordSection *self,
                                                const char      *text);
void         sv_record_section_set_show_inactive (SvRecordSection *self,
                                                gboolean         show);
GtkListView *sv_record_section_get_list_view   (SvRecordSection *self);
GListModel  *sv_record_section_get_shown       (SvRecordSection *self);
const char  *sv_record_section_get_page        (SvRecordSection *self);
gboolean     sv_record_section_get_settled     (SvRecordSection *self);
const char  *sv_record_section_get_status      (SvRecordSection *self);
const char  *sv_record_section_get_empty_title (SvRecordSection *self);
const char  *sv_record_section_get_notice      (SvRecordSection *self);
guint        sv_record_section_get_n_inactive  (SvRecordSection *self);
gboolean     sv_record_section_select_item     (SvRecordSection *self,
                                                const char      *id);

G_END_DECLS
