/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for guest code written in .S files.
 *
 * A guest blob is position-dependent: it is copied to VTX_CODE_GPA and runs
 * there, so an absolute address inside it is GUEST_GPA(blob, label).  The
 * blob's bytes live in .rodata.guest of the host binary; the host sees the
 * blob as the symbols NAME and NAME_end, plus any label made global with
 * GUEST_LABEL.
 *
 *	GUEST_BEGIN my_guest, 16	// .code16 / .code32 / .code64
 *		mov	$1, %ebx
 *		ucall	UCALL_REPORT
 *	GUEST_LABEL my_guest_halt
 *		hlt
 *	GUEST_END my_guest
 */
#ifndef VTX_GUEST_H
#define VTX_GUEST_H

#include "vtx.h"

#define GUEST_GPA(blob, sym)	((sym) - (blob) + VTX_CODE_GPA)

/* Guest blobs are data to the host: keep its stack non-executable. */
	.section .note.GNU-stack, "", @progbits

.macro GUEST_BEGIN name, bits
	.pushsection .rodata.guest, "a"
	.globl \name
	.type \name, @object
\name:
	.code\bits
.endm

.macro GUEST_LABEL name
	.globl \name
\name:
.endm

.macro GUEST_END name
	.globl \name\()_end
\name\()_end:
	.size \name, \name\()_end - \name
	.code64
	.popsection
.endm

/* ucall CODE: "out %eax, $VTX_UCALL_PORT" with EAX = CODE (clobbers EAX). */
.macro ucall code
	mov	$\code, %eax
	out	%eax, $VTX_UCALL_PORT
.endm

/* Report a value through RBX / a checkpoint number (clobber EAX, EBX). */
.macro ucall_step n
	mov	$\n, %ebx
	ucall	UCALL_STEP
.endm

#endif /* VTX_GUEST_H */
