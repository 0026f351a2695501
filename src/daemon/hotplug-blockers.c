/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "hotplug-blockers-private.h"
#include "hotplug-error.h"
#include "hotplug-util.h"

/* --- blockers and facts ----------------------------------------------- */

void
hotplug_blocker_free (HotplugBlocker *blocker)
{
  if (blocker == NULL)
    return;
  g_free (blocker->kind);
  g_free (blocker->object);
  g_free (blocker->detail);
  g_free (blocker->process);
  g_free (blocker);
}

HotplugBlocker *
hotplug_blocker_new (const char *kind, const char *object, const char *detail, const char *process)
{
  HotplugBlocker *b = g_new0 (HotplugBlocker, 1);

  /* mount points, device paths, interface and process names are anyone's
   * bytes: they go on the bus as valid UTF-8 */
  b->kind = g_strdup (kind);
  b->object = hotplug_utf8_sanitize (object, -1, 0);
  b->detail = hotplug_utf8_sanitize (detail, -1, 0);
  b->process = hotplug_utf8_sanitize (process, -1, 0);
  return b;
}

HotplugBlockerFacts *
hotplug_blocker_facts_new (const char *id, GArray *cpus, GArray *blocks, const char * const *pci_devices)
{
  HotplugBlockerFacts *f = g_new0 (HotplugBlockerFacts, 1);

  f->id = g_strdup (id);
  f->cpus = g_array_new (FALSE, FALSE, sizeof (guint));
  f->blocks = g_array_new (FALSE, FALSE, sizeof (guint));
  if (cpus)
    g_array_append_vals (f->cpus, cpus->data, cpus->len);
  if (blocks)
    g_array_append_vals (f->blocks, blocks->data, blocks->len);
  f->other_online = -1;
  f->pci_devices = g_strdupv ((char **) pci_devices);
  if (f->pci_devices == NULL)
    f->pci_devices = g_new0 (char *, 1);
  return f;
}

void
hotplug_blocker_facts_free (HotplugBlockerFacts *facts)
{
  if (facts == NULL)
    return;
  g_free (facts->id);
  g_array_unref (facts->cpus);
  g_array_unref (facts->blocks);
  g_strfreev (facts->pci_devices);
  g_free (facts);
}

/* The order clients see: what holds data first, then what holds the CPUs. */
static const char *const kind_order[] = {
  "mount", "swap", "holder", "open", "netdev", "cpu-affinity", "irq-affinity", "memory", NULL
};

static guint
kind_rank (const char *kind)
{
  for (guint i = 0; kind_order[i]; i++)
    if (g_str_equal (kind, kind_order[i]))
      return i;
  return G_N_ELEMENTS (kind_order);
}

static int
cmp_blockers (gconstpointer a, gconstpointer b)
{
  const HotplugBlocker *x = *(HotplugBlocker **) a, *y = *(HotplugBlocker **) b;
  guint rx = kind_rank (x->kind), ry = kind_rank (y->kind);
  int c;

  if (rx != ry)
    return rx < ry ? -1 : 1;
  if ((c = g_strcmp0 (x->object, y->object)) != 0)
    return c;
  if ((c = g_strcmp0 (x->process, y->process)) != 0)
    return c;
  return g_strcmp0 (x->detail, y->detail);
}

void
hotplug_blockers_sort (GPtrArray *blockers)
{
  g_ptr_array_sort (blockers, cmp_blockers);
}

GVariant *
hotplug_blockers_to_variant (GPtrArray *blockers)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(ssss)"));
  for (guint i = 0; blockers && i < blockers->len; i++)
    {
      HotplugBlocker *x = g_ptr_array_index (blockers, i);

      g_variant_builder_add (&b, "(ssss)", x->kind, x->object, x->detail, x->process);
    }
  return g_variant_builder_end (&b);
}

char *
hotplug_blockers_describe (GPtrArray *blockers)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; blockers && i < blockers->len; i++)
    {
      HotplugBlocker *x = g_ptr_array_index (blockers, i);

      if (s->len)
        g_string_append (s, "; ");
      g_string_append_printf (s, "%s %s", x->kind, x->object);
      if (*x->detail)
        g_string_append_printf (s, " (%s)", x->detail);
      if (*x->process)
        g_string_append_printf (s, " by %s", x->process);
    }
  return g_string_free (s, FALSE);
}

