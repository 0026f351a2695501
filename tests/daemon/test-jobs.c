/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The job engine run against the fixture kernel (jobs-fixture.h): hooks,
 * vetoes, failures and their undo, cancel, dry runs, ejects, slots, linger. */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hotplug-error.h"
#include "hotplug-journal.h"
#include "hotplug-util.h"
#include "jobs-fixture.h"

/* --- the engine ------------------------------------------------------- */

static void
test_success (Test *t, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HotplugJob) job = NULL;
  g_autoptr(HotplugUnit) sb0 = g_object_ref (unit (t, "sb0"));
  g_auto(GStrv) lines = NULL;

  add_hook (t, "sb", "pre-remove", "10-a", NULL);
  add_hook (t, "any", "post-remove", "20-b", NULL);
  job = run (t, "sb0", HOTPLUG_OPERATION_REMOVE, NULL, NULL);
  g_assert_cmpint (hotplug_job_get_state (job), ==, HOTPLUG_JOB_STATE_SUCCEEDED);
  lines = read_log (t);
  g_assert_cmpuint (g_strv_length (lines), ==, 16);
  g_assert_cmpstr (lines[0], ==, "hook pre-remove 10-a dry=0 failed=");
  g_assert_cmpstr (lines[1], ==, "write /sys/devices/system/cpu/cpu4/online=0");
  g_assert_cmpstr (lines[5], ==, "write /sys/devices/system/memory/memory23/state=offline");
  g_assert_cmpstr (lines[12], ==, "write /sys/devices/system/memory/memory16/state=offline");
  g_assert_cmpstr (lines[14], ==, "write /sys/bus/acpi/devices/ACPI0004:00/eject=1");
  g_assert_cmpstr (lines[15], ==, "hook post-remove 20-b dry=0 failed=");
  /* the ejected board keeps its place: the same unit, absent, its last
   * job on it; only the platform can bring it back */
  hotplug_platform_flush (t->platform);
  g_assert_true (hotplug_platform_lookup_unit (t->platform, "sb0") == sb0);
  g_assert_cmpstr (hotplug_dbus_unit_get_state (HOTPLUG_DBUS_UNIT (sb0)), ==, "absent");
  g_assert_cmpstr (hotplug_dbus_unit_get_cpus (HOTPLUG_DBUS_UNIT (sb0)), ==, "");
  g_assert_false (hotplug_jobs_check (t->jobs, sb0, HOTPLUG_OPERATION_ADD, HOTPLUG_OPERATION_FLAG_NONE, &error));
  g_assert_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_NOT_PRESENT);
  g_assert_nonnull (strstr (error->message, "sb0 is absent: the board was ejected or pulled out"));
  g_clear_error (&error);
  g_assert_cmpstr (hotplug_dbus_unit_get_job (HOTPLUG_DBUS_UNIT (sb0)), ==, "/");
  g_assert_cmpstr (hotplug_dbus_unit_get_last_job_state (HOTPLUG_DBUS_UNIT (sb0)), ==, "succeeded");
  g_assert_cmpstr (hotplug_dbus_unit_get_last_job_operation (HOTPLUG_DBUS_UNIT (sb0)), ==, "remove");
  g_assert_cmpuint (hotplug_dbus_job_get_progress (HOTPLUG_DBUS_JOB (job)), ==, 100);
  g_assert_cmpstr (hotplug_dbus_job_get_initiator (HOTPLUG_DBUS_JOB (job)), ==, ":1.42");
  g_assert_cmpuint (hotplug_dbus_job_get_end_time (HOTPLUG_DBUS_JOB (job)), >=,
                    hotplug_dbus_job_get_start_time (HOTPLUG_DBUS_JOB (job)));

  /* and the other board comes online, memory first, lowest block first */
  g_ptr_array_set_size (t->writes, 0);
  g_clear_object (&job);
  job = run (t, "sb1", HOTPLUG_OPERATION_ADD, NULL, NULL);
  g_assert_cmpint (hotplug_job_get_state (job), ==, HOTPLUG_JOB_STATE_SUCCEEDED);
  g_assert_cmpuint (t->writes->len, ==, 12);
  g_assert_cmpstr (g_ptr_array_index (t->writes, 0), ==, "/sys/devices/system/memory/memory24/state=online_movable");
  g_assert_cmpstr (g_ptr_array_index (t->writes, 11), ==, "/sys/devices/system/cpu/cpu11/online=1");
  g_assert_cmpstr (hotplug_dbus_unit_get_state (HOTPLUG_DBUS_UNIT (unit (t, "sb1"))), ==, "online");

  /* Add on what is online: nothing to do, and it says so */
  g_clear_object (&job);
  job = run (t, "sb1", HOTPLUG_OPERATION_ADD, NULL, NULL);
  g_assert_cmpint (hotplug_job_get_state (job), ==, HOTPLUG_JOB_STATE_SUCCEEDED);
  g_assert_cmpstr (hotplug_dbus_job_get_reason (HOTPLUG_DBUS_JOB (job)), ==, "already online");
  g_assert_cmpuint (t->writes->len, ==, 12);
}

