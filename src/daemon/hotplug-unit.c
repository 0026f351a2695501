/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <string.h>

#include "hotplug-emit-throttle.h"
#include "hotplug-enum-types.h"
#include "hotplug-error.h"
#include "hotplug-names.h"
#include "hotplug-unit.h"
#include "hotplug-util.h"

struct _HotplugUnit
{
  HotplugDbusUnitSkeleton parent_instance;

  HotplugUnitKind  kind;
  char            *id;
  HotplugUnitState state;
  gboolean         held;
  HotplugUnitState held_state;
  gboolean         failed;     /* an undo failed: until a job (not a dry run) repairs it */
  GArray          *cpus;
  HotplugEmitThrottle emit;
};

G_DEFINE_TYPE (HotplugUnit, hotplug_unit, HOTPLUG_DBUS_TYPE_UNIT_SKELETON)

static void
hotplug_unit_finalize (GObject *object)
{
  HotplugUnit *self = HOTPLUG_UNIT (object);

  hotplug_emit_throttle_clear (&self->emit);
  g_free (self->id);
  g_clear_pointer (&self->cpus, g_array_unref);
  G_OBJECT_CLASS (hotplug_unit_parent_class)->finalize (object);
}

/* the counts that change with every CPU and memory block a job takes
 * (hotplug-emit-throttle.h) */
static const char *const fast_properties[] = { "cpus-online", "memory-blocks-online", NULL };

static void
hotplug_unit_notify (GObject *object, GParamSpec *pspec)
{
  hotplug_emit_throttle_notify (&HOTPLUG_UNIT (object)->emit, pspec);
}

static void
hotplug_unit_class_init (HotplugUnitClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hotplug_unit_finalize;
  G_OBJECT_CLASS (klass)->notify = hotplug_unit_notify;
}

static void
hotplug_unit_init (HotplugUnit *self)
{
  self->cpus = g_array_new (FALSE, FALSE, sizeof (guint));
  hotplug_emit_throttle_init (&self->emit, G_OBJECT (self), G_OBJECT_CLASS (hotplug_unit_parent_class)->notify,
                              fast_properties);
}

HotplugUnit *
hotplug_unit_new (HotplugUnitKind kind, const char *id)
{
  HotplugUnit *self;
  HotplugDbusUnit *iface;

  g_return_val_if_fail (id != NULL && *id, NULL);

  self = g_object_new (HOTPLUG_TYPE_UNIT, NULL);
  iface = HOTPLUG_DBUS_UNIT (self);
  self->kind = kind;
  self->id = g_strdup (id);
  self->state = HOTPLUG_UNIT_STATE_OFFLINE;
  hotplug_dbus_unit_set_id (iface, id);
  hotplug_dbus_unit_set_kind (iface, hotplug_enum_to_string (HOTPLUG_TYPE_UNIT_KIND, kind));
  hotplug_dbus_unit_set_state (iface, hotplug_enum_to_string (HOTPLUG_TYPE_UNIT_STATE, self->state));
  hotplug_dbus_unit_set_job (iface, "/");
  hotplug_dbus_unit_set_blockers (iface, g_variant_new_array (G_VARIANT_TYPE ("(ssss)"), NULL, 0));
  return self;
}

HotplugUnitKind
hotplug_unit_get_kind (HotplugUnit *self)
{
  return self->kind;
}

const char *
hotplug_unit_get_id (HotplugUnit *self)
{
  return self->id;
}

HotplugUnitState
hotplug_unit_get_state (HotplugUnit *self)
{
  return self->state;
}

void
hotplug_unit_set_state (HotplugUnit *self, HotplugUnitState state)
{
  g_return_if_fail (HOTPLUG_IS_UNIT (self));
  if (self->state == state)
    return;
  self->state = state;
  if (!self->held)
    hotplug_dbus_unit_set_state (HOTPLUG_DBUS_UNIT (self),
                                 hotplug_enum_to_string (HOTPLUG_TYPE_UNIT_STATE, state));
}

static void
hold_state (HotplugUnit *self, HotplugUnitState state)
{
  self->held = TRUE;
  self->held_state = state;
  hotplug_unit_update_string (self, "state", hotplug_enum_to_string (HOTPLUG_TYPE_UNIT_STATE, state));
}

static void
release_state (HotplugUnit *self)
{
  self->held = FALSE;
  hotplug_unit_update_string (self, "state", hotplug_enum_to_string (HOTPLUG_TYPE_UNIT_STATE, self->state));
}

void
hotplug_unit_job_attached (HotplugUnit *self, const char *job_path)
{
  hotplug_unit_update_string (self, "job", job_path);
}

void
hotplug_unit_job_running (HotplugUnit *self, HotplugUnitState state)
{
  hold_state (self, state);
}

void
hotplug_unit_job_phase (HotplugUnit *self, const char *phase)
{
  hotplug_unit_update_string (self, "phase", phase);
}

