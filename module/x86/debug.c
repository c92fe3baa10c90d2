// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - guest debugging by userspace (KVM_SET_GUEST_DEBUG): single
 * stepping, software breakpoints, KVM_EXIT_DEBUG, and the single step
 * over instructions vtx completes in the kernel
 * (KVM_CAP_X86_ROBUST_SINGLESTEP).
 *
 * As KVM does it: single stepping sets RFLAGS.TF in the guest, hidden
 * from KVM_GET_REGS while it is on, and the #DB the processor raises
 * after each instruction (always intercepted, vmx/vmcs.c) exits to
 * userspace instead of going to the guest; software breakpoints
 * intercept #BP.  An instruction vtx completes itself (an exit handled
 * in the kernel, an emulated MMIO instruction, a port write completed at
 * the next KVM_RUN) never reaches the processor's trap, so its completion
 * asks for the exit (VTX_REQ_DEBUG_STEP) before the next entry.
 *
 * Hardware breakpoints of the debugger (KVM_GUESTDBG_USE_HW_BP), as KVM's
 * eff_db: the debugger's DR0-DR3 and DR7 are in effect while the guest
 * runs (vmx_set_dr7(), the entry loads them), every #DB exits to
 * userspace, and the guest keeps its own debug registers, which it reads
 * and writes as before (MOV DR is always intercepted).  A DR7 with GD set
 * makes the guest's next MOV DR a KVM_EXIT_DEBUG with DR6.BD.
 * KVM_GUESTDBG_BLOCKIRQ keeps NMIs and the in-kernel interrupt
 * controllers' interrupts out while it is set (vtx_inject_pending_event()).
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/uaccess.h>
#include <asm/debugreg.h>
#include <asm/trapnr.h>
#include "x86/x86.h"

/* DR7 bits that do not exist: VM entry refuses a DR7 with any of them */
#define VTX_DR7_RESERVED	GENMASK_ULL(63, 32)
/* DR6 with no debug condition: the bits that read as 1 */
#define VTX_DR6_NO_EVENT	((unsigned long)DR6_RESERVED)
/* INT3's length, for an injected #BP with no #BP exit before */
#define VTX_INT3_LEN		1

/* KVM's kvm_get_linear_rip(): CS.base + RIP, in 32 bits outside long mode */
static u64 linear_rip(struct vtx_vcpu *vcpu)
{
	if (vtx_in_64bit_code(vcpu))
		return vtx_rip(vcpu);
	return (u32)(vtx_seg_base(vcpu, VTX_SREG_CS) + vtx_rip(vcpu));
}

/**
 * vtx_get_user_rflags() - RFLAGS as userspace sees it (KVM_GET_REGS).
 * @vcpu:	the loaded vCPU
 *
 * Return: the guest's RFLAGS, without TF while the debugger single-steps
 * (KVM's kvm_get_rflags()).
 */
unsigned long vtx_get_user_rflags(struct vtx_vcpu *vcpu)
{
	unsigned long rflags = vtx_rflags(vcpu);

	if (vcpu->guest_debug & KVM_GUESTDBG_SINGLESTEP)
		rflags &= ~X86_EFLAGS_TF;
	return rflags;
}

/**
 * vtx_set_user_rflags() - RFLAGS from userspace (KVM_SET_REGS).
 * @vcpu:	the loaded vCPU
 * @rflags:	the value
 *
 * While the debugger single-steps, TF is added back as long as the guest
 * is still at the instruction it stepped from (KVM's __kvm_set_rflags()).
 */
void vtx_set_user_rflags(struct vtx_vcpu *vcpu, unsigned long rflags)
{
	if ((vcpu->guest_debug & KVM_GUESTDBG_SINGLESTEP) &&
	    linear_rip(vcpu) == vcpu->singlestep_rip)
		rflags |= X86_EFLAGS_TF;
	vtx_set_rflags(vcpu, rflags);
}

/**
 * vtx_ioctl_set_guest_debug() - KVM_SET_GUEST_DEBUG.
 * @vcpu:	the loaded vCPU, vcpu->mutex held
 * @argp:	struct kvm_guest_debug
 *
 * Return: 0; -EFAULT; -EBUSY to inject while an event waits;
 * -EINVAL for KVM_GUESTDBG_USE_HW_BP with a DR7 above 32 bits.
 */
long vtx_ioctl_set_guest_debug(struct vtx_vcpu *vcpu,
			       struct kvm_guest_debug __user *argp)
{
	struct kvm_guest_debug dbg;
	unsigned long rflags;
	u32 control;

