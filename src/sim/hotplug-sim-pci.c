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

void
sim_pci_config (HotplugSimKernel *self, HotplugSimDev *d)
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

/* Adds every missing PCI device below TOP (NULL: everywhere), parents first. */
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
    }
  sim_slots_sync (self);
}

/* Removes TOP and everything below it (or every PCI device of LIST when TOP
 * is NULL), children first. */
void
sim_pci_remove (HotplugSimKernel *self, HotplugSimDev *top, GPtrArray *list)
{
  GPtrArray *devs = list ? list : self->m->devs;

  for (guint i = devs->len; i > 0; i--)
    {
      HotplugSimDev *d = g_ptr_array_index (devs, i - 1);
      if (d->kind != HOTPLUG_SIM_DEV_PCI || !d->present)
        continue;
      if (top && !below (d, top))
        continue;
      sim_send (self, d, "remove", NULL);
      sim_dev_destroy (self, d);
    }
  sim_slots_sync (self);
}

