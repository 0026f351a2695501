/* Runs under `hotplug-sim --machine host-a --fabric DIR` alone on the
 * fabric: shared domain 0001 given to host-b (not running) by force and
 * taken back, with the uevents a host sees when the peer takes a domain and
 * when the platform gives it one.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <string.h>

#include "sim-helpers.h"

#define ROOT "/devices/pci0001:00"
#define PORT1 ROOT "/0001:00:01.0"
#define DRIVE PORT1 "/0001:01:00.0"

static void
test_owner (void)
{
  g_autofree char *err = NULL;
  g_autofree char *owner = NULL;
  g_autofree char *status = NULL;
  g_autofree char *cmd = g_strdup_printf ("%s/src/sim/hotplug-sim ctl owner 0001", g_getenv ("HOTPLUG_BUILD_DIR"));

  g_assert_true (g_spawn_command_line_sync (cmd, &owner, NULL, NULL, NULL));
  g_assert_cmpstr (owner, ==, "host-a\n");
  g_assert_true (g_file_test ("/sys/devices/pci0001:00/pci_bus/0001:00", G_FILE_TEST_IS_DIR));
  g_assert_true (g_file_test ("/sys/bus/pci/slots/1/power", G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test ("/sys/block/nvme1n1/nvme1n1p1", G_FILE_TEST_IS_DIR));

  /* nobody else on the fabric; a busy owner; not a shared domain */
  g_assert_cmpint (ctl ("handover 0001", &err), ==, 1);
  g_assert_nonnull (strstr (err, "no single other host"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (ctl ("handover 0001 --to host-b", &err), ==, 1);
  g_assert_nonnull (strstr (err, "handover refused: host-a still shows 4 PCI devices of domain 0001"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (ctl ("handover 0000 --to host-b", &err), ==, 1);
  g_assert_nonnull (strstr (err, "0000 is no shared PCI domain"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (ctl ("owner", &err), ==, 1);
  g_ptr_array_unref (collect (200, 10));
}

/* The peer takes the domain: drivers let go deepest first, devices go,
 * then the buses and the host bridge. */
static void
test_forced (void)
{
  g_autoptr(GPtrArray) evs = NULL;
  g_autofree char *a = NULL;
  g_autofree char *v = NULL;

  g_assert_cmpint (ctl ("handover 0001 --force --to host-b", NULL), ==, 0);
  evs = collect (300, 100);
  a = actions (evs);
  g_assert_cmpstr (a, ==, "unbind unbind unbind unbind remove remove remove remove remove remove remove");
  g_assert_cmpint (find (evs, "unbind", DRIVE), <, find (evs, "unbind", PORT1));
  g_assert_cmpint (find (evs, "remove", DRIVE), <, find (evs, "remove", PORT1 "/pci_bus/0001:01"));
  g_assert_cmpint (find (evs, "remove", PORT1 "/pci_bus/0001:01"), <, find (evs, "remove", PORT1));
  g_assert_cmpint (find (evs, "remove", ROOT "/pci_bus/0001:00"), ==, 10);
  g_assert_false (g_file_test ("/sys/devices/pci0001:00", G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test ("/sys/class/pci_bus/0001:00", G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test ("/sys/bus/pci/slots/1", G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test ("/sys/block/nvme1n1", G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test ("/sys/bus/pci/drivers/nvme/0001:01:00.0", G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test ("/sys/bus/pci/drivers/nvme/0000:01:00.0", G_FILE_TEST_IS_SYMLINK));
  /* the ACPI host bridge stays, without its physical node */
  g_assert_false (g_file_test ("/sys/bus/acpi/devices/PNP0A08:01/physical_node", G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test ("/sys/bus/acpi/devices/PNP0A08:01", G_FILE_TEST_EXISTS));
  /* a rescan finds nothing of it */
  g_assert_cmpint (sysw ("/sys/bus/pci/rescan", "1"), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (300, 100);
  g_assert_cmpuint (evs->len, ==, 0);
  v = g_strdup_printf ("%s/domain-0001", g_getenv ("HOTPLUG_SIM_FABRIC"));
  {
    g_autofree char *owner = sysr (v);
    g_assert_cmpstr (owner, ==, "host-b");
  }
}

/* The platform gives it back: the root bus appears, the devices with a
 * rescan of it. */
static void
test_given (void)
{
  g_autoptr(GPtrArray) evs = NULL;
  g_autofree char *a = NULL;

  g_assert_cmpint (ctl ("handover 0001", NULL), ==, 0);
  evs = collect (300, 100);
  g_assert_cmpuint (evs->len, ==, 1);
  g_assert_cmpstr (ev (evs, 0)->action, ==, "add");
  g_assert_cmpstr (ev (evs, 0)->devpath, ==, ROOT "/pci_bus/0001:00");
  g_assert_cmpstr (ev (evs, 0)->subsystem, ==, "pci_bus");
  g_assert_true (g_file_test ("/sys/bus/acpi/devices/PNP0A08:01/physical_node", G_FILE_TEST_IS_DIR));
  g_assert_false (g_file_test ("/sys/bus/pci/devices/0001:00:01.0", G_FILE_TEST_EXISTS));
  g_assert_cmpint (sysw ("/sys/class/pci_bus/0001:00/rescan", "1"), ==, 0);
  g_clear_pointer (&evs, g_ptr_array_unref);
  evs = collect (300, 100);
  a = actions (evs);
  g_assert_cmpstr (a, ==, "add add bind add bind add add bind add bind");
  g_assert_cmpint (find (evs, "bind", DRIVE), >, find (evs, "add", DRIVE));
  g_assert_true (g_file_test ("/sys/block/nvme1n1/nvme1n1p2", G_FILE_TEST_IS_DIR));
  g_assert_true (g_file_test ("/sys/class/net/ens2", G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test ("/sys/bus/pci/slots/2/power", G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  if (!sim_helpers_init (&argc, &argv, "HOTPLUG_SIM_FABRIC", "hotplug-sim --machine host-a --fabric DIR"))
    return 77;
  g_test_add_func ("/sim/fabric/owner", test_owner);
  g_test_add_func ("/sim/fabric/forced", test_forced);
  g_test_add_func ("/sim/fabric/given", test_given);
  return sim_helpers_run ();
}
