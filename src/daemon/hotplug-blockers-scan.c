/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "hotplug-blockers-private.h"
#include "hotplug-util.h"

/* One pass over /proc for every unit asked about: the mounts, swap areas,
 * block device nodes held open, and process and IRQ affinities of the
 * whole system, then each unit's share of them. */

typedef struct
{
  dev_t  dev;
  char  *point, *fstype, *source;
} Mount;

typedef struct
{
  dev_t     dev;
  char     *file;
  gboolean  is_file;   /* a swap file: dev is its filesystem's */
} Swap;

typedef struct
{
  dev_t    dev;
  int      pid;
  char    *process;    /* "PID COMM" */
  char    *path;
  GString *fds;
} Open;

typedef struct
{
  char   *process;
  char   *list;
  GArray *allowed;
} Proc;

typedef struct
{
  char   *name;        /* irq 24 */
  char   *list;
  char   *actions;     /* the handlers' names */
  GArray *set;
} Irq;

typedef struct
{
  GPtrArray *mounts, *swaps, *opens, *procs, *irqs;
  GArray    *everywhere;   /* the daemon's own CPUs: whoever may run on all of them is not pinned */
  cpu_set_t *mask;         /* a buffer for sched_getaffinity(), for mask_cpus CPUs */
  guint      mask_cpus;
  HotplugBlockerClasses *classes;  /* read at the first unit with PCI devices */
} Sys;

static void
mount_free (Mount *m)
{
  g_free (m->point);
  g_free (m->fstype);
  g_free (m->source);
  g_free (m);
}

static void
swap_free (Swap *s)
{
  g_free (s->file);
  g_free (s);
}

static void
open_free (Open *o)
{
  g_free (o->process);
  g_free (o->path);
  g_string_free (o->fds, TRUE);
  g_free (o);
}

static void
proc_free (Proc *p)
{
  g_free (p->process);
  g_free (p->list);
  g_array_unref (p->allowed);
  g_free (p);
}

static void
irq_free (Irq *q)
{
  g_free (q->name);
  g_free (q->list);
  g_free (q->actions);
  g_clear_pointer (&q->set, g_array_unref);
  g_free (q);
}

static void
mask_clear (Sys *s)
{
  if (s->mask)
    CPU_FREE (s->mask);
  s->mask = NULL;
}

static void
sys_clear (Sys *s)
{
  g_clear_pointer (&s->mounts, g_ptr_array_unref);
  g_clear_pointer (&s->swaps, g_ptr_array_unref);
  g_clear_pointer (&s->opens, g_ptr_array_unref);
  g_clear_pointer (&s->procs, g_ptr_array_unref);
  g_clear_pointer (&s->irqs, g_ptr_array_unref);
  g_clear_pointer (&s->everywhere, g_array_unref);
  g_clear_pointer (&s->classes, hotplug_blocker_classes_free);
  mask_clear (s);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Sys, sys_clear)

/* --- the system -------------------------------------------------------- */

static void
read_mounts (Sys *s)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  s->mounts = g_ptr_array_new_with_free_func ((GDestroyNotify) mount_free);
  if (!g_file_get_contents ("/proc/self/mountinfo", &text, NULL, NULL))
    return;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      Mount *m = g_new0 (Mount, 1);
      guint ma, mi;

      if (!hotplug_blockers_parse_mountinfo_line (lines[i], &ma, &mi, &m->point, &m->fstype, &m->source))
        {
          g_free (m);
          continue;
        }
      m->dev = makedev (ma, mi);
      g_ptr_array_add (s->mounts, m);
    }
}

static void
read_swaps (Sys *s)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  s->swaps = g_ptr_array_new_with_free_func ((GDestroyNotify) swap_free);
  if (!g_file_get_contents ("/proc/swaps", &text, NULL, NULL))
    return;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      g_autofree char *file = NULL;
      g_autofree char *type = NULL;
      struct stat st;
      Swap *w;

      if (!hotplug_blockers_parse_swaps_line (lines[i], &file, &type) || stat (file, &st) < 0)
        continue;
      w = g_new0 (Swap, 1);
      w->is_file = !S_ISBLK (st.st_mode);
      w->dev = w->is_file ? st.st_dev : st.st_rdev;
      w->file = g_steal_pointer (&file);
      g_ptr_array_add (s->swaps, w);
    }
}

