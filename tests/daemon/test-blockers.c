/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hotplug-blockers.h"
#include "hotplug-fixture.h"
#include "hotplug-util.h"

/* The parsers against fixture text, and a scan of fixture sysfs trees
 * against the real /proc: a fixture disk gets the numbers of the real
 * root filesystem's device, so the real mount table must name it. */

static void
test_unescape (void)
{
  g_autofree char *a = hotplug_blockers_unescape ("/mnt/with\\040space\\011tab\\134");
  g_autofree char *b = hotplug_blockers_unescape ("/plain\\9\\");

  g_assert_cmpstr (a, ==, "/mnt/with space\ttab\\");
  g_assert_cmpstr (b, ==, "/plain\\9\\");
}

static void
test_mountinfo (void)
{
  guint ma = 0, mi = 0;
  g_autofree char *point = NULL, *type = NULL, *source = NULL;
  char *p2 = NULL, *t2 = NULL, *s2 = NULL;

  g_assert_true (hotplug_blockers_parse_mountinfo_line (
    "36 35 98:0 /mnt1 /mnt/parent\\040dir rw,noatime master:1 shared:7 - ext3 /dev/my\\040root rw,errors=continue",
    &ma, &mi, &point, &type, &source));
  g_assert_cmpuint (ma, ==, 98);
  g_assert_cmpuint (mi, ==, 0);
  g_assert_cmpstr (point, ==, "/mnt/parent dir");
  g_assert_cmpstr (type, ==, "ext3");
  g_assert_cmpstr (source, ==, "/dev/my root");

  /* no optional fields */
  g_clear_pointer (&point, g_free);
  g_clear_pointer (&type, g_free);
  g_clear_pointer (&source, g_free);
  g_assert_true (hotplug_blockers_parse_mountinfo_line ("27 1 254:0 / / rw,relatime - ext4 /dev/vda rw",
                                                        &ma, &mi, &point, &type, &source));
  g_assert_cmpuint (ma, ==, 254);
  g_assert_cmpstr (point, ==, "/");
  g_assert_cmpstr (source, ==, "/dev/vda");

  g_assert_false (hotplug_blockers_parse_mountinfo_line ("", &ma, &mi, &p2, &t2, &s2));
  g_assert_false (hotplug_blockers_parse_mountinfo_line ("1 2 x:y / / rw - ext4 /dev/a rw", &ma, &mi, &p2, &t2, &s2));
  g_assert_false (hotplug_blockers_parse_mountinfo_line ("1 2 8:1 / / rw shared:1 ext4 /dev/a rw", &ma, &mi,
                                                         &p2, &t2, &s2));
  g_assert_null (p2);
}

static void
test_swaps (void)
{
  g_autofree char *file = NULL, *type = NULL;
  char *f2 = NULL, *t2 = NULL;

  g_assert_false (hotplug_blockers_parse_swaps_line ("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority", &f2, &t2));
  g_assert_false (hotplug_blockers_parse_swaps_line ("", &f2, &t2));
  g_assert_true (hotplug_blockers_parse_swaps_line ("/dev/vda2                               partition\t1048572\t\t0\t\t-2",
                                                    &file, &type));
  g_assert_cmpstr (file, ==, "/dev/vda2");
  g_assert_cmpstr (type, ==, "partition");
  g_clear_pointer (&file, g_free);
  g_clear_pointer (&type, g_free);
  g_assert_true (hotplug_blockers_parse_swaps_line ("/srv/swap\\040file file 1024 0 -3", &file, &type));
  g_assert_cmpstr (file, ==, "/srv/swap file");
  g_assert_cmpstr (type, ==, "file");
}

