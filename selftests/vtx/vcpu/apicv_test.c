// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel local APIC as APIC virtualization (vtx's enable_apicv,
 * kvm_intel's) runs it, and as it runs without: the same results either
 * way, on vtx and on kvm_intel.  One guest, KVM_CREATE_IRQCHIP:
 *
 *   - xAPIC mode (the page at 0xfee00000: virtualized accesses): the
 *     version; CR8 = 3 (the TPR shadow) blocks a self-IPI of class 3,
 *     which stays in IRR (KVM_GET_LAPIC, KVM_GET_SREGS's CR8); KVM_SET_LAPIC
 *     changes TPR under the guest (read back through the page and CR8);
 *     CR8 = 0 lets it in; ISR while in service, clear after the EOI;
 *   - the timer's current count (not virtualized: emulated);
 *   - a level-triggered IOAPIC entry (virtual-interrupt delivery: the
 *     EOI-exit bitmap): remote IRR until the xAPIC EOI, which clears it;
 *     twice;
 *   - LOOP_N xAPIC TPR reads and writes (with APICv, no exit; set
 *     APICV_STATS to a command, e.g. vtxctl stats, run at that point);
 *   - x2APIC mode: SELF IPI, ISR and EOI through MSRs; a SELF IPI of an
 *     illegal vector (below 16) latches "send illegal vector" in ESR
 *     (with APICv an APIC-write exit; KVM sends it instead).
 *
 * An interrupt whose delivery exits (an EPT violation on the stack), after
 * an exception the VMM injected: the guest takes each once.
 *
 * And two vCPUs in xAPIC mode: a fixed IPI from one to the other, halted
 * in the kernel, its destination written to ICR_HI first (the processor
 * virtualizes that write without an exit).  And KVM_SIGNAL_MSI to a vCPU
 * out of the guest, in it, and halted.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vcpu_test.h"
#include "apicv.h"

extern const uint8_t apicv_guest[], apicv_guest_end[], apicv_guest_stubs[];
extern const uint8_t apicv_ipi_guest[], apicv_ipi_guest_end[],
	apicv_ipi_stubs[];
extern const uint8_t apicv_stale_guest[], apicv_stale_guest_end[],
	apicv_stale_stubs[];
extern const uint8_t apicv_msi_guest[], apicv_msi_guest_end[],
	apicv_msi_stubs[];
extern const uint8_t apicv_storm_guest[], apicv_storm_guest_end[],
	apicv_storm_stubs[];
extern const uint8_t apicv_ifoff_guest[], apicv_ifoff_guest_end[],
	apicv_ifoff_stubs[];

#define CPUID1_X2APIC		(1u << 21)
#define PTE_P			(1ull << 0)
#define PTE_RW			(1ull << 1)
#define PTE_PCD			(1ull << 4)
#define PTE_PS			(1ull << 7)
#define PAGE_2M			(1ull << 21)
#define LAPIC_REG(s, off)	(*(uint32_t *)&(s)->regs[off])
#define APIC_VERSION		0x14
#define VEC_BIT(v)		(1u << ((v) % 32))
#define CR8_SHIFT		4
#define MSI_ADDR		0xfee00000u	/* physical APIC ID 0 */
#define MSI_ADDR_DEST_SHIFT	12
#define MSI_WAIT_MS		20000	/* for the guest's READY_GPA */
#define MSI_HALT_US		50000	/* for the guest to halt */
/* How long the guest waits with IF = 0: dozens of the host's ticks */
#define IFOFF_HOLD_US		200000
#define IFOFF_REPORTS		4
/* Interrupts per source, and how long one may take to arrive */
#define STORM_N			250
#define STORM_WAIT_US		5000000
#define STORM_POLL_US		50
#define STORM_SOURCES		3

static void on_alarm(int sig)
{
}

/* PML4[0] -> PDPT[3] -> a PD with the IOAPIC's and APIC's 2 MiB pages. */
static void map_apics(struct vtx_vm *vm)
{
	uint64_t *pdpt = vtx_gpa2hva(vm, VTX_PDPT_GPA);
	uint64_t *pd = vtx_gpa2hva(vm, APICV_PD_GPA);
	uint64_t flags = PTE_P | PTE_RW | PTE_PS | PTE_PCD;

	memset(pd, 0, VTX_PAGE_SIZE);
	pd[IOAPIC_PD_INDEX] = (IOAPIC_GPA & ~(PAGE_2M - 1)) | flags;
	pd[APIC_PD_INDEX] = (APIC_GPA & ~(PAGE_2M - 1)) | flags;
	pdpt[APICV_PDPT_INDEX] = APICV_PD_GPA | PTE_P | PTE_RW;
}

static int32_t irq_line(struct vtx_vm *vm, uint32_t level)
{
	struct kvm_irq_level l = { .irq = IOAPIC_GSI, .level = level };

	if (__vtx_ioctl(vm->fd, KVM_IRQ_LINE_STATUS, &l))
		return INT32_MIN;
	return l.status;
}

TEST(apic_virtualization)
{
	struct vtx_vm *vm = vtx_vm_create_default();
	struct kvm_cpuid2 *cpuid = guest_cpuid_copy();
	struct kvm_cpuid_entry2 *e = cpuid_find(cpuid, 1, 0);
	struct kvm_lapic_state s;
	struct kvm_sregs sregs;
	struct vtx_vcpu *vcpu;
	struct kvm_regs regs;
	const char *stats;
	uint64_t count;

	ASSERT_EQ(0, __vtx_ioctl_raw(vm->fd, KVM_CREATE_IRQCHIP, 0))
		TH_LOG("KVM_CREATE_IRQCHIP: %s", strerror(errno));
	vtx_load_code(vm, VTX_CODE_GPA, apicv_guest, apicv_guest_end);
	vcpu = vtx_vcpu_add(vm, 0);
	vtx_setup_mode(vcpu, VTX_MODE_LONG64, VTX_CODE_GPA);
	if (e)
		e->ecx |= CPUID1_X2APIC;
	vtx_ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid);
	free(cpuid);
	guest_idt_setup(vcpu, VTX_MODE_LONG64,
			VTX_BLOB_GPA(apicv_guest, apicv_guest_stubs));
	vtx_get_regs(vcpu, &regs);
	regs.rsp = STACKS_GPA + STACK_SIZE;
	regs.rflags |= RFLAGS_IF;	/* interrupts are taken as they come */
	vtx_set_regs(vcpu, &regs);
	map_apics(vm);

	/* xAPIC: version, then the self-IPI TPR blocks */
	RUN_UNTIL_VEC(vcpu, UCALL_REPORT, RUN_ANY_IRQ, &count);
	EXPECT_EQ(APIC_VERSION, count & 0xff);
	REPORT(vcpu, TPR_BLOCK << CR8_SHIFT, "TPR after CR8 = 3");
	STEP(vcpu, 1);
	EXPECT_EQ(0, guest_exc_count(vcpu, SELF_VEC)) TH_LOG("taken");
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_GET_LAPIC, &s));
	EXPECT_EQ(TPR_BLOCK << CR8_SHIFT, LAPIC_REG(&s, APIC_TPR));
	EXPECT_EQ(VEC_BIT(SELF_VEC), LAPIC_REG(&s, APIC_IRR1))
		TH_LOG("the self-IPI waits in IRR");
	EXPECT_EQ(0, LAPIC_REG(&s, APIC_ISR1));
	vtx_get_sregs(vcpu, &sregs);
	EXPECT_EQ(TPR_BLOCK, sregs.cr8);
	/* KVM_SET_LAPIC under the guest: TPR changes, IRR stays */
	LAPIC_REG(&s, APIC_TPR) = TPR_SET;
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_SET_LAPIC, &s));
	REPORT(vcpu, TPR_SET, "TPR after KVM_SET_LAPIC");
	REPORT(vcpu, TPR_SET >> CR8_SHIFT, "CR8 after KVM_SET_LAPIC");
	REPORT(vcpu, VEC_BIT(SELF_VEC), "ISR while in service");
	REPORT(vcpu, 0, "ISR after the EOI");
	STEP(vcpu, 2);
	EXPECT_EQ(1, guest_exc_count(vcpu, SELF_VEC));

	/* the current count: below the initial one, not 0 */
	RUN_UNTIL_VEC(vcpu, UCALL_REPORT, RUN_ANY_IRQ, &count);
	EXPECT_LT(0, count);
	EXPECT_GE(TIMER_COUNT, count);

	/* the level-triggered IOAPIC entry, twice */
	STEP(vcpu, 3);
	EXPECT_EQ(1, irq_line(vm, 1));
	REPORT(vcpu, IOAPIC_VEC | RTE_LEVEL | RTE_REMOTE_IRR,
	       "entry while in service");
	STEP(vcpu, 4);
	EXPECT_EQ(1, irq_line(vm, 0));
	REPORT(vcpu, IOAPIC_VEC | RTE_LEVEL, "entry after the EOI");
	STEP(vcpu, 5);
	EXPECT_EQ(1, irq_line(vm, 1)) TH_LOG("remote IRR left set?");
	STEP(vcpu, 6);
	EXPECT_EQ(1, irq_line(vm, 0));
	REPORT(vcpu, IOAPIC_VEC | RTE_LEVEL, "entry after the second EOI");
	EXPECT_EQ(2, guest_exc_count(vcpu, IOAPIC_VEC));

	/* the loop of xAPIC accesses */
	STEP(vcpu, 7);
	stats = getenv("APICV_STATS");
	if (stats && !IS_KVM && system(stats))
		TH_LOG("APICV_STATS failed");

	/* x2APIC */
	REPORT(vcpu, VEC_BIT(X2SELF_VEC), "x2APIC ISR while in service");
	REPORT(vcpu, 0, "x2APIC ISR after the EOI");
	/*
	 * SDM: a fixed IPI of vector 0-15 is not sent, ESR says so.  KVM 6.1
	 * sends it and leaves ESR clear (it never sets ESR): ILLEGAL_VEC
	 * waits in IRR, never above PPR's class 0.  The reference's
	 * deviation, checked as such.
	 */
	RUN_UNTIL_VEC(vcpu, UCALL_REPORT, RUN_ANY_IRQ, &count);
	if (IS_KVM) {
		EXPECT_EQ(0, count) TH_LOG("kvm_intel's ESR");
	} else {
		EXPECT_EQ(ESR_SEND_ILLEGAL, count)
			TH_LOG("ESR after an x2APIC SELF IPI of vector %#x",
			       ILLEGAL_VEC);
	}
	STEP(vcpu, 8);
	EXPECT_EQ(0, guest_exc_count(vcpu, ILLEGAL_VEC));
	EXPECT_EQ(1, guest_exc_count(vcpu, X2SELF_VEC));
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_GET_LAPIC, &s));
	EXPECT_EQ(IS_KVM ? VEC_BIT(ILLEGAL_VEC) : 0, LAPIC_REG(&s, APIC_IRR0));
	EXPECT_EQ(0, LAPIC_REG(&s, APIC_ISR1));
	EXPECT_EQ(0, LAPIC_REG(&s, APIC_IRR1));
	vtx_vm_free(vm);
}

