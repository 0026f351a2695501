/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hooks of one event: where they are looked for, which one of a name
 * wins, and whether each can be trusted to run. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "hotplug-hooks-private.h"
#include "hotplug-log.h"
#include "hotplug-names.h"
#include "hotplug-util.h"

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

/* Why directory D (whose stat is ST) lets someone other than root change
 * what it holds, or NULL.  STICKY_OK: a root-owned sticky directory (as
 * /tmp) that others can write is fine, they cannot rename what root owns
 * there. */
static char *
dir_verdict (const char *d, const struct stat *st, gboolean sticky_ok)
{
  if (st->st_uid != 0)
    return g_strdup_printf ("directory %s is owned by uid %u, not root", d, (guint) st->st_uid);
  if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(sticky_ok && (st->st_mode & S_ISVTX)))
    return g_strdup_printf ("directory %s is writable by %s (mode %04o)", d,
                            st->st_mode & S_IWOTH ? "others" : "group", st->st_mode & 07777);
  return NULL;
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
  return dir_verdict (dir, &st, FALSE);
}

/* Why someone other than root could change what lies below DIR, an
 * absolute path without symlinks: a directory on the way, DIR included,
 * that dir_verdict() refuses (sticky ones allowed).  NULL when none. */
static char *
path_distrust (const char *dir)
{
  g_autofree char *d = g_strdup (dir);

  for (;;)
    {
      struct stat st;
      char *why, *up;

      if (lstat (d, &st) < 0)
        return g_strdup_printf ("directory %s: %s", d, g_strerror (errno));
      if ((why = dir_verdict (d, &st, TRUE)) || g_str_equal (d, "/"))
        return why;
      up = g_path_get_dirname (d);
      g_free (d);
      d = up;
    }
}

/* A symlinked hook: every link on the way to the file, and the file's own
 * directory, must sit where only root can change them, or whoever can
 * could point the hook at a program of theirs between the check and the
 * run.  Why not, or NULL. */
static char *
link_chain_distrust (const char *path)
{
  g_autofree char *cur = g_strdup (path);

  for (guint hops = 0; hops < 40; hops++)
    {
      g_autofree char *dir = g_path_get_dirname (cur);
      g_autofree char *real_dir = realpath (dir, NULL);
      g_autofree char *why = real_dir ? path_distrust (real_dir) : g_strdup_printf ("cannot resolve %s", dir);
      g_autofree char *target = NULL;
      struct stat st;

      if (why)
        return g_steal_pointer (&why);
      if (lstat (cur, &st) < 0)
        return g_strdup_printf ("%s: %s", cur, g_strerror (errno));
      if (!S_ISLNK (st.st_mode))
        return NULL;
      target = g_file_read_link (cur, NULL);
      if (target == NULL)
        return g_strdup_printf ("cannot read symlink %s", cur);
      g_free (cur);
      cur = g_path_is_absolute (target) ? g_steal_pointer (&target) : g_build_filename (real_dir, target, NULL);
    }
  return g_strdup ("too many levels of symlinks");
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
      /* where the links and the target sit must be as safe as where the
       * hook does: otherwise anyone who can write there can replace it */
      g_autofree char *real = realpath (hook->path, NULL);
      g_autofree char *real_dir = real ? g_path_get_dirname (real) : NULL;
      g_autofree char *why = real_dir ? dir_distrust (real_dir) : g_strdup ("cannot resolve symlink");

      if (why == NULL)
        why = link_chain_distrust (hook->path);
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
      hook->root = g_strdup (root);
      hook->origin = origin;
      hook->dir = g_strdup (dirname);
      hook->path = g_build_filename (dir, name, NULL);
      if (g_utf8_validate (hook->path, -1, NULL))
        {
          hook->name = g_strdup (name);
          hook_evaluate (hook, dir_reason);
          if (hook->reason && !g_utf8_validate (hook->reason, -1, NULL))
            {
              /* it names a symlink's target directory */
              g_autofree char *raw = hook->reason;

              hook->reason = hotplug_utf8_sanitize (raw, -1, 0);
            }
        }
      else
        {
          /* its name and path go on the bus and in the log: never run,
           * shown valid */
          g_autofree char *raw = g_steal_pointer (&hook->path);

          hook->name = hotplug_utf8_sanitize (name, -1, 0);
          hook->path = hotplug_utf8_sanitize (raw, -1, 0);
          hook->status = HOTPLUG_HOOK_REFUSED;
          hook->reason = g_strdup ("its path is not valid UTF-8");
        }
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
  return g_steal_pointer (&hooks);
}

void
hotplug_hooks_log_refused (GPtrArray *hooks, const char *event)
{
  for (guint i = 0; i < hooks->len; i++)
    {
      HotplugHook *hook = g_ptr_array_index (hooks, i);
      const char *const fields[] = { HOTPLUG_LOG_HOOK, hook->name, NULL };

      if (hook->status == HOTPLUG_HOOK_REFUSED)
        hotplug_log_fields (G_LOG_LEVEL_MESSAGE, "hooks", NULL, NULL, fields, "hook %s refused for %s: %s",
                            hook->path, event, hook->reason);
    }
}

