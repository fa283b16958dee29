/* forward-rewrite.h: what an SFU changes in a publisher's RTP packet for one
 * subscriber (sender.h).
 *
 * Per packet: the SSRC and payload type become the sender's; the sequence
 * number becomes continuous per sender: out = in - first + base, where first
 * is the publisher's number of the first packet this sender forwarded (so
 * what the sender never forwarded leaves no gap) and base the sender's
 * random start; a packet from before first (a late retransmission) is
 * dropped.  Marker, timestamp, CSRCs, payload and padding are kept, so the
 * subscriber can order, retransmit and lip-sync exactly as the publisher
 * sent.  Header extensions: the subscriber's sdes:mid (its own mid for this
 * track, on every packet) and abs-send-time (copied from the publisher's
 * packet) under the subscriber's extmap ids, when it negotiated them; every
 * other element is dropped (the rest are ids the subscriber never agreed
 * to).  Written as a one-byte header (RFC 8285); an id above 14 is not
 * written.
 *
 * Lifecycle: init once per sender and track, then rewrite per packet.
 * Threads: none; the sender's loop thread.  Cost: a few dozen instructions
 * and one memcpy of the payload; no allocation (unit-tested in
 * tests/unit/test-rtx-buffer.c).
 */
#pragma once

#include <glib.h>

#include "rtp.h"

G_BEGIN_DECLS

#define IMS_FORWARD_MID_MAX 16

typedef struct {
  guint32 ssrc;                    /* the sender's */
  guint8 payload_type;             /* the subscriber's */
  guint8 in_mid_ext_id;            /* the publisher's extmap ids, 0: none */
  guint8 in_abs_send_time_ext_id;
  guint8 out_mid_ext_id;           /* the subscriber's, 0: not negotiated */
  guint8 out_abs_send_time_ext_id;
  char mid[IMS_FORWARD_MID_MAX + 1]; /* the subscriber's mid of this track */
  guint mid_length;
  /* sequence state */
  gboolean started;
  guint16 base;          /* the first outgoing number */
  guint64 first_in;      /* extended publisher number of the first forwarded packet */
  guint64 highest_in;    /* extended, the highest seen */
} ImsForwardRewrite;

/* Sets up rewrite for a sender: ssrc and payload_type its own, base its
 * first sequence number; mid (NULL: none, longer than IMS_FORWARD_MID_MAX:
 * not written) and the extension ids as above. */
void ims_forward_rewrite_init(ImsForwardRewrite *rewrite, guint32 ssrc, guint8 payload_type,
                              guint16 base, guint8 in_mid_ext_id, guint8 in_abs_send_time_ext_id,
                              guint8 out_mid_ext_id, guint8 out_abs_send_time_ext_id,
                              const char *mid);

/* Writes the subscriber's version of packet into out[0..out_size).  Returns
 * its length and sets *sequence to its sequence number; -EALREADY for a
 * packet from before the first forwarded one (dropped); -ENOSPC when
 * out_size is too small (nothing counted). */
int ims_forward_rewrite_packet(ImsForwardRewrite *rewrite, const ImsRtpPacket *packet, guint8 *out,
                               gsize out_size, guint16 *sequence);

G_END_DECLS
