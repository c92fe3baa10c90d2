// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl API: versions and capabilities, the kvm_run mapping, the reset
 * state of a new vCPU, error codes of the system/VM/vCPU ioctls, memslot
 * rules, and a VM entry that the hardware refuses.
 *
 * Error codes are the ones upstream KVM (Linux 6.1) returns; where that
 * differs from what one might guess, the test says so.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vtx_test.h"
#include "kvm_rmode.h"

extern const uint8_t api_guest_a[], api_guest_a_end[];
extern const uint8_t api_guest_b[], api_guest_b_end[];

/* An ioctl number of KVM's type that no KVM fd implements */
#define KVM_BOGUS_IOCTL		_IO(KVMIO, 0xfe)
/* A capability number KVM does not know */
#define KVM_CAP_BOGUS		1000000

TEST(api_version)
{
	int fd = vtx_open_device();

	ASSERT_EQ(KVM_API_VERSION, __vtx_ioctl(fd, KVM_GET_API_VERSION, 0));
	ASSERT_EQ(12, KVM_API_VERSION);
	/* the argument must be 0 */
	EXPECT_EQ(-EINVAL, __vtx_ioctl(fd, KVM_GET_API_VERSION, 1));
	close(fd);
}

TEST(check_extension)
{
	int fd = vtx_open_device();

	EXPECT_GT(__vtx_ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY), 0);
	EXPECT_EQ(0, __vtx_ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_BOGUS));
	EXPECT_EQ(0, __vtx_ioctl(fd, KVM_CHECK_EXTENSION, -1L));
	close(fd);
}

/* KVM_CHECK_EXTENSION on a VM fd answers the same questions. */
TEST(check_extension_vm)
{
	struct vtx_vm *vm;
	int fd = vtx_open_device();

	VTX_REQUIRE_CAP(fd, KVM_CAP_CHECK_EXTENSION_VM);
	vm = vtx_vm_create_on(fd);
	EXPECT_GT(__vtx_ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY), 0);
	EXPECT_EQ(0, __vtx_ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_BOGUS));
	vtx_vm_free(vm);
}

