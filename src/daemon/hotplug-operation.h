/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "hotplug-domain.h"
#include "hotplug-operation-kind.h"
#include "hotplug-platform.h"
#include "hotplug-step.h"

G_BEGIN_DECLS

/* What an operation on a unit does, as a list of steps (hotplug-step.h),
 * planned from the platform model at the moment the job starts. */

/* What the caller asked for beyond the operation (Unit.Add/Remove options). */
typedef enum {
  HOTPLUG_OPERATION_FLAG_NONE      = 0,
  /* strict=true: SDI's rules — an operation with nothing to do fails
   * instead of succeeding as a no-op */
  HOTPLUG_OPERATION_FLAG_STRICT    = 1 << 0,
  /* eject was given (only Remove of a board or I/O unit takes it) */
  HOTPLUG_OPERATION_FLAG_EJECT_SET = 1 << 1,
  /* eject=false: a board or I/O unit is taken offline and left in place */
  HOTPLUG_OPERATION_FLAG_NO_EJECT  = 1 << 2,
  /* window was given (only Replace takes it) */
  HOTPLUG_OPERATION_FLAG_WINDOW_SET = 1 << 3,
} HotplugOperationFlags;

/* The answer an operation gets before any job exists, from the parts of
 * the unit as the model shows them (not from its State, which a failed
 * undo may leave half true):
 *  - HOTPLUG_ERROR_INVALID_ARGUMENT: eject given where it means nothing
 *    (Add, or a unit that is no board or I/O unit);
 *  - HOTPLUG_ERROR_NOT_PRESENT: the hardware is not there (an empty slot,
 *    an absent board or I/O unit), with a reason that says what to do;
 *  - HOTPLUG_ERROR_NOT_SUPPORTED: a slot the platform cannot power;
 *  - HOTPLUG_ERROR_FAILED: strict, and there is nothing to do.
 * TRUE otherwise, with *noop_reason set ("already online") when there is
 * nothing to do: Add when every part (every CPU, every memory block, the
 * container, a slot's or I/O unit's devices) is online; Remove when no
 * part is online and no eject is due. */
gboolean    hotplug_operation_check (HotplugPlatform      *platform,
                                     HotplugUnit          *unit,
                                     HotplugOperation      op,
                                     HotplugOperationFlags flags,
                                     char                **noop_reason,
                                     GError              **error);

/* Every step, hooks included, in run order; only what is not done yet (a
 * CPU already offline is not offlined again), so that a half-done unit is
 * finished by the same operation:
 *  sb remove: pre-remove, offline each online CPU, offline each online
 *    memory block from the highest down, container online=0 (if it is 1),
 *    eject (unless HOTPLUG_OPERATION_FLAG_NO_EJECT), post-remove.
 *  sb add: pre-add, container online=1 (if 0), online each offline block
 *    from the lowest up (online_type), online each offline CPU, post-add.
 *  cpu / memory: the one CPU, the unit's blocks, in the same orders.
 *  slot remove: pre-remove, remove each device deepest first, power off,
 *    post-remove.  slot add: pre-add, power on, rescan, wait for the
 *    devices, post-add.
 *  iou remove: pre-remove, devices deepest first, container online=0,
 *    eject (unless HOTPLUG_OPERATION_FLAG_NO_EJECT), post-remove.  iou add: pre-add, container online=1 (if 0),
 *    rescan, wait for the devices, post-add. */
GPtrArray  *hotplug_operation_plan (HotplugPlatform      *platform,
                                    HotplugUnit          *unit,
                                    HotplugOperation      op,
                                    HotplugOperationFlags flags,
                                    const char           *online_type);

/* Hot replace of a board, I/O unit or slot: pre-replace; quiesce (the
 * unit shows quiesced; undone by rebinding its devices); freeze each of
 * @mount_points (the filesystems on the unit's block devices); the window
 * (wait for the swap or Job.Resume); thaw them in reverse order; rebind
 * (a rescan, then wait for the devices; not for a board); post-replace. */
GPtrArray  *hotplug_operation_plan_replace (HotplugUnit        *unit,
                                            const char * const *mount_points);

/* PCI domains (hotplug-operation-domain.c).  The answer before any job:
 *  - switchover: nothing to do (*noop_reason) on a disconnected domain
 *    ("already disconnected") or an inactive one ("not owned by this
 *    host"); a connected or failed one is disconnected;
 *  - connect: nothing to do on a connected one; HOTPLUG_ERROR_BUSY while
 *    it is disconnecting; HOTPLUG_ERROR_NOT_PRESENT when the platform has
 *    not handed it to this host (no root bus). */
gboolean    hotplug_operation_check_domain (HotplugPlatform *platform,
                                            HotplugDomain   *domain,
                                            HotplugOperation op,
                                            char           **noop_reason,
                                            GError         **error);
/* switchover: pre-switchover; for every device of the domain, deepest
 * first: check it is not in use (unless @force), unbind its driver (if
 * one is bound), remove it; post-switchover.
 * connect: rescan each root bus; probe a driver for each device present
 * without one; wait for the domain's devices; post-connect. */
GPtrArray  *hotplug_operation_plan_domain (HotplugPlatform *platform,
                                           HotplugDomain   *domain,
                                           HotplugOperation op,
                                           gboolean         force);

/* The phase a step of the operation belongs to: the hook event for hook
 * steps, "enable" (add) or "disable" (remove) for the others; for a
 * replace "quiesce" up to the window, "resume" after it. */
const char *hotplug_operation_step_phase (HotplugOperation   op,
                                          const HotplugStep *step);

/* Whether the kernel (as the model shows it) confirms a step as done. */
gboolean    hotplug_operation_step_done (HotplugPlatform   *platform,
                                         const HotplugStep *step);

G_END_DECLS
