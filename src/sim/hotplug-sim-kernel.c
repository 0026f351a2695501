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

#include "hotplug-sim-kernel.h"
#include "hotplug-sim-storage.h"
#include "hotplug-sim-uevent.h"
#include "hotplug-util.h"

struct _HotplugSimKernel {
  GObject            parent_instance;
  HotplugSimMachine *m;
  char              *root;       /* testbed root */
  char              *sys;        /* root/sys */
  HotplugSimUevent  *uevent;
  int                ifd;        /* inotify */
  guint              ifd_source;
  GHashTable        *watches;    /* wd -> Watch* */
  guint              delay_ms;
  char              *delay_match; /* the delay applies to attribute paths with this in them; NULL: all */
  GPtrArray         *pending;    /* Action* waiting for their delay */
  GPtrArray         *retry;      /* Retry*: files a writer held when we looked */
  guint              retry_source;
  /* the write being answered: answer() holds its file and writes the
   * kernel's form back itself (see settle()) */
  const char        *acting_dir;
  const char        *acting_attr;
  HotplugSimStorage *storage;    /* disks and interfaces of PCI devices */
};

G_DEFINE_TYPE (HotplugSimKernel, hotplug_sim_kernel, G_TYPE_OBJECT)

typedef struct {
  HotplugSimDev  *dev;    /* a device directory, or */
  HotplugSimUnit *slot;   /* a slot directory, or neither: /sys/bus/pci */
} Watch;

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

static void action_free (Action *a);
static void retry_free (Retry *r);

/* ---------------------------------------------------------------------- */
/* files                                                                   */

static void
sys_path (HotplugSimKernel *self, char *buf, const char *rel, const char *name)
{
  if (name)
    snprintf (buf, PATH_MAX, "%s/%s/%s", self->sys, rel, name);
  else
    snprintf (buf, PATH_MAX, "%s/%s", self->sys, rel);
}

/* The device being created: its directory fd makes every attribute a
 * short relative lookup (a large machine creates ~400,000 files). */
static int   cur_dfd = -1;
static const char *cur_dir;

static int
open_attr (HotplugSimKernel *self, const char *dir, const char *name, int flags, mode_t mode)
{
  char p[PATH_MAX];

  if (cur_dfd >= 0 && dir == cur_dir)
    return openat (cur_dfd, name, flags, mode);
  sys_path (self, p, dir, name);
  return open (p, flags, mode);
}

