/* composite.c: a live room's composite MP4 (see composite.h).
 *
 * One call of ims_composite_make() is one job:
 *   plan: every file read once through its demuxer, nothing decoded (scan_file: its streams and where
 *         its last buffer ends, whatever its header says: a file a crash cut has no duration there)
 *         into a Clip: a tile, a start in the MP4 and a length; the segments' lengths and starts
 *         follow from the clips
 *   -> one pipeline (pipeline_description()):
 *        videotestsrc (black, the whole length) ---------------------------> compositor sink_0
 *        each clip: filesrc ! matroskademux ! queue ! decoder ----------------> compositor sink_N
 *                                           ! queue ! opusdec ! convert ----> audiomixer sink_N
 *        audiotestsrc (silence, the whole length) -------------------------> audiomixer sink_0
 *        compositor ! x264enc ! mp4mux,  audiomixer ! avenc_aac ! mp4mux ! filesink
 *      Each clip's two aggregator pads have its start as pad offset and its tile as pad geometry: a
 *      clip waits in its queues, decoded frame ready, until the aggregators reach its start, and a tile
 *      no clip covers shows the background.  The background sources give the MP4 its length; a buffer
 *      past it is dropped (trim_probe).
 *   -> the MP4 finished as rendition.c's video.mp4 (times zeroed, AAC priming trimmed), read back.
 * The pipelines run on the calling thread (ims_rendition_run_pipeline polls their buses).  The trim
 * probes run on streaming threads and read only their Trim, which outlives the pipeline; a scan's
 * handoffs write its Scan under its lock.
 */
#define G_LOG_DOMAIN "imsd.composite"

#include "composite.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "json-build.h"
#include "rendition-private.h"
#include "rendition.h"

#define MAX_CANVAS_HEIGHT 720
#define MAX_FRAME_RATE 30
#define AUDIO_RATE 48000
/* The silent background's buffers: 10 ms each. */
#define SILENCE_SAMPLES_PER_BUFFER 480
/* Reading a file through the demuxer: a fixed allowance plus a second per this many bytes. */
#define SCAN_BYTES_PER_SECOND (1024 * 1024)
#define RAW_AUDIO "audio/x-raw,rate=48000,channels=2"

/* One readable file, placed. */
typedef struct {
  char *path;
  guint segment;
  guint tile;      /* a person's index, or n_people: the screen */
  char *video_codec; /* "h264", "vp8"; NULL: no video */
  gboolean audio;  /* has Opus audio, mixed in (never for a screen) */
  GstClockTime start;
  GstClockTime length;
} Clip;

static void
clip_free(Clip *clip)
{
  g_free(clip->path);
  g_free(clip->video_codec);
  g_free(clip);
}

/* What the job found and decided before the pipeline runs. */
typedef struct {
  int width, height, frame_rate; /* width 0: an audio-only profile */
  GPtrArray *clips;              /* Clip*, in segment order */
  gint64 *segment_lengths;       /* per segment, ns */
  gboolean *segment_screens;     /* per segment: a screen share is shown */
  GstClockTime length;           /* the sum of segment_lengths */
  guint skipped_files;
} Plan;

static void
plan_clear(Plan *plan)
{
  g_clear_pointer(&plan->clips, g_ptr_array_unref);
  g_clear_pointer(&plan->segment_lengths, g_free);
  g_clear_pointer(&plan->segment_screens, g_free);
}

void
ims_composite_free(ImsComposite *composite)
{
  if (composite == NULL)
    return;
  g_free(composite->path);
  g_free(composite->chapters);
  g_free(composite);
}

/* ---- pure parts ----------------------------------------------------------------------------------- */

static int
even(int value)
{
  return value & ~1;
}

void
ims_composite_layout(int width, int height, guint n_people, gboolean with_screen,
                     ImsCompositeTile *tiles)
{
  g_return_if_fail(n_people >= 1 && tiles != NULL);
  if (with_screen) {
    int column = even(width / 4);
    tiles[n_people] = (ImsCompositeTile) { 0, 0, width - column, height };
    for (guint i = 0; i < n_people; i++)
      tiles[i] = (ImsCompositeTile) { width - column, even((int) (i * height / n_people)), column,
                                      even((int) (height / n_people)) };
    return;
  }
  if (n_people == 1) {
    tiles[0] = (ImsCompositeTile) { 0, 0, width, height };
    return;
  }
  int half = even(width / 2);
  guint interviewers = n_people - 1;
  tiles[0] = (ImsCompositeTile) { 0, 0, half, height };
  for (guint i = 0; i < interviewers; i++)
    tiles[i + 1] = (ImsCompositeTile) { half, even((int) (i * height / interviewers)), width - half,
                                        even((int) (height / interviewers)) };
}

