/* Unit tests for base/spool-files.c: removing a take's spool file and its renditions directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "spool-files.h"

static int
setup(void **state)
{
  char *dir = g_dir_make_tmp("imsd-spool-XXXXXX", NULL);
  assert_non_null(dir);
  *state = dir;
  return 0;
}

static int
teardown(void **state)
{
  g_autofree char *dir = *state;
  /* what a failed test left: at most two levels */
  g_autoptr(GDir) listing = g_dir_open(dir, 0, NULL);
  const char *name;
  while (listing && (name = g_dir_read_name(listing))) {
    g_autofree char *child = g_build_filename(dir, name, NULL);
    if (g_file_test(child, G_FILE_TEST_IS_DIR)) {
      g_autoptr(GDir) inner = g_dir_open(child, 0, NULL);
      const char *leaf;
      while (inner && (leaf = g_dir_read_name(inner))) {
        g_autofree char *grandchild = g_build_filename(child, leaf, NULL);
        g_rmdir(grandchild);
        g_unlink(grandchild);
      }
      g_rmdir(child);
    } else {
      g_unlink(child);
    }
  }
  g_rmdir(dir);
  return 0;
}

static char *
write_file(const char *dir, const char *name)
{
  char *path = g_build_filename(dir, name, NULL);
  assert_true(g_file_set_contents(path, "x", 1, NULL));
  return path;
}

static void
test_removes_a_file(void **state)
{
  g_autofree char *path = write_file(*state, "take.mkv");
  g_autofree char *other = write_file(*state, "other.mkv");
  ims_spool_remove(path);
  assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
  assert_true(g_file_test(other, G_FILE_TEST_EXISTS));
}

static void
test_removes_a_directory_of_files(void **state)
{
  g_autofree char *renditions = g_build_filename(*state, "take.mkv.renditions", NULL);
  assert_int_equal(g_mkdir(renditions, 0700), 0);
  g_autofree char *a = write_file(renditions, "720p.mp4");
  g_autofree char *b = write_file(renditions, "poster.jpg");
  ims_spool_remove(renditions);
  assert_false(g_file_test(renditions, G_FILE_TEST_EXISTS));
  assert_true(g_file_test(*state, G_FILE_TEST_IS_DIR));
}

static void
test_leaves_a_subdirectory(void **state)
{
  g_autofree char *renditions = g_build_filename(*state, "take.mkv.renditions", NULL);
  g_autofree char *inner = g_build_filename(renditions, "inner", NULL);
  assert_int_equal(g_mkdir_with_parents(inner, 0700), 0);
  g_autofree char *a = write_file(renditions, "720p.mp4");
  ims_spool_remove(renditions);
  /* one level only: the file goes, the directory with a subdirectory stays */
  assert_false(g_file_test(a, G_FILE_TEST_EXISTS));
  assert_true(g_file_test(inner, G_FILE_TEST_IS_DIR));
}

static void
test_missing_path_is_no_error(void **state)
{
  g_autofree char *path = g_build_filename(*state, "never-written.mkv", NULL);
  ims_spool_remove(path);
  assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
    T(test_removes_a_file),
    T(test_removes_a_directory_of_files),
    T(test_leaves_a_subdirectory),
    T(test_missing_path_is_no_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
