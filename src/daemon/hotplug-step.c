/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <string.h>

#include "hotplug-error.h"
#include "hotplug-step.h"

static const char *const kind_names[] = {
  [HOTPLUG_STEP_RUN_HOOKS] = "run-hooks",
  [HOTPLUG_STEP_CPU_OFFLINE] = "cpu-offline",
  [HOTPLUG_STEP_CPU_ONLINE] = "cpu-online",
  [HOTPLUG_STEP_MEMORY_OFFLINE] = "memory-offline",
  [HOTPLUG_STEP_MEMORY_ONLINE] = "memory-online",
  [HOTPLUG_STEP_CONTAINER_OFFLINE] = "container-offline",
  [HOTPLUG_STEP_CONTAINER_ONLINE] = "container-online",
  [HOTPLUG_STEP_EJECT] = "eject",
  [HOTPLUG_STEP_PCI_REMOVE] = "pci-remove",
  [HOTPLUG_STEP_PCI_RESCAN] = "pci-rescan",
  [HOTPLUG_STEP_SLOT_POWER_OFF] = "slot-power-off",
  [HOTPLUG_STEP_SLOT_POWER_ON] = "slot-power-on",
  [HOTPLUG_STEP_WAIT_DEVICES] = "wait-devices",
  [HOTPLUG_STEP_QUIESCE] = "quiesce",
  [HOTPLUG_STEP_FREEZE] = "freeze",
  [HOTPLUG_STEP_THAW] = "thaw",
  [HOTPLUG_STEP_WAIT_SWAP] = "wait-swap",
  [HOTPLUG_STEP_CHECK_BUSY] = "check-busy",
  [HOTPLUG_STEP_PCI_UNBIND] = "pci-unbind",
  [HOTPLUG_STEP_PCI_BIND] = "pci-bind",
  [HOTPLUG_STEP_PCI_PROBE] = "pci-probe",
  [HOTPLUG_STEP_BUS_RESCAN] = "bus-rescan",
  [HOTPLUG_STEP_WAIT_DOMAIN] = "wait-domain",
};

HotplugStep *
hotplug_step_new (HotplugStepKind kind, guint index, const char *name, const char *value)
{
  HotplugStep *step = g_new0 (HotplugStep, 1);

  step->kind = kind;
  step->index = index;
  step->name = g_strdup (name ? name : "");
  step->value = g_strdup (value ? value : "");
  return step;
}

HotplugStep *
hotplug_step_copy (const HotplugStep *step)
{
  return hotplug_step_new (step->kind, step->index, step->name, step->value);
}

void
hotplug_step_free (HotplugStep *step)
{
  if (step == NULL)
    return;
  g_free (step->name);
  g_free (step->value);
  g_free (step);
}

gboolean
hotplug_step_equal (const HotplugStep *a, const HotplugStep *b)
{
  return a->kind == b->kind && a->index == b->index && g_str_equal (a->name, b->name) &&
         g_str_equal (a->value, b->value);
}

const char *
hotplug_step_kind_to_string (HotplugStepKind kind)
{
  if ((guint) kind >= G_N_ELEMENTS (kind_names))
    return "unknown";
  return kind_names[kind];
}

gboolean
hotplug_step_kind_from_string (const char *text, HotplugStepKind *kind)
{
  for (guint i = 0; text && i < G_N_ELEMENTS (kind_names); i++)
    if (g_str_equal (text, kind_names[i]))
      {
        *kind = (HotplugStepKind) i;
        return TRUE;
      }
  return FALSE;
}