/* --- parsers ---------------------------------------------------------- */

char *
hotplug_blockers_unescape (const char *text)
{
  GString *s = g_string_sized_new (strlen (text));

  for (const char *p = text; *p; p++)
    {
      if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
          p[3] >= '0' && p[3] <= '7')
        {
          g_string_append_c (s, (char) (((p[1] - '0') << 6) | ((p[2] - '0') << 3) | (p[3] - '0')));
          p += 3;
        }
      else
        g_string_append_c (s, *p);
    }
  return g_string_free (s, FALSE);
}

/* "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw":
 * mount id, parent id, major:minor, root, mount point, options, optional
 * fields up to "-", then type, source, super options. */
gboolean
hotplug_blockers_parse_mountinfo_line (const char *line, guint *major, guint *minor, char **mount_point,
                                       char **fstype, char **source)
{
  g_auto(GStrv) f = g_strsplit_set (line, " \t\n", -1);
  guint n = f ? g_strv_length (f) : 0;
  guint sep;

  if (n < 10 || sscanf (f[2], "%u:%u", major, minor) != 2)
    return FALSE;
  for (sep = 6; sep < n && !g_str_equal (f[sep], "-"); sep++)
    ;
  if (sep + 2 >= n)
    return FALSE;
  *mount_point = hotplug_blockers_unescape (f[4]);
  *fstype = hotplug_blockers_unescape (f[sep + 1]);
  *source = hotplug_blockers_unescape (f[sep + 2]);
  return TRUE;
}

/* "/dev/vda2   partition  1048572  0  -2" (the header starts "Filename") */
gboolean
hotplug_blockers_parse_swaps_line (const char *line, char **filename, char **type)
{
  g_auto(GStrv) f = g_strsplit_set (line, " \t", -1);
  const char *fields[2] = { NULL, NULL };
  guint k = 0;

  for (guint i = 0; f[i] && k < 2; i++)
    if (*f[i])
      fields[k++] = f[i];
  if (k < 2 || g_str_equal (fields[0], "Filename"))
    return FALSE;
  *filename = hotplug_blockers_unescape (fields[0]);
  *type = g_strdup (fields[1]);
  return TRUE;
}

GArray *
hotplug_blockers_parse_status (const char *status, gboolean *kernel_thread)
{
  g_auto(GStrv) lines = g_strsplit (status, "\n", -1);
  GArray *cpus = NULL;

  *kernel_thread = FALSE;
  for (guint i = 0; lines[i]; i++)
    {
      if (g_str_has_prefix (lines[i], "Cpus_allowed_list:"))
        cpus = hotplug_list_parse (g_strstrip (lines[i] + strlen ("Cpus_allowed_list:")), NULL);
      else if (g_str_has_prefix (lines[i], "PPid:"))
        *kernel_thread = g_strcmp0 (g_strstrip (lines[i] + strlen ("PPid:")), "2") == 0;
      else if (g_str_has_prefix (lines[i], "Pid:"))
        *kernel_thread |= g_strcmp0 (g_strstrip (lines[i] + strlen ("Pid:")), "2") == 0;
    }
  return cpus;
}

gboolean
hotplug_blockers_set_within (GArray *set, GArray *cpus)
{
  guint j = 0;

  if (set == NULL || set->len == 0 || cpus->len == 0)
    return FALSE;
  /* both sorted */
  for (guint i = 0; i < set->len; i++)
    {
      guint v = g_array_index (set, guint, i);

      while (j < cpus->len && g_array_index (cpus, guint, j) < v)
        j++;
      if (j == cpus->len || g_array_index (cpus, guint, j) != v)
        return FALSE;
    }
  return TRUE;
}

gboolean
hotplug_blockers_affinity_within (const char *list, GArray *cpus)
{
  g_autoptr(GArray) set = NULL;
  g_autofree char *text = g_strstrip (g_strdup (list));

  if (*text == '\0')
    return FALSE;
  set = hotplug_list_parse (text, NULL);
  return hotplug_blockers_set_within (set, cpus);
}

