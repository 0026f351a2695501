/* hotplugctl — following a job: subscribe to its signals before the call
 * that starts it, start it, read its property changes and signals until it
 * ends, cancel it on Ctrl-C. The same for a unit's add, remove and replace
 * and a domain's switchover and connect.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "ctl-follow.h"
#include "hotplug-error.h"
#include "hotplug-names.h"

#define HOTPLUG_CTL_DBUS_PROPERTIES "org.freedesktop.DBus.Properties"
#define HOTPLUG_CTL_DBUS_OBJECT_MANAGER "org.freedesktop.DBus.ObjectManager"

/* A signal that came before the job's path was known: the daemon may emit
 * the first steps before it replies, and they are replayed once it has. */
typedef struct
{
  char     *path;
  char     *interface;
  char     *member;
  GVariant *parameters;
} HotplugCtlSignal;

static void
hotplug_ctl_signal_free (gpointer data)
{
  HotplugCtlSignal *signal = data;

  g_free (signal->path);
  g_free (signal->interface);
  g_free (signal->member);
  g_variant_unref (signal->parameters);
  g_free (signal);
}

static gboolean
hotplug_ctl_follow_is_domain (const HotplugCtlJobRequest *request)
{
  return g_str_equal (request->interface, HOTPLUG_DBUS_IFACE_DOMAIN);
}

void
hotplug_ctl_follow_call_error (const HotplugCtlJobRequest *request, GError *error)
{
  if (g_error_matches (error, HOTPLUG_ERROR, HOTPLUG_ERROR_NO_SUCH_UNIT))
    {
      if (hotplug_ctl_follow_is_domain (request))
        hotplug_ctl_error (_("no such domain: %s"), request->target);
      else
        hotplug_ctl_error (_("no such unit: %s"), request->target);
      return;
    }
  g_dbus_error_strip_remote_error (error);
  /* TRANSLATORS: "cannot remove sb1: unit sb1 has a job running" */
  hotplug_ctl_error (_("cannot %s %s: %s"), request->operation, request->target, error->message);
}

/* What the target's own properties say of a job that went away: a unit
 * keeps its last job's outcome; a domain's connection state tells whether
 * a switchover or connect got where it was going. NULL when they do not
 * tell. */
static const char *
hotplug_ctl_follow_outcome (HotplugCtlFollow *self, GVariant *props, const char **reason)
{
  const char *state = NULL, *operation = NULL, *connection = NULL;

  g_variant_lookup (props, "LastJobState", "&s", &state);
  g_variant_lookup (props, "LastJobOperation", "&s", &operation);
  g_variant_lookup (props, "LastJobReason", "&s", reason);
  if (state != NULL && *state != '\0' &&
      (operation == NULL || *operation == '\0' || g_str_equal (operation, self->operation)))
    return state;
  *reason = NULL;
  if (!g_variant_lookup (props, "ConnectionState", "&s", &connection) || self->request->dry_run)
    return NULL;
  if (g_str_equal (self->operation, "switchover") &&
      (g_str_equal (connection, "disconnected") || g_str_equal (connection, "inactive")))
    return "succeeded";
  if (g_str_equal (self->operation, "connect") && g_str_equal (connection, "connected"))
    return "succeeded";
  return NULL;
}

/* The job object went away before its end was seen (it lingers a while
 * after it ends, so this is rare): the target may keep the outcome. */
