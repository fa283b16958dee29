/* fidelity-media: writes the frame-coded test media of the fidelity suite
 * (tests/fidelity/, docs/fidelity.md): a y4m video whose every frame carries
 * its number, and a WAV whose beeps start exactly at the video's flashes.
 *
 *   fidelity-media --y4m OUT.y4m --wav OUT.wav [--width 640] [--height 360]
 *                  [--fps 30] [--seconds 20] [--flash-every 2] [--inverted]
 *
 * Video (I420, "C420jpeg" y4m, what Chromium's --use-file-for-fake-video-capture
 * reads): the frame is an 8 x 4 grid of cells (80 x 90 px at 640x360), each
 * black (Y 16) or white (Y 235).  Cells, row-major from the top left:
 *   0..15   the frame number, bit 15 first (numbers wrap at 65536)
 *   16..23  CRC-8 (polynomial 0x07) of the number's two bytes, big-endian
 *   24..31  reference cells: white, black, white, black, ...
 *           (--inverted: black, white, black, white, ...: a second person's
 *           camera in a live room test, told apart from the first by these)
 * Every flash-every seconds (frames 0, 60, 120, ... at 30 fps) the frame is
 * entirely white instead (no code: the analyzer numbers it from its
 * neighbours).  The cells are big so that H.264 / VP8 at ~1 Mbit/s and any
 * downscaling the sender applies keep them readable; the analyzer reads the
 * centre of each cell of a 64 x 36 downscale.
 *
 * Audio: 48 kHz mono 16-bit WAV of the same duration, silent except for a
 * 1 kHz sine (amplitude 0.5, 1 ms linear fade-in and fade-out) of 100 ms
 * starting at sample round(n * 48000 / fps) of every flash frame n.
 *
 * Both files loop in Chromium's fake capture; keep --seconds a multiple of
 * --flash-every so the flashes stay evenly spaced across the loop.  Raw video
 * is big (640x360: 10 MB/s of y4m; 1280x720: 41 MB/s): write it to /tmp at
 * test time, never commit it.  Exit status 0 on success, 2 on bad arguments,
 * 1 on a write error (message on stderr).
 */
#include <errno.h>
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define FIDELITY_COLUMNS 8
#define FIDELITY_ROWS 4
#define FIDELITY_BLACK 16
#define FIDELITY_WHITE 235
#define FIDELITY_SAMPLE_RATE 48000
#define FIDELITY_BEEP_HZ 1000.0
#define FIDELITY_BEEP_MS 100
#define FIDELITY_FADE_MS 1

/* CRC-8, polynomial x^8 + x^2 + x + 1 (0x07), initial value 0: the analyzer
 * (tests/fidelity/analyze.py) computes the same. */
static guint8
ims_fidelity_crc8(const guint8 *bytes, gsize length)
{
  guint8 crc = 0;
  for (gsize i = 0; i < length; i++) {
    crc ^= bytes[i];
    for (int bit = 0; bit < 8; bit++)
      crc = (crc & 0x80) ? (guint8) ((crc << 1) ^ 0x07) : (guint8) (crc << 1);
  }
  return crc;
}

/* The 32 cell values (TRUE = white) of frame number `number`; inverted
 * starts the reference cells with black. */
static void
ims_fidelity_cells(guint number, gboolean inverted, gboolean cells[FIDELITY_COLUMNS * FIDELITY_ROWS])
{
  guint16 n = (guint16) number;
  guint8 bytes[2] = { (guint8) (n >> 8), (guint8) (n & 0xff) };
  guint8 crc = ims_fidelity_crc8(bytes, 2);
  for (int i = 0; i < 16; i++)
    cells[i] = (n >> (15 - i)) & 1;
  for (int i = 0; i < 8; i++)
    cells[16 + i] = (crc >> (7 - i)) & 1;
  for (int i = 0; i < 8; i++)
    cells[24 + i] = ((i % 2) == 0) != inverted;
}

