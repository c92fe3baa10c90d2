// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - VMCS lifetime (VMCLEAR/VMPTRLD, following the vCPU thread between
 * CPUs), host state, guest reset state, control registers and segments.
 *
 * A vCPU's VMCS is active on at most one CPU (to_vmx(vcpu)->cpu).  It stays active
 * there after the ioctl returns, so the next ioctl on the same CPU costs no
 * VMPTRLD.  When the thread runs on another CPU, the VMCS is VMCLEARed on
 * the old CPU by IPI and loaded on the new one (vtx_vcpu_load(), called from
 * every vCPU ioctl and from the preempt notifier's sched_in).
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <asm/cpu_entry_area.h>
#include <asm/desc.h>
#include <asm/fsgsbase.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/processor.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <asm/traps.h>
#include "vmx/vmx.h"
#include "x86/mmu/shadow.h"

/* VMCS current on this CPU, NULL after VMCLEAR of it. [l] */
static DEFINE_PER_CPU(struct vmcs *, current_vmcs);
/* vCPUs whose VMCS is active on this CPU. [l] */
static DEFINE_PER_CPU(struct list_head, loaded_vmcss);

/* Architectural reset values (SDM "Processor State After Reset"). */
#define RESET_CS_SELECTOR	0xf000
#define RESET_CS_BASE		0xffff0000ul
#define RESET_SEG_LIMIT		0xffff
#define RESET_RIP		0xfff0
#define RESET_RFLAGS		X86_EFLAGS_FIXED
#define RESET_CR0		(X86_CR0_CD | X86_CR0_NW | X86_CR0_ET)
#define RESET_DR6		0xffff0ff0ul
#define RESET_DR7		0x400ul
#define RESET_PAT		0x0007040600070406ull

/* Access-rights bytes, from asm/vmx.h's VMX_AR_* (and vmcs.h's AVL). */
#define AR_DATA_RW_ACCESSED	(VMX_AR_TYPE_ACCESSES_MASK |		\
				 VMX_AR_TYPE_READABLE_MASK |		\
				 VMX_AR_S_MASK | VMX_AR_P_MASK)
#define AR_CODE_RX_ACCESSED	(AR_DATA_RW_ACCESSED | VMX_AR_TYPE_CODE_MASK)
#define AR_LDT			(VMX_AR_TYPE_LDT | VMX_AR_P_MASK)
#define AR_TSS_BUSY		(VMX_AR_TYPE_BUSY_32_TSS | VMX_AR_P_MASK)

/* Bits the guest owns in CR0: TS only; every other write exits. */
#define VTX_CR0_GUEST_OWNED	X86_CR0_TS
/* Never set in the hardware CR0: caches stay on, as on KVM. */
#define VTX_CR0_ALWAYS_OFF	(X86_CR0_CD | X86_CR0_NW)

void vtx_vmcs_percpu_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		INIT_LIST_HEAD(&per_cpu(loaded_vmcss, cpu));
}

/* VMCLEAR @vcpu's VMCS on this CPU.  Interrupts disabled. */
static void __vmcs_clear(struct vtx_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	if (vmx->cpu != raw_smp_processor_id())
		return;
	vtx_vmclear(__pa(vmx->vmcs));
	if (__this_cpu_read(current_vmcs) == vmx->vmcs)
		__this_cpu_write(current_vmcs, NULL);
	list_del(&vmx->loaded_link);
	/* The list update must be visible before the vCPU can be loaded. */
	smp_wmb();
	vmx->launched = false;
	WRITE_ONCE(vmx->cpu, -1);
}

static void vmcs_clear_ipi(void *data)
{
	__vmcs_clear(data);
}

/**
 * vtx_vmcs_clear() - VMCLEAR a vCPU's VMCS wherever it is active.
 * @vcpu:	the vCPU; its thread is not in KVM_RUN on another CPU
 */
void vtx_vmcs_clear(struct vtx_vcpu *vcpu)
{
	int cpu = READ_ONCE(to_vmx(vcpu)->cpu);

	if (cpu < 0)
		return;
	smp_call_function_single(cpu, vmcs_clear_ipi, vcpu, 1);
}

/* Before VMXOFF on this CPU (interrupts disabled). */
void vtx_clear_loaded_vmcss(void)
{
	struct vcpu_vmx *vmx, *tmp;

	list_for_each_entry_safe(vmx, tmp, this_cpu_ptr(&loaded_vmcss),
				 loaded_link)
		__vmcs_clear(&vmx->vcpu);
	__this_cpu_write(current_vmcs, NULL);
}

