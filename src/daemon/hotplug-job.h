/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "hotplug-config.h"
#include "hotplug-dbus.h"
#include "hotplug-enums.h"
#include "hotplug-hooks.h"
#include "hotplug-operation.h"
#include "hotplug-platform.h"

G_BEGIN_DECLS

/* One operation on one unit, published as org.hotplugd.Hotplug1.Job.
 *
 * It runs its steps one at a time on the main loop: hook events through the
 * hook runner, sysfs writes in a worker thread (memory offlining can take
 * seconds), each kernel step then waits for the model to show the change.
 * On a veto nothing needs undoing; on a kernel failure, a cancel or the
 * job's timeout the kernel steps done so far are undone in reverse order,
 * and only then do the *-failed hooks run (descending), so that they see
 * the hardware restored.  A failed undo leaves the unit `failed`.
 *
 * Signals: "finished" (); "kernel-write" (path, value): a sysfs write
 * succeeded (path without the root prefix) — tests play the kernel on it. */

typedef struct {
  gboolean force;
  gboolean dry_run;
  guint    timeout_s; /* 0: none */
  HotplugOperationFlags flags; /* strict, eject */
} HotplugJobOptions;

/* a{sv} of Unit.Add/Remove: force (b), dry-run (b), timeout (u > 0),
 * strict (b), eject (b; whether it applies to the unit is the operation's
 * check).  An unknown key or a wrong type is
 * HOTPLUG_ERROR_INVALID_ARGUMENT naming it. */
gboolean hotplug_job_options_parse (GVariant          *options,
                                    HotplugJobOptions *out,
                                    GError           **error);

#define HOTPLUG_TYPE_JOB (hotplug_job_get_type ())
G_DECLARE_FINAL_TYPE (HotplugJob, hotplug_job, HOTPLUG, JOB, HotplugDbusJobSkeleton)

HotplugJob      *hotplug_job_new (guint                    id,
                                  HotplugUnit             *unit,
                                  HotplugOperation         op,
                                  const HotplugJobOptions *options,
                                  const char              *initiator,
                                  HotplugPlatform         *platform,
                                  HotplugHookRunner       *runner,
                                  HotplugConfig           *config);

/* Before start: end at once with succeeded and this reason. */
void             hotplug_job_set_noop (HotplugJob *self, const char *reason);
/* Before start: a surprise removal — run only post-remove, with
 * HOTPLUG_FAILURE_REASON set to @reason. */
void             hotplug_job_set_surprise (HotplugJob *self, const char *reason);

/* Plan from the model as it is now and run. */
void             hotplug_job_start (HotplugJob *self);
/* Stop at the next safe point and roll back.  FALSE with
 * HOTPLUG_ERROR_FAILED when the job already ended. */
gboolean         hotplug_job_cancel (HotplugJob *self, GError **error);

guint            hotplug_job_get_id (HotplugJob *self);
const char      *hotplug_job_get_object_path (HotplugJob *self);
HotplugUnit     *hotplug_job_get_unit (HotplugJob *self);
HotplugJobState  hotplug_job_get_state (HotplugJob *self);
gboolean         hotplug_job_is_running (HotplugJob *self);
/* The steps planned (after start), for tests and the dry run. */
GPtrArray       *hotplug_job_get_steps (HotplugJob *self);

G_END_DECLS
