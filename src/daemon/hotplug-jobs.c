/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <stdlib.h>   /* __GLIBC__ */
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <glib/gstdio.h>

#include "hotplug-error.h"
#include "hotplug-enum-types.h"
#include "hotplug-jobs.h"
#include "hotplug-journal.h"
#include "hotplug-recovery.h"
#include "hotplug-log.h"
#include "hotplug-names.h"
#include "hotplug-platform-jobs.h"
#include "hotplug-util.h"

#define TOPIC "job"

struct _HotplugJobs
{
  GObject            parent_instance;

  HotplugPlatform   *platform;
  HotplugHookRunner *runner;
  HotplugConfig     *config;
  GHashTable        *jobs;       /* id → HotplugJob (ref) */
  /* the ended jobs still shown, by when they go (Linger, earliest first),
   * and the one timeout for the earliest: a source per job would make
   * every turn of the main loop look at each of them */
  GQueue             lingering;
  guint              linger_id;
  guint              next_id;
  HotplugPlatformJobs *policy;   /* the jobs the platform starts */
  gpointer           blockers;    /* HotplugBlockersWatch, not a reference */
  char              *state_dir;   /* NULL: nothing kept on disk */
  char              *journal_dir;
  GHashTable        *failed;      /* unit id → reason: left failed, from the state directory */
  char              *stopping;    /* why no new job is taken (the daemon stops), or NULL */
};

enum { SIGNAL_JOB_ADDED, SIGNAL_JOB_REMOVED, SIGNAL_KERNEL_WRITE, SIGNAL_IDLE, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_TYPE (HotplugJobs, hotplug_jobs, G_TYPE_OBJECT)

static const char *
unit_parent (HotplugUnit *unit)
{
  return hotplug_dbus_unit_get_parent (HOTPLUG_DBUS_UNIT (unit));
}

static const char *
unit_domain (HotplugUnit *unit)
{
  return hotplug_dbus_unit_get_domain (HOTPLUG_DBUS_UNIT (unit));
}

HotplugJob *
hotplug_jobs_find_conflict (HotplugJobs *self, HotplugUnit *unit)
{
  const char *id = hotplug_unit_get_id (unit);
  const char *parent = unit_parent (unit);
  const char *domain = unit_domain (unit);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->jobs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      HotplugJob *job = value;
      HotplugUnit *other = hotplug_job_get_unit (job);

      if (!hotplug_job_is_running (job))
        continue;
      /* a switchover or connect of the unit's domain */
      if (other == NULL)
        {
          if (domain && g_strcmp0 (hotplug_job_get_target_id (job), domain) == 0)
            return job;
          continue;
        }
      if (other == unit || g_str_equal (hotplug_unit_get_id (other), id) ||
          (parent && *parent && g_str_equal (hotplug_unit_get_id (other), parent)) ||
          g_strcmp0 (unit_parent (other), id) == 0)
        return job;
    }
  return NULL;
}

static gboolean
refuse_if_stopping (HotplugJobs *self, GError **error)
{
  if (self->stopping == NULL)
    return TRUE;
  g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_BUSY, "%s: no new job is taken", self->stopping);
  return FALSE;
}

gboolean
hotplug_jobs_check (HotplugJobs *self, HotplugUnit *unit, HotplugOperation op, HotplugOperationFlags flags,
                    GError **error)
{
  g_autofree char *noop = NULL;
  HotplugJob *busy;

  if (!refuse_if_stopping (self, error) || !hotplug_operation_check (self->platform, unit, op, flags, &noop, error))
    return FALSE;
  busy = hotplug_jobs_find_conflict (self, unit);
  if (busy)
    {
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_BUSY, "%s is busy: job %u (%s of %s) is running",
                   hotplug_unit_get_id (unit), hotplug_job_get_id (busy),
                   hotplug_dbus_job_get_operation (HOTPLUG_DBUS_JOB (busy)), hotplug_job_get_target_id (busy));
      return FALSE;
    }
  return TRUE;
}

