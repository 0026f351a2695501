/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ctl verbs: what the firmware and the tests make happen. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <gio/gio.h>

#include "hotplug-sim-kernel-private.h"

/* ---------------------------------------------------------------------- */
/* firmware: the ctl verbs                                                 */

static const struct { const char *name; int value; } errnos[] = {
  { "EIO", EIO }, { "EBUSY", EBUSY }, { "EINVAL", EINVAL }, { "ENOMEM", ENOMEM },
  { "EAGAIN", EAGAIN }, { "ENODEV", ENODEV }, { "ENXIO", ENXIO }, { "EPERM", EPERM },
  { "EACCES", EACCES }, { "ETIMEDOUT", ETIMEDOUT }, { "ENOSPC", ENOSPC }, { "EEXIST", EEXIST },
  { "ENOENT", ENOENT }, { "EINTR", EINTR }, { "ENOTSUP", ENOTSUP }, { "ENOSYS", ENOSYS },
};

static gboolean
fail_one (const char *path, guint count, int err)
{
  char buf[64];

  if (getxattr (path, HOTPLUG_SIM_XATTR_RULES, NULL, 0) < 0)
    return FALSE;
  snprintf (buf, sizeof buf, "%u %d", count, err);
  return setxattr (path, HOTPLUG_SIM_XATTR_FAIL, buf, strlen (buf), 0) == 0;
}

static void
fail_walk (const char *dir, const char *name, guint count, int err, guint *hits)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *e;

  if (d == NULL)
    return;
  while ((e = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (dir, e, NULL);
      struct stat st;
      if (lstat (p, &st) < 0)
        continue;
      if (S_ISDIR (st.st_mode))
        fail_walk (p, name, count, err, hits);
      else if (S_ISREG (st.st_mode) && g_str_equal (e, name) && fail_one (p, count, err))
        (*hits)++;
    }
}

static gboolean
ctl_fail (HotplugSimKernel *self, char **argv, GString *out, GError **error)
{
  const char *attr = NULL;
  guint64 count = 1;
  int err = EIO;
  guint hits = 0;

  for (guint i = 1; argv[i]; i++)
    {
      if (g_str_equal (argv[i], "--errno") || g_str_has_prefix (argv[i], "--errno="))
        {
          const char *n = argv[i][7] == '=' ? argv[i] + 8 : argv[++i];
          guint j;
          if (n == NULL)
            return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "--errno needs a name such as EBUSY"), FALSE;
          for (j = 0; j < G_N_ELEMENTS (errnos); j++)
            if (g_ascii_strcasecmp (errnos[j].name, n) == 0)
              break;
          if (j == G_N_ELEMENTS (errnos))
            return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "unknown errno name '%s'", n), FALSE;
          err = errnos[j].value;
        }
      else if (attr == NULL)
        attr = argv[i];
      else if (!g_ascii_string_to_unsigned (argv[i], 10, 0, G_MAXINT, &count, NULL))
        return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "'%s' is not a count", argv[i]), FALSE;
    }
  if (attr == NULL)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "usage: fail ATTRIBUTE [COUNT] [--errno NAME]"), FALSE;
  if (attr[0] == '/')
    {
      g_autofree char *p = g_str_has_prefix (attr, "/sys/") ? g_strconcat (self->root, attr, NULL)
                                                          : g_strdup (attr);
      if (fail_one (p, count, err))
        hits++;
    }
  else if (strchr (attr, '/') == NULL)
    fail_walk (self->sys, attr, count, err, &hits);
  if (hits == 0)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                        "no writable attribute '%s' in the simulated sysfs", attr), FALSE;
  g_string_append_printf (out, "%u attribute%s armed\n", hits, hits == 1 ? "" : "s");
  return TRUE;
}

