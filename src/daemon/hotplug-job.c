/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <string.h>

#include "hotplug-blockers.h"
#include "hotplug-enum-types.h"
#include "hotplug-error.h"
#include "hotplug-job-private.h"
#include "hotplug-journal.h"
#include "hotplug-kernel.h"
#include "hotplug-log.h"
#include "hotplug-names.h"
#include "hotplug-util.h"

#define TOPIC "job"
/* the dry run's Reason lists this many steps, then counts the rest */
#define DRY_RUN_LISTED 12
/* how long a recovered job waits for a step the dead daemon had begun */
#define RECOVERY_SETTLE_S 3.0

enum { SIGNAL_FINISHED, SIGNAL_KERNEL_WRITE, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_TYPE (HotplugJob, hotplug_job, HOTPLUG_DBUS_TYPE_JOB_SKELETON)

static void run_step (HotplugJob *self, const HotplugStep *step, const char *phase, gboolean dry_run);


static HotplugDbusJob *
iface (HotplugJob *self)
{
  return HOTPLUG_DBUS_JOB (self);
}

/* --- publishing --------------------------------------------------------- */

static void
set_phase (HotplugJob *self, const char *phase)
{
  if (g_strcmp0 (hotplug_dbus_job_get_phase (iface (self)), phase) != 0)
    hotplug_dbus_job_set_phase (iface (self), phase);
  hotplug_job_target_phase (self, phase);
}

void
hotplug_job_update_progress (HotplugJob *self)
{
  guint total = self->steps ? self->steps->len : 0;

  hotplug_dbus_job_set_progress (iface (self), total ? MIN (100u, self->pos * 100u / total) : 0);
}

static void
step_started (HotplugJob *self, const char *phase, guint index, const char *description)
{
  g_autofree char *valid = NULL;

  if (description && !g_utf8_validate (description, -1, NULL))
    description = valid = hotplug_utf8_sanitize (description, -1, 0);
  self->signal_index = index;
  set_phase (self, phase);
  hotplug_dbus_job_set_step (iface (self), description);
  hotplug_dbus_job_emit_step_started (iface (self), phase, index, description);
  hotplug_log_full (G_LOG_LEVEL_DEBUG, TOPIC, hotplug_job_target_id (self), phase, NULL, NULL,
                    "job %u: %s", self->id, description);
}

void
hotplug_job_step_finished (HotplugJob *self, gboolean ok, const char *message)
{
  g_autofree char *valid = hotplug_utf8_sanitize (message, -1, 0);

  hotplug_job_journal_step_done (self, ok);
  hotplug_dbus_job_emit_step_finished (iface (self), self->signal_index, ok, valid);
}

/* --- the end ---------------------------------------------------------- */

void
hotplug_job_finish (HotplugJob *self)
{
  const char *state = hotplug_enum_to_string (HOTPLUG_TYPE_JOB_STATE, self->end_state);
  const char *reason = self->end_reason ? self->end_reason : "";
  gint64 now = g_get_real_time ();

  self->mode = MODE_DONE;
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  hotplug_job_retry_clear (self);
  if (self->journal)
    {
      hotplug_job_journal (self, "end", "state", g_variant_new_string (state), "reason", g_variant_new_string (reason),
                     "unit-failed", g_variant_new_boolean (self->undo_failed), NULL);
      hotplug_journal_close (g_steal_pointer (&self->journal), TRUE);
    }
  /* the model's pending ownership pass first: the unit's state must be
   * the kernel's now, not after the job let go of it (a slot whose devices
   * this job removed would otherwise look like a surprise removal) */
  hotplug_platform_flush (self->platform);
  hotplug_dbus_job_set_hook (iface (self), "");
  hotplug_dbus_job_set_step (iface (self), "");
  hotplug_dbus_job_set_reason (iface (self), reason);
  hotplug_dbus_job_set_end_time (iface (self), now);
  if (self->end_state == HOTPLUG_JOB_STATE_SUCCEEDED)
    {
      self->pos = self->steps ? self->steps->len : 0;
      hotplug_dbus_job_set_progress (iface (self), 100);
    }
  hotplug_dbus_job_set_state (iface (self), state);

  /* the unit shows the kernel's state again, unless the undo failed; a
   * domain takes the state the job left it in */
  hotplug_job_target_ended (self, self->end_state, reason, now);

  hotplug_log_full (self->end_state == HOTPLUG_JOB_STATE_SUCCEEDED ? G_LOG_LEVEL_MESSAGE : G_LOG_LEVEL_WARNING,
                    TOPIC, hotplug_job_target_id (self), hotplug_operation_to_string (self->op), NULL,
                    HOTPLUG_MSGID_JOB_END, "job %u (%s %s, by %s%s) %s%s%s", self->id,
                    hotplug_operation_to_string (self->op), hotplug_job_target_id (self),
                    hotplug_dbus_job_get_initiator (iface (self)), self->options.dry_run ? ", dry run" : "",
                    state, *reason ? ": " : "", reason);
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0);
}

