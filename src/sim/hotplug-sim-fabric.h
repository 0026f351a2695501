/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The platform that several simulated hosts share (hotplug-sim --fabric
 * DIR): who owns each shared PCI domain.  DIR holds, written by atomic
 * renames so that a reader never sees half a file:
 *   domain-DDDD          the owner's host name (created from the
 *                        description's owner= by the first host to start)
 *   domain-DDDD.devices  "HOST COUNT": how many PCI devices of the domain
 *                        the owner shows (kept by the owner's simulator)
 *   host-NAME            one per running host (gone when it stops)
 * Every simulator watches DIR and follows the owner files. */
typedef struct _HotplugSimFabric HotplugSimFabric;

/* ON_CHANGE (DOMAIN, DATA) runs when an owner file changed. */
typedef void (*HotplugSimFabricChanged) (guint domain, gpointer data);

HotplugSimFabric *hotplug_sim_fabric_new (const char *dir, const char *host, GError **error);
void              hotplug_sim_fabric_free (HotplugSimFabric *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotplugSimFabric, hotplug_sim_fabric_free)

/* Starts watching (in the thread-default main context). */
gboolean          hotplug_sim_fabric_watch (HotplugSimFabric *self, HotplugSimFabricChanged on_change,
                                            gpointer data, GError **error);
const char       *hotplug_sim_fabric_host (HotplugSimFabric *self);
/* The domain's owner file, created with OWNER unless there is one. */
gboolean          hotplug_sim_fabric_claim (HotplugSimFabric *self, guint domain, const char *owner,
                                            GError **error);
/* The current owner (NULL when unknown). */
char             *hotplug_sim_fabric_owner (HotplugSimFabric *self, guint domain);
gboolean          hotplug_sim_fabric_set_owner (HotplugSimFabric *self, guint domain, const char *owner,
                                                GError **error);
/* What this host shows of a domain it owns; what OWNER last said (-1:
 * nothing, the owner is not running). */
void              hotplug_sim_fabric_publish (HotplugSimFabric *self, guint domain, guint count);
int               hotplug_sim_fabric_devices_of (HotplugSimFabric *self, guint domain, const char *owner);
/* The one other running host (NULL when there is none or several). */
char             *hotplug_sim_fabric_peer (HotplugSimFabric *self);

G_END_DECLS
