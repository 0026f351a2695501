/* hotplugd — the hotplug daemon: wires the event source, the platform model
 * and the bus together and runs the main loop.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <glib-unix.h>
#include <glib/gi18n.h>

#include "hotplug-log.h"
#include "hotplug-journal.h"
#include "hotplug-manager.h"
#include "hotplug-names.h"
#include "hotplug-notify.h"
#include "hotplug-util.h"

/* The exit status of a configuration that cannot be used (sysexits'
 * EX_CONFIG; the unit does not restart on it) */
#define EXIT_CONFIG 78

/* How long a SIGTERM waits for the running jobs to roll back */
#define STOP_TIMEOUT_S 60

/* How long a worker thread (a blockers scan, a kernel write) waits for
 * more work before it ends */
#define WORKER_IDLE_MS 1000

typedef struct
{
  GMainLoop      *loop;
  int             status;
  HotplugManager *manager;
  gboolean        stopping;
} Daemon;

static gboolean
on_stop_timeout (gpointer user_data)
{
  Daemon *d = user_data;

  hotplug_log_full (G_LOG_LEVEL_WARNING, "daemon", NULL, NULL, NULL, NULL,
                    "jobs still running after %d s: stopping now; the next start finishes them from the journal",
                    STOP_TIMEOUT_S);
  g_main_loop_quit (d->loop);
  return G_SOURCE_REMOVE;
}

static void
on_jobs_idle (HotplugJobs *jobs, gpointer user_data)
{
  Daemon *d = user_data;

  if (d->stopping)
    g_main_loop_quit (d->loop);
}

/* SIGTERM or SIGINT: the running jobs are rolled back first (each step in
 * flight ends, its undo and the *-failed hooks run, the journal follows),
 * within STOP_TIMEOUT_S; a second signal stops at once. */
static gboolean
on_signal (gpointer user_data)
{
  Daemon *d = user_data;
  HotplugJobs *jobs = hotplug_manager_get_jobs (d->manager);

  d->status = EXIT_SUCCESS;
  if (d->stopping || !hotplug_jobs_any_running (jobs))
    {
      hotplug_message ("daemon", "terminating on a signal");
      g_main_loop_quit (d->loop);
      return G_SOURCE_CONTINUE;
    }
  d->stopping = TRUE;
  hotplug_notify ("STOPPING=1\nSTATUS=stopping: rolling back the running jobs", NULL);
  hotplug_message ("daemon", "terminating on a signal: rolling back the running jobs first");
  g_signal_connect (jobs, "idle", G_CALLBACK (on_jobs_idle), d);
  hotplug_jobs_stop (jobs, "hotplugd is stopping");
  g_timeout_add_seconds (STOP_TIMEOUT_S, on_stop_timeout, d);
  return G_SOURCE_CONTINUE;
}

/* Ready for systemd once everything is enumerated and the name is owned
 * (Type=notify); STATUS= says what runs. */
static void
on_name_acquired (HotplugManager *manager, gpointer user_data)
{
  HotplugPlatform *platform = hotplug_manager_get_platform (manager);
  g_autoptr(GPtrArray) units = hotplug_platform_get_units (platform);
  g_autoptr(GPtrArray) domains = hotplug_platform_get_domains (platform);
  g_autoptr(GError) error = NULL;
  g_autofree char *state = g_strdup_printf ("READY=1\nSTATUS=ready: %u units, %u PCI domains", units->len,
                                            domains->len);

  if (!hotplug_notify (state, &error))
    hotplug_log_full (G_LOG_LEVEL_WARNING, "daemon", NULL, NULL, NULL, NULL, "%s", error->message);
}

static void
on_job_added (HotplugJobs *jobs, HotplugJob *job, gpointer user_data)
{
  hotplug_notify_status ("job %u: %s of %s", hotplug_job_get_id (job),
                         hotplug_dbus_job_get_operation (HOTPLUG_DBUS_JOB (job)), hotplug_job_get_target_id (job));
}

static void
on_jobs_quiet (HotplugJobs *jobs, gpointer user_data)
{
  hotplug_notify_status ("idle: no job running");
}

/* SIGHUP (systemctl reload): the configuration file again; a file that
 * cannot be used leaves the running configuration as it is. */
static gboolean
on_reload (gpointer user_data)
{
  Daemon *d = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *reloading = g_strdup_printf ("RELOADING=1\nMONOTONIC_USEC=%" G_GINT64_FORMAT,
                                                g_get_monotonic_time ());

  hotplug_notify (reloading, NULL);
  if (hotplug_manager_load_config (d->manager, NULL, &error))
    hotplug_message ("daemon", "configuration reloaded");
  else
    hotplug_log_full (G_LOG_LEVEL_WARNING, "daemon", NULL, NULL, NULL, NULL,
                      "reload: %s (the running configuration stays)", error->message);
  hotplug_notify ("READY=1", NULL);
  return G_SOURCE_CONTINUE;
}

/* What the daemon keeps at rest (bench/run idle, bench/run jobmem).  Before
 * any thread starts:
 *  - one malloc arena for all threads: each thread that allocates would
 *    otherwise get an arena of its own (the bus worker, every worker
 *    thread), each keeping its pages and the free blocks of its peak;
 *  - a worker thread ends a second after its last task instead of GLib's
 *    15 s, so its end belongs to the burst that used it rather than waking
 *    a quiet daemon. */
static void
setup_resources (void)
{
#ifdef __GLIBC__
  mallopt (M_ARENA_MAX, 1);
#endif
  g_thread_pool_set_max_idle_time (WORKER_IDLE_MS);
}

