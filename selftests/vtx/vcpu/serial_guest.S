/* SPDX-License-Identifier: GPL-2.0 */
/* Guests of serial_test.c (all run with IF = 1) */
#include "vtx_guest.h"
#include "vcpu.h"
#include "serial.h"

/*
 * At every ucall R13 = 3 * R12 + 7 and R14 = ~R12; in between, the three
 * are updated one at a time with work in between, so a register read that
 * does not wait for KVM_RUN to return sees them disagree.
 */
GUEST_BEGIN serial_guest, 64
	xor	%r12d, %r12d
	mov	$7, %r13d
	mov	%r12, %r14
	not	%r14
1:	inc	%r12
	mov	$SERIAL_WORK, %ecx
2:	dec	%ecx
	jnz	2b
	lea	7(%r12, %r12, 2), %r13
	mov	$SERIAL_WORK, %ecx
3:	dec	%ecx
	jnz	3b
	mov	%r12, %r14
	not	%r14
	mov	%r12, %rbx
	ucall	UCALL_STEP
	cmp	$SERIAL_ITERS, %r12
	jb	1b
4:	hlt
	jmp	4b
GUEST_END serial_guest

/* A long loop, then a report */
GUEST_BEGIN serial_long_guest, 64
	mov	$LONG_LOOP, %ecx
1:	dec	%rcx
	jnz	1b
	mov	$LONG_DONE, %ebx
	ucall	UCALL_REPORT
	hlt
GUEST_END serial_long_guest

/* Spins until a signal stops KVM_RUN */
GUEST_BEGIN serial_spin_guest, 64
1:	jmp	1b
GUEST_END serial_spin_guest
