/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include <libudev.h>

/* The kernel uevent monitor the tests read (sim_helpers_init). */
extern struct udev *udev;
extern struct udev_monitor *mon;

typedef struct {
  char *action;
  char *devpath;
  char *subsystem;
  char *event;     /* EVENT property or NULL */
  char *driver;    /* DRIVER property or NULL */
  gint64 when;
} Ev;

/* g_test_init; FALSE (skip the program) unless ENV says we run under the
 * simulator (HOW tells how to run it); then the uevent monitor. */
gboolean   sim_helpers_init (int *argc, char ***argv, const char *env, const char *how);
/* g_test_run, then the monitor goes */
int        sim_helpers_run (void);
/* 0 or the errno of the write */
int        sysw (const char *path, const char *value);
char      *sysr (const char *path);
/* hotplug-sim ctl ARGS: its exit status, its stderr in ERR_OUT */
int        ctl (const char *args, char **err_out);
void       ev_free (Ev *e);
/* Collects events until none arrives for QUIET ms (or MAX events). */
GPtrArray *collect (int quiet_ms, guint max);
Ev        *ev (GPtrArray *evs, guint i);
/* Index of the first ACTION on DEVPATH, -1 when none. */
int        find (GPtrArray *evs, const char *action, const char *devpath);
guint      count_subsystem (const char *subsystem);
/* "unbind remove ...": the actions of EVS in order */
char      *actions (GPtrArray *evs);