static char *
process_name (int proc, const char *pid)
{
  g_autofree char *comm = NULL;
  g_autofree char *rel = g_strdup_printf ("%s/comm", pid);

  comm = hotplug_blockers_read_at (proc, rel);
  return g_strdup_printf ("%s %s", pid, comm ? comm : "?");
}

/* Block device nodes a process holds: only links into /dev are stat'ed,
 * so that a hung network or FUSE filesystem cannot stall the scan. */
static void
scan_fds (Sys *s, int proc, const char *pid)
{
  g_autofree char *rel = g_strdup_printf ("%s/fd", pid);
  int dfd = openat (proc, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_autofree char *process = NULL;
  DIR *d;
  struct dirent *e;

  if (dfd < 0)
    return;
  d = fdopendir (dfd);
  if (d == NULL)
    {
      close (dfd);
      return;
    }
  while ((e = readdir (d)))
    {
      char target[PATH_MAX];
      ssize_t n;
      struct statx st;
      dev_t rdev;
      Open *o = NULL;

      if (e->d_name[0] == '.')
        continue;
      n = readlinkat (dirfd (d), e->d_name, target, sizeof target - 1);
      if (n < 5 || strncmp (target, "/dev/", 5) != 0)
        continue;
      target[n] = '\0';
      /* the link's text says /dev/ but what it names may be anything
       * mounted below /dev (a FUSE or network filesystem in /dev/shm):
       * the attributes the kernel has, never a question to a filesystem
       * that may not answer */
      if (statx (dirfd (d), e->d_name, AT_STATX_DONT_SYNC, STATX_TYPE, &st) < 0 || !S_ISBLK (st.stx_mode))
        continue;
      rdev = makedev (st.stx_rdev_major, st.stx_rdev_minor);
      /* one entry per process and device, listing its descriptors */
      for (guint i = s->opens->len; i > 0 && o == NULL; i--)
        {
          Open *x = g_ptr_array_index (s->opens, i - 1);

          if (x->pid != atoi (pid))
            break;
          if (x->dev == rdev)
            o = x;
        }
      if (o == NULL)
        {
          if (process == NULL)
            process = process_name (proc, pid);
          o = g_new0 (Open, 1);
          o->dev = rdev;
          o->pid = atoi (pid);
          o->process = g_strdup (process);
          o->path = g_strdup (target);
          o->fds = g_string_new ("fd ");
          g_ptr_array_add (s->opens, o);
        }
      else
        g_string_append_c (o->fds, ',');
      g_string_append (o->fds, e->d_name);
    }
  closedir (d);
}

/* Process PID's affinity mask into s->mask; the buffer grows while the
 * kernel finds it smaller than its own masks. */
static gboolean
get_affinity (Sys *s, int pid)
{
  for (guint tries = 0; tries < 6; tries++)
    {
      if (s->mask == NULL)
        {
          s->mask_cpus = MAX (s->mask_cpus, 1024u);
          s->mask = CPU_ALLOC (s->mask_cpus);
        }
      if (sched_getaffinity (pid, CPU_ALLOC_SIZE (s->mask_cpus), s->mask) == 0)
        return TRUE;
      if (errno != EINVAL)
        return FALSE;
      mask_clear (s);
      s->mask_cpus *= 2;
    }
  return FALSE;
}

/* Whether process PID may run on every CPU the daemon may, by its
 * affinity mask (a system call, not the text of /proc/PID/status).  The
 * kernel reports only the CPUs that are active, so this answers TRUE only
 * where Cpus_allowed_list would; FALSE means "read the status". */
static gboolean
runs_everywhere (Sys *s, const char *pid)
{
  if (s->everywhere == NULL || s->everywhere->len == 0 || !get_affinity (s, atoi (pid)))
    return FALSE;
  for (guint i = 0; i < s->everywhere->len; i++)
    {
      guint cpu = g_array_index (s->everywhere, guint, i);

      if (cpu >= s->mask_cpus || !CPU_ISSET_S (cpu, CPU_ALLOC_SIZE (s->mask_cpus), s->mask))
        return FALSE;
    }
  return TRUE;
}

static void
scan_affinity (Sys *s, int proc, const char *pid)
{
  g_autofree char *path = NULL;
  g_autofree char *status = NULL;
  g_autoptr(GArray) allowed = NULL;
  gboolean kthread;
  Proc *p;

  /* most processes may run anywhere: one system call tells, the status
   * (which the kernel composes at some cost) is read for the others */
  if (runs_everywhere (s, pid))
    return;
  path = g_strdup_printf ("/proc/%s/status", pid);
  if (!g_file_get_contents (path, &status, NULL, NULL))
    return;
  allowed = hotplug_blockers_parse_status (status, &kthread);
  /* the kernel moves its own per-CPU threads itself; a process that may
   * run everywhere the daemon may is not pinned (under the simulator, the
   * real CPUs every process may use are not the simulated ones) */
  if (allowed == NULL || kthread || hotplug_blockers_set_within (s->everywhere, allowed))
    return;
  p = g_new0 (Proc, 1);
  p->process = process_name (proc, pid);
  p->list = hotplug_list_format_array (allowed);
  p->allowed = g_steal_pointer (&allowed);
  g_ptr_array_add (s->procs, p);
}

static void
read_processes (Sys *s, gboolean fds, gboolean affinity)
{
  int proc;
  DIR *d;
  struct dirent *e;

  s->opens = g_ptr_array_new_with_free_func ((GDestroyNotify) open_free);
  s->procs = g_ptr_array_new_with_free_func ((GDestroyNotify) proc_free);
  if (!fds && !affinity)
    return;
  if (affinity)
    {
      g_autofree char *self = NULL;
      gboolean kthread;

      if (g_file_get_contents ("/proc/self/status", &self, NULL, NULL))
        s->everywhere = hotplug_blockers_parse_status (self, &kthread);
    }
  proc = open ("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (proc < 0)
    return;
  d = fdopendir (proc);
  if (d == NULL)
    {
      close (proc);
      return;
    }
  while ((e = readdir (d)))
    {
      if (!g_ascii_isdigit (e->d_name[0]))
        continue;
      if (fds)
        scan_fds (s, dirfd (d), e->d_name);
      if (affinity)
        scan_affinity (s, dirfd (d), e->d_name);
    }
  closedir (d);
}

/* The handlers of IRQ @name: each shows as a directory of its own in
 * /proc/irq/NAME ("eth0", "virtio3-rx"), named in readdir's order. */
static char *
irq_actions (int irqs, const char *name)
{
  int dfd = openat (irqs, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  GString *actions = g_string_new (NULL);
  DIR *d = dfd >= 0 ? fdopendir (dfd) : NULL;
  struct dirent *e;

  if (d == NULL && dfd >= 0)
    close (dfd);
  while (d && (e = readdir (d)))
    {
      struct stat st;

      if (e->d_name[0] == '.')
        continue;
      if (e->d_type == DT_DIR ||
          (e->d_type == DT_UNKNOWN && fstatat (dirfd (d), e->d_name, &st, 0) == 0 && S_ISDIR (st.st_mode)))
        g_string_append_printf (actions, "%s%s", actions->len ? "," : "", e->d_name);
    }
  if (d)
    closedir (d);
  return g_string_free (actions, FALSE);
}

/* Each IRQ's affinity; the handlers' names only of those that may block
 * a removal: an IRQ that may go to every CPU the daemon may is never a
 * unit's blocker (check_cpus), and most are such. */
static void
read_irqs (Sys *s)
{
  int irqs = open ("/proc/irq", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = irqs >= 0 ? fdopendir (irqs) : NULL;
  struct dirent *e;

  s->irqs = g_ptr_array_new_with_free_func ((GDestroyNotify) irq_free);
  if (d == NULL && irqs >= 0)
    close (irqs);
  while (d && (e = readdir (d)))
    {
      g_autofree char *rel = NULL;
      g_autofree char *list = NULL;
      g_autoptr(GArray) set = NULL;
      Irq *q;

      if (!g_ascii_isdigit (e->d_name[0]))
        continue;
      rel = g_strconcat (e->d_name, "/smp_affinity_list", NULL);
      list = hotplug_blockers_read_at (dirfd (d), rel);
      if (list == NULL || *list == '\0')
        continue;
      set = hotplug_list_parse (list, NULL);
      if (hotplug_blockers_set_within (s->everywhere, set))
        continue;
      q = g_new0 (Irq, 1);
      q->name = g_strdup_printf ("irq %s", e->d_name);
      q->set = g_steal_pointer (&set);
      q->list = g_steal_pointer (&list);
      q->actions = irq_actions (dirfd (d), e->d_name);
      g_ptr_array_add (s->irqs, q);
    }
  if (d)
    closedir (d);
}

/* --- one unit's share ---------------------------------------------------- */

static void
add (GPtrArray *out, const char *kind, const char *object, const char *detail, const char *process)
{
  g_ptr_array_add (out, hotplug_blocker_new (kind, object, detail, process));
}

static const char *
dev_label (HotplugBlockerDev *d, char *buf, gsize size)
{
  if (d->via)
    snprintf (buf, size, "%s (holds %s)", d->name, d->via);
  else
    snprintf (buf, size, "%s", d->name);
  return buf;
}

static void
check_devices (Sys *s, HotplugBlockerFacts *f, GPtrArray *out)
{
  g_autoptr(HotplugBlockerDevs) devs = NULL;
  char label[256];

  if (s->classes == NULL)
    s->classes = hotplug_blocker_classes_read ();
  devs = hotplug_blocker_devs_find_in ((const char * const *) f->pci_devices, s->classes);

  for (guint i = 0; i < devs->holders->len; i++)
    g_ptr_array_add (out, g_steal_pointer (&devs->holders->pdata[i]));
  for (guint i = 0; i < devs->netdevs->len; i++)
    g_ptr_array_add (out, g_steal_pointer (&devs->netdevs->pdata[i]));
  g_ptr_array_set_size (devs->holders, 0);
  g_ptr_array_set_size (devs->netdevs, 0);

  for (guint i = 0; i < s->mounts->len; i++)
    {
      Mount *m = g_ptr_array_index (s->mounts, i);
      HotplugBlockerDev *d = g_hash_table_lookup (devs->by_dev, &m->dev);
      g_autofree char *detail = NULL;

      if (d == NULL)
        continue;
      detail = g_strdup_printf ("%s %s on %s", m->fstype, m->source, dev_label (d, label, sizeof label));
      add (out, "mount", m->point, detail, "");
    }
  for (guint i = 0; i < s->swaps->len; i++)
    {
      Swap *w = g_ptr_array_index (s->swaps, i);
      HotplugBlockerDev *d = g_hash_table_lookup (devs->by_dev, &w->dev);
      g_autofree char *detail = NULL;

      if (d == NULL)
        continue;
      detail = g_strdup_printf ("%s on %s", w->is_file ? "swap file" : "swap area",
                                dev_label (d, label, sizeof label));
      add (out, "swap", w->file, detail, "");
    }
  for (guint i = 0; i < s->opens->len; i++)
    {
      Open *o = g_ptr_array_index (s->opens, i);
      HotplugBlockerDev *d = g_hash_table_lookup (devs->by_dev, &o->dev);
      g_autofree char *detail = NULL;

      if (d == NULL)
        continue;
      detail = g_strdup_printf ("%s on %s", o->fds->str, dev_label (d, label, sizeof label));
      add (out, "open", o->path, detail, o->process);
    }
}

static void
check_cpus (Sys *s, HotplugBlockerFacts *f, GPtrArray *out)
{
  for (guint i = 0; i < s->procs->len; i++)
    {
      Proc *p = g_ptr_array_index (s->procs, i);
      g_autofree char *object = NULL;
      g_autofree char *detail = NULL;

      if (!hotplug_blockers_set_within (p->allowed, f->cpus))
        continue;
      object = g_strdup_printf (p->allowed->len == 1 ? "cpu%s" : "cpus %s", p->list);
      detail = g_strdup_printf ("may run only there (Cpus_allowed_list %s)", p->list);
      add (out, "cpu-affinity", object, detail, p->process);
    }
  for (guint i = 0; i < s->irqs->len; i++)
    {
      Irq *q = g_ptr_array_index (s->irqs, i);
      g_autofree char *detail = NULL;

      if (!hotplug_blockers_set_within (q->set, f->cpus) || hotplug_blockers_set_within (s->everywhere, q->set))
        continue;
      detail = g_strdup_printf ("smp_affinity_list %s%s%s", q->list, *q->actions ? ", " : "", q->actions);
      add (out, "irq-affinity", q->name, detail, "");
    }
}

/* Whether any online block outside @blocks exists: stops at the first. */
static gboolean
other_memory_online (GArray *blocks)
{
  g_autofree char *dir = hotplug_sysfs_path ("/sys/devices/system/memory");
  g_autoptr(GHashTable) mine = g_hash_table_new (NULL, NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *e;

  for (guint i = 0; i < blocks->len; i++)
    g_hash_table_add (mine, GUINT_TO_POINTER (g_array_index (blocks, guint, i) + 1));
  while (d && (e = g_dir_read_name (d)))
    {
      guint64 n;
      g_autofree char *state = NULL;
      g_autofree char *path = NULL;

      if (!g_str_has_prefix (e, "memory") ||
          !g_ascii_string_to_unsigned (e + 6, 10, 0, G_MAXUINT - 1, &n, NULL) ||
          g_hash_table_contains (mine, GUINT_TO_POINTER (n + 1)))
        continue;
      path = g_build_filename (dir, e, "state", NULL);
      state = hotplug_blockers_read_file (path);
      if (g_strcmp0 (state, "online") == 0)
        return TRUE;
    }
  return FALSE;
}

static void
add_memory (GPtrArray *out, GArray *blocks, const char *detail)
{
  g_autofree char *list = NULL;
  g_autofree char *object = NULL;

  if (blocks->len == 0)
    return;
  list = hotplug_list_format_array (blocks);
  object = g_strdup_printf (blocks->len == 1 ? "block %s" : "blocks %s", list);
  add (out, "memory", object, detail, "");
}

/* One block's attribute, relative to the memory directory: a large
 * machine has tens of thousands of blocks, each read costs. */
static char *
read_block (int memdir, guint n, const char *attr)
{
  char rel[64];

  snprintf (rel, sizeof rel, "memory%u/%s", n, attr);
  return hotplug_blockers_read_at (memdir, rel);
}

static void
check_memory (HotplugBlockerFacts *f, GPtrArray *out)
{
  g_autoptr(GArray) online = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GArray) none = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GArray) fixed = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GHashTable) zones = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                       (GDestroyNotify) g_array_unref);
  g_autofree char *dir = hotplug_sysfs_path ("/sys/devices/system/memory");
  int memdir = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  GHashTableIter iter;
  gpointer key, value;

  for (guint i = 0; memdir >= 0 && i < f->blocks->len; i++)
    {
      guint n = g_array_index (f->blocks, guint, i);
      g_autofree char *state = f->blocks_known_online ? NULL : read_block (memdir, n, "state");
      g_autofree char *zone = NULL;
      g_autofree char *removable = NULL;

      if (!f->blocks_known_online && g_strcmp0 (state, "online") != 0)
        continue;
      g_array_append_val (online, n);
      /* valid_zones of an online block is its zone; removable reads 1
       * whatever the truth on current kernels, and is asked only where
       * valid_zones is missing (old kernels) */
      zone = read_block (memdir, n, "valid_zones");
      if (zone == NULL)
        removable = read_block (memdir, n, "removable");
      /* an attribute that cannot be read says nothing */
      if (g_strcmp0 (zone, "none") == 0)
        g_array_append_val (none, n);
      else if (g_strcmp0 (removable, "0") == 0)
        g_array_append_val (fixed, n);
      else if (zone && *zone && strstr (zone, "Movable") == NULL)
        {
          GArray *a = g_hash_table_lookup (zones, zone);

          if (a == NULL)
            {
              a = g_array_new (FALSE, FALSE, sizeof (guint));
              g_hash_table_insert (zones, g_strdup (zone), a);
            }
          g_array_append_val (a, n);
        }
    }
  if (memdir >= 0)
    close (memdir);
  add_memory (out, none, "valid_zones none: the kernel cannot take it offline");
  add_memory (out, fixed, "removable 0: the kernel cannot take it offline");
  g_hash_table_iter_init (&iter, zones);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autofree char *detail = g_strdup_printf ("zone %s, not Movable: may hold kernel memory that "
                                                 "cannot move", (char *) key);
      add_memory (out, value, detail);
    }
  if (online->len > 0 &&
      (f->other_online >= 0 ? f->other_online == 0 : !other_memory_online (f->blocks)))
    add_memory (out, online, "the last online memory of the system");
}

