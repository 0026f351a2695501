/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>

#include "hotplug-blockers-watch.h"
#include "hotplug-link-watch.h"
#include "hotplug-log.h"
#include "hotplug-names.h"
#include "hotplug-util.h"

#define TOPIC "blockers"
/* model changes come in bursts (a board's blocks go offline one by one):
 * refresh once the burst has been quiet this long, or at the latest after
 * MAX_DELAY_US */
#define COALESCE_MS  250
#define MAX_DELAY_US (2 * G_USEC_PER_SEC)

struct _HotplugBlockersWatch
{
  GObject          parent_instance;

  HotplugPlatform *platform;
  GCancellable    *cancellable;
  gboolean         started;
  gboolean         running;   /* a refresh is in the worker */
  /* what the next refresh reads: the facts of these kinds (Need) and of
   * these objects ("unit/ID", "domain/ID"); asked for while none can run
   * (before the start, while one runs) they wait */
  guint            need;
  GHashTable      *changed;
  guint            soon_id;
  gint64           first_asked; /* monotonic time of the oldest pending request */
  guint            interval_id;
  double           interval;
  int              fds[2];    /* /proc/self/mountinfo, /proc/swaps */
  guint            fd_ids[2];
  HotplugLinkWatch *links;    /* network interfaces going up or down */
  /* every scan has a number; a result older than the last one applied to
   * an object is dropped (a Remove's check may overtake a refresh) */
  guint64          serial;
  GHashTable      *applied;   /* "unit/ID" or "domain/ID" → guint64 serial */
  struct _Prime   *prime;     /* start-up's first scan, until it is applied */
  /* the checks at a call: one scan for those that came in while one ran */
  gboolean         checking;
  GPtrArray       *check_waiting;  /* GTask */
  guint            check_scans;
};

G_DEFINE_TYPE (HotplugBlockersWatch, hotplug_blockers_watch, G_TYPE_OBJECT)

