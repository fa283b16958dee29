/* room-composite.c: a live room's uploads and composite after End; see room-composite.h.
 *
 * One Job per room being handled, in compositor->active by room id from its start to its end:
 *   start_room -> READ run_load (load_room, load_session) -> on_loaded
 *   -> WRITE run_processing (set_composite processing) -> on_processing -> the pool
 *   -> run_job (worker: uploads, composite, its upload) -> report_job (main, g_main_context_invoke)
 *   -> WRITE run_results (update_recording per new key, set_composite with the outcome) -> on_written
 *   -> forget_job; or, when the write finds no room (user.deleted erased it meanwhile), delete_orphans
 *   (a GTask thread: what this attempt stored is deleted in S3) -> on_orphans_deleted -> forget_job.
 * A job that fails before the pool (the database) is forgotten: the next scan lists the room again.
 *
 * Threads: everything in ImsRoomCompositor and the jobs outside the pool is the main loop's; run_job
 * has its Job to itself and reads only the config (the object store is thread-safe).  Database jobs
 * hold the compositor (jobs): one freed while they are out is destroyed by the last answer.
 */
#define G_LOG_DOMAIN "imsd.room-composite"

#include "room-composite.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "composite.h"
#include "log-session.h"
#include "outbox.h"
#include "payloads.h"
#include "rendition.h"
#include "spool-files.h"

#define SCAN_INTERVAL_SECONDS 30
#define COMPOSITE_FILE_NAME "composite.mp4"
/* The hard link that keeps a candidate take's file for the composite (ims_room_compositor_keep_take). */
#define KEPT_SUFFIX ".composite"

struct _ImsRoomCompositor {
  ImsRoomCompositorConfig config;
  GMainContext *context;
  GHashTable *active; /* room id -> Job*: being handled (owned) */
  GHashTable *made;   /* room id -> ImsComposite*: made, not stored yet (S3 failed) */
  GThreadPool *pool;  /* one worker */
  guint working;      /* jobs handed to the pool, not reported yet */
  guint scan_id;
  gboolean scanning, scan_again;
  guint jobs; /* database jobs not answered yet */
  gboolean stopping, freed;
};

typedef enum { OUTCOME_READY, OUTCOME_FAILED, OUTCOME_PENDING } Outcome;

typedef struct {
  ImsRoomCompositor *compositor;
  char *room_id;
  ImsRoomRecord *room;       /* loaded */
  ImsSessionRecord *session; /* loaded: the questions, the candidate */
  /* the worker's, then the report's */
  GPtrArray *uploaded;     /* ImsRoomRecording*: copies with their new object key */
  GPtrArray *spool_files;  /* char*: removed once everything is stored */
  GPtrArray *kept_links;   /* char*: the candidate takes' links, removed once the composite is stored */
  ImsComposite *composite; /* made (this attempt or an earlier one of this run) */
  char *composite_key;     /* uploaded there; NULL without S3 */
  Outcome outcome;
  char *why;         /* failed or pending: the reason */
  gboolean pushed;   /* main loop: handed to the pool */
  gboolean started;  /* the worker: run_job began (read by the main loop once the pool is freed) */
  /* the write */
  guint recorded;     /* uploaded recordings written */
  GPtrArray *events;  /* media.uploaded of a ready composite, made once */
  gboolean attempted; /* the write ran before */
  gboolean gone;      /* the write found no room: erased while this attempt ran */
  GPtrArray *orphans; /* char*: keys this attempt stored, deleted in S3 once the room is gone */
} Job;

static void
job_free(Job *job)
{
  g_free(job->room_id);
  ims_room_record_free(job->room);
  ims_session_record_free(job->session);
  g_clear_pointer(&job->uploaded, g_ptr_array_unref);
  g_clear_pointer(&job->spool_files, g_ptr_array_unref);
  g_clear_pointer(&job->kept_links, g_ptr_array_unref);
  ims_composite_free(job->composite);
  g_free(job->composite_key);
  g_free(job->why);
  g_clear_pointer(&job->events, g_ptr_array_unref);
  g_clear_pointer(&job->orphans, g_ptr_array_unref);
  g_free(job);
}

