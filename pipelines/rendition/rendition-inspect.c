/* rendition-inspect.c: reads back the MP4 and WAV files rendition.c produced, and finishes the MP4.
 *
 * Only what the renditions need: the order of the MP4's top-level boxes (fast start), the movie
 * duration, the video track size, the audio track's edit list, and a WAV's format and length.  The
 * MP4's moov can be rewritten in place, box sizes kept (so no chunk offset moves): creation and
 * modification times zeroed (two runs over the same take give identical bytes), and the AAC encoder's
 * priming trimmed through the audio track's edit list (elst media_time), which mp4mux does not do:
 * GStreamer's AAC encoders tell it nothing of their priming (no GstAudioClippingMeta, no lookahead).
 * Stateless.
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
next_box(guint8 *data, gsize length, gsize *offset, char type[5], guint8 **payload,
         gsize *payload_length)
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

static void
write_u32(guint8 *p, guint32 value)
{
  p[0] = value >> 24;
  p[1] = value >> 16;
  p[2] = value >> 8;
  p[3] = value;
}

static void
write_u64(guint8 *p, guint64 value)
{
  write_u32(p, value >> 32);
  write_u32(p + 4, (guint32) value);
}

/* Zeroes the creation and modification times at the start of a full box (mvhd, tkhd, mdhd). */
static void
zero_times(guint8 *payload, gsize length)
{
  gsize bytes = payload[0] == 1 ? 16 : 8;
  if (length >= 4 + bytes)
    memset(payload + 4, 0, bytes);
}

/* The duration field of a full box: mvhd and mdhd (after their timescale), tkhd (after the track id);
 * NULL if the box is too short.  *wide: 64 bits (version 1). */
static guint8 *
duration_field(guint8 *payload, gsize length, gboolean is_tkhd, gboolean *wide)
{
  *wide = length >= 1 && payload[0] == 1;
  gsize at = is_tkhd ? (*wide ? 28 : 20) : (*wide ? 24 : 16);
  return length >= at + (*wide ? 8 : 4) ? payload + at : NULL;
}

static guint64
read_duration(const guint8 *field, gboolean wide)
{
  return wide ? read_u64(field) : read_u32(field);
}

/* The boxes of one track that the rewrite reads or changes: pointers into the moov being read. */
typedef struct {
  gboolean video, audio;
  int width, height;
  guint8 *tkhd_duration; /* NULL if tkhd is missing or short */
  gboolean tkhd_wide;
  guint8 *elst; /* elst payload, NULL without an edit list */
  gsize elst_length;
  guint32 media_timescale; /* mdhd; 0 if missing */
  guint64 media_duration;
  guint32 sample_rate; /* of the mp4a sample entry; 0 if none */
} Track;

/* The sample rate of an mp4a sample entry (stsd payload), 0 otherwise. */
static guint32
mp4a_sample_rate(const guint8 *stsd, gsize length)
{
  /* stsd: version/flags, entry count; the entry: size, type, 6 reserved, data reference index, 8
   * reserved, channels, sample size, 4 reserved, then the rate as 16.16. */
  if (length < 8 + 36 || read_u32(stsd + 4) < 1 || memcmp(stsd + 12, "mp4a", 4) != 0)
    return 0;
  return read_u32(stsd + 8 + 32) >> 16;
}

static void
read_stbl(guint8 *stbl, gsize stbl_length, Track *track)
{
  gsize offset = 0;
  char type[5];
  guint8 *payload;
  gsize length;
  while (next_box(stbl, stbl_length, &offset, type, &payload, &length))
    if (g_str_equal(type, "stsd"))
      track->sample_rate = mp4a_sample_rate(payload, length);
}

static void
read_mdia(guint8 *mdia, gsize mdia_length, gboolean zero, Track *track)
{
  gsize offset = 0;
  char type[5];
  guint8 *payload;
  gsize length;
  while (next_box(mdia, mdia_length, &offset, type, &payload, &length)) {
    if (g_str_equal(type, "mdhd") && length >= 4) {
      gboolean wide;
      guint8 *duration = duration_field(payload, length, FALSE, &wide);
      if (duration != NULL) {
        track->media_timescale = read_u32(duration - 4);
        track->media_duration = read_duration(duration, wide);
      }
      if (zero)
        zero_times(payload, length);
    } else if (g_str_equal(type, "hdlr") && length >= 12) {
      track->video = memcmp(payload + 8, "vide", 4) == 0;
      track->audio = memcmp(payload + 8, "soun", 4) == 0;
    } else if (g_str_equal(type, "minf")) {
      gsize minf_offset = 0;
      char minf_type[5];
      guint8 *minf_payload;
      gsize minf_length;
      while (next_box(payload, length, &minf_offset, minf_type, &minf_payload, &minf_length))
        if (g_str_equal(minf_type, "stbl"))
          read_stbl(minf_payload, minf_length, track);
    }
  }
}

