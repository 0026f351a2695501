/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <string.h>

#include "hotplug-enum-types.h"
#include "hotplug-error.h"
#include "hotplug-job.h"
#include "hotplug-log.h"
#include "hotplug-names.h"
#include "hotplug-util.h"

#define TOPIC "job"
/* the dry run's Reason lists this many steps, then counts the rest */
#define DRY_RUN_LISTED 12

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

  guint              id;
  char              *path;
  HotplugUnit       *unit;
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
};

enum { SIGNAL_FINISHED, SIGNAL_KERNEL_WRITE, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_TYPE (HotplugJob, hotplug_job, HOTPLUG_DBUS_TYPE_JOB_SKELETON)

static void job_next (HotplugJob *self);
static void run_step (HotplugJob *self, const HotplugStep *step, const char *phase, gboolean dry_run);

/* --- options ---------------------------------------------------------- */

gboolean
hotplug_job_options_parse (GVariant *options, HotplugJobOptions *out, GError **error)
{
  GVariantIter iter;
  const char *key;
  GVariant *value;

  memset (out, 0, sizeof *out);
  if (options == NULL)
    return TRUE;
  g_variant_iter_init (&iter, options);
  while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
    {
      const GVariantType *want = NULL;

      if (g_str_equal (key, "force") || g_str_equal (key, "dry-run") || g_str_equal (key, "strict") ||
          g_str_equal (key, "eject"))
        want = G_VARIANT_TYPE_BOOLEAN;
      else if (g_str_equal (key, "timeout"))
        want = G_VARIANT_TYPE_UINT32;
      else
        {
          g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                       "unknown option “%.64s” (known: force, dry-run, timeout, strict, eject)", key);
          g_variant_unref (value);
          return FALSE;
        }
      if (!g_variant_is_of_type (value, want))
        {
          g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                       "option “%s” must be of type %s, not %s", key,
                       (const char *) want, g_variant_get_type_string (value));
          g_variant_unref (value);
          return FALSE;
        }
      if (g_str_equal (key, "force"))
        out->force = g_variant_get_boolean (value);
      else if (g_str_equal (key, "dry-run"))
        out->dry_run = g_variant_get_boolean (value);
      else if (g_str_equal (key, "strict"))
        out->flags = g_variant_get_boolean (value) ? out->flags | HOTPLUG_OPERATION_FLAG_STRICT
                                                   : out->flags & ~HOTPLUG_OPERATION_FLAG_STRICT;
      else if (g_str_equal (key, "eject"))
        {
          out->flags |= HOTPLUG_OPERATION_FLAG_EJECT_SET;
          if (g_variant_get_boolean (value))
            out->flags &= ~HOTPLUG_OPERATION_FLAG_NO_EJECT;
          else
            out->flags |= HOTPLUG_OPERATION_FLAG_NO_EJECT;
        }
      else
        {
          out->timeout_s = g_variant_get_uint32 (value);
          if (out->timeout_s == 0)
            {
              g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                           "option “timeout” must be a positive number of seconds");
              g_variant_unref (value);
              return FALSE;
            }
        }
    }
  return TRUE;
}

/* --- publishing --------------------------------------------------------- */

static HotplugDbusJob *
iface (HotplugJob *self)
{
  return HOTPLUG_DBUS_JOB (self);
}

static void
set_phase (HotplugJob *self, const char *phase)
{
  if (g_strcmp0 (hotplug_dbus_job_get_phase (iface (self)), phase) != 0)
    hotplug_dbus_job_set_phase (iface (self), phase);
  hotplug_unit_update_string (self->unit, "phase", phase);
}

static void
update_progress (HotplugJob *self)
{
  guint total = self->steps ? self->steps->len : 0;

  hotplug_dbus_job_set_progress (iface (self), total ? MIN (100u, self->pos * 100u / total) : 0);
}

static void
step_started (HotplugJob *self, const char *phase, guint index, const char *description)
{
  self->signal_index = index;
  set_phase (self, phase);
  hotplug_dbus_job_set_step (iface (self), description);
  hotplug_dbus_job_emit_step_started (iface (self), phase, index, description);
  hotplug_log_full (G_LOG_LEVEL_DEBUG, TOPIC, hotplug_unit_get_id (self->unit), phase, NULL, NULL,
                    "job %u: %s", self->id, description);
}

