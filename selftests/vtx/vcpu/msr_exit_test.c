// SPDX-License-Identifier: GPL-2.0
/*
 * MSR accesses userspace sees, and KVM's quirks (Linux 6.1's KVM ABI):
 *  - KVM_CAP_X86_USER_SPACE_MSR: RDMSR/WRMSR of an MSR the kernel does not
 *    know, or a value it refuses, exit as KVM_EXIT_X86_RDMSR/WRMSR with the
 *    reason; the next KVM_RUN completes them (EDX:EAX from msr.data, or
 *    #GP for msr.error).
 *  - KVM_X86_SET_MSR_FILTER: denied accesses exit with reason FILTER, also
 *    for MSRs the guest otherwise reads without an exit (FS_BASE, SFMASK:
 *    the MSR bitmap follows the filter); the ioctl's errnos.
 *  - KVM_CAP_DISABLE_QUIRKS2: FIX_HYPERCALL_INSN (VMMCALL rewritten to
 *    VMCALL, or #UD), MWAIT_NEVER_UD_FAULTS and MISC_ENABLE_NO_MWAIT
 *    (MONITOR/MWAIT as no-ops or #UD, IA32_MISC_ENABLE.MWAIT in CPUID).
 *  - KVM_HAS/GET/SET_DEVICE_ATTR on the vCPU fd: KVM_VCPU_TSC_OFFSET.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vcpu_test.h"
#include "msr_exit.h"

extern const uint8_t msr_exit_guest[], msr_exit_guest_end[], msr_exit_stubs[],
	msr_exit_wrmsr[], msr_exit_efer[];
extern const uint8_t msr_filter_guest[], msr_filter_guest_end[];
extern const uint8_t quirk_hc_guest[], quirk_hc_guest_end[], quirk_hc_stubs[],
	quirk_hc_insn[];
extern const uint8_t quirk_mwait_guest[], quirk_mwait_guest_end[],
	quirk_mwait_stubs[], quirk_monitor[], quirk_mwait[];

#define HI_LO(hi, lo)		(((uint64_t)(hi) << 32) | (uint32_t)(lo))
#define ALL_REASONS		(KVM_MSR_EXIT_REASON_INVAL | \
				 KVM_MSR_EXIT_REASON_UNKNOWN | \
				 KVM_MSR_EXIT_REASON_FILTER)
#define EFER_RESERVED1		(1ull << 1)
#define MISC_ENABLE_MWAIT	(1ull << 18)
#define CPUID_1_ECX_MWAIT	(1u << 3)
#define MAX_CPUID_ENTRIES	100

static long enable_cap(struct vtx_vm *vm, uint32_t cap, uint64_t arg)
{
	struct kvm_enable_cap c = { .cap = cap, .args = { arg } };

	return __vtx_ioctl(vm->fd, KVM_ENABLE_CAP, &c);
}

/* KVM_RUN; assert an MSR exit of @kind for MSR @nr with reason @why. */
#define RUN_MSR(vcpu, kind, nr, why) do {				\
	vtx_run(vcpu);							\
	ASSERT_EQ((uint32_t)(kind), (vcpu)->run->exit_reason)		\
		TH_LOG("expected MSR exit %u, got: %s", (unsigned int)(kind), \
		       describe_exit(vcpu));				\
	EXPECT_EQ((uint32_t)(nr), (vcpu)->run->msr.index);		\
	EXPECT_EQ((uint32_t)(why), (vcpu)->run->msr.reason);		\
} while (0)

static const uint64_t deny_bits;	/* a bitmap of one MSR: denied */
static const uint64_t allow_bits = 1;	/* ... allowed */

