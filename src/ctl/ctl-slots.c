/* hotplugctl slots [--tree] — PCI slots, their state and their devices.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "ctl-common.h"

static void
hotplug_ctl_slots_json (HotplugCtl *ctl, GPtrArray *slots, GVariant **devices)
{
  g_autoptr(GString) out = g_string_new ("[");

  for (guint i = 0; i < slots->len; i++)
    {
      HotplugDbusUnit *slot = slots->pdata[i];
      g_autofree char *address = hotplug_ctl_slot_address (hotplug_dbus_unit_get_pci_devices (slot));

      g_string_append (out, i ? ",{" : "{");
      hotplug_ctl_json_properties (out, G_DBUS_PROXY (slot));
      /* Not properties of the unit, so under names no property has. */
      g_string_append (out, ",\"Address\":");
      if (address != NULL)
        hotplug_ctl_json_string (out, address);
      else
        g_string_append (out, "null");
      g_string_append (out, ",\"Devices\":");
      if (devices[i] != NULL)
        hotplug_ctl_json_devices (out, devices[i]);
      else
        g_string_append (out, "[]");
      g_string_append_c (out, '}');
    }
  g_string_append_c (out, ']');
  hotplug_ctl_json_print (out);
}

static void
hotplug_ctl_slots_text (HotplugCtl *ctl, GPtrArray *slots, GVariant **devices, gboolean tree)
{
  g_autoptr(HotplugCtlTable) table = NULL;

  table = hotplug_ctl_table_new (_("SLOT"), _("STATE"), _("ADDRESS"), _("DEVICES"),
                                 _("PARENT"), _("DOMAIN"), NULL);
  for (guint i = 0; i < slots->len; i++)
    {
      HotplugDbusUnit *slot = slots->pdata[i];
      const char *state = hotplug_dbus_unit_get_state (slot);
      const char *const *pci = hotplug_dbus_unit_get_pci_devices (slot);
      g_autofree char *address = hotplug_ctl_slot_address (pci);
      g_autofree char *count = g_strdup_printf ("%u", pci ? g_strv_length ((char **) pci) : 0);

      hotplug_ctl_table_add_row (table);
      hotplug_ctl_table_add_cell (table, HOTPLUG_CTL_STYLE_NONE, hotplug_dbus_unit_get_id (slot));
      hotplug_ctl_table_add_cell (table, hotplug_ctl_state_style (state), state);
      hotplug_ctl_table_add_cell (table, HOTPLUG_CTL_STYLE_NONE, address);
      hotplug_ctl_table_add_cell (table, HOTPLUG_CTL_STYLE_NONE, count);
      hotplug_ctl_table_add_cell (table, HOTPLUG_CTL_STYLE_NONE, hotplug_dbus_unit_get_parent (slot));
      hotplug_ctl_table_add_cell (table, HOTPLUG_CTL_STYLE_NONE, hotplug_dbus_unit_get_domain (slot));
      if (tree && devices[i] != NULL && g_variant_n_children (devices[i]) > 0)
        {
          g_autofree char *text = hotplug_ctl_device_tree (ctl, devices[i], "  ");

          hotplug_ctl_table_add_trailer (table, text);
        }
    }
  hotplug_ctl_table_print (table, ctl);
}

int
hotplug_ctl_slots (HotplugCtl *ctl, int argc, char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GPtrArray) slots = NULL;
  g_autofree GVariant **devices = NULL;
  gboolean tree = FALSE;
  int status = HOTPLUG_CTL_EXIT_OK;

  const GOptionEntry entries[] = {
    { "tree", 't', 0, G_OPTION_ARG_NONE, &tree,
      N_("Show the devices nested below each slot"), NULL },
    { NULL }
  };

  context = hotplug_ctl_option_context (ctl, "slots", NULL,
                                        _("List the PCI hotplug slots with their state, "
                                          "address, unit and domain."), TRUE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if ((status = hotplug_ctl_parse_options (context, &argc, &argv, 0, NULL)))
    return status;

  if (!hotplug_ctl_connect (ctl))
    return HOTPLUG_CTL_EXIT_ERROR;

  slots = hotplug_ctl_list_units (ctl, "slot");
  devices = g_new0 (GVariant *, slots->len + 1);
  for (guint i = 0; (tree || ctl->json) && i < slots->len; i++)
    {
      HotplugDbusUnit *slot = slots->pdata[i];
      const char *const *pci = hotplug_dbus_unit_get_pci_devices (slot);
      g_autoptr(GError) error = NULL;

      /* An empty slot has nothing to list. */
      if (pci == NULL || pci[0] == NULL)
        continue;
      devices[i] = hotplug_ctl_list_devices (ctl, hotplug_dbus_unit_get_id (slot), &error);
      if (devices[i] == NULL)
        {
          hotplug_ctl_print_gerror (error);
          status = HOTPLUG_CTL_EXIT_ERROR;
        }
    }

  if (ctl->json)
    hotplug_ctl_slots_json (ctl, slots, devices);
  else
    hotplug_ctl_slots_text (ctl, slots, devices, tree);

  for (guint i = 0; i < slots->len; i++)
    g_clear_pointer (&devices[i], g_variant_unref);
  return status;
}
