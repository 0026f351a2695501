/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>
#include <glib-unix.h>

#include "hotplug-sim-uevent.h"

/* A reader's socket queue holds only net.unix.max_dgram_qlen datagrams (10
 * here).  Blocking sends would deadlock a reader that asks the simulator
 * for something (`hotplug-sim ctl insert`) and reads the events only after
 * the answer; so what does not fit waits in a queue of our own, flushed when
 * the socket is writable again, in order, as the kernel's socket buffer
 * would hold it.  A reader that lets this many pile up is dropped. */
#define MAX_QUEUED 1000000

typedef struct {
  char   *path;
  dev_t   dev;      /* the socket file we connected to: a reader that */
  ino_t   ino;      /* comes after it may bind the same path again */
  int     fd;
  GQueue *queue;    /* GBytes: whole messages */
  guint   watch;
} Listener;

struct _HotplugSimUevent {
  GObject     parent_instance;
  char       *dir;
  GHashTable *listeners;   /* path -> Listener* */
  guint64     seqnum;
};

G_DEFINE_TYPE (HotplugSimUevent, hotplug_sim_uevent, G_TYPE_OBJECT)

/* The header libudev puts in front of the properties of a message from
 * udevd; libudev's receive side checks the prefix and the magic. */
typedef struct {
  char     prefix[8];
  guint32  magic;
  guint32  header_size;
  guint32  properties_off;
  guint32  properties_len;
  guint32  filter_subsystem_hash;
  guint32  filter_devtype_hash;
  guint32  filter_tag_bloom_hi;
  guint32  filter_tag_bloom_lo;
} MonitorHeader;

#define MONITOR_MAGIC 0xfeedcafeu

static const char *const fixed_keys[] = { "ACTION", "DEVPATH", "SUBSYSTEM", "SEQNUM" };

/* MurmurHash2 (32 bit, seed = length), the hash libudev filters use. */
guint32
hotplug_sim_uevent_hash (const char *s)
{
  const guint32 m = 0x5bd1e995u;
  gsize len = strlen (s);
  const guint8 *p = (const guint8 *) s;
  guint32 h = (guint32) len;

  for (; len >= 4; len -= 4, p += 4)
    {
      guint32 k;
      memcpy (&k, p, 4);
      k *= m;
      k ^= k >> 24;
      k *= m;
      h = (h * m) ^ k;
    }
  if (len == 3)
    h ^= (guint32) p[2] << 16;
  if (len >= 2)
    h ^= (guint32) p[1] << 8;
  if (len >= 1)
    {
      h ^= p[0];
      h *= m;
    }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return h;
}

static void
listener_free (Listener *l)
{
  if (l->watch)
    g_source_remove (l->watch);
  g_queue_free_full (l->queue, (GDestroyNotify) g_bytes_unref);
  close (l->fd);
  g_free (l->path);
  g_free (l);
}

/* 1 sent, 0 would block, -1 the reader is gone */
static int
send_one (Listener *l, GBytes *msg)
{
  gsize n;
  const void *data = g_bytes_get_data (msg, &n);
  ssize_t r;

  do
    r = send (l->fd, data, n, MSG_DONTWAIT | MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r >= 0)
    return 1;
  if (errno == EAGAIN || errno == EWOULDBLOCK)
    return 0;
  if (errno != ECONNREFUSED && errno != ENOTCONN && errno != EPIPE)
    g_warning ("sending uevent to %s: %s", l->path, g_strerror (errno));
  return -1;
}

static gboolean
on_writable (int fd, GIOCondition cond, gpointer data)
{
  Listener *l = data;
  GBytes *msg;

  while ((msg = g_queue_peek_head (l->queue)))
    {
      int r = send_one (l, msg);
      if (r == 0)
        return G_SOURCE_CONTINUE;
      g_bytes_unref (g_queue_pop_head (l->queue));
      if (r < 0)
        {
          /* gone: drop what it would have read */
          g_queue_clear_full (l->queue, (GDestroyNotify) g_bytes_unref);
          break;
        }
    }
  l->watch = 0;
  return G_SOURCE_REMOVE;
}

static void
hotplug_sim_uevent_finalize (GObject *object)
{
  HotplugSimUevent *self = HOTPLUG_SIM_UEVENT (object);

  g_hash_table_unref (self->listeners);
  g_free (self->dir);
  G_OBJECT_CLASS (hotplug_sim_uevent_parent_class)->finalize (object);
}

static void
hotplug_sim_uevent_class_init (HotplugSimUeventClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hotplug_sim_uevent_finalize;
}

static void
hotplug_sim_uevent_init (HotplugSimUevent *self)
{
  self->listeners = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) listener_free);
}

HotplugSimUevent *
hotplug_sim_uevent_new (const char *dir)
{
  HotplugSimUevent *self = g_object_new (HOTPLUG_TYPE_SIM_UEVENT, NULL);

  self->dir = g_strdup (dir);
  return self;
}

guint64
hotplug_sim_uevent_get_seqnum (HotplugSimUevent *self)
{
  return self->seqnum;
}

/* The socket file at PATH is still the one this listener connected to. */
static gboolean
listener_owns_path (Listener *l)
{
  struct stat st;

  return stat (l->path, &st) == 0 && st.st_dev == l->dev && st.st_ino == l->ino;
}