/* Host state that depends on the CPU: written when the VMCS moves here. */
static void set_percpu_host_state(int cpu)
{
	unsigned long gs_base;

	vmcs_writel(HOST_TR_BASE,
		    (unsigned long)&get_cpu_entry_area(cpu)->tss.x86_tss);
	vmcs_writel(HOST_GDTR_BASE, (unsigned long)get_current_gdt_ro());
	vmcs_writel(HOST_IA32_SYSENTER_ESP,
		    (unsigned long)(cpu_entry_stack(cpu) + 1));
	rdmsrl(MSR_GS_BASE, gs_base);
	vmcs_writel(HOST_GS_BASE, gs_base);
}

/**
 * vtx_vcpu_load() - make @vcpu's VMCS current on @cpu.
 * @vcpu:	the vCPU
 * @cpu:	this CPU; preemption is disabled
 *
 * Moves the VMCS from its old CPU if needed and flushes the guest's
 * EPT/VPID-tagged translations this CPU may hold from an earlier visit.
 */
void vtx_vcpu_load(struct vtx_vcpu *vcpu, int cpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	bool moved = READ_ONCE(vmx->cpu) != cpu;

	/*
	 * CPU hotplug: a thread preempted on a CPU going offline is switched
	 * in there once more after VMX went off on it (vtx_cpu_offline()),
	 * only to be pushed to an active CPU at once (the scheduler's
	 * balance_push) without running its own code; its sched_in there
	 * loads the VMCS.  Loading it here would fault and kill the VM.
	 */
	if (unlikely(!vtx_vmx_on_this_cpu()))
		return;
	if (moved) {
		vtx_vmcs_clear(vcpu);
		/* Pairs with __vmcs_clear(): the old list entry is gone. */
		smp_rmb();
		local_irq_disable();
		list_add(&vmx->loaded_link, this_cpu_ptr(&loaded_vmcss));
		local_irq_enable();
	}
	if (__this_cpu_read(current_vmcs) != vmx->vmcs) {
		__this_cpu_write(current_vmcs, vmx->vmcs);
		if (vtx_vmptrld(__pa(vmx->vmcs)))
			vtx_vm_dead(vcpu->vm);
		/*
		 * Another vCPU (of this VM or another) ran here last: keep
		 * its branch predictions from steering this one, as KVM does
		 * when the current VMCS changes.  A no-op unless the host's
		 * spectre_v2_user mitigation uses IBPB (X86_FEATURE_USE_IBPB).
		 */
		indirect_branch_prediction_barrier();
	}
	/* KVM_RUN or sched-in: the host ran here; flush L1D in "cond". */
	vmx->l1tf_flush_l1d = true;
	if (moved) {
		WRITE_ONCE(vmx->cpu, cpu);
		set_percpu_host_state(cpu);
		if (!vtx_shadow_paging)
			vtx_ept_flush_here(&vcpu->vm->mmu);
		if (vmx->vpid)
			vtx_invvpid(VMX_VPID_EXTENT_SINGLE_CONTEXT, vmx->vpid,
				    0);
	}
}

/**
 * vtx_prepare_switch_to_guest() - save host segment/MSR state the guest
 * can change without an exit, once per stretch of guest execution.
 * @vcpu:	the loaded vCPU; preemption is disabled
 *
 * The guest's KERNEL_GS_BASE is loaded (SWAPGS is not interceptable) and
 * the host's FS base goes to the VMCS so that it survives every exit.  The
 * reverse happens in vtx_put_host_state(), before this thread returns to
 * userspace or is scheduled out, not on every exit.
 */
void vtx_prepare_switch_to_guest(struct vtx_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	if (vcpu->guest_state_loaded)
		return;

	current_save_fsgs();
	vmx->host_fs_sel = current->thread.fsindex;
	vmx->host_gs_sel = current->thread.gsindex;
	vmx->host_kernel_gs_base = current->thread.gsbase;
	savesegment(ds, vmx->host_ds_sel);
	savesegment(es, vmx->host_es_sel);
	asm volatile("sldt %0" : "=g" (vmx->host_ldt_sel));
	vmcs_writel(HOST_FS_BASE, current->thread.fsbase);
	wrmsrl(MSR_KERNEL_GS_BASE, vcpu->kernel_gs_base);
	vcpu->guest_state_loaded = true;
}

