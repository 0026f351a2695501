/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include "hotplug-enum-types.h"
#include "hotplug-log.h"
#include "hotplug-names.h"
#include "hotplug-platform-private.h"
#include "hotplug-util.h"

/* The locations of boards and I/O units.  A unit's identity is its
 * location, not the part in it: after an ACPI eject (or a surprise pull)
 * Linux deletes the container and its ACPI node, so sysfs no longer shows
 * that the firmware still describes the slot the board sat in.  hotplugd
 * remembers every board and I/O unit location it has seen — for its whole
 * life and, when a state directory is set, across restarts in
 * STATE_DIRECTORY/units.ini — and keeps such a unit on the bus as `absent`
 * until a part is inserted there again.  A location is forgotten only by
 * removing it from that file while hotplugd is stopped: Linux offers no
 * event that says the firmware stopped describing it.
 *
 * units.ini is a GKeyFile, written atomically when the set changes:
 *   [units]
 *   version=1
 *   [location sb1]
 *   kind=sb
 *   uid=1
 *   container=ACPI0004:01
 *   sysfs-path=/sys/devices/system/container/ACPI0004:01
 * A file that cannot be read, or of a newer version, is set aside as
 * units.ini.unreadable (logged), never a reason not to start. */

#define TOPIC HOTPLUG_PLATFORM_TOPIC
#define UNITS_VERSION 1
#define GROUP_PREFIX "location "

struct _HotplugLocation
{
  HotplugUnitKind kind;
  char           *id;
  char           *uid;
  char           *container;
  char           *sysfs_path;
};

void
hotplug_location_free (HotplugLocation *loc)
{
  g_free (loc->id);
  g_free (loc->uid);
  g_free (loc->container);
  g_free (loc->sysfs_path);
  g_free (loc);
}

const char *
hotplug_location_get_id (const HotplugLocation *loc)
{
  return loc->id;
}

HotplugUnitKind
hotplug_location_get_kind (const HotplugLocation *loc)
{
  return loc->kind;
}

const char *
hotplug_location_get_sysfs_path (const HotplugLocation *loc)
{
  return loc->sysfs_path;
}

static void
set_aside (HotplugPlatform *self, const char *why)
{
  g_autofree char *aside = g_strconcat (self->state_file, ".unreadable", NULL);

  hotplug_log_full (G_LOG_LEVEL_WARNING, TOPIC, NULL, NULL, NULL, NULL,
                    "%s: %s; set aside as %s, the locations of absent boards and I/O units "
                    "are forgotten", self->state_file, why, aside);
  if (g_rename (self->state_file, aside) < 0)
    hotplug_warning (TOPIC, "cannot set %s aside: %s", self->state_file, g_strerror (errno));
}

static gboolean
load_group (HotplugPlatform *self, GKeyFile *kf, const char *group, GError **error)
{
  g_autofree char *kind = g_key_file_get_string (kf, group, "kind", error);
  g_autofree char *uid = kind ? g_key_file_get_string (kf, group, "uid", error) : NULL;
  g_autofree char *container = uid ? g_key_file_get_string (kf, group, "container", error) : NULL;
  g_autofree char *path = container ? g_key_file_get_string (kf, group, "sysfs-path", error) : NULL;
  const char *id = group + strlen (GROUP_PREFIX);
  HotplugLocation *loc;

  if (path == NULL)
    return FALSE;
  if (!(g_str_equal (kind, "sb") || g_str_equal (kind, "iou")) || !g_str_has_prefix (id, kind) ||
      !g_str_equal (id + strlen (kind), uid) || !hotplug_id_is_valid (id, NULL))
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "[%s] is not a board or I/O unit location", group);
      return FALSE;
    }
  loc = g_new0 (HotplugLocation, 1);
  loc->kind = g_str_equal (kind, "sb") ? HOTPLUG_UNIT_KIND_SB : HOTPLUG_UNIT_KIND_IOU;
  loc->id = g_strdup (id);
  loc->uid = g_steal_pointer (&uid);
  loc->container = g_steal_pointer (&container);
  loc->sysfs_path = g_steal_pointer (&path);
  g_hash_table_replace (self->locations, loc->id, loc);
  return TRUE;
}

static gboolean
load (HotplugPlatform *self, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_auto(GStrv) groups = NULL;
  g_autoptr(GError) local = NULL;
  gint64 version;

  if (!g_key_file_load_from_file (kf, self->state_file, G_KEY_FILE_NONE, error))
    return FALSE;
  version = g_key_file_get_int64 (kf, "units", "version", &local);
  if (local)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (version < 1)
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "version %" G_GINT64_FORMAT " is not a version of this file", version);
      return FALSE;
    }
  if (version > UNITS_VERSION)
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "version %" G_GINT64_FORMAT " is newer than this hotplugd understands (%d)",
                   version, UNITS_VERSION);
      return FALSE;
    }
  groups = g_key_file_get_groups (kf, NULL);
  for (guint i = 0; groups[i]; i++)
    if (g_str_has_prefix (groups[i], GROUP_PREFIX) && !load_group (self, kf, groups[i], error))
      return FALSE;
  return TRUE;
}

