/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sb-context.h — the state shared by every module of smart-sandbox.
 *
 * One SbContext exists per process; it is created by sb-main.c and handed to
 * the IdP, FHIR and Lambda modules.  Strings are owned by the context. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  SB_FLAVOR_KEYCLOAK,
  SB_FLAVOR_COGNITO
} SbFlavor;

typedef struct _SbStore SbStore;     /* sb-store.h */
typedef struct _SbEvents SbEvents;   /* sb-events.h */
typedef struct _SbFaults SbFaults;   /* sb-faults.h */
typedef struct _SbKeys SbKeys;       /* sb-keys.h */
typedef struct _SbIdp SbIdp;         /* sb-idp.h */

typedef struct
{
  SbFlavor flavor;
  char *root_url;        /* e.g. "http://127.0.0.1:8400" (no trailing slash) */
  char *issuer;          /* keycloak: root/realms/smart ; cognito: root/cognito/<pool-id> */
  char *fhir_base;       /* root/datastore/<32 hex>/r4/  (with trailing slash) */
  char *datastore_id;    /* 32 hex */
  char *data_dir;
  char *public_client_id;       /* "smart-viewer" */
  char *backend_client_id;      /* confidential client for client_credentials, e.g. "smart-backend" */
  char *backend_client_secret;  /* generated per data dir, stored in data_dir config; printed in the table */
  char *external_issuer;        /* NULL unless --external-issuer */
  char *external_client_id;
  guint token_lifetime;  /* seconds, default 300 */
  GKeyFile *users;       /* data_dir/sandbox.ini: [user:clinician] password=demo fhirUser=Practitioner/… ;
                            [user:patient] password=demo fhirUser=Patient/… patient=<id> */
  SbStore *store;
  SbEvents *events;
  SbFaults *faults;
  SbKeys *keys;
  SbIdp *idp;
} SbContext;

G_END_DECLS
