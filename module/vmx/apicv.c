// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - APIC virtualization (APICv) for vCPUs with an in-kernel local APIC
 * (Documentation/vtx/design.rst section 14.4): the TPR shadow with a
 * virtual-APIC page, the APIC-access page mapped by EPT at the APIC's
 * base, APIC-register virtualization, virtual-interrupt delivery (RVI and
 * SVI, the EOI-exit bitmap, EOI-induced and APIC-write exits) and, in
 * x2APIC mode, "virtualize x2APIC mode" with the virtualized registers'
 * MSRs passed through.  No posted interrupts: an interrupt from another
 * thread is accepted into the model's IRR and the target kicked; its next
 * entry copies the model to the virtual-APIC page and raises RVI when the
 * guest can take the interrupt (vmx_apicv_enter()).
 *
 * The register model of x86/apic.c (apic->regs) stays the APIC's state
 * whenever the vCPU is outside the guest: vmx_apicv_enter() copies its
 * page to the virtual-APIC page right before each entry (interrupts off,
 * under apic->lock) and vmx_apicv_exit() copies back right after each exit
 * what the processor changes while the guest runs (IRR, ISR, TPR), keeping
 * the vectors the page did not hold (apic->apicv_irr).  So
 * KVM_GET/SET_LAPIC, HLT, the timer and every emulated access keep using
 * the model as without APICv.
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <asm/apicdef.h>
#include <asm/io.h>
#include <asm/msr-index.h>
#include "vmx/vmx.h"
#include "x86/apic.h"
#include "x86/mmu/mmu.h"

/*
 * As kvm_intel's enable_apicv: on by default where the processor has the
 * controls, enable_apicv=0 turns it off; read-only after load, reads N
 * when APICv is not used (Documentation/vtx/api.rst 8.9).
 */
static bool enable_apicv = true;
module_param(enable_apicv, bool, 0444);
MODULE_PARM_DESC(enable_apicv,
		 "APIC virtualization (TPR shadow, APIC-access page, APIC-register virtualization, virtual-interrupt delivery)");

/* The controls APICv needs besides CPU_BASED_TPR_SHADOW. */
#define APICV_PROC2_NEEDED	(SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES | \
				 SECONDARY_EXEC_APIC_REGISTER_VIRT |	  \
				 SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY)
/* EOI_EXIT_BITMAP0..3, 64 vectors each; a 64-bit field is two encodings. */
#define EOI_EXIT_WORDS		4
#define VMCS_FIELD64_STRIDE	2
/* IRR, ISR, TMR: eight 32-bit registers, 16 bytes apart. */
#define APIC_VECTOR_REGS	8
#define APIC_VECTORS_PER_REG	32
/* The MSR bitmap's write bits of MSRs 0-0x1fff (SDM 25.6.9). */
#define MSR_BITMAP_WRITE_LOW	0x800

static u32 x2apic_msr(u32 offset)
{
	return APIC_BASE_MSR + (offset >> VTX_LAPIC_REG_SHIFT);
}

/*
 * The x2APIC registers whose RDMSR reads the virtual-APIC page: the model's
 * readable ones, but the current count (computed on demand), ICR (the
 * model keeps its halves 16 bytes apart, the processor reads 8 bytes at
 * 0x300) and the CMCI LVT (not every vCPU has it).
 */
static const u16 x2apic_read_regs[] = {
	APIC_ID, APIC_LVR, APIC_TASKPRI, APIC_PROCPRI, APIC_LDR, APIC_SPIV,
	APIC_ESR, APIC_LVTT, APIC_LVTTHMR, APIC_LVTPC, APIC_LVT0, APIC_LVT1,
	APIC_LVTERR, APIC_TMICT, APIC_TDCR,
};

/*
 * And those whose WRMSR the processor virtualizes without an exit; not
 * SELF IPI, whose vector becomes pending with IF clear too
 * (vmx_apicv_enter()).
 */
static const u16 x2apic_write_regs[] = {
	APIC_TASKPRI, APIC_EOI,
};

/**
 * vmx_apicv_probe() - decide at load whether APICv is used, and say so.
 * @c:	the capabilities probed so far; APICv's controls are taken out of
 *	@c->proc and @c->proc2 (they are per vCPU)
 */
