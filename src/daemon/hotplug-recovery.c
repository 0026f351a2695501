/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "hotplug-enum-types.h"
#include "hotplug-error.h"
#include "hotplug-journal.h"
#include "hotplug-recovery.h"
#include "hotplug-util.h"

void
hotplug_recovery_free (HotplugRecovery *r)
{
  if (r == NULL)
    return;
  g_free (r->journal_path);
  g_free (r->unit);
  g_free (r->kind);
  g_clear_pointer (&r->steps, g_ptr_array_unref);
  g_clear_pointer (&r->unsettled, hotplug_step_free);
  g_clear_pointer (&r->ran, g_hash_table_unref);
  g_free (r->reason);
  g_free (r->failed_what);
  g_clear_pointer (&r->facts, hotplug_hook_request_free);
  g_clear_pointer (&r->leftovers, g_array_unref);
  g_strfreev (r->leftover_units);
  g_free (r);
}

/* The history of one job as its records tell it. */
typedef struct
{
  GVariant    *begin;      /* a{sv} */
  GPtrArray   *plan;       /* HotplugStep */
  GPtrArray   *done;       /* HotplugStep (copies): kernel steps of the run, confirmed or in flight */
  HotplugStep *in_flight;  /* the run's kernel step without its end */
  gint         last_run;   /* index of the last run step begun, -1 */
  gboolean     last_open;  /* and no record ended it yet */
  gboolean     recovered;  /* a recovery job took over: its steps are its own */
  GHashTable  *confirmed;  /* indices of the run's steps that ended well */
  gboolean     eject_asked;
  gboolean     ended;
  gboolean     failing;    /* a rollback had begun */
  char        *state;      /* of the rollback */
  char        *reason;
  char        *what;
  GHashTable  *ran;        /* event → GPtrArray of names */
  GHashTable  *pids;       /* "event/name" → pgid, while running */
  GHashTable  *units;      /* "event/name" → its transient unit, while running */
} History;

static void
history_clear (History *h)
{
  g_clear_pointer (&h->begin, g_variant_unref);
  g_clear_pointer (&h->plan, g_ptr_array_unref);
  g_clear_pointer (&h->done, g_ptr_array_unref);
  g_clear_pointer (&h->in_flight, hotplug_step_free);
  g_free (h->state);
  g_free (h->reason);
  g_free (h->what);
  g_clear_pointer (&h->ran, g_hash_table_unref);
  g_clear_pointer (&h->pids, g_hash_table_unref);
  g_clear_pointer (&h->units, g_hash_table_unref);
  g_clear_pointer (&h->confirmed, g_hash_table_unref);
}

static const char *
field_str (GVariant *fields, const char *key)
{
  const char *v = NULL;

  if (!g_variant_lookup (fields, key, "&s", &v))
    return "";
  return v;
}

static gboolean
bad (GError **error, const char *what)
{
  g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED, "%s", what);
  return FALSE;
}

static gboolean
take_begin (History *h, GVariant *fields, GError **error)
{
  g_autoptr(GVariant) steps = g_variant_lookup_value (fields, "steps", G_VARIANT_TYPE ("a(suss)"));
  HotplugOperation op;
  GVariantIter iter;
  GVariant *child;

  if (h->begin)
    return bad (error, "two begin records");
  if (steps == NULL || !*field_str (fields, "unit") || !*field_str (fields, "kind") ||
      !hotplug_operation_from_string (field_str (fields, "operation"), &op) ||
      hotplug_operation_on_domain (op) != g_str_equal (field_str (fields, "kind"), "domain"))
    return bad (error, "begin record without unit, kind, operation or steps");
  h->begin = g_variant_ref (fields);
  g_variant_iter_init (&iter, steps);
  while ((child = g_variant_iter_next_value (&iter)))
    {
      HotplugStep *step = hotplug_step_from_variant (child, error);

      g_variant_unref (child);
      if (step == NULL)
        return FALSE;
      g_ptr_array_add (h->plan, step);
    }
  return TRUE;
}

