/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "hotplug-sim-storage.h"

struct _HotplugSimStorage
{
  HotplugSimMachine *m;
  char              *sys;       /* the simulated sysfs root */
  GHashTable        *backing;   /* disk name → device node */
  GHashTable        *holders;   /* disk or partition name → device node */
  GHashTable        *up;        /* interface name → "1" while up */
};

HotplugSimStorage *
hotplug_sim_storage_new (HotplugSimMachine *machine, const char *sys)
{
  HotplugSimStorage *self = g_new0 (HotplugSimStorage, 1);

  self->m = machine;
  self->sys = g_strdup (sys);
  self->backing = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->holders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->up = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < machine->devs->len; i++)
    {
      HotplugSimDev *d = g_ptr_array_index (machine->devs, i);

      if (d->net && d->net_up)
        g_hash_table_add (self->up, g_strdup (d->net));
    }
  return self;
}

void
hotplug_sim_storage_free (HotplugSimStorage *self)
{
  if (self == NULL)
    return;
  g_free (self->sys);
  g_hash_table_unref (self->backing);
  g_hash_table_unref (self->holders);
  g_hash_table_unref (self->up);
  g_free (self);
}

/* --- files ------------------------------------------------------------- */

static void
put (const char *dir, const char *name, const char *value)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  gsize len = strlen (value);

  if (fd < 0 || (len && write (fd, value, len) != (ssize_t) len))
    g_warning ("cannot write %s: %s", path, g_strerror (errno));
  if (fd >= 0)
    close (fd);
}

/* LINK -> TARGET as a relative link, so that it resolves inside the tree
 * whoever looks at it (both are absolute paths below the sysfs root). */
static void
link_to (const char *link, const char *target)
{
  g_autofree char *dir = g_path_get_dirname (link);
  g_auto(GStrv) from = g_strsplit (dir, "/", -1);
  g_auto(GStrv) to = g_strsplit (target, "/", -1);
  GString *rel = g_string_new (NULL);
  guint common = 0;
  g_autofree char *text = NULL;

  while (from[common] && to[common] && g_str_equal (from[common], to[common]))
    common++;
  for (guint i = common; from[i]; i++)
    if (*from[i])
      g_string_append (rel, "../");
  for (guint i = common; to[i]; i++)
    g_string_append_printf (rel, "%s%s", to[i], to[i + 1] ? "/" : "");
  text = g_string_free (rel, FALSE);
  g_mkdir_with_parents (dir, 0755);
  unlink (link);
  if (symlink (text, link) < 0)
    g_warning ("cannot link %s: %s", link, g_strerror (errno));
}

static void
rm_tree (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileEnumerator) e = NULL;
  GFileInfo *info;
  struct stat st;

  if (lstat (path, &st) < 0)
    return;
  if (!S_ISDIR (st.st_mode))
    {
      unlink (path);
      return;
    }
  e = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                                 NULL, NULL);
  while (e && (info = g_file_enumerator_next_file (e, NULL, NULL)))
    {
      g_autofree char *child = g_build_filename (path, g_file_info_get_name (info), NULL);

      rm_tree (child);
      g_object_unref (info);
    }
  rmdir (path);
}

/* "MAJ:MIN" of a block device node, "0:0" for none. */
static char *
numbers_of (const char *node)
{
  struct stat st;

  if (node && stat (node, &st) == 0 && S_ISBLK (st.st_mode))
    return g_strdup_printf ("%u:%u", major (st.st_rdev), minor (st.st_rdev));
  return g_strdup ("0:0");
}

static char *
part_name (const char *disk, guint n)
{
  return g_ascii_isdigit (disk[strlen (disk) - 1]) ? g_strdup_printf ("%sp%u", disk, n)
                                                   : g_strdup_printf ("%s%u", disk, n);
}

/* the node of partition n of a backing device: NODEpN (loop3p1) or NODEN */
static char *
backing_part (const char *node, guint n)
{
  g_autofree char *p = node ? g_strdup_printf ("%sp%u", node, n) : NULL;
  struct stat st;

  if (node == NULL)
    return NULL;
  if (stat (p, &st) == 0 && S_ISBLK (st.st_mode))
    return g_steal_pointer (&p);
  return g_strdup_printf ("%s%u", node, n);
}

/* --- disks ------------------------------------------------------------- */

static char *
disk_dir (HotplugSimStorage *self, HotplugSimDev *d)
{
  return g_build_filename (self->sys, d->path, "block", d->block, NULL);
}

static void
put_numbers (const char *dir, const char *name, const char *node, const char *devtype)
{
  g_autofree char *numbers = numbers_of (node);
  g_autofree char *uevent = NULL;
  guint ma = 0, mi = 0;

  sscanf (numbers, "%u:%u", &ma, &mi);
  uevent = g_strdup_printf ("MAJOR=%u\nMINOR=%u\nDEVNAME=%s\nDEVTYPE=%s\n", ma, mi, name, devtype);
  put (dir, "dev", numbers);
  put (dir, "uevent", uevent);
}

