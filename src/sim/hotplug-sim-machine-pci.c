/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Machine descriptions: PCI functions, their drivers and buses, slots. */
#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "hotplug-sim-machine-private.h"

typedef struct {
  char     *group;
  guint     domain, bus, devfn;
  guint64   vendor, device, svendor, sdevice, klass, secondary;
  gboolean  has_secondary;
  gboolean  placed;
  char     *block, *net;
  guint64   partitions;
  gboolean  net_up;
  char     *driver;     /* NULL: no driver binds */
} PciDesc;

static void
pci_desc_free (PciDesc *p)
{
  g_free (p->group);
  g_free (p->block);
  g_free (p->net);
  g_free (p->driver);
  g_free (p);
}

/* A kernel device name: lower-case letters first, then letters and digits. */
static gboolean
valid_dev_name (const char *name, gsize max)
{
  gsize n = strlen (name);

  if (n == 0 || n > max || !g_ascii_islower (name[0]))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_islower (name[i]) && !g_ascii_isdigit (name[i]))
      return FALSE;
  return TRUE;
}

/* block=, partitions=, net=, net-state= of a [pci] group; @names holds
 * every disk and interface name so far (each must be unique). */
static gboolean
parse_pci_storage (Desc *d, const char *g, PciDesc *pd, GHashTable *names, GError **error)
{
  g_autofree char *state = g_key_file_get_value (d->kf, g, "net-state", NULL);
  gboolean has_partitions = FALSE;

  pd->block = g_key_file_get_value (d->kf, g, "block", NULL);
  pd->net = g_key_file_get_value (d->kf, g, "net", NULL);
  if (!desc_get_number (d, g, "partitions", FALSE, &has_partitions, 0, 15, &pd->partitions, error))
    return FALSE;
  if (pd->block && !valid_dev_name (g_strstrip (pd->block), 31))
    return desc_error (d, error, g, "block", "'%s' is not a disk name such as vda or nvme0n1", pd->block);
  if (pd->net && !valid_dev_name (g_strstrip (pd->net), 15))
    return desc_error (d, error, g, "net", "'%s' is not an interface name such as eth0 (at most 15 "
                       "letters and digits)", pd->net);
  if (has_partitions && pd->block == NULL)
    return desc_error (d, error, g, "partitions", "partitions need a disk (block=)");
  if (state && pd->net == NULL)
    return desc_error (d, error, g, "net-state", "net-state needs an interface (net=)");
  if (state && !g_str_equal (g_strstrip (state), "up") && !g_str_equal (state, "down"))
    return desc_error (d, error, g, "net-state", "'%s' is not up or down", state);
  pd->net_up = g_strcmp0 (state, "up") == 0;
  for (guint k = 0; k < 2; k++)
    {
      const char *name = k == 0 ? pd->block : pd->net;

      if (name == NULL)
        continue;
      if (g_hash_table_contains (names, name))
        return desc_error (d, error, g, k == 0 ? "block" : "net", "'%s' is already the name of %s", name,
                           (char *) g_hash_table_lookup (names, name));
      g_hash_table_insert (names, g_strdup (name), g_strdup (g));
    }
  return TRUE;
}

/* The driver a PCI function binds to: driver= (empty: none), else by
 * class: bridges pcieport, NVMe nvme, Ethernet by vendor (Intel X710 i40e,
 * other Intel igb, Mellanox mlx5_core, Broadcom bnxt_en, others e1000e). */
static const char *
default_driver (PciDesc *pd)
{
  if (pd->has_secondary)
    return "pcieport";
  if ((pd->klass >> 8) == 0x0108)
    return "nvme";
  if ((pd->klass >> 16) != 0x02)
    return NULL;
  switch (pd->vendor)
    {
    case 0x8086:
      return pd->device == 0x1572 || pd->device == 0x1583 ? "i40e" : "igb";
    case 0x15b3:
      return "mlx5_core";
    case 0x14e4:
      return "bnxt_en";
    default:
      return "e1000e";
    }
}

