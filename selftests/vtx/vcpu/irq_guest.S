/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guests of irq_test.c.  Every loop that waits for an event runs with
 * IF = 1 (the Bochs note in util.c); IF = 0 only around short steps.
 */
#include "guest_exc.h"
#include "irq.h"

/* wait until the handler counted vector \v at least \n times */
.macro wait_for v, n
1:	cmpl	$\n, IRQ_COUNT(\v)
	jb	1b
.endm

.macro short_spin
	mov	$SHORT_SPIN, %ecx
1:	dec	%ecx
	jnz	1b
.endm

/* KVM_INTERRUPT after an interrupt window exit */
GUEST_BEGIN irq_window_guest, 64
	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
	cli
	ucall_step 1
	sti
	nop
	wait_for IRQ_VEC, 1
	ucall_step 2
	hlt
	EXC_STUBS64 irq_window_stubs
GUEST_END irq_window_guest

/* KVM_INTERRUPT while the guest has IF = 0 (the entry fails) */
GUEST_BEGIN irq_cli_guest, 64
	cli
	ucall_step 1
	hlt
	EXC_STUBS64 irq_cli_stubs
GUEST_END irq_cli_guest

/* KVM_NMI: delivered at the next entry, before the next instruction */
GUEST_BEGIN nmi_guest, 64
	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
	ucall_step 1
GUEST_LABEL nmi_guest_next
	wait_for NMI_VEC, 1
	ucall_step 2
	hlt
	EXC_STUBS64 nmi_stubs
GUEST_END nmi_guest

/*
 * NMIs while NMIs are blocked: none is delivered until an IRET unblocks
 * them; then as many as the processor would have latched.
 */
GUEST_BEGIN nmi_masked_guest, 64
	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
	ucall_step 1
	short_spin
	ucall_step 2
	/* an IRET to the next instruction unblocks NMIs */
	mov	%rsp, %rax
	pushq	$VTX_SEL_DATA
	push	%rax
	pushfq
	pushq	$VTX_SEL_CODE64
	pushq	$GUEST_GPA(nmi_masked_guest, 2f)
	iretq
2:	wait_for NMI_VEC, 1
	/* time for a second one, if there is one */
	mov	$20000, %ecx
3:	dec	%ecx
	jnz	3b
	mov	IRQ_COUNT(NMI_VEC), %ebx
	ucall	UCALL_REPORT
	hlt
	EXC_STUBS64 nmi_masked_stubs
GUEST_END nmi_masked_guest

/* Waits for the interrupt KVM_SET_VCPU_EVENTS queued */
GUEST_BEGIN events_guest, 64
	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
	wait_for IRQ_VEC2, 1
	ucall_step 1
	hlt
	hlt
	EXC_STUBS64 events_stubs
GUEST_END events_guest
