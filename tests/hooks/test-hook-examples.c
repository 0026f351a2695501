/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The example hooks shipped under examples/hooks.d. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hotplug-config.h"
#include "hotplug-error.h"
#include "hotplug-hooks.h"
#include "hotplug-names.h"
#include "hooks-fixture.h"

/* ---- the shipped examples ----------------------------------------------- */

static char *
example_path (const char *rel)
{
  const char *src = g_getenv ("HOTPLUG_SOURCE_DIR");

  return g_build_filename (src ? src : ".", "hooks.d", rel, NULL);
}

static int
run_example (const char *rel, const char * const *extra_env, char **out)
{
  g_autofree char *path = example_path (rel);
  const char *argv[] = { path, "pre-remove", "sb0", NULL };
  g_autoptr(GPtrArray) env = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  int status = -1;

  g_ptr_array_add (env, (char *) "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  g_ptr_array_add (env, (char *) "HOTPLUG_API=1");
  for (guint i = 0; extra_env[i]; i++)
    g_ptr_array_add (env, (char *) extra_env[i]);
  g_ptr_array_add (env, NULL);
  g_spawn_sync (NULL, (char **) argv, (char **) env->pdata, 0,
                NULL, NULL, out, NULL, &status, &error);
  g_assert_no_error (error);
  g_test_message ("%s: %s", rel, *out);
  return g_spawn_check_wait_status (status, NULL) ? 0 : (WIFEXITED (status) ? WEXITSTATUS (status) : -1);
}

/* Runs ARGV, a process that takes the name NAME once it has exec'd, and
 * waits until it has. */
static GPid
spawn_named (const char * const *argv, const char *name)
{
  g_autoptr(GError) error = NULL;
  GPid pid;

  g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                 NULL, NULL, &pid, &error);
  g_assert_no_error (error);
  for (int i = 0; i < 200; i++)
    {
      g_autofree char *comm_path = g_strdup_printf ("/proc/%d/comm", pid);
      g_autofree char *comm = NULL;
      if (g_file_get_contents (comm_path, &comm, NULL, NULL) && g_str_has_prefix (comm, name))
        break;
      g_usleep (10000);
    }
  return pid;
}

static void
kill_and_reap (GPid pid)
{
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
  g_spawn_close_pid (pid);
}

/* Not pinned, but last ran on a CPU of the board (a sleeping process stays
 * where it last ran): refused too. */
static void
check_busy_cpus_running_on (const char *conf_env, const char *link, const char *name)
{
  const char *argv[] = { link, "30", NULL };
  g_autofree char *stat_path = NULL;
  g_autofree char *stat = NULL;
  g_autofree char *on_env = NULL;
  g_autofree char *out = NULL;
  g_autofree char *expect = NULL;
  g_auto(GStrv) fields = NULL;
  const char *env[] = { conf_env, NULL, "HOTPLUG_UNIT=sb0", NULL };
  GPid pid = spawn_named (argv, name);

  g_usleep (100000);
  stat_path = g_strdup_printf ("/proc/%d/stat", pid);
  g_assert_true (g_file_get_contents (stat_path, &stat, NULL, NULL));
  fields = g_strsplit (strrchr (stat, ')') + 2, " ", -1);
  g_assert_cmpuint (g_strv_length (fields), >, 37);
  on_env = g_strdup_printf ("HOTPLUG_CPUS=%s", fields[36]);
  env[1] = on_env;
  g_assert_cmpint (run_example ("sb/pre-remove/20-refuse-busy-cpus", env, &out), ==, 1);
  expect = g_strdup_printf ("reason=critical processes use the CPUs of sb0: %s (pid %d) running on CPU %s\n",
                            name, pid, fields[36]);
  g_assert_cmpstr (out, ==, expect);
  kill_and_reap (pid);
}

static void
test_example_busy_cpus (Fixture *f, gconstpointer data)
{
  g_autofree char *conf = g_build_filename (f->tmp, "critical-processes", NULL);
  g_autofree char *conf_env = g_strconcat ("HOTPLUG_CRITICAL_PROCESSES=", conf, NULL);
  g_autofree char *name = g_strdup_printf ("hpcrit%d", (int) getpid () % 100000);
  g_autofree char *link = g_build_filename (f->tmp, name, NULL);
  g_autofree char *conf_text = g_strdup_printf ("# test\nsshd  %s\n", name);
  g_autofree char *cpu = NULL;
  g_autofree char *cpus_env = NULL;
  g_autofree char *out = NULL;
  g_autofree char *expect = NULL;
  g_autoptr(GError) error = NULL;
  long ncpu = sysconf (_SC_NPROCESSORS_ONLN);
  const char *argv[] = { "taskset", "-c", NULL, link, "30", NULL };
  GPid pid;

  /* a process with a name of our own, pinned to the last CPU */
  cpu = g_strdup_printf ("%ld", ncpu - 1);
  argv[2] = cpu;
  g_assert_cmpint (symlink ("/bin/sleep", link), ==, 0);
  g_file_set_contents (conf, conf_text, -1, &error);
  g_assert_no_error (error);
  pid = spawn_named (argv, name);

  cpus_env = g_strdup_printf ("HOTPLUG_CPUS=%s", cpu);
  {
    const char *env[] = { conf_env, cpus_env, "HOTPLUG_UNIT=sb0", "HOTPLUG_EVENT=pre-remove", NULL };
    g_assert_cmpint (run_example ("sb/pre-remove/20-refuse-busy-cpus", env, &out), ==, 1);
    expect = g_strdup_printf ("reason=critical processes use the CPUs of sb0: %s (pid %d) pinned to CPUs %s\n",
                              name, pid, cpu);
    g_assert_cmpstr (out, ==, expect);
    g_clear_pointer (&out, g_free);
  }
  {
    /* a board with the CPU among others: still pinned there, listed as a range */
    g_autofree char *range_env = g_strdup_printf ("HOTPLUG_CPUS=0-%ld,4096", ncpu - 1);
    const char *env[] = { conf_env, range_env, "HOTPLUG_UNIT=sb0", NULL };
    g_assert_cmpint (run_example ("sb/pre-remove/20-refuse-busy-cpus", env, &out), ==, 1);
    g_assert_nonnull (strstr (out, name));
    g_clear_pointer (&out, g_free);
  }
  {
    const char *env[] = { conf_env, cpus_env, "HOTPLUG_UNIT=sb0", "HOTPLUG_FORCE=1", NULL };
    g_assert_cmpint (run_example ("sb/pre-remove/20-refuse-busy-cpus", env, &out), ==, 0);
    g_assert_true (g_str_has_prefix (out, "forced remove of sb0"));
    g_clear_pointer (&out, g_free);
  }
  if (ncpu >= 2)
    {
      /* the board has other CPUs only: not pinned there, not running there */
      const char *env[] = { conf_env, "HOTPLUG_CPUS=0", "HOTPLUG_UNIT=sb0", NULL };
      g_assert_cmpint (run_example ("sb/pre-remove/20-refuse-busy-cpus", env, &out), ==, 0);
      g_assert_cmpstr (out, ==, "");
      g_clear_pointer (&out, g_free);
    }
  {
    /* nobody of that name: no veto */
    g_autofree char *other_conf = g_build_filename (f->tmp, "other", NULL);
    g_autofree char *other_conf_env = g_strconcat ("HOTPLUG_CRITICAL_PROCESSES=", other_conf, NULL);
    const char *env[] = { other_conf_env, cpus_env, "HOTPLUG_UNIT=sb0", NULL };
    g_file_set_contents (other_conf, "no-such-process-x\n", -1, NULL);
    g_assert_cmpint (run_example ("sb/pre-remove/20-refuse-busy-cpus", env, &out), ==, 0);
    g_clear_pointer (&out, g_free);
  }
  kill_and_reap (pid);
  if (ncpu >= 2)
    check_busy_cpus_running_on (conf_env, link, name);
}

