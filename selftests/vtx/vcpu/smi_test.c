// SPDX-License-Identifier: GPL-2.0
/*
 * System Management Mode beyond what Linux's smm_test covers (that one runs
 * in the kvm-selftests suite): SMIs from KVM_SMI and KVM_SET_VCPU_EVENTS,
 * SMIs blocked in SMM and delivered after RSM, the SMM state in
 * KVM_GET_VCPU_EVENTS and kvm_run->flags, SMRAM in memslot address space
 * 1 only (no RAM outside SMM, and address space 0's RAM not there in SMM),
 * RSM outside SMM is #UD, and both state-save maps: KVM's 64-bit layout for
 * a vCPU whose CPUID has long mode, the 32-bit one otherwise.
 */
#include <string.h>
#include <sys/ioctl.h>

#include "vcpu_test.h"
#include "smi.h"

extern const uint8_t smi_handler[], smi_handler_end[], smi_guest64[],
	smi_guest64_end[], smi_stubs64[], smi_rsm64[], smi_after_step1[],
	smi_guest32[], smi_guest32_end[], smi_handler_pm[],
	smi_handler_pm_end[];

/* Fields of the state-save map, at their offsets from SMBASE + 0x8000. */
#define MAP_BASE		0x7e00
#define MAP_REVISION		0x7efc
#define MAP64_SMBASE		0x7f00
#define MAP64_RIP		0x7f78
#define MAP64_RSI		(0x7ff8 - 6 * 8)
#define MAP32_SMBASE		0x7ef8
#define MAP32_CR0		0x7ffc
#define MAP32_EIP		0x7ff0
#define MAP32_ESI		(0x7fd0 + 6 * 4)
#define REVISION_64		0x00020064
#define REVISION_32		0x00020000
#define CPUID_LM_BIT		29	/* CPUID 80000001H EDX */

/* SMRAM in address space 1 with the handler, and SMBASE pointing there. */
static void smram_setup(struct vtx_vcpu *vcpu)
{
	uint8_t *smram = vtx_vm_add_mem(vcpu->vm, SMRAM_SLOT, SMRAM_GPA,
					SMRAM_SIZE);

	memcpy(smram + SMM_HANDLER_OFFSET, smi_handler,
	       smi_handler_end - smi_handler);
	vcpu_set_msr(vcpu, MSR_IA32_SMBASE, SMRAM_GPA);
}

static uint64_t map_read(struct vtx_vcpu *vcpu, unsigned int off, int size)
{
	const uint8_t *map = vtx_gpa2hva(vcpu->vm, SMRAM_GPA + SMM_MAP_OFFSET);
	uint64_t val = 0;

	memcpy(&val, map + off - MAP_BASE, size);
	return val;
}

static void get_events(struct vtx_vcpu *vcpu, struct kvm_vcpu_events *ev)
{
	vtx_ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, ev);
}

/* KVM_SET_VCPU_EVENTS with smi.pending, as a VMM (and smm_test) does */
static void set_smi_pending(struct vtx_vcpu *vcpu)
{
	struct kvm_vcpu_events ev;

	get_events(vcpu, &ev);
	ev.smi.pending = 1;
	ev.flags = KVM_VCPUEVENT_VALID_SMM;
	vtx_ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev);
}

#define SMM_FLAG(vcpu)	(!!((vcpu)->run->flags & KVM_RUN_X86_SMM))

/*
 * Run into the SMI handler and through it: its report from SMM, its read
 * of address space 0's RAM (MMIO in SMM), then RSM.  @more: queue another
 * SMI while in SMM (KVM_SMI), which must wait for RSM.
 */
#define RUN_HANDLER(vcpu, uc, more) do {				\
	struct kvm_vcpu_events ev_;					\
	struct kvm_sregs sregs_;					\
									\
	RUN_UCALL(vcpu, UCALL_STEP, uc);				\
	ASSERT_EQ(SMI_STEP_HANDLER, (uc)->regs.rbx);			\
	EXPECT_EQ(1, SMM_FLAG(vcpu)) TH_LOG("no KVM_RUN_X86_SMM");	\
	EXPECT_EQ(SMI_CLOBBER, (uint32_t)(uc)->regs.rsi);		\
	vtx_get_sregs(vcpu, &sregs_);					\
	EXPECT_EQ(SMRAM_GPA, sregs_.cs.base);				\
	EXPECT_EQ(0, sregs_.cr0 & VTX_CR0_PE);				\
	EXPECT_EQ(0, sregs_.efer);					\
	get_events(vcpu, &ev_);						\
	EXPECT_TRUE(ev_.flags & KVM_VCPUEVENT_VALID_SMM);		\
	EXPECT_EQ(1, ev_.smi.smm);					\
	EXPECT_EQ(0, ev_.smi.pending);					\
	EXPECT_EQ(1, ev_.nmi.masked) TH_LOG("NMIs open in SMM");	\
	if (more) {							\
		vtx_ioctl((vcpu)->fd, KVM_SMI, 0);			\
		get_events(vcpu, &ev_);					\
		EXPECT_EQ(1, ev_.smi.pending);				\
	}								\
	vtx_run(vcpu);							\
	ASSERT_EQ(KVM_EXIT_MMIO, (vcpu)->run->exit_reason)		\
		TH_LOG("RAM of address space 0 in SMM: %s",		\
		       describe_exit(vcpu));				\
	EXPECT_EQ(VTX_CODE_GPA, (vcpu)->run->mmio.phys_addr);		\
	EXPECT_EQ(1, SMM_FLAG(vcpu));					\
} while (0)

