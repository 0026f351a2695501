/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Running the hooks of one event: one at a time on the main loop, each in
 * its own process group with an environment built from scratch, its time
 * bounded, its end decided by the protocol of hotplugd-hooks(7). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-unix.h>

#include "hotplug-error.h"
#include "hotplug-hooks-private.h"
#include "hotplug-names.h"

#define HOOK_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

void
hotplug_hook_clear_source (GSource **source)
{
  if (*source)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

static void
run_data_free (RunData *d)
{
  if (d->runner)
    g_hash_table_remove (d->runner->runs, d);
  hotplug_hook_clear_source (&d->cancel_source);
  hotplug_hook_clear_source (&d->child_source);
  hotplug_hook_clear_source (&d->out_source);
  hotplug_hook_clear_source (&d->timeout_source);
  hotplug_hook_clear_source (&d->kill_source);
  hotplug_hook_unit_clear (d);
  if (d->out_fd >= 0)
    close (d->out_fd);
  if (d->progress_destroy)
    d->progress_destroy (d->progress_data);
  g_clear_pointer (&d->context, g_main_context_unref);
  g_clear_pointer (&d->config, hotplug_config_unref);
  g_clear_pointer (&d->request, hotplug_hook_request_free);
  g_clear_pointer (&d->result, hotplug_hook_result_free);
  g_clear_pointer (&d->failures, g_ptr_array_unref);
  g_strfreev (d->envp);
  if (d->line)
    g_string_free (d->line, TRUE);
  if (d->output)
    g_string_free (d->output, TRUE);
  g_free (d);
}

static GSource *
attach (RunData *d, GSource *source, GSourceFunc func)
{
  g_source_set_callback (source, func, d, NULL);
  g_source_attach (source, d->context);
  return source;
}

static void
env_add (GPtrArray *env, const char *name, const char *value)
{
  g_ptr_array_add (env, g_strconcat (name, "=", value ? value : "", NULL));
}

/* From scratch: nothing of the daemon's environment reaches a hook except
 * LANG, and, when the daemon itself runs under the simulator, what keeps
 * the hook inside the simulated machine. */
static GStrv
build_env (const HotplugHookRequest *r, HotplugHookPhase phase)
{
  static const char * const sim_vars[] = {
    "LD_PRELOAD", "UMOCKDEV_DIR", HOTPLUG_ENV_SIM_ROOT, HOTPLUG_ENV_SIM_SOCKET, NULL
  };
  GPtrArray *env = g_ptr_array_new ();
  const char *lang = g_getenv ("LANG");
  g_autofree char *mem = g_strdup_printf ("%" G_GUINT64_FORMAT, r->memory_bytes);
  g_autofree char *pci = r->pci_devices ? g_strjoinv (" ", r->pci_devices) : NULL;

  env_add (env, "PATH", HOOK_PATH);
  env_add (env, "LANG", lang && *lang ? lang : "C.UTF-8");
  env_add (env, HOTPLUG_HOOK_API, "1");
  env_add (env, HOTPLUG_HOOK_EVENT, r->event);
  env_add (env, HOTPLUG_HOOK_OPERATION, r->operation ? r->operation : hotplug_hook_event_operation (r->event));
  env_add (env, HOTPLUG_HOOK_KIND, r->kind);
  env_add (env, HOTPLUG_HOOK_UNIT, r->unit);
  env_add (env, HOTPLUG_HOOK_JOB, r->job);
  env_add (env, HOTPLUG_HOOK_SYSFS_PATH, r->sysfs_path);
  env_add (env, HOTPLUG_HOOK_CPUS, r->cpus);
  env_add (env, HOTPLUG_HOOK_MEMORY_BYTES, mem);
  env_add (env, HOTPLUG_HOOK_NODES, r->nodes);
  env_add (env, HOTPLUG_HOOK_PCI_DEVICES, pci);
  env_add (env, HOTPLUG_HOOK_FORCE, r->force ? "1" : "0");
  env_add (env, HOTPLUG_HOOK_DRY_RUN, r->dry_run ? "1" : "0");
  if (phase == HOTPLUG_HOOK_PHASE_FAILED)
    {
      env_add (env, HOTPLUG_HOOK_FAILED_HOOK, r->failed_hook);
      env_add (env, HOTPLUG_HOOK_FAILURE_REASON, r->failure_reason);
    }
  if (g_getenv (HOTPLUG_ENV_SIM_ROOT) != NULL)
    for (guint i = 0; sim_vars[i]; i++)
      {
        const char *v = g_getenv (sim_vars[i]);
        if (v != NULL)
          env_add (env, sim_vars[i], v);
      }
  g_ptr_array_add (env, NULL);
  return (GStrv) g_ptr_array_free (env, FALSE);
}


static void
signal_group (RunData *d, int sig)
{
  if (d->unit_name)
    {
      hotplug_hook_unit_kill (d, sig);
      return;
    }
  if (d->pid > 0 && kill (-d->pid, sig) < 0 && errno != ESRCH)
    hotplug_hook_log (d, G_LOG_LEVEL_MESSAGE, NULL, "Cannot signal hook %s: %s",
              d->record->name, g_strerror (errno));
}

static gboolean
on_kill_grace (gpointer user_data)
{
  RunData *d = user_data;

  g_clear_pointer (&d->kill_source, g_source_unref);
  hotplug_hook_log (d, G_LOG_LEVEL_MESSAGE, NULL, "Hook %s still running: SIGKILL", d->record->name);
  signal_group (d, SIGKILL);
  return G_SOURCE_REMOVE;
}

static void
start_kill (RunData *d)
{
  double grace = hotplug_config_get_kill_grace (d->config);

  if (d->killing)
    return;
  d->killing = TRUE;
  signal_group (d, SIGTERM);
  d->kill_source = attach (d, g_timeout_source_new ((guint) (grace * 1000)), on_kill_grace);
}

static gboolean
on_timeout (gpointer user_data)
{
  RunData *d = user_data;

  g_clear_pointer (&d->timeout_source, g_source_unref);
  d->record->timed_out = TRUE;
  hotplug_hook_log (d, G_LOG_LEVEL_MESSAGE, NULL, "Hook %s timed out after %g s: SIGTERM",
            d->record->name, d->timeout_s);
  start_kill (d);
  return G_SOURCE_REMOVE;
}

static void run_next (RunData *d);

static void
finish (RunData *d, HotplugHookOutcome outcome, const char *hook, char *reason)
{
  GTask *task = d->task;
  HotplugHookResult *result = g_steal_pointer (&d->result);

  hotplug_hook_clear_source (&d->cancel_source);
  result->outcome = outcome;
  result->hook = g_strdup (hook);
  result->reason = reason;
  g_ptr_array_add (d->failures, NULL);
  result->failures = (GStrv) g_ptr_array_free (g_steal_pointer (&d->failures), FALSE);
  g_task_return_pointer (task, result, (GDestroyNotify) hotplug_hook_result_free);
  g_object_unref (task);
}

static char *
describe_exit (const HotplugHookRecord *rec, double timeout_s)
{
  if (rec->spawn_failed)
    return g_strdup_printf ("hook %s could not be executed: %s", rec->name, rec->reason);
  if (rec->timed_out)
    return g_strdup_printf ("hook %s timed out after %g s", rec->name, timeout_s);
  if (rec->term_signal)
    return g_strdup_printf ("hook %s was killed by signal %d (%s)", rec->name,
                            rec->term_signal, g_strsignal (rec->term_signal));
  return g_strdup_printf ("hook %s exited with status %d", rec->name, rec->exit_status);
}

static void
hook_done (RunData *d)
{
  HotplugHookRecord *rec = d->record;
  gboolean ok = !rec->spawn_failed && !rec->timed_out && rec->term_signal == 0 && rec->exit_status == 0;
  g_autofree char *what = describe_exit (rec, d->timeout_s);

  if (d->progress)
    d->progress (HOTPLUG_HOOK_RUNNER (g_task_get_source_object (d->task)),
                 d->request, rec, HOTPLUG_HOOK_FINISHED, d->progress_data);

  hotplug_hook_log (d, ok ? G_LOG_LEVEL_INFO : G_LOG_LEVEL_MESSAGE, HOTPLUG_MSGID_HOOK,
            "%s (%" G_GINT64_FORMAT " ms)%s%s", what, rec->duration_us / 1000,
            rec->reason && !rec->spawn_failed ? ": " : "",
            rec->reason && !rec->spawn_failed ? rec->reason : "");

  d->hook = NULL;
  d->record = NULL;
  d->pid = 0;
  d->running = FALSE;
  d->killing = FALSE;

  if (d->cancelled)
    {
      finish (d, HOTPLUG_HOOK_OUTCOME_CANCELLED, rec->name,
              g_strdup_printf ("cancelled while hook %s was running", rec->name));
      return;
    }
  if (ok)
    {
      run_next (d);
      return;
    }

  if (d->phase == HOTPLUG_HOOK_PHASE_PRE)
    {
      if (rec->timed_out)
        finish (d, HOTPLUG_HOOK_OUTCOME_TIMEOUT, rec->name, g_steal_pointer (&what));
      else if (rec->exit_status == HOTPLUG_HOOK_EXIT_RETRY && g_str_equal (d->request->event, "pre-switchover"))
        finish (d, HOTPLUG_HOOK_OUTCOME_RETRY, rec->name,
                rec->reason ? g_strdup (rec->reason)
                            : g_strdup_printf ("hook %s asked to retry later", rec->name));
      else
        finish (d, HOTPLUG_HOOK_OUTCOME_VETOED, rec->name,
                rec->reason && !rec->spawn_failed ? g_strdup (rec->reason) : g_steal_pointer (&what));
      return;
    }

  /* post-* and *-failed: report and go on */
  g_ptr_array_add (d->failures, rec->reason && !rec->spawn_failed
                                ? g_strdup_printf ("%s: %s", what, rec->reason)
                                : g_steal_pointer (&what));
  run_next (d);
}

void
hotplug_hook_exited (RunData *d, int exit_status, int term_signal)
{
  HotplugHookRecord *rec = d->record;

  hotplug_hook_clear_source (&d->timeout_source);
  hotplug_hook_clear_source (&d->kill_source);
  /* A hook that was stopped takes its whole group with it, including
   * children that ignored SIGTERM or outlived the leader (a unit's cgroup
   * is emptied by systemd before the unit ends). */
  if (d->killing && d->unit_name == NULL)
    signal_group (d, SIGKILL);
  rec->duration_us = g_get_monotonic_time () - d->start_mono;
  rec->exit_status = exit_status;
  rec->term_signal = term_signal;
  hotplug_hook_output_close (d);
  hotplug_hook_unit_clear (d);
  hook_done (d);
}

void
hotplug_hook_spawn_failed (RunData *d, const char *message)
{
  HotplugHookRecord *rec = d->record;

  hotplug_hook_clear_source (&d->timeout_source);
  hotplug_hook_clear_source (&d->kill_source);
  hotplug_hook_clear_source (&d->out_source);
  if (d->out_fd >= 0)
    close (d->out_fd);
  d->out_fd = -1;
  hotplug_hook_unit_clear (d);
  rec->spawn_failed = TRUE;
  rec->reason = g_strdup (message);
  rec->duration_us = g_get_monotonic_time () - d->start_mono;
  rec->output = g_string_free (g_steal_pointer (&d->output), FALSE);
  g_string_truncate (d->line, 0);
  d->continued = FALSE;
  hook_done (d);
}

void
hotplug_hook_spawned (RunData *d)
{
  if (d->progress)
    d->progress (HOTPLUG_HOOK_RUNNER (g_task_get_source_object (d->task)),
                 d->request, d->record, HOTPLUG_HOOK_SPAWNED, d->progress_data);
}

static void
on_child_exit (GPid pid, int wait_status, gpointer user_data)
{
  RunData *d = user_data;

  g_clear_pointer (&d->child_source, g_source_unref);
  g_spawn_close_pid (pid);
  if (WIFSIGNALED (wait_status))
    hotplug_hook_exited (d, -1, WTERMSIG (wait_status));
  else
    hotplug_hook_exited (d, WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1, 0);
}

gboolean
hotplug_hook_spawn_process (RunData *d, int out, GError **error)
{
  const char *argv[] = { d->hook->path, d->request->event, d->request->unit, NULL };
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  sigset_t mask, dfl;
  pid_t pid;
  int r;

  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_addopen (&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2 (&fa, out, 1);
  posix_spawn_file_actions_adddup2 (&fa, out, 2);
  /* Every descriptor of ours is O_CLOEXEC; this also closes any that a
   * library or our own parent leaked to us. */
  posix_spawn_file_actions_addclosefrom_np (&fa, 3);

  posix_spawnattr_init (&attr);
  sigemptyset (&mask);
  sigemptyset (&dfl);
  /* Ignored signals survive exec: give the hook default dispositions. */
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      sigaddset (&dfl, sig);
  posix_spawnattr_setsigmask (&attr, &mask);
  posix_spawnattr_setsigdefault (&attr, &dfl);
  posix_spawnattr_setpgroup (&attr, 0);
  posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  r = posix_spawn (&pid, d->hook->path, &fa, &attr, (char * const *) argv, d->envp);

  posix_spawnattr_destroy (&attr);
  posix_spawn_file_actions_destroy (&fa);
  close (out);
  if (r != 0)
    {
      g_set_error_literal (error, G_IO_ERROR, g_io_error_from_errno (r), g_strerror (r));
      return FALSE;
    }

  d->pid = pid;
  d->record->pid = pid;
  d->child_source = g_child_watch_source_new (pid);
  g_source_set_callback (d->child_source, (GSourceFunc) (void (*) (void)) on_child_exit, d, NULL);
  g_source_attach (d->child_source, d->context);
  return TRUE;
}

/* The pipe and the timer, then one of the two spawners. */
static gboolean
start_hook (RunData *d, GError **error)
{
  int fds[2];

  /* Read end non-blocking for us; the write end stays blocking so the hook
   * sees an ordinary pipe. */
  if (pipe2 (fds, O_CLOEXEC) < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "pipe: %s", g_strerror (errno));
      return FALSE;
    }
  g_unix_set_fd_nonblocking (fds[0], TRUE, NULL);
  d->out_fd = fds[0];
  d->out_source = attach (d, g_unix_fd_source_new (fds[0], G_IO_IN | G_IO_HUP | G_IO_ERR),
                          (GSourceFunc) (void (*) (void)) hotplug_hook_on_output);
  d->timeout_s = hotplug_config_get_hook_timeout (d->config, d->hook->name);
  d->timeout_source = attach (d, g_timeout_source_new ((guint) (d->timeout_s * 1000)), on_timeout);
  d->running = TRUE;
  if (hotplug_hook_use_unit (d))
    {
      hotplug_hook_spawn_unit (d, fds[1]);
      return TRUE;
    }
  if (!hotplug_hook_spawn_process (d, fds[1], error))
    return FALSE;
  hotplug_hook_spawned (d);
  return TRUE;
}

static void
run_next (RunData *d)
{
  HotplugHook *hook = NULL;
  g_autoptr(GError) error = NULL;

  /* Cancellation is a result (with the records so far), not an error. */
  if (g_cancellable_is_cancelled (g_task_get_cancellable (d->task)))
    {
      finish (d, HOTPLUG_HOOK_OUTCOME_CANCELLED, NULL, g_strdup ("cancelled"));
      return;
    }

  while (d->next < d->result->hooks->len)
    {
      HotplugHook *h = g_ptr_array_index (d->result->hooks, d->next++);

      if (h->status != HOTPLUG_HOOK_RUNNABLE)
        continue;
      if (d->request->resume_from && strcmp (h->name, d->request->resume_from) < 0)
        continue;
      if (d->request->skip && g_strv_contains ((const char *const *) d->request->skip, h->name))
        continue;
      hook = h;
      break;
    }

  if (hook == NULL)
    {
      guint n = d->failures->len;

      if (n == 0)
        finish (d, HOTPLUG_HOOK_OUTCOME_OK, NULL, NULL);
      else
        {
          g_autofree char *first = g_strdup (g_ptr_array_index (d->failures, 0));
          finish (d, HOTPLUG_HOOK_OUTCOME_FAILED, NULL,
                  n == 1 ? g_steal_pointer (&first)
                         : g_strdup_printf ("%u hooks failed; first: %s", n, first));
        }
      return;
    }

  d->hook = hook;
  d->record = g_new0 (HotplugHookRecord, 1);
  d->record->name = g_strdup (hook->name);
  d->record->path = g_strdup (hook->path);
  d->record->exit_status = -1;
  d->record->start_time = g_get_real_time ();
  g_ptr_array_add (d->result->records, d->record);
  d->output = g_string_new (NULL);
  d->overflowing = FALSE;
  d->start_mono = g_get_monotonic_time ();

  if (d->progress)
    d->progress (HOTPLUG_HOOK_RUNNER (g_task_get_source_object (d->task)),
                 d->request, d->record, HOTPLUG_HOOK_STARTING, d->progress_data);
  hotplug_hook_log (d, G_LOG_LEVEL_INFO, NULL, "Running hook %s for %s of %s", hook->path,
            d->request->event, d->request->unit);

  if (!start_hook (d, &error))
    hotplug_hook_spawn_failed (d, error->message);
}

static gboolean
on_cancelled (GCancellable *cancellable, gpointer user_data)
{
  RunData *d = user_data;

  g_clear_pointer (&d->cancel_source, g_source_unref);
  if (d->running)
    {
      /* The exit of the hook finishes the run. */
      d->cancelled = TRUE;
      hotplug_hook_log (d, G_LOG_LEVEL_MESSAGE, NULL, "Cancelled: stopping hook %s", d->record->name);
      start_kill (d);
    }
  return G_SOURCE_REMOVE;
}

void
hotplug_hook_runner_kill_all (HotplugHookRunner *self)
{
  GDBusConnection *bus = NULL;
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->runs);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      RunData *d = key;

      if (d->unit_name)
        {
          hotplug_hook_unit_kill (d, SIGKILL);
          bus = d->bus;
          hotplug_hook_log (d, G_LOG_LEVEL_MESSAGE, NULL, "Stopping: hook %s killed (unit %s)",
                            d->record->name, d->unit_name);
        }
      else if (d->pid > 0 && kill (-d->pid, SIGKILL) == 0)
        hotplug_hook_log (d, G_LOG_LEVEL_MESSAGE, NULL, "Stopping: hook %s killed", d->record->name);
    }
  /* the daemon exits next: the calls must be out before */
  if (bus)
    g_dbus_connection_flush_sync (bus, NULL, NULL);
}