void vmx_apicv_probe(struct vtx_vmx_caps *c)
{
	bool has = (c->proc & CPU_BASED_TPR_SHADOW) &&
		   (c->proc2 & APICV_PROC2_NEEDED) == APICV_PROC2_NEEDED;

	c->apicv = enable_apicv && has;
	c->apicv_x2apic = c->apicv &&
			  (c->proc2 & SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE);
	c->proc &= ~CPU_BASED_TPR_SHADOW;
	c->proc2 &= ~VTX_PROC2_APICV;
	if (!c->apicv) {
		pr_info("APICv off (%s)\n", enable_apicv ?
			"the processor lacks one of its controls" :
			"enable_apicv=0");
		enable_apicv = false;
		return;
	}
	pr_info("APICv on: TPR shadow, APIC-access page, APIC-register virtualization, virtual-interrupt delivery, x2APIC virtualization %s, no posted interrupts\n",
		c->apicv_x2apic ? "on" : "off");
}

/*
 * The vCPU's MSR bitmap (the module's, or its own with the VM's MSR
 * filter) with the virtualized x2APIC MSRs passed through.
 */
static void x2apic_bitmap_init(struct vtx_vcpu *vcpu, unsigned long *map)
{
	unsigned long *write = (unsigned long *)((u8 *)map +
						 MSR_BITMAP_WRITE_LOW);
	unsigned int i;

	memcpy(map, __va(vtx_msr_bitmap_pa(vcpu)), PAGE_SIZE);
	for (i = 0; i < ARRAY_SIZE(x2apic_read_regs); i++)
		__clear_bit(x2apic_msr(x2apic_read_regs[i]), map);
	for (i = 0; i < APIC_VECTOR_REGS; i++) {
		u32 off = i * VTX_LAPIC_REG_ALIGN;

		__clear_bit(x2apic_msr(APIC_ISR + off), map);
		__clear_bit(x2apic_msr(APIC_TMR + off), map);
		__clear_bit(x2apic_msr(APIC_IRR + off), map);
	}
	for (i = 0; i < ARRAY_SIZE(x2apic_write_regs); i++)
		__clear_bit(x2apic_msr(x2apic_write_regs[i]), write);
}

/**
 * vmx_apicv_vcpu_create() - APICv's pages for a new vCPU with an in-kernel
 * APIC: its virtual-APIC page and x2APIC MSR bitmap, and the VM's
 * APIC-access page.  Kernel pages only the processor sees; the guest
 * reaches them only through APIC virtualization.
 * @vcpu:	the new vCPU, its APIC made, not loaded
 *
 * Return: 0 (also when the vCPU runs without APICv) or -ENOMEM.
 */
int vmx_apicv_vcpu_create(struct vtx_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	if (!vtx_caps.apicv || !vcpu->apic)
		return 0;
	if (!vtx_mmu_apic_access_page(vcpu->vm))
		return -ENOMEM;
	vmx->apicv_page = (u8 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vmx->apicv_page)
		return -ENOMEM;
	vtx_alloc_inc(VTX_ALLOC_VMCS);
	vmx->x2apic_bitmap = (unsigned long *)__get_free_page(GFP_KERNEL_ACCOUNT);
	if (!vmx->x2apic_bitmap) {
		vmx_apicv_vcpu_free(vcpu);
		return -ENOMEM;
	}
	vtx_alloc_inc(VTX_ALLOC_VMCS);
	x2apic_bitmap_init(vcpu, vmx->x2apic_bitmap);
	vcpu->apic->apicv = true;
	return 0;
}

/* The vCPU's APICv pages; the APIC-access page goes with the MMU. */
void vmx_apicv_vcpu_free(struct vtx_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	if (vmx->x2apic_bitmap) {
		free_page((unsigned long)vmx->x2apic_bitmap);
		vtx_alloc_dec(VTX_ALLOC_VMCS);
		vmx->x2apic_bitmap = NULL;
	}
	if (vmx->apicv_page) {
		free_page((unsigned long)vmx->apicv_page);
		vtx_alloc_dec(VTX_ALLOC_VMCS);
		vmx->apicv_page = NULL;
	}
}

