/* hotplugd — authorization: one object decides, through polkit, for every
 * D-Bus method call; deny by default.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define HOTPLUG_TYPE_AUTH (hotplug_auth_get_type ())
G_DECLARE_FINAL_TYPE (HotplugAuth, hotplug_auth, HOTPLUG, AUTH, GObject)

/* Non-interactive checks that polkit does not answer within this time are
 * refused; interactive ones wait for the administrator. */
#define HOTPLUG_AUTH_DEFAULT_TIMEOUT_MS 25000

/* Called on the main thread, once the caller is authorized. */
typedef void (*HotplugAuthorizedFunc) (GDBusMethodInvocation *invocation,
                                       gpointer               user_data);

HotplugAuth *hotplug_auth_new (void);

void         hotplug_auth_set_timeout (HotplugAuth *auth,
                                       guint        timeout_ms);

/* Where (interface, method) stands in the authorization table.  Returns
 * FALSE when it is not listed (refused); else TRUE and *action is the polkit
 * action to ask about, or NULL for a read-only method that needs none. */
gboolean     hotplug_auth_lookup (const char  *interface_name,
                                  const char  *method_name,
                                  const char **action);

/* Ask polkit whether the sender of @invocation may call its method.
 * @details (string → string, may be NULL) are passed on for rules to match
 * (unit, kind, ...); keys in the reserved polkit.* namespace are dropped. */
void         hotplug_auth_check_async (HotplugAuth           *auth,
                                       GDBusMethodInvocation *invocation,
                                       GHashTable            *details,
                                       GCancellable          *cancellable,
                                       GAsyncReadyCallback    callback,
                                       gpointer               user_data);

/* TRUE when authorized; else FALSE with HOTPLUG_ERROR_NOT_AUTHORIZED (or
 * G_IO_ERROR_CANCELLED when @cancellable fired). */
gboolean     hotplug_auth_check_finish (HotplugAuth  *auth,
                                        GAsyncResult *result,
                                        GError      **error);

/* For method handlers: run @func once authorized, or return the error to
 * @invocation.  @data is freed with @destroy either way.  Always returns
 * G_DBUS_METHOD_INVOCATION_HANDLED, so a handler is
 *   return hotplug_auth_call (auth, invocation, details, do_it, data, NULL); */
gboolean     hotplug_auth_call (HotplugAuth           *auth,
                                GDBusMethodInvocation *invocation,
                                GHashTable            *details,
                                HotplugAuthorizedFunc  func,
                                gpointer               data,
                                GDestroyNotify         destroy);

/* A details table from NULL-terminated key, value pairs; NULL values are
 * skipped. */
GHashTable  *hotplug_auth_details_new (const char *first_key,
                                       ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
