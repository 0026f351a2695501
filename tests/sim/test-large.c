/* Runs under `hotplug-sim --machine large`: the big tree is complete.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <glib.h>
#include <libudev.h>

static guint
count (struct udev *udev, const char *subsystem)
{
  struct udev_enumerate *en = udev_enumerate_new (udev);
  guint n = 0;

  udev_enumerate_add_match_subsystem (en, subsystem);
  udev_enumerate_scan_devices (en);
  for (struct udev_list_entry *l = udev_enumerate_get_list_entry (en); l; l = udev_list_entry_get_next (l))
    n++;
  udev_enumerate_unref (en);
  return n;
}

static void
test_large (void)
{
  struct udev *udev = udev_new ();
  g_autofree char *bs = NULL;
  g_autofree char *online = NULL;

  g_assert_cmpuint (count (udev, "memory"), ==, 16384);
  g_assert_cmpuint (count (udev, "cpu"), ==, 1024);
  g_assert_cmpuint (count (udev, "container"), ==, 20);
  g_assert_true (g_file_get_contents ("/sys/devices/system/memory/block_size_bytes", &bs, NULL, NULL));
  g_assert_cmpstr (bs, ==, "8000000\n");
  g_assert_true (g_file_get_contents ("/sys/devices/system/cpu/online", &online, NULL, NULL));
  g_assert_cmpstr (online, ==, "0-1023\n");
  g_assert_true (g_file_test ("/sys/bus/pci/slots/16/power", G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test ("/sys/bus/memory/devices/memory16383/state", G_FILE_TEST_EXISTS));
  udev_unref (udev);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/large", test_large);
  return g_test_run ();
}
