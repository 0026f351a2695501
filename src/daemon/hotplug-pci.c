/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <gio/gio.h>
#include <pci/pci.h>

#include "hotplug-log.h"
#include "hotplug-pci.h"
#include "hotplug-util.h"

/* libpci's types, for g_autoptr() where no setjmp() is near */
typedef struct pci_access HotplugPciAccess;
typedef struct pci_dev HotplugPciDev;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotplugPciAccess, pci_cleanup)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotplugPciDev, pci_free_dev)

#define TOPIC "pci"

struct _HotplugPci
{
  GObject            parent_instance;
  struct pci_access *access;
};

G_DEFINE_TYPE (HotplugPci, hotplug_pci, G_TYPE_OBJECT)

/* libpci's error handler must not return (its default calls exit()).  We
 * jump back to the call that failed; the handlers get no user data, so the
 * landing point is per thread.  The daemon calls libpci from the main
 * thread only. */
static __thread jmp_buf *pci_jump = NULL;
static __thread char pci_last_error[256];

G_GNUC_PRINTF (1, 2) G_GNUC_NORETURN static void
pci_error_handler (char *msg, ...)
{
  va_list ap;

  va_start (ap, msg);
  g_vsnprintf (pci_last_error, sizeof pci_last_error, msg, ap);
  va_end (ap);
  if (pci_jump)
    longjmp (*pci_jump, 1);
  /* cannot happen: every call into libpci sets the landing point */
  g_error ("libpci: %s", pci_last_error);
}

G_GNUC_PRINTF (1, 2) static void
pci_warning_handler (char *msg, ...)
{
  g_autofree char *text = NULL;
  va_list ap;

  va_start (ap, msg);
  text = g_strdup_vprintf (msg, ap);
  va_end (ap);
  hotplug_log_ratelimited (G_LOG_LEVEL_WARNING, "libpci-warning", TOPIC, NULL, NULL, NULL,
                           "libpci: %s", text);
}

G_GNUC_PRINTF (1, 2) static void
pci_debug_handler (char *msg, ...)
{
  /* libpci's debug output comes in fragments; not worth the noise */
}

static void
hotplug_pci_finalize (GObject *object)
{
  HotplugPci *self = HOTPLUG_PCI (object);

  g_clear_pointer (&self->access, pci_cleanup);
  G_OBJECT_CLASS (hotplug_pci_parent_class)->finalize (object);
}

static void
hotplug_pci_class_init (HotplugPciClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hotplug_pci_finalize;
}

static void
hotplug_pci_init (HotplugPci *self)
{
}

/* No automatic cleanup in a function that calls setjmp(): a longjmp can
 * leave such variables clobbered. */
static gboolean
guarded_init (struct pci_access *access, const char *path)
{
  jmp_buf jump;

  pci_jump = &jump;
  if (setjmp (jump) != 0)
    {
      pci_jump = NULL;
      return FALSE;
    }
  pci_set_param (access, (char *) "sysfs.path", (char *) path);
  pci_init (access);
  pci_jump = NULL;
  return TRUE;
}

HotplugPci *
hotplug_pci_new (GError **error)
{
  g_autoptr(HotplugPci) self = g_object_new (HOTPLUG_TYPE_PCI, NULL);
  g_autofree char *path = hotplug_sysfs_path ("/sys/bus/pci");
  struct pci_access *access = pci_alloc ();

  access->error = pci_error_handler;
  access->warning = pci_warning_handler;
  access->debug = pci_debug_handler;
  /* Only sysfs: the other methods would read the real machine's
   * /proc/bus/pci when a test or the simulator has no PCI bus. */
  access->method = PCI_ACCESS_SYS_BUS_PCI;
  if (!guarded_init (access, path))
    {
      /* a half-initialized access is not safe to clean up; leak it */
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "libpci: %s", pci_last_error);
      return NULL;
    }
  self->access = access;
  return g_steal_pointer (&self);
}

gboolean
hotplug_pci_parse_bdf (const char *bdf, guint *domain, guint *bus, guint *dev, guint *func)
{
  unsigned d, b, s, f;
  int n = 0;

  if (bdf == NULL || sscanf (bdf, "%4x:%2x:%2x.%1x%n", &d, &b, &s, &f, &n) != 4 ||
      bdf[n] != '\0' || n != 12 || s > 31 || f > 7)
    return FALSE;
  if (domain)
    *domain = d;
  if (bus)
    *bus = b;
  if (dev)
    *dev = s;
  if (func)
    *func = f;
  return TRUE;
}

gboolean
hotplug_pci_read (HotplugPci     *self,
                  const char     *bdf,
                  HotplugPciInfo *info,
                  GError        **error)
{
  struct pci_dev *volatile dev = NULL;
  guint domain, bus, slot, func;
  jmp_buf jump;

  g_return_val_if_fail (HOTPLUG_IS_PCI (self), FALSE);
  g_return_val_if_fail (info != NULL, FALSE);

  if (!hotplug_pci_parse_bdf (bdf, &domain, &bus, &slot, &func))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "not a PCI address: '%s'", bdf ? bdf : "(null)");
      return FALSE;
    }

  pci_jump = &jump;
  if (setjmp (jump) != 0)
    {
      pci_jump = NULL;
      if (dev)
        pci_free_dev (dev);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "libpci on %s: %s", bdf, pci_last_error);
      return FALSE;
    }
  dev = pci_get_dev (self->access, (int) domain, (int) bus, (int) slot, (int) func);
  pci_fill_info (dev, PCI_FILL_IDENT | PCI_FILL_CLASS);
  memset (info, 0, sizeof *info);
  info->vendor = dev->vendor_id;
  info->device = dev->device_id;
  info->class_code = ((guint32) dev->device_class << 8) | pci_read_byte (dev, PCI_CLASS_PROG);
  info->header_type = pci_read_byte (dev, PCI_HEADER_TYPE) & 0x7f;
  if (info->header_type == PCI_HEADER_TYPE_BRIDGE)
    {
      info->secondary_bus = pci_read_byte (dev, PCI_SECONDARY_BUS);
      info->subordinate_bus = pci_read_byte (dev, PCI_SUBORDINATE_BUS);
    }
  pci_free_dev (dev);
  dev = NULL;
  pci_jump = NULL;

  /* an all-ones vendor is what a device that is gone reads as */
  if (info->vendor == 0xffff || info->vendor == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s: no valid vendor id in its configuration space", bdf);
      return FALSE;
    }
  return TRUE;
}
