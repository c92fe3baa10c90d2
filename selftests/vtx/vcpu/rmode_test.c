// SPDX-License-Identifier: GPL-2.0
/*
 * Real mode as the VMM sees it, whatever runs it: unrestricted guest, or
 * (shadow paging, ept=0; kvm_intel ept=0) virtual-8086 mode with the
 * guest's real-mode state kept aside.  INT n through the IVT, an event
 * injected with KVM_INTERRUPT, HLT, #DE and #UD reflected through the IVT,
 * CR0.PE 0 -> 1 -> 0 with LGDT and far jumps, RFLAGS.IOPL and VM never
 * shown for vm86's sake; and hostile states: SP wrapping at 0, POPFD of
 * VM, no KVM_SET_TSS_ADDR, the IVT outside guest memory, an instruction
 * across CS's limit.  States vm86 cannot hold, which ept=0 emulates: big
 * real mode, a CS base above 1 MiB.
 */
#include <string.h>

#include "vcpu_test.h"
#include "rmode.h"

extern const uint8_t rmode_guest[], rmode_guest_end[], rmode_soft_handler[],
	rmode_irq_handler[], rmode_de_handler[], rmode_ud_handler[],
	rmode_gp_handler[],
	rmode_int_entry[], rmode_int_ret[], rmode_fault_entry[],
	rmode_de_insn[], rmode_ud_insn[], rmode_irq_entry[],
	rmode_irq_after_hlt[], rmode_pe_entry[], rmode_pm[], rmode_rm[],
	rmode_flags_entry[], rmode_gdt[], rmode_big_entry[],
	rmode_big_gp_insn[], rmode_hi_entry[], rmode_hi_marker[],
	rmode_hi2_entry[];

#define GPA(sym)	VTX_BLOB_GPA(rmode_guest, sym)
/* KVM_SET_TSS_ADDR as QEMU gives it: outside the VM's memory */
#define RM_TSS_ADDR	0xfeffd000ul
/* an IVT no memslot holds */
#define RM_IVT_NOWHERE	0xfe000000ul
#define CR0_PE		1ull

static void ivt_set(struct vtx_vm *vm, unsigned int vec, uint64_t gpa)
{
	uint16_t *ivt = vtx_gpa2hva(vm, vec * RM_IVT_ENTRY);

	ivt[0] = gpa;		/* CS = 0: the offset is the GPA */
	ivt[1] = 0;
}

/*
 * A real-mode vCPU at @entry with the handlers in the IVT; @tss: with
 * KVM_SET_TSS_ADDR outside guest memory, as a VMM gives it (QEMU's).
 */
static struct vtx_vcpu *rm_create(const uint8_t *entry, bool tss)
{
	struct vtx_vm *vm = vtx_vm_create_default();
	struct vtx_vcpu *vcpu;

	if (tss)
		vtx_ioctl(vm->fd, KVM_SET_TSS_ADDR, RM_TSS_ADDR);
	vtx_load_code(vm, VTX_CODE_GPA, rmode_guest, rmode_guest_end);
	ivt_set(vm, RM_VEC_SOFT, GPA(rmode_soft_handler));
	ivt_set(vm, RM_VEC_IRQ, GPA(rmode_irq_handler));
	ivt_set(vm, RM_VEC_DE, GPA(rmode_de_handler));
	ivt_set(vm, RM_VEC_UD, GPA(rmode_ud_handler));
	vcpu = vtx_vcpu_add(vm, 0);
	vtx_setup_mode(vcpu, VTX_MODE_REAL, GPA(entry));
	return vcpu;
}

/* RFLAGS as KVM_GET_REGS has it: nothing of vm86 */
static void expect_real_flags(struct __test_metadata *_metadata,
			      struct vtx_vcpu *vcpu)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	vtx_get_regs(vcpu, &regs);
	EXPECT_EQ(0, regs.rflags & (RM_FLAGS_IOPL | RM_FLAGS_VM))
		TH_LOG("%s: rflags %#llx", DRIVER, regs.rflags);
	vtx_get_sregs(vcpu, &sregs);
	EXPECT_EQ(0, sregs.cr0 & CR0_PE);
	EXPECT_EQ(0, sregs.cs.dpl);
	EXPECT_EQ(0, sregs.ss.dpl);
	EXPECT_EQ(0, sregs.cs.selector);
	EXPECT_EQ(0, sregs.cs.base);
}

/* INT n, and the frame its handler found at SP = @sp */
static void run_int(struct __test_metadata *_metadata, struct vtx_vcpu *vcpu,
		    uint16_t sp)
{
	uint16_t want_sp = sp - 6, *frame;
	struct vtx_ucall uc;

	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(1, uc.regs.rbx);
	expect_real_flags(_metadata, vcpu);
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(RM_VEC_SOFT, uc.regs.rbx);
	EXPECT_EQ(GPA(rmode_int_ret), uc.regs.rcx);	/* IP after INT */
	EXPECT_EQ(0, uc.regs.rdx);			/* CS */
	EXPECT_EQ(0x2, uc.regs.rsi & 0xff02);		/* FLAGS, IF 0 */
	EXPECT_EQ(want_sp, uc.regs.rdi);
	frame = vtx_gpa2hva(vcpu->vm, want_sp);
	EXPECT_EQ(GPA(rmode_int_ret), frame[0]);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(2, uc.regs.rbx);
	EXPECT_EQ(sp, (uint16_t)uc.regs.rsp);		/* IRET popped it */
	RUN_HLT(vcpu);
	expect_real_flags(_metadata, vcpu);
}

TEST(int_n_through_ivt)
{
	struct vtx_vcpu *vcpu = rm_create(rmode_int_entry, true);

	run_int(_metadata, vcpu, VTX_STACK_TOP);
	vtx_vm_free(vcpu->vm);
}

/* SP = 0: the frame wraps to SS:FFFA-FFFF, SP is 0 again after IRET */
TEST(int_n_sp_wraps)
{
	struct vtx_vcpu *vcpu = rm_create(rmode_int_entry, true);
	struct kvm_regs regs;
	uint16_t *top;

	vtx_get_regs(vcpu, &regs);
	regs.rsp = 0;
	vtx_set_regs(vcpu, &regs);
	run_int(_metadata, vcpu, 0);
	top = vtx_gpa2hva(vcpu->vm, 0xfffa);
	EXPECT_EQ(0, top[1]);				/* CS */
	EXPECT_EQ(0x2, top[2] & 0xff02);		/* FLAGS */
	vtx_vm_free(vcpu->vm);
}

/*
 * Without KVM_SET_TSS_ADDR: kvm_intel without unrestricted guest warns and
 * takes guest-physical 0, the IVT here, for the TSS of vm86, whose bitmaps
 * then refuse INT n (an emulation error, "very old userspace"); vtx's vm86
 * reads no TSS and runs the guest all the same.  With unrestricted guest
 * neither needs one.
 */
TEST(no_tss_addr)
{
	struct vtx_vcpu *vcpu = rm_create(rmode_int_entry, false);

	if (IS_KVM) {
		vtx_run(vcpu);
		TH_LOG("kvm: INT n without KVM_SET_TSS_ADDR: %s",
		       describe_exit(vcpu));
		vtx_run(vcpu);
		TH_LOG("kvm: then %s", describe_exit(vcpu));
		vtx_vm_free(vcpu->vm);
		return;
	}
	run_int(_metadata, vcpu, VTX_STACK_TOP);
	vtx_vm_free(vcpu->vm);
}

TEST(de_ud_reflected)
{
	struct vtx_vcpu *vcpu = rm_create(rmode_fault_entry, true);
	struct vtx_ucall uc;

	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(RM_VEC_DE, uc.regs.rbx);
	EXPECT_EQ(GPA(rmode_de_insn), uc.regs.rcx);	/* a fault: at DIV */
	EXPECT_EQ(0, uc.regs.rdx);
	EXPECT_EQ(VTX_STACK_TOP - 6, uc.regs.rdi);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(1, uc.regs.rbx);
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(RM_VEC_UD, uc.regs.rbx);
	EXPECT_EQ(GPA(rmode_ud_insn), uc.regs.rcx);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(2, uc.regs.rbx);
	RUN_HLT(vcpu);
	expect_real_flags(_metadata, vcpu);
	vtx_vm_free(vcpu->vm);
}

/*
 * An instruction the processor refuses in vm86 (MOV from CR0) that
 * crosses CS's 64 KiB limit: #GP(0) at its first byte, through the IVT;
 * it is not emulated with the bytes past the limit.
 */
