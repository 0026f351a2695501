/* hotplugctl jobs — the jobs that run and those that ended a short while
 * ago (hotplugd keeps an ended job on the bus for a while).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "ctl-common.h"
#include "hotplug-names.h"

static int
hotplug_ctl_jobs_compare (gconstpointer pa, gconstpointer pb)
{
  guint a = hotplug_dbus_job_get_id (*(HotplugDbusJob **) pa);
  guint b = hotplug_dbus_job_get_id (*(HotplugDbusJob **) pb);

  return a < b ? -1 : a > b;
}

static GPtrArray *
hotplug_ctl_jobs_list (HotplugCtl *ctl)
{
  GPtrArray *jobs = g_ptr_array_new_with_free_func (g_object_unref);
  GList *objects = g_dbus_object_manager_get_objects (ctl->objects);

  for (GList *l = objects; l != NULL; l = l->next)
    {
      GDBusInterface *job = g_dbus_object_get_interface (l->data, HOTPLUG_DBUS_IFACE_JOB);

      if (job != NULL)
        g_ptr_array_add (jobs, job);
    }
  g_list_free_full (objects, g_object_unref);
  g_ptr_array_sort (jobs, hotplug_ctl_jobs_compare);
  return jobs;
}

static void
hotplug_ctl_jobs_json (GPtrArray *jobs)
{
  g_autoptr(GString) out = g_string_new ("[");

  for (guint i = 0; i < jobs->len; i++)
    {
      GDBusProxy *proxy = jobs->pdata[i];

      g_string_append (out, i ? ",{\"Path\":" : "{\"Path\":");
      hotplug_ctl_json_string (out, g_dbus_proxy_get_object_path (proxy));
      g_string_append_c (out, ',');
      hotplug_ctl_json_properties (out, proxy);
      g_string_append_c (out, '}');
    }
  g_string_append_c (out, ']');
  hotplug_ctl_json_print (out);
}

static void
hotplug_ctl_jobs_table (HotplugCtl *ctl, GPtrArray *jobs)
{
  g_autoptr(HotplugCtlTable) table = NULL;

  table = hotplug_ctl_table_new (_("ID"), _("OPERATION"), _("UNIT"), _("STATE"), _("PHASE"),
                                 _("PROGRESS"), _("STARTED"), _("STEP/REASON"), NULL);
  for (guint i = 0; i < jobs->len; i++)
    {
      HotplugDbusJob *job = jobs->pdata[i];
      const char *state = hotplug_dbus_job_get_state (job);
      gboolean running = g_strcmp0 (state, "running") == 0;
      g_autofree char *id = g_strdup_printf ("%u", hotplug_dbus_job_get_id (job));
      g_autofree char *progress = g_strdup_printf ("%u%%", hotplug_dbus_job_get_progress (job));
      g_autofree char *started = hotplug_ctl_format_time (hotplug_dbus_job_get_start_time (job));
      g_autofree char *operation = NULL;

      if (hotplug_dbus_job_get_dry_run (job))
        /* TRANSLATORS: the operation of a dry-run job: "remove (dry run)" */
        operation = g_strdup_printf (_("%s (dry run)"),
                                     hotplug_ctl_or_dash (hotplug_dbus_job_get_operation (job)));
      else
        operation = g_strdup (hotplug_dbus_job_get_operation (job));

      hotplug_ctl_table_add_row (table);
      hotplug_ctl_table_add_cell (table, HOTPLUG_CTL_STYLE_NONE, id);
      hotplug_ctl_table_add_cell (table, HOTPLUG_CTL_STYLE_NONE, operation);
      hotplug_ctl_table_add_cell (table, HOTPLUG_CTL_STYLE_NONE, hotplug_dbus_job_get_unit (job));
      hotplug_ctl_table_add_cell (table, hotplug_ctl_state_style (state), state);
      /* an ended job is in no phase any more (--json keeps the last one) */
      hotplug_ctl_table_add_cell (table, HOTPLUG_CTL_STYLE_NONE,
                                  running ? hotplug_dbus_job_get_phase (job) : hotplug_ctl_or_dash (NULL));
      hotplug_ctl_table_add_cell (table, HOTPLUG_CTL_STYLE_NONE, progress);
      hotplug_ctl_table_add_cell (table, HOTPLUG_CTL_STYLE_NONE, started);
      /* The last column, so that words with blanks need no quoting. */
      hotplug_ctl_table_add_cell (table, HOTPLUG_CTL_STYLE_NONE,
                                  running ? hotplug_dbus_job_get_step (job)
                                          : hotplug_dbus_job_get_reason (job));
    }
  hotplug_ctl_table_print (table, ctl);
}

int
hotplug_ctl_jobs (HotplugCtl *ctl, int argc, char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  int status;
  g_autoptr(GPtrArray) jobs = NULL;

  context = hotplug_ctl_option_context (ctl, "jobs", NULL,
                                        _("List the running jobs and those that ended a short "
                                          "while ago: operation, unit, state, phase, progress, "
                                          "and what a running job does or why an ended one "
                                          "ended so."), TRUE);
  if ((status = hotplug_ctl_parse_options (context, &argc, &argv, 0, NULL)))
    return status;

  if (!hotplug_ctl_connect (ctl))
    return HOTPLUG_CTL_EXIT_ERROR;

  jobs = hotplug_ctl_jobs_list (ctl);
  if (ctl->json)
    hotplug_ctl_jobs_json (jobs);
  else if (jobs->len == 0)
    printf (_("No jobs.\n"));
  else
    hotplug_ctl_jobs_table (ctl, jobs);
  return HOTPLUG_CTL_EXIT_OK;
}
