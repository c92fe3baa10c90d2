/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest of cpuid_test.c: executes CPUID for each (leaf, subleaf) pair the
 * host put at SCRATCH_GPA (u32 count, then count pairs of u32) and writes
 * EAX, EBX, ECX, EDX of each to CPUID_OUT_GPA, then ucall DONE and HLT.
 */
#include "vtx_guest.h"
#include "vcpu.h"
#include "cpuid.h"

GUEST_BEGIN cpuid_guest, 64
	mov	SCRATCH_GPA, %r8d
	mov	$SCRATCH_GPA + 8, %r9
	mov	$CPUID_OUT_GPA, %r10
1:	test	%r8d, %r8d
	jz	2f
	mov	(%r9), %eax
	mov	4(%r9), %ecx
	cpuid
	mov	%eax, (%r10)
	mov	%ebx, 4(%r10)
	mov	%ecx, 8(%r10)
	mov	%edx, 12(%r10)
	add	$8, %r9
	add	$16, %r10
	dec	%r8d
	jmp	1b
2:	ucall	UCALL_DONE
	hlt
GUEST_END cpuid_guest

/* CPUID(1).ECX before and after the guest sets CR4.OSXSAVE */
GUEST_BEGIN cpuid_osx_guest, 64
	mov	$1, %eax
	xor	%ecx, %ecx
	cpuid
	mov	%ecx, %ebx
	ucall	UCALL_REPORT
	mov	%cr4, %rax
	or	$CR4_OSXSAVE, %rax
	mov	%rax, %cr4
	mov	$1, %eax
	xor	%ecx, %ecx
	cpuid
	mov	%ecx, %ebx
	ucall	UCALL_REPORT
	hlt
GUEST_END cpuid_osx_guest
