/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* While a job runs, a logind "shutdown" delay lock: a shutdown or reboot
 * asked for meanwhile waits (up to logind's InhibitDelayMaxSec) so that
 * the job can end or roll back before the system goes down.  Where logind
 * is not on the bus, nothing happens (said once in the log). */
typedef struct _HotplugInhibit HotplugInhibit;

HotplugInhibit *hotplug_inhibit_new (void);
void            hotplug_inhibit_free (HotplugInhibit *self);
/* Set the bus once it is there (locks asked for before wait for it). */
void            hotplug_inhibit_set_connection (HotplugInhibit *self, GDBusConnection *connection);
/* Take (TRUE) or release the lock; @why is shown by systemd-inhibit. */
void            hotplug_inhibit_hold (HotplugInhibit *self, gboolean hold, const char *why);
/* Whether the lock is held now (its descriptor open), for tests. */
gboolean        hotplug_inhibit_is_held (HotplugInhibit *self);

G_END_DECLS
