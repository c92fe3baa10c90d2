// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - running without EPT: the VMX side of shadow paging
 * (x86/mmu/shadow.c).  The module parameter, the page-table format with
 * its flush, and the exits shadow paging adds: #PF, MOV to/from CR3,
 * INVLPG, INVPCID.  EXPERIMENTAL (milestone 2): guests in protected mode
 * with or without paging (4-level, PAE, 32-bit), and in real mode, which
 * runs in virtual-8086 mode (rmode.c).
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/moduleparam.h>
#include <linux/smp.h>
#include <linux/sysfs.h>
#include <asm/trap_pf.h>
#include "vmx/vmx.h"
#include "x86/mmu/shadow.h"

/* ept=0 asks for shadow paging; it is used without EPT in any case. */
static bool ept_param = true;
module_param_named(ept, ept_param, bool, 0444);
MODULE_PARM_DESC(ept, "Use EPT; 0: shadow page tables (experimental)");

/* Decided at load (vtx_vmx_init()), never changed afterwards. */
bool vtx_shadow_paging;

/*
 * unrestricted_guest (read-only): whether guests run real mode and
 * unpaged protected mode natively, which vtx does exactly when it uses
 * EPT.  kvm_intel's parameter of that name, read the same way (KVM's
 * selftests read it); not a setting here: it follows ept.
 */
static int unrestricted_guest_set(const char *val,
				  const struct kernel_param *kp)
{
	pr_err("unrestricted_guest is not a setting: it follows ept\n");
	return -EINVAL;
}

static int unrestricted_guest_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%c\n", vtx_shadow_paging ? 'N' : 'Y');
}

static const struct kernel_param_ops unrestricted_guest_ops = {
	.set = unrestricted_guest_set,
	.get = unrestricted_guest_get,
};
module_param_cb(unrestricted_guest, &unrestricted_guest_ops, NULL, 0444);
MODULE_PARM_DESC(unrestricted_guest,
		 "Guests run real mode natively (read-only: EPT in use)");

/*
 * Does the probe, with these secondary controls allowed, use EPT?  The
 * parameter then says what is in use, as kvm_intel's enable_ept: N on a
 * processor without EPT whatever was asked.
 */
bool vtx_spt_wanted(u32 proc2_may)
{
	if ((proc2_may & VTX_PROC2_EPT) != VTX_PROC2_EPT)
		ept_param = false;
	return !ept_param;
}

/*
 * A CPU of the VM: drop the translations of every VPID.  A vCPU in the
 * guest takes the IPI as an external-interrupt exit and re-enters after
 * it.
 */
static void spt_flush_ipi(void *unused)
{
	if (vtx_caps.has_vpid)
		vtx_invvpid(VMX_VPID_EXTENT_ALL_CONTEXT, 0, 0);
}

/*
 * Every CPU: the VM-wide flush of the generic code (memslot changes, the
 * MMU notifier), which may run while the VM is torn down, its vCPUs gone.
 */
static void spt_flush_all_cpus(struct vtx_mmu *mmu)
{
	on_each_cpu(spt_flush_ipi, NULL, 1);
}

/*
 * A fault's flush of a write protection, from a vCPU of the VM (so its
 * vCPUs live), under mmu->lock: the CPUs its vCPUs' VMCSs are loaded on
 * (KVM sends its remote flush to the vCPUs' CPUs too), not every CPU.
 * Only there may a vCPU use what its VPID cached: loaded on another CPU
 * (vmx->cpu changes, or was -1 after a VMCLEAR), it flushes its VPID
 * there first (vtx_vcpu_load()).  The full barrier orders the callers'
 * shadow-entry changes before the reads of vmx->cpu: a vCPU those reads
 * miss writes its new CPU, then flushes there, before it can walk a
 * changed entry (the VM entry is serializing).
 */
