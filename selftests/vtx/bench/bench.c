// SPDX-License-Identifier: GPL-2.0
/*
 * vtx benchmark: the costs of VM exits, EPT faults, VM lifetime and kernel
 * memory, measured the same way on /dev/vtx and on upstream KVM's
 * /dev/kvm by one static binary that speaks <linux/kvm.h>.
 *
 *   bench run --device PATH --driver NAME [--pass N] [--rounds N] [--quick]
 *	Runs every case on one device and prints raw results, one line each:
 *	  @@B driver pass case iters value-per-round...   (cycles per op)
 *	  @@M driver pass round field per-vm-KiB per-vcpu-KiB residue-KiB
 *	  @@S driver pass cache per-vm-bytes per-vcpu-bytes
 *	  @@E driver pass key value
 *   bench report FILE...
 *	Reads those lines (from `run`s of both drivers, one or more passes)
 *	and prints the table (median and spread per case, vtx/kvm ratio, how
 *	far pass 2 is from pass 1) and the same data as JSON, each JSON line
 *	prefixed with "@@JSON " so it can be cut out of a serial log.
 *
 * Cycles are what RDTSC returns to this program (or to the guest, for the
 * cases timed inside the guest).  In the Bochs test VM the TSC advances
 * with emulated instructions, so the numbers there are emulated path
 * lengths, not real-hardware times; the same binary on a VMX host reports
 * real cycles.  See Documentation/vtx/performance.rst.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/membarrier.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <x86intrin.h>

#include "vtx.h"
#include "bench.h"

extern const uint8_t bench_guest[], bench_guest_end[];
extern const uint8_t bench_pio[], bench_cpuid[], bench_vmcall[],
	bench_mmio_write[], bench_mmio_read[], bench_hlt[], bench_touch[],
	bench_empty[];

#define RFLAGS_FIXED_IF		0x202
#define MAX_ROUNDS		32
#define CONC_VCPUS		8
#define MEM_VMS			20
#define MEM_VCPUS_PER_VM	4
#define MEM_ROUNDS		3
#define HUGE_SIZE		(2ul << 20)

/* The cases, in table order.  Iteration counts are per round. */
struct bench_case {
	const char *name;
	const char *unit;
	const char *what;
};

static const struct bench_case cases[] = {
	{ "null_ioctl", "cycles/ioctl",
	  "KVM_CHECK_EXTENSION(KVM_CAP_USER_MEMORY) on the system fd: the syscall floor" },
	{ "pio_out", "cycles/exit",
	  "OUT exit to userspace (KVM_EXIT_IO) and back into the guest, timed in userspace" },
	{ "cpuid", "cycles/exit",
	  "CPUID exit handled in the kernel, timed in the guest (excludes userspace)" },
	{ "vmcall", "cycles/exit",
	  "VMCALL exit handled in the kernel (-KVM_ENOSYS), timed in the guest" },
	{ "mmio_write", "cycles/exit",
	  "4-byte MMIO write outside all memslots, exit to userspace (KVM_EXIT_MMIO) and back" },
	{ "mmio_read", "cycles/exit",
	  "4-byte MMIO read outside all memslots, to userspace and back; the data completes the load in the next KVM_RUN" },
	{ "hlt", "cycles/exit",
	  "HLT exit to userspace (KVM_EXIT_HLT, no in-kernel APIC) and back" },
	{ "ept_touch_4k", "cycles/page",
	  "first write to each 4 KiB page of a fresh 64 MiB memslot (MADV_NOHUGEPAGE), timed in the guest: EPT violation + host page fault + mapping" },
	{ "ept_touch_thp", "cycles/page",
	  "the same over memory advised MADV_HUGEPAGE (the driver may map 2 MiB at once)" },
	{ "vm_lifecycle", "cycles/VM",
	  "KVM_CREATE_VM + one 2 MiB memslot + KVM_CREATE_VCPU + close both (VMX already on: another VM is open)" },
	{ "vm_lifecycle_cold", "cycles/VM",
	  "the same with no other VM: includes turning VMX on and off on every CPU" },
	{ "rcu_sync_ref", "cycles/call",
	  "reference, no driver involved: membarrier(MEMBARRIER_CMD_GLOBAL), i.e. one synchronize_rcu(), in the same machine state" },
	{ "pio_8vcpu", "wall cycles/exit",
	  "8 vCPUs of one VM in 8 threads doing OUT exits to userspace at once on all CPUs: wall TSC / total exits" },
	{ "ept_touch_2vcpu", "wall cycles/page",
	  "2 vCPUs in 2 threads, each first-touching every 4 KiB page of its own 32 MiB memslot (MADV_NOHUGEPAGE) at once: wall TSC / total pages" },
	{ "ept_touch_2vcpu_churn", "wall cycles/page",
	  "the same while a third thread adds and deletes other memslots (KVM_SET_USER_MEMORY_REGION on unrelated slot ids) without pause" },
	{ "guest_loop", "cycles/iter",
	  "the guest's timed loop with no exit in it (included in cpuid/vmcall)" },
};
#define NR_CASES	(sizeof(cases) / sizeof(cases[0]))

/* Memory fields, in report order. */
static const char *const mem_fields[] = {
	"MemUsed", "Slab", "SUnreclaim", "KernelStack", "PageTables",
	"VmallocUsed", "Percpu", "SlabObjects", "Estimate",
};
/* The last two are computed: see case_memory(). */
#define MEM_SLABOBJ	7
#define MEM_ESTIMATE	8
#define NR_MEM_FIELDS	(sizeof(mem_fields) / sizeof(mem_fields[0]))

static const char *driver = "dev";
static int pass = 1;
static int rounds = 7;
static int quick;
static int sys_fd = -1;

static inline uint64_t tsc(void)
{
	_mm_lfence();
	return __rdtsc();
}

static void pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "# sched_setaffinity(%d): %s\n", cpu,
			strerror(errno));
}

