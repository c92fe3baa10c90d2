// SPDX-License-Identifier: GPL-2.0
/*
 * The memory behind a slot changes while the VM is stopped (between two
 * KVM_RUNs), after the guest has touched it; the guest must see the new
 * memory, never the pages it had mapped before (the MMU notifier):
 *  - MADV_DONTNEED on private anonymous memory: zeros;
 *  - munmap + mmap(MAP_FIXED) with new contents at the same address, or
 *    mmap(MAP_FIXED) of a memfd straight over it: the new contents;
 *  - mremap away: the address is unmapped, and KVM_RUN fails with EFAULT
 *    when the guest touches it (KVM 6.1: kvm_handle_bad_page() returns
 *    -EFAULT for KVM_PFN_ERR_FAULT); mapping memory there again lets the
 *    same access complete on the next KVM_RUN.
 *
 * Large pages: a 2 MiB slot on transparent huge pages (MADV_HUGEPAGE,
 * hva and GPA 2 MiB aligned).  vtx and KVM map it with a 2 MiB EPT leaf
 * when they can (ept_large_test.c has the cases where they must not):
 * the test checks what the guest sees, not the leaf size -- data across
 * the whole 2 MiB both ways, a 4 KiB MADV_DONTNEED that splits the huge
 * page, and dirty logging of single 4 KiB pages inside it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memory_test.h"
#include "pp.h"

#define N_GPA		0x500000u
#define N_SIZE		0x4000u
#define SEED		0x3c3c0000u



static uint32_t host32(const uint8_t *h, size_t off)
{
	uint32_t v;

	memcpy(&v, h + off, 4);
	return v;
}

/*
 * MADV_DONTNEED of one page of a slot the guest has read all of: only
 * that page faults again.  A read of every page takes at most
 * REFAULT_SLACK more exits (vtx_exits.h) than before, the zeroed page's
 * refault included.  Issue 19: vtx with ept=0 emptied every vCPU's shadow
 * tables for any invalidation, and every page (and the guest's own code
 * and stack) faulted back in; KVM's shadow MMU zaps the page's leaves
 * through its reverse map, and so does vtx now (by host frame).
 */
#define ONE_GPA		0x600000u
#define ONE_PAGES	64
#define ONE_SIZE	(ONE_PAGES * VTX_PAGE_SIZE)
#define REFAULT_SLACK	8

TEST(madv_dontneed_one_page)
{
	struct pp_vm *p = pp_create();
	uint8_t *h = vtx_vm_add_mem(p->vm, 1, ONE_GPA, ONE_SIZE);
	int64_t before, after;
	struct pp_res res;

	pp_fill_host(h, ONE_GPA, ONE_SIZE, SEED);
	pp_read_pages_exits(p, ONE_GPA, ONE_PAGES);
	before = pp_read_pages_exits(p, ONE_GPA, ONE_PAGES);
	if (before < 0)
		SKIP(pp_free(p); return, "%s gives no exit counts",
		     vtx_driver_name(p->vm->dev_fd));

	ASSERT_EQ(0, madvise(h + 7 * VTX_PAGE_SIZE, VTX_PAGE_SIZE,
			     MADV_DONTNEED));
	after = pp_read_pages_exits(p, ONE_GPA, ONE_PAGES);
	LOG("%s: a read of %d pages: %lld exits; after MADV_DONTNEED of one: %lld",
	    vtx_driver_name(p->vm->dev_fd), ONE_PAGES, (long long)before,
	    (long long)after);
	EXPECT_LE(after, before + REFAULT_SLACK)
		TH_LOG("one page invalidated, %lld exits to read the %d pages again (%lld before)",
		       (long long)after, ONE_PAGES, (long long)before);

	EXPECT_RAM_READ(p, &res, ONE_GPA + 7 * VTX_PAGE_SIZE + 0x10, 0);
	EXPECT_RAM_READ(p, &res, ONE_GPA + 8 * VTX_PAGE_SIZE + 0x10,
			pp_pattern(ONE_GPA + 8 * VTX_PAGE_SIZE + 0x10, SEED));
	PP(p, &res, PP_CHECK, ONE_GPA, SEED, 7 * VTX_PAGE_SIZE / 4, 0);
	EXPECT_EQ(0, res.value);
	PP(p, &res, PP_WRITE32, ONE_GPA + 7 * VTX_PAGE_SIZE + 0x20, 0x7777, 0, 0);
	EXPECT_EQ(0x7777, host32(h, 7 * VTX_PAGE_SIZE + 0x20));
	pp_free(p);
}

