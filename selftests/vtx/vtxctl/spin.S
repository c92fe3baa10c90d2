/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A flat real-mode guest that never stops: an endless loop of OUTs to port
 * 0x80, for "vtxctl top" and for stopping a run with SIGINT.  STI first:
 * in the Bochs test VM a nested guest spinning with IF = 0 hangs the host
 * (tools/guests/README.md); here every iteration exits anyway.
 */
	.code16
	.text
	.globl	_start
_start:
	sti
1:	outb	%al, $0x80
	jmp	1b
