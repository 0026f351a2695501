/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "hotplug-pci.h"
#include "hotplug-platform.h"

G_BEGIN_DECLS

/* The platform model's insides, shared by the files that make it up:
 *  hotplug-platform.c   the object, its events, look-ups, resync
 *  hotplug-devices.c    reading CPUs, memory blocks, containers, PCI
 *                       devices and slots from sysfs
 *  hotplug-ownership.c  the pass that turns devices into units and domains
 *  hotplug-wait.c       waiting for the kernel's confirmation
 *  hotplug-locations.c  the board and I/O unit locations once seen
 * Nothing outside these files includes this header. */

#define HOTPLUG_PLATFORM_TOPIC "platform"

/* Per CPU and per memory block: plain array entries indexed by number.
 * A large server has tens of thousands of blocks; they are never objects. */
typedef struct
{
  guint8       present;
  guint8       online;
  guint8       recheck; /* queued in HotplugPlatform.recheck */
  /* a board's memory block its board no longer names while its directory
   * is still there: the kernel unlinks the ACPI physical_node before the
   * remove uevent and the directory, so it is on its way out.  In no unit
   * until it is gone, named again, or comes back with an add. */
  guint8       leaving;
  gint32       node;   /* -1: unknown */
  HotplugUnit *owner;  /* not a reference: units outlive the pass that sets it */
} HotplugCpuEntry;

typedef HotplugCpuEntry HotplugBlockEntry;

typedef struct
{
  char      *name;       /* ACPI0004:00 */
  char      *devpath;    /* /devices/system/container/ACPI0004:00 */
  char      *acpi_dir;   /* rooted path of the ACPI node */
  char      *uid;
  gboolean   holds_cpu_or_memory;
  /* Once a board, always a board: while a board is removed its processors
   * and memory devices go before the container, and it must not turn into
   * an I/O unit for that moment. */
  gboolean   was_board;
  /* the container's online state as the kernel last announced it (its
   * online/offline uevents), read from the attribute when it appears */
  gboolean   online;
  GArray    *cpus;       /* guint, sorted */
  GArray    *blocks;     /* guint, sorted */
  GPtrArray *root_buses; /* pci0000:40 */
  guint      gen;
  /* its ACPI children to be read again on the next ownership pass: set by
   * its own events and by those that can change what is below it (a CPU,
   * block or ACPI device of its own added or removed; see
   * hotplug-platform.c), not by a CPU or memory block going online or
   * offline; a board's are a thousand links */
  gboolean   stale;
} HotplugContainer;

typedef struct
{
  char          *bdf;
  char          *devpath;
  char          *parent;   /* parent device's BDF, NULL below a root bus */
  char          *root_bus; /* pci0000:40 */
  guint          domain;
  guint          bus;
  guint          depth;    /* below the root bus */
  HotplugPciInfo info;
  gboolean       info_valid;
  char          *driver;   /* the driver bound to it, NULL: none */
  guint          gen;
} HotplugPciDev;

typedef struct
{
  char    *name;
  char    *address; /* 0000:41:00 */
  guint    domain;
  guint    bus;
  gboolean address_valid;
  gboolean adapter;
  /* a power attribute: without one the platform lists the slot (a
   * location, as firmware slot tables name them) but cannot switch it */
  gboolean power_control;
  guint    gen;
} HotplugSlot;

struct _HotplugPlatform
{
  GObject     parent_instance;

  HotplugPci *pci;
  GArray     *cpus;       /* HotplugCpuEntry */
  GArray     *blocks;     /* HotplugBlockEntry */
  guint64     block_size;

  GHashTable *containers; /* name → HotplugContainer */
  GHashTable *pci_devs;   /* BDF → HotplugPciDev */
  GHashTable *slots;      /* name → HotplugSlot */
  GHashTable *units;      /* id → HotplugUnit */
  GHashTable *domains;    /* id → HotplugDomain */

  guint       gen;
  GArray     *recheck;    /* block numbers whose state file must be re-read */
  guint       recheck_id;
  guint       dirty_id;
  gboolean    dirty;
  int         cpu_node_hint;
  int         block_node_hint;
  GArray     *cpu_nodes;    /* gint32 node of each CPU from the node directories, NULL: none read */
  GArray     *block_nodes;  /* the same for memory blocks */

  GList      *waiters;    /* GTask */
  GPtrArray  *arrived;    /* BDFs added since the last ownership pass ("part-swapped") */

  GHashTable *locations;  /* unit id → HotplugLocation: boards and I/O units seen */
  gboolean    locations_changed;
  char       *state_file; /* STATE_DIRECTORY/units.ini, NULL: remembered in memory only */
  char       *state_dir;  /* STATE_DIRECTORY (domains keep their state there), NULL: none */
  GHashTable *absent;     /* ids of remembered units whose container is gone */
};

