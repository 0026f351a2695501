/* The platform that simulated hosts share: who owns each shared domain.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <glib-unix.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "hotplug-sim-fabric.h"

struct _HotplugSimFabric {
  char                    *dir;
  char                    *host;
  char                    *host_file;
  int                      ifd;
  guint                    source;
  HotplugSimFabricChanged  on_change;
  gpointer                 data;
};

static char *
domain_file (HotplugSimFabric *self, guint domain, const char *suffix)
{
  g_autofree char *name = g_strdup_printf ("domain-%04x%s", domain, suffix);

  return g_build_filename (self->dir, name, NULL);
}

HotplugSimFabric *
hotplug_sim_fabric_new (const char *dir, const char *host, GError **error)
{
  g_autoptr(HotplugSimFabric) self = g_new0 (HotplugSimFabric, 1);
  g_autofree char *name = g_strdup_printf ("host-%s", host);
  g_autofree char *pid = g_strdup_printf ("%d\n", (int) getpid ());

  self->ifd = -1;
  self->dir = g_strdup (dir);
  self->host = g_strdup (host);
  if (g_mkdir_with_parents (dir, 0755) < 0)
    return g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "cannot create the fabric %s: %s",
                        dir, g_strerror (errno)), NULL;
  self->host_file = g_build_filename (dir, name, NULL);
  if (!g_file_set_contents (self->host_file, pid, -1, error))
    {
      g_clear_pointer (&self->host_file, g_free);
      return NULL;
    }
  return g_steal_pointer (&self);
}

void
hotplug_sim_fabric_free (HotplugSimFabric *self)
{
  if (self == NULL)
    return;
  if (self->source)
    g_source_remove (self->source);
  if (self->ifd >= 0)
    close (self->ifd);
  if (self->host_file)
    unlink (self->host_file);
  g_free (self->host_file);
  g_free (self->dir);
  g_free (self->host);
  g_free (self);
}

const char *
hotplug_sim_fabric_host (HotplugSimFabric *self)
{
  return self->host;
}

static gboolean
on_inotify (int fd, GIOCondition cond, gpointer data)
{
  HotplugSimFabric *self = data;
  char buf[16 * 1024] __attribute__ ((aligned (__alignof__ (struct inotify_event))));
  ssize_t n;

  while ((n = read (fd, buf, sizeof buf)) > 0)
    for (char *p = buf; p < buf + n;)
      {
        const struct inotify_event *ev = (const struct inotify_event *) (gpointer) p;
        unsigned domain;
        char tail;

        p += sizeof *ev + ev->len;
        if (ev->len && sscanf (ev->name, "domain-%4x%c", &domain, &tail) == 1 && strlen (ev->name) == 11)
          self->on_change (domain, self->data);
      }
  return G_SOURCE_CONTINUE;
}

gboolean
hotplug_sim_fabric_watch (HotplugSimFabric *self, HotplugSimFabricChanged on_change, gpointer data,
                          GError **error)
{
  self->on_change = on_change;
  self->data = data;
  self->ifd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
  if (self->ifd < 0 || inotify_add_watch (self->ifd, self->dir, IN_MOVED_TO | IN_CREATE | IN_CLOSE_WRITE) < 0)
    return g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot watch the fabric %s: %s",
                        self->dir, g_strerror (errno)), FALSE;
  self->source = g_unix_fd_add (self->ifd, G_IO_IN, on_inotify, self);
  return TRUE;
}

gboolean
hotplug_sim_fabric_claim (HotplugSimFabric *self, guint domain, const char *owner, GError **error)
{
  g_autofree char *file = domain_file (self, domain, "");
  g_autofree char *tmp = g_strdup_printf ("%s.%s.new", file, self->host);
  g_autofree char *text = g_strdup_printf ("%s\n", owner);
  gboolean ok;

  /* link() creates the name only where there is none: the first host to
   * start decides, and nobody ever sees an empty owner file */
  if (!g_file_set_contents (tmp, text, -1, error))
    return FALSE;
  ok = link (tmp, file) == 0 || errno == EEXIST;
  if (!ok)
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "cannot create %s: %s", file,
                 g_strerror (errno));
  unlink (tmp);
  return ok;
}

char *
hotplug_sim_fabric_owner (HotplugSimFabric *self, guint domain)
{
  g_autofree char *file = domain_file (self, domain, "");
  g_autofree char *text = NULL;

  if (!g_file_get_contents (file, &text, NULL, NULL))
    return NULL;
  g_strstrip (text);
  return *text ? g_steal_pointer (&text) : NULL;
}

gboolean
hotplug_sim_fabric_set_owner (HotplugSimFabric *self, guint domain, const char *owner, GError **error)
{
  g_autofree char *file = domain_file (self, domain, "");
  g_autofree char *text = g_strdup_printf ("%s\n", owner);

  /* a temporary file renamed over the old one */
  return g_file_set_contents (file, text, -1, error);
}

void
hotplug_sim_fabric_publish (HotplugSimFabric *self, guint domain, guint count)
{
  g_autofree char *file = domain_file (self, domain, ".devices");
  g_autofree char *text = g_strdup_printf ("%s %u\n", self->host, count);
  g_autoptr(GError) error = NULL;

  if (!g_file_set_contents (file, text, -1, &error))
    g_warning ("%s", error->message);
}

int
hotplug_sim_fabric_devices_of (HotplugSimFabric *self, guint domain, const char *owner)
{
  g_autofree char *file = domain_file (self, domain, ".devices");
  g_autofree char *text = NULL;
  g_auto(GStrv) f = NULL;
  guint64 n;

  if (!g_file_get_contents (file, &text, NULL, NULL))
    return -1;
  f = g_strsplit (g_strstrip (text), " ", 2);
  if (f[0] == NULL || f[1] == NULL || !g_str_equal (f[0], owner) ||
      !g_ascii_string_to_unsigned (f[1], 10, 0, G_MAXINT, &n, NULL))
    return -1;
  return n;
}

char *
hotplug_sim_fabric_peer (HotplugSimFabric *self)
{
  g_autoptr(GDir) d = g_dir_open (self->dir, 0, NULL);
  char *peer = NULL;
  const char *e;

  while (d && (e = g_dir_read_name (d)))
    {
      if (!g_str_has_prefix (e, "host-") || g_str_equal (e + 5, self->host))
        continue;
      if (peer)
        {
          g_free (peer);
          return NULL;
        }
      peer = g_strdup (e + 5);
    }
  return peer;
}
