/* libhotplug-sim-preload: makes writes to simulated sysfs attributes fail
 * synchronously, as the kernel's EBUSY and EINVAL do.
 *
 * A write into the simulated sysfs lands in a plain file and returns before
 * the simulator sees it, so the refusals are armed in advance: every
 * writable attribute carries the xattr user.hotplug-sim.rules, e.g.
 *
 *   accept=0 1          anything else fails with EINVAL
 *   refuse=16 0         writing "0" fails with errno 16 (EBUSY)
 *   otherwise=19        what accept does not name fails with errno 19
 *                       (ENODEV) instead of EINVAL
 *   serial              a writer waits (up to 2 s) until the attribute
 *                       reads empty: the write before it was taken (one
 *                       file that several writers share, as a driver's
 *                       unbind, loses none of their values)
 *   sync                a writer's close waits (up to 5 s) until the
 *                       attribute reads empty: the simulator has answered
 *                       it, as the kernel's rescan returns once the scan is
 *                       done
 *
 * Files and directories under /sys are the kernel's to make, as on sysfs:
 * opening a file that does not exist there for writing fails with EACCES
 * (writing an `online` that a CPU does not have), and mkdir, unlink, rmdir,
 * rename, link and symlink fail with EPERM.
 *
 * and user.hotplug-sim.fail ("COUNT ERRNO", set by `hotplug-sim ctl fail`)
 * makes the next COUNT writes fail.  A refused write leaves the attribute
 * reading its old value.  Only calls through the PLT are seen: static
 * binaries and libc-internal writes (stdio, e.g. bash's echo builtin) are
 * not refused.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
/* we define open and open64 ourselves */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

#define RULES "user.hotplug-sim.rules"
#define FAIL  "user.hotplug-sim.fail"
#define MAX_FDS 4096

typedef struct {
  dev_t  dev;
  ino_t  ino;
  char  *old;      /* content before the open truncated it */
  size_t oldlen;
  int    wrote;
} Tracked;

