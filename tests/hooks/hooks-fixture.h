/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The fixture the hook runner tests share: a fresh vendor and admin
 * root per test, hooks written as sh scripts, a run waited for. */
#pragma once

#include <sys/types.h>

#include "hotplug-config.h"
#include "hotplug-hooks.h"

/* Every test gets a fresh vendor and admin root and a log file the hooks
 * append their names to.  Hooks are small sh scripts whose text names the
 * log (their environment is built from scratch, so it cannot tell them). */
typedef struct {
  char              *tmp;
  char              *vendor;
  char              *admin;
  char              *log;
  HotplugConfig     *config;
  HotplugHookRunner *runner;
  GPtrArray         *progress;  /* "start NAME" / "end NAME" */
  guint              ticks;
} Fixture;

/* skips the test unless run as root (hooks must be owned by root) */
gboolean need_root (void);
void fixture_setup (Fixture *f, gconstpointer data);
void rm_rf (const char *path);
void fixture_teardown (Fixture *f, gconstpointer data);
char *write_hook (Fixture *f, const char *root, const char *dir, const char *event,
                  const char *name, const char *body, int mode);
void logging_hook (Fixture *f, const char *root, const char *dir, const char *event,
                   const char *name, int status);
char *read_log (Fixture *f);
HotplugHookResult *run_full (Fixture *f, const HotplugHookRequest *req, GCancellable *cancellable,
                             GError **error);
HotplugHookResult *run (Fixture *f, const char *event, const char *kind);
HotplugHook *lookup_hook (GPtrArray *hooks, const char *name);
HotplugHook *find_hook (GPtrArray *hooks, const char *name);
char *hook_names (GPtrArray *hooks);
gboolean pid_gone (pid_t pid);
pid_t read_pid (const char *path);
