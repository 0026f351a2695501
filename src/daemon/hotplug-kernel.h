/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "hotplug-platform.h"
#include "hotplug-step.h"

G_BEGIN_DECLS

/* The kernel actuator: one kernel step of an operation (hotplug-step.h),
 * its sysfs write made in a worker thread (offlining memory can take
 * seconds), then the wait for the model to show the kernel's answer;
 * freezing and thawing a filesystem (FIFREEZE/FITHAW, done when the ioctl
 * returns). */

/* Called on the main thread when the write succeeded (path without the
 * root prefix): from then on the step is possibly done, even if its
 * confirmation never comes. */
typedef void (*HotplugKernelWrittenFunc) (const char *path, const char *value, gpointer user_data);

void     hotplug_kernel_run_async (HotplugPlatform          *platform,
                                   const HotplugStep        *step,
                                   guint                     timeout_ms,
                                   HotplugKernelWrittenFunc  written,
                                   GCancellable             *cancellable,
                                   GAsyncReadyCallback       callback,
                                   gpointer                  user_data);
/* FALSE: the write failed (nothing changed), or the confirmation did not
 * come in time (HOTPLUG_ERROR_TIMEOUT: *written tells whether the write
 * was made, in which case the change may still land). */
gboolean hotplug_kernel_run_finish (HotplugPlatform *platform,
                                    GAsyncResult    *result,
                                    gboolean        *written,
                                    GError         **error);

/* Only waits for the model to confirm STEP (a step whose write was made
 * but not confirmed in time); finish with hotplug_kernel_run_finish(). */
void     hotplug_kernel_wait_async (HotplugPlatform     *platform,
                                    const HotplugStep   *step,
                                    guint                timeout_ms,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data);

/* Whether the model already shows what STEP would bring about, so that an
 * undo needs no write (writing "online" to an online memory block is an
 * error).  FALSE for steps without a state to compare (hooks, waits,
 * rescans that wait for nothing). */
gboolean hotplug_kernel_step_holds (HotplugPlatform   *platform,
                                    const HotplugStep *step);

G_END_DECLS
