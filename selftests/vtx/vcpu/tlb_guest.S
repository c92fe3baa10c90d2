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

/*
 * PTW_ROUNDS x (\op changes PTE 2 of TLB_PT from %rax (%r14) to %rdx
 * (%r15), INVLPG of page 2, a read of page 2 (checked: the new frame's
 * mark) and of page 4 (checked), then back); wrong reads counted,
 * reported.  With shadow paging each change is one exit, the INVLPG one,
 * the read of page 2 one; page 4 stays mapped.
 */
.macro PTWRITE_GUEST name, op, other=0x5000
GUEST_BEGIN \name, 64
	mov	TLB_4K_BASE + 0x2000, %rax
	mov	TLB_4K_BASE + 0x4000, %rax
	xor	%r13d, %r13d
	mov	$(TLB_4K_BASE + 0x2000 + TLB_PTE), %r14
	mov	$(TLB_4K_BASE + \other + TLB_PTE), %r15
	ucall_step 1
	mov	$PTW_ROUNDS, %r8d
1:	mov	%r14, %rax
	mov	%r15, %rdx
	\op
	invlpg	TLB_4K_BASE + 0x2000
	mov	TLB_4K_BASE + 0x2000, %rbx
	mov	%r15, %rcx
	shr	$12, %rcx
	add	$0x1000, %rcx
	cmp	%rcx, %rbx
	je	2f
	inc	%r13
2:	cmpq	$(0x1000 + ((TLB_4K_BASE + 0x4000) >> 12)), TLB_4K_BASE + 0x4000
	je	3f
	inc	%r13
3:	xchg	%r14, %r15
	dec	%r8d
	jnz	1b
	ucall_step 2
	mov	%r13, %rbx
	ucall	UCALL_REPORT
	hlt
GUEST_END \name
.endm

/* The instructions of PTWRITE_GUEST: %rax the old entry, %rdx the new */
.macro ptw_op_mov
	mov	%rdx, TLB_PTE2_GPA
.endm
.macro ptw_op_xchg
	xchg	%rdx, TLB_PTE2_GPA
.endm
/*
 * Compared with the entry as it is (the processor set its accessed bit);
 * ZF clear: the compare failed (counted as a wrong read)
 */
.macro ptw_op_cmpxchg
	mov	TLB_PTE2_GPA, %rax
	lock cmpxchg %rdx, TLB_PTE2_GPA
	jz	4f
	inc	%r13
4:
.endm
/* frame 2 <-> 6: bit 14 set by LOCK BTS, cleared by LOCK BTR */
.macro ptw_op_bts
	test	$(1 << PTW_TOGGLE_BIT), %edx
	jz	4f
	lock btsq $PTW_TOGGLE_BIT, TLB_PTE2_GPA
	jmp	5f
4:	lock btrq $PTW_TOGGLE_BIT, TLB_PTE2_GPA
5:
.endm
/* MOVSQ from PTW_SRC */
.macro ptw_op_movs
	mov	%rdx, PTW_SRC
	mov	$PTW_SRC, %esi
	mov	$TLB_PTE2_GPA, %edi
	cld
	movsq
.endm
/* 8 bytes over PTE 1's high half and PTE 2's low half */
.macro ptw_op_straddle
	mov	%rdx, %rcx
	shl	$32, %rcx
	mov	%rcx, TLB_PTE2_GPA - 4
.endm

PTWRITE_GUEST ptw_mov_guest, ptw_op_mov
PTWRITE_GUEST ptw_xchg_guest, ptw_op_xchg
PTWRITE_GUEST ptw_cmpxchg_guest, ptw_op_cmpxchg
PTWRITE_GUEST ptw_bts_guest, ptw_op_bts, 0x6000
PTWRITE_GUEST ptw_movs_guest, ptw_op_movs
PTWRITE_GUEST ptw_straddle_guest, ptw_op_straddle

