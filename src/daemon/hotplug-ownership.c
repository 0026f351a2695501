/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "hotplug-enum-types.h"
#include "hotplug-log.h"
#include "hotplug-names.h"
#include "hotplug-platform-private.h"
#include "hotplug-util.h"

/* The ownership pass: which unit owns each CPU, memory block, slot and PCI
 * device, which units exist, and the domains.  Topology events only mark
 * the model dirty; one pass after a burst of them decides everything
 * again from the devices the model holds.  Its phases, in order:
 * containers (boards and I/O units), free memory devices, free CPUs, free
 * memory, slots, PCI devices, then the unit table, states and domains. */

#define TOPIC HOTPLUG_PLATFORM_TOPIC
/* how long topology changes gather before one ownership pass */
#define OWNERSHIP_DELAY_MS 10

/* What one ownership pass decides for one unit. */
typedef struct
{
  HotplugUnitKind   kind;
  char             *id;
  char             *sysfs_path;
  char             *parent;
  char             *domain;
  GArray           *cpus;    /* guint */
  GArray           *blocks;  /* guint */
  GPtrArray        *pci;     /* HotplugPciDev *, depth first */
  GPtrArray        *slots;   /* char * ids */
  HotplugContainer *container;
  HotplugSlot      *slot;
  gboolean          absent;  /* a remembered location without its container */
} UnitPlan;

/* Everything one pass works with. */
typedef struct
{
  HotplugPlatform *self;
  GHashTable      *plans;         /* id → UnitPlan (borrowed from order) */
  GPtrArray       *order;         /* UnitPlan, in the order they were planned */
  GHashTable      *root_owner;    /* pci0000:40 → UnitPlan */
  GHashTable      *by_bus;        /* "SSSS:BB" → HotplugSlot */
  GPtrArray       *all_pci;       /* HotplugPciDev, depth first */
  GArray          *cpu_claimed;   /* guint8 per CPU */
  GArray          *block_claimed; /* guint8 per block */
  GPtrArray       *added;         /* HotplugUnit (ref) */
  GPtrArray       *removed;       /* HotplugUnit (ref) */
  GPtrArray       *new_domains;   /* HotplugDomain (ref) */
  GHashTable      *domain_slots;  /* domain id → GPtrArray of slot unit ids */
  GHashTable      *domain_devs;   /* domain id → GPtrArray of BDFs (borrowed) */
  GPtrArray       *present;       /* HotplugUnit (ref): boards and I/O units inserted again */
} Pass;

static UnitPlan *
unit_plan_new (HotplugUnitKind kind, const char *id)
{
  UnitPlan *p = g_new0 (UnitPlan, 1);

  p->kind = kind;
  p->id = g_strdup (id);
  p->cpus = g_array_new (FALSE, FALSE, sizeof (guint));
  p->blocks = g_array_new (FALSE, FALSE, sizeof (guint));
  p->pci = g_ptr_array_new ();
  p->slots = g_ptr_array_new_with_free_func (g_free);
  return p;
}

static void
unit_plan_free (UnitPlan *p)
{
  g_free (p->id);
  g_free (p->sysfs_path);
  g_free (p->parent);
  g_free (p->domain);
  g_array_unref (p->cpus);
  g_array_unref (p->blocks);
  g_ptr_array_unref (p->pci);
  g_ptr_array_unref (p->slots);
  g_free (p);
}

static int
cmp_uint (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;

  return x < y ? -1 : x > y;
}

static int
cmp_str (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}

/* --- scheduling ------------------------------------------------------- */

static gboolean
dirty_idle (gpointer user_data)
{
  HotplugPlatform *self = HOTPLUG_PLATFORM (user_data);

  self->dirty_id = 0;
  hotplug_platform_recompute (self);
  return G_SOURCE_REMOVE;
}

void
hotplug_platform_mark_dirty (HotplugPlatform *self)
{
  self->dirty = TRUE;
  if (self->dirty_id == 0)
    /* a board comes and goes as a burst of a thousand uevents, read in
     * batches: an idle would run the pass between two batches; a few
     * milliseconds let the whole burst in first */
    self->dirty_id = g_timeout_add_full (G_PRIORITY_DEFAULT_IDLE, OWNERSHIP_DELAY_MS, dirty_idle, self, NULL);
}

/* --- applying a plan to a unit ------------------------------------------ */

