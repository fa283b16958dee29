/* rendition.c: the renditions made from one take (video.mp4, thumb.jpg, audio-16k.wav).
 *
 * One call of ims_renditions_make() is one job:
 *   probe the take (filesrc ! matroskademux to PAUSED: which streams, codec, size, duration if written)
 *   -> video.mp4 (remux or transcode, see mp4_description()) run to EOS, then its boxes checked (moov
 *      before mdat), its creation times zeroed (determinism), the AAC priming trimmed by the audio edit
 *      list (AAC_PRIMING_SAMPLES), and its duration/size read back
 *   -> thumb.jpg (decode up to the offset, keep that frame, encode it with a one-buffer appsrc pipeline)
 *   -> audio-16k.wav
 *   -> on any failure every output of the call is removed; unless the disk failed, the take is copied
 *      with its timestamps made strictly increasing (rendition-repair.c) and, if that changed any, every
 *      rendition is made again from the copy (flagged repaired), the copy removed after.
 * Every pipeline runs on the calling thread: its bus is polled with gst_bus_timed_pop_filtered(), no
 * GMainContext is involved, so worker threads of a pool can run jobs side by side.  The only state shared
 * between the calling thread and a streaming thread is ThumbnailGrab (locked, see there).
 * Building and running pipelines and probing the take live in rendition-pipeline.c, reading the produced
 * MP4 and WAV files back in rendition-inspect.c; the encoders and the MP4's finish here are shared with
 * composite.c (rendition-private.h).
 */
#define G_LOG_DOMAIN "imsd.rendition"

#include "rendition.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <string.h>

#include "rendition-private.h"

/* clang-format off */
G_DEFINE_QUARK(ims-rendition-error-quark, ims_rendition_error)
/* clang-format on */

/* Pipeline timeouts: a fixed allowance plus a multiple of the take's duration. */
#define TIMEOUT_BASE_SECONDS 60
#define TIMEOUT_PER_MEDIA_SECOND 4
/* Without a written duration (a crash-cut take), the duration is bounded by assuming this low a bitrate. */
#define SLOWEST_TAKE_BYTES_PER_SECOND 4000
#define DEFAULT_FRAME_RATE 30
#define BRANCH_QUEUE IMS_RENDITION_BRANCH_QUEUE
#define AAC_PRIMING_SAMPLES IMS_RENDITION_AAC_PRIMING_SAMPLES

void
ims_rendition_free(ImsRendition *rendition)
{
  if (rendition == NULL)
    return;
  g_free(rendition->path);
  g_free(rendition);
}

const char *
ims_rendition_kind_to_string(ImsRenditionKind kind)
{
  switch (kind) {
  case IMS_RENDITION_MP4:
    return "video/mp4";
  case IMS_RENDITION_THUMBNAIL:
    return "thumbnail";
  case IMS_RENDITION_WAV:
    return "audio/wav-16k";
  }
  return "unknown";
}

static const char *
kind_file_name(ImsRenditionKind kind)
{
  return kind == IMS_RENDITION_MP4         ? "video.mp4"
         : kind == IMS_RENDITION_THUMBNAIL ? "thumb.jpg"
                                           : "audio-16k.wav";
}

static const char *
kind_content_type(ImsRenditionKind kind)
{
  return kind == IMS_RENDITION_MP4         ? "video/mp4"
         : kind == IMS_RENDITION_THUMBNAIL ? "image/jpeg"
                                           : "audio/wav";
}

/* H.264 levels (Table A-1) in increasing order, as GStreamer's caps spell them: max macroblocks per
 * second and per frame.  x264enc refuses to negotiate a level its frames exceed. */
