/* SPDX-License-Identifier: GPL-2.0 */
/* What tlb_guest.S and tlb_test.c agree on */
#ifndef VTX_VCPU_TLB_H
#define VTX_VCPU_TLB_H

/*
 * Slot 1, [4 MiB, 10 MiB): the pages the guests translate.  The library's
 * page tables map the first GiB with 2 MiB pages (PD at VTX_PD_GPA); the
 * tests turn PD[2], [4 MiB, 6 MiB), into 4 KiB pages through TLB_PT_GPA.
 */
#define TLB_RAM_GPA		0x400000
#define TLB_RAM_SIZE		0x600000
#define TLB_4K_BASE		0x400000	/* PD[2]: 4 KiB pages */
#define TLB_PT_GPA		0x21000		/* its page table */
#define TLB_LARGE_A		0x600000	/* PD[3]: a 2 MiB page ... */
#define TLB_LARGE_B		0x800000	/* ... moved here by the guest */
#define TLB_PDE3_GPA		(VTX_PD_GPA + 3 * 8)
#define TLB_PTE2_GPA		(TLB_PT_GPA + 2 * 8)
#define TLB_LARGE_PDE		0x83		/* P | RW | PS */
#define TLB_PTE			0x3		/* P | RW */

/* A second address space: its own PML4, PDPT and PD (PD[2]: TLB_PT2) */
#define TLB_PML4_B		0x22000
#define TLB_PDPT_B		0x23000
#define TLB_PD_B		0x24000
#define TLB_PT2_GPA		0x25000

/* Slot 2: a PML4, PDPT and PD (2 MiB pages) that the VMM maps read-only */
#define TLB_RO_GPA		0x1000000
#define TLB_RO_PAGES		3

/*
 * invlpg_exits_pae: PAE paging outside long mode over the same PT: a
 * PDPT and a PD (PD[0] a 2 MiB identity page, PD[2] TLB_PT_GPA).
 */
#define TLB_PAE_PDPT		0x26000
#define TLB_PAE_PD		0x27000
#define TLB_CR0_PG		0x80000000

/* selfmap: A's PTE 7 maps A's PT itself, writable */
#define TLB_SELF_PTE		7
#define TLB_SELF_VA		(TLB_4K_BASE + TLB_SELF_PTE * 0x1000)

/*
 * many_tables: slot 3, a PD (PDPT[1]: [1 GiB, 2 GiB)) and TLB_MANY_TABLES
 * page tables, each mapping the first 4 KiB of its 2 MiB.
 */
#define TLB_MANY_GPA		0x4000000
#define TLB_MANY_TABLES		200
#define TLB_MANY_VA		0x40000000

/*
 * ptwrite_*: PTW_ROUNDS x (PTE 2 of TLB_PT changed between frames 2 and
 * 5 (or 6) by one instruction, INVLPG, a read of page 2 and of page 4);
 * each wrong read counted at PTW_ERRORS (the 32-bit guest's).  The
 * 2-vCPU one: PTW_SMP_LOOPS x (LOCK BTS, LOCK BTR of AVL bit 9 + vCPU id
 * of PTE 2), each vCPU.  ptwrite_keeps_table: PTW_KEEP_PAGES pages of
 * the table read before and after PTW_ROUNDS_LONG writes.
 */
#define PTW_ROUNDS		20
#define PTW_ROUNDS_LONG		200
#define PTW_SMP_LOOPS		200
#define PTW_KEEP_FIRST		8
#define PTW_KEEP_PAGES		64
#define PTW_SRC			(SCRATCH_GPA + 0x200)	/* MOVS's source */
#define PTW_ERRORS		(SCRATCH_GPA + 0x208)
#define PTW_AVL_BIT		9
#define PTW_TOGGLE_BIT		14			/* frame 2 <-> 6 */
#define PTW_PORT		0x5c0			/* ptw_ins: the VMM's */

/*
 * Shared tables: C, a PML4 of its own whose entry 0 is A's (A's PDPT, PD
 * and PT: a forked process's kernel half); D, a PML4, PDPT and PD of its
 * own (PD a copy of A's) over A's PT.  shared_tables_new_space reads
 * TLB_SHARE_PAGES pages of TLB_PT in A, then in C.
 */
#define TLB_PML4_C		0x28000
#define TLB_PML4_D		0x29000
#define TLB_PDPT_D		0x2a000
#define TLB_PD_D		0x2b000
#define TLB_SHARE_PAGES		256

/*
 * 32-bit paging (shared_tables_quadrants): a PD whose PDE 0 is a 4 MiB
 * identity page, PDEs 1 and TLB_HIGH_PDE both TLB_PT32 (identity over
 * [4 MiB, 8 MiB)); TLB_PT32B maps each page of it one further on.
 */
#define TLB_PD32		0x2c000
#define TLB_PT32		0x2d000
#define TLB_PT32B		0x2e000
#define TLB_HIGH_PDE		768
#define TLB_HIGH_VA		0xc0000000
#define TLB_PTE32_HIGH		514	/* a PTE in the table's upper 2 MiB */

/*
 * shared_tables_two_vcpus: TLB_SMP_ROUNDS x (vCPU 0 moves PTE 2, posts
 * the round at TLB_SMP_FLAG; vCPU 1 INVLPGs, reads, acks at TLB_SMP_ACK).
 */
#define TLB_SMP_FLAG		(SCRATCH_GPA + 0x210)
#define TLB_SMP_ACK		(SCRATCH_GPA + 0x218)
#define TLB_SMP_ROUNDS		20

#define TLB_LOOPS		1000
#define TLB_DESC_GPA		(SCRATCH_GPA + 0x100)	/* INVPCID descriptor */
#define TLB_NONCANONICAL	0x800000000000		/* bit 47 only */
#define TLB_PCID_RSVD		0x1000			/* descriptor bit 12 */

#endif
