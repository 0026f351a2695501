/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib/gstdio.h>

#include "hotplug-error.h"
#include "hotplug-hooks.h"
#include "hotplug-names.h"

#define HOOK_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* "not yet" of pre-switchover (EX_TEMPFAIL) */
/* A reason= line longer than this is cut; output lines are logged in
 * pieces of at most this size. */
#define HOOK_LINE_MAX 4096
/* After the hook exits, read at most this much of what its children left
 * in the pipe: a background writer must not keep us reading forever. */
#define HOOK_DRAIN_MAX (256 * 1024)

/* ---- Events and kinds --------------------------------------------------- */

typedef struct {
  const char       *event;
  const char       *operation;
  HotplugHookPhase  phase;
  gboolean          domain;   /* takes kind "domain", not a unit kind */
} EventInfo;

static const EventInfo event_table[] = {
  { "pre-add",           "add",        HOTPLUG_HOOK_PHASE_PRE,    FALSE },
  { "post-add",          "add",        HOTPLUG_HOOK_PHASE_POST,   FALSE },
  { "add-failed",        "add",        HOTPLUG_HOOK_PHASE_FAILED, FALSE },
  { "pre-remove",        "remove",     HOTPLUG_HOOK_PHASE_PRE,    FALSE },
  { "post-remove",       "remove",     HOTPLUG_HOOK_PHASE_POST,   FALSE },
  { "remove-failed",     "remove",     HOTPLUG_HOOK_PHASE_FAILED, FALSE },
  { "pre-replace",       "replace",    HOTPLUG_HOOK_PHASE_PRE,    FALSE },
  { "post-replace",      "replace",    HOTPLUG_HOOK_PHASE_POST,   FALSE },
  { "replace-failed",    "replace",    HOTPLUG_HOOK_PHASE_FAILED, FALSE },
  { "pre-switchover",    "switchover", HOTPLUG_HOOK_PHASE_PRE,    TRUE },
  { "post-switchover",   "switchover", HOTPLUG_HOOK_PHASE_POST,   TRUE },
  { "switchover-failed", "switchover", HOTPLUG_HOOK_PHASE_FAILED, TRUE },
  { "post-connect",      "connect",    HOTPLUG_HOOK_PHASE_POST,   TRUE },
};

static const char * const unit_kinds[] = { "sb", "iou", "slot", "cpu", "memory", NULL };
#define DOMAIN_KIND "domain"

static const EventInfo *
event_lookup (const char *event)
{
  for (guint i = 0; event && i < G_N_ELEMENTS (event_table); i++)
    if (g_str_equal (event_table[i].event, event))
      return &event_table[i];
  return NULL;
}

const char * const *
hotplug_hook_events (void)
{
  static const char *list[G_N_ELEMENTS (event_table) + 1];

  if (list[0] == NULL)
    for (guint i = 0; i < G_N_ELEMENTS (event_table); i++)
      list[i] = event_table[i].event;
  return list;
}

gboolean
hotplug_hook_event_is_valid (const char *event)
{
  return event_lookup (event) != NULL;
}

gboolean
hotplug_hook_kind_is_valid (const char *kind)
{
  return kind && (g_strv_contains (unit_kinds, kind) || g_str_equal (kind, DOMAIN_KIND));
}

HotplugHookPhase
hotplug_hook_event_phase (const char *event)
{
  const EventInfo *info = event_lookup (event);

  g_return_val_if_fail (info != NULL, HOTPLUG_HOOK_PHASE_POST);
  return info->phase;
}

const char *
hotplug_hook_event_operation (const char *event)
{
  const EventInfo *info = event_lookup (event);

  return info ? info->operation : NULL;
}

gboolean
hotplug_hook_check_event (const char *event, const char *kind, GError **error)
{
  const EventInfo *info = event_lookup (event);

  if (info == NULL)
    {
      g_autofree char *all = g_strjoinv (", ", (char **) hotplug_hook_events ());
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                   "Unknown hook event “%s” (known: %s)", event ? event : "", all);
      return FALSE;
    }
  if (!hotplug_hook_kind_is_valid (kind))
    {
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                   "Unknown unit kind “%s” (known: sb, iou, slot, cpu, memory, domain)",
                   kind ? kind : "");
      return FALSE;
    }
  if (info->domain != g_str_equal (kind, DOMAIN_KIND))
    {
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                   info->domain ? "Event “%s” is a domain event: its kind is “domain”, not “%s”"
                                : "Event “%s” is a unit event: kind “%s” does not apply",
                   event, kind);
      return FALSE;
    }
  return TRUE;
}

const char *
hotplug_hooks_default_vendor_root (void)
{
  return VENDOR_HOOKS_DIR;
}

const char *
hotplug_hooks_default_admin_root (void)
{
  const char *env = g_getenv (HOTPLUG_ENV_HOOKS_DIR);

  return env && *env ? env : ADMIN_HOOKS_DIR;
}

/* ---- Discovery ---------------------------------------------------------- */

void
hotplug_hook_free (HotplugHook *hook)
{
  if (hook == NULL)
    return;
  g_free (hook->name);
  g_free (hook->path);
  g_free (hook->root);
  g_free (hook->dir);
  g_free (hook->reason);
  g_free (hook);
}

const char *
hotplug_hook_status_to_string (HotplugHookStatus status)
{
  switch (status)
    {
    case HOTPLUG_HOOK_RUNNABLE: return "runnable";
    case HOTPLUG_HOOK_MASKED:   return "masked";
    case HOTPLUG_HOOK_REFUSED:  return "refused";
    default:                    return "unknown";
    }
}