TEST(user_space_msr_exits)
{
	struct kvm_msr_filter filter = {
		.flags = KVM_MSR_FILTER_DEFAULT_ALLOW,
		.ranges = {
			{ .flags = KVM_MSR_FILTER_READ, .nmsrs = 1,
			  .base = MSR_FS_BASE, .bitmap = (uint8_t *)&deny_bits },
			{ .flags = KVM_MSR_FILTER_READ, .nmsrs = 1,
			  .base = MSR_SYSCALL_MASK,
			  .bitmap = (uint8_t *)&deny_bits },
		},
	};
	struct kvm_msr_filter allow = { .flags = KVM_MSR_FILTER_DEFAULT_ALLOW };
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	uint64_t *out, gs;

	vcpu = guest_create(VTX_MODE_LONG64, msr_exit_guest,
			    msr_exit_guest_end, msr_exit_stubs);
	vcpu_set_supported_cpuid(vcpu);
	out = vtx_gpa2hva(vcpu->vm, MX_OUT_GPA);
	ASSERT_NE(0, vtx_check_extension(vcpu->vm->fd,
					 KVM_CAP_X86_USER_SPACE_MSR));
	ASSERT_NE(0, vtx_check_extension(vcpu->vm->fd, KVM_CAP_X86_MSR_FILTER));
	ASSERT_EQ(0, enable_cap(vcpu->vm, KVM_CAP_X86_USER_SPACE_MSR,
				ALL_REASONS));

	/* an MSR nobody knows: userspace answers the read */
	RUN_MSR(vcpu, KVM_EXIT_X86_RDMSR, MSR_BOGUS,
		KVM_MSR_EXIT_REASON_UNKNOWN);
	vcpu->run->msr.data = 0x1122334455667788ull;
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	EXPECT_EQ(1, uc.regs.rbx);
	EXPECT_EQ(0x1122334455667788ull, out[0]);

	/* ... and refuses the write: #GP at the WRMSR */
	RUN_MSR(vcpu, KVM_EXIT_X86_WRMSR, MSR_BOGUS,
		KVM_MSR_EXIT_REASON_UNKNOWN);
	EXPECT_EQ(HI_LO(MX_WR_HI, MX_WR_LO), vcpu->run->msr.data);
	EXPECT_EQ(0, vcpu->run->msr.error);
	vcpu->run->msr.error = 1;
	RUN_EXC(vcpu, GP_VECTOR, 0, VTX_BLOB_GPA(msr_exit_guest,
						 msr_exit_wrmsr), &uc);

	/* a value the kernel refuses: reason INVAL, refused again */
	RUN_MSR(vcpu, KVM_EXIT_X86_WRMSR, MSR_EFER, KVM_MSR_EXIT_REASON_INVAL);
	EXPECT_TRUE(vcpu->run->msr.data & EFER_RESERVED1);
	vcpu->run->msr.error = 1;
	RUN_EXC(vcpu, GP_VECTOR, 0, VTX_BLOB_GPA(msr_exit_guest,
						 msr_exit_efer), &uc);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	EXPECT_EQ(2, uc.regs.rbx);
	EXPECT_EQ(2, guest_exc_count(vcpu, GP_VECTOR));
	EXPECT_EQ(0, vcpu_get_msr(vcpu, MSR_EFER) & EFER_RESERVED1);

	/*
	 * The filter denies reads of FS_BASE and SFMASK, which the guest
	 * reads without an exit otherwise; the FS_BASE write is allowed.
	 */
	ASSERT_EQ(0, __vtx_ioctl(vcpu->vm->fd, KVM_X86_SET_MSR_FILTER,
				 &filter));
	RUN_MSR(vcpu, KVM_EXIT_X86_RDMSR, MSR_FS_BASE,
		KVM_MSR_EXIT_REASON_FILTER);
	vcpu->run->msr.data = 0x1111;
	RUN_MSR(vcpu, KVM_EXIT_X86_RDMSR, MSR_SYSCALL_MASK,
		KVM_MSR_EXIT_REASON_FILTER);
	vcpu->run->msr.data = 0x2222;
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	EXPECT_EQ(3, uc.regs.rbx);
	EXPECT_EQ(0x1111, out[1]);
	EXPECT_EQ(0x2222, out[2]);
	gs = vcpu_get_msr(vcpu, MSR_GS_BASE);
	EXPECT_EQ(gs, out[3]);
	EXPECT_EQ(MX_FS_VAL, vcpu_get_msr(vcpu, MSR_FS_BASE));

	/* a filter that allows everything: no exits, the real values */
	ASSERT_EQ(0, __vtx_ioctl(vcpu->vm->fd, KVM_X86_SET_MSR_FILTER,
				 &allow));
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	EXPECT_EQ(4, uc.regs.rbx);
	EXPECT_EQ(MX_FS_VAL, out[1]);
	EXPECT_EQ(vcpu_get_msr(vcpu, MSR_SYSCALL_MASK), out[2]);
	RUN_HLT(vcpu);
}

/*
 * A vCPU created after the filter was set gets it too, also for the MSRs
 * the bitmap passes through (a default-deny filter: KERNEL_GS_BASE too).
 */
