/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * SvScopeAccess:
 * @SV_SCOPE_ACCESS_READ: reading one resource by id (v1 `read`, v2 `r`)
 * @SV_SCOPE_ACCESS_SEARCH: searching (v1 `read`, v2 `s`)
 */
typedef enum
{
  SV_SCOPE_ACCESS_READ,
  SV_SCOPE_ACCESS_SEARCH,
} SvScopeAccess;

gboolean sv_scope_allows (const char    *granted_scope,
                          const char    *resource_type,
                          SvScopeAccess  access);

char   **sv_scope_dup_missing (const char *asked_scope,
                               const char *granted_scope);

G_END_DECLS
