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

/*
 * Big real mode: FS gets a 4 GiB limit in protected mode and keeps it in
 * real mode; loads and a read-modify-write past 64 KiB through it, then
 * the same through DS, whose limit is 64 KiB: #GP.
 */
GUEST_LABEL rmode_big_entry
	lgdt	ABS(rmode_gdt2r)
	mov	%cr0, %eax
	or	$1, %eax
	mov	%eax, %cr0
	ljmp	$RM_SEL_CODE16, $ABS(1f)
1:	mov	$RM_SEL_FLAT, %ax
	mov	%ax, %fs
	mov	%cr0, %eax
	and	$0xfffffffe, %eax
	mov	%eax, %cr0
	ljmp	$0, $ABS(2f)
2:	xor	%ax, %ax
	mov	%ax, %ds
	mov	$RM_BIG_GPA, %esi
	mov	%fs:(%esi), %ebx
	addl	$1, %fs:4(%esi)
	movzbl	%fs:8(%esi), %ecx
	ucall	UCALL_REPORT
GUEST_LABEL rmode_big_gp_insn
	mov	%ds:(%esi), %ebx
	ucall_step 1
	hlt

/*
 * CS with a base above 1 MiB in real mode: 16-bit code at RM_HI_BASE in
 * protected mode, CR0.PE cleared there, a near jump through DI; a read
 * through CS (the high copy's marker), the stack, a near call, then a far
 * jump to CS = 0.
 */
GUEST_LABEL rmode_hi_entry
	mov	$ABS(rmode_hi_rm), %di	/* where the high copy goes on */
6:	lgdt	ABS(rmode_gdt2r)
	mov	%cr0, %eax
	or	$1, %eax
	mov	%eax, %cr0
	ljmp	$RM_SEL_CODEHI, $ABS(rmode_hi_pm)
GUEST_LABEL rmode_hi_pm
	mov	$RM_SEL_DATA16, %ax
	mov	%ax, %ds
	mov	%ax, %ss
	mov	%cr0, %eax
	and	$0xfffffffe, %eax
	mov	%eax, %cr0
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %ss
	jmp	*%di
rmode_hi_rm:
	mov	%cs:ABS(rmode_hi_marker), %ebx
	push	%bx
	pop	%cx
	call	3f
	add	$1, %ebx
	ucall	UCALL_REPORT
	call	rmode_calc
	ucall	UCALL_REPORT
	ljmp	$0, $ABS(rmode_hi_low)
3:	mov	%cx, %dx
	shl	$4, %dx
	ret
GUEST_LABEL rmode_hi_low
	mov	%cs:ABS(rmode_hi_marker), %ebx
	ucall	UCALL_REPORT
	call	rmode_calc
	ucall	UCALL_REPORT
	hlt

/* fold the flags \mask keeps (those the last instruction defines) into SI */
.macro acc mask
	pushf
	pop	%dx
	and	$\mask, %dx
	add	%dx, %si
	rol	$5, %si
.endm
#define FL_ALL		0x8d5	/* OF SF ZF AF PF CF */
#define FL_LOGIC	0x8c5	/* AF undefined */
#define FL_SHIFT	0x0c5	/* AF, OF (count > 1) undefined */
#define FL_MUL		0x801	/* OF CF */
#define FL_CF		0x001
#define FL_ZF		0x040
#define FL_DAS		0x0d5	/* SF ZF AF PF CF */
#define FL_SZP		0x0c4

/*
 * Arithmetic, flags, the stack and string moves, run from the high copy
 * (emulated with ept=0) and from the low one, whose results must agree:
 * EBX, EDI and ESI (the folded flags).
 */