HotplugJob *
hotplug_jobs_find_domain_conflict (HotplugJobs *self, HotplugDomain *domain)
{
  const char *id = hotplug_domain_get_id (domain);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->jobs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      HotplugJob *job = value;
      HotplugUnit *unit = hotplug_job_get_unit (job);

      if (!hotplug_job_is_running (job))
        continue;
      if (unit ? g_strcmp0 (unit_domain (unit), id) == 0 : g_str_equal (hotplug_job_get_target_id (job), id))
        return job;
    }
  return NULL;
}

gboolean
hotplug_jobs_check_domain (HotplugJobs *self, HotplugDomain *domain, HotplugOperation op, GError **error)
{
  g_autofree char *noop = NULL;
  HotplugJob *busy = hotplug_jobs_find_domain_conflict (self, domain);

  if (!refuse_if_stopping (self, error))
    return FALSE;
  if (busy)
    {
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_BUSY, "domain %s is busy: job %u (%s of %s) is running",
                   hotplug_domain_get_id (domain), hotplug_job_get_id (busy),
                   hotplug_dbus_job_get_operation (HOTPLUG_DBUS_JOB (busy)), hotplug_job_get_target_id (busy));
      return FALSE;
    }
  return hotplug_operation_check_domain (self->platform, domain, op, &noop, error);
}

typedef struct
{
  HotplugJob *job;     /* not a reference: self->jobs holds it */
  gint64      expiry;  /* monotonic µs */
} Linger;

static gboolean on_linger_over (gpointer user_data);

static void
arm_linger (HotplugJobs *self)
{
  Linger *first = g_queue_peek_head (&self->lingering);
  gint64 wait_us;

  if (first == NULL || self->linger_id)
    return;
  wait_us = MAX (first->expiry - g_get_monotonic_time (), 0);
  self->linger_id = g_timeout_add_full (G_PRIORITY_DEFAULT, (guint) MIN ((wait_us + 999) / 1000, G_MAXUINT),
                                        on_linger_over, self, NULL);
}

static void
remove_job (HotplugJobs *self, HotplugJob *lingered)
{
  g_autoptr(HotplugJob) job = g_object_ref (lingered);

  g_hash_table_remove (self->jobs, GUINT_TO_POINTER (hotplug_job_get_id (job)));
  g_signal_emit (self, signals[SIGNAL_JOB_REMOVED], 0, job);
}

static gboolean
on_linger_over (gpointer user_data)
{
  HotplugJobs *self = user_data;
  gint64 now = g_get_monotonic_time ();
  Linger *l;

  self->linger_id = 0;
  while ((l = g_queue_peek_head (&self->lingering)) && l->expiry <= now)
    {
      g_queue_pop_head (&self->lingering);
      remove_job (self, l->job);
      g_free (l);
    }
#ifdef __GLIBC__
  /* the last job gone: the heap that thousands of lingering jobs used
   * (their objects, strings, exported interfaces) goes back to the system
   * instead of staying with an idle daemon */
  if (g_hash_table_size (self->jobs) == 0)
    malloc_trim (0);
#endif
  arm_linger (self);
  return G_SOURCE_REMOVE;
}

/* in order of expiry: the same linger for every job keeps that the order
 * they ended in, a changed configuration may not */
static void
linger_add (HotplugJobs *self, HotplugJob *job, double seconds)
{
  Linger *l = g_new0 (Linger, 1);
  GList *after = self->lingering.tail;

  l->job = job;
  l->expiry = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  while (after && ((Linger *) after->data)->expiry > l->expiry)
    after = after->prev;
  if (after)
    g_queue_insert_after (&self->lingering, after, l);
  else
    {
      g_queue_push_head (&self->lingering, l);
      /* a new earliest: the timeout is for it */
      g_clear_handle_id (&self->linger_id, g_source_remove);
    }
  arm_linger (self);
}

/* A unit left failed stays failed across restarts until a job on it (not
 * a dry run) succeeds: a veto or a failure rolled back repairs nothing. */