/*
 * The controls for the APIC's mode (IA32_APIC_BASE): accesses to the
 * xAPIC page are virtualized while the APIC is enabled in xAPIC mode at
 * the default base (where EPT maps the APIC-access page), x2APIC MSRs in
 * x2APIC mode; anything else is emulated as without APICv.
 */
static void apicv_update_mode(struct vtx_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	u64 base = vcpu->apic_base;
	u32 proc2 = SECONDARY_EXEC_APIC_REGISTER_VIRT |
		    SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY;
	bool x2apic = false;

	if (base & MSR_IA32_APICBASE_ENABLE) {
		if (base & X2APIC_ENABLE) {
			x2apic = vtx_caps.apicv_x2apic;
			if (x2apic)
				proc2 |= SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE;
		} else if ((base & MSR_IA32_APICBASE_BASE) ==
			   APIC_DEFAULT_PHYS_BASE) {
			proc2 |= SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES;
		}
	}
	vmx->apicv_base = base;
	if (proc2 == vmx->apicv_proc2)
		return;
	vmx->apicv_proc2 = proc2;
	vtx_update_proc2(vcpu);
	vmcs_write64(MSR_BITMAP, x2apic ? __pa(vmx->x2apic_bitmap) :
					  vtx_msr_bitmap_pa(vcpu));
	/* Translations of the APIC's page may be cached with the old mode. */
	vtx_flush_guest_tlb(vcpu);
}

/**
 * vmx_msr_bitmap_changed() - the vCPU's MSR bitmap was filled anew (the
 * VM's MSR filter changed): the x2APIC bitmap made again from it, and the
 * one for the APIC's mode put in the VMCS.
 * @vcpu:	the loaded vCPU
 */
void vmx_msr_bitmap_changed(struct vtx_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	bool x2apic = vmx->x2apic_bitmap &&
		      (vmx->apicv_proc2 & SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE);

	if (vmx->x2apic_bitmap)
		x2apic_bitmap_init(vcpu, vmx->x2apic_bitmap);
	vmcs_write64(MSR_BITMAP, x2apic ? __pa(vmx->x2apic_bitmap) :
					  vtx_msr_bitmap_pa(vcpu));
}

/**
 * vmx_apicv_vmcs_init() - APICv's part of a fresh VMCS.
 * @vcpu:	the vCPU, loaded; nothing without APICv
 *
 * CR8 accesses go to the virtual TPR instead of exiting; the TPR threshold
 * is unused with virtual-interrupt delivery.
 */
void vmx_apicv_vmcs_init(struct vtx_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	unsigned int i;

	if (!vmx->apicv_page)
		return;
	vmx->proc_ctl |= CPU_BASED_TPR_SHADOW;
	vmx->proc_ctl &= ~(CPU_BASED_CR8_LOAD_EXITING |
			   CPU_BASED_CR8_STORE_EXITING);
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, vmx->proc_ctl);
	vmcs_write64(VIRTUAL_APIC_PAGE_ADDR, __pa(vmx->apicv_page));
	vmcs_write64(APIC_ACCESS_ADDR,
		     page_to_phys(vcpu->vm->mmu.apic_access_page));
	vmcs_write32(TPR_THRESHOLD, 0);
	vmcs_write16(GUEST_INTR_STATUS, 0);
	for (i = 0; i < EOI_EXIT_WORDS; i++) {
		vmcs_write64(EOI_EXIT_BITMAP0 + i * VMCS_FIELD64_STRIDE, 0);
		vmx->eoi_exit[i] = 0;
	}
	vmx->apicv_proc2 = 0;
	apicv_update_mode(vcpu);
}

/* 64 vectors' bits of an IRR/ISR/TMR-like register set of @page. */
static u64 vector_word(const u8 *page, u32 reg, unsigned int i)
{
	u32 lo, hi;

	memcpy(&lo, page + reg + 2 * i * VTX_LAPIC_REG_ALIGN, sizeof(lo));
	memcpy(&hi, page + reg + (2 * i + 1) * VTX_LAPIC_REG_ALIGN,
	       sizeof(hi));
	return lo | (u64)hi << APIC_VECTORS_PER_REG;
}

