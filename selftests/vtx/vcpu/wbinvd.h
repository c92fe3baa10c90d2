/* SPDX-License-Identifier: GPL-2.0 */
/* What wbinvd_guest.S and wbinvd_test.c agree on */
#ifndef VTX_VCPU_WBINVD_H
#define VTX_VCPU_WBINVD_H

#include "vcpu.h"

#define WBINVD_LOOPS		1000		/* WBINVD in a row at CPL 0 */

/* The GDT of vtx_setup_mode(), grown by the host: */
#define WB_SEL_UCODE64		0x23		/* 4: 64-bit code, DPL 3 */
#define WB_SEL_UDATA		0x2b		/* 5: data, DPL 3 */
#define WB_SEL_TSS		0x30		/* 6-7: 64-bit TSS */
#define WB_GDT_ENTRIES		8
#define WB_TSS_GPA		SCRATCH_GPA
#define WB_TSS_LIMIT		0x67
#define WB_RSP0			(STACKS_GPA + 2 * STACK_SIZE)
#define WB_USER_RSP		(STACKS_GPA + 3 * STACK_SIZE)
#define WB_USER_RFLAGS		0x3002		/* IOPL 3 (ucall), IF 0 */

#endif
