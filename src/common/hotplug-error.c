/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "hotplug-error.h"
#include "hotplug-names.h"
#include "hotplug-util.h"

static const GDBusErrorEntry hotplug_error_entries[] = {
  { HOTPLUG_ERROR_FAILED,           HOTPLUG_DBUS_ERROR_PREFIX ".Failed" },
  { HOTPLUG_ERROR_NOT_AUTHORIZED,   HOTPLUG_DBUS_ERROR_PREFIX ".NotAuthorized" },
  { HOTPLUG_ERROR_NO_SUCH_UNIT,     HOTPLUG_DBUS_ERROR_PREFIX ".NoSuchUnit" },
  { HOTPLUG_ERROR_INVALID_ARGUMENT, HOTPLUG_DBUS_ERROR_PREFIX ".InvalidArgument" },
  { HOTPLUG_ERROR_NOT_PRESENT,      HOTPLUG_DBUS_ERROR_PREFIX ".NotPresent" },
  { HOTPLUG_ERROR_BUSY,             HOTPLUG_DBUS_ERROR_PREFIX ".Busy" },
  { HOTPLUG_ERROR_VETOED,           HOTPLUG_DBUS_ERROR_PREFIX ".Vetoed" },
  { HOTPLUG_ERROR_TIMEOUT,          HOTPLUG_DBUS_ERROR_PREFIX ".Timeout" },
  { HOTPLUG_ERROR_CANCELLED,        HOTPLUG_DBUS_ERROR_PREFIX ".Cancelled" },
  { HOTPLUG_ERROR_NOT_SUPPORTED,    HOTPLUG_DBUS_ERROR_PREFIX ".NotSupported" },
};

G_STATIC_ASSERT (G_N_ELEMENTS (hotplug_error_entries) == HOTPLUG_ERROR_NOT_SUPPORTED + 1);

GQuark
hotplug_error_quark (void)
{
  static gsize quark = 0;

  g_dbus_error_register_error_domain ("hotplug-error-quark",
                                      &quark,
                                      hotplug_error_entries,
                                      G_N_ELEMENTS (hotplug_error_entries));
  return (GQuark) quark;
}

void
hotplug_error_return (GDBusMethodInvocation *invocation, const GError *error)
{
  g_autoptr(GError) copy = NULL;

  if (g_utf8_validate (error->message, -1, NULL))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }
  copy = g_error_copy (error);
  g_free (copy->message);
  copy->message = hotplug_utf8_sanitize (error->message, -1, 0);
  g_dbus_method_invocation_return_gerror (invocation, copy);
}
