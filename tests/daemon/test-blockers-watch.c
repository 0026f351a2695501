/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The checks a Remove makes at its call (HotplugBlockersWatch): each one
 * scans after it was asked for, and those asked for while one scans share
 * the next scan. */
#include "config.h"

#include "hotplug-blockers-watch.h"
#include "hotplug-log.h"
#include "platform-fixture.h"

typedef struct
{
  HotplugBlockersWatch *watch;
  guint                 answered;
} Checks;

static void
on_checked (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Checks *c = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) blockers = hotplug_blockers_watch_check_finish (c->watch, res, &error);

  g_assert_no_error (error);
  g_assert_nonnull (blockers);
  c->answered++;
}

/* Twenty checks at once (twenty callers, polkit refusing most of them
 * later): every one is answered, by two scans at most, not twenty. */
static void
test_checks_share_scans (Test *t, gconstpointer data)
{
  g_autoptr(HotplugBlockersWatch) watch = hotplug_blockers_watch_new (t->platform);
  HotplugUnit *sb0 = hotplug_platform_lookup_unit (t->platform, "sb0");
  HotplugUnit *slot = hotplug_platform_lookup_unit (t->platform, "slot-1");
  Checks c = { watch, 0 };
  guint scans;

  g_assert_nonnull (sb0);
  g_assert_nonnull (slot);
  for (guint i = 0; i < 20; i++)
    hotplug_blockers_watch_check_async (watch, i % 2 ? sb0 : slot, on_checked, &c);
  while (c.answered < 20)
    g_main_context_iteration (NULL, TRUE);
  scans = hotplug_blockers_watch_get_check_scans (watch);
  g_assert_cmpuint (scans, >=, 1);
  g_assert_cmpuint (scans, <=, 2);

  /* one more, alone: a scan of its own, begun after it was asked for */
  hotplug_blockers_watch_check_async (watch, sb0, on_checked, &c);
  while (c.answered < 21)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (hotplug_blockers_watch_get_check_scans (watch), ==, scans + 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  hotplug_log_setup (FALSE);
  g_test_add ("/blockers-watch/checks-share-scans", Test, NULL, setup, test_checks_share_scans, teardown);
  return g_test_run ();
}