static void
step_finished (HotplugJob *self, gboolean ok, const char *message)
{
  hotplug_dbus_job_emit_step_finished (iface (self), self->signal_index, ok, message ? message : "");
}

/* --- the end ---------------------------------------------------------- */

static void
finish (HotplugJob *self)
{
  HotplugDbusUnit *u = HOTPLUG_DBUS_UNIT (self->unit);
  const char *state = hotplug_enum_to_string (HOTPLUG_TYPE_JOB_STATE, self->end_state);
  const char *reason = self->end_reason ? self->end_reason : "";
  gint64 now = g_get_real_time ();

  self->mode = MODE_DONE;
  g_clear_handle_id (&self->timeout_id, g_source_remove);
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

  /* the unit shows the kernel's state again, unless the undo failed */
  if (self->undo_failed)
    hotplug_unit_hold_state (self->unit, HOTPLUG_UNIT_STATE_FAILED);
  else
    hotplug_unit_release_state (self->unit);
  hotplug_unit_update_string (self->unit, "phase", "");
  hotplug_unit_update_string (self->unit, "job", "/");
  hotplug_unit_update_string (self->unit, "last-job-operation", hotplug_operation_to_string (self->op));
  hotplug_unit_update_string (self->unit, "last-job-state", state);
  hotplug_unit_update_string (self->unit, "last-job-reason", reason);
  hotplug_dbus_unit_set_last_job_end_time (u, now);

  hotplug_log_full (self->end_state == HOTPLUG_JOB_STATE_SUCCEEDED ? G_LOG_LEVEL_MESSAGE : G_LOG_LEVEL_WARNING,
                    TOPIC, hotplug_unit_get_id (self->unit), hotplug_operation_to_string (self->op), NULL,
                    HOTPLUG_MSGID_JOB_END, "job %u (%s %s, by %s%s) %s%s%s", self->id,
                    hotplug_operation_to_string (self->op), hotplug_unit_get_id (self->unit),
                    hotplug_dbus_job_get_initiator (iface (self)), self->options.dry_run ? ", dry run" : "",
                    state, *reason ? ": " : "", reason);
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0);
}

static void
end_with (HotplugJob *self, HotplugJobState state, const char *reason)
{
  self->end_state = state;
  g_free (self->end_reason);
  self->end_reason = g_strdup (reason);
}

static void
run_failed_hooks (HotplugJob *self);

/* Something went wrong: undo, then the *-failed hooks.  WHAT (a hook or a
 * step) is HOTPLUG_FAILED_HOOK; it prefixes the reason unless the reason
 * already names it (PREFIX false). */
static void
begin_failure_full (HotplugJob      *self,
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
  job_next (self);
}

static void
begin_failure (HotplugJob *self, HotplugJobState state, const char *what, const char *reason)
{
  begin_failure_full (self, state, what, reason, TRUE);
}

/* --- hooks ------------------------------------------------------------ */

static gboolean
is_empty (const char *s)
{
  return s == NULL || *s == '\0';
}

static void
replace_str (char **where, const char *value)
{
  char *old = *where;

  *where = g_strdup (value);
  g_free (old);
}

/* Records the unit's facts.  FILL_ONLY: only those still unknown, as an add
 * brings up hardware the unit did not show when the job was created (a
 * slot's devices appear once it is powered): post-add names them. */
static void
take_facts (HotplugJob *self, gboolean fill_only)
{
  HotplugDbusUnit *u = HOTPLUG_DBUS_UNIT (self->unit);
  HotplugHookRequest *f = self->facts;
  const char *const *pci = hotplug_dbus_unit_get_pci_devices (u);

  if (!fill_only || is_empty (f->sysfs_path))
    replace_str (&f->sysfs_path, hotplug_dbus_unit_get_sysfs_path (u));
  if (!fill_only || is_empty (f->cpus))
    replace_str (&f->cpus, hotplug_dbus_unit_get_cpus (u));
  if (!fill_only || f->memory_bytes == 0)
    f->memory_bytes = hotplug_dbus_unit_get_memory_bytes (u);
  if (!fill_only || is_empty (f->nodes))
    replace_str (&f->nodes, hotplug_dbus_unit_get_nodes (u));
  if (!fill_only || f->pci_devices == NULL || f->pci_devices[0] == NULL)
    {
      g_strfreev (f->pci_devices);
      f->pci_devices = pci ? g_strdupv ((GStrv) pci) : g_new0 (char *, 1);
    }
}

