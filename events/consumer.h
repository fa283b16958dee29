/* consumer.h: reads the platform's user-events and auth-events.
 *
 * Group media-server-group, offsets committed by hand only once a message's
 * effect is committed (or it was skipped, or sent to the dead letter topic).
 * One message is handled at a time, in partition order:
 *
 *   polled -> parsed -> handling (the handler, possibly asynchronous)
 *          -> done: commit offset
 *          -> failed: retry after 0.5 s, 1 s, 2 s; then <topic>-dlq, commit
 *   not JSON / no eventId or eventType / handled type without a user: -> dlq at once
 *   a type imsd does not handle: commit
 *
 * The handler makes its effect idempotent (processed_events, same
 * transaction), so a redelivered message changes nothing.  Main loop only;
 * Kafka (the seam kafka.h) is served when it signals the loop, never waited for.
 */
#pragma once

#include <glib.h>

#include "consumed.h"
#include "kafka.h"

G_BEGIN_DECLS

typedef struct _ImsConsumer ImsConsumer;

/* Reports a handler's outcome; error_message NULL on success.  Must be called
 * exactly once per handler call, on the main loop, possibly later. */
typedef void (*ImsConsumerDone)(ImsConsumer *consumer, const char *error_message);

/* Performs the effect of event (USER_DELETED or USER_LOGGED_OUT), then calls done. */
typedef void (*ImsConsumerHandler)(const ImsConsumedEvent *event, ImsConsumer *consumer,
                                   ImsConsumerDone done, gpointer user_data);

typedef struct {
  const char *bootstrap_servers;
  const char *properties; /* "k=v;k=v" passed through (SASL, SSL, ...) */
  const char *group_id;   /* media-server-group */
  ImsConsumerHandler handler;
  gpointer handler_data;
  const ImsKafkaOps *kafka; /* NULL: librdkafka (ims_kafka_rdkafka_ops); tests pass a fake */
} ImsConsumerConfig;

/* Subscribes to user-events and auth-events.  Transfer full. */
ImsConsumer *ims_consumer_new(const ImsConsumerConfig *config, GError **error);

/* Leaves the group (a handler still running is abandoned: its message is
 * redelivered to the next consumer, and its effect is idempotent). */
void ims_consumer_free(ImsConsumer *consumer);

G_END_DECLS
