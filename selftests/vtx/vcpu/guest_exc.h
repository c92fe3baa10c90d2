/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-side exception handling for the "vcpu" suite: IDT_VECTORS stubs of
 * 16 bytes each, then one common handler, inside a guest blob.  The host
 * points the IDT's gates at the stubs (guest_idt_setup() in util.c); the
 * handler counts the delivery in EXC_COUNT_GPA[vector], reports it with
 * ucall UCALL_EXC (vcpu.h says which register holds what), then follows
 * EXC_RESUME_GPA.  RAX, RBX, RCX, RDX, RSI and RDI are preserved, so an
 * interrupt may hit any instruction.
 *
 *	GUEST_BEGIN my_guest, 64
 *		...
 *		movq	$GUEST_GPA(my_guest, 1f), EXC_RESUME_GPA
 *		ud2
 *	1:	...
 *		EXC_STUBS64 my_guest_stubs
 *	GUEST_END my_guest
 */
#ifndef VTX_GUEST_EXC_H
#define VTX_GUEST_EXC_H

#include "vtx_guest.h"
#include "vcpu.h"

/* Is vector \v one that pushes an error code? (sets exc_has_err) */
.macro exc_has_error v
	.if (\v == 8) || (\v == 10) || (\v == 11) || (\v == 12) || \
	    (\v == 13) || (\v == 14) || (\v == 17) || (\v == 21) || \
	    (\v == 29) || (\v == 30)
	.set exc_has_err, 1
	.else
	.set exc_has_err, 0
	.endif
.endm

/* 64-bit: frame = vector, error code, RIP, CS, RFLAGS, RSP, SS */
.macro EXC_STUBS64 name
	.balign 16
GUEST_LABEL \name
	.set exc_vec, 0
	.rept IDT_VECTORS
	.balign 16
	exc_has_error exc_vec
	.if !exc_has_err
	pushq	$0
	.endif
	pushq	$exc_vec
	jmp	\name\()_common
	.set exc_vec, exc_vec + 1
	.endr
	.balign 16
\name\()_common:
	push	%rax
	push	%rbx
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	mov	48(%rsp), %rbx		/* vector */
	mov	56(%rsp), %rcx		/* error code */
	mov	64(%rsp), %rdx		/* RIP */
	mov	%cr2, %rsi
	mov	80(%rsp), %rdi		/* RFLAGS */
	incl	EXC_COUNT_GPA(, %rbx, 4)
	mov	$UCALL_EXC, %eax
	out	%eax, $VTX_UCALL_PORT
	mov	EXC_RESUME_GPA, %rax
	cmp	$EXC_RESUME_IRET, %rax
	je	2f
	test	%rax, %rax
	jz	3f
	mov	%rax, 64(%rsp)		/* resume there, once */
	movq	$0, EXC_RESUME_GPA
2:	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rbx
	pop	%rax
	add	$16, %rsp
	iretq
3:	hlt
	jmp	3b
.endm

/* 32-bit: frame = vector, error code, EIP, CS, EFLAGS */
.macro EXC_STUBS32 name
	.balign 16
GUEST_LABEL \name
	.set exc_vec, 0
	.rept IDT_VECTORS
	.balign 16
	exc_has_error exc_vec
	.if !exc_has_err
	pushl	$0
	.endif
	pushl	$exc_vec
	jmp	\name\()_common
	.set exc_vec, exc_vec + 1
	.endr
	.balign 16
\name\()_common:
	push	%eax
	push	%ebx
	push	%ecx
	push	%edx
	push	%esi
	push	%edi
	mov	24(%esp), %ebx		/* vector */
	mov	28(%esp), %ecx		/* error code */
	mov	32(%esp), %edx		/* EIP */
	mov	%cr2, %esi
	mov	40(%esp), %edi		/* EFLAGS */
	incl	EXC_COUNT_GPA(, %ebx, 4)
	mov	$UCALL_EXC, %eax
	out	%eax, $VTX_UCALL_PORT
	mov	EXC_RESUME_GPA, %eax
	cmp	$EXC_RESUME_IRET, %eax
	je	2f
	test	%eax, %eax
	jz	3f
	mov	%eax, 32(%esp)
	movl	$0, EXC_RESUME_GPA
2:	pop	%edi
	pop	%esi
	pop	%edx
	pop	%ecx
	pop	%ebx
	pop	%eax
	add	$8, %esp
	iret
3:	hlt
	jmp	3b
.endm

/* rdmsr \msr into the u64 at address \dst (clobbers EAX, ECX, EDX) */
.macro rdmsr_to msr, dst
	mov	$\msr, %ecx
	rdmsr
	mov	%eax, \dst
	mov	%edx, \dst + 4
.endm

/* Resume at label \l (of blob \blob) after the next exception. */
.macro resume_at blob, l
	movl	$GUEST_GPA(\blob, \l), EXC_RESUME_GPA
.endm

#endif /* VTX_GUEST_EXC_H */
