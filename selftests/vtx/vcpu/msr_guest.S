/* SPDX-License-Identifier: GPL-2.0 */
/* Guests of msr_test.c */
#include "guest_exc.h"
#include "msr.h"

/* wrmsr \msr = \hi:\lo (clobbers EAX, ECX, EDX) */
.macro wrmsr_imm msr, hi, lo
	mov	$\msr, %ecx
	mov	$\lo, %eax
	mov	$\hi, %edx
	wrmsr
.endm

/* rdmsr \msr into the u64 at \slot of MSR_OUT_GPA (clobbers EAX, ECX, EDX) */
.macro rdmsr_out msr, slot
	rdmsr_to \msr, (MSR_OUT_GPA+8*\slot)
.endm

/* FS/GS/KERNEL_GS base and SYSENTER_*, written and read by the guest */
GUEST_BEGIN msr_base_guest, 64
	wrmsr_imm MSR_FS_BASE, 0, FS_VAL
	wrmsr_imm MSR_GS_BASE, 0, GS_VAL
	wrmsr_imm MSR_KERNEL_GS_BASE, 0, KGS_VAL
	wrmsr_imm MSR_IA32_SYSENTER_CS, 0, SYSENTER_CS_VAL
	wrmsr_imm MSR_IA32_SYSENTER_ESP, SYSENTER_ESP_HI, SYSENTER_ESP_LO
	wrmsr_imm MSR_IA32_SYSENTER_EIP, SYSENTER_EIP_HI, SYSENTER_EIP_LO
	rdmsr_out MSR_FS_BASE, 0
	rdmsr_out MSR_GS_BASE, 1
	rdmsr_out MSR_KERNEL_GS_BASE, 2
	rdmsr_out MSR_IA32_SYSENTER_CS, 3
	rdmsr_out MSR_IA32_SYSENTER_ESP, 4
	rdmsr_out MSR_IA32_SYSENTER_EIP, 5
	ucall_step 1

	/* the bases are live: loads through FS and GS, SWAPGS */
	mov	%fs:0, %rax
	mov	%rax, MSR_OUT_GPA
	mov	%gs:0, %rax
	mov	%rax, MSR_OUT_GPA + 8
	swapgs
	mov	%gs:0, %rax
	mov	%rax, MSR_OUT_GPA + 16
	rdmsr_out MSR_GS_BASE, 3
	rdmsr_out MSR_KERNEL_GS_BASE, 4
	ucall_step 2

	/* the host set FS_BASE, GS_BASE, KERNEL_GS_BASE with KVM_SET_MSRS */
	mov	%fs:0, %rax
	mov	%rax, MSR_OUT_GPA
	mov	%gs:0, %rax
	mov	%rax, MSR_OUT_GPA + 8
	swapgs
	mov	%gs:0, %rax
	mov	%rax, MSR_OUT_GPA + 16
	rdmsr_out MSR_FS_BASE, 3
	rdmsr_out MSR_GS_BASE, 4
	rdmsr_out MSR_KERNEL_GS_BASE, 5
	rdmsr_out MSR_IA32_SYSENTER_CS, 6
	rdmsr_out MSR_IA32_SYSENTER_ESP, 7
	rdmsr_out MSR_IA32_SYSENTER_EIP, 8
	ucall_step 3
	hlt
GUEST_END msr_base_guest

/*
 * The syscall MSRs: written once, then read back at every step, while the
 * host makes system calls (with its own LSTAR...) between the steps.
 */
GUEST_BEGIN msr_syscall_guest, 64
	wrmsr_imm MSR_STAR, STAR_HI, STAR_LO
	wrmsr_imm MSR_LSTAR, LSTAR_HI, LSTAR_LO
	wrmsr_imm MSR_CSTAR, CSTAR_HI, CSTAR_LO
	wrmsr_imm MSR_SYSCALL_MASK, 0, SFMASK_VAL
	xor	%r12d, %r12d
1:	rdmsr_out MSR_STAR, 0
	rdmsr_out MSR_LSTAR, 1
	rdmsr_out MSR_CSTAR, 2
	rdmsr_out MSR_SYSCALL_MASK, 3
	inc	%r12
	mov	%r12, %rbx
	ucall	UCALL_STEP
	jmp	1b
GUEST_END msr_syscall_guest

/* MSR accesses that must give the guest #GP(0) through its IDT */
GUEST_BEGIN msr_gp_guest, 64
	resume_at msr_gp_guest, 1f
	mov	$MSR_BOGUS, %ecx
GUEST_LABEL msr_gp_rdmsr
	rdmsr
1:	resume_at msr_gp_guest, 2f
	mov	$MSR_BOGUS, %ecx
	xor	%eax, %eax
	xor	%edx, %edx
GUEST_LABEL msr_gp_wrmsr
	wrmsr
2:	resume_at msr_gp_guest, 3f
	/* EFER bit 1 is reserved */
	mov	$MSR_EFER, %ecx
	rdmsr
	or	$2, %eax
GUEST_LABEL msr_gp_efer
	wrmsr
3:	resume_at msr_gp_guest, 4f
	/* memory type 2 is reserved in the PAT */
	mov	$MSR_IA32_CR_PAT, %ecx
	mov	$0x02020202, %eax
	mov	%eax, %edx
GUEST_LABEL msr_gp_pat
	wrmsr
4:	resume_at msr_gp_guest, 5f
	/* LSTAR must be canonical */
	mov	$MSR_LSTAR, %ecx
	xor	%eax, %eax
	mov	$0x00008000, %edx
GUEST_LABEL msr_gp_lstar
	wrmsr
5:	ucall	UCALL_DONE
	hlt
	EXC_STUBS64 msr_gp_stubs
GUEST_END msr_gp_guest
