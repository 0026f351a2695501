/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gio/gio.h>

#include "hotplug-fixture.h"
#include "hotplug-util.h"

HotplugFixture *
hotplug_fixture_new (void)
{
  return hotplug_fixture_new_in (NULL);
}

HotplugFixture *
hotplug_fixture_new_in (const char *parent)
{
  HotplugFixture *fx = g_new0 (HotplugFixture, 1);
  g_autoptr(GError) error = NULL;

  if (parent)
    {
      fx->root = g_build_filename (parent, "hotplugd-test-XXXXXX", NULL);
      g_assert_nonnull (g_mkdtemp (fx->root));
    }
  else
    fx->root = g_dir_make_tmp ("hotplugd-test-XXXXXX", &error);
  g_assert_no_error (error);
  hotplug_sysfs_set_root (fx->root);
  return fx;
}

static void
rm_rf (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (g_file_test (path, G_FILE_TEST_IS_SYMLINK) || !g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_unlink (path);
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  while (dir && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      rm_rf (child);
    }
  g_rmdir (path);
}

void
hotplug_fixture_free (HotplugFixture *fx)
{
  if (fx == NULL)
    return;
  rm_rf (fx->root);
  hotplug_sysfs_set_root (NULL);
  g_free (fx->root);
  g_free (fx);
}

char *
fx_path (HotplugFixture *fx, const char *path)
{
  return g_strconcat (fx->root, path, NULL);
}

void
fx_mkdir (HotplugFixture *fx, const char *path)
{
  g_autofree char *p = fx_path (fx, path);

  g_assert_cmpint (g_mkdir_with_parents (p, 0755), ==, 0);
}

void
fx_write_bytes (HotplugFixture *fx, const char *path, const guint8 *data, gsize len)
{
  g_autofree char *p = fx_path (fx, path);
  g_autofree char *dir = g_path_get_dirname (p);
  int fd;

  /* in place, as sysfs attributes change: no rename, no fsync */
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  fd = open (p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, data, len), ==, (gssize) len);
  close (fd);
}

void
fx_write (HotplugFixture *fx, const char *path, const char *content)
{
  fx_write_bytes (fx, path, (const guint8 *) content, strlen (content));
}

void
fx_link (HotplugFixture *fx, const char *path, const char *target)
{
  g_auto(GStrv) from = NULL;
  g_auto(GStrv) to = g_strsplit (target + 1, "/", -1);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *p = fx_path (fx, path);
  g_autofree char *pdir = g_path_get_dirname (p);
  GString *rel = g_string_new (NULL);
  g_autofree char *relstr = NULL;
  guint common = 0, nfrom;

  from = g_strsplit (dir + 1, "/", -1);
  nfrom = g_strv_length (from);
  while (from[common] && to[common] && g_str_equal (from[common], to[common]))
    common++;
  for (guint i = common; i < nfrom; i++)
    g_string_append (rel, "../");
  for (guint i = common; to[i]; i++)
    g_string_append_printf (rel, "%s%s", to[i], to[i + 1] ? "/" : "");
  relstr = g_string_free (rel, FALSE);
  g_assert_cmpint (g_mkdir_with_parents (pdir, 0755), ==, 0);
  g_unlink (p);
  g_assert_cmpint (symlink (relstr, p), ==, 0);
}

void
fx_rm (HotplugFixture *fx, const char *path)
{
  g_autofree char *p = fx_path (fx, path);

  rm_rf (p);
}

void
fx_base (HotplugFixture *fx, guint64 block_size)
{
  g_autofree char *bs = g_strdup_printf ("%" G_GINT64_MODIFIER "x", block_size);

  fx_mkdir (fx, "/sys/bus/cpu/devices");
  fx_mkdir (fx, "/sys/bus/memory/devices");
  fx_mkdir (fx, "/sys/bus/container/devices");
  fx_mkdir (fx, "/sys/bus/node/devices");
  fx_mkdir (fx, "/sys/bus/acpi/devices");
  fx_mkdir (fx, "/sys/bus/pci/devices");
  fx_mkdir (fx, "/sys/bus/pci/slots");
  fx_write (fx, "/sys/bus/pci/rescan", "");
  fx_write (fx, "/sys/devices/system/memory/block_size_bytes", bs);
  fx_write (fx, "/sys/devices/system/memory/auto_online_blocks", "offline");
  fx_write (fx, "/sys/firmware/acpi/hotplug/container/enabled", "1");
  fx_write (fx, "/sys/firmware/acpi/hotplug/memory/enabled", "1");
  fx_write (fx, "/sys/devices/LNXSYSTM:00/LNXSYBUS:00/hid", "LNXSYBUS");
}

