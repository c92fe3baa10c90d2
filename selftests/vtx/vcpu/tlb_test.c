// SPDX-License-Identifier: GPL-2.0
/*
 * Translations the guest invalidates: INVLPG of one page (of a 4 KiB page,
 * and of any address in a 2 MiB page, which the TLB holds as one entry),
 * INVPCID's checks, and what INVLPG and CR3 switches cost in exits.  With
 * EPT neither exits; with shadow paging (ept=0, either driver) each one
 * does, and what it leaves of the shadow tables decides how many faults
 * follow: the counts are logged, the bounds are KVM's.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "vcpu_test.h"
#include "tlb.h"

extern const uint8_t large_guest[], large_guest_end[];
extern const uint8_t small_guest[], small_guest_end[];
extern const uint8_t invlpg_guest[], invlpg_guest_end[];
extern const uint8_t invlpg_pae_guest[], invlpg_pae_guest_end[];
extern const uint8_t cr3_switch_guest[], cr3_switch_guest_end[];
extern const uint8_t rotables_guest[], rotables_guest_end[];
extern const uint8_t inactive_edit_guest[], inactive_edit_guest_end[];
extern const uint8_t table_reuse_guest[], table_reuse_guest_end[];
extern const uint8_t selfmap_guest[], selfmap_guest_end[];
extern const uint8_t many_tables_guest[], many_tables_guest_end[];
extern const uint8_t ptw_mov_guest[], ptw_mov_guest_end[];
extern const uint8_t ptw_xchg_guest[], ptw_xchg_guest_end[];
extern const uint8_t ptw_cmpxchg_guest[], ptw_cmpxchg_guest_end[];
extern const uint8_t ptw_bts_guest[], ptw_bts_guest_end[];
extern const uint8_t ptw_movs_guest[], ptw_movs_guest_end[];
extern const uint8_t ptw_straddle_guest[], ptw_straddle_guest_end[];
extern const uint8_t ptw_cmpxchg8b_guest[], ptw_cmpxchg8b_guest_end[];
extern const uint8_t ptw_keep_guest[], ptw_keep_guest_end[];
extern const uint8_t ptw_smp_guest[], ptw_smp_guest_end[];
extern const uint8_t ptw_ins_guest[], ptw_ins_guest_end[];
extern const uint8_t share_new_guest[], share_new_guest_end[];
extern const uint8_t share_write_guest[], share_write_guest_end[];
extern const uint8_t quadrant_guest[], quadrant_guest_end[];
extern const uint8_t share_smp_guest[], share_smp_guest_end[];
extern const uint8_t invpcid_guest[], invpcid_guest_end[], invpcid_stubs[],
	invpcid_type_insn[], invpcid_rsvd_insn[], invpcid_addr_insn[],
	invpcid_pcid_insn[];

#define PTE_P_RW		0x3ull
#define PDE_LARGE		0x83ull
#define CPUID_7_EBX_INVPCID	10
#define RO_MARK			0x5a5a5a5aull
#define RUN_LIMIT_S		5
/* a value in each 4 KiB page of slot 1: 0x1000 + its page number */
#define MARK(gpa)		(0x1000 + ((gpa) >> 12))

/*
 * Slot 1 with a mark in each page; PD[2] through TLB_PT_GPA in 4 KiB
 * pages (identity); the second address space B: a PML4, PDPT and PD of its
 * own whose PD[2] goes through TLB_PT2_GPA, which maps each page of
 * [4 MiB, 6 MiB) one page further on; C and D over A's tables (tlb.h).
 */
