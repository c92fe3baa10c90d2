/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guests of exception_test.c: exceptions delivered through the guest's own
 * IDT, in 32-bit protected mode and in 64-bit long mode.  Each faulting
 * instruction has a label; the handler resumes after it (resume_at).
 */
#include "guest_exc.h"
#include "exception.h"

GUEST_BEGIN exc32_guest, 32
	/* #DE */
	resume_at exc32_guest, 1f
	xor	%edx, %edx
	mov	$1, %eax
	xor	%ecx, %ecx
GUEST_LABEL exc32_de
	div	%ecx
1:	/* #BP, a trap: the frame has the EIP after INT3 */
	movl	$EXC_RESUME_IRET, EXC_RESUME_GPA
GUEST_LABEL exc32_bp
	int3
GUEST_LABEL exc32_bp_next
	movl	$0, EXC_RESUME_GPA
	/* #UD */
	resume_at exc32_guest, 2f
GUEST_LABEL exc32_ud
	ud2
2:	/* #GP(selector): a data segment beyond the GDT's limit */
	resume_at exc32_guest, 3f
	mov	$BAD_SELECTOR, %eax
GUEST_LABEL exc32_gp
	mov	%ax, %ds
3:	/* paging on: PSE, WP */
	mov	$PD32_GPA, %eax
	mov	%eax, %cr3
	mov	%cr4, %eax
	or	$CR4_PSE, %eax
	mov	%eax, %cr4
	mov	%cr0, %eax
	or	$(0x80000000 | CR0_WP), %eax
	mov	%eax, %cr0
	ucall_step 1
	/* #PF: read, not present */
	resume_at exc32_guest, 4f
GUEST_LABEL exc32_pf_read
	mov	NP_ADDR_32, %eax
4:	/* #PF: write, present and read-only */
	resume_at exc32_guest, 5f
GUEST_LABEL exc32_pf_ro
	movl	$1, RO_ADDR_32
5:	/* #PF: write, not present */
	resume_at exc32_guest, 6f
GUEST_LABEL exc32_pf_write
	movl	$1, NP_ADDR_32 + 0x1000
6:	ucall	UCALL_DONE
	hlt
	EXC_STUBS32 exc32_stubs
GUEST_END exc32_guest

GUEST_BEGIN exc64_guest, 64
	/* #DE */
	resume_at exc64_guest, 1f
	xor	%edx, %edx
	mov	$1, %eax
	xor	%ecx, %ecx
GUEST_LABEL exc64_de
	div	%rcx
1:	/* #BP */
	movq	$EXC_RESUME_IRET, EXC_RESUME_GPA
GUEST_LABEL exc64_bp
	int3
GUEST_LABEL exc64_bp_next
	movq	$0, EXC_RESUME_GPA
	/* #UD */
	resume_at exc64_guest, 2f
GUEST_LABEL exc64_ud
	ud2
2:	/* #GP(selector) */
	resume_at exc64_guest, 3f
	mov	$BAD_SELECTOR, %eax
GUEST_LABEL exc64_gp
	mov	%ax, %ds
3:	/* #GP(0): a non-canonical address */
	resume_at exc64_guest, 4f
	movabs	$NONCANON_64, %rbx
GUEST_LABEL exc64_gp_nc
	mov	(%rbx), %rax
4:	/* CR0.WP, so that a read-only page is read-only at CPL 0 too */
	mov	%cr0, %rax
	or	$CR0_WP, %rax
	mov	%rax, %cr0
	/* #PF: read, not present */
	resume_at exc64_guest, 5f
GUEST_LABEL exc64_pf_read
	mov	NP_ADDR_64, %rax
5:	/* #PF: write, present and read-only */
	resume_at exc64_guest, 6f
GUEST_LABEL exc64_pf_ro
	movq	$1, RO_ADDR_64
6:	/* #PF: write, not present */
	resume_at exc64_guest, 7f
GUEST_LABEL exc64_pf_write
	movq	$1, NP_ADDR_64 + 0x1000
7:	ucall	UCALL_DONE
	hlt
	EXC_STUBS64 exc64_stubs
GUEST_END exc64_guest
