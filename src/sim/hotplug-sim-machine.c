/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>

#include "hotplug-sim-machine-private.h"
#include "hotplug-util.h"

HotplugSimDev *
sim_machine_dev_new (HotplugSimMachine *m, HotplugSimDevKind kind, const char *subsystem, HotplugSimUnit *unit,
         char *name, char *path)
{
  HotplugSimDev *dev = g_new0 (HotplugSimDev, 1);

  dev->kind = kind;
  dev->subsystem = subsystem;
  dev->unit = unit;
  dev->name = name;
  dev->path = path;
  dev->physical = TRUE;
  dev->secondary = dev->subordinate = -1;
  dev->wd = -1;
  dev->zone = "none";
  g_ptr_array_add (m->devs, dev);
  if (unit)
    g_ptr_array_add (unit->devs, dev);
  return dev;
}

static void
dev_free (HotplugSimDev *dev)
{
  g_free (dev->name);
  g_free (dev->path);
  g_free (dev->hid);
  g_free (dev->acpi_path);
  g_free (dev->block);
  g_free (dev->net);
  g_clear_pointer (&dev->phys, g_ptr_array_unref);
  g_free (dev);
}

static void
unit_free (HotplugSimUnit *u)
{
  g_free (u->id);
  g_free (u->hid);
  g_free (u->name);
  g_free (u->path);
  g_ptr_array_unref (u->devs);
  g_free (u);
}

static void
domain_free (HotplugSimDomain *dom)
{
  g_free (dom->owner);
  g_free (dom);
}

void
hotplug_sim_machine_free (HotplugSimMachine *m)
{
  if (m == NULL)
    return;
  g_free (m->file);
  g_free (m->name);
  g_free (m->auto_online);
  g_ptr_array_unref (m->units);
  g_ptr_array_unref (m->devs);
  g_array_unref (m->nodes);
  g_ptr_array_unref (m->domains);
  g_free (m);
}

static HotplugSimDev *
acpi_new (HotplugSimMachine *m, GHashTable *instances, HotplugSimDev *parent, HotplugSimUnit *unit,
          const char *hid)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (instances, hid));
  char *name = g_strdup_printf ("%s:%02x", hid, n);
  HotplugSimDev *dev;

  g_hash_table_insert (instances, (gpointer) hid, GUINT_TO_POINTER (n + 1));
  dev = sim_machine_dev_new (m, HOTPLUG_SIM_DEV_ACPI, "acpi", unit, name,
                 parent ? g_strdup_printf ("%s/%s", parent->path, name)
                        : g_strdup_printf ("devices/%s", name));
  dev->parent = parent;
  dev->hid = g_strdup (hid);
  dev->phys = g_ptr_array_new ();
  return dev;
}

static void
node_add (HotplugSimMachine *m, guint node)
{
  for (guint i = 0; i < m->nodes->len; i++)
    if (g_array_index (m->nodes, guint, i) == node)
      return;
  g_array_append_val (m->nodes, node);
}

static int
cmp_uint (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;

  return x < y ? -1 : x > y;
}

static const char * const unit_keys[] = {
  "cpus", "fixed-cpus", "memory", "memory-zone", "unmovable-blocks", "node", "host-bridges",
  "hid", "present", NULL
};

/* The host-bridges= of GROUP: a PNP0A08 node below PARENT and a root bus
 * for each, in unit U; DOMAIN: the only domain allowed (G_MAXUINT: any). */
