/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A flat 32-bit protected-mode guest (vtxctl --mode protected) that
 * triple-faults: vtxctl starts it with an empty IDT (limit 0), so #UD
 * becomes #GP, then #DF, then a shutdown (KVM_EXIT_SHUTDOWN, and vtx's
 * vcpu-shutdown event).
 */
	.code32
	.text
	.globl	_start
_start:
	ud2
