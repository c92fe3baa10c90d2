// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - VM-exit handlers.
 *
 * The contract of every handler in vtx_exit_handlers[]:
 *   return 1:	handled in the kernel, re-enter the guest;
 *   return 0:	vcpu->run is filled in, return to userspace;
 *   return <0:	an errno for KVM_RUN.
 * A handler advances RIP only when the instruction completed.  An exit
 * reason without a handler becomes KVM_EXIT_INTERNAL_ERROR carrying the
 * reason; it never reaches the host as a crash.
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/bitfield.h>
#include <linux/kvm_para.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/sched.h>
#include <asm/fpu/xcr.h>
#include <asm/fpu/xstate.h>
#include <asm/irq_vectors.h>
#include <asm/mce.h>
#include <asm/nospec-branch.h>
#include <asm/processor.h>
#include <asm/traps.h>
#include "vmx/vmx.h"

typedef int (*vtx_exit_handler_t)(struct vtx_vcpu *vcpu);

/* Exit qualification of I/O instructions (SDM, "Exit Qualification"). */
#define IO_QUAL_SIZE_MASK	7
#define IO_QUAL_IN		BIT(3)
#define IO_QUAL_STRING		BIT(4)
#define IO_QUAL_REP		BIT(5)
#define IO_QUAL_PORT_SHIFT	16
/* VM-exit instruction information for INS/OUTS. */
#define IO_INFO_ADDR_SHIFT	7
#define IO_INFO_SEG_SHIFT	15
#define IO_INFO_FIELD_MASK	7

/* Exit qualification of control-register accesses. */
/*
 * Of asm/vmx.h's CONTROL_REG_ACCESS_* the register number is bits 3:0, not
 * CONTROL_REG_ACCESS_NUM's 2:0 (CR8 is 8).
 */
#define CR_QUAL_NUM_MASK	0xf
/* Values of the CONTROL_REG_ACCESS_TYPE field */
#define CR_TYPE_MOV_TO		0
#define CR_TYPE_MOV_FROM	1
#define CR_TYPE_CLTS		2
#define CR_TYPE_LMSW		3
#define LMSW_BITS		(X86_CR0_PE | X86_CR0_MP | X86_CR0_EM | \
				 X86_CR0_TS)

#define VTX_CR0_DEFINED		(X86_CR0_PE | X86_CR0_MP | X86_CR0_EM | \
				 X86_CR0_TS | X86_CR0_ET | X86_CR0_NE | \
				 X86_CR0_WP | X86_CR0_AM | X86_CR0_NW | \
				 X86_CR0_CD | X86_CR0_PG)

/* DR6.BD: a debug-register access was detected (SDM vol. 3, 18.2.3) */
#define DR6_BD			BIT(13)
/* DR7.GD: general detect, #DB before any debug-register access (18.2.4) */
#define DR7_GD			BIT(13)
/*
 * DR6's fixed-1 bits and its active-low ones (bit 16, RTM: 1 unless a #DB
 * happened inside a transaction, which vtx guests cannot run), as KVM's
 * DR6_ACTIVE_LOW: the DR6 of a vCPU that reports no debug event (the
 * kernel's DR6_RESERVED).
 */
#define VTX_DR6_ACTIVE_LOW	((unsigned long)DR6_RESERVED)
/* What a write to DR6 can change: B0-B3, BLD, BD, BS, BT, RTM. */
#define VTX_DR6_VOLATILE	0x0001e80ful

/**
 * vtx_interrupt_allowed() - the guest would take an external interrupt now.
 * @vcpu:	the loaded vCPU
 */
bool vtx_interrupt_allowed(struct vtx_vcpu *vcpu)
{
	return (vmx_rflags(vcpu) & X86_EFLAGS_IF) &&
	       !(vmx_intr_state(vcpu) & (GUEST_INTR_STATE_STI |
					 GUEST_INTR_STATE_MOV_SS));
}

static bool nmi_allowed(struct vtx_vcpu *vcpu)
{
	return !(vmx_intr_state(vcpu) & (GUEST_INTR_STATE_STI |
					 GUEST_INTR_STATE_MOV_SS |
					 GUEST_INTR_STATE_NMI));
}

/**
 * vtx_ready_for_interrupt() - KVM's ready_for_interrupt_injection: the
 * guest can take an interrupt and none is queued or half-delivered.
 * @vcpu:	the loaded vCPU
 */
bool vtx_ready_for_interrupt(struct vtx_vcpu *vcpu)
{
	return vtx_interrupt_allowed(vcpu) && !vcpu->irq_pending &&
	       !vcpu->event.valid;
}

static void set_window_exiting(struct vtx_vcpu *vcpu, u32 bit, bool on)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	u32 proc = vmx->proc_ctl;

	proc = on ? proc | bit : proc & ~bit;
	if (proc != vmx->proc_ctl) {
		vmx->proc_ctl = proc;
		vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, proc);
	}
}

/* The VMX interruption type of each enum vtx_event_type. */
static const u32 vmx_event_types[] = {
	[VTX_EVENT_EXTINT] = INTR_TYPE_EXT_INTR,
	[VTX_EVENT_NMI] = INTR_TYPE_NMI_INTR,
	[VTX_EVENT_EXCEPTION] = INTR_TYPE_HARD_EXCEPTION,
	[VTX_EVENT_SOFT_INT] = INTR_TYPE_SOFT_INTR,
	[VTX_EVENT_PRIV_SW_EXC] = INTR_TYPE_PRIV_SW_EXCEPTION,
	[VTX_EVENT_SOFT_EXC] = INTR_TYPE_SOFT_EXCEPTION,
};

/* @ev is a fault-class exception. */
static bool exception_is_fault(const struct vtx_pending_event *ev)
{
	u8 vector = ev->vector;

	if (ev->type != VTX_EVENT_EXCEPTION)
		return false;
	return vector != X86_TRAP_DB && vector != X86_TRAP_BP &&
	       vector != X86_TRAP_OF && vector != X86_TRAP_DF &&
	       vector != X86_TRAP_MC;
}