static void
compositor_destroy(ImsRoomCompositor *compositor)
{
  g_hash_table_unref(compositor->active);
  g_hash_table_unref(compositor->made);
  g_main_context_unref(compositor->context);
  g_free(compositor);
}

/* A database job's answer came: TRUE if the compositor is still in use (else it was freed meanwhile,
 * and is destroyed with its last job). */
static gboolean
job_answered(ImsRoomCompositor *compositor)
{
  compositor->jobs--;
  if (!compositor->freed)
    return TRUE;
  if (compositor->jobs == 0)
    compositor_destroy(compositor);
  return FALSE;
}

/* The room is not handled any more: a later scan or End may start it again. */
static void
forget_job(Job *job)
{
  g_hash_table_remove(job->compositor->active, job->room_id); /* frees job */
}

static void
submit(Job *job, ImsDatabaseKind kind, const char *what, ImsDatabaseRun run, ImsDatabaseDone done)
{
  g_autofree char *text = g_strdup_printf("room %s: %s", job->room_id, what);
  job->compositor->jobs++;
  ims_database_submit(job->compositor->config.database, kind, text, run, done, job, NULL);
}

static gboolean report_job(gpointer data);

/* ---- worker side (the pool thread: its Job and the config) ---- */

/* TRUE if id is one safe key segment as imsd makes ids (UUIDs: letters, digits, '-'). */
static gboolean
is_key_segment(const char *id)
{
  if (!id || !id[0] || strlen(id) > 64)
    return FALSE;
  for (const char *c = id; *c; c++)
    if (!g_ascii_isalnum(*c) && *c != '-')
      return FALSE;
  return TRUE;
}

static const ImsRoomParticipant *
find_participant(const ImsRoomRecord *room, const char *participant_id)
{
  for (guint i = 0; i < room->participants->len; i++) {
    const ImsRoomParticipant *participant = g_ptr_array_index(room->participants, i);
    if (g_strcmp0(participant->id, participant_id) == 0)
      return participant;
  }
  return NULL;
}

static const ImsRoomSegment *
find_segment(const ImsRoomRecord *room, int index)
{
  for (guint i = 0; i < room->segments->len; i++) {
    const ImsRoomSegment *segment = g_ptr_array_index(room->segments, i);
    if (segment->index == index)
      return segment;
  }
  return NULL;
}

/* The candidate's camera file of a question segment is that segment's take: the processor's. */
static gboolean
is_candidate_take(const ImsRoomRecord *room, const ImsRoomRecording *recording)
{
  const ImsRoomParticipant *participant = find_participant(room, recording->participant_id);
  const ImsRoomSegment *segment = find_segment(room, recording->segment);
  return participant && participant->role == IMS_ROOM_ROLE_CANDIDATE &&
         g_strcmp0(recording->stream, "camera") == 0 && segment && segment->take_id;
}

/* A recording whose file is on disk: closed by its receiver, cut, or left recording by a crash (the
 * room has ended: nothing writes it any more; what the file holds is read).  Failed: nothing usable. */
static gboolean
has_media(const ImsRoomRecording *recording)
{
  return recording->status != IMS_TAKE_FAILED && recording->path &&
         g_file_test(recording->path, G_FILE_TEST_IS_REGULAR);
}

/* Uploads path to key.  Blocks for the upload (bounded by the object store's request timeout).  FALSE
 * with job->why (the job is then pending) if S3 refused or failed. */
static gboolean
put(Job *job, const char *key, const char *path, const char *content_type)
{
  ImsObjectStore *objects = job->compositor->config.objects;
  g_autoptr(GError) error = NULL;
  g_autofree char *checksum = NULL;
  if (objects->put_file(objects, key, path, content_type, &checksum, &error))
    return TRUE;
  job->outcome = OUTCOME_PENDING;
  job->why = g_strdup_printf("upload of %s: %s", key, error->message);
  return FALSE;
}

