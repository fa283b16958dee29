/* rtp.c: RTP packet parsing, header extension lookup and RTX unwrapping (see rtp.h).  Pure
 * functions: no state, no allocation. */
#define G_LOG_DOMAIN "imsd.ingest.rtp"

#include "rtp.h"

#include <errno.h>
#include <string.h>

static inline guint16
read16(const guint8 *p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static inline guint32
read32(const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

int
ims_rtp_parse(const guint8 *data, gsize length, ImsRtpPacket *packet)
{
  memset(packet, 0, sizeof(*packet));
  if (data == NULL || length < IMS_RTP_HEADER_SIZE || (data[0] >> 6) != 2)
    return -EINVAL;
  gboolean padding = (data[0] & 0x20) != 0;
  gboolean extension = (data[0] & 0x10) != 0;
  guint8 csrc_count = data[0] & 0x0f;
  gsize offset = IMS_RTP_HEADER_SIZE + 4u * csrc_count;
  if (offset > length)
    return -EINVAL;
  guint16 extension_profile = 0;
  const guint8 *extension_body = NULL;
  gsize extension_length = 0;
  if (extension) {
    if (offset + 4 > length)
      return -EINVAL;
    extension_profile = read16(data + offset);
    extension_length = 4u * read16(data + offset + 2);
    offset += 4;
    if (offset + extension_length > length)
      return -EINVAL;
    extension_body = data + offset;
    offset += extension_length;
  }
  guint8 padding_length = 0;
  if (padding) {
    /* RFC 3550 5.1: the last octet counts the padding, itself included. */
    padding_length = data[length - 1];
    if (padding_length == 0 || offset + padding_length > length)
      return -EINVAL;
  }
  packet->data = data;
  packet->length = length;
  packet->marker = (data[1] & 0x80) != 0;
  packet->payload_type = data[1] & 0x7f;
  packet->sequence = read16(data + 2);
  packet->timestamp = read32(data + 4);
  packet->ssrc = read32(data + 8);
  packet->csrc_count = csrc_count;
  for (guint i = 0; i < csrc_count; i++)
    packet->csrc[i] = read32(data + IMS_RTP_HEADER_SIZE + 4 * i);
  packet->extension_profile = extension_profile;
  packet->extension = extension_body;
  packet->extension_length = extension_length;
  packet->payload = data + offset;
  packet->payload_length = length - offset - padding_length;
  packet->padding_length = padding_length;
  return 0;
}

gboolean
ims_rtp_is_rtcp(const guint8 *data, gsize length)
{
  return data != NULL && length >= 2 && data[1] >= 192 && data[1] <= 223;
}

int
ims_rtp_find_extension(const ImsRtpPacket *packet, guint8 id, const guint8 **value,
                       gsize *value_length)
{
  if (packet->extension == NULL || id == 0)
    return -ENOENT;
  const guint8 *p = packet->extension;
  const guint8 *end = p + packet->extension_length;
  if (packet->extension_profile == IMS_RTP_EXTENSION_ONE_BYTE) {
    if (id > 14)
      return -ENOENT;
    while (p < end) {
      if (*p == 0) { /* padding between elements */
        p++;
        continue;
      }
      guint8 element_id = *p >> 4;
      gsize element_length = (*p & 0x0f) + 1u;
      if (element_id == 15) /* reserved: stop parsing (RFC 8285 4.2) */
        return -ENOENT;
      if ((gsize) (end - p) < 1 + element_length)
        return -EINVAL;
      if (element_id == id) {
        *value = p + 1;
        *value_length = element_length;
        return 0;
      }
      p += 1 + element_length;
    }
    return -ENOENT;
  }
  if ((packet->extension_profile & 0xfff0) == IMS_RTP_EXTENSION_TWO_BYTE) {
    while (p < end) {
      if (*p == 0) {
        p++;
        continue;
      }
      if (end - p < 2)
        return -EINVAL;
      guint8 element_id = p[0];
      gsize element_length = p[1];
      if ((gsize) (end - p) < 2 + element_length)
        return -EINVAL;
      if (element_id == id) {
        *value = p + 2;
        *value_length = element_length;
        return 0;
      }
      p += 2 + element_length;
    }
    return -ENOENT;
  }
  return -ENOENT;
}

int
ims_rtp_get_abs_send_time(const ImsRtpPacket *packet, guint8 id, guint32 *value)
{
  const guint8 *p;
  gsize n;
  int rc = ims_rtp_find_extension(packet, id, &p, &n);
  if (rc < 0)
    return rc;
  if (n != 3)
    return -EINVAL;
  *value = ((guint32) p[0] << 16) | ((guint32) p[1] << 8) | p[2];
  return 0;
}

int
ims_rtp_get_transport_cc_sequence(const ImsRtpPacket *packet, guint8 id, guint16 *sequence)
{
  const guint8 *p;
  gsize n;
  int rc = ims_rtp_find_extension(packet, id, &p, &n);
  if (rc < 0)
    return rc;
  if (n != 2)
    return -EINVAL;
  *sequence = read16(p);
  return 0;
}

int
ims_rtp_unwrap_rtx(const ImsRtpPacket *rtx, guint8 original_payload_type, guint32 media_ssrc,
                   guint8 *out, gsize out_size)
{
  if (rtx->payload_length < 2)
    return -EINVAL;
  gsize header_length = (gsize) (rtx->payload - rtx->data);
  gsize length = header_length + rtx->payload_length - 2;
  if (length > out_size)
    return -ENOSPC;
  memcpy(out, rtx->data, header_length);
  out[0] &= ~0x20; /* no padding in the unwrapped packet */
  out[1] = (guint8) ((out[1] & 0x80) | (original_payload_type & 0x7f));
  out[2] = rtx->payload[0];
  out[3] = rtx->payload[1];
  out[8] = (guint8) (media_ssrc >> 24);
  out[9] = (guint8) (media_ssrc >> 16);
  out[10] = (guint8) (media_ssrc >> 8);
  out[11] = (guint8) media_ssrc;
  memcpy(out + header_length, rtx->payload + 2, rtx->payload_length - 2);
  return (int) length;
}