/*
 * An exit while the guest is delivering an interrupt (its stack's page
 * not mapped yet: an EPT violation) queues the interrupt again, after an
 * exception injected before; the guest takes one #GP and one SELF_VEC.
 * Pinned to one CPU: Bochs 2.7 reported the last event it recorded on
 * the CPU for the delivery of a virtual interrupt (the #GP).
 */
TEST(delivery_exit)
{
	struct vtx_vm *vm = vtx_vm_create_default();
	struct kvm_cpuid2 *cpuid = guest_cpuid_copy();
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	cpu_set_t cpus;
	uint32_t got;
	int i;

	CPU_ZERO(&cpus);
	CPU_SET(sched_getcpu(), &cpus);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpus), &cpus));
	ASSERT_EQ(0, __vtx_ioctl_raw(vm->fd, KVM_CREATE_IRQCHIP, 0))
		TH_LOG("KVM_CREATE_IRQCHIP: %s", strerror(errno));
	vtx_vm_add_mem(vm, 1, FRESH_GPA, FRESH_SIZE);
	vtx_load_code(vm, VTX_CODE_GPA, apicv_stale_guest,
		      apicv_stale_guest_end);
	vcpu = long_vcpu_add(vm, 0, apicv_stale_guest, apicv_stale_stubs,
			     cpuid, true);
	free(cpuid);
	map_apics(vm);
	for (i = 0; i < 10; i++) {
		vtx_run(vcpu);
		got = vtx_get_ucall(vcpu, &uc);
		if (got != UCALL_EXC)
			break;
	}
	ASSERT_EQ(UCALL_STEP, got) TH_LOG("%s", describe_exit(vcpu));
	EXPECT_EQ(1, guest_exc_count(vcpu, GP_VECTOR))
		TH_LOG("#GP taken again for the interrupt?");
	EXPECT_EQ(1, guest_exc_count(vcpu, SELF_VEC));
	vtx_vm_free(vm);
}

