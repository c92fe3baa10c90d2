/* SPDX-License-Identifier: GPL-2.0 */
/* Guests of tsc_test.c */
#include "vtx_guest.h"
#include "vcpu.h"
#include "tsc.h"

/* RAX = RDTSC as one 64-bit number (clobbers RDX) */
.macro rdtsc64
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
.endm

GUEST_BEGIN tsc_guest, 64
	ucall_step 1
	/* TSC_LOOPS RDTSCs: count the times it went backwards */
	xor	%r10d, %r10d
	rdtsc64
	mov	%rax, %r9
	mov	$TSC_LOOPS, %r8d
1:	rdtsc64
	cmp	%r9, %rax
	jae	2f
	inc	%r10
2:	mov	%rax, %r9
	dec	%r8d
	jnz	1b
	mov	%r10, %rbx
	ucall	UCALL_REPORT
	/* before and after an exit */
	rdtsc64
	mov	%rax, %rbx
	ucall	UCALL_REPORT
	rdtsc64
	mov	%rax, %rbx
	ucall	UCALL_REPORT
	/* WRMSR IA32_TSC, then RDTSC */
	mov	$MSR_IA32_TSC, %ecx
	xor	%eax, %eax
	mov	$TSC_GUEST_HI, %edx
	wrmsr
	rdtsc64
	mov	%rax, %rbx
	ucall	UCALL_REPORT
	/* after the host's KVM_SET_MSRS */
	rdtsc64
	mov	%rax, %rbx
	ucall	UCALL_REPORT
	hlt
GUEST_END tsc_guest

/* RDTSCP: ECX = TSC_AUX as userspace set it, then as the guest set it */
GUEST_BEGIN rdtscp_guest, 64
	rdtscp
	mov	%ecx, %ebx
	ucall	UCALL_REPORT
	mov	$MSR_TSC_AUX, %ecx
	mov	$TSC_AUX_GUEST, %eax
	xor	%edx, %edx
	wrmsr
	rdtscp
	mov	%ecx, %ebx
	ucall	UCALL_REPORT
	hlt
GUEST_END rdtscp_guest
