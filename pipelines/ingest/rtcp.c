/* rtcp.c: RTCP compound reader, typed parsers and builders (see rtcp.h).  Pure functions over
 * caller-owned buffers: no state, no allocation. */
#define G_LOG_DOMAIN "imsd.ingest.rtcp"

#include "rtcp.h"

#include <errno.h>
#include <string.h>

static inline guint16
read16(const guint8 *p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static inline guint32
read24(const guint8 *p)
{
  return ((guint32) p[0] << 16) | ((guint32) p[1] << 8) | p[2];
}

static inline guint32
read32(const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static inline void
write16(guint8 *p, guint16 v)
{
  p[0] = (guint8) (v >> 8);
  p[1] = (guint8) v;
}

static inline void
write24(guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 16);
  p[1] = (guint8) (v >> 8);
  p[2] = (guint8) v;
}

static inline void
write32(guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

/* Header of a packet of length bytes (a multiple of 4) with no padding bit. */
static void
write_header(guint8 *p, guint8 count, guint8 type, gsize length)
{
  p[0] = (guint8) (0x80 | (count & 0x1f));
  p[1] = type;
  write16(p + 2, (guint16) (length / 4 - 1));
}

/* ---- reading ---- */

void
ims_rtcp_reader_init(ImsRtcpReader *reader, const guint8 *data, gsize length)
{
  reader->data = data;
  reader->length = data != NULL ? length : 0;
  reader->offset = 0;
}

int
ims_rtcp_reader_next(ImsRtcpReader *reader, ImsRtcpPacket *packet)
{
  memset(packet, 0, sizeof(*packet));
  gsize rest = reader->length - reader->offset;
  if (rest == 0)
    return 0;
  const guint8 *p = reader->data + reader->offset;
  if (rest < 4 || (p[0] >> 6) != 2)
    goto malformed;
  gsize length = 4u * ((gsize) read16(p + 2) + 1);
  if (length > rest)
    goto malformed;
  gsize body_length = length - 4;
  if (p[0] & 0x20) {
    guint8 padding = p[length - 1];
    if (padding == 0 || padding > body_length)
      goto malformed;
    body_length -= padding;
  }
  packet->type = p[1];
  packet->count = p[0] & 0x1f;
  packet->body = p + 4;
  packet->body_length = body_length;
  reader->offset += length;
  return 1;

malformed:
  reader->offset = reader->length;
  return -EINVAL;
}

gboolean
ims_rtcp_is_valid_compound(const guint8 *data, gsize length)
{
  ImsRtcpReader reader;
  ImsRtcpPacket packet;
  int rc;
  guint packets = 0;
  ims_rtcp_reader_init(&reader, data, length);
  while ((rc = ims_rtcp_reader_next(&reader, &packet)) > 0)
    packets++;
  return rc == 0 && packets > 0;
}

static void
read_report_block(const guint8 *p, ImsRtcpReportBlock *block)
{
  block->ssrc = read32(p);
  block->fraction_lost = p[4];
  guint32 lost = read24(p + 5);
  block->cumulative_lost = (lost & 0x800000) ? (gint32) (lost | 0xff000000u) : (gint32) lost;
  block->extended_highest_sequence = read32(p + 8);
  block->jitter = read32(p + 12);
  block->last_sender_report = read32(p + 16);
  block->delay_since_last_sender_report = read32(p + 20);
}

int
ims_rtcp_parse_report(const ImsRtcpPacket *packet, ImsRtcpReport *report)
{
  memset(report, 0, sizeof(*report));
  gsize need;
  const guint8 *blocks;
  if (packet->type == IMS_RTCP_SR) {
    need = 24;
  } else if (packet->type == IMS_RTCP_RR) {
    need = 4;
  } else {
    return -EINVAL;
  }
  need += 24u * packet->count;
  if (packet->body_length < need)
    return -EINVAL;
  const guint8 *p = packet->body;
  report->ssrc = read32(p);
  if (packet->type == IMS_RTCP_SR) {
    report->has_sender_info = TRUE;
    report->ntp_time = ((guint64) read32(p + 4) << 32) | read32(p + 8);
    report->rtp_time = read32(p + 12);
    report->packet_count = read32(p + 16);
    report->octet_count = read32(p + 20);
    blocks = p + 24;
  } else {
    blocks = p + 4;
  }
  report->report_count = packet->count;
  for (guint i = 0; i < packet->count; i++)
    read_report_block(blocks + 24 * i, &report->blocks[i]);
  return 0;
}

int
ims_rtcp_parse_sdes_cname(const ImsRtcpPacket *packet, guint32 *ssrc, char *cname, gsize cname_size)
{
  if (packet->type != IMS_RTCP_SDES || packet->count == 0 || packet->body_length < 4)
    return -EINVAL;
  const guint8 *p = packet->body;
  const guint8 *end = p + packet->body_length;
  *ssrc = read32(p);
  p += 4;
  while (p < end && *p != 0) {
    if (end - p < 2 || (gsize) (end - p) < 2u + p[1])
      return -EINVAL;
    if (*p == 1) {
      gsize n = MIN((gsize) p[1], cname_size - 1);
      memcpy(cname, p + 2, n);
      cname[n] = '\0';
      return 0;
    }
    p += 2 + p[1];
  }
  return -ENOENT;
}

int
ims_rtcp_parse_bye_ssrc(const ImsRtcpPacket *packet, guint index, guint32 *ssrc)
{
  if (packet->type != IMS_RTCP_BYE || index >= packet->count ||
      packet->body_length < 4u * (index + 1))
    return -EINVAL;
  *ssrc = read32(packet->body + 4 * index);
  return 0;
}

int
ims_rtcp_parse_feedback_ssrcs(const ImsRtcpPacket *packet, guint32 *sender_ssrc, guint32 *media_ssrc)
{
  if ((packet->type != IMS_RTCP_RTPFB && packet->type != IMS_RTCP_PSFB) || packet->body_length < 8)
    return -EINVAL;
  *sender_ssrc = read32(packet->body);
  *media_ssrc = read32(packet->body + 4);
  return 0;
}

int
ims_rtcp_parse_nack(const ImsRtcpPacket *packet, guint16 *sequences, guint max)
{
  if (packet->type != IMS_RTCP_RTPFB || packet->count != IMS_RTCP_RTPFB_NACK ||
      packet->body_length < 8)
    return -EINVAL;
  guint n = 0;
  for (gsize at = 8; at + 4 <= packet->body_length; at += 4) {
    guint16 pid = read16(packet->body + at);
    guint16 blp = read16(packet->body + at + 2);
    if (n < max)
      sequences[n++] = pid;
    for (guint bit = 0; bit < 16; bit++)
      if ((blp & (1u << bit)) && n < max)
        sequences[n++] = (guint16) (pid + bit + 1);
  }
  return (int) n;
}

gboolean
ims_rtcp_is_pli(const ImsRtcpPacket *packet)
{
  return packet->type == IMS_RTCP_PSFB && packet->count == IMS_RTCP_PSFB_PLI &&
         packet->body_length >= 8;
}

int
ims_rtcp_parse_fir(const ImsRtcpPacket *packet, guint index, guint32 *ssrc, guint8 *sequence_number)
{
  if (packet->type != IMS_RTCP_PSFB || packet->count != IMS_RTCP_PSFB_FIR ||
      packet->body_length < 8 + 8u * (index + 1))
    return -EINVAL;
  const guint8 *entry = packet->body + 8 + 8 * index;
  *ssrc = read32(entry);
  *sequence_number = entry[4];
  return 0;
}

int
ims_rtcp_parse_remb(const ImsRtcpPacket *packet, guint64 *bitrate, guint32 *ssrcs, guint max,
                    guint *ssrc_count)
{
  if (packet->type != IMS_RTCP_PSFB || packet->count != IMS_RTCP_PSFB_AFB ||
      packet->body_length < 16 || memcmp(packet->body + 8, "REMB", 4) != 0)
    return -EINVAL;
  const guint8 *p = packet->body + 12;
  guint count = p[0];
  guint exponent = p[1] >> 2;
  guint64 mantissa = ((guint64) (p[1] & 0x03) << 16) | read16(p + 2);
  if (packet->body_length < 16 + 4u * count)
    return -EINVAL;
  /* 18-bit mantissa << 63 would overflow: saturate (no real sender goes near it). */
  *bitrate = exponent > 46 ? G_MAXUINT64 : mantissa << exponent;
  for (guint i = 0; i < count && i < max; i++)
    ssrcs[i] = read32(p + 4 + 4 * i);
  *ssrc_count = count;
  return 0;
}

/* Walks the status chunks of a transport-cc feedback.  With func == NULL only finds where the
 * deltas start (*deltas_offset); otherwise reads the deltas from *deltas_offset too. */
static int
walk_transport_cc(const ImsRtcpPacket *packet, const ImsRtcpTransportCcInfo *info,
                  gsize *deltas_offset, ImsRtcpTransportCcFunc func, gpointer user_data)
{
  const guint8 *body = packet->body;
  gsize length = packet->body_length;
  gsize at = 16;
  gsize delta_at = func != NULL ? *deltas_offset : 0;
  guint done = 0;
  guint16 sequence = info->base_sequence;
  while (done < info->status_count) {
    if (at + 2 > length)
      return -EINVAL;
    guint16 chunk = read16(body + at);
    at += 2;
    guint run, bits;
    guint symbols[14];
    if ((chunk & 0x8000) == 0) {
      run = chunk & 0x1fff;
      bits = 0;
      symbols[0] = (chunk >> 13) & 0x3;
      if (run == 0)
        return -EINVAL;
    } else if ((chunk & 0x4000) == 0) {
      run = 14;
      bits = 1;
      for (guint i = 0; i < 14; i++)
        symbols[i] = (chunk >> (13 - i)) & 0x1;
    } else {
      run = 7;
      bits = 2;
      for (guint i = 0; i < 7; i++)
        symbols[i] = (chunk >> (12 - 2 * i)) & 0x3;
    }
    for (guint i = 0; i < run && done < info->status_count; i++, done++, sequence++) {
      guint symbol = bits == 0 ? symbols[0] : symbols[i];
      if (func == NULL)
        continue;
      gint64 delta_us = 0;
      if (symbol == 1) {
        if (delta_at + 1 > length)
          return -EINVAL;
        delta_us = 250 * (gint64) body[delta_at];
        delta_at += 1;
      } else if (symbol == 2) {
        if (delta_at + 2 > length)
          return -EINVAL;
        delta_us = 250 * (gint64) (gint16) read16(body + delta_at);
        delta_at += 2;
      } else if (symbol == 3) {
        return -EINVAL;
      }
      func(sequence, symbol != 0, delta_us, user_data);
    }
  }
  if (func == NULL)
    *deltas_offset = at;
  return 0;
}

int
ims_rtcp_parse_transport_cc(const ImsRtcpPacket *packet, ImsRtcpTransportCcInfo *info,
                            ImsRtcpTransportCcFunc func, gpointer user_data)
{
  memset(info, 0, sizeof(*info));
  if (packet->type != IMS_RTCP_RTPFB || packet->count != IMS_RTCP_RTPFB_TRANSPORT_CC ||
      packet->body_length < 16)
    return -EINVAL;
  const guint8 *p = packet->body + 8;
  info->base_sequence = read16(p);
  info->status_count = read16(p + 2);
  guint32 reference = read24(p + 4);
  info->reference_time = (reference & 0x800000) ? (gint32) (reference | 0xff000000u)
                                                : (gint32) reference;
  info->feedback_count = p[7];
  gsize deltas_offset = 0;
  int rc = walk_transport_cc(packet, info, &deltas_offset, NULL, NULL);
  if (rc < 0 || func == NULL)
    return rc;
  return walk_transport_cc(packet, info, &deltas_offset, func, user_data);
}

/* ---- writing ---- */

static void
write_report_block(guint8 *p, const ImsRtcpReportBlock *block)
{
  gint32 lost = CLAMP(block->cumulative_lost, -0x800000, 0x7fffff);
  write32(p, block->ssrc);
  p[4] = block->fraction_lost;
  write24(p + 5, (guint32) lost & 0xffffff);
  write32(p + 8, block->extended_highest_sequence);
  write32(p + 12, block->jitter);
  write32(p + 16, block->last_sender_report);
  write32(p + 20, block->delay_since_last_sender_report);
}

int
ims_rtcp_write_sender_report(guint8 *buffer, gsize size, guint32 ssrc, guint64 ntp_time,
                             guint32 rtp_time, guint32 packet_count, guint32 octet_count,
                             const ImsRtcpReportBlock *blocks, guint block_count)
{
  if (block_count > IMS_RTCP_MAX_REPORT_BLOCKS)
    return -EINVAL;
  gsize length = 28 + 24u * block_count;
  if (size < length)
    return -ENOSPC;
  write_header(buffer, (guint8) block_count, IMS_RTCP_SR, length);
  write32(buffer + 4, ssrc);
  write32(buffer + 8, (guint32) (ntp_time >> 32));
  write32(buffer + 12, (guint32) ntp_time);
  write32(buffer + 16, rtp_time);
  write32(buffer + 20, packet_count);
  write32(buffer + 24, octet_count);
  for (guint i = 0; i < block_count; i++)
    write_report_block(buffer + 28 + 24 * i, &blocks[i]);
  return (int) length;
}

int
ims_rtcp_write_receiver_report(guint8 *buffer, gsize size, guint32 ssrc,
                               const ImsRtcpReportBlock *blocks, guint block_count)
{
  if (block_count > IMS_RTCP_MAX_REPORT_BLOCKS)
    return -EINVAL;
  gsize length = 8 + 24u * block_count;
  if (size < length)
    return -ENOSPC;
  write_header(buffer, (guint8) block_count, IMS_RTCP_RR, length);
  write32(buffer + 4, ssrc);
  for (guint i = 0; i < block_count; i++)
    write_report_block(buffer + 8 + 24 * i, &blocks[i]);
  return (int) length;
}

int
ims_rtcp_write_sdes_cname(guint8 *buffer, gsize size, guint32 ssrc, const char *cname)
{
  gsize cname_length = cname != NULL ? strlen(cname) : 0;
  if (cname_length == 0 || cname_length > 255)
    return -EINVAL;
  /* header, SSRC, item type + length + text, at least one terminating zero, padded to 4 */
  gsize length = (4 + 4 + 2 + cname_length + 1 + 3) & ~(gsize) 3;
  if (size < length)
    return -ENOSPC;
  memset(buffer, 0, length);
  write_header(buffer, 1, IMS_RTCP_SDES, length);
  write32(buffer + 4, ssrc);
  buffer[8] = 1;
  buffer[9] = (guint8) cname_length;
  memcpy(buffer + 10, cname, cname_length);
  return (int) length;
}

int
ims_rtcp_write_bye(guint8 *buffer, gsize size, guint32 ssrc)
{
  if (size < 8)
    return -ENOSPC;
  write_header(buffer, 1, IMS_RTCP_BYE, 8);
  write32(buffer + 4, ssrc);
  return 8;
}

static int
write_feedback_header(guint8 *buffer, gsize size, gsize length, guint8 fmt, guint8 type,
                      guint32 sender_ssrc, guint32 media_ssrc)
{
  if (size < length)
    return -ENOSPC;
  write_header(buffer, fmt, type, length);
  write32(buffer + 4, sender_ssrc);
  write32(buffer + 8, media_ssrc);
  return 0;
}

int
ims_rtcp_write_nack(guint8 *buffer, gsize size, guint32 sender_ssrc, guint32 media_ssrc,
                    const guint16 *sequences, guint count)
{
  if (count == 0)
    return -EINVAL;
  gsize at = 12;
  guint16 pid = 0, blp = 0;
  gboolean open = FALSE;
  for (guint i = 0; i < count; i++) {
    guint16 distance = (guint16) (sequences[i] - pid);
    if (open && distance == 0)
      continue;
    if (open && distance <= 16) {
      blp |= (guint16) (1u << (distance - 1));
      continue;
    }
    if (open) {
      if (at + 4 > size)
        return -ENOSPC;
      write16(buffer + at, pid);
      write16(buffer + at + 2, blp);
      at += 4;
    }
    pid = sequences[i];
    blp = 0;
    open = TRUE;
  }
  if (at + 4 > size)
    return -ENOSPC;
  write16(buffer + at, pid);
  write16(buffer + at + 2, blp);
  at += 4;
  if (at > 4u * 65536)
    return -EINVAL;
  write_feedback_header(buffer, size, at, IMS_RTCP_RTPFB_NACK, IMS_RTCP_RTPFB, sender_ssrc,
                        media_ssrc);
  return (int) at;
}

int
ims_rtcp_write_pli(guint8 *buffer, gsize size, guint32 sender_ssrc, guint32 media_ssrc)
{
  int rc = write_feedback_header(buffer, size, 12, IMS_RTCP_PSFB_PLI, IMS_RTCP_PSFB, sender_ssrc,
                                 media_ssrc);
  return rc < 0 ? rc : 12;
}

int
ims_rtcp_write_fir(guint8 *buffer, gsize size, guint32 sender_ssrc, guint32 media_ssrc,
                   guint8 sequence_number)
{
  /* RFC 5104 4.3.1.2: the header's media source SSRC is 0; the FCI names the sender. */
  int rc = write_feedback_header(buffer, size, 20, IMS_RTCP_PSFB_FIR, IMS_RTCP_PSFB, sender_ssrc, 0);
  if (rc < 0)
    return rc;
  write32(buffer + 12, media_ssrc);
  buffer[16] = sequence_number;
  buffer[17] = buffer[18] = buffer[19] = 0;
  return 20;
}

int
ims_rtcp_write_remb(guint8 *buffer, gsize size, guint32 sender_ssrc, guint64 bitrate,
                    const guint32 *ssrcs, guint ssrc_count)
{
  if (ssrc_count == 0 || ssrc_count > 255)
    return -EINVAL;
  gsize length = 20 + 4u * ssrc_count;
  int rc = write_feedback_header(buffer, size, length, IMS_RTCP_PSFB_AFB, IMS_RTCP_PSFB,
                                 sender_ssrc, 0);
  if (rc < 0)
    return rc;
  guint exponent = 0;
  guint64 mantissa = bitrate;
  while (mantissa > 0x3ffff) {
    mantissa >>= 1;
    exponent++;
  }
  memcpy(buffer + 12, "REMB", 4);
  buffer[16] = (guint8) ssrc_count;
  buffer[17] = (guint8) ((exponent << 2) | (mantissa >> 16));
  write16(buffer + 18, (guint16) mantissa);
  for (guint i = 0; i < ssrc_count; i++)
    write32(buffer + 20 + 4 * i, ssrcs[i]);
  return (int) length;
}

int
ims_rtcp_write_transport_cc(guint8 *buffer, gsize size, guint32 sender_ssrc, guint32 media_ssrc,
                            guint16 base_sequence, guint8 feedback_count, const gint64 *arrival_us,
                            guint count)
{
  if (count == 0 || count > 0xffff)
    return -EINVAL;
  guint first = 0;
  while (first < count && arrival_us[first] < 0)
    first++;
  if (first == count)
    return -EINVAL;
  gint64 reference = arrival_us[first] / 64000;
  gsize chunks = (count + 6) / 7;
  gsize at = 20;
  gsize deltas_at = at + 2 * chunks;
  if (deltas_at > size)
    return -ENOSPC;
  gint64 previous_us = reference * 64000;
  for (gsize c = 0; c < chunks; c++) {
    guint16 chunk = 0xc000;
    for (guint i = 0; i < 7; i++) {
      gsize n = c * 7 + i;
      guint symbol = 0;
      if (n < count && arrival_us[n] >= 0) {
        gint64 ticks = (arrival_us[n] - previous_us + (arrival_us[n] >= previous_us ? 125 : -125)) /
                       250;
        ticks = CLAMP(ticks, G_MININT16, G_MAXINT16);
        previous_us += ticks * 250;
        if (ticks >= 0 && ticks <= 255) {
          symbol = 1;
          if (deltas_at + 1 > size)
            return -ENOSPC;
          buffer[deltas_at++] = (guint8) ticks;
        } else {
          symbol = 2;
          if (deltas_at + 2 > size)
            return -ENOSPC;
          write16(buffer + deltas_at, (guint16) (gint16) ticks);
          deltas_at += 2;
        }
      }
      chunk |= (guint16) (symbol << (12 - 2 * i));
    }
    write16(buffer + at + 2 * c, chunk);
  }
  gsize length = (deltas_at + 3) & ~(gsize) 3;
  guint8 padding = (guint8) (length - deltas_at);
  if (length > size)
    return -ENOSPC;
  write_feedback_header(buffer, size, length, IMS_RTCP_RTPFB_TRANSPORT_CC, IMS_RTCP_RTPFB,
                        sender_ssrc, media_ssrc);
  write16(buffer + 12, base_sequence);
  write16(buffer + 14, (guint16) count);
  write24(buffer + 16, (guint32) reference & 0xffffff);
  buffer[19] = feedback_count;
  if (padding > 0) {
    memset(buffer + deltas_at, 0, padding);
    buffer[length - 1] = padding;
    buffer[0] |= 0x20;
  }
  return (int) length;
}
