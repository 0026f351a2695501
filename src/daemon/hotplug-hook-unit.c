/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A hook as a transient systemd unit of its own: started with
 * StartTransientUnit on the system bus, followed through the unit's
 * PropertiesChanged, stopped by signalling its whole cgroup.  The hook
 * gets the rights of a plain system service, not the daemon's sandbox;
 * its output comes back through the same pipe as a directly spawned
 * hook's, so the runner above cannot tell the two apart. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <gio/gunixfdlist.h>

#include "hotplug-hooks-private.h"
#include "hotplug-log.h"

#define SD_NAME      "org.freedesktop.systemd1"
#define SD_PATH      "/org/freedesktop/systemd1"
#define SD_MANAGER   "org.freedesktop.systemd1.Manager"
#define SD_UNIT      "org.freedesktop.systemd1.Unit"
#define SD_SERVICE   "org.freedesktop.systemd1.Service"
#define SD_NO_UNIT   "org.freedesktop.systemd1.NoSuchUnit"
#define SD_UNIT_EXISTS "org.freedesktop.systemd1.UnitExists"
/* names tried when a unit of that name exists already */
#define UNIT_TRIES   8
#define UNIT_MAX     255
#define SYSTEMD_RUN_DIR "/run/systemd/system"

/* waitid() codes of ExecMainCode */
#define EXEC_EXITED 1

static void
append_escaped (GString *s, const char *text, gsize max)
{
  for (const char *p = text; *p; p++)
    {
      guchar c = (guchar) *p;
      gsize need = g_ascii_isalnum (c) || c == '-' || c == '_' || c == '.' || c == ':' ? 1 : 4;

      if (s->len + need > max)
        break;
      if (need == 1)
        g_string_append_c (s, (char) c);
      else
        g_string_append_printf (s, "\\x%02x", c);
    }
}

char *
hotplug_hook_unit_name (const char *job, const char *hook, guint seq)
{
  GString *s = g_string_new ("hotplugd-hook-");
  gsize max = UNIT_MAX - strlen (".service");

  append_escaped (s, job && *job ? job : "0", max);
  g_string_append_printf (s, "-%u-", seq);
  /* a hook name of 255 bytes is cut: the sequence number keeps it unique */
  append_escaped (s, hook, max);
  g_string_append (s, ".service");
  return g_string_free (s, FALSE);
}

char *
hotplug_hook_unit_path (const char *unit)
{
  GString *s = g_string_new (SD_PATH "/unit/");

  for (const char *p = unit; *p; p++)
    {
      if (g_ascii_isalnum (*p) && !(p == unit && g_ascii_isdigit (*p)))
        g_string_append_c (s, *p);
      else
        g_string_append_printf (s, "_%02x", (guchar) *p);
    }
  return g_string_free (s, FALSE);
}

gboolean
hotplug_hook_use_unit (RunData *d)
{
  switch (hotplug_config_get_hook_units (d->config))
    {
    case HOTPLUG_HOOK_UNITS_YES:
      return TRUE;
    case HOTPLUG_HOOK_UNITS_NO:
      return FALSE;
    case HOTPLUG_HOOK_UNITS_AUTO:
    default:
      /* systemd is PID 1 (sd_booted()'s test); its bus name is asked when
       * the unit is started */
      return !d->runner->no_systemd && g_file_test (SYSTEMD_RUN_DIR, G_FILE_TEST_IS_DIR);
    }
}

void
hotplug_hook_unit_clear (RunData *d)
{
  if (d->unit_cancel)
    {
      g_cancellable_cancel (d->unit_cancel);
      g_clear_object (&d->unit_cancel);
    }
  if (d->unit_sub && d->bus)
    g_dbus_connection_signal_unsubscribe (d->bus, d->unit_sub);
  d->unit_sub = 0;
  if (d->unit_out >= 0)
    close (d->unit_out);
  d->unit_out = -1;
  g_clear_object (&d->bus);
  g_clear_pointer (&d->unit_name, g_free);
  d->exec_code = 0;
  d->exec_status = 0;
  d->unit_seen_active = FALSE;
}

