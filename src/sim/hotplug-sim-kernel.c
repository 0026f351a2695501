/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <glib-unix.h>
#include <gio/gio.h>

#include "hotplug-sim-kernel-private.h"
#include "hotplug-util.h"

G_DEFINE_TYPE (HotplugSimKernel, hotplug_sim_kernel, G_TYPE_OBJECT)

typedef struct {
  HotplugSimKernel *self;
  HotplugSimDev    *dev;
  HotplugSimUnit   *slot;
  char             *attr;
  char             *value;
  guint             source;
} Action;

typedef struct {
  HotplugSimDev  *dev;
  HotplugSimUnit *slot;
  char           *attr;
} Retry;

/* The attributes the kernel answers: of devices (and drivers), of
 * /sys/bus/pci itself. */
static const char * const dev_attrs[] = { "online", "state", "eject", "remove", "rescan", "bind", "unbind", NULL };
static const char * const bus_attrs[] = { "rescan", "drivers_probe", NULL };

static void action_free (Action *a);
static void retry_free (Retry *r);
/* ---------------------------------------------------------------------- */
/* answering writes                                                        */

static const char *
truthy (const char *v)
{
  return g_str_equal (v, "1") ? "1" : g_str_equal (v, "0") ? "0" : NULL;
}

/* Every look at a writable attribute happens under the lock the preload
 * shim holds from a writer's open (before it truncates) to its close (after
 * it wrote): so the simulator never reads a half-done write, nor writes over
 * one.  The lock is taken on a read-only descriptor, since closing a
 * descriptor opened for writing is itself an IN_CLOSE_WRITE.  Returns the
 * locked descriptor, -1 when the file is gone, -2 when a writer holds it. */
