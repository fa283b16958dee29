/* fuzz-forward.c: libFuzzer target for pipelines/ingest/forward-rewrite.c and rtx-buffer.c: a
 * publisher's packets (untrusted) rewritten for a subscriber.
 *
 * Input: 4 bytes of setup (the publisher's mid and abs-send-time extmap ids, the subscriber's
 * ids, each 0..15, two per byte; the sequence base, whose low byte also gives the mid's length),
 * then records of [length (2 bytes, big endian), packet].  Every record that parses as RTP is rewritten: the result must
 * parse as RTP, carry the sender's SSRC and payload type and the publisher's marker, timestamp,
 * CSRCs, payload and padding byte for byte, have the X bit exactly when it carries an extension
 * the subscriber negotiated, and fit its buffer; the first packet's sequence number must be
 * base, and a packet is dropped as too old only after the first.  Each rewritten packet is kept in an
 * rtx buffer and must be found there, as written, until 512 later numbers overwrite its slot.
 */
#include <errno.h>
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "forward-rewrite.h"
#include "rtp.h"
#include "rtx-buffer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_rewrite(ImsForwardRewrite *rewrite, ImsRtxBuffer *rtx, const ImsRtpPacket *in, gint64 now)
{
  guint8 out[IMS_RTX_BUFFER_PACKET_MAX + 64];
  guint16 sequence = 0;
  gboolean first = !rewrite->started;
  int length = ims_forward_rewrite_packet(rewrite, in, out, sizeof out, &sequence);
  if (length == -ENOSPC || length == -EALREADY) {
    if (length == -EALREADY && first)
      abort(); /* the first packet is never from before itself */
    return;
  }
  if (length < 0 || (gsize) length > sizeof out)
    abort();
  ImsRtpPacket result;
  if (ims_rtp_parse(out, (gsize) length, &result) < 0)
    abort();
  if (result.ssrc != rewrite->ssrc || result.payload_type != rewrite->payload_type ||
      result.marker != in->marker || result.timestamp != in->timestamp ||
      result.csrc_count != in->csrc_count || result.sequence != sequence ||
      result.payload_length != in->payload_length || result.padding_length != in->padding_length ||
      memcmp(result.csrc, in->csrc, 4u * in->csrc_count) != 0 ||
      memcmp(result.payload, in->payload, in->payload_length + in->padding_length) != 0)
    abort();
  const guint8 *value;
  gsize value_length;
  gboolean mid = rewrite->out_mid_ext_id != 0;
  if (mid && (ims_rtp_find_extension(&result, rewrite->out_mid_ext_id, &value, &value_length) != 0 ||
              value_length != rewrite->mid_length || memcmp(value, rewrite->mid, value_length) != 0))
    abort();
  if (!mid && !rewrite->out_abs_send_time_ext_id && result.extension != NULL)
    abort(); /* nothing negotiated: no extension block */
  if (first && sequence != rewrite->base)
    abort();
  ims_rtx_buffer_store(rtx, sequence, out, (gsize) length, now);
  const guint8 *kept;
  gsize kept_length;
  if ((gsize) length <= IMS_RTX_BUFFER_PACKET_MAX &&
      (!ims_rtx_buffer_lookup(rtx, sequence, now, &kept, &kept_length) ||
       kept_length != (gsize) length || memcmp(kept, out, kept_length) != 0))
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 4)
    return 0;
  /* 0 bytes (no mid), 1..16, or 17: too long to write */
  g_autofree char *mid = g_strndup("abcdefghijklmnopq", data[3] % (IMS_FORWARD_MID_MAX + 2));
  ImsForwardRewrite rewrite;
  ims_forward_rewrite_init(&rewrite, 0x5e11de12, 100, (guint16) (data[2] << 8 | data[3]),
                           data[0] >> 4, data[0] & 15, data[1] >> 4, data[1] & 15, mid);
  g_autoptr(ImsRtxBuffer) rtx = ims_rtx_buffer_new(0);
  gint64 now = 1000;
  for (size_t offset = 4; offset + 2 <= size;) {
    size_t length = (size_t) data[offset] << 8 | data[offset + 1];
    offset += 2;
    length = MIN(length, size - offset);
    ImsRtpPacket packet;
    if (ims_rtp_parse(data + offset, length, &packet) == 0)
      check_rewrite(&rewrite, rtx, &packet, now);
    offset += length;
    now += 1000;
  }
  return 0;
}