static void spt_flush_vm_cpus(struct vtx_mmu *mmu)
{
	struct vtx_vm *vm = container_of(mmu, struct vtx_vm, mmu);
	struct cpumask *mask = vtx_shadow_cpumask(mmu);
	unsigned int i, n = vtx_vm_nr_vcpus(vm);
	int cpu;

	/* the callers' entry changes before the reads of vmx->cpu */
	smp_mb();
	cpumask_clear(mask);
	for (i = 0; i < n; i++) {
		cpu = READ_ONCE(to_vmx(vm->vcpus[i])->cpu);
		if (cpu >= 0)
			__cpumask_set_cpu(cpu, mask);
	}
	on_each_cpu_mask(mask, spt_flush_ipi, NULL, true);
}

static void spt_flush(struct vtx_mmu *mmu)
{
	vtx_shadow_flush(mmu, spt_flush_all_cpus);
}

const struct vtx_mmu_format vtx_shadow_format = {
	.name = "shadow",
	/* Guest-frame tables below the root, and shadow tables, per map. */
	.cache_pages = 3,
	.init = vtx_shadow_init,
	.free_tables = vtx_shadow_free_tables,
	.has_2m = vtx_shadow_has_2m,
	.map = vtx_shadow_map,
	.zap = vtx_shadow_zap,
	.flush = spt_flush,
	.track_write = vtx_shadow_track_write,
};

static void spt_flush_vpid(struct vtx_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	if (vmx->vpid)
		vtx_invvpid(VMX_VPID_EXTENT_SINGLE_CONTEXT, vmx->vpid, 0);
}

/**
 * vtx_spt_flush() - the vCPU's TLB flush under shadow paging: drop its
 * shadow tables and its VPID's translations.
 * @vcpu:	the loaded vCPU
 */
void vtx_spt_flush(struct vtx_vcpu *vcpu)
{
	vtx_shadow_reset(vcpu);
	vtx_shadow_reclaim(vcpu, spt_flush_vpid);
}

/**
 * vtx_spt_new_cr3() - the guest's CR3 changed: the shadow tables of that
 * address space (kept if the vCPU had them) and a flush of its VPID.
 * @vcpu:	the loaded vCPU, its guest CR3 and paging mode set
 * @cr3:	the guest's CR3
 */
void vtx_spt_new_cr3(struct vtx_vcpu *vcpu, unsigned long cr3)
{
	vtx_shadow_load_cr3(vcpu, cr3);
	vmcs_writel(GUEST_CR3,
		    vtx_shadow_root_pa(vcpu, vcpu->efer & EFER_LMA));
	vtx_shadow_reclaim(vcpu, spt_flush_vpid);
}

/**
 * vtx_spt_mode_ok() - can the vCPU run with shadow paging?
 * @vcpu:	the vCPU
 *
 * Without unrestricted guest the processor runs only protected mode with
 * paging: vtx's tables (4-level in IA-32e mode, else PAE with the same
 * tables below, x86/mmu/shadow.c) translate every guest paging mode, and
 * the guest's absence of paging with an identity map, real mode in
 * virtual-8086 mode on it (rmode.c).  5-level paging needs a fifth level.
 *
 * Return: false with LA57.
 */
bool vtx_spt_mode_ok(struct vtx_vcpu *vcpu)
{
	return !(vcpu->cr4 & X86_CR4_LA57);
}

/**
 * vtx_spt_refuse() - KVM_RUN of a vCPU that shadow paging cannot run.
 * @vcpu:	the vCPU, in a mode vtx_spt_mode_ok() refuses
 *
 * Return: 0 with KVM_EXIT_INTERNAL_ERROR (emulation) in kvm_run.
 */
int vtx_spt_refuse(struct vtx_vcpu *vcpu)
{
	pr_warn_ratelimited("shadow paging runs no 5-level paging (cr0 0x%lx cr4 0x%lx efer 0x%llx)\n",
			    vcpu->cr0, vcpu->cr4, vcpu->efer);
	return vmx_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION);
}

/**
 * vtx_spt_handle_pf() - a #PF exit.
 * @vcpu:	the vCPU, at the exit
 *
 * Return: as an exit handler.
 */
