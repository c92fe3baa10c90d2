/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A template, copied at run time into a page below 2 GiB: loads every GPR
 * and RFLAGS from tramp_state, runs the 16 bytes of tramp_slot (NOPs, then
 * the instruction under test ending right before the stores), stores the
 * GPRs and RFLAGS back.  All data references are RIP-relative inside the
 * template, so the copy works wherever it lands.
 *
 *	void tramp(void);	(the copy of tramp_start)
 */
	.text
	.globl	tramp_start, tramp_slot, tramp_state, tramp_end
	.p2align 6
tramp_start:
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, host_rsp(%rip)
	pushq	st_rflags(%rip)
	popfq
	mov	st_gpr + 0(%rip), %rax
	mov	st_gpr + 8(%rip), %rcx
	mov	st_gpr + 16(%rip), %rdx
	mov	st_gpr + 24(%rip), %rbx
	mov	st_gpr + 32(%rip), %rsp
	mov	st_gpr + 40(%rip), %rbp
	mov	st_gpr + 48(%rip), %rsi
	mov	st_gpr + 56(%rip), %rdi
	mov	st_gpr + 64(%rip), %r8
	mov	st_gpr + 72(%rip), %r9
	mov	st_gpr + 80(%rip), %r10
	mov	st_gpr + 88(%rip), %r11
	mov	st_gpr + 96(%rip), %r12
	mov	st_gpr + 104(%rip), %r13
	mov	st_gpr + 112(%rip), %r14
	mov	st_gpr + 120(%rip), %r15
tramp_slot:
	.fill	16, 1, 0x90
	mov	%rax, st_gpr + 0(%rip)
	mov	%rcx, st_gpr + 8(%rip)
	mov	%rdx, st_gpr + 16(%rip)
	mov	%rbx, st_gpr + 24(%rip)
	mov	%rsp, st_gpr + 32(%rip)
	mov	%rbp, st_gpr + 40(%rip)
	mov	%rsi, st_gpr + 48(%rip)
	mov	%rdi, st_gpr + 56(%rip)
	mov	%r8, st_gpr + 64(%rip)
	mov	%r9, st_gpr + 72(%rip)
	mov	%r10, st_gpr + 80(%rip)
	mov	%r11, st_gpr + 88(%rip)
	mov	%r12, st_gpr + 96(%rip)
	mov	%r13, st_gpr + 104(%rip)
	mov	%r14, st_gpr + 112(%rip)
	mov	%r15, st_gpr + 120(%rip)
	mov	host_rsp(%rip), %rsp
	pushfq
	popq	st_rflags(%rip)
	cld
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret

	.p2align 6
tramp_state:
st_gpr:
	.fill	16, 8, 0
st_rflags:
	.quad	0
host_rsp:
	.quad	0
tramp_end:

	.section .note.GNU-stack, "", @progbits