static void
end_with (HotplugJob *self, HotplugJobState state, const char *reason)
{
  self->end_state = state;
  g_free (self->end_reason);
  /* from hooks, the kernel, sysfs: on the bus and in the journal as UTF-8 */
  self->end_reason = reason ? hotplug_utf8_sanitize (reason, -1, 0) : NULL;
}

static void
run_failed_hooks (HotplugJob *self);

const char *
hotplug_job_cancel_reason (HotplugJob *self)
{
  return self->cancel_reason ? self->cancel_reason : "cancelled";
}

/* Something went wrong: undo, then the *-failed hooks.  WHAT (a hook or a
 * step) is HOTPLUG_FAILED_HOOK; it prefixes the reason unless the reason
 * already names it (PREFIX false). */
void
hotplug_job_fail (HotplugJob      *self,
                    HotplugJobState  state,
                    const char      *what,
                    const char      *reason,
                    gboolean         prefix)
{
  g_autofree char *full = NULL;

  if (self->timed_out && state != HOTPLUG_JOB_STATE_VETOED)
    state = HOTPLUG_JOB_STATE_TIMEOUT;
  full = prefix && what && *what ? g_strdup_printf ("%s: %s", what, reason) : g_strdup (reason);
  end_with (self, state, state == HOTPLUG_JOB_STATE_VETOED ? reason : full);
  g_free (self->failed_what);
  self->failed_what = g_strdup (what ? what : "");
  hotplug_job_journal (self, "rollback", "state", g_variant_new_string (hotplug_enum_to_string (HOTPLUG_TYPE_JOB_STATE, state)),
                 "reason", g_variant_new_string (self->end_reason), "what", g_variant_new_string (self->failed_what),
                 NULL);

  /* the undo of every kernel step done, latest first */
  self->undo = g_ptr_array_new_with_free_func ((GDestroyNotify) hotplug_step_free);
  for (guint i = self->done->len; i > 0; i--)
    {
      g_autoptr(GPtrArray) u = hotplug_step_undo (g_ptr_array_index (self->done, i - 1));

      for (guint j = 0; j < u->len; j++)
        g_ptr_array_add (self->undo, hotplug_step_copy (g_ptr_array_index (u, j)));
    }
  self->undo_pos = 0;
  self->mode = MODE_ROLLBACK;
  hotplug_job_next (self);
}

void
hotplug_job_fail_named (HotplugJob *self, HotplugJobState state, const char *what, const char *reason)
{
  hotplug_job_fail (self, state, what, reason, TRUE);
}

/* --- kernel steps ------------------------------------------------------- */

static const HotplugStep *
current_step (HotplugJob *self)
{
  if (self->mode == MODE_RUN)
    return g_ptr_array_index (self->steps, self->pos);
  return g_ptr_array_index (self->undo, self->undo_pos);
}

