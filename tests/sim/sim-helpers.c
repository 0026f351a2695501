/* What the tests that run under hotplug-sim share: sysfs reads and writes,
 * `hotplug-sim ctl`, and the uevents they see (libudev, as the daemon).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim-helpers.h"

typedef struct udev_enumerate UdevEnum;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (UdevEnum, udev_enumerate_unref)

struct udev *udev;
struct udev_monitor *mon;


/* ---- helpers ---------------------------------------------------------- */

int
sysw (const char *path, const char *value)
{
  int fd = open (path, O_WRONLY | O_TRUNC | O_CLOEXEC);
  ssize_t r;
  int e;

  if (fd < 0)
    return errno;
  r = write (fd, value, strlen (value));
  e = r < 0 ? errno : 0;
  close (fd);
  return e;
}

char *
sysr (const char *path)
{
  g_autofree char *s = NULL;

  if (!g_file_get_contents (path, &s, NULL, NULL))
    return NULL;
  return g_strstrip (g_steal_pointer (&s));
}

int
ctl (const char *args, char **err_out)
{
  g_autofree char *cmd = g_strdup_printf ("%s/src/sim/hotplug-sim ctl %s", g_getenv ("HOTPLUG_BUILD_DIR"), args);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  g_assert_true (g_spawn_command_line_sync (cmd, &out, &err, &status, &error));
  g_assert_no_error (error);
  if (err_out)
    *err_out = g_steal_pointer (&err);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}


void
ev_free (Ev *e)
{
  g_free (e->action);
  g_free (e->devpath);
  g_free (e->subsystem);
  g_free (e->event);
  g_free (e->driver);
  g_free (e);
}

/* Collects events until none arrives for QUIET ms (or MAX events). */
GPtrArray *
collect (int quiet_ms, guint max)
{
  GPtrArray *evs = g_ptr_array_new_with_free_func ((GDestroyNotify) ev_free);
  struct pollfd pfd = { udev_monitor_get_fd (mon), POLLIN, 0 };

  while (evs->len < max && poll (&pfd, 1, quiet_ms) > 0)
    {
      struct udev_device *d = udev_monitor_receive_device (mon);
      Ev *e;
      if (d == NULL)
        continue;
      e = g_new0 (Ev, 1);
      e->action = g_strdup (udev_device_get_action (d));
      e->devpath = g_strdup (udev_device_get_devpath (d));
      e->subsystem = g_strdup (udev_device_get_subsystem (d));
      e->event = g_strdup (udev_device_get_property_value (d, "EVENT"));
      e->driver = g_strdup (udev_device_get_property_value (d, "DRIVER"));
      e->when = g_get_monotonic_time ();
      g_ptr_array_add (evs, e);
      udev_device_unref (d);
    }
  return evs;
}

Ev *
ev (GPtrArray *evs, guint i)
{
  g_assert_cmpuint (i, <, evs->len);
  return g_ptr_array_index (evs, i);
}

int
find (GPtrArray *evs, const char *action, const char *devpath)
{
  for (guint i = 0; i < evs->len; i++)
    if (g_str_equal (ev (evs, i)->action, action) && g_str_equal (ev (evs, i)->devpath, devpath))
      return i;
  return -1;
}

guint
count_subsystem (const char *subsystem)
{
  g_autoptr(UdevEnum) en = udev_enumerate_new (udev);
  guint n = 0;

  udev_enumerate_add_match_subsystem (en, subsystem);
  udev_enumerate_scan_devices (en);
  for (struct udev_list_entry *l = udev_enumerate_get_list_entry (en); l; l = udev_list_entry_get_next (l))
    n++;
  return n;
}

/* Actions of EVS in order, for a compact comparison: "unbind remove ...". */
char *
actions (GPtrArray *evs)
{
  g_autoptr(GString) s = g_string_new (NULL);

  for (guint i = 0; i < evs->len; i++)
    g_string_append_printf (s, "%s%s", i ? " " : "", ev (evs, i)->action);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

gboolean
sim_helpers_init (int *argc, char ***argv, const char *env, const char *how)
{
  g_test_init (argc, argv, NULL);
  if (g_getenv (env) == NULL)
    {
      g_printerr ("run me under %s\n", how);
      return FALSE;
    }
  udev = udev_new ();
  mon = udev_monitor_new_from_netlink (udev, "kernel");
  g_assert_cmpint (udev_monitor_enable_receiving (mon), ==, 0);
  return TRUE;
}

int
sim_helpers_run (void)
{
  int r = g_test_run ();

  udev_monitor_unref (mon);
  udev_unref (udev);
  return r;
}
