// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's TSC: RDTSC does not exit and never goes backwards, WRMSR
 * IA32_TSC and KVM_SET_MSRS move it, KVM_GET_TSC_KHZ gives a rate, and
 * RDTSCP returns the TSC_AUX userspace or the guest set.
 */
#include <errno.h>

#include "vcpu_test.h"
#include "tsc.h"

extern const uint8_t tsc_guest[], tsc_guest_end[];
extern const uint8_t rdtscp_guest[], rdtscp_guest_end[];

/* RDTSC reads more than this after a write: something is wrong (Bochs
 * runs about 10^8 TSC cycles per second of its time) */
#define TSC_SLACK		(1ull << 32)

static uint64_t report(struct __test_metadata *_metadata,
		       struct vtx_vcpu *vcpu)
{
	struct vtx_ucall uc;

	vtx_run(vcpu);
	if (vtx_get_ucall(vcpu, &uc) != UCALL_REPORT) {
		TH_LOG("expected a report, got: %s", describe_exit(vcpu));
		return ~0ull;
	}
	return uc.regs.rbx;
}

TEST(guest_tsc)
{
	uint64_t before, after, t;
	int64_t e0, e1;
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;

	vcpu = vtx_create_guest(VTX_MODE_LONG64, tsc_guest, tsc_guest_end);
	vcpu_set_supported_cpuid(vcpu);
	guest_enable_if(vcpu);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	e0 = vtx_vcpu_exits(vcpu);

	/* monotonic, and no exit per RDTSC */
	EXPECT_EQ(0, report(_metadata, vcpu))
		TH_LOG("times RDTSC went backwards in %d reads", TSC_LOOPS);
	e1 = vtx_vcpu_exits(vcpu);
	if (e0 >= 0 && e1 >= 0) {
		TH_LOG("%s: %d RDTSC: %lld exits", DRIVER, TSC_LOOPS,
		       (long long)(e1 - e0));
		EXPECT_LT(e1 - e0, TSC_LOOPS / 10);
	} else {
		TH_LOG("%s gives no exit counts (%lld)", DRIVER,
		       (long long)e0);
	}

	/* across an exit it goes on from where it was */
	before = report(_metadata, vcpu);
	after = report(_metadata, vcpu);
	EXPECT_LT(before, after);
	/* a new vCPU's TSC starts near 0, on both drivers */
	EXPECT_LT(after, TSC_SLACK);

	/* the guest's WRMSR IA32_TSC */
	t = report(_metadata, vcpu);
	EXPECT_GE(t, TSC_GUEST_VAL);
	EXPECT_LT(t, TSC_GUEST_VAL + TSC_SLACK);
	t = vcpu_get_msr(vcpu, MSR_IA32_TSC);
	EXPECT_GE(t, TSC_GUEST_VAL);
	EXPECT_LT(t, TSC_GUEST_VAL + TSC_SLACK);

	/* userspace's KVM_SET_MSRS */
	vcpu_set_msr(vcpu, MSR_IA32_TSC, TSC_HOST_VAL);
	t = report(_metadata, vcpu);
	EXPECT_GE(t, TSC_HOST_VAL);
	EXPECT_LT(t, TSC_HOST_VAL + TSC_SLACK);
	RUN_HLT(vcpu);
}

TEST(get_tsc_khz)
{
	struct vtx_vm *vm = vtx_vm_create_default();
	struct vtx_vcpu *vcpu = vtx_vcpu_add(vm, 0);
	long khz;

	VTX_REQUIRE_CAP(vm->dev_fd, KVM_CAP_GET_TSC_KHZ);
	khz = __vtx_ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);
	TH_LOG("%s: guest TSC %ld kHz", DRIVER, khz);
	EXPECT_GT(khz, 0);
}

TEST(rdtscp_tsc_aux)
{
	struct vtx_vcpu *vcpu;

	if (!cpu_has(0x80000001, CPUID_EDX, 27))
		SKIP(return, "no RDTSCP in the supported CPUID");
	vcpu = vtx_create_guest(VTX_MODE_LONG64, rdtscp_guest,
				rdtscp_guest_end);
	/* KVM enables RDTSCP for the guest when its CPUID has it */
	vcpu_set_supported_cpuid(vcpu);
	EXPECT_EQ(0, vcpu_get_msr(vcpu, MSR_TSC_AUX));
	vcpu_set_msr(vcpu, MSR_TSC_AUX, 0x5a5a1234);
	EXPECT_EQ(0x5a5a1234, vcpu_get_msr(vcpu, MSR_TSC_AUX));
	EXPECT_EQ(0x5a5a1234, report(_metadata, vcpu));
	EXPECT_EQ(TSC_AUX_GUEST, report(_metadata, vcpu));
	EXPECT_EQ(TSC_AUX_GUEST, vcpu_get_msr(vcpu, MSR_TSC_AUX));
	RUN_HLT(vcpu);
}

VTX_TEST_MAIN
