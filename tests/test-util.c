/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "hotplug-enum-types.h"
#include "hotplug-error.h"
#include "hotplug-names.h"
#include "hotplug-util.h"

static void
test_list_roundtrip (void)
{
  struct { const char *in, *out; } cases[] = {
    { "", "" },
    { "0", "0" },
    { "0-3", "0-3" },
    { "8-15,32", "8-15,32" },
    { "3,1,2", "1-3" },
    { "1,1,2-2", "1-2" },
    { "0-1,3-4,6", "0-1,3-4,6" },
    { " 5-7\n", "5-7" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GArray) a = hotplug_list_parse (cases[i].in, &error);
      g_autofree char *s = NULL;

      g_assert_no_error (error);
      s = hotplug_list_format_array (a);
      g_assert_cmpstr (s, ==, cases[i].out);
    }
}

static void
test_list_malformed (void)
{
  const char *bad[] = { "a", "1-", "-1", "3-1", "1,,2", "1 2", "1-2-3", "99999999999", "0-99999999" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GArray) a = hotplug_list_parse (bad[i], &error);

      g_assert_null (a);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    }
}

static void
test_enums (void)
{
  int v = -1;

  g_assert_cmpstr (hotplug_enum_to_string (HOTPLUG_TYPE_UNIT_STATE, HOTPLUG_UNIT_STATE_REMOVING), ==, "removing");
  g_assert_cmpstr (hotplug_enum_to_string (HOTPLUG_TYPE_UNIT_KIND, HOTPLUG_UNIT_KIND_SB), ==, "sb");
  g_assert_true (hotplug_enum_from_string (HOTPLUG_TYPE_JOB_STATE, "vetoed", &v));
  g_assert_cmpint (v, ==, HOTPLUG_JOB_STATE_VETOED);
  g_assert_false (hotplug_enum_from_string (HOTPLUG_TYPE_JOB_STATE, "bogus", &v));
  g_assert_true (hotplug_enum_from_string (HOTPLUG_TYPE_CONNECTION_STATE, "disconnecting", &v));
  g_assert_cmpint (v, ==, HOTPLUG_CONNECTION_DISCONNECTING);
}

static void
test_error_names (void)
{
  g_autoptr(GError) e = g_error_new_literal (HOTPLUG_ERROR, HOTPLUG_ERROR_BUSY, "x");
  g_autofree char *name = g_dbus_error_encode_gerror (e);

  g_assert_cmpstr (name, ==, HOTPLUG_DBUS_ERROR_PREFIX ".Busy");
}

