/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "hotplug-error.h"
#include "hotplug-fixture.h"
#include "hotplug-log.h"
#include "hotplug-manager.h"
#include "hotplug-names.h"
#include "hotplug-util.h"

static GTestDBus *test_bus;

typedef struct
{
  char     *sender;
  char     *path;
  char     *iface;
  char     *member;
  GVariant *params;
} Signal;

typedef struct
{
  HotplugFixture  *fx;
  HotplugUdev     *udev;
  HotplugPlatform *platform;
  HotplugManager  *manager;
  GDBusConnection *client;
  guint            sub_id;
  GPtrArray       *signals;       /* Signal */
  guint            signals_before_owner; /* from us, before NameOwnerChanged */
  gboolean         owner_seen;
  gboolean         acquired;
  guint            units_at_acquire;
} Test;

static void
signal_free (Signal *s)
{
  g_free (s->sender);
  g_free (s->path);
  g_free (s->iface);
  g_free (s->member);
  g_variant_unref (s->params);
  g_free (s);
}

static void
on_signal (GDBusConnection *conn, const char *sender, const char *path, const char *iface,
           const char *member, GVariant *params, gpointer user_data)
{
  Test *t = user_data;
  Signal *s;

  if (g_strcmp0 (sender, "org.freedesktop.DBus") == 0)
    {
      const char *name = NULL, *new_owner = NULL;

      if (!g_str_equal (member, "NameOwnerChanged"))
        return;
      g_variant_get (params, "(&s&s&s)", &name, NULL, &new_owner);
      if (!g_str_equal (name, HOTPLUG_DBUS_NAME) || !*new_owner)
        return;
      t->owner_seen = TRUE;
    }
  else if (!t->owner_seen)
    t->signals_before_owner++;

  s = g_new0 (Signal, 1);
  s->sender = g_strdup (sender);
  s->path = g_strdup (path);
  s->iface = g_strdup (iface);
  s->member = g_strdup (member);
  s->params = g_variant_ref (params);
  g_ptr_array_add (t->signals, s);
}

static void
on_acquired (HotplugManager *m, Test *t)
{
  g_autoptr(GPtrArray) units = hotplug_platform_get_units (t->platform);

  /* the whole platform is known before the name is ours */
  t->units_at_acquire = units->len;
  t->acquired = TRUE;
}

/* let every queued message reach its receiver: the bus is another
 * process, so give it a moment while the main loop runs */
