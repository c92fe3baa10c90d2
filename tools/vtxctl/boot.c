// SPDX-License-Identifier: GPL-2.0
/*
 * The vCPU state a guest image starts in, for each --mode.
 *
 * real: CS:IP points at the entry (CS = 0 when the entry is below 64 KiB),
 *       the other segments are 0, SS:SP = 0:entry (the stack grows down
 *       just below the image).  Nothing is written to guest memory.
 *
 * long: 64-bit mode with paging, set directly through KVM_SET_SREGS.  vtxctl
 *       writes into guest RAM, in the "boot area" below:
 *         0x8000  GDT: null, 0x08 64-bit code, 0x10 data, 0x18 64-bit TSS
 *         0x8100  the TSS (104 bytes, zero)
 *         0x9000  PML4, 0xa000 PDPT, 0xb000.. one page directory per GiB
 *       identity-mapping max(1 GiB, RAM rounded up to 1 GiB) with 2 MiB
 *       pages.  RIP = entry, RSP = top of RAM, interrupts off, no IDT.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vtxctl.h"

#define BOOT_GDT	0x8000ULL
#define BOOT_TSS	0x8100ULL
#define BOOT_PML4	0x9000ULL
#define BOOT_PDPT	0xa000ULL
#define BOOT_PD		0xb000ULL

#define SEL_CODE64	0x08
#define SEL_DATA	0x10
#define SEL_TSS		0x18
#define GDT_ENTRIES	5		/* the TSS descriptor takes two */

#define TSS_SIZE	104

#define X86_CR0_PE	(1ULL << 0)
#define X86_CR0_MP	(1ULL << 1)
#define X86_CR0_ET	(1ULL << 4)
#define X86_CR0_NE	(1ULL << 5)
#define X86_CR0_WP	(1ULL << 16)
#define X86_CR0_PG	(1ULL << 31)
#define X86_CR4_PAE	(1ULL << 5)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)

#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_PS		(1ULL << 7)

#define RFLAGS_FIXED	0x2ULL

/* Segment types (the S=1 code/data ones with the accessed bit set). */
#define SEG_TYPE_DATA_RW	0x3
#define SEG_TYPE_CODE_RX	0xb
#define SEG_TYPE_TSS_BUSY	0xb

static unsigned int long_mode_gib(struct vm *vm)
{
	uint64_t gib = (vm->ram_size + GiB - 1) / GiB;

	return gib ? gib : 1;
}

static uint64_t boot_area_end(struct vm *vm)
{
	return BOOT_PD + (uint64_t)long_mode_gib(vm) * 4096;
}

/* Does [start, end) overlap what boot_setup() writes into guest RAM? */
bool boot_area_overlaps(struct vm *vm, enum boot_mode mode, uint64_t start,
			uint64_t end)
{
	if (mode != MODE_LONG)
		return false;
	return start < boot_area_end(vm) && end > BOOT_GDT;
}

uint64_t boot_identity_map_size(struct vm *vm, enum boot_mode mode)
{
	return mode == MODE_LONG ? (uint64_t)long_mode_gib(vm) * GiB : 1 * MiB;
}

/* An 8-byte code/data descriptor from the kvm_segment that describes it. */
static uint64_t gdt_entry(const struct kvm_segment *s)
{
	uint64_t limit = s->g ? s->limit >> 12 : s->limit;

	return (limit & 0xffff) |
	       ((s->base & 0xffffff) << 16) |
	       ((uint64_t)(s->type & 0xf) << 40) |
	       ((uint64_t)(s->s & 1) << 44) |
	       ((uint64_t)(s->dpl & 3) << 45) |
	       ((uint64_t)(s->present & 1) << 47) |
	       (((limit >> 16) & 0xf) << 48) |
	       ((uint64_t)(s->avl & 1) << 52) |
	       ((uint64_t)(s->l & 1) << 53) |
	       ((uint64_t)(s->db & 1) << 54) |
	       ((uint64_t)(s->g & 1) << 55) |
	       (((s->base >> 24) & 0xff) << 56);
}

static void seg_flat(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code64)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = code64;
	s->db = !code64;
}

static int setup_long(struct vcpu *vcpu, struct kvm_sregs *sregs, uint64_t entry,
		      struct kvm_regs *regs)
{
	struct vm *vm = vcpu->vm;
	unsigned int gib = long_mode_gib(vm);
	uint64_t *gdt, *pml4, *pdpt, *pd;
	struct kvm_segment code, data, tr;
	unsigned int i, j;

	gdt = gpa_to_hva(vm, BOOT_GDT, GDT_ENTRIES * 8);
	pml4 = gpa_to_hva(vm, BOOT_PML4, 4096);
	pdpt = gpa_to_hva(vm, BOOT_PDPT, 4096);
	pd = gpa_to_hva(vm, BOOT_PD, gib * 4096ULL);
	if (!gdt || !pml4 || !pdpt || !pd || !gpa_to_hva(vm, BOOT_TSS, TSS_SIZE)) {
		fprintf(stderr, "vtxctl: long mode needs RAM at 0x%llx-0x%llx\n",
			(unsigned long long)BOOT_GDT,
			(unsigned long long)boot_area_end(vm));
		return -1;
	}

