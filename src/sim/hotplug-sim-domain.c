/* Shared PCI domains: a host shows a domain (its host bridges, and the
 * devices found below them) only while it owns it; the fabric says who.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "hotplug-sim-kernel-private.h"

/* Owned here: the fabric's owner file says so (the description's owner=
 * without a fabric).  A domain nobody shares is always here. */
static gboolean
owned (HotplugSimKernel *self, HotplugSimDomain *dom)
{
  g_autofree char *owner = self->fabric ? hotplug_sim_fabric_owner (self->fabric, dom->id) : NULL;

  return g_strcmp0 (owner ? owner : dom->owner, self->m->name) == 0;
}

gboolean
sim_domain_shown (HotplugSimKernel *self, guint domain)
{
  HotplugSimDomain *dom = hotplug_sim_machine_shared_domain (self->m, domain);

  return dom == NULL || dom->shown;
}

static guint
present_devices (HotplugSimKernel *self, guint domain)
{
  guint n = 0;

  for (guint i = 0; i < self->m->devs->len; i++)
    {
      HotplugSimDev *d = g_ptr_array_index (self->m->devs, i);
      n += d->kind == HOTPLUG_SIM_DEV_PCI && d->present && d->domain == domain;
    }
  return n;
}

/* Tells the fabric how many devices this host shows of the domains it
 * owns (a peer's handover asks). */
void
sim_domain_publish (HotplugSimKernel *self)
{
  for (guint i = 0; self->fabric && i < self->m->domains->len; i++)
    {
      HotplugSimDomain *dom = g_ptr_array_index (self->m->domains, i);
      int n;

      if (!dom->shared || !dom->shown)
        continue;
      n = present_devices (self, dom->id);
      if (n != dom->published)
        hotplug_sim_fabric_publish (self->fabric, dom->id, n);
      dom->published = n;
    }
}

/* Before the build: which shared domains this host starts with. */
gboolean
sim_domain_init (HotplugSimKernel *self, GError **error)
{
  for (guint i = 0; i < self->m->domains->len; i++)
    {
      HotplugSimDomain *dom = g_ptr_array_index (self->m->domains, i);

      if (!dom->shared)
        continue;
      if (self->fabric && !hotplug_sim_fabric_claim (self->fabric, dom->id, dom->owner, error))
        return FALSE;
      dom->shown = owned (self, dom);
      dom->published = -1;
    }
  return TRUE;
}

/* The platform gave the domain to this host: its host bridges and root
 * buses appear; its devices wait for a rescan. */
static void
show (HotplugSimKernel *self, HotplugSimDomain *dom)
{
  dom->shown = TRUE;
  for (guint i = 0; i < self->m->devs->len; i++)
    {
      HotplugSimDev *d = g_ptr_array_index (self->m->devs, i);
      if (d->kind == HOTPLUG_SIM_DEV_ROOTBUS && d->domain == dom->id)
        sim_pci_host_bridge_add (self, d);
    }
  dom->published = -1;
  sim_domain_publish (self);
}

/* The domain went to the peer: what is left of it vanishes (drivers
 * first, deepest device first: the peer took it by force), then its root
 * buses and host bridges. */
static void
hide (HotplugSimKernel *self, HotplugSimDomain *dom)
{
  g_autoptr(GPtrArray) devs = g_ptr_array_new ();

  for (guint i = 0; i < self->m->devs->len; i++)
    {
      HotplugSimDev *d = g_ptr_array_index (self->m->devs, i);
      if (d->domain == dom->id && (d->kind == HOTPLUG_SIM_DEV_PCI || d->kind == HOTPLUG_SIM_DEV_ROOTBUS))
        g_ptr_array_add (devs, d);
    }
  sim_pci_remove (self, NULL, devs);
  for (guint i = devs->len; i > 0; i--)
    {
      HotplugSimDev *d = g_ptr_array_index (devs, i - 1);
      if (d->kind == HOTPLUG_SIM_DEV_ROOTBUS && d->present)
        sim_pci_host_bridge_remove (self, d);
    }
  sim_slots_sync (self);
  dom->shown = FALSE;
}

/* The owner file of DOMAIN changed (or may have). */
void
sim_domain_sync (HotplugSimKernel *self, guint domain)
{
  HotplugSimDomain *dom = hotplug_sim_machine_shared_domain (self->m, domain);
  gboolean mine;

  if (dom == NULL)
    return;
  mine = owned (self, dom);
  if (mine == dom->shown)
    return;
  hotplug_sim_uevent_refresh (self->uevent);
  if (mine)
    show (self, dom);
  else
    hide (self, dom);
}