static void
test_status (void)
{
  gboolean kthread = TRUE;
  g_autoptr(GArray) cpus = hotplug_blockers_parse_status (
    "Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t812\nPid:\t812\nPPid:\t700\n"
    "Cpus_allowed:\t2\nCpus_allowed_list:\t1\nMems_allowed_list:\t0\n", &kthread);
  g_autoptr(GArray) wide = NULL;
  g_autoptr(GArray) kt = NULL;

  g_assert_false (kthread);
  g_assert_nonnull (cpus);
  g_assert_cmpuint (cpus->len, ==, 1);
  g_assert_cmpuint (g_array_index (cpus, guint, 0), ==, 1);

  wide = hotplug_blockers_parse_status ("Pid:\t1\nPPid:\t0\nCpus_allowed_list:\t0-3,8\n", &kthread);
  g_assert_false (kthread);
  g_assert_cmpuint (wide->len, ==, 5);

  kt = hotplug_blockers_parse_status ("Name:\tksoftirqd/1\nPid:\t20\nPPid:\t2\nCpus_allowed_list:\t1\n", &kthread);
  g_assert_true (kthread);
  g_assert_null (hotplug_blockers_parse_status ("Name:\tx\n", &kthread));
}

static void
test_affinity (void)
{
  g_autoptr(GArray) one = hotplug_list_parse ("1", NULL);
  g_autoptr(GArray) board = hotplug_list_parse ("4-7", NULL);

  g_assert_true (hotplug_blockers_affinity_within ("1", one));
  g_assert_true (hotplug_blockers_affinity_within ("1\n", one));
  g_assert_false (hotplug_blockers_affinity_within ("0-1", one));
  g_assert_false (hotplug_blockers_affinity_within ("", one));
  g_assert_false (hotplug_blockers_affinity_within ("garbage", one));
  g_assert_true (hotplug_blockers_affinity_within ("4-7", board));
  g_assert_true (hotplug_blockers_affinity_within ("5,7", board));
  g_assert_false (hotplug_blockers_affinity_within ("3-7", board));
}

/* --- scans of fixture trees --------------------------------------------- */

static GPtrArray *
scan_one (HotplugBlockerFacts *facts)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new ();
  g_autoptr(GPtrArray) results = NULL;

  g_ptr_array_add (list, facts);
  results = hotplug_blockers_scan (list);
  g_assert_cmpuint (results->len, ==, 1);
  return g_ptr_array_ref (g_ptr_array_index (results, 0));
}

static HotplugBlocker *
find (GPtrArray *blockers, const char *kind, const char *object)
{
  for (guint i = 0; i < blockers->len; i++)
    {
      HotplugBlocker *b = g_ptr_array_index (blockers, i);

      if (g_str_equal (b->kind, kind) && (object == NULL || g_str_equal (b->object, object)))
        return b;
    }
  return NULL;
}

static void
test_memory (void)
{
  g_autoptr(HotplugFixture) fx = hotplug_fixture_new ();
  g_autoptr(GArray) blocks = hotplug_list_parse ("0-7", NULL);
  g_autoptr(GArray) movable = hotplug_list_parse ("6-7", NULL);
  g_autoptr(HotplugBlockerFacts) all = NULL;
  g_autoptr(HotplugBlockerFacts) mov = NULL;
  g_autoptr(GPtrArray) a = NULL;
  g_autoptr(GPtrArray) b = NULL;
  g_autofree char *text = NULL;

  fx_base (fx, 128 << 20);
  for (guint n = 0; n < 9; n++)
    fx_block (fx, n, 0, n != 8);
  fx_write (fx, "/sys/devices/system/memory/memory0/valid_zones", "none");
  fx_write (fx, "/sys/devices/system/memory/memory0/removable", "0");
  /* removable is read only where valid_zones is missing (old kernels) */
  fx_rm (fx, "/sys/devices/system/memory/memory1/valid_zones");
  fx_write (fx, "/sys/devices/system/memory/memory1/removable", "0");
  fx_write (fx, "/sys/devices/system/memory/memory7/removable", "0");
  for (guint n = 2; n < 6; n++)
    {
      g_autofree char *p = g_strdup_printf ("/sys/devices/system/memory/memory%u/valid_zones", n);
      fx_write (fx, p, "Normal");
    }

  all = hotplug_blocker_facts_new ("unit/memory-node0", NULL, blocks, NULL);
  a = scan_one (all);
  text = hotplug_blockers_describe (a);
  g_test_message ("%s", text);
  g_assert_nonnull (find (a, "memory", "block 0"));
  g_assert_nonnull (find (a, "memory", "block 1"));
  g_assert_nonnull (find (a, "memory", "blocks 2-5"));
  /* block 8 is offline: blocks 0-7 are the last online memory */
  g_assert_nonnull (find (a, "memory", "blocks 0-7"));
  g_assert_cmpuint (a->len, ==, 4);

  /* Movable blocks with other memory online: nothing in the way */
  mov = hotplug_blocker_facts_new ("unit/sb1", NULL, movable, NULL);
  b = scan_one (mov);
  g_assert_cmpuint (b->len, ==, 0);
}