TEST(msr_filter_new_vcpu)
{
	struct kvm_msr_filter filter = {
		.flags = KVM_MSR_FILTER_DEFAULT_DENY,
		.ranges = {
			{ .flags = KVM_MSR_FILTER_READ, .nmsrs = 1,
			  .base = MSR_SYSCALL_MASK,
			  .bitmap = (uint8_t *)&deny_bits },
			{ .flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
			  .nmsrs = 1, .base = MSR_FS_BASE,
			  .bitmap = (uint8_t *)&allow_bits },
		},
	};
	struct vtx_vm *vm = vtx_vm_create_default();
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	uint64_t *out;

	ASSERT_EQ(0, enable_cap(vm, KVM_CAP_X86_USER_SPACE_MSR,
				KVM_MSR_EXIT_REASON_FILTER));
	ASSERT_EQ(0, __vtx_ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &filter));
	vcpu = vtx_vcpu_add(vm, 0);
	vtx_load_code(vm, VTX_CODE_GPA, msr_filter_guest, msr_filter_guest_end);
	vtx_setup_mode(vcpu, VTX_MODE_LONG64, VTX_CODE_GPA);
	vcpu_set_supported_cpuid(vcpu);
	out = vtx_gpa2hva(vm, MX_OUT_GPA);
	/* FS_BASE allowed by its range: no exit */
	RUN_MSR(vcpu, KVM_EXIT_X86_RDMSR, MSR_SYSCALL_MASK,
		KVM_MSR_EXIT_REASON_FILTER);
	vcpu->run->msr.data = 0x3333;
	RUN_MSR(vcpu, KVM_EXIT_X86_RDMSR, MSR_KERNEL_GS_BASE,
		KVM_MSR_EXIT_REASON_FILTER);
	vcpu->run->msr.data = 0x4444;
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	EXPECT_EQ(vcpu_get_msr(vcpu, MSR_FS_BASE), out[0]);
	EXPECT_EQ(0x3333, out[1]);
	EXPECT_EQ(0x4444, out[2]);
	vtx_vm_free(vm);
}

/* KVM_X86_SET_MSR_FILTER and KVM_CAP_X86_USER_SPACE_MSR refuse bad input. */
TEST(msr_filter_errors)
{
	struct vtx_vm *vm = vtx_vm_create_default();
	struct kvm_msr_filter f;
	uint8_t big[KVM_MSR_FILTER_MAX_BITMAP_SIZE + 8] = { 0 };
	const struct kvm_msr_filter_range one = {
		.flags = KVM_MSR_FILTER_READ, .nmsrs = 1, .base = MSR_BOGUS,
		.bitmap = big,
	};

	/* an unknown flag */
	memset(&f, 0, sizeof(f));
	f.flags = 2;
	EXPECT_EQ(-EINVAL, __vtx_ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f));
	/* default deny needs a range */
	f.flags = KVM_MSR_FILTER_DEFAULT_DENY;
	EXPECT_EQ(-EINVAL, __vtx_ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f));
	/* a range without an access type, or with an unknown one */
	f.ranges[3] = one;
	f.ranges[3].flags = 0;
	EXPECT_EQ(-EINVAL, __vtx_ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f));
	f.ranges[3].flags = KVM_MSR_FILTER_WRITE << 1;
	EXPECT_EQ(-EINVAL, __vtx_ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f));
	/* a bitmap over KVM_MSR_FILTER_MAX_BITMAP_SIZE bytes */
	f.ranges[3] = one;
	f.ranges[3].nmsrs = KVM_MSR_FILTER_MAX_BITMAP_SIZE * 8 + 1;
	EXPECT_EQ(-EINVAL, __vtx_ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f));
	f.ranges[3].nmsrs = 0xffffffff;
	EXPECT_EQ(-EINVAL, __vtx_ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f));
	/* a bitmap userspace cannot read */
	f.ranges[3] = one;
	f.ranges[3].bitmap = NULL;
	EXPECT_EQ(-EFAULT, __vtx_ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f));
	/* the largest bitmap in every range, and a range without MSRs */
	f.ranges[3].bitmap = big;
	f.ranges[3].nmsrs = KVM_MSR_FILTER_MAX_BITMAP_SIZE * 8;
	f.ranges[5] = f.ranges[3];
	f.ranges[6].flags = 0;	/* no MSRs: its flags are not looked at */
	EXPECT_EQ(0, __vtx_ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f));
	/* and back to none */
	memset(&f, 0, sizeof(f));
	EXPECT_EQ(0, __vtx_ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f));
	/* exit reasons beyond FILTER */
	EXPECT_EQ(-EINVAL, enable_cap(vm, KVM_CAP_X86_USER_SPACE_MSR,
				      KVM_MSR_EXIT_REASON_FILTER << 1));
	EXPECT_EQ(0, enable_cap(vm, KVM_CAP_X86_USER_SPACE_MSR, ALL_REASONS));
	vtx_vm_free(vm);
}

