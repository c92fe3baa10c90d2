/* SPDX-License-Identifier: GPL-2.0 */
/* Guests of tlb_test.c */
#include "guest_exc.h"
#include "tlb.h"

/*
 * A 2 MiB page moved to another frame, then INVLPG of another address in
 * it, one never read: the whole page's translation goes (the TLB holds
 * it as one entry).
 */
GUEST_BEGIN large_guest, 64
	mov	TLB_LARGE_A + 0x3000, %rbx
	ucall	UCALL_REPORT
	movq	$(TLB_LARGE_B | TLB_LARGE_PDE), TLB_PDE3_GPA
	invlpg	TLB_LARGE_A + 0x1000
	mov	TLB_LARGE_A + 0x3000, %rbx
	ucall	UCALL_REPORT
	hlt
GUEST_END large_guest

/* A 4 KiB page moved to another frame, INVLPG, read again. */
GUEST_BEGIN small_guest, 64
	mov	TLB_4K_BASE + 0x2000, %rbx
	ucall	UCALL_REPORT
	movq	$(TLB_4K_BASE + 0x5000 + TLB_PTE), TLB_PTE2_GPA
	invlpg	TLB_4K_BASE + 0x2000
	mov	TLB_4K_BASE + 0x2000, %rbx
	ucall	UCALL_REPORT
	hlt
GUEST_END small_guest

/* TLB_LOOPS x (INVLPG of one page, read of another) */
GUEST_BEGIN invlpg_guest, 64
	mov	TLB_4K_BASE + 0x2000, %rax
	ucall_step 1
	mov	$TLB_LOOPS, %r8d
1:	invlpg	TLB_4K_BASE + 0x1000
	mov	TLB_4K_BASE + 0x2000, %rax
	dec	%r8d
	jnz	1b
	ucall_step 2
	hlt
GUEST_END invlpg_guest

/* invlpg_guest under PAE paging, which the 32-bit guest turns on */
GUEST_BEGIN invlpg_pae_guest, 32
	mov	$TLB_PAE_PDPT, %eax
	mov	%eax, %cr3
	mov	%cr4, %eax
	or	$CR4_PAE, %eax
	mov	%eax, %cr4
	mov	%cr0, %eax
	or	$TLB_CR0_PG, %eax
	mov	%eax, %cr0
	mov	TLB_4K_BASE + 0x2000, %eax
	ucall_step 1
	mov	$TLB_LOOPS, %ecx
1:	invlpg	TLB_4K_BASE + 0x1000
	mov	TLB_4K_BASE + 0x2000, %eax
	dec	%ecx
	jnz	1b
	ucall_step 2
	hlt
GUEST_END invlpg_pae_guest

/*
 * TLB_LOOPS x (CR3 to B, read, CR3 back to A, read); then what the last
 * reads in B and in A saw.
 */
GUEST_BEGIN cr3_switch_guest, 64
	mov	%cr3, %r9
	mov	$TLB_PML4_B, %r10d
	mov	TLB_4K_BASE + 0x2000, %rax
	mov	%r10, %cr3
	mov	TLB_4K_BASE + 0x2000, %rax
	mov	%r9, %cr3
	ucall_step 1
	mov	$TLB_LOOPS, %r8d
1:	mov	%r10, %cr3
	mov	TLB_4K_BASE + 0x2000, %r11
	mov	%r9, %cr3
	mov	TLB_4K_BASE + 0x2000, %r12
	dec	%r8d
	jnz	1b
	ucall_step 2
	mov	%r11, %rbx
	ucall	UCALL_REPORT
	mov	%r12, %rbx
	ucall	UCALL_REPORT
	hlt
GUEST_END cr3_switch_guest

/*
 * Address space B, inactive, changes: a PTE of its PT (TLB_PT2_GPA), then
 * its PDE (TLB_PD_B[2] to A's PT), each without an INVLPG; the next load
 * of B's CR3 must see each change.
 */
GUEST_BEGIN inactive_edit_guest, 64
	mov	%cr3, %r9
	mov	$TLB_PML4_B, %r10d
	mov	%r10, %cr3
	mov	TLB_4K_BASE + 0x2000, %rbx
	ucall	UCALL_REPORT
	mov	%r9, %cr3
	mov	TLB_4K_BASE + 0x2000, %rbx
	ucall	UCALL_REPORT
	movq	$(TLB_4K_BASE + 0x7000 + TLB_PTE), TLB_PT2_GPA + 2 * 8
	mov	%r10, %cr3
	mov	TLB_4K_BASE + 0x2000, %rbx
	ucall	UCALL_REPORT
	mov	%r9, %cr3
	movq	$(TLB_PT_GPA + TLB_PTE), TLB_PD_B + 2 * 8
	mov	%r10, %cr3
	mov	TLB_4K_BASE + 0x2000, %rbx
	ucall	UCALL_REPORT
	mov	%r9, %cr3
	hlt
GUEST_END inactive_edit_guest

/*
 * B's page table, once B was used, becomes data in A: TLB_LOOPS writes
 * and reads of it must not exit each time.
 */
