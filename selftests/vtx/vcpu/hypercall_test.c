// SPDX-License-Identifier: GPL-2.0
/*
 * VMCALL with KVM's convention (RAX = number, RBX, RCX, RDX, RSI = args,
 * RAX = result): a number nobody implements returns -KVM_ENOSYS and moves
 * RIP past the VMCALL; with KVM_CAP_EXIT_HYPERCALL enabled for a number,
 * the call exits as KVM_EXIT_HYPERCALL and the ret userspace writes lands
 * in RAX.
 *
 * KVM 6.1 offers only KVM_HC_MAP_GPA_RANGE (12) for the exit, and
 * validates its arguments (page-aligned GPA, non-zero page count, no
 * wrap) before exiting; vtx accepts numbers 0 to 30 and forwards the
 * number and arguments as they are (Documentation/vtx/api.rst, 4.12 and
 * 7.2).  Tests that need another number skip on KVM.
 */
#include <errno.h>
#include <string.h>
#include <linux/kvm_para.h>

#include "vcpu_test.h"
#include "hypercall.h"

extern const uint8_t hc64_guest[], hc64_guest_end[], hc64_vmcall[];
extern const uint8_t hc32_guest[], hc32_guest_end[], hc32_vmcall[];

#define HC_UNKNOWN	0x1000		/* no hypercall has this number */
#define HC_ANY		3		/* a number only vtx forwards */
#define ENOSYS64	((uint64_t)-KVM_ENOSYS)

struct hc {
	uint64_t nr, a[4];
};

static struct vtx_vcpu *hc64(const struct hc *list, int n)
{
	struct vtx_vcpu *vcpu;
	uint32_t *count;

	vcpu = vtx_create_guest(VTX_MODE_LONG64, hc64_guest, hc64_guest_end);
	vcpu_set_supported_cpuid(vcpu);
	count = vtx_gpa2hva(vcpu->vm, SCRATCH_GPA);
	*count = n;
	memcpy(vtx_gpa2hva(vcpu->vm, HC_LIST_GPA), list, n * sizeof(*list));
	return vcpu;
}

static long enable_exits(struct vtx_vm *vm, uint64_t mask, uint32_t flags)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_EXIT_HYPERCALL,
		.flags = flags,
		.args = { mask },
	};

	return __vtx_ioctl(vm->fd, KVM_ENABLE_CAP, &cap);
}

/* -KVM_ENOSYS, RIP past the VMCALL; 12 too while its exit is not enabled */
TEST(unknown_hypercall_64)
{
	const struct hc list[] = {
		{ HC_UNKNOWN, { 1, 2, 3, 4 } },
		{ KVM_HC_MAP_GPA_RANGE, { 0x100000, 4, 0, 0 } },
	};
	struct vtx_vcpu *vcpu = hc64(list, 2);
	struct vtx_ucall uc;
	int i;

	for (i = 0; i < 2; i++) {
		RUN_UCALL(vcpu, UCALL_REPORT, &uc);
		EXPECT_EQ(ENOSYS64, uc.regs.rbx) TH_LOG("hypercall %llu",
			(unsigned long long)list[i].nr);
		/* arguments untouched */
		EXPECT_EQ(list[i].a[1], uc.regs.rcx);
		EXPECT_EQ(list[i].a[2], uc.regs.rdx);
	}
	RUN_UCALL(vcpu, UCALL_DONE, &uc);
	RUN_HLT(vcpu);
}

TEST(unknown_hypercall_32)
{
	struct vtx_vcpu *vcpu;
	struct kvm_regs regs;
	struct vtx_ucall uc;

	vcpu = vtx_create_guest(VTX_MODE_PROT32, hc32_guest, hc32_guest_end);
	vcpu_set_supported_cpuid(vcpu);
	vtx_get_regs(vcpu, &regs);
	regs.rax = 0xdead000000000000ull | HC_UNKNOWN;
	vtx_set_regs(vcpu, &regs);
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	/* 32-bit code: the result is truncated to 32 bits */
	EXPECT_EQ((uint32_t)-KVM_ENOSYS, (uint32_t)uc.regs.rbx);
	RUN_HLT(vcpu);
}