static gboolean
take_step (History *h, GVariant *fields, gboolean ended, GError **error)
{
  const char *mode = field_str (fields, "mode");
  guint32 index = 0;
  gboolean ok = FALSE, written = FALSE;
  const HotplugStep *step;

  /* the rollback's own steps are state-checked again; a recovery job's
   * steps are numbered in its own plan (its hooks count, by name) */
  if (!g_str_equal (mode, "run") || h->recovered)
    return TRUE;
  if (!g_variant_lookup (fields, "index", "u", &index) || index >= h->plan->len)
    return bad (error, "step record with a bad index");
  step = g_ptr_array_index (h->plan, index);
  if (!ended)
    {
      /* the next step begun: the one before ended well */
      if (h->last_open)
        {
          g_hash_table_add (h->confirmed, GUINT_TO_POINTER (h->last_run));
          if (h->in_flight)
            g_ptr_array_add (h->done, g_steal_pointer (&h->in_flight));
        }
      h->last_run = (gint) index;
      h->last_open = TRUE;
      if (step->kind == HOTPLUG_STEP_EJECT)
        h->eject_asked = TRUE;
      g_clear_pointer (&h->in_flight, hotplug_step_free);
      if (hotplug_step_writes_kernel (step))
        h->in_flight = hotplug_step_copy (step);
      return TRUE;
    }
  g_variant_lookup (fields, "ok", "b", &ok);
  g_variant_lookup (fields, "written", "b", &written);
  if ((gint) index == h->last_run)
    h->last_open = FALSE;
  if (ok)
    g_hash_table_add (h->confirmed, GUINT_TO_POINTER (index));
  if (h->in_flight && (gint) index == h->last_run)
    {
      /* confirmed; or refused by the kernel (then nothing changed); or
       * taken but not confirmed in time: possibly done, kept in flight */
      if (ok)
        g_ptr_array_add (h->done, g_steal_pointer (&h->in_flight));
      else if (!written)
        g_clear_pointer (&h->in_flight, hotplug_step_free);
    }
  return TRUE;
}

static void
take_hook (History *h, const char *type, GVariant *fields)
{
  const char *event = field_str (fields, "event"), *name = field_str (fields, "name");
  g_autofree char *key = g_strconcat (event, "/", name, NULL);
  const char *unit = NULL;
  gint32 pid = 0;

  if (g_str_equal (type, "hook"))
    {
      GPtrArray *ran = g_hash_table_lookup (h->ran, event);

      if (ran == NULL)
        {
          ran = g_ptr_array_new_with_free_func (g_free);
          g_hash_table_insert (h->ran, g_strdup (event), ran);
        }
      g_ptr_array_add (ran, g_strdup (name));
    }
  else if (g_str_equal (type, "hook-pid") && g_variant_lookup (fields, "unit", "&s", &unit) &&
           g_str_has_prefix (unit, "hotplugd-hook-") && g_str_has_suffix (unit, ".service"))
    g_hash_table_insert (h->units, g_steal_pointer (&key), g_strdup (unit));
  else if (g_str_equal (type, "hook-pid") && g_variant_lookup (fields, "pid", "i", &pid) && pid > 1)
    g_hash_table_insert (h->pids, g_steal_pointer (&key), GINT_TO_POINTER (pid));
  else if (g_str_equal (type, "hook-end"))
    {
      g_hash_table_remove (h->pids, key);
      g_hash_table_remove (h->units, key);
    }
}

static gboolean
take_record (History *h, const HotplugJournalRecord *r, GError **error)
{
  if (g_str_equal (r->type, "begin"))
    return take_begin (h, r->fields, error);
  if (h->begin == NULL)
    return bad (error, "records before the begin record");
  if (g_str_equal (r->type, "step") || g_str_equal (r->type, "step-done"))
    return take_step (h, r->fields, g_str_equal (r->type, "step-done"), error);
  if (g_str_has_prefix (r->type, "hook"))
    take_hook (h, r->type, r->fields);
  else if (g_str_equal (r->type, "rollback"))
    {
      /* the first failure is the one to report */
      if (!h->failing)
        {
          h->state = g_strdup (field_str (r->fields, "state"));
          h->reason = g_strdup (field_str (r->fields, "reason"));
          h->what = g_strdup (field_str (r->fields, "what"));
        }
      h->failing = TRUE;
    }
  else if (g_str_equal (r->type, "end"))
    h->ended = TRUE;
  else if (g_str_equal (r->type, "recovery"))
    h->recovered = TRUE;
  else
    {
      g_autofree char *shown = hotplug_utf8_sanitize (r->type, -1, 32);
      g_autofree char *msg = g_strdup_printf ("unknown record type “%s” (from a newer hotplugd?)", shown);

      return bad (error, msg);
    }
  return TRUE;
}

