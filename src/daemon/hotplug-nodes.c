/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>

#include "hotplug-platform-private.h"
#include "hotplug-util.h"

/* Which NUMA node each CPU and memory block is on: from the node
 * directories' listing during an enumeration, else from the device's own
 * directory. */

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

      if (hotplug_parse_index (de->d_name, "node", &n))
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

gint32
hotplug_platform_node_of (HotplugPlatform *self, gboolean block, guint n, const char *dir)
{
  GArray *listed = block ? self->block_nodes : self->cpu_nodes;

  if (listed && n < listed->len && g_array_index (listed, gint32, n) >= 0)
    return g_array_index (listed, gint32, n);
  return read_node (dir, block ? &self->block_node_hint : &self->cpu_node_hint);
}

static void
set_listed_node (GArray *listed, guint n, gint32 node)
{
  const gint32 unknown = -1;

  while (listed->len <= n)
    g_array_append_val (listed, unknown);
  g_array_index (listed, gint32, n) = node;
}

/* One node directory: its cpuN and memoryN links */
static void
list_node (HotplugPlatform *self, const char *dirpath, gint32 node)
{
  DIR *d = opendir (dirpath);
  struct dirent *de;

  if (d == NULL)
    return;
  while ((de = readdir (d)) != NULL)
    {
      guint n;

      if (hotplug_parse_index (de->d_name, "cpu", &n))
        set_listed_node (self->cpu_nodes, n, node);
      else if (hotplug_parse_index (de->d_name, "memory", &n))
        set_listed_node (self->block_nodes, n, node);
    }
  closedir (d);
}

/* The kernel links every CPU and memory block of a node from the node's
 * directory: 16 listings on the large machine where a look-up in each
 * device's directory would be 17,408 system calls.  A device the listing
 * does not name (one added since) is looked up in its own directory. */
void
hotplug_platform_read_nodes (HotplugPlatform *self)
{
  g_autofree char *dirpath = hotplug_sysfs_path ("/sys/devices/system/node");
  g_autoptr(GDir) dir = g_dir_open (dirpath, 0, NULL);
  const char *name;

  g_return_if_fail (HOTPLUG_IS_PLATFORM (self));

  hotplug_platform_forget_nodes (self);
  if (dir == NULL)
    return;
  self->cpu_nodes = g_array_new (FALSE, FALSE, sizeof (gint32));
  self->block_nodes = g_array_new (FALSE, FALSE, sizeof (gint32));
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      guint node;

      if (!hotplug_parse_index (name, "node", &node))
        continue;
      path = g_build_filename (dirpath, name, NULL);
      list_node (self, path, (gint32) node);
    }
}

void
hotplug_platform_forget_nodes (HotplugPlatform *self)
{
  g_clear_pointer (&self->cpu_nodes, g_array_unref);
  g_clear_pointer (&self->block_nodes, g_array_unref);
}
