/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PCI devices, slots, rescan and removal. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>

#include "hotplug-sim-kernel-private.h"

static void
pci_config (HotplugSimKernel *self, HotplugSimDev *d)
{
  guint8 c[256] = { 0 };
  char p[PATH_MAX];
  int fd;

  c[0] = d->vendor & 0xff;
  c[1] = d->vendor >> 8;
  c[2] = d->device & 0xff;
  c[3] = d->device >> 8;
  c[4] = 0x06;                       /* memory space, bus master */
  c[9] = d->klass & 0xff;
  c[10] = (d->klass >> 8) & 0xff;
  c[11] = (d->klass >> 16) & 0xff;
  if (d->secondary >= 0)
    {
      c[0x0e] = 0x01;
      c[0x18] = d->bus;
      c[0x19] = d->secondary;
      c[0x1a] = d->subordinate;
    }
  else
    {
      c[0x2c] = d->svendor & 0xff;
      c[0x2d] = d->svendor >> 8;
      c[0x2e] = d->sdevice & 0xff;
      c[0x2f] = d->sdevice >> 8;
    }
  sim_sys_path (self, p, d->path, "config");
  fd = open (p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write (fd, c, sizeof c) != sizeof c)
    g_warning ("cannot write %s", p);
  if (fd >= 0)
    close (fd);
}
/* ---------------------------------------------------------------------- */
/* slots                                                                   */

static void
slot_sync (HotplugSimKernel *self, HotplugSimUnit *s)
{
  gboolean want = s->upstream && s->upstream->present;
  char v[32];

  if (want && s->wd < 0)
    {
      sim_mkdir_rel (self, s->path);
      snprintf (v, sizeof v, "%04x:%02x\n", s->domain, s->bus);
      sim_put (self, s->path, "address", v, 0444);
      if (!s->hotplug)
        {
          /* listed by the firmware, driven by no hotplug controller */
          sim_watch_dir (self, s->path, NULL, s);
          return;
        }
      sim_put_rw (self, s->path, "power", s->power ? "1\n" : "0\n", "accept=0 1\n", 0644);
      snprintf (v, sizeof v, "%u\n", s->attention);
      sim_put_rw (self, s->path, "attention", v, "accept=0 1 2\n", 0644);
      snprintf (v, sizeof v, "%u\n", s->latch);
      sim_put (self, s->path, "latch", v, 0444);
      sim_put (self, s->path, "adapter", s->adapter ? "1\n" : "0\n", 0444);
      sim_watch_dir (self, s->path, NULL, s);
    }
  else if (!want && s->wd >= 0)
    {
      sim_unwatch (self, &s->wd);
      sim_rm_rel (self, s->path);
    }
}

void
sim_slots_sync (HotplugSimKernel *self)
{
  for (guint i = 0; i < self->m->units->len; i++)
    {
      HotplugSimUnit *u = g_ptr_array_index (self->m->units, i);
      if (u->kind == HOTPLUG_SIM_UNIT_SLOT)
        slot_sync (self, u);
    }
}

gboolean
sim_pci_enumerable (HotplugSimDev *d)
{
  if (!d->physical || !d->unit->present || (d->parent && !d->parent->present))
    return FALSE;
  if (d->slot && (!d->slot->power || !d->slot->adapter))
    return FALSE;
  return TRUE;
}

static gboolean
below (HotplugSimDev *d, HotplugSimDev *top)
{
  for (; d; d = d->parent)
    if (d == top)
      return TRUE;
  return FALSE;
}

/* pci:v...d...sv...sd...bc..sc..i.., as the uevent and modalias give it */
const char *
sim_pci_modalias (HotplugSimDev *d, char *buf, gsize size)
{
  snprintf (buf, size, "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X", d->vendor, d->device, d->svendor,
            d->sdevice, (d->klass >> 16) & 0xff, (d->klass >> 8) & 0xff, d->klass & 0xff);
  return buf;
}

