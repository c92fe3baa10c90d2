// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM paravirtual interface (Documentation/virt/kvm/x86/cpuid.rst,
 * msr.rst) and CPUID as the guest sees it: the signature and feature
 * leaves of KVM_GET_SUPPORTED_CPUID, KVM_GET_CPUID2 with the bits KVM
 * rewrites at run time, kvmclock read by the guest against KVM_GET_CLOCK
 * (as Linux 6.1's kvm_clock_test does), the wall clock, steal time from
 * the scheduler's run_delay (as steal_time does), and
 * KVM_CAP_ENFORCE_PV_FEATURE_CPUID (as kvm_pv_test does).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <asm/kvm_para.h>

#include "vcpu_test.h"
#include "pv.h"

extern const uint8_t pvclock_guest[], pvclock_guest_end[];
extern const uint8_t step_guest[], step_guest_end[];

#define NSEC_PER_SEC		1000000000ull
#define ECX_XSAVE		(1u << 26)
#define ECX_OSXSAVE		(1u << 27)
#define CR4_OSXSAVE_BIT		(1ull << 18)
/* XCR0 = x87 | SSE: the legacy area and the XSAVE header */
#define XSAVE_LEGACY_HDR	576

struct pvclock_wall {
	uint32_t version;
	uint32_t sec;
	uint32_t nsec;
};

/* The leaf KVM describes itself in, and its features, as KVM offers them */
TEST(supported_kvm_leaves)
{
	struct kvm_cpuid_entry2 *sig = cpuid_find(supported_cpuid(),
						  KVM_CPUID_SIGNATURE, 0);
	struct kvm_cpuid_entry2 *feat = cpuid_find(supported_cpuid(),
						   KVM_CPUID_FEATURES, 0);
	char name[13] = { 0 };
	int fd = vtx_open_device();

	EXPECT_EQ(1, vtx_check_extension(fd, KVM_CAP_ENFORCE_PV_FEATURE_CPUID));
	close(fd);
	ASSERT_NE(NULL, sig) TH_LOG("no leaf 40000000H");
	memcpy(name, &sig->ebx, 4);
	memcpy(name + 4, &sig->ecx, 4);
	memcpy(name + 8, &sig->edx, 4);
	EXPECT_EQ(0, memcmp(name, "KVMKVMKVM\0\0\0", 12))
		TH_LOG("signature '%s'", name);
	EXPECT_EQ(KVM_CPUID_FEATURES, sig->eax);
	ASSERT_NE(NULL, feat) TH_LOG("no leaf 40000001H");
	TH_LOG("%s: leaf 40000001H EAX %#x", DRIVER, feat->eax);
	/* what Linux's kvmclock and these tests need */
	EXPECT_NE(0, feat->eax & (1u << KVM_FEATURE_CLOCKSOURCE2));
	EXPECT_NE(0, feat->eax & (1u << KVM_FEATURE_STEAL_TIME));
}

/*
 * KVM_GET_CPUID2 gives the table as the guest sees it: OSXSAVE follows
 * CR4, leaf 0DH's EBX the current XCR0; a table read back so is accepted
 * again after KVM_RUN.
 */
TEST(get_cpuid2_runtime_bits)
{
	struct kvm_cpuid2 *set = guest_cpuid_copy(), *get;
	struct kvm_cpuid_entry2 *e;
	struct kvm_xcrs xcrs = { .nr_xcrs = 1 };
	struct kvm_sregs sregs;
	struct vtx_vcpu *vcpu;

	if (!cpu_has(1, CPUID_ECX, 26))
		SKIP(return, "no XSAVE in the supported CPUID");
	get = cpuid_alloc(set->nent);
	vcpu = vtx_create_guest(VTX_MODE_LONG64, step_guest, step_guest_end);
	guest_enable_if(vcpu);
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_SET_CPUID2, set));
	RUN_UCALL(vcpu, UCALL_STEP, &(struct vtx_ucall){ 0 });

	vtx_get_sregs(vcpu, &sregs);
	sregs.cr4 |= CR4_OSXSAVE_BIT;
	vtx_set_sregs(vcpu, &sregs);
	xcrs.xcrs[0].xcr = 0;
	xcrs.xcrs[0].value = 3;
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_SET_XCRS, &xcrs));
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_GET_CPUID2, get));
	e = cpuid_find(get, 1, 0);
	ASSERT_NE(NULL, e);
	EXPECT_NE(0, e->ecx & ECX_OSXSAVE) TH_LOG("leaf 1 ECX %#x", e->ecx);
	EXPECT_NE(0, e->ecx & ECX_XSAVE);
	e = cpuid_find(get, 0xd, 0);
	if (e)
		EXPECT_EQ(XSAVE_LEGACY_HDR, e->ebx)
			TH_LOG("leaf 0DH EBX for XCR0 = 3");
	/* the table as read back is the vCPU's: accepted after KVM_RUN */
	EXPECT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_SET_CPUID2, get));
	/* and so is the one set first, which differs in those bits only */
	EXPECT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_SET_CPUID2, set));
	/* a real change is not */
	e = cpuid_find(set, 1, 0);
	e->ecx ^= ECX_XSAVE;
	EXPECT_EQ(-EINVAL, __vtx_ioctl(vcpu->fd, KVM_SET_CPUID2, set));

	sregs.cr4 &= ~CR4_OSXSAVE_BIT;
	vtx_set_sregs(vcpu, &sregs);
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_GET_CPUID2, get));
	e = cpuid_find(get, 1, 0);
	EXPECT_EQ(0, e->ecx & ECX_OSXSAVE) TH_LOG("leaf 1 ECX %#x", e->ecx);
	free(set);
	free(get);
}

