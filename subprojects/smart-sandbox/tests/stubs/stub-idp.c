/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Stand-in for src/sb-idp.c while it is being written. */
#define G_LOG_DOMAIN "smart-sandbox"
#include "config.h"
#include "sb-idp.h"
#include "sb-context.h"

struct _SbIdp { SbContext *ctx; };

SbIdp *
sb_idp_new (SbContext *ctx)
{
  SbIdp *idp = g_new0 (SbIdp, 1);
  idp->ctx = ctx;
  return idp;
}

void
sb_idp_register (SbIdp *idp, SoupServer *server)
{
}

JsonObject *
sb_idp_smart_configuration (SbIdp *idp)
{
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "issuer", idp->ctx->issuer);
  return o;
}

void
sb_idp_free (SbIdp *idp)
{
  g_free (idp);
}

const char *
sb_idp_authorization_endpoint (SbIdp *idp)
{
  return "";
}

const char *
sb_idp_token_endpoint (SbIdp *idp)
{
  return "";
}

const char *
sb_idp_jwks_uri (SbIdp *idp)
{
  return "";
}

const char *const *
sb_idp_public_redirect_uris (void)
{
  static const char *const uris[] = { NULL };
  return uris;
}
