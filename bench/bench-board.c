/* Baseline for the orchestration overhead of a board remove and add: the
 * same kernel actions hotplugd takes for one board, done by a bare program
 * that writes each attribute and waits for the kernel's uevent on a
 * libudev monitor before the next, as a script would.
 *
 *   bench-board off|on CPULIST FIRST_BLOCK LAST_BLOCK CONTAINER
 *
 * off: offlines the CPUs, the memory blocks from the highest down, the
 * container (its offline uevent), and ejects it (until its remove uevent:
 * the kernel has removed everything below it).  on, once the board is
 * back (the kernel onlines a container that arrives): onlines the blocks
 * from the lowest up, then the CPUs.  Prints "off <ms>" or "on <ms>".
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

static void
remove_board (const unsigned *cpus, unsigned ncpus, unsigned first, unsigned last, const char *container)
{
  char path[256], devpath[128];

  for (unsigned i = 0; i < ncpus; i++)
    act ("cpu", cpus[i], 0);
  for (unsigned b = last + 1; b-- > first;)
    act ("memory", b, 0);
  snprintf (path, sizeof path, "/sys/devices/system/container/%s/online", container);
  snprintf (devpath, sizeof devpath, "/container/%s", container);
  write_attr (path, "0");
  wait_event ("offline", devpath);
  snprintf (path, sizeof path, "/sys/bus/acpi/devices/%s/eject", container);
  write_attr (path, "1");
  wait_event ("remove", devpath);
}

static void
add_board (const unsigned *cpus, unsigned ncpus, unsigned first, unsigned last)
{
  for (unsigned b = first; b <= last; b++)
    act ("memory", b, 1);
  for (unsigned i = 0; i < ncpus; i++)
    act ("cpu", cpus[i], 1);
}

int
main (int argc, char **argv)
{
  unsigned cpus[4096], ncpus = 0, first, last;
  char *list, *tok, *save = NULL;
  int off;
  double t0;
  struct udev *udev;

  if (argc != 6 || (strcmp (argv[1], "off") != 0 && strcmp (argv[1], "on") != 0))
    {
      fprintf (stderr, "usage: %s off|on CPULIST FIRST_BLOCK LAST_BLOCK CONTAINER\n", argv[0]);
      return 2;
    }
  off = strcmp (argv[1], "off") == 0;
  list = strdup (argv[2]);
  for (tok = strtok_r (list, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      unsigned lo, hi;
      if (sscanf (tok, "%u-%u", &lo, &hi) != 2)
        hi = lo = (unsigned) atoi (tok);
      for (unsigned c = lo; c <= hi && ncpus < 4096; c++)
        cpus[ncpus++] = c;
    }
  first = (unsigned) atoi (argv[3]);
  last = (unsigned) atoi (argv[4]);

  udev = udev_new ();
  mon = udev_monitor_new_from_netlink (udev, "kernel");
  udev_monitor_enable_receiving (mon);

  t0 = now_ms ();
  if (off)
    remove_board (cpus, ncpus, first, last, argv[5]);
  else
    add_board (cpus, ncpus, first, last);
  printf ("%s %.1f\n", argv[1], now_ms () - t0);
  udev_monitor_unref (mon);
  udev_unref (udev);
  free (list);
  return 0;
}