void
hotplug_job_step_ended (HotplugJob *self, const GError *error)
{
  const HotplugStep *step = current_step (self);
  g_autofree char *desc = hotplug_step_describe (step);

  hotplug_job_step_finished (self, error == NULL, error ? error->message : NULL);
  if (self->mode == MODE_RUN)
    {
      if (error && hotplug_job_retry_step (self, error))
        return;
      if (error)
        {
          HotplugJobState state = g_error_matches (error, HOTPLUG_ERROR, HOTPLUG_ERROR_TIMEOUT)
                                    ? HOTPLUG_JOB_STATE_TIMEOUT
                                    : g_error_matches (error, HOTPLUG_ERROR, HOTPLUG_ERROR_CANCELLED)
                                        ? HOTPLUG_JOB_STATE_CANCELLED : HOTPLUG_JOB_STATE_FAILED;

          hotplug_job_fail_named (self, state, desc, error->message);
          return;
        }
      if (hotplug_step_writes_kernel (step))
        g_ptr_array_add (self->done, (gpointer) step);
      self->pos++;
      hotplug_job_update_progress (self);
    }
  else
    {
      if (error)
        {
          /* the rest is still undone, best effort; the unit needs the
           * administrator */
          if (!self->undo_failed)
            self->undo_error = g_strdup_printf ("undo failed: %s: %s", desc, error->message);
          self->undo_failed = TRUE;
        }
      self->undo_pos++;
    }
  hotplug_job_next (self);
}

static guint
wait_timeout_ms (HotplugJob *self)
{
  double step = hotplug_config_get_step_timeout (self->config) * 1000.0;

  /* the job's own limit caps the plan's steps, not the rollback */
  if (self->deadline && self->mode == MODE_RUN)
    {
      gint64 left = (self->deadline - g_get_monotonic_time ()) / 1000;

      step = MIN (step, (double) MAX (left, 1));
    }
  return (guint) MAX (step, 1.0);
}

static void
on_kernel_written (const char *path, const char *value, gpointer user_data)
{
  g_signal_emit (HOTPLUG_JOB (user_data), signals[SIGNAL_KERNEL_WRITE], 0, path, value);
}

static void
on_kernel_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(HotplugJob) self = HOTPLUG_JOB (user_data);
  g_autoptr(GError) error = NULL;
  gboolean written = FALSE;

  if (!hotplug_kernel_run_finish (HOTPLUG_PLATFORM (source), res, &written, &error) &&
      written && g_error_matches (error, HOTPLUG_ERROR, HOTPLUG_ERROR_TIMEOUT) && self->mode == MODE_RUN)
    {
      /* the kernel took the write but did not confirm it in time: the
       * change may still land, so the step counts as possibly done and
       * the rollback settles it first */
      g_ptr_array_add (self->done, (gpointer) current_step (self));
      self->unsettled = current_step (self);
    }
  hotplug_job_step_ended (self, error);
}

static void
run_kernel_step (HotplugJob *self, const HotplugStep *step)
{
  if ((self->mode == MODE_ROLLBACK && hotplug_kernel_step_holds (self->platform, step)) ||
      (self->recovery && self->mode == MODE_RUN && hotplug_operation_step_done (self->platform, step)))
    {
      /* nothing to write: the kernel already shows it (a step that never
       * happened, or was put back by someone else; a recovered job's step
       * that the dead daemon saw through) */
      hotplug_job_step_finished (self, TRUE, "already so");
      if (self->mode == MODE_RUN)
        self->pos++;
      else
        self->undo_pos++;
      hotplug_job_next (self);
      return;
    }
  hotplug_kernel_run_async (self->platform, step, wait_timeout_ms (self), on_kernel_written, NULL,
                            on_kernel_done, g_object_ref (self));
}

/* --- the engine ------------------------------------------------------- */

static void
run_step (HotplugJob *self, const HotplugStep *step, const char *phase, gboolean dry_run)
{
  g_autofree char *desc = hotplug_step_describe (step);
  guint index = self->mode == MODE_RUN ? self->pos : self->steps->len + self->undo_pos;

  if (dry_run && step->kind != HOTPLUG_STEP_RUN_HOOKS)
    {
      g_autofree char *d = g_strconcat (desc, " (dry run)", NULL);

      step_started (self, phase, index, d);
      hotplug_job_step_finished (self, TRUE, NULL);
      self->pos++;
      hotplug_job_update_progress (self);
      hotplug_job_next (self);
      return;
    }
  if (dry_run && hotplug_hook_event_phase (step->name) != HOTPLUG_HOOK_PHASE_PRE)
    {
      g_autofree char *d = g_strconcat (desc, " (dry run: not run)", NULL);

      step_started (self, phase, index, d);
      hotplug_job_step_finished (self, TRUE, NULL);
      self->pos++;
      hotplug_job_update_progress (self);
      hotplug_job_next (self);
      return;
    }
  hotplug_job_journal_step (self, index, step);
  step_started (self, phase, index, desc);
  if (step->kind == HOTPLUG_STEP_RUN_HOOKS)
    hotplug_job_run_hooks (self, step->name, dry_run);
  else if (step->kind == HOTPLUG_STEP_CHECK_BUSY)
    hotplug_job_check_busy (self, step);
  else if (step->kind == HOTPLUG_STEP_QUIESCE && self->mode == MODE_RUN)
    hotplug_job_quiesce (self, step);
  else if (step->kind == HOTPLUG_STEP_WAIT_SWAP)
    hotplug_job_wait_swap (self, step);
  else
    run_kernel_step (self, step);
}

/* The eject the rollback was settling went through after all: the board
 * is gone and none of it can be brought back (as a recovery would, the
 * job finishes forward: what is left of its plan, the post-remove hooks). */
static void
finish_after_eject (HotplugJob *self, guint at)
{
  hotplug_log_full (G_LOG_LEVEL_WARNING, TOPIC, hotplug_job_target_id (self), NULL, NULL, NULL,
                    "job %u: the eject was confirmed after the step's time limit: nothing is rolled back, "
                    "the job goes on", self->id);
  self->unsettled = NULL;
  g_ptr_array_set_size (self->undo, 0);
  self->undo_pos = 0;
  end_with (self, HOTPLUG_JOB_STATE_SUCCEEDED, NULL);
  self->mode = MODE_RUN;
  self->pos = at + 1;
  hotplug_job_update_progress (self);
  hotplug_job_next (self);
}

static void
on_settled (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(HotplugJob) self = HOTPLUG_JOB (user_data);
  g_autoptr(GError) error = NULL;
  g_autofree char *desc = hotplug_step_describe (self->unsettled);
  gboolean settled = hotplug_kernel_run_finish (HOTPLUG_PLATFORM (source), res, NULL, &error);
  guint at;

  /* (the step settled is the plan's own: self->done holds the plan's) */
  if (settled && self->mode == MODE_ROLLBACK && self->recovery == NULL &&
      self->unsettled->kind == HOTPLUG_STEP_EJECT && g_ptr_array_find (self->steps, self->unsettled, &at))
    {
      finish_after_eject (self, at);
      return;
    }
  if (!settled && self->mode == MODE_ROLLBACK && self->recovery == NULL)
    {
      /* its undo still runs where it is needed; whether the change lands
       * later nobody can tell: the unit needs the administrator */
      self->undo_failed = TRUE;
      g_free (self->undo_error);
      self->undo_error = g_strdup_printf ("the kernel never confirmed “%s”: its state is unknown", desc);
    }
  self->unsettled = NULL;
  hotplug_job_next (self);
}

/* Waits, once more as long as a step may take, for a step whose write the
 * kernel took without confirming it in time, so that the rollback undoes
 * what really happened, not what had happened by the timeout. */
static void
settle (HotplugJob *self)
{
  double seconds = hotplug_config_get_step_timeout (self->config);

  /* A recovered job cannot tell whether the dead daemon made the write
   * its journal announced.  If it did, the kernel (whose writes return
   * once done) has long answered it, the asynchronous eject aside: a short
   * wait tells, and no answer means the write was never made. */
  if (self->recovery)
    seconds = MIN (seconds, RECOVERY_SETTLE_S);
  hotplug_log_full (G_LOG_LEVEL_MESSAGE, TOPIC, hotplug_job_target_id (self), NULL, NULL, NULL,
                    "job %u: waiting for the kernel to settle “%s”", self->id,
                    hotplug_dbus_job_get_step (iface (self)));
  hotplug_kernel_wait_async (self->platform, self->unsettled, (guint) (seconds * 1000.0), on_settled,
                             g_object_ref (self));
}

