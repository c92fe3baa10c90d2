// SPDX-License-Identifier: GPL-2.0
/*
 * Per-vCPU VM exit counts on vtx (generic netlink) and on KVM (binary
 * statistics).  See vtx_exits.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "vtx_exits.h"
#include "vtx_ident.h"
#include "../../../uapi/linux/vtx.h"

/* KVM: the "exits" counter of the vCPU's binary statistics. */
static int64_t kvm_vcpu_exits(struct vtx_vcpu *vcpu)
{
	struct kvm_stats_header hdr;
	struct kvm_stats_desc *desc;
	size_t desc_size;
	int64_t result = -ENOENT;
	uint64_t value;
	char *descs = NULL;
	uint32_t i;
	int fd;

	fd = ioctl(vcpu->fd, KVM_GET_STATS_FD, NULL);
	if (fd < 0)
		return -errno;
	if (pread(fd, &hdr, sizeof(hdr), 0) != sizeof(hdr)) {
		result = -EIO;
		goto out;
	}
	desc_size = sizeof(*desc) + hdr.name_size;
	descs = calloc(hdr.num_desc, desc_size);
	if (!descs) {
		result = -ENOMEM;
		goto out;
	}
	if (pread(fd, descs, hdr.num_desc * desc_size, hdr.desc_offset) !=
	    (ssize_t)(hdr.num_desc * desc_size)) {
		result = -EIO;
		goto out;
	}
	for (i = 0; i < hdr.num_desc; i++) {
		desc = (struct kvm_stats_desc *)(descs + i * desc_size);
		if (strcmp(desc->name, "exits"))
			continue;
		if (pread(fd, &value, sizeof(value),
			  hdr.data_offset + desc->offset) != sizeof(value))
			result = -EIO;
		else
			result = (int64_t)value;
		break;
	}
out:
	free(descs);
	close(fd);
	return result;
}

/* Generic netlink, without libnl: one request, replies until DONE. */

#define NL_BUF_SIZE	32768
#define NLA_DATA(a)	((void *)((char *)(a) + NLA_HDRLEN))
#define NLA_LEN(a)	((int)(a)->nla_len - NLA_HDRLEN)

struct nl_req {
	struct nlmsghdr nlh;
	struct genlmsghdr genl;
	char attrs[64];
};

static void nl_put_attr(struct nl_req *req, uint16_t type, const void *data,
			uint16_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)req +
					     NLMSG_ALIGN(req->nlh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy(NLA_DATA(a), data, len);
	req->nlh.nlmsg_len = NLMSG_ALIGN(req->nlh.nlmsg_len) +
			     NLA_ALIGN(a->nla_len);
}

static void nl_req_init(struct nl_req *req, uint16_t family, uint8_t cmd,
			uint16_t flags, uint32_t seq)
{
	memset(req, 0, sizeof(*req));
	req->nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req->nlh.nlmsg_type = family;
	req->nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	req->nlh.nlmsg_seq = seq;
	req->genl.cmd = cmd;
	req->genl.version = 1;
}

typedef int (*nl_cb)(struct nlattr *attrs, int len, void *arg);

/* Walk the attributes of one generic-netlink message. */
static struct nlattr *nla_find(struct nlattr *a, int len, uint16_t type)
{
	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= len) {
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		len -= NLA_ALIGN(a->nla_len);
		a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
	}
	return NULL;
}

static uint64_t nla_u64(struct nlattr *a)
{
	uint64_t v = 0;

	memcpy(&v, NLA_DATA(a), NLA_LEN(a) < 8 ? NLA_LEN(a) : 8);
	return v;
}

static uint32_t nla_u32(struct nlattr *a)
{
	uint32_t v = 0;

	memcpy(&v, NLA_DATA(a), NLA_LEN(a) < 4 ? NLA_LEN(a) : 4);
	return v;
}

/* Send @req, call @cb for every reply message; 0 or -errno. */
static int nl_transact(int sk, struct nl_req *req, nl_cb cb, void *arg)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char *buf;
	int r = 0, done = 0;

	if (sendto(sk, req, req->nlh.nlmsg_len, 0,
		   (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	buf = malloc(NL_BUF_SIZE);
	if (!buf)
		return -ENOMEM;
	while (!done) {
		ssize_t n = recv(sk, buf, NL_BUF_SIZE, 0);
		struct nlmsghdr *h;

		if (n < 0) {
			r = -errno;
			break;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != req->nlh.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				r = e->error;
				done = 1;
				break;
			}
			if (cb && !r)
				r = cb((struct nlattr *)((char *)NLMSG_DATA(h) +
							 GENL_HDRLEN),
				       h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN),
				       arg);
			if (!(h->nlmsg_flags & NLM_F_MULTI)) {
				done = 1;
				break;
			}
		}
	}
	free(buf);
	return r;
}