static void
device_common (HotplugFixture *fx, const char *dir, const char *subsystem, const char *uevent)
{
  g_autofree char *ue = g_strconcat (dir, "/uevent", NULL);
  g_autofree char *sub = g_strconcat (dir, "/subsystem", NULL);
  g_autofree char *bus = g_strconcat ("/sys/bus/", subsystem, NULL);
  g_autofree char *buslink = g_strconcat ("/sys/bus/", subsystem, "/devices/", strrchr (dir, '/') + 1, NULL);

  fx_write (fx, ue, uevent ? uevent : "");
  fx_link (fx, sub, bus);
  fx_link (fx, buslink, dir);
}

void
fx_node (HotplugFixture *fx, guint node)
{
  g_autofree char *dir = g_strdup_printf ("/sys/devices/system/node/node%u", node);
  g_autofree char *cpulist = g_strconcat (dir, "/cpulist", NULL);

  fx_mkdir (fx, dir);
  fx_write (fx, cpulist, "");
  device_common (fx, dir, "node", NULL);
}

void
fx_cpu (HotplugFixture *fx, guint n, guint node, int online)
{
  g_autofree char *dir = g_strdup_printf ("/sys/devices/system/cpu/cpu%u", n);
  g_autofree char *nodelink = g_strdup_printf ("%s/node%u", dir, node);
  g_autofree char *nodedir = g_strdup_printf ("/sys/devices/system/node/node%u", node);
  g_autofree char *back = g_strdup_printf ("%s/cpu%u", nodedir, n);

  fx_mkdir (fx, dir);
  if (online >= 0)
    {
      g_autofree char *o = g_strconcat (dir, "/online", NULL);
      fx_write (fx, o, online ? "1" : "0");
    }
  fx_link (fx, nodelink, nodedir);
  fx_link (fx, back, dir);
  device_common (fx, dir, "cpu", NULL);
}

void
fx_block (HotplugFixture *fx, guint n, guint node, gboolean online)
{
  g_autofree char *dir = g_strdup_printf ("/sys/devices/system/memory/memory%u", n);
  g_autofree char *nodelink = g_strdup_printf ("%s/node%u", dir, node);
  g_autofree char *nodedir = g_strdup_printf ("/sys/devices/system/node/node%u", node);
  g_autofree char *back = g_strdup_printf ("%s/memory%u", nodedir, n);
  g_autofree char *state = g_strconcat (dir, "/state", NULL);
  g_autofree char *on = g_strconcat (dir, "/online", NULL);
  g_autofree char *idx = g_strconcat (dir, "/phys_index", NULL);
  g_autofree char *idxv = g_strdup_printf ("%08x", n);
  g_autofree char *zones = g_strconcat (dir, "/valid_zones", NULL);
  g_autofree char *rem = g_strconcat (dir, "/removable", NULL);

  fx_mkdir (fx, dir);
  fx_write (fx, state, online ? "online" : "offline");
  fx_write (fx, on, online ? "1" : "0");
  fx_write (fx, idx, idxv);
  fx_write (fx, zones, "Movable");
  fx_write (fx, rem, "1");
  fx_link (fx, nodelink, nodedir);
  fx_link (fx, back, dir);
  device_common (fx, dir, "memory", NULL);
}

static void
acpi_node (HotplugFixture *fx, const char *dir, const char *hid, const char *uid)
{
  g_autofree char *h = g_strconcat (dir, "/hid", NULL);
  g_autofree char *s = g_strconcat (dir, "/status", NULL);

  fx_mkdir (fx, dir);
  fx_write (fx, h, hid);
  fx_write (fx, s, "15");
  if (uid)
    {
      g_autofree char *u = g_strconcat (dir, "/uid", NULL);
      fx_write (fx, u, uid);
    }
  device_common (fx, dir, "acpi", NULL);
}

