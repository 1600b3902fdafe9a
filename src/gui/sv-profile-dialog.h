/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <libsoup/soup.h>

#include "sv-profile-store.h"

G_BEGIN_DECLS

#define SV_TYPE_PROFILE_DIALOG (sv_profile_dialog_get_type ())

G_DECLARE_FINAL_TYPE (SvProfileDialog, sv_profile_dialog, SV, PROFILE_DIALOG, AdwWindow)

GtkWidget       *sv_profile_dialog_new          (GtkWindow       *parent,
                                                 SvProfileStore  *store,
                                                 SoupSession     *http,
                                                 SvServerProfile *profile);
SvServerProfile *sv_profile_dialog_dup_profile  (SvProfileDialog *self,
                                                 GError         **error);
void             sv_profile_dialog_set_preset   (SvProfileDialog *self,
                                                 SvPreset         preset);

G_END_DECLS
