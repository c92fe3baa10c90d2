/* SPDX-License-Identifier: GPL-2.0 */
/* What smi_guest.S and smi_test.c agree on */
#ifndef VTX_VCPU_SMI_H
#define VTX_VCPU_SMI_H

#include "vcpu.h"

/*
 * SMRAM: 64 KiB at 16 MiB in memslot address space 1 only (slot 1 there:
 * the address space in bits 16 and up of the slot id), SMBASE at its start.
 */
#define SMRAM_GPA		0x1000000
#define SMRAM_SIZE		0x10000
#define SMRAM_SLOT		((1 << 16) | 1)
#define SMM_HANDLER_OFFSET	0x8000
#define SMM_MAP_OFFSET		0xfe00	/* the state-save map, 512 bytes */

#define SMI_STEP_HANDLER	100	/* the SMI handler's ucall step */
#define SMI_STEP_HANDLER_PM	101	/* ... smi_handler_pm's, in 32-bit code */
#define SMI_PM_SEL_CODE32	0x08
#define SMI_PM_SEL_DATA32	0x10
#define SMI_MAGIC64		0x1122334455667788
#define SMI_MAGIC32		0x55667788
#define SMI_CLOBBER		0xdeadbeef	/* ESI in the SMI handler */

#endif