static void tlb_setup(struct vtx_vcpu *vcpu)
{
	struct vtx_vm *vm = vcpu->vm;
	uint64_t *pd = vtx_gpa2hva(vm, VTX_PD_GPA);
	uint64_t *pt = vtx_gpa2hva(vm, TLB_PT_GPA);
	uint64_t *pt2 = vtx_gpa2hva(vm, TLB_PT2_GPA);
	uint64_t *pml4b = vtx_gpa2hva(vm, TLB_PML4_B);
	uint64_t *pdptb = vtx_gpa2hva(vm, TLB_PDPT_B);
	uint64_t *pdb = vtx_gpa2hva(vm, TLB_PD_B);
	uint64_t *pml4 = vtx_gpa2hva(vm, VTX_PML4_GPA);
	uint64_t *pdpt = vtx_gpa2hva(vm, VTX_PDPT_GPA);
	uint64_t *pml4c = vtx_gpa2hva(vm, TLB_PML4_C);
	uint64_t *pml4d = vtx_gpa2hva(vm, TLB_PML4_D);
	uint64_t *pdptd = vtx_gpa2hva(vm, TLB_PDPT_D);
	uint64_t *pdd = vtx_gpa2hva(vm, TLB_PD_D);
	uint64_t gpa, i;

	vtx_vm_add_mem(vm, 1, TLB_RAM_GPA, TLB_RAM_SIZE);
	for (gpa = TLB_RAM_GPA; gpa < TLB_RAM_GPA + TLB_RAM_SIZE;
	     gpa += VTX_PAGE_SIZE)
		*(uint64_t *)vtx_gpa2hva(vm, gpa) = MARK(gpa);
	for (i = 0; i < 512; i++) {
		pt[i] = (TLB_4K_BASE + i * VTX_PAGE_SIZE) | PTE_P_RW;
		pt2[i] = (TLB_4K_BASE + ((i + 1) & 511) * VTX_PAGE_SIZE) |
			 PTE_P_RW;
	}
	pd[2] = TLB_PT_GPA | PTE_P_RW;
	memcpy(pdb, pd, VTX_PAGE_SIZE);
	pdb[2] = TLB_PT2_GPA | PTE_P_RW;
	memset(pml4b, 0, VTX_PAGE_SIZE);
	memset(pdptb, 0, VTX_PAGE_SIZE);
	pml4b[0] = TLB_PDPT_B | PTE_P_RW;
	pdptb[0] = TLB_PD_B | PTE_P_RW;
	/* C and D: A's entries' rights, so that a shadow MMU may share */
	memcpy(pml4c, pml4, VTX_PAGE_SIZE);
	memset(pml4d, 0, VTX_PAGE_SIZE);
	memset(pdptd, 0, VTX_PAGE_SIZE);
	pml4d[0] = TLB_PDPT_D | (pml4[0] & 0xfff);
	pdptd[0] = TLB_PD_D | (pdpt[0] & 0xfff);
	memcpy(pdd, pd, VTX_PAGE_SIZE);
}

static struct vtx_vcpu *tlb_guest(const uint8_t *start, const uint8_t *end,
				  const uint8_t *stubs)
{
	struct vtx_vcpu *vcpu = guest_create(VTX_MODE_LONG64, start, end,
					     stubs);

	vcpu_set_supported_cpuid(vcpu);
	tlb_setup(vcpu);
	return vcpu;
}

static uint64_t report(struct __test_metadata *_metadata,
		       struct vtx_vcpu *vcpu)
{
	struct vtx_ucall uc;

	vtx_run(vcpu);
	if (vtx_get_ucall(vcpu, &uc) != UCALL_REPORT) {
		TH_LOG("expected a report, got: %s", describe_exit(vcpu));
		return ~0ull;
	}
	return uc.regs.rbx;
}

/*
 * The guest moves the 2 MiB page at 6 MiB to 8 MiB and invalidates
 * another 4 KiB of it than the one it reads, one it never touched: the
 * read sees the new frame (SDM vol. 3, 4.10.2.3: a large page cached as
 * smaller TLB entries is invalidated as a whole).  Shadow paging maps it
 * with 4 KiB leaves, and an INVLPG that dropped the address's leaf only
 * would leave the old frame readable.
 */
TEST(invlpg_large_page)
{
	struct vtx_vcpu *vcpu = tlb_guest(large_guest, large_guest_end, NULL);

	EXPECT_EQ(MARK(TLB_LARGE_A + 0x3000), report(_metadata, vcpu));
	EXPECT_EQ(MARK(TLB_LARGE_B + 0x3000), report(_metadata, vcpu))
		TH_LOG("INVLPG of another address of a 2 MiB page kept its old translation");
	RUN_HLT(vcpu);
}

/* A 4 KiB PTE changed, INVLPG: the new frame. */
TEST(invlpg_small_page)
{
	struct vtx_vcpu *vcpu = tlb_guest(small_guest, small_guest_end, NULL);

	EXPECT_EQ(MARK(TLB_4K_BASE + 0x2000), report(_metadata, vcpu));
	EXPECT_EQ(MARK(TLB_4K_BASE + 0x5000), report(_metadata, vcpu));
	RUN_HLT(vcpu);
}

/*
 * The exits between the guest's two UCALL_STEPs (its timed loop); -1 when
 * the driver counts none.
 */
static int64_t exits_between_steps(struct __test_metadata *_metadata,
				   struct vtx_vcpu *vcpu)
{
	struct vtx_ucall uc;
	int64_t e0;

	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	e0 = vtx_vcpu_exits(vcpu);
	if (e0 < 0)
		return -1;
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	return vtx_vcpu_exits(vcpu) - e0;
}

/*
 * The bound of the INVLPG loops: no exit with EPT, one per INVLPG (and
 * no refault) with shadow paging.
 */
static void expect_invlpg_exits(struct __test_metadata *_metadata,
				const char *paging, int64_t n)
{
	TH_LOG("%s (ept=%d): %s%d x (INVLPG, read of another page): %lld exits",
	       DRIVER, driver_uses_ept(), paging, TLB_LOOPS, (long long)n);
	if (driver_uses_ept()) {
		EXPECT_LT(n, TLB_LOOPS / 10);
	} else {
		EXPECT_GE(n, TLB_LOOPS);
		EXPECT_LT(n, TLB_LOOPS + TLB_LOOPS / 2);
	}
}