/* Uploads every recording that is not the candidate's take and has no key yet.  FALSE if one failed. */
static gboolean
upload_recordings(Job *job)
{
  const ImsRoomRecord *room = job->room;
  for (guint i = 0; i < room->recordings->len; i++) {
    const ImsRoomRecording *recording = g_ptr_array_index(room->recordings, i);
    if (recording->object_key || is_candidate_take(room, recording) || !has_media(recording))
      continue;
    if (!is_key_segment(recording->participant_id) ||
        (g_strcmp0(recording->stream, "camera") != 0 && g_strcmp0(recording->stream, "screen") != 0)) {
      ims_log_session(G_LOG_LEVEL_WARNING, room->session_id, NULL,
                      "room %s: recording %s has no valid key: not uploaded", room->id, recording->id);
      continue;
    }
    g_autofree char *key = g_strdup_printf("rooms/%s/%d-%s-%s.mkv", room->id, recording->segment,
                                           recording->participant_id, recording->stream);
    if (!put(job, key, recording->path, "video/x-matroska"))
      return FALSE;
    ImsRoomRecording *uploaded = ims_room_recording_copy(recording);
    uploaded->object_key = g_steal_pointer(&key);
    g_ptr_array_add(job->uploaded, uploaded);
    g_ptr_array_add(job->spool_files, g_strdup(recording->path));
  }
  return TRUE;
}

/* The chapter title of a segment: the opening, or its question's text. */
static char *
segment_title(const Job *job, const ImsRoomSegment *segment)
{
  if (segment->question_index < 0)
    return g_strdup("Opening");
  GPtrArray *questions = job->session ? job->session->questions : NULL; /* by index */
  if (questions && (guint) segment->question_index < questions->len) {
    const ImsQuestion *question = g_ptr_array_index(questions, segment->question_index);
    if (question->text && question->text[0])
      return g_strdup(question->text);
  }
  return g_strdup_printf("Question %d", segment->question_index + 1);
}

/* The path of participant's file of stream in segment that holds media, or NULL.  A candidate take is
 * read from its kept link whenever there is one (added to strings, which owns it): the processor
 * removes the take's own name once S3 has it, at any moment. */
static const char *
recording_path(const ImsRoomRecord *room, int segment, const char *participant_id,
               const char *stream, GPtrArray *strings)
{
  for (guint i = 0; i < room->recordings->len; i++) {
    const ImsRoomRecording *recording = g_ptr_array_index(room->recordings, i);
    if (recording->segment != segment || g_strcmp0(recording->participant_id, participant_id) != 0 ||
        g_strcmp0(recording->stream, stream) != 0)
      continue;
    /* the kept link first: the processor may remove the take's own name at any moment, even
     * between this look and the pipeline opening it; the link is ours */
    char *kept = is_candidate_take(room, recording) && recording->path
                     ? g_strconcat(recording->path, KEPT_SUFFIX, NULL)
                     : NULL;
    if (kept && g_file_test(kept, G_FILE_TEST_IS_REGULAR)) {
      g_ptr_array_add(strings, kept);
      return kept;
    }
    g_free(kept);
    if (has_media(recording))
      return recording->path;
  }
  return NULL;
}

/* What the composite is made of, from the room (every string borrowed from it or owned by strings). */
typedef struct {
  GArray *segments;  /* ImsCompositeSegment */
  GArray *people;    /* ImsCompositePerson */
  GPtrArray *arrays; /* what the segments and people point to (freed with it) */
} Plan;

static void
plan_clear(Plan *plan)
{
  g_array_unref(plan->segments);
  g_array_unref(plan->people);
  g_ptr_array_unref(plan->arrays);
}

/* People: the candidate, then each interviewer with a camera file in the room. */
static void
plan_people(const ImsRoomRecord *room, Plan *plan)
{
  for (int role = IMS_ROOM_ROLE_CANDIDATE; role <= IMS_ROOM_ROLE_INTERVIEWER; role++)
    for (guint i = 0; i < room->participants->len; i++) {
      const ImsRoomParticipant *participant = g_ptr_array_index(room->participants, i);
      if ((int) participant->role != role)
        continue;
      const char **cameras = g_new0(const char *, MAX(room->segments->len, 1));
      g_ptr_array_add(plan->arrays, cameras);
      gboolean any = FALSE;
      for (guint s = 0; s < room->segments->len; s++) {
        const ImsRoomSegment *segment = g_ptr_array_index(room->segments, s);
        cameras[s] = recording_path(room, segment->index, participant->id, "camera", plan->arrays);
        any = any || cameras[s];
      }
      if (role == IMS_ROOM_ROLE_CANDIDATE || any)
        g_array_append_val(plan->people, ((ImsCompositePerson) { participant->id, cameras }));
    }
}

