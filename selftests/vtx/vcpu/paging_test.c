// SPDX-License-Identifier: GPL-2.0
/*
 * A guest's own page tables, changed under it: what the processor's
 * paging gives with EPT and what vtx's shadow page tables must give
 * without it (vtx ept=0, Documentation/vtx/design.rst section 8.2).
 * A 4 KiB window at 1 GiB whose PTEs the guest rewrites: INVLPG after a
 * change, a not-present entry made present (no invalidation needed), the
 * accessed and dirty bits, a read-only page under CR0.WP=0 and =1, CR3
 * switches between two address spaces (and MOV from CR3), a PTE to a frame
 * in no memslot (MMIO exit), a reserved bit (#PF with RSVD).
 */
#include <stdio.h>
#include <string.h>

#include "vcpu_test.h"
#include "paging.h"

extern const uint8_t paging_guest[], paging_guest_end[], paging_stubs[],
	paging_np[], paging_ro[], paging_rsvd[], paging_real_guest[],
	paging_real_guest_end[];

#define PF_VECTOR		14
#define PF_PROT			0x1
#define PF_WRITE		0x2
#define PF_RSVD			0x8

static uint64_t *table(struct vtx_vm *vm, uint64_t gpa)
{
	uint64_t *t = vtx_gpa2hva(vm, gpa);

	memset(t, 0, 4096);
	return t;
}

static void setup_tables(struct vtx_vcpu *vcpu)
{
	struct vtx_vm *vm = vcpu->vm;
	uint64_t *pdpt = vtx_gpa2hva(vm, VTX_PDPT_GPA);
	uint64_t *pd = table(vm, PG_PD_GPA), *pt = table(vm, PG_PT_GPA);
	uint64_t *pml4b = table(vm, PG_PML4B_GPA);
	uint64_t *pdptb = table(vm, PG_PDPTB_GPA);
	uint64_t *pdb = table(vm, PG_PDB_GPA), *ptb = table(vm, PG_PTB_GPA);
	const uint64_t rw = PG_P | PG_RW;

	pdpt[1] = PG_PD_GPA | rw;
	pd[0] = PG_PT_GPA | rw;
	pt[0] = PG_DATA_A | rw;
	pt[2] = PG_DATA_C | PG_P;
	pt[3] = PG_MMIO_GPA | rw;
	pt[4] = PG_DATA_A | rw | 1ull << PG_RSVD_BIT;
	*(uint64_t *)vtx_gpa2hva(vm, PG_DATA_A) = PG_MARK_A;
	*(uint64_t *)vtx_gpa2hva(vm, PG_DATA_B) = PG_MARK_B;
	*(uint64_t *)vtx_gpa2hva(vm, PG_DATA_C) = PG_MARK_C;

	pml4b[0] = PG_PDPTB_GPA | rw;
	pdptb[0] = VTX_PD_GPA | rw;
	pdptb[1] = PG_PDB_GPA | rw;
	pdb[0] = PG_PTB_GPA | rw;
	ptb[0] = PG_DATA_A | rw;
}

#define REPORTS(want, what) do {					\
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);				\
	EXPECT_EQ((uint64_t)(want), uc.regs.rbx) TH_LOG("%s", what);	\
} while (0)

