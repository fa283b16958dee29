/* fuzz-transport-remote.c: libFuzzer target for the remote description checks of
 * pipelines/ingest/transport.c (ims_transport_set_remote(): ice-ufrag, ice-pwd, the
 * a=fingerprint value and a=setup, as they come out of an offer).
 *
 * Input: text lines "ufrag\npwd\nfingerprint\nsetup" (setup: actpass, active, passive, anything
 * else is an unknown value).  ims_transport_set_remote() must never crash; it accepts or refuses
 * with IMS_TRANSPORT_ERROR_INVALID_ARGUMENT and a message; an accepted description gives the answer
 * the opposite DTLS role.  No remote candidate is ever added, so the transport sends nothing
 * anywhere (ICE checks need remote candidates).  A transport whose description was accepted is
 * closed and replaced.
 */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media-loop.h"
#include "transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const ImsTransportCallbacks no_callbacks = { 0 };

static ImsDtlsSetup
setup_from_text(const char *text)
{
  if (text == NULL)
    return (ImsDtlsSetup) 99;
  if (strcmp(text, "actpass") == 0)
    return IMS_DTLS_SETUP_ACTPASS;
  if (strcmp(text, "active") == 0)
    return IMS_DTLS_SETUP_ACTIVE;
  if (strcmp(text, "passive") == 0)
    return IMS_DTLS_SETUP_PASSIVE;
  return (ImsDtlsSetup) (100 + (text[0] & 0x7f));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static ImsMediaLoops *loops;
  static ImsTransport *transport;
  if (loops == NULL) {
    g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL);
    loops = ims_media_loops_new(1, NULL);
  }
  if (transport == NULL) {
    g_autoptr(GError) error = NULL;
    transport = ims_transport_new(ims_media_loops_acquire(loops), "fuzz", &no_callbacks, NULL,
                                  &error);
    if (transport == NULL)
      abort();
  }
  g_autofree char *text = g_strndup(size > 0 ? (const char *) data : "", size);
  g_auto(GStrv) lines = g_strsplit(text, "\n", 5);
  guint n = g_strv_length(lines);
  const char *ufrag = n > 0 ? lines[0] : NULL;
  const char *pwd = n > 1 ? lines[1] : NULL;
  const char *fingerprint = n > 2 ? lines[2] : NULL;
  ImsDtlsSetup setup = setup_from_text(n > 3 ? lines[3] : NULL);

  g_autoptr(GError) error = NULL;
  if (!ims_transport_set_remote(transport, ufrag, pwd, fingerprint, setup, &error)) {
    if (!g_error_matches(error, IMS_TRANSPORT_ERROR, IMS_TRANSPORT_ERROR_INVALID_ARGUMENT) ||
        error->message[0] == '\0')
      abort();
    return 0;
  }
  const char *answer = ims_transport_get_local_setup(transport);
  if (strcmp(answer, setup == IMS_DTLS_SETUP_ACTIVE ? "passive" : "active") != 0)
    abort();
  ims_transport_close(transport);
  transport = NULL;
  return 0;
}