static gboolean
parse_pci_driver (Desc *d, const char *g, PciDesc *pd, GError **error)
{
  g_autofree char *drv = g_key_file_get_value (d->kf, g, "driver", NULL);

  if (drv == NULL)
    {
      pd->driver = g_strdup (default_driver (pd));
      return TRUE;
    }
  g_strstrip (drv);
  for (const char *c = drv; *c; c++)
    if (!g_ascii_isalnum (*c) && *c != '_' && *c != '-')
      return desc_error (d, error, g, "driver", "'%s' is not a driver name such as nvme or mlx5_core", drv);
  if (strlen (drv) > 63)
    return desc_error (d, error, g, "driver", "'%s' is too long for a driver name", drv);
  pd->driver = *drv ? g_steal_pointer (&drv) : NULL;
  return TRUE;
}

/* The pci_bus class device of a root bus or a bridge's secondary bus. */
void
sim_machine_pcibus_new (HotplugSimMachine *m, HotplugSimDev *owner)
{
  char *name = g_strdup_printf ("%04x:%02x", owner->domain, (guint) owner->secondary);
  HotplugSimDev *b = sim_machine_dev_new (m, HOTPLUG_SIM_DEV_PCIBUS, "pci_bus", owner->unit, name,
                              g_strdup_printf ("%s/pci_bus/%s", owner->path, name));

  b->parent = owner;
  b->domain = owner->domain;
  b->bus = owner->secondary;
  b->node = owner->node;
  owner->pcibus = b;
}

static HotplugSimDev *
driver_of (Parser *p, const char *name)
{
  HotplugSimDev *drv = g_hash_table_lookup (p->drivers, name);

  if (drv == NULL)
    {
      drv = sim_machine_dev_new (p->m, HOTPLUG_SIM_DEV_DRIVER, NULL, NULL, g_strdup (name),
                     g_strdup_printf ("bus/pci/drivers/%s", name));
      g_hash_table_insert (p->drivers, drv->name, drv);
    }
  return drv;
}

static void
pci_place (Parser *p, HotplugSimDev *parent, GPtrArray *pcis)
{
  /* Depth first so that parents come before their children. */
  for (guint i = 0; i < pcis->len; i++)
    {
      PciDesc *pd = g_ptr_array_index (pcis, i);
      HotplugSimDev *dev;
      char *name;

      if (pd->placed || pd->domain != parent->domain || (int) pd->bus != parent->secondary)
        continue;
      pd->placed = TRUE;
      name = g_strdup_printf ("%04x:%02x:%02x.%x", pd->domain, pd->bus, pd->devfn >> 3, pd->devfn & 7);
      dev = sim_machine_dev_new (p->m, HOTPLUG_SIM_DEV_PCI, "pci", parent->unit, name,
                     g_strdup_printf ("%s/%s", parent->path, name));
      dev->parent = parent;
      dev->domain = pd->domain;
      dev->bus = pd->bus;
      dev->devfn = pd->devfn;
      dev->vendor = pd->vendor;
      dev->device = pd->device;
      dev->svendor = pd->svendor;
      dev->sdevice = pd->sdevice;
      dev->klass = pd->klass;
      dev->node = parent->node;
      dev->block = g_strdup (pd->block);
      dev->partitions = pd->partitions;
      dev->net = g_strdup (pd->net);
      dev->net_up = pd->net_up;
      if (pd->driver)
        dev->driver = driver_of (p, pd->driver);
      if (pd->has_secondary)
        {
          dev->secondary = pd->secondary;
          sim_machine_pcibus_new (p->m, dev);
          pci_place (p, dev, pcis);
          dev->subordinate = dev->secondary;
          for (guint j = 0; j < p->m->devs->len; j++)
            {
              HotplugSimDev *c = g_ptr_array_index (p->m->devs, j);
              HotplugSimDev *a;
              for (a = c->parent; a; a = a->parent)
                if (a == dev && c->secondary > dev->subordinate)
                  dev->subordinate = c->secondary;
            }
        }
    }
}

static int
cmp_pci (gconstpointer a, gconstpointer b)
{
  const PciDesc *x = *(PciDesc **) a, *y = *(PciDesc **) b;
  guint kx = (x->domain << 16) | (x->bus << 8) | x->devfn;
  guint ky = (y->domain << 16) | (y->bus << 8) | y->devfn;

  return kx < ky ? -1 : kx > ky;
}

/* The bridge whose secondary bus is the slot's bus. */
static HotplugSimDev *
slot_upstream (HotplugSimMachine *m, HotplugSimUnit *u)
{
  HotplugSimDev *found = NULL;

  for (guint j = 0; j < m->devs->len; j++)
    {
      HotplugSimDev *dev = g_ptr_array_index (m->devs, j);
      if ((dev->kind == HOTPLUG_SIM_DEV_PCI || dev->kind == HOTPLUG_SIM_DEV_ROOTBUS) &&
          dev->domain == u->domain && dev->secondary == (int) u->bus)
        found = dev;
    }
  return found;
}

