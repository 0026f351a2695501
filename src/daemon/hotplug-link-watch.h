/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Network interfaces going up or down (or appearing, or going away), as
 * the kernel's routing socket announces them: the sysfs files a netdev
 * blocker is read from send no uevent when they change. */
typedef struct _HotplugLinkWatch HotplugLinkWatch;

typedef void (*HotplugLinkChanged) (gpointer user_data);

HotplugLinkWatch *hotplug_link_watch_new  (HotplugLinkChanged changed, gpointer user_data);
void              hotplug_link_watch_free (HotplugLinkWatch *watch);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotplugLinkWatch, hotplug_link_watch_free)

G_END_DECLS
