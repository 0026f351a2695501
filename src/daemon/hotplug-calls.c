/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "hotplug-calls.h"
#include "hotplug-error.h"
#include "hotplug-log.h"

#define TOPIC "bus"

struct _HotplugCalls
{
  GObject               parent_instance;

  HotplugPlatform      *platform;
  HotplugJobs          *jobs;
  HotplugAuth          *auth;
  HotplugBlockersWatch *blockers;
};

G_DEFINE_TYPE (HotplugCalls, hotplug_calls, G_TYPE_OBJECT)

/* One call that starts a job, on a unit or on a domain. */
typedef struct
{
  HotplugCalls          *calls;
  HotplugUnit           *unit;
  HotplugDomain         *domain;
  HotplugOperation       op;
  HotplugJobOptions      options;
  GDBusMethodInvocation *invocation;   /* while the blockers are checked */
  /* the blockers and polkit asked at once: what is still to come, and
   * what came */
  guint                  pending;
  gboolean               answered;     /* the caller has its reply */
  GError                *auth_error;
} OperationCall;

static void
operation_call_free (OperationCall *call)
{
  g_clear_error (&call->auth_error);
  g_clear_object (&call->invocation);
  g_object_unref (call->calls);
  g_clear_object (&call->unit);
  g_clear_object (&call->domain);
  g_free (call);
}

static const char *
call_target (OperationCall *call)
{
  return call->unit ? hotplug_unit_get_id (call->unit) : hotplug_domain_get_id (call->domain);
}

static void
operation_authorized (GDBusMethodInvocation *invocation, gpointer user_data)
{
  OperationCall *call = user_data;
  const char *sender = g_dbus_method_invocation_get_sender (invocation);
  g_autoptr(GError) error = NULL;
  HotplugJob *job;

  /* checked again: the target may have changed while polkit was asked */
  if (call->unit)
    job = hotplug_jobs_create (call->calls->jobs, call->unit, call->op, &call->options, sender, &error);
  else
    job = hotplug_jobs_create_for_domain (call->calls->jobs, call->domain, call->op, &call->options, sender,
                                          &error);
  if (job == NULL)
    {
      hotplug_error_return (invocation, error);
      return;
    }
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", hotplug_job_get_object_path (job)));
}

static GHashTable *
call_details (OperationCall *call)
{
  if (call->unit)
    return hotplug_auth_details_new ("unit", hotplug_unit_get_id (call->unit),
                                     "kind", hotplug_dbus_unit_get_kind (HOTPLUG_DBUS_UNIT (call->unit)), NULL);
  return hotplug_auth_details_new ("domain", hotplug_domain_get_id (call->domain), NULL);
}

static gboolean
ask_polkit (OperationCall *call, GDBusMethodInvocation *invocation)
{
  g_autoptr(GHashTable) details = call_details (call);

  return hotplug_auth_call (call->calls->auth, invocation, details, operation_authorized, call,
                            (GDestroyNotify) operation_call_free);
}

/* Error.Busy when the check found blockers (or could not tell): TRUE when
 * it answered the caller so. */
static gboolean
return_busy (OperationCall *call, GObject *source, GAsyncResult *res)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) blockers = hotplug_blockers_watch_check_finish (HOTPLUG_BLOCKERS_WATCH (source), res,
                                                                        &error);
  const char *id = call_target (call);
  const char *what_op = call->unit ? "remove" : "switchover";
  g_autofree char *what = NULL;

  if (blockers && blockers->len == 0)
    return FALSE;
  what = blockers ? hotplug_blockers_describe (blockers) : NULL;
  if (blockers)
    hotplug_log_full (G_LOG_LEVEL_MESSAGE, TOPIC, id, NULL, NULL, NULL, "%s of %s refused, it is busy: %s",
                      what_op, id, what);
  /* the handler's reference; the call keeps its own until it is freed */
  g_dbus_method_invocation_return_error (call->invocation, HOTPLUG_ERROR, HOTPLUG_ERROR_BUSY,
                                         blockers ? "%s%s is busy: %s (the force option %s it anyway)"
                                                  : "cannot tell whether %s%s is busy: %s",
                                         call->unit ? "" : "domain ", id, blockers ? what : error->message,
                                         call->unit ? "removes" : "disconnects");
  return TRUE;
}

