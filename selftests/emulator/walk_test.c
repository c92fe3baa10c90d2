// SPDX-License-Identifier: GPL-2.0
/*
 * walk: module/x86/walk.c, the guest page walk of the emulator's accesses,
 * built on the host (walkshim/x86/x86.h) over synthetic guest page tables
 * in a fake guest memory.  Every expectation is worked out from the SDM
 * (vol. 3A: 4.3 32-bit paging, 4.4 PAE, 4.5 4-level; 4.6 access rights;
 * 4.7 the #PF error code; 4.8 accessed and dirty flags), not from walk.c:
 *
 *  - the three paging modes with 4-KByte pages and 2-MByte, 1-GByte,
 *    4-MByte (PSE, PSE-36) pages: the guest-physical address;
 *  - not-present entries at each level; reserved bits at each level from
 *    the vCPU's MAXPHYADDR (bits 51:M in 4-level paging, 62:M in PAE
 *    paging, PSE-36's 21:(M-19)), XD without EFER.NXE, PS in a PML4E or
 *    in a PDPTE without 1-GByte pages, a large page's low frame bits;
 *  - U/S, R/W with and without CR0.WP, XD with and without EFER.NXE, SMEP
 *    on fetches, SMAP with RFLAGS.AC and implicit supervisor accesses,
 *    each as the combined rights of all levels;
 *  - the error code's P, W/R, U/S, RSVD and I/D bits;
 *  - accessed and dirty flags: A on every level used, D on the leaf of a
 *    write only, nothing on a fault, none in a read-only slot; an entry
 *    another vCPU changes during the update: the walk is done again.
 */
#include <string.h>
#include "test.h"
#include "walkshim/x86/x86.h"

#define MEM_SIZE	(1u << 20)
#define L4_GPA		0x1000ull	/* CR3: the PML4, or the 32-bit PD */
#define L3_GPA		0x2000ull
#define L2_GPA		0x3000ull
#define L1_GPA		0x4000ull
#define PAE_CR3		0x5000ull	/* where a PAE CR3 would point */

#define P		_PAGE_PRESENT
#define RW		_PAGE_RW
#define US		_PAGE_USER
#define PS		_PAGE_PSE
#define A		_PAGE_ACCESSED
#define D		_PAGE_DIRTY
#define XD		_PAGE_NX
#define PRW_U		(P | RW | US)

/* #PF error codes */
#define E_P		X86_PF_PROT
#define E_W		X86_PF_WRITE
#define E_U		X86_PF_USER
#define E_R		X86_PF_RSVD
#define E_I		X86_PF_INSTR

#define WR		VTX_ACC_WRITE
#define FE		VTX_ACC_FETCH
#define IMP		VTX_ACC_IMPLICIT

struct vtx_x86_ops vtx_x86_ops;

static u8 mem[MEM_SIZE];
/* entries in [ro_lo, ro_hi) are in a read-only slot */
static u64 ro_lo, ro_hi;
/* the next update of race_gpa finds race_val there instead */
static u64 race_gpa = ~0ull, race_val;
static unsigned int nr_updates;

int __vtx_read_guest_pte(struct vtx_vm *vm, int as, u64 gpa, bool wide,
			 u64 *val)
{
	u32 v32;

	(void)vm;
	(void)as;
	if (gpa + (wide ? 8 : 4) > MEM_SIZE)
		return -EFAULT;
	if (wide) {
		memcpy(val, mem + gpa, 8);
	} else {
		memcpy(&v32, mem + gpa, 4);
		*val = v32;
	}
	return 0;
}

int __vtx_update_guest_pte(struct vtx_vm *vm, int as, u64 gpa, bool wide,
			   u64 old, u64 bits)
{
	u64 cur;

	(void)as;
	if (__vtx_read_guest_pte(vm, 0, gpa, wide, &cur))
		return -EFAULT;
	if (gpa >= ro_lo && gpa < ro_hi)
		return 1;
	if (gpa == race_gpa) {
		cur = race_val;
		memcpy(mem + gpa, &cur, wide ? 8 : 4);
		race_gpa = ~0ull;
	}
	if (cur != old)
		return -EAGAIN;
	cur |= bits;
	memcpy(mem + gpa, &cur, wide ? 8 : 4);
	nr_updates++;
	return 0;
}

