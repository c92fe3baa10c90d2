/* SPDX-License-Identifier: GPL-2.0 */
/* What ctlregs_guest.S and ctlregs_test.c agree on */
#ifndef VTX_VCPU_CTLREGS_H
#define VTX_VCPU_CTLREGS_H

#define CR_LOOPS		1000		/* MOV to CR3 + INVLPG rounds */
#define CR3_ALT_GPA		0x13000		/* a copy of the PML4 */
#define DR_OUT_GPA		SCRATCH_GPA	/* DR0-3, DR6, DR7 as read */
#define CR0_CD_NW		0x60000000
#define CR0_RSVD6		(1 << 6)	/* a reserved bit of CR0 */
#define CR0_ET			(1 << 4)
#define BP_VAR_GPA		(SCRATCH_GPA + 0x100)	/* watched bytes */
#define BP_SLOTS		256			/* ... 8 apart */
#define BP_DR7			0x10401		/* L0, R/W0 = write, LEN0 = 1 */
#define DB_VEC			1
#define DR6_B0			1

#endif
