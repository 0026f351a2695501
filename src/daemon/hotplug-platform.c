/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <string.h>

#include "hotplug-log.h"
#include "hotplug-names.h"
#include "hotplug-platform-private.h"
#include "hotplug-util.h"

/* The platform model as an object: the events it is fed, the resync after
 * lost events, and what callers look up.  Reading sysfs is in
 * hotplug-devices.c, the ownership pass in hotplug-ownership.c, waiting
 * for the kernel in hotplug-wait.c. */

#define TOPIC HOTPLUG_PLATFORM_TOPIC

guint hotplug_platform_signals[HOTPLUG_PLATFORM_N_SIGNALS];

G_DEFINE_TYPE (HotplugPlatform, hotplug_platform, G_TYPE_OBJECT)

/* --- events ----------------------------------------------------------- */


static void
handle_cpu (HotplugPlatform *self, const HotplugEvent *ev)
{
  guint n;
  HotplugCpuEntry *e;
  gboolean online;

  if (!hotplug_parse_index (ev->sysname, "cpu", &n))
    return;
  if (g_str_equal (ev->action, "remove"))
    {
      if (n < self->cpus->len)
        g_array_index (self->cpus, HotplugCpuEntry, n).present = FALSE;
      hotplug_platform_mark_dirty (self);
      return;
    }
  if (!g_str_equal (ev->action, "online") && !g_str_equal (ev->action, "offline"))
    {
      gboolean was_present = n < self->cpus->len && g_array_index (self->cpus, HotplugCpuEntry, n).present;

      hotplug_platform_cpu_refresh (self, n);
      e = &g_array_index (self->cpus, HotplugCpuEntry, n);
      if (!was_present || g_str_equal (ev->action, "add"))
        {
          e->leaving = FALSE;
          hotplug_platform_mark_dirty (self);
        }
      else if (e->owner)
        {
          hotplug_platform_update_cpus_online (self, e->owner);
          hotplug_platform_update_unit_state (self, e->owner, ev->action, ev->devpath, FALSE);
        }
      return;
    }

  /* online/offline: only this CPU and its unit */
  e = hotplug_platform_entry_at (self->cpus, n);
  if (!e->present)
    {
      hotplug_platform_cpu_refresh (self, n);
      e->leaving = FALSE;
      hotplug_platform_mark_dirty (self);
      return;
    }
  online = g_str_equal (ev->action, "online");
  if (e->online == online)
    return;
  e->online = online;
  if (e->owner)
    {
      hotplug_platform_update_cpus_online (self, e->owner);
      hotplug_platform_update_unit_state (self, e->owner, ev->action, ev->devpath, FALSE);
    }
}

static void
block_set_online (HotplugPlatform *self, HotplugBlockEntry *e, gboolean online, const HotplugEvent *ev)
{
  guint count;

  if (e->online == online)
    return;
  e->online = online;
  if (e->owner == NULL)
    return;
  count = hotplug_unit_get_blocks_online (e->owner);
  count = online ? count + 1 : (count ? count - 1 : 0);
  hotplug_unit_update_uint (e->owner, "memory-blocks-online", count);
  hotplug_platform_update_unit_state (self, e->owner, ev->action, ev->devpath, FALSE);
}

static void
recheck_blocks (HotplugPlatform *self)
{
  g_clear_handle_id (&self->recheck_id, g_source_remove);
  for (guint i = 0; i < self->recheck->len; i++)
    {
      guint n = g_array_index (self->recheck, guint, i);
      HotplugBlockEntry *e = &g_array_index (self->blocks, HotplugBlockEntry, n);
      gboolean was_online = e->online;

      e->recheck = FALSE;
      if (!e->present)
        continue;
      hotplug_platform_block_refresh (self, n, FALSE);
      if (e->online != was_online)
        {
          g_autofree char *devpath = g_strdup_printf ("/devices/system/memory/memory%u", n);
          g_autoptr(HotplugEvent) ev = hotplug_event_new ("change", "memory", devpath);
          gboolean now = e->online;

          e->online = was_online;
          block_set_online (self, e, now, ev);
        }
    }
  g_array_set_size (self->recheck, 0);
}

static gboolean
recheck_idle (gpointer user_data)
{
  HotplugPlatform *self = HOTPLUG_PLATFORM (user_data);

  self->recheck_id = 0;
  recheck_blocks (self);
  hotplug_platform_check_waiters (self);
  return G_SOURCE_REMOVE;
}

static void
handle_memory (HotplugPlatform *self, const HotplugEvent *ev)
{
  guint n;
  HotplugBlockEntry *e;

  if (!hotplug_parse_index (ev->sysname, "memory", &n))
    return;
  if (g_str_equal (ev->action, "remove"))
    {
      if (n < self->blocks->len)
        g_array_index (self->blocks, HotplugBlockEntry, n).present = FALSE;
      hotplug_platform_mark_dirty (self);
      return;
    }
  e = hotplug_platform_entry_at (self->blocks, n);
  if (g_str_equal (ev->action, "add") || !e->present)
    {
      hotplug_platform_block_refresh (self, n, TRUE);
      e->leaving = FALSE;
      hotplug_platform_mark_dirty (self);
      return;
    }
  if (g_str_equal (ev->action, "online") || g_str_equal (ev->action, "offline"))
    block_set_online (self, e, g_str_equal (ev->action, "online"), ev);
  else if (!e->recheck)
    {
      /* change: only the state file says what the state is now.  A storm
       * of change events (a trigger, a synthetic flood) names the same
       * blocks over and over: read each block once per batch of events,
       * from an idle that runs after the batch, not once per event. */
      e->recheck = TRUE;
      g_array_append_val (self->recheck, n);
      if (self->recheck_id == 0)
        self->recheck_id = g_idle_add_full (G_PRIORITY_DEFAULT, recheck_idle, self, NULL);
    }
}

static void
handle_container (HotplugPlatform *self, const HotplugEvent *ev)
{
  const char *event_prop = hotplug_event_get_property (ev, "EVENT");
  HotplugContainer *c;

  if (g_str_equal (ev->action, "remove"))
    {
      g_hash_table_remove (self->containers, ev->sysname);
      hotplug_platform_mark_dirty (self);
      return;
    }
  if (g_str_equal (ev->action, "change") && g_strcmp0 (event_prop, "offline") == 0)
    {
      HotplugUnit *unit;

      if (g_hash_table_lookup (self->containers, ev->sysname) == NULL)
        hotplug_platform_container_refresh (self, ev->sysname, ev->devpath);
      if (self->dirty)
        hotplug_platform_recompute (self);
      c = g_hash_table_lookup (self->containers, ev->sysname);
      unit = c ? hotplug_platform_unit_of_container (self, c) : NULL;
      hotplug_log_full (G_LOG_LEVEL_MESSAGE, TOPIC, unit ? hotplug_unit_get_id (unit) : NULL,
                        ev->action, ev->devpath, NULL, "the firmware requests the ejection of %s",
                        unit ? hotplug_unit_get_id (unit) : ev->sysname);
      if (unit)
        g_signal_emit (self, hotplug_platform_signals[HOTPLUG_PLATFORM_SIGNAL_EJECT_REQUEST], 0, unit);
      return;
    }
  hotplug_platform_container_refresh (self, ev->sysname, ev->devpath);
  c = g_hash_table_lookup (self->containers, ev->sysname);
  if (c && g_str_equal (ev->action, "change") && event_prop == NULL)
    {
          /* the firmware's word that the part in the container changed (a
       * board or I/O unit swapped during a hot replace) */
      HotplugUnit *unit;

      if (self->dirty)
        hotplug_platform_recompute (self);
      unit = hotplug_platform_unit_of_container (self, c);
      if (unit)
        g_signal_emit (self, hotplug_platform_signals[HOTPLUG_PLATFORM_SIGNAL_PART_SWAPPED], 0, unit);
    }
  /* The attribute is no witness: a writer's value sits in it before the
   * kernel acted on it (on the simulator), so the state comes from the
   * kernel's word — the uevent. */
  if (c && (g_str_equal (ev->action, "online") || g_str_equal (ev->action, "offline")))
    c->online = g_str_equal (ev->action, "online");
  hotplug_platform_mark_dirty (self);
}

static void
handle_pci (HotplugPlatform *self, const HotplugEvent *ev)
{
  if (g_str_equal (ev->action, "add"))
    g_ptr_array_add (self->arrived, g_strdup (ev->sysname));
  if (g_str_equal (ev->action, "remove"))
    hotplug_platform_pci_remove (self, ev->devpath);
  else if (g_str_equal (ev->action, "add") || g_str_equal (ev->action, "change") ||
           !g_hash_table_contains (self->pci_devs, ev->sysname))
    hotplug_platform_pci_refresh (self, ev->devpath);
  else
    {
      /* bind/unbind: only the device's driver changes */
      hotplug_platform_pci_driver_refresh (self, ev->sysname);
      return;
    }
  hotplug_platform_mark_dirty (self);
}

static void
handle_slot (HotplugPlatform *self, const HotplugEvent *ev)
{
  if (g_str_equal (ev->action, "remove"))
    g_hash_table_remove (self->slots, ev->sysname);
  else
    hotplug_platform_slot_refresh (self, ev->sysname);
  hotplug_platform_mark_dirty (self);
}

static gboolean
sorted_contains (GArray *array, guint n)
{
  guint lo = 0, hi = array->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2, v = g_array_index (array, guint, mid);

      if (v == n)
        return TRUE;
      if (v < n)
        lo = mid + 1;
      else
        hi = mid;
    }
  return FALSE;
}

/* Marks stale the containers TEST says yes to; TRUE when there was one. */
typedef gboolean (*ContainerTest) (HotplugContainer *c, gconstpointer data);

static gboolean
mark_stale_if (HotplugPlatform *self, ContainerTest test, gconstpointer data)
{
  GHashTableIter iter;
  HotplugContainer *c;
  gboolean any = FALSE;

  g_hash_table_iter_init (&iter, self->containers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &c))
    if (test (c, data))
      any = c->stale = TRUE;
  return any;
}

static gboolean
lists_cpu (HotplugContainer *c, gconstpointer n)
{
  return sorted_contains (c->cpus, GPOINTER_TO_UINT (n));
}

static gboolean
lists_block (HotplugContainer *c, gconstpointer n)
{
  return sorted_contains (c->blocks, GPOINTER_TO_UINT (n));
}

/* has the root bus of host bridge BRIDGE (pci0000:40) */
static gboolean
has_bridge (HotplugContainer *c, gconstpointer bridge)
{
  return g_ptr_array_find_with_equal_func (c->root_buses, bridge, g_str_equal, NULL);
}

/* its ACPI node is PATH or above it */
static gboolean
is_above (HotplugContainer *c, gconstpointer path)
{
  gsize len = c->acpi_dir ? strlen (c->acpi_dir) : 0;
  const char *p = path;

  return len && strncmp (p, c->acpi_dir, len) == 0 && (p[len] == '\0' || p[len] == '/');
}

/* The host bridge (pci0000:40) of a root bus's event
 * (/devices/pci0000:40/pci_bus/0000:40), NULL for another bus's. */
static char *
root_bus_bridge (const char *devpath)
{
  g_auto(GStrv) parts = g_strsplit (devpath, "/", -1);

  if (g_strv_length (parts) != 5 || !g_str_equal (parts[1], "devices") || !g_str_has_prefix (parts[2], "pci") ||
      !g_str_equal (parts[3], "pci_bus"))
    return NULL;
  return g_strdup (parts[2]);
}

/* The containers whose ACPI children an event may have changed, to be
 * read again on the next ownership pass (a board's are a thousand links,
 * and a board's eject is a thousand events):
 *  - an ACPI device's event: the containers its node is below; where it
 *    is below none known, every one for an addition or a change, none for
 *    a removal (what goes from below no known container takes nothing
 *    from one: a board's eject ends with its own container's node, after
 *    the container has gone from the model);
 *  - a CPU, memory block or root bus removed: the container that lists it;
 *  - a CPU, memory block or root bus added (its event does not name its
 *    ACPI node), an event of a subsystem not known here: every one;
 *  - a CPU or block going online or offline or changing, a PCI device or
 *    a bus below a root bus (no ACPI child of a container), a container's
 *    own event (which marks that one): none. */
