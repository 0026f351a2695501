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
  gboolean                 killing;
  gboolean                 cancelled;
  GString                 *line;
  GString                 *output;
  gboolean                 overflowing;
  gboolean                 continued;  /* d->line is the rest of a cut line */
  HotplugHookRunner       *runner; /* not a reference: the task holds one */
} RunData;

HotplugHookRequest *hotplug_hook_request_copy (const HotplugHookRequest *src);
void                hotplug_hook_record_free (HotplugHookRecord *rec);

/* Destroys and drops a source of the run, if any. */
void                hotplug_hook_clear_source (GSource **source);

/* A message about the run, with the hook, job, unit and event as fields. */
void     hotplug_hook_log (RunData *d, GLogLevelFlags level, const char *message_id,
                           const char *format, ...) G_GNUC_PRINTF (4, 5);

/* Output: the read end of the hook's pipe is readable (a GUnixFDSource
 * callback); the hook has exited: what is left is read, the record's
 * output is completed. */
gboolean hotplug_hook_on_output (int fd, GIOCondition condition, gpointer user_data);
void     hotplug_hook_output_close (RunData *d);
