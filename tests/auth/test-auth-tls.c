/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-test"

#include "config.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <string.h>

#include "sv-discovery.h"
#include "sv-error.h"
#include "sv-http.h"
#include "sv-test-wait.h"

/* TLS is verified: an https server on 127.0.0.1 with a certificate nobody
 * vouches for must be refused before any request reaches it. (A separate
 * program because GnuTLS's threads trip LeakSanitizer's tracer.) */

/* A self-signed certificate for 127.0.0.1, made at test time. */
static GTlsCertificate *
new_self_signed_certificate (void)
{
  EVP_PKEY *key = EVP_EC_gen ("P-256");
  X509 *cert = X509_new ();
  X509_NAME *name;
  BIO *bio = BIO_new (BIO_s_mem ());
  BUF_MEM *mem = NULL;
  g_autofree char *pem = NULL;
  g_autoptr(GError) error = NULL;
  GTlsCertificate *certificate;

  g_assert_nonnull (key);
  X509_set_version (cert, 2);
  ASN1_INTEGER_set (X509_get_serialNumber (cert), 1);
  X509_gmtime_adj (X509_getm_notBefore (cert), 0);
  X509_gmtime_adj (X509_getm_notAfter (cert), 3600);
  X509_set_pubkey (cert, key);
  name = X509_get_subject_name (cert);
  X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_ASC, (const unsigned char *) "127.0.0.1", -1, -1, 0);
  X509_set_issuer_name (cert, name);
  g_assert_cmpint (X509_sign (cert, key, EVP_sha256 ()), >, 0);

  PEM_write_bio_X509 (bio, cert);
  PEM_write_bio_PrivateKey (bio, key, NULL, NULL, 0, NULL, NULL);
  BIO_get_mem_ptr (bio, &mem);
  pem = g_strndup (mem->data, mem->length);

  certificate = g_tls_certificate_new_from_pem (pem, -1, &error);
  g_assert_no_error (error);

  BIO_free (bio);
  X509_free (cert);
  EVP_PKEY_free (key);
  return certificate;
}

static void
on_tls_request (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  (*(guint *) user_data)++;
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, "{}", 2);
}

static void
test_discovery_tls_verified (void)
{
  g_autoptr(GTlsCertificate) certificate = new_self_signed_certificate ();
  g_autoptr(SoupServer) server = soup_server_new ("tls-certificate", certificate, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(SvDiscovery) discovery = NULL;
  g_autoptr(SvServerProfile) profile = sv_server_profile_new ("TLS");
  g_autoptr(SoupSession) http = sv_http_session_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  GSList *uris;
  guint requests = 0;

  soup_server_add_handler (server, NULL, on_tls_request, &requests, NULL);
  g_assert_true (soup_server_listen (server, address, SOUP_SERVER_LISTEN_HTTPS, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  url = g_strdup_printf ("https://127.0.0.1:%d/fhir", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  /* A certificate nobody vouches for is refused, with a reason. */
  sv_server_profile_set_fhir_base_url (profile, url);
  sv_server_profile_set_client_id (profile, "viewer");
  sv_discovery_fetch_async (profile, http, NULL, sv_test_store_result, &result);
  discovery = sv_discovery_fetch_finish (sv_test_wait (&result), &error);
  g_assert_null (discovery);
  g_assert_error (error, SV_ERROR, SV_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, "certificate"));
  g_assert_cmpuint (requests, ==, 0);
  soup_server_disconnect (server);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/auth/discovery/tls-verified", test_discovery_tls_verified);
  return g_test_run ();
}
