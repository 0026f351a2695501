/* hotplugctl show UNIT — every property of one unit, its PCI devices as a
 * tree and the job running on it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "ctl-common.h"
#include "hotplug-error.h"

/* Keys are padded so that values line up; the longest translated key sets
 * the column. */
typedef struct
{
  GPtrArray *keys;
  GPtrArray *values;
} HotplugCtlShowLines;

static void
hotplug_ctl_show_add (HotplugCtlShowLines *lines, const char *key, const char *value)
{
  g_ptr_array_add (lines->keys, g_strdup (key));
  g_ptr_array_add (lines->values, g_strdup (hotplug_ctl_or_dash (value)));
}

static void
hotplug_ctl_show_print (HotplugCtlShowLines *lines, const char *indent)
{
  glong width = 0;

  for (guint i = 0; i < lines->keys->len; i++)
    width = MAX (width, g_utf8_strlen (lines->keys->pdata[i], -1));
  for (guint i = 0; i < lines->keys->len; i++)
    {
      const char *key = lines->keys->pdata[i];

      printf ("%s%s:%*s %s\n", indent, key,
              (int) (width - g_utf8_strlen (key, -1)), "",
              (const char *) lines->values->pdata[i]);
    }
}

static void
hotplug_ctl_show_lines_init (HotplugCtlShowLines *lines)
{
  lines->keys = g_ptr_array_new_with_free_func (g_free);
  lines->values = g_ptr_array_new_with_free_func (g_free);
}

