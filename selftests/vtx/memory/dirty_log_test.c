// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_MEM_LOG_DIRTY_PAGES and KVM_GET_DIRTY_LOG: the bitmap holds exactly
 * the pages the guest wrote since the previous call, reads of pages the
 * guest already had do not count, each call clears it, and logging can be
 * turned on and off on a live slot (pages mapped writable before must be
 * caught again).
 *
 * The first read of a page the guest never touched may count: KVM 6.1
 * maps a page writable on a read fault when the host page is writable
 * (hva_to_pfn asks for a writable page) and logs it as dirty there
 * (mmu/spte.c, make_spte: a writable SPTE in a logged slot marks the gfn
 * dirty); vtx maps it read-only and does not.  Both are correct for
 * KVM_GET_DIRTY_LOG, whose log may only ever hold more than what was
 * written: the test asserts the log is within the pages read.
 *
 * KVM 6.1 without KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 enabled: the bitmap
 * starts empty, KVM_GET_DIRTY_LOG returns and clears it; a slot without
 * logging, or no slot at all, is ENOENT; a slot id out of range EINVAL.
 * vtx does not implement KVM_CLEAR_DIRTY_LOG: not tested.
 * dirty_log_wrprot_one_page: a write protection costs no refault of the
 * other pages (exits counted, vtx_exits.h).
 */
#include <errno.h>
#include <string.h>

#include "memory_test.h"
#include "pp.h"

#define D_GPA		0x400000u
#define D_PAGES		64
#define D_SIZE		(D_PAGES * VTX_PAGE_SIZE)
#define SEED		0xd1270000u


static long get_dirty_log(int vm_fd, uint32_t slot, uint64_t *bitmap,
			  size_t words)
{
	struct kvm_dirty_log log = { .slot = slot };

	memset(bitmap, 0xa5, words * 8);	/* all overwritten */
	log.dirty_bitmap = bitmap;
	return __vtx_ioctl(vm_fd, KVM_GET_DIRTY_LOG, &log);
}

static void bits_str(const uint64_t *bm, unsigned int npages, char *buf,
		     size_t size)
{
	unsigned int i;
	size_t n = 0;

	buf[0] = 0;
	for (i = 0; i < npages && n + 8 < size; i++)
		if (bm[i / 64] >> (i % 64) & 1)
			n += snprintf(buf + n, size - n, " %u", i);
	if (!n)
		snprintf(buf, size, " (none)");
}

/* The log of @slot must be exactly the pages in @want (ends at -1). */
#define EXPECT_DIRTY(p, slot, npages, ...) do {				\
	static const int _dl_want[] = { __VA_ARGS__, -1 };		\
	uint64_t _dl_bm[8], _dl_exp[8] = { 0 };				\
	char _dl_got[256], _dl_wnt[256];					\
	unsigned int _dl_i;						\
									\
	for (_dl_i = 0; _dl_want[_dl_i] >= 0; _dl_i++)				\
		_dl_exp[_dl_want[_dl_i] / 64] |= 1ull << (_dl_want[_dl_i] % 64);	\
	ASSERT_EQ(0, get_dirty_log((p)->vm->fd, slot, _dl_bm, ((npages) + 63) / 64)); \
	bits_str(_dl_bm, npages, _dl_got, sizeof(_dl_got));			\
	bits_str(_dl_exp, npages, _dl_wnt, sizeof(_dl_wnt));			\
	EXPECT_EQ(0, memcmp(_dl_bm, _dl_exp, ((npages) + 63) / 64 * 8))	\
		TH_LOG("dirty pages:%s, expected:%s", _dl_got, _dl_wnt);	\
} while (0)

#define NONE	-1

static void write_page(struct __test_metadata *_metadata, struct pp_vm *p,
		       uint32_t base, unsigned int page, uint32_t val)
{
	struct pp_res res;

	PP(p, &res, PP_WRITE32, base + page * VTX_PAGE_SIZE + 0x40, val, 0, 0);
	EXPECT_EQ(0, res.nmmio);
}

static void read_page(struct __test_metadata *_metadata, struct pp_vm *p,
		      uint32_t base, unsigned int page)
{
	struct pp_res res;

	PP(p, &res, PP_READ32, base + page * VTX_PAGE_SIZE + 0x80, 0, 0, 0);
	EXPECT_EQ(0, res.nmmio);
}