char *
fx_container (HotplugFixture *fx, guint instance, const char *uid)
{
  g_autofree char *name = g_strdup_printf ("ACPI0004:%02x", instance);
  char *acpi = g_strdup_printf ("/sys/devices/LNXSYSTM:00/LNXSYBUS:00/%s", name);
  g_autofree char *dev = g_strdup_printf ("/sys/devices/system/container/%s", name);
  g_autofree char *phys = g_strconcat (acpi, "/physical_node", NULL);
  g_autofree char *fw = g_strconcat (dev, "/firmware_node", NULL);
  g_autofree char *online = g_strconcat (dev, "/online", NULL);
  g_autofree char *eject = g_strconcat (acpi, "/eject", NULL);
  g_autofree char *path = g_strconcat (acpi, "/path", NULL);
  g_autofree char *pathv = g_strdup_printf ("\\_SB_.SB%02u", instance);

  acpi_node (fx, acpi, "ACPI0004", uid);
  fx_write (fx, eject, "");
  fx_write (fx, path, pathv);
  fx_mkdir (fx, dev);
  fx_write (fx, online, "1");
  fx_link (fx, fw, acpi);
  fx_link (fx, phys, dev);
  device_common (fx, dev, "container", NULL);
  return acpi;
}

void
fx_container_cpu (HotplugFixture *fx, const char *acpi, guint instance, guint cpu)
{
  g_autofree char *dir = g_strdup_printf ("%s/ACPI0007:%02x", acpi, instance);
  g_autofree char *phys = g_strconcat (dir, "/physical_node", NULL);
  g_autofree char *target = g_strdup_printf ("/sys/devices/system/cpu/cpu%u", cpu);
  g_autofree char *fw = g_strdup_printf ("/sys/devices/system/cpu/cpu%u/firmware_node", cpu);

  acpi_node (fx, dir, "ACPI0007", NULL);
  fx_link (fx, phys, target);
  fx_link (fx, fw, dir);
}

void
fx_memory_device (HotplugFixture *fx, const char *parent, guint instance, const char *uid,
                  guint first, guint last)
{
  g_autofree char *dir = g_strdup_printf ("%s/PNP0C80:%02x", parent, instance);

  acpi_node (fx, dir, "PNP0C80", uid);
  for (guint b = first; b <= last; b++)
    {
      g_autofree char *phys = b == first ? g_strconcat (dir, "/physical_node", NULL)
                                         : g_strdup_printf ("%s/physical_node%u", dir, b - first);
      g_autofree char *target = g_strdup_printf ("/sys/devices/system/memory/memory%u", b);
      fx_link (fx, phys, target);
    }
}

void
fx_root_bus (HotplugFixture *fx, const char *root_bus)
{
  g_autofree char *dir = g_strconcat ("/sys/devices/", root_bus, NULL);
  g_autofree char *ue = g_strconcat (dir, "/uevent", NULL);

  fx_write (fx, ue, "");
}

void
fx_host_bridge (HotplugFixture *fx, const char *acpi, guint instance, const char *root_bus)
{
  g_autofree char *dir = g_strdup_printf ("%s/PNP0A08:%02x", acpi, instance);
  g_autofree char *phys = g_strconcat (dir, "/physical_node", NULL);
  g_autofree char *target = g_strconcat ("/sys/devices/", root_bus, NULL);

  acpi_node (fx, dir, "PNP0A08", NULL);
  fx_root_bus (fx, root_bus);
  fx_link (fx, phys, target);
}

