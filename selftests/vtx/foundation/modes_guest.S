/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest of modes_test.c: one program, assembled three times (.code16,
 * .code32, .code64).  It computes, does port I/O of every size and string
 * I/O with REP, reports through ucalls and halts.  Register names are the
 * 32-bit ones, which the assembler encodes correctly for each mode; the
 * string instructions use SI/DI/CX in real mode and RSI/RDI/RCX in long
 * mode.
 */
#include "vtx_guest.h"
#include "modes.h"

/* ECX = count, with the high half preserved-by-REP marker in real mode */
.macro load_count n, cx_hi
	mov	$(\cx_hi | \n), %ecx
.endm

/* EAX/RAX = the value an IN merges into */
.macro pre_in wide
	.if \wide
	movabs	$PRE_IN64, %rax
	.else
	mov	$PRE_IN32, %eax
	.endif
.endm

/* Report EAX/RAX (clobbers RBX) */
.macro report_ax wide
	.if \wide
	mov	%rax, %rbx
	.else
	mov	%eax, %ebx
	.endif
	ucall	UCALL_REPORT
.endm

.macro io_program name, wide, cx_hi
	mov	$VTX_STACK_TOP, %esp
	cld

	/* sum of i*i for i = 1..SUMSQ_N */
	xor	%eax, %eax
	mov	$SUMSQ_N, %ecx
1:	mov	%ecx, %edx
	imul	%edx, %edx
	add	%edx, %eax
	dec	%ecx
	jnz	1b
	mov	%eax, %ebx
	ucall	UCALL_REPORT

	/* fib(FIB_N): (a, b) = (b, a + b), FIB_N times */
	xor	%eax, %eax
	mov	$1, %ebx
	mov	$FIB_N, %ecx
2:	mov	%eax, %edx
	add	%ebx, %edx
	mov	%ebx, %eax
	mov	%edx, %ebx
	dec	%ecx
	jnz	2b
	mov	%eax, %ebx
	ucall	UCALL_REPORT

	/* OUT of each size */
	mov	$VAL_OUTB, %al
	outb	%al, $PORT_OUTB
	mov	$PORT_OUTW, %dx
	mov	$VAL_OUTW, %ax
	outw	%ax, %dx
	mov	$PORT_OUTL, %dx
	mov	$VAL_OUTL, %eax
	outl	%eax, %dx

	/* IN of each size, merging into a known EAX/RAX */
	pre_in	\wide
	inb	$PORT_INB, %al
	report_ax \wide
	pre_in	\wide
	mov	$PORT_INW, %dx
	inw	%dx, %ax
	report_ax \wide
	pre_in	\wide
	mov	$PORT_INL, %dx
	inl	%dx, %eax
	report_ax \wide

	/* String I/O: every step ends with a checkpoint ucall */
	mov	$PORT_STR, %dx

	mov	$OUTSB_SRC, %esi
	load_count OUTSB_N, \cx_hi
	rep outsb
	ucall_step STR_OUTSB

	mov	$OUTSW_SRC, %esi
	load_count OUTSW_N, \cx_hi
	rep outsw
	ucall_step STR_OUTSW

	mov	$OUTSL_SRC, %esi
	load_count OUTSL_N, \cx_hi
	rep outsl
	ucall_step STR_OUTSL

	mov	$INSB_DST, %edi
	load_count INSB_N, \cx_hi
	rep insb
	ucall_step STR_INSB

	mov	$INSW_DST, %edi
	load_count INSW_N, \cx_hi
	rep insw
	ucall_step STR_INSW

	mov	$INSL_DST, %edi
	load_count INSL_N, \cx_hi
	rep insl
	ucall_step STR_INSL

	mov	$XPAGE_DST, %edi
	load_count XPAGE_N, \cx_hi
	rep insb
	ucall_step STR_INSB_XPAGE

	mov	$LONGIN_DST, %edi
	load_count LONGIN_N, \cx_hi
	rep insb
	ucall_step STR_INSB_LONG

	mov	$LONGOUT_SRC, %esi
	load_count LONGOUT_N, \cx_hi
	rep outsb
	ucall_step STR_OUTSB_LONG

	std
	mov	$DOWNOUT_SRC, %esi
	load_count DOWNOUT_N, \cx_hi
	rep outsb
	cld
	ucall_step STR_OUTSB_DOWN

	std
	mov	$DOWNIN_DST, %edi
	load_count DOWNIN_N, \cx_hi
	rep insb
	cld
	ucall_step STR_INSB_DOWN

	hlt
GUEST_LABEL \name\()_halted
	/* never reached: HLT exits to the host, which ends the test */
	ud2
.endm

GUEST_BEGIN modes_guest_real, 16
	io_program modes_guest_real, 0, CX_HI_REAL
GUEST_END modes_guest_real

GUEST_BEGIN modes_guest_prot32, 32
	io_program modes_guest_prot32, 0, 0
GUEST_END modes_guest_prot32

GUEST_BEGIN modes_guest_long64, 64
	io_program modes_guest_long64, 1, 0
GUEST_END modes_guest_long64

/* pio_exit_rip: where RIP is at each I/O exit */
GUEST_BEGIN pio_rip_guest, 64
	mov	$0x17, %eax
GUEST_LABEL pio_rip_out
	outb	%al, $0x80
GUEST_LABEL pio_rip_in
	inb	$0x81, %al
GUEST_LABEL pio_rip_out7e
	outb	%al, $0x7e
GUEST_LABEL pio_rip_after7e
	movzbl	%al, %ebx
	ucall	UCALL_REPORT
	hlt
GUEST_LABEL pio_rip_halted
	ud2
GUEST_END pio_rip_guest

/*
 * Real mode to protected mode with CS holding a data type (as SMM entry
 * leaves it: modes_test.c, real_to_protected_data_cs): LGDT, CR0.PE = 1,
 * the far jump to a flat 32-bit code segment, HLT there.
 */
GUEST_BEGIN modes_pe_data_cs_guest, 16
	lgdtl	GUEST_GPA(modes_pe_data_cs_guest, 2f)
	mov	%cr0, %eax
	or	$1, %eax
	mov	%eax, %cr0
	ljmpl	$8, $GUEST_GPA(modes_pe_data_cs_guest, 1f)
	.code32
1:	mov	$0x5e5e, %ebx
	hlt
	.p2align 3
2:	.word	15
	.long	GUEST_GPA(modes_pe_data_cs_guest, 3f)
	.p2align 3
3:	.quad	0
	.quad	0x00cf9b000000ffff
GUEST_END modes_pe_data_cs_guest
