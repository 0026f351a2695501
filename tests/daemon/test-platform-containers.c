/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Boards and I/O units (their ACPI containers): children announced late,
 * removed, inserted again, their locations kept across restarts, the
 * firmware's eject request, and which containers a pass reads again. */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hotplug-error.h"
#include "hotplug-log.h"
#include "hotplug-operation.h"
#include "hotplug-pci.h"
#include "hotplug-util.h"
#include "platform-fixture.h"

static void
test_container_add_late (Test *t, gconstpointer data)
{
  g_autofree char *acpi = NULL;
  g_autofree char *ids = NULL;
  HotplugDbusUnit *sb3;

  /* the firmware's view first: container and its ACPI children, but the
   * CPUs and memory blocks do not exist yet */
  acpi = fx_container (t->fx, 3, "3");
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *dir = g_strdup_printf ("/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:03/ACPI0007:%02x/hid", i);
      fx_write (t->fx, dir, "ACPI0007");
    }
  fx_write (t->fx, "/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:03/PNP0C80:00/hid", "PNP0C80");
  inject (t, "add", "acpi", "/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:03");
  inject (t, "add", "container", "/devices/system/container/ACPI0004:03");
  hotplug_platform_flush (t->platform);
  sb3 = unit (t, "sb3");
  g_assert_cmpstr (hotplug_dbus_unit_get_cpus (sb3), ==, "");
  g_assert_cmpstr (hotplug_dbus_unit_get_state (sb3), ==, "offline");

  /* now the CPUs and blocks arrive, each in its own main loop turn */
  fx_board (t->fx, 3, "3", 12, 32, FALSE);
  for (guint n = 12; n < 16; n++)
    {
      g_autofree char *devpath = g_strdup_printf ("/devices/system/cpu/cpu%u", n);
      inject (t, "add", "cpu", devpath);
      hotplug_platform_flush (t->platform);
    }
  for (guint b = 32; b < 40; b++)
    {
      g_autofree char *devpath = g_strdup_printf ("/devices/system/memory/memory%u", b);
      inject (t, "add", "memory", devpath);
    }
  hotplug_platform_flush (t->platform);
  g_assert_true (unit (t, "sb3") == sb3);
  g_assert_cmpstr (hotplug_dbus_unit_get_cpus (sb3), ==, "12-15");
  g_assert_cmpstr (hotplug_dbus_unit_get_cpus_online (sb3), ==, "");
  g_assert_cmpuint (hotplug_dbus_unit_get_memory_blocks (sb3), ==, 8);
  g_assert_cmpstr (hotplug_dbus_unit_get_memory_ranges (sb3), ==, "32-39");
  g_assert_cmpstr (hotplug_dbus_unit_get_state (sb3), ==, "offline");
  ids = unit_ids (t);
  g_assert_cmpstr (ids, ==, "cpu0 cpu1 cpu2 cpu3 iou2 memory-node0 memory5 sb0 sb1 sb3 slot-1 slot-2 slot-io-3.a");
  /* a free cpu12 must not have flickered into existence in between */
  g_assert_cmpuint (t->added->len, ==, 13);
  g_assert_cmpuint (t->removed->len, ==, 0);

  set_cpu (t, 12, TRUE);
  g_assert_cmpstr (hotplug_dbus_unit_get_state (sb3), ==, "online");
}

static void
test_container_remove (Test *t, gconstpointer data)
{
  g_autofree char *ids = NULL;
  HotplugDomain *d1;

  HotplugDbusUnit *sb1 = unit (t, "sb1");

  remove_sb1 (t, TRUE);
  hotplug_platform_flush (t->platform);
  ids = unit_ids (t);
  /* the board keeps its place: the same object, absent, nothing on it */
  g_assert_cmpstr (ids, ==, "cpu0 cpu1 cpu2 cpu3 iou2 memory-node0 memory5 sb0 sb1 slot-1 slot-2 slot-io-3.a");
  g_assert_cmpuint (t->removed->len, ==, 0);
  g_assert_cmpuint (t->added->len, ==, 12);
  g_assert_true (unit (t, "sb1") == sb1);
  g_assert_cmpstr (hotplug_dbus_unit_get_state (sb1), ==, "absent");
  g_assert_cmpstr (hotplug_dbus_unit_get_cpus (sb1), ==, "");
  g_assert_cmpuint (hotplug_dbus_unit_get_memory_blocks (sb1), ==, 0);
  d1 = hotplug_platform_lookup_domain (t->platform, "0001");
  g_assert_cmpstr (hotplug_dbus_domain_get_connection_state (HOTPLUG_DBUS_DOMAIN (d1)), ==, "inactive");
  assert_strv (hotplug_dbus_domain_get_pci_devices (HOTPLUG_DBUS_DOMAIN (d1)), "");
}

