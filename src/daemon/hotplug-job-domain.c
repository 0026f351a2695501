/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "hotplug-blockers.h"
#include "hotplug-enum-types.h"
#include "hotplug-error.h"
#include "hotplug-job-private.h"
#include "hotplug-log.h"
#include "hotplug-util.h"

/* The job engine's target — a unit or a PCI domain — and what only a
 * switchover does: the busy check of each device, and asking again what
 * is not ready yet (a pre-switchover hook that answered 75, a device that
 * refused under persist) until it is, the job is cancelled or its time
 * limit ends it. */

#define TOPIC "job"

static HotplugDbusJob *
iface (HotplugJob *self)
{
  return HOTPLUG_DBUS_JOB (self);
}

/* --- the target --------------------------------------------------------- */

const char *
hotplug_job_target_id (HotplugJob *self)
{
  return self->domain ? hotplug_domain_get_id (self->domain) : hotplug_unit_get_id (self->unit);
}

void
hotplug_job_target_phase (HotplugJob *self, const char *phase)
{
  if (self->domain)
    hotplug_domain_job_phase (self->domain, phase);
  else
    hotplug_unit_job_phase (self->unit, phase);
}

void
hotplug_job_target_started (HotplugJob *self)
{
  if (self->domain)
    hotplug_domain_job_started (self->domain, self->op, self->options.dry_run);
  /* a replace shows the unit as it is until it is quiesced */
  else if (self->op != HOTPLUG_OPERATION_REPLACE)
    hotplug_unit_job_running (self->unit, self->op == HOTPLUG_OPERATION_ADD ? HOTPLUG_UNIT_STATE_ADDING
                                                                             : HOTPLUG_UNIT_STATE_REMOVING);
}

void
hotplug_job_target_ended (HotplugJob *self, HotplugJobState state, const char *reason, gint64 when)
{
  if (self->domain)
    hotplug_domain_job_ended (self->domain, self->op, state, reason, self->undo_failed);
  else
    hotplug_unit_job_ended (self->unit, hotplug_operation_to_string (self->op),
                            hotplug_enum_to_string (HOTPLUG_TYPE_JOB_STATE, state), reason, when,
                            self->options.dry_run, self->undo_failed);
}

/* --- the busy check of one device --------------------------------------- */