static void get_clock(struct vtx_vcpu *vcpu, struct kvm_clock_data *d)
{
	memset(d, 0, sizeof(*d));
	vtx_ioctl(vcpu->vm->fd, KVM_GET_CLOCK, d);
}

/*
 * The guest's kvmclock (MSR_KVM_SYSTEM_TIME_NEW) lies between
 * KVM_GET_CLOCK before and after the run that read it, after
 * KVM_SET_CLOCK moved the clock; the wall clock is the host's
 * CLOCK_REALTIME at kvmclock 0.
 */
TEST(kvmclock_guest)
{
	static const uint64_t bases[] = { 0, 180 * NSEC_PER_SEC,
					  5 * NSEC_PER_SEC };
	struct kvm_clock_data start, end, set;
	struct pvclock_wall *wc;
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	struct timespec ts;
	uint64_t boot, real;
	uint32_t *version;
	unsigned int i;

	vcpu = vtx_create_guest(VTX_MODE_LONG64, pvclock_guest,
				pvclock_guest_end);
	vcpu_set_supported_cpuid(vcpu);
	guest_enable_if(vcpu);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);

	wc = vtx_gpa2hva(vcpu->vm, WALL_GPA);
	EXPECT_EQ(WALL_GPA, vcpu_get_msr(vcpu, PV_MSR_WALL_CLOCK_NEW));
	EXPECT_EQ(0, wc->version & 1);
	EXPECT_NE(0, wc->version);
	get_clock(vcpu, &start);
	clock_gettime(CLOCK_REALTIME, &ts);
	real = ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
	boot = wc->sec * NSEC_PER_SEC + wc->nsec;
	TH_LOG("%s: wall clock at kvmclock 0: %u.%09u, now %llu ns later",
	       DRIVER, wc->sec, wc->nsec, (unsigned long long)start.clock);
	/* within 2 s (the guest wrote it a run ago) */
	EXPECT_LT(llabs((long long)(boot + start.clock - real)),
		  2 * (long long)NSEC_PER_SEC);

	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		memset(&set, 0, sizeof(set));
		set.clock = bases[i];
		vtx_ioctl(vcpu->vm->fd, KVM_SET_CLOCK, &set);
		get_clock(vcpu, &start);
		RUN_UCALL(vcpu, UCALL_REPORT, &uc);
		get_clock(vcpu, &end);
		TH_LOG("%s: set %llu: [%llu, %llu], guest %llu", DRIVER,
		       (unsigned long long)bases[i],
		       (unsigned long long)start.clock,
		       (unsigned long long)end.clock,
		       (unsigned long long)uc.regs.rbx);
		EXPECT_LE(start.clock, uc.regs.rbx);
		EXPECT_GE(end.clock, uc.regs.rbx);
	}
	EXPECT_EQ(PVTI_GPA | 1, vcpu_get_msr(vcpu, PV_MSR_SYSTEM_TIME_NEW));
	version = vtx_gpa2hva(vcpu->vm, PVTI_GPA);
	EXPECT_EQ(0, *version & 1);
}

/* The scheduler's run_delay of this thread, ns (/proc schedstat) */
static long long run_delay(void)
{
	long long run, delay = -1;
	FILE *f = fopen("/proc/thread-self/schedstat", "r");

	if (f) {
		if (fscanf(f, "%lld %lld", &run, &delay) != 2)
			delay = -1;
		fclose(f);
	}
	return delay;
}

static void *spin(void *arg)
{
	double until = now_sec() + 0.05;

	(void)arg;
	while (now_sec() < until)
		;
	return NULL;
}

/*
 * Steal time (MSR_KVM_STEAL_TIME): reserved bits refused; each KVM_RUN
 * brings the structure up to date (version even and higher, preempted 0),
 * with no more steal than the thread's run_delay, and at least the
 * run_delay a competing thread caused in between.
 */
