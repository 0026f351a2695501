/* Runs under `hotplug-sim --machine default`: checks the simulated kernel
 * and firmware through libudev, as the daemon sees them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <libudev.h>

#include "sim-helpers.h"

/* ---- tests ------------------------------------------------------------ */

static void
test_enumerate (void)
{
  g_autofree char *link = NULL;
  g_autofree char *online = sysr ("/sys/devices/system/cpu/online");

  g_assert_cmpuint (count_subsystem ("cpu"), ==, 68);
  g_assert_cmpuint (count_subsystem ("memory"), ==, 8 + 4 * 64);
  g_assert_cmpuint (count_subsystem ("container"), ==, 6);
  g_assert_cmpuint (count_subsystem ("pci"), ==, 20);
  g_assert_cmpuint (count_subsystem ("pci_bus"), ==, 7 + 9);
  g_assert_cmpuint (count_subsystem ("node"), ==, 5);
  g_assert_cmpuint (count_subsystem ("acpi"), >=, 2 + 6 + 68 + 5 + 7);
  g_assert_cmpstr (online, ==, "0-67");

  link = g_file_read_link ("/sys/bus/container/devices/ACPI0004:00", NULL);
  g_assert_cmpstr (link, ==, "../../../devices/system/container/ACPI0004:00");
  g_assert_true (g_file_test ("/sys/bus/cpu/devices/cpu4/online", G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test ("/sys/devices/system/cpu/cpu0/online", G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test ("/sys/devices/system/memory/memory10/node1", G_FILE_TEST_IS_DIR));
  g_assert_true (g_file_test ("/sys/devices/system/node/node1/cpu4", G_FILE_TEST_IS_DIR));
  g_assert_true (g_file_test ("/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:00/physical_node/online",
                              G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test ("/sys/bus/pci/devices/0000:83:00.0/remove", G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test ("/sys/devices/pci0000:80/0000:80:01.0/0000:81:00.0/0000:82:08.0/0000:83:00.0/vendor",
                              G_FILE_TEST_EXISTS));
  {
    g_autofree char *sub = sysr ("/sys/bus/pci/devices/0000:81:00.0/subordinate_bus_number");
    g_autofree char *adapter = sysr ("/sys/bus/pci/slots/2/adapter");
    g_autofree char *addr = sysr ("/sys/bus/pci/slots/5/address");
    g_autofree char *uid = sysr ("/sys/bus/acpi/devices/ACPI0004:05/uid");
    g_assert_cmpstr (sub, ==, "132");
    g_assert_cmpstr (adapter, ==, "0");
    g_assert_cmpstr (addr, ==, "0001:01");
    g_assert_cmpstr (uid, ==, "1");
  }
  {
    struct udev_device *d = udev_device_new_from_syspath (udev, "/sys/bus/pci/devices/0000:01:00.1");
    g_assert_nonnull (d);
    g_assert_cmpstr (udev_device_get_property_value (d, "PCI_ID"), ==, "8086:1572");
    g_assert_cmpstr (udev_device_get_property_value (d, "PCI_SLOT_NAME"), ==, "0000:01:00.1");
    udev_device_unref (d);
  }
}

static void
test_cpu_online (void)
{
  g_autoptr(GPtrArray) evs = NULL;
  g_autofree char *v = NULL;
  g_autofree char *list = NULL;
  g_autofree char *nodelist = NULL;

  g_assert_cmpint (sysw ("/sys/devices/system/cpu/cpu5/online", "0"), ==, 0);
  evs = collect (300, 10);
  g_assert_cmpuint (evs->len, ==, 1);
  g_assert_cmpstr (ev (evs, 0)->action, ==, "offline");
  g_assert_cmpstr (ev (evs, 0)->devpath, ==, "/devices/system/cpu/cpu5");
  g_assert_cmpstr (ev (evs, 0)->subsystem, ==, "cpu");
  v = sysr ("/sys/devices/system/cpu/cpu5/online");
  list = sysr ("/sys/devices/system/cpu/online");
  nodelist = sysr ("/sys/devices/system/node/node1/cpulist");
  g_assert_cmpstr (v, ==, "0");
  g_assert_cmpstr (list, ==, "0-4,6-67");
  g_assert_cmpstr (nodelist, ==, "4,6-19");

  /* the same value again: no uevent */
  g_assert_cmpint (sysw ("/sys/devices/system/cpu/cpu5/online", "0"), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (300, 10);
  g_assert_cmpuint (evs->len, ==, 0);

  /* a value the kernel does not take */
  g_assert_cmpint (sysw ("/sys/devices/system/cpu/cpu5/online", "2"), ==, EINVAL);

  g_assert_cmpint (sysw ("/sys/devices/system/cpu/cpu5/online", "1\n"), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (300, 10);
  g_assert_cmpuint (evs->len, ==, 1);
  g_assert_cmpstr (ev (evs, 0)->action, ==, "online");
}

static void
test_memory_state (void)
{
  g_autoptr(GPtrArray) evs = NULL;
  g_autofree char *state = NULL;
  g_autofree char *online = NULL;

  g_assert_cmpint (sysw ("/sys/devices/system/memory/memory20/state", "offline"), ==, 0);
  evs = collect (300, 10);
  g_assert_cmpuint (evs->len, ==, 1);
  g_assert_cmpstr (ev (evs, 0)->action, ==, "offline");
  g_assert_cmpstr (ev (evs, 0)->devpath, ==, "/devices/system/memory/memory20");
  state = sysr ("/sys/devices/system/memory/memory20/state");
  online = sysr ("/sys/devices/system/memory/memory20/online");
  g_assert_cmpstr (state, ==, "offline");
  g_assert_cmpstr (online, ==, "0");

  g_assert_cmpint (sysw ("/sys/devices/system/memory/memory20/state", "online_movable"), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (300, 10);
  g_assert_cmpuint (evs->len, ==, 1);
  g_assert_cmpstr (ev (evs, 0)->action, ==, "online");
  g_free (state);
  state = sysr ("/sys/devices/system/memory/memory20/state");
  g_assert_cmpstr (state, ==, "online");

  /* boot memory that cannot be offlined, and nonsense */
  g_assert_cmpint (sysw ("/sys/devices/system/memory/memory0/state", "offline"), ==, EBUSY);
  g_assert_cmpint (sysw ("/sys/devices/system/memory/memory20/state", "sideways"), ==, EINVAL);
  g_free (state);
  state = sysr ("/sys/devices/system/memory/memory0/state");
  g_assert_cmpstr (state, ==, "online");
}

/* The next event, within 5 s, must be ACTION on DEVPATH. */
static void
expect_next (const char *action, const char *devpath, const char *what)
{
  struct pollfd pfd = { udev_monitor_get_fd (mon), POLLIN, 0 };
  struct udev_device *d = NULL;

  while (d == NULL)
    {
      if (poll (&pfd, 1, 5000) <= 0)
        g_error ("%s: no %s event for %s", what, action, devpath);
      d = udev_monitor_receive_device (mon);
    }
  if (g_strcmp0 (udev_device_get_action (d), action) != 0 ||
      g_strcmp0 (udev_device_get_devpath (d), devpath) != 0)
    g_error ("%s: expected %s %s, got %s %s", what, action, devpath,
             udev_device_get_action (d), udev_device_get_devpath (d));
  udev_device_unref (d);
}

/* A program that writes an attribute and waits for the kernel's uevent
 * before the next write, as a script does: the second write comes right
 * after the first one's answer, while the simulator is still settling the
 * first.  Every write that changes the attribute must be answered exactly
 * once, and one that does not change it not at all. */
static void
test_write_wait_write (void)
{
  g_autoptr(GPtrArray) evs = NULL;

  g_ptr_array_unref (collect (200, 1000));
  for (guint i = 0; i < 200; i++)
    {
      guint cpu = 4 + i % 8, block = 20 + i % 8;
      g_autofree char *cp = g_strdup_printf ("/sys/devices/system/cpu/cpu%u/online", cpu);
      g_autofree char *cd = g_strdup_printf ("/devices/system/cpu/cpu%u", cpu);
      g_autofree char *mp = g_strdup_printf ("/sys/devices/system/memory/memory%u/state", block);
      g_autofree char *md = g_strdup_printf ("/devices/system/memory/memory%u", block);
      g_autofree char *what = g_strdup_printf ("iteration %u", i);
      g_autofree char *cv = NULL;
      g_autofree char *mv = NULL;

      g_assert_cmpint (sysw (mp, "offline"), ==, 0);
      expect_next ("offline", md, what);
      g_assert_cmpint (sysw (mp, i % 2 ? "online_movable" : "online"), ==, 0);
      expect_next ("online", md, what);
      g_assert_cmpint (sysw (cp, "0"), ==, 0);
      expect_next ("offline", cd, what);
      g_assert_cmpint (sysw (cp, "1"), ==, 0);
      expect_next ("online", cd, what);
      /* the value it already has: nothing */
      g_assert_cmpint (sysw (cp, "1"), ==, 0);
      g_assert_cmpint (sysw (mp, "online"), ==, 0);
      if (i % 50 == 49)
        {
          evs = collect (200, 10);
          g_assert_cmpuint (evs->len, ==, 0);
          g_clear_pointer (&evs, g_ptr_array_unref);
          cv = sysr (cp);
          mv = sysr (mp);
          g_assert_cmpstr (cv, ==, "1");
          g_assert_cmpstr (mv, ==, "online");
        }
    }
  evs = collect (300, 10);
  g_assert_cmpuint (evs->len, ==, 0);
}

static void
offline_board (guint first_cpu, guint first_block)
{
  for (guint i = 0; i < 16; i++)
    {
      g_autofree char *p = g_strdup_printf ("/sys/devices/system/cpu/cpu%u/online", first_cpu + i);
      g_assert_cmpint (sysw (p, "0"), ==, 0);
    }
  for (guint i = 64; i > 0; i--)
    {
      g_autofree char *p = g_strdup_printf ("/sys/devices/system/memory/memory%u/state", first_block + i - 1);
      g_assert_cmpint (sysw (p, "offline"), ==, 0);
    }
  g_ptr_array_unref (collect (300, 1000));
}

static void
test_container_eject (void)
{
  const char *cont = "/sys/devices/system/container/ACPI0004:03/online";
  const char *eject = "/sys/bus/acpi/devices/ACPI0004:03/eject";
  g_autoptr(GPtrArray) evs = NULL;
  g_autofree char *v = NULL;
  int i_pci, i_cpu, i_mem, i_cont, i_acpi;

  /* sb3: CPUs 52-67, blocks 200-263 */
  g_assert_cmpint (sysw (cont, "0"), ==, EBUSY);
  g_assert_cmpint (sysw (eject, "1"), ==, EBUSY);
  v = sysr (cont);
  g_assert_cmpstr (v, ==, "1");
  offline_board (52, 200);
  g_assert_cmpint (sysw (eject, "1"), ==, EBUSY);     /* the container is still online */
  g_assert_cmpint (sysw (cont, "0"), ==, 0);
  evs = collect (300, 10);
  g_assert_cmpuint (evs->len, ==, 1);
  g_assert_cmpstr (ev (evs, 0)->action, ==, "offline");
  g_assert_cmpstr (ev (evs, 0)->subsystem, ==, "container");

  g_assert_cmpint (sysw (eject, "1"), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (500, 1000);
  /* the NIC's driver lets go, the NIC and the root bus go, then the rest */
  g_assert_cmpuint (evs->len, ==, 1 + 1 + 1 + 16 + 64 + 16 + 1 + 1 + 1 + 1);
  g_assert_cmpstr (ev (evs, 0)->action, ==, "unbind");
  g_assert_cmpstr (ev (evs, 0)->devpath, ==, "/devices/pci0000:40/0000:40:00.0");
  for (guint i = 1; i < evs->len; i++)
    g_assert_cmpstr (ev (evs, i)->action, ==, "remove");
  g_assert_cmpint (find (evs, "remove", "/devices/pci0000:40/pci_bus/0000:40"), ==, 2);
  i_pci = find (evs, "remove", "/devices/pci0000:40/0000:40:00.0");
  i_cpu = find (evs, "remove", "/devices/system/cpu/cpu60");
  i_mem = find (evs, "remove", "/devices/system/memory/memory230");
  i_cont = find (evs, "remove", "/devices/system/container/ACPI0004:03");
  i_acpi = find (evs, "remove", "/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:03");
  g_assert_cmpint (i_pci, ==, 1);
  g_assert_cmpint (i_cpu, >, i_pci);
  g_assert_cmpint (i_mem, >, i_cpu);
  g_assert_cmpint (i_cont, >, i_mem);
  g_assert_cmpint (i_acpi, ==, (int) evs->len - 1);
  g_assert_false (g_file_test ("/sys/devices/system/cpu/cpu60", G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test ("/sys/bus/container/devices/ACPI0004:03", G_FILE_TEST_EXISTS));
  g_free (v);
  v = sysr ("/sys/devices/system/cpu/present");
  g_assert_cmpstr (v, ==, "0-51");

  /* the firmware puts it back */
  g_assert_cmpint (ctl ("insert sb3", NULL), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (500, 1000);
  g_assert_cmpstr (ev (evs, 0)->action, ==, "add");
  g_assert_cmpstr (ev (evs, 0)->devpath, ==, "/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:03");
  g_assert_cmpint (find (evs, "add", "/devices/system/cpu/cpu52"), >,
                   find (evs, "add", "/devices/system/container/ACPI0004:03"));
  g_assert_cmpstr (ev (evs, evs->len - 1)->action, ==, "online");
  g_assert_cmpstr (ev (evs, evs->len - 1)->devpath, ==, "/devices/system/container/ACPI0004:03");
  g_free (v);
  v = sysr ("/sys/devices/system/cpu/cpu52/online");
  g_assert_cmpstr (v, ==, "0");        /* CPUs arrive offline */
  g_free (v);
  v = sysr ("/sys/devices/system/memory/memory200/state");
  g_assert_cmpstr (v, ==, "offline");  /* auto_online_blocks=offline */
  g_assert_cmpint (ctl ("insert sb3", NULL), ==, 1);
}

static void
test_slot_power (void)
{
  const char *sw = "/devices/pci0000:80/0000:80:01.0/0000:81:00.0";
  g_autoptr(GPtrArray) evs = NULL;
  g_autofree char *v = NULL;
  g_autofree char *a = NULL;
  g_autofree char *bus83 = g_strdup_printf ("%s/0000:82:08.0/pci_bus/0000:83", sw);
  g_autofree char *dev83 = g_strdup_printf ("%s/0000:82:08.0/0000:83:00.0", sw);
  g_autofree char *dev82 = g_strdup_printf ("%s/0000:82:08.0", sw);

  /* a switch (3 bridges) and 2 drives: the drivers let go, deepest
   * first, then the devices and the bridges' buses go */
  g_assert_cmpint (sysw ("/sys/bus/pci/slots/3/power", "0"), ==, 0);
  evs = collect (300, 100);
  a = actions (evs);
  g_assert_cmpstr (a, ==, "unbind unbind unbind unbind unbind remove remove remove remove remove remove remove remove");
  g_assert_cmpint (find (evs, "unbind", dev83), <, find (evs, "unbind", dev82));
  g_assert_cmpint (find (evs, "remove", sw), ==, 12);
  g_assert_cmpint (find (evs, "remove", dev83), <, find (evs, "remove", bus83));
  g_assert_cmpint (find (evs, "remove", bus83), <, find (evs, "remove", dev82));
  g_assert_cmpstr (ev (evs, find (evs, "remove", bus83))->subsystem, ==, "pci_bus");
  g_assert_false (g_file_test ("/sys/bus/pci/devices/0000:83:00.0", G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test ("/sys/bus/pci/drivers/nvme/0000:83:00.0", G_FILE_TEST_IS_SYMLINK));
  g_assert_false (g_file_test ("/sys/class/pci_bus/0000:83", G_FILE_TEST_IS_SYMLINK));
  v = sysr ("/sys/bus/pci/slots/3/power");
  g_assert_cmpstr (v, ==, "0");

  /* each device is added, its bus (for a bridge) registered, its driver
   * bound */
  g_assert_cmpint (sysw ("/sys/bus/pci/slots/3/power", "1"), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (300, 100);
  g_clear_pointer (&a, g_free);
  a = actions (evs);
  g_assert_cmpstr (a, ==, "add add bind add add bind add bind add add bind add bind");
  g_assert_cmpint (find (evs, "add", sw), ==, 0);
  g_assert_cmpint (find (evs, "add", dev83), <, find (evs, "bind", dev83));
  g_assert_true (g_file_test ("/sys/bus/pci/devices/0000:84:00.0", G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test ("/sys/class/pci_bus/0000:83/rescan", G_FILE_TEST_EXISTS));

  g_assert_cmpint (sysw ("/sys/bus/pci/slots/3/attention", "2"), ==, 0);
  g_assert_cmpint (sysw ("/sys/bus/pci/slots/3/attention", "7"), ==, EINVAL);
  g_free (v);
  v = sysr ("/sys/bus/pci/slots/3/attention");
  g_assert_cmpstr (v, ==, "2");
}

static void
test_remove_rescan (void)
{
  g_autoptr(GPtrArray) evs = NULL;
  g_autofree char *a = NULL;

  /* the root port of slot 3: 6 devices, 4 of them bridges */
  g_assert_cmpint (sysw ("/sys/bus/pci/devices/0000:80:01.0/remove", "1"), ==, 0);
  evs = collect (300, 100);
  g_assert_cmpuint (evs->len, ==, 6 + 6 + 4);
  g_assert_cmpstr (ev (evs, 15)->devpath, ==, "/devices/pci0000:80/0000:80:01.0");
  g_assert_cmpstr (ev (evs, 14)->devpath, ==, "/devices/pci0000:80/0000:80:01.0/pci_bus/0000:81");
  g_assert_false (g_file_test ("/sys/bus/pci/slots/3", G_FILE_TEST_EXISTS));

  g_assert_cmpint (sysw ("/sys/bus/pci/rescan", "1"), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (300, 100);
  g_assert_cmpuint (evs->len, ==, 16);
  g_assert_cmpstr (ev (evs, 0)->devpath, ==, "/devices/pci0000:80/0000:80:01.0");
  g_assert_true (g_file_test ("/sys/bus/pci/slots/3/power", G_FILE_TEST_EXISTS));

  g_assert_cmpint (sysw ("/sys/bus/pci/devices/0000:01:00.1/remove", "1"), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (300, 100);
  a = actions (evs);
  g_assert_cmpstr (a, ==, "unbind remove");
  g_assert_cmpint (sysw ("/sys/bus/pci/devices/0000:00:01.0/rescan", "1"), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (300, 100);
  g_clear_pointer (&a, g_free);
  a = actions (evs);
  g_assert_cmpstr (a, ==, "add bind");
  g_assert_cmpstr (ev (evs, 0)->devpath, ==, "/devices/pci0000:00/0000:00:01.0/0000:01:00.1");

  /* the same through the bus's own rescan */
  g_assert_cmpint (sysw ("/sys/bus/pci/devices/0000:01:00.1/remove", "1"), ==, 0);
  g_ptr_array_unref (collect (300, 100));
  g_assert_cmpint (sysw ("/sys/class/pci_bus/0000:01/rescan", "1"), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (300, 100);
  g_clear_pointer (&a, g_free);
  a = actions (evs);
  g_assert_cmpstr (a, ==, "add bind");
  g_assert_true (g_file_test ("/sys/class/net/ens1f1", G_FILE_TEST_EXISTS));
}

static void
test_delay (void)
{
  g_autoptr(GPtrArray) evs = NULL;
  gint64 t0;

  g_assert_cmpint (ctl ("delay 300", NULL), ==, 0);
  t0 = g_get_monotonic_time ();
  g_assert_cmpint (sysw ("/sys/devices/system/cpu/cpu6/online", "0"), ==, 0);
  evs = collect (1000, 1);
  g_assert_cmpuint (evs->len, ==, 1);
  g_assert_cmpint (ev (evs, 0)->when - t0, >=, 280 * 1000);
  g_assert_cmpint (ctl ("delay 0", NULL), ==, 0);
  g_assert_cmpint (sysw ("/sys/devices/system/cpu/cpu6/online", "1"), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (300, 10);
  g_assert_cmpuint (evs->len, ==, 1);
  g_assert_cmpint (ctl ("delay x", NULL), ==, 1);
}

static void
test_fail (void)
{
  g_autoptr(GPtrArray) evs = NULL;
  g_autofree char *v = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (ctl ("fail /sys/devices/system/cpu/cpu7/online", NULL), ==, 0);
  g_assert_cmpint (sysw ("/sys/devices/system/cpu/cpu7/online", "0"), ==, EIO);
  v = sysr ("/sys/devices/system/cpu/cpu7/online");
  g_assert_cmpstr (v, ==, "1");
  evs = collect (300, 10);
  g_assert_cmpuint (evs->len, ==, 0);
  /* exactly one write failed: the next one goes through */
  g_assert_cmpint (sysw ("/sys/devices/system/cpu/cpu7/online", "0"), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (300, 10);
  g_assert_cmpuint (evs->len, ==, 1);
  g_assert_cmpstr (ev (evs, 0)->action, ==, "offline");
  g_assert_cmpint (sysw ("/sys/devices/system/cpu/cpu7/online", "1"), ==, 0);
  g_ptr_array_unref (collect (300, 10));

  /* every "state" attribute, twice, EBUSY */
  g_assert_cmpint (ctl ("fail state 2 --errno EBUSY", NULL), ==, 0);
  g_assert_cmpint (sysw ("/sys/devices/system/memory/memory30/state", "offline"), ==, EBUSY);
  g_assert_cmpint (sysw ("/sys/devices/system/memory/memory30/state", "offline"), ==, EBUSY);
  g_assert_cmpint (sysw ("/sys/devices/system/memory/memory31/state", "offline"), ==, EBUSY);
  g_assert_cmpint (ctl ("fail state 0", NULL), ==, 0);   /* disarm the rest */
  g_assert_cmpint (sysw ("/sys/devices/system/memory/memory31/state", "online"), ==, 0);

  g_assert_cmpint (ctl ("fail nosuchattr", &err), ==, 1);
  g_assert_nonnull (strstr (err, "nosuchattr"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (ctl ("fail online --errno EWHATEVER", &err), ==, 1);
  g_assert_nonnull (strstr (err, "EWHATEVER"));
}

/* Disks and interfaces of PCI devices (default machine: nvme0n1 in slot 3,
 * nvme2n1 with two partitions in slot 5, ens4 in slot 4). */
static void
test_storage (void)
{
  g_autoptr(GPtrArray) evs = NULL;
  g_autofree char *err = NULL;
  struct {
    const char *path, *value;
  } initial[] = {
    { "/sys/block/nvme0n1/dev", "0:0" },
    { "/sys/class/block/nvme0n1/size", "2097152" },
    { "/sys/class/block/nvme2n1p2/partition", "2" },
    { "/sys/class/block/nvme2n1p1/dev", "0:0" },
    { "/sys/devices/pci0000:80/0000:80:01.0/0000:81:00.0/0000:82:08.0/0000:83:00.0/block/nvme0n1/dev", "0:0" },
    { "/sys/class/net/ens4/operstate", "down" },
    { "/sys/class/net/ens4/flags", "0x1002" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (initial); i++)
    {
      g_autofree char *v = sysr (initial[i].path);
      g_assert_cmpstr (v, ==, initial[i].value);
    }

  g_assert_cmpint (ctl ("link ens4 up", NULL), ==, 0);
  {
    g_autofree char *f = sysr ("/sys/class/net/ens4/flags");
    g_autofree char *o = sysr ("/sys/class/net/ens4/operstate");
    g_assert_cmpstr (f, ==, "0x1003");
    g_assert_cmpstr (o, ==, "up");
  }
  g_assert_cmpint (ctl ("link ens4 down", NULL), ==, 0);
  g_assert_cmpint (ctl ("link ens4 sideways", &err), ==, 1);
  g_assert_nonnull (strstr (err, "usage: link"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (ctl ("link eth9 up", &err), ==, 1);
  g_assert_nonnull (strstr (err, "eth9"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (ctl ("back nvme0n1 /dev/null", &err), ==, 1);
  g_assert_nonnull (strstr (err, "not a block device node"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (ctl ("back nvme9n1 none", &err), ==, 1);
  g_assert_nonnull (strstr (err, "nvme9n1"));

  if (!g_file_test ("/dev/loop0", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no /dev/loop0 to borrow block device numbers from (the rest of the test)");
      return;
    }
  g_assert_cmpint (ctl ("back nvme0n1 /dev/loop0", NULL), ==, 0);
  g_assert_cmpint (ctl ("hold nvme2n1p1 /dev/loop1", NULL), ==, 0);
  {
    g_autofree char *d = sysr ("/sys/block/nvme0n1/dev");
    g_autofree char *h = sysr ("/sys/class/block/nvme2n1p1/holders/loop1/dev");
    g_autofree char *c = sysr ("/sys/class/block/loop1/dev");
    g_assert_cmpstr (d, ==, "7:0");
    g_assert_cmpstr (h, ==, "7:1");
    g_assert_cmpstr (c, ==, "7:1");
  }
  /* the drive goes and comes back with the same backing */
  g_assert_cmpint (sysw ("/sys/bus/pci/devices/0000:83:00.0/remove", "1"), ==, 0);
  evs = collect (300, 10);
  g_assert_false (g_file_test ("/sys/block/nvme0n1", G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test ("/sys/class/block/nvme0n1", G_FILE_TEST_IS_SYMLINK));
  g_assert_cmpint (sysw ("/sys/bus/pci/devices/0000:82:08.0/rescan", "1"), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (300, 10);
  {
    g_autofree char *d = sysr ("/sys/block/nvme0n1/dev");
    g_assert_cmpstr (d, ==, "7:0");
  }
  g_assert_cmpint (ctl ("back nvme0n1 none", NULL), ==, 0);
  g_assert_cmpint (ctl ("hold nvme2n1p1 none", NULL), ==, 0);
  {
    g_autofree char *d = sysr ("/sys/block/nvme0n1/dev");
    g_assert_cmpstr (d, ==, "0:0");
  }
  g_assert_false (g_file_test ("/sys/class/block/nvme2n1p1/holders/loop1", G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test ("/sys/class/block/loop1", G_FILE_TEST_EXISTS));
}

/* The firmware's eject request for a board, and a board swapped. */
static void
check_board_requests (void)
{
  g_autoptr(GPtrArray) evs = NULL;
  g_autofree char *v = NULL;

  /* eject request */
  g_assert_cmpint (ctl ("eject sb1", NULL), ==, 0);
  evs = collect (300, 10);
  g_assert_cmpuint (evs->len, ==, 1);
  g_assert_cmpstr (ev (evs, 0)->action, ==, "change");
  g_assert_cmpstr (ev (evs, 0)->devpath, ==, "/devices/system/container/ACPI0004:01");
  g_assert_cmpstr (ev (evs, 0)->event, ==, "offline");
  v = sysr ("/sys/devices/system/container/ACPI0004:01/uevent");
  g_assert_null (strstr (v, "EVENT"));

  /* swap of a board: change without EVENT */
  g_assert_cmpint (ctl ("swap sb1", NULL), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (300, 10);
  g_assert_cmpuint (evs->len, ==, 1);
  g_assert_cmpstr (ev (evs, 0)->action, ==, "change");
  g_assert_null (ev (evs, 0)->event);
}

/* A card pulled, put back, swapped; a card into the empty slot. */
static void
check_cards (void)
{
  g_autoptr(GPtrArray) evs = NULL;
  g_autofree char *v = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (ctl ("pull slot-4", NULL), ==, 0);
  evs = collect (300, 10);
  g_assert_cmpuint (evs->len, ==, 2);
  g_assert_cmpstr (ev (evs, 0)->action, ==, "unbind");
  g_assert_cmpstr (ev (evs, 1)->action, ==, "remove");
  v = sysr ("/sys/bus/pci/slots/4/adapter");
  g_assert_cmpstr (v, ==, "0");
  g_assert_cmpint (ctl ("pull slot-4", &err), ==, 1);
  g_assert_nonnull (strstr (err, "slot-4"));
  g_assert_cmpint (ctl ("insert slot-4", NULL), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (300, 10);
  g_assert_cmpuint (evs->len, ==, 2);
  g_assert_cmpstr (ev (evs, 0)->action, ==, "add");
  g_assert_cmpstr (ev (evs, 1)->action, ==, "bind");
  g_assert_cmpint (ctl ("swap slot-4", NULL), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (300, 10);
  g_clear_pointer (&v, g_free);
  v = actions (evs);
  g_assert_cmpstr (v, ==, "unbind remove add bind");

  /* the empty slot gets a card: nothing to enumerate, adapter=1 */
  g_assert_cmpint (ctl ("insert slot-2", NULL), ==, 0);
  g_clear_pointer (&v, g_free);
  v = sysr ("/sys/bus/pci/slots/2/adapter");
  g_assert_cmpstr (v, ==, "1");
}

/* A board pulled by surprise and put back; the I/O unit of domain 0001
 * swapped. */
static void
check_surprises (void)
{
  g_autoptr(GPtrArray) evs = NULL;

  /* surprise removal of a board: remove events, no offlining */
  g_assert_cmpint (ctl ("pull sb2", NULL), ==, 0);
  evs = collect (500, 1000);
  g_assert_cmpuint (evs->len, ==, 1 + 1 + 1 + 16 + 64 + 16 + 1 + 1 + 1 + 1);
  g_assert_cmpint (find (evs, "offline", "/devices/system/cpu/cpu40"), ==, -1);
  g_assert_cmpint (ctl ("insert sb2", NULL), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (500, 1000);
  g_assert_cmpint (find (evs, "add", "/devices/system/cpu/cpu40"), >=, 0);

  /* its PCI devices come again (2 root ports, a drive, a SAS HBA that no
   * driver takes) */
  g_assert_cmpint (ctl ("swap iou1", NULL), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (300, 100);
  g_assert_cmpuint (evs->len, ==, 3 + 4 + 2 + 4 + 2 + 3);
  g_assert_cmpint (find (evs, "unbind", "/devices/pci0001:00/0001:00:02.0/0001:02:00.0"), ==, -1);
}

static void
test_firmware (void)
{
  g_autofree char *v = NULL;
  g_autofree char *err = NULL;
  g_autofree char *cmd = NULL;

  check_board_requests ();
  check_cards ();
  check_surprises ();

  g_assert_cmpint (ctl ("eject sb9", &err), ==, 1);
  g_assert_nonnull (strstr (err, "no such unit: sb9"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (ctl ("frobnicate", &err), ==, 1);
  g_assert_nonnull (strstr (err, "unknown verb"));
  cmd = g_strdup_printf ("%s/src/sim/hotplug-sim ctl status", g_getenv ("HOTPLUG_BUILD_DIR"));
  g_assert_true (g_spawn_command_line_sync (cmd, &v, NULL, NULL, NULL));
  g_assert_nonnull (strstr (v, "slot-2 0000:02 power=1 adapter=1"));
}

static void
test_udev_group (void)
{
  struct udev_monitor *m2 = udev_monitor_new_from_netlink (udev, "udev");
  struct pollfd pfd;
  struct udev_device *d;

  g_assert_nonnull (m2);
  g_assert_cmpint (udev_monitor_enable_receiving (m2), ==, 0);
  pfd.fd = udev_monitor_get_fd (m2);
  pfd.events = POLLIN;
  g_assert_cmpint (sysw ("/sys/devices/system/cpu/cpu8/online", "0"), ==, 0);
  g_assert_cmpint (poll (&pfd, 1, 2000), ==, 1);
  d = udev_monitor_receive_device (m2);
  g_assert_nonnull (d);
  g_assert_cmpstr (udev_device_get_action (d), ==, "offline");
  g_assert_cmpstr (udev_device_get_property_value (d, "DRIVER"), ==, "processor");
  g_assert_cmpstr (udev_device_get_property_value (d, "SEQNUM") ? "set" : NULL, ==, "set");
  udev_device_unref (d);
  udev_monitor_unref (m2);
  g_assert_cmpint (sysw ("/sys/devices/system/cpu/cpu8/online", "1"), ==, 0);
  g_ptr_array_unref (collect (300, 10));
}

int
main (int argc, char **argv)
{
  if (!sim_helpers_init (&argc, &argv, "HOTPLUG_SIM_SOCKET", "hotplug-sim --machine default"))
    return 77;

  g_test_add_func ("/sim/enumerate", test_enumerate);
  g_test_add_func ("/sim/cpu-online", test_cpu_online);
  g_test_add_func ("/sim/memory-state", test_memory_state);
  g_test_add_func ("/sim/write-wait-write", test_write_wait_write);
  g_test_add_func ("/sim/container-eject", test_container_eject);
  g_test_add_func ("/sim/slot-power", test_slot_power);
  g_test_add_func ("/sim/remove-rescan", test_remove_rescan);
  g_test_add_func ("/sim/delay", test_delay);
  g_test_add_func ("/sim/fail", test_fail);
  g_test_add_func ("/sim/firmware", test_firmware);
  g_test_add_func ("/sim/storage", test_storage);
  g_test_add_func ("/sim/udev-group", test_udev_group);
  return sim_helpers_run ();
}
