/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hook runner with hooks as transient units (run-as-units=yes), against
 * a stand-in for systemd's manager on a private bus: it starts the unit's
 * ExecStart with the unit's environment and output descriptor, signals
 * the process group on KillUnit and tells the end the way systemd does
 * (the Service interface's ExecMainCode/ExecMainStatus, then the Unit's
 * ActiveState).  What systemd itself does with the unit is tested in the
 * container (tests/container). */
#include "config.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>

#include "hotplug-config.h"
#include "hotplug-hooks.h"
#include "hotplug-hooks-private.h"

static const char manager_xml[] =
  "<node><interface name='org.freedesktop.systemd1.Manager'>"
  "<method name='Subscribe'/>"
  "<method name='StartTransientUnit'><arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "<arg type='a(sv)' direction='in'/><arg type='a(sa(sv))' direction='in'/>"
  "<arg type='o' direction='out'/></method>"
  "<method name='KillUnit'><arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "<arg type='i' direction='in'/></method>"
  "</interface></node>";

/* The stand-in, on one private bus for the whole program. */
static struct {
  GTestDBus       *bus;
  GDBusConnection *conn;
  guint            reg;
  GHashTable      *units;      /* name → pid */
} mock;

typedef struct {
  GPtrArray       *started;    /* names, in order */
  char            *last_env;   /* Environment of the last unit, joined by \n */
  gboolean         refuse;     /* StartTransientUnit fails */
  const char      *taken;      /* a unit of this name exists */
  char            *tmp;
  char            *admin;
  HotplugConfig   *config;
  HotplugHookRunner *runner;
  HotplugHookResult *result;
} Fixture;

/* the test now running */
static Fixture *current;

static void
emit_end (const char *name, int code, int status)
{
  g_autofree char *path = hotplug_hook_unit_path (name);

  g_dbus_connection_emit_signal (mock.conn, NULL, path, "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                 g_variant_new_parsed ("('org.freedesktop.systemd1.Service', "
                                                       "{'ExecMainCode': <%i>, 'ExecMainStatus': <%i>}, @as [])",
                                                       code, status), NULL);
  g_dbus_connection_emit_signal (mock.conn, NULL, path, "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                 g_variant_new_parsed ("('org.freedesktop.systemd1.Unit', "
                                                       "{'ActiveState': <%s>}, @as [])",
                                                       code == 1 && status == 0 ? "inactive" : "failed"), NULL);
}

static void
on_unit_exit (GPid pid, int wait_status, gpointer user_data)
{
  char *name = user_data;

  /* the cgroup: whatever the hook left goes with it */
  kill (-pid, SIGKILL);
  g_hash_table_remove (mock.units, name);
  if (WIFEXITED (wait_status))
    emit_end (name, 1, WEXITSTATUS (wait_status));
  else
    emit_end (name, 2, WTERMSIG (wait_status));
  g_spawn_close_pid (pid);
  g_free (name);
}

static void
new_group (gpointer data)
{
  setpgid (0, 0);
}

static void
start_unit (Fixture *f, GDBusMethodInvocation *inv, GVariant *params)
{
  GUnixFDList *fds = g_dbus_message_get_unix_fd_list (g_dbus_method_invocation_get_message (inv));
  g_autoptr(GVariant) props = NULL;
  g_autofree char *path = NULL;
  g_auto(GStrv) argv = NULL, env = NULL;
  const char *name, *key, *exec = NULL;
  GVariantIter iter;
  GVariant *value;
  gint32 handle = -1;
  int out;
  GPid pid;

  g_variant_get (params, "(&s&s@a(sv)@a(sa(sv)))", &name, NULL, &props, NULL);
  g_variant_iter_init (&iter, props);
  while (g_variant_iter_next (&iter, "(&sv)", &key, &value))
    {
      if (g_str_equal (key, "ExecStart"))
        g_variant_get_child (value, 0, "(&s^asb)", &exec, &argv, NULL);
      else if (g_str_equal (key, "Environment"))
        env = g_variant_dup_strv (value, NULL);
      else if (g_str_equal (key, "StandardOutputFileDescriptor"))
        handle = g_variant_get_handle (value);
      g_variant_unref (value);
    }
  g_assert_nonnull (exec);
  g_assert_cmpint (handle, ==, 0);
  g_assert_nonnull (fds);
  if (f->refuse)
    {
      g_dbus_method_invocation_return_dbus_error (inv, "org.freedesktop.DBus.Error.AccessDenied", "refused");
      return;
    }
  if (g_strcmp0 (name, f->taken) == 0)
    {
      g_dbus_method_invocation_return_dbus_error (inv, "org.freedesktop.systemd1.UnitExists", name);
      return;
    }
  out = g_unix_fd_list_get (fds, handle, NULL);
  g_free (f->last_env);
  f->last_env = g_strjoinv ("\n", env);
  g_assert_true (g_spawn_async_with_fds (NULL, argv, env, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
                                         new_group, NULL, &pid, -1, out, out, NULL));
  close (out);
  g_hash_table_insert (mock.units, g_strdup (name), GINT_TO_POINTER (pid));
  g_ptr_array_add (f->started, g_strdup (name));
  g_child_watch_add (pid, on_unit_exit, g_strdup (name));
  path = hotplug_hook_unit_path (name);
  g_dbus_method_invocation_return_value (inv, g_variant_new ("(o)", path));
}