/* --- entry points ------------------------------------------------------ */

/* A scan in two halves: what the whole system holds (mounts, swaps, and
 * with FDS the device nodes processes hold open, with CPUS the process and
 * IRQ affinities), then each facts' share of it. */
typedef struct
{
  Sys      sys;
  gboolean fds, cpus;
} HotplugBlockersSystem;

static HotplugBlockersSystem *
system_read (gboolean fds, gboolean cpus)
{
  HotplugBlockersSystem *system = g_new0 (HotplugBlockersSystem, 1);

  system->fds = fds;
  system->cpus = cpus;
  /* what is mounted or swapped on matters only to the disks below PCI
   * devices, which the descriptors come with */
  if (fds)
    {
      read_mounts (&system->sys);
      read_swaps (&system->sys);
    }
  read_processes (&system->sys, fds, cpus);
  if (cpus)
    read_irqs (&system->sys);
  else
    system->sys.irqs = g_ptr_array_new ();
  return system;
}

static void
system_free (HotplugBlockersSystem *system)
{
  if (system == NULL)
    return;
  sys_clear (&system->sys);
  g_free (system);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotplugBlockersSystem, system_free)

static GPtrArray *
scan_system (HotplugBlockersSystem *system, GPtrArray *facts)
{
  GPtrArray *result = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);

  for (guint i = 0; i < facts->len; i++)
    {
      HotplugBlockerFacts *f = g_ptr_array_index (facts, i);
      GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) hotplug_blocker_free);

      /* a system read without what these facts need cannot answer them */
      g_return_val_if_fail (system->fds || f->pci_devices[0] == NULL, result);
      g_return_val_if_fail (system->cpus || f->cpus->len == 0, result);
      if (f->pci_devices[0])
        check_devices (&system->sys, f, out);
      if (f->cpus->len)
        check_cpus (&system->sys, f, out);
      if (f->blocks->len)
        check_memory (f, out);
      hotplug_blockers_sort (out);
      g_ptr_array_add (result, out);
    }
  return result;
}

