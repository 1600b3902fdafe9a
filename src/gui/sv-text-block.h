/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SV_TYPE_TEXT_BLOCK (sv_text_block_get_type ())

G_DECLARE_FINAL_TYPE (SvTextBlock, sv_text_block, SV, TEXT_BLOCK, GtkWidget)

GtkWidget  *sv_text_block_new               (int          lines);
void        sv_text_block_set_text          (SvTextBlock *self,
                                             const char  *text);
const char *sv_text_block_get_text          (SvTextBlock *self);
void        sv_text_block_set_strikethrough (SvTextBlock *self,
                                             gboolean     strikethrough);
gboolean    sv_text_block_get_strikethrough (SvTextBlock *self);

G_END_DECLS