static void
test_veto (Test *t, gconstpointer data)
{
  g_autoptr(HotplugJob) job = NULL;
  const char *const expected[] = {
    "hook pre-remove 10-ok dry=0 failed=",
    "hook pre-remove 20-veto dry=0 failed=",
    "hook remove-failed 90-last dry=0 failed=20-veto",
    "hook remove-failed 10-first dry=0 failed=20-veto",
    NULL
  };

  add_hook (t, "sb", "pre-remove", "10-ok", NULL);
  add_hook (t, "sb", "pre-remove", "20-veto", "echo reason=database still running; exit 1");
  add_hook (t, "sb", "pre-remove", "30-never", NULL);
  add_hook (t, "any", "remove-failed", "10-first", NULL);
  add_hook (t, "sb", "remove-failed", "90-last", NULL);
  job = run (t, "sb0", HOTPLUG_OPERATION_REMOVE, NULL, NULL);
  g_assert_cmpint (hotplug_job_get_state (job), ==, HOTPLUG_JOB_STATE_VETOED);
  g_assert_cmpstr (hotplug_dbus_job_get_reason (HOTPLUG_DBUS_JOB (job)), ==, "database still running");
  assert_log (t, expected);
  g_assert_cmpuint (t->writes->len, ==, 0);
  g_assert_cmpstr (hotplug_dbus_unit_get_state (HOTPLUG_DBUS_UNIT (unit (t, "sb0"))), ==, "online");
  g_assert_cmpstr (hotplug_dbus_unit_get_last_job_state (HOTPLUG_DBUS_UNIT (unit (t, "sb0"))), ==, "vetoed");
}

static void
test_write_failure (Test *t, gconstpointer data)
{
  g_autoptr(HotplugJob) job = NULL;
  g_auto(GStrv) lines = NULL;
  const char *reason;

  add_hook (t, "any", "remove-failed", "10-first", NULL);
  add_hook (t, "sb", "remove-failed", "90-last", NULL);
  /* the write to memory20 fails */
  fx_rm (t->fx, "/sys/devices/system/memory/memory20/state");
  job = run (t, "sb0", HOTPLUG_OPERATION_REMOVE, NULL, NULL);
  g_assert_cmpint (hotplug_job_get_state (job), ==, HOTPLUG_JOB_STATE_FAILED);
  reason = hotplug_dbus_job_get_reason (HOTPLUG_DBUS_JOB (job));
  g_assert_nonnull (strstr (reason, "offline memory20"));
  lines = read_log (t);
  /* forward: cpu4-7, memory23-21; then back in reverse; then the hooks */
  {
    const char *const expected[] = {
      "write /sys/devices/system/cpu/cpu4/online=0",
      "write /sys/devices/system/cpu/cpu5/online=0",
      "write /sys/devices/system/cpu/cpu6/online=0",
      "write /sys/devices/system/cpu/cpu7/online=0",
      "write /sys/devices/system/memory/memory23/state=offline",
      "write /sys/devices/system/memory/memory22/state=offline",
      "write /sys/devices/system/memory/memory21/state=offline",
      "write /sys/devices/system/memory/memory21/state=online",
      "write /sys/devices/system/memory/memory22/state=online",
      "write /sys/devices/system/memory/memory23/state=online",
      "write /sys/devices/system/cpu/cpu7/online=1",
      "write /sys/devices/system/cpu/cpu6/online=1",
      "write /sys/devices/system/cpu/cpu5/online=1",
      "write /sys/devices/system/cpu/cpu4/online=1",
      "hook remove-failed 90-last dry=0 failed=offline memory20",
      "hook remove-failed 10-first dry=0 failed=offline memory20",
      NULL
    };
    assert_log (t, expected);
  }
  g_assert_cmpstr (hotplug_dbus_unit_get_state (HOTPLUG_DBUS_UNIT (unit (t, "sb0"))), ==, "online");
  g_assert_cmpstr (hotplug_dbus_unit_get_cpus_online (HOTPLUG_DBUS_UNIT (unit (t, "sb0"))), ==, "4-7");
}

