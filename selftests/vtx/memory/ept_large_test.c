// SPDX-License-Identifier: GPL-2.0
/*
 * 2 MiB EPT leaves only where the VMM itself maps 2 MiB.
 *
 * A hypervisor may map 2 MiB of guest memory with one large EPT leaf only
 * when the VMM's own page table maps the same 2 MiB, at the same offset,
 * with one huge mapping right now.  That the faulting page belongs to a
 * 2 MiB compound page (a transparent huge page) proves nothing: after a
 * partial munmap(), MADV_DONTNEED or mremap() of a THP its other subpages
 * stay in the folio (split later, or never while pinned) while the VMM
 * maps something else, or nothing, at their addresses.  KVM 6.1 walks the
 * host page table (host_pfn_mapping_level()); each test below makes the
 * guest touch another frame of the 2 MiB first, so that a hypervisor that
 * trusts the compound page maps the whole folio again, and then looks at
 * the changed frames: it must see what the VMM maps there now.
 *
 *  ept_large_after_partial_munmap    4 KiB of the THP unmapped: KVM_RUN
 *                                    fails with EFAULT there; new memory
 *                                    mapped there is what the guest sees
 *  ept_large_after_madv_dontneed_subpage  4 KiB dropped: zeros, then the
 *                                    page the VMM writes
 *  ept_large_after_mremap_part       64 KiB of the THP moved away and new
 *                                    memory mapped in its place
 *  ept_large_folio_window_mremapped  a slot whose 2 MiB of user memory hold
 *                                    only a 64 KiB window of a THP (moved in
 *                                    with mremap), the rest 4 KiB pages
 *  ept_large_slot_window_of_folio    a 64 KiB slot over part of a THP: the
 *                                    rest of the 2 MiB is MMIO
 *  ept_large_hva_not_congruent       a 2 MiB slot on THP memory whose user
 *                                    address is 64 KiB off the 2 MiB grid
 *  ept_large_hugetlbfs               a hugetlbfs page: still one 2 MiB leaf
 *
 * On vtx the tests also read the module's page-pin counter
 * (/sys/module/vtx/parameters/allocs_detail, "pin N"): a 2 MiB leaf holds
 * one pin for 512 frames, 4 KiB leaves one each.  So the THP and
 * hugetlbfs cases check that the 2 MiB leaf is still used where it is
 * right, and every test that the pins all go with the VM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memory_test.h"
#include "pp.h"

#define HUGE		0x200000u
#define FRAMES		(HUGE / VTX_PAGE_SIZE)
#define T_GPA		0x40000000u
#define SEED1		0x13570000u
#define SEED2		0x24680000u
#define SEED3		0x5a5a0000u
#define HOLE		0x123000u	/* the 4 KiB frame that changes */
#define WIN		0x10000u	/* 64 KiB */
#define WIN_OFF		0x40000u	/* where the 64 KiB window starts */
#define MMIO_VALUE	0xcafef00du	/* low half of pp->mmio_read_value */



/* The guest reads @size bytes at @gpa: how many dwords are not @seed's? */
#define EXPECT_GUEST_DATA(p, res, gpa, size, seed) do {			\
	PP(p, res, PP_CHECK, gpa, seed, (size) / 4, 0);			\
	EXPECT_EQ(0, (res)->nmmio);					\
	EXPECT_EQ(0, (res)->value)					\
		TH_LOG("%u of %u dwords at %#x differ from seed %#x",	\
		       (res)->value, (unsigned int)(size) / 4,		\
		       (unsigned int)(gpa), (unsigned int)(seed));	\
} while (0)

static uint32_t host32(const uint8_t *h, size_t off)
{
	uint32_t v;

	memcpy(&v, h + off, 4);
	return v;
}

static void put32(uint8_t *h, size_t off, uint32_t v)
{
	memcpy(h + off, &v, 4);
}

/*
 * @n transparent huge pages at a 2 MiB-aligned address, each filled with
 * the PP pattern of @seed for guest addresses from @gpa on.  NULL (and a
 * log line) when the kernel gave fewer huge pages.
 */
static uint8_t *thp_alloc(unsigned int n, uint32_t gpa, uint32_t seed)
{
	uint8_t *raw = pp_mmap((n + 1) * (size_t)HUGE);
	uint8_t *h = (uint8_t *)(((uintptr_t)raw + HUGE - 1) &
				 ~(uintptr_t)(HUGE - 1));
	long kb;

	if (madvise(h, n * (size_t)HUGE, MADV_HUGEPAGE))
		return NULL;
	pp_fill_host(h, gpa, n * (size_t)HUGE, seed);
	kb = pp_anon_huge_kb(h);
	LOG("AnonHugePages of %u x 2 MiB: %ld kB", n, kb);
	return kb == n * (long)HUGE / 1024 ? h : NULL;
}