/* Every PCI device on the slot's bus, and everything below it, is the
 * slot's card. */
static void
slot_claim_devices (HotplugSimMachine *m, HotplugSimUnit *u)
{
  for (guint j = 0; j < m->devs->len; j++)
    {
      HotplugSimDev *dev = g_ptr_array_index (m->devs, j);
      HotplugSimDev *top;
      if (dev->kind != HOTPLUG_SIM_DEV_PCI)
        continue;
      for (top = dev; top && top->kind == HOTPLUG_SIM_DEV_PCI; top = top->parent)
        if (top->domain == u->domain && top->bus == u->bus)
          break;
      if (top && top->kind == HOTPLUG_SIM_DEV_PCI && dev->slot == NULL)
        {
          dev->slot = u;
          dev->physical = u->adapter;
          g_ptr_array_add (u->devs, dev);
        }
    }
}

static gboolean
parse_slot (Desc *d, GKeyFile *kf, const char *g, HotplugSimMachine *m, GHashTable *ids, GPtrArray *slots,
            GError **error)
{
  g_autofree char *bus = NULL;
  HotplugSimUnit *u;
  guint64 att, latch;
  gboolean power, adapter, hotplug;
  const char *const controls[] = { "power", "adapter", "attention", "latch", NULL };

  if (!desc_check_keys (d, g, (const char * const[]) { "bus", "power", "adapter", "attention", "latch", "hotplug", NULL }, error) ||
      !desc_get_bool (d, g, "hotplug", TRUE, &hotplug, error) ||
      !desc_get_bool (d, g, "power", TRUE, &power, error) ||
      !desc_get_bool (d, g, "adapter", TRUE, &adapter, error) ||
      !desc_get_number (d, g, "attention", FALSE, NULL, 0, 2, &att, error) ||
      !desc_get_number (d, g, "latch", FALSE, NULL, 1, 1, &latch, error))
    return FALSE;
  if (strchr (g + 5, '/') || g[5] == '.' || g[5] == '\0')
    return desc_error (d, error, g, NULL, "'%s' is not a slot name", g + 5), FALSE;
  /* a slot the firmware lists but no hotplug controller drives: its
   * directory has an address and nothing to switch */
  for (guint k = 0; !hotplug && controls[k]; k++)
    if (g_key_file_has_key (kf, g, controls[k], NULL))
      return desc_error (d, error, g, controls[k], "a slot with hotplug=false has no %s control "
                         "(it is a location the platform cannot power)", controls[k]), FALSE;
  u = g_new0 (HotplugSimUnit, 1);
  u->kind = HOTPLUG_SIM_UNIT_SLOT;
  u->devs = g_ptr_array_new ();
  u->name = g_strdup (g + 5);
  u->id = g_strdup_printf ("slot-%s", u->name);
  u->path = g_strdup_printf ("bus/pci/slots/%s", u->name);
  u->wd = -1;
  u->present = TRUE;
  u->power = power;
  u->adapter = adapter;
  u->hotplug = hotplug;
  u->attention = att;
  u->latch = latch;
  g_ptr_array_add (m->units, u);
  if (g_hash_table_contains (ids, u->id))
    return desc_error (d, error, g, NULL, "duplicate unit %s", u->id), FALSE;
  g_hash_table_insert (ids, g_strdup (u->id), g_strdup (g));
  bus = g_key_file_get_value (kf, g, "bus", NULL);
  if (bus == NULL)
    return desc_error (d, error, g, NULL, "a slot needs a 'bus' key (the bus its card sits on)"), FALSE;
  g_strstrip (bus);
  if (!desc_parse_bus (bus, &u->domain, &u->bus))
    return desc_error (d, error, g, "bus", "'%s' is not a bus such as 0000:41", bus), FALSE;
  u->upstream = slot_upstream (m, u);
  if (u->upstream == NULL)
    return desc_error (d, error, g, "bus", "no bridge has %s as its secondary bus", bus), FALSE;
  for (guint j = 0; j < slots->len; j++)
    {
      HotplugSimUnit *o = g_ptr_array_index (slots, j);
      if (o->domain == u->domain && o->bus == u->bus)
        return desc_error (d, error, g, "bus", "bus %s already belongs to slot %s", bus, o->name), FALSE;
    }
  g_ptr_array_add (slots, u);
  slot_claim_devices (m, u);
  return TRUE;
}