static void
on_first_write_cancel (HotplugJobs *jobs, HotplugJob *job, const char *path, const char *value, Test *t)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (hotplug_job_cancel (job, &error));
  g_assert_no_error (error);
  g_signal_handlers_disconnect_by_func (jobs, on_first_write_cancel, t);
}

static void
test_cancel (Test *t, gconstpointer data)
{
  g_autoptr(HotplugJob) job = NULL;
  const char *const expected[] = {
    "write /sys/devices/system/cpu/cpu4/online=0",
    "write /sys/devices/system/cpu/cpu4/online=1",
    "hook remove-failed 10-f dry=0 failed=",
    NULL
  };

  add_hook (t, "sb", "remove-failed", "10-f", NULL);
  add_hook (t, "sb", "post-remove", "10-never", NULL);
  g_signal_connect (t->jobs, "kernel-write", G_CALLBACK (on_first_write_cancel), t);
  job = run (t, "sb0", HOTPLUG_OPERATION_REMOVE, NULL, NULL);
  g_assert_cmpint (hotplug_job_get_state (job), ==, HOTPLUG_JOB_STATE_CANCELLED);
  assert_log (t, expected);
  g_assert_cmpstr (hotplug_dbus_unit_get_state (HOTPLUG_DBUS_UNIT (unit (t, "sb0"))), ==, "online");
}

static void
test_undo_failure (Test *t, gconstpointer data)
{
  g_autoptr(HotplugJob) job = NULL;
  HotplugDbusUnit *sb0;

  hotplug_config_set_step_timeout (t->config, 0.3);
  fx_rm (t->fx, "/sys/devices/system/memory/memory22/state");
  /* the kernel never confirms cpu5 coming back */
  t->mute = g_strdup ("/sys/devices/system/cpu/cpu5/online=1");
  add_hook (t, "sb", "remove-failed", "10-f", NULL);
  job = run (t, "sb0", HOTPLUG_OPERATION_REMOVE, NULL, NULL);
  g_assert_cmpint (hotplug_job_get_state (job), ==, HOTPLUG_JOB_STATE_FAILED);
  g_assert_nonnull (strstr (hotplug_dbus_job_get_reason (HOTPLUG_DBUS_JOB (job)), "undo failed: online cpu5"));
  sb0 = HOTPLUG_DBUS_UNIT (unit (t, "sb0"));
  g_assert_cmpstr (hotplug_dbus_unit_get_state (sb0), ==, "failed");
  /* the rest was still undone, and the failed hooks ran */
  g_assert_cmpstr (g_ptr_array_index (t->writes, t->writes->len - 1), ==, "/sys/devices/system/cpu/cpu4/online=1");
  {
    g_auto(GStrv) lines = read_log (t);

    g_assert_cmpstr (lines[g_strv_length (lines) - 1], ==, "hook remove-failed 10-f dry=0 failed=offline memory22");
  }

  /* the administrator repairs it through the daemon: Add acts on the part
   * actually offline (cpu5), not on the State, which says failed */
  g_clear_pointer (&t->mute, g_free);
  g_assert_cmpstr (hotplug_dbus_unit_get_cpus_online (sb0), ==, "4,6-7");
  g_ptr_array_set_size (t->writes, 0);
  g_clear_object (&job);
  job = run (t, "sb0", HOTPLUG_OPERATION_ADD, NULL, NULL);
  g_assert_cmpint (hotplug_job_get_state (job), ==, HOTPLUG_JOB_STATE_SUCCEEDED);
  g_assert_cmpstr (hotplug_dbus_job_get_reason (HOTPLUG_DBUS_JOB (job)), !=, "already online");
  g_assert_cmpuint (t->writes->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (t->writes, 0), ==, "/sys/devices/system/cpu/cpu5/online=1");
  g_assert_cmpstr (hotplug_dbus_unit_get_cpus_online (sb0), ==, "4-7");
  g_assert_cmpstr (hotplug_dbus_unit_get_state (sb0), ==, "online");
}

/* A unit left failed by an undo that failed, then a dry run on it: the dry
 * run changes nothing, so the unit stays failed (hotplugd(8): until a job
 * on it succeeds), in State as in the state directory's failed-units,
 * which a dry run leaves alone; a vetoed job repairs nothing either; a job
 * that succeeds does. */
