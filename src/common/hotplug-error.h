/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Registered with GDBus: a remote caller sees
 * org.hotplugd.Hotplug1.Error.<Name>, and g_dbus_error_strip_remote_error()
 * plus the domain give the code back on the client side. */
typedef enum {
  HOTPLUG_ERROR_FAILED,
  HOTPLUG_ERROR_NOT_AUTHORIZED,
  HOTPLUG_ERROR_NO_SUCH_UNIT,
  HOTPLUG_ERROR_INVALID_ARGUMENT,
  HOTPLUG_ERROR_NOT_PRESENT,
  HOTPLUG_ERROR_BUSY,
  HOTPLUG_ERROR_VETOED,
  HOTPLUG_ERROR_TIMEOUT,
  HOTPLUG_ERROR_CANCELLED,
  HOTPLUG_ERROR_NOT_SUPPORTED,
} HotplugError;

#define HOTPLUG_ERROR (hotplug_error_quark ())
GQuark hotplug_error_quark (void);

/* g_dbus_method_invocation_return_gerror() with the message made valid
 * UTF-8 (it may quote sysfs, a hook or the kernel): GDBus refuses any
 * other with a critical and the caller would never get an answer. */
void   hotplug_error_return (GDBusMethodInvocation *invocation, const GError *error);

G_END_DECLS
