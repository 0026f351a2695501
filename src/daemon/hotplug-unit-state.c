/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "hotplug-enum-types.h"
#include "hotplug-log.h"
#include "hotplug-names.h"
#include "hotplug-platform-private.h"
#include "hotplug-util.h"

/* A unit's state as its devices show it (the kernel's view; a running
 * job's state is the unit's own), and the look-ups between units, slots
 * and containers that it needs. */

#define TOPIC HOTPLUG_PLATFORM_TOPIC

HotplugSlot *
hotplug_platform_slot_of_unit (HotplugPlatform *self, HotplugUnit *unit)
{
  const char *id = hotplug_unit_get_id (unit);

  if (!g_str_has_prefix (id, "slot-"))
    return NULL;
  return g_hash_table_lookup (self->slots, id + strlen ("slot-"));
}

HotplugUnit *
hotplug_platform_unit_of_container (HotplugPlatform *self, HotplugContainer *c)
{
  /* boards and I/O units number their uids independently (sb0 and iou0
   * both have uid 0): the container's kind picks the table entry */
  g_autofree char *id = g_strconcat (c->was_board || c->holds_cpu_or_memory ? "sb" : "iou", c->uid, NULL);

  return g_hash_table_lookup (self->units, id);
}

static HotplugUnitState
state_from_devices (HotplugPlatform *self, HotplugUnit *unit)
{
  HotplugDbusUnit *iface = HOTPLUG_DBUS_UNIT (unit);
  const char *cpus_online = hotplug_dbus_unit_get_cpus_online (iface);
  const char *const *pci = hotplug_dbus_unit_get_pci_devices (iface);
  gboolean has_pci = pci && pci[0];
  HotplugSlot *slot;

  switch (hotplug_unit_get_kind (unit))
    {
    case HOTPLUG_UNIT_KIND_SB:
      if (g_hash_table_contains (self->absent, hotplug_unit_get_id (unit)))
        return HOTPLUG_UNIT_STATE_ABSENT;
      G_GNUC_FALLTHROUGH;
    case HOTPLUG_UNIT_KIND_CPU:
    case HOTPLUG_UNIT_KIND_MEMORY:
      if ((cpus_online && *cpus_online) || hotplug_unit_get_blocks_online (unit) > 0)
        return HOTPLUG_UNIT_STATE_ONLINE;
      return HOTPLUG_UNIT_STATE_OFFLINE;
    case HOTPLUG_UNIT_KIND_IOU:
      if (g_hash_table_contains (self->absent, hotplug_unit_get_id (unit)))
        return HOTPLUG_UNIT_STATE_ABSENT;
      return has_pci ? HOTPLUG_UNIT_STATE_ONLINE : HOTPLUG_UNIT_STATE_OFFLINE;
    case HOTPLUG_UNIT_KIND_SLOT:
      slot = hotplug_platform_slot_of_unit (self, unit);
      if (has_pci)
        return HOTPLUG_UNIT_STATE_ONLINE;
      return slot && slot->adapter ? HOTPLUG_UNIT_STATE_OFFLINE : HOTPLUG_UNIT_STATE_ABSENT;
    default:
      g_assert_not_reached ();
    }
}

void
hotplug_platform_update_unit_state (HotplugPlatform *self, HotplugUnit *unit, const char *event,
                                    const char *devpath, gboolean quiet)
{
  HotplugUnitState old = hotplug_unit_get_state (unit);
  HotplugUnitState state = state_from_devices (self, unit);

  if (state == old)
    return;
  hotplug_unit_set_state (unit, state);
  if (quiet)
    return;
  hotplug_log_full (G_LOG_LEVEL_INFO, TOPIC, hotplug_unit_get_id (unit), event, devpath,
                    HOTPLUG_MSGID_UNIT_STATE, "%s → %s",
                    hotplug_enum_to_string (HOTPLUG_TYPE_UNIT_STATE, old),
                    hotplug_enum_to_string (HOTPLUG_TYPE_UNIT_STATE, state));
}

void
hotplug_platform_update_cpus_online (HotplugPlatform *self, HotplugUnit *unit)
{
  GArray *list = hotplug_unit_get_cpu_list (unit);
  g_autoptr(GArray) online = g_array_sized_new (FALSE, FALSE, sizeof (guint), list->len);
  g_autofree char *text = NULL;

  for (guint i = 0; i < list->len; i++)
    {
      guint n = g_array_index (list, guint, i);

      if (n < self->cpus->len && g_array_index (self->cpus, HotplugCpuEntry, n).online)
        g_array_append_val (online, n);
    }
  text = hotplug_list_format_array (online);
  hotplug_unit_update_string (unit, "cpus-online", text);
}
