/* SPDX-License-Identifier: GPL-2.0 */
/* Guests of smp_test.c */
#include "vtx_guest.h"
#include "vcpu.h"
#include "smp.h"

/*
 * One program for every vCPU; RDI = the vCPU's index, RSP its own stack.
 * SMP_ITERS times: OUT (index << 16 | i), IN a value, add it up; report
 * the sum.
 */
GUEST_BEGIN smp_pio_guest, 64
	xor	%r12d, %r12d
	xor	%r13d, %r13d
1:	mov	%edi, %eax
	shl	$16, %eax
	or	%r13d, %eax
	out	%eax, $SMP_PORT_OUT
	in	$SMP_PORT_IN, %eax
	add	%rax, %r12
	inc	%r13d
	cmp	$SMP_ITERS, %r13d
	jb	1b
	mov	%r12, %rbx
	mov	%rdi, %rcx
	ucall	UCALL_REPORT
	hlt
GUEST_END smp_pio_guest

/*
 * State that must follow the vCPU from CPU to CPU: GPRs, an XMM
 * accumulator, KERNEL_GS_BASE and LSTAR, the TSC.  Each round: x = LCG(x),
 * XMM1 += x, check the MSRs and that RDTSC did not go backwards, report x
 * (RBX) and XMM1's low quadword (RSI); UCALL_FAIL with the MSR that was
 * wrong (IA32_TSC for the TSC) in RBX.
 */
GUEST_BEGIN smp_migrate_guest, 64
	mov	%cr4, %rax
	or	$(CR4_OSFXSR | CR4_OSXMMEXCPT), %rax
	mov	%rax, %cr4
	mov	$MSR_KERNEL_GS_BASE, %ecx
	mov	$MIG_KGS, %eax
	xor	%edx, %edx
	wrmsr
	mov	$MSR_LSTAR, %ecx
	mov	$MIG_LSTAR_LO, %eax
	mov	$MIG_LSTAR_HI, %edx
	wrmsr
	pxor	%xmm1, %xmm1
	xor	%r14d, %r14d
	movabs	$LCG_SEED, %r12
	xor	%r13d, %r13d
1:	movabs	$LCG_MUL, %rax
	imul	%rax, %r12
	movabs	$LCG_ADD, %rax
	add	%rax, %r12
	movq	%r12, %xmm0
	paddq	%xmm0, %xmm1
	mov	$MSR_KERNEL_GS_BASE, %ecx
	rdmsr
	cmp	$MIG_KGS, %eax
	jne	9f
	test	%edx, %edx
	jne	9f
	mov	$MSR_LSTAR, %ecx
	rdmsr
	cmp	$MIG_LSTAR_LO, %eax
	jne	9f
	cmp	$MIG_LSTAR_HI, %edx
	jne	9f
	/* the guest's TSC never goes backwards, whatever CPU it is on */
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	cmp	%r14, %rax
	jb	8f
	mov	%rax, %r14
	movq	%xmm1, %rsi
	mov	%r12, %rbx
	ucall	UCALL_REPORT
	inc	%r13d
	cmp	$MIGRATE_ITERS, %r13d
	jb	1b
	ucall	UCALL_DONE
	hlt
8:	mov	$MSR_IA32_TSC, %ecx	/* the TSC went backwards */
9:	mov	%ecx, %ebx
	ucall	UCALL_FAIL
	hlt
GUEST_END smp_migrate_guest
