/* ingest.h: one candidate's WebRTC ingest pipeline.
 *
 * An ImsIngest owns one GstPipeline holding a webrtcbin that receives the
 * candidate's camera and microphone (the browser offers, we answer, recvonly,
 * max-bundle, NACK on; H.264 constrained baseline packetization-mode 1
 * preferred, VP8 accepted; Opus audio).  Media flows from the moment ICE
 * connects; nothing is written until a take starts.
 *
 * A take is recorded by remux only (no decoding) into a Matroska file: on
 * ims_ingest_start_take() the ingest asks the browser for a keyframe
 * (upstream force-key-unit, which webrtcbin turns into RTCP PLI/FIR), drops
 * everything until that keyframe arrives, and rebases timestamps so the file
 * starts at 0 with a video keyframe.  ims_ingest_stop_take() sends EOS into the
 * recording branch only; on_take_finished runs once a pad probe on the file
 * sink has seen that EOS, i.e. the file is complete and playable.
 *
 * Lifecycle: new -> negotiating (offer handled, answer sent) -> live (ICE
 * connected, media flowing) -> [recording <-> live]* -> closed (ims_ingest_free).
 *
 * Threading: every function here must be called from the main loop thread (the
 * thread whose thread-default GMainContext was current at ims_ingest_new).  All
 * callbacks are invoked on that same main context, never on a streaming thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _ImsIngest ImsIngest;

typedef struct {
  char *path;              /* the Matroska file, as passed to start_take */
  gint64 duration_ms;      /* last written timestamp + its duration - first one */
  guint64 size_bytes;      /* file size after EOS */
  char *video_codec;       /* "H264" or "VP8", NULL if no video was written */
  char *audio_codec;       /* "OPUS", NULL if no audio was written */
  int width, height;       /* of the first video frame written, 0 if unknown */
  gboolean complete;       /* TRUE: EOS reached the file sink; FALSE: the take was
                              cut by a pipeline error (file may still decode) */
  char *completeness;      /* JSON text of the record, NULL when the ingest has none
                              (the receive path's completeness record, docs/ingest.md;
                              the webrtcbin ingest keeps none) */
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
  /* both tracks' first packets arrived, once per negotiation (optional: NULL, or an ingest that
   * does not call it, leaves media detection to last_media_time polling) */
  void (*on_media_flowing)(gpointer user_data);
} ImsIngestCallbacks;

typedef struct {
  const char *stun_server;     /* "stun://host:port" or NULL */
  guint video_start_bitrate_kbps; /* x-google-start-bitrate in the answer, 0 = none */
  guint jitterbuffer_latency_ms;  /* webrtcbin latency, e.g. 200 */
  guint video_codecs;             /* accepted video codecs, IMS_SDP_ACCEPT_* bits; 0 = all */
} ImsIngestConfig;

/* Creates the pipeline and sets it PLAYING.  log_id prefixes every log line
 * (the session id).  Returns NULL and sets error if an element is missing.
 * Transfer full. */
ImsIngest *ims_ingest_new(const char *log_id, const ImsIngestConfig *config,
                          const ImsIngestCallbacks *callbacks, gpointer user_data,
                          GError **error);

/* Handles the browser's SDP offer: checks it carries a usable video (H264 or
 * VP8) and audio (Opus) m-line, creates recvonly transceivers with codec
 * preferences (keeping the offer's transport-cc extmap), sets the remote
 * description and creates the answer, delivered through on_answer.
 * Returns FALSE with IMS_INGEST_ERROR_BAD_SDP if the text is not SDP or
 * offers no usable codec; nothing is changed then. */
gboolean ims_ingest_handle_offer(ImsIngest *ingest, const char *sdp, GError **error);

/* Adds a remote ICE candidate ("candidate:..." line; empty = end of candidates). */
gboolean ims_ingest_add_ice_candidate(ImsIngest *ingest, guint mline_index,
                                      const char *candidate, GError **error);

/* Starts writing a take to path (the directory must exist).  Fails with
 * IMS_INGEST_ERROR_STATE if a take is already open or media is not flowing yet. */
gboolean ims_ingest_start_take(ImsIngest *ingest, const char *path, GError **error);

/* Ends the current take; on_take_finished follows (asynchronously). No-op if
 * no take is open. */
void ims_ingest_stop_take(ImsIngest *ingest);

gboolean ims_ingest_is_recording(ImsIngest *ingest);

/* Monotonic time (g_get_monotonic_time) of the last RTP media buffer received,
 * 0 until both video and audio are flowing (a take can start once it is not
 * 0).  Cheap; used by the owner's media-ready check and no-media watchdog. */
gint64 ims_ingest_get_last_media_time(ImsIngest *ingest);

/* Tears the pipeline down (state NULL) and frees.  An open take is cut: call
 * ims_ingest_stop_take and wait for on_take_finished first to keep it whole.
 * Must not be called from inside one of this ingest's callbacks. */
void ims_ingest_free(ImsIngest *ingest);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImsIngest, ims_ingest_free)

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
