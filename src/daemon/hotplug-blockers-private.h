/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <sys/types.h>

#include "hotplug-blockers.h"

G_BEGIN_DECLS

/* Shared between hotplug-blockers.c (devices, parsers, flushing) and
 * hotplug-blockers-scan.c (the /proc pass); not for other modules. */

typedef struct
{
  dev_t  dev;      /* first: the hash key */
  char  *name;     /* vda, vda1, dm-0 */
  char  *via;      /* for a holder: the device of the unit it holds, else NULL */
} HotplugBlockerDev;

/* The block devices (with partitions and holders) and the up network
 * interfaces below a set of PCI devices. */
typedef struct
{
  GHashTable *by_dev;    /* dev_t * → HotplugBlockerDev * */
  GPtrArray  *list;      /* HotplugBlockerDev *, owned */
  GPtrArray  *holders;   /* HotplugBlocker * (holder) */
  GPtrArray  *netdevs;   /* HotplugBlocker * (netdev) */
} HotplugBlockerDevs;

/* The entries of /sys/class/block and /sys/class/net and where each
 * leads (a realpath: a readlink per component): read once for a whole
 * scan, not once per unit and domain. */
typedef struct _HotplugBlockerClasses HotplugBlockerClasses;
HotplugBlockerClasses *hotplug_blocker_classes_read (void);
void                   hotplug_blocker_classes_free (HotplugBlockerClasses *classes);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotplugBlockerClasses, hotplug_blocker_classes_free)

HotplugBlockerDevs *hotplug_blocker_devs_find (const char * const *pci_devices);
/* The same from classes read before (NULL: read them now) */
HotplugBlockerDevs *hotplug_blocker_devs_find_in (const char * const *pci_devices, HotplugBlockerClasses *classes);
void                hotplug_blocker_devs_free (HotplugBlockerDevs *devs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotplugBlockerDevs, hotplug_blocker_devs_free)

HotplugBlocker *hotplug_blocker_new (const char *kind, const char *object, const char *detail,
                                     const char *process);
void            hotplug_blockers_sort (GPtrArray *blockers);
gboolean        hotplug_blockers_set_within (GArray *set, GArray *cpus);
char           *hotplug_blockers_read_at (int dfd, const char *name);
char           *hotplug_blockers_read_file (const char *path);
gboolean        hotplug_blockers_read_devnum (const char *dir, dev_t *dev);
char           *hotplug_blockers_find_node (dev_t dev, const char *name);

G_END_DECLS