void
hotplug_hook_runner_run_async (HotplugHookRunner        *self,
                               const HotplugHookRequest *request,
                               GCancellable             *cancellable,
                               HotplugHookProgressFunc   progress,
                               gpointer                  progress_data,
                               GDestroyNotify            progress_destroy,
                               GAsyncReadyCallback       callback,
                               gpointer                  user_data)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *hooks;
  RunData *d;
  GTask *task;

  g_return_if_fail (HOTPLUG_IS_HOOK_RUNNER (self));
  g_return_if_fail (request != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hotplug_hook_runner_run_async);
  /* a cancelled run still returns its result (outcome CANCELLED) */
  g_task_set_check_cancellable (task, FALSE);

  d = g_new0 (RunData, 1);
  d->task = task;
  d->runner = self;
  g_hash_table_add (self->runs, d);
  d->out_fd = -1;
  d->unit_out = -1;
  d->progress = progress;
  d->progress_data = progress_data;
  d->progress_destroy = progress_destroy;
  d->context = g_main_context_ref_thread_default ();
  d->config = hotplug_config_ref (self->config);
  d->request = hotplug_hook_request_copy (request);
  g_task_set_task_data (task, d, (GDestroyNotify) run_data_free);

  if (request->unit == NULL || *request->unit == '\0')
    {
      g_task_return_new_error (task, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                               "A hook request needs a unit or domain id");
      g_object_unref (task);
      return;
    }
  hooks = hotplug_hooks_discover (self->vendor_root, self->admin_root,
                                  request->kind, request->event, &error);
  if (hooks == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  hotplug_hooks_log_refused (hooks, request->event);

  d->phase = hotplug_hook_event_phase (request->event);
  d->envp = build_env (d->request, d->phase);
  d->line = g_string_new (NULL);
  d->failures = g_ptr_array_new_with_free_func (g_free);
  d->result = g_new0 (HotplugHookResult, 1);
  d->result->event = g_strdup (request->event);
  d->result->hooks = hooks;
  d->result->records = g_ptr_array_new_with_free_func ((GDestroyNotify) hotplug_hook_record_free);

  if (cancellable)
    {
      d->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (d->cancel_source, (GSourceFunc) (void (*) (void)) on_cancelled, d, NULL);
      g_source_attach (d->cancel_source, d->context);
    }

  run_next (d);
}

HotplugHookResult *
hotplug_hook_runner_run_finish (HotplugHookRunner  *self,
                                GAsyncResult       *result,
                                GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

