/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The crash journal: what the job engine keeps on disk so that a daemon
 * that died in the middle of an operation can finish or undo it on its
 * next start (hotplug-recovery.c reads it).
 *
 * One file per running job under <state directory>/journal/, removed when
 * the job ends.  A file is a line "hotplugd-journal 1" followed by one
 * record per line: "CRC32 TYPE FIELDS" where FIELDS is an a{sv} in GVariant
 * text form and the CRC (8 hex digits) covers "TYPE FIELDS".  A record is
 * appended with one write() before the thing it announces happens, so the
 * daemon's death leaves either the whole record or a torn last line, which
 * the reader tells apart from corruption.  Records are not fsync()ed: the
 * journal guards against the daemon's death; a crash of the machine resets
 * the hardware state the journal describes, and the boot id in the first
 * record tells such a journal apart. */

#define HOTPLUG_JOURNAL_VERSION 1

typedef struct _HotplugJournal HotplugJournal;

/* <state>/journal (created 0700 when missing) */
char           *hotplug_journal_dir (const char *state_dir);
/* $STATE_DIRECTORY, else LOCALSTATEDIR/lib/hotplugd */
const char     *hotplug_state_dir_default (void);

/* Creates a new journal file for job @job_id (never over an existing one;
 * the spare file an ended job left, emptied, is taken where there is one). */
HotplugJournal *hotplug_journal_create (const char *dir, guint job_id, GError **error);
/* Continues an existing journal (a recovered job appends its records to
 * the history of the job it takes over), cut to @valid_length first (the
 * whole records hotplug_journal_read() found: a torn tail goes). */
HotplugJournal *hotplug_journal_open (const char *path, gsize valid_length, GError **error);
/* Appends one record; @fields is an a{sv} (a floating reference is sunk). */
gboolean        hotplug_journal_append (HotplugJournal *self,
                                        const char     *type,
                                        GVariant       *fields,
                                        GError        **error);
/* One record as append writes it: "CRC32 TYPE FIELDS\n". */
char           *hotplug_journal_format_record (const char *type, GVariant *fields);
const char     *hotplug_journal_get_path (HotplugJournal *self);
/* Closes the file and, with @remove, deletes it (the job ended): renames it
 * to the spare and empties it, or unlinks it where there is a spare. */
void            hotplug_journal_close (HotplugJournal *self, gboolean remove);
void            hotplug_journal_close_keep (HotplugJournal *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotplugJournal, hotplug_journal_close_keep)

typedef struct
{
  char     *type;
  GVariant *fields; /* a{sv} */
} HotplugJournalRecord;

void            hotplug_journal_record_free (HotplugJournalRecord *record);

/* The records of a journal file, in order.  A torn last line (no newline,
 * or a bad checksum on the last line only) is dropped.  An
 * unreadable file, a bad header, a newer version, a bad record before the
 * last: FALSE with HOTPLUG_ERROR_FAILED saying which line and why. */
GPtrArray      *hotplug_journal_read (const char *path, gsize *valid_length, GError **error);
/* Parses journal text (the whole file), for read and for fuzzing.
 * *valid_length: the bytes that are whole records (< @length: torn). */
GPtrArray      *hotplug_journal_parse (const char *text, gsize length, gsize *valid_length, GError **error);
/* The journal files in @dir, oldest job first. */
GPtrArray      *hotplug_journal_list (const char *dir);
/* Renames a journal that cannot be used to "<path>.bad-<time>"; returns
 * the new path. */
char           *hotplug_journal_set_aside (const char *path, GError **error);

/* The current boot's id (/proc/sys/kernel/random/boot_id), "" if unknown. */
const char     *hotplug_journal_boot_id (void);

/* Units left failed (an undo that failed) stay failed across restarts
 * until a job on them succeeds: <state>/failed-units, a GKeyFile with one
 * group per unit id and its reason. */
GHashTable     *hotplug_failed_units_load (const char *state_dir);
gboolean        hotplug_failed_units_set (const char *state_dir,
                                          const char *unit,
                                          const char *reason, /* NULL: clear */
                                          GError    **error);

G_END_DECLS