const char *
hotplug_hook_origin_to_string (HotplugHookOrigin origin)
{
  return origin == HOTPLUG_HOOK_ORIGIN_ADMIN ? "admin" : "vendor";
}

/* Editor backups and package manager leftovers: never hooks, not listed. */
static gboolean
name_is_ignored (const char *name)
{
  static const char * const suffixes[] = { "~", ".swp", ".orig", ".rpmnew", ".rpmsave", NULL };

  if (name[0] == '.')
    return TRUE;
  for (guint i = 0; suffixes[i]; i++)
    if (g_str_has_suffix (name, suffixes[i]))
      return TRUE;
  /* .dpkg-old, .dpkg-new, .dpkg-dist, .dpkg-tmp, ... */
  return strstr (name, ".dpkg-") != NULL;
}

/* Why a directory holding hooks cannot be trusted, or NULL. */
static char *
dir_distrust (const char *dir)
{
  struct stat st;

  if (stat (dir, &st) < 0)
    return g_strdup_printf ("directory %s: %s", dir, g_strerror (errno));
  if (!S_ISDIR (st.st_mode))
    return g_strdup_printf ("%s is not a directory", dir);
  if (st.st_uid != 0)
    return g_strdup_printf ("directory %s is owned by uid %u, not root", dir, (guint) st.st_uid);
  if (st.st_mode & S_IWOTH)
    return g_strdup_printf ("directory %s is writable by others (mode %04o)", dir, st.st_mode & 07777);
  if (st.st_mode & S_IWGRP)
    return g_strdup_printf ("directory %s is writable by group (mode %04o)", dir, st.st_mode & 07777);
  return NULL;
}

static gboolean
is_dev_null (const struct stat *st)
{
  return S_ISCHR (st->st_mode) && st->st_rdev == makedev (1, 3);
}

/* Sets status and reason.  dir_reason is the verdict on the directory the
 * hook sits in (computed once per directory). */
static void
hook_evaluate (HotplugHook *hook, const char *dir_reason)
{
  struct stat lst, st;
  mode_t mode;

  hook->status = HOTPLUG_HOOK_REFUSED;

  if (lstat (hook->path, &lst) < 0)
    {
      hook->reason = g_strdup_printf ("cannot stat: %s", g_strerror (errno));
      return;
    }
  if (S_ISLNK (lst.st_mode))
    {
      g_autofree char *target = g_file_read_link (hook->path, NULL);

      if (g_strcmp0 (target, "/dev/null") == 0)
        {
          hook->status = HOTPLUG_HOOK_MASKED;
          return;
        }
    }
  if (stat (hook->path, &st) < 0)
    {
      hook->reason = g_strdup_printf (S_ISLNK (lst.st_mode) ? "dangling symlink (%s)" : "cannot stat: %s",
                                      g_strerror (errno));
      return;
    }
  if (is_dev_null (&st))
    {
      hook->status = HOTPLUG_HOOK_MASKED;
      return;
    }
  if (!g_ascii_isdigit (hook->name[0]) || !g_ascii_isdigit (hook->name[1]))
    {
      hook->reason = g_strdup ("name does not start with two digits");
      return;
    }
  if (!S_ISREG (st.st_mode))
    {
      hook->reason = g_strdup ("not a regular file");
      return;
    }
  if (dir_reason)
    {
      hook->reason = g_strdup (dir_reason);
      return;
    }
  if (S_ISLNK (lst.st_mode))
    {
      /* The target's own directory must be as safe as ours: otherwise
       * anyone who can write there can replace the hook. */
      g_autofree char *real = realpath (hook->path, NULL);
      g_autofree char *real_dir = real ? g_path_get_dirname (real) : NULL;
      g_autofree char *why = real_dir ? dir_distrust (real_dir) : g_strdup ("cannot resolve symlink");

      if (why)
        {
          hook->reason = g_steal_pointer (&why);
          return;
        }
    }

  mode = st.st_mode & 07777;
  if (st.st_uid != 0)
    hook->reason = g_strdup_printf ("owned by uid %u, not root", (guint) st.st_uid);
  else if (mode & S_IWOTH)
    hook->reason = g_strdup_printf ("writable by others (mode %04o)", mode);
  else if (mode & S_IWGRP)
    hook->reason = g_strdup_printf ("writable by group (mode %04o)", mode);
  else if (mode & S_ISUID)
    hook->reason = g_strdup_printf ("setuid (mode %04o)", mode);
  else if (mode & S_ISGID)
    hook->reason = g_strdup_printf ("setgid (mode %04o)", mode);
  else if (!(mode & S_IXUSR))
    hook->reason = g_strdup_printf ("not executable (mode %04o)", mode);
  else
    hook->status = HOTPLUG_HOOK_RUNNABLE;
}

static void
scan_dir (GHashTable        *by_name,
          const char        *root,
          HotplugHookOrigin  origin,
          const char        *dirname,
          const char        *event)
{
  g_autofree char *dir = g_build_filename (root, dirname, event, NULL);
  g_autofree char *dir_reason = NULL;
  g_autoptr(GDir) d = NULL;
  const char *name;

  d = g_dir_open (dir, 0, NULL);
  if (d == NULL)
    return;
  dir_reason = dir_distrust (dir);
  while ((name = g_dir_read_name (d)))
    {
      HotplugHook *hook;

      if (name_is_ignored (name))
        continue;
      hook = g_new0 (HotplugHook, 1);
      hook->name = g_strdup (name);
      hook->path = g_build_filename (dir, name, NULL);
      hook->root = g_strdup (root);
      hook->origin = origin;
      hook->dir = g_strdup (dirname);
      hook_evaluate (hook, dir_reason);
      /* Scanned from weakest to strongest: the later one wins. */
      g_hash_table_replace (by_name, hook->name, hook);
    }
}

