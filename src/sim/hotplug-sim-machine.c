/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>

#include "hotplug-sim-machine.h"
#include "hotplug-util.h"

/* GKeyFile forgets line numbers and silently merges duplicate groups and
 * keys, so a small pass of our own indexes every line first: it checks the
 * syntax, refuses duplicates and lets every later error name its line. */
typedef struct {
  const char *file;
  GHashTable *lines;   /* "group" or "group\nkey" -> line number */
  GKeyFile   *kf;
} Desc;

static guint
desc_line (Desc *d, const char *group, const char *key)
{
  g_autofree char *k = key ? g_strdup_printf ("%s\n%s", group, key) : g_strdup (group);

  return GPOINTER_TO_UINT (g_hash_table_lookup (d->lines, k));
}

static gboolean G_GNUC_PRINTF (5, 6)
desc_error (Desc *d, GError **error, const char *group, const char *key, const char *fmt, ...)
{
  g_autofree char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  if (key)
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                 "%s:%u: [%s] key '%s': %s", d->file, desc_line (d, group, key), group, key, msg);
  else
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                 "%s:%u: [%s]: %s", d->file, desc_line (d, group, NULL), group, msg);
  return FALSE;
}

static gboolean
desc_index (Desc *d, const char *text, GError **error)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autofree char *group = NULL;

  for (guint i = 0; lines[i]; i++)
    {
      g_autofree char *l = g_strstrip (g_strdup (lines[i]));
      char *eq;

      if (*l == '\0' || *l == '#')
        continue;
      if (*l == '[')
        {
          gsize n = strlen (l);
          if (n < 3 || l[n - 1] != ']')
            return g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE,
                                "%s:%u: malformed group header '%s'", d->file, i + 1, l), FALSE;
          g_free (group);
          group = g_strndup (l + 1, n - 2);
          if (g_hash_table_contains (d->lines, group))
            return g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
                                "%s:%u: [%s]: duplicate group (first at line %u)", d->file, i + 1,
                                group, desc_line (d, group, NULL)), FALSE;
          g_hash_table_insert (d->lines, g_strdup (group), GUINT_TO_POINTER (i + 1));
          continue;
        }
      eq = strchr (l, '=');
      if (eq == NULL || group == NULL)
        return g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE,
                            "%s:%u: '%s' is neither a group header nor a key=value line",
                            d->file, i + 1, l), FALSE;
      *eq = '\0';
      g_strstrip (l);
      {
        g_autofree char *k = g_strdup_printf ("%s\n%s", group, l);
        if (g_hash_table_contains (d->lines, k))
          return g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
                              "%s:%u: [%s] key '%s': duplicate key (first at line %u)", d->file,
                              i + 1, group, l, desc_line (d, group, l)), FALSE;
        g_hash_table_insert (d->lines, g_steal_pointer (&k), GUINT_TO_POINTER (i + 1));
      }
    }
  return TRUE;
}

static gboolean
check_keys (Desc *d, const char *group, const char * const *allowed, GError **error)
{
  g_auto(GStrv) keys = g_key_file_get_keys (d->kf, group, NULL, NULL);

  for (guint i = 0; keys && keys[i]; i++)
    if (!g_strv_contains (allowed, keys[i]))
      return desc_error (d, error, group, keys[i], "unknown key");
  return TRUE;
}

/* Numbers: decimal, 0x hex, or a size with K/M/G/T (binary units). */
static gboolean
get_number (Desc *d, const char *group, const char *key, gboolean size, gboolean *found,
            guint64 def, guint64 max, guint64 *out, GError **error)
{
  g_autofree char *v = g_key_file_get_value (d->kf, group, key, NULL);
  guint64 n, mult = 1;
  char *end;

  *out = def;
  if (found)
    *found = v != NULL;
  if (v == NULL)
    return TRUE;
  g_strstrip (v);
  errno = 0;
  if (!g_ascii_isdigit (v[0]))
    return desc_error (d, error, group, key, "'%s' is not a number", v);
  n = g_ascii_strtoull (v, &end, 0);
  if (size && *end)
    {
      switch (g_ascii_toupper (*end))
        {
        case 'K': mult = 1ull << 10; break;
        case 'M': mult = 1ull << 20; break;
        case 'G': mult = 1ull << 30; break;
        case 'T': mult = 1ull << 40; break;
        default: mult = 0; break;
        }
      if (mult)
        end++;
    }
  if (errno || *end || mult == 0 || n > max / mult)
    return desc_error (d, error, group, key, "'%s' is not a valid number%s", v,
                       size ? " or size" : "");
  *out = n * mult;
  return TRUE;
}