static void
plan_make(const Job *job, Plan *plan)
{
  const ImsRoomRecord *room = job->room;
  plan->segments = g_array_new(FALSE, TRUE, sizeof(ImsCompositeSegment));
  plan->people = g_array_new(FALSE, TRUE, sizeof(ImsCompositePerson));
  plan->arrays = g_ptr_array_new_with_free_func(g_free);
  for (guint s = 0; s < room->segments->len; s++) {
    const ImsRoomSegment *segment = g_ptr_array_index(room->segments, s);
    const char **screens = g_new0(const char *, room->recordings->len + 1);
    g_ptr_array_add(plan->arrays, screens);
    guint n_screens = 0;
    for (guint i = 0; i < room->recordings->len; i++) {
      const ImsRoomRecording *recording = g_ptr_array_index(room->recordings, i);
      if (recording->segment == segment->index && g_strcmp0(recording->stream, "screen") == 0 &&
          has_media(recording))
        screens[n_screens++] = recording->path;
    }
    char *title = segment_title(job, segment);
    g_ptr_array_add(plan->arrays, title);
    ImsCompositeSegment composite_segment = {
      .title = title,
      .duration_ms = segment->ended_at > segment->started_at
                         ? (segment->ended_at - segment->started_at) / 1000
                         : 0,
      .screens = n_screens ? screens : NULL,
    };
    g_array_append_val(plan->segments, composite_segment);
  }
  plan_people(room, plan);
}

/* Makes the composite unless an earlier attempt did.  FALSE with the outcome set otherwise: failed
 * (the files), or pending (the disk). */
static gboolean
make_composite(Job *job)
{
  const ImsRoomCompositorConfig *config = &job->compositor->config;
  if (job->composite && g_file_test(job->composite->path, G_FILE_TEST_IS_REGULAR))
    return TRUE;
  g_clear_pointer(&job->composite, ims_composite_free);
  const ImsProfile *profile = ims_profile_set_lookup(config->profiles, job->room->type);
  if (!profile)
    profile = ims_profile_set_lookup(config->profiles, "default");
  if (!profile) {
    job->outcome = OUTCOME_FAILED;
    job->why = g_strdup_printf("no profile '%s' nor 'default'", job->room->type);
    return FALSE;
  }
  Plan plan;
  plan_make(job, &plan);
  ImsCompositeInput input = { (ImsCompositeSegment *) plan.segments->data, plan.segments->len,
                              (ImsCompositePerson *) plan.people->data, plan.people->len,
                              config->canvas_height };
  g_autofree char *name = g_strdup_printf("composite-%s.mp4", job->room_id);
  g_autofree char *output = g_build_filename(config->spool_dir, name, NULL);
  g_autoptr(GError) error = NULL;
  job->composite = input.n_people > 0 ? ims_composite_make(profile, &input, output, &error) : NULL;
  plan_clear(&plan);
  if (job->composite)
    return TRUE;
  gboolean disk = g_error_matches(error, IMS_RENDITION_ERROR, IMS_RENDITION_ERROR_OUTPUT);
  job->outcome = disk ? OUTCOME_PENDING : OUTCOME_FAILED;
  job->why = g_strdup(error ? error->message : "the room has no candidate");
  return FALSE;
}