static void
test_sysfs_io (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("hotplug-util-XXXXXX", &error);
  g_autofree char *file = NULL;
  g_autofree char *text = NULL;
  g_autofree char *rooted = NULL;
  guint64 v = 0;

  g_assert_no_error (error);
  hotplug_sysfs_set_root (dir);
  rooted = hotplug_sysfs_path ("/sys/x");
  g_assert_cmpstr (rooted, ==, (file = g_build_filename (dir, "sys", "x", NULL)));
  g_assert_cmpstr (hotplug_sysfs_unroot (rooted), ==, "/sys/x");
  g_free (file);
  file = g_build_filename (dir, "attr", NULL);

  /* sysfs attributes are never created by writing */
  g_assert_false (hotplug_sysfs_write (file, "1", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (file, "", 0, NULL));
  g_assert_true (hotplug_sysfs_write (file, "online_movable\n", &error));
  g_assert_no_error (error);
  /* a shorter value must not leave the old tail behind */
  g_assert_true (hotplug_sysfs_write (file, "0x8000000\n", &error));
  text = hotplug_sysfs_read (file, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "0x8000000");
  g_assert_true (hotplug_sysfs_read_u64 (file, &v, &error));
  g_assert_cmpuint (v, ==, 0x8000000);

  g_assert_true (hotplug_sysfs_write (file, "zz", &error));
  g_assert_false (hotplug_sysfs_read_u64 (file, &v, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  g_assert_null (hotplug_sysfs_read ("/nonexistent/hotplug", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_unlink (file);
  g_rmdir (dir);
  hotplug_sysfs_set_root (NULL);
}

static void
test_utf8_sanitize (void)
{
  /* "é" is 2 bytes, "€" 3, "😀" 4 */
  static const char *const cases[][3] = {
    /* input, max bytes (as text), expected */
    { "abc", "0", "abc" },
    { "", "8", "" },
    { "abc\xff", "0", "abc\xef\xbf\xbd" },
    { "\xc3", "0", "\xef\xbf\xbd" },                  /* a sequence cut short */
    { "\xed\xa0\x80", "0", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* a surrogate */
    { "\xc0\xaf", "0", "\xef\xbf\xbd\xef\xbf\xbd" },      /* overlong '/' */
    { "ab\xe2\x82\xac", "5", "ab\xe2\x82\xac" },           /* fits exactly */
    { "abcd\xe2\x82\xac", "6", "abc\xe2\x80\xa6" },          /* cut: "…" at the end */
    { "\xf0\x9f\x98\x80\xf0\x9f\x98\x80", "7", "\xf0\x9f\x98\x80\xe2\x80\xa6" },
    { "\xf0\x9f\x98\x80\xf0\x9f\x98\x80", "6", "\xe2\x80\xa6" },
    { "abcdef", "2", "" },                             /* no room even for "…" */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = hotplug_utf8_sanitize (cases[i][0], -1, atoi (cases[i][1]));

      g_assert_true (g_utf8_validate (out, -1, NULL));
      g_assert_cmpstr (out, ==, cases[i][2]);
      if (atoi (cases[i][1]) > 0)
        g_assert_cmpuint (strlen (out), <=, atoi (cases[i][1]));
    }

  /* a NUL inside counted text is replaced, not an end */
  {
    g_autofree char *out = hotplug_utf8_sanitize ("a\0b", 3, 0);
    g_assert_cmpstr (out, ==, "a\xef\xbf\xbd" "b");
  }
  {
    g_autofree char *out = hotplug_utf8_sanitize (NULL, -1, 10);
    g_assert_cmpstr (out, ==, "");
  }

  /* every cut of a long multi-byte string is valid and within its bound */
  {
    g_autoptr(GString) text = g_string_new (NULL);

    for (guint i = 0; i < 100; i++)
      g_string_append (text, i % 3 ? "\xc3\xa9" : "\xf0\x9f\x98\x80");
    for (gsize max = 1; max < text->len + 2; max++)
      {
        g_autofree char *out = hotplug_utf8_sanitize (text->str, -1, max);
        gsize cut = hotplug_utf8_boundary (text->str, text->len, max);

        g_assert_true (g_utf8_validate (out, -1, NULL));
        g_assert_cmpuint (strlen (out), <=, max);
        g_assert_cmpuint (cut, <=, max);
        g_assert_true (g_utf8_validate (text->str, cut, NULL));
        g_assert_cmpuint (cut + 4, >, MIN (max, text->len));
      }
  }
}

static void
test_utf8_incomplete_tail (void)
{
  g_assert_cmpuint (hotplug_utf8_incomplete_tail ("", 0), ==, 0);
  g_assert_cmpuint (hotplug_utf8_incomplete_tail ("ab", 2), ==, 0);
  g_assert_cmpuint (hotplug_utf8_incomplete_tail ("a\xc3\xa9", 3), ==, 0);
  g_assert_cmpuint (hotplug_utf8_incomplete_tail ("a\xc3", 2), ==, 1);
  g_assert_cmpuint (hotplug_utf8_incomplete_tail ("a\xe2\x82", 3), ==, 2);
  g_assert_cmpuint (hotplug_utf8_incomplete_tail ("a\xf0\x9f\x98", 4), ==, 3);
  g_assert_cmpuint (hotplug_utf8_incomplete_tail ("\xf0\x9f\x98\x80", 4), ==, 0);
  /* continuation bytes with no lead in reach: invalid anyway, not held */
  g_assert_cmpuint (hotplug_utf8_incomplete_tail ("a\x80\x80\x80", 4), ==, 0);
}

static void
test_id_rule (void)
{
  static const char *const good[] = {
    "sb0", "slot-1", "slot-Slot 1", "slot-Steckplatz \xc3\x9f", "memory-node0", "0000", "a",
  };
  static const char *const bad[] = {
    "", "a/b", "slot-\xff", "tab\there", "new\nline", "del\x7f", "c1\xc2\x85", "\xc3",
  };
  g_autofree char *longest = g_strnfill (HOTPLUG_ID_MAX_LENGTH, 'x');
  g_autofree char *too_long = g_strnfill (HOTPLUG_ID_MAX_LENGTH + 1, 'x');
  g_autoptr(GString) multi = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    g_assert_true (hotplug_id_is_valid (good[i], NULL));
  g_assert_true (hotplug_id_is_valid (longest, NULL));
  g_assert_false (hotplug_id_is_valid (NULL, NULL));
  g_assert_false (hotplug_id_is_valid (too_long, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (hotplug_id_is_valid (bad[i], &error));
      g_assert_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
    }
  /* the message shows a long multi-byte id cut at a character boundary */
  for (guint i = 0; i < 200; i++)
    g_string_append (multi, "\xe2\x82\xac");
  {
    g_autoptr(GError) error = NULL;

    g_assert_false (hotplug_id_is_valid (multi->str, &error));
    g_assert_true (g_utf8_validate (error->message, -1, NULL));
    g_assert_nonnull (strstr (error->message, "too long"));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/util/list/roundtrip", test_list_roundtrip);
  g_test_add_func ("/util/list/malformed", test_list_malformed);
  g_test_add_func ("/util/enums", test_enums);
  g_test_add_func ("/util/error-names", test_error_names);
  g_test_add_func ("/util/sysfs-io", test_sysfs_io);
  g_test_add_func ("/util/utf8-sanitize", test_utf8_sanitize);
  g_test_add_func ("/util/utf8-incomplete-tail", test_utf8_incomplete_tail);
  g_test_add_func ("/util/id-rule", test_id_rule);
  return g_test_run ();
}
