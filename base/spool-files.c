/* spool-files.c: removing spool files and rendition directories; see spool-files.h. */
#include "spool-files.h"

#include <glib/gstdio.h>

void
ims_spool_remove(const char *path)
{
  if (!g_file_test(path, G_FILE_TEST_IS_DIR)) {
    g_unlink(path);
    return;
  }
  g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
  const char *name;
  while (dir && (name = g_dir_read_name(dir))) {
    g_autofree char *child = g_build_filename(path, name, NULL);
    g_unlink(child);
  }
  g_rmdir(path);
}