static void
mark_containers_stale (HotplugPlatform *self, const HotplugEvent *ev)
{
  gboolean cpu = g_str_equal (ev->subsystem, "cpu");
  g_autofree char *bridge = NULL;
  guint n;

  if (g_str_equal (ev->subsystem, "container") || g_str_equal (ev->subsystem, "pci"))
    return;
  if (cpu || g_str_equal (ev->subsystem, "memory"))
    {
      if (g_str_equal (ev->action, "add") || !hotplug_parse_index (ev->sysname, cpu ? "cpu" : "memory", &n))
        hotplug_platform_containers_stale (self);
      else if (g_str_equal (ev->action, "remove"))
        mark_stale_if (self, cpu ? lists_cpu : lists_block, GUINT_TO_POINTER (n));
      return;
    }
  if (g_str_equal (ev->subsystem, "acpi"))
    {
      g_autofree char *path = g_strconcat (hotplug_sysfs_get_root (), "/sys", ev->devpath, NULL);

      if (!mark_stale_if (self, is_above, path) && !g_str_equal (ev->action, "remove"))
        hotplug_platform_containers_stale (self);
      return;
    }
  if (g_str_equal (ev->subsystem, "pci_bus"))
    {
      bridge = root_bus_bridge (ev->devpath);
      if (bridge && g_str_equal (ev->action, "remove"))
        mark_stale_if (self, has_bridge, bridge);
      else if (bridge && g_str_equal (ev->action, "add"))
        hotplug_platform_containers_stale (self);
      return;
    }
  hotplug_platform_containers_stale (self);
}

void
hotplug_platform_handle_event (HotplugPlatform *self, const HotplugEvent *ev)
{
  g_return_if_fail (HOTPLUG_IS_PLATFORM (self));
  g_return_if_fail (ev != NULL);

  mark_containers_stale (self, ev);
  if (g_str_equal (ev->subsystem, "cpu"))
    handle_cpu (self, ev);
  else if (g_str_equal (ev->subsystem, "memory"))
    handle_memory (self, ev);
  else if (g_str_equal (ev->subsystem, "container"))
    handle_container (self, ev);
  else if (g_str_equal (ev->subsystem, "pci"))
    handle_pci (self, ev);
  else if (g_str_equal (ev->subsystem, "pci_slot"))
    handle_slot (self, ev);
  else if (g_str_equal (ev->subsystem, "pci_bus") &&
           (g_str_equal (ev->action, "add") || g_str_equal (ev->action, "remove")))
    hotplug_platform_mark_dirty (self); /* a root bus: a domain handed to this host or taken */
  else if (g_str_equal (ev->subsystem, "acpi") &&
           (g_str_equal (ev->action, "add") || g_str_equal (ev->action, "remove")))
    hotplug_platform_mark_dirty (self); /* a processor, memory device or bridge below a container */
  hotplug_platform_check_waiters (self);
}

void
hotplug_platform_flush (HotplugPlatform *self)
{
  g_return_if_fail (HOTPLUG_IS_PLATFORM (self));
  recheck_blocks (self);
  if (self->dirty)
    hotplug_platform_recompute (self);
}

/* --- resync ----------------------------------------------------------- */

void
hotplug_platform_reconcile (HotplugPlatform *self, GPtrArray *events)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (HOTPLUG_IS_PLATFORM (self));

  /* Everything is re-read; what the enumeration does not mention is gone.
   * CPUs and blocks start as absent and come back with their "add";
   * containers, devices and slots carry the generation that saw them. */
  self->gen++;
  hotplug_platform_read_nodes (self);
  for (guint i = 0; i < self->cpus->len; i++)
    g_array_index (self->cpus, HotplugCpuEntry, i).present = FALSE;
  for (guint i = 0; i < self->blocks->len; i++)
    g_array_index (self->blocks, HotplugBlockEntry, i).present = FALSE;

  for (guint i = 0; i < events->len; i++)
    hotplug_platform_handle_event (self, g_ptr_array_index (events, i));

  g_hash_table_iter_init (&iter, self->containers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((HotplugContainer *) value)->gen != self->gen)
      g_hash_table_iter_remove (&iter);
  g_hash_table_iter_init (&iter, self->pci_devs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((HotplugPciDev *) value)->gen != self->gen)
      g_hash_table_iter_remove (&iter);
  g_hash_table_iter_init (&iter, self->slots);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((HotplugSlot *) value)->gen != self->gen)
      g_hash_table_iter_remove (&iter);

  hotplug_platform_recompute (self);
}

