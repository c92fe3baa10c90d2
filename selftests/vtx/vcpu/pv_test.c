// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM paravirtual interface (Documentation/virt/kvm/x86/cpuid.rst,
 * msr.rst) and CPUID as the guest sees it: the signature and feature
 * leaves of KVM_GET_SUPPORTED_CPUID, KVM_GET_CPUID2 with the bits KVM
 * rewrites at run time, kvmclock read by the guest against KVM_GET_CLOCK
 * (as Linux 6.1's kvm_clock_test does), the wall clock, steal time from
 * the scheduler's run_delay (as steal_time does), and
 * KVM_CAP_ENFORCE_PV_FEATURE_CPUID (as kvm_pv_test does); the PV
 * hypercalls KVM_HC_KICK_CPU, KVM_HC_SEND_IPI and KVM_HC_SCHED_YIELD with
 * the in-kernel local APIC (split irqchip), and steal time's "preempted"
 * byte (PV_TLB_FLUSH).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <asm/kvm_para.h>
#include <linux/kvm_para.h>

#include "vcpu_test.h"
#include "pv.h"

extern const uint8_t pvclock_guest[], pvclock_guest_end[];
extern const uint8_t step_guest[], step_guest_end[];
extern const uint8_t pv_spin_guest[], pv_spin_guest_end[];
extern const uint8_t pv_kick_guest[], pv_kick_guest_end[];
extern const uint8_t pv_ipi_guest[], pv_ipi_guest_end[], pv_ipi_stubs[];
extern const uint8_t pv_hc_guest[], pv_hc_guest_end[];

/* The guests' numbers are the kernel's */
_Static_assert(PV_HC_KICK_CPU == KVM_HC_KICK_CPU, "KVM_HC_KICK_CPU");
_Static_assert(PV_HC_SEND_IPI == KVM_HC_SEND_IPI, "KVM_HC_SEND_IPI");
_Static_assert(PV_HC_SCHED_YIELD == KVM_HC_SCHED_YIELD, "KVM_HC_SCHED_YIELD");

#define NSEC_PER_SEC		1000000000ull
#define ECX_XSAVE		(1u << 26)
#define ECX_OSXSAVE		(1u << 27)
#define CR4_OSXSAVE_BIT		(1ull << 18)
/* XCR0 = x87 | SSE: the legacy area and the XSAVE header */
#define XSAVE_LEGACY_HDR	576
/* the PV features of the hypercalls and of steal time's "preempted" */
#define PV_HC_FEATURES		((1u << KVM_FEATURE_PV_UNHALT) |	\
				 (1u << KVM_FEATURE_PV_TLB_FLUSH) |	\
				 (1u << KVM_FEATURE_PV_SEND_IPI) |	\
				 (1u << KVM_FEATURE_PV_SCHED_YIELD))
#define CPUID1_X2APIC		(1u << 21)
#define SPLIT_PINS		24	/* KVM_CAP_SPLIT_IRQCHIP's, as QEMU's */
#define HC_ENOSYS		(-1000ll)	/* -KVM_ENOSYS */
#define HC_EINVAL		(-22ll)		/* -KVM_EINVAL */
/* a vCPU thread that got nothing this long is stopped (a failure) */
#define WAIT_SEC		10

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

/* What KVM offers in leaf 40000001H for the PV hypercalls (KVM 6.1) */
TEST(supported_pv_hypercall_features)
{
	struct kvm_cpuid_entry2 *feat = cpuid_find(supported_cpuid(),
						   KVM_CPUID_FEATURES, 0);

	ASSERT_NE(NULL, feat) TH_LOG("no leaf 40000001H");
	TH_LOG("%s: leaf 40000001H EAX %#x", DRIVER, feat->eax);
	EXPECT_EQ(PV_HC_FEATURES, feat->eax & PV_HC_FEATURES);
}

/* A VM with a split irqchip (the in-kernel local APIC) and RAM */
static struct vtx_vm *pv_split_vm(void)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_SPLIT_IRQCHIP, .args = { SPLIT_PINS },
	};
	struct vtx_vm *vm = vtx_vm_create_default();

	vtx_ioctl(vm->fd, KVM_ENABLE_CAP, &cap);
	return vm;
}

/*
 * vCPU @id of @vm in long mode at VTX_CODE_GPA, RDI = @id, its own
 * stack, the supported CPUID with x2APIC, leaf 40000001H EAX ANDed with
 * @pv_mask, runnable at once (no INIT/SIPI), IF as @irq_on says.
 */
