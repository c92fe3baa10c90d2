// SPDX-License-Identifier: GPL-2.0
/*
 * Exception delivery as the processor does it, the same on vtx and on
 * kvm_intel: what the guest's handler sees in its frame and in CR2/DR6.
 *
 * - A fault-class exception (#GP, #UD, #PF) has RF set in the pushed
 *   RFLAGS, whether the CPU raised it or the driver injected it (#GP from
 *   WRMSR, #UD from VMCLEAR, #PF met by the MMIO emulator): without it, an IRET back to an instruction
 *   with a code breakpoint would fault again.  Traps (#BP, #DB) and
 *   instruction-breakpoint #DBs leave RF alone.
 * - The #DB handler's DR6 keeps the active-low bit 16 (RTM) set and has
 *   exactly the status bit of the cause: BS for single-step (also when
 *   MOV SS blocking delays it by one instruction), B0 for a DR0 data
 *   (write) breakpoint, B1 for a DR1 instruction breakpoint, B2 for a DR2
 *   read/write breakpoint met by a read, B3 for a DR3 instruction
 *   breakpoint, none for ICEBP.
 *   Before each, the guest writes 0 to DR6, which reads back 0xffff0ff0.
 * - A guest page fault met by the instruction emulator (MOVSB from a
 *   device to a page that is not present: one device read, then the
 *   write faults) is delivered to the guest with its error code and CR2,
 *   not turned into an emulation-failure exit.
 */
#include <stdint.h>

#include "vcpu_test.h"
#include "exception.h"
#include "excdeliv.h"

extern const uint8_t xd64_guest[], xd64_guest_end[], xd64_stubs[],
	xd64_gp_inj[], xd64_ud_inj[], xd64_gp_cpu[], xd64_ud_cpu[],
	xd64_pf_cpu[], xd64_pf_emu[], xd64_bp_next[], xd64_ss_next[], xd64_data_next[],
	xd64_ibp[], xd64_icebp_next[], xd64_movss_next[], xd64_rw_next[],
	xd64_ibp3[];
extern const uint8_t xp64_guest[], xp64_guest_end[], xp64_stubs[],
	xp64_ro_movsb[];

struct xd_expect {
	const char *what;
	unsigned int vector;
	const uint8_t *rip;	/* label in the blob */
	bool rf;		/* RF in the pushed RFLAGS */
	uint64_t cr2;		/* #PF */
	bool db;		/* check DR6 */
	uint64_t dr6;
	uint64_t error;		/* error code */
	bool mmio_first;	/* a 1-byte read of XD_MMIO_GPA exits first */
};

