/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The network interfaces watch that refreshes the netdev blockers: an
 * interface going up or down is announced.  Runs in a network namespace
 * of its own (root), whose loopback interface it switches, so that no
 * interface of the machine is touched. */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <string.h>

#include "hotplug-link-watch.h"

static char *isolated;    /* NULL: in a namespace of our own; else why not */

static void
on_changed (gpointer user_data)
{
  (*(guint *) user_data)++;
}

static void
ip_link (const char *state)
{
  const char *argv[] = { "ip", "link", "set", "lo", state, NULL };
  g_autoptr(GError) error = NULL;
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, &error));
}

static void
wait_calls (guint *calls, guint at_least)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (*calls < at_least && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
}

static void
test_up_and_down (void)
{
  g_autoptr(HotplugLinkWatch) watch = NULL;
  guint calls = 0;

  if (isolated)
    {
      g_test_skip (isolated);
      return;
    }
  watch = hotplug_link_watch_new (on_changed, &calls);
  ip_link ("up");
  wait_calls (&calls, 1);
  g_assert_cmpuint (calls, >=, 1);
  calls = 0;
  ip_link ("down");
  wait_calls (&calls, 1);
  g_assert_cmpuint (calls, >=, 1);
}

static gboolean
on_timeout (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
test_quiet (void)
{
  g_autoptr(HotplugLinkWatch) watch = NULL;
  guint calls = 0;
  gboolean done = FALSE;

  if (isolated)
    {
      g_test_skip (isolated);
      return;
    }
  watch = hotplug_link_watch_new (on_changed, &calls);
  g_timeout_add (300, on_timeout, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (calls, ==, 0);
}

int
main (int argc, char **argv)
{
  g_autofree char *ip = g_find_program_in_path ("ip");

  g_test_init (&argc, &argv, NULL);
  if (unshare (CLONE_NEWNET) < 0)
    isolated = g_strdup_printf ("needs a network namespace of its own (root): %s", g_strerror (errno));
  else if (ip == NULL)
    isolated = g_strdup ("needs ip(8) to switch an interface");
  g_test_add_func ("/link-watch/up-and-down", test_up_and_down);
  g_test_add_func ("/link-watch/quiet", test_quiet);
  return g_test_run ();
}
