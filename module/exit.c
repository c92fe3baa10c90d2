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
#include "vmcs.h"

typedef int (*vtx_exit_handler_t)(struct vtx_vcpu *vcpu);

/* Exit qualification of I/O instructions (SDM, "Exit Qualification"). */
#define IO_QUAL_SIZE_MASK	7
#define IO_QUAL_IN		BIT(3)
#define IO_QUAL_STRING		BIT(4)
#define IO_QUAL_REP		BIT(5)
#define IO_QUAL_PORT_SHIFT	16
#define VTX_QUIRK_OUT_PORT	0x7e
/* VM-exit instruction information for INS/OUTS. */
#define IO_INFO_ADDR_SHIFT	7
#define IO_INFO_SEG_SHIFT	15
#define IO_INFO_FIELD_MASK	7

/* Exit qualification of control-register accesses. */
#define CR_QUAL_NUM_MASK	0xf
#define CR_QUAL_TYPE_SHIFT	4
#define CR_QUAL_TYPE_MASK	3
#define CR_QUAL_REG_SHIFT	8
#define CR_QUAL_REG_MASK	0xf
#define CR_QUAL_LMSW_SHIFT	16
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

/* Exit qualification of debug-register accesses. */
#define DR_QUAL_NUM_MASK	7
#define DR_QUAL_FROM		BIT(4)
#define DR_QUAL_REG_SHIFT	8
#define DR_QUAL_REG_MASK	0xf
/* DR6.BD: a debug-register access was detected (SDM vol. 3, 18.2.3) */
#define DR6_BD			BIT(13)
/*
 * DR6's fixed-1 bits and its active-low ones (bit 16, RTM: 1 unless a #DB
 * happened inside a transaction, which vtx guests cannot run), as KVM's
 * DR6_ACTIVE_LOW: the DR6 of a vCPU that reports no debug event.
 */
#define VTX_DR6_ACTIVE_LOW	0xffff0ff0ul
/* What a write to DR6 can change: B0-B3, BLD, BD, BS, BT, RTM. */
#define VTX_DR6_VOLATILE	0x0001e80ful

/* Guest page-table entries. */
#define PTE_P			BIT_ULL(0)
#define PTE_W			BIT_ULL(1)
#define PTE_U			BIT_ULL(2)
#define PTE_PS			BIT_ULL(7)
#define PTE_ADDR_MASK		GENMASK_ULL(51, 12)
#define PF_ERR_PRESENT		BIT(0)
#define PF_ERR_WRITE		BIT(1)
#define PF_ERR_USER		BIT(2)

static inline unsigned long reg_read(struct vtx_vcpu *vcpu, int reg)
{
	return reg == VTX_RSP ? vmcs_readl(GUEST_RSP) : vcpu->regs[reg];
}

static inline void reg_write(struct vtx_vcpu *vcpu, int reg,
			     unsigned long val)
{
	if (reg == VTX_RSP)
		vmcs_writel(GUEST_RSP, val);
	else
		vcpu->regs[reg] = val;
}

/*
 * Write the low @bytes of a register as an instruction of that size
 * would: 32-bit writes zero the upper half, 8/16-bit ones keep it.
 */
static void reg_write_sized(struct vtx_vcpu *vcpu, int reg, u64 val,
			    int bytes)
{
	u64 old = reg_read(vcpu, reg);

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
	reg_write(vcpu, reg, val);
}

static void skip_instruction(struct vtx_vcpu *vcpu, u32 len)
{
	unsigned long rip = vtx_rip(vcpu) + len;

	/* Outside 64-bit code RIP wraps at 4 GiB; below that, no need to ask. */
	if (rip > U32_MAX && !vtx_in_64bit_code(vcpu))
		rip = (u32)rip;
	vtx_set_rip(vcpu, rip);
	vtx_clear_intr_shadow(vcpu);
}

static int skip_exit_instruction(struct vtx_vcpu *vcpu)
{
	skip_instruction(vcpu, vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
	return 1;
}

/**
 * vtx_queue_exception() - deliver an exception at the next VM entry.
 * @vcpu:	the vCPU
 * @vector:	exception vector
 * @has_error:	the exception pushes an error code (in protected mode)
 * @error_code:	the error code
 */
void vtx_queue_exception(struct vtx_vcpu *vcpu, u8 vector, bool has_error,
			 u32 error_code)
{
	u32 info = vector | INTR_TYPE_HARD_EXCEPTION | INTR_INFO_VALID_MASK;

	/* Real mode pushes no error code; VM entry checks this. */
	if (has_error && (vcpu->cr0 & X86_CR0_PE))
		info |= INTR_INFO_DELIVER_CODE_MASK;
	vcpu->event.valid = true;
	vcpu->event.info = info;
	vcpu->event.error_code = error_code;
	vcpu->event.insn_len = 0;
}

static int inject_gp_code(struct vtx_vcpu *vcpu, u32 code)
{
	vtx_queue_exception(vcpu, X86_TRAP_GP, true, code);
	return 1;
}

static int inject_gp(struct vtx_vcpu *vcpu)
{
	return inject_gp_code(vcpu, 0);
}

static int inject_ud(struct vtx_vcpu *vcpu)
{
	vtx_queue_exception(vcpu, X86_TRAP_UD, false, 0);
	return 1;
}

/**
 * vtx_interrupt_allowed() - the guest would take an external interrupt now.
 * @vcpu:	the loaded vCPU
 */
bool vtx_interrupt_allowed(struct vtx_vcpu *vcpu)
{
	return (vtx_rflags(vcpu) & X86_EFLAGS_IF) &&
	       !(vtx_intr_state(vcpu) & (GUEST_INTR_STATE_STI |
					 GUEST_INTR_STATE_MOV_SS));
}

static bool nmi_allowed(struct vtx_vcpu *vcpu)
{
	return !(vtx_intr_state(vcpu) & (GUEST_INTR_STATE_STI |
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
	u32 proc = vcpu->proc_ctl;

	proc = on ? proc | bit : proc & ~bit;
	if (proc != vcpu->proc_ctl) {
		vcpu->proc_ctl = proc;
		vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, proc);
	}
}

/* @info (VM-entry interruption information) is a fault-class exception. */
static bool exception_is_fault(u32 info)
{
	u32 vector = info & INTR_INFO_VECTOR_MASK;

	if ((info & INTR_INFO_INTR_TYPE_MASK) != INTR_TYPE_HARD_EXCEPTION)
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
	bool want_irq_window;

	if (ev->valid) {
		/*
		 * A fault pushes RFLAGS with RF set, so that the handler's
		 * IRET does not meet an instruction breakpoint again; VM
		 * entry does not do it for an injected event.  Not for #DB
		 * (code breakpoints and general detect leave RF alone),
		 * traps (#BP, #OF) or aborts (#DF, #MC), as in KVM.
		 */
		if (exception_is_fault(ev->info))
			vtx_set_rflags(vcpu, vtx_rflags(vcpu) | X86_EFLAGS_RF);
		vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, ev->info);
		/*
		 * VM entry refuses bits 31:16 of the error code (they do
		 * not exist on Intel): drop them, as KVM does, rather than
		 * fail every entry.
		 */
		if (ev->info & INTR_INFO_DELIVER_CODE_MASK)
			vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE,
				     (u16)ev->error_code);
		if (ev->insn_len)
			vmcs_write32(VM_ENTRY_INSTRUCTION_LEN, ev->insn_len);
		/* Cut short by an exit, IDT-vectoring queues it again. */
		ev->valid = false;
	} else if (vcpu->nmi_pending && nmi_allowed(vcpu)) {
		vcpu->nmi_pending--;
		vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, NMI_VECTOR |
			     INTR_TYPE_NMI_INTR | INTR_INFO_VALID_MASK);
	} else if (vcpu->irq_pending &&
		   !(vtx_intr_state(vcpu) & (GUEST_INTR_STATE_STI |
					     GUEST_INTR_STATE_MOV_SS))) {
		/*
		 * As KVM: KVM_INTERRUPT queues an interrupt as already
		 * accepted; it goes in at the next entry whatever RFLAGS.IF
		 * (userspace waits for ready_for_interrupt_injection).
		 */
		vcpu->irq_pending = false;
		vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, vcpu->irq_vector |
			     INTR_TYPE_EXT_INTR | INTR_INFO_VALID_MASK);
	}

	want_irq_window = vcpu->irq_pending ||
			  READ_ONCE(vcpu->run->request_interrupt_window);
	set_window_exiting(vcpu, CPU_BASED_INTR_WINDOW_EXITING,
			   want_irq_window);
	if (vtx_caps.pin & PIN_BASED_VIRTUAL_NMIS)
		set_window_exiting(vcpu, CPU_BASED_NMI_WINDOW_EXITING,
				   vcpu->nmi_pending);
}

