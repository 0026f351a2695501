/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "hotplug-enum-types.h"
#include "hotplug-job-private.h"
#include "hotplug-util.h"

static HotplugDbusJob *
iface (HotplugJob *self)
{
  return HOTPLUG_DBUS_JOB (self);
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
take_domain_facts (HotplugJob *self)
{
  HotplugHookRequest *f = self->facts;
  const char *id = hotplug_domain_get_id (self->domain);
  /* the model's devices, which the domain's PciDevices follow at the next
   * ownership pass */
  g_autoptr(GPtrArray) devices = hotplug_platform_domain_devices (self->platform, id);
  g_auto(GStrv) buses = hotplug_platform_domain_root_buses (self->platform, id);
  g_autofree char *root = buses[0] ? g_strconcat ("/sys/devices/pci", buses[0], NULL) : NULL;

  /* a domain that is connecting shows its devices only once it is */
  if (root || is_empty (f->sysfs_path))
    replace_str (&f->sysfs_path, root ? root : "");
  if (devices->len > 0 || f->pci_devices == NULL)
    {
      g_strfreev (f->pci_devices);
      f->pci_devices = g_new0 (char *, devices->len + 1);
      /* shallowest first, the order a connect brings them in */
      for (guint i = 0; i < devices->len; i++)
        f->pci_devices[devices->len - 1 - i] = g_strdup (((HotplugDomainDevice *) g_ptr_array_index (devices, i))->bdf);
    }
}

void
hotplug_job_take_facts (HotplugJob *self, gboolean fill_only)
{
  HotplugDbusUnit *u;
  HotplugHookRequest *f = self->facts;
  const char *const *pci;

  if (self->domain)
    {
      take_domain_facts (self);
      return;
    }
  u = HOTPLUG_DBUS_UNIT (self->unit);
  pci = hotplug_dbus_unit_get_pci_devices (u);

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
  HotplugHookRequest *req = hotplug_hook_request_new (event, self->facts->kind, hotplug_job_target_id (self));

  if (self->op == HOTPLUG_OPERATION_ADD || self->op == HOTPLUG_OPERATION_CONNECT)
    hotplug_job_take_facts (self, TRUE);
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
                  HotplugHookStage          stage,
                  gpointer                  user_data)
{
  HotplugJob *self = HOTPLUG_JOB (user_data);
  g_autofree char *result = NULL;
  const char *word;

  if (stage == HOTPLUG_HOOK_STARTING)
    {
      /* before it runs: a daemon that dies from here on counts it as run */
      hotplug_job_journal (self, "hook", "event", g_variant_new_string (request->event),
                     "name", g_variant_new_string (record->name), NULL);
      hotplug_dbus_job_set_hook (iface (self), record->path);
      return;
    }
  if (stage == HOTPLUG_HOOK_SPAWNED)
    {
      /* a hook in a unit of its own: the unit, to be stopped by a
       * recovery (pid 0, which older readers skip) */
      if (record->unit)
        hotplug_job_journal (self, "hook-pid", "event", g_variant_new_string (request->event),
                       "name", g_variant_new_string (record->name), "pid", g_variant_new_int32 (0),
                       "unit", g_variant_new_string (record->unit), NULL);
      else
        hotplug_job_journal (self, "hook-pid", "event", g_variant_new_string (request->event),
                       "name", g_variant_new_string (record->name), "pid", g_variant_new_int32 (record->pid), NULL);
      return;
    }
  hotplug_job_journal (self, "hook-end", "event", g_variant_new_string (request->event),
                 "name", g_variant_new_string (record->name), "status", g_variant_new_int32 (record->exit_status),
                 NULL);
  hotplug_dbus_job_set_hook (iface (self), "");
  if (record->timed_out)
    word = "timeout";
  else if (record->exit_status == 0 && record->term_signal == 0 && !record->spawn_failed)
    word = "ok";
  else if (self->cancellable && g_cancellable_is_cancelled (self->cancellable) && record->term_signal != 0)
    word = "cancelled";
  else if (record->exit_status == HOTPLUG_HOOK_EXIT_RETRY && g_str_equal (request->event, "pre-switchover"))
    word = "pending";
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
      hotplug_job_step_finished (self, FALSE, error->message);
      if (self->mode == MODE_RUN)
        hotplug_job_fail_named (self, HOTPLUG_JOB_STATE_FAILED, "hooks", error->message);
      else
        hotplug_job_finish (self);
      return;
    }
  phase = hotplug_hook_event_phase (result->event);

  if (self->mode == MODE_FAILED)
    {
      hotplug_job_step_finished (self, result->outcome == HOTPLUG_HOOK_OUTCOME_OK, result->reason);
      hotplug_job_finish (self);
      return;
    }

  if (phase == HOTPLUG_HOOK_PHASE_PRE)
    {
      switch (result->outcome)
        {
        case HOTPLUG_HOOK_OUTCOME_OK:
          break;
        case HOTPLUG_HOOK_OUTCOME_RETRY:
          {
            const HotplugHookRecord *last = result->records && result->records->len
                                              ? g_ptr_array_index (result->records, result->records->len - 1)
                                              : NULL;

            /* "not yet": the step stays where it is, pending */
            hotplug_job_retry_hooks (self, result->hook, last ? last->path : NULL, result->reason);
            return;
          }
        case HOTPLUG_HOOK_OUTCOME_TIMEOUT:
          {
            /* the runner's reason names the hook and its limit: no veto, the
             * hook never answered */
            g_autofree char *reason = result->reason && *result->reason
                                        ? g_strdup (result->reason)
                                        : g_strdup_printf ("hook %s timed out", result->hook ? result->hook : "");

            hotplug_job_step_finished (self, FALSE, reason);
            hotplug_job_fail (self, HOTPLUG_JOB_STATE_TIMEOUT, result->hook ? result->hook : "", reason, FALSE);
            return;
          }
        case HOTPLUG_HOOK_OUTCOME_CANCELLED:
          hotplug_job_step_finished (self, FALSE, "cancelled");
          hotplug_job_fail_named (self, self->timed_out ? HOTPLUG_JOB_STATE_TIMEOUT : HOTPLUG_JOB_STATE_CANCELLED,
                         result->hook, self->timed_out ? "the job's time limit expired" : hotplug_job_cancel_reason (self));
          return;
        default:
          {
            g_autofree char *reason = g_strdup (result->reason && *result->reason ? result->reason
                                                : "vetoed by a hook");
            hotplug_job_step_finished (self, FALSE, reason);
            hotplug_job_fail_named (self, HOTPLUG_JOB_STATE_VETOED, result->hook ? result->hook : "", reason);
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
  hotplug_job_retry_clear (self);
  hotplug_job_step_finished (self, TRUE, phase == HOTPLUG_HOOK_PHASE_PRE ? NULL : result->reason);
  self->pos++;
  hotplug_job_update_progress (self);
  hotplug_job_next (self);
}

void
hotplug_job_run_hooks (HotplugJob *self, const char *event, gboolean dry_run)
{
  g_autoptr(HotplugHookRequest) req = make_request (self, event);
  /* only pre-* is interrupted by Cancel: post-* and *-failed always run
   * to their end */
  GCancellable *c = hotplug_hook_event_phase (event) == HOTPLUG_HOOK_PHASE_PRE ? self->cancellable : NULL;

  req->dry_run = dry_run;
  if (self->resume_from && g_str_equal (event, "pre-switchover"))
    req->resume_from = g_strdup (self->resume_from);
  if (self->mode == MODE_FAILED)
    {
      req->failed_hook = g_strdup (self->failed_what);
      req->failure_reason = g_strdup (self->end_reason);
    }
  else if (self->surprise_reason)
    req->failure_reason = g_strdup (self->surprise_reason);
  if (self->recovery && self->recovery->ran)
    {
      GPtrArray *ran = g_hash_table_lookup (self->recovery->ran, event);

      if (ran)
        {
          req->skip = g_new0 (char *, ran->len + 1);
          for (guint i = 0; i < ran->len; i++)
            req->skip[i] = g_strdup (g_ptr_array_index (ran, i));
        }
    }
  hotplug_hook_runner_run_async (self->runner, req, c, on_hook_progress, g_object_ref (self), g_object_unref,
                                 on_hooks_done, g_object_ref (self));
}