static HotplugHookRequest *
facts_of (GVariant *begin, const char *kind, const char *unit)
{
  HotplugHookRequest *f = hotplug_hook_request_new ("", kind, unit);
  g_autofree const char **pci = NULL;

  f->sysfs_path = g_strdup (field_str (begin, "sysfs-path"));
  f->cpus = g_strdup (field_str (begin, "cpus"));
  f->nodes = g_strdup (field_str (begin, "nodes"));
  g_variant_lookup (begin, "memory-bytes", "t", &f->memory_bytes);
  if (g_variant_lookup (begin, "pci-devices", "^a&s", &pci))
    f->pci_devices = g_strdupv ((char **) pci);
  else
    f->pci_devices = g_new0 (char *, 1);
  return f;
}

/* What is left of the plan after the last step begun: its post-* hooks. */
static GPtrArray *
remaining_post_hooks (History *h)
{
  GPtrArray *steps = g_ptr_array_new_with_free_func ((GDestroyNotify) hotplug_step_free);

  for (guint i = (guint) MAX (h->last_run, 0); i < h->plan->len; i++)
    {
      const HotplugStep *s = g_ptr_array_index (h->plan, i);

      if (s->kind == HOTPLUG_STEP_RUN_HOOKS && g_str_has_prefix (s->name, "post-"))
        g_ptr_array_add (steps, hotplug_step_copy (s));
    }
  return steps;
}

/* Whether the kernel part of the plan is over: every kernel step and wait
 * confirmed, so only hooks were left — or the eject was asked for, after
 * which the board cannot be brought back. */
static gboolean
kernel_part_over (History *h)
{
  if (h->eject_asked)
    return TRUE;
  for (guint i = 0; i < h->plan->len; i++)
    {
      const HotplugStep *s = g_ptr_array_index (h->plan, i);

      if ((hotplug_step_writes_kernel (s) || s->kind == HOTPLUG_STEP_WAIT_DEVICES ||
           s->kind == HOTPLUG_STEP_WAIT_SWAP) &&
          !g_hash_table_contains (h->confirmed, GUINT_TO_POINTER (i)))
        return FALSE;
    }
  return TRUE;
}

static HotplugRecovery *
build (History *h, const char *path, gsize valid_length)
{
  HotplugRecovery *r = g_new0 (HotplugRecovery, 1);
  const char *op = field_str (h->begin, "operation");
  guint32 job = 0;
  GHashTableIter iter;
  gpointer value;

  g_variant_lookup (h->begin, "job", "u", &job);
  r->journal_path = g_strdup (path);
  r->valid_length = valid_length;
  r->unit = g_strdup (field_str (h->begin, "unit"));
  r->kind = g_strdup (field_str (h->begin, "kind"));
  if (!hotplug_operation_from_string (op, &r->op))
    r->op = HOTPLUG_OPERATION_REPLACE;
  r->original_job = job;
  g_variant_lookup (h->begin, "force", "b", &r->force);
  r->facts = facts_of (h->begin, r->kind, r->unit);
  r->ran = g_steal_pointer (&h->ran);
  r->leftovers = g_array_new (FALSE, FALSE, sizeof (int));
  g_hash_table_iter_init (&iter, h->pids);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      int pgid = GPOINTER_TO_INT (value);

      g_array_append_val (r->leftovers, pgid);
    }
  {
    GPtrArray *units = g_ptr_array_new ();

    g_hash_table_iter_init (&iter, h->units);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      g_ptr_array_add (units, g_strdup (value));
    g_ptr_array_add (units, NULL);
    r->leftover_units = (GStrv) g_ptr_array_free (units, FALSE);
  }
  r->forward = !h->failing && kernel_part_over (h);
  if (r->forward)
    {
      r->steps = remaining_post_hooks (h);
      /* the eject in flight: waited for, and asked again unless it
       * happened by then */
      if (h->in_flight)
        {
          r->unsettled = hotplug_step_copy (h->in_flight);
          g_ptr_array_insert (r->steps, 0, g_steal_pointer (&h->in_flight));
        }
      r->reason = g_strdup_printf ("hotplugd stopped during job %u (%s of %s): completed on restart", job, op,
                                   r->unit);
      return r;
    }
  if (h->in_flight)
    {
      /* possibly done: settled, then undone if it happened */
      r->unsettled = hotplug_step_copy (h->in_flight);
      g_ptr_array_add (h->done, g_steal_pointer (&h->in_flight));
    }
  r->steps = g_steal_pointer (&h->done);
  if (h->failing)
    {
      int state = HOTPLUG_JOB_STATE_FAILED;

      hotplug_enum_from_string (HOTPLUG_TYPE_JOB_STATE, h->state, &state);
      r->state = state;
      r->reason = g_strdup_printf ("%s (hotplugd stopped during the rollback of job %u; completed on restart)",
                                   h->reason, job);
      r->failed_what = g_strdup (h->what);
    }
  else
    {
      r->state = HOTPLUG_JOB_STATE_FAILED;
      r->reason = g_strdup_printf ("hotplugd stopped during job %u (%s of %s): rolled back on restart", job, op,
                                   r->unit);
      r->failed_what = g_strdup ("hotplugd");
    }
  return r;
}