/*
 * The 32-bit guest of ptwrite_cmpxchg8b_pae: PAE paging over TLB_PT as
 * invlpg_pae_guest, PTE 2 changed by LOCK CMPXCHG8B (from its value, to
 * %edi); wrong reads (and
 * failed compares) counted at PTW_ERRORS.
 */
GUEST_BEGIN ptw_cmpxchg8b_guest, 32
	mov	$TLB_PAE_PDPT, %eax
	mov	%eax, %cr3
	mov	%cr4, %eax
	or	$CR4_PAE, %eax
	mov	%eax, %cr4
	mov	%cr0, %eax
	or	$TLB_CR0_PG, %eax
	mov	%eax, %cr0
	movl	$0, PTW_ERRORS
	mov	TLB_4K_BASE + 0x2000, %eax
	mov	TLB_4K_BASE + 0x4000, %eax
	mov	$(TLB_4K_BASE + 0x2000 + TLB_PTE), %esi
	mov	$(TLB_4K_BASE + 0x5000 + TLB_PTE), %edi
	ucall_step 1
	mov	$PTW_ROUNDS, %ebp
1:	mov	TLB_PTE2_GPA, %eax	/* with its accessed bit */
	mov	TLB_PTE2_GPA + 4, %edx
	mov	%edi, %ebx
	xor	%ecx, %ecx
	lock cmpxchg8b TLB_PTE2_GPA
	jz	2f
	incl	PTW_ERRORS
2:	invlpg	TLB_4K_BASE + 0x2000
	mov	TLB_4K_BASE + 0x2000, %eax
	mov	%edi, %ecx
	shr	$12, %ecx
	add	$0x1000, %ecx
	cmp	%ecx, %eax
	je	3f
	incl	PTW_ERRORS
3:	cmpl	$(0x1000 + ((TLB_4K_BASE + 0x4000) >> 12)), TLB_4K_BASE + 0x4000
	je	4f
	incl	PTW_ERRORS
4:	xchg	%esi, %edi
	dec	%ebp
	jnz	1b
	ucall_step 2
	mov	PTW_ERRORS, %ebx
	ucall	UCALL_REPORT
	hlt
GUEST_END ptw_cmpxchg8b_guest

/*
 * PTW_KEEP_PAGES pages of TLB_PT read; PTW_ROUNDS_LONG x (MOV to PTE 2,
 * INVLPG, read of page 2); the same pages read again: their sum.
 */
GUEST_BEGIN ptw_keep_guest, 64
	mov	$(TLB_4K_BASE + PTW_KEEP_FIRST * 0x1000), %esi
	mov	$PTW_KEEP_PAGES, %ecx
1:	mov	(%rsi), %rax
	add	$0x1000, %rsi
	dec	%ecx
	jnz	1b
	mov	TLB_4K_BASE + 0x2000, %rax
	mov	$(TLB_4K_BASE + 0x2000 + TLB_PTE), %r14
	mov	$(TLB_4K_BASE + 0x5000 + TLB_PTE), %r15
	ucall_step 1
	mov	$PTW_ROUNDS_LONG, %r8d
2:	mov	%r15, TLB_PTE2_GPA
	invlpg	TLB_4K_BASE + 0x2000
	mov	TLB_4K_BASE + 0x2000, %rax
	xchg	%r14, %r15
	dec	%r8d
	jnz	2b
	xor	%r12d, %r12d
	mov	$(TLB_4K_BASE + PTW_KEEP_FIRST * 0x1000), %esi
	mov	$PTW_KEEP_PAGES, %ecx
3:	add	(%rsi), %r12
	add	$0x1000, %rsi
	dec	%ecx
	jnz	3b
	ucall_step 2
	mov	%r12, %rbx
	ucall	UCALL_REPORT
	hlt
GUEST_END ptw_keep_guest

/*
 * Two vCPUs (RDI: 0 or 1), PTW_SMP_LOOPS x (LOCK BTS of AVL bit 9 + id
 * of PTE 2, INVLPG and a read of page 8 + id through the table, LOCK BTR
 * of the bit): BTS must find the bit clear and BTR set, whatever the
 * other vCPU does to its own bit; the count of those that did not,
 * reported.
 */
