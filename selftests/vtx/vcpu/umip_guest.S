/* SPDX-License-Identifier: GPL-2.0 */
/* Guest of umip_test.c */
#include "guest_exc.h"
#include "umip.h"

/*
 * At CPL 0: the descriptor-table instructions with CR4.UMIP clear, then
 * set (the values must not change), LGDT/LIDT/LTR/LLDT, SLDT/STR to
 * registers of each size, the emulated MSRs, LLDT/LTR of a TI=1 selector
 * (#GP(selector)).  Then CPUID faulting on and
 * IRETQ to CPL 3, where SGDT, SIDT, SLDT, STR and CPUID raise #GP(0).
 */
GUEST_BEGIN umip_guest, 64
	sgdt	UMIP_OUT_GPA + OUT_SGDT
	sidt	UMIP_OUT_GPA + OUT_SIDT
	ucall_step 1
	mov	%cr4, %rax
	or	$CR4_UMIP_BIT, %rax
	mov	%rax, %cr4
	mov	%cr4, %rbx
	ucall	UCALL_REPORT

	lgdt	UMIP_OUT_GPA + OUT_LGDT_SRC
	sgdt	UMIP_OUT_GPA + OUT_SGDT2
	sidt	UMIP_OUT_GPA + OUT_SIDT2
	lidt	UMIP_OUT_GPA + OUT_SIDT2
	mov	$SEL_TSS, %ax
	ltr	%ax
	lldt	UMIP_OUT_GPA + OUT_LLDT_SRC
	sldt	UMIP_OUT_GPA + OUT_SLDT
	mov	$-1, %rbx
	str	%bx			/* 16 bits: the rest stays */
	mov	$-1, %rcx
	sldt	%ecx			/* 32 bits: zero-extended */
	mov	$-1, %rdx
	.byte	0x48, 0x0f, 0x00, 0xca	/* str %rdx (REX.W; gas drops it) */
	ucall	UCALL_REPORT

	mov	$MSR_IA32_ARCH_CAPABILITIES, %ecx
	rdmsr
	mov	%eax, UMIP_OUT_GPA + OUT_ARCH_CAPS
	mov	%edx, UMIP_OUT_GPA + OUT_ARCH_CAPS + 4
	mov	$MSR_IA32_TSC_ADJUST, %ecx
	mov	$(UMIP_TSC_ADJ & 0xffffffff), %eax
	mov	$(UMIP_TSC_ADJ >> 32), %edx
	wrmsr
	rdmsr
	mov	%eax, UMIP_OUT_GPA + OUT_TSC_ADJ
	mov	%edx, UMIP_OUT_GPA + OUT_TSC_ADJ + 4
	mov	$MSR_PLATFORM_INFO, %ecx
	rdmsr
	mov	%eax, %ebx
	ucall	UCALL_REPORT
	mov	$MSR_MISC_FEATURES_ENABLES, %ecx
	mov	$1, %eax
	xor	%edx, %edx
	wrmsr
	xor	%eax, %eax
	cpuid				/* CPL 0: no fault */
	ucall_step 2
	/* TI=1 selectors: #GP(selector), LDTR and TR as they were */
	resume_at umip_guest, 8f
	mov	$4, %eax
GUEST_LABEL umip_lldt_ti
	lldt	%ax
8:	resume_at umip_guest, 9f
	mov	$(SEL_TSS | 4), %eax
GUEST_LABEL umip_ltr_ti
	ltr	%ax
9:	ucall_step 3

	pushq	$SEL_UDATA
	pushq	$UMIP_USER_RSP
	pushq	$UMIP_USER_RFLAGS
	pushq	$SEL_UCODE64
	pushq	$GUEST_GPA(umip_guest, 1f)
	iretq
1:	resume_at umip_guest, 2f
GUEST_LABEL umip_sgdt
	sgdt	UMIP_OUT_GPA + OUT_USER
2:	resume_at umip_guest, 3f
GUEST_LABEL umip_sidt
	sidt	UMIP_OUT_GPA + OUT_USER
3:	resume_at umip_guest, 4f
GUEST_LABEL umip_sldt
	sldt	%ax
4:	resume_at umip_guest, 5f
GUEST_LABEL umip_str
	str	UMIP_OUT_GPA + OUT_USER
5:	resume_at umip_guest, 6f
	xor	%eax, %eax
GUEST_LABEL umip_cpuid
	cpuid
6:	ucall	UCALL_DONE
7:	jmp	7b
	EXC_STUBS64 umip_stubs
GUEST_END umip_guest

/*
 * INVPCID (type 2: all contexts, globals included) with a descriptor of
 * zeros: done, or #UD when the vCPU's CPUID does not offer it.
 */
GUEST_BEGIN invpcid_guest, 64
	resume_at invpcid_guest, 1f
	mov	$2, %eax
GUEST_LABEL invpcid_insn
	invpcid	UMIP_OUT_GPA + OUT_USER, %rax
1:	ucall	UCALL_DONE
	hlt
	EXC_STUBS64 invpcid_stubs
GUEST_END invpcid_guest