rmode_calc:
	xor	%esi, %esi
	xor	%ebx, %ebx
	mov	$0x1234, %ax
	mov	$0x8765, %bx
	add	%bx, %ax
	acc	FL_ALL
	adc	$0x7fff, %ax
	acc	FL_ALL
	sub	%ax, %bx
	acc	FL_ALL
	sbb	$1, %bl
	acc	FL_ALL
	cmp	$0x80, %bh
	acc	FL_ALL
	neg	%bx
	acc	FL_ALL
	inc	%bx
	acc	FL_ALL
	dec	%ax
	acc	FL_ALL
	and	$0x0ff0, %ax
	acc	FL_LOGIC
	or	%bx, %ax
	acc	FL_LOGIC
	xor	$0x5a5a, %ax
	acc	FL_LOGIC
	test	$0x8000, %ax
	acc	FL_LOGIC
	mov	$0x80000001, %ecx
	shl	$1, %ecx
	acc	FL_LOGIC
	shr	$3, %ecx
	acc	FL_SHIFT
	sar	$1, %ax
	acc	FL_LOGIC
	rol	$1, %bx
	acc	FL_MUL
	ror	%cl, %ax
	mov	$7, %cl
	shl	%cl, %bx
	acc	FL_SHIFT
	mov	$1000, %ax
	mov	$300, %dx
	mul	%dx
	acc	FL_MUL
	add	%ax, %cx
	xor	%dx, %dx
	mov	$7, %bx
	div	%bx
	add	%dx, %cx
	xchg	%ax, %bx
	lea	0x10(%bx,%si), %di
	movsx	%bl, %edx
	movzx	%bh, %eax
	add	%edx, %edi
	add	%eax, %edi
	cmp	%dx, %ax
	setl	%al
	setnz	%ah
	cbw
	cwd
	add	%ax, %cx
	add	%dx, %cx
	pusha
	mov	$0xffff, %ax
	popa
	/* string moves: 8 words of AX at DATA, copied 16 bytes further */
	add	%cx, %bx
	add	%di, %bx
	mov	%si, %bp
	mov	$VTX_DATA_GPA, %di
	mov	$8, %cx
	cld
	rep stosw
	mov	$VTX_DATA_GPA, %si
	mov	$VTX_DATA_GPA + 16, %di
	mov	$16, %cx
	rep movsb
	mov	$VTX_DATA_GPA + 18, %si
	lodsw
	add	%ax, %bx
	/* compare and scan: where the copy and a byte differ */
	movb	$0x77, VTX_DATA_GPA + 21
	mov	$VTX_DATA_GPA, %si
	mov	$VTX_DATA_GPA + 16, %di
	mov	$16, %cx
	repe cmpsb
	add	%cx, %bx
	add	%si, %bx
	mov	$0x77, %al
	mov	$VTX_DATA_GPA, %di
	mov	$32, %cx
	repne scasb
	add	%cx, %bx
	add	%di, %bx
	/* XLAT through the table at DATA */
	push	%bx
	mov	$VTX_DATA_GPA + 16, %bx
	mov	$5, %al
	xlat
	pop	%bx
	movzbl	%al, %eax
	add	%ax, %bx
	mov	%bp, %si
	acc	FL_ALL
	/* signed multiply and divide, LEAVE */
	push	%bp
	mov	%sp, %bp
	push	%ax
	mov	$-300, %dx
	imul	%dx, %ax
	acc	FL_MUL
	imul	$-7, %ax, %cx
	acc	FL_MUL
	imul	$1000, %cx, %di
	acc	FL_MUL
	mov	$-40, %al
	mov	$3, %dl
	imul	%dl
	acc	FL_MUL
	mov	$-1000, %ax
	cwd
	mov	$7, %cx
	idiv	%cx
	add	%dx, %di
	add	%ax, %di
	leave
	add	%ax, %di
	/* a loop and conditional jumps */
	mov	$5, %cx
1:	add	%cx, %bx
	cmp	$3, %cx
	jb	2f
	add	$0x100, %bx
2:	loop	1b
	ret

/*
 * SGDT, SIDT, SMSW (memory and register) from the high copy; then the
 * same from the high copy and the low one: rmode_calc2's bit operations,
 * double shifts, rotates through CF, bit scans, exchanges, BCD.
 */
GUEST_LABEL rmode_hi2_entry
	mov	$ABS(4f), %di
	jmp	6b
4:	sgdt	RM_SDT_GPA
	sidt	RM_SDT_GPA + 8
	smsw	RM_SDT_GPA + 16
	smsw	%ax
	mov	%ax, RM_SDT_GPA + 18
	call	rmode_calc2
	ucall	UCALL_REPORT
	ljmp	$0, $ABS(5f)
