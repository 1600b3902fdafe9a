/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-core"

#include "config.h"

#include "sv-authorization-request.h"

#include <glib/gi18n.h>
#include <string.h>

#include "sv-error.h"
#include "sv-random.h"

/**
 * SvAuthorizationRequest:
 *
 * One authorization request of the code flow (RFC 6749 §4.1) with PKCE
 * (RFC 7636) and its `state`, and the checks of the redirect that answers
 * it. One object per attempt: a new sign-in gets new secrets.
 */
struct _SvAuthorizationRequest
{
  GObject parent_instance;

  char *authorization_endpoint;
  char *client_id;
  char *redirect_uri;
  char *scope;
  char *aud;
  char *issuer;
  char *state;
  char *code_verifier;
  gboolean used;
};

G_DEFINE_FINAL_TYPE (SvAuthorizationRequest, sv_authorization_request, G_TYPE_OBJECT)

/* 32 bytes = 256 bits, well above the 128 bits asked for; as base64url it is
 * 43 characters, the minimum length RFC 7636 allows for a verifier. */
#define SECRET_BYTES 32

static void
sv_authorization_request_finalize (GObject *object)
{
  SvAuthorizationRequest *self = SV_AUTHORIZATION_REQUEST (object);

  g_free (self->authorization_endpoint);
  g_free (self->client_id);
  g_free (self->redirect_uri);
  g_free (self->scope);
  g_free (self->aud);
  g_free (self->issuer);
  if (self->state != NULL)
    explicit_bzero (self->state, strlen (self->state));
  g_free (self->state);
  if (self->code_verifier != NULL)
    explicit_bzero (self->code_verifier, strlen (self->code_verifier));
  g_free (self->code_verifier);

  G_OBJECT_CLASS (sv_authorization_request_parent_class)->finalize (object);
}

static void
sv_authorization_request_class_init (SvAuthorizationRequestClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sv_authorization_request_finalize;
}

static void
sv_authorization_request_init (SvAuthorizationRequest *self)
{
}

/**
 * sv_pkce_s256_challenge:
 * @verifier: a PKCE code verifier
 *
 * Returns: (transfer full): BASE64URL(SHA256(@verifier)), RFC 7636 §4.2
 */
char *
sv_pkce_s256_challenge (const char *verifier)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize length = sizeof digest;

  g_return_val_if_fail (verifier != NULL, NULL);

  g_checksum_update (checksum, (const guchar *) verifier, strlen (verifier));
  g_checksum_get_digest (checksum, digest, &length);

  return sv_base64url_encode (digest, length);
}

/**
 * sv_authorization_request_new:
 * @authorization_endpoint: the IdP's authorization endpoint
 * @client_id: the client id
 * @redirect_uri: the redirect URI exactly as registered
 * @scope: the scopes asked for, space-separated
 * @aud: the FHIR base URL, sent as `aud` so a token cannot be replayed
 *   against another server
 * @issuer: (nullable): the expected issuer, to check `iss` in the redirect
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): a request with fresh state and verifier
 */
SvAuthorizationRequest *
sv_authorization_request_new (const char  *authorization_endpoint,
                              const char  *client_id,
                              const char  *redirect_uri,
                              const char  *scope,
                              const char  *aud,
                              const char  *issuer,
                              GError     **error)
{
  g_autoptr(SvAuthorizationRequest) self = NULL;

  g_return_val_if_fail (authorization_endpoint != NULL, NULL);
  g_return_val_if_fail (client_id != NULL, NULL);
  g_return_val_if_fail (redirect_uri != NULL, NULL);
  g_return_val_if_fail (scope != NULL, NULL);
  g_return_val_if_fail (aud != NULL, NULL);

  self = g_object_new (SV_TYPE_AUTHORIZATION_REQUEST, NULL);
  self->authorization_endpoint = g_strdup (authorization_endpoint);
  self->client_id = g_strdup (client_id);
  self->redirect_uri = g_strdup (redirect_uri);
  self->scope = g_strdup (scope);
  self->aud = g_strdup (aud);
  self->issuer = g_strdup (issuer);

  self->state = sv_random_base64url (SECRET_BYTES, error);
  if (self->state == NULL)
    return NULL;
  self->code_verifier = sv_random_base64url (SECRET_BYTES, error);
  if (self->code_verifier == NULL)
    return NULL;

  return g_steal_pointer (&self);
}

