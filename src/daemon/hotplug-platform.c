/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hotplug-enum-types.h"
#include "hotplug-error.h"
#include "hotplug-log.h"
#include "hotplug-names.h"
#include "hotplug-pci.h"
#include "hotplug-platform.h"
#include "hotplug-util.h"

/* how long topology changes gather before one ownership pass */
#define OWNERSHIP_DELAY_MS 10
#define TOPIC "platform"

/* Per CPU and per memory block: plain array entries indexed by number.
 * A large server has tens of thousands of blocks; they are never objects. */
typedef struct
{
  guint8       present;
  guint8       online;
  guint8       recheck; /* queued in HotplugPlatform.recheck */
  gint32       node;   /* -1: unknown */
  HotplugUnit *owner;  /* not a reference: units outlive the pass that sets it */
} CpuEntry;

typedef CpuEntry BlockEntry;

typedef struct
{
  char      *name;       /* ACPI0004:00 */
  char      *devpath;    /* /devices/system/container/ACPI0004:00 */
  char      *acpi_dir;   /* rooted path of the ACPI node */
  char      *uid;
  gboolean   holds_cpu_or_memory;
  /* Once a board, always a board: while a board is removed its processors
   * and memory devices go before the container, and it must not turn into
   * an I/O unit for that moment. */
  gboolean   was_board;
  /* the container's online state as the kernel last announced it (its
   * online/offline uevents), read from the attribute when it appears */
  gboolean   online;
  GArray    *cpus;       /* guint */
  GArray    *blocks;     /* guint */
  GPtrArray *root_buses; /* pci0000:40 */
  guint      gen;
} Container;

typedef struct
{
  char          *bdf;
  char          *devpath;
  char          *parent;   /* parent device's BDF, NULL below a root bus */
  char          *root_bus; /* pci0000:40 */
  guint          domain;
  guint          bus;
  guint          depth;    /* below the root bus */
  HotplugPciInfo info;
  gboolean       info_valid;
  guint          gen;
} PciDev;

typedef struct
{
  char    *name;
  char    *address; /* 0000:41:00 */
  guint    domain;
  guint    bus;
  gboolean address_valid;
  gboolean adapter;
  guint    gen;
} Slot;

/* What one ownership pass decides for one unit. */
typedef struct
{
  HotplugUnitKind kind;
  char           *id;
  char           *sysfs_path;
  char           *parent;
  char           *domain;
  GArray         *cpus;    /* guint */
  GArray         *blocks;  /* guint */
  GPtrArray      *pci;     /* PciDev *, depth first */
  GPtrArray      *slots;   /* char * ids */
  Container      *container;
  Slot           *slot;
} UnitPlan;

struct _HotplugPlatform
{
  GObject     parent_instance;

  HotplugPci *pci;
  GArray     *cpus;       /* CpuEntry */
  GArray     *blocks;     /* BlockEntry */
  guint64     block_size;

  GHashTable *containers; /* name → Container */
  GHashTable *pci_devs;   /* BDF → PciDev */
  GHashTable *slots;      /* name → Slot */
  GHashTable *units;      /* id → HotplugUnit */
  GHashTable *domains;    /* id → HotplugDomain */

  guint       gen;
  GArray     *recheck;    /* block numbers whose state file must be re-read */
  guint       recheck_id;
  guint       dirty_id;
  gboolean    dirty;
  int         cpu_node_hint;
  int         block_node_hint;

  GList      *waiters;    /* GTask */
};

