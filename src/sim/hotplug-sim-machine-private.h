/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The machine description parser, shared by its files:
 *   hotplug-sim-machine.c      the machine, its units, boards and domains
 *   hotplug-sim-machine-pci.c  PCI functions, drivers, buses and slots
 *   hotplug-sim-desc.c         the keyfile itself */

#include "hotplug-sim-desc.h"
#include "hotplug-sim-machine.h"

G_BEGIN_DECLS

typedef struct {
  Desc               d;
  HotplugSimMachine *m;
  GHashTable        *instances;   /* HID -> next instance */
  GHashTable        *cpu_owner;   /* cpu -> group */
  GHashTable        *rootbus;     /* "SSSS:BB" -> HotplugSimDev* root bus */
  GHashTable        *buses;       /* "SSSS:BB" -> HotplugSimDev* (root bus or bridge) */
  GHashTable        *ids;         /* unit id -> group */
  GHashTable        *drivers;     /* name -> HotplugSimDev* driver */
  HotplugSimDev     *sybus;
  guint64            next_addr;
} Parser;

HotplugSimDev *sim_machine_dev_new (HotplugSimMachine *m, HotplugSimDevKind kind, const char *subsystem,
                                    HotplugSimUnit *unit, char *name, char *path);
void           sim_machine_pcibus_new (HotplugSimMachine *m, HotplugSimDev *owner);
/* The [pci] and [slot] groups, once the units and their host bridges are
 * there. */
gboolean       sim_machine_parse_pci (Parser *p, char **groups, GError **error);

G_END_DECLS
