/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest of excdeliv_test.c (64-bit): exceptions the driver injects (#GP
 * from WRMSR, #UD from VMCLEAR, #PF met while emulating a MOVS from a
 * device) and ones the CPU raises (#GP, #UD, #PF,
 * #BP, and #DB for single-step, a DR0 data breakpoint, a DR1 instruction
 * breakpoint, ICEBP and single-step under MOV SS blocking).  Its handler
 * is EXC_STUBS64's with two more things: R8 = DR6 as the handler reads it,
 * and TF cleared in the frame (after the report), so that the resumed
 * code is not single-stepped.  Each #DB case first writes 0 to DR6.
 */
#include "guest_exc.h"
#include "exception.h"
#include "excdeliv.h"

.macro XD_STUBS64 name
	.balign 16
GUEST_LABEL \name
	.set exc_vec, 0
	.rept IDT_VECTORS
	.balign 16
	exc_has_error exc_vec
	.if !exc_has_err
	pushq	$0
	.endif
	pushq	$exc_vec
	jmp	\name\()_common
	.set exc_vec, exc_vec + 1
	.endr
	.balign 16
\name\()_common:
	push	%rax
	push	%rbx
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	mov	48(%rsp), %rbx		/* vector */
	mov	56(%rsp), %rcx		/* error code */
	mov	64(%rsp), %rdx		/* RIP */
	mov	%cr2, %rsi
	mov	80(%rsp), %rdi		/* RFLAGS */
	mov	%dr6, %r8
	incl	EXC_COUNT_GPA(, %rbx, 4)
	mov	$UCALL_EXC, %eax
	out	%eax, $VTX_UCALL_PORT
	andq	$~XD_TF, 80(%rsp)
	mov	EXC_RESUME_GPA, %rax
	cmp	$EXC_RESUME_IRET, %rax
	je	2f
	test	%rax, %rax
	jz	3f
	mov	%rax, 64(%rsp)
	movq	$0, EXC_RESUME_GPA
2:	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rbx
	pop	%rax
	add	$16, %rsp
	iretq
3:	hlt
	jmp	3b
.endm

/* DR6 = 0 (reads back as its fixed and active-low bits) */
.macro clear_dr6
	xor	%eax, %eax
	mov	%rax, %dr6
.endm

/* RFLAGS.TF = 1: the instruction after the next one is single-stepped */
.macro set_tf
	pushfq
	orq	$XD_TF, (%rsp)
	popfq
.endm

GUEST_BEGIN xd64_guest, 64
	/* #GP(0) injected by the driver: WRMSR to an MSR that is not */
	resume_at xd64_guest, 1f
	mov	$MSR_BOGUS, %ecx
	xor	%eax, %eax
	xor	%edx, %edx
GUEST_LABEL xd64_gp_inj
	wrmsr
1:	/* #UD injected by the driver: VMCLEAR outside VMX operation */
	resume_at xd64_guest, 2f
GUEST_LABEL xd64_ud_inj
	vmclear	SCRATCH_GPA
2:	/* #GP(0) raised by the CPU: a non-canonical address */
	resume_at xd64_guest, 3f
	movabs	$NONCANON_64, %rbx
GUEST_LABEL xd64_gp_cpu
	mov	(%rbx), %rax
3:	/* #UD raised by the CPU */
	resume_at xd64_guest, 4f
GUEST_LABEL xd64_ud_cpu
	ud2
4:	/* #PF raised by the CPU: read, not present */
	resume_at xd64_guest, 5f
GUEST_LABEL xd64_pf_cpu
	mov	NP_ADDR_64, %rax
5:	/*
	 * #PF met by the emulator: MOVSB from a device to a page that is
	 * not present.  The device read is done, then the write faults.
	 */
	resume_at xd64_guest, 7f
	mov	$XD_MMIO_GPA, %esi
	mov	$NP_ADDR_64, %edi
	cld
