/* take-result.h: what the receive path hands its owner.
 *
 * The callbacks an ImsReceiver (receiver.h) reports through, the result of
 * one finished take, and the ingest's error domain.  Kept apart from
 * receiver.h so that the session's media seam (server/interview/session-media.c), the SDP
 * helpers (pipelines/sdp.c) and the negotiation (answer.c) can name them
 * without the receiver.
 *
 * Threads: plain data; the callbacks run on the main context the receiver
 * was created on (receiver.h).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char *path;         /* the Matroska file, as passed to start_take */
  gint64 duration_ms; /* last written timestamp + its duration - first one */
  guint64 size_bytes; /* file size after EOS */
  char *video_codec;  /* "H264" or "VP8", NULL if no video was written */
  char *audio_codec;  /* "OPUS", NULL if no audio was written */
  int width, height;  /* of the first video frame written, 0 if unknown */
  gboolean complete;  /* TRUE: EOS reached the file sink; FALSE: the take was
                              cut by a pipeline error (file may still decode) */
  char *completeness; /* JSON text of the take's completeness record (docs/ingest.md),
                              NULL when there is none */
} ImsTakeResult;

void ims_take_result_free(ImsTakeResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsTakeResult, ims_take_result_free)

typedef struct {
  /* the local SDP answer, ready to send to the browser (transfer none) */
  void (*on_answer)(const char *sdp, gpointer user_data);
  /* a local ICE candidate to trickle to the browser (transfer none) */
  void (*on_ice_candidate)(guint mline_index, const char *candidate, gpointer user_data);
  /* the first keyframe of the current take was written */
  void (*on_take_started)(gpointer user_data);
  /* the current take is finalized; result is transfer none */
  void (*on_take_finished)(const ImsTakeResult *result, gpointer user_data);
  /* ICE failed or the pipeline posted an error; the ingest is unusable and
   * the owner should free it (from an idle, not from inside this callback). */
  void (*on_failed)(const GError *error, gpointer user_data);
  /* both tracks' first packets arrived, once per negotiation (optional; the session needs it:
   * it learns that media flows from this event only, it does not poll last_media_time) */
  void (*on_media_flowing)(gpointer user_data);
} ImsIngestCallbacks;

#define IMS_INGEST_ERROR (ims_ingest_error_quark())
GQuark ims_ingest_error_quark(void);
typedef enum {
  IMS_INGEST_ERROR_MISSING_ELEMENT,
  IMS_INGEST_ERROR_BAD_SDP,
  IMS_INGEST_ERROR_BAD_CANDIDATE,
  IMS_INGEST_ERROR_STATE,
  IMS_INGEST_ERROR_FAILED,
} ImsIngestError;

G_END_DECLS