5:	call	rmode_calc2
	ucall	UCALL_REPORT
	hlt

/*
 * Instructions of real-mode firmware the first interpreter lacked: BT,
 * BTS, BTR, BTC, SHLD, SHRD, RCL, RCR, BSF, BSR, CMPXCHG, XADD, CMOVcc,
 * INTO, DAS, AAM, AAD, register and memory forms; results in EBX, EDI, ESI (the folded
 * flags) and the word at DATA.
 */
rmode_calc2:
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%ebx, %ebx
	mov	$0x1234, %ax
	mov	$0x8001, %bx
	mov	$5, %cx
	bt	$4, %ax
	acc	FL_CF
	bts	$15, %ax
	acc	FL_CF
	btr	%bx, %ax
	acc	FL_CF
	btc	$0, %bx
	acc	FL_CF
	add	%ax, %di
	add	%bx, %di
	shld	$4, %bx, %ax
	acc	FL_SHIFT
	shrd	%cl, %ax, %bx
	acc	FL_SHIFT
	rcl	$3, %ax
	acc	FL_CF
	rcr	%bx
	acc	FL_MUL
	rcl	%cl, %ebx
	acc	FL_CF
	add	%ax, %di
	add	%bx, %di
	bsf	%bx, %cx
	acc	FL_ZF
	bsr	%ax, %dx
	add	%cx, %di
	add	%dx, %di
	xor	%cx, %cx
	into
	mov	%di, %ax
	cmpxchg	%cx, %dx
	acc	FL_ALL
	mov	%dx, %ax
	cmpxchg	%cx, %dx
	acc	FL_ALL
	xadd	%ax, %bx
	acc	FL_ALL
	cmovz	%bx, %cx
	cmovnz	%ax, %cx
	add	%cx, %di
	/* memory forms at DATA */
	movw	$0x0f0f, VTX_DATA_GPA
	btsw	$12, VTX_DATA_GPA
	acc	FL_CF
	btrw	$0, VTX_DATA_GPA
	acc	FL_CF
	mov	VTX_DATA_GPA, %ax
	mov	$0x5555, %cx
	lock cmpxchg %cx, VTX_DATA_GPA
	acc	FL_ALL
	mov	$3, %dx
	xadd	%dx, VTX_DATA_GPA
	acc	FL_ALL
	shldw	$8, %dx, VTX_DATA_GPA
	acc	FL_SHIFT
	add	%dx, %di
	/* BCD adjustments (DAS, AAM, AAD: those KVM's emulator has) */
	mov	$0x1234, %ax
	sub	$0x0389, %ax
	das
	acc	FL_DAS
	add	%ax, %di
	aam
	acc	FL_SZP
	add	%ax, %di
	.byte	0xd5, 7		/* AAD 7 */
	acc	FL_SZP
	add	%ax, %di
	mov	VTX_DATA_GPA, %bx
	ret

	.balign	4
GUEST_LABEL rmode_hi_marker
	.long	RM_MARKER_LOW

	.balign	8
GUEST_LABEL rmode_gdt
	.quad	0
	.quad	0x00009b000000ffff	/* RM_SEL_CODE16 */
	.quad	0x000093000000ffff	/* RM_SEL_DATA16 */
GUEST_LABEL rmode_gdt_end
GUEST_LABEL rmode_gdtr
	.word	3 * 8 - 1
	.long	ABS(rmode_gdt)

	.balign	8
GUEST_LABEL rmode_gdt2
	.quad	0
	.quad	0x00009b000000ffff	/* RM_SEL_CODE16 */
	.quad	0x000093000000ffff	/* RM_SEL_DATA16 */
	.quad	0x008f93000000ffff	/* RM_SEL_FLAT: 4 GiB, G = 1 */
	.quad	0x00009b100000ffff	/* RM_SEL_CODEHI: base RM_HI_BASE */
GUEST_LABEL rmode_gdt2r
	.word	5 * 8 - 1
	.long	ABS(rmode_gdt2)

GUEST_END rmode_guest