/* What the PCI core shows of every function and hotplugd does not read:
 * there, in the kernel's format and mode, for the tools that do. */
static void
pci_core_attrs (HotplugSimKernel *self, HotplugSimDev *d)
{
  const char *p = d->path;
  char alias[64];

  sim_putf (self, p, "modalias", "%s\n", sim_pci_modalias (d, alias, sizeof alias));
  sim_put (self, p, "revision", "0x00\n", 0444);
  sim_put (self, p, "power_state", "D0\n", 0444);
  sim_put (self, p, "dma_mask_bits", "64\n", 0444);
  sim_put (self, p, "consistent_dma_mask_bits", "64\n", 0444);
  sim_put (self, p, "ari_enabled", "0\n", 0444);
  sim_put (self, p, "driver_override", "(null)\n", 0644);
  sim_put (self, p, "msi_bus", "1\n", 0644);
  sim_put (self, p, "d3cold_allowed", "1\n", 0644);
  sim_put (self, p, "broken_parity_status", "0\n", 0644);
}

/* The attributes of PCI functions, buses and drivers; TRUE when the
 * kernel answers writes to some of them. */
gboolean
sim_pci_attrs (HotplugSimKernel *self, HotplugSimDev *d)
{
  const char *p = d->path;

  switch (d->kind)
    {
    case HOTPLUG_SIM_DEV_PCI:
      sim_putf (self, p, "vendor", "0x%04x\n", d->vendor);
      sim_putf (self, p, "device", "0x%04x\n", d->device);
      sim_putf (self, p, "subsystem_vendor", "0x%04x\n", d->svendor);
      sim_putf (self, p, "subsystem_device", "0x%04x\n", d->sdevice);
      sim_putf (self, p, "class", "0x%06x\n", d->klass);
      sim_putf (self, p, "irq", "%u\n", 16 + (d->devfn & 7));
      {
        char v[16];
        snprintf (v, sizeof v, "%u\n", d->node);
        sim_put (self, p, "numa_node", v, 0644);
      }
      sim_put (self, p, "enable", "1\n", 0644);
      pci_config (self, d);
      pci_core_attrs (self, d);
      if (d->secondary >= 0)
        {
          sim_putf (self, p, "secondary_bus_number", "%d\n", d->secondary);
          sim_putf (self, p, "subordinate_bus_number", "%d\n", d->subordinate);
        }
      sim_put_rw (self, p, "remove", "", "accept=1\n", 0220);
      sim_put_rw (self, p, "rescan", "", "accept=1\nsync\n", 0200);
      return TRUE;
    case HOTPLUG_SIM_DEV_PCIBUS:
      sim_link_rel (self, p, "device", d->parent->path);
      sim_put_rw (self, p, "rescan", "", "accept=1\nsync\n", 0200);
      return TRUE;
    case HOTPLUG_SIM_DEV_DRIVER:
      /* the rules follow the devices (sim_pci_update_driver_rules) */
      sim_put_rw (self, p, "bind", "", "accept=\n", 0200);
      sim_put_rw (self, p, "unbind", "", "accept=\n", 0200);
      return TRUE;
    default:
      return FALSE;
    }
}

/* ---------------------------------------------------------------------- */
/* drivers                                                                 */

HotplugSimDev *
sim_pci_find (HotplugSimKernel *self, const char *bdf)
{
  for (guint i = 0; i < self->m->devs->len; i++)
    {
      HotplugSimDev *d = g_ptr_array_index (self->m->devs, i);
      if (d->kind == HOTPLUG_SIM_DEV_PCI && g_ascii_strcasecmp (d->name, bdf) == 0)
        return d;
    }
  return NULL;
}

/* Binds D to its driver, as a probe that succeeded: the links, the disk
 * or interface the driver registers, then the uevent (ANNOUNCE). */
