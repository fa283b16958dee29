/* make-composite: runs ims_composite_make() (a live room's composite MP4) on files given on the
 * command line and prints the result as JSON.
 *
 *   make-composite [--profile NAME] [--height H] OUTPUT SEGMENT...
 *
 * Each SEGMENT is "title|candidate.mkv|interviewer.mkv[|...][|screen=share.mkv]": a "-" (or an empty
 * field) is a person without a file for that segment; every segment names the same number of people.
 * PROFILE defaults to "default" from etc/profiles.ini in the source tree.  Exit status 0 iff the
 * composite was made; the error goes to stderr otherwise.
 */
#define G_LOG_DOMAIN "imsd.make-composite"

#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "composite.h"
#include "imsd-build.h"
#include "profile.h"

int
main(int argc, char **argv)
{
  gst_init(&argc, &argv);
  const char *profile_name = "default";
  int height = 0;
  int first = 1;
  for (; first + 1 < argc && g_str_has_prefix(argv[first], "--"); first += 2) {
    if (g_str_equal(argv[first], "--profile"))
      profile_name = argv[first + 1];
    else if (g_str_equal(argv[first], "--height"))
      height = atoi(argv[first + 1]);
  }
  if (argc - first < 2) {
    fprintf(stderr, "usage: %s [--profile NAME] [--height H] OUTPUT SEGMENT...\n", argv[0]);
    return 2;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsProfileSet) set = ims_profile_set_load_file(IMSD_SOURCE_DIR "/etc/profiles.ini",
                                                           &error);
  const ImsProfile *profile = set ? ims_profile_set_lookup(set, profile_name) : NULL;
  if (profile == NULL) {
    fprintf(stderr, "make-composite: no profile '%s'%s%s\n", profile_name, error ? ": " : "",
            error ? error->message : "");
    return 1;
  }

  guint n_segments = (guint) (argc - first - 1), n_people = 0;
  g_autofree ImsCompositeSegment *segments = g_new0(ImsCompositeSegment, n_segments);
  g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func((GDestroyNotify) g_strfreev);
  g_autoptr(GPtrArray) screens = g_ptr_array_new_with_free_func(g_free);
  for (guint s = 0; s < n_segments; s++) {
    char **parts = g_strsplit(argv[first + 1 + s], "|", -1);
    g_ptr_array_add(fields, parts);
    guint people = 0;
    const char **screen = g_new0(const char *, 2);
    g_ptr_array_add(screens, screen);
    for (guint i = 1; parts[0] && parts[i]; i++) {
      if (g_str_has_prefix(parts[i], "screen="))
        screen[0] = parts[i] + strlen("screen=");
      else
        people++;
    }
    if (s > 0 && people != n_people) {
      fprintf(stderr, "make-composite: segment %u names %u people, not %u\n", s, people, n_people);
      return 2;
    }
    n_people = people;
    segments[s].title = parts[0] ? parts[0] : "";
    segments[s].screens = screen[0] ? screen : NULL;
  }
  if (n_people == 0) {
    fprintf(stderr, "make-composite: no people\n");
    return 2;
  }
  g_autofree ImsCompositePerson *people = g_new0(ImsCompositePerson, n_people);
  g_autoptr(GPtrArray) cameras = g_ptr_array_new_with_free_func(g_free);
  for (guint p = 0; p < n_people; p++) {
    const char **files = g_new0(const char *, n_segments);
    g_ptr_array_add(cameras, files);
    for (guint s = 0; s < n_segments; s++) {
      const char *file = ((char **) fields->pdata[s])[1 + p];
      files[s] = file[0] && !g_str_equal(file, "-") ? file : NULL;
    }
    people[p].name = p == 0 ? "candidate" : "interviewer";
    people[p].cameras = files;
  }

  ImsCompositeInput input = { segments, n_segments, people, n_people, height };
  gint64 start = g_get_monotonic_time();
  g_autoptr(ImsComposite) composite = ims_composite_make(profile, &input, argv[first], &error);
  if (composite == NULL) {
    fprintf(stderr, "make-composite: %s\n", error->message);
    return 1;
  }
  g_autoptr(JsonBuilder) builder = json_builder_new();
  json_builder_begin_object(builder);
  json_builder_set_member_name(builder, "path");
  json_builder_add_string_value(builder, composite->path);
  json_builder_set_member_name(builder, "elapsedMs");
  json_builder_add_int_value(builder, (g_get_monotonic_time() - start) / 1000);
  json_builder_set_member_name(builder, "sizeBytes");
  json_builder_add_int_value(builder, composite->size_bytes);
  json_builder_set_member_name(builder, "durationMs");
  json_builder_add_int_value(builder, composite->duration_ms);
  json_builder_set_member_name(builder, "width");
  json_builder_add_int_value(builder, composite->width);
  json_builder_set_member_name(builder, "height");
  json_builder_add_int_value(builder, composite->height);
  json_builder_set_member_name(builder, "skippedFiles");
  json_builder_add_int_value(builder, composite->skipped_files);
  json_builder_set_member_name(builder, "chapters");
  g_autoptr(JsonNode) chapters = json_from_string(composite->chapters, NULL);
  json_builder_add_value(builder, g_steal_pointer(&chapters));
  json_builder_end_object(builder);
  g_autoptr(JsonNode) root = json_builder_get_root(builder);
  g_autofree char *text = json_to_string(root, FALSE);
  printf("%s\n", text);
  return 0;
}
