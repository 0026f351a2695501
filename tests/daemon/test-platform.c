/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The platform model: enumeration, CPU and memory events, slots and PCI
 * devices, a re-enumeration after lost events, garbage in sysfs, the large
 * machine, the log's format, PCI addresses. */
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
test_enumerate (Test *t, gconstpointer data)
{
  g_autofree char *ids = unit_ids (t);
  g_autoptr(GVariant) devs = NULL;
  g_autofree char *devs_text = NULL;
  g_autofree char *path = NULL;
  HotplugDomain *d0, *d1;

  g_assert_cmpstr (ids, ==, "cpu0 cpu1 cpu2 cpu3 iou2 memory-node0 memory5 sb0 sb1 slot-1 slot-2 slot-io-3.a");
  g_assert_cmpuint (t->added->len, ==, 12);
  g_assert_cmpuint (t->warnings->len, ==, 0);

  check_unit (t, "sb0", "sb", "online", "", "4-7", "4-7", 8, 8, "16-23",
              "0000:40:01.0 0000:41:00.0 0000:42:08.0 0000:43:00.0 0000:43:00.1 0000:40:02.0",
              "slot-1 slot-2", "0000");
  g_assert_cmpstr (hotplug_dbus_unit_get_nodes (unit (t, "sb0")), ==, "1");
  g_assert_cmpstr (hotplug_dbus_unit_get_sysfs_path (unit (t, "sb0")), ==, "/sys/devices/system/container/ACPI0004:00");
  check_unit (t, "sb1", "sb", "offline", "", "8-11", "", 8, 0, "24-31",
              "0001:80:01.0 0001:81:00.0", "", "0001");
  check_unit (t, "iou2", "iou", "online", "", "", "", 0, 0, "",
              "0000:c0:01.0 0000:c1:00.0", "slot-io-3.a", "0000");
  check_unit (t, "slot-1", "slot", "online", "sb0", "", "", 0, 0, "",
              "0000:41:00.0 0000:42:08.0 0000:43:00.0 0000:43:00.1", "", "0000");
  g_assert_cmpstr (hotplug_dbus_unit_get_sysfs_path (unit (t, "slot-1")), ==, "/sys/bus/pci/slots/1");
  check_unit (t, "slot-2", "slot", "absent", "sb0", "", "", 0, 0, "", "", "", "0000");
  check_unit (t, "slot-io-3.a", "slot", "online", "iou2", "", "", 0, 0, "", "0000:c1:00.0", "", "0000");
  check_unit (t, "cpu0", "cpu", "online", "", "0", "0", 0, 0, "", "", "", "");
  check_unit (t, "cpu3", "cpu", "online", "", "3", "3", 0, 0, "", "", "", "");
  check_unit (t, "memory-node0", "memory", "online", "", "", "", 8, 8, "0-7", "", "", "");
  g_assert_cmpstr (hotplug_dbus_unit_get_nodes (unit (t, "memory-node0")), ==, "0");
  check_unit (t, "memory5", "memory", "offline", "", "", "", 4, 0, "8-11", "", "", "");

  d0 = hotplug_platform_lookup_domain (t->platform, "0000");
  d1 = hotplug_platform_lookup_domain (t->platform, "0001");
  g_assert_nonnull (d0);
  g_assert_nonnull (d1);
  g_assert_null (hotplug_platform_lookup_domain (t->platform, "0002"));
  g_assert_cmpstr (hotplug_dbus_domain_get_connection_state (HOTPLUG_DBUS_DOMAIN (d0)), ==, "connected");
  assert_strv (hotplug_dbus_domain_get_slots (HOTPLUG_DBUS_DOMAIN (d0)), "slot-1 slot-2 slot-io-3.a");
  assert_strv (hotplug_dbus_domain_get_slots (HOTPLUG_DBUS_DOMAIN (d1)), "");
  assert_strv (hotplug_dbus_domain_get_pci_devices (HOTPLUG_DBUS_DOMAIN (d1)), "0001:80:01.0 0001:81:00.0");

  /* nesting and what libpci read from the config space */
  devs = hotplug_platform_list_devices (t->platform, HOTPLUG_UNIT (unit (t, "slot-1")));
  devs_text = g_variant_print (devs, FALSE);
  g_assert_cmpstr (devs_text, ==,
                   "[('0000:41:00.0', 0, '', '10b5:8724 0x060400'), "
                   "('0000:42:08.0', 1, '0000:41:00.0', '10b5:8724 0x060400'), "
                   "('0000:43:00.0', 2, '0000:42:08.0', '8086:1572 0x020000'), "
                   "('0000:43:00.1', 2, '0000:42:08.0', '8086:1572 0x020000')]");
  g_clear_pointer (&devs, g_variant_unref);
  g_free (devs_text);
  devs = hotplug_platform_list_devices (t->platform, HOTPLUG_UNIT (unit (t, "iou2")));
  devs_text = g_variant_print (devs, FALSE);
  g_assert_cmpstr (devs_text, ==,
                   "[('0000:c0:01.0', 0, '', '8086:347a 0x060400'), "
                   "('0000:c1:00.0', 1, '0000:c0:01.0', '144d:a808 0x010802')]");

  path = hotplug_unit_object_path ("slot-io-3.a");
  g_assert_cmpstr (path, ==, "/org/hotplugd/Hotplug1/unit/slot_2dio_2d3_2ea");
  g_assert_true (g_variant_is_object_path (path));
}