int vtx_spt_handle_pf(struct vtx_vcpu *vcpu)
{
	struct vtx_shadow_fault f = {
		.gva = vmcs_readl(EXIT_QUALIFICATION),
		.error_code = vmcs_read32(VM_EXIT_INTR_ERROR_CODE),
		.flush_cpus = spt_flush_vm_cpus,
	};
	bool flush_local = false, load_root = false;
	int r = 1, srcu;

	srcu = srcu_read_lock(&vcpu->vm->srcu);
again:
	switch (vtx_shadow_page_fault(vcpu, &f)) {
	case VTX_SHADOW_RETRY:
		break;
	case VTX_SHADOW_EMULATE:
		/*
		 * A write to a write-protected guest table: emulated, or (an
		 * instruction the emulator leaves, an event being delivered)
		 * the fault again, unprotecting the table.
		 */
		if (!(vmcs_read32(IDT_VECTORING_INFO_FIELD) &
		      VECTORING_INFO_VALID_MASK) &&
		    vtx_emulate_table_write(vcpu, f.gva))
			break;
		flush_local |= f.flush_local;
		load_root |= f.load_root;
		f.error_code = vmcs_read32(VM_EXIT_INTR_ERROR_CODE);
		f.no_emulate = true;
		goto again;
	case VTX_SHADOW_GUEST_PF:
		vcpu->cr2 = f.gva;
		vtx_queue_exception(vcpu, X86_TRAP_PF, true, f.error_code);
		break;
	case VTX_SHADOW_MMIO: {
		struct vtx_mmio_fault m = {
			.gpa = f.gpa,
			.linear = f.gva,
			.write = f.write,
			.linear_valid = true,
		};

		if (vmcs_read32(IDT_VECTORING_INFO_FIELD) &
		    VECTORING_INFO_VALID_MASK)
			r = vmx_internal_error(vcpu,
					       KVM_INTERNAL_ERROR_DELIVERY_EV);
		else
			r = vtx_handle_mmio(vcpu, &m);
		break;
	}
	case VTX_SHADOW_EFAULT:
		pr_warn_ratelimited("guest memory at 0x%llx not accessible\n",
				    f.gpa);
		r = -EFAULT;
		break;
	case VTX_SHADOW_ENOMEM:
		r = -ENOMEM;
		break;
	}
	srcu_read_unlock(&vcpu->vm->srcu, srcu);
	if (f.load_root || load_root)
		vmcs_writel(GUEST_CR3,
			    vtx_shadow_root_pa(vcpu, vcpu->efer & EFER_LMA));
	if (f.flush_local || flush_local)
		vtx_shadow_reclaim(vcpu, spt_flush_vpid);
	return r;
}

/*
 * MOV to CR3: keep the guest's value; the shadow tables of the address
 * space it selects (vtx_spt_new_cr3()).  PAE
 * paging outside IA-32e mode loads the PDPTEs, #GP(0) for a present one
 * with reserved bits (SDM vol. 3, 4.4.1), CR3 unchanged then.
 */
int vtx_spt_set_cr3(struct vtx_vcpu *vcpu, unsigned long val)
{
	if (vcpu->cr4 & X86_CR4_PCIDE)
		val &= ~X86_CR3_PCID_NOFLUSH;
	/* the guest's CR3 stays in software: the vCPU's MAXPHYADDR */
	if (val & vtx_rsvd_gpa_bits(vcpu))
		return vmx_inject_gp(vcpu);
	if (vmx_pae_legacy_paging(vcpu, vcpu->cr0, vcpu->cr4) &&
	    vtx_load_pdptrs_from(vcpu, val))
		return vmx_inject_gp(vcpu);
	vmx_set_cr3(vcpu, val);
	return vmx_skip_exit_instruction(vcpu);
}

/*
 * Drop @gva's 4 KiB page from the vCPU's VPID, or every translation of it
 * when @all (without a VPID every entry flushes): INVVPID of the address
 * where the processor has it and the address is canonical (else INVVPID
 * fails), else of the whole VPID.
 */
