// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - one VM entry and exit: what the host switches around the
 * trampoline (vmenter.S) with interrupts off, and the hand-off to the exit
 * handlers (exit.c).
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/moduleparam.h>
#include <linux/sched/signal.h>
#include <asm/debugreg.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/hw_breakpoint.h>
#include <asm/special_insns.h>
#include "vmx/vmx.h"

bool vtx_dump_invalid_vmcs;
module_param_named(dump_invalid_vmcs, vtx_dump_invalid_vmcs, bool, 0644);
MODULE_PARM_DESC(dump_invalid_vmcs, "Log the VMCS when a VM entry fails");

/*
 * The guest's XCR0 goes into the processor around the entry, interrupts
 * off, when it differs from the host's.  It was set only through
 * vtx_xcr0_valid() (XSETBV exit, KVM_SET_XCRS), so it is a valid subset of
 * the host's XCR0 without PKRU or AMX and the XSETBV cannot fault; should
 * that ever not hold, the guest keeps the host's XCR0 instead.  host_xcr0
 * is 0 when the host kernel runs without XSAVE.
 */
static bool guest_xcr0_live(struct vtx_vcpu *vcpu)
{
	/* A host kernel without XSAVE (CR4.OSXSAVE clear): no XSETBV at all */
	if (!vcpu->host_xcr0)
		return false;
	if (WARN_ON_ONCE(vcpu->xcr0 & ~vcpu->host_xcr0))
		return false;
	return (vcpu->cr4 & X86_CR4_OSXSAVE) && vcpu->xcr0 != vcpu->host_xcr0;
}

/*
 * IA32_XSS goes to 0, the guests' value, around the entry when the guest
 * runs XSAVES (vtx_update_proc2()) and the host's is not 0 (KVM 6.1's
 * supported XSS is 0 too, x86/msr.c).
 */
static bool guest_xss_live(struct vtx_vcpu *vcpu)
{
	return to_vmx(vcpu)->xsaves && vtx_caps.host_xss;
}

/* The VMCS of a failed entry may be in an unknown launch state. */
static void reset_launch_state(struct vcpu_vmx *vmx)
{
	if (vtx_vmclear(__pa(vmx->vmcs)) || vtx_vmptrld(__pa(vmx->vmcs)))
		vtx_vm_dead(vmx->vcpu.vm);
	vmx->launched = false;
}

/*
 * One entry into the guest and back.  Return: like an exit handler: 1 to
 * re-enter, 0 with kvm_run filled for userspace, or a negative errno.
 */
