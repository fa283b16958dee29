/* harness-lines.c: the harnesses' stdin/stdout plumbing; see harness-lines.h. */
#include "harness-lines.h"

#include <gio/gunixinputstream.h>
#include <stdio.h>

typedef struct {
  GDataInputStream *input;
  void (*on_message)(JsonObject *message, gpointer user_data);
  void (*on_closed)(gpointer user_data);
  gpointer user_data;
} LineReader;

static GLogWriterOutput
log_to_stderr(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  if (g_log_writer_default_would_drop(level, NULL))
    return G_LOG_WRITER_HANDLED;
  g_autofree char *line = g_log_writer_format_fields(level, fields, n_fields, FALSE);
  fprintf(stderr, "%s\n", line);
  return G_LOG_WRITER_HANDLED;
}

gboolean
harness_parse_options(int *argc, char ***argv, const GOptionEntry *entries, const char *summary)
{
  g_autoptr(GOptionContext) options = g_option_context_new(summary);
  g_option_context_add_main_entries(options, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(options, argc, argv, &error)) {
    fprintf(stderr, "%s\n", error->message);
    return FALSE;
  }
  return TRUE;
}

void
harness_log_to_stderr(void)
{
  g_log_set_writer_func(log_to_stderr, NULL, NULL);
}

void
harness_emit(JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root(builder);
  g_autofree char *text = json_to_string(root, FALSE);
  printf("%s\n", text);
  fflush(stdout);
}

static void read_next(LineReader *reader);

static void
on_read(GObject *source, GAsyncResult *result, gpointer data)
{
  LineReader *reader = data;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8(reader->input, result, NULL,
                                                                    NULL);
  if (line == NULL) {
    g_message("stdin closed");
    if (reader->on_closed)
      reader->on_closed(reader->user_data);
    g_object_unref(reader->input);
    g_free(reader);
    return;
  }
  g_autoptr(JsonParser) parser = json_parser_new();
  if (json_parser_load_from_data(parser, line, -1, NULL) &&
      JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
    reader->on_message(json_node_get_object(json_parser_get_root(parser)), reader->user_data);
  else
    g_warning("ignoring non-JSON input line");
  read_next(reader);
}

static void
read_next(LineReader *reader)
{
  g_data_input_stream_read_line_async(reader->input, G_PRIORITY_DEFAULT, NULL, on_read, reader);
}

void
harness_read_lines(void (*on_message)(JsonObject *message, gpointer user_data),
                   void (*on_closed)(gpointer user_data), gpointer user_data)
{
  LineReader *reader = g_new0(LineReader, 1);
  g_autoptr(GInputStream) in = g_unix_input_stream_new(0, FALSE);
  reader->input = g_data_input_stream_new(in);
  reader->on_message = on_message;
  reader->on_closed = on_closed;
  reader->user_data = user_data;
  read_next(reader);
}