static void
read_trak(guint8 *trak, gsize trak_length, gboolean zero, Track *track)
{
  memset(track, 0, sizeof *track);
  gsize offset = 0;
  char type[5];
  guint8 *payload;
  gsize length;
  while (next_box(trak, trak_length, &offset, type, &payload, &length)) {
    if (g_str_equal(type, "tkhd") && length >= 4) {
      gsize size_at = payload[0] == 1 ? 88 : 76;
      if (length >= size_at + 8) {
        track->width = (int) (read_u32(payload + size_at) >> 16);
        track->height = (int) (read_u32(payload + size_at + 4) >> 16);
      }
      track->tkhd_duration = duration_field(payload, length, TRUE, &track->tkhd_wide);
      if (zero)
        zero_times(payload, length);
    } else if (g_str_equal(type, "edts")) {
      gsize edts_offset = 0;
      char edts_type[5];
      guint8 *edts_payload;
      gsize edts_length;
      while (next_box(payload, length, &edts_offset, edts_type, &edts_payload, &edts_length))
        if (g_str_equal(edts_type, "elst") && edts_length >= 8) {
          track->elst = edts_payload;
          track->elst_length = edts_length;
        }
    } else if (g_str_equal(type, "mdia")) {
      read_mdia(payload, length, zero, track);
    }
  }
}

/* The media edit of an edit list (its last entry, after at most one empty edit), NULL if the list
 * has another shape.  *wide: version 1 entries. */
static guint8 *
media_edit(const Track *track, guint32 *entries, gboolean *wide)
{
  if (track->elst == NULL)
    return NULL;
  *wide = track->elst[0] == 1;
  gsize entry_size = *wide ? 20 : 12;
  *entries = read_u32(track->elst + 4);
  if (*entries < 1 || *entries > 2 || track->elst_length < 8 + *entries * entry_size)
    return NULL;
  guint8 *first = track->elst + 8;
  gint64 first_media_time = *wide ? (gint64) read_u64(first + 8) : (gint32) read_u32(first + 4);
  if (*entries == 2 && first_media_time != -1)
    return NULL;
  return first + (*entries - 1) * entry_size;
}

static gint64
edit_media_time(const guint8 *edit, gboolean wide)
{
  return wide ? (gint64) read_u64(edit + 8) : (gint32) read_u32(edit + 4);
}

/* Moves the start of the audio track's media edit past priming_samples and shortens it to the end of
 * the media; the track's tkhd duration becomes the sum of its edits.  FALSE (nothing changed) if the
 * track's boxes do not allow it (see ims_mp4_inspect). */
static gboolean
trim_audio_priming(Track *track, guint32 movie_timescale, guint priming_samples)
{
  guint32 entries = 0;
  gboolean wide = FALSE;
  guint8 *edit = media_edit(track, &entries, &wide);
  if (edit == NULL || track->tkhd_duration == NULL || track->media_timescale == 0 ||
      movie_timescale == 0)
    return FALSE;
  guint32 rate = track->sample_rate != 0 ? track->sample_rate : track->media_timescale;
  gint64 media_time = edit_media_time(edit, wide);
  guint64 start = (guint64) media_time +
                  gst_util_uint64_scale_round(priming_samples, track->media_timescale, rate);
  if (media_time < 0 || start >= track->media_duration)
    return FALSE;
  guint64 segment = gst_util_uint64_scale_round(track->media_duration - start, movie_timescale,
                                                track->media_timescale);
  guint64 empty = entries == 2 ? (wide ? read_u64(track->elst + 8) : read_u32(track->elst + 8)) : 0;
  if (!wide && (start > G_MAXINT32 || segment > G_MAXUINT32))
    return FALSE;
  if (!track->tkhd_wide && empty + segment > G_MAXUINT32)
    return FALSE;
  if (wide) {
    write_u64(edit, segment);
    write_u64(edit + 8, start);
  } else {
    write_u32(edit, (guint32) segment);
    write_u32(edit + 4, (guint32) start);
  }
  if (track->tkhd_wide)
    write_u64(track->tkhd_duration, empty + segment);
  else
    write_u32(track->tkhd_duration, (guint32) (empty + segment));
  return TRUE;
}

