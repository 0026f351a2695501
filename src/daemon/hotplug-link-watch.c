/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <glib-unix.h>

#include "hotplug-link-watch.h"
#include "hotplug-log.h"

#define TOPIC "blockers"

struct _HotplugLinkWatch
{
  int                fd;
  guint              id;
  HotplugLinkChanged changed;
  gpointer           user_data;
};

/* Whatever the messages say, one call: the reader looks at sysfs anyway.
 * A queue that overflowed (ENOBUFS) lost some: a call too. */
static gboolean
on_readable (int fd, GIOCondition condition, gpointer user_data)
{
  HotplugLinkWatch *self = user_data;
  char buf[8192];
  gboolean any = FALSE;
  ssize_t n;

  while ((n = recv (fd, buf, sizeof buf, MSG_DONTWAIT)) != 0)
    {
      if (n > 0 || errno == ENOBUFS)
        {
          any = TRUE;
          continue;
        }
      if (errno == EINTR)
        continue;
      break;    /* EAGAIN: drained */
    }
  if (any)
    self->changed (self->user_data);
  return G_SOURCE_CONTINUE;
}

HotplugLinkWatch *
hotplug_link_watch_new (HotplugLinkChanged changed, gpointer user_data)
{
  struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
  HotplugLinkWatch *self = g_new0 (HotplugLinkWatch, 1);

  self->changed = changed;
  self->user_data = user_data;
  self->fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
  if (self->fd < 0 || bind (self->fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    {
      /* not fatal: the periodic refresh still sees a link's state */
      hotplug_log_full (G_LOG_LEVEL_INFO, TOPIC, NULL, NULL, NULL, NULL,
                        "not watching network links: %s", g_strerror (errno));
      if (self->fd >= 0)
        close (self->fd);
      self->fd = -1;
      return self;
    }
  self->id = g_unix_fd_add (self->fd, G_IO_IN, on_readable, self);
  return self;
}

void
hotplug_link_watch_free (HotplugLinkWatch *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id (&self->id, g_source_remove);
  if (self->fd >= 0)
    close (self->fd);
  g_free (self);
}