/* --- small file helpers ------------------------------------------------ */

char *
hotplug_blockers_read_at (int dfd, const char *name)
{
  char buf[4096];
  ssize_t n;
  int fd = openat (dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);

  if (fd < 0)
    return NULL;
  n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n < 0)
    return NULL;
  buf[n] = '\0';
  return g_strstrip (g_strdup (buf));
}

char *
hotplug_blockers_read_file (const char *path)
{
  return hotplug_blockers_read_at (AT_FDCWD, path);
}

gboolean
hotplug_blockers_read_devnum (const char *dir, dev_t *dev)
{
  g_autofree char *path = g_build_filename (dir, "dev", NULL);
  g_autofree char *text = hotplug_blockers_read_file (path);
  guint ma, mi;

  if (text == NULL || sscanf (text, "%u:%u", &ma, &mi) != 2)
    return FALSE;
  /* a simulated disk that no real device backs reads 0:0: it matches
   * nothing, and the host's own disks must never be taken for it */
  if (ma == 0)
    return FALSE;
  *dev = makedev (ma, mi);
  return TRUE;
}

/* --- the block devices and interfaces below PCI devices ----------------- */

static void add_disk (HotplugBlockerDevs *devs, const char *dir, const char *via, guint depth);

static void
add_dev (HotplugBlockerDevs *devs, const char *dir, const char *via)
{
  g_autofree char *name = g_path_get_basename (dir);
  dev_t dev;
  HotplugBlockerDev *d;

  if (!hotplug_blockers_read_devnum (dir, &dev) ||
      g_hash_table_contains (devs->by_dev, &dev))
    return;
  d = g_new0 (HotplugBlockerDev, 1);
  d->dev = dev;
  d->name = g_steal_pointer (&name);
  d->via = g_strdup (via);
  g_hash_table_insert (devs->by_dev, &d->dev, d);
  g_ptr_array_add (devs->list, d);
}

/* What is stacked on a block device: dm, md, loop, each a disk of its own
 * (its holders dir names it; /sys/class/block leads to it). */
static void
add_holders (HotplugBlockerDevs *devs, const char *dir, const char *held, guint depth)
{
  g_autofree char *holders = g_build_filename (dir, "holders", NULL);
  g_autoptr(GDir) d = g_dir_open (holders, 0, NULL);
  const char *e;

  while (d && (e = g_dir_read_name (d)))
    {
      g_autofree char *rel = g_strdup_printf ("/sys/class/block/%s", e);
      g_autofree char *link = hotplug_sysfs_path (rel);
      g_autofree char *real = realpath (link, NULL);
      g_autofree char *detail = NULL;

      if (real == NULL)
        continue;
      detail = g_strdup_printf ("holds %s", held);
      g_ptr_array_add (devs->holders, hotplug_blocker_new ("holder", e, detail, ""));
      add_disk (devs, real, held, depth + 1);
    }
}

static void
add_disk (HotplugBlockerDevs *devs, const char *dir, const char *via, guint depth)
{
  g_autoptr(GDir) d = NULL;
  g_autofree char *name = g_path_get_basename (dir);
  const char *e;

  /* holders of holders are followed, but never in a loop */
  if (depth > 8)
    return;
  add_dev (devs, dir, via);
  add_holders (devs, dir, name, depth);
  d = g_dir_open (dir, 0, NULL);
  while (d && (e = g_dir_read_name (d)))
    {
      g_autofree char *part = g_build_filename (dir, e, NULL);
      g_autofree char *marker = g_build_filename (part, "partition", NULL);

      if (!g_file_test (marker, G_FILE_TEST_EXISTS))
        continue;
      add_dev (devs, part, via);
      add_holders (devs, part, e, depth);
    }
}

static void
check_netdev (HotplugBlockerDevs *devs, const char *dir)
{
  g_autofree char *ifname = g_path_get_basename (dir);
  g_autofree char *fpath = g_build_filename (dir, "flags", NULL);
  g_autofree char *opath = g_build_filename (dir, "operstate", NULL);
  g_autofree char *flags = hotplug_blockers_read_file (fpath);
  g_autofree char *oper = hotplug_blockers_read_file (opath);
  g_autofree char *detail = NULL;
  gboolean up;

  /* IFF_UP: the administrator brought it up, whether a cable is in or not */
  if (flags)
    up = (g_ascii_strtoull (flags, NULL, 16) & 0x1) != 0;
  else
    up = g_strcmp0 (oper, "up") == 0;
  if (!up)
    return;
  detail = g_strdup_printf ("up, operstate %s", oper ? oper : "unknown");
  g_ptr_array_add (devs->netdevs, hotplug_blocker_new ("netdev", ifname, detail, ""));
}

static gboolean
below_any (GPtrArray *tops, const char *path)
{
  for (guint i = 0; i < tops->len; i++)
    {
      const char *top = g_ptr_array_index (tops, i);
      gsize n = strlen (top);

      if (strncmp (path, top, n) == 0 && path[n] == '/')
        return TRUE;
    }
  return FALSE;
}

/* The disks, partitions and interfaces of the kernel's classes whose device
 * lies below one of @tops.  The class directories find them whatever the
 * layout in between (virtio0/block/vda, nvme/nvme0/nvme0n1 with no block
 * directory at all, host0/target0:0:0/0:0:0:0/block/sda). */
typedef struct
{
  char *name;
  char *real;
} ClassEntry;

struct _HotplugBlockerClasses
{
  GPtrArray *block, *net;   /* ClassEntry */
};

static void
class_entry_free (ClassEntry *e)
{
  g_free (e->name);
  g_free (e->real);
  g_free (e);
}

static GPtrArray *
read_class (const char *class)
{
  g_autofree char *dir = hotplug_sysfs_path (class);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  GPtrArray *entries = g_ptr_array_new_with_free_func ((GDestroyNotify) class_entry_free);
  const char *e;

  while (d && (e = g_dir_read_name (d)))
    {
      g_autofree char *link = g_build_filename (dir, e, NULL);
      char *real = realpath (link, NULL);
      ClassEntry *c;

      if (real == NULL)
        continue;
      c = g_new0 (ClassEntry, 1);
      c->name = g_strdup (e);
      c->real = real;
      g_ptr_array_add (entries, c);
    }
  return entries;
}

HotplugBlockerClasses *
hotplug_blocker_classes_read (void)
{
  HotplugBlockerClasses *classes = g_new0 (HotplugBlockerClasses, 1);

  classes->block = read_class ("/sys/class/block");
  classes->net = read_class ("/sys/class/net");
  return classes;
}

void
hotplug_blocker_classes_free (HotplugBlockerClasses *classes)
{
  if (classes == NULL)
    return;
  g_ptr_array_unref (classes->block);
  g_ptr_array_unref (classes->net);
  g_free (classes);
}

static void
scan_class (HotplugBlockerDevs *devs, GPtrArray *tops, GPtrArray *entries, gboolean block)
{
  for (guint i = 0; i < entries->len; i++)
    {
      ClassEntry *c = g_ptr_array_index (entries, i);

      if (!below_any (tops, c->real))
        continue;
      if (block)
        {
          add_dev (devs, c->real, NULL);
          add_holders (devs, c->real, c->name, 0);
        }
      else
        check_netdev (devs, c->real);
    }
}

static void
dev_free (HotplugBlockerDev *d)
{
  g_free (d->name);
  g_free (d->via);
  g_free (d);
}

void
hotplug_blocker_devs_free (HotplugBlockerDevs *devs)
{
  if (devs == NULL)
    return;
  g_hash_table_unref (devs->by_dev);
  g_ptr_array_unref (devs->list);
  g_ptr_array_unref (devs->holders);
  g_ptr_array_unref (devs->netdevs);
  g_free (devs);
}