static void
test_example_services (Fixture *f, gconstpointer data)
{
  g_autofree char *conf = g_build_filename (f->tmp, "services", NULL);
  g_autofree char *conf_env = g_strconcat ("HOTPLUG_SERVICES_ON_REMOVE=", conf, NULL);
  g_autofree char *state_env = g_strconcat ("HOTPLUG_HOOK_STATE_DIR=", f->tmp, NULL);
  g_autofree char *out = NULL;

  if (g_file_test ("/run/systemd/system", G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("systemd is running: the example would really stop services");
      return;
    }
  g_file_set_contents (conf, "# services\ndb.service  cache.service\n", -1, NULL);
  {
    const char *env[] = { conf_env, state_env, "HOTPLUG_UNIT=sb2", "HOTPLUG_EVENT=pre-remove", NULL };
    g_assert_cmpint (run_example ("any/pre-remove/50-stop-services", env, &out), ==, 0);
    g_assert_cmpstr (out, ==, "systemd is not running: would stop db.service before removing sb2\n"
                              "systemd is not running: would stop cache.service before removing sb2\n");
    g_clear_pointer (&out, g_free);
  }
  {
    const char *env[] = { conf_env, state_env, "HOTPLUG_UNIT=sb2", "HOTPLUG_DRY_RUN=1", NULL };
    g_assert_cmpint (run_example ("any/pre-remove/50-stop-services", env, &out), ==, 0);
    g_assert_true (g_str_has_prefix (out, "dry run: would stop db.service"));
    g_clear_pointer (&out, g_free);
  }
  {
    const char *env[] = { conf_env, state_env, "HOTPLUG_UNIT=sb2", "HOTPLUG_EVENT=remove-failed", NULL };
    g_assert_cmpint (run_example ("any/remove-failed/50-start-services", env, &out), ==, 0);
    g_assert_nonnull (strstr (out, "would start cache.service after remove-failed of sb2"));
    g_clear_pointer (&out, g_free);
  }
}

static void
test_example_log_event (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL;
  const char *env[] = { "HOTPLUG_EVENT=post-switchover", "HOTPLUG_UNIT=0001", "HOTPLUG_KIND=domain",
                        "HOTPLUG_DRY_RUN=1", NULL };

  for (const char * const *e = hotplug_hook_events (); *e; e++)
    {
      g_autofree char *rel = g_strdup_printf ("any/%s/00-log-event", *e);
      g_autofree char *path = example_path (rel);
      g_assert_true (g_file_test (path, G_FILE_TEST_IS_EXECUTABLE));
    }
  if (g_file_test ("/dev/log", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("a syslog socket exists: the example logs there");
      return;
    }
  /* without syslog, it tells stderr (captured by the runner) */
  {
    g_autofree char *path = example_path ("any/post-switchover/00-log-event");
    const char *argv[] = { path, "post-switchover", "0001", NULL };
    g_autoptr(GError) error = NULL;
    int status;

    g_spawn_sync (NULL, (char **) argv, (char **) env, 0, NULL, NULL, NULL, &out, &status, &error);
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
    g_assert_true (g_str_has_prefix (out, "hotplugd-hook: event=post-switchover unit=0001 kind=domain"));
    g_assert_nonnull (strstr (out, "dry_run=1"));
  }
}

static void
test_example_layout (Fixture *f, gconstpointer data)
{
  g_autofree char *root = example_path ("");
  g_autoptr(GPtrArray) hooks = NULL;
  g_autoptr(GPtrArray) failed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *names = NULL;
  g_autofree char *failed_names = NULL;
  struct stat st;

  hooks = hotplug_hooks_discover (root, NULL, "sb", "pre-remove", &error);
  g_assert_no_error (error);
  names = hook_names (hooks);
  g_assert_cmpstr (names, ==, "00-log-event 20-refuse-busy-cpus 50-stop-services");
  failed = hotplug_hooks_discover (root, NULL, "iou", "remove-failed", &error);
  g_assert_no_error (error);
  failed_names = hook_names (failed);
  g_assert_cmpstr (failed_names, ==, "80-kdump-reload 50-start-services 00-log-event");

  /* in a checkout owned by root, the examples pass the trust checks too */
  g_assert_cmpint (stat (root, &st), ==, 0);
  if (geteuid () != 0 || st.st_uid != 0 || (st.st_mode & 022))
    {
      g_test_skip ("source tree not owned by root: trust of the examples not checked");
      return;
    }
  for (guint i = 0; i < hooks->len; i++)
    {
      HotplugHook *h = g_ptr_array_index (hooks, i);
      g_assert_cmpstr (h->reason, ==, NULL);
      g_assert_cmpint (h->status, ==, HOTPLUG_HOOK_RUNNABLE);
    }
}

int
main (int argc, char **argv)
{
  umask (022);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/hooks/examples/refuse-busy-cpus", test_example_busy_cpus);
  ADD ("/hooks/examples/services", test_example_services);
  ADD ("/hooks/examples/log-event", test_example_log_event);
  ADD ("/hooks/examples/layout", test_example_layout);
#undef ADD

  return g_test_run ();
}
