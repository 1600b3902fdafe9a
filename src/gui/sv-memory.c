/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-memory"

#include "config.h"

#include "sv-memory.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

/* glibc's malloc keeps what the worker threads free (parsed JSON, response
 * bodies) and what WebKit frees when the sign-in window closes in its
 * arenas, resident, until something asks for it back: after those two
 * moments it is asked, from a low-priority source so that it never
 * competes with a frame. */

static guint trim_id;

static gboolean
trim (gpointer user_data)
{
  trim_id = 0;
#ifdef __GLIBC__
  malloc_trim (0);
#endif

  return G_SOURCE_REMOVE;
}

/**
 * sv_memory_trim_later:
 * @delay_ms: how long to wait
 *
 * Returns the memory malloc holds free to the system after @delay_ms, once
 * even when asked several times in that interval.
 */
void
sv_memory_trim_later (guint delay_ms)
{
  g_clear_handle_id (&trim_id, g_source_remove);
  trim_id = g_timeout_add_full (G_PRIORITY_LOW, delay_ms, trim, NULL, NULL);
  g_source_set_name_by_id (trim_id, "[sv] malloc_trim");
}
