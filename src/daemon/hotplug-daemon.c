/* hotplugd — the hotplug daemon: wires the event source, the platform model
 * and the bus together and runs the main loop.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <signal.h>
#include <stdlib.h>

#include <glib-unix.h>
#include <glib/gi18n.h>

#include "hotplug-log.h"
#include "hotplug-manager.h"
#include "hotplug-names.h"
#include "hotplug-util.h"

typedef struct
{
  GMainLoop *loop;
  int        status;
} Daemon;

static gboolean
on_signal (gpointer user_data)
{
  Daemon *d = user_data;

  hotplug_message ("daemon", "terminating on a signal");
  d->status = EXIT_SUCCESS;
  g_main_loop_quit (d->loop);
  return G_SOURCE_REMOVE;
}

static void
on_name_lost (HotplugManager *manager, gpointer user_data)
{
  Daemon *d = user_data;

  d->status = EXIT_FAILURE;
  g_main_loop_quit (d->loop);
}

/* systemd passes every StateDirectory= entry, colon-separated: ours is
 * the first */
static char *
hotplug_daemon_state_directory (void)
{
  const char *env = g_getenv (HOTPLUG_ENV_STATE_DIRECTORY);
  g_auto(GStrv) dirs = env && *env ? g_strsplit (env, ":", 2) : NULL;

  return g_strdup (dirs && dirs[0] && *dirs[0] ? dirs[0] : HOTPLUG_STATE_DIRECTORY_DEFAULT);
}

int
main (int argc, char **argv)
{
  gboolean verbose = FALSE, replace = FALSE, version = FALSE;
  int receive_buffer = 0;
  g_autofree char *sysfs_root = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *state_dir = NULL;
  GOptionEntry entries[] = {
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, N_("Log debug messages"), NULL },
    { "replace", 'r', 0, G_OPTION_ARG_NONE, &replace, N_("Replace a running instance"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Print the version and exit"), NULL },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      N_("Read the configuration from FILE"), N_("FILE") },
    { "state-directory", 0, 0, G_OPTION_ARG_FILENAME, &state_dir,
      N_("Keep state in DIR (default: $STATE_DIRECTORY, else /var/lib/hotplugd)"), N_("DIR") },
    { "sysfs-root", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &sysfs_root,
      "Read sysfs below DIR (tests)", "DIR" },
    { "receive-buffer-size", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &receive_buffer,
      "Event socket receive buffer in bytes (tests; default 128 MiB)", "BYTES" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HotplugUdev) udev = NULL;
  g_autoptr(HotplugPlatform) platform = NULL;
  g_autoptr(HotplugManager) manager = NULL;
  Daemon d = { NULL, EXIT_SUCCESS };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("Orchestrates hot add and removal of boards, I/O units, slots, CPUs and memory."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("hotplugd: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      g_print ("hotplugd %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }

  hotplug_log_setup (verbose);
  if (sysfs_root)
    hotplug_sysfs_set_root (sysfs_root);
  else if (g_getenv (HOTPLUG_ENV_SYSFS_ROOT))
    hotplug_sysfs_set_root (g_getenv (HOTPLUG_ENV_SYSFS_ROOT));

  /* a hook or client that goes away while we write to it is not fatal */
  signal (SIGPIPE, SIG_IGN);

  d.loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, on_signal, &d);
  g_unix_signal_add (SIGINT, on_signal, &d);

  udev = hotplug_udev_new ();
  if (receive_buffer > 0)
    hotplug_udev_set_receive_buffer_size (udev, receive_buffer);
  platform = hotplug_platform_new ();
  if (state_dir == NULL)
    state_dir = hotplug_daemon_state_directory ();
  hotplug_platform_set_state_directory (platform, state_dir);
  manager = hotplug_manager_new (platform, udev);
  g_signal_connect (manager, "name-lost", G_CALLBACK (on_name_lost), &d);
  if (!hotplug_manager_load_config (manager, config_path, &error))
    {
      /* a daemon that manages hardware keeps running on its defaults */
      hotplug_log_full (G_LOG_LEVEL_WARNING, "daemon", NULL, NULL, NULL, NULL,
                        "%s: using the defaults", error->message);
      g_clear_error (&error);
    }
  if (!hotplug_manager_start (manager, NULL, replace, &error))
    {
      hotplug_log_full (G_LOG_LEVEL_CRITICAL, "daemon", NULL, NULL, NULL, NULL,
                        "cannot start: %s", error->message);
      return EXIT_FAILURE;
    }

  g_main_loop_run (d.loop);
  g_clear_object (&manager);
  g_main_loop_unref (d.loop);
  return d.status;
}