/* One attempt (the pool thread; blocks for the uploads and the composite, minutes for a long room). */
static void
run_job(gpointer data, gpointer user_data)
{
  Job *job = data;
  ImsRoomCompositor *compositor = job->compositor;
  job->started = TRUE;
  gboolean objects = compositor->config.objects != NULL;
  for (guint i = 0; i < job->room->recordings->len; i++) {
    const ImsRoomRecording *recording = g_ptr_array_index(job->room->recordings, i);
    if (recording->path && is_candidate_take(job->room, recording))
      g_ptr_array_add(job->kept_links, g_strconcat(recording->path, KEPT_SUFFIX, NULL));
  }

  if ((!objects || upload_recordings(job)) && make_composite(job) && objects) {
    g_autofree char *key = g_strdup_printf("rooms/%s/" COMPOSITE_FILE_NAME, job->room_id);
    if (put(job, key, job->composite->path, "video/mp4"))
      job->composite_key = g_steal_pointer(&key);
  }
  if (job->composite && job->outcome == OUTCOME_READY && objects)
    g_ptr_array_add(job->spool_files, g_strdup(job->composite->path));
  g_main_context_invoke(compositor->context, (GSourceFunc) report_job, job);
}

/* ---- main loop side ---- */

static gboolean
set_composite_body(ImsStore *store, gpointer data, GError **error)
{
  Job *job = data;
  static const char *const statuses[] = { "ready", "failed", "pending" };
  gboolean ready = job->outcome == OUTCOME_READY;
  return store->rooms.set_composite(store, job->room_id, statuses[job->outcome],
                                    ready ? job->composite_key : NULL,
                                    ready ? job->composite->size_bytes : 0,
                                    ready ? job->composite->chapters : NULL, error);
}

static gboolean
update_recording_body(ImsStore *store, gpointer data, GError **error)
{
  return store->rooms.update_recording(store, data, error);
}

/* The database thread: each new key, then the outcome (with its event when ready).  A step that
 * committed is not run again; on a retry a step whose commit went unseen (its event id is taken)
 * counts as written. */
static gboolean
run_results(ImsStore *store, gpointer data, GError **error)
{
  Job *job = data;
  gboolean again = job->attempted;
  job->attempted = TRUE;
  for (; job->recorded < job->uploaded->len; job->recorded++) {
    const ImsRoomRecording *recording = g_ptr_array_index(job->uploaded, job->recorded);
    g_autoptr(GError) local = NULL;
    if (ims_store_change(store, update_recording_body, (gpointer) recording, NULL, &local))
      continue;
    if (g_error_matches(local, IMS_STORE_ERROR, IMS_STORE_ERROR_CONNECT)) {
      g_propagate_error(error, g_steal_pointer(&local));
      return FALSE; /* the database retries from here */
    }
    /* refused for good (the row went): the outcome must still be written */
    g_warning("room %s: recording %s: %s", job->room_id, recording->id, local->message);
  }
  g_autoptr(GError) local = NULL;
  if (ims_store_change(store, set_composite_body, job, job->events, &local) ||
      (again && job->events && g_error_matches(local, IMS_STORE_ERROR, IMS_STORE_ERROR_CONFLICT)))
    return TRUE;
  /* the room went (its candidate's erasure) while this attempt ran: nothing is left to write to */
  job->gone = g_error_matches(local, IMS_STORE_ERROR, IMS_STORE_ERROR_NOT_FOUND);
  if (!job->gone)
    g_propagate_error(error, g_steal_pointer(&local));
  return job->gone;
}

/* A GTask thread: deletes the orphans in S3.  Blocks for one request each (bounded by the object
 * store's request timeout); a delete that fails is logged with its key, not retried. */
static void
delete_orphans(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Job *job = data;
  ImsObjectStore *objects = job->compositor->config.objects;
  for (guint i = 0; i < job->orphans->len; i++) {
    g_autoptr(GError) error = NULL;
    const char *key = g_ptr_array_index(job->orphans, i);
    if (!objects->delete_object(objects, key, &error))
      g_warning("room %s is gone: %s stays in S3: %s", job->room_id, key, error->message);
  }
  g_task_return_boolean(task, TRUE);
}

static void
on_orphans_deleted(GObject *source, GAsyncResult *result, gpointer data)
{
  Job *job = data;
  job->compositor->working--;
  forget_job(job);
}