static void
test_dry_run_keeps_failed (Test *t, gconstpointer data)
{
  g_autoptr(HotplugJob) job = NULL;
  g_autoptr(GHashTable) failed = NULL;
  g_autofree char *state_dir = g_build_filename (t->fx->root, "state", NULL);
  HotplugJobOptions dry = { .dry_run = TRUE };
  HotplugDbusUnit *sb0 = HOTPLUG_DBUS_UNIT (unit (t, "sb0"));

  hotplug_jobs_set_state_dir (t->jobs, state_dir);
  hotplug_config_set_step_timeout (t->config, 0.3);
  fx_rm (t->fx, "/sys/devices/system/memory/memory22/state");
  t->mute = g_strdup ("/sys/devices/system/cpu/cpu5/online=1");
  job = run (t, "sb0", HOTPLUG_OPERATION_REMOVE, NULL, NULL);
  g_assert_cmpint (hotplug_job_get_state (job), ==, HOTPLUG_JOB_STATE_FAILED);
  g_assert_cmpstr (hotplug_dbus_unit_get_state (sb0), ==, "failed");
  failed = hotplug_failed_units_load (state_dir);
  g_assert_true (g_hash_table_contains (failed, "sb0"));
  g_clear_pointer (&failed, g_hash_table_unref);

  g_clear_object (&job);
  job = run (t, "sb0", HOTPLUG_OPERATION_ADD, &dry, NULL);
  g_assert_cmpint (hotplug_job_get_state (job), ==, HOTPLUG_JOB_STATE_SUCCEEDED);
  /* the dry run repaired nothing: cpu5 is still offline */
  g_assert_cmpstr (hotplug_dbus_unit_get_cpus_online (sb0), ==, "4,6-7");
  failed = hotplug_failed_units_load (state_dir);
  g_assert_true (g_hash_table_contains (failed, "sb0"));
  g_assert_cmpstr (hotplug_dbus_unit_get_state (sb0), ==, "failed");
  g_clear_pointer (&failed, g_hash_table_unref);

  g_clear_object (&job);
  add_hook (t, "sb", "pre-add", "10-no", "echo reason=not now; exit 1");
  job = run (t, "sb0", HOTPLUG_OPERATION_ADD, NULL, NULL);
  g_assert_cmpint (hotplug_job_get_state (job), ==, HOTPLUG_JOB_STATE_VETOED);
  failed = hotplug_failed_units_load (state_dir);
  g_assert_true (g_hash_table_contains (failed, "sb0"));
  g_assert_cmpstr (hotplug_dbus_unit_get_state (sb0), ==, "failed");
  g_clear_pointer (&failed, g_hash_table_unref);

  /* the administrator's repair, then an add that succeeds */
  add_hook (t, "sb", "pre-add", "10-no", "exit 0");
  fx_write (t->fx, "/sys/devices/system/memory/memory22/state", "online");
  g_clear_pointer (&t->mute, g_free);
  g_clear_object (&job);
  job = run (t, "sb0", HOTPLUG_OPERATION_ADD, NULL, NULL);
  g_assert_cmpint (hotplug_job_get_state (job), ==, HOTPLUG_JOB_STATE_SUCCEEDED);
  failed = hotplug_failed_units_load (state_dir);
  g_assert_false (g_hash_table_contains (failed, "sb0"));
  g_assert_cmpstr (hotplug_dbus_unit_get_state (sb0), ==, "online");
}

/* Stopping: the running job is cancelled (and rolled back), and no new
 * job is taken, a caller's or the platform's, however long the rollback
 * takes. */
static void
test_stop_takes_no_new_job (Test *t, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HotplugJob) first = NULL;
  g_autoptr(HotplugJob) job = NULL;

  hotplug_config_set_step_timeout (t->config, 0.5);
  t->mute = g_strdup ("/sys/devices/system/cpu/cpu5/online=0");
  first = g_object_ref (hotplug_jobs_create (t->jobs, unit (t, "sb0"), HOTPLUG_OPERATION_REMOVE, NULL, ":1.42",
                                             &error));
  g_assert_no_error (error);
  while (!g_ptr_array_find_with_equal_func (t->writes, "/sys/devices/system/cpu/cpu5/online=0", g_str_equal, NULL))
    g_main_context_iteration (NULL, TRUE);

  hotplug_jobs_stop (t->jobs, "hotplugd is stopping");
  g_assert_true (hotplug_jobs_is_stopping (t->jobs));
  job = hotplug_jobs_create (t->jobs, unit (t, "cpu1"), HOTPLUG_OPERATION_REMOVE, NULL, ":1.42", &error);
  g_assert_null (job);
  g_assert_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_BUSY);
  g_assert_nonnull (strstr (error->message, "hotplugd is stopping"));
  g_clear_error (&error);
  g_assert_false (hotplug_jobs_check (t->jobs, unit (t, "cpu1"), HOTPLUG_OPERATION_REMOVE,
                                      HOTPLUG_OPERATION_FLAG_NONE, &error));
  g_assert_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_BUSY);

  /* the step in flight ends (here at its time limit: its write is never
   * confirmed), then the rollback */
  while (hotplug_job_is_running (first))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (hotplug_job_get_state (first), ==, HOTPLUG_JOB_STATE_TIMEOUT);
  g_assert_cmpstr (hotplug_dbus_unit_get_cpus_online (HOTPLUG_DBUS_UNIT (unit (t, "sb0"))), ==, "4-7");
}

