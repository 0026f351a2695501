/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib-object.h>

#include "hotplug-event.h"

G_BEGIN_DECLS

/* The device event source.
 *
 * "event" (HotplugEvent *): one device event, live or enumerated (as "add").
 * "resync" (GPtrArray of HotplugEvent *): events were lost (the netlink
 *   socket overflowed); the array is a fresh enumeration of everything
 *   present, and the receiver reconciles its model with it. */

#define HOTPLUG_TYPE_UDEV (hotplug_udev_get_type ())
G_DECLARE_FINAL_TYPE (HotplugUdev, hotplug_udev, HOTPLUG, UDEV, GObject)

/* At most this many events are read per main loop dispatch, so that a
 * flood does not starve D-Bus and timers. */
#define HOTPLUG_UDEV_BATCH 512

/* With a netlink monitor (the daemon). */
HotplugUdev *hotplug_udev_new (void);
/* Without one: events come only from hotplug_udev_inject() (tests). */
HotplugUdev *hotplug_udev_new_without_monitor (void);

/* Connect the monitor, then enumerate: every present device is emitted as
 * an "add" event.  Events arriving meanwhile wait in the socket until
 * hotplug_udev_listen(). */
gboolean     hotplug_udev_start (HotplugUdev *self,
                                 GError     **error);
/* Start dispatching the monitor's events from the main loop. */
void         hotplug_udev_listen (HotplugUdev *self);

/* "udev" or "kernel" (the netlink group), "none" without a monitor. */
const char  *hotplug_udev_get_group (HotplugUdev *self);
guint        hotplug_udev_get_resyncs (HotplugUdev *self);
/* Times the socket reported lost events (ENOBUFS); one re-enumeration
 * answers all those of one burst. */
guint64      hotplug_udev_get_overflows (HotplugUdev *self);
/* A re-enumeration after a loss waits until the socket has been quiet for
 * QUIET_MS, at most MAX_DELAY_MS after the loss (defaults 250 ms, 5 s;
 * tests shorten them). */
void         hotplug_udev_set_resync_delays (HotplugUdev *self,
                                             guint        quiet_ms,
                                             guint        max_delay_ms);
/* Events received from the monitor (enumeration not counted). */
guint64      hotplug_udev_get_events_received (HotplugUdev *self);
/* Before hotplug_udev_start(): the socket receive buffer (default 128 MiB;
 * tests use a small one to provoke ENOBUFS on the real kernel). */
void         hotplug_udev_set_receive_buffer_size (HotplugUdev *self,
                                                   int          bytes);

/* Feed an event through the same path as a received one. */
void         hotplug_udev_inject (HotplugUdev  *self,
                                  HotplugEvent *event);
/* Behave as if the socket had returned ENOBUFS (counted in Overflows). */
void         hotplug_udev_inject_overflow (HotplugUdev *self);
/* A re-enumeration for @reason (the system resumed): the same as after a
 * loss, told as such. */
void         hotplug_udev_resync (HotplugUdev *self, const char *reason);

/* Enumerate the devices hotplugd models by reading the sysfs bus
 * directories (through the root prefix): container, cpu, memory and pci
 * devices and PCI slots (subsystem "pci_slot", devpath
 * /bus/pci/slots/NAME).  Much cheaper than libudev enumeration on a
 * machine with tens of thousands of memory blocks. */
GPtrArray   *hotplug_udev_enumerate (void);

G_END_DECLS