static int vmx_enter_exit(struct vtx_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	struct kvm_run *run = vcpu->run;
	u64 t_entry, t_exit;
	int r;

	/* Shadow paging runs no 5-level paging (spt.c). */
	if (unlikely(vtx_shadow_paging) && !vtx_spt_mode_ok(vcpu))
		return vtx_spt_refuse(vcpu);
	/*
	 * Real mode in vm86: events go in through the real-mode IVT, in
	 * software, before interrupts are off; a CS vm86 cannot have is
	 * emulated instead (rmode.c).
	 */
	if (vmx_vm86(vcpu)) {
		r = vtx_rmode_step(vcpu);
		if (r != 1)
			return r > 0 ? 1 : r;
	}
	preempt_disable();
	vtx_prepare_switch_to_guest(vcpu);
	local_irq_disable();
	/*
	 * IN_GUEST_MODE before the last look at requests, signals and
	 * rescheduling, with a full barrier: a kick either sees the mode and
	 * sends its IPI (held until the guest runs, which then exits at
	 * once) or made its request before, which this check sees.
	 */
	vcpu->last_cpu = smp_processor_id();
	/* pairs with the cmpxchg() of vtx_vcpu_kick() */
	smp_store_mb(vcpu->mode, VTX_IN_GUEST_MODE);
	if (need_resched() || signal_pending(current) ||
	    vtx_request_pending(vcpu)) {
		WRITE_ONCE(vcpu->mode, VTX_OUTSIDE_GUEST_MODE);
		local_irq_enable();
		preempt_enable();
		if (signal_pending(current)) {
			run->exit_reason = KVM_EXIT_INTR;
			return -EINTR;
		}
		return 1;	/* cond_resched() and requests in the loop */
	}
	/*
	 * Preemption (or kernel_fpu_begin() in an interrupt) saved the
	 * guest's FPU registers into its fpstate and left others in the CPU:
	 * load them again before the guest runs.
	 */
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	vtx_update_host_cr(vcpu);
	vtx_load_guest_uret_msrs(vcpu);
	vtx_inject_pending_event(vcpu);
	if (vmx_apicv_active(vcpu))
		vmx_apicv_enter(vcpu);
	if (guest_xcr0_live(vcpu))
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->xcr0);
	/*
	 * The guest's XSAVES/XRSTORS use IA32_XSS, which is 0 for guests:
	 * none of the host's supervisor states is saved or loaded by them.
	 */
	if (unlikely(guest_xss_live(vcpu)))
		wrmsrl(MSR_IA32_XSS, 0);
	if (native_read_cr2() != vcpu->cr2)
		native_write_cr2(vcpu->cr2);
	/*
	 * The breakpoint addresses in effect (the debugger's with
	 * KVM_GUESTDBG_USE_HW_BP, else the guest's), when the DR7 in effect
	 * enables any (the VMCS switches DR7 only).  The host's DR7 goes to 0
	 * first: none of its breakpoints fires on them in between.  After
	 * the exit the host's come back if it uses breakpoints; if not, its
	 * DR7 is 0 and DR0-DR3 are unused.
	 */
	if (unlikely(vcpu->guest_bp_enabled)) {
		const unsigned long *db = vcpu->guest_debug &
					  KVM_GUESTDBG_USE_HW_BP ?
					  vcpu->debug_db : vcpu->dr;

		set_debugreg(0, 7);
		set_debugreg(db[0], 0);
		set_debugreg(db[1], 1);
		set_debugreg(db[2], 2);
		set_debugreg(db[3], 3);
	}

	/* Without "save VMX-preemption timer value", a full tick each entry. */
	if (unlikely(vtx_caps.tick_value) &&
	    !(vtx_caps.exit & VM_EXIT_SAVE_VMX_PREEMPTION_TIMER))
		vtx_tick_reload();
	/* L1TF: after everything else the host does before the entry. */
	if (static_branch_unlikely(&vtx_l1d_should_flush))
		vtx_l1d_flush(vcpu);
	vcpu->ran = true;
	vtx_prof(vcpu, ENTRY);
	t_entry = rdtsc();
	r = vtx_vmenter(vmx, vmx->launched);
	t_exit = rdtsc();
	vtx_prof(vcpu, EXIT);
	vcpu->cached = 0;
	/* Kicks from here on need no IPI: the exit is handled first. */
	WRITE_ONCE(vcpu->mode, VTX_OUTSIDE_GUEST_MODE);
	if (vmx_apicv_active(vcpu))
		vmx_apicv_exit(vcpu);

	vcpu->cr2 = native_read_cr2();
	/* A VM exit clears DEBUGCTL and sets DR7 to 0x400: restore the host's. */
	if (vcpu->host_debugctl)
		update_debugctlmsr(vcpu->host_debugctl);
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
	if (guest_xcr0_live(vcpu))
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->host_xcr0);
	if (unlikely(guest_xss_live(vcpu)))
		wrmsrl(MSR_IA32_XSS, vtx_caps.host_xss);
	if (likely(r == VTX_ENTER_EXIT)) {
		vcpu->exit_reason = vmcs_read32(VM_EXIT_REASON);
		vmx->entry_failed = vcpu->exit_reason &
				    VMX_EXIT_REASONS_FAILED_VMENTRY;
		if (unlikely(vmx->entry_failed))
			reset_launch_state(vmx);
		else
			vmx->launched = true;
		vtx_handle_exit_irqoff(vcpu);
	}
	local_irq_enable();
	preempt_enable();

	if (unlikely(r == VTX_ENTER_FAIL_VALID)) {
		u32 err = vmcs_read32(VM_INSTRUCTION_ERROR);

		pr_err_ratelimited("VM entry failed: VM-instruction error %u\n",
				   err);
		/*
		 * A refused entry leaves the event it was to inject valid:
		 * drop it, or every later entry fails the same way.
		 */
		vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
		if (vtx_dump_invalid_vmcs)
			vtx_dump_vmcs();
		run->exit_reason = KVM_EXIT_FAIL_ENTRY;
		run->fail_entry.hardware_entry_failure_reason = err;
		run->fail_entry.cpu = vcpu->last_cpu;
		return 0;
	}
	if (unlikely(r != VTX_ENTER_EXIT)) {
		pr_err_ratelimited("VM entry failed: no current VMCS\n");
		vtx_vm_dead(vcpu->vm);
		return -EIO;
	}
	vtx_account_exit(vcpu, t_entry, t_exit);
	return vtx_handle_exit(vcpu);
}

/**
 * vmx_vcpu_run() - enter the guest (vtx_x86_ops.vcpu_run).
 * @vcpu:	the loaded vCPU, in KVM_RUN
 *
 * An exit handled in the kernel goes straight back into the guest while
 * KVM_RUN's loop (x86/x86.c) would have nothing to do first
 * (vtx_may_reenter()): the common in-kernel exit costs no call through
 * the ops table.
 *
 * Return: 1 when the loop has something to do before the next entry, 0
 * with kvm_run filled for userspace, or a negative errno.
 */
int vmx_vcpu_run(struct vtx_vcpu *vcpu)
{
	int r;

	do {
		r = vmx_enter_exit(vcpu);
		vtx_prof(vcpu, HANDLED);
	} while (r > 0 && vtx_may_reenter(vcpu));
	return r;
}