static void
create_holders (HotplugSimStorage *self, const char *dir, const char *name)
{
  const char *node = g_hash_table_lookup (self->holders, name);
  g_autofree char *holders = g_build_filename (dir, "holders", NULL);
  g_autofree char *hname = NULL;
  g_autofree char *hdir = NULL;
  g_autofree char *link = NULL;
  g_autofree char *cls = NULL;

  rm_tree (holders);
  g_mkdir_with_parents (holders, 0755);
  if (node == NULL)
    return;
  hname = g_path_get_basename (node);
  hdir = g_build_filename (self->sys, "devices/virtual/block", hname, NULL);
  g_mkdir_with_parents (hdir, 0755);
  put_numbers (hdir, hname, node, "disk");
  link = g_build_filename (holders, hname, NULL);
  link_to (link, hdir);
  cls = g_build_filename (self->sys, "class/block", hname, NULL);
  link_to (cls, hdir);
}

static void
destroy_holder (HotplugSimStorage *self, const char *name)
{
  const char *node = g_hash_table_lookup (self->holders, name);
  g_autofree char *hname = node ? g_path_get_basename (node) : NULL;
  g_autofree char *hdir = NULL;
  g_autofree char *cls = NULL;

  if (hname == NULL)
    return;
  hdir = g_build_filename (self->sys, "devices/virtual/block", hname, NULL);
  cls = g_build_filename (self->sys, "class/block", hname, NULL);
  unlink (cls);
  rm_tree (hdir);
}

/* dev of the disk and its partitions from the current backing */
static void
write_disk (HotplugSimStorage *self, HotplugSimDev *d)
{
  g_autofree char *dir = disk_dir (self, d);
  const char *node = g_hash_table_lookup (self->backing, d->block);

  put_numbers (dir, d->block, node, "disk");
  create_holders (self, dir, d->block);
  for (guint i = 1; i <= d->partitions; i++)
    {
      g_autofree char *part = part_name (d->block, i);
      g_autofree char *pdir = g_build_filename (dir, part, NULL);
      const char *own = g_hash_table_lookup (self->backing, part);
      g_autofree char *pnode = own ? g_strdup (own) : backing_part (node, i);

      put_numbers (pdir, part, pnode, "partition");
      create_holders (self, pdir, part);
    }
}

static void
create_disk (HotplugSimStorage *self, HotplugSimDev *d)
{
  g_autofree char *dir = disk_dir (self, d);
  g_autofree char *blk = g_build_filename (self->sys, "block", d->block, NULL);
  g_autofree char *cls = g_build_filename (self->sys, "class/block", d->block, NULL);

  g_mkdir_with_parents (dir, 0755);
  put (dir, "size", "2097152\n");
  put (dir, "removable", "0\n");
  put (dir, "ro", "0\n");
  for (guint i = 1; i <= d->partitions; i++)
    {
      g_autofree char *part = part_name (d->block, i);
      g_autofree char *pdir = g_build_filename (dir, part, NULL);
      g_autofree char *pcls = g_build_filename (self->sys, "class/block", part, NULL);
      g_autofree char *num = g_strdup_printf ("%u\n", i);
      g_autofree char *start = g_strdup_printf ("%u\n", 2048 + (i - 1) * (2093056 / d->partitions));
      g_autofree char *size = g_strdup_printf ("%u\n", 2093056 / d->partitions);

      g_mkdir_with_parents (pdir, 0755);
      put (pdir, "partition", num);
      put (pdir, "start", start);
      put (pdir, "size", size);
      link_to (pcls, pdir);
    }
  write_disk (self, d);
  link_to (blk, dir);
  link_to (cls, dir);
}

static void
destroy_disk (HotplugSimStorage *self, HotplugSimDev *d)
{
  g_autofree char *blk = g_build_filename (self->sys, "block", d->block, NULL);
  g_autofree char *cls = g_build_filename (self->sys, "class/block", d->block, NULL);

  unlink (blk);
  unlink (cls);
  destroy_holder (self, d->block);
  for (guint i = 1; i <= d->partitions; i++)
    {
      g_autofree char *part = part_name (d->block, i);
      g_autofree char *pcls = g_build_filename (self->sys, "class/block", part, NULL);

      unlink (pcls);
      destroy_holder (self, part);
    }
}

/* --- network interfaces ------------------------------------------------ */

static void
write_net (HotplugSimStorage *self, HotplugSimDev *d)
{
  g_autofree char *dir = g_build_filename (self->sys, d->path, "net", d->net, NULL);
  gboolean up = g_hash_table_contains (self->up, d->net);

  /* IFF_BROADCAST | IFF_MULTICAST, and IFF_UP while up */
  put (dir, "flags", up ? "0x1003\n" : "0x1002\n");
  put (dir, "operstate", up ? "up\n" : "down\n");
  put (dir, "carrier", up ? "1\n" : "0\n");
}