GUEST_BEGIN table_reuse_guest, 64
	mov	%cr3, %r9
	mov	$TLB_PML4_B, %r10d
	mov	%r10, %cr3
	mov	TLB_4K_BASE + 0x2000, %rax
	mov	%r9, %cr3
	movq	$0, TLB_PT2_GPA + 0x100
	ucall_step 1
	mov	$TLB_LOOPS, %r8d
	xor	%r12d, %r12d
1:	mov	%r8, TLB_PT2_GPA + 0x100
	add	TLB_PT2_GPA + 0x100, %r12
	dec	%r8d
	jnz	1b
	ucall_step 2
	mov	%r12, %rbx
	ucall	UCALL_REPORT
	hlt
GUEST_END table_reuse_guest

/*
 * A's PT maps itself writable at TLB_SELF_VA (the test sets PTE
 * TLB_SELF_PTE): the guest changes PTE 2 through that mapping, with an
 * INVLPG, and reads the page; TLB_LOOPS times, between two frames.
 */
GUEST_BEGIN selfmap_guest, 64
	mov	TLB_4K_BASE + 0x2000, %rbx
	ucall	UCALL_REPORT
	mov	$TLB_LOOPS, %r8d
1:	movq	$(TLB_4K_BASE + 0x6000 + TLB_PTE), TLB_SELF_VA + 2 * 8
	invlpg	TLB_4K_BASE + 0x2000
	mov	TLB_4K_BASE + 0x2000, %rbx
	cmp	$(0x1000 + ((TLB_4K_BASE + 0x6000) >> 12)), %rbx
	jne	2f
	movq	$(TLB_4K_BASE + 0x2000 + TLB_PTE), TLB_SELF_VA + 2 * 8
	invlpg	TLB_4K_BASE + 0x2000
	mov	TLB_4K_BASE + 0x2000, %rbx
	cmp	$(0x1000 + ((TLB_4K_BASE + 0x2000) >> 12)), %rbx
	jne	2f
	dec	%r8d
	jnz	1b
2:	ucall	UCALL_REPORT
	mov	%r8, %rbx
	ucall	UCALL_REPORT
	hlt
GUEST_END selfmap_guest

/* One read in each 2 MiB of TLB_MANY_VA's tables, twice; each sum */
GUEST_BEGIN many_tables_guest, 64
	mov	$2, %r9d
2:	xor	%r12d, %r12d
	mov	$TLB_MANY_VA, %rsi
	mov	$TLB_MANY_TABLES, %ecx
1:	add	(%rsi), %r12
	add	$0x200000, %rsi
	dec	%ecx
	jnz	1b
	mov	%r12, %rbx
	ucall	UCALL_REPORT
	dec	%r9d
	jnz	2b
	hlt
GUEST_END many_tables_guest

/*
 * INVPCID's checks after its exit: a type above 3, descriptor bits 63:12,
 * a non-canonical address (type 0), a PCID without CR4.PCIDE: #GP(0)
 * each; then a valid one.
 */
GUEST_BEGIN invpcid_guest, 64
	movq	$0, TLB_DESC_GPA
	movq	$(TLB_4K_BASE + 0x1000), TLB_DESC_GPA + 8
	resume_at invpcid_guest, 1f
	mov	$4, %eax
GUEST_LABEL invpcid_type_insn
	invpcid	TLB_DESC_GPA, %rax
	hlt
1:	movq	$TLB_PCID_RSVD, TLB_DESC_GPA
	resume_at invpcid_guest, 2f
	mov	$2, %eax
GUEST_LABEL invpcid_rsvd_insn
	invpcid	TLB_DESC_GPA, %rax
	hlt
2:	movq	$0, TLB_DESC_GPA
	mov	$TLB_NONCANONICAL, %rax
	mov	%rax, TLB_DESC_GPA + 8
	resume_at invpcid_guest, 3f
	xor	%eax, %eax
GUEST_LABEL invpcid_addr_insn
	invpcid	TLB_DESC_GPA, %rax
	hlt
3:	movq	$1, TLB_DESC_GPA
	movq	$(TLB_4K_BASE + 0x1000), TLB_DESC_GPA + 8
	resume_at invpcid_guest, 4f
	xor	%eax, %eax
GUEST_LABEL invpcid_pcid_insn
	invpcid	TLB_DESC_GPA, %rax
	hlt
4:	movq	$0, TLB_DESC_GPA
	xor	%eax, %eax
	invpcid	TLB_DESC_GPA, %rax
	mov	$1, %eax
	invpcid	TLB_DESC_GPA, %rax
	ucall	UCALL_DONE
	hlt
	EXC_STUBS64 invpcid_stubs
GUEST_END invpcid_guest

/* CR3 to tables the VMM maps read-only, then a read: report it. */
GUEST_BEGIN rotables_guest, 64
	mov	$TLB_RO_GPA, %eax
	mov	%rax, %cr3
	mov	SCRATCH_GPA, %rbx
	ucall	UCALL_REPORT
	hlt
GUEST_END rotables_guest