HotplugBlockerDevs *
hotplug_blocker_devs_find_in (const char * const *pci_devices, HotplugBlockerClasses *classes)
{
  HotplugBlockerDevs *devs = g_new0 (HotplugBlockerDevs, 1);
  g_autoptr(GPtrArray) tops = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(HotplugBlockerClasses) own = NULL;

  devs->by_dev = g_hash_table_new (g_int64_hash, g_int64_equal);
  devs->list = g_ptr_array_new_with_free_func ((GDestroyNotify) dev_free);
  devs->holders = g_ptr_array_new_with_free_func ((GDestroyNotify) hotplug_blocker_free);
  devs->netdevs = g_ptr_array_new_with_free_func ((GDestroyNotify) hotplug_blocker_free);
  G_STATIC_ASSERT (sizeof (dev_t) == sizeof (gint64));

  for (guint i = 0; pci_devices && pci_devices[i]; i++)
    {
      g_autofree char *rel = g_strdup_printf ("/sys/bus/pci/devices/%s", pci_devices[i]);
      g_autofree char *link = hotplug_sysfs_path (rel);
      char *real = realpath (link, NULL);

      if (real)
        g_ptr_array_add (tops, real);
    }
  if (tops->len > 0)
    {
      if (classes == NULL)
        classes = own = hotplug_blocker_classes_read ();
      scan_class (devs, tops, classes->block, TRUE);
      scan_class (devs, tops, classes->net, FALSE);
    }
  return devs;
}

HotplugBlockerDevs *
hotplug_blocker_devs_find (const char * const *pci_devices)
{
  return hotplug_blocker_devs_find_in (pci_devices, NULL);
}

/* --- flushing before a device goes ------------------------------------- */

/* The device node of a block device: /dev/block/MAJ:MIN where udev made
 * it, /dev/NAME when its numbers match, else any node in /dev that does
 * (under the simulator: the loop device backing a simulated disk). */
char *
hotplug_blockers_find_node (dev_t dev, const char *name)
{
  g_autofree char *byblock = g_strdup_printf ("/dev/block/%u:%u", major (dev), minor (dev));
  g_autofree char *byname = g_strdup_printf ("/dev/%s", name);
  g_autoptr(GDir) d = NULL;
  struct stat st;
  const char *e;

  if (stat (byblock, &st) == 0 && S_ISBLK (st.st_mode) && st.st_rdev == dev)
    return g_steal_pointer (&byblock);
  if (stat (byname, &st) == 0 && S_ISBLK (st.st_mode) && st.st_rdev == dev)
    return g_steal_pointer (&byname);
  d = g_dir_open ("/dev", 0, NULL);
  while (d && (e = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename ("/dev", e, NULL);

      if (stat (p, &st) == 0 && S_ISBLK (st.st_mode) && st.st_rdev == dev)
        return g_steal_pointer (&p);
    }
  return NULL;
}

/* Straight to the kernel: under the simulator, umockdev's preload wraps
 * open() and ioctl() of device nodes and answers them itself, while the
 * disk behind a simulated one is a real block device that must really be
 * flushed. */
static gboolean
flush_one (const char *node, GError **error)
{
  int fd = (int) syscall (SYS_openat, AT_FDCWD, node, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  int saved;

  if (fd < 0)
    {
      saved = errno;
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED, "cannot open %s: %s", node, g_strerror (saved));
      return FALSE;
    }
  if (fsync (fd) < 0 || syscall (SYS_ioctl, fd, BLKFLSBUF, 0) < 0)
    {
      saved = errno;
      close (fd);
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED, "cannot flush %s: %s", node, g_strerror (saved));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

gboolean
hotplug_blockers_flush_pci_device (const char *bdf, GError **error)
{
  const char *const list[] = { bdf, NULL };
  g_autoptr(HotplugBlockerDevs) devs = hotplug_blocker_devs_find (list);
  gboolean ok = TRUE;

  for (guint i = 0; i < devs->list->len; i++)
    {
      HotplugBlockerDev *d = g_ptr_array_index (devs->list, i);
      g_autofree char *node = NULL;
      g_autoptr(GError) local = NULL;

      /* the device's own disks and partitions; holders are not going away */
      if (d->via != NULL)
        continue;
      node = hotplug_blockers_find_node (d->dev, d->name);
      if (node == NULL)
        continue;
      if (!flush_one (node, &local) && ok)
        {
          ok = FALSE;
          g_propagate_error (error, g_steal_pointer (&local));
        }
    }
  return ok;
}
