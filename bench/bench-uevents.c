/* uevent throughput through hotplugd on the real kernel, against a bare
 * libudev monitor receiving the same events in the same run.
 *
 *   bench-uevents DAEMON_PID [EVENTS [GROUP]]
 *   bench-uevents --write EVENTS [--stop PID [EPISODES [FILE VALUE]]]
 *
 * Both receivers are kept from reading while the kernel generates EVENTS
 * synthetic "change" uevents (written round-robin to the memory blocks'
 * uevent files), so that both queues hold the same events; then each
 * receiver's drain is timed on its own: first the bare monitor's, then the
 * daemon's (SIGCONT, polling Manager.EventsReceived on the system bus).
 * Prints both rates, their ratio, and the events the daemon lost.
 *
 * With --write it only generates EVENTS such uevents, as fast as it can, and
 * prints how many and in how long (the bursts of bench-flood.py and of the
 * real-kernel test).  With --stop, EPISODES (default 1) times: PID is
 * stopped while a share of them is written (its socket overflows for sure)
 * and runs while the next is (it drains the socket meanwhile), with no gap
 * in between in which it could see a quiet socket; VALUE is written to FILE
 * at the end of the first stopped share (a state change lost in the flood).
 *
 * Needs root (writes /sys/.../uevent, a 128 MiB socket buffer).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gio/gio.h>
#include <libudev.h>

static double
now_s (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static guint64
daemon_counter (GDBusConnection *bus, const char *name)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) v = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_sync (bus, "org.hotplugd.Hotplug1", "/org/hotplugd/Hotplug1",
                                       "org.freedesktop.DBus.Properties", "Get",
                                       g_variant_new ("(ss)", "org.hotplugd.Hotplug1.Manager", name),
                                       G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  if (!reply)
    {
      fprintf (stderr, "bench-uevents: cannot read %s: %s\n", name, error->message);
      exit (1);
    }
  g_variant_get (reply, "(v)", &v);
  if (g_variant_is_of_type (v, G_VARIANT_TYPE_UINT64))
    return g_variant_get_uint64 (v);
  return g_variant_get_uint32 (v);
}

/* the memory blocks' uevent files: writing "change" to one makes the
 * kernel send a synthetic change uevent */
static GPtrArray *
memory_uevent_files (void)
{
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  DIR *dir = opendir ("/sys/devices/system/memory");
  struct dirent *de;

  while (dir && (de = readdir (dir)))
    if (g_str_has_prefix (de->d_name, "memory"))
      g_ptr_array_add (files, g_strdup_printf ("/sys/devices/system/memory/%s/uevent", de->d_name));
  if (dir)
    closedir (dir);
  if (files->len == 0)
    {
      fprintf (stderr, "bench-uevents: no memory blocks to send uevents from\n");
      exit (1);
    }
  return files;
}

/* EVENTS change uevents, round-robin over FILES; the number generated */
static long
write_changes (GPtrArray *files, long events)
{
  long generated = 0;

  for (long i = 0; i < events; i++)
    {
      int fd = open (files->pdata[i % files->len], O_WRONLY | O_CLOEXEC);

      if (fd >= 0)
        {
          if (write (fd, "change", 6) == 6)
            generated++;
          close (fd);
        }
    }
  return generated;
}

static void
write_file (const char *path, const char *value)
{
  g_autoptr(GError) error = NULL;

  if (!g_file_set_contents_full (path, value, -1, G_FILE_SET_CONTENTS_NONE, 0644, &error))
    {
      fprintf (stderr, "bench-uevents: %s\n", error->message);
      exit (1);
    }
}

/* argv after --write: EVENTS [--stop PID [EPISODES [FILE VALUE]]] */
static int
write_only (int argc, char **argv)
{
  g_autoptr(GPtrArray) files = memory_uevent_files ();
  long events = atol (argv[0]), generated = 0;
  pid_t pid = argc > 2 && strcmp (argv[1], "--stop") == 0 ? atoi (argv[2]) : 0;
  long parts = pid > 0 ? 2 * (argc > 3 ? atol (argv[3]) : 1) : 1;
  const char *also = argc > 5 ? argv[4] : NULL;
  double t0 = now_s ();

  if (parts < 1)
    parts = 1;
  for (long i = 0; i < parts; i++)
    {
      gboolean stopped = pid > 0 && i % 2 == 0;

      if (stopped && kill (pid, SIGSTOP) < 0)
        {
          perror ("bench-uevents: SIGSTOP");
          return 1;
        }
      generated += write_changes (files, events / parts + (i == parts - 1 ? events % parts : 0));
      if (i == 0 && also)
        write_file (also, argv[5]);
      if (stopped)
        kill (pid, SIGCONT);
    }
  printf ("written %ld in %.3f s\n", generated, now_s () - t0);
  return generated == events ? 0 : 1;
}

