// SPDX-License-Identifier: GPL-2.0
/*
 * The device, VM and vCPU file descriptors and guest RAM.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm.h"

/* KVM_CHECK_EXTENSION on a system or VM fd; an error counts as "absent". */
static int check_extension(int fd, long cap)
{
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

/* Guest RAM at guest-physical 0; the memslot is registered by vm_open(). */
int mem_alloc(struct vm *vm, uint64_t size)
{
	struct mem_region *reg;
	void *hva;

	if (vm->nr_regions == MAX_REGIONS) {
		fprintf(stderr, "vtxctl: too many memory regions\n");
		return -1;
	}
	hva = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (hva == MAP_FAILED) {
		fprintf(stderr, "vtxctl: mmap %llu bytes of guest RAM: %s\n",
			(unsigned long long)size, strerror(errno));
		return -1;
	}
	reg = &vm->regions[vm->nr_regions];
	reg->slot = vm->nr_regions;
	reg->gpa = vm->ram_size;
	reg->size = size;
	reg->hva = hva;
	vm->nr_regions++;
	vm->ram_size += size;
	return 0;
}

static int register_region(struct vm *vm, struct mem_region *reg)
{
	struct kvm_userspace_memory_region mr;

	memset(&mr, 0, sizeof(mr));
	mr.slot = reg->slot;
	mr.flags = 0;
	mr.guest_phys_addr = reg->gpa;
	mr.memory_size = reg->size;
	mr.userspace_addr = (uintptr_t)reg->hva;
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &mr) < 0) {
		fprintf(stderr, "vtxctl: KVM_SET_USER_MEMORY_REGION slot %u gpa 0x%llx size 0x%llx: %s\n",
			reg->slot, (unsigned long long)reg->gpa,
			(unsigned long long)reg->size, strerror(errno));
		return -1;
	}
	return 0;
}

/* Open the device, create the VM and give it the RAM of mem_alloc(). */
int vm_open(struct vm *vm, const char *dev_path)
{
	unsigned int i;
	int r;

	vm->dev_path = dev_path;
	vm->sys_fd = open(dev_path, O_RDWR | O_CLOEXEC);
	if (vm->sys_fd < 0) {
		fprintf(stderr, "vtxctl: open %s: %s%s\n", dev_path, strerror(errno),
			errno == ENOENT ? " (is the module loaded?)" :
			errno == EACCES ? " (vtxctl needs read and write access to it)" : "");
		return -1;
	}

	r = ioctl(vm->sys_fd, KVM_GET_API_VERSION, 0);
	if (r != KVM_API_VERSION) {
		fprintf(stderr, "vtxctl: %s: KVM_GET_API_VERSION returned %d%s%s, expected %d\n",
			dev_path, r, r < 0 ? ": " : "", r < 0 ? strerror(errno) : "",
			KVM_API_VERSION);
		return -1;
	}

	if (!check_extension(vm->sys_fd, KVM_CAP_USER_MEMORY)) {
		fprintf(stderr, "vtxctl: %s lacks KVM_CAP_USER_MEMORY\n", dev_path);
		return -1;
	}

	vm->fd = ioctl(vm->sys_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		fprintf(stderr, "vtxctl: KVM_CREATE_VM: %s%s\n", strerror(errno),
			errno == EBUSY ? " (another hypervisor owns VMX)" : "");
		return -1;
	}

	/*
	 * kvm_intel needs an identity-map page table and a TSS for real mode
	 * when it cannot use "unrestricted guest"; placed as QEMU places
	 * them (vmm.h).  A driver that never needs them does not advertise
	 * the capabilities and we skip them.
	 */
	if (check_extension(vm->fd, KVM_CAP_SET_IDENTITY_MAP_ADDR)) {
		uint64_t base = KVM_IDENTITY_BASE;

		if (ioctl(vm->fd, KVM_SET_IDENTITY_MAP_ADDR, &base) < 0)
			fprintf(stderr, "vtxctl: warning: KVM_SET_IDENTITY_MAP_ADDR: %s\n",
				strerror(errno));
	}
	if (check_extension(vm->fd, KVM_CAP_SET_TSS_ADDR) &&
	    ioctl(vm->fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_BASE) < 0)
		fprintf(stderr, "vtxctl: warning: KVM_SET_TSS_ADDR: %s\n", strerror(errno));

	for (i = 0; i < vm->nr_regions; i++)
		if (register_region(vm, &vm->regions[i]))
			return -1;
	return 0;
}