static gboolean
settle_done (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
settle (void)
{
  gboolean done = FALSE;

  g_timeout_add (150, settle_done, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static void
setup (Test *t, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  t->signals = g_ptr_array_new_with_free_func ((GDestroyNotify) signal_free);
  t->fx = hotplug_fixture_new ();
  fx_small_machine (t->fx);
  t->client = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (test_bus),
                                                      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                      G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                      NULL, NULL, &error);
  g_assert_no_error (error);
  /* everything, from anyone: a signal sent too early must be seen */
  t->sub_id = g_dbus_connection_signal_subscribe (t->client, NULL, NULL, NULL, NULL, NULL,
                                                  G_DBUS_SIGNAL_FLAGS_NONE, on_signal, t, NULL);
  t->udev = hotplug_udev_new_without_monitor ();
  t->platform = hotplug_platform_new ();
  t->manager = hotplug_manager_new (t->platform, t->udev);
  /* the model's signals only: no board added by the platform's own jobs
   * (test-jobs covers those) */
  hotplug_config_set_auto_add (hotplug_jobs_get_config (hotplug_manager_get_jobs (t->manager)), FALSE);
  g_signal_connect (t->manager, "name-acquired", G_CALLBACK (on_acquired), t);
  g_assert_true (hotplug_manager_start (t->manager, NULL, FALSE, &error));
  g_assert_no_error (error);
  while (!t->acquired || !t->owner_seen)
    g_main_context_iteration (NULL, TRUE);
}

static void
teardown (Test *t, gconstpointer data)
{
  g_clear_object (&t->manager);
  g_clear_object (&t->platform);
  g_clear_object (&t->udev);
  settle ();
  g_dbus_connection_signal_unsubscribe (t->client, t->sub_id);
  g_dbus_connection_close_sync (t->client, NULL, NULL);
  g_clear_object (&t->client);
  hotplug_fixture_free (t->fx);
  g_ptr_array_unref (t->signals);
}

static void
call_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (res);
}

/* async + main loop: the daemon runs in this very main context */
static GVariant *
call (Test *t, const char *path, const char *iface, const char *method, GVariant *params, GError **error)
{
  g_autoptr(GAsyncResult) res = NULL;

  g_dbus_connection_call (t->client, HOTPLUG_DBUS_NAME, path, iface, method, params, NULL,
                          G_DBUS_CALL_FLAGS_NONE, 5000, NULL, call_done, &res);
  while (res == NULL)
    g_main_context_iteration (NULL, TRUE);
  return g_dbus_connection_call_finish (t->client, res, error);
}

static guint
count_signals (Test *t, const char *member, const char *path)
{
  guint n = 0;

  for (guint i = 0; i < t->signals->len; i++)
    {
      Signal *s = g_ptr_array_index (t->signals, i);
      if (g_str_equal (s->member, member) && (path == NULL || g_str_equal (s->path, path)))
        n++;
    }
  return n;
}

/* Iterates until a signal arrives (slow machines, valgrind), then settles
 * so that any that would follow it are in too. */
static void
wait_signal (Test *t, const char *member, const char *path)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (count_signals (t, member, path) == 0 && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  settle ();
}

static Signal *
find_signal (Test *t, const char *member, const char *path)
{
  for (guint i = 0; i < t->signals->len; i++)
    {
      Signal *s = g_ptr_array_index (t->signals, i);
      if (g_str_equal (s->member, member) && (path == NULL || g_str_equal (s->path, path)))
        return s;
    }
  return NULL;
}

static void
inject (Test *t, const char *action, const char *subsystem, const char *devpath)
{
  g_autoptr(HotplugEvent) ev = hotplug_event_new (action, subsystem, devpath);

  hotplug_udev_inject (t->udev, ev);
}

/* One unit of GetManagedObjects at start-up: its path from its id, and
 * the values of two known ones. */
static void
check_startup_unit (const char *path, GVariant *unit)
{
  const char *id = NULL, *state = NULL;
  g_autofree char *expected = NULL;

  g_assert_true (g_variant_lookup (unit, "Id", "&s", &id));
  g_assert_true (g_variant_lookup (unit, "State", "&s", &state));
  expected = hotplug_unit_object_path (id);
  g_assert_cmpstr (path, ==, expected);
  if (g_str_equal (id, "sb0"))
    {
      const char *cpus = NULL;
      guint64 bytes = 0;

      g_assert_cmpstr (state, ==, "online");
      g_assert_true (g_variant_lookup (unit, "Cpus", "&s", &cpus));
      g_assert_cmpstr (cpus, ==, "4-7");
      g_assert_true (g_variant_lookup (unit, "MemoryBytes", "t", &bytes));
      g_assert_cmpuint (bytes, ==, 8 * G_GUINT64_CONSTANT (0x8000000));
    }
  if (g_str_equal (id, "slot-2"))
    g_assert_cmpstr (state, ==, "absent");
}

static void
check_startup_objects (Test *t)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) objects = NULL;
  GVariantIter iter;
  const char *path;
  GVariant *ifaces;
  guint units = 0, domains = 0;

  reply = call (t, HOTPLUG_DBUS_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                NULL, &error);
  g_assert_no_error (error);
  objects = g_variant_get_child_value (reply, 0);
  g_variant_iter_init (&iter, objects);
  while (g_variant_iter_next (&iter, "{&o@a{sa{sv}}}", &path, &ifaces))
    {
      g_autoptr(GVariant) unit = g_variant_lookup_value (ifaces, HOTPLUG_DBUS_IFACE_UNIT, NULL);
      g_autoptr(GVariant) dom = g_variant_lookup_value (ifaces, HOTPLUG_DBUS_IFACE_DOMAIN, NULL);

      if (unit)
        {
          units++;
          check_startup_unit (path, unit);
        }
      if (dom)
        domains++;
      g_variant_unref (ifaces);
    }
  g_assert_cmpuint (units, ==, 12);
  g_assert_cmpuint (domains, ==, 2);
}