/* the kernel's late answer to the muted eject of sb0's container */
static gboolean
answer_eject_late (gpointer user_data)
{
  Test *t = user_data;

  fx_rm (t->fx, "/sys/devices/system/container/ACPI0004:00");
  inject (t, "remove", "container", "/devices/system/container/ACPI0004:00");
  return G_SOURCE_REMOVE;
}

static void
on_eject_write (HotplugJobs *jobs, HotplugJob *job, const char *path, const char *value, Test *t)
{
  if (g_str_has_suffix (path, "/eject"))
    g_timeout_add (1500, answer_eject_late, t);
}

/* An eject the kernel took but confirmed only after step-timeout: the
 * board is gone by the time the rollback has settled the step.  After an
 * eject "the board cannot be brought back" (a recovery finishes such a job
 * forward, hotplugd(8)): the job must not try to bring the board's parts
 * back, run remove-failed in place of post-remove, and leave the absent
 * board failed; it goes on with its post-remove hooks. */
static void
test_slow_eject (Test *t, gconstpointer data)
{
  g_autoptr(HotplugJob) job = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree char *log = NULL;
  HotplugDbusUnit *sb0 = HOTPLUG_DBUS_UNIT (unit (t, "sb0"));

  /* the answer comes 1.5 s after the write: after the step's 1 s, within
   * the rollback's settling wait of another 1 s (half a second either
   * way, for valgrind) */
  hotplug_config_set_step_timeout (t->config, 1);
  t->mute = g_strdup ("/sys/bus/acpi/devices/ACPI0004:00/eject=1");
  g_signal_connect (t->jobs, "kernel-write", G_CALLBACK (on_eject_write), t);
  add_hook (t, "sb", "post-remove", "10-post", NULL);
  add_hook (t, "sb", "remove-failed", "10-failed", NULL);
  job = run (t, "sb0", HOTPLUG_OPERATION_REMOVE, NULL, NULL);
  hotplug_platform_flush (t->platform);
  lines = read_log (t);
  log = g_strjoinv ("\n", lines);
  g_test_message ("%s: %s\n%s", hotplug_dbus_job_get_state (HOTPLUG_DBUS_JOB (job)),
                  hotplug_dbus_job_get_reason (HOTPLUG_DBUS_JOB (job)), log);
  /* the board went: nothing of it was written back online */
  g_assert_null (strstr (log, "online=1"));
  g_assert_null (strstr (log, "state=online"));
  g_assert_null (strstr (log, "hook remove-failed"));
  g_assert_nonnull (strstr (log, "hook post-remove 10-post"));
  g_assert_cmpstr (hotplug_dbus_unit_get_state (sb0), !=, "failed");
}

/* what an administrator does by hand, behind the daemon's back */
static void
set_cpu_by_hand (Test *t, guint n, gboolean online)
{
  g_autofree char *file = g_strdup_printf ("/sys/devices/system/cpu/cpu%u/online", n);
  g_autofree char *devpath = g_strdup_printf ("/devices/system/cpu/cpu%u", n);

  fx_write (t->fx, file, online ? "1" : "0");
  inject (t, online ? "online" : "offline", "cpu", devpath);
  hotplug_platform_flush (t->platform);
}

static void
assert_writes (Test *t, const char *const *expected)
{
  g_autofree char *got = NULL;
  g_autofree char *want = g_strjoinv (" ", (char **) expected);

  g_ptr_array_add (t->writes, NULL);
  got = g_strjoinv (" ", (char **) t->writes->pdata);
  g_ptr_array_set_size (t->writes, 0);
  g_assert_cmpstr (got, ==, want);
}

