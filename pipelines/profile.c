/* profile.c: interview-type profiles, loaded from an INI file (etc/profiles.ini).
 *
 * Each profile key is one row of `keys` below: key, type, field offset in ImsProfile, default, range and
 * a one-line meaning (the same table etc/profiles.ini's header comment lists).  Loading is:
 *   text -> GKeyFile (syntax) -> a line scan of the text (group and key lines, which GKeyFile cannot give,
 *   duplicate groups and keys, which GKeyFile silently merges) -> every key of every group parsed and
 *   checked into a fresh ImsProfile that starts from the defaults -> the set.
 * Any error fails the whole load; nothing is returned half-built.  A loaded set is immutable, so any
 * thread may read it.
 */
#define G_LOG_DOMAIN "imsd.profile"

#include "profile.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

/* clang-format off */
G_DEFINE_QUARK(ims-profile-error-quark, ims_profile_error)
/* clang-format on */

#define GROUP_PREFIX "profile "

typedef enum {
  VALUE_INT,
  VALUE_DOUBLE,
  VALUE_BOOLEAN,
  VALUE_STRING, /* checked against a word list */
  VALUE_CODECS, /* comma list of h264, vp8 */
} ValueType;

typedef struct {
  const char *key;
  ValueType type;
  size_t offset;
  const char *default_value; /* as written in the file */
  double min, max;           /* VALUE_INT and VALUE_DOUBLE, inclusive */
  const char *const *words;  /* VALUE_STRING: the accepted values */
  const char *meaning;
} KeyInfo;

static const char *const h264_profiles[] = { "constrained-baseline", "baseline", "main", "high",
                                             NULL };
static const char *const h264_levels[] = { "1",   "1b", "1.1", "1.2", "1.3", "2", "2.0", "2.1",
                                           "2.2", "3",  "3.0", "3.1", "3.2", "4", "4.0", "4.1",
                                           "4.2", "5",  "5.0", "5.1", "5.2", NULL };

#define KEY(key, type, default_value, min, max, words, meaning) \
  { \
#key, type, offsetof(ImsProfile, key), default_value, min, max, words, meaning \
  }

static const KeyInfo keys[] = {
  KEY(ingest_codecs, VALUE_CODECS, "h264,vp8", 0, 0, NULL,
      "Video codecs asked of the browser and accepted, comma list of h264, vp8."),
  KEY(max_width, VALUE_INT, "1280", 160, 7680, NULL,
      "Largest capture width asked of the browser, pixels."),
  KEY(max_height, VALUE_INT, "720", 120, 4320, NULL,
      "Largest capture height asked of the browser, pixels."),
  KEY(max_frame_rate, VALUE_INT, "30", 1, 120, NULL,
      "Largest capture frame rate asked of the browser."),
  KEY(video, VALUE_BOOLEAN, "true", 0, 0, NULL,
      "false: audio-only interview (MP4 has AAC only, no thumbnail)."),
  KEY(max_answer_seconds, VALUE_INT, "300", 5, 7200, NULL,
      "Longest time limit a question may ask, seconds."),
  KEY(max_retakes, VALUE_INT, "3", 0, 100, NULL, "Most retakes a session may allow per question."),
  KEY(h264_profile, VALUE_STRING, "main", 0, 0, h264_profiles,
      "H.264 profile of a transcoded MP4: constrained-baseline, baseline, main, high."),
  KEY(h264_level, VALUE_STRING, "3.1", 0, 0, h264_levels,
      "H.264 level of a transcoded MP4 (3.0, 3.1, 4.0 ...)."),
  KEY(mp4_max_height, VALUE_INT, "720", 120, 4320, NULL,
      "Tallest MP4 video; taller or non-H.264 takes are transcoded, scaled down to this."),
  KEY(video_bitrate_kbps, VALUE_INT, "0", 0, 50000, NULL,
      "x264 target bitrate of a transcode, kbit/s; 0 = constant quality (video_quality)."),
  KEY(video_quality, VALUE_INT, "23", 0, 51, NULL,
      "x264 quantizer when video_bitrate_kbps is 0 (lower = better)."),
  KEY(aac_bitrate_kbps, VALUE_INT, "128", 16, 512, NULL, "AAC bitrate of the MP4 audio, kbit/s."),
  KEY(thumbnail_offset_seconds, VALUE_DOUBLE, "1.0", 0, 86400, NULL,
      "Time of the thumbnail frame, seconds (the last frame of a shorter take)."),
  KEY(thumbnail_width, VALUE_INT, "320", 16, 3840, NULL,
      "Thumbnail width, pixels; height keeps the aspect."),
  KEY(thumbnail_quality, VALUE_INT, "85", 1, 100, NULL, "Thumbnail JPEG quality."),
  KEY(transcription_wav, VALUE_BOOLEAN, "true", 0, 0, NULL,
      "Make audio-16k.wav (16 kHz mono S16LE)."),
};