static void unpin(void)
{
	cpu_set_t set;
	long n = sysconf(_SC_NPROCESSORS_ONLN), i;

	CPU_ZERO(&set);
	for (i = 0; i < n && i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Print one case's rounds. */
static void emit(const char *name, long iters, const double *v, int n)
{
	int i;

	printf("@@B %s %d %s %ld", driver, pass, name, iters);
	for (i = 0; i < n; i++)
		printf(" %.1f", v[i]);
	printf("\n");
}

/* ------------------------------------------------------------ guests --- */

struct guest {
	struct vtx_vm *vm;
	struct vtx_vcpu *vcpu[CONC_VCPUS];
	int nr_vcpus;
};

static void guest_create(struct guest *g, int nr_vcpus)
{
	int i;

	memset(g, 0, sizeof(*g));
	g->vm = vtx_vm_create_on(sys_fd);
	vtx_vm_add_mem(g->vm, 0, 0, VTX_RAM_SIZE);
	vtx_load_code(g->vm, VTX_CODE_GPA, bench_guest, bench_guest_end);
	for (i = 0; i < nr_vcpus; i++) {
		g->vcpu[i] = vtx_vcpu_add(g->vm, i);
		vtx_setup_mode(g->vcpu[i], VTX_MODE_LONG64, VTX_CODE_GPA);
	}
	g->nr_vcpus = nr_vcpus;
}

static void guest_destroy(struct guest *g)
{
	int i;

	for (i = 0; i < g->nr_vcpus; i++)
		vtx_vcpu_free(g->vcpu[i]);
	vtx_vm_free(g->vm);
	memset(g, 0, sizeof(*g));
}

/* Point the vCPU at a loop: RIP, RCX = iterations, RDI = address, IF = 1. */
static void enter_at(struct vtx_vcpu *vcpu, const uint8_t *label,
		     uint64_t rcx, uint64_t rdi)
{
	struct kvm_regs regs;

	memset(&regs, 0, sizeof(regs));
	regs.rip = VTX_BLOB_GPA(bench_guest, label);
	regs.rsp = VTX_STACK_TOP;
	regs.rflags = RFLAGS_FIXED_IF;
	regs.rcx = rcx;
	regs.rdi = rdi;
	vtx_set_regs(vcpu, &regs);
}

/* What one run of a loop saw. */
struct loop_result {
	uint64_t exits;		/* exits of the benchmarked kind */
	uint64_t t_first;	/* TSC at the first of them */
	uint64_t t_last;	/* TSC at the last */
	uint64_t report;	/* RBX of UCALL_REPORT, if any */
};

/*
 * After UCALL_DONE, run once more: the OUT of the ucall completes (RIP
 * moves past it) and the guest stops at its HLT.  Then nothing is pending
 * and the next round's KVM_SET_REGS starts from a clean state.  (KVM would
 * not complete an OUT whose RIP userspace has changed meanwhile; vtx, as
 * of this writing, would, and skip the first instruction of the next
 * round.  Parking keeps both drivers on the same path.)
 */
static void park(struct vtx_vcpu *vcpu)
{
	uint32_t reason = vtx_run(vcpu);

	VTX_ASSERT(reason == KVM_EXIT_HLT, "%s: parking: exit %s, not HLT",
		   driver, vtx_exit_reason_str(reason));
}

/*
 * Run until UCALL_DONE, counting the exits @kind (KVM_EXIT_IO on the
 * benchmark port, KVM_EXIT_MMIO or KVM_EXIT_HLT) and timing from the first
 * to the last of them: (t_last - t_first) / (exits - 1) is then exactly
 * the cost of a round trip from userspace through the guest and back.
 */
static void run_loop(struct vtx_vcpu *vcpu, uint32_t kind,
		     struct loop_result *res)
{
	struct kvm_run *run = vcpu->run;
	struct vtx_ucall uc;
	uint32_t mmio_val = 0x12345678;

	memset(res, 0, sizeof(*res));
	for (;;) {
		uint32_t reason = vtx_run(vcpu);

		if (reason == kind &&
		    (kind != KVM_EXIT_IO || run->io.port == BENCH_PIO_PORT)) {
			uint64_t t = tsc();

			if (!res->exits++)
				res->t_first = t;
			res->t_last = t;
			if (kind == KVM_EXIT_MMIO && !run->mmio.is_write)
				memcpy(run->mmio.data, &mmio_val,
				       run->mmio.len < 4 ? run->mmio.len : 4);
			continue;
		}
		switch (vtx_get_ucall(vcpu, &uc)) {
		case UCALL_REPORT:
			res->report = uc.regs.rbx;
			continue;
		case UCALL_DONE:
			park(vcpu);
			return;
		default:
			break;
		}
		vtx_get_regs(vcpu, &uc.regs);
		vtx_die("%s: unexpected exit %s (%u), port %#x, rip %#llx",
			driver, vtx_exit_reason_str(reason), reason,
			reason == KVM_EXIT_IO ? run->io.port : 0,
			(unsigned long long)uc.regs.rip);
	}
}

/* ------------------------------------------------------------- cases --- */

static void case_null_ioctl(void)
{
	long n = quick ? 500 : 5000, i;
	double v[MAX_ROUNDS];
	int r;

	for (r = -1; r < rounds; r++) {
		uint64_t t0 = tsc(), t1;

		for (i = 0; i < n; i++)
			if (ioctl(sys_fd, KVM_CHECK_EXTENSION,
				  KVM_CAP_USER_MEMORY) <= 0)
				vtx_die("KVM_CHECK_EXTENSION failed");
		t1 = tsc();
		if (r >= 0)
			v[r] = (double)(t1 - t0) / n;
	}
	emit("null_ioctl", n, v, rounds);
}

/* A loop whose exits go to userspace: timed here. */
static void case_user_exit(const char *name, const uint8_t *label,
			   uint32_t kind, uint64_t addr, long n)
{
	struct loop_result res;
	struct guest g;
	double v[MAX_ROUNDS];
	int r;

	guest_create(&g, 1);
	for (r = -1; r < rounds; r++) {
		enter_at(g.vcpu[0], label, n, addr);
		run_loop(g.vcpu[0], kind, &res);
		VTX_ASSERT(res.exits == (uint64_t)n, "%s: %llu exits, not %ld",
			   name, (unsigned long long)res.exits, n);
		if (r >= 0)
			v[r] = (double)(res.t_last - res.t_first) / (n - 1);
	}
	guest_destroy(&g);
	emit(name, n, v, rounds);
}

/* A loop timed inside the guest, reported in RBX. */
static void case_guest_timed(const char *name, const uint8_t *label, long n)
{
	struct loop_result res;
	struct guest g;
	double v[MAX_ROUNDS];
	int r;

	guest_create(&g, 1);
	for (r = -1; r < rounds; r++) {
		enter_at(g.vcpu[0], label, n, 0);
		run_loop(g.vcpu[0], KVM_EXIT_IO, &res);
		VTX_ASSERT(res.report, "%s: no report from the guest", name);
		if (r >= 0)
			v[r] = (double)res.report / n;
	}
	guest_destroy(&g);
	emit(name, n, v, rounds);
}

/* One /proc/meminfo value in KiB, -1 if absent. */
static long long meminfo_kib(const char *field)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256], name[64];
	long long val, ret = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63[^:]: %lld", name, &val) == 2 &&
		    !strcmp(name, field))
			ret = val;
	fclose(f);
	return ret;
}

