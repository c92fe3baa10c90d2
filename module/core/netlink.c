// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - the "vtx" generic-netlink family: list VMs, per-vCPU exit
 * statistics, and an "events" multicast group.  uapi/linux/vtx.h has the
 * commands and attributes.
 *
 * Statistics are written only by each vCPU's own thread, without locks or
 * atomics (vtx_vcpu.stats).  Readers here copy them racily: each counter is
 * a naturally aligned u64, read whole.  A reset does not write to the
 * vCPU's counters; it snapshots them into stats_base (under
 * vm->stats_lock) and reports subtract the snapshot.
 *
 * Netlink never waits on a VM's owner.  The family runs with parallel_ops
 * (no global genl_mutex around the handlers), and the handlers take only
 * locks that are never held across a user-memory fault or any other wait
 * the owner controls: vtx_vms_lock (list walk, reference) and
 * vm->stats_lock (the reset base); the memslot sizes are read under
 * vm->srcu, whose read side never waits.  They never take vm->slots_lock,
 * which KVM_GET_DIRTY_LOG holds across copy_to_user() and memslot updates
 * hold while they wait for faults in get_user_pages() on the owner's
 * memory (a userfaultfd or FUSE page may never be served).  The vCPU array
 * is read up to an acquire-load of nr_vcpus (vtx_vm_nr_vcpus()).
 *
 * Permissions: listing and reading statistics reveal no guest data and are
 * open to every user, like /proc; resetting changes what other users see
 * and needs CAP_NET_ADMIN in the initial namespace (GENL_ADMIN_PERM).
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/sched.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <uapi/linux/vtx.h>
#include "x86/x86.h"

static struct genl_family vtx_genl_family;

enum vtx_mcgrp { VTX_MCGRP_EVENTS };

static const struct genl_multicast_group vtx_mcgrps[] = {
	[VTX_MCGRP_EVENTS] = { .name = VTX_GENL_MCGRP_EVENTS },
};

static const struct nla_policy vtx_policy[VTX_A_MAX + 1] = {
	[VTX_A_VM_ID] = { .type = NLA_U32 },
};

/* Find a live VM and take a reference; NULL if gone. */
static struct vtx_vm *vm_get_by_id(u32 id)
{
	struct vtx_vm *vm, *found = NULL;

	mutex_lock(&vtx_vms_lock);
	list_for_each_entry(vm, &vtx_vms, list) {
		if (vm->id == id && kref_get_unless_zero(&vm->kref)) {
			found = vm;
			break;
		}
	}
	mutex_unlock(&vtx_vms_lock);
	return found;
}

/*
 * The memslots' total size in address space 0 (SMRAM's aliases of RAM in
 * address space 1 are not counted twice), from the array published last
 * (vm->srcu: the read side never waits, for anyone).
 */
static u64 vm_mem_bytes(struct vtx_vm *vm)
{
	struct vtx_memslots *slots;
	u64 bytes = 0;
	int i, srcu;

	srcu = srcu_read_lock(&vm->srcu);
	slots = srcu_dereference(vm->memslots[0], &vm->srcu);
	for (i = 0; i < VTX_MAX_MEMSLOTS; i++)
		bytes += slots->slots[i].npages << PAGE_SHIFT;
	srcu_read_unlock(&vm->srcu, srcu);
	return bytes;
}

/* Takes no lock the VM's owner can hold across a user fault. */
static int put_vm_attrs(struct sk_buff *skb, struct vtx_vm *vm)
{
	u64 mem = vm_mem_bytes(vm);
	u32 nr = vtx_vm_nr_vcpus(vm);

	if (nla_put_u32(skb, VTX_A_VM_ID, vm->id) ||
	    nla_put_u32(skb, VTX_A_VM_PID, vm->owner_pid) ||
	    nla_put_string(skb, VTX_A_VM_COMM, vm->owner_comm) ||
	    nla_put_u32(skb, VTX_A_VM_NR_VCPUS, nr) ||
	    nla_put_u64_64bit(skb, VTX_A_VM_MEM_BYTES, mem, VTX_A_PAD) ||
	    nla_put_u64_64bit(skb, VTX_A_VM_SHADOW_PAGES,
			      READ_ONCE(vm->mmu.nr_shadow_pages), VTX_A_PAD))
		return -EMSGSIZE;
	return 0;
}

