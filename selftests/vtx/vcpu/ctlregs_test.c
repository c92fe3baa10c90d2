// SPDX-License-Identifier: GPL-2.0
/*
 * Control and debug registers: the guest reads back the CR0/CR4 it wrote
 * (the read shadows, not what the processor really runs with), gets #GP
 * for values the processor would refuse (CR4.VMXE among them), and does
 * not exit for MOV to CR3 or INVLPG; KVM_GET/SET_DEBUGREGS and the
 * guest's own MOV to/from DRn agree.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "vcpu_test.h"
#include "ctlregs.h"

extern const uint8_t cr_guest[], cr_guest_end[], cr_stubs[], cr_vmxe_insn[],
	cr_pae_insn[], cr_pg_insn[], cr_nw_insn[], cr_hi_insn[];
extern const uint8_t cr0_rsvd_guest[], cr0_rsvd_guest_end[];
extern const uint8_t cr3_guest[], cr3_guest_end[];
extern const uint8_t cr4_cpuid_guest[], cr4_cpuid_guest_end[],
	cr4_cpuid_stubs[], cr4_fsgsbase_insn[];
extern const uint8_t dr_guest[], dr_guest_end[];
extern const uint8_t bp_guest[], bp_guest_end[], bp_stubs[], bp_after[];

#define CR0_LONG	0x80000031ull	/* PG | NE | ET | PE (vtx_setup_mode) */
#define CR0_SET		(CR0_LONG | CR0_MP | CR0_WP | CR0_AM)
#define CR4_LONG	CR4_PAE
#define CR4_SET		(CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT | \
			 CR4_DE)

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

TEST(guest_cr0_cr4)
{
	struct vtx_vcpu *vcpu;
	struct kvm_sregs sregs;
	struct vtx_ucall uc;

	vcpu = guest_create(VTX_MODE_LONG64, cr_guest, cr_guest_end, cr_stubs);
	/* without VMX in the guest's CPUID, as vtx never offers it */
	vcpu_set_supported_cpuid(vcpu);

	ASSERT_EQ(CR0_LONG, report(_metadata, vcpu));
	ASSERT_EQ(CR4_LONG, report(_metadata, vcpu));
	EXPECT_EQ(CR0_SET, report(_metadata, vcpu));
	/* CD and NW as the guest wrote them (the processor keeps caching) */
	EXPECT_EQ(CR0_SET | CR0_CD_NW, report(_metadata, vcpu));
	vtx_get_sregs(vcpu, &sregs);
	EXPECT_EQ(CR0_SET | CR0_CD_NW, sregs.cr0);
	EXPECT_EQ(CR0_SET, report(_metadata, vcpu));
	EXPECT_EQ(CR0_SET | CR0_TS, report(_metadata, vcpu));
	EXPECT_EQ(CR0_SET, report(_metadata, vcpu));
	/* CR4 without VMXE, which the processor has while the guest runs */
	EXPECT_EQ(CR4_SET, report(_metadata, vcpu));

	RUN_EXC(vcpu, GP_VECTOR, 0, VTX_BLOB_GPA(cr_guest, cr_vmxe_insn), &uc);
	TH_LOG("CR4.VMXE: #GP");
	EXPECT_EQ(CR4_SET, report(_metadata, vcpu));
	RUN_EXC(vcpu, GP_VECTOR, 0, VTX_BLOB_GPA(cr_guest, cr_pae_insn), &uc);
	TH_LOG("CR4.PAE cleared in long mode: #GP");
	RUN_EXC(vcpu, GP_VECTOR, 0, VTX_BLOB_GPA(cr_guest, cr_pg_insn), &uc);
	TH_LOG("CR0.PG cleared in 64-bit code: #GP");
	RUN_EXC(vcpu, GP_VECTOR, 0, VTX_BLOB_GPA(cr_guest, cr_nw_insn), &uc);
	TH_LOG("CR0.NW without CD: #GP");
	RUN_EXC(vcpu, GP_VECTOR, 0, VTX_BLOB_GPA(cr_guest, cr_hi_insn), &uc);
	TH_LOG("CR0 bit 63: #GP");
	EXPECT_EQ(CR0_SET, report(_metadata, vcpu));
	EXPECT_EQ(CR4_SET, report(_metadata, vcpu));
	RUN_UCALL(vcpu, UCALL_DONE, &uc);

	vtx_get_sregs(vcpu, &sregs);
	EXPECT_EQ(CR0_SET, sregs.cr0);
	EXPECT_EQ(CR4_SET, sregs.cr4);
	EXPECT_EQ(0, sregs.cr4 & CR4_VMXE);
	EXPECT_EQ(5, guest_exc_count(vcpu, GP_VECTOR));
}