GUEST_LABEL xd64_pf_emu
	movsb
7:	/* #BP: a trap, RF as it was (0) */
	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
GUEST_LABEL xd64_bp
	int3
GUEST_LABEL xd64_bp_next
	movq	$0, EXC_RESUME_GPA

	/* #DB single-step: the trap after the NOP */
	clear_dr6
	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
	set_tf
GUEST_LABEL xd64_ss
	nop
GUEST_LABEL xd64_ss_next
	movq	$0, EXC_RESUME_GPA

	/* #DB data breakpoint: DR0, a 4-byte write, a trap */
	clear_dr6
	mov	$XD_DATA_GPA, %eax
	mov	%rax, %dr0
	mov	$XD_DR7_DATA, %eax
	mov	%rax, %dr7
	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
GUEST_LABEL xd64_data
	movl	$1, XD_DATA_GPA
GUEST_LABEL xd64_data_next
	movq	$0, EXC_RESUME_GPA
	xor	%eax, %eax
	mov	%rax, %dr7

	/* #DB instruction breakpoint: DR1, a fault, RF not set */
	clear_dr6
	mov	$GUEST_GPA(xd64_guest, xd64_ibp), %eax
	mov	%rax, %dr1
	mov	$XD_DR7_INSN, %eax
	mov	%rax, %dr7
	resume_at xd64_guest, 6f
GUEST_LABEL xd64_ibp
	nop
6:	xor	%eax, %eax
	mov	%rax, %dr7

	/* #DB data breakpoint: DR2, read/write, met by a read: a trap */
	clear_dr6
	mov	$XD_DATA2_GPA, %eax
	mov	%rax, %dr2
	mov	$XD_DR7_RW, %eax
	mov	%rax, %dr7
	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
GUEST_LABEL xd64_rw
	movl	XD_DATA2_GPA, %ecx
GUEST_LABEL xd64_rw_next
	movq	$0, EXC_RESUME_GPA
	xor	%eax, %eax
	mov	%rax, %dr7

	/* #DB instruction breakpoint: DR3, a fault */
	clear_dr6
	mov	$GUEST_GPA(xd64_guest, xd64_ibp3), %eax
	mov	%rax, %dr3
	mov	$XD_DR7_INSN3, %eax
	mov	%rax, %dr7
	resume_at xd64_guest, 7f
GUEST_LABEL xd64_ibp3
	nop
7:	xor	%eax, %eax
	mov	%rax, %dr7

	/* #DB from ICEBP (INT1): trap-like, no DR6 status bit */
	clear_dr6
	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
GUEST_LABEL xd64_icebp
	.byte	0xf1
GUEST_LABEL xd64_icebp_next
	movq	$0, EXC_RESUME_GPA

	/* single-step under MOV SS blocking: the trap waits one more */
	clear_dr6
	mov	%ss, %ax
	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
	set_tf
GUEST_LABEL xd64_movss
	mov	%ax, %ss
	nop
GUEST_LABEL xd64_movss_next
	movq	$0, EXC_RESUME_GPA
	ucall	UCALL_DONE
	hlt
	XD_STUBS64 xd64_stubs
GUEST_END xd64_guest

/*
 * An emulated write to a read-only page: with CR0.WP, MOVSB from a device
 * to the read-only alias of RAM reads the device, then its write faults
 * (#PF, present and write), as on the processor; RAM is unchanged.
 */
GUEST_BEGIN xp64_guest, 64
	mov	%cr0, %rax
	or	$XD_CR0_WP, %rax
	mov	%rax, %cr0
	resume_at xp64_guest, 1f
	mov	$XD_MMIO_GPA, %esi
	mov	$XD_RO_DATA, %edi
	cld
GUEST_LABEL xp64_ro_movsb
	movsb
1:	movq	$0, EXC_RESUME_GPA
	ucall	UCALL_DONE
	hlt
	XD_STUBS64 xp64_stubs
GUEST_END xp64_guest
