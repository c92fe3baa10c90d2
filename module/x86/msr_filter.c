// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - guest RDMSR/WRMSR that userspace sees: KVM_X86_SET_MSR_FILTER
 * (KVM_CAP_X86_MSR_FILTER) and the exits of KVM_CAP_X86_USER_SPACE_MSR
 * (KVM_EXIT_X86_RDMSR/WRMSR), as KVM 6.1 has them
 * (Documentation/virt/kvm/api.rst, Documentation/vtx/api.rst).
 *
 * The filter: up to KVM_MSR_FILTER_MAX_RANGES ranges of MSRs, each with a
 * bitmap (bit set: allowed) for reads, writes or both, and a default for
 * MSRs no range covers.  The first range that covers an MSR for the kind
 * of access decides.  x2APIC MSRs (0x800-0x8ff) are never filtered.  It
 * applies to the guest's RDMSR and WRMSR only, not to KVM_GET/SET_MSRS.
 *
 * Its life: KVM_X86_SET_MSR_FILTER copies the header and every bitmap from
 * userspace into a new struct vtx_msr_filter before anything is shared,
 * then swaps vm->msr_filter with xchg() (no lock: concurrent callers each
 * free what they took out), asks every vCPU to redo its MSR bitmap
 * (VTX_REQ_MSR_FILTER_CHANGED) and frees the old filter after
 * synchronize_rcu(); readers look at it under rcu_read_lock() without
 * sleeping.  Its size is bounded: KVM_MSR_FILTER_MAX_RANGES bitmaps of at
 * most KVM_MSR_FILTER_MAX_BITMAP_SIZE bytes.
 *
 * The MSR bitmap: the module's bitmap lets the guest read and write a few
 * MSRs without an exit (msr.c), which a filter must be able to deny.  The
 * first filter gives each vCPU its own bitmap page, the module's with the
 * filter's denials of those MSRs intercepted, rebuilt by the vCPU's thread
 * before its next entry whenever the filter changes.
 *
 * The exits: an access the filter denies, or that vtx refuses (an MSR it
 * does not know, a value it rejects), exits to userspace with
 * KVM_EXIT_X86_RDMSR/WRMSR when KVM_CAP_X86_USER_SPACE_MSR asked for that
 * reason (KVM_MSR_EXIT_REASON_FILTER, _UNKNOWN, _INVAL); otherwise the
 * guest gets #GP.  The next KVM_RUN finishes the instruction: #GP if
 * userspace set kvm_run.msr.error, else (RDMSR) EDX:EAX from msr.data and
 * RIP past it.
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/gfp.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/apicdef.h>
#include <asm/trapnr.h>
#include "x86/x86.h"

/* x2APIC MSRs: never filtered, as KVM. */
#define X2APIC_MSR_FIRST	APIC_BASE_MSR
#define X2APIC_MSR_LAST		(APIC_BASE_MSR + 0xff)
/* Flags of the filter and of a range that vtx knows (KVM 6.1's). */
#define FILTER_VALID_FLAGS	KVM_MSR_FILTER_DEFAULT_DENY
#define RANGE_VALID_FLAGS	(KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE)

/**
 * struct vtx_msr_range - one range of a filter, copied from userspace.
 * @flags:	KVM_MSR_FILTER_READ and/or _WRITE: the accesses it decides
 * @base:	first MSR
 * @nmsrs:	MSRs covered (the end wraps at 2^32, as KVM computes it)
 * @bitmap:	@nmsrs bits, set: allowed
 */
struct vtx_msr_range {
	u32 flags;
	u32 base;
	u32 nmsrs;
	unsigned long *bitmap;
};

/**
 * struct vtx_msr_filter - a VM's MSR filter; never changed once published.
 * @default_allow: what an MSR no range covers gets
 * @count:	ranges used
 * @ranges:	the ranges with MSRs, in userspace's order
 */
struct vtx_msr_filter {
	bool default_allow;
	u32 count;
	struct vtx_msr_range ranges[KVM_MSR_FILTER_MAX_RANGES];
};

static void filter_free(struct vtx_msr_filter *f)
{
	u32 i;

	if (!f)
		return;
	for (i = 0; i < f->count; i++)
		kfree(f->ranges[i].bitmap);
	kfree(f);
	vtx_alloc_dec(VTX_ALLOC_BITMAP);
}

/**
 * vtx_msr_allowed() - may the guest access @index (the VM's MSR filter)?
 * @vcpu:	the vCPU
 * @index:	MSR number
 * @type:	KVM_MSR_FILTER_READ or KVM_MSR_FILTER_WRITE
 */
