// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - the x86 part of a vCPU that no backend owns: the KVM_RUN loop
 * around the backend's vcpu_run(), the register ioctls, and the one
 * table through which core/ and x86/ reach the backend (vtx_x86_ops).
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <asm/apicdef.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/trapnr.h>
#include <uapi/linux/vtx.h>
#include "x86/x86.h"

/* The backend's table, copied at load; read-only afterwards. */
struct vtx_x86_ops vtx_x86_ops __ro_after_init;
/* What the backend offers guests, filled by its hardware_setup(). */
struct vtx_x86_caps vtx_x86_caps __ro_after_init;

/**
 * vtx_x86_init() - take the backend's table and probe the processor.
 *
 * Return: 0, or the backend's errno when it cannot run guests here.
 */
int __init vtx_x86_init(void)
{
	int r;

	vtx_x86_ops = vtx_vmx_ops;
	r = vtx_x86_ops.hardware_setup();
	if (r)
		return r;
	r = vtx_apic_init();
	if (r) {
		vtx_x86_ops.hardware_unsetup();
		return r;
	}
	r = vtx_clock_init();
	if (r) {
		vtx_apic_exit();
		vtx_x86_ops.hardware_unsetup();
	}
	return r;
}

void vtx_x86_exit(void)
{
	vtx_clock_exit();
	vtx_apic_exit();
	vtx_x86_ops.hardware_unsetup();
}

/*
 * Write the low @bytes of a register as an instruction of that size
 * would: 32-bit writes zero the upper half, 8/16-bit ones keep it.
 */
void vtx_reg_write_sized(struct vtx_vcpu *vcpu, int reg, u64 val, int bytes)
{
	u64 old = vtx_reg_read(vcpu, reg);

	switch (bytes) {
	case 1:
		val = (old & ~0xffull) | (val & 0xff);
		break;
	case 2:
		val = (old & ~0xffffull) | (val & 0xffff);
		break;
	case 4:
		val = (u32)val;
		break;
	}
	vtx_reg_write(vcpu, reg, val);
}

/**
 * vtx_seg_base() - the base a segment adds to an address, by mode.
 * @vcpu:	the loaded vCPU
 * @seg:	VTX_SREG_*
 *
 * Return: the segment's base; 0 for all but FS and GS in 64-bit code.
 */
u64 vtx_seg_base(struct vtx_vcpu *vcpu, int seg)
{
	if (vtx_in_64bit_code(vcpu) && seg != VTX_SREG_FS && seg != VTX_SREG_GS)
		return 0;
	return vtx_x86_ops.get_segment_base(vcpu, seg);
}

/* KVM's reset value of RDX when no CPUID was set: family 6. */
#define RESET_RDX		0x600

/**
 * vtx_arch_vcpu_init() - the architectural reset state of a new vCPU,
 * before the backend sets up its own part.
 * @vcpu:	the new vCPU
 */
void vtx_arch_vcpu_init(struct vtx_vcpu *vcpu)
{
	/* XGETBV is #UD unless the kernel set CR4.OSXSAVE. */
	if (boot_cpu_has(X86_FEATURE_OSXSAVE))
		vcpu->host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	vcpu->xcr0 = XFEATURE_MASK_FP;
	vcpu->has_tsc_aux = vtx_x86_caps.rdtscp;
	vcpu->regs[VTX_RDX] = RESET_RDX;
	vcpu->smbase = VTX_SMBASE_RESET;
	/* no CPUID table yet: MAXPHYADDR 36, as KVM's */
	vtx_cpuid_update_maxphyaddr(vcpu);
	vtx_msr_vcpu_init(vcpu);
	/* the VM's MSR filter, if it has one already (msr_filter.c) */
	vtx_make_request(VTX_REQ_MSR_FILTER_CHANGED, vcpu);
	/*
	 * KVM's reset APIC base: enabled, BSP for vCPU 0 or the id of
	 * KVM_SET_BOOT_CPU_ID (fixed once a vCPU was counted, vm.c).
	 */
	vcpu->apic_base = APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE |
			  (vcpu->id == vcpu->vm->bsp_vcpu_id ?
			   MSR_IA32_APICBASE_BSP : 0);
}

