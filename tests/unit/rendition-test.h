/* rendition-test.h: what the rendition unit tests (test-rendition.c, test-rendition-sync.c,
 * test-composite.c, test-room-composite.c) share.
 *
 * Header only (static inline): each test file is its own executable.
 */
#pragma once

#include <glib.h>
#include <gst/gst.h>

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

/* Plays pipeline to EOS (what names it if it fails); fails the test otherwise (60 s at most). */
static inline void
rendition_test_run_to_eos(GstElement *pipeline, const char *what)
{
  g_autoptr(GstBus) bus = gst_element_get_bus(pipeline);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  g_autoptr(GstMessage) message = gst_bus_timed_pop_filtered(bus, 60 * GST_SECOND,
                                                             GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  if (message == NULL || GST_MESSAGE_TYPE(message) != GST_MESSAGE_EOS)
    fail_msg("%s did not reach EOS", what);
}

/* Runs a gst-launch description (a test's inputs) to EOS; fails the test otherwise. */
static inline void
rendition_test_run_launch(const char *description)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GstElement) pipeline = gst_parse_launch(description, &error);
  if (pipeline == NULL)
    fail_msg("%s: %s", description, error->message);
  rendition_test_run_to_eos(pipeline, description);
}
