/* hotplug-sim: a simulated hotplug-capable server for hotplugd and its hooks.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib-unix.h>
#include <umockdev.h>

#include "hotplug-names.h"
#include "hotplug-sim-kernel.h"
#include "hotplug-sim-machine.h"

#define UMOCKDEV_PRELOAD "libumockdev-preload.so.0"
#define SHIM_NAME "libhotplug-sim-preload.so"

/* ---------------------------------------------------------------------- */
/* ctl: the client                                                         */

static int
run_ctl (int argc, char **argv)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GSocketAddress) addr = NULL;
  g_autoptr(GByteArray) req = g_byte_array_new ();
  g_autoptr(GByteArray) reply = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  const char *path = g_getenv (HOTPLUG_ENV_SIM_SOCKET);
  GOutputStream *os;
  GInputStream *is;
  char buf[4096];
  gssize n;
  int i = 2;
  char *nl;

  if (argc > 3 && g_str_equal (argv[2], "--control"))
    {
      path = argv[3];
      i = 4;
    }
  else if (argc > 2 && g_str_has_prefix (argv[2], "--control="))
    {
      path = argv[2] + 10;
      i = 3;
    }
  if (i >= argc)
    {
      g_printerr ("usage: hotplug-sim ctl [--control PATH] VERB [ARGS...]\n"
                  "verbs: eject UNIT, insert UNIT, pull UNIT, swap UNIT,\n"
                  "       fail ATTRIBUTE [COUNT] [--errno NAME], delay MS [MATCH], status,\n"
                  "       back DISK|PARTITION NODE|none, hold DISK|PARTITION NODE|none,\n"
                  "       link IFNAME up|down, handover DOMAIN [--force] [--to HOST], owner DOMAIN\n");
      return 2;
    }
  if (path == NULL || *path == '\0')
    {
      g_printerr ("hotplug-sim ctl: no simulator: %s is not set (run under hotplug-sim, or give --control PATH)\n",
                  HOTPLUG_ENV_SIM_SOCKET);
      return 1;
    }
  for (; i < argc; i++)
    g_byte_array_append (req, (const guint8 *) argv[i], strlen (argv[i]) + 1);

  addr = g_unix_socket_address_new (path);
  conn = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (addr), NULL, &error);
  if (conn == NULL)
    {
      g_printerr ("hotplug-sim ctl: cannot reach the simulator at %s: %s\n", path, error->message);
      return 1;
    }
  os = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  is = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  if (!g_output_stream_write_all (os, req->data, req->len, NULL, NULL, &error) ||
      !g_socket_shutdown (g_socket_connection_get_socket (conn), FALSE, TRUE, &error))
    {
      g_printerr ("hotplug-sim ctl: %s\n", error->message);
      return 1;
    }
  while ((n = g_input_stream_read (is, buf, sizeof buf, NULL, &error)) > 0)
    g_byte_array_append (reply, (guint8 *) buf, n);
  if (n < 0)
    {
      g_printerr ("hotplug-sim ctl: %s\n", error->message);
      return 1;
    }
  g_byte_array_append (reply, (const guint8 *) "", 1);
  nl = strchr ((char *) reply->data, '\n');
  if (nl)
    *nl++ = '\0';
  if (g_str_equal ((char *) reply->data, "ok"))
    {
      if (nl)
        fputs (nl, stdout);
      return 0;
    }
  g_printerr ("hotplug-sim ctl: %s\n", *reply->data ? (char *) reply->data : "no answer from the simulator");
  return 1;
}

/* ---------------------------------------------------------------------- */
/* the control socket                                                      */

typedef struct {
  HotplugSimKernel  *kernel;
  GSocketConnection *conn;
  GByteArray        *req;
  char               buf[1024];
} Request;

static void
request_free (Request *r)
{
  g_object_unref (r->conn);
  g_byte_array_unref (r->req);
  g_free (r);
}

