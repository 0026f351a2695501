/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Run under hotplug-sim: the simulated sysfs refuses what the kernel's
 * refuses — a file that does not exist cannot be created by writing it,
 * and nothing can be made, removed or renamed there. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

static void
test_no_new_files (void)
{
  /* the boot CPU has no online attribute: writing one creates nothing */
  int fd = open ("/sys/devices/system/cpu/cpu0/online", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int e = errno;

  g_assert_cmpint (fd, <, 0);
  g_assert_cmpint (e, ==, EACCES);
  g_assert_false (g_file_test ("/sys/devices/system/cpu/cpu0/online", G_FILE_TEST_EXISTS));
  /* an attribute that exists takes the write */
  fd = open ("/sys/devices/system/cpu/cpu1/online", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, "1", 1), ==, 1);
  close (fd);
}

static void
test_nothing_made_or_removed (void)
{
  struct { const char *what; int r; } calls[] = {
    { "mkdir", mkdir ("/sys/devices/system/cpu/cpu0/new", 0755) },
    { "unlink", unlink ("/sys/devices/system/cpu/cpu1/online") },
    { "rmdir", rmdir ("/sys/devices/system/cpu/cpu1") },
    { "rename", rename ("/sys/devices/system/cpu/cpu1/online", "/sys/devices/system/cpu/cpu1/moved") },
    { "symlink", symlink ("/tmp", "/sys/devices/system/cpu/cpu0/link") },
    { "link", link ("/sys/devices/system/cpu/cpu1/online", "/sys/devices/system/cpu/cpu1/again") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (calls); i++)
    {
      g_test_message ("%s", calls[i].what);
      g_assert_cmpint (calls[i].r, ==, -1);
    }
  g_assert_true (g_file_test ("/sys/devices/system/cpu/cpu1/online", G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test ("/sys/devices/system/cpu/cpu0/new", G_FILE_TEST_EXISTS));
  g_assert_cmpint (mkdir ("/sys/devices/system/cpu/cpu0/new", 0755) == -1 ? errno : 0, ==, EPERM);
  g_assert_cmpint (unlink ("/sys/devices/system/cpu/cpu1/online") == -1 ? errno : 0, ==, EPERM);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (g_getenv ("HOTPLUG_SIM_ROOT") == NULL)
    {
      printf ("SKIP: runs under hotplug-sim\n");
      return 77;
    }
  g_test_add_func ("/sim/sysfs/no-new-files", test_no_new_files);
  g_test_add_func ("/sim/sysfs/nothing-made-or-removed", test_nothing_made_or_removed);
  return g_test_run ();
}