struct _ImsProfileSet {
  GPtrArray *profiles; /* ImsProfile*, file order */
  GPtrArray *names;    /* const char* into profiles, NULL-terminated */
};

/* One "[group]" or "key=value" line found by the text scan. */
typedef struct {
  int line;
  char *group; /* as written between the brackets */
  char *key;   /* NULL for a group line */
  char *value; /* raw, trimmed */
} ScannedLine;

static void
scanned_line_free(gpointer data)
{
  ScannedLine *scanned = data;
  g_free(scanned->group);
  g_free(scanned->key);
  g_free(scanned->value);
  g_free(scanned);
}

static void
profile_free(gpointer data)
{
  ImsProfile *profile = data;
  g_free(profile->name);
  g_free(profile->h264_profile);
  g_free(profile->h264_level);
  g_free(profile);
}

static void *
field(ImsProfile *profile, const KeyInfo *info)
{
  return (guint8 *) profile + info->offset;
}

static const KeyInfo *
find_key(const char *key)
{
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
    if (g_str_equal(keys[i].key, key))
      return &keys[i];
  return NULL;
}

/* Splits the text into group and key lines with their 1-based numbers, the way GKeyFile reads them
 * (comments start with '#', whitespace around the key and the value is dropped).  Lines GKeyFile would
 * refuse never get here: the text has been loaded by GKeyFile first.  Transfer full. */
static GPtrArray *
scan_lines(const char *data, gsize length)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func(scanned_line_free);
  const char *end = data + length;
  g_autofree char *group = NULL;
  int number = 0;
  for (const char *line = data; line < end;) {
    const char *newline = memchr(line, '\n', end - line);
    const char *line_end = newline != NULL ? newline : end;
    g_autofree char *text = g_strndup(line, line_end - line);
    number++;
    line = newline != NULL ? newline + 1 : end;
    g_strchug(text);
    if (text[0] == '#' || text[0] == '\0')
      continue;
    g_strchomp(text);
    if (text[0] == '[') {
      char *close = strrchr(text, ']');
      if (close == NULL)
        continue;
      *close = '\0';
      g_free(group);
      group = g_strdup(text + 1);
      ScannedLine *scanned = g_new0(ScannedLine, 1);
      scanned->line = number;
      scanned->group = g_strdup(group);
      g_ptr_array_add(lines, scanned);
      continue;
    }
    char *equals = strchr(text, '=');
    if (equals == NULL || group == NULL)
      continue;
    *equals = '\0';
    ScannedLine *scanned = g_new0(ScannedLine, 1);
    scanned->line = number;
    scanned->group = g_strdup(group);
    scanned->key = g_strstrip(g_strdup(text));
    scanned->value = g_strstrip(g_strdup(equals + 1));
    g_ptr_array_add(lines, scanned);
  }
  return lines;
}

static gboolean
parse_codecs(const char *text, guint *codecs, GError **error)
{
  g_auto(GStrv) parts = g_strsplit(text, ",", -1);
  guint bits = 0;
  for (char **part = parts; *part != NULL; part++) {
    g_strstrip(*part);
    guint bit = g_str_equal(*part, "h264")  ? IMS_PROFILE_CODEC_H264
                : g_str_equal(*part, "vp8") ? IMS_PROFILE_CODEC_VP8
                                            : 0;
    if (bit == 0) {
      g_set_error(error, IMS_PROFILE_ERROR, IMS_PROFILE_ERROR_BAD_VALUE,
                  "unknown codec '%s' (expected h264 or vp8)", *part);
      return FALSE;
    }
    if (bits & bit) {
      g_set_error(error, IMS_PROFILE_ERROR, IMS_PROFILE_ERROR_BAD_VALUE,
                  "codec '%s' is listed twice", *part);
      return FALSE;
    }
    bits |= bit;
  }
  if (bits == 0) {
    g_set_error_literal(error, IMS_PROFILE_ERROR, IMS_PROFILE_ERROR_BAD_VALUE, "no codec listed");
    return FALSE;
  }
  *codecs = bits;
  return TRUE;
}

/* Parses text as the value of info into profile's field.  On failure the field is unchanged and error
 * says why (without a location: the caller adds it). */
