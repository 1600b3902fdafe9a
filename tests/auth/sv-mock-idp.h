/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef enum
{
  MOCK_ID_TOKEN_GOOD,
  MOCK_ID_TOKEN_EXPIRED,
  MOCK_ID_TOKEN_WRONG_AUDIENCE,
  MOCK_ID_TOKEN_BAD_SIGNATURE,
  MOCK_ID_TOKEN_NONE,
} MockIdTokenMode;

/* An IdP and FHIR server in one SoupServer on 127.0.0.1, playing the parts
 * the sign-in tests need. Fields below "behaviour" may be changed between
 * requests; fields below "records" are what the tests assert on. */
typedef struct
{
  SoupServer *server;
  char *base;
  char *fhir_base;
  char *issuer;
  char *client_id;
  gpointer key;
  gpointer wrong_key;
  char *jwks;

  /* behaviour */
  guint discovery_status;
  gboolean discovery_plain_only;
  gboolean discovery_not_json;
  gboolean discovery_v2;
  guint token_status;
  gboolean patient_in_response;
  char *access_claim_name;
  char *id_claim_name;
  char *patient_id;
  MockIdTokenMode id_token_mode;
  gboolean refresh_invalid_grant;
  char *redirect_state;
  char *redirect_iss;
  char *redirect_error;
  gint64 expires_in;
  char *granted_scope;
  gboolean fhir_always_unauthorized;

  /* records */
  guint n_authorize;
  guint n_code_exchanges;
  guint n_refreshes;
  guint n_revocations;
  guint n_fhir;
  GHashTable *last_authorize;
  GPtrArray *secrets;
  GHashTable *codes;
  char *current_access;
  char *current_refresh;
  gboolean basic_auth_seen;
  char *basic_auth;
} SvMockIdp;

SvMockIdp *sv_mock_idp_new            (void);
void       sv_mock_idp_free           (SvMockIdp  *idp);
char      *sv_mock_idp_browse         (SvMockIdp  *idp,
                                       const char *authorize_url,
                                       GError    **error);
char      *sv_mock_idp_get_location   (const char *url,
                                       guint      *status);
gboolean   sv_mock_idp_text_has_secret (SvMockIdp *idp,
                                        const char *text,
                                        gsize       length);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvMockIdp, sv_mock_idp_free)

G_END_DECLS