static struct vtx_vcpu *pv_vcpu(struct vtx_vm *vm, unsigned int id,
				const uint8_t *start, const uint8_t *stubs,
				uint32_t pv_mask, bool irq_on)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct kvm_cpuid2 *cpuid = guest_cpuid_copy();
	struct kvm_cpuid_entry2 *e = cpuid_find(cpuid, 1, 0);
	struct vtx_vcpu *vcpu;

	if (e)
		e->ecx |= CPUID1_X2APIC;
	e = cpuid_find(cpuid, KVM_CPUID_FEATURES, 0);
	if (e)
		e->eax &= pv_mask;
	vcpu = long_vcpu_add(vm, id, start, stubs, cpuid, irq_on);
	free(cpuid);
	vtx_ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp);
	return vcpu;
}

/* Run to the next REPORT and return its RBX (asserting). */
static int64_t run_report(struct __test_metadata *_metadata,
			  struct vtx_vcpu *vcpu)
{
	struct vtx_ucall uc;

	vtx_run(vcpu);
	if (vtx_get_ucall(vcpu, &uc) != UCALL_REPORT) {
		TH_LOG("expected a REPORT: %s", describe_exit(vcpu));
		return INT64_MIN;
	}
	return (int64_t)uc.regs.rbx;
}

/*
 * KVM_HC_KICK_CPU, KVM_HC_SEND_IPI and KVM_HC_SCHED_YIELD answer 0 (no
 * destination: a count of 0) with enforcement off, even though the
 * vCPU's leaf 40000001H lacks their features; with
 * KVM_CAP_ENFORCE_PV_FEATURE_CPUID on, -KVM_ENOSYS, as KVM.
 */
TEST(pv_hypercalls_enforced)
{
	static const char *const hc_names[] = {
		"KVM_HC_KICK_CPU", "KVM_HC_SEND_IPI", "KVM_HC_SCHED_YIELD",
	};
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_ENFORCE_PV_FEATURE_CPUID, .args = { 1 },
	};
	struct vtx_vm *vm = pv_split_vm();
	struct vtx_vcpu *vcpu;
	int i;

	vtx_load_code(vm, VTX_CODE_GPA, pv_hc_guest, pv_hc_guest_end);
	vcpu = pv_vcpu(vm, 0, pv_hc_guest, NULL, ~PV_HC_FEATURES, false);
	for (i = 0; i < 3; i++) {
		int64_t got = run_report(_metadata, vcpu);

		EXPECT_EQ(0, got) TH_LOG("%s: %s", DRIVER, hc_names[i]);
	}
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_ENABLE_CAP, &cap));
	for (i = 0; i < 3; i++) {
		int64_t got = run_report(_metadata, vcpu);

		EXPECT_EQ(HC_ENOSYS, got)
			TH_LOG("%s: %s, enforced", DRIVER, hc_names[i]);
	}
	vtx_vm_free(vm);
}

static void on_stop(int sig)
{
	(void)sig;
}

/* A vCPU on its own thread: runs until its ucall, or is stopped. */
struct pv_runner {
	struct vtx_vcpu *vcpu;
	pthread_t tid;
	uint32_t code;		/* the ucall that ends it, 0: interrupts */
	unsigned int want_ipi;	/* ... until these many PV_IPI_VEC */
	unsigned int want_nmi;	/* ... and these many NMIs */
	unsigned int ipis;
	unsigned int nmis;
	uint64_t rbx;
	int cpu;		/* pin to this CPU, -1: no */
	int r;			/* 0: done, else failed */
	char err[200];
	volatile int done;
};

