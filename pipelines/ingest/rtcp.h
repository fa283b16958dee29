/* rtcp.h: RTCP compound packets (RFC 3550, RFC 4585, RFC 5104): a reader and typed parsers, and
 * builders that write into the caller's buffer.
 *
 * Reading: ims_rtcp_reader_init() over a compound packet, then ims_rtcp_reader_next() hands out one
 * ImsRtcpPacket at a time (type, count/FMT, body without header and padding) after checking its
 * version, length and padding; unknown types are handed out too, for the caller to skip.  The typed
 * parsers (report, SDES CNAME, BYE, generic NACK, PLI, FIR, REMB, transport-cc) read one packet.
 * Nothing is allocated: packets point into the caller's buffer.
 *
 * Writing: every ims_rtcp_write_*() writes one RTCP packet at buffer and returns its length (a
 * multiple of 4), or -ENOSPC when size is too small (then the buffer content is unspecified) or
 * -EINVAL for arguments the format cannot carry.  A compound packet is the concatenation: write RR,
 * then SDES at buffer + length, and so on.
 *
 * Threads: pure functions over caller-owned memory; any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

enum {
  IMS_RTCP_SR = 200,
  IMS_RTCP_RR = 201,
  IMS_RTCP_SDES = 202,
  IMS_RTCP_BYE = 203,
  IMS_RTCP_APP = 204,
  IMS_RTCP_RTPFB = 205, /* transport layer feedback: FMT 1 generic NACK, 15 transport-cc */
  IMS_RTCP_PSFB = 206,  /* payload-specific feedback: FMT 1 PLI, 4 FIR, 15 application (REMB) */
};
enum {
  IMS_RTCP_RTPFB_NACK = 1,
  IMS_RTCP_RTPFB_TRANSPORT_CC = 15,
  IMS_RTCP_PSFB_PLI = 1,
  IMS_RTCP_PSFB_FIR = 4,
  IMS_RTCP_PSFB_AFB = 15,
};
#define IMS_RTCP_MAX_REPORT_BLOCKS 31

typedef struct {
  guint8 type;        /* packet type, 200.. */
  guint8 count;       /* the 5-bit field: report count, source count or feedback FMT */
  const guint8 *body; /* after the 4-byte header, padding removed */
  gsize body_length;
} ImsRtcpPacket;

typedef struct {
  const guint8 *data;
  gsize length;
  gsize offset;
} ImsRtcpReader;

typedef struct {
  guint32 ssrc;           /* the source this block reports on */
  guint8 fraction_lost;   /* 8.8 fixed point fraction of the last interval */
  gint32 cumulative_lost; /* 24-bit signed on the wire: clamped to -2^23..2^23-1 */
  guint32 extended_highest_sequence;
  guint32 jitter;             /* RTP timestamp units */
  guint32 last_sender_report; /* LSR: middle 32 bits of the last SR's NTP time, 0 if none */
  guint32 delay_since_last_sender_report; /* DLSR, 1/65536 s */
} ImsRtcpReportBlock;

typedef struct {
  guint32 ssrc;             /* the sender of the report */
  gboolean has_sender_info; /* SR (TRUE) or RR */
  guint64 ntp_time;         /* SR only: 32.32 NTP */
  guint32 rtp_time;
  guint32 packet_count;
  guint32 octet_count;
  guint report_count;
  ImsRtcpReportBlock blocks[IMS_RTCP_MAX_REPORT_BLOCKS];
} ImsRtcpReport;

typedef struct {
  guint16 base_sequence;
  guint16 status_count;
  gint32 reference_time; /* 24-bit signed, multiples of 64 ms */
  guint8 feedback_count;
} ImsRtcpTransportCcInfo;

/* One packet of a transport-cc feedback: received or not, and for a received one its receive delta
 * from the previous received packet (or the reference time), in microseconds (250 µs steps). */
typedef void (*ImsRtcpTransportCcFunc)(guint16 sequence, gboolean received, gint64 delta_us,
                                       gpointer user_data);

void ims_rtcp_reader_init(ImsRtcpReader *reader, const guint8 *data, gsize length);
/* Returns 1 and fills packet with the next packet of the compound, 0 at its end, -EINVAL when the
 * rest is malformed (bad version, length past the end, bad padding); after -EINVAL the reader stays
 * at the end.  A compound packet must start with a packet the reader accepts, no further check
 * (RFC 3550's "SR or RR first" is not enforced: browsers send feedback-only compounds, RFC 5506). */
int ims_rtcp_reader_next(ImsRtcpReader *reader, ImsRtcpPacket *packet);
/* TRUE when data[0..length) is a whole compound packet that reads to its end without error. */
gboolean ims_rtcp_is_valid_compound(const guint8 *data, gsize length);

/* SR or RR into report.  Returns 0, -EINVAL when the packet is neither or is too short for its
 * report count. */
int ims_rtcp_parse_report(const ImsRtcpPacket *packet, ImsRtcpReport *report);
/* The CNAME of the first chunk of an SDES packet, NUL-terminated into cname (truncated to
 * cname_size - 1).  Returns 0, -ENOENT when the first chunk has no CNAME, -EINVAL when malformed. */