/**
 * vtx_put_host_state() - undo vtx_prepare_switch_to_guest().
 * @vcpu:	the loaded vCPU; preemption is disabled
 */
void vtx_put_host_state(struct vtx_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	if (!vcpu->guest_state_loaded)
		return;

	rdmsrl(MSR_KERNEL_GS_BASE, vcpu->kernel_gs_base);
	/* A VM exit loads null DS/ES/FS/GS selectors. */
	if (vmx->host_ds_sel)
		loadsegment(ds, vmx->host_ds_sel);
	if (vmx->host_es_sel)
		loadsegment(es, vmx->host_es_sel);
	if (vmx->host_fs_sel)
		loadsegment(fs, vmx->host_fs_sel);
	if (vmx->host_gs_sel)
		load_gs_index(vmx->host_gs_sel);
	wrmsrl(MSR_KERNEL_GS_BASE, vmx->host_kernel_gs_base);
	/* A VM exit loads a null LDTR ... */
	if (vmx->host_ldt_sel)
		asm volatile("lldt %0" : : "rm" (vmx->host_ldt_sel));
	/* ... sets the TR limit to 0x67, cutting off the I/O bitmap ... */
	invalidate_tss_limit();
	/* ... and the GDT limit to 0xffff. */
	load_fixmap_gdt(raw_smp_processor_id());
	vcpu->guest_state_loaded = false;
}

/*
 * vtx_update_host_cr() - CR3 changes with the address space and CR4 may
 * change per task; rewrite them only when they differ.
 */
void vtx_update_host_cr(struct vtx_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	unsigned long cr3 = __read_cr3(), cr4 = cr4_read_shadow();

	if (unlikely(cr3 != vmx->host_cr3)) {
		vmcs_writel(HOST_CR3, cr3);
		vmx->host_cr3 = cr3;
	}
	if (unlikely(cr4 != vmx->host_cr4)) {
		vmcs_writel(HOST_CR4, cr4);
		vmx->host_cr4 = cr4;
	}
}

