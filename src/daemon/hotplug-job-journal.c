/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "hotplug-enum-types.h"
#include "hotplug-job-private.h"
#include "hotplug-log.h"
#include "hotplug-util.h"

#define TOPIC "job"

static HotplugDbusJob *
iface (HotplugJob *self)
{
  return HOTPLUG_DBUS_JOB (self);
}

/* --- journal ---------------------------------------------------------- */


/* Appends a record of KEY, GVariant * pairs (floating references are
 * consumed), NULL-terminated.  A journal that cannot be written is logged:
 * stopping an operation half-way would be worse than going on without. */
void
hotplug_job_journal (HotplugJob *self, const char *type, ...)
{
  g_auto(GVariantBuilder) b = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autoptr(GError) error = NULL;
  const char *key;
  va_list ap;

  va_start (ap, type);
  while ((key = va_arg (ap, const char *)))
    {
      GVariant *value = va_arg (ap, GVariant *);

      g_variant_builder_add (&b, "{sv}", key, value);
    }
  va_end (ap);
  if (self->journal == NULL)
    return;
  if (!hotplug_journal_append (self->journal, type, g_variant_builder_end (&b), &error))
    hotplug_log_full (G_LOG_LEVEL_WARNING, TOPIC, hotplug_job_target_id (self), NULL, NULL, NULL,
                      "job %u: %s", self->id, error->message);
}

static const char *
mode_name (Mode mode)
{
  return mode == MODE_RUN ? "run" : mode == MODE_ROLLBACK ? "rollback" : "failed";
}

static GVariant *
steps_variant (GPtrArray *steps)
{
  g_auto(GVariantBuilder) b = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(suss)"));

  for (guint i = 0; steps && i < steps->len; i++)
    g_variant_builder_add_value (&b, hotplug_step_to_variant (g_ptr_array_index (steps, i)));
  return g_variant_builder_end (&b);
}

static GVariant *
strv_variant (GStrv v)
{
  return g_variant_new_strv ((const char *const *) v, -1);
}

/* The first record: everything a later start needs to finish or undo the
 * job without this process. */
gboolean
hotplug_job_journal_begin (HotplugJob *self, GError **error)
{
  HotplugDbusJob *j = iface (self);
  HotplugHookRequest *f = self->facts;

  if (self->journal_dir == NULL || self->options.dry_run)
    return TRUE;
  self->journal = hotplug_journal_create (self->journal_dir, self->id, error);
  if (self->journal == NULL)
    return FALSE;
  hotplug_job_journal (self, "begin", "boot-id", g_variant_new_string (hotplug_journal_boot_id ()),
                 "job", g_variant_new_uint32 (self->id),
                 "unit", g_variant_new_string (hotplug_job_target_id (self)),
                 "kind", g_variant_new_string (f->kind),
                 "operation", g_variant_new_string (hotplug_operation_to_string (self->op)),
                 "initiator", g_variant_new_string (hotplug_dbus_job_get_initiator (j)),
                 "force", g_variant_new_boolean (self->options.force),
                 "start-time", g_variant_new_int64 (hotplug_dbus_job_get_start_time (j)),
                 "sysfs-path", g_variant_new_string (f->sysfs_path ? f->sysfs_path : ""),
                 "cpus", g_variant_new_string (f->cpus ? f->cpus : ""),
                 "memory-bytes", g_variant_new_uint64 (f->memory_bytes),
                 "nodes", g_variant_new_string (f->nodes ? f->nodes : ""),
                 "pci-devices", strv_variant (f->pci_devices),
                 "surprise", g_variant_new_string (self->surprise_reason ? self->surprise_reason : ""),
                 "steps", steps_variant (self->steps), NULL);
  return TRUE;
}

void
hotplug_job_journal_step (HotplugJob *self, guint index, const HotplugStep *step)
{
  if (self->journal)
    hotplug_job_journal (self, "step", "mode", g_variant_new_string (mode_name (self->mode)),
                   "index", g_variant_new_uint32 (index), "step", hotplug_step_to_variant (step), NULL);
}

void
hotplug_job_journal_step_done (HotplugJob *self, gboolean ok)
{
  /* The plan's steps run one after the other: the record of the next one
   * says this one ended well, and the journal costs one record per step.
   * Only a failure is written, with whether the kernel took the write
   * (then the step is possibly done). */
  if (self->journal == NULL || (ok && self->mode == MODE_RUN))
    return;
  hotplug_job_journal (self, "step-done", "mode", g_variant_new_string (mode_name (self->mode)),
                       "index", g_variant_new_uint32 (self->signal_index), "ok", g_variant_new_boolean (ok),
                       "written", g_variant_new_boolean (self->unsettled != NULL), NULL);
}

