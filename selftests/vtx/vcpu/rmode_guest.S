/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest of rmode_test.c: real-mode code (CS = 0, at VTX_CODE_GPA)
 * with several entry points and the interrupt handlers the test puts in
 * the IVT.  Each handler reports through UCALL_REPORT: RBX what it is,
 * RCX the return IP on its stack, RDX the return CS, RSI the FLAGS there,
 * RDI its SP; a fault handler returns past the 2-byte instruction.
 */
#include "vtx_guest.h"
#include "rmode.h"

#define ABS(sym)	GUEST_GPA(rmode_guest, sym)

/* report the interrupt frame at SS:SP (clobbers EAX, ECX, EDX, ESI, EDI, BP) */
.macro report_frame id
	mov	%sp, %bp
	movzwl	%sp, %edi
	movzwl	(%bp), %ecx
	movzwl	2(%bp), %edx
	movzwl	4(%bp), %esi
	mov	$\id, %ebx
	ucall	UCALL_REPORT
.endm

GUEST_BEGIN rmode_guest, 16

/* INT n, IRQ: report, return where it was */
GUEST_LABEL rmode_soft_handler
	report_frame RM_VEC_SOFT
	iret
GUEST_LABEL rmode_irq_handler
	report_frame RM_VEC_IRQ
	iret
/* #DE, #UD: report, return past the faulting 2-byte instruction */
GUEST_LABEL rmode_de_handler
	report_frame RM_VEC_DE
	addw	$2, (%bp)
	iret
GUEST_LABEL rmode_ud_handler
	report_frame RM_VEC_UD
	addw	$2, (%bp)
	iret
/* #GP: report, stop */
GUEST_LABEL rmode_gp_handler
	report_frame RM_VEC_GP
	hlt

/* INT n through the IVT; then the flags as the guest reads them */
GUEST_LABEL rmode_int_entry
	ucall_step 1
	int	$RM_VEC_SOFT
GUEST_LABEL rmode_int_ret
	ucall_step 2
	hlt

/* #DE and #UD, each reflected through the IVT */
GUEST_LABEL rmode_fault_entry
	xor	%dx, %dx
	mov	$1, %ax
	xor	%cx, %cx
GUEST_LABEL rmode_de_insn
	div	%cx
	ucall_step 1
GUEST_LABEL rmode_ud_insn
	ud2
	ucall_step 2
	hlt

/* an interrupt injected while halted with IF = 1 */
GUEST_LABEL rmode_irq_entry
	sti
	ucall_step 1
	hlt
GUEST_LABEL rmode_irq_after_hlt
	ucall_step 2
	hlt

/* CR0.PE 0 -> 1 -> 0: LGDT, MOV to CR0, far jumps, MOV from CR0 */
GUEST_LABEL rmode_pe_entry
	lgdt	ABS(rmode_gdtr)
	mov	%cr0, %eax
	or	$1, %eax
	mov	%eax, %cr0
	ljmp	$RM_SEL_CODE16, $ABS(rmode_pm)
GUEST_LABEL rmode_pm
	mov	$RM_SEL_DATA16, %ax
	mov	%ax, %ds
	mov	%ax, %ss
	mov	%cr0, %ebx
	ucall	UCALL_REPORT
	mov	%cr0, %eax
	and	$0xfffffffe, %eax
	mov	%eax, %cr0
	ljmp	$0, $ABS(rmode_rm)
GUEST_LABEL rmode_rm
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %ss
	mov	%cr0, %ebx
	ucall	UCALL_REPORT
	int	$RM_VEC_SOFT
	ucall_step 3
	hlt

/* POPFD of VM and IOPL 3: neither reaches what the guest or the VMM sees */
GUEST_LABEL rmode_flags_entry
	pushl	$RM_FLAGS_HOSTILE
	popfl
	pushfl
	popl	%ebx
	ucall	UCALL_REPORT
	hlt

	.balign	8
GUEST_LABEL rmode_gdt
	.quad	0
	.quad	0x00009b000000ffff	/* RM_SEL_CODE16 */
	.quad	0x000093000000ffff	/* RM_SEL_DATA16 */
GUEST_LABEL rmode_gdt_end
GUEST_LABEL rmode_gdtr
	.word	3 * 8 - 1
	.long	ABS(rmode_gdt)

GUEST_END rmode_guest