static int
cmp_hook_asc (gconstpointer a, gconstpointer b)
{
  const HotplugHook *x = *(HotplugHook * const *) a, *y = *(HotplugHook * const *) b;

  return strcmp (x->name, y->name);
}

static int
cmp_hook_desc (gconstpointer a, gconstpointer b)
{
  return cmp_hook_asc (b, a);
}

GPtrArray *
hotplug_hooks_discover (const char  *vendor_root,
                        const char  *admin_root,
                        const char  *kind,
                        const char  *event,
                        GError     **error)
{
  g_autoptr(GHashTable) by_name = NULL;
  g_autoptr(GPtrArray) hooks = NULL;
  GHashTableIter iter;
  gpointer value;

  if (!hotplug_hook_check_event (event, kind, error))
    return NULL;

  /* One list keyed by file name, weakest first.  Within a root the kind's
   * own directory beats "any": a vendor that ships a kind-specific variant
   * of a generic hook under the same name means it for that kind. */
  by_name = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) hotplug_hook_free);
  if (vendor_root)
    {
      scan_dir (by_name, vendor_root, HOTPLUG_HOOK_ORIGIN_VENDOR, "any", event);
      scan_dir (by_name, vendor_root, HOTPLUG_HOOK_ORIGIN_VENDOR, kind, event);
    }
  if (admin_root)
    {
      scan_dir (by_name, admin_root, HOTPLUG_HOOK_ORIGIN_ADMIN, "any", event);
      scan_dir (by_name, admin_root, HOTPLUG_HOOK_ORIGIN_ADMIN, kind, event);
    }

  hooks = g_ptr_array_new_with_free_func ((GDestroyNotify) hotplug_hook_free);
  g_hash_table_iter_init (&iter, by_name);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      g_ptr_array_add (hooks, value);
      g_hash_table_iter_steal (&iter);
    }
  g_ptr_array_sort (hooks, hotplug_hook_event_phase (event) == HOTPLUG_HOOK_PHASE_FAILED
                           ? cmp_hook_desc : cmp_hook_asc);

  for (guint i = 0; i < hooks->len; i++)
    {
      HotplugHook *hook = g_ptr_array_index (hooks, i);

      if (hook->status != HOTPLUG_HOOK_REFUSED)
        continue;
      g_log_structured (HOTPLUG_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE,
                        HOTPLUG_LOG_HOOK, hook->name,
                        HOTPLUG_LOG_EVENT, event,
                        "CODE_FILE", __FILE__,
                        "MESSAGE", "Hook %s refused: %s", hook->path, hook->reason);
    }

  return g_steal_pointer (&hooks);
}

/* ---- Requests and results ----------------------------------------------- */

HotplugHookRequest *
hotplug_hook_request_new (const char *event, const char *kind, const char *unit)
{
  HotplugHookRequest *r = g_new0 (HotplugHookRequest, 1);

  r->event = g_strdup (event);
  r->kind = g_strdup (kind);
  r->unit = g_strdup (unit);
  return r;
}

void
hotplug_hook_request_free (HotplugHookRequest *r)
{
  if (r == NULL)
    return;
  g_free (r->event);
  g_free (r->kind);
  g_free (r->unit);
  g_free (r->job);
  g_free (r->operation);
  g_free (r->sysfs_path);
  g_free (r->cpus);
  g_free (r->nodes);
  g_strfreev (r->pci_devices);
  g_free (r->failed_hook);
  g_free (r->failure_reason);
  g_free (r->resume_from);
  g_strfreev (r->skip);
  g_free (r);
}

static HotplugHookRequest *
request_copy (const HotplugHookRequest *src)
{
  HotplugHookRequest *r = hotplug_hook_request_new (src->event, src->kind, src->unit);

  r->job = g_strdup (src->job);
  r->operation = g_strdup (src->operation);
  r->sysfs_path = g_strdup (src->sysfs_path);
  r->cpus = g_strdup (src->cpus);
  r->memory_bytes = src->memory_bytes;
  r->nodes = g_strdup (src->nodes);
  r->pci_devices = g_strdupv (src->pci_devices);
  r->force = src->force;
  r->dry_run = src->dry_run;
  r->failed_hook = g_strdup (src->failed_hook);
  r->failure_reason = g_strdup (src->failure_reason);
  r->resume_from = g_strdup (src->resume_from);
  r->skip = g_strdupv (src->skip);
  return r;
}

static void
record_free (HotplugHookRecord *rec)
{
  if (rec == NULL)
    return;
  g_free (rec->name);
  g_free (rec->path);
  g_free (rec->reason);
  g_free (rec->output);
  g_free (rec);
}

void
hotplug_hook_result_free (HotplugHookResult *result)
{
  if (result == NULL)
    return;
  g_free (result->event);
  g_free (result->reason);
  g_free (result->hook);
  g_clear_pointer (&result->records, g_ptr_array_unref);
  g_clear_pointer (&result->hooks, g_ptr_array_unref);
  g_strfreev (result->failures);
  g_free (result);
}