	if (copy_from_user(&dbg, argp, sizeof(dbg)))
		return -EFAULT;
	control = dbg.control & KVM_GUESTDBG_ENABLE ? dbg.control : 0;
	/*
	 * KVM puts such a DR7 in the VMCS and every entry fails after: vtx
	 * refuses it before anything changes.
	 */
	if ((control & KVM_GUESTDBG_USE_HW_BP) &&
	    (dbg.arch.debugreg[7] & VTX_DR7_RESERVED))
		return -EINVAL;
	/* as KVM: injection works with or without KVM_GUESTDBG_ENABLE */
	if (dbg.control & (KVM_GUESTDBG_INJECT_DB | KVM_GUESTDBG_INJECT_BP)) {
		/*
		 * KVM: busy while an exception waits.  vtx has one slot for
		 * exceptions and events cut short (vcpu->event): busy while
		 * it holds anything, which must not be overwritten.
		 */
		if (vcpu->event.valid)
			return -EBUSY;
		if (dbg.control & KVM_GUESTDBG_INJECT_DB) {
			vtx_queue_exception(vcpu, X86_TRAP_DB, false, 0);
		} else {
			/* a trap after the INT3 the last #BP exit stopped at */
			vtx_queue_exception(vcpu, X86_TRAP_BP, false, 0);
			vcpu->event.type = VTX_EVENT_SOFT_EXC;
			vcpu->event.insn_len = vcpu->debug_bp_len ?:
					       VTX_INT3_LEN;
		}
	}
	/* TF is still filtered out by the old control */
	rflags = vtx_get_user_rflags(vcpu);
	vcpu->guest_debug = control;
	if (control & KVM_GUESTDBG_USE_HW_BP) {
		memcpy(vcpu->debug_db, dbg.arch.debugreg,
		       sizeof(vcpu->debug_db));
		vcpu->debug_dr7 = dbg.arch.debugreg[7] | DR7_FIXED_1;
	}
	/* the DR7 in effect: the debugger's or the guest's again */
	vtx_x86_ops.set_dr7(vcpu, vtx_x86_ops.get_dr7(vcpu));
	if (control & KVM_GUESTDBG_SINGLESTEP)
		vcpu->singlestep_rip = linear_rip(vcpu);
	vtx_set_user_rflags(vcpu, rflags);
	vtx_x86_ops.update_exception_bitmap(vcpu);
	return 0;
}

/**
 * vtx_debug_exit() - a #DB or #BP that the debugger takes: fill
 * KVM_EXIT_DEBUG (called by the backend's exception exit).
 * @vcpu:	the vCPU, at the exit
 * @vector:	X86_TRAP_DB or X86_TRAP_BP
 * @dr6:	#DB: the debug conditions (DR6's B0-B3, BD, BS)
 * @dr7:	#DB: the guest's DR7
 * @insn_len:	#BP: the INT3's length, for a later KVM_GUESTDBG_INJECT_BP
 *
 * Return: 0, kvm_run filled.
 */
int vtx_debug_exit(struct vtx_vcpu *vcpu, u8 vector, unsigned long dr6,
		   unsigned long dr7, u32 insn_len)
{
	struct kvm_run *run = vcpu->run;

	if (vector == X86_TRAP_DB) {
		run->debug.arch.dr6 = dr6 | VTX_DR6_NO_EVENT;
		run->debug.arch.dr7 = dr7;
	} else {
		vcpu->debug_bp_len = insn_len;
	}
	run->exit_reason = KVM_EXIT_DEBUG;
	run->debug.arch.pc = linear_rip(vcpu);
	run->debug.arch.exception = vector;
	return 0;
}

/**
 * vtx_debug_step_done() - vtx completed an instruction while the debugger
 * single-steps: the exit the processor's trap would have made comes
 * before the next entry (handle_requests(), x86.c).
 * @vcpu:	the vCPU, by its thread
 */
void vtx_debug_step_done(struct vtx_vcpu *vcpu)
{
	vtx_make_request(VTX_REQ_DEBUG_STEP, vcpu);
}

/**
 * vtx_debug_step_exit() - VTX_REQ_DEBUG_STEP: the single step's
 * KVM_EXIT_DEBUG, as KVM's kvm_vcpu_do_singlestep().
 * @vcpu:	the vCPU, by its thread
 *
 * Return: 0 with kvm_run filled; 1 if single stepping was turned off since.
 */
int vtx_debug_step_exit(struct vtx_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	if (!(vcpu->guest_debug & KVM_GUESTDBG_SINGLESTEP))
		return 1;
	run->debug.arch.dr6 = DR_STEP | VTX_DR6_NO_EVENT;
	run->debug.arch.pc = linear_rip(vcpu);
	run->debug.arch.exception = X86_TRAP_DB;
	run->exit_reason = KVM_EXIT_DEBUG;
	return 0;
}
