/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entry of the Multiboot test guest (32-bit).  The header asks for page
 * aligned modules and memory information; with AOUT_KLUDGE defined it
 * also carries the load addresses (flag 16), for the flat-binary build.
 * A Multiboot loader leaves ESP undefined: use our own stack.
 */
#define MB_MAGIC	0x1badb002
#ifdef AOUT_KLUDGE
#define MB_FLAGS	0x00010003
#else
#define MB_FLAGS	0x00000003
#endif

	.section .multiboot, "a"
	.balign 4
mb_header:
	.long	MB_MAGIC
	.long	MB_FLAGS
	.long	-(MB_MAGIC + MB_FLAGS)
#ifdef AOUT_KLUDGE
	.long	mb_header		/* header_addr */
	.long	_load_start		/* load_addr */
	.long	_load_end		/* load_end_addr */
	.long	_bss_end		/* bss_end_addr */
	.long	_start			/* entry_addr */
#endif

	.text
	.code32
	.globl	_start
_start:
	mov	$stack_top, %esp
	push	%ebx			/* the Multiboot information */
	push	%eax			/* the magic */
	call	mb_main
1:	cli
	hlt
	jmp	1b

	.bss
	.balign 16
	.space	16384
stack_top:
