/* The authorization table, and HotplugAuth on a test bus without polkit.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include "hotplug-auth.h"
#include "hotplug-dbus.h"
#include "hotplug-error.h"
#include "hotplug-names.h"

/* Every method of the published interface must have been decided on: a
 * method added to the XML without a table entry fails here rather than
 * being refused at run time. */
static void
test_table_covers_interface (void)
{
  GDBusInterfaceInfo *infos[] = {
    hotplug_dbus_manager_interface_info (),
    hotplug_dbus_unit_interface_info (),
    hotplug_dbus_job_interface_info (),
    hotplug_dbus_domain_interface_info (),
  };

  for (guint i = 0; i < G_N_ELEMENTS (infos); i++)
    for (guint m = 0; infos[i]->methods && infos[i]->methods[m]; m++)
      {
        const char *method = infos[i]->methods[m]->name;

        if (!hotplug_auth_lookup (infos[i]->name, method, NULL))
          g_error ("%s.%s is not in the authorization table", infos[i]->name, method);
      }
}

static void
test_table_actions (void)
{
  struct { const char *iface, *method, *action; } mapped[] = {
    { HOTPLUG_DBUS_IFACE_UNIT, "Add", HOTPLUG_ACTION_ADD },
    { HOTPLUG_DBUS_IFACE_UNIT, "Remove", HOTPLUG_ACTION_REMOVE },
    { HOTPLUG_DBUS_IFACE_UNIT, "Replace", HOTPLUG_ACTION_REPLACE },
    { HOTPLUG_DBUS_IFACE_JOB, "Cancel", HOTPLUG_ACTION_CANCEL },
    { HOTPLUG_DBUS_IFACE_DOMAIN, "PrepareForSwitchover", HOTPLUG_ACTION_SWITCHOVER },
    { HOTPLUG_DBUS_IFACE_DOMAIN, "CancelSwitchover", HOTPLUG_ACTION_SWITCHOVER },
    { HOTPLUG_DBUS_IFACE_DOMAIN, "Connect", HOTPLUG_ACTION_CONNECT },
    { HOTPLUG_DBUS_IFACE_MANAGER, "Reload", HOTPLUG_ACTION_RELOAD },
    /* read-only: no action */
    { HOTPLUG_DBUS_IFACE_MANAGER, "GetUnit", NULL },
    { HOTPLUG_DBUS_IFACE_MANAGER, "GetDomain", NULL },
    { HOTPLUG_DBUS_IFACE_MANAGER, "ListDevices", NULL },
    { "org.freedesktop.DBus.Properties", "Get", NULL },
    { "org.freedesktop.DBus.Properties", "GetAll", NULL },
    { "org.freedesktop.DBus.Introspectable", "Introspect", NULL },
    { "org.freedesktop.DBus.Peer", "Ping", NULL },
    { "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", NULL },
  };
  struct { const char *iface, *method; } refused[] = {
    { "org.freedesktop.DBus.Properties", "Set" },
    { HOTPLUG_DBUS_IFACE_UNIT, "Frobnicate" },
    { HOTPLUG_DBUS_IFACE_UNIT, "add" },            /* case matters */
    { HOTPLUG_DBUS_IFACE_MANAGER, "Add" },         /* right method, wrong interface */
    { "org.hotplugd.Hotplug1.Test", "Frobnicate" },
    { NULL, "GetUnit" },
    { HOTPLUG_DBUS_IFACE_MANAGER, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (mapped); i++)
    {
      const char *action = "unset";

      g_assert_true (hotplug_auth_lookup (mapped[i].iface, mapped[i].method, &action));
      g_assert_cmpstr (action, ==, mapped[i].action);
    }
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      const char *action = "unset";

      g_assert_false (hotplug_auth_lookup (refused[i].iface, refused[i].method, &action));
      g_assert_null (action);
    }
}