int ims_rtcp_parse_sdes_cname(const ImsRtcpPacket *packet, guint32 *ssrc, char *cname,
                              gsize cname_size);
/* The SSRC number index of a BYE.  Returns 0, -EINVAL when the packet is not a BYE or is shorter. */
int ims_rtcp_parse_bye_ssrc(const ImsRtcpPacket *packet, guint index, guint32 *ssrc);
/* Sender and media SSRC of any RTPFB/PSFB packet.  Returns 0 or -EINVAL. */
int ims_rtcp_parse_feedback_ssrcs(const ImsRtcpPacket *packet, guint32 *sender_ssrc,
                                  guint32 *media_ssrc);
/* The lost sequence numbers of a generic NACK, in the order of its FCIs, at most max of them.
 * Returns how many were written, or -EINVAL when the packet is not a generic NACK. */
int ims_rtcp_parse_nack(const ImsRtcpPacket *packet, guint16 *sequences, guint max);
/* TRUE when packet is a PLI. */
gboolean ims_rtcp_is_pli(const ImsRtcpPacket *packet);
/* FIR entry index (RFC 5104 4.3.1).  Returns 0, -EINVAL when not a FIR or too short. */
int ims_rtcp_parse_fir(const ImsRtcpPacket *packet, guint index, guint32 *ssrc,
                       guint8 *sequence_number);
/* REMB (draft-alvestrand-rmcat-remb): the bitrate in bits/s and at most max SSRCs (their number in
 * *ssrc_count, which may exceed max).  Returns 0, -EINVAL when not a REMB or malformed. */
int ims_rtcp_parse_remb(const ImsRtcpPacket *packet, guint64 *bitrate, guint32 *ssrcs, guint max,
                        guint *ssrc_count);
/* Transport-cc feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 3.1): fills info and
 * calls func (may be NULL) once per packet status, in sequence order.  Returns 0, -EINVAL when not
 * transport-cc feedback or malformed (func may have been called for the packets before the fault). */
int ims_rtcp_parse_transport_cc(const ImsRtcpPacket *packet, ImsRtcpTransportCcInfo *info,
                                ImsRtcpTransportCcFunc func, gpointer user_data);

/* Builders: see the file head for the return convention. */
int ims_rtcp_write_sender_report(guint8 *buffer, gsize size, guint32 ssrc, guint64 ntp_time,
                                 guint32 rtp_time, guint32 packet_count, guint32 octet_count,
                                 const ImsRtcpReportBlock *blocks, guint block_count);
/* block_count 0..31. */
int ims_rtcp_write_receiver_report(guint8 *buffer, gsize size, guint32 ssrc,
                                   const ImsRtcpReportBlock *blocks, guint block_count);
/* One chunk with one CNAME item (1..255 bytes). */
int ims_rtcp_write_sdes_cname(guint8 *buffer, gsize size, guint32 ssrc, const char *cname);
int ims_rtcp_write_bye(guint8 *buffer, gsize size, guint32 ssrc);
/* Generic NACK for sequences[0..count) (count >= 1, duplicates allowed, wrap-around understood):
 * each sequence joins the current PID + BLP item when it lies within PID+1..PID+16, else starts a new
 * item, so ascending input packs best (up to 17 sequences per 4-byte item). */
int ims_rtcp_write_nack(guint8 *buffer, gsize size, guint32 sender_ssrc, guint32 media_ssrc,
                        const guint16 *sequences, guint count);
int ims_rtcp_write_pli(guint8 *buffer, gsize size, guint32 sender_ssrc, guint32 media_ssrc);
/* FIR for one media sender; sequence_number must grow by one per new request (RFC 5104 4.3.1.1). */
int ims_rtcp_write_fir(guint8 *buffer, gsize size, guint32 sender_ssrc, guint32 media_ssrc,
                       guint8 sequence_number);
/* REMB with bitrate (bits/s, encoded as 18-bit mantissa and 6-bit exponent, rounded down) for
 * ssrcs[0..ssrc_count) (1..255). */
int ims_rtcp_write_remb(guint8 *buffer, gsize size, guint32 sender_ssrc, guint64 bitrate,
                        const guint32 *ssrcs, guint ssrc_count);
/* Transport-cc feedback for count (1..0xffff) consecutive transport-wide sequence numbers from
 * base_sequence: arrival_us[i] is the arrival time of base_sequence + i in microseconds, or -1 when
 * it was not received; at least one must be received.  The reference time is the first received
 * arrival rounded down to 64 ms; deltas are rounded to 250 µs (1 byte when 0..63.75 ms, else 2 bytes
 * signed, clamped to ±8.19 s).  Status chunks are two-bit vectors (7 statuses each). */
int ims_rtcp_write_transport_cc(guint8 *buffer, gsize size, guint32 sender_ssrc, guint32 media_ssrc,
                                guint16 base_sequence, guint8 feedback_count,
                                const gint64 *arrival_us, guint count);

/* The middle 32 bits of a 32.32 NTP time (LSR, RFC 3550 6.4.1). */
static inline guint32
ims_rtcp_ntp_middle(guint64 ntp_time)
{
  return (guint32) (ntp_time >> 16);
}

G_END_DECLS
