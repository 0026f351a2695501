/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The service manager's notification protocol (sd_notify(3)) without
 * libsystemd: one datagram to $NOTIFY_SOCKET (a path, or an abstract
 * socket written with a leading '@').  Nothing happens without the
 * variable.  FALSE with the error when the socket cannot be written. */
gboolean hotplug_notify (const char *state, GError **error);
/* STATUS=… (what the daemon does, for systemctl status); errors logged */
void     hotplug_notify_status (const char *format, ...) G_GNUC_PRINTF (1, 2);

G_END_DECLS
