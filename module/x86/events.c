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