void
fx_pci (HotplugFixture *fx, const char *devpath, guint16 vendor, guint16 device,
        guint32 class_code, gboolean bridge, guint8 secondary, guint8 subordinate)
{
  g_autofree char *dir = g_strconcat ("/sys", devpath, NULL);
  const char *bdf = strrchr (devpath, '/') + 1;
  guint8 config[256] = { 0, };
  g_autofree char *uevent = NULL;
  struct { const char *name; char *value; } attrs[] = {
    { "vendor", g_strdup_printf ("0x%04x", vendor) },
    { "device", g_strdup_printf ("0x%04x", device) },
    { "subsystem_vendor", g_strdup_printf ("0x%04x", vendor) },
    { "subsystem_device", g_strdup ("0x0000") },
    { "class", g_strdup_printf ("0x%06x", class_code) },
    { "irq", g_strdup ("0") },
    { "numa_node", g_strdup ("-1") },
    { "enable", g_strdup ("1") },
    { "remove", g_strdup ("") },
    { "rescan", g_strdup ("") },
    { "secondary_bus_number", bridge ? g_strdup_printf ("%u", secondary) : NULL },
    { "subordinate_bus_number", bridge ? g_strdup_printf ("%u", subordinate) : NULL },
  };
  g_autofree char *cfg = g_strconcat (dir, "/config", NULL);

  fx_mkdir (fx, dir);
  for (guint i = 0; i < G_N_ELEMENTS (attrs); i++)
    {
      g_autofree char *p = g_strconcat (dir, "/", attrs[i].name, NULL);
      if (attrs[i].value)
        fx_write (fx, p, attrs[i].value);
      g_free (attrs[i].value);
    }
  config[0] = vendor & 0xff;
  config[1] = vendor >> 8;
  config[2] = device & 0xff;
  config[3] = device >> 8;
  config[9] = class_code & 0xff;
  config[10] = (class_code >> 8) & 0xff;
  config[11] = (class_code >> 16) & 0xff;
  config[14] = bridge ? 1 : 0;
  if (bridge)
    {
      unsigned d, b;
      g_assert_cmpint (sscanf (bdf, "%x:%x:", &d, &b), ==, 2);
      config[0x18] = (guint8) b;
      config[0x19] = secondary;
      config[0x1a] = subordinate;
    }
  fx_write_bytes (fx, cfg, config, sizeof config);
  uevent = g_strdup_printf ("PCI_CLASS=%X\nPCI_ID=%04X:%04X\nPCI_SUBSYS_ID=%04X:0000\nPCI_SLOT_NAME=%s\n"
                            "MODALIAS=pci:v%08Xd%08Xsv%08Xsd00000000bc%02Xsc%02Xi%02X\n",
                            class_code, vendor, device, vendor, bdf, vendor, device, vendor,
                            (class_code >> 16) & 0xff, (class_code >> 8) & 0xff, class_code & 0xff);
  device_common (fx, dir, "pci", uevent);
}