static HotplugSimDomain *
ctl_domain (HotplugSimKernel *self, const char *arg, GError **error)
{
  HotplugSimDomain *dom = NULL;
  guint64 id;

  if (arg == NULL)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "missing DOMAIN (such as 0001)"), NULL;
  if (strlen (arg) == 4 && g_ascii_string_to_unsigned (arg, 16, 0, 0xffff, &id, NULL))
    dom = hotplug_sim_machine_shared_domain (self->m, id);
  if (dom == NULL)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s is no shared PCI domain of %s", arg,
                        self->m->name ? self->m->name : self->m->file), NULL;
  return dom;
}

static char *
current_owner (HotplugSimKernel *self, HotplugSimDomain *dom)
{
  char *owner = self->fabric ? hotplug_sim_fabric_owner (self->fabric, dom->id) : NULL;

  return owner ? owner : g_strdup (dom->owner);
}

/* handover DOMAIN [--force] [--to HOST]: the platform gives the domain to
 * the other host.  Refused while its owner still shows a device of it,
 * unless forced. */
static gboolean
handover (HotplugSimKernel *self, char **argv, GString *out, GError **error)
{
  HotplugSimDomain *dom = NULL;
  g_autofree char *cur = NULL;
  g_autofree char *target = NULL;
  gboolean force = FALSE;
  int n;

  for (guint i = 1; argv[i]; i++)
    {
      if (g_str_equal (argv[i], "--force"))
        force = TRUE;
      else if (g_str_equal (argv[i], "--to") && argv[i + 1] && !target)
        target = g_strdup (argv[++i]);
      else if (dom == NULL && argv[i][0] != '-')
        {
          if (!(dom = ctl_domain (self, argv[i], error)))
            return FALSE;
        }
      else
        return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            "usage: handover DOMAIN [--force] [--to HOST]"), FALSE;
    }
  if (dom == NULL)
    return ctl_domain (self, NULL, error) != NULL;
  if (self->fabric == NULL)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                        "no fabric: a handover needs hosts that share one (hotplug-sim --fabric DIR)"), FALSE;
  cur = current_owner (self, dom);
  if (target == NULL)
    target = g_str_equal (cur, self->m->name) ? hotplug_sim_fabric_peer (self->fabric) : g_strdup (self->m->name);
  if (target == NULL)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                        "no single other host on the fabric to hand domain %04x to (give --to HOST)",
                        dom->id), FALSE;
  if (g_str_equal (target, cur))
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "%s already owns domain %04x", cur, dom->id), FALSE;
  n = g_str_equal (cur, self->m->name) ? (int) present_devices (self, dom->id)
                                       : hotplug_sim_fabric_devices_of (self->fabric, dom->id, cur);
  if (!force && n > 0)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                        "handover refused: %s still shows %d PCI device%s of domain %04x "
                        "(remove them first, or --force)", cur, n, n == 1 ? "" : "s", dom->id), FALSE;
  if (!hotplug_sim_fabric_set_owner (self->fabric, dom->id, target, error))
    return FALSE;
  sim_domain_sync (self, dom->id);
  g_string_append_printf (out, "domain %04x: %s -> %s%s\n", dom->id, cur, target, force && n > 0 ? " (forced)" : "");
  return TRUE;
}

gboolean
sim_domain_control (HotplugSimKernel *self, char **argv, GString *out, GError **error)
{
  HotplugSimDomain *dom;
  g_autofree char *owner = NULL;

  if (g_str_equal (argv[0], "handover"))
    return handover (self, argv, out, error);
  if (argv[1] && argv[2])
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "usage: owner DOMAIN"), FALSE;
  dom = ctl_domain (self, argv[1], error);
  if (dom == NULL)
    return FALSE;
  owner = current_owner (self, dom);
  g_string_append_printf (out, "%s\n", owner);
  return TRUE;
}

void
sim_domain_status (HotplugSimKernel *self, GString *out)
{
  for (guint i = 0; i < self->m->domains->len; i++)
    {
      HotplugSimDomain *dom = g_ptr_array_index (self->m->domains, i);
      g_autofree char *owner = NULL;

      if (!dom->shared)
        continue;
      owner = current_owner (self, dom);
      g_string_append_printf (out, "domain %04x shared owner=%s %s pci=%u\n", dom->id, owner,
                              dom->shown ? "shown" : "hidden", present_devices (self, dom->id));
    }
}

/* The host stops: it shows nothing any more. */
void
sim_domain_leave (HotplugSimKernel *self)
{
  for (guint i = 0; self->fabric && i < self->m->domains->len; i++)
    {
      HotplugSimDomain *dom = g_ptr_array_index (self->m->domains, i);
      if (dom->shared && dom->shown && dom->published != 0)
        hotplug_sim_fabric_publish (self->fabric, dom->id, 0);
    }
}