enum { SIGNAL_PRIMED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* --- facts -------------------------------------------------------------- */

/* Every memory block belongs to one unit (free memory to a memory unit). */
static guint64
blocks_online (HotplugPlatform *platform)
{
  g_autoptr(GPtrArray) units = hotplug_platform_get_units (platform);
  guint64 n = 0;

  for (guint i = 0; i < units->len; i++)
    n += hotplug_unit_get_blocks_online (g_ptr_array_index (units, i));
  return n;
}

/* The key of a unit's or a domain's blockers: "unit/ID", "domain/ID" */
static char *
key_of (gpointer object)
{
  return HOTPLUG_IS_UNIT (object) ? g_strconcat ("unit/", hotplug_unit_get_id (object), NULL)
                                  : g_strconcat ("domain/", hotplug_domain_get_id (object), NULL);
}

HotplugBlockerFacts *
hotplug_blockers_facts_of_unit (HotplugPlatform *platform, HotplugUnit *unit)
{
  HotplugDbusUnit *iface = HOTPLUG_DBUS_UNIT (unit);
  const char *ranges = hotplug_dbus_unit_get_memory_ranges (iface);
  g_autoptr(GArray) blocks = ranges && *ranges ? hotplug_list_parse (ranges, NULL) : NULL;
  g_autoptr(GArray) online = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autofree char *key = key_of (unit);
  HotplugBlockerFacts *facts;

  for (guint i = 0; blocks && i < blocks->len; i++)
    if (hotplug_platform_block_is_online (platform, g_array_index (blocks, guint, i)))
      g_array_append_val (online, g_array_index (blocks, guint, i));
  /* under hotplug-sim the processes' and IRQs' affinities name the real
   * CPUs, which the simulated numbering does not share: a process another
   * program pins to the real cpu1 is nothing the simulated cpu1 holds */
  facts = hotplug_blocker_facts_new (key, g_getenv (HOTPLUG_ENV_SIM_ROOT) ? NULL : hotplug_unit_get_cpu_list (unit),
                                     online, hotplug_dbus_unit_get_pci_devices (iface));
  facts->blocks_known_online = TRUE;
  if (online->len > 0)
    {
      guint64 total = blocks_online (platform);

      facts->other_online = total > online->len ? (gint64) (total - online->len) : 0;
    }
  return facts;
}

HotplugBlockerFacts *
hotplug_blockers_facts_of_domain (HotplugDomain *domain)
{
  g_autofree char *key = key_of (domain);

  return hotplug_blocker_facts_new (key, NULL, NULL,
                                    hotplug_dbus_domain_get_pci_devices (HOTPLUG_DBUS_DOMAIN (domain)));
}

/* --- applying results (main thread) -------------------------------------- */

static void
apply (HotplugBlockersWatch *self, guint64 serial, const char *key, GPtrArray *blockers)
{
  gpointer last = g_hash_table_lookup (self->applied, key);
  HotplugUnit *unit;
  HotplugDomain *domain;

  if (last && *(guint64 *) last > serial)
    return;
  g_hash_table_replace (self->applied, g_strdup (key), g_memdup2 (&serial, sizeof serial));
  if (g_str_has_prefix (key, "unit/") &&
      (unit = hotplug_platform_lookup_unit (self->platform, key + strlen ("unit/"))))
    hotplug_unit_update_blockers (unit, hotplug_blockers_to_variant (blockers));
  else if (g_str_has_prefix (key, "domain/") &&
           (domain = hotplug_platform_lookup_domain (self->platform, key + strlen ("domain/"))))
    hotplug_domain_update_blockers (domain, hotplug_blockers_to_variant (blockers));
}

/* Not a reference: disposing the watch cancels its scans, and a cancelled
 * scan's callback no longer looks at it. */
typedef struct
{
  HotplugBlockersWatch *watch;
  guint64               serial;
  GPtrArray            *keys;   /* char *, in the order of the facts */
} Scan;

static void
scan_free (Scan *scan)
{
  g_ptr_array_unref (scan->keys);
  g_free (scan);
}

static Scan *
scan_new (HotplugBlockersWatch *self, GPtrArray *facts)
{
  Scan *scan = g_new0 (Scan, 1);

  scan->watch = self;
  scan->serial = ++self->serial;
  scan->keys = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < facts->len; i++)
    g_ptr_array_add (scan->keys, g_strdup (((HotplugBlockerFacts *) g_ptr_array_index (facts, i))->id));
  return scan;
}

static void
scan_apply (Scan *scan, GPtrArray *results)
{
  for (guint i = 0; results && i < results->len && i < scan->keys->len; i++)
    apply (scan->watch, scan->serial, g_ptr_array_index (scan->keys, i), g_ptr_array_index (results, i));
}

/* --- refreshes ------------------------------------------------------------ */

/* Which units' blockers a change can change besides the changed one's own:
 * a CPU going offline breaks the affinity of the processes pinned to it
 * alone (the kernel lets them run anywhere), which other CPUs' units see;
 * the online memory of one unit is the "last online memory" of all. */
typedef enum
{
  NEED_CPUS = 1 << 0,
  NEED_MEMORY = 1 << 1,
  NEED_DEVICES = 1 << 2,
  NEED_ALL = NEED_CPUS | NEED_MEMORY | NEED_DEVICES,
} Need;

static void schedule (HotplugBlockersWatch *self);

static void
on_refreshed (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Scan *scan = user_data;
  HotplugBlockersWatch *self = scan->watch;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = hotplug_blockers_scan_finish (res, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      scan_free (scan);
      return;
    }
  self->running = FALSE;
  if (results == NULL)
    hotplug_log_full (G_LOG_LEVEL_WARNING, TOPIC, NULL, NULL, NULL, NULL,
                      "cannot refresh the blockers: %s", error->message);
  else
    scan_apply (scan, results);
  if (self->need || g_hash_table_size (self->changed))
    schedule (self);
  scan_free (scan);
}

static gboolean
unit_needed (HotplugUnit *unit, guint need, GHashTable *changed)
{
  g_autofree char *key = key_of (unit);
  HotplugDbusUnit *iface = HOTPLUG_DBUS_UNIT (unit);
  const char *ranges = hotplug_dbus_unit_get_memory_ranges (iface);
  const char *const *pci = hotplug_dbus_unit_get_pci_devices (iface);

  return need == NEED_ALL || (changed && g_hash_table_contains (changed, key)) ||
         ((need & NEED_CPUS) && hotplug_unit_get_cpu_list (unit)->len > 0) ||
         ((need & NEED_MEMORY) && ranges && *ranges) || ((need & NEED_DEVICES) && pci && pci[0]);
}

/* The facts of the units and domains a refresh for NEED and CHANGED reads
 * (every one for NEED_ALL). */
static GPtrArray *
facts_for (HotplugBlockersWatch *self, guint need, GHashTable *changed)
{
  g_autoptr(GPtrArray) units = hotplug_platform_get_units (self->platform);
  g_autoptr(GPtrArray) domains = hotplug_platform_get_domains (self->platform);
  GPtrArray *facts = g_ptr_array_new_with_free_func ((GDestroyNotify) hotplug_blocker_facts_free);

  for (guint i = 0; i < units->len; i++)
    if (unit_needed (g_ptr_array_index (units, i), need, changed))
      g_ptr_array_add (facts, hotplug_blockers_facts_of_unit (self->platform, g_ptr_array_index (units, i)));
  for (guint i = 0; i < domains->len; i++)
    {
      HotplugDomain *domain = g_ptr_array_index (domains, i);
      g_autofree char *key = key_of (domain);

      if ((need & NEED_DEVICES) || (changed && g_hash_table_contains (changed, key)))
        g_ptr_array_add (facts, hotplug_blockers_facts_of_domain (domain));
    }
  return facts;
}

static GPtrArray *
all_facts (HotplugBlockersWatch *self)
{
  return facts_for (self, NEED_ALL, NULL);
}

static gboolean
refresh_now (gpointer user_data)
{
  HotplugBlockersWatch *self = user_data;
  GPtrArray *facts = facts_for (self, self->need, self->changed);

  self->soon_id = 0;
  self->need = 0;
  g_hash_table_remove_all (self->changed);
  self->running = TRUE;
  hotplug_blockers_scan_async (facts, self->cancellable, on_refreshed, scan_new (self, facts));
  return G_SOURCE_REMOVE;
}

/* Start-up's first scan, in a thread of its own (a thread of GLib's pool
 * is made by its spawner thread while the caller waits: 2-5 ms under load
 * at start-up); its source is made ready when the results are in. */
static gboolean
prime_source_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  return callback (user_data);
}

static GSourceFuncs prime_source_funcs = { NULL, NULL, prime_source_dispatch, NULL, NULL, NULL };

typedef struct _Prime Prime;
struct _Prime
{
  GThread   *thread;
  GPtrArray *facts;
  GPtrArray *results;
  Scan      *scan;
  GSource   *done;     /* ready once the results are in */
  gint64     begun;    /* monotonic */
};

static gpointer
prime_thread (gpointer data)
{
  Prime *p = data;

  p->results = hotplug_blockers_scan (p->facts);
  /* thread-safe: wakes the main context */
  g_source_set_ready_time (p->done, 0);
  return NULL;
}

/* Waits for the thread: a scan cannot be interrupted, and is short. */
static void
prime_free (Prime *p)
{
  if (p->thread)
    g_thread_join (p->thread);
  g_source_destroy (p->done);
  g_source_unref (p->done);
  g_ptr_array_unref (p->facts);
  g_clear_pointer (&p->results, g_ptr_array_unref);
  scan_free (p->scan);
  g_free (p);
}

/* The first Blockers are applied as soon as they are found, before the
 * objects are on the bus (nothing is announced); "primed" then tells the
 * manager it may ask for the name. */
static gboolean
on_primed (gpointer user_data)
{
  HotplugBlockersWatch *self = user_data;
  Prime *p = g_steal_pointer (&self->prime);

  g_thread_join (g_steal_pointer (&p->thread));
  hotplug_message (TOPIC, "start-up: first blockers of %u units and domains found in %.1f ms, in a thread",
                   p->scan->keys->len, (g_get_monotonic_time () - p->begun) / 1000.0);
  self->running = FALSE;
  scan_apply (p->scan, p->results);
  prime_free (p);
  g_signal_emit (self, signals[SIGNAL_PRIMED], 0);
  if (self->need || g_hash_table_size (self->changed))
    schedule (self);
  return G_SOURCE_REMOVE;
}

void
hotplug_blockers_watch_prime (HotplugBlockersWatch *self)
{
  Prime *p;

  g_return_if_fail (HOTPLUG_IS_BLOCKERS_WATCH (self));
  g_return_if_fail (!self->running && !self->started && self->prime == NULL);

  p = g_new0 (Prime, 1);
  p->facts = all_facts (self);
  p->scan = scan_new (self, p->facts);
  p->begun = g_get_monotonic_time ();
  p->done = g_source_new (&prime_source_funcs, sizeof (GSource));
  g_source_set_callback (p->done, on_primed, self, NULL);
  g_source_set_ready_time (p->done, -1);
  g_source_attach (p->done, g_main_context_get_thread_default ());
  self->prime = p;
  self->running = TRUE;
  p->thread = g_thread_new ("blockers", prime_thread, p);
}

static void
schedule (HotplugBlockersWatch *self)
{
  if (!self->started || self->running)
    return;
  if (self->soon_id == 0)
    self->first_asked = g_get_monotonic_time ();
  else if (g_get_monotonic_time () - self->first_asked < MAX_DELAY_US)
    g_clear_handle_id (&self->soon_id, g_source_remove);
  else
    return;
  self->soon_id = g_timeout_add (COALESCE_MS, refresh_now, self);
}

/* A refresh of the facts of kinds NEED and of object KEY (or none). */
static void
request (HotplugBlockersWatch *self, guint need, const char *key)
{
  self->need |= need;
  if (key)
    g_hash_table_add (self->changed, g_strdup (key));
  schedule (self);
}

void
hotplug_blockers_watch_refresh (HotplugBlockersWatch *self)
{
  g_return_if_fail (HOTPLUG_IS_BLOCKERS_WATCH (self));
  request (self, NEED_ALL, NULL);
}

static gboolean
on_interval (gpointer user_data)
{
  request (user_data, NEED_ALL, NULL);
  return G_SOURCE_CONTINUE;
}

static void
arm_interval (HotplugBlockersWatch *self)
{
  g_clear_handle_id (&self->interval_id, g_source_remove);
  if (self->started && self->interval > 0)
    self->interval_id = g_timeout_add_full (G_PRIORITY_LOW, (guint) (self->interval * 1000), on_interval,
                                            self, NULL);
}

void
hotplug_blockers_watch_set_interval (HotplugBlockersWatch *self, double seconds)
{
  g_return_if_fail (HOTPLUG_IS_BLOCKERS_WATCH (self));
  self->interval = seconds;
  arm_interval (self);
}

/* The mount table and the swap areas announce changes themselves: poll()
 * reports POLLPRI|POLLERR on their /proc files after each change. */
static gboolean
on_proc_changed (int fd, GIOCondition condition, gpointer user_data)
{
  /* what is mounted or swapped on: the disks below PCI devices */
  request (user_data, NEED_DEVICES, NULL);
  return G_SOURCE_CONTINUE;
}

/* An interface up or down: the netdev blockers of the units with PCI
 * devices (the state is read from sysfs, which sends no uevent for it). */
static void
on_link_changed (gpointer user_data)
{
  request (user_data, NEED_DEVICES, NULL);
}

void
hotplug_blockers_watch_start (HotplugBlockersWatch *self)
{
  const char *files[] = { "/proc/self/mountinfo", "/proc/swaps" };

  g_return_if_fail (HOTPLUG_IS_BLOCKERS_WATCH (self));
  if (self->started)
    return;
  self->started = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      self->fds[i] = open (files[i], O_RDONLY | O_CLOEXEC);
      if (self->fds[i] >= 0)
        self->fd_ids[i] = g_unix_fd_add (self->fds[i], G_IO_PRI | G_IO_ERR, on_proc_changed, self);
    }
  self->links = hotplug_link_watch_new (on_link_changed, self);
  arm_interval (self);
  request (self, NEED_ALL, NULL);
}

/* --- the model ----------------------------------------------------------- */

/* A unit's or a domain's own change: its facts, and those of the others
 * it may change (Need). */
static void
on_model_changed (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  const char *name = g_param_spec_get_name (pspec);
  g_autofree char *key = key_of (object);
  guint need = 0;

  if (g_str_equal (name, "cpus") || g_str_equal (name, "cpus-online"))
    need = NEED_CPUS;
  else if (g_str_equal (name, "memory-ranges") || g_str_equal (name, "memory-blocks-online"))
    need = NEED_MEMORY;
  request (user_data, need, key);
}

static void
on_unit_added (HotplugPlatform *platform, HotplugUnit *unit, gpointer user_data)
{
  const char *const props[] = { "notify::pci-devices", "notify::cpus", "notify::memory-ranges",
                                "notify::state", "notify::cpus-online", "notify::memory-blocks-online" };

  for (guint i = 0; i < G_N_ELEMENTS (props); i++)
    g_signal_connect_object (unit, props[i], G_CALLBACK (on_model_changed), user_data, 0);
  request (user_data, NEED_ALL, NULL);
}

static void
on_domain_added (HotplugPlatform *platform, HotplugDomain *domain, gpointer user_data)
{
  g_signal_connect_object (domain, "notify::pci-devices", G_CALLBACK (on_model_changed), user_data, 0);
  request (user_data, NEED_ALL, NULL);
}

static void
on_unit_removed (HotplugPlatform *platform, HotplugUnit *unit, gpointer user_data)
{
  HotplugBlockersWatch *self = user_data;
  g_autofree char *key = key_of (unit);

  g_hash_table_remove (self->applied, key);
}

/* --- the check of a Remove ------------------------------------------------ */

/* A check scans afresh, after its call came in; checks that come in while
 * one scans wait and share the next scan.  A flood of calls (callers
 * polkit then refuses among them) costs two scans at a time, not one
 * each, and delays no one's answer by more than one scan. */
typedef struct
{
  GPtrArray *tasks;   /* GTask, each with its HotplugBlockerFacts */
  Scan      *scan;
} Batch;

static void check_batch_start (HotplugBlockersWatch *self);

static void
on_batch_scanned (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Batch *b = user_data;
  HotplugBlockersWatch *self = b->scan->watch;
  GError *error = NULL;
  g_autoptr(GPtrArray) results = hotplug_blockers_scan_finish (res, &error);

  if (results)
    scan_apply (b->scan, results);
  for (guint i = 0; i < b->tasks->len; i++)
    {
      GTask *task = g_ptr_array_index (b->tasks, i);

      if (results)
        g_task_return_pointer (task, g_ptr_array_ref (g_ptr_array_index (results, i)),
                               (GDestroyNotify) g_ptr_array_unref);
      else
        g_task_return_error (task, g_error_copy (error));
    }
  g_ptr_array_unref (b->tasks);
  scan_free (b->scan);
  g_free (b);
  self->checking = FALSE;
  if (results == NULL)
    {
      /* cancelled (the watch goes): those waiting are told so too */
      while (self->check_waiting->len)
        {
          g_autoptr(GTask) task = g_ptr_array_steal_index (self->check_waiting, 0);

          g_task_return_error (task, g_error_copy (error));
        }
    }
  else if (self->check_waiting->len)
    check_batch_start (self);
  g_clear_error (&error);
}

static void
check_batch_start (HotplugBlockersWatch *self)
{
  Batch *b = g_new0 (Batch, 1);
  GPtrArray *facts = g_ptr_array_new ();

  b->tasks = g_steal_pointer (&self->check_waiting);
  self->check_waiting = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < b->tasks->len; i++)
    g_ptr_array_add (facts, g_task_get_task_data (g_ptr_array_index (b->tasks, i)));
  b->scan = scan_new (self, facts);
  self->checking = TRUE;
  self->check_scans++;
  /* the tasks keep the facts until the scan is over */
  hotplug_blockers_scan_async (facts, self->cancellable, on_batch_scanned, b);
}