static const struct {
  const char *name;
  int max_macroblocks_per_second, max_frame_macroblocks;
} h264_levels[] = {
  { "1", 1485, 99 },        { "1b", 1485, 99 },        { "1.1", 3000, 396 },
  { "1.2", 6000, 396 },     { "1.3", 11880, 396 },     { "2", 11880, 396 },
  { "2.1", 19800, 792 },    { "2.2", 20250, 1620 },    { "3", 40500, 1620 },
  { "3.1", 108000, 3600 },  { "3.2", 216000, 5120 },   { "4", 245760, 8192 },
  { "4.1", 245760, 8192 },  { "4.2", 522240, 8704 },   { "5", 589824, 22080 },
  { "5.1", 983040, 36864 }, { "5.2", 2073600, 36864 },
};

/* Index of a level as the profile spells it ("3.0" is "3"); 0 if unknown (the loader refuses those). */
static gsize
level_index(const char *level)
{
  g_autofree char *name = g_str_has_suffix(level, ".0") ? g_strndup(level, strlen(level) - 2)
                                                        : g_strdup(level);
  for (gsize i = 0; i < G_N_ELEMENTS(h264_levels); i++)
    if (g_str_equal(h264_levels[i].name, name))
      return i;
  return 0;
}

/* The lowest level that fits width x height at frame_rate; the last level if none does. */
static gsize
level_needed(int width, int height, int frame_rate)
{
  gint64 frame = (gint64) ((width + 15) / 16) * ((height + 15) / 16);
  for (gsize i = 0; i < G_N_ELEMENTS(h264_levels); i++)
    if (frame <= h264_levels[i].max_frame_macroblocks &&
        frame * frame_rate <= h264_levels[i].max_macroblocks_per_second)
      return i;
  return G_N_ELEMENTS(h264_levels) - 1;
}

/* See rendition-private.h. */
int
ims_rendition_round_even(double value)
{
  int rounded = (int) (value / 2.0 + 0.5) * 2;
  return rounded < 2 ? 2 : rounded;
}

/* See rendition-private.h. */
double
ims_rendition_timeout_seconds(double media_seconds)
{
  return TIMEOUT_BASE_SECONDS + TIMEOUT_PER_MEDIA_SECOND * media_seconds;
}

static double
timeout_for(const ImsTakeStreams *info)
{
  return ims_rendition_timeout_seconds(GST_CLOCK_TIME_IS_VALID(info->duration)
                                           ? (double) info->duration / GST_SECOND
                                           : (double) info->size_bytes / SLOWEST_TAKE_BYTES_PER_SECOND);
}

/* ---- pipeline descriptions ------------------------------------------------------------------------ */

/* See rendition-private.h. */
const char *
ims_rendition_video_decoder(const char *video_codec)
{
  return g_str_equal(video_codec, "h264") ? "h264parse ! avdec_h264" : "vp8dec";
}

static gboolean
mp4_is_remux(const ImsProfile *profile, const ImsTakeStreams *info)
{
  return g_str_equal(info->video_codec, "h264") && info->height <= profile->mp4_max_height;
}

/* The size a transcode scales to: no taller than mp4_max_height, aspect kept, even dimensions. */
static void
mp4_transcode_size(const ImsProfile *profile, const ImsTakeStreams *info, int *width, int *height)
{
  int target_height = MIN(info->height, profile->mp4_max_height);
  *height = ims_rendition_round_even(target_height);
  *width = ims_rendition_round_even((double) info->width * target_height / info->height);
}