static void
check_startup_manager (Test *t)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) props = NULL;
  g_autoptr(GVariant) v = NULL;

  reply = call (t, HOTPLUG_DBUS_PATH, "org.freedesktop.DBus.Properties", "GetAll",
                g_variant_new ("(s)", HOTPLUG_DBUS_IFACE_MANAGER), &error);
  g_assert_no_error (error);
  props = g_variant_get_child_value (reply, 0);
  v = g_variant_lookup_value (props, "Version", G_VARIANT_TYPE_STRING);
  g_assert_cmpstr (g_variant_get_string (v, NULL), ==, PACKAGE_VERSION);
  g_clear_pointer (&v, g_variant_unref);
  v = g_variant_lookup_value (props, "EventSource", G_VARIANT_TYPE_STRING);
  g_assert_cmpstr (g_variant_get_string (v, NULL), ==, "none");
  g_clear_pointer (&v, g_variant_unref);
  v = g_variant_lookup_value (props, "Simulated", G_VARIANT_TYPE_BOOLEAN);
  g_assert_false (g_variant_get_boolean (v));
  g_clear_pointer (&v, g_variant_unref);
  v = g_variant_lookup_value (props, "Resyncs", G_VARIANT_TYPE_UINT32);
  g_assert_cmpuint (g_variant_get_uint32 (v), ==, 0);
}

static void
test_startup (Test *t, gconstpointer data)
{
  Signal *first;

  g_assert_cmpuint (t->units_at_acquire, ==, 12);
  /* the very first thing anyone hears from us is the name change */
  g_assert_cmpuint (t->signals_before_owner, ==, 0);
  first = g_ptr_array_index (t->signals, 0);
  g_assert_cmpstr (first->member, ==, "NameOwnerChanged");

  /* asked right away, the model is complete */
  check_startup_objects (t);
  check_startup_manager (t);

  /* start-up announced nothing object by object */
  settle ();
  g_assert_cmpuint (count_signals (t, "InterfacesAdded", NULL), ==, 0);
  g_assert_cmpuint (count_signals (t, "PropertiesChanged", NULL), ==, 0);
}

static void
set_cpu (Test *t, guint n, gboolean online)
{
  g_autofree char *file = g_strdup_printf ("/sys/devices/system/cpu/cpu%u/online", n);
  g_autofree char *devpath = g_strdup_printf ("/devices/system/cpu/cpu%u", n);

  fx_write (t->fx, file, online ? "1" : "0");
  inject (t, online ? "online" : "offline", "cpu", devpath);
}

static void
test_properties_changed (Test *t, gconstpointer data)
{
  g_autofree char *sb0 = hotplug_unit_object_path ("sb0");
  g_autofree char *cpu1 = hotplug_unit_object_path ("cpu1");
  Signal *s;
  const char *iface;
  g_autoptr(GVariant) changed = NULL;
  g_autoptr(GVariant) value = NULL;

  settle ();
  g_ptr_array_set_size (t->signals, 0);
  set_cpu (t, 5, FALSE);
  wait_signal (t, "PropertiesChanged", NULL);
  g_assert_cmpuint (count_signals (t, "PropertiesChanged", NULL), ==, 1);
  s = find_signal (t, "PropertiesChanged", sb0);
  g_assert_nonnull (s);
  g_variant_get (s->params, "(&s@a{sv}@as)", &iface, &changed, NULL);
  g_assert_cmpstr (iface, ==, HOTPLUG_DBUS_IFACE_UNIT);
  g_assert_cmpuint (g_variant_n_children (changed), ==, 1);
  value = g_variant_lookup_value (changed, "CpusOnline", G_VARIANT_TYPE_STRING);
  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, "4,6-7");

  /* the same event again: nothing changed, nothing sent */
  g_ptr_array_set_size (t->signals, 0);
  set_cpu (t, 5, FALSE);
  settle ();
  g_assert_cmpuint (count_signals (t, "PropertiesChanged", NULL), ==, 0);

  /* two properties changing together: still one signal */
  set_cpu (t, 1, FALSE);
  wait_signal (t, "PropertiesChanged", NULL);
  g_assert_cmpuint (count_signals (t, "PropertiesChanged", NULL), ==, 1);
  s = find_signal (t, "PropertiesChanged", cpu1);
  g_assert_nonnull (s);
  g_clear_pointer (&changed, g_variant_unref);
  g_variant_get (s->params, "(&s@a{sv}@as)", &iface, &changed, NULL);
  g_assert_cmpuint (g_variant_n_children (changed), ==, 2);
  g_clear_pointer (&value, g_variant_unref);
  value = g_variant_lookup_value (changed, "State", G_VARIANT_TYPE_STRING);
  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, "offline");
}