static void
test_container_reinsert (Test *t, gconstpointer data)
{
  HotplugDbusUnit *sb1 = unit (t, "sb1");
  g_autofree char *ids = NULL;

  remove_sb1 (t, TRUE);
  hotplug_platform_flush (t->platform);
  g_assert_cmpstr (hotplug_dbus_unit_get_state (sb1), ==, "absent");
  g_assert_cmpuint (t->present->len, ==, 0);

  /* the platform inserts a board there again: its ACPI node and container
   * first, then its CPUs and memory */
  fx_board (t->fx, 1, "1", 8, 24, TRUE);
  inject (t, "add", "acpi", "/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:01");
  inject (t, "add", "container", "/devices/system/container/ACPI0004:01");
  hotplug_platform_flush (t->platform);
  /* not an I/O unit for a moment: the location is a board's */
  g_assert_null (hotplug_platform_lookup_unit (t->platform, "iou1"));
  for (guint n = 8; n < 12; n++)
    {
      g_autofree char *devpath = g_strdup_printf ("/devices/system/cpu/cpu%u", n);
      inject (t, "add", "cpu", devpath);
    }
  for (guint b = 24; b < 32; b++)
    {
      g_autofree char *devpath = g_strdup_printf ("/devices/system/memory/memory%u", b);
      inject (t, "add", "memory", devpath);
    }
  hotplug_platform_flush (t->platform);

  /* the same object, back in place, announced as present, not as new */
  g_assert_true (unit (t, "sb1") == sb1);
  g_assert_cmpstr (hotplug_dbus_unit_get_state (sb1), ==, "offline");
  g_assert_cmpstr (hotplug_dbus_unit_get_cpus (sb1), ==, "8-11");
  g_assert_cmpuint (hotplug_dbus_unit_get_memory_blocks (sb1), ==, 8);
  g_assert_cmpuint (t->present->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (t->present, 0), ==, "sb1");
  g_assert_cmpuint (t->removed->len, ==, 0);
  ids = unit_ids (t);
  g_assert_cmpstr (ids, ==, "cpu0 cpu1 cpu2 cpu3 iou2 memory-node0 memory5 sb0 sb1 slot-1 slot-2 slot-io-3.a");
}