/* AnonHugePages after the last MADV_HUGEPAGE round, before teardown. */
static long long thp_kib = -1;

/*
 * One first-touch round: a fresh VM with a fresh slot of @size bytes that
 * the guest writes once per 4 KiB page.  Returns cycles per page.
 */
static double touch_round(uint64_t size, bool huge)
{
	struct loop_result res;
	struct guest g;
	size_t map_size = size + (huge ? HUGE_SIZE : 0);
	uint8_t *map, *mem;
	long ret;

	guest_create(&g, 1);
	map = mmap(NULL, map_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	VTX_ASSERT(map != MAP_FAILED, "mmap %zu: %s", map_size,
		   strerror(errno));
	mem = huge ? (uint8_t *)(((uintptr_t)map + HUGE_SIZE - 1) &
				 ~(HUGE_SIZE - 1)) : map;
	if (madvise(mem, size, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		fprintf(stderr, "# madvise: %s\n", strerror(errno));
	ret = __vtx_set_memslot(g.vm->fd, BENCH_TOUCH_SLOT, 0, BENCH_TOUCH_GPA,
				size, (uintptr_t)mem);
	VTX_ASSERT(!ret, "memslot of %#lx bytes: %s", (unsigned long)size,
		   strerror(-ret));
	enter_at(g.vcpu[0], bench_touch, size / VTX_PAGE_SIZE,
		 BENCH_TOUCH_GPA);
	run_loop(g.vcpu[0], KVM_EXIT_IO, &res);
	VTX_ASSERT(res.report, "touch: no report from the guest");
	if (huge)
		thp_kib = meminfo_kib("AnonHugePages");
	guest_destroy(&g);
	munmap(map, map_size);
	return (double)res.report / (size / VTX_PAGE_SIZE);
}

static void case_touch(const char *name, bool huge)
{
	uint64_t size = quick ? BENCH_TOUCH_SIZE / 8 : BENCH_TOUCH_SIZE;
	int n = rounds < 5 ? rounds : 5, r;
	double v[MAX_ROUNDS];

	/* Warm-up with an eighth: slab caches, first-use paths. */
	touch_round(size / 8, huge);
	for (r = 0; r < n; r++)
		v[r] = touch_round(size, huge);
	emit(name, size / VTX_PAGE_SIZE, v, n);
	if (huge)
		printf("@@E %s %d thp_anon_kib %lld\n", driver, pass, thp_kib);
}

/* VM + memslot + vCPU + close, @n times; cycles per VM. */
static double lifecycle_round(void *mem, int n)
{
	uint64_t t0, t1;
	int i;

	t0 = tsc();
	for (i = 0; i < n; i++) {
		int vm = ioctl(sys_fd, KVM_CREATE_VM, 0), vcpu;

		VTX_ASSERT(vm >= 0, "KVM_CREATE_VM: %s", strerror(errno));
		if (__vtx_set_memslot(vm, 0, 0, 0, VTX_RAM_SIZE,
				      (uintptr_t)mem))
			vtx_die("memslot");
		vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
		VTX_ASSERT(vcpu >= 0, "KVM_CREATE_VCPU: %s", strerror(errno));
		close(vcpu);
		close(vm);
	}
	t1 = tsc();
	return (double)(t1 - t0) / n;
}

static void case_lifecycle(const char *name, bool cold)
{
	/*
	 * Rounds that wait (for RCU, kthreads) cost the test VM as much wall
	 * time as computing: KVM's take ~3.2M cycles, a cold one on vtx up
	 * to 200M.  So fewer VMs per round there, and no warm-up round cold.
	 */
	int n = quick ? 2 : cold ? 1 : 4, nr = cold && rounds > 5 ? 5 : rounds;
	int r;
	struct vtx_vm *holder = NULL;
	double v[MAX_ROUNDS];
	void *mem;

	mem = mmap(NULL, VTX_RAM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	VTX_ASSERT(mem != MAP_FAILED, "mmap: %s", strerror(errno));
	if (!cold)
		holder = vtx_vm_create_on(sys_fd);
	for (r = cold ? 0 : -1; r < nr; r++) {
		double c = lifecycle_round(mem, n);

		if (r >= 0)
			v[r] = c;
	}
	if (holder)
		vtx_vm_free(holder);
	munmap(mem, VTX_RAM_SIZE);
	emit(name, n, v, nr);
}

/* One synchronize_rcu() as userspace can ask for it: a reference. */
static void case_rcu_sync(void)
{
	int nr = rounds < 5 ? rounds : 5, r;
	double v[MAX_ROUNDS];

	for (r = 0; r < nr; r++) {
		uint64_t t0 = tsc(), t1;

		if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) < 0) {
			printf("# membarrier: %s\n", strerror(errno));
			return;
		}
		t1 = tsc();
		if (r >= 0)
			v[r] = (double)(t1 - t0);
	}
	emit("rcu_sync_ref", 1, v, nr);
}

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

static void case_concurrent(void)
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

/* ------------------------------------------------- faults under churn --- */

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

static void case_touch2(const char *name, bool churn)
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

/* ------------------------------------------------------------ memory --- */

struct mem_snap {
	long long kib[NR_MEM_FIELDS];	/* MemUsed is -(MemFree + pcp) */
	int nr_slabs;
	struct slab_snap {
		char name[64];
		long long bytes;
	} slab[512];
};

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return;
	if (write(fd, s, strlen(s)) < 0)
		fprintf(stderr, "# %s: %s\n", path, strerror(errno));
	close(fd);
}

/* Pages on the per-CPU free lists (not counted in MemFree), in KiB. */
static long long pcp_kib(void)
{
	FILE *f = fopen("/proc/zoneinfo", "r");
	char line[256];
	long long pages = 0, c;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %lld", &c) == 1)
			pages += c;
	fclose(f);
	return pages * (sysconf(_SC_PAGESIZE) / 1024);
}

static void mem_snapshot(struct mem_snap *s)
{
	char line[512], name[64];
	long long val, free_kib = 0;
	unsigned int i;
	FILE *f;

	memset(s, 0, sizeof(*s));
	/* Let RCU callbacks run, then fold the per-CPU vmstat deltas. */
	usleep(100000);
	write_file("/proc/sys/vm/stat_refresh", "1\n");
	f = fopen("/proc/meminfo", "r");
	VTX_ASSERT(f, "/proc/meminfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63[^:]: %lld", name, &val) != 2)
			continue;
		if (!strcmp(name, "MemFree"))
			free_kib = val;
		for (i = 1; i < MEM_SLABOBJ; i++)
			if (!strcmp(name, mem_fields[i]))
				s->kib[i] = val;
	}
	fclose(f);
	s->kib[0] = -(free_kib + pcp_kib());

	f = fopen("/proc/slabinfo", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && s->nr_slabs < 512) {
		long long active, num, size;

		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (sscanf(line, "%63s %lld %lld %lld", name, &active, &num,
			   &size) != 4)
			continue;
		snprintf(s->slab[s->nr_slabs].name,
			 sizeof(s->slab[0].name), "%s", name);
		s->slab[s->nr_slabs++].bytes = active * size;
		s->kib[MEM_SLABOBJ] += active * size;
	}
	fclose(f);
	s->kib[MEM_SLABOBJ] /= 1024;
	/*
	 * Pages taken from the free pool minus slab pages, plus the bytes of
	 * the slab objects themselves: independent of whether new objects
	 * needed new slab pages (empty slabs are kept and reused).
	 */
	s->kib[MEM_ESTIMATE] = s->kib[0] - s->kib[1] + s->kib[MEM_SLABOBJ];
}