static void
on_blockers_checked (GObject *source, GAsyncResult *res, gpointer user_data)
{
  OperationCall *call = user_data;

  if (return_busy (call, source, res))
    {
      operation_call_free (call);
      return;
    }
  ask_polkit (call, call->invocation);
}

/* Both answers in: a busy target is refused as such whatever polkit said
 * (as when polkit is asked after the check), else polkit decides. */
static void
parallel_done (OperationCall *call)
{
  if (--call->pending > 0)
    return;
  if (!call->answered && call->auth_error)
    hotplug_error_return (call->invocation, call->auth_error);
  else if (!call->answered)
    operation_authorized (call->invocation, call);
  operation_call_free (call);
}

static void
on_parallel_checked (GObject *source, GAsyncResult *res, gpointer user_data)
{
  OperationCall *call = user_data;

  call->answered = return_busy (call, source, res);
  parallel_done (call);
}

static void
on_parallel_authorized (GObject *source, GAsyncResult *res, gpointer user_data)
{
  OperationCall *call = user_data;

  hotplug_auth_check_finish (HOTPLUG_AUTH (source), res, &call->auth_error);
  parallel_done (call);
}

static void
check_blockers_async (OperationCall *call, GAsyncReadyCallback callback)
{
  if (call->unit)
    hotplug_blockers_watch_check_async (call->calls->blockers, call->unit, callback, call);
  else
    hotplug_blockers_watch_check_domain_async (call->calls->blockers, call->domain, callback, call);
}

/* What would break is part of what is asked: checked afresh at the call
 * (not the Blockers property, which may be a minute old), in a worker.
 * polkit is asked meanwhile, unless it may ask the caller's user for a
 * password (interactive authorization): a busy target asks nobody. */
static gboolean
check_blockers_and_polkit (OperationCall *call, GDBusMethodInvocation *invocation)
{
  GDBusMessage *message = g_dbus_method_invocation_get_message (invocation);
  g_autoptr(GHashTable) details = NULL;

  call->invocation = g_object_ref (invocation);
  if (g_dbus_message_get_flags (message) & G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION)
    {
      check_blockers_async (call, on_blockers_checked);
      return TRUE;
    }
  call->pending = 2;
  check_blockers_async (call, on_parallel_checked);
  details = call_details (call);
  hotplug_auth_check_async (call->calls->auth, invocation, details, NULL, on_parallel_authorized, call);
  return TRUE;
}

static OperationCall *
call_new (HotplugCalls *self, HotplugOperation op, const HotplugJobOptions *options)
{
  OperationCall *call = g_new0 (OperationCall, 1);

  call->calls = g_object_ref (self);
  call->op = op;
  call->options = *options;
  return call;
}

static gboolean
handle_operation (HotplugCalls *self, HotplugUnit *unit, GDBusMethodInvocation *invocation,
                  GVariant *options, HotplugOperation op)
{
  g_autoptr(GError) error = NULL;
  OperationCall *call;
  HotplugJobOptions parsed;

  hotplug_platform_flush (self->platform);
  if (!hotplug_job_options_parse (options, &parsed, &error) ||
      !hotplug_jobs_check (self->jobs, unit, op, parsed.flags, &error))
    {
      hotplug_error_return (invocation, error);
      return TRUE;
    }
  call = call_new (self, op, &parsed);
  call->unit = g_object_ref (unit);
  if (op == HOTPLUG_OPERATION_REMOVE && !parsed.force)
    return check_blockers_and_polkit (call, invocation);
  return ask_polkit (call, invocation);
}

static gboolean
handle_unit_add (HotplugDbusUnit *iface, GDBusMethodInvocation *invocation, GVariant *options, gpointer user_data)
{
  return handle_operation (user_data, HOTPLUG_UNIT (iface), invocation, options, HOTPLUG_OPERATION_ADD);
}

static gboolean
handle_unit_remove (HotplugDbusUnit *iface, GDBusMethodInvocation *invocation, GVariant *options, gpointer user_data)
{
  return handle_operation (user_data, HOTPLUG_UNIT (iface), invocation, options, HOTPLUG_OPERATION_REMOVE);
}

static gboolean
handle_unit_replace (HotplugDbusUnit *iface, GDBusMethodInvocation *invocation, GVariant *options, gpointer user_data)
{
  return handle_operation (user_data, HOTPLUG_UNIT (iface), invocation, options, HOTPLUG_OPERATION_REPLACE);
}