/* NUMA nodes of a unit's CPUs and blocks, in list form */
static char *
nodes_of (HotplugPlatform *self, UnitPlan *p)
{
  g_autoptr(GArray) nodes = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint pass = 0; pass < 2; pass++)
    {
      GArray *idx = pass ? p->blocks : p->cpus;
      GArray *table = pass ? self->blocks : self->cpus;
      gint32 last = -1;

      for (guint i = 0; i < idx->len; i++)
        {
          gint32 node = g_array_index (table, HotplugCpuEntry, g_array_index (idx, guint, i)).node;
          guint u = (guint) node;
          gboolean known = FALSE;

          /* neighbours share a node: skip the scan for the common case */
          if (node < 0 || node == last)
            continue;
          last = node;
          for (guint j = 0; j < nodes->len && !known; j++)
            known = g_array_index (nodes, guint, j) == u;
          if (!known)
            g_array_append_val (nodes, u);
        }
    }
  g_array_sort (nodes, cmp_uint);
  return hotplug_list_format_array (nodes);
}

static void
apply_memory (HotplugPlatform *self, HotplugUnit *unit, UnitPlan *p)
{
  g_autofree char *ranges = NULL;
  guint online = 0;

  for (guint i = 0; i < p->blocks->len; i++)
    if (g_array_index (self->blocks, HotplugBlockEntry, g_array_index (p->blocks, guint, i)).online)
      online++;
  hotplug_unit_update_uint (unit, "memory-blocks", p->blocks->len);
  hotplug_unit_update_uint (unit, "memory-blocks-online", online);
  hotplug_unit_update_uint64 (unit, "memory-bytes", (guint64) p->blocks->len * self->block_size);
  ranges = hotplug_list_format_array (p->blocks);
  hotplug_unit_update_string (unit, "memory-ranges", ranges);
}

static void
apply_hotpluggable (HotplugUnit *unit, UnitPlan *p)
{
  gboolean hotpluggable = p->slot == NULL || p->slot->power_control;

  if (hotplug_dbus_unit_get_hotpluggable (HOTPLUG_DBUS_UNIT (unit)) != hotpluggable)
    hotplug_dbus_unit_set_hotpluggable (HOTPLUG_DBUS_UNIT (unit), hotpluggable);
  hotplug_unit_update_string (unit, "hotpluggable-reason",
                              hotpluggable ? "" : "the platform lists this slot but cannot power it "
                                                  "(it has no power control): it is a location, "
                                                  "not a hotplug slot");
}

static void
apply_plan (HotplugPlatform *self, HotplugUnit *unit, UnitPlan *p)
{
  g_autoptr(GPtrArray) bdfs = g_ptr_array_new ();
  g_autofree char *nodes = NULL;

  apply_hotpluggable (unit, p);

  hotplug_unit_update_string (unit, "sysfs-path", p->sysfs_path);
  hotplug_unit_update_string (unit, "parent", p->parent);
  hotplug_unit_update_string (unit, "domain", p->domain);
  hotplug_unit_set_cpu_list (unit, p->cpus);
  hotplug_platform_update_cpus_online (self, unit);
  apply_memory (self, unit, p);
  nodes = nodes_of (self, p);
  hotplug_unit_update_string (unit, "nodes", nodes);

  for (guint i = 0; i < p->pci->len; i++)
    g_ptr_array_add (bdfs, ((HotplugPciDev *) g_ptr_array_index (p->pci, i))->bdf);
  g_ptr_array_add (bdfs, NULL);
  hotplug_unit_update_strv (unit, "pci-devices", (const char *const *) bdfs->pdata);
  g_ptr_array_add (p->slots, NULL);
  hotplug_unit_update_strv (unit, "slots", (const char *const *) p->slots->pdata);
  g_ptr_array_remove_index (p->slots, p->slots->len - 1);

  for (guint i = 0; i < p->cpus->len; i++)
    g_array_index (self->cpus, HotplugCpuEntry, g_array_index (p->cpus, guint, i)).owner = unit;
  for (guint i = 0; i < p->blocks->len; i++)
    g_array_index (self->blocks, HotplugBlockEntry, g_array_index (p->blocks, guint, i)).owner = unit;
}

/* --- the phases of a pass ------------------------------------------------ */

