/* hotplugctl replace UNIT — hot replace, followed like add and remove,
 * with the window counted down (Enter on a terminal resumes); and
 * hotplugctl replace --resume JOB — the part is back.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl-common.h"
#include "hotplug-names.h"

/* The window of the job being followed. */
static struct
{
  HotplugCtl *ctl;
  char       *job_path;
  gint64      end;      /* µs since the epoch; 0: not in a window */
  guint       tick;
  guint       stdin_watch;
  gboolean    asked;
} window;

static void
hotplug_ctl_window_line (void)
{
  gint64 left = (window.end - g_get_real_time () + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;

  fputc ('\r', stderr);
  /* TRANSLATORS: the countdown of a replace window on a terminal */
  fprintf (stderr, _("  swap the part: %lld s left (Enter when it is back) "), (long long) MAX (left, (gint64) 0));
  fflush (stderr);
}

static gboolean
hotplug_ctl_window_tick (gpointer user_data)
{
  hotplug_ctl_window_line ();
  return G_SOURCE_CONTINUE;
}

static void
hotplug_ctl_window_resumed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);

  if (reply == NULL)
    {
      g_dbus_error_strip_remote_error (error);
      hotplug_ctl_error (_("cannot resume: %s"), error->message);
    }
}

static gboolean
hotplug_ctl_window_stdin (int fd, GIOCondition condition, gpointer user_data)
{
  char buf[256];
  ssize_t n = read (fd, buf, sizeof buf);

  if (n <= 0)
    {
      window.stdin_watch = 0;
      return G_SOURCE_REMOVE;
    }
  if (memchr (buf, '\n', (size_t) n) && !window.asked && window.end)
    {
      window.asked = TRUE;
      g_dbus_connection_call (window.ctl->bus, HOTPLUG_DBUS_NAME, window.job_path, HOTPLUG_DBUS_IFACE_JOB,
                              "Resume", NULL, G_VARIANT_TYPE ("()"),
                              G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION, G_MAXINT, NULL,
                              hotplug_ctl_window_resumed, NULL);
    }
  return G_SOURCE_CONTINUE;
}

void
hotplug_ctl_window_stop (void)
{
  g_clear_handle_id (&window.tick, g_source_remove);
  g_clear_handle_id (&window.stdin_watch, g_source_remove);
  if (window.end && window.ctl && window.ctl->tty)
    fputc ('\n', stderr);
  window.end = 0;
  g_clear_pointer (&window.job_path, g_free);
}

void
hotplug_ctl_window_changed (HotplugCtl *ctl, const char *job_path, gint64 end)
{
  g_autofree char *number = NULL;
  gint64 left;

  if (end == 0)
    {
      hotplug_ctl_window_stop ();
      return;
    }
  if (window.end)
    return;
  window.ctl = ctl;
  window.job_path = g_strdup (job_path);
  window.end = end;
  window.asked = FALSE;
  number = hotplug_ctl_job_number (job_path);
  left = (end - g_get_real_time ()) / G_USEC_PER_SEC;
  /* TRANSLATORS: "the unit is quiesced: swap the part within 300 s; then
   * hotplugctl replace --resume 7, unless the platform reports it" */
  printf (_("the unit is quiesced: swap the part within %lld s; then hotplugctl replace "
            "--resume %s, unless the platform reports it\n"), (long long) MAX (left, (gint64) 0),
          hotplug_ctl_or_dash (number));
  fflush (stdout);
  if (ctl->tty && isatty (STDIN_FILENO))
    {
      hotplug_ctl_window_line ();
      window.tick = g_timeout_add_seconds (1, hotplug_ctl_window_tick, NULL);
      window.stdin_watch = g_unix_fd_add (STDIN_FILENO, G_IO_IN | G_IO_HUP, hotplug_ctl_window_stdin, NULL);
    }
}

static int
hotplug_ctl_replace_resume (HotplugCtl *ctl, GOptionContext *context, const char *which)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(HotplugDbusJob) job = NULL;
  g_autofree char *path = hotplug_ctl_job_path (which);

  if (path == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("not a job number or path: %s"), which);

      return hotplug_ctl_usage_error (context, message);
    }
  if (!hotplug_ctl_connect (ctl))
    return HOTPLUG_CTL_EXIT_ERROR;
  job = hotplug_ctl_get_job (ctl, path);
  if (job == NULL)
    {
      hotplug_ctl_error (_("no such job: %s"), which);
      return HOTPLUG_CTL_EXIT_ERROR;
    }
  reply = g_dbus_connection_call_sync (ctl->bus, HOTPLUG_DBUS_NAME, path, HOTPLUG_DBUS_IFACE_JOB, "Resume", NULL,
                                       G_VARIANT_TYPE ("()"), G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION,
                                       G_MAXINT, NULL, &error);
  if (reply == NULL)
    {
      g_dbus_error_strip_remote_error (error);
      hotplug_ctl_error (_("cannot resume job %u: %s"), hotplug_dbus_job_get_id (job), error->message);
      return HOTPLUG_CTL_EXIT_ERROR;
    }
  /* TRANSLATORS: "job 7 (replace slot-3): resumed" */
  printf (_("job %u (%s %s): resumed\n"), hotplug_dbus_job_get_id (job),
          hotplug_ctl_or_dash (hotplug_dbus_job_get_operation (job)),
          hotplug_ctl_or_dash (hotplug_dbus_job_get_unit (job)));
  return HOTPLUG_CTL_EXIT_OK;
}

int
hotplug_ctl_replace (HotplugCtl *ctl, int argc, char **argv)
{
  /* --resume JOB is a command of its own: look for it before the
   * operation's options are parsed */
  for (int i = 1; i < argc; i++)
    if (g_str_equal (argv[i], "--resume") || g_str_has_prefix (argv[i], "--resume="))
      {
        g_autoptr(GOptionContext) context = NULL;
        g_autofree char *which = NULL;
        int status;
        const GOptionEntry entries[] = {
          { "resume", 0, 0, G_OPTION_ARG_STRING, &which, N_("The part of JOB's replace is back: resume"),
            N_("JOB") },
          { NULL }
        };

        context = hotplug_ctl_option_context (ctl, "replace --resume", "",
                                              _("End the replace window of a job: its part is back."), FALSE);
        g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
        if ((status = hotplug_ctl_parse_options (context, &argc, &argv, 0, NULL)))
          return status;
        return hotplug_ctl_replace_resume (ctl, context, which);
      }
  return hotplug_ctl_operation_run (ctl, argc, argv, "replace", "Replace",
                                    _("Replace a unit's part in service: the pre-replace hooks quiesce it, "
                                      "its filesystems are frozen, and hotplugd waits for the part to be "
                                      "swapped (the platform reports it, or Enter, or hotplugctl replace "
                                      "--resume JOB); then thaw, rebind, post-replace. Exit status 0 only "
                                      "if it succeeded."));
}
