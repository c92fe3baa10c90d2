/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest of the interrupt-path cases (case_irq.c): 64-bit code in long mode
 * with the in-kernel irqchip (KVM_CREATE_IRQCHIP), the local APIC in x2APIC
 * mode, an IDT the host builds at IRQ_IDT_GPA whose gates point at the
 * handlers below (irq_h_bad for every vector not in use).
 *
 * The host enters at one of the labels with RSP = the vCPU's stack,
 * RFLAGS.IF = 0 and the arguments named there.  Loops that wait for an
 * interrupt run with IF = 1 and never PAUSE (no PAUSE-loop exits in the
 * figures).  Cases timed in the guest write one sample per interrupt
 * (cycles, signed) to IRQ_SAMPLES_A / IRQ_SAMPLES_B; the host reads them
 * after UCALL_DONE.  Every entry ends with ucall UCALL_DONE.
 */
#include "vtx_guest.h"
#include "irq.h"

/* RDX:RAX from RDTSC -> \reg (clobbers RAX, RDX) */
.macro tsc_to reg
	lfence
	rdtsc
	shl	$32, %rdx
	or	%rax, %rdx
	mov	%rdx, \reg
.endm

/* WRMSR \msr = \val (clobbers EAX, ECX, EDX) */
.macro wrx msr, val
	mov	$\msr, %ecx
	mov	$\val, %eax
	xor	%edx, %edx
	wrmsr
.endm

/* The EOI (clobbers EAX, ECX, EDX) */
.macro eoi
	wrx	X2APIC_EOI, 0
.endm

GUEST_BEGIN irq_guest, 64

/* x2APIC on, software-enabled, LINT0 masked (clobbers EAX, ECX, EDX). */
x2apic_setup:
	mov	$IRQ_MSR_APICBASE, %ecx
	rdmsr
	or	$(APIC_BASE_EN | APIC_BASE_EXTD), %eax
	wrmsr
	wrx	X2APIC_SVR, (APIC_SVR_EN | IRQ_VEC_SPURIOUS)
	wrx	X2APIC_LVT0, LVT_MASKED
	ret

/* Spin with IF = 1 until the host sets IRQ_STOP (irqfd to a running vCPU). */
GUEST_LABEL irq_spin
	call	x2apic_setup
	movq	$1, IRQ_READY
	sti
1:	cmpq	$0, IRQ_STOP
	je	1b
	jmp	irq_done

/*
 * HLT until the host sets IRQ_STOP: each interrupt wakes the vCPU from a
 * HLT the kernel handles (it sleeps there).  STI's shadow keeps an
 * interrupt from coming between the check and the HLT.
 */
GUEST_LABEL irq_halt
	call	x2apic_setup
	movq	$1, IRQ_READY
1:	cli
	cmpq	$0, IRQ_STOP
	jne	2f
	sti
	hlt
	jmp	1b
2:	sti
	jmp	irq_done

/*
 * The local APIC timer, RCX samples: RDI = 0 one-shot (TMICT = R8 at
 * divide-by-1, R8 = RSI cycles of the TSC in APIC ticks), 1 TSC-deadline
 * (IA32_TSC_DEADLINE = now + RSI).  The deadline is the TSC read just
 * before the WRMSR plus RSI; a sample is the handler's TSC minus it.
 */
GUEST_LABEL irq_timer
	mov	%rcx, %r12
	mov	%rsi, %r13
	mov	%rdi, %r15
	mov	%r8, %r14
	call	x2apic_setup
	wrx	X2APIC_TDCR, TDCR_DIV1
	mov	$X2APIC_LVTT, %ecx
	mov	$IRQ_VEC_TIMER, %eax
	test	%r15, %r15
	jz	1f
	or	$LVT_TSC_DEADLINE, %eax
1:	xor	%edx, %edx
	wrmsr
	mov	$IRQ_SAMPLES_A, %rdi
	sti
2:	mov	IRQ_COUNT, %r10
	tsc_to	%r8
	add	%r13, %r8			/* the deadline */
	test	%r15, %r15
	jnz	3f
	mov	$X2APIC_TMICT, %ecx
	mov	%r14d, %eax
	xor	%edx, %edx
	wrmsr
	jmp	4f
3:	mov	$IRQ_MSR_TSC_DEADLINE, %ecx
	mov	%r8, %rax
	mov	%r8, %rdx
	shr	$32, %rdx
	wrmsr
4:	cmp	IRQ_COUNT, %r10
	je	4b
	mov	IRQ_T_HANDLER, %rax
	sub	%r8, %rax
	mov	%rax, (%rdi)
	add	$8, %rdi
	dec	%r12
	jnz	2b
	jmp	irq_done

/*
 * IPI round trip, vCPU 0, RCX samples: once vCPU 1 is ready, a fixed IPI
 * IRQ_VEC_IPI_REQ to APIC ID 1, whose handler answers IRQ_VEC_IPI_RESP;
 * a sample is from the TSC before the ICR write to vCPU 0's handler.
 */
GUEST_LABEL irq_ipi_sender
	mov	%rcx, %r12
	call	x2apic_setup
	mov	$IRQ_SAMPLES_A, %rdi
	sti
1:	cmpq	$0, IRQ_READY1
	je	1b
2:	mov	IRQ_COUNT, %r10
	tsc_to	%r8
	mov	$X2APIC_ICR, %ecx
	mov	$(ICR_FIXED_ASSERT | IRQ_VEC_IPI_REQ), %eax
	mov	$1, %edx			/* destination: x2APIC ID 1 */
	wrmsr
3:	cmp	IRQ_COUNT, %r10
	je	3b
	mov	IRQ_T_HANDLER, %rax
	sub	%r8, %rax
	mov	%rax, (%rdi)
	add	$8, %rdi
	dec	%r12
	jnz	2b
	movq	$1, IRQ_STOP
	jmp	irq_done

/* vCPU 1 of the round trip: answer IPIs until vCPU 0 sets IRQ_STOP. */
GUEST_LABEL irq_ipi_responder
	call	x2apic_setup
	movq	$1, IRQ_READY1
	sti
1:	cmpq	$0, IRQ_STOP
	je	1b
	jmp	irq_done

/*
 * A level-triggered IOAPIC line behind a resample irqfd: take RCX
 * interrupts (irq_h_level times each), spinning with IF = 1 meanwhile.
 */
GUEST_LABEL irq_level
	mov	%rcx, %r12
	call	x2apic_setup
	movq	$1, IRQ_READY
	sti
1:	cmp	%r12, IRQ_COUNT
	jb	1b
	jmp	irq_done

irq_done:
	ucall	UCALL_DONE
1:	hlt
	jmp	1b

/*
 * IRQ_VEC_DEV, IRQ_VEC_TIMER, IRQ_VEC_IPI_RESP: the TSC to IRQ_T_HANDLER,
 * then IRQ_COUNT + 1 (who waits for the count reads a valid time), EOI.
 */
GUEST_LABEL irq_h_count
	push	%rax
	push	%rcx
	push	%rdx
	tsc_to	%rcx
	mov	%rcx, IRQ_T_HANDLER
	incq	IRQ_COUNT
	eoi
	pop	%rdx
	pop	%rcx
	pop	%rax
	iretq

/* IRQ_VEC_IPI_REQ on vCPU 1: answer vCPU 0, EOI. */
GUEST_LABEL irq_h_ipi_req
	push	%rax
	push	%rcx
	push	%rdx
	mov	$X2APIC_ICR, %ecx
	mov	$(ICR_FIXED_ASSERT | IRQ_VEC_IPI_RESP), %eax
	xor	%edx, %edx			/* destination: x2APIC ID 0 */
	wrmsr
	eoi
	pop	%rdx
	pop	%rcx
	pop	%rax
	iretq

/*
 * IRQ_VEC_LEVEL, interrupt number n = IRQ_COUNT: for n > 0, sample n - 1
 * of IRQ_SAMPLES_B = from the TSC before the previous EOI to now (the
 * line lowered by the resampler, re-raised by the host's irqfd write);
 * sample n of IRQ_SAMPLES_A = the EOI's WRMSR (an exit: level-triggered).
 */
GUEST_LABEL irq_h_level
	push	%rax
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%rbx
	tsc_to	%rsi
	mov	IRQ_COUNT, %rbx
	test	%rbx, %rbx
	jz	1f
	sub	IRQ_T_EOI, %rsi
	mov	%rsi, (IRQ_SAMPLES_B - 8)(, %rbx, 8)
1:	tsc_to	%rdi
	mov	%rdi, IRQ_T_EOI
	eoi
	tsc_to	%rax
	sub	%rdi, %rax
	mov	%rax, IRQ_SAMPLES_A(, %rbx, 8)
	incq	IRQ_COUNT
	pop	%rbx
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rax
	iretq

/* Any other vector: UCALL_FAIL with RBX = the word on top of the frame. */
GUEST_LABEL irq_h_bad
	mov	(%rsp), %rbx
	ucall	UCALL_FAIL
1:	hlt
	jmp	1b
GUEST_END irq_guest
