/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <string.h>

#include "hotplug-error.h"
#include "hotplug-operation.h"
#include "hotplug-util.h"

static const char *const operation_names[] = {
  [HOTPLUG_OPERATION_ADD] = "add",
  [HOTPLUG_OPERATION_REMOVE] = "remove",
  [HOTPLUG_OPERATION_REPLACE] = "replace",
  [HOTPLUG_OPERATION_SWITCHOVER] = "switchover",
  [HOTPLUG_OPERATION_CONNECT] = "connect",
};

const char *
hotplug_operation_to_string (HotplugOperation op)
{
  return (guint) op < G_N_ELEMENTS (operation_names) ? operation_names[op] : "unknown";
}

gboolean
hotplug_operation_from_string (const char *text, HotplugOperation *op)
{
  for (guint i = 0; i < G_N_ELEMENTS (operation_names); i++)
    if (g_strcmp0 (text, operation_names[i]) == 0)
      {
        *op = i;
        return TRUE;
      }
  return FALSE;
}

gboolean
hotplug_operation_on_domain (HotplugOperation op)
{
  return op == HOTPLUG_OPERATION_SWITCHOVER || op == HOTPLUG_OPERATION_CONNECT;
}

static char *
container_name (HotplugUnit *unit)
{
  return g_path_get_basename (hotplug_dbus_unit_get_sysfs_path (HOTPLUG_DBUS_UNIT (unit)));
}

static gboolean
has_container (HotplugUnitKind kind)
{
  return kind == HOTPLUG_UNIT_KIND_SB || kind == HOTPLUG_UNIT_KIND_IOU;
}

/* Which parts of the unit are online, as the model shows them: *all when
 * every part is, *any when one is.  CPUs without an online file count as
 * online (they always are). */
static void
parts_online (HotplugPlatform *platform, HotplugUnit *unit, gboolean *all, gboolean *any)
{
  HotplugDbusUnit *u = HOTPLUG_DBUS_UNIT (unit);
  HotplugUnitKind kind = hotplug_unit_get_kind (unit);
  GArray *cpus = hotplug_unit_get_cpu_list (unit);
  guint blocks = hotplug_dbus_unit_get_memory_blocks (u);
  guint blocks_online = hotplug_unit_get_blocks_online (unit);
  const char *const *pci = hotplug_dbus_unit_get_pci_devices (u);
  gboolean has_pci = pci && pci[0];

  *all = TRUE;
  *any = FALSE;
  for (guint i = 0; i < cpus->len; i++)
    {
      gboolean on = hotplug_platform_cpu_is_online (platform, g_array_index (cpus, guint, i));

      *all &= on;
      *any |= on;
    }
  *all &= blocks_online == blocks;
  *any |= blocks_online > 0;
  if (has_container (kind))
    {
      g_autofree char *container = container_name (unit);
      gboolean on = hotplug_platform_container_is_online (platform, container);

      *all &= on;
      *any |= on;
    }
  if (kind == HOTPLUG_UNIT_KIND_IOU || kind == HOTPLUG_UNIT_KIND_SLOT)
    {
      *all &= has_pci;
      *any |= has_pci;
    }
}

static gboolean
check_presence (HotplugUnit *unit, HotplugOperation op, GError **error)
{
  HotplugDbusUnit *u = HOTPLUG_DBUS_UNIT (unit);
  HotplugUnitKind kind = hotplug_unit_get_kind (unit);
  const char *id = hotplug_unit_get_id (unit);

  if (!hotplug_dbus_unit_get_hotpluggable (u))
    {
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_NOT_SUPPORTED, "%s cannot be %s: %s", id,
                   op == HOTPLUG_OPERATION_ADD ? "added" : op == HOTPLUG_OPERATION_REMOVE ? "removed" : "replaced",
                   hotplug_dbus_unit_get_hotpluggable_reason (u));
      return FALSE;
    }
  if (hotplug_unit_get_state (unit) != HOTPLUG_UNIT_STATE_ABSENT)
    return TRUE;
  if (op == HOTPLUG_OPERATION_REPLACE)
    g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_NOT_PRESENT,
                 "%s is absent: there is no part in service to replace (insert one: it is added)", id);
  else if (op == HOTPLUG_OPERATION_REMOVE)
    g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_NOT_PRESENT,
                 "%s is absent: there is nothing to remove", id);
  else if (has_container (kind))
    g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_NOT_PRESENT,
                 "%s is absent: the %s was ejected or pulled out, and only the platform can "
                 "put it back: insert it again (hotplugd then adds it by itself)",
                 id, kind == HOTPLUG_UNIT_KIND_SB ? "board" : "I/O unit");
  else
    g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_NOT_PRESENT,
                 "%s is empty: there is nothing to add", id);
  return FALSE;
}

/* A part is replaced in service: a board, an I/O unit or a slot that is
 * online (an offline one is swapped without hotplugd, then added). */
static gboolean
check_replace (HotplugUnit *unit, HotplugOperationFlags flags, gboolean any_online, GError **error)
{
  HotplugUnitKind kind = hotplug_unit_get_kind (unit);
  const char *id = hotplug_unit_get_id (unit);

  if (flags & HOTPLUG_OPERATION_FLAG_STRICT)
    {
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                   "option “strict” applies to Add and Remove, not to Replace");
      return FALSE;
    }
  if (kind == HOTPLUG_UNIT_KIND_CPU || kind == HOTPLUG_UNIT_KIND_MEMORY)
    {
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_NOT_SUPPORTED,
                   "%s is no replaceable part: replace the board it is on, or remove and add it", id);
      return FALSE;
    }
  if (!any_online)
    {
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED,
                   "%s is offline: there is nothing to quiesce; swap the part, then add it", id);
      return FALSE;
    }
  return TRUE;
}

gboolean
hotplug_operation_check (HotplugPlatform *platform, HotplugUnit *unit, HotplugOperation op,
                         HotplugOperationFlags flags, char **noop_reason, GError **error)
{
  HotplugUnitKind kind = hotplug_unit_get_kind (unit);
  const char *id = hotplug_unit_get_id (unit);
  gboolean all, any, eject_due;

  *noop_reason = NULL;
  if ((flags & HOTPLUG_OPERATION_FLAG_EJECT_SET) && (op != HOTPLUG_OPERATION_REMOVE || !has_container (kind)))
    {
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                   "option “eject” applies to Remove of a board or I/O unit, not to %s of %s",
                   op == HOTPLUG_OPERATION_ADD ? "Add" : op == HOTPLUG_OPERATION_REMOVE ? "Remove" : "Replace", id);
      return FALSE;
    }
  if ((flags & HOTPLUG_OPERATION_FLAG_WINDOW_SET) && op != HOTPLUG_OPERATION_REPLACE)
    {
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                   "option “window” applies to Replace, not to %s", op == HOTPLUG_OPERATION_ADD ? "Add" : "Remove");
      return FALSE;
    }
  if (!check_presence (unit, op, error))
    return FALSE;
  parts_online (platform, unit, &all, &any);
  if (op == HOTPLUG_OPERATION_REPLACE)
    return check_replace (unit, flags, any, error);
  eject_due = has_container (kind) && !(flags & HOTPLUG_OPERATION_FLAG_NO_EJECT);
  if (op == HOTPLUG_OPERATION_ADD && all)
    *noop_reason = g_strdup ("already online");
  else if (op == HOTPLUG_OPERATION_REMOVE && !any && !eject_due)
    *noop_reason = g_strdup ("already offline");
  if (*noop_reason && (flags & HOTPLUG_OPERATION_FLAG_STRICT))
    {
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED, "%s is %s: nothing to %s (strict)", id,
                   *noop_reason, op == HOTPLUG_OPERATION_ADD ? "add" : "remove");
      g_clear_pointer (noop_reason, g_free);
      return FALSE;
    }
  return TRUE;
}

static void
add_step (GPtrArray *steps, HotplugStepKind kind, guint index, const char *name, const char *value)
{
  g_ptr_array_add (steps, hotplug_step_new (kind, index, name, value));
}

static void
add_hooks (GPtrArray *steps, const char *event)
{
  add_step (steps, HOTPLUG_STEP_RUN_HOOKS, 0, event, NULL);
}

static GArray *
unit_blocks (HotplugUnit *unit)
{
  const char *ranges = hotplug_dbus_unit_get_memory_ranges (HOTPLUG_DBUS_UNIT (unit));
  GArray *blocks = ranges && *ranges ? hotplug_list_parse (ranges, NULL) : NULL;

  return blocks ? blocks : g_array_new (FALSE, FALSE, sizeof (guint));
}

/* the container's online attribute: 1, 0, or -1 when unreadable */
static int
container_online (const char *name)
{
  g_autofree char *rel = g_strdup_printf ("/sys/devices/system/container/%s/online", name);
  g_autofree char *path = hotplug_sysfs_path (rel);
  g_autofree char *text = hotplug_sysfs_read (path, NULL);

  if (text == NULL)
    return -1;
  return g_str_equal (text, "1") ? 1 : g_str_equal (text, "0") ? 0 : -1;
}

static void
plan_cpus (HotplugPlatform *platform, HotplugUnit *unit, HotplugOperation op, GPtrArray *steps)
{
  GArray *cpus = hotplug_unit_get_cpu_list (unit);

  for (guint i = 0; i < cpus->len; i++)
    {
      guint n = g_array_index (cpus, guint, i);
      gboolean online = hotplug_platform_cpu_is_online (platform, n);
      g_autofree char *rel = g_strdup_printf ("/sys/devices/system/cpu/cpu%u/online", n);
      g_autofree char *path = hotplug_sysfs_path (rel);

      /* a CPU without an online file cannot be switched (cpu0) */
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        continue;
      if (op == HOTPLUG_OPERATION_REMOVE && online)
        add_step (steps, HOTPLUG_STEP_CPU_OFFLINE, n, NULL, NULL);
      else if (op == HOTPLUG_OPERATION_ADD && !online)
        add_step (steps, HOTPLUG_STEP_CPU_ONLINE, n, NULL, NULL);
    }
}

static void
plan_memory (HotplugPlatform *platform, HotplugUnit *unit, HotplugOperation op,
             const char *online_type, GPtrArray *steps)
{
  g_autoptr(GArray) blocks = unit_blocks (unit);

  /* onlining from the lowest block up, offlining from the highest down:
   * the kernel's memory hotplug guide; blocks the kernel onlined by itself
   * (auto_online_blocks) are simply not offline any more */
  if (op == HOTPLUG_OPERATION_REMOVE)
    {
      for (guint i = blocks->len; i > 0; i--)
        {
          guint n = g_array_index (blocks, guint, i - 1);

          if (hotplug_platform_block_is_online (platform, n))
            add_step (steps, HOTPLUG_STEP_MEMORY_OFFLINE, n, NULL, NULL);
        }
    }
  else
    {
      for (guint i = 0; i < blocks->len; i++)
        {
          guint n = g_array_index (blocks, guint, i);

          if (!hotplug_platform_block_is_online (platform, n))
            add_step (steps, HOTPLUG_STEP_MEMORY_ONLINE, n, NULL, online_type);
        }
    }
}

typedef struct
{
  const char *bdf;
  const char *parent;
  guint       depth;
  guint       order;
} Dev;

static int
cmp_deepest_first (gconstpointer a, gconstpointer b)
{
  const Dev *x = a, *y = b;

  if (x->depth != y->depth)
    return x->depth > y->depth ? -1 : 1;
  /* among equals, the reverse of depth-first order */
  return x->order > y->order ? -1 : 1;
}

static void
plan_pci_remove (HotplugPlatform *platform, HotplugUnit *unit, GPtrArray *steps)
{
  g_autoptr(GVariant) list = g_variant_ref_sink (hotplug_platform_list_devices (platform, unit));
  g_autoptr(GArray) devs = g_array_new (FALSE, FALSE, sizeof (Dev));
  GVariantIter iter;
  const char *bdf, *parent, *desc;
  guint depth;

  g_variant_iter_init (&iter, list);
  while (g_variant_iter_next (&iter, "(&su&s&s)", &bdf, &depth, &parent, &desc))
    {
      Dev d = { bdf, parent, depth, devs->len };

      g_array_append_val (devs, d);
    }
  g_array_sort (devs, cmp_deepest_first);
  for (guint i = 0; i < devs->len; i++)
    {
      Dev *d = &g_array_index (devs, Dev, i);

      add_step (steps, HOTPLUG_STEP_PCI_REMOVE, 0, d->bdf, d->parent);
    }
}

GPtrArray *
hotplug_operation_plan (HotplugPlatform *platform, HotplugUnit *unit, HotplugOperation op,
                        HotplugOperationFlags flags, const char *online_type)
{
  GPtrArray *steps = g_ptr_array_new_with_free_func ((GDestroyNotify) hotplug_step_free);
  gboolean add = op == HOTPLUG_OPERATION_ADD;
  const char *id = hotplug_unit_get_id (unit);
  g_autofree char *container = NULL;
  const char *slot = g_str_has_prefix (id, "slot-") ? id + strlen ("slot-") : id;

  if (online_type == NULL || *online_type == '\0')
    online_type = "online";
  add_hooks (steps, add ? "pre-add" : "pre-remove");

  switch (hotplug_unit_get_kind (unit))
    {
    case HOTPLUG_UNIT_KIND_SB:
      container = container_name (unit);
      if (add)
        {
          if (container_online (container) == 0)
            add_step (steps, HOTPLUG_STEP_CONTAINER_ONLINE, 0, container, NULL);
          plan_memory (platform, unit, op, online_type, steps);
          plan_cpus (platform, unit, op, steps);
        }
      else
        {
          plan_cpus (platform, unit, op, steps);
          plan_memory (platform, unit, op, online_type, steps);
          if (container_online (container) != 0)
            add_step (steps, HOTPLUG_STEP_CONTAINER_OFFLINE, 0, container, NULL);
          if (!(flags & HOTPLUG_OPERATION_FLAG_NO_EJECT))
            add_step (steps, HOTPLUG_STEP_EJECT, 0, container, NULL);
        }
      break;
    case HOTPLUG_UNIT_KIND_CPU:
      plan_cpus (platform, unit, op, steps);
      break;
    case HOTPLUG_UNIT_KIND_MEMORY:
      plan_memory (platform, unit, op, online_type, steps);
      break;
    case HOTPLUG_UNIT_KIND_SLOT:
      if (add)
        {
          add_step (steps, HOTPLUG_STEP_SLOT_POWER_ON, 0, slot, NULL);
          add_step (steps, HOTPLUG_STEP_PCI_RESCAN, 0, NULL, NULL);
          add_step (steps, HOTPLUG_STEP_WAIT_DEVICES, 0, id, NULL);
        }
      else
        {
          plan_pci_remove (platform, unit, steps);
          add_step (steps, HOTPLUG_STEP_SLOT_POWER_OFF, 0, slot, NULL);
        }
      break;
    case HOTPLUG_UNIT_KIND_IOU:
      container = container_name (unit);
      if (add)
        {
          if (container_online (container) == 0)
            add_step (steps, HOTPLUG_STEP_CONTAINER_ONLINE, 0, container, NULL);
          add_step (steps, HOTPLUG_STEP_PCI_RESCAN, 0, NULL, NULL);
          add_step (steps, HOTPLUG_STEP_WAIT_DEVICES, 0, id, NULL);
        }
      else
        {
          plan_pci_remove (platform, unit, steps);
          if (container_online (container) != 0)
            add_step (steps, HOTPLUG_STEP_CONTAINER_OFFLINE, 0, container, NULL);
          if (!(flags & HOTPLUG_OPERATION_FLAG_NO_EJECT))
            add_step (steps, HOTPLUG_STEP_EJECT, 0, container, NULL);
        }
      break;
    default:
      g_assert_not_reached ();
    }

  add_hooks (steps, add ? "post-add" : "post-remove");
  return steps;
}

GPtrArray *
hotplug_operation_plan_replace (HotplugUnit *unit, const char *const *mount_points)
{
  GPtrArray *steps = g_ptr_array_new_with_free_func ((GDestroyNotify) hotplug_step_free);
  const char *id = hotplug_unit_get_id (unit);
  const char *const *pci = hotplug_dbus_unit_get_pci_devices (HOTPLUG_DBUS_UNIT (unit));
  /* a board's CPUs and memory stay where they are: only devices rebind */
  const char *rebind = hotplug_unit_get_kind (unit) != HOTPLUG_UNIT_KIND_SB && pci && pci[0] ? pci[0] : NULL;
  guint n = mount_points ? g_strv_length ((char **) mount_points) : 0;

  add_hooks (steps, "pre-replace");
  add_step (steps, HOTPLUG_STEP_QUIESCE, 0, id, rebind);
  for (guint i = 0; i < n; i++)
    add_step (steps, HOTPLUG_STEP_FREEZE, 0, mount_points[i], NULL);
  add_step (steps, HOTPLUG_STEP_WAIT_SWAP, 0, id, NULL);
  for (guint i = n; i > 0; i--)
    add_step (steps, HOTPLUG_STEP_THAW, 0, mount_points[i - 1], NULL);
  if (rebind)
    {
      add_step (steps, HOTPLUG_STEP_PCI_RESCAN, 0, NULL, rebind);
      add_step (steps, HOTPLUG_STEP_WAIT_DEVICES, 0, id, NULL);
    }
  add_hooks (steps, "post-replace");
  return steps;
}

const char *
hotplug_operation_step_phase (HotplugOperation op, const HotplugStep *step)
{
  if (step->kind == HOTPLUG_STEP_RUN_HOOKS)
    return step->name;
  if (op == HOTPLUG_OPERATION_REPLACE)
    return step->kind == HOTPLUG_STEP_QUIESCE || step->kind == HOTPLUG_STEP_FREEZE ||
           step->kind == HOTPLUG_STEP_WAIT_SWAP ? "quiesce" : "resume";
  if (op == HOTPLUG_OPERATION_SWITCHOVER)
    return "disconnect";
  if (op == HOTPLUG_OPERATION_CONNECT)
    return "connect";
  return op == HOTPLUG_OPERATION_ADD ? "enable" : "disable";
}

