/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* What the daemon reads of a PCI device's configuration space. */
typedef struct
{
  guint16 vendor;
  guint16 device;
  guint32 class_code;      /* 0x020000: base class, subclass, prog-if */
  guint8  header_type;     /* low 7 bits: 0 device, 1 bridge */
  guint8  secondary_bus;   /* bridges only */
  guint8  subordinate_bus; /* bridges only */
} HotplugPciInfo;

/* libpci over sysfs (through the root prefix), one device at a time: an
 * event reads the device it names, never the whole bus. */
#define HOTPLUG_TYPE_PCI (hotplug_pci_get_type ())
G_DECLARE_FINAL_TYPE (HotplugPci, hotplug_pci, HOTPLUG, PCI, GObject)

HotplugPci *hotplug_pci_new (GError **error);

/* bdf: "0000:41:00.0".  A device libpci cannot read gives an error, never
 * an exit of the process (libpci's default). */
gboolean    hotplug_pci_read (HotplugPci     *self,
                              const char     *bdf,
                              HotplugPciInfo *info,
                              GError        **error);

/* "0000:41:00.0" → domain, bus, device, function; FALSE when malformed. */
gboolean    hotplug_pci_parse_bdf (const char *bdf,
                                   guint      *domain,
                                   guint      *bus,
                                   guint      *dev,
                                   guint      *func);

G_END_DECLS
