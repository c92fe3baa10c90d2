/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx - the VM-entry/VM-exit trampoline.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/msr-index.h>
#include <asm/nospec-branch.h>
#include <asm/percpu.h>
#include <asm/segment.h>
#include "vtx-asm-offsets.h"
#include "vmx_compat.h"

#define VCPU_REG(r)	(VTX_VCPU_regs + (r) * 8)
#define RAX_OFF		VCPU_REG(0)
#define RCX_OFF		VCPU_REG(1)
#define RDX_OFF		VCPU_REG(2)
#define RBX_OFF		VCPU_REG(3)
/* RSP (4) is switched by the processor through the VMCS. */
#define RBP_OFF		VCPU_REG(5)
#define RSI_OFF		VCPU_REG(6)
#define RDI_OFF		VCPU_REG(7)
#define R8_OFF		VCPU_REG(8)
#define R9_OFF		VCPU_REG(9)
#define R10_OFF		VCPU_REG(10)
#define R11_OFF		VCPU_REG(11)
#define R12_OFF		VCPU_REG(12)
#define R13_OFF		VCPU_REG(13)
#define R14_OFF		VCPU_REG(14)
#define R15_OFF		VCPU_REG(15)

/* Return values, see vtx_vmenter() in vmcs.h. */
#define VTX_ENTER_EXIT		0
#define VTX_ENTER_FAIL_VALID	1
#define VTX_ENTER_FAIL_INVALID	2

/*
 * VERW (clears the CPU buffers: MDS, TAA, MMIO stale data, RFDS) when the
 * host's mitigations ask for it before entering a guest, with either of
 * the kernel's features: CLEAR_CPU_BUF (clear on every privilege change)
 * or, where the kernel has it, CLEAR_CPU_BUF_VM (clear before VM entry).
 * Clobbers ZF.
 */
.macro VTX_CLEAR_CPU_BUFFERS
#ifdef X86_FEATURE_CLEAR_CPU_BUF_VM
	ALTERNATIVE_2 "jmp .Lskip_verw_\@", "", X86_FEATURE_CLEAR_CPU_BUF, \
		      "", X86_FEATURE_CLEAR_CPU_BUF_VM
	verw x86_verw_sel(%rip)
.Lskip_verw_\@:
#else
	CLEAR_CPU_BUFFERS
#endif
.endm

.section .text, "ax"

/**
 * vtx_vmenter - enter the guest of the current VMCS and come back on VM exit
 * @vcpu:	%rdi, struct vtx_vcpu *; guest GPRs are vcpu->regs[]
 * @resume:	%esi, non-zero: VMRESUME (VMCS launched), zero: VMLAUNCH
 *
 * Called with interrupts disabled and the vCPU's VMCS current on this CPU.
 * HOST_RSP is rewritten only when the stack pointer at entry differs from
 * vcpu->host_rsp.  Every register that held a guest value is cleared before
 * returning to C, and the return stack buffer is refilled after the exit.
 *
 * Return: 0 on VM exit, 1 on VM-fail valid (error number in
 * VM_INSTRUCTION_ERROR), 2 on VM-fail invalid or a fault on the instruction.
 */
SYM_FUNC_START(vtx_vmenter)
	push %rbp
	mov  %rsp, %rbp
	push %r15
	push %r14
	push %r13
	push %r12
	push %rbx
	/* The vCPU pointer is at (%rsp) both here and at the exit label. */
	push %rdi

	cmp  %rsp, VTX_VCPU_host_rsp(%rdi)
	je   .Lhost_rsp_ok
	mov  %rsp, VTX_VCPU_host_rsp(%rdi)
	mov  $VTX_HOST_RSP_FIELD, %eax
	vmwrite %rsp, %rax
	jna  .Lvmfail
.Lhost_rsp_ok:
	mov  %esi, %ebx

	/* May clobber flags: do it before the test that selects the insn. */
	VTX_CLEAR_CPU_BUFFERS

	test %ebx, %ebx
	/* Load guest registers; MOV leaves the flags alone. */
	mov  RAX_OFF(%rdi), %rax
	mov  RCX_OFF(%rdi), %rcx
	mov  RDX_OFF(%rdi), %rdx
	mov  RBX_OFF(%rdi), %rbx
	mov  RBP_OFF(%rdi), %rbp
	mov  RSI_OFF(%rdi), %rsi
	mov  R8_OFF(%rdi),  %r8
	mov  R9_OFF(%rdi),  %r9
	mov  R10_OFF(%rdi), %r10
	mov  R11_OFF(%rdi), %r11
	mov  R12_OFF(%rdi), %r12
	mov  R13_OFF(%rdi), %r13
	mov  R14_OFF(%rdi), %r14
	mov  R15_OFF(%rdi), %r15
	mov  RDI_OFF(%rdi), %rdi
	jnz  .Lresume

	UNWIND_HINT_SAVE