static void
test_cpu_events (Test *t, gconstpointer data)
{
  HotplugDbusUnit *sb0 = unit (t, "sb0");

  set_cpu (t, 5, FALSE);
  g_assert_cmpstr (hotplug_dbus_unit_get_cpus_online (sb0), ==, "4,6-7");
  g_assert_cmpstr (hotplug_dbus_unit_get_state (sb0), ==, "online");
  for (guint n = 4; n < 8; n++)
    set_cpu (t, n, FALSE);
  for (guint b = 16; b < 23; b++)
    set_block (t, b, FALSE);
  g_assert_cmpstr (hotplug_dbus_unit_get_state (sb0), ==, "online");
  set_block (t, 23, FALSE);
  g_assert_cmpstr (hotplug_dbus_unit_get_cpus_online (sb0), ==, "");
  g_assert_cmpuint (hotplug_dbus_unit_get_memory_blocks_online (sb0), ==, 0);
  g_assert_cmpstr (hotplug_dbus_unit_get_state (sb0), ==, "offline");
  set_cpu (t, 6, TRUE);
  g_assert_cmpstr (hotplug_dbus_unit_get_state (sb0), ==, "online");

  set_cpu (t, 2, FALSE);
  g_assert_cmpstr (hotplug_dbus_unit_get_state (unit (t, "cpu2")), ==, "offline");
  g_assert_cmpstr (hotplug_dbus_unit_get_cpus_online (unit (t, "cpu2")), ==, "");
  set_cpu (t, 2, TRUE);
  g_assert_cmpstr (hotplug_dbus_unit_get_state (unit (t, "cpu2")), ==, "online");
  /* online/offline never re-resolve ownership */
  g_assert_cmpuint (t->added->len, ==, 12);
}

static void
test_memory_events (Test *t, gconstpointer data)
{
  HotplugDbusUnit *sb1 = unit (t, "sb1");
  HotplugDbusUnit *m0 = unit (t, "memory-node0");

  set_block (t, 24, TRUE);
  g_assert_cmpuint (hotplug_dbus_unit_get_memory_blocks_online (sb1), ==, 1);
  g_assert_cmpstr (hotplug_dbus_unit_get_state (sb1), ==, "online");
  for (guint b = 25; b < 32; b++)
    set_block (t, b, TRUE);
  g_assert_cmpuint (hotplug_dbus_unit_get_memory_blocks_online (sb1), ==, 8);
  /* a repeated event changes nothing */
  set_block (t, 31, TRUE);
  g_assert_cmpuint (hotplug_dbus_unit_get_memory_blocks_online (sb1), ==, 8);

  set_block (t, 7, FALSE);
  g_assert_cmpuint (hotplug_dbus_unit_get_memory_blocks_online (m0), ==, 7);
  g_assert_cmpstr (hotplug_dbus_unit_get_state (m0), ==, "online");
  set_block (t, 8, TRUE);
  g_assert_cmpstr (hotplug_dbus_unit_get_state (unit (t, "memory5")), ==, "online");
  g_assert_cmpuint (hotplug_dbus_unit_get_memory_blocks_online (unit (t, "memory5")), ==, 1);
}

