// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupt paths with the in-kernel irqchip (KVM_CREATE_IRQCHIP), the
 * guest's local APIC in x2APIC mode (irq_guest.S):
 *
 *   irqfd_msi, irqfd_ioapic   an eventfd write (KVM_IRQFD, an MSI route or
 *                    an IOAPIC edge pin) from a thread on CPU 1 until the
 *                    handler of the vCPU spinning on CPU 0 has run: timed
 *                    by that thread, which spins on the handler's counter
 *   timer_oneshot, timer_tscdl   the local APIC timer (one-shot TMICT, TSC-
 *                    deadline): the handler's TSC minus the deadline
 *   ipi_roundtrip    vCPU 0 (CPU 0) sends a fixed IPI, vCPU 1's (CPU 1)
 *                    handler answers with one, vCPU 0's handler sees it;
 *                    timed by vCPU 0
 *   ioapic_eoi       the EOI write (WRMSR) of a level-triggered IOAPIC
 *                    interrupt behind a resample irqfd, timed in the guest
 *   ioapic_reraise   from that EOI write to the handler of the next
 *                    interrupt: the resampler lowers the line and signals
 *                    the resample fd, a thread on CPU 1 waiting in read()
 *                    writes the irqfd again
 *   hlt_wakeup       the vCPU halted in the kernel (the write comes 1 ms
 *                    after the HLT: longer than KVM's halt polling), an
 *                    MSI irqfd written by a thread on CPU 1 until the
 *                    handler ran, timed by that thread.  A SCHED_IDLE
 *                    thread spins on CPU 0 meanwhile, so the wake-up is a
 *                    reschedule IPI: in the test VM an idle CPU in
 *                    intel_idle's MWAIT was seen to sleep on after the
 *                    wake-up's write (25 to 160 ms per interrupt on both
 *                    drivers, until its next timer interrupt).
 *
 * Every case starts a fresh VM.  One round is IRQ_N interrupts, its figure
 * their mean; a first round is a warm-up, not reported.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "cases.h"
#include "irq.h"

extern const uint8_t irq_guest[], irq_guest_end[], irq_spin[], irq_halt[],
	irq_timer[], irq_ipi_sender[], irq_ipi_responder[], irq_level[],
	irq_h_count[], irq_h_ipi_req[], irq_h_level[], irq_h_bad[];

#define CPUID1_ECX_VMX		(1u << 5)
#define CPUID1_ECX_X2APIC	(1u << 21)
#define CPUID1_ECX_TSC_DEADLINE	(1u << 24)
#define MAX_CPUID_ENTRIES	256
#define RTE_LEVEL		(1ull << 15)
#define RFLAGS_FIXED		0x2
#define NSEC_PER_MSEC		1000000ull

/* Interrupts per round */
#define IRQ_N			(quick ? 20 : 100)
/* Timer cases: TSC cycles from programming the timer to its deadline */
#define TIMER_DELTA		20000
/* hlt_wakeup: how long the vCPU halts before the write */
#define HALT_SLEEP_NS		1000000
/* A case that takes longer (test-VM seconds) is a lost interrupt. */
#define CASE_TIMEOUT_S		120

struct ivm {
	struct vtx_vm *vm;
	struct vtx_vcpu *vcpu[2];
	int nr_vcpus;
	volatile uint64_t *count, *ready, *stop;
};

static const char *cur_case;

static void watchdog_fired(int sig)
{
	static const char msg[] = "bench: an interrupt case timed out (an interrupt was lost)\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(3);
}

static void watchdog(const char *name)
{
	cur_case = name;
	signal(SIGALRM, watchdog_fired);
	alarm(name ? CASE_TIMEOUT_S : 0);
}

/* The supported CPUID minus VMX, plus x2APIC and the TSC-deadline timer. */
static void set_cpuid(struct vtx_vcpu *vcpu)
{
	struct kvm_cpuid2 *c;
	unsigned int i;

	c = calloc(1, sizeof(*c) +
		   MAX_CPUID_ENTRIES * sizeof(struct kvm_cpuid_entry2));
	VTX_ASSERT(c, "calloc");
	c->nent = MAX_CPUID_ENTRIES;
	vtx_ioctl(sys_fd, KVM_GET_SUPPORTED_CPUID, c);
	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == 1 && e->index == 0) {
			e->ecx &= ~CPUID1_ECX_VMX;
			e->ecx |= CPUID1_ECX_X2APIC | CPUID1_ECX_TSC_DEADLINE;
		}
	}
	vtx_ioctl(vcpu->fd, KVM_SET_CPUID2, c);
	free(c);
}

