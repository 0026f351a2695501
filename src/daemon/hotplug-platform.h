/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <gio/gio.h>

#include "hotplug-domain.h"
#include "hotplug-event.h"
#include "hotplug-unit.h"

G_BEGIN_DECLS

/* The platform model: CPUs, memory blocks, ACPI containers, PCI devices
 * and slots as sysfs shows them, grouped into units and domains.
 *
 * It is fed HotplugEvents only (enumerated devices come as "add").  Events
 * that change topology (add/remove of containers, CPUs, memory blocks, PCI
 * devices, slots, ACPI nodes) mark ownership dirty; one idle pass then
 * re-resolves which unit owns what, and creates or drops units.  online /
 * offline events update the one CPU or block and its unit in place.
 *
 * Signals:
 *  "unit-added" (HotplugUnit *), "unit-removed" (HotplugUnit *): units
 *    appear and vanish with their hardware.  A unit is announced with its
 *    properties set.  A unit is its location: a slot stays when its card
 *    is pulled, and a board or I/O unit stays when it is ejected or pulled
 *    (hotplug-locations.c): both go `absent`.
 *  "unit-present" (HotplugUnit *): a board or I/O unit that was absent has
 *    a part in its place again (the same object, now offline or online):
 *    for its listeners, as good as a new unit.
 *  "domain-added" (HotplugDomain *): a PCI segment was seen for the first time.
 *  "eject-request" (HotplugUnit *): the firmware asks to eject a board
 *    (container change event with EVENT=offline).
 *  "part-swapped" (HotplugUnit *): new hardware in a unit — the firmware
 *    says the part of a board or I/O unit changed (a container change
 *    event without EVENT), or PCI devices were added below a slot or I/O
 *    unit: the swap a hot replace waits for. */
#define HOTPLUG_TYPE_PLATFORM (hotplug_platform_get_type ())
G_DECLARE_FINAL_TYPE (HotplugPlatform, hotplug_platform, HOTPLUG, PLATFORM, GObject)

HotplugPlatform *hotplug_platform_new (void);

void             hotplug_platform_handle_event (HotplugPlatform    *self,
                                                const HotplugEvent *event);
/* A full enumeration after events were lost: what is not in it is gone,
 * what is in it is re-read.  Ownership is resolved before returning. */
void             hotplug_platform_reconcile (HotplugPlatform *self,
                                             GPtrArray       *events);
/* Where the locations of boards and I/O units are remembered across
 * restarts: DIR/units.ini (HOTPLUG_STATE_UNITS_FILE), read at once.  Set
 * it before the first events; without it they are remembered in memory
 * only. */
void             hotplug_platform_set_state_directory (HotplugPlatform *self,
                                                       const char      *dir);
/* Run a pending ownership pass now (start-up: before the bus name is
 * taken, the model must be complete). */
void             hotplug_platform_flush (HotplugPlatform *self);
/* Before an enumeration: which NUMA node every CPU and memory block is on,
 * from one listing per node directory instead of a look-up per device;
 * held until the next ownership pass. */
void             hotplug_platform_read_nodes (HotplugPlatform *self);

HotplugUnit     *hotplug_platform_lookup_unit (HotplugPlatform *self,
                                               const char      *id);
HotplugDomain   *hotplug_platform_lookup_domain (HotplugPlatform *self,
                                                 const char      *id);
/* Sorted by id. */
GPtrArray       *hotplug_platform_get_units (HotplugPlatform *self);
GPtrArray       *hotplug_platform_get_domains (HotplugPlatform *self);

/* The PCI devices below a unit, depth first, as D-Bus a(suss):
 * address, depth below the unit, parent address, description. */
GVariant        *hotplug_platform_list_devices (HotplugPlatform *self,
                                                HotplugUnit     *unit);

/* The model's view of single devices (what the last events said). */
gboolean         hotplug_platform_cpu_is_online (HotplugPlatform *self, guint cpu);
gboolean         hotplug_platform_block_is_online (HotplugPlatform *self, guint block);
gboolean         hotplug_platform_has_pci_device (HotplugPlatform *self, const char *bdf);
gboolean         hotplug_platform_has_container (HotplugPlatform *self, const char *name);
/* The driver bound to a PCI device, NULL when none is (or no device). */
const char      *hotplug_platform_pci_driver (HotplugPlatform *self, const char *bdf);

/* One device of a domain, for planning its disconnection. */
typedef struct {
  char    *bdf;
  char    *parent;   /* the parent device's BDF, or the root bus (0001:00) */
  char    *driver;   /* NULL: none bound */
  guint    depth;
} HotplugDomainDevice;

void             hotplug_domain_device_free (HotplugDomainDevice *device);
/* Every PCI device of domain @id, deepest first (then by address, highest
 * first): the order a software disconnection stops them in. */
GPtrArray       *hotplug_platform_domain_devices (HotplugPlatform *self, const char *id);
/* The root buses of domain @id that exist now ("0001:00"), sorted. */
GStrv            hotplug_platform_domain_root_buses (HotplugPlatform *self, const char *id);
/* The container's online state as the kernel last announced it. */
gboolean         hotplug_platform_container_is_online (HotplugPlatform *self,
                                                       const char      *name);

/* Waiting for the kernel: the predicate is checked at once, then after
 * every event the model handles and after every ownership pass, until it
 * holds (TRUE), the timeout expires (HOTPLUG_ERROR_TIMEOUT) or
 * @cancellable fires (G_IO_ERROR_CANCELLED).  It runs on the main thread
 * and must only look. */
typedef gboolean (*HotplugPlatformPredicate) (HotplugPlatform *platform,
                                              gpointer         user_data);

void             hotplug_platform_wait_async (HotplugPlatform         *self,
                                              HotplugPlatformPredicate predicate,
                                              gpointer                 predicate_data,
                                              GDestroyNotify           predicate_destroy,
                                              guint                    timeout_ms,
                                              GCancellable            *cancellable,
                                              GAsyncReadyCallback      callback,
                                              gpointer                 user_data);
gboolean         hotplug_platform_wait_finish (HotplugPlatform *self,
                                               GAsyncResult    *result,
                                               GError         **error);

G_END_DECLS
