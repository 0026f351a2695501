/* Runs under `hotplug-sim --machine default`: PCI drivers (bind, unbind,
 * drivers_probe) and the pci_bus class, as the kernel has them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "sim-helpers.h"

/* Drivers: nvme0n1 at 0000:83:00.0 (nvme), ens4 at 0000:86:00.0 (mlx5_core). */
static void
test_drivers (void)
{
  const char *dev = "/devices/pci0000:80/0000:80:01.0/0000:81:00.0/0000:82:08.0/0000:83:00.0";
  g_autoptr(GPtrArray) evs = NULL;
  g_autofree char *link = NULL;
  g_autofree char *a = NULL;
  g_autofree char *uevent = NULL;

  link = g_file_read_link ("/sys/bus/pci/devices/0000:83:00.0/driver", NULL);
  g_assert_cmpstr (link, ==, "../../../../../../bus/pci/drivers/nvme");
  g_clear_pointer (&link, g_free);
  link = g_file_read_link ("/sys/bus/pci/drivers/nvme/0000:83:00.0", NULL);
  g_assert_cmpstr (link, ==, "../../../../devices/pci0000:80/0000:80:01.0/0000:81:00.0/0000:82:08.0/0000:83:00.0");
  g_assert_true (g_file_test ("/sys/bus/pci/drivers/pcieport/0000:80:01.0", G_FILE_TEST_IS_DIR));
  g_assert_true (g_file_test ("/sys/bus/pci/drivers_probe", G_FILE_TEST_EXISTS));
  /* a device no driver takes (the SAS HBA of slot 6) */
  g_assert_false (g_file_test ("/sys/bus/pci/devices/0001:02:00.0/driver", G_FILE_TEST_EXISTS));
  uevent = sysr ("/sys/bus/pci/devices/0000:83:00.0/uevent");
  g_assert_true (g_str_has_prefix (uevent, "DRIVER=nvme\n"));

  /* not bound to that driver, not a device: ENODEV */
  g_assert_cmpint (sysw ("/sys/bus/pci/drivers/nvme/unbind", "0000:01:00.0"), ==, ENODEV);
  g_assert_cmpint (sysw ("/sys/bus/pci/drivers/nvme/unbind", "0000:99:00.0"), ==, ENODEV);
  g_assert_cmpint (sysw ("/sys/bus/pci/drivers/nvme/bind", "0000:83:00.0"), ==, EBUSY);

  /* unbind through the device's driver link: the disk goes with it */
  g_assert_cmpint (sysw ("/sys/bus/pci/devices/0000:83:00.0/driver/unbind", "0000:83:00.0"), ==, 0);
  evs = collect (300, 10);
  a = actions (evs);
  g_assert_cmpstr (a, ==, "unbind");
  g_assert_cmpstr (ev (evs, 0)->devpath, ==, dev);
  g_assert_null (ev (evs, 0)->driver);
  g_assert_false (g_file_test ("/sys/bus/pci/devices/0000:83:00.0/driver", G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test ("/sys/bus/pci/drivers/nvme/0000:83:00.0", G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test ("/sys/block/nvme0n1", G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test ("/sys/bus/pci/devices/0000:83:00.0", G_FILE_TEST_IS_DIR));
  g_assert_cmpint (sysw ("/sys/bus/pci/drivers/nvme/unbind", "0000:83:00.0"), ==, ENODEV);
  /* only its own driver binds it */
  g_assert_cmpint (sysw ("/sys/bus/pci/drivers/i40e/bind", "0000:83:00.0"), ==, ENODEV);

  g_assert_cmpint (sysw ("/sys/bus/pci/drivers/nvme/bind", "0000:83:00.0"), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (300, 10);
  g_clear_pointer (&a, g_free);
  a = actions (evs);
  g_assert_cmpstr (a, ==, "bind");
  g_assert_cmpstr (ev (evs, 0)->driver, ==, "nvme");
  g_assert_true (g_file_test ("/sys/block/nvme0n1/dev", G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test ("/sys/bus/pci/devices/0000:83:00.0/driver/bind", G_FILE_TEST_EXISTS));
}

/* drivers_probe, and a device removed while no driver holds it */
static void
test_drivers_probe (void)
{
  g_autoptr(GPtrArray) evs = NULL;
  g_autofree char *a = NULL;

  g_assert_cmpint (sysw ("/sys/bus/pci/drivers/mlx5_core/unbind", "0000:86:00.0"), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (300, 10);
  g_assert_false (g_file_test ("/sys/class/net/ens4", G_FILE_TEST_EXISTS));
  g_assert_cmpint (sysw ("/sys/bus/pci/drivers_probe", "0000:99:00.0"), ==, ENODEV);
  g_assert_cmpint (sysw ("/sys/bus/pci/drivers_probe", "0000:86:00.0"), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (300, 10);
  g_clear_pointer (&a, g_free);
  a = actions (evs);
  g_assert_cmpstr (a, ==, "bind");
  g_assert_cmpstr (ev (evs, 0)->driver, ==, "mlx5_core");
  g_assert_true (g_file_test ("/sys/class/net/ens4/operstate", G_FILE_TEST_EXISTS));

  /* removing an unbound device: no unbind */
  g_assert_cmpint (sysw ("/sys/bus/pci/drivers/nvme/unbind", "0000:84:00.0"), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (300, 10);
  g_assert_cmpint (sysw ("/sys/bus/pci/devices/0000:84:00.0/remove", "1"), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (300, 10);
  g_clear_pointer (&a, g_free);
  a = actions (evs);
  g_assert_cmpstr (a, ==, "remove");
  g_assert_cmpint (sysw ("/sys/bus/pci/drivers/nvme/bind", "0000:84:00.0"), ==, ENODEV);
  g_assert_cmpint (sysw ("/sys/bus/pci/rescan", "1"), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (300, 10);
  g_clear_pointer (&a, g_free);
  a = actions (evs);
  g_assert_cmpstr (a, ==, "add bind");
}

/* A device that refuses to let go: unbind fails as often as armed. */
static void
test_drivers_fail (void)
{
  g_autoptr(GPtrArray) evs = NULL;

  g_assert_cmpint (ctl ("fail /sys/bus/pci/drivers/nvme/unbind 2 --errno EBUSY", NULL), ==, 0);
  g_assert_cmpint (sysw ("/sys/bus/pci/drivers/nvme/unbind", "0000:83:00.0"), ==, EBUSY);
  g_assert_cmpint (sysw ("/sys/bus/pci/devices/0000:83:00.0/driver/unbind", "0000:83:00.0"), ==, EBUSY);
  evs = collect (300, 10);
  g_assert_cmpuint (evs->len, ==, 0);
  g_assert_true (g_file_test ("/sys/bus/pci/devices/0000:83:00.0/driver", G_FILE_TEST_IS_DIR));
  g_assert_cmpint (sysw ("/sys/bus/pci/drivers/nvme/unbind", "0000:83:00.0"), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (300, 10);
  g_assert_cmpuint (evs->len, ==, 1);
  g_assert_cmpstr (ev (evs, 0)->action, ==, "unbind");

  /* every bind attribute, once */
  g_assert_cmpint (ctl ("fail bind", NULL), ==, 0);
  g_assert_cmpint (sysw ("/sys/bus/pci/drivers/nvme/bind", "0000:83:00.0"), ==, EIO);
  g_assert_cmpint (sysw ("/sys/bus/pci/drivers/nvme/bind", "0000:83:00.0"), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (300, 10);
  g_assert_cmpuint (evs->len, ==, 1);
  g_assert_cmpstr (ev (evs, 0)->action, ==, "bind");
  g_assert_cmpint (ctl ("fail bind 0", NULL), ==, 0);

  /* with the kernel slow, back-to-back unbinds of one driver are all taken */
  g_assert_cmpint (ctl ("delay 100 drivers", NULL), ==, 0);
  g_assert_cmpint (sysw ("/sys/bus/pci/drivers/nvme/unbind", "0000:83:00.0"), ==, 0);
  g_assert_cmpint (sysw ("/sys/bus/pci/drivers/nvme/unbind", "0000:84:00.0"), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (500, 10);
  g_assert_cmpuint (evs->len, ==, 2);
  g_assert_cmpint (ctl ("delay 0", NULL), ==, 0);
  g_assert_cmpint (sysw ("/sys/bus/pci/drivers/nvme/bind", "0000:83:00.0"), ==, 0);
  g_assert_cmpint (sysw ("/sys/bus/pci/drivers/nvme/bind", "0000:84:00.0"), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (300, 10);
  g_assert_cmpuint (evs->len, ==, 2);
}

/* The pci_bus class: root buses and bridges' secondary buses. */
static void
test_pci_bus (void)
{
  g_autoptr(GPtrArray) evs = NULL;
  g_autofree char *link = NULL;
  g_autofree char *dev = NULL;
  struct udev_device *d;

  g_assert_cmpuint (count_subsystem ("pci_bus"), ==, 7 + 9);
  link = g_file_read_link ("/sys/class/pci_bus/0000:80", NULL);
  g_assert_cmpstr (link, ==, "../../devices/pci0000:80/pci_bus/0000:80");
  g_clear_pointer (&link, g_free);
  link = g_file_read_link ("/sys/class/pci_bus/0001:01", NULL);
  g_assert_cmpstr (link, ==, "../../devices/pci0001:00/0001:00:01.0/pci_bus/0001:01");
  g_assert_true (g_file_test ("/sys/class/pci_bus/0001:01/uevent", G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test ("/sys/class/pci_bus/0001:01/rescan", G_FILE_TEST_EXISTS));
  dev = sysr ("/sys/class/pci_bus/0001:01/device/secondary_bus_number");
  g_assert_cmpstr (dev, ==, "1");
  d = udev_device_new_from_syspath (udev, "/sys/class/pci_bus/0001:01");
  g_assert_nonnull (d);
  g_assert_cmpstr (udev_device_get_subsystem (d), ==, "pci_bus");
  udev_device_unref (d);

  /* the root bus's rescan finds what went */
  g_assert_cmpint (sysw ("/sys/bus/pci/devices/0001:00:01.0/remove", "1"), ==, 0);
  evs = collect (300, 10);
  g_assert_cmpint (find (evs, "remove", "/devices/pci0001:00/0001:00:01.0/pci_bus/0001:01"), >=, 0);
  g_assert_false (g_file_test ("/sys/class/pci_bus/0001:01", G_FILE_TEST_EXISTS));
  g_assert_cmpint (sysw ("/sys/class/pci_bus/0001:00/rescan", "1"), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (300, 10);
  g_assert_cmpint (find (evs, "add", "/devices/pci0001:00/0001:00:01.0/pci_bus/0001:01"), ==, 1);
  g_assert_cmpint (find (evs, "bind", "/devices/pci0001:00/0001:00:01.0/0001:01:00.0"), ==, 4);
  g_assert_true (g_file_test ("/sys/class/pci_bus/0001:01", G_FILE_TEST_IS_DIR));
}

int
main (int argc, char **argv)
{
  if (!sim_helpers_init (&argc, &argv, "HOTPLUG_SIM_SOCKET", "hotplug-sim --machine default"))
    return 77;
  g_test_add_func ("/sim/pci/drivers", test_drivers);
  g_test_add_func ("/sim/pci/drivers-probe", test_drivers_probe);
  g_test_add_func ("/sim/pci/drivers-fail", test_drivers_fail);
  g_test_add_func ("/sim/pci/pci-bus", test_pci_bus);
  return sim_helpers_run ();
}
