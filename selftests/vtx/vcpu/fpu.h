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
/* fpu_pkru_guest: the XSAVE area it XRSTORs PKRU from (64-byte aligned) */
#define PKRU_AREA_GPA		(SCRATCH_GPA + 0x3000)
/* XCR0 values of the guests */
#define XCR0_FP_SSE		0x3
#define XCR0_FP_SSE_PKRU	0x203
#define XCR0_PKRU		0x200

/* fpu_preempt_guest: rounds of checking XMM registers in one KVM_RUN */
#define PREEMPT_LOOPS		8000000

#endif