void
hotplug_unit_job_ended (HotplugUnit *self,
                        const char  *operation,
                        const char  *state,
                        const char  *reason,
                        gint64       end_time,
                        gboolean     dry_run,
                        gboolean     unit_failed)
{
  /* only a job that went through repairs a unit left failed; a dry run,
   * a veto, a failure rolled back change nothing of that */
  if (!dry_run && unit_failed)
    self->failed = TRUE;
  else if (!dry_run && g_str_equal (state, "succeeded"))
    self->failed = FALSE;
  if (self->failed)
    hold_state (self, HOTPLUG_UNIT_STATE_FAILED);
  else
    release_state (self);
  hotplug_unit_update_string (self, "phase", "");
  hotplug_unit_update_string (self, "job", "/");
  hotplug_unit_update_string (self, "last-job-operation", operation);
  hotplug_unit_update_string (self, "last-job-state", state);
  hotplug_unit_update_string (self, "last-job-reason", reason);
  hotplug_dbus_unit_set_last_job_end_time (HOTPLUG_DBUS_UNIT (self), end_time);
}

void
hotplug_unit_set_eject_pending (HotplugUnit *self, gboolean pending)
{
  HotplugDbusUnit *iface = HOTPLUG_DBUS_UNIT (self);

  if (hotplug_dbus_unit_get_eject_pending (iface) != pending)
    hotplug_dbus_unit_set_eject_pending (iface, pending);
}

void
hotplug_unit_restore_failed (HotplugUnit *self, const char *reason)
{
  self->failed = TRUE;
  hold_state (self, HOTPLUG_UNIT_STATE_FAILED);
  if (!*hotplug_dbus_unit_get_last_job_state (HOTPLUG_DBUS_UNIT (self)))
    {
      hotplug_unit_update_string (self, "last-job-state", "failed");
      hotplug_unit_update_string (self, "last-job-reason", reason);
    }
}

HotplugUnitState
hotplug_unit_get_public_state (HotplugUnit *self)
{
  return self->held ? self->held_state : self->state;
}

void
hotplug_unit_set_cpu_list (HotplugUnit *self, GArray *cpus)
{
  g_autofree char *text = NULL;

  g_array_set_size (self->cpus, 0);
  if (cpus)
    g_array_append_vals (self->cpus, cpus->data, cpus->len);
  text = hotplug_list_format_array (self->cpus);
  hotplug_unit_update_string (self, "cpus", text);
}

GArray *
hotplug_unit_get_cpu_list (HotplugUnit *self)
{
  return self->cpus;
}

guint
hotplug_unit_get_blocks_online (HotplugUnit *self)
{
  return hotplug_dbus_unit_get_memory_blocks_online (HOTPLUG_DBUS_UNIT (self));
}

void
hotplug_unit_update_string (HotplugUnit *self, const char *property, const char *value)
{
  g_autofree char *old = NULL;
  g_autofree char *valid = NULL;

  /* sysfs, hooks, the kernel's words: a D-Bus string is UTF-8 */
  if (value && !g_utf8_validate (value, -1, NULL))
    value = valid = hotplug_utf8_sanitize (value, -1, 0);
  g_object_get (self, property, &old, NULL);
  if (g_strcmp0 (old, value ? value : "") != 0)
    g_object_set (self, property, value ? value : "", NULL);
}

void
hotplug_unit_update_strv (HotplugUnit *self, const char *property, const char *const *value)
{
  g_auto(GStrv) old = NULL;
  const char *const empty[] = { NULL };

  g_auto(GStrv) valid = NULL;

  if (value == NULL)
    value = empty;
  for (guint i = 0; value[i]; i++)
    if (!g_utf8_validate (value[i], -1, NULL))
      {
        guint n = g_strv_length ((char **) value);

        valid = g_new0 (char *, n + 1);
        for (guint j = 0; j < n; j++)
          valid[j] = hotplug_utf8_sanitize (value[j], -1, 0);
        value = (const char *const *) valid;
        break;
      }
  g_object_get (self, property, &old, NULL);
  if (old == NULL || !g_strv_equal ((const char *const *) old, value))
    g_object_set (self, property, value, NULL);
}

void
hotplug_unit_update_uint (HotplugUnit *self, const char *property, guint value)
{
  guint old = 0;

  g_object_get (self, property, &old, NULL);
  if (old != value)
    g_object_set (self, property, value, NULL);
}

void
hotplug_unit_update_uint64 (HotplugUnit *self, const char *property, guint64 value)
{
  guint64 old = 0;

  g_object_get (self, property, &old, NULL);
  if (old != value)
    g_object_set (self, property, value, NULL);
}

void
hotplug_unit_update_blockers (HotplugUnit *self, GVariant *blockers)
{
  GVariant *old = hotplug_dbus_unit_get_blockers (HOTPLUG_DBUS_UNIT (self));
  g_autoptr(GVariant) sunk = g_variant_ref_sink (blockers);

  if (old == NULL || !g_variant_equal (old, sunk))
    hotplug_dbus_unit_set_blockers (HOTPLUG_DBUS_UNIT (self), sunk);
}

char *
hotplug_unit_object_path (const char *id)
{
  g_autofree char *escaped = g_dbus_escape_object_path (id);

  return g_strconcat (HOTPLUG_DBUS_UNIT_PATH "/", escaped, NULL);
}