/* The room was erased while this attempt ran: what it left in the spool goes, what it stored in S3
 * is deleted (counted in working: ims_room_compositor_free waits for it), then the room is
 * forgotten (nothing of it is kept for a retry). */
static void
drop_gone_room(Job *job)
{
  ImsRoomCompositor *compositor = job->compositor;
  if (job->composite)
    g_ptr_array_add(job->spool_files, g_strdup(job->composite->path));
  for (guint i = 0; i < job->kept_links->len; i++)
    g_ptr_array_add(job->spool_files, g_strdup(g_ptr_array_index(job->kept_links, i)));
  for (guint i = 0; i < job->spool_files->len; i++)
    ims_spool_remove(g_ptr_array_index(job->spool_files, i));
  job->orphans = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < job->uploaded->len; i++)
    g_ptr_array_add(job->orphans,
                    g_strdup(((ImsRoomRecording *) g_ptr_array_index(job->uploaded, i))->object_key));
  if (job->composite_key)
    g_ptr_array_add(job->orphans, g_strdup(job->composite_key));
  ims_log_session(G_LOG_LEVEL_WARNING, job->room->session_id, NULL,
                  "room %s was erased while its composite was made: %u object(s) it stored are deleted",
                  job->room_id, job->orphans->len);
  if (job->orphans->len == 0 || !compositor->config.objects) {
    forget_job(job);
    return;
  }
  compositor->working++;
  g_autoptr(GTask) task = g_task_new(NULL, NULL, on_orphans_deleted, job);
  g_task_set_task_data(task, job, NULL);
  g_task_run_in_thread(task, delete_orphans);
}

static void
on_written(gpointer data, const GError *error)
{
  Job *job = data;
  ImsRoomCompositor *compositor = job->compositor;
  if (!job_answered(compositor))
    return;
  const char *session_id = job->room->session_id;
  if (!error && job->gone) {
    drop_gone_room(job);
    return;
  }
  if (error) {
    ims_log_session(G_LOG_LEVEL_WARNING, session_id, NULL,
                    "room %s: the composite's results were not written: %s", job->room_id,
                    error->message);
  } else if (job->outcome == OUTCOME_READY) {
    for (guint i = 0; i < job->spool_files->len; i++)
      ims_spool_remove(g_ptr_array_index(job->spool_files, i));
    for (guint i = 0; i < job->kept_links->len; i++)
      if (g_file_test(g_ptr_array_index(job->kept_links, i), G_FILE_TEST_EXISTS))
        ims_spool_remove(g_ptr_array_index(job->kept_links, i));
    ims_log_session(G_LOG_LEVEL_INFO, session_id, NULL,
                    "room %s: composite ready (%s, %" G_GINT64_FORMAT " bytes, %" G_GINT64_FORMAT
                    " ms), %u recording(s) uploaded",
                    job->room_id, job->composite_key ? job->composite_key : job->composite->path,
                    job->composite->size_bytes, job->composite->duration_ms, job->uploaded->len);
  } else {
    ims_log_session(G_LOG_LEVEL_WARNING, session_id, NULL, "room %s: composite %s: %s",
                    job->room_id, job->outcome == OUTCOME_FAILED ? "failed" : "pending again",
                    job->why);
  }
  /* kept for the next attempt: made, but not stored */
  if (job->composite && job->outcome == OUTCOME_PENDING && !compositor->stopping)
    g_hash_table_replace(compositor->made, g_strdup(job->room_id), g_steal_pointer(&job->composite));
  forget_job(job);
}

/* The attempt is over: its results go to the database (also when stopping: they are kept). */
static gboolean
report_job(gpointer data)
{
  Job *job = data;
  ImsRoomCompositor *compositor = job->compositor;
  compositor->working--;
  if (job->outcome == OUTCOME_READY && job->composite_key) {
    const ImsRoomParticipant *candidate = NULL;
    for (guint i = 0; !candidate && i < job->room->participants->len; i++)
      if (((ImsRoomParticipant *) g_ptr_array_index(job->room->participants, i))->role ==
          IMS_ROOM_ROLE_CANDIDATE)
        candidate = g_ptr_array_index(job->room->participants, i);
    const char *user_id = candidate ? candidate->user_id : job->session ? job->session->user_id : NULL;
    ims_outbox_add(&job->events, IMS_EVENT_MEDIA_UPLOADED,
                   ims_event_payload_composite_uploaded(user_id, job->room_id, job->room->session_id,
                                                        job->composite_key,
                                                        job->composite->size_bytes,
                                                        compositor->config.objects->bucket),
                   job->room_id); /* every room event's correlation id: its room */
  }
  submit(job, IMS_DATABASE_WRITE, "composite results", run_results, on_written);
  return G_SOURCE_REMOVE;
}