static gboolean
attribute_is (const char *rel, const char *value)
{
  g_autofree char *path = hotplug_sysfs_path (rel);
  g_autofree char *text = hotplug_sysfs_read (path, NULL);

  return g_strcmp0 (text, value) == 0;
}

/* How many PCI devices of domain @id sysfs lists now. */
static guint
domain_devices_in_sysfs (const char *id)
{
  g_autofree char *path = hotplug_sysfs_path ("/sys/bus/pci/devices");
  g_autofree char *prefix = g_strconcat (id, ":", NULL);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;
  guint n = 0;

  while (dir && (name = g_dir_read_name (dir)))
    if (g_str_has_prefix (name, prefix))
      n++;
  return n;
}

gboolean
hotplug_operation_step_done (HotplugPlatform *platform, const HotplugStep *step)
{
  g_autofree char *rel = NULL;
  HotplugUnit *unit;
  const char *const *pci;

  switch (step->kind)
    {
    case HOTPLUG_STEP_CPU_OFFLINE:
      return !hotplug_platform_cpu_is_online (platform, step->index);
    case HOTPLUG_STEP_CPU_ONLINE:
      return hotplug_platform_cpu_is_online (platform, step->index);
    case HOTPLUG_STEP_MEMORY_OFFLINE:
      return !hotplug_platform_block_is_online (platform, step->index);
    case HOTPLUG_STEP_MEMORY_ONLINE:
      return hotplug_platform_block_is_online (platform, step->index);
    case HOTPLUG_STEP_CONTAINER_OFFLINE:
    case HOTPLUG_STEP_CONTAINER_ONLINE:
      /* the kernel's online/offline uevent, not the attribute we wrote */
      return hotplug_platform_container_is_online (platform, step->name) ==
             (step->kind == HOTPLUG_STEP_CONTAINER_ONLINE);
    case HOTPLUG_STEP_EJECT:
      return !hotplug_platform_has_container (platform, step->name);
    case HOTPLUG_STEP_PCI_REMOVE:
      return !hotplug_platform_has_pci_device (platform, step->name);
    case HOTPLUG_STEP_PCI_RESCAN:
      return *step->value == '\0' || hotplug_platform_has_pci_device (platform, step->value);
    case HOTPLUG_STEP_SLOT_POWER_OFF:
    case HOTPLUG_STEP_SLOT_POWER_ON:
      rel = g_strdup_printf ("/sys/bus/pci/slots/%s/power", step->name);
      return attribute_is (rel, step->kind == HOTPLUG_STEP_SLOT_POWER_ON ? "1" : "0");
    case HOTPLUG_STEP_WAIT_DEVICES:
      unit = hotplug_platform_lookup_unit (platform, step->name);
      pci = unit ? hotplug_dbus_unit_get_pci_devices (HOTPLUG_DBUS_UNIT (unit)) : NULL;
      return pci && pci[0];
    case HOTPLUG_STEP_PCI_UNBIND:
      return g_strcmp0 (hotplug_platform_pci_driver (platform, step->name), step->value) != 0;
    case HOTPLUG_STEP_PCI_BIND:
      return g_strcmp0 (hotplug_platform_pci_driver (platform, step->name), step->value) == 0;
    case HOTPLUG_STEP_BUS_RESCAN:
      return *step->value == '\0' || hotplug_platform_has_pci_device (platform, step->value);
    case HOTPLUG_STEP_WAIT_DOMAIN:
      {
        /* the devices the rescan brought (the kernel's write returns once
         * it has scanned): every one of them seen through its uevent, not
         * at the next ownership pass */
        g_autoptr(GPtrArray) devices = hotplug_platform_domain_devices (platform, step->name);

        return devices->len > 0 && devices->len >= domain_devices_in_sysfs (step->name);
      }
    case HOTPLUG_STEP_QUIESCE:
    case HOTPLUG_STEP_FREEZE:
    case HOTPLUG_STEP_THAW:
    case HOTPLUG_STEP_PCI_PROBE:
    case HOTPLUG_STEP_CHECK_BUSY:
      /* no state the model shows: done when the step returns */
      return TRUE;
    case HOTPLUG_STEP_WAIT_SWAP:
      /* only the job sees the swap or the Resume */
      return FALSE;
    case HOTPLUG_STEP_RUN_HOOKS:
    default:
      return TRUE;
    }
}