static gboolean
host_bridges_new (Parser *p, const char *group, HotplugSimUnit *u, HotplugSimDev *parent, guint node,
                  guint domain, GError **error)
{
  Desc *d = &p->d;
  g_auto(GStrv) bridges = g_key_file_get_string_list (d->kf, group, "host-bridges", NULL, NULL);

  for (guint i = 0; bridges && bridges[i]; i++)
    {
      guint dom, bus;
      HotplugSimDev *a, *rb;
      g_strstrip (bridges[i]);
      if (!desc_parse_bus (bridges[i], &dom, &bus))
        return desc_error (d, error, group, "host-bridges", "'%s' is not a root bus such as 0000:40", bridges[i]);
      if (g_hash_table_contains (p->rootbus, bridges[i]))
        return desc_error (d, error, group, "host-bridges", "root bus %s is listed twice", bridges[i]);
      if (domain != G_MAXUINT && dom != domain)
        return desc_error (d, error, group, "host-bridges", "root bus %s is not in domain %04x", bridges[i],
                           domain);
      a = acpi_new (p->m, p->instances, parent, u, "PNP0A08");
      a->uid = dom * 256 + bus;
      a->acpi_path = g_strdup_printf ("\\_SB_.PC%02X", a->uid & 0xff);
      /* owned by m->devs now; joins its unit's list when the PCI tree is
       * placed, so that the unit lists it after its CPUs and memory */
      rb = sim_machine_dev_new (p->m, HOTPLUG_SIM_DEV_ROOTBUS, NULL, NULL, g_strdup_printf ("pci%04x:%02x", dom, bus), NULL);
      rb->path = g_strdup_printf ("devices/%s", rb->name);
      rb->unit = u;
      rb->domain = dom;
      rb->bus = bus;
      rb->node = node;
      rb->secondary = bus;
      rb->fw = a;
      g_ptr_array_add (a->phys, rb);
      g_hash_table_insert (p->rootbus, g_strdup (bridges[i]), rb);
    }
  return TRUE;
}

/* [domain DDDD]: a PCI domain that hosts share (shared=, owner=), with
 * host bridges of its own on no board. */
static gboolean
parse_domain (Parser *p, const char *g, GError **error)
{
  Desc *d = &p->d;
  HotplugSimDomain *dom;
  g_autofree char *owner = NULL;
  guint64 id;
  char *end;
  gboolean shared;

  if (!desc_check_keys (d, g, (const char * const[]) { "shared", "owner", "host-bridges", NULL }, error) ||
      !desc_get_bool (d, g, "shared", FALSE, &shared, error))
    return FALSE;
  id = g_ascii_strtoull (g + 7, &end, 16);
  if (strlen (g + 7) != 4 || *end || !g_ascii_isxdigit (g[7]))
    return desc_error (d, error, g, NULL, "'%s' is not a PCI domain such as 0001", g + 7);
  owner = g_key_file_get_value (d->kf, g, "owner", NULL);
  if (owner)
    g_strstrip (owner);
  if (shared && (owner == NULL || *owner == '\0'))
    return desc_error (d, error, g, NULL, "a shared domain needs owner= (the [machine] name of the host "
                       "that owns it first)");
  if (shared && p->m->name == NULL)
    return desc_error (d, error, "machine", NULL, "a machine that shares a domain needs a name= (its host name)");
  dom = g_new0 (HotplugSimDomain, 1);
  dom->id = id;
  dom->shared = shared;
  dom->owner = g_steal_pointer (&owner);
  g_ptr_array_add (p->m->domains, dom);
  return host_bridges_new (p, g, hotplug_sim_machine_find_unit (p->m, "base"), p->sybus, 0, id, error);
}

/* What a unit's group says, checked before anything is built. */
typedef struct {
  GArray    *cpus;       /* guint, or NULL */
  GArray    *fixed;      /* guint, or NULL */
  char      *hid;
  char      *zone;
  guint64    mem;
  guint64    node;
  guint64    unmovable;
  gboolean   present;
} UnitKeys;

