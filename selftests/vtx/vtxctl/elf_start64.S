/* SPDX-License-Identifier: GPL-2.0 */
/* Entry of the 64-bit ELF test guests: vtxctl passes the vCPU index in ESI. */
	.text
	.code64
	.globl	_start
_start:
	lea	stack_top(%rip), %rsp
	mov	%esi, %edi
	call	elf_main
1:	cli
	hlt
	jmp	1b

	.bss
	.balign 16
	.space	16384
stack_top:
