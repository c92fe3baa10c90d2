/* SPDX-License-Identifier: GPL-2.0 */
/* Guest of paging_test.c: its own page tables, changed under it. */
#include "guest_exc.h"
#include "paging.h"

GUEST_BEGIN paging_guest, 64
	/* 1: read through PT[0] (DATA_A) */
	mov	PG_WIN, %rbx
	ucall	UCALL_REPORT
	/* 2: write through it: the accessed and dirty bits */
	mov	$PG_MARK_W, %rax
	mov	%rax, PG_WIN
	ucall_step 2
	/* 3: PT[0] -> DATA_B, INVLPG, read */
	mov	$(PG_DATA_B | PG_P | PG_RW), %rax
	mov	%rax, PG_PT_GPA
	invlpg	PG_WIN
	mov	PG_WIN, %rbx
	ucall	UCALL_REPORT
	/* 4: PT[1] not present: #PF; made present, no INVLPG needed */
	resume_at paging_guest, 4f
GUEST_LABEL paging_np
	mov	PG_WIN + 0x1000, %rbx
4:	mov	$(PG_DATA_C | PG_P), %rax
	mov	%rax, PG_PT_GPA + 8
	mov	PG_WIN + 0x1000, %rbx
	ucall	UCALL_REPORT
	/* 5: PT[2] read-only (DATA_C): CR0.WP=0 lets CPL 0 write */
	mov	$PG_MARK_W2, %rax
	mov	%rax, PG_WIN + 0x2000
	mov	PG_WIN + 0x1000, %rbx
	ucall	UCALL_REPORT
	/* ... and with CR0.WP=1 the write faults */
	mov	%cr0, %rax
	or	$PG_CR0_WP, %rax
	mov	%rax, %cr0
	resume_at paging_guest, 5f
GUEST_LABEL paging_ro
	movq	$1, PG_WIN + 0x2000
5:	mov	PG_WIN + 0x1000, %rbx
	ucall	UCALL_REPORT
	/* 6: CR3 switches: the window is DATA_A there, DATA_B here */
	mov	%cr3, %r12
	mov	$PG_PML4B_GPA, %rax
	mov	%rax, %cr3
	mov	%cr3, %rcx
	mov	PG_WIN, %rbx
	ucall	UCALL_REPORT
	mov	%r12, %cr3
	mov	%cr3, %rcx
	mov	PG_WIN, %rbx
	ucall	UCALL_REPORT
	mov	$PG_PML4B_GPA, %rax
	mov	%rax, %cr3
	mov	PG_WIN, %rbx
	ucall	UCALL_REPORT
	mov	%r12, %cr3
	/* 7: a PTE to a frame in no memslot: an MMIO read */
	mov	PG_WIN + 0x3000, %rbx
	ucall	UCALL_REPORT
	/* 8: a reserved bit in the PTE: #PF with RSVD */
	resume_at paging_guest, 8f
GUEST_LABEL paging_rsvd
	mov	PG_WIN + 0x4000, %rbx
8:	ucall	UCALL_DONE
9:	jmp	9b
	EXC_STUBS64 paging_stubs
GUEST_END paging_guest

/* Real mode: shadow paging (milestone 1) cannot run it; KVM emulates it. */
GUEST_BEGIN paging_real_guest, 16
	ucall	UCALL_DONE
1:	jmp	1b
GUEST_END paging_real_guest

/*
 * guest_maxphyaddr: MOVS from a device page (emulated) to destinations
 * the emulator's page walk must refuse, then a plain read.
 */
GUEST_BEGIN maxphy_guest, 64
	/* 1: the destination's PTE has bit 37, above the vCPU's MAXPHYADDR */
	resume_at maxphy_guest, 1f
	mov	$PG_WIN, %rsi
	mov	$(PG_WIN + 0x1000), %rdi
GUEST_LABEL maxphy_movs_rsvd
	movsq
	/* 2: the destination's PTE has XD while EFER.NXE = 0 */
1:	resume_at maxphy_guest, 2f
	mov	$PG_WIN, %rsi
	mov	$(PG_WIN + 0x3000), %rdi
GUEST_LABEL maxphy_movs_xd
	movsq
	/* 3: the destination is behind a PML4E with PS */
2:	resume_at maxphy_guest, 3f
	mov	$PG_WIN, %rsi
	movabs	$(MP_PS_WIN + 0x5000), %rdi
GUEST_LABEL maxphy_movs_ps
	movsq
	/* 4: a good destination: the walk sets its accessed and dirty bits */
3:	mov	$PG_WIN, %rsi
	mov	$(PG_WIN + 0x4000), %rdi
	movsq
	ucall_step 4
	mov	PG_WIN + 0x4000, %rbx
	ucall	UCALL_REPORT
	/* 5: a plain read through the PTE with bit 37 (guest_maxphyaddr_read) */
GUEST_LABEL maxphy_read_start
	resume_at maxphy_guest, 5f
GUEST_LABEL maxphy_read_rsvd
	mov	PG_WIN + 0x2000, %rbx
5:	ucall	UCALL_DONE
6:	jmp	6b
	EXC_STUBS64 maxphy_stubs
GUEST_END maxphy_guest

/*
 * guest_maxphyaddr_pse36: 32-bit paging with PSE; MOVS from the device
 * to a 4-MByte page whose PDE has PSE-36 bit 17 (address bit 36).
 */
/*
 * guest_maxphyaddr_pae: PAE paging outside long mode; MOVS from the
 * device to 2-MByte pages whose PDEs have bit 55, bit 37, none; then a
 * plain read through the PDE with bit 37.
 */
GUEST_BEGIN maxphyp_guest, 32
	mov	$MPP_PDPT_GPA, %eax
	mov	%eax, %cr3
	mov	%cr4, %eax
	or	$CR4_PAE, %eax
	mov	%eax, %cr4
	mov	%cr0, %eax
	or	$MP32_CR0_PG, %eax
	mov	%eax, %cr0
	resume_at maxphyp_guest, 1f
	mov	$MPP_MMIO_WIN, %esi
	mov	$MPP_R55_WIN, %edi
GUEST_LABEL maxphyp_movs55
	movsl
1:	resume_at maxphyp_guest, 2f
	mov	$MPP_MMIO_WIN, %esi
	mov	$MPP_R37_WIN, %edi
GUEST_LABEL maxphyp_movs37
	movsl
2:	mov	$MPP_MMIO_WIN, %esi
	mov	$(MPP_GOOD_WIN + 0x10), %edi
	movsl
	ucall_step 3
	resume_at maxphyp_guest, 4f
GUEST_LABEL maxphyp_read37
	mov	MPP_R37_WIN + 0x40, %ebx
4:	ucall	UCALL_DONE
5:	jmp	5b
	EXC_STUBS32 maxphyp_stubs
GUEST_END maxphyp_guest

GUEST_BEGIN maxphy32_guest, 32
	mov	$PD32_GPA, %eax
	mov	%eax, %cr3
	mov	%cr4, %eax
	or	$CR4_PSE, %eax
	mov	%eax, %cr4
	mov	%cr0, %eax
	or	$MP32_CR0_PG, %eax
	mov	%eax, %cr0
	resume_at maxphy32_guest, 1f
	mov	$MP32_MMIO_WIN, %esi
	mov	$MP32_RSVD_WIN, %edi
GUEST_LABEL maxphy32_movs
	movsl
1:	ucall	UCALL_DONE
2:	jmp	2b
	EXC_STUBS32 maxphy32_stubs
GUEST_END maxphy32_guest

/*
 * guest_page_tables_32 / _pae: \pae 0 for 32-bit paging (4-byte entries,
 * CR4.PSE), 1 for PAE paging (8-byte entries, EFER.NXE).  The host built
 * the tables (paging.h); CR0.WP starts clear.
 */
.macro PG32_STEPS name, pae
	.if \pae
	.set esz, 8
	.set big_pde, P32_PD_GPA + (P32_BIG >> 21) * 8
	.else
	.set esz, 4
	.set big_pde, P32_PD_GPA + (P32_BIG >> 22) * 4
	.endif
	.if \pae
	mov	$P32_EFER, %ecx
	rdmsr
	or	$P32_EFER_NXE, %eax
	wrmsr
	mov	$P32_PDPT_GPA, %eax
	.else
	mov	$P32_PD_GPA, %eax
	.endif
	mov	%eax, %cr3
	mov	%cr4, %eax
	.if \pae
	or	$CR4_PAE, %eax
	.else
	or	$CR4_PSE, %eax
	.endif
	mov	%eax, %cr4
	mov	%cr0, %eax
	or	$P32_CR0_PG, %eax
	and	$~CR0_WP, %eax
	mov	%eax, %cr0
	/* 1: read through PT[0] (DATA_A) */
	mov	P32_WIN, %ebx
	ucall	UCALL_REPORT
	/* 2: write through it: the accessed and dirty bits */
	movl	$PG_MARK_W, P32_WIN
	ucall_step 2
	/* 3: PT[0] -> DATA_B, INVLPG, read */
	movl	$(PG_DATA_B | PG_P | PG_RW), P32_PT_GPA
	invlpg	P32_WIN
	mov	P32_WIN, %ebx
	ucall	UCALL_REPORT
	/* 4: PT[1] not present: #PF; made present, no INVLPG needed */
	resume_at \name, 4f