int __vtx_read_guest_phys(struct vtx_vm *vm, int as, u64 gpa, void *buf,
			  size_t len)
{
	(void)vm;
	(void)as;
	if (gpa + len > MEM_SIZE)
		return -EFAULT;
	memcpy(buf, mem + gpa, len);
	return 0;
}

int __vtx_write_guest_phys(struct vtx_vm *vm, int as, u64 gpa,
			   const void *buf, size_t len)
{
	(void)vm;
	(void)as;
	if (gpa + len > MEM_SIZE)
		return -EFAULT;
	memcpy(mem + gpa, buf, len);
	return 0;
}

static u64 get_pdptr(struct vtx_vcpu *vcpu, int index)
{
	return vcpu->pdptr[index];
}

enum { P32, PAE, L4 };

static const char *const mode_names[] = { "32-bit", "PAE", "4-level" };

/* The linear addresses: their offsets in a 4K, 2M, 4M and 1G page differ */
#define GVA64		0x00007f8040356abcull
#define GVA32		0xc0756abcull

/**
 * struct wcase - one translation and what the SDM says of it.
 * @name:	what it shows
 * @mode:	P32, PAE or L4
 * @leaf:	the level of the leaf: 1 (4K), 2 (2M/4M), 3 (1G)
 * @set:	bits set in the entry of each level (index 1-4) besides
 *		P, R/W and U/S, which every level has unless in @clr
 * @clr:	bits cleared in the entry of each level
 * @frame:	the leaf's frame (and for PSE-36 its bits 20:13 in @set[2])
 * @cr0:	CR0: 0 for PG|WP
 * @cr4:	CR4 beyond what @mode needs (PSE, SMEP, SMAP)
 * @nxe:	EFER.NXE
 * @cpl:	CPL
 * @ac:		RFLAGS.AC
 * @access:	VTX_ACC_* (0: a data read)
 * @maxphy:	the vCPU's MAXPHYADDR, 0 for 40
 * @gb:		1-GByte pages in the vCPU's CPUID
 * @pf:		a page fault expected, with error code @err
 * @err:	the error code
 * @gpa:	without a fault, the guest-physical address
 */
struct wcase {
	const char *name;
	int mode, leaf;
	u64 set[5], clr[5];
	u64 frame;
	u64 cr0, cr4;
	bool nxe;
	int cpl;
	bool ac;
	u32 access;
	unsigned int maxphy;
	bool gb;
	bool pf;
	u32 err;
	u64 gpa;
};

#define F4K		0x123456000ull
#define F2M		0x123400000ull
#define F1G		0x140000000ull
#define F4M		0x00c00000ull
#define OFF4K(gva)	((gva) & 0xfff)
#define OFF2M(gva)	((gva) & 0x1fffff)
#define OFF4M(gva)	((gva) & 0x3fffff)
#define OFF1G(gva)	((gva) & 0x3fffffff)
#define G64_4K		(F4K + OFF4K(GVA64))
#define G32_4K		(F4K + OFF4K(GVA32))
#define NOWP		X86_CR0_PG
#define SMEP		X86_CR4_SMEP
#define SMAP		X86_CR4_SMAP
#define PSE		X86_CR4_PSE
/* PSE-36: address bits 39:32 in PDE bits 20:13 */
#define PSE36(hi)	((u64)(hi) << 13)

