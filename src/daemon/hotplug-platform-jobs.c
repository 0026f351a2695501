/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "hotplug-blockers.h"
#include "hotplug-blockers-watch.h"
#include "hotplug-log.h"
#include "hotplug-platform-jobs.h"

#define TOPIC "job"
/* A new board or CPU is announced as its devices arrive one event at a
 * time: give the rest of them this long before planning its add. */
#define AUTO_ADD_SETTLE_MS 1000

/* What the policy remembers of a slot between two of its state changes. */
typedef struct
{
  HotplugUnitState was;     /* the kernel's state at the last change */
  char            *parent;  /* the board or I/O unit it was last seen in */
} SlotWatch;

struct _HotplugPlatformJobs
{
  HotplugJobs     *jobs;      /* owns this */
  HotplugPlatform *platform;
  gboolean         enabled;
  GHashTable      *slots;     /* HotplugUnit → SlotWatch */
  GHashTable      *ejects;    /* unit id → HotplugUnit (ref): eject requests waiting for a job */
};

static void
slot_watch_free (SlotWatch *w)
{
  g_free (w->parent);
  g_free (w);
}

static HotplugConfig *
config (HotplugPlatformJobs *self)
{
  return hotplug_jobs_get_config (self->jobs);
}

static const char *
unit_parent (HotplugUnit *unit)
{
  return hotplug_dbus_unit_get_parent (HOTPLUG_DBUS_UNIT (unit));
}

static void
platform_job (HotplugPlatformJobs *self, HotplugUnit *unit, HotplugOperation op, const char *surprise,
              guint delay_ms, const char *why)
{
  HotplugJob *busy = hotplug_jobs_find_conflict (self->jobs, unit);
  HotplugJob *job;

  /* a stopping daemon changes nothing more; what is gone is still told */
  if (surprise == NULL && hotplug_jobs_is_stopping (self->jobs))
    {
      hotplug_log_full (G_LOG_LEVEL_MESSAGE, TOPIC, hotplug_unit_get_id (unit), NULL, NULL, NULL,
                        "%s: no %s job, hotplugd is stopping", why, hotplug_operation_to_string (op));
      return;
    }
  if (busy)
    {
      hotplug_log_full (G_LOG_LEVEL_MESSAGE, TOPIC, hotplug_unit_get_id (unit), NULL, NULL, NULL,
                        "%s: no %s job, job %u runs", why, hotplug_operation_to_string (op),
                        hotplug_job_get_id (busy));
      return;
    }
  job = hotplug_jobs_create_platform (self->jobs, unit, op, surprise, delay_ms);
  hotplug_log_full (G_LOG_LEVEL_MESSAGE, TOPIC, hotplug_unit_get_id (unit), NULL, NULL, NULL,
                    "%s: job %u (%s)", why, hotplug_job_get_id (job), hotplug_operation_to_string (op));
}

/* --- eject requests ------------------------------------------------------ */

typedef struct
{
  HotplugPlatformJobs *self;
  HotplugUnit         *unit;
  const char          *why;
} EjectCheck;

static void
on_eject_checked (GObject *source, GAsyncResult *res, gpointer user_data)
{
  EjectCheck *c = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) blockers = hotplug_blockers_watch_check_finish (HOTPLUG_BLOCKERS_WATCH (source), res,
                                                                        &error);
  g_autofree char *what = blockers ? hotplug_blockers_describe (blockers) : NULL;
  HotplugJob *job;

  if (hotplug_jobs_find_conflict (c->self->jobs, c->unit))
    ;
  else if (blockers && blockers->len == 0)
    platform_job (c->self, c->unit, HOTPLUG_OPERATION_REMOVE, NULL, 0, c->why);
  else
    {
      /* busy devices are never pulled, whoever asks: a job that fails at
       * once shows the refusal where clients look for the outcome */
      g_autofree char *reason = blockers ? g_strdup_printf ("the firmware asked to eject %s, but it is busy: %s",
                                                            hotplug_unit_get_id (c->unit), what)
                                         : g_strdup_printf ("the firmware asked to eject %s, but whether it is "
                                                            "busy cannot be told: %s",
                                                            hotplug_unit_get_id (c->unit), error->message);

      job = hotplug_jobs_create_platform (c->self->jobs, c->unit, HOTPLUG_OPERATION_REMOVE, NULL, 0);
      hotplug_job_set_refused (job, reason);
      hotplug_log_full (G_LOG_LEVEL_WARNING, TOPIC, hotplug_unit_get_id (c->unit), NULL, NULL, NULL,
                        "%s: refused in job %u: %s", c->why, hotplug_job_get_id (job), reason);
    }
  g_object_unref (c->unit);
  g_object_unref (c->self->jobs);
  g_free (c);
}

