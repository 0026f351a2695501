/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <unistd.h>

#include <gio/gunixfdlist.h>

#include "hotplug-inhibit.h"
#include "hotplug-log.h"

#define TOPIC "daemon"

struct _HotplugInhibit
{
  GDBusConnection *connection;
  GCancellable    *cancellable;
  gboolean         wanted;
  gboolean         asking;
  gboolean         no_logind;   /* said once */
  char            *why;
  int              fd;          /* the lock: -1 when not held */
};

static void ask (HotplugInhibit *self);

static void
release (HotplugInhibit *self)
{
  if (self->fd >= 0)
    {
      close (self->fd);
      self->fd = -1;
    }
}

static void
on_inhibit (GObject *source, GAsyncResult *res, gpointer user_data)
{
  HotplugInhibit *self = user_data;
  g_autoptr(GUnixFDList) fds = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_with_unix_fd_list_finish (G_DBUS_CONNECTION (source), &fds,
                                                                              res, &error);
  gint32 index = -1;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->asking = FALSE;
  if (reply == NULL)
    {
      if (!self->no_logind)
        hotplug_log_full (G_LOG_LEVEL_INFO, TOPIC, NULL, NULL, NULL, NULL,
                          "no shutdown delay lock while jobs run: %s", error->message);
      self->no_logind = TRUE;
      return;
    }
  g_variant_get (reply, "(h)", &index);
  release (self);
  if (fds && index >= 0 && index < g_unix_fd_list_get_length (fds))
    self->fd = g_unix_fd_list_get (fds, index, NULL);
  /* the job may have ended while logind answered */
  if (!self->wanted)
    release (self);
}

static void
ask (HotplugInhibit *self)
{
  if (self->connection == NULL || self->asking || self->fd >= 0)
    return;
  self->asking = TRUE;
  g_dbus_connection_call_with_unix_fd_list (self->connection, "org.freedesktop.login1", "/org/freedesktop/login1",
                                            "org.freedesktop.login1.Manager", "Inhibit",
                                            g_variant_new ("(ssss)", "shutdown", "hotplugd",
                                                           self->why ? self->why : "a hotplug job is running",
                                                           "delay"),
                                            G_VARIANT_TYPE ("(h)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, 5000, NULL,
                                            self->cancellable, on_inhibit, self);
}

HotplugInhibit *
hotplug_inhibit_new (void)
{
  HotplugInhibit *self = g_new0 (HotplugInhibit, 1);

  self->fd = -1;
  self->cancellable = g_cancellable_new ();
  return self;
}

void
hotplug_inhibit_free (HotplugInhibit *self)
{
  if (self == NULL)
    return;
  g_cancellable_cancel (self->cancellable);
  g_object_unref (self->cancellable);
  release (self);
  g_clear_object (&self->connection);
  g_free (self->why);
  g_free (self);
}

void
hotplug_inhibit_set_connection (HotplugInhibit *self, GDBusConnection *connection)
{
  g_set_object (&self->connection, connection);
  if (self->wanted)
    ask (self);
}

void
hotplug_inhibit_hold (HotplugInhibit *self, gboolean hold, const char *why)
{
  self->wanted = hold;
  if (why)
    {
      g_free (self->why);
      self->why = g_strdup (why);
    }
  if (hold)
    ask (self);
  else
    release (self);
}

gboolean
hotplug_inhibit_is_held (HotplugInhibit *self)
{
  return self->fd >= 0;
}
