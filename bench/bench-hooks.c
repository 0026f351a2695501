/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * bench-hooks: the per-hook cost of the hook runner against run-parts(8)
 * on the same 50 trivial hooks ("#!/bin/sh\nexit 0"), measured in the same
 * run, several rounds, medians.  A bare posix_spawn+waitpid loop over the
 * same files is printed as the floor.  With "units" (where systemd is PID
 * 1: bench/bench-hook-units.py runs it in a container), each hook as a
 * transient systemd unit against the same runner spawning directly.
 * Prints; asserts nothing.
 *
 *   bench-hooks [ROUNDS] [HOOKS] [units]
 */
#include "config.h"

#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hotplug-hooks.h"

extern char **environ;

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (GArray *a)
{
  g_array_sort (a, cmp_double);
  return g_array_index (a, double, a->len / 2);
}

static void
on_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  HotplugHookResult **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = hotplug_hook_runner_run_finish (HOTPLUG_HOOK_RUNNER (source), res, &error);
  g_assert_no_error (error);
}

/* ms per hook of one run of the event by RUNNER */
static double
run_once (HotplugHookRunner *runner, HotplugHookRequest *req, guint nhooks)
{
  HotplugHookResult *result = NULL;
  gint64 t0 = g_get_monotonic_time ();
  double ms;

  hotplug_hook_runner_run_async (runner, req, NULL, NULL, NULL, NULL, on_done, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  ms = (g_get_monotonic_time () - t0) / 1000.0 / nhooks;
  if (result->outcome != HOTPLUG_HOOK_OUTCOME_OK || result->records->len != nhooks)
    g_error ("runner: %s, %u hooks ran (run as root: hooks must be owned by root)",
             hotplug_hook_outcome_to_string (result->outcome), result->records->len);
  hotplug_hook_result_free (result);
  return ms;
}

/* The same hooks as transient units and as child processes, alternating. */
static void
bench_units (const char *vendor, const char *admin, HotplugHookRequest *req, guint nhooks, guint rounds)
{
  g_autoptr(HotplugConfig) direct_config = hotplug_config_new ();
  g_autoptr(HotplugConfig) unit_config = hotplug_config_new ();
  g_autoptr(HotplugHookRunner) direct = NULL, unit = NULL;
  g_autoptr(GArray) t_direct = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) t_unit = g_array_new (FALSE, FALSE, sizeof (double));
  double d, u;

  hotplug_config_set_hook_units (direct_config, HOTPLUG_HOOK_UNITS_NO);
  hotplug_config_set_hook_units (unit_config, HOTPLUG_HOOK_UNITS_YES);
  direct = hotplug_hook_runner_new (direct_config, vendor, admin);
  unit = hotplug_hook_runner_new (unit_config, vendor, admin);
  g_print ("bench-hooks: %u trivial hooks, %u rounds (medians), transient units against direct spawn\n",
           nhooks, rounds);
  for (guint round = 0; round < rounds; round++)
    {
      double ms = run_once (direct, req, nhooks);

      g_array_append_val (t_direct, ms);
      ms = run_once (unit, req, nhooks);
      g_array_append_val (t_unit, ms);
    }
  d = median (t_direct);
  u = median (t_unit);
  g_print ("  direct spawn        %.3f ms/hook\n", d);
  g_print ("  transient unit      %.3f ms/hook\n", u);
  g_print ("  unit / direct       %.2f\n", u / d);
}

/* NHOOKS trivial hooks in DIR; their paths into PATHS */
static void
write_hooks (const char *dir, guint nhooks, GPtrArray *paths)
{
  g_mkdir_with_parents (dir, 0755);
  for (guint i = 0; i < nhooks; i++)
    {
      g_autofree char *name = g_strdup_printf ("%02u-trivial", i % 100);
      char *path = g_build_filename (dir, name, NULL);
      g_autoptr(GError) error = NULL;

      g_file_set_contents (path, "#!/bin/sh\nexit 0\n", -1, &error);
      g_assert_no_error (error);
      g_chmod (path, 0755);
      g_ptr_array_add (paths, path);
    }
}