static void
board_events (Test *t, const char *action)
{
  for (guint n = 12; n < 16; n++)
    {
      g_autofree char *devpath = g_strdup_printf ("/devices/system/cpu/cpu%u", n);
      inject (t, action, "cpu", devpath);
    }
  for (guint b = 32; b < 40; b++)
    {
      g_autofree char *devpath = g_strdup_printf ("/devices/system/memory/memory%u", b);
      inject (t, action, "memory", devpath);
    }
  inject (t, action, "container", "/devices/system/container/ACPI0004:03");
}

static void
assert_dbus_error (GError *error, const char *name)
{
  g_autofree char *remote = NULL;

  g_assert_nonnull (error);
  remote = g_dbus_error_get_remote_error (error);
  g_assert_cmpstr (remote, ==, name);
}

static void
test_board_add_remove (Test *t, gconstpointer data)
{
  g_autofree char *sb3 = hotplug_unit_object_path ("sb3");
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  const char *path = NULL;
  Signal *s;

  settle ();
  g_ptr_array_set_size (t->signals, 0);
  fx_board (t->fx, 3, "3", 12, 32, FALSE);
  inject (t, "add", "container", "/devices/system/container/ACPI0004:03");
  board_events (t, "add");
  wait_signal (t, "InterfacesAdded", NULL);
  g_assert_cmpuint (count_signals (t, "InterfacesAdded", NULL), ==, 1);
  s = find_signal (t, "InterfacesAdded", HOTPLUG_DBUS_PATH);
  g_variant_get (s->params, "(&o@a{sa{sv}})", &path, NULL);
  g_assert_cmpstr (path, ==, sb3);
  reply = call (t, HOTPLUG_DBUS_PATH, HOTPLUG_DBUS_IFACE_MANAGER, "GetUnit", g_variant_new ("(s)", "sb3"), &error);
  g_assert_no_error (error);

  g_ptr_array_set_size (t->signals, 0);
  fx_rm (t->fx, "/sys/devices/system/container/ACPI0004:03");
  fx_rm (t->fx, "/sys/bus/container/devices/ACPI0004:03");
  for (guint n = 12; n < 16; n++)
    {
      g_autofree char *p = g_strdup_printf ("/sys/devices/system/cpu/cpu%u", n);
      g_autofree char *l = g_strdup_printf ("/sys/bus/cpu/devices/cpu%u", n);
      fx_rm (t->fx, p);
      fx_rm (t->fx, l);
    }
  for (guint b = 32; b < 40; b++)
    {
      g_autofree char *p = g_strdup_printf ("/sys/devices/system/memory/memory%u", b);
      g_autofree char *l = g_strdup_printf ("/sys/bus/memory/devices/memory%u", b);
      fx_rm (t->fx, p);
      fx_rm (t->fx, l);
    }
  board_events (t, "remove");
  wait_signal (t, "PropertiesChanged", sb3);
  /* the board keeps its place on the bus: the same object, absent */
  g_assert_cmpuint (count_signals (t, "InterfacesRemoved", NULL), ==, 0);
  g_assert_cmpuint (count_signals (t, "InterfacesAdded", NULL), ==, 0);
  s = find_signal (t, "PropertiesChanged", sb3);
  g_assert_nonnull (s);
  {
    g_autoptr(GVariant) changed = NULL;
    g_autoptr(GVariant) state = NULL;

    g_variant_get (s->params, "(&s@a{sv}@as)", NULL, &changed, NULL);
    state = g_variant_lookup_value (changed, "State", G_VARIANT_TYPE_STRING);
    g_assert_nonnull (state);
    g_assert_cmpstr (g_variant_get_string (state, NULL), ==, "absent");
  }
  g_clear_pointer (&reply, g_variant_unref);
  reply = call (t, HOTPLUG_DBUS_PATH, HOTPLUG_DBUS_IFACE_MANAGER, "GetUnit", g_variant_new ("(s)", "sb3"), &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(&o)", &path);
  g_assert_cmpstr (path, ==, sb3);
  /* and Add says why there is nothing to add, before polkit is asked */
  g_clear_pointer (&reply, g_variant_unref);
  reply = call (t, sb3, HOTPLUG_DBUS_IFACE_UNIT, "Add", g_variant_new ("(a{sv})", NULL), &error);
  assert_dbus_error (error, HOTPLUG_DBUS_ERROR_PREFIX ".NotPresent");
  g_assert_nonnull (strstr (error->message, "sb3 is absent: the board was ejected or pulled out"));
}

/* The call fails with the daemon's error NAME, a message in valid UTF-8
 * and, when PART is given, containing PART. */
static void
expect_error (Test *t, const char *path, const char *iface, const char *method, GVariant *args,
              const char *name, const char *part)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = call (t, path, iface, method, args, &error);
  g_autofree char *full = g_strconcat (HOTPLUG_DBUS_ERROR_PREFIX ".", name, NULL);

  g_assert_null (reply);
  assert_dbus_error (error, full);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  if (part != NULL && strstr (error->message, part) == NULL)
    g_error ("%s.%s: “%s” does not say “%s”", iface, method, error->message, part);
}

