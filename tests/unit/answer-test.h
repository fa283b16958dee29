/* answer-test.h: text helpers of the negotiation tests (test-answer.c,
 * test-answer-send.c): rewrite a real offer, count lines of an answer,
 * parse an answer.  Include after <cmocka.h>. */
#pragma once

#include <glib.h>
#include <gst/sdp/sdp.h>
#include <string.h>

/* text with every from replaced by to.  Transfer full. */
static char *
replace_all(const char *text, const char *from, const char *to)
{
  g_auto(GStrv) parts = g_strsplit(text, from, -1);
  return g_strjoinv(to, parts);
}

/* How often needle stands in text. */
static int
count(const char *text, const char *needle)
{
  int n = 0;
  for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
    n++;
  return n;
}

/* The answer parses as SDP with n m-lines; returns it (transfer full). */
static GstSDPMessage *
parse_answer(const char *answer, guint n)
{
  GstSDPMessage *msg = NULL;
  assert_int_equal(gst_sdp_message_new_from_text(answer, &msg), GST_SDP_OK);
  assert_int_equal(gst_sdp_message_medias_len(msg), n);
  return msg;
}