static HotplugSimUnit *
ctl_unit (HotplugSimKernel *self, const char *id, HotplugSimDev **cpu, GError **error)
{
  HotplugSimUnit *u;
  guint64 n;

  *cpu = NULL;
  if (id == NULL)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "missing UNIT"), NULL;
  if (g_str_has_prefix (id, "cpu") && g_ascii_string_to_unsigned (id + 3, 10, 0, G_MAXUINT, &n, NULL))
    {
      *cpu = hotplug_sim_machine_find_cpu (self->m, n);
      if (*cpu && (*cpu)->unit->kind == HOTPLUG_SIM_UNIT_BASE)
        return (*cpu)->unit;
      return g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                          *cpu ? "%s belongs to a system board" : "no such CPU: %s", id), NULL;
    }
  u = hotplug_sim_machine_find_unit (self->m, id);
  if (u == NULL || u->kind == HOTPLUG_SIM_UNIT_BASE)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no such unit: %s", id), NULL;
  return u;
}

static void
status (HotplugSimKernel *self, GString *out)
{
  HotplugSimMachine *m = self->m;

  g_string_append_printf (out, "machine %s (%s)\ndelay %u ms\n", m->name ? m->name : "", m->file, self->delay_ms);
  for (guint i = 0; i < m->units->len; i++)
    {
      HotplugSimUnit *u = g_ptr_array_index (m->units, i);
      guint cpus = 0, cpuson = 0, blocks = 0, blockson = 0, pci = 0;
      for (guint j = 0; j < u->devs->len; j++)
        {
          HotplugSimDev *d = g_ptr_array_index (u->devs, j);
          if (!d->present)
            continue;
          cpus += d->kind == HOTPLUG_SIM_DEV_CPU;
          cpuson += d->kind == HOTPLUG_SIM_DEV_CPU && d->online;
          blocks += d->kind == HOTPLUG_SIM_DEV_MEMORY;
          blockson += d->kind == HOTPLUG_SIM_DEV_MEMORY && d->online;
          pci += d->kind == HOTPLUG_SIM_DEV_PCI;
        }
      if (u->kind == HOTPLUG_SIM_UNIT_SLOT)
        g_string_append_printf (out, "%s %04x:%02x power=%d adapter=%d attention=%u pci=%u\n",
                                u->id, u->domain, u->bus, u->power, u->adapter, u->attention, pci);
      else
        g_string_append_printf (out, "%s %s%s cpus=%u/%u blocks=%u/%u pci=%u\n", u->id,
                                u->present ? "present" : "absent",
                                u->container && u->present ? (u->container->online ? " online" : " offline") : "",
                                cpuson, cpus, blockson, blocks, pci);
    }
  sim_domain_status (self, out);
}

/* insert, pull of a CPU on no board */
static gboolean
ctl_cpu (HotplugSimKernel *self, const char *verb, const char *id, HotplugSimDev *cpu, GError **error)
{
  if (g_str_equal (verb, "insert") && !cpu->present)
    {
      cpu->online = FALSE;
      if (cpu->fw && !cpu->fw->present)
        {
          sim_dev_create (self, cpu->fw);
          sim_send (self, cpu->fw, "add", NULL);
        }
      sim_dev_create (self, cpu);
      sim_send (self, cpu, "add", NULL);
      sim_update_cpu_lists (self);
      return TRUE;
    }
  if (g_str_equal (verb, "pull") && cpu->present && !cpu->fixed)
    {
      sim_send (self, cpu, "remove", NULL);
      sim_dev_destroy (self, cpu);
      if (cpu->fw)
        {
          sim_send (self, cpu->fw, "remove", NULL);
          sim_dev_destroy (self, cpu->fw);
        }
      sim_update_cpu_lists (self);
      return TRUE;
    }
  return g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot %s %s now (%s)", verb, id,
                      cpu->present ? "present" : "absent"), FALSE;
}