static void
remember_failed (HotplugJobs *self, HotplugJob *job)
{
  HotplugDbusJob *j = HOTPLUG_DBUS_JOB (job);
  const char *unit = hotplug_job_get_target_id (job);
  gboolean failed = hotplug_job_get_unit_failed (job);
  g_autoptr(GError) error = NULL;

  /* a domain keeps its own state (failed included) */
  if (self->state_dir == NULL || hotplug_dbus_job_get_dry_run (j) || hotplug_job_get_unit (job) == NULL)
    return;
  if (!failed && (!g_hash_table_contains (self->failed, unit) ||
                  hotplug_job_get_state (job) != HOTPLUG_JOB_STATE_SUCCEEDED))
    return;
  if (failed)
    g_hash_table_insert (self->failed, g_strdup (unit), g_strdup (hotplug_dbus_job_get_reason (j)));
  else
    g_hash_table_remove (self->failed, unit);
  if (!hotplug_failed_units_set (self->state_dir, unit, failed ? hotplug_dbus_job_get_reason (j) : NULL, &error))
    hotplug_log_full (G_LOG_LEVEL_WARNING, TOPIC, unit, NULL, NULL, NULL, "%s", error->message);
}

static void
on_job_finished (HotplugJob *job, HotplugJobs *self)
{
  remember_failed (self, job);
  /* the unit job's changes to its domain are over (the model's pass at
   * the job's end has seen them) */
  if (g_object_get_data (G_OBJECT (job), "held-domain"))
    {
      hotplug_domain_hold (g_object_get_data (G_OBJECT (job), "held-domain"), FALSE);
      g_object_set_data (G_OBJECT (job), "held-domain", NULL);
    }
  linger_add (self, job, hotplug_config_get_job_linger (self->config));
  hotplug_platform_jobs_job_ended (self->policy, job);
  if (!hotplug_jobs_any_running (self))
    g_signal_emit (self, signals[SIGNAL_IDLE], 0);
}

gboolean
hotplug_jobs_any_running (HotplugJobs *self)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->jobs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (hotplug_job_is_running (value))
      return TRUE;
  return FALSE;
}

void
hotplug_jobs_stop (HotplugJobs *self, const char *reason)
{
  g_autoptr(GPtrArray) all = hotplug_jobs_get_all (self);

  g_free (self->stopping);
  self->stopping = g_strdup (reason);
  for (guint i = 0; i < all->len; i++)
    if (hotplug_job_is_running (g_ptr_array_index (all, i)))
      hotplug_job_cancel_with_reason (g_ptr_array_index (all, i), reason, NULL);
}

static void
on_job_kernel_write (HotplugJob *job, const char *path, const char *value, HotplugJobs *self)
{
  g_signal_emit (self, signals[SIGNAL_KERNEL_WRITE], 0, job, path, value);
}

static gboolean
start_idle (gpointer user_data)
{
  hotplug_job_start (HOTPLUG_JOB (user_data));
  return G_SOURCE_REMOVE;
}

static HotplugJob *
register_job (HotplugJobs *self, HotplugJob *job, const char *noop, guint delay_ms);

static HotplugJob *
create_job (HotplugJobs *self, HotplugUnit *unit, HotplugOperation op, const HotplugJobOptions *options,
            const char *initiator, const char *noop, const char *surprise, guint delay_ms)
{
  HotplugJob *job = hotplug_job_new (++self->next_id, unit, op, options, initiator, self->platform,
                                     self->runner, self->config);
  HotplugDomain *domain = hotplug_platform_lookup_domain (self->platform, unit_domain (unit));

  if (surprise)
    hotplug_job_set_surprise (job, surprise);
  /* devices this job takes away do not mean another host took the domain */
  if (domain && noop == NULL)
    {
      hotplug_domain_hold (domain, TRUE);
      g_object_set_data_full (G_OBJECT (job), "held-domain", g_object_ref (domain), g_object_unref);
    }
  return register_job (self, job, noop, delay_ms);
}

