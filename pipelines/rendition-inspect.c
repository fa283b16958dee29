/* rendition-inspect.c: reads back the MP4 and WAV files rendition.c produced.
 *
 * Only what the renditions need: the order of the MP4's top-level boxes (fast start), the movie
 * duration, the video track size, and a WAV's format and length.  The MP4 creation/modification times
 * can be zeroed in place so two runs over the same take give identical bytes.  Stateless.
 */
#define G_LOG_DOMAIN "imsd.rendition"

#include "rendition-private.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#define MOOV_MAX_BYTES (64 * 1024 * 1024)

static guint32
read_u32(const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static guint64
read_u64(const guint8 *p)
{
  return (guint64) read_u32(p) << 32 | read_u32(p + 4);
}

static guint32
read_le32(const guint8 *p)
{
  return (guint32) p[3] << 24 | (guint32) p[2] << 16 | (guint32) p[1] << 8 | p[0];
}

static guint16
read_le16(const guint8 *p)
{
  return (guint16) (p[1] << 8 | p[0]);
}

/* Walks the child boxes of data[0..length): *offset is the next child; sets its type, payload and
 * payload length.  FALSE at the end or on a malformed box. */
static gboolean
next_box(guint8 *data, gsize length, gsize *offset, char type[5], guint8 **payload, gsize *payload_length)
{
  if (length - *offset < 8 || *offset > length)
    return FALSE;
  guint8 *box = data + *offset;
  guint64 size = read_u32(box);
  gsize header = 8;
  if (size == 1) {
    if (length - *offset < 16)
      return FALSE;
    size = read_u64(box + 8);
    header = 16;
  } else if (size == 0) {
    size = length - *offset;
  }
  if (size < header || size > length - *offset)
    return FALSE;
  memcpy(type, box + 4, 4);
  type[4] = '\0';
  *payload = box + header;
  *payload_length = size - header;
  *offset += size;
  return TRUE;
}

/* Zeroes the creation and modification times at the start of a full box (mvhd, tkhd, mdhd). */
static void
zero_times(guint8 *payload, gsize length)
{
  gsize bytes = payload[0] == 1 ? 16 : 8;
  if (length >= 4 + bytes)
    memset(payload + 4, 0, bytes);
}

static void
inspect_trak(guint8 *trak, gsize trak_length, gboolean zero, ImsMp4Info *info)
{
  int width = 0, height = 0;
  gboolean video = FALSE, audio = FALSE;
  gsize offset = 0;
  char type[5];
  guint8 *payload;
  gsize length;
  while (next_box(trak, trak_length, &offset, type, &payload, &length)) {
    if (g_str_equal(type, "tkhd") && length >= 4) {
      gsize size_at = payload[0] == 1 ? 88 : 76;
      if (length >= size_at + 8) {
        width = (int) (read_u32(payload + size_at) >> 16);
        height = (int) (read_u32(payload + size_at + 4) >> 16);
      }
      if (zero)
        zero_times(payload, length);
    } else if (g_str_equal(type, "mdia")) {
      gsize mdia_offset = 0;
      char mdia_type[5];
      guint8 *mdia_payload;
      gsize mdia_length;
      while (next_box(payload, length, &mdia_offset, mdia_type, &mdia_payload, &mdia_length)) {
        if (g_str_equal(mdia_type, "mdhd") && mdia_length >= 4 && zero)
          zero_times(mdia_payload, mdia_length);
        else if (g_str_equal(mdia_type, "hdlr") && mdia_length >= 12) {
          video = memcmp(mdia_payload + 8, "vide", 4) == 0;
          audio = memcmp(mdia_payload + 8, "soun", 4) == 0;
        }
      }
    }
  }
  if (video && !info->has_video) {
    info->has_video = TRUE;
    info->width = width;
    info->height = height;
  }
  info->has_audio |= audio;
}

static gboolean
inspect_moov(guint8 *moov, gsize moov_length, gboolean zero, ImsMp4Info *info, GError **error)
{
  gboolean have_mvhd = FALSE;
  gsize offset = 0;
  char type[5];
  guint8 *payload;
  gsize length;
  while (next_box(moov, moov_length, &offset, type, &payload, &length)) {
    if (g_str_equal(type, "mvhd") && length >= 4) {
      guint64 timescale, duration;
      if (payload[0] == 1 && length >= 32) {
        timescale = read_u32(payload + 20);
        duration = read_u64(payload + 24);
      } else if (payload[0] == 0 && length >= 20) {
        timescale = read_u32(payload + 12);
        duration = read_u32(payload + 16);
      } else {
        continue;
      }
      if (timescale == 0)
        continue;
      info->duration_ms = (gint64) (duration * 1000 / timescale);
      have_mvhd = TRUE;
      if (zero)
        zero_times(payload, length);
    } else if (g_str_equal(type, "trak")) {
      inspect_trak(payload, length, zero, info);
    }
  }
  if (!have_mvhd) {
    g_set_error_literal(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "moov has no usable mvhd");
    return FALSE;
  }
  return TRUE;
}

gboolean
ims_mp4_inspect(const char *path, gboolean zero, ImsMp4Info *info, GError **error)
{
  memset(info, 0, sizeof *info);
  FILE *file = g_fopen(path, zero ? "r+b" : "rb");
  if (file == NULL) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path, g_strerror(errno));
    return FALSE;
  }
  gint64 moov_at = -1, moov_payload_at = -1, mdat_at = -1;
  guint64 moov_length = 0;
  gint64 position = 0;
  guint8 header[16];
  while (fseeko(file, position, SEEK_SET) == 0 && fread(header, 1, 8, file) == 8) {
    guint64 size = read_u32(header);
    guint64 header_size = 8;
    if (size == 1) {
      if (fread(header + 8, 1, 8, file) != 8)
        break;
      size = read_u64(header + 8);
      header_size = 16;
    }
    if (memcmp(header + 4, "moov", 4) == 0 && moov_at < 0) {
      moov_at = position;
      moov_payload_at = position + header_size;
      moov_length = size >= header_size ? size - header_size : 0;
    } else if (memcmp(header + 4, "mdat", 4) == 0 && mdat_at < 0) {
      mdat_at = position;
    }
    if (size == 0)
      break;  /* to the end of the file */
    if (size < header_size)
      break;
    position += (gint64) size;
  }

  gboolean ok = FALSE;
  g_autofree guint8 *moov = NULL;
  if (moov_at < 0 || mdat_at < 0) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: %s", path,
                moov_at < 0 ? "no moov box (the muxer did not finish)" : "no mdat box");
  } else if (moov_length == 0 || moov_length > MOOV_MAX_BYTES) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: moov of %" G_GUINT64_FORMAT " bytes", path,
                moov_length);
  } else {
    moov = g_malloc(moov_length);
    if (fseeko(file, moov_payload_at, SEEK_SET) != 0 || fread(moov, 1, moov_length, file) != moov_length) {
      g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO, "%s: cannot read moov", path);
    } else if (inspect_moov(moov, moov_length, zero, info, error)) {
      info->moov_before_mdat = moov_at < mdat_at;
      ok = TRUE;
      if (zero && (fseeko(file, moov_payload_at, SEEK_SET) != 0 ||
                   fwrite(moov, 1, moov_length, file) != moov_length)) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: cannot rewrite moov: %s", path,
                    g_strerror(errno));
        ok = FALSE;
      }
    }
  }
  if (fclose(file) != 0 && ok) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path, g_strerror(errno));
    ok = FALSE;
  }
  return ok;
}