TEST(insn_past_cs_limit)
{
	static const uint8_t mov_cr0[] = { 0x0f, 0x20, 0xc3 };
	uint64_t at = ((uint64_t)RM_LIMIT_CS << 4) + RM_LIMIT_IP;
	struct vtx_vcpu *vcpu = rm_create(rmode_int_entry, true);
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct vtx_ucall uc;
	unsigned int i;

	ivt_set(vcpu->vm, RM_VEC_GP, GPA(rmode_gp_handler));
	for (i = 0; i < sizeof(mov_cr0); i++)	/* across a page boundary */
		*(uint8_t *)vtx_gpa2hva(vcpu->vm, at + i) = mov_cr0[i];
	vtx_get_sregs(vcpu, &sregs);
	sregs.cs.selector = RM_LIMIT_CS;
	sregs.cs.base = (uint64_t)RM_LIMIT_CS << 4;
	vtx_set_sregs(vcpu, &sregs);
	vtx_get_regs(vcpu, &regs);
	regs.rip = RM_LIMIT_IP;
	regs.rbx = 0;
	vtx_set_regs(vcpu, &regs);
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(RM_VEC_GP, uc.regs.rbx);
	EXPECT_EQ(RM_LIMIT_IP, uc.regs.rcx);	/* a fault: at the MOV */
	EXPECT_EQ(RM_LIMIT_CS, uc.regs.rdx);
	vtx_vm_free(vcpu->vm);
}

/* HLT with IF = 1, then KVM_INTERRUPT: delivered through the IVT */
TEST(injected_interrupt)
{
	struct vtx_vcpu *vcpu = rm_create(rmode_irq_entry, true);
	struct kvm_interrupt irq = { .irq = RM_VEC_IRQ };
	struct vtx_ucall uc;
	struct kvm_regs regs;

	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(1, uc.regs.rbx);
	EXPECT_EQ(RM_FLAGS_IF, uc.regs.rflags & RM_FLAGS_IF);
	RUN_HLT(vcpu);
	vtx_get_regs(vcpu, &regs);
	EXPECT_EQ(GPA(rmode_irq_after_hlt), regs.rip);
	EXPECT_EQ(RM_FLAGS_IF, regs.rflags & (RM_FLAGS_IF | RM_FLAGS_IOPL |
					      RM_FLAGS_VM));
	ASSERT_TRUE(vcpu->run->ready_for_interrupt_injection);
	vtx_ioctl(vcpu->fd, KVM_INTERRUPT, &irq);
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(RM_VEC_IRQ, uc.regs.rbx);
	EXPECT_EQ(GPA(rmode_irq_after_hlt), uc.regs.rcx);
	EXPECT_EQ(RM_FLAGS_IF, uc.regs.rsi & RM_FLAGS_IF);	/* pushed */
	EXPECT_EQ(0, uc.regs.rflags & RM_FLAGS_IF);	/* cleared */
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(2, uc.regs.rbx);
	EXPECT_EQ(RM_FLAGS_IF, uc.regs.rflags & RM_FLAGS_IF);
	vtx_vm_free(vcpu->vm);
}

TEST(pe_round_trip)
{
	struct vtx_vcpu *vcpu = rm_create(rmode_pe_entry, true);
	struct kvm_sregs sregs;
	struct vtx_ucall uc;

	/* protected mode, 16-bit code from the GDT the guest loaded */
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(CR0_PE, uc.regs.rbx & CR0_PE);
	vtx_get_sregs(vcpu, &sregs);
	EXPECT_EQ(CR0_PE, sregs.cr0 & CR0_PE);
	EXPECT_EQ(RM_SEL_CODE16, sregs.cs.selector);
	EXPECT_EQ(RM_SEL_DATA16, sregs.ds.selector);
	EXPECT_EQ(RM_SEL_DATA16, sregs.ss.selector);
	EXPECT_EQ(GPA(rmode_gdt), sregs.gdt.base);
	EXPECT_EQ(3 * 8 - 1, sregs.gdt.limit);
	EXPECT_EQ(0, uc.regs.rflags & RM_FLAGS_VM);

	/* real mode again, and INT n works there */
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(0, uc.regs.rbx & CR0_PE);
	vtx_get_sregs(vcpu, &sregs);
	EXPECT_EQ(0, sregs.cr0 & CR0_PE);
	EXPECT_EQ(0, sregs.cs.selector);
	EXPECT_EQ(0, sregs.cs.base);
	EXPECT_EQ(0, sregs.ds.selector);
	EXPECT_EQ(0, sregs.ds.base);
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(RM_VEC_SOFT, uc.regs.rbx);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(3, uc.regs.rbx);
	RUN_HLT(vcpu);
	expect_real_flags(_metadata, vcpu);
	vtx_vm_free(vcpu->vm);
}