static void spt_flush_gva(struct vtx_vcpu *vcpu, u64 gva, bool all)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	if (!vmx->vpid)
		return;
	if (!all &&
	    (vtx_caps.ept_vpid &
	     ((u64)VMX_VPID_EXTENT_INDIVIDUAL_ADDR_BIT << 32)) &&
	    __is_canonical_address(gva, VTX_VADDR_BITS))
		vtx_invvpid(VMX_VPID_EXTENT_INDIVIDUAL_ADDR, vmx->vpid, gva);
	else
		vtx_invvpid(VMX_VPID_EXTENT_SINGLE_CONTEXT, vmx->vpid, 0);
}

/*
 * One page's translation goes: its shadow leaves, then the VPID's; a
 * guest large page's 4 KiB leaves are as many TLB entries of the
 * processor, so the whole VPID is flushed then.
 */
static void spt_invlpg(struct vtx_vcpu *vcpu, u64 gva)
{
	if (vtx_shadow_invlpg(vcpu, gva))
		vtx_shadow_reclaim(vcpu, spt_flush_vpid);
	else
		spt_flush_gva(vcpu, gva, false);
}

/* INVLPG: the address's page only (the exit qualification). */
int vtx_spt_handle_invlpg(struct vtx_vcpu *vcpu)
{
	if (!vtx_shadow_paging)
		return vmx_internal_error(vcpu,
				KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON);
	spt_invlpg(vcpu, vmcs_readl(EXIT_QUALIFICATION));
	return vmx_skip_exit_instruction(vcpu);
}

/* INVPCID types (SDM vol. 2, INVPCID) and its descriptor. */
#define INVPCID_ADDR		0
#define INVPCID_CONTEXT		1
#define INVPCID_MAX_TYPE	3
#define INVPCID_PCID_MASK	GENMASK_ULL(11, 0)
#define INSN_INFO_REG2(i)	(((i) >> 28) & 0xf)

struct invpcid_desc {
	u64 pcid;
	u64 addr;
};

/**
 * vtx_spt_handle_invpcid() - INVPCID under shadow paging.
 * @vcpu:	the vCPU, at the exit
 *
 * The checks the processor makes after the exit (the CPL and mode ones
 * come before it): #GP for a type above 3, a descriptor with bits 63:12
 * set, a non-canonical address (type 0), a PCID other than 0 without
 * CR4.PCIDE (types 0 and 1); the descriptor's read faults as the
 * instruction's would.  Type 0 drops one page, as INVLPG; the others drop
 * every translation (the shadow tables do not keep PCIDs apart).
 *
 * Return: as an exit handler.
 */
int vtx_spt_handle_invpcid(struct vtx_vcpu *vcpu)
{
	u32 info = vmcs_read32(VMX_INSTRUCTION_INFO);
	u64 type = vtx_reg_read(vcpu, INSN_INFO_REG2(info)), linear;
	struct invpcid_desc d;
	int r;

	if (!vtx_shadow_paging)
		return vmx_internal_error(vcpu,
				KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON);
	if (!vmx_in_64bit_code(vcpu))
		type = (u32)type;
	if (type > INVPCID_MAX_TYPE)
		return vmx_inject_gp(vcpu);
	r = vmx_mem_operand(vcpu, info, sizeof(d), false, &linear);
	if (!r)
		r = vtx_guest_virt_copy(vcpu, linear, &d, sizeof(d), false);
	if (r == -EAGAIN)
		return 1;	/* the guest's exception is queued */
	if (r)
		return vmx_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION);
	if (d.pcid & ~INVPCID_PCID_MASK)
		return vmx_inject_gp(vcpu);
	if (type <= INVPCID_CONTEXT && d.pcid &&
	    !(vcpu->cr4 & X86_CR4_PCIDE))
		return vmx_inject_gp(vcpu);
	if (type == INVPCID_ADDR) {
		if (!__is_canonical_address(d.addr, VTX_VADDR_BITS))
			return vmx_inject_gp(vcpu);
		spt_invlpg(vcpu, d.addr);
	} else {
		vtx_spt_flush(vcpu);
	}
	return vmx_skip_exit_instruction(vcpu);
}