/**
 * vm_create_irqchip() - the in-kernel interrupt controllers and timer.
 * @vm:	the VM, before its first vCPU
 *
 * KVM_CREATE_IRQCHIP gives the VM two 8259s, an IOAPIC at FEC00000H and a
 * local APIC per vCPU (whose INIT/SIPI the driver handles: vCPUs other
 * than 0 start in KVM_MP_STATE_UNINITIALIZED and wait in KVM_RUN until the
 * guest starts them); KVM_CREATE_PIT2 an 8254 on ports 40H-43H that
 * raises line 0, with KVM_PIT_SPEAKER_DUMMY port 61H too (the PIT
 * channel 2 gate and output Linux calibrates with).
 *
 * Return: 0, or -1 after printing why not.
 */
int vm_create_irqchip(struct vm *vm)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

	if (!check_extension(vm->fd, KVM_CAP_IRQCHIP) ||
	    !check_extension(vm->fd, KVM_CAP_PIT2)) {
		fprintf(stderr, "vtxctl: %s has no in-kernel irqchip (KVM_CAP_IRQCHIP, KVM_CAP_PIT2)\n",
			vm->dev_path);
		return -1;
	}
	if (ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		fprintf(stderr, "vtxctl: KVM_CREATE_IRQCHIP: %s\n", strerror(errno));
		return -1;
	}
	if (ioctl(vm->fd, KVM_CREATE_PIT2, &pit) < 0) {
		fprintf(stderr, "vtxctl: KVM_CREATE_PIT2: %s\n", strerror(errno));
		return -1;
	}
	vm->irqchip = true;
	return 0;
}

/* Drive ISA interrupt line @irq (PIC input and IOAPIC pin @irq). */
int vm_irq_line(struct vm *vm, unsigned int irq, bool level)
{
	struct kvm_irq_level l = { .irq = irq, .level = level };

	if (ioctl(vm->fd, KVM_IRQ_LINE, &l) < 0) {
		fprintf(stderr, "vtxctl: KVM_IRQ_LINE %u %d: %s\n", irq, level, strerror(errno));
		return -1;
	}
	return 0;
}

/* Host address of [gpa, gpa + len), or NULL unless one region holds it all. */
void *gpa_to_hva(struct vm *vm, uint64_t gpa, uint64_t len)
{
	unsigned int i;

	for (i = 0; i < vm->nr_regions; i++) {
		struct mem_region *reg = &vm->regions[i];

		if (gpa >= reg->gpa && len <= reg->size &&
		    gpa - reg->gpa <= reg->size - len)
			return (char *)reg->hva + (gpa - reg->gpa);
	}
	return NULL;
}

/* KVM_GET_SUPPORTED_CPUID, asked once per process. */
static struct kvm_cpuid2 *supported_cpuid(int sys_fd)
{
	static struct kvm_cpuid2 *cpuid;
	unsigned int nent = 64;

	while (!cpuid) {
		cpuid = calloc(1, sizeof(*cpuid) + nent * sizeof(cpuid->entries[0]));
		if (!cpuid)
			return NULL;
		cpuid->nent = nent;
		if (ioctl(sys_fd, KVM_GET_SUPPORTED_CPUID, cpuid) == 0)
			break;
		free(cpuid);
		cpuid = NULL;
		if (errno != E2BIG || nent >= 4096) {
			fprintf(stderr, "vtxctl: KVM_GET_SUPPORTED_CPUID: %s\n", strerror(errno));
			return NULL;
		}
		nent *= 2;
	}
	return cpuid;
}

/*
 * Give the vCPU the CPUID the driver supports, as QEMU does: without a
 * KVM_SET_CPUID2 table vtx (like KVM) answers every leaf with zeros.  The
 * per-vCPU fields are filled in: the initial APIC id (leaf 1 EBX[31:24]),
 * the logical processor count (EBX[23:16], with HTT when above 1) and the
 * x2APIC id of leaves 0BH and 1FH (EDX).
 */
