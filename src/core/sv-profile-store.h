/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "sv-server-profile.h"

G_BEGIN_DECLS

#define SV_TYPE_PROFILE_STORE (sv_profile_store_get_type ())

G_DECLARE_FINAL_TYPE (SvProfileStore, sv_profile_store, SV, PROFILE_STORE, GObject)

SvProfileStore  *sv_profile_store_new            (const char      *path);
const char      *sv_profile_store_get_path       (SvProfileStore  *self);
gboolean         sv_profile_store_load           (SvProfileStore  *self,
                                                  GError         **error);
gboolean         sv_profile_store_save           (SvProfileStore  *self,
                                                  GError         **error);
GPtrArray       *sv_profile_store_list           (SvProfileStore  *self);
SvServerProfile *sv_profile_store_lookup         (SvProfileStore  *self,
                                                  const char      *name);
gboolean         sv_profile_store_add            (SvProfileStore  *self,
                                                  SvServerProfile *profile,
                                                  gboolean         replace,
                                                  GError         **error);
gboolean         sv_profile_store_remove         (SvProfileStore  *self,
                                                  const char      *name,
                                                  GError         **error);
const char      *sv_profile_store_get_last_used  (SvProfileStore  *self);
void             sv_profile_store_set_last_used  (SvProfileStore  *self,
                                                  const char      *name);
SvServerProfile *sv_profile_store_choose         (SvProfileStore  *self,
                                                  const char      *name,
                                                  GError         **error);

G_END_DECLS
