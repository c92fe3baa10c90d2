// SPDX-License-Identifier: GPL-2.0
/*
 * Exceptions delivered through the guest's own IDT, in 32-bit protected
 * mode and in 64-bit long mode: #DE, #BP (a trap), #UD, #GP with a
 * selector error code and #GP(0), and #PF with its error code and CR2.
 * The handler reports vector, error code, the RIP of the frame and CR2
 * through a port, then resumes after the faulting instruction.
 */
#include <stdint.h>

#include "vcpu_test.h"
#include "exception.h"

extern const uint8_t exc32_guest[], exc32_guest_end[], exc32_stubs[],
	exc32_de[], exc32_bp[], exc32_bp_next[], exc32_ud[], exc32_gp[],
	exc32_pf_read[], exc32_pf_ro[], exc32_pf_write[];
extern const uint8_t exc64_guest[], exc64_guest_end[], exc64_stubs[],
	exc64_de[], exc64_bp[], exc64_bp_next[], exc64_ud[], exc64_gp[],
	exc64_gp_nc[], exc64_pf_read[], exc64_pf_ro[], exc64_pf_write[];

#define PDE_P		(1u << 0)
#define PDE_RW		(1u << 1)
#define PDE_PS		(1u << 7)

struct expect {
	const char *what;
	unsigned int vector;
	uint64_t error;
	const uint8_t *rip;	/* label in the blob */
	uint64_t cr2;		/* for #PF */
};

static void expect_all(struct __test_metadata *_metadata,
		       struct vtx_vcpu *vcpu, const uint8_t *blob,
		       const struct expect *x, int n)
{
	struct vtx_ucall uc;
	int i;

	for (i = 0; i < n; i++) {
		RUN_EXC(vcpu, x[i].vector, x[i].error,
			VTX_BLOB_GPA(blob, x[i].rip), &uc);
		if (x[i].vector == PF_VECTOR)
			EXPECT_EQ(x[i].cr2, uc.regs.rsi) TH_LOG("%s: CR2",
								x[i].what);
		TH_LOG("%s: vector %llu, error code %#llx", x[i].what,
		       (unsigned long long)uc.regs.rbx,
		       (unsigned long long)uc.regs.rcx);
	}
}

TEST(exceptions_prot32)
{
	const struct expect before_paging[] = {
		{ "div by 0", DE_VECTOR, 0, exc32_de },
		{ "int3", BP_VECTOR, 0, exc32_bp_next },
		{ "ud2", UD_VECTOR, 0, exc32_ud },
		{ "mov to DS", GP_VECTOR, BAD_SELECTOR_ERR, exc32_gp },
	};
	const struct expect paging[] = {
		{ "read, not present", PF_VECTOR, 0, exc32_pf_read,
		  NP_ADDR_32 },
		{ "write, read-only", PF_VECTOR, PF_ERR_P | PF_ERR_W,
		  exc32_pf_ro, RO_ADDR_32 },
		{ "write, not present", PF_VECTOR, PF_ERR_W, exc32_pf_write,
		  NP_ADDR_32 + 0x1000 },
	};
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	uint32_t *pd;

	vcpu = guest_create(VTX_MODE_PROT32, exc32_guest, exc32_guest_end,
			    exc32_stubs);
	vcpu_set_supported_cpuid(vcpu);
	pd = vtx_gpa2hva(vcpu->vm, PD32_GPA);
	pd[0] = 0x00000000 | PDE_P | PDE_RW | PDE_PS;
	pd[1] = 0x00000000 | PDE_P | PDE_PS;	/* read-only alias */

	expect_all(_metadata, vcpu, exc32_guest, before_paging, 4);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	expect_all(_metadata, vcpu, exc32_guest, paging, 3);
	RUN_UCALL(vcpu, UCALL_DONE, &uc);
	EXPECT_EQ(1, guest_exc_count(vcpu, DE_VECTOR));
	EXPECT_EQ(1, guest_exc_count(vcpu, BP_VECTOR));
	EXPECT_EQ(1, guest_exc_count(vcpu, UD_VECTOR));
	EXPECT_EQ(1, guest_exc_count(vcpu, GP_VECTOR));
	EXPECT_EQ(3, guest_exc_count(vcpu, PF_VECTOR));
}

TEST(exceptions_long64)
{
	const struct expect x[] = {
		{ "div by 0", DE_VECTOR, 0, exc64_de },
		{ "int3", BP_VECTOR, 0, exc64_bp_next },
		{ "ud2", UD_VECTOR, 0, exc64_ud },
		{ "mov to DS", GP_VECTOR, BAD_SELECTOR_ERR, exc64_gp },
		{ "non-canonical load", GP_VECTOR, 0, exc64_gp_nc },
		{ "read, not present", PF_VECTOR, 0, exc64_pf_read,
		  NP_ADDR_64 },
		{ "write, read-only", PF_VECTOR, PF_ERR_P | PF_ERR_W,
		  exc64_pf_ro, RO_ADDR_64 },
		{ "write, not present", PF_VECTOR, PF_ERR_W, exc64_pf_write,
		  NP_ADDR_64 + 0x1000 },
	};
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	uint64_t *pd;

	vcpu = guest_create(VTX_MODE_LONG64, exc64_guest, exc64_guest_end,
			    exc64_stubs);
	vcpu_set_supported_cpuid(vcpu);
	/* [4 MiB, 6 MiB): read-only */
	pd = vtx_gpa2hva(vcpu->vm, VTX_PD_GPA);
	pd[2] &= ~(uint64_t)PDE_RW;

	expect_all(_metadata, vcpu, exc64_guest, x, sizeof(x) / sizeof(x[0]));
	RUN_UCALL(vcpu, UCALL_DONE, &uc);
	EXPECT_EQ(2, guest_exc_count(vcpu, GP_VECTOR));
	EXPECT_EQ(3, guest_exc_count(vcpu, PF_VECTOR));
}

VTX_TEST_MAIN
