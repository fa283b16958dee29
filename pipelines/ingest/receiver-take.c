/* receiver-take.c: a take's end in the receiver: its file closed, and its
 * result (receiver-private.h) with what the take counted on each track since
 * it started.  Runs on the receiver's media loop thread, as the loop side of
 * receiver.c; waits only for the writer's last write (ims_take_writer_close). */
#define G_LOG_DOMAIN "imsd.ingest.receiver"

#include "receiver-private.h"

#include <gst/codecparsers/gsth264parser.h>
#include <string.h>
#include <sys/stat.h>

/* The picture size of the take's video: VP8 from its keyframes, H.264 from the SPS. */
static void
video_size(Track *video, int *width, int *height)
{
  *width = (int) video->width;
  *height = (int) video->height;
  const guint8 *sps = NULL, *pps = NULL;
  gsize sps_size = 0, pps_size = 0;
  if (video->codec != IMS_MEDIA_CODEC_H264 ||
      !ims_depacketizer_get_h264_parameter_sets(video->depacketizer, &sps, &sps_size, &pps,
                                                &pps_size))
    return;
  g_autofree guint8 *annexb = g_malloc(sps_size + 4);
  memcpy(annexb, "\0\0\0\1", 4);
  memcpy(annexb + 4, sps, sps_size);
  GstH264NalParser *parser = gst_h264_nal_parser_new();
  GstH264NalUnit nalu;
  GstH264SPS parsed;
  if (gst_h264_parser_identify_nalu_unchecked(parser, annexb, 0, sps_size + 4, &nalu) ==
          GST_H264_PARSER_OK &&
      gst_h264_parse_sps(&nalu, &parsed) == GST_H264_PARSER_OK) {
    *width = parsed.frame_cropping_flag ? parsed.crop_rect_width : parsed.width;
    *height = parsed.frame_cropping_flag ? parsed.crop_rect_height : parsed.height;
    gst_h264_sps_clear(&parsed);
  }
  gst_h264_nal_parser_free(parser);
}

/* now - then of a counter, or now if the counter restarted (a new stream). */
static guint64
counted_since(guint64 now, guint64 then)
{
  return now >= then ? now - then : now;
}

/* See receiver-private.h. */
void
ims_receiver_tracks_mark_take_start(Track *tracks)
{
  for (guint i = 0; i < IMS_TRACK_COUNT; i++) {
    Track *track = &tracks[i];
    memset(&track->take_start_stats, 0, sizeof track->take_start_stats);
    track->take_start_frames_dropped = 0;
    if (track->stream)
      ims_receive_stream_get_stats(track->stream, &track->take_start_stats);
    if (track->depacketizer)
      track->take_start_frames_dropped = ims_depacketizer_get_stats(track->depacketizer)->frames_dropped;
  }
}

/* See receiver-private.h. */
ImsTakeResult *
ims_receiver_take_close(const ImsReceiverLog *log, ImsTakeWriter **writer, const char *take_path,
                        Track *tracks)
{
  ImsTakeCompleteness counted = { 0 };
  ImsTakeCompleteness *completeness = &counted;
  ImsTakeResult *result = g_new0(ImsTakeResult, 1);
  result->path = g_strdup(take_path);
  g_autoptr(GError) error = NULL;
  if (*writer) {
    *completeness = *ims_take_writer_get_completeness(*writer);
    result->complete = ims_take_writer_close(*writer, &error);
    if (!result->complete)
      ims_log_session(G_LOG_LEVEL_WARNING, log->session_id, log->take_id, "%stake %s: %s",
                      log->prefix, take_path, error->message);
    g_clear_pointer(writer, ims_take_writer_free);
  }
  for (guint i = 0; i < IMS_TRACK_COUNT; i++) {
    Track *track = &tracks[i];
    ImsTrackCompleteness *record = &completeness->tracks[i];
    if (track->stream) { /* since the take started */
      ImsReceiveStreamStats stats;
      const ImsReceiveStreamStats *start = &track->take_start_stats;
      ims_receive_stream_get_stats(track->stream, &stats);
      record->packets_expected = counted_since(stats.expected, start->expected);
      record->packets_received = counted_since(stats.received, start->received);
      record->packets_recovered_by_nack = counted_since(stats.recovered, start->recovered);
      /* lost = expected - received (RFC 3550 A.3), over the take */
      record->packets_lost = record->packets_expected > record->packets_received
                                 ? record->packets_expected - record->packets_received
                                 : 0;
    }
    if (track->depacketizer)
      record->frames_dropped_incomplete = counted_since(
          ims_depacketizer_get_stats(track->depacketizer)->frames_dropped,
          track->take_start_frames_dropped);
  }
  ImsTrackCompleteness *video = &completeness->tracks[IMS_TRACK_VIDEO];
  ImsTrackCompleteness *audio = &completeness->tracks[IMS_TRACK_AUDIO];
  gint64 first = G_MAXINT64, last = 0;
  for (guint i = 0; i < IMS_TRACK_COUNT; i++) {
    if (!completeness->tracks[i].has_frames)
      continue;
    first = MIN(first, completeness->tracks[i].first_ms);
    last = MAX(last, completeness->tracks[i].last_ms);
  }
  result->duration_ms = first == G_MAXINT64 ? 0 : last - first;
  struct stat st;
  result->size_bytes = stat(take_path, &st) == 0 ? (guint64) st.st_size : 0;
  if (video->has_frames) {
    result->video_codec = g_strdup(ims_media_codec_name(tracks[IMS_TRACK_VIDEO].codec));
    video_size(&tracks[IMS_TRACK_VIDEO], &result->width, &result->height);
  }
  if (audio->has_frames)
    result->audio_codec = g_strdup("OPUS");
  result->completeness = ims_take_completeness_to_string(completeness);
  return result;
}
