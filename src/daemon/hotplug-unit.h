/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "hotplug-dbus.h"
#include "hotplug-enums.h"

G_BEGIN_DECLS

/* A unit as the platform model keeps it and as the bus sees it: the
 * generated skeleton holds the D-Bus properties, so every change made with
 * the setters below reaches clients as one coalesced PropertiesChanged. */
#define HOTPLUG_TYPE_UNIT (hotplug_unit_get_type ())
G_DECLARE_FINAL_TYPE (HotplugUnit, hotplug_unit, HOTPLUG, UNIT, HotplugDbusUnitSkeleton)

HotplugUnit     *hotplug_unit_new (HotplugUnitKind kind,
                                   const char     *id);

HotplugUnitKind  hotplug_unit_get_kind (HotplugUnit *self);
const char      *hotplug_unit_get_id (HotplugUnit *self);
/* The state the kernel shows (set by the platform). */
HotplugUnitState hotplug_unit_get_state (HotplugUnit *self);
void             hotplug_unit_set_state (HotplugUnit     *self,
                                         HotplugUnitState state);
/* The job side of a unit, written by the job engine only (hotplug-job.c):
 * Unit.Job, Phase, the LastJob* properties, and the state a job holds.
 * While a job runs the bus shows its state (adding, removing) instead of
 * the kernel's; after a failed rollback it shows failed until a job on
 * it (not a dry run) succeeds. */
void             hotplug_unit_job_attached (HotplugUnit *self, const char *job_path);
void             hotplug_unit_job_running (HotplugUnit *self, HotplugUnitState state);
void             hotplug_unit_job_phase (HotplugUnit *self, const char *phase);
void             hotplug_unit_job_ended (HotplugUnit *self,
                                         const char  *operation,
                                         const char  *state,
                                         const char  *reason,
                                         gint64       end_time,
                                         gboolean     dry_run,
                                         gboolean     unit_failed);
/* A firmware eject request waits for the unit's running job (written by
 * the platform-job policy only). */
void             hotplug_unit_set_eject_pending (HotplugUnit *self, gboolean pending);
/* A unit left failed before the daemon restarted (the state directory):
 * failed again, with the reason as its last job's. */
void             hotplug_unit_restore_failed (HotplugUnit *self, const char *reason);
/* The state clients see (held or the kernel's). */
HotplugUnitState hotplug_unit_get_public_state (HotplugUnit *self);

/* The CPUs of the unit (sorted); CpusOnline is derived from them and the
 * platform's per-CPU state with hotplug_unit_set_cpus_online(). */
void             hotplug_unit_set_cpu_list (HotplugUnit *self,
                                            GArray      *cpus);
GArray          *hotplug_unit_get_cpu_list (HotplugUnit *self);

/* Memory counters, kept incrementally by the platform. */
guint            hotplug_unit_get_blocks_online (HotplugUnit *self);

/* Setters that touch a D-Bus property only when the value differs. */
void             hotplug_unit_update_string (HotplugUnit *self,
                                             const char  *property,
                                             const char  *value);
void             hotplug_unit_update_strv (HotplugUnit        *self,
                                           const char         *property,
                                           const char *const *value);
void             hotplug_unit_update_uint (HotplugUnit *self,
                                           const char  *property,
                                           guint        value);
void             hotplug_unit_update_uint64 (HotplugUnit *self,
                                             const char  *property,
                                             guint64      value);

/* Unit.Blockers (a(ssss)); announced only when it differs.  Written by
 * the blockers watch alone (hotplug-blockers-watch.c). */
void             hotplug_unit_update_blockers (HotplugUnit *self,
                                               GVariant    *blockers);

/* D-Bus object path of a unit id: HOTPLUG_DBUS_UNIT_PATH "/" followed by
 * the id escaped with g_dbus_escape_object_path() (every byte outside
 * [A-Za-z0-9] becomes _xx in hex: slot-3 → slot_2d3). */
char            *hotplug_unit_object_path (const char *id);

G_END_DECLS
