// SPDX-License-Identifier: GPL-2.0
/*
 * The client side of vtx's generic-netlink family, through libnl-genl-3.
 *
 * genl_open() connects, resolves the family "vtx" and turns on extended
 * ACKs (NETLINK_EXT_ACK, and NETLINK_CAP_ACK so errors do not echo the
 * request).  genl_request() sends one command, hands every reply message
 * to a callback and waits for the end of the dump, the ACK or an error;
 * an error is printed with the kernel's extended-ACK message, e.g.
 * "vtxctl: stats: kernel: no VM with this id (ENOENT: No such file or
 * directory)".
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "genl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

static const char *errno_name(int e)
{
	switch (e) {
	case EPERM:
		return "EPERM";
	case ENOENT:
		return "ENOENT";
	case EINVAL:
		return "EINVAL";
	case ENOMEM:
		return "ENOMEM";
	case EMSGSIZE:
		return "EMSGSIZE";
	case EOPNOTSUPP:
		return "EOPNOTSUPP";
	case EBUSY:
		return "EBUSY";
	}
	return "error";
}

int genl_open(struct genl_ctx *c, const char *what)
{
	int one = 1;

	memset(c, 0, sizeof(*c));
	c->what = what;
	c->sk = nl_socket_alloc();
	if (!c->sk) {
		fprintf(stderr, "vtxctl: %s: out of memory\n", what);
		return -1;
	}
	if (genl_connect(c->sk) < 0) {
		fprintf(stderr, "vtxctl: %s: cannot open a generic-netlink socket: %s\n",
			what, strerror(errno));
		goto fail;
	}
	/* Extended ACK: the kernel explains its errors. */
	if (setsockopt(nl_socket_get_fd(c->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		       &one, sizeof(one)) < 0)
		fprintf(stderr, "vtxctl: warning: NETLINK_EXT_ACK: %s\n", strerror(errno));
	setsockopt(nl_socket_get_fd(c->sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	/* A message with many vCPUs is bigger than a page: peek for its size. */
	nl_socket_enable_msg_peek(c->sk);

	c->family = genl_ctrl_resolve(c->sk, VTX_GENL_NAME);
	if (c->family < 0) {
		fprintf(stderr, "vtxctl: %s: the generic-netlink family \"%s\" is not registered (is the vtx module loaded?)\n",
			what, VTX_GENL_NAME);
		goto fail;
	}
	return 0;
fail:
	nl_socket_free(c->sk);
	c->sk = NULL;
	return -1;
}

void genl_close(struct genl_ctx *c)
{
	if (c->sk)
		nl_socket_free(c->sk);
	c->sk = NULL;
}

struct req_state {
	struct genl_ctx *c;
	genl_reply_fn fn;
	void *arg;
	bool done;
	int cb_err;
};

static int valid_cb(struct nl_msg *msg, void *arg)
{
	struct req_state *st = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gh = nlmsg_data(nlh);

	if (!st->fn || !genlmsg_valid_hdr(nlh, 0))
		return NL_OK;
	if (st->fn(gh, genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0), st->arg)) {
		st->cb_err = 1;
		return NL_STOP;
	}
	return NL_OK;
}

static int finish_cb(struct nl_msg *msg, void *arg)
{
	struct req_state *st = arg;

	(void)msg;
	st->done = true;
	return NL_STOP;
}

/* The nlmsgerr libnl hands us lies inside the received message. */
static int error_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct req_state *st = arg;
	struct genl_ctx *c = st->c;
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off = sizeof(*e);

	(void)nla;
	st->done = true;
	c->err = e->error;
	c->extack[0] = 0;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (nlh->nlmsg_len < NLMSG_HDRLEN + off)
		return NL_STOP;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)e + off),
		      nlh->nlmsg_len - NLMSG_HDRLEN - off, NULL) == 0 &&
	    tb[NLMSGERR_ATTR_MSG])
		snprintf(c->extack, sizeof(c->extack), "%s",
			 nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	return NL_STOP;
}

void genl_print_error(struct genl_ctx *c)
{
	int e = -c->err;

	if (c->extack[0])
		fprintf(stderr, "vtxctl: %s: kernel: %s (%s: %s)\n", c->what, c->extack,
			errno_name(e), strerror(e));
	else
		fprintf(stderr, "vtxctl: %s: kernel: %s (%s)\n", c->what, strerror(e),
			errno_name(e));
}

int genl_request(struct genl_ctx *c, uint8_t cmd, int flags, const uint32_t *vm_id,
		 genl_reply_fn fn, void *arg)
{
	struct req_state st = { .c = c, .fn = fn, .arg = arg };
	struct nl_cb *cb;
	struct nl_msg *msg;
	int r = -1;

	c->err = 0;
	c->extack[0] = 0;
	msg = nlmsg_alloc();
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!msg || !cb) {
		fprintf(stderr, "vtxctl: %s: out of memory\n", c->what);
		goto out;
	}
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, c->family, 0,
			 flags | ((flags & NLM_F_DUMP) ? 0 : NLM_F_ACK), cmd,
			 VTX_GENL_VERSION) ||
	    (vm_id && nla_put_u32(msg, VTX_A_VM_ID, *vm_id) < 0)) {
		fprintf(stderr, "vtxctl: %s: cannot build the request\n", c->what);
		goto out;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, &st);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, finish_cb, &st);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, finish_cb, &st);
	nl_cb_err(cb, NL_CB_CUSTOM, error_cb, &st);

	if (nl_send_auto(c->sk, msg) < 0) {
		fprintf(stderr, "vtxctl: %s: send: %s\n", c->what, strerror(errno));
		goto out;
	}
	while (!st.done && !st.cb_err) {
		int e = nl_recvmsgs(c->sk, cb);

		if (e < 0 && !st.done && !st.cb_err) {
			fprintf(stderr, "vtxctl: %s: receive: %s\n", c->what, nl_geterror(e));
			goto out;
		}
	}
	if (c->err) {
		if (!c->quiet_errors)
			genl_print_error(c);
		goto out;
	}
	r = st.cb_err ? -1 : 0;
out:
	nlmsg_free(msg);
	nl_cb_put(cb);
	return r;
}

int genl_subscribe(struct genl_ctx *c, const char *group)
{
	int grp = genl_ctrl_resolve_grp(c->sk, VTX_GENL_NAME, group);

	if (grp < 0) {
		fprintf(stderr, "vtxctl: %s: no multicast group \"%s\" in family \"%s\": %s\n",
			c->what, group, VTX_GENL_NAME, nl_geterror(grp));
		return -1;
	}
	if (nl_socket_add_membership(c->sk, grp) < 0) {
		fprintf(stderr, "vtxctl: %s: cannot join group \"%s\"\n", c->what, group);
		return -1;
	}
	nl_socket_disable_seq_check(c->sk);
	return 0;
}
