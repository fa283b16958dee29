/* fuzz-profile.c: libFuzzer target for pipelines/profile.c.
 *
 * The input is a profiles file.  Besides "no crash", it checks: a failed load sets an error whose message
 * starts with the source name; a successful load has at least one profile, every name looks up to a
 * profile of that name, and every profile holds values within the loader's ranges.
 */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size > 64 * 1024)
    return 0;
  g_autoptr(GError) error = NULL;
  g_autoptr(ImsProfileSet)
      set = ims_profile_set_load_data((const char *) data, size, "fuzz.ini", &error);
  if (set == NULL) {
    if (error == NULL || error->domain != IMS_PROFILE_ERROR ||
        !g_str_has_prefix(error->message, "fuzz.ini"))
      abort();
    return 0;
  }
  if (error != NULL)
    abort();
  const char *const *names = ims_profile_set_get_names(set);
  if (names == NULL || names[0] == NULL)
    abort();
  for (const char *const *name = names; *name != NULL; name++) {
    const ImsProfile *profile = ims_profile_set_lookup(set, *name);
    if (profile == NULL || strcmp(profile->name, *name) != 0)
      abort();
    if (profile->ingest_codecs == 0 || (profile->ingest_codecs & ~3u) != 0 ||
        profile->h264_profile == NULL || profile->h264_level == NULL ||
        profile->video_quality < 0 || profile->video_quality > 51 ||
        profile->thumbnail_quality < 1 || profile->thumbnail_quality > 100 ||
        profile->mp4_max_height < 120 || !(profile->thumbnail_offset_seconds >= 0))
      abort();
  }
  return 0;
}
