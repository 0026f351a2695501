/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib-object.h>

#include "hotplug-sim-machine.h"

G_BEGIN_DECLS

/* The xattrs the preload shim reads on a writable attribute. */
#define HOTPLUG_SIM_XATTR_RULES "user.hotplug-sim.rules"
#define HOTPLUG_SIM_XATTR_FAIL  "user.hotplug-sim.fail"

#define HOTPLUG_TYPE_SIM_KERNEL (hotplug_sim_kernel_get_type ())
G_DECLARE_FINAL_TYPE (HotplugSimKernel, hotplug_sim_kernel, HOTPLUG, SIM_KERNEL, GObject)

/* Plays the kernel and the firmware of MACHINE (taken over) on the sysfs tree
 * below ROOT/sys; uevents go to the listeners in ROOT. */
HotplugSimKernel *hotplug_sim_kernel_new (HotplugSimMachine *machine, const char *root);

/* Before the build: the host shares the domains of its description with
 * the other hosts of the fabric DIR (see hotplug-sim-fabric.h). */
gboolean  hotplug_sim_kernel_set_fabric (HotplugSimKernel *self, const char *dir, GError **error);
gboolean  hotplug_sim_kernel_build (HotplugSimKernel *self, GError **error);
/* Starts answering writes (inotify in the thread-default main context). */
gboolean  hotplug_sim_kernel_start (HotplugSimKernel *self, GError **error);

/* The ctl verbs; argv[0] is the verb.  Output (for status) goes to OUT. */
gboolean  hotplug_sim_kernel_control (HotplugSimKernel *self, char **argv, GString *out,
                                      GError **error);

G_END_DECLS
