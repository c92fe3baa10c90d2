// SPDX-License-Identifier: GPL-2.0
/*
 * Guest mode setup, the way KVM programs do it: build the tables the mode
 * needs in guest memory and load the matching state with KVM_SET_SREGS.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vtx.h"

/* KVM_MAX_CPUID_ENTRIES of the kernel (<linux/kvm_host.h>, not uapi) */
#define VTX_MAX_CPUID_ENTRIES	256

/* Segment descriptor access-byte types */
#define SEG_TYPE_DATA_RW_A	0x3	/* read/write, accessed */
#define SEG_TYPE_CODE_XR_A	0xb	/* execute/read, accessed */

/* Page-table entry bits */
#define PTE_P			(1ULL << 0)
#define PTE_RW			(1ULL << 1)
#define PTE_PS			(1ULL << 7)

static uint64_t gdt_entry(const struct kvm_segment *seg)
{
	uint64_t limit = seg->g ? seg->limit >> 12 : seg->limit;
	uint64_t desc;

	desc = limit & 0xffff;
	desc |= (seg->base & 0xffffff) << 16;
	desc |= (uint64_t)(seg->type & 0xf) << 40;
	desc |= (uint64_t)(seg->s & 1) << 44;
	desc |= (uint64_t)(seg->dpl & 3) << 45;
	desc |= (uint64_t)(seg->present & 1) << 47;
	desc |= ((limit >> 16) & 0xf) << 48;
	desc |= (uint64_t)(seg->avl & 1) << 52;
	desc |= (uint64_t)(seg->l & 1) << 53;
	desc |= (uint64_t)(seg->db & 1) << 54;
	desc |= (uint64_t)(seg->g & 1) << 55;
	desc |= ((seg->base >> 24) & 0xff) << 56;
	return desc;
}

static void flat_segment(struct kvm_segment *seg, uint16_t selector,
			 uint8_t type, bool code64)
{
	memset(seg, 0, sizeof(*seg));
	seg->base = 0;
	seg->limit = 0xffffffff;
	seg->selector = selector;
	seg->type = type;
	seg->present = 1;
	seg->dpl = 0;
	seg->s = 1;
	seg->g = 1;
	seg->l = code64;
	seg->db = !code64;
}

/*
 * The GDT: null, 32-bit code (0x08), data (0x10), 64-bit code (0x18).
 * Descriptors match what is loaded into the hidden segment state, so a
 * guest that reloads a segment register gets the same segment.
 */
static void build_gdt(struct vtx_vm *vm, struct kvm_sregs *sregs)
{
	uint64_t *gdt = vtx_gpa2hva(vm, VTX_GDT_GPA);
	struct kvm_segment seg;

	memset(gdt, 0, VTX_GDT_ENTRIES * 8);
	flat_segment(&seg, VTX_SEL_CODE32, SEG_TYPE_CODE_XR_A, false);
	gdt[VTX_SEL_CODE32 >> 3] = gdt_entry(&seg);
	flat_segment(&seg, VTX_SEL_DATA, SEG_TYPE_DATA_RW_A, false);
	gdt[VTX_SEL_DATA >> 3] = gdt_entry(&seg);
	flat_segment(&seg, VTX_SEL_CODE64, SEG_TYPE_CODE_XR_A, true);
	gdt[VTX_SEL_CODE64 >> 3] = gdt_entry(&seg);

	sregs->gdt.base = VTX_GDT_GPA;
	sregs->gdt.limit = VTX_GDT_ENTRIES * 8 - 1;
}

/* PML4[0] -> PDPT[0] -> PD[0..511]: the first 1 GiB, identity, 2 MiB pages */
static void build_page_tables(struct vtx_vm *vm)
{
	uint64_t *pml4 = vtx_gpa2hva(vm, VTX_PML4_GPA);
	uint64_t *pdpt = vtx_gpa2hva(vm, VTX_PDPT_GPA);
	uint64_t *pd = vtx_gpa2hva(vm, VTX_PD_GPA);
	uint64_t i;

	memset(pml4, 0, VTX_PAGE_SIZE);
	memset(pdpt, 0, VTX_PAGE_SIZE);
	pml4[0] = VTX_PDPT_GPA | PTE_P | PTE_RW;
	pdpt[0] = VTX_PD_GPA | PTE_P | PTE_RW;
	for (i = 0; i < 512; i++)
		pd[i] = (i << 21) | PTE_P | PTE_RW | PTE_PS;
}

