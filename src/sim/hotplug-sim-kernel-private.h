/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The inside of the simulated kernel, shared by its files:
 *   hotplug-sim-kernel.c   the object, answering writes, building sysfs
 *   hotplug-sim-sysfs.c    files, links and watches below ROOT/sys
 *   hotplug-sim-devices.c  devices, CPUs, memory and whole units
 *   hotplug-sim-pci.c      PCI devices, drivers, buses, slots, rescan and removal
 *   hotplug-sim-domain.c   shared PCI domains (the fabric, handover)
 *   hotplug-sim-control.c  the ctl verbs (firmware and test controls) */

#include <sys/types.h>

#include "hotplug-sim-fabric.h"
#include "hotplug-sim-kernel.h"
#include "hotplug-sim-storage.h"
#include "hotplug-sim-uevent.h"

G_BEGIN_DECLS

/* the driver every CPU is bound to, below ROOT/sys */
#define SIM_CPU_DRIVER "bus/cpu/drivers/processor"
/* what every simulated CPU is, to module loaders */
#define SIM_CPU_MODALIAS "cpu:type:x86,ven0000fam0006mod0055:feature:"

struct _HotplugSimKernel {
  GObject            parent_instance;
  HotplugSimMachine *m;
  char              *root;       /* testbed root */
  char              *sys;        /* root/sys */
  HotplugSimUevent  *uevent;
  int                ifd;        /* inotify */
  guint              ifd_source;
  GHashTable        *watches;    /* wd -> Watch* */
  guint              delay_ms;
  char              *delay_match; /* the delay applies to attribute paths with this in them; NULL: all */
  GPtrArray         *pending;    /* Action* waiting for their delay */
  GPtrArray         *retry;      /* Retry*: files a writer held when we looked */
  guint              retry_source;
  /* the write being answered: answer() holds its file and writes the
   * kernel's form back itself (see settle()) */
  const char        *acting_dir;
  const char        *acting_attr;
  HotplugSimStorage *storage;    /* disks and interfaces of PCI devices */
  /* the device being created: its directory fd makes every attribute a
   * short relative lookup (a large machine creates ~400,000 files) */
  int                cur_dfd;
  const char        *cur_dir;
  HotplugSimFabric  *fabric;     /* hosts sharing domains, or NULL */
};

typedef struct {
  HotplugSimDev  *dev;    /* a device directory, or */
  HotplugSimUnit *slot;   /* a slot directory, or neither: /sys/bus/pci */
} HotplugSimWatch;

/* sysfs files (paths relative to the sysfs root) */
void      sim_sys_path (HotplugSimKernel *self, char *buf, const char *rel, const char *name);
void      sim_put (HotplugSimKernel *self, const char *dir, const char *name, const char *value, mode_t mode);
void      sim_putf (HotplugSimKernel *self, const char *dir, const char *name, const char *fmt, ...)
          G_GNUC_PRINTF (4, 5);
void      sim_put_rw (HotplugSimKernel *self, const char *dir, const char *name, const char *value,
                      const char *rules, mode_t mode);
void      sim_set_rules (HotplugSimKernel *self, const char *dir, const char *name, const char *rules);
char     *sim_get (HotplugSimKernel *self, const char *dir, const char *name);
void      sim_mkdir_rel (HotplugSimKernel *self, const char *rel);
void      sim_link_rel (HotplugSimKernel *self, const char *dir, const char *name, const char *target);
void      sim_unlink_rel (HotplugSimKernel *self, const char *dir, const char *name);
void      sim_rm_rel (HotplugSimKernel *self, const char *rel);
void      sim_watch_dir (HotplugSimKernel *self, const char *rel, HotplugSimDev *dev, HotplugSimUnit *slot);
void      sim_unwatch (HotplugSimKernel *self, int *wd);

/* devices and units */
gboolean  sim_unit_busy_children (HotplugSimUnit *u);
void      sim_update_rules (HotplugSimKernel *self, HotplugSimUnit *u);
void      sim_update_all_rules (HotplugSimKernel *self);
void      sim_update_cpu_lists (HotplugSimKernel *self);
void      sim_send (HotplugSimKernel *self, HotplugSimDev *d, const char *action, const char *extra);
void      sim_dev_create (HotplugSimKernel *self, HotplugSimDev *d);
void      sim_dev_destroy (HotplugSimKernel *self, HotplugSimDev *d);
void      sim_dev_update_uevent (HotplugSimKernel *self, HotplugSimDev *d);
void      sim_unit_remove (HotplugSimKernel *self, HotplugSimUnit *u);
void      sim_unit_insert (HotplugSimKernel *self, HotplugSimUnit *u);
void      sim_set_online (HotplugSimKernel *self, HotplugSimDev *d, gboolean on);
/* Makes attribute NAME of D read VALUE after a state change (see the
 * answering of writes in hotplug-sim-kernel.c). */
void      sim_settle (HotplugSimKernel *self, HotplugSimDev *d, const char *name, const char *value);

/* PCI */
gboolean  sim_pci_attrs (HotplugSimKernel *self, HotplugSimDev *d);
const char *sim_pci_modalias (HotplugSimDev *d, char *buf, gsize size);
void      sim_slots_sync (HotplugSimKernel *self);
gboolean  sim_pci_enumerable (HotplugSimDev *d);
void      sim_pci_rescan (HotplugSimKernel *self, HotplugSimDev *top);
void      sim_pci_remove (HotplugSimKernel *self, HotplugSimDev *top, GPtrArray *list);
void      sim_pci_host_bridge_add (HotplugSimKernel *self, HotplugSimDev *rb);
void      sim_pci_host_bridge_remove (HotplugSimKernel *self, HotplugSimDev *rb);
HotplugSimDev *sim_pci_find (HotplugSimKernel *self, const char *bdf);
void      sim_pci_bind (HotplugSimKernel *self, HotplugSimDev *d, gboolean announce);
void      sim_pci_unbind (HotplugSimKernel *self, HotplugSimDev *d);
void      sim_pci_update_driver_rules (HotplugSimKernel *self);
/* after PCI devices came or went */
void      sim_pci_changed (HotplugSimKernel *self);
void      sim_pci_act (HotplugSimKernel *self, HotplugSimDev *d, const char *attr, const char *value);
void      sim_pci_driver_write (HotplugSimKernel *self, HotplugSimDev *drv, const char *attr, const char *bdf);

/* shared domains */
gboolean  sim_domain_init (HotplugSimKernel *self, GError **error);
gboolean  sim_domain_shown (HotplugSimKernel *self, guint domain);
void      sim_domain_sync (HotplugSimKernel *self, guint domain);
void      sim_domain_publish (HotplugSimKernel *self);
void      sim_domain_leave (HotplugSimKernel *self);
/* the ctl verbs handover and owner */
gboolean  sim_domain_control (HotplugSimKernel *self, char **argv, GString *out, GError **error);
void      sim_domain_status (HotplugSimKernel *self, GString *out);

G_END_DECLS