TEST(vcpu_mmap_size)
{
	struct kvm_run *run;
	struct vtx_vm *vm;
	long size;
	int vcpu_fd;
	uint8_t *p;

	vm = vtx_vm_create();
	size = __vtx_ioctl(vm->dev_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	/* struct kvm_run in page 0, the port I/O data from page 1 on */
	ASSERT_GE(size, 2 * VTX_PAGE_SIZE);
	EXPECT_EQ(0, size % VTX_PAGE_SIZE);
	EXPECT_EQ(-EINVAL, __vtx_ioctl(vm->dev_fd, KVM_GET_VCPU_MMAP_SIZE, 1));

	vcpu_fd = __vtx_create_vcpu(vm->fd, 0);
	ASSERT_GE(vcpu_fd, 0);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	run = (struct kvm_run *)p;
	/* a vCPU that never ran: no request to exit, nothing pending */
	EXPECT_EQ(0, run->immediate_exit);
	EXPECT_EQ(0, run->request_interrupt_window);
	/* every page of the mapping is there and writable */
	p[VTX_PAGE_SIZE] = 0x5a;
	p[size - 1] = 0xa5;
	EXPECT_EQ(0x5a, p[VTX_PAGE_SIZE]);
	EXPECT_EQ(0xa5, p[size - 1]);
	munmap(p, size);
	close(vcpu_fd);
	vtx_vm_free(vm);
}

static void expect_segment(struct __test_metadata *_metadata,
			   const char *name, const struct kvm_segment *seg,
			   uint64_t base, uint32_t limit, uint16_t selector,
			   uint8_t type, uint8_t s)
{
	EXPECT_EQ(base, seg->base) TH_LOG("%s.base", name);
	EXPECT_EQ(limit, seg->limit) TH_LOG("%s.limit", name);
	EXPECT_EQ(selector, seg->selector) TH_LOG("%s.selector", name);
	EXPECT_EQ(type, seg->type) TH_LOG("%s.type", name);
	EXPECT_EQ(s, seg->s) TH_LOG("%s.s", name);
	EXPECT_EQ(1, seg->present) TH_LOG("%s.present", name);
	EXPECT_EQ(0, seg->dpl) TH_LOG("%s.dpl", name);
	EXPECT_EQ(0, seg->db) TH_LOG("%s.db", name);
	EXPECT_EQ(0, seg->l) TH_LOG("%s.l", name);
	EXPECT_EQ(0, seg->g) TH_LOG("%s.g", name);
	EXPECT_EQ(0, seg->avl) TH_LOG("%s.avl", name);
	EXPECT_EQ(0, seg->unusable) TH_LOG("%s.unusable", name);
}

/*
 * A new vCPU is in the x86 RESET state, as KVM reports it.  RDX holds the
 * CPUID(1).EAX signature; with no KVM_SET_CPUID2 done KVM uses 0x600.
 */
TEST(vcpu_reset_state)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct vtx_vcpu *vcpu;
	struct vtx_vm *vm;
	unsigned int i;

	vm = vtx_vm_create();
	vcpu = vtx_vcpu_add(vm, 0);
	vtx_get_regs(vcpu, &regs);
	vtx_get_sregs(vcpu, &sregs);

	EXPECT_EQ(0xfff0, regs.rip);
	EXPECT_EQ(0x2, regs.rflags);
	EXPECT_EQ(0x600, regs.rdx);
	EXPECT_EQ(0, regs.rax);
	EXPECT_EQ(0, regs.rbx);
	EXPECT_EQ(0, regs.rcx);
	EXPECT_EQ(0, regs.rsi);
	EXPECT_EQ(0, regs.rdi);
	EXPECT_EQ(0, regs.rsp);
	EXPECT_EQ(0, regs.rbp);
	EXPECT_EQ(0, regs.r8 | regs.r9 | regs.r10 | regs.r11 |
		     regs.r12 | regs.r13 | regs.r14 | regs.r15);

	expect_segment(_metadata, "cs", &sregs.cs, 0xffff0000, 0xffff,
		       0xf000, 0xb, 1);
	expect_segment(_metadata, "ds", &sregs.ds, 0, 0xffff, 0, 0x3, 1);
	expect_segment(_metadata, "es", &sregs.es, 0, 0xffff, 0, 0x3, 1);
	expect_segment(_metadata, "fs", &sregs.fs, 0, 0xffff, 0, 0x3, 1);
	expect_segment(_metadata, "gs", &sregs.gs, 0, 0xffff, 0, 0x3, 1);
	expect_segment(_metadata, "ss", &sregs.ss, 0, 0xffff, 0, 0x3, 1);
	/* busy 32-bit TSS and LDT, system segments */
	expect_segment(_metadata, "tr", &sregs.tr, 0, 0xffff, 0, 0xb, 0);
	expect_segment(_metadata, "ldt", &sregs.ldt, 0, 0xffff, 0, 0x2, 0);
	EXPECT_EQ(0, sregs.gdt.base);
	EXPECT_EQ(0xffff, sregs.gdt.limit);
	EXPECT_EQ(0, sregs.idt.base);
	EXPECT_EQ(0xffff, sregs.idt.limit);

	EXPECT_EQ(0x60000010, sregs.cr0);	/* CD | NW | ET */
	EXPECT_EQ(0, sregs.cr2);
	EXPECT_EQ(0, sregs.cr3);
	EXPECT_EQ(0, sregs.cr4);
	EXPECT_EQ(0, sregs.cr8);
	EXPECT_EQ(0, sregs.efer);
	/* xAPIC at 0xfee00000, enabled, BSP: also without an in-kernel APIC */
	EXPECT_EQ(0xfee00900, sregs.apic_base);
	for (i = 0; i < sizeof(sregs.interrupt_bitmap) / 8; i++)
		EXPECT_EQ(0, sregs.interrupt_bitmap[i]);

	vtx_vcpu_free(vcpu);
	vtx_vm_free(vm);
}

/*
 * An ioctl no fd implements.  KVM 6.1 answers EINVAL on the system fd
 * (kvm_arch_dev_ioctl's default), ENOTTY on a VM fd (kvm_arch_vm_ioctl's
 * default) and EINVAL on a vCPU fd (kvm_arch_vcpu_ioctl's default), also
 * for an ioctl of another type than KVMIO.
 */