static const struct wcase cases[] = {
	/* translations */
	{ "4K page", L4, 1, .frame = F4K, .gpa = G64_4K },
	{ "2M page", L4, 2, .frame = F2M, .gpa = F2M + OFF2M(GVA64) },
	{ "1G page", L4, 3, .frame = F1G, .gb = true,
	  .gpa = F1G + OFF1G(GVA64) },
	{ "2M page, PAT (bit 12) not reserved", L4, 2, .set = { [2] = 1 << 12 },
	  .frame = F2M, .gpa = F2M + OFF2M(GVA64) },
	{ "bits 62:52 ignored", L4, 1, .set = { [1] = 0x7ffull << 52,
	  [4] = 1ull << 55 }, .frame = F4K, .gpa = G64_4K },
	{ "frame bit 51, MAXPHYADDR 52", L4, 1, .frame = F4K | 1ull << 51,
	  .maxphy = 52, .gpa = G64_4K | 1ull << 51 },
	{ "4K page", PAE, 1, .frame = F4K, .gpa = G32_4K },
	{ "2M page", PAE, 2, .frame = F2M, .gpa = F2M + OFF2M(GVA32) },
	{ "4K page", P32, 1, .frame = F4K & 0xfffff000, .gpa = G32_4K &
	  0xffffffff },
	{ "4M page", P32, 2, .frame = F4M, .cr4 = PSE,
	  .gpa = F4M + OFF4M(GVA32) },
	{ "PS without CR4.PSE: a page table", P32, 1, .set = { [2] = PS },
	  .frame = 0x00777000, .gpa = 0x00777000 + 0xabc },
	{ "4M page, PSE-36 bits 39:32", P32, 2, .set = { [2] = PSE36(0xab) },
	  .frame = F4M, .cr4 = PSE, .gpa = 0xab00000000ull + F4M +
	  OFF4M(GVA32) },
	{ "4M page, PSE-36 bits 35:32, MAXPHYADDR 36", P32, 2,
	  .set = { [2] = PSE36(0xf) }, .frame = F4M, .cr4 = PSE, .maxphy = 36,
	  .gpa = 0xf00000000ull + F4M + OFF4M(GVA32) },
	{ "4M page, PAT (bit 12)", P32, 2, .set = { [2] = 1 << 12 },
	  .frame = F4M, .cr4 = PSE, .gpa = F4M + OFF4M(GVA32) },
	{ "32-bit: bit 31 of a 4K frame", P32, 1, .frame = 0x80001000,
	  .gpa = 0x80001abc },

	/* not present: P clear in the error code, W/U/I as the access */
	{ "PML4E not present", L4, 1, .clr = { [4] = P }, .pf = true },
	{ "PDPTE not present, user write", L4, 1, .clr = { [3] = P },
	  .cpl = 3, .access = WR, .pf = true, .err = E_W | E_U },
	{ "PDE not present", L4, 1, .clr = { [2] = P }, .pf = true },
	{ "PTE not present, fetch with NXE", L4, 1, .clr = { [1] = P },
	  .nxe = true, .access = FE, .pf = true, .err = E_I },
	{ "not present, its reserved bits not looked at", L4, 1,
	  .clr = { [2] = P }, .set = { [2] = 1ull << 45 }, .maxphy = 36,
	  .pf = true },
	{ "PDPTE not present", PAE, 1, .clr = { [3] = P }, .pf = true },
	{ "PDE not present", PAE, 1, .clr = { [2] = P }, .pf = true },
	{ "PTE not present", PAE, 1, .clr = { [1] = P }, .pf = true },
	{ "PDE not present", P32, 1, .clr = { [2] = P }, .pf = true },
	{ "PTE not present, user write", P32, 1, .clr = { [1] = P }, .cpl = 3,
	  .access = WR, .pf = true, .err = E_W | E_U },

	/* reserved bits: P and RSVD */
	{ "PML4E bit M (36)", L4, 1, .set = { [4] = 1ull << 36 }, .maxphy = 36,
	  .pf = true, .err = E_P | E_R },
	{ "PDPTE bit M (39)", L4, 1, .set = { [3] = 1ull << 39 }, .maxphy = 39,
	  .pf = true, .err = E_P | E_R },
	{ "PDE bit 51, MAXPHYADDR 46", L4, 1, .set = { [2] = 1ull << 51 },
	  .maxphy = 46, .pf = true, .err = E_P | E_R },
	{ "PTE bit M (40), user write", L4, 1, .set = { [1] = 1ull << 40 },
	  .cpl = 3, .access = WR, .pf = true, .err = E_P | E_R | E_W | E_U },
	{ "PTE bit M-1 (39) is a frame bit", L4, 1, .frame = F4K |
	  1ull << 39, .gpa = G64_4K | 1ull << 39 },
	{ "XD without NXE in the PML4E", L4, 1, .set = { [4] = XD },
	  .pf = true, .err = E_P | E_R },
	{ "XD without NXE in the PTE, a fetch", L4, 1, .set = { [1] = XD },
	  .access = FE, .pf = true, .err = E_P | E_R },
	{ "XD with NXE, a read: not reserved", L4, 1, .set = { [1] = XD },
	  .nxe = true, .frame = F4K, .gpa = G64_4K },
	{ "PS in the PML4E", L4, 1, .set = { [4] = PS }, .gb = true,
	  .pf = true, .err = E_P | E_R },
	{ "PS in the PDPTE without 1G pages", L4, 3, .frame = F1G,
	  .pf = true, .err = E_P | E_R },
	{ "1G page, frame bit 13", L4, 3, .frame = F1G | 1 << 13, .gb = true,
	  .pf = true, .err = E_P | E_R },
	{ "1G page, frame bit 29", L4, 3, .frame = F1G | 1 << 29, .gb = true,
	  .pf = true, .err = E_P | E_R },
	{ "2M page, frame bit 13", L4, 2, .frame = F2M | 1 << 13, .pf = true,
	  .err = E_P | E_R },
	{ "2M page, frame bit 20", L4, 2, .frame = F2M | 1 << 20, .pf = true,
	  .err = E_P | E_R },
	{ "PDE bit 62 (PAE: 62:M reserved)", PAE, 1,
	  .set = { [2] = 1ull << 62 }, .pf = true, .err = E_P | E_R },
	{ "PTE bit 55", PAE, 1, .set = { [1] = 1ull << 55 }, .pf = true,
	  .err = E_P | E_R },
	{ "PTE bit M (36)", PAE, 1, .set = { [1] = 1ull << 36 }, .maxphy = 36,
	  .pf = true, .err = E_P | E_R },
	{ "PDE XD without NXE, a write", PAE, 1, .set = { [2] = XD },
	  .access = WR, .pf = true, .err = E_P | E_R | E_W },
	{ "2M page, frame bit 13", PAE, 2, .frame = F2M | 1 << 13,
	  .pf = true, .err = E_P | E_R },
	{ "4M page, bit 21", P32, 2, .set = { [2] = 1 << 21 }, .frame = F4M,
	  .cr4 = PSE, .pf = true, .err = E_P | E_R },
	{ "4M page, bit 17, MAXPHYADDR 36", P32, 2, .set = { [2] = 1 << 17 },
	  .frame = F4M, .cr4 = PSE, .maxphy = 36, .pf = true,
	  .err = E_P | E_R },
	{ "4M page, bit 16, MAXPHYADDR 36: address bit 35", P32, 2,
	  .set = { [2] = 1 << 16 }, .frame = F4M, .cr4 = PSE, .maxphy = 36,
	  .gpa = 0x800000000ull + F4M + OFF4M(GVA32) },

	/* U/S and R/W of all levels */
	{ "user read of a user page", L4, 1, .cpl = 3, .frame = F4K,
	  .gpa = G64_4K },
	{ "user read, U/S clear in the PML4E", L4, 1, .clr = { [4] = US },
	  .cpl = 3, .pf = true, .err = E_P | E_U },
	{ "user write, R/W clear in the PDPTE", L4, 1, .clr = { [3] = RW },
	  .cpl = 3, .access = WR, .pf = true, .err = E_P | E_W | E_U },
	{ "user write, R/W clear, WP clear", L4, 1, .clr = { [1] = RW },
	  .cr0 = NOWP, .cpl = 3, .access = WR, .pf = true,
	  .err = E_P | E_W | E_U },
	{ "supervisor write, R/W clear, WP", L4, 1, .clr = { [2] = RW },
	  .access = WR, .pf = true, .err = E_P | E_W },
	{ "supervisor write, R/W clear, no WP", L4, 1, .clr = { [2] = RW },
	  .cr0 = NOWP, .access = WR, .frame = F4K, .gpa = G64_4K },
	{ "supervisor read of a supervisor page", L4, 1,
	  .clr = { [1] = US }, .frame = F4K, .gpa = G64_4K },
	{ "user write, R/W clear", PAE, 1, .clr = { [1] = RW }, .cpl = 3,
	  .access = WR, .pf = true, .err = E_P | E_W | E_U },
	{ "user read, U/S clear in the PDE", P32, 1, .clr = { [2] = US },
	  .cpl = 3, .pf = true, .err = E_P | E_U },
	{ "supervisor write, R/W clear, WP", P32, 1, .clr = { [1] = RW },
	  .access = WR, .pf = true, .err = E_P | E_W },
	{ "supervisor write, R/W clear, no WP", P32, 2, .clr = { [2] = RW },
	  .cr0 = NOWP, .cr4 = PSE, .access = WR, .frame = F4M,
	  .gpa = F4M + OFF4M(GVA32) },

	/* XD */
	{ "fetch, XD in the PML4E, NXE", L4, 1, .set = { [4] = XD },
	  .nxe = true, .access = FE, .pf = true, .err = E_P | E_I },
	{ "user fetch, XD in the PTE, NXE", L4, 1, .set = { [1] = XD },
	  .nxe = true, .cpl = 3, .access = FE, .pf = true,
	  .err = E_P | E_U | E_I },
	{ "fetch, XD in a 2M PDE, NXE", PAE, 2, .set = { [2] = XD },
	  .nxe = true, .access = FE, .pf = true, .err = E_P | E_I },
	{ "fetch, no XD, NXE", L4, 1, .nxe = true, .access = FE, .frame = F4K,
	  .gpa = G64_4K },
	{ "write to an XD page", L4, 1, .set = { [1] = XD }, .nxe = true,
	  .access = WR, .frame = F4K, .gpa = G64_4K },
	{ "32-bit paging has no XD; I/D not reported", P32, 1,
	  .clr = { [1] = P }, .nxe = true, .access = FE, .pf = true },

	/* SMEP */
	{ "SMEP: supervisor fetch from a user page", L4, 1, .cr4 = SMEP,
	  .access = FE, .pf = true, .err = E_P | E_I },
	{ "SMEP: supervisor fetch, U/S clear at one level", L4, 1,
	  .clr = { [3] = US }, .cr4 = SMEP, .access = FE, .frame = F4K,
	  .gpa = G64_4K },
	{ "SMEP: user fetch from a user page", L4, 1, .cr4 = SMEP, .cpl = 3,
	  .access = FE, .frame = F4K, .gpa = G64_4K },
	{ "SMEP: supervisor read of a user page", L4, 1, .cr4 = SMEP,
	  .frame = F4K, .gpa = G64_4K },
	{ "SMEP: supervisor fetch", PAE, 1, .cr4 = SMEP, .access = FE,
	  .pf = true, .err = E_P | E_I },
	{ "SMEP: supervisor fetch, 4M page", P32, 2, .cr4 = SMEP | PSE,
	  .access = FE, .pf = true, .err = E_P | E_I },
	{ "no SMEP: supervisor fetch from a user page", L4, 1, .access = FE,
	  .frame = F4K, .gpa = G64_4K },

	/* SMAP */
	{ "SMAP: supervisor read of a user page, AC clear", L4, 1,
	  .cr4 = SMAP, .pf = true, .err = E_P },
	{ "SMAP: supervisor read, AC set", L4, 1, .cr4 = SMAP, .ac = true,
	  .frame = F4K, .gpa = G64_4K },
	{ "SMAP: supervisor write, AC clear", L4, 1, .cr4 = SMAP,
	  .access = WR, .pf = true, .err = E_P | E_W },
	{ "SMAP: supervisor write, AC set", L4, 1, .cr4 = SMAP, .ac = true,
	  .access = WR, .frame = F4K, .gpa = G64_4K },
	{ "SMAP: write, AC, R/W clear, WP", L4, 1, .clr = { [1] = RW },
	  .cr4 = SMAP, .ac = true, .access = WR, .pf = true,
	  .err = E_P | E_W },
	{ "SMAP: write, AC, R/W clear, no WP", L4, 1, .clr = { [1] = RW },
	  .cr0 = NOWP, .cr4 = SMAP, .ac = true, .access = WR, .frame = F4K,
	  .gpa = G64_4K },
	{ "SMAP: implicit access, AC set", L4, 1, .cr4 = SMAP, .ac = true,
	  .access = IMP, .pf = true, .err = E_P },
	{ "SMAP: implicit access at CPL 3: supervisor", L4, 1, .cr4 = SMAP,
	  .cpl = 3, .ac = true, .access = IMP, .pf = true, .err = E_P },
	{ "implicit access at CPL 3 to a supervisor page", L4, 1,
	  .clr = { [2] = US }, .cr4 = SMAP, .cpl = 3, .access = IMP,
	  .frame = F4K, .gpa = G64_4K },
	{ "implicit write at CPL 3, R/W clear, WP", L4, 1,
	  .clr = { [1] = RW | US }, .cpl = 3, .access = IMP | WR, .pf = true,
	  .err = E_P | E_W },
	{ "SMAP: a user access is not checked", L4, 1, .cr4 = SMAP, .cpl = 3,
	  .frame = F4K, .gpa = G64_4K },
	{ "SMAP: supervisor page", L4, 1, .clr = { [4] = US }, .cr4 = SMAP,
	  .frame = F4K, .gpa = G64_4K },
	{ "SMAP: fetch (SMEP's business)", L4, 1, .cr4 = SMAP, .access = FE,
	  .frame = F4K, .gpa = G64_4K },
	{ "SMAP: supervisor read, AC clear", PAE, 2, .cr4 = SMAP,
	  .frame = F2M, .pf = true, .err = E_P },
	{ "SMAP: supervisor read, AC clear", P32, 1, .cr4 = SMAP,
	  .pf = true, .err = E_P },
	{ "SMAP: implicit write, WP clear, R/W set", P32, 1, .cr0 = NOWP,
	  .cr4 = SMAP, .ac = true, .access = IMP | WR, .pf = true,
	  .err = E_P | E_W },
};