static gboolean
root_device (guint *ma, guint *mi)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  g_assert_true (g_file_get_contents ("/proc/self/mountinfo", &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      g_autofree char *point = NULL, *type = NULL, *source = NULL;

      if (hotplug_blockers_parse_mountinfo_line (lines[i], ma, mi, &point, &type, &source) &&
          g_str_equal (point, "/"))
        return *ma != 0;
    }
  return FALSE;
}

/* An NVMe drive laid out as the kernel does (no block directory between
 * the controller and its namespace: only /sys/class/block finds it), with a
 * partition held by a dm device, and a NIC with one interface up. */
static void
disk_fixture (HotplugFixture *fx, guint ma, guint mi)
{
  g_autofree char *dev = g_strdup_printf ("%u:%u", ma, mi);
  const char *ns = "/sys/devices/pci0000:40/0000:40:01.0/nvme/nvme0/xda";
  const char *nic = "/sys/devices/pci0000:40/0000:40:02.0/net";
  g_autofree char *nsdev = g_strconcat (ns, "/dev", NULL);
  g_autofree char *part = g_strconcat (ns, "/xda1", NULL);
  g_autofree char *partmark = g_strconcat (part, "/partition", NULL);
  g_autofree char *partdev = g_strconcat (part, "/dev", NULL);
  g_autofree char *holder = g_strconcat (part, "/holders/dm-7", NULL);
  const char *ifs[][3] = { { "xeth0", "0x1003", "up" }, { "xeth1", "0x1002", "down" } };

  fx_root_bus (fx, "pci0000:40");
  fx_pci (fx, "/devices/pci0000:40/0000:40:01.0", 0x8086, 0x0a54, 0x010802, FALSE, 0, 0);
  fx_write (fx, "/sys/devices/pci0000:40/0000:40:01.0/nvme/nvme0/dev", "245:0");
  fx_write (fx, nsdev, dev);
  fx_write (fx, partmark, "1");
  fx_write (fx, partdev, "0:0");
  fx_link (fx, "/sys/class/block/xda", ns);
  fx_link (fx, "/sys/class/block/xda1", part);
  fx_write (fx, "/sys/devices/virtual/block/dm-7/dev", "0:0");
  fx_link (fx, "/sys/class/block/dm-7", "/sys/devices/virtual/block/dm-7");
  fx_link (fx, holder, "/sys/devices/virtual/block/dm-7");
  /* a disk of another device: not ours */
  fx_write (fx, "/sys/devices/pci0000:40/0000:40:03.0/block/xdz/dev", dev);
  fx_link (fx, "/sys/class/block/xdz", "/sys/devices/pci0000:40/0000:40:03.0/block/xdz");

  fx_pci (fx, "/devices/pci0000:40/0000:40:02.0", 0x8086, 0x1533, 0x020000, FALSE, 0, 0);
  for (guint i = 0; i < G_N_ELEMENTS (ifs); i++)
    {
      g_autofree char *dir = g_strdup_printf ("%s/%s", nic, ifs[i][0]);
      g_autofree char *flags = g_strconcat (dir, "/flags", NULL);
      g_autofree char *oper = g_strconcat (dir, "/operstate", NULL);
      g_autofree char *cls = g_strdup_printf ("/sys/class/net/%s", ifs[i][0]);

      fx_write (fx, flags, ifs[i][1]);
      fx_write (fx, oper, ifs[i][2]);
      fx_link (fx, cls, dir);
    }
}