static UnitPlan *
plan_add (Pass *pass, HotplugUnitKind kind, const char *id)
{
  UnitPlan *p = g_hash_table_lookup (pass->plans, id);

  if (p)
    return p;
  p = unit_plan_new (kind, id);
  g_hash_table_insert (pass->plans, p->id, p);
  g_ptr_array_add (pass->order, p);
  return p;
}

static void
claim (GArray *table, GArray *wanted, GArray *claimed, GArray *into)
{
  for (guint i = 0; i < wanted->len; i++)
    {
      guint n = g_array_index (wanted, guint, i);

      if (n >= table->len || !g_array_index (table, HotplugCpuEntry, n).present)
        continue;
      if (g_array_index (claimed, guint8, n))
        continue;
      g_array_index (claimed, guint8, n) = TRUE;
      g_array_append_val (into, n);
    }
}

static void
plan_container (Pass *pass, HotplugContainer *c)
{
  HotplugPlatform *self = pass->self;
  HotplugUnitKind kind;
  g_autofree char *id = NULL;
  UnitPlan *p;

  c->was_board |= c->holds_cpu_or_memory || hotplug_platform_location_is_board (self, c);
  kind = c->was_board ? HOTPLUG_UNIT_KIND_SB : HOTPLUG_UNIT_KIND_IOU;
  id = g_strconcat (kind == HOTPLUG_UNIT_KIND_SB ? "sb" : "iou", c->uid, NULL);
  if (g_hash_table_contains (pass->plans, id))
    {
      hotplug_log_ratelimited (G_LOG_LEVEL_WARNING, c->name, TOPIC, id, NULL, c->devpath,
                               "container %s has the same uid as another one; ignored", c->name);
      return;
    }
  p = plan_add (pass, kind, id);
  p->container = c;
  p->sysfs_path = g_strconcat ("/sys", c->devpath, NULL);
  hotplug_platform_location_remember (self, kind, id, c, p->sysfs_path);
  /* sorted by their scan */
  claim (self->cpus, c->cpus, pass->cpu_claimed, p->cpus);
  claim (self->blocks, c->blocks, pass->block_claimed, p->blocks);
  for (guint i = 0; i < c->root_buses->len; i++)
    {
      const char *rb = g_ptr_array_index (c->root_buses, i);
      unsigned dom = 0;

      g_hash_table_insert (pass->root_owner, (gpointer) rb, p);
      if (p->domain == NULL && sscanf (rb, "pci%4x:", &dom) == 1)
        p->domain = g_strdup_printf ("%04x", dom);
    }
}

/* boards and I/O units */
static void
plan_containers (Pass *pass)
{
  g_autoptr(GList) containers = g_hash_table_get_values (pass->self->containers);

  for (GList *l = containers; l; l = l->next)
    {
      HotplugContainer *c = l->data;

      if (c->stale)
        hotplug_platform_container_scan (pass->self, c);
      c->stale = FALSE;
    }
  for (GList *l = containers; l; l = l->next)
    plan_container (pass, l->data);
}

/* Boards and I/O units whose container is gone stay where they were seen,
 * absent (hotplug-locations.c says why). */
static void
plan_absent_locations (Pass *pass)
{
  HotplugPlatform *self = pass->self;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_remove_all (self->absent);
  g_hash_table_iter_init (&iter, self->locations);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      HotplugLocation *loc = value;
      const char *id = hotplug_location_get_id (loc);
      UnitPlan *p;

      if (g_hash_table_contains (pass->plans, id))
        continue;
      p = plan_add (pass, hotplug_location_get_kind (loc), id);
      p->absent = TRUE;
      p->sysfs_path = g_strdup (hotplug_location_get_sysfs_path (loc));
      g_hash_table_add (self->absent, g_strdup (id));
    }
}

static void
on_free_memory_device (const char *id, const char *sysfs_path, GArray *blocks, gpointer user_data)
{
  Pass *pass = user_data;
  UnitPlan *p = plan_add (pass, HOTPLUG_UNIT_KIND_MEMORY, id);

  claim (pass->self->blocks, blocks, pass->block_claimed, p->blocks);
  if (p->blocks->len == 0)
    {
      /* nothing of it is here (yet): no unit */
      g_hash_table_remove (pass->plans, p->id);
      g_ptr_array_remove (pass->order, p);
      return;
    }
  if (p->sysfs_path == NULL)
    p->sysfs_path = g_strdup (sysfs_path);
}

