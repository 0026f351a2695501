/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>
#include <libudev.h>

#include "hotplug-log.h"
#include "hotplug-names.h"
#include "hotplug-udev.h"
#include "hotplug-uevent-receive.h"
#include "hotplug-util.h"

typedef struct udev HotplugUdevContext;
typedef struct udev_monitor HotplugUdevMonitor;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotplugUdevContext, udev_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotplugUdevMonitor, udev_monitor_unref)

#define RECEIVE_BUFFER_SIZE (128 * 1024 * 1024)
/* After a loss, the re-enumeration waits until the socket has been quiet
 * this long (the burst that overflowed it is over: one re-enumeration per
 * burst, however many ENOBUFS it brought), but never longer than the
 * maximum after the first loss (a flood that never ends still gets one
 * every so often).  The writer of a flood pauses too: on a loaded 2-core
 * machine for up to 60 ms between two uevents, and at 100 ms a burst of a
 * million of them got a second re-enumeration now and then. */
#define RESYNC_QUIET_MS 250
#define RESYNC_MAX_DELAY_MS 5000
#define TOPIC "udev"

/* the subsystems the platform model cares about */
static const char *const subsystems[] = { "container", "cpu", "memory", "pci", "acpi", "pci_bus", NULL };

struct _HotplugUdev
{
  GObject              parent_instance;

  gboolean             with_monitor;
  struct udev         *udev;
  struct udev_monitor *monitor;
  HotplugUeventBuffer *buffer;
  const char          *group;
  guint                watch_id;

  guint                resync_id;      /* the pending re-enumeration */
  char                *resync_reason;  /* NULL: events were lost */
  gint64               resync_first;   /* when it was asked for */
  gint64               last_activity;  /* the socket's last message or loss */
  guint                resync_quiet_ms;
  guint                resync_max_delay_ms;
  guint                resyncs;
  guint64              overflows;
  guint64              events_received;
  int                  receive_buffer_size;
};

enum { PROP_0, PROP_GROUP, PROP_RESYNCS, PROP_OVERFLOWS, PROP_EVENTS_RECEIVED, N_PROPS };
static GParamSpec *props[N_PROPS];

enum { SIGNAL_EVENT, SIGNAL_RESYNC, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_TYPE (HotplugUdev, hotplug_udev, G_TYPE_OBJECT)

static void
hotplug_udev_finalize (GObject *object)
{
  HotplugUdev *self = HOTPLUG_UDEV (object);

  g_clear_handle_id (&self->watch_id, g_source_remove);
  g_clear_handle_id (&self->resync_id, g_source_remove);
  g_clear_pointer (&self->resync_reason, g_free);
  g_clear_pointer (&self->monitor, udev_monitor_unref);
  g_clear_pointer (&self->buffer, g_free);
  g_clear_pointer (&self->udev, udev_unref);
  G_OBJECT_CLASS (hotplug_udev_parent_class)->finalize (object);
}

static void
hotplug_udev_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  HotplugUdev *self = HOTPLUG_UDEV (object);

