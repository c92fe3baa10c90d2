/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the guests (*_guest.S) and the hosts (*_test.c) of the "vcpu" suite
 * agree on: the guest-physical layout beyond the library's, the guest's
 * own IDT and its exception record, and the ucall codes the suite adds.
 * Plain numbers, so that guest assembly can use them.
 */
#ifndef VTX_VCPU_H
#define VTX_VCPU_H

#include "vtx.h"
#include "msr-numbers.h"	/* MSR_*: generated from the kernel's msr-index.h */

/*
 * Layout of slot 0 ([0, 2 MiB), vtx_vm_create_default()).  The library
 * uses [0x1000, 0x5000) for the GDT and page tables, the stack below
 * 0x8000, the code at [0x8000, 0xc000) and [0xc000, 0x10000) for data.
 */
#define IDT_GPA			0x10000		/* the guest's IDT */
#define IDT_VECTORS		64		/* vectors 0..63 have a gate */
#define EXC_GPA			0x11000		/* exception record */
#define EXC_COUNT_GPA		EXC_GPA		/* u32 [IDT_VECTORS]: deliveries */
#define EXC_RESUME_GPA		(EXC_GPA + 0x100)	/* u64, see below */
#define PD32_GPA		0x12000		/* 32-bit page directory */
#define SCRATCH_GPA		0x20000		/* test data, 64 KiB */
#define SCRATCH_SIZE		0x10000
#define STACKS_GPA		0x30000		/* per-vCPU stacks, 4 KiB each */
#define STACK_SIZE		0x1000
#define HIGH_GPA		0x100000	/* data at 1 MiB, up to 2 MiB */

/*
 * What the exception handler does after it reported (EXC_RESUME_GPA):
 *   0                 halt forever (a fault nobody expected)
 *   EXC_RESUME_IRET   return to the interrupted instruction (interrupts,
 *                     traps); stays set
 *   any other value   return there instead, once (the guest sets it to
 *                     the label after an instruction that faults)
 */
#define EXC_RESUME_IRET		1

/*
 * ucall codes the suite adds to the library's (vtx.h): the guest's
 * exception handler reports every delivery with
 * RBX = vector, RCX = error code (0 if none), RDX = RIP/EIP of the frame,
 * RSI = CR2, RDI = RFLAGS of the frame.
 */
#define UCALL_EXC		0x10

/* Exceptions that push an error code */
#define EXC_HAS_ERROR(v)	((v) == 8 || (v) == 10 || (v) == 11 || \
				 (v) == 12 || (v) == 13 || (v) == 14 || \
				 (v) == 17 || (v) == 21 || (v) == 29 || \
				 (v) == 30)

/* Vectors */
#define DE_VECTOR		0
#define BP_VECTOR		3
#define NMI_VEC			2
#define UD_VECTOR		6
#define GP_VECTOR		13
#define PF_VECTOR		14

/* Architectural bits the guests use */
#define CR0_MP			(1 << 1)
#define CR0_TS			(1 << 3)
#define CR0_WP			(1 << 16)
#define CR0_AM			(1 << 18)
#define RFLAGS_IF		(1ULL << 9)
#define CR4_DE			(1 << 3)
#define CR4_PSE			(1 << 4)
#define CR4_PAE			(1 << 5)
#define CR4_PGE			(1 << 7)
#define CR4_OSFXSR		(1 << 9)
#define CR4_OSXMMEXCPT		(1 << 10)
#define CR4_VMXE		(1 << 13)
#define CR4_FSGSBASE		(1 << 16)
#define CR4_OSXSAVE		(1 << 18)
#define CR4_SMEP		(1 << 20)

#define MSR_BOGUS		0x12345678	/* no such MSR */

#endif /* VTX_VCPU_H */
