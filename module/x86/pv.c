// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - the KVM paravirtual interface (Documentation/virt/kvm/x86/
 * cpuid.rst, msr.rst): the signature leaf 40000000H and the feature leaf
 * 40000001H of KVM_GET_SUPPORTED_CPUID, kvmclock (MSR_KVM_SYSTEM_TIME,
 * MSR_KVM_WALL_CLOCK and their _NEW twins), steal time (MSR_KVM_STEAL_TIME)
 * and KVM_CAP_ENFORCE_PV_FEATURE_CPUID.
 *
 * Offered: CLOCKSOURCE, CLOCKSOURCE2, CLOCKSOURCE_STABLE_BIT, NOP_IO_DELAY
 * (port 0x80 needs no delay: it is userspace's), STEAL_TIME (with the
 * scheduler's run_delay), and, as KVM offers them whatever the VM:
 * PV_UNHALT (KVM_HC_KICK_CPU), PV_TLB_FLUSH (the "preempted" byte of steal
 * time), PV_SEND_IPI (KVM_HC_SEND_IPI), PV_SCHED_YIELD (KVM_HC_SCHED_YIELD).
 * The hypercalls need the in-kernel local APIC (without one a kick does
 * nothing and KVM_HC_SEND_IPI fails, as in KVM).  Not offered, and so not
 * in the supported CPUID, and their MSRs #GP whatever the guest's CPUID
 * says: ASYNC_PF(_INT, _VMEXIT), PV_EOI, POLL_CONTROL, MSI_EXT_DEST_ID,
 * HC_MAP_GPA_RANGE.  KVM_CAP_ENFORCE_PV_FEATURE_CPUID refuses a feature's
 * MSR (#GP) and hypercall (-KVM_ENOSYS) when the guest's CPUID lacks it.
 *
 * Guest memory: the MSRs take any value the checks allow, as KVM's; an
 * address outside the guest's writable RAM, or a pvclock crossing a page,
 * is simply never written (KVM ignores such an address the same way).  The
 * writes go through the memslots under vm->srcu with vcpu->mutex held, no
 * other lock: a fault on the owner's memory blocks this vCPU only.  The
 * one write from atomic context, "preempted" at sched-out, does not fault
 * (copy_to_user_nofault(): a page that is not there is not marked).
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/highmem.h>
#include <linux/kvm_para.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/stat.h>
#include <linux/sched/task.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <asm/pvclock-abi.h>
#include "x86/x86.h"

/* Where KVM looks for its signature leaf: 40000000H, 40000100H, ... 4000FF00H */
#define PV_CPUID_BASE_FIRST	0x40000000u
#define PV_CPUID_BASE_LAST	0x4000ff00u
#define PV_CPUID_BASE_STEP	0x100u

/* The features vtx implements (leaf 40000001H EAX). */
static u32 pv_supported_features(void)
{
	u32 f = BIT(KVM_FEATURE_CLOCKSOURCE) | BIT(KVM_FEATURE_NOP_IO_DELAY) |
		BIT(KVM_FEATURE_CLOCKSOURCE2) |
		BIT(KVM_FEATURE_CLOCKSOURCE_STABLE_BIT) |
		BIT(KVM_FEATURE_PV_UNHALT) | BIT(KVM_FEATURE_PV_TLB_FLUSH) |
		BIT(KVM_FEATURE_PV_SEND_IPI) | BIT(KVM_FEATURE_PV_SCHED_YIELD);

	if (sched_info_on())
		f |= BIT(KVM_FEATURE_STEAL_TIME);
	return f;
}

/**
 * vtx_pv_supported_cpuid() - append leaves 40000000H and 40000001H.
 * @out:	the supported table
 * @n:		entries in it so far
 * @max:	its size
 *
 * Return: the new count, or -E2BIG.
 */
int vtx_pv_supported_cpuid(struct kvm_cpuid_entry2 *out, int n, int max)
{
	const u32 *sig = (const u32 *)KVM_SIGNATURE;
	struct kvm_cpuid_entry2 *e;

	if (n < 0 || n + 2 > max)
		return -E2BIG;
	e = &out[n];
	memset(e, 0, 2 * sizeof(*e));
	e[0].function = KVM_CPUID_SIGNATURE;
	e[0].eax = KVM_CPUID_FEATURES;
	e[0].ebx = sig[0];
	e[0].ecx = sig[1];
	e[0].edx = sig[2];
	e[1].function = KVM_CPUID_FEATURES;
	e[1].eax = pv_supported_features();
	return n + 2;
}

/**
 * vtx_pv_update_cpuid() - take the guest's PV features from its CPUID
 * (KVM_SET_CPUID2): EAX of base + 1 for the first base whose leaf has
 * KVM's signature, as KVM finds it.
 * @vcpu:	the vCPU, its new table in place
 */
void vtx_pv_update_cpuid(struct vtx_vcpu *vcpu)
{
	const u32 *sig = (const u32 *)KVM_SIGNATURE;
	struct kvm_cpuid_entry2 *e;
	u32 base;

	vcpu->pv.features = 0;
	for (base = PV_CPUID_BASE_FIRST; base <= PV_CPUID_BASE_LAST;
	     base += PV_CPUID_BASE_STEP) {
		e = vtx_cpuid_find(vcpu, base, 0);
		if (!e || e->ebx != sig[0] || e->ecx != sig[1] ||
		    e->edx != sig[2])
			continue;
		e = vtx_cpuid_find(vcpu, base | KVM_CPUID_FEATURES, 0);
		if (e)
			vcpu->pv.features = e->eax;
		return;
	}
}

/* The guest may use @feature: enforcement off, or its CPUID offers it. */
bool vtx_pv_has(struct vtx_vcpu *vcpu, unsigned int feature)
{
	return !vcpu->pv.enforce || (vcpu->pv.features & BIT(feature));
}

/**
 * vtx_pv_enable_cap() - KVM_ENABLE_CAP on a vCPU.
 * @vcpu:	the vCPU
 * @argp:	struct kvm_enable_cap: KVM_CAP_ENFORCE_PV_FEATURE_CPUID, args[0]
 *		on (nonzero) or off
 *
 * Return: 0, -EFAULT, or -EINVAL for flags or another capability.
 */
long vtx_pv_enable_cap(struct vtx_vcpu *vcpu,
		       struct kvm_enable_cap __user *argp)
{
	struct kvm_enable_cap cap;

	if (copy_from_user(&cap, argp, sizeof(cap)))
		return -EFAULT;
	if (cap.flags || cap.cap != KVM_CAP_ENFORCE_PV_FEATURE_CPUID)
		return -EINVAL;
	vcpu->pv.enforce = cap.args[0];
	return 0;
}

bool vtx_pv_msr(u32 index)
{
	switch (index) {
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_SYSTEM_TIME:
	case MSR_KVM_WALL_CLOCK_NEW:
	case MSR_KVM_SYSTEM_TIME_NEW:
	case MSR_KVM_STEAL_TIME:
		return true;
	}
	return false;
}

/* The feature that makes a PV MSR exist. */
static unsigned int msr_feature(u32 index)
{
	switch (index) {
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_SYSTEM_TIME:
		return KVM_FEATURE_CLOCKSOURCE;
	case MSR_KVM_WALL_CLOCK_NEW:
	case MSR_KVM_SYSTEM_TIME_NEW:
		return KVM_FEATURE_CLOCKSOURCE2;
	default:
		return KVM_FEATURE_STEAL_TIME;
	}
}

/**
 * vtx_pv_get_msr() - read a PV MSR (vtx_pv_msr()).
 * @vcpu:	the loaded vCPU
 * @index:	the MSR
 * @data:	out
 * @host:	KVM_GET_MSRS rather than the guest's RDMSR
 *
 * Return: 0, or -ENOENT (#GP) when enforcement hides it, as in KVM for
 * userspace too.
 */
int vtx_pv_get_msr(struct vtx_vcpu *vcpu, u32 index, u64 *data, bool host)
{
	if (!vtx_pv_has(vcpu, msr_feature(index)))
		return -ENOENT;
	switch (index) {
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_WALL_CLOCK_NEW:
		*data = READ_ONCE(vcpu->vm->pv.wall_clock);
		break;
	case MSR_KVM_SYSTEM_TIME:
	case MSR_KVM_SYSTEM_TIME_NEW:
		*data = vcpu->pv.system_time;
		break;
	default:
		*data = vcpu->pv.steal_msr;
		break;
	}
	return 0;
}

/*
 * MSR_KVM_WALL_CLOCK(_NEW): the wall-clock time at which kvmclock read 0,
 * in struct pvclock_wall_clock at @gpa, under the version protocol.
 */
static void write_wall_clock(struct vtx_vcpu *vcpu, u64 gpa)
{
	struct vtx_vm *vm = vcpu->vm;
	struct pvclock_wall_clock wc;
	u32 version, rem;
	u64 boot;

	if (vtx_read_guest_phys(vm, gpa, &version, sizeof(version)))
		return;
	/* odd: the guest's junk before the first write */
	if (version & 1)
		version++;
	version++;
	if (vtx_write_guest_phys(vm, gpa, &version, sizeof(version)))
		return;
	boot = ktime_get_real_ns() - vtx_clock_now(vm);
	wc.sec = div_u64_rem(boot, NSEC_PER_SEC, &rem);
	wc.nsec = rem;
	wc.version = version;
	if (vtx_write_guest_phys(vm, gpa, &wc, sizeof(wc)))
		return;
	version++;
	vtx_write_guest_phys(vm, gpa, &version, sizeof(version));
}

/**
 * vtx_pv_set_msr() - write a PV MSR (vtx_pv_msr()).
 * @vcpu:	the loaded vCPU
 * @index:	the MSR
 * @data:	the value
 * @host:	KVM_SET_MSRS rather than the guest's WRMSR
 *
 * Return: 0, -ENOENT when enforcement hides it, -EINVAL for reserved bits
 * of MSR_KVM_STEAL_TIME (#GP for the guest either way).
 */
int vtx_pv_set_msr(struct vtx_vcpu *vcpu, u32 index, u64 data, bool host)
{
	if (!vtx_pv_has(vcpu, msr_feature(index)))
		return -ENOENT;
	switch (index) {
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_WALL_CLOCK_NEW:
		WRITE_ONCE(vcpu->vm->pv.wall_clock, data);
		/*
		 * Only the guest's write fills the structure: userspace
		 * restoring the MSR (QEMU writes 0 at reset) restores guest
		 * memory itself.  (KVM writes it for userspace too, at GPA 0
		 * for QEMU's reset.)
		 */
		if (!host)
			write_wall_clock(vcpu, data);
		break;
	case MSR_KVM_SYSTEM_TIME:
	case MSR_KVM_SYSTEM_TIME_NEW:
		vcpu->pv.system_time = data;
		vcpu->pv.system_time_old = index == MSR_KVM_SYSTEM_TIME;
		if (data & KVM_MSR_ENABLED)
			vtx_make_request(VTX_REQ_CLOCK_UPDATE, vcpu);
		break;
	default:
		if (!sched_info_on() || (data & KVM_STEAL_RESERVED_MASK))
			return -EINVAL;
		vcpu->pv.steal_msr = data;
		if (data & KVM_MSR_ENABLED)
			vtx_make_request(VTX_REQ_STEAL_UPDATE, vcpu);
		break;
	}
	return 0;
}

/**
 * vtx_pv_vcpu_load() - KVM_RUN begins, or its thread was scheduled in:
 * steal time is brought up to date before the guest runs again, as KVM
 * does at each vcpu_load; so is the kvmclock when the host's TSCs are not
 * known to agree (no TSC clocksource), since the CPU may have changed.
 * @vcpu:	the vCPU, on its own thread (preemption may be off)
 */
void vtx_pv_vcpu_load(struct vtx_vcpu *vcpu)
{
	if (vcpu->pv.steal_msr & KVM_MSR_ENABLED)
		vtx_make_request(VTX_REQ_STEAL_UPDATE, vcpu);
	if ((vcpu->pv.system_time & KVM_MSR_ENABLED) && !vtx_clock_stable())
		vtx_make_request(VTX_REQ_CLOCK_UPDATE, vcpu);
}

/**
 * vtx_pv_clock_update() - write the vCPU's pvclock_vcpu_time_info
 * (VTX_REQ_CLOCK_UPDATE), from the VM's reference point and the vCPU's
 * TSC offset, under the version protocol: odd while the fields change.
 * @vcpu:	the loaded vCPU, before an entry
 */
void vtx_pv_clock_update(struct vtx_vcpu *vcpu)
{
	struct pvclock_vcpu_time_info ti, old;
	u64 gpa = vcpu->pv.system_time & ~(u64)KVM_MSR_ENABLED;
	struct vtx_vm *vm = vcpu->vm;
	struct vtx_kvmclock_ref ref;

	if (!(vcpu->pv.system_time & KVM_MSR_ENABLED) ||
	    offset_in_page(gpa) + sizeof(ti) > PAGE_SIZE)
		return;
	if (vtx_read_guest_phys(vm, gpa, &old, sizeof(old)))
		return;
	vtx_clock_ref(vm, &ref);
	memset(&ti, 0, sizeof(ti));
	ti.version = (old.version + 1) | 1;
	ti.tsc_timestamp = ref.tsc + vtx_x86_ops.get_tsc_offset(vcpu);
	ti.system_time = ref.ns;
	ti.tsc_to_system_mul = ref.mul;
	ti.tsc_shift = ref.shift;
	/* the guest's own "stopped" flag stays until it clears it */
	ti.flags = old.flags & PVCLOCK_GUEST_STOPPED;
	if (ref.stable && !vcpu->pv.system_time_old)
		ti.flags |= PVCLOCK_TSC_STABLE_BIT;
	if (vtx_write_guest_phys(vm, gpa, &ti.version, sizeof(ti.version)))
		return;
	smp_wmb();	/* the odd version before the fields */
	if (vtx_write_guest_phys(vm, gpa, &ti, sizeof(ti)))
		return;
	smp_wmb();	/* the fields before the even version */
	ti.version++;
	vtx_write_guest_phys(vm, gpa, &ti.version, sizeof(ti.version));
}

/*
 * The host address of guest RAM at @gpa (writable RAM only), or 0.  The
 * caller is in an srcu_read_lock(&vm->srcu) section; the slot's dirty bit
 * for @gpa is set when @dirty.
 */
static unsigned long pv_hva(struct vtx_vm *vm, u64 gpa, bool dirty)
{
	struct vtx_memslot *s = vtx_find_slot(vm, 0, gpa >> PAGE_SHIFT);

	if (!s || (s->flags & KVM_MEM_READONLY))
		return 0;
	if (dirty && s->dirty_bitmap)
		set_bit((gpa >> PAGE_SHIFT) - s->base_gfn, s->dirty_bitmap);
	return s->userspace_addr + (gpa - (s->base_gfn << PAGE_SHIFT));
}

/*
 * Exchange the guest's "preempted" byte at @gpa with 0, atomically against
 * the guest's other vCPUs (which set KVM_VCPU_FLUSH_TLB with a cmpxchg on
 * it): through the page pinned and mapped in the kernel, so that a page
 * the owner has not faulted in yet is faulted in here (may sleep; only
 * vcpu->mutex is held).  Return: 0 with the old byte in @old, or -EFAULT.
 */
static int pv_xchg_preempted(struct vtx_vm *vm, u64 gpa, u8 *old)
{
	struct page *page;
	unsigned long hva;
	int srcu, r = -EFAULT;
	u8 *p;

	srcu = srcu_read_lock(&vm->srcu);
	hva = pv_hva(vm, gpa, true);
	if (hva && pin_user_pages_fast(hva & PAGE_MASK, 1, FOLL_WRITE,
				       &page) == 1) {
		p = kmap_local_page(page);
		*old = xchg(p + offset_in_page(hva), 0);
		kunmap_local(p);
		unpin_user_pages_dirty_lock(&page, 1, true);
		r = 0;
	}
	srcu_read_unlock(&vm->srcu, srcu);
	return r;
}

/**
 * vtx_pv_steal_update() - add the time this vCPU's thread waited for a
 * CPU since the last update (the scheduler's run_delay) to the guest's
 * struct kvm_steal_time (VTX_REQ_STEAL_UPDATE), under the version
 * protocol.  "preempted" goes back to 0; with PV_TLB_FLUSH (not hidden by
 * enforcement) it is exchanged with 0, and a KVM_VCPU_FLUSH_TLB another
 * vCPU left there while this one was out flushes this vCPU's guest
 * translations before it runs again (KVM's record_steal_time()).
 * @vcpu:	the loaded vCPU, on its own thread, before an entry
 */
void vtx_pv_steal_update(struct vtx_vcpu *vcpu)
{
	u64 gpa = vcpu->pv.steal_msr & KVM_STEAL_VALID_BITS;
	u64 at_preempted = gpa + offsetof(struct kvm_steal_time, preempted);
	struct vtx_vm *vm = vcpu->vm;
	u64 steal, delay;
	u8 preempted = 0;
	u32 version;

	if (!(vcpu->pv.steal_msr & KVM_MSR_ENABLED))
		return;
	if (vtx_pv_has(vcpu, KVM_FEATURE_PV_TLB_FLUSH)) {
		if (pv_xchg_preempted(vm, at_preempted, &preempted))
			return;
		vcpu->pv.preempted = 0;
		if (preempted & KVM_VCPU_FLUSH_TLB)
			vtx_x86_ops.flush_tlb(vcpu);
	} else {
		if (vtx_write_guest_phys(vm, at_preempted, &preempted,
					 sizeof(preempted)))
			return;
		vcpu->pv.preempted = 0;
	}
	if (vtx_read_guest_phys(vm, gpa + offsetof(struct kvm_steal_time,
						   version),
				&version, sizeof(version)))
		return;
	/* odd: the guest's junk before the first update */
	if (version & 1)
		version++;
	version++;
	if (vtx_write_guest_phys(vm, gpa + offsetof(struct kvm_steal_time,
						    version),
				 &version, sizeof(version)))
		return;
	smp_wmb();	/* the odd version before the fields */
	if (vtx_read_guest_phys(vm, gpa, &steal, sizeof(steal)))
		return;
	delay = current->sched_info.run_delay;
	steal += delay - vcpu->pv.last_steal;
	vcpu->pv.last_steal = delay;
	if (vtx_write_guest_phys(vm, gpa, &steal, sizeof(steal)))
		return;
	smp_wmb();	/* the fields before the even version */
	version++;
	vtx_write_guest_phys(vm, gpa + offsetof(struct kvm_steal_time, version),
			     &version, sizeof(version));
}

/**
 * vtx_pv_sched_out() - the vCPU's thread leaves its CPU inside an ioctl
 * (preempt notifier).  Still runnable (preempted, not blocked): the vCPU
 * is a candidate for directed yield, and with steal time on and the last
 * exit between two instructions, the guest's "preempted" byte says
 * KVM_VCPU_PREEMPTED (KVM's kvm_steal_time_set_preempted()): other vCPUs
 * then leave a KVM_VCPU_FLUSH_TLB there instead of an IPI.
 * @vcpu:	the vCPU, on its own thread, in the scheduler (atomic: the
 *		write may not fault)
 */
void vtx_pv_sched_out(struct vtx_vcpu *vcpu)
{
	static const u8 preempted = KVM_VCPU_PREEMPTED;
	struct vtx_vm *vm = vcpu->vm;
	unsigned long hva;
	int srcu;
	u64 gpa;

	if (!current->on_rq)
		return;
	WRITE_ONCE(vcpu->pv.ready, true);
	if (!vcpu->pv.at_boundary || vcpu->pv.preempted ||
	    !(vcpu->pv.steal_msr & KVM_MSR_ENABLED) || current->mm != vm->mm)
		return;
	gpa = (vcpu->pv.steal_msr & KVM_STEAL_VALID_BITS) +
	      offsetof(struct kvm_steal_time, preempted);
	srcu = srcu_read_lock(&vm->srcu);
	hva = pv_hva(vm, gpa, true);
	if (hva && !copy_to_user_nofault((void __user *)hva, &preempted,
					 sizeof(preempted)))
		vcpu->pv.preempted = preempted;
	srcu_read_unlock(&vm->srcu, srcu);
}

/* The vCPU's thread runs again (preempt notifier): not a yield target. */
void vtx_pv_sched_in(struct vtx_vcpu *vcpu)
{
	WRITE_ONCE(vcpu->pv.ready, false);
}

/**
 * vtx_pv_set_thread() - KVM_RUN: remember its thread, the task another
 * vCPU's directed yield goes to (KVM's vcpu->pid).
 * @vcpu:	the vCPU, vcpu->mutex held, may sleep
 */
void vtx_pv_set_thread(struct vtx_vcpu *vcpu)
{
	struct pid *old = rcu_dereference_protected(vcpu->pv.pid,
					lockdep_is_held(&vcpu->mutex));

	if (old == task_pid(current))
		return;
	rcu_assign_pointer(vcpu->pv.pid, get_task_pid(current, PIDTYPE_PID));
	if (old) {
		/* a yielder may still be looking at the old one */
		synchronize_rcu();
		put_pid(old);
	}
}

/* The vCPU is freed: its thread's pid goes (no yielder can see it now). */
void vtx_pv_vcpu_free(struct vtx_vcpu *vcpu)
{
	put_pid(rcu_dereference_protected(vcpu->pv.pid, true));
}

/*
 * KVM_HC_SCHED_YIELD, and after KVM_HC_KICK_CPU: give this thread's time
 * to the vCPU with physical APIC ID @apic_id when it is runnable but not
 * running (KVM's kvm_sched_yield()); nothing when this CPU has nothing
 * else to run, for an unknown ID, for itself.
 */
static void pv_sched_yield(struct vtx_vcpu *vcpu, u64 apic_id)
{
	struct vtx_vcpu *target;
	struct task_struct *task;

	if (!vcpu->apic || single_task_running())
		return;
	target = vtx_apic_find_vcpu(vcpu->vm, apic_id);
	if (!target || target == vcpu || !READ_ONCE(target->pv.ready))
		return;
	rcu_read_lock();
	task = get_pid_task(rcu_dereference(target->pv.pid), PIDTYPE_PID);
	rcu_read_unlock();
	if (!task)
		return;
	yield_to(task, true);
	put_task_struct(task);
}

/**
 * vtx_pv_hypercall() - the hypercalls of the PV features (KVM's
 * kvm_emulate_hypercall()); each answers -KVM_ENOSYS when
 * KVM_CAP_ENFORCE_PV_FEATURE_CPUID hides its feature.
 * @vcpu:	the vCPU, at CPL 0
 * @nr:		RAX
 * @args:	RBX, RCX, RDX, RSI; 32 bits each outside 64-bit mode
 * @op_64bit:	the VMCALL came from 64-bit code
 *
 * KVM_HC_KICK_CPU(flags, apic_id): the vCPU halted in the kernel with that
 * physical APIC ID runs again (its next HLT returns at once if it was not
 * halted), then this one yields to it.  KVM_HC_SEND_IPI(low, high, min,
 * icr): vtx_apic_pv_send_ipi().  KVM_HC_SCHED_YIELD(apic_id): a yield.
 *
 * Return: the guest's RAX: 0, the count of KVM_HC_SEND_IPI, or a
 * negative error (-KVM_ENOSYS for a number not handled here).
 */
long vtx_pv_hypercall(struct vtx_vcpu *vcpu, unsigned long nr,
		      const unsigned long *args, bool op_64bit)
{
	switch (nr) {
	case KVM_HC_KICK_CPU:
		if (!vtx_pv_has(vcpu, KVM_FEATURE_PV_UNHALT))
			break;
		if (vcpu->apic)
			vtx_apic_pv_kick(vcpu->vm, args[1]);
		pv_sched_yield(vcpu, args[1]);
		return 0;
	case KVM_HC_SEND_IPI:
		if (!vtx_pv_has(vcpu, KVM_FEATURE_PV_SEND_IPI))
			break;
		/* KVM's answer without a local APIC in the kernel */
		if (!vcpu->apic)
			return -EOPNOTSUPP;
		return vtx_apic_pv_send_ipi(vcpu->vm, args[0], args[1],
					    args[2], args[3], op_64bit);
	case KVM_HC_SCHED_YIELD:
		if (!vtx_pv_has(vcpu, KVM_FEATURE_PV_SCHED_YIELD))
			break;
		pv_sched_yield(vcpu, args[0]);
		return 0;
	}
	return -KVM_ENOSYS;
}