/*
 * TLB_LOOPS x (INVLPG of one page, read of another).  With EPT INVLPG
 * does not exit; with shadow paging it does, and should cost nothing
 * more: KVM ept=0 takes TLB_LOOPS exits.  vtx before single-address
 * INVLPG dropped every shadow leaf at each one and refaulted the code
 * and the data page: 3 x TLB_LOOPS.
 */
TEST(invlpg_exits)
{
	struct vtx_vcpu *vcpu = tlb_guest(invlpg_guest, invlpg_guest_end,
					  NULL);
	int64_t n = exits_between_steps(_metadata, vcpu);

	if (n < 0)
		SKIP(return, "%s gives no exit counts", DRIVER);
	expect_invlpg_exits(_metadata, "", n);
	RUN_HLT(vcpu);
}

/*
 * invlpg_exits under PAE paging outside long mode (32-bit code): with
 * shadow paging the same TLB_LOOPS exits, no refaults.
 */
TEST(invlpg_exits_pae)
{
	struct vtx_vcpu *vcpu = guest_create(VTX_MODE_PROT32, invlpg_pae_guest,
					     invlpg_pae_guest_end, NULL);
	uint64_t *pdpt, *pd;
	int64_t n;

	tlb_setup(vcpu);
	pdpt = vtx_gpa2hva(vcpu->vm, TLB_PAE_PDPT);
	pd = vtx_gpa2hva(vcpu->vm, TLB_PAE_PD);
	memset(pdpt, 0, VTX_PAGE_SIZE);
	memset(pd, 0, VTX_PAGE_SIZE);
	pdpt[0] = TLB_PAE_PD | 1;	/* a PDPTE: P only */
	pd[0] = PDE_LARGE;
	pd[2] = TLB_PT_GPA | PTE_P_RW;
	n = exits_between_steps(_metadata, vcpu);
	if (n < 0)
		SKIP(return, "%s gives no exit counts", DRIVER);
	expect_invlpg_exits(_metadata, "PAE: ", n);
	RUN_HLT(vcpu);
}

/*
 * TLB_LOOPS x (MOV to CR3 of address space B, a read, MOV to CR3 back to
 * A, a read): two CR3 loads each.  With shadow paging each load exits,
 * and what the shadow MMU keeps of each address space decides the faults
 * after it: KVM ept=0 keeps both roots, 2 exits a round; vtx's virtual
 * TLB of milestone 1 dropped its tables at each load and refaulted the
 * code and data pages, 6 a round.
 */
TEST(cr3_switch_exits)
{
	struct vtx_vcpu *vcpu = tlb_guest(cr3_switch_guest,
					  cr3_switch_guest_end, NULL);
	int64_t n = exits_between_steps(_metadata, vcpu);

	if (n < 0)
		SKIP(return, "%s gives no exit counts", DRIVER);
	TH_LOG("%s (ept=%d): %d x (CR3 to B, read, CR3 to A, read): %lld exits",
	       DRIVER, driver_uses_ept(), TLB_LOOPS, (long long)n);
	if (driver_uses_ept()) {
		EXPECT_LT(n, TLB_LOOPS / 10);
	} else {
		EXPECT_GE(n, 2 * TLB_LOOPS);
		EXPECT_LT(n, 2 * TLB_LOOPS + TLB_LOOPS / 10)
			TH_LOG("the shadow tables of an address space did not outlive a CR3 switch");
	}
	/* B's PD[2] maps each page one further on */
	EXPECT_EQ(MARK(TLB_4K_BASE + 0x3000), report(_metadata, vcpu));
	EXPECT_EQ(MARK(TLB_4K_BASE + 0x2000), report(_metadata, vcpu));
	RUN_HLT(vcpu);
}

/*
 * The guest changes address space B while A is loaded, without an INVLPG
 * (none is needed: B's translations are not cached under A's CR3 without
 * PCIDs), first a PTE of B's PT, then B's PDE of that range: each next
 * load of B's CR3 sees the change.  A shadow MMU that keeps B's tables
 * across the switch must have caught both writes.
 */
TEST(inactive_space_edit)
{
	struct vtx_vcpu *vcpu = tlb_guest(inactive_edit_guest,
					  inactive_edit_guest_end, NULL);

	EXPECT_EQ(MARK(TLB_4K_BASE + 0x3000), report(_metadata, vcpu));
	EXPECT_EQ(MARK(TLB_4K_BASE + 0x2000), report(_metadata, vcpu));
	EXPECT_EQ(MARK(TLB_4K_BASE + 0x7000), report(_metadata, vcpu))
		TH_LOG("a PTE of an inactive address space changed; its next CR3 load kept the old translation");
	EXPECT_EQ(MARK(TLB_4K_BASE + 0x2000), report(_metadata, vcpu))
		TH_LOG("a PDE of an inactive address space changed; its next CR3 load kept the old table");
	RUN_HLT(vcpu);
}