static void
test_devices (void)
{
  g_autoptr(HotplugFixture) fx = hotplug_fixture_new ();
  /* 0000:40:03.0 is not a PCI device of the domain here, 0000:40:09.0 not there at all */
  const char *const pci[] = { "0000:40:01.0", "0000:40:02.0", "0000:40:09.0", NULL };
  g_autoptr(HotplugBlockerFacts) facts = NULL;
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  HotplugBlocker *b;
  guint ma, mi;

  if (!root_device (&ma, &mi))
    {
      g_test_fail_printf ("the root filesystem has no block device here");
      return;
    }
  disk_fixture (fx, ma, mi);
  facts = hotplug_blocker_facts_new ("domain/0000", NULL, NULL, pci);
  found = scan_one (facts);
  text = hotplug_blockers_describe (found);
  g_test_message ("%s", text);

  b = find (found, "mount", "/");
  g_assert_nonnull (b);
  g_assert_true (strstr (b->detail, "on xda") != NULL);
  b = find (found, "holder", "dm-7");
  g_assert_nonnull (b);
  g_assert_cmpstr (b->detail, ==, "holds xda1");
  g_assert_nonnull (find (found, "netdev", "xeth0"));
  g_assert_null (find (found, "netdev", "xeth1"));
  g_assert_null (strstr (text, "xdz"));
  /* sorted: mount before holder before netdev */
  g_assert_cmpstr (((HotplugBlocker *) g_ptr_array_index (found, 0))->kind, ==, "mount");

  /* what a replace window would freeze: /, once */
  {
    g_auto(GStrv) points = hotplug_blockers_mount_points (pci);
    const char *const none[] = { "0000:40:02.0", NULL };
    g_auto(GStrv) nothing = hotplug_blockers_mount_points (none);

    g_assert_nonnull (points[0]);
    g_assert_cmpstr (points[0], ==, "/");   /* mounted first */
    for (guint i = 1; points[i]; i++)
      g_assert_cmpstr (points[i], !=, "/");
    g_assert_cmpuint (g_strv_length (nothing), ==, 0);
  }
}

/* A loop device node (bound or not, it opens read-only) stands for the
 * fixture disk: its numbers go into the disk's dev. */
static void
test_open (void)
{
  g_autoptr(HotplugFixture) fx = hotplug_fixture_new ();
  const char *const pci[] = { "0000:40:01.0", NULL };
  g_autoptr(HotplugBlockerFacts) facts = NULL;
  g_autoptr(GPtrArray) found = NULL;
  g_autofree char *me = NULL;
  g_autofree char *detail = NULL;
  char node[32];
  struct stat st;
  HotplugBlocker *b;
  int fd = -1;

  for (guint n = 0; n < 8 && fd < 0; n++)
    {
      snprintf (node, sizeof node, "/dev/loop%u", n);
      fd = open (node, O_RDONLY | O_CLOEXEC);
    }
  if (fd < 0)
    {
      g_test_skip ("no loop device node that this test may open (needs root)");
      return;
    }
  g_assert_cmpint (fstat (fd, &st), ==, 0);
  disk_fixture (fx, major (st.st_rdev), minor (st.st_rdev));
  facts = hotplug_blocker_facts_new ("unit/slot-1", NULL, NULL, pci);
  found = scan_one (facts);
  detail = g_strdup_printf ("fd %d on xda", fd);
  close (fd);
  me = g_strdup_printf ("%d ", (int) getpid ());
  b = find (found, "open", node);
  g_assert_nonnull (b);
  g_assert_true (g_str_has_prefix (b->process, me));
  g_assert_cmpstr (b->detail, ==, detail);
}

/* A child that may run only on the highest CPU this test may use is
 * pinned there; the test itself (everywhere) is not. */
