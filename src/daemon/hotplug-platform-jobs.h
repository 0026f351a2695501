/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "hotplug-jobs.h"

G_BEGIN_DECLS

/* The policy for the jobs the platform starts (hotplug.conf: auto-add,
 * auto-remove-on-eject, surprise-removal-hooks):
 *  - a firmware eject request runs the remove flow ending in the eject; one
 *    that comes while a job runs on the board waits for it (an add in
 *    progress is cancelled first) and Unit.EjectPending shows it;
 *  - a new board, I/O unit or hot-added CPU is added once it settled;
 *  - devices that vanish from a slot while no job of ours runs there run
 *    the post-remove hooks ("surprise removal").
 * Owned by HotplugJobs, which it asks for the jobs. */
typedef struct _HotplugPlatformJobs HotplugPlatformJobs;

HotplugPlatformJobs *hotplug_platform_jobs_new (HotplugJobs *jobs, HotplugPlatform *platform);
void                 hotplug_platform_jobs_free (HotplugPlatformJobs *self);
/* Off until start-up is over (what is offline then stays so). */
void                 hotplug_platform_jobs_enable (HotplugPlatformJobs *self, gboolean enabled);
/* A job ended: a queued eject request may run now. */
void                 hotplug_platform_jobs_job_ended (HotplugPlatformJobs *self, HotplugJob *job);

G_END_DECLS