/* The bytes of guest code at blob label @sym. */
static const uint8_t *guest_bytes(struct vtx_vcpu *vcpu, const uint8_t *blob,
				  const uint8_t *sym)
{
	return vtx_gpa2hva(vcpu->vm, VTX_BLOB_GPA(blob, sym));
}

static const uint8_t vmcall[3] = { 0x0f, 0x01, 0xc1 };
static const uint8_t vmmcall[3] = { 0x0f, 0x01, 0xd9 };

/* KVM_X86_QUIRK_FIX_HYPERCALL_INSN on: VMMCALL made VMCALL, run. */
TEST(quirk_fix_hypercall_on)
{
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	int fd = vtx_open_device();

	ASSERT_TRUE(vtx_check_extension(fd, KVM_CAP_DISABLE_QUIRKS2) &
		    KVM_X86_QUIRK_FIX_HYPERCALL_INSN);
	close(fd);
	vcpu = guest_create(VTX_MODE_LONG64, quirk_hc_guest,
			    quirk_hc_guest_end, quirk_hc_stubs);
	vcpu_set_supported_cpuid(vcpu);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	EXPECT_EQ(0, *(uint64_t *)vtx_gpa2hva(vcpu->vm, MX_OUT_GPA))
		TH_LOG("KVM_HC_SCHED_YIELD returns 0");
	EXPECT_EQ(0, memcmp(vmcall, guest_bytes(vcpu, quirk_hc_guest,
						 quirk_hc_insn), 3))
		TH_LOG("VMMCALL rewritten to VMCALL");
	EXPECT_EQ(0, guest_exc_count(vcpu, UD_VECTOR));
}

/* ... off: #UD at the VMMCALL, left as it is. */
TEST(quirk_fix_hypercall_off)
{
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;

	vcpu = guest_create(VTX_MODE_LONG64, quirk_hc_guest,
			    quirk_hc_guest_end, quirk_hc_stubs);
	vcpu_set_supported_cpuid(vcpu);
	ASSERT_EQ(0, enable_cap(vcpu->vm, KVM_CAP_DISABLE_QUIRKS2,
				KVM_X86_QUIRK_FIX_HYPERCALL_INSN));
	RUN_EXC(vcpu, UD_VECTOR, 0, VTX_BLOB_GPA(quirk_hc_guest, quirk_hc_insn),
		&uc);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	EXPECT_EQ(0, memcmp(vmmcall, guest_bytes(vcpu, quirk_hc_guest,
						  quirk_hc_insn), 3));
	EXPECT_EQ(1, guest_exc_count(vcpu, UD_VECTOR));
}

/* Leaf 1 ECX of the vCPU's CPUID table (KVM_GET_CPUID2). */
static uint32_t cpuid_1_ecx(struct vtx_vcpu *vcpu)
{
	struct kvm_cpuid2 *cpuid = cpuid_alloc(MAX_CPUID_ENTRIES);
	struct kvm_cpuid_entry2 *e;
	uint32_t ecx;

	vtx_ioctl(vcpu->fd, KVM_GET_CPUID2, cpuid);
	e = cpuid_find(cpuid, 1, 0);
	VTX_ASSERT(e, "no CPUID leaf 1");
	ecx = e->ecx;
	free(cpuid);
	return ecx;
}

/*
 * MONITOR and MWAIT without MWAIT in the guest's CPUID: no-ops with
 * KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS on, #UD with it off, no-ops again
 * when IA32_MISC_ENABLE offers MWAIT (KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT
 * off), which CPUID then shows.
 */