static int vm_fill(struct sk_buff *skb, struct vtx_vm *vm, u32 portid,
		   u32 seq, int flags, u8 cmd)
{
	void *hdr = genlmsg_put(skb, portid, seq, &vtx_genl_family, flags, cmd);

	if (!hdr)
		return -EMSGSIZE;
	if (put_vm_attrs(skb, vm)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * Each VM is filled in under vtx_vms_lock: vtx_vm_destroy() unlinks a VM
 * under that lock before it frees anything, so no VM of the walk can go
 * away, and the fill takes only vm->srcu.  A VM whose last reference is
 * gone (waiting for the lock to unlink itself) is not listed.
 */
static int vtx_vm_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	unsigned long idx = 0, skip = cb->args[0];
	struct vtx_vm *vm;
	int r = 0;

	mutex_lock(&vtx_vms_lock);
	list_for_each_entry(vm, &vtx_vms, list) {
		if (idx++ < skip || !kref_read(&vm->kref))
			continue;
		r = vm_fill(skb, vm, NETLINK_CB(cb->skb).portid,
			    cb->nlh->nlmsg_seq, NLM_F_MULTI, VTX_CMD_VM_GET);
		if (r) {
			idx--;
			break;
		}
	}
	mutex_unlock(&vtx_vms_lock);
	cb->args[0] = idx;
	return r && idx == skip ? r : skb->len;
}

/* The VM named by VTX_A_VM_ID, with an extack message if there is none. */
static struct vtx_vm *vm_from_info(struct genl_info *info)
{
	struct vtx_vm *vm;

	if (!info->attrs[VTX_A_VM_ID]) {
		NL_SET_ERR_MSG(info->extack, "VTX_A_VM_ID (u32) is required");
		return ERR_PTR(-EINVAL);
	}
	vm = vm_get_by_id(nla_get_u32(info->attrs[VTX_A_VM_ID]));
	if (!vm) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[VTX_A_VM_ID],
				    "no VM with this id");
		return ERR_PTR(-ENOENT);
	}
	return vm;
}

static int vtx_vm_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vtx_vm *vm = vm_from_info(info);
	struct sk_buff *msg;
	int r;

	if (IS_ERR(vm))
		return PTR_ERR(vm);
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	r = -ENOMEM;
	if (msg) {
		r = vm_fill(msg, vm, info->snd_portid, info->snd_seq, 0,
			    VTX_CMD_VM_GET);
		if (!r)
			r = genlmsg_reply(msg, info);
		else
			nlmsg_free(msg);
	}
	vtx_vm_put(vm);
	return r;
}

static int put_vcpu_stats(struct sk_buff *skb, struct vtx_vcpu *vcpu)
{
	const struct vtx_vcpu_stats *s = &vcpu->stats, *b = &vcpu->stats_base;
	u64 lat[VTX_LAT_BUCKETS];
	struct nlattr *nest, *ex;
	int i;

	nest = nla_nest_start(skb, VTX_A_VCPU);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, VTX_VCPU_A_ID, vcpu->id) ||
	    nla_put_u64_64bit(skb, VTX_VCPU_A_EXITS,
			      READ_ONCE(s->exits) - b->exits, VTX_VCPU_A_PAD) ||
	    nla_put_u64_64bit(skb, VTX_VCPU_A_USER_EXITS,
			      READ_ONCE(s->user_exits) - b->user_exits,
			      VTX_VCPU_A_PAD) ||
	    nla_put_u64_64bit(skb, VTX_VCPU_A_GUEST_TSC,
			      READ_ONCE(s->guest_tsc) - b->guest_tsc,
			      VTX_VCPU_A_PAD) ||
	    nla_put_u64_64bit(skb, VTX_VCPU_A_HOST_TSC,
			      READ_ONCE(s->host_tsc) - b->host_tsc,
			      VTX_VCPU_A_PAD))
		goto cancel;
	for (i = 0; i < VTX_LAT_BUCKETS; i++)
		lat[i] = READ_ONCE(s->latency[i]) - b->latency[i];
	if (nla_put(skb, VTX_VCPU_A_LATENCY, sizeof(lat), lat))
		goto cancel;
	for (i = 0; i < VTX_NR_EXIT_REASONS; i++) {
		u64 n = READ_ONCE(s->reason[i]) - b->reason[i];

		if (!n)
			continue;
		ex = nla_nest_start(skb, VTX_VCPU_A_EXIT_REASON);
		if (!ex ||
		    nla_put_u32(skb, VTX_EXIT_A_REASON, i) ||
		    nla_put_u64_64bit(skb, VTX_EXIT_A_COUNT, n,
				      VTX_EXIT_A_PAD))
			goto cancel;
		nla_nest_end(skb, ex);
	}
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/*
 * The vCPUs published before the acquire-load of nr_vcpus; they live as
 * long as the VM, on which vm_from_info() took a reference.
 */