/*
 * An exit during event delivery (an EPT violation on the IDT or stack, an
 * interrupt, an NMI) leaves the event in IDT-vectoring information; queue
 * it again so that the guest does not lose it.
 */
static void requeue_idt_vectoring(struct vtx_vcpu *vcpu)
{
	u32 info = vmcs_read32(IDT_VECTORING_INFO_FIELD);
	u32 type;

	if (!(info & VECTORING_INFO_VALID_MASK))
		return;
	type = info & VECTORING_INFO_TYPE_MASK;
	vcpu->event.valid = true;
	vcpu->event.info = info & (VECTORING_INFO_VECTOR_MASK |
				   VECTORING_INFO_TYPE_MASK |
				   VECTORING_INFO_DELIVER_CODE_MASK |
				   VECTORING_INFO_VALID_MASK);
	vcpu->event.error_code = (info & VECTORING_INFO_DELIVER_CODE_MASK) ?
				 vmcs_read32(IDT_VECTORING_ERROR_CODE) : 0;
	vcpu->event.insn_len = 0;
	if (type == INTR_TYPE_SOFT_INTR || type == INTR_TYPE_SOFT_EXCEPTION ||
	    type == INTR_TYPE_PRIV_SW_EXCEPTION)
		vcpu->event.insn_len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
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

static int internal_error(struct vtx_vcpu *vcpu, u32 suberror)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	run->internal.ndata = 2;
	run->internal.data[0] = vcpu->exit_reason;
	run->internal.data[1] = vcpu->last_cpu;
	return 0;
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
	if (vector == X86_TRAP_DB) {
		unsigned long bits = vmcs_readl(EXIT_QUALIFICATION) &
				     (DR_TRAP_BITS | DR6_BD | DR_STEP);

		/*
		 * The guest's DR6 says why (vtx keeps DR6 per vCPU): B0-B3
		 * replaced, BD and BS added, the active-low bits (RTM) at 1
		 * as the processor leaves them outside a transaction.
		 */
		vcpu->dr6 = (vcpu->dr6 & ~DR_TRAP_BITS) | bits |
			    VTX_DR6_ACTIVE_LOW;
		vtx_queue_exception(vcpu, X86_TRAP_DB, false, 0);
		/* ICEBP (INT1) is re-injected as what it was, with its length. */
		if (type == INTR_TYPE_PRIV_SW_EXCEPTION) {
			vcpu->event.info = X86_TRAP_DB | INTR_TYPE_PRIV_SW_EXCEPTION |
					   INTR_INFO_VALID_MASK;
			vcpu->event.insn_len =
				vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
		}
		return 1;
	}
	pr_warn_ratelimited("unexpected exception exit, info 0x%x\n", info);
	return internal_error(vcpu, KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON);
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
	    vtx_cpl(vcpu))
		return inject_gp(vcpu);
	vtx_cpuid_lookup(vcpu, vcpu->regs[VTX_RAX], vcpu->regs[VTX_RCX], regs);
	vcpu->regs[VTX_RAX] = regs[0];
	vcpu->regs[VTX_RBX] = regs[1];
	vcpu->regs[VTX_RCX] = regs[2];
	vcpu->regs[VTX_RDX] = regs[3];
	return skip_exit_instruction(vcpu);
}

static int handle_hlt(struct vtx_vcpu *vcpu)
{
	skip_exit_instruction(vcpu);
	vcpu->run->exit_reason = KVM_EXIT_HLT;
	return 0;
}

/*
 * VMCALL with KVM's convention: RAX = number, RBX, RCX, RDX, RSI = args,
 * result in RAX.  Numbers userspace claimed with KVM_CAP_EXIT_HYPERCALL
 * exit as KVM_EXIT_HYPERCALL; the rest get -KVM_ENOSYS (-KVM_EPERM from
 * CPL > 0), since vtx implements no hypercall in the kernel.
 */
static int handle_vmcall(struct vtx_vcpu *vcpu)
{
	unsigned long nr = vcpu->regs[VTX_RAX], ret = -KVM_ENOSYS;
	bool longmode = vtx_in_64bit_code(vcpu);
	struct kvm_run *run = vcpu->run;

	if (!longmode)
		nr = (u32)nr;
	if (vtx_cpl(vcpu) != 0) {
		ret = -KVM_EPERM;
	} else if (nr < BITS_PER_LONG &&
		   (READ_ONCE(vcpu->vm->hypercall_exits) & BIT_ULL(nr))) {
		run->exit_reason = KVM_EXIT_HYPERCALL;
		run->hypercall.nr = nr;
		run->hypercall.args[0] = vcpu->regs[VTX_RBX];
		run->hypercall.args[1] = vcpu->regs[VTX_RCX];
		run->hypercall.args[2] = vcpu->regs[VTX_RDX];
		run->hypercall.args[3] = vcpu->regs[VTX_RSI];
		if (!longmode) {
			int i;

			for (i = 0; i < 4; i++)
				run->hypercall.args[i] =
					(u32)run->hypercall.args[i];
		}
		run->hypercall.args[4] = 0;
		run->hypercall.args[5] = 0;
		run->hypercall.ret = 0;
		vtx_set_hypercall_longmode(run, longmode);
		vcpu->pio.kind = VTX_IO_HYPERCALL;
		vcpu->pio.insn_len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
		return 0;
	}
	if (!longmode)
		ret = (u32)ret;
	vcpu->regs[VTX_RAX] = ret;
	return skip_exit_instruction(vcpu);
}

