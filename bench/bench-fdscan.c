/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The baseline of bench-blockers: the least a program can do to find who
 * holds some block devices open — readdir every /proc/PID/fd and stat each
 * descriptor — timed over ROUNDS rounds.
 *
 *   bench-fdscan ROUNDS MAJ:MIN...
 *
 * Prints "median_ms matches" (the descriptors found on those devices). */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#define MAX_DEVS 64

static dev_t devs[MAX_DEVS];
static int ndevs;

static int
scan (void)
{
  DIR *proc = opendir ("/proc");
  struct dirent *p;
  int matches = 0;

  if (proc == NULL)
    return -1;
  while ((p = readdir (proc)))
    {
      char path[300];
      DIR *fds;
      struct dirent *f;

      if (p->d_name[0] < '0' || p->d_name[0] > '9')
        continue;
      snprintf (path, sizeof path, "/proc/%s/fd", p->d_name);
      fds = opendir (path);
      if (fds == NULL)
        continue;
      while ((f = readdir (fds)))
        {
          struct stat st;

          if (f->d_name[0] == '.' || fstatat (dirfd (fds), f->d_name, &st, 0) < 0 || !S_ISBLK (st.st_mode))
            continue;
          for (int i = 0; i < ndevs; i++)
            if (st.st_rdev == devs[i])
              matches++;
        }
      closedir (fds);
    }
  closedir (proc);
  return matches;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
  int rounds = argc > 1 ? atoi (argv[1]) : 0;
  double *times;
  int matches = 0;

  if (rounds <= 0 || argc < 3)
    {
      fprintf (stderr, "usage: bench-fdscan ROUNDS MAJ:MIN...\n");
      return 2;
    }
  for (int i = 2; i < argc && ndevs < MAX_DEVS; i++)
    {
      unsigned ma, mi;

      if (sscanf (argv[i], "%u:%u", &ma, &mi) == 2)
        devs[ndevs++] = makedev (ma, mi);
    }
  times = calloc (rounds, sizeof *times);
  for (int r = 0; r < rounds; r++)
    {
      struct timespec a, b;

      clock_gettime (CLOCK_MONOTONIC, &a);
      matches = scan ();
      clock_gettime (CLOCK_MONOTONIC, &b);
      times[r] = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
    }
  qsort (times, rounds, sizeof *times, cmp_double);
  printf ("%.3f %d\n", times[rounds / 2], matches);
  free (times);
  return 0;
}