/* The remove that ends in the eject, unless the unit is busy (asked
 * afresh, in a worker); without a busy-device scan (unit tests), at once.
 * No "already offline" shortcut: the job must end with the eject the
 * firmware asked for. */
static void
eject_if_idle (HotplugPlatformJobs *self, HotplugUnit *unit, const char *why)
{
  HotplugBlockersWatch *watch = hotplug_jobs_get_blockers_watch (self->jobs);
  EjectCheck *c;

  if (watch == NULL)
    {
      platform_job (self, unit, HOTPLUG_OPERATION_REMOVE, NULL, 0, why);
      return;
    }
  c = g_new0 (EjectCheck, 1);
  /* the registry owns the policy: kept alive until the answer */
  g_object_ref (self->jobs);
  c->self = self;
  c->unit = g_object_ref (unit);
  c->why = why;
  hotplug_blockers_watch_check_async (watch, unit, on_eject_checked, c);
}

static void
on_eject_request (HotplugPlatform *platform, HotplugUnit *unit, HotplugPlatformJobs *self)
{
  HotplugJob *busy;

  if (!self->enabled || !hotplug_config_get_auto_remove_on_eject (config (self)))
    return;
  busy = hotplug_jobs_find_conflict (self->jobs, unit);
  if (busy == NULL)
    {
      eject_if_idle (self, unit, "eject request");
      return;
    }
  /* the firmware wants the board out: an add of it stops, any other job
   * finishes first; the remove runs when it ends */
  g_hash_table_replace (self->ejects, g_strdup (hotplug_unit_get_id (unit)), g_object_ref (unit));
  hotplug_unit_set_eject_pending (unit, TRUE);
  hotplug_log_full (G_LOG_LEVEL_MESSAGE, TOPIC, hotplug_unit_get_id (unit), NULL, NULL, NULL,
                    "eject request: queued until job %u ends", hotplug_job_get_id (busy));
  if (hotplug_job_get_unit (busy) == unit &&
      g_str_equal (hotplug_dbus_job_get_operation (HOTPLUG_DBUS_JOB (busy)), "add"))
    hotplug_job_cancel_with_reason (busy, "the firmware asked to eject the unit", NULL);
}

static gboolean
run_queued_ejects (gpointer user_data)
{
  HotplugPlatformJobs *self = user_data;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->ejects);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      HotplugUnit *unit = value;

      if (hotplug_jobs_find_conflict (self->jobs, unit))
        continue;
      hotplug_unit_set_eject_pending (unit, FALSE);
      if (hotplug_unit_get_state (unit) != HOTPLUG_UNIT_STATE_ABSENT)
        eject_if_idle (self, unit, "queued eject request");
      g_hash_table_iter_remove (&iter);
    }
  return G_SOURCE_REMOVE;
}

void
hotplug_platform_jobs_job_ended (HotplugPlatformJobs *self, HotplugJob *job)
{
  if (g_hash_table_size (self->ejects) > 0)
    run_queued_ejects (self);
}

/* --- new hardware, surprise removal -------------------------------------- */

static gboolean
has_offline_cpu (HotplugPlatformJobs *self, HotplugUnit *unit)
{
  GArray *cpus = hotplug_unit_get_cpu_list (unit);

  for (guint i = 0; i < cpus->len; i++)
    if (!hotplug_platform_cpu_is_online (self->platform, g_array_index (cpus, guint, i)))
      return TRUE;
  return FALSE;
}

static void
on_slot_parent (HotplugUnit *unit, GParamSpec *pspec, HotplugPlatformJobs *self)
{
  SlotWatch *w = g_hash_table_lookup (self->slots, unit);
  const char *parent = unit_parent (unit);

  /* a model pass that takes a slot's devices away together with the
   * bridge above them (an I/O unit's remove job) also loses the slot's
   * parent, while that parent's job runs: keep the last one seen */
  if (w && parent && *parent)
    {
      g_free (w->parent);
      w->parent = g_strdup (parent);
    }
}