/* The entry at @level pointing to the next table, or the leaf. */
static u64 entry_of(const struct wcase *c, int level, u64 next)
{
	u64 e = (P | RW | US | c->set[level]) & ~c->clr[level];

	if (level == c->leaf) {
		e |= c->frame;
		if (level > 1 && (c->mode != P32 || (c->cr4 & PSE)))
			e |= PS;
	} else {
		e |= next;
	}
	return e;
}

static void put_entry(u64 gpa, u64 e, bool wide)
{
	u32 e32 = e;

	if (wide)
		memcpy(mem + gpa, &e, 8);
	else
		memcpy(mem + gpa, &e32, 4);
}

/* The tables of case @c, the vCPU's state; returns the linear address. */
static u64 build(const struct wcase *c, struct vtx_vcpu *v)
{
	static struct vtx_vm vm;
	static const u64 tab[5] = { 0, L1_GPA, L2_GPA, L3_GPA, L4_GPA };
	u64 gva = c->mode == L4 ? GVA64 : GVA32;
	int level, top;

	memset(mem, 0, 0x10000);
	memset(v, 0, sizeof(*v));
	v->vm = &vm;
	v->cr0 = c->cr0 ? c->cr0 : X86_CR0_PG | X86_CR0_WP;
	v->cr4 = c->cr4 | (c->mode != P32 ? X86_CR4_PAE : 0);
	v->efer = (c->mode == L4 ? EFER_LMA : 0) | (c->nxe ? EFER_NX : 0);
	v->cpl = c->cpl;
	v->rflags = 2 | (c->ac ? X86_EFLAGS_AC : 0);
	v->maxphyaddr = c->maxphy ? c->maxphy : 40;
	v->gbpages = c->gb;
	vtx_x86_ops.get_pdptr = get_pdptr;
	ro_lo = ro_hi = 0;
	race_gpa = ~0ull;
	nr_updates = 0;

	if (c->mode == L4) {
		v->cr3 = L4_GPA;
		top = 4;
	} else if (c->mode == PAE) {
		/* the PDPTEs loaded with CR3: P, and no rights of their own */
		v->cr3 = PAE_CR3;
		v->pdptr[(gva >> 30) & 3] = (L2_GPA | P | c->set[3]) &
					    ~c->clr[3];
		top = 2;
	} else {
		v->cr3 = L2_GPA;
		top = 2;
	}
	for (level = top; level >= c->leaf; level--) {
		u64 idx = c->mode == P32 ?
			  (gva >> (12 + 10 * (level - 1))) & 0x3ff :
			  (gva >> (12 + 9 * (level - 1))) & 0x1ff;

		put_entry(tab[level] + idx * (c->mode == P32 ? 4 : 8),
			  entry_of(c, level, level > 1 ? tab[level - 1] : 0),
			  c->mode != P32);
	}
	return gva;
}