static void
test_details_new (void)
{
  g_autoptr(GHashTable) d = hotplug_auth_details_new ("unit", "sb0", "kind", NULL, "operation", "add", NULL);
  g_autoptr(GHashTable) empty = hotplug_auth_details_new (NULL, NULL);

  g_assert_cmpuint (g_hash_table_size (d), ==, 2);
  g_assert_cmpstr (g_hash_table_lookup (d, "unit"), ==, "sb0");
  g_assert_cmpstr (g_hash_table_lookup (d, "operation"), ==, "add");
  g_assert_false (g_hash_table_contains (d, "kind"));
  g_assert_cmpuint (g_hash_table_size (empty), ==, 0);
}

/* In-process, on a GTestDBus with no polkit on it: a server connection
 * exports a Unit whose handlers check through HotplugAuth; a client
 * connection calls it. */
#define TEST_UNIT_PATH_FOR_FIXTURE HOTPLUG_DBUS_UNIT_PATH "/test"

/* One bus for the whole program: libpolkit keeps its authority on the
 * process-wide system bus connection. */
static GTestDBus *test_bus;

typedef struct
{
  GDBusConnection *server;
  GDBusConnection *client;
  HotplugAuth     *auth;
  HotplugDbusUnit *unit;
  guint            ran;
  GCancellable    *cancel_next;   /* handed to the next check */
  GError          *check_error;
} Fixture;

static void
do_add (GDBusMethodInvocation *invocation,
        gpointer               user_data)
{
  Fixture *f = user_data;

  f->ran++;
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", "/"));
}

static gboolean
on_handle_add (HotplugDbusUnit       *unit,
               GDBusMethodInvocation *invocation,
               GVariant              *options,
               Fixture               *f)
{
  return hotplug_auth_call (f->auth, invocation, NULL, do_add, f, NULL);
}

static void
on_checked (GObject      *source,
            GAsyncResult *res,
            gpointer      user_data)
{
  GDBusMethodInvocation *invocation = user_data;
  Fixture *f = g_object_get_data (G_OBJECT (invocation), "fixture");
  GError *error = NULL;

  g_assert_false (hotplug_auth_check_finish (HOTPLUG_AUTH (source), res, &error));
  g_assert_nonnull (error);
  f->check_error = g_error_copy (error);
  g_dbus_method_invocation_take_error (invocation, error);
}

/* Remove goes through check_async with the fixture's cancellable */
static gboolean
on_handle_remove (HotplugDbusUnit       *unit,
                  GDBusMethodInvocation *invocation,
                  GVariant              *options,
                  Fixture               *f)
{
  g_object_set_data (G_OBJECT (invocation), "fixture", f);
  hotplug_auth_check_async (f->auth, invocation, NULL, f->cancel_next, on_checked, invocation);
  if (f->cancel_next)
    g_cancellable_cancel (f->cancel_next);
  return TRUE;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;

  address = g_strdup (g_test_dbus_get_bus_address (test_bus));

  f->server = g_dbus_connection_new_for_address_sync (address,
                                                      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                      G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                      NULL, NULL, &error);
  g_assert_no_error (error);
  f->client = g_dbus_connection_new_for_address_sync (address,
                                                      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                      G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                      NULL, NULL, &error);
  g_assert_no_error (error);

  f->auth = hotplug_auth_new ();
  f->unit = hotplug_dbus_unit_skeleton_new ();
  g_signal_connect (f->unit, "handle-add", G_CALLBACK (on_handle_add), f);
  g_signal_connect (f->unit, "handle-remove", G_CALLBACK (on_handle_remove), f);
  g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (f->unit), f->server,
                                    TEST_UNIT_PATH_FOR_FIXTURE, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (f->unit));
  g_clear_object (&f->unit);
  /* the authority request (if any) holds a reference until it ends */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&f->auth);
  g_clear_object (&f->cancel_next);
  g_clear_error (&f->check_error);
  g_dbus_connection_close_sync (f->server, NULL, NULL);
  g_dbus_connection_close_sync (f->client, NULL, NULL);
  g_clear_object (&f->server);
  g_clear_object (&f->client);
}

typedef struct
{
  Fixture    *f;
  const char *method;
  GVariant   *reply;
  GError     *error;
  gboolean    done;
} CallData;

static void
on_reply (GObject *source, GAsyncResult *res, gpointer user_data)
{
  CallData *cd = user_data;

  cd->reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), res, &cd->error);
  cd->done = TRUE;
}

static void
call_async_and_wait (Fixture *f, const char *method, CallData *cd, gint64 *elapsed_us)
{
  const char *name = g_dbus_connection_get_unique_name (f->server);
  gint64 start = g_get_monotonic_time ();

  cd->f = f;
  cd->method = method;
  g_dbus_connection_call (f->client, name, TEST_UNIT_PATH_FOR_FIXTURE,
                          HOTPLUG_DBUS_IFACE_UNIT, method,
                          g_variant_new_parsed ("(@a{sv} {},)"), NULL,
                          G_DBUS_CALL_FLAGS_NONE, 20000, NULL, on_reply, cd);
  while (!cd->done)
    g_main_context_iteration (NULL, TRUE);
  *elapsed_us = g_get_monotonic_time () - start;
}

static void
test_no_polkit (Fixture *f, gconstpointer data)
{
  CallData cd = { 0 };
  gint64 us;

  call_async_and_wait (f, "Add", &cd, &us);
  g_assert_null (cd.reply);
  g_assert_error (cd.error, HOTPLUG_ERROR, HOTPLUG_ERROR_NOT_AUTHORIZED);
  g_assert_nonnull (strstr (cd.error->message, "polkit is not available"));
  g_assert_nonnull (strstr (cd.error->message, HOTPLUG_ACTION_ADD));
  g_assert_cmpuint (f->ran, ==, 0);
  g_assert_cmpint (us, <, 5 * G_USEC_PER_SEC);
  g_clear_error (&cd.error);

  /* and again, now that the authority exists but has no owner */
  memset (&cd, 0, sizeof cd);
  call_async_and_wait (f, "Add", &cd, &us);
  g_assert_error (cd.error, HOTPLUG_ERROR, HOTPLUG_ERROR_NOT_AUTHORIZED);
  g_assert_nonnull (strstr (cd.error->message, "polkit is not available"));
  g_assert_cmpuint (f->ran, ==, 0);
  g_clear_error (&cd.error);
}

static void
test_cancelled (Fixture *f, gconstpointer data)
{
  CallData cd = { 0 };
  gint64 us;

  /* cancelled while waiting for the authority, and once it is there */
  for (guint i = 0; i < 2; i++)
    {
      memset (&cd, 0, sizeof cd);
      g_clear_object (&f->cancel_next);
      g_clear_error (&f->check_error);
      f->cancel_next = g_cancellable_new ();
      call_async_and_wait (f, "Remove", &cd, &us);
      g_assert_error (f->check_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_assert_nonnull (cd.error);
      g_clear_error (&cd.error);
      g_assert_cmpuint (f->ran, ==, 0);
    }
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/auth/table/covers-interface", test_table_covers_interface);
  g_test_add_func ("/auth/table/actions", test_table_actions);
  g_test_add_func ("/auth/details", test_details_new);
  g_test_add ("/auth/bus/no-polkit", Fixture, NULL, fixture_setup, test_no_polkit, fixture_teardown);
  g_test_add ("/auth/bus/cancelled", Fixture, NULL, fixture_setup, test_cancelled, fixture_teardown);

  test_bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (test_bus);
  /* libpolkit asks for the system bus: make it this one, with no polkit */
  g_setenv ("DBUS_SYSTEM_BUS_ADDRESS", g_test_dbus_get_bus_address (test_bus), TRUE);
  ret = g_test_run ();
  g_test_dbus_down (test_bus);
  g_clear_object (&test_bus);
  return ret;
}
