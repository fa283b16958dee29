/* http-files.h: the web client's files are opened without following symlinks.
 *
 * lws's file mounts (http.c) open "{origin}/{uri}" with the context's
 * platform file operations, which follow symlinks: a link in the web root
 * would serve any file imsd can read.  After the context is created,
 * ims_http_files_guard() replaces that open: the path must lie under one of
 * the given roots (the mounts' origins) and is opened from the root one
 * component at a time with O_NOFOLLOW, so a symlink anywhere below the root
 * (file or directory, pointing in or out) fails with ELOOP and lws answers
 * 404.  The root itself may be a symlink: that is the operator's choice.
 *
 * Lifecycle: guard once, on the main thread, before the loop serves; the
 * roots are copied into this file's static table (one lws context per
 * process), which ims_http_files_unguard() frees after the context is gone.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

struct lws_context;

/* Opens relative (components separated by "/"; empty ones are skipped) under
 * the directory root, never through a symlink: open(2) flags for the last
 * component, O_NOFOLLOW added.  Returns the fd, or -errno: -ELOOP at a
 * symlink, -ENOTDIR, -ENOENT, -EACCES for a "." or ".." component.  Does not
 * change errno's meaning for the caller; costs one openat per component. */
int ims_http_files_open_beneath(const char *root, const char *relative, int flags);

/* Makes context's file mounts open through ims_http_files_open_beneath():
 * a path under none of roots (NULL-terminated) is refused (EACCES). */
void ims_http_files_guard(struct lws_context *context, const char *const *roots);

/* Frees the roots kept by ims_http_files_guard(); call after
 * lws_context_destroy(). */
void ims_http_files_unguard(void);

G_END_DECLS
