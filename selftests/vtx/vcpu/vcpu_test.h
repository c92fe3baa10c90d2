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

/*
 * run_until_ucall() asserted: ucall @code after the guest's reports of
 * interrupt @vec (RUN_ANY_IRQ: any); its RBX in @rbx (may be NULL).
 */
#define RUN_UNTIL_VEC(vcpu, code, vec, rbx) do {			\
	char err_[256];							\
	ASSERT_EQ(0, run_until_ucall(vcpu, code, vec, rbx, err_,	\
				     sizeof(err_)))			\
		TH_LOG("%s", err_);					\
} while (0)

/* UCALL_REPORT's value (interrupts gone through) is @want */
#define REPORT(vcpu, want, what) do {					\
	uint64_t v_;							\
	RUN_UNTIL_VEC(vcpu, UCALL_REPORT, RUN_ANY_IRQ, &v_);		\
	EXPECT_EQ((uint64_t)(want), v_) TH_LOG("%s", what);		\
} while (0)

/* The guest's UCALL_STEP @n (interrupts gone through) */
#define STEP(vcpu, n) do {						\
	uint64_t s_;							\
	RUN_UNTIL_VEC(vcpu, UCALL_STEP, RUN_ANY_IRQ, &s_);		\
	ASSERT_EQ((uint64_t)(n), s_);					\
} while (0)

/* The driver, for documented differences: "kvm" or "vtx" */
#define DRIVER		driver()
#define IS_KVM		driver_is_kvm()

#endif /* VTX_VCPU_TEST_H */
