/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A template, copied at run time into a page below 2 GiB: loads every GPR
 * and RFLAGS from tramp_state, XMM0-15 and MM0-7 from tramp_vec, runs the
 * 16 bytes of tramp_slot (NOPs, then the instruction under test ending
 * right before the stores), stores the GPRs, RFLAGS and vector registers
 * back (then EMMS).  All data references are RIP-relative inside the
 * template, so the copy works wherever it lands.
 *
 *	void tramp(void);	(the copy of tramp_start)
 */
	.text
	.globl	tramp_start, tramp_slot, tramp_state, tramp_vec, tramp_end
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
	movdqu	st_xmm + 0(%rip), %xmm0
	movdqu	st_xmm + 16(%rip), %xmm1
	movdqu	st_xmm + 32(%rip), %xmm2
	movdqu	st_xmm + 48(%rip), %xmm3
	movdqu	st_xmm + 64(%rip), %xmm4
	movdqu	st_xmm + 80(%rip), %xmm5
	movdqu	st_xmm + 96(%rip), %xmm6
	movdqu	st_xmm + 112(%rip), %xmm7
	movdqu	st_xmm + 128(%rip), %xmm8
	movdqu	st_xmm + 144(%rip), %xmm9
	movdqu	st_xmm + 160(%rip), %xmm10
	movdqu	st_xmm + 176(%rip), %xmm11
	movdqu	st_xmm + 192(%rip), %xmm12
	movdqu	st_xmm + 208(%rip), %xmm13
	movdqu	st_xmm + 224(%rip), %xmm14
	movdqu	st_xmm + 240(%rip), %xmm15
	movq	st_mm + 0(%rip), %mm0
	movq	st_mm + 8(%rip), %mm1
	movq	st_mm + 16(%rip), %mm2
	movq	st_mm + 24(%rip), %mm3
	movq	st_mm + 32(%rip), %mm4
	movq	st_mm + 40(%rip), %mm5
	movq	st_mm + 48(%rip), %mm6
	movq	st_mm + 56(%rip), %mm7
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
	movdqu	%xmm0, st_xmm + 0(%rip)
	movdqu	%xmm1, st_xmm + 16(%rip)
	movdqu	%xmm2, st_xmm + 32(%rip)
	movdqu	%xmm3, st_xmm + 48(%rip)
	movdqu	%xmm4, st_xmm + 64(%rip)
	movdqu	%xmm5, st_xmm + 80(%rip)
	movdqu	%xmm6, st_xmm + 96(%rip)
	movdqu	%xmm7, st_xmm + 112(%rip)
	movdqu	%xmm8, st_xmm + 128(%rip)
	movdqu	%xmm9, st_xmm + 144(%rip)
	movdqu	%xmm10, st_xmm + 160(%rip)
	movdqu	%xmm11, st_xmm + 176(%rip)
	movdqu	%xmm12, st_xmm + 192(%rip)
	movdqu	%xmm13, st_xmm + 208(%rip)
	movdqu	%xmm14, st_xmm + 224(%rip)
	movdqu	%xmm15, st_xmm + 240(%rip)
	movq	%mm0, st_mm + 0(%rip)
	movq	%mm1, st_mm + 8(%rip)
	movq	%mm2, st_mm + 16(%rip)
	movq	%mm3, st_mm + 24(%rip)
	movq	%mm4, st_mm + 32(%rip)
	movq	%mm5, st_mm + 40(%rip)
	movq	%mm6, st_mm + 48(%rip)
	movq	%mm7, st_mm + 56(%rip)
	emms
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
	.p2align 4
tramp_vec:
st_xmm:
	.fill	256, 1, 0
st_mm:
	.fill	64, 1, 0
tramp_end:

	.section .note.GNU-stack, "", @progbits