static void
create_net (HotplugSimStorage *self, HotplugSimDev *d)
{
  g_autofree char *dir = g_build_filename (self->sys, d->path, "net", d->net, NULL);
  g_autofree char *cls = g_build_filename (self->sys, "class/net", d->net, NULL);
  g_autofree char *uevent = NULL;
  g_autofree char *ifindex = NULL;
  g_autofree char *address = NULL;
  guint index = 2;

  for (guint i = 0; i < self->m->devs->len && g_ptr_array_index (self->m->devs, i) != d; i++)
    index += ((HotplugSimDev *) g_ptr_array_index (self->m->devs, i))->net != NULL;
  ifindex = g_strdup_printf ("%u\n", index);
  uevent = g_strdup_printf ("INTERFACE=%s\nIFINDEX=%u\n", d->net, index);
  address = g_strdup_printf ("02:00:00:%02x:%02x:%02x\n", d->bus, d->devfn >> 3, d->devfn & 7);
  g_mkdir_with_parents (dir, 0755);
  put (dir, "ifindex", ifindex);
  put (dir, "uevent", uevent);
  put (dir, "address", address);
  put (dir, "type", "1\n");
  write_net (self, d);
  link_to (cls, dir);
}

void
hotplug_sim_storage_create (HotplugSimStorage *self, HotplugSimDev *dev)
{
  if (dev->block)
    create_disk (self, dev);
  if (dev->net)
    create_net (self, dev);
}

void
hotplug_sim_storage_destroy (HotplugSimStorage *self, HotplugSimDev *dev)
{
  if (dev->block)
    destroy_disk (self, dev);
  if (dev->net)
    {
      g_autofree char *cls = g_build_filename (self->sys, "class/net", dev->net, NULL);

      unlink (cls);
    }
}

/* --- ctl --------------------------------------------------------------- */

gboolean
hotplug_sim_storage_handles (const char *verb)
{
  return g_strv_contains ((const char * const[]) { "back", "hold", "link", NULL }, verb);
}

/* The device whose disk is @name or has a partition @name. */
static HotplugSimDev *
find_disk (HotplugSimStorage *self, const char *name, gboolean partitions)
{
  for (guint i = 0; i < self->m->devs->len; i++)
    {
      HotplugSimDev *d = g_ptr_array_index (self->m->devs, i);

      if (d->block == NULL)
        continue;
      if (g_str_equal (d->block, name))
        return d;
      for (guint p = 1; partitions && p <= d->partitions; p++)
        {
          g_autofree char *part = part_name (d->block, p);

          if (g_str_equal (part, name))
            return d;
        }
    }
  return NULL;
}

static gboolean
check_node (const char *node, GError **error)
{
  struct stat st;

  if (g_str_equal (node, "none"))
    return TRUE;
  if (node[0] != '/' || stat (node, &st) < 0 || !S_ISBLK (st.st_mode))
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "'%s' is not a block device node (an absolute path such as /dev/loop3, or none)",
                        node), FALSE;
  return TRUE;
}

static gboolean
ctl_disk (HotplugSimStorage *self, char **argv, GError **error)
{
  gboolean hold = g_str_equal (argv[0], "hold");
  HotplugSimDev *d;

  if (argv[1] == NULL || argv[2] == NULL || argv[3] != NULL)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        hold ? "usage: hold DISK|PARTITION NODE|none" : "usage: back DISK|PARTITION NODE|none"),
           FALSE;
  d = find_disk (self, argv[1], TRUE);
  if (d == NULL)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no simulated disk or partition '%s'",
                        argv[1]), FALSE;
  if (!check_node (argv[2], error))
    return FALSE;
  if (hold && d->present)
    destroy_holder (self, argv[1]);
  if (g_str_equal (argv[2], "none"))
    g_hash_table_remove (hold ? self->holders : self->backing, argv[1]);
  else
    g_hash_table_replace (hold ? self->holders : self->backing, g_strdup (argv[1]), g_strdup (argv[2]));
  if (d->present)
    write_disk (self, d);
  return TRUE;
}

static gboolean
ctl_link (HotplugSimStorage *self, char **argv, GError **error)
{
  HotplugSimDev *d = NULL;

  if (argv[1] == NULL || argv[2] == NULL || argv[3] != NULL ||
      (!g_str_equal (argv[2], "up") && !g_str_equal (argv[2], "down")))
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "usage: link IFNAME up|down"), FALSE;
  for (guint i = 0; i < self->m->devs->len && d == NULL; i++)
    {
      HotplugSimDev *x = g_ptr_array_index (self->m->devs, i);

      if (x->net && g_str_equal (x->net, argv[1]))
        d = x;
    }
  if (d == NULL)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no simulated interface '%s'", argv[1]), FALSE;
  if (g_str_equal (argv[2], "up"))
    g_hash_table_add (self->up, g_strdup (argv[1]));
  else
    g_hash_table_remove (self->up, argv[1]);
  if (d->present)
    write_net (self, d);
  return TRUE;
}

gboolean
hotplug_sim_storage_control (HotplugSimStorage *self, char **argv, GString *out, GError **error)
{
  if (g_str_equal (argv[0], "link"))
    return ctl_link (self, argv, error);
  return ctl_disk (self, argv, error);
}
