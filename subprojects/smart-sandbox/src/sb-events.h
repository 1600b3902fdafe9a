/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sb-events.h — the /_sandbox/events JSON-lines stream.
 *
 * Kinds: authorize, login, consent, token-issued (claims only), token-error,
 * refresh, revoke, expire, validator-invocation, fhir-request.  Never put a token,
 * signature, code, verifier or secret into the fields. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "sb-context.h"

G_BEGIN_DECLS

SbEvents *sb_events_new (void);
void      sb_events_free (SbEvents *events);
/* Adds "time" and "kind" and sends one JSON line to every connected
 * GET /_sandbox/events client.  fields may be NULL. */
void      sb_events_emit (SbEvents *events, const char *kind, JsonObject *fields /* transfer full */);
/* Registers GET /_sandbox/events (loopback peers only). */
void      sb_events_register (SbEvents *events, SoupServer *server);

G_END_DECLS

G_BEGIN_DECLS
/* TRUE when the peer of msg is a loopback address (hooks are loopback-only). */
gboolean  sb_peer_is_loopback (SoupServerMessage *msg);
/* Number of connected stream clients (for tests and the table). */
guint     sb_events_n_clients (SbEvents *events);
G_END_DECLS