/* Guest page-table walk. */

/**
 * vtx_gva_to_gpa() - translate a guest linear address with the guest's paging.
 * @vcpu:	the vCPU
 * @gva:	linear address
 * @write:	the access writes
 * @gpa:	result
 * @pf_error:	#PF error code when the walk fails
 *
 * The accesses vtx makes for the guest (the emulator's memory operands and
 * stack, string I/O) are checked as the processor checks them: at CPL 3
 * every level must allow user access, and a write needs every level
 * writable at CPL 3 or with CR0.WP.  Not checked: reserved bits, SMAP and
 * the execute-disable bit (vtx fetches only instructions the processor
 * already fetched); accessed and dirty bits are not set.
 *
 * Return: 0, -EAGAIN for a guest page fault (*@pf_error set), -EFAULT when
 * a table lies outside guest RAM.
 */
int vtx_gva_to_gpa(struct vtx_vcpu *vcpu, u64 gva, bool write, u64 *gpa,
		   u32 *pf_error)
{
	u64 table, entry = 0, size, allowed = PTE_W | PTE_U;
	int levels, level, shift;
	bool pae = vcpu->cr4 & X86_CR4_PAE;
	bool user = vtx_cpl(vcpu) == 3;

	if (!(vcpu->cr0 & X86_CR0_PG)) {
		*gpa = gva;
		return 0;
	}
	*pf_error = (write ? PF_ERR_WRITE : 0) | (user ? PF_ERR_USER : 0);
	table = vmcs_readl(GUEST_CR3);
	if (vtx_is_long_mode(vcpu)) {
		levels = 4;
	} else if (pae) {
		entry = vmcs_read64(GUEST_PDPTR0 + ((gva >> 30) & 3) * 2);
		if (!(entry & PTE_P))
			return -EAGAIN;
		table = entry;
		levels = 2;
	} else {
		levels = 2;
	}
	for (level = levels; level >= 1; level--) {
		int r;

		if (pae || vtx_is_long_mode(vcpu)) {
			shift = 12 + 9 * (level - 1);
			r = vtx_read_guest_phys(vcpu->vm,
						(table & PTE_ADDR_MASK) +
						((gva >> shift) & 0x1ff) * 8,
						&entry, 8);
		} else {
			u32 e32;

			shift = 12 + 10 * (level - 1);
			r = vtx_read_guest_phys(vcpu->vm,
						(table & 0xfffff000) +
						((gva >> shift) & 0x3ff) * 4,
						&e32, 4);
			entry = e32;
		}
		if (r)
			return r;
		if (!(entry & PTE_P))
			return -EAGAIN;
		allowed &= entry;
		if (level > 1 && (entry & PTE_PS) &&
		    level < 4 && (pae || vtx_is_long_mode(vcpu) ||
				    (vcpu->cr4 & X86_CR4_PSE)))
			break;
		table = entry;
	}
	if (level < 1)
		level = 1;
	if ((user && !(allowed & PTE_U)) ||
	    (write && !(allowed & PTE_W) &&
	     (user || (vcpu->cr0 & X86_CR0_WP)))) {
		*pf_error |= PF_ERR_PRESENT;
		return -EAGAIN;
	}
	size = 1ull << shift;
	if (!pae && !vtx_is_long_mode(vcpu) && level == 2)
		*gpa = (entry & 0xffc00000) + (gva & (size - 1));
	else
		*gpa = (entry & PTE_ADDR_MASK & ~(size - 1)) + (gva & (size - 1));
	return 0;
}

static int guest_virt_copy(struct vtx_vcpu *vcpu, u64 gva, void *buf,
			   unsigned int len, bool write, bool inject)
{
	while (len) {
		unsigned int n = min_t(unsigned int, len,
				       PAGE_SIZE - offset_in_page(gva));
		u32 pf_error;
		u64 gpa;
		int r;

		r = vtx_gva_to_gpa(vcpu, gva, write, &gpa, &pf_error);
		if (r == -EAGAIN && inject) {
			vcpu->cr2 = gva;
			vtx_queue_exception(vcpu, X86_TRAP_PF, true, pf_error);
			return r;
		}
		if (!r)
			r = write ? vtx_write_guest_phys(vcpu->vm, gpa, buf, n) :
				    vtx_read_guest_phys(vcpu->vm, gpa, buf, n);
		if (r)
			return r;
		gva += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/**
 * vtx_guest_virt_copy() - copy between guest linear memory and a buffer.
 * @vcpu:	the loaded vCPU
 * @gva:	linear address
 * @buf:	kernel buffer
 * @len:	bytes
 * @write:	copy @buf to the guest instead of from it
 *
 * Return: 0; -EAGAIN after queueing the guest's #PF; -EFAULT when an
 * address is not guest RAM.
 */
int vtx_guest_virt_copy(struct vtx_vcpu *vcpu, u64 gva, void *buf,
			unsigned int len, bool write)
{
	return guest_virt_copy(vcpu, gva, buf, len, write, true);
}

/* The same for a read that may fail without the guest noticing. */
int vtx_guest_virt_copy_quiet(struct vtx_vcpu *vcpu, u64 gva, void *buf,
			      unsigned int len)
{
	return guest_virt_copy(vcpu, gva, buf, len, false, false);
}

/* Port I/O */

static void fill_io_exit(struct vtx_vcpu *vcpu, u32 count)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = vcpu->pio.in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = vcpu->pio.size;
	run->io.port = vcpu->pio.port;
	run->io.count = count;
	run->io.data_offset = VTX_PIO_PAGE_OFFSET * PAGE_SIZE;
}

/* One element of a string I/O instruction whose memory is a device. */
static void fill_str_mmio_exit(struct vtx_vcpu *vcpu, bool write)
{
	struct kvm_run *run = vcpu->run;
	struct vtx_pio *pio = &vcpu->pio;

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = pio->mmio_gpa;
	run->mmio.len = pio->size;
	run->mmio.is_write = write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (write)
		memcpy(run->mmio.data, vcpu->pio_data, pio->size);
}

/*
 * Is the memory operand of a string I/O instruction outside RAM?  Then
 * it is done one element at a time with an MMIO exit for it, as KVM's
 * emulator does.  A linear address that does not translate is left to
 * vtx_guest_virt_copy(), which queues the #PF.
 */
static bool str_io_to_mmio(struct vtx_vcpu *vcpu, struct vtx_pio *pio)
{
	u32 pf_error;
	u64 gpa;

	if (vtx_gva_to_gpa(vcpu, pio->gva, pio->in, &gpa, &pf_error) ||
	    vtx_gpa_is_ram(vcpu->vm, gpa))
		return false;
	pio->mmio_gpa = gpa;
	return true;
}

static u64 seg_base_for(struct vtx_vcpu *vcpu, int seg)
{
	/* In 64-bit mode only FS and GS have a base. */
	if (vtx_in_64bit_code(vcpu) && seg != VTX_SREG_FS && seg != VTX_SREG_GS)
		return 0;
	return vmcs_readl(GUEST_ES_BASE + seg * 2);
}

static u64 addr_mask(int bytes)
{
	return bytes == 8 ? ~0ull : (1ull << (bytes * 8)) - 1;
}

/*
 * INS/OUTS, with or without REP.  Each exit moves at most a page of data
 * and stays within one guest page; the instruction is re-executed until
 * RCX reaches zero, so a long REP string takes several exits.
 */
static int handle_string_io(struct vtx_vcpu *vcpu)
{
	struct vtx_pio *pio = &vcpu->pio;
	u32 info = vmcs_read32(VMX_INSTRUCTION_INFO);
	int addr_sz = 2 << ((info >> IO_INFO_ADDR_SHIFT) & IO_INFO_FIELD_MASK);
	u64 mask = addr_mask(addr_sz), index, count, room;
	int r;

	if (!(vtx_caps.basic & VMX_BASIC_INOUT))
		return internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION);

	pio->addr_bytes = addr_sz;
	pio->seg = pio->in ? VTX_SREG_ES :
			     (info >> IO_INFO_SEG_SHIFT) & IO_INFO_FIELD_MASK;
	pio->down = vtx_rflags(vcpu) & X86_EFLAGS_DF;
	count = pio->rep ? vcpu->regs[VTX_RCX] & mask : 1;
	if (!count)
		return skip_exit_instruction(vcpu);

	index = vcpu->regs[pio->in ? VTX_RDI : VTX_RSI] & mask;
	pio->gva = seg_base_for(vcpu, pio->seg) + index;
	if (!vtx_in_64bit_code(vcpu))
		pio->gva = (u32)pio->gva;

	/* Elements until the end (or start, DF=1) of the guest page. */
	if (pio->down)
		room = offset_in_page(pio->gva) / pio->size + 1;
	else
		room = (PAGE_SIZE - offset_in_page(pio->gva)) / pio->size;
	pio->count = min3(count, room ? room : 1,
			  (u64)(PAGE_SIZE / pio->size));
	if (pio->down && pio->count > 1) {
		/* Keep it simple: one element per exit going downwards. */
		pio->count = 1;
	}
	pio->insn_len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
	pio->kind = VTX_IO_STR;
	pio->mmio = str_io_to_mmio(vcpu, pio);
	if (pio->mmio) {
		pio->count = 1;
		if (!pio->in) {
			/* OUTS from a device: read the element first. */
			pio->kind = VTX_IO_STR_MMIO_READ;
			fill_str_mmio_exit(vcpu, false);
			return 0;
		}
	} else if (!pio->in) {
		r = vtx_guest_virt_copy(vcpu, pio->gva, vcpu->pio_data,
					pio->count * pio->size, false);
		if (r) {
			pio->kind = VTX_IO_NONE;
			return r == -EAGAIN ? 1 : r;
		}
	}
	fill_io_exit(vcpu, pio->count);
	return 0;
}