/* --- domains ------------------------------------------------------------ */

static gboolean
handle_domain_operation (HotplugCalls *self, HotplugDomain *domain, GDBusMethodInvocation *invocation,
                         GVariant *options, HotplugOperation op)
{
  g_autoptr(GError) error = NULL;
  OperationCall *call;
  HotplugJobOptions parsed;

  hotplug_platform_flush (self->platform);
  if (!hotplug_job_options_parse_domain (options, op, &parsed, &error) ||
      !hotplug_jobs_check_domain (self->jobs, domain, op, &error))
    {
      hotplug_error_return (invocation, error);
      return TRUE;
    }
  call = call_new (self, op, &parsed);
  call->domain = g_object_ref (domain);
  if (op == HOTPLUG_OPERATION_SWITCHOVER && !parsed.force &&
      hotplug_domain_get_connection_state (domain) != HOTPLUG_CONNECTION_DISCONNECTED &&
      hotplug_domain_get_connection_state (domain) != HOTPLUG_CONNECTION_INACTIVE)
    return check_blockers_and_polkit (call, invocation);
  return ask_polkit (call, invocation);
}

static gboolean
handle_domain_prepare (HotplugDbusDomain *iface, GDBusMethodInvocation *invocation, GVariant *options,
                       gpointer user_data)
{
  return handle_domain_operation (user_data, HOTPLUG_DOMAIN (iface), invocation, options,
                                  HOTPLUG_OPERATION_SWITCHOVER);
}

static gboolean
handle_domain_connect (HotplugDbusDomain *iface, GDBusMethodInvocation *invocation, GVariant *options,
                       gpointer user_data)
{
  return handle_domain_operation (user_data, HOTPLUG_DOMAIN (iface), invocation, options,
                                  HOTPLUG_OPERATION_CONNECT);
}

static HotplugJob *
running_switchover (HotplugCalls *self, HotplugDomain *domain)
{
  HotplugJob *job = hotplug_jobs_find_domain_conflict (self->jobs, domain);

  return job && hotplug_job_get_domain (job) == domain &&
         g_str_equal (hotplug_dbus_job_get_operation (HOTPLUG_DBUS_JOB (job)), "switchover") ? job : NULL;
}

static void
cancel_switchover_authorized (GDBusMethodInvocation *invocation, gpointer user_data)
{
  OperationCall *call = user_data;
  HotplugJob *job = running_switchover (call->calls, call->domain);

  /* it may have ended while polkit was asked: nothing left to cancel */
  if (job)
    hotplug_job_cancel (job, NULL);
  hotplug_dbus_domain_complete_cancel_switchover (HOTPLUG_DBUS_DOMAIN (call->domain), invocation);
}

static gboolean
handle_domain_cancel (HotplugDbusDomain *iface, GDBusMethodInvocation *invocation, gpointer user_data)
{
  HotplugCalls *self = user_data;
  HotplugDomain *domain = HOTPLUG_DOMAIN (iface);
  g_autoptr(GHashTable) details = NULL;
  HotplugJobOptions none = { 0 };
  OperationCall *call;

  /* nothing to end: done, as a cluster manager needs it */
  if (running_switchover (self, domain) == NULL)
    {
      hotplug_dbus_domain_complete_cancel_switchover (iface, invocation);
      return TRUE;
    }
  call = call_new (self, HOTPLUG_OPERATION_SWITCHOVER, &none);
  call->domain = g_object_ref (domain);
  details = hotplug_auth_details_new ("domain", hotplug_domain_get_id (domain), NULL);
  return hotplug_auth_call (self->auth, invocation, details, cancel_switchover_authorized, call,
                            (GDestroyNotify) operation_call_free);
}

/* --- jobs --------------------------------------------------------------- */

static void
resume_authorized (GDBusMethodInvocation *invocation, gpointer user_data)
{
  HotplugJob *job = user_data;
  g_autoptr(GError) error = NULL;

  if (!hotplug_job_resume (job, &error))
    hotplug_error_return (invocation, error);
  else
    hotplug_dbus_job_complete_resume (HOTPLUG_DBUS_JOB (job), invocation);
}

