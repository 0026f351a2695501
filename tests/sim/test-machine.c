/* Malformed machine descriptions: hotplug-sim names file, line and key and
 * exits with status 2, never crashes.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <string.h>
#include <sys/wait.h>

#include <glib.h>
#include <glib/gstdio.h>

static const char *good =
  "[machine]\n"            /* 1 */
  "block-size=1G\n"        /* 2 */
  "[sb 0]\n"               /* 3 */
  "cpus=0-3\n"             /* 4 */
  "memory=4G\n"            /* 5 */
  "host-bridges=0000:10\n" /* 6 */
  "[pci 0000:10:00.0]\n"   /* 7 */
  "class=0x020000\n";      /* 8 */

static void
run (const char *text, int want_status, const char *want1, const char *want2)
{
  g_autofree char *dir = g_dir_make_tmp ("hotplug-sim-test.XXXXXX", NULL);
  g_autofree char *file = g_build_filename (dir, "bad.machine", NULL);
  g_autofree char *exe = g_build_filename (g_getenv ("HOTPLUG_BUILD_DIR"), "src", "sim", "hotplug-sim", NULL);
  g_autofree char *err = NULL;
  g_autofree char *prefix = NULL;
  const char *argv[] = { exe, "--machine", file, "--no-isolate", "--", "true", NULL };
  g_autoptr(GError) error = NULL;
  int status;

  g_assert_true (g_file_set_contents (file, text, -1, NULL));
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                               NULL, &err, &status, &error));
  g_assert_no_error (error);
  g_unlink (file);
  g_rmdir (dir);
  g_test_message ("stderr: %s", err);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, want_status);
  if (want1)
    {
      prefix = g_strdup_printf ("%s:%s", file, want1);
      g_assert_nonnull (strstr (err, prefix));
    }
  if (want2)
    g_assert_nonnull (strstr (err, want2));
}

static void test_good (void) { run (good, 0, NULL, NULL); }
static void
test_driver (void)
{
  g_autofree char *ok = g_strconcat (good, "driver=mlx5_core\n[pci 0000:10:01.0]\ndriver=\n", NULL);
  g_autofree char *bad = g_strconcat (good, "driver=my driver\n", NULL);
  run (ok, 0, NULL, NULL);
  run (bad, 2, "9: [pci 0000:10:00.0] key 'driver'", "not a driver name");
}
static void
test_domain (void)
{
  const char *shared = "[domain 0001]\nshared=true\nowner=host-a\nhost-bridges=0001:00\n"
                       "[pci 0001:00:01.0]\nsecondary-bus=1\n[slot 1]\nbus=0001:01\n";
  g_autofree char *ok = g_strconcat ("[machine]\nname=host-a\n", good + strlen ("[machine]\n"), shared, NULL);
  g_autofree char *noname = g_strconcat (good, shared, NULL);
  g_autofree char *noowner = g_strconcat (good, "[domain 0001]\nshared=true\nhost-bridges=0001:00\n", NULL);
  g_autofree char *elsewhere = g_strconcat (good, "[domain 0001]\nhost-bridges=0002:00\n", NULL);
  g_autofree char *badid = g_strconcat (good, "[domain 1]\n", NULL);
  run (ok, 0, NULL, NULL);
  run (noname, 2, "1: [machine]", "needs a name=");
  run (noowner, 2, "9: [domain 0001]", "needs owner=");
  run (elsewhere, 2, "10: [domain 0001] key 'host-bridges'", "not in domain 0001");
  run (badid, 2, "9: [domain 1]", "not a PCI domain");
}
static void
test_bad_number (void)
{
  g_autofree char *t = g_strconcat (good, "[sb 1]\ncpus=4\nmemory=12X\n", NULL);
  run (t, 2, "11: [sb 1] key 'memory'", "12X");
}
static void
test_unknown_key (void)
{
  g_autofree char *t = g_strconcat (good, "vendr=0x8086\n", NULL);
  run (t, 2, "9: [pci 0000:10:00.0] key 'vendr'", "unknown key");
}
static void
test_unknown_group (void)
{
  g_autofree char *t = g_strconcat (good, "[board 1]\ncpus=4\n", NULL);
  run (t, 2, "9: [board 1]", "unknown group");
}
static void
test_duplicate_id (void)
{
  g_autofree char *t = g_strconcat (good, "[sb 0]\ncpus=9\n", NULL);
  run (t, 2, "9: [sb 0]", "duplicate");
}
static void
test_cpu_twice (void)
{
  g_autofree char *t = g_strconcat (good, "[sb 1]\ncpus=3-5\n", NULL);
  run (t, 2, "10: [sb 1] key 'cpus'", "CPU 3 is already in [sb 0]");
}
static void
test_syntax (void)
{
  g_autofree char *t = g_strconcat (good, "this is not a key\n", NULL);
  run (t, 2, "9:", "neither a group header nor a key=value");
}
static void
test_bad_bool (void)
{
  g_autofree char *t = g_strconcat (good, "[slot 1]\nbus=0000:10\npower=maybe\n", NULL);
  run (t, 2, "11: [slot 1] key 'power'", "maybe");
}
static void
test_crash (void)
{
  g_autofree char *ok = g_strconcat (good, "[kernel]\ncrash-loaded=true\ncrash-hotplug=1\n", NULL);
  g_autofree char *hotplug = g_strconcat (good, "[kernel]\ncrash-hotplug=2\n", NULL);
  g_autofree char *loaded = g_strconcat (good, "[kernel]\ncrash-loaded=yes\n", NULL);
  run (ok, 0, NULL, NULL);
  run (hotplug, 2, "10: [kernel] key 'crash-hotplug'", "2");
  run (loaded, 2, "10: [kernel] key 'crash-loaded'", "yes");
}
static void
test_slot_without_hotplug (void)
{
  g_autofree char *ok = g_strconcat (good, "[slot 1]\nbus=0000:10\nhotplug=false\n", NULL);
  g_autofree char *t = g_strconcat (good, "[slot 1]\nbus=0000:10\nhotplug=false\nattention=1\n", NULL);
  g_autofree char *bad = g_strconcat (good, "[slot 1]\nbus=0000:10\nhotplug=no\n", NULL);

  run (ok, 0, NULL, NULL);
  /* a location the platform cannot power has nothing to switch */
  run (t, 2, "12: [slot 1] key 'attention'", "a slot with hotplug=false has no attention control");
  run (bad, 2, "11: [slot 1] key 'hotplug'", "no");
}
static void
test_orphan_device (void)
{
  g_autofree char *t = g_strconcat (good, "[pci 0000:42:00.0]\nclass=0x020000\n", NULL);
  run (t, 2, "9: [pci 0000:42:00.0]", "no host bridge or bridge leads to bus 0000:42");
}
static void
test_slot_bus (void)
{
  g_autofree char *t = g_strconcat (good, "[slot 1]\nbus=0000:55\n", NULL);
  run (t, 2, "10: [slot 1] key 'bus'", "no bridge");
}
static void
test_storage_good (void)
{
  g_autofree char *t = g_strconcat (good, "block=vda\npartitions=2\nnet=eth0\nnet-state=up\n", NULL);
  run (t, 0, NULL, NULL);
}
static void
test_storage_bad_name (void)
{
  g_autofree char *t = g_strconcat (good, "block=Vda/x\n", NULL);
  run (t, 2, "9: [pci 0000:10:00.0] key 'block'", "not a disk name");
}
static void
test_storage_duplicate (void)
{
  g_autofree char *t = g_strconcat (good, "net=eth0\n[pci 0000:10:01.0]\nblock=eth0\n", NULL);
  run (t, 2, "11: [pci 0000:10:01.0] key 'block'", "already the name of pci 0000:10:00.0");
}
static void
test_storage_partitions (void)
{
  g_autofree char *t = g_strconcat (good, "partitions=2\n", NULL);
  g_autofree char *u = g_strconcat (good, "block=vda\npartitions=16\n", NULL);
  g_autofree char *v = g_strconcat (good, "net=eth0\nnet-state=sideways\n", NULL);
  run (t, 2, "9: [pci 0000:10:00.0] key 'partitions'", "need a disk");
  run (u, 2, "10: [pci 0000:10:00.0] key 'partitions'", NULL);
  run (v, 2, "10: [pci 0000:10:00.0] key 'net-state'", "not up or down");
}
/* names and ids become paths and host names: text that is not UTF-8 is
 * refused, with its line */