const char *
hotplug_hook_outcome_to_string (HotplugHookOutcome outcome)
{
  switch (outcome)
    {
    case HOTPLUG_HOOK_OUTCOME_OK:        return "ok";
    case HOTPLUG_HOOK_OUTCOME_VETOED:    return "vetoed";
    case HOTPLUG_HOOK_OUTCOME_FAILED:    return "failed";
    case HOTPLUG_HOOK_OUTCOME_TIMEOUT:   return "timeout";
    case HOTPLUG_HOOK_OUTCOME_RETRY:     return "retry";
    case HOTPLUG_HOOK_OUTCOME_CANCELLED: return "cancelled";
    default:                             return "unknown";
    }
}

/* ---- The runner --------------------------------------------------------- */

struct _HotplugHookRunner
{
  GObject        parent_instance;
  HotplugConfig *config;
  char          *vendor_root;
  char          *admin_root;
  GHashTable    *runs;  /* RunData of the events now running */
};

G_DEFINE_TYPE (HotplugHookRunner, hotplug_hook_runner, G_TYPE_OBJECT)

static void
hotplug_hook_runner_finalize (GObject *object)
{
  HotplugHookRunner *self = HOTPLUG_HOOK_RUNNER (object);

  g_clear_pointer (&self->config, hotplug_config_unref);
  g_free (self->vendor_root);
  g_free (self->admin_root);
  g_hash_table_unref (self->runs);
  G_OBJECT_CLASS (hotplug_hook_runner_parent_class)->finalize (object);
}

static void
hotplug_hook_runner_class_init (HotplugHookRunnerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hotplug_hook_runner_finalize;
}

static void
hotplug_hook_runner_init (HotplugHookRunner *self)
{
  self->runs = g_hash_table_new (NULL, NULL);
}

HotplugHookRunner *
hotplug_hook_runner_new (HotplugConfig *config, const char *vendor_root, const char *admin_root)
{
  HotplugHookRunner *self = g_object_new (HOTPLUG_TYPE_HOOK_RUNNER, NULL);

  self->config = config ? hotplug_config_ref (config) : hotplug_config_new ();
  self->vendor_root = g_strdup (vendor_root ? vendor_root : hotplug_hooks_default_vendor_root ());
  self->admin_root = g_strdup (admin_root ? admin_root : hotplug_hooks_default_admin_root ());
  return self;
}

void
hotplug_hook_runner_set_config (HotplugHookRunner *self, HotplugConfig *config)
{
  g_return_if_fail (HOTPLUG_IS_HOOK_RUNNER (self));
  g_return_if_fail (config != NULL);
  /* Runs in flight keep the config they started with. */
  hotplug_config_ref (config);
  g_clear_pointer (&self->config, hotplug_config_unref);
  self->config = config;
}

HotplugConfig *
hotplug_hook_runner_get_config (HotplugHookRunner *self)
{
  g_return_val_if_fail (HOTPLUG_IS_HOOK_RUNNER (self), NULL);
  return self->config;
}

const char *
hotplug_hook_runner_get_vendor_root (HotplugHookRunner *self)
{
  g_return_val_if_fail (HOTPLUG_IS_HOOK_RUNNER (self), NULL);
  return self->vendor_root;
}

const char *
hotplug_hook_runner_get_admin_root (HotplugHookRunner *self)
{
  g_return_val_if_fail (HOTPLUG_IS_HOOK_RUNNER (self), NULL);
  return self->admin_root;
}

/* One event being run.  Owned by the GTask; every source below is
 * destroyed before the task returns. */
typedef struct {
  GTask                   *task;
  GMainContext            *context;
  HotplugConfig           *config;
  HotplugHookRequest      *request;
  HotplugHookPhase         phase;
  HotplugHookResult       *result;
  GPtrArray               *failures;
  GStrv                    envp;
  guint                    next;
  HotplugHookProgressFunc  progress;
  gpointer                 progress_data;
  GDestroyNotify           progress_destroy;
  GSource                 *cancel_source;

  /* the hook now running */
  HotplugHook             *hook;
  HotplugHookRecord       *record;
  GPid                     pid;
  int                      out_fd;
  GSource                 *child_source;
  GSource                 *out_source;
  GSource                 *timeout_source;
  GSource                 *kill_source;
  gint64                   start_mono;
  double                   timeout_s;
  gboolean                 killing;
  gboolean                 cancelled;
  GString                 *line;
  GString                 *output;
  gboolean                 overflowing;
  HotplugHookRunner       *runner; /* not a reference: the task holds one */
} RunData;

