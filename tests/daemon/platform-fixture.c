/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <unistd.h>

#include <glib/gstdio.h>

#include "hotplug-log.h"
#include "platform-fixture.h"

static void
on_log (GLogLevelFlags level, const char *line, gpointer user_data)
{
  Test *t = user_data;

  if ((level & G_LOG_LEVEL_MASK) <= G_LOG_LEVEL_WARNING)
    g_ptr_array_add (t->warnings, g_strdup (line));
}

static void
on_event (HotplugUdev *udev, HotplugEvent *ev, Test *t)
{
  hotplug_platform_handle_event (t->platform, ev);
}

static void
on_resync (HotplugUdev *udev, GPtrArray *events, Test *t)
{
  hotplug_platform_reconcile (t->platform, events);
}

static void
on_added (HotplugPlatform *p, HotplugUnit *unit, Test *t)
{
  g_ptr_array_add (t->added, g_strdup (hotplug_unit_get_id (unit)));
}

static void
on_removed (HotplugPlatform *p, HotplugUnit *unit, Test *t)
{
  g_ptr_array_add (t->removed, g_strdup (hotplug_unit_get_id (unit)));
}

static void
on_eject (HotplugPlatform *p, HotplugUnit *unit, Test *t)
{
  g_ptr_array_add (t->ejects, g_strdup (hotplug_unit_get_id (unit)));
}

static void
on_present (HotplugPlatform *p, HotplugUnit *unit, Test *t)
{
  g_ptr_array_add (t->present, g_strdup (hotplug_unit_get_id (unit)));
}

void
start (Test *t)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *state = fx_path (t->fx, "/state");

  t->udev = hotplug_udev_new_without_monitor ();
  t->platform = hotplug_platform_new ();
  hotplug_platform_set_state_directory (t->platform, state);
  g_signal_connect (t->platform, "unit-present", G_CALLBACK (on_present), t);
  g_signal_connect (t->udev, "event", G_CALLBACK (on_event), t);
  g_signal_connect (t->udev, "resync", G_CALLBACK (on_resync), t);
  g_signal_connect (t->platform, "unit-added", G_CALLBACK (on_added), t);
  g_signal_connect (t->platform, "unit-removed", G_CALLBACK (on_removed), t);
  g_signal_connect (t->platform, "eject-request", G_CALLBACK (on_eject), t);
  g_assert_true (hotplug_udev_start (t->udev, &error));
  g_assert_no_error (error);
  hotplug_platform_flush (t->platform);
}

void
setup (Test *t, gconstpointer data)
{
  t->added = g_ptr_array_new_with_free_func (g_free);
  t->removed = g_ptr_array_new_with_free_func (g_free);
  t->ejects = g_ptr_array_new_with_free_func (g_free);
  t->present = g_ptr_array_new_with_free_func (g_free);
  t->warnings = g_ptr_array_new_with_free_func (g_free);
  hotplug_log_set_hook (on_log, t);
  /* the large tree is built much faster on a tmpfs; plain files, no
   * umockdev preload here, so /dev/shm is fine */
  if (data && g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR) && g_access ("/dev/shm", W_OK) == 0)
    t->fx = hotplug_fixture_new_in ("/dev/shm");
  else
    t->fx = hotplug_fixture_new ();
  if (data == NULL)
    {
      fx_small_machine (t->fx);
      start (t);
    }
}

void
teardown (Test *t, gconstpointer data)
{
  hotplug_log_set_hook (NULL, NULL);
  g_clear_object (&t->udev);
  g_clear_object (&t->platform);
  hotplug_fixture_free (t->fx);
  g_ptr_array_unref (t->added);
  g_ptr_array_unref (t->removed);
  g_ptr_array_unref (t->ejects);
  g_ptr_array_unref (t->present);
  g_ptr_array_unref (t->warnings);
  /* run what the objects left behind (skeleton idles) */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

void
inject (Test *t, const char *action, const char *subsystem, const char *devpath)
{
  g_autoptr(HotplugEvent) ev = hotplug_event_new (action, subsystem, devpath);

  hotplug_udev_inject (t->udev, ev);
}

HotplugDbusUnit *
unit (Test *t, const char *id)
{
  HotplugUnit *u = hotplug_platform_lookup_unit (t->platform, id);

  if (u == NULL)
    g_error ("no unit %s", id);
  return HOTPLUG_DBUS_UNIT (u);
}

char *
strv_join (const char *const *v)
{
  return v ? g_strjoinv (" ", (char **) v) : g_strdup ("");
}

char *
unit_ids (Test *t)
{
  g_autoptr(GPtrArray) units = hotplug_platform_get_units (t->platform);
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < units->len; i++)
    g_string_append_printf (s, "%s%s", i ? " " : "", hotplug_unit_get_id (g_ptr_array_index (units, i)));
  return g_string_free (s, FALSE);
}