TEST(unknown_ioctl)
{
	struct vtx_vcpu *vcpu;
	struct vtx_vm *vm;

	vm = vtx_vm_create();
	vcpu = vtx_vcpu_add(vm, 0);
	EXPECT_EQ(-EINVAL, __vtx_ioctl(vm->dev_fd, KVM_BOGUS_IOCTL, 0));
	EXPECT_EQ(-ENOTTY, __vtx_ioctl(vm->fd, KVM_BOGUS_IOCTL, 0));
	EXPECT_EQ(-EINVAL, __vtx_ioctl(vcpu->fd, KVM_BOGUS_IOCTL, 0));
	/* a terminal ioctl on a KVM fd */
	EXPECT_EQ(-EINVAL, __vtx_ioctl(vcpu->fd, _IO('T', 0x01), 0));
	vtx_vcpu_free(vcpu);
	vtx_vm_free(vm);
}

/* x86 KVM 6.1 has one VM type, 0. */
TEST(create_vm_bad_type)
{
	int fd = vtx_open_device();

	EXPECT_EQ(-EINVAL, __vtx_ioctl(fd, KVM_CREATE_VM, 1));
	EXPECT_EQ(-EINVAL, __vtx_ioctl(fd, KVM_CREATE_VM, 0x80000000UL));
	close(fd);
}

TEST(memslot_errors)
{
	const uint64_t size = 0x10000;
	struct vtx_vm *vm;
	uint64_t hva;
	long nr_slots;
	void *mem;

	vm = vtx_vm_create();
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	hva = (uintptr_t)mem;

	/* misaligned guest_phys_addr, memory_size, userspace_addr */
	EXPECT_EQ(-EINVAL, __vtx_set_memslot(vm->fd, 0, 0, 0x100800, size, hva));
	EXPECT_EQ(-EINVAL, __vtx_set_memslot(vm->fd, 0, 0, 0x100000, size - 1, hva));
	EXPECT_EQ(-EINVAL, __vtx_set_memslot(vm->fd, 0, 0, 0x100000, size, hva + 8));
	/* userspace_addr outside user space */
	EXPECT_EQ(-EINVAL, __vtx_set_memslot(vm->fd, 0, 0, 0x100000, size,
					     0xffff800000000000ULL));
	/* guest_phys_addr + memory_size wraps */
	EXPECT_EQ(-EINVAL, __vtx_set_memslot(vm->fd, 0, 0, -size, 2 * size, hva));
	/* unknown flags */
	EXPECT_EQ(-EINVAL, __vtx_set_memslot(vm->fd, 0, 1u << 7, 0x100000, size, hva));
	EXPECT_EQ(-EINVAL, __vtx_set_memslot(vm->fd, 0, 1u << 31, 0x100000, size, hva));
	/* deleting a slot that does not exist */
	EXPECT_EQ(-EINVAL, __vtx_set_memslot(vm->fd, 3, 0, 0, 0, 0));

	/* slot ids go up to KVM_CAP_NR_MEMSLOTS - 1 */
	nr_slots = vtx_check_extension(vm->dev_fd, KVM_CAP_NR_MEMSLOTS);
	ASSERT_GT(nr_slots, 1);
	TH_LOG("KVM_CAP_NR_MEMSLOTS %ld", nr_slots);
	EXPECT_EQ(-EINVAL, __vtx_set_memslot(vm->fd, nr_slots, 0, 0x100000, size, hva));
	EXPECT_EQ(-EINVAL, __vtx_set_memslot(vm->fd, 0xffff, 0, 0x100000, size, hva));
	EXPECT_EQ(0, __vtx_set_memslot(vm->fd, nr_slots - 1, 0, 0x100000, size, hva));
	EXPECT_EQ(0, __vtx_set_memslot(vm->fd, nr_slots - 1, 0, 0x100000, 0, 0));

	munmap(mem, size);
	vtx_vm_free(vm);
}

