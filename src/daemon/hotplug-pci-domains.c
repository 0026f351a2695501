/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "hotplug-platform-private.h"
#include "hotplug-util.h"

/* The model's view of PCI domains: their root buses and their devices in
 * the order a software disconnection stops them. */

GHashTable *
hotplug_platform_read_root_domains (void)
{
  GHashTable *domains = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *path = hotplug_sysfs_path ("/sys/devices");
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;
  unsigned dom, bus;
  char end;

  while (dir && (name = g_dir_read_name (dir)))
    if (sscanf (name, "pci%4x:%2x%c", &dom, &bus, &end) == 2)
      g_hash_table_add (domains, g_strdup_printf ("%04x", dom));
  return domains;
}

/* --- domains ------------------------------------------------------------ */

const char *
hotplug_platform_pci_driver (HotplugPlatform *self, const char *bdf)
{
  HotplugPciDev *d = g_hash_table_lookup (self->pci_devs, bdf);

  return d ? d->driver : NULL;
}

void
hotplug_domain_device_free (HotplugDomainDevice *device)
{
  g_free (device->bdf);
  g_free (device->parent);
  g_free (device->driver);
  g_free (device);
}

static int
cmp_deepest_first (gconstpointer a, gconstpointer b)
{
  const HotplugDomainDevice *x = *(HotplugDomainDevice **) a;
  const HotplugDomainDevice *y = *(HotplugDomainDevice **) b;

  if (x->depth != y->depth)
    return x->depth > y->depth ? -1 : 1;
  return -strcmp (x->bdf, y->bdf);
}

GPtrArray *
hotplug_platform_domain_devices (HotplugPlatform *self, const char *id)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) hotplug_domain_device_free);
  GHashTableIter iter;
  gpointer value;
  guint64 dom;

  if (!g_ascii_string_to_unsigned (id, 16, 0, 0xffff, &dom, NULL))
    return list;
  g_hash_table_iter_init (&iter, self->pci_devs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      HotplugPciDev *d = value;
      HotplugDomainDevice *dev;

      if (d->domain != dom)
        continue;
      dev = g_new0 (HotplugDomainDevice, 1);
      dev->bdf = g_strdup (d->bdf);
      /* pci0001:00 → 0001:00 */
      dev->parent = d->parent ? g_strdup (d->parent) : g_strdup (d->root_bus + strlen ("pci"));
      dev->driver = g_strdup (d->driver);
      dev->depth = d->depth;
      g_ptr_array_add (list, dev);
    }
  g_ptr_array_sort (list, cmp_deepest_first);
  return list;
}

static int
cmp_bus_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char **) a, *(const char **) b);
}

GStrv
hotplug_platform_domain_root_buses (HotplugPlatform *self, const char *id)
{
  g_autofree char *path = hotplug_sysfs_path ("/sys/devices");
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  g_autoptr(GPtrArray) buses = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *prefix = g_strdup_printf ("pci%s:", id);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    if (g_str_has_prefix (name, prefix) && strlen (name) == strlen ("pci0000:00"))
      g_ptr_array_add (buses, g_strdup (name + strlen ("pci")));
  g_ptr_array_sort (buses, cmp_bus_names);
  g_ptr_array_add (buses, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&buses), FALSE);
}