/* Fills the luma plane of frame `number` (flash: all white). */
static void
ims_fidelity_draw_luma(guint8 *luma, int width, int height, guint number, gboolean flash,
                       gboolean inverted)
{
  if (flash) {
    memset(luma, FIDELITY_WHITE, (gsize) width * height);
    return;
  }
  gboolean cells[FIDELITY_COLUMNS * FIDELITY_ROWS];
  ims_fidelity_cells(number, inverted, cells);
  for (int y = 0; y < height; y++) {
    int row = y * FIDELITY_ROWS / height;
    guint8 *line = luma + (gsize) y * width;
    for (int x = 0; x < width; x++) {
      int column = x * FIDELITY_COLUMNS / width;
      line[x] = cells[row * FIDELITY_COLUMNS + column] ? FIDELITY_WHITE : FIDELITY_BLACK;
    }
  }
}

static gboolean
ims_fidelity_write_y4m(const char *path, int width, int height, int fps, int frames,
                       int flash_frames, gboolean inverted, GError **error)
{
  FILE *out = fopen(path, "wb");
  if (out == NULL) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path,
                g_strerror(errno));
    return FALSE;
  }
  fprintf(out, "YUV4MPEG2 W%d H%d F%d:1 Ip A1:1 C420jpeg\n", width, height, fps);
  gsize luma_size = (gsize) width * height;
  gsize chroma_size = (gsize) (width / 2) * (height / 2);
  g_autofree guint8 *luma = g_malloc(luma_size);
  g_autofree guint8 *chroma = g_malloc(chroma_size);
  memset(chroma, 128, chroma_size);
  for (int n = 0; n < frames; n++) {
    ims_fidelity_draw_luma(luma, width, height, (guint) n, n % flash_frames == 0, inverted);
    fputs("FRAME\n", out);
    fwrite(luma, 1, luma_size, out);
    fwrite(chroma, 1, chroma_size, out);
    fwrite(chroma, 1, chroma_size, out);
  }
  if (ferror(out) | (fclose(out) != 0)) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO, "%s: write failed", path);
    return FALSE;
  }
  return TRUE;
}

static void
ims_fidelity_put_le(guint8 *at, guint32 value, int bytes)
{
  for (int i = 0; i < bytes; i++)
    at[i] = (guint8) (value >> (8 * i));
}

static gboolean
ims_fidelity_write_wav(const char *path, int fps, int frames, int flash_frames, GError **error)
{
  gint64 samples = (gint64) frames * FIDELITY_SAMPLE_RATE / fps;
  g_autofree gint16 *pcm = g_new0(gint16, samples);
  int beep = FIDELITY_SAMPLE_RATE * FIDELITY_BEEP_MS / 1000;
  int fade = FIDELITY_SAMPLE_RATE * FIDELITY_FADE_MS / 1000;
  for (int n = 0; n < frames; n += flash_frames) {
    gint64 start = ((gint64) n * FIDELITY_SAMPLE_RATE + fps / 2) / fps;
    for (int i = 0; i < beep && start + i < samples; i++) {
      double gain = 0.5;
      if (i < fade)
        gain *= (double) i / fade;
      else if (i >= beep - fade)
        gain *= (double) (beep - i) / fade;
      pcm[start + i] = (gint16) lround(
          32767.0 * gain * sin(2.0 * G_PI * FIDELITY_BEEP_HZ * i / FIDELITY_SAMPLE_RATE));
    }
  }
  guint8 header[44];
  guint32 data_bytes = (guint32) (samples * 2);
  memcpy(header, "RIFF", 4);
  ims_fidelity_put_le(header + 4, 36 + data_bytes, 4);
  memcpy(header + 8, "WAVEfmt ", 8);
  ims_fidelity_put_le(header + 16, 16, 4);
  ims_fidelity_put_le(header + 20, 1, 2); /* PCM */
  ims_fidelity_put_le(header + 22, 1, 2); /* mono */
  ims_fidelity_put_le(header + 24, FIDELITY_SAMPLE_RATE, 4);
  ims_fidelity_put_le(header + 28, FIDELITY_SAMPLE_RATE * 2, 4); /* byte rate */
  ims_fidelity_put_le(header + 32, 2, 2);                        /* block align */
  ims_fidelity_put_le(header + 34, 16, 2);                       /* bits */
  memcpy(header + 36, "data", 4);
  ims_fidelity_put_le(header + 40, data_bytes, 4);
  for (gint64 i = 0; i < samples; i++)
    pcm[i] = GINT16_TO_LE(pcm[i]);

  FILE *out = fopen(path, "wb");
  if (out == NULL) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path,
                g_strerror(errno));
    return FALSE;
  }
  fwrite(header, 1, sizeof header, out);
  fwrite(pcm, 2, (gsize) samples, out);
  if (ferror(out) | (fclose(out) != 0)) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO, "%s: write failed", path);
    return FALSE;
  }
  return TRUE;
}

