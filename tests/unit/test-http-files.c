/* test-http-files.c: unit tests for server/http/http-files.c: files under a temp
 * web root open; symlinks below it (to a file or a directory, inside or out)
 * never do. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "http-files.h"

typedef struct {
  char *dir; /* temp dir: root/, outside/, link-to-root */
  char *root;
  char *root_link;
} Fixture;

static void
write_file(const char *path, const char *text)
{
  assert_true(g_file_set_contents(path, text, -1, NULL));
}

static void
make_link(const char *target, const char *path)
{
  assert_int_equal(symlink(target, path), 0);
}

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  f->dir = g_dir_make_tmp("imsd-test-http-files-XXXXXX", NULL);
  f->root = g_build_filename(f->dir, "root", NULL);
  g_autofree char *sub = g_build_filename(f->root, "sub", NULL);
  g_autofree char *outside = g_build_filename(f->dir, "outside", NULL);
  g_mkdir_with_parents(sub, 0700);
  g_mkdir_with_parents(outside, 0700);
  g_autofree char *page = g_build_filename(f->root, "page.html", NULL);
  g_autofree char *deep = g_build_filename(sub, "deep.html", NULL);
  g_autofree char *secret = g_build_filename(outside, "secret.html", NULL);
  write_file(page, "inside");
  write_file(deep, "deep");
  write_file(secret, "secret");
  g_autofree char *leak = g_build_filename(f->root, "leak.html", NULL);
  g_autofree char *linked = g_build_filename(f->root, "linked", NULL);
  g_autofree char *inner = g_build_filename(f->root, "inner.html", NULL);
  g_autofree char *sub_link = g_build_filename(sub, "up", NULL);
  make_link(secret, leak);
  make_link(outside, linked);
  make_link(page, inner);
  make_link("..", sub_link);
  f->root_link = g_build_filename(f->dir, "link-to-root", NULL);
  make_link(f->root, f->root_link);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  g_autofree char *command = g_strdup_printf("rm -rf '%s'", f->dir);
  assert_int_equal(system(command), 0);
  g_free(f->root_link);
  g_free(f->root);
  g_free(f->dir);
  g_free(f);
  return 0;
}

/* Opens relative under root and returns what it reads ("" for a directory). */
static char *
read_beneath(const char *root, const char *relative)
{
  int fd = ims_http_files_open_beneath(root, relative, O_RDONLY);
  if (fd < 0)
    fail_msg("%s under %s: %s", relative, root, g_strerror(-fd));
  char buffer[64] = { 0 };
  ssize_t n = read(fd, buffer, sizeof buffer - 1);
  close(fd);
  return g_strdup(n > 0 ? buffer : "");
}

static void
test_plain_files_open(void **state)
{
  Fixture *f = *state;
  g_autofree char *page = read_beneath(f->root, "/page.html");
  assert_string_equal(page, "inside");
  g_autofree char *deep = read_beneath(f->root, "sub//deep.html");
  assert_string_equal(deep, "deep");
  g_autofree char *dir = read_beneath(f->root, "/sub/");
  assert_string_equal(dir, "");
  g_autofree char *root = read_beneath(f->root, "");
  assert_string_equal(root, "");
  /* the root itself may be a symlink: the operator chose it */
  g_autofree char *via_root_link = read_beneath(f->root_link, "page.html");
  assert_string_equal(via_root_link, "inside");
}

static void
test_symlinks_never_open(void **state)
{
  Fixture *f = *state;
  static const char *const refused[] = {
    "leak.html",          /* a file out of the root */
    "linked/secret.html", /* a directory out of the root */
    "linked",
    "inner.html",       /* a link to a file inside: still a link */
    "sub/up/page.html", /* a link to ".." */
  };
  for (gsize i = 0; i < G_N_ELEMENTS(refused); i++) {
    int fd = ims_http_files_open_beneath(f->root, refused[i], O_RDONLY);
    if (fd >= 0)
      fail_msg("%s opened", refused[i]);
    assert_true(fd == -ELOOP || fd == -ENOTDIR);
  }
}

static void
test_other_refusals(void **state)
{
  Fixture *f = *state;
  assert_int_equal(ims_http_files_open_beneath(f->root, "missing.html", O_RDONLY), -ENOENT);
  assert_int_equal(ims_http_files_open_beneath(f->root, "../outside/secret.html", O_RDONLY),
                   -EACCES);
  assert_int_equal(ims_http_files_open_beneath(f->root, "sub/./deep.html", O_RDONLY), -EACCES);
  assert_int_equal(ims_http_files_open_beneath(f->root, "page.html/x", O_RDONLY), -ENOTDIR);
  g_autofree char *missing_root = g_build_filename(f->dir, "nope", NULL);
  assert_int_equal(ims_http_files_open_beneath(missing_root, "page.html", O_RDONLY), -ENOENT);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
    T(test_plain_files_open),
    T(test_symlinks_never_open),
    T(test_other_refusals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