/* The unit is inactive or failed: its cgroup is empty. */
static void
unit_ended (RunData *d, const char *result)
{
  if (d->exec_code == EXEC_EXITED)
    hotplug_hook_exited (d, d->exec_status, 0);
  else if (d->exec_code != 0)
    hotplug_hook_exited (d, -1, d->exec_status);
  else
    {
      g_autofree char *why = g_strdup_printf ("unit %s ended without its process (%s)",
                                              d->unit_name, result ? result : "no result");

      hotplug_hook_spawn_failed (d, why);
    }
}

static void
on_unit_properties (GDBusConnection *bus, const char *sender, const char *path,
                    const char *iface, const char *signal, GVariant *params, gpointer user_data)
{
  RunData *d = user_data;
  g_autoptr(GVariant) changed = NULL;
  const char *interface, *state = NULL, *result = NULL;

  if (!g_variant_is_of_type (params, G_VARIANT_TYPE ("(sa{sv}as)")) || !d->running)
    return;
  g_variant_get (params, "(&s@a{sv}@as)", &interface, &changed, NULL);
  if (g_str_equal (interface, SD_SERVICE))
    {
      gint32 code = 0, status = 0;

      if (g_variant_lookup (changed, "ExecMainCode", "i", &code) && code != 0 &&
          g_variant_lookup (changed, "ExecMainStatus", "i", &status))
        {
          d->exec_code = code;
          d->exec_status = status;
        }
      return;
    }
  if (!g_str_equal (interface, SD_UNIT) || !g_variant_lookup (changed, "ActiveState", "&s", &state))
    return;
  if (!g_str_equal (state, "inactive") && !g_str_equal (state, "failed"))
    {
      d->unit_seen_active = TRUE;
      return;
    }
  /* a unit is inactive before it starts, too */
  if (d->unit_seen_active || d->exec_code != 0)
    {
      g_variant_lookup (changed, "SubState", "&s", &result);
      unit_ended (d, result);
    }
}

static void
on_kill_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), res, &error);
  RunData *d = user_data;
  g_autofree char *remote = NULL;

  if (reply || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  remote = g_dbus_error_get_remote_error (error);
  /* gone while we were not told: it ended, whatever it said is lost */
  if (d->running && g_strcmp0 (remote, SD_NO_UNIT) == 0)
    {
      hotplug_hook_log (d, G_LOG_LEVEL_MESSAGE, NULL, "Unit %s of hook %s is gone", d->unit_name,
                        d->record->name);
      unit_ended (d, "gone");
      return;
    }
  hotplug_hook_log (d, G_LOG_LEVEL_MESSAGE, NULL, "Cannot signal unit %s of hook %s: %s",
                    d->unit_name, d->record->name, error->message);
}

void
hotplug_hook_unit_kill (RunData *d, int sig)
{
  if (d->bus == NULL || d->unit_name == NULL)
    return;
  g_dbus_connection_call (d->bus, SD_NAME, SD_PATH, SD_MANAGER, "KillUnit",
                          g_variant_new ("(ssi)", d->unit_name, "all", sig), NULL,
                          G_DBUS_CALL_FLAGS_NONE, -1, d->unit_cancel, on_kill_done, d);
}

static gboolean
no_systemd_error (const GError *error)
{
  return g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
         g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED) ||
         g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_FILE_NOT_FOUND);
}

/* auto: systemd is not there after all; this and later hooks are spawned
 * directly. */
