/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "hotplug-dbus.h"
#include "hotplug-enums.h"
#include "hotplug-operation-kind.h"

G_BEGIN_DECLS

/* A PCI domain (segment), as the bus sees it, and the one owner of its
 * ConnectionState: the Redundant Host state machine
 *
 *   inactive ──Connect──▶ connected ──PrepareForSwitchover──▶ disconnecting
 *      ▲                    ▲   │                                 │    │
 *      │                    │   └─devices vanish (forced)─▶ inactive   │
 *      │                    └──failed, rejected, cancelled────────────┘│
 *      └──the platform takes the root bus── disconnected ◀─────────────┘
 *
 * changed only by the jobs on the domain (hotplug-job.c reports to it),
 * by the platform taking the domain away, and kept across restarts in
 * STATE_DIRECTORY/domains/<id>.  A switchover whose reconnection failed
 * leaves it `failed` until a Connect. */
#define HOTPLUG_TYPE_DOMAIN (hotplug_domain_get_type ())
G_DECLARE_FINAL_TYPE (HotplugDomain, hotplug_domain, HOTPLUG, DOMAIN, HotplugDbusDomainSkeleton)

/* @state_dir: where the state is kept (NULL: in memory only).  The state
 * saved there wins; without one, a domain whose devices are visible when
 * first seen is taken as connected (the host booted with it), else
 * inactive. */
HotplugDomain          *hotplug_domain_new (const char *id,
                                            const char *state_dir,
                                            gboolean    has_devices,
                                            gboolean    has_root_bus);
const char             *hotplug_domain_get_id (HotplugDomain *self);
HotplugConnectionState  hotplug_domain_get_connection_state (HotplugDomain *self);

/* The model's view (the ownership pass): Slots and PciDevices, and whether
 * a root bus of the domain exists.  Only what changed is announced.  This
 * is where the platform's own transitions happen: a connected domain whose
 * last device vanished while no job of this host touched it was taken by
 * another host (inactive); a disconnected one whose root bus went was
 * handed over (inactive). */
void                    hotplug_domain_update (HotplugDomain      *self,
                                               const char *const *slots,
                                               const char *const *pci_devices,
                                               gboolean            has_root_bus);
gboolean                hotplug_domain_has_root_bus (HotplugDomain *self);

/* A job of this host on a unit of the domain runs: devices it removes did
 * not vanish behind our back.  Counted; written by the job collection. */
void                    hotplug_domain_hold (HotplugDomain *self, gboolean hold);

/* The job side, written by the job engine only. */
void                    hotplug_domain_job_attached (HotplugDomain *self, const char *job_path);
void                    hotplug_domain_job_started (HotplugDomain   *self,
                                                    HotplugOperation op,
                                                    gboolean         dry_run);
void                    hotplug_domain_job_phase (HotplugDomain *self, const char *phase);
void                    hotplug_domain_job_ended (HotplugDomain   *self,
                                                  HotplugOperation op,
                                                  HotplugJobState  state,
                                                  const char      *reason,
                                                  gboolean         undo_failed);

/* Domain.Blockers (a(ssss)); announced only when it differs.  Written by
 * the blockers watch alone. */
void                    hotplug_domain_update_blockers (HotplugDomain *self,
                                                        GVariant      *blockers);

/* HOTPLUG_DBUS_DOMAIN_PATH "/" + the escaped id (0000 stays 0000). */
char                   *hotplug_domain_object_path (const char *id);

G_END_DECLS