static void
unit_keys_clear (UnitKeys *k)
{
  g_clear_pointer (&k->cpus, g_array_unref);
  g_clear_pointer (&k->fixed, g_array_unref);
  g_clear_pointer (&k->hid, g_free);
  g_clear_pointer (&k->zone, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (UnitKeys, unit_keys_clear)

static gboolean
unit_keys_get (Parser *p, const char *group, HotplugSimUnitKind kind, guint uid, UnitKeys *k, GError **error)
{
  HotplugSimMachine *m = p->m;
  Desc *d = &p->d;
  gboolean base = kind == HOTPLUG_SIM_UNIT_BASE;

  if (!desc_check_keys (d, group, unit_keys, error) ||
      !desc_get_list (d, group, "cpus", &k->cpus, error) ||
      !desc_get_list (d, group, "fixed-cpus", &k->fixed, error) ||
      !desc_get_number (d, group, "memory", TRUE, NULL, 0, G_MAXUINT64, &k->mem, error) ||
      !desc_get_number (d, group, "node", FALSE, NULL, base ? 0 : uid + 1, 1023, &k->node, error) ||
      !desc_get_number (d, group, "unmovable-blocks", FALSE, NULL, base ? 1 : 0, G_MAXUINT32, &k->unmovable, error) ||
      !desc_get_bool (d, group, "present", TRUE, &k->present, error))
    return FALSE;

  if (base && g_key_file_has_key (d->kf, group, "hid", NULL))
    return desc_error (d, error, group, "hid", "the base resources have no container");
  if (base && g_key_file_has_key (d->kf, group, "present", NULL))
    return desc_error (d, error, group, "present", "the base resources are always present");
  if (kind == HOTPLUG_SIM_UNIT_IOU && (k->cpus || k->mem))
    return desc_error (d, error, group, k->cpus ? "cpus" : "memory",
                       "an I/O unit holds host bridges only (make it an [sb N])");
  k->hid = g_key_file_get_value (d->kf, group, "hid", NULL);
  if (k->hid == NULL)
    k->hid = g_strdup ("ACPI0004");
  if (!g_strv_contains ((const char * const[]) { "ACPI0004", "PNP0A05", "PNP0A06", NULL }, k->hid))
    return desc_error (d, error, group, "hid", "'%s' is not a container id (ACPI0004, PNP0A05, PNP0A06)", k->hid);
  k->zone = g_key_file_get_value (d->kf, group, "memory-zone", NULL);
  if (k->zone == NULL)
    k->zone = g_strdup (base ? "Normal" : "Movable");
  if (!g_strv_contains ((const char * const[]) { "Movable", "Normal", "none", NULL }, k->zone))
    return desc_error (d, error, group, "memory-zone", "'%s' is not Movable, Normal or none", k->zone);
  if (k->mem % m->block_size)
    return desc_error (d, error, group, "memory",
                       "%" G_GUINT64_FORMAT " bytes is not a multiple of the block size", k->mem);
  if (k->mem / m->block_size > 1u << 20)
    return desc_error (d, error, group, "memory", "too many memory blocks");
  for (guint i = 0; k->fixed && i < k->fixed->len; i++)
    {
      guint c = g_array_index (k->fixed, guint, i);
      gboolean ok = FALSE;
      for (guint j = 0; k->cpus && j < k->cpus->len; j++)
        ok |= g_array_index (k->cpus, guint, j) == c;
      if (!ok)
        return desc_error (d, error, group, "fixed-cpus", "CPU %u is not in cpus", c);
    }
  return TRUE;
}

/* The unit itself, its id unique, and its container's ACPI device. */
static HotplugSimUnit *
unit_new (Parser *p, const char *group, HotplugSimUnitKind kind, guint uid, UnitKeys *k, GError **error)
{
  HotplugSimMachine *m = p->m;
  HotplugSimUnit *u = g_new0 (HotplugSimUnit, 1);

  u->kind = kind;
  u->uid = uid;
  u->devs = g_ptr_array_new ();
  u->present = k->present;
  u->mem_bytes = k->mem;
  u->wd = -1;
  u->id = kind == HOTPLUG_SIM_UNIT_BASE ? g_strdup ("base")
        : g_strdup_printf ("%s%u", kind == HOTPLUG_SIM_UNIT_SB ? "sb" : "iou", uid);
  u->hid = g_steal_pointer (&k->hid);
  g_ptr_array_add (m->units, u);
  if (g_hash_table_contains (p->ids, u->id))
    return desc_error (&p->d, error, group, NULL, "duplicate unit %s (also [%s])", u->id,
                       (char *) g_hash_table_lookup (p->ids, u->id)), NULL;
  g_hash_table_insert (p->ids, g_strdup (u->id), g_strdup (group));
  if (kind != HOTPLUG_SIM_UNIT_BASE)
    {
      u->acpi = acpi_new (m, p->instances, p->sybus, u, u->hid);
      u->acpi->uid = uid;
      u->acpi->acpi_path = g_strdup_printf ("\\_SB_.%s%02X", kind == HOTPLUG_SIM_UNIT_SB ? "SB" : "IO", uid);
    }
  return u;
}

/* The processors' ACPI devices (ACPI0007), in the order of cpus=. */
static gboolean
unit_add_processors (Parser *p, const char *group, HotplugSimUnit *u, HotplugSimDev *parent,
                     const UnitKeys *k, GPtrArray *procs, GError **error)
{
  for (guint i = 0; k->cpus && i < k->cpus->len; i++)
    {
      guint c = g_array_index (k->cpus, guint, i);
      HotplugSimDev *a;

      if (c > 65535)
        return desc_error (&p->d, error, group, "cpus", "CPU %u is out of range", c);
      if (g_hash_table_contains (p->cpu_owner, GUINT_TO_POINTER (c)))
        return desc_error (&p->d, error, group, "cpus", "CPU %u is already in [%s]", c,
                           (char *) g_hash_table_lookup (p->cpu_owner, GUINT_TO_POINTER (c)));
      g_hash_table_insert (p->cpu_owner, GUINT_TO_POINTER (c), g_strdup (group));
      a = acpi_new (p->m, p->instances, parent, u, "ACPI0007");
      a->uid = c;
      a->acpi_path = g_strdup_printf ("\\_SB_.C%03X", c);
      g_ptr_array_add (procs, a);
    }
  return TRUE;
}

/* The Linux CPUs, each below its processor's ACPI device. */
static void
unit_add_cpus (Parser *p, HotplugSimUnit *u, const UnitKeys *k, GPtrArray *procs)
{
  HotplugSimMachine *m = p->m;

  for (guint i = 0; k->cpus && i < k->cpus->len; i++)
    {
      guint c = g_array_index (k->cpus, guint, i);
      HotplugSimDev *cpu = sim_machine_dev_new (m, HOTPLUG_SIM_DEV_CPU, "cpu", u, g_strdup_printf ("cpu%u", c),
                                                g_strdup_printf ("devices/system/cpu/cpu%u", c));
      HotplugSimDev *a = g_ptr_array_index (procs, i);

      cpu->index = c;
      cpu->node = k->node;
      cpu->online = TRUE;
      cpu->fw = a;
      g_ptr_array_add (a->phys, cpu);
      for (guint j = 0; k->fixed && j < k->fixed->len; j++)
        cpu->fixed |= g_array_index (k->fixed, guint, j) == c;
      m->ncpus = MAX (m->ncpus, c + 1);
    }
}

/* The memory blocks, at the next free address, below the memory device. */
static void
unit_add_memory (Parser *p, HotplugSimUnit *u, const UnitKeys *k, HotplugSimDev *memdev)
{
  HotplugSimMachine *m = p->m;
  guint first = p->next_addr / m->block_size;
  guint n = k->mem / m->block_size;
  const char *zone = k->zone[0] == 'M' ? "Movable" : k->zone[0] == 'N' ? "Normal" : "none";

  for (guint i = 0; i < n; i++)
    {
      HotplugSimDev *b = sim_machine_dev_new (m, HOTPLUG_SIM_DEV_MEMORY, "memory", u,
                                              g_strdup_printf ("memory%u", first + i),
                                              g_strdup_printf ("devices/system/memory/memory%u", first + i));
      b->index = first + i;
      b->node = k->node;
      b->online = TRUE;
      b->zone = i < k->unmovable ? "none" : zone;
      b->fw = memdev;
      g_ptr_array_add (memdev->phys, b);
    }
  p->next_addr += k->mem;
  m->nblocks = MAX (m->nblocks, first + n);
}

static gboolean
parse_unit (Parser *p, const char *group, HotplugSimUnitKind kind, guint uid, GError **error)
{
  HotplugSimMachine *m = p->m;
  g_auto(UnitKeys) k = { 0 };
  g_autoptr(GPtrArray) procs = g_ptr_array_new ();
  HotplugSimDev *memdev = NULL;
  HotplugSimDev *parent;
  HotplugSimUnit *u;

  if (!unit_keys_get (p, group, kind, uid, &k, error) ||
      (u = unit_new (p, group, kind, uid, &k, error)) == NULL)
    return FALSE;
  parent = u->acpi ? u->acpi : p->sybus;
  if (k.cpus || k.mem)
    node_add (m, k.node);

  /* ACPI children first (a hot add announces them before the Linux
   * devices), then the container, CPUs, memory, PCI. */
  if (!unit_add_processors (p, group, u, parent, &k, procs, error))
    return FALSE;
  if (k.mem)
    {
      memdev = acpi_new (m, p->instances, parent, u, "PNP0C80");
      memdev->uid = uid;
      memdev->acpi_path = g_strdup_printf ("\\_SB_.M%03X", kind == HOTPLUG_SIM_UNIT_BASE ? 0xfff : uid);
    }
  if (!host_bridges_new (p, group, u, parent, k.node, G_MAXUINT, error))
    return FALSE;
  if (u->acpi)
    {
      char *name = g_strdup (u->acpi->name);
      u->container = sim_machine_dev_new (m, HOTPLUG_SIM_DEV_CONTAINER, "container", u, name,
                                          g_strdup_printf ("devices/system/container/%s", name));
      u->container->fw = u->acpi;
      u->container->online = TRUE;
      g_ptr_array_add (u->acpi->phys, u->container);
    }
  unit_add_cpus (p, u, &k, procs);
  if (k.mem)
    unit_add_memory (p, u, &k, memdev);
  return TRUE;
}

HotplugSimMachine *
hotplug_sim_machine_load (const char *file, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) e = NULL;
  gsize length = 0;

  if (!g_file_get_contents (file, &text, &length, &e))
    return g_set_error (error, G_FILE_ERROR, e->code, "%s", e->message), NULL;
  /* text ends at a NUL: what follows would be silently ignored */
  if (memchr (text, '\0', length) != NULL)
    return g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE,
                        "%s: a NUL byte (not a text file)", file), NULL;
  return hotplug_sim_machine_load_data (text, file, error);
}

