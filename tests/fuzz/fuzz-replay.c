/* fuzz-replay.c: main() for fuzz targets built without libFuzzer (any compiler but clang).
 *
 * Runs LLVMFuzzerTestOneInput() once over every file named on the command line; a directory stands for
 * the files in it. Arguments starting with '-' (libFuzzer options such as -runs=0) are ignored, so the
 * same test command line works for libFuzzer builds, which replay a corpus directory with -runs=0.
 * Fails when an input cannot be read or when no input was found at all (an empty replay proves nothing).
 * Under IMSD_LIBFUZZER (clang, -fsanitize=fuzzer) this file compiles to nothing.
 */
#ifndef IMSD_LIBFUZZER

#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gint
compare_paths(gconstpointer a, gconstpointer b)
{
  return g_strcmp0(*(const char *const *) a, *(const char *const *) b);
}

static gboolean
replay_file(const char *path, guint *count)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  g_autoptr(GError) error = NULL;
  if (!g_file_get_contents(path, &contents, &length, &error)) {
    fprintf(stderr, "fuzz-replay: %s\n", error->message);
    return FALSE;
  }
  /* A copy of exactly length bytes, so reading past the input is caught by sanitizers/valgrind. */
  g_autofree uint8_t *input = g_memdup2(contents, length);
  LLVMFuzzerTestOneInput(input, length);
  (*count)++;
  return TRUE;
}

int
main(int argc, char **argv)
{
  guint count = 0;
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] == '-')
      continue;
    if (!g_file_test(argv[i], G_FILE_TEST_IS_DIR)) {
      if (!replay_file(argv[i], &count))
        return 1;
      continue;
    }
    g_autoptr(GError) error = NULL;
    g_autoptr(GDir) dir = g_dir_open(argv[i], 0, &error);
    if (dir == NULL) {
      fprintf(stderr, "fuzz-replay: %s\n", error->message);
      return 1;
    }
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    for (const char *name; (name = g_dir_read_name(dir)) != NULL;)
      g_ptr_array_add(names, g_build_filename(argv[i], name, NULL));
    g_ptr_array_sort(names, compare_paths);
    for (guint n = 0; n < names->len; n++)
      if (!replay_file(names->pdata[n], &count))
        return 1;
  }
  printf("fuzz-replay: %u inputs replayed\n", count);
  return count > 0 ? 0 : 1;
}

#endif /* IMSD_LIBFUZZER */
