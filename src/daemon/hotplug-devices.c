/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hotplug-log.h"
#include "hotplug-platform-private.h"
#include "hotplug-util.h"

/* Reading the devices the model is made of from sysfs: each reader fills
 * or refreshes one entry and decides nothing about units. */

#define TOPIC HOTPLUG_PLATFORM_TOPIC


void
hotplug_container_free (HotplugContainer *c)
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

void
hotplug_pci_dev_free (HotplugPciDev *d)
{
  g_free (d->bdf);
  g_free (d->devpath);
  g_free (d->parent);
  g_free (d->root_bus);
  g_free (d->driver);
  g_free (d);
}

void
hotplug_slot_free (HotplugSlot *s)
{
  g_free (s->name);
  g_free (s->address);
  g_free (s);
}

/* "cpu12" with prefix "cpu" → 12; nothing but digits after the prefix */
gboolean
hotplug_parse_index (const char *name, const char *prefix, guint *out)
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

HotplugCpuEntry *
hotplug_platform_entry_at (GArray *array, guint index)
{
  if (index >= array->len)
    g_array_set_size (array, index + 1); /* zero-filled: not present */
  return &g_array_index (array, HotplugCpuEntry, index);
}

void
hotplug_platform_cpu_refresh (HotplugPlatform *self, guint n)
{
  g_autofree char *dir = NULL;
  g_autofree char *online_path = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  HotplugCpuEntry *e = hotplug_platform_entry_at (self->cpus, n);
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
  e->node = hotplug_platform_node_of (self, FALSE, n, dir);
}

void
hotplug_platform_block_refresh (HotplugPlatform *self, guint n, gboolean with_node)
{
  g_autofree char *dir = NULL;
  g_autofree char *state_path = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  HotplugBlockEntry *e = hotplug_platform_entry_at (self->blocks, n);
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
    e->node = hotplug_platform_node_of (self, TRUE, n, dir);
}

void
hotplug_platform_read_block_size (HotplugPlatform *self)
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

void
hotplug_platform_container_refresh (HotplugPlatform *self, const char *name, const char *devpath)
{
  HotplugContainer *c = g_hash_table_lookup (self->containers, name);
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

      c = g_new0 (HotplugContainer, 1);
      c->name = g_strdup (name);
      c->cpus = g_array_new (FALSE, FALSE, sizeof (guint));
      c->blocks = g_array_new (FALSE, FALSE, sizeof (guint));
      c->root_buses = g_ptr_array_new_with_free_func (g_free);
      c->online = online == NULL || g_str_equal (online, "1");
      g_hash_table_insert (self->containers, c->name, c);
    }
  c->gen = self->gen;
  c->stale = TRUE;
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

/* Every memoryN block an ACPI memory device (PNP0C80) links to: one link
 * per block, read relative to the device's directory (a walk of one name
 * where the full path would be seven, for each of thousands of blocks). */
static void
read_memory_device (const char *dir, GArray *blocks)
{
  DIR *d = opendir (dir);
  struct dirent *de;

  if (d == NULL)
    return;
  while ((de = readdir (d)) != NULL)
    {
      char target[PATH_MAX];
      ssize_t len;
      guint n;

      if (!g_str_has_prefix (de->d_name, "physical_node"))
        continue;
      len = readlinkat (dirfd (d), de->d_name, target, sizeof target - 1);
      if (len <= 0)
        continue;
      target[len] = '\0';
      if (hotplug_parse_index (path_basename (target), "memory", &n))
        g_array_append_val (blocks, n);
    }
  closedir (d);
}

void
hotplug_platform_containers_stale (HotplugPlatform *self)
{
  GHashTableIter iter;
  HotplugContainer *c;

  g_hash_table_iter_init (&iter, self->containers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &c))
    c->stale = TRUE;
}

static int
cmp_uint (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;

  return x < y ? -1 : x > y;
}

/* The ACPI children of a container: processors, memory devices, host
 * bridges.  Read again on the ownership pass after any event that can
 * change them (HotplugContainer.stale), because on real hardware the
 * container can be announced before the devices below it exist. */
void
hotplug_platform_container_scan (HotplugPlatform *self, HotplugContainer *c)
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
          if (target && hotplug_parse_index (target, "cpu", &n))
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
  g_array_sort (c->cpus, cmp_uint);
  g_array_sort (c->blocks, cmp_uint);
}

static void
pci_read_info (HotplugPlatform *self, HotplugPciDev *d)
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

/* The driver bound to the device: the name its driver link points to. */
static void
read_driver (HotplugPciDev *d)
{
  g_autofree char *rel = g_strconcat ("/sys", d->devpath, "/driver", NULL);
  g_autofree char *path = hotplug_sysfs_path (rel);
  g_autofree char *target = g_file_read_link (path, NULL);

  g_free (d->driver);
  d->driver = target ? g_path_get_basename (target) : NULL;
}

void
hotplug_platform_pci_refresh (HotplugPlatform *self, const char *devpath)
{
  g_auto(GStrv) parts = g_strsplit (devpath, "/", -1);
  guint n = g_strv_length (parts);
  const char *bdf = n ? parts[n - 1] : "";
  HotplugPciDev *d;
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
      d = g_new0 (HotplugPciDev, 1);
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
  read_driver (d);
}

