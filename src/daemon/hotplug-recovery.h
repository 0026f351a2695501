/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "hotplug-job.h"

G_BEGIN_DECLS

/* What a daemon that died in the middle of a job left to do, read from
 * its journal (hotplug-journal.h):
 *  - the job had ended, or never passed its first record: nothing
 *    (*recovery NULL, TRUE);
 *  - the journal is from an earlier boot of the machine: nothing can be
 *    undone (the hardware started afresh): *recovery NULL, TRUE, and
 *    *note says so;
 *  - only post-* hooks were left, or the eject had been asked for (a
 *    board on its way out cannot come back): forward, the post-* hooks
 *    that had not run;
 *  - otherwise back: the undo of every kernel step done or in flight, then
 *    the *-failed hooks that had not run.
 * FALSE with an error when the journal cannot be used (corrupt, torn before
 * its end, from a newer version, not a journal). */
gboolean hotplug_recovery_read (const char       *path,
                                HotplugRecovery **recovery,
                                char            **note,
                                GError          **error);

/* Ends (SIGKILL) what is left of the hooks the dead daemon was running
 * when it died: the processes of each hook's process group that still
 * carry the job's HOTPLUG_JOB in their environment.  Returns how many. */
guint    hotplug_recovery_kill_leftovers (HotplugRecovery *recovery);

G_END_DECLS