TEST(enable_cap_exit_hypercall)
{
	struct vtx_vm *vm = vtx_vm_create_default();
	long mask;

	mask = __vtx_ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_EXIT_HYPERCALL);
	TH_LOG("%s: KVM_CAP_EXIT_HYPERCALL = %#lx", DRIVER, mask);
	if (mask <= 0)
		SKIP(return, "no KVM_CAP_EXIT_HYPERCALL");
	EXPECT_NE(0, mask & (1 << KVM_HC_MAP_GPA_RANGE));
	EXPECT_EQ(0, enable_exits(vm, 1 << KVM_HC_MAP_GPA_RANGE, 0));
	EXPECT_EQ(0, enable_exits(vm, mask, 0));
	EXPECT_EQ(0, enable_exits(vm, 0, 0));
	EXPECT_EQ(-EINVAL, enable_exits(vm, 1ull << 31, 0));
	EXPECT_EQ(-EINVAL, enable_exits(vm, 1ull << 63, 0));
	EXPECT_EQ(-EINVAL, enable_exits(vm, 1 << KVM_HC_MAP_GPA_RANGE, 1));
}

static void expect_hypercall_exit(struct __test_metadata *_metadata,
				  struct vtx_vcpu *vcpu, const uint8_t *blob,
				  const uint8_t *vmcall, uint64_t nr,
				  const uint64_t *args, int nargs,
				  bool longmode)
{
	struct kvm_run *run = vcpu->run;
	struct kvm_regs regs;
	int i;

	vtx_run(vcpu);
	ASSERT_EQ(KVM_EXIT_HYPERCALL, run->exit_reason)
		TH_LOG("%s", describe_exit(vcpu));
	EXPECT_EQ(nr, run->hypercall.nr);
	for (i = 0; i < nargs; i++) {
		uint64_t want = args[i], got = run->hypercall.args[i];

		EXPECT_EQ(want, got) TH_LOG("hypercall.args[%d]: want %#llx, got %#llx",
					    i, (unsigned long long)want,
					    (unsigned long long)got);
	}
	EXPECT_EQ(longmode, run->hypercall.longmode);
	/* RIP moves past the VMCALL only when the call completes */
	vtx_get_regs(vcpu, &regs);
	EXPECT_EQ(VTX_BLOB_GPA(blob, vmcall), regs.rip);
}

/* KVM_HC_MAP_GPA_RANGE with valid arguments: an exit on both drivers */
TEST(hypercall_exit_64)
{
	const struct hc list[] = {
		{ KVM_HC_MAP_GPA_RANGE, { 0x100000, 4, 0x10, 0x5555 } },
		{ KVM_HC_MAP_GPA_RANGE, { 0x200000, 1, 0, 0 } },
	};
	struct vtx_vcpu *vcpu = hc64(list, 2);
	struct vtx_ucall uc;
	long mask;

	mask = __vtx_ioctl(vcpu->vm->fd, KVM_CHECK_EXTENSION,
			   KVM_CAP_EXIT_HYPERCALL);
	if (mask <= 0 || !(mask & (1 << KVM_HC_MAP_GPA_RANGE)))
		SKIP(return, "no exit for KVM_HC_MAP_GPA_RANGE (%#lx)", mask);
	ASSERT_EQ(0, enable_exits(vcpu->vm, 1 << KVM_HC_MAP_GPA_RANGE, 0));

	expect_hypercall_exit(_metadata, vcpu, hc64_guest, hc64_vmcall,
			      KVM_HC_MAP_GPA_RANGE, list[0].a, 3, true);
	vcpu->run->hypercall.ret = 0x123456789aull;
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(0x123456789aull, uc.regs.rbx);

	expect_hypercall_exit(_metadata, vcpu, hc64_guest, hc64_vmcall,
			      KVM_HC_MAP_GPA_RANGE, list[1].a, 3, true);
	vcpu->run->hypercall.ret = 0;
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(0, uc.regs.rbx);
	RUN_UCALL(vcpu, UCALL_DONE, &uc);
}

/*
 * From 32-bit code: the number and the arguments are the low halves of
 * the registers (KVM 6.1's kvm_emulate_hypercall() masks nr and a0-a3
 * with 0xffffffff outside 64-bit mode), longmode is 0, and RAX gets the
 * low 32 bits of ret.  The registers' upper halves hold garbage on
 * purpose.
 */
