/* Baselines for hotplugd's start-up: enumerate the platform the two ways a
 * daemon could, and print how long it took.
 *
 *   bench-enumerate udev      libudev enumeration of the cpu, memory,
 *                             container and pci subsystems, reading two
 *                             attributes of each device
 *   bench-enumerate readdir   readdir of /sys/bus/<subsystem>/devices and a
 *                             read of the same attributes with plain syscalls
 *
 * Output: "<mode> <devices> <milliseconds>".
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libudev.h>

static const char *const subsystems[] = { "cpu", "memory", "container", "pci" };

static double
now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static size_t
read_attr (const char *dir, const char *name)
{
  char path[4096], buf[256];
  ssize_t r;
  int fd;

  snprintf (path, sizeof path, "%s/%s", dir, name);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  r = read (fd, buf, sizeof buf);
  close (fd);
  return r > 0 ? (size_t) r : 0;
}

static long
enumerate_udev (void)
{
  struct udev *udev = udev_new ();
  long n = 0;
  size_t bytes = 0;

  for (size_t i = 0; i < sizeof subsystems / sizeof subsystems[0]; i++)
    {
      struct udev_enumerate *e = udev_enumerate_new (udev);
      struct udev_list_entry *entry;

      udev_enumerate_add_match_subsystem (e, subsystems[i]);
      udev_enumerate_scan_devices (e);
      udev_list_entry_foreach (entry, udev_enumerate_get_list_entry (e))
        {
          struct udev_device *d = udev_device_new_from_syspath (udev, udev_list_entry_get_name (entry));
          const char *a, *b;

          if (!d)
            continue;
          a = udev_device_get_sysattr_value (d, "online");
          b = udev_device_get_sysattr_value (d, "state");
          bytes += (a ? strlen (a) : 0) + (b ? strlen (b) : 0);
          udev_device_unref (d);
          n++;
        }
      udev_enumerate_unref (e);
    }
  udev_unref (udev);
  return bytes ? n : n;
}

static long
enumerate_readdir (void)
{
  long n = 0;
  size_t bytes = 0;

  for (size_t i = 0; i < sizeof subsystems / sizeof subsystems[0]; i++)
    {
      char dirpath[256];
      DIR *dir;
      struct dirent *de;

      snprintf (dirpath, sizeof dirpath, "/sys/bus/%s/devices", subsystems[i]);
      dir = opendir (dirpath);
      if (!dir)
        continue;
      while ((de = readdir (dir)))
        {
          char dev[4096];

          if (de->d_name[0] == '.')
            continue;
          snprintf (dev, sizeof dev, "%s/%s", dirpath, de->d_name);
          bytes += read_attr (dev, "online") + read_attr (dev, "state");
          n++;
        }
      closedir (dir);
    }
  return bytes ? n : n;
}

int
main (int argc, char **argv)
{
  double t0, t1;
  long n;

  if (argc != 2 || (strcmp (argv[1], "udev") && strcmp (argv[1], "readdir")))
    {
      fprintf (stderr, "usage: %s udev|readdir\n", argv[0]);
      return 2;
    }
  t0 = now_ms ();
  n = strcmp (argv[1], "udev") == 0 ? enumerate_udev () : enumerate_readdir ();
  t1 = now_ms ();
  printf ("%s %ld %.1f\n", argv[1], n, t1 - t0);
  return 0;
}