gboolean
hotplug_recovery_read (const char *path, HotplugRecovery **recovery, char **note, GError **error)
{
  g_autoptr(GPtrArray) records = NULL;
  gsize valid = 0;
  History h = { 0 };
  gboolean ok = TRUE;
  g_autofree char *text = NULL;
  gsize length = 0;

  *recovery = NULL;
  *note = NULL;
  if (!g_file_get_contents (path, &text, &length, error))
    return FALSE;
  if (length == 0)
    return TRUE; /* created, nothing written: nothing happened */
  records = hotplug_journal_parse (text, length, &valid, error);
  if (records == NULL)
    return FALSE;
  h.plan = g_ptr_array_new_with_free_func ((GDestroyNotify) hotplug_step_free);
  h.done = g_ptr_array_new_with_free_func ((GDestroyNotify) hotplug_step_free);
  h.ran = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  h.pids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  h.units = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  h.confirmed = g_hash_table_new (NULL, NULL);
  h.last_run = -1;
  for (guint i = 0; ok && i < records->len; i++)
    ok = take_record (&h, g_ptr_array_index (records, i), error);
  if (ok && h.begin && !h.ended)
    {
      const char *boot = field_str (h.begin, "boot-id");

      if (*boot && *hotplug_journal_boot_id () && !g_str_equal (boot, hotplug_journal_boot_id ()))
        *note = g_strdup_printf ("job %s of %s was interrupted by a restart of the machine: nothing to undo",
                                 field_str (h.begin, "operation"), field_str (h.begin, "unit"));
      else
        *recovery = build (&h, path, valid);
    }
  history_clear (&h);
  return ok;
}

/* Whether process PID carries HOTPLUG_JOB=JOB in its environment. */
static gboolean
has_job_env (const char *pid, const char *want)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/environ", pid);
  g_autofree char *env = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &env, &len, NULL))
    return FALSE;
  for (gsize i = 0; i < len; i += strlen (env + i) + 1)
    if (g_str_equal (env + i, want))
      return TRUE;
  return FALSE;
}

static int
pgrp_of (const char *pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/stat", pid);
  g_autofree char *stat = NULL;
  const char *p;
  int pgrp = -1;

  if (!g_file_get_contents (path, &stat, NULL, NULL) || (p = strrchr (stat, ')')) == NULL)
    return -1;
  /* ") S ppid pgrp" */
  if (sscanf (p + 1, " %*c %*d %d", &pgrp) != 1)
    return -1;
  return pgrp;
}

guint
hotplug_recovery_kill_leftovers (HotplugRecovery *r)
{
  g_autofree char *want = g_strdup_printf ("HOTPLUG_JOB=%u", r->original_job);
  g_autoptr(GDir) proc = NULL;
  const char *name;
  guint killed = 0;

  if (r->leftover_units && r->leftover_units[0])
    {
      /* a hook in a unit of its own: its whole cgroup */
      hotplug_hook_units_stop ((const char * const *) r->leftover_units);
      killed += g_strv_length (r->leftover_units);
    }
  if (r->leftovers == NULL || r->leftovers->len == 0)
    return killed;
  proc = g_dir_open ("/proc", 0, NULL);
  while (proc && (name = g_dir_read_name (proc)))
    {
      int pgrp;

      if (!g_ascii_isdigit (name[0]) || (pgrp = pgrp_of (name)) <= 1)
        continue;
      for (guint i = 0; i < r->leftovers->len; i++)
        /* the group alone could be a reused number: the environment
         * the daemon gave the hook tells it is one of ours */
        if (pgrp == g_array_index (r->leftovers, int, i) && has_job_env (name, want) &&
            kill ((pid_t) g_ascii_strtoll (name, NULL, 10), SIGKILL) == 0)
          killed++;
    }
  return killed;
}