char *
ims_composite_chapters_json(const ImsCompositeSegment *segments, guint n_segments,
                            const gint64 *durations_ns)
{
  g_autoptr(JsonBuilder) builder = json_builder_new();
  json_builder_begin_array(builder);
  gint64 start_ns = 0;
  for (guint i = 0; i < n_segments; i++) {
    json_builder_begin_object(builder);
    ims_json_add_string(builder, "title", segments[i].title ? segments[i].title : "");
    ims_json_add_double(builder, "startSeconds", (double) (start_ns / GST_MSECOND) / 1000.0);
    json_builder_end_object(builder);
    start_ns += durations_ns[i];
  }
  json_builder_end_array(builder);
  g_autoptr(JsonNode) root = json_builder_get_root(builder);
  return json_to_string(root, FALSE);
}

/* ---- the plan ------------------------------------------------------------------------------------- */

/* What a demux-only pass over a file found (scan_file).  The lock protects every field: the pads'
 * handoffs run on the demuxer's streaming thread, scan_file() reads them after the pipeline is NULL. */
typedef struct {
  GMutex lock;
  char *video_codec; /* "h264", "vp8"; NULL: none (or another codec) */
  gboolean audio;    /* an Opus stream */
  char *other;       /* the caps of a stream of another codec, NULL if none */
  GstClockTime end;  /* the latest buffer end over every stream */
  guint64 buffers;
} Scan;

static void
on_scan_buffer(GstElement *sink, GstBuffer *buffer, GstPad *pad, gpointer user_data)
{
  Scan *scan = user_data;
  GstClockTime pts = GST_BUFFER_PTS(buffer), duration = GST_BUFFER_DURATION(buffer);
  if (!GST_CLOCK_TIME_IS_VALID(pts))
    return;
  /* a video frame of Matroska carries no duration: a frame at 30 fps is assumed */
  GstClockTime end = pts + (GST_CLOCK_TIME_IS_VALID(duration) ? duration : GST_SECOND / MAX_FRAME_RATE);
  g_mutex_lock(&scan->lock);
  scan->end = GST_CLOCK_TIME_IS_VALID(scan->end) ? MAX(scan->end, end) : end;
  scan->buffers++;
  g_mutex_unlock(&scan->lock);
}

static void
on_scan_pad(GstElement *demux, GstPad *pad, gpointer user_data)
{
  Scan *scan = user_data;
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps(pad);
  const char *name = caps && !gst_caps_is_empty(caps)
                         ? gst_structure_get_name(gst_caps_get_structure(caps, 0))
                         : "";
  g_mutex_lock(&scan->lock);
  if (g_str_equal(name, "video/x-h264") || g_str_equal(name, "video/x-vp8")) {
    if (!scan->video_codec)
      scan->video_codec = g_strdup(g_str_equal(name, "video/x-h264") ? "h264" : "vp8");
  } else if (g_str_equal(name, "audio/x-opus")) {
    scan->audio = TRUE;
  } else if (!scan->other) {
    scan->other = g_strdup(name);
  }
  g_mutex_unlock(&scan->lock);
  GstElement *sink = gst_element_factory_make("fakesink", NULL);
  g_object_set(sink, "sync", FALSE, "async", FALSE, "signal-handoffs", TRUE, NULL);
  g_signal_connect(sink, "handoff", G_CALLBACK(on_scan_buffer), scan);
  g_autoptr(GstObject) pipeline = gst_element_get_parent(demux);
  gst_bin_add(GST_BIN(pipeline), sink);
  gst_element_sync_state_with_parent(sink);
  g_autoptr(GstPad) sink_pad = gst_element_get_static_pad(sink, "sink");
  gst_pad_link(pad, sink_pad);
}

/* Reads the whole file through matroskademux, nothing decoded (about the cost of reading it): its
 * streams and where its last buffer ends, so a file a crash cut (no duration in its header) is as
 * long as what it holds.  FALSE with IMS_RENDITION_ERROR_INPUT if it holds no buffer; an error after
 * some (a cut file) only ends it. */
