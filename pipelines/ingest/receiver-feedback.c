/* receiver-feedback.c: what the receiver sends back to its publisher (the
 * receiver reports and REMB of every report interval) and its side of
 * forwarding (an SFU): the senders of its publisher (sender.h) and what
 * passes between them.
 *
 * Every sender of a receiver lives on the receiver's media loop; the list
 * of them (receiver->senders) is loop side, so a forwarded packet is a loop
 * over the list and one function call per sender: no lock, no allocation,
 * no thread hop.  Packets are forwarded as they arrive, before the receive
 * stream orders them for the recording, so the publisher's retransmissions
 * (answers to the receiver's own NACKs) reach the subscribers too and their
 * jitter buffers do the ordering.  Upstream, the subscribers' keyframe
 * requests become at most one PLI per 500 ms, and the receiver's REMB is
 * the lowest of its target and the subscribers' REMBs.
 *
 * Also the link quality snapshot of the receiver (ims_receiver_get_quality()).
 */
#define G_LOG_DOMAIN "imsd.ingest.receiver"

#include "receiver-private.h"

#include "metrics.h"
#include "sender-private.h"

#define FORWARD_KEYFRAME_INTERVAL_US (500 * 1000)

/* Adds the packets the track's stream lost since the last call to
 * imsd_receive_packets_lost_total (lost can shrink: a late packet counts
 * as received). */
void
ims_receiver_count_lost(Track *track)
{
  ImsReceiveStreamStats stats;
  if (!track->stream)
    return;
  ims_receive_stream_get_stats(track->stream, &stats);
  if (stats.lost > track->lost_counted)
    ims_metric_add(&ims_metric_receive_packets_lost, track->track, stats.lost - track->lost_counted);
  track->lost_counted = MAX(track->lost_counted, stats.lost);
}

/* Receiver reports for both tracks and REMB with the target bitrate (or a
 * subscriber's lower one: ims_receiver_forward_remb()). */
void
ims_receiver_send_reports(ImsReceiver *receiver, gint64 now)
{
  ImsRtcpReportBlock blocks[IMS_TRACK_COUNT];
  guint count = 0;
  guint32 ssrcs[IMS_TRACK_COUNT];
  guint ssrc_count = 0;
  for (guint i = 0; i < IMS_TRACK_COUNT; i++) {
    Track *track = &receiver->tracks[i];
    ims_receiver_count_lost(track);
    if (track->stream && ims_receive_stream_fill_report_block(track->stream, now, &blocks[count]))
      count++;
    if (track->ssrc)
      ssrcs[ssrc_count++] = track->ssrc;
  }
  if (count == 0)
    return;
  guint8 buffer[512];
  int length = ims_rtcp_write_receiver_report(buffer, sizeof buffer, receiver->local_ssrc, blocks,
                                              count);
  guint64 remb_bps = ims_receiver_forward_remb(receiver, (guint64) receiver->config.target_kbps * 1000,
                                              now);
  if (length > 0 && remb_bps > 0) {
    int remb = ims_rtcp_write_remb(buffer + length, sizeof buffer - (gsize) length,
                                   receiver->local_ssrc, remb_bps, ssrcs, ssrc_count);
    if (remb > 0)
      length += remb;
  }
  if (length > 0)
    ims_transport_send_rtcp(receiver->transport, buffer, (gsize) length);
}

void
ims_receiver_attach_sender(ImsReceiver *receiver, ImsSender *sender)
{
  if (!receiver->senders)
    receiver->senders = g_ptr_array_new();
  g_ptr_array_add(receiver->senders, sender);
}

void
ims_receiver_detach_sender(ImsReceiver *receiver, ImsSender *sender)
{
  if (receiver->senders)
    g_ptr_array_remove_fast(receiver->senders, sender);
}

