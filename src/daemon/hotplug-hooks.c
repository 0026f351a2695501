/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hook runner: the events and kinds, requests and results, the runner
 * object.  Discovery and trust are in hotplug-hook-discover.c, running in
 * hotplug-hook-run.c, output in hotplug-hook-output.c. */
#include "config.h"

#include <string.h>

#include "hotplug-error.h"
#include "hotplug-hooks-private.h"

/* ---- Events and kinds --------------------------------------------------- */

typedef struct {
  const char       *event;
  const char       *operation;
  HotplugHookPhase  phase;
  gboolean          domain;   /* takes kind "domain", not a unit kind */
} EventInfo;

static const EventInfo event_table[] = {
  { "pre-add",           "add",        HOTPLUG_HOOK_PHASE_PRE,    FALSE },
  { "post-add",          "add",        HOTPLUG_HOOK_PHASE_POST,   FALSE },
  { "add-failed",        "add",        HOTPLUG_HOOK_PHASE_FAILED, FALSE },
  { "pre-remove",        "remove",     HOTPLUG_HOOK_PHASE_PRE,    FALSE },
  { "post-remove",       "remove",     HOTPLUG_HOOK_PHASE_POST,   FALSE },
  { "remove-failed",     "remove",     HOTPLUG_HOOK_PHASE_FAILED, FALSE },
  { "pre-replace",       "replace",    HOTPLUG_HOOK_PHASE_PRE,    FALSE },
  { "post-replace",      "replace",    HOTPLUG_HOOK_PHASE_POST,   FALSE },
  { "replace-failed",    "replace",    HOTPLUG_HOOK_PHASE_FAILED, FALSE },
  { "pre-switchover",    "switchover", HOTPLUG_HOOK_PHASE_PRE,    TRUE },
  { "post-switchover",   "switchover", HOTPLUG_HOOK_PHASE_POST,   TRUE },
  { "switchover-failed", "switchover", HOTPLUG_HOOK_PHASE_FAILED, TRUE },
  { "post-connect",      "connect",    HOTPLUG_HOOK_PHASE_POST,   TRUE },
};

static const char * const unit_kinds[] = { "sb", "iou", "slot", "cpu", "memory", NULL };
#define DOMAIN_KIND "domain"

static const EventInfo *
event_lookup (const char *event)
{
  for (guint i = 0; event && i < G_N_ELEMENTS (event_table); i++)
    if (g_str_equal (event_table[i].event, event))
      return &event_table[i];
  return NULL;
}

const char * const *
hotplug_hook_events (void)
{
  static const char *list[G_N_ELEMENTS (event_table) + 1];

  if (list[0] == NULL)
    for (guint i = 0; i < G_N_ELEMENTS (event_table); i++)
      list[i] = event_table[i].event;
  return list;
}

gboolean
hotplug_hook_event_is_valid (const char *event)
{
  return event_lookup (event) != NULL;
}

gboolean
hotplug_hook_kind_is_valid (const char *kind)
{
  return kind && (g_strv_contains (unit_kinds, kind) || g_str_equal (kind, DOMAIN_KIND));
}

HotplugHookPhase
hotplug_hook_event_phase (const char *event)
{
  const EventInfo *info = event_lookup (event);

  g_return_val_if_fail (info != NULL, HOTPLUG_HOOK_PHASE_POST);
  return info->phase;
}

const char *
hotplug_hook_event_operation (const char *event)
{
  const EventInfo *info = event_lookup (event);

  return info ? info->operation : NULL;
}

gboolean
hotplug_hook_check_event (const char *event, const char *kind, GError **error)
{
  const EventInfo *info = event_lookup (event);

  if (info == NULL)
    {
      g_autofree char *all = g_strjoinv (", ", (char **) hotplug_hook_events ());
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                   "Unknown hook event “%s” (known: %s)", event ? event : "", all);
      return FALSE;
    }
  if (!hotplug_hook_kind_is_valid (kind))
    {
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                   "Unknown unit kind “%s” (known: sb, iou, slot, cpu, memory, domain)",
                   kind ? kind : "");
      return FALSE;
    }
  if (info->domain != g_str_equal (kind, DOMAIN_KIND))
    {
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                   info->domain ? "Event “%s” is a domain event: its kind is “domain”, not “%s”"
                                : "Event “%s” is a unit event: kind “%s” does not apply",
                   event, kind);
      return FALSE;
    }
  return TRUE;
}

/* ---- Requests and results ----------------------------------------------- */

HotplugHookRequest *
hotplug_hook_request_new (const char *event, const char *kind, const char *unit)
{
  HotplugHookRequest *r = g_new0 (HotplugHookRequest, 1);

  r->event = g_strdup (event);
  r->kind = g_strdup (kind);
  r->unit = g_strdup (unit);
  return r;
}

