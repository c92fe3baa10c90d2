/* SPDX-License-Identifier: GPL-2.0 */
/* What fpu_guest.S and fpu_test.c agree on */
#ifndef VTX_VCPU_FPU_H
#define VTX_VCPU_FPU_H

/* Values the guest loads: 16 registers of 32 bytes (YMM; XMM = low 16) */
#define FPU_IN_GPA		SCRATCH_GPA
/* Where the guest stores its registers, same layout */
#define FPU_OUT_GPA		(SCRATCH_GPA + 0x1000)
/* XSETBV list: u32 count, pad, then {lo, hi, xcr, expect_gp} each */
#define XSETBV_LIST_GPA		(SCRATCH_GPA + 0x2000)

/* fpu_preempt_guest: rounds of checking XMM registers in one KVM_RUN */
#define PREEMPT_LOOPS		8000000

#endif
