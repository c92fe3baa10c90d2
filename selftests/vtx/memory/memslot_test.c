// SPDX-License-Identifier: GPL-2.0
/*
 * Memslots while the VM lives: as many as KVM_CAP_NR_MEMSLOTS says, add,
 * delete, move, the changes KVM refuses, and read-only slots.  The guest
 * is the peek/poke guest (pp.h), stopped between two KVM_RUNs whenever
 * the host changes a slot.
 *
 * Expected values are upstream KVM's (virt/kvm/kvm_main.c,
 * __kvm_set_memory_region in Linux 6.1): an existing slot may only move
 * (same size, same userspace_addr, same KVM_MEM_READONLY) or change its
 * dirty-logging flag; anything else is EINVAL, an overlap EEXIST.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "memory_test.h"
#include "pp.h"

#define SEED		0x5eed0000u

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}


/* EXPECT_RAM_READ(), and the guest reported the read. */
#define EXPECT_REPORTED_RAM_READ(p, res, addr, want) do {		\
	EXPECT_RAM_READ(p, res, addr, want);				\
	EXPECT_TRUE((res)->reported);					\
} while (0)

/* A guest access that must be one KVM_EXIT_MMIO at @addr. */
#define EXPECT_ONE_MMIO(res, _addr, _len, _write) do {		\
	EXPECT_EQ(1, (res)->nmmio);					\
	if ((res)->nmmio) {						\
		EXPECT_EQ((uint64_t)(_addr), (res)->mmio[0].addr);	\
		EXPECT_EQ(_len, (res)->mmio[0].len);			\
		EXPECT_EQ(_write, (res)->mmio[0].is_write);		\
	}								\
} while (0)

static uint32_t marker(unsigned int slot)
{
	return 0x51070000u ^ (slot * 0x9e3779b1u);
}

/*
 * Every slot id from 1 to KVM_CAP_NR_MEMSLOTS - 1 (slot 0 is the guest's
 * RAM) holds one page; the guest reads a marker from a sample of them
 * (all of them when there are at most 1024) and from the last one.  The
 * next id is EINVAL.  KVM 6.1 reports 32764 (KVM_USER_MEM_SLOTS), vtx 32.
 */
#define MS_GPA		0x10000000u
#define MS_SAMPLES	512

/*
 * KVM's shadow MMU (kvm_intel ept=0) vmallocs, per memslot, the rmaps of
 * three page sizes and the write-tracking array besides the two
 * lpage_info levels every slot has (arch/x86/kvm/x86.c,
 * kvm_alloc_memslot_metadata(); mmu/page_track.c): six pages for a
 * one-page slot, 768 MiB for KVM 6.1's 32,763.  Enough memory for @nr of
 * them (in kB, 6 pages each, plus the test's own pages and 64 MiB)?
 */
#define KVM_SHADOW_SLOT_KB	(6 * 4)

static long mem_available_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static bool kvm_shadow_mmu(int dev_fd)
{
	FILE *f;
	int c = 'Y';

	if (vtx_is_vtx(dev_fd))
		return false;
	f = fopen("/sys/module/kvm_intel/parameters/ept", "r");
	if (f) {
		c = fgetc(f);
		fclose(f);
	}
	return c == 'N' || c == '0';
}

