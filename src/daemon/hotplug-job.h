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
  guint    window_s;  /* Replace: the window for the swap; 0: the default */
  gboolean persist;   /* switchover: a device that refuses is asked again until the timeout */
} HotplugJobOptions;

/* the replace window when Replace is given none */
#define HOTPLUG_REPLACE_WINDOW_DEFAULT_S 300
#define HOTPLUG_REPLACE_WINDOW_MAX_S     86400

/* a{sv} of Unit.Add/Remove: force (b), dry-run (b), timeout (u > 0),
 * strict (b), eject (b; whether it applies to the unit is the operation's
 * check).  An unknown key or a wrong type is
 * HOTPLUG_ERROR_INVALID_ARGUMENT naming it. */
gboolean hotplug_job_options_parse (GVariant          *options,
                                    HotplugJobOptions *out,
                                    GError           **error);
/* a{sv} of Domain.PrepareForSwitchover: timeout, persist, force, dry-run;
 * of Domain.Connect: timeout, dry-run. */
gboolean hotplug_job_options_parse_domain (GVariant          *options,
                                           HotplugOperation   op,
                                           HotplugJobOptions *out,
                                           GError           **error);

/* A job taken over from a daemon that died in its middle: built from the
 * journal by hotplug-recovery.c, run by the same engine. */
typedef struct {
  char               *journal_path;  /* continued, and removed at the end */
  char               *unit;
  char               *kind;
  HotplugOperation    op;
  guint               original_job;
  gboolean            forward;       /* only the post-* hooks were left: finish */
  GPtrArray          *steps;         /* HotplugStep. forward: what is left to run;
                                      * back: the kernel steps possibly done, in run order */
  HotplugStep        *unsettled;     /* a kernel step in flight when the daemon died */
  GHashTable         *ran;           /* event → GPtrArray of the names of hooks that ran */
  HotplugJobState     state;         /* the outcome of a rollback */
  char               *reason;
  char               *failed_what;
  HotplugHookRequest *facts;         /* the unit as the job saw it */
  gboolean            force;
  gsize               valid_length;  /* of the journal: whole records */
  GArray             *leftovers;     /* int: process groups of hooks that never ended */
  GStrv               leftover_units; /* the transient units of such hooks */
} HotplugRecovery;

void             hotplug_recovery_free (HotplugRecovery *recovery);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotplugRecovery, hotplug_recovery_free)

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

/* A switchover or connect of a PCI domain: the same engine, the domain's
 * hook events (kind "domain"), and the domain told of the job's progress
 * (its ConnectionState is its own). */
HotplugJob      *hotplug_job_new_for_domain (guint                    id,
                                             HotplugDomain           *domain,
                                             HotplugOperation         op,
                                             const HotplugJobOptions *options,
                                             const char              *initiator,
                                             HotplugPlatform         *platform,
                                             HotplugHookRunner       *runner,
                                             HotplugConfig           *config);

/* Before start: end at once with succeeded and this reason. */
void             hotplug_job_set_noop (HotplugJob *self, const char *reason);
/* Before start: end at once with failed and this reason, running
 * nothing (a platform-started remove of a busy unit). */
void             hotplug_job_set_refused (HotplugJob *self, const char *reason);
/* Before start: a surprise removal — run only post-remove, with
 * HOTPLUG_FAILURE_REASON set to @reason. */
void             hotplug_job_set_surprise (HotplugJob *self, const char *reason);

/* Before start: journal under DIR (NULL: no journal). */
void             hotplug_job_set_journal_dir (HotplugJob *self, const char *dir);
/* Before start: take over a dead daemon's job (takes @recovery). */
void             hotplug_job_set_recovery (HotplugJob *self, HotplugRecovery *recovery);
/* The part of a replace is back (Job.Resume): end the window.  FALSE with
 * HOTPLUG_ERROR_FAILED when the job does not wait for a part. */
gboolean         hotplug_job_resume (HotplugJob *self, GError **error);
/* Whether the undo failed and the unit needs the administrator. */
gboolean         hotplug_job_get_unit_failed (HotplugJob *self);

/* Plan from the model as it is now and run. */
void             hotplug_job_start (HotplugJob *self);
/* Stop at the next safe point and roll back.  FALSE with
 * HOTPLUG_ERROR_FAILED when the job already ended. */
gboolean         hotplug_job_cancel (HotplugJob *self, GError **error);
/* The same, with the reason the job reports (the daemon stopping). */
gboolean         hotplug_job_cancel_with_reason (HotplugJob *self, const char *reason, GError **error);

guint            hotplug_job_get_id (HotplugJob *self);
const char      *hotplug_job_get_object_path (HotplugJob *self);
/* The unit the job works on, NULL for a domain's job. */
HotplugUnit     *hotplug_job_get_unit (HotplugJob *self);
/* The domain a switchover or connect works on, NULL for a unit's job. */
HotplugDomain   *hotplug_job_get_domain (HotplugJob *self);
/* The unit or domain id. */
const char      *hotplug_job_get_target_id (HotplugJob *self);
HotplugJobState  hotplug_job_get_state (HotplugJob *self);
gboolean         hotplug_job_is_running (HotplugJob *self);
/* The steps planned (after start), for tests and the dry run. */
GPtrArray       *hotplug_job_get_steps (HotplugJob *self);

G_END_DECLS