static void
test_pinned (void)
{
  cpu_set_t set;
  int last = -1;
  g_autoptr(GArray) cpus = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(HotplugBlockerFacts) facts = NULL;
  g_autoptr(GPtrArray) found = NULL;
  g_autofree char *process = NULL;
  gboolean mine = FALSE;
  int fds[2];
  pid_t child;
  char c;

  g_assert_cmpint (sched_getaffinity (0, sizeof set, &set), ==, 0);
  for (int i = 0; i < CPU_SETSIZE; i++)
    if (CPU_ISSET (i, &set))
      last = i;
  if (CPU_COUNT (&set) < 2)
    {
      g_test_skip ("needs two CPUs to pin a process to one of them");
      return;
    }
  g_assert_cmpint (pipe (fds), ==, 0);
  child = fork ();
  g_assert_cmpint (child, >=, 0);
  if (child == 0)
    {
      CPU_ZERO (&set);
      CPU_SET (last, &set);
      /* any process names itself: here with bytes that are not UTF-8 and
       * a character cut by the kernel's 15-byte limit */
      prctl (PR_SET_NAME, "pin\xff\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", 0, 0, 0);
      if (sched_setaffinity (0, sizeof set, &set) < 0 || write (fds[1], "x", 1) != 1)
        _exit (1);
      pause ();
      _exit (0);
    }
  close (fds[1]);
  g_assert_cmpint (read (fds[0], &c, 1), ==, 1);
  close (fds[0]);

  g_array_append_val (cpus, last);
  facts = hotplug_blocker_facts_new ("unit/cpu", cpus, NULL, NULL);
  found = scan_one (facts);
  kill (child, SIGKILL);
  waitpid (child, NULL, 0);
  process = g_strdup_printf ("%d ", (int) child);
  for (guint i = 0; i < found->len; i++)
    {
      HotplugBlocker *b = g_ptr_array_index (found, i);

      g_assert_cmpstr (b->kind, !=, "memory");
      g_assert_false (g_str_has_prefix (b->process, "1 "));   /* init may run everywhere */
      g_assert_true (g_utf8_validate (b->process, -1, NULL));
      g_assert_true (g_utf8_validate (b->detail, -1, NULL));
      g_assert_true (g_utf8_validate (b->object, -1, NULL));
      if (g_str_equal (b->kind, "cpu-affinity") && g_str_has_prefix (b->process, process))
        {
          g_assert_cmpstr (b->process + strlen (process), ==,
                           "pin\xef\xbf\xbd\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xef\xbf\xbd\xef\xbf\xbd");
          mine = TRUE;
        }
    }
  g_assert_true (mine);
  /* what goes on the bus and into Error.Busy */
  g_variant_unref (g_variant_ref_sink (hotplug_blockers_to_variant (found)));
  {
    g_autofree char *text = hotplug_blockers_describe (found);

    g_assert_true (g_utf8_validate (text, -1, NULL));
  }
}

static void
test_flush_unbacked (void)
{
  g_autoptr(HotplugFixture) fx = hotplug_fixture_new ();
  g_autoptr(GError) error = NULL;

  fx_root_bus (fx, "pci0000:40");
  fx_pci (fx, "/devices/pci0000:40/0000:40:01.0", 0x8086, 0x0a54, 0x010802, FALSE, 0, 0);
  fx_write (fx, "/sys/devices/pci0000:40/0000:40:01.0/block/xdb/dev", "0:0");
  /* a disk no device backs has nothing to flush; a missing device neither */
  g_assert_true (hotplug_blockers_flush_pci_device ("0000:40:01.0", &error));
  g_assert_no_error (error);
  g_assert_true (hotplug_blockers_flush_pci_device ("0000:40:07.0", &error));
  g_assert_no_error (error);
}

/* One filesystem seen at two mount points (a bind mount, in a mount
 * namespace of this test's own): a replace window freezes it once.  A
 * second FIFREEZE of the same filesystem fails with EBUSY ("it is frozen
 * already"), which would fail every replace of such a disk. */
