/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "hotplug-sim-machine.h"

G_BEGIN_DECLS

/* The disks and network interfaces of simulated PCI devices, real enough
 * to be busy: a disk's dev reads 0:0 (no device) until `ctl back` gives it
 * the numbers of a real block device (a loop device), so that mounting,
 * opening or swapping on that device makes the daemon find the simulated
 * disk busy through the real /proc.  Holders, partitions and interface
 * state follow the kernel's sysfs layout:
 *   <pci dev>/block/vda/{dev,size,removable,ro,uevent,holders/}
 *   <pci dev>/block/vda/vda1/{dev,partition,start,size,uevent,holders/}
 *   /sys/block/vda, /sys/class/block/vda, /sys/class/block/vda1 (links)
 *   <pci dev>/net/eth0/{flags,operstate,ifindex,address,uevent}
 *   /sys/class/net/eth0 (link)
 * What is set at run time (backing, holders, link state) survives the
 * device's removal and rescan, as it would with the same drive put back. */
typedef struct _HotplugSimStorage HotplugSimStorage;

HotplugSimStorage *hotplug_sim_storage_new (HotplugSimMachine *machine, const char *sys);
void               hotplug_sim_storage_free (HotplugSimStorage *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotplugSimStorage, hotplug_sim_storage_free)

/* After the PCI device's directory was created / before it is removed. */
void               hotplug_sim_storage_create (HotplugSimStorage *self, HotplugSimDev *dev);
void               hotplug_sim_storage_destroy (HotplugSimStorage *self, HotplugSimDev *dev);

/* The verbs of `hotplug-sim ctl` this module answers:
 *   back DISK NODE|none     DISK's dev (and its partitions': NODEpN or
 *                           NODEN) become NODE's numbers; none: 0:0
 *   back PART NODE|none     one partition's own backing (where the real
 *                           device has no partitions of its own)
 *   hold DISK|PART NODE|none   a stacked device (dm, md, loop) on it:
 *                           holders/<name of NODE>, /sys/class/block/<name>
 *                           with NODE's numbers; none: no holders
 *   link IFNAME up|down     the interface's flags (IFF_UP) and operstate */
gboolean           hotplug_sim_storage_handles (const char *verb);
gboolean           hotplug_sim_storage_control (HotplugSimStorage *self, char **argv, GString *out,
                                                GError **error);

G_END_DECLS