static int handle_io(struct vtx_vcpu *vcpu)
{
	unsigned long qual = vmcs_readl(EXIT_QUALIFICATION);
	struct vtx_pio *pio = &vcpu->pio;

	pio->size = (qual & IO_QUAL_SIZE_MASK) + 1;
	pio->in = qual & IO_QUAL_IN;
	pio->rep = qual & IO_QUAL_REP;
	pio->port = qual >> IO_QUAL_PORT_SHIFT;

	if (qual & IO_QUAL_STRING)
		return handle_string_io(vcpu);

	pio->insn_len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
	if (pio->in) {
		pio->kind = VTX_IO_PIO_IN;
	} else {
		if (vtx_ioeventfd_signal(vcpu->vm, true, pio->port, pio->size,
					 vcpu->regs[VTX_RAX]))
			return skip_exit_instruction(vcpu);
		pio->kind = VTX_IO_PIO_OUT;
		memcpy(vcpu->pio_data, &vcpu->regs[VTX_RAX], pio->size);
		/*
		 * KVM's default quirk KVM_X86_QUIRK_OUT_7E_INC_RIP: an OUT to
		 * port 0x7e reaches userspace with RIP already past it.
		 */
		if (pio->port == VTX_QUIRK_OUT_PORT) {
			skip_instruction(vcpu, pio->insn_len);
			pio->insn_len = 0;
		}
	}
	fill_io_exit(vcpu, 1);
	return 0;
}

/**
 * vtx_complete_userspace_io() - finish the I/O instruction of the last
 * exit, with what userspace left in the data page.
 * @vcpu:	the loaded vCPU, at the start of KVM_RUN
 *
 * Return: 1 to run the guest, 0 when a further exit to userspace follows
 * (string I/O with MMIO memory), or a negative errno.
 */
int vtx_complete_userspace_io(struct vtx_vcpu *vcpu)
{
	struct vtx_pio *pio = &vcpu->pio;
	enum vtx_pending_io kind = pio->kind;
	u64 mask, delta;
	int r;

	pio->kind = VTX_IO_NONE;
	switch (kind) {
	case VTX_IO_PIO_IN: {
		u64 val = 0;

		memcpy(&val, vcpu->pio_data, pio->size);
		reg_write_sized(vcpu, VTX_RAX, val, pio->size);
		fallthrough;
	}
	case VTX_IO_PIO_OUT:
		skip_instruction(vcpu, pio->insn_len);
		return 1;
	case VTX_IO_HYPERCALL:
		vcpu->regs[VTX_RAX] = vtx_in_64bit_code(vcpu) ? vcpu->run->hypercall.ret :
			(u32)vcpu->run->hypercall.ret;
		skip_instruction(vcpu, pio->insn_len);
		return 1;
	case VTX_IO_MMIO:
	case VTX_IO_MMIO_NEXT:
		pio->kind = kind;
		return vtx_complete_mmio(vcpu);
	case VTX_IO_STR_MMIO_READ:
		/* The element came from the device: now the OUT. */
		memcpy(vcpu->pio_data, vcpu->run->mmio.data, pio->size);
		pio->kind = VTX_IO_STR;
		fill_io_exit(vcpu, 1);
		return 0;
	case VTX_IO_STR:
		if (pio->in && pio->mmio) {
			/* The port's element goes to the device. */
			pio->kind = VTX_IO_STR_MMIO_WRITE;
			fill_str_mmio_exit(vcpu, true);
			return 0;
		}
		break;
	case VTX_IO_STR_MMIO_WRITE:
		break;
	default:
		return 1;
	}

	if (pio->in && !pio->mmio) {
		r = vtx_guest_virt_copy(vcpu, pio->gva, vcpu->pio_data,
					pio->count * pio->size, true);
		if (r == -EAGAIN)
			return 1;	/* #PF queued, instruction not done */
		if (r)
			return r;
	}
	mask = addr_mask(pio->addr_bytes);
	delta = (u64)pio->count * pio->size;
	if (pio->down)
		delta = -delta;
	if (pio->in)
		reg_write_sized(vcpu, VTX_RDI, vcpu->regs[VTX_RDI] + delta,
				pio->addr_bytes);
	else
		reg_write_sized(vcpu, VTX_RSI, vcpu->regs[VTX_RSI] + delta,
				pio->addr_bytes);
	if (pio->rep) {
		u64 left = ((vcpu->regs[VTX_RCX] & mask) - pio->count) & mask;

		reg_write_sized(vcpu, VTX_RCX, left, pio->addr_bytes);
		if (left)
			return 1;	/* re-execute for the rest */
	}
	skip_instruction(vcpu, pio->insn_len);
	return 1;
}