static struct vtx_vcpu *smi_vcpu64(void)
{
	struct vtx_vm *vm = vtx_vm_create_default();
	struct kvm_cpuid2 *cpuid = guest_cpuid_copy();
	struct vtx_vcpu *vcpu;

	vtx_load_code(vm, VTX_CODE_GPA, smi_guest64, smi_guest64_end);
	vcpu = long_vcpu_add(vm, 0, smi_guest64, smi_stubs64, cpuid, false);
	free(cpuid);
	smram_setup(vcpu);
	return vcpu;
}

TEST(multi_address_space)
{
	struct vtx_vm *vm = vtx_vm_create_default();

	EXPECT_EQ(2, vtx_check_extension(vm->dev_fd,
					  KVM_CAP_MULTI_ADDRESS_SPACE));
	/* address space 2 does not exist */
	EXPECT_EQ(-EINVAL, __vtx_set_memslot(vm->fd, (2 << 16) | 1, 0,
					     SMRAM_GPA, SMRAM_SIZE,
					     (uintptr_t)vtx_gpa2hva(vm, 0)));
	/* the same slot id and range in address space 1: no overlap */
	EXPECT_EQ(0, __vtx_set_memslot(vm->fd, 1 << 16, 0, 0, VTX_RAM_SIZE,
				       (uintptr_t)vtx_gpa2hva(vm, 0)));
	EXPECT_EQ(0, __vtx_set_memslot(vm->fd, 1 << 16, 0, 0, 0, 0));
	vtx_vm_free(vm);
}

TEST(smi_long_mode)
{
	struct vtx_vcpu *vcpu = smi_vcpu64();
	struct kvm_vcpu_events ev;
	struct vtx_ucall uc;

	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(1, uc.regs.rbx);
	EXPECT_EQ(0, SMM_FLAG(vcpu));
	get_events(vcpu, &ev);
	EXPECT_EQ(0, ev.smi.smm);

	/* KVM_SMI, a second one while in SMM: two passes of the handler */
	vtx_ioctl(vcpu->fd, KVM_SMI, 0);
	RUN_HANDLER(vcpu, &uc, true);
	EXPECT_EQ(REVISION_64, map_read(vcpu, MAP_REVISION, 4));
	EXPECT_EQ(SMRAM_GPA, map_read(vcpu, MAP64_SMBASE, 4));
	EXPECT_EQ(SMI_MAGIC64, map_read(vcpu, MAP64_RSI, 8));
	EXPECT_EQ(VTX_BLOB_GPA(smi_guest64, smi_after_step1),
		  map_read(vcpu, MAP64_RIP, 8));
	RUN_HANDLER(vcpu, &uc, false);

	/* back where the SMI came, with every register */
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(2, uc.regs.rbx);
	EXPECT_EQ(SMI_MAGIC64, uc.regs.rsi);
	EXPECT_EQ(0, SMM_FLAG(vcpu));
	get_events(vcpu, &ev);
	EXPECT_EQ(0, ev.smi.smm);
	EXPECT_EQ(0, ev.smi.pending);
	/*
	 * Not checked: nmi.masked after RSM.  Bochs 2.7 keeps the NMI
	 * blocking of the SMI handler's entries and reports it at later
	 * exits; kvm_intel then reports it as masked or not depending on
	 * what ran on that CPU before (vtx reports what RSM restored).
	 */

	/* SMRAM is no RAM outside SMM: the read is MMIO */
	vtx_run(vcpu);
	ASSERT_EQ(KVM_EXIT_MMIO, vcpu->run->exit_reason)
		TH_LOG("SMRAM outside SMM: %s", describe_exit(vcpu));
	EXPECT_EQ(SMRAM_GPA, vcpu->run->mmio.phys_addr);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(3, uc.regs.rbx);

	/* RSM outside SMM */
	RUN_EXC(vcpu, UD_VECTOR, 0, VTX_BLOB_GPA(smi_guest64, smi_rsm64), &uc);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(4, uc.regs.rbx);
	RUN_UCALL(vcpu, UCALL_DONE, &uc);
	vtx_vm_free(vcpu->vm);
}