static long long slab_bytes(const struct mem_snap *s, const char *name)
{
	int i;

	for (i = 0; i < s->nr_slabs; i++)
		if (!strcmp(s->slab[i].name, name))
			return s->slab[i].bytes;
	return 0;
}

static struct mem_snap snap[4];

/*
 * MEM_VMS VMs, then MEM_VCPUS_PER_VM vCPUs in each, then close all:
 * per-VM and per-vCPU kernel memory from the deltas.
 */
static void case_memory(void)
{
	int vm_fd[MEM_VMS], vcpu_fd[MEM_VMS][MEM_VCPUS_PER_VM];
	const int nr_vcpus = MEM_VMS * MEM_VCPUS_PER_VM;
	int round, i, j;

	/* Grow the fd table now, not while measuring. */
	if (dup2(sys_fd, 250) >= 0)
		close(250);
	for (round = 0; round < MEM_ROUNDS; round++) {
		mem_snapshot(&snap[0]);
		for (i = 0; i < MEM_VMS; i++) {
			vm_fd[i] = ioctl(sys_fd, KVM_CREATE_VM, 0);
			VTX_ASSERT(vm_fd[i] >= 0, "KVM_CREATE_VM: %s",
				   strerror(errno));
		}
		mem_snapshot(&snap[1]);
		for (i = 0; i < MEM_VMS; i++)
			for (j = 0; j < MEM_VCPUS_PER_VM; j++) {
				vcpu_fd[i][j] = ioctl(vm_fd[i],
						      KVM_CREATE_VCPU, j);
				VTX_ASSERT(vcpu_fd[i][j] >= 0,
					   "KVM_CREATE_VCPU: %s",
					   strerror(errno));
			}
		mem_snapshot(&snap[2]);
		for (i = 0; i < MEM_VMS; i++) {
			for (j = 0; j < MEM_VCPUS_PER_VM; j++)
				close(vcpu_fd[i][j]);
			close(vm_fd[i]);
		}
		mem_snapshot(&snap[3]);

		for (i = 0; i < (int)NR_MEM_FIELDS; i++)
			printf("@@M %s %d %d %s %.2f %.2f %lld\n", driver, pass,
			       round, mem_fields[i],
			       (double)(snap[1].kib[i] - snap[0].kib[i]) /
			       MEM_VMS,
			       (double)(snap[2].kib[i] - snap[1].kib[i]) /
			       nr_vcpus,
			       snap[3].kib[i] - snap[0].kib[i]);
		if (round)
			continue;
		/* Slab caches that grew, from the first round. */
		for (i = 0; i < snap[2].nr_slabs; i++) {
			const char *name = snap[2].slab[i].name;
			long long d_vm = slab_bytes(&snap[1], name) -
					 slab_bytes(&snap[0], name);
			long long d_vcpu = snap[2].slab[i].bytes -
					   slab_bytes(&snap[1], name);

			if (d_vm / MEM_VMS >= 64 || d_vcpu / nr_vcpus >= 64)
				printf("@@S %s %d %s %lld %lld\n", driver,
				       pass, name, d_vm / MEM_VMS,
				       d_vcpu / nr_vcpus);
		}
	}
}