static void
expect_manager_error (Test *t, const char *method, GVariant *args, const char *name, const char *part)
{
  expect_error (t, HOTPLUG_DBUS_PATH, HOTPLUG_DBUS_IFACE_MANAGER, method, args, name, part);
}

static void
check_lookup_errors (Test *t)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  reply = call (t, HOTPLUG_DBUS_PATH, HOTPLUG_DBUS_IFACE_MANAGER, "GetUnit", g_variant_new ("(s)", "sb9"), &error);
  assert_dbus_error (error, HOTPLUG_DBUS_ERROR_PREFIX ".NoSuchUnit");
  /* and the client gets the code back through the registered domain */
  g_assert_true (g_error_matches (error, HOTPLUG_ERROR, HOTPLUG_ERROR_NO_SUCH_UNIT));
  expect_manager_error (t, "GetUnit", g_variant_new ("(s)", ""), "InvalidArgument", NULL);
  expect_manager_error (t, "GetUnit", g_variant_new ("(s)", "sb 0\n"), "InvalidArgument", NULL);
  /* long non-ASCII ids: the message shows them cut at a character
   * boundary (a cut inside one is refused by GVariant: a critical) */
  for (guint shift = 4; shift-- > 0;)
    {
      g_autoptr(GString) id = g_string_new (NULL);

      g_string_append_len (id, "abc", shift);
      while (id->len <= HOTPLUG_ID_MAX_LENGTH)
        g_string_append (id, shift % 2 ? "\xe2\x82\xac" : "\xf0\x9f\x98\x80");
      expect_manager_error (t, "GetUnit", g_variant_new ("(s)", id->str), "InvalidArgument",
                            shift == 0 ? "too long" : NULL);
      expect_manager_error (t, "ListHooks", g_variant_new ("(ss)", id->str, ""), "InvalidArgument", NULL);
      expect_manager_error (t, "ListHooks", g_variant_new ("(ss)", "", id->str), "InvalidArgument", NULL);
    }
  /* spaces and non-ASCII letters are an id like any other: no such unit */
  expect_manager_error (t, "GetUnit", g_variant_new ("(s)", "slot-Steckplatz \xc3\x9f"), "NoSuchUnit", NULL);
  expect_manager_error (t, "GetDomain", g_variant_new ("(s)", "0007"), "NoSuchUnit", NULL);
  expect_manager_error (t, "ListDevices", g_variant_new ("(s)", "nope"), "NoSuchUnit", NULL);
}