/**
 * vtx_inject_pending_event() - program the next event into VM entry.
 * @vcpu:	the loaded vCPU; interrupts disabled, right before entry
 *
 * Priority: a queued exception or half-delivered event, then an NMI, then
 * the interrupt queued by KVM_INTERRUPT when the guest can take it.  What
 * can't go in now opens an interrupt or NMI window exit instead.
 */
void vtx_inject_pending_event(struct vtx_vcpu *vcpu)
{
	struct vtx_pending_event *ev = &vcpu->event;
	/* KVM_GUESTDBG_BLOCKIRQ: no NMI, no interrupt of the irqchips */
	bool block = vcpu->guest_debug & KVM_GUESTDBG_BLOCKIRQ;
	bool want_irq_window;

	to_vmx(vcpu)->extint_injected = false;
	/* vm86: vtx_rmode_deliver() did it, through the real-mode IVT */
	if (vmx_vm86(vcpu))
		goto windows;
	if (ev->valid) {
		/*
		 * A fault pushes RFLAGS with RF set, so that the handler's
		 * IRET does not meet an instruction breakpoint again; VM
		 * entry does not do it for an injected event.  Not for #DB
		 * (code breakpoints and general detect leave RF alone),
		 * traps (#BP, #OF) or aborts (#DF, #MC), as in KVM.
		 */
		u32 info = ev->vector | vmx_event_types[ev->type] |
			   INTR_INFO_VALID_MASK;

		if (exception_is_fault(ev))
			vmx_set_rflags(vcpu, vmx_rflags(vcpu) | X86_EFLAGS_RF);
		/*
		 * VM entry refuses bits 31:16 of the error code (they do
		 * not exist on Intel): drop them, as KVM does, rather than
		 * fail every entry.
		 */
		/*
		 * Real mode pushes no error code, and VM entry refuses one
		 * there: an event requeued from IDT-vectoring information
		 * may carry one all the same (Bochs sets it for a #GP whose
		 * delivery through the real-mode IVT met an EPT violation),
		 * so it is dropped here, where KVM's kvm_inject_exception()
		 * drops it.
		 */
		if (ev->has_error && (vcpu->cr0 & X86_CR0_PE)) {
			info |= INTR_INFO_DELIVER_CODE_MASK;
			vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE,
				     (u16)ev->error_code);
		}
		vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, info);
		to_vmx(vcpu)->extint_injected = ev->type == VTX_EVENT_EXTINT;
		/* its delivery blocks NMIs */
		if (ev->type == VTX_EVENT_NMI)
			to_vmx(vcpu)->nmi_known_unmasked = false;
		if (ev->insn_len)
			vmcs_write32(VM_ENTRY_INSTRUCTION_LEN, ev->insn_len);
		/* Cut short by an exit, IDT-vectoring queues it again. */
		ev->valid = false;
	} else if (vcpu->nmi_pending && !block && nmi_allowed(vcpu)) {
		vcpu->nmi_pending--;
		to_vmx(vcpu)->nmi_known_unmasked = false;
		vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, NMI_VECTOR |
			     INTR_TYPE_NMI_INTR | INTR_INFO_VALID_MASK);
	} else if (vcpu->irq_pending &&
		   !(vmx_intr_state(vcpu) & (GUEST_INTR_STATE_STI |
					     GUEST_INTR_STATE_MOV_SS))) {
		/*
		 * As KVM: KVM_INTERRUPT queues an interrupt as already
		 * accepted; it goes in at the next entry whatever RFLAGS.IF
		 * (userspace waits for ready_for_interrupt_injection).
		 */
		vcpu->irq_pending = false;
		vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, vcpu->irq_vector |
			     INTR_TYPE_EXT_INTR | INTR_INFO_VALID_MASK);
		to_vmx(vcpu)->extint_injected = true;
	} else if (vcpu->apic && !block && vtx_interrupt_allowed(vcpu)) {
		/*
		 * The in-kernel APIC's interrupt, acknowledged as taken;
		 * with APICv the processor delivers the APIC's own (RVI),
		 * only the 8259's ExtINT is injected.
		 */
		int vector = vmx_apicv_active(vcpu) ?
			     vtx_apic_extint(vcpu, true) :
			     vtx_apic_take_interrupt(vcpu);

		if (vector >= 0) {
			vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, vector |
				     INTR_TYPE_EXT_INTR | INTR_INFO_VALID_MASK);
			to_vmx(vcpu)->extint_injected = true;
		}
	}

windows:
	want_irq_window = vcpu->irq_pending || vtx_wants_irq_window(vcpu) ||
			  (vcpu->apic && !block &&
			   (vmx_apicv_active(vcpu) ?
			    vtx_apic_extint(vcpu, false) :
			    vtx_apic_has_interrupt(vcpu)) >= 0);
	set_window_exiting(vcpu, CPU_BASED_INTR_WINDOW_EXITING,
			   want_irq_window);
	if (vtx_caps.pin & PIN_BASED_VIRTUAL_NMIS)
		set_window_exiting(vcpu, CPU_BASED_NMI_WINDOW_EXITING,
				   vcpu->nmi_pending && !block);
}

/*
 * An exit during event delivery (an EPT violation on the IDT or stack, an
 * interrupt, an NMI) leaves the event in IDT-vectoring information; queue
 * it again so that the guest does not lose it.
 */