struct ipi_runner {
	struct vtx_vcpu *vcpu;
	uint64_t rbx;
	int r;
	char err[256];
};

/*
 * join_or_kill - wait up to RUN_UNTIL_TIMEOUT_S for a vCPU thread; one
 * still in KVM_RUN then gets SIGALRM (its handler does nothing: KVM_RUN
 * returns EINTR) and is joined.
 */
static void join_or_kill(pthread_t tid)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += RUN_UNTIL_TIMEOUT_S;
	if (pthread_timedjoin_np(tid, NULL, &until)) {
		pthread_kill(tid, SIGALRM);
		pthread_join(tid, NULL);
	}
}

static void *ipi_runner_fn(void *arg)
{
	struct ipi_runner *t = arg;

	t->r = run_until_ucall(t->vcpu, UCALL_STEP, RUN_ANY_IRQ, &t->rbx,
			       t->err, sizeof(t->err));
	return NULL;
}

/* The guest's report (the #GPs it took), then its last step */
static void *msi_runner_fn(void *arg)
{
	struct ipi_runner *t = arg;

	t->r = run_until_ucall(t->vcpu, UCALL_REPORT, RUN_ANY_IRQ, &t->rbx,
			       t->err, sizeof(t->err));
	if (!t->r)
		t->r = run_until_ucall(t->vcpu, UCALL_STEP, RUN_ANY_IRQ, NULL,
				       t->err, sizeof(t->err));
	return NULL;
}