TEST_F_TIMEOUT(mem, nr_memslots, 900)
{
	struct pp_vm *p = pp_create();
	struct pp_res res;
	unsigned int nr, i, stride, nsamples, last;
	uint32_t sum = 0;
	double t0, t1;
	uint8_t *hva;
	long r;

	nr = vtx_check_extension(p->vm->fd, KVM_CAP_NR_MEMSLOTS);
	LOG("KVM_CAP_NR_MEMSLOTS = %u on %s", nr, vtx_driver_name(p->vm->dev_fd));
	ASSERT_GE(nr, 2);
	last = nr - 1;
	if (kvm_shadow_mmu(p->vm->dev_fd)) {
		long need = (long)last * (KVM_SHADOW_SLOT_KB + 4) + 65536;
		long avail = mem_available_kb();

		if (avail >= 0 && avail < need) {
			pp_free(p);
			SKIP(return, "kvm_intel ept=0 needs ~%ld MiB for %u slots "
			     "(6 vmalloc'd pages each), %ld MiB available",
			     need / 1024, last, avail / 1024);
		}
	}
	hva = pp_mmap((size_t)last * VTX_PAGE_SIZE);
	stride = last <= 1024 ? 1 : (last + MS_SAMPLES - 1) / MS_SAMPLES;
	nsamples = (last + stride - 1) / stride;
	for (i = 0; i < nsamples; i++) {
		unsigned int slot = 1 + i * stride;
		uint32_t v = marker(slot);

		memcpy(hva + (size_t)(slot - 1) * VTX_PAGE_SIZE, &v, 4);
		sum += v;
	}
	i = marker(last);
	memcpy(hva + (size_t)(last - 1) * VTX_PAGE_SIZE, &i, 4);

	t0 = now();
	for (i = 1; i <= last; i++) {
		r = __vtx_set_memslot(p->vm->fd, i, 0,
				      MS_GPA + (uint64_t)(i - 1) * VTX_PAGE_SIZE,
				      VTX_PAGE_SIZE,
				      (uintptr_t)hva + (uint64_t)(i - 1) * VTX_PAGE_SIZE);
		ASSERT_EQ(0, r) TH_LOG("slot %u of %u: %s", i, nr, strerror((int)-r));
	}
	t1 = now();
	LOG("created %u one-page slots in %.2f s", last, t1 - t0);
	/* slot ids are 0 .. nr - 1 */
	EXPECT_EQ(-EINVAL, __vtx_set_memslot(p->vm->fd, nr, 0,
					     MS_GPA + (uint64_t)nr * VTX_PAGE_SIZE,
					     VTX_PAGE_SIZE, (uintptr_t)hva));

	PP(p, &res, PP_SUM, MS_GPA, 0, nsamples, stride * VTX_PAGE_SIZE);
	EXPECT_EQ(0, res.nmmio);
	EXPECT_EQ(sum, res.value) TH_LOG("%u samples, every %u slots", nsamples, stride);
	EXPECT_REPORTED_RAM_READ(p, &res, MS_GPA + (last - 1) * VTX_PAGE_SIZE, marker(last));
	LOG("guest read %u slots in %.2f s", nsamples + 1, now() - t1);

	/* the last slot can go and come back, at another address */
	ASSERT_EQ(0, __vtx_set_memslot(p->vm->fd, last, 0, 0, 0, 0));
	PP(p, &res, PP_READ32, MS_GPA + (last - 1) * VTX_PAGE_SIZE, 0, 0, 0);
	EXPECT_ONE_MMIO(&res, MS_GPA + (last - 1) * VTX_PAGE_SIZE, 4, 0);
	ASSERT_EQ(0, __vtx_set_memslot(p->vm->fd, last, 0, MS_GPA - VTX_PAGE_SIZE,
				       VTX_PAGE_SIZE,
				       (uintptr_t)hva + (uint64_t)(last - 1) * VTX_PAGE_SIZE));
	EXPECT_REPORTED_RAM_READ(p, &res, MS_GPA - VTX_PAGE_SIZE, marker(last));
	pp_free(p);
}

#define A_GPA		0x200000u
#define B_GPA		0x480000u
#define C_GPA		0x700000u
#define SLOT_SIZE	0x4000u

/* Add, delete, re-add, move a slot, with the guest looking each time. */
TEST(add_delete_move)
{
	struct pp_vm *p = pp_create();
	uint8_t *h1 = pp_mmap(SLOT_SIZE), *h2 = pp_mmap(SLOT_SIZE);
	struct pp_res res;
	uint32_t v;

	pp_fill_host(h1, A_GPA, SLOT_SIZE, SEED);
	pp_fill_host(h2, C_GPA, SLOT_SIZE, SEED + 1);

	/* nothing there yet: MMIO */
	PP(p, &res, PP_READ32, A_GPA + 0x1004, 0, 0, 0);
	EXPECT_ONE_MMIO(&res, A_GPA + 0x1004, 4, 0);
	EXPECT_EQ((uint32_t)p->mmio_read_value, res.value);

	/* add */
	ASSERT_EQ(0, __vtx_set_memslot(p->vm->fd, 1, 0, A_GPA, SLOT_SIZE, (uintptr_t)h1));
	EXPECT_REPORTED_RAM_READ(p, &res, A_GPA + 0x1004, pp_pattern(A_GPA + 0x1004, SEED));

	/* delete: the same address is MMIO again */
	ASSERT_EQ(0, __vtx_set_memslot(p->vm->fd, 1, 0, A_GPA, 0, (uintptr_t)h1));
	PP(p, &res, PP_READ32, A_GPA + 0x1004, 0, 0, 0);
	EXPECT_ONE_MMIO(&res, A_GPA + 0x1004, 4, 0);
	EXPECT_EQ((uint32_t)p->mmio_read_value, res.value);
	/* deleting a slot that does not exist */
	EXPECT_EQ(-EINVAL, __vtx_set_memslot(p->vm->fd, 1, 0, A_GPA, 0, (uintptr_t)h1));
	EXPECT_EQ(-EINVAL, __vtx_set_memslot(p->vm->fd, 5, 0, 0, 0, 0));

	/* re-add: the memory behind it kept its contents */
	ASSERT_EQ(0, __vtx_set_memslot(p->vm->fd, 1, 0, A_GPA, SLOT_SIZE, (uintptr_t)h1));
	EXPECT_REPORTED_RAM_READ(p, &res, A_GPA + 0x1004, pp_pattern(A_GPA + 0x1004, SEED));
	PP(p, &res, PP_WRITE32, A_GPA + 0x2000, 0x600dcafe, 0, 0);
	EXPECT_EQ(0, res.nmmio);
	memcpy(&v, h1 + 0x2000, 4);
	EXPECT_EQ(0x600dcafe, v);

	/* a second slot, added while the first one is in use */
	ASSERT_EQ(0, __vtx_set_memslot(p->vm->fd, 2, 0, C_GPA, SLOT_SIZE, (uintptr_t)h2));
	EXPECT_REPORTED_RAM_READ(p, &res, C_GPA + 0x3ffc, pp_pattern(C_GPA + 0x3ffc, SEED + 1));

	/* move slot 1 (same size and memory, new address) */
	ASSERT_EQ(0, __vtx_set_memslot(p->vm->fd, 1, 0, B_GPA, SLOT_SIZE, (uintptr_t)h1));
	EXPECT_REPORTED_RAM_READ(p, &res, B_GPA + 0x1004, pp_pattern(A_GPA + 0x1004, SEED));
	EXPECT_REPORTED_RAM_READ(p, &res, B_GPA + 0x2000, 0x600dcafe);
	/* ... the old address is MMIO, reads and writes */
	PP(p, &res, PP_READ32, A_GPA + 0x1004, 0, 0, 0);
	EXPECT_ONE_MMIO(&res, A_GPA + 0x1004, 4, 0);
	EXPECT_EQ((uint32_t)p->mmio_read_value, res.value);
	PP(p, &res, PP_WRITE32, A_GPA + 0x10, 0x12345678, 0, 0);
	EXPECT_ONE_MMIO(&res, A_GPA + 0x10, 4, 1);
	memcpy(&v, res.mmio[0].data, 4);
	EXPECT_EQ(0x12345678, v);
	memcpy(&v, h1 + 0x10, 4);
	EXPECT_EQ(pp_pattern(A_GPA + 0x10, SEED), v);
	/* ... and writes at the new address land in the same memory */
	PP(p, &res, PP_WRITE32, B_GPA + 0x3000, 0xb0b0b0b0, 0, 0);
	EXPECT_EQ(0, res.nmmio);
	memcpy(&v, h1 + 0x3000, 4);
	EXPECT_EQ(0xb0b0b0b0, v);

	/* moving onto another slot, or onto slot 0, is EEXIST */
	EXPECT_EQ(-EEXIST, __vtx_set_memslot(p->vm->fd, 1, 0, C_GPA + 0x1000,
					     SLOT_SIZE, (uintptr_t)h1));
	EXPECT_EQ(-EEXIST, __vtx_set_memslot(p->vm->fd, 1, 0, PP_RAM_SIZE - 0x1000,
					     SLOT_SIZE, (uintptr_t)h1));
	EXPECT_REPORTED_RAM_READ(p, &res, B_GPA + 0x1004, pp_pattern(A_GPA + 0x1004, SEED));

	/* move back, delete the other one */
	ASSERT_EQ(0, __vtx_set_memslot(p->vm->fd, 1, 0, A_GPA, SLOT_SIZE, (uintptr_t)h1));
	EXPECT_REPORTED_RAM_READ(p, &res, A_GPA + 0x3000, 0xb0b0b0b0);
	PP(p, &res, PP_READ32, B_GPA + 0x3000, 0, 0, 0);
	EXPECT_ONE_MMIO(&res, B_GPA + 0x3000, 4, 0);
	ASSERT_EQ(0, __vtx_set_memslot(p->vm->fd, 2, 0, C_GPA, 0, (uintptr_t)h2));
	PP(p, &res, PP_READ32, C_GPA + 0x3ffc, 0, 0, 0);
	EXPECT_ONE_MMIO(&res, C_GPA + 0x3ffc, 4, 0);
	EXPECT_REPORTED_RAM_READ(p, &res, A_GPA + 0x1004, pp_pattern(A_GPA + 0x1004, SEED));
	pp_free(p);
}

