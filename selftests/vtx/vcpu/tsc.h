/* SPDX-License-Identifier: GPL-2.0 */
/* What tsc_guest.S and tsc_test.c agree on */
#ifndef VTX_VCPU_TSC_H
#define VTX_VCPU_TSC_H

#define TSC_LOOPS		1000		/* RDTSC in a row */
#define TSC_GUEST_HI		0x100		/* the guest writes 1 << 40 */
#define TSC_GUEST_VAL		(1ull << 40)
#define TSC_HOST_VAL		(1ull << 44)	/* KVM_SET_MSRS writes this */
#define TSC_AUX_GUEST		0x77

#endif
