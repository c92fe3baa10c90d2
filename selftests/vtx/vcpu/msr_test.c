// SPDX-License-Identifier: GPL-2.0
/*
 * MSRs: the index lists, KVM_GET_MSRS/KVM_SET_MSRS on the system and vCPU
 * fds (they return how many entries they did and stop at the first bad
 * one), the segment-base and SYSENTER MSRs the guest reads and writes
 * directly, the syscall MSRs the guest changes while the host keeps making
 * system calls with its own, and #GP for MSR accesses the guest may not
 * make.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "vcpu_test.h"
#include "msr.h"

extern const uint8_t msr_base_guest[], msr_base_guest_end[];
extern const uint8_t msr_syscall_guest[], msr_syscall_guest_end[];
extern const uint8_t msr_gp_guest[], msr_gp_guest_end[], msr_gp_stubs[],
	msr_gp_rdmsr[], msr_gp_wrmsr[], msr_gp_efer[], msr_gp_pat[],
	msr_gp_lstar[];

#define HI_LO(hi, lo)	(((uint64_t)(hi) << 32) | (uint32_t)(lo))

static struct kvm_msr_list *msr_list(int fd, unsigned long req,
				     struct __test_metadata *_metadata)
{
	struct kvm_msr_list hdr = { .nmsrs = 0 }, *list;

	/* no room: E2BIG, and nmsrs says how many there are */
	EXPECT_EQ(-E2BIG, __vtx_ioctl(fd, req, &hdr));
	EXPECT_GT(hdr.nmsrs, 0);
	list = calloc(1, sizeof(*list) + hdr.nmsrs * sizeof(uint32_t));
	VTX_ASSERT(list, "out of memory");
	list->nmsrs = hdr.nmsrs - 1;
	EXPECT_EQ(-E2BIG, __vtx_ioctl(fd, req, list));
	EXPECT_EQ(hdr.nmsrs, list->nmsrs);
	list->nmsrs = hdr.nmsrs;
	EXPECT_EQ(0, __vtx_ioctl(fd, req, list));
	EXPECT_EQ(hdr.nmsrs, list->nmsrs);
	return list;
}

static bool list_has(struct kvm_msr_list *list, uint32_t msr)
{
	uint32_t i;

	for (i = 0; i < list->nmsrs; i++)
		if (list->indices[i] == msr)
			return true;
	return false;
}

TEST(msr_index_list)
{
	static const uint32_t must[] = {
		MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP, MSR_STAR,
		MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK, MSR_KERNEL_GS_BASE,
		MSR_IA32_TSC,
	};
	int fd = vtx_open_device();
	struct kvm_msr_list *list = msr_list(fd, KVM_GET_MSR_INDEX_LIST,
					     _metadata);
	unsigned int i;

	TH_LOG("%s: %u MSRs to save", DRIVER, list->nmsrs);
	for (i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		EXPECT_TRUE(list_has(list, must[i]))
			TH_LOG("MSR %#x not in the list", must[i]);
	free(list);
	close(fd);
}

TEST(msr_feature_index_list)
{
	int fd = vtx_open_device();
	struct kvm_msr_list *list;
	uint32_t idx[2] = { MSR_IA32_UCODE_REV, MSR_BOGUS };
	uint64_t data[2] = { 0, 0 };

	VTX_REQUIRE_CAP(fd, KVM_CAP_GET_MSR_FEATURES);
	list = msr_list(fd, KVM_GET_MSR_FEATURE_INDEX_LIST, _metadata);
	TH_LOG("%s: %u feature MSRs", DRIVER, list->nmsrs);
	EXPECT_TRUE(list_has(list, MSR_IA32_UCODE_REV));
	/* the system fd reads feature MSRs; it stops at a non-feature one */
	EXPECT_EQ(1, msrs_io(fd, KVM_GET_MSRS, 1, idx, data));
	EXPECT_EQ(1, msrs_io(fd, KVM_GET_MSRS, 2, idx, data));
	idx[0] = MSR_BOGUS;
	EXPECT_EQ(0, msrs_io(fd, KVM_GET_MSRS, 1, idx, data));
	free(list);
	close(fd);
}

/* The vCPU's KVM_GET/SET_MSRS: the count done, stopping at a bad MSR. */
TEST(vcpu_msrs_count)
{
	struct vtx_vm *vm = vtx_vm_create_default();
	struct vtx_vcpu *vcpu = vtx_vcpu_add(vm, 0);
	uint32_t idx[3] = { MSR_IA32_SYSENTER_CS, MSR_BOGUS, MSR_IA32_SYSENTER_ESP };
	uint64_t data[3] = { 0x10, 0x1234, 0x7000 };

	EXPECT_EQ(0, msrs_io(vcpu->fd, KVM_SET_MSRS, 0, idx, data));
	EXPECT_EQ(1, msrs_io(vcpu->fd, KVM_SET_MSRS, 3, idx, data));
	/* SYSENTER_ESP was not reached */
	EXPECT_EQ(0, vcpu_get_msr(vcpu, MSR_IA32_SYSENTER_ESP));
	EXPECT_EQ(0x10, vcpu_get_msr(vcpu, MSR_IA32_SYSENTER_CS));

	memset(data, 0xee, sizeof(data));
	EXPECT_EQ(1, msrs_io(vcpu->fd, KVM_GET_MSRS, 3, idx, data));
	EXPECT_EQ(0x10, data[0]);

	/* all good: all done */
	idx[1] = MSR_IA32_SYSENTER_EIP;
	data[0] = 0x18;
	data[1] = 0x401000;
	data[2] = 0x8000;
	EXPECT_EQ(3, msrs_io(vcpu->fd, KVM_SET_MSRS, 3, idx, data));
	memset(data, 0, sizeof(data));
	EXPECT_EQ(3, msrs_io(vcpu->fd, KVM_GET_MSRS, 3, idx, data));
	EXPECT_EQ(0x18, data[0]);
	EXPECT_EQ(0x401000, data[1]);
	EXPECT_EQ(0x8000, data[2]);

	/* the bad MSR first: nothing done */
	idx[0] = MSR_BOGUS;
	EXPECT_EQ(0, msrs_io(vcpu->fd, KVM_GET_MSRS, 3, idx, data));
	EXPECT_EQ(0, msrs_io(vcpu->fd, KVM_SET_MSRS, 3, idx, data));
}

/*
 * Userspace writes of non-canonical addresses.  FS_BASE (like GS_BASE,
 * KERNEL_GS_BASE, LSTAR, CSTAR) is refused.  SYSENTER_ESP/EIP are
 * accepted and made canonical: KVM 6.1's __kvm_set_msr() does so for
 * guest and host writes alike, because AMD ignores their upper half and a
 * non-canonical value would make VM entry fail on Intel.
 */
TEST(host_noncanonical_msrs)
{
	struct vtx_vm *vm = vtx_vm_create_default();
	struct vtx_vcpu *vcpu = vtx_vcpu_add(vm, 0);
	uint32_t idx[2] = { MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP };
	uint64_t data[2] = { 0x0000800000001000ull, 0x1234800000002000ull };

	idx[0] = MSR_FS_BASE;
	EXPECT_EQ(0, msrs_io(vcpu->fd, KVM_SET_MSRS, 1, idx, data));
	EXPECT_EQ(0, vcpu_get_msr(vcpu, MSR_FS_BASE));

	idx[0] = MSR_IA32_SYSENTER_ESP;
	EXPECT_EQ(2, msrs_io(vcpu->fd, KVM_SET_MSRS, 2, idx, data))
		TH_LOG("non-canonical SYSENTER_ESP/EIP from userspace (KVM: accepted, made canonical)");
	EXPECT_EQ(0xffff800000001000ull, vcpu_get_msr(vcpu, MSR_IA32_SYSENTER_ESP));
	EXPECT_EQ(0xffff800000002000ull, vcpu_get_msr(vcpu, MSR_IA32_SYSENTER_EIP));
}

static void put_markers(struct vtx_vm *vm)
{
	static const uint64_t bases[] = {
		FS_VAL, GS_VAL, KGS_VAL, FS_VAL2, GS_VAL2, KGS_VAL2,
	};
	unsigned int i;

	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++)
		*(uint64_t *)vtx_gpa2hva(vm, bases[i]) = MARKER(bases[i]);
}

/*
 * FS_BASE, GS_BASE, KERNEL_GS_BASE and SYSENTER_*: the guest writes and
 * reads them (without exits on both drivers), uses the bases and SWAPGS;
 * KVM_GET_MSRS sees what the guest did, and what KVM_SET_MSRS writes is
 * what the guest then uses.
 */
