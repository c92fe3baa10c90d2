/* SPDX-License-Identifier: GPL-2.0 */
/* What msr_exit_guest.S and msr_exit_test.c agree on */
#ifndef VTX_VCPU_MSR_EXIT_H
#define VTX_VCPU_MSR_EXIT_H

/* The guest stores what it read here, u64 each */
#define MX_OUT_GPA		(SCRATCH_GPA + 0x1000)

/* What the guest writes to MSR_BOGUS: userspace sees it in kvm_run.msr */
#define MX_WR_HI		0xaabbccdd
#define MX_WR_LO		0x00112233
/* The guest's FS base, written in the kernel through the bitmap */
#define MX_FS_VAL		(SCRATCH_GPA + 0x100)

/* MONITOR/MWAIT: the address monitored */
#define MX_MONITOR_GPA		(SCRATCH_GPA + 0x2000)

#endif
