/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The domain state machine: its transitions, what it keeps in the state
 * directory, and the switchover and connect steps (their undo and their
 * journal form). */
#include "config.h"

#include <glib/gstdio.h>

#include "hotplug-domain.h"
#include "hotplug-names.h"
#include "hotplug-step.h"

typedef struct
{
  char *dir;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  f->dir = g_dir_make_tmp ("hotplug-domain.XXXXXX", NULL);
  g_assert_nonnull (f->dir);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_autofree char *sub = g_build_filename (f->dir, HOTPLUG_STATE_DOMAINS_DIR, NULL);
  g_autoptr(GDir) d = g_dir_open (sub, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (sub, name, NULL);

      g_unlink (p);
    }
  g_rmdir (sub);
  g_rmdir (f->dir);
  g_free (f->dir);
}

static char *
saved (Fixture *f, const char *id)
{
  g_autofree char *p = g_build_filename (f->dir, HOTPLUG_STATE_DOMAINS_DIR, id, NULL);
  char *text = NULL;

  if (!g_file_get_contents (p, &text, NULL, NULL))
    return NULL;
  return g_strstrip (text);
}

static void
save (Fixture *f, const char *id, const char *text)
{
  g_autofree char *sub = g_build_filename (f->dir, HOTPLUG_STATE_DOMAINS_DIR, NULL);
  g_autofree char *p = g_build_filename (sub, id, NULL);

  g_assert_cmpint (g_mkdir_with_parents (sub, 0755), ==, 0);
  g_assert_true (g_file_set_contents (p, text, -1, NULL));
}

static const char *
state (HotplugDomain *d)
{
  return hotplug_dbus_domain_get_connection_state (HOTPLUG_DBUS_DOMAIN (d));
}

static void
test_first_sight (Fixture *f, gconstpointer data)
{
  g_autoptr(HotplugDomain) seen = hotplug_domain_new ("0001", f->dir, TRUE, TRUE);
  g_autoptr(HotplugDomain) unseen = hotplug_domain_new ("0002", f->dir, FALSE, TRUE);
  g_autofree char *s1 = saved (f, "0001");
  g_autofree char *s2 = saved (f, "0002");

  g_assert_cmpstr (state (seen), ==, "connected");
  g_assert_cmpstr (s1, ==, "connected");
  g_assert_cmpstr (state (unseen), ==, "inactive");
  g_assert_cmpstr (s2, ==, "inactive");
}

static void
test_saved_state_wins (Fixture *f, gconstpointer data)
{
  save (f, "0001", "disconnected\n");
  save (f, "0002", "disconnected\n");
  save (f, "0003", "connected\n");
  save (f, "0004", "inactive\n");
  {
    /* its root bus is still here: still disconnected, though nothing shows */
    g_autoptr(HotplugDomain) d1 = hotplug_domain_new ("0001", f->dir, FALSE, TRUE);
    /* handed over while the daemon was down */
    g_autoptr(HotplugDomain) d2 = hotplug_domain_new ("0002", f->dir, FALSE, FALSE);
    /* taken while the daemon was down */
    g_autoptr(HotplugDomain) d3 = hotplug_domain_new ("0003", f->dir, FALSE, FALSE);
    /* never derived from what is visible */
    g_autoptr(HotplugDomain) d4 = hotplug_domain_new ("0004", f->dir, TRUE, TRUE);
    g_autofree char *s2 = saved (f, "0002");

    g_assert_cmpstr (state (d1), ==, "disconnected");
    g_assert_cmpstr (state (d2), ==, "inactive");
    g_assert_cmpstr (s2, ==, "inactive");
    g_assert_cmpstr (state (d3), ==, "inactive");
    g_assert_cmpstr (state (d4), ==, "inactive");
  }
}

static void
test_corrupt_state_file (Fixture *f, gconstpointer data)
{
  g_autoptr(HotplugDomain) d = NULL;
  g_autofree char *s = NULL;

  save (f, "0001", "conn\xff\xfe" "ected and more\n");
  d = hotplug_domain_new ("0001", f->dir, TRUE, TRUE);
  s = saved (f, "0001");
  /* decided afresh and written again */
  g_assert_cmpstr (state (d), ==, "connected");
  g_assert_cmpstr (s, ==, "connected");
}