static void
on_read (GObject *source, GAsyncResult *res, gpointer data)
{
  Request *r = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) args = NULL;
  g_autoptr(GString) out = NULL;
  g_autoptr(GString) reply = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), res, &error);

  if (n > 0 && r->req->len < 64 * 1024)
    {
      g_byte_array_append (r->req, (guint8 *) r->buf, n);
      g_input_stream_read_async (G_INPUT_STREAM (source), r->buf, sizeof r->buf, G_PRIORITY_DEFAULT,
                                 NULL, on_read, r);
      return;
    }
  if (n < 0)
    {
      request_free (r);
      return;
    }
  args = g_ptr_array_new ();
  for (guint o = 0; o < r->req->len;)
    {
      const char *a = (const char *) r->req->data + o;
      gsize l = strnlen (a, r->req->len - o);
      if (o + l >= r->req->len)
        break;   /* not NUL-terminated: ignore the tail */
      g_ptr_array_add (args, (gpointer) a);
      o += l + 1;
    }
  g_ptr_array_add (args, NULL);
  out = g_string_new (NULL);
  if (hotplug_sim_kernel_control (r->kernel, (char **) args->pdata, out, &error))
    reply = g_string_new ("ok\n");
  else
    reply = g_string_new (NULL), g_string_printf (reply, "error: %s\n", error->message);
  g_string_append (reply, out->str);
  /* A few hundred bytes on a local socket: the write does not block. */
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (r->conn)),
                             reply->str, reply->len, NULL, NULL, NULL);
  g_io_stream_close (G_IO_STREAM (r->conn), NULL, NULL);
  request_free (r);
}

static gboolean
on_incoming (GSocketService *service, GSocketConnection *conn, GObject *source, gpointer data)
{
  Request *r = g_new0 (Request, 1);

  r->kernel = data;
  r->conn = g_object_ref (conn);
  r->req = g_byte_array_new ();
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (conn)), r->buf, sizeof r->buf,
                             G_PRIORITY_DEFAULT, NULL, on_read, r);
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* the simulator                                                           */

typedef struct {
  GMainLoop *loop;
  GPid       pid;
  int        status;
  gboolean   exited;
} Child;

static void
on_child (GPid pid, int status, gpointer data)
{
  Child *c = data;

  c->status = status;
  c->exited = TRUE;
  g_spawn_close_pid (pid);
  g_main_loop_quit (c->loop);
}

static gboolean
on_signal (gpointer data)
{
  Child *c = data;

  if (!c->exited && c->pid > 0)
    kill (c->pid, SIGTERM);
  return G_SOURCE_CONTINUE;
}