static HotplugJob *
register_job (HotplugJobs *self, HotplugJob *job, const char *noop, guint delay_ms)
{
  hotplug_job_set_journal_dir (job, self->journal_dir);
  if (noop)
    hotplug_job_set_noop (job, noop);
  g_hash_table_insert (self->jobs, GUINT_TO_POINTER (hotplug_job_get_id (job)), job);
  g_signal_connect (job, "finished", G_CALLBACK (on_job_finished), self);
  g_signal_connect (job, "kernel-write", G_CALLBACK (on_job_kernel_write), self);
  g_signal_emit (self, signals[SIGNAL_JOB_ADDED], 0, job);
  if (delay_ms)
    g_timeout_add_full (G_PRIORITY_DEFAULT, delay_ms, start_idle, g_object_ref (job), g_object_unref);
  else
    g_idle_add_full (G_PRIORITY_DEFAULT, start_idle, g_object_ref (job), g_object_unref);
  return job;
}

HotplugJob *
hotplug_jobs_create (HotplugJobs *self, HotplugUnit *unit, HotplugOperation op,
                     const HotplugJobOptions *options, const char *initiator, GError **error)
{
  g_autofree char *noop = NULL;
  HotplugOperationFlags flags = options ? options->flags : HOTPLUG_OPERATION_FLAG_NONE;

  if (!hotplug_jobs_check (self, unit, op, flags, error))
    return NULL;
  hotplug_operation_check (self->platform, unit, op, flags, &noop, NULL);
  return create_job (self, unit, op, options, initiator, noop, NULL, 0);
}

HotplugJob *
hotplug_jobs_create_for_domain (HotplugJobs *self, HotplugDomain *domain, HotplugOperation op,
                                const HotplugJobOptions *options, const char *initiator, GError **error)
{
  g_autofree char *noop = NULL;

  if (!hotplug_jobs_check_domain (self, domain, op, error))
    return NULL;
  hotplug_operation_check_domain (self->platform, domain, op, &noop, NULL);
  return register_job (self, hotplug_job_new_for_domain (++self->next_id, domain, op, options, initiator,
                                                         self->platform, self->runner, self->config),
                       noop, 0);
}

HotplugJob *
hotplug_jobs_lookup (HotplugJobs *self, guint id)
{
  return g_hash_table_lookup (self->jobs, GUINT_TO_POINTER (id));
}

static int
cmp_job (gconstpointer a, gconstpointer b)
{
  guint x = hotplug_job_get_id (*(HotplugJob **) a), y = hotplug_job_get_id (*(HotplugJob **) b);

  return x < y ? -1 : x > y;
}

GPtrArray *
hotplug_jobs_get_all (HotplugJobs *self)
{
  GPtrArray *all = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->jobs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (all, g_object_ref (value));
  g_ptr_array_sort (all, cmp_job);
  return all;
}

/* --- the state directory: failed units, recovery ------------------------ */

static void
hold_if_failed (HotplugJobs *self, HotplugUnit *unit)
{
  const char *reason = g_hash_table_lookup (self->failed, hotplug_unit_get_id (unit));

  if (reason)
    hotplug_unit_restore_failed (unit, reason);
}

void
hotplug_jobs_set_state_dir (HotplugJobs *self, const char *state_dir)
{
  g_autoptr(GPtrArray) units = NULL;

  g_clear_pointer (&self->state_dir, g_free);
  g_clear_pointer (&self->journal_dir, g_free);
  g_hash_table_remove_all (self->failed);
  if (state_dir == NULL)
    return;
  self->state_dir = g_strdup (state_dir);
  self->journal_dir = hotplug_journal_dir (state_dir);
  g_clear_pointer (&self->failed, g_hash_table_unref);
  self->failed = hotplug_failed_units_load (state_dir);
  units = hotplug_platform_get_units (self->platform);
  for (guint i = 0; i < units->len; i++)
    hold_if_failed (self, g_ptr_array_index (units, i));
}

static void
announce_recovery (HotplugJob *job, HotplugRecovery *r)
{
  hotplug_log_full (G_LOG_LEVEL_MESSAGE, TOPIC, r->unit, NULL, NULL, HOTPLUG_MSGID_JOB_RECOVERED,
                    "job %u takes over job %u of the stopped daemon (%s of %s): %s", hotplug_job_get_id (job),
                    r->original_job, hotplug_operation_to_string (r->op), r->unit,
                    r->forward ? "finishing it" : "rolling it back");
}