static void
clear_source (GSource **source)
{
  if (*source)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

static void
run_data_free (RunData *d)
{
  if (d->runner)
    g_hash_table_remove (d->runner->runs, d);
  clear_source (&d->cancel_source);
  clear_source (&d->child_source);
  clear_source (&d->out_source);
  clear_source (&d->timeout_source);
  clear_source (&d->kill_source);
  if (d->out_fd >= 0)
    close (d->out_fd);
  if (d->progress_destroy)
    d->progress_destroy (d->progress_data);
  g_clear_pointer (&d->context, g_main_context_unref);
  g_clear_pointer (&d->config, hotplug_config_unref);
  g_clear_pointer (&d->request, hotplug_hook_request_free);
  g_clear_pointer (&d->result, hotplug_hook_result_free);
  g_clear_pointer (&d->failures, g_ptr_array_unref);
  g_strfreev (d->envp);
  if (d->line)
    g_string_free (d->line, TRUE);
  if (d->output)
    g_string_free (d->output, TRUE);
  g_free (d);
}

static GSource *
attach (RunData *d, GSource *source, GSourceFunc func)
{
  g_source_set_callback (source, func, d, NULL);
  g_source_attach (source, d->context);
  return source;
}

static void
env_add (GPtrArray *env, const char *name, const char *value)
{
  g_ptr_array_add (env, g_strconcat (name, "=", value ? value : "", NULL));
}

/* From scratch: nothing of the daemon's environment reaches a hook except
 * LANG, and, when the daemon itself runs under the simulator, what keeps
 * the hook inside the simulated machine. */
static GStrv
build_env (const HotplugHookRequest *r, HotplugHookPhase phase)
{
  static const char * const sim_vars[] = {
    "LD_PRELOAD", "UMOCKDEV_DIR", HOTPLUG_ENV_SIM_ROOT, HOTPLUG_ENV_SIM_SOCKET, NULL
  };
  GPtrArray *env = g_ptr_array_new ();
  const char *lang = g_getenv ("LANG");
  g_autofree char *mem = g_strdup_printf ("%" G_GUINT64_FORMAT, r->memory_bytes);
  g_autofree char *pci = r->pci_devices ? g_strjoinv (" ", r->pci_devices) : NULL;

  env_add (env, "PATH", HOOK_PATH);
  env_add (env, "LANG", lang && *lang ? lang : "C.UTF-8");
  env_add (env, HOTPLUG_HOOK_API, "1");
  env_add (env, HOTPLUG_HOOK_EVENT, r->event);
  env_add (env, HOTPLUG_HOOK_OPERATION, r->operation ? r->operation : hotplug_hook_event_operation (r->event));
  env_add (env, HOTPLUG_HOOK_KIND, r->kind);
  env_add (env, HOTPLUG_HOOK_UNIT, r->unit);
  env_add (env, HOTPLUG_HOOK_JOB, r->job);
  env_add (env, HOTPLUG_HOOK_SYSFS_PATH, r->sysfs_path);
  env_add (env, HOTPLUG_HOOK_CPUS, r->cpus);
  env_add (env, HOTPLUG_HOOK_MEMORY_BYTES, mem);
  env_add (env, HOTPLUG_HOOK_NODES, r->nodes);
  env_add (env, HOTPLUG_HOOK_PCI_DEVICES, pci);
  env_add (env, HOTPLUG_HOOK_FORCE, r->force ? "1" : "0");
  env_add (env, HOTPLUG_HOOK_DRY_RUN, r->dry_run ? "1" : "0");
  if (phase == HOTPLUG_HOOK_PHASE_FAILED)
    {
      env_add (env, HOTPLUG_HOOK_FAILED_HOOK, r->failed_hook);
      env_add (env, HOTPLUG_HOOK_FAILURE_REASON, r->failure_reason);
    }
  if (g_getenv (HOTPLUG_ENV_SIM_ROOT) != NULL)
    for (guint i = 0; sim_vars[i]; i++)
      {
        const char *v = g_getenv (sim_vars[i]);
        if (v != NULL)
          env_add (env, sim_vars[i], v);
      }
  g_ptr_array_add (env, NULL);
  return (GStrv) g_ptr_array_free (env, FALSE);
}

static void
log_hook (RunData *d, GLogLevelFlags level, const char *message_id, const char *format, ...) G_GNUC_PRINTF (4, 5);

static void
log_hook (RunData *d, GLogLevelFlags level, const char *message_id, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;
  const GLogField fields[] = {
    { "MESSAGE", NULL, -1 },
    { "GLIB_DOMAIN", HOTPLUG_LOG_DOMAIN, -1 },
    { HOTPLUG_LOG_HOOK, d->record ? d->record->name : "", -1 },
    { HOTPLUG_LOG_JOB, d->request->job ? d->request->job : "", -1 },
    { HOTPLUG_LOG_UNIT, d->request->unit ? d->request->unit : "", -1 },
    { HOTPLUG_LOG_EVENT, d->request->event, -1 },
    { "MESSAGE_ID", message_id, -1 },
  };
  GLogField copy[G_N_ELEMENTS (fields)];

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  memcpy (copy, fields, sizeof fields);
  copy[0].value = message;
  g_log_structured_array (level, copy, message_id ? G_N_ELEMENTS (copy) : G_N_ELEMENTS (copy) - 1);
}

/* One line of output (without its newline; a line longer than
 * HOOK_LINE_MAX arrives in pieces). */
static void
output_line (RunData *d, const char *line, gsize len, gboolean newline)
{
  HotplugHookRecord *rec = d->record;
  gsize cost = len + (newline ? 1 : 0);

  if (len >= strlen ("reason=") && memcmp (line, "reason=", strlen ("reason=")) == 0)
    {
      g_free (rec->reason);
      rec->reason = g_strndup (line + strlen ("reason="), len - strlen ("reason="));
      g_strchomp (rec->reason);
    }

  /* Keep a prefix of the output; once full, everything after is only
   * counted, so a hook printing megabytes costs no memory. */
  if (!d->overflowing && d->output->len + cost <= HOTPLUG_HOOK_OUTPUT_MAX)
    {
      g_string_append_len (d->output, line, len);
      if (newline)
        g_string_append_c (d->output, '\n');
      log_hook (d, G_LOG_LEVEL_INFO, NULL, "%s: %.*s", rec->name, (int) len, line);
    }
  else
    {
      d->overflowing = TRUE;
      rec->output_dropped += cost;
    }
}

static void
output_feed (RunData *d, const char *buf, gsize n)
{
  while (n > 0)
    {
      const char *nl = memchr (buf, '\n', n);
      gsize take = nl ? (gsize) (nl - buf) : n;
      gsize room = HOOK_LINE_MAX - d->line->len;

      if (take > room)
        take = room;
      g_string_append_len (d->line, buf, take);
      buf += take;
      n -= take;
      if (n > 0 && *buf == '\n')
        {
          output_line (d, d->line->str, d->line->len, TRUE);
          g_string_truncate (d->line, 0);
          buf++;
          n--;
        }
      else if (d->line->len >= HOOK_LINE_MAX)
        {
          output_line (d, d->line->str, d->line->len, FALSE);
          g_string_truncate (d->line, 0);
        }
    }
}

static gboolean
on_output (int fd, GIOCondition condition, gpointer user_data)
{
  RunData *d = user_data;
  char buf[16384];
  ssize_t n;

  n = read (fd, buf, sizeof buf);
  if (n > 0)
    {
      output_feed (d, buf, n);
      return G_SOURCE_CONTINUE;
    }
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return G_SOURCE_CONTINUE;
  /* EOF: keep waiting for the exit, which is what ends a hook. */
  g_clear_pointer (&d->out_source, g_source_unref);
  close (d->out_fd);
  d->out_fd = -1;
  return G_SOURCE_REMOVE;
}

static void
output_close (RunData *d)
{
  gsize drained = 0;

  clear_source (&d->out_source);
  if (d->out_fd >= 0)
    {
      /* Whatever the hook wrote before exiting is in the pipe; its
       * children may keep the write end open, so read only what is there. */
      while (drained < HOOK_DRAIN_MAX)
        {
          char buf[16384];
          ssize_t n = read (d->out_fd, buf, sizeof buf);

          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            break;
          output_feed (d, buf, n);
          drained += n;
        }
      close (d->out_fd);
      d->out_fd = -1;
    }
  if (d->line->len > 0)
    output_line (d, d->line->str, d->line->len, FALSE);
  g_string_truncate (d->line, 0);
  if (d->record->output_dropped > 0)
    {
      g_autofree char *note = g_strdup_printf ("[%" G_GUINT64_FORMAT " bytes dropped]",
                                               d->record->output_dropped);
      g_string_append_printf (d->output, "%s\n", note);
      log_hook (d, G_LOG_LEVEL_MESSAGE, NULL, "%s: %s", d->record->name, note);
    }
  d->record->output = g_string_free (g_steal_pointer (&d->output), FALSE);
}

static void
signal_group (RunData *d, int sig)
{
  if (d->pid > 0 && kill (-d->pid, sig) < 0 && errno != ESRCH)
    log_hook (d, G_LOG_LEVEL_MESSAGE, NULL, "Cannot signal hook %s: %s",
              d->record->name, g_strerror (errno));
}

static gboolean
on_kill_grace (gpointer user_data)
{
  RunData *d = user_data;

  g_clear_pointer (&d->kill_source, g_source_unref);
  log_hook (d, G_LOG_LEVEL_MESSAGE, NULL, "Hook %s still running: SIGKILL", d->record->name);
  signal_group (d, SIGKILL);
  return G_SOURCE_REMOVE;
}

static void
start_kill (RunData *d)
{
  double grace = hotplug_config_get_kill_grace (d->config);

  if (d->killing)
    return;
  d->killing = TRUE;
  signal_group (d, SIGTERM);
  d->kill_source = attach (d, g_timeout_source_new ((guint) (grace * 1000)), on_kill_grace);
}

static gboolean
on_timeout (gpointer user_data)
{
  RunData *d = user_data;

  g_clear_pointer (&d->timeout_source, g_source_unref);
  d->record->timed_out = TRUE;
  log_hook (d, G_LOG_LEVEL_MESSAGE, NULL, "Hook %s timed out after %g s: SIGTERM",
            d->record->name, d->timeout_s);
  start_kill (d);
  return G_SOURCE_REMOVE;
}

static void run_next (RunData *d);

static void
finish (RunData *d, HotplugHookOutcome outcome, const char *hook, char *reason)
{
  GTask *task = d->task;
  HotplugHookResult *result = g_steal_pointer (&d->result);

  clear_source (&d->cancel_source);
  result->outcome = outcome;
  result->hook = g_strdup (hook);
  result->reason = reason;
  g_ptr_array_add (d->failures, NULL);
  result->failures = (GStrv) g_ptr_array_free (g_steal_pointer (&d->failures), FALSE);
  g_task_return_pointer (task, result, (GDestroyNotify) hotplug_hook_result_free);
  g_object_unref (task);
}

static char *
describe_exit (const HotplugHookRecord *rec, double timeout_s)
{
  if (rec->spawn_failed)
    return g_strdup_printf ("hook %s could not be executed: %s", rec->name, rec->reason);
  if (rec->timed_out)
    return g_strdup_printf ("hook %s timed out after %g s", rec->name, timeout_s);
  if (rec->term_signal)
    return g_strdup_printf ("hook %s was killed by signal %d (%s)", rec->name,
                            rec->term_signal, g_strsignal (rec->term_signal));
  return g_strdup_printf ("hook %s exited with status %d", rec->name, rec->exit_status);
}

static void
hook_done (RunData *d)
{
  HotplugHookRecord *rec = d->record;
  gboolean ok = !rec->spawn_failed && !rec->timed_out && rec->term_signal == 0 && rec->exit_status == 0;
  g_autofree char *what = describe_exit (rec, d->timeout_s);

  if (d->progress)
    d->progress (HOTPLUG_HOOK_RUNNER (g_task_get_source_object (d->task)),
                 d->request, rec, HOTPLUG_HOOK_FINISHED, d->progress_data);

  log_hook (d, ok ? G_LOG_LEVEL_INFO : G_LOG_LEVEL_MESSAGE, HOTPLUG_MSGID_HOOK,
            "%s (%" G_GINT64_FORMAT " ms)%s%s", what, rec->duration_us / 1000,
            rec->reason && !rec->spawn_failed ? ": " : "",
            rec->reason && !rec->spawn_failed ? rec->reason : "");

  d->hook = NULL;
  d->record = NULL;
  d->pid = 0;
  d->killing = FALSE;

  if (d->cancelled)
    {
      finish (d, HOTPLUG_HOOK_OUTCOME_CANCELLED, rec->name,
              g_strdup_printf ("cancelled while hook %s was running", rec->name));
      return;
    }
  if (ok)
    {
      run_next (d);
      return;
    }

  if (d->phase == HOTPLUG_HOOK_PHASE_PRE)
    {
      if (rec->timed_out)
        finish (d, HOTPLUG_HOOK_OUTCOME_TIMEOUT, rec->name, g_steal_pointer (&what));
      else if (rec->exit_status == HOTPLUG_HOOK_EXIT_RETRY && g_str_equal (d->request->event, "pre-switchover"))
        finish (d, HOTPLUG_HOOK_OUTCOME_RETRY, rec->name,
                rec->reason ? g_strdup (rec->reason)
                            : g_strdup_printf ("hook %s asked to retry later", rec->name));
      else
        finish (d, HOTPLUG_HOOK_OUTCOME_VETOED, rec->name,
                rec->reason && !rec->spawn_failed ? g_strdup (rec->reason) : g_steal_pointer (&what));
      return;
    }

  /* post-* and *-failed: report and go on */
  g_ptr_array_add (d->failures, rec->reason && !rec->spawn_failed
                                ? g_strdup_printf ("%s: %s", what, rec->reason)
                                : g_steal_pointer (&what));
  run_next (d);
}

static void
on_child_exit (GPid pid, int wait_status, gpointer user_data)
{
  RunData *d = user_data;
  HotplugHookRecord *rec = d->record;

  g_clear_pointer (&d->child_source, g_source_unref);
  clear_source (&d->timeout_source);
  clear_source (&d->kill_source);
  /* A hook that was stopped takes its whole group with it, including
   * children that ignored SIGTERM or outlived the leader. */
  if (d->killing)
    signal_group (d, SIGKILL);
  g_spawn_close_pid (pid);

  rec->duration_us = g_get_monotonic_time () - d->start_mono;
  if (WIFEXITED (wait_status))
    rec->exit_status = WEXITSTATUS (wait_status);
  else if (WIFSIGNALED (wait_status))
    {
      rec->exit_status = -1;
      rec->term_signal = WTERMSIG (wait_status);
    }
  output_close (d);
  hook_done (d);
}

static gboolean
spawn_hook (RunData *d, GError **error)
{
  const char *argv[] = { d->hook->path, d->request->event, d->request->unit, NULL };
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  sigset_t mask, dfl;
  int fds[2];
  pid_t pid;
  int r;

  /* Read end non-blocking for us; the write end stays blocking so the hook
   * sees an ordinary pipe. */
  if (pipe2 (fds, O_CLOEXEC) < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "pipe: %s", g_strerror (errno));
      return FALSE;
    }
  g_unix_set_fd_nonblocking (fds[0], TRUE, NULL);

  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_addopen (&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2 (&fa, fds[1], 1);
  posix_spawn_file_actions_adddup2 (&fa, fds[1], 2);
  /* Every descriptor of ours is O_CLOEXEC; this also closes any that a
   * library or our own parent leaked to us. */
  posix_spawn_file_actions_addclosefrom_np (&fa, 3);

  posix_spawnattr_init (&attr);
  sigemptyset (&mask);
  sigemptyset (&dfl);
  /* Ignored signals survive exec: give the hook default dispositions. */
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      sigaddset (&dfl, sig);
  posix_spawnattr_setsigmask (&attr, &mask);
  posix_spawnattr_setsigdefault (&attr, &dfl);
  posix_spawnattr_setpgroup (&attr, 0);
  posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  r = posix_spawn (&pid, d->hook->path, &fa, &attr, (char * const *) argv, d->envp);

  posix_spawnattr_destroy (&attr);
  posix_spawn_file_actions_destroy (&fa);
  close (fds[1]);
  if (r != 0)
    {
      close (fds[0]);
      g_set_error_literal (error, G_IO_ERROR, g_io_error_from_errno (r), g_strerror (r));
      return FALSE;
    }

  d->pid = pid;
  d->record->pid = pid;
  d->out_fd = fds[0];
  d->out_source = attach (d, g_unix_fd_source_new (fds[0], G_IO_IN | G_IO_HUP | G_IO_ERR),
                          (GSourceFunc) (void (*) (void)) on_output);
  d->child_source = g_child_watch_source_new (pid);
  g_source_set_callback (d->child_source, (GSourceFunc) (void (*) (void)) on_child_exit, d, NULL);
  g_source_attach (d->child_source, d->context);
  d->timeout_s = hotplug_config_get_hook_timeout (d->config, d->hook->name);
  d->timeout_source = attach (d, g_timeout_source_new ((guint) (d->timeout_s * 1000)), on_timeout);
  return TRUE;
}

static void
run_next (RunData *d)
{
  HotplugHook *hook = NULL;
  g_autoptr(GError) error = NULL;

  /* Cancellation is a result (with the records so far), not an error. */
  if (g_cancellable_is_cancelled (g_task_get_cancellable (d->task)))
    {
      finish (d, HOTPLUG_HOOK_OUTCOME_CANCELLED, NULL, g_strdup ("cancelled"));
      return;
    }

  while (d->next < d->result->hooks->len)
    {
      HotplugHook *h = g_ptr_array_index (d->result->hooks, d->next++);

      if (h->status != HOTPLUG_HOOK_RUNNABLE)
        continue;
      if (d->request->resume_from && strcmp (h->name, d->request->resume_from) < 0)
        continue;
      if (d->request->skip && g_strv_contains ((const char *const *) d->request->skip, h->name))
        continue;
      hook = h;
      break;
    }

  if (hook == NULL)
    {
      guint n = d->failures->len;

      if (n == 0)
        finish (d, HOTPLUG_HOOK_OUTCOME_OK, NULL, NULL);
      else
        {
          g_autofree char *first = g_strdup (g_ptr_array_index (d->failures, 0));
          finish (d, HOTPLUG_HOOK_OUTCOME_FAILED, NULL,
                  n == 1 ? g_steal_pointer (&first)
                         : g_strdup_printf ("%u hooks failed; first: %s", n, first));
        }
      return;
    }

  d->hook = hook;
  d->record = g_new0 (HotplugHookRecord, 1);
  d->record->name = g_strdup (hook->name);
  d->record->path = g_strdup (hook->path);
  d->record->exit_status = -1;
  d->record->start_time = g_get_real_time ();
  g_ptr_array_add (d->result->records, d->record);
  d->output = g_string_new (NULL);
  d->overflowing = FALSE;
  d->start_mono = g_get_monotonic_time ();

  if (d->progress)
    d->progress (HOTPLUG_HOOK_RUNNER (g_task_get_source_object (d->task)),
                 d->request, d->record, HOTPLUG_HOOK_STARTING, d->progress_data);
  log_hook (d, G_LOG_LEVEL_INFO, NULL, "Running hook %s for %s of %s", hook->path,
            d->request->event, d->request->unit);

  if (!spawn_hook (d, &error))
    {
      d->record->spawn_failed = TRUE;
      d->record->reason = g_strdup (error->message);
      d->record->duration_us = g_get_monotonic_time () - d->start_mono;
      d->record->output = g_string_free (g_steal_pointer (&d->output), FALSE);
      hook_done (d);
      return;
    }
  if (d->progress)
    d->progress (HOTPLUG_HOOK_RUNNER (g_task_get_source_object (d->task)),
                 d->request, d->record, HOTPLUG_HOOK_SPAWNED, d->progress_data);
}

static gboolean
on_cancelled (GCancellable *cancellable, gpointer user_data)
{
  RunData *d = user_data;

  g_clear_pointer (&d->cancel_source, g_source_unref);
  if (d->pid > 0)
    {
      /* The exit of the hook finishes the run. */
      d->cancelled = TRUE;
      log_hook (d, G_LOG_LEVEL_MESSAGE, NULL, "Cancelled: stopping hook %s", d->record->name);
      start_kill (d);
    }
  return G_SOURCE_REMOVE;
}

void
hotplug_hook_runner_kill_all (HotplugHookRunner *self)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->runs);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      RunData *d = key;

      if (d->pid > 0 && kill (-d->pid, SIGKILL) == 0)
        log_hook (d, G_LOG_LEVEL_MESSAGE, NULL, "Stopping: hook %s killed", d->record->name);
    }
}