static void
on_method (GDBusConnection *conn, const char *sender, const char *path, const char *iface,
           const char *method, GVariant *params, GDBusMethodInvocation *inv, gpointer user_data)
{
  Fixture *f = current;

  if (g_str_equal (method, "StartTransientUnit"))
    start_unit (f, inv, params);
  else if (g_str_equal (method, "KillUnit"))
    {
      const char *name, *whom;
      gint32 sig;
      gpointer pid;

      g_variant_get (params, "(&s&si)", &name, &whom, &sig);
      g_assert_cmpstr (whom, ==, "all");
      if (!g_hash_table_lookup_extended (mock.units, name, NULL, &pid))
        {
          g_dbus_method_invocation_return_dbus_error (inv, "org.freedesktop.systemd1.NoSuchUnit", name);
          return;
        }
      kill (-GPOINTER_TO_INT (pid), sig);
      g_dbus_method_invocation_return_value (inv, NULL);
    }
  else
    g_dbus_method_invocation_return_value (inv, NULL);
}

static void
mock_up (void)
{
  static const GDBusInterfaceVTable vtable = { on_method, NULL, NULL, { 0 } };
  g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (manager_xml, NULL);
  g_autoptr(GError) error = NULL;

  mock.bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (mock.bus);
  g_setenv ("DBUS_SYSTEM_BUS_ADDRESS", g_test_dbus_get_bus_address (mock.bus), TRUE);
  mock.conn = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (mock.bus),
                                                      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                      G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                      NULL, NULL, &error);
  g_assert_no_error (error);
  mock.reg = g_dbus_connection_register_object (mock.conn, "/org/freedesktop/systemd1", info->interfaces[0],
                                                &vtable, NULL, NULL, &error);
  g_assert_no_error (error);
  g_bus_own_name_on_connection (mock.conn, "org.freedesktop.systemd1", G_BUS_NAME_OWNER_FLAGS_NONE,
                                NULL, NULL, NULL, NULL);
  mock.units = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static void
mock_down (void)
{
  GDBusConnection *system = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, NULL);

  /* the runners' connection first: the bus going away must not end us */
  if (system)
    {
      g_dbus_connection_set_exit_on_close (system, FALSE);
      g_dbus_connection_close_sync (system, NULL, NULL);
      g_object_unref (system);
    }
  g_dbus_connection_unregister_object (mock.conn, mock.reg);
  g_dbus_connection_close_sync (mock.conn, NULL, NULL);
  g_clear_object (&mock.conn);
  g_hash_table_unref (mock.units);
  g_test_dbus_down (mock.bus);
  g_clear_object (&mock.bus);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  current = f;
  f->started = g_ptr_array_new_with_free_func (g_free);
  f->tmp = g_dir_make_tmp ("hotplug-units-XXXXXX", &error);
  g_assert_no_error (error);
  g_chmod (f->tmp, 0755);
  f->admin = g_build_filename (f->tmp, "admin", NULL);
  f->config = hotplug_config_new ();
  hotplug_config_set_hook_units (f->config, HOTPLUG_HOOK_UNITS_YES);
  f->runner = hotplug_hook_runner_new (f->config, f->tmp, f->admin);
}