static void
on_busy_scanned (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(HotplugJob) self = HOTPLUG_JOB (user_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = hotplug_blockers_scan_finish (res, &error);
  const HotplugStep *step = g_ptr_array_index (self->steps, self->pos);
  GPtrArray *blockers = results && results->len ? g_ptr_array_index (results, 0) : NULL;

  if (results == NULL)
    {
      g_autoptr(GError) wrapped = g_error_new (HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED,
                                               "cannot tell whether %s is in use: %s", step->name,
                                               error->message);
      hotplug_job_step_ended (self, wrapped);
      return;
    }
  if (blockers && blockers->len > 0)
    {
      g_autofree char *what = hotplug_blockers_describe (blockers);
      g_autoptr(GError) busy = g_error_new (HOTPLUG_ERROR, HOTPLUG_ERROR_BUSY,
                                            "%s is in use: %s (the force option disconnects it anyway)",
                                            step->name, what);
      hotplug_job_step_ended (self, busy);
      return;
    }
  hotplug_job_step_ended (self, NULL);
}

void
hotplug_job_check_busy (HotplugJob *self, const HotplugStep *step)
{
  const char *const pci[] = { step->name, NULL };
  GPtrArray *facts = g_ptr_array_new_with_free_func ((GDestroyNotify) hotplug_blocker_facts_free);

  g_ptr_array_add (facts, hotplug_blocker_facts_new (step->name, NULL, NULL, pci));
  hotplug_blockers_scan_async (facts, NULL, on_busy_scanned, g_object_ref (self));
}

/* --- asking again ------------------------------------------------------- */

static void
set_pending (HotplugJob *self, const char *what, const char *reason)
{
  HotplugDbusJob *j = iface (self);
  g_autofree char *valid_what = what ? hotplug_utf8_sanitize (what, -1, 0) : NULL;
  g_autofree char *valid_reason = reason ? hotplug_utf8_sanitize (reason, -1, 0) : NULL;

  what = valid_what;
  reason = valid_reason;

  if (g_strcmp0 (hotplug_dbus_job_get_pending (j), what ? what : "") != 0)
    {
      hotplug_dbus_job_set_pending (j, what ? what : "");
      hotplug_dbus_job_set_pending_since (j, what ? g_get_real_time () : 0);
    }
  if (g_strcmp0 (hotplug_dbus_job_get_pending_reason (j), reason ? reason : "") != 0)
    hotplug_dbus_job_set_pending_reason (j, reason ? reason : "");
}

void
hotplug_job_retry_clear (HotplugJob *self)
{
  g_clear_handle_id (&self->retry_id, g_source_remove);
  g_clear_pointer (&self->resume_from, g_free);
  if (*hotplug_dbus_job_get_pending (iface (self)))
    set_pending (self, NULL, NULL);
}

static guint
retry_interval_ms (HotplugJob *self)
{
  return (guint) MAX (hotplug_config_get_switchover_retry (self->config) * 1000.0, 1.0);
}

static gboolean
on_retry_hooks (gpointer user_data)
{
  HotplugJob *self = HOTPLUG_JOB (user_data);

  self->retry_id = 0;
  /* the hook is asked again, and the ones after it if it agrees; the
   * hooks before it already did */
  hotplug_job_run_hooks (self, "pre-switchover", self->options.dry_run);
  return G_SOURCE_REMOVE;
}

void
hotplug_job_retry_hooks (HotplugJob *self, const char *hook, const char *path, const char *reason)
{
  g_free (self->resume_from);
  self->resume_from = g_strdup (hook);
  set_pending (self, path && *path ? path : hook, reason);
  hotplug_log_full (G_LOG_LEVEL_MESSAGE, TOPIC, hotplug_job_target_id (self), "pre-switchover", hook, NULL,
                    "job %u: %s answered “not yet”%s%s: asking again in %.1f s", self->id, hook,
                    reason && *reason ? ": " : "", reason ? reason : "", retry_interval_ms (self) / 1000.0);
  self->retry_id = g_timeout_add_full (G_PRIORITY_DEFAULT, retry_interval_ms (self), on_retry_hooks,
                                       g_object_ref (self), g_object_unref);
}

static gboolean
on_retry_step (gpointer user_data)
{
  HotplugJob *self = HOTPLUG_JOB (user_data);

  self->retry_id = 0;
  hotplug_job_next (self);
  return G_SOURCE_REMOVE;
}

gboolean
hotplug_job_retry_step (HotplugJob *self, const GError *error)
{
  const HotplugStep *step = g_ptr_array_index (self->steps, self->pos);

  if (self->op != HOTPLUG_OPERATION_SWITCHOVER || !self->options.persist || self->cancel_requested ||
      self->timed_out || g_error_matches (error, HOTPLUG_ERROR, HOTPLUG_ERROR_TIMEOUT) ||
      g_error_matches (error, HOTPLUG_ERROR, HOTPLUG_ERROR_CANCELLED) ||
      !(step->kind == HOTPLUG_STEP_CHECK_BUSY || step->kind == HOTPLUG_STEP_PCI_UNBIND ||
        step->kind == HOTPLUG_STEP_PCI_REMOVE))
    return FALSE;
  set_pending (self, step->name, error->message);
  hotplug_log_full (G_LOG_LEVEL_MESSAGE, TOPIC, hotplug_job_target_id (self), "disconnect", NULL, NULL,
                    "job %u: %s refused (%s): asking again in %.1f s (persist)", self->id, step->name,
                    error->message, retry_interval_ms (self) / 1000.0);
  self->retry_id = g_timeout_add_full (G_PRIORITY_DEFAULT, retry_interval_ms (self), on_retry_step,
                                       g_object_ref (self), g_object_unref);
  return TRUE;
}

gboolean
hotplug_job_retry_interrupt (HotplugJob *self)
{
  gboolean hooks = self->resume_from != NULL;
  g_autofree char *hook = g_strdup (self->resume_from);
  const char *reason;

  if (self->retry_id == 0 || self->mode != MODE_RUN)
    return FALSE;
  hotplug_job_retry_clear (self);
  reason = self->timed_out ? "the job's time limit expired while it was pending" : hotplug_job_cancel_reason (self);
  /* the pending step ends here: a hook step, or a device that refused
   * (its refusal was reported when it came) */
  if (hooks)
    hotplug_job_step_finished (self, FALSE, reason);
  hotplug_job_fail_named (self, self->timed_out ? HOTPLUG_JOB_STATE_TIMEOUT : HOTPLUG_JOB_STATE_CANCELLED,
                          hooks ? hook : NULL, reason);
  return TRUE;
}
