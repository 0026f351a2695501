/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <gio/gio.h>

#include "hotplug-auth.h"
#include "hotplug-jobs.h"
#include "hotplug-platform.h"
#include "hotplug-udev.h"

G_BEGIN_DECLS

/* Publishes the platform model on the bus as org.hotplugd.Hotplug1.
 *
 * Order of start-up (hotplug_manager_start): connect the event monitor,
 * enumerate the whole platform, resolve ownership, find every unit's and
 * domain's first Blockers (in a worker), then ask for the name.  The
 * objects are registered on the connection before the name request so
 * that a client reacting to NameOwnerChanged finds them at once, complete
 * with their Blockers; nothing is emitted before the name is ours, because
 * device events are only dispatched from then on.
 *
 * Signals: "name-acquired", "name-lost" (the daemon exits on the latter). */
#define HOTPLUG_TYPE_MANAGER (hotplug_manager_get_type ())
G_DECLARE_FINAL_TYPE (HotplugManager, hotplug_manager, HOTPLUG, MANAGER, GObject)

HotplugManager  *hotplug_manager_new (HotplugPlatform *platform,
                                      HotplugUdev     *udev);

/* connection: NULL for the system bus, else a message bus connection to
 * own the name on (tests).  replace: take the name from a running
 * instance.  The name is asked for from the main loop, once the first
 * Blockers are in. */
gboolean         hotplug_manager_start (HotplugManager  *self,
                                        GDBusConnection *connection,
                                        gboolean         replace,
                                        GError         **error);
gboolean         hotplug_manager_owns_name (HotplugManager *self);

HotplugPlatform *hotplug_manager_get_platform (HotplugManager *self);
HotplugJobs     *hotplug_manager_get_jobs (HotplugManager *self);

/* Before start: the configuration file (default: SYSCONFDIR/hotplugd/
 * hotplugd.conf), read now and again on Manager.Reload.  A malformed file
 * keeps what was there (the defaults at first) and is an error. */
gboolean         hotplug_manager_load_config (HotplugManager *self,
                                              const char     *path,
                                              GError        **error);

G_END_DECLS
