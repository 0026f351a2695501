/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* What would break if a unit (or a PCI domain) went away, found from the
 * running system: the one owner of that computation.
 *
 * It starts from a snapshot of the unit's facts (CPUs, memory blocks, PCI
 * devices), so that the scan can run in a worker thread while the model
 * goes on changing on the main thread.  sysfs is read through
 * hotplug_sysfs_path() (the simulator's tree under the simulator); /proc is
 * always the real one: the processes, mounts and swap areas that a removal
 * would hurt are real even when the hardware is simulated.
 *
 * Each blocker is the (kind, object, detail, process) of Unit.Blockers:
 *   mount         a mounted filesystem on a block device below the unit
 *                 (directly, on a partition, or on a holder of either)
 *   swap          an active swap area on such a device (or a swap file on
 *                 a filesystem there)
 *   holder        a device stacked on one of the unit's disks (dm, md, a
 *                 loop device): what it holds
 *   open          a process holding a block device node of the unit open
 *   netdev        a network interface of the unit that is up
 *   cpu-affinity  a process that may run only on the unit's CPUs
 *   irq-affinity  an interrupt whose affinity names only the unit's CPUs
 *   memory        online memory blocks the kernel cannot take offline
 *                 (removable 0, valid_zones none, not in the Movable zone),
 *                 as ranges; and the last online memory of the system */

typedef struct
{
  char *kind;
  char *object;
  char *detail;
  char *process;   /* "PID COMM", or "" */
} HotplugBlocker;

void hotplug_blocker_free (HotplugBlocker *blocker);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotplugBlocker, hotplug_blocker_free)

/* The snapshot a scan works from. */
typedef struct
{
  char    *id;            /* unit or domain id, for messages */
  GArray  *cpus;          /* guint, sorted */
  GArray  *blocks;        /* guint memory block numbers, sorted */
  char   **pci_devices;   /* BDFs (0000:83:00.0) */
  /* What the platform model already knows, so that a large machine's
   * tens of thousands of memory blocks are not all read again: blocks
   * holds only the online ones, and other_online counts the online blocks
   * of the rest of the system.  Unset (FALSE, -1): read from sysfs. */
  gboolean blocks_known_online;
  gint64   other_online;
} HotplugBlockerFacts;

HotplugBlockerFacts *hotplug_blocker_facts_new (const char         *id,
                                                GArray             *cpus,
                                                GArray             *blocks,
                                                const char * const *pci_devices);
void                 hotplug_blocker_facts_free (HotplugBlockerFacts *facts);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotplugBlockerFacts, hotplug_blocker_facts_free)

/* Scan once for every facts of @facts (HotplugBlockerFacts *): /proc is
 * read a single time for all of them.  Returns one GPtrArray of
 * HotplugBlocker * per facts, in the same order, each sorted.  Blocking:
 * call it in a worker (or use the async form). */
GPtrArray  *hotplug_blockers_scan (GPtrArray *facts);
/* The same in a worker thread; @facts is taken over. */
void        hotplug_blockers_scan_async (GPtrArray          *facts,
                                         GCancellable       *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data);
GPtrArray  *hotplug_blockers_scan_finish (GAsyncResult *result,
                                          GError      **error);

/* a(ssss), as Unit.Blockers */
GVariant   *hotplug_blockers_to_variant (GPtrArray *blockers);
/* "mount /data (ext4 /dev/vda1 on vda1); open /dev/vda (fd 3) by 812 dd" */
char       *hotplug_blockers_describe (GPtrArray *blockers);

/* Before a PCI device goes: sync every disk below it and flush its buffer
 * cache (open the node read-only, fsync, BLKFLSBUF), as a careful
 * administrator does before pulling a drive.  Blocking.  FALSE with the
 * first error; the other disks are still flushed. */
gboolean    hotplug_blockers_flush_pci_device (const char *bdf,
                                               GError    **error);

/* The mount points of the filesystems on the disks below @pci_devices (on
 * a partition or a device stacked on one included), in the order they
 * were mounted: what a replace window freezes.  NULL-terminated, never
 * NULL.  Reads the mount table and sysfs: quick, but blocking. */
char      **hotplug_blockers_mount_points (const char * const *pci_devices);

/* The parsers, for the unit tests. */
/* A /proc/self/mountinfo line: device, mount point and source unescaped. */
gboolean    hotplug_blockers_parse_mountinfo_line (const char *line,
                                                   guint      *major,
                                                   guint      *minor,
                                                   char      **mount_point,
                                                   char      **fstype,
                                                   char      **source);
/* A /proc/swaps line (not the header): the unescaped file name. */
gboolean    hotplug_blockers_parse_swaps_line (const char *line,
                                               char      **filename,
                                               char      **type);
/* /proc/PID/status: Cpus_allowed_list as a set, and whether the process
 * is a kernel thread (kthreadd or its child: the kernel moves those). */
GArray     *hotplug_blockers_parse_status (const char *status,
                                           gboolean   *kernel_thread);
/* A list-form affinity (smp_affinity_list) that is not empty and names
 * only CPUs of @cpus. */
gboolean    hotplug_blockers_affinity_within (const char *list,
                                              GArray     *cpus);
/* Undo the octal escapes of /proc (\040 for a space). */
char       *hotplug_blockers_unescape (const char *text);

G_END_DECLS