static void
test_slot_without_power (Test *t, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *noop = NULL;
  HotplugUnit *slot;

  g_assert_true (hotplug_dbus_unit_get_hotpluggable (unit (t, "slot-1")));
  g_assert_cmpstr (hotplug_dbus_unit_get_hotpluggable_reason (unit (t, "slot-1")), ==, "");
  g_assert_true (hotplug_dbus_unit_get_hotpluggable (unit (t, "sb0")));

  /* a slot the platform lists but cannot switch: a location only */
  fx_rm (t->fx, "/sys/bus/pci/slots/1/power");
  restart (t);
  slot = HOTPLUG_UNIT (unit (t, "slot-1"));
  g_assert_false (hotplug_dbus_unit_get_hotpluggable (HOTPLUG_DBUS_UNIT (slot)));
  g_assert_nonnull (strstr (hotplug_dbus_unit_get_hotpluggable_reason (HOTPLUG_DBUS_UNIT (slot)),
                            "cannot power it"));
  g_assert_cmpstr (hotplug_dbus_unit_get_state (HOTPLUG_DBUS_UNIT (slot)), ==, "online");
  for (guint op = HOTPLUG_OPERATION_ADD; op <= HOTPLUG_OPERATION_REMOVE; op++)
    {
      g_assert_false (hotplug_operation_check (t->platform, slot, op, HOTPLUG_OPERATION_FLAG_NONE, &noop, &error));
      g_assert_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_NOT_SUPPORTED);
      g_assert_nonnull (strstr (error->message, "it is a location, not a hotplug slot"));
      g_clear_error (&error);
    }
}

/* One id rule: a slot is published only under an id that GetUnit accepts
 * (hotplug_id_is_valid); spaces and non-ASCII letters are fine, bytes that
 * are not UTF-8 and control characters are not. */
static void
test_slot_names (Test *t, gconstpointer data)
{
  g_autofree char *ids = NULL;
  HotplugDbusUnit *u;

  fx_slot (t->fx, "Slot 7 \xc3\x9f", "0000:45", TRUE, TRUE);
  fx_slot (t->fx, "bad\xff", "0000:46", TRUE, TRUE);
  fx_slot (t->fx, "tab\there", "0000:47", TRUE, TRUE);
  restart (t);
  ids = unit_ids (t);
  g_assert_cmpstr (ids, ==, "cpu0 cpu1 cpu2 cpu3 iou2 memory-node0 memory5 sb0 sb1 "
                            "slot-1 slot-2 slot-Slot 7 \xc3\x9f slot-io-3.a");
  u = unit (t, "slot-Slot 7 \xc3\x9f");
  g_assert_true (hotplug_id_is_valid (hotplug_dbus_unit_get_id (u), NULL));
  g_assert_cmpstr (hotplug_dbus_unit_get_sysfs_path (u), ==, "/sys/bus/pci/slots/Slot 7 \xc3\x9f");
  /* each is told (every pass looks at the slots again: rate-limited) */
  g_assert_cmpuint (t->warnings->len, >=, 2);
  for (guint i = 0; i < t->warnings->len; i++)
    {
      const char *w = g_ptr_array_index (t->warnings, i);

      g_assert_true (g_utf8_validate (w, -1, NULL));
      g_assert_nonnull (strstr (w, "slot left out"));
    }
}

static void
remove_pci (Test *t, const char *devpath)
{
  g_autofree char *p = g_strconcat ("/sys", devpath, NULL);
  g_autofree char *link = g_strconcat ("/sys/bus/pci/devices/", strrchr (devpath, '/') + 1, NULL);

  fx_rm (t->fx, p);
  fx_rm (t->fx, link);
  inject (t, "remove", "pci", devpath);
}

#define NIC0 "/devices/pci0000:40/0000:40:01.0/0000:41:00.0/0000:42:08.0/0000:43:00.0"
#define NIC1 "/devices/pci0000:40/0000:40:01.0/0000:41:00.0/0000:42:08.0/0000:43:00.1"
#define SW_DOWN "/devices/pci0000:40/0000:40:01.0/0000:41:00.0/0000:42:08.0"
#define SW_UP "/devices/pci0000:40/0000:40:01.0/0000:41:00.0"