static uint64_t handler_of(unsigned int vec)
{
	const uint8_t *h;

	switch (vec) {
	case IRQ_VEC_DEV:
	case IRQ_VEC_TIMER:
	case IRQ_VEC_IPI_RESP:
		h = irq_h_count;
		break;
	case IRQ_VEC_IPI_REQ:
		h = irq_h_ipi_req;
		break;
	case IRQ_VEC_LEVEL:
		h = irq_h_level;
		break;
	default:
		h = irq_h_bad;
	}
	return VTX_BLOB_GPA(irq_guest, h);
}

/* The IDT: a 64-bit interrupt gate per vector, DPL 0. */
static void build_idt(struct vtx_vm *vm)
{
	uint64_t *idt = vtx_gpa2hva(vm, IRQ_IDT_GPA);
	unsigned int v;

	for (v = 0; v < IRQ_IDT_VECTORS; v++) {
		uint64_t h = handler_of(v);

		idt[2 * v] = (h & 0xffff) | ((uint64_t)VTX_SEL_CODE64 << 16) |
			     (0x8eull << 40) | ((h >> 16 & 0xffff) << 48);
		idt[2 * v + 1] = h >> 32;
	}
}

/* A VM with the in-kernel irqchip and @nr vCPUs, all runnable. */
static void ivm_create(struct ivm *g, int nr)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct kvm_sregs sregs;
	int i;

	memset(g, 0, sizeof(*g));
	g->vm = vtx_vm_create_on(sys_fd);
	vtx_vm_add_mem(g->vm, 0, 0, VTX_RAM_SIZE);
	vtx_ioctl(g->vm->fd, KVM_CREATE_IRQCHIP, 0);
	vtx_load_code(g->vm, VTX_CODE_GPA, irq_guest, irq_guest_end);
	build_idt(g->vm);
	for (i = 0; i < nr; i++) {
		g->vcpu[i] = vtx_vcpu_add(g->vm, i);
		vtx_setup_mode(g->vcpu[i], VTX_MODE_LONG64, VTX_CODE_GPA);
		set_cpuid(g->vcpu[i]);
		vtx_get_sregs(g->vcpu[i], &sregs);
		sregs.idt.base = IRQ_IDT_GPA;
		sregs.idt.limit = IRQ_IDT_VECTORS * 16 - 1;
		vtx_set_sregs(g->vcpu[i], &sregs);
		/* an AP of an in-kernel irqchip waits for INIT/SIPI */
		if (i)
			vtx_ioctl(g->vcpu[i]->fd, KVM_SET_MP_STATE, &mp);
	}
	g->nr_vcpus = nr;
	g->count = vtx_gpa2hva(g->vm, IRQ_COUNT);
	g->ready = vtx_gpa2hva(g->vm, IRQ_READY);
	g->stop = vtx_gpa2hva(g->vm, IRQ_STOP);
}

static void ivm_destroy(struct ivm *g)
{
	int i;

	for (i = 0; i < g->nr_vcpus; i++)
		vtx_vcpu_free(g->vcpu[i]);
	vtx_vm_free(g->vm);
	memset(g, 0, sizeof(*g));
}

/* Point vCPU @i at @label with the arguments irq_guest.S names. */
static void ivm_enter(struct ivm *g, int i, const uint8_t *label,
		      uint64_t rcx, uint64_t rsi, uint64_t rdi, uint64_t r8)
{
	struct kvm_regs regs;

	memset(&regs, 0, sizeof(regs));
	regs.rip = VTX_BLOB_GPA(irq_guest, label);
	regs.rsp = i ? IRQ_STACK1_TOP : IRQ_STACK0_TOP;
	regs.rflags = RFLAGS_FIXED;
	regs.rcx = rcx;
	regs.rsi = rsi;
	regs.rdi = rdi;
	regs.r8 = r8;
	vtx_set_regs(g->vcpu[i], &regs);
}