static Tracked *tracked[MAX_FDS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

#define REAL(name, ret, ...) \
  static ret (*real_##name) (__VA_ARGS__); \
  if (real_##name == NULL) \
    real_##name = (ret (*) (__VA_ARGS__)) dlsym (RTLD_NEXT, #name)

static void
untrack (int fd)
{
  Tracked *t;

  if (fd < 0 || fd >= MAX_FDS)
    return;
  pthread_mutex_lock (&lock);
  t = tracked[fd];
  tracked[fd] = NULL;
  pthread_mutex_unlock (&lock);
  if (t)
    {
      free (t->old);
      free (t);
    }
}

/* A "serial" attribute that still holds a write the simulator has not
 * taken: let go of the lock until it has. */
static void
wait_taken (int fd)
{
  char rules[16384];
  ssize_t rl = fgetxattr (fd, RULES, rules, sizeof rules - 1);
  struct stat st;

  if (rl < 0)
    return;
  rules[rl] = '\0';
  if (strstr (rules, "\nserial\n") == NULL && strncmp (rules, "serial\n", 7) != 0)
    return;
  for (int i = 0; i < 2000 && fstat (fd, &st) == 0 && st.st_size > 0; i++)
    {
      (void) flock (fd, LOCK_UN);
      usleep (1000);
      (void) flock (fd, LOCK_EX);
    }
}

/* Called with the fd the real open returned (opened without O_TRUNC). */
static int
after_open (int fd, int flags, int (*reopen) (void *), void *data)
{
  Tracked *t;
  struct stat st;
  int e = errno;

  if (fd < 0)
    return fd;
  untrack (fd);
  if (fgetxattr (fd, RULES, NULL, 0) < 0 || fd >= MAX_FDS || fstat (fd, &st) < 0)
    {
      /* not a simulated attribute: O_TRUNC as asked */
      if (flags & O_TRUNC)
        (void) ftruncate (fd, 0);
      errno = e;
      return fd;
    }
  /* Hold the attribute from open to close, as a sysfs write is one step:
   * the simulator reads, answers and rewrites an attribute under this lock
   * (never waiting for it: it looks again once the writer has closed), so
   * neither side sees or overwrites the other's half-done write.  It holds
   * the lock only while it answers one write, so this never waits long. */
  (void) flock (fd, LOCK_EX);
  wait_taken (fd);
  t = calloc (1, sizeof *t);
  if (t == NULL)
    return fd;
  t->dev = st.st_dev;
  t->ino = st.st_ino;
  {
    int rfd = reopen (data);
    if (rfd >= 0)
      {
        char buf[4096];
        ssize_t n = read (rfd, buf, sizeof buf);
        if (n > 0 && (t->old = malloc (n)))
          {
            memcpy (t->old, buf, n);
            t->oldlen = n;
          }
        close (rfd);
      }
  }
  if (flags & O_TRUNC)
    (void) ftruncate (fd, 0);
  pthread_mutex_lock (&lock);
  tracked[fd] = t;
  pthread_mutex_unlock (&lock);
  errno = e;
  return fd;
}

static int
writing (int flags)
{
  return (flags & O_ACCMODE) != O_RDONLY;
}

typedef struct {
  int         dirfd;
  const char *path;
} Reopen;

static int
reopen_at (void *data)
{
  Reopen *r = data;
  REAL (openat, int, int, const char *, int, ...);

  return real_openat (r->dirfd, r->path, O_RDONLY | O_CLOEXEC);
}

/* An absolute path into sysfs (relative ones are left alone). */
static int
in_sysfs (const char *path)
{
  return path && strncmp (path, "/sys/", 5) == 0;
}

/* sysfs has no file a writer could create */
static int
creates_in_sysfs (int dirfd, const char *path, int flags)
{
  REAL (openat, int, int, const char *, int, ...);
  int fd;

  if (!(flags & O_CREAT) || !in_sysfs (path))
    return 0;
  fd = real_openat (dirfd, path, O_PATH | O_CLOEXEC);
  if (fd >= 0)
    {
      close (fd);
      return 0;
    }
  return errno == ENOENT;
}

static int
do_openat (int dirfd, const char *path, int flags, mode_t mode)
{
  REAL (openat, int, int, const char *, int, ...);
  Reopen r = { dirfd, path };

  if (creates_in_sysfs (dirfd, path, flags))
    {
      errno = EACCES;
      return -1;
    }
  if (!writing (flags))
    return real_openat (dirfd, path, flags, mode);
  return after_open (real_openat (dirfd, path, flags & ~O_TRUNC, mode), flags, reopen_at, &r);
}

static int
do_open (const char *path, int flags, mode_t mode)
{
  REAL (open, int, const char *, int, ...);
  Reopen r = { AT_FDCWD, path };

  /* through open() itself, so that the umockdev preload (next in line)
   * redirects the path as it would */
  if (creates_in_sysfs (AT_FDCWD, path, flags))
    {
      errno = EACCES;
      return -1;
    }
  if (!writing (flags))
    return real_open (path, flags, mode);
  return after_open (real_open (path, flags & ~O_TRUNC, mode), flags, reopen_at, &r);
}

static mode_t
get_mode (int flags, va_list ap)
{
  return ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? va_arg (ap, mode_t) : 0;
}

int open (const char *path, int flags, ...);
int open64 (const char *path, int flags, ...);
int openat (int dirfd, const char *path, int flags, ...);
int openat64 (int dirfd, const char *path, int flags, ...);
int __open_2 (const char *path, int flags);
int __open64_2 (const char *path, int flags);
int __openat_2 (int dirfd, const char *path, int flags);
int __openat64_2 (int dirfd, const char *path, int flags);
ssize_t write (int fd, const void *buf, size_t n);
int close (int fd);

int
open (const char *path, int flags, ...)
{
  va_list ap;
  mode_t mode;

  va_start (ap, flags);
  mode = get_mode (flags, ap);
  va_end (ap);
  return do_open (path, flags, mode);
}

int
open64 (const char *path, int flags, ...)
{
  va_list ap;
  mode_t mode;

  va_start (ap, flags);
  mode = get_mode (flags, ap);
  va_end (ap);
  return do_open (path, flags | O_LARGEFILE, mode);
}

int
openat (int dirfd, const char *path, int flags, ...)
{
  va_list ap;
  mode_t mode;

  va_start (ap, flags);
  mode = get_mode (flags, ap);
  va_end (ap);
  return do_openat (dirfd, path, flags, mode);
}

int
openat64 (int dirfd, const char *path, int flags, ...)
{
  va_list ap;
  mode_t mode;

  va_start (ap, flags);
  mode = get_mode (flags, ap);
  va_end (ap);
  return do_openat (dirfd, path, flags | O_LARGEFILE, mode);
}

int __open_2 (const char *path, int flags) { return do_open (path, flags, 0); }
int __open64_2 (const char *path, int flags) { return do_open (path, flags | O_LARGEFILE, 0); }
int __openat_2 (int dirfd, const char *path, int flags) { return do_openat (dirfd, path, flags, 0); }
int __openat64_2 (int dirfd, const char *path, int flags) { return do_openat (dirfd, path, flags | O_LARGEFILE, 0); }

static void
restore_old (int fd, Tracked *t)
{
  if (t->oldlen)
    (void) pwrite (fd, t->old, t->oldlen, 0);
  (void) ftruncate (fd, t->oldlen);
}

static int
in_list (const char *list, const char *value)
{
  size_t vl = strlen (value);

  while (*list)
    {
      size_t l = strcspn (list, " \n");
      if (l == vl && strncmp (list, value, l) == 0)
        return 1;
      list += l;
      while (*list == ' ')
        list++;
      if (*list == '\n')
        break;
    }
  return 0;
}

/* 0 when the write may go ahead, else the errno. */
static int
check (int fd, const void *buf, size_t n)
{
  char rules[16384], fail[64], value[256];
  ssize_t rl, fl;
  size_t vl = n < sizeof value - 1 ? n : sizeof value - 1;
  int accepted = 1, otherwise = EINVAL;

  fl = fgetxattr (fd, FAIL, fail, sizeof fail - 1);
  if (fl > 0)
    {
      unsigned count = 0;
      int err = EIO;
      fail[fl] = '\0';
      if (sscanf (fail, "%u %d", &count, &err) >= 1 && count > 0)
        {
          if (--count == 0)
            fremovexattr (fd, FAIL);
          else
            {
              snprintf (fail, sizeof fail, "%u %d", count, err);
              fsetxattr (fd, FAIL, fail, strlen (fail), 0);
            }
          return err > 0 ? err : EIO;
        }
    }

  rl = fgetxattr (fd, RULES, rules, sizeof rules - 1);
  if (rl < 0)
    return 0;
  rules[rl] = '\0';
  memcpy (value, buf, vl);
  while (vl > 0 && (value[vl - 1] == '\n' || value[vl - 1] == ' ' || value[vl - 1] == '\t'))
    vl--;
  value[vl] = '\0';

  for (char *line = rules; *line;)
    {
      char *end = strchr (line, '\n');
      if (strncmp (line, "accept=", 7) == 0)
        accepted = in_list (line + 7, value);
      else if (strncmp (line, "otherwise=", 10) == 0)
        otherwise = (int) strtol (line + 10, NULL, 10);
      else if (strncmp (line, "refuse=", 7) == 0)
        {
          char *sp;
          int err = (int) strtol (line + 7, &sp, 10);
          if (*sp == ' ' && in_list (sp + 1, value))
            return err > 0 ? err : EBUSY;
        }
      if (end == NULL)
        break;
      line = end + 1;
    }
  return accepted ? 0 : otherwise > 0 ? otherwise : EINVAL;
}

ssize_t
write (int fd, const void *buf, size_t n)
{
  REAL (write, ssize_t, int, const void *, size_t);
  Tracked *t = NULL;

  if (fd >= 0 && fd < MAX_FDS && tracked[fd])
    {
      struct stat st;
      pthread_mutex_lock (&lock);
      t = tracked[fd];
      pthread_mutex_unlock (&lock);
      if (t && (fstat (fd, &st) < 0 || st.st_ino != t->ino || st.st_dev != t->dev))
        {
          /* the fd was closed behind our back (fclose) and reused */
          untrack (fd);
          t = NULL;
        }
    }
  if (t)
    {
      int err = check (fd, buf, n);
      if (err)
        {
          restore_old (fd, t);
          errno = err;
          return -1;
        }
      t->wrote = 1;
    }
  return real_write (fd, buf, n);
}

/* Whether the attribute's rules say "sync". */
static int
wants_sync (int fd)
{
  char rules[16384];
  ssize_t rl = fgetxattr (fd, RULES, rules, sizeof rules - 1);

  if (rl < 0)
    return 0;
  rules[rl] = '\0';
  return strstr (rules, "\nsync\n") != NULL || strncmp (rules, "sync\n", 5) == 0;
}

/* After the close of a write to a "sync" attribute: wait, through a
 * descriptor of its own (which writes nothing, so the simulator is not
 * woken by it), until the simulator has answered and emptied it. */
static void
wait_answered (int watch)
{
  REAL (close, int, int);
  struct stat st;

  for (int i = 0; i < 5000 && fstat (watch, &st) == 0 && st.st_size > 0; i++)
    usleep (1000);
  real_close (watch);
}

int
close (int fd)
{
  REAL (close, int, int);
  REAL (open, int, const char *, int, ...);
  Tracked *t = NULL;
  int watch = -1;
  int r;

  if (fd >= 0 && fd < MAX_FDS && tracked[fd])
    {
      struct stat st;
      pthread_mutex_lock (&lock);
      t = tracked[fd];
      tracked[fd] = NULL;
      pthread_mutex_unlock (&lock);
      /* opened (and truncated) but nothing written: the attribute keeps
       * its value, as on sysfs */
      if (t && !t->wrote && fstat (fd, &st) == 0 && st.st_ino == t->ino && st.st_size == 0)
        restore_old (fd, t);
      if (t && t->wrote && wants_sync (fd))
        {
          char link[64];

          snprintf (link, sizeof link, "/proc/self/fd/%d", fd);
          watch = real_open (link, O_RDONLY | O_CLOEXEC);
        }
      if (t)
        {
          free (t->old);
          free (t);
        }
    }
  r = real_close (fd);
  if (watch >= 0)
    wait_answered (watch);
  return r;
}

/* --- what only the kernel does in sysfs ---------------------------------- */

static int
refuse (void)
{
  errno = EPERM;
  return -1;
}

int mkdir (const char *path, mode_t mode);
int mkdirat (int dirfd, const char *path, mode_t mode);
int unlink (const char *path);
int unlinkat (int dirfd, const char *path, int flags);
int rmdir (const char *path);
int rename (const char *from, const char *to);
int renameat (int fromfd, const char *from, int tofd, const char *to);
int renameat2 (int fromfd, const char *from, int tofd, const char *to, unsigned int flags);
int link (const char *from, const char *to);
int linkat (int fromfd, const char *from, int tofd, const char *to, int flags);
int symlink (const char *target, const char *path);
int symlinkat (const char *target, int dirfd, const char *path);

int
mkdir (const char *path, mode_t mode)
{
  REAL (mkdir, int, const char *, mode_t);
  return in_sysfs (path) ? refuse () : real_mkdir (path, mode);
}

int
mkdirat (int dirfd, const char *path, mode_t mode)
{
  REAL (mkdirat, int, int, const char *, mode_t);
  return in_sysfs (path) ? refuse () : real_mkdirat (dirfd, path, mode);
}

int
unlink (const char *path)
{
  REAL (unlink, int, const char *);
  return in_sysfs (path) ? refuse () : real_unlink (path);
}

int
unlinkat (int dirfd, const char *path, int flags)
{
  REAL (unlinkat, int, int, const char *, int);
  return in_sysfs (path) ? refuse () : real_unlinkat (dirfd, path, flags);
}

int
rmdir (const char *path)
{
  REAL (rmdir, int, const char *);
  return in_sysfs (path) ? refuse () : real_rmdir (path);
}

int
rename (const char *from, const char *to)
{
  REAL (rename, int, const char *, const char *);
  return in_sysfs (from) || in_sysfs (to) ? refuse () : real_rename (from, to);
}

int
renameat (int fromfd, const char *from, int tofd, const char *to)
{
  REAL (renameat, int, int, const char *, int, const char *);
  return in_sysfs (from) || in_sysfs (to) ? refuse () : real_renameat (fromfd, from, tofd, to);
}

int
renameat2 (int fromfd, const char *from, int tofd, const char *to, unsigned int flags)
{
  REAL (renameat2, int, int, const char *, int, const char *, unsigned int);
  return in_sysfs (from) || in_sysfs (to) ? refuse () : real_renameat2 (fromfd, from, tofd, to, flags);
}

int
link (const char *from, const char *to)
{
  REAL (link, int, const char *, const char *);
  return in_sysfs (from) || in_sysfs (to) ? refuse () : real_link (from, to);
}

int
linkat (int fromfd, const char *from, int tofd, const char *to, int flags)
{
  REAL (linkat, int, int, const char *, int, const char *, int);
  return in_sysfs (from) || in_sysfs (to) ? refuse () : real_linkat (fromfd, from, tofd, to, flags);
}

int
symlink (const char *target, const char *path)
{
  REAL (symlink, int, const char *, const char *);
  return in_sysfs (path) ? refuse () : real_symlink (target, path);
}

int
symlinkat (const char *target, int dirfd, const char *path)
{
  REAL (symlinkat, int, const char *, int, const char *);
  return in_sysfs (path) ? refuse () : real_symlinkat (target, dirfd, path);
}