static void run_cases(void)
{
	struct vtx_vcpu v;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct wcase *c = &cases[i];
		u64 gva = build(c, &v), gpa = ~0ull;
		u32 err = ~0u;
		int r = __vtx_gva_translate(&v, gva, c->access, &gpa, &err);
		bool ok;

		if (c->pf)
			ok = r == -EAGAIN && err == c->err && !nr_updates;
		else
			ok = r == 0 && gpa == c->gpa;
		tap(ok, "walk %-7s %s", mode_names[c->mode], c->name);
		if (!ok)
			diag("returned %d, gpa %#llx, error code %#x; expected %s %#llx",
			     r, (unsigned long long)gpa, err,
			     c->pf ? "#PF" : "gpa",
			     (unsigned long long)(c->pf ? c->err : c->gpa));
	}
}

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		diag("line %d: %s", __LINE__, #cond);			\
		return false;						\
	}								\
} while (0)

static u64 entry_at(u64 gpa, bool wide)
{
	u64 e = 0;

	memcpy(&e, mem + gpa, wide ? 8 : 4);
	return e;
}

/* The index of GVA64 / GVA32 at @level. */
static u64 slot(int mode, int level)
{
	if (mode == P32)
		return ((GVA32 >> (12 + 10 * (level - 1))) & 0x3ff) * 4;
	return (((mode == L4 ? GVA64 : GVA32) >> (12 + 9 * (level - 1))) &
		0x1ff) * 8;
}

