/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading machine descriptions: lines, errors that name them, numbers,
 * booleans, lists and PCI addresses. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hotplug-sim-desc.h"
#include "hotplug-util.h"

guint
desc_line (Desc *d, const char *group, const char *key)
{
  g_autofree char *k = key ? g_strdup_printf ("%s\n%s", group, key) : g_strdup (group);

  return GPOINTER_TO_UINT (g_hash_table_lookup (d->lines, k));
}

gboolean G_GNUC_PRINTF (5, 6)
desc_error (Desc *d, GError **error, const char *group, const char *key, const char *fmt, ...)
{
  g_autofree char *msg = NULL;
  g_autofree char *place = NULL;
  guint line;
  va_list ap;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  line = desc_line (d, group, key);
  /* a group or key the file does not have (a default): no line to name */
  place = line ? g_strdup_printf ("%s:%u", d->file, line) : g_strdup (d->file);
  if (key)
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                 "%s: [%s] key '%s': %s", place, group, key, msg);
  else
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                 "%s: [%s]: %s", place, group, msg);
  return FALSE;
}

gboolean
desc_index (Desc *d, const char *text, GError **error)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autofree char *group = NULL;

  for (guint i = 0; lines[i]; i++)
    {
      g_autofree char *l = g_strstrip (g_strdup (lines[i]));
      char *eq;

      /* names and ids become paths, host names and D-Bus strings */
      if (!g_utf8_validate (lines[i], -1, NULL))
        return g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_UNKNOWN_ENCODING,
                            "%s:%u: not valid UTF-8", d->file, i + 1), FALSE;
      if (*l == '\0' || *l == '#')
        continue;
      if (*l == '[')
        {
          gsize n = strlen (l);
          if (n < 3 || l[n - 1] != ']')
            return g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE,
                                "%s:%u: malformed group header '%s'", d->file, i + 1, l), FALSE;
          g_free (group);
          group = g_strndup (l + 1, n - 2);
          if (g_hash_table_contains (d->lines, group))
            return g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
                                "%s:%u: [%s]: duplicate group (first at line %u)", d->file, i + 1,
                                group, desc_line (d, group, NULL)), FALSE;
          g_hash_table_insert (d->lines, g_strdup (group), GUINT_TO_POINTER (i + 1));
          continue;
        }
      eq = strchr (l, '=');
      if (eq == NULL || group == NULL)
        return g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE,
                            "%s:%u: '%s' is neither a group header nor a key=value line",
                            d->file, i + 1, l), FALSE;
      *eq = '\0';
      g_strstrip (l);
      {
        g_autofree char *k = g_strdup_printf ("%s\n%s", group, l);
        if (g_hash_table_contains (d->lines, k))
          return g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
                              "%s:%u: [%s] key '%s': duplicate key (first at line %u)", d->file,
                              i + 1, group, l, desc_line (d, group, l)), FALSE;
        g_hash_table_insert (d->lines, g_steal_pointer (&k), GUINT_TO_POINTER (i + 1));
      }
    }
  return TRUE;
}

gboolean
desc_check_keys (Desc *d, const char *group, const char * const *allowed, GError **error)
{
  g_auto(GStrv) keys = g_key_file_get_keys (d->kf, group, NULL, NULL);

  for (guint i = 0; keys && keys[i]; i++)
    if (!g_strv_contains (allowed, keys[i]))
      return desc_error (d, error, group, keys[i], "unknown key");
  return TRUE;
}

/* Numbers: decimal, 0x hex, or a size with K/M/G/T (binary units). */
gboolean
desc_get_number (Desc *d, const char *group, const char *key, gboolean size, gboolean *found,
            guint64 def, guint64 max, guint64 *out, GError **error)
{
  g_autofree char *v = g_key_file_get_value (d->kf, group, key, NULL);
  guint64 n, mult = 1;
  char *end;

  *out = def;
  if (found)
    *found = v != NULL;
  if (v == NULL)
    return TRUE;
  g_strstrip (v);
  errno = 0;
  if (!g_ascii_isdigit (v[0]))
    return desc_error (d, error, group, key, "'%s' is not a number", v);
  n = g_ascii_strtoull (v, &end, 0);
  if (size && *end)
    {
      switch (g_ascii_toupper (*end))
        {
        case 'K': mult = 1ull << 10; break;
        case 'M': mult = 1ull << 20; break;
        case 'G': mult = 1ull << 30; break;
        case 'T': mult = 1ull << 40; break;
        default: mult = 0; break;
        }
      if (mult)
        end++;
    }
  if (errno || *end || mult == 0 || n > max / mult)
    return desc_error (d, error, group, key, "'%s' is not a valid number%s", v,
                       size ? " or size" : "");
  *out = n * mult;
  return TRUE;
}

gboolean
desc_get_bool (Desc *d, const char *group, const char *key, gboolean def, gboolean *out, GError **error)
{
  g_autofree char *v = g_key_file_get_value (d->kf, group, key, NULL);

  *out = def;
  if (v == NULL)
    return TRUE;
  g_strstrip (v);
  if (g_str_equal (v, "true") || g_str_equal (v, "1"))
    *out = TRUE;
  else if (g_str_equal (v, "false") || g_str_equal (v, "0"))
    *out = FALSE;
  else
    return desc_error (d, error, group, key, "'%s' is not a boolean (true or false)", v);
  return TRUE;
}

gboolean
desc_get_list (Desc *d, const char *group, const char *key, GArray **out, GError **error)
{
  g_autofree char *v = g_key_file_get_value (d->kf, group, key, NULL);
  g_autoptr(GError) e = NULL;

  *out = NULL;
  if (v == NULL)
    return TRUE;
  *out = hotplug_list_parse (v, &e);
  if (*out == NULL)
    return desc_error (d, error, group, key, "'%s' is not a list such as 0-3,8: %s", v, e->message);
  return TRUE;
}

/* "SSSS:BB" */
gboolean
desc_parse_bus (const char *s, guint *domain, guint *bus)
{
  char *end;
  guint64 a, b;

  if (strlen (s) != 7 || s[4] != ':' || !g_ascii_isxdigit (s[0]))
    return FALSE;
  a = g_ascii_strtoull (s, &end, 16);
  if (end != s + 4)
    return FALSE;
  b = g_ascii_strtoull (s + 5, &end, 16);
  if (*end || !g_ascii_isxdigit (s[5]))
    return FALSE;
  *domain = a;
  *bus = b;
  return TRUE;
}

/* "SSSS:BB:DD.F" */
gboolean
desc_parse_bdf (const char *s, guint *domain, guint *bus, guint *devfn)
{
  g_autofree char *b = NULL;
  char *end;
  guint64 dev, fn;

  if (strlen (s) != 12 || s[7] != ':' || s[10] != '.')
    return FALSE;
  b = g_strndup (s, 7);
  if (!desc_parse_bus (b, domain, bus) || !g_ascii_isxdigit (s[8]) || !g_ascii_isxdigit (s[11]))
    return FALSE;
  dev = g_ascii_strtoull (s + 8, &end, 16);
  if (end != s + 10 || dev > 31)
    return FALSE;
  fn = g_ascii_strtoull (s + 11, &end, 16);
  if (*end || fn > 7)
    return FALSE;
  *devfn = (dev << 3) | fn;
  return TRUE;
}

