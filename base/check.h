/* check.h: one readiness check's record (PostgreSQL, the spool, S3, Kafka),
 * as /readyz shows it.
 *
 * A check has a state (ok, unavailable, not configured), the time it was
 * last checked, the time its state began, and the last error with the time
 * it was last seen; once the check succeeds again the error stays, marked
 * past by the time it cleared:
 *
 *   ok (checked_at 0: not checked yet) --failed--> unavailable --succeeded--> ok (error cleared_at)
 *   not configured: never changes
 *
 * Times are unix microseconds (g_get_real_time), 0 for never.  The owner of
 * a check (the database thread's status, the processor's S3 ping, the Kafka
 * client's probe) updates it where its probe runs, under its own lock if it
 * has one, and hands out copies: /readyz only reads copies.  No state here,
 * no waiting; a check is used by one thread at a time.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  IMS_CHECK_OK,
  IMS_CHECK_UNAVAILABLE,
  IMS_CHECK_NOT_CONFIGURED,
} ImsCheckState;

typedef struct {
  ImsCheckState state;
  gint64 checked_at;    /* the last check, 0 if none yet */
  gint64 since;         /* the state began (0: at start) */
  char *last_error;     /* owned; NULL if none since start */
  gint64 last_error_at; /* the last failure */
  gint64 cleared_at;    /* the first success after last_error, 0 while it stands */
} ImsCheck;

/* An ok check not checked yet, or a not-configured one. */
void ims_check_init(ImsCheck *check, gboolean configured);

/* The check succeeded at now: ok, the last error (if any) marked cleared.
 * TRUE if it was unavailable (came back: worth a log line).  A
 * not-configured check is left as it is (FALSE). */
gboolean ims_check_succeeded(ImsCheck *check, gint64 now);

/* The check failed at now with error: unavailable, error the last one (a
 * copy).  TRUE if it was ok (went down: worth a warning). */
gboolean ims_check_failed(ImsCheck *check, const char *error, gint64 now);

/* dest becomes a copy of src (dest must be cleared or uninitialised). */
void ims_check_copy(ImsCheck *dest, const ImsCheck *src);
void ims_check_clear(ImsCheck *check);

/* "ok", "unavailable", "not_configured". */
const char *ims_check_state_name(ImsCheckState state);

/* "name": {"state", "checkedAt", "since", "lastError": null or
 * {"message", "at", "clearedAt"}}, times ISO 8601 or null when 0. */
void ims_check_add_json(JsonBuilder *builder, const char *name, const ImsCheck *check);

G_END_DECLS
