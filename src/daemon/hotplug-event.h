/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* One device event: the only thing that travels from the event source
 * (netlink monitor, enumeration, tests) to the platform model.  Enumerated
 * devices come as "add" events, so there is one code path for both. */
typedef struct
{
  char       *action;     /* add, remove, change, online, offline, ... */
  char       *subsystem;  /* cpu, memory, container, pci, acpi, pci_slot */
  char       *devpath;    /* /devices/system/cpu/cpu3 (no /sys) */
  char       *sysname;    /* last element of devpath: cpu3 */
  GHashTable *properties; /* KEY → value, from the uevent; NULL when none */
  guint64     seqnum;     /* 0 for enumerated devices */
} HotplugEvent;

#define HOTPLUG_TYPE_EVENT (hotplug_event_get_type ())
GType         hotplug_event_get_type (void);

HotplugEvent *hotplug_event_new (const char *action,
                                 const char *subsystem,
                                 const char *devpath);
HotplugEvent *hotplug_event_copy (const HotplugEvent *event);
void          hotplug_event_free (HotplugEvent *event);

void          hotplug_event_set_property (HotplugEvent *event,
                                          const char   *key,
                                          const char   *value);
const char   *hotplug_event_get_property (const HotplugEvent *event,
                                          const char         *key);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotplugEvent, hotplug_event_free)

G_END_DECLS