void
hotplug_hook_request_free (HotplugHookRequest *r)
{
  if (r == NULL)
    return;
  g_free (r->event);
  g_free (r->kind);
  g_free (r->unit);
  g_free (r->job);
  g_free (r->operation);
  g_free (r->sysfs_path);
  g_free (r->cpus);
  g_free (r->nodes);
  g_strfreev (r->pci_devices);
  g_free (r->failed_hook);
  g_free (r->failure_reason);
  g_free (r->resume_from);
  g_strfreev (r->skip);
  g_free (r);
}

HotplugHookRequest *
hotplug_hook_request_copy (const HotplugHookRequest *src)
{
  HotplugHookRequest *r = hotplug_hook_request_new (src->event, src->kind, src->unit);

  r->job = g_strdup (src->job);
  r->operation = g_strdup (src->operation);
  r->sysfs_path = g_strdup (src->sysfs_path);
  r->cpus = g_strdup (src->cpus);
  r->memory_bytes = src->memory_bytes;
  r->nodes = g_strdup (src->nodes);
  r->pci_devices = g_strdupv (src->pci_devices);
  r->force = src->force;
  r->dry_run = src->dry_run;
  r->failed_hook = g_strdup (src->failed_hook);
  r->failure_reason = g_strdup (src->failure_reason);
  r->resume_from = g_strdup (src->resume_from);
  r->skip = g_strdupv (src->skip);
  return r;
}

void
hotplug_hook_record_free (HotplugHookRecord *rec)
{
  if (rec == NULL)
    return;
  g_free (rec->name);
  g_free (rec->path);
  g_free (rec->unit);
  g_free (rec->reason);
  g_free (rec->output);
  g_free (rec);
}

void
hotplug_hook_result_free (HotplugHookResult *result)
{
  if (result == NULL)
    return;
  g_free (result->event);
  g_free (result->reason);
  g_free (result->hook);
  g_clear_pointer (&result->records, g_ptr_array_unref);
  g_clear_pointer (&result->hooks, g_ptr_array_unref);
  g_strfreev (result->failures);
  g_free (result);
}

const char *
hotplug_hook_outcome_to_string (HotplugHookOutcome outcome)
{
  switch (outcome)
    {
    case HOTPLUG_HOOK_OUTCOME_OK:        return "ok";
    case HOTPLUG_HOOK_OUTCOME_VETOED:    return "vetoed";
    case HOTPLUG_HOOK_OUTCOME_FAILED:    return "failed";
    case HOTPLUG_HOOK_OUTCOME_TIMEOUT:   return "timeout";
    case HOTPLUG_HOOK_OUTCOME_RETRY:     return "retry";
    case HOTPLUG_HOOK_OUTCOME_CANCELLED: return "cancelled";
    default:                             return "unknown";
    }
}


/* ---- The runner --------------------------------------------------------- */

G_DEFINE_TYPE (HotplugHookRunner, hotplug_hook_runner, G_TYPE_OBJECT)

static void
hotplug_hook_runner_finalize (GObject *object)
{
  HotplugHookRunner *self = HOTPLUG_HOOK_RUNNER (object);

  g_clear_pointer (&self->config, hotplug_config_unref);
  g_free (self->vendor_root);
  g_free (self->admin_root);
  g_hash_table_unref (self->runs);
  G_OBJECT_CLASS (hotplug_hook_runner_parent_class)->finalize (object);
}

static void
hotplug_hook_runner_class_init (HotplugHookRunnerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hotplug_hook_runner_finalize;
}

static void
hotplug_hook_runner_init (HotplugHookRunner *self)
{
  self->runs = g_hash_table_new (NULL, NULL);
}

HotplugHookRunner *
hotplug_hook_runner_new (HotplugConfig *config, const char *vendor_root, const char *admin_root)
{
  HotplugHookRunner *self = g_object_new (HOTPLUG_TYPE_HOOK_RUNNER, NULL);

  self->config = config ? hotplug_config_ref (config) : hotplug_config_new ();
  self->vendor_root = g_strdup (vendor_root ? vendor_root : hotplug_hooks_default_vendor_root ());
  self->admin_root = g_strdup (admin_root ? admin_root : hotplug_hooks_default_admin_root ());
  return self;
}

void
hotplug_hook_runner_set_config (HotplugHookRunner *self, HotplugConfig *config)
{
  g_return_if_fail (HOTPLUG_IS_HOOK_RUNNER (self));
  g_return_if_fail (config != NULL);
  /* Runs in flight keep the config they started with. */
  hotplug_config_ref (config);
  g_clear_pointer (&self->config, hotplug_config_unref);
  self->config = config;
}

HotplugConfig *
hotplug_hook_runner_get_config (HotplugHookRunner *self)
{
  g_return_val_if_fail (HOTPLUG_IS_HOOK_RUNNER (self), NULL);
  return self->config;
}

const char *
hotplug_hook_runner_get_vendor_root (HotplugHookRunner *self)
{
  g_return_val_if_fail (HOTPLUG_IS_HOOK_RUNNER (self), NULL);
  return self->vendor_root;
}

const char *
hotplug_hook_runner_get_admin_root (HotplugHookRunner *self)
{
  g_return_val_if_fail (HOTPLUG_IS_HOOK_RUNNER (self), NULL);
  return self->admin_root;
}
