/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Without libFuzzer: runs a harness once over each file named on the
 * command line (or each file of each directory named), so that a build
 * with any compiler can replay the corpus.  Exit status 0 when every input
 * passed (a failed invariant aborts). */
#include "config.h"

#include "fuzz-common.h"

static int
replay_file (const char *path)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;

  if (!g_file_get_contents (path, &data, &len, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  {
    /* a copy of exactly LEN bytes, as libFuzzer gives: a read past the end
     * is one in a sanitized build */
    g_autofree char *exact = g_malloc (len > 0 ? len : 1);

    memcpy (exact, data, len);
    LLVMFuzzerTestOneInput ((const uint8_t *) exact, len);
  }
  return 0;
}

int
main (int argc, char **argv)
{
  int failed = 0;
  guint n = 0;

  for (int i = 1; i < argc; i++)
    {
      g_autoptr(GDir) dir = g_dir_open (argv[i], 0, NULL);
      const char *name;

      if (dir == NULL)
        {
          failed |= replay_file (argv[i]);
          n++;
          continue;
        }
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (argv[i], name, NULL);

          failed |= replay_file (path);
          n++;
        }
    }
  printf ("%u inputs replayed\n", n);
  return failed || n == 0;
}