/*
 * The destination of an xAPIC IPI is ICR_HI's: vCPU 0 sends IPI_VEC to
 * APIC ID 1, which waits for it halted in the kernel; vCPU 0 takes none.
 * Should vCPU 1 never get it, its KVM_RUN is interrupted after
 * RUN_UNTIL_TIMEOUT_S (a signal to its thread).
 */
TEST(xapic_ipi)
{
	struct vtx_vm *vm = vtx_vm_create_default();
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct kvm_cpuid2 *cpuid = guest_cpuid_copy();
	struct sigaction sa = { .sa_handler = on_alarm };
	struct ipi_runner t = {};
	struct vtx_vcpu *bsp;
	pthread_t tid;

	ASSERT_EQ(0, __vtx_ioctl_raw(vm->fd, KVM_CREATE_IRQCHIP, 0))
		TH_LOG("KVM_CREATE_IRQCHIP: %s", strerror(errno));
	vtx_load_code(vm, VTX_CODE_GPA, apicv_ipi_guest, apicv_ipi_guest_end);
	bsp = long_vcpu_add(vm, 0, apicv_ipi_guest, apicv_ipi_stubs, cpuid,
			    true);
	t.vcpu = long_vcpu_add(vm, 1, apicv_ipi_guest, apicv_ipi_stubs, cpuid,
			       true);
	free(cpuid);
	map_apics(vm);
	/* vCPU 1 runs at once, without INIT and SIPI */
	ASSERT_EQ(0, __vtx_ioctl(t.vcpu->fd, KVM_SET_MP_STATE, &mp));
	sigaction(SIGALRM, &sa, NULL);
	ASSERT_EQ(0, pthread_create(&tid, NULL, ipi_runner_fn, &t));
	REPORT(bsp, 0, "IPIs vCPU 0 took itself");
	STEP(bsp, 1);
	join_or_kill(tid);
	ASSERT_EQ(0, t.r) TH_LOG("vCPU 1: %s", t.err);
	EXPECT_EQ(2, t.rbx);
	EXPECT_EQ(1, guest_exc_count(t.vcpu, IPI_VEC));
	vtx_vm_free(vm);
}