/* 2 MiB of 4 KiB pages at a 2 MiB-aligned address (no THP). */
static uint8_t *small_alloc(void)
{
	uint8_t *raw = pp_mmap(2 * (size_t)HUGE);
	uint8_t *h = (uint8_t *)(((uintptr_t)raw + HUGE - 1) &
				 ~(uintptr_t)(HUGE - 1));

	VTX_ASSERT(!madvise(h, HUGE, MADV_NOHUGEPAGE), "MADV_NOHUGEPAGE: %s",
		   strerror(errno));
	return h;
}

/* vtx's count of pinned guest pages; -1 on another driver. */
static long vtx_pins(const struct pp_vm *p)
{
	FILE *f;
	char buf[512], *s;
	long n = -1;

	if (p && !vtx_is_vtx(p->vm->dev_fd))
		return -1;
	f = fopen("/sys/module/vtx/parameters/allocs_detail", "r");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f)) {
		s = strstr(buf, "pin ");
		if (s)
			n = strtol(s + 4, NULL, 10);
	}
	fclose(f);
	return n;
}

/* vtx's module parameter @name: its first character ('Y', 'N'), or 'Y'. */
static int vtx_param(const char *name)
{
	char path[64];
	FILE *f;
	int c = 'Y';

	snprintf(path, sizeof(path), "/sys/module/vtx/parameters/%s", name);
	f = fopen(path, "r");
	if (f) {
		c = fgetc(f);
		fclose(f);
	}
	return c;
}

/*
 * Does vtx map 2 MiB leaves at all?  Not on a host with the iTLB
 * multihit erratum unless it runs with mitigations=off (design.rst,
 * "Mitigations"), and not with ept=0: shadow page tables map 4 KiB pages
 * only (design.rst 8.3).  Then every 2 MiB pass takes 4 KiB leaves; the
 * guest must still see what the VMM maps now.
 */
static bool vtx_ept_2m(void)
{
	return vtx_param("ept_2m") != 'N' && vtx_param("ept") != 'N';
}

/*
 * A VM from pp_create() whose first report is behind it: the guest's
 * first command that reports maps one more page of slot 0 (measured: one
 * pin), which must not count in the pins a test measures for its slot.
 */
static struct pp_vm *pp_create_warm(void)
{
	struct pp_vm *p = pp_create();
	struct pp_res res;

	VTX_ASSERT(!pp_exec(p, PP_CHECK, PP_MBOX_GPA, 0, 1, 0, &res),
		   "warm-up: %s", pp_res_str(&res));
	return p;
}

/*
 * The guest reads the whole 2 MiB slot at T_GPA (@seed's pattern); on vtx
 * that takes @want_pins new pins (1: one 2 MiB leaf, FRAMES: 4 KiB ones).
 */
#define GUEST_READS_ALL(p, res, seed, want_pins) do {			\
	long __before = vtx_pins(p);					\
									\
	EXPECT_GUEST_DATA(p, res, T_GPA, HUGE, seed);			\
	if (__before >= 0) {						\
		long __n = vtx_pins(p) - __before;			\
		long __want = (want_pins) == 1 && !vtx_ept_2m() ?	\
			      FRAMES : (want_pins);			\
									\
		LOG("vtx: the guest's pass over 2 MiB took %ld pin(s)", __n); \
		EXPECT_EQ(__want, __n)					\
			TH_LOG("1 = one 2 MiB leaf, %u = 4 KiB leaves", FRAMES); \
	}								\
} while (0)

/* Free the VM; on vtx every pin it took must be gone with it. */
#define VM_FREE(p, pins0) do {						\
	bool __vtx = vtx_is_vtx((p)->vm->dev_fd);			\
									\
	pp_free(p);							\
	if (__vtx)							\
		EXPECT_EQ(pins0, vtx_pins(NULL))			\
			TH_LOG("vtx pins before the VM and after it");	\
} while (0)

#define NEED_THP(mode) do {						\
	if (pp_thp_mode(mode, sizeof(mode)) <= 0)				\
		SKIP(return, "transparent huge pages off (%s)", mode);	\
	LOG("transparent_hugepage/enabled: %s", mode);			\
} while (0)

/*
 * One 4 KiB frame of a THP-backed slot is unmapped: KVM_RUN fails with
 * EFAULT when the guest touches it (KVM 6.1: no page at the address), even
 * after the guest touched another frame of the same 2 MiB; anonymous
 * memory mapped there then is what the guest reads and writes.
 */
TEST_F_TIMEOUT(mem, ept_large_after_partial_munmap, 300)
{
	struct pp_vm *p;
	struct pp_res res;
	char mode[128];
	uint8_t *h;
	long pins0 = vtx_pins(NULL);
	int r;

	NEED_THP(mode);
	h = thp_alloc(1, T_GPA, SEED1);
	ASSERT_NE(NULL, h) TH_LOG("the slot is not backed by a huge page");
	p = pp_create_warm();
	ASSERT_EQ(0, __vtx_set_memslot(p->vm->fd, 1, 0, T_GPA, HUGE, (uintptr_t)h));
	GUEST_READS_ALL(p, &res, SEED1, 1);

	ASSERT_EQ(0, munmap(h + HOLE, VTX_PAGE_SIZE));
	LOG("AnonHugePages after munmap of 4 KiB: %ld kB", pp_anon_huge_kb(h));
	/* another frame of the same 2 MiB first */
	EXPECT_RAM_READ(p, &res, T_GPA + 0x10, pp_pattern(T_GPA + 0x10, SEED1));
	/* vtx warns about the failed access: let the result line go first */
	usleep(500 * 1000);
	r = pp_exec(p, PP_READ32, T_GPA + HOLE + 0x10, 0, 0, 0, &res);
	if (!r)
		LOG("the guest read %#x in the unmapped frame (its old data: %#x)",
		    res.value, pp_pattern(T_GPA + HOLE + 0x10, SEED1));
	EXPECT_EQ(-1, r);
	EXPECT_EQ(-EFAULT, res.err) TH_LOG("%s", pp_res_str(&res));

	/* new memory there: the access completes with its contents */
	ASSERT_EQ(h + HOLE, mmap(h + HOLE, VTX_PAGE_SIZE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	pp_fill_host(h + HOLE, T_GPA + HOLE, VTX_PAGE_SIZE, SEED3);
	if (r) {
		ASSERT_EQ(0, pp_resume(p, &res)) TH_LOG("%s", pp_res_str(&res));
		EXPECT_TRUE(res.reported);
		EXPECT_EQ(pp_pattern(T_GPA + HOLE + 0x10, SEED3), res.value);
	}
	EXPECT_RAM_READ(p, &res, T_GPA + 0x20, pp_pattern(T_GPA + 0x20, SEED1));
	EXPECT_GUEST_DATA(p, &res, T_GPA + HOLE, VTX_PAGE_SIZE, SEED3);
	EXPECT_GUEST_DATA(p, &res, T_GPA, HOLE, SEED1);
	EXPECT_GUEST_DATA(p, &res, T_GPA + HOLE + VTX_PAGE_SIZE,
			  HUGE - HOLE - VTX_PAGE_SIZE, SEED1);
	/* and the guest's writes land in it */
	PP(p, &res, PP_WRITE32, T_GPA + HOLE + 0x30, 0x600dcafe, 0, 0);
	EXPECT_EQ(0x600dcafe, host32(h, HOLE + 0x30));
	VM_FREE(p, pins0);
}

/*
 * MADV_DONTNEED of one 4 KiB frame: the guest reads zeros there, then
 * what the VMM writes, and the VMM sees what the guest writes.
 */
TEST_F_TIMEOUT(mem, ept_large_after_madv_dontneed_subpage, 300)
{
	struct pp_vm *p;
	struct pp_res res;
	char mode[128];
	uint8_t *h;
	long pins0 = vtx_pins(NULL);

	NEED_THP(mode);
	h = thp_alloc(1, T_GPA, SEED1);
	ASSERT_NE(NULL, h) TH_LOG("the slot is not backed by a huge page");
	p = pp_create_warm();
	ASSERT_EQ(0, __vtx_set_memslot(p->vm->fd, 1, 0, T_GPA, HUGE, (uintptr_t)h));
	GUEST_READS_ALL(p, &res, SEED1, 1);

	ASSERT_EQ(0, madvise(h + HOLE, VTX_PAGE_SIZE, MADV_DONTNEED));
	LOG("AnonHugePages after MADV_DONTNEED of 4 KiB: %ld kB",
	    pp_anon_huge_kb(h));
	EXPECT_RAM_READ(p, &res, T_GPA + 0x10, pp_pattern(T_GPA + 0x10, SEED1));
	PP(p, &res, PP_READ32, T_GPA + HOLE + 0x10, 0, 0, 0);
	if (res.value)
		LOG("the guest read %#x in the dropped frame (its old data: %#x)",
		    res.value, pp_pattern(T_GPA + HOLE + 0x10, SEED1));
	EXPECT_EQ(0, res.value);
	PP(p, &res, PP_SUM, T_GPA + HOLE, 0, VTX_PAGE_SIZE / 4, 4);
	EXPECT_EQ(0, res.value) TH_LOG("sum of the dropped frame");

	/* the VMM writes the new page; the guest sees it */
	put32(h, HOLE + 0x20, 0x7e57da7a);
	EXPECT_RAM_READ(p, &res, T_GPA + 0x40, pp_pattern(T_GPA + 0x40, SEED1));
	EXPECT_RAM_READ(p, &res, T_GPA + HOLE + 0x20, 0x7e57da7a);
	/* the guest writes it; the VMM sees it */
	PP(p, &res, PP_WRITE32, T_GPA + HOLE + 0x30, 0x600dcafe, 0, 0);
	EXPECT_EQ(0x600dcafe, host32(h, HOLE + 0x30));
	EXPECT_EQ(0x7e57da7a, host32(h, HOLE + 0x20));
	/* the rest is intact */
	EXPECT_GUEST_DATA(p, &res, T_GPA, HOLE, SEED1);
	EXPECT_GUEST_DATA(p, &res, T_GPA + HOLE + VTX_PAGE_SIZE,
			  HUGE - HOLE - VTX_PAGE_SIZE, SEED1);
	VM_FREE(p, pins0);
}

/*
 * 64 KiB of the THP are moved away with mremap() and new memory is mapped
 * in their place: the guest sees and writes the new memory, not the
 * moved pages.
 */
TEST_F_TIMEOUT(mem, ept_large_after_mremap_part, 300)
{
	struct pp_vm *p;
	struct pp_res res;
	char mode[128];
	uint8_t *h, *spare, *q;
	long pins0 = vtx_pins(NULL);
	size_t diff;

	NEED_THP(mode);
	h = thp_alloc(1, T_GPA, SEED1);
	ASSERT_NE(NULL, h) TH_LOG("the slot is not backed by a huge page");
	spare = pp_mmap(WIN);
	p = pp_create_warm();
	ASSERT_EQ(0, __vtx_set_memslot(p->vm->fd, 1, 0, T_GPA, HUGE, (uintptr_t)h));
	GUEST_READS_ALL(p, &res, SEED1, 1);

	q = mremap(h + WIN_OFF, WIN, WIN, MREMAP_MAYMOVE | MREMAP_FIXED, spare);
	ASSERT_EQ(spare, q) TH_LOG("mremap: %s", strerror(errno));
	ASSERT_EQ(0, pp_check_host(spare, T_GPA + WIN_OFF, WIN, SEED1));
	ASSERT_EQ(h + WIN_OFF, mmap(h + WIN_OFF, WIN, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				    -1, 0));
	pp_fill_host(h + WIN_OFF, T_GPA + WIN_OFF, WIN, SEED3);
	LOG("AnonHugePages after mremap of 64 KiB: %ld kB", pp_anon_huge_kb(h));

	EXPECT_RAM_READ(p, &res, T_GPA + 0x10, pp_pattern(T_GPA + 0x10, SEED1));
	PP(p, &res, PP_CHECK, T_GPA + WIN_OFF, SEED3, WIN / 4, 0);
	EXPECT_EQ(0, res.value)
		TH_LOG("%u of %u dwords are not the new memory's", res.value,
		       WIN / 4);
	PP(p, &res, PP_CHECK, T_GPA + WIN_OFF, SEED1, WIN / 4, 0);
	if (res.value != WIN / 4)
		LOG("the guest read %u dwords of the moved-away pages",
		    WIN / 4 - res.value);
	PP(p, &res, PP_WRITE32, T_GPA + WIN_OFF + 0x40, 0x600dcafe, 0, 0);
	EXPECT_EQ(0x600dcafe, host32(h, WIN_OFF + 0x40));
	diff = pp_check_host(spare, T_GPA + WIN_OFF, WIN, SEED1);
	EXPECT_EQ(0, diff) TH_LOG("the moved-away pages were written");
	EXPECT_GUEST_DATA(p, &res, T_GPA, WIN_OFF, SEED1);
	EXPECT_GUEST_DATA(p, &res, T_GPA + WIN_OFF + WIN,
			  HUGE - WIN_OFF - WIN, SEED1);
	VM_FREE(p, pins0);
}

/*
 * The slot's 2 MiB of user memory (2 MiB aligned, as is its GPA) are
 * 4 KiB pages except the first 64 KiB, which are the first 16 pages of a
 * THP moved there with mremap() (the THP's other pages stay where they
 * were, outside the slot).  The guest first touches frame 0 -- a page of a
 * 2 MiB compound page at the matching offset -- and must then see the
 * slot's own 4 KiB pages in the rest, never the rest of the THP.
 */
TEST_F_TIMEOUT(mem, ept_large_folio_window_mremapped, 300)
{
	struct pp_vm *p;
	struct pp_res res;
	char mode[128];
	uint8_t *thp, *h, *q;
	long pins0 = vtx_pins(NULL);

	NEED_THP(mode);
	thp = thp_alloc(1, T_GPA, SEED1);
	ASSERT_NE(NULL, thp) TH_LOG("no huge page");
	h = small_alloc();
	pp_fill_host(h, T_GPA, HUGE, SEED2);
	q = mremap(thp, WIN, WIN, MREMAP_MAYMOVE | MREMAP_FIXED, h);
	ASSERT_EQ(h, q) TH_LOG("mremap: %s", strerror(errno));
	ASSERT_EQ(0, pp_check_host(h, T_GPA, WIN, SEED1));
	LOG("AnonHugePages left of the THP: %ld kB", pp_anon_huge_kb(thp + WIN));

	p = pp_create_warm();
	ASSERT_EQ(0, __vtx_set_memslot(p->vm->fd, 1, 0, T_GPA, HUGE, (uintptr_t)h));
	EXPECT_RAM_READ(p, &res, T_GPA + 0x10, pp_pattern(T_GPA + 0x10, SEED1));
	PP(p, &res, PP_CHECK, T_GPA + WIN, SEED2, (HUGE - WIN) / 4, 0);
	EXPECT_EQ(0, res.value)
		TH_LOG("%u of %u dwords are not the slot's own memory",
		       res.value, (HUGE - WIN) / 4);
	PP(p, &res, PP_CHECK, T_GPA + WIN, SEED1, (HUGE - WIN) / 4, 0);
	if (res.value != (HUGE - WIN) / 4)
		LOG("the guest read %u dwords of the THP outside the slot",
		    (HUGE - WIN) / 4 - res.value);
	EXPECT_GUEST_DATA(p, &res, T_GPA, WIN, SEED1);
	PP(p, &res, PP_WRITE32, T_GPA + HUGE - 4, 0x600dcafe, 0, 0);
	EXPECT_EQ(0x600dcafe, host32(h, HUGE - 4));
	EXPECT_EQ(pp_pattern(T_GPA + HUGE - 4, SEED1), host32(thp, HUGE - 4));
	VM_FREE(p, pins0);
}

/*
 * A 64 KiB slot over part of a THP: the guest sees the 64 KiB, and the
 * rest of the same 2 MiB of guest-physical space is MMIO, not the rest of
 * the huge page.
 */
TEST_F_TIMEOUT(mem, ept_large_slot_window_of_folio, 300)
{
	struct pp_vm *p;
	struct pp_res res;
	char mode[128];
	uint8_t *h;
	long pins0 = vtx_pins(NULL), before;
	static const uint32_t outside[] = {
		T_GPA + 0x10, T_GPA + WIN_OFF - 4, T_GPA + WIN_OFF + WIN,
		T_GPA + WIN_OFF + WIN + 0x1230, T_GPA + HUGE - 4,
	};
	unsigned int i;

	NEED_THP(mode);
	h = thp_alloc(1, T_GPA, SEED1);
	ASSERT_NE(NULL, h) TH_LOG("no huge page");
	p = pp_create_warm();
	ASSERT_EQ(0, __vtx_set_memslot(p->vm->fd, 1, 0, T_GPA + WIN_OFF, WIN,
				       (uintptr_t)h + WIN_OFF));
	before = vtx_pins(p);
	EXPECT_GUEST_DATA(p, &res, T_GPA + WIN_OFF, WIN, SEED1);
	if (before >= 0)
		EXPECT_EQ(WIN / VTX_PAGE_SIZE, vtx_pins(p) - before);
	for (i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		PP(p, &res, PP_READ32, outside[i], 0, 0, 0);
		EXPECT_EQ(1, res.nmmio) TH_LOG("read of %#x", outside[i]);
		EXPECT_EQ(outside[i], res.mmio[0].addr);
		EXPECT_EQ(MMIO_VALUE, res.value)
			TH_LOG("read of %#x (the THP holds %#x there)",
			       outside[i], pp_pattern(outside[i], SEED1));
	}
	PP(p, &res, PP_WRITE32, T_GPA + WIN_OFF + WIN, 0x600dcafe, 0, 0);
	EXPECT_EQ(1, res.nmmio);
	EXPECT_EQ(pp_pattern(T_GPA + WIN_OFF + WIN, SEED1),
		  host32(h, WIN_OFF + WIN));
	PP(p, &res, PP_WRITE32, T_GPA + WIN_OFF + 0x40, 0x600dcafe, 0, 0);
	EXPECT_EQ(0, res.nmmio);
	EXPECT_EQ(0x600dcafe, host32(h, WIN_OFF + 0x40));
	VM_FREE(p, pins0);
}

/*
 * A 2 MiB slot at a 2 MiB-aligned GPA whose user address is 64 KiB past a
 * THP boundary: each aligned 2 MiB of the guest straddles two huge pages,
 * so it can only be 4 KiB leaves; the guest sees exactly the slot's bytes.
 */
TEST_F_TIMEOUT(mem, ept_large_hva_not_congruent, 300)
{
	struct pp_vm *p;
	struct pp_res res;
	char mode[128];
	uint8_t *h;
	long pins0 = vtx_pins(NULL);

	NEED_THP(mode);
	/* guest frame 0 is at h + WIN */
	h = thp_alloc(2, T_GPA - WIN, SEED1);
	ASSERT_NE(NULL, h) TH_LOG("no huge pages");
	p = pp_create_warm();
	ASSERT_EQ(0, __vtx_set_memslot(p->vm->fd, 1, 0, T_GPA, HUGE,
				       (uintptr_t)h + WIN));
	GUEST_READS_ALL(p, &res, SEED1, FRAMES);
	PP(p, &res, PP_FILL, T_GPA, SEED2, HUGE / 4, 0);
	EXPECT_EQ(0, pp_check_host(h + WIN, T_GPA, HUGE, SEED2));
	EXPECT_EQ(0, pp_check_host(h, T_GPA - WIN, WIN, SEED1));
	EXPECT_EQ(0, pp_check_host(h + WIN + HUGE, T_GPA + HUGE,
				   HUGE - WIN, SEED1));
	VM_FREE(p, pins0);
}

/* Add @n to vm.nr_hugepages; returns the old value, or -1. */
static long nr_hugepages_add(long n)
{
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "r+");
	long old = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &old) != 1)
		old = -1;
	if (old >= 0) {
		rewind(f);
		fprintf(f, "%ld\n", old + n);
	}
	fclose(f);
	return old;
}

/* A hugetlbfs page mapped by the VMM with one PMD: one 2 MiB leaf. */
TEST_F_TIMEOUT(mem, ept_large_hugetlbfs, 300)
{
	struct pp_vm *p;
	struct pp_res res;
	uint8_t *h;
	long pins0 = vtx_pins(NULL), old;

	old = nr_hugepages_add(1);
	if (old < 0)
		SKIP(return, "no /proc/sys/vm/nr_hugepages");
	h = mmap(NULL, HUGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (h == MAP_FAILED) {
		nr_hugepages_add(-1);
		SKIP(return, "no hugetlbfs page: %s", strerror(errno));
	}
	pp_fill_host(h, T_GPA, HUGE, SEED1);
	p = pp_create_warm();
	ASSERT_EQ(0, __vtx_set_memslot(p->vm->fd, 1, 0, T_GPA, HUGE, (uintptr_t)h));
	GUEST_READS_ALL(p, &res, SEED1, 1);
	PP(p, &res, PP_FILL, T_GPA, SEED2, HUGE / 4, 0);
	EXPECT_EQ(0, pp_check_host(h, T_GPA, HUGE, SEED2));
	put32(h, HOLE, 0x7e57da7a);
	EXPECT_RAM_READ(p, &res, T_GPA + HOLE, 0x7e57da7a);
	VM_FREE(p, pins0);
	munmap(h, HUGE);
	nr_hugepages_add(-1);
}

VTX_TEST_MAIN
