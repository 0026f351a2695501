/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What an ownership pass reads again of the containers' ACPI children
 * (HotplugContainer.stale): a container's own event reads that container,
 * a CPU or memory block going online or offline reads none (a board's
 * remove is a thousand of those, and every board's children are a thousand
 * links: the whole machine read on the main loop stalled it), an ACPI
 * device's event the container it is below, a CPU, block or root bus
 * removed the container listing it (a board's eject is a thousand of
 * those), a PCI device's none, anything else that can change what is
 * below a container reads them all. */
#include "config.h"

#include "hotplug-fixture.h"
#include "hotplug-platform.h"
#include "hotplug-udev.h"

#define SB1_CPU11 "/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:01/ACPI0007:03"
#define SB1_CPU10 "/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:01/ACPI0007:02"
#define SB0_CPU7 "/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:00/ACPI0007:03"

typedef struct
{
  HotplugFixture  *fx;
  HotplugUdev     *udev;
  HotplugPlatform *platform;
} Test;

static void
on_event (HotplugUdev *udev, HotplugEvent *ev, Test *t)
{
  hotplug_platform_handle_event (t->platform, ev);
}

static void
setup (Test *t, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *state = NULL;

  t->fx = hotplug_fixture_new ();
  fx_small_machine (t->fx);
  state = fx_path (t->fx, "/state");
  t->udev = hotplug_udev_new_without_monitor ();
  t->platform = hotplug_platform_new ();
  hotplug_platform_set_state_directory (t->platform, state);
  g_signal_connect (t->udev, "event", G_CALLBACK (on_event), t);
  g_assert_true (hotplug_udev_start (t->udev, &error));
  g_assert_no_error (error);
  hotplug_platform_flush (t->platform);
}

static void
teardown (Test *t, gconstpointer data)
{
  g_clear_object (&t->udev);
  g_clear_object (&t->platform);
  hotplug_fixture_free (t->fx);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
inject (Test *t, const char *action, const char *subsystem, const char *devpath)
{
  g_autoptr(HotplugEvent) ev = hotplug_event_new (action, subsystem, devpath);

  hotplug_udev_inject (t->udev, ev);
  hotplug_platform_flush (t->platform);
}

static const char *
cpus_of (Test *t, const char *id)
{
  HotplugUnit *u = hotplug_platform_lookup_unit (t->platform, id);

  g_assert_nonnull (u);
  return hotplug_dbus_unit_get_cpus (HOTPLUG_DBUS_UNIT (u));
}

static void
test_scope (Test *t, gconstpointer data)
{
  g_assert_cmpstr (cpus_of (t, "sb1"), ==, "8-11");
  /* sb1's processor cpu11 goes from the firmware's tree with no event yet */
  fx_rm (t->fx, SB1_CPU11);

  /* sb0's own event, a pass: sb1 is not read again */
  inject (t, "offline", "container", "/devices/system/container/ACPI0004:00");
  g_assert_cmpstr (cpus_of (t, "sb1"), ==, "8-11");
  /* CPUs and a block going online and offline: no container is read */
  inject (t, "offline", "cpu", "/devices/system/cpu/cpu8");
  inject (t, "online", "cpu", "/devices/system/cpu/cpu8");
  inject (t, "offline", "memory", "/devices/system/memory/memory24");
  g_assert_cmpstr (cpus_of (t, "sb1"), ==, "8-11");

  /* sb1's own event reads sb1 */
  inject (t, "online", "container", "/devices/system/container/ACPI0004:01");
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
  inject (t, "remove", "acpi", "/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:01/ACPI0007:03");
  g_assert_cmpstr (cpus_of (t, "sb1"), ==, "8-10");
  g_assert_cmpstr (cpus_of (t, "sb0"), ==, "4-7");
  inject (t, "remove", "acpi", "/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:00/ACPI0007:03");
  g_assert_cmpstr (cpus_of (t, "sb0"), ==, "4-6");
}

static void
test_acpi_event_below_none_reads_all (Test *t, gconstpointer data)
{
  fx_rm (t->fx, SB0_CPU7);
  /* below no container known: any of them may have changed */
  inject (t, "add", "acpi", "/devices/LNXSYSTM:00/LNXSYBUS:00/PNP0C80:07");
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
  inject (t, "remove", "cpu", "/devices/system/cpu/cpu11");
  g_assert_cmpstr (cpus_of (t, "sb1"), ==, "8-9");
  g_assert_cmpstr (cpus_of (t, "sb0"), ==, "4-7");
  /* a block of sb0 removed: sb0 is read */
  inject (t, "remove", "memory", "/devices/system/memory/memory23");
  g_assert_cmpstr (cpus_of (t, "sb0"), ==, "4-6");
}

static void
test_addition_reads_all (Test *t, gconstpointer data)
{
  fx_rm (t->fx, SB0_CPU7);
  fx_rm (t->fx, SB1_CPU11);
  /* a CPU added: its event does not say below which container */
  inject (t, "add", "cpu", "/devices/system/cpu/cpu3");
  g_assert_cmpstr (cpus_of (t, "sb0"), ==, "4-6");
  g_assert_cmpstr (cpus_of (t, "sb1"), ==, "8-10");
}

static void
test_pci_events (Test *t, gconstpointer data)
{
  fx_rm (t->fx, SB0_CPU7);
  fx_rm (t->fx, SB1_CPU11);
  /* a PCI device: nothing below a container */
  inject (t, "remove", "pci", "/devices/pci0000:40/0000:40:02.0");
  g_assert_cmpstr (cpus_of (t, "sb0"), ==, "4-7");
  g_assert_cmpstr (cpus_of (t, "sb1"), ==, "8-11");
  /* sb1's root bus removed: sb1 */
  inject (t, "remove", "pci_bus", "/devices/pci0001:80/pci_bus/0001:80");
  g_assert_cmpstr (cpus_of (t, "sb1"), ==, "8-10");
  g_assert_cmpstr (cpus_of (t, "sb0"), ==, "4-7");
  /* a root bus added: any container may hold its bridge */
  inject (t, "add", "pci_bus", "/devices/pci0001:80/pci_bus/0001:80");
  g_assert_cmpstr (cpus_of (t, "sb0"), ==, "4-6");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/container-scan/scope", Test, NULL, setup, test_scope, teardown);
  g_test_add ("/container-scan/acpi-event-reads-its-container", Test, NULL, setup,
              test_acpi_event_reads_its_container, teardown);
  g_test_add ("/container-scan/acpi-event-below-none-reads-all", Test, NULL, setup,
              test_acpi_event_below_none_reads_all, teardown);
  g_test_add ("/container-scan/removal-reads-its-container", Test, NULL, setup, test_removal_reads_its_container,
              teardown);
  g_test_add ("/container-scan/addition-reads-all", Test, NULL, setup, test_addition_reads_all, teardown);
  g_test_add ("/container-scan/pci-events", Test, NULL, setup, test_pci_events, teardown);
  return g_test_run ();
}
