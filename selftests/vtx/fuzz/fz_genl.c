// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal generic-netlink client for vtx's "vtx" family (no libnl): the
 * stress programs use it to list VMs and read statistics while VMs come
 * and go, which is where the netlink side meets VM lifetime.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "../../../uapi/linux/vtx.h"
#include "fz_genl.h"

#define NLA_ALIGNTO4(len)	(((len) + 3) & ~3)

struct nlreq {
	struct nlmsghdr n;
	struct genlmsghdr g;
	char buf[256];
};

static void add_attr(struct nlreq *q, uint16_t type, const void *data,
		     uint16_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)q +
					      NLMSG_ALIGN(q->n.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	q->n.nlmsg_len = NLMSG_ALIGN(q->n.nlmsg_len) + NLA_ALIGNTO4(a->nla_len);
}

static int send_req(int fd, uint16_t type, uint8_t cmd, uint16_t flags,
		    uint16_t attr, const void *data, uint16_t len)
{
	static uint32_t seq;
	struct nlreq q;

	memset(&q, 0, sizeof(q));
	q.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	q.n.nlmsg_type = type;
	q.n.nlmsg_flags = NLM_F_REQUEST | flags;
	q.n.nlmsg_seq = ++seq;
	q.g.cmd = cmd;
	q.g.version = 1;
	if (attr)
		add_attr(&q, attr, data, len);
	return send(fd, &q, q.n.nlmsg_len, 0) < 0 ? -errno : 0;
}

/* Read replies until DONE/ERROR/a non-multi message; count messages.
 * @family_out: CTRL_ATTR_FAMILY_ID of a GETFAMILY reply;
 * @vm_out: VTX_A_VM_ID of the last VM whose VTX_A_VM_PID is @pid. */
static int drain(int fd, uint16_t *family_out, uint32_t *vm_out, uint32_t pid)
{
	static char buf[65536];
	int msgs = 0;

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;
		bool more = false;

		if (n < 0)
			return errno == EINTR ? msgs : -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return msgs;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error ? e->error : msgs;
			}
			msgs++;
			if (family_out || vm_out) {
				uint32_t id = ~0u, owner = 0;

				struct genlmsghdr *g = NLMSG_DATA(h);
				struct nlattr *a = (struct nlattr *)
					((char *)g + GENL_HDRLEN);
				int rem = h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);

				while (rem >= (int)sizeof(*a) &&
				       a->nla_len >= sizeof(*a) &&
				       a->nla_len <= rem) {
					if (family_out &&
					    a->nla_type == CTRL_ATTR_FAMILY_ID)
						memcpy(family_out, (char *)a +
						       NLA_HDRLEN, 2);
					if (vm_out && a->nla_type == VTX_A_VM_ID)
						memcpy(&id, (char *)a +
						       NLA_HDRLEN, 4);
					if (vm_out && a->nla_type == VTX_A_VM_PID)
						memcpy(&owner, (char *)a +
						       NLA_HDRLEN, 4);
					rem -= NLA_ALIGNTO4(a->nla_len);
					a = (struct nlattr *)((char *)a +
						NLA_ALIGNTO4(a->nla_len));
				}
				if (vm_out && owner == pid && id != ~0u)
					*vm_out = id;
			}
			if (h->nlmsg_flags & NLM_F_MULTI)
				more = true;
		}
		if (!more)
			return msgs;
	}
}

int genl_vtx_open(struct genl_vtx *g)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 2 };
	int r;

	g->family = 0;
	g->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (g->fd < 0)
		return -errno;
	setsockopt(g->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(g->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	r = send_req(g->fd, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0,
		     CTRL_ATTR_FAMILY_NAME, VTX_GENL_NAME,
		     sizeof(VTX_GENL_NAME));
	if (r < 0 || drain(g->fd, &g->family, NULL, 0) < 0 || !g->family)
		goto fail;
	return 0;
fail:
	close(g->fd);
	g->fd = -1;
	return -ENOENT;
}

int genl_vtx_list(struct genl_vtx *g, uint32_t *my_vm)
{
	int r = send_req(g->fd, g->family, VTX_CMD_VM_GET, NLM_F_DUMP, 0,
			 NULL, 0);

	return r < 0 ? r : drain(g->fd, NULL, my_vm, getpid());
}

int genl_vtx_stats(struct genl_vtx *g, uint32_t vm_id, bool reset)
{
	int r = send_req(g->fd, g->family, reset ? VTX_CMD_STATS_RESET :
			 VTX_CMD_STATS_GET, NLM_F_ACK, VTX_A_VM_ID, &vm_id, 4);

	return r < 0 ? r : drain(g->fd, NULL, NULL, 0);
}

void genl_vtx_close(struct genl_vtx *g)
{
	if (g->fd >= 0)
		close(g->fd);
	g->fd = -1;
}
