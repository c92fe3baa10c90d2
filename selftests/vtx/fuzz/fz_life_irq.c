// SPDX-License-Identifier: GPL-2.0
/*
 * vtx-life-fuzz irq: VMs torn down while their interrupt controllers are
 * busy.  Each iteration builds a VM with KVM_CREATE_IRQCHIP, maybe a PIT
 * (KVM_CREATE_PIT2, counter 0 periodic and short), one to three vCPUs
 * whose LAPIC timers are armed periodic and short (KVM_SET_LAPIC), IOAPIC
 * pins unmasked, and irqfds on random GSIs (half of them with a resample
 * eventfd) that another thread keeps signalling.  The guest (real mode)
 * takes the interrupts and EOIs them at the LAPIC and the PIC.  For 0-30
 * ms (two times in three) the main thread changes the VM under them, as a
 * VMM does: GSI routing, irqfds deassigned and assigned again, lines,
 * MSIs, the PIT's counter, PIC/IOAPIC state, a LAPIC timer.  Then,
 * while the vCPU threads are in KVM_RUN and the writer thread writes:
 *
 *   kill   the iteration ran in a child process (changing the VM all
 *          the time): kill -9 it;
 *   vm     close the VM and device fds first, then stop the vCPU threads
 *          and close their fds;
 *   vcpu   close the vCPU fds under the running threads, then the VM;
 *
 * and the eventfds are closed before or after the VM.  A vCPU thread that
 * does not come back from KVM_RUN (its timer signals it every 20 ms) is a
 * hang; afterwards a new irqchip VM must still run.  The suite checks the
 * kernel log and vtx's allocation count (irq_routing, irqfd, pit) after
 * the phase.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fz.h"

#define IRQ_MEM_SIZE	0x10000
#define IRQ_CODE	0x1000		/* sti; hlt; jmp . - 2 */
#define IRQ_HANDLER	0x1100		/* count, EOI LAPIC and PICs; iret */
#define IRQ_COUNT	0x600		/* u32: interrupts the guest took */
#define IRQ_STACK	0x8000
#define IRQ_MAX_VCPUS	3
#define IRQ_MAX_FDS	4
#define IRQ_VEC_TIMER	0x40
#define IRQ_VEC_PIN	0x50
#define IRQ_JOIN_SECS	10
#define APIC_BUS_NS	1		/* KVM's LAPIC bus: 1 GHz */

struct irq_vm {
	int dev, vm, nvcpu, nfd;
	int vcpu[IRQ_MAX_VCPUS];
	struct kvm_run *run[IRQ_MAX_VCPUS];
	size_t run_size;
	int efd[IRQ_MAX_FDS], rfd[IRQ_MAX_FDS];	/* rfd: resample or -1 */
	uint32_t gsi[IRQ_MAX_FDS];
	bool pit;
	uint8_t *mem;
	pthread_t thr[IRQ_MAX_VCPUS], writer;
	volatile bool stop, wstop;
	volatile int running;
	uint64_t runs, writes, pio, pokes;
	uint32_t taken;		/* interrupts the guest took (its count) */
};

static const char *irq_dev_path;
static uint64_t irq_failures;

static void irq_fail(uint64_t seed, const char *what, uint64_t it)
{
	irq_failures++;
	printf("FAIL: irq iteration %" PRIu64 ": %s (seed 0x%" PRIx64 ")\n",
	       it, what, seed);
}

/* Real-mode guest: IVT -> handler, main loop sti; hlt. */
static void irq_build(uint8_t *m)
{
	static const uint8_t code[] = { 0xfb, 0xf4, 0xeb, 0xfc };
	static const uint8_t handler[] = {
		0xf0, 0x66, 0xff, 0x06, IRQ_COUNT & 0xff, IRQ_COUNT >> 8,
		0x66, 0x26, 0xc7, 0x06, 0xb0, 0x00, 0, 0, 0, 0,	/* es:EOI */
		0xb0, 0x20, 0xe6, 0x20, 0xe6, 0xa0,	/* PIC EOIs */
		0xcf,					/* iret */
	};
	int v;

	for (v = 0; v < 256; v++) {
		m[v * 4] = IRQ_HANDLER & 0xff;
		m[v * 4 + 1] = IRQ_HANDLER >> 8;
		m[v * 4 + 2] = 0;
		m[v * 4 + 3] = 0;
	}
	memset(m + 0x500, 0xf4, IRQ_MEM_SIZE - 0x500);
	memset(m + IRQ_COUNT, 0, 4);	/* not the HLT filler */
	memcpy(m + IRQ_CODE, code, sizeof(code));
	memcpy(m + IRQ_HANDLER, handler, sizeof(handler));
}

static int irq_vcpu_setup(struct irq_vm *x, int i, struct rng *r)
{
	struct kvm_lapic_state l;
	struct kvm_sregs sr;
	struct kvm_regs rg;
	uint32_t v;

	if (xioctl(x->vcpu[i], KVM_GET_SREGS, (unsigned long)&sr))
		return -1;
	sr.cs.base = 0;
	sr.cs.selector = 0;
	sr.ss.base = 0;
	sr.ss.selector = 0;
	sr.ds.base = 0;
	sr.ds.selector = 0;
	/* ES reaches the xAPIC page: the handler's EOI */
	sr.es.base = 0xfee00000;
	sr.es.limit = 0xffff;
	if (xioctl(x->vcpu[i], KVM_SET_SREGS, (unsigned long)&sr))
		return -1;
	memset(&rg, 0, sizeof(rg));
	rg.rip = IRQ_CODE;
	rg.rsp = IRQ_STACK - 0x400 * i;
	rg.rflags = 0x202;
	if (xioctl(x->vcpu[i], KVM_SET_REGS, (unsigned long)&rg))
		return -1;
	if (i) {	/* the APs run at once, like the BSP */
		struct kvm_mp_state mp = { KVM_MP_STATE_RUNNABLE };

		xioctl(x->vcpu[i], KVM_SET_MP_STATE, (unsigned long)&mp);
	}
	if (xioctl(x->vcpu[i], KVM_GET_LAPIC, (unsigned long)&l))
		return -1;
	v = 0x1ff;					/* enabled */
	memcpy(l.regs + FZ_LAPIC_SVR, &v, 4);
	v = IRQ_VEC_TIMER | (chance(r, 3, 4) ? 1u << 17 : 0);	/* periodic */
	memcpy(l.regs + FZ_LAPIC_LVTT, &v, 4);
	v = 0xb;					/* divide by 1 */
	memcpy(l.regs + FZ_LAPIC_TDCR, &v, 4);
	/* 1 us to 2 ms: KVM and vtx hold periodic ones to >= 200 us */
	v = (chance(r, 1, 2) ? 1 + rnd(r, 1000) :
	     rnd(r, 2000000)) / APIC_BUS_NS;
	memcpy(l.regs + FZ_LAPIC_TMICT, &v, 4);
	return xioctl(x->vcpu[i], KVM_SET_LAPIC, (unsigned long)&l) ? -1 : 0;
}

/* IOAPIC pins of the irqfds unmasked (level for resample), to vCPU 0 */
static void irq_ioapic(struct irq_vm *x, const uint32_t *gsi, int n)
{
	struct kvm_irqchip c = { .chip_id = KVM_IRQCHIP_IOAPIC };
	int i;

	if (xioctl(x->vm, KVM_GET_IRQCHIP, (unsigned long)&c))
		return;
	for (i = 0; i < n; i++) {
		if (gsi[i] >= KVM_IOAPIC_NUM_PINS)
			continue;
		c.chip.ioapic.redirtbl[gsi[i]].bits = (IRQ_VEC_PIN + gsi[i]) |
			(x->rfd[i] >= 0 ? 1ull << 15 : 0);
	}
	xioctl(x->vm, KVM_SET_IRQCHIP, (unsigned long)&c);
}