static void
on_name_lost (HotplugManager *manager, gpointer user_data)
{
  Daemon *d = user_data;

  d->status = EXIT_FAILURE;
  g_main_loop_quit (d->loop);
}

typedef struct
{
  gboolean verbose;
  gboolean replace;
  gboolean version;
  gboolean no_journal;
  int      receive_buffer;
  char    *sysfs_root;
  char    *config_path;
  char    *state_dir;
} Options;

static void
options_clear (Options *o)
{
  g_free (o->sysfs_root);
  g_free (o->config_path);
  g_free (o->state_dir);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Options, options_clear)

/* -1 to go on, else the exit status */
static int
parse_command_line (int *argc, char ***argv, Options *o)
{
  GOptionEntry entries[] = {
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &o->verbose, N_("Log debug messages"), NULL },
    { "replace", 'r', 0, G_OPTION_ARG_NONE, &o->replace, N_("Replace a running instance"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &o->version, N_("Print the version and exit"), NULL },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config_path,
      N_("Read the configuration from FILE"), N_("FILE") },
    { "state-directory", 0, 0, G_OPTION_ARG_FILENAME, &o->state_dir,
      N_("Keep state in DIR (default: $STATE_DIRECTORY, else /var/lib/hotplugd)"), N_("DIR") },
    { "sysfs-root", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &o->sysfs_root,
      "Read sysfs below DIR (tests)", "DIR" },
    { "receive-buffer-size", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &o->receive_buffer,
      "Event socket receive buffer in bytes (tests; default 128 MiB)", "BYTES" },
    { "no-journal", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &o->no_journal,
      "Run jobs without the crash journal (benchmarks: its cost)", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;

  g_option_context_set_summary (context, _("Orchestrates hot add and removal of boards, I/O units, slots, CPUs and memory."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_printerr ("hotplugd: %s\n", error->message);
      return 2;
    }
  if (o->version)
    {
      g_print ("hotplugd %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }
  return -1;
}

/* The event source, the model and the manager over them, wired to D */
static HotplugManager *
new_manager (Daemon *d, Options *o)
{
  g_autoptr(HotplugUdev) udev = hotplug_udev_new ();
  g_autoptr(HotplugPlatform) platform = hotplug_platform_new ();
  HotplugManager *manager;
  HotplugJobs *jobs;

  if (o->receive_buffer > 0)
    hotplug_udev_set_receive_buffer_size (udev, o->receive_buffer);
  /* one state directory: the journal, the failed units, units.ini */
  if (o->state_dir == NULL)
    o->state_dir = g_strdup (hotplug_state_dir_default ());
  hotplug_platform_set_state_directory (platform, o->state_dir);
  manager = hotplug_manager_new (platform, udev);
  jobs = hotplug_manager_get_jobs (manager);
  d->manager = manager;
  hotplug_jobs_set_state_dir (jobs, o->no_journal ? NULL : o->state_dir);
  g_signal_connect (manager, "name-lost", G_CALLBACK (on_name_lost), d);
  g_signal_connect (manager, "name-acquired", G_CALLBACK (on_name_acquired), d);
  g_signal_connect (jobs, "job-added", G_CALLBACK (on_job_added), d);
  g_signal_connect (jobs, "idle", G_CALLBACK (on_jobs_quiet), d);
  return manager;
}

int
main (int argc, char **argv)
{
  g_auto(Options) o = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(HotplugManager) manager = NULL;
  Daemon d = { NULL, EXIT_SUCCESS, NULL, FALSE };
  int ret;

  setup_resources ();
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  if ((ret = parse_command_line (&argc, &argv, &o)) >= 0)
    return ret;

  hotplug_log_setup (o.verbose);
  if (o.sysfs_root)
    hotplug_sysfs_set_root (o.sysfs_root);
  else if (g_getenv (HOTPLUG_ENV_SYSFS_ROOT))
    hotplug_sysfs_set_root (g_getenv (HOTPLUG_ENV_SYSFS_ROOT));
  /* a hook or client that goes away while we write to it is not fatal */
  signal (SIGPIPE, SIG_IGN);

  d.loop = g_main_loop_new (NULL, FALSE);
  manager = new_manager (&d, &o);
  g_unix_signal_add (SIGTERM, on_signal, &d);
  g_unix_signal_add (SIGINT, on_signal, &d);
  g_unix_signal_add (SIGHUP, on_reload, &d);
  if (!hotplug_manager_load_config (manager, o.config_path, &error))
    {
      /* never on defaults the administrator did not choose: a mistyped
       * timeout next to auto-remove-on-eject=false would otherwise let a
       * firmware eject remove a board */
      hotplug_log_full (G_LOG_LEVEL_WARNING, "daemon", NULL, NULL, NULL, NULL,
                        "not starting: %s", error->message);
      g_main_loop_unref (d.loop);
      return EXIT_CONFIG;
    }
  if (!hotplug_manager_start (manager, NULL, o.replace, &error))
    {
      hotplug_log_full (G_LOG_LEVEL_CRITICAL, "daemon", NULL, NULL, NULL, NULL,
                        "cannot start: %s", error->message);
      g_main_loop_unref (d.loop);
      return EXIT_FAILURE;
    }

  g_main_loop_run (d.loop);
  /* no hook outlives the daemon: what still runs is in the journal */
  hotplug_hook_runner_kill_all (hotplug_jobs_get_runner (hotplug_manager_get_jobs (manager)));
  g_clear_object (&manager);
  g_main_loop_unref (d.loop);
  return d.status;
}
