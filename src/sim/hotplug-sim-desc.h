/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* GKeyFile forgets line numbers and silently merges duplicate groups and
 * keys, so a small pass of our own indexes every line first: it checks the
 * syntax, refuses duplicates and lets every later error name its line. */
typedef struct {
  const char *file;
  GHashTable *lines;   /* "group" or "group\nkey" -> line number */
  GKeyFile   *kf;
} Desc;

guint     desc_line (Desc *d, const char *group, const char *key);
/* Sets ERROR to "FILE:LINE: [group] key 'key': message"; returns FALSE. */
gboolean  desc_error (Desc *d, GError **error, const char *group, const char *key, const char *fmt, ...)
          G_GNUC_PRINTF (5, 6);
gboolean  desc_index (Desc *d, const char *text, GError **error);
gboolean  desc_check_keys (Desc *d, const char *group, const char * const *allowed, GError **error);
/* Numbers: decimal, 0x hex, or a size with K/M/G/T (binary units). */
gboolean  desc_get_number (Desc *d, const char *group, const char *key, gboolean size, gboolean *found,
                           guint64 def, guint64 max, guint64 *out, GError **error);
gboolean  desc_get_bool (Desc *d, const char *group, const char *key, gboolean def, gboolean *out,
                         GError **error);
gboolean  desc_get_list (Desc *d, const char *group, const char *key, GArray **out, GError **error);
/* "SSSS:BB", "SSSS:BB:DD.F" */
gboolean  desc_parse_bus (const char *s, guint *domain, guint *bus);
gboolean  desc_parse_bdf (const char *s, guint *domain, guint *bus, guint *devfn);

G_END_DECLS
