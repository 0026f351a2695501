/* hotplugd — every name that crosses a process boundary, in one place:
 * bus names, object paths, interfaces, environment variables, log fields.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

/* D-Bus */
#define HOTPLUG_DBUS_NAME             "org.hotplugd.Hotplug1"
#define HOTPLUG_DBUS_PATH             "/org/hotplugd/Hotplug1"
#define HOTPLUG_DBUS_UNIT_PATH        HOTPLUG_DBUS_PATH "/unit"
#define HOTPLUG_DBUS_JOB_PATH         HOTPLUG_DBUS_PATH "/job"
#define HOTPLUG_DBUS_DOMAIN_PATH      HOTPLUG_DBUS_PATH "/domain"
#define HOTPLUG_DBUS_IFACE_MANAGER    "org.hotplugd.Hotplug1.Manager"
#define HOTPLUG_DBUS_IFACE_UNIT       "org.hotplugd.Hotplug1.Unit"
#define HOTPLUG_DBUS_IFACE_JOB        "org.hotplugd.Hotplug1.Job"
#define HOTPLUG_DBUS_IFACE_DOMAIN     "org.hotplugd.Hotplug1.Domain"
#define HOTPLUG_DBUS_ERROR_PREFIX     "org.hotplugd.Hotplug1.Error"

/* polkit actions */
#define HOTPLUG_ACTION_PREFIX         "org.hotplugd.hotplug1."
#define HOTPLUG_ACTION_ADD            HOTPLUG_ACTION_PREFIX "add"
#define HOTPLUG_ACTION_REMOVE         HOTPLUG_ACTION_PREFIX "remove"
#define HOTPLUG_ACTION_REPLACE        HOTPLUG_ACTION_PREFIX "replace"
#define HOTPLUG_ACTION_CANCEL         HOTPLUG_ACTION_PREFIX "cancel"
#define HOTPLUG_ACTION_SWITCHOVER     HOTPLUG_ACTION_PREFIX "switchover"
#define HOTPLUG_ACTION_CONNECT        HOTPLUG_ACTION_PREFIX "connect"
#define HOTPLUG_ACTION_RELOAD         HOTPLUG_ACTION_PREFIX "reload"

/* Environment the daemon, the client and the simulator honour */
#define HOTPLUG_ENV_SYSFS_ROOT        "HOTPLUG_SYSFS_ROOT"   /* prefix for every sysfs path (unit tests) */
#define HOTPLUG_ENV_HOOKS_DIR         "HOTPLUG_HOOKS_DIR"    /* admin hook root instead of /etc/hotplugd/hooks.d */
#define HOTPLUG_ENV_MACHINE           "HOTPLUG_MACHINE"      /* simulator machine description */
#define HOTPLUG_ENV_POLKIT            "HOTPLUG_POLKIT"       /* tools/demo: allow, deny, real */
#define HOTPLUG_ENV_SIM_SOCKET        "HOTPLUG_SIM_SOCKET"   /* simulator control socket */
#define HOTPLUG_ENV_SIM_ROOT          "HOTPLUG_SIM_ROOT"     /* simulator testbed directory */
#define HOTPLUG_ENV_SIM_FABRIC        "HOTPLUG_SIM_FABRIC"   /* simulator fabric (hosts sharing domains) */
#define HOTPLUG_ENV_STATE_DIRECTORY   "STATE_DIRECTORY"    /* systemd's StateDirectory= (first entry) */

/* What lives in the state directory (beside journal/ and failed-units) */
#define HOTPLUG_STATE_UNITS_FILE      "units.ini"            /* board and I/O unit locations seen */
#define HOTPLUG_STATE_DOMAINS_DIR     "domains"              /* one file per PCI domain: its ConnectionState */

/* Hook environment */
#define HOTPLUG_HOOK_API              "HOTPLUG_API"
#define HOTPLUG_HOOK_EVENT            "HOTPLUG_EVENT"
#define HOTPLUG_HOOK_OPERATION        "HOTPLUG_OPERATION"
#define HOTPLUG_HOOK_KIND             "HOTPLUG_KIND"
#define HOTPLUG_HOOK_UNIT             "HOTPLUG_UNIT"
#define HOTPLUG_HOOK_JOB              "HOTPLUG_JOB"
#define HOTPLUG_HOOK_SYSFS_PATH       "HOTPLUG_SYSFS_PATH"
#define HOTPLUG_HOOK_CPUS             "HOTPLUG_CPUS"
#define HOTPLUG_HOOK_MEMORY_BYTES     "HOTPLUG_MEMORY_BYTES"
#define HOTPLUG_HOOK_NODES            "HOTPLUG_NODES"
#define HOTPLUG_HOOK_PCI_DEVICES      "HOTPLUG_PCI_DEVICES"
#define HOTPLUG_HOOK_FORCE            "HOTPLUG_FORCE"
#define HOTPLUG_HOOK_DRY_RUN          "HOTPLUG_DRY_RUN"
#define HOTPLUG_HOOK_FAILED_HOOK      "HOTPLUG_FAILED_HOOK"
#define HOTPLUG_HOOK_FAILURE_REASON   "HOTPLUG_FAILURE_REASON"

/* Structured log fields (journal) */
#define HOTPLUG_LOG_DOMAIN            "hotplugd"
#define HOTPLUG_LOG_TOPIC             "HOTPLUG_TOPIC"
#define HOTPLUG_LOG_UNIT              "HOTPLUG_UNIT"
#define HOTPLUG_LOG_JOB               "HOTPLUG_JOB"
#define HOTPLUG_LOG_HOOK              "HOTPLUG_HOOK"
#define HOTPLUG_LOG_EVENT             "HOTPLUG_EVENT"
#define HOTPLUG_LOG_DEVPATH           "HOTPLUG_DEVPATH"
#define HOTPLUG_LOG_ERROR             "HOTPLUG_ERROR"
#define HOTPLUG_LOG_SENDER            "HOTPLUG_SENDER"     /* D-Bus unique name of a caller */
#define HOTPLUG_LOG_METHOD            "HOTPLUG_METHOD"     /* interface.Method called */
#define HOTPLUG_LOG_ACTION            "HOTPLUG_ACTION"     /* polkit action id */
#define HOTPLUG_LOG_RESULT            "HOTPLUG_RESULT"     /* an authorization decision */

/* MESSAGE_IDs of the events an administrator searches for */
#define HOTPLUG_MSGID_STARTED         "8a3c1f5e2b7d4e0f9c6a1b2d3e4f5a60"
#define HOTPLUG_MSGID_RESYNC          "8a3c1f5e2b7d4e0f9c6a1b2d3e4f5a61"
#define HOTPLUG_MSGID_UNIT_STATE      "8a3c1f5e2b7d4e0f9c6a1b2d3e4f5a62"
#define HOTPLUG_MSGID_JOB_END         "8a3c1f5e2b7d4e0f9c6a1b2d3e4f5a63"
#define HOTPLUG_MSGID_HOOK            "8a3c1f5e2b7d4e0f9c6a1b2d3e4f5a64"
#define HOTPLUG_MSGID_AUTH_REFUSED    "8a3c1f5e2b7d4e0f9c6a1b2d3e4f5a65"
#define HOTPLUG_MSGID_JOURNAL_BAD     "8a3c1f5e2b7d4e0f9c6a1b2d3e4f5a66"
#define HOTPLUG_MSGID_JOB_RECOVERED   "8a3c1f5e2b7d4e0f9c6a1b2d3e4f5a67"
#define HOTPLUG_MSGID_DOMAIN_STATE    "8a3c1f5e2b7d4e0f9c6a1b2d3e4f5a68"
