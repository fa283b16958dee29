/* test-profile.c: unit tests for pipelines/profile.c: the shipped etc/profiles.ini, defaults, and every
 * kind of broken file (each must fail with file:line and the key named, never crash).  Stateless: each
 * test loads from memory or from the source tree. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "imsd-build.h"
#include "profile.h"

#define SHIPPED IMSD_SOURCE_DIR "/etc/profiles.ini"

static void
assert_contains(const char *haystack, const char *needle)
{
  if (strstr(haystack, needle) == NULL)
    fail_msg("“%s” does not contain “%s”", haystack, needle);
}

/* Loads text as "test.ini", expects failure with code and a message containing expected. */
static void
assert_load_fails(const char *text, int code, const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsProfileSet) set = ims_profile_set_load_data(text, strlen(text), "test.ini", &error);
  assert_null(set);
  assert_non_null(error);
  assert_true(error->domain == IMS_PROFILE_ERROR);
  if (error->code != code)
    fail_msg("code %d, expected %d: %s", error->code, code, error->message);
  assert_contains(error->message, expected);
}

static void
test_shipped_profiles(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsProfileSet) set = ims_profile_set_load_file(SHIPPED, &error);
  if (set == NULL)
    fail_msg("%s", error->message);
  const char *const *names = ims_profile_set_get_names(set);
  const char *expected[] = { "default", "technical", "behavioral", "audio-only", NULL };
  for (int i = 0; expected[i] != NULL; i++) {
    assert_non_null(names[i]);
    assert_string_equal(names[i], expected[i]);
  }
  assert_null(names[4]);

  const ImsProfile *standard = ims_profile_set_lookup(set, "default");
  assert_int_equal(standard->ingest_codecs, IMS_PROFILE_CODEC_H264 | IMS_PROFILE_CODEC_VP8);
  assert_int_equal(standard->max_height, 720);
  assert_int_equal(standard->mp4_max_height, 720);
  assert_true(standard->video);
  assert_true(standard->transcription_wav);

  const ImsProfile *technical = ims_profile_set_lookup(set, "technical");
  assert_int_equal(technical->max_height, 720);
  assert_string_equal(technical->h264_profile, "high");
  assert_true(technical->video_quality < standard->video_quality);

  const ImsProfile *behavioral = ims_profile_set_lookup(set, "behavioral");
  assert_int_equal(behavioral->max_width, 854);
  assert_int_equal(behavioral->max_height, 480);
  assert_int_equal(behavioral->mp4_max_height, 480);
  assert_string_equal(behavioral->h264_level, "3.1");

  const ImsProfile *audio_only = ims_profile_set_lookup(set, "audio-only");
  assert_false(audio_only->video);
  assert_true(audio_only->transcription_wav);
  assert_int_equal(audio_only->aac_bitrate_kbps, 96);

  assert_null(ims_profile_set_lookup(set, "nope"));
  assert_null(ims_profile_set_lookup(set, NULL));
}

/* Every key the header comment of the shipped file lists is a key the loader accepts, and vice versa
 * (a key missing from the comment is caught by the loader accepting a group built from the comment). */
static void
test_shipped_header_lists_keys(void **state)
{
  g_autofree char *text = NULL;
  assert_true(g_file_get_contents(SHIPPED, &text, NULL, NULL));
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  GString *group = g_string_new("[profile from-header]\n");
  int keys = 0;
  gboolean in_table = FALSE;
  for (char **line = lines; *line != NULL && (*line)[0] == '#'; line++) {
    g_auto(GStrv) words = g_strsplit_set(*line + 1, " ", -1);
    char *fields[3] = { NULL };
    int n = 0;
    for (char **word = words; *word != NULL && n < 3; word++)
      if ((*word)[0] != '\0')
        fields[n++] = *word;
    if (n >= 2 && g_str_equal(fields[0], "key") && g_str_equal(fields[1], "default")) {
      in_table = TRUE;
      continue;
    }
    if (in_table && n == 0)
      break; /* the table ends at the first empty comment line */
    if (!in_table || n < 3)
      continue;
    g_string_append_printf(group, "%s=%s\n", fields[0], fields[1]);
    keys++;
  }
  assert_int_equal(keys, 17); /* every ImsProfile field but name */
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsProfileSet) set = ims_profile_set_load_data(group->str, group->len, "header", &error);
  if (set == NULL)
    fail_msg("%s\n%s", error->message, group->str);
  /* The listed defaults are the defaults: an empty group must equal the one built from the header. */
  g_autoptr(ImsProfileSet) empty = ims_profile_set_load_data("[profile e]\n", 12, "empty", &error);
  assert_non_null(empty);
  const ImsProfile *a = ims_profile_set_lookup(set, "from-header"),
                   *b = ims_profile_set_lookup(empty, "e");
  assert_int_equal(a->ingest_codecs, b->ingest_codecs);
  assert_int_equal(a->max_width, b->max_width);
  assert_int_equal(a->max_retakes, b->max_retakes);
  assert_int_equal(a->video_quality, b->video_quality);
  assert_string_equal(a->h264_level, b->h264_level);
  assert_true(a->thumbnail_offset_seconds == b->thumbnail_offset_seconds);
  assert_int_equal(a->thumbnail_width, b->thumbnail_width);
  g_string_free(group, TRUE);
}

