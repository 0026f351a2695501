/* hotplugctl cancel JOB — ask hotplugd to stop a job at its next safe
 * point and undo what it did.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "ctl-common.h"
#include "hotplug-names.h"

static gboolean
hotplug_ctl_cancel_gone (const GError *error)
{
  /* The job ended and went away between the look-up and the call. */
  return g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT) ||
         g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD) ||
         g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_INTERFACE);
}

int
hotplug_ctl_cancel (HotplugCtl *ctl, int argc, char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  int status;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(HotplugDbusJob) job = NULL;
  g_autofree char *path = NULL;

  context = hotplug_ctl_option_context (ctl, "cancel", _("JOB"),
                                        _("Cancel a running job, given by its number (7) or its "
                                          "object path: hotplugd stops it at the next safe "
                                          "point and undoes what it did."), FALSE);
  if ((status = hotplug_ctl_parse_options (context, &argc, &argv, 1, _("missing job"))))
    return status;

  path = hotplug_ctl_job_path (argv[1]);
  if (path == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("not a job number or path: %s"), argv[1]);

      return hotplug_ctl_usage_error (context, message);
    }

  if (!hotplug_ctl_connect (ctl))
    return HOTPLUG_CTL_EXIT_ERROR;

  job = hotplug_ctl_get_job (ctl, path);
  if (job == NULL)
    {
      hotplug_ctl_error (_("no such job: %s"), argv[1]);
      return HOTPLUG_CTL_EXIT_ERROR;
    }

  /* Not through the proxy: polkit may want to ask for a password, and that
   * takes as long as the user does. */
  reply = g_dbus_connection_call_sync (ctl->bus, HOTPLUG_DBUS_NAME, path, HOTPLUG_DBUS_IFACE_JOB,
                                       "Cancel", NULL, G_VARIANT_TYPE ("()"),
                                       G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION,
                                       G_MAXINT, NULL, &error);
  if (reply == NULL)
    {
      if (hotplug_ctl_cancel_gone (error))
        hotplug_ctl_error (_("no such job: %s"), argv[1]);
      else
        {
          g_dbus_error_strip_remote_error (error);
          hotplug_ctl_error (_("cannot cancel job %u: %s"), hotplug_dbus_job_get_id (job),
                             error->message);
        }
      return HOTPLUG_CTL_EXIT_ERROR;
    }
  /* TRANSLATORS: "job 7 (remove sb1): cancel requested" */
  printf (_("job %u (%s %s): cancel requested\n"), hotplug_dbus_job_get_id (job),
          hotplug_ctl_or_dash (hotplug_dbus_job_get_operation (job)),
          hotplug_ctl_or_dash (hotplug_dbus_job_get_unit (job)));
  return HOTPLUG_CTL_EXIT_OK;
}