/**
 * vmx_apicv_enter() - right before the entry: the model into the
 * virtual-APIC page, RVI and SVI (the highest ISR), the EOI-exit bitmap
 * (the IOAPIC's vectors, vtx_apic_scan_ioapic(), and the level-triggered
 * ones in TMR), the controls for the APIC's mode.
 * @vcpu:	the loaded vCPU with APICv, interrupts off, its event for
 *		this entry programmed (vtx_inject_pending_event())
 *
 * No virtual interrupt may become pending while the guest cannot take it
 * (EFLAGS.IF clear, an STI or MOV SS shadow, an event being injected):
 * Bochs 2.7 delivers a pending virtual interrupt whenever a host
 * interrupt comes while the guest runs, IF or not (its
 * HandleExtInterrupt() checks the event without its mask), and a guest
 * then takes an interrupt inside its own interrupts-off section (an SMP
 * Linux guest stopped for good).  So RVI is the highest requested vector
 * only when the guest takes interrupts at the entry and no vector in
 * service holds that one back.  Otherwise RVI is 0 and the vCPU exits
 * when the guest can take it: an interrupt window when IF or a shadow
 * blocks it, EOI-induced exits of the vectors in service when they block
 * it.  The page's IRR stays the model's (the guest reads it); the
 * processor's delivery of RVI takes the next RVI from there, which the
 * guest's EOI (IF clear in its handler) would make pending, so while
 * other vectors are requested the EOIs of RVI's and of the vectors in
 * service exit too, and the next entry decides again.  A vector held back by TPR alone
 * is RVI with IF set: a TPR the guest lowers with IF clear, and an xAPIC
 * self-IPI with IF clear (the processor's, without an exit), can still
 * meet that Bochs bug; x2APIC SELF IPIs exit (x2apic_write_regs).
 */
void vmx_apicv_enter(struct vtx_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	struct vtx_apic *apic = vcpu->apic;
	u64 eoi[EOI_EXIT_WORDS], isr_bits[EOI_EXIT_WORDS];
	bool open, held, window = false, others = false;
	int irr, isr, rvi = -1;
	unsigned int i;

	if (vcpu->apic_base != vmx->apicv_base)
		apicv_update_mode(vcpu);
	open = vtx_interrupt_allowed(vcpu) &&
	       !(vmcs_read32(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID_MASK);
	spin_lock(&apic->lock);
	memcpy(vmx->apicv_page, apic->regs.regs, VTX_LAPIC_REGS_SIZE);
	/* A hardware-disabled APIC delivers nothing (the model's rule). */
	irr = apic->regs.hw_enabled ? vtx_lapic_highest_irr(&apic->regs) : -1;
	isr = vtx_lapic_highest_isr(&apic->regs);
	held = irr >= 0 && isr >= 0 &&
	       (irr & VTX_LAPIC_PRIO_CLASS) <= (isr & VTX_LAPIC_PRIO_CLASS);
	/* KVM_GUESTDBG_BLOCKIRQ: no vector requested, so none delivered */
	if (irr >= 0 && !held &&
	    !(vcpu->guest_debug & KVM_GUESTDBG_BLOCKIRQ)) {
		if (open)
			rvi = irr;
		else
			window = true;
	}
	bitmap_zero(apic->apicv_irr, VTX_LAPIC_NR_VECTORS);
	for (i = 0; i < EOI_EXIT_WORDS; i++) {
		u64 irr_bits = vector_word(apic->regs.regs, APIC_IRR, i);

		eoi[i] = vector_word(apic->regs.regs, APIC_TMR, i);
		isr_bits[i] = vector_word(apic->regs.regs, APIC_ISR, i);
		if (rvi >= 0 && rvi / BITS_PER_TYPE(u64) == i)
			irr_bits &= ~BIT_ULL(rvi % BITS_PER_TYPE(u64));
		others |= irr_bits != 0;
	}
	spin_unlock(&apic->lock);
	/* other vectors requested: the EOIs that may let them in exit */
	if (others) {
		for (i = 0; i < EOI_EXIT_WORDS; i++)
			eoi[i] |= isr_bits[i];
		if (rvi >= 0)
			eoi[rvi / BITS_PER_TYPE(u64)] |=
				BIT_ULL(rvi % BITS_PER_TYPE(u64));
	}
	BUILD_BUG_ON(sizeof(apic->ioapic_vectors) != sizeof(eoi));
	for (i = 0; i < EOI_EXIT_WORDS; i++) {
		eoi[i] |= ((u64 *)apic->ioapic_vectors)[i];
		if (eoi[i] != vmx->eoi_exit[i]) {
			vmcs_write64(EOI_EXIT_BITMAP0 + i * VMCS_FIELD64_STRIDE,
				     eoi[i]);
			vmx->eoi_exit[i] = eoi[i];
		}
	}
	if (window && !(vmx->proc_ctl & CPU_BASED_INTR_WINDOW_EXITING)) {
		vmx->proc_ctl |= CPU_BASED_INTR_WINDOW_EXITING;
		vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, vmx->proc_ctl);
	}
	vmcs_write16(GUEST_INTR_STATUS, (rvi < 0 ? 0 : rvi) |
		     (isr < 0 ? 0 : isr) << VMX_INTR_STATUS_SVI_SHIFT);
}