static HotplugHookRequest *
make_request (HotplugJob *self, const char *event)
{
  HotplugDbusUnit *u = HOTPLUG_DBUS_UNIT (self->unit);
  HotplugHookRequest *req = hotplug_hook_request_new (event, hotplug_dbus_unit_get_kind (u),
                                                      hotplug_unit_get_id (self->unit));

  if (self->op == HOTPLUG_OPERATION_ADD)
    take_facts (self, TRUE);
  req->job = g_strdup_printf ("%u", self->id);
  req->operation = g_strdup (hotplug_operation_to_string (self->op));
  req->sysfs_path = g_strdup (self->facts->sysfs_path);
  req->cpus = g_strdup (self->facts->cpus);
  req->memory_bytes = self->facts->memory_bytes;
  req->nodes = g_strdup (self->facts->nodes);
  req->pci_devices = g_strdupv (self->facts->pci_devices);
  req->force = self->options.force;
  req->dry_run = self->options.dry_run;
  return req;
}

static void
on_hook_progress (HotplugHookRunner        *runner,
                  const HotplugHookRequest *request,
                  const HotplugHookRecord  *record,
                  gboolean                  finished,
                  gpointer                  user_data)
{
  HotplugJob *self = HOTPLUG_JOB (user_data);
  g_autofree char *result = NULL;
  const char *word;

  if (!finished)
    {
      hotplug_dbus_job_set_hook (iface (self), record->path);
      return;
    }
  hotplug_dbus_job_set_hook (iface (self), "");
  if (record->timed_out)
    word = "timeout";
  else if (record->exit_status == 0 && record->term_signal == 0 && !record->spawn_failed)
    word = "ok";
  else if (self->cancellable && g_cancellable_is_cancelled (self->cancellable) && record->term_signal != 0)
    word = "cancelled";
  else if (hotplug_hook_event_phase (request->event) == HOTPLUG_HOOK_PHASE_PRE)
    word = "vetoed";
  else
    word = "failed";
  result = record->reason && *record->reason && !g_str_equal (word, "ok")
             ? g_strdup_printf ("%s: %s", word, record->reason) : g_strdup (word);
  hotplug_dbus_job_emit_hook_finished (iface (self), request->event, record->path,
                                       record->exit_status, result, (guint64) MAX (record->duration_us, 0));
}

static void
on_hooks_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(HotplugJob) self = HOTPLUG_JOB (user_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(HotplugHookResult) result = hotplug_hook_runner_run_finish (HOTPLUG_HOOK_RUNNER (source), res, &error);
  HotplugHookPhase phase;

  if (result == NULL)
    {
      step_finished (self, FALSE, error->message);
      if (self->mode == MODE_RUN)
        begin_failure (self, HOTPLUG_JOB_STATE_FAILED, "hooks", error->message);
      else
        finish (self);
      return;
    }
  phase = hotplug_hook_event_phase (result->event);

  if (self->mode == MODE_FAILED)
    {
      step_finished (self, result->outcome == HOTPLUG_HOOK_OUTCOME_OK, result->reason);
      finish (self);
      return;
    }

  if (phase == HOTPLUG_HOOK_PHASE_PRE)
    {
      switch (result->outcome)
        {
        case HOTPLUG_HOOK_OUTCOME_OK:
          break;
        case HOTPLUG_HOOK_OUTCOME_TIMEOUT:
          {
            /* the runner's reason names the hook and its limit: no veto, the
             * hook never answered */
            g_autofree char *reason = result->reason && *result->reason
                                        ? g_strdup (result->reason)
                                        : g_strdup_printf ("hook %s timed out", result->hook ? result->hook : "");

            step_finished (self, FALSE, reason);
            begin_failure_full (self, HOTPLUG_JOB_STATE_TIMEOUT, result->hook ? result->hook : "", reason, FALSE);
            return;
          }
        case HOTPLUG_HOOK_OUTCOME_CANCELLED:
          step_finished (self, FALSE, "cancelled");
          begin_failure (self, self->timed_out ? HOTPLUG_JOB_STATE_TIMEOUT : HOTPLUG_JOB_STATE_CANCELLED,
                         result->hook, self->timed_out ? "the job's time limit expired" : "cancelled");
          return;
        default:
          {
            g_autofree char *reason = g_strdup (result->reason && *result->reason ? result->reason
                                                : "vetoed by a hook");
            step_finished (self, FALSE, reason);
            begin_failure (self, HOTPLUG_JOB_STATE_VETOED, result->hook ? result->hook : "", reason);
            return;
          }
        }
    }
  else if (result->outcome != HOTPLUG_HOOK_OUTCOME_OK && result->failures)
    {
      /* post-*: reported on the job, the kernel change stays */
      for (guint i = 0; result->failures[i]; i++)
        g_ptr_array_add (self->post_failures, g_strdup (result->failures[i]));
    }
  step_finished (self, TRUE, phase == HOTPLUG_HOOK_PHASE_PRE ? NULL : result->reason);
  self->pos++;
  update_progress (self);
  job_next (self);
}