static gboolean
scan_file(const char *path, Scan *scan, GError **error)
{
  GStatBuf stat_buf;
  if (g_stat(path, &stat_buf) != 0) {
    g_set_error(error, IMS_RENDITION_ERROR, IMS_RENDITION_ERROR_INPUT, "%s: %s", path,
                g_strerror(errno));
    return FALSE;
  }
  g_autoptr(GstElement) pipeline = ims_rendition_build_pipeline(
      "composite: scan", "filesrc name=src ! matroskademux name=demux", path, NULL, error);
  if (pipeline == NULL)
    return FALSE;
  g_autoptr(GstElement) demux = gst_bin_get_by_name(GST_BIN(pipeline), "demux");
  g_signal_connect(demux, "pad-added", G_CALLBACK(on_scan_pad), scan);
  g_autoptr(GError) run_error = NULL;
  ims_rendition_run_pipeline(pipeline, "composite: scan",
                             ims_rendition_timeout_seconds(0) +
                                 (double) stat_buf.st_size / SCAN_BYTES_PER_SECOND,
                             &run_error);
  g_signal_handlers_disconnect_by_data(demux, scan);
  if (scan->buffers == 0) {
    g_set_error(error, IMS_RENDITION_ERROR, IMS_RENDITION_ERROR_INPUT, "%s: %s", path,
                run_error ? run_error->message : "no media");
    return FALSE;
  }
  if (run_error)
    g_info("composite: %s: read up to %" GST_TIME_FORMAT ": %s", path, GST_TIME_ARGS(scan->end),
           run_error->message);
  return TRUE;
}

/* The file at path as a clip of tile (its start is set later), or NULL (skipped, with a warning) when
 * it cannot be read or holds nothing the tile uses. */
static Clip *
probe_clip(const char *path, const char *who, guint segment, guint tile, gboolean screen,
           gboolean with_video)
{
  g_autoptr(GError) error = NULL;
  Scan scan = { .end = GST_CLOCK_TIME_NONE };
  g_mutex_init(&scan.lock);
  Clip *clip = NULL;
  if (!scan_file(path, &scan, &error)) {
    g_warning("composite: %s, segment %u: %s: left black and silent", who, segment, error->message);
  } else if (!(scan.video_codec && with_video) && !(scan.audio && !screen)) {
    g_warning("composite: %s, segment %u: %s: no H.264 or VP8 video%s (%s): left black and silent",
              who, segment, path, screen ? "" : " or Opus audio", scan.other ? scan.other : "none");
  } else {
    clip = g_new0(Clip, 1);
    clip->path = g_strdup(path);
    clip->segment = segment;
    clip->tile = tile;
    clip->video_codec = with_video ? g_steal_pointer(&scan.video_codec) : NULL;
    clip->audio = scan.audio && !screen;
    clip->length = scan.end;
  }
  g_free(scan.video_codec);
  g_free(scan.other);
  g_mutex_clear(&scan.lock);
  return clip;
}

/* Probes every file of input and places it: each segment starts where the one before ends and lasts
 * as long as its longest camera clip or its screen clips one after the other (its recorded duration
 * without any).  FALSE with IMS_RENDITION_ERROR_INPUT if no file is readable or nothing lasts. */
static gboolean
make_plan(const ImsProfile *profile, const ImsCompositeInput *input, Plan *plan, GError **error)
{
  guint screen_tile = input->n_people;
  plan->clips = g_ptr_array_new_with_free_func((GDestroyNotify) clip_free);
  plan->segment_lengths = g_new0(gint64, MAX(input->n_segments, 1));
  plan->segment_screens = g_new0(gboolean, MAX(input->n_segments, 1));
  plan->frame_rate = CLAMP(profile->max_frame_rate, 1, MAX_FRAME_RATE);
  if (profile->video) {
    int height = input->height > 0 ? input->height : MIN(profile->mp4_max_height, MAX_CANVAS_HEIGHT);
    plan->height = ims_rendition_round_even(height);
    plan->width = ims_rendition_round_even(plan->height * 16.0 / 9.0);
  }

  for (guint s = 0; s < input->n_segments; s++) {
    const ImsCompositeSegment *segment = &input->segments[s];
    GstClockTime segment_start = plan->length, longest = 0, screens = 0;
    for (guint p = 0; p < input->n_people; p++) {
      const char *path = input->people[p].cameras[s];
      Clip *clip = path ? probe_clip(path, input->people[p].name, s, p, FALSE, profile->video) : NULL;
      plan->skipped_files += path && !clip;
      if (!clip)
        continue;
      clip->start = segment_start;
      longest = MAX(longest, clip->length);
      g_ptr_array_add(plan->clips, clip);
    }
    for (guint i = 0; segment->screens && segment->screens[i]; i++) {
      Clip *clip = probe_clip(segment->screens[i], "screen", s, screen_tile, TRUE, profile->video);
      plan->skipped_files += !clip;
      if (!clip)
        continue;
      clip->start = segment_start + screens;
      screens += clip->length;
      plan->segment_screens[s] = TRUE;
      g_ptr_array_add(plan->clips, clip);
    }
    longest = MAX(longest, screens);
    plan->segment_lengths[s] = longest > 0 ? (gint64) longest
                                           : MAX(segment->duration_ms, 0) * GST_MSECOND;
    plan->length += plan->segment_lengths[s];
  }
  if (plan->clips->len == 0 || plan->length == 0) {
    g_set_error(error, IMS_RENDITION_ERROR, IMS_RENDITION_ERROR_INPUT,
                "composite: %s", plan->clips->len == 0 ? "no file of any segment can be read"
                                                       : "the segments last nothing");
    return FALSE;
  }
  return TRUE;
}

