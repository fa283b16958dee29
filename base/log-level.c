/* log-level.c: log level names; see log-level.h. */
#include "log-level.h"

static const struct {
  const char *name;
  GLogLevelFlags threshold;
} levels[] = {
  { "error", G_LOG_LEVEL_CRITICAL },  { "warning", G_LOG_LEVEL_WARNING },
  { "message", G_LOG_LEVEL_MESSAGE }, { "info", G_LOG_LEVEL_INFO },
  { "debug", G_LOG_LEVEL_DEBUG },
};

gboolean
ims_log_level_parse(const char *name, GLogLevelFlags *threshold)
{
  for (gsize i = 0; i < G_N_ELEMENTS(levels); i++) {
    if (g_strcmp0(name, levels[i].name) == 0) {
      if (threshold)
        *threshold = levels[i].threshold;
      return TRUE;
    }
  }
  return FALSE;
}
