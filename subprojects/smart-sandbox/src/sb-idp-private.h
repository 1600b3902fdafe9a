/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sb-idp-private.h — state and helpers shared by the sb-idp*.c files. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "sb-context.h"
#include "sb-idp.h"

G_BEGIN_DECLS

#define SB_IDP_PENDING_LIFETIME_S   600       /* a sign-in page may stay open 10 min */
#define SB_IDP_CODE_KEEP_S          600       /* used codes are remembered for replay detection */
#define SB_IDP_OFFLINE_LIFETIME_S   (30 * 24 * 3600)
#define SB_IDP_ONLINE_LIFETIME_S    (8 * 3600)
#define SB_IDP_MAX_LOGIN_FAILURES   5
#define SB_IDP_MAX_PENDING          10000

/* An authorization request between the first GET and the code. */
typedef struct
{
  char *tx;              /* the opaque id in the pages' hidden field */
  char *client_id;
  char *redirect_uri;
  char *state;
  char *nonce;
  char *code_challenge;
  GPtrArray *scopes;     /* requested, validated, in request order */
  char *username;        /* set once the login succeeded */
  char *patient;         /* picked patient, or the patient user's own id */
  gboolean need_picker;
  guint failed_logins;
  gint64 created;        /* monotonic µs */
} SbPending;

/* One refresh-token family: every access and refresh token that descends
 * from one authorization (or one code redemption). */
typedef struct
{
  char *id;
  char *client_id;
  char *username;
  char *patient;
  char *scope;           /* granted scope, space-separated */
  char *sid;             /* the login session */
  char *nonce;
  gint64 auth_time;      /* wall clock, s */
  gint64 expires;        /* wall clock, s; 0 when no refresh token */
  gboolean offline;
  gboolean revoked;
  GHashTable *jtis;      /* jti → GINT64 exp of access tokens issued */
} SbFamily;

/* An authorization code, stored under the SHA-256 of its value. */
typedef struct
{
  SbFamily *family;      /* owns the grant; revoked if the code is replayed */
  char *redirect_uri;
  char *code_challenge;
  gint64 created;        /* monotonic µs */
  gboolean used;
} SbCode;

/* A refresh token, stored under the SHA-256 of its value. */
typedef struct
{
  SbFamily *family;
  gboolean rotated;      /* already exchanged: a second use is a replay */
} SbRefresh;

struct _SbIdp
{
  SbContext *ctx;
  gboolean cognito;

  char *issuer_path;
  char *auth_url, *auth_path;
  char *token_url, *token_path;
  char *jwks_url, *jwks_path;
  char *revoke_url, *revoke_path;
  char *userinfo_url, *userinfo_path;
  char *logout_url, *logout_path;
  char *introspect_url, *introspect_path;   /* keycloak only */
  char *discovery_path;

  GHashTable *pending;     /* tx → SbPending */
  GHashTable *codes;       /* sha256 hex → SbCode */
  GHashTable *refresh;     /* sha256 hex → SbRefresh */
  GHashTable *families;    /* id → SbFamily (owned) */
  GHashTable *revoked;     /* jti → GINT64 exp */
  guint code_lifetime;     /* s */
  gint64 last_purge;       /* monotonic µs */
};

/* sb-idp-util.c */
typedef struct
{
  GPtrArray *names;
  GPtrArray *values;
} SbForm;

SbForm     *sb_form_parse (const char *text, gssize len);
void        sb_form_free (SbForm *form);
const char *sb_form_get (SbForm *form, const char *name);
guint       sb_form_count (SbForm *form, const char *name);
/* The first name that appears more than once among names, or NULL. */
const char *sb_form_find_duplicate (SbForm *form, const char *const *names);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SbForm, sb_form_free)

SbForm     *sb_idp_request_query (SoupServerMessage *msg);
SbForm     *sb_idp_request_body (SoupServerMessage *msg);

char       *sb_idp_random_token (gsize n_bytes);   /* base64url of getrandom(2) bytes */
char       *sb_idp_sha256_hex (const char *text);
char       *sb_idp_base64url (const guint8 *data, gsize len);
gboolean    sb_idp_secret_equal (const char *a, const char *b);   /* constant time */
gboolean    sb_idp_peer_is_loopback (SoupServerMessage *msg);

typedef enum
{
  SB_SCOPE_INVALID,
  SB_SCOPE_OIDC,        /* openid, fhirUser, profile, email */
  SB_SCOPE_LAUNCH,      /* launch/patient */
  SB_SCOPE_REFRESH,     /* offline_access, online_access */
  SB_SCOPE_PATIENT,
  SB_SCOPE_USER,
  SB_SCOPE_SYSTEM
} SbScopeKind;

SbScopeKind sb_idp_scope_kind (const char *scope);
char       *sb_idp_scope_describe (const char *scope);
gboolean    sb_idp_scope_has (const char *scope_string, const char *scope);

gboolean    sb_idp_redirect_uri_allowed (SbIdp *idp, const char *client_id, const char *uri);
char       *sb_idp_add_query (const char *uri, ...) G_GNUC_NULL_TERMINATED;

/* 302 to an absolute URI, kept byte for byte (private-use schemes too). */
void        sb_idp_set_redirect (SoupServerMessage *msg, const char *location);
void        sb_idp_set_json (SoupServerMessage *msg, guint status, JsonNode *node);
void        sb_idp_set_oauth_error (SoupServerMessage *msg, guint status, const char *error,
                                    const char *description);
void        sb_idp_set_html (SoupServerMessage *msg, guint status, SbIdp *idp,
                             const char *title, const char *body_html);
void        sb_idp_emit (SbIdp *idp, const char *kind, JsonObject *fields);
const char *sb_idp_flavor_name (SbIdp *idp);

/* sb-idp.c */
SbFamily   *sb_idp_family_new (SbIdp *idp, const char *client_id, const char *username,
                               const char *patient, const char *scope, const char *sid,
                               const char *nonce);
void        sb_idp_family_revoke (SbIdp *idp, SbFamily *family, const char *why);
char       *sb_idp_user_string (SbIdp *idp, const char *username, const char *key);
void        sb_idp_purge (SbIdp *idp);

/* sb-idp-flow.c */
void        sb_idp_handle_authorize (SoupServer *server, SoupServerMessage *msg,
                                     const char *path, GHashTable *query, gpointer user_data);
void        sb_idp_pending_free (SbPending *pending);
void        sb_idp_code_free (SbCode *code);

G_END_DECLS
