/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <string.h>

#include "hotplug-blockers-watch.h"
#include "hotplug-calls.h"
#include "hotplug-error.h"
#include "hotplug-hooks.h"
#include "hotplug-log.h"
#include "hotplug-inhibit.h"
#include "hotplug-manager.h"
#include "hotplug-names.h"
#include "hotplug-util.h"

#define TOPIC "dbus"

struct _HotplugManager
{
  GObject                   parent_instance;

  HotplugPlatform          *platform;
  HotplugUdev              *udev;
  HotplugDbusManager       *iface;
  GDBusObjectManagerServer *server;
  GDBusConnection          *connection;
  GHashTable               *objects; /* unit, domain or job (not ref'd) → GDBusObjectSkeleton */
  HotplugAuth              *auth;
  HotplugJobs              *jobs;
  HotplugBlockersWatch     *blockers;
  HotplugInhibit           *inhibit;
  HotplugCalls             *calls;
  char                     *config_path;
  guint                     owner_id;
  GBusNameOwnerFlags        owner_flags;
  GDBusConnection          *bus;        /* to ask for the name on, once the first Blockers are in */
  gboolean                  primed;     /* the first Blockers are in */
  gboolean                  owns_name;
  gboolean                  name_taken; /* owned, then lost to another instance */
  guint                     sleep_id;   /* logind's PrepareForSleep */
  /* monotonic times of start-up: begun, enumerated, ownership pass done,
   * blockers' facts handed to their worker, first blockers in (logged
   * once the name is owned) */
  gint64                    startup[5];
};

