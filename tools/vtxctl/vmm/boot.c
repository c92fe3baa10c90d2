// SPDX-License-Identifier: GPL-2.0
/*
 * The vCPU state a guest starts in, for each CPU mode.
 *
 * real:     CS:IP points at the entry (CS = 0 when the entry is below
 *           64 KiB), the other segments are 0, SS:SP = 0:entry (the stack
 *           grows down just below the image).  Nothing is written to guest
 *           memory.
 *
 * protected (32-bit): flat 4 GiB code (selector 0x18) and data (0x10)
 *           segments, CR0 = PE | ET, paging off, interrupts off, no IDT.
 *           ESP = top of RAM below 4 GiB unless the loader chose one.
 *           This is the state Multiboot v1 specifies.
 *
 * long:     64-bit mode with paging, identity-mapping max(1 GiB, RAM
 *           rounded up to 1 GiB) with 2 MiB pages; an ELF image whose
 *           virtual addresses are its physical ones plus a constant,
 *           1 GiB-aligned offset K also gets [K, K + that size) mapped onto
 *           physical 0.  RIP = entry, RSP = top of RAM, interrupts off, no
 *           IDT.
 *
 * For the two protected modes vtxctl writes into guest RAM, in the boot
 * area (BOOT_AREA_START to BOOT_AREA_END):
 *   0x8000  GDT: null, 0x08 64-bit code, 0x10 data, 0x18 32-bit code,
 *           0x20 TSS (16-byte descriptor); for Linux (plan->linux_gdt)
 *           null, null, 0x10 64-bit code, 0x18 data, 0x20 TSS, the
 *           selectors its 64-bit boot protocol names
 *   0x8100  the TSS (104 bytes, zero)
 *   0x9000  PML4, 0xa000 PDPT (identity), 0xb000 PDPT (high mapping),
 *   0xc000  one page directory per GiB mapped
 * and Multiboot puts its information from BOOT_INFO_START (multiboot.c).
 *
 * Every vCPU that starts at the entry gets its index in ESI/RSI (0 for
 * the boot vCPU; a Linux kernel gets the zero page there instead); an AP started at the entry (--aps entry) gets the boot
 * vCPU's state with RAX = RBX = 0 and its stack AP_STACK_SIZE * index
 * below the boot vCPU's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm.h"

#define BOOT_GDT	0x8000ULL
#define BOOT_TSS	0x8100ULL
#define BOOT_PML4	0x9000ULL
#define BOOT_PDPT	0xa000ULL
#define BOOT_PDPT_HI	0xb000ULL
#define BOOT_PD		0xc000ULL

#define SEL_CODE64	0x08
#define SEL_DATA	0x10
#define SEL_CODE32	0x18
#define SEL_TSS		0x20
/* The Linux 64-bit boot protocol's __BOOT_CS and __BOOT_DS. */
#define SEL_LINUX_CODE64	0x10
#define SEL_LINUX_DATA		0x18
#define GDT_ENTRIES	6		/* the TSS descriptor takes two */

#define TSS_SIZE	104
#define AP_STACK_SIZE	(64 * KiB)

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

const char *boot_mode_name(enum boot_mode mode)
{
	switch (mode) {
	case MODE_REAL:
		return "real";
	case MODE_PROT32:
		return "protected";
	case MODE_LONG:
		return "long";
	}
	return "?";
}

static unsigned int long_mode_gib(struct vm *vm)
{
	uint64_t gib = (vm->ram_size + GiB - 1) / GiB;

	return gib ? gib : 1;
}