/* Control registers */

/* The mode a CR0/CR4 value pair gives uses PAE paging outside long mode. */
static bool pae_legacy_paging(struct vtx_vcpu *vcpu, unsigned long cr0,
			      unsigned long cr4)
{
	return (cr0 & X86_CR0_PG) && (cr4 & X86_CR4_PAE) &&
	       !(vcpu->efer & EFER_LME);
}

/* MOV to CR0 / LMSW, with the checks the processor leaves to the VMM. */
static int set_cr0_checked(struct vtx_vcpu *vcpu, unsigned long val)
{
	unsigned long old = vtx_get_cr0(vcpu);
	bool pg_on = !(old & X86_CR0_PG) && (val & X86_CR0_PG);
	bool pg_off = (old & X86_CR0_PG) && !(val & X86_CR0_PG);

	if (val >> 32)
		return inject_gp(vcpu);
	/* As KVM: ET always reads 1, the other reserved bits 0. */
	val = (val | X86_CR0_ET) & VTX_CR0_DEFINED;
	if ((val & X86_CR0_NW) && !(val & X86_CR0_CD))
		return inject_gp(vcpu);
	if ((val & X86_CR0_PG) && !(val & X86_CR0_PE))
		return inject_gp(vcpu);
	if (pg_on && (vcpu->efer & EFER_LME) &&
	    (!(vcpu->cr4 & X86_CR4_PAE) || vtx_in_64bit_code(vcpu)))
		return inject_gp(vcpu);
	if (pg_off && vtx_in_64bit_code(vcpu))
		return inject_gp(vcpu);
	/* Reading the PDPTEs can fail: do it before changing anything. */
	if (pae_legacy_paging(vcpu, val, vcpu->cr4) &&
	    (pg_on || ((old ^ val) & (X86_CR0_CD | X86_CR0_NW))) &&
	    vtx_load_pdptrs(vcpu))
		return inject_gp(vcpu);

	if (pg_on && (vcpu->efer & EFER_LME))
		vtx_set_efer(vcpu, vcpu->efer | EFER_LMA);
	else if (pg_off && (vcpu->efer & EFER_LMA))
		vtx_set_efer(vcpu, vcpu->efer & ~EFER_LMA);
	vtx_set_cr0(vcpu, val);
	vtx_flush_guest_tlb(vcpu);
	return skip_exit_instruction(vcpu);
}

static int set_cr4_checked(struct vtx_vcpu *vcpu, unsigned long val)
{
	if (!vtx_cr4_valid(vcpu, val))
		return inject_gp(vcpu);
	if (vtx_is_long_mode(vcpu) && !(val & X86_CR4_PAE))
		return inject_gp(vcpu);
	/*
	 * PCIDE may be set only in IA-32e mode with CR3[11:0] = 0; in the
	 * VMCS of a 32-bit guest it fails every VM entry.
	 */
	if ((val & X86_CR4_PCIDE) && !(vcpu->cr4 & X86_CR4_PCIDE) &&
	    (!vtx_is_long_mode(vcpu) ||
	     (vmcs_readl(GUEST_CR3) & X86_CR3_PCID_MASK)))
		return inject_gp(vcpu);
	if (pae_legacy_paging(vcpu, vcpu->cr0, val) &&
	    ((val ^ vcpu->cr4) & (X86_CR4_PAE | X86_CR4_PGE | X86_CR4_PSE |
				  X86_CR4_SMEP)) &&
	    vtx_load_pdptrs(vcpu))
		return inject_gp(vcpu);
	vtx_set_cr4(vcpu, val);
	vtx_flush_guest_tlb(vcpu);
	return skip_exit_instruction(vcpu);
}

static int handle_cr(struct vtx_vcpu *vcpu)
{
	unsigned long qual = vmcs_readl(EXIT_QUALIFICATION);
	int cr = qual & CR_QUAL_NUM_MASK;
	int type = (qual >> CR_QUAL_TYPE_SHIFT) & CR_QUAL_TYPE_MASK;
	int reg = (qual >> CR_QUAL_REG_SHIFT) & CR_QUAL_REG_MASK;
	unsigned long val = reg_read(vcpu, reg);

	if (!vtx_in_64bit_code(vcpu))
		val = (u32)val;

	switch (type) {
	case CR_TYPE_MOV_TO:
		switch (cr) {
		case 0:
			return set_cr0_checked(vcpu, val);
		case 4:
			return set_cr4_checked(vcpu, val);
		case 8: {
			unsigned long prev = vcpu->cr8;

			if (val & ~0xful)
				return inject_gp(vcpu);
			vcpu->cr8 = val;
			skip_exit_instruction(vcpu);
			/* Lowering the TPR is userspace's business (KVM). */
			if (val >= prev)
				return 1;
			vcpu->run->exit_reason = KVM_EXIT_SET_TPR;
			return 0;
		}
		}
		break;
	case CR_TYPE_MOV_FROM:
		if (cr == 8) {
			reg_write(vcpu, reg, vcpu->cr8);
			return skip_exit_instruction(vcpu);
		}
		break;
	case CR_TYPE_LMSW: {
		unsigned long src = (qual >> CR_QUAL_LMSW_SHIFT) & LMSW_BITS;
		unsigned long cr0 = vtx_get_cr0(vcpu);

		/* LMSW can set PE but never clear it. */
		return set_cr0_checked(vcpu, (cr0 & ~(LMSW_BITS & ~X86_CR0_PE)) |
					     src);
	}
	}
	return internal_error(vcpu, KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON);
}

/* Debug registers: DR0-3 and DR6 are kept per vCPU, DR7 in the VMCS. */
static int handle_dr(struct vtx_vcpu *vcpu)
{
	unsigned long qual = vmcs_readl(EXIT_QUALIFICATION);
	int dr = qual & DR_QUAL_NUM_MASK;
	int reg = (qual >> DR_QUAL_REG_SHIFT) & DR_QUAL_REG_MASK;
	unsigned long val;

	if (dr == 4 || dr == 5) {
		if (vcpu->cr4 & X86_CR4_DE)
			return inject_ud(vcpu);
		dr += 2;
	}
	if (qual & DR_QUAL_FROM) {
		if (dr < 4)
			val = vcpu->dr[dr];
		else if (dr == 6)
			val = vcpu->dr6 | DR6_FIXED_1;
		else
			val = vmcs_readl(GUEST_DR7);
		reg_write(vcpu, reg, vtx_in_64bit_code(vcpu) ? val : (u32)val);
		return skip_exit_instruction(vcpu);
	}
	val = reg_read(vcpu, reg);
	if (!vtx_in_64bit_code(vcpu))
		val = (u32)val;
	if (dr < 4) {
		vcpu->dr[dr] = val;
	} else {
		if (val >> 32)
			return inject_gp(vcpu);
		if (dr == 6)	/* RTM reads 1: vtx guests have no RTM */
			vcpu->dr6 = (val & VTX_DR6_VOLATILE) |
				    VTX_DR6_ACTIVE_LOW;
		else
			vtx_set_dr7(vcpu, val | DR7_FIXED_1);
	}
	return skip_exit_instruction(vcpu);
}