bool vtx_msr_allowed(struct vtx_vcpu *vcpu, u32 index, u32 type)
{
	struct vtx_vm *vm = vcpu->vm;
	struct vtx_msr_filter *f;
	bool allowed = true;
	u32 i;

	if (index >= X2APIC_MSR_FIRST && index <= X2APIC_MSR_LAST)
		return true;
	if (!rcu_access_pointer(vm->msr_filter))
		return true;
	rcu_read_lock();
	f = rcu_dereference(vm->msr_filter);
	if (f) {
		allowed = f->default_allow;
		for (i = 0; i < f->count; i++) {
			const struct vtx_msr_range *r = &f->ranges[i];
			u32 end = r->base + r->nmsrs;

			if (index >= r->base && index < end &&
			    (r->flags & type)) {
				allowed = test_bit(index - r->base, r->bitmap);
				break;
			}
		}
	}
	rcu_read_unlock();
	return allowed;
}

/* One range of userspace's filter into @f; a range without MSRs is skipped. */
static int filter_add_range(struct vtx_msr_filter *f,
			    const struct kvm_msr_filter_range *ur)
{
	struct vtx_msr_range *r;
	size_t size;

	if (!ur->nmsrs)
		return 0;
	if ((ur->flags & ~RANGE_VALID_FLAGS) || !ur->flags)
		return -EINVAL;
	if (ur->nmsrs > KVM_MSR_FILTER_MAX_BITMAP_SIZE * BITS_PER_BYTE)
		return -EINVAL;
	size = BITS_TO_LONGS(ur->nmsrs) * sizeof(long);
	if (size > KVM_MSR_FILTER_MAX_BITMAP_SIZE)
		return -EINVAL;
	r = &f->ranges[f->count];
	r->bitmap = kmalloc(size, GFP_KERNEL_ACCOUNT);
	if (!r->bitmap)
		return -ENOMEM;
	if (copy_from_user(r->bitmap, (const void __user *)ur->bitmap, size)) {
		kfree(r->bitmap);
		return -EFAULT;
	}
	r->flags = ur->flags;
	r->base = ur->base;
	r->nmsrs = ur->nmsrs;
	f->count++;
	return 0;
}

/**
 * vtx_ioctl_set_msr_filter() - KVM_X86_SET_MSR_FILTER.
 * @vm:		the VM
 * @argp:	struct kvm_msr_filter
 *
 * Validated as KVM 6.1 does it; every bitmap is copied before the swap,
 * and no lock is held across the copies.
 *
 * Return: 0; -EFAULT; -EINVAL for an unknown flag, a range with no or an
 * unknown access type or with more than KVM_MSR_FILTER_MAX_BITMAP_SIZE
 * bytes of bitmap, or a default-deny filter without ranges; -ENOMEM.
 */
long vtx_ioctl_set_msr_filter(struct vtx_vm *vm,
			      struct kvm_msr_filter __user *argp)
{
	struct vtx_msr_filter *f, *old;
	struct kvm_msr_filter uf;
	bool empty = true;
	u32 i;
	int r;

	if (copy_from_user(&uf, argp, sizeof(uf)))
		return -EFAULT;
	if (uf.flags & ~FILTER_VALID_FLAGS)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(uf.ranges); i++)
		empty &= !uf.ranges[i].nmsrs;
	if (empty && (uf.flags & KVM_MSR_FILTER_DEFAULT_DENY))
		return -EINVAL;
	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return -ENOMEM;
	vtx_alloc_inc(VTX_ALLOC_BITMAP);
	f->default_allow = !(uf.flags & KVM_MSR_FILTER_DEFAULT_DENY);
	for (i = 0; i < ARRAY_SIZE(uf.ranges); i++) {
		r = filter_add_range(f, &uf.ranges[i]);
		if (r) {
			filter_free(f);
			return r;
		}
	}
	old = unrcu_pointer(xchg(&vm->msr_filter, RCU_INITIALIZER(f)));
	vtx_make_all_vcpus_request(vm, VTX_REQ_MSR_FILTER_CHANGED);
	synchronize_rcu();
	filter_free(old);
	return 0;
}

/**
 * vtx_msr_filter_vm_destroy() - free the VM's filter; no reader is left.
 * @vm:		the VM being destroyed
 */
void vtx_msr_filter_vm_destroy(struct vtx_vm *vm)
{
	filter_free(rcu_dereference_protected(vm->msr_filter, true));
}

/**
 * vtx_msr_filter_changed() - VTX_REQ_MSR_FILTER_CHANGED: rebuild the
 * vCPU's MSR bitmap from the VM's filter, before the next entry.
 * @vcpu:	the loaded vCPU, by its thread
 *
 * A vCPU that never had a filter keeps the module's bitmap.  When its page
 * can't be allocated the request stays and KVM_RUN fails with ENOMEM: the
 * guest never runs with a bitmap older than the filter.
 *
 * Return: 0 or -ENOMEM.
 */