enum { SIGNAL_UNIT_ADDED, SIGNAL_UNIT_REMOVED, SIGNAL_DOMAIN_ADDED, SIGNAL_EJECT_REQUEST, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_TYPE (HotplugPlatform, hotplug_platform, G_TYPE_OBJECT)

static void recompute (HotplugPlatform *self);
static void check_waiters (HotplugPlatform *self);

/* --- helpers ---------------------------------------------------------- */

static void
container_free (Container *c)
{
  g_free (c->name);
  g_free (c->devpath);
  g_free (c->acpi_dir);
  g_free (c->uid);
  g_array_unref (c->cpus);
  g_array_unref (c->blocks);
  g_ptr_array_unref (c->root_buses);
  g_free (c);
}

static void
pci_dev_free (PciDev *d)
{
  g_free (d->bdf);
  g_free (d->devpath);
  g_free (d->parent);
  g_free (d->root_bus);
  g_free (d);
}

static void
slot_free (Slot *s)
{
  g_free (s->name);
  g_free (s->address);
  g_free (s);
}

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

/* "cpu12" with prefix "cpu" → 12; nothing but digits after the prefix */
static gboolean
parse_index (const char *name, const char *prefix, guint *out)
{
  gsize n = strlen (prefix);
  guint64 v;
  char *end = NULL;

  if (strncmp (name, prefix, n) != 0 || !g_ascii_isdigit (name[n]))
    return FALSE;
  errno = 0;
  v = g_ascii_strtoull (name + n, &end, 10);
  if (errno || *end || v > (1u << 24))
    return FALSE;
  *out = (guint) v;
  return TRUE;
}

static const char *
path_basename (const char *path)
{
  const char *slash = strrchr (path, '/');

  return slash ? slash + 1 : path;
}

/* The file name a symlink points to: physical_node → "cpu3" */
static char *
read_link_name (const char *path)
{
  char target[PATH_MAX];
  ssize_t n = readlink (path, target, sizeof target - 1);

  if (n <= 0)
    return NULL;
  target[n] = '\0';
  return g_strdup (path_basename (target));
}

static void
warn_sysfs (const char *path, const char *unit, const GError *error)
{
  /* keyed by path: one broken file is reported, not once per event */
  hotplug_log_ratelimited (G_LOG_LEVEL_WARNING, path, TOPIC, unit, NULL,
                           hotplug_sysfs_unroot (path), "%s", error->message);
}

static void
warn_garbage (const char *path, const char *unit, const char *text)
{
  g_autofree char *shown = g_strndup (text, 40);
  g_autofree char *escaped = g_strescape (shown, NULL);

  hotplug_log_ratelimited (G_LOG_LEVEL_WARNING, path, TOPIC, unit, NULL,
                           hotplug_sysfs_unroot (path),
                           "unexpected value '%s' in %s, ignored", escaped, hotplug_sysfs_unroot (path));
}

/* The NUMA node of a CPU or memory block: the nodeM link in its directory.
 * Neighbours are almost always on the same node, so try the last one
 * found before reading the whole directory. */
static gint32
read_node (const char *dir, int *hint)
{
  char probe[PATH_MAX];
  struct stat st;
  DIR *d;
  struct dirent *de;
  gint32 node = -1;

  if (*hint >= 0)
    {
      g_snprintf (probe, sizeof probe, "%s/node%d", dir, *hint);
      if (lstat (probe, &st) == 0)
        return *hint;
    }
  d = opendir (dir);
  if (d == NULL)
    return -1;
  while ((de = readdir (d)) != NULL)
    {
      guint n;

      if (parse_index (de->d_name, "node", &n))
        {
          node = (gint32) n;
          break;
        }
    }
  closedir (d);
  if (node >= 0)
    *hint = node;
  return node;
}

static CpuEntry *
entry_at (GArray *array, guint index)
{
  if (index >= array->len)
    g_array_set_size (array, index + 1); /* zero-filled: not present */
  return &g_array_index (array, CpuEntry, index);
}

static void
mark_dirty (HotplugPlatform *self);

/* --- unit state ------------------------------------------------------- */

static Slot *
slot_for_unit (HotplugPlatform *self, HotplugUnit *unit)
{
  const char *id = hotplug_unit_get_id (unit);

  if (!g_str_has_prefix (id, "slot-"))
    return NULL;
  return g_hash_table_lookup (self->slots, id + strlen ("slot-"));
}

static void
update_unit_state (HotplugPlatform *self, HotplugUnit *unit, const char *event, const char *devpath)
{
  HotplugDbusUnit *iface = HOTPLUG_DBUS_UNIT (unit);
  HotplugUnitState old = hotplug_unit_get_state (unit);
  HotplugUnitState state = HOTPLUG_UNIT_STATE_OFFLINE;
  const char *cpus_online = hotplug_dbus_unit_get_cpus_online (iface);
  const char *const *pci = hotplug_dbus_unit_get_pci_devices (iface);
  gboolean has_pci = pci && pci[0];
  Slot *slot;

  switch (hotplug_unit_get_kind (unit))
    {
    case HOTPLUG_UNIT_KIND_SB:
    case HOTPLUG_UNIT_KIND_CPU:
    case HOTPLUG_UNIT_KIND_MEMORY:
      if ((cpus_online && *cpus_online) || hotplug_unit_get_blocks_online (unit) > 0)
        state = HOTPLUG_UNIT_STATE_ONLINE;
      break;
    case HOTPLUG_UNIT_KIND_IOU:
      if (has_pci)
        state = HOTPLUG_UNIT_STATE_ONLINE;
      break;
    case HOTPLUG_UNIT_KIND_SLOT:
      slot = slot_for_unit (self, unit);
      if (has_pci)
        state = HOTPLUG_UNIT_STATE_ONLINE;
      else if (slot && slot->adapter)
        state = HOTPLUG_UNIT_STATE_OFFLINE;
      else
        state = HOTPLUG_UNIT_STATE_ABSENT;
      break;
    default:
      g_assert_not_reached ();
    }

  if (state == old)
    return;
  hotplug_unit_set_state (unit, state);
  /* a unit's first state is told with its creation */
  if (g_object_get_data (G_OBJECT (unit), "hotplug-new"))
    return;
  hotplug_log_full (G_LOG_LEVEL_INFO, TOPIC, hotplug_unit_get_id (unit), event, devpath,
                    HOTPLUG_MSGID_UNIT_STATE, "%s → %s",
                    hotplug_enum_to_string (HOTPLUG_TYPE_UNIT_STATE, old),
                    hotplug_enum_to_string (HOTPLUG_TYPE_UNIT_STATE, state));
}

static void
update_cpus_online (HotplugPlatform *self, HotplugUnit *unit)
{
  GArray *list = hotplug_unit_get_cpu_list (unit);
  g_autoptr(GArray) online = g_array_sized_new (FALSE, FALSE, sizeof (guint), list->len);
  g_autofree char *text = NULL;

  for (guint i = 0; i < list->len; i++)
    {
      guint n = g_array_index (list, guint, i);

      if (n < self->cpus->len && g_array_index (self->cpus, CpuEntry, n).online)
        g_array_append_val (online, n);
    }
  text = hotplug_list_format_array (online);
  hotplug_unit_update_string (unit, "cpus-online", text);
}

/* --- reading devices -------------------------------------------------- */

static void
cpu_refresh (HotplugPlatform *self, guint n)
{
  g_autofree char *dir = NULL;
  g_autofree char *online_path = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  CpuEntry *e = entry_at (self->cpus, n);
  char name[32];

  g_snprintf (name, sizeof name, "cpu%u", n);
  dir = hotplug_sysfs_build ("/sys/devices/system/cpu", name, NULL);
  online_path = g_build_filename (dir, "online", NULL);
  e->present = TRUE;
  text = hotplug_sysfs_read (online_path, &error);
  if (text == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    e->online = TRUE; /* a CPU that cannot be removed has no online file */
  else if (text == NULL)
    warn_sysfs (online_path, NULL, error);
  else if (g_str_equal (text, "1") || g_str_equal (text, "0"))
    e->online = text[0] == '1';
  else
    warn_garbage (online_path, NULL, text);
  e->node = read_node (dir, &self->cpu_node_hint);
}

static void
block_refresh_full (HotplugPlatform *self, guint n, gboolean with_node)
{
  g_autofree char *dir = NULL;
  g_autofree char *state_path = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  BlockEntry *e = entry_at (self->blocks, n);
  char name[32];

  g_snprintf (name, sizeof name, "memory%u", n);
  dir = hotplug_sysfs_build ("/sys/devices/system/memory", name, NULL);
  state_path = g_build_filename (dir, "state", NULL);
  e->present = TRUE;
  text = hotplug_sysfs_read (state_path, &error);
  if (text == NULL)
    warn_sysfs (state_path, NULL, error);
  else if (g_str_equal (text, "online"))
    e->online = TRUE;
  else if (g_str_equal (text, "offline") || g_str_equal (text, "going-offline"))
    e->online = FALSE;
  else
    warn_garbage (state_path, NULL, text);
  /* a block never changes node while it exists: read it when it appears */
  if (with_node || e->node < 0)
    e->node = read_node (dir, &self->block_node_hint);
}

static void
block_refresh (HotplugPlatform *self, guint n)
{
  block_refresh_full (self, n, TRUE);
}

static void
read_block_size (HotplugPlatform *self)
{
  g_autofree char *path = hotplug_sysfs_path ("/sys/devices/system/memory/block_size_bytes");
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  char *end = NULL;
  guint64 v;

  text = hotplug_sysfs_read (path, &error);
  if (text == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        warn_sysfs (path, NULL, error);
      return;
    }
  v = g_ascii_strtoull (g_str_has_prefix (text, "0x") ? text + 2 : text, &end, 16);
  if (end == text || *end || v == 0)
    {
      warn_garbage (path, NULL, text);
      return;
    }
  self->block_size = v;
}

/* instance number of "ACPI0004:0a" */
static char *
instance_of (const char *name)
{
  const char *colon = strrchr (name, ':');
  guint64 v;
  char *end = NULL;

  if (colon == NULL || colon[1] == '\0')
    return NULL;
  v = g_ascii_strtoull (colon + 1, &end, 16);
  if (*end)
    return NULL;
  return g_strdup_printf ("%" G_GUINT64_FORMAT, v);
}

static gboolean
valid_uid (const char *uid)
{
  if (uid == NULL || *uid == '\0' || strlen (uid) > 16)
    return FALSE;
  for (const char *p = uid; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
      return FALSE;
  return TRUE;
}

static void
container_refresh (HotplugPlatform *self, const char *name, const char *devpath)
{
  Container *c = g_hash_table_lookup (self->containers, name);
  g_autofree char *dir = g_strconcat (hotplug_sysfs_get_root (), "/sys", devpath, NULL);
  g_autofree char *fw_link = g_build_filename (dir, "firmware_node", NULL);
  g_autofree char *uid_path = NULL;
  g_autofree char *uid = NULL;
  g_autoptr(GError) error = NULL;
  char target[PATH_MAX];
  ssize_t n;

  if (c == NULL)
    {
      g_autofree char *online_path = g_build_filename (dir, "online", NULL);
      g_autofree char *online = hotplug_sysfs_read (online_path, NULL);

      c = g_new0 (Container, 1);
      c->name = g_strdup (name);
      c->cpus = g_array_new (FALSE, FALSE, sizeof (guint));
      c->blocks = g_array_new (FALSE, FALSE, sizeof (guint));
      c->root_buses = g_ptr_array_new_with_free_func (g_free);
      c->online = online == NULL || g_str_equal (online, "1");
      g_hash_table_insert (self->containers, c->name, c);
    }
  c->gen = self->gen;
  g_free (c->devpath);
  c->devpath = g_strdup (devpath);

  n = readlink (fw_link, target, sizeof target - 1);
  if (n > 0)
    {
      target[n] = '\0';
      g_free (c->acpi_dir);
      c->acpi_dir = g_canonicalize_filename (target, dir);
    }
  else if (c->acpi_dir == NULL)
    hotplug_log_ratelimited (G_LOG_LEVEL_WARNING, fw_link, TOPIC, NULL, NULL, devpath,
                             "container %s has no firmware_node: its CPUs, memory and "
                             "host bridges cannot be found", name);

  if (c->acpi_dir)
    {
      uid_path = g_build_filename (c->acpi_dir, "uid", NULL);
      uid = hotplug_sysfs_read (uid_path, &error);
      if (uid == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        warn_sysfs (uid_path, NULL, error);
      else if (uid && !valid_uid (uid))
        {
          warn_garbage (uid_path, NULL, uid);
          g_clear_pointer (&uid, g_free);
        }
    }
  if (uid == NULL)
    uid = instance_of (name);
  if (uid == NULL)
    uid = g_strdup (name);
  g_free (c->uid);
  c->uid = g_steal_pointer (&uid);
}

static gboolean
is_container_hid (const char *name)
{
  return g_str_has_prefix (name, "ACPI0004:") || g_str_has_prefix (name, "PNP0A05:") ||
         g_str_has_prefix (name, "PNP0A06:");
}

/* Every memoryN block an ACPI memory device (PNP0C80) links to. */
static void
read_memory_device (const char *dir, GArray *blocks)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *entry;

  if (d == NULL)
    return;
  while ((entry = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *target = NULL;
      guint n;

      if (!g_str_has_prefix (entry, "physical_node"))
        continue;
      path = g_build_filename (dir, entry, NULL);
      target = read_link_name (path);
      if (target && parse_index (target, "memory", &n))
        g_array_append_val (blocks, n);
    }
}

/* The ACPI children of a container: processors, memory devices, host
 * bridges.  Read on every ownership pass, because on real hardware the
 * container can be announced before the devices below it exist. */
static void
container_scan (HotplugPlatform *self, Container *c)
{
  g_autoptr(GDir) d = NULL;
  const char *entry;

  g_array_set_size (c->cpus, 0);
  g_array_set_size (c->blocks, 0);
  g_ptr_array_set_size (c->root_buses, 0);
  c->holds_cpu_or_memory = FALSE;
  if (c->acpi_dir == NULL)
    return;
  d = g_dir_open (c->acpi_dir, 0, NULL);
  if (d == NULL)
    return;
  while ((entry = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *child = NULL;
      g_autofree char *link = NULL;
      g_autofree char *target = NULL;
      guint n;

      if (g_str_has_prefix (entry, "ACPI0007:"))
        {
          c->holds_cpu_or_memory = TRUE;
          link = g_build_filename (c->acpi_dir, entry, "physical_node", NULL);
          target = read_link_name (link);
          if (target && parse_index (target, "cpu", &n))
            g_array_append_val (c->cpus, n);
        }
      else if (g_str_has_prefix (entry, "PNP0C80:"))
        {
          c->holds_cpu_or_memory = TRUE;
          child = g_build_filename (c->acpi_dir, entry, NULL);
          read_memory_device (child, c->blocks);
        }
      else if (g_str_has_prefix (entry, "PNP0A08:") || g_str_has_prefix (entry, "PNP0A03:"))
        {
          link = g_build_filename (c->acpi_dir, entry, "physical_node", NULL);
          target = read_link_name (link);
          if (target && g_str_has_prefix (target, "pci"))
            g_ptr_array_add (c->root_buses, g_steal_pointer (&target));
        }
    }
}

static void
pci_read_info (HotplugPlatform *self, PciDev *d)
{
  g_autoptr(GError) error = NULL;

  d->info_valid = FALSE;
  if (self->pci && hotplug_pci_read (self->pci, d->bdf, &d->info, &error))
    {
      d->info_valid = TRUE;
      return;
    }
  if (error)
    hotplug_log_ratelimited (G_LOG_LEVEL_WARNING, d->devpath, TOPIC, NULL, NULL, d->devpath,
                             "cannot read the configuration space of %s: %s", d->bdf, error->message);
}

static void
pci_refresh (HotplugPlatform *self, const char *devpath)
{
  g_auto(GStrv) parts = g_strsplit (devpath, "/", -1);
  guint n = g_strv_length (parts);
  const char *bdf = n ? parts[n - 1] : "";
  PciDev *d;
  guint domain, bus;

  /* "", "devices", "pci0000:40", BDF, BDF, ... */
  if (n < 4 || !g_str_equal (parts[1], "devices") || !g_str_has_prefix (parts[2], "pci") ||
      !hotplug_pci_parse_bdf (bdf, &domain, &bus, NULL, NULL))
    {
      hotplug_log_ratelimited (G_LOG_LEVEL_WARNING, devpath, TOPIC, NULL, NULL, devpath,
                               "not a PCI device path, ignored");
      return;
    }
  d = g_hash_table_lookup (self->pci_devs, bdf);
  if (d == NULL)
    {
      d = g_new0 (PciDev, 1);
      d->bdf = g_strdup (bdf);
      g_hash_table_insert (self->pci_devs, d->bdf, d);
    }
  d->gen = self->gen;
  g_free (d->devpath);
  d->devpath = g_strdup (devpath);
  g_free (d->root_bus);
  d->root_bus = g_strdup (parts[2]);
  g_free (d->parent);
  d->parent = n > 4 && hotplug_pci_parse_bdf (parts[n - 2], NULL, NULL, NULL, NULL) ? g_strdup (parts[n - 2]) : NULL;
  d->domain = domain;
  d->bus = bus;
  d->depth = n - 4;
  pci_read_info (self, d);
}

static void
pci_remove (HotplugPlatform *self, const char *devpath)
{
  g_autofree char *prefix = g_strconcat (devpath, "/", NULL);
  GHashTableIter iter;
  PciDev *d;

  /* the kernel removes children first; a lost child event must not leave
   * a device behind that hangs below nothing */
  g_hash_table_iter_init (&iter, self->pci_devs);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &d))
    if (g_str_equal (d->devpath, devpath) || g_str_has_prefix (d->devpath, prefix))
      g_hash_table_iter_remove (&iter);
}

static void
slot_refresh (HotplugPlatform *self, const char *name)
{
  Slot *s = g_hash_table_lookup (self->slots, name);
  g_autofree char *dir = hotplug_sysfs_build ("/sys/bus/pci/slots", name, NULL);
  g_autofree char *address_path = g_build_filename (dir, "address", NULL);
  g_autofree char *adapter_path = g_build_filename (dir, "adapter", NULL);
  g_autofree char *address = NULL;
  g_autofree char *adapter = NULL;
  g_autoptr(GError) error = NULL;
  unsigned dom, bus;
  int end = 0;

  if (s == NULL)
    {
      s = g_new0 (Slot, 1);
      s->name = g_strdup (name);
      g_hash_table_insert (self->slots, s->name, s);
    }
  s->gen = self->gen;

  address = hotplug_sysfs_read (address_path, &error);
  if (address == NULL)
    {
      warn_sysfs (address_path, NULL, error);
      g_clear_error (&error);
    }
  else if (sscanf (address, "%4x:%2x%n", &dom, &bus, &end) == 2 && (address[end] == '\0' || address[end] == ':'))
    {
      s->domain = dom;
      s->bus = bus;
      s->address_valid = TRUE;
      g_free (s->address);
      s->address = g_steal_pointer (&address);
    }
  else
    warn_garbage (address_path, NULL, address);

  adapter = hotplug_sysfs_read (adapter_path, &error);
  if (adapter == NULL)
    {
      /* not every hotplug driver has an adapter file: assume a card */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        warn_sysfs (adapter_path, NULL, error);
      s->adapter = TRUE;
    }
  else if (g_str_equal (adapter, "0") || g_str_equal (adapter, "1"))
    s->adapter = adapter[0] == '1';
  else
    warn_garbage (adapter_path, NULL, adapter);
}

/* --- events ----------------------------------------------------------- */

static HotplugUnit *
unit_of_container (HotplugPlatform *self, Container *c)
{
  /* boards and I/O units number their uids independently (sb0 and iou0
   * both have uid 0): the container's kind picks the table entry */
  g_autofree char *id = g_strconcat (c->was_board || c->holds_cpu_or_memory ? "sb" : "iou", c->uid, NULL);

  return g_hash_table_lookup (self->units, id);
}

static void
handle_cpu (HotplugPlatform *self, const HotplugEvent *ev)
{
  guint n;
  CpuEntry *e;
  gboolean online;

  if (!parse_index (ev->sysname, "cpu", &n))
    return;
  if (g_str_equal (ev->action, "remove"))
    {
      if (n < self->cpus->len)
        g_array_index (self->cpus, CpuEntry, n).present = FALSE;
      mark_dirty (self);
      return;
    }
  if (!g_str_equal (ev->action, "online") && !g_str_equal (ev->action, "offline"))
    {
      gboolean was_present = n < self->cpus->len && g_array_index (self->cpus, CpuEntry, n).present;

      cpu_refresh (self, n);
      e = &g_array_index (self->cpus, CpuEntry, n);
      if (!was_present || g_str_equal (ev->action, "add"))
        mark_dirty (self);
      else if (e->owner)
        {
          update_cpus_online (self, e->owner);
          update_unit_state (self, e->owner, ev->action, ev->devpath);
        }
      return;
    }

  /* online/offline: only this CPU and its unit */
  e = entry_at (self->cpus, n);
  if (!e->present)
    {
      cpu_refresh (self, n);
      mark_dirty (self);
      return;
    }
  online = g_str_equal (ev->action, "online");
  if (e->online == online)
    return;
  e->online = online;
  if (e->owner)
    {
      update_cpus_online (self, e->owner);
      update_unit_state (self, e->owner, ev->action, ev->devpath);
    }
}

static void
block_set_online (HotplugPlatform *self, BlockEntry *e, gboolean online, const HotplugEvent *ev)
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
  update_unit_state (self, e->owner, ev->action, ev->devpath);
}

static void
recheck_blocks (HotplugPlatform *self)
{
  g_clear_handle_id (&self->recheck_id, g_source_remove);
  for (guint i = 0; i < self->recheck->len; i++)
    {
      guint n = g_array_index (self->recheck, guint, i);
      BlockEntry *e = &g_array_index (self->blocks, BlockEntry, n);
      gboolean was_online = e->online;

      e->recheck = FALSE;
      if (!e->present)
        continue;
      block_refresh_full (self, n, FALSE);
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
  check_waiters (self);
  return G_SOURCE_REMOVE;
}

static void
handle_memory (HotplugPlatform *self, const HotplugEvent *ev)
{
  guint n;
  BlockEntry *e;

  if (!parse_index (ev->sysname, "memory", &n))
    return;
  if (g_str_equal (ev->action, "remove"))
    {
      if (n < self->blocks->len)
        g_array_index (self->blocks, BlockEntry, n).present = FALSE;
      mark_dirty (self);
      return;
    }
  e = entry_at (self->blocks, n);
  if (g_str_equal (ev->action, "add") || !e->present)
    {
      block_refresh (self, n);
      mark_dirty (self);
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
  Container *c;

  if (g_str_equal (ev->action, "remove"))
    {
      g_hash_table_remove (self->containers, ev->sysname);
      mark_dirty (self);
      return;
    }
  if (g_str_equal (ev->action, "change") && g_strcmp0 (event_prop, "offline") == 0)
    {
      HotplugUnit *unit;

      if (g_hash_table_lookup (self->containers, ev->sysname) == NULL)
        container_refresh (self, ev->sysname, ev->devpath);
      if (self->dirty)
        recompute (self);
      c = g_hash_table_lookup (self->containers, ev->sysname);
      unit = c ? unit_of_container (self, c) : NULL;
      hotplug_log_full (G_LOG_LEVEL_MESSAGE, TOPIC, unit ? hotplug_unit_get_id (unit) : NULL,
                        ev->action, ev->devpath, NULL, "the firmware requests the ejection of %s",
                        unit ? hotplug_unit_get_id (unit) : ev->sysname);
      if (unit)
        g_signal_emit (self, signals[SIGNAL_EJECT_REQUEST], 0, unit);
      return;
    }
  container_refresh (self, ev->sysname, ev->devpath);
  c = g_hash_table_lookup (self->containers, ev->sysname);
  /* The attribute is no witness: a writer's value sits in it before the
   * kernel acted on it (on the simulator), so the state comes from the
   * kernel's word — the uevent. */
  if (c && (g_str_equal (ev->action, "online") || g_str_equal (ev->action, "offline")))
    c->online = g_str_equal (ev->action, "online");
  mark_dirty (self);
}

static void
handle_pci (HotplugPlatform *self, const HotplugEvent *ev)
{
  if (g_str_equal (ev->action, "remove"))
    pci_remove (self, ev->devpath);
  else if (g_str_equal (ev->action, "add") || g_str_equal (ev->action, "change") ||
           !g_hash_table_contains (self->pci_devs, ev->sysname))
    pci_refresh (self, ev->devpath);
  else
    return; /* bind/unbind: nothing the model shows */
  mark_dirty (self);
}

static void
handle_slot (HotplugPlatform *self, const HotplugEvent *ev)
{
  if (g_str_equal (ev->action, "remove"))
    g_hash_table_remove (self->slots, ev->sysname);
  else
    slot_refresh (self, ev->sysname);
  mark_dirty (self);
}

void
hotplug_platform_handle_event (HotplugPlatform *self, const HotplugEvent *ev)
{
  g_return_if_fail (HOTPLUG_IS_PLATFORM (self));
  g_return_if_fail (ev != NULL);

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
  else if (g_str_equal (ev->subsystem, "acpi") &&
           (g_str_equal (ev->action, "add") || g_str_equal (ev->action, "remove")))
    mark_dirty (self); /* a processor, memory device or bridge below a container */
  check_waiters (self);
}

/* --- ownership pass --------------------------------------------------- */

static gboolean
dirty_idle (gpointer user_data)
{
  HotplugPlatform *self = HOTPLUG_PLATFORM (user_data);

  self->dirty_id = 0;
  recompute (self);
  return G_SOURCE_REMOVE;
}

static void
mark_dirty (HotplugPlatform *self)
{
  self->dirty = TRUE;
  if (self->dirty_id == 0)
    /* a board comes and goes as a burst of a thousand uevents, read in
     * batches: an idle would run the pass between two batches; a few
     * milliseconds let the whole burst in first */
    self->dirty_id = g_timeout_add_full (G_PRIORITY_DEFAULT_IDLE, OWNERSHIP_DELAY_MS, dirty_idle, self, NULL);
}

void
hotplug_platform_flush (HotplugPlatform *self)
{
  g_return_if_fail (HOTPLUG_IS_PLATFORM (self));
  recheck_blocks (self);
  if (self->dirty)
    recompute (self);
}

static void
rescan_slots (HotplugPlatform *self)
{
  g_autofree char *dirpath = hotplug_sysfs_path ("/sys/bus/pci/slots");
  g_autoptr(GDir) dir = g_dir_open (dirpath, 0, NULL);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  Slot *s;
  const char *name;

  /* the kernel has no uevents for slot directories: they come and go with
   * their hotplug controller, so look at them on every pass */
  while (dir && (name = g_dir_read_name (dir)) != NULL)
    {
      slot_refresh (self, name);
      g_hash_table_add (seen, ((Slot *) g_hash_table_lookup (self->slots, name))->name);
    }
  g_hash_table_iter_init (&iter, self->slots);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &s))
    if (!g_hash_table_contains (seen, s->name))
      g_hash_table_iter_remove (&iter);
}

static int
cmp_pci_devpath (gconstpointer a, gconstpointer b)
{
  const PciDev *x = *(PciDev *const *) a, *y = *(PciDev *const *) b;

  /* BDFs have a fixed width, so byte order of the paths is depth first */
  return strcmp (x->devpath, y->devpath);
}

static GPtrArray *
sorted_pci (HotplugPlatform *self)
{
  GPtrArray *all = g_ptr_array_sized_new (g_hash_table_size (self->pci_devs));
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->pci_devs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (all, value);

  g_ptr_array_sort (all, cmp_pci_devpath);
  return all;
}

/* The slot a device sits in: the one whose bus is the device's bus or the
 * bus of one of its ancestors.  *depth is the number of bridges between. */
static Slot *
slot_of_dev (HotplugPlatform *self, GHashTable *by_bus, PciDev *d, guint *depth)
{
  guint hops = 0;

  for (PciDev *cur = d; cur; hops++)
    {
      char key[16];
      Slot *s;

      g_snprintf (key, sizeof key, "%04x:%02x", cur->domain, cur->bus);
      s = g_hash_table_lookup (by_bus, key);
      if (s)
        {
          if (depth)
            *depth = hops;
          return s;
        }
      cur = cur->parent ? g_hash_table_lookup (self->pci_devs, cur->parent) : NULL;
    }
  return NULL;
}

static GHashTable *
slots_by_bus (HotplugPlatform *self)
{
  GHashTable *by_bus = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GHashTableIter iter;
  Slot *s;

  g_hash_table_iter_init (&iter, self->slots);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &s))
    if (s->address_valid)
      g_hash_table_insert (by_bus, g_strdup_printf ("%04x:%02x", s->domain, s->bus), s);
  return by_bus;
}

