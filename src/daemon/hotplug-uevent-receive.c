/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>

#include "hotplug-uevent-receive.h"

/* Receiving one device event from the monitor's netlink socket without
 * building a libudev device for it.  libudev makes a device object per
 * message (a peek, a receive, a hashmap of properties, a random hash seed,
 * the devpath's sysfs path) and the daemon then copies the few fields it
 * needs out of it; at tens of thousands of events a second that was two
 * thirds of the daemon's time.  The socket itself is still libudev's: it
 * binds the group, sets the receive buffer, the credentials option and the
 * subsystem filter.  What a message must be to be taken is what libudev
 * asks of it: sent from the kernel (a multicast of pid 0) or by root from
 * udevd (the "libudev" header with its magic), with credentials. */

#define UDEV_MONITOR_MAGIC 0xfeedcafe
#define GROUP_KERNEL 1

/* the header udevd puts before the properties it sends */
typedef struct
{
  char     prefix[8];  /* "libudev" */
  unsigned magic;      /* htonl (UDEV_MONITOR_MAGIC) */
  unsigned header_size;
  unsigned properties_off;
  unsigned properties_len;
  unsigned filter_subsystem_hash;
  unsigned filter_devtype_hash;
  unsigned filter_tag_bloom_hi;
  unsigned filter_tag_bloom_lo;
} MonitorHeader;

static gboolean
sender_trusted (const struct msghdr *msg, const struct sockaddr_nl *snl)
{
  const struct cmsghdr *cmsg;

  /* a unicast, or a kernel group message from a process */
  if (snl->nl_groups == 0 || (snl->nl_groups == GROUP_KERNEL && snl->nl_pid > 0))
    return FALSE;
  for (cmsg = CMSG_FIRSTHDR ((struct msghdr *) msg); cmsg; cmsg = CMSG_NXTHDR ((struct msghdr *) msg, (struct cmsghdr *) cmsg))
    if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_CREDENTIALS &&
        cmsg->cmsg_len == CMSG_LEN (sizeof (struct ucred)))
      {
        struct ucred cred;

        memcpy (&cred, CMSG_DATA (cmsg), sizeof cred);
        return cred.uid == 0;
      }
  return FALSE;
}

/* The KEY=VALUE\0 list from OFFSET: where the properties start, or -1 */
static gssize
properties_offset (const char *buf, gsize len)
{
  gsize head;

  if (len >= sizeof (MonitorHeader) && strcmp (buf, "libudev") == 0)
    {
      MonitorHeader h;

      memcpy (&h, buf, sizeof h);
      if (h.magic != htonl (UDEV_MONITOR_MAGIC) || h.properties_off + 32 > len)
        return -1;
      return h.properties_off;
    }
  /* the kernel's: "action@devpath\0" first */
  head = strnlen (buf, len) + 1;
  if (head < sizeof "a@/d" || head >= len || strstr (buf, "@/") == NULL)
    return -1;
  return head;
}

static gboolean
subsystem_wanted (const char *subsystem, const char *const *subsystems)
{
  for (guint i = 0; subsystems[i]; i++)
    if (strcmp (subsystem, subsystems[i]) == 0)
      return TRUE;
  return FALSE;
}

/* Fills EVENT with pointers into BUF (NUL-terminated at LEN). */
static gboolean
parse_properties (char *buf, gsize off, gsize len, HotplugEvent *event, gboolean *has_more)
{
  const char *seqnum = NULL;

  *has_more = FALSE;
  for (gsize i = off; i < len;)
    {
      char *kv = buf + i;
      gsize n = strlen (kv);

      if (g_str_has_prefix (kv, "ACTION="))
        event->action = kv + 7;
      else if (g_str_has_prefix (kv, "DEVPATH="))
        event->devpath = kv + 8;
      else if (g_str_has_prefix (kv, "SUBSYSTEM="))
        event->subsystem = kv + 10;
      else if (g_str_has_prefix (kv, "SEQNUM="))
        seqnum = kv + 7;
      else
        *has_more = TRUE;
      i += n + 1;
    }
  if (!event->action || !event->devpath || !event->subsystem || !seqnum)
    return FALSE;
  event->seqnum = g_ascii_strtoull (seqnum, NULL, 10);
  event->sysname = strrchr (event->devpath, '/');
  event->sysname = event->sysname ? event->sysname + 1 : event->devpath;
  return TRUE;
}

/* The properties besides the four every event has (e.g. EVENT= of a
 * container), only for the subsystems whose events come by the few. */
static void
copy_properties (const char *buf, gsize off, gsize len, HotplugEvent *event)
{
  event->properties = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (gsize i = off; i < len; i += strlen (buf + i) + 1)
    {
      const char *kv = buf + i, *eq = strchr (kv, '=');

      if (eq && eq != kv)
        g_hash_table_insert (event->properties, g_strndup (kv, eq - kv), g_strdup (eq + 1));
    }
}

int
hotplug_uevent_receive (int                fd,
                        const char *const *subsystems,
                        HotplugUeventBuffer *buffer,
                        HotplugEvent      *event)
{
  struct sockaddr_nl snl = { 0 };
  char control[CMSG_SPACE (sizeof (struct ucred))];
  struct iovec iov = { buffer->data, sizeof buffer->data - 1 };
  struct msghdr msg = { 0 };
  gboolean has_more;
  gssize off, n;

  memset (event, 0, sizeof *event);
  msg.msg_name = &snl;
  msg.msg_namelen = sizeof snl;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  n = recvmsg (fd, &msg, MSG_DONTWAIT);
  if (n < 0)
    return -errno;
  if (n < 32 || (msg.msg_flags & MSG_TRUNC) || !sender_trusted (&msg, &snl))
    return 0;
  buffer->data[n] = '\0';
  off = properties_offset (buffer->data, n);
  if (off < 0 || !parse_properties (buffer->data, off, n, event, &has_more) ||
      !subsystem_wanted (event->subsystem, subsystems))
    return 0;
  /* CPU and memory events come by the hundred thousand (a board's blocks,
   * a trigger, a storm), and their action and path say all the model
   * needs */
  if (has_more && strcmp (event->subsystem, "memory") != 0 && strcmp (event->subsystem, "cpu") != 0)
    copy_properties (buffer->data, off, n, event);
  return 1;
}

void
hotplug_uevent_clear (HotplugEvent *event)
{
  g_clear_pointer (&event->properties, g_hash_table_unref);
}