static void *pv_runner_fn(void *arg)
{
	struct pv_runner *t = arg;
	struct vtx_ucall uc;
	uint32_t got;

	if (t->cpu >= 0)
		pin_to_cpu(t->cpu);
	t->r = -1;
	for (;;) {
		if (__vtx_run(t->vcpu)) {
			snprintf(t->err, sizeof(t->err),
				 "KVM_RUN: %s (stopped), IPIs %u, NMIs %u",
				 strerror(errno), t->ipis, t->nmis);
			break;
		}
		got = vtx_get_ucall(t->vcpu, &uc);
		if (got == UCALL_EXC && uc.regs.rbx == PV_IPI_VEC) {
			t->ipis++;
		} else if (got == UCALL_EXC && uc.regs.rbx == PV_NMI_VEC) {
			t->nmis++;
		} else if (t->code && got == t->code) {
			t->rbx = uc.regs.rbx;
			t->r = 0;
			break;
		} else {
			snprintf(t->err, sizeof(t->err), "unexpected: %s",
				 describe_exit(t->vcpu));
			break;
		}
		if (!t->code && t->ipis >= t->want_ipi &&
		    t->nmis >= t->want_nmi) {
			t->r = 0;
			break;
		}
	}
	t->done = 1;
	return NULL;
}

static void pv_runner_start(struct pv_runner *t)
{
	struct sigaction sa = { .sa_handler = on_stop };

	sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART: KVM_RUN ends */
	t->done = 0;
	VTX_ASSERT(!pthread_create(&t->tid, NULL, pv_runner_fn, t),
		   "pthread_create");
}

/* Wait up to @sec for the runner; stop it (a failure) after that. */
static void pv_runner_join(struct pv_runner *t, double sec)
{
	double give_up = now_sec() + sec;

	while (!t->done && now_sec() < give_up)
		usleep(10000);
	if (!t->done) {
		/* every KVM_RUN from now on returns EINTR at once */
		t->vcpu->run->immediate_exit = 1;
		pthread_kill(t->tid, SIGUSR1);
	}
	pthread_join(t->tid, NULL);
}

/*
 * KVM_HC_KICK_CPU wakes a vCPU halted (with IF = 0: nothing else could)
 * in the kernel; the kick answers 0.
 */
TEST(kick_cpu_wakes_halted)
{
	struct vtx_vm *vm = pv_split_vm();
	struct pv_runner t = { .code = UCALL_STEP, .cpu = -1 };
	struct vtx_vcpu *bsp;
	struct vtx_ucall uc;

	vtx_load_code(vm, VTX_CODE_GPA, pv_kick_guest, pv_kick_guest_end);
	bsp = pv_vcpu(vm, 0, pv_kick_guest, NULL, ~0u, true);
	t.vcpu = pv_vcpu(vm, 1, pv_kick_guest, NULL, ~0u, true);
	pv_runner_start(&t);
	RUN_UCALL(bsp, UCALL_STEP, &uc);
	/* vCPU 1 said it is ready: let it reach HLT and sleep */
	usleep(300000);
	EXPECT_FALSE(t.done) TH_LOG("vCPU 1 went on before the kick: %s",
				    t.err);
	EXPECT_EQ(0, run_report(_metadata, bsp)) TH_LOG("%s: kick", DRIVER);
	pv_runner_join(&t, WAIT_SEC);
	ASSERT_EQ(0, t.r) TH_LOG("%s: vCPU 1: %s", DRIVER, t.err);
	EXPECT_EQ(2, t.rbx);
	RUN_UCALL(bsp, UCALL_STEP, &uc);
	EXPECT_EQ(3, uc.regs.rbx);
	vtx_vm_free(vm);
}

/* What pv_ipi_guest's KVM_HC_SEND_IPI calls answer, in order */
static const struct {
	int64_t ret;
	const char *what;
} send_ipi_calls[] = {
	{ 2, "fixed to APIC IDs 1 and 2" },
	{ HC_EINVAL, "logical destination" },
	{ HC_EINVAL, "a shorthand" },
	{ 1, "NMI to APIC ID 2 (min 2)" },
	{ 0, "min 3: no APIC there" },
	{ 0, "min 0xffffffff" },
	{ 1, "fixed, level assert, to APIC ID 1" },
};

/*
 * KVM_HC_SEND_IPI from vCPU 0: fixed and NMI messages to the APIC IDs
 * the bitmaps select, the count delivered returned, bad arguments
 * refused; vCPU 1 takes two PV_IPI_VECs, vCPU 2 one and an NMI.
 */
