/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hotplug-error.h"
#include "hotplug-journal.h"
#include "hotplug-names.h"
#include "hotplug-util.h"

#define MAGIC "hotplugd-journal"
/* a record longer than this is corruption, not a plan */
#define RECORD_MAX (16 * 1024 * 1024)
#define FILE_MAX   (256 * 1024 * 1024)

struct _HotplugJournal
{
  int   fd;
  char *path;
};

/* The file of the last job that ended, emptied and renamed "spare": the
 * next job takes it under its own name instead of creating a file (a new
 * inode costs the filesystem several times a rename).  Not a job-*.journal
 * file, so recovery never reads it.  Owned by the main thread, where the
 * jobs run; one per process, for one directory. */
#define SPARE_NAME "spare.journal-free"

static struct
{
  int   fd;     /* -1: none */
  char *dir;
} spare = { -1, NULL };

static char *
spare_path (const char *dir)
{
  return g_build_filename (dir, SPARE_NAME, NULL);
}

static void
spare_drop (void)
{
  if (spare.fd >= 0)
    {
      g_autofree char *path = spare_path (spare.dir);

      g_unlink (path);
      close (spare.fd);
    }
  spare.fd = -1;
  g_clear_pointer (&spare.dir, g_free);
}

/* The spare under @path, open, emptied; -1 when there is none for @dir. */
static int
spare_take (const char *dir, const char *path)
{
  g_autofree char *from = NULL;
  int fd = spare.fd;
  struct stat st, on_disk;

  if (fd < 0 || g_strcmp0 (spare.dir, dir) != 0)
    return -1;
  spare.fd = -1;
  from = spare_path (dir);
  /* the file is still the one this process emptied, and never goes over a
   * file of that name: a journal is never reused */
  if (fstat (fd, &st) < 0 || stat (from, &on_disk) < 0 || st.st_dev != on_disk.st_dev ||
      st.st_ino != on_disk.st_ino || renameat2 (AT_FDCWD, from, AT_FDCWD, path, RENAME_NOREPLACE) < 0)
    {
      close (fd);
      return -1;
    }
  if (st.st_size > 0 && ftruncate (fd, 0) < 0)
    {
      /* not a journal with another's records: gone, a new file instead */
      g_unlink (path);
      close (fd);
      return -1;
    }
  return fd;
}

/* The journal of a job that ended: gone from job-*.journal in one rename
 * (as an unlink would make it), then emptied and kept as the spare. */
static gboolean
spare_put (HotplugJournal *self)
{
  g_autofree char *dir = g_path_get_dirname (self->path);
  g_autofree char *to = NULL;

  if (g_strcmp0 (spare.dir, dir) != 0)
    spare_drop ();
  to = spare_path (dir);
  if (g_rename (self->path, to) < 0)
    return FALSE;
  if (ftruncate (self->fd, 0) < 0)
    {
      g_unlink (to);
      return FALSE;
    }
  if (spare.fd >= 0)
    close (spare.fd);
  spare.fd = self->fd;
  self->fd = -1;
  g_free (spare.dir);
  spare.dir = g_steal_pointer (&dir);
  return TRUE;
}

const char *
hotplug_state_dir_default (void)
{
  const char *env = g_getenv (HOTPLUG_ENV_STATE_DIRECTORY);

  /* systemd may pass several directories separated by ':' */
  if (env && *env)
    {
      static char *first;

      if (first == NULL || !g_str_has_prefix (env, first))
        {
          g_free (first);
          first = g_strndup (env, strcspn (env, ":"));
        }
      return first;
    }
  return LOCALSTATEDIR "/lib/hotplugd";
}

char *
hotplug_journal_dir (const char *state_dir)
{
  char *dir = g_build_filename (state_dir, "journal", NULL);

  if (g_mkdir_with_parents (dir, 0700) < 0)
    g_debug ("cannot create %s: %s", dir, g_strerror (errno));
  return dir;
}

const char *
hotplug_journal_boot_id (void)
{
  static char *boot_id;

  if (boot_id == NULL)
    {
      g_autofree char *text = NULL;

      if (g_file_get_contents ("/proc/sys/kernel/random/boot_id", &text, NULL, NULL))
        boot_id = g_strdup (g_strstrip (text));
      else
        boot_id = g_strdup ("");
    }
  return boot_id;
}

