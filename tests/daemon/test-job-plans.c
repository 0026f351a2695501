/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Steps and plans: what a job will do for each unit and operation, the
 * checks before it starts, steps on the bus and their undo, the options. */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hotplug-error.h"
#include "hotplug-util.h"
#include "jobs-fixture.h"

/* --- steps and plans -------------------------------------------------- */

static char *
describe_plan (GPtrArray *steps)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < steps->len; i++)
    {
      g_autofree char *d = hotplug_step_describe (g_ptr_array_index (steps, i));

      g_string_append_printf (s, "%s%s", i ? "; " : "", d);
    }
  return g_string_free (s, FALSE);
}

static void
test_step_variant (void)
{
  for (int k = HOTPLUG_STEP_RUN_HOOKS; k <= HOTPLUG_STEP_WAIT_DEVICES; k++)
    {
      g_autoptr(HotplugStep) step = hotplug_step_new (k, 17, "ACPI0004:01", "online_movable");
      g_autoptr(GVariant) v = g_variant_ref_sink (hotplug_step_to_variant (step));
      g_autoptr(GError) error = NULL;
      g_autoptr(HotplugStep) back = hotplug_step_from_variant (v, &error);

      g_assert_no_error (error);
      g_assert_true (hotplug_step_equal (step, back));
    }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) bad = g_variant_ref_sink (g_variant_new ("(suss)", "fly", 0, "", ""));
    g_autoptr(GVariant) slash = g_variant_ref_sink (g_variant_new ("(suss)", "pci-remove", 0, "../../x", ""));
    g_autoptr(GVariant) type = g_variant_ref_sink (g_variant_new ("(ss)", "eject", "x"));

    g_assert_null (hotplug_step_from_variant (bad, &error));
    g_assert_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    g_assert_null (hotplug_step_from_variant (slash, &error));
    g_assert_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    g_assert_null (hotplug_step_from_variant (type, &error));
    g_assert_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT);
  }
}

static void
test_step_undo (void)
{
  struct { HotplugStep step; const char *undo; } cases[] = {
    { { HOTPLUG_STEP_CPU_OFFLINE, 17, (char *) "", (char *) "" }, "online cpu17" },
    { { HOTPLUG_STEP_MEMORY_ONLINE, 5, (char *) "", (char *) "online_movable" }, "offline memory5" },
    { { HOTPLUG_STEP_MEMORY_OFFLINE, 5, (char *) "", (char *) "" }, "online memory5 (online)" },
    { { HOTPLUG_STEP_CONTAINER_OFFLINE, 0, (char *) "ACPI0004:00", (char *) "" }, "online container ACPI0004:00" },
    { { HOTPLUG_STEP_PCI_REMOVE, 0, (char *) "0000:43:00.0", (char *) "0000:42:08.0" }, "rescan PCI below 0000:42:08.0" },
    { { HOTPLUG_STEP_SLOT_POWER_OFF, 0, (char *) "1", (char *) "" },
      "power on slot 1; rescan the PCI buses; wait for the devices of slot-1" },
    { { HOTPLUG_STEP_RUN_HOOKS, 0, (char *) "pre-remove", (char *) "" }, "" },
    { { HOTPLUG_STEP_EJECT, 0, (char *) "ACPI0004:00", (char *) "" }, "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) undo = hotplug_step_undo (&cases[i].step);
      g_autofree char *text = describe_plan (undo);

      g_assert_cmpstr (text, ==, cases[i].undo);
    }
}

static void
test_options (void)
{
  HotplugJobOptions o;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) good = g_variant_ref_sink (g_variant_new_parsed ("{'force': <true>, 'dry-run': <true>, 'timeout': <uint32 9>}"));
  g_autoptr(GVariant) unknown = g_variant_ref_sink (g_variant_new_parsed ("{'forse': <true>}"));
  g_autoptr(GVariant) wrong = g_variant_ref_sink (g_variant_new_parsed ("{'timeout': <'9'>}"));
  g_autoptr(GVariant) zero = g_variant_ref_sink (g_variant_new_parsed ("{'timeout': <uint32 0>}"));
  g_autoptr(GVariant) flags = g_variant_ref_sink (g_variant_new_parsed ("{'strict': <true>, 'eject': <false>}"));
  g_autoptr(GVariant) eject = g_variant_ref_sink (g_variant_new_parsed ("{'eject': <true>}"));
  g_autoptr(GVariant) eject_wrong = g_variant_ref_sink (g_variant_new_parsed ("{'eject': <'no'>}"));

  g_assert_true (hotplug_job_options_parse (good, &o, &error));
  g_assert_true (o.force && o.dry_run && o.timeout_s == 9);
  g_assert_false (hotplug_job_options_parse (unknown, &o, &error));
  g_assert_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "forse"));
  g_clear_error (&error);
  g_assert_false (hotplug_job_options_parse (wrong, &o, &error));
  g_assert_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "timeout"));
  g_clear_error (&error);
  g_assert_false (hotplug_job_options_parse (zero, &o, &error));
  g_assert_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_true (hotplug_job_options_parse (good, &o, &error));
  g_assert_cmpint (o.flags, ==, HOTPLUG_OPERATION_FLAG_NONE);
  g_assert_true (hotplug_job_options_parse (flags, &o, &error));
  g_assert_cmpint (o.flags, ==, HOTPLUG_OPERATION_FLAG_STRICT | HOTPLUG_OPERATION_FLAG_EJECT_SET |
                                HOTPLUG_OPERATION_FLAG_NO_EJECT);
  g_assert_true (hotplug_job_options_parse (eject, &o, &error));
  g_assert_cmpint (o.flags, ==, HOTPLUG_OPERATION_FLAG_EJECT_SET);
  g_assert_false (hotplug_job_options_parse (eject_wrong, &o, &error));
  g_assert_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "eject"));
}