static void
test_values_parsed(void **state)
{
  const char *text = "[profile x]\n"
                     "ingest_codecs = vp8\n"
                     "video=false\n"
                     "thumbnail_offset_seconds=2.5\n"
                     "h264_profile=constrained-baseline\n"
                     "h264_level=4.1\n"
                     "video_bitrate_kbps=800\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsProfileSet) set = ims_profile_set_load_data(text, strlen(text), "test.ini", &error);
  assert_non_null(set);
  const ImsProfile *x = ims_profile_set_lookup(set, "x");
  assert_string_equal(x->name, "x");
  assert_int_equal(x->ingest_codecs, IMS_PROFILE_CODEC_VP8);
  assert_false(x->video);
  assert_true(x->thumbnail_offset_seconds == 2.5);
  assert_string_equal(x->h264_profile, "constrained-baseline");
  assert_string_equal(x->h264_level, "4.1");
  assert_int_equal(x->video_bitrate_kbps, 800);
  assert_int_equal(x->max_height, 720); /* default */
}

static void
test_unknown_key_names_line(void **state)
{
  assert_load_fails("# profiles\n\n[profile default]\nmax_height=720\nmax_hieght=480\n",
                    IMS_PROFILE_ERROR_UNKNOWN_KEY,
                    "test.ini:5: [profile default] unknown key 'max_hieght'");
}

static void
test_unknown_group(void **state)
{
  assert_load_fails("[profile a]\n[profiles b]\nvideo=true\n", IMS_PROFILE_ERROR_UNKNOWN_KEY,
                    "test.ini:2: [profiles b] unknown group");
  assert_load_fails("[profile ]\n", IMS_PROFILE_ERROR_BAD_VALUE,
                    "test.ini:1: [profile ] bad profile name");
}

static void
test_bad_values(void **state)
{
  static const struct {
    const char *line;
    const char *expected;
  } cases[] = {
    { "max_height=tall", "test.ini:3: [profile a] key 'max_height': 'tall' is not an integer" },
    { "max_height=99999", "key 'max_height': '99999' is not an integer between 120 and 4320" },
    { "max_height=", "key 'max_height'" },
    { "video_quality=52", "key 'video_quality'" },
    { "ingest_codecs=h264,av1", "key 'ingest_codecs': unknown codec 'av1'" },
    { "ingest_codecs=", "key 'ingest_codecs'" },
    { "ingest_codecs=h264,h264", "listed twice" },
    { "h264_profile=extended", "key 'h264_profile': unknown value 'extended'" },
    { "h264_level=3.3", "key 'h264_level': unknown value '3.3'" },
    { "video=yes", "key 'video': 'yes' is not true or false" },
    { "thumbnail_offset_seconds=1s", "key 'thumbnail_offset_seconds'" },
    { "thumbnail_offset_seconds=nan", "key 'thumbnail_offset_seconds'" },
    { "thumbnail_offset_seconds=-1", "key 'thumbnail_offset_seconds'" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *text = g_strdup_printf("[profile a]\nmax_width=640\n%s\n", cases[i].line);
    assert_load_fails(text, IMS_PROFILE_ERROR_BAD_VALUE, cases[i].expected);
    assert_load_fails(text, IMS_PROFILE_ERROR_BAD_VALUE, "test.ini:3:");
  }
}

static void
test_duplicates(void **state)
{
  assert_load_fails("[profile a]\nvideo=true\n\n[profile a]\nvideo=false\n",
                    IMS_PROFILE_ERROR_PARSE, "test.ini:4: [profile a] duplicate profile");
  assert_load_fails("[profile a]\nvideo=true\nvideo=false\n", IMS_PROFILE_ERROR_PARSE,
                    "test.ini:3: [profile a] key 'video': set twice");
}

static void
test_empty_and_syntax(void **state)
{
  assert_load_fails("", IMS_PROFILE_ERROR_EMPTY, "test.ini: no [profile NAME] group");
  assert_load_fails("# only a comment\n\n", IMS_PROFILE_ERROR_EMPTY, "no [profile NAME] group");
  assert_load_fails("video=true\n", IMS_PROFILE_ERROR_PARSE, "test.ini:");
  assert_load_fails("[profile a]\nthis is not a key\n", IMS_PROFILE_ERROR_PARSE, "test.ini:");

  g_autoptr(GError) error = NULL;
  assert_null(ims_profile_set_load_file("/nonexistent/profiles.ini", &error));
  assert_int_equal(error->code, IMS_PROFILE_ERROR_PARSE);
  assert_contains(error->message, "/nonexistent/profiles.ini");
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_shipped_profiles), cmocka_unit_test(test_shipped_header_lists_keys),
    cmocka_unit_test(test_values_parsed),    cmocka_unit_test(test_unknown_key_names_line),
    cmocka_unit_test(test_unknown_group),    cmocka_unit_test(test_bad_values),
    cmocka_unit_test(test_duplicates),       cmocka_unit_test(test_empty_and_syntax),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