enum {
  HOTPLUG_PLATFORM_SIGNAL_UNIT_ADDED,
  HOTPLUG_PLATFORM_SIGNAL_UNIT_REMOVED,
  HOTPLUG_PLATFORM_SIGNAL_DOMAIN_ADDED,
  HOTPLUG_PLATFORM_SIGNAL_EJECT_REQUEST,
  HOTPLUG_PLATFORM_SIGNAL_UNIT_PRESENT,
  HOTPLUG_PLATFORM_SIGNAL_PART_SWAPPED,
  HOTPLUG_PLATFORM_N_SIGNALS
};
extern guint hotplug_platform_signals[HOTPLUG_PLATFORM_N_SIGNALS];

/* hotplug-devices.c */
void               hotplug_container_free (HotplugContainer *c);
/* Re-reads which driver is bound to a device (a bind or unbind uevent). */
void               hotplug_platform_pci_driver_refresh (HotplugPlatform *self, const char *bdf);
/* The ids (0001) of the domains with a root bus now (/sys/devices/pciDDDD:BB). */
GHashTable        *hotplug_platform_read_root_domains (void);
void               hotplug_pci_dev_free (HotplugPciDev *d);
void               hotplug_slot_free (HotplugSlot *s);
gboolean           hotplug_parse_index (const char *name, const char *prefix, guint *out);
HotplugCpuEntry   *hotplug_platform_entry_at (GArray *array, guint index);
void               hotplug_platform_cpu_refresh (HotplugPlatform *self, guint n);
void               hotplug_platform_block_refresh (HotplugPlatform *self, guint n, gboolean with_node);
void               hotplug_platform_read_block_size (HotplugPlatform *self);
/* hotplug-nodes.c */
/* The NUMA node of CPU or memory block @n (its directory @dir), -1: none */
gint32             hotplug_platform_node_of (HotplugPlatform *self, gboolean block, guint n, const char *dir);
void               hotplug_platform_forget_nodes (HotplugPlatform *self);
void               hotplug_platform_container_refresh (HotplugPlatform *self, const char *name,
                                                       const char *devpath);
void               hotplug_platform_container_scan (HotplugPlatform *self, HotplugContainer *c);
void               hotplug_platform_containers_stale (HotplugPlatform *self);
void               hotplug_platform_pci_refresh (HotplugPlatform *self, const char *devpath);
void               hotplug_platform_pci_remove (HotplugPlatform *self, const char *devpath);
void               hotplug_platform_slot_refresh (HotplugPlatform *self, const char *name);
/* the kernel has no uevents for slot directories: re-read them all */
void               hotplug_platform_rescan_slots (HotplugPlatform *self);
/* Free ACPI memory devices (PNP0C80 not below a container): calls @found
 * with each one's unit id, its sysfs path and its blocks (sorted). */
typedef void     (*HotplugMemoryDeviceFunc) (const char *id, const char *sysfs_path, GArray *blocks,
                                             gpointer user_data);
void               hotplug_platform_free_memory_devices (HotplugMemoryDeviceFunc found, gpointer user_data);

/* every PCI device, depth first */
GPtrArray         *hotplug_platform_sorted_pci (HotplugPlatform *self);
/* "SSSS:BB" → HotplugSlot */
GHashTable        *hotplug_platform_slots_by_bus (HotplugPlatform *self);
HotplugSlot       *hotplug_platform_slot_of_dev (HotplugPlatform *self, GHashTable *by_bus,
                                                 HotplugPciDev *d, guint *depth);
/* the root bus (pci0000:40) a slot's bus is below, NULL if none is known */
const char        *hotplug_platform_root_bus_of_slot (HotplugSlot *s, GPtrArray *all);

/* hotplug-ownership.c */
void               hotplug_platform_mark_dirty (HotplugPlatform *self);
void               hotplug_platform_recompute (HotplugPlatform *self);
/* The unit's state from its devices; QUIET: not logged (a new unit's
 * first state is told with its creation). */
void               hotplug_platform_update_unit_state (HotplugPlatform *self, HotplugUnit *unit,
                                                       const char *event, const char *devpath,
                                                       gboolean quiet);
void               hotplug_platform_update_cpus_online (HotplugPlatform *self, HotplugUnit *unit);
HotplugSlot       *hotplug_platform_slot_of_unit (HotplugPlatform *self, HotplugUnit *unit);
HotplugUnit       *hotplug_platform_unit_of_container (HotplugPlatform *self, HotplugContainer *c);

/* hotplug-locations.c */
typedef struct _HotplugLocation HotplugLocation;
void               hotplug_location_free (HotplugLocation *loc);
const char        *hotplug_location_get_id (const HotplugLocation *loc);
HotplugUnitKind    hotplug_location_get_kind (const HotplugLocation *loc);
const char        *hotplug_location_get_sysfs_path (const HotplugLocation *loc);
/* written only when the set changed since the last save */
void               hotplug_platform_locations_save (HotplugPlatform *self);
gboolean           hotplug_platform_location_is_board (HotplugPlatform *self, HotplugContainer *c);
void               hotplug_platform_location_remember (HotplugPlatform *self, HotplugUnitKind kind,
                                                       const char *id, HotplugContainer *c,
                                                       const char *sysfs_path);

/* hotplug-wait.c */
void               hotplug_platform_check_waiters (HotplugPlatform *self);

G_END_DECLS
