/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The platform model on the fixture machine (hotplug-fixture.h), events
 * injected as the kernel would send them; what it announces is recorded. */
#pragma once

#include "hotplug-fixture.h"
#include "hotplug-platform.h"
#include "hotplug-udev.h"

typedef struct
{
  HotplugFixture  *fx;
  HotplugUdev     *udev;
  HotplugPlatform *platform;
  GPtrArray       *added;    /* ids */
  GPtrArray       *removed;  /* ids */
  GPtrArray       *ejects;   /* ids */
  GPtrArray       *present;  /* ids */
  GPtrArray       *warnings; /* lines */
} Test;

#define assert_strv(v, expected) \
  G_STMT_START { g_autofree char *_s = strv_join (v); g_assert_cmpstr (_s, ==, expected); } G_STMT_END

#define MiB (G_GUINT64_CONSTANT (1) << 20)

void start (Test *t);
void setup (Test *t, gconstpointer data);
void teardown (Test *t, gconstpointer data);
void inject (Test *t, const char *action, const char *subsystem, const char *devpath);
HotplugDbusUnit *unit (Test *t, const char *id);
char *strv_join (const char *const *v);
char *unit_ids (Test *t);
void check_unit (Test *t, const char *id, const char *kind, const char *state, const char *parent,
            const char *cpus, const char *cpus_online, guint blocks, guint blocks_online,
            const char *ranges, const char *pci, const char *slots, const char *domain);
void set_cpu (Test *t, guint n, gboolean online);
void set_block (Test *t, guint n, gboolean online);
void restart (Test *t);
void remove_sb1 (Test *t, gboolean with_events);
