/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Devices as the kernel shows them; CPUs, memory and whole units. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>

#include "hotplug-util.h"

#include "hotplug-sim-kernel-private.h"

/* ---------------------------------------------------------------------- */
/* the model                                                               */

gboolean
sim_unit_busy_children (HotplugSimUnit *u)
{
  for (guint i = 0; i < u->devs->len; i++)
    {
      HotplugSimDev *d = g_ptr_array_index (u->devs, i);
      if (d->present && d->online &&
          (d->kind == HOTPLUG_SIM_DEV_CPU || d->kind == HOTPLUG_SIM_DEV_MEMORY))
        return TRUE;
    }
  return FALSE;
}

/* Arms the refusals a real kernel would give right now. */
void
sim_update_rules (HotplugSimKernel *self, HotplugSimUnit *u)
{
  gboolean busy;

  if (u->container == NULL || !u->present)
    return;
  busy = sim_unit_busy_children (u);
  sim_set_rules (self, u->container->path, "online", busy ? "accept=0 1\nrefuse=16 0\n" : "accept=0 1\n");
  sim_set_rules (self, u->acpi->path, "eject",
             busy || u->container->online ? "accept=1\nrefuse=16 1\n" : "accept=1\n");
}

void
sim_update_all_rules (HotplugSimKernel *self)
{
  for (guint i = 0; i < self->m->units->len; i++)
    sim_update_rules (self, g_ptr_array_index (self->m->units, i));
}

static int
cmp_uint (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;

  return x < y ? -1 : x > y;
}

static char *
list_of (HotplugSimKernel *self, gboolean (*pred) (HotplugSimDev *, gpointer), gpointer data)
{
  g_autoptr(GArray) a = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; i < self->m->devs->len; i++)
    {
      HotplugSimDev *d = g_ptr_array_index (self->m->devs, i);
      if (d->kind == HOTPLUG_SIM_DEV_CPU && pred (d, data))
        g_array_append_val (a, d->index);
    }
  g_array_sort (a, cmp_uint);
  return hotplug_list_format_array (a);
}

static gboolean pred_online (HotplugSimDev *d, gpointer x) { return d->present && d->online; }
static gboolean pred_offline (HotplugSimDev *d, gpointer x) { return !(d->present && d->online); }
static gboolean pred_present (HotplugSimDev *d, gpointer x) { return d->present; }
static gboolean pred_possible (HotplugSimDev *d, gpointer x) { return TRUE; }
static gboolean pred_node (HotplugSimDev *d, gpointer x) { return d->present && d->online && d->node == GPOINTER_TO_UINT (x); }

/* NODE's online CPUs as the kernel prints a cpumask: hex, the lowest CPU
 * the lowest bit, commas between 32-bit groups, as wide as the possible
 * CPUs need. */
static char *
node_cpumap (HotplugSimKernel *self, guint node)
{
  guint nbits = MAX (self->m->ncpus, 1), ndigits = (nbits + 3) / 4;
  g_autofree guint8 *nibbles = g_new0 (guint8, ndigits);
  GString *s = g_string_sized_new (ndigits + ndigits / 8 + 2);

  for (guint i = 0; i < self->m->devs->len; i++)
    {
      HotplugSimDev *d = g_ptr_array_index (self->m->devs, i);
      if (d->kind == HOTPLUG_SIM_DEV_CPU && pred_node (d, GUINT_TO_POINTER (node)))
        nibbles[d->index / 4] |= 1u << (d->index % 4);
    }
  for (guint i = ndigits; i > 0; i--)
    {
      g_string_append_c (s, "0123456789abcdef"[nibbles[i - 1]]);
      if (i > 1 && (i - 1) % 8 == 0)
        g_string_append_c (s, ',');
    }
  return g_string_free (s, FALSE);
}

/* The files the kernel derives from the CPU states. */
void
sim_update_cpu_lists (HotplugSimKernel *self)
{
  struct { const char *name; gboolean (*pred) (HotplugSimDev *, gpointer); } lists[] = {
    { "online", pred_online }, { "offline", pred_offline },
    { "present", pred_present }, { "possible", pred_possible }, { "enabled", pred_present },
  };

  for (guint i = 0; i < G_N_ELEMENTS (lists); i++)
    {
      g_autofree char *v = list_of (self, lists[i].pred, NULL);
      sim_putf (self, "devices/system/cpu", lists[i].name, "%s\n", v);
    }
  for (guint i = 0; i < self->m->nodes->len; i++)
    {
      guint n = g_array_index (self->m->nodes, guint, i);
      g_autofree char *dir = g_strdup_printf ("devices/system/node/node%u", n);
      g_autofree char *v = list_of (self, pred_node, GUINT_TO_POINTER (n));
      g_autofree char *map = node_cpumap (self, n);
      sim_putf (self, dir, "cpulist", "%s\n", v);
      sim_putf (self, dir, "cpumap", "%s\n", map);
    }
}