static int
lock_attr (HotplugSimKernel *self, const char *dir, const char *name)
{
  char p[PATH_MAX];
  int fd;

  sim_sys_path (self, p, dir, name);
  fd = open (p, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  if (flock (fd, LOCK_EX | LOCK_NB) < 0)
    {
      close (fd);
      return -2;
    }
  return fd;
}

static char *
read_locked (int fd)
{
  char buf[256];
  ssize_t n = pread (fd, buf, sizeof buf - 1, 0);

  return g_strndup (buf, n > 0 ? n : 0);
}

/* Replaces the content of DIR/NAME, whose lock the caller holds, by VALUE
 * unless it already reads so (an unchanged file sends no further event). */
static void
replace_locked (HotplugSimKernel *self, const char *dir, const char *name, const char *raw, const char *value)
{
  char p[PATH_MAX];
  gsize len = strlen (value);
  int fd;

  if (g_str_equal (raw, value))
    return;
  sim_sys_path (self, p, dir, name);
  fd = open (p, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  if (ftruncate (fd, 0) < 0 || (len && pwrite (fd, value, len, 0) != (gssize) len))
    g_warning ("cannot write %s: %s", p, g_strerror (errno));
  close (fd);
}

static void answer (HotplugSimKernel *self, HotplugSimDev *d, HotplugSimUnit *slot, const char *attr);

static gboolean
retry_fire (gpointer data)
{
  HotplugSimKernel *self = data;
  g_autoptr(GPtrArray) todo = g_steal_pointer (&self->retry);

  self->retry = g_ptr_array_new_with_free_func ((GDestroyNotify) retry_free);
  self->retry_source = 0;
  for (guint i = 0; i < todo->len; i++)
    {
      Retry *r = g_ptr_array_index (todo, i);
      answer (self, r->dev, r->slot, r->attr);
    }
  return G_SOURCE_REMOVE;
}

/* A writer holds the file: look again shortly.  Its close event may be
 * queued already, even merged with an earlier one, before it lets go of the
 * lock (the kernel reports the close before it drops the lock), so waiting
 * for a further event could wait forever. */
static void
retry_later (HotplugSimKernel *self, HotplugSimDev *d, HotplugSimUnit *slot, const char *attr)
{
  Retry *r;

  for (guint i = 0; i < self->retry->len; i++)
    {
      r = g_ptr_array_index (self->retry, i);
      if (r->dev == d && r->slot == slot && g_str_equal (r->attr, attr))
        return;
    }
  r = g_new0 (Retry, 1);
  r->dev = d;
  r->slot = slot;
  r->attr = g_strdup (attr);
  g_ptr_array_add (self->retry, r);
  if (self->retry_source == 0)
    self->retry_source = g_timeout_add (2, retry_fire, self);
}

static void
retry_free (Retry *r)
{
  g_free (r->attr);
  g_free (r);
}

/* Makes attribute NAME of D read the kernel's VALUE after a state change.
 * The attribute being answered is left to answer(), which holds its lock;
 * another one that a writer holds right now is looked at again once the
 * writer is done (its write is newer than this state change). */
void
sim_settle (HotplugSimKernel *self, HotplugSimDev *d, const char *name, const char *value)
{
  g_autofree char *raw = NULL;
  int fd;

  if (self->acting_attr && g_str_equal (self->acting_dir, d->path) && g_str_equal (self->acting_attr, name))
    return;
  fd = lock_attr (self, d->path, name);
  if (fd == -2)
    retry_later (self, d, NULL, name);
  if (fd < 0)
    return;
  raw = read_locked (fd);
  replace_locked (self, d->path, name, raw, value);
  close (fd);
}

static void act_on (HotplugSimKernel *self, HotplugSimDev *d, HotplugSimUnit *slot, const char *attr, const char *value);

static void
act (HotplugSimKernel *self, HotplugSimDev *d, HotplugSimUnit *slot, const char *attr, const char *value)
{
  hotplug_sim_uevent_refresh (self->uevent);
  self->acting_dir = d ? d->path : NULL;
  self->acting_attr = d ? attr : NULL;
  act_on (self, d, slot, attr, value);
  self->acting_dir = self->acting_attr = NULL;
}

static void
act_on_slot (HotplugSimKernel *self, HotplugSimUnit *slot, const char *attr, const char *value)
{
  if (slot->wd < 0)
    return;
  if (g_str_equal (attr, "power") && truthy (value))
    {
      gboolean on = value[0] == '1';
      if (on == slot->power)
        return;
      slot->power = on;
      if (on)
        sim_pci_rescan (self, slot->upstream);
      else
        sim_pci_remove (self, NULL, slot->devs);
    }
  else if (g_str_equal (attr, "attention") && strlen (value) == 1 && value[0] >= '0' && value[0] <= '2')
    slot->attention = value[0] - '0';
  else
    g_message ("slot %s: ignoring '%s' written to %s", slot->name, value, attr);
}

static void
act_on (HotplugSimKernel *self, HotplugSimDev *d, HotplugSimUnit *slot, const char *attr, const char *value)
{
  if (slot)
    {
      act_on_slot (self, slot, attr, value);
      return;
    }
  if (d == NULL || d->kind == HOTPLUG_SIM_DEV_PCI || d->kind == HOTPLUG_SIM_DEV_PCIBUS ||
      d->kind == HOTPLUG_SIM_DEV_DRIVER)
    {
      sim_pci_act (self, d, attr, value);
      return;
    }
  if (!d->present)
    return;

  switch (d->kind)
    {
    case HOTPLUG_SIM_DEV_CPU:
      if (g_str_equal (attr, "online") && truthy (value))
        sim_set_online (self, d, value[0] == '1');
      break;
    case HOTPLUG_SIM_DEV_MEMORY:
      if (g_str_equal (attr, "state") || g_str_equal (attr, "online"))
        {
          gboolean on;
          if (g_str_equal (attr, "online") ? !truthy (value) :
              !g_strv_contains ((const char * const[]) { "online", "online_kernel", "online_movable", "offline", NULL }, value))
            break;
          on = !g_str_equal (value, "offline") && !g_str_equal (value, "0");
          if (!on && g_str_equal (d->zone, "none"))
            break;    /* a writer that bypassed the shim: the kernel says EBUSY */
          sim_set_online (self, d, on);
        }
      break;
    case HOTPLUG_SIM_DEV_CONTAINER:
      if (g_str_equal (attr, "online") && truthy (value))
        {
          gboolean on = value[0] == '1';
          if (!on && sim_unit_busy_children (d->unit))
            break;
          sim_set_online (self, d, on);
        }
      break;
    case HOTPLUG_SIM_DEV_ACPI:
      if (g_str_equal (attr, "eject") && g_str_equal (value, "1") && d->unit && d->unit->acpi == d)
        {
          if (sim_unit_busy_children (d->unit) || d->unit->container->online)
            {
              g_message ("%s: eject refused, still online", d->unit->id);
              break;
            }
          sim_unit_remove (self, d->unit);
        }
      break;
    case HOTPLUG_SIM_DEV_ROOTBUS:
    default:
      break;
    }
}

static const char *
current (HotplugSimDev *d, HotplugSimUnit *slot, const char *attr)
{
  if (slot)
    return g_str_equal (attr, "power") ? (slot->power ? "1" : "0")
         : g_str_equal (attr, "attention") ? (slot->attention == 0 ? "0" : slot->attention == 1 ? "1" : "2")
         : NULL;
  if (d && g_str_equal (attr, "state"))
    return d->online ? "online" : "offline";
  if (d && g_str_equal (attr, "online"))
    return d->online ? "1" : "0";
  return "";    /* triggers read empty */
}

static const char *
attr_dir (HotplugSimDev *d, HotplugSimUnit *slot)
{
  return slot ? slot->path : d ? d->path : "bus/pci";
}

static gboolean
still_there (HotplugSimDev *d, HotplugSimUnit *slot)
{
  return slot ? slot->wd >= 0 : d ? d->present : TRUE;
}

/* The file again shows what the model says, in the kernel's form (a
 * trigger reads empty; online_movable reads online).  The caller holds
 * the file's lock; RAW is what it read. */
static void
show_model (HotplugSimKernel *self, HotplugSimDev *d, HotplugSimUnit *slot, const char *attr,
            const char *raw)
{
  const char *cur;
  g_autofree char *form = NULL;

  if (!still_there (d, slot))
    return;
  cur = current (d, slot, attr);
  form = *cur ? g_strconcat (cur, "\n", NULL) : g_strdup ("");
  replace_locked (self, attr_dir (d, slot), attr, raw, form);
}

static gboolean
action_fire (gpointer data)
{
  Action *a = data;
  HotplugSimKernel *self = a->self;
  const char *dir = attr_dir (a->dev, a->slot);
  g_autofree char *raw = NULL;
  g_autofree char *v = NULL;
  int fd;

  a->source = 0;
  fd = still_there (a->dev, a->slot) ? lock_attr (self, dir, a->attr) : -1;
  if (fd == -2)
    {
      /* a writer holds the file: act once it is done, before its own write */
      a->source = g_timeout_add (2, action_fire, a);
      return G_SOURCE_REMOVE;
    }
  act (self, a->dev, a->slot, a->attr, a->value);
  if (fd >= 0)
    {
      raw = read_locked (fd);
      v = g_strstrip (g_strdup (raw));
      if (g_str_equal (v, a->value))
        show_model (self, a->dev, a->slot, a->attr, raw);
      close (fd);
      if (!g_str_equal (v, a->value))
        {
          /* a newer write landed while this one waited: it may have been
           * taken for a no-op against the model of then, so look again */
          answer (self, a->dev, a->slot, a->attr);
        }
    }
  g_ptr_array_remove (self->pending, a);
  return G_SOURCE_REMOVE;
}

static void
action_free (Action *a)
{
  if (a->source)
    g_source_remove (a->source);
  g_free (a->attr);
  g_free (a->value);
  g_free (a);
}

static gboolean
delay_applies (HotplugSimKernel *self, const char *dir, const char *attr)
{
  g_autofree char *path = NULL;

  if (self->delay_match == NULL)
    return TRUE;
  path = g_build_filename (dir, attr, NULL);
  return strstr (path, self->delay_match) != NULL;
}

/* Answers what a writer left in an attribute, as the kernel answers a
 * write: compare it with the model, act on a change (the uevents go out
 * from there), and make the file read the kernel's form again.  All of it
 * under the file's lock, so that a writer woken by the uevent waits for the
 * answer to be complete before it truncates and writes again; its close then
 * brings us back here.  Whatever the inotify events look like (several
 * closes merged into one, our own writes among them), the file and the
 * model decide: a value equal to the model is no write to answer. */
static void
answer (HotplugSimKernel *self, HotplugSimDev *d, HotplugSimUnit *slot, const char *attr)
{
  const char *dir = attr_dir (d, slot);
  const char *cur = current (d, slot, attr);
  g_autofree char *raw = NULL;
  g_autofree char *v = NULL;
  Action *a;
  int fd;

  if (cur == NULL)
    return;   /* not an attribute we answer */
  if (!slot && d && !g_strv_contains (dev_attrs, attr))
    return;
  if (!slot && !d && !g_strv_contains (bus_attrs, attr))
    return;
  if (!still_there (d, slot))
    return;
  fd = lock_attr (self, dir, attr);
  if (fd == -2)
    retry_later (self, d, slot, attr);
  if (fd < 0)
    return;
  raw = read_locked (fd);
  v = g_strstrip (g_strdup (raw));
  if (g_str_equal (v, cur))
    {
      /* our own write, or nothing changes: the kernel sends nothing */
      show_model (self, d, slot, attr, raw);
      close (fd);
      return;
    }

  if (self->delay_ms == 0 || !delay_applies (self, dir, attr))
    {
      act (self, d, slot, attr, v);
      show_model (self, d, slot, attr, raw);
      close (fd);
      return;
    }

  /* the kernel is slow: the file shows the write until it is acted on */
  for (guint i = 0; i < self->pending->len; i++)
    {
      a = g_ptr_array_index (self->pending, i);
      if (a->dev == d && a->slot == slot && g_str_equal (a->attr, attr) && g_str_equal (a->value, v))
        {
          close (fd);
          return;   /* the same write seen twice */
        }
    }
  if (*cur == '\0')
    replace_locked (self, dir, attr, raw, "");   /* a trigger fires once */
  close (fd);
  a = g_new0 (Action, 1);
  a->self = self;
  a->dev = d;
  a->slot = slot;
  a->attr = g_strdup (attr);
  a->value = g_steal_pointer (&v);
  g_ptr_array_add (self->pending, a);
  a->source = g_timeout_add (self->delay_ms, action_fire, a);
}

static void
rescan_all (HotplugSimKernel *self)
{
  const char *attrs[] = { "online", "state", "eject", "remove", "rescan", "power", "attention", "bind",
                          "unbind", "drivers_probe" };
  GHashTableIter it;
  gpointer value;
  g_autoptr(GPtrArray) ws = g_ptr_array_new ();

  g_hash_table_iter_init (&it, self->watches);
  while (g_hash_table_iter_next (&it, NULL, &value))
    g_ptr_array_add (ws, value);
  for (guint i = 0; i < ws->len; i++)
    {
      HotplugSimWatch *w = g_ptr_array_index (ws, i);
      HotplugSimDev *d = w->dev;
      HotplugSimUnit *s = w->slot;
      for (guint j = 0; j < G_N_ELEMENTS (attrs); j++)
        if ((d && d->present) || (s && s->wd >= 0) || (!d && !s))
          answer (self, d, s, attrs[j]);
    }
}

static gboolean
on_inotify (int fd, GIOCondition cond, gpointer data)
{
  HotplugSimKernel *self = data;
  char buf[64 * 1024] __attribute__ ((aligned (__alignof__ (struct inotify_event))));
  ssize_t n;
  gboolean overflow = FALSE;

  while ((n = read (fd, buf, sizeof buf)) > 0)
    {
      for (char *p = buf; p < buf + n;)
        {
          const struct inotify_event *ev = (const struct inotify_event *) (gpointer) p;
          HotplugSimWatch *w;

          p += sizeof *ev + ev->len;
          if (ev->mask & IN_Q_OVERFLOW)
            {
              overflow = TRUE;
              continue;
            }
          if (ev->mask & IN_IGNORED)
            {
              g_hash_table_remove (self->watches, GINT_TO_POINTER (ev->wd));
              continue;
            }
          if (!(ev->mask & IN_CLOSE_WRITE) || ev->len == 0)
            continue;
          w = g_hash_table_lookup (self->watches, GINT_TO_POINTER (ev->wd));
          if (w)
            answer (self, w->dev, w->slot, ev->name);
        }
    }
  if (overflow)
    {
      g_message ("inotify queue overflowed: rescanning every control file");
      rescan_all (self);
    }
  return G_SOURCE_CONTINUE;
}

/* ---------------------------------------------------------------------- */
/* build                                                                   */

/* What is there at start-up, parents first; PCI devices come bound to
 * their drivers (no uevents: nobody listens yet). */
static void
build_devices (HotplugSimKernel *self)
{
  HotplugSimMachine *m = self->m;

  for (guint i = 0; i < m->devs->len; i++)
    {
      HotplugSimDev *d = g_ptr_array_index (m->devs, i);
      if (d->unit && !d->unit->present)
        continue;
      if (d->kind == HOTPLUG_SIM_DEV_PCI && !sim_pci_enumerable (d))
        continue;
      if (d->kind == HOTPLUG_SIM_DEV_PCIBUS && !d->parent->present)
        continue;
      if (d->kind == HOTPLUG_SIM_DEV_ROOTBUS && !sim_domain_shown (self, d->domain))
        continue;   /* a shared domain that the peer owns */
      sim_dev_create (self, d);
    }
  for (guint i = 0; i < m->devs->len; i++)
    {
      HotplugSimDev *d = g_ptr_array_index (m->devs, i);
      if (d->kind == HOTPLUG_SIM_DEV_PCI && d->present)
        sim_pci_bind (self, d, FALSE);
    }
}

/* The fixed directories: devices/system/..., the buses, firmware/acpi. */
static gboolean
build_skeleton (HotplugSimKernel *self, GError **error)
{
  const char *dirs[] = {
    "", "devices", "devices/system", "devices/system/cpu", "devices/system/memory",
    "devices/system/node", "devices/system/container", "bus", "class", "firmware",
    "firmware/acpi", "firmware/acpi/hotplug", "firmware/acpi/hotplug/container",
    "firmware/acpi/hotplug/memory", "class/pci_bus", "bus/pci/slots",
  };
  const char *buses[] = { "cpu", "memory", "node", "container", "acpi", "pci" };
  char p[PATH_MAX];

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      if (i == G_N_ELEMENTS (dirs) - 1)
        for (guint j = 0; j < G_N_ELEMENTS (buses); j++)
          {
            g_autofree char *b = g_strdup_printf ("bus/%s", buses[j]);
            g_autofree char *bd = g_strdup_printf ("bus/%s/devices", buses[j]);
            g_autofree char *dr = g_strdup_printf ("bus/%s/drivers", buses[j]);
            sim_mkdir_rel (self, b);
            sim_mkdir_rel (self, bd);
            sim_mkdir_rel (self, dr);
            sim_put (self, b, "uevent", "", 0200);
          }
      sim_mkdir_rel (self, dirs[i]);
    }
  sim_sys_path (self, p, "", NULL);
  if (!g_file_test (p, G_FILE_TEST_IS_DIR))
    return g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot create %s", p), FALSE;
  return TRUE;
}

/* The global attributes: ACPI hotplug, the memory block size and policy,
 * the CPU and memory roots, kdump, PCI rescan. */
static void
build_globals (HotplugSimKernel *self)
{
  HotplugSimMachine *m = self->m;
  g_autofree char *auto_online = g_strconcat (m->auto_online, "\n", NULL);

  sim_put (self, "firmware/acpi/hotplug/container", "enabled", "1\n", 0644);
  sim_put (self, "firmware/acpi/hotplug/memory", "enabled", "1\n", 0644);
  sim_putf (self, "devices/system/memory", "block_size_bytes", "%" G_GINT64_MODIFIER "x\n", m->block_size);
  sim_put (self, "devices/system/memory", "auto_online_blocks", auto_online, 0644);
  /* the subsystems' root devices */
  sim_put (self, "devices/system/cpu", "uevent", "", 0644);
  sim_put (self, "devices/system/cpu", "modalias", SIM_CPU_MODALIAS "\n", 0444);
  sim_put (self, "devices/system/cpu", "isolated", "\n", 0444);
  sim_putf (self, "devices/system/cpu", "kernel_max", "%u\n", MAX (m->ncpus, 8192u) - 1);
  sim_put (self, "devices/system/memory", "uevent", "", 0644);
  sim_put (self, "devices/system/node", "uevent", "", 0644);
  sim_mkdir_rel (self, SIM_CPU_DRIVER);
  sim_put (self, SIM_CPU_DRIVER, "uevent", "", 0200);
  if (m->crash_loaded >= 0)
    {
      sim_mkdir_rel (self, "kernel");
      sim_putf (self, "kernel", "kexec_crash_loaded", "%d\n", m->crash_loaded);
    }
  if (m->crash_hotplug >= 0)
    {
      sim_putf (self, "devices/system/cpu", "crash_hotplug", "%d\n", m->crash_hotplug);
      sim_putf (self, "devices/system/memory", "crash_hotplug", "%d\n", m->crash_hotplug);
    }
  sim_put_rw (self, "bus/pci", "rescan", "", "accept=1\nsync\n", 0200);
  sim_put_rw (self, "bus/pci", "drivers_probe", "", "accept=\n", 0200);
}

/* The NUMA nodes and the lists of those online and possible. */
static void
build_nodes (HotplugSimKernel *self)
{
  HotplugSimMachine *m = self->m;
  g_autoptr(GArray) nodes = g_array_copy (m->nodes);
  g_autofree char *l = hotplug_list_format_array (nodes);

  for (guint i = 0; i < m->nodes->len; i++)
    {
      guint n = g_array_index (m->nodes, guint, i);
      g_autofree char *p = g_strdup_printf ("devices/system/node/node%u", n);
      g_autofree char *name = g_strdup_printf ("node%u", n);
      sim_mkdir_rel (self, p);
      sim_link_rel (self, p, "subsystem", "bus/node");
      sim_link_rel (self, "bus/node/devices", name, p);
      sim_put (self, p, "uevent", "", 0644);
    }
  sim_putf (self, "devices/system/node", "online", "%s\n", l);
  sim_putf (self, "devices/system/node", "possible", "%s\n", l);
}

gboolean
hotplug_sim_kernel_build (HotplugSimKernel *self, GError **error)
{
  if (!sim_domain_init (self, error) || !build_skeleton (self, error))
    return FALSE;
  build_globals (self);
  build_nodes (self);
  build_devices (self);
  sim_slots_sync (self);
  sim_update_cpu_lists (self);
  sim_update_all_rules (self);
  sim_pci_changed (self);
  return TRUE;
}

static void
on_fabric (guint domain, gpointer data)
{
  sim_domain_sync (data, domain);
}

gboolean
hotplug_sim_kernel_start (HotplugSimKernel *self, GError **error)
{
  self->ifd_source = g_unix_fd_add (self->ifd, G_IO_IN, on_inotify, self);
  {
    char p[PATH_MAX];
    HotplugSimWatch *w = g_new0 (HotplugSimWatch, 1);
    int wd;
    sim_sys_path (self, p, "bus/pci", NULL);
    wd = inotify_add_watch (self->ifd, p, IN_CLOSE_WRITE);
    if (wd < 0)
      {
        g_free (w);
        return g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                            "cannot watch %s: %s", p, g_strerror (errno)), FALSE;
      }
    g_hash_table_replace (self->watches, GINT_TO_POINTER (wd), w);
  }
  if (self->fabric && !hotplug_sim_fabric_watch (self->fabric, on_fabric, self, error))
    return FALSE;
  hotplug_sim_uevent_refresh (self->uevent);
  return TRUE;
}

