/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "hotplug-auth.h"
#include "hotplug-blockers-watch.h"
#include "hotplug-jobs.h"

G_BEGIN_DECLS

/* The bus methods that start, cancel and resume jobs: Unit.Add, Remove
 * and Replace; Domain.PrepareForSwitchover, CancelSwitchover and Connect;
 * Job.Cancel and Resume.  What is asked decides the answer before anyone
 * is asked for a password: options, presence, Busy (a running job, then a
 * fresh busy-device check where one applies), then polkit. */
#define HOTPLUG_TYPE_CALLS (hotplug_calls_get_type ())
G_DECLARE_FINAL_TYPE (HotplugCalls, hotplug_calls, HOTPLUG, CALLS, GObject)

HotplugCalls *hotplug_calls_new (HotplugPlatform      *platform,
                                 HotplugJobs          *jobs,
                                 HotplugAuth          *auth,
                                 HotplugBlockersWatch *blockers);

void          hotplug_calls_connect_unit (HotplugCalls *self, HotplugUnit *unit);
void          hotplug_calls_connect_domain (HotplugCalls *self, HotplugDomain *domain);
void          hotplug_calls_connect_job (HotplugCalls *self, HotplugJob *job);

G_END_DECLS
