// SPDX-License-Identifier: GPL-2.0
/*
 * WBINVD and INVD: at CPL 0 each one exits to the hypervisor, which skips
 * it (no assigned device can need the caches written back), so that a
 * guest cannot flush the host's whole cache hierarchy at will; at CPL 3
 * both raise #GP(0) in the guest, before any exit.  Exits are counted with
 * vtx_vcpu_exits(): a WBINVD the processor executed itself would take
 * none.
 */
#include <string.h>

#include "vcpu_test.h"
#include "wbinvd.h"

extern const uint8_t wbinvd_guest[], wbinvd_guest_end[], wbinvd_stubs[],
	wbinvd_user[], invd_user[];

#define PTE_USER		(1ull << 2)
#define TSS_TYPE_AVAIL		9

/* DPL 3 code and data, a TSS with RSP0, user pages. */
static void setup_cpl3(struct vtx_vcpu *vcpu)
{
	struct vtx_vm *vm = vcpu->vm;
	uint64_t *gdt = vtx_gpa2hva(vm, VTX_GDT_GPA);
	uint64_t *pml4 = vtx_gpa2hva(vm, VTX_PML4_GPA);
	uint64_t *pdpt = vtx_gpa2hva(vm, VTX_PDPT_GPA);
	uint64_t *pd = vtx_gpa2hva(vm, VTX_PD_GPA);
	uint8_t *tss = vtx_gpa2hva(vm, WB_TSS_GPA);
	uint64_t base = WB_TSS_GPA, rsp0 = WB_RSP0;
	struct kvm_sregs sregs;
	int i;

	gdt[WB_SEL_UCODE64 >> 3] = 0x00affb000000ffffull;
	gdt[WB_SEL_UDATA >> 3] = 0x00cff3000000ffffull;
	gdt[WB_SEL_TSS >> 3] = WB_TSS_LIMIT | (base & 0xffffff) << 16 |
			       (uint64_t)TSS_TYPE_AVAIL << 40 | 1ull << 47 |
			       (base >> 24 & 0xff) << 56;
	gdt[(WB_SEL_TSS >> 3) + 1] = base >> 32;
	memset(tss, 0, WB_TSS_LIMIT + 1);
	memcpy(tss + 4, &rsp0, sizeof(rsp0));
	pml4[0] |= PTE_USER;
	pdpt[0] |= PTE_USER;
	for (i = 0; i < 512; i++)
		pd[i] |= PTE_USER;

	vtx_get_sregs(vcpu, &sregs);
	sregs.gdt.limit = WB_GDT_ENTRIES * 8 - 1;
	vtx_set_sregs(vcpu, &sregs);
}

TEST(wbinvd_exit_skipped)
{
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	int64_t e0, e1;

	vcpu = guest_create(VTX_MODE_LONG64, wbinvd_guest, wbinvd_guest_end,
			    wbinvd_stubs);
	setup_cpl3(vcpu);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	EXPECT_EQ(1, uc.regs.rbx);
	e0 = vtx_vcpu_exits(vcpu);

	/* CPL 0: every WBINVD exits and the guest goes on after it */
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	EXPECT_EQ(2, uc.regs.rbx);
	e1 = vtx_vcpu_exits(vcpu);
	ASSERT_GE(e0, 0) TH_LOG("%s gives no exit counts", DRIVER);
	ASSERT_GE(e1, 0);
	TH_LOG("%s: %d WBINVD + 1 INVD: %lld exits", DRIVER, WBINVD_LOOPS,
	       (long long)(e1 - e0));
	EXPECT_GE(e1 - e0, WBINVD_LOOPS + 1)
		TH_LOG("WBINVD ran without an exit (no WBINVD exiting)");

	/* CPL 3: #GP(0) in the guest */
	RUN_EXC(vcpu, GP_VECTOR, 0, VTX_BLOB_GPA(wbinvd_guest, wbinvd_user),
		&uc);
	RUN_EXC(vcpu, GP_VECTOR, 0, VTX_BLOB_GPA(wbinvd_guest, invd_user),
		&uc);
	RUN_UCALL(vcpu, UCALL_DONE, &uc);
	EXPECT_EQ(2, guest_exc_count(vcpu, GP_VECTOR));
	vtx_vm_free(vcpu->vm);
}

VTX_TEST_MAIN