/* Forget a reader that is gone.  Its socket file goes too, unless a new
 * reader has bound the same path since (the preload names the file after
 * the reader's fd number, which the next process gets again). */
static void
listener_gone (Listener *l)
{
  if (listener_owns_path (l))
    unlink (l->path);
}

static int
connect_listener (const char *path, struct stat *st)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  int fd;

  if (stat (path, st) < 0)
    return -1;
  if (strlen (path) >= sizeof sa.sun_path)
    return -1;
  strcpy (sa.sun_path, path);
  fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  if (connect (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    {
      int e = errno;
      close (fd);
      /* the reader closed its monitor: forget the stale socket file */
      if (e == ECONNREFUSED)
        unlink (path);
      return -1;
    }
  return fd;
}

void
hotplug_sim_uevent_refresh (HotplugSimUevent *self)
{
  DIR *d = opendir (self->dir);
  struct dirent *de;

  if (d == NULL)
    return;
  while ((de = readdir (d)))
    {
      g_autofree char *path = NULL;
      int fd;

      if (!g_str_has_prefix (de->d_name, "event") || !g_ascii_isdigit (de->d_name[5]))
        continue;
      Listener *known;
      struct stat st;

      path = g_build_filename (self->dir, de->d_name, NULL);
      known = g_hash_table_lookup (self->listeners, path);
      if (known && listener_owns_path (known))
        continue;
      if (known)
        g_hash_table_remove (self->listeners, path); /* a new reader on an old path */
      fd = connect_listener (path, &st);
      if (fd >= 0)
        {
          Listener *l = g_new0 (Listener, 1);
          l->path = g_steal_pointer (&path);
          l->dev = st.st_dev;
          l->ino = st.st_ino;
          l->fd = fd;
          l->queue = g_queue_new ();
          g_hash_table_insert (self->listeners, l->path, l);
        }
    }
  closedir (d);
}

GBytes *
hotplug_sim_uevent_encode (guint64 seqnum, const char *action, const char *devpath,
                           const char *subsystem, const char *devtype, const char *props)
{
  g_autoptr(GString) buf = g_string_sized_new (256);
  MonitorHeader h = { "libudev", 0 };
  GByteArray *msg;

  g_autoptr(GHashTable) keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_string_append_printf (buf, "ACTION=%s%cDEVPATH=%s%cSUBSYSTEM=%s%cSEQNUM=%" G_GUINT64_FORMAT "%c",
                          action, 0, devpath, 0, subsystem, 0, seqnum, 0);
  for (guint i = 0; i < G_N_ELEMENTS (fixed_keys); i++)
    g_hash_table_add (keys, g_strdup (fixed_keys[i]));
  if (props)
    {
      g_auto(GStrv) lines = g_strsplit (props, "\n", -1);
      for (guint i = 0; lines[i]; i++)
        {
          const char *eq = strchr (lines[i], '=');

          /* a line with no key, or one that came already (the four above
           * included), is not a property: libudev would let it replace
           * the first */
          if (eq == NULL || eq == lines[i] ||
              !g_hash_table_add (keys, g_strndup (lines[i], (gsize) (eq - lines[i]))))
            continue;
          g_string_append (buf, lines[i]);
          g_string_append_c (buf, 0);
        }
    }
  /* libudev receives into a buffer of this size and drops what is longer;
   * the kernel would not send such an event either */
  if (sizeof h + buf->len > HOTPLUG_SIM_UEVENT_MAX)
    return NULL;

  h.magic = htonl (MONITOR_MAGIC);
  h.header_size = sizeof h;
  h.properties_off = sizeof h;
  h.properties_len = buf->len;
  h.filter_subsystem_hash = htonl (hotplug_sim_uevent_hash (subsystem));
  if (devtype)
    h.filter_devtype_hash = htonl (hotplug_sim_uevent_hash (devtype));
  msg = g_byte_array_sized_new (sizeof h + buf->len);
  g_byte_array_append (msg, (guint8 *) &h, sizeof h);
  g_byte_array_append (msg, (guint8 *) buf->str, buf->len);
  return g_byte_array_free_to_bytes (msg);
}

void
hotplug_sim_uevent_send (HotplugSimUevent *self, const char *action, const char *devpath,
                         const char *subsystem, const char *devtype, const char *props)
{
  g_autoptr(GBytes) bytes = hotplug_sim_uevent_encode (++self->seqnum, action, devpath, subsystem,
                                                       devtype, props);
  GHashTableIter it;
  gpointer key, value;

  if (bytes == NULL)
    {
      g_warning ("the %s event of %s is too large for a uevent: not sent", action, devpath);
      return;
    }
  g_hash_table_iter_init (&it, self->listeners);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      Listener *l = value;
      int r = 0;

      if (g_queue_is_empty (l->queue))
        r = send_one (l, bytes);
      if (r < 0)
        {
          listener_gone (l);
          g_hash_table_iter_remove (&it);
          continue;
        }
      if (r == 1)
        continue;
      if (g_queue_get_length (l->queue) >= MAX_QUEUED)
        {
          g_warning ("uevent reader %s does not read: dropping it", l->path);
          g_hash_table_iter_remove (&it);
          continue;
        }
      g_queue_push_tail (l->queue, g_bytes_ref (bytes));
      if (l->watch == 0)
        l->watch = g_unix_fd_add (l->fd, G_IO_OUT, on_writable, l);
    }
}