/* The [pci] groups placed below the host bridges (in the order of their
 * units), then the [slot] groups. */
gboolean
sim_machine_parse_pci (Parser *p, char **groups, GError **error)
{
  g_autoptr(GPtrArray) pcis = g_ptr_array_new_with_free_func ((GDestroyNotify) pci_desc_free);
  g_autoptr(GPtrArray) slots = g_ptr_array_new ();
  g_autoptr(GHashTable) storage_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  HotplugSimMachine *m = p->m;
  Desc *d = &p->d;

  /* PCI devices */
  for (guint i = 0; groups[i]; i++)
    {
      const char *g = groups[i];
      PciDesc *pd;
      if (!g_str_has_prefix (g, "pci "))
        continue;
      pd = g_new0 (PciDesc, 1);
      pd->group = g_strdup (g);
      g_ptr_array_add (pcis, pd);
      if (!desc_parse_bdf (g + 4, &pd->domain, &pd->bus, &pd->devfn))
        return desc_error (d, error, g, NULL, "'%s' is not a PCI address such as 0000:41:00.0", g + 4), FALSE;
      if (!desc_check_keys (d, g, (const char * const[]) { "vendor", "device", "subsystem-vendor",
                                                      "subsystem-device", "class", "secondary-bus",
                                                      "block", "partitions", "net", "net-state", "driver",
                                                      NULL }, error) ||
          !parse_pci_storage (d, g, pd, storage_names, error) ||
          !desc_get_number (d, g, "vendor", FALSE, NULL, 0x8086, 0xffff, &pd->vendor, error) ||
          !desc_get_number (d, g, "device", FALSE, NULL, 0x0001, 0xffff, &pd->device, error) ||
          !desc_get_number (d, g, "subsystem-vendor", FALSE, NULL, pd->vendor, 0xffff, &pd->svendor, error) ||
          !desc_get_number (d, g, "subsystem-device", FALSE, NULL, 0, 0xffff, &pd->sdevice, error) ||
          !desc_get_number (d, g, "secondary-bus", FALSE, &pd->has_secondary, 0, 0xff, &pd->secondary, error) ||
          !desc_get_number (d, g, "class", FALSE, NULL, pd->has_secondary ? 0x060400 : 0xff0000, 0xffffff,
                       &pd->klass, error))
        return FALSE;
      if (pd->has_secondary && pd->secondary <= pd->bus)
        return desc_error (d, error, g, "secondary-bus", "the secondary bus must be above the device's own bus"), FALSE;
      if (!parse_pci_driver (d, g, pd, error))
        return FALSE;
    }
  g_ptr_array_sort (pcis, cmp_pci);
  {
    /* root buses in the order of their units, then the tree below each */
    g_autoptr(GPtrArray) rbs = g_ptr_array_new ();
    for (guint i = 0; i < m->units->len; i++)
      {
        HotplugSimUnit *u = g_ptr_array_index (m->units, i);
        for (guint j = 0; j < u->devs->len; j++)
          {
            HotplugSimDev *a = g_ptr_array_index (u->devs, j);
            if (a->kind == HOTPLUG_SIM_DEV_ACPI && g_str_equal (a->hid, "PNP0A08"))
              g_ptr_array_add (rbs, g_ptr_array_index (a->phys, 0));
          }
      }
    for (guint i = 0; i < rbs->len; i++)
      {
        HotplugSimDev *rb = g_ptr_array_index (rbs, i);
        g_ptr_array_add (rb->unit->devs, rb);
        sim_machine_pcibus_new (m, rb);
        pci_place (p, rb, pcis);
      }
  }
  for (guint i = 0; i < pcis->len; i++)
    {
      PciDesc *pd = g_ptr_array_index (pcis, i);
      if (!pd->placed)
        return desc_error (d, error, pd->group, NULL,
                           "no host bridge or bridge leads to bus %04x:%02x", pd->domain, pd->bus), FALSE;
    }

  /* Slots */
  for (guint i = 0; groups[i]; i++)
    if (g_str_has_prefix (groups[i], "slot ") && !parse_slot (d, d->kf, groups[i], m, p->ids, slots, error))
      return FALSE;

  return TRUE;
}