/*
 * A slot moved by one page, onto part of its own old range: every guest
 * frame now has another page behind it, including those the guest had
 * mapped (KVM allows the overlap with the slot itself).
 */
TEST(move_onto_itself)
{
	struct pp_vm *p = pp_create();
	uint8_t *h = pp_mmap(SLOT_SIZE);
	struct pp_res res;
	uint32_t off;

	pp_fill_host(h, A_GPA, SLOT_SIZE, SEED);
	ASSERT_EQ(0, __vtx_set_memslot(p->vm->fd, 1, 0, A_GPA, SLOT_SIZE, (uintptr_t)h));
	for (off = 0; off < SLOT_SIZE; off += 0x1000)
		EXPECT_REPORTED_RAM_READ(p, &res, A_GPA + off + 0x44, pp_pattern(A_GPA + off + 0x44, SEED));
	PP(p, &res, PP_WRITE32, A_GPA + 0x2048, 0x22222222, 0, 0);

	ASSERT_EQ(0, __vtx_set_memslot(p->vm->fd, 1, 0, A_GPA + 0x1000, SLOT_SIZE,
				       (uintptr_t)h));
	PP(p, &res, PP_READ32, A_GPA + 0x44, 0, 0, 0);
	EXPECT_ONE_MMIO(&res, A_GPA + 0x44, 4, 0);
	/* GPA A + 0x1000 + x is now h + x */
	EXPECT_REPORTED_RAM_READ(p, &res, A_GPA + 0x1044, pp_pattern(A_GPA + 0x44, SEED));
	EXPECT_REPORTED_RAM_READ(p, &res, A_GPA + 0x2044, pp_pattern(A_GPA + 0x1044, SEED));
	EXPECT_REPORTED_RAM_READ(p, &res, A_GPA + 0x3048, 0x22222222);
	EXPECT_REPORTED_RAM_READ(p, &res, A_GPA + 0x4044, pp_pattern(A_GPA + 0x3044, SEED));
	PP(p, &res, PP_WRITE32, A_GPA + 0x2000, 0x33333333, 0, 0);
	EXPECT_EQ(0x33333333, *(uint32_t *)(h + 0x1000));

	/* and back down by two pages */
	ASSERT_EQ(0, __vtx_set_memslot(p->vm->fd, 1, 0, A_GPA - 0x1000, SLOT_SIZE,
				       (uintptr_t)h));
	EXPECT_REPORTED_RAM_READ(p, &res, A_GPA + 0x0000, 0x33333333);
	EXPECT_REPORTED_RAM_READ(p, &res, A_GPA + 0x1048, 0x22222222);
	PP(p, &res, PP_READ32, A_GPA + 0x3044, 0, 0, 0);
	EXPECT_ONE_MMIO(&res, A_GPA + 0x3044, 4, 0);
	pp_free(p);
}

/*
 * A slot deleted takes its own pages from the guest, no other: the pages
 * of another slot the guest has read do not fault again (a read of each
 * takes at most REFAULT_SLACK more exits, vtx_exits.h, than before).
 * Issue 19: vtx with ept=0 emptied every vCPU's shadow tables, and all of
 * them (and the guest's code and stack) faulted back in.  vtx only: KVM
 * 6.1 drops every mapping of the VM on a memslot deletion, EPT or not
 * (kvm_arch_flush_shadow_memslot() -> kvm_mmu_zap_all_fast()), so its
 * count is logged, not bounded.  The exits are counted while the deleted
 * slot does not exist (vtx finds the VM in its netlink stats by memory
 * size).
 */
#define KEEP_GPA	0x800000u
#define KEEP_PAGES	64
#define REFAULT_SLACK	8