static gboolean
inspect_moov(guint8 *moov, gsize moov_length, const ImsMp4Rewrite *rewrite, ImsMp4Info *info,
             GError **error)
{
  gboolean zero = rewrite != NULL && rewrite->zero_times;
  guint8 *movie_duration = NULL;
  gboolean movie_wide = FALSE;
  guint32 movie_timescale = 0;
  g_autoptr(GArray) tracks = g_array_new(FALSE, TRUE, sizeof(Track));
  gsize offset = 0;
  char type[5];
  guint8 *payload;
  gsize length;
  while (next_box(moov, moov_length, &offset, type, &payload, &length)) {
    if (g_str_equal(type, "mvhd") && length >= 4 && movie_duration == NULL) {
      movie_duration = duration_field(payload, length, FALSE, &movie_wide);
      if (movie_duration == NULL || read_u32(movie_duration - 4) == 0) {
        movie_duration = NULL;
        continue;
      }
      movie_timescale = read_u32(movie_duration - 4);
      if (zero)
        zero_times(payload, length);
    } else if (g_str_equal(type, "trak")) {
      Track track;
      read_trak(payload, length, zero, &track);
      g_array_append_val(tracks, track);
    }
  }
  if (movie_duration == NULL) {
    g_set_error_literal(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "moov has no usable mvhd");
    return FALSE;
  }

  info->audio_media_time = -1;
  gboolean trimmed = FALSE;
  for (guint i = 0; i < tracks->len; i++) {
    Track *track = &g_array_index(tracks, Track, i);
    if (track->video && !info->has_video) {
      info->has_video = TRUE;
      info->width = track->width;
      info->height = track->height;
    }
    if (!track->audio || info->has_audio)
      continue;
    info->has_audio = TRUE;
    if (rewrite != NULL && rewrite->audio_priming_samples > 0)
      trimmed = trim_audio_priming(track, movie_timescale, rewrite->audio_priming_samples);
    guint32 entries;
    gboolean wide;
    const guint8 *edit = media_edit(track, &entries, &wide);
    if (edit != NULL)
      info->audio_media_time = edit_media_time(edit, wide);
  }
  /* The movie lasts as long as its longest track (as mp4mux computes it). */
  if (trimmed) {
    guint64 longest = 0;
    for (guint i = 0; i < tracks->len; i++) {
      const Track *track = &g_array_index(tracks, Track, i);
      if (track->tkhd_duration != NULL)
        longest = MAX(longest, read_duration(track->tkhd_duration, track->tkhd_wide));
    }
    if (movie_wide)
      write_u64(movie_duration, longest);
    else
      write_u32(movie_duration, (guint32) MIN(longest, G_MAXUINT32));
  }
  info->duration_ms = (gint64) (read_duration(movie_duration, movie_wide) * 1000 / movie_timescale);
  return TRUE;
}

gboolean
ims_mp4_inspect(const char *path, const ImsMp4Rewrite *rewrite, ImsMp4Info *info, GError **error)
{
  memset(info, 0, sizeof *info);
  gboolean rewriting = rewrite != NULL &&
                       (rewrite->zero_times || rewrite->audio_priming_samples > 0);
  FILE *file = g_fopen(path, rewriting ? "r+b" : "rb");
  if (file == NULL) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path,
                g_strerror(errno));
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
      break; /* to the end of the file */
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
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: moov of %" G_GUINT64_FORMAT " bytes",
                path, moov_length);
  } else {
    moov = g_malloc(moov_length);
    if (fseeko(file, moov_payload_at, SEEK_SET) != 0 ||
        fread(moov, 1, moov_length, file) != moov_length) {
      g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO, "%s: cannot read moov", path);
    } else if (inspect_moov(moov, moov_length, rewrite, info, error)) {
      info->moov_before_mdat = moov_at < mdat_at;
      ok = TRUE;
      if (rewriting && (fseeko(file, moov_payload_at, SEEK_SET) != 0 ||
                        fwrite(moov, 1, moov_length, file) != moov_length)) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "%s: cannot rewrite moov: %s", path, g_strerror(errno));
        ok = FALSE;
      }
    }
  }
  if (fclose(file) != 0 && ok) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path,
                g_strerror(errno));
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
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path,
                g_strerror(errno));
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
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                "%s: not a RIFF/WAVE file with fmt and data chunks", path);
    return FALSE;
  }
  info->duration_ms = data_bytes * 1000 / byte_rate;
  return TRUE;
}