/**
 * vmx_apicv_exit() - right after the exit: what the guest changed in the
 * virtual-APIC page (IRR by delivery and self-IPIs, ISR by delivery and
 * EOIs, TPR) back into the model, before any exit handler looks at it.
 * @vcpu:	the vCPU with APICv, interrupts off
 *
 * Vectors other threads accepted while the guest ran were not in the page
 * (apic->apicv_irr): they stay requested.
 */
void vmx_apicv_exit(struct vtx_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	struct vtx_apic *apic = vcpu->apic;
	u8 *page = vmx->apicv_page, *regs = apic->regs.regs;
	u8 svi = vmcs_read16(GUEST_INTR_STATUS) >> VMX_INTR_STATUS_SVI_SHIFT;
	u32 isr_reg = APIC_ISR + (svi / APIC_VECTORS_PER_REG) *
		      VTX_LAPIC_REG_ALIGN;
	unsigned int i;
	u32 tpr, now, before;

	spin_lock(&apic->lock);
	/*
	 * SVI's vector went into service while the guest ran (it was not in
	 * the model's ISR the entry copied): the processor delivered it.
	 */
	memcpy(&now, page + isr_reg, sizeof(now));
	memcpy(&before, regs + isr_reg, sizeof(before));
	vmx->apicv_delivered = svi &&
			       ((now & ~before) & BIT(svi % APIC_VECTORS_PER_REG));
	for (i = 0; i < APIC_VECTOR_REGS; i++) {
		u32 off = i * VTX_LAPIC_REG_ALIGN, irr, fresh;

		memcpy(&irr, page + APIC_IRR + off, sizeof(irr));
		fresh = apic->apicv_irr[BIT_WORD(i * APIC_VECTORS_PER_REG)] >>
			(i * APIC_VECTORS_PER_REG % BITS_PER_LONG);
		irr |= fresh;
		memcpy(regs + APIC_IRR + off, &irr, sizeof(irr));
		memcpy(regs + APIC_ISR + off, page + APIC_ISR + off,
		       sizeof(u32));
	}
	/*
	 * ICR: the processor takes a write of its high half (the
	 * destination) into the page without an exit (Bochs 2.7's APIC-write
	 * emulation clears its bits 23:0, nothing else), and the APIC-write
	 * exit of the low half then sends the IPI with the model's high half:
	 * an SMP guest's INIT went to its own APIC ID 0.  A self-IPI the
	 * processor virtualized leaves the low half in the page only.  In
	 * x2APIC mode both halves come from the model (WRMSR exits).
	 */
	memcpy(regs + APIC_ICR, page + APIC_ICR, sizeof(u32));
	memcpy(regs + APIC_ICR2, page + APIC_ICR2, sizeof(u32));
	/* An xAPIC write stores all 32 bits; TPR is the low 8 (the model's) */
	memcpy(&tpr, page + APIC_TASKPRI, sizeof(tpr));
	vtx_lapic_set_reg(&apic->regs, APIC_TASKPRI, tpr & VTX_LAPIC_BYTE);
	vtx_lapic_ppr(&apic->regs);
	spin_unlock(&apic->lock);
}

