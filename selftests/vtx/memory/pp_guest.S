/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The peek/poke guest (pp.h): 32-bit protected mode, flat segments, no
 * paging.  It waits at an OUT to PP_PORT_CMD, runs the command in the
 * mailbox and waits again.  IF is set: the loops may be long, and a
 * nested guest spinning with IF=0 hangs the Bochs test VM.
 */
#include "vtx_guest.h"
#include "pp.h"

#define MBOX(n)		(PP_MBOX_GPA + 4 * (n))

GUEST_BEGIN pp_guest, 32
	mov	$VTX_STACK_TOP, %esp
	cld
	sti
pp_loop:
	out	%al, $PP_PORT_CMD
	mov	MBOX(1), %esi		/* addr */
	mov	MBOX(2), %edx		/* value */
	mov	MBOX(3), %ecx		/* count */
	mov	MBOX(4), %edi		/* stride */
	mov	MBOX(0), %eax		/* op */
	cmp	$PP_NR_OPS, %eax
	jae	pp_bad
	jmp	*GUEST_GPA(pp_guest, pp_table)(, %eax, 4)

pp_halt:
	hlt
	jmp	pp_loop
pp_read8:
	movzbl	(%esi), %ebx
	jmp	pp_report
pp_read16:
	movzwl	(%esi), %ebx
	jmp	pp_report
pp_read32:
	mov	(%esi), %ebx
	jmp	pp_report
pp_write8:
	mov	%dl, (%esi)
	jmp	pp_loop
pp_write16:
	mov	%dx, (%esi)
	jmp	pp_loop
pp_write32:
	mov	%edx, (%esi)
	jmp	pp_loop
pp_ins:
	mov	%esi, %edi
	mov	$PP_PORT_DATA, %dx
	rep insb
	jmp	pp_loop
pp_movs:
	mov	%esi, %edi
	mov	%edx, %esi
	rep movsb
	jmp	pp_loop
pp_fill:
	test	%ecx, %ecx
	jz	pp_loop
1:	mov	%esi, %eax
	xor	%edx, %eax
	mov	%eax, (%esi)
	add	$4, %esi
	dec	%ecx
	jnz	1b
	jmp	pp_loop
pp_check:
	xor	%ebx, %ebx
	test	%ecx, %ecx
	jz	pp_report
1:	mov	%esi, %eax
	xor	%edx, %eax
	cmp	%eax, (%esi)
	je	2f
	inc	%ebx
2:	add	$4, %esi
	dec	%ecx
	jnz	1b
	jmp	pp_report
pp_sum:
	xor	%ebx, %ebx
	test	%ecx, %ecx
	jz	pp_report
1:	add	(%esi), %ebx
	add	%edi, %esi
	dec	%ecx
	jnz	1b
pp_report:
	ucall	UCALL_REPORT
	jmp	pp_loop
pp_bad:
	mov	%eax, %ebx
	ucall	UCALL_FAIL
	jmp	pp_loop

	.balign	4
pp_table:
	.long	GUEST_GPA(pp_guest, pp_halt)
	.long	GUEST_GPA(pp_guest, pp_read8)
	.long	GUEST_GPA(pp_guest, pp_read16)
	.long	GUEST_GPA(pp_guest, pp_read32)
	.long	GUEST_GPA(pp_guest, pp_write8)
	.long	GUEST_GPA(pp_guest, pp_write16)
	.long	GUEST_GPA(pp_guest, pp_write32)
	.long	GUEST_GPA(pp_guest, pp_fill)
	.long	GUEST_GPA(pp_guest, pp_check)
	.long	GUEST_GPA(pp_guest, pp_sum)
	.long	GUEST_GPA(pp_guest, pp_ins)
	.long	GUEST_GPA(pp_guest, pp_movs)
GUEST_END pp_guest