TEST(madv_dontneed)
{
	struct pp_vm *p = pp_create();
	uint8_t *h = pp_mmap(N_SIZE);
	struct pp_res res;

	pp_fill_host(h, N_GPA, N_SIZE, SEED);
	ASSERT_EQ(0, __vtx_set_memslot(p->vm->fd, 1, 0, N_GPA, N_SIZE, (uintptr_t)h));
	EXPECT_RAM_READ(p, &res, N_GPA + 0x10, pp_pattern(N_GPA + 0x10, SEED));
	EXPECT_RAM_READ(p, &res, N_GPA + 0x3010, pp_pattern(N_GPA + 0x3010, SEED));
	PP(p, &res, PP_WRITE32, N_GPA + 0x1010, 0x11112222, 0, 0);

	ASSERT_EQ(0, madvise(h, N_SIZE, MADV_DONTNEED));
	ASSERT_EQ(0, host32(h, 0x10));
	EXPECT_RAM_READ(p, &res, N_GPA + 0x10, 0);
	EXPECT_RAM_READ(p, &res, N_GPA + 0x1010, 0);
	EXPECT_RAM_READ(p, &res, N_GPA + 0x3010, 0);
	PP(p, &res, PP_SUM, N_GPA, 0, N_SIZE / 4, 4);
	EXPECT_EQ(0, res.value);

	/* guest and host share the new pages */
	PP(p, &res, PP_WRITE32, N_GPA + 0x20, 0xfeedface, 0, 0);
	EXPECT_EQ(0xfeedface, host32(h, 0x20));
	memcpy(h + 0x2030, &(uint32_t){ 0x12345678 }, 4);
	EXPECT_RAM_READ(p, &res, N_GPA + 0x2030, 0x12345678);

	/* one page only: the others keep what they have */
	memcpy(h + 0x1000, &(uint32_t){ 0xaaaa5555 }, 4);
	EXPECT_RAM_READ(p, &res, N_GPA + 0x1000, 0xaaaa5555);
	ASSERT_EQ(0, madvise(h + 0x2000, 0x1000, MADV_DONTNEED));
	EXPECT_RAM_READ(p, &res, N_GPA + 0x2030, 0);
	EXPECT_RAM_READ(p, &res, N_GPA + 0x20, 0xfeedface);
	EXPECT_RAM_READ(p, &res, N_GPA + 0x1000, 0xaaaa5555);
	pp_free(p);
}

TEST(remap_same_address)
{
	struct pp_vm *p = pp_create();
	uint8_t *h = pp_mmap(N_SIZE), *q;
	struct pp_res res;
	int mfd;

	pp_fill_host(h, N_GPA, N_SIZE, SEED);
	ASSERT_EQ(0, __vtx_set_memslot(p->vm->fd, 1, 0, N_GPA, N_SIZE, (uintptr_t)h));
	EXPECT_RAM_READ(p, &res, N_GPA + 0x2008, pp_pattern(N_GPA + 0x2008, SEED));
	PP(p, &res, PP_WRITE32, N_GPA + 0x100, 0x0badf00d, 0, 0);

	/* munmap, then new anonymous memory at the same address */
	ASSERT_EQ(0, munmap(h, N_SIZE));
	q = mmap(h, N_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(h, q);
	pp_fill_host(h, N_GPA, N_SIZE, SEED + 1);
	EXPECT_RAM_READ(p, &res, N_GPA + 0x2008, pp_pattern(N_GPA + 0x2008, SEED + 1));
	EXPECT_RAM_READ(p, &res, N_GPA + 0x100, pp_pattern(N_GPA + 0x100, SEED + 1));
	EXPECT_RAM_READ(p, &res, N_GPA + 0x3ffc, pp_pattern(N_GPA + 0x3ffc, SEED + 1));

	/* a memfd mapped with MAP_FIXED straight over it */
	mfd = memfd_create("vtx-memory", 0);
	ASSERT_GE(mfd, 0);
	ASSERT_EQ(0, ftruncate(mfd, N_SIZE));
	q = mmap(NULL, N_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, q);
	pp_fill_host(q, N_GPA, N_SIZE, SEED + 2);
	ASSERT_EQ(h, mmap(h, N_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			  mfd, 0));
	EXPECT_RAM_READ(p, &res, N_GPA + 0x2008, pp_pattern(N_GPA + 0x2008, SEED + 2));
	/* shared: a write through the other mapping, and from the guest */
	memcpy(q + 0x2008, &(uint32_t){ 0x5a5a1234 }, 4);
	EXPECT_RAM_READ(p, &res, N_GPA + 0x2008, 0x5a5a1234);
	PP(p, &res, PP_WRITE32, N_GPA + 0x3000, 0x600d600d, 0, 0);
	EXPECT_EQ(0x600d600d, host32(q, 0x3000));
	close(mfd);
	pp_free(p);
}

TEST(mremap_away)
{
	struct pp_vm *p = pp_create();
	uint8_t *h = pp_mmap(N_SIZE), *spare = pp_mmap(N_SIZE), *q;
	struct pp_res res;
	int r;

	pp_fill_host(h, N_GPA, N_SIZE, SEED);
	ASSERT_EQ(0, __vtx_set_memslot(p->vm->fd, 1, 0, N_GPA, N_SIZE, (uintptr_t)h));
	EXPECT_RAM_READ(p, &res, N_GPA + 0x1010, pp_pattern(N_GPA + 0x1010, SEED));

	/* the slot's memory moves to another address; nothing is at h */
	q = mremap(h, N_SIZE, N_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED, spare);
	ASSERT_EQ(spare, q);
	ASSERT_EQ(pp_pattern(N_GPA + 0x1010, SEED), host32(q, 0x1010));

	/*
	 * vtx logs a warning for the failed access: let the suite script
	 * finish writing the previous result line first, so that the kernel
	 * message does not land in the middle of it on the serial console.
	 */
	usleep(500 * 1000);
	r = pp_exec(p, PP_READ32, N_GPA + 0x1010, 0, 0, 0, &res);
	EXPECT_EQ(-1, r);
	EXPECT_EQ(-EFAULT, res.err) TH_LOG("%s", pp_res_str(&res));
	EXPECT_FALSE(res.reported);
	/* still nothing there: the same again */
	r = pp_resume(p, &res);
	EXPECT_EQ(-1, r);
	EXPECT_EQ(-EFAULT, res.err) TH_LOG("%s", pp_res_str(&res));

	/* memory at h again: the read completes with its contents */
	ASSERT_EQ(h, mmap(h, N_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	pp_fill_host(h, N_GPA, N_SIZE, SEED + 3);
	ASSERT_EQ(0, pp_resume(p, &res)) TH_LOG("%s", pp_res_str(&res));
	EXPECT_TRUE(res.reported);
	EXPECT_EQ(pp_pattern(N_GPA + 0x1010, SEED + 3), res.value);
	EXPECT_EQ(0, res.nmmio);
	EXPECT_RAM_READ(p, &res, N_GPA + 0x3000, pp_pattern(N_GPA + 0x3000, SEED + 3));
	pp_free(p);
}

#define HUGE		0x200000u
#define T_GPA		0x40000000u
#define T_SEED1		0x13570000u
#define T_SEED2		0x24680000u
#define T_HOLE		0x123000u

TEST_F_TIMEOUT(mem, thp_2m_slot, 300)
{
	struct pp_vm *p;
	struct pp_res res;
	uint64_t bm[HUGE / VTX_PAGE_SIZE / 64];
	struct kvm_dirty_log log = { .slot = 1, .dirty_bitmap = bm };
	char mode[128];
	uint8_t *raw, *h;
	long kb;
	unsigned int i;

	if (pp_thp_mode(mode, sizeof(mode)) <= 0)
		SKIP(return, "transparent huge pages off or absent (%s)", mode);
	LOG("transparent_hugepage/enabled: %s", mode);
	raw = pp_mmap(2 * HUGE);
	h = (uint8_t *)(((uintptr_t)raw + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
	ASSERT_EQ(0, madvise(h, HUGE, MADV_HUGEPAGE));
	pp_fill_host(h, T_GPA, HUGE, T_SEED1);
	kb = pp_anon_huge_kb(h);
	LOG("AnonHugePages of the slot's memory: %ld kB", kb);
	ASSERT_EQ(HUGE / 1024, kb) TH_LOG("the slot is not backed by a huge page");

	p = pp_create();
	ASSERT_EQ(0, __vtx_set_memslot(p->vm->fd, 1, 0, T_GPA, HUGE, (uintptr_t)h));

	/* the host's data, all of it */
	PP(p, &res, PP_CHECK, T_GPA, T_SEED1, HUGE / 4, 0);
	EXPECT_EQ(0, res.value) TH_LOG("dwords that differ");
	EXPECT_EQ(0, res.nmmio);
	/* the guest's data, all of it */
	PP(p, &res, PP_FILL, T_GPA, T_SEED2, HUGE / 4, 0);
	EXPECT_EQ(0, res.nmmio);
	EXPECT_EQ(0, pp_check_host(h, T_GPA, HUGE, T_SEED2));
	EXPECT_RAM_READ(p, &res, T_GPA, pp_pattern(T_GPA, T_SEED2));
	EXPECT_RAM_READ(p, &res, T_GPA + HUGE - 4, pp_pattern(T_GPA + HUGE - 4, T_SEED2));
	kb = pp_anon_huge_kb(h);
	LOG("AnonHugePages after the guest wrote it: %ld kB", kb);
	/* the host writes in the middle */
	memcpy(h + 0x100000, &(uint32_t){ 0x7e57da7a }, 4);
	EXPECT_RAM_READ(p, &res, T_GPA + 0x100000, 0x7e57da7a);
	memcpy(h + 0x100000, &(uint32_t){ pp_pattern(T_GPA + 0x100000, T_SEED2) }, 4);

	/* 4 KiB of it dropped: zeros there, the rest intact */
	ASSERT_EQ(0, madvise(h + T_HOLE, VTX_PAGE_SIZE, MADV_DONTNEED));
	LOG("AnonHugePages after MADV_DONTNEED of 4 KiB: %ld kB", pp_anon_huge_kb(h));
	EXPECT_RAM_READ(p, &res, T_GPA + T_HOLE + 0x10, 0);
	PP(p, &res, PP_CHECK, T_GPA, T_SEED2, T_HOLE / 4, 0);
	EXPECT_EQ(0, res.value);
	PP(p, &res, PP_CHECK, T_GPA + T_HOLE + VTX_PAGE_SIZE, T_SEED2,
	   (HUGE - T_HOLE - VTX_PAGE_SIZE) / 4, 0);
	EXPECT_EQ(0, res.value);
	PP(p, &res, PP_CHECK, T_GPA + T_HOLE, T_SEED2, VTX_PAGE_SIZE / 4, 0);
	EXPECT_EQ(VTX_PAGE_SIZE / 4, res.value);

	/* dirty logging: single 4 KiB pages of the 2 MiB */
	ASSERT_EQ(0, __vtx_set_memslot(p->vm->fd, 1, KVM_MEM_LOG_DIRTY_PAGES,
				       T_GPA, HUGE, (uintptr_t)h));
	PP(p, &res, PP_WRITE32, T_GPA + 0x10, 1, 0, 0);
	PP(p, &res, PP_WRITE32, T_GPA + 257 * VTX_PAGE_SIZE + 0x20, 2, 0, 0);
	PP(p, &res, PP_WRITE32, T_GPA + 511 * VTX_PAGE_SIZE + 0xffc, 3, 0, 0);
	PP(p, &res, PP_READ32, T_GPA + 300 * VTX_PAGE_SIZE, 0, 0, 0);
	ASSERT_EQ(0, __vtx_ioctl(p->vm->fd, KVM_GET_DIRTY_LOG, &log));
	for (i = 0; i < HUGE / VTX_PAGE_SIZE / 64; i++) {
		uint64_t want = 0;

		if (i == 0)
			want = 1;
		else if (i == 257 / 64)
			want = 1ull << (257 % 64);
		else if (i == 511 / 64)
			want = 1ull << (511 % 64);
		EXPECT_EQ(want, bm[i]) TH_LOG("dirty bitmap word %u", i);
	}
	EXPECT_EQ(2, host32(h, 257 * VTX_PAGE_SIZE + 0x20));
	EXPECT_EQ(3, host32(h, 511 * VTX_PAGE_SIZE + 0xffc));
	pp_free(p);
}

VTX_TEST_MAIN