int
main(int argc, char **argv)
{
  g_autofree char *y4m_path = NULL;
  g_autofree char *wav_path = NULL;
  int width = 640, height = 360, fps = 30, seconds = 20, flash_every = 2;
  gboolean inverted = FALSE;
  GOptionEntry entries[] = {
    { "y4m", 0, 0, G_OPTION_ARG_FILENAME, &y4m_path, "video output (y4m)", "FILE" },
    { "wav", 0, 0, G_OPTION_ARG_FILENAME, &wav_path, "audio output (WAV)", "FILE" },
    { "width", 0, 0, G_OPTION_ARG_INT, &width, "frame width (default 640)", "N" },
    { "height", 0, 0, G_OPTION_ARG_INT, &height, "frame height (default 360)", "N" },
    { "fps", 0, 0, G_OPTION_ARG_INT, &fps, "frames per second (default 30)", "N" },
    { "seconds", 0, 0, G_OPTION_ARG_INT, &seconds, "duration (default 20)", "N" },
    { "flash-every", 0, 0, G_OPTION_ARG_INT, &flash_every, "seconds between flashes (default 2)",
      "N" },
    { "inverted", 0, 0, G_OPTION_ARG_NONE, &inverted,
      "reference cells start black (a second person's camera)", NULL },
    { NULL },
  };
  g_autoptr(GOptionContext)
      context = g_option_context_new("- frame-coded test media for the fidelity suite");
  g_option_context_add_main_entries(context, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(context, &argc, &argv, &error)) {
    fprintf(stderr, "fidelity-media: %s\n", error->message);
    return 2;
  }
  if (y4m_path == NULL || wav_path == NULL || width < 64 || height < 36 || width % 16 != 0 ||
      height % 4 != 0 || fps < 1 || fps > 120 || seconds < 1 || flash_every < 1 ||
      (gint64) seconds * fps > 65536) {
    fprintf(
        stderr,
        "fidelity-media: need --y4m and --wav; width a multiple of 16 (>= 64), height of 4 (>= 36), "
        "1..120 fps, at most 65536 frames\n");
    return 2;
  }
  int frames = seconds * fps;
  if (!ims_fidelity_write_y4m(y4m_path, width, height, fps, frames, flash_every * fps, inverted,
                              &error) ||
      !ims_fidelity_write_wav(wav_path, fps, frames, flash_every * fps, &error)) {
    fprintf(stderr, "fidelity-media: %s\n", error->message);
    return 1;
  }
  printf(
      "{\"y4m\":\"%s\",\"wav\":\"%s\",\"width\":%d,\"height\":%d,\"fps\":%d,\"frames\":%d,\"flashEvery\":%d,"
      "\"inverted\":%s}\n",
      y4m_path, wav_path, width, height, fps, frames, flash_every * fps, inverted ? "true" : "false");
  return 0;
}