void
check_unit (Test *t, const char *id, const char *kind, const char *state, const char *parent,
            const char *cpus, const char *cpus_online, guint blocks, guint blocks_online,
            const char *ranges, const char *pci, const char *slots, const char *domain)
{
  HotplugDbusUnit *u = unit (t, id);

  g_test_message ("checking %s", id);
  g_assert_cmpstr (hotplug_dbus_unit_get_id (u), ==, id);
  g_assert_cmpstr (hotplug_dbus_unit_get_kind (u), ==, kind);
  g_assert_cmpstr (hotplug_dbus_unit_get_state (u), ==, state);
  g_assert_cmpstr (hotplug_dbus_unit_get_parent (u), ==, parent);
  g_assert_cmpstr (hotplug_dbus_unit_get_cpus (u), ==, cpus);
  g_assert_cmpstr (hotplug_dbus_unit_get_cpus_online (u), ==, cpus_online);
  g_assert_cmpuint (hotplug_dbus_unit_get_memory_blocks (u), ==, blocks);
  g_assert_cmpuint (hotplug_dbus_unit_get_memory_blocks_online (u), ==, blocks_online);
  g_assert_cmpuint (hotplug_dbus_unit_get_memory_bytes (u), ==, blocks * 128 * MiB);
  g_assert_cmpstr (hotplug_dbus_unit_get_memory_ranges (u), ==, ranges);
  assert_strv (hotplug_dbus_unit_get_pci_devices (u), pci);
  assert_strv (hotplug_dbus_unit_get_slots (u), slots);
  g_assert_cmpstr (hotplug_dbus_unit_get_domain (u), ==, domain);
  g_assert_cmpstr (hotplug_dbus_unit_get_job (u), ==, "/");
}

void
set_cpu (Test *t, guint n, gboolean online)
{
  g_autofree char *file = g_strdup_printf ("/sys/devices/system/cpu/cpu%u/online", n);
  g_autofree char *devpath = g_strdup_printf ("/devices/system/cpu/cpu%u", n);

  fx_write (t->fx, file, online ? "1" : "0");
  inject (t, online ? "online" : "offline", "cpu", devpath);
}

void
set_block (Test *t, guint n, gboolean online)
{
  g_autofree char *file = g_strdup_printf ("/sys/devices/system/memory/memory%u/state", n);
  g_autofree char *devpath = g_strdup_printf ("/devices/system/memory/memory%u", n);

  fx_write (t->fx, file, online ? "online" : "offline");
  inject (t, online ? "online" : "offline", "memory", devpath);
}

/* The daemon restarting: a new model over the same sysfs and state. */
void
restart (Test *t)
{
  g_clear_object (&t->udev);
  g_clear_object (&t->platform);
  g_ptr_array_set_size (t->added, 0);
  g_ptr_array_set_size (t->removed, 0);
  g_ptr_array_set_size (t->present, 0);
  start (t);
}

void
remove_sb1 (Test *t, gboolean with_events)
{
  const char *pci[] = { "/devices/pci0001:80/0001:80:01.0/0001:81:00.0", "/devices/pci0001:80/0001:80:01.0" };

  for (guint i = 0; i < G_N_ELEMENTS (pci); i++)
    {
      g_autofree char *p = g_strconcat ("/sys", pci[i], NULL);
      g_autofree char *link = g_strconcat ("/sys/bus/pci/devices/", strrchr (pci[i], '/') + 1, NULL);

      fx_rm (t->fx, p);
      fx_rm (t->fx, link);
      if (with_events)
        inject (t, "remove", "pci", pci[i]);
    }
  for (guint n = 8; n < 12; n++)
    {
      g_autofree char *p = g_strdup_printf ("/sys/devices/system/cpu/cpu%u", n);
      g_autofree char *link = g_strdup_printf ("/sys/bus/cpu/devices/cpu%u", n);

      fx_rm (t->fx, p);
      fx_rm (t->fx, link);
      if (with_events)
        inject (t, "remove", "cpu", p + 4);
    }
  for (guint b = 24; b < 32; b++)
    {
      g_autofree char *p = g_strdup_printf ("/sys/devices/system/memory/memory%u", b);
      g_autofree char *link = g_strdup_printf ("/sys/bus/memory/devices/memory%u", b);

      fx_rm (t->fx, p);
      fx_rm (t->fx, link);
      if (with_events)
        inject (t, "remove", "memory", p + 4);
    }
  fx_rm (t->fx, "/sys/devices/system/container/ACPI0004:01");
  fx_rm (t->fx, "/sys/bus/container/devices/ACPI0004:01");
  if (with_events)
    inject (t, "remove", "container", "/devices/system/container/ACPI0004:01");
  fx_rm (t->fx, "/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:01");
  fx_rm (t->fx, "/sys/bus/acpi/devices/ACPI0004:01");
  if (with_events)
    inject (t, "remove", "acpi", "/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:01");
}
