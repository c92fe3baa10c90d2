// SPDX-License-Identifier: GPL-2.0
/*
 * vtx-ioctl-fuzz: KVM_RUN after random state, the answer to its exits the
 * way a VMM would give it, and a second thread running a vCPU.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fz_ioctl.h"

static void answer_exit(struct rng *r, struct kvm_run *run, size_t run_size)
{
	if (run->exit_reason == KVM_EXIT_IO &&
	    run->io.direction == KVM_EXIT_IO_IN &&
	    run->io.data_offset >= sizeof(*run) &&
	    run->io.data_offset + (uint64_t)run->io.size * run->io.count <=
	    run_size)
		rnd_fill(r, (uint8_t *)run + run->io.data_offset,
			 run->io.size * run->io.count);
	else if (run->exit_reason == KVM_EXIT_MMIO && !run->mmio.is_write)
		rnd_fill(r, run->mmio.data, sizeof(run->mmio.data));
	else if (run->exit_reason == KVM_EXIT_HYPERCALL)
		run->hypercall.ret = rnd_interesting(r);
}

static void count_exit(uint32_t reason)
{
	n_exit[reason < 63 ? reason : 63]++;
}

static bool known_exit(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_IO: case KVM_EXIT_MMIO: case KVM_EXIT_HLT:
	case KVM_EXIT_SHUTDOWN: case KVM_EXIT_FAIL_ENTRY: case KVM_EXIT_INTR:
	case KVM_EXIT_INTERNAL_ERROR: case KVM_EXIT_HYPERCALL:
	case KVM_EXIT_IRQ_WINDOW_OPEN: case KVM_EXIT_SET_TPR:
	case KVM_EXIT_DEBUG: case KVM_EXIT_UNKNOWN: case KVM_EXIT_EXCEPTION:
	case KVM_EXIT_SYSTEM_EVENT: case KVM_EXIT_X86_RDMSR:
	case KVM_EXIT_X86_WRMSR: case KVM_EXIT_TPR_ACCESS:
		return true;
	}
	return false;
}

/* Force RFLAGS.IF = 1 (see the file comment) and maybe a RIP in RAM. */
void make_runnable(struct session *s, int fd)
{
	struct kvm_regs rg;

	if (xioctl(fd, KVM_GET_REGS, (unsigned long)&rg))
		return;
	n_ioctls += 2;
	rg.rflags |= 0x200;
	rg.rflags &= ~0x100ULL;		/* no single-stepping either */
	if (chance(&s->r, 1, 3)) {
		struct fslot *sh = &s->slots[rnd(&s->r, MAX_SLOTS)];

		if (sh->used && sh->size)
			rg.rip = sh->gpa + rnd(&s->r, sh->size);
	}
	xioctl(fd, KVM_SET_REGS, (unsigned long)&rg);
}

void run_op(struct session *s)
{
	int i = pick_vcpu(s), n, k;
	struct fvcpu *v;
	long r;

	if (i < 0) {
		create_vcpu(s);
		return;
	}
	v = &s->vcpus[i];
	if (chance(&s->r, 1, 3)) {
		struct kvm_sregs sr;

		fz_mode_sregs(&sr, rnd(&s->r, FZ_NR_MODES),
			      chance(&s->r, 1, 4) * 3);
		sr.cr3 = chance(&s->r, 1, 2) ? sr.cr3 : rnd(&s->r, 0x400) << 12;
		fz_ioctl(s, v->fd, KVM_SET_SREGS, (unsigned long)&sr,
			 "KVM_SET_SREGS(mode)");
	}
	n = 1 + rnd(&s->r, 6);
	/*
	 * With an in-kernel LAPIC the guest's HLT sleeps in the kernel until
	 * an interrupt or the timer: a short timer, two runs at most.
	 */
	if (vcpu_has_irqchip(s, i)) {
		n = 1 + (n & 1);
		run_timer_arm_every(5, 5);
	} else {
		run_timer_arm(200);
	}
	for (k = 0; k < n; k++) {
		make_runnable(s, v->fd);
		v->run->immediate_exit = chance(&s->r, 1, 16);
		r = fz_ioctl(s, v->fd, KVM_RUN, chance(&s->r, 31, 32) ? 0 :
			     rnd_interesting(&s->r), "KVM_RUN");
		n_runs++;
		if (r == 0) {
			count_exit(v->run->exit_reason);
			if (!known_exit(v->run->exit_reason)) {
				n_odd++;
				printf("# odd exit reason %u (session %" PRIu64
				       ")\n", v->run->exit_reason, s->idx);
			}
			trace(s, "  exit %s", exit_name(v->run->exit_reason));
			answer_exit(&s->r, v->run, v->run_size);
		}
		/* something else between the exit and its completion */
		if (chance(&s->r, 1, 4))
			vcpu_state_ioctl(s, v->fd);
		if (chance(&s->r, 1, 8))
			slot_op(s);
	}
	run_timer_disarm();
	v->run->immediate_exit = 0;
}

/* ------------------------------------------------------------ racer */

static void *racer_main(void *arg)
{
	struct session *s = arg;
	struct rng r;

	rng_seed(&r, s->seed ^ 0x5a5a5a5a);
	run_timer_init();
	while (!s->stop_racer) {
		struct kvm_regs rg;

		if (!xioctl(s->racer_fd, KVM_GET_REGS, (unsigned long)&rg)) {
			rg.rflags = (rg.rflags | 0x200) & ~0x100ULL;
			xioctl(s->racer_fd, KVM_SET_REGS, (unsigned long)&rg);
		}
		run_timer_arm(100);
		if (xioctl(s->racer_fd, KVM_RUN, 0) == 0)
			answer_exit(&r, s->racer_run, s->racer_run_size);
		run_timer_disarm();
		__atomic_add_fetch(&n_runs, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&n_ioctls, 3, __ATOMIC_RELAXED);
	}
	return NULL;
}

void start_racer(struct session *s)
{
	int i = pick_vcpu(s);

	if (i < 0 || s->racing)
		return;
	s->racer_fd = dup(s->vcpus[i].fd);
	s->racer_run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE,
			    MAP_SHARED, s->racer_fd, 0);
	if (s->racer_run == MAP_FAILED) {
		close(s->racer_fd);
		return;
	}
	s->racer_run_size = mmap_size;
	s->stop_racer = false;
	if (pthread_create(&s->racer, NULL, racer_main, s)) {
		munmap(s->racer_run, mmap_size);
		close(s->racer_fd);
		return;
	}
	s->racing = true;
	trace(s, "racer on vcpu %d", s->vcpus[i].fd);
}

void stop_racer(struct session *s)
{
	if (!s->racing)
		return;
	s->stop_racer = true;
	pthread_join(s->racer, NULL);
	munmap(s->racer_run, s->racer_run_size);
	close(s->racer_fd);
	s->racing = false;
}
