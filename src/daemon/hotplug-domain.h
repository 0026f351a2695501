/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "hotplug-dbus.h"
#include "hotplug-enums.h"

G_BEGIN_DECLS

/* A PCI domain (segment), as the bus sees it. */
#define HOTPLUG_TYPE_DOMAIN (hotplug_domain_get_type ())
G_DECLARE_FINAL_TYPE (HotplugDomain, hotplug_domain, HOTPLUG, DOMAIN, HotplugDbusDomainSkeleton)

HotplugDomain          *hotplug_domain_new (const char *id);
const char             *hotplug_domain_get_id (HotplugDomain *self);
HotplugConnectionState  hotplug_domain_get_connection_state (HotplugDomain *self);
void                    hotplug_domain_set_connection_state (HotplugDomain         *self,
                                                             HotplugConnectionState state);
/* Update Slots and PciDevices; only what changed is announced. */
void                    hotplug_domain_update (HotplugDomain      *self,
                                               const char *const *slots,
                                               const char *const *pci_devices);

/* Domain.Blockers (a(ssss)); announced only when it differs.  Written by
 * the blockers watch alone. */
void                    hotplug_domain_update_blockers (HotplugDomain *self,
                                                        GVariant      *blockers);

/* HOTPLUG_DBUS_DOMAIN_PATH "/" + the escaped id (0000 stays 0000). */
char                   *hotplug_domain_object_path (const char *id);

G_END_DECLS