void
sim_pci_bind (HotplugSimKernel *self, HotplugSimDev *d, gboolean announce)
{
  if (d->bound || d->driver == NULL || !d->present)
    return;
  d->bound = TRUE;
  sim_link_rel (self, d->path, "driver", d->driver->path);
  sim_link_rel (self, d->driver->path, d->name, d->path);
  sim_dev_update_uevent (self, d);
  hotplug_sim_storage_create (self->storage, d);
  if (announce)
    sim_send (self, d, "bind", NULL);
}

/* The driver lets D go: its disk or interface vanishes first. */
void
sim_pci_unbind (HotplugSimKernel *self, HotplugSimDev *d)
{
  if (!d->bound)
    return;
  hotplug_sim_storage_destroy (self->storage, d);
  d->bound = FALSE;
  sim_unlink_rel (self, d->path, "driver");
  sim_unlink_rel (self, d->driver->path, d->name);
  sim_dev_update_uevent (self, d);
  sim_send (self, d, "unbind", NULL);
}

/* Arms what the kernel answers on bind, unbind and drivers_probe: a BDF
 * that the driver does not hold (unbind), or that is absent, bound or
 * meant for another driver (bind), fails with ENODEV (bind of a bound
 * device: EBUSY).  "serial": a write waits for the one before it to be
 * taken, as the kernel's writes are one at a time. */
void
sim_pci_update_driver_rules (HotplugSimKernel *self)
{
  g_autoptr(GString) probe = g_string_new ("accept=");
  HotplugSimMachine *m = self->m;

  for (guint i = 0; i < m->devs->len; i++)
    {
      HotplugSimDev *drv = g_ptr_array_index (m->devs, i);
      g_autoptr(GString) bound = NULL;
      g_autoptr(GString) unbound = NULL;
      g_autofree char *unbind = NULL;
      g_autofree char *bind = NULL;

      if (drv->kind == HOTPLUG_SIM_DEV_PCI && drv->present)
        g_string_append_printf (probe, "%s ", drv->name);
      if (drv->kind != HOTPLUG_SIM_DEV_DRIVER || !drv->present)
        continue;
      bound = g_string_new (NULL);
      unbound = g_string_new (NULL);
      for (guint j = 0; j < m->devs->len; j++)
        {
          HotplugSimDev *d = g_ptr_array_index (m->devs, j);
          if (d->kind == HOTPLUG_SIM_DEV_PCI && d->present && d->driver == drv)
            g_string_append_printf (d->bound ? bound : unbound, "%s ", d->name);
        }
      unbind = g_strdup_printf ("accept=%s\notherwise=19\nserial\n", bound->str);
      bind = g_strdup_printf ("accept=%s\nrefuse=16 %s\notherwise=19\nserial\n", unbound->str, bound->str);
      sim_set_rules (self, drv->path, "unbind", unbind);
      sim_set_rules (self, drv->path, "bind", bind);
    }
  g_string_append (probe, "\notherwise=19\nserial\n");
  sim_set_rules (self, "bus/pci", "drivers_probe", probe->str);
}

void
sim_pci_changed (HotplugSimKernel *self)
{
  sim_pci_update_driver_rules (self);
  sim_domain_publish (self);
}

/* A bind, unbind (at DRV) or drivers_probe (DRV NULL) write of BDF. */
void
sim_pci_driver_write (HotplugSimKernel *self, HotplugSimDev *drv, const char *attr, const char *bdf)
{
  HotplugSimDev *d = sim_pci_find (self, bdf);

  if (d == NULL || !d->present)
    return;
  if (g_str_equal (attr, "unbind") && d->driver == drv)
    sim_pci_unbind (self, d);
  else if ((g_str_equal (attr, "bind") && d->driver == drv) || g_str_equal (attr, "drivers_probe"))
    sim_pci_bind (self, d, TRUE);
  sim_pci_changed (self);
}

/* A write to /sys/bus/pci (D NULL), a device's, a bus's or a driver's
 * attribute. */
