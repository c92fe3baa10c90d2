/* SPDX-License-Identifier: GPL-2.0 */
/* What paging_test.c and its guest agree on. */
#ifndef VTX_PAGING_H
#define VTX_PAGING_H

#include "vcpu.h"

/* Tables of the window at PG_WIN (PDPT[1] of the library's PML4) */
#define PG_PD_GPA		0x13000
#define PG_PT_GPA		0x14000
/* A second address space: the first 1 GiB as the library's, a window */
#define PG_PML4B_GPA		0x15000
#define PG_PDPTB_GPA		0x16000
#define PG_PDB_GPA		0x17000
#define PG_PTB_GPA		0x18000
/* Data pages (in SCRATCH_GPA) */
#define PG_DATA_A		0x20000
#define PG_DATA_B		0x21000
#define PG_DATA_C		0x22000
/* Linear window: 1 GiB at 1 GiB, 4 KiB pages */
#define PG_WIN			0x40000000
/* A frame in no memslot: PT[3] maps it */
#define PG_MMIO_GPA		0xc0000000
/* PT[4] has bit 51 set: reserved below MAXPHYADDR 52 */
#define PG_RSVD_BIT		51

/*
 * guest_maxphyaddr: the vCPU's CPUID says MAXPHYADDR 36, less than the
 * host's (Bochs: 40); bit 37 of a frame is reserved for the guest but an
 * address bit to the processor.  PML4[1] (512 GiB) has PS set, reserved.
 */
#define MP_MAXPHYADDR		36
#define MP_RSVD_BIT		37
#define MP_PDPTC_GPA		0x19000
#define MP_PS_WIN		0x8000000000
#define MP_XD_BIT		63
/*
 * guest_maxphyaddr_pse36: 32-bit paging with 4-MByte pages; PDE[2] maps
 * the device frame, PDE[3] frame 0 with PDE bit 17 (PSE-36: address bit
 * 36, reserved under MAXPHYADDR 36).
 */
#define MP32_MMIO_WIN		0x800000
#define MP32_RSVD_WIN		0xc00000
#define MP32_PSE36_BIT		17
#define MP32_CR0_PG		0x80000000
/*
 * guest_maxphyaddr_pae: PAE paging outside long mode (PDPT, PD, PT), 2M
 * pages: PD[0] identity, PD[4] a PT whose PTE[0] is the device frame,
 * PD[6] with bit 55 (reserved in PAE paging, 62:M; ignored in 4-level
 * paging), PD[8] with bit 37 (reserved under MAXPHYADDR 36), PD[10] good.
 */
#define MPP_PDPT_GPA		0x1a000
#define MPP_PD_GPA		0x1b000
#define MPP_PT_GPA		0x1c000
#define MPP_MMIO_WIN		0x800000
#define MPP_R55_WIN		0xc00000
#define MPP_R37_WIN		0x1000000
#define MPP_GOOD_WIN		0x1400000
#define MPP_R55_BIT		55

/*
 * guest_page_tables_32 / _pae: guest_page_tables' steps under 32-bit and
 * PAE paging (on vtx ept=0: shadow paging's PAE root).  The first 4 MiB
 * identity-mapped with large pages; the window at 4 MiB through P32_PT
 * (PTEs: 0 DATA_A, 1 not present, 2 DATA_C read-only, 3 the device frame,
 * 4 PAE: bit 51, 5 PAE: XD); a large page at 8 MiB over slot 1 (4 MiB:
 * one 4-MByte page, two 2-MByte ones under PAE); 32-bit: a 4-MByte page
 * at 12 MiB with PDE bit 21 (reserved).  Address space B: the same but
 * P32_PTB for the window, whose PTE 0 is DATA_A.  PAE: the PDPTs of A, B
 * and one with a reserved bit (bit 1) in its first PDPTE are 32 bytes
 * apart in one page.
 */
#define P32_PD_GPA		0x1d000
#define P32_PT_GPA		0x1e000
#define P32_PDPT_GPA		0x1f000
#define P32_PDPTB_GPA		0x1f020
#define P32_PDPTBAD_GPA		0x1f040
#define P32_PDB_GPA		0x23000
#define P32_PTB_GPA		0x24000
#define P32_WIN			0x400000
#define P32_BIG			0x800000
#define P32_BIG_SIZE		0x400000
#define P32_RSVD_WIN		0xc00000
#define P32_RSVD_BIT		21
#define P32_XD_BIT		63
#define P32_CR0_PG		0x80000000
#define P32_EFER		0xc0000080
#define P32_EFER_NXE		0x800
/* PT[6]: a user page; the host sets the flag when CPUID offers SMEP */
#define P32_USER_PTE		6
#define P32_SMEP_FLAG		(SCRATCH_GPA + 0x8000)
/* the value in each 4 KiB page of slot 1 at P32_BIG */
#define P32_BIG_MARK(off)	(0x7000 + ((off) >> 12))

#define PG_MARK_A		0x11111111
#define PG_MARK_B		0x22222222
#define PG_MARK_C		0x33333333
#define PG_MARK_W		0x44444444
#define PG_MARK_W2		0x55555555
#define PG_MMIO_VALUE		0x66666666

#define PG_P			0x1
#define PG_RW			0x2
#define PG_A			0x20
#define PG_D			0x40
#define PG_PS			0x80
#define PG_CR0_WP		0x10000

#endif /* VTX_PAGING_H */