static char *
dry_run_summary (HotplugJob *self)
{
  GString *s = g_string_new ("dry run: would ");
  guint listed = 0, kernel = 0;

  for (guint i = 0; i < self->steps->len; i++)
    {
      const HotplugStep *step = g_ptr_array_index (self->steps, i);
      g_autofree char *desc = NULL;

      if (step->kind == HOTPLUG_STEP_RUN_HOOKS)
        continue;
      kernel++;
      if (listed == DRY_RUN_LISTED)
        continue;
      desc = hotplug_step_describe (step);
      g_string_append_printf (s, "%s%s", listed ? ", " : "", desc);
      listed++;
    }
  if (kernel == 0)
    g_string_append (s, "change nothing in the kernel");
  else if (kernel > listed)
    g_string_append_printf (s, " and %u more steps", kernel - listed);
  return g_string_free (s, FALSE);
}

void
hotplug_job_next (HotplugJob *self)
{
  const HotplugStep *step;

  switch (self->mode)
    {
    case MODE_RUN:
      if (self->unsettled)
        {
          /* a recovered job finishing an eject the dead daemon asked for */
          settle (self);
          return;
        }
      if (self->pos >= self->steps->len)
        {
          g_autofree char *reason = NULL;

          if (self->options.dry_run)
            reason = dry_run_summary (self);
          else if (self->surprise_reason)
            reason = g_strdup (self->surprise_reason);
          else if (self->recovery)
            reason = g_strdup (self->recovery->reason);
          else if (self->post_failures->len)
            {
              g_ptr_array_add (self->post_failures, NULL);
              reason = g_strjoinv ("; ", (char **) self->post_failures->pdata);
              g_ptr_array_remove_index (self->post_failures, self->post_failures->len - 1);
            }
          end_with (self, HOTPLUG_JOB_STATE_SUCCEEDED, reason);
          hotplug_job_finish (self);
          return;
        }
      step = g_ptr_array_index (self->steps, self->pos);
      /* a safe point: between steps, before anything but the post-*
       * hooks (once the kernel change is made, post-* must run) */
      if ((self->cancel_requested || self->timed_out) &&
          !(step->kind == HOTPLUG_STEP_RUN_HOOKS &&
            hotplug_hook_event_phase (step->name) == HOTPLUG_HOOK_PHASE_POST))
        {
          hotplug_job_fail_named (self, self->timed_out ? HOTPLUG_JOB_STATE_TIMEOUT : HOTPLUG_JOB_STATE_CANCELLED,
                         NULL, self->timed_out ? "the job's time limit expired before it could "
                                                 "finish" : hotplug_job_cancel_reason (self));
          return;
        }
      run_step (self, step, hotplug_operation_step_phase (self->op, step), self->options.dry_run);
      return;

    case MODE_ROLLBACK:
      if (self->unsettled)
        {
          settle (self);
          return;
        }
      if (self->undo_pos < self->undo->len)
        {
          run_step (self, g_ptr_array_index (self->undo, self->undo_pos), "rollback", FALSE);
          return;
        }
      if (self->undo_failed)
        {
          g_autofree char *reason = g_strdup_printf ("%s; %s", self->end_reason, self->undo_error);

          g_free (self->end_reason);
          self->end_reason = g_steal_pointer (&reason);
        }
      run_failed_hooks (self);
      return;

    case MODE_IDLE:
    case MODE_FAILED:
    case MODE_DONE:
    default:
      g_assert_not_reached ();
    }
}

static void
run_failed_hooks (HotplugJob *self)
{
  g_autofree char *event = g_strconcat (hotplug_operation_to_string (self->op), "-failed", NULL);
  g_autofree char *desc = g_strdup_printf ("run the %s hooks", event);

  self->mode = MODE_FAILED;
  /* connect has no failure event (nothing was taken from anyone to give
   * back): the job ends with its reason */
  if (self->op == HOTPLUG_OPERATION_CONNECT)
    {
      hotplug_job_finish (self);
      return;
    }
  if (self->options.dry_run)
    {
      /* the pre-* hooks of a dry run changed nothing (they were told so):
       * nothing for the *-failed hooks, which restart services, to repair */
      g_autofree char *d = g_strconcat (desc, " (dry run: not run)", NULL);

      step_started (self, event, self->steps->len + self->undo->len, d);
      hotplug_job_step_finished (self, TRUE, NULL);
      hotplug_job_finish (self);
      return;
    }
  step_started (self, event, self->steps->len + self->undo->len, desc);
  hotplug_job_run_hooks (self, event, FALSE);
}