static void
put (HotplugSimKernel *self, const char *dir, const char *name, const char *value, mode_t mode)
{
  char p[PATH_MAX];
  gsize len = strlen (value);
  int fd;

  sys_path (self, p, dir, name);
  fd = open_attr (self, dir, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    {
      g_warning ("cannot write %s: %s", p, g_strerror (errno));
      return;
    }
  if (len && write (fd, value, len) != (ssize_t) len)
    g_warning ("cannot write %s: %s", p, g_strerror (errno));
  close (fd);
}

static void G_GNUC_PRINTF (4, 5)
putf (HotplugSimKernel *self, const char *dir, const char *name, const char *fmt, ...)
{
  g_autofree char *v = NULL;
  va_list ap;

  va_start (ap, fmt);
  v = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  put (self, dir, name, v, 0644);
}

/* Writable attribute: the file plus the rules the preload shim enforces. */
static void
put_rw (HotplugSimKernel *self, const char *dir, const char *name, const char *value,
        const char *rules, mode_t mode)
{
  char p[PATH_MAX];

  gsize len = strlen (value);
  int fd;

  sys_path (self, p, dir, name);
  fd = open_attr (self, dir, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    {
      g_warning ("cannot write %s: %s", p, g_strerror (errno));
      return;
    }
  if ((len && write (fd, value, len) != (ssize_t) len) ||
      fsetxattr (fd, HOTPLUG_SIM_XATTR_RULES, rules, strlen (rules), 0) < 0)
    g_warning ("cannot write %s: %s", p, g_strerror (errno));
  close (fd);
}

static void
set_rules (HotplugSimKernel *self, const char *dir, const char *name, const char *rules)
{
  char p[PATH_MAX];

  sys_path (self, p, dir, name);
  if (setxattr (p, HOTPLUG_SIM_XATTR_RULES, rules, strlen (rules), 0) < 0 && errno != ENOENT)
    g_warning ("cannot set the write rules of %s: %s", p, g_strerror (errno));
}

static char *
get (HotplugSimKernel *self, const char *dir, const char *name)
{
  char p[PATH_MAX];
  char buf[256];
  ssize_t n;
  int fd;

  sys_path (self, p, dir, name);
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

static void
mkdir_rel (HotplugSimKernel *self, const char *rel)
{
  char p[PATH_MAX];

  sys_path (self, p, rel, NULL);
  if (mkdir (p, 0755) < 0 && errno != EEXIST)
    g_warning ("cannot create %s: %s", p, g_strerror (errno));
}

/* A relative symlink DIR/NAME -> TARGET (both relative to the sysfs root),
 * so that it resolves inside the testbed whoever looks at it. */
static void
link_rel (HotplugSimKernel *self, const char *dir, const char *name, const char *target)
{
  char p[PATH_MAX];
  char t[PATH_MAX];
  gsize o = 0;

  for (const char *c = dir; *c; c++)
    if (*c == '/')
      o += snprintf (t + o, sizeof t - o, "../");
  snprintf (t + o, sizeof t - o, "../%s", target);
  if (cur_dfd >= 0 && dir == cur_dir)
    {
      if (symlinkat (t, cur_dfd, name) == 0)
        return;
      unlinkat (cur_dfd, name, 0);
      if (symlinkat (t, cur_dfd, name) == 0)
        return;
    }
  sys_path (self, p, dir, name);
  if (symlink (t, p) == 0)
    return;
  unlink (p);
  if (symlink (t, p) < 0)
    g_warning ("cannot link %s: %s", p, g_strerror (errno));
}

static void
unlink_rel (HotplugSimKernel *self, const char *dir, const char *name)
{
  char p[PATH_MAX];

  sys_path (self, p, dir, name);
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

static void
rm_rel (HotplugSimKernel *self, const char *rel)
{
  char p[PATH_MAX];

  sys_path (self, p, rel, NULL);
  rm_tree_at (AT_FDCWD, p);
}

/* ---------------------------------------------------------------------- */
/* watches                                                                 */

static void
watch_dir (HotplugSimKernel *self, const char *rel, HotplugSimDev *dev, HotplugSimUnit *slot)
{
  char p[PATH_MAX];
  Watch *w;
  int wd;

  if (self->ifd < 0)
    return;
  sys_path (self, p, rel, NULL);
  wd = inotify_add_watch (self->ifd, p, IN_CLOSE_WRITE | IN_ONLYDIR);
  if (wd < 0)
    {
      g_warning ("cannot watch %s: %s", p, g_strerror (errno));
      return;
    }
  w = g_new0 (Watch, 1);
  w->dev = dev;
  w->slot = slot;
  g_hash_table_replace (self->watches, GINT_TO_POINTER (wd), w);
  if (dev)
    dev->wd = wd;
  if (slot)
    slot->wd = wd;
}

/* ---------------------------------------------------------------------- */
/* the model                                                               */

static gboolean
unit_busy_children (HotplugSimUnit *u)
{
  for (guint i = 0; i < u->devs->len; i++)
    {
      HotplugSimDev *d = g_ptr_array_index (u->devs, i);
      if (d->present && d->online &&
          (d->kind == HOTPLUG_SIM_DEV_CPU || d->kind == HOTPLUG_SIM_DEV_MEMORY))
        return TRUE;
    }
  return FALSE;
}

/* Arms the refusals a real kernel would give right now. */
static void
update_rules (HotplugSimKernel *self, HotplugSimUnit *u)
{
  gboolean busy;

  if (u->container == NULL || !u->present)
    return;
  busy = unit_busy_children (u);
  set_rules (self, u->container->path, "online", busy ? "accept=0 1\nrefuse=16 0\n" : "accept=0 1\n");
  set_rules (self, u->acpi->path, "eject",
             busy || u->container->online ? "accept=1\nrefuse=16 1\n" : "accept=1\n");
}

static void
update_all_rules (HotplugSimKernel *self)
{
  for (guint i = 0; i < self->m->units->len; i++)
    update_rules (self, g_ptr_array_index (self->m->units, i));
}

static int
cmp_uint (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;

  return x < y ? -1 : x > y;
}

static char *
list_of (HotplugSimKernel *self, gboolean (*pred) (HotplugSimDev *, gpointer), gpointer data)
{
  g_autoptr(GArray) a = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; i < self->m->devs->len; i++)
    {
      HotplugSimDev *d = g_ptr_array_index (self->m->devs, i);
      if (d->kind == HOTPLUG_SIM_DEV_CPU && pred (d, data))
        g_array_append_val (a, d->index);
    }
  g_array_sort (a, cmp_uint);
  return hotplug_list_format_array (a);
}

static gboolean pred_online (HotplugSimDev *d, gpointer x) { return d->present && d->online; }
static gboolean pred_offline (HotplugSimDev *d, gpointer x) { return !(d->present && d->online); }
static gboolean pred_present (HotplugSimDev *d, gpointer x) { return d->present; }
static gboolean pred_possible (HotplugSimDev *d, gpointer x) { return TRUE; }
static gboolean pred_node (HotplugSimDev *d, gpointer x) { return d->present && d->online && d->node == GPOINTER_TO_UINT (x); }

/* The files the kernel derives from the CPU states. */
static void
update_cpu_lists (HotplugSimKernel *self)
{
  struct { const char *name; gboolean (*pred) (HotplugSimDev *, gpointer); } lists[] = {
    { "online", pred_online }, { "offline", pred_offline },
    { "present", pred_present }, { "possible", pred_possible },
  };

  for (guint i = 0; i < G_N_ELEMENTS (lists); i++)
    {
      g_autofree char *v = list_of (self, lists[i].pred, NULL);
      putf (self, "devices/system/cpu", lists[i].name, "%s\n", v);
    }
  for (guint i = 0; i < self->m->nodes->len; i++)
    {
      guint n = g_array_index (self->m->nodes, guint, i);
      g_autofree char *dir = g_strdup_printf ("devices/system/node/node%u", n);
      g_autofree char *v = list_of (self, pred_node, GUINT_TO_POINTER (n));
      putf (self, dir, "cpulist", "%s\n", v);
    }
}

static const char *
dev_props (HotplugSimDev *d, char *buf, gsize size)
{
  buf[0] = '\0';
  switch (d->kind)
    {
    case HOTPLUG_SIM_DEV_ACPI:
      snprintf (buf, size, "MODALIAS=acpi:%s:\n", d->hid);
      break;
    case HOTPLUG_SIM_DEV_CPU:
      snprintf (buf, size, "DRIVER=processor\nMODALIAS=cpu:type:x86,ven0000fam0006mod0055:feature:\n");
      break;
    case HOTPLUG_SIM_DEV_PCI:
      snprintf (buf, size,
                "PCI_CLASS=%X\nPCI_ID=%04X:%04X\nPCI_SUBSYS_ID=%04X:%04X\nPCI_SLOT_NAME=%s\n"
                "MODALIAS=pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n",
                d->klass, d->vendor, d->device, d->svendor, d->sdevice, d->name,
                d->vendor, d->device, d->svendor, d->sdevice,
                (d->klass >> 16) & 0xff, (d->klass >> 8) & 0xff, d->klass & 0xff);
      break;
    case HOTPLUG_SIM_DEV_CONTAINER:
    case HOTPLUG_SIM_DEV_MEMORY:
    case HOTPLUG_SIM_DEV_ROOTBUS:
    default:
      break;
    }
  return buf;
}

static void
send (HotplugSimKernel *self, HotplugSimDev *d, const char *action, const char *extra)
{
  char props[512];
  g_autofree char *all = NULL;

  if (d->subsystem == NULL)
    return;   /* the kernel sends nothing for a device without a bus or class */
  dev_props (d, props, sizeof props);
  all = g_strconcat (props, extra ? extra : "", NULL);
  {
    g_autofree char *devpath = g_strconcat ("/", d->path, NULL);
    hotplug_sim_uevent_send (self->uevent, action, devpath, d->subsystem, NULL, all);
  }
}

static void
pci_config (HotplugSimKernel *self, HotplugSimDev *d)
{
  guint8 c[256] = { 0 };
  char p[PATH_MAX];
  int fd;

  c[0] = d->vendor & 0xff;
  c[1] = d->vendor >> 8;
  c[2] = d->device & 0xff;
  c[3] = d->device >> 8;
  c[4] = 0x06;                       /* memory space, bus master */
  c[9] = d->klass & 0xff;
  c[10] = (d->klass >> 8) & 0xff;
  c[11] = (d->klass >> 16) & 0xff;
  if (d->secondary >= 0)
    {
      c[0x0e] = 0x01;
      c[0x18] = d->bus;
      c[0x19] = d->secondary;
      c[0x1a] = d->subordinate;
    }
  else
    {
      c[0x2c] = d->svendor & 0xff;
      c[0x2d] = d->svendor >> 8;
      c[0x2e] = d->sdevice & 0xff;
      c[0x2f] = d->sdevice >> 8;
    }
  sys_path (self, p, d->path, "config");
  fd = open (p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write (fd, c, sizeof c) != sizeof c)
    g_warning ("cannot write %s", p);
  if (fd >= 0)
    close (fd);
}

static const char *
phys_name (HotplugSimDev *fw, HotplugSimDev *d, char *buf)
{
  guint i;

  for (i = 0; i < fw->phys->len; i++)
    if (g_ptr_array_index (fw->phys, i) == d)
      break;
  if (i == 0)
    return "physical_node";
  sprintf (buf, "physical_node%u", i);
  return buf;
}

/* Creates the device's directory, attributes and links. */
static void
dev_create (HotplugSimKernel *self, HotplugSimDev *d)
{
  char buf[512];
  const char *p = d->path;
  gboolean watch = FALSE;

  mkdir_rel (self, p);
  {
    char full[PATH_MAX];
    sys_path (self, full, p, NULL);
    cur_dfd = open (full, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cur_dir = p;
  }
  if (d->subsystem)
    {
      g_autofree char *bus = g_strdup_printf ("bus/%s", d->subsystem);
      g_autofree char *busdev = g_strdup_printf ("bus/%s/devices", d->subsystem);
      link_rel (self, p, "subsystem", bus);
      link_rel (self, busdev, d->name, p);
    }
  put (self, p, "uevent", dev_props (d, buf, sizeof buf), 0644);
  if (d->fw && d->fw->present)
    {
      char n[32];
      link_rel (self, p, "firmware_node", d->fw->path);
      link_rel (self, d->fw->path, phys_name (d->fw, d, n), p);
    }

  switch (d->kind)
    {
    case HOTPLUG_SIM_DEV_ACPI:
      put (self, p, "hid", d->hid, 0444);
      put (self, p, "path", d->acpi_path, 0444);
      if (d->unit)
        putf (self, p, "uid", "%u\n", d->uid);
      put (self, p, "status", "15\n", 0444);
      if (d->unit && d->unit->acpi == d)
        {
          put_rw (self, p, "eject", "", "accept=1\n", 0200);
          watch = TRUE;
        }
      break;
    case HOTPLUG_SIM_DEV_CONTAINER:
      put_rw (self, p, "online", d->online ? "1\n" : "0\n", "accept=0 1\n", 0644);
      watch = TRUE;
      break;
    case HOTPLUG_SIM_DEV_CPU:
      {
        g_autofree char *node = g_strdup_printf ("devices/system/node/node%u", d->node);
        char n[32];
        if (!d->fixed)
          {
            put_rw (self, p, "online", d->online ? "1\n" : "0\n", "accept=0 1\n", 0644);
            watch = TRUE;
          }
        sprintf (n, "node%u", d->node);
        link_rel (self, p, n, node);
        link_rel (self, node, d->name, p);
      }
      break;
    case HOTPLUG_SIM_DEV_MEMORY:
      {
        g_autofree char *node = g_strdup_printf ("devices/system/node/node%u", d->node);
        gboolean pinned = g_str_equal (d->zone, "none");
        char n[32];
        put_rw (self, p, "state", d->online ? "online\n" : "offline\n",
                pinned ? "accept=online online_kernel online_movable offline\nrefuse=16 offline\n"
                       : "accept=online online_kernel online_movable offline\n", 0644);
        put_rw (self, p, "online", d->online ? "1\n" : "0\n",
                pinned ? "accept=0 1\nrefuse=16 0\n" : "accept=0 1\n", 0644);
        putf (self, p, "phys_index", "%08x\n", d->index);
        put (self, p, "phys_device", "0\n", 0444);
        put (self, p, "removable", pinned ? "0\n" : "1\n", 0444);
        putf (self, p, "valid_zones", "%s\n", d->zone);
        sprintf (n, "node%u", d->node);
        link_rel (self, p, n, node);
        link_rel (self, node, d->name, p);
        watch = TRUE;
      }
      break;
    case HOTPLUG_SIM_DEV_ROOTBUS:
      break;
    case HOTPLUG_SIM_DEV_PCI:
      putf (self, p, "vendor", "0x%04x\n", d->vendor);
      putf (self, p, "device", "0x%04x\n", d->device);
      putf (self, p, "subsystem_vendor", "0x%04x\n", d->svendor);
      putf (self, p, "subsystem_device", "0x%04x\n", d->sdevice);
      putf (self, p, "class", "0x%06x\n", d->klass);
      putf (self, p, "irq", "%u\n", 16 + (d->devfn & 7));
      putf (self, p, "numa_node", "%u\n", d->node);
      put (self, p, "enable", "1\n", 0644);
      pci_config (self, d);
      if (d->secondary >= 0)
        {
          putf (self, p, "secondary_bus_number", "%d\n", d->secondary);
          putf (self, p, "subordinate_bus_number", "%d\n", d->subordinate);
        }
      put_rw (self, p, "remove", "", "accept=1\n", 0200);
      put_rw (self, p, "rescan", "", "accept=1\n", 0200);
      watch = TRUE;
      break;
    default:
      break;
    }
  if (cur_dfd >= 0)
    close (cur_dfd);
  cur_dfd = -1;
  cur_dir = NULL;
  if (d->kind == HOTPLUG_SIM_DEV_PCI)
    hotplug_sim_storage_create (self->storage, d);
  d->present = TRUE;
  if (watch)
    watch_dir (self, p, d, NULL);
}

static void
dev_destroy (HotplugSimKernel *self, HotplugSimDev *d)
{
  if (!d->present)
    return;
  d->present = FALSE;
  if (d->wd >= 0)
    {
      g_hash_table_remove (self->watches, GINT_TO_POINTER (d->wd));
      inotify_rm_watch (self->ifd, d->wd);
      d->wd = -1;
    }
  if (d->subsystem)
    {
      g_autofree char *busdev = g_strdup_printf ("bus/%s/devices", d->subsystem);
      unlink_rel (self, busdev, d->name);
    }
  if (d->kind == HOTPLUG_SIM_DEV_CPU || d->kind == HOTPLUG_SIM_DEV_MEMORY)
    {
      g_autofree char *node = g_strdup_printf ("devices/system/node/node%u", d->node);
      unlink_rel (self, node, d->name);
    }
  if (d->fw && d->fw->present)
    {
      char n[32];
      unlink_rel (self, d->fw->path, phys_name (d->fw, d, n));
    }
  if (d->kind == HOTPLUG_SIM_DEV_PCI)
    hotplug_sim_storage_destroy (self->storage, d);
  rm_rel (self, d->path);
}

/* ---------------------------------------------------------------------- */
/* slots                                                                   */

static void
slot_sync (HotplugSimKernel *self, HotplugSimUnit *s)
{
  gboolean want = s->upstream && s->upstream->present;
  char v[32];

  if (want && s->wd < 0)
    {
      mkdir_rel (self, s->path);
      snprintf (v, sizeof v, "%04x:%02x\n", s->domain, s->bus);
      put (self, s->path, "address", v, 0444);
      if (!s->hotplug)
        {
          /* listed by the firmware, driven by no hotplug controller */
          watch_dir (self, s->path, NULL, s);
          return;
        }
      put_rw (self, s->path, "power", s->power ? "1\n" : "0\n", "accept=0 1\n", 0644);
      snprintf (v, sizeof v, "%u\n", s->attention);
      put_rw (self, s->path, "attention", v, "accept=0 1 2\n", 0644);
      snprintf (v, sizeof v, "%u\n", s->latch);
      put (self, s->path, "latch", v, 0444);
      put (self, s->path, "adapter", s->adapter ? "1\n" : "0\n", 0444);
      watch_dir (self, s->path, NULL, s);
    }
  else if (!want && s->wd >= 0)
    {
      g_hash_table_remove (self->watches, GINT_TO_POINTER (s->wd));
      inotify_rm_watch (self->ifd, s->wd);
      s->wd = -1;
      rm_rel (self, s->path);
    }
}

static void
slots_sync (HotplugSimKernel *self)
{
  for (guint i = 0; i < self->m->units->len; i++)
    {
      HotplugSimUnit *u = g_ptr_array_index (self->m->units, i);
      if (u->kind == HOTPLUG_SIM_UNIT_SLOT)
        slot_sync (self, u);
    }
}

static gboolean
pci_enumerable (HotplugSimDev *d)
{
  if (!d->physical || !d->unit->present || (d->parent && !d->parent->present))
    return FALSE;
  if (d->slot && (!d->slot->power || !d->slot->adapter))
    return FALSE;
  return TRUE;
}

static gboolean
below (HotplugSimDev *d, HotplugSimDev *top)
{
  for (; d; d = d->parent)
    if (d == top)
      return TRUE;
  return FALSE;
}

/* Adds every missing PCI device below TOP (NULL: everywhere), parents first. */
static void
pci_rescan (HotplugSimKernel *self, HotplugSimDev *top)
{
  for (guint i = 0; i < self->m->devs->len; i++)
    {
      HotplugSimDev *d = g_ptr_array_index (self->m->devs, i);
      if (d->kind != HOTPLUG_SIM_DEV_PCI || d->present || !pci_enumerable (d))
        continue;
      if (top && !below (d, top))
        continue;
      dev_create (self, d);
      send (self, d, "add", NULL);
    }
  slots_sync (self);
}

/* Removes TOP and everything below it (or every PCI device of LIST when TOP
 * is NULL), children first. */
static void
pci_remove (HotplugSimKernel *self, HotplugSimDev *top, GPtrArray *list)
{
  GPtrArray *devs = list ? list : self->m->devs;

  for (guint i = devs->len; i > 0; i--)
    {
      HotplugSimDev *d = g_ptr_array_index (devs, i - 1);
      if (d->kind != HOTPLUG_SIM_DEV_PCI || !d->present)
        continue;
      if (top && !below (d, top))
        continue;
      send (self, d, "remove", NULL);
      dev_destroy (self, d);
    }
  slots_sync (self);
}

/* ---------------------------------------------------------------------- */
/* whole units                                                             */

/* Everything below the container and the container itself, in the kernel's
 * order: PCI bottom-up, CPUs, memory, ACPI children, container, ACPI node. */
static void
unit_remove (HotplugSimKernel *self, HotplugSimUnit *u)
{
  HotplugSimDevKind order[] = { HOTPLUG_SIM_DEV_PCI, HOTPLUG_SIM_DEV_ROOTBUS, HOTPLUG_SIM_DEV_CPU,
                                HOTPLUG_SIM_DEV_MEMORY, HOTPLUG_SIM_DEV_ACPI, HOTPLUG_SIM_DEV_CONTAINER };

  hotplug_sim_uevent_refresh (self->uevent);
  for (guint k = 0; k < G_N_ELEMENTS (order); k++)
    {
      for (guint i = u->devs->len; i > 0; i--)
        {
          HotplugSimDev *d = g_ptr_array_index (u->devs, i - 1);
          if (d->kind != order[k] || !d->present || d == u->acpi)
            continue;
          send (self, d, "remove", NULL);
          dev_destroy (self, d);
        }
      if (order[k] == HOTPLUG_SIM_DEV_ROOTBUS)
        slots_sync (self);
    }
  send (self, u->acpi, "remove", NULL);
  dev_destroy (self, u->acpi);
  u->present = FALSE;
  update_cpu_lists (self);
}

static void
unit_insert (HotplugSimKernel *self, HotplugSimUnit *u)
{
  g_autofree char *autoon = get (self, "devices/system/memory", "auto_online_blocks");
  gboolean memon = autoon && !g_str_equal (autoon, "offline");
  HotplugSimDevKind order[] = { HOTPLUG_SIM_DEV_ACPI, HOTPLUG_SIM_DEV_CONTAINER, HOTPLUG_SIM_DEV_CPU,
                                HOTPLUG_SIM_DEV_MEMORY, HOTPLUG_SIM_DEV_ROOTBUS };

  hotplug_sim_uevent_refresh (self->uevent);
  u->present = TRUE;
  for (guint k = 0; k < G_N_ELEMENTS (order); k++)
    for (guint i = 0; i < u->devs->len; i++)
      {
        HotplugSimDev *d = g_ptr_array_index (u->devs, i);
        if (d->kind != order[k] || d->present)
          continue;
        if (d->kind == HOTPLUG_SIM_DEV_CPU)
          d->online = d->fixed;
        if (d->kind == HOTPLUG_SIM_DEV_MEMORY)
          d->online = memon;
        if (d->kind == HOTPLUG_SIM_DEV_CONTAINER)
          d->online = TRUE;
        dev_create (self, d);
        send (self, d, "add", NULL);
        if (d->kind == HOTPLUG_SIM_DEV_MEMORY && memon)
          send (self, d, "online", NULL);
      }
  pci_rescan (self, NULL);
  update_cpu_lists (self);
  update_rules (self, u);
  if (u->container)
    send (self, u->container, "online", NULL);
}

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

  sys_path (self, p, dir, name);
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
  sys_path (self, p, dir, name);
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
static void
settle (HotplugSimKernel *self, HotplugSimDev *d, const char *name, const char *value)
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

static void
set_online (HotplugSimKernel *self, HotplugSimDev *d, gboolean on)
{
  if (d->online == on)
    return;
  d->online = on;
  switch (d->kind)
    {
    case HOTPLUG_SIM_DEV_CPU:
      settle (self, d, "online", on ? "1\n" : "0\n");
      update_cpu_lists (self);
      break;
    case HOTPLUG_SIM_DEV_MEMORY:
      settle (self, d, "state", on ? "online\n" : "offline\n");
      settle (self, d, "online", on ? "1\n" : "0\n");
      break;
    case HOTPLUG_SIM_DEV_CONTAINER:
      settle (self, d, "online", on ? "1\n" : "0\n");
      break;
    default:
      break;
    }
  /* the refusals follow the new state before anyone hears of it: a reader
   * that acts on the uevent at once must meet the kernel's new answer */
  update_rules (self, d->unit);
  send (self, d, on ? "online" : "offline", NULL);
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
act_on (HotplugSimKernel *self, HotplugSimDev *d, HotplugSimUnit *slot, const char *attr, const char *value)
{
  if (slot)
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
            pci_rescan (self, slot->upstream);
          else
            pci_remove (self, NULL, slot->devs);
        }
      else if (g_str_equal (attr, "attention") && strlen (value) == 1 && value[0] >= '0' && value[0] <= '2')
        slot->attention = value[0] - '0';
      else
        g_message ("slot %s: ignoring '%s' written to %s", slot->name, value, attr);
      return;
    }

  if (d == NULL)
    {
      if (g_str_equal (attr, "rescan") && g_str_equal (value, "1"))
        pci_rescan (self, NULL);
      return;
    }
  if (!d->present)
    return;

  switch (d->kind)
    {
    case HOTPLUG_SIM_DEV_CPU:
      if (g_str_equal (attr, "online") && truthy (value))
        set_online (self, d, value[0] == '1');
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
          set_online (self, d, on);
        }
      break;
    case HOTPLUG_SIM_DEV_CONTAINER:
      if (g_str_equal (attr, "online") && truthy (value))
        {
          gboolean on = value[0] == '1';
          if (!on && unit_busy_children (d->unit))
            break;
          set_online (self, d, on);
        }
      break;
    case HOTPLUG_SIM_DEV_ACPI:
      if (g_str_equal (attr, "eject") && g_str_equal (value, "1") && d->unit && d->unit->acpi == d)
        {
          if (unit_busy_children (d->unit) || d->unit->container->online)
            {
              g_message ("%s: eject refused, still online", d->unit->id);
              break;
            }
          unit_remove (self, d->unit);
        }
      break;
    case HOTPLUG_SIM_DEV_PCI:
      if (g_str_equal (attr, "remove") && g_str_equal (value, "1"))
        pci_remove (self, d, NULL);
      else if (g_str_equal (attr, "rescan") && g_str_equal (value, "1"))
        pci_rescan (self, d);
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
  if (!slot && d && !g_str_equal (attr, "online") && !g_str_equal (attr, "state") &&
      !g_str_equal (attr, "eject") && !g_str_equal (attr, "remove") && !g_str_equal (attr, "rescan"))
    return;
  if (!slot && !d && !g_str_equal (attr, "rescan"))
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
  const char *attrs[] = { "online", "state", "eject", "remove", "rescan", "power", "attention" };
  GHashTableIter it;
  gpointer value;
  g_autoptr(GPtrArray) ws = g_ptr_array_new ();

  g_hash_table_iter_init (&it, self->watches);
  while (g_hash_table_iter_next (&it, NULL, &value))
    g_ptr_array_add (ws, value);
  for (guint i = 0; i < ws->len; i++)
    {
      Watch *w = g_ptr_array_index (ws, i);
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
          Watch *w;

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

gboolean
hotplug_sim_kernel_build (HotplugSimKernel *self, GError **error)
{
  HotplugSimMachine *m = self->m;
  const char *dirs[] = {
    "", "devices", "devices/system", "devices/system/cpu", "devices/system/memory",
    "devices/system/node", "devices/system/container", "bus", "class", "firmware",
    "firmware/acpi", "firmware/acpi/hotplug", "firmware/acpi/hotplug/container",
    "firmware/acpi/hotplug/memory", "bus/pci/slots",
  };
  const char *buses[] = { "cpu", "memory", "node", "container", "acpi", "pci" };
  g_autoptr(GArray) nodes = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      if (i == G_N_ELEMENTS (dirs) - 1)
        for (guint j = 0; j < G_N_ELEMENTS (buses); j++)
          {
            g_autofree char *b = g_strdup_printf ("bus/%s", buses[j]);
            g_autofree char *bd = g_strdup_printf ("bus/%s/devices", buses[j]);
            g_autofree char *dr = g_strdup_printf ("bus/%s/drivers", buses[j]);
            mkdir_rel (self, b);
            mkdir_rel (self, bd);
            mkdir_rel (self, dr);
            put (self, b, "uevent", "", 0200);
          }
      mkdir_rel (self, dirs[i]);
    }
  {
    char p[PATH_MAX];
    sys_path (self, p, "", NULL);
    if (!g_file_test (p, G_FILE_TEST_IS_DIR))
      return g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot create %s", p), FALSE;
  }
  put (self, "firmware/acpi/hotplug/container", "enabled", "1\n", 0644);
  put (self, "firmware/acpi/hotplug/memory", "enabled", "1\n", 0644);
  putf (self, "devices/system/memory", "block_size_bytes", "%" G_GINT64_MODIFIER "x\n", m->block_size);
  putf (self, "devices/system/memory", "auto_online_blocks", "%s\n", m->auto_online);
  put_rw (self, "bus/pci", "rescan", "", "accept=1\n", 0200);

  for (guint i = 0; i < m->nodes->len; i++)
    {
      guint n = g_array_index (m->nodes, guint, i);
      g_autofree char *p = g_strdup_printf ("devices/system/node/node%u", n);
      g_autofree char *name = g_strdup_printf ("node%u", n);
      mkdir_rel (self, p);
      link_rel (self, p, "subsystem", "bus/node");
      link_rel (self, "bus/node/devices", name, p);
      put (self, p, "uevent", "", 0644);
    }
  nodes = g_array_copy (m->nodes);
  {
    g_autofree char *l = hotplug_list_format_array (nodes);
    putf (self, "devices/system/node", "online", "%s\n", l);
    putf (self, "devices/system/node", "possible", "%s\n", l);
  }

  for (guint i = 0; i < m->devs->len; i++)
    {
      HotplugSimDev *d = g_ptr_array_index (m->devs, i);
      if (d->unit && !d->unit->present)
        continue;
      if (d->kind == HOTPLUG_SIM_DEV_PCI && !pci_enumerable (d))
        continue;
      dev_create (self, d);
    }
  slots_sync (self);
  update_cpu_lists (self);
  update_all_rules (self);
  return TRUE;
}

gboolean
hotplug_sim_kernel_start (HotplugSimKernel *self, GError **error)
{
  self->ifd_source = g_unix_fd_add (self->ifd, G_IO_IN, on_inotify, self);
  {
    char p[PATH_MAX];
    Watch *w = g_new0 (Watch, 1);
    int wd;
    sys_path (self, p, "bus/pci", NULL);
    wd = inotify_add_watch (self->ifd, p, IN_CLOSE_WRITE);
    if (wd < 0)
      {
        g_free (w);
        return g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                            "cannot watch %s: %s", p, g_strerror (errno)), FALSE;
      }
    g_hash_table_replace (self->watches, GINT_TO_POINTER (wd), w);
  }
  hotplug_sim_uevent_refresh (self->uevent);
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* firmware: the ctl verbs                                                 */

static const struct { const char *name; int value; } errnos[] = {
  { "EIO", EIO }, { "EBUSY", EBUSY }, { "EINVAL", EINVAL }, { "ENOMEM", ENOMEM },
  { "EAGAIN", EAGAIN }, { "ENODEV", ENODEV }, { "ENXIO", ENXIO }, { "EPERM", EPERM },
  { "EACCES", EACCES }, { "ETIMEDOUT", ETIMEDOUT }, { "ENOSPC", ENOSPC }, { "EEXIST", EEXIST },
  { "ENOENT", ENOENT }, { "EINTR", EINTR }, { "ENOTSUP", ENOTSUP }, { "ENOSYS", ENOSYS },
};

static gboolean
fail_one (const char *path, guint count, int err)
{
  char buf[64];

  if (getxattr (path, HOTPLUG_SIM_XATTR_RULES, NULL, 0) < 0)
    return FALSE;
  snprintf (buf, sizeof buf, "%u %d", count, err);
  return setxattr (path, HOTPLUG_SIM_XATTR_FAIL, buf, strlen (buf), 0) == 0;
}

static void
fail_walk (const char *dir, const char *name, guint count, int err, guint *hits)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *e;

  if (d == NULL)
    return;
  while ((e = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (dir, e, NULL);
      struct stat st;
      if (lstat (p, &st) < 0)
        continue;
      if (S_ISDIR (st.st_mode))
        fail_walk (p, name, count, err, hits);
      else if (S_ISREG (st.st_mode) && g_str_equal (e, name) && fail_one (p, count, err))
        (*hits)++;
    }
}

static gboolean
ctl_fail (HotplugSimKernel *self, char **argv, GString *out, GError **error)
{
  const char *attr = NULL;
  guint64 count = 1;
  int err = EIO;
  guint hits = 0;

  for (guint i = 1; argv[i]; i++)
    {
      if (g_str_equal (argv[i], "--errno") || g_str_has_prefix (argv[i], "--errno="))
        {
          const char *n = argv[i][7] == '=' ? argv[i] + 8 : argv[++i];
          guint j;
          if (n == NULL)
            return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "--errno needs a name such as EBUSY"), FALSE;
          for (j = 0; j < G_N_ELEMENTS (errnos); j++)
            if (g_ascii_strcasecmp (errnos[j].name, n) == 0)
              break;
          if (j == G_N_ELEMENTS (errnos))
            return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "unknown errno name '%s'", n), FALSE;
          err = errnos[j].value;
        }
      else if (attr == NULL)
        attr = argv[i];
      else if (!g_ascii_string_to_unsigned (argv[i], 10, 0, G_MAXINT, &count, NULL))
        return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "'%s' is not a count", argv[i]), FALSE;
    }
  if (attr == NULL)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "usage: fail ATTRIBUTE [COUNT] [--errno NAME]"), FALSE;
  if (attr[0] == '/')
    {
      g_autofree char *p = g_str_has_prefix (attr, "/sys/") ? g_strconcat (self->root, attr, NULL)
                                                          : g_strdup (attr);
      if (fail_one (p, count, err))
        hits++;
    }
  else if (strchr (attr, '/') == NULL)
    fail_walk (self->sys, attr, count, err, &hits);
  if (hits == 0)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                        "no writable attribute '%s' in the simulated sysfs", attr), FALSE;
  g_string_append_printf (out, "%u attribute%s armed\n", hits, hits == 1 ? "" : "s");
  return TRUE;
}