static void *irq_vcpu_thread(void *p)
{
	struct irq_vm *x = ((void **)p)[0];
	int i = (int)(uintptr_t)((void **)p)[1];
	int fd = x->vcpu[i];
	long r;

	free(p);
	run_timer_init();
	run_timer_arm_every(20, 20);
	__atomic_add_fetch(&x->running, 1, __ATOMIC_SEQ_CST);
	while (!x->stop) {
		r = xioctl(fd, KVM_RUN, 0);
		__atomic_add_fetch(&x->runs, 1, __ATOMIC_RELAXED);
		if (r == -EBADF || r == -EIO)
			break;		/* its fd is gone */
		if (!r && x->run[i] && x->run[i]->exit_reason == KVM_EXIT_IO)
			__atomic_add_fetch(&x->pio, 1, __ATOMIC_RELAXED);
	}
	run_timer_fini();
	return NULL;
}

/* Signals the irqfds' eventfds and drains the resample ones. */
static void *irq_writer(void *p)
{
	struct irq_vm *x = p;
	uint64_t one = 1, v;
	int i;

	while (!x->wstop) {
		for (i = 0; i < x->nfd; i++) {
			if (write(x->efd[i], &one, 8) == 8)
				x->writes++;
			if (x->rfd[i] >= 0 && read(x->rfd[i], &v, 8) < 0)
				v = 0;
		}
		sched_yield();
	}
	return NULL;
}

static int irq_vm_build(struct irq_vm *x, struct rng *r)
{
	struct kvm_userspace_memory_region m;
	uint32_t *gsi = x->gsi;
	long sz;
	int i, n;

	memset(x, 0, sizeof(*x));
	x->dev = x->vm = -1;
	for (i = 0; i < IRQ_MAX_VCPUS; i++)
		x->vcpu[i] = -1;
	x->dev = fz_open_dev(irq_dev_path);
	if (x->dev < 0)
		return -1;
	x->vm = xioctl(x->dev, KVM_CREATE_VM, 0);
	if (x->vm < 0 || xioctl(x->vm, KVM_CREATE_IRQCHIP, 0))
		return -1;
	if (chance(r, 3, 4)) {
		struct kvm_pit_config pc = { .flags = 0 };
		struct kvm_pit_state2 ps;
		struct kvm_reinject_control rc = { .pit_reinject = rnd(r, 2) };

		if (xioctl(x->vm, KVM_CREATE_PIT2, (unsigned long)&pc) ||
		    xioctl(x->vm, KVM_GET_PIT2, (unsigned long)&ps))
			return -1;
		/* counter 0: mode 2 (rate generator), 50 .. 2000 ticks */
		ps.channels[0].count = 50 + rnd(r, 1950);
		ps.channels[0].mode = 2;
		ps.channels[0].rw_mode = 3;
		ps.channels[0].gate = 1;
		if (xioctl(x->vm, KVM_SET_PIT2, (unsigned long)&ps))
			return -1;
		xioctl(x->vm, KVM_REINJECT_CONTROL, (unsigned long)&rc);
		x->pit = true;
	}
	x->mem = mmap(NULL, IRQ_MEM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (x->mem == MAP_FAILED) {
		x->mem = NULL;
		return -1;
	}
	irq_build(x->mem);
	memset(&m, 0, sizeof(m));
	m.memory_size = IRQ_MEM_SIZE;
	m.userspace_addr = (uintptr_t)x->mem;
	if (xioctl(x->vm, KVM_SET_USER_MEMORY_REGION, (unsigned long)&m))
		return -1;
	sz = xioctl(x->dev, KVM_GET_VCPU_MMAP_SIZE, 0);
	x->run_size = sz > 0 ? sz : 2 * PAGE_SIZE;
	x->nvcpu = 1 + rnd(r, IRQ_MAX_VCPUS);
	for (i = 0; i < x->nvcpu; i++) {
		x->vcpu[i] = xioctl(x->vm, KVM_CREATE_VCPU, i);
		if (x->vcpu[i] < 0)
			return -1;
		x->run[i] = mmap(NULL, x->run_size, PROT_READ | PROT_WRITE,
				 MAP_SHARED, x->vcpu[i], 0);
		if (x->run[i] == MAP_FAILED)
			x->run[i] = NULL;
		if (irq_vcpu_setup(x, i, r))
			return -1;
	}
	n = 1 + rnd(r, IRQ_MAX_FDS);
	for (i = 0; i < n; i++) {
		struct kvm_irqfd f = { 0 };

		x->efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		x->rfd[i] = chance(r, 1, 2) ?
			    eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) : -1;
		x->nfd = i + 1;
		gsi[i] = rnd(r, KVM_IOAPIC_NUM_PINS);
		f.fd = x->efd[i];
		f.gsi = gsi[i];
		if (x->rfd[i] >= 0) {
			f.flags = KVM_IRQFD_FLAG_RESAMPLE;
			f.resamplefd = x->rfd[i];
		}
		if (xioctl(x->vm, KVM_IRQFD, (unsigned long)&f))
			return -1;
	}
	irq_ioapic(x, gsi, x->nfd);
	return 0;
}