/* insert, pull, swap of a slot's card */
static gboolean
ctl_slot (HotplugSimKernel *self, const char *verb, HotplugSimUnit *u, GError **error)
{
  if (g_str_equal (verb, "eject"))
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                        "eject applies to sb and iou units; a slot is removed with its power"), FALSE;
  if (u->wd < 0)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s is not present (its unit is gone)", u->id), FALSE;
  if (!u->hotplug)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                        "%s is no hotplug slot (hotplug=false): its card cannot be changed while running",
                        u->id), FALSE;
  if (g_str_equal (verb, "insert"))
    {
      if (u->adapter)
        return g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "%s already holds a card", u->id), FALSE;
      u->adapter = TRUE;
      for (guint i = 0; i < u->devs->len; i++)
        ((HotplugSimDev *) g_ptr_array_index (u->devs, i))->physical = TRUE;
      sim_put (self, u->path, "adapter", "1\n", 0444);
      if (u->power)
        sim_pci_rescan (self, u->upstream);
      return TRUE;
    }
  if (!u->adapter)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s holds no card", u->id), FALSE;
  if (g_str_equal (verb, "pull"))
    {
      sim_pci_remove (self, NULL, u->devs);
      u->adapter = FALSE;
      for (guint i = 0; i < u->devs->len; i++)
        ((HotplugSimDev *) g_ptr_array_index (u->devs, i))->physical = FALSE;
      sim_put (self, u->path, "adapter", "0\n", 0444);
      return TRUE;
    }
  /* swap: the new card is enumerated afresh */
  sim_pci_remove (self, NULL, u->devs);
  if (u->power)
    sim_pci_rescan (self, u->upstream);
  return TRUE;
}

/* eject, insert, pull, swap of a board or I/O unit */
static gboolean
ctl_board (HotplugSimKernel *self, const char *verb, HotplugSimUnit *u, GError **error)
{
  if (g_str_equal (verb, "insert"))
    {
      if (u->present)
        return g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "%s is already present", u->id), FALSE;
      sim_unit_insert (self, u);
      return TRUE;
    }
  if (!u->present)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s is not present", u->id), FALSE;
  if (g_str_equal (verb, "eject"))
    sim_send (self, u->container, "change", "EVENT=offline\n");
  else if (g_str_equal (verb, "pull"))
    sim_unit_remove (self, u);
  else if (u->kind == HOTPLUG_SIM_UNIT_SB)
    sim_send (self, u->container, "change", NULL);
  else
    {
      sim_pci_remove (self, NULL, u->devs);
      sim_pci_rescan (self, NULL);
    }
  return TRUE;
}

gboolean
hotplug_sim_kernel_control (HotplugSimKernel *self, char **argv, GString *out, GError **error)
{
  const char *verb = argv[0];
  HotplugSimUnit *u;
  HotplugSimDev *cpu;

  if (verb == NULL)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "missing verb"), FALSE;
  if (g_str_equal (verb, "status"))
    {
      status (self, out);
      return TRUE;
    }
  if (g_str_equal (verb, "delay"))
    {
      guint64 ms;
      if (argv[1] == NULL || !g_ascii_string_to_unsigned (argv[1], 10, 0, 3600000, &ms, NULL) ||
          (argv[2] && argv[3]))
        return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            "usage: delay MS [MATCH] (MS 0-3600000; MATCH: only attributes whose path has it)"), FALSE;
      self->delay_ms = ms;
      g_free (self->delay_match);
      self->delay_match = argv[2] && *argv[2] ? g_strdup (argv[2]) : NULL;
      return TRUE;
    }
  if (g_str_equal (verb, "fail"))
    return ctl_fail (self, argv, out, error);
  if (g_str_equal (verb, "handover") || g_str_equal (verb, "owner"))
    return sim_domain_control (self, argv, out, error);
  if (hotplug_sim_storage_handles (verb))
    return hotplug_sim_storage_control (self->storage, argv, out, error);
  if (!g_strv_contains ((const char * const[]) { "eject", "insert", "pull", "swap", NULL }, verb))
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "unknown verb '%s' (eject, insert, pull, swap, fail, delay, back, hold, link, "
                        "handover, owner, status)",
                        verb), FALSE;
  if (argv[1] && argv[2])
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s takes one UNIT", verb), FALSE;
  u = ctl_unit (self, argv[1], &cpu, error);
  if (u == NULL)
    return FALSE;
  hotplug_sim_uevent_refresh (self->uevent);

  if (cpu)
    return ctl_cpu (self, verb, argv[1], cpu, error);
  if (u->kind == HOTPLUG_SIM_UNIT_SLOT)
    return ctl_slot (self, verb, u, error);
  return ctl_board (self, verb, u, error);
}

