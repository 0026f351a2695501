/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One step of an operation, as data: a job runs a list of these, and a
 * crash journal can write each one to disk before it runs and read it back
 * (hotplug_step_to_variant / _from_variant), so a step is never a closure.
 * Its undo is derived from it alone. */

typedef enum {
  HOTPLUG_STEP_RUN_HOOKS,         /* name: the hook event (pre-remove) */
  HOTPLUG_STEP_CPU_OFFLINE,       /* index: the CPU */
  HOTPLUG_STEP_CPU_ONLINE,
  HOTPLUG_STEP_MEMORY_OFFLINE,    /* index: the block */
  HOTPLUG_STEP_MEMORY_ONLINE,     /* index: the block; value: online type */
  HOTPLUG_STEP_CONTAINER_OFFLINE, /* name: container device (ACPI0004:00) */
  HOTPLUG_STEP_CONTAINER_ONLINE,
  HOTPLUG_STEP_EJECT,             /* name: ACPI device; waits for the container to vanish */
  HOTPLUG_STEP_PCI_REMOVE,        /* name: BDF; value: parent BDF or "" (root bus) */
  HOTPLUG_STEP_PCI_RESCAN,        /* name: BDF whose bus to rescan, "" = all; value: BDF to wait for or "" */
  HOTPLUG_STEP_SLOT_POWER_OFF,    /* name: slot name (not the unit id) */
  HOTPLUG_STEP_SLOT_POWER_ON,
  HOTPLUG_STEP_WAIT_DEVICES,      /* name: unit id (slot-3, iou2) that must show PCI devices */
  /* hot replace */
  HOTPLUG_STEP_QUIESCE,           /* name: unit id; the unit shows quiesced; undone by rebinding
                                   * (value: a BDF of the unit to wait for, "" for a board) */
  HOTPLUG_STEP_FREEZE,            /* name: mount point (FIFREEZE) */
  HOTPLUG_STEP_THAW,              /* name: mount point (FITHAW) */
  HOTPLUG_STEP_WAIT_SWAP,         /* name: unit id; the replace window: the part swapped or Job.Resume */
  /* PCI domains: software disconnection and connection */
  HOTPLUG_STEP_CHECK_BUSY,        /* name: BDF; fails naming its blockers if it is in use */
  HOTPLUG_STEP_PCI_UNBIND,        /* name: BDF; value: its driver */
  HOTPLUG_STEP_PCI_BIND,          /* name: BDF; value: the driver */
  HOTPLUG_STEP_PCI_PROBE,         /* name: BDF: drivers_probe (a driver binds if one matches) */
  HOTPLUG_STEP_BUS_RESCAN,        /* name: a bus (0001:00); value: BDF to wait for or "" */
  HOTPLUG_STEP_WAIT_DOMAIN,       /* name: domain id that must show PCI devices */
} HotplugStepKind;

typedef struct {
  HotplugStepKind kind;
  guint           index;
  char           *name;   /* never NULL ("" when unused) */
  char           *value;  /* never NULL ("" when unused) */
} HotplugStep;

HotplugStep *hotplug_step_new (HotplugStepKind kind, guint index, const char *name, const char *value);
HotplugStep *hotplug_step_copy (const HotplugStep *step);
void         hotplug_step_free (HotplugStep *step);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotplugStep, hotplug_step_free)
gboolean     hotplug_step_equal (const HotplugStep *a, const HotplugStep *b);

/* "cpu-offline" ... (stable: written to disk) */
const char  *hotplug_step_kind_to_string (HotplugStepKind kind);
gboolean     hotplug_step_kind_from_string (const char *text, HotplugStepKind *kind);

/* In words: "offline cpu17", "run the pre-remove hooks". */
char        *hotplug_step_describe (const HotplugStep *step);

/* TRUE for steps that change the system (everything but hook events,
 * checks and waits): they are undone on failure and tracked by the
 * journal. */
gboolean     hotplug_step_writes_kernel (const HotplugStep *step);
/* The attribute (a /sys path, not rooted) and value a kernel step writes;
 * FALSE for steps that write nothing. */
gboolean     hotplug_step_get_write (const HotplugStep *step, char **path, const char **value);

/* The steps that undo this one, in run order (empty for hook events,
 * eject, waits, checks, probes and rescans): offline ↔ online, power off →
 * power on + rescan + wait for the devices, PCI remove → rescan of the
 * parent device or of the root bus (a value "dddd:bb"), unbind ↔ bind. */
GPtrArray   *hotplug_step_undo (const HotplugStep *step);
/* Whether TEXT names a PCI bus, dddd:bb (0001:00). */
gboolean     hotplug_step_is_bus (const char *text);

/* (suss): kind, index, name, value */
GVariant    *hotplug_step_to_variant (const HotplugStep *step);
HotplugStep *hotplug_step_from_variant (GVariant *variant, GError **error);

G_END_DECLS