/* ---- the pipeline --------------------------------------------------------------------------------- */

static guint64
frames_in(const Plan *plan, GstClockTime length)
{
  return gst_util_uint64_scale_ceil(length, plan->frame_rate, GST_SECOND);
}

/* The gst-launch description of the whole job; sources are named src<N> (their locations are set
 * after parsing), the aggregators mix and amix, the sink sink. */
static char *
pipeline_description(const ImsProfile *profile, const ImsCompositeInput *input, const Plan *plan)
{
  GString *video_pads = g_string_new(NULL), *audio_pads = g_string_new(NULL);
  GString *branches = g_string_new(NULL);
  ImsCompositeTile plain[input->n_people + 1], with_screen[input->n_people + 1];
  gboolean video = plan->width > 0;
  if (video) {
    ims_composite_layout(plan->width, plan->height, input->n_people, FALSE, plain);
    ims_composite_layout(plan->width, plan->height, input->n_people, TRUE, with_screen);
  }
  for (guint i = 0; i < plan->clips->len; i++) {
    const Clip *clip = g_ptr_array_index(plan->clips, i);
    guint pad = i + 1; /* sink_0 is the background's */
    g_string_append_printf(branches, "filesrc name=src%u ! matroskademux name=demux%u ", i, i);
    if (clip->video_codec) {
      const ImsCompositeTile *tile = &(plan->segment_screens[clip->segment] ? with_screen
                                                                            : plain)[clip->tile];
      g_string_append_printf(video_pads,
                             "sink_%u::xpos=%d sink_%u::ypos=%d sink_%u::width=%d sink_%u::height=%d "
                             "sink_%u::sizing-policy=keep-aspect-ratio sink_%u::offset=%" G_GUINT64_FORMAT
                             " ",
                             pad, tile->x, pad, tile->y, pad, tile->width, pad, tile->height, pad, pad,
                             clip->start);
      g_string_append_printf(branches, "demux%u.video_0 ! " IMS_RENDITION_BRANCH_QUEUE " ! %s%s ! mix.sink_%u ",
                             i, ims_rendition_video_decoder(clip->video_codec),
                             g_str_equal(clip->video_codec, "h264") ? " max-threads=1" : "", pad);
    }
    if (clip->audio) {
      g_string_append_printf(audio_pads, "sink_%u::offset=%" G_GUINT64_FORMAT " ", pad, clip->start);
      g_string_append_printf(branches,
                             "demux%u.audio_0 ! " IMS_RENDITION_BRANCH_QUEUE
                             " ! opusdec ! audioconvert ! audioresample ! " RAW_AUDIO " ! amix.sink_%u ",
                             i, pad);
    }
  }

  GString *description = g_string_new("mp4mux name=mux faststart=true ! filesink name=sink ");
  if (video) {
    g_autofree char *encoder = ims_rendition_h264_encoder(profile, plan->width, plan->height,
                                                          plan->frame_rate);
    g_string_append_printf(
        description,
        "compositor name=mix background=black %s! "
        "video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1,pixel-aspect-ratio=1/1 ! "
        "identity name=video_trim ! %s ! " IMS_RENDITION_BRANCH_QUEUE " ! mux.video_0 "
        "videotestsrc pattern=black num-buffers=%" G_GUINT64_FORMAT " ! "
        "video/x-raw,width=%d,height=%d,framerate=%d/1 ! mix.sink_0 ",
        video_pads->str, plan->width, plan->height, plan->frame_rate, encoder,
        frames_in(plan, plan->length), plan->width, plan->height, plan->frame_rate);
  }
  g_autofree char *aac = ims_rendition_aac_encoder(profile);
  g_string_append_printf(
      description,
      "audiomixer name=amix %s! " RAW_AUDIO " ! identity name=audio_trim ! %s ! " IMS_RENDITION_BRANCH_QUEUE
      " ! mux.audio_0 "
      "audiotestsrc wave=silence samplesperbuffer=%d num-buffers=%" G_GUINT64_FORMAT " ! " RAW_AUDIO
      " ! amix.sink_0 %s",
      audio_pads->str, aac, SILENCE_SAMPLES_PER_BUFFER,
      gst_util_uint64_scale_ceil(plan->length, AUDIO_RATE, GST_SECOND * SILENCE_SAMPLES_PER_BUFFER),
      branches->str);
  g_string_free(video_pads, TRUE);
  g_string_free(audio_pads, TRUE);
  g_string_free(branches, TRUE);
  return g_string_free(description, FALSE);
}

