/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib-object.h>

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
 *    appear and vanish with their hardware (a slot stays when its card is
 *    pulled: it goes absent).  A unit is announced with its properties set.
 *  "domain-added" (HotplugDomain *): a PCI segment was seen for the first time.
 *  "eject-request" (HotplugUnit *): the firmware asks to eject a board
 *    (container change event with EVENT=offline). */
#define HOTPLUG_TYPE_PLATFORM (hotplug_platform_get_type ())
G_DECLARE_FINAL_TYPE (HotplugPlatform, hotplug_platform, HOTPLUG, PLATFORM, GObject)

HotplugPlatform *hotplug_platform_new (void);

void             hotplug_platform_handle_event (HotplugPlatform    *self,
                                                const HotplugEvent *event);
/* A full enumeration after events were lost: what is not in it is gone,
 * what is in it is re-read.  Ownership is resolved before returning. */
void             hotplug_platform_reconcile (HotplugPlatform *self,
                                             GPtrArray       *events);
/* Run a pending ownership pass now (start-up: before the bus name is
 * taken, the model must be complete). */
void             hotplug_platform_flush (HotplugPlatform *self);

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

guint64          hotplug_platform_get_block_size (HotplugPlatform *self);

G_END_DECLS