GPtrArray *
hotplug_blockers_scan (GPtrArray *facts)
{
  g_autoptr(HotplugBlockersSystem) system = NULL;
  gboolean need_fds = FALSE, need_cpus = FALSE;

  for (guint i = 0; i < facts->len; i++)
    {
      HotplugBlockerFacts *f = g_ptr_array_index (facts, i);

      need_fds |= f->pci_devices[0] != NULL;
      need_cpus |= f->cpus->len > 0;
    }
  system = system_read (need_fds, need_cpus);
  return scan_system (system, facts);
}

char **
hotplug_blockers_mount_points (const char * const *pci_devices)
{
  g_auto(Sys) s = { 0 };
  g_autoptr(HotplugBlockerDevs) devs = hotplug_blocker_devs_find (pci_devices);
  GPtrArray *out = g_ptr_array_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_int64_hash, g_int64_equal);

  read_mounts (&s);
  for (guint i = 0; i < s.mounts->len; i++)
    {
      Mount *m = g_ptr_array_index (s.mounts, i);

      /* a filesystem mounted twice (a bind mount, the same device at two
       * places) is frozen once, at the first place it shows: a second
       * FIFREEZE of it fails with EBUSY */
      if (g_hash_table_contains (devs->by_dev, &m->dev) && !g_hash_table_contains (seen, &m->dev))
        {
          g_hash_table_add (seen, &m->dev);
          g_ptr_array_add (out, g_strdup (m->point));
        }
    }
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

static void
scan_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  g_task_return_pointer (task, hotplug_blockers_scan (task_data), (GDestroyNotify) g_ptr_array_unref);
}

void
hotplug_blockers_scan_async (GPtrArray *facts, GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, hotplug_blockers_scan_async);
  g_task_set_task_data (task, facts, (GDestroyNotify) g_ptr_array_unref);
  g_task_run_in_thread (task, scan_thread);
}

GPtrArray *
hotplug_blockers_scan_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