TEST(memslot_overlap)
{
	const uint64_t size = 0x10000;
	struct vtx_vm *vm;
	uint64_t hva, hva2;
	void *mem, *mem2;

	vm = vtx_vm_create();
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mem2 = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_NE(MAP_FAILED, mem2);
	hva = (uintptr_t)mem;
	hva2 = (uintptr_t)mem2;

	ASSERT_EQ(0, __vtx_set_memslot(vm->fd, 0, 0, 0x100000, size, hva));
	/* another slot over any part of it */
	EXPECT_EQ(-EEXIST, __vtx_set_memslot(vm->fd, 1, 0, 0x100000, size, hva2));
	EXPECT_EQ(-EEXIST, __vtx_set_memslot(vm->fd, 1, 0, 0x108000, size, hva2));
	EXPECT_EQ(-EEXIST, __vtx_set_memslot(vm->fd, 1, 0, 0xf8000, size, hva2));
	EXPECT_EQ(-EEXIST, __vtx_set_memslot(vm->fd, 1, 0, 0x10f000, 0x1000, hva2));
	/* right next to it is fine, on both sides */
	EXPECT_EQ(0, __vtx_set_memslot(vm->fd, 1, 0, 0x110000, size, hva2));
	EXPECT_EQ(0, __vtx_set_memslot(vm->fd, 1, 0, 0x110000, 0, 0));
	EXPECT_EQ(0, __vtx_set_memslot(vm->fd, 1, 0, 0xf0000, size, hva2));
	EXPECT_EQ(0, __vtx_set_memslot(vm->fd, 1, 0, 0xf0000, 0, 0));
	/* an existing slot cannot change size or backing */
	EXPECT_EQ(-EINVAL, __vtx_set_memslot(vm->fd, 0, 0, 0x100000, size / 2, hva));
	EXPECT_EQ(-EINVAL, __vtx_set_memslot(vm->fd, 0, 0, 0x100000, size, hva2));
	/* setting it again unchanged is fine */
	EXPECT_EQ(0, __vtx_set_memslot(vm->fd, 0, 0, 0x100000, size, hva));
	/* delete, then the range is free for another slot */
	EXPECT_EQ(0, __vtx_set_memslot(vm->fd, 0, 0, 0x100000, 0, 0));
	EXPECT_EQ(0, __vtx_set_memslot(vm->fd, 1, 0, 0x100000, size, hva2));
	/* and slot 0 can come back elsewhere */
	EXPECT_EQ(0, __vtx_set_memslot(vm->fd, 0, 0, 0x200000, size, hva));

	munmap(mem, size);
	munmap(mem2, size);
	vtx_vm_free(vm);
}

/* Run a real-mode guest at VTX_CODE_GPA to its OUT; return the port. */
static uint16_t run_to_out(struct __test_metadata *_metadata,
			   struct vtx_vcpu *vcpu)
{
	struct kvm_regs regs;
	uint16_t port;

	vtx_setup_mode(vcpu, VTX_MODE_REAL, VTX_CODE_GPA);
	vtx_run(vcpu);
	ASSERT_EXIT(vcpu, KVM_EXIT_IO);
	port = vcpu->run->io.port;
	vtx_run(vcpu);
	ASSERT_EXIT(vcpu, KVM_EXIT_HLT);
	vtx_get_regs(vcpu, &regs);
	EXPECT_EQ(VTX_CODE_GPA + 3, regs.rip);
	return port;
}

/*
 * Delete a slot the guest has run from and add new memory at the same
 * place: the guest must see the new memory, not stale mappings.
 */
TEST(memslot_delete_readd)
{
	const uint64_t size = 0x10000;
	struct vtx_vcpu *vcpu;
	struct vtx_vm *vm;
	uint8_t *a, *b;

	vm = vtx_vm_create();
	a = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	b = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_NE(MAP_FAILED, b);
	memcpy(a + VTX_CODE_GPA, api_guest_a, api_guest_a_end - api_guest_a);
	memcpy(b + VTX_CODE_GPA, api_guest_b, api_guest_b_end - api_guest_b);

	ASSERT_EQ(0, __vtx_set_memslot(vm->fd, 0, 0, 0, size, (uintptr_t)a));
	vcpu = vtx_vcpu_add(vm, 0);
	EXPECT_EQ(0x10, run_to_out(_metadata, vcpu));

	ASSERT_EQ(0, __vtx_set_memslot(vm->fd, 0, 0, 0, 0, 0));
	ASSERT_EQ(0, __vtx_set_memslot(vm->fd, 0, 0, 0, size, (uintptr_t)b));
	EXPECT_EQ(0x20, run_to_out(_metadata, vcpu));

	/* and back, through a different slot id */
	ASSERT_EQ(0, __vtx_set_memslot(vm->fd, 0, 0, 0, 0, 0));
	ASSERT_EQ(0, __vtx_set_memslot(vm->fd, 5, 0, 0, size, (uintptr_t)a));
	EXPECT_EQ(0x10, run_to_out(_metadata, vcpu));

	vtx_vcpu_free(vcpu);
	munmap(a, size);
	munmap(b, size);
	vtx_vm_free(vm);
}