TEST(delivery_long64)
{
	const struct xd_expect x[] = {
		{ "#GP injected (wrmsr)", GP_VECTOR, xd64_gp_inj, true },
		{ "#UD injected (vmclear)", UD_VECTOR, xd64_ud_inj, true },
		{ "#GP raised", GP_VECTOR, xd64_gp_cpu, true },
		{ "#UD raised", UD_VECTOR, xd64_ud_cpu, true },
		{ "#PF raised", PF_VECTOR, xd64_pf_cpu, true, NP_ADDR_64 },
		{ "#PF emulating movsb", PF_VECTOR, xd64_pf_emu, true,
		  NP_ADDR_64, false, 0, PF_ERR_W, true },
		{ "#BP", BP_VECTOR, xd64_bp_next, false },
		{ "#DB single-step", XD_DB_VECTOR, xd64_ss_next, false, 0,
		  true, XD_DR6_CLEAR | XD_DR6_BS },
		{ "#DB DR0 data write", XD_DB_VECTOR, xd64_data_next, false, 0,
		  true, XD_DR6_CLEAR | XD_DR6_B0 },
		{ "#DB DR1 instruction", XD_DB_VECTOR, xd64_ibp, false, 0,
		  true, XD_DR6_CLEAR | XD_DR6_B1 },
		{ "#DB DR2 data read", XD_DB_VECTOR, xd64_rw_next, false, 0,
		  true, XD_DR6_CLEAR | XD_DR6_B2 },
		{ "#DB DR3 instruction", XD_DB_VECTOR, xd64_ibp3, false, 0,
		  true, XD_DR6_CLEAR | XD_DR6_B3 },
		{ "#DB ICEBP", XD_DB_VECTOR, xd64_icebp_next, false, 0,
		  true, XD_DR6_CLEAR },
		{ "#DB single-step, MOV SS", XD_DB_VECTOR, xd64_movss_next,
		  false, 0, true, XD_DR6_CLEAR | XD_DR6_BS },
	};
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	unsigned int i;

	vcpu = guest_create(VTX_MODE_LONG64, xd64_guest, xd64_guest_end,
			    xd64_stubs);
	vcpu_set_supported_cpuid(vcpu);
	for (i = 0; i < sizeof(x) / sizeof(x[0]); i++) {
		if (x[i].mmio_first) {
			struct kvm_run *run = vcpu->run;

			vtx_run(vcpu);
			ASSERT_EQ(KVM_EXIT_MMIO, run->exit_reason)
				TH_LOG("%s: %s", x[i].what,
				       describe_exit(vcpu));
			EXPECT_EQ(XD_MMIO_GPA, run->mmio.phys_addr);
			EXPECT_EQ(1, run->mmio.len);
			EXPECT_EQ(0, run->mmio.is_write);
			run->mmio.data[0] = XD_MMIO_BYTE;
		}
		RUN_EXC(vcpu, x[i].vector, x[i].error,
			VTX_BLOB_GPA(xd64_guest, x[i].rip), &uc);
		TH_LOG("%s: vector %llu rip %#llx rflags %#llx cr2 %#llx dr6 %#llx",
		       x[i].what, (unsigned long long)uc.regs.rbx,
		       (unsigned long long)uc.regs.rdx,
		       (unsigned long long)uc.regs.rdi,
		       (unsigned long long)uc.regs.rsi,
		       (unsigned long long)uc.regs.r8);
		EXPECT_EQ(x[i].rf, !!(uc.regs.rdi & XD_RF))
			TH_LOG("%s: RF in the pushed RFLAGS %#llx", x[i].what,
			       (unsigned long long)uc.regs.rdi);
		if (x[i].vector == PF_VECTOR)
			EXPECT_EQ(x[i].cr2, uc.regs.rsi)
				TH_LOG("%s: CR2", x[i].what);
		if (x[i].db)
			EXPECT_EQ(x[i].dr6, uc.regs.r8 & 0xffffffffull)
				TH_LOG("%s: DR6 %#llx", x[i].what,
				       (unsigned long long)uc.regs.r8);
	}
	RUN_UCALL(vcpu, UCALL_DONE, &uc);
	EXPECT_EQ(7, guest_exc_count(vcpu, XD_DB_VECTOR));
}

/*
 * The instruction emulator writes guest memory only where the guest's
 * page tables allow it: MOVSB from a device to a page that is present but
 * read-only, with CR0.WP set, reads the device and then gets #PF with
 * error code "present, write" and CR2 at the destination, and RAM keeps
 * its byte.  Before the fix vtx's page walk checked presence only and the
 * write landed.
 */
TEST(emulated_write_to_readonly_page)
{
	uint64_t *pd, pte = 0x80 | 0x1;	/* PS, present: not writable */
	struct kvm_run *run;
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	uint8_t *ram;

	vcpu = guest_create(VTX_MODE_LONG64, xp64_guest, xp64_guest_end,
			    xp64_stubs);
	vcpu_set_supported_cpuid(vcpu);
	pd = vtx_gpa2hva(vcpu->vm, VTX_PD_GPA);
	pd[XD_RO_PDE] = pte;
	ram = vtx_gpa2hva(vcpu->vm, XD_DATA_GPA);
	*ram = XD_RO_BYTE;
	run = vcpu->run;

	vtx_run(vcpu);
	ASSERT_EQ(KVM_EXIT_MMIO, run->exit_reason)
		TH_LOG("%s", describe_exit(vcpu));
	EXPECT_EQ(XD_MMIO_GPA, run->mmio.phys_addr);
	EXPECT_EQ(0, run->mmio.is_write);
	run->mmio.data[0] = XD_MMIO_BYTE;
	RUN_EXC(vcpu, PF_VECTOR, XD_PF_ERR_P_W,
		VTX_BLOB_GPA(xp64_guest, xp64_ro_movsb), &uc);
	EXPECT_EQ(XD_RO_DATA, uc.regs.rsi) TH_LOG("CR2");
	RUN_UCALL(vcpu, UCALL_DONE, &uc);
	EXPECT_EQ(XD_RO_BYTE, *ram) TH_LOG("the emulated write landed");
}

VTX_TEST_MAIN
