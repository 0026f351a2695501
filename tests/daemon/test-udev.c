/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The event source's answer to lost events: every ENOBUFS is counted, and
 * one re-enumeration answers a burst of them, once the socket has gone
 * quiet (never inside the burst, never before its last loss), or at the
 * latest a maximum delay after the first loss of a flood that goes on. */
#include "config.h"

#include "hotplug-fixture.h"
#include "hotplug-log.h"
#include "hotplug-udev.h"

typedef struct
{
  HotplugFixture *fx;
  HotplugUdev    *udev;
  GArray         *resync_times;  /* gint64, monotonic µs */
  guint           enumerated;    /* devices in the last resync */
  /* the burst of losses the test makes */
  guint           injected;
  gint64          last_injected;
  gint64          burst_end;
  guint           resyncs_in_burst;
} Test;

static void
on_resync (HotplugUdev *udev, GPtrArray *events, Test *t)
{
  gint64 now = g_get_monotonic_time ();

  g_array_append_val (t->resync_times, now);
  t->enumerated = events->len;
}

static void
setup (Test *t, gconstpointer data)
{
  t->fx = hotplug_fixture_new ();
  fx_base (t->fx, 128 << 20);
  fx_node (t->fx, 0);
  fx_cpu (t->fx, 0, 0, -1);
  fx_cpu (t->fx, 1, 0, 1);
  fx_block (t->fx, 0, 0, TRUE);
  t->resync_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  t->udev = hotplug_udev_new_without_monitor ();
  g_signal_connect (t->udev, "resync", G_CALLBACK (on_resync), t);
}

static void
teardown (Test *t, gconstpointer data)
{
  g_clear_object (&t->udev);
  g_array_unref (t->resync_times);
  hotplug_fixture_free (t->fx);
}

/* one loss every few milliseconds until burst_end */
static gboolean
inject (gpointer user_data)
{
  Test *t = user_data;

  t->resyncs_in_burst = t->resync_times->len;
  if (g_get_monotonic_time () >= t->burst_end)
    return G_SOURCE_REMOVE;
  hotplug_udev_inject_overflow (t->udev);
  t->injected++;
  t->last_injected = g_get_monotonic_time ();
  return G_SOURCE_CONTINUE;
}

static void
run_burst (Test *t, guint burst_ms)
{
  t->burst_end = g_get_monotonic_time () + (gint64) burst_ms * 1000;
  g_timeout_add (5, inject, t);
  while (g_get_monotonic_time () < t->burst_end)
    g_main_context_iteration (NULL, TRUE);
}

static void
run_until_resyncs (Test *t, guint n, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (t->resync_times->len < n && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
}

static void
test_burst_coalesced (Test *t, gconstpointer data)
{
  hotplug_udev_set_resync_delays (t->udev, 200, 60000);
  run_burst (t, 600);
  g_assert_cmpuint (t->injected, >, 10);
  g_assert_cmpuint (hotplug_udev_get_overflows (t->udev), ==, t->injected);
  /* losses 5 ms apart keep the socket busy: nothing yet */
  g_assert_cmpuint (t->resyncs_in_burst, ==, 0);
  g_assert_cmpuint (hotplug_udev_get_resyncs (t->udev), ==, 0);

  run_until_resyncs (t, 1, 5000);
  g_assert_cmpuint (t->resync_times->len, ==, 1);
  /* not before the socket was quiet after the last loss */
  g_assert_cmpint (g_array_index (t->resync_times, gint64, 0) - t->last_injected, >=, 200 * 1000);
  g_assert_cmpuint (t->enumerated, ==, 3); /* cpu0, cpu1, memory0 */
  /* and no second one for the same burst */
  run_until_resyncs (t, 2, 500);
  g_assert_cmpuint (hotplug_udev_get_resyncs (t->udev), ==, 1);

  /* the next burst gets its own */
  run_burst (t, 100);
  run_until_resyncs (t, 2, 5000);
  g_assert_cmpuint (hotplug_udev_get_resyncs (t->udev), ==, 2);
  g_assert_cmpuint (hotplug_udev_get_overflows (t->udev), ==, t->injected);
}

static void
test_flood_capped (Test *t, gconstpointer data)
{
  /* a flood that does not stop is not left stale for ever: at most the
   * maximum delay after its first loss, it is re-enumerated */
  hotplug_udev_set_resync_delays (t->udev, 200, 300);
  run_burst (t, 1500);
  g_assert_cmpuint (t->resyncs_in_burst, >=, 1);
  g_assert_cmpuint (t->resyncs_in_burst, <=, 5);
  g_assert_cmpuint (t->resyncs_in_burst, <, t->injected / 10);
  /* and the losses after the last of those get one more, after the flood */
  run_until_resyncs (t, t->resyncs_in_burst + 1, 5000);
  g_assert_cmpint (g_array_index (t->resync_times, gint64, t->resync_times->len - 1), >=, t->last_injected);
}

static void
test_resume_resync (Test *t, gconstpointer data)
{
  /* a re-enumeration asked for (resume) does not wait for losses */
  hotplug_udev_set_resync_delays (t->udev, 50, 60000);
  hotplug_udev_resync (t->udev, "the system resumed from sleep");
  run_until_resyncs (t, 1, 5000);
  g_assert_cmpuint (hotplug_udev_get_resyncs (t->udev), ==, 1);
  g_assert_cmpuint (hotplug_udev_get_overflows (t->udev), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  hotplug_log_setup (FALSE);

#define ADD(path, fn) g_test_add ("/udev/" path, Test, NULL, setup, fn, teardown)
  ADD ("burst-coalesced", test_burst_coalesced);
  ADD ("flood-capped", test_flood_capped);
  ADD ("resume-resync", test_resume_resync);
  return g_test_run ();
}
