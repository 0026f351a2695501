/* hotplugd — authorization through polkit.
 *
 * Every method call is looked up in one table: read-only methods pass
 * without polkit, the others name the polkit action to ask about, and
 * anything not listed is refused.  polkit is asked asynchronously; the main
 * loop never waits for it.  The object lives on the main thread.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <polkit/polkit.h>

#include "hotplug-auth.h"
#include "hotplug-log.h"
#include "hotplug-error.h"
#include "hotplug-names.h"

typedef struct
{
  const char *interface_name;
  const char *method_name;
  const char *action;           /* NULL: read-only, no polkit needed */
} HotplugAuthRule;

/* Deny by default: a method reaches its handler only if it is listed here.
 * A new method must be added on purpose (tests/auth checks that every
 * method of the interface XML is). */
static const HotplugAuthRule hotplug_auth_table[] = {
  /* read-only */
  { HOTPLUG_DBUS_IFACE_MANAGER, "GetUnit", NULL },
  { HOTPLUG_DBUS_IFACE_MANAGER, "GetDomain", NULL },
  { HOTPLUG_DBUS_IFACE_MANAGER, "ListDevices", NULL },
  { HOTPLUG_DBUS_IFACE_MANAGER, "ListHooks", NULL },
  { "org.freedesktop.DBus.Properties", "Get", NULL },
  { "org.freedesktop.DBus.Properties", "GetAll", NULL },
  { "org.freedesktop.DBus.Introspectable", "Introspect", NULL },
  { "org.freedesktop.DBus.Peer", "Ping", NULL },
  { "org.freedesktop.DBus.Peer", "GetMachineId", NULL },
  { "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", NULL },

  /* through polkit */
  { HOTPLUG_DBUS_IFACE_UNIT, "Add", HOTPLUG_ACTION_ADD },
  { HOTPLUG_DBUS_IFACE_UNIT, "Remove", HOTPLUG_ACTION_REMOVE },
  { HOTPLUG_DBUS_IFACE_UNIT, "Replace", HOTPLUG_ACTION_REPLACE },
  { HOTPLUG_DBUS_IFACE_JOB, "Cancel", HOTPLUG_ACTION_CANCEL },
  { HOTPLUG_DBUS_IFACE_JOB, "Resume", HOTPLUG_ACTION_REPLACE },
  { HOTPLUG_DBUS_IFACE_DOMAIN, "PrepareForSwitchover", HOTPLUG_ACTION_SWITCHOVER },
  { HOTPLUG_DBUS_IFACE_DOMAIN, "CancelSwitchover", HOTPLUG_ACTION_SWITCHOVER },
  { HOTPLUG_DBUS_IFACE_DOMAIN, "Connect", HOTPLUG_ACTION_CONNECT },
  { HOTPLUG_DBUS_IFACE_MANAGER, "Reload", HOTPLUG_ACTION_RELOAD },
};

struct _HotplugAuth
{
  GObject          parent_instance;

  PolkitAuthority *authority;
  gboolean         getting_authority;
  GQueue           pending;      /* GTask*, owned: checks waiting for the authority */
  guint            timeout_ms;
};

G_DEFINE_TYPE (HotplugAuth, hotplug_auth, G_TYPE_OBJECT)

typedef struct
{
  GDBusMethodInvocation        *invocation;
  char                         *sender;
  char                         *method;       /* interface.Method, for messages */
  const char                   *action;       /* static, from the table */
  PolkitDetails                *details;
  PolkitCheckAuthorizationFlags flags;
  GCancellable                 *cancellable;  /* ours: fired by the caller's or by the timeout */
  gulong                        cancelled_id;
  GCancellable                 *caller_cancellable;
  gulong                        caller_cancelled_id;
  guint                         timeout_id;
  guint                         abort_id;
  guint                         timeout_ms;
  gboolean                      timed_out;
  gboolean                      queued;
  gint64                        started;
} AuthRequest;

static void
auth_request_free (AuthRequest *req)
{
  g_clear_handle_id (&req->timeout_id, g_source_remove);
  g_clear_handle_id (&req->abort_id, g_source_remove);
  /* never called from inside the caller's "cancelled" emission: that only
   * cancels our own cancellable, whose handler defers to an idle */
  if (req->caller_cancelled_id != 0)
    g_cancellable_disconnect (req->caller_cancellable, req->caller_cancelled_id);
  g_clear_object (&req->caller_cancellable);
  g_clear_signal_handler (&req->cancelled_id, req->cancellable);
  g_clear_object (&req->cancellable);
  g_clear_object (&req->details);
  g_clear_object (&req->invocation);
  g_free (req->sender);
  g_free (req->method);
  g_free (req);
}