/* KVM_SIGNAL_MSI of @vector, fixed, edge, to APIC ID 0: delivered */
static int send_msi_vec(struct vtx_vm *vm, uint8_t vector)
{
	struct kvm_msi msi = { .address_lo = MSI_ADDR, .data = vector };

	return __vtx_ioctl(vm->fd, KVM_SIGNAL_MSI, &msi);
}

static int send_msi(struct vtx_vm *vm)
{
	return send_msi_vec(vm, MSI_VEC);
}

/* Until the guest's READY_GPA says @stage (the guest writes it meanwhile) */
static bool wait_ready(struct vtx_vm *vm, uint32_t stage)
{
	uint32_t *ready = vtx_gpa2hva(vm, READY_GPA);
	int ms;

	for (ms = 0; ms < MSI_WAIT_MS; ms++) {
		if (__atomic_load_n(ready, __ATOMIC_ACQUIRE) == stage)
			return true;
		usleep(1000);
	}
	return false;
}

/*
 * KVM_SIGNAL_MSI to a vCPU out of the guest, running it, and halted in
 * the kernel: each MSI taken once, no exception (with APICv a vector
 * accepted from another thread goes in with the next entry's RVI).
 */
TEST(signal_msi)
{
	struct vtx_vm *vm = vtx_vm_create_default();
	struct kvm_cpuid2 *cpuid = guest_cpuid_copy();
	struct ipi_runner t = {};
	pthread_t tid;

	ASSERT_EQ(0, __vtx_ioctl_raw(vm->fd, KVM_CREATE_IRQCHIP, 0))
		TH_LOG("KVM_CREATE_IRQCHIP: %s", strerror(errno));
	vtx_load_code(vm, VTX_CODE_GPA, apicv_msi_guest, apicv_msi_guest_end);
	t.vcpu = long_vcpu_add(vm, 0, apicv_msi_guest, apicv_msi_stubs, cpuid,
			       true);
	free(cpuid);
	map_apics(vm);
	STEP(t.vcpu, 1);
	EXPECT_EQ(1, send_msi(vm)) TH_LOG("out of the guest");
	ASSERT_EQ(0, pthread_create(&tid, NULL, msi_runner_fn, &t));
	if (wait_ready(vm, 1))
		EXPECT_EQ(1, send_msi(vm)) TH_LOG("while the guest runs");
	if (wait_ready(vm, 2)) {
		usleep(MSI_HALT_US);	/* the guest halts in the meantime */
		EXPECT_EQ(1, send_msi(vm)) TH_LOG("while it is halted");
	}
	join_or_kill(tid);
	ASSERT_EQ(0, t.r) TH_LOG("%s", t.err);
	EXPECT_EQ(0, t.rbx) TH_LOG("#GPs the guest took");
	EXPECT_EQ(3, guest_exc_count(t.vcpu, MSI_VEC));
	vtx_vm_free(vm);
}