static char *
shim_path (void)
{
  const char *env = g_getenv ("HOTPLUG_SIM_PRELOAD");
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = exe ? g_path_get_dirname (exe) : NULL;
  g_autofree char *local = dir ? g_build_filename (dir, SHIM_NAME, NULL) : NULL;

  if (env && *env)
    return g_strdup (env);
  /* a build tree has the shim next to the program */
  if (local && g_file_test (local, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&local);
  return g_strdup (HOTPLUG_SIM_PRELOAD_INSTALLED);
}

static gboolean
isolate (const char *tmp, char **mnt)
{
  g_autofree char *dir = g_build_filename (tmp, "hotplug-sim.XXXXXX", NULL);

  if (unshare (CLONE_NEWNS) < 0)
    {
      g_printerr ("hotplug-sim: note: cannot make a private mount namespace (%s): running without isolation\n",
                  g_strerror (errno));
      return FALSE;
    }
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    {
      g_printerr ("hotplug-sim: note: cannot make / private (%s): running without isolation\n", g_strerror (errno));
      return FALSE;
    }
  if (g_mkdtemp (dir) == NULL)
    {
      g_printerr ("hotplug-sim: note: cannot create %s (%s): running without isolation\n", dir, g_strerror (errno));
      return FALSE;
    }
  if (mount ("hotplug-sim", dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
    {
      g_printerr ("hotplug-sim: note: cannot mount a tmpfs (%s): running without isolation\n", g_strerror (errno));
      rmdir (dir);
      return FALSE;
    }
  *mnt = g_steal_pointer (&dir);
  return TRUE;
}

/* The testbed's owner runs under the umockdev preload too (libumockdev
 * resolves paths through it), so come back through it first.  A simulator
 * started from under another one (a second host) leaves the first one's
 * testbed, control socket and write shim behind: it builds its own. */
static gboolean
reexec_clean (char **argv)
{
  const char *env = g_getenv ("LD_PRELOAD");
  g_auto(GStrv) parts = g_strsplit_set (env ? env : "", ": ", -1);
  g_autoptr(GStrvBuilder) keep = g_strv_builder_new ();
  g_auto(GStrv) kept = NULL;
  g_autofree char *want = NULL;
  gboolean nested = g_getenv ("UMOCKDEV_DIR") != NULL || g_getenv (HOTPLUG_ENV_SIM_SOCKET) != NULL;

  g_strv_builder_add (keep, UMOCKDEV_PRELOAD);
  for (guint i = 0; parts[i]; i++)
    {
      if (*parts[i] == '\0' || strstr (parts[i], "libumockdev-preload.so"))
        continue;
      if (strstr (parts[i], SHIM_NAME))
        {
          nested = TRUE;
          continue;
        }
      g_strv_builder_add (keep, parts[i]);
    }
  kept = g_strv_builder_end (keep);
  want = g_strjoinv (":", kept);
  if (!nested && env && strstr (env, "libumockdev-preload.so"))
    return TRUE;
  g_unsetenv ("UMOCKDEV_DIR");
  g_unsetenv (HOTPLUG_ENV_SIM_ROOT);
  g_unsetenv (HOTPLUG_ENV_SIM_SOCKET);
  g_unsetenv (HOTPLUG_ENV_SIM_FABRIC);
  g_setenv ("LD_PRELOAD", want, TRUE);
  execv ("/proc/self/exe", argv);
  g_printerr ("hotplug-sim: cannot re-execute under the umockdev preload: %s\n", g_strerror (errno));
  return FALSE;
}

/* The command line, once parsed. */
typedef struct {
  char     *machine;
  char     *fabric;
  char     *control;
  gint      delay;
  gboolean  no_isolate;
  gboolean  verbose;
} Options;

static void
options_clear (Options *o)
{
  g_clear_pointer (&o->machine, g_free);
  g_clear_pointer (&o->fabric, g_free);
  g_clear_pointer (&o->control, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Options, options_clear)

/* Parses the options and leaves argv at the COMMAND; 0, or the exit status. */
static int
parse_options (int *argc, char ***argv, Options *o)
{
  g_autoptr(GOptionContext) ctx = NULL;
  g_autoptr(GError) error = NULL;
  GOptionEntry entries[] = {
    { "machine", 'm', 0, G_OPTION_ARG_STRING, &o->machine, "Machine description: a name (default, large, host-a, host-b) or a file", "NAME|FILE" },
    { "delay", 'd', 0, G_OPTION_ARG_INT, &o->delay, "Kernel latency in ms (default: the description's)", "MS" },
    { "fabric", 0, 0, G_OPTION_ARG_FILENAME, &o->fabric, "Share the description's shared PCI domains with the other hosts of DIR", "DIR" },
    { "control", 0, 0, G_OPTION_ARG_FILENAME, &o->control, "Control socket path", "PATH" },
    { "no-isolate", 0, 0, G_OPTION_ARG_NONE, &o->no_isolate, "Do not use a private mount namespace", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &o->verbose, "Tell what the simulator does", NULL },
    { NULL }
  };

  o->delay = -1;
  ctx = g_option_context_new ("[--] COMMAND [ARGS...] | ctl VERB [ARGS...]");
  g_option_context_set_summary (ctx, "Run COMMAND on a simulated hotplug-capable server.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_strict_posix (ctx, TRUE);
  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      g_printerr ("hotplug-sim: %s\n", error->message);
      return 2;
    }
  if (*argc > 1 && g_str_equal ((*argv)[1], "--"))
    {
      (*argv)++;
      (*argc)--;
    }
  if (*argc < 2)
    {
      g_printerr ("hotplug-sim: no COMMAND (see --help)\n");
      return 2;
    }
  if (o->delay < -1 || o->delay > 3600000)
    {
      g_printerr ("hotplug-sim: --delay must be between 0 and 3600000\n");
      return 2;
    }
  if (o->machine == NULL)
    o->machine = g_strdup (g_getenv (HOTPLUG_ENV_MACHINE) ? g_getenv (HOTPLUG_ENV_MACHINE) : "default");
  return 0;
}

/* The machine description named on the command line, loaded. */
static HotplugSimMachine *
load_machine (const Options *o, char **file)
{
  g_autoptr(GError) error = NULL;
  HotplugSimMachine *machine;

  *file = hotplug_sim_machine_resolve (o->machine, &error);
  if (*file == NULL)
    {
      g_printerr ("hotplug-sim: %s\n", error->message);
      return NULL;
    }
  machine = hotplug_sim_machine_load (*file, &error);
  if (machine == NULL)
    {
      g_printerr ("hotplug-sim: %s\n", error->message);
      return NULL;
    }
  if (o->delay >= 0)
    machine->delay_ms = o->delay;
  return machine;
}

/* The control socket, answering hotplug-sim ctl. */
static GSocketService *
listen_control (const char *control, HotplugSimKernel *kernel)
{
  g_autoptr(GSocketAddress) addr = NULL;
  g_autoptr(GSocketService) service = g_socket_service_new ();
  g_autoptr(GError) error = NULL;

  unlink (control);
  addr = g_unix_socket_address_new (control);
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (service), addr, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, &error))
    {
      g_printerr ("hotplug-sim: cannot listen on %s: %s\n", control, error->message);
      return NULL;
    }
  g_signal_connect (service, "incoming", G_CALLBACK (on_incoming), kernel);
  g_socket_service_start (service);
  return g_steal_pointer (&service);
}

/* The COMMAND's environment: the shim preloaded, the way to the simulated
 * tree, its control socket and fabric, and the caller's TMPDIR. */
static char **
child_environ (const char *root, const char *control, const char *fabric, const char *orig_tmp)
{
  g_autofree char *shim = shim_path ();
  g_autofree char *preload = g_strconcat (shim, ":", g_getenv ("LD_PRELOAD"), NULL);
  char **envp = g_get_environ ();

  envp = g_environ_setenv (envp, "LD_PRELOAD", preload, TRUE);
  envp = g_environ_setenv (envp, HOTPLUG_ENV_SIM_ROOT, root, TRUE);
  envp = g_environ_setenv (envp, HOTPLUG_ENV_SIM_SOCKET, control, TRUE);
  envp = g_environ_setenv (envp, "TMPDIR", orig_tmp, TRUE);
  if (fabric)
    {
      g_autofree char *abs = g_canonicalize_filename (fabric, NULL);
      envp = g_environ_setenv (envp, HOTPLUG_ENV_SIM_FABRIC, abs, TRUE);
    }
  return envp;
}

/* Runs the COMMAND to its end, passing on SIGTERM, SIGINT and SIGHUP;
 * returns its exit status as a shell would. */
static int
run_child (char **argv, char **envp)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;
  Child child = { 0 };
  guint s1, s2, s3;

  child.loop = loop;
  if (!g_spawn_async (NULL, argv, envp,
                      G_SPAWN_SEARCH_PATH_FROM_ENVP | G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_CHILD_INHERITS_STDIN,
                      NULL, NULL, &child.pid, &error))
    {
      g_printerr ("hotplug-sim: cannot run %s: %s\n", argv[0], error->message);
      return 127;
    }
  g_child_watch_add (child.pid, on_child, &child);
  s1 = g_unix_signal_add (SIGTERM, on_signal, &child);
  s2 = g_unix_signal_add (SIGINT, on_signal, &child);
  s3 = g_unix_signal_add (SIGHUP, on_signal, &child);
  g_main_loop_run (loop);
  g_source_remove (s1);
  g_source_remove (s2);
  g_source_remove (s3);
  if (WIFEXITED (child.status))
    return WEXITSTATUS (child.status);
  if (WIFSIGNALED (child.status))
    return 128 + WTERMSIG (child.status);
  return 1;
}

/* Before any thread exists (the testbed starts one): unshare needs that.
 * Returns the TMPDIR the child gets back; *MNT is the private tmpfs. */
static const char *
isolate_tmp (const Options *o, char **mnt)
{
  const char *orig_tmp = g_getenv ("TMPDIR");

  if (orig_tmp == NULL || *orig_tmp == '\0')
    orig_tmp = "/tmp";
  orig_tmp = g_intern_string (orig_tmp);
  if (geteuid () == 0 && !o->no_isolate && isolate (orig_tmp, mnt))
    g_setenv ("TMPDIR", *mnt, TRUE);
  return orig_tmp;
}

/* The control socket's path: --control or one in a directory of its own. */
static gboolean
control_path (Options *o, const char *orig_tmp, char **ctldir)
{
  if (o->control)
    return TRUE;
  *ctldir = g_build_filename (orig_tmp, "hotplug-sim-ctl.XXXXXX", NULL);
  if (g_mkdtemp (*ctldir) == NULL)
    {
      g_printerr ("hotplug-sim: cannot create %s: %s\n", *ctldir, g_strerror (errno));
      g_clear_pointer (ctldir, g_free);
      return FALSE;
    }
  o->control = g_build_filename (*ctldir, "control", NULL);
  return TRUE;
}

/* The simulated tree, bound over /sys in the private namespace, and its
 * kernel started. */
static gboolean
build_kernel (HotplugSimKernel *kernel, const Options *o, const char *file, const char *root,
              const char *mnt)
{
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();

  if ((o->fabric && !hotplug_sim_kernel_set_fabric (kernel, o->fabric, &error)) ||
      !hotplug_sim_kernel_build (kernel, &error))
    {
      g_printerr ("hotplug-sim: %s\n", error->message);
      return FALSE;
    }
  if (o->verbose || g_getenv ("HOTPLUG_SIM_VERBOSE"))
    g_printerr ("hotplug-sim: built %s in %.3f s in %s\n", file,
                (g_get_monotonic_time () - t0) / 1e6, root);
  if (mnt)
    {
      g_autofree char *sys = g_build_filename (root, "sys", NULL);
      /* Nothing below the simulator reaches the real /sys, not even a
       * process that escapes the preload. */
      if (mount (sys, "/sys", NULL, MS_BIND | MS_REC, NULL) < 0)
        g_printerr ("hotplug-sim: note: cannot bind the simulated sysfs over /sys: %s\n", g_strerror (errno));
    }
  if (!hotplug_sim_kernel_start (kernel, &error))
    {
      g_printerr ("hotplug-sim: %s\n", error->message);
      return FALSE;
    }
  return TRUE;
}

/* Dropping the tmpfs is instant; the testbed then removes an empty
 * directory instead of walking ~17,000 devices. */
static void
drop_tmp (const char *mnt, const char *root)
{
  umount2 ("/sys", MNT_DETACH);
  if (umount2 (mnt, MNT_DETACH) == 0)
    g_mkdir_with_parents (root, 0700);
}

int
main (int argc, char **argv)
{
  g_auto(Options) o = { 0 };
  g_autofree char *file = NULL;
  g_autofree char *mnt = NULL;
  g_autofree char *ctldir = NULL;
  g_autofree char *root = NULL;
  g_autoptr(UMockdevTestbed) testbed = NULL;
  g_autoptr(HotplugSimKernel) kernel = NULL;
  g_autoptr(GSocketService) service = NULL;
  g_auto(GStrv) envp = NULL;
  HotplugSimMachine *machine;
  const char *orig_tmp;
  int ret = 1;

  if (argc > 1 && g_str_equal (argv[1], "ctl"))
    return run_ctl (argc, argv);
  if (!reexec_clean (argv))
    return 1;
  if ((ret = parse_options (&argc, &argv, &o)) != 0)
    return ret;
  if ((machine = load_machine (&o, &file)) == NULL)
    return HOTPLUG_SIM_EXIT_BAD_MACHINE;
  orig_tmp = isolate_tmp (&o, &mnt);
  if (!control_path (&o, orig_tmp, &ctldir))
    {
      hotplug_sim_machine_free (machine);
      return 1;
    }

  testbed = umockdev_testbed_new ();
  root = umockdev_testbed_get_root_dir (testbed);
  kernel = hotplug_sim_kernel_new (machine, root);
  ret = 1;
  if (build_kernel (kernel, &o, file, root, mnt) &&
      (service = listen_control (o.control, kernel)) != NULL)
    {
      envp = child_environ (root, o.control, o.fabric, orig_tmp);
      ret = run_child (argv + 1, envp);
    }

  if (service)
    g_socket_service_stop (service);
  g_clear_object (&service);
  unlink (o.control);
  if (ctldir)
    rmdir (ctldir);
  g_clear_object (&kernel);
  if (mnt)
    drop_tmp (mnt, root);
  g_clear_object (&testbed);
  if (mnt && rmdir (mnt) < 0)
    g_printerr ("hotplug-sim: cannot remove %s: %s\n", mnt, g_strerror (errno));
  return ret;
}