/* logging */

static void
log_decision (const char *sender,
              const char *method,
              const char *action,
              const char *result,
              gint64      started)
{
  gint64 us = started > 0 ? g_get_monotonic_time () - started : 0;

  const char *const fields[] = { HOTPLUG_LOG_SENDER, sender, HOTPLUG_LOG_METHOD, method,
                                 HOTPLUG_LOG_ACTION, action, HOTPLUG_LOG_RESULT, result, NULL };

  hotplug_log_fields (G_LOG_LEVEL_DEBUG, "auth", NULL, NULL, fields,
                      "authorization: %s from %s, action %s: %s (%" G_GINT64_FORMAT " us)", method,
                      sender ? sender : "(no sender)", action ? action : "(none)", result, us);
}

typedef struct
{
  char *sender;
  char *method;
  char *action;
  char *reason;
} Refusal;

static void
refusal_free (Refusal *r)
{
  g_free (r->sender);
  g_free (r->method);
  g_free (r->action);
  g_free (r->reason);
  g_free (r);
}

static void
refusal_log (Refusal *r,
             gint64   uid,
             gint64   pid)
{
  g_autofree char *who = NULL;

  if (uid >= 0 && pid >= 0)
    who = g_strdup_printf ("%s (uid %" G_GINT64_FORMAT ", pid %" G_GINT64_FORMAT ")", r->sender, uid, pid);
  else if (uid >= 0)
    who = g_strdup_printf ("%s (uid %" G_GINT64_FORMAT ")", r->sender, uid);
  else
    who = g_strdup (r->sender ? r->sender : "(no sender)");

  {
    const char *const fields[] = { HOTPLUG_LOG_SENDER, r->sender, HOTPLUG_LOG_METHOD, r->method,
                                   HOTPLUG_LOG_ACTION, r->action, NULL };

    hotplug_log_fields (G_LOG_LEVEL_INFO, "auth", NULL, HOTPLUG_MSGID_AUTH_REFUSED, fields, "refused %s to %s%s%s: %s",
                        r->method, who, r->action ? ", action " : "", r->action ? r->action : "", r->reason);
  }
}

static void
on_refusal_credentials (GObject      *source,
                        GAsyncResult *res,
                        gpointer      user_data)
{
  Refusal *r = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) creds = NULL;
  guint32 uid = 0, pid = 0;
  gboolean have_uid, have_pid;

  /* a caller that is already gone has no credentials: log it anyway */
  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), res, NULL);
  if (reply)
    creds = g_variant_get_child_value (reply, 0);
  have_uid = creds && g_variant_lookup (creds, "UnixUserID", "u", &uid);
  have_pid = creds && g_variant_lookup (creds, "ProcessID", "u", &pid);
  refusal_log (r, have_uid ? (gint64) uid : -1, have_pid ? (gint64) pid : -1);
  refusal_free (r);
}

/* Refusals are logged at info level with who asked; the bus tells us the
 * caller's uid and pid, asked only when we refuse. */
static void
log_refusal (GDBusMethodInvocation *invocation,
             const char            *method,
             const char            *action,
             const char            *reason)
{
  GDBusConnection *connection = g_dbus_method_invocation_get_connection (invocation);
  const char *sender = g_dbus_method_invocation_get_sender (invocation);
  Refusal *r = g_new0 (Refusal, 1);

  r->sender = g_strdup (sender);
  r->method = g_strdup (method);
  r->action = g_strdup (action);
  r->reason = g_strdup (reason);

  if (sender == NULL || connection == NULL)
    {
      refusal_log (r, -1, -1);
      refusal_free (r);
      return;
    }

  g_dbus_connection_call (connection,
                          "org.freedesktop.DBus", "/org/freedesktop/DBus",
                          "org.freedesktop.DBus", "GetConnectionCredentials",
                          g_variant_new ("(s)", sender),
                          G_VARIANT_TYPE ("(a{sv})"),
                          G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                          on_refusal_credentials, r);
}

/* ending a check */

static void
request_return (GTask  *task,
                GError *error)      /* owned, NULL: authorized */
{
  AuthRequest *req = g_task_get_task_data (task);

  g_clear_handle_id (&req->timeout_id, g_source_remove);

  if (error == NULL)
    {
      log_decision (req->sender, req->method, req->action, "authorized", req->started);
      g_task_return_boolean (task, TRUE);
      return;
    }

  log_decision (req->sender, req->method, req->action,
                g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? "cancelled" : "refused",
                req->started);
  if (error->domain == HOTPLUG_ERROR)
    log_refusal (req->invocation, req->method, req->action, error->message);
  g_task_return_error (task, error);
}

