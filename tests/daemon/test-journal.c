/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The crash journal's file format (records, checksums, torn tails,
 * versions) and the units kept failed across restarts. */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "hotplug-error.h"
#include "hotplug-journal.h"
#include "hotplug-job.h"
#include "hotplug-recovery.h"

typedef struct
{
  char *dir;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  f->dir = g_dir_make_tmp ("hotplug-journal.XXXXXX", NULL);
  g_assert_nonnull (f->dir);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_autoptr(GDir) d = g_dir_open (f->dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (f->dir, name, NULL);

      g_unlink (p);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
}

static GVariant *
fields (const char *key, GVariant *value)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  if (key)
    g_variant_builder_add (&b, "{sv}", key, value);
  return g_variant_builder_end (&b);
}

static char *
write_three (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  HotplugJournal *j = hotplug_journal_create (f->dir, 7, &error);
  char *path;

  g_assert_no_error (error);
  g_assert_true (hotplug_journal_append (j, "one", fields ("n", g_variant_new_uint32 (1)), &error));
  g_assert_true (hotplug_journal_append (j, "two", fields ("text", g_variant_new_string ("a “quoted”\nline")), &error));
  g_assert_true (hotplug_journal_append (j, "three", fields (NULL, NULL), &error));
  g_assert_no_error (error);
  path = g_strdup (hotplug_journal_get_path (j));
  hotplug_journal_close (j, FALSE);
  return path;
}

static void
test_round_trip (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_three (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *text = NULL;
  gsize len = 0, valid = 0;
  HotplugJournalRecord *r;
  const char *s = NULL;
  g_auto(GStrv) lines = NULL;

  g_assert_true (g_file_get_contents (path, &text, &len, NULL));
  records = hotplug_journal_read (path, &valid, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 3);
  g_assert_cmpuint (valid, ==, len);
  r = g_ptr_array_index (records, 1);
  g_assert_cmpstr (r->type, ==, "two");
  g_assert_true (g_variant_lookup (r->fields, "text", "&s", &s));
  g_assert_cmpstr (s, ==, "a “quoted”\nline");
  /* one record per line: the newline inside the string is escaped */
  lines = g_strsplit (text, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 5);
}

static void
test_torn_tail (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_three (f);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  gsize len = 0, valid = 0;

  g_assert_true (g_file_get_contents (path, &text, &len, NULL));
  /* cut inside the last record at every byte: two records, never an error */
  for (gsize cut = len - 1; text[cut - 1] != '\n'; cut--)
    {
      g_autoptr(GPtrArray) records = hotplug_journal_parse (text, cut, &valid, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (records->len, ==, 2);
      g_assert_cmpuint (valid, <, cut + 1);
    }
  /* a whole last line with a bad checksum is torn too */
  text[len - 3] ^= 1;
  {
    g_autoptr(GPtrArray) records = hotplug_journal_parse (text, len, &valid, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (records->len, ==, 2);
  }
}

static void
test_corrupt (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_three (f);
  g_autofree char *text = NULL;
  gsize len = 0;
  const char *nl;
  struct { const char *text; const char *message; } bad[] = {
    { "", "not a hotplugd journal" },
    { "hotplugd-journal 2\n", "newer" },
    { "hotplugd-journal x\n", "bad journal version" },
    { "something else 1\n", "not a hotplugd journal" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) records = hotplug_journal_parse (bad[i].text, strlen (bad[i].text), NULL, &error);

      g_assert_null (records);
      g_assert_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED);
      g_assert_nonnull (strstr (error->message, bad[i].message));
    }
  /* a damaged record before the last one is corruption, not a torn tail */
  g_assert_true (g_file_get_contents (path, &text, &len, NULL));
  nl = strchr (text, '\n');
  text[nl - text + 12] ^= 1;
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) records = hotplug_journal_parse (text, len, NULL, &error);

    g_assert_null (records);
    g_assert_nonnull (strstr (error->message, "line 2"));
  }
}