TEST(quirk_monitor_mwait)
{
	const uint64_t both = KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS |
			      KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT;
	struct kvm_cpuid2 *cpuid = guest_cpuid_copy();
	struct kvm_cpuid_entry2 *e = cpuid_find(cpuid, 1, 0);
	uint64_t monitor, mwait, misc;
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	int fd = vtx_open_device();

	ASSERT_EQ(both, vtx_check_extension(fd, KVM_CAP_DISABLE_QUIRKS2) & both);
	close(fd);
	vcpu = guest_create(VTX_MODE_LONG64, quirk_mwait_guest,
			    quirk_mwait_guest_end, quirk_mwait_stubs);
	monitor = VTX_BLOB_GPA(quirk_mwait_guest, quirk_monitor);
	mwait = VTX_BLOB_GPA(quirk_mwait_guest, quirk_mwait);
	ASSERT_NE(NULL, e);
	e->ecx &= ~CPUID_1_ECX_MWAIT;
	vtx_ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid);
	free(cpuid);

	/* the quirks on: no-ops */
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	EXPECT_EQ(0, guest_exc_count(vcpu, UD_VECTOR));

	/* MWAIT_NEVER_UD_FAULTS off: #UD, as the guest's CPUID says */
	ASSERT_EQ(0, enable_cap(vcpu->vm, KVM_CAP_DISABLE_QUIRKS2,
				KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS));
	RUN_EXC(vcpu, UD_VECTOR, 0, monitor, &uc);
	RUN_EXC(vcpu, UD_VECTOR, 0, mwait, &uc);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	EXPECT_EQ(2, guest_exc_count(vcpu, UD_VECTOR));

	/* MISC_ENABLE_NO_MWAIT off too: IA32_MISC_ENABLE.MWAIT is CPUID's */
	ASSERT_EQ(0, enable_cap(vcpu->vm, KVM_CAP_DISABLE_QUIRKS2, both));
	misc = vcpu_get_msr(vcpu, MSR_IA32_MISC_ENABLE);
	vcpu_set_msr(vcpu, MSR_IA32_MISC_ENABLE, misc | MISC_ENABLE_MWAIT);
	EXPECT_TRUE(cpuid_1_ecx(vcpu) & CPUID_1_ECX_MWAIT);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	EXPECT_EQ(2, guest_exc_count(vcpu, UD_VECTOR));
	vcpu_set_msr(vcpu, MSR_IA32_MISC_ENABLE, misc & ~MISC_ENABLE_MWAIT);
	EXPECT_FALSE(cpuid_1_ecx(vcpu) & CPUID_1_ECX_MWAIT);
	RUN_EXC(vcpu, UD_VECTOR, 0, monitor, &uc);
	RUN_EXC(vcpu, UD_VECTOR, 0, mwait, &uc);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	EXPECT_EQ(4, guest_exc_count(vcpu, UD_VECTOR));

	/* the first version takes any bit, as KVM's */
	EXPECT_EQ(0, enable_cap(vcpu->vm, KVM_CAP_DISABLE_QUIRKS, ~0ull));
	EXPECT_EQ(-EINVAL, enable_cap(vcpu->vm, KVM_CAP_DISABLE_QUIRKS2,
				      1ull << 63));
}

static long tsc_attr(struct vtx_vcpu *vcpu, unsigned long req, uint32_t group,
		     uint64_t attr, uint64_t *val)
{
	struct kvm_device_attr a = {
		.group = group, .attr = attr, .addr = (uintptr_t)val,
	};

	return __vtx_ioctl(vcpu->fd, req, &a);
}

static inline uint64_t host_tsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* The vCPU's TSC offset as a device attribute (KVM_VCPU_TSC_CTRL). */
TEST(tsc_offset_attr)
{
	struct vtx_vm *vm = vtx_vm_create_default();
	struct vtx_vcpu *vcpu = vtx_vcpu_add(vm, 0);
	const uint64_t offset = -(180ull << 30);	/* minus ~3 minutes */
	uint64_t val = 0, before, after, tsc;

	EXPECT_EQ(0, tsc_attr(vcpu, KVM_HAS_DEVICE_ATTR, KVM_VCPU_TSC_CTRL,
			      KVM_VCPU_TSC_OFFSET, NULL));
	EXPECT_EQ(-ENXIO, tsc_attr(vcpu, KVM_HAS_DEVICE_ATTR,
				   KVM_VCPU_TSC_CTRL + 1, KVM_VCPU_TSC_OFFSET,
				   NULL));
	EXPECT_EQ(-ENXIO, tsc_attr(vcpu, KVM_GET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL,
				   KVM_VCPU_TSC_OFFSET + 1, &val));
	EXPECT_EQ(-EFAULT, tsc_attr(vcpu, KVM_GET_DEVICE_ATTR,
				    KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET,
				    NULL));
	val = offset;
	ASSERT_EQ(0, tsc_attr(vcpu, KVM_SET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL,
			      KVM_VCPU_TSC_OFFSET, &val));
	val = 0;
	ASSERT_EQ(0, tsc_attr(vcpu, KVM_GET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL,
			      KVM_VCPU_TSC_OFFSET, &val));
	EXPECT_EQ(offset, val);
	/* the guest's TSC is the host's plus the offset */
	before = host_tsc();
	tsc = vcpu_get_msr(vcpu, MSR_IA32_TSC);
	after = host_tsc();
	EXPECT_LE(before + offset, tsc);
	EXPECT_GE(after + offset, tsc);
	/* userspace's offset is not the guest's TSC_ADJUST */
	EXPECT_EQ(0, vcpu_get_msr(vcpu, MSR_IA32_TSC_ADJUST));
	vtx_vm_free(vm);
}

VTX_TEST_MAIN