enum { SIGNAL_NAME_ACQUIRED, SIGNAL_NAME_LOST, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_TYPE (HotplugManager, hotplug_manager, G_TYPE_OBJECT)

/* --- objects ---------------------------------------------------------- */

static void
export_interface (HotplugManager *self, gpointer key, const char *path, GDBusInterfaceSkeleton *iface)
{
  g_autoptr(GDBusObjectSkeleton) object = g_dbus_object_skeleton_new (path);

  g_dbus_object_skeleton_add_interface (object, iface);
  g_hash_table_insert (self->objects, key, g_object_ref (object));
  /* InterfacesAdded is sent only when the server has a connection */
  g_dbus_object_manager_server_export (self->server, object);
}

static void
unexport (HotplugManager *self, gpointer key)
{
  GDBusObjectSkeleton *object = g_hash_table_lookup (self->objects, key);

  if (object == NULL)
    return;
  g_dbus_object_manager_server_unexport (self->server,
                                         g_dbus_object_get_object_path (G_DBUS_OBJECT (object)));
  g_hash_table_remove (self->objects, key);
}

static void
on_unit_added (HotplugPlatform *platform, HotplugUnit *unit, gpointer user_data)
{
  HotplugManager *self = HOTPLUG_MANAGER (user_data);
  g_autofree char *path = hotplug_unit_object_path (hotplug_unit_get_id (unit));

  hotplug_calls_connect_unit (self->calls, unit);
  export_interface (self, unit, path, G_DBUS_INTERFACE_SKELETON (unit));
}

static void
on_unit_removed (HotplugPlatform *platform, HotplugUnit *unit, gpointer user_data)
{
  unexport (HOTPLUG_MANAGER (user_data), unit);
}

static void
on_job_added (HotplugJobs *jobs, HotplugJob *job, gpointer user_data)
{
  HotplugManager *self = HOTPLUG_MANAGER (user_data);

  hotplug_calls_connect_job (self->calls, job);
  export_interface (self, job, hotplug_job_get_object_path (job), G_DBUS_INTERFACE_SKELETON (job));
  hotplug_inhibit_hold (self->inhibit, TRUE, "a hotplug job is running: it must end or roll back first");
}

static void
on_jobs_idle (HotplugJobs *jobs, gpointer user_data)
{
  hotplug_inhibit_hold (HOTPLUG_MANAGER (user_data)->inhibit, FALSE, NULL);
}

static void
on_job_removed (HotplugJobs *jobs, HotplugJob *job, gpointer user_data)
{
  unexport (HOTPLUG_MANAGER (user_data), job);
}

static void
on_domain_added (HotplugPlatform *platform, HotplugDomain *domain, gpointer user_data)
{
  HotplugManager *self = HOTPLUG_MANAGER (user_data);
  g_autofree char *path = hotplug_domain_object_path (hotplug_domain_get_id (domain));

  hotplug_calls_connect_domain (self->calls, domain);
  export_interface (self, domain, path, G_DBUS_INTERFACE_SKELETON (domain));
}

/* --- events ----------------------------------------------------------- */

static void
on_udev_event (HotplugUdev *udev, HotplugEvent *event, gpointer user_data)
{
  hotplug_platform_handle_event (HOTPLUG_MANAGER (user_data)->platform, event);
}

static void
on_udev_resync (HotplugUdev *udev, GPtrArray *events, gpointer user_data)
{
  hotplug_platform_reconcile (HOTPLUG_MANAGER (user_data)->platform, events);
}

static void
on_events_received_changed (GObject *udev, GParamSpec *pspec, gpointer user_data)
{
  HotplugManager *self = HOTPLUG_MANAGER (user_data);

  hotplug_dbus_manager_set_events_received (self->iface, hotplug_udev_get_events_received (self->udev));
}

static void
on_overflows_changed (GObject *udev, GParamSpec *pspec, gpointer user_data)
{
  HotplugManager *self = HOTPLUG_MANAGER (user_data);

  hotplug_dbus_manager_set_overflows (self->iface, hotplug_udev_get_overflows (self->udev));
}

static void
on_resyncs_changed (GObject *udev, GParamSpec *pspec, gpointer user_data)
{
  HotplugManager *self = HOTPLUG_MANAGER (user_data);

  hotplug_dbus_manager_set_resyncs (self->iface, hotplug_udev_get_resyncs (self->udev));
}

/* --- methods ---------------------------------------------------------- */

/* The one id rule (hotplug_id_is_valid), the same that a unit or domain
 * passed when it was created. */
static gboolean
check_id (GDBusMethodInvocation *invocation, const char *what, const char *id)
{
  g_autoptr(GError) error = NULL;

  if (hotplug_id_is_valid (id, &error))
    return TRUE;
  g_dbus_method_invocation_return_error (invocation, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                                         "not a valid %s id: %s", what, error->message);
  return FALSE;
}

static HotplugUnit *
find_unit (HotplugManager *self, GDBusMethodInvocation *invocation, const char *id)
{
  HotplugUnit *unit;

  if (!check_id (invocation, "unit", id))
    return NULL;
  hotplug_platform_flush (self->platform);
  unit = hotplug_platform_lookup_unit (self->platform, id);
  if (unit == NULL)
    g_dbus_method_invocation_return_error (invocation, HOTPLUG_ERROR, HOTPLUG_ERROR_NO_SUCH_UNIT,
                                           "no unit '%s'", id);
  return unit;
}

static gboolean
handle_get_unit (HotplugDbusManager *iface, GDBusMethodInvocation *invocation, const char *id, gpointer user_data)
{
  HotplugManager *self = HOTPLUG_MANAGER (user_data);
  HotplugUnit *unit = find_unit (self, invocation, id);
  g_autofree char *path = NULL;

  if (unit)
    {
      path = hotplug_unit_object_path (hotplug_unit_get_id (unit));
      hotplug_dbus_manager_complete_get_unit (iface, invocation, path);
    }
  return TRUE;
}

static gboolean
handle_get_domain (HotplugDbusManager *iface, GDBusMethodInvocation *invocation, const char *id, gpointer user_data)
{
  HotplugManager *self = HOTPLUG_MANAGER (user_data);
  HotplugDomain *domain;
  g_autofree char *path = NULL;

  if (!check_id (invocation, "domain", id))
    return TRUE;
  hotplug_platform_flush (self->platform);
  domain = hotplug_platform_lookup_domain (self->platform, id);
  if (domain == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, HOTPLUG_ERROR, HOTPLUG_ERROR_NO_SUCH_UNIT,
                                             "no PCI domain '%s'", id);
      return TRUE;
    }
  path = hotplug_domain_object_path (hotplug_domain_get_id (domain));
  hotplug_dbus_manager_complete_get_domain (iface, invocation, path);
  return TRUE;
}

static gboolean
handle_list_devices (HotplugDbusManager *iface, GDBusMethodInvocation *invocation, const char *id, gpointer user_data)
{
  HotplugManager *self = HOTPLUG_MANAGER (user_data);
  HotplugUnit *unit = find_unit (self, invocation, id);

  if (unit)
    hotplug_dbus_manager_complete_list_devices (iface, invocation,
                                                hotplug_platform_list_devices (self->platform, unit));
  return TRUE;
}

/* --- hooks and configuration ------------------------------------------ */

static const char *const hook_kinds[] = { "sb", "iou", "slot", "cpu", "memory", "domain", NULL };

static gboolean
handle_list_hooks (HotplugDbusManager *iface, GDBusMethodInvocation *invocation, const char *event,
                   const char *kind, gpointer user_data)
{
  HotplugManager *self = HOTPLUG_MANAGER (user_data);
  HotplugHookRunner *runner = hotplug_jobs_get_runner (self->jobs);
  const char *const *events = hotplug_hook_events ();
  g_autoptr(GError) error = NULL;
  GVariantBuilder b;

  if (*event && !hotplug_hook_event_is_valid (event))
    {
      g_autofree char *shown = hotplug_utf8_sanitize (event, -1, 64);

      g_dbus_method_invocation_return_error (invocation, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                                             "unknown hook event “%s”", shown);
      return TRUE;
    }
  if (*kind && !g_strv_contains (hook_kinds, kind))
    {
      g_autofree char *shown = hotplug_utf8_sanitize (kind, -1, 64);

      g_dbus_method_invocation_return_error (invocation, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                                             "unknown unit kind “%s”", shown);
      return TRUE;
    }
  if (*event && *kind && !hotplug_hook_check_event (event, kind, &error))
    {
      hotplug_error_return (invocation, error);
      return TRUE;
    }

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(sssssss)"));
  for (guint e = 0; events[e]; e++)
    {
      if (*event && !g_str_equal (event, events[e]))
        continue;
      for (guint k = 0; hook_kinds[k]; k++)
        {
          g_autoptr(GPtrArray) hooks = NULL;

          if ((*kind && !g_str_equal (kind, hook_kinds[k])) ||
              !hotplug_hook_check_event (events[e], hook_kinds[k], NULL))
            continue;
          hooks = hotplug_hooks_discover (hotplug_hook_runner_get_vendor_root (runner),
                                          hotplug_hook_runner_get_admin_root (runner),
                                          hook_kinds[k], events[e], NULL);
          for (guint i = 0; hooks && i < hooks->len; i++)
            {
              HotplugHook *h = g_ptr_array_index (hooks, i);

              g_variant_builder_add (&b, "(sssssss)", events[e], hook_kinds[k], h->name, h->path,
                                     hotplug_hook_origin_to_string (h->origin),
                                     hotplug_hook_status_to_string (h->status), h->reason ? h->reason : "");
            }
        }
    }
  hotplug_dbus_manager_complete_list_hooks (iface, invocation, g_variant_builder_end (&b));
  return TRUE;
}