static void
test_continue_after_torn_tail (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_three (f);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = NULL;
  HotplugJournal *j;
  gsize len = 0, valid = 0;

  g_assert_true (g_file_get_contents (path, &text, &len, NULL));
  g_assert_true (g_file_set_contents (path, text, (gssize) len - 4, NULL));
  records = hotplug_journal_read (path, &valid, &error);
  g_assert_cmpuint (records->len, ==, 2);
  j = hotplug_journal_open (path, valid, &error);
  g_assert_no_error (error);
  g_assert_true (hotplug_journal_append (j, "four", fields (NULL, NULL), &error));
  hotplug_journal_close (j, FALSE);
  g_clear_pointer (&records, g_ptr_array_unref);
  records = hotplug_journal_read (path, &valid, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 3);
  g_assert_cmpstr (((HotplugJournalRecord *) g_ptr_array_index (records, 2))->type, ==, "four");
}

static void
test_recovery_of_unknown_record (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  HotplugJournal *j = hotplug_journal_create (f->dir, 3, &error);
  g_autofree char *path = g_strdup (hotplug_journal_get_path (j));
  g_autoptr(HotplugRecovery) r = NULL;
  g_autofree char *note = NULL;

  hotplug_journal_append (j, "from-the-future", fields (NULL, NULL), &error);
  hotplug_journal_close (j, FALSE);
  g_assert_false (hotplug_recovery_read (path, &r, &note, &error));
  g_assert_nonnull (strstr (error->message, "before the begin record"));
}

static GVariant *
hook_fields (const char *name, const char *unit)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "event", g_variant_new_string ("pre-remove"));
  g_variant_builder_add (&b, "{sv}", "name", g_variant_new_string (name));
  if (unit)
    {
      g_variant_builder_add (&b, "{sv}", "pid", g_variant_new_int32 (0));
      g_variant_builder_add (&b, "{sv}", "unit", g_variant_new_string (unit));
    }
  return g_variant_builder_end (&b);
}

/* A hook that ran as a transient unit: the hook-pid record names the unit
 * (pid 0); a recovery is left with the units of the hooks that never
 * ended, and only units of ours. */
static void
test_recovery_of_hook_units (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  GVariantBuilder b;
  g_autoptr(HotplugRecovery) r = NULL;
  HotplugJournal *j = hotplug_journal_create (f->dir, 4, &error);
  g_autofree char *path = g_strdup (hotplug_journal_get_path (j));
  g_autofree char *note = NULL;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "unit", g_variant_new_string ("cpu1"));
  g_variant_builder_add (&b, "{sv}", "kind", g_variant_new_string ("cpu"));
  g_variant_builder_add (&b, "{sv}", "operation", g_variant_new_string ("remove"));
  g_variant_builder_add (&b, "{sv}", "job", g_variant_new_uint32 (4));
  g_variant_builder_add (&b, "{sv}", "steps", g_variant_new_array (G_VARIANT_TYPE ("(suss)"), NULL, 0));
  g_assert_true (hotplug_journal_append (j, "begin", g_variant_builder_end (&b), &error));
  hotplug_journal_append (j, "hook", hook_fields ("10-a", NULL), &error);
  hotplug_journal_append (j, "hook-pid", hook_fields ("10-a", "hotplugd-hook-4-1-10-a.service"), &error);
  hotplug_journal_append (j, "hook-end", hook_fields ("10-a", NULL), &error);
  hotplug_journal_append (j, "hook", hook_fields ("20-b", NULL), &error);
  hotplug_journal_append (j, "hook-pid", hook_fields ("20-b", "hotplugd-hook-4-2-20-b.service"), &error);
  hotplug_journal_append (j, "hook", hook_fields ("30-c", NULL), &error);
  hotplug_journal_append (j, "hook-pid", hook_fields ("30-c", "ssh.service"), &error);
  g_assert_no_error (error);
  hotplug_journal_close (j, FALSE);

  g_assert_true (hotplug_recovery_read (path, &r, &note, &error));
  g_assert_no_error (error);
  g_assert_nonnull (r);
  g_assert_cmpuint (g_strv_length (r->leftover_units), ==, 1);
  g_assert_cmpstr (r->leftover_units[0], ==, "hotplugd-hook-4-2-20-b.service");
  g_assert_cmpuint (r->leftovers->len, ==, 0);
}