TEST(guest_page_tables)
{
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	struct kvm_run *run;
	uint64_t *pt, *pd, *pdpt;

	vcpu = guest_create(VTX_MODE_LONG64, paging_guest, paging_guest_end,
			    paging_stubs);
	setup_tables(vcpu);
	pt = vtx_gpa2hva(vcpu->vm, PG_PT_GPA);
	pd = vtx_gpa2hva(vcpu->vm, PG_PD_GPA);
	pdpt = vtx_gpa2hva(vcpu->vm, VTX_PDPT_GPA);
	run = vcpu->run;

	REPORTS(PG_MARK_A, "1: the window reads DATA_A");
	EXPECT_EQ(PG_A, pd[0] & PG_A) TH_LOG("1: PDE accessed");
	EXPECT_EQ(PG_A, pdpt[1] & PG_A) TH_LOG("1: PDPTE accessed");
	EXPECT_EQ(PG_A, pt[0] & (PG_A | PG_D)) TH_LOG("1: PTE accessed, clean");

	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	EXPECT_EQ(2, uc.regs.rbx);
	EXPECT_EQ(PG_A | PG_D, pt[0] & (PG_A | PG_D)) TH_LOG("2: PTE dirty");
	EXPECT_EQ(PG_MARK_W, *(uint64_t *)vtx_gpa2hva(vcpu->vm, PG_DATA_A));

	REPORTS(PG_MARK_B, "3: the guest's new PTE, after INVLPG");

	RUN_EXC(vcpu, PF_VECTOR, 0, VTX_BLOB_GPA(paging_guest, paging_np),
		&uc);
	EXPECT_EQ(PG_WIN + 0x1000, uc.regs.rsi) TH_LOG("4: CR2");
	REPORTS(PG_MARK_C, "4: the entry made present");

	REPORTS(PG_MARK_W2, "5: CR0.WP=0: CPL 0 wrote a read-only page");
	EXPECT_EQ(PG_A | PG_D, pt[2] & (PG_A | PG_D)) TH_LOG("5: PTE dirty");
	RUN_EXC(vcpu, PF_VECTOR, PF_PROT | PF_WRITE,
		VTX_BLOB_GPA(paging_guest, paging_ro), &uc);
	EXPECT_EQ(PG_WIN + 0x2000, uc.regs.rsi) TH_LOG("5: CR2");
	REPORTS(PG_MARK_W2, "5: CR0.WP=1: the write faulted");

	REPORTS(PG_MARK_W, "6: the second address space");
	EXPECT_EQ(PG_PML4B_GPA, uc.regs.rcx) TH_LOG("6: MOV from CR3");
	REPORTS(PG_MARK_B, "6: back to the first");
	EXPECT_EQ(VTX_PML4_GPA, uc.regs.rcx) TH_LOG("6: MOV from CR3");
	REPORTS(PG_MARK_W, "6: the second again");

	vtx_run(vcpu);
	ASSERT_EQ(KVM_EXIT_MMIO, run->exit_reason)
		TH_LOG("7: %s", describe_exit(vcpu));
	EXPECT_EQ(PG_MMIO_GPA, run->mmio.phys_addr);
	EXPECT_EQ(8, run->mmio.len);
	EXPECT_EQ(0, run->mmio.is_write);
	*(uint64_t *)run->mmio.data = PG_MMIO_VALUE;
	REPORTS(PG_MMIO_VALUE, "7: the MMIO read's value");

	RUN_EXC(vcpu, PF_VECTOR, PF_PROT | PF_RSVD,
		VTX_BLOB_GPA(paging_guest, paging_rsvd), &uc);
	EXPECT_EQ(PG_WIN + 0x4000, uc.regs.rsi) TH_LOG("8: CR2");
	RUN_UCALL(vcpu, UCALL_DONE, &uc);
	vtx_vm_free(vcpu->vm);
}

/* Does the driver translate with shadow page tables (vtx ept=0)? */
static bool vtx_shadow_paging(void)
{
	char c = 'Y';
	FILE *f;

	if (IS_KVM)
		return false;
	f = fopen("/sys/module/vtx/parameters/ept", "r");
	if (!f)
		return false;
	if (fread(&c, 1, 1, f) != 1)
		c = 'Y';
	fclose(f);
	return c == 'N' || c == '0';
}

/*
 * Without unrestricted guest kvm_intel runs real mode in vm86 (ept=0);
 * vtx's shadow paging (milestone 1) runs 64-bit guests only and fails
 * KVM_RUN cleanly, with an emulation error.
 */
TEST(real_mode_guest)
{
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;

	vcpu = vtx_create_guest(VTX_MODE_REAL, paging_real_guest,
				paging_real_guest_end);
	if (vtx_shadow_paging()) {
		vtx_run(vcpu);
		EXPECT_EQ(KVM_EXIT_INTERNAL_ERROR, vcpu->run->exit_reason)
			TH_LOG("%s", describe_exit(vcpu));
		EXPECT_EQ(KVM_INTERNAL_ERROR_EMULATION,
			  vcpu->run->internal.suberror);
		TH_LOG("vtx ept=0: a real-mode guest fails KVM_RUN (documented)");
	} else {
		RUN_UCALL(vcpu, UCALL_DONE, &uc);
	}
	vtx_vm_free(vcpu->vm);
}

VTX_TEST_MAIN