static void
check_async (HotplugBlockersWatch *self, HotplugBlockerFacts *one, GAsyncReadyCallback callback,
             gpointer user_data)
{
  GTask *task = g_task_new (self, self->cancellable, callback, user_data);

  g_task_set_source_tag (task, hotplug_blockers_watch_check_async);
  g_task_set_task_data (task, one, (GDestroyNotify) hotplug_blocker_facts_free);
  g_ptr_array_add (self->check_waiting, task);
  if (!self->checking)
    check_batch_start (self);
}

void
hotplug_blockers_watch_check_async (HotplugBlockersWatch *self, HotplugUnit *unit,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
  check_async (self, hotplug_blockers_facts_of_unit (self->platform, unit), callback, user_data);
}

void
hotplug_blockers_watch_check_domain_async (HotplugBlockersWatch *self, HotplugDomain *domain,
                                           GAsyncReadyCallback callback, gpointer user_data)
{
  check_async (self, hotplug_blockers_facts_of_domain (domain), callback, user_data);
}

guint
hotplug_blockers_watch_get_check_scans (HotplugBlockersWatch *self)
{
  return self->check_scans;
}

GPtrArray *
hotplug_blockers_watch_check_finish (HotplugBlockersWatch *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --- object --------------------------------------------------------------- */

static void
hotplug_blockers_watch_dispose (GObject *object)
{
  HotplugBlockersWatch *self = HOTPLUG_BLOCKERS_WATCH (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_pointer (&self->prime, prime_free);
  g_clear_handle_id (&self->soon_id, g_source_remove);
  g_clear_handle_id (&self->interval_id, g_source_remove);
  for (guint i = 0; i < G_N_ELEMENTS (self->fds); i++)
    {
      g_clear_handle_id (&self->fd_ids[i], g_source_remove);
      if (self->fds[i] >= 0)
        close (self->fds[i]);
      self->fds[i] = -1;
    }
  g_clear_pointer (&self->links, hotplug_link_watch_free);
  if (self->platform)
    g_signal_handlers_disconnect_by_data (self->platform, self);
  g_clear_object (&self->platform);
  G_OBJECT_CLASS (hotplug_blockers_watch_parent_class)->dispose (object);
}

static void
hotplug_blockers_watch_finalize (GObject *object)
{
  HotplugBlockersWatch *self = HOTPLUG_BLOCKERS_WATCH (object);

  g_clear_object (&self->cancellable);
  g_hash_table_unref (self->applied);
  g_hash_table_unref (self->changed);
  g_ptr_array_unref (self->check_waiting);
  G_OBJECT_CLASS (hotplug_blockers_watch_parent_class)->finalize (object);
}

static void
hotplug_blockers_watch_class_init (HotplugBlockersWatchClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = hotplug_blockers_watch_dispose;
  G_OBJECT_CLASS (klass)->finalize = hotplug_blockers_watch_finalize;
  signals[SIGNAL_PRIMED] = g_signal_new ("primed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                         NULL, NULL, G_TYPE_NONE, 0);
}

static void
hotplug_blockers_watch_init (HotplugBlockersWatch *self)
{
  self->cancellable = g_cancellable_new ();
  self->applied = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->check_waiting = g_ptr_array_new_with_free_func (g_object_unref);
  self->changed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->interval = 0;
  self->fds[0] = self->fds[1] = -1;
}

HotplugBlockersWatch *
hotplug_blockers_watch_new (HotplugPlatform *platform)
{
  HotplugBlockersWatch *self = g_object_new (HOTPLUG_TYPE_BLOCKERS_WATCH, NULL);
  g_autoptr(GPtrArray) units = hotplug_platform_get_units (platform);
  g_autoptr(GPtrArray) domains = hotplug_platform_get_domains (platform);

  self->platform = g_object_ref (platform);
  g_signal_connect (platform, "unit-added", G_CALLBACK (on_unit_added), self);
  g_signal_connect (platform, "unit-removed", G_CALLBACK (on_unit_removed), self);
  g_signal_connect (platform, "domain-added", G_CALLBACK (on_domain_added), self);
  for (guint i = 0; i < units->len; i++)
    on_unit_added (platform, g_ptr_array_index (units, i), self);
  for (guint i = 0; i < domains->len; i++)
    on_domain_added (platform, g_ptr_array_index (domains, i), self);
  return self;
}
