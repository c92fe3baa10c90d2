// SPDX-License-Identifier: GPL-2.0
/*
 * vCPUs of one VM in several threads at once: pio_8vcpu (exits to
 * userspace on every CPU), ept_touch_2vcpu and ept_touch_2vcpu_churn
 * (first-touch faults of two vCPUs, alone and beside memslot updates).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"
#include "cases.h"

struct conc_thread {
	pthread_t thread;
	struct vtx_vcpu *vcpu;
	pthread_barrier_t *barrier;
	long n;
	struct loop_result res;
};

static void *conc_main(void *arg)
{
	struct conc_thread *t = arg;

	unpin();
	enter_at(t->vcpu, bench_pio, t->n, 0);
	pthread_barrier_wait(t->barrier);
	run_loop(t->vcpu, KVM_EXIT_IO, &t->res);
	return NULL;
}

void case_concurrent(void)
{
	struct conc_thread th[CONC_VCPUS];
	pthread_barrier_t barrier;
	long n = quick ? 200 : 2000;
	int nr = rounds < 5 ? rounds : 5, r, i;
	double v[MAX_ROUNDS];
	struct guest g;

	guest_create(&g, CONC_VCPUS);
	for (r = -1; r < nr; r++) {
		uint64_t t0, t1, total = 0;

		pthread_barrier_init(&barrier, NULL, CONC_VCPUS + 1);
		for (i = 0; i < CONC_VCPUS; i++) {
			th[i].vcpu = g.vcpu[i];
			th[i].barrier = &barrier;
			th[i].n = n;
			if (pthread_create(&th[i].thread, NULL, conc_main,
					   &th[i]))
				vtx_die("pthread_create");
		}
		pthread_barrier_wait(&barrier);
		t0 = tsc();
		for (i = 0; i < CONC_VCPUS; i++) {
			pthread_join(th[i].thread, NULL);
			total += th[i].res.exits;
		}
		t1 = tsc();
		pthread_barrier_destroy(&barrier);
		VTX_ASSERT(total == (uint64_t)n * CONC_VCPUS,
			   "8 vCPUs: %llu exits", (unsigned long long)total);
		if (r >= 0)
			v[r] = (double)(t1 - t0) / total;
	}
	guest_destroy(&g);
	emit("pio_8vcpu", n * CONC_VCPUS, v, nr);
}

#define TOUCH2_VCPUS		2
#define TOUCH2_SLOT		2	/* vCPU i's memory is slot 2 + i */
#define TOUCH2_SIZE		(BENCH_TOUCH_SIZE / TOUCH2_VCPUS)
#define CHURN_SLOT		8	/* the churn cycles over slots 8.. */
#define CHURN_NR_SLOTS		4
#define CHURN_GPA		0x20000000	/* 512 MiB, far from the rest */
#define CHURN_SIZE		HUGE_SIZE

struct touch2_thread {
	pthread_t thread;
	struct vtx_vcpu *vcpu;
	pthread_barrier_t *barrier;
	int cpu;
	struct loop_result res;
};

static void *touch2_main(void *arg)
{
	struct touch2_thread *t = arg;

	pin_to_cpu(t->cpu);
	pthread_barrier_wait(t->barrier);
	run_loop(t->vcpu, KVM_EXIT_IO, &t->res);
	return NULL;
}

struct churn_thread {
	pthread_t thread;
	int vm_fd;
	void *mem;
	pthread_barrier_t *barrier;
	volatile int stop;
	long updates;
};

/*
 * Add one of CHURN_NR_SLOTS 2 MiB slots, delete it, next slot id, until
 * told to stop: memslot updates that have nothing to do with the memory
 * the vCPUs fault in.
 */
static void *churn_main(void *arg)
{
	struct churn_thread *t = arg;
	unsigned int i = 0;

	pthread_barrier_wait(t->barrier);
	while (!t->stop) {
		uint32_t slot = CHURN_SLOT + i % CHURN_NR_SLOTS;
		uint64_t gpa = CHURN_GPA + (uint64_t)(i % CHURN_NR_SLOTS) *
			       CHURN_SIZE;
		long ret;

		ret = __vtx_set_memslot(t->vm_fd, slot, 0, gpa, CHURN_SIZE,
					(uintptr_t)t->mem);
		VTX_ASSERT(!ret, "churn: add slot %u: %s", slot,
			   strerror(-ret));
		ret = __vtx_set_memslot(t->vm_fd, slot, 0, gpa, 0,
					(uintptr_t)t->mem);
		VTX_ASSERT(!ret, "churn: delete slot %u: %s", slot,
			   strerror(-ret));
		t->updates += 2;
		i++;
	}
	return NULL;
}