/* The gst-launch description of video.mp4 for this take (with_video/with_audio: which branches). */
static char *
mp4_description(const ImsProfile *profile, const ImsTakeStreams *info, gboolean with_video,
                gboolean with_audio)
{
  GString *description = g_string_new("filesrc name=src ! matroskademux name=demux "
                                      "mp4mux name=mux faststart=true ! filesink name=sink ");
  if (with_video && mp4_is_remux(profile, info)) {
    /* Matroska stores no DTS; with B-frames mp4mux needs them, and h264timestamper derives them. */
    g_string_append(description, "demux.video_0 ! " BRANCH_QUEUE
                                 " ! h264parse ! h264timestamper ! mux.video_0 ");
  } else if (with_video) {
    int width, height;
    mp4_transcode_size(profile, info, &width, &height);
    int frame_rate = info->fps_n > 0 && info->fps_d > 0
                         ? (info->fps_n + info->fps_d / 2) / info->fps_d
                         : DEFAULT_FRAME_RATE;
    g_autofree char *encoder = ims_rendition_h264_encoder(profile, width, height, frame_rate);
    g_string_append_printf(description,
                           "demux.video_0 ! " BRANCH_QUEUE " ! %s ! videoconvert ! videoscale ! "
                           "video/x-raw,width=%d,height=%d,pixel-aspect-ratio=1/1 ! %s ! mux.video_0 ",
                           ims_rendition_video_decoder(info->video_codec), width, height, encoder);
  }
  if (with_audio) {
    g_autofree char *encoder = ims_rendition_aac_encoder(profile);
    g_string_append_printf(description,
                           "demux.audio_0 ! " BRANCH_QUEUE
                           " ! opusdec ! audioconvert ! audioresample ! %s ! mux.audio_0 ",
                           encoder);
  }
  return g_string_free(description, FALSE);
}

/* See rendition-private.h. */
char *
ims_rendition_h264_encoder(const ImsProfile *profile, int width, int height, int frame_rate)
{
  g_autofree char *rate_control = profile->video_bitrate_kbps > 0
                                      ? g_strdup_printf("pass=cbr bitrate=%d",
                                                        profile->video_bitrate_kbps)
                                      : g_strdup_printf("pass=qual quantizer=%d",
                                                        profile->video_quality);
  /* A take larger or faster than the profile planned for (another aspect ratio, a higher frame rate)
   * gets the level it needs rather than a failed negotiation. */
  gsize level = MAX(level_index(profile->h264_level), level_needed(width, height, frame_rate));
  return g_strdup_printf("x264enc threads=1 speed-preset=veryfast key-int-max=%d %s ! "
                         "video/x-h264,profile=(string)%s,level=(string)%s ! h264parse",
                         MAX(1, 2 * frame_rate), rate_control, profile->h264_profile,
                         h264_levels[level].name);
}

/* See rendition-private.h. */
char *
ims_rendition_aac_encoder(const ImsProfile *profile)
{
  return g_strdup_printf("avenc_aac bitrate=%d ! aacparse", profile->aac_bitrate_kbps * 1000);
}

static char *
thumbnail_decode_description(const ImsTakeStreams *info)
{
  return g_strdup_printf("filesrc name=src ! matroskademux name=demux demux.video_0 ! " BRANCH_QUEUE
                         " ! %s ! "
                         "fakesink name=frames signal-handoffs=true sync=false",
                         ims_rendition_video_decoder(info->video_codec));
}

static char *
thumbnail_encode_description(const ImsProfile *profile, int width, int height)
{
  return g_strdup_printf(
      "appsrc name=frame format=time ! videoconvert ! videoscale ! "
      "video/x-raw,width=%d,height=%d,pixel-aspect-ratio=1/1 ! jpegenc quality=%d ! "
      "filesink name=sink",
      width, height, profile->thumbnail_quality);
}

static const char *
wav_description(void)
{
  return "filesrc name=src ! matroskademux name=demux demux.audio_0 ! " BRANCH_QUEUE " ! opusdec ! "
         "audioconvert ! audioresample ! audio/x-raw,format=S16LE,rate=16000,channels=1 ! wavenc ! "
         "filesink name=sink";
}

/* ---- the renditions ------------------------------------------------------------------------------- */

static ImsRendition *
rendition_new(ImsRenditionKind kind, const char *out_dir)
{
  ImsRendition *rendition = g_new0(ImsRendition, 1);
  rendition->kind = kind;
  rendition->file_name = kind_file_name(kind);
  rendition->content_type = kind_content_type(kind);
  rendition->path = g_build_filename(out_dir, rendition->file_name, NULL);
  return rendition;
}

