/* kafka-log.c: librdkafka's log callback; see kafka-log.h. */
#include "kafka-log.h"

#include <librdkafka/rdkafka.h>

static void
log_kafka(const rd_kafka_t *rk, int level, const char *facility, const char *message)
{
  /* syslog levels: 0..3 error, 4 warning, 5..6 info, 7 debug; any thread */
  GLogLevelFlags flags = level <= 3   ? G_LOG_LEVEL_WARNING
                         : level == 4 ? G_LOG_LEVEL_INFO
                                      : G_LOG_LEVEL_DEBUG;
  g_log("imsd.kafka", flags, "%s: %s", facility, message);
}

void
ims_kafka_route_log(rd_kafka_conf_t *conf)
{
  rd_kafka_conf_set_log_cb(conf, log_kafka);
}