.Llaunch:
	vmlaunch
	jmp  .Lvmfail
.Lresume:
	vmresume
	jmp  .Lvmfail

	_ASM_EXTABLE(.Llaunch, .Lfault)
	_ASM_EXTABLE(.Lresume, .Lfault)

/* HOST_RIP: the processor lands here on every VM exit. */
SYM_INNER_LABEL(vtx_vmexit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ENDBR
	push %rdi
	mov  8(%rsp), %rdi
	pop  RDI_OFF(%rdi)
	mov  %rax, RAX_OFF(%rdi)
	mov  %rcx, RCX_OFF(%rdi)
	mov  %rdx, RDX_OFF(%rdi)
	mov  %rbx, RBX_OFF(%rdi)
	mov  %rbp, RBP_OFF(%rdi)
	mov  %rsi, RSI_OFF(%rdi)
	mov  %r8,  R8_OFF(%rdi)
	mov  %r9,  R9_OFF(%rdi)
	mov  %r10, R10_OFF(%rdi)
	mov  %r11, R11_OFF(%rdi)
	mov  %r12, R12_OFF(%rdi)
	mov  %r13, R13_OFF(%rdi)
	mov  %r14, R14_OFF(%rdi)
	mov  %r15, R15_OFF(%rdi)
	mov  $VTX_ENTER_EXIT, %eax
	jmp  .Lclear

.Lfault:
	mov  $VTX_ENTER_FAIL_INVALID, %eax
	jmp  .Lclear
.Lvmfail:
	/* CF: VM-fail invalid, ZF: VM-fail valid.  MOV keeps the flags. */
	mov  $VTX_ENTER_FAIL_INVALID, %eax
	jc   .Lclear
	mov  $VTX_ENTER_FAIL_VALID, %eax

.Lclear:
	/* No guest value may reach C: clear all but RAX (the result). */
	xor  %ecx, %ecx
	xor  %edx, %edx
	xor  %ebx, %ebx
	xor  %ebp, %ebp
	xor  %esi, %esi
	xor  %edi, %edi
	xor  %r8d, %r8d
	xor  %r9d, %r9d
	xor  %r10d, %r10d
	xor  %r11d, %r11d
	xor  %r12d, %r12d
	xor  %r13d, %r13d
	xor  %r14d, %r14d
	xor  %r15d, %r15d

	/* Before the first RET after the exit: refill the RSB. */
	FILL_RETURN_BUFFER %rcx, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, \
			   X86_FEATURE_RSB_VMEXIT_LITE

	/*
	 * Legacy IBRS (the host's spectre_v2=ibrs, X86_FEATURE_KERNEL_IBRS):
	 * the IBRS bit must be written again after running less privileged
	 * code, before the first RET.  The guest cannot write SPEC_CTRL (the
	 * MSR is not offered, msr.c), so the value is the host's own.
	 */
	ALTERNATIVE "jmp .Lspec_ctrl_done", "", X86_FEATURE_KERNEL_IBRS
	mov  %eax, %ebx
	mov  $MSR_IA32_SPEC_CTRL, %ecx
	mov  PER_CPU_VAR(x86_spec_ctrl_current), %eax
	mov  PER_CPU_VAR(x86_spec_ctrl_current + 4), %edx
	wrmsr
	mov  %ebx, %eax
	xor  %ebx, %ebx
	xor  %ecx, %ecx
	xor  %edx, %edx
	lfence
.Lspec_ctrl_done:
	CLEAR_BRANCH_HISTORY_VMEXIT

	pop  %rdi
	pop  %rbx
	pop  %r12
	pop  %r13
	pop  %r14
	pop  %r15
	pop  %rbp
	RET
SYM_FUNC_END(vtx_vmenter)

/**
 * vtx_call_nmi_handler - run the host NMI handler after an NMI exit
 *
 * An NMI that arrives in the guest causes a VM exit and leaves NMIs blocked.
 * Build the frame the processor would push for an interrupt from kernel
 * mode and call the kernel's NMI entry; its IRET unblocks NMIs.
 */
SYM_FUNC_START(vtx_call_nmi_handler)
	push %rbp
	mov  %rsp, %rbp
	and  $-16, %rsp
	push $__KERNEL_DS
	push %rbp
	pushf
	push $__KERNEL_CS
	call VTX_ASM_EXC_NMI
	mov  %rbp, %rsp
	pop  %rbp
	RET
SYM_FUNC_END(vtx_call_nmi_handler)