int vcpu_setup_cpuid(struct vcpu *vcpu, unsigned int nr_vcpus)
{
	struct kvm_cpuid2 *sup, *cpuid;
	size_t size;
	uint32_t i;
	int r;

	if (!check_extension(vcpu->vm->sys_fd, KVM_CAP_EXT_CPUID)) {
		fprintf(stderr, "vtxctl: warning: %s has no KVM_CAP_EXT_CPUID; guest CPUID left to the driver\n",
			vcpu->vm->dev_path);
		return 0;
	}
	sup = supported_cpuid(vcpu->vm->sys_fd);
	if (!sup)
		return -1;
	size = sizeof(*sup) + sup->nent * sizeof(sup->entries[0]);
	cpuid = malloc(size);
	if (!cpuid)
		return -1;
	memcpy(cpuid, sup, size);

	for (i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		switch (e->function) {
		case 1:
			e->ebx &= 0x0000ffff;
			e->ebx |= (uint32_t)vcpu->id << 24;
			e->ebx |= (nr_vcpus & 0xff) << 16;
			if (nr_vcpus > 1)
				e->edx |= 1U << 28;	/* HTT: the count is valid */
			break;
		case 0xb:
		case 0x1f:
			e->edx = vcpu->id;
			break;
		}
	}

	r = ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid);
	if (r < 0)
		fprintf(stderr, "vtxctl: KVM_SET_CPUID2 on vCPU %d: %s\n", vcpu->id,
			strerror(errno));
	free(cpuid);
	return r < 0 ? -1 : 0;
}

int vcpu_create(struct vm *vm, struct vcpu *vcpu, int id)
{
	int size;

	vcpu->fd = -1;
	vcpu->vm = vm;
	vcpu->id = id;

	size = ioctl(vm->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run)) {
		fprintf(stderr, "vtxctl: KVM_GET_VCPU_MMAP_SIZE returned %d%s%s\n", size,
			size < 0 ? ": " : "", size < 0 ? strerror(errno) : "");
		return -1;
	}
	vcpu->run_size = size;

	vcpu->fd = ioctl(vm->fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (vcpu->fd < 0) {
		fprintf(stderr, "vtxctl: KVM_CREATE_VCPU %d: %s\n", id, strerror(errno));
		return -1;
	}

	vcpu->run = mmap(NULL, vcpu->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		fprintf(stderr, "vtxctl: mmap vCPU %d kvm_run: %s\n", id, strerror(errno));
		vcpu->run = NULL;
		return -1;
	}
	return 0;
}

static void dump_seg(const char *name, const struct kvm_segment *s)
{
	fprintf(stderr, "  %-3s sel %04x base %016llx limit %08x type %x p%u dpl%u db%u s%u l%u g%u%s\n",
		name, s->selector, (unsigned long long)s->base, s->limit, s->type,
		s->present, s->dpl, s->db, s->s, s->l, s->g,
		s->unusable ? " unusable" : "");
}

/* Print the vCPU registers to stderr, for post-mortems of failed runs. */
void vcpu_dump(struct vcpu *vcpu)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0) {
		fprintf(stderr, "vtxctl: KVM_GET_REGS: %s\n", strerror(errno));
		return;
	}
	fprintf(stderr, "vCPU %d registers:\n", vcpu->id);
	fprintf(stderr, "  rip %016llx rsp %016llx rflags %016llx\n",
		regs.rip, regs.rsp, regs.rflags);
	fprintf(stderr, "  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n",
		regs.rax, regs.rbx, regs.rcx, regs.rdx);
	fprintf(stderr, "  rsi %016llx rdi %016llx rbp %016llx\n",
		regs.rsi, regs.rdi, regs.rbp);

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0) {
		fprintf(stderr, "vtxctl: KVM_GET_SREGS: %s\n", strerror(errno));
		return;
	}
	fprintf(stderr, "  cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx efer %llx\n",
		sregs.cr0, sregs.cr2, sregs.cr3, sregs.cr4, sregs.efer);
	dump_seg("cs", &sregs.cs);
	dump_seg("ss", &sregs.ss);
	dump_seg("ds", &sregs.ds);
	dump_seg("tr", &sregs.tr);
	fprintf(stderr, "  gdt base %016llx limit %04x, idt base %016llx limit %04x\n",
		sregs.gdt.base, sregs.gdt.limit, sregs.idt.base, sregs.idt.limit);
}

void vcpu_destroy(struct vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, vcpu->run_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->run = NULL;
	vcpu->fd = -1;
}

void vm_close(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		vcpu_destroy(&vm->vcpus[i]);
	vm->nr_vcpus = 0;
	if (vm->fd >= 0)
		close(vm->fd);
	for (i = 0; i < vm->nr_regions; i++)
		munmap(vm->regions[i].hva, vm->regions[i].size);
	if (vm->sys_fd >= 0)
		close(vm->sys_fd);
	vm->fd = vm->sys_fd = -1;
	vm->nr_regions = 0;
	free(vm->vcpus);
	vm->vcpus = NULL;
}
