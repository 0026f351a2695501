/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The job engine on the fixture machine (hotplug-fixture.h), with the test
 * playing the kernel: every sysfs write a job makes is answered, from the
 * main loop, with the file change and the uevent a kernel sends.  Hooks
 * and the fake kernel write to one log, so its order is the order of
 * events. */

#pragma once

#include "hotplug-fixture.h"
#include "hotplug-jobs.h"
#include "hotplug-udev.h"

typedef struct
{
  HotplugFixture    *fx;
  HotplugUdev       *udev;
  HotplugPlatform   *platform;
  HotplugConfig     *config;
  HotplugHookRunner *runner;
  HotplugJobs       *jobs;
  char              *hooks;   /* admin hook root */
  char              *log;     /* the ordered log */
  char              *mute;    /* a write ("path=value") the kernel does not answer */
  GPtrArray         *writes;  /* "path=value" */
} Test;

/* the fixture: a machine, its udev, platform, hooks and jobs */
void log_line (Test *t, const char *line);
char **read_log (Test *t);
void inject (Test *t, const char *action, const char *subsystem, const char *devpath);
void add_hook (Test *t, const char *kind, const char *event, const char *name, const char *body);
void setup (Test *t, gconstpointer data);
void teardown (Test *t, gconstpointer data);
HotplugUnit *unit (Test *t, const char *id);
HotplugJob *run (Test *t, const char *id, HotplugOperation op, const HotplugJobOptions *options,
                 HotplugJob **out_job);
void assert_log (Test *t, const char *const *expected);
