// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - the VMX backend's table (vtx_vmx_ops): the entry points core/ and
 * x86/ reach it through, and the small accessors among them that only
 * translate between the generic state and the VMCS.
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/slab.h>
#include "vmx/vmx.h"
#include "x86/mmu/shadow.h"

static int vmx_hardware_setup(void)
{
	int r = vtx_vmx_init();

	if (r)
		return r;
	vtx_vmcs_percpu_init();
	vtx_x86_caps.rdtscp = vtx_caps.proc2 & SECONDARY_EXEC_ENABLE_RDTSCP;
	vtx_x86_caps.invpcid = vtx_caps.has_invpcid;
	vtx_x86_caps.xsaves = vtx_caps.has_xsaves;
	vtx_x86_caps.umip_emulated = vtx_caps.umip_emulated;
	vtx_x86_caps.l1d_flush_not_needed = vtx_l1d_flush_not_needed_nested();
	if (vtx_shadow_paging)
		vtx_x86_ops.mmu_format = &vtx_shadow_format;
	return 0;
}

static int vmx_vcpu_create(struct vtx_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	int cpu;

	vmx->vmcs = vtx_alloc_vmcs();
	if (!vmx->vmcs)
		return -ENOMEM;
	vtx_alloc_inc(VTX_ALLOC_VMCS);
	vmx->cpu = -1;
	INIT_LIST_HEAD(&vmx->loaded_link);
	if (vmx_apicv_vcpu_create(vcpu)) {
		vmx_apicv_vcpu_free(vcpu);
		vtx_free_vmcs(vmx->vmcs);
		vtx_alloc_dec(VTX_ALLOC_VMCS);
		return -ENOMEM;
	}
	vmx->vpid = vtx_alloc_vpid();
	if (vtx_shadow_paging) {
		int r = vtx_shadow_vcpu_init(vcpu);

		if (r) {
			vtx_free_vpid(vmx->vpid);
			vmx_apicv_vcpu_free(vcpu);
			vtx_free_vmcs(vmx->vmcs);
			vtx_alloc_dec(VTX_ALLOC_VMCS);
			return r;
		}
	}

	cpu = get_cpu();
	vtx_vcpu_load(vcpu, cpu);
	vtx_vmcs_init(vcpu);
	put_cpu();
	return 0;
}

static void vmx_vcpu_free(struct vtx_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	vtx_vmcs_clear(vcpu);
	vtx_free_vmcs(vmx->vmcs);
	vtx_alloc_dec(VTX_ALLOC_VMCS);
	vtx_free_vpid(vmx->vpid);
	vmx_apicv_vcpu_free(vcpu);
}

/* SMM entered or left: the EPT tables of the vCPU's address space */
static void vmx_smm_changed(struct vtx_vcpu *vcpu)
{
	if (vtx_shadow_paging) {
		vtx_spt_flush(vcpu);
		return;
	}
	vmcs_write64(EPT_POINTER,
		     vtx_ept_pointer(&vcpu->vm->mmu, vtx_vcpu_as(vcpu)));
}

/* #BP exits while the debugger sets software breakpoints (x86/debug.c) */
static void vmx_update_exception_bitmap(struct vtx_vcpu *vcpu)
{
	u32 eb = VTX_EXCEPTION_BITMAP;

	if (vtx_shadow_paging)
		eb |= BIT(X86_TRAP_PF);
	/* vm86: every exception is vtx's to emulate or reflect (rmode.c) */
	if (vmx_vm86(vcpu))
		eb = ~0u;

	if (vcpu->guest_debug & KVM_GUESTDBG_USE_SW_BP)
		eb |= BIT(X86_TRAP_BP);
	vmcs_write32(EXCEPTION_BITMAP, eb);
}

static void vmx_skip_instruction_op(struct vtx_vcpu *vcpu, u32 len)
{
	vmx_skip_instruction(vcpu, len);
}

/* The VMCS's segment fields are spaced by 2, in VTX_SREG_* order. */
static u64 vmx_get_segment_base(struct vtx_vcpu *vcpu, int seg)
{
	return vmcs_readl(GUEST_ES_BASE + seg * 2);
}

static void vmx_cache_reg(struct vtx_vcpu *vcpu, enum vtx_cache reg)
{
	switch (reg) {
	case VTX_CACHE_RIP:
		vmx_rip(vcpu);
		break;
	case VTX_CACHE_RFLAGS:
		vmx_rflags(vcpu);
		break;
	case VTX_CACHE_RSP:
		vcpu->regs[VTX_RSP] = vmcs_readl(GUEST_RSP);
		vcpu->cached |= BIT(VTX_CACHE_RSP);
		break;
	case VTX_CACHE_CR3:
		vcpu->c_cr3 = vtx_shadow_paging ? to_vmx(vcpu)->guest_cr3 :
						  vmcs_readl(GUEST_CR3);
		vcpu->cached |= BIT(VTX_CACHE_CR3);
		break;
	case VTX_CACHE_CPL:
		vcpu->c_cpl = vmx_cpl(vcpu);
		vcpu->cached |= BIT(VTX_CACHE_CPL);
		break;
	default:
		WARN_ON_ONCE(1);
	}
}

static void vmx_get_emu_env(struct vtx_vcpu *vcpu, struct vtx_emu_env *env)
{
	u32 cs_ar = vmx_cs_ar(vcpu);
	int seg;

	env->cs_db = cs_ar & VMX_AR_DB_MASK;
	env->cs_l = cs_ar & VMX_AR_L_MASK;
	env->ss_db = vmcs_read32(GUEST_SS_AR_BYTES) & VMX_AR_DB_MASK;
	for (seg = VTX_SREG_ES; seg <= VTX_SREG_GS; seg++)
		env->seg_base[seg] = vmx_get_segment_base(vcpu, seg);
	env->rip = vmx_rip(vcpu);
	env->rflags = vmx_rflags(vcpu);
	if (!(vcpu->cached & BIT(VTX_CACHE_RSP))) {
		vcpu->regs[VTX_RSP] = vmcs_readl(GUEST_RSP);
		vcpu->cached |= BIT(VTX_CACHE_RSP);
	}
	env->rsp = vcpu->regs[VTX_RSP];
	/* What the page walks of the emulated access will ask for. */
	vmx_cache_reg(vcpu, VTX_CACHE_CR3);
	vmx_cache_reg(vcpu, VTX_CACHE_CPL);
}

static void vmx_emu_writeback(struct vtx_vcpu *vcpu, unsigned long rip,
			      unsigned long rsp, unsigned long rflags)
{
	vmcs_writel(GUEST_RSP, rsp);
	vcpu->regs[VTX_RSP] = rsp;
	vcpu->cached |= BIT(VTX_CACHE_RSP);
	if (rip != vmx_rip(vcpu)) {
		vmx_set_rip(vcpu, rip);
		/* the emulated instruction is done: a single step ends */
		if (unlikely(vcpu->guest_debug & KVM_GUESTDBG_SINGLESTEP))
			vmx_debug_step_done(vcpu);
	}
	vmx_set_rflags(vcpu, rflags);
	vmx_clear_intr_shadow(vcpu);
}

static void vmx_set_reg(struct vtx_vcpu *vcpu, enum vtx_cache reg,
			unsigned long val)
{
	switch (reg) {
	case VTX_CACHE_RIP:
		vmx_set_rip(vcpu, val);
		break;
	case VTX_CACHE_RFLAGS:
		vmx_set_rflags(vcpu, val);
		break;
	case VTX_CACHE_RSP:
		vmcs_writel(GUEST_RSP, val);
		vcpu->regs[VTX_RSP] = val;
		vcpu->cached |= BIT(VTX_CACHE_RSP);
		break;
	default:
		WARN_ON_ONCE(1);
	}
}

static void vmx_get_segment(struct vtx_vcpu *vcpu, struct kvm_segment *var,
			    int seg)
{
	if (vmx_vm86(vcpu))
		vtx_rmode_get_segment(vcpu, var, seg);
	else
		vtx_get_segment(var, seg);
}

static void vmx_set_segment(struct vtx_vcpu *vcpu,
			    const struct kvm_segment *var, int seg)
{
	if (vmx_vm86(vcpu))
		vtx_rmode_set_segment(vcpu, var, seg);
	else
		vtx_set_segment(var, seg);
	if (seg == VTX_SREG_CS)
		vcpu->cached &= ~BIT(VMX_CACHE_CS_AR);
	if (seg == VTX_SREG_SS)
		vcpu->cached &= ~BIT(VTX_CACHE_CPL);
}

static int vmx_get_cpl_op(struct vtx_vcpu *vcpu)
{
	return vmx_cpl(vcpu);
}

static void vmx_get_cs_db_l_bits(struct vtx_vcpu *vcpu, bool *db, bool *l)
{
	u32 ar = vmx_cs_ar(vcpu);

	*db = ar & VMX_AR_DB_MASK;
	*l = ar & VMX_AR_L_MASK;
}