static void
test_pci_slot (Test *t, gconstpointer data)
{
  HotplugDbusUnit *slot1 = unit (t, "slot-1");
  HotplugDbusUnit *sb0 = unit (t, "sb0");

  remove_pci (t, NIC1);
  hotplug_platform_flush (t->platform);
  assert_strv (hotplug_dbus_unit_get_pci_devices (slot1), "0000:41:00.0 0000:42:08.0 0000:43:00.0");
  assert_strv (hotplug_dbus_unit_get_pci_devices (sb0),
               "0000:40:01.0 0000:41:00.0 0000:42:08.0 0000:43:00.0 0000:40:02.0");

  fx_pci (t->fx, NIC1, 0x8086, 0x1572, 0x020000, FALSE, 0, 0);
  inject (t, "add", "pci", NIC1);
  hotplug_platform_flush (t->platform);
  assert_strv (hotplug_dbus_unit_get_pci_devices (slot1), "0000:41:00.0 0000:42:08.0 0000:43:00.0 0000:43:00.1");

  /* power off: the devices go, the card stays */
  fx_write (t->fx, "/sys/bus/pci/slots/1/power", "0");
  remove_pci (t, NIC1);
  remove_pci (t, NIC0);
  remove_pci (t, SW_DOWN);
  remove_pci (t, SW_UP);
  hotplug_platform_flush (t->platform);
  assert_strv (hotplug_dbus_unit_get_pci_devices (slot1), "");
  g_assert_cmpstr (hotplug_dbus_unit_get_state (slot1), ==, "offline");

  /* the card is pulled: the slot stays, absent */
  fx_write (t->fx, "/sys/bus/pci/slots/1/adapter", "0");
  inject (t, "change", "pci", "/devices/pci0000:40/0000:40:01.0");
  hotplug_platform_flush (t->platform);
  g_assert_true (unit (t, "slot-1") == slot1);
  g_assert_cmpstr (hotplug_dbus_unit_get_state (slot1), ==, "absent");
  g_assert_cmpstr (hotplug_dbus_unit_get_parent (slot1), ==, "sb0");
  g_assert_cmpuint (t->removed->len, ==, 0);

  /* a card in slot 2 */
  fx_write (t->fx, "/sys/bus/pci/slots/2/adapter", "1");
  fx_pci (t->fx, "/devices/pci0000:40/0000:40:02.0/0000:44:00.0", 0x1000, 0x0097, 0x010700, FALSE, 0, 0);
  inject (t, "add", "pci", "/devices/pci0000:40/0000:40:02.0/0000:44:00.0");
  hotplug_platform_flush (t->platform);
  g_assert_cmpstr (hotplug_dbus_unit_get_state (unit (t, "slot-2")), ==, "online");
  assert_strv (hotplug_dbus_unit_get_pci_devices (unit (t, "slot-2")), "0000:44:00.0");

  /* a bridge goes and the event of the device below it was lost: the
   * device must not stay behind, hanging below nothing */
  fx_rm (t->fx, "/sys/bus/pci/devices/0000:c1:00.0");
  remove_pci (t, "/devices/pci0000:c0/0000:c0:01.0");
  hotplug_platform_flush (t->platform);
  assert_strv (hotplug_dbus_unit_get_pci_devices (unit (t, "iou2")), "");
  g_assert_cmpstr (hotplug_dbus_unit_get_state (unit (t, "iou2")), ==, "offline");
  g_assert_cmpstr (hotplug_dbus_unit_get_state (unit (t, "slot-io-3.a")), ==, "offline");
}

static void
test_resync (Test *t, gconstpointer data)
{
  g_autofree char *ids = NULL;

  /* behind the daemon's back: cpu5 goes offline, sb1 is removed */
  fx_write (t->fx, "/sys/devices/system/cpu/cpu5/online", "0");
  remove_sb1 (t, FALSE);
  for (guint i = 0; i < 5; i++)
    hotplug_udev_inject_overflow (t->udev);
  g_assert_cmpuint (hotplug_udev_get_resyncs (t->udev), ==, 0); /* never inside the read loop */
  while (hotplug_udev_get_resyncs (t->udev) == 0)
    g_main_context_iteration (NULL, TRUE);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (hotplug_udev_get_resyncs (t->udev), ==, 1);
  ids = unit_ids (t);
  /* sb1 keeps its place, absent */
  g_assert_cmpstr (ids, ==, "cpu0 cpu1 cpu2 cpu3 iou2 memory-node0 memory5 sb0 sb1 slot-1 slot-2 slot-io-3.a");
  g_assert_cmpstr (hotplug_dbus_unit_get_state (unit (t, "sb1")), ==, "absent");
  g_assert_cmpstr (hotplug_dbus_unit_get_cpus_online (unit (t, "sb0")), ==, "4,6-7");
  g_assert_cmpstr (hotplug_dbus_unit_get_cpus (unit (t, "sb0")), ==, "4-7");
  g_assert_cmpuint (t->removed->len, ==, 0);
  /* the resync is announced */
  g_assert_cmpuint (t->warnings->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (t->warnings, 0), "lost"));
}