/* POPFD of VM = 1: the guest stays in real mode, no VM bit anywhere */
TEST(guest_sets_vm)
{
	struct vtx_vcpu *vcpu = rm_create(rmode_flags_entry, true);
	struct vtx_ucall uc;

	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(0, uc.regs.rbx & RM_FLAGS_VM);
	EXPECT_EQ(0, uc.regs.rflags & RM_FLAGS_VM);
	TH_LOG("%s: PUSHFD after POPFD of %#x: %#llx, KVM_GET_REGS %#llx",
	       DRIVER, RM_FLAGS_HOSTILE, uc.regs.rbx, uc.regs.rflags);
	RUN_HLT(vcpu);
	vtx_vm_free(vcpu->vm);
}

/*
 * Big real mode (a 4 GiB FS limit from protected mode, kept with CR0.PE
 * 0): loads and a read-modify-write above 64 KiB through FS, the limit in
 * KVM_GET_SREGS; DS's 64 KiB limit still raises #GP through the IVT.
 * vm86 (ept=0) holds neither limit: the accesses are emulated.
 */
TEST(big_real_mode)
{
	struct vtx_vcpu *vcpu = rm_create(rmode_big_entry, true);
	uint32_t *big = vtx_gpa2hva(vcpu->vm, RM_BIG_GPA);
	struct kvm_sregs sregs;
	struct vtx_ucall uc;

	ivt_set(vcpu->vm, RM_VEC_GP, GPA(rmode_gp_handler));
	big[0] = RM_MARKER_HIGH;
	big[1] = RM_MARKER_LOW;
	big[2] = 0x5a;
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(RM_MARKER_HIGH, (uint32_t)uc.regs.rbx);
	EXPECT_EQ(0x5a, (uint32_t)uc.regs.rcx);
	EXPECT_EQ(RM_MARKER_LOW + 1, big[1]);
	vtx_get_sregs(vcpu, &sregs);
	EXPECT_EQ(0, sregs.cr0 & CR0_PE);
	EXPECT_EQ(0, sregs.fs.base);
	EXPECT_EQ(0xffffffffu, sregs.fs.limit);
	EXPECT_EQ(0xffffu, sregs.ds.limit);
	/* through DS: past its limit, #GP(0) at the MOV */
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(RM_VEC_GP, uc.regs.rbx);
	EXPECT_EQ(GPA(rmode_big_gp_insn), uc.regs.rcx);
	EXPECT_EQ(0, uc.regs.rdx);
	vtx_vm_free(vcpu->vm);
}

/* The results of the same arithmetic from the high copy and the low one */
static void expect_same_calc(struct __test_metadata *_metadata,
			     const struct kvm_regs *hi, const struct kvm_regs *lo)
{
	TH_LOG("%s: calc ebx %#llx edi %#llx esi %#llx", DRIVER,
	       lo->rbx, lo->rdi, lo->rsi);
	EXPECT_EQ((uint32_t)lo->rbx, (uint32_t)hi->rbx);
	EXPECT_EQ((uint32_t)lo->rdi, (uint32_t)hi->rdi);
	EXPECT_EQ((uint32_t)lo->rsi, (uint32_t)hi->rsi);
}

/*
 * CS with a base above 1 MiB in real mode (CR0.PE cleared in 16-bit code
 * at RM_HI_BASE), which vm86 (ept=0) cannot hold: the code runs from
 * there (the high copy's marker) until a far jump loads CS = 0.  The
 * same arithmetic (rmode_calc) from both copies gives the same results.
 */
TEST(cs_base_above_1mib)
{
	struct vtx_vcpu *vcpu = rm_create(rmode_hi_entry, true);
	size_t len = rmode_guest_end - rmode_guest;
	uint8_t *hi = vtx_gpa2hva(vcpu->vm, RM_HI_BASE + VTX_CODE_GPA);
	uint32_t marker = RM_MARKER_HIGH;
	struct kvm_sregs sregs;
	struct kvm_regs hi_calc;
	struct vtx_ucall uc;

	memcpy(hi, rmode_guest, len);
	memcpy(hi + (rmode_hi_marker - rmode_guest), &marker, sizeof(marker));
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(RM_MARKER_HIGH + 1, (uint32_t)uc.regs.rbx);
	EXPECT_EQ(RM_MARKER_HIGH & 0xffff, (uint16_t)uc.regs.rcx);
	EXPECT_EQ((uint16_t)((RM_MARKER_HIGH & 0xffff) << 4),
		  (uint16_t)uc.regs.rdx);
	EXPECT_EQ(VTX_STACK_TOP, (uint16_t)uc.regs.rsp);
	vtx_get_sregs(vcpu, &sregs);
	EXPECT_EQ(0, sregs.cr0 & CR0_PE);
	EXPECT_EQ(RM_HI_BASE, sregs.cs.base);
	EXPECT_EQ(0, sregs.ds.base);
	EXPECT_EQ(0, sregs.ss.base);
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	hi_calc = uc.regs;
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(RM_MARKER_LOW, (uint32_t)uc.regs.rbx);
	vtx_get_sregs(vcpu, &sregs);
	EXPECT_EQ(0, sregs.cs.base);
	EXPECT_EQ(0, sregs.cs.selector);
	/* the same arithmetic from the low copy (in vm86 with ept=0) */
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	expect_same_calc(_metadata, &hi_calc, &uc.regs);
	EXPECT_EQ((uint16_t)uc.regs.rsp, (uint16_t)hi_calc.rsp);
	RUN_HLT(vcpu);
	expect_real_flags(_metadata, vcpu);
	vtx_vm_free(vcpu->vm);
}