static void
assert_plan (Test *t, const char *id, HotplugOperation op, const char *expected)
{
  g_autoptr(GPtrArray) steps = hotplug_operation_plan (t->platform, unit (t, id), op, HOTPLUG_OPERATION_FLAG_NONE, "online_movable");
  g_autofree char *text = describe_plan (steps);

  g_assert_cmpstr (text, ==, expected);
}

static void
test_plans (Test *t, gconstpointer data)
{
  assert_plan (t, "sb0", HOTPLUG_OPERATION_REMOVE,
               "run the pre-remove hooks; offline cpu4; offline cpu5; offline cpu6; offline cpu7; "
               "offline memory23; offline memory22; offline memory21; offline memory20; offline memory19; "
               "offline memory18; offline memory17; offline memory16; offline container ACPI0004:00; "
               "eject ACPI0004:00; run the post-remove hooks");
  assert_plan (t, "sb1", HOTPLUG_OPERATION_ADD,
               "run the pre-add hooks; online memory24 (online_movable); online memory25 (online_movable); "
               "online memory26 (online_movable); online memory27 (online_movable); online memory28 (online_movable); "
               "online memory29 (online_movable); online memory30 (online_movable); online memory31 (online_movable); "
               "online cpu8; online cpu9; online cpu10; online cpu11; run the post-add hooks");
  /* a container that is offline comes online first */
  fx_write (t->fx, "/sys/devices/system/container/ACPI0004:01/online", "0");
  {
    g_autoptr(GPtrArray) steps = hotplug_operation_plan (t->platform, unit (t, "sb1"), HOTPLUG_OPERATION_ADD, HOTPLUG_OPERATION_FLAG_NONE, "online");
    g_autofree char *d = hotplug_step_describe (g_ptr_array_index (steps, 1));

    g_assert_cmpstr (d, ==, "online container ACPI0004:01");
  }
  assert_plan (t, "slot-1", HOTPLUG_OPERATION_REMOVE,
               "run the pre-remove hooks; remove PCI device 0000:43:00.1; remove PCI device 0000:43:00.0; "
               "remove PCI device 0000:42:08.0; remove PCI device 0000:41:00.0; power off slot 1; "
               "run the post-remove hooks");
  assert_plan (t, "slot-1", HOTPLUG_OPERATION_ADD,
               "run the pre-add hooks; power on slot 1; rescan the PCI buses; wait for the devices of slot-1; "
               "run the post-add hooks");
  assert_plan (t, "iou2", HOTPLUG_OPERATION_REMOVE,
               "run the pre-remove hooks; remove PCI device 0000:c1:00.0; remove PCI device 0000:c0:01.0; "
               "offline container ACPI0004:02; eject ACPI0004:02; run the post-remove hooks");
  assert_plan (t, "cpu1", HOTPLUG_OPERATION_REMOVE, "run the pre-remove hooks; offline cpu1; run the post-remove hooks");
  assert_plan (t, "memory5", HOTPLUG_OPERATION_ADD,
               "run the pre-add hooks; online memory8 (online_movable); online memory9 (online_movable); "
               "online memory10 (online_movable); online memory11 (online_movable); run the post-add hooks");
  assert_plan (t, "memory-node0", HOTPLUG_OPERATION_REMOVE,
               "run the pre-remove hooks; offline memory7; offline memory6; offline memory5; offline memory4; "
               "offline memory3; offline memory2; offline memory1; offline memory0; run the post-remove hooks");
}

