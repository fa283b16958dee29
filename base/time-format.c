/* time-format.c: ISO 8601 times with milliseconds; see time-format.h. */
#include "time-format.h"

char *
ims_time_format_iso8601(gint64 unix_us)
{
  gint64 seconds = unix_us / G_USEC_PER_SEC;
  gint64 rest_us = unix_us % G_USEC_PER_SEC;
  if (rest_us < 0) { /* before 1970: floor, so the milliseconds stay positive */
    rest_us += G_USEC_PER_SEC;
    seconds -= 1;
  }
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc(seconds);
  if (!time)
    return NULL;
  g_autofree char *whole = g_date_time_format(time, "%Y-%m-%dT%H:%M:%S");
  if (!whole)
    return NULL;
  return g_strdup_printf("%s.%03dZ", whole, (int) (rest_us / 1000));
}