static gboolean
get_bool (Desc *d, const char *group, const char *key, gboolean def, gboolean *out, GError **error)
{
  g_autofree char *v = g_key_file_get_value (d->kf, group, key, NULL);

  *out = def;
  if (v == NULL)
    return TRUE;
  g_strstrip (v);
  if (g_str_equal (v, "true") || g_str_equal (v, "1"))
    *out = TRUE;
  else if (g_str_equal (v, "false") || g_str_equal (v, "0"))
    *out = FALSE;
  else
    return desc_error (d, error, group, key, "'%s' is not a boolean (true or false)", v);
  return TRUE;
}

static gboolean
get_list (Desc *d, const char *group, const char *key, GArray **out, GError **error)
{
  g_autofree char *v = g_key_file_get_value (d->kf, group, key, NULL);
  g_autoptr(GError) e = NULL;

  *out = NULL;
  if (v == NULL)
    return TRUE;
  *out = hotplug_list_parse (v, &e);
  if (*out == NULL)
    return desc_error (d, error, group, key, "'%s' is not a list such as 0-3,8: %s", v, e->message);
  return TRUE;
}

/* "SSSS:BB" */
static gboolean
parse_bus (const char *s, guint *domain, guint *bus)
{
  char *end;
  guint64 a, b;

  if (strlen (s) != 7 || s[4] != ':' || !g_ascii_isxdigit (s[0]))
    return FALSE;
  a = g_ascii_strtoull (s, &end, 16);
  if (end != s + 4)
    return FALSE;
  b = g_ascii_strtoull (s + 5, &end, 16);
  if (*end || !g_ascii_isxdigit (s[5]))
    return FALSE;
  *domain = a;
  *bus = b;
  return TRUE;
}

/* "SSSS:BB:DD.F" */
static gboolean
parse_bdf (const char *s, guint *domain, guint *bus, guint *devfn)
{
  g_autofree char *b = NULL;
  char *end;
  guint64 dev, fn;

  if (strlen (s) != 12 || s[7] != ':' || s[10] != '.')
    return FALSE;
  b = g_strndup (s, 7);
  if (!parse_bus (b, domain, bus) || !g_ascii_isxdigit (s[8]) || !g_ascii_isxdigit (s[11]))
    return FALSE;
  dev = g_ascii_strtoull (s + 8, &end, 16);
  if (end != s + 10 || dev > 31)
    return FALSE;
  fn = g_ascii_strtoull (s + 11, &end, 16);
  if (*end || fn > 7)
    return FALSE;
  *devfn = (dev << 3) | fn;
  return TRUE;
}