/* CRC-32 (IEEE 802.3), table-driven: every step writes two records */
static guint32
crc32 (const char *data, gsize len)
{
  static guint32 table[256];
  static gsize ready;
  guint32 crc = 0xffffffffu;

  if (g_once_init_enter (&ready))
    {
      for (guint32 n = 0; n < 256; n++)
        {
          guint32 c = n;

          for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
          table[n] = c;
        }
      g_once_init_leave (&ready, 1);
    }
  for (gsize i = 0; i < len; i++)
    crc = table[(crc ^ (guchar) data[i]) & 0xffu] ^ (crc >> 8);
  return ~crc;
}

static gboolean
write_all (HotplugJournal *self, const char *data, gsize len, GError **error)
{
  while (len > 0)
    {
      ssize_t n = write (self->fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int e = n < 0 ? errno : EIO;

          g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED, "cannot write the journal %s: %s",
                       self->path, g_strerror (e));
          return FALSE;
        }
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

HotplugJournal *
hotplug_journal_create (const char *dir, guint job_id, GError **error)
{
  g_autoptr(HotplugJournal) self = g_new0 (HotplugJournal, 1);
  g_autofree char *header = g_strdup_printf (MAGIC " %d\n", HOTPLUG_JOURNAL_VERSION);

  self->fd = -1;
  /* the job id restarts with the daemon: the time keeps names apart */
  self->path = g_strdup_printf ("%s/job-%" G_GINT64_FORMAT "-%u.journal", dir, g_get_real_time (), job_id);
  self->fd = spare_take (dir, self->path);
  if (self->fd < 0)
    self->fd = open (self->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
  if (self->fd < 0)
    {
      int e = errno;

      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED, "cannot create the journal %s: %s",
                   self->path, g_strerror (e));
      return NULL;
    }
  if (!write_all (self, header, strlen (header), error))
    {
      hotplug_journal_close (g_steal_pointer (&self), TRUE);
      return NULL;
    }
  return g_steal_pointer (&self);
}

HotplugJournal *
hotplug_journal_open (const char *path, gsize valid_length, GError **error)
{
  HotplugJournal *self = g_new0 (HotplugJournal, 1);

  self->path = g_strdup (path);
  self->fd = open (path, O_WRONLY | O_APPEND | O_CLOEXEC);
  if (self->fd >= 0 && ftruncate (self->fd, (off_t) valid_length) < 0)
    {
      close (self->fd);
      self->fd = -1;
    }
  if (self->fd < 0)
    {
      int e = errno;

      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED, "cannot open the journal %s: %s", path,
                   g_strerror (e));
      hotplug_journal_close (self, FALSE);
      return NULL;
    }
  return self;
}

char *
hotplug_journal_format_record (const char *type, GVariant *fields)
{
  g_autoptr(GString) line = g_string_new (NULL);
  g_autofree char *body = NULL;

  g_return_val_if_fail (g_variant_is_of_type (fields, G_VARIANT_TYPE_VARDICT), NULL);
  g_string_append_printf (line, "%s ", type);
  g_variant_print_string (fields, line, TRUE);
  body = g_strdup (line->str);
  g_string_printf (line, "%08x %s\n", crc32 (body, strlen (body)), body);
  return g_string_free (g_steal_pointer (&line), FALSE);
}

gboolean
hotplug_journal_append (HotplugJournal *self, const char *type, GVariant *fields, GError **error)
{
  g_autoptr(GVariant) ref G_GNUC_UNUSED = g_variant_ref_sink (fields);
  g_autofree char *line = NULL;

  g_return_val_if_fail (g_variant_is_of_type (fields, G_VARIANT_TYPE_VARDICT), FALSE);
  line = hotplug_journal_format_record (type, fields);
  return write_all (self, line, strlen (line), error);
}

const char *
hotplug_journal_get_path (HotplugJournal *self)
{
  return self->path;
}