static void
recover_one (HotplugJobs *self, const char *path)
{
  g_autoptr(HotplugRecovery) r = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *note = NULL;
  g_autoptr(HotplugUnit) unit = NULL;
  HotplugJobOptions options = { 0 };
  HotplugJob *job;
  guint killed;
  int kind = HOTPLUG_UNIT_KIND_SB;

  if (!hotplug_recovery_read (path, &r, &note, &error))
    {
      g_autoptr(GError) e2 = NULL;
      g_autofree char *aside = hotplug_journal_set_aside (path, &e2);

      hotplug_log_full (G_LOG_LEVEL_WARNING, TOPIC, NULL, NULL, NULL, HOTPLUG_MSGID_JOURNAL_BAD,
                        "journal %s cannot be used: %s; %s%s: the operation it describes was neither "
                        "finished nor undone", path, error->message, aside ? "set aside as " : "",
                        aside ? aside : e2->message);
      return;
    }
  if (r == NULL)
    {
      if (note)
        hotplug_log_full (G_LOG_LEVEL_MESSAGE, TOPIC, NULL, NULL, NULL, NULL, "%s", note);
      g_unlink (path);
      return;
    }
  killed = hotplug_recovery_kill_leftovers (r);
  if (killed)
    hotplug_log_full (G_LOG_LEVEL_MESSAGE, TOPIC, r->unit, NULL, NULL, NULL,
                      "ended %u process(es) of hooks the stopped daemon left running", killed);
  options.force = r->force;
  if (hotplug_operation_on_domain (r->op))
    {
      HotplugDomain *domain = hotplug_platform_lookup_domain (self->platform, r->unit);
      g_autoptr(HotplugDomain) orphan = NULL;

      /* a domain the model no longer shows (taken while the daemon was
       * down): its hooks still run, its state goes nowhere */
      if (domain == NULL)
        domain = orphan = hotplug_domain_new (r->unit, NULL, FALSE, FALSE);
      job = register_job (self, hotplug_job_new_for_domain (++self->next_id, domain, r->op, &options, "recovery",
                                                            self->platform, self->runner, self->config),
                          NULL, 0);
      announce_recovery (job, r);
      hotplug_job_set_recovery (job, g_steal_pointer (&r));
      return;
    }
  unit = hotplug_platform_lookup_unit (self->platform, r->unit);
  if (unit)
    g_object_ref (unit);
  else
    {
      /* gone with the hardware (a board ejected while the daemon was
       * down): its hooks still get the job's facts */
      hotplug_enum_from_string (HOTPLUG_TYPE_UNIT_KIND, r->kind, &kind);
      unit = hotplug_unit_new (kind, r->unit);
      hotplug_unit_set_state (unit, HOTPLUG_UNIT_STATE_ABSENT);
    }
  job = create_job (self, unit, r->op, &options, "recovery", NULL, NULL, 0);
  announce_recovery (job, r);
  hotplug_job_set_recovery (job, g_steal_pointer (&r));
}

static void
on_unit_added (HotplugPlatform *platform, HotplugUnit *unit, HotplugJobs *self)
{
  hold_if_failed (self, unit);
}

guint
hotplug_jobs_recover (HotplugJobs *self)
{
  g_autoptr(GPtrArray) paths = NULL;
  guint before = self->next_id;

  if (self->journal_dir == NULL)
    return 0;
  paths = hotplug_journal_list (self->journal_dir);
  for (guint i = 0; i < paths->len; i++)
    recover_one (self, g_ptr_array_index (paths, i));
  return self->next_id - before;
}

/* --- jobs the platform starts ------------------------------------------ */

gboolean
hotplug_jobs_is_stopping (HotplugJobs *self)
{
  return self->stopping != NULL;
}

HotplugJob *
hotplug_jobs_create_platform (HotplugJobs *self, HotplugUnit *unit, HotplugOperation op, const char *surprise,
                              guint delay_ms)
{
  HotplugJobOptions options = { 0 };

  return create_job (self, unit, op, &options, "platform", NULL, surprise, delay_ms);
}

