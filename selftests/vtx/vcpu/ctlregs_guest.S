/* SPDX-License-Identifier: GPL-2.0 */
/* Guests of ctlregs_test.c */
#include "guest_exc.h"
#include "ctlregs.h"

.macro report_cr n
	mov	%cr\n, %rbx
	ucall	UCALL_REPORT
.endm

/* CR0/CR4 as the guest sets them, and the writes that must #GP */
GUEST_BEGIN cr_guest, 64
	report_cr 0
	report_cr 4
	mov	%cr0, %rax
	or	$(CR0_MP | CR0_WP | CR0_AM), %rax
	mov	%rax, %cr0
	report_cr 0
	mov	%cr0, %rax
	or	$CR0_CD_NW, %rax
	mov	%rax, %cr0
	report_cr 0
	mov	%cr0, %rax
	and	$~CR0_CD_NW, %rax
	mov	%rax, %cr0
	report_cr 0
	mov	%cr0, %rax
	or	$CR0_TS, %rax
	mov	%rax, %cr0
	report_cr 0
	clts
	report_cr 0
	mov	%cr4, %rax
	or	$(CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_DE), %rax
	mov	%rax, %cr4
	report_cr 4

	resume_at cr_guest, 1f
	mov	%cr4, %rax
	or	$CR4_VMXE, %rax
GUEST_LABEL cr_vmxe_insn
	mov	%rax, %cr4
1:	report_cr 4
	resume_at cr_guest, 2f
	mov	%cr4, %rax
	and	$~CR4_PAE, %rax
GUEST_LABEL cr_pae_insn
	mov	%rax, %cr4
2:	resume_at cr_guest, 3f
	mov	%cr0, %rax
	btr	$31, %rax
GUEST_LABEL cr_pg_insn
	mov	%rax, %cr0
3:	resume_at cr_guest, 4f
	mov	%cr0, %rax
	or	$0x20000000, %rax	/* NW without CD */
GUEST_LABEL cr_nw_insn
	mov	%rax, %cr0
4:	resume_at cr_guest, 5f
	mov	%cr0, %rax
	bts	$63, %rax
GUEST_LABEL cr_hi_insn
	mov	%rax, %cr0
5:	report_cr 0
	report_cr 4
	ucall	UCALL_DONE
	hlt
	EXC_STUBS64 cr_stubs
GUEST_END cr_guest

/*
 * CR4.FSGSBASE set by a guest whose CPUID has no FSGSBASE: #GP, and CR4
 * keeps its value
 */
GUEST_BEGIN cr4_cpuid_guest, 64
	resume_at cr4_cpuid_guest, 1f
	mov	%cr4, %rax
	or	$CR4_FSGSBASE, %rax
GUEST_LABEL cr4_fsgsbase_insn
	mov	%rax, %cr4
	hlt
1:	report_cr 4
	hlt
	EXC_STUBS64 cr4_cpuid_stubs
GUEST_END cr4_cpuid_guest

/* CR0 reserved bit 6 set and ET cleared: what the guest reads back */
GUEST_BEGIN cr0_rsvd_guest, 64
	mov	%cr0, %rax
	or	$CR0_RSVD6, %rax
	mov	%rax, %cr0
	report_cr 0
	mov	%cr0, %rax
	and	$~(CR0_RSVD6 | CR0_ET), %rax
	mov	%rax, %cr0
	report_cr 0
	hlt
GUEST_END cr0_rsvd_guest

/* MOV to CR3 and INVLPG, then CPUID, CR_LOOPS times each, between steps */
GUEST_BEGIN cr3_guest, 64
	mov	%cr3, %rbx
	ucall	UCALL_REPORT
	mov	$CR_LOOPS, %r8d
1:	mov	%cr3, %rax
	mov	%rax, %cr3
	invlpg	SCRATCH_GPA
	invlpg	(%rsp)
	dec	%r8d
	jnz	1b
	mov	$CR3_ALT_GPA, %eax
	mov	%rax, %cr3
	mov	%cr3, %rbx
	ucall	UCALL_REPORT
	mov	$CR_LOOPS, %r8d
2:	xor	%eax, %eax
	xor	%ecx, %ecx
	cpuid
	dec	%r8d
	jnz	2b
	ucall_step 3
	hlt
GUEST_END cr3_guest

/* Debug registers: read all, report; then write DR0-3 and DR6 */
GUEST_BEGIN dr_guest, 64
	mov	%dr0, %rax
	mov	%rax, DR_OUT_GPA
	mov	%dr1, %rax
	mov	%rax, DR_OUT_GPA + 8
	mov	%dr2, %rax
	mov	%rax, DR_OUT_GPA + 16
	mov	%dr3, %rax
	mov	%rax, DR_OUT_GPA + 24
	mov	%dr6, %rax
	mov	%rax, DR_OUT_GPA + 32
	mov	%dr7, %rax
	mov	%rax, DR_OUT_GPA + 40
	ucall_step 1
	mov	$0x11110000, %eax
	mov	%rax, %dr0
	mov	$0x22220000, %eax
	mov	%rax, %dr1
	mov	$0x33330000, %eax
	mov	%rax, %dr2
	mov	$0x44440000, %eax
	mov	%rax, %dr3
	mov	$0xffff0ff2, %eax
	mov	%rax, %dr6
	ucall_step 2
	hlt
GUEST_END dr_guest

/*
 * A data breakpoint of the guest's own: DR0 = a byte of its memory (RBX,
 * chosen by the host), DR7.L0 with R/W0 = write; the byte is written once
 * (#DB trap after the write, DR6.B0), then DR6 is reported.
 */
GUEST_BEGIN bp_guest, 64
	mov	%rbx, %dr0
	mov	$BP_DR7, %eax
	mov	%rax, %dr7
	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
	movb	$1, (%rbx)
GUEST_LABEL bp_after
	mov	%dr6, %rbx
	ucall	UCALL_REPORT
	hlt
	EXC_STUBS64 bp_stubs
GUEST_END bp_guest
