/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sb-faults.h — fault injection switches set through /_sandbox/faults.
 *
 * POST /_sandbox/faults with a JSON object sets (merges) switches, GET
 * returns them, DELETE clears them; loopback peers only.  Keys:
 *   token_error: "server_error"  token_error_status: 500   (one-shot)
 *   refresh_invalid_grant: true                              (one-shot)
 *   token_lifetime: N             (0 = none)
 *   validator_delay_ms: N
 *   throttle_every: N             (429 on every Nth search, Retry-After)
 *   retry_after: S                (default 1)
 *   error_500_type: "Observation" (500 for searches/reads of that type)
 *   foreign_next_link: true       (next links point at another origin)
 *   truncated_json: true          (one-shot: next FHIR body is cut short)
 *   expire_access_tokens: true    (action: every access token issued so far
 *                                  is answered as expired from now on)
 *   revoke_sessions: true         (action: the IdP revokes every live
 *                                  refresh-token family) */
#pragma once

#include <glib.h>
#include <libsoup/soup.h>

#include "sb-context.h"

G_BEGIN_DECLS

SbFaults *sb_faults_new (void);
void      sb_faults_free (SbFaults *faults);
void      sb_faults_register (SbFaults *faults, SoupServer *server);
/* Sets switches from a [faults] group of a key file (the same keys as the
 * JSON API), so a demo can start with faults on.  FALSE on a bad key. */
gboolean  sb_faults_load_keyfile (SbFaults *faults, GKeyFile *kf, GError **error);

/* Token side (called by the IdP).  Returns TRUE (once) when the next token
 * call must fail; *error_code / *http_status are set then. */
gboolean sb_faults_token_error (SbFaults *faults, const char **error_code, guint *http_status);
gboolean sb_faults_refresh_invalid_grant (SbFaults *faults);
guint    sb_faults_token_lifetime_override (SbFaults *faults);   /* 0 = none */

/* FHIR side. */
guint    sb_faults_validator_delay_ms (SbFaults *faults);
/* TRUE when this search must be answered 429; *retry_after gets seconds. */
gboolean sb_faults_throttle_search (SbFaults *faults, guint *retry_after);
gboolean sb_faults_error_500_for_type (SbFaults *faults, const char *type);
gboolean sb_faults_foreign_next_link (SbFaults *faults);
gboolean sb_faults_truncate_json (SbFaults *faults);                 /* one-shot */

/* The two actions need the sandbox's own IdP, which registers them (it is
 * off with --external-issuer, and then the keys are refused).  Each returns
 * how many access tokens / sessions it touched. */
typedef guint (*SbFaultsAction) (gpointer data);
void     sb_faults_set_idp_actions (SbFaults *faults, SbFaultsAction expire_access_tokens,
                                    SbFaultsAction revoke_sessions, gpointer data);
/* Called by the expire action for each live access token; exp is its own
 * expiry (wall clock, s), after which the entry is dropped. */
void     sb_faults_expire_access_token (SbFaults *faults, const char *jti, gint64 exp);
/* FHIR side: whether any token was expired early, and whether this one was. */
gboolean sb_faults_has_expired_access_tokens (SbFaults *faults);
gboolean sb_faults_access_token_expired (SbFaults *faults, const char *jti);

G_END_DECLS