static void vmx_get_dt(struct vtx_vcpu *vcpu, struct kvm_dtable *dt,
		       bool idt)
{
	dt->base = vmcs_readl(idt ? GUEST_IDTR_BASE : GUEST_GDTR_BASE);
	dt->limit = vmcs_read32(idt ? GUEST_IDTR_LIMIT : GUEST_GDTR_LIMIT);
}

static void vmx_set_dt(struct vtx_vcpu *vcpu, const struct kvm_dtable *dt,
		       bool idt)
{
	vmcs_writel(idt ? GUEST_IDTR_BASE : GUEST_GDTR_BASE, dt->base);
	vmcs_write32(idt ? GUEST_IDTR_LIMIT : GUEST_GDTR_LIMIT, dt->limit);
}

static unsigned long vmx_get_cr3(struct vtx_vcpu *vcpu)
{
	if (vtx_shadow_paging)
		return to_vmx(vcpu)->guest_cr3;
	return vmcs_readl(GUEST_CR3);
}

/*
 * The guest's CR3: in the VMCS with EPT; under shadow paging GUEST_CR3 is
 * the shadow root, so the guest's value is kept aside and GUEST_CR3 gets
 * the root of the shadow tables of that address space.
 */
void vmx_set_cr3(struct vtx_vcpu *vcpu, unsigned long cr3)
{
	if (vtx_shadow_paging) {
		to_vmx(vcpu)->guest_cr3 = cr3;
		vtx_spt_new_cr3(vcpu, cr3);
	} else {
		vmcs_writel(GUEST_CR3, cr3);
	}
	vcpu->c_cr3 = cr3;
	vcpu->cached |= BIT(VTX_CACHE_CR3);
}

static u64 vmx_get_pdptr(struct vtx_vcpu *vcpu, int index)
{
	if (vtx_shadow_paging)
		return to_vmx(vcpu)->spt_pdptrs[index];
	return vmcs_read64(GUEST_PDPTR0 + index * 2);
}

static u32 vmx_get_interrupt_shadow(struct vtx_vcpu *vcpu)
{
	u32 intr = vmx_intr_state(vcpu), mask = 0;

	if (intr & GUEST_INTR_STATE_MOV_SS)
		mask |= VTX_SHADOW_INT_MOV_SS;
	if (intr & GUEST_INTR_STATE_STI)
		mask |= VTX_SHADOW_INT_STI;
	return mask;
}

static void vmx_set_interrupt_shadow(struct vtx_vcpu *vcpu, u32 mask)
{
	u32 intr = vmx_intr_state(vcpu);
	u32 old = intr;

	intr &= ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS);
	if (mask & VTX_SHADOW_INT_MOV_SS)
		intr |= GUEST_INTR_STATE_MOV_SS;
	else if (mask & VTX_SHADOW_INT_STI)
		intr |= GUEST_INTR_STATE_STI;
	if (intr != old)
		vmx_set_intr_state(vcpu, intr);
}

static bool vmx_get_nmi_mask(struct vtx_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	bool masked;

	if (vmx->nmi_known_unmasked)
		return false;
	masked = vmx_intr_state(vcpu) & GUEST_INTR_STATE_NMI;
	vmx->nmi_known_unmasked = !masked;
	return masked;
}

static void vmx_set_nmi_mask(struct vtx_vcpu *vcpu, bool masked)
{
	u32 intr = vmx_intr_state(vcpu) & ~GUEST_INTR_STATE_NMI;

	to_vmx(vcpu)->nmi_known_unmasked = !masked;
	vmx_set_intr_state(vcpu, intr | (masked ? GUEST_INTR_STATE_NMI : 0));
}

static unsigned long vmx_get_dr7(struct vtx_vcpu *vcpu)
{
	return vcpu->dr7;
}

/*
 * The MSRs the VMCS holds in its guest-state area; the caller (x86/msr.c)
 * validated the value.
 */
static u64 vmx_get_msr(struct vtx_vcpu *vcpu, u32 index)
{
	switch (index) {
	case MSR_IA32_SYSENTER_CS:
		return vmcs_read32(GUEST_SYSENTER_CS);
	case MSR_IA32_SYSENTER_ESP:
		return vmcs_readl(GUEST_SYSENTER_ESP);
	case MSR_IA32_SYSENTER_EIP:
		return vmcs_readl(GUEST_SYSENTER_EIP);
	case MSR_FS_BASE:
		return vmcs_readl(GUEST_FS_BASE);
	case MSR_GS_BASE:
		return vmcs_readl(GUEST_GS_BASE);
	case MSR_IA32_CR_PAT:
		return vmcs_read64(GUEST_IA32_PAT);
	case MSR_IA32_DEBUGCTLMSR:
		return vmcs_read64(GUEST_IA32_DEBUGCTL);
	}
	WARN_ON_ONCE(1);
	return 0;
}

