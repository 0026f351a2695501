/* hotplugctl — what every subcommand shares: the connection to hotplugd,
 * the command table entry, aligned tables, colours, trees and JSON output.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "hotplug-dbus.h"

G_BEGIN_DECLS

/* Exit statuses, as documented in hotplugctl(1). */
#define HOTPLUG_CTL_EXIT_OK    0
#define HOTPLUG_CTL_EXIT_ERROR 1
#define HOTPLUG_CTL_EXIT_USAGE 2
/* How a followed job (add, remove, switchover, connect) ended, when not in success. */
#define HOTPLUG_CTL_EXIT_VETOED    3
#define HOTPLUG_CTL_EXIT_CANCELLED 4
#define HOTPLUG_CTL_EXIT_TIMEOUT   5
/* The user detached with a second Ctrl-C: 128 + SIGINT, as a shell says. */
#define HOTPLUG_CTL_EXIT_DETACHED  130

typedef struct _HotplugCtl HotplugCtl;

/* Global state of one hotplugctl run, shared by the subcommands. */
struct _HotplugCtl
{
  gboolean            json;    /* --json */
  gboolean            color;   /* stdout is a terminal and NO_COLOR is unset */
  gboolean            utf8;    /* the locale's charset is UTF-8 */
  gboolean            tty;     /* stdout is a terminal that can redraw a line */
  GDBusConnection    *bus;
  GDBusObjectManager *objects; /* units, jobs and domains */
  HotplugDbusManager *manager;
};

/* A subcommand: argv[0] is the command name; options are parsed by the
 * command itself (GOptionContext), so each one has its own --help. */
typedef int (*HotplugCtlRunFunc) (HotplugCtl *ctl,
                                  int         argc,
                                  char      **argv);

typedef struct
{
  const char        *name;
  HotplugCtlRunFunc  run;
  const char        *summary;  /* N_() marked; translated when shown */
} HotplugCtlCommand;

/* The subcommands, one file each. */
int hotplug_ctl_status  (HotplugCtl *ctl, int argc, char **argv);
int hotplug_ctl_show    (HotplugCtl *ctl, int argc, char **argv);
int hotplug_ctl_slots   (HotplugCtl *ctl, int argc, char **argv);
int hotplug_ctl_domains (HotplugCtl *ctl, int argc, char **argv);
int hotplug_ctl_monitor (HotplugCtl *ctl, int argc, char **argv);
int hotplug_ctl_add     (HotplugCtl *ctl, int argc, char **argv);
int hotplug_ctl_remove  (HotplugCtl *ctl, int argc, char **argv);
int hotplug_ctl_replace (HotplugCtl *ctl, int argc, char **argv);

/* ctl-operation.c: add, remove and replace follow their job the same way */
int  hotplug_ctl_operation_run (HotplugCtl *ctl, int argc, char **argv, const char *operation,
                                const char *method, const char *summary);
/* ctl-replace.c: the replace window of the job being followed (end: µs
 * since the epoch, 0 when it is over) */
void hotplug_ctl_window_changed (HotplugCtl *ctl, const char *job_path, gint64 end);
void hotplug_ctl_window_stop (void);
int hotplug_ctl_jobs    (HotplugCtl *ctl, int argc, char **argv);
/* ctl-switchover.c: the domain commands */
int hotplug_ctl_switchover        (HotplugCtl *ctl, int argc, char **argv);
int hotplug_ctl_cancel_switchover (HotplugCtl *ctl, int argc, char **argv);
int hotplug_ctl_connect_domain    (HotplugCtl *ctl, int argc, char **argv);
int hotplug_ctl_cancel  (HotplugCtl *ctl, int argc, char **argv);
int hotplug_ctl_hooks   (HotplugCtl *ctl, int argc, char **argv);

/* Messages.  Both go to stderr prefixed with "hotplugctl: ". */
void hotplug_ctl_error (const char *format, ...) G_GNUC_PRINTF (1, 2);
/* Shows a GError the way a user wants to read it: a remote error without
 * its GDBus.Error:org.hotplugd... prefix. */
void hotplug_ctl_print_gerror (const GError *error);

/* A subcommand's option context: "hotplugctl COMMAND PARAMS", its summary,
 * --json when the command takes it, and --help. */
GOptionContext *hotplug_ctl_option_context (HotplugCtl *ctl,
                                            const char *command,
                                            const char *params,
                                            const char *summary,
                                            gboolean    json);

/* Parses a subcommand's options and counts its operands: at most
 * MAX_OPERANDS, and at least one when MISSING (the message for none) is
 * given.  Returns 0, or the usage status after printing the mistake with
 * the command's help (the caller returns it). */
int      hotplug_ctl_parse_options (GOptionContext *context,
                                    int            *argc,
                                    char         ***argv,
                                    int             max_operands,
                                    const char     *missing);
/* Prints a usage mistake with the command's help; returns the usage status. */
int      hotplug_ctl_usage_error (GOptionContext *context,
                                  const char     *message);