/* Every group is one the format knows. */
static gboolean
check_groups (Desc *d, char **groups, GError **error)
{
  for (guint i = 0; groups[i]; i++)
    {
      const char *g = groups[i];
      if (!g_str_equal (g, "machine") && !g_str_equal (g, "kernel") && !g_str_equal (g, "base") &&
          !g_str_has_prefix (g, "sb ") && !g_str_has_prefix (g, "iou ") &&
          !g_str_has_prefix (g, "pci ") && !g_str_has_prefix (g, "slot ") && !g_str_has_prefix (g, "domain "))
        return desc_error (d, error, g, NULL, "unknown group (expected machine, kernel, base, sb N, iou N, "
                           "domain DDDD, pci BDF, slot NAME)");
    }
  return TRUE;
}

/* [machine] and [kernel]: the block size, the name, the kernel's delay,
 * its auto-online policy and kdump. */
static gboolean
parse_machine (Parser *p, GError **error)
{
  HotplugSimMachine *m = p->m;
  Desc *d = &p->d;
  gboolean loaded, found;
  guint64 n;

  if (!desc_check_keys (d, "machine", (const char * const[]) { "name", "description", "block-size", NULL }, error) ||
      !desc_get_number (d, "machine", "block-size", TRUE, NULL, 128ull << 20, 1ull << 40, &m->block_size, error) ||
      !desc_check_keys (d, "kernel", (const char * const[]) { "delay-ms", "auto-online-blocks", "crash-loaded",
                                                              "crash-hotplug", NULL }, error) ||
      !desc_get_number (d, "kernel", "delay-ms", FALSE, NULL, 0, 3600000, &n, error))
    return FALSE;
  m->delay_ms = n;
  /* kdump: whether a crash kernel is loaded, and whether the kernel updates
   * it itself on CPU and memory hotplug; no key, no attribute */
  if (!desc_get_bool (d, "kernel", "crash-loaded", FALSE, &loaded, error) ||
      !desc_get_number (d, "kernel", "crash-hotplug", FALSE, &found, 0, 1, &n, error))
    return FALSE;
  m->crash_loaded = g_key_file_has_key (d->kf, "kernel", "crash-loaded", NULL) ? loaded : -1;
  m->crash_hotplug = found ? (gint) n : -1;
  if (m->block_size == 0 || (m->block_size & (m->block_size - 1)) || m->block_size < 4096)
    return desc_error (d, error, "machine", "block-size", "the block size must be a power of two of at least 4K");
  m->name = g_key_file_get_value (d->kf, "machine", "name", NULL);
  m->auto_online = g_key_file_get_value (d->kf, "kernel", "auto-online-blocks", NULL);
  if (m->auto_online == NULL)
    m->auto_online = g_strdup ("offline");
  if (!g_strv_contains ((const char * const[]) { "offline", "online", "online_kernel", "online_movable", NULL },
                        m->auto_online))
    return desc_error (d, error, "kernel", "auto-online-blocks",
                       "'%s' is not offline, online, online_kernel or online_movable", m->auto_online);
  return TRUE;
}