static guint
count_warnings (Test *t, const char *needle)
{
  guint n = 0;

  for (guint i = 0; i < t->warnings->len; i++)
    if (strstr (g_ptr_array_index (t->warnings, i), needle))
      n++;
  return n;
}

static void
test_garbage (Test *t, gconstpointer data)
{
  HotplugDbusUnit *cpu2 = unit (t, "cpu2");
  guint8 junk[8] = { 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0 };

  fx_write (t->fx, "/sys/devices/system/cpu/cpu2/online", "banana");
  for (guint i = 0; i < 10; i++)
    inject (t, "change", "cpu", "/devices/system/cpu/cpu2");
  /* warned, but only a few times for the same file; the CPU keeps its state */
  g_assert_cmpuint (count_warnings (t, "banana"), >=, 1);
  g_assert_cmpuint (count_warnings (t, "banana"), <=, 3);
  g_assert_nonnull (strstr (g_ptr_array_index (t->warnings, 0), "/sys/devices/system/cpu/cpu2/online"));
  g_assert_cmpstr (hotplug_dbus_unit_get_state (cpu2), ==, "online");

  /* a memory block's state, a slot address, a board's uid, config space */
  fx_write (t->fx, "/sys/devices/system/memory/memory3/state", "\x01\x02garbage");
  inject (t, "change", "memory", "/devices/system/memory/memory3");
  fx_write (t->fx, "/sys/bus/pci/slots/2/address", "zz:zz");
  fx_write (t->fx, "/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:01/uid", "../../etc");
  inject (t, "change", "container", "/devices/system/container/ACPI0004:01");
  fx_write_bytes (t->fx, "/sys" NIC0 "/config", junk, sizeof junk);
  fx_write (t->fx, "/sys" NIC0 "/vendor", "");
  inject (t, "change", "pci", NIC0);
  /* libpci's own error path (a mandatory attribute missing): it must come
   * back to us as a warning, not exit() the process */
  fx_rm (t->fx, "/sys" NIC1 "/vendor");
  inject (t, "change", "pci", NIC1);
  inject (t, "add", "pci", "/devices/pci0000:40/not-a-bdf");
  inject (t, "add", "cpu", "/devices/system/cpu/cpufreq");
  hotplug_platform_flush (t->platform);

  g_assert_cmpuint (count_warnings (t, "memory3/state"), ==, 1);
  g_assert_cmpuint (count_warnings (t, "0000:43:00.0"), ==, 1);
  g_assert_cmpuint (count_warnings (t, "libpci on 0000:43:00.1"), ==, 1);
  g_assert_cmpuint (count_warnings (t, "ACPI0004:01/uid"), ==, 1);
  /* the units keep going: sb1 falls back to the instance number */
  g_assert_cmpuint (hotplug_dbus_unit_get_memory_blocks_online (unit (t, "memory-node0")), ==, 8);
  g_assert_cmpstr (hotplug_dbus_unit_get_cpus (unit (t, "sb1")), ==, "8-11");
  assert_strv (hotplug_dbus_unit_get_pci_devices (unit (t, "slot-1")),
               "0000:41:00.0 0000:42:08.0 0000:43:00.0 0000:43:00.1");
}