gboolean
hotplug_manager_load_config (HotplugManager *self, const char *path, GError **error)
{
  g_autoptr(HotplugConfig) config = NULL;

  if (path)
    {
      g_free (self->config_path);
      self->config_path = g_strdup (path);
    }
  config = hotplug_config_load_file (self->config_path, error);
  if (config == NULL)
    return FALSE;
  hotplug_jobs_set_config (self->jobs, config);
  hotplug_blockers_watch_set_interval (self->blockers, hotplug_config_get_blockers_refresh (config));
  return TRUE;
}

static void
reload_authorized (GDBusMethodInvocation *invocation, gpointer user_data)
{
  HotplugManager *self = HOTPLUG_MANAGER (user_data);
  g_autoptr(GError) error = NULL;

  if (!hotplug_manager_load_config (self, NULL, &error))
    {
      /* the message quotes the file: any bytes */
      g_autofree char *shown = hotplug_utf8_sanitize (error->message, -1, 0);

      hotplug_log_full (G_LOG_LEVEL_WARNING, TOPIC, NULL, NULL, NULL, NULL,
                        "reload: %s (the old configuration stays)", shown);
      g_dbus_method_invocation_return_error (invocation, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED,
                                             "%s (the old configuration stays)", shown);
      return;
    }
  hotplug_message (TOPIC, "configuration reloaded from %s", self->config_path);
  hotplug_dbus_manager_complete_reload (self->iface, invocation);
}

static gboolean
handle_reload (HotplugDbusManager *iface, GDBusMethodInvocation *invocation, gpointer user_data)
{
  HotplugManager *self = HOTPLUG_MANAGER (user_data);

  return hotplug_auth_call (self->auth, invocation, NULL, reload_authorized, g_object_ref (self),
                            g_object_unref);
}

/* --- the name --------------------------------------------------------- */

/* After a suspend the hardware may have changed while no event could be
 * seen (a board's power domain, a slot): read everything again. */
static void
on_prepare_for_sleep (GDBusConnection *connection, const char *sender, const char *path, const char *iface,
                      const char *signal, GVariant *params, gpointer user_data)
{
  HotplugManager *self = HOTPLUG_MANAGER (user_data);
  gboolean going = TRUE;

  if (!g_variant_is_of_type (params, G_VARIANT_TYPE ("(b)")))
    return;
  g_variant_get (params, "(b)", &going);
  if (!going)
    hotplug_udev_resync (self->udev, "the system resumed from sleep");
}

static gboolean
register_objects (HotplugManager *self, GDBusConnection *connection, GError **error)
{
  if (self->connection)
    return TRUE;
  self->connection = g_object_ref (connection);
  hotplug_inhibit_set_connection (self->inhibit, connection);
  self->sleep_id = g_dbus_connection_signal_subscribe (connection, "org.freedesktop.login1",
                                                       "org.freedesktop.login1.Manager", "PrepareForSleep",
                                                       "/org/freedesktop/login1", NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                       on_prepare_for_sleep, self, NULL);
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->iface), connection,
                                         HOTPLUG_DBUS_PATH, error))
    return FALSE;
  /* registers every object that exists now, without a signal */
  g_dbus_object_manager_server_set_connection (self->server, connection);
  return TRUE;
}

/* where start-up's time went, from hotplug_manager_start() to the name */
static void
log_startup (HotplugManager *self)
{
  const gint64 *t = self->startup;

  if (t[0] == 0)
    return;
  hotplug_message (TOPIC, "start-up: %.1f ms to the name: enumeration %.1f ms, ownership pass %.1f ms, "
                   "blockers' facts %.1f ms, first blockers %.1f ms, bus and objects %.1f ms",
                   (g_get_monotonic_time () - t[0]) / 1000.0, (t[1] - t[0]) / 1000.0, (t[2] - t[1]) / 1000.0,
                   (t[3] - t[2]) / 1000.0, (t[4] - t[3]) / 1000.0, (g_get_monotonic_time () - t[4]) / 1000.0);
  memset (self->startup, 0, sizeof self->startup);
}

