/* A stand-in for hotplugd's bus front: owns org.hotplugd.Hotplug1 and
 * exports a Manager and one Unit (the generated skeletons) whose handlers
 * go through HotplugAuth, plus org.hotplugd.Hotplug1.Test, which reports
 * what ran (test-auth.py reads it) and has a method the authorization
 * table does not know.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <glib-unix.h>
#include <stdio.h>

#include "hotplug-auth.h"
#include "hotplug-dbus.h"
#include "hotplug-error.h"
#include "hotplug-names.h"

#define TEST_UNIT_PATH HOTPLUG_DBUS_UNIT_PATH "/test"
#define TEST_PATH      HOTPLUG_DBUS_PATH "/test"
#define TEST_IFACE     "org.hotplugd.Hotplug1.Test"

static const char test_xml[] =
  "<node>"
  "  <interface name='" TEST_IFACE "'>"
  "    <method name='Stats'><arg name='stats' type='a{st}' direction='out'/></method>"
  "    <method name='Frobnicate'/>"
  "  </interface>"
  "</node>";

static HotplugAuth *auth;
static GHashTable *stats;      /* name → guint64 count */
static guint64 next_job = 1;
static HotplugDbusManager *manager;
static HotplugDbusUnit *unit;

static void
count (const char *what)
{
  guint64 n = GPOINTER_TO_SIZE (g_hash_table_lookup (stats, what));

  g_hash_table_replace (stats, (gpointer) what, GSIZE_TO_POINTER (n + 1));
}

static gboolean
on_tick (gpointer user_data)
{
  count ("ticks");
  return G_SOURCE_CONTINUE;
}

/* method bodies: run only once authorized */

static void
do_job (GDBusMethodInvocation *invocation,
        gpointer               user_data)
{
  const char *what = user_data;
  g_autofree char *job = g_strdup_printf (HOTPLUG_DBUS_JOB_PATH "/%" G_GUINT64_FORMAT, next_job++);

  count (what);
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", job));
}

static void
do_get_unit (GDBusMethodInvocation *invocation,
             gpointer               user_data)
{
  const char *id = user_data;

  count ("GetUnit");
  if (g_strcmp0 (id, "test") != 0)
    g_dbus_method_invocation_return_error (invocation, HOTPLUG_ERROR, HOTPLUG_ERROR_NO_SUCH_UNIT,
                                           "No unit %s", id);
  else
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", TEST_UNIT_PATH));
}

static void
do_list_devices (GDBusMethodInvocation *invocation,
                 gpointer               user_data)
{
  count ("ListDevices");
  g_dbus_method_invocation_return_value (invocation,
                                         g_variant_new_parsed ("(@a(suss) [('0000:01:00.0', 0, '', '8086:1572 0x020000')],)"));
}

static void
do_frobnicate (GDBusMethodInvocation *invocation,
               gpointer               user_data)
{
  count ("Frobnicate");
  g_dbus_method_invocation_return_value (invocation, NULL);
}

/* handlers: one line each, as in the daemon */

static gboolean
on_handle_add (HotplugDbusUnit *skeleton, GDBusMethodInvocation *invocation, GVariant *options, gpointer user_data)
{
  g_autoptr(GHashTable) details = hotplug_auth_details_new ("unit", "test", "kind", "slot", NULL);

  return hotplug_auth_call (auth, invocation, details, do_job, "Add", NULL);
}

static gboolean
on_handle_remove (HotplugDbusUnit *skeleton, GDBusMethodInvocation *invocation, GVariant *options, gpointer user_data)
{
  /* polkit.message is ours to keep: the test checks it never reaches polkit */
  g_autoptr(GHashTable) details = hotplug_auth_details_new ("unit", "test", "kind", "slot",
                                                            "polkit.message", "pwned", NULL);

  return hotplug_auth_call (auth, invocation, details, do_job, "Remove", NULL);
}

static gboolean
on_handle_replace (HotplugDbusUnit *skeleton, GDBusMethodInvocation *invocation, GVariant *options, gpointer user_data)
{
  return hotplug_auth_call (auth, invocation, NULL, do_job, "Replace", NULL);
}

static gboolean
on_handle_get_unit (HotplugDbusManager *skeleton, GDBusMethodInvocation *invocation, const char *id, gpointer user_data)
{
  return hotplug_auth_call (auth, invocation, NULL, do_get_unit, g_strdup (id), g_free);
}

static gboolean
on_handle_list_devices (HotplugDbusManager *skeleton, GDBusMethodInvocation *invocation, const char *id, gpointer user_data)
{
  return hotplug_auth_call (auth, invocation, NULL, do_list_devices, NULL, NULL);
}

static void
test_method_call (GDBusConnection       *connection,
                  const char            *sender,
                  const char            *object_path,
                  const char            *interface_name,
                  const char            *method_name,
                  GVariant              *parameters,
                  GDBusMethodInvocation *invocation,
                  gpointer               user_data)
{
  if (g_strcmp0 (method_name, "Frobnicate") == 0)
    {
      hotplug_auth_call (auth, invocation, NULL, do_frobnicate, NULL, NULL);
    }
  else
    {
      /* the driver's own window into the server: not a hotplugd method */
      GVariantBuilder b;
      GHashTableIter iter;
      gpointer k, v;

      g_variant_builder_init (&b, G_VARIANT_TYPE ("a{st}"));
      g_hash_table_iter_init (&iter, stats);
      while (g_hash_table_iter_next (&iter, &k, &v))
        g_variant_builder_add (&b, "{st}", (const char *) k, (guint64) GPOINTER_TO_SIZE (v));
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(a{st})", &b));
    }
}

static const GDBusInterfaceVTable test_vtable = { test_method_call, NULL, NULL, { 0 } };

static void
on_bus_acquired (GDBusConnection *connection,
                 const char      *name,
                 gpointer         user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusNodeInfo) info = NULL;

  manager = hotplug_dbus_manager_skeleton_new ();
  unit = hotplug_dbus_unit_skeleton_new ();
  hotplug_dbus_manager_set_version (manager, PACKAGE_VERSION);
  g_signal_connect (manager, "handle-get-unit", G_CALLBACK (on_handle_get_unit), NULL);
  g_signal_connect (manager, "handle-list-devices", G_CALLBACK (on_handle_list_devices), NULL);
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (manager), connection,
                                         HOTPLUG_DBUS_PATH, &error))
    g_error ("export manager: %s", error->message);

  hotplug_dbus_unit_set_id (unit, "test");
  hotplug_dbus_unit_set_kind (unit, "slot");
  hotplug_dbus_unit_set_state (unit, "online");
  g_signal_connect (unit, "handle-add", G_CALLBACK (on_handle_add), NULL);
  g_signal_connect (unit, "handle-remove", G_CALLBACK (on_handle_remove), NULL);
  g_signal_connect (unit, "handle-replace", G_CALLBACK (on_handle_replace), NULL);
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (unit), connection,
                                         TEST_UNIT_PATH, &error))
    g_error ("export unit: %s", error->message);

  info = g_dbus_node_info_new_for_xml (test_xml, &error);
  g_assert_no_error (error);
  if (!g_dbus_connection_register_object (connection, TEST_PATH, info->interfaces[0],
                                          &test_vtable, NULL, NULL, &error))
    g_error ("export test: %s", error->message);
}

static void
on_name_acquired (GDBusConnection *connection, const char *name, gpointer user_data)
{
  printf ("READY\n");
  fflush (stdout);
}

static void
on_name_lost (GDBusConnection *connection, const char *name, gpointer user_data)
{
  g_printerr ("auth-test-server: could not own %s\n", name);
  g_main_loop_quit (user_data);
}

static gboolean
on_sigterm (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GOptionContext) context = g_option_context_new ("- authorization test server");
  g_autoptr(GError) error = NULL;
  int timeout_ms = -1;
  GOptionEntry entries[] = {
    { "timeout-ms", 0, 0, G_OPTION_ARG_INT, &timeout_ms, "polkit answer timeout", "MS" },
    { NULL, 0, 0, 0, NULL, NULL, NULL }
  };
  guint owner;

  /* stdout carries READY only; the log (debug and info included) goes to
   * stderr, which the driver keeps */
  g_log_writer_default_set_use_stderr (TRUE);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  auth = hotplug_auth_new ();
  if (timeout_ms >= 0)
    hotplug_auth_set_timeout (auth, (guint) timeout_ms);
  stats = g_hash_table_new (g_str_hash, g_str_equal);
  g_timeout_add (10, on_tick, NULL);
  g_unix_signal_add (SIGTERM, on_sigterm, loop);

  owner = g_bus_own_name (G_BUS_TYPE_SYSTEM, HOTPLUG_DBUS_NAME, G_BUS_NAME_OWNER_FLAGS_NONE,
                          on_bus_acquired, on_name_acquired, on_name_lost, loop, NULL);
  g_main_loop_run (loop);
  g_bus_unown_name (owner);
  g_clear_object (&manager);
  g_clear_object (&unit);
  g_clear_object (&auth);
  g_hash_table_unref (stats);
  return 0;
}