static void
test_no_eject_and_repair (Test *t, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HotplugJob) job = NULL;
  HotplugJobOptions keep = { .flags = HOTPLUG_OPERATION_FLAG_EJECT_SET | HOTPLUG_OPERATION_FLAG_NO_EJECT };
  HotplugUnit *sb0 = unit (t, "sb0");
  HotplugDbusUnit *u = HOTPLUG_DBUS_UNIT (sb0);
  const char *const rest_offline[] = {
    "/sys/devices/system/cpu/cpu4/online=0", "/sys/devices/system/cpu/cpu6/online=0",
    "/sys/devices/system/cpu/cpu7/online=0", "/sys/devices/system/memory/memory23/state=offline",
    "/sys/devices/system/memory/memory22/state=offline", "/sys/devices/system/memory/memory21/state=offline",
    "/sys/devices/system/memory/memory20/state=offline", "/sys/devices/system/memory/memory19/state=offline",
    "/sys/devices/system/memory/memory18/state=offline", "/sys/devices/system/memory/memory17/state=offline",
    "/sys/devices/system/memory/memory16/state=offline",
    "/sys/devices/system/container/ACPI0004:00/online=0", NULL };
  const char *const just_cpu6[] = { "/sys/devices/system/cpu/cpu6/online=1", NULL };

  /* a CPU offlined by hand: Remove offlines the rest, and eject=false
   * stops at offline, the board still in place */
  set_cpu_by_hand (t, 5, FALSE);
  g_ptr_array_set_size (t->writes, 0);
  job = run (t, "sb0", HOTPLUG_OPERATION_REMOVE, &keep, NULL);
  g_assert_cmpint (hotplug_job_get_state (job), ==, HOTPLUG_JOB_STATE_SUCCEEDED);
  assert_writes (t, rest_offline);
  hotplug_platform_flush (t->platform);
  g_assert_true (hotplug_platform_has_container (t->platform, "ACPI0004:00"));
  g_assert_cmpstr (hotplug_dbus_unit_get_state (u), ==, "offline");

  /* nothing online and no eject asked: a no-op, or with strict a failure */
  g_assert_true (hotplug_jobs_check (t->jobs, sb0, HOTPLUG_OPERATION_REMOVE, keep.flags, &error));
  g_assert_false (hotplug_jobs_check (t->jobs, sb0, HOTPLUG_OPERATION_REMOVE,
                                      keep.flags | HOTPLUG_OPERATION_FLAG_STRICT, &error));
  g_assert_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED);
  g_clear_error (&error);
  /* but a plain Remove still has the eject to do */
  g_assert_true (hotplug_jobs_check (t->jobs, sb0, HOTPLUG_OPERATION_REMOVE, HOTPLUG_OPERATION_FLAG_STRICT, &error));

  /* Add brings it back */
  g_clear_object (&job);
  job = run (t, "sb0", HOTPLUG_OPERATION_ADD, NULL, NULL);
  g_assert_cmpint (hotplug_job_get_state (job), ==, HOTPLUG_JOB_STATE_SUCCEEDED);
  g_assert_cmpstr (hotplug_dbus_unit_get_state (u), ==, "online");
  g_assert_cmpstr (hotplug_dbus_unit_get_cpus_online (u), ==, "4-7");
  g_assert_cmpuint (hotplug_dbus_unit_get_memory_blocks_online (u), ==, 8);
  g_ptr_array_set_size (t->writes, 0);

  /* one CPU offlined by hand: the board is still online, yet Add has one
   * thing to do, and strict agrees */
  set_cpu_by_hand (t, 6, FALSE);
  g_assert_cmpstr (hotplug_dbus_unit_get_state (u), ==, "online");
  g_assert_true (hotplug_jobs_check (t->jobs, sb0, HOTPLUG_OPERATION_ADD, HOTPLUG_OPERATION_FLAG_STRICT, &error));
  g_clear_object (&job);
  job = run (t, "sb0", HOTPLUG_OPERATION_ADD, NULL, NULL);
  g_assert_cmpint (hotplug_job_get_state (job), ==, HOTPLUG_JOB_STATE_SUCCEEDED);
  assert_writes (t, just_cpu6);
  /* now every part is online */
  g_assert_false (hotplug_jobs_check (t->jobs, sb0, HOTPLUG_OPERATION_ADD, HOTPLUG_OPERATION_FLAG_STRICT, &error));
  g_assert_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED);
}

static void
test_dry_run (Test *t, gconstpointer data)
{
  g_autoptr(HotplugJob) job = NULL;
  HotplugJobOptions o = { .dry_run = TRUE };
  const char *const expected[] = { "hook pre-remove 10-a dry=1 failed=", NULL };

  add_hook (t, "sb", "pre-remove", "10-a", NULL);
  add_hook (t, "sb", "post-remove", "10-never", NULL);
  job = run (t, "sb0", HOTPLUG_OPERATION_REMOVE, &o, NULL);
  g_assert_cmpint (hotplug_job_get_state (job), ==, HOTPLUG_JOB_STATE_SUCCEEDED);
  g_assert_true (g_str_has_prefix (hotplug_dbus_job_get_reason (HOTPLUG_DBUS_JOB (job)),
                                   "dry run: would offline cpu4, offline cpu5"));
  assert_log (t, expected);
  g_assert_cmpstr (hotplug_dbus_unit_get_cpus_online (HOTPLUG_DBUS_UNIT (unit (t, "sb0"))), ==, "4-7");
}