static void
on_name_acquired (GDBusConnection *connection, const char *name, gpointer user_data)
{
  HotplugManager *self = HOTPLUG_MANAGER (user_data);

  self->owns_name = TRUE;
  hotplug_log_full (G_LOG_LEVEL_MESSAGE, TOPIC, NULL, NULL, NULL, HOTPLUG_MSGID_STARTED,
                    "hotplugd %s owns %s (events: %s)", PACKAGE_VERSION, name,
                    hotplug_udev_get_group (self->udev));
  log_startup (self);
  /* only now may anything change: start dispatching device events */
  hotplug_udev_listen (self->udev);
  /* a job the previous daemon left half done comes first */
  hotplug_jobs_recover (self->jobs);
  /* what is offline at start-up stays so; what appears from now on is
   * the platform's to add */
  hotplug_jobs_set_platform_jobs (self->jobs, TRUE);
  /* Blockers change from now on, as anything else */
  hotplug_blockers_watch_start (self->blockers);
  g_signal_emit (self, signals[SIGNAL_NAME_ACQUIRED], 0);
}

static void
on_name_lost (GDBusConnection *connection, const char *name, gpointer user_data)
{
  HotplugManager *self = HOTPLUG_MANAGER (user_data);

  hotplug_log_full (G_LOG_LEVEL_WARNING, TOPIC, NULL, NULL, NULL, NULL,
                    connection == NULL ? "cannot connect to the system bus"
                    : self->owns_name ? "lost the bus name %s (replaced?)"
                    : "cannot own the bus name %s (another instance runs? see --replace)", name);
  self->name_taken = self->owns_name;
  self->owns_name = FALSE;
  g_signal_emit (self, signals[SIGNAL_NAME_LOST], 0);
}

/* The name is asked for once both the connection and the first Blockers
 * are there: the objects are registered first (a client reacting to
 * NameOwnerChanged finds them, complete, with their Blockers). */
static void
request_name (HotplugManager *self)
{
  g_autoptr(GError) error = NULL;

  if (!self->primed || self->bus == NULL || self->owner_id != 0)
    return;
  if (!register_objects (self, self->bus, &error))
    hotplug_log_full (G_LOG_LEVEL_WARNING, TOPIC, NULL, NULL, NULL, NULL,
                      "cannot register the manager object: %s", error->message);
  self->owner_id = g_bus_own_name_on_connection (self->bus, HOTPLUG_DBUS_NAME, self->owner_flags,
                                                 on_name_acquired, on_name_lost, self, NULL);
}

static void
on_bus_got (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(HotplugManager) self = user_data;
  g_autoptr(GError) error = NULL;
  GDBusConnection *bus = g_bus_get_finish (res, &error);

  if (self->server == NULL)  /* disposed meanwhile */
    {
      g_clear_object (&bus);
      return;
    }
  if (bus == NULL)
    {
      hotplug_log_full (G_LOG_LEVEL_DEBUG, TOPIC, NULL, NULL, NULL, NULL, "system bus: %s", error->message);
      on_name_lost (NULL, HOTPLUG_DBUS_NAME, self);
      return;
    }
  self->bus = bus;
  request_name (self);
}

static void
on_blockers_primed (HotplugBlockersWatch *blockers, gpointer user_data)
{
  HotplugManager *self = user_data;

  self->primed = TRUE;
  self->startup[4] = g_get_monotonic_time ();
  request_name (self);
}

gboolean
hotplug_manager_start (HotplugManager  *self,
                       GDBusConnection *connection,
                       gboolean         replace,
                       GError         **error)
{
  g_return_val_if_fail (HOTPLUG_IS_MANAGER (self), FALSE);
  g_return_val_if_fail (self->owner_id == 0 && self->bus == NULL, FALSE);

  /* no queueing: a second instance fails at once instead of waiting */
  self->owner_flags = G_BUS_NAME_OWNER_FLAGS_ALLOW_REPLACEMENT | G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE;
  if (replace)
    self->owner_flags |= G_BUS_NAME_OWNER_FLAGS_REPLACE;
  /* On the system bus, GDBus's thread connects (and says Hello) while the
   * platform is enumerated here and its first Blockers are found in a
   * worker; the objects are exported and the name is asked for from the
   * main loop once both are done: the first thing clients see is the
   * complete platform. */
  if (connection == NULL)
    g_bus_get (G_BUS_TYPE_SYSTEM, NULL, on_bus_got, g_object_ref (self));
  else
    self->bus = g_object_ref (connection);
  self->startup[0] = g_get_monotonic_time ();
  hotplug_platform_read_nodes (self->platform);
  if (!hotplug_udev_start (self->udev, error))
    {
      g_clear_object (&self->bus);
      return FALSE;
    }
  self->startup[1] = g_get_monotonic_time ();
  hotplug_platform_flush (self->platform);
  self->startup[2] = g_get_monotonic_time ();
  g_signal_connect (self->blockers, "primed", G_CALLBACK (on_blockers_primed), self);
  hotplug_blockers_watch_prime (self->blockers);
  self->startup[3] = g_get_monotonic_time ();
  hotplug_dbus_manager_set_event_source (self->iface, hotplug_udev_get_group (self->udev));
  return TRUE;
}

gboolean
hotplug_manager_owns_name (HotplugManager *self)
{
  return self->owns_name;
}

HotplugPlatform *
hotplug_manager_get_platform (HotplugManager *self)
{
  return self->platform;
}

HotplugJobs *
hotplug_manager_get_jobs (HotplugManager *self)
{
  return self->jobs;
}

/* --- object ----------------------------------------------------------- */

static void
hotplug_manager_dispose (GObject *object)
{
  HotplugManager *self = HOTPLUG_MANAGER (object);

  /* a name another instance took is not ours to release: the bus would
   * answer "not owner" and GLib warn about it */
  if (self->name_taken && self->connection && !g_dbus_connection_is_closed (self->connection))
    g_dbus_connection_close_sync (self->connection, NULL, NULL);
  g_clear_handle_id (&self->owner_id, g_bus_unown_name);
  g_clear_object (&self->bus);
  if (self->blockers)
    g_signal_handlers_disconnect_by_data (self->blockers, self);
  if (self->udev)
    g_signal_handlers_disconnect_by_data (self->udev, self);
  if (self->platform)
    g_signal_handlers_disconnect_by_data (self->platform, self);
  if (self->jobs)
    g_signal_handlers_disconnect_by_data (self->jobs, self);
  if (self->connection && self->sleep_id)
    g_dbus_connection_signal_unsubscribe (self->connection, self->sleep_id);
  self->sleep_id = 0;
  if (self->connection)
    {
      g_dbus_object_manager_server_set_connection (self->server, NULL);
      g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->iface));
      g_clear_object (&self->connection);
    }
  if (self->objects)
    {
      GHashTableIter iter;
      gpointer value;

      g_hash_table_iter_init (&iter, self->objects);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        g_dbus_object_manager_server_unexport (self->server,
                                               g_dbus_object_get_object_path (G_DBUS_OBJECT (value)));
      g_clear_pointer (&self->objects, g_hash_table_unref);
    }
  g_clear_object (&self->server);
  g_clear_object (&self->iface);
  g_clear_object (&self->jobs);
  g_clear_object (&self->blockers);
  g_clear_pointer (&self->inhibit, hotplug_inhibit_free);
  g_clear_object (&self->calls);
  g_clear_object (&self->auth);
  g_clear_pointer (&self->config_path, g_free);
  g_clear_object (&self->platform);
  g_clear_object (&self->udev);
  G_OBJECT_CLASS (hotplug_manager_parent_class)->dispose (object);
}

