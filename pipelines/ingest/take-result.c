/* take-result.c: the take result's release and the ingest's error domain
 * (take-result.h). */
#include "take-result.h"

/* clang-format off */
G_DEFINE_QUARK(ims-ingest-error-quark, ims_ingest_error)
/* clang-format on */

void
ims_take_result_free(ImsTakeResult *result)
{
  if (result == NULL)
    return;
  g_free(result->path);
  g_free(result->video_codec);
  g_free(result->audio_codec);
  g_free(result->completeness);
  g_free(result);
}
