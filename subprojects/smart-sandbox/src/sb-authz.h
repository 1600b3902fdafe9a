/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sb-authz.h — enforcing the validator's authPayload the way HealthLake does.
 *
 * The validator only says who the caller is and which scopes it holds; the
 * data store decides what a request may touch: the interaction and type
 * (v1 and v2 scopes), the patient compartment for patient/ scopes and the
 * fine-grained rules for user/ scopes. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "sb-context.h"

G_BEGIN_DECLS

typedef enum
{
  SB_INTERACTION_READ,
  SB_INTERACTION_SEARCH
} SbInteraction;

typedef enum
{
  SB_SCOPE_PATIENT,
  SB_SCOPE_USER,
  SB_SCOPE_SYSTEM
} SbScopeContext;

enum
{
  SB_PERM_C = 1 << 0,
  SB_PERM_R = 1 << 1,
  SB_PERM_U = 1 << 2,
  SB_PERM_D = 1 << 3,
  SB_PERM_S = 1 << 4
};

typedef struct
{
  SbScopeContext context;
  char          *type;    /* "*" or a resource type */
  guint          perms;   /* SB_PERM_* */
  gboolean       v2;
  char          *query;   /* v2.2 "param=value&…" or NULL */
} SbScope;

/* Parses one SMART resource scope (v1, v2 or v2.2); FALSE for anything else. */
gboolean sb_scope_parse (const char *text, SbScope *scope);
void     sb_scope_clear (SbScope *scope);

typedef struct
{
  guint      status;        /* 0 when allowed, else 401 or 403 */
  char      *message;       /* why, for the OperationOutcome (never a token) */
  char      *granted_by;    /* the scope(s) that allowed it */
  gboolean   unrestricted;  /* no patient filter applies */
  GPtrArray *patients;      /* allowed patient ids when restricted */
} SbAuthzDecision;

/* Checks the Lambda answer itself: authPayload present, isAuthorized,
 * exp/nbf against the clock, aud equal to the data store base.  On failure
 * *reason says what was wrong. */
gboolean sb_authz_check_response (SbContext *ctx, JsonObject *response, char **reason);

/* Decides whether the payload's scopes allow interaction on type.  params
 * are the search parameters (name, value pairs flattened) for v2.2 query
 * scopes; may be NULL. */
void     sb_authz_decide (SbContext        *ctx,
                          JsonObject       *auth_payload,
                          const char       *type,
                          SbInteraction     interaction,
                          GPtrArray        *params,
                          SbAuthzDecision  *out);
gboolean sb_authz_patient_allowed (const SbAuthzDecision *d, const char *patient_id);
void     sb_authz_decision_clear (SbAuthzDecision *d);

/* TRUE for types whose instances belong to a patient compartment. */
gboolean sb_authz_type_in_compartment (const char *type);

G_END_DECLS
