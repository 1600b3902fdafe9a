/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-core"

#include "config.h"

#include "sv-error.h"

G_DEFINE_QUARK (sv-error-quark, sv_error)