static void
test_large (Test *t, gconstpointer data)
{
  gint64 t0, t1, t2;
  g_autoptr(GPtrArray) units = NULL;
  HotplugDbusUnit *sb15;

  t0 = g_get_monotonic_time ();
  fx_large_machine (t->fx, 16, 64, 1024);
  t1 = g_get_monotonic_time ();
  start (t);
  t2 = g_get_monotonic_time ();
  g_test_message ("large machine (1,024 CPUs, 16,384 memory blocks, 16 boards): fixture built in %.0f ms, "
                  "enumeration + ownership in %.1f ms",
                  (t1 - t0) / 1000.0, (t2 - t1) / 1000.0);
  units = hotplug_platform_get_units (t->platform);
  g_assert_cmpuint (units->len, ==, 16);
  sb15 = unit (t, "sb15");
  g_assert_cmpstr (hotplug_dbus_unit_get_cpus (sb15), ==, "960-1023");
  g_assert_cmpuint (hotplug_dbus_unit_get_memory_blocks_online (sb15), ==, 1024);
  g_assert_cmpuint (hotplug_dbus_unit_get_memory_bytes (sb15), ==, 128 * 1024 * MiB);

  /* one offline event touches one block */
  t1 = g_get_monotonic_time ();
  set_block (t, 16383, FALSE);
  t2 = g_get_monotonic_time ();
  g_assert_cmpuint (hotplug_dbus_unit_get_memory_blocks_online (sb15), ==, 1023);
  g_test_message ("one memory offline event: %.3f ms", (t2 - t1) / 1000.0);

  /* a re-enumeration after lost events holds the main loop this long */
  hotplug_udev_set_resync_delays (t->udev, 0, 0);
  hotplug_udev_inject_overflow (t->udev);
  t1 = g_get_monotonic_time ();
  while (hotplug_udev_get_resyncs (t->udev) == 0)
    g_main_context_iteration (NULL, TRUE);
  hotplug_platform_flush (t->platform);
  t2 = g_get_monotonic_time ();
  g_assert_cmpuint (hotplug_dbus_unit_get_memory_blocks_online (sb15), ==, 1023);
  g_test_message ("re-enumeration and reconcile: %.1f ms", (t2 - t1) / 1000.0);
}

static void
test_log_format (void)
{
  g_autofree char *line = hotplug_log_format_line (G_LOG_LEVEL_MESSAGE, "sb0", "offline",
                                                   "/devices/system/cpu/cpu5", "CPU 5 went offline");
  g_autofree char *plain = hotplug_log_format_line (G_LOG_LEVEL_WARNING, NULL, NULL, NULL, "x");
  guint passed = 0;

  g_assert_cmpstr (line, ==, "hotplugd: [sb0] offline@/devices/system/cpu/cpu5: CPU 5 went offline");
  g_assert_cmpstr (plain, ==, "hotplugd: warning: x");
  for (guint i = 0; i < 20; i++)
    passed += hotplug_log_ratelimited (G_LOG_LEVEL_DEBUG, "test-key", "test", NULL, NULL, NULL, "n=%u", i);
  g_assert_cmpuint (passed, ==, 3);
  /* another key has its own budget */
  g_assert_true (hotplug_log_ratelimited (G_LOG_LEVEL_DEBUG, "other-key", "test", NULL, NULL, NULL, "x"));
}

static void
test_pci_bdf (void)
{
  guint d, b, s, f;

  g_assert_true (hotplug_pci_parse_bdf ("0001:c1:1f.7", &d, &b, &s, &f));
  g_assert_cmpuint (d, ==, 1);
  g_assert_cmpuint (b, ==, 0xc1);
  g_assert_cmpuint (s, ==, 0x1f);
  g_assert_cmpuint (f, ==, 7);
  g_assert_false (hotplug_pci_parse_bdf ("0000:41:00.8", NULL, NULL, NULL, NULL));
  g_assert_false (hotplug_pci_parse_bdf ("0000:41:00.0x", NULL, NULL, NULL, NULL));
  g_assert_false (hotplug_pci_parse_bdf ("pci0000:40", NULL, NULL, NULL, NULL));
  g_assert_false (hotplug_pci_parse_bdf ("", NULL, NULL, NULL, NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  hotplug_log_setup (FALSE);

  g_test_add_func ("/log/format-and-ratelimit", test_log_format);
  g_test_add_func ("/pci/bdf", test_pci_bdf);
#define ADD(path, fn, data) g_test_add ("/platform/" path, Test, data, setup, fn, teardown)
  ADD ("enumerate", test_enumerate, NULL);
  ADD ("cpu-events", test_cpu_events, NULL);
  ADD ("memory-events", test_memory_events, NULL);
  ADD ("slot-without-power", test_slot_without_power, NULL);
  ADD ("pci-slot", test_pci_slot, NULL);
  ADD ("slot-names", test_slot_names, NULL);
  ADD ("resync", test_resync, NULL);
  ADD ("garbage", test_garbage, NULL);
  ADD ("large", test_large, "large");
  return g_test_run ();
}