static int family_cb(struct nlattr *attrs, int len, void *arg)
{
	struct nlattr *a = nla_find(attrs, len, CTRL_ATTR_FAMILY_ID);

	if (a)
		*(uint16_t *)arg = *(uint16_t *)NLA_DATA(a);
	return 0;
}

struct vm_match {
	uint32_t pid;
	uint64_t mem_bytes;
	int found;
	uint32_t id;
	int64_t shadow_pages;
};

static int vm_cb(struct nlattr *attrs, int len, void *arg)
{
	struct vm_match *m = arg;
	struct nlattr *id = nla_find(attrs, len, VTX_A_VM_ID);
	struct nlattr *pid = nla_find(attrs, len, VTX_A_VM_PID);
	struct nlattr *mem = nla_find(attrs, len, VTX_A_VM_MEM_BYTES);
	struct nlattr *sp = nla_find(attrs, len, VTX_A_VM_SHADOW_PAGES);

	if (!id || !pid || nla_u32(pid) != m->pid)
		return 0;
	if (mem && nla_u64(mem) != m->mem_bytes)
		return 0;
	m->found++;
	m->id = nla_u32(id);
	m->shadow_pages = sp ? (int64_t)nla_u64(sp) : -ENOENT;
	return 0;
}

struct vcpu_exits {
	uint32_t vcpu_id;
	int64_t exits;
};

static int stats_cb(struct nlattr *attrs, int len, void *arg)
{
	struct vcpu_exits *ve = arg;
	struct nlattr *a = attrs;

	/* every VTX_A_VCPU nest, in order */
	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= len) {
		if ((a->nla_type & NLA_TYPE_MASK) == VTX_A_VCPU) {
			struct nlattr *id, *ex;

			id = nla_find(NLA_DATA(a), NLA_LEN(a), VTX_VCPU_A_ID);
			ex = nla_find(NLA_DATA(a), NLA_LEN(a),
				      VTX_VCPU_A_EXITS);
			if (id && ex && nla_u32(id) == ve->vcpu_id)
				ve->exits = (int64_t)nla_u64(ex);
		}
		len -= NLA_ALIGN(a->nla_len);
		a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
	}
	return 0;
}

/*
 * vtx: find this process's VM with the memory size of @vcpu's VM (the
 * library does not track vCPU counts), then its statistics; the VM's
 * attributes in *@vm_out when asked (no statistics then).
 */
static int64_t vtx_nl_vcpu_exits(struct vtx_vcpu *vcpu, struct vm_match *vm_out)
{
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };
	struct vm_match m = { .pid = (uint32_t)getpid() };
	struct vcpu_exits ve = { .vcpu_id = vcpu->id, .exits = -ENOENT };
	struct nl_req req;
	uint16_t family = 0;
	int sk, r, i;

	for (i = 0; i < vcpu->vm->nr_mem; i++)
		m.mem_bytes += vcpu->vm->mem[i].size;
	sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (sk < 0)
		return -errno;
	if (bind(sk, (struct sockaddr *)&local, sizeof(local))) {
		r = -errno;
		goto out;
	}
	nl_req_init(&req, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0, 1);
	nl_put_attr(&req, CTRL_ATTR_FAMILY_NAME, VTX_GENL_NAME,
		    sizeof(VTX_GENL_NAME));
	r = nl_transact(sk, &req, family_cb, &family);
	if (!r && !family)
		r = -ENOENT;
	if (r)
		goto out;

	nl_req_init(&req, family, VTX_CMD_VM_GET, NLM_F_DUMP, 2);
	r = nl_transact(sk, &req, vm_cb, &m);
	if (r)
		goto out;
	if (m.found != 1) {
		r = m.found ? -EEXIST : -ENOENT;
		goto out;
	}
	if (vm_out) {
		*vm_out = m;
		ve.exits = 0;
		goto out;
	}

	nl_req_init(&req, family, VTX_CMD_STATS_GET, 0, 3);
	nl_put_attr(&req, VTX_A_VM_ID, &m.id, sizeof(m.id));
	r = nl_transact(sk, &req, stats_cb, &ve);
out:
	close(sk);
	return r ? r : ve.exits;
}

int64_t vtx_vcpu_exits(struct vtx_vcpu *vcpu)
{
	if (!vtx_is_vtx(vcpu->vm->dev_fd))
		return kvm_vcpu_exits(vcpu);
	return vtx_nl_vcpu_exits(vcpu, NULL);
}

int64_t vtx_vm_shadow_pages(struct vtx_vcpu *vcpu)
{
	struct vm_match m;
	int64_t r;

	if (!vtx_is_vtx(vcpu->vm->dev_fd))
		return -EOPNOTSUPP;
	r = vtx_nl_vcpu_exits(vcpu, &m);
	return r < 0 ? r : m.shadow_pages;
}