void
hotplug_hook_runner_run_async (HotplugHookRunner        *self,
                               const HotplugHookRequest *request,
                               GCancellable             *cancellable,
                               HotplugHookProgressFunc   progress,
                               gpointer                  progress_data,
                               GDestroyNotify            progress_destroy,
                               GAsyncReadyCallback       callback,
                               gpointer                  user_data)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *hooks;
  RunData *d;
  GTask *task;

  g_return_if_fail (HOTPLUG_IS_HOOK_RUNNER (self));
  g_return_if_fail (request != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hotplug_hook_runner_run_async);
  /* a cancelled run still returns its result (outcome CANCELLED) */
  g_task_set_check_cancellable (task, FALSE);

  d = g_new0 (RunData, 1);
  d->task = task;
  d->runner = self;
  g_hash_table_add (self->runs, d);
  d->out_fd = -1;
  d->progress = progress;
  d->progress_data = progress_data;
  d->progress_destroy = progress_destroy;
  d->context = g_main_context_ref_thread_default ();
  d->config = hotplug_config_ref (self->config);
  d->request = request_copy (request);
  g_task_set_task_data (task, d, (GDestroyNotify) run_data_free);

  if (request->unit == NULL || *request->unit == '\0')
    {
      g_task_return_new_error (task, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                               "A hook request needs a unit or domain id");
      g_object_unref (task);
      return;
    }
  hooks = hotplug_hooks_discover (self->vendor_root, self->admin_root,
                                  request->kind, request->event, &error);
  if (hooks == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  d->phase = hotplug_hook_event_phase (request->event);
  d->envp = build_env (d->request, d->phase);
  d->line = g_string_new (NULL);
  d->failures = g_ptr_array_new_with_free_func (g_free);
  d->result = g_new0 (HotplugHookResult, 1);
  d->result->event = g_strdup (request->event);
  d->result->hooks = hooks;
  d->result->records = g_ptr_array_new_with_free_func ((GDestroyNotify) record_free);

  if (cancellable)
    {
      d->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (d->cancel_source, (GSourceFunc) (void (*) (void)) on_cancelled, d, NULL);
      g_source_attach (d->cancel_source, d->context);
    }

  run_next (d);
}

HotplugHookResult *
hotplug_hook_runner_run_finish (HotplugHookRunner  *self,
                                GAsyncResult       *result,
                                GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