/* Tell the events group about exits that mean trouble. */
static void announce_exit(struct vtx_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	switch (run->exit_reason) {
	case KVM_EXIT_SHUTDOWN:
		vtx_nl_event(vcpu->vm, VTX_EVENT_VCPU_SHUTDOWN, vcpu->id, 0);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		vtx_nl_event(vcpu->vm, VTX_EVENT_VCPU_FAIL_ENTRY, vcpu->id,
			     run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		vtx_nl_event(vcpu->vm, VTX_EVENT_VCPU_INTERNAL_ERROR, vcpu->id,
			     run->internal.suberror);
		break;
	}
}

/*
 * The requests made since the last entry (core/vtx.h, enum vtx_request).
 * Return: 1 to enter the guest, 0 with kvm_run filled, or an errno.
 */
static int handle_requests(struct vtx_vcpu *vcpu)
{
	int r;

	if (vtx_check_request(VTX_REQ_TLB_FLUSH, vcpu))
		vtx_x86_ops.flush_tlb(vcpu);
	/* KVM_X86_SET_MSR_FILTER: the MSR bitmap before the next entry */
	if (vtx_check_request(VTX_REQ_MSR_FILTER_CHANGED, vcpu)) {
		r = vtx_msr_filter_changed(vcpu);
		if (r)
			return r;
	}
	/* A machine check it could not take (KVM_X86_SET_MCE). */
	if (vtx_check_request(VTX_REQ_TRIPLE_FAULT, vcpu)) {
		vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
		return 0;
	}
	if (vtx_check_request(VTX_REQ_VM_DEAD, vcpu))
		return -EIO;
	/* KVM_CAP_X86_ROBUST_SINGLESTEP: the step over what vtx completed */
	if (vtx_check_request(VTX_REQ_DEBUG_STEP, vcpu) &&
	    !vtx_debug_step_exit(vcpu))
		return 0;
	if (vtx_check_request(VTX_REQ_NMI, vcpu))
		vtx_queue_nmi(vcpu);
	/* delivered before the next entry that can take it (smm.c) */
	if (vtx_check_request(VTX_REQ_SMI, vcpu))
		vcpu->smi_pending = true;
	/* kvmclock and steal time in guest memory (pv.c) */
	if (vtx_check_request(VTX_REQ_CLOCK_UPDATE, vcpu))
		vtx_pv_clock_update(vcpu);
	if (vtx_check_request(VTX_REQ_STEAL_UPDATE, vcpu))
		vtx_pv_steal_update(vcpu);
	if (vtx_check_request(VTX_REQ_SCAN_IOAPIC, vcpu) && vcpu->apic)
		vtx_apic_scan_ioapic(vcpu);
	if (vtx_check_request(VTX_REQ_EVENT, vcpu) && vcpu->apic)
		vtx_apic_process_events(vcpu);
	/* Split irqchip: userspace's IOAPIC sees the EOI of a level IRQ. */
	if (vtx_check_request(VTX_REQ_REPORT_TPR_ACCESS, vcpu)) {
		vcpu->run->exit_reason = KVM_EXIT_TPR_ACCESS;
		return 0;
	}
	if (vtx_check_request(VTX_REQ_IOAPIC_EOI_EXIT, vcpu)) {
		vcpu->run->exit_reason = KVM_EXIT_IOAPIC_EOI;
		vcpu->run->eoi.vector = vcpu->apic->eoi_exit_vector;
		return 0;
	}
	return 1;
}

/*
 * Room for userspace's interrupt (KVM's kvm_cpu_accept_dm_intr()): with an
 * in-kernel APIC, only when its LINT0 takes ExtINT and no ExtINT waits yet.
 */
static bool accept_dm_intr(struct vtx_vcpu *vcpu)
{
	if (!vcpu->apic)
		return true;
	return vcpu->apic->ext_vector < 0 && vtx_apic_accepts_extint(vcpu);
}

/**
 * vtx_wants_irq_window() - userspace's interrupt controller waits for an
 * interrupt window that can open: requested, the 8259 not in the kernel,
 * and room for the interrupt (KVM's dm_request_for_irq_injection() and
 * kvm_cpu_accept_dm_intr()).  With LINT0 masked the guest runs on.
 * @vcpu:	the loaded vCPU
 */
bool vtx_wants_irq_window(struct vtx_vcpu *vcpu)
{
	return READ_ONCE(vcpu->run->request_interrupt_window) &&
	       READ_ONCE(vcpu->vm->irqchip_mode) != VTX_IRQCHIP_KERNEL &&
	       accept_dm_intr(vcpu);
}

/**
 * vtx_ready_for_injection() - kvm_run's ready_for_interrupt_injection:
 * userspace may inject an interrupt (KVM_INTERRUPT) now.  With an
 * in-kernel APIC, only when LINT0 takes ExtINT and the APIC has nothing
 * of its own to deliver first.
 * @vcpu:	the loaded vCPU
 */
bool vtx_ready_for_injection(struct vtx_vcpu *vcpu)
{
	if (!vtx_x86_ops.ready_for_interrupt(vcpu) || !accept_dm_intr(vcpu))
		return false;
	return !vcpu->apic || vtx_apic_has_interrupt(vcpu) < 0;
}

/* The hypercall instructions: Intel's VMCALL and AMD's VMMCALL. */
static const u8 vmcall_insn[] = { 0x0f, 0x01, 0xc1 };
static const u8 vmmcall_insn[] = { 0x0f, 0x01, 0xd9 };

/**
 * vtx_handle_ud() - the guest raised #UD (intercepted for this): RSM in
 * SMM leaves SMM (smm.c); with
 * KVM_X86_QUIRK_FIX_HYPERCALL_INSN on (the default), a VMMCALL in
 * protected mode is rewritten in guest memory to VMCALL, which the guest
 * then executes, as KVM's emulator does; anything else gets its #UD.
 * @vcpu:	the loaded vCPU
 *
 * The write goes through the guest's page tables as the guest's own write
 * would (a #PF for a read-only page).
 *
 * Return: 1 to enter the guest, 0 with kvm_run filled (RSM).
 */
int vtx_handle_ud(struct vtx_vcpu *vcpu)
{
	u8 insn[sizeof(vmmcall_insn)];
	u64 rip;
	int r;

	/* RSM: #UD to the guest outside SMM, as on KVM */
	if (vcpu->smm) {
		r = vtx_smm_rsm(vcpu);
		if (r != -ENOENT)
			return r;
	}
	if (vtx_has_quirk(vcpu->vm, KVM_X86_QUIRK_FIX_HYPERCALL_INSN) &&
	    (vtx_x86_ops.get_cr0(vcpu) & X86_CR0_PE) &&
	    !(vtx_rflags(vcpu) & X86_EFLAGS_VM)) {
		rip = vtx_seg_base(vcpu, VTX_SREG_CS) + vtx_rip(vcpu);
		if (!vtx_in_64bit_code(vcpu))
			rip = (u32)rip;
		if (!vtx_guest_virt_copy_quiet(vcpu, rip, insn, sizeof(insn)) &&
		    !memcmp(insn, vmmcall_insn, sizeof(insn))) {
			memcpy(insn, vmcall_insn, sizeof(insn));
			r = vtx_guest_virt_copy(vcpu, rip, insn, sizeof(insn),
						true);
			/* done, or a #PF queued: the guest runs on */
			if (!r || r == -EAGAIN)
				return 1;
		}
	}
	vtx_queue_exception(vcpu, X86_TRAP_UD, false, 0);
	return 1;
}

/**
 * vtx_monitor_mwait() - a MONITOR or MWAIT exit: a no-op as on KVM, or #UD
 * with KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS off and no MONITOR/MWAIT in the
 * guest's CPUID.
 * @vcpu:	the loaded vCPU
 * @insn_len:	the instruction's length
 *
 * Return: 1 to enter the guest.
 */
int vtx_monitor_mwait(struct vtx_vcpu *vcpu, u32 insn_len)
{
	if (!vtx_has_quirk(vcpu->vm, KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS) &&
	    !vtx_guest_cpuid_has(vcpu, X86_FEATURE_MWAIT))
		vtx_queue_exception(vcpu, X86_TRAP_UD, false, 0);
	else
		vtx_skip_instruction(vcpu, insn_len);
	return 1;
}

static void get_regs(struct vtx_vcpu *vcpu, struct kvm_regs *regs);
static void set_regs(struct vtx_vcpu *vcpu, const struct kvm_regs *regs);
static void get_sregs(struct vtx_vcpu *vcpu, struct kvm_sregs *sregs);
static int set_sregs(struct vtx_vcpu *vcpu, const struct kvm_sregs *sregs);

/*
 * KVM_CAP_SYNC_REGS: the register sets of kvm_run->kvm_dirty_regs are
 * taken from kvm_run->s.regs before the run, as KVM_SET_REGS, _SREGS and
 * _VCPU_EVENTS would take them (each copied out of the shared page
 * first), and their bits cleared as each is done.
 * Return: 0, or -EINVAL when a set is refused.
 */
static int sync_regs_in(struct vtx_vcpu *vcpu, u64 dirty)
{
	struct kvm_run *run = vcpu->run;
	union {
		struct kvm_regs regs;
		struct kvm_sregs sregs;
		struct kvm_vcpu_events events;
	} u;

	if (dirty & KVM_SYNC_X86_REGS) {
		memcpy(&u.regs, &run->s.regs.regs, sizeof(u.regs));
		set_regs(vcpu, &u.regs);
		run->kvm_dirty_regs &= ~KVM_SYNC_X86_REGS;
	}
	if (dirty & KVM_SYNC_X86_SREGS) {
		memcpy(&u.sregs, &run->s.regs.sregs, sizeof(u.sregs));
		if (set_sregs(vcpu, &u.sregs))
			return -EINVAL;
		run->kvm_dirty_regs &= ~KVM_SYNC_X86_SREGS;
	}
	if (dirty & KVM_SYNC_X86_EVENTS) {
		memcpy(&u.events, &run->s.regs.events, sizeof(u.events));
		if (vtx_set_vcpu_events(vcpu, &u.events))
			return -EINVAL;
		run->kvm_dirty_regs &= ~KVM_SYNC_X86_EVENTS;
	}
	return 0;
}

/* ... and the sets of kvm_run->kvm_valid_regs are stored there after it. */
static void sync_regs_out(struct vtx_vcpu *vcpu, u64 valid)
{
	struct kvm_run *run = vcpu->run;

	if (valid & KVM_SYNC_X86_REGS)
		get_regs(vcpu, &run->s.regs.regs);
	if (valid & KVM_SYNC_X86_SREGS)
		get_sregs(vcpu, &run->s.regs.sregs);
	if (valid & KVM_SYNC_X86_EVENTS)
		vtx_get_vcpu_events(vcpu, &run->s.regs.events);
}

/**
 * vtx_arch_vcpu_run() - KVM_RUN: finish what the last exit left (port
 * I/O, MMIO), then enter the guest through the backend until an exit
 * needs userspace.
 * @vcpu:	the loaded vCPU, vcpu->mutex held
 *
 * Return: 0 with kvm_run filled, or a negative errno (-EINTR for a
 * signal or immediate_exit).
 */
int vtx_arch_vcpu_run(struct vtx_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	u64 dirty;
	int r;

	run->flags = 0;
	/* KVM_CAP_SYNC_REGS; userspace may change the page at any time */
	dirty = READ_ONCE(run->kvm_dirty_regs);
	if ((READ_ONCE(run->kvm_valid_regs) | dirty) &
	    ~(u64)VTX_SYNC_REGS_VALID) {
		r = -EINVAL;
		goto out;
	}
	if (dirty) {
		r = sync_regs_in(vcpu, dirty);
		if (r)
			goto out;
	}
	/*
	 * No in-kernel local APIC: userspace's owns the TPR (as on KVM);
	 * with one, kvm_run's cr8 is ignored on entry.
	 */
	if (!vcpu->apic) {
		if (run->cr8 & ~X86_CR8_TPR) {
			r = -EINVAL;
			goto out;
		}
		vcpu->cr8 = run->cr8;
	}
	if (vcpu->complete_userspace_io) {
		int (*complete)(struct vtx_vcpu *vcpu) =
			vcpu->complete_userspace_io;

		/* The step may set the next one (a further exit). */
		vcpu->complete_userspace_io = NULL;
		r = complete(vcpu);
		if (r <= 0)
			goto out;
	}
	vtx_prof(vcpu, COMPLETED);
	if (vtx_run_immediate_exit(run)) {
		r = -EINTR;
		goto out;
	}

	vcpu->host_debugctl = get_debugctlmsr();
	vtx_pv_set_thread(vcpu);
	vtx_pv_vcpu_load(vcpu);
	/* KVM_SET_SIGNAL_MASK: the signals blocked while in KVM_RUN. */
	vtx_sigset_activate(vcpu);
	fpu_swap_kvm_fpstate(&vcpu->guest_fpu, true);
	vtx_prof(vcpu, FPU_IN);
	for (;;) {
		/* The backend looks for signals again with IRQs off. */
		cond_resched();
		if (unlikely(vtx_request_pending(vcpu))) {
			r = handle_requests(vcpu);
			if (r <= 0)
				break;
		}
		/* Halted, or waiting for INIT/SIPI: sleep in the kernel. */
		if (unlikely(vcpu->apic) &&
		    vcpu->apic->mp_state != KVM_MP_STATE_RUNNABLE) {
			r = vtx_apic_block(vcpu);
			if (r <= 0)
				break;
			continue;
		}
		/*
		 * Single stepping over STI or MOV SS: no interrupt shadow, or
		 * VM entry would want a pending single-step trap (KVM does
		 * the same).
		 */
		if (unlikely(vcpu->guest_debug & KVM_GUESTDBG_SINGLESTEP))
			vtx_x86_ops.set_interrupt_shadow(vcpu, 0);
		if (unlikely(vcpu->smi_pending))
			vtx_smm_check(vcpu);
		if (unlikely(vcpu->apic) && vcpu->apic->vapic_addr) {
			vtx_apic_sync_to_vapic(vcpu);
			r = vtx_x86_ops.vcpu_run(vcpu);
			vtx_apic_sync_from_vapic(vcpu);
		} else {
			r = vtx_x86_ops.vcpu_run(vcpu);
		}
		if (r <= 0)
			break;
		/* Userspace asked to inject an interrupt: the window is open. */
		if (vtx_wants_irq_window(vcpu) &&
		    vtx_ready_for_injection(vcpu)) {
			run->exit_reason = KVM_EXIT_IRQ_WINDOW_OPEN;
			r = 0;
			break;
		}
	}
	fpu_swap_kvm_fpstate(&vcpu->guest_fpu, false);
	vtx_prof(vcpu, FPU_OUT);
	vtx_sigset_deactivate(vcpu);
	/* Time in userspace is not exit-handling latency. */
	vcpu->exit_tsc = 0;
	if (!r) {
		vcpu->stats.user_exits++;
		announce_exit(vcpu);
	}

out:
	if (READ_ONCE(run->kvm_valid_regs))
		sync_regs_out(vcpu, READ_ONCE(run->kvm_valid_regs));
	/*
	 * On every return, as KVM: QEMU's userspace local APIC takes
	 * apic_base and cr8 back after each KVM_RUN, even one that returned
	 * early (a zero apic_base would disable its APIC for good).
	 */
	run->if_flag = !!(vtx_rflags(vcpu) & X86_EFLAGS_IF);
	run->cr8 = vcpu->apic ? vtx_apic_get_cr8(vcpu) : vcpu->cr8;
	run->apic_base = vcpu->apic_base;
	run->ready_for_interrupt_injection = vtx_ready_for_injection(vcpu);
	if (vcpu->smm)
		run->flags |= KVM_RUN_X86_SMM;
	return r;
}

/*
 * struct kvm_regs starts with the 16 GPRs as u64s, in this order (given as
 * enum vtx_reg); get_regs() and set_regs() index it as an array.
 */
static const u8 kvm_regs_order[VTX_NR_GPRS] = {
	VTX_RAX, VTX_RBX, VTX_RCX, VTX_RDX, VTX_RSI, VTX_RDI, VTX_RSP, VTX_RBP,
	VTX_R8, VTX_R9, VTX_R10, VTX_R11, VTX_R12, VTX_R13, VTX_R14, VTX_R15,
};

static_assert(offsetof(struct kvm_regs, rax) == 0 &&
	      offsetof(struct kvm_regs, r15) ==
	      (VTX_NR_GPRS - 1) * sizeof(u64));

static void get_regs(struct vtx_vcpu *vcpu, struct kvm_regs *regs)
{
	int i;

	for (i = 0; i < VTX_NR_GPRS; i++)
		((u64 *)regs)[i] = vcpu->regs[kvm_regs_order[i]];
	regs->rsp = vtx_rsp(vcpu);
	regs->rip = vtx_rip(vcpu);
	/* without the TF of single stepping (debug.c) */
	regs->rflags = vtx_get_user_rflags(vcpu);
}

static void set_regs(struct vtx_vcpu *vcpu, const struct kvm_regs *regs)
{
	int i;

	for (i = 0; i < VTX_NR_GPRS; i++)
		vcpu->regs[kvm_regs_order[i]] = ((const u64 *)regs)[i];
	vtx_set_rsp(vcpu, regs->rsp);
	vtx_set_rip(vcpu, regs->rip);
	/* Bit 1 of RFLAGS always reads as 1, as KVM forces it. */
	vtx_set_user_rflags(vcpu, regs->rflags | X86_EFLAGS_FIXED);
	/* Registers set by userspace cancel an exception vtx queued. */
	vcpu->event.valid = false;
}

static void get_sregs(struct vtx_vcpu *vcpu, struct kvm_sregs *sregs)
{
	const struct vtx_x86_ops *ops = &vtx_x86_ops;

	memset(sregs, 0, sizeof(*sregs));
	ops->get_segment(vcpu, &sregs->es, VTX_SREG_ES);
	ops->get_segment(vcpu, &sregs->cs, VTX_SREG_CS);
	ops->get_segment(vcpu, &sregs->ss, VTX_SREG_SS);
	ops->get_segment(vcpu, &sregs->ds, VTX_SREG_DS);
	ops->get_segment(vcpu, &sregs->fs, VTX_SREG_FS);
	ops->get_segment(vcpu, &sregs->gs, VTX_SREG_GS);
	ops->get_segment(vcpu, &sregs->ldt, VTX_SREG_LDTR);
	ops->get_segment(vcpu, &sregs->tr, VTX_SREG_TR);
	ops->get_dt(vcpu, &sregs->gdt, false);
	ops->get_dt(vcpu, &sregs->idt, true);
	sregs->cr0 = ops->get_cr0(vcpu);
	sregs->cr2 = vcpu->cr2;
	sregs->cr3 = ops->get_cr3(vcpu);
	sregs->cr4 = ops->get_cr4(vcpu);
	sregs->cr8 = vcpu->apic ? vtx_apic_get_cr8(vcpu) : vcpu->cr8;
	sregs->efer = vcpu->efer;
	sregs->apic_base = vcpu->apic_base;
}

/* KVM's consistency rules for KVM_SET_SREGS. */
static bool sregs_valid(struct vtx_vcpu *vcpu, const struct kvm_sregs *s)
{
	if ((s->efer & EFER_LME) && (s->cr0 & X86_CR0_PG)) {
		if (!(s->cr4 & X86_CR4_PAE) || !(s->efer & EFER_LMA))
			return false;
		/* KVM: the vCPU's MAXPHYADDR (vtx also the host's, for EPT) */
		if (s->cr3 & vtx_rsvd_gpa_bits_hw(vcpu))
			return false;
	} else if ((s->efer & EFER_LMA) || s->cs.l) {
		return false;
	}
	if (s->cr0 >> 32)
		return false;
	if ((s->cr0 & X86_CR0_NW) && !(s->cr0 & X86_CR0_CD))
		return false;
	if ((s->cr0 & X86_CR0_PG) && !(s->cr0 & X86_CR0_PE))
		return false;
	if (s->efer & ~(u64)(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX))
		return false;
	/* IA32_APIC_BASE's reserved bits, with or without an in-kernel APIC */
	if (s->apic_base & vtx_apic_base_reserved(vcpu))
		return false;
	return vtx_x86_ops.cr4_valid(vcpu, s->cr4);
}

static int set_sregs(struct vtx_vcpu *vcpu, const struct kvm_sregs *sregs)
{
	const struct vtx_x86_ops *ops = &vtx_x86_ops;

	if (!sregs_valid(vcpu, sregs))
		return -EINVAL;

	ops->set_segment(vcpu, &sregs->es, VTX_SREG_ES);
	ops->set_segment(vcpu, &sregs->cs, VTX_SREG_CS);
	ops->set_segment(vcpu, &sregs->ss, VTX_SREG_SS);
	ops->set_segment(vcpu, &sregs->ds, VTX_SREG_DS);
	ops->set_segment(vcpu, &sregs->fs, VTX_SREG_FS);
	ops->set_segment(vcpu, &sregs->gs, VTX_SREG_GS);
	ops->set_segment(vcpu, &sregs->ldt, VTX_SREG_LDTR);
	ops->set_segment(vcpu, &sregs->tr, VTX_SREG_TR);
	ops->set_dt(vcpu, &sregs->gdt, false);
	ops->set_dt(vcpu, &sregs->idt, true);
	vcpu->cr2 = sregs->cr2;
	ops->set_cr3(vcpu, sregs->cr3);
	if (vcpu->apic) {
		/* As KVM: an invalid base is refused by the MSR's rules. */
		if (vtx_apic_set_base(vcpu, sregs->apic_base, true))
			return -EINVAL;
		vtx_apic_set_cr8(vcpu, sregs->cr8);
	} else {
		vcpu->cr8 = sregs->cr8;
		vcpu->apic_base = sregs->apic_base;
	}
	ops->set_efer(vcpu, sregs->efer);
	ops->set_cr4(vcpu, sregs->cr4);
	ops->set_cr0(vcpu, sregs->cr0);
	/* PAE paging outside long mode: the PDPTEs come from guest memory. */
	if ((sregs->cr0 & X86_CR0_PG) && (sregs->cr4 & X86_CR4_PAE) &&
	    !(sregs->efer & EFER_LMA))
		ops->load_pdptrs(vcpu);
	vtx_make_request(VTX_REQ_TLB_FLUSH, vcpu);
	vcpu->event.valid = false;
	return 0;
}

/* The real-mode state of INIT (and of reset, for what INIT changes). */
#define INIT_CS_SELECTOR	0xf000
#define INIT_CS_BASE		0xffff0000ul
#define INIT_RIP		0xfff0
#define INIT_SEG_LIMIT		0xffff
#define INIT_TYPE_DATA_RW_A	3	/* read/write data, accessed */
#define INIT_TYPE_CODE_RX_A	11	/* execute/read code, accessed */
#define INIT_TYPE_LDT		2
#define INIT_TYPE_TSS_BUSY	11
#define INIT_DR6		0xffff0ff0ul
#define INIT_DR7		0x400ul

/**
 * vtx_vcpu_init_event() - an INIT signal: the processor's INIT state, as
 * KVM's kvm_vcpu_reset(init_event) sets it (SDM vol. 3, 9.1.1): real mode
 * at F000:FFF0, CR0.CD/NW kept, MSRs other than EFER kept, events dropped.
 * @vcpu:	the loaded vCPU, by its thread
 */
void vtx_vcpu_init_event(struct vtx_vcpu *vcpu)
{
	struct kvm_sregs s = {};
	struct kvm_segment data = {
		.limit = INIT_SEG_LIMIT, .type = INIT_TYPE_DATA_RW_A,
		.present = 1, .s = 1,
	};
	int i;

	for (i = 0; i < VTX_NR_GPRS; i++)
		vcpu->regs[i] = 0;
	vcpu->regs[VTX_RDX] = RESET_RDX;
	s.es = data;
	s.ss = data;
	s.ds = data;
	s.fs = data;
	s.gs = data;
	s.cs = data;
	s.cs.selector = INIT_CS_SELECTOR;
	s.cs.base = INIT_CS_BASE;
	s.cs.type = INIT_TYPE_CODE_RX_A;
	s.ldt = (struct kvm_segment){ .limit = INIT_SEG_LIMIT,
				      .type = INIT_TYPE_LDT, .present = 1 };
	s.tr = (struct kvm_segment){ .limit = INIT_SEG_LIMIT,
				     .type = INIT_TYPE_TSS_BUSY, .present = 1 };
	s.gdt.limit = INIT_SEG_LIMIT;
	s.idt.limit = INIT_SEG_LIMIT;
	s.cr0 = X86_CR0_ET |
		(vtx_x86_ops.get_cr0(vcpu) & (X86_CR0_CD | X86_CR0_NW));
	s.cr8 = 0;
	s.apic_base = vcpu->apic_base;
	set_sregs(vcpu, &s);
	vtx_set_rsp(vcpu, 0);
	vtx_set_rip(vcpu, INIT_RIP);
	vtx_set_rflags(vcpu, X86_EFLAGS_FIXED);
	vtx_x86_ops.set_interrupt_shadow(vcpu, 0);
	vtx_x86_ops.set_nmi_mask(vcpu, false);
	vtx_x86_ops.set_dr7(vcpu, INIT_DR7);
	vcpu->dr6 = INIT_DR6;
	vcpu->nmi_pending = 0;
	vcpu->irq_pending = false;
	vcpu->event.valid = false;
	/* as KVM's reset: no SMI waits (INIT is latched in SMM, smm.c) */
	vcpu->smi_pending = false;
	if (vcpu->smm)
		vtx_smm_changed(vcpu, false);
	if (vcpu->apic)
		vtx_apic_reset(vcpu, true);
}

/**
 * tsc_ctrl_attr() - KVM_HAS/GET/SET_DEVICE_ATTR on the vCPU fd: group
 * KVM_VCPU_TSC_CTRL, attribute KVM_VCPU_TSC_OFFSET, the guest's TSC offset
 * from the host's TSC (a u64 at attr.addr), as KVM 6.1.  Setting it does
 * not move IA32_TSC_ADJUST (userspace's write, not the guest's).
 * @vcpu:	the loaded vCPU
 * @ioctl:	KVM_HAS_DEVICE_ATTR, KVM_GET_DEVICE_ATTR or KVM_SET_DEVICE_ATTR
 * @argp:	struct kvm_device_attr
 *
 * Return: 0; -ENXIO for another group or attribute; -EFAULT.
 */
static long tsc_ctrl_attr(struct vtx_vcpu *vcpu, unsigned int ioctl,
			  struct kvm_device_attr __user *argp)
{
	struct kvm_device_attr attr;
	u64 __user *uaddr;
	u64 offset;

	if (copy_from_user(&attr, argp, sizeof(attr)))
		return -EFAULT;
	if (attr.group != KVM_VCPU_TSC_CTRL || attr.attr != KVM_VCPU_TSC_OFFSET)
		return -ENXIO;
	if (ioctl == KVM_HAS_DEVICE_ATTR)
		return 0;
	uaddr = u64_to_user_ptr(attr.addr);
	if ((u64)(unsigned long)uaddr != attr.addr)
		return -EFAULT;
	if (ioctl == KVM_GET_DEVICE_ATTR)
		return put_user(vtx_x86_ops.get_tsc_offset(vcpu), uaddr);
	if (get_user(offset, uaddr))
		return -EFAULT;
	vtx_x86_ops.write_tsc_offset(vcpu, offset);
	return 0;
}

/**
 * vtx_arch_vcpu_ioctl() - the vCPU ioctls of x86: the registers,
 * the machine-check ioctls and the state ioctls of state.c.
 * @vcpu:	the vCPU, loaded, vcpu->mutex held
 * @ioctl:	the ioctl number
 * @argp:	its argument
 *
 * Return: the ioctl's result, or -ENOIOCTLCMD when it is not one of these.
 */
long vtx_arch_vcpu_ioctl(struct vtx_vcpu *vcpu, unsigned int ioctl,
			 void __user *argp)
{
	long r;

	r = vtx_vcpu_state_ioctl(vcpu, ioctl, argp);
	if (r != -ENOIOCTLCMD)
		return r;

	switch (ioctl) {
	case KVM_ENABLE_CAP:
		return vtx_pv_enable_cap(vcpu, argp);
	case KVM_X86_SETUP_MCE:
		return vtx_ioctl_setup_mce(vcpu, argp);
	case KVM_TPR_ACCESS_REPORTING: {
		struct kvm_tpr_access_ctl tac;

		if (copy_from_user(&tac, argp, sizeof(tac)))
			return -EFAULT;
		if (tac.flags)
			return -EINVAL;
		vcpu->tpr_access_reporting = tac.enabled;
		return copy_to_user(argp, &tac, sizeof(tac)) ? -EFAULT : 0;
	}
	case KVM_SET_VAPIC_ADDR: {
		struct kvm_vapic_addr va;

		if (!vcpu->apic)
			return -EINVAL;
		if (copy_from_user(&va, argp, sizeof(va)))
			return -EFAULT;
		return vtx_apic_set_vapic_addr(vcpu, va.vapic_addr);
	}
	case KVM_X86_SET_MCE:
		return vtx_ioctl_set_mce(vcpu, argp);
	case KVM_SET_GUEST_DEBUG:
		return vtx_ioctl_set_guest_debug(vcpu, argp);
	case KVM_HAS_DEVICE_ATTR:
	case KVM_GET_DEVICE_ATTR:
	case KVM_SET_DEVICE_ATTR:
		return tsc_ctrl_attr(vcpu, ioctl, argp);
	case KVM_GET_REGS: {
		struct kvm_regs regs;

		get_regs(vcpu, &regs);
		return copy_to_user(argp, &regs, sizeof(regs)) ? -EFAULT : 0;
	}
	case KVM_SET_REGS: {
		struct kvm_regs regs;

		if (copy_from_user(&regs, argp, sizeof(regs)))
			return -EFAULT;
		set_regs(vcpu, &regs);
		return 0;
	}
	case KVM_GET_SREGS: {
		struct kvm_sregs sregs;

		get_sregs(vcpu, &sregs);
		return copy_to_user(argp, &sregs, sizeof(sregs)) ? -EFAULT : 0;
	}
	case KVM_SET_SREGS: {
		struct kvm_sregs sregs;

		if (copy_from_user(&sregs, argp, sizeof(sregs)))
			return -EFAULT;
		return set_sregs(vcpu, &sregs);
	}
	default:
		return -ENOIOCTLCMD;
	}
}
