/* http-files.c: symlink-free opens for lws's file mounts; see http-files.h. */
#define G_LOG_DOMAIN "imsd.http"

#include "http-files.h"

#include <errno.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The mounts' origins, set once by ims_http_files_guard() on the main thread
 * before serving, read by lws's file opens on that same thread. */
static char **guarded_roots;

int
ims_http_files_open_beneath(const char *root, const char *relative, int flags)
{
  int directory = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory < 0)
    return -errno;
  g_auto(GStrv) components = g_strsplit(relative, "/", -1);
  guint last = 0;
  for (guint i = 0; components[i]; i++)
    if (components[i][0] != '\0')
      last = i + 1;
  if (last == 0)
    return directory; /* the root itself */

  for (guint i = 0; i < last; i++) {
    const char *name = components[i];
    if (name[0] == '\0')
      continue;
    if (g_str_equal(name, ".") || g_str_equal(name, "..")) {
      close(directory);
      return -EACCES;
    }
    gboolean final = i + 1 == last;
    int next = openat(directory, name,
                      (final ? flags : O_RDONLY | O_DIRECTORY) | O_NOFOLLOW | O_CLOEXEC);
    int saved = errno;
    close(directory);
    if (next < 0)
      return -saved;
    directory = next;
  }
  return directory;
}

/* The root of guarded_roots that path lies under (the longest), and in
 * *relative the rest of path; NULL if none. */
static const char *
find_root(const char *path, const char **relative)
{
  const char *best = NULL;
  gsize best_length = 0;
  for (guint i = 0; guarded_roots && guarded_roots[i]; i++) {
    gsize length = strlen(guarded_roots[i]);
    if (length > best_length && strncmp(path, guarded_roots[i], length) == 0 &&
        (path[length] == '/' || path[length] == '\0')) {
      best = guarded_roots[i];
      best_length = length;
    }
  }
  if (best)
    *relative = path + best_length;
  return best;
}

/* lws's LWS_FOP_OPEN, as the platform's (lib/plat/unix/unix-file.c) but
 * through ims_http_files_open_beneath().  The fop_fd is malloc()ed: the
 * platform's close frees it. */
static lws_fop_fd_t
open_guarded(const struct lws_plat_file_ops *fops, const char *filename, const char *vpath,
             lws_fop_flags_t *flags)
{
  (void) vpath;
  const char *relative = NULL;
  const char *root = find_root(filename, &relative);
  if (!root) {
    g_info("refusing to open %s: outside the web roots", filename);
    errno = EACCES;
    return NULL;
  }
  int fd = ims_http_files_open_beneath(root, relative, (int) (*flags & LWS_FOP_FLAGS_MASK));
  if (fd < 0) {
    if (fd == -ELOOP)
      g_info("refusing to serve %s: a symlink is on the way", filename);
    errno = -fd;
    return NULL;
  }
  struct stat st;
  lws_fop_fd_t fop_fd = NULL;
  if (fstat(fd, &st) < 0 || !(fop_fd = malloc(sizeof *fop_fd))) {
    close(fd);
    return NULL;
  }
  memset(fop_fd, 0, sizeof *fop_fd);
  fop_fd->fops = fops;
  fop_fd->flags = *flags;
  fop_fd->fd = fd;
  fop_fd->len = (lws_filepos_t) st.st_size;
  return fop_fd;
}

void
ims_http_files_guard(struct lws_context *context, const char *const *roots)
{
  ims_http_files_unguard();
  guarded_roots = g_strdupv((char **) roots);
  lws_get_fops(context)->LWS_FOP_OPEN = open_guarded;
}

void
ims_http_files_unguard(void)
{
  g_clear_pointer(&guarded_roots, g_strfreev);
}