static int handle_rdmsr(struct vtx_vcpu *vcpu)
{
	u64 data;

	if (vtx_get_msr(vcpu, vcpu->regs[VTX_RCX], &data))
		return inject_gp(vcpu);
	vcpu->regs[VTX_RAX] = (u32)data;
	vcpu->regs[VTX_RDX] = data >> 32;
	return skip_exit_instruction(vcpu);
}

static int handle_wrmsr(struct vtx_vcpu *vcpu)
{
	u64 data = (u32)vcpu->regs[VTX_RAX] | ((u64)vcpu->regs[VTX_RDX] << 32);

	if (vtx_set_msr(vcpu, vcpu->regs[VTX_RCX], data, false))
		return inject_gp(vcpu);
	return skip_exit_instruction(vcpu);
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

	if (vtx_cpl(vcpu) != 0 ||
	    (u32)vcpu->regs[VTX_RCX] != XCR_XFEATURE_ENABLED_MASK ||
	    !vtx_xcr0_valid(vcpu, val))
		return inject_gp(vcpu);
	vcpu->xcr0 = val;
	return skip_exit_instruction(vcpu);
}

static int handle_ept_violation(struct vtx_vcpu *vcpu)
{
	unsigned long qual = vmcs_readl(EXIT_QUALIFICATION);
	u64 gpa = vmcs_read64(GUEST_PHYSICAL_ADDRESS);
	int r;

	requeue_idt_vectoring(vcpu);
	r = vtx_mmu_page_fault(vcpu, gpa, qual & EPT_VIOLATION_ACC_WRITE);
	if (!r)
		return 1;
	if (r == -ENOENT || r == -EROFS) {
		/* A device, or a write to read-only memory: emulate it. */
		return vtx_handle_mmio(vcpu, gpa, qual);
	}
	pr_warn_ratelimited("guest memory at 0x%llx not accessible: %d\n",
			    gpa, r);
	return r;
}

/*
 * Descriptor-table exits: UMIP emulated on a processor without it.
 *
 * While the guest's CR4.UMIP is set, vtx turns on descriptor-table exiting
 * (vtx_update_proc2()) and every LGDT, LIDT, LLDT, LTR, SGDT, SIDT, SLDT and
 * STR exits here.  A store (SGDT, SIDT, SLDT, STR) at CPL > 0 gets #GP(0),
 * which is what UMIP does; everything else is done here from the VM-exit
 * instruction information, as the processor would.  The loads need no CPL
 * check: at CPL > 0 they raise #GP before any VM exit.  SMSW, also covered
 * by UMIP, has no exit and is not covered, as with KVM's emulated UMIP.
 */

/* VM-exit instruction information of descriptor-table exits (SDM 28.2.5). */
#define DT_INFO_SCALE(i)	((i) & 3)
#define DT_INFO_REG1(i)		(((i) >> 3) & 0xf)
#define DT_INFO_ADDR_SIZE(i)	(((i) >> 7) & 7)
#define DT_INFO_REG_OPERAND	BIT(10)
#define DT_INFO_OPERAND_32	BIT(11)
#define DT_INFO_SEG(i)		(((i) >> 15) & 7)
#define DT_INFO_INDEX(i)	(((i) >> 18) & 0xf)
#define DT_INFO_NO_INDEX	BIT(22)
#define DT_INFO_BASE(i)		(((i) >> 23) & 0xf)
#define DT_INFO_NO_BASE		BIT(27)
#define DT_INFO_ID(i)		(((i) >> 28) & 3)
#define DT_ADDR_16		0
#define DT_ADDR_32		1
/* Instruction identities: GDTR_IDTR exits, then LDTR_TR exits. */
#define DT_SGDT			0
#define DT_SIDT			1
#define DT_LGDT			2
#define DT_LIDT			3
#define DT_SLDT			0
#define DT_STR			1
#define DT_LLDT			2
#define DT_LTR			3
/* Bytes of a descriptor-table register in memory: limit, then base. */
#define DT_LIMIT_BYTES		2
#define DT_BASE24_MASK		0xffffffull
/* Segment selectors and system descriptors. */
#define SEL_TI			BIT(2)
#define SEL_RPL_MASK		3
#define SEL_INDEX_MASK		(~7u & 0xffff)
#define DESC_BYTES		8
#define DESC_TSS_BUSY		BIT(1)
#define DESC_TSS_16_AVAIL	1
#define DESC_TYPE_BYTE		5	/* byte of the type, S, DPL and P */
/* Legacy prefixes that may precede SLDT/STR, and REX. */
#define PFX_OPSIZE		0x66
#define TWO_BYTE_OPCODE		0x0f
#define REX_MASK		0xf0
#define REX_BASE		0x40
#define REX_W			BIT(3)

/*
 * The helpers below return 0, -EAGAIN once they queued the guest's
 * exception (the handler re-enters), or -EFAULT for what is not emulated
 * (a descriptor table outside RAM): dt_stop() turns that into the
 * handler's result.
 */
static int dt_stop(struct vtx_vcpu *vcpu, int r)
{
	if (r == -EAGAIN)
		return 1;
	return internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION);
}

static int dt_fault(struct vtx_vcpu *vcpu, u8 vector, u32 code)
{
	vtx_queue_exception(vcpu, vector, true, code);
	return -EAGAIN;
}

