/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>

#include "hotplug-error.h"
#include "hotplug-util.h"

const char *
hotplug_enum_to_string (GType enum_type, int value)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (enum_type);
  GEnumValue *ev = g_enum_get_value (klass, value);

  return ev ? ev->value_nick : NULL;
}

gboolean
hotplug_enum_from_string (GType enum_type, const char *nick, int *value)
{
  g_autoptr(GEnumClass) klass = NULL;
  GEnumValue *ev;

  if (nick == NULL)
    return FALSE;
  klass = g_type_class_ref (enum_type);
  ev = g_enum_get_value_by_nick (klass, nick);
  if (ev == NULL)
    return FALSE;
  if (value)
    *value = ev->value;
  return TRUE;
}

static int
cmp_uint (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;

  return x < y ? -1 : x > y;
}

GArray *
hotplug_list_parse (const char *text, GError **error)
{
  g_autoptr(GArray) out = g_array_new (FALSE, FALSE, sizeof (guint));
  const char *p = text;

  g_return_val_if_fail (text != NULL, NULL);

  while (g_ascii_isspace (*p))
    p++;
  while (*p && !g_ascii_isspace (*p))
    {
      char *end;
      guint64 lo, hi;

      errno = 0;
      if (!g_ascii_isdigit (*p))
        goto bad;
      lo = g_ascii_strtoull (p, &end, 10);
      if (errno || lo > G_MAXUINT32)
        goto bad;
      hi = lo;
      p = end;
      if (*p == '-')
        {
          p++;
          if (!g_ascii_isdigit (*p))
            goto bad;
          hi = g_ascii_strtoull (p, &end, 10);
          if (errno || hi > G_MAXUINT32 || hi < lo || hi - lo > (1u << 24))
            goto bad;
          p = end;
        }
      for (guint64 v = lo; v <= hi; v++)
        {
          guint u = (guint) v;
          g_array_append_val (out, u);
        }
      if (*p == ',')
        p++;
      else if (*p && !g_ascii_isspace (*p))
        goto bad;
    }
  while (g_ascii_isspace (*p))
    p++;
  if (*p)
    goto bad;

  g_array_sort (out, cmp_uint);
  /* drop duplicates */
  if (out->len > 1)
    {
      guint w = 1;
      for (guint r = 1; r < out->len; r++)
        if (g_array_index (out, guint, r) != g_array_index (out, guint, w - 1))
          g_array_index (out, guint, w++) = g_array_index (out, guint, r);
      g_array_set_size (out, w);
    }
  return g_steal_pointer (&out);

bad:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "malformed list '%s' at offset %d", text, (int) (p - text));
  return NULL;
}

char *
hotplug_list_format (const guint *values, gsize n)
{
  GString *s = g_string_new (NULL);
  gsize i = 0;

  while (i < n)
    {
      gsize j = i;

      while (j + 1 < n && values[j + 1] == values[j] + 1)
        j++;
      if (s->len)
        g_string_append_c (s, ',');
      if (j == i)
        g_string_append_printf (s, "%u", values[i]);
      else
        g_string_append_printf (s, "%u-%u", values[i], values[j]);
      i = j + 1;
    }
  return g_string_free (s, FALSE);
}

char *
hotplug_list_format_array (GArray *values)
{
  if (values == NULL)
    return g_strdup ("");
  return hotplug_list_format ((const guint *) (void *) values->data, values->len);
}

static char *sysfs_root = NULL;

void
hotplug_sysfs_set_root (const char *root)
{
  g_free (sysfs_root);
  sysfs_root = NULL;
  if (root && *root && !g_str_equal (root, "/"))
    {
      sysfs_root = g_strdup (root);
      while (strlen (sysfs_root) > 1 && g_str_has_suffix (sysfs_root, "/"))
        sysfs_root[strlen (sysfs_root) - 1] = '\0';
    }
}

const char *
hotplug_sysfs_get_root (void)
{
  return sysfs_root ? sysfs_root : "";
}

char *
hotplug_sysfs_path (const char *path)
{
  g_return_val_if_fail (path && path[0] == '/', NULL);
  return g_strconcat (hotplug_sysfs_get_root (), path, NULL);
}

char *
hotplug_sysfs_build (const char *first, ...)
{
  va_list ap;
  g_autofree char *joined = NULL;
  GPtrArray *parts = g_ptr_array_new ();

  va_start (ap, first);
  for (const char *p = first; p; p = va_arg (ap, const char *))
    g_ptr_array_add (parts, (gpointer) p);
  va_end (ap);
  g_ptr_array_add (parts, NULL);
  joined = g_build_filenamev ((char **) parts->pdata);
  g_ptr_array_free (parts, TRUE);
  return hotplug_sysfs_path (joined);
}

const char *
hotplug_sysfs_unroot (const char *path)
{
  const char *root = hotplug_sysfs_get_root ();
  gsize n = strlen (root);

  if (n && strncmp (path, root, n) == 0 && path[n] == '/')
    return path + n;
  return path;
}

