/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "hotplug-blockers.h"
#include "hotplug-platform.h"

G_BEGIN_DECLS

/* Keeps Unit.Blockers and Domain.Blockers current, and answers the fresh
 * check a Remove needs; the only writer of those properties.
 *
 * When: a refresh of every unit and domain runs in a worker thread
 * (hotplug_blockers_scan_async) shortly after the model changes (a unit's
 * devices, CPUs, memory or state), when the kernel reports a change of the
 * mount table or of the swap areas (/proc/self/mountinfo and /proc/swaps
 * poll with POLLPRI/POLLERR), and every refresh-interval seconds for what
 * nothing announces (a process opening a disk, pinning itself to a CPU, an
 * interface going up).  Changes that come in bursts (a board's 16,384
 * memory blocks) cost one refresh: requests are coalesced and one scan runs
 * at a time.  Nothing runs before hotplug_blockers_watch_start() (the bus
 * name is owned). */
#define HOTPLUG_TYPE_BLOCKERS_WATCH (hotplug_blockers_watch_get_type ())
G_DECLARE_FINAL_TYPE (HotplugBlockersWatch, hotplug_blockers_watch, HOTPLUG, BLOCKERS_WATCH, GObject)

HotplugBlockersWatch *hotplug_blockers_watch_new (HotplugPlatform *platform);

/* Start-up, once the model is complete: every unit's and domain's first
 * Blockers are found in a thread of its own (the system's mounts, swap,
 * processes and IRQs, the memory blocks' valid_zones) and applied in the
 * main thread as soon as they are in; the signal "primed" follows.  The bus name is asked for only then, so that no
 * client ever sees a Blockers that was not looked at (Blockers shows what
 * would break at any time). */
void       hotplug_blockers_watch_prime (HotplugBlockersWatch *self);
void       hotplug_blockers_watch_start (HotplugBlockersWatch *self);
/* Seconds between periodic refreshes; 0 turns them off. */
void       hotplug_blockers_watch_set_interval (HotplugBlockersWatch *self,
                                                double                seconds);
/* Ask for a refresh soon. */
void       hotplug_blockers_watch_refresh (HotplugBlockersWatch *self);

/* Facts of a unit or a domain as the model shows them now (which memory
 * blocks are online comes from the model). */
HotplugBlockerFacts *hotplug_blockers_facts_of_unit (HotplugPlatform *platform,
                                                     HotplugUnit     *unit);
HotplugBlockerFacts *hotplug_blockers_facts_of_domain (HotplugDomain *domain);

/* A fresh scan of one unit, in a worker, begun after the call: the result
 * also becomes its Blockers property.  Checks asked for while one scans
 * share the next scan.  Finish returns the GPtrArray of HotplugBlocker *. */
void       hotplug_blockers_watch_check_async (HotplugBlockersWatch *self,
                                               HotplugUnit          *unit,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
/* The same for a domain (a switchover's check). */
void       hotplug_blockers_watch_check_domain_async (HotplugBlockersWatch *self,
                                                      HotplugDomain        *domain,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
GPtrArray *hotplug_blockers_watch_check_finish (HotplugBlockersWatch *self,
                                                GAsyncResult         *result,
                                                GError              **error);
/* How many scans have answered the checks so far. */
guint      hotplug_blockers_watch_get_check_scans (HotplugBlockersWatch *self);

G_END_DECLS