static GError *
request_interrupted_error (AuthRequest *req)
{
  if (req->timed_out)
    return g_error_new (HOTPLUG_ERROR, HOTPLUG_ERROR_NOT_AUTHORIZED,
                        "polkit did not answer within %u ms about action %s",
                        req->timeout_ms, req->action);
  return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                              "The authorization check was cancelled");
}

static GError *
not_available_error (const char *action,
                     const char *detail)
{
  return g_error_new (HOTPLUG_ERROR, HOTPLUG_ERROR_NOT_AUTHORIZED,
                      "polkit is not available to authorize action %s: %s",
                      action, detail);
}

static void
on_checked (GObject      *source,
            GAsyncResult *res,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  AuthRequest *req = g_task_get_task_data (task);
  PolkitAuthority *authority = POLKIT_AUTHORITY (source);
  g_autoptr(PolkitAuthorizationResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *owner = NULL;

  result = polkit_authority_check_authorization_finish (authority, res, &error);

  if (result == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          request_return (task, request_interrupted_error (req));
          return;
        }

      g_dbus_error_strip_remote_error (error);
      owner = polkit_authority_get_owner (authority);
      if (owner == NULL ||
          g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
          g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER) ||
          g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY))
        request_return (task, not_available_error (req->action, error->message));
      else
        request_return (task, g_error_new (HOTPLUG_ERROR, HOTPLUG_ERROR_NOT_AUTHORIZED,
                                           "polkit could not check action %s: %s",
                                           req->action, error->message));
      return;
    }

  if (polkit_authorization_result_get_is_authorized (result))
    request_return (task, NULL);
  else if (polkit_authorization_result_get_is_challenge (result))
    request_return (task, g_error_new (HOTPLUG_ERROR, HOTPLUG_ERROR_NOT_AUTHORIZED,
                                       "Not authorized: action %s needs authentication "
                                       "(call with interactive authorization allowed)",
                                       req->action));
  else
    request_return (task, g_error_new (HOTPLUG_ERROR, HOTPLUG_ERROR_NOT_AUTHORIZED,
                                       "Not authorized: polkit refused action %s",
                                       req->action));
}

static void
request_start (HotplugAuth *auth,
               GTask       *task)       /* owned */
{
  AuthRequest *req = g_task_get_task_data (task);
  g_autoptr(PolkitSubject) subject = NULL;

  req->queued = FALSE;
  if (g_cancellable_is_cancelled (req->cancellable))
    {
      request_return (task, request_interrupted_error (req));
      g_object_unref (task);
      return;
    }

  subject = polkit_system_bus_name_new (req->sender);
  polkit_authority_check_authorization (auth->authority, subject, req->action,
                                        req->details, req->flags, req->cancellable,
                                        on_checked, task);
}

static void
on_authority (GObject      *source,
              GAsyncResult *res,
              gpointer      user_data)
{
  g_autoptr(HotplugAuth) auth = user_data;
  g_autoptr(GError) error = NULL;
  GTask *task;

  auth->getting_authority = FALSE;
  auth->authority = polkit_authority_get_finish (res, &error);
  if (auth->authority == NULL)
    {
      const char *const fields[] = { HOTPLUG_LOG_ERROR, error->message, NULL };

      hotplug_log_fields (G_LOG_LEVEL_WARNING, "auth", NULL, NULL, fields, "cannot reach polkit: %s",
                          error->message);
    }

  while ((task = g_queue_pop_head (&auth->pending)))
    {
      if (auth->authority)
        {
          request_start (auth, task);
        }
      else
        {
          AuthRequest *req = g_task_get_task_data (task);

          req->queued = FALSE;
          request_return (task, not_available_error (req->action, error->message));
          g_object_unref (task);
        }
    }
  /* without an authority the next check asks again */
}

/* Runs in an idle, never inside a "cancelled" emission: ending the task
 * there could free the request, whose cleanup disconnects from the caller's
 * cancellable, which GLib does not allow during its emission. */
static gboolean
on_abort_queued (gpointer user_data)
{
  GTask *task = user_data;
  AuthRequest *req = g_task_get_task_data (task);
  HotplugAuth *auth = g_task_get_source_object (task);

  req->abort_id = 0;
  if (req->queued && g_queue_remove (&auth->pending, task))
    {
      req->queued = FALSE;
      request_return (task, request_interrupted_error (req));
      g_object_unref (task);     /* the queue's reference */
    }
  return G_SOURCE_REMOVE;
}