GUEST_BEGIN ptw_smp_guest, 64
	mov	%rdi, %rcx
	add	$PTW_AVL_BIT, %ecx
	mov	%rdi, %rsi
	shl	$12, %rsi
	add	$(TLB_4K_BASE + 0x8000), %rsi
	mov	(%rsi), %rax
	xor	%r13d, %r13d
	mov	$PTW_SMP_LOOPS, %r8d
1:	lock btsq %rcx, TLB_PTE2_GPA
	jnc	2f
	inc	%r13
2:	invlpg	(%rsi)
	mov	(%rsi), %rax
	lock btrq %rcx, TLB_PTE2_GPA
	jc	3f
	inc	%r13
3:	dec	%r8d
	jnz	1b
	mov	%r13, %rbx
	ucall	UCALL_REPORT
	hlt
GUEST_END ptw_smp_guest

/*
 * PTE 2 (mapped) rewritten by REP INSL from the VMM's port PTW_PORT (vtx
 * writes guest RAM for the guest), INVLPG, a read of page 2: reported.
 */
GUEST_BEGIN ptw_ins_guest, 64
	mov	TLB_4K_BASE + 0x2000, %rax
	mov	TLB_4K_BASE + 0x4000, %rax
	mov	$TLB_PTE2_GPA, %edi
	mov	$PTW_PORT, %edx
	mov	$2, %ecx
	cld
	rep insl
	invlpg	TLB_4K_BASE + 0x2000
	mov	TLB_4K_BASE + 0x2000, %rbx
	ucall	UCALL_REPORT
	mov	TLB_4K_BASE + 0x4000, %rbx
	ucall	UCALL_REPORT
	hlt
GUEST_END ptw_ins_guest

/*
 * A reads TLB_SHARE_PAGES pages of TLB_PT; then C (never loaded before,
 * over A's PDPT) reads them, summed; back to A, the sum reported.
 */
GUEST_BEGIN share_new_guest, 64
	mov	%cr3, %r9
	mov	$TLB_4K_BASE, %rsi
	mov	$TLB_SHARE_PAGES, %ecx
1:	mov	(%rsi), %rax
	add	$0x1000, %rsi
	dec	%ecx
	jnz	1b
	ucall_step 1
	mov	$TLB_PML4_C, %r10d
	mov	%r10, %cr3
	xor	%r12d, %r12d
	mov	$TLB_4K_BASE, %rsi
	mov	$TLB_SHARE_PAGES, %ecx
2:	add	(%rsi), %r12
	add	$0x1000, %rsi
	dec	%ecx
	jnz	2b
	ucall_step 2
	mov	%r9, %cr3
	mov	%r12, %rbx
	ucall	UCALL_REPORT
	hlt
GUEST_END share_new_guest

/*
 * A and D read page 2 of the PT they share; D moves PTE 2 to frame 5,
 * INVLPG, reads (reported); A reads (reported); A moves it to frame 6; D
 * reads (reported).
 */
GUEST_BEGIN share_write_guest, 64
	mov	%cr3, %r9
	mov	$TLB_PML4_D, %r10d
	mov	TLB_4K_BASE + 0x2000, %rax
	mov	%r10, %cr3
	mov	TLB_4K_BASE + 0x2000, %rax
	movq	$(TLB_4K_BASE + 0x5000 + TLB_PTE), TLB_PTE2_GPA
	invlpg	TLB_4K_BASE + 0x2000
	mov	TLB_4K_BASE + 0x2000, %rbx
	ucall	UCALL_REPORT
	mov	%r9, %cr3
	mov	TLB_4K_BASE + 0x2000, %rbx
	ucall	UCALL_REPORT
	movq	$(TLB_4K_BASE + 0x6000 + TLB_PTE), TLB_PTE2_GPA
	mov	%r10, %cr3
	mov	TLB_4K_BASE + 0x2000, %rbx
	ucall	UCALL_REPORT
	mov	%r9, %cr3
	hlt