static int vtx_stats_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vtx_vm *vm = vm_from_info(info);
	struct sk_buff *msg;
	unsigned int i, nr;
	void *hdr;
	int r = -EMSGSIZE;

	if (IS_ERR(vm))
		return PTR_ERR(vm);
	nr = vtx_vm_nr_vcpus(vm);
	msg = genlmsg_new(GENLMSG_DEFAULT_SIZE + nr * PAGE_SIZE / 2,
			  GFP_KERNEL);
	if (!msg) {
		vtx_vm_put(vm);
		return -ENOMEM;
	}
	hdr = genlmsg_put(msg, info->snd_portid, info->snd_seq,
			  &vtx_genl_family, 0, VTX_CMD_STATS_GET);
	if (!hdr || put_vm_attrs(msg, vm))
		goto fail;
	mutex_lock(&vm->stats_lock);
	for (i = 0; i < nr; i++)
		if (put_vcpu_stats(msg, vm->vcpus[i]))
			break;
	mutex_unlock(&vm->stats_lock);
	if (i < nr)
		goto fail;
	genlmsg_end(msg, hdr);
	vtx_vm_put(vm);
	return genlmsg_reply(msg, info);
fail:
	NL_SET_ERR_MSG(info->extack, "statistics do not fit in a message");
	nlmsg_free(msg);
	vtx_vm_put(vm);
	return r;
}

static int vtx_stats_reset_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vtx_vm *vm = vm_from_info(info);
	unsigned int i, nr;

	if (IS_ERR(vm))
		return PTR_ERR(vm);
	nr = vtx_vm_nr_vcpus(vm);
	mutex_lock(&vm->stats_lock);
	for (i = 0; i < nr; i++) {
		struct vtx_vcpu *vcpu = vm->vcpus[i];
		const u64 *src = (const u64 *)&vcpu->stats;
		u64 *dst = (u64 *)&vcpu->stats_base;
		size_t j;

		for (j = 0; j < sizeof(vcpu->stats) / sizeof(u64); j++)
			dst[j] = READ_ONCE(src[j]);
	}
	mutex_unlock(&vm->stats_lock);
	vtx_vm_put(vm);
	return 0;
}

static const struct genl_small_ops vtx_genl_ops[] = {
	{
		.cmd = VTX_CMD_VM_GET,
		.doit = vtx_vm_get_doit,
		.dumpit = vtx_vm_get_dumpit,
	},
	{
		.cmd = VTX_CMD_STATS_GET,
		.doit = vtx_stats_get_doit,
	},
	{
		.cmd = VTX_CMD_STATS_RESET,
		.doit = vtx_stats_reset_doit,
		.flags = GENL_ADMIN_PERM,
	},
};

static struct genl_family vtx_genl_family __ro_after_init = {
	.name = VTX_GENL_NAME,
	.version = VTX_GENL_VERSION,
	.maxattr = VTX_A_MAX,
	.policy = vtx_policy,
	.module = THIS_MODULE,
	/* Not under genl_mutex: a slow handler must not stall other families. */
	.parallel_ops = true,
	.small_ops = vtx_genl_ops,
	.n_small_ops = ARRAY_SIZE(vtx_genl_ops),
	.resv_start_op = VTX_CMD_EVENT + 1,
	.mcgrps = vtx_mcgrps,
	.n_mcgrps = ARRAY_SIZE(vtx_mcgrps),
};

/**
 * vtx_nl_event() - announce an event on the "events" multicast group.
 * @vm:		the VM
 * @event:	enum vtx_event
 * @vcpu_id:	the vCPU concerned, or -1
 * @reason:	exit reason or suberror, or 0
 *
 * Process context.  Nothing is sent when nobody listens.
 */
void vtx_nl_event(struct vtx_vm *vm, u32 event, int vcpu_id, u32 reason)
{
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&vtx_genl_family, &init_net, VTX_MCGRP_EVENTS))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &vtx_genl_family, 0, VTX_CMD_EVENT);
	if (!hdr ||
	    nla_put_u32(msg, VTX_A_EVENT, event) ||
	    nla_put_u32(msg, VTX_A_VM_ID, vm->id) ||
	    nla_put_u32(msg, VTX_A_VM_PID, vm->owner_pid) ||
	    (vcpu_id >= 0 && nla_put_u32(msg, VTX_A_EVENT_VCPU, vcpu_id)) ||
	    nla_put_u32(msg, VTX_A_EVENT_REASON, reason)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&vtx_genl_family, msg, 0, VTX_MCGRP_EVENTS,
			  GFP_KERNEL);
}

int vtx_netlink_init(void)
{
	BUILD_BUG_ON(VTX_NR_LAT_BUCKETS != VTX_LAT_BUCKETS);
	return genl_register_family(&vtx_genl_family);
}

void vtx_netlink_exit(void)
{
	genl_unregister_family(&vtx_genl_family);
}