static HotplugSimUnit *
ctl_unit (HotplugSimKernel *self, const char *id, HotplugSimDev **cpu, GError **error)
{
  HotplugSimUnit *u;
  guint64 n;

  *cpu = NULL;
  if (id == NULL)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "missing UNIT"), NULL;
  if (g_str_has_prefix (id, "cpu") && g_ascii_string_to_unsigned (id + 3, 10, 0, G_MAXUINT, &n, NULL))
    {
      *cpu = hotplug_sim_machine_find_cpu (self->m, n);
      if (*cpu && (*cpu)->unit->kind == HOTPLUG_SIM_UNIT_BASE)
        return (*cpu)->unit;
      return g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                          *cpu ? "%s belongs to a system board" : "no such CPU: %s", id), NULL;
    }
  u = hotplug_sim_machine_find_unit (self->m, id);
  if (u == NULL || u->kind == HOTPLUG_SIM_UNIT_BASE)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no such unit: %s", id), NULL;
  return u;
}

static void
status (HotplugSimKernel *self, GString *out)
{
  HotplugSimMachine *m = self->m;

  g_string_append_printf (out, "machine %s (%s)\ndelay %u ms\n", m->name ? m->name : "", m->file, self->delay_ms);
  for (guint i = 0; i < m->units->len; i++)
    {
      HotplugSimUnit *u = g_ptr_array_index (m->units, i);
      guint cpus = 0, cpuson = 0, blocks = 0, blockson = 0, pci = 0;
      for (guint j = 0; j < u->devs->len; j++)
        {
          HotplugSimDev *d = g_ptr_array_index (u->devs, j);
          if (!d->present)
            continue;
          cpus += d->kind == HOTPLUG_SIM_DEV_CPU;
          cpuson += d->kind == HOTPLUG_SIM_DEV_CPU && d->online;
          blocks += d->kind == HOTPLUG_SIM_DEV_MEMORY;
          blockson += d->kind == HOTPLUG_SIM_DEV_MEMORY && d->online;
          pci += d->kind == HOTPLUG_SIM_DEV_PCI;
        }
      if (u->kind == HOTPLUG_SIM_UNIT_SLOT)
        g_string_append_printf (out, "%s %04x:%02x power=%d adapter=%d attention=%u pci=%u\n",
                                u->id, u->domain, u->bus, u->power, u->adapter, u->attention, pci);
      else
        g_string_append_printf (out, "%s %s%s cpus=%u/%u blocks=%u/%u pci=%u\n", u->id,
                                u->present ? "present" : "absent",
                                u->container && u->present ? (u->container->online ? " online" : " offline") : "",
                                cpuson, cpus, blockson, blocks, pci);
    }
}