/*
 * B's page table, after B ran, is written and read as data in A
 * TLB_LOOPS times (a page table freed and reused): the writes land, and
 * do not exit each time once the frame is no longer a table.
 */
TEST(table_reused_as_data)
{
	struct vtx_vcpu *vcpu = tlb_guest(table_reuse_guest,
					  table_reuse_guest_end, NULL);
	int64_t n = exits_between_steps(_metadata, vcpu);

	if (n >= 0) {
		TH_LOG("%s (ept=%d): %d x (write, read) of a former page table: %lld exits",
		       DRIVER, driver_uses_ept(), TLB_LOOPS, (long long)n);
		EXPECT_LT(n, TLB_LOOPS / 10);
	}
	EXPECT_EQ((uint64_t)TLB_LOOPS * (TLB_LOOPS + 1) / 2,
		  report(_metadata, vcpu));
	RUN_HLT(vcpu);
}

/*
 * A's PT maps itself, writable: TLB_LOOPS times the guest changes a PTE
 * through that mapping, invalidates the page and reads it, between two
 * frames.  A shadow MMU that write-protects page tables must let the
 * write through (the table is on the path of its own translation) and
 * still see every change; it must not hang.
 */
TEST(table_maps_itself)
{
	struct vtx_vcpu *vcpu = tlb_guest(selfmap_guest, selfmap_guest_end,
					  NULL);
	uint64_t *pt = vtx_gpa2hva(vcpu->vm, TLB_PT_GPA);

	pt[TLB_SELF_PTE] = TLB_PT_GPA | PTE_P_RW;
	EXPECT_EQ(MARK(TLB_4K_BASE + 0x2000), report(_metadata, vcpu));
	EXPECT_EQ(MARK(TLB_4K_BASE + 0x2000), report(_metadata, vcpu))
		TH_LOG("a PTE changed through the table's own mapping was not seen");
	EXPECT_EQ(0, report(_metadata, vcpu));
	RUN_HLT(vcpu);
}

/*
 * TLB_MANY_TABLES page tables, one read through each, twice: the reads
 * are right, and with shadow paging vtx keeps no more shadow tables than
 * its bound from the guest memory size (KVM's default: 20 per thousand
 * pages, at least 64; some 9 MiB here: 64), which it reports in the
 * netlink VM stats (VTX_A_VM_SHADOW_PAGES; 0 with EPT).
 */
TEST(many_tables_bounded)
{
	struct vtx_vcpu *vcpu = tlb_guest(many_tables_guest,
					  many_tables_guest_end, NULL);
	uint64_t *pdpt = vtx_gpa2hva(vcpu->vm, VTX_PDPT_GPA);
	uint64_t *t, sum = 0, i;
	int64_t pages;

	t = vtx_vm_add_mem(vcpu->vm, 3, TLB_MANY_GPA,
			   (TLB_MANY_TABLES + 1) * VTX_PAGE_SIZE);
	memset(t, 0, (TLB_MANY_TABLES + 1) * VTX_PAGE_SIZE);
	pdpt[1] = TLB_MANY_GPA | PTE_P_RW;
	for (i = 0; i < TLB_MANY_TABLES; i++) {
		uint64_t pt = TLB_MANY_GPA + (i + 1) * VTX_PAGE_SIZE;
		uint64_t page = TLB_4K_BASE + (i % 512) * VTX_PAGE_SIZE;

		t[i] = pt | PTE_P_RW;
		t[(i + 1) * 512] = page | PTE_P_RW;
		sum += MARK(page);
	}
	EXPECT_EQ(sum, report(_metadata, vcpu));
	pages = vtx_vm_shadow_pages(vcpu);
	TH_LOG("%s (ept=%d): %d page tables read through: %lld shadow pages",
	       DRIVER, driver_uses_ept(), TLB_MANY_TABLES, (long long)pages);
	if (pages != -EOPNOTSUPP) {
		EXPECT_GE(pages, 0);
		EXPECT_LE(pages, 64);
	}
	EXPECT_EQ(sum, report(_metadata, vcpu));
	RUN_HLT(vcpu);
}

/*
 * INVPCID checks its type and descriptor after the exit that shadow
 * paging takes: #GP(0) for a type above 3, descriptor bits 63:12 set, a
 * non-canonical address of type 0, a PCID other than 0 without
 * CR4.PCIDE; a valid type 0 and type 1 run.  vtx ept=0 before this
 * skipped every INVPCID without a check.
 */