GUEST_END share_write_guest

/*
 * 32-bit paging over TLB_PD32: reads through PTE TLB_PTE32_HIGH of
 * TLB_PT32 under PDE 1 and PDE TLB_HIGH_PDE, and through PTE 2; the high
 * PTE moved to frame 5 + 2 MiB, INVLPG, read (reported), PTE 2 read
 * (reported); PDE TLB_HIGH_PDE to TLB_PT32B, INVLPG, read (reported).
 */
GUEST_BEGIN quadrant_guest, 32
	mov	$TLB_PD32, %eax
	mov	%eax, %cr3
	mov	%cr4, %eax
	or	$CR4_PSE, %eax
	mov	%eax, %cr4
	mov	%cr0, %eax
	or	$TLB_CR0_PG, %eax
	mov	%eax, %cr0
	mov	TLB_4K_BASE + 0x202000, %eax
	mov	TLB_4K_BASE + 0x2000, %eax
	mov	TLB_HIGH_VA + 0x202000, %eax
	movl	$(TLB_4K_BASE + 0x205000 + TLB_PTE), TLB_PT32 + TLB_PTE32_HIGH * 4
	invlpg	TLB_4K_BASE + 0x202000
	mov	TLB_4K_BASE + 0x202000, %ebx
	ucall	UCALL_REPORT
	mov	TLB_4K_BASE + 0x2000, %ebx
	ucall	UCALL_REPORT
	movl	$(TLB_PT32B + TLB_PTE), TLB_PD32 + TLB_HIGH_PDE * 4
	invlpg	TLB_HIGH_VA + 0x202000
	mov	TLB_HIGH_VA + 0x202000, %ebx
	ucall	UCALL_REPORT
	hlt
GUEST_END quadrant_guest

/*
 * Two vCPUs (%rdi: the id) over the same tables, both reading page 2.
 * TLB_SMP_ROUNDS rounds: vCPU 0 moves PTE 2 (frame 5 in odd rounds, 2 in
 * even ones), INVLPG, reads it, posts the round at TLB_SMP_FLAG and waits
 * for vCPU 1's ack at TLB_SMP_ACK; vCPU 1 waits for the round, INVLPGs,
 * reads it, acks.  Each vCPU's wrong reads are reported.
 */
GUEST_BEGIN share_smp_guest, 64
	xor	%r13d, %r13d
	mov	TLB_4K_BASE + 0x2000, %rax
	mov	$1, %r8d
1:	mov	$(0x1000 + ((TLB_4K_BASE + 0x2000) >> 12)), %edx
	mov	$(TLB_4K_BASE + 0x2000 + TLB_PTE), %ecx
	test	$1, %r8d
	jz	2f
	mov	$(0x1000 + ((TLB_4K_BASE + 0x5000) >> 12)), %edx
	mov	$(TLB_4K_BASE + 0x5000 + TLB_PTE), %ecx
2:	test	%rdi, %rdi
	jnz	5f
	mov	%rcx, TLB_PTE2_GPA
	invlpg	TLB_4K_BASE + 0x2000
	cmp	TLB_4K_BASE + 0x2000, %rdx
	je	3f
	inc	%r13
3:	mov	%r8, TLB_SMP_FLAG
4:	pause
	cmp	TLB_SMP_ACK, %r8
	jne	4b
	jmp	7f
5:	pause
	cmp	TLB_SMP_FLAG, %r8
	jne	5b
	invlpg	TLB_4K_BASE + 0x2000
	cmp	TLB_4K_BASE + 0x2000, %rdx
	je	6f
	inc	%r13
6:	mov	%r8, TLB_SMP_ACK
7:	inc	%r8d
	cmp	$TLB_SMP_ROUNDS, %r8d
	jbe	1b
	mov	%r13, %rbx
	ucall	UCALL_REPORT
	hlt
GUEST_END share_smp_guest