	/* Page tables: identity map with 2 MiB pages. */
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = BOOT_PDPT | PTE_P | PTE_RW;
	for (i = 0; i < gib; i++) {
		pdpt[i] = (BOOT_PD + i * 4096ULL) | PTE_P | PTE_RW;
		for (j = 0; j < 512; j++)
			pd[i * 512 + j] = (i * GiB + j * 2 * MiB) | PTE_P | PTE_RW | PTE_PS;
	}

	/* Segments, and the GDT that matches them. */
	seg_flat(&code, SEL_CODE64, SEG_TYPE_CODE_RX, true);
	seg_flat(&data, SEL_DATA, SEG_TYPE_DATA_RW, false);

	memset(&tr, 0, sizeof(tr));
	tr.base = BOOT_TSS;
	tr.limit = TSS_SIZE - 1;
	tr.selector = SEL_TSS;
	tr.type = SEG_TYPE_TSS_BUSY;
	tr.present = 1;

	memset(gpa_to_hva(vm, BOOT_TSS, TSS_SIZE), 0, TSS_SIZE);
	gdt[0] = 0;
	gdt[1] = gdt_entry(&code);
	gdt[2] = gdt_entry(&data);
	gdt[3] = gdt_entry(&tr);		/* the 16-byte system descriptor: */
	gdt[4] = tr.base >> 32;			/* base 63:32 in the upper half */

	sregs->cs = code;
	sregs->ds = sregs->es = sregs->fs = sregs->gs = sregs->ss = data;
	sregs->tr = tr;
	sregs->gdt.base = BOOT_GDT;
	sregs->gdt.limit = GDT_ENTRIES * 8 - 1;
	sregs->idt.base = 0;
	sregs->idt.limit = 0;

	sregs->cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE |
		     X86_CR0_WP | X86_CR0_PG;
	sregs->cr3 = BOOT_PML4;
	sregs->cr4 = X86_CR4_PAE;
	sregs->efer = EFER_LME | EFER_LMA;

	regs->rip = entry;
	regs->rsp = vm->ram_size < gib * GiB ? vm->ram_size : gib * GiB;
	return 0;
}

static int setup_real(struct kvm_sregs *sregs, uint64_t entry, struct kvm_regs *regs)
{
	uint16_t cs_sel;
	struct kvm_segment *segs[] = {
		&sregs->ds, &sregs->es, &sregs->fs, &sregs->gs, &sregs->ss,
	};
	unsigned int i;

	if (entry >= 1 * MiB) {
		fprintf(stderr, "vtxctl: real mode entry 0x%llx is not below 1 MiB\n",
			(unsigned long long)entry);
		return -1;
	}

	/* CS = 0 when the IP can reach the entry, else the smallest offset. */
	cs_sel = entry <= 0xffff ? 0 : entry >> 4;

	for (i = 0; i < ARRAY_SIZE(segs); i++) {
		struct kvm_segment *s = segs[i];

		s->base = 0;
		s->limit = 0xffff;
		s->selector = 0;
		s->type = SEG_TYPE_DATA_RW;
		s->present = 1;
		s->s = 1;
		s->dpl = 0;
		s->db = s->l = s->g = 0;
		s->unusable = 0;
	}
	sregs->cs.selector = cs_sel;
	sregs->cs.base = (uint64_t)cs_sel << 4;
	sregs->cs.limit = 0xffff;
	sregs->cs.type = SEG_TYPE_CODE_RX;
	sregs->cs.present = 1;
	sregs->cs.s = 1;
	sregs->cs.dpl = 0;
	sregs->cs.db = sregs->cs.l = sregs->cs.g = 0;
	sregs->cs.unusable = 0;

	regs->rip = entry - sregs->cs.base;
	/* The stack grows down from just below the image (SS = 0). */
	regs->rsp = entry <= 0xffff ? entry & ~1ULL : 0xfffe;
	return 0;
}

int boot_setup(struct vcpu *vcpu, enum boot_mode mode, uint64_t entry)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int r;

	/* Start from the driver's reset state and change what the mode needs. */
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0) {
		fprintf(stderr, "vtxctl: KVM_GET_SREGS: %s\n", strerror(errno));
		return -1;
	}
	memset(&regs, 0, sizeof(regs));
	regs.rflags = RFLAGS_FIXED;

	if (mode == MODE_LONG)
		r = setup_long(vcpu, &sregs, entry, &regs);
	else
		r = setup_real(&sregs, entry, &regs);
	if (r)
		return r;

	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs) < 0) {
		fprintf(stderr, "vtxctl: KVM_SET_SREGS: %s\n", strerror(errno));
		return -1;
	}
	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0) {
		fprintf(stderr, "vtxctl: KVM_SET_REGS: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}