static gboolean
handle_job_resume (HotplugDbusJob *iface, GDBusMethodInvocation *invocation, gpointer user_data)
{
  HotplugCalls *self = user_data;
  HotplugJob *job = HOTPLUG_JOB (iface);
  g_autoptr(GHashTable) details = NULL;
  g_autoptr(GError) error = NULL;

  /* asked before polkit: a job that waits for nothing needs no password */
  if (hotplug_dbus_job_get_window_end (iface) == 0)
    {
      g_set_error (&error, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED, "job %u is not waiting for a part (%s)",
                   hotplug_job_get_id (job), hotplug_job_is_running (job) ? "it is not in its replace window"
                                                                          : "it has ended");
      hotplug_error_return (invocation, error);
      return TRUE;
    }
  details = hotplug_auth_details_new ("unit", hotplug_job_get_target_id (job), NULL);
  return hotplug_auth_call (self->auth, invocation, details, resume_authorized, g_object_ref (job),
                            g_object_unref);
}

static void
cancel_authorized (GDBusMethodInvocation *invocation, gpointer user_data)
{
  HotplugJob *job = user_data;
  g_autoptr(GError) error = NULL;

  if (!hotplug_job_cancel (job, &error))
    hotplug_error_return (invocation, error);
  else
    hotplug_dbus_job_complete_cancel (HOTPLUG_DBUS_JOB (job), invocation);
}

static gboolean
handle_job_cancel (HotplugDbusJob *iface, GDBusMethodInvocation *invocation, gpointer user_data)
{
  HotplugCalls *self = user_data;
  HotplugJob *job = HOTPLUG_JOB (iface);
  g_autoptr(GHashTable) details = NULL;

  if (!hotplug_job_is_running (job))
    {
      g_dbus_method_invocation_return_error (invocation, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED,
                                             "job %u has already ended (%s)", hotplug_job_get_id (job),
                                             hotplug_dbus_job_get_state (iface));
      return TRUE;
    }
  details = hotplug_auth_details_new (hotplug_job_get_unit (job) ? "unit" : "domain",
                                      hotplug_job_get_target_id (job), NULL);
  return hotplug_auth_call (self->auth, invocation, details, cancel_authorized, g_object_ref (job),
                            g_object_unref);
}

/* --- object ------------------------------------------------------------- */

void
hotplug_calls_connect_unit (HotplugCalls *self, HotplugUnit *unit)
{
  /* disconnected with the calls: units belong to the platform */
  g_signal_connect_object (unit, "handle-add", G_CALLBACK (handle_unit_add), self, 0);
  g_signal_connect_object (unit, "handle-remove", G_CALLBACK (handle_unit_remove), self, 0);
  g_signal_connect_object (unit, "handle-replace", G_CALLBACK (handle_unit_replace), self, 0);
}

void
hotplug_calls_connect_domain (HotplugCalls *self, HotplugDomain *domain)
{
  g_signal_connect_object (domain, "handle-prepare-for-switchover", G_CALLBACK (handle_domain_prepare), self, 0);
  g_signal_connect_object (domain, "handle-cancel-switchover", G_CALLBACK (handle_domain_cancel), self, 0);
  g_signal_connect_object (domain, "handle-connect", G_CALLBACK (handle_domain_connect), self, 0);
}

void
hotplug_calls_connect_job (HotplugCalls *self, HotplugJob *job)
{
  g_signal_connect_object (job, "handle-cancel", G_CALLBACK (handle_job_cancel), self, 0);
  g_signal_connect_object (job, "handle-resume", G_CALLBACK (handle_job_resume), self, 0);
}

static void
hotplug_calls_dispose (GObject *object)
{
  HotplugCalls *self = HOTPLUG_CALLS (object);

  g_clear_object (&self->platform);
  g_clear_object (&self->jobs);
  g_clear_object (&self->auth);
  g_clear_object (&self->blockers);
  G_OBJECT_CLASS (hotplug_calls_parent_class)->dispose (object);
}

static void
hotplug_calls_class_init (HotplugCallsClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = hotplug_calls_dispose;
}

static void
hotplug_calls_init (HotplugCalls *self)
{
}

HotplugCalls *
hotplug_calls_new (HotplugPlatform *platform, HotplugJobs *jobs, HotplugAuth *auth, HotplugBlockersWatch *blockers)
{
  HotplugCalls *self = g_object_new (HOTPLUG_TYPE_CALLS, NULL);

  self->platform = g_object_ref (platform);
  self->jobs = g_object_ref (jobs);
  self->auth = g_object_ref (auth);
  self->blockers = g_object_ref (blockers);
  return self;
}
