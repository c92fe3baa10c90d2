/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtxctl - the libnl-genl client of the "vtx" generic-netlink family.
 */
#ifndef VTXCTL_GENL_H
#define VTXCTL_GENL_H

#include <stdbool.h>
#include <stdint.h>
#include <netlink/attr.h>
#include <netlink/socket.h>
#include <linux/genetlink.h>
#include <linux/vtx.h>

struct genl_ctx {
	struct nl_sock *sk;
	int family;
	const char *what;		/* the command, for messages */
	int err;			/* the kernel's -errno of the last request */
	char extack[256];		/* its extended-ACK message, or "" */
	bool quiet_errors;		/* do not print kernel errors */
};

/* One reply message: its attributes.  Non-zero stops the request. */
typedef int (*genl_reply_fn)(struct genlmsghdr *gh, struct nlattr *attrs, int len,
			     void *arg);

int genl_open(struct genl_ctx *c, const char *what);
void genl_close(struct genl_ctx *c);
/*
 * Send @cmd (with VTX_A_VM_ID = *@vm_id unless NULL, NLM_F_DUMP in @flags
 * for a dump); 0 when the kernel answered without error.
 */
int genl_request(struct genl_ctx *c, uint8_t cmd, int flags, const uint32_t *vm_id,
		 genl_reply_fn fn, void *arg);
void genl_print_error(struct genl_ctx *c);
int genl_subscribe(struct genl_ctx *c, const char *group);

#endif /* VTXCTL_GENL_H */