gboolean
hotplug_sim_kernel_set_fabric (HotplugSimKernel *self, const char *dir, GError **error)
{
  if (self->m->name == NULL)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "%s has no [machine] name: a host on a fabric needs one", self->m->file), FALSE;
  self->fabric = hotplug_sim_fabric_new (dir, self->m->name, error);
  return self->fabric != NULL;
}

/* ---------------------------------------------------------------------- */

static void
hotplug_sim_kernel_finalize (GObject *object)
{
  HotplugSimKernel *self = HOTPLUG_SIM_KERNEL (object);

  g_ptr_array_unref (self->pending);
  g_ptr_array_unref (self->retry);
  if (self->retry_source)
    g_source_remove (self->retry_source);
  if (self->ifd_source)
    g_source_remove (self->ifd_source);
  if (self->ifd >= 0)
    close (self->ifd);
  g_hash_table_unref (self->watches);
  g_clear_object (&self->uevent);
  g_clear_pointer (&self->storage, hotplug_sim_storage_free);
  sim_domain_leave (self);
  g_clear_pointer (&self->fabric, hotplug_sim_fabric_free);
  hotplug_sim_machine_free (self->m);
  g_free (self->root);
  g_free (self->sys);
  g_free (self->delay_match);
  G_OBJECT_CLASS (hotplug_sim_kernel_parent_class)->finalize (object);
}

static void
hotplug_sim_kernel_class_init (HotplugSimKernelClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hotplug_sim_kernel_finalize;
}

static void
hotplug_sim_kernel_init (HotplugSimKernel *self)
{
  self->watches = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) action_free);
  self->retry = g_ptr_array_new_with_free_func ((GDestroyNotify) retry_free);
  self->cur_dfd = -1;
  self->ifd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
  if (self->ifd < 0)
    g_warning ("inotify: %s", g_strerror (errno));
}

HotplugSimKernel *
hotplug_sim_kernel_new (HotplugSimMachine *machine, const char *root)
{
  HotplugSimKernel *self = g_object_new (HOTPLUG_TYPE_SIM_KERNEL, NULL);

  self->m = machine;
  self->root = g_strdup (root);
  self->sys = g_build_filename (root, "sys", NULL);
  self->storage = hotplug_sim_storage_new (machine, self->sys);
  self->uevent = hotplug_sim_uevent_new (root);
  self->delay_ms = machine->delay_ms;
  return self;
}

