/* kafka-log.h: librdkafka's own log lines, routed into imsd's logger.
 *
 * Every librdkafka client imsd makes (the relay's producer, the consumer and its DLQ producer) logs
 * through this one callback, under the GLib domain "imsd.kafka", as "<facility>: <message>".
 * librdkafka calls it from any of its threads; g_log is thread-safe.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

struct rd_kafka_conf_s;

/* Sets conf's log callback: syslog levels 0..3 (emergency..error) become warnings, 4 (warning)
 * info, 5..7 (notice, info, debug) debug.  Call before rd_kafka_new(). */
void ims_kafka_route_log(struct rd_kafka_conf_s *conf);

G_END_DECLS