const char *
sv_authorization_request_get_state (SvAuthorizationRequest *self)
{
  g_return_val_if_fail (SV_IS_AUTHORIZATION_REQUEST (self), NULL);
  return self->state;
}

const char *
sv_authorization_request_get_code_verifier (SvAuthorizationRequest *self)
{
  g_return_val_if_fail (SV_IS_AUTHORIZATION_REQUEST (self), NULL);
  return self->code_verifier;
}

const char *
sv_authorization_request_get_redirect_uri (SvAuthorizationRequest *self)
{
  g_return_val_if_fail (SV_IS_AUTHORIZATION_REQUEST (self), NULL);
  return self->redirect_uri;
}

const char *
sv_authorization_request_get_scope (SvAuthorizationRequest *self)
{
  g_return_val_if_fail (SV_IS_AUTHORIZATION_REQUEST (self), NULL);
  return self->scope;
}

static void
append_param (GString    *query,
              const char *name,
              const char *value)
{
  if (query->len > 0)
    g_string_append_c (query, '&');
  g_string_append_uri_escaped (query, name, NULL, FALSE);
  g_string_append_c (query, '=');
  g_string_append_uri_escaped (query, value, NULL, FALSE);
}

/**
 * sv_authorization_request_dup_url:
 * @self: a request
 *
 * Returns: (transfer full): the URL to open in the browser or web view
 */
char *
sv_authorization_request_dup_url (SvAuthorizationRequest *self)
{
  g_autoptr(GString) query = g_string_new (NULL);
  g_autofree char *challenge = NULL;
  const char *separator;

  g_return_val_if_fail (SV_IS_AUTHORIZATION_REQUEST (self), NULL);

  challenge = sv_pkce_s256_challenge (self->code_verifier);

  append_param (query, "response_type", "code");
  append_param (query, "client_id", self->client_id);
  append_param (query, "redirect_uri", self->redirect_uri);
  append_param (query, "scope", self->scope);
  append_param (query, "state", self->state);
  append_param (query, "aud", self->aud);
  append_param (query, "code_challenge", challenge);
  append_param (query, "code_challenge_method", "S256");

  /* Keep any query the endpoint already has (some IdPs put the tenant there). */
  separator = strchr (self->authorization_endpoint, '?') != NULL ? "&" : "?";

  return g_strconcat (self->authorization_endpoint, separator, query->str, NULL);
}

static gboolean
same_endpoint (GUri *a,
               GUri *b)
{
  const char *path_a = g_uri_get_path (a);
  const char *path_b = g_uri_get_path (b);

  return g_ascii_strcasecmp (g_uri_get_scheme (a), g_uri_get_scheme (b)) == 0 &&
         g_strcmp0 (g_uri_get_host (a), g_uri_get_host (b)) == 0 &&
         g_uri_get_port (a) == g_uri_get_port (b) &&
         g_strcmp0 (path_a, path_b) == 0;
}

/**
 * sv_authorization_request_is_redirect:
 * @self: a request
 * @uri: a URI a web view is about to load
 *
 * The embedded view calls this in `decide-policy` to catch the redirect
 * before it is loaded.
 *
 * Returns: %TRUE when @uri is addressed to our redirect URI
 */
gboolean
sv_authorization_request_is_redirect (SvAuthorizationRequest *self,
                                      const char             *uri)
{
  g_autoptr(GUri) expected = NULL;
  g_autoptr(GUri) actual = NULL;

  g_return_val_if_fail (SV_IS_AUTHORIZATION_REQUEST (self), FALSE);

  if (uri == NULL)
    return FALSE;

  expected = g_uri_parse (self->redirect_uri, G_URI_FLAGS_ENCODED, NULL);
  actual = g_uri_parse (uri, G_URI_FLAGS_ENCODED, NULL);

  return expected != NULL && actual != NULL && same_endpoint (expected, actual);
}