TEST(hypercall_exit_32)
{
	const uint64_t args[3] = { 0x100000, 4, 0x10 };
	struct vtx_vcpu *vcpu;
	struct kvm_regs regs;
	struct vtx_ucall uc;
	long mask;

	vcpu = vtx_create_guest(VTX_MODE_PROT32, hc32_guest, hc32_guest_end);
	vcpu_set_supported_cpuid(vcpu);
	mask = __vtx_ioctl(vcpu->vm->fd, KVM_CHECK_EXTENSION,
			   KVM_CAP_EXIT_HYPERCALL);
	if (mask <= 0 || !(mask & (1 << KVM_HC_MAP_GPA_RANGE)))
		SKIP(return, "no exit for KVM_HC_MAP_GPA_RANGE (%#lx)", mask);
	ASSERT_EQ(0, enable_exits(vcpu->vm, 1 << KVM_HC_MAP_GPA_RANGE, 0));
	vtx_get_regs(vcpu, &regs);
	regs.rax = 0xdead000100000000ull | KVM_HC_MAP_GPA_RANGE;
	regs.rbx = 0xdead000200000000ull | args[0];
	regs.rcx = 0xdead000300000000ull | args[1];
	regs.rdx = 0xdead000400000000ull | args[2];
	regs.rsi = 0xdead000500000000ull;
	vtx_set_regs(vcpu, &regs);

	expect_hypercall_exit(_metadata, vcpu, hc32_guest, hc32_vmcall,
			      KVM_HC_MAP_GPA_RANGE, args, 3, false);
	vcpu->run->hypercall.ret = 0xabcdef0012345678ull;
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(0x12345678u, (uint32_t)uc.regs.rbx);
	RUN_HLT(vcpu);
}

/*
 * vtx forwards any enabled number 0-30 with RBX, RCX, RDX and RSI as
 * they are, args[4..5] = 0 and ret preset to 0; numbers not enabled still
 * get -KVM_ENOSYS.  KVM offers no such number: skipped there.
 */
TEST(hypercall_exit_any_number)
{
	const struct hc list[] = {
		{ HC_ANY, { 0x1111, 0x2222, 0x3333, 0x4444 } },
		{ HC_ANY + 1, { 1, 2, 3, 4 } },
		/* arguments KVM would refuse for MAP_GPA_RANGE: forwarded */
		{ HC_ANY, { 0x123, 0, 0, 0 } },
	};
	struct vtx_vcpu *vcpu = hc64(list, 3);
	struct kvm_run *run = vcpu->run;
	struct vtx_ucall uc;
	long mask;

	mask = __vtx_ioctl(vcpu->vm->fd, KVM_CHECK_EXTENSION,
			   KVM_CAP_EXIT_HYPERCALL);
	if (mask <= 0 || !(mask & (1 << HC_ANY)))
		SKIP(return, "%s: KVM_CAP_EXIT_HYPERCALL %#lx lacks bit %d",
		     DRIVER, mask, HC_ANY);
	ASSERT_EQ(0, enable_exits(vcpu->vm, 1 << HC_ANY, 0));

	memset(&run->hypercall, 0xee, sizeof(run->hypercall));
	expect_hypercall_exit(_metadata, vcpu, hc64_guest, hc64_vmcall,
			      HC_ANY, list[0].a, 4, true);
	EXPECT_EQ(0, run->hypercall.args[4]);
	EXPECT_EQ(0, run->hypercall.args[5]);
	EXPECT_EQ(0, run->hypercall.ret);
	run->hypercall.ret = -5ull;
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(-5ull, uc.regs.rbx);

	/* HC_ANY + 1 is not enabled */
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(ENOSYS64, uc.regs.rbx);

	expect_hypercall_exit(_metadata, vcpu, hc64_guest, hc64_vmcall,
			      HC_ANY, list[2].a, 4, true);
	run->hypercall.ret = 7;
	RUN_UCALL(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(7, uc.regs.rbx);
	RUN_UCALL(vcpu, UCALL_DONE, &uc);
}

VTX_TEST_MAIN