/* One past the last byte boot_prepare() writes for @mode. */
static uint64_t boot_area_end(struct vm *vm, enum boot_mode mode)
{
	switch (mode) {
	case MODE_REAL:
		return BOOT_GDT;
	case MODE_PROT32:
		return BOOT_TSS + TSS_SIZE;
	case MODE_LONG:
		return BOOT_PD + (uint64_t)long_mode_gib(vm) * 4096;
	}
	return BOOT_AREA_END;
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

static void tss_seg(struct kvm_segment *tr)
{
	memset(tr, 0, sizeof(*tr));
	tr->base = BOOT_TSS;
	tr->limit = TSS_SIZE - 1;
	tr->selector = SEL_TSS;
	tr->type = SEG_TYPE_TSS_BUSY;
	tr->present = 1;
}

static int write_gdt(struct vm *vm, bool linux_gdt)
{
	struct kvm_segment code64, code32, data, tr;
	uint64_t *gdt = gpa_to_hva(vm, BOOT_GDT, GDT_ENTRIES * 8);
	void *tss = gpa_to_hva(vm, BOOT_TSS, TSS_SIZE);

	if (!gdt || !tss)
		return -1;
	seg_flat(&code64, SEL_CODE64, SEG_TYPE_CODE_RX, true);
	seg_flat(&code32, SEL_CODE32, SEG_TYPE_CODE_RX, false);
	seg_flat(&data, SEL_DATA, SEG_TYPE_DATA_RW, false);
	tss_seg(&tr);

	memset(tss, 0, TSS_SIZE);
	memset(gdt, 0, GDT_ENTRIES * 8);
	if (linux_gdt) {
		gdt[SEL_LINUX_CODE64 / 8] = gdt_entry(&code64);
		gdt[SEL_LINUX_DATA / 8] = gdt_entry(&data);
	} else {
		gdt[SEL_CODE64 / 8] = gdt_entry(&code64);
		gdt[SEL_DATA / 8] = gdt_entry(&data);
		gdt[SEL_CODE32 / 8] = gdt_entry(&code32);
	}
	gdt[SEL_TSS / 8] = gdt_entry(&tr);	/* a 16-byte system descriptor: */
	gdt[SEL_TSS / 8 + 1] = tr.base >> 32;	/* base 63:32 in the upper half */
	return 0;
}

static int write_page_tables(struct vm *vm, const struct boot_plan *plan)
{
	unsigned int gib = long_mode_gib(vm);
	uint64_t *pml4, *pdpt, *pdpt_hi, *pd;
	unsigned int i, j;

	pml4 = gpa_to_hva(vm, BOOT_PML4, 4096);
	pdpt = gpa_to_hva(vm, BOOT_PDPT, 4096);
	pdpt_hi = gpa_to_hva(vm, BOOT_PDPT_HI, 4096);
	pd = gpa_to_hva(vm, BOOT_PD, gib * 4096ULL);
	if (!pml4 || !pdpt || !pdpt_hi || !pd)
		return -1;

	/* Identity map with 2 MiB pages. */
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	memset(pdpt_hi, 0, 4096);
	pml4[0] = BOOT_PDPT | PTE_P | PTE_RW;
	for (i = 0; i < gib; i++) {
		pdpt[i] = (BOOT_PD + i * 4096ULL) | PTE_P | PTE_RW;
		for (j = 0; j < 512; j++)
			pd[i * 512 + j] = (i * GiB + j * 2 * MiB) | PTE_P | PTE_RW | PTE_PS;
	}

	/* The same page directories again at the image's virtual offset. */
	if (plan->high_offset) {
		unsigned int l4 = (plan->high_offset >> 39) & 511;
		unsigned int l3 = (plan->high_offset >> 30) & 511;
		uint64_t *hi = l4 ? pdpt_hi : pdpt;

		if (l4)
			pml4[l4] = BOOT_PDPT_HI | PTE_P | PTE_RW;
		for (i = 0; i < gib && l3 + i < 512; i++) {
			if (hi[l3 + i]) {
				fprintf(stderr, "vtxctl: the image's virtual offset 0x%llx overlaps the identity map\n",
					(unsigned long long)plan->high_offset);
				return -2;
			}
			hi[l3 + i] = (BOOT_PD + i * 4096ULL) | PTE_P | PTE_RW;
		}
	}
	return 0;
}

/*
 * Write what @plan's mode needs into guest RAM (GDT, TSS, page tables),
 * after checking that the image does not overlap it.
 */
int boot_prepare(struct vm *vm, struct boot_plan *plan)
{
	uint64_t end = boot_area_end(vm, plan->mode);
	int r;

	if (plan->mode == MODE_REAL)
		return 0;
	if (plan->image_start < end && plan->image_end > BOOT_GDT) {
		fprintf(stderr, "vtxctl: image at 0x%llx-0x%llx overlaps vtxctl's boot area 0x%llx-0x%llx (GDT%s)\n",
			(unsigned long long)plan->image_start,
			(unsigned long long)plan->image_end,
			(unsigned long long)BOOT_GDT, (unsigned long long)end,
			plan->mode == MODE_LONG ? ", page tables" : "");
		return -1;
	}
	r = write_gdt(vm, plan->linux_gdt);
	if (!r && plan->mode == MODE_LONG)
		r = write_page_tables(vm, plan);
	if (r) {
		if (r == -1)
			fprintf(stderr, "vtxctl: %s mode needs RAM at 0x%llx-0x%llx\n",
				boot_mode_name(plan->mode), (unsigned long long)BOOT_GDT,
				(unsigned long long)end);
		return -1;
	}
	return 0;
}

static void setup_long(struct vm *vm, struct kvm_sregs *sregs, struct kvm_regs *regs,
		       bool linux_gdt)
{
	uint64_t mapped = (uint64_t)long_mode_gib(vm) * GiB;
	struct kvm_segment code, data, tr;

	seg_flat(&code, linux_gdt ? SEL_LINUX_CODE64 : SEL_CODE64, SEG_TYPE_CODE_RX, true);
	seg_flat(&data, linux_gdt ? SEL_LINUX_DATA : SEL_DATA, SEG_TYPE_DATA_RW, false);
	tss_seg(&tr);

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

	regs->rsp = vm->ram_size < mapped ? vm->ram_size : mapped;
}

static void setup_prot32(struct vm *vm, struct kvm_sregs *sregs, struct kvm_regs *regs)
{
	struct kvm_segment code, data, tr;

	seg_flat(&code, SEL_CODE32, SEG_TYPE_CODE_RX, false);
	seg_flat(&data, SEL_DATA, SEG_TYPE_DATA_RW, false);
	tss_seg(&tr);

	sregs->cs = code;
	sregs->ds = sregs->es = sregs->fs = sregs->gs = sregs->ss = data;
	sregs->tr = tr;
	sregs->gdt.base = BOOT_GDT;
	sregs->gdt.limit = GDT_ENTRIES * 8 - 1;
	sregs->idt.base = 0;
	sregs->idt.limit = 0;

	sregs->cr0 = X86_CR0_PE | X86_CR0_ET;
	sregs->cr3 = 0;
	sregs->cr4 = 0;
	sregs->efer = 0;

	regs->rsp = (vm->ram_size < 4 * GiB ? vm->ram_size : 4 * GiB) & ~0xfULL;
}

static int setup_real(struct kvm_sregs *sregs, uint64_t entry, struct kvm_regs *regs)
{
	struct kvm_segment *segs[] = {
		&sregs->ds, &sregs->es, &sregs->fs, &sregs->gs, &sregs->ss,
	};
	uint16_t cs_sel;
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

	/* The stack grows down from just below the image (SS = 0). */
	regs->rsp = entry <= 0xffff ? entry & ~1ULL : 0xfffe;
	return 0;
}

/*
 * Put @vcpu at the entry of @plan.  @ap_entry: an AP started at the same
 * entry (no boot-protocol registers, its own stack).
 */
int boot_setup_vcpu(struct vcpu *vcpu, const struct boot_plan *plan, bool ap_entry)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	uint64_t rip = plan->entry;

	/* Start from the driver's reset state and change what the mode needs. */
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0) {
		fprintf(stderr, "vtxctl: KVM_GET_SREGS: %s\n", strerror(errno));
		return -1;
	}
	memset(&regs, 0, sizeof(regs));
	regs.rflags = RFLAGS_FIXED;

	switch (plan->mode) {
	case MODE_LONG:
		setup_long(vcpu->vm, &sregs, &regs, plan->linux_gdt);
		break;
	case MODE_PROT32:
		setup_prot32(vcpu->vm, &sregs, &regs);
		break;
	case MODE_REAL:
		if (setup_real(&sregs, plan->entry, &regs))
			return -1;
		rip = plan->entry - sregs.cs.base;
		break;
	}
	if (plan->have_rsp)
		regs.rsp = plan->rsp;
	if (ap_entry) {
		uint64_t below = (uint64_t)vcpu->id * AP_STACK_SIZE;

		regs.rsp = regs.rsp > below ? regs.rsp - below : regs.rsp;
	} else {
		regs.rax = plan->rax;
		regs.rbx = plan->rbx;
	}
	regs.rsi = plan->have_rsi ? plan->rsi : (uint64_t)vcpu->id;
	regs.rip = rip;

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