static gboolean
on_job_timeout (gpointer user_data)
{
  HotplugJob *self = HOTPLUG_JOB (user_data);

  self->timeout_id = 0;
  if (self->mode != MODE_RUN)
    return G_SOURCE_REMOVE;
  self->timed_out = TRUE;
  g_cancellable_cancel (self->cancellable);
  hotplug_job_retry_interrupt (self);
  return G_SOURCE_REMOVE;
}

static void
start_recovery (HotplugJob *self)
{
  HotplugRecovery *r = self->recovery;
  g_autoptr(GError) error = NULL;

  self->journal = hotplug_journal_open (r->journal_path, r->valid_length, &error);
  if (self->journal == NULL)
    hotplug_log_full (G_LOG_LEVEL_WARNING, TOPIC, hotplug_job_target_id (self), NULL, NULL, NULL,
                      "job %u: %s", self->id, error->message);
  hotplug_job_journal (self, "recovery", "job", g_variant_new_uint32 (self->id), NULL);
  hotplug_hook_request_free (self->facts);
  self->facts = g_steal_pointer (&r->facts);
  self->unsettled = r->unsettled;
  if (r->forward)
    {
      self->steps = g_steal_pointer (&r->steps);
      hotplug_job_update_progress (self);
      hotplug_job_next (self);
      return;
    }
  self->steps = g_ptr_array_new_with_free_func ((GDestroyNotify) hotplug_step_free);
  for (guint i = 0; i < r->steps->len; i++)
    g_ptr_array_add (self->done, g_ptr_array_index (r->steps, i));
  hotplug_job_fail (self, r->state, r->failed_what, r->reason, FALSE);
}

void
hotplug_job_start (HotplugJob *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (self->mode == MODE_IDLE);

  self->mode = MODE_RUN;
  if (self->noop_reason == NULL && self->refused == NULL)
    hotplug_job_target_started (self);
  hotplug_log_full (G_LOG_LEVEL_MESSAGE, TOPIC, hotplug_job_target_id (self),
                    hotplug_operation_to_string (self->op), NULL, NULL, "job %u: %s %s (by %s)%s",
                    self->id, hotplug_operation_to_string (self->op), hotplug_job_target_id (self),
                    hotplug_dbus_job_get_initiator (iface (self)), self->options.dry_run ? ", dry run" : "");
  if (self->recovery)
    {
      start_recovery (self);
      return;
    }
  self->steps = g_ptr_array_new_with_free_func ((GDestroyNotify) hotplug_step_free);
  if (self->noop_reason || self->refused)
    {
      end_with (self, self->refused ? HOTPLUG_JOB_STATE_FAILED : HOTPLUG_JOB_STATE_SUCCEEDED,
                self->refused ? self->refused : self->noop_reason);
      hotplug_job_finish (self);
      return;
    }
  if (self->surprise_reason)
    g_ptr_array_add (self->steps, hotplug_step_new (HOTPLUG_STEP_RUN_HOOKS, 0, "post-remove", NULL));
  else
    {
      g_ptr_array_unref (self->steps);
      hotplug_platform_flush (self->platform);
      /* again: a platform job starts after a settle, the unit may have
       * grown since it was created (a new board's last CPUs) */
      hotplug_job_take_facts (self, FALSE);
      if (self->domain)
        self->steps = hotplug_operation_plan_domain (self->platform, self->domain, self->op, self->options.force);
      else if (self->op == HOTPLUG_OPERATION_REPLACE)
        {
          /* blockers: the window freezes the filesystems on the unit's disks */
          g_auto(GStrv) mounts = hotplug_blockers_mount_points (
            hotplug_dbus_unit_get_pci_devices (HOTPLUG_DBUS_UNIT (self->unit)));

          self->steps = hotplug_operation_plan_replace (self->unit, (const char * const *) mounts);
        }
      else
        self->steps = hotplug_operation_plan (self->platform, self->unit, self->op, self->options.flags,
                                              hotplug_config_get_memory_online_type (self->config));
    }
  if (!hotplug_job_journal_begin (self, &error))
    {
      /* no step without its record: a daemon that died could not undo it */
      end_with (self, HOTPLUG_JOB_STATE_FAILED, error->message);
      hotplug_job_finish (self);
      return;
    }
  if (self->options.timeout_s)
    {
      self->deadline = g_get_monotonic_time () + (gint64) self->options.timeout_s * G_USEC_PER_SEC;
      self->timeout_id = g_timeout_add_seconds (self->options.timeout_s, on_job_timeout, self);
    }
  hotplug_job_update_progress (self);
  hotplug_job_next (self);
}