static void
test_switchover_transitions (Fixture *f, gconstpointer data)
{
  g_autoptr(HotplugDomain) d = hotplug_domain_new ("0001", f->dir, TRUE, TRUE);
  g_autofree char *s = NULL;

  /* a dry run changes nothing */
  hotplug_domain_job_started (d, HOTPLUG_OPERATION_SWITCHOVER, TRUE);
  hotplug_domain_job_phase (d, "post-switchover");
  hotplug_domain_job_ended (d, HOTPLUG_OPERATION_SWITCHOVER, HOTPLUG_JOB_STATE_SUCCEEDED, NULL, FALSE);
  g_assert_cmpstr (state (d), ==, "connected");

  /* rejected: back to connected */
  hotplug_domain_job_attached (d, "/org/hotplugd/Hotplug1/job/1");
  hotplug_domain_job_started (d, HOTPLUG_OPERATION_SWITCHOVER, FALSE);
  g_assert_cmpstr (state (d), ==, "disconnecting");
  g_assert_cmpstr (hotplug_dbus_domain_get_job (HOTPLUG_DBUS_DOMAIN (d)), ==, "/org/hotplugd/Hotplug1/job/1");
  hotplug_domain_job_ended (d, HOTPLUG_OPERATION_SWITCHOVER, HOTPLUG_JOB_STATE_VETOED, "no", FALSE);
  g_assert_cmpstr (state (d), ==, "connected");
  g_assert_cmpstr (hotplug_dbus_domain_get_job (HOTPLUG_DBUS_DOMAIN (d)), ==, "/");

  /* through: disconnected before post-switchover runs */
  hotplug_domain_job_started (d, HOTPLUG_OPERATION_SWITCHOVER, FALSE);
  hotplug_domain_update (d, NULL, NULL, TRUE);
  g_assert_cmpstr (state (d), ==, "disconnecting");
  hotplug_domain_job_phase (d, "post-switchover");
  g_assert_cmpstr (state (d), ==, "disconnected");
  hotplug_domain_job_ended (d, HOTPLUG_OPERATION_SWITCHOVER, HOTPLUG_JOB_STATE_SUCCEEDED, NULL, FALSE);
  g_assert_cmpstr (state (d), ==, "disconnected");
  s = saved (f, "0001");
  g_assert_cmpstr (s, ==, "disconnected");

  /* the platform hands it over: its root bus goes */
  hotplug_domain_update (d, NULL, NULL, FALSE);
  g_assert_cmpstr (state (d), ==, "inactive");
}

static void
test_failed_reconnection (Fixture *f, gconstpointer data)
{
  g_autoptr(HotplugDomain) d = hotplug_domain_new ("0001", f->dir, TRUE, TRUE);

  hotplug_domain_job_started (d, HOTPLUG_OPERATION_SWITCHOVER, FALSE);
  hotplug_domain_job_ended (d, HOTPLUG_OPERATION_SWITCHOVER, HOTPLUG_JOB_STATE_FAILED, "undo failed", TRUE);
  g_assert_cmpstr (state (d), ==, "failed");
  /* Connect repairs it; a connect that fails leaves it where it was */
  hotplug_domain_job_started (d, HOTPLUG_OPERATION_CONNECT, FALSE);
  hotplug_domain_job_ended (d, HOTPLUG_OPERATION_CONNECT, HOTPLUG_JOB_STATE_FAILED, "no devices", FALSE);
  g_assert_cmpstr (state (d), ==, "failed");
  hotplug_domain_job_started (d, HOTPLUG_OPERATION_CONNECT, FALSE);
  hotplug_domain_job_phase (d, "post-connect");
  g_assert_cmpstr (state (d), ==, "connected");
  hotplug_domain_job_ended (d, HOTPLUG_OPERATION_CONNECT, HOTPLUG_JOB_STATE_SUCCEEDED, NULL, FALSE);
  g_assert_cmpstr (state (d), ==, "connected");
}

static void
test_devices_vanish (Fixture *f, gconstpointer data)
{
  const char *const devs[] = { "0001:01:00.0", NULL };
  g_autoptr(HotplugDomain) d = hotplug_domain_new ("0001", NULL, TRUE, TRUE);

  hotplug_domain_update (d, NULL, devs, TRUE);
  /* a unit job of this host takes them: no news */
  hotplug_domain_hold (d, TRUE);
  hotplug_domain_update (d, NULL, NULL, TRUE);
  g_assert_cmpstr (state (d), ==, "connected");
  hotplug_domain_hold (d, FALSE);
  hotplug_domain_update (d, NULL, devs, TRUE);
  g_assert_cmpstr (state (d), ==, "connected");
  /* behind this host's back: taken by force */
  hotplug_domain_update (d, NULL, NULL, TRUE);
  g_assert_cmpstr (state (d), ==, "inactive");
  /* they come back: still not ours until Connect */
  hotplug_domain_update (d, NULL, devs, TRUE);
  g_assert_cmpstr (state (d), ==, "inactive");
  hotplug_domain_job_started (d, HOTPLUG_OPERATION_CONNECT, FALSE);
  hotplug_domain_job_ended (d, HOTPLUG_OPERATION_CONNECT, HOTPLUG_JOB_STATE_TIMEOUT, "timeout", FALSE);
  g_assert_cmpstr (state (d), ==, "inactive");
}

