/* SPDX-License-Identifier: GPL-2.0 */
/* Entry of the 32-bit ELF test guest: vtxctl passes the vCPU index in ESI. */
	.text
	.code32
	.globl	_start
_start:
	mov	$stack_top, %esp
	push	%esi
	call	elf_main
1:	cli
	hlt
	jmp	1b

	.bss
	.balign 16
	.space	16384
stack_top:
