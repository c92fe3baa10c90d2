/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Runs one instruction in 32-bit (compatibility mode, CS 0x23) or 16-bit
 * code (a 16-bit LDT code segment), copied at run time to LEG_BASE.
 *
 * The 64-bit part far-returns to leg_entry_ip:leg_entry_sel with EAX the
 * selector of the "state" LDT segment, whose base is leg_state.  The
 * 16/32-bit part uses GS (= that segment) to reach the state, switches to
 * the stack inside it, loads EFLAGS, XMM0-7 and MM0-7, DS/ES/SS (test LDT
 * segments), the eight GPRs, runs the 16-byte slot (NOPs, then the instruction, ending
 * right before the stores), stores GPRs, vector registers (then EMMS) and
 * EFLAGS back and far-returns to
 * 64-bit code (CS 0x33), which restores the host's selectors.
 */
	.set	LEG_BASE, 0x20000000
#define ABS(x)	(LEG_BASE + ((x) - leg_start))
#define ST(x)	((x) - leg_state)

	.text
	.globl	leg_start, leg_end, leg_state, leg_entry32, leg_entry16
	.globl	leg_slot32, leg_slot16
	.p2align 6
	.code64
leg_start:
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, st_host_rsp(%rip)
	mov	%ds, %eax
	mov	%eax, st_host_ds(%rip)
	mov	%es, %eax
	mov	%eax, st_host_es(%rip)
	mov	%gs, %eax
	mov	%eax, st_host_gs(%rip)
	mov	%ss, %eax
	mov	%eax, st_host_ss(%rip)
	mov	st_state_sel(%rip), %eax
	pushq	st_entry_sel(%rip)
	pushq	st_entry_ip(%rip)
	lretq
leg_back:
	mov	st_host_ss(%rip), %eax
	mov	%eax, %ss
	mov	st_host_rsp(%rip), %rsp
	mov	st_host_ds(%rip), %eax
	mov	%eax, %ds
	mov	st_host_es(%rip), %eax
	mov	%eax, %es
	mov	st_host_gs(%rip), %eax
	mov	%eax, %gs
	cld
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret

	.macro	LEGACY_BODY bits
leg_entry\bits:
	mov	%eax, %ss
	movl	$ST(st_stack_top), %esp
	mov	%eax, %gs
	pushl	%gs:ST(st_eflags)
	popfl
	movdqu	%gs:ST(st_xmm + 0), %xmm0
	movdqu	%gs:ST(st_xmm + 16), %xmm1
	movdqu	%gs:ST(st_xmm + 32), %xmm2
	movdqu	%gs:ST(st_xmm + 48), %xmm3
	movdqu	%gs:ST(st_xmm + 64), %xmm4
	movdqu	%gs:ST(st_xmm + 80), %xmm5
	movdqu	%gs:ST(st_xmm + 96), %xmm6
	movdqu	%gs:ST(st_xmm + 112), %xmm7
	movq	%gs:ST(st_mm + 0), %mm0
	movq	%gs:ST(st_mm + 8), %mm1
	movq	%gs:ST(st_mm + 16), %mm2
	movq	%gs:ST(st_mm + 24), %mm3
	movq	%gs:ST(st_mm + 32), %mm4
	movq	%gs:ST(st_mm + 40), %mm5
	movq	%gs:ST(st_mm + 48), %mm6
	movq	%gs:ST(st_mm + 56), %mm7
	movl	%gs:ST(st_sel_ds), %eax
	mov	%eax, %ds
	movl	%gs:ST(st_sel_es), %eax
	mov	%eax, %es
	movl	%gs:ST(st_sel_ss), %eax
	mov	%eax, %ss
	movl	%gs:ST(st_gpr + 4 * 1), %ecx
	movl	%gs:ST(st_gpr + 4 * 2), %edx
	movl	%gs:ST(st_gpr + 4 * 3), %ebx
	movl	%gs:ST(st_gpr + 4 * 4), %esp
	movl	%gs:ST(st_gpr + 4 * 5), %ebp
	movl	%gs:ST(st_gpr + 4 * 6), %esi
	movl	%gs:ST(st_gpr + 4 * 7), %edi
	movl	%gs:ST(st_gpr), %eax
leg_slot\bits:
	.fill	16, 1, 0x90
	movl	%eax, %gs:ST(st_gpr)
	movl	%ecx, %gs:ST(st_gpr + 4 * 1)
	movl	%edx, %gs:ST(st_gpr + 4 * 2)
	movl	%ebx, %gs:ST(st_gpr + 4 * 3)
	movl	%esp, %gs:ST(st_gpr + 4 * 4)
	movl	%ebp, %gs:ST(st_gpr + 4 * 5)
	movl	%esi, %gs:ST(st_gpr + 4 * 6)
	movl	%edi, %gs:ST(st_gpr + 4 * 7)
	movdqu	%xmm0, %gs:ST(st_xmm + 0)
	movdqu	%xmm1, %gs:ST(st_xmm + 16)
	movdqu	%xmm2, %gs:ST(st_xmm + 32)
	movdqu	%xmm3, %gs:ST(st_xmm + 48)
	movdqu	%xmm4, %gs:ST(st_xmm + 64)
	movdqu	%xmm5, %gs:ST(st_xmm + 80)
	movdqu	%xmm6, %gs:ST(st_xmm + 96)
	movdqu	%xmm7, %gs:ST(st_xmm + 112)
	movq	%mm0, %gs:ST(st_mm + 0)
	movq	%mm1, %gs:ST(st_mm + 8)
	movq	%mm2, %gs:ST(st_mm + 16)
	movq	%mm3, %gs:ST(st_mm + 24)
	movq	%mm4, %gs:ST(st_mm + 32)
	movq	%mm5, %gs:ST(st_mm + 40)
	movq	%mm6, %gs:ST(st_mm + 48)
	movq	%mm7, %gs:ST(st_mm + 56)
	emms
	movl	%gs:ST(st_state_sel), %eax
	mov	%eax, %ss
	movl	$ST(st_stack_top), %esp
	pushfl
	popl	%gs:ST(st_eflags)
	pushl	$0x33
	pushl	$ABS(leg_back)
	lretl
	.endm

	.code32
	LEGACY_BODY 32
	.code16
	LEGACY_BODY 16
	.code64

	.p2align 6
leg_state:
st_gpr:		.fill	8, 4, 0
st_eflags:	.long	0
st_sel_ds:	.long	0
st_sel_es:	.long	0
st_sel_ss:	.long	0
st_state_sel:	.long	0
		.long	0
st_entry_ip:	.quad	0
st_entry_sel:	.quad	0
st_host_rsp:	.quad	0
st_host_ds:	.long	0
st_host_es:	.long	0
st_host_gs:	.long	0
st_host_ss:	.long	0
		.p2align 4
st_xmm:		.fill	128, 1, 0
st_mm:		.fill	64, 1, 0
		.p2align 4
		.fill	128, 1, 0
st_stack_top:
leg_end:

	.section .note.GNU-stack, "", @progbits