static gboolean
fall_back (RunData *d, const GError *error)
{
  g_autoptr(GError) local = NULL;
  int out = d->unit_out;

  if (hotplug_config_get_hook_units (d->config) != HOTPLUG_HOOK_UNITS_AUTO || !no_systemd_error (error))
    return FALSE;
  if (!d->runner->no_systemd)
    hotplug_hook_log (d, G_LOG_LEVEL_MESSAGE, NULL,
                      "systemd is not on the system bus (%s): hooks run as child processes", error->message);
  d->runner->no_systemd = TRUE;
  d->unit_out = -1;
  hotplug_hook_unit_clear (d);
  if (hotplug_hook_spawn_process (d, out, &local))
    hotplug_hook_spawned (d);
  else
    hotplug_hook_spawn_failed (d, local->message);
  return TRUE;
}

static void start_unit (RunData *d);

static gboolean
unit_exists (GError *error)
{
  g_autofree char *remote = g_dbus_error_get_remote_error (error);

  return g_strcmp0 (remote, SD_UNIT_EXISTS) == 0;
}

static void
on_unit_started (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_with_unix_fd_list_finish (G_DBUS_CONNECTION (source),
                                                                              NULL, res, &error);
  RunData *d = user_data;

  if (reply == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (reply == NULL && fall_back (d, error))
    return;
  if (reply == NULL && unit_exists (error) && ++d->unit_tries < UNIT_TRIES && !d->killing)
    {
      /* left by a daemon that ran before this one: the next number */
      g_dbus_connection_signal_unsubscribe (d->bus, d->unit_sub);
      d->unit_sub = 0;
      g_clear_pointer (&d->unit_name, g_free);
      start_unit (d);
      return;
    }
  /* systemd holds its own copy of the write end now */
  if (d->unit_out >= 0)
    close (d->unit_out);
  d->unit_out = -1;
  if (reply == NULL)
    {
      g_autofree char *message = NULL;

      g_dbus_error_strip_remote_error (error);
      message = g_strdup_printf ("cannot start unit %s: %s", d->unit_name, error->message);
      hotplug_hook_spawn_failed (d, message);
      return;
    }
  d->record->unit = g_strdup (d->unit_name);
  hotplug_hook_spawned (d);
}

static GVariant *
unit_properties (RunData *d)
{
  GVariantBuilder b;
  const char *argv[] = { d->hook->path, d->request->event, d->request->unit, NULL };
  guint64 grace = (guint64) (hotplug_config_get_kill_grace (d->config) * G_USEC_PER_SEC);
  g_autofree char *desc = g_strdup_printf ("hotplugd hook %s (%s of %s%s%s)", d->hook->name,
                                           d->request->event, d->request->unit,
                                           d->request->job ? ", job " : "",
                                           d->request->job ? d->request->job : "");

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(sv)"));
  g_variant_builder_add (&b, "(sv)", "Description", g_variant_new_string (desc));
  /* started once exec() worked; it ends with its main process */
  g_variant_builder_add (&b, "(sv)", "Type", g_variant_new_string ("exec"));
  g_variant_builder_add (&b, "(sv)", "ExecStart",
                         g_variant_new_parsed ("[(%s, %^as, false)]", d->hook->path, argv));
  g_variant_builder_add (&b, "(sv)", "Environment", g_variant_new_strv ((const char * const *) d->envp, -1));
  g_variant_builder_add (&b, "(sv)", "StandardInput", g_variant_new_string ("null"));
  g_variant_builder_add (&b, "(sv)", "StandardOutputFileDescriptor", g_variant_new_handle (0));
  g_variant_builder_add (&b, "(sv)", "StandardErrorFileDescriptor", g_variant_new_handle (0));
  g_variant_builder_add (&b, "(sv)", "SyslogIdentifier", g_variant_new_string (d->hook->name));
  /* whatever it forked ends with it; SIGKILL after the grace */
  g_variant_builder_add (&b, "(sv)", "KillMode", g_variant_new_string ("control-group"));
  g_variant_builder_add (&b, "(sv)", "TimeoutStopUSec", g_variant_new_uint64 (grace));
  /* a daemon that died cannot stop it: systemd does, a little later */
  g_variant_builder_add (&b, "(sv)", "RuntimeMaxUSec",
                         g_variant_new_uint64 ((guint64) (d->timeout_s * G_USEC_PER_SEC) + 2 * grace));
  g_variant_builder_add (&b, "(sv)", "CollectMode", g_variant_new_string ("inactive-or-failed"));
  return g_variant_builder_end (&b);
}

static void
start_unit (RunData *d)
{
  g_autoptr(GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  if (g_unix_fd_list_append (fds, d->unit_out, &error) < 0)
    {
      hotplug_hook_spawn_failed (d, error->message);
      return;
    }
  if (!d->runner->subscribed)
    {
      /* systemd sends unit signals only while someone subscribed; the
       * call goes out before the unit's, so none is missed */
      g_dbus_connection_call (d->bus, SD_NAME, SD_PATH, SD_MANAGER, "Subscribe", NULL, NULL,
                              G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL, NULL);
      d->runner->subscribed = TRUE;
    }
  d->unit_name = hotplug_hook_unit_name (d->request->job, d->hook->name, ++d->runner->unit_seq);
  path = hotplug_hook_unit_path (d->unit_name);
  d->unit_sub = g_dbus_connection_signal_subscribe (d->bus, SD_NAME, "org.freedesktop.DBus.Properties",
                                                    "PropertiesChanged", path, NULL,
                                                    G_DBUS_SIGNAL_FLAGS_NONE, on_unit_properties, d, NULL);
  g_dbus_connection_call_with_unix_fd_list (d->bus, SD_NAME, SD_PATH, SD_MANAGER, "StartTransientUnit",
                                            g_variant_new ("(ss@a(sv)a(sa(sv)))", d->unit_name, "fail",
                                                           unit_properties (d), NULL),
                                            G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE, -1, fds,
                                            d->unit_cancel, on_unit_started, d);
}

static void
on_bus (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *bus = g_bus_get_finish (res, &error);
  RunData *d = user_data;

  if (bus == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (bus == NULL)
    {
      g_autofree char *message = NULL;

      if (fall_back (d, error))
        return;
      message = g_strdup_printf ("cannot reach systemd: %s", error->message);
      hotplug_hook_spawn_failed (d, message);
      return;
    }
  d->bus = bus;
  if (d->killing)
    {
      /* cancelled before it could start */
      hotplug_hook_spawn_failed (d, "stopped before it started");
      return;
    }
  start_unit (d);
}

void
hotplug_hook_spawn_unit (RunData *d, int out)
{
  d->unit_out = out;
  d->unit_tries = 0;
  d->exec_code = 0;
  d->unit_seen_active = FALSE;
  d->unit_cancel = g_cancellable_new ();
  g_bus_get (G_BUS_TYPE_SYSTEM, d->unit_cancel, on_bus, d);
}

/* ---- Recovery ----------------------------------------------------------- */

static void
on_leftover_stopped (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autofree char *unit = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), res, &error);

  if (reply)
    hotplug_log_full (G_LOG_LEVEL_MESSAGE, "hooks", NULL, NULL, NULL, NULL,
                      "Killed unit %s of a hook left running", unit);
}

static void
on_recovery_bus (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_auto(GStrv) units = user_data;
  g_autoptr(GDBusConnection) bus = g_bus_get_finish (res, NULL);

  for (guint i = 0; bus && units[i]; i++)
    /* SIGKILL to the cgroup: the hook was owed its end long ago */
    g_dbus_connection_call (bus, SD_NAME, SD_PATH, SD_MANAGER, "KillUnit",
                            g_variant_new ("(ssi)", units[i], "all", SIGKILL), NULL,
                            G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_leftover_stopped, g_strdup (units[i]));
}

void
hotplug_hook_units_stop (const char * const *units)
{
  if (units == NULL || units[0] == NULL)
    return;
  g_bus_get (G_BUS_TYPE_SYSTEM, NULL, on_recovery_bus, g_strdupv ((char **) units));
}
