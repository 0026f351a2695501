/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hotplug-log.h"
#include "hotplug-notify.h"

gboolean
hotplug_notify (const char *state, GError **error)
{
  const char *path = g_getenv ("NOTIFY_SOCKET");
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  socklen_t len;
  size_t n;
  int fd, e;
  ssize_t r;

  if (path == NULL || *path == '\0')
    return TRUE;
  n = strlen (path);
  if ((path[0] != '/' && path[0] != '@') || n >= sizeof sa.sun_path)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "NOTIFY_SOCKET “%s” is not a socket address",
                   path);
      return FALSE;
    }
  memcpy (sa.sun_path, path, n);
  if (path[0] == '@')
    sa.sun_path[0] = '\0';
  /* an abstract address is exactly as long as its name */
  len = offsetof (struct sockaddr_un, sun_path) + n + (path[0] == '@' ? 0 : 1);
  fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    {
      e = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "cannot notify the service manager: %s",
                   g_strerror (e));
      return FALSE;
    }
  r = sendto (fd, state, strlen (state), MSG_NOSIGNAL, (struct sockaddr *) &sa, len);
  e = errno;
  close (fd);
  if (r < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "cannot notify the service manager at %s: %s",
                   path, g_strerror (e));
      return FALSE;
    }
  return TRUE;
}

void
hotplug_notify_status (const char *format, ...)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *state = NULL;
  va_list ap;

  if (g_getenv ("NOTIFY_SOCKET") == NULL)
    return;
  va_start (ap, format);
  text = g_strdup_vprintf (format, ap);
  va_end (ap);
  /* one line: the protocol is newline-separated */
  g_strdelimit (text, "\n", ' ');
  state = g_strconcat ("STATUS=", text, NULL);
  if (!hotplug_notify (state, &error))
    hotplug_log_ratelimited (G_LOG_LEVEL_WARNING, "notify", "daemon", NULL, NULL, NULL, "%s", error->message);
}