/* A read: A on every level, no D; a write: D on the leaf as well. */
static bool ad_levels(int mode)
{
	const struct wcase c = { "", mode, 1, .frame = F4K & 0xfffff000 };
	static const u64 tab[5] = { 0, L1_GPA, L2_GPA, L3_GPA, L4_GPA };
	int top = mode == L4 ? 4 : 2, level;
	bool wide = mode != P32;
	struct vtx_vcpu v;
	u64 gva, gpa;
	u32 err;

	gva = build(&c, &v);
	CHECK(!__vtx_gva_translate(&v, gva, 0, &gpa, &err));
	for (level = top; level >= 1; level--)
		CHECK((entry_at(tab[level] + slot(mode, level), wide) &
		       (A | D)) == A);
	CHECK(!__vtx_gva_translate(&v, gva, WR, &gpa, &err));
	for (level = top; level >= 1; level--)
		CHECK((entry_at(tab[level] + slot(mode, level), wide) &
		       (A | D)) == (level == 1 ? A | D : A));
	/* a third walk changes nothing */
	nr_updates = 0;
	CHECK(!__vtx_gva_translate(&v, gva, WR, &gpa, &err) && !nr_updates);
	return true;
}

static bool ad_4level(void)
{
	return ad_levels(L4);
}

static bool ad_pae(void)
{
	return ad_levels(PAE);
}