static void
on_slot_state (HotplugUnit *unit, GParamSpec *pspec, HotplugPlatformJobs *self)
{
  SlotWatch *w = g_hash_table_lookup (self->slots, unit);
  HotplugUnitState now = hotplug_unit_get_state (unit);
  HotplugUnitState was;

  if (w == NULL)
    return;
  was = w->was;
  w->was = now;
  if (!self->enabled || !hotplug_config_get_surprise_removal_hooks (config (self)) ||
      was != HOTPLUG_UNIT_STATE_ONLINE || now == HOTPLUG_UNIT_STATE_ONLINE)
    return;
  /* devices vanished from a slot while no job of ours ran on it or on
   * what it sits in: the card was pulled.  (A job that ends releases the
   * unit's state while Unit.Job still names it: that is no surprise.) */
  if (g_strcmp0 (hotplug_dbus_unit_get_job (HOTPLUG_DBUS_UNIT (unit)), "/") != 0 ||
      hotplug_jobs_find_conflict (self->jobs, unit) || hotplug_jobs_job_runs_on (self->jobs, w->parent))
    return;
  platform_job (self, unit, HOTPLUG_OPERATION_REMOVE, "surprise removal", 0, "surprise removal");
}

static void
watch_slot (HotplugPlatformJobs *self, HotplugUnit *unit)
{
  SlotWatch *w = g_new0 (SlotWatch, 1);
  const char *parent = unit_parent (unit);

  w->was = hotplug_unit_get_state (unit);
  w->parent = g_strdup (parent && *parent ? parent : NULL);
  g_hash_table_replace (self->slots, unit, w);
  g_signal_connect (unit, "notify::state", G_CALLBACK (on_slot_state), self);
  g_signal_connect (unit, "notify::parent", G_CALLBACK (on_slot_parent), self);
}

static void
on_unit_added (HotplugPlatform *platform, HotplugUnit *unit, HotplugPlatformJobs *self)
{
  HotplugUnitKind kind = hotplug_unit_get_kind (unit);

  if (kind == HOTPLUG_UNIT_KIND_SLOT && !g_hash_table_contains (self->slots, unit))
    watch_slot (self, unit);
  if (!self->enabled || !hotplug_config_get_auto_add (config (self)))
    return;
  if ((kind == HOTPLUG_UNIT_KIND_SB || kind == HOTPLUG_UNIT_KIND_CPU) && has_offline_cpu (self, unit))
    platform_job (self, unit, HOTPLUG_OPERATION_ADD, NULL, AUTO_ADD_SETTLE_MS,
                  kind == HOTPLUG_UNIT_KIND_SB ? "new board" : "hot-added CPU");
  else if ((kind == HOTPLUG_UNIT_KIND_SB || kind == HOTPLUG_UNIT_KIND_IOU) &&
           hotplug_unit_get_state (unit) == HOTPLUG_UNIT_STATE_OFFLINE)
    platform_job (self, unit, HOTPLUG_OPERATION_ADD, NULL, AUTO_ADD_SETTLE_MS,
                  kind == HOTPLUG_UNIT_KIND_SB ? "new board" : "new I/O unit");
}

static void
on_unit_removed (HotplugPlatform *platform, HotplugUnit *unit, HotplugPlatformJobs *self)
{
  if (g_hash_table_remove (self->slots, unit))
    g_signal_handlers_disconnect_by_data (unit, self);
}

void
hotplug_platform_jobs_enable (HotplugPlatformJobs *self, gboolean enabled)
{
  self->enabled = enabled;
}

HotplugPlatformJobs *
hotplug_platform_jobs_new (HotplugJobs *jobs, HotplugPlatform *platform)
{
  HotplugPlatformJobs *self = g_new0 (HotplugPlatformJobs, 1);
  g_autoptr(GPtrArray) units = hotplug_platform_get_units (platform);

  self->jobs = jobs;
  self->platform = g_object_ref (platform);
  self->slots = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) slot_watch_free);
  self->ejects = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  g_signal_connect (platform, "unit-added", G_CALLBACK (on_unit_added), self);
  /* a board or I/O unit inserted where it was ejected is the same unit
   * back: its platform-started add runs as for a new one */
  g_signal_connect (platform, "unit-present", G_CALLBACK (on_unit_added), self);
  g_signal_connect (platform, "unit-removed", G_CALLBACK (on_unit_removed), self);
  g_signal_connect (platform, "eject-request", G_CALLBACK (on_eject_request), self);
  for (guint i = 0; i < units->len; i++)
    on_unit_added (platform, g_ptr_array_index (units, i), self);
  return self;
}

void
hotplug_platform_jobs_free (HotplugPlatformJobs *self)
{
  GHashTableIter iter;
  gpointer unit;

  if (self == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->platform, self);
  g_hash_table_iter_init (&iter, self->slots);
  while (g_hash_table_iter_next (&iter, &unit, NULL))
    g_signal_handlers_disconnect_by_data (unit, self);
  g_hash_table_unref (self->slots);
  g_hash_table_unref (self->ejects);
  g_object_unref (self->platform);
  g_free (self);
}