void
hotplug_journal_close (HotplugJournal *self, gboolean remove)
{
  if (self == NULL)
    return;
  if (remove && self->fd >= 0 && self->path && spare_put (self))
    remove = FALSE;
  if (self->fd >= 0)
    close (self->fd);
  if (remove && self->path && g_unlink (self->path) < 0 && errno != ENOENT)
    g_debug ("cannot remove %s: %s", self->path, g_strerror (errno));
  g_free (self->path);
  g_free (self);
}

void
hotplug_journal_close_keep (HotplugJournal *self)
{
  hotplug_journal_close (self, FALSE);
}

void
hotplug_journal_record_free (HotplugJournalRecord *record)
{
  g_free (record->type);
  g_clear_pointer (&record->fields, g_variant_unref);
  g_free (record);
}

/* One record line (without its newline); NULL with the reason in *why. */
static HotplugJournalRecord *
parse_record (const char *line, gsize len, char **why)
{
  g_autofree char *copy = NULL;
  const char *body, *space;
  guint64 want;
  char *end = NULL;
  g_autoptr(GVariant) fields = NULL;
  g_autoptr(GError) error = NULL;
  HotplugJournalRecord *record;

  if (len < 10 || line[8] != ' ' || memchr (line, '\0', len))
    {
      *why = g_strdup ("not a record");
      return NULL;
    }
  /* the checksum as written: 8 hex digits (the number parser would also
   * take blanks and a sign) */
  for (guint i = 0; i < 8; i++)
    if (!g_ascii_isxdigit (line[i]))
      {
        *why = g_strdup ("not a record");
        return NULL;
      }
  copy = g_strndup (line, len);
  want = g_ascii_strtoull (copy, &end, 16);
  if (end != copy + 8 || !g_utf8_validate (copy, -1, NULL))
    {
      *why = g_strdup ("not a record");
      return NULL;
    }
  body = copy + 9;
  if (crc32 (body, strlen (body)) != (guint32) want)
    {
      *why = g_strdup ("bad checksum");
      return NULL;
    }
  space = strchr (body, ' ');
  if (space == NULL || space == body)
    {
      *why = g_strdup ("no record type");
      return NULL;
    }
  fields = g_variant_parse (G_VARIANT_TYPE_VARDICT, space + 1, NULL, NULL, &error);
  if (fields == NULL)
    {
      *why = g_strdup_printf ("bad fields: %s", error->message);
      return NULL;
    }
  record = g_new0 (HotplugJournalRecord, 1);
  record->type = g_strndup (body, (gsize) (space - body));
  record->fields = g_steal_pointer (&fields); /* g_variant_parse gives a full reference */
  return record;
}

static gboolean
parse_header (const char *text, gsize length, gsize *next, GError **error)
{
  const char *nl = memchr (text, '\n', length);
  g_autofree char *line = NULL;
  guint64 version;
  char *end = NULL;

  /* TEXT need not end in a NUL: compare within LENGTH */
  if (nl == NULL || length < strlen (MAGIC " ") || memcmp (text, MAGIC " ", strlen (MAGIC " ")) != 0)
    {
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED, "not a hotplugd journal (no header line)");
      return FALSE;
    }
  line = g_strndup (text + strlen (MAGIC " "), (gsize) (nl - text) - strlen (MAGIC " "));
  version = g_ascii_strtoull (line, &end, 10);
  if (end == line || *end != '\0')
    {
      g_autofree char *shown = hotplug_utf8_sanitize (line, -1, 32);

      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED, "bad journal version “%s”", shown);
      return FALSE;
    }
  if (version != HOTPLUG_JOURNAL_VERSION)
    {
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED,
                   "journal version %" G_GUINT64_FORMAT " is %s than this hotplugd's (%d)", version,
                   version > HOTPLUG_JOURNAL_VERSION ? "newer" : "older", HOTPLUG_JOURNAL_VERSION);
      return FALSE;
    }
  *next = (gsize) (nl - text) + 1;
  return TRUE;
}