/*
 * One round: a fresh VM with two vCPUs, each with a fresh slot of @size
 * bytes that its guest loop writes once per 4 KiB page, both started at
 * once (and the churn thread with them if @churn).  Returns wall cycles
 * per page; *@updates gets the number of memslot updates done meanwhile.
 */
static double touch2_round(uint64_t size, bool churn, long *updates)
{
	struct touch2_thread th[TOUCH2_VCPUS];
	struct churn_thread ct = { 0 };
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	pthread_barrier_t barrier;
	uint8_t *mem[TOUCH2_VCPUS];
	uint64_t t0, t1;
	struct guest g;
	long ret;
	int i;

	guest_create(&g, TOUCH2_VCPUS);
	for (i = 0; i < TOUCH2_VCPUS; i++) {
		uint64_t gpa = BENCH_TOUCH_GPA + i * size;

		mem[i] = mmap(NULL, size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			      -1, 0);
		VTX_ASSERT(mem[i] != MAP_FAILED, "mmap %lu: %s",
			   (unsigned long)size, strerror(errno));
		if (madvise(mem[i], size, MADV_NOHUGEPAGE))
			fprintf(stderr, "# madvise: %s\n", strerror(errno));
		ret = __vtx_set_memslot(g.vm->fd, TOUCH2_SLOT + i, 0, gpa,
					size, (uintptr_t)mem[i]);
		VTX_ASSERT(!ret, "memslot of %#lx bytes: %s",
			   (unsigned long)size, strerror(-ret));
		enter_at(g.vcpu[i], bench_touch, size / VTX_PAGE_SIZE, gpa);
	}
	pthread_barrier_init(&barrier, NULL, TOUCH2_VCPUS + 1 + !!churn);
	if (churn) {
		ct.vm_fd = g.vm->fd;
		ct.barrier = &barrier;
		ct.mem = mmap(NULL, CHURN_SIZE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		VTX_ASSERT(ct.mem != MAP_FAILED, "mmap: %s", strerror(errno));
		if (pthread_create(&ct.thread, NULL, churn_main, &ct))
			vtx_die("pthread_create");
	}
	for (i = 0; i < TOUCH2_VCPUS; i++) {
		th[i].vcpu = g.vcpu[i];
		th[i].barrier = &barrier;
		th[i].cpu = i % (ncpus > 0 ? ncpus : 1);
		if (pthread_create(&th[i].thread, NULL, touch2_main, &th[i]))
			vtx_die("pthread_create");
	}
	pthread_barrier_wait(&barrier);
	t0 = tsc();
	for (i = 0; i < TOUCH2_VCPUS; i++) {
		pthread_join(th[i].thread, NULL);
		VTX_ASSERT(th[i].res.report, "touch2: no report from vCPU %d",
			   i);
	}
	t1 = tsc();
	if (churn) {
		ct.stop = 1;
		pthread_join(ct.thread, NULL);
		munmap(ct.mem, CHURN_SIZE);
	}
	pthread_barrier_destroy(&barrier);
	*updates = ct.updates;
	guest_destroy(&g);
	for (i = 0; i < TOUCH2_VCPUS; i++)
		munmap(mem[i], size);
	return (double)(t1 - t0) / (TOUCH2_VCPUS * (size / VTX_PAGE_SIZE));
}

void case_touch2(const char *name, bool churn)
{
	uint64_t size = quick ? TOUCH2_SIZE / 8 : TOUCH2_SIZE;
	int n = rounds < 5 ? rounds : 5, r;
	double v[MAX_ROUNDS];
	long updates, total = 0;

	/* Warm-up with an eighth, as case_touch(). */
	touch2_round(size / 8, churn, &updates);
	for (r = 0; r < n; r++) {
		v[r] = touch2_round(size, churn, &updates);
		total += updates;
	}
	emit(name, TOUCH2_VCPUS * (size / VTX_PAGE_SIZE), v, n);
	if (churn)
		printf("@@E %s %d churn_updates_per_round %ld\n", driver, pass,
		       total / n);
}