TEST(delete_other_slot_keeps_mapping)
{
	struct pp_vm *p = pp_create();
	uint8_t *keep = vtx_vm_add_mem(p->vm, 1, KEEP_GPA,
				       KEEP_PAGES * VTX_PAGE_SIZE);
	uint8_t *h = pp_mmap(SLOT_SIZE);
	int64_t before, after;
	struct pp_res res;

	pp_fill_host(keep, KEEP_GPA, KEEP_PAGES * VTX_PAGE_SIZE, SEED);
	pp_fill_host(h, A_GPA, SLOT_SIZE, SEED);
	pp_read_pages_exits(p, KEEP_GPA, KEEP_PAGES);
	before = pp_read_pages_exits(p, KEEP_GPA, KEEP_PAGES);
	if (before < 0)
		SKIP(pp_free(p); return, "%s gives no exit counts",
		     vtx_driver_name(p->vm->dev_fd));

	ASSERT_EQ(0, __vtx_set_memslot(p->vm->fd, 2, 0, A_GPA, SLOT_SIZE, (uintptr_t)h));
	EXPECT_REPORTED_RAM_READ(p, &res, A_GPA + 0x1044, pp_pattern(A_GPA + 0x1044, SEED));
	PP(p, &res, PP_WRITE32, A_GPA + 0x2048, 0x22222222, 0, 0);
	ASSERT_EQ(0, __vtx_set_memslot(p->vm->fd, 2, 0, A_GPA, 0, (uintptr_t)h));
	PP(p, &res, PP_READ32, A_GPA + 0x1044, 0, 0, 0);
	EXPECT_ONE_MMIO(&res, A_GPA + 0x1044, 4, 0);

	after = pp_read_pages_exits(p, KEEP_GPA, KEEP_PAGES);
	LOG("%s: read of %d pages of slot 1: %lld exits; after slot 2 deleted: %lld",
	    vtx_driver_name(p->vm->dev_fd), KEEP_PAGES, (long long)before,
	    (long long)after);
	if (vtx_is_vtx(p->vm->dev_fd))
		EXPECT_LE(after, before + REFAULT_SLACK)
			TH_LOG("slot 2 deleted, %lld exits to read slot 1's %d pages again (%lld before)",
			       (long long)after, KEEP_PAGES, (long long)before);
	PP(p, &res, PP_CHECK, KEEP_GPA, SEED, KEEP_PAGES * VTX_PAGE_SIZE / 4, 0);
	EXPECT_EQ(0, res.value);
	pp_free(p);
}

/* Deleted, then the same guest range with other memory, under another id. */
TEST(readd_other_memory)
{
	struct pp_vm *p = pp_create();
	uint8_t *h1 = pp_mmap(SLOT_SIZE), *h2 = pp_mmap(SLOT_SIZE);
	struct pp_res res;

	pp_fill_host(h1, A_GPA, SLOT_SIZE, SEED);
	pp_fill_host(h2, A_GPA, SLOT_SIZE, SEED + 7);
	ASSERT_EQ(0, __vtx_set_memslot(p->vm->fd, 1, 0, A_GPA, SLOT_SIZE, (uintptr_t)h1));
	EXPECT_REPORTED_RAM_READ(p, &res, A_GPA + 0x3010, pp_pattern(A_GPA + 0x3010, SEED));
	PP(p, &res, PP_WRITE32, A_GPA + 0x1010, 0x44444444, 0, 0);

	ASSERT_EQ(0, __vtx_set_memslot(p->vm->fd, 1, 0, A_GPA, 0, (uintptr_t)h1));
	ASSERT_EQ(0, __vtx_set_memslot(p->vm->fd, 3, 0, A_GPA, SLOT_SIZE, (uintptr_t)h2));
	EXPECT_REPORTED_RAM_READ(p, &res, A_GPA + 0x3010, pp_pattern(A_GPA + 0x3010, SEED + 7));
	EXPECT_REPORTED_RAM_READ(p, &res, A_GPA + 0x1010, pp_pattern(A_GPA + 0x1010, SEED + 7));
	PP(p, &res, PP_WRITE32, A_GPA + 0x10, 0x55555555, 0, 0);
	EXPECT_EQ(0x55555555, *(uint32_t *)(h2 + 0x10));
	EXPECT_EQ(pp_pattern(A_GPA + 0x10, SEED), *(uint32_t *)(h1 + 0x10));
	EXPECT_EQ(0x44444444, *(uint32_t *)(h1 + 0x1010));
	pp_free(p);
}

/* What KVM refuses on a live slot, and the slot still working after. */
TEST(invalid_changes)
{
	struct pp_vm *p = pp_create();
	uint8_t *h1 = pp_mmap(2 * SLOT_SIZE), *h2 = pp_mmap(SLOT_SIZE);
	int fd = p->vm->fd;
	struct pp_res res;

	pp_fill_host(h1, A_GPA, SLOT_SIZE, SEED);
	ASSERT_EQ(0, __vtx_set_memslot(fd, 1, 0, A_GPA, SLOT_SIZE, (uintptr_t)h1));
	EXPECT_REPORTED_RAM_READ(p, &res, A_GPA + 0x20, pp_pattern(A_GPA + 0x20, SEED));

	/* resize, bigger or smaller, in place or while moving */
	EXPECT_EQ(-EINVAL, __vtx_set_memslot(fd, 1, 0, A_GPA, 2 * SLOT_SIZE, (uintptr_t)h1));
	EXPECT_EQ(-EINVAL, __vtx_set_memslot(fd, 1, 0, A_GPA, SLOT_SIZE / 2, (uintptr_t)h1));
	EXPECT_EQ(-EINVAL, __vtx_set_memslot(fd, 1, 0, B_GPA, 2 * SLOT_SIZE, (uintptr_t)h1));
	/* other memory */
	EXPECT_EQ(-EINVAL, __vtx_set_memslot(fd, 1, 0, A_GPA, SLOT_SIZE, (uintptr_t)h2));
	EXPECT_EQ(-EINVAL, __vtx_set_memslot(fd, 1, 0, B_GPA, SLOT_SIZE, (uintptr_t)h2));
	/* KVM_MEM_READONLY cannot be toggled */
	if (vtx_check_extension(fd, KVM_CAP_READONLY_MEM) > 0)
		EXPECT_EQ(-EINVAL, __vtx_set_memslot(fd, 1, KVM_MEM_READONLY,
						     A_GPA, SLOT_SIZE, (uintptr_t)h1));
	/* unknown flags */
	EXPECT_EQ(-EINVAL, __vtx_set_memslot(fd, 1, 1u << 15, A_GPA, SLOT_SIZE,
					     (uintptr_t)h1));
	/* the same region again changes nothing */
	EXPECT_EQ(0, __vtx_set_memslot(fd, 1, 0, A_GPA, SLOT_SIZE, (uintptr_t)h1));

	/* new slots: overlap, alignment */
	EXPECT_EQ(-EEXIST, __vtx_set_memslot(fd, 2, 0, A_GPA + SLOT_SIZE - 0x1000,
					     SLOT_SIZE, (uintptr_t)h2));
	EXPECT_EQ(-EEXIST, __vtx_set_memslot(fd, 2, 0, A_GPA - 0x1000, 0x2000,
					     (uintptr_t)h2));
	EXPECT_EQ(-EINVAL, __vtx_set_memslot(fd, 2, 0, C_GPA + 0x800, SLOT_SIZE,
					     (uintptr_t)h2));
	EXPECT_EQ(-EINVAL, __vtx_set_memslot(fd, 2, 0, C_GPA, SLOT_SIZE - 0x800,
					     (uintptr_t)h2));
	EXPECT_EQ(-EINVAL, __vtx_set_memslot(fd, 2, 0, C_GPA, SLOT_SIZE,
					     (uintptr_t)h2 + 0x10));

	/* slot 1 is where it was, with its contents; slot 2 never came */
	EXPECT_REPORTED_RAM_READ(p, &res, A_GPA + 0x20, pp_pattern(A_GPA + 0x20, SEED));
	EXPECT_REPORTED_RAM_READ(p, &res, A_GPA + SLOT_SIZE - 4,
			pp_pattern(A_GPA + SLOT_SIZE - 4, SEED));
	PP(p, &res, PP_READ32, A_GPA + SLOT_SIZE, 0, 0, 0);
	EXPECT_ONE_MMIO(&res, A_GPA + SLOT_SIZE, 4, 0);
	PP(p, &res, PP_READ32, C_GPA, 0, 0, 0);
	EXPECT_ONE_MMIO(&res, C_GPA, 4, 0);
	pp_free(p);
}

#define RO_GPA		0x300000u

/*
 * KVM_MEM_READONLY: reads are RAM; a write of any size is a
 * KVM_EXIT_MMIO write with the address, length and data, and the memory
 * does not change.
 */
TEST(readonly_slot)
{
	struct pp_vm *p = pp_create();
	uint8_t *h = pp_mmap(SLOT_SIZE);
	int fd = p->vm->fd;
	struct pp_res res;
	uint32_t v;
	unsigned int i;

	VTX_REQUIRE_CAP(fd, KVM_CAP_READONLY_MEM);
	pp_fill_host(h, RO_GPA, SLOT_SIZE, SEED);
	ASSERT_EQ(0, __vtx_set_memslot(fd, 1, KVM_MEM_READONLY, RO_GPA, SLOT_SIZE,
				       (uintptr_t)h));

	EXPECT_REPORTED_RAM_READ(p, &res, RO_GPA + 0x10, pp_pattern(RO_GPA + 0x10, SEED));
	PP(p, &res, PP_READ8, RO_GPA + 0x13, 0, 0, 0);
	EXPECT_EQ(0, res.nmmio);
	EXPECT_EQ(pp_pattern(RO_GPA + 0x10, SEED) >> 24, res.value);

	PP(p, &res, PP_WRITE32, RO_GPA + 0x20, 0x13572468, 0, 0);
	EXPECT_ONE_MMIO(&res, RO_GPA + 0x20, 4, 1);
	memcpy(&v, res.mmio[0].data, 4);
	EXPECT_EQ(0x13572468, v);
	PP(p, &res, PP_WRITE16, RO_GPA + 0x32, 0xbeef, 0, 0);
	EXPECT_ONE_MMIO(&res, RO_GPA + 0x32, 2, 1);
	EXPECT_EQ(0xef, res.mmio[0].data[0]);
	EXPECT_EQ(0xbe, res.mmio[0].data[1]);
	PP(p, &res, PP_WRITE8, RO_GPA + 0x1fff, 0x5a, 0, 0);
	EXPECT_ONE_MMIO(&res, RO_GPA + 0x1fff, 1, 1);
	EXPECT_EQ(0x5a, res.mmio[0].data[0]);
	/* a loop of writes: one exit each */
	PP(p, &res, PP_FILL, RO_GPA + 0x100, 0x77, 3, 0);
	EXPECT_EQ(3, res.nmmio);
	for (i = 0; i < 3 && i < res.nmmio; i++) {
		EXPECT_EQ(RO_GPA + 0x100 + 4 * i, res.mmio[i].addr);
		EXPECT_EQ(4, res.mmio[i].len);
		EXPECT_EQ(1, res.mmio[i].is_write);
		memcpy(&v, res.mmio[i].data, 4);
		EXPECT_EQ(pp_pattern(RO_GPA + 0x100 + 4 * i, 0x77), v);
	}
	/* nothing changed, for the host and for the guest */
	EXPECT_EQ(0, pp_check_host(h, RO_GPA, SLOT_SIZE, SEED));
	EXPECT_REPORTED_RAM_READ(p, &res, RO_GPA + 0x20, pp_pattern(RO_GPA + 0x20, SEED));
	PP(p, &res, PP_CHECK, RO_GPA, SEED, SLOT_SIZE / 4, 0);
	EXPECT_EQ(0, res.nmmio);
	EXPECT_EQ(0, res.value);

	/* the host writes the memory: the guest sees it */
	v = 0xabcdef01;
	memcpy(h + 0x50, &v, 4);
	EXPECT_REPORTED_RAM_READ(p, &res, RO_GPA + 0x50, 0xabcdef01);

	/* the same memory as a writable slot: writes are RAM again */
	ASSERT_EQ(0, __vtx_set_memslot(fd, 1, 0, RO_GPA, 0, (uintptr_t)h));
	ASSERT_EQ(0, __vtx_set_memslot(fd, 1, 0, RO_GPA, SLOT_SIZE, (uintptr_t)h));
	PP(p, &res, PP_WRITE32, RO_GPA + 0x20, 0x13572468, 0, 0);
	EXPECT_EQ(0, res.nmmio);
	memcpy(&v, h + 0x20, 4);
	EXPECT_EQ(0x13572468, v);
	pp_free(p);
}

VTX_TEST_MAIN
