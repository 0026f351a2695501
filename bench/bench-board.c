/* Baseline for the orchestration overhead of a board remove and add: the
 * same kernel actions hotplugd takes for the CPUs and memory of one board,
 * done by a bare program that writes each attribute and waits for the
 * kernel's uevent on a libudev monitor before the next, as a script would.
 *
 *   bench-board CPULIST FIRST_BLOCK LAST_BLOCK CONTAINER
 *
 * Offlines the CPUs and the memory blocks from the highest down, then
 * onlines the blocks from the lowest up and the CPUs (the container's own
 * online and eject, one step each, are left to hotplugd's side).  Prints
 * "offline <ms>" and "online <ms>".
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libudev.h>

static struct udev_monitor *mon;

static double
now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
write_attr (const char *path, const char *value)
{
  int fd = open (path, O_WRONLY | O_TRUNC | O_CLOEXEC);

  if (fd < 0 || write (fd, value, strlen (value)) != (ssize_t) strlen (value))
    {
      fprintf (stderr, "bench-board: writing %s to %s: %s\n", value, path, strerror (errno));
      exit (1);
    }
  close (fd);
}

/* wait for ACTION on DEVPATH (suffix match) */
static void
wait_event (const char *action, const char *devpath)
{
  struct pollfd p = { .fd = udev_monitor_get_fd (mon), .events = POLLIN };

  for (;;)
    {
      struct udev_device *d;

      if (poll (&p, 1, 10000) <= 0)
        {
          fprintf (stderr, "bench-board: no %s event for %s\n", action, devpath);
          exit (1);
        }
      while ((d = udev_monitor_receive_device (mon)))
        {
          const char *a = udev_device_get_action (d), *dp = udev_device_get_devpath (d);
          int match = a && dp && strcmp (a, action) == 0 && strlen (dp) >= strlen (devpath) &&
                      strcmp (dp + strlen (dp) - strlen (devpath), devpath) == 0;
          udev_device_unref (d);
          if (match)
            return;
        }
    }
}

static void
act (const char *kind, unsigned n, int on)
{
  char path[256], devpath[128];

  if (strcmp (kind, "cpu") == 0)
    {
      snprintf (path, sizeof path, "/sys/devices/system/cpu/cpu%u/online", n);
      snprintf (devpath, sizeof devpath, "/cpu%u", n);
      write_attr (path, on ? "1" : "0");
    }
  else
    {
      snprintf (path, sizeof path, "/sys/devices/system/memory/memory%u/state", n);
      snprintf (devpath, sizeof devpath, "/memory%u", n);
      write_attr (path, on ? "online_movable" : "offline");
    }
  wait_event (on ? "online" : "offline", devpath);
}

int
main (int argc, char **argv)
{
  unsigned cpus[4096], ncpus = 0, first, last;
  char *list, *tok, *save = NULL;
  double t0, t_off, t_on;
  struct udev *udev;

  if (argc != 5)
    {
      fprintf (stderr, "usage: %s CPULIST FIRST_BLOCK LAST_BLOCK CONTAINER\n", argv[0]);
      return 2;
    }
  list = strdup (argv[1]);
  for (tok = strtok_r (list, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      unsigned lo, hi;
      if (sscanf (tok, "%u-%u", &lo, &hi) != 2)
        hi = lo = (unsigned) atoi (tok);
      for (unsigned c = lo; c <= hi && ncpus < 4096; c++)
        cpus[ncpus++] = c;
    }
  (void) argv[4]; /* the container: kept in the command line for the record */
  first = (unsigned) atoi (argv[2]);
  last = (unsigned) atoi (argv[3]);

  udev = udev_new ();
  mon = udev_monitor_new_from_netlink (udev, "kernel");
  udev_monitor_enable_receiving (mon);


  t0 = now_ms ();
  for (unsigned i = 0; i < ncpus; i++)
    act ("cpu", cpus[i], 0);
  for (unsigned b = last + 1; b-- > first;)
    act ("memory", b, 0);
  t_off = now_ms () - t0;

  t0 = now_ms ();
  for (unsigned b = first; b <= last; b++)
    act ("memory", b, 1);
  for (unsigned i = 0; i < ncpus; i++)
    act ("cpu", cpus[i], 1);
  t_on = now_ms () - t0;

  printf ("offline %.1f\nonline %.1f\n", t_off, t_on);
  udev_monitor_unref (mon);
  udev_unref (udev);
  free (list);
  return 0;
}