/* A CPU or memory block that a board owned in the last pass and that no
 * board claims now: either the board let it go, or the board is being
 * removed and sysfs is already ahead of the events we have read — the
 * kernel unlinks a memory block's physical_node link, then sends its remove
 * uevent, then deletes its directory, and a surprise removal deletes the
 * whole tree at once.  It must not flash up as a free unit until its own
 * remove event arrives: gone from sysfs, it is no longer present; a memory
 * block still there is leaving (HotplugCpuEntry.leaving); a CPU still there
 * stays, on no board. */
static gboolean
leaving_board (HotplugUnit *was, const char *prefix, guint n)
{
  g_autofree char *rel = NULL;
  g_autofree char *path = NULL;

  if (was == NULL || hotplug_unit_get_kind (was) != HOTPLUG_UNIT_KIND_SB)
    return FALSE;
  rel = g_strdup_printf ("%s%u", prefix, n);
  path = hotplug_sysfs_path (rel);
  return !g_file_test (path, G_FILE_TEST_EXISTS);
}

/* Whether entry N of TABLE is free of any board; forgets its owner.
 * BLOCKS: memory blocks, which the kernel unlinks from their ACPI memory
 * device only to remove them (a CPU whose ACPI processor goes may stay,
 * on no board). */
static gboolean
unclaimed (GArray *table, GArray *claimed, guint n, const char *prefix, gboolean blocks)
{
  HotplugCpuEntry *e = &g_array_index (table, HotplugCpuEntry, n);
  HotplugUnit *was = e->owner;

  e->owner = NULL;
  if (g_array_index (claimed, guint8, n))
    e->leaving = FALSE;
  if (!e->present || g_array_index (claimed, guint8, n) || e->leaving)
    return FALSE;
  if (leaving_board (was, prefix, n))
    {
      e->present = FALSE;
      return FALSE;
    }
  /* its board let go of it, its remove is yet to come: never free
   * memory or a CPU of its own for the moment in between */
  if (blocks && was && hotplug_unit_get_kind (was) == HOTPLUG_UNIT_KIND_SB)
    {
      e->leaving = TRUE;
      return FALSE;
    }
  return TRUE;
}

/* CPUs on no board: one unit each */
static void
plan_free_cpus (Pass *pass)
{
  HotplugPlatform *self = pass->self;

  for (guint n = 0; n < self->cpus->len; n++)
    {
      char id[32];
      UnitPlan *p;

      if (!unclaimed (self->cpus, pass->cpu_claimed, n, "/sys/devices/system/cpu/cpu", FALSE))
        continue;
      g_snprintf (id, sizeof id, "cpu%u", n);
      p = plan_add (pass, HOTPLUG_UNIT_KIND_CPU, id);
      p->sysfs_path = g_strdup_printf ("/sys/devices/system/cpu/cpu%u", n);
      g_array_append_val (p->cpus, n);
    }
}

/* memory on no board: one unit per NUMA node */
static void
plan_free_memory (Pass *pass)
{
  HotplugPlatform *self = pass->self;

  for (guint n = 0; n < self->blocks->len; n++)
    {
      gint32 entry_node = g_array_index (self->blocks, HotplugBlockEntry, n).node;
      char id[32];
      guint node;
      UnitPlan *p;

      if (!unclaimed (self->blocks, pass->block_claimed, n, "/sys/devices/system/memory/memory", TRUE))
        continue;
      node = entry_node >= 0 ? (guint) entry_node : 0;
      g_snprintf (id, sizeof id, "memory-node%u", node);
      p = plan_add (pass, HOTPLUG_UNIT_KIND_MEMORY, id);
      if (p->sysfs_path == NULL)
        p->sysfs_path = g_strdup_printf ("/sys/devices/system/node/node%u", node);
      g_array_append_val (p->blocks, n);
    }
}

static GPtrArray *
domain_list (GHashTable *table, const char *domain, GDestroyNotify free_func)
{
  GPtrArray *list = g_hash_table_lookup (table, domain);

  if (list == NULL)
    {
      list = g_ptr_array_new_with_free_func (free_func);
      g_hash_table_insert (table, g_strdup (domain), list);
    }
  return list;
}