/*
 * MOV to CR0 ignores CR0's reserved bits 31:0 and keeps ET set (ET is
 * hard-wired to 1 since the P6); KVM 6.1 does the same (kvm_set_cr0():
 * "cr0 |= X86_CR0_ET; cr0 &= ~CR0_RESERVED_BITS").
 */
TEST(guest_cr0_reserved_bits)
{
	struct vtx_vcpu *vcpu;

	vcpu = vtx_create_guest(VTX_MODE_LONG64, cr0_rsvd_guest,
				cr0_rsvd_guest_end);
	vcpu_set_supported_cpuid(vcpu);
	EXPECT_EQ(CR0_LONG, report(_metadata, vcpu))
		TH_LOG("CR0 bit 6 written: should read as 0");
	EXPECT_EQ(CR0_LONG, report(_metadata, vcpu))
		TH_LOG("CR0.ET cleared: should read as 1");
	RUN_HLT(vcpu);
}

/*
 * CR4 bits of features the vCPU's CPUID does not offer are reserved, as
 * on KVM (its cr4_guest_rsvd_bits): KVM_SET_SREGS refuses them with
 * EINVAL and a guest's MOV to CR4 gets #GP, whatever the host has.  The
 * table offers everything supported but FSGSBASE, SMEP and XSAVE.
 */
TEST(cr4_follows_guest_cpuid)
{
	static const uint64_t bits[] = { CR4_FSGSBASE, CR4_SMEP, CR4_OSXSAVE };
	struct kvm_cpuid2 *c = guest_cpuid_copy();
	struct kvm_cpuid_entry2 *e;
	struct vtx_vcpu *vcpu;
	struct kvm_sregs sregs, bad;
	struct vtx_ucall uc;
	unsigned int i;

	vcpu = guest_create(VTX_MODE_LONG64, cr4_cpuid_guest,
			    cr4_cpuid_guest_end, cr4_cpuid_stubs);
	e = cpuid_find(c, 7, 0);
	ASSERT_TRUE(e != NULL);
	e->ebx &= ~((1u << 0) | (1u << 7));	/* FSGSBASE, SMEP */
	e = cpuid_find(c, 1, 0);
	ASSERT_TRUE(e != NULL);
	e->ecx &= ~(1u << 26);			/* XSAVE */
	vtx_ioctl(vcpu->fd, KVM_SET_CPUID2, c);
	free(c);

	vtx_get_sregs(vcpu, &sregs);
	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		bad = sregs;
		bad.cr4 |= bits[i];
		errno = 0;
		EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_SET_SREGS, &bad))
			TH_LOG("CR4 bit %#llx without its CPUID feature accepted",
			       (unsigned long long)bits[i]);
		EXPECT_EQ(EINVAL, errno);
	}
	vtx_set_sregs(vcpu, &sregs);

	RUN_EXC(vcpu, GP_VECTOR, 0,
		VTX_BLOB_GPA(cr4_cpuid_guest, cr4_fsgsbase_insn), &uc);
	EXPECT_EQ(sregs.cr4, report(_metadata, vcpu));
	EXPECT_EQ(1, guest_exc_count(vcpu, GP_VECTOR));
}

/*
 * MOV to CR3 and INVLPG do not exit with EPT: CR_LOOPS of them cost at
 * most a few exits, where CR_LOOPS CPUIDs cost CR_LOOPS.  With shadow
 * paging (ept=0, either driver) each of them must exit (with the MOV from
 * CR3 before the load: 4 a round), and no more: KVM ept=0 keeps the
 * address space's shadow tables across the load of the same CR3 and the
 * INVLPGs, 4,004; vtx's virtual TLB of milestone 1 refaulted the code
 * and stack pages after each, 7,008.
 */