  switch (prop_id)
    {
    case PROP_GROUP:
      g_value_set_string (value, self->group);
      break;
    case PROP_RESYNCS:
      g_value_set_uint (value, self->resyncs);
      break;
    case PROP_OVERFLOWS:
      g_value_set_uint64 (value, self->overflows);
      break;
    case PROP_EVENTS_RECEIVED:
      g_value_set_uint64 (value, self->events_received);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hotplug_udev_class_init (HotplugUdevClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = hotplug_udev_finalize;
  object_class->get_property = hotplug_udev_get_property;

  props[PROP_GROUP] = g_param_spec_string ("group", NULL, NULL, "none",
                                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_EVENTS_RECEIVED] = g_param_spec_uint64 ("events-received", NULL, NULL, 0, G_MAXUINT64, 0,
                                                     G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_OVERFLOWS] = g_param_spec_uint64 ("overflows", NULL, NULL, 0, G_MAXUINT64, 0,
                                               G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_RESYNCS] = g_param_spec_uint ("resyncs", NULL, NULL, 0, G_MAXUINT, 0,
                                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[SIGNAL_EVENT] = g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                                        HOTPLUG_TYPE_EVENT | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_RESYNC] = g_signal_new ("resync", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                                         G_TYPE_PTR_ARRAY | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
hotplug_udev_init (HotplugUdev *self)
{
  self->receive_buffer_size = RECEIVE_BUFFER_SIZE;
  self->resync_quiet_ms = RESYNC_QUIET_MS;
  self->resync_max_delay_ms = RESYNC_MAX_DELAY_MS;
  self->group = "none";
}

HotplugUdev *
hotplug_udev_new (void)
{
  HotplugUdev *self = g_object_new (HOTPLUG_TYPE_UDEV, NULL);

  self->with_monitor = TRUE;
  return self;
}

HotplugUdev *
hotplug_udev_new_without_monitor (void)
{
  return g_object_new (HOTPLUG_TYPE_UDEV, NULL);
}

const char *
hotplug_udev_get_group (HotplugUdev *self)
{
  g_return_val_if_fail (HOTPLUG_IS_UDEV (self), NULL);
  return self->group;
}

guint64
hotplug_udev_get_events_received (HotplugUdev *self)
{
  g_return_val_if_fail (HOTPLUG_IS_UDEV (self), 0);

  return self->events_received;
}

void
hotplug_udev_set_receive_buffer_size (HotplugUdev *self, int bytes)
{
  g_return_if_fail (HOTPLUG_IS_UDEV (self));

  self->receive_buffer_size = bytes;
}

guint
hotplug_udev_get_resyncs (HotplugUdev *self)
{
  g_return_val_if_fail (HOTPLUG_IS_UDEV (self), 0);
  return self->resyncs;
}

guint64
hotplug_udev_get_overflows (HotplugUdev *self)
{
  g_return_val_if_fail (HOTPLUG_IS_UDEV (self), 0);
  return self->overflows;
}

void
hotplug_udev_set_resync_delays (HotplugUdev *self, guint quiet_ms, guint max_delay_ms)
{
  g_return_if_fail (HOTPLUG_IS_UDEV (self));

  self->resync_quiet_ms = quiet_ms;
  self->resync_max_delay_ms = MAX (max_delay_ms, quiet_ms);
}

/* --- enumeration ------------------------------------------------------ */

/* "../../../devices/system/cpu/cpu0" → "/devices/system/cpu/cpu0" */
static char *
link_to_devpath (const char *target)
{
  const char *p = target;

  while (g_str_has_prefix (p, "../"))
    p += 3;
  if (*p == '/')
    {
      /* an absolute link: strip the root prefix and /sys */
      p = hotplug_sysfs_unroot (p);
      if (g_str_has_prefix (p, "/sys/"))
        p += 4;
      return g_strdup (p);
    }
  return g_strconcat ("/", p, NULL);
}

static void
enumerate_bus (GPtrArray *events, const char *subsystem)
{
  g_autofree char *dirpath = hotplug_sysfs_build ("/sys/bus", subsystem, "devices", NULL);
  DIR *dir = opendir (dirpath);
  struct dirent *de;
  g_autofree char *system_dir = NULL;

  if (g_str_equal (subsystem, "cpu") || g_str_equal (subsystem, "memory"))
    system_dir = g_strconcat ("/devices/system/", subsystem, "/", NULL);

  if (dir == NULL)
    {
      if (errno != ENOENT)
        hotplug_log_ratelimited (G_LOG_LEVEL_WARNING, dirpath, TOPIC, NULL, NULL, NULL,
                                 "cannot list %s: %s", dirpath, g_strerror (errno));
      return;
    }
  while ((de = readdir (dir)) != NULL)
    {
      char target[PATH_MAX];
      g_autofree char *devpath = NULL;
      ssize_t n;

      if (de->d_name[0] == '.')
        continue;
      if (system_dir)
        {
          /* CPUs and memory blocks are system devices: the kernel puts
           * them in /sys/devices/system/SUBSYSTEM, no link to follow (one
           * system call per block of tens of thousands) */
          devpath = g_strconcat (system_dir, de->d_name, NULL);
          g_ptr_array_add (events, hotplug_event_new ("add", subsystem, devpath));
          continue;
        }
      n = readlinkat (dirfd (dir), de->d_name, target, sizeof target - 1);
      if (n <= 0)
        {
          hotplug_log_ratelimited (G_LOG_LEVEL_WARNING, dirpath, TOPIC, NULL, NULL, NULL,
                                   "%s/%s is not a link to a device", dirpath, de->d_name);
          continue;
        }
      target[n] = '\0';
      devpath = link_to_devpath (target);
      g_ptr_array_add (events, hotplug_event_new ("add", subsystem, devpath));
    }
  closedir (dir);
}

static void
enumerate_slots (GPtrArray *events)
{
  g_autofree char *dirpath = hotplug_sysfs_path ("/sys/bus/pci/slots");
  g_autoptr(GDir) dir = g_dir_open (dirpath, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *devpath = g_strconcat ("/bus/pci/slots/", name, NULL);
      g_ptr_array_add (events, hotplug_event_new ("add", "pci_slot", devpath));
    }
}

GPtrArray *
hotplug_udev_enumerate (void)
{
  GPtrArray *events = g_ptr_array_new_with_free_func ((GDestroyNotify) hotplug_event_free);

  /* containers first: the real kernel announces them before their CPUs
   * and memory too, so the model sees the same order either way */
  enumerate_bus (events, "container");
  enumerate_bus (events, "cpu");
  enumerate_bus (events, "memory");
  enumerate_bus (events, "pci");
  enumerate_slots (events);
  return events;
}

/* --- events ----------------------------------------------------------- */

void
hotplug_udev_inject (HotplugUdev  *self,
                     HotplugEvent *event)
{
  g_return_if_fail (HOTPLUG_IS_UDEV (self));
  g_return_if_fail (event != NULL);

  hotplug_log_full (G_LOG_LEVEL_DEBUG, TOPIC, NULL, event->action, event->devpath, NULL,
                    "event seqnum %" G_GUINT64_FORMAT " subsystem %s", event->seqnum, event->subsystem);
  g_signal_emit (self, signals[SIGNAL_EVENT], 0, event);
}

static void
resync_now (HotplugUdev *self)
{
  g_autoptr(GPtrArray) events = NULL;
  gint64 start = g_get_monotonic_time ();
  g_autofree char *reason = g_steal_pointer (&self->resync_reason);

  self->resyncs++;
  events = hotplug_udev_enumerate ();
  hotplug_log_full (reason ? G_LOG_LEVEL_MESSAGE : G_LOG_LEVEL_WARNING, TOPIC, NULL, NULL, NULL,
                    HOTPLUG_MSGID_RESYNC, "%s: re-enumerated %u devices in %.1f ms (resync %u)",
                    reason ? reason : "device events were lost (event socket overflow)", events->len,
                    (double) (g_get_monotonic_time () - start) / 1000.0, self->resyncs);
  g_signal_emit (self, signals[SIGNAL_RESYNC], 0, events);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_RESYNCS]);
}

/* Runs at idle priority, so only once the socket has been read empty; then
 * re-enumerates if the socket has been quiet long enough, or the first
 * loss is too long ago, and otherwise looks again when it may be. */
static gboolean
resync_due (gpointer user_data)
{
  HotplugUdev *self = HOTPLUG_UDEV (user_data);
  gint64 now = g_get_monotonic_time ();
  gint64 quiet_until = self->last_activity + (gint64) self->resync_quiet_ms * 1000;
  gint64 latest = self->resync_first + (gint64) self->resync_max_delay_ms * 1000;
  gint64 next = MIN (quiet_until, latest);

  self->resync_id = 0;
  if (now >= next)
    {
      resync_now (self);
      return G_SOURCE_REMOVE;
    }
  self->resync_id = g_timeout_add_full (G_PRIORITY_DEFAULT_IDLE, (guint) ((next - now + 999) / 1000),
                                        resync_due, self, NULL);
  return G_SOURCE_REMOVE;
}

static void
schedule_resync (HotplugUdev *self)
{
  if (self->resync_id != 0)
    return;
  self->resync_first = g_get_monotonic_time ();
  hotplug_debug (TOPIC, "resync scheduled");
  self->resync_id = g_timeout_add_full (G_PRIORITY_DEFAULT_IDLE, self->resync_quiet_ms,
                                        resync_due, self, NULL);
}

void
hotplug_udev_resync (HotplugUdev *self, const char *reason)
{
  g_return_if_fail (HOTPLUG_IS_UDEV (self));

  if (self->resync_id == 0)
    {
      g_free (self->resync_reason);
      self->resync_reason = g_strdup (reason);
    }
  schedule_resync (self);
}

static void
overflowed (HotplugUdev *self)
{
  self->overflows++;
  self->last_activity = g_get_monotonic_time ();
  /* Many ENOBUFS in a row are one loss: one re-enumeration covers them
   * all, and it runs after the socket has been drained and gone quiet. */
  schedule_resync (self);
}

void
hotplug_udev_inject_overflow (HotplugUdev *self)
{
  g_return_if_fail (HOTPLUG_IS_UDEV (self));

  overflowed (self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_OVERFLOWS]);
}

static gboolean
monitor_ready (int fd, GIOCondition condition, gpointer user_data)
{
  HotplugUdev *self = HOTPLUG_UDEV (user_data);
  guint64 received = self->events_received;
  guint64 overflows = self->overflows;

  for (guint i = 0; i < HOTPLUG_UDEV_BATCH; i++)
    {
      HotplugEvent event;
      int r = hotplug_uevent_receive (fd, subsystems, self->buffer, &event);

      if (r == -ENOBUFS)
        {
          overflowed (self);
          continue; /* the socket still holds what came after the loss */
        }
      if (r < 0)
        {
          if (r != -EAGAIN && r != -EWOULDBLOCK && r != -EINTR)
            hotplug_log_ratelimited (G_LOG_LEVEL_WARNING, "udev-receive", TOPIC, NULL, NULL, NULL,
                                     "receiving a device event failed: %s", g_strerror (-r));
          break;
        }
      if (r == 0)
        continue; /* not for us, or not to be trusted */
      self->events_received++;
      hotplug_udev_inject (self, &event);
      hotplug_uevent_clear (&event);
    }
  /* one notification per batch, not per event */
  if (self->events_received != received)
    {
      /* while a re-enumeration waits, it waits for the socket to go quiet */
      if (self->resync_id != 0)
        self->last_activity = g_get_monotonic_time ();
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_EVENTS_RECEIVED]);
    }
  if (self->overflows != overflows)
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_OVERFLOWS]);
  return G_SOURCE_CONTINUE;
}

