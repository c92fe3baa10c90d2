/* SPDX-License-Identifier: GPL-2.0 */
/* What hypercall_guest.S and hypercall_test.c agree on */
#ifndef VTX_VCPU_HYPERCALL_H
#define VTX_VCPU_HYPERCALL_H

/* u32 count at SCRATCH_GPA, then at HC_LIST_GPA {nr, a0, a1, a2, a3} u64 */
#define HC_LIST_GPA		(SCRATCH_GPA + 8)
#define HC_ENTRY_SIZE		40

#endif
