/* SPDX-License-Identifier: GPL-2.0 */
/* What umip_guest.S and umip_test.c agree on */
#ifndef VTX_VCPU_UMIP_H
#define VTX_VCPU_UMIP_H

#include "vcpu.h"

/* The GDT of vtx_setup_mode(), grown by the host: */
#define SEL_UCODE64		0x23		/* 4: 64-bit code, DPL 3 */
#define SEL_UDATA		0x2b		/* 5: data, DPL 3 */
#define SEL_TSS			0x30		/* 6-7: 64-bit TSS */
#define SEL_LDT			0x40		/* 8-9: LDT */
#define UMIP_GDT_ENTRIES	10
#define UMIP_GDT_LIMIT2		0x7f		/* what the guest's LGDT loads */

#define UMIP_OUT_GPA		SCRATCH_GPA	/* what the guest stored */
#define OUT_SGDT		0		/* SGDT before CR4.UMIP */
#define OUT_SIDT		16
#define OUT_SGDT2		32		/* after LGDT, CR4.UMIP set */
#define OUT_SIDT2		48
#define OUT_SLDT		64		/* SLDT to memory */
#define OUT_LGDT_SRC		72		/* host-written LGDT operand */
#define OUT_LLDT_SRC		88		/* host-written LLDT operand */
#define OUT_USER		96		/* CPL 3 stores (must not land) */
#define OUT_ARCH_CAPS		112		/* RDMSR IA32_ARCH_CAPABILITIES */
#define OUT_TSC_ADJ		120		/* RDMSR IA32_TSC_ADJUST */
#define UMIP_TSS_GPA		(SCRATCH_GPA + 0x1000)
#define UMIP_TSS_LIMIT		0x67
#define UMIP_LDT_GPA		(SCRATCH_GPA + 0x2000)
#define UMIP_LDT_LIMIT		0xf
#define UMIP_RSP0		(STACKS_GPA + 2 * STACK_SIZE)
#define UMIP_USER_RSP		(STACKS_GPA + 3 * STACK_SIZE)
#define UMIP_USER_RFLAGS	0x3002		/* IOPL 3 (ucall), IF 0 */
#define UMIP_TSC_ADJ		0x10000000000	/* 2^40 */

#define CR4_UMIP_BIT		(1 << 11)
#define PLAT_INFO_CPUID_FAULT	0x80000000

#endif
