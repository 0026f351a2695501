/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Enums travel as their nicks. */
const char *hotplug_enum_to_string (GType enum_type, int value);
gboolean    hotplug_enum_from_string (GType enum_type, const char *nick, int *value);

/* Kernel "list form": "0-3,8,10-11".  The set is a sorted array of guint
 * without duplicates. */
GArray     *hotplug_list_parse (const char *text, GError **error);
char       *hotplug_list_format (const guint *values, gsize n);
char       *hotplug_list_format_array (GArray *values);

/* sysfs access.  Every sysfs path the project opens goes through
 * hotplug_sysfs_path(), which puts the root prefix in front (empty on a real
 * system; a directory in unit tests). */
void        hotplug_sysfs_set_root (const char *root);
const char *hotplug_sysfs_get_root (void);
char       *hotplug_sysfs_path (const char *path);
char       *hotplug_sysfs_build (const char *first, ...) G_GNUC_NULL_TERMINATED;

/* Read an attribute, stripped of trailing white space.  Reads with plain
 * syscalls (no stdio), so it is cheap enough for tens of thousands of files. */
char       *hotplug_sysfs_read (const char *path, GError **error);
gboolean    hotplug_sysfs_read_u64 (const char *path, guint64 *value, GError **error);
/* Write an attribute the way the kernel wants it: O_TRUNC, one write(). */
gboolean    hotplug_sysfs_write (const char *path, const char *value, GError **error);

/* Strip the root prefix from an absolute path, for display. */
const char *hotplug_sysfs_unroot (const char *path);

G_END_DECLS