void
hotplug_jobs_set_blockers_watch (HotplugJobs *self, gpointer watch)
{
  self->blockers = watch;
}

gpointer
hotplug_jobs_get_blockers_watch (HotplugJobs *self)
{
  return self->blockers;
}

gboolean
hotplug_jobs_job_runs_on (HotplugJobs *self, const char *id)
{
  GHashTableIter iter;
  gpointer value;

  if (id == NULL)
    return FALSE;
  g_hash_table_iter_init (&iter, self->jobs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (hotplug_job_is_running (value) && hotplug_job_get_unit (value) &&
        g_str_equal (hotplug_unit_get_id (hotplug_job_get_unit (value)), id))
      return TRUE;
  return FALSE;
}

void
hotplug_jobs_set_platform_jobs (HotplugJobs *self, gboolean enabled)
{
  hotplug_platform_jobs_enable (self->policy, enabled);
}

/* --- object ----------------------------------------------------------- */

void
hotplug_jobs_set_config (HotplugJobs *self, HotplugConfig *config)
{
  hotplug_config_ref (config);
  hotplug_config_unref (self->config);
  self->config = config;
  hotplug_hook_runner_set_config (self->runner, config);
}

HotplugConfig *
hotplug_jobs_get_config (HotplugJobs *self)
{
  return self->config;
}

HotplugHookRunner *
hotplug_jobs_get_runner (HotplugJobs *self)
{
  return self->runner;
}

static void
hotplug_jobs_dispose (GObject *object)
{
  HotplugJobs *self = HOTPLUG_JOBS (object);

  g_clear_pointer (&self->policy, hotplug_platform_jobs_free);
  if (self->platform)
    g_signal_handlers_disconnect_by_data (self->platform, self);
  g_clear_handle_id (&self->linger_id, g_source_remove);
  g_queue_clear_full (&self->lingering, g_free);
  if (self->jobs)
    {
      GHashTableIter iter;
      gpointer value;

      g_hash_table_iter_init (&iter, self->jobs);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        g_signal_handlers_disconnect_by_data (value, self);
      g_clear_pointer (&self->jobs, g_hash_table_unref);
    }
  g_clear_object (&self->platform);
  g_clear_object (&self->runner);
  g_clear_pointer (&self->config, hotplug_config_unref);
  g_clear_pointer (&self->state_dir, g_free);
  g_clear_pointer (&self->journal_dir, g_free);
  g_clear_pointer (&self->stopping, g_free);
  g_clear_pointer (&self->failed, g_hash_table_unref);
  G_OBJECT_CLASS (hotplug_jobs_parent_class)->dispose (object);
}

static void
hotplug_jobs_class_init (HotplugJobsClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = hotplug_jobs_dispose;

  signals[SIGNAL_JOB_ADDED] = g_signal_new ("job-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                            0, NULL, NULL, NULL, G_TYPE_NONE, 1, HOTPLUG_TYPE_JOB);
  signals[SIGNAL_JOB_REMOVED] = g_signal_new ("job-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                              0, NULL, NULL, NULL, G_TYPE_NONE, 1, HOTPLUG_TYPE_JOB);
  signals[SIGNAL_KERNEL_WRITE] = g_signal_new ("kernel-write", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                               0, NULL, NULL, NULL, G_TYPE_NONE, 3, HOTPLUG_TYPE_JOB,
                                               G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_IDLE] = g_signal_new ("idle", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
hotplug_jobs_init (HotplugJobs *self)
{
  self->jobs = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  g_queue_init (&self->lingering);
  self->failed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

HotplugJobs *
hotplug_jobs_new (HotplugPlatform *platform, HotplugHookRunner *runner, HotplugConfig *config)
{
  HotplugJobs *self = g_object_new (HOTPLUG_TYPE_JOBS, NULL);

  self->platform = g_object_ref (platform);
  self->runner = g_object_ref (runner);
  self->config = hotplug_config_ref (config);
  g_signal_connect (platform, "unit-added", G_CALLBACK (on_unit_added), self);
  self->policy = hotplug_platform_jobs_new (self, platform);
  return self;
}
