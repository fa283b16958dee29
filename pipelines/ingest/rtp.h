/* rtp.h: RTP packet parsing (RFC 3550) with header extensions (RFC 8285).
 *
 * ims_rtp_parse() checks a packet and fills an ImsRtpPacket whose pointers point into the caller's
 * buffer: nothing is copied or allocated, so a parsed packet lives as long as that buffer.  The
 * extension ids (abs-send-time, transport-wide-cc) are not fixed by RTP: the SDP's a=extmap lines give
 * them, and the caller passes them to the lookups.  RTX (RFC 4588) packets are unwrapped into a
 * caller buffer.
 *
 * Threads: pure functions, no state; any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define IMS_RTP_HEADER_SIZE 12
#define IMS_RTP_MAX_CSRC 15
/* RFC 8285 profiles: one-byte (0xBEDE) and two-byte (0x100 + 4 bits of appbits) header extensions. */
#define IMS_RTP_EXTENSION_ONE_BYTE 0xBEDE
#define IMS_RTP_EXTENSION_TWO_BYTE 0x1000

typedef struct {
  const guint8 *data; /* the whole packet (the caller's buffer) */
  gsize length;
  gboolean marker;
  guint8 payload_type; /* 0..127 */
  guint16 sequence;
  guint32 timestamp;
  guint32 ssrc;
  guint8 csrc_count;
  guint32 csrc[IMS_RTP_MAX_CSRC];
  guint16 extension_profile; /* 0 when the X bit is clear */
  const guint8 *extension;   /* the extension's body (after its 4-byte header), NULL if none */
  gsize extension_length;
  const guint8 *payload; /* after header, CSRCs and extension; before padding */
  gsize payload_length;
  guint8 padding_length; /* 0 when the P bit is clear */
} ImsRtpPacket;

/* Parses data[0..length) as an RTP packet into packet.  Returns 0, or -EINVAL when it is not RTP
 * version 2 or is too short for its own CSRC count, extension length or padding (then packet is
 * zeroed).  Cost: a few dozen instructions; no allocation. */
int ims_rtp_parse(const guint8 *data, gsize length, ImsRtpPacket *packet);

/* TRUE when data looks like RTCP rather than RTP on an rtcp-mux transport (RFC 5761: second byte
 * 192..223, i.e. payload type 64..95 with the marker bit). */
gboolean ims_rtp_is_rtcp(const guint8 *data, gsize length);

/* Finds header extension element id (1..14 one-byte, 1..255 two-byte) of packet.  Returns 0 and
 * sets *value / *value_length (pointing into the packet), -ENOENT when the packet has no such element,
 * -EINVAL when the extension block is malformed before the element is found. */
int ims_rtp_find_extension(const ImsRtpPacket *packet, guint8 id, const guint8 **value,
                           gsize *value_length);

/* abs-send-time (http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time): 24-bit 6.18 fixed
 * point seconds.  Returns 0 and sets *value, -ENOENT, or -EINVAL when the element is not 3 bytes. */
int ims_rtp_get_abs_send_time(const ImsRtpPacket *packet, guint8 id, guint32 *value);

/* transport-wide-cc (draft-holmer-rmcat-transport-wide-cc-extensions-01): the 16-bit transport-wide
 * sequence number.  Returns 0 and sets *sequence, -ENOENT, or -EINVAL when the element is not 2
 * bytes. */
int ims_rtp_get_transport_cc_sequence(const ImsRtpPacket *packet, guint8 id, guint16 *sequence);

/* Unwraps an RTX packet (RFC 4588: payload = 2-byte original sequence number + original payload)
 * into out: the same header with the original sequence number, payload type original_payload_type
 * and SSRC media_ssrc, then the original payload (padding dropped).  Returns the length written, or
 * -EINVAL when rtx has no room for the original sequence number, -ENOSPC when out_size is too
 * small. */
int ims_rtp_unwrap_rtx(const ImsRtpPacket *rtx, guint8 original_payload_type, guint32 media_ssrc,
                       guint8 *out, gsize out_size);

G_END_DECLS