int vtx_msr_filter_changed(struct vtx_vcpu *vcpu)
{
	if (!vcpu->msr_bitmap) {
		if (!rcu_access_pointer(vcpu->vm->msr_filter))
			return 0;
		vcpu->msr_bitmap =
			(unsigned long *)__get_free_page(GFP_KERNEL_ACCOUNT);
		if (!vcpu->msr_bitmap) {
			vtx_make_request(VTX_REQ_MSR_FILTER_CHANGED, vcpu);
			return -ENOMEM;
		}
		vtx_alloc_inc(VTX_ALLOC_VMCS);
	}
	vtx_msr_bitmap_fill(vcpu, vcpu->msr_bitmap);
	vtx_x86_ops.msr_bitmap_changed(vcpu);
	return 0;
}

/**
 * vtx_msr_vcpu_free() - the vCPU's MSR bitmap; the backend let go of it.
 * @vcpu:	a vCPU being freed
 */
void vtx_msr_vcpu_free(struct vtx_vcpu *vcpu)
{
	if (!vcpu->msr_bitmap)
		return;
	free_page((unsigned long)vcpu->msr_bitmap);
	vtx_alloc_dec(VTX_ALLOC_VMCS);
	vcpu->msr_bitmap = NULL;
}

/**
 * vtx_rdmsr_checked() - the guest's RDMSR of @index: the filter, then the
 * MSR.
 * @vcpu:	the loaded vCPU
 * @index:	MSR number (ECX)
 * @data:	value out
 *
 * Return: 0; -EPERM when the filter denies it; -ENOENT for an MSR vtx
 * does not know; another errno for one it refuses.
 */
int vtx_rdmsr_checked(struct vtx_vcpu *vcpu, u32 index, u64 *data)
{
	if (!vtx_msr_allowed(vcpu, index, KVM_MSR_FILTER_READ))
		return -EPERM;
	return vtx_get_msr(vcpu, index, data);
}

/* The same for WRMSR. */
int vtx_wrmsr_checked(struct vtx_vcpu *vcpu, u32 index, u64 data)
{
	if (!vtx_msr_allowed(vcpu, index, KVM_MSR_FILTER_WRITE))
		return -EPERM;
	return vtx_set_msr(vcpu, index, data, false);
}

/* RDMSR or WRMSR done by userspace: #GP, or EDX:EAX and RIP past it. */
static int complete_msr(struct vtx_vcpu *vcpu, bool read)
{
	struct kvm_run *run = vcpu->run;

	if (READ_ONCE(run->msr.error)) {
		vtx_queue_exception(vcpu, X86_TRAP_GP, true, 0);
		return 1;
	}
	if (read) {
		u64 data = READ_ONCE(run->msr.data);

		vcpu->regs[VTX_RAX] = (u32)data;
		vcpu->regs[VTX_RDX] = data >> 32;
	}
	/* the exit's instruction length, kept as for a VMCALL (pio.c) */
	vtx_skip_instruction(vcpu, vcpu->pio.insn_len);
	return 1;
}

static int complete_rdmsr(struct vtx_vcpu *vcpu)
{
	return complete_msr(vcpu, true);
}

static int complete_wrmsr(struct vtx_vcpu *vcpu)
{
	return complete_msr(vcpu, false);
}

/**
 * vtx_msr_failed() - a guest RDMSR or WRMSR that vtx did not do: an exit
 * to userspace if it asked for this reason, else #GP.
 * @vcpu:	the loaded vCPU
 * @index:	the MSR
 * @write:	WRMSR (with @data) rather than RDMSR
 * @data:	the value written
 * @err:	what vtx_rdmsr_checked()/vtx_wrmsr_checked() returned
 * @insn_len:	the instruction's length
 *
 * Return: 0 with kvm_run filled, or 1 to enter the guest (#GP queued).
 */
int vtx_msr_failed(struct vtx_vcpu *vcpu, u32 index, bool write, u64 data,
		   int err, u32 insn_len)
{
	struct kvm_run *run = vcpu->run;
	u32 reason;

	if (err == -EPERM)
		reason = KVM_MSR_EXIT_REASON_FILTER;
	else if (err == -ENOENT)
		reason = KVM_MSR_EXIT_REASON_UNKNOWN;
	else
		reason = KVM_MSR_EXIT_REASON_INVAL;
	if (!(READ_ONCE(vcpu->vm->user_space_msr_mask) & reason)) {
		vtx_queue_exception(vcpu, X86_TRAP_GP, true, 0);
		return 1;
	}
	run->exit_reason = write ? KVM_EXIT_X86_WRMSR : KVM_EXIT_X86_RDMSR;
	run->msr.error = 0;
	memset(run->msr.pad, 0, sizeof(run->msr.pad));
	run->msr.reason = reason;
	run->msr.index = index;
	run->msr.data = write ? data : 0;
	vcpu->pio.insn_len = insn_len;
	vcpu->complete_userspace_io = write ? complete_wrmsr : complete_rdmsr;
	return 0;
}