TEST(guest_segment_base_msrs)
{
	uint32_t idx[6] = { MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE,
			    MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP,
			    MSR_IA32_SYSENTER_EIP };
	uint64_t esp = HI_LO(SYSENTER_ESP_HI, SYSENTER_ESP_LO);
	uint64_t eip = HI_LO(SYSENTER_EIP_HI, SYSENTER_EIP_LO);
	struct vtx_vcpu *vcpu;
	struct kvm_sregs sregs;
	struct vtx_ucall uc;
	uint64_t *out, data[6];

	vcpu = guest_create(VTX_MODE_LONG64, msr_base_guest,
			    msr_base_guest_end, NULL);
	vcpu_set_supported_cpuid(vcpu);
	put_markers(vcpu->vm);
	out = vtx_gpa2hva(vcpu->vm, MSR_OUT_GPA);

	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(1, uc.regs.rbx);
	EXPECT_EQ(FS_VAL, out[0]);
	EXPECT_EQ(GS_VAL, out[1]);
	EXPECT_EQ(KGS_VAL, out[2]);
	EXPECT_EQ(SYSENTER_CS_VAL, out[3]);
	EXPECT_EQ(esp, out[4]);
	EXPECT_EQ(eip, out[5]);
	ASSERT_EQ(6, msrs_io(vcpu->fd, KVM_GET_MSRS, 6, idx, data));
	EXPECT_EQ(FS_VAL, data[0]);
	EXPECT_EQ(GS_VAL, data[1]);
	EXPECT_EQ(KGS_VAL, data[2]);
	EXPECT_EQ(SYSENTER_CS_VAL, data[3]);
	EXPECT_EQ(esp, data[4]);
	EXPECT_EQ(eip, data[5]);
	vtx_get_sregs(vcpu, &sregs);
	EXPECT_EQ(FS_VAL, sregs.fs.base);
	EXPECT_EQ(GS_VAL, sregs.gs.base);

	/* loads through FS and GS, then SWAPGS */
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(2, uc.regs.rbx);
	EXPECT_EQ(MARKER(FS_VAL), out[0]);
	EXPECT_EQ(MARKER(GS_VAL), out[1]);
	EXPECT_EQ(MARKER(KGS_VAL), out[2]);
	EXPECT_EQ(KGS_VAL, out[3]);	/* GS_BASE after SWAPGS */
	EXPECT_EQ(GS_VAL, out[4]);	/* KERNEL_GS_BASE after SWAPGS */
	ASSERT_EQ(3, msrs_io(vcpu->fd, KVM_GET_MSRS, 3, idx, data));
	EXPECT_EQ(FS_VAL, data[0]);
	EXPECT_EQ(KGS_VAL, data[1]);
	EXPECT_EQ(GS_VAL, data[2]);

	/* userspace writes them; the guest uses the new values */
	data[0] = FS_VAL2;
	data[1] = GS_VAL2;
	data[2] = KGS_VAL2;
	data[3] = 0x23;
	data[4] = 0x7ff0;
	data[5] = 0xffffffff81000000ull;
	ASSERT_EQ(6, msrs_io(vcpu->fd, KVM_SET_MSRS, 6, idx, data));
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	ASSERT_EQ(3, uc.regs.rbx);
	EXPECT_EQ(MARKER(FS_VAL2), out[0]);
	EXPECT_EQ(MARKER(GS_VAL2), out[1]);
	EXPECT_EQ(MARKER(KGS_VAL2), out[2]);
	EXPECT_EQ(FS_VAL2, out[3]);
	EXPECT_EQ(KGS_VAL2, out[4]);
	EXPECT_EQ(GS_VAL2, out[5]);
	EXPECT_EQ(0x23, out[6]);
	EXPECT_EQ(0x7ff0, out[7]);
	EXPECT_EQ(0xffffffff81000000ull, out[8]);
	RUN_HLT(vcpu);
}

/*
 * System calls of this thread: if the guest's LSTAR, STAR or SFMASK were
 * still in the processor, the first one would jump into the guest's
 * address and the test VM would die.  Different kinds, on both CPUs.
 */
static int host_syscalls(int round)
{
	struct timespec ts = { .tv_nsec = 1000 * 1000 };
	char buf[8];
	int fd, cpus = online_cpus(), i, r = 0;

	for (i = 0; i < (cpus > 1 ? 2 : 1); i++) {
		if (cpus > 1 && pin_to_cpu((round + i) % 2))
			r = -1;
		if (syscall(SYS_getpid) != getpid())
			r = -1;
		fd = open("/dev/null", O_RDWR);
		if (fd < 0 || write(fd, "x", 1) != 1 || read(fd, buf, 1) != 0)
			r = -1;
		if (fd >= 0)
			close(fd);
		nanosleep(&ts, NULL);
		sched_yield();
	}
	return r;
}

