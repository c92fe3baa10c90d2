/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest code of the fuzz suite.  Each blob is data for the host: it is
 * copied to its guest-physical address and runs there.  Every blob lives
 * in a section of its own, so that ".org" places code at fixed offsets
 * from the blob's start (the stubs table).
 *
 * fz_h16/fz_h32/fz_h64: the exception handlers of the guest fuzzer, loaded
 * at FZ_HCODE_GPA.  Vector v enters at FZ_STUB_OFF + v * 16.  #DB (vector
 * 1) is the single-step trap: the fuzzed code runs with RFLAGS.TF = 1, so
 * the handler runs after every instruction, counts it (FZ_STEPS) and ends
 * the iteration at FZ_LIMIT.  Any other vector is reported through port
 * FZ_REPORT_PORT and the handler halts: the host ends the iteration.
 * The handlers never clear RFLAGS.IF for long (the test VM hangs when a
 * nested guest spins with IF = 0, see Documentation/vtx/fuzzing.rst).
 *
 * fz_agent64: a memory agent in long mode.  At each "out %eax,
 * $FZ_AGENT_PORT" (EAX = FZ_AGENT_READY) the host may set RAX (command),
 * RBX, RCX, RDX, R8 and run it again.
 */
#include "fz_layout.h"

	.section .note.GNU-stack, "", @progbits

/* ------------------------------------------------------------ real mode */
	.section .rodata.fz_h16, "a"
	.globl fz_h16
	.code16
fz_h16:
h16_report:
	out	%eax, $FZ_REPORT_PORT
	hlt
	jmp	h16_report

h16_db:
	push	%eax
	/* CS is 0 here (the IVT says so): CS-relative data works whatever DS/SS are */
	addl	$1, %cs:FZ_STEPS
	adcl	$0, %cs:FZ_STEPS + 4
	mov	%cs:FZ_STEPS, %eax
	cmp	%cs:FZ_LIMIT, %eax
	jae	1f
	pop	%eax
	iret
1:	mov	$FZ_REPORT_LIMIT, %eax
	jmp	h16_report

	.set	vec, 0
	.rept	256
	.org	FZ_STUB_OFF + vec * FZ_STUB_SIZE
	.if	vec == 1
	jmp	h16_db
	.else
	mov	$(FZ_REPORT_VEC + vec), %eax
	jmp	h16_report
	.endif
	.set	vec, vec + 1
	.endr
	.globl	fz_h16_end
fz_h16_end:

/* ------------------------------------------------- 32-bit protected mode */
	.section .rodata.fz_h32, "a"
	.globl fz_h32
	.code32
fz_h32:
h32_report:
	out	%eax, $FZ_REPORT_PORT
	hlt
	jmp	h32_report

h32_db:
	push	%eax
	/* SS is the flat data segment at CPL 0 (DPL 0 writable: only 0x10) */
	addl	$1, %ss:FZ_STEPS
	adcl	$0, %ss:FZ_STEPS + 4
	mov	%ss:FZ_STEPS, %eax
	cmp	%ss:FZ_LIMIT, %eax
	jae	1f
	pop	%eax
	iret
1:	mov	$FZ_REPORT_LIMIT, %eax
	jmp	h32_report

	.set	vec, 0
	.rept	256
	.org	FZ_STUB_OFF + vec * FZ_STUB_SIZE
	.if	vec == 1
	jmp	h32_db
	.else
	mov	$(FZ_REPORT_VEC + vec), %eax
	jmp	h32_report
	.endif
	.set	vec, vec + 1
	.endr
	.globl	fz_h32_end
fz_h32_end:

/* ------------------------------------------------------------ long mode */
	.section .rodata.fz_h64, "a"
	.globl fz_h64
	.code64
fz_h64:
h64_report:
	out	%eax, $FZ_REPORT_PORT
	hlt
	jmp	h64_report

h64_db:
	/* Every vector runs on IST1 (FZ_HSTACK_TOP), whatever RSP was. */
	push	%rax
	incq	FZ_STEPS
	mov	FZ_STEPS, %rax
	cmp	FZ_LIMIT, %rax
	jae	1f
	pop	%rax
	iretq
1:	mov	$FZ_REPORT_LIMIT, %eax
	jmp	h64_report

	.set	vec, 0
	.rept	256
	.org	FZ_STUB_OFF + vec * FZ_STUB_SIZE
	.if	vec == 1
	jmp	h64_db
	.else
	mov	$(FZ_REPORT_VEC + vec), %eax
	jmp	h64_report
	.endif
	.set	vec, vec + 1
	.endr
	.globl	fz_h64_end
fz_h64_end:

/* ------------------------------------------------------ the memory agent */
	.section .rodata.fz_agent64, "a"
	.globl fz_agent64
	.code64
fz_agent64:
agent_loop:
	mov	$FZ_AGENT_READY, %eax
	out	%eax, $FZ_AGENT_PORT
	cmp	$FZ_AGENT_WRITE64, %rax
	je	a_write64
	cmp	$FZ_AGENT_READ64, %rax
	je	a_read64
	cmp	$FZ_AGENT_STRIDE_WRITE, %rax
	je	a_swrite
	cmp	$FZ_AGENT_STRIDE_READ, %rax
	je	a_sread
	cmp	$FZ_AGENT_WRITE8, %rax
	je	a_write8
	jmp	agent_loop
a_write64:
	mov	%rcx, (%rbx)
	jmp	agent_loop
a_write8:
	mov	%cl, (%rbx)
	jmp	agent_loop
a_read64:
	mov	(%rbx), %rcx
	jmp	agent_loop
a_swrite:
	test	%rdx, %rdx
	jz	agent_loop
1:	mov	%rcx, (%rbx)
	add	%r8, %rbx
	dec	%rdx
	jnz	1b
	jmp	agent_loop
a_sread:
	test	%rdx, %rdx
	jz	agent_loop
1:	xor	(%rbx), %r9
	add	%r8, %rbx
	dec	%rdx
	jnz	1b
	jmp	agent_loop
	.globl	fz_agent64_end
fz_agent64_end:
