/* tls.c: the listener's certificate files, read with OpenSSL; see tls.h. */
#define G_LOG_DOMAIN "imsd.server"

#include "tls.h"

#include <gio/gio.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(BIO, BIO_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EVP_PKEY, EVP_PKEY_free)

/* OpenSSL's reason for the last failure on this thread (its queue is
 * emptied), or fallback when it has none.  Transfer full. */
static char *
openssl_reason(const char *fallback)
{
  unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0)
    return g_strdup(fallback);
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return g_strdup(text);
}

/* path opened for OpenSSL's PEM readers, or NULL with an error naming key
 * (the config key that gave path). */
static BIO *
open_file(const char *key, const char *path, GError **error)
{
  BIO *file = BIO_new_file(path, "r");
  if (!file) {
    g_autofree char *reason = openssl_reason("cannot be opened");
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "[server] %s %s cannot be read: %s", key,
                path, reason);
  }
  return file;
}

/* The first certificate in path, or NULL with an error. */
static X509 *
read_certificate(const char *path, GError **error)
{
  g_autoptr(BIO) file = open_file("tls_cert_file", path, error);
  if (!file)
    return NULL;
  X509 *certificate = PEM_read_bio_X509(file, NULL, NULL, NULL);
  if (!certificate) {
    g_autofree char *reason = openssl_reason("no certificate");
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                "[server] tls_cert_file %s holds no PEM certificate: %s", path, reason);
  }
  return certificate;
}

gboolean
ims_tls_check_files(const char *cert_file, const char *key_file, GError **error)
{
  g_autoptr(X509) certificate = read_certificate(cert_file, error);
  if (!certificate)
    return FALSE;
  g_autoptr(BIO) file = open_file("tls_key_file", key_file, error);
  if (!file)
    return FALSE;
  /* an empty passphrase: a key that asks for one is refused, not prompted */
  g_autoptr(EVP_PKEY) key = PEM_read_bio_PrivateKey(file, NULL, NULL, (void *) "");
  if (!key) {
    g_autofree char *reason = openssl_reason("no key");
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                "[server] tls_key_file %s holds no unencrypted PEM private key: %s", key_file,
                reason);
    return FALSE;
  }
  if (X509_check_private_key(certificate, key) != 1) {
    ERR_clear_error();
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                "[server] tls_key_file %s is not the private key of the certificate in %s",
                key_file, cert_file);
    return FALSE;
  }
  return TRUE;
}

char *
ims_tls_describe_certificate(const char *cert_file)
{
  g_autoptr(X509) certificate = read_certificate(cert_file, NULL);
  if (!certificate)
    return NULL;
  char subject[256];
  X509_NAME_oneline(X509_get_subject_name(certificate), subject, sizeof subject);
  struct tm expires = { 0 };
  char expires_text[32] = "?";
  if (ASN1_TIME_to_tm(X509_get0_notAfter(certificate), &expires) == 1)
    strftime(expires_text, sizeof expires_text, "%Y-%m-%d %H:%M:%S UTC", &expires);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  X509_digest(certificate, EVP_sha256(), digest, &digest_length);
  GString *fingerprint = g_string_new(NULL);
  for (unsigned int i = 0; i < digest_length; i++)
    g_string_append_printf(fingerprint, i ? ":%02X" : "%02X", digest[i]);
  char *text = g_strdup_printf("subject %s, expires %s, sha256 %s", subject, expires_text,
                               fingerprint->str);
  g_string_free(fingerprint, TRUE);
  return text;
}
