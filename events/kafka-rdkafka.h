/* kafka-rdkafka.h: librdkafka helpers shared by kafka-rdkafka.c and the
 * consumer (consumer.c), the only files that include rdkafka.h.  Everything
 * else reaches Kafka through the seam, kafka.h. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

struct rd_kafka_conf_s;

/* Applies "k=v;k=v" (NULL or "" applies nothing) to a librdkafka
 * configuration.  FALSE with G_IO_ERROR_INVALID_ARGUMENT naming the first
 * pair that is not key=value or that librdkafka refused; pairs before it
 * stay applied. */
gboolean ims_kafka_conf_apply(struct rd_kafka_conf_s *conf, const char *properties, GError **error);

G_END_DECLS