/* Connects to the system bus and to hotplugd; on failure prints why (the
 * daemon is not running, no system bus) and returns FALSE. */
gboolean hotplug_ctl_connect (HotplugCtl *ctl);
void     hotplug_ctl_clear (HotplugCtl *ctl);

/* The objects hotplugd publishes, in display order: units by kind (sb, iou,
 * slot, cpu, memory), then by id in natural order (cpu2 before cpu10). */
GPtrArray *hotplug_ctl_list_units (HotplugCtl *ctl, const char *kind);
GPtrArray *hotplug_ctl_list_domains (HotplugCtl *ctl);
HotplugDbusJob *hotplug_ctl_get_job (HotplugCtl *ctl, const char *path);
/* Looks a unit up by id through Manager.GetUnit. */
HotplugDbusUnit *hotplug_ctl_get_unit (HotplugCtl *ctl, const char *id, GError **error);

int  hotplug_ctl_natural_compare (const char *a, const char *b);
int  hotplug_ctl_kind_rank (const char *kind);

/* Display helpers. */
char       *hotplug_ctl_format_size (guint64 bytes);
char       *hotplug_ctl_format_cpus (const char *cpus, const char *online);
char       *hotplug_ctl_format_memory (guint64 bytes, guint blocks, guint online);
guint       hotplug_ctl_list_count (const char *list);
const char *hotplug_ctl_or_dash (const char *text);
const char *hotplug_ctl_arrow (HotplugCtl *ctl);
/* "…" in a UTF-8 locale, "..." otherwise */
const char *hotplug_ctl_ellipsis (HotplugCtl *ctl);
/* A time in µs since the epoch for people: "14:03:07" today, else
 * "2024-03-01 14:03"; NULL for 0. */
char       *hotplug_ctl_format_time (guint64 usec);
/* A duration in µs: "120 ms", "3.4 s", "2 min 5 s". */
char       *hotplug_ctl_format_duration (guint64 usec);
/* The object path of a job given as a number (7) or a path; NULL if it is
 * neither. */
char       *hotplug_ctl_job_path (const char *job);
/* The job number of a job path, or NULL for "/" */
char       *hotplug_ctl_job_number (const char *path);
/* A slot's address (0000:41:00) from the first of its devices. */
char       *hotplug_ctl_slot_address (const char *const *pci_devices);

/* Terminal styles, used only when ctl->color is set. */
typedef enum {
  HOTPLUG_CTL_STYLE_NONE,
  HOTPLUG_CTL_STYLE_BOLD,
  HOTPLUG_CTL_STYLE_GOOD,
  HOTPLUG_CTL_STYLE_BUSY,
  HOTPLUG_CTL_STYLE_BAD,
  HOTPLUG_CTL_STYLE_DIM,
} HotplugCtlStyle;

HotplugCtlStyle hotplug_ctl_state_style (const char *state);
const char *hotplug_ctl_style_on (HotplugCtl *ctl, HotplugCtlStyle style);
const char *hotplug_ctl_style_off (HotplugCtl *ctl, HotplugCtlStyle style);

/* A table whose columns are as wide as their widest cell. */
typedef struct _HotplugCtlTable HotplugCtlTable;

HotplugCtlTable *hotplug_ctl_table_new (const char *first_header, ...) G_GNUC_NULL_TERMINATED;
void  hotplug_ctl_table_free (HotplugCtlTable *table);
/* Starts a new row; cells are then appended left to right. */
void  hotplug_ctl_table_add_row (HotplugCtlTable *table);
void  hotplug_ctl_table_add_cell (HotplugCtlTable *table,
                                  HotplugCtlStyle  style,
                                  const char      *text);
/* Text printed as is below the current row (a device tree). */
void  hotplug_ctl_table_add_trailer (HotplugCtlTable *table, const char *text);
void  hotplug_ctl_table_print (HotplugCtlTable *table, HotplugCtl *ctl);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotplugCtlTable, hotplug_ctl_table_free)

/* The devices of Manager.ListDevices drawn as a tree, each line starting
 * with indent. */
char *hotplug_ctl_device_tree (HotplugCtl *ctl, GVariant *devices, const char *indent);
GVariant *hotplug_ctl_list_devices (HotplugCtl *ctl, const char *unit, GError **error);

/* JSON, written from GVariants: numbers as numbers, arrays as arrays,
 * a{sv} and a{s*} as objects, tuples as arrays. */
void hotplug_ctl_json_string (GString *out, const char *text);
void hotplug_ctl_json_value (GString *out, GVariant *value);
/* Every cached property of a proxy as one JSON object's members (without
 * braces), keyed by D-Bus property name, in name order. */
void hotplug_ctl_json_properties (GString *out, GDBusProxy *proxy);
/* ,"RunningJob": the job's properties as an object, or null */
void hotplug_ctl_json_running_job (GString *out, HotplugDbusJob *job);
/* ListDevices output as an array of objects. */
void hotplug_ctl_json_devices (GString *out, GVariant *devices);
void hotplug_ctl_json_print (GString *out);

G_END_DECLS
