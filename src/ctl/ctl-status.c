/* hotplugctl status — the platform at a glance.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "ctl-common.h"

/* "pre-remove (job 3)", the phase alone, or nothing */
static char *
hotplug_ctl_status_phase (HotplugDbusUnit *unit)
{
  const char *phase = hotplug_dbus_unit_get_phase (unit);
  g_autofree char *job = hotplug_ctl_job_number (hotplug_dbus_unit_get_job (unit));

  if (job != NULL)
    /* TRANSLATORS: a unit's job phase and job number: "pre-remove (job 3)" */
    return g_strdup_printf (_("%s (job %s)"), hotplug_ctl_or_dash (phase), job);
  return g_strdup (phase);
}

static void
hotplug_ctl_status_units (HotplugCtl *ctl, GPtrArray *units)
{
  g_autoptr(HotplugCtlTable) table = NULL;

  table = hotplug_ctl_table_new (_("ID"), _("KIND"), _("STATE"), _("PHASE"),
                                 _("CPUS"), _("MEMORY"), _("PCI"), _("PARENT"),
                                 NULL);
  for (guint i = 0; i < units->len; i++)
    {
      HotplugDbusUnit *unit = units->pdata[i];
      const char *state = hotplug_dbus_unit_get_state (unit);
      const char *const *pci = hotplug_dbus_unit_get_pci_devices (unit);
      guint npci = pci ? g_strv_length ((char **) pci) : 0;
      g_autofree char *phase = hotplug_ctl_status_phase (unit);
      g_autofree char *cpus = hotplug_ctl_format_cpus (hotplug_dbus_unit_get_cpus (unit),
                                                       hotplug_dbus_unit_get_cpus_online (unit));
      g_autofree char *memory = hotplug_ctl_format_memory (hotplug_dbus_unit_get_memory_bytes (unit),
                                                           hotplug_dbus_unit_get_memory_blocks (unit),
                                                           hotplug_dbus_unit_get_memory_blocks_online (unit));
      g_autofree char *count = npci ? g_strdup_printf ("%u", npci) : NULL;

      hotplug_ctl_table_add_row (table);
      hotplug_ctl_table_add_cell (table, HOTPLUG_CTL_STYLE_NONE, hotplug_dbus_unit_get_id (unit));
      hotplug_ctl_table_add_cell (table, HOTPLUG_CTL_STYLE_NONE, hotplug_dbus_unit_get_kind (unit));
      hotplug_ctl_table_add_cell (table, hotplug_ctl_state_style (state), state);
      hotplug_ctl_table_add_cell (table, HOTPLUG_CTL_STYLE_NONE, phase);
      hotplug_ctl_table_add_cell (table, HOTPLUG_CTL_STYLE_NONE, cpus);
      hotplug_ctl_table_add_cell (table, HOTPLUG_CTL_STYLE_NONE, memory);
      hotplug_ctl_table_add_cell (table, HOTPLUG_CTL_STYLE_NONE, count);
      hotplug_ctl_table_add_cell (table, HOTPLUG_CTL_STYLE_NONE, hotplug_dbus_unit_get_parent (unit));
    }
  hotplug_ctl_table_print (table, ctl);
}

static void
hotplug_ctl_status_domains (HotplugCtl *ctl, GPtrArray *domains)
{
  g_autoptr(HotplugCtlTable) table = NULL;

  table = hotplug_ctl_table_new (_("DOMAIN"), _("CONNECTION"), NULL);
  for (guint i = 0; i < domains->len; i++)
    {
      HotplugDbusDomain *domain = domains->pdata[i];
      const char *state = hotplug_dbus_domain_get_connection_state (domain);

      hotplug_ctl_table_add_row (table);
      hotplug_ctl_table_add_cell (table, HOTPLUG_CTL_STYLE_NONE, hotplug_dbus_domain_get_id (domain));
      hotplug_ctl_table_add_cell (table, hotplug_ctl_state_style (state), state);
    }
  hotplug_ctl_table_print (table, ctl);
}

static void
hotplug_ctl_status_json (GPtrArray *units, GPtrArray *domains)
{
  g_autoptr(GString) out = g_string_new ("{\"Units\":[");

  for (guint i = 0; i < units->len; i++)
    {
      g_string_append (out, i ? ",{" : "{");
      hotplug_ctl_json_properties (out, units->pdata[i]);
      g_string_append_c (out, '}');
    }
  g_string_append (out, "],\"Domains\":[");
  for (guint i = 0; i < domains->len; i++)
    {
      g_string_append (out, i ? ",{" : "{");
      hotplug_ctl_json_properties (out, domains->pdata[i]);
      g_string_append_c (out, '}');
    }
  g_string_append (out, "]}");
  hotplug_ctl_json_print (out);
}

int
hotplug_ctl_status (HotplugCtl *ctl, int argc, char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  int status;
  g_autoptr(GPtrArray) units = NULL;
  g_autoptr(GPtrArray) domains = NULL;

  context = hotplug_ctl_option_context (ctl, "status", NULL,
                                        _("Show every unit with its state, CPUs, memory and "
                                          "PCI devices, then the PCI domains."), TRUE);
  if ((status = hotplug_ctl_parse_options (context, &argc, &argv, 0, NULL)))
    return status;

  if (!hotplug_ctl_connect (ctl))
    return HOTPLUG_CTL_EXIT_ERROR;

  units = hotplug_ctl_list_units (ctl, NULL);
  domains = hotplug_ctl_list_domains (ctl);

  if (ctl->json)
    {
      hotplug_ctl_status_json (units, domains);
      return HOTPLUG_CTL_EXIT_OK;
    }

  hotplug_ctl_status_units (ctl, units);
  if (domains->len > 0)
    {
      printf ("\n");
      hotplug_ctl_status_domains (ctl, domains);
    }
  return HOTPLUG_CTL_EXIT_OK;
}
