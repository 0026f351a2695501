/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The inside of a job, shared by the files of the job engine only:
 * hotplug-job.c (the engine: plan, steps, rollback, the end),
 * hotplug-job-hooks.c (hook events and their facts) and
 * hotplug-job-journal.c (the crash journal's records). */

#include "hotplug-emit-throttle.h"
#include "hotplug-job.h"
#include "hotplug-journal.h"

G_BEGIN_DECLS

typedef enum {
  MODE_IDLE,      /* not started */
  MODE_RUN,       /* the plan */
  MODE_ROLLBACK,  /* undoing the kernel steps done, in reverse */
  MODE_FAILED,    /* the *-failed hooks */
  MODE_DONE,
} Mode;

struct _HotplugJob
{
  HotplugDbusJobSkeleton parent_instance;
  HotplugEmitThrottle    emit;   /* Step and Progress: hotplug-emit-throttle.h */

  guint              id;
  char              *path;
  HotplugUnit       *unit;        /* the target: a unit ... */
  HotplugDomain     *domain;      /* ... or a PCI domain (the other is NULL) */
  HotplugOperation   op;
  HotplugJobOptions  options;
  HotplugPlatform   *platform;
  HotplugHookRunner *runner;
  HotplugConfig     *config;

  char              *noop_reason;
  /* the unit's facts when the job was created, for every hook event: a
   * post-remove hook must learn what was removed (a board's CPUs, a slot's
   * devices), though the unit no longer shows it */
  HotplugHookRequest *facts;
  char              *surprise_reason;

  Mode               mode;
  GPtrArray         *steps;       /* HotplugStep: the plan */
  guint              pos;         /* next plan step */
  GPtrArray         *done;        /* HotplugStep (borrowed from steps): kernel steps done */
  GPtrArray         *undo;        /* HotplugStep: the rollback */
  guint              undo_pos;
  guint              signal_index;/* StepStarted index of the running step */
  GCancellable      *cancellable; /* fired by Cancel and the timeout: pre-* hooks only */
  gboolean           cancel_requested;
  gboolean           timed_out;
  guint              timeout_id;
  gint64             deadline;    /* monotonic, 0: none */
  gboolean           undo_failed;
  char              *undo_error;
  HotplugJobState    end_state;
  char              *end_reason;
  char              *failed_what; /* HOTPLUG_FAILED_HOOK */
  GPtrArray         *post_failures; /* char*: post-* hooks that failed */
  char              *cancel_reason; /* NULL: "cancelled" */
  const HotplugStep *unsettled;   /* written, not confirmed in time: settled before the undo */
  char              *journal_dir; /* NULL: no journal (unit tests) */
  HotplugJournal    *journal;
  HotplugRecovery   *recovery;    /* a job taken over from a daemon that died */
  char              *refused;     /* ends failed at once with this reason */
  /* the replace window (hotplug-job-replace.c) */
  guint              window_id;
  gulong             swap_handler;
  gulong             cancel_handler;
  guint              cancel_idle;
  /* a switchover that waits to ask again (hotplug-job-domain.c) */
  guint              retry_id;
  char              *resume_from; /* the pre-switchover hook that answered "not yet" */
};

/* hotplug-job.c */
void        hotplug_job_update_progress (HotplugJob *self);
void        hotplug_job_step_finished (HotplugJob *self, gboolean ok, const char *message);
void        hotplug_job_next (HotplugJob *self);
/* A step that changes the system ended (NULL: well): recorded as done and
 * on to the next, or the failure begins. */
void        hotplug_job_step_ended (HotplugJob *self, const GError *error);
void        hotplug_job_finish (HotplugJob *self);
/* Something went wrong: undo, then the *-failed hooks.  WHAT (a hook or a
 * step) is HOTPLUG_FAILED_HOOK; it prefixes the reason unless PREFIX is
 * false (the reason already names it). */
void        hotplug_job_fail (HotplugJob      *self,
                              HotplugJobState  state,
                              const char      *what,
                              const char      *reason,
                              gboolean         prefix);
void        hotplug_job_fail_named (HotplugJob *self, HotplugJobState state, const char *what, const char *reason);
const char *hotplug_job_cancel_reason (HotplugJob *self);

/* hotplug-job-domain.c: the target (a unit or a domain), and what only
 * switchover does */
const char *hotplug_job_target_id (HotplugJob *self);
void        hotplug_job_target_phase (HotplugJob *self, const char *phase);
void        hotplug_job_target_started (HotplugJob *self);
void        hotplug_job_target_ended (HotplugJob *self, HotplugJobState state, const char *reason, gint64 when);
/* CHECK_BUSY: fails the step naming the device's users */
void        hotplug_job_check_busy (HotplugJob *self, const HotplugStep *step);
/* A pre-switchover hook answered 75: ask it again later. */
void        hotplug_job_retry_hooks (HotplugJob *self, const char *hook, const char *path, const char *reason);
/* A step of a switchover with persist failed: whether it is retried later
 * (TRUE) or the failure goes on as usual. */
gboolean    hotplug_job_retry_step (HotplugJob *self, const GError *error);
/* Cancel or the time limit while waiting to ask again: ends the wait and
 * starts the failure.  FALSE when the job was not waiting. */
gboolean    hotplug_job_retry_interrupt (HotplugJob *self);
void        hotplug_job_retry_clear (HotplugJob *self);

/* hotplug-job-hooks.c */
void        hotplug_job_take_facts (HotplugJob *self, gboolean fill_only);
void        hotplug_job_run_hooks (HotplugJob *self, const char *event, gboolean dry_run);

/* hotplug-job-replace.c */
void        hotplug_job_quiesce (HotplugJob *self, const HotplugStep *step);
void        hotplug_job_wait_swap (HotplugJob *self, const HotplugStep *step);
void        hotplug_job_window_clear (HotplugJob *self);

/* hotplug-job-journal.c: a record of KEY, GVariant * pairs (floating
 * references are consumed), NULL-terminated */
void        hotplug_job_journal (HotplugJob *self, const char *type, ...) G_GNUC_NULL_TERMINATED;
gboolean    hotplug_job_journal_begin (HotplugJob *self, GError **error);
void        hotplug_job_journal_step (HotplugJob *self, guint index, const HotplugStep *step);
void        hotplug_job_journal_step_done (HotplugJob *self, gboolean ok);

G_END_DECLS