static HotplugSimDev *
dev_new (HotplugSimMachine *m, HotplugSimDevKind kind, const char *subsystem, HotplugSimUnit *unit,
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
  dev = dev_new (m, HOTPLUG_SIM_DEV_ACPI, "acpi", unit, name,
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

typedef struct {
  char     *group;
  guint     domain, bus, devfn;
  guint64   vendor, device, svendor, sdevice, klass, secondary;
  gboolean  has_secondary;
  gboolean  placed;
  char     *block, *net;
  guint64   partitions;
  gboolean  net_up;
  char     *driver;     /* NULL: no driver binds */
} PciDesc;

static void
pci_desc_free (PciDesc *p)
{
  g_free (p->group);
  g_free (p->block);
  g_free (p->net);
  g_free (p->driver);
  g_free (p);
}

/* A kernel device name: lower-case letters first, then letters and digits. */
static gboolean
valid_dev_name (const char *name, gsize max)
{
  gsize n = strlen (name);

  if (n == 0 || n > max || !g_ascii_islower (name[0]))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_islower (name[i]) && !g_ascii_isdigit (name[i]))
      return FALSE;
  return TRUE;
}

/* block=, partitions=, net=, net-state= of a [pci] group; @names holds
 * every disk and interface name so far (each must be unique). */
static gboolean
parse_pci_storage (Desc *d, const char *g, PciDesc *pd, GHashTable *names, GError **error)
{
  g_autofree char *state = g_key_file_get_value (d->kf, g, "net-state", NULL);
  gboolean has_partitions = FALSE;

  pd->block = g_key_file_get_value (d->kf, g, "block", NULL);
  pd->net = g_key_file_get_value (d->kf, g, "net", NULL);
  if (!get_number (d, g, "partitions", FALSE, &has_partitions, 0, 15, &pd->partitions, error))
    return FALSE;
  if (pd->block && !valid_dev_name (g_strstrip (pd->block), 31))
    return desc_error (d, error, g, "block", "'%s' is not a disk name such as vda or nvme0n1", pd->block);
  if (pd->net && !valid_dev_name (g_strstrip (pd->net), 15))
    return desc_error (d, error, g, "net", "'%s' is not an interface name such as eth0 (at most 15 "
                       "letters and digits)", pd->net);
  if (has_partitions && pd->block == NULL)
    return desc_error (d, error, g, "partitions", "partitions need a disk (block=)");
  if (state && pd->net == NULL)
    return desc_error (d, error, g, "net-state", "net-state needs an interface (net=)");
  if (state && !g_str_equal (g_strstrip (state), "up") && !g_str_equal (state, "down"))
    return desc_error (d, error, g, "net-state", "'%s' is not up or down", state);
  pd->net_up = g_strcmp0 (state, "up") == 0;
  for (guint k = 0; k < 2; k++)
    {
      const char *name = k == 0 ? pd->block : pd->net;

      if (name == NULL)
        continue;
      if (g_hash_table_contains (names, name))
        return desc_error (d, error, g, k == 0 ? "block" : "net", "'%s' is already the name of %s", name,
                           (char *) g_hash_table_lookup (names, name));
      g_hash_table_insert (names, g_strdup (name), g_strdup (g));
    }
  return TRUE;
}

/* The driver a PCI function binds to: driver= (empty: none), else by
 * class: bridges pcieport, NVMe nvme, Ethernet by vendor (Intel X710 i40e,
 * other Intel igb, Mellanox mlx5_core, Broadcom bnxt_en, others e1000e). */
static const char *
default_driver (PciDesc *pd)
{
  if (pd->has_secondary)
    return "pcieport";
  if ((pd->klass >> 8) == 0x0108)
    return "nvme";
  if ((pd->klass >> 16) != 0x02)
    return NULL;
  switch (pd->vendor)
    {
    case 0x8086:
      return pd->device == 0x1572 || pd->device == 0x1583 ? "i40e" : "igb";
    case 0x15b3:
      return "mlx5_core";
    case 0x14e4:
      return "bnxt_en";
    default:
      return "e1000e";
    }
}

static gboolean
parse_pci_driver (Desc *d, const char *g, PciDesc *pd, GError **error)
{
  g_autofree char *drv = g_key_file_get_value (d->kf, g, "driver", NULL);

  if (drv == NULL)
    {
      pd->driver = g_strdup (default_driver (pd));
      return TRUE;
    }
  g_strstrip (drv);
  for (const char *c = drv; *c; c++)
    if (!g_ascii_isalnum (*c) && *c != '_' && *c != '-')
      return desc_error (d, error, g, "driver", "'%s' is not a driver name such as nvme or mlx5_core", drv);
  if (strlen (drv) > 63)
    return desc_error (d, error, g, "driver", "'%s' is too long for a driver name", drv);
  pd->driver = *drv ? g_steal_pointer (&drv) : NULL;
  return TRUE;
}

static const char * const unit_keys[] = {
  "cpus", "fixed-cpus", "memory", "memory-zone", "unmovable-blocks", "node", "host-bridges",
  "hid", "present", NULL
};

typedef struct {
  Desc               d;
  HotplugSimMachine *m;
  GHashTable        *instances;   /* HID -> next instance */
  GHashTable        *cpu_owner;   /* cpu -> group */
  GHashTable        *rootbus;     /* "SSSS:BB" -> HotplugSimDev* root bus */
  GHashTable        *buses;       /* "SSSS:BB" -> HotplugSimDev* (root bus or bridge) */
  GHashTable        *ids;         /* unit id -> group */
  GHashTable        *drivers;     /* name -> HotplugSimDev* driver */
  HotplugSimDev     *sybus;
  guint64            next_addr;
} Parser;

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
      if (!parse_bus (bridges[i], &dom, &bus))
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
      rb = dev_new (p->m, HOTPLUG_SIM_DEV_ROOTBUS, NULL, NULL, g_strdup_printf ("pci%04x:%02x", dom, bus), NULL);
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

  if (!check_keys (d, g, (const char * const[]) { "shared", "owner", "host-bridges", NULL }, error) ||
      !get_bool (d, g, "shared", FALSE, &shared, error))
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

static gboolean
parse_unit (Parser *p, const char *group, HotplugSimUnitKind kind, guint uid, GError **error)
{
  HotplugSimMachine *m = p->m;
  Desc *d = &p->d;
  g_autoptr(GArray) cpus = NULL;
  g_autoptr(GArray) fixed = NULL;
  g_autofree char *hid = NULL;
  g_autofree char *zone = NULL;
  HotplugSimUnit *u;
  HotplugSimDev *parent;
  guint64 mem, node, unmovable;
  gboolean present;

  if (!check_keys (d, group, unit_keys, error) ||
      !get_list (d, group, "cpus", &cpus, error) ||
      !get_list (d, group, "fixed-cpus", &fixed, error) ||
      !get_number (d, group, "memory", TRUE, NULL, 0, G_MAXUINT64, &mem, error) ||
      !get_number (d, group, "node", FALSE, NULL, kind == HOTPLUG_SIM_UNIT_BASE ? 0 : uid + 1,
                   1023, &node, error) ||
      !get_number (d, group, "unmovable-blocks", FALSE, NULL,
                   kind == HOTPLUG_SIM_UNIT_BASE ? 1 : 0, G_MAXUINT32, &unmovable, error) ||
      !get_bool (d, group, "present", TRUE, &present, error))
    return FALSE;

  if (kind == HOTPLUG_SIM_UNIT_BASE && g_key_file_has_key (d->kf, group, "hid", NULL))
    return desc_error (d, error, group, "hid", "the base resources have no container");
  if (kind == HOTPLUG_SIM_UNIT_BASE && g_key_file_has_key (d->kf, group, "present", NULL))
    return desc_error (d, error, group, "present", "the base resources are always present");
  if (kind == HOTPLUG_SIM_UNIT_IOU && (cpus || mem))
    return desc_error (d, error, group, cpus ? "cpus" : "memory",
                       "an I/O unit holds host bridges only (make it an [sb N])");
  hid = g_key_file_get_value (d->kf, group, "hid", NULL);
  if (hid == NULL)
    hid = g_strdup ("ACPI0004");
  if (!g_strv_contains ((const char * const[]) { "ACPI0004", "PNP0A05", "PNP0A06", NULL }, hid))
    return desc_error (d, error, group, "hid", "'%s' is not a container id (ACPI0004, PNP0A05, PNP0A06)", hid);
  zone = g_key_file_get_value (d->kf, group, "memory-zone", NULL);
  if (zone == NULL)
    zone = g_strdup (kind == HOTPLUG_SIM_UNIT_BASE ? "Normal" : "Movable");
  if (!g_strv_contains ((const char * const[]) { "Movable", "Normal", "none", NULL }, zone))
    return desc_error (d, error, group, "memory-zone", "'%s' is not Movable, Normal or none", zone);
  if (mem % m->block_size)
    return desc_error (d, error, group, "memory",
                       "%" G_GUINT64_FORMAT " bytes is not a multiple of the block size", mem);
  if (mem / m->block_size > 1u << 20)
    return desc_error (d, error, group, "memory", "too many memory blocks");

  u = g_new0 (HotplugSimUnit, 1);
  u->kind = kind;
  u->uid = uid;
  u->devs = g_ptr_array_new ();
  u->present = present;
  u->mem_bytes = mem;
  u->wd = -1;
  u->id = kind == HOTPLUG_SIM_UNIT_BASE ? g_strdup ("base")
        : g_strdup_printf ("%s%u", kind == HOTPLUG_SIM_UNIT_SB ? "sb" : "iou", uid);
  u->hid = g_steal_pointer (&hid);
  g_ptr_array_add (m->units, u);
  if (g_hash_table_contains (p->ids, u->id))
    return desc_error (d, error, group, NULL, "duplicate unit %s (also [%s])", u->id,
                       (char *) g_hash_table_lookup (p->ids, u->id));
  g_hash_table_insert (p->ids, g_strdup (u->id), g_strdup (group));

  parent = p->sybus;
  if (kind != HOTPLUG_SIM_UNIT_BASE)
    {
      u->acpi = acpi_new (m, p->instances, p->sybus, u, u->hid);
      u->acpi->uid = uid;
      u->acpi->acpi_path = g_strdup_printf ("\\_SB_.%s%02X", kind == HOTPLUG_SIM_UNIT_SB ? "SB" : "IO", uid);
      parent = u->acpi;
    }
  if (cpus || mem)
    node_add (m, node);

  for (guint i = 0; fixed && i < fixed->len; i++)
    {
      guint c = g_array_index (fixed, guint, i);
      gboolean ok = FALSE;
      for (guint j = 0; cpus && j < cpus->len; j++)
        ok |= g_array_index (cpus, guint, j) == c;
      if (!ok)
        return desc_error (d, error, group, "fixed-cpus", "CPU %u is not in cpus", c);
    }

  /* ACPI children first (a hot add announces them before the Linux
   * devices), then the container, CPUs, memory, PCI. */
  {
    GPtrArray *procs = g_ptr_array_new ();
    HotplugSimDev *memdev = NULL;
    g_autoptr(GPtrArray) autoprocs = procs;

    for (guint i = 0; cpus && i < cpus->len; i++)
      {
        guint c = g_array_index (cpus, guint, i);
        HotplugSimDev *a;

        if (c > 65535)
          return desc_error (d, error, group, "cpus", "CPU %u is out of range", c);
        if (g_hash_table_contains (p->cpu_owner, GUINT_TO_POINTER (c)))
          return desc_error (d, error, group, "cpus", "CPU %u is already in [%s]", c,
                             (char *) g_hash_table_lookup (p->cpu_owner, GUINT_TO_POINTER (c)));
        g_hash_table_insert (p->cpu_owner, GUINT_TO_POINTER (c), g_strdup (group));
        a = acpi_new (m, p->instances, parent, u, "ACPI0007");
        a->uid = c;
        a->acpi_path = g_strdup_printf ("\\_SB_.C%03X", c);
        g_ptr_array_add (procs, a);
      }
    if (mem)
      {
        memdev = acpi_new (m, p->instances, parent, u, "PNP0C80");
        memdev->uid = uid;
        memdev->acpi_path = g_strdup_printf ("\\_SB_.M%03X", kind == HOTPLUG_SIM_UNIT_BASE ? 0xfff : uid);
      }

    if (!host_bridges_new (p, group, u, parent, node, G_MAXUINT, error))
      return FALSE;

    if (u->acpi)
      {
        char *name = g_strdup (u->acpi->name);
        u->container = dev_new (m, HOTPLUG_SIM_DEV_CONTAINER, "container", u, name,
                                g_strdup_printf ("devices/system/container/%s", name));
        u->container->fw = u->acpi;
        u->container->online = TRUE;
        g_ptr_array_add (u->acpi->phys, u->container);
      }

    for (guint i = 0; cpus && i < cpus->len; i++)
      {
        guint c = g_array_index (cpus, guint, i);
        HotplugSimDev *cpu = dev_new (m, HOTPLUG_SIM_DEV_CPU, "cpu", u, g_strdup_printf ("cpu%u", c),
                                      g_strdup_printf ("devices/system/cpu/cpu%u", c));
        HotplugSimDev *a = g_ptr_array_index (procs, i);
        cpu->index = c;
        cpu->node = node;
        cpu->online = TRUE;
        cpu->fw = a;
        g_ptr_array_add (a->phys, cpu);
        for (guint j = 0; fixed && j < fixed->len; j++)
          cpu->fixed |= g_array_index (fixed, guint, j) == c;
        m->ncpus = MAX (m->ncpus, c + 1);
      }

    if (mem)
      {
        guint first = p->next_addr / m->block_size;
        guint n = mem / m->block_size;
        for (guint i = 0; i < n; i++)
          {
            HotplugSimDev *b = dev_new (m, HOTPLUG_SIM_DEV_MEMORY, "memory", u,
                                        g_strdup_printf ("memory%u", first + i),
                                        g_strdup_printf ("devices/system/memory/memory%u", first + i));
            b->index = first + i;
            b->node = node;
            b->online = TRUE;
            b->zone = i < unmovable ? "none" : (zone[0] == 'M' ? "Movable" : zone[0] == 'N' ? "Normal" : "none");
            b->fw = memdev;
            g_ptr_array_add (memdev->phys, b);
          }
        p->next_addr += mem;
        m->nblocks = MAX (m->nblocks, first + n);
      }
  }
  return TRUE;
}

/* The pci_bus class device of a root bus or a bridge's secondary bus. */
static void
pcibus_new (HotplugSimMachine *m, HotplugSimDev *owner)
{
  char *name = g_strdup_printf ("%04x:%02x", owner->domain, (guint) owner->secondary);
  HotplugSimDev *b = dev_new (m, HOTPLUG_SIM_DEV_PCIBUS, "pci_bus", owner->unit, name,
                              g_strdup_printf ("%s/pci_bus/%s", owner->path, name));

  b->parent = owner;
  b->domain = owner->domain;
  b->bus = owner->secondary;
  b->node = owner->node;
  owner->pcibus = b;
}

static HotplugSimDev *
driver_of (Parser *p, const char *name)
{
  HotplugSimDev *drv = g_hash_table_lookup (p->drivers, name);

  if (drv == NULL)
    {
      drv = dev_new (p->m, HOTPLUG_SIM_DEV_DRIVER, NULL, NULL, g_strdup (name),
                     g_strdup_printf ("bus/pci/drivers/%s", name));
      g_hash_table_insert (p->drivers, drv->name, drv);
    }
  return drv;
}

static void
pci_place (Parser *p, HotplugSimDev *parent, GPtrArray *pcis)
{
  /* Depth first so that parents come before their children. */
  for (guint i = 0; i < pcis->len; i++)
    {
      PciDesc *pd = g_ptr_array_index (pcis, i);
      HotplugSimDev *dev;
      char *name;

      if (pd->placed || pd->domain != parent->domain || (int) pd->bus != parent->secondary)
        continue;
      pd->placed = TRUE;
      name = g_strdup_printf ("%04x:%02x:%02x.%x", pd->domain, pd->bus, pd->devfn >> 3, pd->devfn & 7);
      dev = dev_new (p->m, HOTPLUG_SIM_DEV_PCI, "pci", parent->unit, name,
                     g_strdup_printf ("%s/%s", parent->path, name));
      dev->parent = parent;
      dev->domain = pd->domain;
      dev->bus = pd->bus;
      dev->devfn = pd->devfn;
      dev->vendor = pd->vendor;
      dev->device = pd->device;
      dev->svendor = pd->svendor;
      dev->sdevice = pd->sdevice;
      dev->klass = pd->klass;
      dev->node = parent->node;
      dev->block = g_strdup (pd->block);
      dev->partitions = pd->partitions;
      dev->net = g_strdup (pd->net);
      dev->net_up = pd->net_up;
      if (pd->driver)
        dev->driver = driver_of (p, pd->driver);
      if (pd->has_secondary)
        {
          dev->secondary = pd->secondary;
          pcibus_new (p->m, dev);
          pci_place (p, dev, pcis);
          dev->subordinate = dev->secondary;
          for (guint j = 0; j < p->m->devs->len; j++)
            {
              HotplugSimDev *c = g_ptr_array_index (p->m->devs, j);
              HotplugSimDev *a;
              for (a = c->parent; a; a = a->parent)
                if (a == dev && c->secondary > dev->subordinate)
                  dev->subordinate = c->secondary;
            }
        }
    }
}

static int
cmp_pci (gconstpointer a, gconstpointer b)
{
  const PciDesc *x = *(PciDesc **) a, *y = *(PciDesc **) b;
  guint kx = (x->domain << 16) | (x->bus << 8) | x->devfn;
  guint ky = (y->domain << 16) | (y->bus << 8) | y->devfn;

  return kx < ky ? -1 : kx > ky;
}

/* The bridge whose secondary bus is the slot's bus. */
static HotplugSimDev *
slot_upstream (HotplugSimMachine *m, HotplugSimUnit *u)
{
  HotplugSimDev *found = NULL;

  for (guint j = 0; j < m->devs->len; j++)
    {
      HotplugSimDev *dev = g_ptr_array_index (m->devs, j);
      if ((dev->kind == HOTPLUG_SIM_DEV_PCI || dev->kind == HOTPLUG_SIM_DEV_ROOTBUS) &&
          dev->domain == u->domain && dev->secondary == (int) u->bus)
        found = dev;
    }
  return found;
}

/* Every PCI device on the slot's bus, and everything below it, is the
 * slot's card. */
static void
slot_claim_devices (HotplugSimMachine *m, HotplugSimUnit *u)
{
  for (guint j = 0; j < m->devs->len; j++)
    {
      HotplugSimDev *dev = g_ptr_array_index (m->devs, j);
      HotplugSimDev *top;
      if (dev->kind != HOTPLUG_SIM_DEV_PCI)
        continue;
      for (top = dev; top && top->kind == HOTPLUG_SIM_DEV_PCI; top = top->parent)
        if (top->domain == u->domain && top->bus == u->bus)
          break;
      if (top && top->kind == HOTPLUG_SIM_DEV_PCI && dev->slot == NULL)
        {
          dev->slot = u;
          dev->physical = u->adapter;
          g_ptr_array_add (u->devs, dev);
        }
    }
}

static gboolean
parse_slot (Desc *d, GKeyFile *kf, const char *g, HotplugSimMachine *m, GHashTable *ids, GPtrArray *slots,
            GError **error)
{
  g_autofree char *bus = NULL;
  HotplugSimUnit *u;
  guint64 att, latch;
  gboolean power, adapter, hotplug;
  const char *const controls[] = { "power", "adapter", "attention", "latch", NULL };

  if (!check_keys (d, g, (const char * const[]) { "bus", "power", "adapter", "attention", "latch", "hotplug", NULL }, error) ||
      !get_bool (d, g, "hotplug", TRUE, &hotplug, error) ||
      !get_bool (d, g, "power", TRUE, &power, error) ||
      !get_bool (d, g, "adapter", TRUE, &adapter, error) ||
      !get_number (d, g, "attention", FALSE, NULL, 0, 2, &att, error) ||
      !get_number (d, g, "latch", FALSE, NULL, 1, 1, &latch, error))
    return FALSE;
  if (strchr (g + 5, '/') || g[5] == '.' || g[5] == '\0')
    return desc_error (d, error, g, NULL, "'%s' is not a slot name", g + 5), FALSE;
  /* a slot the firmware lists but no hotplug controller drives: its
   * directory has an address and nothing to switch */
  for (guint k = 0; !hotplug && controls[k]; k++)
    if (g_key_file_has_key (kf, g, controls[k], NULL))
      return desc_error (d, error, g, controls[k], "a slot with hotplug=false has no %s control "
                         "(it is a location the platform cannot power)", controls[k]), FALSE;
  u = g_new0 (HotplugSimUnit, 1);
  u->kind = HOTPLUG_SIM_UNIT_SLOT;
  u->devs = g_ptr_array_new ();
  u->name = g_strdup (g + 5);
  u->id = g_strdup_printf ("slot-%s", u->name);
  u->path = g_strdup_printf ("bus/pci/slots/%s", u->name);
  u->wd = -1;
  u->present = TRUE;
  u->power = power;
  u->adapter = adapter;
  u->hotplug = hotplug;
  u->attention = att;
  u->latch = latch;
  g_ptr_array_add (m->units, u);
  if (g_hash_table_contains (ids, u->id))
    return desc_error (d, error, g, NULL, "duplicate unit %s", u->id), FALSE;
  g_hash_table_insert (ids, g_strdup (u->id), g_strdup (g));
  bus = g_key_file_get_value (kf, g, "bus", NULL);
  if (bus == NULL)
    return desc_error (d, error, g, NULL, "a slot needs a 'bus' key (the bus its card sits on)"), FALSE;
  g_strstrip (bus);
  if (!parse_bus (bus, &u->domain, &u->bus))
    return desc_error (d, error, g, "bus", "'%s' is not a bus such as 0000:41", bus), FALSE;
  u->upstream = slot_upstream (m, u);
  if (u->upstream == NULL)
    return desc_error (d, error, g, "bus", "no bridge has %s as its secondary bus", bus), FALSE;
  for (guint j = 0; j < slots->len; j++)
    {
      HotplugSimUnit *o = g_ptr_array_index (slots, j);
      if (o->domain == u->domain && o->bus == u->bus)
        return desc_error (d, error, g, "bus", "bus %s already belongs to slot %s", bus, o->name), FALSE;
    }
  g_ptr_array_add (slots, u);
  slot_claim_devices (m, u);
  return TRUE;
}

HotplugSimMachine *
hotplug_sim_machine_load (const char *file, GError **error)
{
  g_autoptr(HotplugSimMachine) m = g_new0 (HotplugSimMachine, 1);
  g_autoptr(GHashTable) lines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) instances = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) cpu_owner = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_autoptr(GHashTable) rootbus = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GPtrArray) pcis = g_ptr_array_new_with_free_func ((GDestroyNotify) pci_desc_free);
  g_autoptr(GPtrArray) slots = g_ptr_array_new ();
  g_autoptr(GHashTable) storage_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) e = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) groups = NULL;
  g_autoptr(GHashTable) drivers = g_hash_table_new (g_str_hash, g_str_equal);
  Parser p = { { file, lines, kf }, NULL, instances, cpu_owner, rootbus, NULL, ids, drivers, NULL, 0 };
  Desc *d = &p.d;
  guint64 n;

  m->file = g_strdup (file);
  m->units = g_ptr_array_new_with_free_func ((GDestroyNotify) unit_free);
  m->devs = g_ptr_array_new_with_free_func ((GDestroyNotify) dev_free);
  m->nodes = g_array_new (FALSE, FALSE, sizeof (guint));
  m->domains = g_ptr_array_new_with_free_func ((GDestroyNotify) domain_free);
  p.m = m;

  if (!g_file_get_contents (file, &text, NULL, &e))
    return g_set_error (error, G_FILE_ERROR, e->code, "%s", e->message), NULL;
  if (!desc_index (d, text, error))
    return NULL;
  if (!g_key_file_load_from_data (kf, text, -1, G_KEY_FILE_NONE, &e))
    return g_set_error (error, G_KEY_FILE_ERROR, e->code, "%s: %s", file, e->message), NULL;

  groups = g_key_file_get_groups (kf, NULL);
  for (guint i = 0; groups[i]; i++)
    {
      const char *g = groups[i];
      if (!g_str_equal (g, "machine") && !g_str_equal (g, "kernel") && !g_str_equal (g, "base") &&
          !g_str_has_prefix (g, "sb ") && !g_str_has_prefix (g, "iou ") &&
          !g_str_has_prefix (g, "pci ") && !g_str_has_prefix (g, "slot ") && !g_str_has_prefix (g, "domain "))
        return desc_error (d, error, g, NULL, "unknown group (expected machine, kernel, base, sb N, iou N, "
                           "domain DDDD, pci BDF, slot NAME)"), NULL;
    }

  if (!check_keys (d, "machine", (const char * const[]) { "name", "description", "block-size", NULL }, error) ||
      !get_number (d, "machine", "block-size", TRUE, NULL, 128ull << 20, 1ull << 40, &m->block_size, error) ||
      !check_keys (d, "kernel", (const char * const[]) { "delay-ms", "auto-online-blocks", NULL }, error) ||
      !get_number (d, "kernel", "delay-ms", FALSE, NULL, 0, 3600000, &n, error))
    return NULL;
  m->delay_ms = n;
  if (m->block_size == 0 || (m->block_size & (m->block_size - 1)) || m->block_size < 4096)
    return desc_error (d, error, "machine", "block-size", "the block size must be a power of two of at least 4K"), NULL;
  m->name = g_key_file_get_value (kf, "machine", "name", NULL);
  m->auto_online = g_key_file_get_value (kf, "kernel", "auto-online-blocks", NULL);
  if (m->auto_online == NULL)
    m->auto_online = g_strdup ("offline");
  if (!g_strv_contains ((const char * const[]) { "offline", "online", "online_kernel", "online_movable", NULL },
                        m->auto_online))
    return desc_error (d, error, "kernel", "auto-online-blocks",
                       "'%s' is not offline, online, online_kernel or online_movable", m->auto_online), NULL;

  /* The ACPI root: LNXSYSTM:00/LNXSYBUS:00 */
  {
    HotplugSimDev *sys = acpi_new (m, instances, NULL, NULL, "LNXSYSTM");
    sys->acpi_path = g_strdup ("\\");
    p.sybus = acpi_new (m, instances, sys, NULL, "LNXSYBUS");
    p.sybus->acpi_path = g_strdup ("\\_SB_");
  }

  {
    g_autoptr(GPtrArray) order = g_ptr_array_new ();
    g_key_file_set_value (kf, "base", "x-dummy", "");   /* ensure the group exists */
    g_key_file_remove_key (kf, "base", "x-dummy", NULL);
    if (!parse_unit (&p, "base", HOTPLUG_SIM_UNIT_BASE, 0, error))
      return NULL;
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
            return desc_error (d, error, g, NULL, "'%s' is not a unit number (0-255)", g + strlen (prefix)), NULL;
          if (!parse_unit (&p, g, pass == 0 ? HOTPLUG_SIM_UNIT_SB : HOTPLUG_SIM_UNIT_IOU, uid, error))
            return NULL;
        }
    for (guint i = 0; groups[i]; i++)
      if (g_str_has_prefix (groups[i], "domain ") && !parse_domain (&p, groups[i], error))
        return NULL;
  }

  /* PCI devices */
  for (guint i = 0; groups[i]; i++)
    {
      const char *g = groups[i];
      PciDesc *pd;
      if (!g_str_has_prefix (g, "pci "))
        continue;
      pd = g_new0 (PciDesc, 1);
      pd->group = g_strdup (g);
      g_ptr_array_add (pcis, pd);
      if (!parse_bdf (g + 4, &pd->domain, &pd->bus, &pd->devfn))
        return desc_error (d, error, g, NULL, "'%s' is not a PCI address such as 0000:41:00.0", g + 4), NULL;
      if (!check_keys (d, g, (const char * const[]) { "vendor", "device", "subsystem-vendor",
                                                      "subsystem-device", "class", "secondary-bus",
                                                      "block", "partitions", "net", "net-state", "driver",
                                                      NULL }, error) ||
          !parse_pci_storage (d, g, pd, storage_names, error) ||
          !get_number (d, g, "vendor", FALSE, NULL, 0x8086, 0xffff, &pd->vendor, error) ||
          !get_number (d, g, "device", FALSE, NULL, 0x0001, 0xffff, &pd->device, error) ||
          !get_number (d, g, "subsystem-vendor", FALSE, NULL, pd->vendor, 0xffff, &pd->svendor, error) ||
          !get_number (d, g, "subsystem-device", FALSE, NULL, 0, 0xffff, &pd->sdevice, error) ||
          !get_number (d, g, "secondary-bus", FALSE, &pd->has_secondary, 0, 0xff, &pd->secondary, error) ||
          !get_number (d, g, "class", FALSE, NULL, pd->has_secondary ? 0x060400 : 0xff0000, 0xffffff,
                       &pd->klass, error))
        return NULL;
      if (pd->has_secondary && pd->secondary <= pd->bus)
        return desc_error (d, error, g, "secondary-bus", "the secondary bus must be above the device's own bus"), NULL;
      if (!parse_pci_driver (d, g, pd, error))
        return NULL;
    }
  g_ptr_array_sort (pcis, cmp_pci);
  {
    /* root buses in the order of their units, then the tree below each */
    g_autoptr(GPtrArray) rbs = g_ptr_array_new ();
    for (guint i = 0; i < m->units->len; i++)
      {
        HotplugSimUnit *u = g_ptr_array_index (m->units, i);
        for (guint j = 0; j < u->devs->len; j++)
          {
            HotplugSimDev *a = g_ptr_array_index (u->devs, j);
            if (a->kind == HOTPLUG_SIM_DEV_ACPI && g_str_equal (a->hid, "PNP0A08"))
              g_ptr_array_add (rbs, g_ptr_array_index (a->phys, 0));
          }
      }
    for (guint i = 0; i < rbs->len; i++)
      {
        HotplugSimDev *rb = g_ptr_array_index (rbs, i);
        g_ptr_array_add (rb->unit->devs, rb);
        pcibus_new (m, rb);
        pci_place (&p, rb, pcis);
      }
  }
  for (guint i = 0; i < pcis->len; i++)
    {
      PciDesc *pd = g_ptr_array_index (pcis, i);
      if (!pd->placed)
        return desc_error (d, error, pd->group, NULL,
                           "no host bridge or bridge leads to bus %04x:%02x", pd->domain, pd->bus), NULL;
    }

  /* Slots */
  for (guint i = 0; groups[i]; i++)
    if (g_str_has_prefix (groups[i], "slot ") && !parse_slot (d, kf, groups[i], m, ids, slots, error))
      return NULL;

  g_array_sort (m->nodes, cmp_uint);
  if (m->nodes->len == 0)
    node_add (m, 0);
  return g_steal_pointer (&m);
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