/* [base], then every [sb N], then every [iou N], then the [domain]s. */
static gboolean
parse_units (Parser *p, char **groups, GError **error)
{
  Desc *d = &p->d;

  g_key_file_set_value (d->kf, "base", "x-dummy", "");   /* ensure the group exists */
  g_key_file_remove_key (d->kf, "base", "x-dummy", NULL);
  if (!parse_unit (p, "base", HOTPLUG_SIM_UNIT_BASE, 0, error))
    return FALSE;
  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; groups[i]; i++)
      {
        const char *g = groups[i];
        const char *prefix = pass == 0 ? "sb " : "iou ";
        char *end;
        guint64 uid;
        if (!g_str_has_prefix (g, prefix))
          continue;
        errno = 0;
        uid = g_ascii_strtoull (g + strlen (prefix), &end, 10);
        if (!g_ascii_isdigit (g[strlen (prefix)]) || *end || errno || uid > 255)
          return desc_error (d, error, g, NULL, "'%s' is not a unit number (0-255)", g + strlen (prefix));
        if (!parse_unit (p, g, pass == 0 ? HOTPLUG_SIM_UNIT_SB : HOTPLUG_SIM_UNIT_IOU, uid, error))
          return FALSE;
      }
  for (guint i = 0; groups[i]; i++)
    if (g_str_has_prefix (groups[i], "domain ") && !parse_domain (p, groups[i], error))
      return FALSE;
  return TRUE;
}