static void
test_not_utf8 (void)
{
  g_autofree char *t = g_strconcat (good, "[sb 1]\ncpus=4-\xff\n", NULL);

  run (t, 2, "10: not valid UTF-8", NULL);
}
static void
test_missing (void)
{
  g_autofree char *exe = g_build_filename (g_getenv ("HOTPLUG_BUILD_DIR"), "src", "sim", "hotplug-sim", NULL);
  const char *argv[] = { exe, "--machine", "/nonexistent/x.machine", "--", "true", NULL };
  g_autofree char *err = NULL;
  int status;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                               NULL, &err, &status, NULL));
  g_assert_cmpint (WEXITSTATUS (status), ==, 2);
  g_assert_nonnull (strstr (err, "/nonexistent/x.machine"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/machine/good", test_good);
  g_test_add_func ("/sim/machine/driver", test_driver);
  g_test_add_func ("/sim/machine/domain", test_domain);
  g_test_add_func ("/sim/machine/bad-number", test_bad_number);
  g_test_add_func ("/sim/machine/crash", test_crash);
  g_test_add_func ("/sim/machine/unknown-key", test_unknown_key);
  g_test_add_func ("/sim/machine/slot-without-hotplug", test_slot_without_hotplug);
  g_test_add_func ("/sim/machine/unknown-group", test_unknown_group);
  g_test_add_func ("/sim/machine/duplicate-id", test_duplicate_id);
  g_test_add_func ("/sim/machine/cpu-in-two-boards", test_cpu_twice);
  g_test_add_func ("/sim/machine/syntax", test_syntax);
  g_test_add_func ("/sim/machine/bad-bool", test_bad_bool);
  g_test_add_func ("/sim/machine/not-utf8", test_not_utf8);
  g_test_add_func ("/sim/machine/orphan-device", test_orphan_device);
  g_test_add_func ("/sim/machine/slot-bus", test_slot_bus);
  g_test_add_func ("/sim/machine/missing", test_missing);
  g_test_add_func ("/sim/machine/storage-good", test_storage_good);
  g_test_add_func ("/sim/machine/storage-bad-name", test_storage_bad_name);
  g_test_add_func ("/sim/machine/storage-duplicate", test_storage_duplicate);
  g_test_add_func ("/sim/machine/storage-partitions", test_storage_partitions);
  return g_test_run ();
}
