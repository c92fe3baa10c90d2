/* SPDX-License-Identifier: GPL-2.0 */
/* Guests of pv_test.c */
#include "vtx_guest.h"
#include "vcpu.h"
#include "pv.h"

/*
 * kvmclock: MSR_KVM_WALL_CLOCK_NEW = WALL_GPA, ucall STEP 1; then
 * MSR_KVM_SYSTEM_TIME_NEW = PVTI_GPA | 1 and, forever, the clock read as
 * a pvclock reader does (version even and unchanged around the read,
 * system_time + ((TSC - tsc_timestamp) << shift) * mul >> 32) in a
 * ucall REPORT (RBX).
 */
GUEST_BEGIN pvclock_guest, 64
	mov	$PV_MSR_WALL_CLOCK_NEW, %ecx
	mov	$WALL_GPA, %eax
	xor	%edx, %edx
	wrmsr
	ucall_step 1
	mov	$PV_MSR_SYSTEM_TIME_NEW, %ecx
	mov	$(PVTI_GPA | 1), %eax
	xor	%edx, %edx
	wrmsr
1:	mov	PVTI_GPA + PVTI_VERSION, %r8d
	test	$1, %r8d
	jnz	1b
	lfence
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	sub	PVTI_GPA + PVTI_TSC_TIMESTAMP, %rax
	movsbl	PVTI_GPA + PVTI_SHIFT, %ecx
	test	%ecx, %ecx
	js	2f
	shl	%cl, %rax
	jmp	3f
2:	neg	%ecx
	shr	%cl, %rax
3:	mov	PVTI_GPA + PVTI_MUL, %r9d
	mul	%r9
	shrd	$32, %rdx, %rax
	add	PVTI_GPA + PVTI_SYSTEM_TIME, %rax
	mov	%rax, %rbx
	lfence
	cmp	PVTI_GPA + PVTI_VERSION, %r8d
	jne	1b
	ucall	UCALL_REPORT
	jmp	1b
GUEST_END pvclock_guest

/* ucall STEP forever: each KVM_RUN enters the guest once */
GUEST_BEGIN step_guest, 64
1:	ucall_step 1
	jmp	1b
GUEST_END step_guest