static void
rm_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      rm_tree (child);
    }
  if (dir)
    g_rmdir (path);
  else
    g_unlink (path);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->runner);
  g_clear_pointer (&f->config, hotplug_config_unref);
  g_clear_pointer (&f->result, hotplug_hook_result_free);
  rm_tree (f->tmp);
  g_free (f->tmp);
  g_free (f->admin);
  g_free (f->last_env);
  g_ptr_array_unref (f->started);
  current = NULL;
}

static void
add_hook (Fixture *f, const char *event, const char *name, const char *body)
{
  g_autofree char *dir = g_build_filename (f->admin, "any", event, NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = g_strdup_printf ("#!/bin/sh\n%s\n", body);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  g_chmod (path, 0755);
}

static void
on_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr(GError) error = NULL;

  f->result = hotplug_hook_runner_run_finish (HOTPLUG_HOOK_RUNNER (source), res, &error);
  g_assert_no_error (error);
}

static void
run (Fixture *f, const char *event, const char *kind)
{
  g_autoptr(HotplugHookRequest) req = hotplug_hook_request_new (event, kind, "cpu1");

  req->job = g_strdup ("7");
  g_clear_pointer (&f->result, hotplug_hook_result_free);
  hotplug_hook_runner_run_async (f->runner, req, NULL, NULL, NULL, NULL, on_done, f);
  while (f->result == NULL)
    g_main_context_iteration (NULL, TRUE);
}

static HotplugHookRecord *
record (Fixture *f, guint i)
{
  g_assert_cmpuint (f->result->records->len, >, i);
  return g_ptr_array_index (f->result->records, i);
}

static void
test_names (void)
{
  g_autofree char *a = hotplug_hook_unit_name ("12", "50-stop-services", 3);
  g_autofree char *b = hotplug_hook_unit_name (NULL, "10-a b/é", 1);
  g_autofree char *p = hotplug_hook_unit_path ("hotplugd-hook-1-2-50-x.service");
  g_autofree char *longname = g_strnfill (255, '%');
  g_autofree char *c = hotplug_hook_unit_name ("1", longname, 9);

  g_assert_cmpstr (a, ==, "hotplugd-hook-12-3-50-stop-services.service");
  g_assert_cmpstr (b, ==, "hotplugd-hook-0-1-10-a\\x20b\\x2f\\xc3\\xa9.service");
  g_assert_cmpstr (p, ==, "/org/freedesktop/systemd1/unit/hotplugd_2dhook_2d1_2d2_2d50_2dx_2eservice");
  g_assert_cmpuint (strlen (c), <=, 255);
  g_assert_true (g_str_has_suffix (c, "%\\x25.service") || g_str_has_suffix (c, "\\x25.service"));
}

static void
test_ok_and_output (Fixture *f, gconstpointer data)
{
  add_hook (f, "pre-remove", "10-first", "echo hello; echo to-stderr >&2; exit 0");
  add_hook (f, "pre-remove", "20-second", "echo \"reason=busy $HOTPLUG_UNIT $1 $2\"; exit 3");
  run (f, "pre-remove", "cpu");
  g_assert_cmpint (f->result->outcome, ==, HOTPLUG_HOOK_OUTCOME_VETOED);
  g_assert_cmpstr (f->result->reason, ==, "busy cpu1 pre-remove cpu1");
  g_assert_cmpstr (f->result->hook, ==, "20-second");
  g_assert_cmpint (record (f, 0)->exit_status, ==, 0);
  g_assert_cmpstr (record (f, 0)->output, ==, "hello\nto-stderr\n");
  g_assert_cmpstr (record (f, 0)->unit, ==, "hotplugd-hook-7-1-10-first.service");
  g_assert_cmpint (record (f, 0)->pid, ==, 0);
  g_assert_cmpint (record (f, 1)->exit_status, ==, 3);
  g_assert_cmpuint (f->started->len, ==, 2);
  /* the environment is the one the runner builds */
  g_assert_nonnull (strstr (f->last_env, "HOTPLUG_EVENT=pre-remove\n"));
  g_assert_nonnull (strstr (f->last_env, "HOTPLUG_JOB=7\n"));
  g_assert_true (g_str_has_prefix (f->last_env, "PATH="));
}

