/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What a job does: the operations on units and on PCI domains. */
typedef enum {
  HOTPLUG_OPERATION_ADD,
  HOTPLUG_OPERATION_REMOVE,
  HOTPLUG_OPERATION_REPLACE,
  /* on a PCI domain */
  HOTPLUG_OPERATION_SWITCHOVER,
  HOTPLUG_OPERATION_CONNECT,
} HotplugOperation;

/* add, remove, replace, switchover, connect (stable: written to disk) */
const char *hotplug_operation_to_string (HotplugOperation op);
gboolean    hotplug_operation_from_string (const char *text, HotplugOperation *op);
/* Whether the operation's target is a PCI domain (not a unit). */
gboolean    hotplug_operation_on_domain (HotplugOperation op);

G_END_DECLS
