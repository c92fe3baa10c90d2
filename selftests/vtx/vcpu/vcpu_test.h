/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Harness glue of the "vcpu" suite: include this (once, from a test's .c
 * file) instead of vtx_test.h.
 */
#ifndef VTX_VCPU_TEST_H
#define VTX_VCPU_TEST_H

#include "vtx_test.h"
#include "util.h"

/* KVM_RUN, then assert the exit is ucall @code; @uc gets its registers. */
#define RUN_UCALL(vcpu, code, uc) do {					\
	vtx_run(vcpu);							\
	ASSERT_EQ((uint32_t)(code), vtx_get_ucall(vcpu, uc))		\
		TH_LOG("expected ucall %u, got: %s", (unsigned int)(code), \
		       describe_exit(vcpu));				\
} while (0)

/*
 * KVM_RUN, then assert the guest's handler reported exception @vec with
 * error code @err, at RIP @rip (skipped when ~0).
 */
#define RUN_EXC(vcpu, vec, err, rip, uc) do {				\
	RUN_UCALL(vcpu, UCALL_EXC, uc);					\
	EXPECT_EQ((uint64_t)(vec), (uc)->regs.rbx)			\
		TH_LOG("%s", describe_exit(vcpu));			\
	EXPECT_EQ((uint64_t)(err), (uc)->regs.rcx)			\
		TH_LOG("%s", describe_exit(vcpu));			\
	if ((uint64_t)(rip) != ~0ull)					\
		EXPECT_EQ((uint64_t)(rip), (uc)->regs.rdx)		\
			TH_LOG("%s", describe_exit(vcpu));		\
} while (0)

/* KVM_RUN, then assert a HLT exit. */
#define RUN_HLT(vcpu) do {						\
	vtx_run(vcpu);							\
	ASSERT_EQ(KVM_EXIT_HLT, (vcpu)->run->exit_reason)		\
		TH_LOG("expected HLT, got: %s", describe_exit(vcpu));	\
} while (0)

/* The driver, for documented differences: "kvm" or "vtx" */
#define DRIVER		driver()
#define IS_KVM		driver_is_kvm()

#endif /* VTX_VCPU_TEST_H */