static HotplugSimMachine *
load_data (const char *text, const char *file, GError **error)
{
  g_autoptr(HotplugSimMachine) m = g_new0 (HotplugSimMachine, 1);
  g_autoptr(GHashTable) lines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) instances = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) cpu_owner = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_autoptr(GHashTable) rootbus = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) e = NULL;
  g_auto(GStrv) groups = NULL;
  g_autoptr(GHashTable) drivers = g_hash_table_new (g_str_hash, g_str_equal);
  Parser p = { { file, lines, kf }, NULL, instances, cpu_owner, rootbus, NULL, ids, drivers, NULL, 0 };
  HotplugSimDev *sys;

  m->file = g_strdup (file);
  m->units = g_ptr_array_new_with_free_func ((GDestroyNotify) unit_free);
  m->devs = g_ptr_array_new_with_free_func ((GDestroyNotify) dev_free);
  m->nodes = g_array_new (FALSE, FALSE, sizeof (guint));
  m->domains = g_ptr_array_new_with_free_func ((GDestroyNotify) domain_free);
  p.m = m;

  if (!desc_index (&p.d, text, error))
    return NULL;
  if (!g_key_file_load_from_data (kf, text, -1, G_KEY_FILE_NONE, &e))
    return g_set_error (error, G_KEY_FILE_ERROR, e->code, "%s: %s", file, e->message), NULL;
  groups = g_key_file_get_groups (kf, NULL);
  if (!check_groups (&p.d, groups, error) || !parse_machine (&p, error))
    return NULL;

  /* The ACPI root: LNXSYSTM:00/LNXSYBUS:00 */
  sys = acpi_new (m, instances, NULL, NULL, "LNXSYSTM");
  sys->acpi_path = g_strdup ("\\");
  p.sybus = acpi_new (m, instances, sys, NULL, "LNXSYBUS");
  p.sybus->acpi_path = g_strdup ("\\_SB_");

  if (!parse_units (&p, groups, error) || !sim_machine_parse_pci (&p, groups, error))
    return NULL;
  g_array_sort (m->nodes, cmp_uint);
  if (m->nodes->len == 0)
    node_add (m, 0);
  return g_steal_pointer (&m);
}