TEST(vcpu_ids)
{
	struct vtx_vm *vm;
	long max_id, fd0, fd1;

	vm = vtx_vm_create();
	fd0 = __vtx_create_vcpu(vm->fd, 0);
	ASSERT_GE(fd0, 0);
	EXPECT_EQ(-EEXIST, __vtx_create_vcpu(vm->fd, 0));
	fd1 = __vtx_create_vcpu(vm->fd, 1);
	EXPECT_GE(fd1, 0);
	EXPECT_EQ(-EEXIST, __vtx_create_vcpu(vm->fd, 1));

	max_id = vtx_check_extension(vm->dev_fd, KVM_CAP_MAX_VCPU_ID);
	TH_LOG("KVM_CAP_MAX_VCPU_ID %ld", max_id);
	if (max_id > 0) {
		EXPECT_EQ(-EINVAL, __vtx_create_vcpu(vm->fd, max_id));
		EXPECT_EQ(-EINVAL, __vtx_create_vcpu(vm->fd, 1UL << 31));
	}
	close(fd0);
	if (fd1 >= 0)
		close(fd1);
	vtx_vm_free(vm);
}

/* Needed by KVM only without unrestricted guest; always accepted. */
TEST(set_tss_addr)
{
	struct vtx_vm *vm = vtx_vm_create();

	EXPECT_EQ(0, __vtx_ioctl(vm->fd, KVM_SET_TSS_ADDR, 0xfffbd000UL));
	vtx_vm_free(vm);
}

/*
 * A state KVM_SET_SREGS accepts but VM entry refuses, even with
 * unrestricted guest: an unusable TR (SDM 26.3.1.2, "TR: the unusable bit
 * must be 0").  KVM reports the failed entry as KVM_EXIT_FAIL_ENTRY with
 * hardware_entry_failure_reason = the full VM-exit reason field: bit 31
 * ("VM-entry failure") | 33 ("invalid guest state") = 0x80000021.
 */
/*
 * A guest state VM entry refuses (TR unusable: SDM 26.3.1.2, in every
 * mode) is KVM_EXIT_FAIL_ENTRY with basic exit reason 33.  In 32-bit
 * protected mode: a real-mode guest's TR never reaches the processor when
 * the driver runs real mode in virtual-8086 mode with a TSS of its own
 * (vtx and kvm_intel with ept=0).  kvm_intel without unrestricted guest
 * emulates the guest instead of entering (kvm_rmode.h): a skip there.
 */
TEST(invalid_guest_state)
{
	struct vtx_vcpu *vcpu;
	struct kvm_sregs sregs;

	vcpu = vtx_create_guest(VTX_MODE_PROT32, api_guest_a, api_guest_a_end);
	if (kvm_without_unrestricted_guest(vcpu->vm->dev_fd))
		SKIP(return, "kvm_intel without unrestricted guest emulates "
		     "invalid guest state instead of entering");
	vtx_get_sregs(vcpu, &sregs);
	sregs.tr.unusable = 1;
	sregs.tr.present = 0;
	vtx_set_sregs(vcpu, &sregs);

	vtx_run(vcpu);
	ASSERT_EXIT(vcpu, KVM_EXIT_FAIL_ENTRY);
	TH_LOG("hardware_entry_failure_reason %#llx",
	       vcpu->run->fail_entry.hardware_entry_failure_reason);
	EXPECT_EQ(33, vcpu->run->fail_entry.hardware_entry_failure_reason & 0xffff);
	EXPECT_EQ(0x80000021, vcpu->run->fail_entry.hardware_entry_failure_reason);
}

VTX_TEST_MAIN
