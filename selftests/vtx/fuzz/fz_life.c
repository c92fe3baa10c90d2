// SPDX-License-Identifier: GPL-2.0
/*
 * vtx-life-fuzz: VM lifetime stress.
 *
 *   vtx-life-fuzz [--device PATH] [--seed N] cycle [--iterations N]
 *	create VMs, vCPUs and memslots, run them, and tear everything down
 *	in a random order (vCPU fds, run mappings, VM fds, slot memory,
 *	device fds), sometimes keeping a VM alive across iterations;
 *   vtx-life-fuzz ... kill [--count N]
 *	a child process runs guests on several threads (and changes slots);
 *	the parent kill -9s it in the middle of KVM_RUN;
 *   vtx-life-fuzz ... race [--time SEC]
 *	threads on one VM: two vCPUs running, memslots added, moved and
 *	deleted, the memory under a slot remapped, mprotect'ed and zapped,
 *	dirty logs, ioeventfds, vCPU ioctls from other threads, vCPUs
 *	created, and netlink statistics read, all at once;
 *   vtx-life-fuzz ... createclose [--time SEC]
 *	KVM_CREATE_VM on one thread while another closes the new fd as soon
 *	as it exists and a third lists VMs over netlink;
 *   vtx-life-fuzz ... hotplug [--time SEC]
 *	vCPU threads run while CPU 1 goes offline and online and the threads
 *	move between CPUs;
 *   vtx-life-fuzz ... irq [--iterations N]
 *	VMs with the irqchip, a PIT, armed LAPIC timers and irqfds being
 *	written, destroyed under running vCPUs or killed (fz_life_irq.c);
 *   vtx-life-fuzz ... hold
 *	create a VM, print "holding", wait for a signal (rmmod while a VM
 *	exists must fail).
 *
 * Each prints PASS or FAIL and exits 0 or 1.  A failure is a kernel log
 * line of the dmesg_check kind, a guest that stops answering, or an
 * operation that should work and does not (creating a VM afterwards).
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fz.h"
#include "fz_msr.h"
#include "fz_genl.h"

static const char *dev_path;
static uint64_t opt_seed = 1;

int life_irq(const char *dev, uint64_t seed, uint64_t iterations);
static uint64_t failures;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	failures++;
	printf("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" (seed 0x%" PRIx64 ")\n", opt_seed);
}

static void check_kmsg(const char *what)
{
	const char *bad = kmsg_check();

	if (bad)
		fail("kernel log after %s: %s", what, bad);
}

static void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---------------------------------------------------------------- cycle */

enum action { A_VCPU, A_RUNMAP, A_VM, A_MEM, A_DEV };
struct closer {
	enum action what;
	int fd;
	void *p;
	size_t len;
};

