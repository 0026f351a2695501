/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <gio/gio.h>

#include "hotplug-config.h"

G_BEGIN_DECLS

/* The collaboration hook runner: discovery and trust of the hooks of one
 * event, and running them one at a time on the main loop (never blocking)
 * with the protocol of design.md "Collaboration hooks" and hotplugd-hooks(7).
 *
 * Events and kinds are strings, as they appear in directory names, in the
 * hook's environment and on the command line.  The unit events (add, remove,
 * replace) take the unit kinds sb, iou, slot, cpu, memory; the domain events
 * (switchover, connect) take the kind "domain".  Any other pairing is an
 * HOTPLUG_ERROR_INVALID_ARGUMENT. */

/* pre-switchover: "not yet", ask again later (EX_TEMPFAIL) */
#define HOTPLUG_HOOK_EXIT_RETRY 75

typedef enum {
  HOTPLUG_HOOK_PHASE_PRE,     /* pre-*: a failure vetoes and ends the event */
  HOTPLUG_HOOK_PHASE_POST,    /* post-*: failures are reported only */
  HOTPLUG_HOOK_PHASE_FAILED,  /* *-failed: every hook runs, descending */
} HotplugHookPhase;

gboolean    hotplug_hook_event_is_valid (const char *event);
gboolean    hotplug_hook_kind_is_valid (const char *kind);
/* Checks both and their pairing; the error names what is wrong. */
gboolean    hotplug_hook_check_event (const char *event, const char *kind, GError **error);
HotplugHookPhase hotplug_hook_event_phase (const char *event);
/* "pre-remove" → "remove", "post-connect" → "connect" (static string) */
const char *hotplug_hook_event_operation (const char *event);
/* NULL-terminated static list of every event, in table order */
const char * const *hotplug_hook_events (void);

/* Hook roots: VENDOR_HOOKS_DIR, and ADMIN_HOOKS_DIR unless
 * $HOTPLUG_HOOKS_DIR names another admin root. */
const char *hotplug_hooks_default_vendor_root (void);
const char *hotplug_hooks_default_admin_root (void);

/* ---- Discovery ---------------------------------------------------------- */

typedef enum {
  HOTPLUG_HOOK_RUNNABLE,
  HOTPLUG_HOOK_MASKED,    /* symlink to /dev/null: listed, never run */
  HOTPLUG_HOOK_REFUSED,   /* failed a trust check: listed with the reason */
} HotplugHookStatus;

typedef enum {
  HOTPLUG_HOOK_ORIGIN_VENDOR,
  HOTPLUG_HOOK_ORIGIN_ADMIN,
} HotplugHookOrigin;

typedef struct {
  char              *name;     /* file name: the key that overrides and masks */
  char              *path;     /* what is executed (not resolved) */
  char              *root;     /* the hook root it was found under */
  HotplugHookOrigin  origin;
  char              *dir;      /* the kind ("sb") or "any" */
  HotplugHookStatus  status;
  char              *reason;   /* REFUSED: why, e.g. "writable by others (mode 0666)" */
} HotplugHook;

void         hotplug_hook_free (HotplugHook *hook);
const char  *hotplug_hook_status_to_string (HotplugHookStatus status); /* runnable, masked, refused */
const char  *hotplug_hook_origin_to_string (HotplugHookOrigin origin); /* vendor, admin */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotplugHook, hotplug_hook_free)

/* Every hook of EVENT for KIND under both roots (either may be NULL), in
 * run order (ascending by name, descending for *-failed), masked and refused
 * hooks included.  Precedence for one name: admin/<kind>, admin/any,
 * vendor/<kind>, vendor/any.  A root or event directory that does not
 * exist is simply empty. */
GPtrArray   *hotplug_hooks_discover (const char  *vendor_root,
                                     const char  *admin_root,
                                     const char  *kind,
                                     const char  *event,
                                     GError     **error);
/* Logs the refused hooks among HOOKS, found for EVENT: done where they
 * were to run, not where they are only listed (anyone may list them, as
 * often as they like). */
void         hotplug_hooks_log_refused (GPtrArray  *hooks,
                                        const char *event);

/* ---- Running an event --------------------------------------------------- */

typedef struct {
  char     *event;          /* "pre-remove" */
  char     *kind;           /* "sb", or "domain" for the domain events */
  char     *unit;           /* unit id, or the domain id */
  char     *job;            /* job id, may be NULL */
  char     *operation;      /* NULL: derived from the event */
  char     *sysfs_path;
  char     *cpus;           /* list form "8-15,32" */
  guint64   memory_bytes;
  char     *nodes;          /* list form */
  GStrv     pci_devices;    /* BDFs */
  gboolean  force;
  gboolean  dry_run;
  char     *failed_hook;    /* *-failed: what failed (hook or step) */
  char     *failure_reason;
  /* pre-switchover after RETRY: skip the hooks that sort before this name
   * (they already succeeded) and start with it.  NULL: from the start. */
  char     *resume_from;
  /* names of hooks that already ran for this event (a job recovered
   * after the daemon died): not run again.  NULL: none. */
  GStrv     skip;
} HotplugHookRequest;

HotplugHookRequest *hotplug_hook_request_new (const char *event, const char *kind, const char *unit);
void                hotplug_hook_request_free (HotplugHookRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotplugHookRequest, hotplug_hook_request_free)