TEST(invpcid_checks)
{
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;

	if (!cpu_has(7, CPUID_EBX, CPUID_7_EBX_INVPCID))
		SKIP(return, "%s offers no INVPCID", DRIVER);
	vcpu = tlb_guest(invpcid_guest, invpcid_guest_end, invpcid_stubs);
	RUN_EXC(vcpu, GP_VECTOR, 0,
		VTX_BLOB_GPA(invpcid_guest, invpcid_type_insn), &uc);
	RUN_EXC(vcpu, GP_VECTOR, 0,
		VTX_BLOB_GPA(invpcid_guest, invpcid_rsvd_insn), &uc);
	RUN_EXC(vcpu, GP_VECTOR, 0,
		VTX_BLOB_GPA(invpcid_guest, invpcid_addr_insn), &uc);
	RUN_EXC(vcpu, GP_VECTOR, 0,
		VTX_BLOB_GPA(invpcid_guest, invpcid_pcid_insn), &uc);
	RUN_UCALL(vcpu, UCALL_DONE, &uc);
	EXPECT_EQ(4, guest_exc_count(vcpu, GP_VECTOR));
}

static void on_alarm(int sig)
{
}

/*
 * The guest's page tables in a writable memslot that the VMM maps
 * read-only: the accessed bits cannot be set.  Shadow paging makes the
 * translation anyway, as for tables in a read-only slot (KVM leaves a
 * ROM's bits clear): the guest reads on.  vtx ept=0 before the one walker
 * retried the fault for ever (its own A/D code took the failed cmpxchg
 * for a changed entry), and KVM_RUN returned only to a signal.  The other
 * drivers do what they do (kvm_intel ept=0 injects a #PF, with EPT the
 * processor's own A-bit write faults to the VMM), but KVM_RUN returns.
 */
TEST(tables_mapped_readonly)
{
	struct vtx_vcpu *vcpu = tlb_guest(rotables_guest, rotables_guest_end,
					  NULL);
	struct sigaction sa = { .sa_handler = on_alarm };
	struct vtx_ucall uc;
	uint64_t *t, i;
	long r;

	t = vtx_vm_add_mem(vcpu->vm, 2, TLB_RO_GPA,
			   TLB_RO_PAGES * VTX_PAGE_SIZE);
	t[0] = (TLB_RO_GPA + VTX_PAGE_SIZE) | PTE_P_RW;
	t[512] = (TLB_RO_GPA + 2 * VTX_PAGE_SIZE) | PTE_P_RW;
	for (i = 0; i < 512; i++)
		t[1024 + i] = (i << 21) | PDE_LARGE;
	*(uint64_t *)vtx_gpa2hva(vcpu->vm, SCRATCH_GPA) = RO_MARK;
	ASSERT_EQ(0, mprotect(t, TLB_RO_PAGES * VTX_PAGE_SIZE, PROT_READ));

	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	alarm(RUN_LIMIT_S);
	r = __vtx_run(vcpu);
	alarm(0);
	TH_LOG("%s (ept=%d): KVM_RUN %ld, %s", DRIVER, driver_uses_ept(), r,
	       r ? "" : describe_exit(vcpu));
	ASSERT_NE(-EINTR, r)
		TH_LOG("the vCPU did not get past tables it cannot set A bits in within %d s",
		       RUN_LIMIT_S);
	if (!driver_is_kvm() && !driver_uses_ept()) {
		ASSERT_EQ(0, r);
		ASSERT_EQ(UCALL_REPORT, vtx_get_ucall(vcpu, &uc))
			TH_LOG("%s", describe_exit(vcpu));
		EXPECT_EQ(RO_MARK, uc.regs.rbx);
	}
}

VTX_TEST_MAIN

/*
 * A PTE changed by one instruction, PTW_ROUNDS times (PTWRITE_GUEST):
 * every change is seen after the guest's INVLPG, and the table's other
 * entries stay mapped.  With shadow paging the write exits and is
 * emulated, dropping only the shadow entry of PTE 2: three exits a round
 * (the write, INVLPG, the read of page 2), as KVM's ept=0 at most (its
 * unsync tables take fewer).  Before the emulation vtx zapped the shadow
 * table at each write and refaulted page 4 too (and, the same write
 * twice, reset the address space): four and more.  @bounded: the write
 * replaces whole entries (a straddling one zaps the tables, as KVM's).
 */
static void ptwrite_run(struct __test_metadata *_metadata,
			struct vtx_vcpu *vcpu, const char *what, bool bounded)
{
	int64_t n = exits_between_steps(_metadata, vcpu);

	if (n >= 0) {
		TH_LOG("%s (ept=%d): %d x (%s to PTE 2, INVLPG, 2 reads): %lld exits",
		       DRIVER, driver_uses_ept(), PTW_ROUNDS, what,
		       (long long)n);
		if (bounded && !driver_uses_ept())
			EXPECT_LE(n, 3 * PTW_ROUNDS + 2)
				TH_LOG("a write to a page table cost more than its emulation (the table was zapped)");
	}
	EXPECT_EQ(0, report(_metadata, vcpu))
		TH_LOG("%s: a changed PTE, or another of its table, read wrong", what);
	RUN_HLT(vcpu);
}

static void ptwrite_test(struct __test_metadata *_metadata,
			 const uint8_t *start, const uint8_t *end,
			 const char *what, bool bounded)
{
	ptwrite_run(_metadata, tlb_guest(start, end, NULL), what, bounded);
}