static void
on_request_cancelled (GCancellable *cancellable,
                      gpointer      user_data)
{
  GTask *task = user_data;
  AuthRequest *req = g_task_get_task_data (task);

  /* a check in flight ends through on_checked; only a queued one needs us */
  if (req->queued && req->abort_id == 0)
    req->abort_id = g_idle_add_full (G_PRIORITY_DEFAULT, on_abort_queued,
                                     g_object_ref (task), g_object_unref);
}

static void
on_caller_cancelled (GCancellable *cancellable,
                     gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static gboolean
on_timeout (gpointer user_data)
{
  AuthRequest *req = user_data;

  req->timeout_id = 0;
  req->timed_out = TRUE;
  g_cancellable_cancel (req->cancellable);
  return G_SOURCE_REMOVE;
}

/* public */

gboolean
hotplug_auth_lookup (const char  *interface_name,
                     const char  *method_name,
                     const char **action)
{
  for (guint i = 0; i < G_N_ELEMENTS (hotplug_auth_table); i++)
    {
      const HotplugAuthRule *rule = &hotplug_auth_table[i];

      if (g_strcmp0 (rule->interface_name, interface_name) == 0 &&
          g_strcmp0 (rule->method_name, method_name) == 0)
        {
          if (action)
            *action = rule->action;
          return TRUE;
        }
    }
  if (action)
    *action = NULL;
  return FALSE;
}

GHashTable *
hotplug_auth_details_new (const char *first_key,
                          ...)
{
  GHashTable *details = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const char *key = first_key;
  va_list ap;

  va_start (ap, first_key);
  while (key != NULL)
    {
      const char *value = va_arg (ap, const char *);

      if (value != NULL)
        g_hash_table_replace (details, g_strdup (key), g_strdup (value));
      key = va_arg (ap, const char *);
    }
  va_end (ap);
  return details;
}

static PolkitDetails *
polkit_details_from_table (GHashTable *table)
{
  PolkitDetails *details = polkit_details_new ();
  GHashTableIter iter;
  gpointer key, value;

  if (table == NULL)
    return details;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      /* polkit.message and friends change what the administrator is told:
       * the action's own text, from the policy file, is what they see */
      if (g_str_has_prefix (key, "polkit."))
        {
          hotplug_log_full (G_LOG_LEVEL_WARNING, "auth", NULL, NULL, NULL, NULL,
                            "authorization detail %s is reserved by polkit; dropped", (const char *) key);
          continue;
        }
      polkit_details_insert (details, key, value);
    }
  return details;
}

static AuthRequest *
auth_request_new (GDBusMethodInvocation *invocation)
{
  AuthRequest *req = g_new0 (AuthRequest, 1);

  req->invocation = g_object_ref (invocation);
  req->sender = g_strdup (g_dbus_method_invocation_get_sender (invocation));
  req->method = g_strdup_printf ("%s.%s", g_dbus_method_invocation_get_interface_name (invocation),
                                 g_dbus_method_invocation_get_method_name (invocation));
  req->started = g_get_monotonic_time ();
  return req;
}

/* What ends a request early: the caller's cancellable, and for a check
 * that asks no one, the time limit (an interactive one waits for a person
 * typing a password; a non-interactive one must not hang the caller on a
 * stuck polkitd). */
static void
auth_request_arm (HotplugAuth *auth, GTask *task, GCancellable *cancellable)
{
  AuthRequest *req = g_task_get_task_data (task);

  req->cancellable = g_cancellable_new ();
  req->cancelled_id = g_signal_connect (req->cancellable, "cancelled",
                                        G_CALLBACK (on_request_cancelled), task);
  if (cancellable)
    {
      req->caller_cancellable = g_object_ref (cancellable);
      req->caller_cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (on_caller_cancelled),
                                                        req->cancellable, NULL);
    }
  if (req->flags == POLKIT_CHECK_AUTHORIZATION_FLAGS_NONE && auth->timeout_ms > 0)
    {
      req->timeout_ms = auth->timeout_ms;
      req->timeout_id = g_timeout_add (auth->timeout_ms, on_timeout, req);
    }
}