char *
hotplug_sysfs_read (const char *path, GError **error)
{
  char buf[4096];
  GString *s = NULL;
  int fd;

  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
                   "cannot open %s: %s", path, g_strerror (e));
      return NULL;
    }
  for (;;)
    {
      ssize_t r = read (fd, buf, sizeof buf);

      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          int e = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
                       "cannot read %s: %s", path, g_strerror (e));
          close (fd);
          if (s)
            g_string_free (s, TRUE);
          return NULL;
        }
      if (r == 0)
        break;
      if (s == NULL)
        s = g_string_sized_new (r + 1);
      g_string_append_len (s, buf, r);
      /* a sysfs attribute comes whole in one read: a short one is all of
       * it (the read that would return 0 is one system call per attribute
       * of tens of thousands at start-up) */
      if ((size_t) r < sizeof buf || s->len > 1024 * 1024)
        break;
    }
  close (fd);
  if (s == NULL)
    return g_strdup ("");
  while (s->len && g_ascii_isspace (s->str[s->len - 1]))
    g_string_truncate (s, s->len - 1);
  return g_string_free (s, FALSE);
}

gboolean
hotplug_sysfs_read_u64 (const char *path, guint64 *value, GError **error)
{
  g_autofree char *text = hotplug_sysfs_read (path, error);
  char *end = NULL;
  guint64 v;
  int base = 10;
  const char *p;

  if (text == NULL)
    return FALSE;
  p = text;
  if (g_str_has_prefix (p, "0x") || g_str_has_prefix (p, "0X"))
    {
      base = 16;
      p += 2;
    }
  errno = 0;
  v = g_ascii_strtoull (p, &end, base);
  if (errno || end == p || *end)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s: not a number: '%s'", path, text);
      return FALSE;
    }
  *value = v;
  return TRUE;
}

gboolean
hotplug_sysfs_write (const char *path, const char *value, GError **error)
{
  gsize len = strlen (value);
  ssize_t r;
  int fd;

  fd = open (path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
                   "cannot open %s: %s", path, g_strerror (e));
      return FALSE;
    }
  do
    r = write (fd, value, len);
  while (r < 0 && errno == EINTR);
  if (r < 0 || (gsize) r != len)
    {
      int e = r < 0 ? errno : EIO;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
                   "writing '%s' to %s failed: %s", value, path, g_strerror (e));
      close (fd);
      return FALSE;
    }
  if (close (fd) < 0 && errno != EINTR)
    {
      int e = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
                   "writing '%s' to %s failed: %s", value, path, g_strerror (e));
      return FALSE;
    }
  return TRUE;
}

/* ---- Text from outside -------------------------------------------------- */

#define REPLACEMENT "\xef\xbf\xbd"   /* U+FFFD */
#define ELLIPSIS    "\xe2\x80\xa6"   /* U+2026 */

gsize
hotplug_utf8_boundary (const char *text, gsize len, gsize max_bytes)
{
  const char *end;

  if (len <= max_bytes)
    return len;
  end = text + max_bytes;
  /* back over continuation bytes to the start of the character cut */
  while (end > text && ((guchar) *end & 0xc0) == 0x80)
    end--;
  return (gsize) (end - text);
}

gsize
hotplug_utf8_incomplete_tail (const char *text, gsize len)
{
  for (gsize k = 1; k <= 3 && k <= len; k++)
    {
      guchar c = (guchar) text[len - k];
      gsize need;

      if ((c & 0xc0) == 0x80)
        continue;
      if (c < 0xc0)
        return 0;
      need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
      return need > k ? k : 0;
    }
  return 0;
}

char *
hotplug_utf8_sanitize (const char *text, gssize len, gsize max_bytes)
{
  GString *out;
  const char *p, *end;

  if (text == NULL)
    return g_strdup ("");
  if (len < 0)
    len = (gssize) strlen (text);
  out = g_string_sized_new ((gsize) len + 1);
  p = text;
  end = text + len;
  while (p < end)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar) -1 || c == (gunichar) -2 || c == 0)
        {
          g_string_append (out, REPLACEMENT);
          p++;
        }
      else
        {
          const char *next = g_utf8_next_char (p);

          g_string_append_len (out, p, next - p);
          p = next;
        }
    }
  if (max_bytes > 0 && out->len > max_bytes)
    {
      gsize room = max_bytes > strlen (ELLIPSIS) ? max_bytes - strlen (ELLIPSIS) : 0;

      g_string_truncate (out, hotplug_utf8_boundary (out->str, out->len, room));
      if (max_bytes >= strlen (ELLIPSIS))
        g_string_append (out, ELLIPSIS);
    }
  return g_string_free (out, FALSE);
}

gboolean
hotplug_id_is_valid (const char *id, GError **error)
{
  const char *why = NULL;

  if (id == NULL || *id == '\0')
    why = "it is empty";
  else if (strlen (id) > HOTPLUG_ID_MAX_LENGTH)
    why = "it is too long";
  else if (!g_utf8_validate (id, -1, NULL))
    why = "it is not valid UTF-8";
  else
    for (const char *p = id; *p && why == NULL; p = g_utf8_next_char (p))
      {
        gunichar c = g_utf8_get_char (p);

        if (c == '/')
          why = "it contains '/'";
        else if (g_unichar_iscntrl (c))
          why = "it contains a control character";
      }
  if (why)
    {
      g_autofree char *shown = hotplug_utf8_sanitize (id, -1, 64);

      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                   "“%s” is not a valid id: %s", shown, why);
      return FALSE;
    }
  return TRUE;
}
