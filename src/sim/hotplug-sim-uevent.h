/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define HOTPLUG_TYPE_SIM_UEVENT (hotplug_sim_uevent_get_type ())
G_DECLARE_FINAL_TYPE (HotplugSimUevent, hotplug_sim_uevent, HOTPLUG, SIM_UEVENT, GObject)

/* Sends uevents in the libudev monitor wire format to every socket the
 * umockdev preload bound for a netlink uevent socket ($dir/event<fd>). */
HotplugSimUevent *hotplug_sim_uevent_new (const char *dir);

/* Looks for new listeners; call before a burst of events. */
void              hotplug_sim_uevent_refresh (HotplugSimUevent *self);

/* devpath without /sys; props: "KEY=value\n" lines (may be NULL). */
void              hotplug_sim_uevent_send (HotplugSimUevent *self, const char *action,
                                           const char *devpath, const char *subsystem,
                                           const char *devtype, const char *props);

guint64           hotplug_sim_uevent_get_seqnum (HotplugSimUevent *self);

G_END_DECLS