static const char *
dev_props (HotplugSimDev *d, char *buf, gsize size)
{
  buf[0] = '\0';
  switch (d->kind)
    {
    case HOTPLUG_SIM_DEV_ACPI:
      snprintf (buf, size, "MODALIAS=acpi:%s:\n", d->hid);
      break;
    case HOTPLUG_SIM_DEV_CPU:
      snprintf (buf, size, "DRIVER=processor\nMODALIAS=" SIM_CPU_MODALIAS "\n");
      break;
    case HOTPLUG_SIM_DEV_PCI:
      {
        char alias[64];
        snprintf (buf, size,
                  "%s%s%sPCI_CLASS=%X\nPCI_ID=%04X:%04X\nPCI_SUBSYS_ID=%04X:%04X\nPCI_SLOT_NAME=%s\n"
                  "MODALIAS=%s\n",
                  d->bound ? "DRIVER=" : "", d->bound ? d->driver->name : "", d->bound ? "\n" : "",
                  d->klass, d->vendor, d->device, d->svendor, d->sdevice, d->name,
                  sim_pci_modalias (d, alias, sizeof alias));
      }
      break;
    case HOTPLUG_SIM_DEV_CONTAINER:
    case HOTPLUG_SIM_DEV_MEMORY:
    case HOTPLUG_SIM_DEV_ROOTBUS:
    default:
      break;
    }
  return buf;
}

/* The uevent file again, after the device's properties changed (a driver
 * bound or went). */
void
sim_dev_update_uevent (HotplugSimKernel *self, HotplugSimDev *d)
{
  char buf[512];

  sim_put (self, d->path, "uevent", dev_props (d, buf, sizeof buf), 0644);
}

void
sim_send (HotplugSimKernel *self, HotplugSimDev *d, const char *action, const char *extra)
{
  char props[512];
  g_autofree char *all = NULL;

  if (d->subsystem == NULL)
    return;   /* the kernel sends nothing for a device without a bus or class */
  dev_props (d, props, sizeof props);
  all = g_strconcat (props, extra ? extra : "", NULL);
  {
    g_autofree char *devpath = g_strconcat ("/", d->path, NULL);
    hotplug_sim_uevent_send (self->uevent, action, devpath, d->subsystem, NULL, all);
  }
}


static const char *
phys_name (HotplugSimDev *fw, HotplugSimDev *d, char *buf)
{
  guint i;

  for (i = 0; i < fw->phys->len; i++)
    if (g_ptr_array_index (fw->phys, i) == d)
      break;
  if (i == 0)
    return "physical_node";
  sprintf (buf, "physical_node%u", i);
  return buf;
}

/* The subsystem (bus or class) and firmware links, the uevent file. */
static void
dev_links (HotplugSimKernel *self, HotplugSimDev *d)
{
  const char *p = d->path;
  char buf[512];

  if (d->kind == HOTPLUG_SIM_DEV_PCIBUS)
    {
      /* a class device: /sys/class/pci_bus/<dddd:bb> */
      sim_link_rel (self, p, "subsystem", "class/pci_bus");
      sim_link_rel (self, "class/pci_bus", d->name, p);
    }
  else if (d->subsystem)
    {
      g_autofree char *bus = g_strdup_printf ("bus/%s", d->subsystem);
      g_autofree char *busdev = g_strdup_printf ("bus/%s/devices", d->subsystem);
      sim_link_rel (self, p, "subsystem", bus);
      sim_link_rel (self, busdev, d->name, p);
    }
  if (d->kind == HOTPLUG_SIM_DEV_CPU)
    {
      /* the ACPI processor driver, whose name the uevent carries */
      sim_link_rel (self, p, "driver", SIM_CPU_DRIVER);
      sim_link_rel (self, SIM_CPU_DRIVER, d->name, p);
    }
  if (d->kind == HOTPLUG_SIM_DEV_DRIVER)
    sim_put (self, p, "uevent", "", 0200);
  else
    sim_put (self, p, "uevent", dev_props (d, buf, sizeof buf), 0644);
  if (d->fw && d->fw->present)
    {
      char n[32];
      sim_link_rel (self, p, "firmware_node", d->fw->path);
      sim_link_rel (self, d->fw->path, phys_name (d->fw, d, n), p);
    }
}

