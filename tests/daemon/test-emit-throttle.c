/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The fast properties' interval (hotplug-emit-throttle.h): a skeleton's
 * PropertiesChanged is scheduled at once for the first change and for any
 * change of another property, at most once per interval for a run of fast
 * ones, and the last of a run is never lost. */
#include "config.h"

#include <gio/gio.h>

#include "hotplug-emit-throttle.h"

typedef struct
{
  GObject             *object;
  HotplugEmitThrottle  emit;
  GParamSpec          *fast;    /* "cpus-online" */
  GParamSpec          *other;   /* "state" */
  GArray              *calls;   /* gint64 monotonic µs of each scheduling */
} Test;

static Test *current;

static void
record (GObject *object, GParamSpec *pspec)
{
  gint64 now = g_get_monotonic_time ();

  g_assert_true (object == current->object);
  g_array_append_val (current->calls, now);
}

static const char *const fast_properties[] = { "cpus-online", "memory-blocks-online", NULL };

static void
setup (Test *t, gconstpointer data)
{
  current = t;
  t->object = g_object_new (G_TYPE_OBJECT, NULL);
  t->fast = g_param_spec_ref_sink (g_param_spec_string ("cpus-online", NULL, NULL, "", G_PARAM_READWRITE));
  t->other = g_param_spec_ref_sink (g_param_spec_string ("state", NULL, NULL, "", G_PARAM_READWRITE));
  t->calls = g_array_new (FALSE, FALSE, sizeof (gint64));
  hotplug_emit_throttle_init (&t->emit, t->object, record, fast_properties);
}

static void
teardown (Test *t, gconstpointer data)
{
  hotplug_emit_throttle_clear (&t->emit);
  g_object_unref (t->object);
  g_param_spec_unref (t->fast);
  g_param_spec_unref (t->other);
  g_array_unref (t->calls);
  current = NULL;
}

static void
run_until_calls (Test *t, guint n)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;

  while (t->calls->len < n && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
}

static void
test_run_of_fast_changes (Test *t, gconstpointer data)
{
  gint64 first;

  /* the first change goes at once */
  hotplug_emit_throttle_notify (&t->emit, t->fast);
  g_assert_cmpuint (t->calls->len, ==, 1);
  first = g_array_index (t->calls, gint64, 0);
  /* the rest of the run waits for the interval's end */
  for (guint i = 0; i < 1000; i++)
    hotplug_emit_throttle_notify (&t->emit, t->fast);
  g_assert_cmpuint (t->calls->len, ==, 1);
  g_assert_cmpuint (t->emit.timer_id, !=, 0);
  /* and goes as one, no sooner than the interval */
  run_until_calls (t, 2);
  g_assert_cmpuint (t->calls->len, ==, 2);
  g_assert_cmpint (g_array_index (t->calls, gint64, 1) - first, >=, HOTPLUG_EMIT_INTERVAL_MS * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpuint (t->emit.timer_id, ==, 0);
  /* nothing more is owed */
  for (gint64 end = g_get_monotonic_time () + 2 * HOTPLUG_EMIT_INTERVAL_MS * G_TIME_SPAN_MILLISECOND;
       g_get_monotonic_time () < end;)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (t->calls->len, ==, 2);
}

static void
test_other_property_goes_at_once (Test *t, gconstpointer data)
{
  hotplug_emit_throttle_notify (&t->emit, t->fast);
  hotplug_emit_throttle_notify (&t->emit, t->fast);
  g_assert_cmpuint (t->calls->len, ==, 1);
  /* a State change does not wait, and takes what waited with it */
  hotplug_emit_throttle_notify (&t->emit, t->other);
  g_assert_cmpuint (t->calls->len, ==, 2);
  g_assert_cmpuint (t->emit.timer_id, ==, 0);
  /* a change without a property (the skeleton's own) does not wait either */
  hotplug_emit_throttle_notify (&t->emit, NULL);
  g_assert_cmpuint (t->calls->len, ==, 3);
}

static void
test_cleared_while_waiting (Test *t, gconstpointer data)
{
  hotplug_emit_throttle_notify (&t->emit, t->fast);
  hotplug_emit_throttle_notify (&t->emit, t->fast);
  g_assert_cmpuint (t->emit.timer_id, !=, 0);
  /* the owner goes: nothing fires on it afterwards */
  hotplug_emit_throttle_clear (&t->emit);
  g_assert_cmpuint (t->emit.timer_id, ==, 0);
  for (gint64 end = g_get_monotonic_time () + 2 * HOTPLUG_EMIT_INTERVAL_MS * G_TIME_SPAN_MILLISECOND;
       g_get_monotonic_time () < end;)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (t->calls->len, ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/emit-throttle/run-of-fast-changes", Test, NULL, setup, test_run_of_fast_changes, teardown);
  g_test_add ("/emit-throttle/other-property-at-once", Test, NULL, setup, test_other_property_goes_at_once, teardown);
  g_test_add ("/emit-throttle/cleared-while-waiting", Test, NULL, setup, test_cleared_while_waiting, teardown);
  return g_test_run ();
}
