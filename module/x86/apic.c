// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - the in-kernel local APIC of a vCPU: the register model of lapic.c
 * wired to the guest, to the other vCPUs, to time and to the run loop
 * (Documentation/vtx/design.rst section 14).
 *
 * Threads.  The vCPU's own thread does everything that needs the vCPU's
 * state (register access, interrupt injection, the timer's expiry,
 * INIT/SIPI, KVM_GET/SET_LAPIC).  Other threads (another vCPU's IPI, an
 * MSI from KVM_SIGNAL_MSI or an irqfd, the hrtimer) only request an
 * interrupt in the target's IRR, or latch an INIT, a SIPI or an NMI, under
 * the target's apic->lock, then make a request and kick the target
 * (vtx_vcpu_kick()), which wakes it from HLT or takes it out of the guest.
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/kvm_para.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/rcuwait.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <asm/mce.h>
#include <asm/msr-index.h>
#include "x86/x86.h"
#include "x86/apic.h"
#include "x86/irqchip.h"
#include "x86/irq_routing.h"

/* The xAPIC page: 4 KiB at IA32_APIC_BASE, registers in its first 1 KiB. */
#define APIC_MMIO_SIZE		PAGE_SIZE
#define APIC_REG_BYTES		4
/* MSI address and data (PCI local bus spec, Intel SDM 10.11). */
#define MSI_ADDR_DEST_SHIFT	12
#define MSI_ADDR_DEST_MASK	0xff
#define MSI_ADDR_DEST_LOGICAL	BIT(2)
#define MSI_ADDR_REDIR_HINT	BIT(3)
#define MSI_ADDR_EXT_DEST_SHIFT	8	/* address_hi bits 31:8, X2APIC_API */
#define MSI_DATA_DM_SHIFT	8
#define MSI_DATA_DM_MASK	(7 << MSI_DATA_DM_SHIFT)
#define MSI_DATA_LEVEL_ASSERT	BIT(14)
#define MSI_DATA_TRIGGER_LEVEL	BIT(15)
/* IRR, ISR, TMR: 32 vectors in each 32-bit register, 16 bytes apart. */
#define APIC_VECTORS_PER_REG	32
/* CR8 is TPR bits 7:4. */
#define CR8_SHIFT		4
/* KVM_CAP_SPLIT_IRQCHIP's limit on reserved IOAPIC pins (KVM's). */
#define VTX_MAX_IOAPIC_PINS	VTX_MAX_IRQ_ROUTES

static struct kmem_cache *vtx_apic_cache;

static u64 apic_now(void)
{
	return ktime_get_ns();
}

static bool apic_sw_enabled(const struct vtx_lapic *a)
{
	return vtx_lapic_get_reg(a, APIC_SPIV) & APIC_SPIV_APIC_ENABLED;
}

/* The vCPU id is the initial APIC ID; vCPU 0 is the BSP, as KVM's default. */
static bool vcpu_is_bsp(struct vtx_vcpu *vcpu)
{
	return vcpu->apic_base & MSR_IA32_APICBASE_BSP;
}

static void apic_config(struct vtx_vcpu *vcpu, struct vtx_lapic_config *cfg)
{
	cfg->apic_id = vcpu->id;
	cfg->nr_lvt = (vcpu->mcg_cap & MCG_CMCI_P) ? VTX_LAPIC_NR_LVT_CMCI :
						      VTX_LAPIC_NR_LVT;
	cfg->directed_eoi = vcpu->vm->irqchip_mode == VTX_IRQCHIP_SPLIT &&
			    vtx_guest_cpuid_has(vcpu, X86_FEATURE_X2APIC);
	cfg->tsc_deadline = vtx_guest_cpuid_has(vcpu,
						X86_FEATURE_TSC_DEADLINE_TIMER);
}

/* ------------------------------------------------------------- timer -- */

static enum hrtimer_restart apic_timer_fn(struct hrtimer *t)
{
	struct vtx_apic *apic = container_of(t, struct vtx_apic, timer);

	atomic_set(&apic->timer_fired, 1);
	vtx_make_request(VTX_REQ_EVENT, apic->vcpu);
	vtx_vcpu_kick(apic->vcpu);
	return HRTIMER_NORESTART;
}

/* Host nanoseconds from now until guest TSC @tsc (vCPU thread). */
static u64 tsc_deadline_ns(struct vtx_vcpu *vcpu, u64 tsc, u64 now)
{
	u64 guest_tsc = rdtsc() + vtx_x86_ops.get_tsc_offset(vcpu);

	if (tsc <= guest_tsc || !tsc_khz)
		return now;
	return now + mul_u64_u32_div(tsc - guest_tsc, NSEC_PER_MSEC, tsc_khz);
}

/*
 * Stop the hrtimer and forget an expiry not yet looked at (vCPU thread,
 * apic->lock not held: hrtimer_cancel() waits for a running callback).
 */
static void apic_timer_stop(struct vtx_apic *apic)
{
	hrtimer_cancel(&apic->timer);
	atomic_set(&apic->timer_fired, 0);
}

/*
 * Program the hrtimer from the model (vCPU thread, apic->lock not held:
 * hrtimer_cancel() waits for a running callback).
 */
static void apic_timer_update(struct vtx_vcpu *vcpu)
{
	struct vtx_apic *apic = vcpu->apic;
	struct vtx_lapic *a = &apic->regs;
	u64 now = apic_now(), when;
	bool armed, periodic;
	unsigned long flags;

	apic_timer_stop(apic);
	spin_lock_irqsave(&apic->lock, flags);
	periodic = vtx_lapic_timer_mode(a) == VTX_LAPIC_TIMER_PERIODIC;
	if (vtx_lapic_timer_mode(a) == VTX_LAPIC_TIMER_TSCDEADLINE) {
		armed = a->timer_armed;
		when = armed ? tsc_deadline_ns(vcpu, a->tsc_deadline, now) : 0;
	} else {
		armed = vtx_lapic_timer_deadline(a, &when);
	}
	spin_unlock_irqrestore(&apic->lock, flags);
	if (!armed)
		return;
	/* A period shorter than the floor fires at the floor's pace. */
	if (periodic && when < now + VTX_APIC_MIN_PERIOD_NS)
		when = now + VTX_APIC_MIN_PERIOD_NS;
	hrtimer_start(&apic->timer, ns_to_ktime(when), HRTIMER_MODE_ABS_HARD);
}

/* The hrtimer fired: the model's timer expires (vCPU thread). */
static void apic_timer_expired(struct vtx_vcpu *vcpu)
{
	struct vtx_apic *apic = vcpu->apic;
	struct vtx_lapic_fx fx = {};
	unsigned long flags;

	spin_lock_irqsave(&apic->lock, flags);
	vtx_lapic_timer_expire(&apic->regs, apic_now(), &fx);
	spin_unlock_irqrestore(&apic->lock, flags);
	if (vtx_lapic_timer_mode(&apic->regs) == VTX_LAPIC_TIMER_PERIODIC)
		apic_timer_update(vcpu);
}

/* ---------------------------------------------------------- delivery -- */

/*
 * Deliver one interrupt message to @target (any thread).  Return: 1 when
 * the target accepted it, 0 when not (disabled APIC, bad vector).
 */
static int apic_deliver(struct vtx_vcpu *target,
			const struct vtx_lapic_ipi *ipi)
{
	struct vtx_apic *apic = target->apic;
	unsigned long flags;
	int r = 0;

	spin_lock_irqsave(&apic->lock, flags);
	switch (ipi->delivery_mode) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		/* A software-disabled APIC takes no fixed interrupts (KVM). */
		if (apic_sw_enabled(&apic->regs) &&
		    !vtx_lapic_accept(&apic->regs, ipi->vector, ipi->level,
				      NULL)) {
			/* APICv: not in the virtual-APIC page until entry */
			if (apic->apicv)
				__set_bit(ipi->vector, apic->apicv_irr);
			r = 1;
		}
		break;
	case APIC_DM_NMI:
	case APIC_DM_SMI:
		r = 1;
		break;
	case APIC_DM_INIT:
		/* INIT level de-assert is ignored, as by KVM. */
		if (!ipi->level || ipi->assert) {
			apic->init_pending = true;
			r = 1;
		}
		break;
	case APIC_DM_STARTUP:
		apic->sipi_pending = true;
		apic->sipi_vector = ipi->vector;
		r = 1;
		break;
	case APIC_DM_REMRD:
		/* KVM_HC_KICK_CPU's message (KVM's use of this mode) */
		WRITE_ONCE(apic->pv_unhalted, true);
		r = 1;
		break;
	}
	spin_unlock_irqrestore(&apic->lock, flags);
	if (!r)
		return 0;
	vtx_make_request(ipi->delivery_mode == APIC_DM_NMI ? VTX_REQ_NMI :
			 ipi->delivery_mode == APIC_DM_SMI ? VTX_REQ_SMI :
			 VTX_REQ_EVENT, target);
	vtx_vcpu_kick(target);
	return 1;
}

/*
 * Send @ipi from @source (NULL: an MSI or an IOAPIC message) to every
 * matching APIC.  Lowest priority goes to the first matching APIC with the
 * lowest priority class (KVM without vector hashing arbitrates alike).
 * Return: as KVM's kvm_irq_delivery_to_apic(): -1 when no APIC is a
 * destination, else the number that accepted it.
 */
static int apic_send(struct vtx_vm *vm, struct vtx_vcpu *source,
		     const struct vtx_lapic_ipi *ipi)
{
	unsigned int i, n = vtx_vm_nr_vcpus(vm);
	struct vtx_vcpu *lowest = NULL;
	u32 lowest_ppr = U32_MAX;
	int delivered = -1;

	for (i = 0; i < n; i++) {
		struct vtx_vcpu *t = vm->vcpus[i];
		struct vtx_lapic *ta = &t->apic->regs;
		bool match;
		unsigned long flags;
		u32 ppr;

		spin_lock_irqsave(&t->apic->lock, flags);
		if (source)
			match = vtx_lapic_match_ipi(ta, &source->apic->regs,
						    ipi);
		else
			match = vtx_lapic_match_dest(ta, ipi->dest,
						     ipi->logical);
		ppr = vtx_lapic_get_reg(ta, APIC_PROCPRI);
		spin_unlock_irqrestore(&t->apic->lock, flags);
		if (!match)
			continue;
		if (delivered < 0)
			delivered = 0;
		if (ipi->delivery_mode == APIC_DM_LOWEST) {
			if (ppr < lowest_ppr) {
				lowest = t;
				lowest_ppr = ppr;
			}
			continue;
		}
		delivered += apic_deliver(t, ipi);
	}
	if (lowest)
		delivered += apic_deliver(lowest, ipi);
	return delivered;
}

/**
 * vtx_apic_deliver_msg() - deliver an IOAPIC's message (x86/irqchip.c).
 * @vm:		the VM
 * @msg:	the message (no shorthand)
 *
 * Return: -1 when no APIC is a destination, else how many accepted it.
 * May be called in atomic context.
 */
int vtx_apic_deliver_msg(struct vtx_vm *vm, const struct vtx_lapic_ipi *msg)
{
	return apic_send(vm, NULL, msg);
}

/**
 * vtx_apic_pv_kick() - KVM_HC_KICK_CPU: wake the vCPU with physical APIC ID
 * @apic_id from HLT, or let its next HLT return at once (pv_unhalted).
 * @vm:		the VM, with an in-kernel local APIC
 * @apic_id:	the destination, as an interrupt message's physical one
 */
void vtx_apic_pv_kick(struct vtx_vm *vm, u32 apic_id)
{
	struct vtx_lapic_ipi ipi = {
		.dest = apic_id,
		.delivery_mode = APIC_DM_REMRD,
		.shorthand = VTX_APIC_DEST_NOSHORT,
	};

	apic_send(vm, NULL, &ipi);
}

/* The physical APIC ID of an enabled APIC (IA32_APIC_BASE.EN), or false. */
static bool apic_phys_id(struct vtx_vcpu *t, u32 *id)
{
	unsigned long flags;
	bool en;

	spin_lock_irqsave(&t->apic->lock, flags);
	en = t->apic->regs.hw_enabled;
	*id = vtx_lapic_id(&t->apic->regs);
	spin_unlock_irqrestore(&t->apic->lock, flags);
	return en;
}

/**
 * vtx_apic_find_vcpu() - the vCPU whose enabled APIC has physical ID
 * @apic_id (the first, should the guest have given two the same).
 * @vm:		the VM, with an in-kernel local APIC
 * @apic_id:	any value the guest passed
 *
 * Return: the vCPU, or NULL.
 */
struct vtx_vcpu *vtx_apic_find_vcpu(struct vtx_vm *vm, u64 apic_id)
{
	unsigned int i, n = vtx_vm_nr_vcpus(vm);
	u32 id;

	for (i = 0; i < n; i++)
		if (apic_phys_id(vm->vcpus[i], &id) && id == apic_id)
			return vm->vcpus[i];
	return NULL;
}

/**
 * vtx_apic_pv_send_ipi() - KVM_HC_SEND_IPI: one interrupt message to the
 * APICs whose physical IDs the two bitmaps select (KVM's kvm_pv_send_ipi()).
 * @vm:		the VM, with an in-kernel local APIC
 * @low:	bit i selects APIC ID @min + i
 * @high:	bit i selects APIC ID @min + cluster + i, the cluster being
 *		64 IDs from 64-bit code, 32 otherwise
 * @min:	the first APIC ID of @low
 * @icr:	the ICR's low word: vector, delivery mode, level, trigger
 *		mode; a logical destination or a shorthand is refused
 * @op_64bit:	the hypercall came from 64-bit code
 *
 * Any argument the guest likes is safe: IDs are compared in 64 bits (no
 * wrap past 0xffffffff, where KVM's 32-bit sum wraps), APICs that are
 * disabled (IA32_APIC_BASE.EN) are not destinations (as in KVM's map),
 * and each selected APIC takes the message as from its ICR: the delivery
 * modes of an ICR write (fixed, lowest priority as fixed, NMI, SMI, INIT,
 * SIPI, and KVM's "remote read" kick; ExtINT is not accepted and not
 * counted).
 *
 * Return: the number of APICs that accepted it, or -KVM_EINVAL.
 */