static gboolean
parse_value(ImsProfile *profile, const KeyInfo *info, const char *text, GError **error)
{
  switch (info->type) {
  case VALUE_INT: {
    gint64 number;
    g_autoptr(GError) number_error = NULL;
    if (!g_ascii_string_to_signed(text, 10, (gint64) info->min, (gint64) info->max, &number,
                                  &number_error)) {
      g_set_error(error, IMS_PROFILE_ERROR, IMS_PROFILE_ERROR_BAD_VALUE,
                  "'%s' is not an integer between %.0f and %.0f", text, info->min, info->max);
      return FALSE;
    }
    *(int *) field(profile, info) = (int) number;
    return TRUE;
  }
  case VALUE_DOUBLE: {
    char *end = NULL;
    double number = text[0] != '\0' ? g_ascii_strtod(text, &end) : NAN;
    if (end == NULL || *end != '\0' || !isfinite(number) || number < info->min ||
        number > info->max) {
      g_set_error(error, IMS_PROFILE_ERROR, IMS_PROFILE_ERROR_BAD_VALUE,
                  "'%s' is not a number between %g and %g", text, info->min, info->max);
      return FALSE;
    }
    *(double *) field(profile, info) = number;
    return TRUE;
  }
  case VALUE_BOOLEAN:
    if (g_str_equal(text, "true") || g_str_equal(text, "1")) {
      *(gboolean *) field(profile, info) = TRUE;
    } else if (g_str_equal(text, "false") || g_str_equal(text, "0")) {
      *(gboolean *) field(profile, info) = FALSE;
    } else {
      g_set_error(error, IMS_PROFILE_ERROR, IMS_PROFILE_ERROR_BAD_VALUE,
                  "'%s' is not true or false", text);
      return FALSE;
    }
    return TRUE;
  case VALUE_STRING:
    for (const char *const *word = info->words; *word != NULL; word++) {
      if (g_str_equal(*word, text)) {
        char **string = field(profile, info);
        g_free(*string);
        *string = g_strdup(text);
        return TRUE;
      }
    }
    {
      g_autofree char *accepted = g_strjoinv(", ", (char **) info->words);
      g_set_error(error, IMS_PROFILE_ERROR, IMS_PROFILE_ERROR_BAD_VALUE,
                  "unknown value '%s' (expected one of %s)", text, accepted);
    }
    return FALSE;
  case VALUE_CODECS:
    return parse_codecs(text, (guint *) field(profile, info), error);
  }
  g_assert_not_reached();
}

/* A profile holding every default.  Transfer full. */
static ImsProfile *
profile_new_default(const char *name)
{
  ImsProfile *profile = g_new0(ImsProfile, 1);
  profile->name = g_strdup(name);
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
    if (!parse_value(profile, &keys[i], keys[i].default_value, NULL))
      g_error("profile key %s: bad default '%s'", keys[i].key, keys[i].default_value);
  return profile;
}

static gboolean
profile_name_is_valid(const char *name)
{
  if (name[0] == '\0')
    return FALSE;
  for (const char *c = name; *c != '\0'; c++)
    if (!g_ascii_isalnum(*c) && *c != '-' && *c != '_' && *c != '.')
      return FALSE;
  return TRUE;
}

/* Sets *error to "source:line: [group] key 'k': message" (or without the key). */
static void
set_located_error(GError **error, ImsProfileError code, const char *source,
                  const ScannedLine *where, const char *message)
{
  g_autofree char *group = g_utf8_make_valid(where->group, -1);
  g_autofree char *key = where->key != NULL ? g_utf8_make_valid(where->key, -1) : NULL;
  if (key != NULL)
    g_set_error(error, IMS_PROFILE_ERROR, code, "%s:%d: [%s] %s '%s'%s%s", source, where->line,
                group, code == IMS_PROFILE_ERROR_UNKNOWN_KEY ? "unknown key" : "key", key,
                message[0] ? ": " : "", message);
  else
    g_set_error(error, IMS_PROFILE_ERROR, code, "%s:%d: [%s] %s", source, where->line, group,
                message);
}

