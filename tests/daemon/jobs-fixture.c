/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "jobs-fixture.h"

void
log_line (Test *t, const char *line)
{
  g_autofree char *old = NULL;
  g_autofree char *text = NULL;

  g_file_get_contents (t->log, &old, NULL, NULL);
  text = g_strconcat (old ? old : "", line, "\n", NULL);
  g_assert_true (g_file_set_contents (t->log, text, -1, NULL));
}

char **
read_log (Test *t)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents (t->log, &text, NULL, NULL))
    return g_new0 (char *, 1);
  g_strchomp (text);
  return *text ? g_strsplit (text, "\n", -1) : g_new0 (char *, 1);
}

void
inject (Test *t, const char *action, const char *subsystem, const char *devpath)
{
  g_autoptr(HotplugEvent) ev = hotplug_event_new (action, subsystem, devpath);

  hotplug_udev_inject (t->udev, ev);
}

typedef struct
{
  Test *t;
  char *path;
  char *value;
} Answer;

/* the kernel's side of one write */
static gboolean
answer (gpointer user_data)
{
  Answer *a = user_data;
  Test *t = a->t;
  guint n;
  char name[64];

  if (sscanf (a->path, "/sys/devices/system/cpu/cpu%u/online", &n) == 1)
    {
      g_snprintf (name, sizeof name, "/devices/system/cpu/cpu%u", n);
      inject (t, g_str_equal (a->value, "1") ? "online" : "offline", "cpu", name);
    }
  else if (sscanf (a->path, "/sys/devices/system/memory/memory%u/state", &n) == 1)
    {
      g_autofree char *online = g_strdup_printf ("/sys/devices/system/memory/memory%u/online", n);

      g_snprintf (name, sizeof name, "/devices/system/memory/memory%u", n);
      fx_write (t->fx, a->path, g_str_equal (a->value, "offline") ? "offline" : "online");
      fx_write (t->fx, online, g_str_equal (a->value, "offline") ? "0" : "1");
      inject (t, g_str_equal (a->value, "offline") ? "offline" : "online", "memory", name);
    }
  else if (g_str_has_suffix (a->path, "/eject") && sscanf (a->path, "/sys/bus/acpi/devices/ACPI0004:%2s", name) == 1)
    {
      g_autofree char *dev = g_strdup_printf ("/sys/devices/system/container/ACPI0004:%s", name);
      g_autofree char *devpath = g_strdup_printf ("/devices/system/container/ACPI0004:%s", name);

      fx_rm (t->fx, dev);
      inject (t, "remove", "container", devpath);
    }
  else if (g_str_has_suffix (a->path, "/remove") && sscanf (a->path, "/sys/bus/pci/devices/%12s", name) == 1)
    {
      g_autofree char *link = g_strdup_printf ("/sys/bus/pci/devices/%s", name);
      g_autofree char *devpath = NULL;
      char target[4096];
      g_autofree char *abs = fx_path (t->fx, link);
      ssize_t len = readlink (abs, target, sizeof target - 1);

      g_assert_cmpint (len, >, 0);
      target[len] = '\0';
      devpath = g_strdup (strstr (target, "/devices/"));
      fx_rm (t->fx, link);
      inject (t, "remove", "pci", devpath);
    }
  else if (sscanf (a->path, "/sys/devices/system/container/ACPI0004:%2s/online", name) == 1)
    {
      /* the kernel answers a container's online with an online/offline uevent */
      g_autofree char *devpath = g_strdup_printf ("/devices/system/container/ACPI0004:%s", name);

      inject (t, g_str_equal (a->value, "1") ? "online" : "offline", "container", devpath);
    }
  /* slot power: the file written is the answer */
  g_free (a->path);
  g_free (a->value);
  g_free (a);
  return G_SOURCE_REMOVE;
}