/* A CPU or memory block's node links. */
static void
node_links (HotplugSimKernel *self, HotplugSimDev *d)
{
  g_autofree char *node = g_strdup_printf ("devices/system/node/node%u", d->node);
  char n[32];

  sprintf (n, "node%u", d->node);
  sim_link_rel (self, d->path, n, node);
  sim_link_rel (self, node, d->name, d->path);
}

/* The attributes of ACPI nodes, containers, CPUs and memory blocks; TRUE
 * when the kernel answers writes to some of them. */
static gboolean
system_attrs (HotplugSimKernel *self, HotplugSimDev *d)
{
  const char *p = d->path;
  gboolean pinned;

  switch (d->kind)
    {
    case HOTPLUG_SIM_DEV_ACPI:
      sim_put (self, p, "hid", d->hid, 0444);
      sim_put (self, p, "path", d->acpi_path, 0444);
      if (d->unit)
        sim_putf (self, p, "uid", "%u\n", d->uid);
      sim_put (self, p, "status", "15\n", 0444);
      if (!d->unit || d->unit->acpi != d)
        return FALSE;
      sim_put_rw (self, p, "eject", "", "accept=1\n", 0200);
      return TRUE;
    case HOTPLUG_SIM_DEV_CONTAINER:
      sim_put_rw (self, p, "online", d->online ? "1\n" : "0\n", "accept=0 1\n", 0644);
      return TRUE;
    case HOTPLUG_SIM_DEV_CPU:
      node_links (self, d);
      if (d->fixed)
        return FALSE;
      sim_put_rw (self, p, "online", d->online ? "1\n" : "0\n", "accept=0 1\n", 0644);
      return TRUE;
    case HOTPLUG_SIM_DEV_MEMORY:
      pinned = g_str_equal (d->zone, "none");
      sim_put_rw (self, p, "state", d->online ? "online\n" : "offline\n",
                  pinned ? "accept=online online_kernel online_movable offline\nrefuse=16 offline\n"
                         : "accept=online online_kernel online_movable offline\n", 0644);
      sim_put_rw (self, p, "online", d->online ? "1\n" : "0\n",
                  pinned ? "accept=0 1\nrefuse=16 0\n" : "accept=0 1\n", 0644);
      sim_putf (self, p, "phys_index", "%08x\n", d->index);
      sim_put (self, p, "phys_device", "0\n", 0444);
      /* current kernels say 1 whatever the truth */
      sim_put (self, p, "removable", "1\n", 0444);
      sim_putf (self, p, "valid_zones", "%s\n", d->zone);
      node_links (self, d);
      return TRUE;
    default:
      return FALSE;
    }
}