/* The bare monitor, on the daemon's netlink group, for memory blocks */
static struct udev_monitor *
bare_monitor (struct udev *udev, const char *group)
{
  struct udev_monitor *mon = udev_monitor_new_from_netlink (udev, group);

  udev_monitor_set_receive_buffer_size (mon, 128 * 1024 * 1024);
  udev_monitor_filter_add_match_subsystem_devtype (mon, "memory", NULL);
  udev_monitor_enable_receiving (mon);
  return mon;
}

/* Seconds for the bare monitor to receive GENERATED events; *GOT of them */
static double
drain_bare (struct udev_monitor *mon, long generated, long *got)
{
  int fd = udev_monitor_get_fd (mon);
  double t0;

  fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);
  t0 = now_s ();
  while (*got < generated)
    {
      struct udev_device *d = udev_monitor_receive_device (mon);

      if (!d)
        {
          if (errno == ENOBUFS)
            fprintf (stderr, "bench-uevents: the bare monitor overflowed\n");
          break;
        }
      (*got)++;
      udev_device_unref (d);
    }
  return now_s () - t0;
}

/* Seconds for the daemon, let go, to count GENERATED more events (60 s at
 * the most); its count then in *D1 */
static double
drain_daemon (GDBusConnection *bus, pid_t daemon_pid, guint64 d0, long generated, guint64 *d1)
{
  double t0 = now_s ();

  kill (daemon_pid, SIGCONT);
  for (;;)
    {
      *d1 = daemon_counter (bus, "EventsReceived");
      if (*d1 - d0 >= (guint64) generated || now_s () - t0 > 60)
        break;
      g_usleep (1000);
    }
  return now_s () - t0;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GPtrArray) files = NULL;
  struct udev *udev;
  struct udev_monitor *mon;
  pid_t daemon_pid;
  long events = 100000;
  const char *group = "kernel";
  long got = 0, generated = 0;
  guint64 d0, d1, r0, r1;
  double t_bare, t_daemon;
  gint64 lost;

  if (argc >= 3 && strcmp (argv[1], "--write") == 0)
    return write_only (argc - 2, argv + 2);
  if (argc < 2)
    {
      fprintf (stderr, "usage: %s DAEMON_PID [EVENTS [GROUP]] | --write EVENTS [--stop PID [EPISODES [FILE VALUE]]]\n", argv[0]);
      return 2;
    }
  daemon_pid = atoi (argv[1]);
  if (argc > 2)
    events = atol (argv[2]);
  /* the netlink group the daemon listens on (its EventSource): kernel
   * without udevd, udev with it — the baseline reads the same one */
  if (argc > 3)
    group = argv[3];

  bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  if (!bus)
    {
      fprintf (stderr, "bench-uevents: %s\n", error->message);
      return 1;
    }
  files = memory_uevent_files ();
  udev = udev_new ();
  mon = bare_monitor (udev, group);

  d0 = daemon_counter (bus, "EventsReceived");
  r0 = daemon_counter (bus, "Resyncs");
  if (kill (daemon_pid, SIGSTOP) < 0)
    {
      perror ("bench-uevents: SIGSTOP");
      return 1;
    }
  generated = write_changes (files, events);
  t_bare = drain_bare (mon, generated, &got);
  t_daemon = drain_daemon (bus, daemon_pid, d0, generated, &d1);
  r1 = daemon_counter (bus, "Resyncs");
  lost = (gint64) generated - (gint64) (d1 - d0);

  printf ("events generated:        %ld (netlink group %s)\n", generated, group);
  printf ("bare libudev monitor:    %ld received in %.3f s = %.0f events/s\n", got, t_bare, got / t_bare);
  printf ("through hotplugd:        %" G_GUINT64_FORMAT " received in %.3f s = %.0f events/s\n",
          d1 - d0, t_daemon, (d1 - d0) / t_daemon);
  printf ("ratio hotplugd / bare:   %.2f\n", ((d1 - d0) / t_daemon) / (got / t_bare));
  printf ("events lost by hotplugd: %" G_GINT64_FORMAT "\n", lost > 0 ? lost : 0);
  printf ("re-enumerations:         %" G_GUINT64_FORMAT "\n", r1 - r0);

  udev_monitor_unref (mon);
  udev_unref (udev);
  return 0;
}