static gboolean
fill_size(ImsRendition *rendition, GError **error)
{
  GStatBuf stat_buf;
  if (g_stat(rendition->path, &stat_buf) != 0 || stat_buf.st_size == 0) {
    g_set_error(error, IMS_RENDITION_ERROR, IMS_RENDITION_ERROR_OUTPUT, "%s: %s was not written",
                ims_rendition_kind_to_string(rendition->kind), rendition->path);
    return FALSE;
  }
  rendition->size_bytes = stat_buf.st_size;
  return TRUE;
}

/* See rendition-private.h. */
gboolean
ims_rendition_finish_mp4(const char *path, const char *what, gboolean has_audio, ImsMp4Info *mp4,
                         GError **error)
{
  g_autoptr(GError) mp4_error = NULL;
  ImsMp4Rewrite rewrite = { .zero_times = TRUE,
                            .audio_priming_samples = has_audio ? AAC_PRIMING_SAMPLES : 0 };
  if (!ims_mp4_inspect(path, &rewrite, mp4, &mp4_error)) {
    g_set_error(error, IMS_RENDITION_ERROR, IMS_RENDITION_ERROR_OUTPUT, "%s: %s", what,
                mp4_error->message);
    return FALSE;
  }
  if (!mp4->moov_before_mdat) {
    g_set_error(error, IMS_RENDITION_ERROR, IMS_RENDITION_ERROR_OUTPUT,
                "%s: moov is not before mdat", what);
    return FALSE;
  }
  if (has_audio && mp4->audio_media_time != AAC_PRIMING_SAMPLES)
    g_warning(
        "%s: %s: the AAC priming could not be trimmed (audio edit list media_time %" G_GINT64_FORMAT
        "): its audio plays %d samples late",
        what, path, mp4->audio_media_time, AAC_PRIMING_SAMPLES);
  return TRUE;
}

static gboolean
make_mp4(const ImsProfile *profile, const char *input, const ImsTakeStreams *info,
         ImsRendition *rendition, GError **error)
{
  gboolean with_video = profile->video && info->has_video;
  g_autofree char *description = mp4_description(profile, info, with_video, info->has_audio);
  g_autoptr(GstElement) pipeline = ims_rendition_build_pipeline("video/mp4", description, input,
                                                                rendition->path, error);
  if (pipeline == NULL ||
      !ims_rendition_run_pipeline(pipeline, "video/mp4", timeout_for(info), error))
    return FALSE;
  rendition->transcoded = with_video && !mp4_is_remux(profile, info);

  ImsMp4Info mp4;
  if (!ims_rendition_finish_mp4(rendition->path, "video/mp4", info->has_audio, &mp4, error))
    return FALSE;
  rendition->duration_ms = mp4.duration_ms;
  rendition->width = mp4.width;
  rendition->height = mp4.height;
  return fill_size(rendition, error);
}

/* The decoded frame kept for the thumbnail.  The lock protects every field: on_frame() runs on the
 * streaming thread, make_thumbnail() reads the fields after the pipeline is back in NULL. */
typedef struct {
  GMutex lock;
  GstClockTime offset;
  GstClockTime first_pts;
  GstBuffer *frame;
  GstCaps *caps;
  gboolean done;
} ThumbnailGrab;

static void
on_frame(GstElement *sink, GstBuffer *buffer, GstPad *pad, gpointer user_data)
{
  ThumbnailGrab *grab = user_data;
  GstClockTime pts = GST_BUFFER_PTS(buffer);
  gboolean reached = FALSE;
  g_mutex_lock(&grab->lock);
  if (!grab->done) {
    if (!GST_CLOCK_TIME_IS_VALID(grab->first_pts) && GST_CLOCK_TIME_IS_VALID(pts))
      grab->first_pts = pts;
    gst_buffer_replace(&grab->frame, buffer);
    GstCaps *caps = gst_pad_get_current_caps(pad);
    gst_caps_replace(&grab->caps, caps);
    if (caps != NULL)
      gst_caps_unref(caps);
    reached = GST_CLOCK_TIME_IS_VALID(pts) && pts - grab->first_pts >= grab->offset;
    grab->done = reached;
  }
  g_mutex_unlock(&grab->lock);
  if (reached)
    gst_element_post_message(
        sink, gst_message_new_application(GST_OBJECT(sink), gst_structure_new_empty("ims-stop")));
}

