// SPDX-License-Identifier: GPL-2.0
/*
 * First-touch EPT faults of one vCPU: ept_touch_4k (MADV_NOHUGEPAGE) and
 * ept_touch_thp (MADV_HUGEPAGE); pf_first_touch of `bench shadow`, the
 * same loop over a smaller slot (EPT or shadow page tables).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "harness.h"
#include "cases.h"

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

void case_touch(const char *name, bool huge)
{
	case_touch_size(name, huge,
			quick ? BENCH_TOUCH_SIZE / 8 : BENCH_TOUCH_SIZE);
}

void case_touch_size(const char *name, bool huge, uint64_t size)
{
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
