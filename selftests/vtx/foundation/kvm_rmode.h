/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvm_intel without unrestricted guest (its ept=0, make check-shadow)
 * keeps guest state VM entry would refuse away from the processor: it
 * checks segments itself and emulates the guest while they are invalid
 * (emulate_invalid_guest_state), and runs real mode in virtual-8086 mode
 * with CR4.VME and a TSS whose interrupt redirection bitmap is all zeros
 * (arch/x86/kvm/vmx/vmx.c, init_rmode_tss()), so the processor vectors a
 * real-mode INT n through the IVT at linear 0 whatever IDTR.limit says.
 * A few foundation tests assert what the processor does there; on such a
 * kvm_intel they skip, saying why.
 */
#ifndef FOUNDATION_KVM_RMODE_H
#define FOUNDATION_KVM_RMODE_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* Is @dev_fd kvm_intel's device (kvm's misc device) running without
 * unrestricted guest? */
static inline bool kvm_without_unrestricted_guest(int dev_fd)
{
	unsigned int maj, min;
	struct stat st;
	FILE *f;
	int c = 'Y';

	f = fopen("/sys/class/misc/kvm/dev", "r");
	if (!f)
		return false;
	if (fscanf(f, "%u:%u", &maj, &min) != 2 || fstat(dev_fd, &st) ||
	    st.st_rdev != makedev(maj, min)) {
		fclose(f);
		return false;
	}
	fclose(f);
	f = fopen("/sys/module/kvm_intel/parameters/unrestricted_guest", "r");
	if (!f)
		return false;
	c = fgetc(f);
	fclose(f);
	return c == 'N' || c == '0';
}

#endif /* FOUNDATION_KVM_RMODE_H */