char *
hotplug_step_describe (const HotplugStep *step)
{
  switch (step->kind)
    {
    case HOTPLUG_STEP_RUN_HOOKS:
      return g_strdup_printf ("run the %s hooks", step->name);
    case HOTPLUG_STEP_CPU_OFFLINE:
      return g_strdup_printf ("offline cpu%u", step->index);
    case HOTPLUG_STEP_CPU_ONLINE:
      return g_strdup_printf ("online cpu%u", step->index);
    case HOTPLUG_STEP_MEMORY_OFFLINE:
      return g_strdup_printf ("offline memory%u", step->index);
    case HOTPLUG_STEP_MEMORY_ONLINE:
      return g_strdup_printf ("online memory%u (%s)", step->index, step->value);
    case HOTPLUG_STEP_CONTAINER_OFFLINE:
      return g_strdup_printf ("offline container %s", step->name);
    case HOTPLUG_STEP_CONTAINER_ONLINE:
      return g_strdup_printf ("online container %s", step->name);
    case HOTPLUG_STEP_EJECT:
      return g_strdup_printf ("eject %s", step->name);
    case HOTPLUG_STEP_PCI_REMOVE:
      return g_strdup_printf ("remove PCI device %s", step->name);
    case HOTPLUG_STEP_PCI_RESCAN:
      return *step->name ? g_strdup_printf ("rescan PCI below %s", step->name)
                         : g_strdup ("rescan the PCI buses");
    case HOTPLUG_STEP_SLOT_POWER_OFF:
      return g_strdup_printf ("power off slot %s", step->name);
    case HOTPLUG_STEP_SLOT_POWER_ON:
      return g_strdup_printf ("power on slot %s", step->name);
    case HOTPLUG_STEP_WAIT_DEVICES:
      return g_strdup_printf ("wait for the devices of %s", step->name);
    case HOTPLUG_STEP_QUIESCE:
      return g_strdup_printf ("quiesce %s", step->name);
    case HOTPLUG_STEP_FREEZE:
      return g_strdup_printf ("freeze the filesystem on %s", step->name);
    case HOTPLUG_STEP_THAW:
      return g_strdup_printf ("thaw the filesystem on %s", step->name);
    case HOTPLUG_STEP_WAIT_SWAP:
      return g_strdup_printf ("wait for the part of %s to be swapped", step->name);
    case HOTPLUG_STEP_CHECK_BUSY:
      return g_strdup_printf ("check that %s is not in use", step->name);
    case HOTPLUG_STEP_PCI_UNBIND:
      return g_strdup_printf ("unbind %s from %s", step->name, step->value);
    case HOTPLUG_STEP_PCI_BIND:
      return g_strdup_printf ("bind %s to %s", step->name, step->value);
    case HOTPLUG_STEP_PCI_PROBE:
      return g_strdup_printf ("probe a driver for %s", step->name);
    case HOTPLUG_STEP_BUS_RESCAN:
      return g_strdup_printf ("rescan PCI bus %s", step->name);
    case HOTPLUG_STEP_WAIT_DOMAIN:
      return g_strdup_printf ("wait for the devices of domain %s", step->name);
    default:
      return g_strdup ("unknown step");
    }
}

gboolean
hotplug_step_writes_kernel (const HotplugStep *step)
{
  return step->kind != HOTPLUG_STEP_RUN_HOOKS && step->kind != HOTPLUG_STEP_WAIT_DEVICES &&
         step->kind != HOTPLUG_STEP_WAIT_SWAP && step->kind != HOTPLUG_STEP_CHECK_BUSY &&
         step->kind != HOTPLUG_STEP_WAIT_DOMAIN;
}

