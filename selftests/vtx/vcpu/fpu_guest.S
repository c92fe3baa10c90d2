/* SPDX-License-Identifier: GPL-2.0 */
/* Guests of fpu_test.c */
#include "guest_exc.h"
#include "fpu.h"

.macro cr4_set bits
	mov	%cr4, %rax
	or	$(\bits), %rax
	mov	%rax, %cr4
.endm

.macro load_xmm
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	movdqu	FPU_IN_GPA + 32 * \n, %xmm\n
	.endr
.endm

.macro store_xmm
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	movdqu	%xmm\n, FPU_OUT_GPA + 32 * \n
	.endr
.endm

.macro load_ymm
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmovdqu	FPU_IN_GPA + 32 * \n, %ymm\n
	.endr
.endm

.macro store_ymm
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmovdqu	%ymm\n, FPU_OUT_GPA + 32 * \n
	.endr
.endm

/* SSE: load XMM0-15 from FPU_IN, then store them at every step */
GUEST_BEGIN fpu_xmm_guest, 64
	cr4_set	CR4_OSFXSR | CR4_OSXMMEXCPT
	load_xmm
	ucall_step 1
	store_xmm
	ucall_step 2
	store_xmm
	ucall_step 3
	store_xmm
	ucall_step 4
	hlt
GUEST_END fpu_xmm_guest

/* AVX: XCR0 = x87 | SSE | AVX, then the same with YMM0-15 */
GUEST_BEGIN fpu_ymm_guest, 64
	cr4_set	CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE
	xor	%ecx, %ecx
	xor	%edx, %edx
	mov	$7, %eax
	xsetbv
	load_ymm
	ucall_step 1
	store_ymm
	ucall_step 2
	store_ymm
	ucall_step 3
	store_ymm
	ucall_step 4
	hlt
GUEST_END fpu_ymm_guest

/* Store XMM0-15 first thing: what KVM_SET_FPU put there */
GUEST_BEGIN fpu_store_guest, 64
	cr4_set	CR4_OSFXSR | CR4_OSXMMEXCPT
	store_xmm
	ucall	UCALL_DONE
	hlt
GUEST_END fpu_store_guest

/*
 * XCR0: report it (XGETBV), then XSETBV each entry of the list, expecting
 * #GP where the list says so, then report XCR0 again.
 */
GUEST_BEGIN fpu_xcr_guest, 64
	cr4_set	CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE
	xor	%ecx, %ecx
	xgetbv
	mov	%eax, %ebx
	ucall	UCALL_REPORT
	mov	XSETBV_LIST_GPA, %r8d
	mov	$XSETBV_LIST_GPA + 8, %rsi
1:	test	%r8d, %r8d
	jz	2f
	resume_at fpu_xcr_guest, 3f
	mov	(%rsi), %eax
	mov	4(%rsi), %edx
	mov	8(%rsi), %ecx
GUEST_LABEL fpu_xsetbv_insn
	xsetbv
3:	movq	$0, EXC_RESUME_GPA
	add	$16, %rsi
	dec	%r8d
	jmp	1b
2:	xor	%ecx, %ecx
	xgetbv
	mov	%eax, %ebx
	ucall	UCALL_REPORT
	hlt
	EXC_STUBS64 fpu_xcr_stubs
GUEST_END fpu_xcr_guest

/*
 * Load XMM0-15, then check in a long loop (one KVM_RUN, IF = 1, so host
 * timer interrupts exit and the thread may be scheduled out and back in
 * the middle) that XMM1, XMM5, XMM12 and XMM15 still hold what was
 * loaded (XMM0 is scratch); store them all at the end or at the first
 * difference (UCALL_FAIL, RBX = rounds left).
 */
.macro check_xmm n
	movq	%xmm\n, %rax
	cmp	FPU_IN_GPA + 32 * \n, %rax
	jne	9f
	pshufd	$0x4e, %xmm\n, %xmm0	/* the high quadword */
	movq	%xmm0, %rax
	cmp	FPU_IN_GPA + 32 * \n + 8, %rax
	jne	9f
.endm

GUEST_BEGIN fpu_preempt_guest, 64
	cr4_set	CR4_OSFXSR | CR4_OSXMMEXCPT
	load_xmm
	ucall_step 1
	mov	$PREEMPT_LOOPS, %r8d
1:	check_xmm 1
	check_xmm 5
	check_xmm 12
	check_xmm 15
	dec	%r8d
	jnz	1b
	store_xmm
	ucall_step 2
	hlt
9:	store_xmm
	mov	%r8, %rbx
	ucall	UCALL_FAIL
	hlt
GUEST_END fpu_preempt_guest

/*
 * PKRU: XSETBV(XCR0 = x87 | SSE | PKRU) (#GP expected where the driver
 * refuses PKRU: the handler reports it and resumes), then XRSTOR the PKRU
 * component of the area at PKRU_AREA_GPA (#GP if XCR0 lacks PKRU: its
 * XSTATE_BV names it), then report XCR0 (RBX).
 */
GUEST_BEGIN fpu_pkru_guest, 64
	cr4_set	CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE
	resume_at fpu_pkru_guest, 1f
	xor	%ecx, %ecx
	xor	%edx, %edx
	mov	$XCR0_FP_SSE_PKRU, %eax
GUEST_LABEL fpu_pkru_xsetbv
	xsetbv
1:	movq	$0, EXC_RESUME_GPA
	resume_at fpu_pkru_guest, 2f
	xor	%edx, %edx
	mov	$XCR0_PKRU, %eax
	mov	$PKRU_AREA_GPA, %rdi
GUEST_LABEL fpu_pkru_xrstor
	xrstor	(%rdi)
2:	movq	$0, EXC_RESUME_GPA
	xor	%ecx, %ecx
	xgetbv
	mov	%eax, %ebx
	ucall	UCALL_REPORT
	hlt
	EXC_STUBS64 fpu_pkru_stubs
GUEST_END fpu_pkru_guest

/*
 * A vCPU whose CPUID has no XSAVE: try CR4.OSXSAVE (KVM refuses it with
 * #GP), then XSETBV(XCR0 = x87 | SSE), which must raise #UD either way;
 * then report.
 */
GUEST_BEGIN fpu_noxsave_guest, 64
	resume_at fpu_noxsave_guest, 1f
	cr4_set	CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE
1:	movq	$0, EXC_RESUME_GPA
	resume_at fpu_noxsave_guest, 2f
	xor	%ecx, %ecx
	xor	%edx, %edx
	mov	$XCR0_FP_SSE, %eax
GUEST_LABEL fpu_noxsave_xsetbv
	xsetbv
2:	movq	$0, EXC_RESUME_GPA
	ucall	UCALL_REPORT
	hlt
	EXC_STUBS64 fpu_noxsave_stubs
GUEST_END fpu_noxsave_guest
