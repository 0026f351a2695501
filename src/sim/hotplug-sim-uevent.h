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

/* The longest message libudev receives (header and properties). */
#define HOTPLUG_SIM_UEVENT_MAX 8192

/* One message in that format: the header, then "KEY=value" properties,
 * each ending in a NUL (ACTION, DEVPATH, SUBSYSTEM, SEQNUM, then those of
 * PROPS: a line without a key or with a key already there is left out).
 * NULL when it would be longer than HOTPLUG_SIM_UEVENT_MAX. */
GBytes           *hotplug_sim_uevent_encode (guint64 seqnum, const char *action, const char *devpath,
                                             const char *subsystem, const char *devtype, const char *props);
/* MurmurHash2 (32 bit, seed = length), the hash libudev filters use. */
guint32           hotplug_sim_uevent_hash (const char *s);

guint64           hotplug_sim_uevent_get_seqnum (HotplugSimUevent *self);

G_END_DECLS