TEST(ptwrite_mov)
{
	ptwrite_test(_metadata, ptw_mov_guest, ptw_mov_guest_end, "MOV", true);
}

TEST(ptwrite_xchg)
{
	ptwrite_test(_metadata, ptw_xchg_guest, ptw_xchg_guest_end, "XCHG",
		     true);
}

TEST(ptwrite_lock_cmpxchg)
{
	ptwrite_test(_metadata, ptw_cmpxchg_guest, ptw_cmpxchg_guest_end,
		     "LOCK CMPXCHG", true);
}

TEST(ptwrite_lock_bts_btr)
{
	ptwrite_test(_metadata, ptw_bts_guest, ptw_bts_guest_end,
		     "LOCK BTS/BTR", true);
}

TEST(ptwrite_movs)
{
	ptwrite_test(_metadata, ptw_movs_guest, ptw_movs_guest_end, "MOVSQ",
		     true);
}

/* 8 bytes over PTE 1's high half and PTE 2's low half: seen, unbounded. */
TEST(ptwrite_straddling)
{
	ptwrite_test(_metadata, ptw_straddle_guest, ptw_straddle_guest_end,
		     "a straddling MOV", false);
}

/* LOCK CMPXCHG8B of a PAE PTE, from 32-bit code (invlpg_exits_pae's tables). */
TEST(ptwrite_cmpxchg8b_pae)
{
	struct vtx_vcpu *vcpu = guest_create(VTX_MODE_PROT32,
					     ptw_cmpxchg8b_guest,
					     ptw_cmpxchg8b_guest_end, NULL);
	uint64_t *pdpt, *pd;

	tlb_setup(vcpu);
	pdpt = vtx_gpa2hva(vcpu->vm, TLB_PAE_PDPT);
	pd = vtx_gpa2hva(vcpu->vm, TLB_PAE_PD);
	memset(pdpt, 0, VTX_PAGE_SIZE);
	memset(pd, 0, VTX_PAGE_SIZE);
	pdpt[0] = TLB_PAE_PD | 1;	/* a PDPTE: P only */
	pd[0] = PDE_LARGE;
	pd[2] = TLB_PT_GPA | PTE_P_RW;
	ptwrite_run(_metadata, vcpu, "LOCK CMPXCHG8B (PAE)", true);
}

/*
 * PTW_ROUNDS_LONG writes to a PTE of a table whose PTW_KEEP_PAGES other
 * pages were read before: about one exit each (with INVLPG and the
 * refault of the page written, three), and the other pages are read
 * again without faulting.  vtx before the emulation zapped the table at
 * every write: each round refaulted more, and the pages afterwards.
 */
TEST(ptwrite_keeps_table)
{
	struct vtx_vcpu *vcpu = tlb_guest(ptw_keep_guest, ptw_keep_guest_end,
					  NULL);
	int64_t n = exits_between_steps(_metadata, vcpu);
	uint64_t sum = 0, i;

	if (n >= 0) {
		TH_LOG("%s (ept=%d): %d x (MOV to PTE 2, INVLPG, read), then %d other pages of the table: %lld exits",
		       DRIVER, driver_uses_ept(), PTW_ROUNDS_LONG,
		       PTW_KEEP_PAGES, (long long)n);
		if (!driver_uses_ept())
			EXPECT_LE(n, 3 * PTW_ROUNDS_LONG + 2)
				TH_LOG("writes to a PTE zapped the rest of its table");
	}
	for (i = 0; i < PTW_KEEP_PAGES; i++)
		sum += MARK(TLB_4K_BASE + (PTW_KEEP_FIRST + i) * VTX_PAGE_SIZE);
	EXPECT_EQ(sum, report(_metadata, vcpu));
	RUN_HLT(vcpu);
}

struct ptw_thread {
	struct vtx_vcpu *vcpu;
	uint64_t errors;
	char error[128];
};

static void *ptw_thread_fn(void *arg)
{
	struct ptw_thread *t = arg;
	struct vtx_ucall uc;

	vtx_run(t->vcpu);
	if (vtx_get_ucall(t->vcpu, &uc) != UCALL_REPORT) {
		snprintf(t->error, sizeof(t->error), "%s",
			 describe_exit(t->vcpu));
		return NULL;
	}
	t->errors = uc.regs.rbx;
	vtx_run(t->vcpu);
	if (t->vcpu->run->exit_reason != KVM_EXIT_HLT)
		snprintf(t->error, sizeof(t->error), "%s",
			 describe_exit(t->vcpu));
	return NULL;
}

/*
 * Two vCPUs of one long-mode guest running @guest, each on its own stack
 * with RDI its index, the TLB test's tables set up: @t[1].vcpu added to
 * @t[0].vcpu's VM.
 */