TEST(dirty_log)
{
	struct pp_vm *p = pp_create();
	uint8_t *h = pp_mmap(D_SIZE);
	int fd = p->vm->fd;
	unsigned int nr = vtx_check_extension(fd, KVM_CAP_NR_MEMSLOTS);
	struct pp_res res;
	uint64_t bm[1];
	uint32_t v;

	/* the host writes every page first: host writes are not logged */
	pp_fill_host(h, D_GPA, D_SIZE, SEED);
	ASSERT_EQ(0, __vtx_set_memslot(fd, 1, KVM_MEM_LOG_DIRTY_PAGES, D_GPA,
				       D_SIZE, (uintptr_t)h));
	EXPECT_DIRTY(p, 1, D_PAGES, NONE);

	/* writes, one page twice, and reads */
	write_page(_metadata, p, D_GPA, 0, 0x1000);
	write_page(_metadata, p, D_GPA, 1, 0x1001);
	write_page(_metadata, p, D_GPA, 5, 0x1005);
	write_page(_metadata, p, D_GPA, 5, 0x2005);
	write_page(_metadata, p, D_GPA, 17, 0x1017);
	write_page(_metadata, p, D_GPA, 63, 0x1063);
	EXPECT_DIRTY(p, 1, D_PAGES, 0, 1, 5, 17, 63);
	memcpy(&v, h + 5 * VTX_PAGE_SIZE + 0x40, 4);
	EXPECT_EQ(0x2005, v);

	/* nothing since: empty; reads of written pages do not count */
	EXPECT_DIRTY(p, 1, D_PAGES, NONE);
	read_page(_metadata, p, D_GPA, 0);
	read_page(_metadata, p, D_GPA, 1);
	EXPECT_DIRTY(p, 1, D_PAGES, NONE);

	/* written again: logged again */
	write_page(_metadata, p, D_GPA, 1, 0x3001);
	write_page(_metadata, p, D_GPA, 40, 0x3040);
	EXPECT_DIRTY(p, 1, D_PAGES, 1, 40);

	/* a loop across three pages */
	PP(p, &res, PP_FILL, D_GPA + 10 * VTX_PAGE_SIZE, SEED + 1, 3 * VTX_PAGE_SIZE / 4, 0);
	EXPECT_EQ(0, res.nmmio);
	EXPECT_DIRTY(p, 1, D_PAGES, 10, 11, 12);
	EXPECT_EQ(0, pp_check_host(h + 10 * VTX_PAGE_SIZE, D_GPA + 10 * VTX_PAGE_SIZE,
				   3 * VTX_PAGE_SIZE, SEED + 1));

	/* first reads of pages never touched: at most those pages */
	read_page(_metadata, p, D_GPA, 2);
	read_page(_metadata, p, D_GPA, 3);
	read_page(_metadata, p, D_GPA, 30);
	ASSERT_EQ(0, get_dirty_log(fd, 1, bm, 1));
	EXPECT_EQ(0, bm[0] & ~(1ull << 2 | 1ull << 3 | 1ull << 30))
		TH_LOG("log %#llx after reads of pages 2, 3, 30", (unsigned long long)bm[0]);
	LOG("%s logs first reads of pages 2, 3, 30 as %#llx",
	    vtx_driver_name(p->vm->dev_fd), (unsigned long long)bm[0]);
	read_page(_metadata, p, D_GPA, 2);
	read_page(_metadata, p, D_GPA, 30);
	EXPECT_DIRTY(p, 1, D_PAGES, NONE);

	/* a move keeps the log; pages are counted from the slot's start */
	write_page(_metadata, p, D_GPA, 4, 0x4004);
	ASSERT_EQ(0, __vtx_set_memslot(fd, 1, KVM_MEM_LOG_DIRTY_PAGES, 2 * D_GPA,
				       D_SIZE, (uintptr_t)h));
	write_page(_metadata, p, 2 * D_GPA, 6, 0x4006);
	EXPECT_DIRTY(p, 1, D_PAGES, 4, 6);

	/* ENOENT: no logging on slot 0, no slot 7; EINVAL: no such id */
	EXPECT_EQ(-ENOENT, get_dirty_log(fd, 0, bm, 1));
	EXPECT_EQ(-ENOENT, get_dirty_log(fd, 7, bm, 1));
	EXPECT_EQ(-EINVAL, get_dirty_log(fd, nr, bm, 1));
	/*
	 * Slot 1 of address space 1, the SMM address space that vtx has as
	 * KVM on x86 does (Documentation/vtx/api.rst, 4.10): no such slot
	 * there (ENOENT); address space 2 does not exist (EINVAL).
	 */
	EXPECT_EQ(-ENOENT, get_dirty_log(fd, 1u << 16 | 1, bm, 1));
	EXPECT_EQ(-EINVAL, get_dirty_log(fd, 2u << 16 | 1, bm, 1));
	pp_free(p);
}