/* A vetoed dry run: its pre-* hooks changed nothing, so no *-failed hook
 * (which would restart services) runs. */
static void
test_dry_run_vetoed (Test *t, gconstpointer data)
{
  g_autoptr(HotplugJob) job = NULL;
  HotplugJobOptions o = { .dry_run = TRUE };
  const char *const expected[] = { "hook pre-remove 10-no dry=1 failed=", NULL };

  add_hook (t, "sb", "pre-remove", "10-no", "echo reason=busy; exit 1");
  add_hook (t, "sb", "remove-failed", "50-start-services", NULL);
  job = run (t, "sb0", HOTPLUG_OPERATION_REMOVE, &o, NULL);
  g_assert_cmpint (hotplug_job_get_state (job), ==, HOTPLUG_JOB_STATE_VETOED);
  g_assert_cmpstr (hotplug_dbus_job_get_reason (HOTPLUG_DBUS_JOB (job)), ==, "busy");
  assert_log (t, expected);
}

static void
test_eject_request (Test *t, gconstpointer data)
{
  g_autoptr(HotplugEvent) ev = hotplug_event_new ("change", "container", "/devices/system/container/ACPI0004:00");
  g_autoptr(GPtrArray) all = NULL;
  HotplugJob *job;

  hotplug_jobs_set_platform_jobs (t->jobs, TRUE);
  hotplug_event_set_property (ev, "EVENT", "offline");
  hotplug_udev_inject (t->udev, ev);
  all = hotplug_jobs_get_all (t->jobs);
  g_assert_cmpuint (all->len, ==, 1);
  job = g_ptr_array_index (all, 0);
  g_assert_cmpstr (hotplug_dbus_job_get_initiator (HOTPLUG_DBUS_JOB (job)), ==, "platform");
  while (hotplug_job_is_running (job))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (hotplug_job_get_state (job), ==, HOTPLUG_JOB_STATE_SUCCEEDED);
  g_assert_cmpstr (g_ptr_array_index (t->writes, t->writes->len - 1), ==, "/sys/bus/acpi/devices/ACPI0004:00/eject=1");
}

/* An eject request while an add of the board runs: the add is cancelled
 * (rolled back), Unit.EjectPending shows the request meanwhile, then the
 * remove that ends in the eject runs by itself. */
static void
test_eject_request_during_add (Test *t, gconstpointer data)
{
  HotplugUnit *sb1 = unit (t, "sb1");
  g_autofree char *container = g_path_get_basename (hotplug_dbus_unit_get_sysfs_path (HOTPLUG_DBUS_UNIT (sb1)));
  g_autofree char *devpath = g_strdup_printf ("/devices/system/container/%s", container);
  g_autofree char *eject = g_strdup_printf ("/sys/bus/acpi/devices/%s/eject=1", container);
  g_autoptr(HotplugEvent) ev = hotplug_event_new ("change", "container", devpath);
  g_autoptr(HotplugJob) add = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GError) error = NULL;
  HotplugJob *remove = NULL;
  HotplugJobOptions o = { 0 };

  g_assert_cmpstr (hotplug_dbus_unit_get_state (HOTPLUG_DBUS_UNIT (sb1)), ==, "offline");
  add_hook (t, "sb", "pre-add", "10-slow", "sleep 0.5");
  hotplug_jobs_set_platform_jobs (t->jobs, TRUE);
  add = g_object_ref (hotplug_jobs_create (t->jobs, sb1, HOTPLUG_OPERATION_ADD, &o, ":1.42", &error));
  g_assert_no_error (error);
  while (!*hotplug_dbus_job_get_hook (HOTPLUG_DBUS_JOB (add)))
    g_main_context_iteration (NULL, TRUE);
  hotplug_event_set_property (ev, "EVENT", "offline");
  hotplug_udev_inject (t->udev, ev);
  g_assert_true (hotplug_dbus_unit_get_eject_pending (HOTPLUG_DBUS_UNIT (sb1)));
  while (hotplug_job_is_running (add))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (hotplug_job_get_state (add), ==, HOTPLUG_JOB_STATE_CANCELLED);
  /* cancelled while its hook ran: the reason names the hook */
  g_assert_cmpstr (hotplug_dbus_job_get_reason (HOTPLUG_DBUS_JOB (add)), ==,
                   "10-slow: the firmware asked to eject the unit");
  all = hotplug_jobs_get_all (t->jobs);
  for (guint i = 0; i < all->len; i++)
    if (g_ptr_array_index (all, i) != add)
      remove = g_ptr_array_index (all, i);
  g_assert_nonnull (remove);
  g_assert_false (hotplug_dbus_unit_get_eject_pending (HOTPLUG_DBUS_UNIT (sb1)));
  g_assert_cmpstr (hotplug_dbus_job_get_operation (HOTPLUG_DBUS_JOB (remove)), ==, "remove");
  g_assert_cmpstr (hotplug_dbus_job_get_initiator (HOTPLUG_DBUS_JOB (remove)), ==, "platform");
  while (hotplug_job_is_running (remove))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (hotplug_job_get_state (remove), ==, HOTPLUG_JOB_STATE_SUCCEEDED);
  g_assert_cmpstr (g_ptr_array_index (t->writes, t->writes->len - 1), ==, eject);
}