static void
hotplug_ctl_show_lines_clear (HotplugCtlShowLines *lines)
{
  g_clear_pointer (&lines->keys, g_ptr_array_unref);
  g_clear_pointer (&lines->values, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (HotplugCtlShowLines, hotplug_ctl_show_lines_clear)

static char *
hotplug_ctl_show_time (guint64 usec)
{
  g_autoptr(GDateTime) time = NULL;

  if (usec == 0)
    return NULL;
  time = g_date_time_new_from_unix_local ((gint64) (usec / G_USEC_PER_SEC));
  return time ? g_date_time_format (time, "%Y-%m-%d %H:%M:%S") : NULL;
}

static void
hotplug_ctl_show_job (HotplugDbusJob *job)
{
  g_auto(HotplugCtlShowLines) lines = { 0 };
  g_autofree char *progress = g_strdup_printf ("%u%%", hotplug_dbus_job_get_progress (job));
  g_autofree char *start = hotplug_ctl_show_time (hotplug_dbus_job_get_start_time (job));
  g_autofree char *end = hotplug_ctl_show_time (hotplug_dbus_job_get_end_time (job));
  g_autofree char *id = g_strdup_printf ("%u", hotplug_dbus_job_get_id (job));

  hotplug_ctl_show_lines_init (&lines);
  hotplug_ctl_show_add (&lines, _("Id"), id);
  hotplug_ctl_show_add (&lines, _("Operation"), hotplug_dbus_job_get_operation (job));
  hotplug_ctl_show_add (&lines, _("State"), hotplug_dbus_job_get_state (job));
  hotplug_ctl_show_add (&lines, _("Phase"), hotplug_dbus_job_get_phase (job));
  hotplug_ctl_show_add (&lines, _("Step"), hotplug_dbus_job_get_step (job));
  hotplug_ctl_show_add (&lines, _("Progress"), progress);
  hotplug_ctl_show_add (&lines, _("Hook"), hotplug_dbus_job_get_hook (job));
  hotplug_ctl_show_add (&lines, _("Reason"), hotplug_dbus_job_get_reason (job));
  hotplug_ctl_show_add (&lines, _("Started"), start);
  hotplug_ctl_show_add (&lines, _("Ended"), end);
  printf (_("Running job:\n"));
  hotplug_ctl_show_print (&lines, "  ");
}

static char *
hotplug_ctl_show_blockers (GVariant *blockers)
{
  GString *text = g_string_new (NULL);
  GVariantIter iter;
  const char *kind, *object, *detail, *process;

  if (blockers == NULL)
    return g_string_free (text, FALSE);
  g_variant_iter_init (&iter, blockers);
  while (g_variant_iter_next (&iter, "(&s&s&s&s)", &kind, &object, &detail, &process))
    {
      if (text->len > 0)
        g_string_append (text, "\n  ");
      g_string_append_printf (text, "%s %s", kind, object);
      if (*detail)
        g_string_append_printf (text, " %s", detail);
      if (*process)
        g_string_append_printf (text, " (%s)", process);
    }
  return g_string_free (text, FALSE);
}

static void
hotplug_ctl_show_text (HotplugCtl      *ctl,
                       HotplugDbusUnit *unit,
                       GVariant        *devices,
                       HotplugDbusJob  *job)
{
  g_auto(HotplugCtlShowLines) lines = { 0 };
  const char *const *pci = hotplug_dbus_unit_get_pci_devices (unit);
  const char *const *slots = hotplug_dbus_unit_get_slots (unit);
  guint64 bytes = hotplug_dbus_unit_get_memory_bytes (unit);
  g_autofree char *memory = bytes ? hotplug_ctl_format_size (bytes) : NULL;
  g_autofree char *blocks = NULL;
  g_autofree char *pci_text = pci ? g_strjoinv (" ", (char **) pci) : NULL;
  g_autofree char *slots_text = slots ? g_strjoinv (" ", (char **) slots) : NULL;
  g_autofree char *blockers = hotplug_ctl_show_blockers (hotplug_dbus_unit_get_blockers (unit));
  const char *job_path = hotplug_dbus_unit_get_job (unit);
  const char *last_state = hotplug_dbus_unit_get_last_job_state (unit);
  /* TRANSLATORS: a slot the platform cannot power: "no: <why>" */
  g_autofree char *hotpluggable = hotplug_dbus_unit_get_hotpluggable (unit)
                                    ? g_strdup (_("yes"))
                                    : g_strdup_printf (_("no: %s"), hotplug_dbus_unit_get_hotpluggable_reason (unit));

  if (hotplug_dbus_unit_get_memory_blocks (unit) > 0)
    /* TRANSLATORS: memory blocks of a unit: "64 (64 online)" */
    blocks = g_strdup_printf (_("%u (%u online)"), hotplug_dbus_unit_get_memory_blocks (unit),
                              hotplug_dbus_unit_get_memory_blocks_online (unit));

  hotplug_ctl_show_lines_init (&lines);
  hotplug_ctl_show_add (&lines, _("Id"), hotplug_dbus_unit_get_id (unit));
  hotplug_ctl_show_add (&lines, _("Kind"), hotplug_dbus_unit_get_kind (unit));
  hotplug_ctl_show_add (&lines, _("State"), hotplug_dbus_unit_get_state (unit));
  hotplug_ctl_show_add (&lines, _("Hotpluggable"), hotpluggable);
  hotplug_ctl_show_add (&lines, _("Phase"), hotplug_dbus_unit_get_phase (unit));
  hotplug_ctl_show_add (&lines, _("Parent"), hotplug_dbus_unit_get_parent (unit));
  hotplug_ctl_show_add (&lines, _("Sysfs path"), hotplug_dbus_unit_get_sysfs_path (unit));
  hotplug_ctl_show_add (&lines, _("CPUs"), hotplug_dbus_unit_get_cpus (unit));
  hotplug_ctl_show_add (&lines, _("CPUs online"), hotplug_dbus_unit_get_cpus_online (unit));
  hotplug_ctl_show_add (&lines, _("NUMA nodes"), hotplug_dbus_unit_get_nodes (unit));
  hotplug_ctl_show_add (&lines, _("Memory"), memory);
  hotplug_ctl_show_add (&lines, _("Memory blocks"), blocks);
  hotplug_ctl_show_add (&lines, _("Memory ranges"), hotplug_dbus_unit_get_memory_ranges (unit));
  hotplug_ctl_show_add (&lines, _("Slots"), slots_text);
  hotplug_ctl_show_add (&lines, _("Domain"), hotplug_dbus_unit_get_domain (unit));
  hotplug_ctl_show_add (&lines, _("PCI devices"), pci_text);
  hotplug_ctl_show_add (&lines, _("Blockers"), blockers);
  hotplug_ctl_show_add (&lines, _("Job"), g_strcmp0 (job_path, "/") ? job_path : NULL);
  /* Only once a job has ended on the unit: a dash in each would say
   * nothing. */
  if (last_state != NULL && *last_state != '\0')
    {
      g_autofree char *ended = hotplug_ctl_show_time (hotplug_dbus_unit_get_last_job_end_time (unit));

      hotplug_ctl_show_add (&lines, _("Last job"), hotplug_dbus_unit_get_last_job_operation (unit));
      hotplug_ctl_show_add (&lines, _("Last job state"), last_state);
      hotplug_ctl_show_add (&lines, _("Last job reason"), hotplug_dbus_unit_get_last_job_reason (unit));
      hotplug_ctl_show_add (&lines, _("Last job ended"), ended);
    }
  hotplug_ctl_show_print (&lines, "");

  if (devices != NULL && g_variant_n_children (devices) > 0)
    {
      g_autofree char *tree = hotplug_ctl_device_tree (ctl, devices, "  ");

      printf (_("Device tree:\n"));
      fputs (tree, stdout);
    }
  if (job != NULL)
    hotplug_ctl_show_job (job);
}

static void
hotplug_ctl_show_json (HotplugDbusUnit *unit,
                       GVariant        *devices,
                       HotplugDbusJob  *job)
{
  g_autoptr(GString) out = g_string_new ("{");

  hotplug_ctl_json_properties (out, G_DBUS_PROXY (unit));
  /* Not properties of the unit, so under names no property has. */
  g_string_append (out, ",\"Devices\":");
  if (devices != NULL)
    hotplug_ctl_json_devices (out, devices);
  else
    g_string_append (out, "[]");
  hotplug_ctl_json_running_job (out, job);
  g_string_append_c (out, '}');
  hotplug_ctl_json_print (out);
}

int
hotplug_ctl_show (HotplugCtl *ctl, int argc, char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  int status;
  g_autoptr(GError) error = NULL;
  g_autoptr(HotplugDbusUnit) unit = NULL;
  g_autoptr(HotplugDbusJob) job = NULL;
  g_autoptr(GVariant) devices = NULL;
  const char *const *pci;

  context = hotplug_ctl_option_context (ctl, "show", _("UNIT"),
                                        _("Show every property of a unit (sb0, iou1, slot-NAME, "
                                          "cpu3, memory-node0), its PCI devices and its job."),
                                        TRUE);
  if ((status = hotplug_ctl_parse_options (context, &argc, &argv, 1, _("missing unit"))))
    return status;

  if (!hotplug_ctl_connect (ctl))
    return HOTPLUG_CTL_EXIT_ERROR;

  unit = hotplug_ctl_get_unit (ctl, argv[1], &error);
  if (unit == NULL)
    {
      if (g_error_matches (error, HOTPLUG_ERROR, HOTPLUG_ERROR_NO_SUCH_UNIT))
        hotplug_ctl_error (_("no such unit: %s"), argv[1]);
      else
        hotplug_ctl_print_gerror (error);
      return HOTPLUG_CTL_EXIT_ERROR;
    }

  pci = hotplug_dbus_unit_get_pci_devices (unit);
  if (pci != NULL && pci[0] != NULL)
    {
      devices = hotplug_ctl_list_devices (ctl, argv[1], &error);
      if (devices == NULL)
        {
          /* The properties are still worth showing. */
          hotplug_ctl_print_gerror (error);
          g_clear_error (&error);
        }
    }
  job = hotplug_ctl_get_job (ctl, hotplug_dbus_unit_get_job (unit));

  if (ctl->json)
    hotplug_ctl_show_json (unit, devices, job);
  else
    hotplug_ctl_show_text (ctl, unit, devices, job);
  return HOTPLUG_CTL_EXIT_OK;
}