static void
check_unit_option_errors (Test *t)
{
  g_autofree char *sb0 = hotplug_unit_object_path ("sb0");
  g_autofree char *slot1 = hotplug_unit_object_path ("slot-1");
  g_autofree char *slot2 = hotplug_unit_object_path ("slot-2");
  g_autofree char *cpu = hotplug_unit_object_path ("cpu1");
  const char *unit = HOTPLUG_DBUS_IFACE_UNIT;

  /* options are checked before anything else, and named */
  expect_error (t, sb0, unit, "Add", g_variant_new_parsed ("({'bogus': <true>},)"), "InvalidArgument", "bogus");
  /* an unknown key is shown as the caller wrote it, cut between characters */
  expect_error (t, sb0, unit, "Add",
                g_variant_new_parsed ("({'a€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€': <true>},)"),
                "InvalidArgument", "unknown option “a€€€");
  expect_error (t, sb0, unit, "Add",
                g_variant_new_parsed ("({'a€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€': <true>},)"),
                "InvalidArgument", "€…” (known:");
  expect_error (t, sb0, unit, "Remove", g_variant_new_parsed ("({'force': <'yes'>},)"), "InvalidArgument", "force");
  expect_error (t, sb0, unit, "Remove", g_variant_new_parsed ("({'eject': <1>},)"), "InvalidArgument", "eject");
  /* eject means something to a board's or I/O unit's Remove only */
  expect_error (t, sb0, unit, "Add", g_variant_new_parsed ("({'eject': <false>},)"), "InvalidArgument",
                "option “eject” applies to Remove of a board or I/O unit");
  expect_error (t, slot1, unit, "Remove", g_variant_new_parsed ("({'eject': <false>},)"), "InvalidArgument", NULL);
  /* strict: an Add with nothing to add fails, no job */
  expect_error (t, sb0, unit, "Add", g_variant_new_parsed ("({'strict': <true>},)"), "Failed",
                "sb0 is already online: nothing to add (strict)");
  /* Replace: what the unit cannot do is said before polkit is asked */
  expect_error (t, cpu, unit, "Replace", g_variant_new ("(a{sv})", NULL), "NotSupported", "no replaceable part");
  expect_error (t, sb0, unit, "Replace", g_variant_new_parsed ("({'window': <uint32 0>},)"), "InvalidArgument", NULL);
  expect_error (t, sb0, unit, "Add", g_variant_new_parsed ("({'window': <uint32 5>},)"), "InvalidArgument", NULL);
  /* an empty slot has nothing to add, before polkit is asked */
  expect_error (t, slot2, unit, "Add", g_variant_new ("(a{sv})", NULL), "NotPresent", NULL);
}

static void
check_domain_option_errors (Test *t)
{
  g_autofree char *dom = hotplug_domain_object_path ("0000");
  const char *domain = HOTPLUG_DBUS_IFACE_DOMAIN;

  /* a domain's options are checked before polkit is asked */
  expect_error (t, dom, domain, "PrepareForSwitchover", g_variant_new_parsed ("({'window': <uint32 5>},)"),
                "InvalidArgument", "known: timeout, persist, force, dry-run");
  expect_error (t, dom, domain, "PrepareForSwitchover", g_variant_new_parsed ("({'persist': <uint32 1>},)"),
                "InvalidArgument", NULL);
  expect_error (t, dom, domain, "Connect", g_variant_new_parsed ("({'persist': <true>},)"),
                "InvalidArgument", "known: timeout, dry-run");
}