static void
test_retry (Fixture *f, gconstpointer data)
{
  add_hook (f, "pre-switchover", "10-later", "exit 75");
  run (f, "pre-switchover", "domain");
  g_assert_cmpint (f->result->outcome, ==, HOTPLUG_HOOK_OUTCOME_RETRY);
  g_assert_cmpint (record (f, 0)->exit_status, ==, 75);
}

static void
test_timeout_kills_unit (Fixture *f, gconstpointer data)
{
  g_autofree char *mark = g_build_filename (f->tmp, "child", NULL);
  g_autofree char *body = g_strdup_printf ("trap '' TERM; (trap '' TERM; sleep 30; touch %s) & sleep 30", mark);
  gint64 start = g_get_monotonic_time ();

  hotplug_config_set_hook_timeout (f->config, NULL, 0.3);
  hotplug_config_set_kill_grace (f->config, 0.2);
  add_hook (f, "post-add", "10-hang", body);
  run (f, "post-add", "cpu");
  g_assert_cmpint (f->result->outcome, ==, HOTPLUG_HOOK_OUTCOME_FAILED);
  g_assert_true (record (f, 0)->timed_out);
  g_assert_cmpint (record (f, 0)->term_signal, ==, SIGKILL);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  g_assert_cmpuint (g_hash_table_size (mock.units), ==, 0);
  g_assert_false (g_file_test (mark, G_FILE_TEST_EXISTS));
}

static void
test_start_refused (Fixture *f, gconstpointer data)
{
  f->refuse = TRUE;
  add_hook (f, "pre-add", "10-never", "exit 0");
  run (f, "pre-add", "cpu");
  g_assert_cmpint (f->result->outcome, ==, HOTPLUG_HOOK_OUTCOME_VETOED);
  g_assert_true (record (f, 0)->spawn_failed);
  g_assert_nonnull (strstr (f->result->reason, "cannot start unit hotplugd-hook-7-1-10-never.service"));
}

static void
test_name_taken (Fixture *f, gconstpointer data)
{
  /* left by a daemon that ran before: the next name is taken */
  f->taken = "hotplugd-hook-7-1-10-first.service";
  add_hook (f, "pre-add", "10-first", "exit 0");
  run (f, "pre-add", "cpu");
  g_assert_cmpint (f->result->outcome, ==, HOTPLUG_HOOK_OUTCOME_OK);
  g_assert_cmpstr (record (f, 0)->unit, ==, "hotplugd-hook-7-2-10-first.service");
}

static void
test_no_systemd (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("hotplug-units-XXXXXX", NULL);
  g_autoptr(HotplugConfig) config = hotplug_config_new ();
  g_autoptr(HotplugConfig) bad = NULL;
  g_autoptr(GError) error = NULL;

  /* the switch and its words */
  g_assert_cmpint (hotplug_config_get_hook_units (config), ==, HOTPLUG_HOOK_UNITS_AUTO);
  bad = hotplug_config_load_data ("[hooks]\nrun-as-units=maybe\n", "t.conf", &error);
  g_assert_null (bad);
  g_assert_nonnull (strstr (error->message, "t.conf:2: [hooks] run-as-units: expected auto, yes or no"));
  g_clear_error (&error);
  bad = hotplug_config_load_data ("[hooks]\nrun-as-units=no\n", "t.conf", &error);
  g_assert_no_error (error);
  g_assert_cmpint (hotplug_config_get_hook_units (bad), ==, HOTPLUG_HOOK_UNITS_NO);
  g_rmdir (tmp);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  g_test_add_func ("/hook-units/names", test_names);
  g_test_add_func ("/hook-units/config", test_no_systemd);
  if (geteuid () != 0)
    {
      g_printerr ("hooks must be owned by root: the unit runs are skipped\n");
      return g_test_run ();
    }
  mock_up ();
  ADD ("/hook-units/ok-and-output", test_ok_and_output);
  ADD ("/hook-units/retry", test_retry);
  ADD ("/hook-units/timeout-kills-unit", test_timeout_kills_unit);
  ADD ("/hook-units/start-refused", test_start_refused);
  ADD ("/hook-units/name-taken", test_name_taken);
  status = g_test_run ();
  mock_down ();
  return status;
}