/* smi.pending of KVM_SET_VCPU_EVENTS, and SMM's state across a set */
TEST(smi_events)
{
	struct vtx_vcpu *vcpu = smi_vcpu64();
	struct kvm_vcpu_events ev;
	struct vtx_ucall uc;

	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(1, uc.regs.rbx);
	set_smi_pending(vcpu);
	get_events(vcpu, &ev);
	EXPECT_EQ(1, ev.smi.pending);
	EXPECT_EQ(0, ev.smi.smm);

	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(SMI_STEP_HANDLER, uc.regs.rbx);
	EXPECT_EQ(1, SMM_FLAG(vcpu));
	/* in SMM, the same events set again keep it there */
	get_events(vcpu, &ev);
	ASSERT_EQ(1, ev.smi.smm);
	ev.flags = KVM_VCPUEVENT_VALID_SMM | KVM_VCPUEVENT_VALID_NMI_PENDING;
	ev.smi.pending = 1;
	vtx_ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev);
	get_events(vcpu, &ev);
	EXPECT_EQ(1, ev.smi.smm);
	EXPECT_EQ(1, ev.smi.pending);
	vtx_run(vcpu);
	ASSERT_EQ(KVM_EXIT_MMIO, vcpu->run->exit_reason)
		TH_LOG("%s", describe_exit(vcpu));
	EXPECT_EQ(VTX_CODE_GPA, vcpu->run->mmio.phys_addr);
	/* RSM, then the pending SMI: the handler again */
	RUN_HANDLER(vcpu, &uc, false);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(2, uc.regs.rbx);
	EXPECT_EQ(SMI_MAGIC64, uc.regs.rsi);
	EXPECT_EQ(0, SMM_FLAG(vcpu));
	vtx_vm_free(vcpu->vm);
}

/* A vCPU without long mode in its CPUID: KVM's 32-bit state-save map */
TEST(smi_32bit_map)
{
	struct vtx_vm *vm = vtx_vm_create_default();
	struct kvm_cpuid2 *cpuid = guest_cpuid_copy();
	struct kvm_cpuid_entry2 *e = cpuid_find(cpuid, 0x80000001, 0);
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;

	if (e)
		e->edx &= ~(1u << CPUID_LM_BIT);
	vtx_load_code(vm, VTX_CODE_GPA, smi_guest32, smi_guest32_end);
	vcpu = vtx_vcpu_add(vm, 0);
	vtx_setup_mode(vcpu, VTX_MODE_PROT32, VTX_CODE_GPA);
	vtx_ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid);
	free(cpuid);
	smram_setup(vcpu);

	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(1, uc.regs.rbx);
	vtx_ioctl(vcpu->fd, KVM_SMI, 0);
	RUN_HANDLER(vcpu, &uc, false);
	EXPECT_EQ(REVISION_32, map_read(vcpu, MAP_REVISION, 4));
	EXPECT_EQ(SMRAM_GPA, map_read(vcpu, MAP32_SMBASE, 4));
	EXPECT_EQ(SMI_MAGIC32, map_read(vcpu, MAP32_ESI, 4));
	EXPECT_TRUE(map_read(vcpu, MAP32_CR0, 4) & VTX_CR0_PE);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(2, uc.regs.rbx);
	EXPECT_EQ(SMI_MAGIC32, (uint32_t)uc.regs.rsi);
	RUN_UCALL(vcpu, UCALL_DONE, &uc);
	vtx_vm_free(vcpu->vm);
}

/*
 * An SMI handler that sets CR0.PE while CS is still SMM's data segment
 * and far-jumps to 32-bit code (SeaBIOS's does; with ept=0 vtx entered
 * protected mode with that CS, which VM entry refuses without
 * unrestricted guest), then RSM back to long mode.
 */
TEST(smi_handler_to_pmode)
{
	struct vtx_vcpu *vcpu = smi_vcpu64();
	uint8_t *smram = vtx_gpa2hva(vcpu->vm, SMRAM_GPA);
	struct kvm_sregs sregs;
	struct vtx_ucall uc;

	/* address space 1's SMRAM: smi_vcpu64() put the other handler there */
	ASSERT_NE(NULL, smram);
	memcpy(smram + SMM_HANDLER_OFFSET, smi_handler_pm,
	       smi_handler_pm_end - smi_handler_pm);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(1, uc.regs.rbx);
	vtx_ioctl(vcpu->fd, KVM_SMI, 0);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(SMI_STEP_HANDLER_PM, uc.regs.rbx)
		TH_LOG("%s", describe_exit(vcpu));
	EXPECT_EQ(1, SMM_FLAG(vcpu));
	EXPECT_EQ(VTX_CR0_PE, uc.regs.rsi & VTX_CR0_PE);
	vtx_get_sregs(vcpu, &sregs);
	EXPECT_EQ(SMI_PM_SEL_CODE32, sregs.cs.selector);
	EXPECT_EQ(1, sregs.cs.db);
	/* RSM: back after step 1 in long mode, with every register */
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(2, uc.regs.rbx);
	EXPECT_EQ(SMI_MAGIC64, uc.regs.rsi);
	EXPECT_EQ(0, SMM_FLAG(vcpu));
	vtx_vm_free(vcpu->vm);
}

VTX_TEST_MAIN
