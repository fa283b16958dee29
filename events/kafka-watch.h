/* kafka-watch.h: a librdkafka queue served from the GLib main loop.
 *
 * librdkafka writes a byte to a pipe when the queue goes from empty to
 * non-empty (rd_kafka_queue_io_event_enable); the loop watches the pipe's
 * read end and calls ready, which serves the queue without waiting
 * (rd_kafka_poll / rd_kafka_consumer_poll with timeout 0).  Nothing of
 * librdkafka's ever blocks the loop, and nothing polls it on a timer.
 *
 *   new -> watching -> free (the queue forgets the pipe first)
 *
 * Threading: created, called and freed on the main loop; librdkafka's
 * threads only write to the pipe.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _ImsKafkaWatch ImsKafkaWatch;
struct rd_kafka_queue_s;

/* Watches queue (a reference is taken); ready runs on the main context
 * each time events arrive, and must serve them all.  NULL with an error if
 * no pipe could be made.  Transfer full. */
ImsKafkaWatch *ims_kafka_watch_new(struct rd_kafka_queue_s *queue, void (*ready)(gpointer data),
                                   gpointer data, GError **error);

/* Runs ready from an idle (for events that came while they were not served,
 * e.g. a consumer that held its current message).  Cheap. */
void ims_kafka_watch_kick(ImsKafkaWatch *watch);

void ims_kafka_watch_free(ImsKafkaWatch *watch);

G_END_DECLS