static void
test_locations_kept (Test *t, gconstpointer data)
{
  g_autofree char *file = fx_path (t->fx, "/state/units.ini");
  g_autofree char *aside = fx_path (t->fx, "/state/units.ini.unreadable");
  g_autofree char *text = NULL;
  g_autofree char *ids = NULL;

  remove_sb1 (t, TRUE);
  hotplug_platform_flush (t->platform);
  g_assert_true (g_file_get_contents (file, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "[location sb1]"));
  g_assert_nonnull (strstr (text, "container=ACPI0004:01"));

  /* a restarted daemon shows the board it no longer sees, absent */
  restart (t);
  g_assert_cmpstr (hotplug_dbus_unit_get_state (unit (t, "sb1")), ==, "absent");
  g_assert_cmpstr (hotplug_dbus_unit_get_sysfs_path (unit (t, "sb1")), ==,
                   "/sys/devices/system/container/ACPI0004:01");
  g_assert_true (g_ptr_array_find_with_equal_func (t->added, "sb1", g_str_equal, NULL));

  /* a file it cannot read is set aside and said so, never fatal */
  g_ptr_array_set_size (t->warnings, 0);
  g_assert_true (g_file_set_contents (file, "[units]\nversion=99\n", -1, NULL));
  restart (t);
  g_assert_null (hotplug_platform_lookup_unit (t->platform, "sb1"));
  g_assert_true (g_file_test (aside, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (t->warnings->len, >=, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (t->warnings, 0), "newer than this hotplugd"));
  g_ptr_array_set_size (t->warnings, 0);
  ids = unit_ids (t);
  g_assert_cmpstr (ids, ==, "cpu0 cpu1 cpu2 cpu3 iou2 memory-node0 memory5 sb0 slot-1 slot-2 slot-io-3.a");
}

/* A units.ini whose version reads 0 or less (a file cut short and filled
 * in by hand, an editor's slip) is as unreadable as any other: set aside and
 * said so, never a crash at start-up. */
static void
test_locations_version_zero (Test *t, gconstpointer data)
{
  g_autofree char *file = fx_path (t->fx, "/state/units.ini");
  g_autofree char *aside = fx_path (t->fx, "/state/units.ini.unreadable");

  for (guint i = 0; i < 2; i++)
    {
      g_assert_true (g_file_set_contents (file, i == 0 ? "[units]\nversion=0\n" : "[units]\nversion=-2\n", -1,
                                          NULL));
      g_unlink (aside);
      g_ptr_array_set_size (t->warnings, 0);
      restart (t);
      g_assert_true (g_file_test (aside, G_FILE_TEST_EXISTS));
      g_assert_cmpuint (t->warnings->len, >=, 1);
      g_ptr_array_set_size (t->warnings, 0);
    }
}

static void
test_eject_request (Test *t, gconstpointer data)
{
  g_autoptr(HotplugEvent) ev = hotplug_event_new ("change", "container", "/devices/system/container/ACPI0004:00");

  hotplug_event_set_property (ev, "EVENT", "offline");
  hotplug_udev_inject (t->udev, ev);
  g_assert_cmpuint (t->ejects->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (t->ejects, 0), ==, "sb0");
  /* a plain change is not an eject request */
  inject (t, "change", "container", "/devices/system/container/ACPI0004:00");
  g_assert_cmpuint (t->ejects->len, ==, 1);
}

/* ---- the containers read again -------------------------------------------- */

/* What an ownership pass reads again of the containers' ACPI children
 * (HotplugContainer.stale): a container's own event reads that container,
 * a CPU or memory block going online or offline reads none (a board's
 * remove is a thousand of those, and every board's children are a thousand
 * links: the whole machine read on the main loop stalled it), an ACPI
 * device's event the container it is below (a removal below none: none),
 * a CPU, block or root bus
 * removed the container listing it (a board's eject is a thousand of
 * those), a PCI device's none, anything else that can change what is
 * below a container reads them all. */

#define SB1_CPU11 "/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:01/ACPI0007:03"
#define SB1_CPU10 "/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:01/ACPI0007:02"
#define SB0_CPU7 "/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:00/ACPI0007:03"
/* sb1's memory device links blocks 24-31, block 31 by this one */
#define SB1_BLOCK31_LINK "/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:01/PNP0C80:00/physical_node7"

/* an event and the ownership pass after it */
static void
inject_pass (Test *t, const char *action, const char *subsystem, const char *devpath)
{
  inject (t, action, subsystem, devpath);
  hotplug_platform_flush (t->platform);
}

static const char *
cpus_of (Test *t, const char *id)
{
  return hotplug_dbus_unit_get_cpus (unit (t, id));
}

static void
test_scope (Test *t, gconstpointer data)
{
  g_assert_cmpstr (cpus_of (t, "sb1"), ==, "8-11");
  /* sb1's processor cpu11 goes from the firmware's tree with no event yet */
  fx_rm (t->fx, SB1_CPU11);

  /* sb0's own event, a pass: sb1 is not read again */
  inject_pass (t, "offline", "container", "/devices/system/container/ACPI0004:00");
  g_assert_cmpstr (cpus_of (t, "sb1"), ==, "8-11");
  /* CPUs and a block going online and offline: no container is read */
  inject_pass (t, "offline", "cpu", "/devices/system/cpu/cpu8");
  inject_pass (t, "online", "cpu", "/devices/system/cpu/cpu8");
  inject_pass (t, "offline", "memory", "/devices/system/memory/memory24");
  g_assert_cmpstr (cpus_of (t, "sb1"), ==, "8-11");

  /* sb1's own event reads sb1 */
  inject_pass (t, "online", "container", "/devices/system/container/ACPI0004:01");
  g_assert_cmpstr (cpus_of (t, "sb1"), ==, "8-10");
  g_assert_nonnull (hotplug_platform_lookup_unit (t->platform, "cpu11"));
}

static void
test_acpi_event_reads_its_container (Test *t, gconstpointer data)
{
  fx_rm (t->fx, SB1_CPU11);
  fx_rm (t->fx, SB0_CPU7);
  /* the processor's own removal, an event of another subsystem: the
   * container it was below is read, not the others */
  inject_pass (t, "remove", "acpi", "/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:01/ACPI0007:03");
  g_assert_cmpstr (cpus_of (t, "sb1"), ==, "8-10");
  g_assert_cmpstr (cpus_of (t, "sb0"), ==, "4-7");
  inject_pass (t, "remove", "acpi", "/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:00/ACPI0007:03");
  g_assert_cmpstr (cpus_of (t, "sb0"), ==, "4-6");
}

static void
test_acpi_event_below_none_reads_all (Test *t, gconstpointer data)
{
  fx_rm (t->fx, SB0_CPU7);
  /* below no container known: any of them may have changed */
  inject_pass (t, "add", "acpi", "/devices/LNXSYSTM:00/LNXSYBUS:00/PNP0C80:07");
  g_assert_cmpstr (cpus_of (t, "sb0"), ==, "4-6");
}

/* A node removed below no container known took nothing from one: the
 * last event of a board's eject is its container's own node, after the
 * container left the model; reading every other board then cost a whole
 * machine's links. */
static void
test_acpi_removal_below_none_reads_none (Test *t, gconstpointer data)
{
  fx_rm (t->fx, SB0_CPU7);
  inject_pass (t, "remove", "acpi", "/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:05");
  g_assert_cmpstr (cpus_of (t, "sb0"), ==, "4-7");
  inject_pass (t, "remove", "acpi", "/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:05/ACPI0007:00");
  g_assert_cmpstr (cpus_of (t, "sb0"), ==, "4-7");
  /* its own container's event still reads it */
  inject_pass (t, "online", "container", "/devices/system/container/ACPI0004:00");
  g_assert_cmpstr (cpus_of (t, "sb0"), ==, "4-6");
}

static void
test_removal_reads_its_container (Test *t, gconstpointer data)
{
  /* sb1 lost the processor of cpu10, sb0 that of cpu7, with no event */
  fx_rm (t->fx, SB1_CPU10);
  fx_rm (t->fx, SB0_CPU7);
  /* cpu11 removed: sb1, which lists it, is read (cpu10 is gone from it),
   * sb0 is not */
  inject_pass (t, "remove", "cpu", "/devices/system/cpu/cpu11");
  g_assert_cmpstr (cpus_of (t, "sb1"), ==, "8-9");
  g_assert_cmpstr (cpus_of (t, "sb0"), ==, "4-7");
  /* a block of sb0 removed: sb0 is read */
  inject_pass (t, "remove", "memory", "/devices/system/memory/memory23");
  g_assert_cmpstr (cpus_of (t, "sb0"), ==, "4-6");
}

static void
test_addition_reads_all (Test *t, gconstpointer data)
{
  fx_rm (t->fx, SB0_CPU7);
  fx_rm (t->fx, SB1_CPU11);
  /* a CPU added: its event does not say below which container */
  inject_pass (t, "add", "cpu", "/devices/system/cpu/cpu3");
  g_assert_cmpstr (cpus_of (t, "sb0"), ==, "4-6");
  g_assert_cmpstr (cpus_of (t, "sb1"), ==, "8-10");
}

static void
test_pci_events (Test *t, gconstpointer data)
{
  fx_rm (t->fx, SB0_CPU7);
  fx_rm (t->fx, SB1_CPU11);
  /* a PCI device: nothing below a container */
  inject_pass (t, "remove", "pci", "/devices/pci0000:40/0000:40:02.0");
  g_assert_cmpstr (cpus_of (t, "sb0"), ==, "4-7");
  g_assert_cmpstr (cpus_of (t, "sb1"), ==, "8-11");
  /* sb1's root bus removed: sb1 */
  inject_pass (t, "remove", "pci_bus", "/devices/pci0001:80/pci_bus/0001:80");
  g_assert_cmpstr (cpus_of (t, "sb1"), ==, "8-10");
  g_assert_cmpstr (cpus_of (t, "sb0"), ==, "4-7");
  /* a root bus added: any container may hold its bridge */
  inject_pass (t, "add", "pci_bus", "/devices/pci0001:80/pci_bus/0001:80");
  g_assert_cmpstr (cpus_of (t, "sb0"), ==, "4-6");
}

static const char *
ranges_of (Test *t, const char *id)
{
  return hotplug_dbus_unit_get_memory_ranges (unit (t, id));
}

/* The kernel unlinks a block from its ACPI memory device, then sends its
 * remove uevent, then deletes its directory: a pass in between (sb1 read
 * again for an event of its own) finds the block on no board and still in
 * sysfs.  It leaves the board, and is no free memory meanwhile. */
static void
test_block_leaving_its_board (Test *t, gconstpointer data)
{
  g_assert_cmpstr (ranges_of (t, "sb1"), ==, "24-31");
  fx_rm (t->fx, SB1_BLOCK31_LINK);
  inject_pass (t, "online", "container", "/devices/system/container/ACPI0004:01");
  g_assert_cmpstr (ranges_of (t, "sb1"), ==, "24-30");
  g_assert_null (hotplug_platform_lookup_unit (t->platform, "memory-node1"));
  /* another pass before its remove: still on no unit */
  inject_pass (t, "online", "container", "/devices/system/container/ACPI0004:01");
  g_assert_null (hotplug_platform_lookup_unit (t->platform, "memory-node1"));
  /* its remove, then the directory goes */
  inject_pass (t, "remove", "memory", "/devices/system/memory/memory31");
  fx_rm (t->fx, "/sys/devices/system/memory/memory31");
  g_assert_cmpstr (ranges_of (t, "sb1"), ==, "24-30");
  g_assert_null (hotplug_platform_lookup_unit (t->platform, "memory-node1"));
  /* added back under the board: it is the board's again */
  fx_block (t->fx, 31, 1, FALSE);
  fx_link (t->fx, SB1_BLOCK31_LINK, "/sys/devices/system/memory/memory31");
  inject_pass (t, "add", "memory", "/devices/system/memory/memory31");
  g_assert_cmpstr (ranges_of (t, "sb1"), ==, "24-31");
}

/* A block that had left a board and comes back with an add on no board is
 * free memory again. */
static void
test_left_block_added_on_no_board (Test *t, gconstpointer data)
{
  fx_rm (t->fx, SB1_BLOCK31_LINK);
  inject_pass (t, "online", "container", "/devices/system/container/ACPI0004:01");
  g_assert_null (hotplug_platform_lookup_unit (t->platform, "memory-node1"));
  inject_pass (t, "add", "memory", "/devices/system/memory/memory31");
  g_assert_cmpstr (ranges_of (t, "memory-node1"), ==, "31");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  hotplug_log_setup (FALSE);

#define ADD(path, fn, data) g_test_add ("/platform/" path, Test, data, setup, fn, teardown)
  ADD ("container-add-late-cpus", test_container_add_late, NULL);
  ADD ("container-remove", test_container_remove, NULL);
  ADD ("container-reinsert", test_container_reinsert, NULL);
  ADD ("locations-kept", test_locations_kept, NULL);
  ADD ("locations-version-zero", test_locations_version_zero, NULL);
  ADD ("eject-request", test_eject_request, NULL);
  g_test_add ("/container-scan/scope", Test, NULL, setup, test_scope, teardown);
  g_test_add ("/container-scan/acpi-event-reads-its-container", Test, NULL, setup,
              test_acpi_event_reads_its_container, teardown);
  g_test_add ("/container-scan/acpi-event-below-none-reads-all", Test, NULL, setup,
              test_acpi_event_below_none_reads_all, teardown);
  g_test_add ("/container-scan/acpi-removal-below-none-reads-none", Test, NULL, setup,
              test_acpi_removal_below_none_reads_none, teardown);
  g_test_add ("/container-scan/removal-reads-its-container", Test, NULL, setup, test_removal_reads_its_container,
              teardown);
  g_test_add ("/container-scan/addition-reads-all", Test, NULL, setup, test_addition_reads_all, teardown);
  g_test_add ("/container-scan/pci-events", Test, NULL, setup, test_pci_events, teardown);
  g_test_add ("/container-scan/block-leaving-its-board", Test, NULL, setup, test_block_leaving_its_board, teardown);
  g_test_add ("/container-scan/left-block-added-on-no-board", Test, NULL, setup, test_left_block_added_on_no_board,
              teardown);
  return g_test_run ();
}