/* KVM_RUN until UCALL_DONE; anything else ends the benchmark. */
static void run_to_done(struct vtx_vcpu *vcpu)
{
	struct vtx_ucall uc;

	for (;;) {
		uint32_t reason = vtx_run(vcpu);

		switch (vtx_get_ucall(vcpu, &uc)) {
		case UCALL_DONE:
			return;
		case UCALL_FAIL:
			vtx_die("%s: %s: vCPU %u took an unexpected vector (frame word %#llx, rip %#llx)",
				driver, cur_case, vcpu->id,
				(unsigned long long)uc.regs.rbx,
				(unsigned long long)uc.regs.rip);
		default:
			vtx_die("%s: %s: vCPU %u: unexpected exit %s (%u)",
				driver, cur_case, vcpu->id,
				vtx_exit_reason_str(reason), reason);
		}
	}
}

struct vrun {
	pthread_t thread;
	struct vtx_vcpu *vcpu;
	int cpu;
};

static void *vrun_main(void *arg)
{
	struct vrun *t = arg;

	pin_to_cpu(t->cpu);
	run_to_done(t->vcpu);
	return NULL;
}

static void vrun_start(struct vrun *t, struct vtx_vcpu *vcpu, int cpu)
{
	t->vcpu = vcpu;
	t->cpu = cpu;
	if (pthread_create(&t->thread, NULL, vrun_main, t))
		vtx_die("pthread_create");
}

static void wait_set(volatile uint64_t *p)
{
	while (!*p)
		;
}

static void efd_write(int fd)
{
	uint64_t one = 1;

	VTX_ASSERT(write(fd, &one, sizeof(one)) == sizeof(one),
		   "eventfd write: %s", strerror(errno));
}

static int new_eventfd(void)
{
	int fd = eventfd(0, EFD_CLOEXEC);

	VTX_ASSERT(fd >= 0, "eventfd: %s", strerror(errno));
	return fd;
}

static void irqfd(struct vtx_vm *vm, int fd, uint32_t gsi, int resamplefd)
{
	struct kvm_irqfd a = { .fd = fd, .gsi = gsi };

	if (resamplefd >= 0) {
		a.flags = KVM_IRQFD_FLAG_RESAMPLE;
		a.resamplefd = resamplefd;
	}
	vtx_ioctl(vm->fd, KVM_IRQFD, &a);
}

/* The routing table: one MSI to APIC ID 0, vector IRQ_VEC_DEV, edge. */
static void msi_route(struct vtx_vm *vm)
{
	struct kvm_irq_routing *r;

	r = calloc(1, sizeof(*r) + sizeof(r->entries[0]));
	VTX_ASSERT(r, "calloc");
	r->nr = 1;
	r->entries[0].gsi = IRQ_GSI_MSI;
	r->entries[0].type = KVM_IRQ_ROUTING_MSI;
	r->entries[0].u.msi.address_lo = IRQ_MSI_ADDR;
	r->entries[0].u.msi.data = IRQ_VEC_DEV;
	vtx_ioctl(vm->fd, KVM_SET_GSI_ROUTING, r);
	free(r);
}

/* IOAPIC pin @pin: fixed, physical, to APIC ID 0, unmasked. */
static void ioapic_pin(struct vtx_vm *vm, unsigned int pin, unsigned int vec,
		       bool level)
{
	struct kvm_irqchip c;

	memset(&c, 0, sizeof(c));
	c.chip_id = KVM_IRQCHIP_IOAPIC;
	vtx_ioctl(vm->fd, KVM_GET_IRQCHIP, &c);
	c.chip.ioapic.redirtbl[pin].bits = vec | (level ? RTE_LEVEL : 0);
	vtx_ioctl(vm->fd, KVM_SET_IRQCHIP, &c);
}