static void vmx_set_msr(struct vtx_vcpu *vcpu, u32 index, u64 data)
{
	switch (index) {
	case MSR_IA32_SYSENTER_CS:
		vmcs_write32(GUEST_SYSENTER_CS, data);
		break;
	case MSR_IA32_SYSENTER_ESP:
		vmcs_writel(GUEST_SYSENTER_ESP, data);
		break;
	case MSR_IA32_SYSENTER_EIP:
		vmcs_writel(GUEST_SYSENTER_EIP, data);
		break;
	case MSR_FS_BASE:
		vmcs_writel(GUEST_FS_BASE, data);
		break;
	case MSR_GS_BASE:
		vmcs_writel(GUEST_GS_BASE, data);
		break;
	case MSR_IA32_CR_PAT:
		vmcs_write64(GUEST_IA32_PAT, data);
		break;
	default:
		WARN_ON_ONCE(1);
	}
}

static u64 vmx_get_tsc_offset(struct vtx_vcpu *vcpu)
{
	return vmcs_read64(TSC_OFFSET);
}

static void vmx_write_tsc_offset(struct vtx_vcpu *vcpu, u64 offset)
{
	vmcs_write64(TSC_OFFSET, offset);
}

static void vmx_dump_state(struct vtx_vcpu *vcpu)
{
	vtx_dump_vmcs();
}

const struct vtx_x86_ops vtx_vmx_ops = {
	.name = "vmx",
	.hardware_setup = vmx_hardware_setup,
	.hardware_unsetup = vtx_vmx_exit,
	.enable = vtx_vmx_get,
	.disable = vtx_vmx_put,

	.vcpu_size = sizeof(struct vcpu_vmx),
	.vcpu_create = vmx_vcpu_create,
	.vcpu_free = vmx_vcpu_free,
	.vcpu_load = vtx_vcpu_load,
	.vcpu_put = vtx_put_host_state,
	.vcpu_run = vmx_vcpu_run,
	.ready_for_interrupt = vtx_ready_for_interrupt,
	.interrupt_allowed = vtx_interrupt_allowed,

	.skip_instruction = vmx_skip_instruction_op,
	.get_emu_env = vmx_get_emu_env,
	.emu_writeback = vmx_emu_writeback,
	.cache_reg = vmx_cache_reg,
	.set_reg = vmx_set_reg,
	.get_segment = vmx_get_segment,
	.set_segment = vmx_set_segment,
	.get_segment_base = vmx_get_segment_base,
	.get_cpl = vmx_get_cpl_op,
	.get_cs_db_l_bits = vmx_get_cs_db_l_bits,
	.get_dt = vmx_get_dt,
	.set_dt = vmx_set_dt,

	.get_cr0 = vtx_get_cr0,
	.get_cr3 = vmx_get_cr3,
	.get_cr4 = vmx_get_cr4,
	.set_cr0 = vtx_set_cr0,
	.write_cr0 = vmx_write_cr0,
	.set_cr3 = vmx_set_cr3,
	.set_cr4 = vtx_set_cr4,
	.set_efer = vtx_set_efer,
	.cr4_valid = vtx_cr4_valid,
	.load_pdptrs = vtx_load_pdptrs,
	.get_pdptr = vmx_get_pdptr,
	.flush_tlb = vtx_flush_guest_tlb,

	.get_interrupt_shadow = vmx_get_interrupt_shadow,
	.set_interrupt_shadow = vmx_set_interrupt_shadow,
	.get_nmi_mask = vmx_get_nmi_mask,
	.set_nmi_mask = vmx_set_nmi_mask,
	.get_dr7 = vmx_get_dr7,
	.set_dr7 = vmx_set_dr7,

	.get_msr = vmx_get_msr,
	.set_msr = vmx_set_msr,
	.get_tsc_offset = vmx_get_tsc_offset,
	.write_tsc_offset = vmx_write_tsc_offset,
	.update_cpuid = vtx_update_proc2,
	.update_exception_bitmap = vmx_update_exception_bitmap,
	.smm_changed = vmx_smm_changed,
	.msr_bitmap_changed = vmx_msr_bitmap_changed,
	.mmu_format = &vtx_ept_format,
	.dump_state = vmx_dump_state,
};