static void ptw_two_vcpus(struct ptw_thread t[2], const void *guest,
			  const void *guest_end)
{
	struct kvm_regs regs;
	int i;

	t[0].vcpu = guest_create(VTX_MODE_LONG64, guest, guest_end, NULL);
	vcpu_set_supported_cpuid(t[0].vcpu);
	t[1].vcpu = vtx_vcpu_add(t[0].vcpu->vm, 1);
	vtx_setup_mode(t[1].vcpu, VTX_MODE_LONG64, VTX_CODE_GPA);
	vcpu_set_supported_cpuid(t[1].vcpu);
	for (i = 0; i < 2; i++) {
		vtx_get_regs(t[i].vcpu, &regs);
		regs.rsp = STACKS_GPA + (i + 1) * STACK_SIZE;
		regs.rdi = i;
		vtx_set_regs(t[i].vcpu, &regs);
	}
	tlb_setup(t[0].vcpu);	/* after vtx_setup_mode, which rewrites PD */
}

/* Run both vCPUs of ptw_two_vcpus() to their end, one thread each. */
static int ptw_run_two(struct ptw_thread t[2])
{
	pthread_t tid[2];
	int i;

	for (i = 0; i < 2; i++)
		if (pthread_create(&tid[i], NULL, ptw_thread_fn, &t[i]))
			return -1;
	for (i = 0; i < 2; i++)
		pthread_join(tid[i], NULL);
	return 0;
}

/*
 * Two vCPUs LOCK BTS and LOCK BTR their own bit of the same PTE,
 * PTW_SMP_LOOPS times each, faulting through the table in between (so
 * that the writes stay emulated rather than flooding): no update is lost.
 * An emulated read-modify-write that is not one locked operation on the
 * guest's memory loses the other vCPU's bit now and then.
 */
TEST(ptwrite_two_vcpus_lock)
{
	struct ptw_thread t[2] = {};
	uint64_t *pt;
	int i;

	ptw_two_vcpus(t, ptw_smp_guest, ptw_smp_guest_end);
	ASSERT_EQ(0, ptw_run_two(t));
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, t[i].error[0]) TH_LOG("vCPU %d: %s", i, t[i].error);
		EXPECT_EQ(0, t[i].errors)
			TH_LOG("vCPU %d: %llu of its LOCK BTS/BTR found its bit wrong (an update lost)",
			       i, (unsigned long long)t[i].errors);
	}
	pt = vtx_gpa2hva(t[0].vcpu->vm, TLB_PT_GPA);
	EXPECT_EQ((TLB_4K_BASE + 0x2000) | PTE_P_RW, pt[2]);
}

/*
 * vtx's own write to guest RAM for the guest: REP INSL from the VMM's
 * port rewrites PTE 2 (to frame 5), then INVLPG and a read of the page:
 * the new frame, and page 4 of the same table as before.  Before the
 * write notifier vtx copied string input into a write-protected page
 * table behind the shadow MMU's back: its shadow leaf kept the old frame
 * after the INVLPG.
 */
TEST(ptwrite_string_input)
{
	struct vtx_vcpu *vcpu = tlb_guest(ptw_ins_guest, ptw_ins_guest_end,
					  NULL);
	uint64_t pte = (TLB_4K_BASE + 0x5000) | TLB_PTE;
	struct kvm_run *run = vcpu->run;
	unsigned int done = 0, n;
	struct vtx_ucall uc;

	for (;;) {
		vtx_run(vcpu);
		if (run->exit_reason != KVM_EXIT_IO || run->io.port != PTW_PORT)
			break;
		ASSERT_EQ(KVM_EXIT_IO_IN, run->io.direction);
		n = run->io.size * run->io.count;
		ASSERT_LE(done + n, sizeof(pte));
		memcpy((uint8_t *)run + run->io.data_offset,
		       (uint8_t *)&pte + done, n);
		done += n;
	}
	EXPECT_EQ(sizeof(pte), done);
	ASSERT_EQ(UCALL_REPORT, vtx_get_ucall(vcpu, &uc))
		TH_LOG("%s", describe_exit(vcpu));
	EXPECT_EQ(MARK(TLB_4K_BASE + 0x5000), uc.regs.rbx)
		TH_LOG("string input into a page table: the old translation after INVLPG");
	EXPECT_EQ(MARK(TLB_4K_BASE + 0x4000), report(_metadata, vcpu));
	RUN_HLT(vcpu);
}

/*
 * A new address space C whose PML4 entry is A's (A's PDPT, PD and PT, as
 * a forked process's kernel half) reads the TLB_SHARE_PAGES pages A read
 * before.  KVM ept=0 finds A's shadow PDPT by its guest frame and role
 * and links it under C's root: a fault or two.  vtx before its shadow
 * tables were shared built C's anew: a fault per page.
 */