static gboolean
run_processing(ImsStore *store, gpointer data, GError **error)
{
  Job *job = data;
  return store->rooms.set_composite(store, job->room_id, "processing", NULL, 0, NULL, error);
}

static void
on_processing(gpointer data, const GError *error)
{
  Job *job = data;
  ImsRoomCompositor *compositor = job->compositor;
  if (!error && compositor->stopping) {
    /* back to pending, also once freed (this write keeps it alive): the next start makes it */
    compositor->jobs--;
    job->outcome = OUTCOME_PENDING;
    job->why = g_strdup("imsd is stopping");
    submit(job, IMS_DATABASE_WRITE, "composite results", run_results, on_written);
    return;
  }
  if (!job_answered(compositor))
    return;
  if (error) {
    g_warning("room %s: cannot mark the composite processing: %s", job->room_id, error->message);
    forget_job(job);
    return;
  }
  g_hash_table_steal_extended(compositor->made, job->room_id, NULL, (gpointer *) &job->composite);
  compositor->working++;
  job->pushed = TRUE;
  g_thread_pool_push(compositor->pool, job, NULL);
}

static gboolean
run_load(ImsStore *store, gpointer data, GError **error)
{
  Job *job = data;
  job->room = store->rooms.load_room(store, job->room_id, error);
  if (!job->room)
    return FALSE;
  job->session = store->sessions.load_session(store, job->room->session_id, error);
  return job->session != NULL;
}

static void
on_loaded(gpointer data, const GError *error)
{
  Job *job = data;
  ImsRoomCompositor *compositor = job->compositor;
  if (!job_answered(compositor))
    return;
  if (error || compositor->stopping) {
    if (error)
      g_warning("room %s: cannot load it for its composite: %s", job->room_id, error->message);
    forget_job(job);
    return;
  }
  if (job->room->state != IMS_ROOM_ENDED || g_strcmp0(job->room->composite_status, "ready") == 0) {
    g_debug("room %s: %s, composite %s: nothing to do", job->room_id,
            ims_room_state_to_string(job->room->state), job->room->composite_status);
    forget_job(job);
    return;
  }
  ims_log_session(G_LOG_LEVEL_INFO, job->room->session_id, NULL,
                  "room %s: %u recording(s), %u segment(s): uploads and composite", job->room_id,
                  job->room->recordings->len, job->room->segments->len);
  submit(job, IMS_DATABASE_WRITE, "composite processing", run_processing, on_processing);
}

static void
start_room(ImsRoomCompositor *compositor, const char *room_id)
{
  if (compositor->stopping || g_hash_table_contains(compositor->active, room_id))
    return;
  Job *job = g_new0(Job, 1);
  job->compositor = compositor;
  job->room_id = g_strdup(room_id);
  job->uploaded = g_ptr_array_new_with_free_func((GDestroyNotify) ims_room_recording_free);
  job->spool_files = g_ptr_array_new_with_free_func(g_free);
  job->kept_links = g_ptr_array_new_with_free_func(g_free);
  g_hash_table_insert(compositor->active, job->room_id, job);
  submit(job, IMS_DATABASE_READ, "load for its composite", run_load, on_loaded);
}

void
ims_room_compositor_room_ended(ImsRoomCompositor *compositor, const char *room_id)
{
  g_return_if_fail(compositor && room_id);
  start_room(compositor, room_id);
}

