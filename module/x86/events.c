// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - event queueing: exceptions, NMIs and interrupts wait in the vCPU
 * as architectural state (struct vtx_pending_event, nmi_pending,
 * irq_pending); the backend encodes them into its entry format
 * (vmx/exit.c, vmx_inject_pending_event()) right before the entry.
 */
#include "x86/x86.h"

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
	struct vtx_pending_event *ev = &vcpu->event;

	ev->valid = true;
	ev->type = VTX_EVENT_EXCEPTION;
	ev->vector = vector;
	/* Real mode pushes no error code; VM entry checks this. */
	ev->has_error = has_error && (vcpu->cr0 & X86_CR0_PE);
	ev->error_code = error_code;
	ev->insn_len = 0;
}

/* Real mode's interrupt frame: IP, CS, FLAGS, 16 bits each, from SS:SP. */
#define RM_FRAME_WORDS	3
#define RM_IVT_ENTRY	4
#define RM_SEG_SHIFT	4

/* The guest-physical address of word @i of a frame at SS:@sp (SP wraps). */
static u32 rm_stack_word(const struct kvm_segment *ss, u16 sp, int i)
{
	return ss->base + (u16)(sp + i * sizeof(u16));
}

/**
 * vtx_inject_realmode_interrupt() - deliver an event as the processor does
 * in real mode, in software (KVM's kvm_inject_realmode_interrupt()): for a
 * backend that runs real mode in a mode whose own delivery differs
 * (virtual-8086 mode, vmx/rmode.c).
 * @vcpu:	the loaded vCPU, in real mode, by its thread
 * @vector:	the vector
 * @insn_len:	bytes of the instruction that raised it (INT n, INT3, INTO,
 *		INT1), whose return address is after it; 0 for a fault or an
 *		external event
 *
 * FLAGS, CS and IP go on the stack at SS:SP (SP wraps in its 16 bits, each
 * word at its own wrapped offset, as the processor writes them), CS:IP come
 * from the IVT entry at IDTR.base + 4 * @vector, IF, TF and AC are cleared.
 * Real-mode linear addresses are guest-physical ones.  Nothing changes when
 * the entry is beyond IDTR.limit or the IVT entry or the stack is not guest
 * RAM.
 *
 * Return: 0, -EINVAL beyond the IDTR limit, or the errno of the guest
 * memory access that failed.
 */
int vtx_inject_realmode_interrupt(struct vtx_vcpu *vcpu, u8 vector,
				  u32 insn_len)
{
	const struct vtx_x86_ops *ops = &vtx_x86_ops;
	unsigned long flags = vtx_rflags(vcpu), rsp = vtx_rsp(vcpu);
	u16 frame[RM_FRAME_WORDS], ivt[2], sp = rsp, probe;
	struct kvm_segment cs, ss;
	struct kvm_dtable idt;
	int i, r;

	ops->get_dt(vcpu, &idt, true);
	if ((u32)vector * RM_IVT_ENTRY + RM_IVT_ENTRY - 1 > idt.limit)
		return -EINVAL;
	r = vtx_vcpu_read_guest_phys(vcpu, (u32)(idt.base +
					       vector * RM_IVT_ENTRY),
				     ivt, sizeof(ivt));
	if (r)
		return r;
	ops->get_segment(vcpu, &cs, VTX_SREG_CS);
	ops->get_segment(vcpu, &ss, VTX_SREG_SS);
	frame[0] = vtx_rip(vcpu) + insn_len;
	frame[1] = cs.selector;
	frame[2] = flags;
	sp -= sizeof(frame);
	/* every word's place in guest RAM before any is written */
	for (i = 0; i < RM_FRAME_WORDS; i++) {
		r = vtx_vcpu_read_guest_phys(vcpu, rm_stack_word(&ss, sp, i),
					     &probe, sizeof(probe));
		if (r)
			return r;
	}
	for (i = 0; i < RM_FRAME_WORDS; i++) {
		r = vtx_vcpu_write_guest_phys(vcpu, rm_stack_word(&ss, sp, i),
					      &frame[i], sizeof(u16));
		if (r)
			return r;
	}
	vtx_set_rsp(vcpu, (rsp & ~0xfffful) | sp);
	cs.selector = ivt[1];
	cs.base = (u32)ivt[1] << RM_SEG_SHIFT;
	ops->set_segment(vcpu, &cs, VTX_SREG_CS);
	vtx_set_rip(vcpu, ivt[0]);
	vtx_set_rflags(vcpu, flags & ~(X86_EFLAGS_IF | X86_EFLAGS_TF |
				       X86_EFLAGS_AC));
	return 0;
}
