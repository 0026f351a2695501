/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Inside the hook runner: what its files share.  hotplug-hooks.c has the
 * events, requests, results and the runner object; hotplug-hook-discover.c
 * finds the hooks of an event and judges their trust; hotplug-hook-run.c
 * spawns them one at a time and follows each to its end;
 * hotplug-hook-output.c captures and parses what they print. */

#include "hotplug-hooks.h"

/* A reason= line longer than this is cut; output lines are logged in
 * pieces of at most this size. */
#define HOTPLUG_HOOK_LINE_MAX 4096

struct _HotplugHookRunner
{
  GObject        parent_instance;
  HotplugConfig *config;
  char          *vendor_root;
  char          *admin_root;
  GHashTable    *runs;  /* RunData of the events now running */
  guint          unit_seq;      /* makes each hook's unit name unique */
  gboolean       no_systemd;    /* auto: systemd was not on the bus */
  gboolean       subscribed;    /* systemd was asked for its unit signals */
};

/* One event being run.  Owned by the GTask; every source below is
 * destroyed before the task returns. */
typedef struct {
  GTask                   *task;
  GMainContext            *context;
  HotplugConfig           *config;
  HotplugHookRequest      *request;
  HotplugHookPhase         phase;
  HotplugHookResult       *result;
  GPtrArray               *failures;
  GStrv                    envp;
  guint                    next;
  HotplugHookProgressFunc  progress;
  gpointer                 progress_data;
  GDestroyNotify           progress_destroy;
  GSource                 *cancel_source;

  /* the hook now running */
  HotplugHook             *hook;
  HotplugHookRecord       *record;
  GPid                     pid;
  int                      out_fd;
  GSource                 *child_source;
  GSource                 *out_source;
  GSource                 *timeout_source;
  GSource                 *kill_source;
  gint64                   start_mono;
  double                   timeout_s;
  gboolean                 running;  /* spawned (or being started as a unit), not ended */
  gboolean                 killing;
  gboolean                 cancelled;
  GString                 *line;
  GString                 *output;
  gboolean                 overflowing;
  gboolean                 continued;  /* d->line is the rest of a cut line */
  HotplugHookRunner       *runner; /* not a reference: the task holds one */

  /* the hook now running, as a transient systemd unit */
  char                    *unit_name;
  GDBusConnection         *bus;
  GCancellable            *unit_cancel;  /* calls in flight when the run ends */
  guint                    unit_sub;     /* its PropertiesChanged */
  int                      unit_out;     /* write end of the pipe until systemd has it */
  guint                    unit_tries;   /* names tried: one may be taken */
  int                      exec_code;    /* ExecMainCode: 0 until the process ended */
  int                      exec_status;
  gboolean                 unit_seen_active;
} RunData;

HotplugHookRequest *hotplug_hook_request_copy (const HotplugHookRequest *src);
void                hotplug_hook_record_free (HotplugHookRecord *rec);

/* Destroys and drops a source of the run, if any. */
void                hotplug_hook_clear_source (GSource **source);

/* A message about the run, with the hook, job, unit and event as fields. */
void     hotplug_hook_log (RunData *d, GLogLevelFlags level, const char *message_id,
                           const char *format, ...) G_GNUC_PRINTF (4, 5);

/* The two spawners below one runner: a child process of the daemon
 * (hotplug-hook-run.c) or a transient systemd unit (hotplug-hook-unit.c).
 * Either ends in exactly one of hotplug_hook_exited() or
 * hotplug_hook_spawn_failed(); hotplug_hook_spawned() is called once the
 * hook runs. */
void     hotplug_hook_spawned (RunData *d);
void     hotplug_hook_exited (RunData *d, int exit_status, int term_signal);
void     hotplug_hook_spawn_failed (RunData *d, const char *message);
/* Direct spawn; OUT (the pipe's write end) is closed either way. */
gboolean hotplug_hook_spawn_process (RunData *d, int out, GError **error);

/* Whether this hook runs as a unit (configuration, systemd present). */
gboolean hotplug_hook_use_unit (RunData *d);
/* Starts it; takes OUT.  Asynchronous: ends as said above. */
void     hotplug_hook_spawn_unit (RunData *d, int out);
/* SIGNAL to every process of the unit's cgroup. */
void     hotplug_hook_unit_kill (RunData *d, int signal);
/* Forgets the unit of the run (the signal subscription, calls in flight). */
void     hotplug_hook_unit_clear (RunData *d);
/* "hotplugd-hook-<job>-<n>-<hook>.service", escaped for systemd */
char    *hotplug_hook_unit_name (const char *job, const char *hook, guint seq);
/* systemd's object path of a unit name */
char    *hotplug_hook_unit_path (const char *unit);

/* Output: the read end of the hook's pipe is readable (a GUnixFDSource
 * callback); the hook has exited: what is left is read, the record's
 * output is completed. */
gboolean hotplug_hook_on_output (int fd, GIOCondition condition, gpointer user_data);
void     hotplug_hook_output_close (RunData *d);
/* N bytes the hook printed, as read from its pipe: cut into lines, logged,
 * kept in d->output, the reason= line in d->record->reason. */
void     hotplug_hook_output_feed (RunData *d, const char *buf, gsize n);