gboolean
hotplug_job_cancel (HotplugJob *self, GError **error)
{
  return hotplug_job_cancel_with_reason (self, NULL, error);
}

gboolean
hotplug_job_cancel_with_reason (HotplugJob *self, const char *reason, GError **error)
{
  if (self->mode == MODE_DONE)
    {
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED, "job %u has already ended (%s)", self->id,
                   hotplug_dbus_job_get_state (iface (self)));
      return FALSE;
    }
  if (self->mode == MODE_ROLLBACK || self->mode == MODE_FAILED)
    return TRUE; /* already on its way back */
  self->cancel_requested = TRUE;
  if (reason && self->cancel_reason == NULL)
    self->cancel_reason = g_strdup (reason);
  g_cancellable_cancel (self->cancellable);
  hotplug_log_full (G_LOG_LEVEL_MESSAGE, TOPIC, hotplug_job_target_id (self), NULL, NULL, NULL,
                    "job %u: cancel requested", self->id);
  hotplug_job_retry_interrupt (self);
  return TRUE;
}

/* --- object ----------------------------------------------------------- */

static void
hotplug_job_finalize (GObject *object)
{
  HotplugJob *self = HOTPLUG_JOB (object);

  hotplug_emit_throttle_clear (&self->emit);
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  hotplug_job_window_clear (self);
  hotplug_job_retry_clear (self);
  g_free (self->path);
  g_clear_object (&self->unit);
  g_clear_object (&self->domain);
  g_clear_object (&self->platform);
  g_clear_object (&self->runner);
  g_clear_pointer (&self->config, hotplug_config_unref);
  g_free (self->noop_reason);
  g_clear_pointer (&self->facts, hotplug_hook_request_free);
  g_free (self->surprise_reason);
  g_clear_pointer (&self->steps, g_ptr_array_unref);
  g_clear_pointer (&self->done, g_ptr_array_unref);
  g_clear_pointer (&self->undo, g_ptr_array_unref);
  g_clear_object (&self->cancellable);
  g_free (self->undo_error);
  g_free (self->end_reason);
  g_free (self->failed_what);
  g_clear_pointer (&self->post_failures, g_ptr_array_unref);
  g_free (self->journal_dir);
  g_free (self->cancel_reason);
  g_free (self->refused);
  if (self->journal)
    hotplug_journal_close (self->journal, FALSE);
  /* done borrows the recovery's steps */
  g_clear_pointer (&self->done, g_ptr_array_unref);
  g_clear_pointer (&self->recovery, hotplug_recovery_free);
  G_OBJECT_CLASS (hotplug_job_parent_class)->finalize (object);
}

static const char *const fast_properties[] = { "step", "progress", NULL };

static void
hotplug_job_notify (GObject *object, GParamSpec *pspec)
{
  hotplug_emit_throttle_notify (&HOTPLUG_JOB (object)->emit, pspec);
}

static void
hotplug_job_class_init (HotplugJobClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hotplug_job_finalize;
  G_OBJECT_CLASS (klass)->notify = hotplug_job_notify;

  signals[SIGNAL_FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_KERNEL_WRITE] = g_signal_new ("kernel-write", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                               0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
hotplug_job_init (HotplugJob *self)
{
  hotplug_emit_throttle_init (&self->emit, G_OBJECT (self), G_OBJECT_CLASS (hotplug_job_parent_class)->notify,
                              fast_properties);
  self->cancellable = g_cancellable_new ();
  self->done = g_ptr_array_new ();
  self->post_failures = g_ptr_array_new_with_free_func (g_free);
}
