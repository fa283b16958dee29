/* fuzz-rtp.c: libFuzzer target for pipelines/ingest/rtp.c and receive-stream.c.
 *
 * The whole input is parsed as one RTP packet: a parsed packet's fields must lie inside the input
 * (header + CSRCs + extension + payload + padding = length), every extension lookup (ids 0..255)
 * must answer inside the extension block, and RTX unwrapping must write exactly what it returns.
 * Then the input is read as a packet stream, records of [length (2 bytes, big endian), time step
 * (1 byte, ms), packet], pushed into a receive stream (window 16, so the window fills): it must hand
 * packets on in strictly increasing extended order, each at most once, with delivered + given up ≤
 * expected and lost = expected - received, whatever comes in; NACK lists and polls run between.
 * What it hands on goes through a timeline (pipelines/ingest/timeline.c), with an SR made of the
 * packet's own bytes every 8th packet: the session time must never go back, and must grow for a
 * timestamp newer than every one before.
 */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "receive-stream.h"
#include "rtp.h"
#include "timeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_packet(const guint8 *data, gsize size)
{
  ImsRtpPacket packet;
  if (ims_rtp_parse(data, size, &packet) < 0)
    return;
  gsize header = IMS_RTP_HEADER_SIZE + 4u * packet.csrc_count +
                 (packet.extension != NULL ? 4 + packet.extension_length : 0);
  if (packet.payload != data + header ||
      header + packet.payload_length + packet.padding_length != size)
    abort();
  for (guint id = 0; id < 256; id++) {
    const guint8 *value = NULL;
    gsize length = 0;
    if (ims_rtp_find_extension(&packet, (guint8) id, &value, &length) == 0 &&
        (value < packet.extension || value + length > packet.extension + packet.extension_length))
      abort();
  }
  guint8 out[2048];
  int n = ims_rtp_unwrap_rtx(&packet, 96, 0x1234, out, sizeof(out));
  if (n >= 0) {
    ImsRtpPacket original;
    if ((gsize) n != size - packet.padding_length - 2 ||
        ims_rtp_parse(out, (gsize) n, &original) < 0 || original.ssrc != 0x1234 ||
        original.payload_length + 2 != packet.payload_length)
      abort();
  }
}

typedef struct {
  gboolean any;
  guint64 last;
  guint64 count;
  ImsTimeline *timeline;
  gint64 last_time;
  guint32 newest_timestamp;
} Output;

static void
on_deliver(const ImsRtpPacket *packet, guint64 extended_sequence, gint64 arrival_us,
           gpointer user_data)
{
  Output *out = user_data;
  if ((out->any && extended_sequence <= out->last) ||
      (guint16) extended_sequence != packet->sequence)
    abort();
  gint64 time = ims_timeline_map(out->timeline, 0, packet->timestamp, arrival_us);
  gint32 ahead = (gint32) (packet->timestamp - out->newest_timestamp);
  if (out->any && (time < out->last_time || (ahead > 0 && time <= out->last_time)))
    abort();
  if (!out->any || ahead > 0 || ahead < -30 * 90000)
    out->newest_timestamp = packet->timestamp;
  out->last_time = time;
  if (out->count % 8 == 7)
    ims_timeline_on_sender_report(out->timeline, 0,
                                  ((guint64) packet->ssrc << 32) | packet->csrc_count,
                                  packet->timestamp ^ packet->sequence);
  out->any = TRUE;
  out->last = extended_sequence;
  out->count++;
}

static void
check_stream(const guint8 *data, gsize size)
{
  ImsReceiveStreamConfig config;
  ims_receive_stream_config_init(&config, 90000);
  config.window = 16;
  config.max_packet_size = 256;
  Output out = { 0 };
  g_autoptr(ImsTimeline) timeline = ims_timeline_new();
  ims_timeline_add_stream(timeline, 90000);
  out.timeline = timeline;
  g_autoptr(ImsReceiveStream) stream = ims_receive_stream_new(&config, on_deliver, &out);
  gint64 now = 0;
  guint16 nacks[32];
  for (gsize at = 0; at + 3 <= size;) {
    gsize length = ((gsize) data[at] << 8) | data[at + 1];
    now += 1000 * (gint64) data[at + 2];
    at += 3;
    length = MIN(length, size - at);
    ims_receive_stream_push(stream, data + at, length, now);
    at += length;
    ims_receive_stream_collect_nacks(stream, now, nacks, G_N_ELEMENTS(nacks));
    if (ims_receive_stream_get_deadline(stream) <= now + 50000)
      ims_receive_stream_poll(stream, now + 50000);
  }
  ims_receive_stream_poll(stream, now + 10000000);
  ImsReceiveStreamStats stats;
  ims_receive_stream_get_stats(stream, &stats);
  ImsRtcpReportBlock block;
  ims_receive_stream_fill_report_block(stream, now, &block);
  if (stats.delivered != out.count || stats.delivered + stats.given_up > stats.expected ||
      stats.lost != (gint64) stats.expected - (gint64) stats.received)
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  check_packet(data, size);
  check_stream(data, size);
  return 0;
}