static void
hotplug_ctl_follow_from_target (HotplugCtlFollow *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  /* The object manager's copy may lag behind: ask. */
  reply = g_dbus_connection_call_sync (self->ctl->bus, HOTPLUG_DBUS_NAME, self->request->target_path,
                                       HOTPLUG_CTL_DBUS_PROPERTIES, "GetAll",
                                       g_variant_new ("(s)", self->request->interface),
                                       G_VARIANT_TYPE ("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                       &error);
  if (reply != NULL)
    {
      g_autoptr(GVariant) props = g_variant_get_child_value (reply, 0);
      const char *reason = NULL;
      const char *state = hotplug_ctl_follow_outcome (self, props, &reason);

      if (state != NULL)
        {
          hotplug_ctl_follow_report (self, state, reason);
          return;
        }
    }
  else
    g_debug ("last job of %s: %s", self->target, error->message);
  hotplug_ctl_follow_clear_progress (self);
  hotplug_ctl_error (_("job %u went away before it ended; the outcome of %s %s is unknown"),
                     self->job_id, self->operation, self->target);
  hotplug_ctl_follow_quit (self, HOTPLUG_CTL_EXIT_ERROR);
}

static void hotplug_ctl_follow_job_changed (HotplugCtlFollow *self, GVariant *changed);

static gboolean
hotplug_ctl_follow_is_end (const char *state)
{
  return state != NULL && *state != '\0' && !g_str_equal (state, "running");
}

static void
hotplug_ctl_follow_job_props (GObject      *source,
                              GAsyncResult *result,
                              gpointer      user_data)
{
  HotplugCtlFollow *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) props = NULL;
  const char *state = NULL, *reason = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (self->done)
    return;
  if (reply == NULL)
    {
      /* Gone meanwhile: the target may keep the outcome. */
      g_debug ("job %s: %s", self->job_path, error->message);
      hotplug_ctl_follow_from_target (self);
      return;
    }
  props = g_variant_get_child_value (reply, 0);
  g_variant_lookup (props, "State", "&s", &state);
  g_variant_lookup (props, "Reason", "&s", &reason);
  if (hotplug_ctl_follow_is_end (state))
    {
      hotplug_ctl_follow_report (self, state, reason ?: self->reason);
      return;
    }
  if (self->ending)
    {
      /* The end was announced; a daemon that says otherwise now is not
       * believed over its own signal. */
      hotplug_ctl_follow_report (self, self->state, self->reason);
      return;
    }
  /* A first look at a running job: seed the progress line. */
  hotplug_ctl_follow_job_changed (self, props);
}

/* Reads the job's properties: once after the reply, to catch up with a job
 * that ended before it (a no-op that succeeds at once), and once at the end,
 * so that the reason is the daemon's last word whatever order its property
 * changes came in. Replies come in order with the signals. */
static void
hotplug_ctl_follow_read_job (HotplugCtlFollow *self)
{
  g_dbus_connection_call (self->ctl->bus, self->owner, self->job_path,
                          HOTPLUG_CTL_DBUS_PROPERTIES, "GetAll",
                          g_variant_new ("(s)", HOTPLUG_DBUS_IFACE_JOB),
                          G_VARIANT_TYPE ("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                          hotplug_ctl_follow_job_props, self);
}

static gboolean
hotplug_ctl_follow_replace_text (char **field, GVariant *changed, const char *name)
{
  const char *text;

  if (!g_variant_lookup (changed, name, "&s", &text))
    return FALSE;
  g_free (*field);
  *field = g_strdup (text);
  return TRUE;
}

/* Pending, PendingReason and PendingSince: read only where the daemon has
 * them (an older one does not: nothing is pending then). */
static void
hotplug_ctl_follow_pending_changed (HotplugCtlFollow *self, GVariant *changed)
{
  const char *pending = NULL, *reason = NULL;
  guint64 since = 0;
  gboolean has_since;

  g_variant_lookup (changed, "Pending", "&s", &pending);
  g_variant_lookup (changed, "PendingReason", "&s", &reason);
  has_since = g_variant_lookup (changed, "PendingSince", "t", &since);
  if (pending != NULL || reason != NULL || has_since)
    hotplug_ctl_follow_set_pending (self, pending, reason, has_since ? &since : NULL);
}

static void
hotplug_ctl_follow_job_changed (HotplugCtlFollow *self, GVariant *changed)
{
  const char *text = NULL;
  guint progress;
  guint64 window_end;
  gboolean redraw = FALSE;

  if (g_variant_lookup (changed, "Phase", "&s", &text))
    hotplug_ctl_follow_set_phase (self, text);
  redraw |= hotplug_ctl_follow_replace_text (&self->step, changed, "Step");
  redraw |= hotplug_ctl_follow_replace_text (&self->hook, changed, "Hook");
  if (g_variant_lookup (changed, "Progress", "u", &progress))
    {
      self->progress = progress;
      redraw = TRUE;
    }
  hotplug_ctl_follow_replace_text (&self->reason, changed, "Reason");
  if (g_variant_lookup (changed, "State", "&s", &text) && hotplug_ctl_follow_is_end (text))
    {
      g_free (self->state);
      self->state = g_strdup (text);
      self->ending = TRUE;
      hotplug_ctl_follow_clear_progress (self);
      hotplug_ctl_follow_read_job (self);
      return;
    }
  hotplug_ctl_follow_pending_changed (self, changed);
  if (g_variant_lookup (changed, "WindowEnd", "t", &window_end))
    {
      hotplug_ctl_follow_clear_progress (self);
      hotplug_ctl_window_changed (self->ctl, self->job_path, (gint64) window_end);
    }
  if (redraw)
    hotplug_ctl_follow_draw_progress (self);
}

static void
hotplug_ctl_follow_dispatch (HotplugCtlFollow *self,
                             const char       *path,
                             const char       *interface,
                             const char       *member,
                             GVariant         *parameters)
{
  if (self->done || self->ending)
    return;

  if (g_str_equal (path, HOTPLUG_DBUS_PATH) &&
      g_str_equal (interface, HOTPLUG_CTL_DBUS_OBJECT_MANAGER) &&
      g_str_equal (member, "InterfacesRemoved") &&
      g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(oas)")))
    {
      const char *removed;

      g_variant_get (parameters, "(&o@as)", &removed, NULL);
      if (g_str_equal (removed, self->job_path))
        hotplug_ctl_follow_from_target (self);
      return;
    }

  if (!g_str_equal (path, self->job_path))
    return;

  if (g_str_equal (interface, HOTPLUG_CTL_DBUS_PROPERTIES) &&
      g_str_equal (member, "PropertiesChanged") &&
      g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(sa{sv}as)")))
    {
      const char *changed_interface;
      g_autoptr(GVariant) changed = NULL;

      g_variant_get (parameters, "(&s@a{sv}@as)", &changed_interface, &changed, NULL);
      if (g_str_equal (changed_interface, HOTPLUG_DBUS_IFACE_JOB))
        hotplug_ctl_follow_job_changed (self, changed);
      return;
    }

  if (!g_str_equal (interface, HOTPLUG_DBUS_IFACE_JOB))
    return;
  /* A daemon that sends a wrong signature gets ignored, not a crash. */
  if (g_str_equal (member, "StepStarted") &&
      g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(sus)")))
    hotplug_ctl_follow_step_started (self, parameters);
  else if (g_str_equal (member, "StepFinished") &&
           g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(ubs)")))
    hotplug_ctl_follow_step_finished (self, parameters);
  else if (g_str_equal (member, "HookFinished") &&
           g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(ssist)")))
    hotplug_ctl_follow_hook_finished (self, parameters);
}

static void
hotplug_ctl_follow_signal (GDBusConnection *bus,
                           const char      *sender,
                           const char      *path,
                           const char      *interface,
                           const char      *member,
                           GVariant        *parameters,
                           gpointer         user_data)
{
  HotplugCtlFollow *self = user_data;

  if (self->job_path == NULL)
    {
      HotplugCtlSignal *signal = g_new0 (HotplugCtlSignal, 1);

      signal->path = g_strdup (path);
      signal->interface = g_strdup (interface);
      signal->member = g_strdup (member);
      signal->parameters = g_variant_ref (parameters);
      g_ptr_array_add (self->early, signal);
      return;
    }
  hotplug_ctl_follow_dispatch (self, path, interface, member, parameters);
}

static void
hotplug_ctl_follow_cancelled (GObject      *source,
                              GAsyncResult *result,
                              gpointer      user_data)
{
  HotplugCtlFollow *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL && !self->done)
    {
      g_dbus_error_strip_remote_error (error);
      hotplug_ctl_follow_clear_progress (self);
      hotplug_ctl_error (_("cannot cancel job %u: %s"), self->job_id, error->message);
      hotplug_ctl_follow_draw_progress (self);
    }
}

static void
hotplug_ctl_follow_cancel (HotplugCtlFollow *self)
{
  hotplug_ctl_follow_clear_progress (self);
  /* TRANSLATORS: after the first Ctrl-C; %s is an ellipsis */
  fprintf (stderr, _("cancelling job %u%s (Ctrl-C again to detach)\n"),
           self->job_id, hotplug_ctl_ellipsis (self->ctl));
  fflush (stderr);
  hotplug_ctl_follow_draw_progress (self);
  /* Keep following: the rollback is worth seeing. */
  g_dbus_connection_call (self->ctl->bus, self->owner, self->job_path,
                          HOTPLUG_DBUS_IFACE_JOB, "Cancel", NULL, G_VARIANT_TYPE ("()"),
                          G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION, G_MAXINT, NULL,
                          hotplug_ctl_follow_cancelled, self);
}

static gboolean
hotplug_ctl_follow_interrupted (gpointer user_data)
{
  HotplugCtlFollow *self = user_data;

  if (self->done)
    return G_SOURCE_CONTINUE;
  self->interrupts++;
  if (self->interrupts == 1)
    {
      /* Before the reply, the cancel waits for the job's path. */
      if (self->job_path != NULL)
        hotplug_ctl_follow_cancel (self);
      return G_SOURCE_CONTINUE;
    }

  hotplug_ctl_follow_clear_progress (self);
  if (self->job_path != NULL)
    hotplug_ctl_error (_("detached; job %u keeps running"), self->job_id);
  else
    hotplug_ctl_error (_("detached; %s %s may still start"), self->operation, self->target);
  hotplug_ctl_follow_quit (self, HOTPLUG_CTL_EXIT_DETACHED);
  return G_SOURCE_CONTINUE;
}

static void
hotplug_ctl_follow_vanished (GDBusConnection *bus,
                             const char      *name,
                             gpointer         user_data)
{
  HotplugCtlFollow *self = user_data;

  if (self->done)
    return;
  hotplug_ctl_follow_clear_progress (self);
  if (self->job_path != NULL)
    hotplug_ctl_error (_("hotplugd went away; the outcome of job %u is unknown"), self->job_id);
  else
    hotplug_ctl_error (_("hotplugd went away"));
  hotplug_ctl_follow_quit (self, HOTPLUG_CTL_EXIT_ERROR);
}

static guint
hotplug_ctl_follow_job_id (const char *path)
{
  g_autofree char *number = hotplug_ctl_job_number (path);
  guint64 id = 0;

  if (number != NULL)
    g_ascii_string_to_unsigned (number, 10, 0, G_MAXUINT32, &id, NULL);
  return (guint) id;
}

static void
hotplug_ctl_follow_started (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  HotplugCtlFollow *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GPtrArray) early = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (self->done)
    return;
  if (reply == NULL)
    {
      hotplug_ctl_follow_call_error (self->request, error);
      hotplug_ctl_follow_quit (self, HOTPLUG_CTL_EXIT_ERROR);
      return;
    }

  g_variant_get (reply, "(o)", &self->job_path);
  self->job_id = hotplug_ctl_follow_job_id (self->job_path);
  if (self->request->dry_run)
    /* TRANSLATORS: the first line when following: "remove sb1: job 7 (dry run)" */
    hotplug_ctl_follow_print (self, _("%s %s: job %u (dry run)"), self->operation,
                              self->target, self->job_id);
  else
    /* TRANSLATORS: the first line when following: "remove sb1: job 7" */
    hotplug_ctl_follow_print (self, _("%s %s: job %u"), self->operation, self->target,
                              self->job_id);

  early = g_steal_pointer (&self->early);
  for (guint i = 0; i < early->len; i++)
    {
      HotplugCtlSignal *signal = early->pdata[i];

      hotplug_ctl_follow_dispatch (self, signal->path, signal->interface, signal->member,
                                   signal->parameters);
    }

  if (self->interrupts == 1)
    hotplug_ctl_follow_cancel (self);
  if (!self->done && !self->ending)
    hotplug_ctl_follow_read_job (self);
}

/* The match rule the daemon's job signals need, added before the method is
 * called so that the bus delivers even the first step. */
static gboolean
hotplug_ctl_follow_add_match (HotplugCtlFollow *self, GError **error)
{
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *rule = g_strdup_printf ("type='signal',sender='%s',path_namespace='%s'",
                                           HOTPLUG_DBUS_NAME, HOTPLUG_DBUS_JOB_PATH);

  reply = g_dbus_connection_call_sync (self->ctl->bus, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "AddMatch", g_variant_new ("(s)", rule), NULL,
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  return reply != NULL;
}

int
hotplug_ctl_parse_timeout (GOptionContext *context,
                           const char     *text,
                           gboolean       *has_timeout,
                           guint32        *timeout)
{
  guint64 value = 0;

  *has_timeout = text != NULL;
  if (text == NULL)
    return 0;
  if (!g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT32, &value, NULL))
    {
      g_autofree char *message = g_strdup_printf (_("invalid timeout: %s (seconds, 1 or more)"), text);

      return hotplug_ctl_usage_error (context, message);
    }
  *timeout = (guint32) value;
  return 0;
}

int
hotplug_ctl_follow_no_wait (HotplugCtl *ctl, const HotplugCtlJobRequest *request)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *number = NULL;
  const char *job_path;

  reply = g_dbus_connection_call_sync (ctl->bus, HOTPLUG_DBUS_NAME, request->target_path,
                                       request->interface, request->method,
                                       g_variant_new ("(@a{sv})", request->options),
                                       G_VARIANT_TYPE ("(o)"),
                                       G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION,
                                       G_MAXINT, NULL, &error);
  if (reply == NULL)
    {
      hotplug_ctl_follow_call_error (request, error);
      return HOTPLUG_CTL_EXIT_ERROR;
    }
  g_variant_get (reply, "(&o)", &job_path);
  number = hotplug_ctl_job_number (job_path);
  /* TRANSLATORS: --no-wait: "job 7 /org/hotplugd/Hotplug1/job/7" */
  printf (_("job %s %s\n"), hotplug_ctl_or_dash (number), job_path);
  return HOTPLUG_CTL_EXIT_OK;
}

/* Subscribe first, then call: the job's first steps may come before the
 * reply that names it. The match rule is ours; GDBus need not add its own
 * for every path. */
static gboolean
hotplug_ctl_follow_subscribe (HotplugCtlFollow *self)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *bus = self->ctl->bus;

  if (self->owner == NULL || !hotplug_ctl_follow_add_match (self, &error))
    {
      if (error != NULL)
        hotplug_ctl_print_gerror (error);
      else
        hotplug_ctl_error (_("hotplugd went away"));
      return FALSE;
    }
  self->job_signals = g_dbus_connection_signal_subscribe (bus, self->owner, NULL, NULL, NULL, NULL,
                                                          G_DBUS_SIGNAL_FLAGS_NO_MATCH_RULE,
                                                          hotplug_ctl_follow_signal, self, NULL);
  self->removals = g_dbus_connection_signal_subscribe (bus, self->owner, HOTPLUG_CTL_DBUS_OBJECT_MANAGER,
                                                       "InterfacesRemoved", HOTPLUG_DBUS_PATH, NULL,
                                                       G_DBUS_SIGNAL_FLAGS_NONE,
                                                       hotplug_ctl_follow_signal, self, NULL);
  self->owner_watch = g_bus_watch_name_on_connection (bus, HOTPLUG_DBUS_NAME,
                                                      G_BUS_NAME_WATCHER_FLAGS_NONE, NULL,
                                                      hotplug_ctl_follow_vanished, self, NULL);
  self->sigint = g_unix_signal_add (SIGINT, hotplug_ctl_follow_interrupted, self);
  return TRUE;
}

static void
hotplug_ctl_follow_clear (HotplugCtlFollow *self)
{
  GDBusConnection *bus = self->ctl->bus;

  hotplug_ctl_window_stop ();
  g_clear_handle_id (&self->sigint, g_source_remove);
  g_clear_handle_id (&self->owner_watch, g_bus_unwatch_name);
  g_clear_handle_id (&self->pending_tick, g_source_remove);
  if (self->job_signals)
    g_dbus_connection_signal_unsubscribe (bus, self->job_signals);
  if (self->removals)
    g_dbus_connection_signal_unsubscribe (bus, self->removals);
  /* Let calls still under way finish with self->done set before self
   * goes out of scope. */
  self->done = TRUE;
  g_dbus_connection_flush_sync (bus, NULL, NULL);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_pointer (&self->early, g_ptr_array_unref);
  g_hash_table_unref (self->steps);
  g_main_loop_unref (self->loop);
  g_free (self->owner);
  g_free (self->job_path);
  g_free (self->phase);
  g_free (self->step);
  g_free (self->hook);
  g_free (self->reason);
  g_free (self->state);
  g_free (self->pending);
  g_free (self->pending_reason);
}

int
hotplug_ctl_follow_run (HotplugCtl *ctl, const HotplugCtlJobRequest *request)
{
  HotplugCtlFollow self = { 0 };

  self.ctl = ctl;
  self.request = request;
  self.operation = request->operation;
  self.target = request->target;
  self.loop = g_main_loop_new (NULL, FALSE);
  self.early = g_ptr_array_new_with_free_func (hotplug_ctl_signal_free);
  self.steps = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  self.owner = g_dbus_object_manager_client_get_name_owner (G_DBUS_OBJECT_MANAGER_CLIENT (ctl->objects));
  self.status = HOTPLUG_CTL_EXIT_ERROR;

  if (hotplug_ctl_follow_subscribe (&self))
    {
      /* No timeout: polkit may ask the user for a password first. */
      g_dbus_connection_call (ctl->bus, self.owner, request->target_path, request->interface,
                              request->method, g_variant_new ("(@a{sv})", request->options),
                              G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION,
                              G_MAXINT, NULL, hotplug_ctl_follow_started, &self);
      g_main_loop_run (self.loop);
    }
  hotplug_ctl_follow_clear (&self);
  return self.status;
}
