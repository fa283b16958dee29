/* fuzz-config.c: libFuzzer target for server/config/config.c.
 *
 * The input is used twice: as INI text for ims_config_load_data(), and split into lines as an environment
 * for ims_config_apply_environment(). Besides "no crash", it checks two properties and aborts if either
 * breaks: a failed load leaves the config unchanged, and whatever loaded is written by
 * ims_config_to_string() in a form that loads back to the same text.
 */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static void
check_round_trip(const ImsConfig *config)
{
  g_autofree char *text = ims_config_to_string(config);
  g_autoptr(ImsConfig) copy = ims_config_new();
  g_autoptr(GError) error = NULL;
  if (!ims_config_load_data(copy, text, -1, "round-trip", &error)) {
    g_printerr("round trip failed to load: %s\n%s\n", error->message, text);
    abort();
  }
  g_free(ims_config_to_redacted_string(copy)); /* --print-config's redaction of any value: no crash */
  g_autofree char *again = ims_config_to_string(copy);
  if (strcmp(text, again) != 0) {
    g_printerr("round trip changed the config:\n%s\n---\n%s\n", text, again);
    abort();
  }
  ims_config_validate(copy, NULL);
}

/* The default config's text: what a failed load or apply must leave behind. It is the same for every
 * input, so it is formatted once. */
static const char *
default_text(void)
{
  static char *text;
  if (text == NULL) {
    g_autoptr(ImsConfig) config = ims_config_new();
    text = ims_config_to_string(config);
  }
  return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size > 64 * 1024)
    return 0;
  const char *text = size > 0 ? (const char *) data : "";

  const char *before = default_text();
  g_autoptr(ImsConfig) config = ims_config_new();
  g_autoptr(GError) error = NULL;
  if (ims_config_load_data(config, text, size, "fuzz", &error)) {
    check_round_trip(config);
  } else {
    g_autofree char *after = ims_config_to_string(config);
    if (error == NULL || strcmp(before, after) != 0)
      abort();
  }
  g_clear_error(&error);

  /* The same bytes, one environment entry per line; non-IMSD_ entries must be ignored by the code. */
  g_autofree char *copy = g_strndup(text, size);
  g_auto(GStrv) envp = g_strsplit(copy, "\n", 64);
  g_autoptr(ImsConfig) environment_config = ims_config_new();
  if (ims_config_apply_environment(environment_config, envp, &error)) {
    check_round_trip(environment_config);
  } else {
    g_autofree char *after = ims_config_to_string(environment_config);
    if (error == NULL || strcmp(before, after) != 0)
      abort();
  }
  ims_config_validate(environment_config, NULL);
  return 0;
}