gboolean
hotplug_step_get_write (const HotplugStep *step, char **path, const char **value)
{
  char *p = NULL;
  const char *v = NULL;

  switch (step->kind)
    {
    case HOTPLUG_STEP_CPU_OFFLINE:
    case HOTPLUG_STEP_CPU_ONLINE:
      p = g_strdup_printf ("/sys/devices/system/cpu/cpu%u/online", step->index);
      v = step->kind == HOTPLUG_STEP_CPU_ONLINE ? "1" : "0";
      break;
    case HOTPLUG_STEP_MEMORY_OFFLINE:
      p = g_strdup_printf ("/sys/devices/system/memory/memory%u/state", step->index);
      v = "offline";
      break;
    case HOTPLUG_STEP_MEMORY_ONLINE:
      p = g_strdup_printf ("/sys/devices/system/memory/memory%u/state", step->index);
      v = *step->value ? step->value : "online";
      break;
    case HOTPLUG_STEP_CONTAINER_OFFLINE:
    case HOTPLUG_STEP_CONTAINER_ONLINE:
      p = g_strdup_printf ("/sys/devices/system/container/%s/online", step->name);
      v = step->kind == HOTPLUG_STEP_CONTAINER_ONLINE ? "1" : "0";
      break;
    case HOTPLUG_STEP_EJECT:
      p = g_strdup_printf ("/sys/bus/acpi/devices/%s/eject", step->name);
      v = "1";
      break;
    case HOTPLUG_STEP_PCI_REMOVE:
      p = g_strdup_printf ("/sys/bus/pci/devices/%s/remove", step->name);
      v = "1";
      break;
    case HOTPLUG_STEP_PCI_RESCAN:
      p = *step->name ? g_strdup_printf ("/sys/bus/pci/devices/%s/rescan", step->name)
                      : g_strdup ("/sys/bus/pci/rescan");
      v = "1";
      break;
    case HOTPLUG_STEP_SLOT_POWER_OFF:
    case HOTPLUG_STEP_SLOT_POWER_ON:
      p = g_strdup_printf ("/sys/bus/pci/slots/%s/power", step->name);
      v = step->kind == HOTPLUG_STEP_SLOT_POWER_ON ? "1" : "0";
      break;
    case HOTPLUG_STEP_PCI_UNBIND:
    case HOTPLUG_STEP_PCI_BIND:
      p = g_strdup_printf ("/sys/bus/pci/drivers/%s/%s", step->value,
                           step->kind == HOTPLUG_STEP_PCI_BIND ? "bind" : "unbind");
      v = step->name;
      break;
    case HOTPLUG_STEP_PCI_PROBE:
      p = g_strdup ("/sys/bus/pci/drivers_probe");
      v = step->name;
      break;
    case HOTPLUG_STEP_BUS_RESCAN:
      p = g_strdup_printf ("/sys/class/pci_bus/%s/rescan", step->name);
      v = "1";
      break;
    case HOTPLUG_STEP_RUN_HOOKS:
    case HOTPLUG_STEP_WAIT_DEVICES:
    default:
      return FALSE;
    }
  *path = p;
  *value = v;
  return TRUE;
}

gboolean
hotplug_step_is_bus (const char *text)
{
  /* dddd:bb */
  if (text == NULL || strlen (text) != 7 || text[4] != ':')
    return FALSE;
  for (guint i = 0; i < 7; i++)
    if (i != 4 && !g_ascii_isxdigit (text[i]))
      return FALSE;
  return TRUE;
}

GPtrArray *
hotplug_step_undo (const HotplugStep *step)
{
  GPtrArray *undo = g_ptr_array_new_with_free_func ((GDestroyNotify) hotplug_step_free);

  switch (step->kind)
    {
    case HOTPLUG_STEP_CPU_OFFLINE:
      g_ptr_array_add (undo, hotplug_step_new (HOTPLUG_STEP_CPU_ONLINE, step->index, NULL, NULL));
      break;
    case HOTPLUG_STEP_CPU_ONLINE:
      g_ptr_array_add (undo, hotplug_step_new (HOTPLUG_STEP_CPU_OFFLINE, step->index, NULL, NULL));
      break;
    case HOTPLUG_STEP_MEMORY_OFFLINE:
      /* plain "online": the kernel puts the block back in its default
       * zone, which every block accepts */
      g_ptr_array_add (undo, hotplug_step_new (HOTPLUG_STEP_MEMORY_ONLINE, step->index, NULL, "online"));
      break;
    case HOTPLUG_STEP_MEMORY_ONLINE:
      g_ptr_array_add (undo, hotplug_step_new (HOTPLUG_STEP_MEMORY_OFFLINE, step->index, NULL, NULL));
      break;
    case HOTPLUG_STEP_CONTAINER_OFFLINE:
      g_ptr_array_add (undo, hotplug_step_new (HOTPLUG_STEP_CONTAINER_ONLINE, 0, step->name, NULL));
      break;
    case HOTPLUG_STEP_CONTAINER_ONLINE:
      g_ptr_array_add (undo, hotplug_step_new (HOTPLUG_STEP_CONTAINER_OFFLINE, 0, step->name, NULL));
      break;
    case HOTPLUG_STEP_PCI_REMOVE:
      /* a device on a root bus: that bus alone, not every bus of the
       * machine (a global rescan would bring back what other jobs took) */
      if (hotplug_step_is_bus (step->value))
        g_ptr_array_add (undo, hotplug_step_new (HOTPLUG_STEP_BUS_RESCAN, 0, step->value, step->name));
      else
        g_ptr_array_add (undo, hotplug_step_new (HOTPLUG_STEP_PCI_RESCAN, 0, step->value, step->name));
      break;
    case HOTPLUG_STEP_PCI_UNBIND:
      g_ptr_array_add (undo, hotplug_step_new (HOTPLUG_STEP_PCI_BIND, 0, step->name, step->value));
      break;
    case HOTPLUG_STEP_PCI_BIND:
      g_ptr_array_add (undo, hotplug_step_new (HOTPLUG_STEP_PCI_UNBIND, 0, step->name, step->value));
      break;
    case HOTPLUG_STEP_SLOT_POWER_OFF:
      {
        g_autofree char *unit = g_strconcat ("slot-", step->name, NULL);

        g_ptr_array_add (undo, hotplug_step_new (HOTPLUG_STEP_SLOT_POWER_ON, 0, step->name, NULL));
        g_ptr_array_add (undo, hotplug_step_new (HOTPLUG_STEP_PCI_RESCAN, 0, NULL, NULL));
        g_ptr_array_add (undo, hotplug_step_new (HOTPLUG_STEP_WAIT_DEVICES, 0, unit, NULL));
      }
      break;
    case HOTPLUG_STEP_SLOT_POWER_ON:
      g_ptr_array_add (undo, hotplug_step_new (HOTPLUG_STEP_SLOT_POWER_OFF, 0, step->name, NULL));
      break;
    case HOTPLUG_STEP_FREEZE:
      g_ptr_array_add (undo, hotplug_step_new (HOTPLUG_STEP_THAW, 0, step->name, NULL));
      break;
    case HOTPLUG_STEP_QUIESCE:
      /* rebind: the drivers find the devices (the part that is back, or
       * the one that never left) */
      if (*step->value)
        {
          g_ptr_array_add (undo, hotplug_step_new (HOTPLUG_STEP_PCI_RESCAN, 0, NULL, step->value));
          g_ptr_array_add (undo, hotplug_step_new (HOTPLUG_STEP_WAIT_DEVICES, 0, step->name, NULL));
        }
      break;
    case HOTPLUG_STEP_RUN_HOOKS:
    case HOTPLUG_STEP_EJECT:
    case HOTPLUG_STEP_PCI_RESCAN:
    case HOTPLUG_STEP_WAIT_DEVICES:
    default:
      break;
    }
  return undo;
}