/* The root bus (pci0000:40) a slot's bus is below: the bridge whose bus
 * range holds it, or a device on it, or the root bus of that number. */
static const char *
root_bus_of_slot (HotplugPlatform *self, Slot *s, GPtrArray *all)
{
  const char *best = NULL;
  guint best_depth = 0;

  for (guint i = 0; i < all->len; i++)
    {
      PciDev *d = g_ptr_array_index (all, i);

      if (d->domain != s->domain)
        continue;
      if (d->bus == s->bus)
        return d->root_bus;
      if (d->info_valid && d->info.header_type == 1 &&
          d->info.secondary_bus <= s->bus && s->bus <= d->info.subordinate_bus &&
          (best == NULL || d->depth >= best_depth))
        {
          best = d->root_bus;
          best_depth = d->depth;
        }
    }
  return best;
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
          gint32 node = g_array_index (table, CpuEntry, g_array_index (idx, guint, i)).node;
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
apply_plan (HotplugPlatform *self, HotplugUnit *unit, UnitPlan *p)
{
  g_autoptr(GPtrArray) bdfs = g_ptr_array_new ();
  g_autofree char *ranges = NULL;
  g_autofree char *nodes = NULL;
  guint online = 0;

  hotplug_unit_update_string (unit, "sysfs-path", p->sysfs_path);
  hotplug_unit_update_string (unit, "parent", p->parent);
  hotplug_unit_update_string (unit, "domain", p->domain);
  hotplug_unit_set_cpu_list (unit, p->cpus);
  update_cpus_online (self, unit);

  for (guint i = 0; i < p->blocks->len; i++)
    if (g_array_index (self->blocks, BlockEntry, g_array_index (p->blocks, guint, i)).online)
      online++;
  hotplug_unit_update_uint (unit, "memory-blocks", p->blocks->len);
  hotplug_unit_update_uint (unit, "memory-blocks-online", online);
  hotplug_unit_update_uint64 (unit, "memory-bytes", (guint64) p->blocks->len * self->block_size);
  ranges = hotplug_list_format_array (p->blocks);
  hotplug_unit_update_string (unit, "memory-ranges", ranges);
  nodes = nodes_of (self, p);
  hotplug_unit_update_string (unit, "nodes", nodes);

  for (guint i = 0; i < p->pci->len; i++)
    g_ptr_array_add (bdfs, ((PciDev *) g_ptr_array_index (p->pci, i))->bdf);
  g_ptr_array_add (bdfs, NULL);
  hotplug_unit_update_strv (unit, "pci-devices", (const char *const *) bdfs->pdata);
  g_ptr_array_add (p->slots, NULL);
  hotplug_unit_update_strv (unit, "slots", (const char *const *) p->slots->pdata);
  g_ptr_array_remove_index (p->slots, p->slots->len - 1);

  for (guint i = 0; i < p->cpus->len; i++)
    g_array_index (self->cpus, CpuEntry, g_array_index (p->cpus, guint, i)).owner = unit;
  for (guint i = 0; i < p->blocks->len; i++)
    g_array_index (self->blocks, BlockEntry, g_array_index (p->blocks, guint, i)).owner = unit;
}

static UnitPlan *
plan_add (GHashTable *plans, GPtrArray *order, HotplugUnitKind kind, const char *id)
{
  UnitPlan *p = g_hash_table_lookup (plans, id);

  if (p)
    return p;
  p = unit_plan_new (kind, id);
  g_hash_table_insert (plans, p->id, p);
  g_ptr_array_add (order, p);
  return p;
}

static void
claim (GArray *table, GArray *wanted, GArray *claimed, GArray *into)
{
  for (guint i = 0; i < wanted->len; i++)
    {
      guint n = g_array_index (wanted, guint, i);

      if (n >= table->len || !g_array_index (table, CpuEntry, n).present)
        continue;
      if (g_array_index (claimed, guint8, n))
        continue;
      g_array_index (claimed, guint8, n) = TRUE;
      g_array_append_val (into, n);
    }
}

/* Free ACPI memory devices (PNP0C80 not below a container): memory<uid>. */
static void
plan_free_memory_devices (HotplugPlatform *self, GHashTable *plans, GPtrArray *order, GArray *claimed)
{
  g_autofree char *dirpath = hotplug_sysfs_path ("/sys/bus/acpi/devices");
  g_autoptr(GDir) dir = g_dir_open (dirpath, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *link = NULL;
      g_autofree char *real = NULL;
      g_autofree char *parent = NULL;
      g_autofree char *uid_path = NULL;
      g_autofree char *uid = NULL;
      g_autofree char *id = NULL;
      g_autoptr(GArray) blocks = NULL;
      char target[PATH_MAX];
      ssize_t n;
      UnitPlan *p;

      if (!g_str_has_prefix (name, "PNP0C80:"))
        continue;
      link = g_build_filename (dirpath, name, NULL);
      n = readlink (link, target, sizeof target - 1);
      if (n <= 0)
        continue;
      target[n] = '\0';
      real = g_canonicalize_filename (target, dirpath);
      parent = g_path_get_dirname (real);
      if (is_container_hid (path_basename (parent)))
        continue;
      blocks = g_array_new (FALSE, FALSE, sizeof (guint));
      read_memory_device (real, blocks);
      g_array_sort (blocks, cmp_uint);
      uid_path = g_build_filename (real, "uid", NULL);
      uid = hotplug_sysfs_read (uid_path, NULL);
      if (!valid_uid (uid))
        {
          g_free (uid);
          uid = instance_of (name);
        }
      id = g_strconcat ("memory", uid ? uid : "", NULL);
      p = plan_add (plans, order, HOTPLUG_UNIT_KIND_MEMORY, id);
      claim (self->blocks, blocks, claimed, p->blocks);
      if (p->blocks->len == 0)
        {
          /* nothing of it is here (yet): no unit */
          g_hash_table_remove (plans, p->id);
          g_ptr_array_remove (order, p);
          continue;
        }
      if (p->sysfs_path == NULL)
        p->sysfs_path = g_strdup (hotplug_sysfs_unroot (real));
    }
}

/* A CPU or memory block that a board owned in the last pass and that no
 * board claims now: either the board let it go (it stays, on no board), or
 * the board is being removed and sysfs is already ahead of the events we
 * have read — the kernel sends each remove uevent before it deletes the
 * directory, and a surprise removal deletes the whole tree at once.  Only
 * the second must not flash up as a free unit until its own remove event
 * arrives: tell them apart by whether the device is still in sysfs. */
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

static void
recompute (HotplugPlatform *self)
{
  g_autoptr(GHashTable) plans = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) order = g_ptr_array_new_with_free_func ((GDestroyNotify) unit_plan_free);
  g_autoptr(GHashTable) root_owner = g_hash_table_new (g_str_hash, g_str_equal); /* pci0000:40 → plan */
  g_autoptr(GHashTable) by_bus = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GArray) cpu_claimed = g_array_new (FALSE, TRUE, sizeof (guint8));
  g_autoptr(GArray) block_claimed = g_array_new (FALSE, TRUE, sizeof (guint8));
  g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) removed = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) new_domains = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GHashTable) domain_slots = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  g_autoptr(GHashTable) domain_devs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  g_autoptr(GList) container_list = NULL;
  GHashTableIter iter;
  gpointer key, value;
  gint64 start = g_get_monotonic_time ();

  g_clear_handle_id (&self->dirty_id, g_source_remove);
  self->dirty = FALSE;

  if (self->block_size == 0)
    read_block_size (self);
  rescan_slots (self);
  g_array_set_size (cpu_claimed, self->cpus->len);
  g_array_set_size (block_claimed, self->blocks->len);

  /* boards and I/O units, in a stable order */
  container_list = g_hash_table_get_values (self->containers);
  for (GList *l = container_list; l; l = l->next)
    container_scan (self, l->data);
  for (GList *l = container_list; l; l = l->next)
    {
      Container *c = l->data;
      HotplugUnitKind kind;
      c->was_board |= c->holds_cpu_or_memory;
      kind = c->was_board ? HOTPLUG_UNIT_KIND_SB : HOTPLUG_UNIT_KIND_IOU;
      g_autofree char *id = g_strconcat (kind == HOTPLUG_UNIT_KIND_SB ? "sb" : "iou", c->uid, NULL);
      UnitPlan *p;

      if (g_hash_table_contains (plans, id))
        {
          hotplug_log_ratelimited (G_LOG_LEVEL_WARNING, c->name, TOPIC, id, NULL, c->devpath,
                                   "container %s has the same uid as another one; ignored", c->name);
          continue;
        }
      p = plan_add (plans, order, kind, id);
      p->container = c;
      p->sysfs_path = g_strconcat ("/sys", c->devpath, NULL);
      g_array_sort (c->cpus, cmp_uint);
      g_array_sort (c->blocks, cmp_uint);
      claim (self->cpus, c->cpus, cpu_claimed, p->cpus);
      claim (self->blocks, c->blocks, block_claimed, p->blocks);
      for (guint i = 0; i < c->root_buses->len; i++)
        {
          const char *rb = g_ptr_array_index (c->root_buses, i);
          unsigned dom = 0;

          g_hash_table_insert (root_owner, (gpointer) rb, p);
          if (p->domain == NULL && sscanf (rb, "pci%4x:", &dom) == 1)
            p->domain = g_strdup_printf ("%04x", dom);
        }
    }

  plan_free_memory_devices (self, plans, order, block_claimed);

  /* CPUs on no board: one unit each */
  for (guint n = 0; n < self->cpus->len; n++)
    {
      CpuEntry *e = &g_array_index (self->cpus, CpuEntry, n);
      HotplugUnit *was = e->owner;
      char id[32];
      UnitPlan *p;

      e->owner = NULL;
      if (!e->present || g_array_index (cpu_claimed, guint8, n))
        continue;
      if (leaving_board (was, "/sys/devices/system/cpu/cpu", n))
        {
          e->present = FALSE;
          continue;
        }
      g_snprintf (id, sizeof id, "cpu%u", n);
      p = plan_add (plans, order, HOTPLUG_UNIT_KIND_CPU, id);
      p->sysfs_path = g_strdup_printf ("/sys/devices/system/cpu/cpu%u", n);
      g_array_append_val (p->cpus, n);
    }

  /* memory on no board: one unit per NUMA node */
  for (guint n = 0; n < self->blocks->len; n++)
    {
      BlockEntry *e = &g_array_index (self->blocks, BlockEntry, n);
      HotplugUnit *was = e->owner;
      char id[32];
      guint node;
      UnitPlan *p;

      e->owner = NULL;
      if (!e->present || g_array_index (block_claimed, guint8, n))
        continue;
      if (leaving_board (was, "/sys/devices/system/memory/memory", n))
        {
          e->present = FALSE;
          continue;
        }
      node = e->node >= 0 ? (guint) e->node : 0;
      g_snprintf (id, sizeof id, "memory-node%u", node);
      p = plan_add (plans, order, HOTPLUG_UNIT_KIND_MEMORY, id);
      if (p->sysfs_path == NULL)
        p->sysfs_path = g_strdup_printf ("/sys/devices/system/node/node%u", node);
      g_array_append_val (p->blocks, n);
    }

  /* slots, and which board or I/O unit each one is in */
  all = sorted_pci (self);
  by_bus = slots_by_bus (self);
  g_hash_table_iter_init (&iter, self->slots);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Slot *s = value;
      g_autofree char *id = g_strconcat ("slot-", s->name, NULL);
      UnitPlan *p = plan_add (plans, order, HOTPLUG_UNIT_KIND_SLOT, id);
      const char *rb = s->address_valid ? root_bus_of_slot (self, s, all) : NULL;
      UnitPlan *owner = rb ? g_hash_table_lookup (root_owner, rb) : NULL;
      GPtrArray *ds;

      p->slot = s;
      p->sysfs_path = g_strconcat ("/sys/bus/pci/slots/", s->name, NULL);
      if (s->address_valid)
        {
          p->domain = g_strdup_printf ("%04x", s->domain);
          ds = g_hash_table_lookup (domain_slots, p->domain);
          if (ds == NULL)
            {
              ds = g_ptr_array_new_with_free_func (g_free);
              g_hash_table_insert (domain_slots, g_strdup (p->domain), ds);
            }
          g_ptr_array_add (ds, g_strdup (id));
        }
      if (owner)
        {
          p->parent = g_strdup (owner->id);
          g_ptr_array_add (owner->slots, g_strdup (id));
        }
    }

  /* PCI devices, depth first, to their board / I/O unit and slot */
  for (guint i = 0; i < all->len; i++)
    {
      PciDev *d = g_ptr_array_index (all, i);
      UnitPlan *owner = g_hash_table_lookup (root_owner, d->root_bus);
      Slot *s = slot_of_dev (self, by_bus, d, NULL);
      char dom[8];
      GPtrArray *dd;

      if (owner)
        g_ptr_array_add (owner->pci, d);
      if (s)
        {
          g_autofree char *id = g_strconcat ("slot-", s->name, NULL);
          UnitPlan *p = g_hash_table_lookup (plans, id);

          if (p)
            g_ptr_array_add (p->pci, d);
        }
      g_snprintf (dom, sizeof dom, "%04x", d->domain);
      dd = g_hash_table_lookup (domain_devs, dom);
      if (dd == NULL)
        {
          dd = g_ptr_array_new ();
          g_hash_table_insert (domain_devs, g_strdup (dom), dd);
        }
      g_ptr_array_add (dd, d->bdf);
    }
  for (guint i = 0; i < order->len; i++)
    g_ptr_array_sort (((UnitPlan *) g_ptr_array_index (order, i))->slots, cmp_str);

  /* drop units whose hardware is gone (or whose kind changed) */
  g_hash_table_iter_init (&iter, self->units);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      UnitPlan *p = g_hash_table_lookup (plans, key);

      if (p == NULL || p->kind != hotplug_unit_get_kind (value))
        {
          /* the table's reference moves to the removed list */
          g_ptr_array_add (removed, value);
          g_hash_table_iter_steal (&iter);
          g_free (key);
        }
    }

  for (guint i = 0; i < order->len; i++)
    {
      UnitPlan *p = g_ptr_array_index (order, i);
      HotplugUnit *unit = g_hash_table_lookup (self->units, p->id);

      if (unit == NULL)
        {
          unit = hotplug_unit_new (p->kind, p->id);
          g_object_set_data (G_OBJECT (unit), "hotplug-new", GINT_TO_POINTER (TRUE));
          g_hash_table_insert (self->units, g_strdup (p->id), unit);
          g_ptr_array_add (added, g_object_ref (unit));
        }
      apply_plan (self, unit, p);
    }
  /* states last: a slot's state needs its Slot, a board's its counters */
  for (guint i = 0; i < order->len; i++)
    update_unit_state (self, g_hash_table_lookup (self->units, ((UnitPlan *) g_ptr_array_index (order, i))->id),
                       NULL, NULL);

  /* domains: one per segment seen; never dropped, inactive when empty */
  for (guint pass = 0; pass < 2; pass++)
    {
      g_hash_table_iter_init (&iter, pass ? domain_devs : domain_slots);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        if (!g_hash_table_contains (self->domains, key))
          {
            HotplugDomain *dom = hotplug_domain_new (key);

            g_hash_table_insert (self->domains, g_strdup (key), dom);
            g_ptr_array_add (new_domains, g_object_ref (dom));
          }
    }
  g_hash_table_iter_init (&iter, self->domains);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GPtrArray *ds = g_hash_table_lookup (domain_slots, key);
      GPtrArray *dd = g_hash_table_lookup (domain_devs, key);

      if (ds)
        {
          g_ptr_array_sort (ds, cmp_str);
          g_ptr_array_add (ds, NULL);
        }
      if (dd)
        g_ptr_array_add (dd, NULL);
      hotplug_domain_update (value, ds ? (const char *const *) ds->pdata : NULL,
                             dd ? (const char *const *) dd->pdata : NULL);
      hotplug_domain_set_connection_state (value, dd && dd->len > 1 ? HOTPLUG_CONNECTION_CONNECTED
                                                                     : HOTPLUG_CONNECTION_INACTIVE);
    }

  hotplug_debug (TOPIC, "ownership pass: %u units (%u new, %u gone), %u CPUs, %u memory blocks, "
                 "%u PCI devices in %.1f ms", g_hash_table_size (self->units), added->len, removed->len,
                 self->cpus->len, self->blocks->len, g_hash_table_size (self->pci_devs),
                 (double) (g_get_monotonic_time () - start) / 1000.0);

  for (guint i = 0; i < removed->len; i++)
    {
      HotplugUnit *unit = g_ptr_array_index (removed, i);

      hotplug_log_full (G_LOG_LEVEL_INFO, TOPIC, hotplug_unit_get_id (unit), NULL, NULL,
                        HOTPLUG_MSGID_UNIT_STATE, "unit is gone");
      g_signal_emit (self, signals[SIGNAL_UNIT_REMOVED], 0, unit);
    }
  for (guint i = 0; i < new_domains->len; i++)
    g_signal_emit (self, signals[SIGNAL_DOMAIN_ADDED], 0, g_ptr_array_index (new_domains, i));
  for (guint i = 0; i < added->len; i++)
    {
      HotplugUnit *unit = g_ptr_array_index (added, i);

      g_object_set_data (G_OBJECT (unit), "hotplug-new", NULL);
      hotplug_log_full (G_LOG_LEVEL_INFO, TOPIC, hotplug_unit_get_id (unit), NULL, NULL,
                        HOTPLUG_MSGID_UNIT_STATE, "new %s unit, %s",
                        hotplug_dbus_unit_get_kind (HOTPLUG_DBUS_UNIT (unit)),
                        hotplug_dbus_unit_get_state (HOTPLUG_DBUS_UNIT (unit)));
      g_signal_emit (self, signals[SIGNAL_UNIT_ADDED], 0, unit);
    }
  check_waiters (self);
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
  for (guint i = 0; i < self->cpus->len; i++)
    g_array_index (self->cpus, CpuEntry, i).present = FALSE;
  for (guint i = 0; i < self->blocks->len; i++)
    g_array_index (self->blocks, BlockEntry, i).present = FALSE;

  for (guint i = 0; i < events->len; i++)
    hotplug_platform_handle_event (self, g_ptr_array_index (events, i));

  g_hash_table_iter_init (&iter, self->containers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((Container *) value)->gen != self->gen)
      g_hash_table_iter_remove (&iter);
  g_hash_table_iter_init (&iter, self->pci_devs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((PciDev *) value)->gen != self->gen)
      g_hash_table_iter_remove (&iter);
  g_hash_table_iter_init (&iter, self->slots);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((Slot *) value)->gen != self->gen)
      g_hash_table_iter_remove (&iter);

  recompute (self);
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