/* slots, and which board or I/O unit each one is in */
static void
plan_slots (Pass *pass)
{
  GHashTableIter iter;
  HotplugSlot *s;

  g_hash_table_iter_init (&iter, pass->self->slots);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &s))
    {
      g_autofree char *id = g_strconcat ("slot-", s->name, NULL);
      UnitPlan *p = plan_add (pass, HOTPLUG_UNIT_KIND_SLOT, id);
      const char *rb = s->address_valid ? hotplug_platform_root_bus_of_slot (s, pass->all_pci) : NULL;
      UnitPlan *owner = rb ? g_hash_table_lookup (pass->root_owner, rb) : NULL;

      p->slot = s;
      p->sysfs_path = g_strconcat ("/sys/bus/pci/slots/", s->name, NULL);
      if (s->address_valid)
        {
          p->domain = g_strdup_printf ("%04x", s->domain);
          g_ptr_array_add (domain_list (pass->domain_slots, p->domain, g_free), g_strdup (id));
        }
      if (owner)
        {
          p->parent = g_strdup (owner->id);
          g_ptr_array_add (owner->slots, g_strdup (id));
        }
    }
}

/* PCI devices, depth first, to their board / I/O unit and slot */
static void
plan_pci_devices (Pass *pass)
{
  for (guint i = 0; i < pass->all_pci->len; i++)
    {
      HotplugPciDev *d = g_ptr_array_index (pass->all_pci, i);
      UnitPlan *owner = g_hash_table_lookup (pass->root_owner, d->root_bus);
      HotplugSlot *s = hotplug_platform_slot_of_dev (pass->self, pass->by_bus, d, NULL);
      char dom[8];

      if (owner)
        g_ptr_array_add (owner->pci, d);
      if (s)
        {
          g_autofree char *id = g_strconcat ("slot-", s->name, NULL);
          UnitPlan *p = g_hash_table_lookup (pass->plans, id);

          if (p)
            g_ptr_array_add (p->pci, d);
        }
      g_snprintf (dom, sizeof dom, "%04x", d->domain);
      g_ptr_array_add (domain_list (pass->domain_devs, dom, NULL), d->bdf);
    }
  for (guint i = 0; i < pass->order->len; i++)
    g_ptr_array_sort (((UnitPlan *) g_ptr_array_index (pass->order, i))->slots, cmp_str);
}

/* Drops the units whose hardware is gone (or whose kind changed), creates
 * the new ones, and gives every unit what the pass decided. */
static void
update_units (Pass *pass)
{
  HotplugPlatform *self = pass->self;
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->units);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      UnitPlan *p = g_hash_table_lookup (pass->plans, key);

      if (p == NULL || p->kind != hotplug_unit_get_kind (value))
        {
          /* the table's reference moves to the removed list */
          g_ptr_array_add (pass->removed, value);
          g_hash_table_iter_steal (&iter);
          g_free (key);
        }
    }

  for (guint i = 0; i < pass->order->len; i++)
    {
      UnitPlan *p = g_ptr_array_index (pass->order, i);
      HotplugUnit *unit = g_hash_table_lookup (self->units, p->id);

      if (unit == NULL)
        {
          unit = hotplug_unit_new (p->kind, p->id);
          g_hash_table_insert (self->units, g_strdup (p->id), unit);
          g_ptr_array_add (pass->added, g_object_ref (unit));
        }
      apply_plan (self, unit, p);
    }
  /* states last: a slot's state needs its HotplugSlot, a board's its
   * counters; a new unit's first state is told with its creation */
  for (guint i = 0; i < pass->order->len; i++)
    {
      HotplugUnit *unit = g_hash_table_lookup (self->units, ((UnitPlan *) g_ptr_array_index (pass->order, i))->id);
      gboolean is_new = g_ptr_array_find (pass->added, unit, NULL);
      gboolean was_absent = hotplug_unit_get_state (unit) == HOTPLUG_UNIT_STATE_ABSENT;

      hotplug_platform_update_unit_state (self, unit, NULL, NULL, is_new);
      if (!is_new && was_absent && hotplug_unit_get_state (unit) != HOTPLUG_UNIT_STATE_ABSENT &&
          hotplug_unit_get_kind (unit) != HOTPLUG_UNIT_KIND_SLOT)
        g_ptr_array_add (pass->present, g_object_ref (unit));
    }
}

/* domains: one per segment seen (a root bus, a device or a slot); never
 * dropped.  Their ConnectionState is theirs (hotplug-domain.c): the model
 * only tells them what it sees. */
