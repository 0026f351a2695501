/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The simulated server: what the description says is physically there and
 * what the simulated kernel currently shows in sysfs.  Plain structures: the
 * kernel object (hotplug-sim-kernel.c) owns one machine and mutates it. */

typedef enum {
  HOTPLUG_SIM_DEV_ACPI,
  HOTPLUG_SIM_DEV_CONTAINER,
  HOTPLUG_SIM_DEV_CPU,
  HOTPLUG_SIM_DEV_MEMORY,
  HOTPLUG_SIM_DEV_ROOTBUS,
  HOTPLUG_SIM_DEV_PCI,
  HOTPLUG_SIM_DEV_PCIBUS,     /* class pci_bus: a root bus or a bridge's secondary bus */
  HOTPLUG_SIM_DEV_DRIVER,     /* a PCI driver: bus/pci/drivers/<name> */
} HotplugSimDevKind;

typedef enum {
  HOTPLUG_SIM_UNIT_BASE,
  HOTPLUG_SIM_UNIT_SB,
  HOTPLUG_SIM_UNIT_IOU,
  HOTPLUG_SIM_UNIT_SLOT,
} HotplugSimUnitKind;

typedef struct _HotplugSimDev HotplugSimDev;
typedef struct _HotplugSimUnit HotplugSimUnit;

struct _HotplugSimDev {
  HotplugSimDevKind kind;
  char           *name;       /* cpu4, memory12, ACPI0004:00, 0000:41:00.0 */
  char           *path;       /* relative to the sysfs root: devices/system/cpu/cpu4 */
  const char     *subsystem;  /* NULL for a PCI root bus */
  HotplugSimDev  *parent;     /* directory parent (ACPI, PCI) */
  HotplugSimUnit *unit;       /* base, sb or iou */
  HotplugSimUnit *slot;       /* PCI device below a slot */
  gboolean        present;    /* in sysfs now */
  gboolean        physical;   /* the hardware is there */
  gboolean        online;     /* cpu, memory block, container */
  gboolean        fixed;      /* CPU without an online file */
  guint           index;      /* CPU number, memory block number */
  guint           node;
  const char     *zone;       /* memory valid_zones */
  /* ACPI */
  char           *hid;
  char           *acpi_path;
  guint           uid;
  GPtrArray      *phys;       /* HotplugSimDev*: physical_node links */
  HotplugSimDev  *fw;         /* firmware_node */
  /* PCI */
  guint           domain, bus, devfn;
  guint           vendor, device, svendor, sdevice, klass;
  int             secondary, subordinate;   /* -1 unless a bridge */
  char           *block;      /* a disk below the device (vda), or NULL */
  guint           partitions; /* of that disk */
  char           *net;        /* a network interface below it (eth0), or NULL */
  gboolean        net_up;     /* its initial state */
  HotplugSimDev  *driver;     /* the driver that binds to it, or NULL */
  gboolean        bound;      /* to that driver, now */
  HotplugSimDev  *pcibus;     /* root bus, bridge: its pci_bus class device */
  int             wd;         /* inotify watch, -1 when none */
};

struct _HotplugSimUnit {
  HotplugSimUnitKind kind;
  char           *id;         /* sb0, iou1, slot-3, base */
  guint           uid;
  char           *hid;
  gboolean        present;
  HotplugSimDev  *acpi;       /* ACPI container node */
  HotplugSimDev  *container;
  GPtrArray      *devs;       /* HotplugSimDev*, parents first */
  guint64         mem_bytes;
  /* slot */
  char           *name;
  char           *path;       /* bus/pci/slots/<name> */
  guint           domain, bus;
  gboolean        power, adapter;
  gboolean        hotplug;   /* slots: FALSE, only an address (no power control) */
  guint           attention, latch;
  HotplugSimDev  *upstream;   /* bridge or root bus whose secondary bus is the slot's */
  int             wd;
};

/* [domain DDDD] */
typedef struct {
  guint           id;
  gboolean        shared;     /* hosts hand it over to each other */
  char           *owner;      /* the host that owns it first */
  gboolean        shown;      /* owned here: its host bridges are in sysfs */
  gint            published;  /* PCI devices last told to the fabric, -1: none yet */
} HotplugSimDomain;

typedef struct {
  char           *file;
  char           *name;
  guint64         block_size;
  guint           delay_ms;
  char           *auto_online;
  gint            crash_loaded;   /* /sys/kernel/kexec_crash_loaded: 0, 1, -1 none */
  gint            crash_hotplug;  /* {cpu,memory}/crash_hotplug: 0, 1, -1 none */
  GPtrArray      *units;      /* HotplugSimUnit*, owned */
  GPtrArray      *devs;       /* HotplugSimDev*, owned, parents first */
  GArray         *nodes;      /* guint, sorted */
  GPtrArray      *domains;    /* HotplugSimDomain*, owned */
  guint           ncpus;      /* highest CPU number + 1 */
  guint           nblocks;
} HotplugSimMachine;

/* Exit status for a malformed description. */
#define HOTPLUG_SIM_EXIT_BAD_MACHINE 2

HotplugSimMachine *hotplug_sim_machine_load (const char *file, GError **error);
/* The same from the text of a description; FILE names it in messages. */
HotplugSimMachine *hotplug_sim_machine_load_data (const char *text, const char *file, GError **error);
void               hotplug_sim_machine_free (HotplugSimMachine *m);
HotplugSimUnit    *hotplug_sim_machine_find_unit (HotplugSimMachine *m, const char *id);
HotplugSimDev     *hotplug_sim_machine_find_cpu (HotplugSimMachine *m, guint n);
HotplugSimDomain  *hotplug_sim_machine_shared_domain (HotplugSimMachine *m, guint id);
char              *hotplug_sim_machine_resolve (const char *name_or_file, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotplugSimMachine, hotplug_sim_machine_free)

G_END_DECLS