TEST(steal_time)
{
	struct kvm_steal_time *st;
	uint32_t index = MSR_KVM_STEAL_TIME, v1;
	long long d0, d1, s1;
	double give_up;
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	pthread_t thread;
	uint64_t data;

	if (run_delay() < 0)
		SKIP(return, "no /proc/thread-self/schedstat");
	ASSERT_EQ(0, pin_to_cpu(0));
	vcpu = vtx_create_guest(VTX_MODE_LONG64, step_guest, step_guest_end);
	vcpu_set_supported_cpuid(vcpu);
	guest_enable_if(vcpu);
	st = vtx_gpa2hva(vcpu->vm, STEAL_GPA);

	data = STEAL_GPA | KVM_STEAL_RESERVED_MASK;
	EXPECT_EQ(0, msrs_io(vcpu->fd, KVM_SET_MSRS, 1, &index, &data));
	data = STEAL_GPA | KVM_MSR_ENABLED;
	ASSERT_EQ(1, msrs_io(vcpu->fd, KVM_SET_MSRS, 1, &index, &data));
	EXPECT_EQ(data, vcpu_get_msr(vcpu, MSR_KVM_STEAL_TIME));

	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	memset(st, 0, sizeof(*st));
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	d0 = run_delay();
	v1 = st->version;
	s1 = st->steal;
	EXPECT_EQ(0, v1 & 1);
	EXPECT_NE(0, v1);
	EXPECT_EQ(0, st->preempted);
	EXPECT_EQ(0, st->flags);
	EXPECT_LE(s1, d0);

	/* a thread on this CPU takes it from the vCPU's thread */
	ASSERT_EQ(0, pthread_create(&thread, NULL, spin, NULL));
	give_up = now_sec() + 2;
	do
		sched_yield();
	while (run_delay() - d0 < 10000000 && now_sec() < give_up);
	pthread_join(thread, NULL);
	d1 = run_delay() - d0;
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	TH_LOG("%s: run_delay grew %lld ns, steal %lld ns", DRIVER, d1,
	       (long long)st->steal - s1);
	EXPECT_GT(d1, 0);
	EXPECT_GE((long long)st->steal - s1, d1);
	EXPECT_LT(v1, st->version);
	EXPECT_EQ(0, st->version & 1);
}

/*
 * KVM_CAP_ENFORCE_PV_FEATURE_CPUID: with it, an MSR whose feature the
 * vCPU's leaf 40000001H lacks is refused, to userspace too (as KVM).
 */
TEST(enforce_pv_feature_cpuid)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_ENFORCE_PV_FEATURE_CPUID, .args = { 1 },
	};
	uint32_t index[] = { PV_MSR_SYSTEM_TIME_NEW, MSR_KVM_STEAL_TIME,
			     PV_MSR_WALL_CLOCK_NEW };
	uint64_t data[3] = { 0 };
	struct kvm_cpuid2 *c = guest_cpuid_copy();
	struct kvm_cpuid_entry2 *e;
	struct vtx_vcpu *vcpu;

	vcpu = vtx_create_guest(VTX_MODE_LONG64, step_guest, step_guest_end);
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_SET_CPUID2, c));
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_ENABLE_CAP, &cap));
	/* the features are in the table: allowed */
	EXPECT_EQ(3, msrs_io(vcpu->fd, KVM_SET_MSRS, 3, index, data));
	EXPECT_EQ(3, msrs_io(vcpu->fd, KVM_GET_MSRS, 3, index, data));

	e = cpuid_find(c, KVM_CPUID_FEATURES, 0);
	ASSERT_NE(NULL, e);
	e->eax = 0;
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_SET_CPUID2, c));
	EXPECT_EQ(0, msrs_io(vcpu->fd, KVM_SET_MSRS, 1, index, data));
	EXPECT_EQ(0, msrs_io(vcpu->fd, KVM_GET_MSRS, 1, index, data));
	EXPECT_EQ(0, msrs_io(vcpu->fd, KVM_SET_MSRS, 1, index + 1, data));
	EXPECT_EQ(0, msrs_io(vcpu->fd, KVM_GET_MSRS, 1, index + 2, data));

	/* off again: the MSRs regardless of CPUID, as KVM */
	cap.args[0] = 0;
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_ENABLE_CAP, &cap));
	EXPECT_EQ(3, msrs_io(vcpu->fd, KVM_SET_MSRS, 3, index, data));
	/* flags must be 0 */
	cap.flags = 1;
	EXPECT_EQ(-EINVAL, __vtx_ioctl(vcpu->fd, KVM_ENABLE_CAP, &cap));
	free(c);
}

VTX_TEST_MAIN