static void requeue_idt_vectoring(struct vtx_vcpu *vcpu)
{
	u32 info = vmcs_read32(IDT_VECTORING_INFO_FIELD);
	struct vtx_pending_event *ev = &vcpu->event;
	unsigned int t;
	u32 type;

	if (!(info & VECTORING_INFO_VALID_MASK))
		return;
	type = info & VECTORING_INFO_TYPE_MASK;
	for (t = 0; t < ARRAY_SIZE(vmx_event_types); t++)
		if (vmx_event_types[t] == type)
			break;
	if (WARN_ON_ONCE(t == ARRAY_SIZE(vmx_event_types)))
		return;
	ev->valid = true;
	ev->type = t;
	ev->vector = info & VECTORING_INFO_VECTOR_MASK;
	/*
	 * APICv: an exit while the processor delivered a virtual interrupt
	 * (an EPT violation on the guest's stack or IDT).  The interrupt is
	 * SVI's vector, which the delivery put in service while the guest
	 * ran (apicv_delivered) with RFLAGS.IF still set; it goes in again
	 * as the external interrupt it is.  Real hardware reports just that
	 * in IDT-vectoring information; Bochs 2.7 reports the last event
	 * it recorded on that CPU instead, of any type (an exception that
	 * was injected before, with its error code, which the guest then
	 * took a second time, or a stale vector).  Any other external
	 * interrupt vtx did not inject is such a stale record too (of an
	 * event Bochs does not record, INT n, which the guest executes
	 * again): dropped.
	 */
	if (vmx_apicv_active(vcpu) && to_vmx(vcpu)->apicv_delivered &&
	    (vmx_rflags(vcpu) & X86_EFLAGS_IF)) {
		ev->type = VTX_EVENT_EXTINT;
		ev->vector = vmcs_read16(GUEST_INTR_STATUS) >>
			     VMX_INTR_STATUS_SVI_SHIFT;
		ev->has_error = false;
		ev->error_code = 0;
		ev->insn_len = 0;
		return;
	}
	if (vmx_apicv_active(vcpu) && type == INTR_TYPE_EXT_INTR &&
	    !to_vmx(vcpu)->extint_injected) {
		ev->valid = false;
		return;
	}
	ev->has_error = info & VECTORING_INFO_DELIVER_CODE_MASK;
	ev->error_code = ev->has_error ?
			 vmcs_read32(IDT_VECTORING_ERROR_CODE) : 0;
	ev->insn_len = 0;
	if (type == INTR_TYPE_SOFT_INTR || type == INTR_TYPE_SOFT_EXCEPTION ||
	    type == INTR_TYPE_PRIV_SW_EXCEPTION)
		ev->insn_len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
}

/* A hardware #MC that caused the exit (only vector 18 can be one). */
static bool is_machine_check(u32 info)
{
	return (info & (INTR_INFO_VALID_MASK | INTR_INFO_INTR_TYPE_MASK |
			INTR_INFO_VECTOR_MASK)) ==
	       (INTR_INFO_VALID_MASK | INTR_TYPE_HARD_EXCEPTION | X86_TRAP_MC);
}

/*
 * The host's machine-check handler, for a #MC in the guest or during VM
 * entry.  As on KVM, the frame says user mode with interrupts on: the
 * event is the vCPU thread's, which the handler may signal (SIGBUS) on
 * its way back to userspace.
 */
static void vtx_machine_check(void)
{
#ifdef CONFIG_X86_MCE
	struct pt_regs regs = {
		.cs = 3,
		.flags = X86_EFLAGS_IF,
	};

	do_machine_check(&regs);
#endif
}

/*
 * Interrupts disabled, right after the exit: NMIs and machine checks go to
 * the host's handlers now.
 */
void vtx_handle_exit_irqoff(struct vtx_vcpu *vcpu)
{
	u32 info;

#ifdef X86_FEATURE_IBPB_EXIT_TO_USER
	/* VMSCAPE: an IBPB before this CPU next returns to userspace. */
	if (cpu_feature_enabled(X86_FEATURE_IBPB_EXIT_TO_USER))
		this_cpu_write(x86_ibpb_exit_to_user, true);
#endif
	if ((u16)vcpu->exit_reason == EXIT_REASON_MCE_DURING_VMENTRY) {
		vtx_machine_check();
		return;
	}
	if (vcpu->exit_reason != EXIT_REASON_EXCEPTION_NMI)
		return;
	info = vmcs_read32(VM_EXIT_INTR_INFO);
	if ((info & (INTR_INFO_VALID_MASK | INTR_INFO_INTR_TYPE_MASK)) ==
	    (INTR_INFO_VALID_MASK | INTR_TYPE_NMI_INTR))
		vtx_call_nmi_handler();
	else if (is_machine_check(info))
		vtx_machine_check();
}

int vmx_internal_error(struct vtx_vcpu *vcpu, u32 suberror)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	run->internal.ndata = 2;
	run->internal.data[0] = vcpu->exit_reason;
	run->internal.data[1] = vcpu->last_cpu;
	return 0;
}

/*
 * A #DB for the guest: its DR6 says why (vtx keeps DR6 per vCPU): B0-B3
 * replaced, BD and BS added, the active-low bits (RTM) at 1 as the
 * processor leaves them outside a transaction.  The processor clears
 * DR7.GD on the way to the handler, so that it can use the registers.
 */
static void queue_db(struct vtx_vcpu *vcpu, unsigned long bits)
{
	vcpu->dr6 = (vcpu->dr6 & ~DR_TRAP_BITS) | bits | VTX_DR6_ACTIVE_LOW;
	if (vcpu->dr7 & DR7_GD)
		vmx_set_dr7(vcpu, vcpu->dr7 & ~DR7_GD);
	vtx_queue_exception(vcpu, X86_TRAP_DB, false, 0);
}