static gboolean
connect_monitor (HotplugUdev *self, GError **error)
{
  int r;

  self->udev = udev_new ();
  if (self->udev == NULL)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "udev_new failed: %s", g_strerror (errno));
      return FALSE;
    }
  /* Without udevd the "udev" group is silent; the raw kernel events are
   * all there is then.  /run/udev/control is a real path, not sysfs: no
   * root prefix. */
  self->group = g_file_test ("/run/udev/control", G_FILE_TEST_EXISTS) ? "udev" : "kernel";
  self->monitor = udev_monitor_new_from_netlink (self->udev, self->group);
  if (self->monitor == NULL)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "cannot create a netlink monitor for group %s: %s", self->group, g_strerror (errno));
      return FALSE;
    }
  for (guint i = 0; subsystems[i]; i++)
    udev_monitor_filter_add_match_subsystem_devtype (self->monitor, subsystems[i], NULL);
  r = udev_monitor_set_receive_buffer_size (self->monitor, self->receive_buffer_size);
  if (r < 0)
    hotplug_warning (TOPIC, "cannot set a %d KiB event receive buffer: %s",
                     self->receive_buffer_size >> 10, g_strerror (-r));
  r = udev_monitor_enable_receiving (self->monitor);
  if (r < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (-r),
                   "cannot listen for device events: %s", g_strerror (-r));
      return FALSE;
    }
  self->buffer = g_new (HotplugUeventBuffer, 1);
  hotplug_message (TOPIC, "listening for device events on the '%s' netlink group%s",
                   self->group, g_str_equal (self->group, "kernel") ? " (udevd is not running)" : "");
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_GROUP]);
  return TRUE;
}

gboolean
hotplug_udev_start (HotplugUdev *self, GError **error)
{
  g_autoptr(GPtrArray) events = NULL;
  gint64 start;

  g_return_val_if_fail (HOTPLUG_IS_UDEV (self), FALSE);

  /* monitor first, enumeration second: a device that changes in between
   * is seen by both, never by neither */
  if (self->with_monitor && self->monitor == NULL && !connect_monitor (self, error))
    return FALSE;

  start = g_get_monotonic_time ();
  events = hotplug_udev_enumerate ();
  for (guint i = 0; i < events->len; i++)
    hotplug_udev_inject (self, g_ptr_array_index (events, i));
  hotplug_debug (TOPIC, "enumerated %u devices in %.1f ms", events->len,
                 (double) (g_get_monotonic_time () - start) / 1000.0);
  return TRUE;
}

void
hotplug_udev_listen (HotplugUdev *self)
{
  g_return_if_fail (HOTPLUG_IS_UDEV (self));

  if (self->monitor == NULL || self->watch_id != 0)
    return;
  self->watch_id = g_unix_fd_add (udev_monitor_get_fd (self->monitor), G_IO_IN, monitor_ready, self);
}