/* --- look-ups --------------------------------------------------------- */

HotplugUnit *
hotplug_platform_lookup_unit (HotplugPlatform *self, const char *id)
{
  g_return_val_if_fail (HOTPLUG_IS_PLATFORM (self), NULL);
  return id ? g_hash_table_lookup (self->units, id) : NULL;
}

HotplugDomain *
hotplug_platform_lookup_domain (HotplugPlatform *self, const char *id)
{
  g_return_val_if_fail (HOTPLUG_IS_PLATFORM (self), NULL);
  return id ? g_hash_table_lookup (self->domains, id) : NULL;
}

static GPtrArray *
sorted_values (GHashTable *table)
{
  g_autoptr(GList) keys = g_list_sort (g_hash_table_get_keys (table), (GCompareFunc) g_strcmp0);
  GPtrArray *out = g_ptr_array_new_with_free_func (g_object_unref);

  for (GList *l = keys; l; l = l->next)
    g_ptr_array_add (out, g_object_ref (g_hash_table_lookup (table, l->data)));
  return out;
}

GPtrArray *
hotplug_platform_get_units (HotplugPlatform *self)
{
  return sorted_values (self->units);
}

GPtrArray *
hotplug_platform_get_domains (HotplugPlatform *self)
{
  return sorted_values (self->domains);
}

GVariant *
hotplug_platform_list_devices (HotplugPlatform *self, HotplugUnit *unit)
{
  GVariantBuilder b;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GHashTable) by_bus = NULL;
  GPtrArray *roots = NULL;
  HotplugSlot *slot = NULL;
  hotplug_platform_flush (self);
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(suss)"));
  all = hotplug_platform_sorted_pci (self);
  by_bus = hotplug_platform_slots_by_bus (self);

  if (hotplug_unit_get_kind (unit) == HOTPLUG_UNIT_KIND_SLOT)
    slot = hotplug_platform_slot_of_unit (self, unit);
  else
    {
      GHashTableIter iter;
      HotplugContainer *c;

      g_hash_table_iter_init (&iter, self->containers);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &c))
        if (hotplug_platform_unit_of_container (self, c) == unit)
          roots = c->root_buses;
    }

  for (guint i = 0; i < all->len; i++)
    {
      HotplugPciDev *d = g_ptr_array_index (all, i);
      g_autofree char *desc = NULL;
      guint depth = 0;

      if (slot)
        {
          if (hotplug_platform_slot_of_dev (self, by_bus, d, &depth) != slot)
            continue;
        }
      else if (roots)
        {
          gboolean below = FALSE;

          for (guint r = 0; r < roots->len && !below; r++)
            below = g_str_equal (g_ptr_array_index (roots, r), d->root_bus);
          if (!below)
            continue;
          depth = d->depth;
        }
      else
        break;

      if (d->info_valid)
        desc = g_strdup_printf ("%04x:%04x 0x%06x", d->info.vendor, d->info.device, d->info.class_code);
      else
        desc = g_strdup ("unreadable");
      g_variant_builder_add (&b, "(suss)", d->bdf, depth,
                             depth > 0 && d->parent ? d->parent : "", desc);
    }
  return g_variant_builder_end (&b);
}

/* --- single devices and waiting --------------------------------------- */

gboolean
hotplug_platform_cpu_is_online (HotplugPlatform *self, guint cpu)
{
  return cpu < self->cpus->len && g_array_index (self->cpus, HotplugCpuEntry, cpu).present &&
         g_array_index (self->cpus, HotplugCpuEntry, cpu).online;
}

gboolean
hotplug_platform_block_is_online (HotplugPlatform *self, guint block)
{
  return block < self->blocks->len && g_array_index (self->blocks, HotplugBlockEntry, block).present &&
         g_array_index (self->blocks, HotplugBlockEntry, block).online;
}

gboolean
hotplug_platform_has_pci_device (HotplugPlatform *self, const char *bdf)
{
  return bdf && g_hash_table_contains (self->pci_devs, bdf);
}

gboolean
hotplug_platform_has_container (HotplugPlatform *self, const char *name)
{
  return name && g_hash_table_contains (self->containers, name);
}

