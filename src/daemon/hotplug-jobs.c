/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "hotplug-error.h"
#include "hotplug-jobs.h"
#include "hotplug-log.h"
#include "hotplug-names.h"

#define TOPIC "job"
/* A new board or CPU is announced as its devices arrive one event at a
 * time: give the rest of them this long before planning its add. */
#define AUTO_ADD_SETTLE_MS 1000

struct _HotplugJobs
{
  GObject            parent_instance;

  HotplugPlatform   *platform;
  HotplugHookRunner *runner;
  HotplugConfig     *config;
  GHashTable        *jobs;       /* id → HotplugJob (ref) */
  GHashTable        *linger;     /* HotplugJob → source id */
  guint              next_id;
  gboolean           platform_jobs;
};

enum { SIGNAL_JOB_ADDED, SIGNAL_JOB_REMOVED, SIGNAL_KERNEL_WRITE, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_TYPE (HotplugJobs, hotplug_jobs, G_TYPE_OBJECT)

static const char *
unit_parent (HotplugUnit *unit)
{
  return hotplug_dbus_unit_get_parent (HOTPLUG_DBUS_UNIT (unit));
}

HotplugJob *
hotplug_jobs_find_conflict (HotplugJobs *self, HotplugUnit *unit)
{
  const char *id = hotplug_unit_get_id (unit);
  const char *parent = unit_parent (unit);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->jobs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      HotplugJob *job = value;
      HotplugUnit *other = hotplug_job_get_unit (job);

      if (!hotplug_job_is_running (job))
        continue;
      if (other == unit || g_str_equal (hotplug_unit_get_id (other), id) ||
          (parent && *parent && g_str_equal (hotplug_unit_get_id (other), parent)) ||
          g_strcmp0 (unit_parent (other), id) == 0)
        return job;
    }
  return NULL;
}

gboolean
hotplug_jobs_check (HotplugJobs *self, HotplugUnit *unit, HotplugOperation op, HotplugOperationFlags flags,
                    GError **error)
{
  g_autofree char *noop = NULL;
  HotplugJob *busy;

  if (!hotplug_operation_check (self->platform, unit, op, flags, &noop, error))
    return FALSE;
  busy = hotplug_jobs_find_conflict (self, unit);
  if (busy)
    {
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_BUSY, "%s is busy: job %u (%s of %s) is running",
                   hotplug_unit_get_id (unit), hotplug_job_get_id (busy),
                   hotplug_dbus_job_get_operation (HOTPLUG_DBUS_JOB (busy)),
                   hotplug_unit_get_id (hotplug_job_get_unit (busy)));
      return FALSE;
    }
  return TRUE;
}

static gboolean
on_linger_over (gpointer user_data)
{
  HotplugJob *job = user_data;
  HotplugJobs *self = g_object_get_data (G_OBJECT (job), "hotplug-jobs");
  g_autoptr(HotplugJob) ref = g_object_ref (job);

  g_hash_table_remove (self->linger, job);
  g_hash_table_remove (self->jobs, GUINT_TO_POINTER (hotplug_job_get_id (job)));
  g_signal_emit (self, signals[SIGNAL_JOB_REMOVED], 0, job);
  return G_SOURCE_REMOVE;
}

