/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-core"

#include "config.h"

#include "sv-token-response.h"

#include <glib/gi18n.h>
#include <string.h>

#include "sv-error.h"
#include "sv-http.h"
#include "sv-jwt.h"
#include "sv-scope.h"

/**
 * SvTokenResponse:
 *
 * A checked answer of the token endpoint. It keeps the scope that was asked
 * for beside the granted one, since servers may grant less and the user
 * should see what is missing.
 */
struct _SvTokenResponse
{
  GObject parent_instance;

  char *access_token;
  char *refresh_token;
  char *id_token;
  gint64 expires_at;
  char *granted_scope;
  char *asked_scope;
  char *patient;
  char *encounter;
};

G_DEFINE_FINAL_TYPE (SvTokenResponse, sv_token_response, G_TYPE_OBJECT)

/* When a server sends no lifetime and the token is opaque, assume a short
 * one: refreshing too early is harmless, using an expired token is not. */
#define FALLBACK_LIFETIME_SECONDS 300

static void
free_secret (char **secret)
{
  if (*secret != NULL)
    explicit_bzero (*secret, strlen (*secret));
  g_clear_pointer (secret, g_free);
}

static void
sv_token_response_finalize (GObject *object)
{
  SvTokenResponse *self = SV_TOKEN_RESPONSE (object);

  free_secret (&self->access_token);
  free_secret (&self->refresh_token);
  free_secret (&self->id_token);
  g_free (self->granted_scope);
  g_free (self->asked_scope);
  g_free (self->patient);
  g_free (self->encounter);

  G_OBJECT_CLASS (sv_token_response_parent_class)->finalize (object);
}

static void
sv_token_response_class_init (SvTokenResponseClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sv_token_response_finalize;
}

static void
sv_token_response_init (SvTokenResponse *self)
{
}

/**
 * sv_token_response_new_from_json:
 * @object: the parsed token endpoint answer
 * @asked_scope: (nullable): the scope that was asked for
 * @now: the current time, seconds since the epoch
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the response, or %NULL when it lacks
 *   a Bearer access token or has a nonsensical lifetime
 */
SvTokenResponse *
sv_token_response_new_from_json (JsonObject  *object,
                                 const char  *asked_scope,
                                 gint64       now,
                                 GError     **error)
{
  g_autoptr(SvTokenResponse) self = g_object_new (SV_TYPE_TOKEN_RESPONSE, NULL);
  const char *token_type = sv_json_get_string (object, "token_type");
  const char *scope = sv_json_get_string (object, "scope");
  gint64 expires_in;

  self->access_token = g_strdup (sv_json_get_string (object, "access_token"));
  if (self->access_token == NULL)
    {
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("The sign-in server answered without an access token. Sign in again, or ask the server’s administrator."));
      return NULL;
    }

  if (token_type == NULL || g_ascii_strcasecmp (token_type, "Bearer") != 0)
    {
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("The sign-in server issued a token of type “%s”; SMART Viewer can only use Bearer tokens. Ask the server’s administrator."),
                   token_type ? token_type : "?");
      return NULL;
    }

  if (json_object_has_member (object, "expires_in"))
    {
      if (!sv_json_get_int (object, "expires_in", &expires_in) || expires_in <= 0)
        {
          g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                       _("The sign-in server sent an invalid token lifetime (“expires_in”). Ask the server’s administrator."));
          return NULL;
        }
    }
  else
    {
      g_autoptr(JsonObject) claims = sv_jwt_decode_claims (self->access_token, NULL);
      gint64 exp;

      if (claims != NULL && sv_json_get_int (claims, "exp", &exp) && exp > now)
        expires_in = exp - now;
      else
        expires_in = FALLBACK_LIFETIME_SECONDS;
    }
  self->expires_at = now + expires_in;

  self->refresh_token = g_strdup (sv_json_get_string (object, "refresh_token"));
  self->id_token = g_strdup (sv_json_get_string (object, "id_token"));
  self->asked_scope = g_strdup (asked_scope);
  if (scope == NULL)
    {
      /* Amazon Cognito never puts the scope in the token response, yet its
       * consent may have narrowed it; its access tokens are JWTs that say
       * what was granted. Only for showing and for hiding what cannot be
       * fetched: the server still decides. */
      g_autoptr(JsonObject) claims = sv_jwt_decode_claims (self->access_token, NULL);
      const char *claimed = claims != NULL ? sv_json_get_string (claims, "scope") : NULL;

      if (claimed != NULL)
        self->granted_scope = g_strdup (claimed);
    }
  /* RFC 6749 §5.1: an absent scope means it is the one asked for. */
  if (self->granted_scope == NULL)
    self->granted_scope = g_strdup (scope ? scope : asked_scope);
  self->patient = g_strdup (sv_json_get_string (object, "patient"));
  self->encounter = g_strdup (sv_json_get_string (object, "encounter"));

  return g_steal_pointer (&self);
}

const char *
sv_token_response_get_access_token (SvTokenResponse *self)
{
  g_return_val_if_fail (SV_IS_TOKEN_RESPONSE (self), NULL);
  return self->access_token;
}

const char *
sv_token_response_get_refresh_token (SvTokenResponse *self)
{
  g_return_val_if_fail (SV_IS_TOKEN_RESPONSE (self), NULL);
  return self->refresh_token;
}

const char *
sv_token_response_get_id_token (SvTokenResponse *self)
{
  g_return_val_if_fail (SV_IS_TOKEN_RESPONSE (self), NULL);
  return self->id_token;
}

gint64
sv_token_response_get_expires_at (SvTokenResponse *self)
{
  g_return_val_if_fail (SV_IS_TOKEN_RESPONSE (self), 0);
  return self->expires_at;
}

const char *
sv_token_response_get_granted_scope (SvTokenResponse *self)
{
  g_return_val_if_fail (SV_IS_TOKEN_RESPONSE (self), NULL);
  return self->granted_scope;
}

const char *
sv_token_response_get_asked_scope (SvTokenResponse *self)
{
  g_return_val_if_fail (SV_IS_TOKEN_RESPONSE (self), NULL);
  return self->asked_scope;
}

const char *
sv_token_response_get_patient (SvTokenResponse *self)
{
  g_return_val_if_fail (SV_IS_TOKEN_RESPONSE (self), NULL);
  return self->patient;
}

const char *
sv_token_response_get_encounter (SvTokenResponse *self)
{
  g_return_val_if_fail (SV_IS_TOKEN_RESPONSE (self), NULL);
  return self->encounter;
}

/**
 * sv_token_response_dup_missing_scopes:
 * @self: a response
 *
 * Returns: (transfer full): the scopes asked for and not granted
 */
char **
sv_token_response_dup_missing_scopes (SvTokenResponse *self)
{
  g_return_val_if_fail (SV_IS_TOKEN_RESPONSE (self), NULL);

  return sv_scope_dup_missing (self->asked_scope, self->granted_scope);
}