TEST(cr3_invlpg_no_exits)
{
	int64_t e0, e1, e2;
	struct vtx_vcpu *vcpu;
	struct kvm_sregs sregs;
	struct vtx_ucall uc;

	vcpu = vtx_create_guest(VTX_MODE_LONG64, cr3_guest, cr3_guest_end);
	vcpu_set_supported_cpuid(vcpu);
	memcpy(vtx_gpa2hva(vcpu->vm, CR3_ALT_GPA),
	       vtx_gpa2hva(vcpu->vm, VTX_PML4_GPA), VTX_PAGE_SIZE);
	guest_enable_if(vcpu);

	EXPECT_EQ(VTX_PML4_GPA, report(_metadata, vcpu));
	e0 = vtx_vcpu_exits(vcpu);
	if (e0 < 0)
		SKIP(return, "%s gives no exit counts (%lld)", DRIVER,
		     (long long)e0);
	EXPECT_EQ(CR3_ALT_GPA, report(_metadata, vcpu));
	e1 = vtx_vcpu_exits(vcpu);
	vtx_get_sregs(vcpu, &sregs);
	EXPECT_EQ(CR3_ALT_GPA, sregs.cr3);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	e2 = vtx_vcpu_exits(vcpu);
	TH_LOG("%s (ept=%d): %d x (MOV to CR3, 2 INVLPG): %lld exits; %d x CPUID: %lld exits",
	       DRIVER, driver_uses_ept(), CR_LOOPS, (long long)(e1 - e0),
	       CR_LOOPS, (long long)(e2 - e1));
	/* shadow paging must see every CR3 load and INVLPG */
	if (driver_uses_ept()) {
		EXPECT_LT(e1 - e0, CR_LOOPS / 10);
	} else {
		EXPECT_GE(e1 - e0, 3 * CR_LOOPS);
		EXPECT_LT(e1 - e0, 4 * CR_LOOPS + CR_LOOPS / 10)
			TH_LOG("the shadow tables did not outlive a CR3 load or an INVLPG");
	}
	EXPECT_GE(e2 - e1, CR_LOOPS);
	RUN_HLT(vcpu);
}

static void set_dbg(struct kvm_debugregs *d, uint64_t d0, uint64_t dr6,
		    uint64_t dr7)
{
	memset(d, 0, sizeof(*d));
	d->db[0] = d0;
	d->db[1] = d0 + 0x1000;
	d->db[2] = d0 + 0x2000;
	d->db[3] = 0xffffffff80004000ull;
	d->dr6 = dr6;
	d->dr7 = dr7;
}

TEST(debugregs_roundtrip)
{
	struct vtx_vm *vm = vtx_vm_create_default();
	struct vtx_vcpu *vcpu = vtx_vcpu_add(vm, 0);
	struct kvm_debugregs d, g;

	VTX_REQUIRE_CAP(vm->dev_fd, KVM_CAP_DEBUGREGS);
	memset(&g, 0xee, sizeof(g));
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_GET_DEBUGREGS, &g));
	EXPECT_EQ(0, g.db[0]);
	EXPECT_EQ(0, g.db[3]);
	EXPECT_EQ(0xffff0ff0, g.dr6);
	EXPECT_EQ(0x400, g.dr7);
	EXPECT_EQ(0, g.flags);

	/* values with the fixed bits already right, no breakpoint enabled */
	set_dbg(&d, 0x1000, 0xffff0ff1, 0x700);
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_SET_DEBUGREGS, &d));
	memset(&g, 0xee, sizeof(g));
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_GET_DEBUGREGS, &g));
	EXPECT_EQ(0x1000, g.db[0]);
	EXPECT_EQ(0x2000, g.db[1]);
	EXPECT_EQ(0x3000, g.db[2]);
	EXPECT_EQ(0xffffffff80004000ull, g.db[3]);
	EXPECT_EQ(0xffff0ff1, g.dr6);
	EXPECT_EQ(0x700, g.dr7);
	EXPECT_EQ(0, g.flags);

	/* flags != 0, DR6/DR7 bits 63:32: EINVAL, nothing changes */
	set_dbg(&d, 0x5000, 0xffff0ff0, 0x400);
	d.flags = 1;
	EXPECT_EQ(-EINVAL, __vtx_ioctl(vcpu->fd, KVM_SET_DEBUGREGS, &d));
	set_dbg(&d, 0x5000, 0x1ffff0ff0ull, 0x400);
	EXPECT_EQ(-EINVAL, __vtx_ioctl(vcpu->fd, KVM_SET_DEBUGREGS, &d));
	set_dbg(&d, 0x5000, 0xffff0ff0, 0x100000400ull);
	EXPECT_EQ(-EINVAL, __vtx_ioctl(vcpu->fd, KVM_SET_DEBUGREGS, &d));
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_GET_DEBUGREGS, &g));
	EXPECT_EQ(0x1000, g.db[0]);
	EXPECT_EQ(0xffff0ff1, g.dr6);
	EXPECT_EQ(0x700, g.dr7);
}

