/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* hotplugd.conf (GKeyFile).  The hook runner's keys:
 *
 *   [hooks]
 *   timeout=SECONDS       every hook's time limit (default 300)
 *   kill-grace=SECONDS    SIGTERM → SIGKILL delay on expiry (default 5)
 *   run-as-units=auto     each hook a transient systemd unit of its own:
 *                         auto (where systemd is PID 1 and on the system
 *                         bus), yes (always: no systemd is a failure to
 *                         run the hook), no (a child process of the daemon)
 *
 *   [hook NAME]
 *   timeout=SECONDS       the limit of one hook, by file name
 *
 *   [daemon]
 *   memory-online-type=online_movable   how hot-added memory is onlined
 *                         (online, online_kernel, online_movable)
 *   step-timeout=SECONDS  how long one kernel step may take (default 30)
 *   job-linger=SECONDS    how long an ended job stays on the bus (default 60)
 *   auto-add=BOOL         add a board or CPU that appears (default true)
 *   auto-remove-on-eject=BOOL  remove a board whose eject the firmware
 *                         requests (default true)
 *   switchover-retry-interval=SECONDS  how often a pending switchover asks
 *                         again: a pre-switchover hook that answered 75, a
 *                         device that refused under persist (default 5)
 *
 *   [blockers]
 *   refresh-interval=SECONDS  how often Unit.Blockers and Domain.Blockers
 *                         are refreshed besides model, mount and swap
 *                         changes (default 300; 0: only on those changes)
 *
 * Seconds may have a fraction ("0.5").  Other groups belong to other parts
 * of the daemon and are left alone; an unknown key in a group read here is
 * an error, since a misspelt timeout would otherwise be silently ignored. */

#define HOTPLUG_CONFIG_DEFAULT_HOOK_TIMEOUT 300.0
#define HOTPLUG_CONFIG_DEFAULT_KILL_GRACE   5.0

#define HOTPLUG_CONFIG_DEFAULT_STEP_TIMEOUT 30.0
#define HOTPLUG_CONFIG_DEFAULT_JOB_LINGER   60.0
#define HOTPLUG_CONFIG_DEFAULT_ONLINE_TYPE  "online_movable"
#define HOTPLUG_CONFIG_DEFAULT_BLOCKERS_REFRESH 300.0
/* how often a pending switchover asks again (exit 75, a device under persist) */
#define HOTPLUG_CONFIG_DEFAULT_SWITCHOVER_RETRY 5.0

typedef struct _HotplugConfig HotplugConfig;

typedef enum {
  HOTPLUG_HOOK_UNITS_AUTO,
  HOTPLUG_HOOK_UNITS_YES,
  HOTPLUG_HOOK_UNITS_NO,
} HotplugHookUnits;

HotplugConfig *hotplug_config_new (void);
HotplugConfig *hotplug_config_ref (HotplugConfig *config);
void           hotplug_config_unref (HotplugConfig *config);

/* SYSCONFDIR/hotplugd/hotplugd.conf */
const char    *hotplug_config_default_path (void);

/* A missing file gives the defaults; a malformed one an error naming the
 * file, the group and the key. */
HotplugConfig *hotplug_config_load_file (const char *path, GError **error);
HotplugConfig *hotplug_config_load_data (const char *data, const char *origin, GError **error);

double         hotplug_config_get_hook_timeout (HotplugConfig *config, const char *hook_name);
double         hotplug_config_get_kill_grace (HotplugConfig *config);
HotplugHookUnits hotplug_config_get_hook_units (HotplugConfig *config);
void           hotplug_config_set_hook_units (HotplugConfig *config, HotplugHookUnits value);
void           hotplug_config_set_hook_timeout (HotplugConfig *config, const char *hook_name, double seconds);
void           hotplug_config_set_kill_grace (HotplugConfig *config, double seconds);

const char    *hotplug_config_get_memory_online_type (HotplugConfig *config);
double         hotplug_config_get_step_timeout (HotplugConfig *config);
double         hotplug_config_get_job_linger (HotplugConfig *config);
gboolean       hotplug_config_get_auto_add (HotplugConfig *config);
gboolean       hotplug_config_get_auto_remove_on_eject (HotplugConfig *config);
gboolean       hotplug_config_get_surprise_removal_hooks (HotplugConfig *config);
void           hotplug_config_set_step_timeout (HotplugConfig *config, double seconds);
void           hotplug_config_set_job_linger (HotplugConfig *config, double seconds);
void           hotplug_config_set_auto_add (HotplugConfig *config, gboolean value);
/* 0: no periodic refresh */
double         hotplug_config_get_blockers_refresh (HotplugConfig *config);
double         hotplug_config_get_switchover_retry (HotplugConfig *config);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotplugConfig, hotplug_config_unref)

G_END_DECLS