static gboolean
make_thumbnail(const ImsProfile *profile, const char *input, const ImsTakeStreams *info,
               ImsRendition *rendition, GError **error)
{
  g_autofree char *decode = thumbnail_decode_description(info);
  g_autoptr(GstElement)
      pipeline = ims_rendition_build_pipeline("thumbnail", decode, input, NULL, error);
  if (pipeline == NULL)
    return FALSE;
  ThumbnailGrab grab = { .offset = (GstClockTime) (profile->thumbnail_offset_seconds * GST_SECOND),
                         .first_pts = GST_CLOCK_TIME_NONE };
  g_mutex_init(&grab.lock);
  g_autoptr(GstElement) frames = gst_bin_get_by_name(GST_BIN(pipeline), "frames");
  g_signal_connect(frames, "handoff", G_CALLBACK(on_frame), &grab);
  gboolean ok = ims_rendition_run_pipeline(pipeline, "thumbnail", timeout_for(info), error);
  g_signal_handlers_disconnect_by_data(frames, &grab);
  g_autoptr(GstBuffer) frame = g_steal_pointer(&grab.frame);
  g_autoptr(GstCaps) caps = g_steal_pointer(&grab.caps);
  g_mutex_clear(&grab.lock);
  if (!ok)
    return FALSE;
  if (frame == NULL || caps == NULL) {
    g_set_error(error, IMS_RENDITION_ERROR, IMS_RENDITION_ERROR_INPUT,
                "thumbnail: no video frame decoded");
    return FALSE;
  }

  int frame_width = 0, frame_height = 0;
  const GstStructure *structure = gst_caps_get_structure(caps, 0);
  if (!gst_structure_get_int(structure, "width", &frame_width) ||
      !gst_structure_get_int(structure, "height", &frame_height) || frame_width <= 0 ||
      frame_height <= 0) {
    g_set_error(error, IMS_RENDITION_ERROR, IMS_RENDITION_ERROR_INPUT,
                "thumbnail: decoded frame has no size");
    return FALSE;
  }
  int width = profile->thumbnail_width;
  int height = ims_rendition_round_even((double) frame_height * width / frame_width);
  g_autofree char *encode = thumbnail_encode_description(profile, width, height);
  g_autoptr(GstElement)
      encoder = ims_rendition_build_pipeline("thumbnail", encode, NULL, rendition->path, error);
  if (encoder == NULL)
    return FALSE;
  g_autoptr(GstElement) appsrc = gst_bin_get_by_name(GST_BIN(encoder), "frame");
  g_object_set(appsrc, "caps", caps, NULL);
  GstFlowReturn flow = GST_FLOW_OK;
  /* appsrc queues both until the pipeline runs; "push-buffer" does not take the caller's reference. */
  GST_BUFFER_PTS(frame) = 0;
  g_signal_emit_by_name(appsrc, "push-buffer", frame, &flow);
  g_signal_emit_by_name(appsrc, "end-of-stream", &flow);
  if (!ims_rendition_run_pipeline(encoder, "thumbnail", TIMEOUT_BASE_SECONDS, error))
    return FALSE;
  rendition->width = width;
  rendition->height = height;
  return fill_size(rendition, error);
}

static gboolean
make_wav(const char *input, const ImsTakeStreams *info, ImsRendition *rendition, GError **error)
{
  g_autoptr(GstElement) pipeline = ims_rendition_build_pipeline("audio/wav-16k", wav_description(),
                                                                input, rendition->path, error);
  if (pipeline == NULL ||
      !ims_rendition_run_pipeline(pipeline, "audio/wav-16k", timeout_for(info), error))
    return FALSE;
  ImsWavInfo wav;
  g_autoptr(GError) wav_error = NULL;
  if (!ims_wav_inspect(rendition->path, &wav, &wav_error)) {
    g_set_error(error, IMS_RENDITION_ERROR, IMS_RENDITION_ERROR_OUTPUT, "audio/wav-16k: %s",
                wav_error->message);
    return FALSE;
  }
  rendition->duration_ms = wav.duration_ms;
  return fill_size(rendition, error);
}