GPtrArray *
hotplug_journal_parse (const char *text, gsize length, gsize *valid_length, GError **error)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) hotplug_journal_record_free);
  gsize pos = 0;
  guint lineno = 1;

  if (!parse_header (text, length, &pos, error))
    return NULL;
  while (pos < length)
    {
      const char *line = text + pos;
      const char *nl = memchr (line, '\n', length - pos);
      gsize len = nl ? (gsize) (nl - line) : length - pos;
      g_autofree char *why = NULL;
      HotplugJournalRecord *record;

      lineno++;
      if (nl == NULL)
        break; /* the daemon died in the middle of this write */
      record = len <= RECORD_MAX ? parse_record (line, len, &why) : NULL;
      if (record == NULL)
        {
          if (nl + 1 == text + length)
            break;
          g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED, "line %u: %s", lineno,
                       why ? why : "record too long");
          return NULL;
        }
      g_ptr_array_add (records, record);
      pos += len + 1;
    }
  if (valid_length)
    *valid_length = pos;
  return g_steal_pointer (&records);
}

GPtrArray *
hotplug_journal_read (const char *path, gsize *valid_length, GError **error)
{
  g_autofree char *text = NULL;
  gsize length = 0;
  GStatBuf st;

  if (g_stat (path, &st) == 0 && st.st_size > FILE_MAX)
    {
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED, "%s: too large for a journal (%" G_GINT64_FORMAT
                   " bytes)", path, (gint64) st.st_size);
      return NULL;
    }
  if (!g_file_get_contents (path, &text, &length, error))
    return NULL;
  return hotplug_journal_parse (text, length, valid_length, error);
}

static int
cmp_path (gconstpointer a, gconstpointer b)
{
  /* job-<time>-<id>.journal: the time orders them */
  const char *x = strrchr (*(const char **) a, '/'), *y = strrchr (*(const char **) b, '/');
  gint64 tx = g_ascii_strtoll (x + 5, NULL, 10), ty = g_ascii_strtoll (y + 5, NULL, 10);

  return tx < ty ? -1 : tx > ty ? 1 : strcmp (x, y);
}

GPtrArray *
hotplug_journal_list (const char *dir)
{
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    if (g_str_has_prefix (name, "job-") && g_str_has_suffix (name, ".journal"))
      g_ptr_array_add (paths, g_build_filename (dir, name, NULL));
  g_ptr_array_sort (paths, cmp_path);
  return paths;
}

char *
hotplug_journal_set_aside (const char *path, GError **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%S");
  g_autofree char *to = g_strdup_printf ("%s.bad-%s", path, stamp);

  if (g_rename (path, to) < 0)
    {
      int e = errno;

      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED, "cannot rename %s: %s", path, g_strerror (e));
      return NULL;
    }
  return g_steal_pointer (&to);
}

/* --- units left failed -------------------------------------------------- */

static char *
failed_units_path (const char *state_dir)
{
  return g_build_filename (state_dir, "failed-units", NULL);
}

GHashTable *
hotplug_failed_units_load (const char *state_dir)
{
  GHashTable *units = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *path = failed_units_path (state_dir);
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_auto(GStrv) groups = NULL;

  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, NULL))
    return units;
  groups = g_key_file_get_groups (kf, NULL);
  for (guint i = 0; groups[i]; i++)
    {
      g_autofree char *reason = g_key_file_get_string (kf, groups[i], "reason", NULL);

      if (g_utf8_validate (groups[i], -1, NULL))
        g_hash_table_insert (units, g_strdup (groups[i]), g_strdup (reason ? reason : ""));
    }
  return units;
}

gboolean
hotplug_failed_units_set (const char *state_dir, const char *unit, const char *reason, GError **error)
{
  g_autofree char *path = failed_units_path (state_dir);
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autofree char *data = NULL;
  gsize len = 0;

  g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, NULL);
  if (reason == NULL && !g_key_file_has_group (kf, unit))
    return TRUE;
  if (reason)
    {
      g_key_file_set_string (kf, unit, "reason", reason);
      g_key_file_set_int64 (kf, unit, "time", g_get_real_time ());
    }
  else
    g_key_file_remove_group (kf, unit, NULL);
  data = g_key_file_to_data (kf, &len, NULL);
  if (g_mkdir_with_parents (state_dir, 0700) < 0)
    {
      int e = errno;

      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED, "cannot create %s: %s", state_dir, g_strerror (e));
      return FALSE;
    }
  return g_file_set_contents_full (path, data, (gssize) len, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}
