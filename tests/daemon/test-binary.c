/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon binary on a private bus: it owns the name once everything is
 * enumerated, a second instance leaves it alone, --replace takes it over
 * (the replaced one exits with an error), SIGTERM ends it cleanly. */
#include "config.h"

#include <signal.h>

#include <gio/gio.h>

#include "hotplug-fixture.h"
#include "hotplug-log.h"
#include "hotplug-names.h"

static GTestDBus *test_bus;

typedef struct
{
  gboolean owned;
  char    *owner;
} NameState;

static void
name_appeared (GDBusConnection *c, const char *name, const char *owner, gpointer user_data)
{
  NameState *ns = user_data;

  ns->owned = TRUE;
  g_free (ns->owner);
  ns->owner = g_strdup (owner);
}

static void
name_vanished (GDBusConnection *c, const char *name, gpointer user_data)
{
  NameState *ns = user_data;

  ns->owned = FALSE;
  g_clear_pointer (&ns->owner, g_free);
}

static GSubprocess *
spawn_daemon (HotplugFixture *fx, gboolean replace)
{
  g_autofree char *exe = g_build_filename (g_getenv ("HOTPLUG_BUILD_DIR"), "src", "daemon", "hotplugd", NULL);
  g_autoptr(GError) error = NULL;
  GSubprocess *proc;

  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, exe, "--sysfs-root", fx->root,
                           replace ? "--replace" : "--verbose", NULL);
  g_assert_no_error (error);
  return proc;
}

static void
wait_flag (gboolean *flag)
{
  while (!*flag)
    g_main_context_iteration (NULL, TRUE);
}

static void
on_wait (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), res, NULL);
  *(gboolean *) user_data = TRUE;
}

static void
test_daemon_binary (void)
{
  g_autoptr(HotplugFixture) fx = NULL;
  g_autoptr(GSubprocess) first = NULL;
  g_autoptr(GSubprocess) second = NULL;
  g_autoptr(GSubprocess) third = NULL;
  g_autoptr(GDBusConnection) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) src = NULL;
  g_autofree char *first_owner = NULL;
  NameState ns = { FALSE, NULL };
  gboolean first_done = FALSE, second_done = FALSE, third_done = FALSE;
  guint watch;

  if (g_getenv ("HOTPLUG_BUILD_DIR") == NULL)
    {
      g_test_skip ("HOTPLUG_BUILD_DIR is not set (run through meson test)");
      return;
    }
  fx = hotplug_fixture_new ();
  fx_small_machine (fx);
  client = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (test_bus),
                                                   G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                   G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                   NULL, NULL, &error);
  g_assert_no_error (error);
  watch = g_bus_watch_name_on_connection (client, HOTPLUG_DBUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                          name_appeared, name_vanished, &ns, NULL);

  first = spawn_daemon (fx, FALSE);
  g_subprocess_wait_async (first, NULL, on_wait, &first_done);
  while (!ns.owned && !first_done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (first_done);
  first_owner = g_strdup (ns.owner);

  reply = g_dbus_connection_call_sync (client, HOTPLUG_DBUS_NAME, HOTPLUG_DBUS_PATH,
                                       "org.freedesktop.DBus.Properties", "Get",
                                       g_variant_new ("(ss)", HOTPLUG_DBUS_IFACE_MANAGER, "EventSource"),
                                       G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &src);
  /* no udevd on a test machine: raw kernel events */
  g_assert_true (g_str_equal (g_variant_get_string (src, NULL), "kernel") ||
                 g_str_equal (g_variant_get_string (src, NULL), "udev"));
  g_clear_pointer (&reply, g_variant_unref);
  reply = g_dbus_connection_call_sync (client, HOTPLUG_DBUS_NAME, HOTPLUG_DBUS_PATH, HOTPLUG_DBUS_IFACE_MANAGER,
                                       "GetUnit", g_variant_new ("(s)", "slot-io-3.a"), G_VARIANT_TYPE ("(o)"),
                                       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  g_assert_no_error (error);

  /* a second instance does not take the name */
  second = spawn_daemon (fx, FALSE);
  g_subprocess_wait_async (second, NULL, on_wait, &second_done);
  wait_flag (&second_done);
  g_assert_true (g_subprocess_get_if_exited (second));
  g_assert_cmpint (g_subprocess_get_exit_status (second), ==, 1);
  g_assert_cmpstr (ns.owner, ==, first_owner);

  /* --replace does, and the replaced one exits with an error */
  third = spawn_daemon (fx, TRUE);
  g_subprocess_wait_async (third, NULL, on_wait, &third_done);
  wait_flag (&first_done);
  g_assert_true (g_subprocess_get_if_exited (first));
  g_assert_cmpint (g_subprocess_get_exit_status (first), ==, 1);
  while (!ns.owned || g_strcmp0 (ns.owner, first_owner) == 0)
    g_main_context_iteration (NULL, TRUE);

  /* SIGTERM: a clean exit */
  g_subprocess_send_signal (third, SIGTERM);
  wait_flag (&third_done);
  g_assert_true (g_subprocess_get_if_exited (third));
  g_assert_cmpint (g_subprocess_get_exit_status (third), ==, 0);

  g_bus_unwatch_name (watch);
  g_free (ns.owner);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  hotplug_log_setup (FALSE);
  g_test_add_func ("/dbus/daemon-binary", test_daemon_binary);
  return hotplug_test_run_on_private_bus (&test_bus);
}