static void
test_checks (Test *t, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  HotplugJobOptions o = { 0 };
  g_autoptr(HotplugJob) job = NULL;

  /* an empty slot has nothing to add or remove */
  g_assert_false (hotplug_jobs_check (t->jobs, unit (t, "slot-2"), HOTPLUG_OPERATION_ADD, HOTPLUG_OPERATION_FLAG_NONE, &error));
  g_assert_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_NOT_PRESENT);
  g_clear_error (&error);

  /* a job on a board keeps its slots and itself busy, not the others */
  add_hook (t, "sb", "pre-remove", "10-slow", "sleep 1");
  job = g_object_ref (hotplug_jobs_create (t->jobs, unit (t, "sb0"), HOTPLUG_OPERATION_REMOVE, &o, "test", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (hotplug_dbus_unit_get_job (HOTPLUG_DBUS_UNIT (unit (t, "sb0"))), ==, "/org/hotplugd/Hotplug1/job/1");
  g_assert_false (hotplug_jobs_check (t->jobs, unit (t, "sb0"), HOTPLUG_OPERATION_REMOVE, HOTPLUG_OPERATION_FLAG_NONE, &error));
  g_assert_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_BUSY);
  g_clear_error (&error);
  g_assert_false (hotplug_jobs_check (t->jobs, unit (t, "slot-1"), HOTPLUG_OPERATION_REMOVE, HOTPLUG_OPERATION_FLAG_NONE, &error));
  g_assert_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_BUSY);
  g_clear_error (&error);
  g_assert_true (hotplug_jobs_check (t->jobs, unit (t, "sb1"), HOTPLUG_OPERATION_ADD, HOTPLUG_OPERATION_FLAG_NONE, &error));
  g_assert_true (hotplug_jobs_check (t->jobs, unit (t, "cpu1"), HOTPLUG_OPERATION_REMOVE, HOTPLUG_OPERATION_FLAG_NONE, &error));
  g_assert_true (hotplug_jobs_check (t->jobs, unit (t, "slot-io-3.a"), HOTPLUG_OPERATION_REMOVE, HOTPLUG_OPERATION_FLAG_NONE, &error));
  g_assert_no_error (error);
  /* and the other way round: a job on a slot keeps its board busy */
  g_assert_true (hotplug_job_cancel (job, &error));
  while (hotplug_job_is_running (job))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (hotplug_job_get_state (job), ==, HOTPLUG_JOB_STATE_CANCELLED);
  g_assert_false (hotplug_job_cancel (job, &error));
  g_assert_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED);
  g_clear_error (&error);
  g_clear_object (&job);
  job = g_object_ref (hotplug_jobs_create (t->jobs, unit (t, "slot-1"), HOTPLUG_OPERATION_REMOVE, &o, "test", &error));
  g_assert_false (hotplug_jobs_check (t->jobs, unit (t, "sb0"), HOTPLUG_OPERATION_REMOVE, HOTPLUG_OPERATION_FLAG_NONE, &error));
  g_assert_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_BUSY);
  g_clear_error (&error);
  g_assert_true (hotplug_job_cancel (job, &error));
  while (hotplug_job_is_running (job))
    g_main_context_iteration (NULL, TRUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* a job that fails logs a warning: that is what these tests provoke */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  g_test_add_func ("/jobs/step-variant", test_step_variant);
  g_test_add_func ("/jobs/step-undo", test_step_undo);
  g_test_add_func ("/jobs/options", test_options);
#define ADD(path, fn) g_test_add ("/jobs/" path, Test, NULL, setup, fn, teardown)
  ADD ("plans", test_plans);
  ADD ("checks", test_checks);
  return g_test_run ();
}