static void
on_job_finished (HotplugJob *job, HotplugJobs *self)
{
  double linger = hotplug_config_get_job_linger (self->config);
  guint ms = (guint) (linger * 1000.0);

  g_hash_table_insert (self->linger, job, GUINT_TO_POINTER (g_timeout_add (ms, on_linger_over, job)));
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
create_job (HotplugJobs *self, HotplugUnit *unit, HotplugOperation op, const HotplugJobOptions *options,
            const char *initiator, const char *noop, const char *surprise, guint delay_ms)
{
  HotplugJob *job = hotplug_job_new (++self->next_id, unit, op, options, initiator, self->platform,
                                     self->runner, self->config);

  if (noop)
    hotplug_job_set_noop (job, noop);
  if (surprise)
    hotplug_job_set_surprise (job, surprise);
  g_object_set_data (G_OBJECT (job), "hotplug-jobs", self);
  g_hash_table_insert (self->jobs, GUINT_TO_POINTER (hotplug_job_get_id (job)), job);
  g_signal_connect (job, "finished", G_CALLBACK (on_job_finished), self);
  g_signal_connect (job, "kernel-write", G_CALLBACK (on_job_kernel_write), self);
  g_signal_emit (self, signals[SIGNAL_JOB_ADDED], 0, job);
  hotplug_unit_update_string (unit, "job", hotplug_job_get_object_path (job));
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

/* --- jobs the platform starts ------------------------------------------ */

static void
platform_job (HotplugJobs *self, HotplugUnit *unit, HotplugOperation op, const char *surprise,
              guint delay_ms, const char *why)
{
  HotplugJob *busy = hotplug_jobs_find_conflict (self, unit);
  HotplugJobOptions options = { FALSE, FALSE, 0 };
  HotplugJob *job;

  if (busy)
    {
      hotplug_log_full (G_LOG_LEVEL_MESSAGE, TOPIC, hotplug_unit_get_id (unit), NULL, NULL, NULL,
                        "%s: no %s job, job %u runs", why, hotplug_operation_to_string (op),
                        hotplug_job_get_id (busy));
      return;
    }
  job = create_job (self, unit, op, &options, "platform", NULL, surprise, delay_ms);
  hotplug_log_full (G_LOG_LEVEL_MESSAGE, TOPIC, hotplug_unit_get_id (unit), NULL, NULL, NULL,
                    "%s: job %u (%s)", why, hotplug_job_get_id (job), hotplug_operation_to_string (op));
}

static void
on_eject_request (HotplugPlatform *platform, HotplugUnit *unit, HotplugJobs *self)
{
  if (!self->platform_jobs || !hotplug_config_get_auto_remove_on_eject (self->config))
    return;
  /* no "already offline" shortcut: the job must end with the eject the
   * firmware asked for */
  platform_job (self, unit, HOTPLUG_OPERATION_REMOVE, NULL, 0, "eject request");
}

static gboolean
has_offline_cpu (HotplugJobs *self, HotplugUnit *unit)
{
  GArray *cpus = hotplug_unit_get_cpu_list (unit);

  for (guint i = 0; i < cpus->len; i++)
    if (!hotplug_platform_cpu_is_online (self->platform, g_array_index (cpus, guint, i)))
      return TRUE;
  return FALSE;
}

/* the board or I/O unit a slot was last seen in: a model pass that takes
 * a slot's devices away together with the bridge above them (an I/O unit's
 * remove job) also loses the slot's parent, while that parent's job runs */
static void
remember_parent (HotplugUnit *unit)
{
  const char *parent = unit_parent (unit);

  if (parent && *parent)
    g_object_set_data_full (G_OBJECT (unit), "hotplug-last-parent", g_strdup (parent), g_free);
}

static void
on_unit_parent (HotplugUnit *unit, GParamSpec *pspec, HotplugJobs *self)
{
  remember_parent (unit);
}

static gboolean
job_runs_on (HotplugJobs *self, const char *id)
{
  GHashTableIter iter;
  gpointer value;

  if (id == NULL)
    return FALSE;
  g_hash_table_iter_init (&iter, self->jobs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (hotplug_job_is_running (value) && g_str_equal (hotplug_unit_get_id (hotplug_job_get_unit (value)), id))
      return TRUE;
  return FALSE;
}

static void
on_unit_state (HotplugUnit *unit, GParamSpec *pspec, HotplugJobs *self)
{
  HotplugUnitState was = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (unit), "hotplug-kernel-state"));
  HotplugUnitState now = hotplug_unit_get_state (unit);

  g_object_set_data (G_OBJECT (unit), "hotplug-kernel-state", GINT_TO_POINTER (now));
  /* only a slot loses its devices by surprise: a board or CPU that goes
   * offline was taken offline by someone (an administrator writing sysfs),
   * which is no removal */
  if (!self->platform_jobs || !hotplug_config_get_surprise_removal_hooks (self->config) ||
      hotplug_unit_get_kind (unit) != HOTPLUG_UNIT_KIND_SLOT ||
      was != HOTPLUG_UNIT_STATE_ONLINE || now == HOTPLUG_UNIT_STATE_ONLINE)
    return;
  /* devices vanished from a slot while no job of ours ran on it or on
   * what it sits in: the card was pulled.  (A job that ends releases the
   * unit's state while Unit.Job still names it: that is no surprise.) */
  if (g_strcmp0 (hotplug_dbus_unit_get_job (HOTPLUG_DBUS_UNIT (unit)), "/") != 0 ||
      hotplug_jobs_find_conflict (self, unit) ||
      job_runs_on (self, g_object_get_data (G_OBJECT (unit), "hotplug-last-parent")))
    return;
  platform_job (self, unit, HOTPLUG_OPERATION_REMOVE, "surprise removal", 0, "surprise removal");
}

static void
on_unit_added (HotplugPlatform *platform, HotplugUnit *unit, HotplugJobs *self)
{
  HotplugUnitKind kind = hotplug_unit_get_kind (unit);

  if (kind == HOTPLUG_UNIT_KIND_SLOT)
    {
      g_object_set_data (G_OBJECT (unit), "hotplug-kernel-state", GINT_TO_POINTER (hotplug_unit_get_state (unit)));
      g_signal_connect_object (unit, "notify::state", G_CALLBACK (on_unit_state), self, 0);
      remember_parent (unit);
      g_signal_connect_object (unit, "notify::parent", G_CALLBACK (on_unit_parent), self, 0);
    }
  if (!self->platform_jobs || !hotplug_config_get_auto_add (self->config))
    return;
  if ((kind == HOTPLUG_UNIT_KIND_SB || kind == HOTPLUG_UNIT_KIND_CPU) && has_offline_cpu (self, unit))
    platform_job (self, unit, HOTPLUG_OPERATION_ADD, NULL, AUTO_ADD_SETTLE_MS,
                  kind == HOTPLUG_UNIT_KIND_SB ? "new board" : "hot-added CPU");
  else if ((kind == HOTPLUG_UNIT_KIND_SB || kind == HOTPLUG_UNIT_KIND_IOU) &&
           hotplug_unit_get_state (unit) == HOTPLUG_UNIT_STATE_OFFLINE)
    platform_job (self, unit, HOTPLUG_OPERATION_ADD, NULL, AUTO_ADD_SETTLE_MS,
                  kind == HOTPLUG_UNIT_KIND_SB ? "new board" : "new I/O unit");
}

void
hotplug_jobs_set_platform_jobs (HotplugJobs *self, gboolean enabled)
{
  self->platform_jobs = enabled;
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

  if (self->platform)
    g_signal_handlers_disconnect_by_data (self->platform, self);
  if (self->linger)
    {
      GHashTableIter iter;
      gpointer value;

      g_hash_table_iter_init (&iter, self->linger);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        g_source_remove (GPOINTER_TO_UINT (value));
      g_clear_pointer (&self->linger, g_hash_table_unref);
    }
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
}

static void
hotplug_jobs_init (HotplugJobs *self)
{
  self->jobs = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  self->linger = g_hash_table_new (NULL, NULL);
}

HotplugJobs *
hotplug_jobs_new (HotplugPlatform *platform, HotplugHookRunner *runner, HotplugConfig *config)
{
  HotplugJobs *self = g_object_new (HOTPLUG_TYPE_JOBS, NULL);
  g_autoptr(GPtrArray) units = hotplug_platform_get_units (platform);

  self->platform = g_object_ref (platform);
  self->runner = g_object_ref (runner);
  self->config = hotplug_config_ref (config);
  g_signal_connect (platform, "unit-added", G_CALLBACK (on_unit_added), self);
  /* a board or I/O unit inserted where it was ejected is the same unit
   * back: its platform-started add runs as for a new one */
  g_signal_connect (platform, "unit-present", G_CALLBACK (on_unit_added), self);
  g_signal_connect (platform, "eject-request", G_CALLBACK (on_eject_request), self);
  for (guint i = 0; i < units->len; i++)
    on_unit_added (platform, g_ptr_array_index (units, i), self);
  return self;
}