static void load_data_segments(struct kvm_sregs *sregs)
{
	struct kvm_segment data;

	flat_segment(&data, VTX_SEL_DATA, SEG_TYPE_DATA_RW_A, false);
	sregs->ds = data;
	sregs->es = data;
	sregs->fs = data;
	sregs->gs = data;
	sregs->ss = data;
}

/*
 * Give the vCPU the supported CPUID, unless it already has a CPUID table
 * (KVM_GET_CPUID2 with no room fails with E2BIG then).  KVM_SET_SREGS into
 * long mode needs it on kernels from 6.12 on (kvm_intel checks EFER.LME
 * against the guest's CPUID), so every KVM program sets CPUID first.
 */
static void set_cpuid_once(struct vtx_vcpu *vcpu)
{
	struct kvm_cpuid2 none = { .nent = 0 };
	struct kvm_cpuid2 *c;

	if (__vtx_ioctl(vcpu->fd, KVM_GET_CPUID2, &none) == -E2BIG)
		return;
	c = calloc(1, sizeof(*c) +
		   VTX_MAX_CPUID_ENTRIES * sizeof(struct kvm_cpuid_entry2));
	VTX_ASSERT(c, "out of memory");
	c->nent = VTX_MAX_CPUID_ENTRIES;
	vtx_ioctl(vcpu->vm->dev_fd, KVM_GET_SUPPORTED_CPUID, c);
	vtx_ioctl(vcpu->fd, KVM_SET_CPUID2, c);
	free(c);
}

void vtx_setup_mode(struct vtx_vcpu *vcpu, enum vtx_mode mode, uint64_t entry)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	vtx_get_sregs(vcpu, &sregs);
	switch (mode) {
	case VTX_MODE_REAL:
		/* Reset state, but with CS = 0 so IP = the entry's GPA. */
		sregs.cs.selector = 0;
		sregs.cs.base = 0;
		break;
	case VTX_MODE_PROT32:
		build_gdt(vcpu->vm, &sregs);
		flat_segment(&sregs.cs, VTX_SEL_CODE32, SEG_TYPE_CODE_XR_A, false);
		load_data_segments(&sregs);
		sregs.cr0 = VTX_CR0_PE | VTX_CR0_ET | VTX_CR0_NE;
		sregs.cr4 = 0;
		sregs.efer = 0;
		break;
	case VTX_MODE_LONG64:
		set_cpuid_once(vcpu);
		build_gdt(vcpu->vm, &sregs);
		build_page_tables(vcpu->vm);
		flat_segment(&sregs.cs, VTX_SEL_CODE64, SEG_TYPE_CODE_XR_A, true);
		load_data_segments(&sregs);
		sregs.cr0 = VTX_CR0_PE | VTX_CR0_ET | VTX_CR0_NE | VTX_CR0_PG;
		sregs.cr3 = VTX_PML4_GPA;
		sregs.cr4 = VTX_CR4_PAE;
		sregs.efer = VTX_EFER_LME | VTX_EFER_LMA;
		break;
	}
	vtx_set_sregs(vcpu, &sregs);

	memset(&regs, 0, sizeof(regs));
	regs.rip = entry;
	regs.rsp = VTX_STACK_TOP;
	regs.rflags = 0x2;
	vtx_set_regs(vcpu, &regs);
}

struct vtx_vcpu *vtx_create_guest(enum vtx_mode mode, const void *start,
				  const void *end)
{
	struct vtx_vm *vm = vtx_vm_create_default();
	struct vtx_vcpu *vcpu = vtx_vcpu_add(vm, 0);

	vtx_load_code(vm, VTX_CODE_GPA, start, end);
	vtx_setup_mode(vcpu, mode, VTX_CODE_GPA);
	return vcpu;
}
