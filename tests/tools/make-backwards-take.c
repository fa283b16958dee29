/* make-backwards-take: writes a Matroska take (VP8 + Opus) whose video timestamps are not increasing,
 * as the recorder wrote them under CPU load.
 *
 *   make-backwards-take OUT.mkv [SECONDS]
 *
 * videotestsrc 640x360 at 30 fps ! vp8enc ! [every fifth frame stamped 20 ms before the previous one]
 * ! matroskamux (which keeps the stamps as given), beside audiotestsrc ! opusenc.  SECONDS defaults to 2.
 * tests/unit/test-rendition.c makes the same kind of file in its setup.  Exit status 0 iff written.
 */
#define G_LOG_DOMAIN "imsd.make-backwards-take"

#include <gst/gst.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
  GstClockTime previous; /* the video streaming thread only */
  int frame;
} Stamps;

static GstPadProbeReturn
on_frame(GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Stamps *stamps = user_data;
  GstBuffer *buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
  GST_PAD_PROBE_INFO_DATA(info) = buffer;
  if (++stamps->frame % 5 == 0 && GST_CLOCK_TIME_IS_VALID(stamps->previous) &&
      stamps->previous >= 20 * GST_MSECOND)
    GST_BUFFER_PTS(buffer) = stamps->previous - 20 * GST_MSECOND;
  GST_BUFFER_DTS(buffer) = GST_BUFFER_PTS(buffer);
  stamps->previous = GST_BUFFER_PTS(buffer);
  return GST_PAD_PROBE_OK;
}

int
main(int argc, char **argv)
{
  gst_init(&argc, &argv);
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: %s OUT.mkv [SECONDS]\n", argv[0]);
    return 2;
  }
  double seconds = argc == 3 ? atof(argv[2]) : 2.0;
  if (seconds <= 0 || seconds > 600) {
    fprintf(stderr, "%s: SECONDS must be in (0, 600]\n", argv[0]);
    return 2;
  }
  g_autofree char *location = g_strescape(argv[1], NULL);
  g_autofree char *description = g_strdup_printf(
      "videotestsrc pattern=ball num-buffers=%d ! video/x-raw,width=640,height=360,framerate=30/1 ! "
      "vp8enc deadline=1 ! identity name=shuffle ! queue ! matroskamux name=mux ! filesink location=\"%s\" "
      "audiotestsrc num-buffers=%d samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=2 ! opusenc ! "
      "queue ! mux.",
      (int) (seconds * 30), location, (int) (seconds * 50));
  g_autoptr(GError) error = NULL;
  g_autoptr(GstElement) pipeline = gst_parse_launch(description, &error);
  if (pipeline == NULL) {
    fprintf(stderr, "%s: %s\n", argv[0], error->message);
    return 1;
  }
  g_autoptr(GstElement) shuffle = gst_bin_get_by_name(GST_BIN(pipeline), "shuffle");
  g_autoptr(GstPad) pad = gst_element_get_static_pad(shuffle, "src");
  Stamps stamps = { GST_CLOCK_TIME_NONE, 0 };
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_frame, &stamps, NULL);
  g_autoptr(GstBus) bus = gst_element_get_bus(pipeline);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  g_autoptr(GstMessage) message = gst_bus_timed_pop_filtered(bus, 120 * GST_SECOND,
                                                             GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  if (message == NULL || GST_MESSAGE_TYPE(message) != GST_MESSAGE_EOS) {
    fprintf(stderr, "%s: the pipeline did not reach EOS\n", argv[0]);
    return 1;
  }
  return 0;
}
