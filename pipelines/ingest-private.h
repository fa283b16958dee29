/* ingest-private.h: what the two halves of ImsIngest share; not API.
 *
 * ingest.c owns the pipeline: construction, negotiation, the per-stream
 * depayloading branches ending in tees, failure, the main-context work queue
 * and teardown.  ingest-take.c owns one take at a time: the recording bin
 * hung off those tees, its probes, keyframe requests and the finish report.
 * Nothing outside pipelines/ingest*.c includes this header.
 *
 * Threading and locks are those of ingest.c's header comment: ingest->lock
 * protects branches[], last_media_time is atomic, everything else in
 * struct _ImsIngest belongs to the main context.
 */
#pragma once

#include <gst/gst.h>

#include "ingest.h"
#include "sdp.h"

G_BEGIN_DECLS

/* Every line carries the session id; the log domain is the including file's. */
#define LOG(ingest, fmt, ...) g_message("[%s] " fmt, (ingest)->log_id, ##__VA_ARGS__)
#define WARN(ingest, fmt, ...) g_warning("[%s] " fmt, (ingest)->log_id, ##__VA_ARGS__)
#define DBG(ingest, fmt, ...) g_debug("[%s] " fmt, (ingest)->log_id, ##__VA_ARGS__)

enum { STREAM_VIDEO = 0, STREAM_AUDIO = 1, N_STREAMS = 2 };

/* One received stream: depay [! parse ! capsfilter] ! tee. */
typedef struct {
  ImsSdpCodec codec;
  GstElement *depay;   /* keyframe requests are sent into its src pad */
  GstElement *tee;     /* NULL until pad-added built the branch */
} ImsIngestBranch;

/* The open take (ingest-take.c); opaque to ingest.c. */
typedef struct _ImsIngestTake ImsIngestTake;

struct _ImsIngest {
  gatomicrefcount refcount;
  char *log_id;
  char *stun_server;
  ImsIngestConfig config;
  ImsIngestCallbacks callbacks;
  gpointer user_data;
  GMainContext *context;

  GstElement *pipeline;
  GstElement *webrtc;
  GSource *bus_source;

  ImsSdpOfferChoice choice;      /* main thread; fixed once the offer is handled */
  gboolean offer_handled;
  gboolean closed, failed;       /* main thread */

  GMutex lock;                   /* protects branches */
  ImsIngestBranch branches[N_STREAMS];

  gint64 last_media_time;        /* __atomic_*: written per buffer by streaming threads */

  ImsIngestTake *take;           /* main thread */
  guint take_serial;
};

/* Work a streaming thread hands to the main context. */
typedef enum {
  IMS_INGEST_WORK_ANSWER,
  IMS_INGEST_WORK_ICE_CANDIDATE,
  IMS_INGEST_WORK_ICE_STATE,
  IMS_INGEST_WORK_TAKE_STARTED,
  IMS_INGEST_WORK_TAKE_EOS,
  IMS_INGEST_WORK_FAILED,
} ImsIngestWorkKind;

/* ---- ingest.c --------------------------------------------------------- */

/* Queues work on the ingest's main context; safe from any thread, always
 * deferred (an idle source), never run synchronously.  number is the mline
 * index, take serial or ICE state.  Takes ownership of text and error. */
void ims_ingest_dispatch(ImsIngest *ingest, ImsIngestWorkKind kind, guint number,
                         char *text, GError *error);

/* ---- ingest-take.c ---------------------------------------------------- */

/* Main thread: reports the open take through on_take_finished and frees it.
 * complete == FALSE (a pipeline error) first stops the whole pipeline: the
 * ingest is unusable and the file keeps what was written. */
void ims_ingest_take_finish(ImsIngest *ingest, gboolean complete);

/* Main thread: the take with this serial wrote its first keyframe (reported
 * once; a stale serial is ignored). */
void ims_ingest_take_started(ImsIngest *ingest, guint serial);

/* Main thread: EOS of the take with this serial reached its file sink. */
void ims_ingest_take_eos(ImsIngest *ingest, guint serial);

/* Main thread, teardown: takes the open take's bin out of the pipeline and
 * frees it without a report (the file keeps what was written).  No-op
 * without an open take. */
void ims_ingest_take_cut(ImsIngest *ingest);

G_END_DECLS
