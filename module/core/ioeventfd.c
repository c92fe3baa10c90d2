// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - KVM_IOEVENTFD: a guest write to a registered port or MMIO address
 * (optionally only with a given value) signals an eventfd in the kernel
 * and the guest continues without an exit to userspace.  This is how
 * vhost-style device backends avoid exits.
 *
 * The list is read on the exit path under RCU only; registrations and
 * removals take vm->slots_lock and free after a grace period.
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/eventfd.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "x86/x86.h"

#define IOEVENTFD_FLAGS		(KVM_IOEVENTFD_FLAG_DATAMATCH | \
				 KVM_IOEVENTFD_FLAG_PIO | \
				 KVM_IOEVENTFD_FLAG_DEASSIGN)

/**
 * struct vtx_ioeventfd - one registration.
 * @link:	on vm->ioeventfds
 * @rcu:	deferred free
 * @addr:	port or guest-physical address
 * @len:	access size, 0 for any size
 * @pio:	a port rather than MMIO
 * @match:	only a write of @datamatch signals
 * @datamatch:	the value
 * @ctx:	the eventfd
 */
struct vtx_ioeventfd {
	struct list_head link;
	struct rcu_head rcu;
	u64 addr;
	u32 len;
	bool pio;
	bool match;
	u64 datamatch;
	struct eventfd_ctx *ctx;
};

static bool same_registration(const struct vtx_ioeventfd *p,
			      const struct kvm_ioeventfd *a)
{
	bool match = a->flags & KVM_IOEVENTFD_FLAG_DATAMATCH;

	return p->addr == a->addr && p->len == a->len &&
	       p->pio == !!(a->flags & KVM_IOEVENTFD_FLAG_PIO) &&
	       p->match == match && (!match || p->datamatch == a->datamatch);
}

static void ioeventfd_free(struct rcu_head *rcu)
{
	struct vtx_ioeventfd *p = container_of(rcu, struct vtx_ioeventfd, rcu);

	eventfd_ctx_put(p->ctx);
	kfree(p);
	vtx_alloc_dec(VTX_ALLOC_IOEVENTFD);
}

static int deassign(struct vtx_vm *vm, const struct kvm_ioeventfd *a)
{
	struct eventfd_ctx *ctx = eventfd_ctx_fdget(a->fd);
	struct vtx_ioeventfd *p;
	int r = -ENOENT;

	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	mutex_lock(&vm->slots_lock);
	list_for_each_entry(p, &vm->ioeventfds, link) {
		if (p->ctx == ctx && same_registration(p, a)) {
			list_del_rcu(&p->link);
			call_rcu(&p->rcu, ioeventfd_free);
			r = 0;
			break;
		}
	}
	mutex_unlock(&vm->slots_lock);
	eventfd_ctx_put(ctx);
	return r;
}

/**
 * vtx_ioctl_ioeventfd() - KVM_IOEVENTFD on a VM.
 * @vm:		the VM
 * @argp:	struct kvm_ioeventfd
 *
 * Return: 0; -EINVAL for bad flags, length or range; -EEXIST for a
 * duplicate; -ENOENT to deassign what is not there; an eventfd errno.
 */
long vtx_ioctl_ioeventfd(struct vtx_vm *vm, struct kvm_ioeventfd __user *argp)
{
	struct kvm_ioeventfd a;
	struct vtx_ioeventfd *p, *q;
	int r;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	if (a.flags & ~IOEVENTFD_FLAGS)
		return -EINVAL;
	if (a.len != 0 && a.len != 1 && a.len != 2 && a.len != 4 && a.len != 8)
		return -EINVAL;
	if (!a.len && (a.flags & KVM_IOEVENTFD_FLAG_DATAMATCH))
		return -EINVAL;
	if (a.addr + a.len < a.addr)
		return -EINVAL;
	if (a.flags & KVM_IOEVENTFD_FLAG_DEASSIGN)
		return deassign(vm, &a);

	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		return -ENOMEM;
	vtx_alloc_inc(VTX_ALLOC_IOEVENTFD);
	p->ctx = eventfd_ctx_fdget(a.fd);
	if (IS_ERR(p->ctx)) {
		r = PTR_ERR(p->ctx);
		kfree(p);
		vtx_alloc_dec(VTX_ALLOC_IOEVENTFD);
		return r;
	}
	p->addr = a.addr;
	p->len = a.len;
	p->pio = a.flags & KVM_IOEVENTFD_FLAG_PIO;
	p->match = a.flags & KVM_IOEVENTFD_FLAG_DATAMATCH;
	p->datamatch = a.datamatch;

	mutex_lock(&vm->slots_lock);
	list_for_each_entry(q, &vm->ioeventfds, link) {
		if (same_registration(q, &a)) {
			mutex_unlock(&vm->slots_lock);
			eventfd_ctx_put(p->ctx);
			kfree(p);
			vtx_alloc_dec(VTX_ALLOC_IOEVENTFD);
			return -EEXIST;
		}
	}
	list_add_tail_rcu(&p->link, &vm->ioeventfds);
	mutex_unlock(&vm->slots_lock);
	return 0;
}

/**
 * vtx_ioeventfd_signal() - signal the eventfd registered for a write.
 * @vm:		the VM
 * @pio:	a port write rather than MMIO
 * @addr:	port or guest-physical address
 * @len:	access size
 * @val:	the value written
 *
 * Return: true when an eventfd took the write (the guest continues).
 */
bool vtx_ioeventfd_signal(struct vtx_vm *vm, bool pio, u64 addr, u32 len,
			  u64 val)
{
	struct vtx_ioeventfd *p;
	bool hit = false;

	if (list_empty(&vm->ioeventfds))
		return false;
	if (len < sizeof(val))
		val &= (1ull << (len * 8)) - 1;
	rcu_read_lock();
	list_for_each_entry_rcu(p, &vm->ioeventfds, link) {
		if (p->pio != pio || p->addr != addr)
			continue;
		if (p->len && (p->len != len || (p->match && p->datamatch != val)))
			continue;
		vtx_eventfd_signal(p->ctx);
		hit = true;
		break;
	}
	rcu_read_unlock();
	return hit;
}

/* A dying VM: nothing can signal any more. */
void vtx_ioeventfd_release(struct vtx_vm *vm)
{
	struct vtx_ioeventfd *p, *tmp;

	list_for_each_entry_safe(p, tmp, &vm->ioeventfds, link) {
		list_del(&p->link);
		eventfd_ctx_put(p->ctx);
		kfree(p);
		vtx_alloc_dec(VTX_ALLOC_IOEVENTFD);
	}
}