static int handle_exception_nmi(struct vtx_vcpu *vcpu)
{
	u32 info = vmcs_read32(VM_EXIT_INTR_INFO);

	u32 type = info & INTR_INFO_INTR_TYPE_MASK;
	u8 vector = info & INTR_INFO_VECTOR_MASK;

	requeue_idt_vectoring(vcpu);
	/* The host's NMI or #MC handler already ran (irqoff, above). */
	if (type == INTR_TYPE_NMI_INTR || is_machine_check(info))
		return 1;
	/* vm86: the instructions real mode runs and vm86 refuses (rmode.c) */
	if (vector == X86_TRAP_GP && vmx_vm86(vcpu))
		return vtx_rmode_handle_gp(vcpu);
	/*
	 * #AC and #DB (the other exceptions intercepted, vmcs.c) go back to
	 * the guest.  An exception raised while delivering another one was
	 * queued again above; real hardware would make it a double fault,
	 * which the guest gets on re-delivery when it faults again.
	 */
	if (vector == X86_TRAP_AC) {
		vtx_queue_exception(vcpu, X86_TRAP_AC, true,
				    vmcs_read32(VM_EXIT_INTR_ERROR_CODE));
		return 1;
	}
	/* KVM_X86_QUIRK_FIX_HYPERCALL_INSN, else the guest's #UD */
	if (vector == X86_TRAP_UD)
		return vtx_handle_ud(vcpu);
	/* shadow paging: a missing shadow leaf, or the guest's own #PF */
	if (vector == X86_TRAP_PF && vtx_shadow_paging)
		return vtx_spt_handle_pf(vcpu);
	/* software breakpoints of the debugger (x86/debug.c) */
	if (vector == X86_TRAP_BP &&
	    (vcpu->guest_debug & KVM_GUESTDBG_USE_SW_BP))
		return vtx_debug_exit(vcpu, X86_TRAP_BP, 0, 0,
				      vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
	if (vector == X86_TRAP_DB) {
		unsigned long bits = vmcs_readl(EXIT_QUALIFICATION) &
				     (DR_TRAP_BITS | DR6_BD | DR_STEP);

		/*
		 * The debugger single-steps or sets hardware breakpoints:
		 * the #DB is its (as in KVM, whatever raised it)
		 */
		if (vcpu->guest_debug & (KVM_GUESTDBG_SINGLESTEP |
					 KVM_GUESTDBG_USE_HW_BP))
			return vtx_debug_exit(vcpu, X86_TRAP_DB, bits,
					      vmcs_readl(GUEST_DR7), 0);
		queue_db(vcpu, bits);
		/* ICEBP (INT1) is re-injected as what it was, with its length. */
		if (type == INTR_TYPE_PRIV_SW_EXCEPTION) {
			vcpu->event.type = VTX_EVENT_PRIV_SW_EXC;
			vcpu->event.insn_len =
				vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
		}
		return 1;
	}
	/* vm86 intercepts every exception: the guest's, by its IVT */
	if (vmx_vm86(vcpu))
		return vtx_rmode_reflect(vcpu, vector, type);
	pr_warn_ratelimited("unexpected exception exit, info 0x%x\n", info);
	return vmx_internal_error(vcpu, KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON);
}

static int handle_external_interrupt(struct vtx_vcpu *vcpu)
{
	/* The interrupt was taken by the host when interrupts came back on. */
	requeue_idt_vectoring(vcpu);
	return 1;
}

/* The window opened: the entry path injects what waits, or exits. */
static int handle_window(struct vtx_vcpu *vcpu)
{
	return 1;
}

/* A tick of guest time without an exit (vmx.c, tick_exits): reschedule. */
static int handle_preemption_timer(struct vtx_vcpu *vcpu)
{
	vtx_tick_reload();
	return 1;
}

static int handle_triple_fault(struct vtx_vcpu *vcpu)
{
	vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
	return 0;
}

/* CPUID answered in the kernel from the vCPU's KVM_SET_CPUID2 table. */
static int handle_cpuid(struct vtx_vcpu *vcpu)
{
	u32 regs[4];

	/* CPUID faulting (MSR_MISC_FEATURES_ENABLES, msr.c). */
	if ((vcpu->misc_features & MSR_MISC_FEATURES_ENABLES_CPUID_FAULT) &&
	    vmx_cpl(vcpu))
		return vmx_inject_gp(vcpu);
	vtx_cpuid_lookup(vcpu, vcpu->regs[VTX_RAX], vcpu->regs[VTX_RCX], regs);
	vcpu->regs[VTX_RAX] = regs[0];
	vcpu->regs[VTX_RBX] = regs[1];
	vcpu->regs[VTX_RCX] = regs[2];
	vcpu->regs[VTX_RDX] = regs[3];
	return vmx_skip_exit_instruction(vcpu);
}

static int handle_hlt(struct vtx_vcpu *vcpu)
{
	vmx_skip_exit_instruction(vcpu);
	/* An in-kernel APIC: the vCPU sleeps in the kernel (x86/apic.c). */
	if (vcpu->apic) {
		vtx_apic_halt(vcpu);
		return 1;
	}
	vcpu->run->exit_reason = KVM_EXIT_HLT;
	return 0;
}

/*
 * VMCALL with KVM's convention: RAX = number, RBX, RCX, RDX, RSI = args,
 * result in RAX.  Numbers userspace claimed with KVM_CAP_EXIT_HYPERCALL
 * exit as KVM_EXIT_HYPERCALL; those of the PV features (KVM_HC_KICK_CPU,
 * KVM_HC_SEND_IPI, KVM_HC_SCHED_YIELD) are x86/pv.c's; the rest get
 * -KVM_ENOSYS (-KVM_EPERM from CPL > 0).  Outside 64-bit code the number,
 * the arguments and the result are 32 bits wide.
 */
static int handle_vmcall(struct vtx_vcpu *vcpu)
{
	unsigned long nr = vcpu->regs[VTX_RAX], ret;
	bool longmode = vmx_in_64bit_code(vcpu);
	struct kvm_run *run = vcpu->run;
	unsigned long args[4] = {
		vcpu->regs[VTX_RBX], vcpu->regs[VTX_RCX],
		vcpu->regs[VTX_RDX], vcpu->regs[VTX_RSI],
	};
	bool cpl0 = vmx_cpl(vcpu) == 0;
	int i;

	if (!longmode) {
		nr = (u32)nr;
		for (i = 0; i < ARRAY_SIZE(args); i++)
			args[i] = (u32)args[i];
	}
	if (cpl0 && nr < BITS_PER_LONG &&
	    (READ_ONCE(vcpu->vm->hypercall_exits) & BIT_ULL(nr))) {
		run->exit_reason = KVM_EXIT_HYPERCALL;
		run->hypercall.nr = nr;
		for (i = 0; i < ARRAY_SIZE(args); i++)
			run->hypercall.args[i] = args[i];
		run->hypercall.args[4] = 0;
		run->hypercall.args[5] = 0;
		run->hypercall.ret = 0;
		vtx_set_hypercall_longmode(run, longmode);
		vcpu->complete_userspace_io = vtx_complete_hypercall;
		vcpu->pio.insn_len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
		return 0;
	}
	if (cpl0)
		ret = vtx_pv_hypercall(vcpu, nr, args, longmode);
	else
		ret = -KVM_EPERM;
	if (!longmode)
		ret = (u32)ret;
	vcpu->regs[VTX_RAX] = ret;
	return vmx_skip_exit_instruction(vcpu);
}

/*
 * IN, OUT, INS, OUTS: decoded here from the exit qualification (and, for
 * the string forms, the VM-exit instruction information), done by x86/'s
 * port I/O code.
 */
static int handle_io(struct vtx_vcpu *vcpu)
{
	unsigned long qual = vmcs_readl(EXIT_QUALIFICATION);
	struct vtx_pio *pio = &vcpu->pio;
	bool string = qual & IO_QUAL_STRING;

	pio->size = (qual & IO_QUAL_SIZE_MASK) + 1;
	pio->in = qual & IO_QUAL_IN;
	pio->rep = qual & IO_QUAL_REP;
	pio->port = qual >> IO_QUAL_PORT_SHIFT;
	pio->insn_len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
	if (string) {
		u32 info = vmcs_read32(VMX_INSTRUCTION_INFO);

		/* Without the INS/OUTS information the operands are unknown. */
		if (!(vtx_caps.basic & VMX_BASIC_INOUT))
			return vmx_internal_error(vcpu,
					      KVM_INTERNAL_ERROR_EMULATION);
		pio->addr_bytes = 2 << ((info >> IO_INFO_ADDR_SHIFT) &
					IO_INFO_FIELD_MASK);
		pio->seg = (info >> IO_INFO_SEG_SHIFT) & IO_INFO_FIELD_MASK;
	}
	return vtx_handle_pio(vcpu, string);
}

/* Control registers */

/*
 * The mode a CR0/CR4 value pair gives uses PAE paging outside long mode
 * (EFER.LME: with paging on, as LMA; with it being turned on, the mode
 * to come).
 */
bool vmx_pae_legacy_paging(struct vtx_vcpu *vcpu, unsigned long cr0,
			   unsigned long cr4)
{
	return (cr0 & X86_CR0_PG) && (cr4 & X86_CR4_PAE) &&
	       !(vcpu->efer & EFER_LME);
}

/**
 * vmx_write_cr0() - load the guest's CR0 as MOV to CR0 and LMSW do, with
 * the checks the processor leaves to the VMM (vtx_x86_ops.write_cr0: also
 * the emulator's LMSW with a device operand).
 * @vcpu:	the loaded vCPU
 * @val:	the new CR0
 *
 * Return: 0, or -EINVAL for a value that raises #GP(0): nothing changed.
 */
int vmx_write_cr0(struct vtx_vcpu *vcpu, unsigned long val)
{
	unsigned long old = vtx_get_cr0(vcpu);
	bool pg_on = !(old & X86_CR0_PG) && (val & X86_CR0_PG);
	bool pg_off = (old & X86_CR0_PG) && !(val & X86_CR0_PG);

	if (val >> 32)
		return -EINVAL;
	/* As KVM: ET always reads 1, the other reserved bits 0. */
	val = (val | X86_CR0_ET) & VTX_CR0_DEFINED;
	if ((val & X86_CR0_NW) && !(val & X86_CR0_CD))
		return -EINVAL;
	if ((val & X86_CR0_PG) && !(val & X86_CR0_PE))
		return -EINVAL;
	if (pg_on && (vcpu->efer & EFER_LME) &&
	    (!(vcpu->cr4 & X86_CR4_PAE) || vmx_in_64bit_code(vcpu)))
		return -EINVAL;
	if (pg_off && vmx_in_64bit_code(vcpu))
		return -EINVAL;
	/* Reading the PDPTEs can fail: do it before changing anything. */
	if (vmx_pae_legacy_paging(vcpu, val, vcpu->cr4) &&
	    (pg_on || ((old ^ val) & (X86_CR0_CD | X86_CR0_NW))) &&
	    vtx_load_pdptrs(vcpu))
		return -EINVAL;

	if (pg_on && (vcpu->efer & EFER_LME))
		vtx_set_efer(vcpu, vcpu->efer | EFER_LMA);
	else if (pg_off && (vcpu->efer & EFER_LMA))
		vtx_set_efer(vcpu, vcpu->efer & ~EFER_LMA);
	vtx_set_cr0(vcpu, val);
	vtx_flush_guest_tlb(vcpu);
	return 0;
}

/* MOV to CR0 / LMSW at their exit. */
static int set_cr0_checked(struct vtx_vcpu *vcpu, unsigned long val)
{
	if (vmx_write_cr0(vcpu, val))
		return vmx_inject_gp(vcpu);
	return vmx_skip_exit_instruction(vcpu);
}

static int set_cr4_checked(struct vtx_vcpu *vcpu, unsigned long val)
{
	if (!vtx_cr4_valid(vcpu, val))
		return vmx_inject_gp(vcpu);
	if (vtx_is_long_mode(vcpu) && !(val & X86_CR4_PAE))
		return vmx_inject_gp(vcpu);
	/*
	 * PCIDE may be set only in IA-32e mode with CR3[11:0] = 0; in the
	 * VMCS of a 32-bit guest it fails every VM entry.
	 */
	if ((val & X86_CR4_PCIDE) && !(vcpu->cr4 & X86_CR4_PCIDE) &&
	    (!vtx_is_long_mode(vcpu) ||
	     (vtx_get_cr3(vcpu) & X86_CR3_PCID_MASK)))
		return vmx_inject_gp(vcpu);
	if (vmx_pae_legacy_paging(vcpu, vcpu->cr0, val) &&
	    ((val ^ vcpu->cr4) & (X86_CR4_PAE | X86_CR4_PGE | X86_CR4_PSE |
				  X86_CR4_SMEP)) &&
	    vtx_load_pdptrs(vcpu))
		return vmx_inject_gp(vcpu);
	vtx_set_cr4(vcpu, val);
	vtx_flush_guest_tlb(vcpu);
	return vmx_skip_exit_instruction(vcpu);
}

static int handle_cr(struct vtx_vcpu *vcpu)
{
	unsigned long qual = vmcs_readl(EXIT_QUALIFICATION);
	int cr = qual & CR_QUAL_NUM_MASK;
	int type = FIELD_GET(CONTROL_REG_ACCESS_TYPE, qual);
	int reg = FIELD_GET(CONTROL_REG_ACCESS_REG, qual);
	unsigned long val = vtx_reg_read(vcpu, reg);

	if (!vmx_in_64bit_code(vcpu))
		val = (u32)val;

	switch (type) {
	case CR_TYPE_MOV_TO:
		switch (cr) {
		case 0:
			return set_cr0_checked(vcpu, val);
		case 4:
			return set_cr4_checked(vcpu, val);
		case 3:
			/* only intercepted under shadow paging */
			if (vtx_shadow_paging)
				return vtx_spt_set_cr3(vcpu, val);
			break;
		case 8: {
			unsigned long prev = vcpu->cr8;

			if (val & ~0xful)
				return vmx_inject_gp(vcpu);
			/* An in-kernel APIC: CR8 is its TPR. */
			if (vcpu->apic) {
				vtx_apic_set_cr8(vcpu, val);
				return vmx_skip_exit_instruction(vcpu);
			}
			vcpu->cr8 = val;
			vmx_skip_exit_instruction(vcpu);
			/* Lowering the TPR is userspace's business (KVM). */
			if (val >= prev)
				return 1;
			vcpu->run->exit_reason = KVM_EXIT_SET_TPR;
			return 0;
		}
		}
		break;
	case CR_TYPE_MOV_FROM:
		if (cr == 3 && vtx_shadow_paging) {
			vtx_reg_write(vcpu, reg, vtx_get_cr3(vcpu));
			return vmx_skip_exit_instruction(vcpu);
		}
		if (cr == 8) {
			vtx_reg_write(vcpu, reg, vcpu->apic ?
				      vtx_apic_get_cr8(vcpu) : vcpu->cr8);
			return vmx_skip_exit_instruction(vcpu);
		}
		break;
	case CR_TYPE_LMSW: {
		unsigned long src = (qual >> LMSW_SOURCE_DATA_SHIFT) & LMSW_BITS;
		unsigned long cr0 = vtx_get_cr0(vcpu);

		/* LMSW can set PE but never clear it. */
		return set_cr0_checked(vcpu, (cr0 & ~(LMSW_BITS & ~X86_CR0_PE)) |
					     src);
	}
	}
	return vmx_internal_error(vcpu, KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON);
}

/**
 * handle_dr() - MOV to or from a debug register (always intercepted).
 * @vcpu:	the vCPU, at the exit
 *
 * DR0-DR3, DR6 and DR7 are the guest's own, kept per vCPU; the VMCS has
 * the DR7 in effect (vmx_set_dr7()).  The exit comes before the general
 * detect fault of a DR7 in effect with GD set: that #DB is made here, as
 * KVM does, for the debugger (KVM_GUESTDBG_USE_HW_BP, KVM_EXIT_DEBUG) or
 * for the guest (DR6.BD, DR7.GD cleared as the processor does).
 *
 * Return: 1 to re-enter, 0 for a KVM_EXIT_DEBUG.
 */
static int handle_dr(struct vtx_vcpu *vcpu)
{
	unsigned long qual = vmcs_readl(EXIT_QUALIFICATION);
	int dr = qual & DEBUG_REG_ACCESS_NUM;
	int reg = DEBUG_REG_ACCESS_REG(qual);
	unsigned long val;

	if (dr == 4 || dr == 5) {
		if (vcpu->cr4 & X86_CR4_DE)
			return vmx_inject_ud(vcpu);
		dr += 2;
	}
	/* the processor checks CPL first; an exit at CPL > 0 is not its */
	if (vmx_cpl(vcpu))
		return vmx_inject_gp(vcpu);
	if (vmcs_readl(GUEST_DR7) & DR7_GD) {
		if (vcpu->guest_debug & KVM_GUESTDBG_USE_HW_BP)
			return vtx_debug_exit(vcpu, X86_TRAP_DB, DR6_BD,
					      vmcs_readl(GUEST_DR7), 0);
		queue_db(vcpu, DR6_BD);
		return 1;
	}
	if ((qual & DEBUG_REG_ACCESS_TYPE) == TYPE_MOV_FROM_DR) {
		if (dr < 4)
			val = vcpu->dr[dr];
		else if (dr == 6)
			val = vcpu->dr6 | DR6_FIXED_1;
		else
			val = vcpu->dr7;
		vtx_reg_write(vcpu, reg, vmx_in_64bit_code(vcpu) ? val : (u32)val);
		return vmx_skip_exit_instruction(vcpu);
	}
	val = vtx_reg_read(vcpu, reg);
	if (!vmx_in_64bit_code(vcpu))
		val = (u32)val;
	if (dr < 4) {
		vcpu->dr[dr] = val;
	} else {
		if (val >> 32)
			return vmx_inject_gp(vcpu);
		if (dr == 6)	/* RTM reads 1: vtx guests have no RTM */
			vcpu->dr6 = (val & VTX_DR6_VOLATILE) |
				    VTX_DR6_ACTIVE_LOW;
		else
			vmx_set_dr7(vcpu, val | DR7_FIXED_1);
	}
	return vmx_skip_exit_instruction(vcpu);
}

/*
 * RDMSR and WRMSR: the VM's MSR filter, then the MSR; what vtx does not do
 * goes to userspace (KVM_CAP_X86_USER_SPACE_MSR) or becomes #GP
 * (x86/msr_filter.c).
 */
static int handle_rdmsr(struct vtx_vcpu *vcpu)
{
	u32 index = vcpu->regs[VTX_RCX];
	u64 data;
	int r;

	r = vtx_rdmsr_checked(vcpu, index, &data);
	if (unlikely(r))
		return vtx_msr_failed(vcpu, index, false, 0, r,
				      vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
	vcpu->regs[VTX_RAX] = (u32)data;
	vcpu->regs[VTX_RDX] = data >> 32;
	return vmx_skip_exit_instruction(vcpu);
}

static int handle_wrmsr(struct vtx_vcpu *vcpu)
{
	u64 data = (u32)vcpu->regs[VTX_RAX] | ((u64)vcpu->regs[VTX_RDX] << 32);
	u32 index = vcpu->regs[VTX_RCX];
	int r;

	r = vtx_wrmsr_checked(vcpu, index, data);
	if (unlikely(r))
		return vtx_msr_failed(vcpu, index, true, data, r,
				      vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
	return vmx_skip_exit_instruction(vcpu);
}

/* MONITOR, MWAIT: no-ops, or #UD (KVM_CAP_DISABLE_QUIRKS2, x86.c) */
static int handle_monitor_mwait(struct vtx_vcpu *vcpu)
{
	return vtx_monitor_mwait(vcpu, vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
}

/*
 * XSETBV (it exits only with CR4.OSXSAVE set, which a vCPU whose CPUID
 * lacks XSAVE cannot set once it has a table: the processor's #UD then):
 * #GP outside ring 0, for any XCR but XCR0 and for an XCR0 the vCPU may
 * not have (vtx_xcr0_valid(): only x87 without XSAVE in its CPUID), as
 * KVM's kvm_emulate_xsetbv().  Only a value accepted here reaches the
 * processor's XSETBV at VM entry.
 */
static int handle_xsetbv(struct vtx_vcpu *vcpu)
{
	u64 val = (u32)vcpu->regs[VTX_RAX] | ((u64)vcpu->regs[VTX_RDX] << 32);

	if (vmx_cpl(vcpu) != 0 ||
	    (u32)vcpu->regs[VTX_RCX] != XCR_XFEATURE_ENABLED_MASK ||
	    !vtx_xcr0_valid(vcpu, val))
		return vmx_inject_gp(vcpu);
	vcpu->xcr0 = val;
	return vmx_skip_exit_instruction(vcpu);
}

/*
 *  * KVM's exit for an event whose delivery (a push onto the stack, a read of
 * the IDT or GDT) touched MMIO: the instruction at RIP did not make that
 * access, so emulating it would perform another one.  The event stays
 * queued.
 */
static int delivery_error(struct vtx_vcpu *vcpu, u32 vectoring, u64 gpa,
			  unsigned long qual)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = KVM_INTERNAL_ERROR_DELIVERY_EV;
	run->internal.ndata = 4;
	run->internal.data[0] = vectoring;
	run->internal.data[1] = vcpu->exit_reason;
	run->internal.data[2] = qual;
	run->internal.data[3] = gpa;
	vcpu->complete_userspace_io = NULL;
	return 0;
}

/*
 * One srcu_read_lock(&vm->srcu) section (the memslots' read side) for the
 * fault and, outside RAM, the whole emulation of the access.
 */
static int handle_ept_violation(struct vtx_vcpu *vcpu)
{
	unsigned long qual = vmcs_readl(EXIT_QUALIFICATION);
	u64 gpa = vmcs_read64(GUEST_PHYSICAL_ADDRESS);
	int r, srcu;

	requeue_idt_vectoring(vcpu);
	srcu = srcu_read_lock(&vcpu->vm->srcu);
	r = vtx_mmu_page_fault(vcpu, gpa, qual & EPT_VIOLATION_ACC_WRITE);
	/* APICv: the xAPIC page is the APIC-access page, not a device. */
	if (r == -ENOENT && vmx_apicv_active(vcpu))
		r = vmx_apicv_map_access_page(vcpu, gpa);
	if (!r) {
		r = 1;
	} else if (r == -ENOENT || r == -EROFS) {
		/* A device, or a write to read-only memory: emulate it. */
		struct vtx_mmio_fault f = {
			.gpa = gpa,
			.write = qual & EPT_VIOLATION_ACC_WRITE,
			.linear_valid = qual & EPT_VIOLATION_GVA_IS_VALID,
			.page_walk = (qual & EPT_VIOLATION_GVA_IS_VALID) &&
				     !(qual & EPT_VIOLATION_GVA_TRANSLATED),
		};
		u32 vectoring = vmcs_read32(IDT_VECTORING_INFO_FIELD);

		if (vectoring & VECTORING_INFO_VALID_MASK) {
			r = delivery_error(vcpu, vectoring, gpa, qual);
		} else {
			if (f.linear_valid)
				f.linear = vmcs_readl(GUEST_LINEAR_ADDRESS);
			r = vtx_handle_mmio(vcpu, &f);
		}
	} else {
		pr_warn_ratelimited("guest memory at 0x%llx not accessible: %d\n",
				    gpa, r);
	}
	srcu_read_unlock(&vcpu->vm->srcu, srcu);
	return r;
}

static const vtx_exit_handler_t vtx_exit_handlers[] = {
	[EXIT_REASON_EXCEPTION_NMI]		= handle_exception_nmi,
	[EXIT_REASON_EXTERNAL_INTERRUPT]	= handle_external_interrupt,
	[EXIT_REASON_TRIPLE_FAULT]		= handle_triple_fault,
	[EXIT_REASON_INTERRUPT_WINDOW]		= handle_window,
	[EXIT_REASON_NMI_WINDOW]		= handle_window,
	[EXIT_REASON_CPUID]			= handle_cpuid,
	[EXIT_REASON_HLT]			= handle_hlt,
	[EXIT_REASON_INVD]			= vmx_skip_exit_instruction,
	[EXIT_REASON_WBINVD]			= vmx_skip_exit_instruction,
	[EXIT_REASON_RDPMC]			= vmx_inject_gp,
	[EXIT_REASON_VMCALL]			= handle_vmcall,
	[EXIT_REASON_VMCLEAR]			= vmx_inject_ud,
	[EXIT_REASON_VMLAUNCH]			= vmx_inject_ud,
	[EXIT_REASON_VMPTRLD]			= vmx_inject_ud,
	[EXIT_REASON_VMPTRST]			= vmx_inject_ud,
	[EXIT_REASON_VMREAD]			= vmx_inject_ud,
	[EXIT_REASON_VMRESUME]			= vmx_inject_ud,
	[EXIT_REASON_VMWRITE]			= vmx_inject_ud,
	[EXIT_REASON_VMOFF]			= vmx_inject_ud,
	[EXIT_REASON_VMON]			= vmx_inject_ud,
	[EXIT_REASON_CR_ACCESS]			= handle_cr,
	[EXIT_REASON_DR_ACCESS]			= handle_dr,
	[EXIT_REASON_IO_INSTRUCTION]		= handle_io,
	[EXIT_REASON_MSR_READ]			= handle_rdmsr,
	[EXIT_REASON_MSR_WRITE]			= handle_wrmsr,
	[EXIT_REASON_MWAIT_INSTRUCTION]		= handle_monitor_mwait,
	[EXIT_REASON_MONITOR_INSTRUCTION]	= handle_monitor_mwait,
	[EXIT_REASON_EPT_VIOLATION]		= handle_ept_violation,
	[EXIT_REASON_INVEPT]			= vmx_inject_ud,
	[EXIT_REASON_INVVPID]			= vmx_inject_ud,
	[EXIT_REASON_XSETBV]			= handle_xsetbv,
	[EXIT_REASON_INVLPG]			= vtx_spt_handle_invlpg,
	[EXIT_REASON_INVPCID]			= vtx_spt_handle_invpcid,
	[EXIT_REASON_PREEMPTION_TIMER]		= handle_preemption_timer,
	[EXIT_REASON_APIC_ACCESS]		= vmx_handle_apic_access,
	[EXIT_REASON_EOI_INDUCED]		= vmx_handle_eoi_induced,
	[EXIT_REASON_APIC_WRITE]		= vmx_handle_apic_write,
	[EXIT_REASON_GDTR_IDTR]			= vmx_handle_gdtr_idtr,
	[EXIT_REASON_LDTR_TR]			= vmx_handle_ldtr_tr,
};

/*
 * L1TF "cond" flushes (vmx.c): may handling this exit bring host data into
 * L1D?  Every exit but these few, handled from the vCPU's own state, sets
 * the vCPU's flag (KVM sets it on fewer: emulation, guest page-table
 * walks and writes; vtx errs toward flushing).  Host interrupts set this
 * CPU's flag in the kernel's own interrupt entry code.
 */
static bool exit_may_load_host_data(u16 basic)
{
	switch (basic) {
	case EXIT_REASON_EXTERNAL_INTERRUPT:
	case EXIT_REASON_INTERRUPT_WINDOW:
	case EXIT_REASON_NMI_WINDOW:
	case EXIT_REASON_PREEMPTION_TIMER:
	case EXIT_REASON_CPUID:
	case EXIT_REASON_INVD:
	case EXIT_REASON_WBINVD:
	case EXIT_REASON_XSETBV:
	case EXIT_REASON_DR_ACCESS:
		return false;
	default:
		return true;
	}
}

/**
 * vtx_handle_exit() - dispatch the last VM exit.
 * @vcpu:	the loaded vCPU; preemption enabled
 *
 * Return: 1 to re-enter, 0 to return to userspace, or a negative errno.
 */
int vtx_handle_exit(struct vtx_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	u32 reason = vcpu->exit_reason;
	u16 basic = (u16)reason;

	if (exit_may_load_host_data(basic))
		vmx->l1tf_flush_l1d = true;
	/*
	 * A host interrupt or tick came between two guest instructions: if
	 * the thread is preempted now, the guest may be told (x86/pv.c).
	 */
	vcpu->pv.at_boundary = basic == EXIT_REASON_EXTERNAL_INTERRUPT ||
			       basic == EXIT_REASON_PREEMPTION_TIMER;

	if (unlikely(vmx->entry_failed)) {
		if (vtx_dump_invalid_vmcs)
			vtx_dump_vmcs();
		vcpu->run->exit_reason = KVM_EXIT_FAIL_ENTRY;
		vcpu->run->fail_entry.hardware_entry_failure_reason = reason;
		vcpu->run->fail_entry.cpu = vcpu->last_cpu;
		return 0;
	}
	if (basic < ARRAY_SIZE(vtx_exit_handlers)) {
		vtx_exit_handler_t fn;

		fn = vtx_exit_handlers[array_index_nospec(basic,
				ARRAY_SIZE(vtx_exit_handlers))];
		if (fn)
			return fn(vcpu);
	}
	pr_warn_ratelimited("unhandled exit reason %u\n", basic);
	return vmx_internal_error(vcpu, KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON);
}