long vtx_apic_pv_send_ipi(struct vtx_vm *vm, unsigned long low,
			  unsigned long high, u32 min, unsigned long icr,
			  bool op_64bit)
{
	u64 cluster = op_64bit ? BITS_PER_LONG : 32;
	unsigned int i, n = vtx_vm_nr_vcpus(vm);
	struct vtx_lapic_ipi ipi = {
		.delivery_mode = icr & APIC_MODE_MASK,
		.shorthand = VTX_APIC_DEST_NOSHORT,
		.vector = icr & APIC_VECTOR_MASK,
		.level = icr & APIC_INT_LEVELTRIG,
		.assert = icr & APIC_INT_ASSERT,
	};
	long count = 0;

	if (icr & (APIC_DEST_LOGICAL | VTX_APIC_SHORT_MASK))
		return -KVM_EINVAL;
	for (i = 0; i < n; i++) {
		struct vtx_vcpu *t = vm->vcpus[i];
		unsigned long bits;
		u64 off;
		u32 id;

		if (!apic_phys_id(t, &id) || id < min)
			continue;
		off = (u64)id - min;
		if (off < cluster) {
			bits = low;
		} else if (off < 2 * cluster) {
			bits = high;
			off -= cluster;
		} else {
			continue;
		}
		if (test_bit(off, &bits))
			count += apic_deliver(t, &ipi);
	}
	return count;
}

/* An MSI route's message, decoded as vtx_irq_deliver_msi() does. */
static void msi_decode(struct vtx_vm *vm, u64 address, u32 data,
		       struct vtx_lapic_ipi *ipi)
{
	memset(ipi, 0, sizeof(*ipi));
	ipi->dest = (address >> MSI_ADDR_DEST_SHIFT) & MSI_ADDR_DEST_MASK;
	if (READ_ONCE(vm->x2apic_format))
		ipi->dest |= (u32)(address >> 32) & ~(u32)MSI_ADDR_DEST_MASK;
	ipi->logical = address & MSI_ADDR_DEST_LOGICAL;
	ipi->vector = data & APIC_VECTOR_MASK;
	ipi->delivery_mode = data & MSI_DATA_DM_MASK;
	ipi->level = data & MSI_DATA_TRIGGER_LEVEL;
	ipi->assert = true;
}

/**
 * vtx_irq_deliver_msi() - see x86/irq.h.
 */
int vtx_irq_deliver_msi(struct vtx_vm *vm, u64 address, u32 data)
{
	struct vtx_lapic_ipi ipi = {};

	/* pairs with the release of the mode: the vCPUs' APICs are there */
	if (!vtx_irqchip_in_kernel(smp_load_acquire(&vm->irqchip_mode)))
		return -ENXIO;
	msi_decode(vm, address, data, &ipi);
	/*
	 * In xAPIC mode a destination of 0xff is a broadcast; an x2APIC
	 * destination wider than 8 bits only reaches x2APIC-mode APICs,
	 * which vtx_lapic_match_dest() compares in full.
	 */
	return apic_send(vm, NULL, &ipi);
}

/**
 * vtx_apic_scan_ioapic() - split irqchip: the vectors whose EOI userspace's
 * IOAPIC must see (KVM_EXIT_IOAPIC_EOI), as KVM's kvm_scan_ioapic_routes():
 * level-triggered MSI routes of the reserved IOAPIC pins that reach this
 * APIC.  Redone when the routing or the APIC's addressing changes.
 * @vcpu:	the vCPU, by its thread
 */
void vtx_apic_scan_ioapic(struct vtx_vcpu *vcpu)
{
	struct vtx_irq_route routes[VTX_MAX_GSI_ROUTES];
	struct vtx_apic *apic = vcpu->apic;
	struct vtx_vm *vm = vcpu->vm;
	struct vtx_lapic_ipi msg;
	unsigned long flags;
	int idx, n, i;
	u32 gsi;

	bitmap_zero(apic->ioapic_vectors, VTX_LAPIC_NR_VECTORS);
	/* APICv's EOI-exit bitmap: the in-kernel IOAPIC's vectors */
	if (vm->irqchip_mode == VTX_IRQCHIP_KERNEL)
		vtx_irqchip_eoi_vectors(vm, apic->ioapic_vectors);
	if (vm->irqchip_mode != VTX_IRQCHIP_SPLIT)
		return;
	idx = srcu_read_lock(&vm->irq_srcu);
	for (gsi = 0; gsi < vm->nr_reserved_ioapic_pins; gsi++) {
		n = vtx_irq_map_gsi(vm, routes, gsi);
		for (i = 0; i < n; i++) {
			if (routes[i].type != KVM_IRQ_ROUTING_MSI)
				continue;
			msi_decode(vm, (u64)routes[i].msi.address_hi << 32 |
				   routes[i].msi.address_lo,
				   routes[i].msi.data, &msg);
			if (!msg.level)
				continue;
			spin_lock_irqsave(&apic->lock, flags);
			if (vtx_lapic_match_dest(&apic->regs, msg.dest,
						 msg.logical))
				__set_bit(msg.vector, apic->ioapic_vectors);
			spin_unlock_irqrestore(&apic->lock, flags);
		}
	}
	srcu_read_unlock(&vm->irq_srcu, idx);
}

/* ------------------------------------------------- the vCPU's side -- */

/*
 * KVM_TPR_ACCESS_REPORTING: a guest access to TPR (MMIO or MSR) leaves for
 * userspace as KVM_EXIT_TPR_ACCESS once it completed, with the RIP of the
 * instruction (QEMU's vapic patches it).
 */
static void report_tpr_access(struct vtx_vcpu *vcpu, u32 offset, bool write)
{
	if (offset != APIC_TASKPRI || !vcpu->tpr_access_reporting)
		return;
	vcpu->run->tpr_access.rip = vtx_rip(vcpu);
	vcpu->run->tpr_access.is_write = write;
	vtx_make_request(VTX_REQ_REPORT_TPR_ACCESS, vcpu);
}

/*
 * What a register write left to do (vCPU thread, apic->lock not held).
 * Return: 1, or 0 when the write's EOI leaves for userspace.
 */
static void apic_apply_fx(struct vtx_vcpu *vcpu, const struct vtx_lapic_fx *fx)
{
	struct vtx_apic *apic = vcpu->apic;

	if (fx->flags & VTX_LAPIC_FX_IPI) {
		struct vtx_lapic_ipi ipi = fx->ipi;

		if (ipi.delivery_mode == APIC_DM_INIT && ipi.level &&
		    !ipi.assert)
			return;
		apic_send(vcpu->vm, vcpu, &ipi);
	}
	if (fx->flags & VTX_LAPIC_FX_TIMER)
		apic_timer_update(vcpu);
	if (fx->flags & VTX_LAPIC_FX_MAP)
		vtx_apic_scan_ioapic(vcpu);
	if ((fx->flags & VTX_LAPIC_FX_EOI) &&
	    vcpu->vm->irqchip_mode == VTX_IRQCHIP_SPLIT) {
		/*
		 * The userspace IOAPIC clears its remote IRR: the EOI of a
		 * vector of its level-triggered routes exits (KVM's rule).
		 */
		if (test_bit(fx->eoi_vector, apic->ioapic_vectors)) {
			apic->eoi_exit_vector = fx->eoi_vector;
			vtx_make_request(VTX_REQ_IOAPIC_EOI_EXIT, vcpu);
		}
	} else if (fx->flags & VTX_LAPIC_FX_EOI) {
		vtx_irqchip_eoi(vcpu->vm, fx->eoi_vector,
				fx->eoi_level && fx->eoi_broadcast);
	}
	if (fx->flags & (VTX_LAPIC_FX_EVENT | VTX_LAPIC_FX_EOI))
		vtx_make_request(VTX_REQ_EVENT, vcpu);
}

