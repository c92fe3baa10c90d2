// SPDX-License-Identifier: GPL-2.0
/*
 * irqfd lifetimes: nothing may crash, hang or leak however userspace
 * orders assignment, deassignment, signals and closes.
 *
 *   random_close      IRQFD_COUNT irqfds per VM, signalled, routes changed
 *                     under them, their eventfds closed in a random order
 *                     (half before the VM fd, half after it: the VM goes
 *                     with live irqfds), IRQFD_ROUNDS times
 *   assign_race       two threads assign and deassign the same eventfd
 *                     and GSI while a third signals it: every assignment
 *                     is 0 or EBUSY, every deassignment 0
 *   close_race        a thread closes eventfds while another assigns them
 *                     and a third signals; the VM fd is closed last
 *
 * The irqchip is the split one (KVM_CAP_SPLIT_IRQCHIP); on vtx before the
 * in-kernel irqchip (issue 16) there is none, and then every assignment
 * must fail with EINVAL (KVM's errno without an irqchip) while the rest
 * runs the same.  On vtx, afterwards, the module's allocation counters
 * must show no irqfd and no routing table left.
 *
 * IRQFD_ITERS (environment) scales the races (default 300).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vcpu_test.h"

#define SPLIT_IOAPIC_PINS	24
#define IRQFD_COUNT		64
#define IRQFD_ROUNDS		4
#define ITERS_DEFAULT		300
#define RACE_GSI		3
#define RACE_FDS		8
#define MSI_ADDR		0xfee00000u
#define MSI_DATA		0x31

static int iters(void)
{
	const char *s = getenv("IRQFD_ITERS");

	return s && atoi(s) > 0 ? atoi(s) : ITERS_DEFAULT;
}

static long irqfd(int vm_fd, int fd, uint32_t gsi, uint32_t flags)
{
	struct kvm_irqfd a = { .fd = fd, .gsi = gsi, .flags = flags };

	return __vtx_ioctl_raw(vm_fd, KVM_IRQFD, (unsigned long)&a);
}

/*
 * A VM with the split irqchip if the driver has one.  Return: what an
 * assignment must answer: 0, or -EINVAL without an irqchip (vtx before
 * issue 16; KVM always has it).
 */
static long vm_with_irqchip(struct __test_metadata *_metadata,
			    struct vtx_vm *vm)
{
	struct kvm_enable_cap c = {
		.cap = KVM_CAP_SPLIT_IRQCHIP, .args[0] = SPLIT_IOAPIC_PINS,
	};
	long r = __vtx_ioctl_raw(vm->fd, KVM_ENABLE_CAP, (unsigned long)&c);

	if (IS_KVM) {
		EXPECT_EQ(0, r);
	} else {
		EXPECT_TRUE(r == 0 || r == -EINVAL)
			TH_LOG("split irqchip: %ld", r);
	}
	return r ? -EINVAL : 0;
}

/* MSI routes for GSIs [0, n), every one to vector MSI_DATA + gsi % 2. */
static long set_msi_routes(int vm_fd, uint32_t n)
{
	struct kvm_irq_routing *r;
	uint32_t i;
	long ret;

	r = calloc(1, sizeof(*r) + n * sizeof(r->entries[0]));
	if (!r)
		vtx_die("out of memory");
	r->nr = n;
	for (i = 0; i < n; i++) {
		r->entries[i].gsi = i;
		r->entries[i].type = KVM_IRQ_ROUTING_MSI;
		r->entries[i].u.msi.address_lo = MSI_ADDR;
		r->entries[i].u.msi.data = MSI_DATA + i % 2;
	}
	ret = __vtx_ioctl_raw(vm_fd, KVM_SET_GSI_ROUTING, (unsigned long)r);
	free(r);
	return ret;
}

static void signal_fd(int fd)
{
	uint64_t one = 1;

	/* A closed or reused fd number is part of the races. */
	if (write(fd, &one, sizeof(one)) < 0 && errno != EBADF &&
	    errno != EAGAIN && errno != EINVAL)
		vtx_die("eventfd write: %s", strerror(errno));
}

/* Nothing of any VM's irqfds or routing is left (vtx only). */
#define EXPECT_NOTHING_LEFT() do {					\
	long _n = vtx_allocs("irqfd");					\
									\
	if (_n >= 0)							\
		EXPECT_EQ(0, _n) TH_LOG("irqfds left");			\
	_n = vtx_allocs("irq_routing");					\
	if (_n >= 0)							\
		EXPECT_EQ(0, _n) TH_LOG("routing tables left");		\
} while (0)

static void shuffle(int *a, int n)
{
	int i, j, t;

	for (i = n - 1; i > 0; i--) {
		j = rand() % (i + 1);
		t = a[i];
		a[i] = a[j];
		a[j] = t;
	}
}

