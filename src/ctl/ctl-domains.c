/* hotplugctl domains — the PCI domains and who owns them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "ctl-common.h"

/* The job running on a domain for the table: "7 switchover", or NULL. */
static char *
hotplug_ctl_domains_job_text (HotplugCtl *ctl, HotplugDbusDomain *domain)
{
  const char *path = hotplug_dbus_domain_get_job (domain);
  g_autoptr(HotplugDbusJob) job = hotplug_ctl_get_job (ctl, path);
  g_autofree char *number = hotplug_ctl_job_number (path);

  if (number == NULL)
    return NULL;
  if (job == NULL)
    return g_steal_pointer (&number);
  return g_strdup_printf ("%s %s", number, hotplug_ctl_or_dash (hotplug_dbus_job_get_operation (job)));
}

/* An array of domains, each with its properties and RunningJob (the job's
 * properties, or null). */
static void
hotplug_ctl_domains_json (HotplugCtl *ctl, GPtrArray *domains)
{
  g_autoptr(GString) out = g_string_new ("[");

  for (guint i = 0; i < domains->len; i++)
    {
      g_autoptr(HotplugDbusJob) job = hotplug_ctl_get_job (ctl, hotplug_dbus_domain_get_job (domains->pdata[i]));

      g_string_append (out, i ? ",{" : "{");
      hotplug_ctl_json_properties (out, domains->pdata[i]);
      hotplug_ctl_json_running_job (out, job);
      g_string_append_c (out, '}');
    }
  g_string_append_c (out, ']');
  hotplug_ctl_json_print (out);
}

int
hotplug_ctl_domains (HotplugCtl *ctl, int argc, char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  int status;
  g_autoptr(GPtrArray) domains = NULL;
  g_autoptr(HotplugCtlTable) table = NULL;

  context = hotplug_ctl_option_context (ctl, "domains", NULL,
                                        _("List the PCI domains with their connection state, "
                                          "slots and devices."), TRUE);
  if ((status = hotplug_ctl_parse_options (context, &argc, &argv, 0, NULL)))
    return status;

  if (!hotplug_ctl_connect (ctl))
    return HOTPLUG_CTL_EXIT_ERROR;

  domains = hotplug_ctl_list_domains (ctl);

  if (ctl->json)
    {
      hotplug_ctl_domains_json (ctl, domains);
      return HOTPLUG_CTL_EXIT_OK;
    }

  table = hotplug_ctl_table_new (_("DOMAIN"), _("CONNECTION"), _("JOB"),
                                 _("DEVICES"), _("BLOCKERS"), _("SLOTS"), NULL);
  for (guint i = 0; i < domains->len; i++)
    {
      HotplugDbusDomain *domain = domains->pdata[i];
      const char *state = hotplug_dbus_domain_get_connection_state (domain);
      const char *const *slots = hotplug_dbus_domain_get_slots (domain);
      const char *const *pci = hotplug_dbus_domain_get_pci_devices (domain);
      g_autofree char *slots_text = slots ? g_strjoinv (",", (char **) slots) : NULL;
      g_autofree char *count = g_strdup_printf ("%u", pci ? g_strv_length ((char **) pci) : 0);
      g_autofree char *job = hotplug_ctl_domains_job_text (ctl, domain);
      GVariant *blockers = hotplug_dbus_domain_get_blockers (domain);
      /* what a software disconnection would break: how much of it */
      g_autofree char *nblockers = g_strdup_printf ("%zu", blockers ? g_variant_n_children (blockers) : 0);

      hotplug_ctl_table_add_row (table);
      hotplug_ctl_table_add_cell (table, HOTPLUG_CTL_STYLE_NONE, hotplug_dbus_domain_get_id (domain));
      hotplug_ctl_table_add_cell (table, hotplug_ctl_state_style (state), state);
      hotplug_ctl_table_add_cell (table, HOTPLUG_CTL_STYLE_NONE, job);
      hotplug_ctl_table_add_cell (table, HOTPLUG_CTL_STYLE_NONE, count);
      hotplug_ctl_table_add_cell (table, HOTPLUG_CTL_STYLE_NONE, nblockers);
      hotplug_ctl_table_add_cell (table, HOTPLUG_CTL_STYLE_NONE, slots_text);
    }
  hotplug_ctl_table_print (table, ctl);
  return HOTPLUG_CTL_EXIT_OK;
}