guint64
hotplug_platform_get_block_size (HotplugPlatform *self)
{
  return self->block_size;
}

GVariant *
hotplug_platform_list_devices (HotplugPlatform *self, HotplugUnit *unit)
{
  GVariantBuilder b;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GHashTable) by_bus = NULL;
  GPtrArray *roots = NULL;
  Slot *slot = NULL;
  const char *id = hotplug_unit_get_id (unit);

  hotplug_platform_flush (self);
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(suss)"));
  all = sorted_pci (self);
  by_bus = slots_by_bus (self);

  if (hotplug_unit_get_kind (unit) == HOTPLUG_UNIT_KIND_SLOT)
    slot = slot_for_unit (self, unit);
  else
    {
      GHashTableIter iter;
      Container *c;

      g_hash_table_iter_init (&iter, self->containers);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &c))
        if (unit_of_container (self, c) == unit)
          roots = c->root_buses;
    }

  for (guint i = 0; i < all->len; i++)
    {
      PciDev *d = g_ptr_array_index (all, i);
      g_autofree char *desc = NULL;
      guint depth = 0;

      if (slot)
        {
          if (slot_of_dev (self, by_bus, d, &depth) != slot)
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
  (void) id;
  return g_variant_builder_end (&b);
}

/* --- single devices and waiting --------------------------------------- */

gboolean
hotplug_platform_cpu_is_online (HotplugPlatform *self, guint cpu)
{
  return cpu < self->cpus->len && g_array_index (self->cpus, CpuEntry, cpu).present &&
         g_array_index (self->cpus, CpuEntry, cpu).online;
}

gboolean
hotplug_platform_block_is_online (HotplugPlatform *self, guint block)
{
  return block < self->blocks->len && g_array_index (self->blocks, BlockEntry, block).present &&
         g_array_index (self->blocks, BlockEntry, block).online;
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
  Container *c = name ? g_hash_table_lookup (self->containers, name) : NULL;

  return c != NULL && c->online;
}

typedef struct
{
  HotplugPlatformPredicate predicate;
  gpointer                 data;
  GDestroyNotify           destroy;
  guint                    timeout_id;
  gulong                   cancelled_id;
  guint                    timeout_ms;
} Waiter;

static void
waiter_free (Waiter *w)
{
  g_clear_handle_id (&w->timeout_id, g_source_remove);
  if (w->destroy)
    w->destroy (w->data);
  g_free (w);
}

/* Ends a waiter: takes it off the list, then returns (once). */
static void
waiter_end (HotplugPlatform *self, GTask *task, GError *error)
{
  Waiter *w = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GList *link = g_list_find (self->waiters, task);

  if (link == NULL)
    {
      g_clear_error (&error);
      return;
    }
  self->waiters = g_list_delete_link (self->waiters, link);
  g_clear_handle_id (&w->timeout_id, g_source_remove);
  if (cancellable && w->cancelled_id)
    g_cancellable_disconnect (cancellable, w->cancelled_id);
  w->cancelled_id = 0;
  if (error)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
check_waiters (HotplugPlatform *self)
{
  GList *copy;

  if (self->waiters == NULL)
    return;
  /* a predicate that holds ends its waiter, whose callback may add or end
   * others: walk a referenced copy */
  copy = g_list_copy (self->waiters);
  for (GList *l = copy; l; l = l->next)
    g_object_ref (l->data);
  for (GList *l = copy; l; l = l->next)
    {
      GTask *task = l->data;
      Waiter *w = g_task_get_task_data (task);

      if (g_list_find (self->waiters, task) && w->predicate (self, w->data))
        waiter_end (self, task, NULL);
    }
  g_list_free_full (copy, g_object_unref);
}

static gboolean
on_wait_timeout (gpointer user_data)
{
  GTask *task = user_data;
  Waiter *w = g_task_get_task_data (task);

  w->timeout_id = 0;
  waiter_end (g_task_get_source_object (task), task,
              g_error_new (HOTPLUG_ERROR, HOTPLUG_ERROR_TIMEOUT,
                           "the kernel did not confirm within %u ms", w->timeout_ms));
  return G_SOURCE_REMOVE;
}

static gboolean
on_wait_cancelled_idle (gpointer user_data)
{
  GTask *task = user_data;

  waiter_end (g_task_get_source_object (task), task,
              g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled"));
  return G_SOURCE_REMOVE;
}

static void
on_wait_cancelled (GCancellable *cancellable, gpointer user_data)
{
  /* may run inside g_cancellable_cancel() anywhere: end from the loop */
  g_idle_add_full (G_PRIORITY_DEFAULT, on_wait_cancelled_idle, g_object_ref (user_data), g_object_unref);
}

void
hotplug_platform_wait_async (HotplugPlatform         *self,
                             HotplugPlatformPredicate predicate,
                             gpointer                 predicate_data,
                             GDestroyNotify           predicate_destroy,
                             guint                    timeout_ms,
                             GCancellable            *cancellable,
                             GAsyncReadyCallback      callback,
                             gpointer                 user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Waiter *w = g_new0 (Waiter, 1);

  g_task_set_source_tag (task, hotplug_platform_wait_async);
  w->predicate = predicate;
  w->data = predicate_data;
  w->destroy = predicate_destroy;
  w->timeout_ms = timeout_ms;
  g_task_set_task_data (task, w, (GDestroyNotify) waiter_free);
  /* the list holds the reference */
  self->waiters = g_list_append (self->waiters, task);
  if (predicate (self, predicate_data))
    {
      waiter_end (self, task, NULL);
      return;
    }
  w->timeout_id = g_timeout_add (timeout_ms, on_wait_timeout, task);
  if (cancellable)
    w->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (on_wait_cancelled), task, NULL);
}

gboolean
hotplug_platform_wait_finish (HotplugPlatform *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- object ----------------------------------------------------------- */

static void
hotplug_platform_finalize (GObject *object)
{
  HotplugPlatform *self = HOTPLUG_PLATFORM (object);

  g_clear_handle_id (&self->dirty_id, g_source_remove);
  /* waiters hold a reference on us: none can be left here */
  g_warn_if_fail (self->waiters == NULL);
  g_clear_handle_id (&self->recheck_id, g_source_remove);
  g_array_unref (self->recheck);
  g_clear_object (&self->pci);
  g_array_unref (self->cpus);
  g_array_unref (self->blocks);
  g_hash_table_unref (self->containers);
  g_hash_table_unref (self->pci_devs);
  g_hash_table_unref (self->slots);
  g_hash_table_unref (self->units);
  g_hash_table_unref (self->domains);
  G_OBJECT_CLASS (hotplug_platform_parent_class)->finalize (object);
}

static void
hotplug_platform_class_init (HotplugPlatformClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hotplug_platform_finalize;

  signals[SIGNAL_UNIT_ADDED] = g_signal_new ("unit-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                             0, NULL, NULL, NULL, G_TYPE_NONE, 1, HOTPLUG_TYPE_UNIT);
  signals[SIGNAL_UNIT_REMOVED] = g_signal_new ("unit-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                               0, NULL, NULL, NULL, G_TYPE_NONE, 1, HOTPLUG_TYPE_UNIT);
  signals[SIGNAL_DOMAIN_ADDED] = g_signal_new ("domain-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                               0, NULL, NULL, NULL, G_TYPE_NONE, 1, HOTPLUG_TYPE_DOMAIN);
  signals[SIGNAL_EJECT_REQUEST] = g_signal_new ("eject-request", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                                0, NULL, NULL, NULL, G_TYPE_NONE, 1, HOTPLUG_TYPE_UNIT);
}

static void
hotplug_platform_init (HotplugPlatform *self)
{
  self->cpus = g_array_new (FALSE, TRUE, sizeof (CpuEntry));
  self->blocks = g_array_new (FALSE, TRUE, sizeof (BlockEntry));
  self->recheck = g_array_new (FALSE, FALSE, sizeof (guint));
  self->containers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) container_free);
  self->pci_devs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) pci_dev_free);
  self->slots = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) slot_free);
  self->units = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->domains = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
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