static bool apic_mmio_range(struct vtx_vcpu *vcpu, u64 gpa, u32 *offset)
{
	u64 base = vcpu->apic_base & MSR_IA32_APICBASE_BASE;

	if (gpa < base || gpa >= base + APIC_MMIO_SIZE)
		return false;
	*offset = gpa - base;
	return true;
}

/**
 * vtx_apic_mmio_read() - a read of the xAPIC page, if @gpa is in it.
 * @vcpu:	the vCPU, by its thread
 * @gpa:	guest-physical address
 * @len:	1, 2, 4 or 8 bytes
 * @data:	out
 *
 * As KVM: a disabled or x2APIC-mode APIC reads as all ones; an access
 * beyond one 32-bit register, or of a reserved one, reads as zero.
 *
 * Return: true when the APIC took the read.
 */
bool vtx_apic_mmio_read(struct vtx_vcpu *vcpu, u64 gpa, unsigned int len,
			void *data)
{
	struct vtx_apic *apic = vcpu->apic;
	u32 offset, align, val = 0;
	unsigned long flags;

	if (!apic || !apic_mmio_range(vcpu, gpa, &offset))
		return false;
	if (!apic->regs.hw_enabled || apic->regs.x2apic) {
		memset(data, 0xff, len);
		return true;
	}
	memset(data, 0, len);
	align = offset & (VTX_LAPIC_REG_ALIGN - 1);
	if (align + len > APIC_REG_BYTES || offset >= VTX_LAPIC_REGS_SIZE)
		return true;
	spin_lock_irqsave(&apic->lock, flags);
	if (vtx_lapic_read(&apic->regs, offset - align, apic_now(), &val))
		val = 0;
	spin_unlock_irqrestore(&apic->lock, flags);
	memcpy(data, (u8 *)&val + align, len);
	report_tpr_access(vcpu, offset - align, false);
	return true;
}

/**
 * vtx_apic_mmio_write() - a write to the xAPIC page, if @gpa is in it.
 * @vcpu:	the vCPU, by its thread
 * @gpa:	guest-physical address
 * @len:	bytes
 * @data:	the value
 *
 * As KVM: only aligned 32-bit writes reach a register; others, and writes
 * while the APIC is disabled or in x2APIC mode, are dropped.
 *
 * Return: true when the APIC took the write.
 */
bool vtx_apic_mmio_write(struct vtx_vcpu *vcpu, u64 gpa, unsigned int len,
			 u64 data)
{
	struct vtx_apic *apic = vcpu->apic;
	struct vtx_lapic_fx fx = {};
	unsigned long flags;
	u32 offset;

	if (!apic || !apic_mmio_range(vcpu, gpa, &offset))
		return false;
	if (!apic->regs.hw_enabled || apic->regs.x2apic ||
	    len != APIC_REG_BYTES || (offset & (VTX_LAPIC_REG_ALIGN - 1)) ||
	    offset >= VTX_LAPIC_REGS_SIZE)
		return true;
	spin_lock_irqsave(&apic->lock, flags);
	vtx_lapic_write(&apic->regs, offset, data, apic_now(), &fx);
	spin_unlock_irqrestore(&apic->lock, flags);
	report_tpr_access(vcpu, offset, true);
	apic_apply_fx(vcpu, &fx);
	return true;
}

/* An MSR of the in-kernel APIC: x2APIC registers, TSC deadline. */
bool vtx_apic_msr(u32 index)
{
	return (index >= APIC_BASE_MSR && index <= VTX_X2APIC_MSR_LAST) ||
	       index == MSR_IA32_TSC_DEADLINE;
}

/**
 * vtx_apic_get_msr() - RDMSR of an x2APIC register or IA32_TSC_DEADLINE.
 * @vcpu:	the vCPU with an in-kernel APIC
 * @index:	vtx_apic_msr() holds
 * @data:	out
 *
 * Return: 0, or -EINVAL for a #GP (not in x2APIC mode, reserved register,
 * TSC deadline without it in CPUID).
 */
int vtx_apic_get_msr(struct vtx_vcpu *vcpu, u32 index, u64 *data)
{
	struct vtx_apic *apic = vcpu->apic;
	unsigned long flags;
	int r = 0;

	spin_lock_irqsave(&apic->lock, flags);
	if (index == MSR_IA32_TSC_DEADLINE) {
		if (apic->regs.cfg.tsc_deadline)
			*data = vtx_lapic_get_tsc_deadline(&apic->regs);
		else
			r = -EINVAL;
	} else {
		r = vtx_lapic_msr_read(&apic->regs, index, apic_now(), data);
	}
	spin_unlock_irqrestore(&apic->lock, flags);
	if (!r && index != MSR_IA32_TSC_DEADLINE)
		report_tpr_access(vcpu, (index - APIC_BASE_MSR) <<
				  VTX_LAPIC_REG_SHIFT, false);
	return r;
}

/**
 * vtx_apic_set_msr() - WRMSR of an x2APIC register or IA32_TSC_DEADLINE.
 * @vcpu:	the vCPU with an in-kernel APIC
 * @index:	vtx_apic_msr() holds
 * @data:	the value
 * @host:	KVM_SET_MSRS (a TSC deadline is taken without CPUID's bit)
 *
 * Return: 0, or -EINVAL for a #GP.
 */
int vtx_apic_set_msr(struct vtx_vcpu *vcpu, u32 index, u64 data, bool host)
{
	struct vtx_apic *apic = vcpu->apic;
	struct vtx_lapic_fx fx = {};
	unsigned long flags;
	int r = 0;

	spin_lock_irqsave(&apic->lock, flags);
	if (index == MSR_IA32_TSC_DEADLINE) {
		if (apic->regs.cfg.tsc_deadline || host)
			vtx_lapic_set_tsc_deadline(&apic->regs, data, &fx);
		else
			r = -EINVAL;
	} else {
		r = vtx_lapic_msr_write(&apic->regs, index, data, apic_now(),
					&fx);
	}
	spin_unlock_irqrestore(&apic->lock, flags);
	if (r)
		return r;
	if (index != MSR_IA32_TSC_DEADLINE)
		report_tpr_access(vcpu, (index - APIC_BASE_MSR) <<
				  VTX_LAPIC_REG_SHIFT, true);
	apic_apply_fx(vcpu, &fx);
	return 0;
}

/**
 * vtx_apic_base_reserved() - the reserved bits of the vCPU's IA32_APIC_BASE.
 * @vcpu:	the vCPU
 *
 * Bits 7:0 and 9, and the base's bits from the vCPU's MAXPHYADDR up (not
 * the host's), as KVM's kvm_set_apic_base() has them, with or without an
 * in-kernel APIC.
 *
 * Return: the mask.
 */