/*
 * SGDT, SIDT and SMSW, then the instructions of rmode_calc2 (BT*,
 * SHLD/SHRD, RCL/RCR, BSF/BSR, CMPXCHG, XADD, CMOVcc, INTO, DAS, AAM, AAD;
 * register and memory forms) from a CS base above 1 MiB, emulated with
 * ept=0, and from the low copy: the same results, and the word they
 * leave at DATA.
 */
TEST(cs_base_above_1mib_bitops)
{
	struct vtx_vcpu *vcpu = rm_create(rmode_hi2_entry, true);
	size_t len = rmode_guest_end - rmode_guest;
	uint8_t *hi = vtx_gpa2hva(vcpu->vm, RM_HI_BASE + VTX_CODE_GPA);
	uint16_t *data = vtx_gpa2hva(vcpu->vm, VTX_DATA_GPA);
	uint16_t *sdt = vtx_gpa2hva(vcpu->vm, RM_SDT_GPA);
	struct kvm_sregs sregs;
	struct kvm_regs hi_calc;
	struct vtx_ucall uc;
	uint16_t hi_data;

	memcpy(hi, rmode_guest, len);
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	hi_calc = uc.regs;
	hi_data = *data;
	/* SGDT, SIDT: limit, 24-bit base; SMSW m16 and r16: CR0's low 16 */
	vtx_get_sregs(vcpu, &sregs);
	EXPECT_EQ(sregs.gdt.limit, sdt[0]);
	EXPECT_EQ(sregs.gdt.base & 0xffffff, sdt[1] | (uint32_t)sdt[2] << 16);
	EXPECT_EQ(sregs.idt.limit, sdt[4]);
	EXPECT_EQ(sregs.idt.base & 0xffffff, sdt[5] | (uint32_t)sdt[6] << 16);
	EXPECT_EQ((uint16_t)sregs.cr0, sdt[8]);
	EXPECT_EQ((uint16_t)sregs.cr0, sdt[9]);
	TH_LOG("%s: calc2 ebx %#llx edi %#llx esi %#llx data %#x", DRIVER,
	       uc.regs.rbx, uc.regs.rdi, uc.regs.rsi, hi_data);
	EXPECT_EQ(hi_data, (uint16_t)uc.regs.rbx);
	*data = 0;
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	expect_same_calc(_metadata, &hi_calc, &uc.regs);
	EXPECT_EQ(hi_data, *data);
	RUN_HLT(vcpu);
	expect_real_flags(_metadata, vcpu);
	vtx_vm_free(vcpu->vm);
}

/* The IVT outside guest memory: KVM_RUN returns (how is the driver's) */
TEST(ivt_outside_memory)
{
	struct vtx_vcpu *vcpu = rm_create(rmode_int_entry, true);
	struct kvm_sregs sregs;
	struct vtx_ucall uc;
	long r;

	vtx_get_sregs(vcpu, &sregs);
	sregs.idt.base = RM_IVT_NOWHERE;
	vtx_set_sregs(vcpu, &sregs);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	r = __vtx_run(vcpu);
	TH_LOG("%s: INT n with the IVT at %#lx: KVM_RUN %ld, %s", DRIVER,
	       RM_IVT_NOWHERE, r, describe_exit(vcpu));
	EXPECT_TRUE(r < 0 ||
		    vcpu->run->exit_reason == KVM_EXIT_INTERNAL_ERROR ||
		    vcpu->run->exit_reason == KVM_EXIT_MMIO ||
		    vcpu->run->exit_reason == KVM_EXIT_SHUTDOWN ||
		    vcpu->run->exit_reason == KVM_EXIT_IO ||
		    vcpu->run->exit_reason == KVM_EXIT_HLT);
	vtx_vm_free(vcpu->vm);
}

VTX_TEST_MAIN