static bool ad_32bit(void)
{
	return ad_levels(P32);
}

/* A large page's leaf gets D; a fault sets nothing; a read-only slot. */
static bool ad_large_fault_ro(void)
{
	const struct wcase big = { "", L4, 2, .frame = F2M };
	const struct wcase bad = { "", L4, 1, .clr = { [1] = RW }, .cpl = 3 };
	struct vtx_vcpu v;
	u64 gva, gpa;
	u32 err;

	gva = build(&big, &v);
	CHECK(!__vtx_gva_translate(&v, gva, WR, &gpa, &err));
	CHECK((entry_at(L2_GPA + slot(L4, 2), true) & (A | D)) == (A | D));
	CHECK((entry_at(L3_GPA + slot(L4, 3), true) & (A | D)) == A);
	/* a user write to a read-only page: #PF, no A anywhere */
	gva = build(&bad, &v);
	CHECK(__vtx_gva_translate(&v, gva, WR, &gpa, &err) == -EAGAIN);
	CHECK(!nr_updates && !(entry_at(L4_GPA + slot(L4, 4), true) & A));
	/* tables in a read-only slot: translated, their bits stay clear */
	gva = build(&big, &v);
	ro_lo = L4_GPA;
	ro_hi = L1_GPA + 0x1000;
	CHECK(!__vtx_gva_translate(&v, gva, WR, &gpa, &err));
	CHECK(gpa == F2M + OFF2M(GVA64) && !nr_updates);
	CHECK(!(entry_at(L2_GPA + slot(L4, 2), true) & (A | D)));
	return true;
}