static void
update_domains (Pass *pass)
{
  HotplugPlatform *self = pass->self;
  g_autoptr(GHashTable) roots = hotplug_platform_read_root_domains ();
  GHashTableIter iter;
  gpointer key, value;

  for (guint round = 0; round < 3; round++)
    {
      g_hash_table_iter_init (&iter, round == 0 ? roots : round == 1 ? pass->domain_devs : pass->domain_slots);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        if (!g_hash_table_contains (self->domains, key))
          {
            GPtrArray *dd = g_hash_table_lookup (pass->domain_devs, key);
            HotplugDomain *dom = hotplug_domain_new (key, self->state_dir, dd && dd->len > 0,
                                                     g_hash_table_contains (roots, key));

            g_hash_table_insert (self->domains, g_strdup (key), dom);
            g_ptr_array_add (pass->new_domains, g_object_ref (dom));
          }
    }
  g_hash_table_iter_init (&iter, self->domains);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GPtrArray *ds = g_hash_table_lookup (pass->domain_slots, key);
      GPtrArray *dd = g_hash_table_lookup (pass->domain_devs, key);

      if (ds)
        {
          g_ptr_array_sort (ds, cmp_str);
          g_ptr_array_add (ds, NULL);
        }
      if (dd)
        g_ptr_array_add (dd, NULL);
      hotplug_domain_update (value, ds ? (const char *const *) ds->pdata : NULL,
                             dd ? (const char *const *) dd->pdata : NULL, g_hash_table_contains (roots, key));
    }
}

/* What changed, to the model's listeners: gone units first, so that a
 * unit whose kind changed is removed before its successor is added. */
static void
announce (Pass *pass)
{
  HotplugPlatform *self = pass->self;

  for (guint i = 0; i < pass->removed->len; i++)
    {
      HotplugUnit *unit = g_ptr_array_index (pass->removed, i);

      hotplug_log_full (G_LOG_LEVEL_INFO, TOPIC, hotplug_unit_get_id (unit), NULL, NULL,
                        HOTPLUG_MSGID_UNIT_STATE, "unit is gone");
      g_signal_emit (self, hotplug_platform_signals[HOTPLUG_PLATFORM_SIGNAL_UNIT_REMOVED], 0, unit);
    }
  for (guint i = 0; i < pass->new_domains->len; i++)
    g_signal_emit (self, hotplug_platform_signals[HOTPLUG_PLATFORM_SIGNAL_DOMAIN_ADDED], 0,
                   g_ptr_array_index (pass->new_domains, i));
  for (guint i = 0; i < pass->added->len; i++)
    {
      HotplugUnit *unit = g_ptr_array_index (pass->added, i);

      hotplug_log_full (G_LOG_LEVEL_INFO, TOPIC, hotplug_unit_get_id (unit), NULL, NULL,
                        HOTPLUG_MSGID_UNIT_STATE, "new %s unit, %s",
                        hotplug_dbus_unit_get_kind (HOTPLUG_DBUS_UNIT (unit)),
                        hotplug_dbus_unit_get_state (HOTPLUG_DBUS_UNIT (unit)));
      g_signal_emit (self, hotplug_platform_signals[HOTPLUG_PLATFORM_SIGNAL_UNIT_ADDED], 0, unit);
    }
  for (guint i = 0; i < pass->present->len; i++)
    {
      HotplugUnit *unit = g_ptr_array_index (pass->present, i);

      hotplug_log_full (G_LOG_LEVEL_MESSAGE, TOPIC, hotplug_unit_get_id (unit), NULL, NULL,
                        HOTPLUG_MSGID_UNIT_STATE, "a part is in its place again, %s",
                        hotplug_dbus_unit_get_state (HOTPLUG_DBUS_UNIT (unit)));
      g_signal_emit (self, hotplug_platform_signals[HOTPLUG_PLATFORM_SIGNAL_UNIT_PRESENT], 0, unit);
    }
}

