/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Uevent buffers.  hotplugd has no uevent parser of its own: libudev
 * receives the netlink messages and the daemon copies the fields of the
 * udev device into its event (hotplug-udev.c).  The project's own code on
 * the wire is the simulator's encoder, which writes the messages libudev
 * reads from it (hotplug_sim_uevent_encode); fuzzed here with the fields
 * cut from the input at its NULs: action, devpath, subsystem, devtype and
 * the "KEY=value" lines of the properties.
 *
 * Checked, as libudev's receive side reads a message: the "libudev"
 * prefix, the magic, the header size and offsets, the whole message within
 * libudev's 8 KiB receive buffer, the filter hashes; the properties a run
 * of NUL-ended "KEY=value" with a non-empty key and no key twice, the
 * first four ACTION, DEVPATH, SUBSYSTEM and SEQNUM as given.  Then the
 * properties go into the daemon's event (hotplug_event_new and
 * hotplug_event_set_property, as from a udev device) and a copy of the
 * event must equal it. */
#include "config.h"

#include <arpa/inet.h>

#include "fuzz-common.h"
#include "hotplug-event.h"
#include "hotplug-sim-uevent.h"

#define HEADER_SIZE  40
#define RECEIVE_MAX  HOTPLUG_SIM_UEVENT_MAX

static guint32
header_word (const guint8 *msg, guint i)
{
  guint32 v;

  memcpy (&v, msg + 8 + 4 * i, 4);
  return v;
}

static void
check_event_copy (GHashTable *props)
{
  g_autoptr(HotplugEvent) event = hotplug_event_new (g_hash_table_lookup (props, "ACTION"),
                                                     g_hash_table_lookup (props, "SUBSYSTEM"),
                                                     g_hash_table_lookup (props, "DEVPATH"));
  g_autoptr(HotplugEvent) copy = NULL;
  GHashTableIter it;
  gpointer k, v;

  g_hash_table_iter_init (&it, props);
  while (g_hash_table_iter_next (&it, &k, &v))
    hotplug_event_set_property (event, k, v);
  copy = hotplug_event_copy (event);
  FUZZ_CHECK (g_str_equal (copy->action, event->action) && g_str_equal (copy->devpath, event->devpath) &&
              g_str_equal (copy->subsystem, event->subsystem) && g_str_equal (copy->sysname, event->sysname),
              "the copy of an event differs");
  g_hash_table_iter_init (&it, props);
  while (g_hash_table_iter_next (&it, &k, &v))
    FUZZ_CHECK (g_strcmp0 (hotplug_event_get_property (copy, k), v) == 0, "the copy lost property %s",
                (const char *) k);
}

/* The properties of MSG (LEN bytes): KEY → value, checked as it goes. */
static GHashTable *
check_properties (const guint8 *msg, gsize len, const char *const want[4])
{
  static const char *const first[] = { "ACTION", "DEVPATH", "SUBSYSTEM", "SEQNUM" };
  GHashTable *props = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *p = (const char *) msg + HEADER_SIZE, *end = (const char *) msg + len;
  guint n = 0;

  FUZZ_CHECK (len == HEADER_SIZE || end[-1] == '\0', "the properties do not end in a NUL");
  for (; p < end; p += strlen (p) + 1, n++)
    {
      const char *eq = strchr (p, '=');
      g_autofree char *key = NULL;

      FUZZ_CHECK (eq != NULL && eq != p, "property %u “%s” is not KEY=value", n, p);
      key = g_strndup (p, (gsize) (eq - p));
      FUZZ_CHECK (!g_hash_table_contains (props, key), "key %s twice: the last one would win", key);
      if (n < 4)
        FUZZ_CHECK (g_str_equal (key, first[n]) && g_str_equal (eq + 1, want[n]), "property %u is “%s”", n, p);
      g_hash_table_insert (props, g_steal_pointer (&key), (gpointer) (eq + 1));
    }
  FUZZ_CHECK (n >= 4, "%u properties", n);
  return props;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_malloc (size + 1);
  const char *field[5] = { "", "", "", NULL, NULL };
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GHashTable) props = NULL;
  g_autofree char *seqnum = NULL;
  const guint8 *msg;
  gsize len, pos = 0;

  fuzz_init ();
  memcpy (text, data, size);
  text[size] = '\0';
  for (guint i = 0; i < 5 && pos <= size; i++)
    {
      field[i] = text + pos;
      pos += strlen (text + pos) + 1;
    }
  bytes = hotplug_sim_uevent_encode (size, field[0], field[1], field[2], field[3], field[4]);
  if (bytes == NULL)
    {
      /* refused as too large for one message: the fields and the names of
       * the four fixed keys with the seqnum are all it could hold */
      FUZZ_CHECK (HEADER_SIZE + size + 64 > RECEIVE_MAX, "a message from %zu bytes refused", size);
      return 0;
    }
  msg = g_bytes_get_data (bytes, &len);
  FUZZ_CHECK (len >= HEADER_SIZE && len <= RECEIVE_MAX, "a message of %zu bytes", len);
  FUZZ_CHECK (memcmp (msg, "libudev", 8) == 0, "no libudev prefix");
  FUZZ_CHECK (ntohl (header_word (msg, 0)) == 0xfeedcafeu, "bad magic");
  FUZZ_CHECK (header_word (msg, 1) == HEADER_SIZE && header_word (msg, 2) == HEADER_SIZE &&
              header_word (msg, 3) == len - HEADER_SIZE, "bad header sizes");
  FUZZ_CHECK (ntohl (header_word (msg, 4)) == hotplug_sim_uevent_hash (field[2]), "bad subsystem hash");
  FUZZ_CHECK (ntohl (header_word (msg, 5)) == (field[3] ? hotplug_sim_uevent_hash (field[3]) : 0),
              "bad devtype hash");
  seqnum = g_strdup_printf ("%zu", size);
  props = check_properties (msg, len, (const char *const[4]) { field[0], field[1], field[2], seqnum });
  check_event_copy (props);
  return 0;
}