ImsProfileSet *
ims_profile_set_load_data(const char *data, gsize length, const char *source_name, GError **error)
{
  g_return_val_if_fail(data != NULL || length == 0, NULL);
  if (source_name == NULL)
    source_name = "<profiles>";
  if (data == NULL)
    data = "";

  g_autoptr(GKeyFile) key_file = g_key_file_new();
  g_autoptr(GError) local_error = NULL;
  if (length > 0 &&
      !g_key_file_load_from_data(key_file, data, length, G_KEY_FILE_NONE, &local_error)) {
    g_autofree char *message = g_utf8_make_valid(local_error->message, -1);
    g_set_error(error, IMS_PROFILE_ERROR, IMS_PROFILE_ERROR_PARSE, "%s: %s", source_name, message);
    return NULL;
  }

  g_autoptr(GPtrArray) lines = scan_lines(data, length);
  g_autoptr(GPtrArray) profiles = g_ptr_array_new_with_free_func(profile_free);
  g_autoptr(GHashTable) seen_keys = g_hash_table_new(g_str_hash, g_str_equal);
  ImsProfile *current = NULL;
  for (guint i = 0; i < lines->len; i++) {
    const ScannedLine *scanned = lines->pdata[i];
    if (scanned->key == NULL) {
      if (!g_str_has_prefix(scanned->group, GROUP_PREFIX)) {
        set_located_error(error, IMS_PROFILE_ERROR_UNKNOWN_KEY, source_name, scanned,
                          "unknown group (expected [profile NAME])");
        return NULL;
      }
      const char *name = scanned->group + strlen(GROUP_PREFIX);
      if (!profile_name_is_valid(name)) {
        set_located_error(error, IMS_PROFILE_ERROR_BAD_VALUE, source_name, scanned,
                          "bad profile name (letters, digits, '-', '_', '.')");
        return NULL;
      }
      for (guint p = 0; p < profiles->len; p++) {
        if (g_str_equal(((ImsProfile *) profiles->pdata[p])->name, name)) {
          set_located_error(error, IMS_PROFILE_ERROR_PARSE, source_name, scanned,
                            "duplicate profile");
          return NULL;
        }
      }
      current = profile_new_default(name);
      g_ptr_array_add(profiles, current);
      g_hash_table_remove_all(seen_keys);
      continue;
    }
    g_assert(current != NULL); /* GKeyFile refuses keys before the first group */
    const KeyInfo *info = find_key(scanned->key);
    if (info == NULL) {
      set_located_error(error, IMS_PROFILE_ERROR_UNKNOWN_KEY, source_name, scanned, "");
      return NULL;
    }
    if (!g_hash_table_add(seen_keys, (gpointer) info->key)) {
      set_located_error(error, IMS_PROFILE_ERROR_PARSE, source_name, scanned,
                        "set twice in the group");
      return NULL;
    }
    if (!parse_value(current, info, scanned->value, &local_error)) {
      g_autofree char *message = g_utf8_make_valid(local_error->message, -1);
      set_located_error(error, IMS_PROFILE_ERROR_BAD_VALUE, source_name, scanned, message);
      return NULL;
    }
  }

  if (profiles->len == 0) {
    g_set_error(error, IMS_PROFILE_ERROR, IMS_PROFILE_ERROR_EMPTY, "%s: no [profile NAME] group",
                source_name);
    return NULL;
  }
  /* The scan and GKeyFile must agree on the groups, or a line was read differently by the two. */
  gsize group_count = 0;
  g_auto(GStrv) groups = g_key_file_get_groups(key_file, &group_count);
  if (group_count != profiles->len) {
    g_set_error(error, IMS_PROFILE_ERROR, IMS_PROFILE_ERROR_PARSE,
                "%s: %zu groups read but %u profile groups found", source_name, group_count,
                profiles->len);
    return NULL;
  }

  ImsProfileSet *set = g_new0(ImsProfileSet, 1);
  set->profiles = g_steal_pointer(&profiles);
  set->names = g_ptr_array_new();
  for (guint p = 0; p < set->profiles->len; p++)
    g_ptr_array_add(set->names, ((ImsProfile *) set->profiles->pdata[p])->name);
  g_ptr_array_add(set->names, NULL);
  return set;
}

ImsProfileSet *
ims_profile_set_load_file(const char *path, GError **error)
{
  g_return_val_if_fail(path != NULL, NULL);
  g_autofree char *data = NULL;
  gsize length = 0;
  g_autoptr(GError) local_error = NULL;
  if (!g_file_get_contents(path, &data, &length, &local_error)) {
    g_set_error(error, IMS_PROFILE_ERROR, IMS_PROFILE_ERROR_PARSE, "%s", local_error->message);
    return NULL;
  }
  return ims_profile_set_load_data(data, length, path, error);
}

void
ims_profile_set_free(ImsProfileSet *set)
{
  if (set == NULL)
    return;
  g_ptr_array_unref(set->names);
  g_ptr_array_unref(set->profiles);
  g_free(set);
}

const ImsProfile *
ims_profile_set_lookup(const ImsProfileSet *set, const char *name)
{
  g_return_val_if_fail(set != NULL, NULL);
  if (name == NULL)
    return NULL;
  for (guint p = 0; p < set->profiles->len; p++) {
    const ImsProfile *profile = set->profiles->pdata[p];
    if (g_str_equal(profile->name, name))
      return profile;
  }
  return NULL;
}

const char *const *
ims_profile_set_get_names(const ImsProfileSet *set)
{
  g_return_val_if_fail(set != NULL, NULL);
  return (const char *const *) set->names->pdata;
}