void
hotplug_auth_check_async (HotplugAuth           *auth,
                          GDBusMethodInvocation *invocation,
                          GHashTable            *details,
                          GCancellable          *cancellable,
                          GAsyncReadyCallback    callback,
                          gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  const char *action = NULL;
  GDBusMessage *message;
  AuthRequest *req;

  g_return_if_fail (HOTPLUG_IS_AUTH (auth));
  g_return_if_fail (G_IS_DBUS_METHOD_INVOCATION (invocation));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (auth, cancellable, callback, user_data);
  g_task_set_source_tag (task, hotplug_auth_check_async);
  /* we report cancellation ourselves, after logging it */
  g_task_set_check_cancellable (task, FALSE);
  req = auth_request_new (invocation);
  g_task_set_task_data (task, req, (GDestroyNotify) auth_request_free);

  if (!hotplug_auth_lookup (g_dbus_method_invocation_get_interface_name (invocation),
                            g_dbus_method_invocation_get_method_name (invocation), &action))
    {
      request_return (task, g_error_new (HOTPLUG_ERROR, HOTPLUG_ERROR_NOT_AUTHORIZED,
                                         "method %s is not in the authorization table",
                                         req->method));
      return;
    }
  req->action = action;
  if (action == NULL)
    {
      request_return (task, NULL);
      return;
    }
  if (req->sender == NULL)
    {
      /* a peer-to-peer connection: there is no bus name to ask polkit about */
      request_return (task, g_error_new (HOTPLUG_ERROR, HOTPLUG_ERROR_NOT_AUTHORIZED,
                                         "Not authorized: action %s needs a caller on the bus",
                                         action));
      return;
    }

  message = g_dbus_method_invocation_get_message (invocation);
  if (g_dbus_message_get_flags (message) & G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION)
    req->flags = POLKIT_CHECK_AUTHORIZATION_FLAGS_ALLOW_USER_INTERACTION;
  req->details = polkit_details_from_table (details);
  auth_request_arm (auth, task, cancellable);

  if (auth->authority)
    {
      request_start (auth, g_steal_pointer (&task));
      return;
    }
  req->queued = TRUE;
  g_queue_push_tail (&auth->pending, g_steal_pointer (&task));
  if (!auth->getting_authority)
    {
      auth->getting_authority = TRUE;
      polkit_authority_get_async (NULL, on_authority, g_object_ref (auth));
    }
}

gboolean
hotplug_auth_check_finish (HotplugAuth  *auth,
                           GAsyncResult *result,
                           GError      **error)
{
  g_return_val_if_fail (HOTPLUG_IS_AUTH (auth), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, auth), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct
{
  GDBusMethodInvocation *invocation;   /* the handler's reference, handed on */
  HotplugAuthorizedFunc  func;
  gpointer               data;
  GDestroyNotify         destroy;
} AuthCall;

static void
on_call_checked (GObject      *source,
                 GAsyncResult *res,
                 gpointer      user_data)
{
  AuthCall *call = user_data;
  g_autoptr(GError) error = NULL;

  if (hotplug_auth_check_finish (HOTPLUG_AUTH (source), res, &error))
    call->func (g_steal_pointer (&call->invocation), call->data);
  else
    /* if the caller has gone, GDBus drops the reply */
    hotplug_error_return (g_steal_pointer (&call->invocation), error);

  if (call->destroy)
    call->destroy (call->data);
  g_free (call);
}

gboolean
hotplug_auth_call (HotplugAuth           *auth,
                   GDBusMethodInvocation *invocation,
                   GHashTable            *details,
                   HotplugAuthorizedFunc  func,
                   gpointer               data,
                   GDestroyNotify         destroy)
{
  AuthCall *call;

  g_return_val_if_fail (HOTPLUG_IS_AUTH (auth), FALSE);
  g_return_val_if_fail (G_IS_DBUS_METHOD_INVOCATION (invocation), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  call = g_new0 (AuthCall, 1);
  call->invocation = invocation;
  call->func = func;
  call->data = data;
  call->destroy = destroy;
  hotplug_auth_check_async (auth, invocation, details, NULL, on_call_checked, call);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

void
hotplug_auth_set_timeout (HotplugAuth *auth,
                          guint        timeout_ms)
{
  g_return_if_fail (HOTPLUG_IS_AUTH (auth));
  auth->timeout_ms = timeout_ms;
}

HotplugAuth *
hotplug_auth_new (void)
{
  return g_object_new (HOTPLUG_TYPE_AUTH, NULL);
}

static void
hotplug_auth_finalize (GObject *object)
{
  HotplugAuth *auth = HOTPLUG_AUTH (object);

  /* every queued task and the authority request hold a reference on us */
  g_assert (g_queue_is_empty (&auth->pending));
  g_clear_object (&auth->authority);

  G_OBJECT_CLASS (hotplug_auth_parent_class)->finalize (object);
}

static void
hotplug_auth_init (HotplugAuth *auth)
{
  g_queue_init (&auth->pending);
  auth->timeout_ms = HOTPLUG_AUTH_DEFAULT_TIMEOUT_MS;
}

static void
hotplug_auth_class_init (HotplugAuthClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = hotplug_auth_finalize;
}