struct ifoff_runner {
	struct vtx_vcpu *vcpu;
	uint64_t rbx[IFOFF_REPORTS];
	int r;
	char err[256];
};

/* apicv_ifoff_guest's reports, then its last step */
static void *ifoff_runner_fn(void *arg)
{
	struct ifoff_runner *t = arg;
	int i;

	for (i = 0; i < IFOFF_REPORTS; i++) {
		t->r = run_until_ucall(t->vcpu, UCALL_REPORT, RUN_ANY_IRQ,
				       &t->rbx[i], t->err, sizeof(t->err));
		if (t->r)
			return NULL;
	}
	t->r = run_until_ucall(t->vcpu, UCALL_STEP, RUN_ANY_IRQ, NULL, t->err,
			       sizeof(t->err));
	return NULL;
}

/* The guest's wait at @stage is over, after a while with IF = 0 */
static bool ifoff_release(struct vtx_vm *vm, uint32_t stage)
{
	uint32_t *ready = vtx_gpa2hva(vm, READY_GPA);

	if (!wait_ready(vm, stage))
		return false;
	usleep(IFOFF_HOLD_US);
	__atomic_store_n(ready, stage + 1, __ATOMIC_RELEASE);
	return true;
}

/*
 * No interrupt while the guest runs with IF = 0 (interrupts it requests
 * wait until it sets IF), however the interrupt became pending: sent to
 * it while IF = 0 (the next entry's), waiting behind one in service that
 * an EOI with IF = 0 ends, an x2APIC SELF IPI with IF = 0.  Meanwhile the
 * host's own interrupts come (the host holds the guest there
 * IFOFF_HOLD_US).  Bochs 2.7 delivered a pending virtual interrupt, IF =
 * 0 or not, when a host interrupt came while the guest ran (its
 * HandleExtInterrupt()): the guest's locks taken again from an interrupt
 * handler, an SMP Linux guest stopped (issue 16).
 */
TEST(interrupts_wait_for_if)
{
	struct vtx_vm *vm = vtx_vm_create_default();
	struct kvm_cpuid2 *cpuid = guest_cpuid_copy();
	struct kvm_cpuid_entry2 *e = cpuid_find(cpuid, 1, 0);
	struct ifoff_runner t = {};
	pthread_t tid;

	ASSERT_EQ(0, __vtx_ioctl_raw(vm->fd, KVM_CREATE_IRQCHIP, 0))
		TH_LOG("KVM_CREATE_IRQCHIP: %s", strerror(errno));
	if (e)
		e->ecx |= CPUID1_X2APIC;
	vtx_load_code(vm, VTX_CODE_GPA, apicv_ifoff_guest,
		      apicv_ifoff_guest_end);
	t.vcpu = long_vcpu_add(vm, 0, apicv_ifoff_guest, apicv_ifoff_stubs,
			       cpuid, true);
	free(cpuid);
	map_apics(vm);
	ASSERT_EQ(0, pthread_create(&tid, NULL, ifoff_runner_fn, &t));
	if (wait_ready(vm, IFOFF_PENDING)) {
		EXPECT_EQ(1, send_msi(vm));
		ifoff_release(vm, IFOFF_PENDING);
	}
	if (wait_ready(vm, IFOFF_BEHIND)) {
		EXPECT_EQ(1, send_msi(vm));
		EXPECT_EQ(1, send_msi_vec(vm, LOW_VEC));
		__atomic_store_n((uint32_t *)vtx_gpa2hva(vm, READY_GPA),
				 IFOFF_BEHIND + 1, __ATOMIC_RELEASE);
	}
	ifoff_release(vm, IFOFF_EOI);
	ifoff_release(vm, IFOFF_SELF);
	join_or_kill(tid);
	ASSERT_EQ(0, t.r) TH_LOG("%s", t.err);
	EXPECT_EQ(0, t.rbx[0]) TH_LOG("MSI_VEC taken with IF = 0");
	EXPECT_EQ(0, t.rbx[1]) TH_LOG("LOW_VEC taken with IF = 0 after the EOI");
	EXPECT_EQ(1, t.rbx[2]) TH_LOG("x2APIC SELF IPI taken with IF = 0");
	EXPECT_EQ(2, t.rbx[3]) TH_LOG("MSI_VEC taken");
	EXPECT_EQ(2, guest_exc_count(t.vcpu, LOW_VEC));
	vtx_vm_free(vm);
}