/**
 * vmx_apicv_map_access_page() - an EPT violation outside every memslot:
 * at the xAPIC page of a vCPU whose accesses are virtualized, map the
 * APIC-access page there (the access then is virtualized, or exits as
 * APIC-access).
 * @vcpu:	the vCPU, in the fault's srcu_read_lock(&vm->srcu) section
 * @gpa:	the faulting address
 *
 * Return: 0 when mapped, -ENOENT when @gpa is not the APIC's (MMIO),
 * -ENOMEM.
 */
int vmx_apicv_map_access_page(struct vtx_vcpu *vcpu, u64 gpa)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	if (!(vmx->apicv_proc2 & SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES) ||
	    PFN_DOWN(gpa) != PFN_DOWN(APIC_DEFAULT_PHYS_BASE))
		return -ENOENT;
	return vtx_mmu_map_kernel_page(vcpu, PFN_DOWN(gpa),
				       vcpu->vm->mmu.apic_access_page);
}

/*
 * APIC access: an access to the APIC-access page the processor does not
 * virtualize (the current count, a reserved offset, a misaligned or wide
 * access).  Emulated as the MMIO it is without APICv: the instruction at
 * RIP is decoded and its access goes to the model (vtx_apic_mmio_read()
 * and _write() in mmio.c's dispatch).
 */
int vmx_handle_apic_access(struct vtx_vcpu *vcpu)
{
	unsigned long qual = vmcs_readl(EXIT_QUALIFICATION);
	u32 type = qual & APIC_ACCESS_TYPE;
	struct vtx_mmio_fault f = {
		.gpa = (vcpu->apic_base & MSR_IA32_APICBASE_BASE) +
		       (qual & APIC_ACCESS_OFFSET),
		.write = type == TYPE_LINEAR_APIC_INST_WRITE,
	};
	int r, srcu;

	/* An instruction fetch or event delivery there: as KVM, give up. */
	if (type != TYPE_LINEAR_APIC_INST_READ &&
	    type != TYPE_LINEAR_APIC_INST_WRITE)
		return vmx_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION);
	srcu = srcu_read_lock(&vcpu->vm->srcu);
	r = vtx_handle_mmio(vcpu, &f);
	srcu_read_unlock(&vcpu->vm->srcu, srcu);
	return r;
}

/*
 * APIC write (trap-like, RIP is past the instruction): the processor wrote
 * a register of the virtual-APIC page that needs the model (ICR, LVTs,
 * SVR, the timer, ESR, ID, LDR, DFR): the model takes the value as an
 * xAPIC write would.  In x2APIC mode the exit would come from a WRMSR
 * the processor did not virtualize after all, SELF IPI with a vector below
 * 16 (SDM "APIC-Write Emulation"); the MSR bitmap intercepts SELF IPI
 * too now (x2apic_write_regs), but should one come, the model takes it as
 * that WRMSR, which latches "send illegal vector" in ESR.  The xAPIC path
 * would drop it (the model refuses MMIO in x2APIC mode).
 */
int vmx_handle_apic_write(struct vtx_vcpu *vcpu)
{
	u32 offset = vmcs_readl(EXIT_QUALIFICATION) & APIC_ACCESS_OFFSET &
		     ~(VTX_LAPIC_REG_ALIGN - 1);
	u32 val;

	if (offset >= VTX_LAPIC_REGS_SIZE)
		return 1;
	memcpy(&val, to_vmx(vcpu)->apicv_page + offset, sizeof(val));
	if (vcpu->apic_base & X2APIC_ENABLE) {
		/* trap-like: the WRMSR is done, no #GP to give any more */
		vtx_apic_set_msr(vcpu, x2apic_msr(offset), val, false);
		return 1;
	}
	vtx_apic_mmio_write(vcpu, (vcpu->apic_base & MSR_IA32_APICBASE_BASE) +
			    offset, sizeof(val), val);
	return 1;
}

/*
 * EOI-induced (trap-like): the guest's EOI took a vector of the EOI-exit
 * bitmap out of service (ISR and SVI are updated already, and copied to
 * the model): the IOAPIC, or userspace's, sees it.
 */
int vmx_handle_eoi_induced(struct vtx_vcpu *vcpu)
{
	vtx_apic_eoi_accelerated(vcpu, vmcs_readl(EXIT_QUALIFICATION) &
				 APIC_VECTOR_MASK);
	return 1;
}