static void irq_close_fds(struct irq_vm *x)
{
	int i;

	for (i = 0; i < x->nfd; i++) {
		if (x->efd[i] >= 0)
			close(x->efd[i]);
		if (x->rfd[i] >= 0)
			close(x->rfd[i]);
		x->efd[i] = x->rfd[i] = -1;
	}
}

static void irq_close_vcpus(struct irq_vm *x)
{
	int i;

	for (i = 0; i < x->nvcpu; i++) {
		if (x->run[i])
			munmap(x->run[i], x->run_size);
		x->run[i] = NULL;
		if (x->vcpu[i] >= 0)
			close(x->vcpu[i]);
		x->vcpu[i] = -1;
	}
}

static void irq_close_vm(struct irq_vm *x)
{
	if (x->vm >= 0)
		close(x->vm);
	if (x->dev >= 0)
		close(x->dev);
	x->vm = x->dev = -1;
}

static void irq_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A routing table like the default one, GSIs maybe shuffled, and MSIs. */
static void irq_routing(struct irq_vm *x, struct rng *r)
{
	struct {
		struct kvm_irq_routing h;
		struct kvm_irq_routing_entry e[2 * KVM_IOAPIC_NUM_PINS];
	} t;
	uint32_t i, n = 0;

	memset(&t, 0, sizeof(t));
	for (i = 0; i < KVM_IOAPIC_NUM_PINS; i++) {
		struct kvm_irq_routing_entry *e = &t.e[n++];

		e->gsi = i;
		if (chance(r, 1, 8)) {		/* an MSI to vCPU 0 instead */
			e->type = KVM_IRQ_ROUTING_MSI;
			e->u.msi.address_lo = 0xfee00000;
			e->u.msi.data = IRQ_VEC_PIN + i;
			continue;
		}
		e->type = KVM_IRQ_ROUTING_IRQCHIP;
		e->u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		e->u.irqchip.pin = chance(r, 7, 8) ? i :
				   rnd(r, KVM_IOAPIC_NUM_PINS);
		if (i < 16 && i != 2) {
			e = &t.e[n++];
			e->gsi = i;
			e->type = KVM_IRQ_ROUTING_IRQCHIP;
			e->u.irqchip.irqchip = i < 8 ? KVM_IRQCHIP_PIC_MASTER :
						       KVM_IRQCHIP_PIC_SLAVE;
			e->u.irqchip.pin = i % 8;
		}
	}
	t.h.nr = n;
	xioctl(x->vm, KVM_SET_GSI_ROUTING, (unsigned long)&t);
}

/*
 * What a VMM does to the VM while its vCPUs run and its irqfds fire:
 * routing, irqfds deassigned and assigned again, lines, MSIs, the PIT,
 * the PIC and a LAPIC, until @ms have passed.
 */