void
ims_room_compositor_keep_take(ImsRoomCompositor *compositor, const char *path)
{
  g_return_if_fail(compositor && path);
  g_autofree char *kept = g_strconcat(path, KEPT_SUFFIX, NULL);
  if (link(path, kept) != 0 && errno != EEXIST)
    g_warning("cannot keep %s for the room's composite (%s): %s", path, kept, g_strerror(errno));
}

/* ---- the scan ---- */

typedef struct {
  ImsRoomCompositor *compositor;
  GPtrArray *room_ids;
} Scan;

static void
scan_free(Scan *scan)
{
  g_clear_pointer(&scan->room_ids, g_ptr_array_unref);
  g_free(scan);
}

static gboolean
run_scan(ImsStore *store, gpointer data, GError **error)
{
  Scan *scan = data;
  /* with the rooms left processing by a run that crashed: start_room skips this run's own */
  scan->room_ids = store->rooms.list_rooms_to_composite(store, TRUE, error);
  return scan->room_ids != NULL;
}

static void
on_scanned(gpointer data, const GError *error)
{
  Scan *scan = data;
  ImsRoomCompositor *compositor = scan->compositor;
  if (!job_answered(compositor))
    return;
  compositor->scanning = FALSE;
  if (error) {
    g_warning("cannot list rooms to composite: %s", error->message);
    return;
  }
  for (guint i = 0; i < scan->room_ids->len; i++)
    start_room(compositor, g_ptr_array_index(scan->room_ids, i));
  if (compositor->scan_again) {
    compositor->scan_again = FALSE;
    ims_room_compositor_scan(compositor);
  }
}

void
ims_room_compositor_scan(ImsRoomCompositor *compositor)
{
  if (compositor->stopping)
    return;
  if (compositor->scanning) { /* one at a time; what this one misses the next finds */
    compositor->scan_again = TRUE;
    return;
  }
  compositor->scanning = TRUE;
  Scan *scan = g_new0(Scan, 1);
  scan->compositor = compositor;
  compositor->jobs++;
  ims_database_submit(compositor->config.database, IMS_DATABASE_READ, "list rooms to composite",
                      run_scan, on_scanned, scan, (GDestroyNotify) scan_free);
}

static gboolean
on_scan_timer(gpointer data)
{
  ims_room_compositor_scan(data);
  return G_SOURCE_CONTINUE;
}

/* ---- lifecycle ---- */

ImsRoomCompositor *
ims_room_compositor_new(const ImsRoomCompositorConfig *config)
{
  g_return_val_if_fail(config && config->database && config->profiles && config->spool_dir, NULL);
  ImsRoomCompositor *compositor = g_new0(ImsRoomCompositor, 1);
  compositor->config = *config;
  compositor->context = g_main_context_ref_thread_default();
  compositor->active = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                             (GDestroyNotify) job_free);
  compositor->made = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) ims_composite_free);
  compositor->pool = g_thread_pool_new(run_job, compositor, 1, FALSE, NULL);
  compositor->scan_id = g_timeout_add_seconds(SCAN_INTERVAL_SECONDS, on_scan_timer, compositor);
  return compositor;
}

void
ims_room_compositor_free(ImsRoomCompositor *compositor)
{
  if (!compositor)
    return;
  compositor->stopping = TRUE;
  g_clear_handle_id(&compositor->scan_id, g_source_remove);
  /* the running job finishes (its report is invoked on the context); queued ones do not run: they go
   * back to pending, as a job that did not reach the pool */
  g_thread_pool_free(g_steal_pointer(&compositor->pool), TRUE, TRUE);
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init(&iter, compositor->active);
  while (g_hash_table_iter_next(&iter, NULL, &value)) {
    Job *job = value;
    if (job->pushed && !job->started) {
      compositor->working--;
      job->outcome = OUTCOME_PENDING;
      job->why = g_strdup("imsd is stopping");
      submit(job, IMS_DATABASE_WRITE, "composite results", run_results, on_written);
    }
  }
  while (compositor->working > 0) /* the running job's report submits its results */
    g_main_context_iteration(compositor->context, TRUE);
  compositor->freed = TRUE;
  if (compositor->jobs == 0)
    compositor_destroy(compositor);
  /* else destroyed by the last answer (jobs still loading are forgotten then) */
}