static void
test_mount_points_bind (void)
{
  g_autoptr(HotplugFixture) fx = hotplug_fixture_new ();
  const char *const pci[] = { "0000:40:01.0", NULL };
  g_autofree char *base = NULL;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_auto(GStrv) points = NULL;
  guint ma, mi;

  if (!root_device (&ma, &mi))
    {
      g_test_skip ("the root filesystem has no block device here");
      return;
    }
  if (unshare (CLONE_NEWNS) < 0 || mount ("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
    {
      g_test_skip_printf ("no mount namespace of its own: %s", g_strerror (errno));
      return;
    }
  base = g_dir_make_tmp ("hotplug-bind.XXXXXX", NULL);
  g_assert_nonnull (base);
  from = g_build_filename (base, "from", NULL);
  to = g_build_filename (base, "to", NULL);
  g_assert_cmpint (g_mkdir (from, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (to, 0700), ==, 0);
  if (mount (from, to, "none", MS_BIND, NULL) < 0)
    {
      g_test_skip_printf ("cannot bind-mount %s: %s", from, g_strerror (errno));
      return;
    }
  disk_fixture (fx, ma, mi);
  points = hotplug_blockers_mount_points (pci);
  umount2 (to, MNT_DETACH);
  g_rmdir (to);
  g_rmdir (from);
  g_rmdir (base);
  g_assert_nonnull (points[0]);
  g_assert_cmpstr (points[0], ==, "/");
  /* the root filesystem, and its bind mount: one filesystem, one freeze */
  g_assert_cmpuint (g_strv_length (points), ==, 1);
}

static void
on_fuse_scanned (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GPtrArray **out = user_data;

  *out = hotplug_blockers_scan_finish (res, NULL);
}

/* Any user can hold a descriptor whose link reads /dev/...: a FUSE
 * filesystem of their own mounted on a directory of theirs in /dev/shm
 * (fusermount), or in a namespace of their own.  A FUSE server that never
 * answers must not stall the scan (and with it every Remove's busy check
 * and the Blockers refresh): the scan ends in bounded time. */
static void
test_fuse_holder (void)
{
  g_autoptr(HotplugFixture) fx = hotplug_fixture_new ();
  const char *const pci[] = { "0000:40:01.0", NULL };
  g_autofree char *dir = g_strdup ("/dev/shm/hotplug-test-fuse-XXXXXX");
  g_autofree char *opts = NULL;
  GPtrArray *found = NULL;
  GPtrArray *facts;
  gint64 deadline;
  gboolean in_time;
  int fuse, held;

  fuse = open ("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fuse < 0 || g_mkdtemp (dir) == NULL)
    {
      g_test_skip ("needs /dev/fuse and /dev/shm");
      if (fuse >= 0)
        close (fuse);
      return;
    }
  opts = g_strdup_printf ("fd=%d,rootmode=40000,user_id=0,group_id=0", fuse);
  if (mount ("hotplug-test", dir, "fuse", MS_NOSUID | MS_NODEV, opts) < 0)
    {
      g_test_skip ("cannot mount a FUSE filesystem (needs root)");
      close (fuse);
      g_rmdir (dir);
      return;
    }
  /* the server (this test) never answers, not even the kernel's INIT;
   * an O_PATH descriptor asks the filesystem nothing when it is opened */
  held = open (dir, O_PATH | O_CLOEXEC);
  g_assert_cmpint (held, >=, 0);

  /* the facts of one slot with a PCI device: the descriptors are read */
  facts = g_ptr_array_new_with_free_func ((GDestroyNotify) hotplug_blocker_facts_free);
  g_ptr_array_add (facts, hotplug_blocker_facts_new ("unit/slot-1", NULL, NULL, pci));
  hotplug_blockers_scan_async (facts, NULL, on_fuse_scanned, &found);
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (found == NULL && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (10000);
  in_time = found != NULL;
  /* ending the server unblocks whoever waits on it */
  close (fuse);
  while (found == NULL)
    g_main_context_iteration (NULL, TRUE);
  close (held);
  umount2 (dir, MNT_DETACH);
  g_rmdir (dir);
  g_clear_pointer (&found, g_ptr_array_unref);
  if (!in_time)
    g_test_fail_printf ("the scan waited on a FUSE server that does not answer (a descriptor linked to %s)", dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/blockers/unescape", test_unescape);
  g_test_add_func ("/blockers/mountinfo", test_mountinfo);
  g_test_add_func ("/blockers/swaps", test_swaps);
  g_test_add_func ("/blockers/status", test_status);
  g_test_add_func ("/blockers/affinity", test_affinity);
  g_test_add_func ("/blockers/memory", test_memory);
  g_test_add_func ("/blockers/devices", test_devices);
  g_test_add_func ("/blockers/open", test_open);
  g_test_add_func ("/blockers/pinned", test_pinned);
  g_test_add_func ("/blockers/flush-unbacked", test_flush_unbacked);
  g_test_add_func ("/blockers/fuse-holder", test_fuse_holder);
  /* last: it leaves the process in a mount namespace of its own */
  g_test_add_func ("/blockers/mount-points-bind", test_mount_points_bind);
  return g_test_run ();
}