struct storm {
	struct vtx_vm *vm;
	int irqfd;
	bool failed;
	char err[256];
	unsigned long max_wait_us;
};

/* Until vCPU 1 took @n of @vector; false after STORM_WAIT_US */
static bool storm_wait(struct storm *st, uint8_t vector, uint32_t n)
{
	uint32_t *count = vtx_gpa2hva(st->vm, EXC_COUNT_GPA);
	unsigned long us;

	for (us = 0; us < STORM_WAIT_US; us += STORM_POLL_US) {
		if (__atomic_load_n(&count[vector], __ATOMIC_ACQUIRE) >= n) {
			if (us > st->max_wait_us)
				st->max_wait_us = us;
			return true;
		}
		usleep(STORM_POLL_US);
	}
	snprintf(st->err, sizeof(st->err),
		 "vector %#x: %u taken, %u sent, none for %d us", vector,
		 count[vector], n, STORM_WAIT_US);
	st->failed = true;
	return false;
}

/* IOAPIC pin STORM_LINE_GSI: edges by KVM_IRQ_LINE, one at a time */
static void *storm_line_fn(void *arg)
{
	struct storm *st = arg;
	struct kvm_irq_level l = { .irq = STORM_LINE_GSI };
	uint32_t i;

	for (i = 0; i < STORM_N; i++) {
		if (!storm_wait(st, STORM_LINE_VEC, i))
			return NULL;
		l.level = 1;
		if (__vtx_ioctl(st->vm->fd, KVM_IRQ_LINE, &l))
			st->failed = true;
		l.level = 0;
		if (__vtx_ioctl(st->vm->fd, KVM_IRQ_LINE, &l))
			st->failed = true;
	}
	storm_wait(st, STORM_LINE_VEC, STORM_N);
	return NULL;
}

/* STORM_MSI_VEC: an irqfd (pin STORM_IRQFD_GSI) and KVM_SIGNAL_MSI in turn */
static void *storm_msi_fn(void *arg)
{
	struct storm *st = arg;
	struct kvm_msi msi = {
		.address_lo = MSI_ADDR | (1u << MSI_ADDR_DEST_SHIFT),
		.data = STORM_MSI_VEC,
	};
	uint64_t one = 1;
	uint32_t i;

	for (i = 0; i < STORM_N; i++) {
		if (!storm_wait(st, STORM_MSI_VEC, i))
			return NULL;
		if (i & 1) {
			if (__vtx_ioctl(st->vm->fd, KVM_SIGNAL_MSI, &msi) != 1)
				st->failed = true;
		} else if (write(st->irqfd, &one, sizeof(one)) !=
			   sizeof(one)) {
			st->failed = true;
		}
	}
	storm_wait(st, STORM_MSI_VEC, STORM_N);
	return NULL;
}