static void
test_steps (void)
{
  struct { HotplugStepKind kind; const char *name, *value, *write, *text; HotplugStepKind undo; } cases[] = {
    { HOTPLUG_STEP_PCI_UNBIND, "0001:01:00.0", "nvme", "/sys/bus/pci/drivers/nvme/unbind", "0001:01:00.0",
      HOTPLUG_STEP_PCI_BIND },
    { HOTPLUG_STEP_PCI_BIND, "0001:01:00.0", "nvme", "/sys/bus/pci/drivers/nvme/bind", "0001:01:00.0",
      HOTPLUG_STEP_PCI_UNBIND },
    { HOTPLUG_STEP_BUS_RESCAN, "0001:00", "", "/sys/class/pci_bus/0001:00/rescan", "1", 0 },
    { HOTPLUG_STEP_PCI_PROBE, "0001:02:00.0", "", "/sys/bus/pci/drivers_probe", "0001:02:00.0", 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(HotplugStep) step = hotplug_step_new (cases[i].kind, 0, cases[i].name, cases[i].value);
      g_autoptr(GVariant) v = g_variant_ref_sink (hotplug_step_to_variant (step));
      g_autoptr(HotplugStep) back = hotplug_step_from_variant (v, NULL);
      g_autoptr(GPtrArray) undo = hotplug_step_undo (step);
      g_autofree char *path = NULL;
      const char *value = NULL;

      g_assert_true (hotplug_step_equal (step, back));
      g_assert_true (hotplug_step_writes_kernel (step));
      g_assert_true (hotplug_step_get_write (step, &path, &value));
      g_assert_cmpstr (path, ==, cases[i].write);
      g_assert_cmpstr (value, ==, cases[i].text);
      if (cases[i].undo)
        {
          g_assert_cmpuint (undo->len, ==, 1);
          g_assert_cmpint (((HotplugStep *) g_ptr_array_index (undo, 0))->kind, ==, cases[i].undo);
        }
      else
        g_assert_cmpuint (undo->len, ==, 0);
    }
  {
    /* a device on a root bus comes back by a rescan of that bus alone */
    g_autoptr(HotplugStep) rm = hotplug_step_new (HOTPLUG_STEP_PCI_REMOVE, 0, "0001:00:01.0", "0001:00");
    g_autoptr(GPtrArray) undo = hotplug_step_undo (rm);
    HotplugStep *u = g_ptr_array_index (undo, 0);

    g_assert_cmpint (u->kind, ==, HOTPLUG_STEP_BUS_RESCAN);
    g_assert_cmpstr (u->name, ==, "0001:00");
    g_assert_cmpstr (u->value, ==, "0001:00:01.0");
  }
  {
    g_autoptr(HotplugStep) check = hotplug_step_new (HOTPLUG_STEP_CHECK_BUSY, 0, "0001:01:00.0", NULL);
    g_autoptr(HotplugStep) wait = hotplug_step_new (HOTPLUG_STEP_WAIT_DOMAIN, 0, "0001", NULL);

    g_assert_false (hotplug_step_writes_kernel (check));
    g_assert_false (hotplug_step_writes_kernel (wait));
  }
  {
    /* a journal that names a driver with a path in it is refused */
    g_autoptr(GVariant) bad = g_variant_ref_sink (g_variant_new ("(suss)", "pci-unbind", 0, "0001:01:00.0",
                                                                 "../../../../dev"));
    g_autoptr(GError) error = NULL;
    g_autoptr(HotplugStep) step = hotplug_step_from_variant (bad, &error);

    g_assert_null (step);
    g_assert_nonnull (error);
  }
  g_assert_true (hotplug_step_is_bus ("0001:00"));
  g_assert_false (hotplug_step_is_bus ("0001:00:01.0"));
  g_assert_false (hotplug_step_is_bus (""));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* the daemon warns about a corrupt state file; criticals stay fatal */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  g_test_add ("/domain/first-sight", Fixture, NULL, setup, test_first_sight, teardown);
  g_test_add ("/domain/saved-state-wins", Fixture, NULL, setup, test_saved_state_wins, teardown);
  g_test_add ("/domain/corrupt-state-file", Fixture, NULL, setup, test_corrupt_state_file, teardown);
  g_test_add ("/domain/switchover", Fixture, NULL, setup, test_switchover_transitions, teardown);
  g_test_add ("/domain/failed-reconnection", Fixture, NULL, setup, test_failed_reconnection, teardown);
  g_test_add ("/domain/devices-vanish", Fixture, NULL, setup, test_devices_vanish, teardown);
  g_test_add_func ("/domain/steps", test_steps);
  return g_test_run ();
}