TEST(shared_tables_new_space)
{
	struct vtx_vcpu *vcpu = tlb_guest(share_new_guest, share_new_guest_end,
					  NULL);
	int64_t n = exits_between_steps(_metadata, vcpu);
	uint64_t sum = 0, i;

	if (n >= 0) {
		TH_LOG("%s (ept=%d): CR3 to a new space over A's PDPT, %d pages A read: %lld exits",
		       DRIVER, driver_uses_ept(), TLB_SHARE_PAGES,
		       (long long)n);
		EXPECT_LT(n, TLB_SHARE_PAGES / 16)
			TH_LOG("a new address space rebuilt the shadow tables it shares with another");
	}
	for (i = 0; i < TLB_SHARE_PAGES; i++)
		sum += MARK(TLB_4K_BASE + i * VTX_PAGE_SIZE);
	EXPECT_EQ(sum, report(_metadata, vcpu));
	RUN_HLT(vcpu);
}

/*
 * A and D (PML4, PDPT and PD of its own) share a PT: a PTE written in D
 * (then INVLPG) is seen in D and, without an INVLPG, in A (its CR3 load
 * flushes); one written in A, in D.  A shared shadow table is linked from
 * both PDs: the write drops its entry for both.
 */
TEST(shared_table_written)
{
	struct vtx_vcpu *vcpu = tlb_guest(share_write_guest,
					  share_write_guest_end, NULL);

	EXPECT_EQ(MARK(TLB_4K_BASE + 0x5000), report(_metadata, vcpu));
	EXPECT_EQ(MARK(TLB_4K_BASE + 0x5000), report(_metadata, vcpu))
		TH_LOG("a PTE written in another address space over the same PT was not seen");
	EXPECT_EQ(MARK(TLB_4K_BASE + 0x6000), report(_metadata, vcpu))
		TH_LOG("a PTE written in another address space over the same PT was not seen");
	RUN_HLT(vcpu);
}

/*
 * 32-bit paging: a shadow table mirrors half of a guest PT (1024 PTEs, 4
 * MiB) and a quarter of a PD (each 4 MiB PDE two shadow PDEs).  A PTE in
 * the upper half of a PT that two PDEs share, one of them in the PD's
 * last quarter, is moved, then that PDE: each change is seen after an
 * INVLPG, and the PT's lower half keeps its translation.
 */
TEST(shared_tables_quadrants)
{
	struct vtx_vcpu *vcpu = guest_create(VTX_MODE_PROT32, quadrant_guest,
					     quadrant_guest_end, NULL);
	uint32_t *pd, *pt, *ptb, i;

	tlb_setup(vcpu);
	pd = vtx_gpa2hva(vcpu->vm, TLB_PD32);
	pt = vtx_gpa2hva(vcpu->vm, TLB_PT32);
	ptb = vtx_gpa2hva(vcpu->vm, TLB_PT32B);
	memset(pd, 0, VTX_PAGE_SIZE);
	pd[0] = PDE_LARGE;
	pd[1] = TLB_PT32 | PTE_P_RW;
	pd[TLB_HIGH_PDE] = TLB_PT32 | PTE_P_RW;
	for (i = 0; i < 1024; i++) {
		pt[i] = (TLB_4K_BASE + i * VTX_PAGE_SIZE) | PTE_P_RW;
		ptb[i] = (TLB_4K_BASE + ((i + 1) & 1023) * VTX_PAGE_SIZE) |
			 PTE_P_RW;
	}
	EXPECT_EQ(MARK(TLB_4K_BASE + 0x205000), report(_metadata, vcpu))
		TH_LOG("a PTE in the upper half of a 32-bit PT changed; INVLPG kept the old translation");
	EXPECT_EQ(MARK(TLB_4K_BASE + 0x2000), report(_metadata, vcpu));
	EXPECT_EQ(MARK(TLB_4K_BASE + 0x203000), report(_metadata, vcpu))
		TH_LOG("a PDE in the last quarter of a 32-bit PD changed; INVLPG kept the old table");
	RUN_HLT(vcpu);
}

/*
 * Two vCPUs over the same tables: TLB_SMP_ROUNDS times vCPU 0 moves PTE
 * 2 (an emulated write under shadow paging) and vCPU 1, told through
 * memory, INVLPGs and reads the page: the new frame each time.  With
 * shadow tables shared between vCPUs the write drops the leaf both walk.
 */
TEST(shared_tables_two_vcpus)
{
	struct ptw_thread t[2] = {};
	int i;

	ptw_two_vcpus(t, share_smp_guest, share_smp_guest_end);
	*(uint64_t *)vtx_gpa2hva(t[0].vcpu->vm, TLB_SMP_FLAG) = 0;
	*(uint64_t *)vtx_gpa2hva(t[0].vcpu->vm, TLB_SMP_ACK) = 0;
	ASSERT_EQ(0, ptw_run_two(t));
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, t[i].error[0]) TH_LOG("vCPU %d: %s", i, t[i].error);
		EXPECT_EQ(0, t[i].errors)
			TH_LOG("vCPU %d: %llu of its reads after INVLPG saw an old frame",
			       i, (unsigned long long)t[i].errors);
	}
}