/* the baseline runs what the runner runs, or the ratio means nothing */
static gboolean
run_parts_lists_all (const char *dir, guint nhooks)
{
  const char *list_argv[] = { "run-parts", "--list", dir, NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *listed = NULL;
  g_auto(GStrv) lines = NULL;
  int status;

  g_spawn_sync (NULL, (char **) list_argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &listed, NULL, &status, &error);
  g_assert_no_error (error);
  lines = g_strsplit (g_strstrip (listed), "\n", -1);
  if (!g_spawn_check_wait_status (status, &error) || g_strv_length (lines) != nhooks)
    {
      g_printerr ("bench-hooks: run-parts would run %u of the %u hooks%s%s\n", g_strv_length (lines), nhooks,
                  error ? ": " : "", error ? error->message : "");
      return FALSE;
    }
  return TRUE;
}

/* ms per hook of run-parts over DIR, or a negative number when it fails */
static double
time_run_parts (const char *dir, guint nhooks)
{
  const char *rp_argv[] = { "run-parts", dir, NULL };
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  int status;

  g_spawn_sync (NULL, (char **) rp_argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    {
      g_printerr ("bench-hooks: run-parts failed: %s\n", error->message);
      return -1;
    }
  return (g_get_monotonic_time () - t0) / 1000.0 / nhooks;
}

/* ms per hook of a bare posix_spawn and wait of each: the floor */
static double
time_bare_spawn (GPtrArray *paths)
{
  gint64 t0 = g_get_monotonic_time ();

  for (guint i = 0; i < paths->len; i++)
    {
      char *hook_argv[] = { g_ptr_array_index (paths, i), NULL };
      pid_t pid;

      if (posix_spawn (&pid, hook_argv[0], NULL, NULL, hook_argv, environ) == 0)
        waitpid (pid, NULL, 0);
    }
  return (g_get_monotonic_time () - t0) / 1000.0 / paths->len;
}

/* ROUNDS of the runner, run-parts and bare spawns taking turns; medians */
static int
bench_runner (const char *vendor, const char *admin, const char *dir, HotplugHookRequest *req,
              GPtrArray *paths, guint rounds)
{
  g_autoptr(HotplugHookRunner) runner = hotplug_hook_runner_new (NULL, vendor, admin);
  g_autoptr(GArray) t_runner = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) t_runparts = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) t_spawn = g_array_new (FALSE, FALSE, sizeof (double));
  double r, p, s;

  if (!run_parts_lists_all (dir, paths->len))
    return 1;
  g_print ("bench-hooks: %u trivial hooks, %u rounds (medians)\n", paths->len, rounds);
  for (guint round = 0; round < rounds; round++)
    {
      double ms = run_once (runner, req, paths->len);

      g_array_append_val (t_runner, ms);
      if ((ms = time_run_parts (dir, paths->len)) < 0)
        return 1;
      g_array_append_val (t_runparts, ms);
      ms = time_bare_spawn (paths);
      g_array_append_val (t_spawn, ms);
    }
  r = median (t_runner);
  p = median (t_runparts);
  s = median (t_spawn);
  g_print ("  hotplugd runner     %.3f ms/hook\n", r);
  g_print ("  run-parts           %.3f ms/hook\n", p);
  g_print ("  bare posix_spawn    %.3f ms/hook (floor)\n", s);
  g_print ("  runner / run-parts  %.2f\n", r / p);
  return 0;
}

int
main (int argc, char **argv)
{
  guint rounds = argc > 1 ? (guint) atoi (argv[1]) : 7;
  guint nhooks = argc > 2 ? (guint) atoi (argv[2]) : 50;
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("bench-hooks-XXXXXX", &error);
  g_autofree char *vendor = NULL;
  g_autofree char *admin = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *any = NULL;
  g_autoptr(HotplugHookRequest) req = hotplug_hook_request_new ("post-add", "sb", "sb0");
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  int ret = 0;

  g_assert_no_error (error);
  g_chmod (tmp, 0755);
  vendor = g_build_filename (tmp, "vendor", NULL);
  admin = g_build_filename (tmp, "admin", NULL);
  any = g_build_filename (vendor, "any", NULL);
  dir = g_build_filename (any, "post-add", NULL);
  g_mkdir_with_parents (admin, 0755);
  write_hooks (dir, nhooks, paths);

  if (argc > 3 && g_str_equal (argv[3], "units"))
    bench_units (vendor, admin, req, nhooks, rounds);
  else if (rounds > 0)
    ret = bench_runner (vendor, admin, dir, req, paths, rounds);

  for (guint i = 0; i < paths->len; i++)
    g_unlink (g_ptr_array_index (paths, i));
  g_rmdir (dir);
  g_rmdir (any);
  g_rmdir (vendor);
  g_rmdir (admin);
  g_rmdir (tmp);
  return ret;
}