u64 vtx_apic_base_reserved(struct vtx_vcpu *vcpu)
{
	return ~(MSR_IA32_APICBASE_BASE | MSR_IA32_APICBASE_ENABLE |
		 X2APIC_ENABLE | MSR_IA32_APICBASE_BSP) |
	       vtx_rsvd_gpa_bits(vcpu);
}

/**
 * vtx_apic_set_base() - a write of IA32_APIC_BASE with an in-kernel APIC.
 * @vcpu:	the vCPU
 * @base:	the new value
 * @host:	from userspace (KVM_SET_MSRS, KVM_SET_SREGS)
 *
 * Return: 0, or -EINVAL (#GP for the guest) for a transition the
 * architecture forbids or reserved bits.
 */
int vtx_apic_set_base(struct vtx_vcpu *vcpu, u64 base, bool host)
{
	struct vtx_apic *apic = vcpu->apic;
	struct vtx_lapic_fx fx = {};
	unsigned long flags;
	int r;

	if (base & vtx_apic_base_reserved(vcpu))
		return -EINVAL;
	spin_lock_irqsave(&apic->lock, flags);
	r = vtx_lapic_set_mode(&apic->regs, vcpu->apic_base, base, host,
			       vtx_guest_cpuid_has(vcpu, X86_FEATURE_X2APIC),
			       &fx);
	spin_unlock_irqrestore(&apic->lock, flags);
	if (r)
		return r;
	vcpu->apic_base = base;
	apic_apply_fx(vcpu, &fx);
	return 0;
}

/* CR8 is TPR[7:4] with an in-kernel APIC. */
u8 vtx_apic_get_cr8(struct vtx_vcpu *vcpu)
{
	return vtx_lapic_get_reg(&vcpu->apic->regs, APIC_TASKPRI) >> CR8_SHIFT;
}

void vtx_apic_set_cr8(struct vtx_vcpu *vcpu, u8 cr8)
{
	struct vtx_apic *apic = vcpu->apic;
	unsigned long flags;

	spin_lock_irqsave(&apic->lock, flags);
	vtx_lapic_set_reg(&apic->regs, APIC_TASKPRI,
			  (cr8 << CR8_SHIFT) & APIC_TPRI_MASK);
	vtx_lapic_ppr(&apic->regs);
	spin_unlock_irqrestore(&apic->lock, flags);
	vtx_make_request(VTX_REQ_EVENT, vcpu);
}

/*
 * LINT0 takes the 8259's ExtINT: unmasked in ExtINT mode, or the APIC
 * hardware-disabled (KVM's kvm_apic_accept_pic_intr()).  The 8259s are
 * userspace's with a split irqchip (KVM_INTERRUPT), the kernel's with
 * KVM_CREATE_IRQCHIP.
 */
bool vtx_apic_accepts_extint(struct vtx_vcpu *vcpu)
{
	u32 lvt0 = vtx_lapic_get_reg(&vcpu->apic->regs, APIC_LVT0);

	if (!vcpu->apic->regs.hw_enabled)
		return true;
	return !(lvt0 & APIC_LVT_MASKED) &&
	       GET_APIC_DELIVERY_MODE(lvt0) == APIC_MODE_EXTINT;
}

/**
 * vtx_apic_set_ext_interrupt() - KVM_INTERRUPT with a split irqchip: the
 * userspace 8259's vector, taken through LINT0.
 * @vcpu:	the vCPU
 * @vector:	the vector
 *
 * Return: 0, or -EEXIST while one is still waiting (as KVM).
 */
int vtx_apic_set_ext_interrupt(struct vtx_vcpu *vcpu, u8 vector)
{
	if (vcpu->apic->ext_vector >= 0)
		return -EEXIST;
	vcpu->apic->ext_vector = vector;
	vtx_make_request(VTX_REQ_EVENT, vcpu);
	return 0;
}

/**
 * vtx_apic_extint() - the 8259's interrupt through LINT0 in ExtINT mode:
 * KVM_INTERRUPT's vector with a split irqchip, KVM_CREATE_IRQCHIP's PIC.
 * @vcpu:	the vCPU with an in-kernel APIC, by its thread
 * @take:	acknowledge it (INTA), before entry with interrupts off
 *
 * With APICv (vmx/apicv.c) the processor delivers the APIC's own
 * interrupts; only these are injected.
 *
 * Return: its vector (0 for the in-kernel PIC's when not taken), or -1.
 */
int vtx_apic_extint(struct vtx_vcpu *vcpu, bool take)
{
	struct vtx_apic *apic = vcpu->apic;
	int v;

	if (!vtx_apic_accepts_extint(vcpu))
		return -1;
	if (apic->ext_vector >= 0) {
		v = apic->ext_vector;
		if (take)
			apic->ext_vector = -1;
		return v;
	}
	if (vcpu->vm->irqchip_mode != VTX_IRQCHIP_KERNEL ||
	    !vtx_irqchip_extint_pending(vcpu->vm))
		return -1;
	return take ? vtx_irqchip_extint_ack(vcpu->vm) : 0;
}

/**
 * vtx_apic_eoi_accelerated() - APICv's EOI-induced exit: the processor
 * took @vector out of service (in the virtual-APIC page, already copied
 * to the model); tell the IOAPIC, as an EOI write would (KVM's
 * kvm_apic_set_eoi_accelerated()).
 * @vcpu:	the vCPU, by its thread
 * @vector:	the vector of the EOI
 */
void vtx_apic_eoi_accelerated(struct vtx_vcpu *vcpu, u8 vector)
{
	struct vtx_apic *apic = vcpu->apic;
	struct vtx_lapic_fx fx = {
		.flags = VTX_LAPIC_FX_EOI | VTX_LAPIC_FX_EVENT,
		.eoi_vector = vector,
	};
	unsigned long flags;

	spin_lock_irqsave(&apic->lock, flags);
	fx.eoi_level = vtx_lapic_get_reg(&apic->regs, APIC_TMR +
					 (vector / APIC_VECTORS_PER_REG) *
					 VTX_LAPIC_REG_ALIGN) &
		       BIT(vector % APIC_VECTORS_PER_REG);
	fx.eoi_broadcast = !(vtx_lapic_get_reg(&apic->regs, APIC_SPIV) &
			     APIC_SPIV_DIRECTED_EOI);
	spin_unlock_irqrestore(&apic->lock, flags);
	apic_apply_fx(vcpu, &fx);
}

/**
 * vtx_apic_has_interrupt() - the interrupt the vCPU would take next.
 * @vcpu:	the vCPU with an in-kernel APIC, by its thread
 *
 * Return: its vector (an ExtINT first), or -1.
 */
int vtx_apic_has_interrupt(struct vtx_vcpu *vcpu)
{
	struct vtx_apic *apic = vcpu->apic;
	unsigned long flags;
	int v;

	/* KVM_CREATE_IRQCHIP's 8259: pending, its vector known at INTA. */
	v = vtx_apic_extint(vcpu, false);
	if (v >= 0)
		return v;
	spin_lock_irqsave(&apic->lock, flags);
	v = vtx_lapic_next_vector(&apic->regs);
	spin_unlock_irqrestore(&apic->lock, flags);
	return v;
}

/**
 * vtx_apic_take_interrupt() - the processor acknowledges the interrupt it
 * takes now: an ExtINT, or the APIC's highest from IRR into ISR.
 * @vcpu:	the vCPU, interrupts off before entry
 *
 * Return: the vector to inject, or -1.
 */