TEST(random_close)
{
	int dev = vtx_open_device(), fds[IRQFD_COUNT], order[IRQFD_COUNT];
	int round, i;

	srand(1);
	for (round = 0; round < IRQFD_ROUNDS; round++) {
		struct vtx_vm *vm = vtx_vm_create_on(dev);
		long expect = vm_with_irqchip(_metadata, vm);

		for (i = 0; i < IRQFD_COUNT; i++) {
			fds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
			ASSERT_LE(0, fds[i]);
			order[i] = i;
			/* GSI i; only the first half will have routes. */
			EXPECT_EQ(expect, irqfd(vm->fd, fds[i], i, 0));
		}
		if (!expect) {
			/* Half of them behind MSI routes: the atomic path. */
			EXPECT_EQ(0, set_msi_routes(vm->fd, IRQFD_COUNT / 2));
		}
		for (i = 0; i < IRQFD_COUNT; i++)
			signal_fd(fds[i]);
		shuffle(order, IRQFD_COUNT);
		for (i = 0; i < IRQFD_COUNT / 2; i++) {
			close(fds[order[i]]);
			/* A routing change among the closes. */
			if (!expect && i % 8 == 0)
				EXPECT_EQ(0, set_msi_routes(vm->fd, i + 1));
		}
		/* Deassign some of the live ones, twice. */
		for (i = IRQFD_COUNT / 2; i < IRQFD_COUNT; i += 4) {
			EXPECT_EQ(0, irqfd(vm->fd, fds[order[i]], order[i],
					   KVM_IRQFD_FLAG_DEASSIGN));
			EXPECT_EQ(0, irqfd(vm->fd, fds[order[i]], order[i],
					   KVM_IRQFD_FLAG_DEASSIGN));
		}
		/* The VM goes with live irqfds; their eventfds still work. */
		vtx_vm_free(vm);
		for (i = IRQFD_COUNT / 2; i < IRQFD_COUNT; i++) {
			signal_fd(fds[order[i]]);
			close(fds[order[i]]);
		}
		EXPECT_NOTHING_LEFT();
	}
	close(dev);
}

struct race {
	int vm_fd;
	int fds[RACE_FDS];		/* [0] for assign_race */
	long expect;			/* 0 or -EINVAL, see vm_with_irqchip() */
	int iters;
	atomic_bool stop;
	atomic_long bad;		/* unexpected answers */
	atomic_long last_bad;		/* the last of them */
};

static void race_bad(struct race *r, long ret)
{
	atomic_fetch_add(&r->bad, 1);
	atomic_store(&r->last_bad, ret);
}

static void *assign_thread(void *arg)
{
	struct race *r = arg;
	long ret;
	int i;

	for (i = 0; i < r->iters; i++) {
		ret = irqfd(r->vm_fd, r->fds[0], RACE_GSI, 0);
		if (ret != r->expect && !(r->expect == 0 && ret == -EBUSY))
			race_bad(r, ret);
		ret = irqfd(r->vm_fd, r->fds[0], RACE_GSI,
			    KVM_IRQFD_FLAG_DEASSIGN);
		if (ret)
			race_bad(r, ret);
	}
	return NULL;
}

static void *signal_thread(void *arg)
{
	struct race *r = arg;
	int i = 0;

	while (!atomic_load(&r->stop))
		signal_fd(r->fds[i++ % RACE_FDS]);
	return NULL;
}

TEST(assign_race)
{
	struct vtx_vm *vm = vtx_vm_create();
	pthread_t a, b, s;
	struct race r = { .vm_fd = vm->fd, .iters = iters() };
	int i;

	r.expect = vm_with_irqchip(_metadata, vm);
	/* One eventfd: the signal thread signals it only. */
	r.fds[0] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, r.fds[0]);
	for (i = 1; i < RACE_FDS; i++)
		r.fds[i] = r.fds[0];
	ASSERT_EQ(0, pthread_create(&s, NULL, signal_thread, &r));
	ASSERT_EQ(0, pthread_create(&a, NULL, assign_thread, &r));
	ASSERT_EQ(0, pthread_create(&b, NULL, assign_thread, &r));
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	EXPECT_EQ(0, atomic_load(&r.bad))
		TH_LOG("last unexpected answer %ld", atomic_load(&r.last_bad));
	/* Left assigned: the VM fd goes first. */
	EXPECT_EQ(r.expect, irqfd(vm->fd, r.fds[0], RACE_GSI, 0));
	vtx_vm_free(vm);
	atomic_store(&r.stop, true);
	pthread_join(s, NULL);
	close(r.fds[0]);
	EXPECT_NOTHING_LEFT();
}

/* Close and reopen the race's eventfds (the numbers get reused). */
static void *close_thread(void *arg)
{
	struct race *r = arg;
	int i, k;

	for (i = 0; i < r->iters; i++) {
		k = i % RACE_FDS;
		close(r->fds[k]);
		r->fds[k] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (r->fds[k] < 0)
			race_bad(r, -errno);
	}
	return NULL;
}

/* Assign whatever fd numbers are there; any fd error is fine. */
static void *assign_any_thread(void *arg)
{
	struct race *r = arg;
	long ret;
	int i;

	for (i = 0; !atomic_load(&r->stop); i++) {
		ret = irqfd(r->vm_fd, r->fds[i % RACE_FDS], i % RACE_FDS, 0);
		if (ret != r->expect && ret != -EBUSY && ret != -EBADF)
			race_bad(r, ret);
	}
	return NULL;
}

TEST(close_race)
{
	struct vtx_vm *vm = vtx_vm_create();
	struct race r = { .vm_fd = vm->fd, .iters = iters() };
	pthread_t c, a, s;
	int i;

	r.expect = vm_with_irqchip(_metadata, vm);
	for (i = 0; i < RACE_FDS; i++) {
		r.fds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		ASSERT_LE(0, r.fds[i]);
	}
	ASSERT_EQ(0, pthread_create(&s, NULL, signal_thread, &r));
	ASSERT_EQ(0, pthread_create(&a, NULL, assign_any_thread, &r));
	ASSERT_EQ(0, pthread_create(&c, NULL, close_thread, &r));
	pthread_join(c, NULL);
	atomic_store(&r.stop, true);
	pthread_join(a, NULL);
	pthread_join(s, NULL);
	EXPECT_EQ(0, atomic_load(&r.bad))
		TH_LOG("last unexpected answer %ld", atomic_load(&r.last_bad));
	vtx_vm_free(vm);
	for (i = 0; i < RACE_FDS; i++)
		close(r.fds[i]);
	EXPECT_NOTHING_LEFT();
}

VTX_TEST_MAIN