/*
 * Logging turned on for a slot whose pages the guest has already written
 * (so they are mapped writable), off, and on again.
 */
TEST(dirty_log_toggle)
{
	struct pp_vm *p = pp_create();
	uint8_t *h = pp_mmap(D_SIZE);
	int fd = p->vm->fd;
	struct pp_res res;
	uint64_t bm[1];
	unsigned int i;
	uint32_t v;

	ASSERT_EQ(0, __vtx_set_memslot(fd, 1, 0, D_GPA, D_SIZE, (uintptr_t)h));
	for (i = 0; i < 8; i++)
		write_page(_metadata, p, D_GPA, i, 0x100 + i);
	EXPECT_EQ(-ENOENT, get_dirty_log(fd, 1, bm, 1));

	ASSERT_EQ(0, __vtx_set_memslot(fd, 1, KVM_MEM_LOG_DIRTY_PAGES, D_GPA,
				       D_SIZE, (uintptr_t)h));
	EXPECT_DIRTY(p, 1, D_PAGES, NONE);
	write_page(_metadata, p, D_GPA, 2, 0x202);
	write_page(_metadata, p, D_GPA, 9, 0x209);
	EXPECT_DIRTY(p, 1, D_PAGES, 2, 9);

	ASSERT_EQ(0, __vtx_set_memslot(fd, 1, 0, D_GPA, D_SIZE, (uintptr_t)h));
	EXPECT_EQ(-ENOENT, get_dirty_log(fd, 1, bm, 1));
	write_page(_metadata, p, D_GPA, 3, 0x303);
	memcpy(&v, h + 3 * VTX_PAGE_SIZE + 0x40, 4);
	EXPECT_EQ(0x303, v);

	ASSERT_EQ(0, __vtx_set_memslot(fd, 1, KVM_MEM_LOG_DIRTY_PAGES, D_GPA,
				       D_SIZE, (uintptr_t)h));
	EXPECT_DIRTY(p, 1, D_PAGES, NONE);
	write_page(_metadata, p, D_GPA, 3, 0x403);
	PP(p, &res, PP_READ32, D_GPA + 3 * VTX_PAGE_SIZE + 0x40, 0, 0, 0);
	EXPECT_EQ(0x403, res.value);
	EXPECT_DIRTY(p, 1, D_PAGES, 3);

	/* deleting the slot drops its log */
	ASSERT_EQ(0, __vtx_set_memslot(fd, 1, 0, D_GPA, 0, (uintptr_t)h));
	EXPECT_EQ(-ENOENT, get_dirty_log(fd, 1, bm, 1));
	pp_free(p);
}

/*
 * Exits a read of every page of a slot may take beyond the same read
 * before (the host's interrupts; a refault of the whole slot is D_PAGES).
 */
#define REFAULT_SLACK	8

/*
 * KVM_GET_DIRTY_LOG write-protects the pages it returns, and only those:
 * the guest's other pages stay mapped.  The guest writes every page (all
 * logged, all write-protected by the next call) and reads each; then it
 * writes one page, whose write protection must not make the others fault
 * again: a read of every page takes at most REFAULT_SLACK more exits
 * (vtx_exits.h) than before.  Issue 19: vtx with ept=0 emptied every
 * vCPU's shadow tables for any write protection, and every page (and the
 * guest's own code and stack) faulted back in; KVM's shadow MMU takes W
 * through its reverse map, from that page's leaves only, and so does vtx
 * now (by host frame).  Then the protection still holds: writes to the
 * page and to another one are logged.
 */