void
hotplug_platform_pci_driver_refresh (HotplugPlatform *self, const char *bdf)
{
  HotplugPciDev *d = g_hash_table_lookup (self->pci_devs, bdf);

  if (d)
    read_driver (d);
}


void
hotplug_platform_pci_remove (HotplugPlatform *self, const char *devpath)
{
  g_autofree char *prefix = g_strconcat (devpath, "/", NULL);
  GHashTableIter iter;
  HotplugPciDev *d;

  /* the kernel removes children first; a lost child event must not leave
   * a device behind that hangs below nothing */
  g_hash_table_iter_init (&iter, self->pci_devs);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &d))
    if (g_str_equal (d->devpath, devpath) || g_str_has_prefix (d->devpath, prefix))
      g_hash_table_iter_remove (&iter);
}

/* A slot becomes unit "slot-NAME" only if that id passes the rule that
 * callers' ids pass (hotplug_id_is_valid): a name that is not UTF-8, has a
 * control character or is too long would give a unit nobody can name.  It
 * is logged and left out. */
static gboolean
slot_name_usable (const char *name)
{
  g_autofree char *id = g_strconcat ("slot-", name, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  if (hotplug_id_is_valid (id, &error))
    return TRUE;
  path = g_build_filename ("/sys/bus/pci/slots", name, NULL);
  hotplug_log_ratelimited (G_LOG_LEVEL_WARNING, path, TOPIC, NULL, NULL, NULL,
                           "slot left out: its unit id %s", error->message);
  return FALSE;
}

void
hotplug_platform_slot_refresh (HotplugPlatform *self, const char *name)
{
  HotplugSlot *s = g_hash_table_lookup (self->slots, name);
  g_autofree char *dir = hotplug_sysfs_build ("/sys/bus/pci/slots", name, NULL);
  g_autofree char *address_path = g_build_filename (dir, "address", NULL);
  g_autofree char *adapter_path = g_build_filename (dir, "adapter", NULL);
  g_autofree char *power_path = g_build_filename (dir, "power", NULL);
  g_autofree char *address = NULL;
  g_autofree char *adapter = NULL;
  g_autoptr(GError) error = NULL;
  unsigned dom, bus;
  int end = 0;

  if (s == NULL)
    {
      if (!slot_name_usable (name))
        return;
      s = g_new0 (HotplugSlot, 1);
      s->name = g_strdup (name);
      g_hash_table_insert (self->slots, s->name, s);
    }
  s->gen = self->gen;
  s->power_control = g_file_test (power_path, G_FILE_TEST_EXISTS);

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

void
hotplug_platform_rescan_slots (HotplugPlatform *self)
{
  g_autofree char *dirpath = hotplug_sysfs_path ("/sys/bus/pci/slots");
  g_autoptr(GDir) dir = g_dir_open (dirpath, 0, NULL);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  HotplugSlot *s;
  const char *name;

  /* the kernel has no uevents for slot directories: they come and go with
   * their hotplug controller, so look at them on every pass */
  while (dir && (name = g_dir_read_name (dir)) != NULL)
    {
      hotplug_platform_slot_refresh (self, name);
      s = g_hash_table_lookup (self->slots, name);
      if (s)
        g_hash_table_add (seen, s->name);
    }
  g_hash_table_iter_init (&iter, self->slots);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &s))
    if (!g_hash_table_contains (seen, s->name))
      g_hash_table_iter_remove (&iter);
}


/* --- PCI topology ------------------------------------------------------ */

static int
cmp_pci_devpath (gconstpointer a, gconstpointer b)
{
  const HotplugPciDev *x = *(HotplugPciDev *const *) a, *y = *(HotplugPciDev *const *) b;

  /* BDFs have a fixed width, so byte order of the paths is depth first */
  return strcmp (x->devpath, y->devpath);
}

GPtrArray *
hotplug_platform_sorted_pci (HotplugPlatform *self)
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
HotplugSlot *
hotplug_platform_slot_of_dev (HotplugPlatform *self, GHashTable *by_bus, HotplugPciDev *d, guint *depth)
{
  guint hops = 0;

  for (HotplugPciDev *cur = d; cur; hops++)
    {
      char key[16];
      HotplugSlot *s;

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

GHashTable *
hotplug_platform_slots_by_bus (HotplugPlatform *self)
{
  GHashTable *by_bus = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GHashTableIter iter;
  HotplugSlot *s;

  g_hash_table_iter_init (&iter, self->slots);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &s))
    if (s->address_valid)
      g_hash_table_insert (by_bus, g_strdup_printf ("%04x:%02x", s->domain, s->bus), s);
  return by_bus;
}

/* The root bus (pci0000:40) a slot's bus is below: the bridge whose bus
 * range holds it, or a device on it, or the root bus of that number. */
const char *
hotplug_platform_root_bus_of_slot (HotplugSlot *s, GPtrArray *all)
{
  const char *best = NULL;
  guint best_depth = 0;

  for (guint i = 0; i < all->len; i++)
    {
      HotplugPciDev *d = g_ptr_array_index (all, i);

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

void
hotplug_platform_free_memory_devices (HotplugMemoryDeviceFunc found, gpointer user_data)
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
      found (id, hotplug_sysfs_unroot (real), blocks, user_data);
    }
}