void
sim_pci_act (HotplugSimKernel *self, HotplugSimDev *d, const char *attr, const char *value)
{
  gboolean one = g_str_equal (value, "1");

  if (d == NULL)
    {
      if (g_str_equal (attr, "rescan") && one)
        sim_pci_rescan (self, NULL);
      else if (g_str_equal (attr, "drivers_probe"))
        sim_pci_driver_write (self, NULL, attr, value);
      return;
    }
  if (!d->present)
    return;
  if (d->kind == HOTPLUG_SIM_DEV_PCI && g_str_equal (attr, "remove") && one)
    sim_pci_remove (self, d, NULL);
  else if (d->kind == HOTPLUG_SIM_DEV_PCI && g_str_equal (attr, "rescan") && one)
    sim_pci_rescan (self, d);
  else if (d->kind == HOTPLUG_SIM_DEV_PCIBUS && g_str_equal (attr, "rescan") && one)
    sim_pci_rescan (self, d->parent);
  else if (d->kind == HOTPLUG_SIM_DEV_DRIVER && (g_str_equal (attr, "bind") || g_str_equal (attr, "unbind")))
    sim_pci_driver_write (self, d, attr, value);
}

/* ---------------------------------------------------------------------- */
/* enumeration                                                             */

/* A host bridge appears with its root bus (no uevent: it has no
 * subsystem), then the root bus's pci_bus device. */
void
sim_pci_host_bridge_add (HotplugSimKernel *self, HotplugSimDev *rb)
{
  if (!rb->present)
    sim_dev_create (self, rb);
  if (rb->pcibus && !rb->pcibus->present)
    {
      sim_dev_create (self, rb->pcibus);
      sim_send (self, rb->pcibus, "add", NULL);
    }
}

static void
pcibus_remove (HotplugSimKernel *self, HotplugSimDev *d)
{
  if (d->pcibus && d->pcibus->present)
    {
      sim_send (self, d->pcibus, "remove", NULL);
      sim_dev_destroy (self, d->pcibus);
    }
}

void
sim_pci_host_bridge_remove (HotplugSimKernel *self, HotplugSimDev *rb)
{
  pcibus_remove (self, rb);
  sim_dev_destroy (self, rb);
}

/* Adds every missing PCI device below TOP (NULL: everywhere), parents
 * first, each bound to its driver at once. */
void
sim_pci_rescan (HotplugSimKernel *self, HotplugSimDev *top)
{
  for (guint i = 0; i < self->m->devs->len; i++)
    {
      HotplugSimDev *d = g_ptr_array_index (self->m->devs, i);
      if (d->kind != HOTPLUG_SIM_DEV_PCI || d->present || !sim_pci_enumerable (d))
        continue;
      if (top && !below (d, top))
        continue;
      sim_dev_create (self, d);
      sim_send (self, d, "add", NULL);
      if (d->pcibus)
        {
          sim_dev_create (self, d->pcibus);
          sim_send (self, d->pcibus, "add", NULL);
        }
      sim_pci_bind (self, d, TRUE);
    }
  sim_slots_sync (self);
  sim_pci_changed (self);
}

/* Removes TOP and everything below it (or every PCI device of LIST when TOP
 * is NULL) as the kernel does: the drivers let go first, deepest device
 * first; then the devices go, children (and a bridge's bus) before their
 * parent. */
void
sim_pci_remove (HotplugSimKernel *self, HotplugSimDev *top, GPtrArray *list)
{
  GPtrArray *devs = list ? list : self->m->devs;

  for (guint pass = 0; pass < 2; pass++)
    for (guint i = devs->len; i > 0; i--)
      {
        HotplugSimDev *d = g_ptr_array_index (devs, i - 1);
        if (d->kind != HOTPLUG_SIM_DEV_PCI || !d->present)
          continue;
        if (top && !below (d, top))
          continue;
        if (pass == 0)
          {
            sim_pci_unbind (self, d);
            continue;
          }
        pcibus_remove (self, d);
        sim_send (self, d, "remove", NULL);
        sim_dev_destroy (self, d);
      }
  sim_slots_sync (self);
  sim_pci_changed (self);
}