TEST(send_ipi)
{
	struct vtx_vm *vm = pv_split_vm();
	struct pv_runner t[2] = {
		{ .want_ipi = 2, .cpu = -1 },
		{ .want_ipi = 1, .want_nmi = 1, .cpu = -1 },
	};
	struct vtx_vcpu *bsp;
	struct vtx_ucall uc;
	unsigned int i;

	vtx_load_code(vm, VTX_CODE_GPA, pv_ipi_guest, pv_ipi_guest_end);
	bsp = pv_vcpu(vm, 0, pv_ipi_guest, pv_ipi_stubs, ~0u, true);
	for (i = 0; i < 2; i++) {
		t[i].vcpu = pv_vcpu(vm, i + 1, pv_ipi_guest, pv_ipi_stubs,
				    ~0u, true);
		pv_runner_start(&t[i]);
	}
	for (i = 0; i < ARRAY_SIZE(send_ipi_calls); i++) {
		int64_t got = run_report(_metadata, bsp);

		EXPECT_EQ(send_ipi_calls[i].ret, got)
			TH_LOG("%s: call %u (%s)", DRIVER, i,
			       send_ipi_calls[i].what);
	}
	RUN_UCALL(bsp, UCALL_STEP, &uc);
	for (i = 0; i < 2; i++) {
		pv_runner_join(&t[i], WAIT_SEC);
		EXPECT_EQ(0, t[i].r) TH_LOG("%s: vCPU %u: %s", DRIVER, i + 1,
					    t[i].err);
		EXPECT_EQ(t[i].want_ipi, t[i].ipis);
		EXPECT_EQ(t[i].want_nmi, t[i].nmis);
	}
	vtx_vm_free(vm);
}

/*
 * Steal time's "preempted" byte: a vCPU whose thread is scheduled out
 * while runnable (here by this thread, on the same CPU) is shown
 * KVM_VCPU_PREEMPTED there; the KVM_VCPU_FLUSH_TLB another vCPU would add
 * (the cmpxchg of Linux's kvm_flush_tlb_multi()) is taken back, with
 * the byte, before the guest runs again.
 */
TEST(steal_time_preempted)
{
	struct pv_runner t = { .cpu = 0, .want_ipi = ~0u };
	uint32_t index = MSR_KVM_STEAL_TIME;
	volatile uint64_t *counter;
	struct kvm_steal_time *st;
	unsigned int seen = 0;
	uint64_t data, count0 = 0;
	bool flush_set = false, ran_after = false;
	uint8_t expect, after = 0xff;
	double give_up;

	if (run_delay() < 0)
		SKIP(return, "no /proc/thread-self/schedstat");
	ASSERT_EQ(0, pin_to_cpu(0));
	t.vcpu = vtx_create_guest(VTX_MODE_LONG64, pv_spin_guest,
				  pv_spin_guest_end);
	vcpu_set_supported_cpuid(t.vcpu);
	guest_enable_if(t.vcpu);
	st = vtx_gpa2hva(t.vcpu->vm, STEAL_GPA);
	counter = vtx_gpa2hva(t.vcpu->vm, PV_COUNTER_GPA);
	data = STEAL_GPA | KVM_MSR_ENABLED;
	ASSERT_EQ(1, msrs_io(t.vcpu->fd, KVM_SET_MSRS, 1, &index, &data));
	pv_runner_start(&t);

	/* this thread runs only while the vCPU's is scheduled out */
	give_up = now_sec() + WAIT_SEC;
	while (now_sec() < give_up && !t.done) {
		expect = KVM_VCPU_PREEMPTED;
		if (__atomic_load_n(&st->preempted, __ATOMIC_SEQ_CST) ==
		    KVM_VCPU_PREEMPTED) {
			seen++;
			if (!flush_set && __atomic_compare_exchange_n(
				    &st->preempted, &expect,
				    KVM_VCPU_PREEMPTED | KVM_VCPU_FLUSH_TLB,
				    false, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST)) {
				flush_set = true;
				count0 = *counter;
			}
		}
		if (flush_set && *counter != count0) {
			/* it ran since: the byte was exchanged before */
			after = __atomic_load_n(&st->preempted,
						__ATOMIC_SEQ_CST);
			ran_after = true;
			break;
		}
		sched_yield();
	}
	pv_runner_join(&t, 0);
	TH_LOG("%s: preempted seen %u times, after the flush request %#x",
	       DRIVER, seen, after);
	EXPECT_NE(0, seen) TH_LOG("never KVM_VCPU_PREEMPTED");
	EXPECT_TRUE(ran_after);
	EXPECT_EQ(0, after & KVM_VCPU_FLUSH_TLB);
	EXPECT_EQ(0, st->version & 1);
	vtx_vm_free(t.vcpu->vm);
}

VTX_TEST_MAIN