gboolean
hotplug_platform_container_is_online (HotplugPlatform *self, const char *name)
{
  HotplugContainer *c = name ? g_hash_table_lookup (self->containers, name) : NULL;

  return c != NULL && c->online;
}

/* --- object ----------------------------------------------------------- */

static void
hotplug_platform_finalize (GObject *object)
{
  HotplugPlatform *self = HOTPLUG_PLATFORM (object);

  g_clear_handle_id (&self->dirty_id, g_source_remove);
  /* waiters hold a reference on us: none can be left here */
  g_warn_if_fail (self->waiters == NULL);
  g_clear_pointer (&self->arrived, g_ptr_array_unref);
  g_clear_handle_id (&self->recheck_id, g_source_remove);
  g_array_unref (self->recheck);
  g_clear_object (&self->pci);
  g_array_unref (self->cpus);
  g_array_unref (self->blocks);
  hotplug_platform_forget_nodes (self);
  g_hash_table_unref (self->containers);
  g_hash_table_unref (self->pci_devs);
  g_hash_table_unref (self->slots);
  g_hash_table_unref (self->units);
  g_hash_table_unref (self->domains);
  g_hash_table_unref (self->locations);
  g_hash_table_unref (self->absent);
  g_free (self->state_file);
  g_free (self->state_dir);
  G_OBJECT_CLASS (hotplug_platform_parent_class)->finalize (object);
}

static void
hotplug_platform_class_init (HotplugPlatformClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hotplug_platform_finalize;

  hotplug_platform_signals[HOTPLUG_PLATFORM_SIGNAL_UNIT_ADDED] = g_signal_new ("unit-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                             0, NULL, NULL, NULL, G_TYPE_NONE, 1, HOTPLUG_TYPE_UNIT);
  hotplug_platform_signals[HOTPLUG_PLATFORM_SIGNAL_UNIT_REMOVED] = g_signal_new ("unit-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                               0, NULL, NULL, NULL, G_TYPE_NONE, 1, HOTPLUG_TYPE_UNIT);
  hotplug_platform_signals[HOTPLUG_PLATFORM_SIGNAL_DOMAIN_ADDED] = g_signal_new ("domain-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                               0, NULL, NULL, NULL, G_TYPE_NONE, 1, HOTPLUG_TYPE_DOMAIN);
  hotplug_platform_signals[HOTPLUG_PLATFORM_SIGNAL_EJECT_REQUEST] = g_signal_new ("eject-request", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                                0, NULL, NULL, NULL, G_TYPE_NONE, 1, HOTPLUG_TYPE_UNIT);
  hotplug_platform_signals[HOTPLUG_PLATFORM_SIGNAL_PART_SWAPPED] = g_signal_new ("part-swapped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                                                                 0, NULL, NULL, NULL, G_TYPE_NONE, 1, HOTPLUG_TYPE_UNIT);
  hotplug_platform_signals[HOTPLUG_PLATFORM_SIGNAL_UNIT_PRESENT] =
    g_signal_new ("unit-present", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, HOTPLUG_TYPE_UNIT);
}

static void
hotplug_platform_init (HotplugPlatform *self)
{
  self->cpus = g_array_new (FALSE, TRUE, sizeof (HotplugCpuEntry));
  self->blocks = g_array_new (FALSE, TRUE, sizeof (HotplugBlockEntry));
  self->recheck = g_array_new (FALSE, FALSE, sizeof (guint));
  self->arrived = g_ptr_array_new_with_free_func (g_free);
  self->containers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) hotplug_container_free);
  self->pci_devs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) hotplug_pci_dev_free);
  self->slots = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) hotplug_slot_free);
  self->units = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->domains = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->locations = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) hotplug_location_free);
  self->absent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->cpu_node_hint = -1;
  self->block_node_hint = -1;
}

HotplugPlatform *
hotplug_platform_new (void)
{
  HotplugPlatform *self = g_object_new (HOTPLUG_TYPE_PLATFORM, NULL);
  g_autoptr(GError) error = NULL;

  self->pci = hotplug_pci_new (&error);
  if (self->pci == NULL)
    hotplug_warning (TOPIC, "PCI configuration space cannot be read (%s): devices are listed "
                     "without vendor, device and class", error->message);
  return self;
}
