/* hotplugctl — following a job from the call that starts it to its end,
 * for every operation on a unit (add, remove, replace) or on a domain
 * (switchover, connect).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "ctl-common.h"

G_BEGIN_DECLS

/* What to start: METHOD (a{sv} options) → o job on the target's object. */
typedef struct
{
  const char *operation;    /* as the job's Operation: "remove", "switchover" */
  const char *method;       /* "Remove", "PrepareForSwitchover" */
  const char *interface;    /* HOTPLUG_DBUS_IFACE_UNIT or _DOMAIN */
  const char *target;       /* the unit or domain id, as shown */
  const char *target_path;  /* its object path */
  GVariant   *options;
  gboolean    dry_run;
} HotplugCtlJobRequest;

/* Starts the job and follows it to its end; returns the exit status. */
int hotplug_ctl_follow_run (HotplugCtl *ctl, const HotplugCtlJobRequest *request);
/* --no-wait: starts the job, prints its number and path, returns. */
int hotplug_ctl_follow_no_wait (HotplugCtl *ctl, const HotplugCtlJobRequest *request);
/* The message for a call that did not start a job ("no such domain: 0001",
 * "cannot remove sb1: busy"). */
void hotplug_ctl_follow_call_error (const HotplugCtlJobRequest *request, GError *error);

/* --timeout SECONDS (1 or more), NULL when not given: returns 0, or the
 * usage status after saying what is wrong. */
int hotplug_ctl_parse_timeout (GOptionContext *context, const char *text,
                               gboolean *has_timeout, guint32 *timeout);

/* ---- inside the follower (ctl-follow.c, ctl-follow-view.c) ---------- */

typedef struct
{
  HotplugCtl   *ctl;
  const HotplugCtlJobRequest *request;
  const char   *operation;   /* request->operation */
  const char   *target;      /* request->target */
  GMainLoop    *loop;
  char         *owner;       /* hotplugd's unique name */
  guint         job_signals; /* subscription on the job path namespace */
  guint         removals;    /* InterfacesRemoved on the manager */
  guint         owner_watch;
  guint         sigint;
  GPtrArray    *early;       /* signals that came before the reply */

  char         *job_path;
  guint         job_id;
  GHashTable   *steps;       /* step index -> description */
  char         *phase;       /* the last phase printed */
  char         *step;        /* what the job does now */
  char         *hook;        /* the hook running now */
  guint         progress;
  char         *reason;
  char         *state;       /* the end state a signal announced */
  char         *pending;     /* the hook or device the job waits on, or NULL */
  char         *pending_reason;
  guint64       pending_since; /* µs since the epoch */
  guint         pending_tick;  /* redraws the progress line once a second */
  gboolean      progress_shown;
  guint         interrupts;  /* SIGINTs so far */
  gboolean      ending;      /* the end was seen; reading the last words */
  gboolean      done;
  int           status;
} HotplugCtlFollow;

/* ctl-follow-view.c: what the follower prints */
void hotplug_ctl_follow_print (HotplugCtlFollow *self, const char *format, ...) G_GNUC_PRINTF (2, 3);
void hotplug_ctl_follow_clear_progress (HotplugCtlFollow *self);
void hotplug_ctl_follow_draw_progress (HotplugCtlFollow *self);
void hotplug_ctl_follow_set_phase (HotplugCtlFollow *self, const char *phase);
/* Pending, PendingReason and PendingSince of the job changed (any of them
 * may be NULL: not in this change). */
void hotplug_ctl_follow_set_pending (HotplugCtlFollow *self, const char *pending,
                                     const char *reason, const guint64 *since);
void hotplug_ctl_follow_step_started (HotplugCtlFollow *self, GVariant *parameters);
void hotplug_ctl_follow_step_finished (HotplugCtlFollow *self, GVariant *parameters);
void hotplug_ctl_follow_hook_finished (HotplugCtlFollow *self, GVariant *parameters);
/* The end, as the daemon told it: prints the outcome and stops following. */
void hotplug_ctl_follow_report (HotplugCtlFollow *self, const char *state, const char *reason);
void hotplug_ctl_follow_quit (HotplugCtlFollow *self, int status);

G_END_DECLS