/* The linear address of the memory operand, with protected-mode checks. */
static int dt_operand(struct vtx_vcpu *vcpu, u32 info, unsigned int len,
		      bool write, u64 *linear)
{
	int seg = DT_INFO_SEG(info), asz = DT_INFO_ADDR_SIZE(info);
	u8 fault = seg == VTX_SREG_SS ? X86_TRAP_SS : X86_TRAP_GP;
	u64 off = vmcs_readl(EXIT_QUALIFICATION);
	u32 ar, limit;

	if (!(info & DT_INFO_NO_BASE))
		off += reg_read(vcpu, DT_INFO_BASE(info));
	if (!(info & DT_INFO_NO_INDEX))
		off += (u64)reg_read(vcpu, DT_INFO_INDEX(info)) <<
		       DT_INFO_SCALE(info);
	if (asz == DT_ADDR_16)
		off &= U16_MAX;
	else if (asz == DT_ADDR_32)
		off &= U32_MAX;

	if (vtx_in_64bit_code(vcpu)) {
		*linear = seg_base_for(vcpu, seg) + off;
		if (!__is_canonical_address(*linear, VTX_GPA_BITS) ||
		    !__is_canonical_address(*linear + len - 1, VTX_GPA_BITS))
			return dt_fault(vcpu, fault, 0);
		return 0;
	}
	ar = vmcs_read32(GUEST_ES_AR_BYTES + seg * 2);
	limit = vmcs_read32(GUEST_ES_LIMIT + seg * 2);
	if (vcpu->cr0 & X86_CR0_PE) {
		bool code = ar & VMX_AR_TYPE_CODE_MASK;

		/*
		 * Unusable segment; a write to code or read-only data; a
		 * read of execute-only code.  Expand-down data segments are
		 * not limit-checked here.
		 */
		if ((ar & VMX_AR_UNUSABLE_MASK) ||
		    (write && (code || !(ar & VMX_AR_TYPE_READABLE_MASK))) ||
		    (!write && code && !(ar & VMX_AR_TYPE_READABLE_MASK)))
			return dt_fault(vcpu, fault, 0);
		if (!code && (ar & VMX_AR_TYPE_WRITEABLE_MASK))
			limit = U32_MAX;
	}
	if (off + len - 1 > limit)
		return dt_fault(vcpu, fault, 0);
	*linear = (u32)(vmcs_readl(GUEST_ES_BASE + seg * 2) + off);
	return 0;
}

/* SGDT, SIDT, LGDT, LIDT. */
static int handle_gdtr_idtr(struct vtx_vcpu *vcpu)
{
	u32 info = vmcs_read32(VMX_INSTRUCTION_INFO);
	int id = DT_INFO_ID(info);
	bool store = id == DT_SGDT || id == DT_SIDT;
	bool gdt = id == DT_SGDT || id == DT_LGDT;
	bool is64 = vtx_in_64bit_code(vcpu);
	unsigned int nbase = is64 ? sizeof(u64) : sizeof(u32);
	unsigned int len = DT_LIMIT_BYTES + nbase;
	u8 buf[DT_LIMIT_BYTES + sizeof(u64)];
	u64 linear, base;
	u16 limit;
	int r;

	if (store && (vcpu->cr4 & X86_CR4_UMIP) && vtx_cpl(vcpu))
		return inject_gp(vcpu);
	r = dt_operand(vcpu, info, len, store, &linear);
	if (r)
		return dt_stop(vcpu, r);
	if (store) {
		base = vmcs_readl(gdt ? GUEST_GDTR_BASE : GUEST_IDTR_BASE);
		limit = vmcs_read32(gdt ? GUEST_GDTR_LIMIT : GUEST_IDTR_LIMIT);
		/* A 16-bit operand stores 24 bits of base (and a zero byte). */
		if (!is64 && !(info & DT_INFO_OPERAND_32))
			base &= DT_BASE24_MASK;
		memcpy(buf, &limit, DT_LIMIT_BYTES);
		memcpy(buf + DT_LIMIT_BYTES, &base, nbase);
		r = vtx_guest_virt_copy(vcpu, linear, buf, len, true);
		return r ? dt_stop(vcpu, r) : skip_exit_instruction(vcpu);
	}
	r = vtx_guest_virt_copy(vcpu, linear, buf, len, false);
	if (r)
		return dt_stop(vcpu, r);
	base = 0;
	memcpy(&limit, buf, DT_LIMIT_BYTES);
	memcpy(&base, buf + DT_LIMIT_BYTES, nbase);
	if (!is64 && !(info & DT_INFO_OPERAND_32))
		base &= DT_BASE24_MASK;
	if (is64 && !__is_canonical_address(base, VTX_GPA_BITS))
		return inject_gp(vcpu);
	vmcs_writel(gdt ? GUEST_GDTR_BASE : GUEST_IDTR_BASE, base);
	vmcs_write32(gdt ? GUEST_GDTR_LIMIT : GUEST_IDTR_LIMIT, limit);
	return skip_exit_instruction(vcpu);
}

/*
 * Operand size of SLDT/STR with a register destination (the exit does not
 * tell it): from the 66h and REX.W prefixes at RIP.
 */
static int dt_reg_operand_bytes(struct vtx_vcpu *vcpu)
{
	u8 insn[VTX_EMU_MAX_INSN];
	u32 len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
	bool is64 = vtx_in_64bit_code(vcpu), opsize = false, rex_w = false;
	bool def32 = is64 || (vtx_cs_ar(vcpu) & VMX_AR_DB_MASK);
	u64 cs_base = is64 ? 0 : vmcs_readl(GUEST_CS_BASE);
	u32 i;

	len = min_t(u32, len, sizeof(insn));
	if (vtx_guest_virt_copy_quiet(vcpu, cs_base + vtx_rip(vcpu), insn, len))
		return -EFAULT;
	/* Prefixes end at the 0F of SLDT/STR (0F 00 /0, /1). */
	for (i = 0; i < len && insn[i] != TWO_BYTE_OPCODE; i++) {
		if (insn[i] == PFX_OPSIZE)
			opsize = true;
		else if (is64 && (insn[i] & REX_MASK) == REX_BASE)
			rex_w = insn[i] & REX_W;
	}
	if (rex_w)
		return sizeof(u64);
	return def32 != opsize ? sizeof(u32) : sizeof(u16);
}

/* Base, limit and access rights of a system descriptor. */
static void sys_desc_fields(struct vtx_vcpu *vcpu, const u64 desc[2],
			    u64 *base, u32 *limit, u32 *ar)
{
	const struct desc_struct *d = (const struct desc_struct *)desc;

	*base = d->base0 | ((u64)d->base1 << 16) | ((u64)d->base2 << 24);
	if (vtx_is_long_mode(vcpu))
		*base |= (u64)(u32)desc[1] << 32;
	*limit = d->limit0 | ((u32)d->limit1 << 16);
	if (d->g)
		*limit = (*limit << PAGE_SHIFT) | ~PAGE_MASK;
	*ar = d->type | (d->s ? VMX_AR_S_MASK : 0) |
	      (d->dpl << VMX_AR_DPL_SHIFT) | (d->p ? VMX_AR_P_MASK : 0) |
	      (d->avl ? VMX_AR_AVL_MASK : 0) | (d->l ? VMX_AR_L_MASK : 0) |
	      (d->d ? VMX_AR_DB_MASK : 0) | (d->g ? VMX_AR_G_MASK : 0);
}

/*
 * LLDT and LTR of @sel: the descriptor comes from the GDT (8 bytes, 16 in
 * IA-32e mode) and must be an LDT, or an available TSS; LTR marks it busy.
 */