static int cycle(uint64_t iterations)
{
	struct fz_agent hold = { .vm = -1, .vcpu = -1 };
	int hold_dev = -1;
	uint64_t it, runs = 0, vms = 0, vcpus = 0;
	double t0 = now_sec();

	for (it = 0; it < iterations; it++) {
		struct closer c[64];
		int nc = 0, i, nvm, dev;
		struct rng r;

		rng_seed(&r, unit_seed(opt_seed, it));
		dev = fz_open_dev(dev_path);
		if (dev < 0) {
			fail("iteration %" PRIu64 ": open: %s", it, strerror(errno));
			break;
		}
		c[nc++] = (struct closer){ A_DEV, dev };
		nvm = 1 + rnd(&r, 2);
		for (i = 0; i < nvm; i++) {
			struct fz_agent a;
			int k, nv = rnd(&r, 4), ret;
			void *slot1;
			size_t sz = (1 + rnd(&r, 64)) * PAGE_SIZE;

			ret = fz_agent_create(&a, dev);
			if (ret) {
				fail("iteration %" PRIu64 ": VM setup: %s", it,
				     errno_name(-ret));
				fz_agent_destroy(&a);
				continue;
			}
			vms++;
			vcpus++;
			slot1 = mmap(NULL, sz, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			fz_set_slot(a.vm, 1, chance(&r, 1, 3) ?
				    KVM_MEM_LOG_DIRTY_PAGES : 0, 0x40000000,
				    sz, slot1);
			ret = fz_agent_run(&a);
			if (!ret)
				ret = fz_agent_cmd(&a, FZ_AGENT_STRIDE_WRITE,
						   0x40000000 - 2 * PAGE_SIZE,
						   it, 4 + sz / PAGE_SIZE,
						   PAGE_SIZE, NULL);
			runs++;
			if (ret)
				fail("iteration %" PRIu64 ": agent: %d", it, ret);
			for (k = 0; k < nv; k++) {
				struct kvm_run *run;
				int fd;

				if (fz_agent_add_vcpu(&a, dev, 1 + rnd(&r, 60),
						      &run, &fd))
					continue;
				vcpus++;
				if (chance(&r, 1, 2)) {
					run_timer_arm(2000);
					xioctl(fd, KVM_RUN, 0);
					run_timer_disarm();
					runs++;
				}
				c[nc++] = (struct closer){ A_VCPU, fd };
				c[nc++] = (struct closer){ A_RUNMAP, -1, run,
							   a.run_size };
			}
			c[nc++] = (struct closer){ A_VCPU, a.vcpu };
			c[nc++] = (struct closer){ A_RUNMAP, -1, a.run,
						   a.run_size };
			c[nc++] = (struct closer){ A_VM, a.vm };
			c[nc++] = (struct closer){ A_MEM, -1, a.low, 0x100000 };
			c[nc++] = (struct closer){ A_MEM, -1, slot1, sz };
			/* sometimes one VM outlives the iteration */
			if (hold.vm < 0 && chance(&r, 1, 8)) {
				nc -= 5;
				hold = a;
				hold_dev = -1;
			}
		}
		/* tear down in a random order */
		for (i = nc - 1; i > 0; i--) {
			int j = rnd(&r, i + 1);
			struct closer t = c[i];

			c[i] = c[j];
			c[j] = t;
		}
		for (i = 0; i < nc; i++) {
			switch (c[i].what) {
			case A_VCPU: case A_VM: case A_DEV:
				close(c[i].fd);
				break;
			case A_RUNMAP: case A_MEM:
				munmap(c[i].p, c[i].len);
				break;
			}
		}
		if (hold.vm >= 0 && chance(&r, 1, 16)) {
			int ret = fz_agent_cmd(&hold, FZ_AGENT_WRITE64,
					       0x1000 * 200, it, 0, 0, NULL);

			if (ret)
				fail("held VM: agent: %d", ret);
			fz_agent_destroy(&hold);
			hold.vm = -1;
		}
		if (!(it % 100))
			check_kmsg("VM lifecycle iterations");
	}
	if (hold.vm >= 0)
		fz_agent_destroy(&hold);
	(void)hold_dev;
	check_kmsg("VM lifecycle iterations");
	printf("# cycle: %" PRIu64 " iterations, %" PRIu64 " VMs, %" PRIu64
	       " vCPUs, %" PRIu64 " runs in %.1fs\n", it, vms, vcpus, runs,
	       now_sec() - t0);
	return 0;
}

/* ----------------------------------------------------------------- kill */

static void child_guest(int ready_fd, uint64_t seed)
{
	struct fz_agent a;
	struct rng r;
	int dev = fz_open_dev(dev_path), i;
	void *slot1 = mmap(NULL, 0x200000, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pid_t kid;

	rng_seed(&r, seed);
	if (dev < 0 || fz_agent_create(&a, dev) || fz_agent_run(&a))
		_exit(3);
	fz_set_slot(a.vm, 1, 0, 0x40000000, 0x200000, slot1);
	/* extra vCPUs in threads of their own (forked: simpler, same mm?) no:
	 * threads share the mm, which KVM requires */
	for (i = 0; i < (int)rnd(&r, 3); i++) {
		struct kvm_run *run;
		int fd;

		if (fz_agent_add_vcpu(&a, dev, 1 + i, &run, &fd))
			continue;
		kid = fork();
		(void)kid;
		/* a forked process cannot use the VM (-EIO); it only holds
		 * the fds: killing both must release everything */
		if (kid == 0) {
			xioctl(fd, KVM_RUN, 0);
			pause();
			_exit(0);
		}
	}
	/* a long guest loop: 1e9 writes, no exit but host interrupts */
	if (write(ready_fd, "r", 1) != 1)
		_exit(3);
	fz_agent_cmd(&a, FZ_AGENT_STRIDE_WRITE, 0x40000000, 1, 1000000000ULL,
		     chance(&r, 1, 2) ? 8 : 0, NULL);
	_exit(0);
}

struct racer_arg {
	struct fz_agent *a;
	volatile bool *stop;
	uint64_t seed;
	int vcpu_fd;
	struct kvm_run *run;
	uint64_t runs;
};

static void *kill_runner(void *p)
{
	struct racer_arg *ra = p;

	fz_agent_reset_vcpu(ra->vcpu_fd);
	for (;;)
		xioctl(ra->vcpu_fd, KVM_RUN, 0);
	return NULL;
}

static void child_threads(int ready_fd, uint64_t seed)
{
	struct fz_agent a;
	struct rng r;
	int dev = fz_open_dev(dev_path), i, n;
	void *slot1 = mmap(NULL, 0x200000, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	rng_seed(&r, seed);
	if (dev < 0 || fz_agent_create(&a, dev) || fz_agent_run(&a))
		_exit(3);
	fz_set_slot(a.vm, 1, 0, 0x40000000, 0x200000, slot1);
	n = 1 + rnd(&r, 3);
	for (i = 0; i < n; i++) {
		static struct racer_arg ra[4];
		pthread_t t;

		if (fz_agent_add_vcpu(&a, dev, 1 + i, &ra[i].run,
				      &ra[i].vcpu_fd))
			continue;
		pthread_create(&t, NULL, kill_runner, &ra[i]);
	}
	if (write(ready_fd, "r", 1) != 1)
		_exit(3);
	/* vCPU 0 in a long loop while this thread also moves a slot */
	if (chance(&r, 1, 2)) {
		for (;;) {
			fz_set_slot(a.vm, 1, 0, 0x40000000, 0, slot1);
			fz_set_slot(a.vm, 1, 0, 0x40000000, 0x200000, slot1);
		}
	}
	fz_agent_cmd(&a, FZ_AGENT_STRIDE_WRITE, 0x40000000, 1, 1000000000ULL,
		     8, NULL);
	_exit(0);
}

static int kill_test(uint64_t count)
{
	uint64_t i, killed = 0;
	double t0 = now_sec();

	for (i = 0; i < count; i++) {
		struct rng r;
		int p[2], st;
		pid_t pid;
		char c;

		rng_seed(&r, unit_seed(opt_seed, 0x4b000000 + i));
		if (pipe(p))
			return 1;
		pid = fork();
		if (pid == 0) {
			close(p[0]);
			/* the child's children die with it (same group) */
			setpgid(0, 0);
			if (chance(&r, 1, 2))
				child_threads(p[1], rng_next(&r));
			else
				child_guest(p[1], rng_next(&r));
			_exit(0);
		}
		close(p[1]);
		if (read(p[0], &c, 1) != 1) {
			waitpid(pid, &st, 0);
			fail("kill %" PRIu64 ": the child could not start a guest "
			     "(status 0x%x)", i, st);
			close(p[0]);
			continue;
		}
		close(p[0]);
		msleep(rnd(&r, 40));
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		/* reap grandchildren of the group */
		while (waitpid(-pid, &st, WNOHANG) > 0)
			;
		killed++;
		if (!(i % 10)) {
			int dev = fz_open_dev(dev_path);
			struct fz_agent a;

			/* the driver still works after the kills */
			if (dev < 0 || fz_agent_create(&a, dev) ||
			    fz_agent_run(&a))
				fail("kill %" PRIu64 ": no VM can run afterwards",
				     i);
			fz_agent_destroy(&a);
			if (dev >= 0)
				close(dev);
			check_kmsg("kill -9 during KVM_RUN");
		}
	}
	/* orphans of a killed child (forked holders) were in its group */
	check_kmsg("kill -9 during KVM_RUN");
	printf("# kill: %" PRIu64 " children killed in KVM_RUN in %.1fs\n",
	       killed, now_sec() - t0);
	return 0;
}

/* ----------------------------------------------------------------- race */

struct race {
	struct fz_agent a;
	int dev;
	int vcpu1;
	struct kvm_run *run1;
	uint8_t *slot1, *slot2;
	volatile bool stop;
	uint64_t ops[8];
	int efd;
	uint32_t vm_id;
};

#define SLOT1_GPA	0x40000000ULL
#define SLOT1_SIZE	0x200000ULL
#define SLOT2_GPA	0x80000000ULL
#define SLOT2_SIZE	0x100000ULL

static void *race_vcpu0(void *p)
{
	struct race *x = p;
	struct rng r;
	int ret;

	rng_seed(&r, unit_seed(opt_seed, 0x5230));
	run_timer_init();
	while (!x->stop) {
		uint64_t base = chance(&r, 1, 2) ? SLOT1_GPA : SLOT2_GPA;

		ret = fz_agent_cmd(&x->a, chance(&r, 1, 2) ?
				   FZ_AGENT_STRIDE_WRITE : FZ_AGENT_STRIDE_READ,
				   base + rnd(&r, 64) * PAGE_SIZE, rng_next(&r),
				   1 + rnd(&r, 128), PAGE_SIZE, NULL);
		x->ops[0]++;
		if (ret == -EFAULT || ret == -EINTR) {
			/*
			 * Memory gone under it, or the timer: the agent
			 * stopped inside its stride loop, not at its READY
			 * stop, where the next command's registers would
			 * be taken for the loop's (RDX 0: 2^64 rounds).
			 */
			x->ops[5]++;
			ret = fz_agent_restart(&x->a);
			if (ret == -EFAULT || ret == -EINTR)
				continue;
		}
		if (ret) {
			fail("race: vCPU 0 agent: %d", ret);
			break;
		}
	}
	return NULL;
}

/* vCPU 1 runs the agent too, from its own entry, without a protocol */
static void *race_vcpu1(void *p)
{
	struct race *x = p;

	run_timer_init();
	while (!x->stop) {
		struct kvm_regs rg;

		run_timer_arm(50);
		if (xioctl(x->vcpu1, KVM_RUN, 0) == 0 &&
		    x->run1->exit_reason == KVM_EXIT_IO &&
		    !xioctl(x->vcpu1, KVM_GET_REGS, (unsigned long)&rg)) {
			rg.rax = FZ_AGENT_STRIDE_WRITE;
			rg.rbx = SLOT1_GPA + (x->ops[1] % 256) * PAGE_SIZE;
			rg.rdx = 64;
			rg.r8 = 4096;
			xioctl(x->vcpu1, KVM_SET_REGS, (unsigned long)&rg);
		}
		run_timer_disarm();
		x->ops[1]++;
	}
	return NULL;
}

static void *race_slots(void *p)
{
	struct race *x = p;
	struct rng r;
	static unsigned long bitmap[SLOT1_SIZE / PAGE_SIZE / 64 + 1];

	rng_seed(&r, unit_seed(opt_seed, 0x5231));
	while (!x->stop) {
		struct kvm_dirty_log l = { .slot = 1, .dirty_bitmap = bitmap };

		switch (rnd(&r, 6)) {
		case 0:
			fz_set_slot(x->a.vm, 1, 0, SLOT1_GPA, 0, x->slot1);
			break;
		case 1:
			fz_set_slot(x->a.vm, 1, 0, SLOT1_GPA, SLOT1_SIZE,
				    x->slot1);
			break;
		case 2:		/* move it and back */
			fz_set_slot(x->a.vm, 1, 0, SLOT1_GPA + SLOT1_SIZE,
				    SLOT1_SIZE, x->slot1);
			fz_set_slot(x->a.vm, 1, 0, SLOT1_GPA, SLOT1_SIZE,
				    x->slot1);
			break;
		case 3:
			fz_set_slot(x->a.vm, 1, KVM_MEM_LOG_DIRTY_PAGES,
				    SLOT1_GPA, SLOT1_SIZE, x->slot1);
			break;
		case 4:
			xioctl(x->a.vm, KVM_GET_DIRTY_LOG, (unsigned long)&l);
			break;
		default: {
			struct kvm_ioeventfd e = {
				.addr = SLOT1_GPA + rnd(&r, 4) * PAGE_SIZE,
				.len = 8, .fd = x->efd,
				.flags = chance(&r, 1, 2) ?
					 KVM_IOEVENTFD_FLAG_DEASSIGN : 0,
			};

			xioctl(x->a.vm, KVM_IOEVENTFD, (unsigned long)&e);
			break;
		}
		}
		x->ops[2]++;
	}
	return NULL;
}

static void *race_mem(void *p)
{
	struct race *x = p;
	struct rng r;

	rng_seed(&r, unit_seed(opt_seed, 0x5232));
	while (!x->stop) {
		size_t off = rnd(&r, SLOT2_SIZE / PAGE_SIZE) * PAGE_SIZE;

		switch (rnd(&r, 4)) {
		case 0:
			mmap(x->slot2, SLOT2_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			break;
		case 1:
			mprotect(x->slot2 + off, PAGE_SIZE, PROT_READ);
			msleep(1);
			mprotect(x->slot2 + off, PAGE_SIZE,
				 PROT_READ | PROT_WRITE);
			break;
		case 2:
			madvise(x->slot2 + off, 16 * PAGE_SIZE, MADV_DONTNEED);
			break;
		default:
			x->slot2[off] ^= 1;	/* COW/host write */
			break;
		}
		x->ops[3]++;
	}
	return NULL;
}

static void *race_misc(void *p)
{
	struct race *x = p;
	struct rng r;
	struct genl_vtx g;
	bool nl = !genl_vtx_open(&g);

	rng_seed(&r, unit_seed(opt_seed, 0x5233));
	while (!x->stop) {
		struct kvm_regs rg;
		struct { struct kvm_msrs h; struct kvm_msr_entry e[1]; } m = {
			.h.nmsrs = 1, .e[0].index = MSR_STAR };
		long fd;

		switch (rnd(&r, 5)) {
		case 0:		/* blocks on the vCPU mutex while it runs */
			xioctl(x->vcpu1, KVM_GET_REGS, (unsigned long)&rg);
			break;
		case 1:
			xioctl(x->vcpu1, KVM_GET_MSRS, (unsigned long)&m);
			break;
		case 2:		/* vCPUs until the limit */
			fd = xioctl(x->a.vm, KVM_CREATE_VCPU, 2 + rnd(&r, 70));
			if (fd >= 0)
				close(fd);
			break;
		case 3:
			if (nl) {
				genl_vtx_list(&g, NULL);
				genl_vtx_stats(&g, x->vm_id, false);
			}
			break;
		default:
			if (nl)
				genl_vtx_stats(&g, x->vm_id, chance(&r, 1, 4));
			break;
		}
		x->ops[4]++;
	}
	if (nl)
		genl_vtx_close(&g);
	return NULL;
}

static int race_test(double secs)
{
	pthread_t t[5];
	struct race *x = calloc(1, sizeof(*x));
	void *(*fn[5])(void *) = { race_vcpu0, race_vcpu1, race_slots,
				   race_mem, race_misc };
	int i, ret;

	x->dev = fz_open_dev(dev_path);
	if (x->dev < 0 || fz_agent_create(&x->a, x->dev) ||
	    fz_agent_run(&x->a)) {
		fail("race: cannot set up the VM");
		return 1;
	}
	x->slot1 = mmap(NULL, SLOT1_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	x->slot2 = mmap(NULL, SLOT2_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	x->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fz_set_slot(x->a.vm, 1, 0, SLOT1_GPA, SLOT1_SIZE, x->slot1);
	fz_set_slot(x->a.vm, 2, 0, SLOT2_GPA, SLOT2_SIZE, x->slot2);
	if (fz_agent_add_vcpu(&x->a, x->dev, 1, &x->run1, &x->vcpu1)) {
		fail("race: no second vCPU");
		return 1;
	}
	/* the VM's id for netlink: the newest VM of this process */
	x->vm_id = 0;
	{
		struct genl_vtx g;

		if (!genl_vtx_open(&g)) {
			genl_vtx_list(&g, &x->vm_id);
			genl_vtx_close(&g);
		}
	}
	for (i = 0; i < 5; i++)
		pthread_create(&t[i], NULL, fn[i], x);
	msleep(secs * 1000);
	x->stop = true;
	for (i = 0; i < 5; i++)
		pthread_join(t[i], NULL);
	/* the VM still works, from the agent's READY stop */
	fz_set_slot(x->a.vm, 1, 0, SLOT1_GPA, SLOT1_SIZE, x->slot1);
	run_timer_init();
	ret = fz_agent_restart(&x->a);
	if (!ret)
		ret = fz_agent_cmd(&x->a, FZ_AGENT_WRITE64, SLOT1_GPA + 8,
				   0x1234, 0, 0, NULL);
	if (ret != 0 && ret != -EFAULT) {
		struct kvm_regs rg = { 0 };

		xioctl(x->a.vcpu, KVM_GET_REGS, (unsigned long)&rg);
		fail("race: the VM does not run any more: %d (rip %llx rdx %llx)",
		     ret, rg.rip, rg.rdx);
	}
	if (!ret && ((uint64_t *)x->slot1)[1] != 0x1234)
		fail("race: a guest write did not reach slot 1's memory");
	printf("# race: %.0fs: vCPU0 %" PRIu64 " cmds (%" PRIu64
	       " cut short), vCPU1 %" PRIu64 " runs, slot ops %" PRIu64
	       ", memory ops %" PRIu64 ", misc %" PRIu64 "\n", secs, x->ops[0],
	       x->ops[5], x->ops[1], x->ops[2], x->ops[3], x->ops[4]);
	munmap(x->run1, x->a.run_size);
	close(x->vcpu1);
	fz_agent_destroy(&x->a);
	close(x->dev);
	munmap(x->slot1, SLOT1_SIZE);
	munmap(x->slot2, SLOT2_SIZE);
	close(x->efd);
	free(x);
	check_kmsg("racing threads on one VM");
	return 0;
}

/* ---------------------------------------------------------- createclose */

static volatile bool cc_stop;
static int cc_dev, cc_base;
static uint64_t cc_created, cc_closed;

static void *cc_creator(void *p)
{
	while (!cc_stop) {
		long fd = xioctl(cc_dev, KVM_CREATE_VM, 0);

		if (fd >= 0) {
			cc_created++;
			close(fd);	/* EBADF when the closer won */
		}
	}
	return NULL;
}

static void *cc_closer(void *p)
{
	while (!cc_stop) {
		int fd;

		for (fd = cc_base; fd < cc_base + 2; fd++)
			if (!close(fd))
				cc_closed++;
	}
	return NULL;
}

static void *cc_lister(void *p)
{
	struct genl_vtx g;

	if (genl_vtx_open(&g))
		return NULL;
	while (!cc_stop)
		genl_vtx_list(&g, NULL);
	genl_vtx_close(&g);
	return NULL;
}

static int createclose(double secs)
{
	pthread_t t[4];
	int i;

	cc_dev = fz_open_dev(dev_path);
	if (cc_dev < 0)
		return 1;
	/* the lister's socket first, so that new VM fds are the lowest */
	pthread_create(&t[2], NULL, cc_lister, NULL);
	pthread_create(&t[3], NULL, cc_lister, NULL);
	msleep(200);
	cc_base = dup(0);
	close(cc_base);
	pthread_create(&t[0], NULL, cc_creator, NULL);
	pthread_create(&t[1], NULL, cc_closer, NULL);
	msleep(secs * 1000);
	cc_stop = true;
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	close(cc_dev);
	printf("# createclose: %" PRIu64 " VMs created, %" PRIu64
	       " closed by the other thread\n", cc_created, cc_closed);
	check_kmsg("create/close race");
	return 0;
}

/* -------------------------------------------------------------- hotplug */

/*
 * vCPU threads run guests while CPU 1 goes offline and online again and
 * the threads are pushed from CPU to CPU: vtx turns VMX off on a dying CPU
 * (VMCLEARing what was loaded there) and on again when it comes back, and
 * a vCPU's VMCS follows its thread.
 */
struct hp_arg {
	struct fz_agent *a;
	int fd;
	struct kvm_run *run;
	volatile bool *stop;
	uint64_t runs;
};

static void *hp_vcpu(void *p)
{
	struct hp_arg *h = p;
	struct rng r;
	cpu_set_t set;

	rng_seed(&r, unit_seed(opt_seed, 0x4870 + h->fd));
	run_timer_init();
	while (!*h->stop) {
		run_timer_arm(100);
		xioctl(h->fd, KVM_RUN, 0);
		run_timer_disarm();
		h->runs++;
		CPU_ZERO(&set);
		CPU_SET(rnd(&r, 2), &set);
		sched_setaffinity(0, sizeof(set), &set);	/* may fail */
	}
	return NULL;
}

static int hotplug(double secs)
{
	const char *online = "/sys/devices/system/cpu/cpu1/online";
	struct fz_agent a;
	struct hp_arg h[2];
	pthread_t t[2];
	volatile bool stop = false;
	double t0 = now_sec();
	int dev, i, fd, flips = 0, ret;

	fd = open(online, O_WRONLY);
	if (fd < 0) {
		printf("# hotplug: no %s, nothing to do\n", online);
		return 0;
	}
	dev = fz_open_dev(dev_path);
	if (dev < 0 || fz_agent_create(&a, dev) || fz_agent_run(&a)) {
		fail("hotplug: cannot set up the VM");
		return 1;
	}
	for (i = 0; i < 2; i++) {
		h[i].a = &a;
		h[i].stop = &stop;
		h[i].runs = 0;
		if (fz_agent_add_vcpu(&a, dev, 1 + i, &h[i].run, &h[i].fd)) {
			fail("hotplug: no vCPU %d", i + 1);
			return 1;
		}
		pthread_create(&t[i], NULL, hp_vcpu, &h[i]);
	}
	while (now_sec() - t0 < secs) {
		if (pwrite(fd, "0", 1, 0) == 1)
			flips++;
		msleep(20);
		if (pwrite(fd, "1", 1, 0) == 1)
			flips++;
		msleep(30);
	}
	stop = true;
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	if (pwrite(fd, "1", 1, 0) != 1)
		printf("# hotplug: CPU 1 may have stayed offline\n");
	close(fd);
	ret = fz_agent_cmd(&a, FZ_AGENT_WRITE64, 0x90000, 0x55, 0, 0, NULL);
	if (ret || ((uint64_t *)a.low)[0x90000 / 8] != 0x55)
		fail("hotplug: the VM does not run afterwards (%d)", ret);
	printf("# hotplug: %d CPU 1 online/offline changes, %" PRIu64 " + %"
	       PRIu64 " runs in %.0fs\n", flips, h[0].runs, h[1].runs, secs);
	for (i = 0; i < 2; i++) {
		munmap(h[i].run, a.run_size);
		close(h[i].fd);
	}
	fz_agent_destroy(&a);
	close(dev);
	check_kmsg("CPU hotplug with running vCPUs");
	return 0;
}

/* ----------------------------------------------------------------- hold */

static int hold(void)
{
	int dev = fz_open_dev(dev_path);
	struct fz_agent a;

	if (dev < 0 || fz_agent_create(&a, dev) || fz_agent_run(&a)) {
		printf("FAIL: hold: cannot create a VM\n");
		return 1;
	}
	printf("holding a VM\n");
	fflush(stdout);
	pause();
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = NULL;
	uint64_t n = 0;
	double secs = 10;
	int i, ret;

	dev_path = fz_device(&argc, argv);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			opt_seed = strtoull(argv[++i], NULL, 0);
		else if ((!strcmp(argv[i], "--iterations") ||
			  !strcmp(argv[i], "--count")) && i + 1 < argc)
			n = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--time") && i + 1 < argc)
			secs = strtod(argv[++i], NULL);
		else if (!cmd)
			cmd = argv[i];
		else
			cmd = "";
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	kmsg_open();
	run_timer_init();
	if (!cmd)
		cmd = "";
	printf("# vtx-life-fuzz %s: device %s seed 0x%" PRIx64 "\n", cmd,
	       dev_path, opt_seed);
	if (!strcmp(cmd, "cycle"))
		ret = cycle(n ? n : 100);
	else if (!strcmp(cmd, "kill"))
		ret = kill_test(n ? n : 20);
	else if (!strcmp(cmd, "race"))
		ret = race_test(secs);
	else if (!strcmp(cmd, "createclose"))
		ret = createclose(secs);
	else if (!strcmp(cmd, "hotplug"))
		ret = hotplug(secs);
	else if (!strcmp(cmd, "irq"))
		ret = life_irq(dev_path, opt_seed, n ? n : 20);
	else if (!strcmp(cmd, "hold"))
		return hold();
	else {
		fprintf(stderr, "usage: vtx-life-fuzz [--device PATH] [--seed N] "
			"cycle|kill|race|createclose|hotplug|irq|hold [--iterations N] "
			"[--count N] [--time SEC]\n");
		return 2;
	}
	printf("%s: life-fuzz %s seed=0x%" PRIx64 " failures=%" PRIu64 "\n",
	       ret || failures ? "FAIL" : "PASS", cmd, opt_seed, failures);
	return ret || failures ? 1 : 0;
}
