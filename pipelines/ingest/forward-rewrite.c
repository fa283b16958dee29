/* forward-rewrite.c: a publisher's RTP packet rewritten for one subscriber;
 * see forward-rewrite.h. */
#include "forward-rewrite.h"

#include <errno.h>
#include <string.h>

void
ims_forward_rewrite_init(ImsForwardRewrite *rewrite, guint32 ssrc, guint8 payload_type,
                         guint16 base, guint8 in_mid_ext_id, guint8 in_abs_send_time_ext_id,
                         guint8 out_mid_ext_id, guint8 out_abs_send_time_ext_id, const char *mid)
{
  memset(rewrite, 0, sizeof *rewrite);
  rewrite->ssrc = ssrc;
  rewrite->payload_type = payload_type & 0x7f;
  rewrite->base = base;
  rewrite->in_mid_ext_id = in_mid_ext_id;
  rewrite->in_abs_send_time_ext_id = in_abs_send_time_ext_id;
  rewrite->out_abs_send_time_ext_id = out_abs_send_time_ext_id <= 14 ? out_abs_send_time_ext_id : 0;
  gsize mid_length = mid ? strlen(mid) : 0;
  if (mid_length > 0 && mid_length <= IMS_FORWARD_MID_MAX && out_mid_ext_id <= 14) {
    rewrite->out_mid_ext_id = out_mid_ext_id;
    memcpy(rewrite->mid, mid, mid_length);
    rewrite->mid_length = (guint) mid_length;
  }
}

/* The publisher's number extended against the highest seen (RFC 3550 A.1:
 * the nearer of the two directions). */
static guint64
extend(ImsForwardRewrite *rewrite, guint16 sequence)
{
  if (!rewrite->started) {
    rewrite->started = TRUE;
    rewrite->first_in = rewrite->highest_in = (1u << 16) + sequence;
    return rewrite->first_in;
  }
  gint16 delta = (gint16) (sequence - (guint16) rewrite->highest_in);
  guint64 extended = rewrite->highest_in + (gint64) delta;
  if (extended > rewrite->highest_in)
    rewrite->highest_in = extended;
  return extended;
}

static void
write16(guint8 *p, guint16 value)
{
  p[0] = value >> 8;
  p[1] = value & 0xff;
}

static void
write32(guint8 *p, guint32 value)
{
  write16(p, value >> 16);
  write16(p + 2, value & 0xffff);
}

/* The one-byte extension block (header included) at out, or 0 bytes. */
static gsize
write_extensions(const ImsForwardRewrite *rewrite, const ImsRtpPacket *packet, guint8 *out)
{
  gsize length = 4;
  if (rewrite->out_mid_ext_id) {
    out[length++] = (guint8) (rewrite->out_mid_ext_id << 4 | (rewrite->mid_length - 1));
    memcpy(out + length, rewrite->mid, rewrite->mid_length);
    length += rewrite->mid_length;
  }
  const guint8 *value;
  gsize value_length;
  if (rewrite->out_abs_send_time_ext_id && rewrite->in_abs_send_time_ext_id &&
      ims_rtp_find_extension(packet, rewrite->in_abs_send_time_ext_id, &value, &value_length) == 0 &&
      value_length == 3) {
    out[length++] = (guint8) (rewrite->out_abs_send_time_ext_id << 4 | 2);
    memcpy(out + length, value, 3);
    length += 3;
  }
  if (length == 4)
    return 0;
  while (length % 4)
    out[length++] = 0;
  write16(out, 0xBEDE);
  write16(out + 2, (guint16) ((length - 4) / 4));
  return length;
}

int
ims_forward_rewrite_packet(ImsForwardRewrite *rewrite, const ImsRtpPacket *packet, guint8 *out,
                           gsize out_size, guint16 *sequence)
{
  gsize csrc_bytes = 4u * packet->csrc_count;
  /* fixed header + CSRCs + at most 4 + 1 + 16 + 4 + 3 padded extension bytes */
  gsize header_max = IMS_RTP_HEADER_SIZE + csrc_bytes + 4 + 1 + IMS_FORWARD_MID_MAX + 4 + 3;
  gsize rest = packet->length - (gsize) (packet->payload - packet->data); /* payload + padding */
  if (out_size < header_max + rest)
    return -ENOSPC;
  guint64 extended = extend(rewrite, packet->sequence); /* an older one leaves highest as it was */
  if (extended < rewrite->first_in)
    return -EALREADY;
  guint16 out_sequence = (guint16) (rewrite->base + (extended - rewrite->first_in));
  gsize length = IMS_RTP_HEADER_SIZE + csrc_bytes;
  memcpy(out, packet->data, length); /* V, P, CC, M, timestamp, CSRCs */
  out[1] = (guint8) ((packet->marker ? 0x80 : 0) | rewrite->payload_type);
  write16(out + 2, out_sequence);
  write32(out + 8, rewrite->ssrc);
  gsize extension_length = write_extensions(rewrite, packet, out + length);
  if (extension_length)
    out[0] |= 0x10;
  else
    out[0] &= (guint8) ~0x10;
  length += extension_length;
  memcpy(out + length, packet->payload, rest);
  length += rest;
  *sequence = out_sequence;
  return (int) length;
}