static void
test_failed_units (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) units = NULL;

  g_assert_true (hotplug_failed_units_set (f->dir, "sb1", "undo failed: online cpu17: EBUSY", &error));
  g_assert_true (hotplug_failed_units_set (f->dir, "slot-3", "x", &error));
  g_assert_true (hotplug_failed_units_set (f->dir, "slot-3", NULL, &error));
  g_assert_no_error (error);
  units = hotplug_failed_units_load (f->dir);
  g_assert_cmpuint (g_hash_table_size (units), ==, 1);
  g_assert_cmpstr (g_hash_table_lookup (units, "sb1"), ==, "undo failed: online cpu17: EBUSY");
}

/* The journals of the jobs in the directory, by name. */
static guint
count_journals (Fixture *f)
{
  g_autoptr(GPtrArray) list = hotplug_journal_list (f->dir);

  return list->len;
}

static HotplugJournal *
create_with_record (Fixture *f, guint id)
{
  g_autoptr(GError) error = NULL;
  HotplugJournal *j = hotplug_journal_create (f->dir, id, &error);

  g_assert_no_error (error);
  g_assert_true (hotplug_journal_append (j, "begin", fields ("job", g_variant_new_uint32 (id)), &error));
  g_assert_no_error (error);
  return j;
}

/* An ended job's file becomes the spare, empty and no journal; the next
 * job takes it under its own name, with only its own records. */
static void
test_spare (Fixture *f, gconstpointer data)
{
  g_autofree char *spare = g_build_filename (f->dir, "spare.journal-free", NULL);
  g_autofree char *first = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;
  HotplugJournal *j = create_with_record (f, 1);
  GStatBuf st;
  FILE *out;

  first = g_strdup (hotplug_journal_get_path (j));
  hotplug_journal_close (j, TRUE);
  g_assert_false (g_file_test (first, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count_journals (f), ==, 0);
  g_assert_cmpint (g_stat (spare, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, 0);

  /* whatever got into the spare since is gone when a job takes it */
  out = fopen (spare, "a");
  g_assert_nonnull (out);
  fputs ("left over\n", out);
  fclose (out);
  j = create_with_record (f, 2);
  g_assert_false (g_file_test (spare, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count_journals (f), ==, 1);
  g_assert_true (g_file_get_contents (hotplug_journal_get_path (j), &text, NULL, NULL));
  g_assert_null (strstr (text, "left over"));
  records = hotplug_journal_read (hotplug_journal_get_path (j), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 1);
  hotplug_journal_close (j, TRUE);

  /* a spare someone removed: the next job creates its file */
  g_assert_cmpint (g_unlink (spare), ==, 0);
  j = create_with_record (f, 3);
  g_assert_cmpuint (count_journals (f), ==, 1);
  hotplug_journal_close (j, TRUE);
  g_assert_cmpuint (count_journals (f), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/journal/round-trip", Fixture, NULL, setup, test_round_trip, teardown);
  g_test_add ("/journal/torn-tail", Fixture, NULL, setup, test_torn_tail, teardown);
  g_test_add ("/journal/corrupt", Fixture, NULL, setup, test_corrupt, teardown);
  g_test_add ("/journal/continue-after-torn-tail", Fixture, NULL, setup, test_continue_after_torn_tail, teardown);
  g_test_add ("/journal/recovery-unknown-record", Fixture, NULL, setup, test_recovery_of_unknown_record, teardown);
  g_test_add ("/journal/recovery-of-hook-units", Fixture, NULL, setup, test_recovery_of_hook_units, teardown);
  g_test_add ("/journal/spare", Fixture, NULL, setup, test_spare, teardown);
  g_test_add ("/journal/failed-units", Fixture, NULL, setup, test_failed_units, teardown);
  return g_test_run ();
}
