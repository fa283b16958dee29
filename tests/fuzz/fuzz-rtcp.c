/* fuzz-rtcp.c: libFuzzer target for pipelines/ingest/rtcp.c.
 *
 * The input is read as a compound RTCP packet: every packet the reader hands out must lie inside the
 * input, and every typed parser runs on it.  Round trips: a report that parses is written back and
 * must parse to the same report; the sequence numbers of a generic NACK are written back and every
 * one that comes out again must have gone in; transport-cc feedback must call back exactly
 * status_count times.  Nothing may crash or read past the input.
 */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
count_status(guint16 sequence, gboolean received, gint64 delta_us, gpointer user_data)
{
  (*(guint *) user_data)++;
}

static int
compare_u16(const void *a, const void *b)
{
  return (int) *(const guint16 *) a - (int) *(const guint16 *) b;
}

static void
check_report(const ImsRtcpPacket *packet)
{
  ImsRtcpReport report, again;
  if (ims_rtcp_parse_report(packet, &report) < 0)
    return;
  guint8 buffer[1024];
  int n = report.has_sender_info
              ? ims_rtcp_write_sender_report(buffer, sizeof(buffer), report.ssrc, report.ntp_time,
                                             report.rtp_time, report.packet_count,
                                             report.octet_count, report.blocks, report.report_count)
              : ims_rtcp_write_receiver_report(buffer, sizeof(buffer), report.ssrc, report.blocks,
                                               report.report_count);
  ImsRtcpReader reader;
  ImsRtcpPacket written;
  ims_rtcp_reader_init(&reader, buffer, n > 0 ? (gsize) n : 0);
  if (n <= 0 || ims_rtcp_reader_next(&reader, &written) != 1 ||
      ims_rtcp_parse_report(&written, &again) < 0 || memcmp(&report, &again, sizeof(report)) != 0)
    abort();
}

static void
check_nack(const ImsRtcpPacket *packet)
{
  static guint16 sequences[4096], again[4096];
  int count = ims_rtcp_parse_nack(packet, sequences, G_N_ELEMENTS(sequences));
  if (count <= 0)
    return;
  static guint8 buffer[4 * 4096 + 64];
  int n = ims_rtcp_write_nack(buffer, sizeof(buffer), 1, 2, sequences, (guint) count);
  ImsRtcpReader reader;
  ImsRtcpPacket written;
  ims_rtcp_reader_init(&reader, buffer, n > 0 ? (gsize) n : 0);
  if (n <= 0 || ims_rtcp_reader_next(&reader, &written) != 1)
    abort();
  int count_again = ims_rtcp_parse_nack(&written, again, G_N_ELEMENTS(again));
  if (count_again <= 0 || count_again > count)
    abort();
  qsort(sequences, (gsize) count, sizeof(guint16), compare_u16);
  for (int i = 0; i < count_again; i++)
    if (bsearch(&again[i], sequences, (gsize) count, sizeof(guint16), compare_u16) == NULL)
      abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  ImsRtcpReader reader;
  ImsRtcpPacket packet;
  ims_rtcp_reader_init(&reader, data, size);
  (void) ims_rtcp_is_valid_compound(data, size);
  while (ims_rtcp_reader_next(&reader, &packet) == 1) {
    if (packet.body < data || packet.body + packet.body_length > data + size)
      abort();
    check_report(&packet);
    check_nack(&packet);
    guint32 ssrc, media;
    char cname[256];
    if (ims_rtcp_parse_sdes_cname(&packet, &ssrc, cname, sizeof(cname)) == 0 &&
        strlen(cname) >= sizeof(cname))
      abort();
    for (guint i = 0; i < 32 && ims_rtcp_parse_bye_ssrc(&packet, i, &ssrc) == 0; i++)
      ;
    (void) ims_rtcp_parse_feedback_ssrcs(&packet, &ssrc, &media);
    (void) ims_rtcp_is_pli(&packet);
    guint8 fir_sequence;
    for (guint i = 0; i < 64 && ims_rtcp_parse_fir(&packet, i, &ssrc, &fir_sequence) == 0; i++)
      ;
    guint64 bitrate;
    guint32 ssrcs[8];
    guint ssrc_count;
    if (ims_rtcp_parse_remb(&packet, &bitrate, ssrcs, G_N_ELEMENTS(ssrcs), &ssrc_count) == 0 &&
        ssrc_count > 255)
      abort();
    ImsRtcpTransportCcInfo info;
    guint statuses = 0;
    if (ims_rtcp_parse_transport_cc(&packet, &info, count_status, &statuses) == 0 &&
        statuses != info.status_count)
      abort();
  }
  return 0;
}