/* Makes every rendition from input (probed into info).  NULL with an error; outputs removed then. */
static GPtrArray *
make_renditions(const ImsProfile *profile, const char *input, const ImsTakeStreams *info,
                const char *out_dir, GError **error)
{
  g_autoptr(GPtrArray)
      renditions = g_ptr_array_new_with_free_func((GDestroyNotify) ims_rendition_free);
  gboolean ok = TRUE;

  ImsRendition *mp4 = rendition_new(IMS_RENDITION_MP4, out_dir);
  g_ptr_array_add(renditions, mp4);
  ok = make_mp4(profile, input, info, mp4, error);

  if (ok && profile->video && info->has_video) {
    ImsRendition *thumbnail = rendition_new(IMS_RENDITION_THUMBNAIL, out_dir);
    g_ptr_array_add(renditions, thumbnail);
    ok = make_thumbnail(profile, input, info, thumbnail, error);
  }
  if (ok && profile->transcription_wav && info->has_audio) {
    ImsRendition *wav = rendition_new(IMS_RENDITION_WAV, out_dir);
    g_ptr_array_add(renditions, wav);
    ok = make_wav(input, info, wav, error);
  }
  if (!ok) {
    for (guint i = 0; i < renditions->len; i++)
      g_unlink(((ImsRendition *) renditions->pdata[i])->path);
    return NULL;
  }
  return g_steal_pointer(&renditions);
}

/* After a failed attempt (first_error, consumed): makes the renditions from a re-timestamped copy of
 * input (removed after), flagged repaired.  NULL with first_error (the copy changed nothing: it cannot
 * help) or the repaired attempt's error otherwise. */
static GPtrArray *
make_repaired(const ImsProfile *profile, const char *input, const ImsTakeStreams *info,
              const char *out_dir, GError *first_error, GError **error)
{
  g_autoptr(GError) first = first_error;
  g_autoptr(GError) repair_error = NULL;
  g_autofree char *copy = g_build_filename(out_dir, "retimestamped.mkv", NULL);
  guint fixed = 0;
  if (!ims_rendition_repair_timestamps(input, copy, info->has_video, info->has_audio,
                                       timeout_for(info), &fixed, &repair_error)) {
    g_info("%s: no repair (%s)", input, repair_error->message);
    g_propagate_error(error, g_steal_pointer(&first));
    return NULL;
  }
  if (fixed == 0) {
    g_unlink(copy);
    g_propagate_error(error, g_steal_pointer(&first));
    return NULL;
  }
  g_message("%s: %s; re-timestamped %u buffer(s) that were not increasing, trying again", input,
            first->message, fixed);
  ImsTakeStreams copy_info;
  GPtrArray *renditions = NULL;
  if (ims_rendition_probe_take(copy, &copy_info, &repair_error)) {
    renditions = make_renditions(profile, copy, &copy_info, out_dir, &repair_error);
    ims_take_streams_clear(&copy_info);
  }
  g_unlink(copy);
  if (renditions == NULL) {
    g_propagate_prefixed_error(error, g_steal_pointer(&repair_error),
                               "%s; after re-timestamping %u buffer(s): ", first->message, fixed);
    return NULL;
  }
  for (guint i = 0; i < renditions->len; i++)
    ((ImsRendition *) renditions->pdata[i])->repaired = TRUE;
  return renditions;
}