static void irq_poke(struct irq_vm *x, struct rng *r, unsigned int ms)
{
	double end = now_sec() + ms / 1000.0;

	do {
		int i = rnd(r, x->nfd);

		switch (rnd(r, 8)) {
		case 0:
			irq_routing(x, r);
			break;
		case 1: {	/* an irqfd off and on again */
			struct kvm_irqfd f = { .fd = x->efd[i],
					       .gsi = x->gsi[i] };

			f.flags = KVM_IRQFD_FLAG_DEASSIGN;
			xioctl(x->vm, KVM_IRQFD, (unsigned long)&f);
			f.flags = 0;
			if (x->rfd[i] >= 0) {
				f.flags = KVM_IRQFD_FLAG_RESAMPLE;
				f.resamplefd = x->rfd[i];
			}
			xioctl(x->vm, KVM_IRQFD, (unsigned long)&f);
			break;
		}
		case 2: {
			struct kvm_irq_level l = {
				.irq = rnd(r, KVM_IOAPIC_NUM_PINS), .level = 1 };

			xioctl(x->vm, KVM_IRQ_LINE, (unsigned long)&l);
			l.level = 0;
			xioctl(x->vm, KVM_IRQ_LINE_STATUS, (unsigned long)&l);
			break;
		}
		case 3: {
			struct kvm_msi m = {
				.address_lo = 0xfee00000 | rnd(r, x->nvcpu) << 12,
				.data = IRQ_VEC_PIN + rnd(r, 32) };

			xioctl(x->vm, KVM_SIGNAL_MSI, (unsigned long)&m);
			break;
		}
		case 4: {
			struct kvm_pit_state2 ps;

			if (!x->pit ||
			    xioctl(x->vm, KVM_GET_PIT2, (unsigned long)&ps))
				break;
			ps.channels[0].count = 50 + rnd(r, 1950);
			ps.channels[0].mode = chance(r, 3, 4) ? 2 : rnd(r, 6);
			xioctl(x->vm, KVM_SET_PIT2, (unsigned long)&ps);
			break;
		}
		case 5: {
			struct kvm_irqchip c = { .chip_id = rnd(r, 3) };

			if (!xioctl(x->vm, KVM_GET_IRQCHIP, (unsigned long)&c))
				xioctl(x->vm, KVM_SET_IRQCHIP, (unsigned long)&c);
			break;
		}
		case 6: {	/* waits for the vCPU's KVM_RUN to end */
			struct kvm_lapic_state l;
			int v = rnd(r, x->nvcpu);
			uint32_t cnt = 1 + rnd(r, 2000000);

			if (xioctl(x->vcpu[v], KVM_GET_LAPIC, (unsigned long)&l))
				break;
			memcpy(l.regs + FZ_LAPIC_TMICT, &cnt, 4);
			xioctl(x->vcpu[v], KVM_SET_LAPIC, (unsigned long)&l);
			break;
		}
		default:
			irq_sleep_ms(1);
		}
		x->pokes++;
	} while (now_sec() < end);
}

/* Join with a deadline: a vCPU stuck in KVM_RUN is a hang. */
static int irq_join(pthread_t t)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += IRQ_JOIN_SECS;
	return pthread_timedjoin_np(t, NULL, &ts);
}

/*
 * One iteration in this process: build, start the threads, let them run
 * for @ms, tear down in the order @how says.  Returns what went wrong.
 */
static const char *irq_iteration(struct rng *r, int how, unsigned int ms,
				 int ready_fd, struct irq_vm *x)
{
	bool fds_first = chance(r, 1, 3);
	const char *bad = NULL;
	int i;

	if (irq_vm_build(x, r)) {
		bad = "cannot build the irqchip VM";
		goto out;
	}
	pthread_create(&x->writer, NULL, irq_writer, x);
	for (i = 0; i < x->nvcpu; i++) {
		void **a = malloc(2 * sizeof(void *));

		a[0] = x;
		a[1] = (void *)(uintptr_t)i;
		pthread_create(&x->thr[i], NULL, irq_vcpu_thread, a);
	}
	while (x->running < x->nvcpu)
		sched_yield();
	if (ready_fd >= 0) {	/* the parent kills us from now on */
		if (write(ready_fd, "r", 1) != 1)
			_exit(3);
		for (;;)	/* killed in the middle of a VM change, maybe */
			irq_poke(x, r, 1000);
	}
	if (chance(r, 2, 3))
		irq_poke(x, r, ms);
	else
		irq_sleep_ms(ms);
	if (fds_first)
		irq_close_fds(x);
	if (how == 1) {			/* the VM goes first */
		irq_close_vm(x);
		x->stop = true;
		for (i = 0; i < x->nvcpu; i++)
			if (irq_join(x->thr[i]) && !bad)
				bad = "a vCPU thread did not come back from KVM_RUN";
		irq_close_vcpus(x);
	} else {			/* vCPU fds under the running threads */
		irq_close_vcpus(x);
		irq_sleep_ms(rnd(r, 5));
		x->stop = true;
		for (i = 0; i < x->nvcpu; i++)
			if (irq_join(x->thr[i]) && !bad)
				bad = "a vCPU thread did not come back from KVM_RUN";
		irq_close_vm(x);
	}
	/* the writer outlives the VM: its irqfds go while it writes */
	irq_sleep_ms(rnd(r, 3));
	x->wstop = true;
	pthread_join(x->writer, NULL);
	memcpy(&x->taken, x->mem + IRQ_COUNT, 4);
out:
	irq_close_fds(x);
	irq_close_vcpus(x);
	irq_close_vm(x);
	if (x->mem)
		munmap(x->mem, IRQ_MEM_SIZE);
	return bad;
}