/* --------------------------------------------------------------- run --- */

static int cmd_run(int argc, char **argv)
{
	const char *s;
	struct utsname u;

	vtx_parse_args(&argc, argv);
	if ((s = vtx_take_arg(&argc, argv, "--driver")))
		driver = s;
	if ((s = vtx_take_arg(&argc, argv, "--pass")))
		pass = atoi(s);
	if ((s = vtx_take_arg(&argc, argv, "--rounds")))
		rounds = atoi(s);
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--quick"))
			quick = 1;
	if (rounds < 1 || rounds > MAX_ROUNDS)
		vtx_die("--rounds must be 1..%d", MAX_ROUNDS);

	sys_fd = vtx_open_device();
	uname(&u);
	printf("@@E %s %d device %s\n", driver, pass, vtx_device_path());
	printf("@@E %s %d kernel %s\n", driver, pass, u.release);
	printf("@@E %s %d cpus %ld\n", driver, pass,
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("@@E %s %d mem_kib %ld\n", driver, pass,
	       sysconf(_SC_PHYS_PAGES) * (sysconf(_SC_PAGESIZE) / 1024));
	printf("@@E %s %d rounds %d\n", driver, pass, rounds);
	printf("@@E %s %d touch_mib %d\n", driver, pass,
	       (quick ? BENCH_TOUCH_SIZE / 8 : BENCH_TOUCH_SIZE) >> 20);

	/* Single-threaded cases run on CPU 0 only: no migrations. */
	pin_to_cpu(0);

	printf("# %s: null_ioctl\n", driver);
	case_null_ioctl();
	printf("# %s: pio_out\n", driver);
	case_user_exit("pio_out", bench_pio, KVM_EXIT_IO, 0,
		       quick ? 500 : 5000);
	printf("# %s: cpuid\n", driver);
	case_guest_timed("cpuid", bench_cpuid, quick ? 500 : 10000);
	printf("# %s: vmcall\n", driver);
	case_guest_timed("vmcall", bench_vmcall, quick ? 500 : 10000);
	printf("# %s: guest_loop\n", driver);
	case_guest_timed("guest_loop", bench_empty, quick ? 500 : 10000);
	printf("# %s: mmio_write\n", driver);
	case_user_exit("mmio_write", bench_mmio_write, KVM_EXIT_MMIO,
		       BENCH_MMIO_GPA, quick ? 300 : 3000);
	printf("# %s: mmio_read\n", driver);
	case_user_exit("mmio_read", bench_mmio_read, KVM_EXIT_MMIO,
		       BENCH_MMIO_GPA, quick ? 300 : 3000);
	printf("# %s: hlt\n", driver);
	case_user_exit("hlt", bench_hlt, KVM_EXIT_HLT, 0, quick ? 500 : 5000);
	printf("# %s: rcu_sync_ref\n", driver);
	case_rcu_sync();
	printf("# %s: vm_lifecycle\n", driver);
	case_lifecycle("vm_lifecycle", false);
	printf("# %s: vm_lifecycle_cold\n", driver);
	case_lifecycle("vm_lifecycle_cold", true);
	printf("# %s: memory\n", driver);
	case_memory();
	printf("# %s: pio_8vcpu\n", driver);
	unpin();
	case_concurrent();
	pin_to_cpu(0);
	/* The longest cases last. */
	printf("# %s: ept_touch_4k\n", driver);
	case_touch("ept_touch_4k", false);
	printf("# %s: ept_touch_thp\n", driver);
	case_touch("ept_touch_thp", true);
	unpin();
	printf("# %s: ept_touch_2vcpu\n", driver);
	case_touch2("ept_touch_2vcpu", false);
	printf("# %s: ept_touch_2vcpu_churn\n", driver);
	case_touch2("ept_touch_2vcpu_churn", true);
	pin_to_cpu(0);
	close(sys_fd);
	printf("# %s: done\n", driver);
	return 0;
}

/* ------------------------------------------------------------- trace --- */

/* Print every exit of a few short loops: for debugging a driver. */
static void trace_loop(const char *name, const uint8_t *label, uint64_t rcx,
		       uint64_t rdi)
{
	struct kvm_regs regs;
	struct guest g;
	int i;

	guest_create(&g, 1);
	enter_at(g.vcpu[0], label, rcx, rdi);
	vtx_get_regs(g.vcpu[0], &regs);
	printf("# trace %s: start rip %#llx rcx %llu rflags %#llx\n", name,
	       (unsigned long long)regs.rip, (unsigned long long)regs.rcx,
	       (unsigned long long)regs.rflags);
	for (i = 0; i < 12; i++) {
		struct kvm_run *run = g.vcpu[0]->run;
		uint32_t reason = vtx_run(g.vcpu[0]);
		uint32_t data = 0;

		vtx_get_regs(g.vcpu[0], &regs);
		if (reason == KVM_EXIT_IO)
			memcpy(&data, vtx_io_data(g.vcpu[0]),
			       run->io.size < 4 ? run->io.size : 4);
		printf("# trace %s: exit %s port %#x size %u count %u "
		       "data %#x mmio %#llx rip %#llx rax %#llx rcx %llu "
		       "rflags %#llx\n", name, vtx_exit_reason_str(reason),
		       reason == KVM_EXIT_IO ? run->io.port : 0,
		       reason == KVM_EXIT_IO ? run->io.size : 0,
		       reason == KVM_EXIT_IO ? run->io.count : 0, data,
		       reason == KVM_EXIT_MMIO ?
		       (unsigned long long)run->mmio.phys_addr : 0ull,
		       (unsigned long long)regs.rip,
		       (unsigned long long)regs.rax,
		       (unsigned long long)regs.rcx,
		       (unsigned long long)regs.rflags);
		if (reason == KVM_EXIT_IO && run->io.port == VTX_UCALL_PORT &&
		    data == UCALL_DONE)
			break;
	}
	guest_destroy(&g);
}

static int cmd_trace(int argc, char **argv)
{
	vtx_parse_args(&argc, argv);
	sys_fd = vtx_open_device();
	pin_to_cpu(0);
	trace_loop("pio", bench_pio, 3, 0);
	trace_loop("hlt", bench_hlt, 2, 0);
	trace_loop("mmio_read", bench_mmio_read, 2, BENCH_MMIO_GPA);
	trace_loop("cpuid", bench_cpuid, 3, 0);
	close(sys_fd);
	return 0;
}

/* ------------------------------------------------------------ report --- */

#define MAX_DRIVERS	4
#define MAX_PASSES	4

struct stats {
	int n;
	long iters;
	double v[MAX_ROUNDS];
	double median, min, max, mean, stddev;
};

static char drivers[MAX_DRIVERS][16];
static int nr_drivers, max_pass;
static struct stats res[MAX_DRIVERS][MAX_PASSES][NR_CASES];
/* memory: [driver][pass][round][field] = {per vm, per vcpu, residue} */
static double memv[MAX_DRIVERS][MAX_PASSES][MEM_ROUNDS][NR_MEM_FIELDS][3];
static int mem_seen[MAX_DRIVERS][MAX_PASSES][MEM_ROUNDS];
static char env_kernel[128];
static long long env_thp[MAX_DRIVERS];
static long env_cpus, env_mem_kib, env_touch_mib;

struct slab_row {
	int drv;
	char name[64];
	long long per_vm, per_vcpu;
};
static struct slab_row slabs[256];
static int nr_slab_rows;

static int driver_index(const char *name)
{
	int i;

	for (i = 0; i < nr_drivers; i++)
		if (!strcmp(drivers[i], name))
			return i;
	if (nr_drivers == MAX_DRIVERS)
		return -1;
	snprintf(drivers[nr_drivers], sizeof(drivers[0]), "%s", name);
	return nr_drivers++;
}

static int driver_find(const char *name)
{
	int i;

	for (i = 0; i < nr_drivers; i++)
		if (!strcmp(drivers[i], name))
			return i;
	return -1;
}

static int case_index(const char *name)
{
	unsigned int i;

	for (i = 0; i < NR_CASES; i++)
		if (!strcmp(cases[i].name, name))
			return i;
	return -1;
}

static int field_index(const char *name)
{
	unsigned int i;

	for (i = 0; i < NR_MEM_FIELDS; i++)
		if (!strcmp(mem_fields[i], name))
			return i;
	return -1;
}

static void compute(struct stats *s)
{
	double sorted[MAX_ROUNDS], sum = 0, sq = 0;
	int i;

	if (!s->n)
		return;
	memcpy(sorted, s->v, s->n * sizeof(double));
	qsort(sorted, s->n, sizeof(double), cmp_double);
	s->min = sorted[0];
	s->max = sorted[s->n - 1];
	s->median = s->n % 2 ? sorted[s->n / 2] :
		    (sorted[s->n / 2 - 1] + sorted[s->n / 2]) / 2;
	for (i = 0; i < s->n; i++)
		sum += s->v[i];
	s->mean = sum / s->n;
	for (i = 0; i < s->n; i++)
		sq += (s->v[i] - s->mean) * (s->v[i] - s->mean);
	s->stddev = s->n > 1 ? sqrt(sq / (s->n - 1)) : 0;
}

static void parse_line(char *line)
{
	char drv[64], name[64], *p;
	int ps, d, c, n, round, off;
	double a, b;
	long long rr, x, y;
	long iters;

	line[strcspn(line, "\r\n")] = 0;
	/* The marker may follow other text on a serial console line. */
	p = strstr(line, "@@");
	if (!p)
		return;
	if (sscanf(p, "@@B %63s %d %63s %ld%n", drv, &ps, name, &iters,
		   &off) == 4) {
		struct stats *s;

		d = driver_index(drv);
		c = case_index(name);
		if (d < 0 || c < 0 || ps < 1 || ps > MAX_PASSES)
			return;
		if (ps > max_pass)
			max_pass = ps;
		s = &res[d][ps - 1][c];
		s->n = 0;
		s->iters = iters;
		p += off;
		while (s->n < MAX_ROUNDS &&
		       sscanf(p, " %lf%n", &s->v[s->n], &n) == 1) {
			s->n++;
			p += n;
		}
		compute(s);
	} else if (sscanf(p, "@@M %63s %d %d %63s %lf %lf %lld", drv, &ps,
			  &round, name, &a, &b, &rr) == 7) {
		int f = field_index(name);

		d = driver_index(drv);
		if (d < 0 || f < 0 || ps < 1 || ps > MAX_PASSES ||
		    round < 0 || round >= MEM_ROUNDS)
			return;
		if (ps > max_pass)
			max_pass = ps;
		memv[d][ps - 1][round][f][0] = a;
		memv[d][ps - 1][round][f][1] = b;
		memv[d][ps - 1][round][f][2] = rr;
		mem_seen[d][ps - 1][round] = 1;
	} else if (sscanf(p, "@@S %63s %d %63s %lld %lld", drv, &ps, name, &x,
			  &y) == 5) {
		d = driver_index(drv);
		if (d < 0 || ps != 1 || nr_slab_rows == 256)
			return;
		slabs[nr_slab_rows].drv = d;
		snprintf(slabs[nr_slab_rows].name, 64, "%s", name);
		slabs[nr_slab_rows].per_vm = x;
		slabs[nr_slab_rows].per_vcpu = y;
		nr_slab_rows++;
	} else if (sscanf(p, "@@E %63s %d %63s %n", drv, &ps, name,
			  &off) == 3) {
		p += off;
		if (!strcmp(name, "kernel"))
			snprintf(env_kernel, sizeof(env_kernel), "%s", p);
		else if (!strcmp(name, "cpus"))
			env_cpus = atol(p);
		else if (!strcmp(name, "mem_kib"))
			env_mem_kib = atol(p);
		else if (!strcmp(name, "touch_mib"))
			env_touch_mib = atol(p);
		else if (!strcmp(name, "thp_anon_kib") && ps == 1 &&
			 (d = driver_index(drv)) >= 0)
			env_thp[d] = atoll(p);
	}
}

/* Median over the memory rounds of one pass. */
static double mem_median(int d, int ps, int f, int which)
{
	double v[MEM_ROUNDS];
	int n = 0, r;

	for (r = 0; r < MEM_ROUNDS; r++)
		if (mem_seen[d][ps][r])
			v[n++] = memv[d][ps][r][f][which];
	if (!n)
		return NAN;
	qsort(v, n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static bool mem_any(int d, int ps)
{
	int r;

	for (r = 0; r < MEM_ROUNDS; r++)
		if (mem_seen[d][ps][r])
			return true;
	return false;
}

static const char *json_num(char *buf, size_t len, double v)
{
	if (isnan(v) || isinf(v))
		snprintf(buf, len, "null");
	else
		snprintf(buf, len, "%.2f", v);
	return buf;
}

static void print_table(int dv, int dk)
{
	const char *vn = drivers[dv], *kn = dk >= 0 ? drivers[dk] : "-";
	unsigned int c;

	printf("\n");
	printf("vtx benchmark: %s vs %s, pass 1, median of the rounds "
	       "[min..max]\n", vn, kn);
	printf("Cycles = RDTSC seen by the program (or the guest). In the "
	       "Bochs test VM the TSC\nadvances with emulated instructions: "
	       "these are emulated path lengths, not\nreal-hardware times. "
	       "The same binary on a VMX host reports real cycles.\n\n");
	printf("%-18s %-17s %22s %22s %7s %8s %8s\n", "case", "unit",
	       vn, kn, "ratio", "p2 dvtx", "p2 dkvm");
	for (c = 0; c < NR_CASES; c++) {
		struct stats *a = &res[dv][0][c];
		struct stats *b = dk >= 0 ? &res[dk][0][c] : NULL;
		char sa[64] = "-", sb[64] = "-", ratio[16] = "-";
		char r2a[16] = "-", r2b[16] = "-";

		if (a->n)
			snprintf(sa, sizeof(sa), "%.0f [%.0f..%.0f]",
				 a->median, a->min, a->max);
		if (b && b->n)
			snprintf(sb, sizeof(sb), "%.0f [%.0f..%.0f]",
				 b->median, b->min, b->max);
		if (a->n && b && b->n && b->median > 0)
			snprintf(ratio, sizeof(ratio), "%.2f",
				 a->median / b->median);
		if (max_pass >= 2) {
			struct stats *a2 = &res[dv][1][c];
			struct stats *b2 = dk >= 0 ? &res[dk][1][c] : NULL;

			if (a->n && a2->n)
				snprintf(r2a, sizeof(r2a), "%+.1f%%",
					 100 * (a2->median / a->median - 1));
			if (b && b->n && b2->n)
				snprintf(r2b, sizeof(r2b), "%+.1f%%",
					 100 * (b2->median / b->median - 1));
		}
		printf("%-18s %-17s %22s %22s %7s %8s %8s\n", cases[c].name,
		       cases[c].unit, sa, sb, ratio, r2a, r2b);
	}
	printf("(p2 d*: pass-2 median relative to pass 1, same boot)\n");
	printf("(ept_touch_thp: AnonHugePages after the last round: %s %lld "
	       "KiB, %s %lld KiB; 0 means the kernel gave no huge pages)\n",
	       vn, env_thp[dv], kn, dk >= 0 ? env_thp[dk] : -1);

	printf("\nKernel memory, KiB (median of %d rounds of %d VMs x %d "
	       "vCPUs; deltas of /proc/meminfo\nafter vm/stat_refresh. "
	       "MemUsed = -(MemFree + per-CPU free lists); SlabObjects =\n"
	       "/proc/slabinfo active objects x size; Estimate = MemUsed - "
	       "Slab + SlabObjects)\n", MEM_ROUNDS, MEM_VMS,
	       MEM_VCPUS_PER_VM);
	printf("%-12s %10s %10s %10s %10s %12s\n", "field", "per VM",
	       "", "per vCPU", "", "left after");
	printf("%-12s %10s %10s %10s %10s %12s\n", "", vn, kn, vn, kn,
	       "close v/k");
	for (c = 0; c < NR_MEM_FIELDS; c++) {
		if (!mem_any(dv, 0))
			break;
		printf("%-12s %10.1f %10.1f %10.1f %10.1f %6.0f/%-5.0f\n",
		       mem_fields[c], mem_median(dv, 0, c, 0),
		       dk >= 0 ? mem_median(dk, 0, c, 0) : NAN,
		       mem_median(dv, 0, c, 1),
		       dk >= 0 ? mem_median(dk, 0, c, 1) : NAN,
		       mem_median(dv, 0, c, 2),
		       dk >= 0 ? mem_median(dk, 0, c, 2) : NAN);
	}
	printf("Slab caches that grew (bytes per VM / per vCPU, "
	       "/proc/slabinfo active objects):\n");
	for (c = 0; c < (unsigned int)nr_slab_rows; c++)
		printf("  %-4s %-28s %8lld %8lld\n", drivers[slabs[c].drv],
		       slabs[c].name, slabs[c].per_vm, slabs[c].per_vcpu);
}

static void print_stats_json(const struct stats *s, const char *indent,
			     bool last)
{
	char b1[32], b2[32], b3[32], b4[32];
	int i;

	if (!s->n) {
		printf("@@JSON %snull%s\n", indent, last ? "" : ",");
		return;
	}
	printf("@@JSON %s{\"median\": %s, \"min\": %s, \"max\": %s, "
	       "\"stddev\": %s, \"iters\": %ld, \"rounds\": [", indent,
	       json_num(b1, 32, s->median), json_num(b2, 32, s->min),
	       json_num(b3, 32, s->max), json_num(b4, 32, s->stddev),
	       s->iters);
	for (i = 0; i < s->n; i++)
		printf("%s%.1f", i ? ", " : "", s->v[i]);
	printf("]}%s\n", last ? "" : ",");
}

static void print_json(int dv, int dk)
{
	char b1[32], b2[32];
	unsigned int c, f;
	int d, ps;

	printf("@@JSON-BEGIN\n");
	printf("@@JSON {\n");
	printf("@@JSON   \"schema\": \"vtx-bench-1\",\n");
	printf("@@JSON   \"note\": \"cycles are RDTSC as seen by the program "
	       "(or the guest, for cases timed in the guest); in the Bochs "
	       "test VM the TSC advances with emulated instructions, so they "
	       "are emulated path lengths, not real-hardware times\",\n");
	printf("@@JSON   \"env\": {\"kernel\": \"%s\", \"cpus\": %ld, "
	       "\"mem_kib\": %ld, \"touch_mib\": %ld, \"passes\": %d, "
	       "\"thp_anon_kib\": {", env_kernel, env_cpus, env_mem_kib,
	       env_touch_mib, max_pass);
	for (d = 0; d < nr_drivers; d++)
		printf("%s\"%s\": %lld", d ? ", " : "", drivers[d], env_thp[d]);
	printf("}},\n");
	printf("@@JSON   \"drivers\": [");
	for (d = 0; d < nr_drivers; d++)
		printf("%s\"%s\"", d ? ", " : "", drivers[d]);
	printf("],\n");
	printf("@@JSON   \"cases\": [\n");
	for (c = 0; c < NR_CASES; c++) {
		double ratio = NAN;

		if (dk >= 0 && res[dv][0][c].n && res[dk][0][c].n)
			ratio = res[dv][0][c].median / res[dk][0][c].median;
		printf("@@JSON     {\"name\": \"%s\", \"unit\": \"%s\", "
		       "\"what\": \"%s\", \"ratio_%s_%s\": %s,\n",
		       cases[c].name, cases[c].unit, cases[c].what,
		       drivers[dv], dk >= 0 ? drivers[dk] : "none",
		       json_num(b1, 32, ratio));
		for (d = 0; d < nr_drivers; d++) {
			printf("@@JSON       \"%s\": [\n", drivers[d]);
			for (ps = 0; ps < max_pass; ps++)
				print_stats_json(&res[d][ps][c],
						 "         ",
						 ps == max_pass - 1);
			printf("@@JSON       ]%s\n",
			       d == nr_drivers - 1 ? "" : ",");
		}
		printf("@@JSON     }%s\n", c == NR_CASES - 1 ? "" : ",");
	}
	printf("@@JSON   ],\n");
	printf("@@JSON   \"memory\": {\"vms\": %d, \"vcpus_per_vm\": %d, "
	       "\"unit\": \"KiB\",\n", MEM_VMS, MEM_VCPUS_PER_VM);
	for (d = 0; d < nr_drivers; d++) {
		printf("@@JSON     \"%s\": [\n", drivers[d]);
		for (ps = 0; ps < max_pass; ps++) {
			printf("@@JSON       {");
			for (f = 0; f < NR_MEM_FIELDS; f++)
				printf("%s\"%s\": {\"per_vm\": %s, "
				       "\"per_vcpu\": %s}",
				       f ? ", " : "", mem_fields[f],
				       json_num(b1, 32,
						mem_median(d, ps, f, 0)),
				       json_num(b2, 32,
						mem_median(d, ps, f, 1)));
			printf("}%s\n", ps == max_pass - 1 ? "" : ",");
		}
		printf("@@JSON     ]%s\n", d == nr_drivers - 1 ? "" : ",");
	}
	printf("@@JSON   },\n");
	printf("@@JSON   \"slab_pass1\": [");
	for (c = 0; c < (unsigned int)nr_slab_rows; c++)
		printf("%s\n@@JSON     {\"driver\": \"%s\", \"cache\": \"%s\", "
		       "\"per_vm_bytes\": %lld, \"per_vcpu_bytes\": %lld}",
		       c ? "," : "", drivers[slabs[c].drv], slabs[c].name,
		       slabs[c].per_vm, slabs[c].per_vcpu);
	printf("\n@@JSON   ]\n");
	printf("@@JSON }\n");
	printf("@@JSON-END\n");
}

static int cmd_report(int argc, char **argv)
{
	char line[4096];
	int i, dv, dk;

	for (i = 2; i < argc; i++) {
		FILE *f = strcmp(argv[i], "-") ? fopen(argv[i], "r") : stdin;

		if (!f) {
			fprintf(stderr, "bench report: %s: %s\n", argv[i],
				strerror(errno));
			return 1;
		}
		while (fgets(line, sizeof(line), f))
			parse_line(line);
		if (f != stdin)
			fclose(f);
	}
	if (!nr_drivers) {
		fprintf(stderr, "bench report: no results\n");
		return 1;
	}
	dv = driver_find("vtx");
	dk = driver_find("kvm");
	if (dv < 0)
		dv = 0;
	print_table(dv, dk == dv ? -1 : dk);
	print_json(dv, dk == dv ? -1 : dk);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return cmd_run(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "report"))
		return cmd_report(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "trace"))
		return cmd_trace(argc, argv);
	fprintf(stderr,
		"usage: %s run --device PATH --driver NAME [--pass N] [--rounds N] [--quick]\n"
		"       %s report FILE...\n"
		"       %s trace --device PATH\n", argv[0], argv[0], argv[0]);
	return 2;
}