typedef enum {
  HOTPLUG_HOOK_OUTCOME_OK,        /* every hook that ran succeeded */
  HOTPLUG_HOOK_OUTCOME_VETOED,    /* pre-*: a hook said no (result->hook, ->reason) */
  HOTPLUG_HOOK_OUTCOME_FAILED,    /* post-* / *-failed: some hooks failed (->failures) */
  HOTPLUG_HOOK_OUTCOME_TIMEOUT,   /* pre-*: a hook timed out: a veto */
  HOTPLUG_HOOK_OUTCOME_RETRY,     /* pre-switchover: exit 75, ask again later */
  HOTPLUG_HOOK_OUTCOME_CANCELLED, /* the GCancellable fired */
} HotplugHookOutcome;

const char *hotplug_hook_outcome_to_string (HotplugHookOutcome outcome);

/* What one hook did.  While it runs (progress "started"), only name, path
 * and start_time are set. */
typedef struct {
  char     *name;
  char     *path;
  GPid      pid;            /* the hook's process (and group) once spawned, else 0 */
  char     *unit;           /* or the transient systemd unit it runs in, else NULL */
  gint64    start_time;     /* g_get_real_time() */
  gint64    duration_us;    /* monotonic */
  int       exit_status;    /* -1 if killed by a signal or never started */
  int       term_signal;    /* 0 unless killed by a signal */
  gboolean  timed_out;
  gboolean  spawn_failed;   /* could not be executed; message in ->reason */
  char     *reason;         /* last "reason=" line, or the runner's words */
  char     *output;         /* stdout+stderr, first 64 KiB of it */
  guint64   output_dropped; /* bytes beyond that, counted and discarded */
} HotplugHookRecord;

/* Bytes of output kept per hook */
#define HOTPLUG_HOOK_OUTPUT_MAX (64 * 1024)

typedef struct {
  HotplugHookOutcome outcome;
  char      *event;
  char      *reason;    /* veto / timeout / retry / cancel reason; failure summary */
  char      *hook;      /* the hook that vetoed, timed out, asked to retry or was cancelled */
  GPtrArray *records;   /* HotplugHookRecord, in run order (hooks that ran) */
  GPtrArray *hooks;     /* HotplugHook, the discovered list (incl. masked/refused) */
  GStrv      failures;  /* post-* / *-failed: "NAME: exited with status 3" */
} HotplugHookResult;

void hotplug_hook_result_free (HotplugHookResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotplugHookResult, hotplug_hook_result_free)

#define HOTPLUG_TYPE_HOOK_RUNNER (hotplug_hook_runner_get_type ())
G_DECLARE_FINAL_TYPE (HotplugHookRunner, hotplug_hook_runner, HOTPLUG, HOOK_RUNNER, GObject)

typedef enum {
  HOTPLUG_HOOK_STARTING,  /* about to be spawned (only name, path, start_time set) */
  HOTPLUG_HOOK_FINISHED,  /* ended: the record is complete */
  HOTPLUG_HOOK_SPAWNED,   /* running: record->pid is its process group,
                           * or record->unit its systemd unit */
} HotplugHookStage;

/* Called on the main context for each hook as it starts, once it runs and
 * when it ends (a hook that cannot be spawned goes from STARTING to
 * FINISHED).  The job engine publishes Job.Hook and journals from it. */
typedef void (*HotplugHookProgressFunc) (HotplugHookRunner       *runner,
                                         const HotplugHookRequest *request,
                                         const HotplugHookRecord  *record,
                                         HotplugHookStage          stage,
                                         gpointer                  user_data);

/* CONFIG may be NULL (defaults); roots NULL: the default roots. */
HotplugHookRunner  *hotplug_hook_runner_new (HotplugConfig *config,
                                             const char    *vendor_root,
                                             const char    *admin_root);
void                hotplug_hook_runner_set_config (HotplugHookRunner *runner,
                                                    HotplugConfig     *config);
HotplugConfig      *hotplug_hook_runner_get_config (HotplugHookRunner *runner);
const char         *hotplug_hook_runner_get_vendor_root (HotplugHookRunner *runner);
const char         *hotplug_hook_runner_get_admin_root (HotplugHookRunner *runner);

/* Discover (at call time) and run the hooks of request->event.  The request
 * is copied.  The result comes back for every outcome, cancellation
 * included; the GError is only for a request that cannot run (unknown event
 * or kind). */
void                hotplug_hook_runner_run_async (HotplugHookRunner       *runner,
                                                   const HotplugHookRequest *request,
                                                   GCancellable             *cancellable,
                                                   HotplugHookProgressFunc   progress,
                                                   gpointer                  progress_data,
                                                   GDestroyNotify            progress_destroy,
                                                   GAsyncReadyCallback       callback,
                                                   gpointer                  user_data);
/* SIGKILL to the process group (or the unit's cgroup) of every hook
 * running now (the daemon exits: no hook outlives it). */
void                hotplug_hook_runner_kill_all (HotplugHookRunner *runner);
HotplugHookResult  *hotplug_hook_runner_run_finish (HotplugHookRunner  *runner,
                                                    GAsyncResult       *result,
                                                    GError            **error);

/* Stops the transient units of hooks that a dead daemon left running
 * (recovery).  Asynchronous, on the system bus. */
void                hotplug_hook_units_stop (const char * const *units);

G_END_DECLS