/* A fresh irqchip VM must still build and run. */
static bool irq_still_works(uint64_t seed)
{
	struct irq_vm x;
	struct rng r;
	bool ok;
	long ret;

	rng_seed(&r, seed);
	ok = !irq_vm_build(&x, &r);
	if (ok) {
		run_timer_arm_every(50, 50);
		ret = xioctl(x.vcpu[0], KVM_RUN, 0);
		run_timer_disarm();
		ok = ret == -EINTR || ret == 0;
	}
	irq_close_fds(&x);
	irq_close_vcpus(&x);
	irq_close_vm(&x);
	if (x.mem)
		munmap(x.mem, IRQ_MEM_SIZE);
	return ok;
}

int life_irq(const char *dev, uint64_t seed, uint64_t iterations);
int life_irq(const char *dev, uint64_t seed, uint64_t iterations)
{
	static const char *const hows[] = { "kill", "vm", "vcpu" };
	uint64_t it, n[3] = { 0 }, runs = 0, writes = 0, vcpus = 0, taken = 0;
	uint64_t pokes = 0;
	double t0 = now_sec();
	const char *bad;

	irq_dev_path = dev;
	for (it = 0; it < iterations; it++) {
		struct irq_vm x;
		struct rng r;
		int how;
		unsigned int ms;

		rng_seed(&r, unit_seed(seed, 0x49520000 + it));
		how = rnd(&r, 3);
		ms = rnd(&r, 30);
		n[how]++;
		if (how == 0) {
			int p[2], st;
			pid_t pid;
			char c;

			if (pipe(p))
				return 1;
			pid = fork();
			if (pid == 0) {
				close(p[0]);
				irq_iteration(&r, how, ms, p[1], &x);
				_exit(3);	/* it could not build */
			}
			close(p[1]);
			if (read(p[0], &c, 1) != 1)
				irq_fail(seed, "the child could not start its "
					 "irqchip VM", it);
			close(p[0]);
			irq_sleep_ms(ms);
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
		} else {
			bad = irq_iteration(&r, how, ms, -1, &x);
			if (bad)
				irq_fail(seed, bad, it);
			runs += x.runs;
			writes += x.writes;
			taken += x.taken;
			pokes += x.pokes;
			vcpus += x.nvcpu;
		}
		if (!(it % 10) || it + 1 == iterations) {
			const char *k = kmsg_check();

			if (k) {
				irq_fail(seed, "kernel log", it);
				printf("FAIL:   %s\n", k);
			}
			if (!irq_still_works(unit_seed(seed, 0x49530000 + it)))
				irq_fail(seed, "no irqchip VM runs afterwards",
					 it);
		}
		if (irq_failures >= 5)
			break;
	}
	printf("# irq: %" PRIu64 " iterations (%s %" PRIu64 ", %s %" PRIu64
	       ", %s %" PRIu64 "); in-process: %" PRIu64 " vCPUs, %" PRIu64
	       " KVM_RUN, %" PRIu64 " interrupts taken by the guests, %" PRIu64
	       " eventfd writes, %" PRIu64 " VM changes under them; %.1fs\n",
	       it, hows[0], n[0], hows[1], n[1], hows[2], n[2], vcpus, runs,
	       taken, writes, pokes, now_sec() - t0);
	return irq_failures ? 1 : 0;
}