GUEST_LABEL \name\()_np
	mov	P32_WIN + 0x1000, %ebx
4:	movl	$(PG_DATA_C | PG_P), P32_PT_GPA + esz
	mov	P32_WIN + 0x1000, %ebx
	ucall	UCALL_REPORT
	/* 5: PT[2] read-only (DATA_C): CR0.WP=0 lets CPL 0 write */
	movl	$PG_MARK_W2, P32_WIN + 0x2000
	mov	P32_WIN + 0x1000, %ebx
	ucall	UCALL_REPORT
	/* ... and with CR0.WP=1 the write faults */
	mov	%cr0, %eax
	or	$CR0_WP, %eax
	mov	%eax, %cr0
	resume_at \name, 5f
GUEST_LABEL \name\()_ro
	movl	$1, P32_WIN + 0x2000
5:	mov	P32_WIN + 0x1000, %ebx
	ucall	UCALL_REPORT
	/* 6: CR3 switches: the window is DATA_A in B, DATA_B here */
	mov	%cr3, %edi
	.if \pae
	mov	$P32_PDPTB_GPA, %eax
	.else
	mov	$P32_PDB_GPA, %eax
	.endif
	mov	%eax, %cr3
	mov	%cr3, %ecx
	mov	P32_WIN, %ebx
	ucall	UCALL_REPORT
	mov	%edi, %cr3
	mov	%cr3, %ecx
	mov	P32_WIN, %ebx
	ucall	UCALL_REPORT
	.if \pae
	mov	$P32_PDPTB_GPA, %eax
	.else
	mov	$P32_PDB_GPA, %eax
	.endif
	mov	%eax, %cr3
	mov	P32_WIN, %ebx
	ucall	UCALL_REPORT
	mov	%edi, %cr3
	/* 7: a PTE to a frame in no memslot: an MMIO read */
	mov	P32_WIN + 0x3000, %ebx
	ucall	UCALL_REPORT
	/* 8: a reserved bit: #PF with RSVD */
	resume_at \name, 8f
GUEST_LABEL \name\()_rsvd
	.if \pae
	mov	P32_WIN + 0x4000, %ebx
	.else
	mov	P32_RSVD_WIN, %ebx
	.endif
8:
	.if \pae
	/* 9: a fetch from an XD page with EFER.NXE: #PF with I/D */
	resume_at \name, 9f
	mov	$(P32_WIN + 0x5000), %eax
	jmp	*%eax
9:
	.endif
	/* 10: the large page: a read in each 2 MiB, then INVLPG of one */
	mov	P32_BIG + 0x200000 + 0x3000, %ebx
	ucall	UCALL_REPORT
	mov	P32_BIG + 0x1000, %ebx
	ucall	UCALL_REPORT
	movl	$0, big_pde
	invlpg	P32_BIG
	resume_at \name, 10f
GUEST_LABEL \name\()_big
	.if \pae
	mov	P32_BIG + 0x1000, %ebx
	.else
	mov	P32_BIG + 0x200000 + 0x3000, %ebx
	.endif
10:
	.if \pae
	/* 11: MOV to CR3 of a PDPT with a reserved bit: #GP(0), CR3 kept */
	resume_at \name, 11f
	mov	$P32_PDPTBAD_GPA, %eax
GUEST_LABEL \name\()_badcr3
	mov	%eax, %cr3
11:	mov	%cr3, %ecx
	mov	P32_WIN, %ebx
	ucall	UCALL_REPORT
	.endif
	/* 12: CR4.SMEP: a supervisor fetch from a user page faults (I/D) */
	cmpl	$0, P32_SMEP_FLAG
	je	13f
	mov	P32_WIN + P32_USER_PTE * 0x1000, %ebx
	ucall	UCALL_REPORT
	mov	%cr4, %eax
	or	$CR4_SMEP, %eax
	mov	%eax, %cr4
	resume_at \name, 13f
	mov	$(P32_WIN + P32_USER_PTE * 0x1000), %eax
	jmp	*%eax
13:	ucall	UCALL_DONE
12:	jmp	12b
.endm

GUEST_BEGIN pg32_guest, 32
	PG32_STEPS pg32_guest, 0
	EXC_STUBS32 pg32_stubs
GUEST_END pg32_guest

GUEST_BEGIN pgpae_guest, 32
	PG32_STEPS pgpae_guest, 1
	EXC_STUBS32 pgpae_stubs
GUEST_END pgpae_guest