GPtrArray *
ims_renditions_make(const ImsProfile *profile, const char *input, const char *out_dir,
                    GError **error)
{
  g_return_val_if_fail(profile != NULL, NULL);
  g_return_val_if_fail(input != NULL, NULL);
  g_return_val_if_fail(out_dir != NULL, NULL);

  if (!gst_is_initialized())
    gst_init(NULL, NULL);
  if (!g_file_test(out_dir, G_FILE_TEST_IS_DIR)) {
    g_set_error(error, IMS_RENDITION_ERROR, IMS_RENDITION_ERROR_OUTPUT, "%s is not a directory",
                out_dir);
    return NULL;
  }
  ImsTakeStreams info;
  if (!ims_rendition_probe_take(input, &info, error))
    return NULL;

  GError *first_error = NULL;
  GPtrArray *renditions = make_renditions(profile, input, &info, out_dir, &first_error);
  if (renditions == NULL && first_error->code == IMS_RENDITION_ERROR_OUTPUT)
    g_propagate_error(error, first_error); /* the disk, not the take: nothing to repair */
  else if (renditions == NULL)
    renditions = make_repaired(profile, input, &info, out_dir, first_error, error);
  ims_take_streams_clear(&info);
  return renditions;
}

gboolean
ims_renditions_check_profile(const ImsProfile *profile, GError **error)
{
  g_return_val_if_fail(profile != NULL, FALSE);
  if (!gst_is_initialized())
    gst_init(NULL, NULL);
  /* The level must hold the largest 16:9 video the profile makes at the frame rate it asks for. */
  int planned_height = profile->mp4_max_height,
      planned_width = ims_rendition_round_even(planned_height * 16.0 / 9.0);
  gsize needed = level_needed(planned_width, planned_height, profile->max_frame_rate);
  if (profile->video && level_index(profile->h264_level) < needed) {
    g_set_error(error, IMS_RENDITION_ERROR, IMS_RENDITION_ERROR_PIPELINE,
                "profile %s: h264_level %s is too low for %dx%d at %d fps (needs %s)",
                profile->name, profile->h264_level, planned_width, planned_height,
                profile->max_frame_rate, h264_levels[needed].name);
    return FALSE;
  }
  /* Every variant the profile can produce: H.264 within limits (remux), H.264 too tall and VP8 (transcode). */
  ImsTakeStreams takes[] = {
    { .has_video = TRUE,
      .has_audio = TRUE,
      .video_codec = (char *) "h264",
      .width = 640,
      .height = 360,
      .fps_n = 30,
      .fps_d = 1 },
    { .has_video = TRUE,
      .has_audio = TRUE,
      .video_codec = (char *) "h264",
      .width = 7680,
      .height = 4320 },
    { .has_video = TRUE,
      .has_audio = TRUE,
      .video_codec = (char *) "vp8",
      .width = 1280,
      .height = 720,
      .fps_n = 30,
      .fps_d = 1 },
  };
  GPtrArray *descriptions = g_ptr_array_new_with_free_func(g_free);
  for (gsize i = 0; i < G_N_ELEMENTS(takes); i++) {
    g_ptr_array_add(descriptions, mp4_description(profile, &takes[i], profile->video, TRUE));
    if (profile->video)
      g_ptr_array_add(descriptions, thumbnail_decode_description(&takes[i]));
  }
  if (profile->video)
    g_ptr_array_add(descriptions,
                    thumbnail_encode_description(profile, profile->thumbnail_width, 180));
  if (profile->transcription_wav)
    g_ptr_array_add(descriptions, g_strdup(wav_description()));

  gboolean ok = TRUE;
  for (guint i = 0; i < descriptions->len && ok; i++) {
    g_autoptr(GError) local_error = NULL;
    g_autoptr(GstElement) pipeline = ims_rendition_build_pipeline(
        "pipeline", descriptions->pdata[i], NULL, NULL, &local_error);
    if (pipeline == NULL) {
      g_set_error(error, IMS_RENDITION_ERROR, IMS_RENDITION_ERROR_PIPELINE, "profile %s: %s",
                  profile->name, local_error->message);
      ok = FALSE;
    }
  }
  g_ptr_array_unref(descriptions);
  return ok;
}
