/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Machine descriptions of the simulator: hotplug_sim_machine_load_data()
 * on any text (and hotplug_sim_machine_load() on the input with a NUL,
 * which it must refuse).  A description either loads into a machine whose names and
 * sysfs paths are valid UTF-8, relative, without "." or ".." or empty
 * components (the simulator makes them under its sysfs root) and each
 * device's its own, whose unit ids are unique, whose NUMA
 * nodes are sorted and unique and whose CPU and block counts cover every
 * CPU and block; or it is refused with an error that is valid UTF-8 and
 * names the file and a line that exists. */
#include "config.h"

#include "fuzz-common.h"
#include "hotplug-sim-machine.h"

#define ORIGIN "fuzz.machine"

static void
check_path (const char *path)
{
  g_auto(GStrv) parts = NULL;

  FUZZ_CHECK_UTF8 (path, "a device path");
  FUZZ_CHECK (*path && path[0] != '/', "device path “%s”", path);
  parts = g_strsplit (path, "/", -1);
  for (guint i = 0; parts[i]; i++)
    FUZZ_CHECK (*parts[i] && !g_str_equal (parts[i], ".") && !g_str_equal (parts[i], ".."),
                "device path “%s”", path);
}

static void
check_machine (HotplugSimMachine *m)
{
  g_autoptr(GHashTable) paths = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < m->devs->len; i++)
    {
      HotplugSimDev *d = g_ptr_array_index (m->devs, i);

      FUZZ_CHECK_UTF8 (d->name, "a device name");
      FUZZ_CHECK (*d->name && strchr (d->name, '/') == NULL, "device name “%s”", d->name);
      check_path (d->path);
      /* one directory in sysfs each */
      FUZZ_CHECK (g_hash_table_add (paths, d->path), "two devices at %s", d->path);
      if (d->kind == HOTPLUG_SIM_DEV_CPU)
        FUZZ_CHECK (d->index < m->ncpus, "cpu%u of %u", d->index, m->ncpus);
      if (d->kind == HOTPLUG_SIM_DEV_MEMORY)
        FUZZ_CHECK (d->index < m->nblocks, "memory%u of %u", d->index, m->nblocks);
    }
  for (guint i = 0; i < m->units->len; i++)
    {
      HotplugSimUnit *u = g_ptr_array_index (m->units, i);

      FUZZ_CHECK_UTF8 (u->id, "a unit id");
      FUZZ_CHECK (g_hash_table_add (ids, u->id), "two units with id %s", u->id);
      if (u->name)
        FUZZ_CHECK_UTF8 (u->name, "a slot name");
      if (u->path)
        check_path (u->path);
    }
  for (guint i = 1; i < m->nodes->len; i++)
    FUZZ_CHECK (g_array_index (m->nodes, guint, i - 1) < g_array_index (m->nodes, guint, i), "nodes out of order");
  FUZZ_CHECK (m->block_size >= 4096 && (m->block_size & (m->block_size - 1)) == 0, "block size %" G_GUINT64_FORMAT,
              m->block_size);
  if (m->name)
    FUZZ_CHECK_UTF8 (m->name, "the machine's name");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(HotplugSimMachine) m = NULL;

  fuzz_init ();
  if (memchr (data, '\0', size) != NULL)
    {
      /* the file, read whole: a NUL is an error, not the end of the text */
      const char *path = fuzz_input_file (data, size);
      g_autoptr(HotplugSimMachine) bad = hotplug_sim_machine_load (path, &error);

      FUZZ_CHECK (bad == NULL && error != NULL, "a file with a NUL byte loaded");
      FUZZ_CHECK_UTF8 (error->message, "the error message");
      FUZZ_CHECK (g_str_has_prefix (error->message, path), "the error does not name the file: %s", error->message);
      g_clear_error (&error);
    }
  m = hotplug_sim_machine_load_data (text, ORIGIN, &error);
  if (m == NULL)
    {
      FUZZ_CHECK (error != NULL, "no machine and no error");
      FUZZ_CHECK_UTF8 (error->message, "the error message");
      fuzz_check_line_ref (error->message, ORIGIN, text);
      return 0;
    }
  FUZZ_CHECK (error == NULL, "a machine and an error: %s", error->message);
  check_machine (m);
  return 0;
}