/*
 * Every interrupt source at once to a vCPU that halts and spins in turn:
 * edges of an IOAPIC pin by KVM_IRQ_LINE, an irqfd on another pin and
 * KVM_SIGNAL_MSI from a second thread, fixed IPIs from the other vCPU;
 * STORM_N of each, each sent once the one before of its source was taken.
 * All STORM_SOURCES * STORM_N arrive, none late by STORM_WAIT_US: a lost
 * interrupt or a lost wake-up of the halted vCPU stops its source.
 */
TEST(interrupt_storm)
{
	struct vtx_vm *vm = vtx_vm_create_default();
	struct kvm_cpuid2 *cpuid = guest_cpuid_copy();
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct ipi_runner runner[2] = {};
	struct storm line = { .vm = vm }, msi = { .vm = vm };
	struct kvm_irqfd irqfd = { .gsi = STORM_IRQFD_GSI };
	pthread_t vcpu_tid[2], line_tid, msi_tid;
	uint32_t *n = vtx_gpa2hva(vm, STORM_N_GPA);
	uint32_t *total = vtx_gpa2hva(vm, STORM_TOTAL_GPA);
	int i;

	ASSERT_EQ(0, __vtx_ioctl_raw(vm->fd, KVM_CREATE_IRQCHIP, 0))
		TH_LOG("KVM_CREATE_IRQCHIP: %s", strerror(errno));
	irqfd.fd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, (int)irqfd.fd);
	ASSERT_EQ(0, __vtx_ioctl(vm->fd, KVM_IRQFD, &irqfd))
		TH_LOG("KVM_IRQFD: %s", strerror(errno));
	msi.irqfd = irqfd.fd;
	*n = STORM_N;
	*total = STORM_SOURCES * STORM_N;
	vtx_load_code(vm, VTX_CODE_GPA, apicv_storm_guest,
		      apicv_storm_guest_end);
	for (i = 0; i < 2; i++)
		runner[i].vcpu = long_vcpu_add(vm, i, apicv_storm_guest,
					       apicv_storm_stubs, cpuid, true);
	free(cpuid);
	map_apics(vm);
	ASSERT_EQ(0, __vtx_ioctl(runner[1].vcpu->fd, KVM_SET_MP_STATE, &mp));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&vcpu_tid[i], NULL, ipi_runner_fn,
					    &runner[i]));
	if (wait_ready(vm, 1)) {
		ASSERT_EQ(0, pthread_create(&line_tid, NULL, storm_line_fn,
					    &line));
		ASSERT_EQ(0, pthread_create(&msi_tid, NULL, storm_msi_fn,
					    &msi));
		pthread_join(line_tid, NULL);
		pthread_join(msi_tid, NULL);
	} else {
		line.failed = true;
		snprintf(line.err, sizeof(line.err), "vCPU 1 never ready");
	}
	for (i = 0; i < 2; i++) {
		join_or_kill(vcpu_tid[i]);
	}
	EXPECT_FALSE(line.failed) TH_LOG("KVM_IRQ_LINE: %s", line.err);
	EXPECT_FALSE(msi.failed) TH_LOG("irqfd/KVM_SIGNAL_MSI: %s", msi.err);
	EXPECT_EQ(0, runner[0].r) TH_LOG("vCPU 0: %s", runner[0].err);
	EXPECT_EQ(0, runner[1].r) TH_LOG("vCPU 1: %s", runner[1].err);
	EXPECT_EQ(STORM_N, guest_exc_count(runner[1].vcpu, STORM_LINE_VEC));
	EXPECT_EQ(STORM_N, guest_exc_count(runner[1].vcpu, STORM_MSI_VEC));
	EXPECT_EQ(STORM_N, guest_exc_count(runner[1].vcpu, STORM_IPI_VEC));
	TH_LOG("longest wait for a paced interrupt: %lu us (line), %lu us (irqfd/MSI)",
	       line.max_wait_us, msi.max_wait_us);
	close(irqfd.fd);
	vtx_vm_free(vm);
}

VTX_TEST_MAIN