static void set_constant_host_state(void)
{
	struct desc_ptr idt;
	u32 lo, hi;
	u64 val;

	vmcs_writel(HOST_CR0, read_cr0());
	vmcs_write16(HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write16(HOST_SS_SELECTOR, __KERNEL_DS);
	/* Null data selectors; the user's are reloaded when not null. */
	vmcs_write16(HOST_DS_SELECTOR, 0);
	vmcs_write16(HOST_ES_SELECTOR, 0);
	vmcs_write16(HOST_FS_SELECTOR, 0);
	vmcs_write16(HOST_GS_SELECTOR, 0);
	vmcs_write16(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	store_idt(&idt);
	vmcs_writel(HOST_IDTR_BASE, idt.address);
	vmcs_writel(HOST_RIP, (unsigned long)vtx_vmexit);
	rdmsr(MSR_IA32_SYSENTER_CS, lo, hi);
	vmcs_write32(HOST_IA32_SYSENTER_CS, lo);
	rdmsrl(MSR_IA32_SYSENTER_EIP, val);
	vmcs_writel(HOST_IA32_SYSENTER_EIP, val);
	rdmsrl(MSR_EFER, val);
	vmcs_write64(HOST_IA32_EFER, val);
	rdmsrl(MSR_IA32_CR_PAT, val);
	vmcs_write64(HOST_IA32_PAT, val);
}

static void seg_reset(int seg, u16 sel, unsigned long base, u32 ar)
{
	vmcs_write16(GUEST_ES_SELECTOR + seg * 2, sel);
	vmcs_writel(GUEST_ES_BASE + seg * 2, base);
	vmcs_write32(GUEST_ES_LIMIT + seg * 2, RESET_SEG_LIMIT);
	vmcs_write32(GUEST_ES_AR_BYTES + seg * 2, ar);
}

/**
 * vtx_vmcs_init() - fill a fresh VMCS: controls, host state, reset state.
 * @vcpu:	the vCPU, loaded on this CPU
 */
void vtx_vmcs_init(struct vtx_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	int seg;

	vmcs_write32(PIN_BASED_VM_EXEC_CONTROL, vtx_caps.pin);
	vmx->proc_ctl = vtx_caps.proc;
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, vmx->proc_ctl);
	vmcs_write64(MSR_BITMAP, vtx_msr_bitmap_pa(vcpu));
	/* XSAVES and XRSTORS never exit (IA32_XSS is 0 in guests) */
	if (vtx_caps.has_xsaves)
		vmcs_write64(XSS_EXIT_BITMAP, 0);
	vtx_update_proc2(vcpu);
	vmx_apicv_vmcs_init(vcpu);
	vmcs_write32(VM_EXIT_CONTROLS, vtx_caps.exit);
	vtx_tick_reload();
	vmcs_write32(VM_ENTRY_CONTROLS, vtx_caps.entry);
	/*
	 * #AC and #DB are intercepted and re-injected, as KVM does: a guest
	 * could otherwise make the processor deliver them forever without an
	 * exit and hang this CPU (CVE-2015-5307, CVE-2015-8104).  A machine
	 * check is the host's: its handler runs on the exit (exit.c).
	 */
	vmcs_write32(EXCEPTION_BITMAP, VTX_EXCEPTION_BITMAP |
		     (vtx_shadow_paging ? BIT(X86_TRAP_PF) : 0));
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write32(CR3_TARGET_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmcs_write64(VMCS_LINK_POINTER, ~0ull);
	if (!vtx_shadow_paging)
		vmcs_write64(EPT_POINTER,
			     vtx_ept_pointer(&vcpu->vm->mmu, vtx_vcpu_as(vcpu)));
	if (vmx->vpid)
		vmcs_write16(VIRTUAL_PROCESSOR_ID, vmx->vpid);
	if (vtx_caps.proc & CPU_BASED_USE_TSC_OFFSETTING)
		vmcs_write64(TSC_OFFSET, -rdtsc());
	vmcs_writel(CR0_GUEST_HOST_MASK, ~(unsigned long)VTX_CR0_GUEST_OWNED);
	vmcs_writel(CR4_GUEST_HOST_MASK, ~0ul);

	set_constant_host_state();
	vmx->host_cr3 = 0;
	vmx->host_cr4 = 0;
	vtx_update_host_cr(vcpu);

	/* The x86 reset state, as KVM presents it. */
	for (seg = VTX_SREG_ES; seg <= VTX_SREG_GS; seg++)
		seg_reset(seg, 0, 0, AR_DATA_RW_ACCESSED);
	seg_reset(VTX_SREG_CS, RESET_CS_SELECTOR, RESET_CS_BASE,
		  AR_CODE_RX_ACCESSED);
	seg_reset(VTX_SREG_LDTR, 0, 0, AR_LDT);
	seg_reset(VTX_SREG_TR, 0, 0, AR_TSS_BUSY);
	vmcs_writel(GUEST_GDTR_BASE, 0);
	vmcs_write32(GUEST_GDTR_LIMIT, RESET_SEG_LIMIT);
	vmcs_writel(GUEST_IDTR_BASE, 0);
	vmcs_write32(GUEST_IDTR_LIMIT, RESET_SEG_LIMIT);
	vmcs_writel(GUEST_RIP, RESET_RIP);
	vmcs_writel(GUEST_RSP, 0);
	vmcs_writel(GUEST_RFLAGS, RESET_RFLAGS);
	/* Shadow paging: the processor walks vtx's tables (spt.c). */
	vmcs_writel(GUEST_CR3,
		    vtx_shadow_paging ? vtx_shadow_root_pa(vcpu, false) : 0);
	vmx->guest_cr3 = 0;
	vmx_set_dr7(vcpu, RESET_DR7);
	vmcs_write64(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write64(GUEST_IA32_PAT, RESET_PAT);
	vmcs_write32(GUEST_SYSENTER_CS, 0);
	vmcs_writel(GUEST_SYSENTER_ESP, 0);
	vmcs_writel(GUEST_SYSENTER_EIP, 0);
	vmcs_write32(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmx->nmi_known_unmasked = true;
	vmcs_writel(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vcpu->cached = 0;

	vcpu->dr6 = RESET_DR6;
	vcpu->efer = 0;
	vtx_set_efer(vcpu, 0);
	vcpu->cr4 = 0;
	vtx_set_cr4(vcpu, 0);
	vcpu->cr0 = RESET_CR0;
	vtx_set_cr0(vcpu, RESET_CR0);
}

unsigned long vtx_get_cr0(struct vtx_vcpu *vcpu)
{
	return (vcpu->cr0 & ~VTX_CR0_GUEST_OWNED) |
	       (vmcs_readl(GUEST_CR0) & VTX_CR0_GUEST_OWNED);
}

unsigned long vmx_get_cr4(struct vtx_vcpu *vcpu)
{
	return vcpu->cr4;
}

static void update_entry_ia32e(struct vtx_vcpu *vcpu)
{
	u32 entry = vtx_caps.entry;

	if (vcpu->efer & EFER_LMA)
		entry |= VM_ENTRY_IA32E_MODE;
	vmcs_write32(VM_ENTRY_CONTROLS, entry);
}

/**
 * vtx_set_efer() - set the guest's EFER, LMA included, as given.
 * @vcpu:	the loaded vCPU
 * @efer:	new value; the caller validated it
 */
void vtx_set_efer(struct vtx_vcpu *vcpu, u64 efer)
{
	vcpu->efer = efer;
	update_entry_ia32e(vcpu);
	if (!vtx_shadow_paging) {
		vmcs_write64(GUEST_IA32_EFER, efer);
		return;
	}
	/*
	 * Shadow paging: the processor walks only vtx's tables, which may
	 * use execute-disable whatever the guest's NXE (spt.c), as KVM's.
	 * It pages in any case: outside IA-32e mode with PAE paging from the
	 * PAE root, and LME (of a guest about to turn paging on) would ask
	 * for IA-32e mode, which VM entry refuses without LMA.
	 */
	if (!(efer & EFER_LMA))
		efer &= ~EFER_LME;
	vmcs_write64(GUEST_IA32_EFER, efer | EFER_NX);
	vmcs_writel(GUEST_CR3, vtx_shadow_root_pa(vcpu, efer & EFER_LMA));
}

/*
 * The processor's CR4.  Shadow paging: PAE outside IA-32e mode (vtx's
 * tables are PAE ones there: x86/mmu/shadow.c); without the guest's
 * paging (an identity map of user pages) no SMEP, SMAP or protection
 * keys, which that guest's accesses never see (as KVM).
 */
static void update_hw_cr4(struct vtx_vcpu *vcpu)
{
	unsigned long hw = vcpu->cr4 | vtx_caps.cr4_fixed0;

	if (vtx_shadow_paging) {
		hw |= X86_CR4_PAE;
		if (!(vcpu->cr0 & X86_CR0_PG))
			hw &= ~(X86_CR4_SMEP | X86_CR4_SMAP | X86_CR4_PKE);
	}
	/*
	 * Real mode in vm86 (rmode.c): INT n by the IVT (VME); RDTSC,
	 * SGDT, SIDT and SMSW allowed at its CPL 3 as at real mode's 0.
	 */
	if (vmx_vm86(vcpu))
		hw = (hw | X86_CR4_VME) &
		     ~(X86_CR4_PVI | X86_CR4_TSD | X86_CR4_UMIP);
	vmcs_writel(GUEST_CR4, hw & vtx_caps.cr4_fixed1);
}

/**
 * vtx_set_cr0() - set the guest's CR0 and derive the hardware value.
 * @vcpu:	the loaded vCPU
 * @cr0:	the value the guest sees; the caller validated it and
 *		switched EFER.LMA if paging changed in long mode
 */
void vtx_set_cr0(struct vtx_vcpu *vcpu, unsigned long cr0)
{
	unsigned long hw;

	vcpu->cr0 = cr0;
	/* Shadow paging: real mode runs in virtual-8086 mode (rmode.c). */
	vtx_rmode_update(vcpu);
	/*
	 * Unrestricted guest exempts PE and PG from the fixed-1 bits.  Shadow
	 * paging has none, and keeps WP so that no write bypasses a
	 * read-only shadow leaf (spt.c; the guest's WP=0 is emulated).
	 */
	hw = (cr0 & ~VTX_CR0_ALWAYS_OFF) |
	     (vtx_caps.cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG));
	if (vtx_shadow_paging)
		hw |= vtx_caps.cr0_fixed0 | X86_CR0_WP;
	/* no alignment checks at vm86's CPL 3 that real mode never makes */
	if (vmx_vm86(vcpu))
		hw &= ~X86_CR0_AM;
	hw &= vtx_caps.cr0_fixed1;
	vmcs_writel(CR0_READ_SHADOW, cr0);
	vmcs_writel(GUEST_CR0, hw);
	if (vtx_shadow_paging)
		update_hw_cr4(vcpu);	/* it depends on the guest's PG */
}

/**
 * vtx_update_proc2() - write the secondary controls the vCPU's state asks
 * for.
 * @vcpu:	the loaded vCPU
 *
 * Beyond vtx_caps.proc2: VPID unless the vCPU has none (it then runs
 * flushed at each entry); INVPCID when the guest's CPUID offers it (without
 * it INVPCID raises #UD, as KVM has it); XSAVES/XRSTORS when it offers
 * XSAVE and XSAVES (else #UD); descriptor-table exiting while the
 * guest's CR4.UMIP is set on a processor without UMIP; APICv's for the
 * APIC's mode (apicv.c).
 */
void vtx_update_proc2(struct vtx_vcpu *vcpu)
{
	u32 proc2 = vtx_caps.proc2 | to_vmx(vcpu)->apicv_proc2;

	if (!to_vmx(vcpu)->vpid)
		proc2 &= ~SECONDARY_EXEC_ENABLE_VPID;
	if (vtx_caps.has_invpcid &&
	    vtx_guest_cpuid_has(vcpu, X86_FEATURE_INVPCID))
		proc2 |= SECONDARY_EXEC_ENABLE_INVPCID;
	to_vmx(vcpu)->xsaves = vtx_caps.has_xsaves &&
			       vtx_guest_cpuid_has(vcpu, X86_FEATURE_XSAVE) &&
			       vtx_guest_cpuid_has(vcpu, X86_FEATURE_XSAVES);
	if (to_vmx(vcpu)->xsaves)
		proc2 |= SECONDARY_EXEC_ENABLE_XSAVES;
	if (vtx_caps.umip_emulated && (vcpu->cr4 & X86_CR4_UMIP))
		proc2 |= SECONDARY_EXEC_DESC;
	vmcs_write32(SECONDARY_VM_EXEC_CONTROL, proc2);
}

/* CR4 bits that exist only with a CPUID feature (KVM's list). */
static const struct {
	unsigned long cr4;
	unsigned int feature;
} cr4_features[] = {
	{ X86_CR4_OSXSAVE,	X86_FEATURE_XSAVE },
	{ X86_CR4_SMEP,		X86_FEATURE_SMEP },
	{ X86_CR4_SMAP,		X86_FEATURE_SMAP },
	{ X86_CR4_FSGSBASE,	X86_FEATURE_FSGSBASE },
	{ X86_CR4_UMIP,		X86_FEATURE_UMIP },
	{ X86_CR4_PCIDE,	X86_FEATURE_PCID },
};

/**
 * vtx_cr4_valid() - may the guest have this CR4?
 * @vcpu:	the vCPU
 * @cr4:	the proposed value
 *
 * What VMX allows, minus what vtx hides, minus the bits of features the
 * vCPU's CPUID table does not offer (#GP for MOV to CR4, -EINVAL for
 * KVM_SET_SREGS).  Before KVM_SET_CPUID2 no table restricts CR4, as in
 * KVM 6.1, which computes its guest-reserved bits from the table.
 *
 * Return: true if @cr4 is valid.
 */
bool vtx_cr4_valid(struct vtx_vcpu *vcpu, unsigned long cr4)
{
	unsigned long hidden = X86_CR4_VMXE | X86_CR4_SMXE | X86_CR4_PKE |
			       X86_CR4_LA57 | X86_CR4_CET;
	unsigned long allowed = vtx_caps.cr4_fixed1;
	unsigned int i;

	if (vtx_caps.umip_emulated)
		allowed |= X86_CR4_UMIP;
	if ((cr4 & hidden) || (cr4 & ~allowed))
		return false;
	if (!vcpu->cpuid_nent)
		return true;
	for (i = 0; i < ARRAY_SIZE(cr4_features); i++)
		if ((cr4 & cr4_features[i].cr4) &&
		    !vtx_guest_cpuid_has(vcpu, cr4_features[i].feature))
			return false;
	return true;
}

/**
 * vtx_set_cr4() - set the guest's CR4; VMXE stays on in hardware.
 * @vcpu:	the loaded vCPU
 * @cr4:	the value the guest sees; the caller validated it
 *
 * An emulated UMIP stays out of the hardware CR4 (its fixed-1 bits drop
 * it): descriptor-table exits do its work instead.
 */
void vtx_set_cr4(struct vtx_vcpu *vcpu, unsigned long cr4)
{
	bool umip_changed = (cr4 ^ vcpu->cr4) & X86_CR4_UMIP;

	vcpu->cr4 = cr4;
	vmcs_writel(CR4_READ_SHADOW, cr4);
	update_hw_cr4(vcpu);
	if (umip_changed && vtx_caps.umip_emulated)
		vtx_update_proc2(vcpu);
}

/**
 * vtx_flush_guest_tlb() - drop the vCPU's cached linear translations.
 * @vcpu:	the loaded vCPU
 *
 * Needed after vtx changes paging state itself (an emulated MOV to CR0 or
 * CR4, KVM_SET_SREGS): the processor's own flush never happened.  Without
 * a VPID every VM entry flushes them anyway.
 */
void vtx_flush_guest_tlb(struct vtx_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	if (vtx_shadow_paging) {
		vtx_spt_flush(vcpu);
		return;
	}
	if (vmx->vpid)
		vtx_invvpid(VMX_VPID_EXTENT_SINGLE_CONTEXT, vmx->vpid, 0);
}

/* PAE PDPTE bits 2:1 and 8:5 are reserved (SDM vol. 3, 4.4.1). */
#define PDPTE_RSVD_LOW		(GENMASK_ULL(2, 1) | GENMASK_ULL(8, 5))
/* PAE paging outside IA-32e mode: CR3 bits 4:0 are ignored */
#define PAE_CR3_LOW		0x1full

/**
 * vtx_load_pdptrs_from() - load the four PAE PDPTEs into the VMCS.
 * @vcpu:	the loaded vCPU, in PAE paging outside IA-32e mode
 * @cr3:	the guest's CR3 they come from
 *
 * The processor loads them itself on a MOV to CR3 in the guest; after CR0,
 * CR4 or SREGS changes that vtx performs, vtx must, with the checks the
 * processor makes: a present PDPTE with reserved bits is refused (as
 * KVM's load_pdptrs() does), address bits from the vCPU's MAXPHYADDR up
 * (and from the host's, which the VM entry checks).  In the VMCS it would fail every later
 * VM entry ("invalid guest state"), whatever userspace set afterwards.
 *
 * Under shadow paging, where the guest's MOV to CR3 exits too (spt.c),
 * they go to vcpu_vmx.spt_pdptrs, for vtx's walk of the guest's tables:
 * the processor's PDPTEs are the shadow PAE root's.
 *
 * Return: 0, -EFAULT if CR3 does not point into guest memory, or -EINVAL
 * for a present PDPTE with reserved bits; nothing is changed then.
 */
int vtx_load_pdptrs_from(struct vtx_vcpu *vcpu, unsigned long cr3)
{
	u64 rsvd = PDPTE_RSVD_LOW | vtx_rsvd_gpa_bits_hw(vcpu);
	u64 pdpte[4];
	int r, i;

	r = vtx_vcpu_read_guest_phys(vcpu, cr3 & ~PAE_CR3_LOW, pdpte,
				     sizeof(pdpte));
	if (r)
		return r;
	for (i = 0; i < ARRAY_SIZE(pdpte); i++)
		if ((pdpte[i] & _PAGE_PRESENT) && (pdpte[i] & rsvd))
			return -EINVAL;
	if (vtx_shadow_paging) {
		memcpy(to_vmx(vcpu)->spt_pdptrs, pdpte, sizeof(pdpte));
		return 0;
	}
	vmcs_write64(GUEST_PDPTR0, pdpte[0]);
	vmcs_write64(GUEST_PDPTR1, pdpte[1]);
	vmcs_write64(GUEST_PDPTR2, pdpte[2]);
	vmcs_write64(GUEST_PDPTR3, pdpte[3]);
	return 0;
}

/**
 * vtx_load_pdptrs() - load the PAE PDPTEs from the guest's CR3.
 * @vcpu:	the loaded vCPU, in PAE paging outside IA-32e mode
 *
 * Return: as vtx_load_pdptrs_from().
 */
int vtx_load_pdptrs(struct vtx_vcpu *vcpu)
{
	return vtx_load_pdptrs_from(vcpu, vtx_get_cr3(vcpu));
}

/**
 * vtx_get_segment() - read a segment register as KVM's struct kvm_segment.
 * @var:	filled in
 * @seg:	enum vtx_sreg
 */
void vtx_get_segment(struct kvm_segment *var, int seg)
{
	u32 ar = vmcs_read32(GUEST_ES_AR_BYTES + seg * 2);

	memset(var, 0, sizeof(*var));
	var->base = vmcs_readl(GUEST_ES_BASE + seg * 2);
	var->limit = vmcs_read32(GUEST_ES_LIMIT + seg * 2);
	var->selector = vmcs_read16(GUEST_ES_SELECTOR + seg * 2);
	var->unusable = !!(ar & VMX_AR_UNUSABLE_MASK);
	var->type = ar & VMX_AR_TYPE_MASK;
	var->s = !!(ar & VMX_AR_S_MASK);
	var->dpl = VMX_AR_DPL(ar);
	/* Unusable segments read as not present, as KVM reports them. */
	var->present = !var->unusable && (ar & VMX_AR_P_MASK);
	var->avl = !!(ar & VMX_AR_AVL_MASK);
	var->l = !!(ar & VMX_AR_L_MASK);
	var->db = !!(ar & VMX_AR_DB_MASK);
	var->g = !!(ar & VMX_AR_G_MASK);
}

/**
 * vtx_set_segment() - write a segment register from a struct kvm_segment.
 * @var:	the value; a segment not present is unusable
 * @seg:	enum vtx_sreg
 */
void vtx_set_segment(const struct kvm_segment *var, int seg)
{
	u32 ar;

	if (var->unusable || !var->present)
		ar = VMX_AR_UNUSABLE_MASK;
	else
		ar = (var->type & VMX_AR_TYPE_MASK) |
		     (var->s ? VMX_AR_S_MASK : 0) |
		     ((var->dpl & 3) << VMX_AR_DPL_SHIFT) | VMX_AR_P_MASK |
		     (var->avl ? VMX_AR_AVL_MASK : 0) |
		     (var->l ? VMX_AR_L_MASK : 0) |
		     (var->db ? VMX_AR_DB_MASK : 0) |
		     (var->g ? VMX_AR_G_MASK : 0);
	vmcs_write16(GUEST_ES_SELECTOR + seg * 2, var->selector);
	vmcs_writel(GUEST_ES_BASE + seg * 2, var->base);
	vmcs_write32(GUEST_ES_LIMIT + seg * 2, var->limit);
	vmcs_write32(GUEST_ES_AR_BYTES + seg * 2, ar);
}

/* For a failed entry, with the dump_invalid_vmcs module parameter. */
void vtx_dump_vmcs(void)
{
	int seg;

	pr_err("VMCS: pin 0x%x proc 0x%x proc2 0x%x entry 0x%x exit 0x%x\n",
	       vmcs_read32(PIN_BASED_VM_EXEC_CONTROL),
	       vmcs_read32(CPU_BASED_VM_EXEC_CONTROL),
	       vmcs_read32(SECONDARY_VM_EXEC_CONTROL),
	       vmcs_read32(VM_ENTRY_CONTROLS), vmcs_read32(VM_EXIT_CONTROLS));
	pr_err("guest: cr0 0x%lx cr3 0x%lx cr4 0x%lx efer 0x%llx rip 0x%lx rsp 0x%lx rflags 0x%lx\n",
	       vmcs_readl(GUEST_CR0), vmcs_readl(GUEST_CR3),
	       vmcs_readl(GUEST_CR4), vmcs_read64(GUEST_IA32_EFER),
	       vmcs_readl(GUEST_RIP), vmcs_readl(GUEST_RSP),
	       vmcs_readl(GUEST_RFLAGS));
	for (seg = VTX_SREG_ES; seg <= VTX_SREG_TR; seg++)
		pr_err("seg %d: sel 0x%04x base 0x%lx limit 0x%x ar 0x%x\n",
		       seg, vmcs_read16(GUEST_ES_SELECTOR + seg * 2),
		       vmcs_readl(GUEST_ES_BASE + seg * 2),
		       vmcs_read32(GUEST_ES_LIMIT + seg * 2),
		       vmcs_read32(GUEST_ES_AR_BYTES + seg * 2));
	pr_err("gdtr 0x%lx/0x%x idtr 0x%lx/0x%x intr-state 0x%x activity %u\n",
	       vmcs_readl(GUEST_GDTR_BASE), vmcs_read32(GUEST_GDTR_LIMIT),
	       vmcs_readl(GUEST_IDTR_BASE), vmcs_read32(GUEST_IDTR_LIMIT),
	       vmcs_read32(GUEST_INTERRUPTIBILITY_INFO),
	       vmcs_read32(GUEST_ACTIVITY_STATE));
}