static int load_ldtr_tr(struct vtx_vcpu *vcpu, u16 sel, bool tr)
{
	int seg = tr ? VTX_SREG_TR : VTX_SREG_LDTR;
	bool lm = vtx_is_long_mode(vcpu);
	unsigned int len = lm ? 2 * DESC_BYTES : DESC_BYTES;
	u64 desc[2] = { 0, 0 }, base, gdt = vmcs_readl(GUEST_GDTR_BASE);
	u32 off = sel & SEL_INDEX_MASK, limit, ar;
	u16 err = sel & ~SEL_RPL_MASK;
	u8 *type_byte = (u8 *)desc + DESC_TYPE_BYTE;
	int r;

	if (!off) {
		if (tr)
			return inject_gp(vcpu);
		/* A null selector leaves LDTR unusable. */
		vmcs_write16(GUEST_LDTR_SELECTOR, sel);
		vmcs_write32(GUEST_LDTR_AR_BYTES, VMX_AR_UNUSABLE_MASK);
		return skip_exit_instruction(vcpu);
	}
	if ((sel & SEL_TI) || off + len - 1 > vmcs_read32(GUEST_GDTR_LIMIT))
		return inject_gp_code(vcpu, err);
	r = vtx_guest_virt_copy(vcpu, gdt + off, desc, len, false);
	if (r)
		return dt_stop(vcpu, r);
	sys_desc_fields(vcpu, desc, &base, &limit, &ar);
	if ((ar & VMX_AR_S_MASK) ||
	    (!tr && (ar & VMX_AR_TYPE_MASK) != VMX_AR_TYPE_LDT) ||
	    (tr && (ar & VMX_AR_TYPE_MASK) != DESC_TSS &&
	     (lm || (ar & VMX_AR_TYPE_MASK) != DESC_TSS_16_AVAIL)))
		return inject_gp_code(vcpu, err);
	if (!(ar & VMX_AR_P_MASK))
		return dt_stop(vcpu, dt_fault(vcpu, X86_TRAP_NP, err));
	if (lm && !__is_canonical_address(base, VTX_GPA_BITS))
		return inject_gp_code(vcpu, err);
	if (tr) {
		*type_byte |= DESC_TSS_BUSY;
		r = vtx_guest_virt_copy(vcpu, gdt + off + DESC_TYPE_BYTE,
					type_byte, 1, true);
		if (r)
			return dt_stop(vcpu, r);
		ar |= DESC_TSS_BUSY;
	}
	vmcs_write16(GUEST_ES_SELECTOR + seg * 2, sel);
	vmcs_writel(GUEST_ES_BASE + seg * 2, base);
	vmcs_write32(GUEST_ES_LIMIT + seg * 2, limit);
	vmcs_write32(GUEST_ES_AR_BYTES + seg * 2, ar);
	return skip_exit_instruction(vcpu);
}

/* SLDT, STR, LLDT, LTR. */
static int handle_ldtr_tr(struct vtx_vcpu *vcpu)
{
	u32 info = vmcs_read32(VMX_INSTRUCTION_INFO);
	int id = DT_INFO_ID(info), bytes;
	bool store = id == DT_SLDT || id == DT_STR;
	u64 linear;
	u16 sel;
	int r;

	if (store && (vcpu->cr4 & X86_CR4_UMIP) && vtx_cpl(vcpu))
		return inject_gp(vcpu);
	if (store) {
		sel = vmcs_read16(id == DT_STR ? GUEST_TR_SELECTOR :
						 GUEST_LDTR_SELECTOR);
		if (info & DT_INFO_REG_OPERAND) {
			bytes = dt_reg_operand_bytes(vcpu);
			if (bytes < 0)
				return dt_stop(vcpu, bytes);
			reg_write_sized(vcpu, DT_INFO_REG1(info), sel, bytes);
			return skip_exit_instruction(vcpu);
		}
		/* To memory, always 16 bits. */
		r = dt_operand(vcpu, info, sizeof(sel), true, &linear);
		if (!r)
			r = vtx_guest_virt_copy(vcpu, linear, &sel, sizeof(sel),
						true);
		return r ? dt_stop(vcpu, r) : skip_exit_instruction(vcpu);
	}
	if (info & DT_INFO_REG_OPERAND) {
		sel = reg_read(vcpu, DT_INFO_REG1(info));
	} else {
		r = dt_operand(vcpu, info, sizeof(sel), false, &linear);
		if (!r)
			r = vtx_guest_virt_copy(vcpu, linear, &sel, sizeof(sel),
						false);
		if (r)
			return dt_stop(vcpu, r);
	}
	return load_ldtr_tr(vcpu, sel, id == DT_LTR);
}

static const vtx_exit_handler_t vtx_exit_handlers[] = {
	[EXIT_REASON_EXCEPTION_NMI]		= handle_exception_nmi,
	[EXIT_REASON_EXTERNAL_INTERRUPT]	= handle_external_interrupt,
	[EXIT_REASON_TRIPLE_FAULT]		= handle_triple_fault,
	[EXIT_REASON_INTERRUPT_WINDOW]		= handle_window,
	[EXIT_REASON_NMI_WINDOW]		= handle_window,
	[EXIT_REASON_CPUID]			= handle_cpuid,
	[EXIT_REASON_HLT]			= handle_hlt,
	[EXIT_REASON_INVD]			= skip_exit_instruction,
	[EXIT_REASON_WBINVD]			= skip_exit_instruction,
	[EXIT_REASON_RDPMC]			= inject_gp,
	[EXIT_REASON_VMCALL]			= handle_vmcall,
	[EXIT_REASON_VMCLEAR]			= inject_ud,
	[EXIT_REASON_VMLAUNCH]			= inject_ud,
	[EXIT_REASON_VMPTRLD]			= inject_ud,
	[EXIT_REASON_VMPTRST]			= inject_ud,
	[EXIT_REASON_VMREAD]			= inject_ud,
	[EXIT_REASON_VMRESUME]			= inject_ud,
	[EXIT_REASON_VMWRITE]			= inject_ud,
	[EXIT_REASON_VMOFF]			= inject_ud,
	[EXIT_REASON_VMON]			= inject_ud,
	[EXIT_REASON_CR_ACCESS]			= handle_cr,
	[EXIT_REASON_DR_ACCESS]			= handle_dr,
	[EXIT_REASON_IO_INSTRUCTION]		= handle_io,
	[EXIT_REASON_MSR_READ]			= handle_rdmsr,
	[EXIT_REASON_MSR_WRITE]			= handle_wrmsr,
	[EXIT_REASON_MWAIT_INSTRUCTION]		= inject_ud,
	[EXIT_REASON_MONITOR_INSTRUCTION]	= inject_ud,
	[EXIT_REASON_EPT_VIOLATION]		= handle_ept_violation,
	[EXIT_REASON_INVEPT]			= inject_ud,
	[EXIT_REASON_INVVPID]			= inject_ud,
	[EXIT_REASON_XSETBV]			= handle_xsetbv,
	[EXIT_REASON_PREEMPTION_TIMER]		= handle_preemption_timer,
	[EXIT_REASON_GDTR_IDTR]			= handle_gdtr_idtr,
	[EXIT_REASON_LDTR_TR]			= handle_ldtr_tr,
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
	u32 reason = vcpu->exit_reason;
	u16 basic = (u16)reason;

	if (exit_may_load_host_data(basic))
		vcpu->l1tf_flush_l1d = true;

	if (unlikely(vcpu->entry_failed)) {
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
	return internal_error(vcpu, KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON);
}
