/* rendition-test.h: what the rendition unit tests (test-rendition.c, test-rendition-sync.c) share.
 *
 * Header only (static inline): each test file is its own executable.
 */
#pragma once

#include <glib.h>

#include "profile.h"
#include "rendition.h"

/* The renditions of input under the profile called profile_name, into out_dir; fails the test (with
 * the error) when there are none.  Transfer full. */
static inline GPtrArray *
rendition_test_make(const ImsProfileSet *profiles, const char *profile_name, const char *input,
                    const char *out_dir)
{
  const ImsProfile *profile = ims_profile_set_lookup(profiles, profile_name);
  assert_non_null(profile);
  g_autoptr(GError) error = NULL;
  GPtrArray *renditions = ims_renditions_make(profile, input, out_dir, &error);
  if (renditions == NULL)
    fail_msg("%s on %s: %s", profile_name, input, error->message);
  return renditions;
}
