/* make-renditions: runs ims_renditions_make() on one take and prints the renditions as JSON.
 *
 *   make-renditions FILE PROFILE_NAME OUTDIR [PROFILES_INI]
 *
 * PROFILES_INI defaults to etc/profiles.ini in the source tree.  OUTDIR is created if missing.
 * Exit status 0 iff every rendition was made; the error goes to stderr otherwise.
 */
#define G_LOG_DOMAIN "imsd.make-renditions"

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "imsd-build.h"
#include "profile.h"
#include "rendition.h"

int
main(int argc, char **argv)
{
  gst_init(&argc, &argv);
  if (argc < 4 || argc > 5) {
    fprintf(stderr, "usage: %s FILE PROFILE_NAME OUTDIR [PROFILES_INI]\n", argv[0]);
    return 2;
  }
  const char *ini = argc == 5 ? argv[4] : IMSD_SOURCE_DIR "/etc/profiles.ini";
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsProfileSet) set = ims_profile_set_load_file(ini, &error);
  if (set == NULL) {
    fprintf(stderr, "make-renditions: %s\n", error->message);
    return 1;
  }
  const ImsProfile *profile = ims_profile_set_lookup(set, argv[2]);
  if (profile == NULL) {
    fprintf(stderr, "make-renditions: no profile '%s' in %s\n", argv[2], ini);
    return 1;
  }
  g_mkdir_with_parents(argv[3], 0755);
  gint64 start = g_get_monotonic_time();
  g_autoptr(GPtrArray) renditions = ims_renditions_make(profile, argv[1], argv[3], &error);
  gint64 elapsed_us = g_get_monotonic_time() - start;
  if (renditions == NULL) {
    fprintf(stderr, "make-renditions: %s\n", error->message);
    return 1;
  }
  g_autoptr(JsonBuilder) builder = json_builder_new();
  json_builder_begin_object(builder);
  json_builder_set_member_name(builder, "profile");
  json_builder_add_string_value(builder, profile->name);
  json_builder_set_member_name(builder, "elapsedMs");
  json_builder_add_int_value(builder, elapsed_us / 1000);
  json_builder_set_member_name(builder, "renditions");
  json_builder_begin_array(builder);
  for (guint i = 0; i < renditions->len; i++) {
    const ImsRendition *r = renditions->pdata[i];
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "kind");
    json_builder_add_string_value(builder, ims_rendition_kind_to_string(r->kind));
    json_builder_set_member_name(builder, "path");
    json_builder_add_string_value(builder, r->path);
    json_builder_set_member_name(builder, "contentType");
    json_builder_add_string_value(builder, r->content_type);
    json_builder_set_member_name(builder, "sizeBytes");
    json_builder_add_int_value(builder, r->size_bytes);
    json_builder_set_member_name(builder, "durationMs");
    json_builder_add_int_value(builder, r->duration_ms);
    json_builder_set_member_name(builder, "width");
    json_builder_add_int_value(builder, r->width);
    json_builder_set_member_name(builder, "height");
    json_builder_add_int_value(builder, r->height);
    json_builder_set_member_name(builder, "transcoded");
    json_builder_add_boolean_value(builder, r->transcoded);
    json_builder_end_object(builder);
  }
  json_builder_end_array(builder);
  json_builder_end_object(builder);
  g_autoptr(JsonNode) root = json_builder_get_root(builder);
  g_autofree char *text = json_to_string(root, FALSE);
  printf("%s\n", text);
  return 0;
}