static void
pass_init (Pass *pass, HotplugPlatform *self)
{
  pass->self = self;
  pass->plans = g_hash_table_new (g_str_hash, g_str_equal);
  pass->order = g_ptr_array_new_with_free_func ((GDestroyNotify) unit_plan_free);
  pass->root_owner = g_hash_table_new (g_str_hash, g_str_equal);
  pass->cpu_claimed = g_array_new (FALSE, TRUE, sizeof (guint8));
  pass->block_claimed = g_array_new (FALSE, TRUE, sizeof (guint8));
  pass->added = g_ptr_array_new_with_free_func (g_object_unref);
  pass->removed = g_ptr_array_new_with_free_func (g_object_unref);
  pass->new_domains = g_ptr_array_new_with_free_func (g_object_unref);
  pass->domain_slots = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  pass->domain_devs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  pass->present = g_ptr_array_new_with_free_func (g_object_unref);
}

static void
pass_clear (Pass *pass)
{
  g_hash_table_unref (pass->plans);
  g_ptr_array_unref (pass->order);
  g_hash_table_unref (pass->root_owner);
  g_clear_pointer (&pass->by_bus, g_hash_table_unref);
  g_clear_pointer (&pass->all_pci, g_ptr_array_unref);
  g_array_unref (pass->cpu_claimed);
  g_array_unref (pass->block_claimed);
  g_ptr_array_unref (pass->added);
  g_ptr_array_unref (pass->removed);
  g_ptr_array_unref (pass->new_domains);
  g_hash_table_unref (pass->domain_slots);
  g_hash_table_unref (pass->domain_devs);
  g_ptr_array_unref (pass->present);
}

/* PCI devices that arrived since the last pass: the units they came to
 * got new hardware (the part a hot replace waits for) */
static void
announce_arrivals (HotplugPlatform *self)
{
  g_autoptr(GPtrArray) units = NULL;
  g_autoptr(GHashTable) told = NULL;

  if (self->arrived->len == 0)
    return;
  units = hotplug_platform_get_units (self);
  told = g_hash_table_new (NULL, NULL);
  for (guint i = 0; i < self->arrived->len; i++)
    for (guint j = 0; j < units->len; j++)
      {
        HotplugUnit *unit = g_ptr_array_index (units, j);
        const char *const *pci = hotplug_dbus_unit_get_pci_devices (HOTPLUG_DBUS_UNIT (unit));
        HotplugUnitKind kind = hotplug_unit_get_kind (unit);

        if ((kind == HOTPLUG_UNIT_KIND_SLOT || kind == HOTPLUG_UNIT_KIND_IOU) && pci &&
            g_strv_contains (pci, g_ptr_array_index (self->arrived, i)) && g_hash_table_add (told, unit))
          g_signal_emit (self, hotplug_platform_signals[HOTPLUG_PLATFORM_SIGNAL_PART_SWAPPED], 0, unit);
      }
  g_ptr_array_set_size (self->arrived, 0);
}

void
hotplug_platform_recompute (HotplugPlatform *self)
{
  Pass pass = { 0 };
  gint64 start = g_get_monotonic_time ();

  g_clear_handle_id (&self->dirty_id, g_source_remove);
  self->dirty = FALSE;
  /* the nodes listed for an enumeration are not kept current */
  hotplug_platform_forget_nodes (self);
  if (self->block_size == 0)
    hotplug_platform_read_block_size (self);
  hotplug_platform_rescan_slots (self);

  pass_init (&pass, self);
  g_array_set_size (pass.cpu_claimed, self->cpus->len);
  g_array_set_size (pass.block_claimed, self->blocks->len);
  plan_containers (&pass);
  plan_absent_locations (&pass);
  hotplug_platform_free_memory_devices (on_free_memory_device, &pass);
  plan_free_cpus (&pass);
  plan_free_memory (&pass);
  pass.all_pci = hotplug_platform_sorted_pci (self);
  pass.by_bus = hotplug_platform_slots_by_bus (self);
  plan_slots (&pass);
  plan_pci_devices (&pass);
  update_units (&pass);
  update_domains (&pass);
  hotplug_platform_locations_save (self);

  hotplug_debug (TOPIC, "ownership pass: %u units (%u new, %u gone), %u CPUs, %u memory blocks, "
                 "%u PCI devices in %.1f ms", g_hash_table_size (self->units), pass.added->len,
                 pass.removed->len, self->cpus->len, self->blocks->len, g_hash_table_size (self->pci_devs),
                 (double) (g_get_monotonic_time () - start) / 1000.0);
  announce (&pass);
  pass_clear (&pass);
  announce_arrivals (self);
  hotplug_platform_check_waiters (self);
}