static void
on_kernel_write (HotplugJobs *jobs, HotplugJob *job, const char *path, const char *value, Test *t)
{
  g_autofree char *line = g_strdup_printf ("write %s=%s", path, value);
  Answer *a;

  g_ptr_array_add (t->writes, g_strdup_printf ("%s=%s", path, value));
  log_line (t, line);
  if (g_strcmp0 (g_ptr_array_index (t->writes, t->writes->len - 1), t->mute) == 0)
    return;
  a = g_new0 (Answer, 1);
  a->t = t;
  a->path = g_strdup (path);
  a->value = g_strdup (value);
  g_idle_add (answer, a);
}

static void
on_event (HotplugUdev *udev, HotplugEvent *ev, Test *t)
{
  hotplug_platform_handle_event (t->platform, ev);
}

void
add_hook (Test *t, const char *kind, const char *event, const char *name, const char *body)
{
  g_autofree char *dir = g_build_filename (t->hooks, kind, event, NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *script = g_strdup_printf ("#!/bin/sh\n"
                                             "echo \"hook $HOTPLUG_EVENT %s dry=$HOTPLUG_DRY_RUN "
                                             "failed=$HOTPLUG_FAILED_HOOK\" >> %s\n%s\n",
                                             name, t->log, body ? body : "exit 0");

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (path, script, -1, NULL));
  g_assert_cmpint (g_chmod (path, 0755), ==, 0);
}

void
setup (Test *t, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *vendor = NULL;

  t->fx = hotplug_fixture_new ();
  fx_small_machine (t->fx);
  t->hooks = g_build_filename (t->fx->root, "hooks.d", NULL);
  vendor = g_build_filename (t->fx->root, "vendor-hooks.d", NULL);
  t->log = g_build_filename (t->fx->root, "log", NULL);
  t->writes = g_ptr_array_new_with_free_func (g_free);
  t->udev = hotplug_udev_new_without_monitor ();
  t->platform = hotplug_platform_new ();
  g_signal_connect (t->udev, "event", G_CALLBACK (on_event), t);
  g_assert_true (hotplug_udev_start (t->udev, &error));
  g_assert_no_error (error);
  hotplug_platform_flush (t->platform);
  t->config = hotplug_config_new ();
  hotplug_config_set_step_timeout (t->config, 2.0);
  hotplug_config_set_job_linger (t->config, 0);
  t->runner = hotplug_hook_runner_new (t->config, vendor, t->hooks);
  t->jobs = hotplug_jobs_new (t->platform, t->runner, t->config);
  g_signal_connect (t->jobs, "kernel-write", G_CALLBACK (on_kernel_write), t);
}

void
teardown (Test *t, gconstpointer data)
{
  g_clear_object (&t->jobs);
  g_clear_object (&t->runner);
  hotplug_config_unref (t->config);
  /* let pending answers and idles run out */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&t->platform);
  g_clear_object (&t->udev);
  hotplug_fixture_free (t->fx);
  g_free (t->hooks);
  g_free (t->log);
  g_free (t->mute);
  g_ptr_array_unref (t->writes);
}

HotplugUnit *
unit (Test *t, const char *id)
{
  HotplugUnit *u = hotplug_platform_lookup_unit (t->platform, id);

  g_assert_nonnull (u);
  return u;
}

HotplugJob *
run (Test *t, const char *id, HotplugOperation op, const HotplugJobOptions *options, HotplugJob **out_job)
{
  g_autoptr(GError) error = NULL;
  HotplugJob *job = hotplug_jobs_create (t->jobs, unit (t, id), op, options, ":1.42", &error);

  g_assert_no_error (error);
  g_assert_nonnull (job);
  g_object_ref (job);
  if (out_job)
    *out_job = job;
  while (hotplug_job_is_running (job))
    g_main_context_iteration (NULL, TRUE);
  return job;
}

void
assert_log (Test *t, const char *const *expected)
{
  g_auto(GStrv) lines = read_log (t);

  if (!g_strv_equal ((const char *const *) lines, expected))
    {
      g_autofree char *got = g_strjoinv ("\n", lines);
      g_autofree char *want = g_strjoinv ("\n", (char **) expected);

      g_error ("log:\n%s\nexpected:\n%s", got, want);
    }
}