TEST(dirty_log_wrprot_one_page)
{
	struct pp_vm *p = pp_create();
	uint8_t *h = vtx_vm_add_mem(p->vm, 1, D_GPA, D_SIZE);
	int fd = p->vm->fd;
	int64_t before, after;
	struct pp_res res;
	uint64_t bm[1];

	ASSERT_EQ(0, __vtx_set_memslot(fd, 1, KVM_MEM_LOG_DIRTY_PAGES, D_GPA,
				       D_SIZE, (uintptr_t)h));
	PP(p, &res, PP_FILL, D_GPA, SEED, D_SIZE / 4, 0);
	EXPECT_EQ(0, res.nmmio);
	ASSERT_EQ(0, get_dirty_log(fd, 1, bm, 1));
	EXPECT_EQ(~0ull, bm[0]);
	pp_read_pages_exits(p, D_GPA, D_PAGES);
	before = pp_read_pages_exits(p, D_GPA, D_PAGES);
	if (before < 0)
		SKIP(pp_free(p); return, "%s gives no exit counts",
		     vtx_driver_name(p->vm->dev_fd));

	write_page(_metadata, p, D_GPA, 5, 0x5005);
	EXPECT_DIRTY(p, 1, D_PAGES, 5);
	after = pp_read_pages_exits(p, D_GPA, D_PAGES);
	LOG("%s: read of %d pages: %lld exits; after one page write-protected: %lld",
	    vtx_driver_name(p->vm->dev_fd), D_PAGES, (long long)before,
	    (long long)after);
	EXPECT_LE(after, before + REFAULT_SLACK)
		TH_LOG("one page write-protected, %lld exits to read the %d pages again (%lld before)",
		       (long long)after, D_PAGES, (long long)before);

	write_page(_metadata, p, D_GPA, 5, 0x6005);
	write_page(_metadata, p, D_GPA, 9, 0x6009);
	EXPECT_DIRTY(p, 1, D_PAGES, 5, 9);
	EXPECT_EQ(0, pp_check_host(h, D_GPA, 5 * VTX_PAGE_SIZE, SEED));
	EXPECT_EQ(0, pp_check_host(h + 10 * VTX_PAGE_SIZE,
				   D_GPA + 10 * VTX_PAGE_SIZE,
				   D_SIZE - 10 * VTX_PAGE_SIZE, SEED));
	pp_free(p);
}

/*
 * Guest memory written by the hypervisor on the guest's behalf is dirty
 * too: the data of a REP INSB (string port input), and the RAM side of a
 * REP MOVSB from MMIO.  KVM's emulator stores both with
 * kvm_vcpu_write_guest(), which marks the pages in the log
 * (mark_page_dirty_in_slot); the guest never wrote these pages itself.
 */
#define MMIO_SRC	0xe0000000u

TEST(dirty_log_emulated_writes)
{
	struct pp_vm *p = pp_create();
	uint8_t *h = pp_mmap(D_SIZE);
	int fd = p->vm->fd;
	struct pp_res res;
	unsigned int i;

	pp_fill_host(h, D_GPA, D_SIZE, SEED);
	ASSERT_EQ(0, __vtx_set_memslot(fd, 1, KVM_MEM_LOG_DIRTY_PAGES, D_GPA,
				       D_SIZE, (uintptr_t)h));
	EXPECT_DIRTY(p, 1, D_PAGES, NONE);

	/* 16 bytes from the port into page 7 */
	PP(p, &res, PP_INS, D_GPA + 7 * VTX_PAGE_SIZE + 0x100, 0, 16, 0);
	EXPECT_EQ(16, res.nin);
	for (i = 0; i < 16; i++)
		EXPECT_EQ(pp_in_byte(i), h[7 * VTX_PAGE_SIZE + 0x100 + i]);
	EXPECT_DIRTY(p, 1, D_PAGES, 7);

	/* 4 bytes from MMIO into page 9 */
	p->mmio_read_value = 0x5152535455565758ull;
	PP(p, &res, PP_MOVS, D_GPA + 9 * VTX_PAGE_SIZE + 0x200, MMIO_SRC, 4, 0);
	EXPECT_EQ(4, res.nmmio);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0x58, h[9 * VTX_PAGE_SIZE + 0x200 + i]) TH_LOG("byte %u", i);
	EXPECT_DIRTY(p, 1, D_PAGES, 9);

	/* both again, on pages the guest already wrote and were logged */
	write_page(_metadata, p, D_GPA, 20, 0x20);
	write_page(_metadata, p, D_GPA, 21, 0x21);
	EXPECT_DIRTY(p, 1, D_PAGES, 20, 21);
	PP(p, &res, PP_INS, D_GPA + 20 * VTX_PAGE_SIZE + 0x100, 0, 8, 0);
	PP(p, &res, PP_MOVS, D_GPA + 21 * VTX_PAGE_SIZE + 0x100, MMIO_SRC, 2, 0);
	EXPECT_DIRTY(p, 1, D_PAGES, 20, 21);
	pp_free(p);
}

VTX_TEST_MAIN
