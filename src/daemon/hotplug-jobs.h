/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "hotplug-job.h"

G_BEGIN_DECLS

/* The jobs of the daemon: creates them (after the checks every operation
 * gets before a job exists), keeps them while they run and for a while
 * after (config job-linger), journals them, takes over those a dead daemon
 * left, and holds the policy for the platform's own jobs
 * (hotplug-platform-jobs.h).
 *
 * Signals: "job-added" (HotplugJob *): export it; "job-removed"
 * (HotplugJob *): unexport it; "kernel-write" (HotplugJob *, path, value):
 * a job's sysfs write succeeded; "idle": the last running job ended. */
#define HOTPLUG_TYPE_JOBS (hotplug_jobs_get_type ())
G_DECLARE_FINAL_TYPE (HotplugJobs, hotplug_jobs, HOTPLUG, JOBS, GObject)

HotplugJobs       *hotplug_jobs_new (HotplugPlatform   *platform,
                                     HotplugHookRunner *runner,
                                     HotplugConfig     *config);

void               hotplug_jobs_set_config (HotplugJobs *self, HotplugConfig *config);
HotplugConfig     *hotplug_jobs_get_config (HotplugJobs *self);
HotplugHookRunner *hotplug_jobs_get_runner (HotplugJobs *self);

/* The running job that keeps @unit from getting one: a job on the unit
 * itself, on its parent, on one of its child slots, or on its domain.
 * NULL if none. */
HotplugJob        *hotplug_jobs_find_conflict (HotplugJobs *self, HotplugUnit *unit);

/* hotplug_operation_check (InvalidArgument, NotSupported, NotPresent,
 * strict's Failed), then Busy (errors as on the bus); the no-op answers
 * ("already online") become a job that succeeds at once. */
gboolean           hotplug_jobs_check (HotplugJobs          *self,
                                       HotplugUnit          *unit,
                                       HotplugOperation      op,
                                       HotplugOperationFlags flags,
                                       GError              **error);

/* Check again, create the job, announce it ("job-added": the manager
 * exports it), point Unit.Job at it, and start it from an idle (after the
 * caller's reply).  @initiator: the caller's unique name or "platform". */
HotplugJob        *hotplug_jobs_create (HotplugJobs             *self,
                                        HotplugUnit             *unit,
                                        HotplugOperation         op,
                                        const HotplugJobOptions *options,
                                        const char              *initiator,
                                        GError                 **error);

/* A domain's switchover or connect: Busy while a job runs on the domain
 * or on a unit in it, then hotplug_operation_check_domain(). */
HotplugJob        *hotplug_jobs_find_domain_conflict (HotplugJobs *self, HotplugDomain *domain);
gboolean           hotplug_jobs_check_domain (HotplugJobs     *self,
                                              HotplugDomain   *domain,
                                              HotplugOperation op,
                                              GError         **error);
HotplugJob        *hotplug_jobs_create_for_domain (HotplugJobs             *self,
                                                   HotplugDomain           *domain,
                                                   HotplugOperation         op,
                                                   const HotplugJobOptions *options,
                                                   const char              *initiator,
                                                   GError                 **error);

HotplugJob        *hotplug_jobs_lookup (HotplugJobs *self, guint id);
/* Every job held (running or lingering), by id. */
GPtrArray         *hotplug_jobs_get_all (HotplugJobs *self);

/* Journal every job under <STATE_DIR>/journal and keep units left failed
 * in <STATE_DIR>/failed-units (NULL: neither; unit tests).  Units listed
 * there show `failed` again. */
void               hotplug_jobs_set_state_dir (HotplugJobs *self, const char *state_dir);
/* Takes over the jobs a daemon that died left in the journal: each becomes
 * a job with Initiator "recovery" (rolled back, or finished where only
 * post-* hooks were left).  Unusable journals are set aside and logged.
 * Returns the number of jobs started. */
guint              hotplug_jobs_recover (HotplugJobs *self);
/* Whether a job runs. */
gboolean           hotplug_jobs_any_running (HotplugJobs *self);
/* Stopping: cancel every running job (rolled back, *-failed hooks run);
 * "idle" is emitted once no job runs any more.  From then on no new job is
 * taken (REASON says why: Error.Busy to a caller), but for the post-remove
 * hooks of a surprise removal. */
void               hotplug_jobs_stop (HotplugJobs *self, const char *reason);
gboolean           hotplug_jobs_is_stopping (HotplugJobs *self);

/* A job the platform starts (Initiator "platform"), after @delay_ms;
 * @surprise: a surprise removal with that reason (post-remove hooks only). */
HotplugJob        *hotplug_jobs_create_platform (HotplugJobs     *self,
                                                 HotplugUnit     *unit,
                                                 HotplugOperation op,
                                                 const char      *surprise,
                                                 guint            delay_ms);
/* The busy-device scan the platform's removes ask before they start
 * (NULL: none, unit tests).  Not a reference: the manager owns both. */
void               hotplug_jobs_set_blockers_watch (HotplugJobs *self, gpointer watch);
gpointer           hotplug_jobs_get_blockers_watch (HotplugJobs *self);
/* Whether a job runs on the unit with this id. */
gboolean           hotplug_jobs_job_runs_on (HotplugJobs *self, const char *id);

/* Platform-initiated jobs start only after start-up (a board that is
 * offline when the daemon starts is left as it is). */
void               hotplug_jobs_set_platform_jobs (HotplugJobs *self, gboolean enabled);

G_END_DECLS