gboolean
ims_wav_inspect(const char *path, ImsWavInfo *info, GError **error)
{
  memset(info, 0, sizeof *info);
  FILE *file = g_fopen(path, "rb");
  if (file == NULL) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path, g_strerror(errno));
    return FALSE;
  }
  guint8 header[12];
  guint32 byte_rate = 0;
  gint64 data_bytes = -1;
  gboolean ok = fread(header, 1, 12, file) == 12 && memcmp(header, "RIFF", 4) == 0 &&
                memcmp(header + 8, "WAVE", 4) == 0;
  while (ok && data_bytes < 0) {
    guint8 chunk[8];
    if (fread(chunk, 1, 8, file) != 8)
      break;
    guint32 size = read_le32(chunk + 4);
    if (memcmp(chunk, "fmt ", 4) == 0 && size >= 16) {
      guint8 format[16];
      if (fread(format, 1, 16, file) != 16)
        break;
      info->channels = read_le16(format + 2);
      info->rate = (int) read_le32(format + 4);
      byte_rate = read_le32(format + 8);
      info->bits = read_le16(format + 14);
      size -= 16;
    } else if (memcmp(chunk, "data", 4) == 0) {
      data_bytes = size;
      break;
    }
    if (fseeko(file, size + (size & 1), SEEK_CUR) != 0)
      break;
  }
  fclose(file);
  if (!ok || byte_rate == 0 || data_bytes < 0) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: not a RIFF/WAVE file with fmt and data chunks", path);
    return FALSE;
  }
  info->duration_ms = data_bytes * 1000 / byte_rate;
  return TRUE;
}