static void
run_hooks (HotplugJob *self, const char *event, gboolean dry_run)
{
  g_autoptr(HotplugHookRequest) req = make_request (self, event);
  /* only pre-* is interrupted by Cancel: post-* and *-failed always run
   * to their end */
  GCancellable *c = hotplug_hook_event_phase (event) == HOTPLUG_HOOK_PHASE_PRE ? self->cancellable : NULL;

  req->dry_run = dry_run;
  if (self->mode == MODE_FAILED)
    {
      req->failed_hook = g_strdup (self->failed_what);
      req->failure_reason = g_strdup (self->end_reason);
    }
  else if (self->surprise_reason)
    req->failure_reason = g_strdup (self->surprise_reason);
  hotplug_hook_runner_run_async (self->runner, req, c, on_hook_progress, g_object_ref (self), g_object_unref,
                                 on_hooks_done, g_object_ref (self));
}

/* --- kernel steps ------------------------------------------------------- */

typedef struct
{
  char *path;   /* rooted */
  char *value;
} WriteData;

static void
write_data_free (WriteData *w)
{
  g_free (w->path);
  g_free (w->value);
  g_free (w);
}

static void
write_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  WriteData *w = task_data;
  GError *error = NULL;

  if (hotplug_sysfs_write (w->path, w->value, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static const HotplugStep *
current_step (HotplugJob *self)
{
  if (self->mode == MODE_RUN)
    return g_ptr_array_index (self->steps, self->pos);
  return g_ptr_array_index (self->undo, self->undo_pos);
}

static void
kernel_step_ended (HotplugJob *self, const GError *error)
{
  const HotplugStep *step = current_step (self);
  g_autofree char *desc = hotplug_step_describe (step);

  step_finished (self, error == NULL, error ? error->message : NULL);
  if (self->mode == MODE_RUN)
    {
      if (error)
        {
          begin_failure (self, g_error_matches (error, HOTPLUG_ERROR, HOTPLUG_ERROR_TIMEOUT)
                                 ? HOTPLUG_JOB_STATE_TIMEOUT : HOTPLUG_JOB_STATE_FAILED,
                         desc, error->message);
          return;
        }
      if (hotplug_step_writes_kernel (step))
        g_ptr_array_add (self->done, (gpointer) step);
      self->pos++;
      update_progress (self);
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
  job_next (self);
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
on_wait_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(HotplugJob) self = HOTPLUG_JOB (user_data);
  g_autoptr(GError) error = NULL;

  hotplug_platform_wait_finish (HOTPLUG_PLATFORM (source), res, &error);
  kernel_step_ended (self, error);
}

static gboolean
step_predicate (HotplugPlatform *platform, gpointer data)
{
  return hotplug_operation_step_done (platform, data);
}

static void
wait_for_kernel (HotplugJob *self, const HotplugStep *step)
{
  hotplug_platform_wait_async (self->platform, step_predicate, hotplug_step_copy (step),
                               (GDestroyNotify) hotplug_step_free, wait_timeout_ms (self), NULL,
                               on_wait_done, g_object_ref (self));
}

static void
on_write_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(HotplugJob) self = HOTPLUG_JOB (user_data);
  g_autoptr(GError) error = NULL;
  WriteData *w = g_task_get_task_data (G_TASK (res));

  if (!g_task_propagate_boolean (G_TASK (res), &error))
    {
      /* a write error fails the step at once */
      kernel_step_ended (self, error);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_KERNEL_WRITE], 0, hotplug_sysfs_unroot (w->path), w->value);
  wait_for_kernel (self, current_step (self));
}

static void
run_kernel_step (HotplugJob *self, const HotplugStep *step)
{
  g_autofree char *rel = NULL;
  const char *value = NULL;
  g_autoptr(GTask) task = NULL;
  WriteData *w;

  if (!hotplug_step_get_write (step, &rel, &value))
    {
      wait_for_kernel (self, step);
      return;
    }
  w = g_new0 (WriteData, 1);
  w->path = hotplug_sysfs_path (rel);
  w->value = g_strdup (value);
  /* one write at a time per job: the next step starts from its result */
  task = g_task_new (NULL, NULL, on_write_done, g_object_ref (self));
  g_task_set_task_data (task, w, (GDestroyNotify) write_data_free);
  g_task_run_in_thread (task, write_thread);
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
      step_finished (self, TRUE, NULL);
      self->pos++;
      update_progress (self);
      job_next (self);
      return;
    }
  if (dry_run && hotplug_hook_event_phase (step->name) != HOTPLUG_HOOK_PHASE_PRE)
    {
      g_autofree char *d = g_strconcat (desc, " (dry run: not run)", NULL);

      step_started (self, phase, index, d);
      step_finished (self, TRUE, NULL);
      self->pos++;
      update_progress (self);
      job_next (self);
      return;
    }
  step_started (self, phase, index, desc);
  if (step->kind == HOTPLUG_STEP_RUN_HOOKS)
    run_hooks (self, step->name, dry_run);
  else
    run_kernel_step (self, step);
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

static void
job_next (HotplugJob *self)
{
  const HotplugStep *step;

  switch (self->mode)
    {
    case MODE_RUN:
      if (self->pos >= self->steps->len)
        {
          g_autofree char *reason = NULL;

          if (self->options.dry_run)
            reason = dry_run_summary (self);
          else if (self->surprise_reason)
            reason = g_strdup (self->surprise_reason);
          else if (self->post_failures->len)
            {
              g_ptr_array_add (self->post_failures, NULL);
              reason = g_strjoinv ("; ", (char **) self->post_failures->pdata);
              g_ptr_array_remove_index (self->post_failures, self->post_failures->len - 1);
            }
          end_with (self, HOTPLUG_JOB_STATE_SUCCEEDED, reason);
          finish (self);
          return;
        }
      step = g_ptr_array_index (self->steps, self->pos);
      /* a safe point: between steps, before anything but the post-*
       * hooks (once the kernel change is made, post-* must run) */
      if ((self->cancel_requested || self->timed_out) &&
          !(step->kind == HOTPLUG_STEP_RUN_HOOKS &&
            hotplug_hook_event_phase (step->name) == HOTPLUG_HOOK_PHASE_POST))
        {
          g_autofree char *desc = hotplug_step_describe (step);

          begin_failure (self, self->timed_out ? HOTPLUG_JOB_STATE_TIMEOUT : HOTPLUG_JOB_STATE_CANCELLED,
                         NULL, self->timed_out ? "the job's time limit expired before it could "
                                                 "finish" : "cancelled");
          return;
        }
      run_step (self, step, hotplug_operation_step_phase (self->op, step), self->options.dry_run);
      return;

    case MODE_ROLLBACK:
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
  step_started (self, event, self->steps->len + self->undo->len, desc);
  run_hooks (self, event, self->options.dry_run);
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
  return G_SOURCE_REMOVE;
}

void
hotplug_job_start (HotplugJob *self)
{
  g_return_if_fail (self->mode == MODE_IDLE);

  self->mode = MODE_RUN;
  hotplug_unit_hold_state (self->unit, self->op == HOTPLUG_OPERATION_ADD ? HOTPLUG_UNIT_STATE_ADDING
                                                                          : HOTPLUG_UNIT_STATE_REMOVING);
  hotplug_log_full (G_LOG_LEVEL_MESSAGE, TOPIC, hotplug_unit_get_id (self->unit),
                    hotplug_operation_to_string (self->op), NULL, NULL, "job %u: %s %s (by %s)%s",
                    self->id, hotplug_operation_to_string (self->op), hotplug_unit_get_id (self->unit),
                    hotplug_dbus_job_get_initiator (iface (self)), self->options.dry_run ? ", dry run" : "");
  self->steps = g_ptr_array_new_with_free_func ((GDestroyNotify) hotplug_step_free);
  if (self->noop_reason)
    {
      end_with (self, HOTPLUG_JOB_STATE_SUCCEEDED, self->noop_reason);
      finish (self);
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
      take_facts (self, FALSE);
      self->steps = hotplug_operation_plan (self->platform, self->unit, self->op, self->options.flags,
                                            hotplug_config_get_memory_online_type (self->config));
    }
  if (self->options.timeout_s)
    {
      self->deadline = g_get_monotonic_time () + (gint64) self->options.timeout_s * G_USEC_PER_SEC;
      self->timeout_id = g_timeout_add_seconds (self->options.timeout_s, on_job_timeout, self);
    }
  update_progress (self);
  job_next (self);
}

gboolean
hotplug_job_cancel (HotplugJob *self, GError **error)
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
  g_cancellable_cancel (self->cancellable);
  hotplug_log_full (G_LOG_LEVEL_MESSAGE, TOPIC, hotplug_unit_get_id (self->unit), NULL, NULL, NULL,
                    "job %u: cancel requested", self->id);
  return TRUE;
}

/* --- object ----------------------------------------------------------- */

void
hotplug_job_set_noop (HotplugJob *self, const char *reason)
{
  g_free (self->noop_reason);
  self->noop_reason = g_strdup (reason);
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

static void
hotplug_job_finalize (GObject *object)
{
  HotplugJob *self = HOTPLUG_JOB (object);

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_free (self->path);
  g_clear_object (&self->unit);
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
  G_OBJECT_CLASS (hotplug_job_parent_class)->finalize (object);
}

static void
hotplug_job_class_init (HotplugJobClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hotplug_job_finalize;

  signals[SIGNAL_FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_KERNEL_WRITE] = g_signal_new ("kernel-write", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                               0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
hotplug_job_init (HotplugJob *self)
{
  self->cancellable = g_cancellable_new ();
  self->done = g_ptr_array_new ();
  self->post_failures = g_ptr_array_new_with_free_func (g_free);
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
  HotplugJob *self = g_object_new (HOTPLUG_TYPE_JOB, NULL);
  HotplugDbusJob *i = HOTPLUG_DBUS_JOB (self);

  self->id = id;
  self->path = g_strdup_printf (HOTPLUG_DBUS_JOB_PATH "/%u", id);
  self->unit = g_object_ref (unit);
  self->op = op;
  if (options)
    self->options = *options;
  self->platform = g_object_ref (platform);
  self->runner = g_object_ref (runner);
  self->config = hotplug_config_ref (config);
  self->facts = hotplug_hook_request_new ("", hotplug_dbus_unit_get_kind (HOTPLUG_DBUS_UNIT (unit)),
                                          hotplug_unit_get_id (unit));
  take_facts (self, FALSE);

  hotplug_dbus_job_set_id (i, id);
  hotplug_dbus_job_set_operation (i, hotplug_operation_to_string (op));
  hotplug_dbus_job_set_unit (i, hotplug_unit_get_id (unit));
  hotplug_dbus_job_set_state (i, "running");
  hotplug_dbus_job_set_phase (i, "");
  hotplug_dbus_job_set_step (i, "");
  hotplug_dbus_job_set_hook (i, "");
  hotplug_dbus_job_set_reason (i, "");
  hotplug_dbus_job_set_dry_run (i, self->options.dry_run);
  hotplug_dbus_job_set_force (i, self->options.force);
  hotplug_dbus_job_set_initiator (i, initiator ? initiator : "");
  hotplug_dbus_job_set_start_time (i, g_get_real_time ());
  hotplug_dbus_job_set_end_time (i, 0);
  return self;
}
