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

/* Text from outside (a D-Bus caller, a hook's output, sysfs, a file) made
 * fit for a D-Bus string, a message or a log field: valid UTF-8, each byte
 * that is not part of a valid character (NUL included) replaced by U+FFFD,
 * and, when MAX_BYTES is not 0 and the result would be longer, cut at a
 * character boundary with "…" at the end, MAX_BYTES bytes at most in all.
 * LEN -1: TEXT is NUL-terminated.  TEXT NULL gives "". */
char       *hotplug_utf8_sanitize (const char *text, gssize len, gsize max_bytes);

/* The longest prefix of TEXT (valid UTF-8 of LEN bytes) of at most
 * MAX_BYTES bytes that ends at a character boundary: its length. */
gsize       hotplug_utf8_boundary (const char *text, gsize len, gsize max_bytes);

/* Bytes at the end of TEXT that start a multi-byte character not complete
 * yet (0 to 3): where a stream cut at LEN bytes should rather be cut so
 * that the character stays whole for the next piece. */
gsize       hotplug_utf8_incomplete_tail (const char *text, gsize len);

/* The one rule for the id of a unit or a domain, applied both when the
 * daemon creates one and when a caller names one: 1 to
 * HOTPLUG_ID_MAX_LENGTH bytes of valid UTF-8, without '/' and without
 * control characters (C0, DEL, C1).  Spaces and non-ASCII letters are
 * allowed.  The error (HOTPLUG_ERROR_INVALID_ARGUMENT) says why, showing
 * the id sanitized and shortened. */
#define HOTPLUG_ID_MAX_LENGTH 256
gboolean    hotplug_id_is_valid (const char *id, GError **error);

G_END_DECLS