static void
hotplug_manager_class_init (HotplugManagerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = hotplug_manager_dispose;

  signals[SIGNAL_NAME_ACQUIRED] = g_signal_new ("name-acquired", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                                0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_NAME_LOST] = g_signal_new ("name-lost", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                            0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
hotplug_manager_init (HotplugManager *self)
{
  self->objects = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  self->server = g_dbus_object_manager_server_new (HOTPLUG_DBUS_PATH);
  self->iface = hotplug_dbus_manager_skeleton_new ();
  hotplug_dbus_manager_set_version (self->iface, PACKAGE_VERSION);
  hotplug_dbus_manager_set_event_source (self->iface, "none");
  hotplug_dbus_manager_set_simulated (self->iface, g_getenv (HOTPLUG_ENV_SIM_ROOT) != NULL);
  hotplug_dbus_manager_set_resyncs (self->iface, 0);
}

HotplugManager *
hotplug_manager_new (HotplugPlatform *platform, HotplugUdev *udev)
{
  HotplugManager *self = g_object_new (HOTPLUG_TYPE_MANAGER, NULL);
  g_autoptr(GPtrArray) units = NULL;
  g_autoptr(GPtrArray) domains = NULL;
  g_autoptr(HotplugConfig) config = hotplug_config_new ();
  g_autoptr(HotplugHookRunner) runner = hotplug_hook_runner_new (config, NULL, NULL);

  self->platform = g_object_ref (platform);
  self->udev = g_object_ref (udev);
  self->auth = hotplug_auth_new ();
  self->config_path = g_strdup (hotplug_config_default_path ());
  self->inhibit = hotplug_inhibit_new ();
  self->jobs = hotplug_jobs_new (platform, runner, config);
  self->blockers = hotplug_blockers_watch_new (platform);
  hotplug_jobs_set_blockers_watch (self->jobs, self->blockers);
  hotplug_blockers_watch_set_interval (self->blockers, hotplug_config_get_blockers_refresh (config));
  self->calls = hotplug_calls_new (platform, self->jobs, self->auth, self->blockers);
  g_signal_connect (self->jobs, "job-added", G_CALLBACK (on_job_added), self);
  g_signal_connect (self->jobs, "idle", G_CALLBACK (on_jobs_idle), self);
  g_signal_connect (self->jobs, "job-removed", G_CALLBACK (on_job_removed), self);
  g_signal_connect (self->iface, "handle-list-hooks", G_CALLBACK (handle_list_hooks), self);
  g_signal_connect (self->iface, "handle-reload", G_CALLBACK (handle_reload), self);

  g_signal_connect (self->iface, "handle-get-unit", G_CALLBACK (handle_get_unit), self);
  g_signal_connect (self->iface, "handle-get-domain", G_CALLBACK (handle_get_domain), self);
  g_signal_connect (self->iface, "handle-list-devices", G_CALLBACK (handle_list_devices), self);

  g_signal_connect (udev, "event", G_CALLBACK (on_udev_event), self);
  g_signal_connect (udev, "resync", G_CALLBACK (on_udev_resync), self);
  g_signal_connect (udev, "notify::resyncs", G_CALLBACK (on_resyncs_changed), self);
  g_signal_connect (udev, "notify::overflows", G_CALLBACK (on_overflows_changed), self);
  g_signal_connect (udev, "notify::events-received", G_CALLBACK (on_events_received_changed), self);
  g_signal_connect (platform, "unit-added", G_CALLBACK (on_unit_added), self);
  g_signal_connect (platform, "unit-removed", G_CALLBACK (on_unit_removed), self);
  g_signal_connect (platform, "domain-added", G_CALLBACK (on_domain_added), self);

  /* units the platform already has (a platform fed before the manager) */
  units = hotplug_platform_get_units (platform);
  for (guint i = 0; i < units->len; i++)
    on_unit_added (platform, g_ptr_array_index (units, i), self);
  domains = hotplug_platform_get_domains (platform);
  for (guint i = 0; i < domains->len; i++)
    on_domain_added (platform, g_ptr_array_index (domains, i), self);
  return self;
}
