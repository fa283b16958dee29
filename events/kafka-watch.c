/* kafka-watch.c: a librdkafka queue's events on the main loop; see kafka-watch.h. */
#define G_LOG_DOMAIN "imsd.kafka"

#include "kafka-watch.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <librdkafka/rdkafka.h>
#include <unistd.h>

struct _ImsKafkaWatch {
  rd_kafka_queue_t *queue;
  int fds[2]; /* read end watched, write end librdkafka's */
  guint source_id;
  guint kick_id;
  void (*ready)(gpointer data);
  gpointer data;
};

static gboolean
on_readable(gint fd, GIOCondition condition, gpointer data)
{
  ImsKafkaWatch *watch = data;
  char drain[64];
  while (read(fd, drain, sizeof drain) > 0)
    ;
  watch->ready(watch->data);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_kick(gpointer data)
{
  ImsKafkaWatch *watch = data;
  watch->kick_id = 0;
  watch->ready(watch->data);
  return G_SOURCE_REMOVE;
}

ImsKafkaWatch *
ims_kafka_watch_new(rd_kafka_queue_t *queue, void (*ready)(gpointer data), gpointer data,
                    GError **error)
{
  ImsKafkaWatch *watch = g_new0(ImsKafkaWatch, 1);
  if (!g_unix_open_pipe(watch->fds, FD_CLOEXEC, error)) {
    g_free(watch);
    return NULL;
  }
  if (!g_unix_set_fd_nonblocking(watch->fds[0], TRUE, error) ||
      !g_unix_set_fd_nonblocking(watch->fds[1], TRUE, error)) {
    close(watch->fds[0]);
    close(watch->fds[1]);
    g_free(watch);
    return NULL;
  }
  watch->queue = queue;
  watch->ready = ready;
  watch->data = data;
  rd_kafka_queue_io_event_enable(queue, watch->fds[1], "1", 1);
  watch->source_id = g_unix_fd_add(watch->fds[0], G_IO_IN, on_readable, watch);
  ims_kafka_watch_kick(watch); /* events queued before the pipe existed */
  return watch;
}

void
ims_kafka_watch_kick(ImsKafkaWatch *watch)
{
  if (!watch->kick_id)
    watch->kick_id = g_idle_add(on_kick, watch);
}

void
ims_kafka_watch_free(ImsKafkaWatch *watch)
{
  if (!watch)
    return;
  rd_kafka_queue_io_event_enable(watch->queue, -1, NULL, 0);
  g_clear_handle_id(&watch->source_id, g_source_remove);
  g_clear_handle_id(&watch->kick_id, g_source_remove);
  close(watch->fds[0]);
  close(watch->fds[1]);
  rd_kafka_queue_destroy(watch->queue);
  g_free(watch);
}
