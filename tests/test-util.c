/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/util/list/roundtrip", test_list_roundtrip);
  g_test_add_func ("/util/list/malformed", test_list_malformed);
  g_test_add_func ("/util/enums", test_enums);
  g_test_add_func ("/util/error-names", test_error_names);
  g_test_add_func ("/util/sysfs-io", test_sysfs_io);
  return g_test_run ();
}