HotplugSimMachine *
hotplug_sim_machine_load_data (const char *text, const char *file, GError **error)
{
  g_autoptr(GError) local = NULL;
  HotplugSimMachine *m = load_data (text, file, &local);

  if (local)
    {
      /* messages quote the description's bytes: valid UTF-8 only */
      char *shown = hotplug_utf8_sanitize (local->message, -1, 0);

      g_free (local->message);
      local->message = shown;
      g_propagate_error (error, g_steal_pointer (&local));
    }
  return m;
}

HotplugSimUnit *
hotplug_sim_machine_find_unit (HotplugSimMachine *m, const char *id)
{
  for (guint i = 0; i < m->units->len; i++)
    {
      HotplugSimUnit *u = g_ptr_array_index (m->units, i);
      if (g_str_equal (u->id, id))
        return u;
    }
  return NULL;
}

HotplugSimDev *
hotplug_sim_machine_find_cpu (HotplugSimMachine *m, guint n)
{
  for (guint i = 0; i < m->devs->len; i++)
    {
      HotplugSimDev *d = g_ptr_array_index (m->devs, i);
      if (d->kind == HOTPLUG_SIM_DEV_CPU && d->index == n)
        return d;
    }
  return NULL;
}

/* NAME (no slash) is looked up in the installed directory, then in the
 * source tree; anything with a slash is a file. */
char *
hotplug_sim_machine_resolve (const char *name_or_file, GError **error)
{
  const char *dirs[] = { MACHINEDIR, SOURCE_MACHINEDIR };

  if (strchr (name_or_file, '/') || g_str_has_suffix (name_or_file, ".machine"))
    return g_strdup (name_or_file);
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *f = g_strdup_printf ("%s/%s.machine", dirs[i], name_or_file);
      if (g_file_test (f, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&f);
    }
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
               "no machine description '%s' in %s or %s", name_or_file, MACHINEDIR, SOURCE_MACHINEDIR);
  return NULL;
}

/* The shared domain ID, or NULL. */
HotplugSimDomain *
hotplug_sim_machine_shared_domain (HotplugSimMachine *m, guint id)
{
  for (guint i = 0; i < m->domains->len; i++)
    {
      HotplugSimDomain *dom = g_ptr_array_index (m->domains, i);
      if (dom->id == id && dom->shared)
        return dom;
    }
  return NULL;
}
