/* kafka-check.h: whether a Kafka client reaches its cluster, followed
 * within seconds: the record (check.h) that /readyz shows as events.kafka.
 *
 * The record changes on what the client reports (a delivery: ok; every
 * broker down: unavailable) and on an active probe (for librdkafka a
 * metadata request, kafka-rdkafka.c), which runs on a short-lived thread of
 * its own (it may wait up to timeout_ms) while the loop goes on; its result comes
 * back to the main context.  A probe starts every failing_interval_ms while
 * the check is unavailable, and every ok_interval_ms while it is ok; one at
 * a time.  So the state follows
 * the brokers within about failing_interval_ms + timeout_ms of their return,
 * not at the next delivery.
 *
 *   new (a probe at once) -> probing on the timer ... -> free (waits for a running probe)
 *
 * Threading: everything but the probe function on the main context it was
 * created on.  No librdkafka here: the probe is a function pointer (tests
 * pass their own).
 */
#pragma once

#include <glib.h>

#include "check.h"

G_BEGIN_DECLS

typedef struct _ImsKafkaCheck ImsKafkaCheck;

/* Asks the cluster something cheap, waiting up to timeout_ms, on a pool
 * thread of its own.  TRUE if it answered, else FALSE with *error set (transfer full). */
typedef gboolean (*ImsKafkaProbe)(gpointer data, int timeout_ms, char **error);

typedef struct {
  ImsKafkaProbe probe;
  gpointer data;             /* passed to probe; must outlive the check */
  guint ok_interval_ms;      /* how often it probes while ok */
  guint failing_interval_ms; /* how often while unavailable (the timer's period) */
  int timeout_ms;            /* passed to probe */
} ImsKafkaCheckConfig;

/* Starts probing: the first probe at once.  Transfer full. */
ImsKafkaCheck *ims_kafka_check_new(const ImsKafkaCheckConfig *config);

/* The client reported an error: when every broker is down the check fails
 * now with reason; any other error (one broker, a transport hiccup) only
 * makes the next tick probe.  Cheap. */
void ims_kafka_check_client_error(ImsKafkaCheck *check, gboolean all_brokers_down,
                                  const char *reason);

/* The client reached the cluster (a delivery succeeded): ok now.  Cheap. */
void ims_kafka_check_reached(ImsKafkaCheck *check);

/* Copies the record into out (clear it with ims_check_clear).  Cheap. */
void ims_kafka_check_get(ImsKafkaCheck *check, ImsCheck *out);

/* Stops probing; waits for a running probe to return (up to its
 * timeout_ms), so the probe's data may be freed after.  NULL is ignored. */
void ims_kafka_check_free(ImsKafkaCheck *check);

G_END_DECLS
