/* SPDX-License-Identifier: GPL-2.0 */
/* What cpuid_guest.S and cpuid_test.c agree on */
#ifndef VTX_VCPU_CPUID_H
#define VTX_VCPU_CPUID_H

#define CPUID_MAX_QUERIES	64
#define CPUID_OUT_GPA		(SCRATCH_GPA + 0x1000)

#endif