void
ims_receiver_forward_clear(ImsReceiver *receiver)
{
  if (receiver->senders && receiver->senders->len > 0)
    ims_log_session(G_LOG_LEVEL_WARNING, receiver->log.session_id, NULL,
                    "%sfreed with %u senders attached", receiver->log.prefix,
                    receiver->senders->len);
  g_clear_pointer(&receiver->senders, g_ptr_array_unref);
}

void
ims_receiver_request_keyframe(ImsReceiver *receiver, gint64 now)
{
  if (!receiver->configured)
    return; /* torn down (a sender outlived its receiver): no transport */
  if (receiver->keyframe_forwarded_us &&
      now - receiver->keyframe_forwarded_us < FORWARD_KEYFRAME_INTERVAL_US)
    return;
  receiver->keyframe_forwarded_us = now;
  ims_receiver_send_pli(receiver, now);
}

void
ims_receiver_forward_rtp(ImsReceiver *receiver, ImsTrack track, const ImsRtpPacket *packet,
                         gint64 now)
{
  if (!receiver->senders)
    return;
  for (guint i = 0; i < receiver->senders->len; i++)
    ims_sender_forward_rtp(g_ptr_array_index(receiver->senders, i), track, packet, now);
}

void
ims_receiver_forward_sender_report(ImsReceiver *receiver, ImsTrack track,
                                   const ImsRtcpReport *report, gint64 now)
{
  if (!receiver->senders)
    return;
  for (guint i = 0; i < receiver->senders->len; i++)
    ims_sender_forward_sender_report(g_ptr_array_index(receiver->senders, i), track, report, now);
}

guint64
ims_receiver_forward_remb(ImsReceiver *receiver, guint64 target_bps, gint64 now)
{
  guint64 lowest = target_bps;
  for (guint i = 0; receiver->senders && i < receiver->senders->len; i++) {
    guint64 bitrate;
    if (ims_sender_get_remb(g_ptr_array_index(receiver->senders, i), now, &bitrate) &&
        (lowest == 0 || bitrate < lowest))
      lowest = bitrate;
  }
  return lowest;
}

void
ims_receiver_forward_report(ImsReceiver *receiver, gint64 now)
{
  ImsLinkQuality quality = { 0 };
  guint64 expected = 0;
  gint64 lost = 0;
  for (guint i = 0; i < IMS_TRACK_COUNT; i++) {
    Track *track = &receiver->tracks[i];
    if (!track->stream)
      continue;
    ImsReceiveStreamStats stats;
    ims_receive_stream_get_stats(track->stream, &stats);
    expected += stats.expected - track->quality_expected;
    lost += stats.lost - track->quality_lost;
    track->quality_expected = stats.expected;
    track->quality_lost = stats.lost;
    if (i == IMS_TRACK_VIDEO || quality.rtt_ms == 0)
      quality.rtt_ms = (double) stats.rtt_us / 1000.0;
  }
  if (expected > 0 && lost > 0)
    quality.loss_percent = 100.0 * (double) lost / (double) expected;
  ImsTransportStats transport;
  ims_transport_get_stats(receiver->transport, &transport);
  if (receiver->report_bytes_us && now > receiver->report_bytes_us)
    quality.bitrate_kbps = (double) (transport.rtp_bytes - receiver->rtp_bytes_at_report) * 8.0 *
                           1000.0 / (double) (now - receiver->report_bytes_us);
  receiver->rtp_bytes_at_report = transport.rtp_bytes;
  receiver->report_bytes_us = now;
  g_mutex_lock(&receiver->quality_lock);
  receiver->quality = quality;
  g_mutex_unlock(&receiver->quality_lock);
  for (guint i = 0; receiver->senders && i < receiver->senders->len; i++)
    ims_sender_report(g_ptr_array_index(receiver->senders, i), now);
}

void
ims_receiver_get_quality(ImsReceiver *receiver, ImsLinkQuality *quality)
{
  g_mutex_lock(&receiver->quality_lock);
  *quality = receiver->quality;
  g_mutex_unlock(&receiver->quality_lock);
}