/* Round r's mean of the samples [(r + 1) n, (r + 2) n): round -1 warms up. */
static void round_means(const int64_t *s, long n, double *v)
{
	int r;
	long i;

	for (r = 0; r < rounds; r++) {
		double sum = 0;

		for (i = 0; i < n; i++)
			sum += s[(r + 1) * n + i];
		v[r] = sum / n;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* A comment line: the spread of single samples, not only of round means. */
static void print_spread(const char *name, uint64_t *s, long n)
{
	qsort(s, n, sizeof(*s), cmp_u64);
	printf("# %s %s: single samples min %llu median %llu max %llu\n",
	       driver, name, (unsigned long long)s[0],
	       (unsigned long long)s[n / 2], (unsigned long long)s[n - 1]);
}

struct spinner {
	pthread_t thread;
	volatile int stop;
};

/* SCHED_IDLE on CPU 0: it runs there only while nothing else wants to. */
static void *spinner_main(void *arg)
{
	struct spinner *t = arg;
	struct sched_param sp = { 0 };

	pin_to_cpu(0);
	if (sched_setscheduler(0, SCHED_IDLE, &sp))
		vtx_die("SCHED_IDLE: %s", strerror(errno));
	while (!t->stop)
		;
	return NULL;
}

/*
 * An irqfd write from this thread (CPU 1) to the handler of the vCPU
 * spinning (irq_spin) or halted (irq_halt) on CPU 0.  While it is halted,
 * a SCHED_IDLE thread keeps CPU 0 out of the idle loop (see the top).
 */
static void case_irqfd(const char *name, bool msi, bool halt)
{
	long n = IRQ_N, i;
	double v[MAX_ROUNDS];
	uint64_t *all;
	struct spinner sp = { 0 };
	struct ivm g;
	struct vrun vr;
	int efd, r;

	watchdog(name);
	ivm_create(&g, 1);
	if (msi)
		msi_route(g.vm);
	else
		ioapic_pin(g.vm, IRQ_GSI_EDGE, IRQ_VEC_DEV, false);
	efd = new_eventfd();
	irqfd(g.vm, efd, msi ? IRQ_GSI_MSI : IRQ_GSI_EDGE, -1);
	ivm_enter(&g, 0, halt ? irq_halt : irq_spin, 0, 0, 0, 0);
	all = calloc(n * rounds, sizeof(*all));
	VTX_ASSERT(all, "calloc");
	vrun_start(&vr, g.vcpu[0], 0);
	if (halt && pthread_create(&sp.thread, NULL, spinner_main, &sp))
		vtx_die("pthread_create");
	pin_to_cpu(1);
	wait_set(g.ready);
	for (r = -1; r < rounds; r++) {
		uint64_t sum = 0;

		for (i = 0; i < n; i++) {
			uint64_t c = *g.count, t0, dt;

			if (halt) {
				struct timespec ts = { 0, HALT_SLEEP_NS };

				nanosleep(&ts, NULL);
			}
			t0 = tsc();
			efd_write(efd);
			while (*g.count == c)
				;
			dt = tsc() - t0;
			sum += dt;
			if (r >= 0)
				all[r * n + i] = dt;
		}
		if (r >= 0)
			v[r] = (double)sum / n;
	}
	*g.stop = 1;
	if (halt)
		efd_write(efd);		/* wake it to see IRQ_STOP */
	pthread_join(vr.thread, NULL);
	if (halt) {
		sp.stop = 1;
		pthread_join(sp.thread, NULL);
	}
	pin_to_cpu(0);
	ivm_destroy(&g);
	close(efd);
	watchdog(NULL);
	emit(name, n, v, rounds);
	print_spread(name, all, n * rounds);
	free(all);
}

/* The local APIC timer, one-shot or TSC-deadline, timed in the guest. */
static void case_timer(const char *name, bool tscdl)
{
	long n = IRQ_N, total = n * (rounds + 1);
	double v[MAX_ROUNDS];
	uint64_t ticks;
	struct ivm g;
	long khz;

	watchdog(name);
	ivm_create(&g, 1);
	khz = vtx_ioctl(g.vcpu[0]->fd, KVM_GET_TSC_KHZ, 0);
	VTX_ASSERT(khz > 0, "KVM_GET_TSC_KHZ: %ld", khz);
	/* one APIC tick is 1 ns at divide-by-1 (KVM's 1 GHz bus) */
	ticks = TIMER_DELTA * NSEC_PER_MSEC / khz;
	VTX_ASSERT(total <= IRQ_MAX_SAMPLES, "%ld samples", total);
	ivm_enter(&g, 0, irq_timer, total, TIMER_DELTA, tscdl, ticks);
	run_to_done(g.vcpu[0]);
	round_means(vtx_gpa2hva(g.vm, IRQ_SAMPLES_A), n, v);
	ivm_destroy(&g);
	watchdog(NULL);
	emit(name, n, v, rounds);
	printf("@@E %s %d tsc_khz %ld\n", driver, pass, khz);
}

/* IPI round trip between vCPU 0 (CPU 0, timing) and vCPU 1 (CPU 1). */
static void case_ipi(const char *name)
{
	long n = IRQ_N, total = n * (rounds + 1);
	double v[MAX_ROUNDS];
	struct ivm g;
	struct vrun vr;

	watchdog(name);
	ivm_create(&g, 2);
	VTX_ASSERT(total <= IRQ_MAX_SAMPLES, "%ld samples", total);
	ivm_enter(&g, 0, irq_ipi_sender, total, 0, 0, 0);
	ivm_enter(&g, 1, irq_ipi_responder, 0, 0, 0, 0);
	vrun_start(&vr, g.vcpu[1], 1);
	pin_to_cpu(0);
	run_to_done(g.vcpu[0]);
	pthread_join(vr.thread, NULL);
	round_means(vtx_gpa2hva(g.vm, IRQ_SAMPLES_A), n, v);
	ivm_destroy(&g);
	watchdog(NULL);
	emit(name, n, v, rounds);
}

/*
 * A level-triggered IOAPIC pin behind a resample irqfd: this thread (CPU
 * 1) raises it once, then again each time the resample fd says the guest
 * (CPU 0) took and EOIed it.
 */
static void case_level(void)
{
	long n = IRQ_N, total = n * (rounds + 1), k;
	double v[MAX_ROUNDS];
	struct ivm g;
	struct vrun vr;
	int efd, rfd;

	watchdog("ioapic_level");
	ivm_create(&g, 1);
	ioapic_pin(g.vm, IRQ_GSI_LEVEL, IRQ_VEC_LEVEL, true);
	efd = new_eventfd();
	rfd = new_eventfd();
	irqfd(g.vm, efd, IRQ_GSI_LEVEL, rfd);
	VTX_ASSERT(total + 1 <= IRQ_MAX_SAMPLES, "%ld samples", total);
	/* total + 1 interrupts: total EOIs and total re-raises timed */
	ivm_enter(&g, 0, irq_level, total + 1, 0, 0, 0);
	vrun_start(&vr, g.vcpu[0], 0);
	pin_to_cpu(1);
	/* not before its APIC is enabled: a message to it would be lost */
	wait_set(g.ready);
	efd_write(efd);
	for (k = 0; k < total; k++) {
		uint64_t cnt;

		VTX_ASSERT(read(rfd, &cnt, sizeof(cnt)) == sizeof(cnt),
			   "resample fd: %s", strerror(errno));
		efd_write(efd);
	}
	pthread_join(vr.thread, NULL);
	pin_to_cpu(0);
	round_means(vtx_gpa2hva(g.vm, IRQ_SAMPLES_A), n, v);
	emit("ioapic_eoi", n, v, rounds);
	round_means(vtx_gpa2hva(g.vm, IRQ_SAMPLES_B), n, v);
	emit("ioapic_reraise", n, v, rounds);
	ivm_destroy(&g);
	close(efd);
	close(rfd);
	watchdog(NULL);
}

void case_irq(void)
{
	bool two = sysconf(_SC_NPROCESSORS_ONLN) >= 2;

	printf("# %s: irqfd_msi\n", driver);
	if (two)
		case_irqfd("irqfd_msi", true, false);
	printf("# %s: irqfd_ioapic\n", driver);
	if (two)
		case_irqfd("irqfd_ioapic", false, false);
	printf("# %s: timer_oneshot\n", driver);
	case_timer("timer_oneshot", false);
	printf("# %s: timer_tscdl\n", driver);
	case_timer("timer_tscdl", true);
	printf("# %s: ipi_roundtrip\n", driver);
	if (two)
		case_ipi("ipi_roundtrip");
	printf("# %s: ioapic_eoi, ioapic_reraise\n", driver);
	if (two)
		case_level();
	printf("# %s: hlt_wakeup\n", driver);
	if (two)
		case_irqfd("hlt_wakeup", true, true);
	if (!two)
		printf("# %s: one CPU: the cases with a second thread skipped\n",
		       driver);
}
