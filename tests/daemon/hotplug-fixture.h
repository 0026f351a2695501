/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A sysfs tree laid out as doc/sysfs-layout.md says, in a temp dir that
 * becomes the sysfs root prefix (hotplug_sysfs_set_root) while it lives.
 * Paths given to the helpers start with /sys. */
typedef struct
{
  char *root;
} HotplugFixture;

HotplugFixture *hotplug_fixture_new (void);
/* in parent (a tmpfs for large trees) instead of g_get_tmp_dir() */
HotplugFixture *hotplug_fixture_new_in (const char *parent);
void            hotplug_fixture_free (HotplugFixture *fx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotplugFixture, hotplug_fixture_free)

char *fx_path (HotplugFixture *fx, const char *path);
void  fx_write (HotplugFixture *fx, const char *path, const char *content);
void  fx_write_bytes (HotplugFixture *fx, const char *path, const guint8 *data, gsize len);
void  fx_mkdir (HotplugFixture *fx, const char *path);
/* a relative link at path to target (both absolute /sys/... paths) */
void  fx_link (HotplugFixture *fx, const char *path, const char *target);
void  fx_rm (HotplugFixture *fx, const char *path);

/* building blocks */
void  fx_base (HotplugFixture *fx, guint64 block_size);
void  fx_node (HotplugFixture *fx, guint node);
void  fx_cpu (HotplugFixture *fx, guint n, guint node, int online /* -1: no online file */);
void  fx_block (HotplugFixture *fx, guint n, guint node, gboolean online);
/* ACPI0004:<inst> with uid, container device, both bus links; returns the
 * ACPI node's /sys path */
char *fx_container (HotplugFixture *fx, guint instance, const char *uid);
void  fx_container_cpu (HotplugFixture *fx, const char *acpi, guint instance, guint cpu);
/* PNP0C80:<inst> below parent (an ACPI path) with links to blocks first..last */
void  fx_memory_device (HotplugFixture *fx, const char *parent, guint instance, const char *uid,
                        guint first, guint last);
void  fx_host_bridge (HotplugFixture *fx, const char *acpi, guint instance, const char *root_bus);
void  fx_root_bus (HotplugFixture *fx, const char *root_bus);
/* a PCI device: devpath below /sys (e.g. /devices/pci0000:40/0000:40:01.0);
 * bridges get secondary..subordinate bus numbers */
void  fx_pci (HotplugFixture *fx, const char *devpath, guint16 vendor, guint16 device,
              guint32 class_code, gboolean bridge, guint8 secondary, guint8 subordinate);
void  fx_slot (HotplugFixture *fx, const char *name, const char *address, gboolean adapter, gboolean power);

/* The small machine of the daemon tests:
 *  free CPUs 0-3 (node 0; cpu0 without an online file), free memory
 *  blocks 0-7 (node 0, online), a free ACPI memory device memory5
 *  (blocks 8-11, node 0, offline);
 *  sb0 = ACPI0004:00: CPUs 4-7 online, blocks 16-23 online (node 1),
 *    host bridge pci0000:40: 0000:40:01.0 (root port, bus 41-43)
 *      └ slot 1 (0000:41): 0000:41:00.0 (switch up, 42-43)
 *          └ 0000:42:08.0 (switch down, 43) └ 0000:43:00.0, 0000:43:00.1 (NICs)
 *    0000:40:02.0 (root port, bus 44) └ slot 2 (0000:44): empty, no card
 *  sb1 = ACPI0004:01: CPUs 8-11 offline, blocks 24-31 offline (node 1),
 *    host bridge pci0001:80: 0001:80:01.0 (bridge, 81) └ 0001:81:00.0
 *  iou2 = ACPI0004:02: host bridge pci0000:c0: 0000:c0:01.0 (bridge, c1)
 *    └ slot io-3.a (0000:c1): 0000:c1:00.0 (NVMe) */
void  fx_small_machine (HotplugFixture *fx);
/* sb<uid> like sb1 at instance/uid with CPUs first_cpu..+3 and blocks
 * first_block..+7, all offline, node 1, no PCI */
void  fx_board (HotplugFixture *fx, guint instance, const char *uid, guint first_cpu, guint first_block,
                gboolean with_devices);

/* A large machine: boards × cpus_per_board CPUs and blocks_per_board blocks */
void  fx_large_machine (HotplugFixture *fx, guint boards, guint cpus_per_board, guint blocks_per_board);

/* g_test_run() with a private bus standing in for the system bus (its
 * address in DBUS_SYSTEM_BUS_ADDRESS before the first g_bus_get); *bus is
 * that bus while the tests run. */
int   hotplug_test_run_on_private_bus (GTestDBus **bus);

G_END_DECLS