gboolean
hotplug_sim_kernel_control (HotplugSimKernel *self, char **argv, GString *out, GError **error)
{
  const char *verb = argv[0];
  HotplugSimUnit *u;
  HotplugSimDev *cpu;

  if (verb == NULL)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "missing verb"), FALSE;
  if (g_str_equal (verb, "status"))
    {
      status (self, out);
      return TRUE;
    }
  if (g_str_equal (verb, "delay"))
    {
      guint64 ms;
      if (argv[1] == NULL || !g_ascii_string_to_unsigned (argv[1], 10, 0, 3600000, &ms, NULL) ||
          (argv[2] && argv[3]))
        return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            "usage: delay MS [MATCH] (MS 0-3600000; MATCH: only attributes whose path has it)"), FALSE;
      self->delay_ms = ms;
      g_free (self->delay_match);
      self->delay_match = argv[2] && *argv[2] ? g_strdup (argv[2]) : NULL;
      return TRUE;
    }
  if (g_str_equal (verb, "fail"))
    return ctl_fail (self, argv, out, error);
  if (hotplug_sim_storage_handles (verb))
    return hotplug_sim_storage_control (self->storage, argv, out, error);
  if (!g_strv_contains ((const char * const[]) { "eject", "insert", "pull", "swap", NULL }, verb))
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "unknown verb '%s' (eject, insert, pull, swap, fail, delay, back, hold, link, status)",
                        verb), FALSE;
  if (argv[1] && argv[2])
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s takes one UNIT", verb), FALSE;
  u = ctl_unit (self, argv[1], &cpu, error);
  if (u == NULL)
    return FALSE;
  hotplug_sim_uevent_refresh (self->uevent);

  if (cpu)
    {
      if (g_str_equal (verb, "insert") && !cpu->present)
        {
          cpu->online = FALSE;
          if (cpu->fw && !cpu->fw->present)
            {
              dev_create (self, cpu->fw);
              send (self, cpu->fw, "add", NULL);
            }
          dev_create (self, cpu);
          send (self, cpu, "add", NULL);
          update_cpu_lists (self);
          return TRUE;
        }
      if (g_str_equal (verb, "pull") && cpu->present && !cpu->fixed)
        {
          send (self, cpu, "remove", NULL);
          dev_destroy (self, cpu);
          if (cpu->fw)
            {
              send (self, cpu->fw, "remove", NULL);
              dev_destroy (self, cpu->fw);
            }
          update_cpu_lists (self);
          return TRUE;
        }
      return g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot %s %s now (%s)", verb, argv[1],
                          cpu->present ? "present" : "absent"), FALSE;
    }

  if (u->kind == HOTPLUG_SIM_UNIT_SLOT)
    {
      if (g_str_equal (verb, "eject"))
        return g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                            "eject applies to sb and iou units; a slot is removed with its power"), FALSE;
      if (u->wd < 0)
        return g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s is not present (its unit is gone)", u->id), FALSE;
      if (!u->hotplug)
        return g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                            "%s is no hotplug slot (hotplug=false): its card cannot be changed while running",
                            u->id), FALSE;
      if (g_str_equal (verb, "insert"))
        {
          if (u->adapter)
            return g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "%s already holds a card", u->id), FALSE;
          u->adapter = TRUE;
          for (guint i = 0; i < u->devs->len; i++)
            ((HotplugSimDev *) g_ptr_array_index (u->devs, i))->physical = TRUE;
          put (self, u->path, "adapter", "1\n", 0444);
          if (u->power)
            pci_rescan (self, u->upstream);
          return TRUE;
        }
      if (!u->adapter)
        return g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s holds no card", u->id), FALSE;
      if (g_str_equal (verb, "pull"))
        {
          pci_remove (self, NULL, u->devs);
          u->adapter = FALSE;
          for (guint i = 0; i < u->devs->len; i++)
            ((HotplugSimDev *) g_ptr_array_index (u->devs, i))->physical = FALSE;
          put (self, u->path, "adapter", "0\n", 0444);
          return TRUE;
        }
      /* swap: the new card is enumerated afresh */
      pci_remove (self, NULL, u->devs);
      if (u->power)
        pci_rescan (self, u->upstream);
      return TRUE;
    }

  /* sb, iou */
  if (g_str_equal (verb, "insert"))
    {
      if (u->present)
        return g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "%s is already present", u->id), FALSE;
      unit_insert (self, u);
      return TRUE;
    }
  if (!u->present)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s is not present", u->id), FALSE;
  if (g_str_equal (verb, "eject"))
    send (self, u->container, "change", "EVENT=offline\n");
  else if (g_str_equal (verb, "pull"))
    unit_remove (self, u);
  else if (u->kind == HOTPLUG_SIM_UNIT_SB)
    send (self, u->container, "change", NULL);
  else
    {
      pci_remove (self, NULL, u->devs);
      pci_rescan (self, NULL);
    }
  return TRUE;
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