void
fx_slot (HotplugFixture *fx, const char *name, const char *address, gboolean adapter, gboolean power)
{
  struct { const char *file, *value; } attrs[] = {
    { "address", address }, { "power", power ? "1" : "0" }, { "attention", "0" },
    { "latch", "1" }, { "adapter", adapter ? "1" : "0" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (attrs); i++)
    {
      g_autofree char *p = g_strdup_printf ("/sys/bus/pci/slots/%s/%s", name, attrs[i].file);
      fx_write (fx, p, attrs[i].value);
    }
}

void
fx_board (HotplugFixture *fx, guint instance, const char *uid, guint first_cpu, guint first_block,
          gboolean with_devices)
{
  g_autofree char *acpi = fx_container (fx, instance, uid);

  for (guint i = 0; i < 4; i++)
    {
      fx_cpu (fx, first_cpu + i, 1, 0);
      fx_container_cpu (fx, acpi, i, first_cpu + i);
    }
  for (guint b = first_block; b < first_block + 8; b++)
    fx_block (fx, b, 1, FALSE);
  fx_memory_device (fx, acpi, 0, NULL, first_block, first_block + 7);
  if (with_devices)
    {
      fx_host_bridge (fx, acpi, 0, "pci0001:80");
      fx_pci (fx, "/devices/pci0001:80/0001:80:01.0", 0x8086, 0x2030, 0x060400, TRUE, 0x81, 0x81);
      fx_pci (fx, "/devices/pci0001:80/0001:80:01.0/0001:81:00.0", 0x15b3, 0x1017, 0x020000, FALSE, 0, 0);
    }
}

void
fx_small_machine (HotplugFixture *fx)
{
  g_autofree char *sb0 = NULL;
  g_autofree char *iou2 = NULL;

  fx_base (fx, 0x8000000);
  fx_node (fx, 0);
  fx_node (fx, 1);

  /* free CPUs and memory on node 0 */
  fx_cpu (fx, 0, 0, -1);
  for (guint n = 1; n < 4; n++)
    fx_cpu (fx, n, 0, 1);
  for (guint b = 0; b < 8; b++)
    fx_block (fx, b, 0, TRUE);
  for (guint b = 8; b < 12; b++)
    fx_block (fx, b, 0, FALSE);
  fx_memory_device (fx, "/sys/devices/LNXSYSTM:00/LNXSYBUS:00", 5, "5", 8, 11);

  /* sb0 */
  sb0 = fx_container (fx, 0, "0");
  for (guint i = 0; i < 4; i++)
    {
      fx_cpu (fx, 4 + i, 1, 1);
      fx_container_cpu (fx, sb0, i, 4 + i);
    }
  for (guint b = 16; b < 24; b++)
    fx_block (fx, b, 1, TRUE);
  fx_memory_device (fx, sb0, 0, NULL, 16, 23);
  fx_host_bridge (fx, sb0, 0, "pci0000:40");
  fx_pci (fx, "/devices/pci0000:40/0000:40:01.0", 0x8086, 0x347a, 0x060400, TRUE, 0x41, 0x43);
  fx_pci (fx, "/devices/pci0000:40/0000:40:01.0/0000:41:00.0", 0x10b5, 0x8724, 0x060400, TRUE, 0x42, 0x43);
  fx_pci (fx, "/devices/pci0000:40/0000:40:01.0/0000:41:00.0/0000:42:08.0", 0x10b5, 0x8724, 0x060400, TRUE, 0x43, 0x43);
  fx_pci (fx, "/devices/pci0000:40/0000:40:01.0/0000:41:00.0/0000:42:08.0/0000:43:00.0", 0x8086, 0x1572, 0x020000, FALSE, 0, 0);
  fx_pci (fx, "/devices/pci0000:40/0000:40:01.0/0000:41:00.0/0000:42:08.0/0000:43:00.1", 0x8086, 0x1572, 0x020000, FALSE, 0, 0);
  fx_pci (fx, "/devices/pci0000:40/0000:40:02.0", 0x8086, 0x347b, 0x060400, TRUE, 0x44, 0x44);
  fx_slot (fx, "1", "0000:41:00", TRUE, TRUE);
  fx_slot (fx, "2", "0000:44:00", FALSE, FALSE);

  /* sb1, offline, with a host bridge in domain 0001 */
  fx_board (fx, 1, "1", 8, 24, TRUE);

  /* iou2 */
  iou2 = fx_container (fx, 2, "2");
  fx_host_bridge (fx, iou2, 0, "pci0000:c0");
  fx_pci (fx, "/devices/pci0000:c0/0000:c0:01.0", 0x8086, 0x347a, 0x060400, TRUE, 0xc1, 0xc1);
  fx_pci (fx, "/devices/pci0000:c0/0000:c0:01.0/0000:c1:00.0", 0x144d, 0xa808, 0x010802, FALSE, 0, 0);
  fx_slot (fx, "io-3.a", "0000:c1:00", TRUE, TRUE);
}

void
fx_large_machine (HotplugFixture *fx, guint boards, guint cpus_per_board, guint blocks_per_board)
{
  fx_base (fx, 0x8000000);
  for (guint b = 0; b < boards; b++)
    {
      g_autofree char *uid = g_strdup_printf ("%u", b);
      g_autofree char *acpi = NULL;

      fx_node (fx, b);
      acpi = fx_container (fx, b, uid);
      for (guint i = 0; i < cpus_per_board; i++)
        {
          guint cpu = b * cpus_per_board + i;
          fx_cpu (fx, cpu, b, cpu == 0 ? -1 : 1);
          fx_container_cpu (fx, acpi, i, cpu);
        }
      for (guint i = 0; i < blocks_per_board; i++)
        fx_block (fx, b * blocks_per_board + i, b, TRUE);
      fx_memory_device (fx, acpi, 0, NULL, b * blocks_per_board, (b + 1) * blocks_per_board - 1);
    }
}

int
hotplug_test_run_on_private_bus (GTestDBus **bus)
{
  int ret;

  *bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (*bus);
  g_setenv ("DBUS_SYSTEM_BUS_ADDRESS", g_test_dbus_get_bus_address (*bus), TRUE);
  ret = g_test_run ();
  g_test_dbus_down (*bus);
  g_clear_object (bus);
  return ret;
}