/* Where a stream of the MP4 ends: buffers from there on are dropped (a file's last frame, whose end
 * no header says, can make the compositor draw one frame more). */
typedef struct {
  GstClockTime end;
} Trim;

static GstPadProbeReturn
trim_probe(GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  const Trim *trim = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  return GST_BUFFER_PTS_IS_VALID(buffer) && GST_BUFFER_PTS(buffer) >= trim->end ? GST_PAD_PROBE_DROP
                                                                                 : GST_PAD_PROBE_OK;
}

static void
add_trim(GstElement *pipeline, const char *name, Trim *trim)
{
  g_autoptr(GstElement) identity = gst_bin_get_by_name(GST_BIN(pipeline), name);
  if (identity == NULL)
    return;
  g_autoptr(GstPad) pad = gst_element_get_static_pad(identity, "src");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, trim_probe, trim, NULL);
}

static gboolean
run_plan(const ImsProfile *profile, const ImsCompositeInput *input, const Plan *plan,
         const char *output, GError **error)
{
  g_autofree char *description = pipeline_description(profile, input, plan);
  g_debug("composite: %s", description);
  g_autoptr(GstElement) pipeline = ims_rendition_build_pipeline("composite", description, NULL,
                                                                output, error);
  if (pipeline == NULL)
    return FALSE;
  for (guint i = 0; i < plan->clips->len; i++) {
    g_autofree char *name = g_strdup_printf("src%u", i);
    g_autoptr(GstElement) src = gst_bin_get_by_name(GST_BIN(pipeline), name);
    g_object_set(src, "location", ((const Clip *) g_ptr_array_index(plan->clips, i))->path, NULL);
  }
  Trim video_trim = { gst_util_uint64_scale(frames_in(plan, plan->length), GST_SECOND,
                                            plan->frame_rate) },
       audio_trim = { plan->length };
  add_trim(pipeline, "video_trim", &video_trim);
  add_trim(pipeline, "audio_trim", &audio_trim);
  return ims_rendition_run_pipeline(pipeline, "composite",
                                    ims_rendition_timeout_seconds((double) plan->length / GST_SECOND),
                                    error);
}

ImsComposite *
ims_composite_make(const ImsProfile *profile, const ImsCompositeInput *input, const char *output,
                   GError **error)
{
  g_return_val_if_fail(profile != NULL && input != NULL && output != NULL, NULL);
  g_return_val_if_fail(input->n_people >= 1 && input->people != NULL, NULL);
  g_return_val_if_fail(input->n_segments == 0 || input->segments != NULL, NULL);

  if (!gst_is_initialized())
    gst_init(NULL, NULL);
  Plan plan = { 0 };
  ImsMp4Info mp4;
  GStatBuf stat_buf;
  if (!make_plan(profile, input, &plan, error))
    goto error;
  if (!run_plan(profile, input, &plan, output, error) ||
      !ims_rendition_finish_mp4(output, "composite", TRUE, &mp4, error))
    goto error;
  if (g_stat(output, &stat_buf) != 0 || stat_buf.st_size == 0) {
    g_set_error(error, IMS_RENDITION_ERROR, IMS_RENDITION_ERROR_OUTPUT,
                "composite: %s was not written", output);
    goto error;
  }

  ImsComposite *composite = g_new0(ImsComposite, 1);
  composite->path = g_strdup(output);
  composite->size_bytes = stat_buf.st_size;
  composite->duration_ms = mp4.duration_ms;
  composite->width = mp4.width;
  composite->height = mp4.height;
  composite->chapters = ims_composite_chapters_json(input->segments, input->n_segments,
                                                    plan.segment_lengths);
  composite->skipped_files = plan.skipped_files;
  plan_clear(&plan);
  return composite;

error:
  g_unlink(output);
  plan_clear(&plan);
  return NULL;
}
