/* tls.h: the listener's certificate files ([server] tls_cert_file,
 * tls_key_file), checked before libwebsockets is given them.
 *
 * libwebsockets loads the files itself (at context creation and, on SIGHUP,
 * through lws_tls_cert_updated(): daemon.c) but says little when they are
 * wrong, and a half-loaded pair on reload would leave the listener with a
 * certificate and no matching key.  So both paths read the pair here first:
 * only a pair that parses and matches is handed on.
 *
 * Threading: any thread; no state.  Every call reads the two files (a few
 * kB, the local disk) and does not otherwise wait.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Reads the PEM certificate (the first certificate of cert_file; the rest
 * of the file is its chain) and the PEM private key of key_file, and checks
 * that the key is the certificate's.  FALSE with a G_IO_ERROR naming the
 * file and what is wrong (cannot be read, no PEM certificate / key in it,
 * the key is not the certificate's) otherwise. */
gboolean ims_tls_check_files(const char *cert_file, const char *key_file, GError **error);

/* A one-line description of cert_file's first certificate for the log:
 * "subject CN=..., expires 2027-01-01 00:00:00 UTC, sha256 AB:CD:..".
 * NULL if it cannot be read.  Transfer full. */
char *ims_tls_describe_certificate(const char *cert_file);

G_END_DECLS