static char *
describe_idp_error (const char *code,
                    const char *description)
{
  const char *what;

  if (g_strcmp0 (code, "access_denied") == 0)
    what = _("Access was refused: you or the server declined the sign-in. Sign in again and allow access, or ask the server’s administrator for access.");
  else if (g_strcmp0 (code, "invalid_scope") == 0)
    what = _("The server does not accept the requested scopes. Change the scopes in the profile, or use “Check server” to pick supported ones.");
  else if (g_strcmp0 (code, "unauthorized_client") == 0 || g_strcmp0 (code, "invalid_client") == 0)
    what = _("The server does not know this client ID or does not allow it to sign in this way. Check the client ID and its allowed redirect URIs.");
  else if (g_strcmp0 (code, "invalid_request") == 0)
    what = _("The server rejected the sign-in request as invalid. Check the profile’s redirect URI and client ID.");
  else if (g_strcmp0 (code, "login_required") == 0 || g_strcmp0 (code, "interaction_required") == 0)
    what = _("The server needs you to sign in interactively. Sign in again.");
  else if (g_strcmp0 (code, "temporarily_unavailable") == 0 || g_strcmp0 (code, "server_error") == 0)
    what = _("The sign-in server had a problem. Try again in a moment.");
  else
    what = _("The sign-in server reported an error. Try again, or contact the server’s administrator.");

  if (description != NULL && *description != '\0')
    /* TRANSLATORS: the first %s is a sentence, the second the server's error code, the third its text */
    return g_strdup_printf (_("%s (%s: %s)"), what, code, description);

  return g_strdup_printf (_("%s (%s)"), what, code);
}

/**
 * sv_authorization_request_parse_redirect:
 * @self: a request
 * @uri: the redirect URI the IdP sent the browser to
 * @error: return location for an error
 *
 * Checks the redirect: that it is ours, that `state` matches (CSRF), that
 * `iss` names the expected issuer when the server sends one (RFC 9207, mix-up
 * attacks), and turns an `error` into a readable message. A request accepts
 * one redirect only: a replayed one is refused.
 *
 * Returns: (transfer full) (nullable): the authorization code
 */
char *
sv_authorization_request_parse_redirect (SvAuthorizationRequest  *self,
                                         const char              *uri,
                                         GError                 **error)
{
  g_autoptr(GUri) parsed = NULL;
  g_autoptr(GHashTable) params = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *query;
  const char *state;
  const char *iss;
  const char *code;
  const char *idp_error;

  g_return_val_if_fail (SV_IS_AUTHORIZATION_REQUEST (self), NULL);
  g_return_val_if_fail (uri != NULL, NULL);

  parsed = g_uri_parse (uri, G_URI_FLAGS_ENCODED, &local_error);
  if (parsed == NULL)
    {
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("The address the sign-in returned to is not a valid URL. Copy the whole address and try again."));
      return NULL;
    }

  if (!sv_authorization_request_is_redirect (self, uri))
    {
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("The sign-in returned to an unexpected address instead of “%s”. Check the redirect URI registered for this client."),
                   self->redirect_uri);
      return NULL;
    }

  query = g_uri_get_query (parsed);
  params = g_uri_parse_params (query ? query : "", -1, "&",
                               G_URI_PARAMS_WWW_FORM, &local_error);
  if (params == NULL)
    {
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("The address the sign-in returned to is malformed. Sign in again."));
      return NULL;
    }

  state = g_hash_table_lookup (params, "state");
  idp_error = g_hash_table_lookup (params, "error");

  /* Some IdPs drop `state` from error redirects; the error is still worth
   * showing since it carries no credential. */
  if (state == NULL && idp_error == NULL)
    {
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("The sign-in answer has no “state” value, so it cannot be matched to this sign-in. Sign in again."));
      return NULL;
    }

  if (state != NULL && g_strcmp0 (state, self->state) != 0)
    {
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("The sign-in answer does not belong to this sign-in (the “state” value differs). It may be a stale or forged redirect. Sign in again."));
      return NULL;
    }

  iss = g_hash_table_lookup (params, "iss");
  if (iss != NULL && self->issuer != NULL && g_strcmp0 (iss, self->issuer) != 0)
    {
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("The sign-in answer comes from “%s”, not from the expected server “%s”. Sign in again, and check the profile’s issuer."),
                   iss, self->issuer);
      return NULL;
    }

  if (idp_error != NULL)
    {
      g_autofree char *message = describe_idp_error (idp_error, g_hash_table_lookup (params, "error_description"));

      g_set_error_literal (error, SV_ERROR,
                           g_strcmp0 (idp_error, "access_denied") == 0 ? SV_ERROR_DENIED : SV_ERROR_PROTOCOL,
                           message);
      return NULL;
    }

  code = g_hash_table_lookup (params, "code");
  if (code == NULL || *code == '\0')
    {
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("The sign-in answer has no authorization code. Sign in again."));
      return NULL;
    }

  if (self->used)
    {
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("This sign-in was completed already. Start a new sign-in."));
      return NULL;
    }
  self->used = TRUE;

  return g_strdup (code);
}
