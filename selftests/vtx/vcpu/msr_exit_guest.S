/* SPDX-License-Identifier: GPL-2.0 */
/* Guests of msr_exit_test.c */
#include "guest_exc.h"
#include "msr_exit.h"

/* rdmsr \msr into the u64 at \slot of MX_OUT_GPA (clobbers EAX, ECX, EDX) */
.macro rdmsr_out msr, slot
	rdmsr_to \msr, (MX_OUT_GPA+8*\slot)
.endm

/*
 * KVM_CAP_X86_USER_SPACE_MSR: RDMSR and WRMSR of an MSR vtx does not know,
 * a write vtx refuses (a reserved EFER bit), then under an MSR filter
 * reads of MSRs the module's bitmap passes through (FS_BASE, SFMASK), then
 * without the filter.
 */
GUEST_BEGIN msr_exit_guest, 64
	/* step 1: unknown MSR, userspace answers the read */
	rdmsr_out MSR_BOGUS, 0
	ucall_step 1
	/* the write: userspace refuses it, #GP */
	resume_at msr_exit_guest, 1f
	mov	$MSR_BOGUS, %ecx
	mov	$MX_WR_LO, %eax
	mov	$MX_WR_HI, %edx
GUEST_LABEL msr_exit_wrmsr
	wrmsr
1:	/* a reserved EFER bit: an invalid write, refused again: #GP */
	resume_at msr_exit_guest, 2f
	mov	$MSR_EFER, %ecx
	rdmsr
	or	$2, %eax
GUEST_LABEL msr_exit_efer
	wrmsr
2:	ucall_step 2
	/* step 3, under the filter: FS_BASE written (allowed), then read */
	mov	$MSR_FS_BASE, %ecx
	mov	$MX_FS_VAL, %eax
	xor	%edx, %edx
	wrmsr
	rdmsr_out MSR_FS_BASE, 1
	rdmsr_out MSR_SYSCALL_MASK, 2
	rdmsr_out MSR_GS_BASE, 3
	ucall_step 3
	/* step 4, the filter gone: the processor's values */
	rdmsr_out MSR_FS_BASE, 1
	rdmsr_out MSR_SYSCALL_MASK, 2
	ucall_step 4
	hlt
	EXC_STUBS64 msr_exit_stubs
GUEST_END msr_exit_guest

/* Reads of MSRs the bitmap passes through, for a vCPU made under a filter */
GUEST_BEGIN msr_filter_guest, 64
	rdmsr_out MSR_FS_BASE, 0
	rdmsr_out MSR_SYSCALL_MASK, 1
	rdmsr_out MSR_KERNEL_GS_BASE, 2
	ucall_step 1
	hlt
GUEST_END msr_filter_guest

/*
 * KVM_X86_QUIRK_FIX_HYPERCALL_INSN: AMD's VMMCALL on an Intel vCPU, with
 * KVM_HC_SCHED_YIELD in RAX; RAX goes to MX_OUT_GPA.
 */
GUEST_BEGIN quirk_hc_guest, 64
	resume_at quirk_hc_guest, 1f
	mov	$11, %eax		/* KVM_HC_SCHED_YIELD */
	xor	%ebx, %ebx
GUEST_LABEL quirk_hc_insn
	.byte	0x0f, 0x01, 0xd9	/* VMMCALL */
1:	mov	%rax, MX_OUT_GPA
	ucall_step 1
	hlt
	EXC_STUBS64 quirk_hc_stubs
GUEST_END quirk_hc_guest

/* MONITOR and MWAIT, each resuming after itself on #UD, again and again */
GUEST_BEGIN quirk_mwait_guest, 64
1:	resume_at quirk_mwait_guest, 2f
	mov	$MX_MONITOR_GPA, %eax
	xor	%ecx, %ecx
	xor	%edx, %edx
GUEST_LABEL quirk_monitor
	monitor
2:	resume_at quirk_mwait_guest, 3f
	xor	%eax, %eax
	xor	%ecx, %ecx
GUEST_LABEL quirk_mwait
	mwait
3:	ucall_step 1
	jmp	1b
	EXC_STUBS64 quirk_mwait_stubs
GUEST_END quirk_mwait_guest