/*
 * Another vCPU changes the PTE between the walk's read and its A/D
 * update: the walk is done again and sees the new entry (here not
 * present: #PF), as the processor's locked update would.
 */
static bool ad_race(void)
{
	const struct wcase c = { "", L4, 1, .frame = F4K };
	struct vtx_vcpu v;
	u64 gva, gpa;
	u32 err;

	gva = build(&c, &v);
	race_gpa = L1_GPA + slot(L4, 1);
	race_val = (F4K | PRW_U) & ~P;
	CHECK(__vtx_gva_translate(&v, gva, 0, &gpa, &err) == -EAGAIN);
	CHECK(err == 0);
	/* changed to another frame: the new one is used */
	gva = build(&c, &v);
	race_gpa = L1_GPA + slot(L4, 1);
	race_val = 0x7000 | PRW_U;
	CHECK(!__vtx_gva_translate(&v, gva, 0, &gpa, &err));
	CHECK(gpa == 0x7abc);
	return true;
}

/* Paging off, tables outside guest RAM, the #PF queued by a copy. */
static bool misc(void)
{
	const struct wcase c = { "", L4, 1, .clr = { [1] = P } };
	struct vtx_vcpu v;
	u64 gva, gpa;
	u32 err;
	u8 buf[4];

	gva = build(&c, &v);
	v.cr0 = 0;
	CHECK(!__vtx_gva_translate(&v, 0x12345678, WR, &gpa, &err));
	CHECK(gpa == 0x12345678);
	gva = build(&c, &v);
	v.cr3 = 0x40000000;	/* beyond the fake RAM */
	CHECK(__vtx_gva_translate(&v, gva, 0, &gpa, &err) == -EFAULT);
	gva = build(&c, &v);
	v.queued_vector = -1;
	CHECK(vtx_guest_virt_access(&v, gva, buf, sizeof(buf), WR) ==
	      -EAGAIN);
	CHECK(v.queued_vector == X86_TRAP_PF && v.cr2 == gva &&
	      v.queued_error == E_W);
	/* the quiet copy queues nothing */
	v.queued_vector = -1;
	CHECK(vtx_guest_virt_copy_quiet(&v, gva, buf, sizeof(buf)) ==
	      -EAGAIN);
	CHECK(v.queued_vector == -1);
	return true;
}

void test_walk(void)
{
	static const struct {
		const char *name;
		bool (*fn)(void);
	} more[] = {
		{ "A/D: 4-level", ad_4level },
		{ "A/D: PAE", ad_pae },
		{ "A/D: 32-bit", ad_32bit },
		{ "A/D: large page, fault, read-only slot", ad_large_fault_ro },
		{ "A/D: entry changed meanwhile", ad_race },
		{ "no paging, tables outside RAM, #PF queued", misc },
	};
	unsigned int i;

	class_begin("walk");
	run_cases();
	for (i = 0; i < ARRAY_SIZE(more); i++)
		tap(more[i].fn(), "walk %s", more[i].name);
}
