/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Runs one instruction in 32-bit (compatibility mode, CS 0x23) or 16-bit
 * code (a 16-bit LDT code segment), copied at run time to LEG_BASE.
 *
 * The 64-bit part far-returns to leg_entry_ip:leg_entry_sel with EAX the
 * selector of the "state" LDT segment, whose base is leg_state.  The
 * 16/32-bit part uses GS (= that segment) to reach the state, switches to
 * the stack inside it, loads EFLAGS, DS/ES/SS (test LDT segments), the
 * eight GPRs, runs the 16-byte slot (NOPs, then the instruction, ending
 * right before the stores), stores GPRs and EFLAGS back and far-returns to
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
		.fill	128, 1, 0
st_stack_top:
leg_end:

	.section .note.GNU-stack, "", @progbits