static void
locations_load (HotplugPlatform *self)
{
  g_autoptr(GError) error = NULL;

  if (self->state_file == NULL || !g_file_test (self->state_file, G_FILE_TEST_EXISTS))
    return;
  if (!load (self, &error))
    {
      g_hash_table_remove_all (self->locations);
      set_aside (self, error->message);
      return;
    }
  hotplug_debug (TOPIC, "%u board and I/O unit locations from %s", g_hash_table_size (self->locations),
                 self->state_file);
}

static int
cmp_location (gconstpointer a, gconstpointer b)
{
  return strcmp ((*(HotplugLocation *const *) a)->id, (*(HotplugLocation *const *) b)->id);
}

static void
save (HotplugPlatform *self)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GPtrArray) all = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;

  if (self->state_file == NULL)
    return;
  g_key_file_set_comment (kf, NULL, NULL, " hotplugd: board and I/O unit locations seen (see hotplugd(8))", NULL);
  g_key_file_set_integer (kf, "units", "version", UNITS_VERSION);
  g_hash_table_iter_init (&iter, self->locations);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (all, value);
  g_ptr_array_sort (all, cmp_location);
  for (guint i = 0; i < all->len; i++)
    {
      HotplugLocation *loc = g_ptr_array_index (all, i);
      g_autofree char *group = g_strconcat (GROUP_PREFIX, loc->id, NULL);

      g_key_file_set_string (kf, group, "kind", loc->kind == HOTPLUG_UNIT_KIND_SB ? "sb" : "iou");
      g_key_file_set_string (kf, group, "uid", loc->uid);
      g_key_file_set_string (kf, group, "container", loc->container);
      g_key_file_set_string (kf, group, "sysfs-path", loc->sysfs_path);
    }
  dir = g_path_get_dirname (self->state_file);
  if (g_mkdir_with_parents (dir, 0755) < 0 || !g_key_file_save_to_file (kf, self->state_file, &error))
    hotplug_log_ratelimited (G_LOG_LEVEL_WARNING, self->state_file, TOPIC, NULL, NULL, NULL,
                             "cannot write %s (%s): absent boards and I/O units will be forgotten "
                             "when hotplugd restarts", self->state_file,
                             error ? error->message : g_strerror (errno));
}

/* Whether a container that shows no CPUs or memory (yet) is a board all
 * the same: a board being inserted again announces its container before
 * its processors and memory devices.  Boards and I/O units number their
 * uids independently (sb0 and iou0 both have uid 0): only a board's own
 * container, by name, is taken for it. */
gboolean
hotplug_platform_location_is_board (HotplugPlatform *self, HotplugContainer *c)
{
  g_autofree char *sb = g_strconcat ("sb", c->uid, NULL);
  HotplugLocation *loc = g_hash_table_lookup (self->locations, sb);

  return loc != NULL && g_strcmp0 (loc->container, c->name) == 0;
}

void
hotplug_platform_location_remember (HotplugPlatform *self, HotplugUnitKind kind, const char *id,
                                    HotplugContainer *c, const char *sysfs_path)
{
  HotplugLocation *loc = g_hash_table_lookup (self->locations, id);

  if (loc && loc->kind == kind && g_str_equal (loc->container, c->name) &&
      g_str_equal (loc->sysfs_path, sysfs_path))
    return;
  if (loc == NULL)
    {
      loc = g_new0 (HotplugLocation, 1);
      loc->id = g_strdup (id);
      g_hash_table_insert (self->locations, loc->id, loc);
    }
  loc->kind = kind;
  g_free (loc->uid);
  loc->uid = g_strdup (c->uid);
  g_free (loc->container);
  loc->container = g_strdup (c->name);
  g_free (loc->sysfs_path);
  loc->sysfs_path = g_strdup (sysfs_path);
  self->locations_changed = TRUE;
}

void
hotplug_platform_locations_save (HotplugPlatform *self)
{
  if (!self->locations_changed)
    return;
  self->locations_changed = FALSE;
  save (self);
}

void
hotplug_platform_set_state_directory (HotplugPlatform *self, const char *dir)
{
  gboolean had;

  g_return_if_fail (HOTPLUG_IS_PLATFORM (self));
  g_return_if_fail (dir != NULL);

  g_free (self->state_dir);
  self->state_dir = g_strdup (dir);
  had = g_hash_table_size (self->locations) > 0;
  g_free (self->state_file);
  self->state_file = g_build_filename (dir, HOTPLUG_STATE_UNITS_FILE, NULL);
  locations_load (self);
  /* locations seen before the directory was known are written too */
  self->locations_changed = had;
}