static void
test_slot (Test *t, gconstpointer data)
{
  g_autoptr(HotplugJob) job = NULL;
  g_autoptr(GPtrArray) all = NULL;

  /* a slot removed by a job is no surprise removal */
  hotplug_jobs_set_platform_jobs (t->jobs, TRUE);
  t->mute = g_strdup ("none");
  job = run (t, "slot-io-3.a", HOTPLUG_OPERATION_REMOVE, NULL, NULL);
  g_assert_cmpint (hotplug_job_get_state (job), ==, HOTPLUG_JOB_STATE_SUCCEEDED);
  g_assert_cmpstr (g_ptr_array_index (t->writes, 0), ==, "/sys/bus/pci/devices/0000:c1:00.0/remove=1");
  g_assert_cmpstr (g_ptr_array_index (t->writes, 1), ==, "/sys/bus/pci/slots/io-3.a/power=0");
  all = hotplug_jobs_get_all (t->jobs);
  g_assert_cmpuint (all->len, ==, 1);
}

static void
on_job_removed (HotplugJobs *jobs, HotplugJob *job, GArray *ids)
{
  guint id = hotplug_job_get_id (job);

  g_array_append_val (ids, id);
}

/* Ended jobs go when their linger is over, each by its own linger: one
 * that ended later with a shorter one goes first. */
static void
test_linger (Test *t, gconstpointer data)
{
  HotplugJobOptions o = { 0 };
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(HotplugJob) first = NULL;
  g_autoptr(HotplugJob) second = NULL;
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  g_signal_connect (t->jobs, "job-removed", G_CALLBACK (on_job_removed), ids);
  hotplug_config_set_job_linger (t->config, 0.5);
  first = run (t, "cpu1", HOTPLUG_OPERATION_REMOVE, &o, NULL);
  hotplug_config_set_job_linger (t->config, 0.05);
  second = run (t, "cpu1", HOTPLUG_OPERATION_ADD, &o, NULL);
  g_assert_cmpint (hotplug_job_get_state (first), ==, HOTPLUG_JOB_STATE_SUCCEEDED);
  g_assert_cmpint (hotplug_job_get_state (second), ==, HOTPLUG_JOB_STATE_SUCCEEDED);
  while (ids->len < 2 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (ids->len, ==, 2);
  g_assert_cmpuint (g_array_index (ids, guint, 0), ==, hotplug_job_get_id (second));
  g_assert_cmpuint (g_array_index (ids, guint, 1), ==, hotplug_job_get_id (first));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* a job that fails logs a warning: that is what these tests provoke */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
#define ADD(path, fn) g_test_add ("/jobs/" path, Test, NULL, setup, fn, teardown)
  ADD ("success", test_success);
  ADD ("veto", test_veto);
  ADD ("write-failure", test_write_failure);
  ADD ("cancel", test_cancel);
  ADD ("undo-failure", test_undo_failure);
  ADD ("dry-run-keeps-failed", test_dry_run_keeps_failed);
  ADD ("stop-takes-no-new-job", test_stop_takes_no_new_job);
  ADD ("slow-eject", test_slow_eject);
  ADD ("dry-run", test_dry_run);
  ADD ("no-eject-and-repair", test_no_eject_and_repair);
  ADD ("dry-run-vetoed", test_dry_run_vetoed);
  ADD ("eject-request-during-add", test_eject_request_during_add);
  ADD ("eject-request", test_eject_request);
  ADD ("slot", test_slot);
  ADD ("linger", test_linger);
  return g_test_run ();
}