int vtx_apic_take_interrupt(struct vtx_vcpu *vcpu)
{
	struct vtx_apic *apic = vcpu->apic;
	unsigned long flags;
	int v;

	v = vtx_apic_extint(vcpu, true);
	if (v >= 0)
		return v;
	spin_lock_irqsave(&apic->lock, flags);
	v = vtx_lapic_next_vector(&apic->regs);
	if (v >= 0)
		vtx_lapic_ack(&apic->regs, v);
	spin_unlock_irqrestore(&apic->lock, flags);
	return v;
}

/* SIPI: start at vector:0000 in real mode (KVM's kvm_vcpu_deliver_sipi_vector). */
static void deliver_sipi(struct vtx_vcpu *vcpu, u8 vector)
{
	struct kvm_segment cs;

	vtx_x86_ops.get_segment(vcpu, &cs, VTX_SREG_CS);
	cs.selector = vector << 8;
	cs.base = (u64)vector << 12;
	vtx_x86_ops.set_segment(vcpu, &cs, VTX_SREG_CS);
	vtx_set_rip(vcpu, 0);
}

/**
 * vtx_apic_process_events() - what other threads left for this vCPU: the
 * timer's expiry, INIT and SIPI (KVM's kvm_apic_accept_events()).
 * @vcpu:	the vCPU, by its thread, loaded
 *
 * Return: 1.
 */
int vtx_apic_process_events(struct vtx_vcpu *vcpu)
{
	struct vtx_apic *apic = vcpu->apic;
	bool init, sipi;
	unsigned long flags;
	u8 vector;

	if (atomic_xchg(&apic->timer_fired, 0))
		apic_timer_expired(vcpu);
	spin_lock_irqsave(&apic->lock, flags);
	/*
	 * In SMM an INIT stays latched until RSM, and a SIPI is dropped
	 * (KVM's kvm_apic_accept_events()).
	 */
	init = apic->init_pending && !vcpu->smm;
	sipi = apic->sipi_pending && !vcpu->smm;
	vector = apic->sipi_vector;
	if (!vcpu->smm)
		apic->init_pending = false;
	apic->sipi_pending = false;
	spin_unlock_irqrestore(&apic->lock, flags);
	if (init) {
		vtx_vcpu_init_event(vcpu);
		apic->mp_state = vcpu_is_bsp(vcpu) ? KVM_MP_STATE_RUNNABLE :
						     KVM_MP_STATE_INIT_RECEIVED;
	}
	if (sipi && apic->mp_state == KVM_MP_STATE_INIT_RECEIVED) {
		deliver_sipi(vcpu, vector);
		apic->mp_state = KVM_MP_STATE_RUNNABLE;
	}
	return 1;
}

/**
 * vtx_apic_reset() - the APIC at vCPU reset or INIT.
 * @vcpu:	the vCPU
 * @init_event:	INIT (keep the ID and mode)
 */
void vtx_apic_reset(struct vtx_vcpu *vcpu, bool init_event)
{
	struct vtx_apic *apic = vcpu->apic;
	struct vtx_lapic_config cfg;
	unsigned long flags;

	apic_config(vcpu, &cfg);
	apic_timer_stop(apic);
	spin_lock_irqsave(&apic->lock, flags);
	/* KVM's quirk: the BSP's LINT0 takes the 8259 (ExtINT) from reset. */
	vtx_lapic_reset(&apic->regs, &cfg, init_event, vcpu_is_bsp(vcpu));
	spin_unlock_irqrestore(&apic->lock, flags);
	apic->ext_vector = -1;
}

/* Could the vCPU, halted, go on? (KVM's kvm_vcpu_has_events().) */
bool vtx_apic_runnable(struct vtx_vcpu *vcpu)
{
	struct vtx_apic *apic = vcpu->apic;

	switch (apic->mp_state) {
	case KVM_MP_STATE_RUNNABLE:
		return true;
	case KVM_MP_STATE_HALTED:
		if (vcpu->nmi_pending || vcpu->event.valid ||
		    (vcpu->smi_pending && !vcpu->smm) ||
		    READ_ONCE(apic->pv_unhalted))
			return true;
		return vtx_x86_ops.interrupt_allowed(vcpu) &&
		       vtx_apic_has_interrupt(vcpu) >= 0;
	default:	/* waiting for INIT or SIPI */
		return false;
	}
}

/* HLT with an in-kernel APIC: the vCPU sleeps in the kernel. */
void vtx_apic_halt(struct vtx_vcpu *vcpu)
{
	vcpu->apic->mp_state = KVM_MP_STATE_HALTED;
	vtx_make_request(VTX_REQ_EVENT, vcpu);
}

/**
 * vtx_apic_block() - wait in the kernel until the halted (or not yet
 * started) vCPU can run: an interrupt it takes, an NMI, INIT/SIPI; or a
 * signal.
 * @vcpu:	the vCPU, by its thread, loaded
 *
 * Every event that can make it runnable comes with a request and a kick
 * (vtx_vcpu_kick() wakes vcpu->wait), so it is looked at after
 * prepare_to_rcuwait() and no wake-up is lost.
 *
 * Return: 1 to enter the guest (or look again), -EINTR with
 * KVM_EXIT_INTR for a signal.
 */
int vtx_apic_block(struct vtx_vcpu *vcpu)
{
	if (vtx_apic_runnable(vcpu)) {
		/* out of HLT: a kick is used up (KVM's vcpu_block()) */
		if (vcpu->apic->mp_state == KVM_MP_STATE_HALTED)
			WRITE_ONCE(vcpu->apic->pv_unhalted, false);
		vcpu->apic->mp_state = KVM_MP_STATE_RUNNABLE;
		return 1;
	}
	prepare_to_rcuwait(&vcpu->wait);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (vtx_request_pending(vcpu) || signal_pending(current))
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	finish_rcuwait(&vcpu->wait);
	if (signal_pending(current) && !vtx_request_pending(vcpu)) {
		vcpu->run->exit_reason = KVM_EXIT_INTR;
		return -EINTR;
	}
	return 1;
}

/* ---------------------------------------------------- state ioctls -- */

/*
 * The register page as userspace sees it: without KVM_CAP_X2APIC_API's
 * format an x2APIC ID is shown in the xAPIC ID's place (bits 31:24).
 */
int vtx_apic_get_lapic(struct vtx_vcpu *vcpu, struct kvm_lapic_state *s)
{
	struct vtx_apic *apic = vcpu->apic;
	unsigned long flags;
	u32 count;

	BUILD_BUG_ON(sizeof(s->regs) != VTX_LAPIC_REGS_SIZE);
	spin_lock_irqsave(&apic->lock, flags);
	memcpy(s->regs, apic->regs.regs, sizeof(s->regs));
	count = vtx_lapic_timer_current(&apic->regs, apic_now());
	if (apic->regs.x2apic && !vcpu->vm->x2apic_format)
		memcpy(s->regs + APIC_ID, &(u32){ vcpu->id << XAPIC_ID_SHIFT },
		       sizeof(u32));
	spin_unlock_irqrestore(&apic->lock, flags);
	memcpy(s->regs + APIC_TMCCT, &count, sizeof(count));
	return 0;
}