TEST(guest_syscall_msrs_host_survives)
{
	uint32_t idx[4] = { MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK };
	uint64_t want[4] = {
		HI_LO(STAR_HI, STAR_LO), HI_LO(LSTAR_HI, LSTAR_LO),
		HI_LO(CSTAR_HI, CSTAR_LO), SFMASK_VAL,
	};
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;
	uint64_t *out, data[4];
	int round, i;

	vcpu = guest_create(VTX_MODE_LONG64, msr_syscall_guest,
			    msr_syscall_guest_end, NULL);
	vcpu_set_supported_cpuid(vcpu);
	out = vtx_gpa2hva(vcpu->vm, MSR_OUT_GPA);
	for (round = 1; round <= 6; round++) {
		RUN_UCALL(vcpu, UCALL_STEP, &uc);
		ASSERT_EQ(round, uc.regs.rbx);
		/* the guest reads its own values, every time */
		for (i = 0; i < 4; i++) {
			uint32_t msr = idx[i];

			EXPECT_EQ(want[i], out[i])
				TH_LOG("round %d, MSR %#x", round, msr);
		}
		/* the host keeps working with its own */
		ASSERT_EQ(0, host_syscalls(round));
		memset(data, 0, sizeof(data));
		ASSERT_EQ(4, msrs_io(vcpu->fd, KVM_GET_MSRS, 4, idx, data));
		for (i = 0; i < 4; i++) {
			uint32_t msr = idx[i];

			EXPECT_EQ(want[i], data[i])
				TH_LOG("KVM_GET_MSRS, round %d, MSR %#x", round,
				       msr);
		}
	}
	/* userspace changes LSTAR: the guest reads the new value */
	vcpu_set_msr(vcpu, MSR_LSTAR, 0xffff800011112000ull);
	RUN_UCALL(vcpu, UCALL_STEP, &uc);
	EXPECT_EQ(0xffff800011112000ull, out[1]);
	ASSERT_EQ(0, host_syscalls(0));
}

/* #GP(0) through the guest's IDT, RIP at the WRMSR/RDMSR. */
TEST(guest_msr_gp)
{
	struct vtx_vcpu *vcpu;
	struct vtx_ucall uc;

	vcpu = guest_create(VTX_MODE_LONG64, msr_gp_guest, msr_gp_guest_end,
			    msr_gp_stubs);
	vcpu_set_supported_cpuid(vcpu);
	RUN_EXC(vcpu, GP_VECTOR, 0, VTX_BLOB_GPA(msr_gp_guest, msr_gp_rdmsr),
		&uc);
	TH_LOG("rdmsr of MSR %#x: #GP", MSR_BOGUS);
	RUN_EXC(vcpu, GP_VECTOR, 0, VTX_BLOB_GPA(msr_gp_guest, msr_gp_wrmsr),
		&uc);
	TH_LOG("wrmsr of MSR %#x: #GP", MSR_BOGUS);
	RUN_EXC(vcpu, GP_VECTOR, 0, VTX_BLOB_GPA(msr_gp_guest, msr_gp_efer),
		&uc);
	TH_LOG("EFER with a reserved bit: #GP");
	RUN_EXC(vcpu, GP_VECTOR, 0, VTX_BLOB_GPA(msr_gp_guest, msr_gp_pat),
		&uc);
	TH_LOG("PAT with memory type 2: #GP");
	RUN_EXC(vcpu, GP_VECTOR, 0, VTX_BLOB_GPA(msr_gp_guest, msr_gp_lstar),
		&uc);
	TH_LOG("non-canonical LSTAR: #GP");
	RUN_UCALL(vcpu, UCALL_DONE, &uc);
	EXPECT_EQ(5, guest_exc_count(vcpu, GP_VECTOR));
	/* the refused writes changed nothing */
	EXPECT_EQ(0x0007040600070406ull, vcpu_get_msr(vcpu, MSR_IA32_CR_PAT));
	EXPECT_EQ(0, vcpu_get_msr(vcpu, MSR_LSTAR));
}

VTX_TEST_MAIN
