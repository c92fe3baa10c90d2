/* SPDX-License-Identifier: GPL-2.0 */
/* Guests of caps_test.c */
#include "guest_exc.h"
#include "caps.h"

/* One write per UCALL_STEP, as the host set it up (caps.h) */
GUEST_BEGIN wr_guest, 64
1:	mov	$UCALL_STEP, %eax
	out	%eax, $VTX_UCALL_PORT
	test	%r8d, %r8d
	jnz	5f
	cmp	$1, %ecx
	je	2f
	cmp	$2, %ecx
	je	3f
	cmp	$4, %ecx
	je	4f
	mov	%rsi, (%rdi)
	jmp	1b
2:	mov	%sil, (%rdi)
	jmp	1b
3:	mov	%si, (%rdi)
	jmp	1b
4:	mov	%esi, (%rdi)
	jmp	1b
5:	mov	%rsi, %rax
	mov	%edi, %edx
	cmp	$1, %ecx
	je	6f
	cmp	$2, %ecx
	je	7f
	out	%eax, %dx
	jmp	1b
6:	out	%al, %dx
	jmp	1b
7:	out	%ax, %dx
	jmp	1b
GUEST_END wr_guest

/* HLT, then report */
GUEST_BEGIN hlt_guest, 64
	hlt
	ucall	UCALL_DONE
	hlt
GUEST_END hlt_guest

/* RDMSR of MSR_PLATFORM_INFO: report EAX, then again, expecting #GP */
GUEST_BEGIN pinfo_guest, 64
	mov	$MSR_PLATFORM_INFO, %ecx
	rdmsr
	mov	%eax, %ebx
	ucall	UCALL_REPORT
	resume_at pinfo_guest, 1f
	mov	$MSR_PLATFORM_INFO, %ecx
GUEST_LABEL pinfo_rdmsr
	rdmsr
1:	ucall	UCALL_DONE
	hlt
	EXC_STUBS64 pinfo_stubs
GUEST_END pinfo_guest

/* Instructions to single-step: in the guest, in the kernel, in userspace */
GUEST_BEGIN ss_guest, 64
	ucall	UCALL_STEP
GUEST_LABEL ss_0
	nop
GUEST_LABEL ss_1
	xor	%eax, %eax
GUEST_LABEL ss_2
	cpuid
GUEST_LABEL ss_3
	mov	$CAPS_STEP_PORT, %edx
GUEST_LABEL ss_4
	out	%al, %dx
GUEST_LABEL ss_5
	nop
GUEST_LABEL ss_6
	ucall	UCALL_DONE
	hlt
GUEST_END ss_guest

/* INT3 twice; the guest's handler returns past each */
GUEST_BEGIN bp_guest, 64
	movl	$EXC_RESUME_IRET, EXC_RESUME_GPA
GUEST_LABEL bp_int3
	int3
GUEST_LABEL bp_after
	ucall	UCALL_STEP
GUEST_LABEL bp_int3_2
	int3
GUEST_LABEL bp_after_2
	ucall	UCALL_DONE
	hlt
	EXC_STUBS64 bp_stubs
GUEST_END bp_guest

/*
 * Its own DR0 and DR7 (caps.h), then a NOP the debugger breaks at; it reads
 * them back (RBX = DR7, RCX = DR0); then a MOV DR with DR7.GD set: #DB,
 * whose handler returns to it, now allowed (RBX = DR6, RCX = DR7).
 */
GUEST_BEGIN dr_guest, 64
	movl	$EXC_RESUME_IRET, EXC_RESUME_GPA
	mov	$CAPS_GUEST_DR0, %rax
	mov	%rax, %dr0
	mov	$CAPS_GUEST_DR7, %rax
	mov	%rax, %dr7
	ucall	UCALL_STEP
GUEST_LABEL dr_nop
	nop
	mov	%dr7, %rbx
	mov	%dr0, %rcx
	ucall	UCALL_REPORT
	mov	$(CAPS_GUEST_DR7 | CAPS_DR7_GD), %rax
	mov	%rax, %dr7
GUEST_LABEL dr_gd
	mov	%dr6, %rbx
	mov	%dr7, %rcx
	ucall	UCALL_DONE
	hlt
	EXC_STUBS64 dr_stubs
GUEST_END dr_guest

/*
 * IA32_XSS: RDMSR (RBX = EAX, reported when it does not fault), then
 * WRMSR of bit 0, which no vCPU may set.
 */
GUEST_BEGIN xss_guest, 64
	resume_at xss_guest, 1f
	mov	$MSR_IA32_XSS, %ecx
GUEST_LABEL xss_rdmsr
	rdmsr
	mov	%eax, %ebx
	ucall	UCALL_REPORT
1:	resume_at xss_guest, 2f
	mov	$MSR_IA32_XSS, %ecx
	mov	$1, %eax
	xor	%edx, %edx
GUEST_LABEL xss_wrmsr
	wrmsr
2:	ucall	UCALL_DONE
	hlt
	EXC_STUBS64 xss_stubs
GUEST_END xss_guest
