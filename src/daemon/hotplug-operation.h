/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "hotplug-platform.h"
#include "hotplug-step.h"

G_BEGIN_DECLS

/* What an operation on a unit does, as a list of steps (hotplug-step.h),
 * planned from the platform model at the moment the job starts. */

typedef enum {
  HOTPLUG_OPERATION_ADD,
  HOTPLUG_OPERATION_REMOVE,
} HotplugOperation;

const char *hotplug_operation_to_string (HotplugOperation op); /* add, remove */

/* The answer an operation gets before any job exists: FALSE with
 * HOTPLUG_ERROR_NOT_PRESENT when the hardware is not there; TRUE otherwise,
 * with *noop_reason set ("already online") when there is nothing to do. */
gboolean    hotplug_operation_check (HotplugUnit     *unit,
                                     HotplugOperation op,
                                     char           **noop_reason,
                                     GError         **error);

/* Every step, hooks included, in run order:
 *  sb remove: pre-remove, offline each online CPU, offline each online
 *    memory block from the highest down, container online=0 (if it is 1),
 *    eject, post-remove.
 *  sb add: pre-add, container online=1 (if 0), online each offline block
 *    from the lowest up (online_type), online each offline CPU, post-add.
 *  cpu / memory: the one CPU, the unit's blocks, in the same orders.
 *  slot remove: pre-remove, remove each device deepest first, power off,
 *    post-remove.  slot add: pre-add, power on, rescan, wait for the
 *    devices, post-add.
 *  iou remove: pre-remove, devices deepest first, container online=0,
 *    eject, post-remove.  iou add: pre-add, container online=1 (if 0),
 *    rescan, wait for the devices, post-add. */
GPtrArray  *hotplug_operation_plan (HotplugPlatform *platform,
                                    HotplugUnit     *unit,
                                    HotplugOperation op,
                                    const char      *online_type);

/* The phase a step of the operation belongs to: the hook event for hook
 * steps, "enable" (add) or "disable" (remove) for the others. */
const char *hotplug_operation_step_phase (HotplugOperation   op,
                                          const HotplugStep *step);

/* Whether the kernel (as the model shows it) confirms a step as done. */
gboolean    hotplug_operation_step_done (HotplugPlatform   *platform,
                                         const HotplugStep *step);

G_END_DECLS
