/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void sv_memory_trim_later (guint delay_ms);

G_END_DECLS