GVariant *
hotplug_step_to_variant (const HotplugStep *step)
{
  return g_variant_new ("(suss)", hotplug_step_kind_to_string (step->kind), step->index,
                        step->name, step->value);
}

/* names travel into sysfs paths: no path separators, nothing odd */
static gboolean
safe_name (const char *s)
{
  if (strlen (s) > 255 || g_str_equal (s, ".") || g_str_equal (s, ".."))
    return FALSE;
  for (const char *p = s; *p; p++)
    if (*p == '/' || !g_ascii_isgraph (*p))
      return FALSE;
  return TRUE;
}

/* a mount point: absolute, no ".." component, no control character */
static gboolean
safe_mount_point (const char *s)
{
  g_auto(GStrv) parts = NULL;

  if (s[0] != '/' || strlen (s) > 4096 || !g_utf8_validate (s, -1, NULL))
    return FALSE;
  for (const char *p = s; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      return FALSE;
  parts = g_strsplit (s, "/", -1);
  for (guint i = 0; parts[i]; i++)
    if (g_str_equal (parts[i], ".."))
      return FALSE;
  return TRUE;
}

HotplugStep *
hotplug_step_from_variant (GVariant *variant, GError **error)
{
  const char *kind_text, *name, *value;
  HotplugStepKind kind;
  guint32 index;

  if (variant == NULL || !g_variant_is_of_type (variant, G_VARIANT_TYPE ("(suss)")))
    {
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                   "a step is a (suss), got %s", variant ? g_variant_get_type_string (variant) : "nothing");
      return NULL;
    }
  g_variant_get (variant, "(&su&s&s)", &kind_text, &index, &name, &value);
  if (!hotplug_step_kind_from_string (kind_text, &kind))
    {
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                   "unknown step kind “%s”", kind_text);
      return NULL;
    }
  if (!((kind == HOTPLUG_STEP_FREEZE || kind == HOTPLUG_STEP_THAW) ? safe_mount_point (name) : safe_name (name)) ||
      !safe_name (value))
    {
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                   "step %s: invalid name or value", kind_text);
      return NULL;
    }
  return hotplug_step_new (kind, index, name, value);
}