/* The guest's MOV from DRn sees KVM_SET_DEBUGREGS; its MOV to DRn shows. */
TEST(guest_debugregs)
{
	struct kvm_debugregs d, g;
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	uint64_t *out;

	vcpu = vtx_create_guest(VTX_MODE_LONG64, dr_guest, dr_guest_end);
	vcpu_set_supported_cpuid(vcpu);
	out = vtx_gpa2hva(vcpu->vm, DR_OUT_GPA);
	set_dbg(&d, 0x7000, 0xffff0ff4, 0x700);
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_SET_DEBUGREGS, &d));
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	EXPECT_EQ(0x7000, out[0]);
	EXPECT_EQ(0x8000, out[1]);
	EXPECT_EQ(0x9000, out[2]);
	EXPECT_EQ(0xffffffff80004000ull, out[3]);
	EXPECT_EQ(0xffff0ff4, out[4]);
	EXPECT_EQ(0x700, out[5]);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(0, __vtx_ioctl(vcpu->fd, KVM_GET_DEBUGREGS, &g));
	EXPECT_EQ(0x11110000, g.db[0]);
	EXPECT_EQ(0x22220000, g.db[1]);
	EXPECT_EQ(0x33330000, g.db[2]);
	EXPECT_EQ(0x44440000, g.db[3]);
	EXPECT_EQ(0xffff0ff2, g.dr6);
	EXPECT_EQ(0x700, g.dr7);
	RUN_HLT(vcpu);
}

/*
 * Regression test named after the defect guest_dr0_3_not_loaded: vtx kept
 * the guest's DR0-DR3 only in its vCPU state, so an enabled breakpoint
 * watched whatever address the host's DR0-DR3 held (the fuzzers' guests
 * then wedged in their #DB handlers).  The guest's own data breakpoint
 * must fire on its own byte.
 */
TEST(guest_dr0_3_not_loaded)
{
	/*
	 * An address of this process's own: a DR0 some earlier guest left in
	 * the processor (kvm_intel does not clear it) must not match it.
	 */
	uint64_t addr = BP_VAR_GPA + 8 * (getpid() % BP_SLOTS);
	struct vtx_vcpu *vcpu;
	struct kvm_regs regs;
	struct vtx_ucall uc;

	vcpu = guest_create(VTX_MODE_LONG64, bp_guest, bp_guest_end, bp_stubs);
	vcpu_set_supported_cpuid(vcpu);
	vtx_get_regs(vcpu, &regs);
	regs.rbx = addr;
	vtx_set_regs(vcpu, &regs);
	RUN_EXC(vcpu, DB_VEC, 0, VTX_BLOB_GPA(bp_guest, bp_after), &uc);
	TH_LOG("data breakpoint on the guest's byte: #DB after the write");
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(DR6_B0, uc.regs.rbx & DR6_B0) TH_LOG("DR6 0x%llx",
		(unsigned long long)uc.regs.rbx);
	EXPECT_EQ(1, *(uint8_t *)vtx_gpa2hva(vcpu->vm, addr));
	EXPECT_EQ(1, guest_exc_count(vcpu, DB_VEC));
	RUN_HLT(vcpu);
}

VTX_TEST_MAIN