/* beside the errors, what works */
static void
check_lookups (Test *t)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *text = NULL;
  const char *path;

  reply = call (t, HOTPLUG_DBUS_PATH, HOTPLUG_DBUS_IFACE_MANAGER, "GetUnit", g_variant_new ("(s)", "slot-io-3.a"), &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(&o)", &path);
  g_assert_cmpstr (path, ==, HOTPLUG_DBUS_UNIT_PATH "/slot_2dio_2d3_2ea");
  g_clear_pointer (&reply, g_variant_unref);
  reply = call (t, HOTPLUG_DBUS_PATH, HOTPLUG_DBUS_IFACE_MANAGER, "GetDomain", g_variant_new ("(s)", "0001"), &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_variant_unref);
  reply = call (t, HOTPLUG_DBUS_PATH, HOTPLUG_DBUS_IFACE_MANAGER, "ListDevices", g_variant_new ("(s)", "slot-1"), &error);
  g_assert_no_error (error);
  text = g_variant_print (reply, FALSE);
  g_assert_cmpstr (text, ==, "([('0000:41:00.0', 0, '', '10b5:8724 0x060400'), "
                   "('0000:42:08.0', 1, '0000:41:00.0', '10b5:8724 0x060400'), "
                   "('0000:43:00.0', 2, '0000:42:08.0', '8086:1572 0x020000'), "
                   "('0000:43:00.1', 2, '0000:42:08.0', '8086:1572 0x020000')],)");
}

/* One daemon for all of them: each check leaves it as it found it. */
static void
test_errors (Test *t, gconstpointer data)
{
  check_lookup_errors (t);
  check_unit_option_errors (t);
  check_domain_option_errors (t);
  check_lookups (t);
}

static void
test_resync_property (Test *t, gconstpointer data)
{
  Signal *s;
  g_autoptr(GVariant) changed = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) overflows = NULL;
  g_autoptr(GError) error = NULL;
  guint resyncs = 0;

  settle ();
  g_ptr_array_set_size (t->signals, 0);
  hotplug_udev_inject_overflow (t->udev);
  hotplug_udev_inject_overflow (t->udev);
  wait_signal (t, "PropertiesChanged", HOTPLUG_DBUS_PATH);
  g_assert_cmpuint (count_signals (t, "PropertiesChanged", HOTPLUG_DBUS_PATH), ==, 1);
  s = find_signal (t, "PropertiesChanged", HOTPLUG_DBUS_PATH);
  g_variant_get (s->params, "(&s@a{sv}@as)", NULL, &changed, NULL);
  g_assert_true (g_variant_lookup (changed, "Resyncs", "u", &resyncs));
  g_assert_cmpuint (resyncs, ==, 1);
  /* both losses are counted, read but never signalled */
  g_assert_false (g_variant_lookup (changed, "Overflows", "t", NULL));
  reply = call (t, HOTPLUG_DBUS_PATH, "org.freedesktop.DBus.Properties", "Get",
                g_variant_new ("(ss)", HOTPLUG_DBUS_IFACE_MANAGER, "Overflows"), &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &overflows);
  g_assert_cmpuint (g_variant_get_uint64 (overflows), ==, 2);
  /* nothing changed behind our back: the units say nothing */
  g_assert_cmpuint (count_signals (t, "PropertiesChanged", NULL), ==, 1);
  g_assert_cmpuint (count_signals (t, "InterfacesAdded", NULL), ==, 0);
  g_assert_cmpuint (count_signals (t, "InterfacesRemoved", NULL), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  hotplug_log_setup (FALSE);

#define ADD(path, fn) g_test_add ("/dbus/" path, Test, NULL, setup, fn, teardown)
  ADD ("startup", test_startup);
  ADD ("properties-changed", test_properties_changed);
  ADD ("board-add-remove", test_board_add_remove);
  ADD ("errors", test_errors);
  ADD ("resync-property", test_resync_property);
  return hotplug_test_run_on_private_bus (&test_bus);
}