/*
 * KVM_SET_LAPIC: the page as given, the mode kept from IA32_APIC_BASE, the
 * timer restarted with the count the page's current-count register holds.
 */
int vtx_apic_set_lapic(struct vtx_vcpu *vcpu, const struct kvm_lapic_state *s)
{
	struct vtx_apic *apic = vcpu->apic;
	struct vtx_lapic *a = &apic->regs;
	u32 id, lvr, tmict, tmcct, div;
	u64 now = apic_now();
	unsigned long flags;

	memcpy(&id, s->regs + APIC_ID, sizeof(id));
	if (a->x2apic) {
		if (vcpu->vm->x2apic_format) {
			if (id != vcpu->id)
				return -EINVAL;
		} else {
			id >>= XAPIC_ID_SHIFT;
		}
	}
	apic_timer_stop(apic);
	spin_lock_irqsave(&apic->lock, flags);
	/* The version register is the APIC's, not the page's (as KVM). */
	lvr = vtx_lapic_get_reg(a, APIC_LVR);
	memcpy(a->regs, s->regs, sizeof(a->regs));
	if (a->x2apic) {
		vtx_lapic_set_reg(a, APIC_ID, id);
		vtx_lapic_set_reg(a, APIC_LDR, vtx_lapic_x2apic_ldr(id));
	}
	vtx_lapic_set_reg(a, APIC_LVR, lvr);
	a->esr_pending = 0;
	vtx_lapic_ppr(a);
	tmict = vtx_lapic_get_reg(a, APIC_TMICT);
	tmcct = vtx_lapic_get_reg(a, APIC_TMCCT);
	vtx_lapic_set_reg(a, APIC_TMCCT, 0);
	div = vtx_lapic_timer_divisor(vtx_lapic_get_reg(a, APIC_TDCR));
	a->tsc_deadline = 0;
	a->timer_armed = tmict && vtx_lapic_timer_mode(a) !=
				  VTX_LAPIC_TIMER_TSCDEADLINE;
	if (tmcct > tmict)
		tmcct = tmict;
	a->timer_start = now - (u64)(tmict - tmcct) * div;
	spin_unlock_irqrestore(&apic->lock, flags);
	apic_timer_update(vcpu);
	vtx_make_request(VTX_REQ_EVENT, vcpu);
	return 0;
}

/**
 * vtx_apic_set_vapic_addr() - KVM_SET_VAPIC_ADDR: where QEMU's vapic ROM
 * finds TPR, the highest ISR class and the highest IRR (0: nowhere).
 * @vcpu:	the vCPU with an in-kernel APIC
 * @gpa:	guest-physical address of the 32-bit summary
 *
 * Return: 0, or -EINVAL when the 4 bytes are not in guest RAM (KVM).
 */
int vtx_apic_set_vapic_addr(struct vtx_vcpu *vcpu, u64 gpa)
{
	u32 data;

	if (gpa && (offset_in_page(gpa) > PAGE_SIZE - sizeof(data) ||
		    vtx_read_guest_phys(vcpu->vm, gpa, &data, sizeof(data))))
		return -EINVAL;
	vcpu->apic->vapic_addr = gpa;
	return 0;
}

/*
 * The summary written before the guest runs and TPR read back after, as
 * KVM's kvm_lapic_sync_to/from_vapic(); vtx does it around each stretch
 * of the backend's run, not at each entry.
 */
void vtx_apic_sync_to_vapic(struct vtx_vcpu *vcpu)
{
	struct vtx_apic *apic = vcpu->apic;
	unsigned long flags;
	int irr, isr;
	u32 data;

	spin_lock_irqsave(&apic->lock, flags);
	irr = max(vtx_lapic_highest_irr(&apic->regs), 0);
	isr = max(vtx_lapic_highest_isr(&apic->regs), 0);
	data = (vtx_lapic_get_reg(&apic->regs, APIC_TASKPRI) & VTX_LAPIC_BYTE) |
	       (isr & VTX_LAPIC_PRIO_CLASS) << 8 | irr << 24;
	spin_unlock_irqrestore(&apic->lock, flags);
	vtx_write_guest_phys(vcpu->vm, apic->vapic_addr, &data, sizeof(data));
}

void vtx_apic_sync_from_vapic(struct vtx_vcpu *vcpu)
{
	struct vtx_apic *apic = vcpu->apic;
	unsigned long flags;
	u32 data;

	if (vtx_read_guest_phys(vcpu->vm, apic->vapic_addr, &data,
				sizeof(data)))
		return;
	spin_lock_irqsave(&apic->lock, flags);
	vtx_lapic_set_reg(&apic->regs, APIC_TASKPRI, data & VTX_LAPIC_BYTE);
	vtx_lapic_ppr(&apic->regs);
	spin_unlock_irqrestore(&apic->lock, flags);
}

int vtx_apic_get_mp_state(struct vtx_vcpu *vcpu, struct kvm_mp_state *mp)
{
	vtx_apic_process_events(vcpu);
	mp->mp_state = vcpu->apic->mp_state;
	/* kicked while halted: runnable, as KVM reports it */
	if (mp->mp_state == KVM_MP_STATE_HALTED &&
	    READ_ONCE(vcpu->apic->pv_unhalted))
		mp->mp_state = KVM_MP_STATE_RUNNABLE;
	return 0;
}

/**
 * vtx_apic_latched_init() - an INIT waits (latched in SMM until RSM):
 * KVM_GET_VCPU_EVENTS' smi.latched_init.
 * @vcpu:	the vCPU, with an in-kernel APIC
 *
 * Return: true if an INIT is pending.
 */
bool vtx_apic_latched_init(struct vtx_vcpu *vcpu)
{
	struct vtx_apic *apic = vcpu->apic;
	unsigned long flags;
	bool init;

	spin_lock_irqsave(&apic->lock, flags);
	init = apic->init_pending;
	spin_unlock_irqrestore(&apic->lock, flags);
	return init;
}

/**
 * vtx_apic_set_latched_init() - KVM_SET_VCPU_EVENTS' smi.latched_init.
 * @vcpu:	the vCPU, by its thread, with an in-kernel APIC
 * @latched:	an INIT is pending
 */
void vtx_apic_set_latched_init(struct vtx_vcpu *vcpu, bool latched)
{
	struct vtx_apic *apic = vcpu->apic;
	unsigned long flags;

	spin_lock_irqsave(&apic->lock, flags);
	apic->init_pending = latched;
	spin_unlock_irqrestore(&apic->lock, flags);
	if (latched)
		vtx_make_request(VTX_REQ_EVENT, vcpu);
}

