/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "hotplug-job-private.h"
#include "hotplug-names.h"

/* A job's construction, for a unit or a domain, and what it tells about
 * itself; the engine is hotplug-job.c. */

static HotplugJob *
job_new (guint id, HotplugOperation op, const HotplugJobOptions *options, const char *initiator,
         HotplugPlatform *platform, HotplugHookRunner *runner, HotplugConfig *config)
{
  HotplugJob *self = g_object_new (HOTPLUG_TYPE_JOB, NULL);
  HotplugDbusJob *i = HOTPLUG_DBUS_JOB (self);

  self->id = id;
  self->path = g_strdup_printf (HOTPLUG_DBUS_JOB_PATH "/%u", id);
  self->op = op;
  if (options)
    self->options = *options;
  self->platform = g_object_ref (platform);
  self->runner = g_object_ref (runner);
  self->config = hotplug_config_ref (config);

  hotplug_dbus_job_set_id (i, id);
  hotplug_dbus_job_set_operation (i, hotplug_operation_to_string (op));
  hotplug_dbus_job_set_state (i, "running");
  hotplug_dbus_job_set_phase (i, "");
  hotplug_dbus_job_set_step (i, "");
  hotplug_dbus_job_set_hook (i, "");
  hotplug_dbus_job_set_reason (i, "");
  hotplug_dbus_job_set_pending (i, "");
  hotplug_dbus_job_set_pending_reason (i, "");
  hotplug_dbus_job_set_pending_since (i, 0);
  hotplug_dbus_job_set_dry_run (i, self->options.dry_run);
  hotplug_dbus_job_set_force (i, self->options.force);
  hotplug_dbus_job_set_initiator (i, initiator ? initiator : "");
  hotplug_dbus_job_set_start_time (i, g_get_real_time ());
  hotplug_dbus_job_set_end_time (i, 0);
  return self;
}

HotplugJob *
hotplug_job_new (guint                    id,
                 HotplugUnit             *unit,
                 HotplugOperation         op,
                 const HotplugJobOptions *options,
                 const char              *initiator,
                 HotplugPlatform         *platform,
                 HotplugHookRunner       *runner,
                 HotplugConfig           *config)
{
  HotplugJob *self = job_new (id, op, options, initiator, platform, runner, config);

  self->unit = g_object_ref (unit);
  self->facts = hotplug_hook_request_new ("", hotplug_dbus_unit_get_kind (HOTPLUG_DBUS_UNIT (unit)),
                                          hotplug_unit_get_id (unit));
  hotplug_job_take_facts (self, FALSE);
  hotplug_dbus_job_set_unit (HOTPLUG_DBUS_JOB (self), hotplug_unit_get_id (unit));
  hotplug_unit_job_attached (unit, self->path);
  return self;
}

HotplugJob *
hotplug_job_new_for_domain (guint                    id,
                            HotplugDomain           *domain,
                            HotplugOperation         op,
                            const HotplugJobOptions *options,
                            const char              *initiator,
                            HotplugPlatform         *platform,
                            HotplugHookRunner       *runner,
                            HotplugConfig           *config)
{
  HotplugJob *self = job_new (id, op, options, initiator, platform, runner, config);

  g_return_val_if_fail (hotplug_operation_on_domain (op), self);
  self->domain = g_object_ref (domain);
  self->facts = hotplug_hook_request_new ("", "domain", hotplug_domain_get_id (domain));
  hotplug_job_take_facts (self, FALSE);
  hotplug_dbus_job_set_unit (HOTPLUG_DBUS_JOB (self), hotplug_domain_get_id (domain));
  hotplug_domain_job_attached (domain, self->path);
  return self;
}

/* --- accessors ---------------------------------------------------------- */

void
hotplug_job_set_noop (HotplugJob *self, const char *reason)
{
  g_free (self->noop_reason);
  self->noop_reason = g_strdup (reason);
}

void
hotplug_job_set_refused (HotplugJob *self, const char *reason)
{
  g_free (self->refused);
  self->refused = g_strdup (reason);
}

void
hotplug_job_set_journal_dir (HotplugJob *self, const char *dir)
{
  g_free (self->journal_dir);
  self->journal_dir = g_strdup (dir);
}

void
hotplug_job_set_recovery (HotplugJob *self, HotplugRecovery *recovery)
{
  g_clear_pointer (&self->recovery, hotplug_recovery_free);
  self->recovery = recovery;
}

gboolean
hotplug_job_get_unit_failed (HotplugJob *self)
{
  return self->mode == MODE_DONE && self->undo_failed;
}

void
hotplug_job_set_surprise (HotplugJob *self, const char *reason)
{
  g_free (self->surprise_reason);
  self->surprise_reason = g_strdup (reason);
}

guint
hotplug_job_get_id (HotplugJob *self)
{
  return self->id;
}

const char *
hotplug_job_get_object_path (HotplugJob *self)
{
  return self->path;
}

HotplugUnit *
hotplug_job_get_unit (HotplugJob *self)
{
  return self->unit;
}

HotplugDomain *
hotplug_job_get_domain (HotplugJob *self)
{
  return self->domain;
}

const char *
hotplug_job_get_target_id (HotplugJob *self)
{
  return hotplug_job_target_id (self);
}

HotplugJobState
hotplug_job_get_state (HotplugJob *self)
{
  return self->mode == MODE_DONE ? self->end_state : HOTPLUG_JOB_STATE_RUNNING;
}

gboolean
hotplug_job_is_running (HotplugJob *self)
{
  return self->mode != MODE_DONE;
}

GPtrArray *
hotplug_job_get_steps (HotplugJob *self)
{
  return self->steps;
}
