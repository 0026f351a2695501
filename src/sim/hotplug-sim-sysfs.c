/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The simulated sysfs: files, links and watches. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <gio/gio.h>

#include "hotplug-sim-kernel-private.h"

/* ---------------------------------------------------------------------- */
/* files                                                                   */

void
sim_sys_path (HotplugSimKernel *self, char *buf, const char *rel, const char *name)
{
  if (name)
    snprintf (buf, PATH_MAX, "%s/%s/%s", self->sys, rel, name);
  else
    snprintf (buf, PATH_MAX, "%s/%s", self->sys, rel);
}

static int
open_attr (HotplugSimKernel *self, const char *dir, const char *name, int flags, mode_t mode)
{
  char p[PATH_MAX];

  if (self->cur_dfd >= 0 && dir == self->cur_dir)
    return openat (self->cur_dfd, name, flags, mode);
  sim_sys_path (self, p, dir, name);
  return open (p, flags, mode);
}

/* Writes DIR/NAME; RULES (or NULL): the write rules the preload shim
 * enforces on a writable attribute. */
static void
put_full (HotplugSimKernel *self, const char *dir, const char *name, const char *value, const char *rules,
          mode_t mode)
{
  char p[PATH_MAX];
  gsize len = strlen (value);
  int fd;

  sim_sys_path (self, p, dir, name);
  fd = open_attr (self, dir, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0 && errno == EACCES && chmod (p, mode | S_IWUSR) == 0)
    {
      /* a read-only attribute the kernel updates (an unprivileged
       * simulator cannot write its own 0444 file) */
      fd = open_attr (self, dir, name, O_WRONLY | O_TRUNC | O_CLOEXEC, mode);
      if (fd >= 0)
        fchmod (fd, mode);
    }
  if (fd < 0)
    {
      g_warning ("cannot write %s: %s", p, g_strerror (errno));
      return;
    }
  if ((mode & 022) && fchmod (fd, mode) < 0)   /* past the umask: remove is 0220 */
    g_warning ("cannot chmod %s: %s", p, g_strerror (errno));
  if ((len && write (fd, value, len) != (ssize_t) len) ||
      (rules && fsetxattr (fd, HOTPLUG_SIM_XATTR_RULES, rules, strlen (rules), 0) < 0))
    g_warning ("cannot write %s: %s", p, g_strerror (errno));
  close (fd);
}

void
sim_put (HotplugSimKernel *self, const char *dir, const char *name, const char *value, mode_t mode)
{
  put_full (self, dir, name, value, NULL, mode);
}

/* A read-only attribute, as most of the kernel's are. */
void G_GNUC_PRINTF (4, 5)
sim_putf (HotplugSimKernel *self, const char *dir, const char *name, const char *fmt, ...)
{
  g_autofree char *v = NULL;
  va_list ap;

  va_start (ap, fmt);
  v = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  sim_put (self, dir, name, v, 0444);
}

/* Writable attribute: the file plus the rules the preload shim enforces. */
void
sim_put_rw (HotplugSimKernel *self, const char *dir, const char *name, const char *value,
            const char *rules, mode_t mode)
{
  put_full (self, dir, name, value, rules, mode);
}

void
sim_set_rules (HotplugSimKernel *self, const char *dir, const char *name, const char *rules)
{
  char p[PATH_MAX];

  sim_sys_path (self, p, dir, name);
  if (setxattr (p, HOTPLUG_SIM_XATTR_RULES, rules, strlen (rules), 0) < 0 && errno != ENOENT)
    g_warning ("cannot set the write rules of %s: %s", p, g_strerror (errno));
}

char *
sim_get (HotplugSimKernel *self, const char *dir, const char *name)
{
  char p[PATH_MAX];
  char buf[256];
  ssize_t n;
  int fd;

  sim_sys_path (self, p, dir, name);
  fd = open (p, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n < 0)
    return NULL;
  buf[n] = '\0';
  return g_strstrip (g_strdup (buf));
}

void
sim_mkdir_rel (HotplugSimKernel *self, const char *rel)
{
  char p[PATH_MAX];

  sim_sys_path (self, p, rel, NULL);
  if (mkdir (p, 0755) < 0 && errno != EEXIST)
    g_warning ("cannot create %s: %s", p, g_strerror (errno));
}

/* A relative symlink DIR/NAME -> TARGET (both relative to the sysfs root),
 * so that it resolves inside the testbed whoever looks at it. */
void
sim_link_rel (HotplugSimKernel *self, const char *dir, const char *name, const char *target)
{
  char p[PATH_MAX];
  char t[PATH_MAX];
  gsize o = 0;

  for (const char *c = dir; *c; c++)
    if (*c == '/')
      o += snprintf (t + o, sizeof t - o, "../");
  snprintf (t + o, sizeof t - o, "../%s", target);
  if (self->cur_dfd >= 0 && dir == self->cur_dir)
    {
      if (symlinkat (t, self->cur_dfd, name) == 0)
        return;
      unlinkat (self->cur_dfd, name, 0);
      if (symlinkat (t, self->cur_dfd, name) == 0)
        return;
    }
  sim_sys_path (self, p, dir, name);
  if (symlink (t, p) == 0)
    return;
  unlink (p);
  if (symlink (t, p) < 0)
    g_warning ("cannot link %s: %s", p, g_strerror (errno));
}

void
sim_unlink_rel (HotplugSimKernel *self, const char *dir, const char *name)
{
  char p[PATH_MAX];

  sim_sys_path (self, p, dir, name);
  unlink (p);
}

static void
rm_tree_at (int dfd, const char *name)
{
  int fd = openat (dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  DIR *d;
  struct dirent *de;

  if (fd < 0)
    {
      unlinkat (dfd, name, 0);
      return;
    }
  d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return;
    }
  while ((de = readdir (d)))
    {
      if (g_str_equal (de->d_name, ".") || g_str_equal (de->d_name, ".."))
        continue;
      if (de->d_type == DT_DIR)
        rm_tree_at (dirfd (d), de->d_name);
      else
        unlinkat (dirfd (d), de->d_name, 0);
    }
  closedir (d);
  unlinkat (dfd, name, AT_REMOVEDIR);
}

void
sim_rm_rel (HotplugSimKernel *self, const char *rel)
{
  char p[PATH_MAX];

  sim_sys_path (self, p, rel, NULL);
  rm_tree_at (AT_FDCWD, p);
}

/* ---------------------------------------------------------------------- */
/* watches                                                                 */

void
sim_watch_dir (HotplugSimKernel *self, const char *rel, HotplugSimDev *dev, HotplugSimUnit *slot)
{
  char p[PATH_MAX];
  HotplugSimWatch *w;
  int wd;

  if (self->ifd < 0)
    return;
  sim_sys_path (self, p, rel, NULL);
  wd = inotify_add_watch (self->ifd, p, IN_CLOSE_WRITE | IN_ONLYDIR);
  if (wd < 0)
    {
      g_warning ("cannot watch %s: %s", p, g_strerror (errno));
      return;
    }
  w = g_new0 (HotplugSimWatch, 1);
  w->dev = dev;
  w->slot = slot;
  g_hash_table_replace (self->watches, GINT_TO_POINTER (wd), w);
  if (dev)
    dev->wd = wd;
  if (slot)
    slot->wd = wd;
}

/* Stops watching the directory of *WD and forgets it. */
void
sim_unwatch (HotplugSimKernel *self, int *wd)
{
  if (*wd < 0)
    return;
  g_hash_table_remove (self->watches, GINT_TO_POINTER (*wd));
  inotify_rm_watch (self->ifd, *wd);
  *wd = -1;
}