int vtx_apic_set_mp_state(struct vtx_vcpu *vcpu, const struct kvm_mp_state *mp)
{
	struct vtx_apic *apic = vcpu->apic;
	unsigned long flags;

	/* INIT is latched in SMM, and an SMI goes before it (KVM's rule). */
	if ((vcpu->smm || vcpu->smi_pending) &&
	    (mp->mp_state == KVM_MP_STATE_INIT_RECEIVED ||
	     mp->mp_state == KVM_MP_STATE_SIPI_RECEIVED))
		return -EINVAL;
	switch (mp->mp_state) {
	case KVM_MP_STATE_RUNNABLE:
	case KVM_MP_STATE_UNINITIALIZED:
	case KVM_MP_STATE_INIT_RECEIVED:
	case KVM_MP_STATE_HALTED:
		apic->mp_state = mp->mp_state;
		break;
	case KVM_MP_STATE_SIPI_RECEIVED:
		/* As KVM: INIT received, with the SIPI (its vector) pending. */
		apic->mp_state = KVM_MP_STATE_INIT_RECEIVED;
		spin_lock_irqsave(&apic->lock, flags);
		apic->sipi_pending = true;
		apic->sipi_vector = vcpu->sipi_vector;
		spin_unlock_irqrestore(&apic->lock, flags);
		break;
	default:
		return -EINVAL;
	}
	vtx_make_request(VTX_REQ_EVENT, vcpu);
	return 0;
}

/* ----------------------------------------------- lifetime and setup -- */

/**
 * vtx_apic_vcpu_create() - the vCPU's APIC, when its VM has an in-kernel
 * irqchip (made before the first vCPU, as KVM requires).
 * @vcpu:	the new vCPU, its architectural state set (apic_base, id)
 *
 * Return: 0 or -ENOMEM.
 */
int vtx_apic_vcpu_create(struct vtx_vcpu *vcpu)
{
	struct vtx_apic *apic;

	/* pairs with vtx_irqchip_enable_split()'s release */
	if (!vtx_irqchip_in_kernel(smp_load_acquire(&vcpu->vm->irqchip_mode)))
		return 0;
	apic = kmem_cache_zalloc(vtx_apic_cache, GFP_KERNEL_ACCOUNT);
	if (!apic)
		return -ENOMEM;
	spin_lock_init(&apic->lock);
	apic->vcpu = vcpu;
	vtx_hrtimer_setup(&apic->timer, apic_timer_fn, CLOCK_MONOTONIC,
			  HRTIMER_MODE_ABS_HARD);
	vcpu->apic = apic;
	vtx_apic_reset(vcpu, false);
	/* As KVM: the BSP runs, the others wait for INIT and SIPI. */
	apic->mp_state = vcpu_is_bsp(vcpu) ? KVM_MP_STATE_RUNNABLE :
					     KVM_MP_STATE_UNINITIALIZED;
	/* Routes may exist already: the first KVM_RUN looks at them. */
	vtx_make_request(VTX_REQ_SCAN_IOAPIC, vcpu);
	return 0;
}

/* The timer is stopped for good before the APIC goes (VM teardown). */
void vtx_apic_vcpu_free(struct vtx_vcpu *vcpu)
{
	if (!vcpu->apic)
		return;
	hrtimer_cancel(&vcpu->apic->timer);
	kmem_cache_free(vtx_apic_cache, vcpu->apic);
	vcpu->apic = NULL;
}

/* KVM_SET_CPUID2 changed what the APIC offers (TSC deadline, x2APIC). */
void vtx_apic_update_cpuid(struct vtx_vcpu *vcpu)
{
	struct vtx_apic *apic = vcpu->apic;
	struct vtx_lapic_config cfg;
	unsigned long flags;

	if (!apic)
		return;
	apic_config(vcpu, &cfg);
	spin_lock_irqsave(&apic->lock, flags);
	apic->regs.cfg = cfg;
	spin_unlock_irqrestore(&apic->lock, flags);
}

/**
 * vtx_apic_update_mcg_cap() - KVM_X86_SETUP_MCE changed MCG_CAP: with
 * MCG_CMCI_P the APIC has the CMCI LVT (masked when it appears), without
 * it not; LVR's max-LVT field follows (vCPU thread).
 * @vcpu:	the vCPU; nothing to do without an in-kernel APIC
 */
void vtx_apic_update_mcg_cap(struct vtx_vcpu *vcpu)
{
	struct vtx_apic *apic = vcpu->apic;
	struct vtx_lapic_config cfg;
	unsigned long flags;

	if (!apic)
		return;
	apic_config(vcpu, &cfg);
	spin_lock_irqsave(&apic->lock, flags);
	vtx_lapic_set_nr_lvt(&apic->regs, cfg.nr_lvt);
	spin_unlock_irqrestore(&apic->lock, flags);
}

/**
 * vtx_apic_local_deliver() - signal a local interrupt source through its
 * LVT, as KVM's kvm_apic_local_deliver() (vCPU thread).
 * @vcpu:	the vCPU; nothing happens without an in-kernel APIC
 * @lvt:	the LVT register's offset (APIC_LVTCMCI)
 *
 * Nothing is delivered while the APIC is hardware-disabled, the LVT is
 * masked or absent.  Fixed and NMI delivery modes are delivered; the
 * others (SMI, INIT, ExtINT) are dropped: its one caller is the CMCI LVT,
 * and an SMI, INIT or ExtINT from it is not something a guest asks for.
 */
void vtx_apic_local_deliver(struct vtx_vcpu *vcpu, u32 lvt)
{
	struct vtx_apic *apic = vcpu->apic;
	struct vtx_lapic_ipi ipi = {};
	unsigned long flags;
	u32 reg = APIC_LVT_MASKED;

	if (!apic)
		return;
	spin_lock_irqsave(&apic->lock, flags);
	if (apic->regs.hw_enabled && vtx_lapic_lvt_present(&apic->regs, lvt))
		reg = vtx_lapic_get_reg(&apic->regs, lvt);
	spin_unlock_irqrestore(&apic->lock, flags);
	if (reg & APIC_LVT_MASKED)
		return;
	ipi.delivery_mode = reg & APIC_MODE_MASK;
	ipi.vector = reg & APIC_VECTOR_MASK;
	ipi.level = reg & APIC_LVT_LEVEL_TRIGGER;
	if (ipi.delivery_mode != APIC_DM_FIXED &&
	    ipi.delivery_mode != APIC_DM_NMI)
		return;
	apic_deliver(vcpu, &ipi);
}

/**
 * vtx_irqchip_enable_split() - KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP): local
 * APICs in the kernel, the IOAPIC and PIC in userspace.
 * @vm:		the VM
 * @nr_pins:	IOAPIC pins userspace reserves in the GSI space
 *
 * Return: 0; -EINVAL for too many pins, -EEXIST when the VM already has
 * an irqchip or vCPUs (KVM's errnos).
 */
int vtx_irqchip_enable_split(struct vtx_vm *vm, u64 nr_pins)
{
	int r = 0;

	if (nr_pins > VTX_MAX_IOAPIC_PINS)
		return -EINVAL;
	mutex_lock(&vm->slots_lock);
	if (vm->irqchip_mode != VTX_IRQCHIP_NONE || vm->nr_vcpus) {
		r = -EEXIST;
	} else {
		vm->nr_reserved_ioapic_pins = nr_pins;
		/* the pins before the mode, for lockless readers of the mode */
		smp_store_release(&vm->irqchip_mode, VTX_IRQCHIP_SPLIT);
	}
	mutex_unlock(&vm->slots_lock);
	return r;
}

int vtx_apic_init(void)
{
	vtx_apic_cache = KMEM_CACHE(vtx_apic, SLAB_ACCOUNT);
	return vtx_apic_cache ? 0 : -ENOMEM;
}

void vtx_apic_exit(void)
{
	kmem_cache_destroy(vtx_apic_cache);
}