/* Creates the device's directory, attributes and links. */
void
sim_dev_create (HotplugSimKernel *self, HotplugSimDev *d)
{
  const char *p = d->path;
  char full[PATH_MAX];
  gboolean watch;

  if (d->kind == HOTPLUG_SIM_DEV_PCIBUS)
    {
      g_autofree char *dir = g_strdup_printf ("%s/pci_bus", d->parent->path);
      sim_mkdir_rel (self, dir);
    }
  sim_mkdir_rel (self, p);
  sim_sys_path (self, full, p, NULL);
  self->cur_dfd = open (full, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  self->cur_dir = p;
  dev_links (self, d);
  watch = system_attrs (self, d) || sim_pci_attrs (self, d);
  if (self->cur_dfd >= 0)
    close (self->cur_dfd);
  self->cur_dfd = -1;
  self->cur_dir = NULL;
  d->present = TRUE;
  if (watch)
    sim_watch_dir (self, p, d, NULL);
}

void
sim_dev_destroy (HotplugSimKernel *self, HotplugSimDev *d)
{
  if (!d->present)
    return;
  d->present = FALSE;
  sim_unwatch (self, &d->wd);
  if (d->kind == HOTPLUG_SIM_DEV_PCIBUS)
    sim_unlink_rel (self, "class/pci_bus", d->name);
  else if (d->subsystem)
    {
      g_autofree char *busdev = g_strdup_printf ("bus/%s/devices", d->subsystem);
      sim_unlink_rel (self, busdev, d->name);
    }
  if (d->kind == HOTPLUG_SIM_DEV_CPU)
    sim_unlink_rel (self, SIM_CPU_DRIVER, d->name);
  if (d->kind == HOTPLUG_SIM_DEV_CPU || d->kind == HOTPLUG_SIM_DEV_MEMORY)
    {
      g_autofree char *node = g_strdup_printf ("devices/system/node/node%u", d->node);
      sim_unlink_rel (self, node, d->name);
    }
  if (d->fw && d->fw->present)
    {
      char n[32];
      sim_unlink_rel (self, d->fw->path, phys_name (d->fw, d, n));
    }
  if (d->kind == HOTPLUG_SIM_DEV_PCI)
    hotplug_sim_storage_destroy (self->storage, d);
  sim_rm_rel (self, d->path);
}

/* ---------------------------------------------------------------------- */
/* whole units                                                             */

/* Everything below the container and the container itself, in the kernel's
 * order: PCI bottom-up, CPUs, memory, ACPI children, container, ACPI node. */
void
sim_unit_remove (HotplugSimKernel *self, HotplugSimUnit *u)
{
  HotplugSimDevKind order[] = { HOTPLUG_SIM_DEV_ROOTBUS, HOTPLUG_SIM_DEV_CPU, HOTPLUG_SIM_DEV_MEMORY,
                                HOTPLUG_SIM_DEV_ACPI, HOTPLUG_SIM_DEV_CONTAINER };

  hotplug_sim_uevent_refresh (self->uevent);
  sim_pci_remove (self, NULL, u->devs);
  for (guint k = 0; k < G_N_ELEMENTS (order); k++)
    {
      for (guint i = u->devs->len; i > 0; i--)
        {
          HotplugSimDev *d = g_ptr_array_index (u->devs, i - 1);
          if (d->kind != order[k] || !d->present || d == u->acpi)
            continue;
          if (d->kind == HOTPLUG_SIM_DEV_ROOTBUS)
            {
              sim_pci_host_bridge_remove (self, d);
              continue;
            }
          sim_send (self, d, "remove", NULL);
          sim_dev_destroy (self, d);
        }
      if (order[k] == HOTPLUG_SIM_DEV_ROOTBUS)
        sim_slots_sync (self);
    }
  sim_send (self, u->acpi, "remove", NULL);
  sim_dev_destroy (self, u->acpi);
  u->present = FALSE;
  sim_update_cpu_lists (self);
}

void
sim_unit_insert (HotplugSimKernel *self, HotplugSimUnit *u)
{
  g_autofree char *autoon = sim_get (self, "devices/system/memory", "auto_online_blocks");
  gboolean memon = autoon && !g_str_equal (autoon, "offline");
  HotplugSimDevKind order[] = { HOTPLUG_SIM_DEV_ACPI, HOTPLUG_SIM_DEV_CONTAINER, HOTPLUG_SIM_DEV_CPU,
                                HOTPLUG_SIM_DEV_MEMORY, HOTPLUG_SIM_DEV_ROOTBUS };

  hotplug_sim_uevent_refresh (self->uevent);
  u->present = TRUE;
  for (guint k = 0; k < G_N_ELEMENTS (order); k++)
    for (guint i = 0; i < u->devs->len; i++)
      {
        HotplugSimDev *d = g_ptr_array_index (u->devs, i);
        if (d->kind != order[k] || d->present)
          continue;
        if (d->kind == HOTPLUG_SIM_DEV_CPU)
          d->online = d->fixed;
        if (d->kind == HOTPLUG_SIM_DEV_MEMORY)
          d->online = memon;
        if (d->kind == HOTPLUG_SIM_DEV_CONTAINER)
          d->online = TRUE;
        if (d->kind == HOTPLUG_SIM_DEV_ROOTBUS)
          {
            sim_pci_host_bridge_add (self, d);
            continue;
          }
        sim_dev_create (self, d);
        sim_send (self, d, "add", NULL);
        if (d->kind == HOTPLUG_SIM_DEV_MEMORY && memon)
          sim_send (self, d, "online", NULL);
      }
  sim_pci_rescan (self, NULL);
  sim_update_cpu_lists (self);
  sim_update_rules (self, u);
  if (u->container)
    sim_send (self, u->container, "online", NULL);
}

void
sim_set_online (HotplugSimKernel *self, HotplugSimDev *d, gboolean on)
{
  if (d->online == on)
    return;
  d->online = on;
  switch (d->kind)
    {
    case HOTPLUG_SIM_DEV_CPU:
      sim_settle (self, d, "online", on ? "1\n" : "0\n");
      sim_update_cpu_lists (self);
      break;
    case HOTPLUG_SIM_DEV_MEMORY:
      sim_settle (self, d, "state", on ? "online\n" : "offline\n");
      sim_settle (self, d, "online", on ? "1\n" : "0\n");
      break;
    case HOTPLUG_SIM_DEV_CONTAINER:
      sim_settle (self, d, "online", on ? "1\n" : "0\n");
      break;
    default:
      break;
    }
  /* the refusals follow the new state before anyone hears of it: a reader
   * that acts on the uevent at once must meet the kernel's new answer */
  sim_update_rules (self, d->unit);
  sim_send (self, d, on ? "online" : "offline", NULL);
}

