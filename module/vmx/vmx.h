/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx - the VMX backend (module/vmx/): its vCPU, the processor's
 * capabilities and the functions its files share.  Only vmx/ includes
 * this header; the generic floors reach the backend through vtx_x86_ops
 * (x86/x86_ops.h).
 */
#ifndef VTX_VMX_H
#define VTX_VMX_H

#include <linux/jump_label.h>
#include <linux/types.h>
#include <asm/trapnr.h>
#include "x86/x86.h"
#include "vmx/vmx_compat.h"
#include "vmx/vmx_ops.h"

/* The hardware's VMCS region, struct vmcs: asm/vmx.h or compat.h. */

/**
 * struct vtx_vmx_caps - what the processor offers, probed once at load.
 * @basic:	IA32_VMX_BASIC
 * @pin:	pin-based controls vtx uses (allowed-0/1 applied)
 * @proc:	primary processor-based controls
 * @proc2:	secondary processor-based controls
 * @exit:	VM-exit controls
 * @entry:	VM-entry controls, without IA-32e mode guest
 * @ept_vpid:	IA32_VMX_EPT_VPID_CAP
 * @cr0_fixed0:	CR0 bits that must be 1 in VMX operation
 * @cr0_fixed1:	CR0 bits that may be 1
 * @cr4_fixed0:	CR4 bits that must be 1
 * @cr4_fixed1:	CR4 bits that may be 1
 * @vmcs_size:	bytes to allocate for a VMCS
 * @has_vpid:	VPID in use
 * @ept_single:	INVEPT single-context supported
 * @ept_2m:	EPT maps 2 MiB pages
 * @has_invpcid: the guest may be given INVPCID (SECONDARY_EXEC_ENABLE_INVPCID)
 * @has_xsaves: the guest may be given XSAVES/XRSTORS
 *		(SECONDARY_EXEC_ENABLE_XSAVES)
 * @host_xss:	the host's IA32_XSS, constant after boot (0 without XSAVES)
 * @umip_emulated: the processor lacks UMIP but has descriptor-table
 *		exiting: vtx offers UMIP and emulates it (exit.c)
 * @tick_value:	VMX-preemption timer value of one host tick, 0 when tick
 *		exits are off (vmx.c, tick_exits)
 * @apicv:	APIC virtualization is used (apicv.c, enable_apicv): TPR
 *		shadow, APIC-access page, APIC-register virtualization and
 *		virtual-interrupt delivery, for vCPUs with an in-kernel APIC
 * @apicv_x2apic: with @apicv, "virtualize x2APIC mode" too
 */
struct vtx_vmx_caps {
	u64 basic;
	u32 pin, proc, proc2, exit, entry;
	u64 ept_vpid;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	u32 vmcs_size;
	bool has_vpid;
	bool ept_single;
	bool ept_2m;
	bool has_invpcid;
	bool has_xsaves;
	u64 host_xss;
	bool umip_emulated;
	u32 tick_value;
	bool apicv;
	bool apicv_x2apic;
};

extern struct vtx_vmx_caps vtx_caps;

/* The secondary controls of APICv (apicv.c); vtx_caps.proc2 has none. */
#define VTX_PROC2_APICV	(SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES |	\
			 SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE |	\
			 SECONDARY_EXEC_APIC_REGISTER_VIRT |		\
			 SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY)

/* ept.c: the EPT page-table format (x86/mmu/mmu.h), the VMs' only one. */
extern const struct vtx_mmu_format vtx_ept_format;
u64 vtx_ept_pointer(const struct vtx_mmu *mmu, int as);
void vtx_ept_flush_here(struct vtx_mmu *mmu);

/*
 * spt.c: shadow paging without EPT (x86/mmu/shadow.c), EXPERIMENTAL.
 * vtx_shadow_paging is decided at load and never changes.
 */
#define VTX_PROC2_EPT	(SECONDARY_EXEC_ENABLE_EPT |		\
			 SECONDARY_EXEC_UNRESTRICTED_GUEST)
#define VTX_PROC_SPT	(CPU_BASED_CR3_LOAD_EXITING |		\
			 CPU_BASED_CR3_STORE_EXITING |		\
			 CPU_BASED_INVLPG_EXITING)
extern bool vtx_shadow_paging;
extern const struct vtx_mmu_format vtx_shadow_format;
bool vtx_spt_wanted(u32 proc2_may);
void vtx_spt_flush(struct vtx_vcpu *vcpu);
void vtx_spt_new_cr3(struct vtx_vcpu *vcpu, unsigned long cr3);
bool vtx_spt_mode_ok(struct vtx_vcpu *vcpu);
int vtx_spt_refuse(struct vtx_vcpu *vcpu);
int vtx_spt_handle_pf(struct vtx_vcpu *vcpu);
int vtx_spt_set_cr3(struct vtx_vcpu *vcpu, unsigned long val);
void vmx_set_cr3(struct vtx_vcpu *vcpu, unsigned long cr3);
int vtx_spt_handle_invlpg(struct vtx_vcpu *vcpu);
int vtx_spt_handle_invpcid(struct vtx_vcpu *vcpu);

/**
 * struct vmx_rmode - real mode run in virtual-8086 mode (rmode.c), under
 * shadow paging, where VM entry needs CR0.PE and CR0.PG.
 * @vm86:	the guest is in real mode: the processor runs it with
 *		RFLAGS.VM and IOPL 3, vm86 segments and CR4.VME [v]
 * @save_rflags: the guest's own IOPL and VM bits (the processor's are 3
 *		and 1) [v]
 * @segs:	the guest's segment registers ES-GS and TR as it has them;
 *		the VMCS holds their vm86 form [v]
 * @hw_sel:	the selector of each of ES-GS last written to the VMCS:
 *		another one there is the guest's load since [v]
 * @hw_base:	... and the base: another one there with the same
 *		selector is a WRMSR to MSR_FS_BASE or MSR_GS_BASE [v]
 * @emulate:	bit n: segment register n (enum vtx_sreg, ES-GS) has a
 *		base no vm86 selector gives (not a multiple of 16 below
 *		1 MiB: the reset CS's 0xffff0000, SMM's SMBASE, a base kept
 *		from protected mode); while any is set the guest is not
 *		entered, its instructions are emulated one by one (rmemu.c)
 *		until real-mode loads clear them, and the VMCS holds that
 *		segment's own base [v]
 * @sel_pending: KVM_SET_SREGS gave a segment a selector other than its
 *		base / 16: the guest gets that one when it runs [v]
 */
struct vmx_rmode {
	bool vm86;
	u8 emulate;
	bool sel_pending;
	unsigned long save_rflags;
	struct kvm_segment segs[VTX_SREG_TR + 1];
	u16 hw_sel[VTX_SREG_GS + 1];
	unsigned long hw_base[VTX_SREG_GS + 1];
};

/**
 * struct vcpu_vmx - a vCPU of the VMX backend.
 * @vcpu:	the generic vCPU, first: the trampoline and container_of()
 *		rely on it
 * @host_rsp:	HOST_RSP last written to the VMCS, compared by the
 *		trampoline [l]
 * @vmcs:	the VMCS [c]
 * @cpu:	CPU the VMCS is active on, or -1 [l]
 * @launched:	VMLAUNCH done since the last VMCLEAR [l]
 * @loaded_link: on the CPU's list of loaded VMCSs [l]
 * @vpid:	0 when VPID is not used [c]
 * @host_fs_sel: host selectors restored when the thread leaves the CPU [l]
 * @host_gs_sel: see @host_fs_sel
 * @host_ds_sel: see @host_fs_sel
 * @host_es_sel: see @host_fs_sel
 * @host_ldt_sel: see @host_fs_sel
 * @host_kernel_gs_base: the host's MSR_KERNEL_GS_BASE [l]
 * @host_cr3:	HOST_CR3 in the VMCS [l]
 * @host_cr4:	HOST_CR4 in the VMCS [l]
 * @proc_ctl:	cached primary processor-based controls [v]
 * @guest_cr3:	the guest's CR3 under shadow paging, where GUEST_CR3 holds
 *		the shadow root [v]
 * @spt_pdptrs:	the guest's PAE PDPTEs under shadow paging, loaded as the
 *		processor would (vtx_load_pdptrs()); the VMCS's are the
 *		processor's, from the shadow PAE root [v]
 * @c_cs_ar:	GUEST_CS_AR_BYTES, valid with VTX_CACHE_CS_AR [v]
 * @c_intr:	GUEST_INTERRUPTIBILITY_INFO, valid with VTX_CACHE_INTR [v]
 * @exit_qual:	exit qualification of the last exit [v]
 * @entry_failed: the last VM entry failed (exit reason bit 31) [v]
 * @l1tf_flush_l1d: L1D may hold host data (vmx.c) [v]
 * @apicv_page:	APICv: the virtual-APIC page, NULL when the vCPU runs
 *		without APICv [c]
 * @x2apic_bitmap: APICv: the MSR bitmap used in x2APIC mode (the module's,
 *		with the virtualized x2APIC registers passed through) [c]
 * @apicv_proc2: APICv's secondary controls for the APIC's mode [v]
 * @apicv_base:	IA32_APIC_BASE @apicv_proc2 was chosen for [v]
 * @eoi_exit:	the EOI-exit bitmap in the VMCS [v]
 * @extint_injected: the last entry injected an external interrupt (not
 *		a virtual interrupt of APICv) [v]
 * @apicv_delivered: APICv: the processor put SVI's vector in service
 *		since the last entry (virtual-interrupt delivery) [v]
 * @nmi_known_unmasked: vtx unblocked NMIs and injected none since, so
 *		they are not blocked whatever the VMCS says after an exit
 *		(KVM's nmi_known_unmasked; Bochs leaves virtual-NMI blocking
 *		of an earlier entry in the field) [v]
 * @rmode:	real mode in virtual-8086 mode (rmode.c) [v]
 */
struct vcpu_vmx {
	struct vtx_vcpu vcpu;
	unsigned long host_rsp;
	struct vmcs *vmcs;
	int cpu;
	bool launched;
	struct list_head loaded_link;
	u16 vpid;
	u16 host_fs_sel, host_gs_sel, host_ds_sel, host_es_sel, host_ldt_sel;
	unsigned long host_kernel_gs_base;
	unsigned long host_cr3, host_cr4;
	u32 proc_ctl;
	unsigned long guest_cr3;
	u64 spt_pdptrs[4];
	u32 c_cs_ar, c_intr;
	bool nmi_known_unmasked;
	unsigned long exit_qual;
	bool entry_failed;
	bool l1tf_flush_l1d;
	u8 *apicv_page;
	unsigned long *x2apic_bitmap;
	u32 apicv_proc2;
	u64 apicv_base;
	u64 eoi_exit[4];
	bool extint_injected;
	bool apicv_delivered;
	/* the guest runs XSAVES/XRSTORS (its CPUID has XSAVE and XSAVES) */
	bool xsaves;
	struct vmx_rmode rmode;
};

static inline struct vcpu_vmx *to_vmx(struct vtx_vcpu *vcpu)
{
	return container_of(vcpu, struct vcpu_vmx, vcpu);
}

extern bool vtx_dump_invalid_vmcs;

/* (Re)load the tick-exit timer (vmx.c, tick_exits), if it is on. */
static inline void vtx_tick_reload(void)
{
	if (vtx_caps.tick_value)
		vmcs_write32(VMX_PREEMPTION_TIMER_VALUE, vtx_caps.tick_value);
}

/* Trampoline results (vmenter.S). */
/*
 * Exceptions always intercepted (vmcs.c): #AC and #DB against delivery
 * loops, #MC for the host's handler, #UD for the hypercall quirk
 * (vtx_handle_ud()); #BP too while the debugger sets software breakpoints
 * (vmx_update_exception_bitmap()).
 */
#define VTX_EXCEPTION_BITMAP	(BIT(X86_TRAP_AC) | BIT(X86_TRAP_DB) | \
				 BIT(X86_TRAP_MC) | BIT(X86_TRAP_UD))

#define VTX_ENTER_EXIT		0
#define VTX_ENTER_FAIL_VALID	1
#define VTX_ENTER_FAIL_INVALID	2

int vtx_vmenter(struct vcpu_vmx *vmx, bool resume);
void vtx_vmexit(void);
void vtx_call_nmi_handler(void);

/* vmx.c */
int vtx_vmx_init(void);
void vtx_vmx_exit(void);
int vtx_vmx_get(void);
void vtx_vmx_put(void);
DECLARE_STATIC_KEY_FALSE(vtx_l1d_should_flush);
void vtx_l1d_flush(struct vtx_vcpu *vcpu);
bool vtx_l1d_flush_not_needed_nested(void);
struct vmcs *vtx_alloc_vmcs(void);
void vtx_free_vmcs(struct vmcs *vmcs);
int vtx_alloc_vpid(void);
void vtx_free_vpid(int vpid);

/*
 * rmode.c: real mode in virtual-8086 mode under shadow paging.  The
 * processor's RFLAGS has these set there; the guest's own are kept aside.
 */
#define VMX_RMODE_HW_FLAGS	(X86_EFLAGS_IOPL | X86_EFLAGS_VM)
void vtx_rmode_update(struct vtx_vcpu *vcpu);
void vtx_rmode_get_segment(struct vtx_vcpu *vcpu, struct kvm_segment *var,
			   int seg);
void vtx_rmode_set_segment(struct vtx_vcpu *vcpu,
			   const struct kvm_segment *var, int seg);
int vtx_rmode_deliver(struct vtx_vcpu *vcpu);
int vtx_rmode_step(struct vtx_vcpu *vcpu);
int vtx_rmode_handle_gp(struct vtx_vcpu *vcpu);
int vtx_rmode_reflect(struct vtx_vcpu *vcpu, u8 vector, u32 type);
int vtx_rmode_sensitive(struct vtx_vcpu *vcpu);
void vtx_rmode_load_seg(struct vtx_vcpu *vcpu, int seg, u16 sel);
int vtx_rmode_emulation_failed(struct vtx_vcpu *vcpu);
/* rmemu.c: the real-mode interpreter of the states vm86 cannot run */
int vtx_rmemu_step(struct vtx_vcpu *vcpu);

static inline bool vmx_vm86(struct vtx_vcpu *vcpu)
{
	return unlikely(container_of(vcpu, struct vcpu_vmx, vcpu)->rmode.vm86);
}

/* vmcs.c */
void vtx_vmcs_percpu_init(void);
void vtx_clear_loaded_vmcss(void);
bool vtx_vmx_on_this_cpu(void);
void vtx_put_host_state(struct vtx_vcpu *vcpu);
int vtx_load_pdptrs(struct vtx_vcpu *vcpu);
int vtx_load_pdptrs_from(struct vtx_vcpu *vcpu, unsigned long cr3);
bool vmx_pae_legacy_paging(struct vtx_vcpu *vcpu, unsigned long cr0,
			   unsigned long cr4);
void vtx_flush_guest_tlb(struct vtx_vcpu *vcpu);
void vtx_vcpu_load(struct vtx_vcpu *vcpu, int cpu);
void vtx_vmcs_clear(struct vtx_vcpu *vcpu);
void vtx_vmcs_init(struct vtx_vcpu *vcpu);
void vtx_prepare_switch_to_guest(struct vtx_vcpu *vcpu);
void vtx_update_host_cr(struct vtx_vcpu *vcpu);
void vtx_set_cr0(struct vtx_vcpu *vcpu, unsigned long cr0);
int vmx_write_cr0(struct vtx_vcpu *vcpu, unsigned long val);
void vtx_set_cr4(struct vtx_vcpu *vcpu, unsigned long cr4);
void vtx_set_efer(struct vtx_vcpu *vcpu, u64 efer);
unsigned long vtx_get_cr0(struct vtx_vcpu *vcpu);
unsigned long vmx_get_cr4(struct vtx_vcpu *vcpu);
void vtx_get_segment(struct kvm_segment *var, int seg);
void vtx_set_segment(const struct kvm_segment *var, int seg);
void vtx_dump_vmcs(void);
bool vtx_cr4_valid(struct vtx_vcpu *vcpu, unsigned long cr4);
void vtx_update_proc2(struct vtx_vcpu *vcpu);

/* run.c */
int vmx_vcpu_run(struct vtx_vcpu *vcpu);

/* exit.c */
int vtx_handle_exit(struct vtx_vcpu *vcpu);
int vmx_internal_error(struct vtx_vcpu *vcpu, u32 suberror);

/* apicv.c; GUEST_INTR_STATUS holds RVI in bits 7:0, SVI in 15:8 */
#define VMX_INTR_STATUS_SVI_SHIFT	8
void vmx_apicv_probe(struct vtx_vmx_caps *c);
int vmx_apicv_vcpu_create(struct vtx_vcpu *vcpu);
void vmx_apicv_vcpu_free(struct vtx_vcpu *vcpu);
void vmx_apicv_vmcs_init(struct vtx_vcpu *vcpu);
void vmx_msr_bitmap_changed(struct vtx_vcpu *vcpu);
void vmx_apicv_enter(struct vtx_vcpu *vcpu);
void vmx_apicv_exit(struct vtx_vcpu *vcpu);
int vmx_apicv_map_access_page(struct vtx_vcpu *vcpu, u64 gpa);
int vmx_handle_apic_access(struct vtx_vcpu *vcpu);
int vmx_handle_apic_write(struct vtx_vcpu *vcpu);
int vmx_handle_eoi_induced(struct vtx_vcpu *vcpu);

/* The vCPU runs with APICv (an in-kernel APIC and enable_apicv). */
static inline bool vmx_apicv_active(struct vtx_vcpu *vcpu)
{
	return to_vmx(vcpu)->apicv_page;
}

/* umip.c */
int vmx_handle_gdtr_idtr(struct vtx_vcpu *vcpu);
int vmx_mem_operand(struct vtx_vcpu *vcpu, u32 info, unsigned int len,
		    bool write, u64 *linear);
int vmx_handle_ldtr_tr(struct vtx_vcpu *vcpu);
void vtx_handle_exit_irqoff(struct vtx_vcpu *vcpu);
void vtx_inject_pending_event(struct vtx_vcpu *vcpu);
bool vtx_interrupt_allowed(struct vtx_vcpu *vcpu);
bool vtx_ready_for_interrupt(struct vtx_vcpu *vcpu);

/* Access-rights AVL bit (asm/vmx.h names the others). */
#define VMX_AR_AVL_MASK		BIT(12)

/* The backend's own cached fields, beside enum vtx_cache's registers. */
enum {
	VMX_CACHE_CS_AR = VTX_CACHE_BACKEND,
	VMX_CACHE_INTR,
};

/*
 * Inline accessors of the VMCS through vcpu->cached, for the backend's
 * own hot paths (x86/ uses vtx_rip() and friends, through vtx_x86_ops).
 */
static inline unsigned long vmx_rip(struct vtx_vcpu *vcpu)
{
	if (!(vcpu->cached & BIT(VTX_CACHE_RIP))) {
		vcpu->c_rip = vmcs_readl(GUEST_RIP);
		vcpu->cached |= BIT(VTX_CACHE_RIP);
	}
	return vcpu->c_rip;
}

static inline void vmx_set_rip(struct vtx_vcpu *vcpu, unsigned long val)
{
	vmcs_writel(GUEST_RIP, val);
	vcpu->c_rip = val;
	vcpu->cached |= BIT(VTX_CACHE_RIP);
}

static inline unsigned long vmx_rflags(struct vtx_vcpu *vcpu)
{
	if (!(vcpu->cached & BIT(VTX_CACHE_RFLAGS))) {
		unsigned long val = vmcs_readl(GUEST_RFLAGS);

		/* virtual-8086 mode: the guest's own IOPL and VM */
		if (vmx_vm86(vcpu))
			val = (val & ~VMX_RMODE_HW_FLAGS) |
			      (to_vmx(vcpu)->rmode.save_rflags &
			       VMX_RMODE_HW_FLAGS);
		vcpu->c_rflags = val;
		vcpu->cached |= BIT(VTX_CACHE_RFLAGS);
	}
	return vcpu->c_rflags;
}

static inline void vmx_set_rflags(struct vtx_vcpu *vcpu, unsigned long val)
{
	if (vmx_vm86(vcpu)) {
		/* real mode has no virtual-8086 mode of its own */
		val &= ~X86_EFLAGS_VM;
		to_vmx(vcpu)->rmode.save_rflags = val;
		vmcs_writel(GUEST_RFLAGS, val | VMX_RMODE_HW_FLAGS);
		vcpu->c_rflags = val;
		vcpu->cached |= BIT(VTX_CACHE_RFLAGS);
		return;
	}
	vmcs_writel(GUEST_RFLAGS, val);
	vcpu->c_rflags = val;
	vcpu->cached |= BIT(VTX_CACHE_RFLAGS);
}

static inline u32 vmx_cs_ar(struct vtx_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	if (!(vcpu->cached & BIT(VMX_CACHE_CS_AR))) {
		vmx->c_cs_ar = vmcs_read32(GUEST_CS_AR_BYTES);
		vcpu->cached |= BIT(VMX_CACHE_CS_AR);
	}
	return vmx->c_cs_ar;
}

static inline u32 vmx_intr_state(struct vtx_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	if (!(vcpu->cached & BIT(VMX_CACHE_INTR))) {
		vmx->c_intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
		vcpu->cached |= BIT(VMX_CACHE_INTR);
	}
	return vmx->c_intr;
}

static inline void vmx_set_intr_state(struct vtx_vcpu *vcpu, u32 val)
{
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, val);
	to_vmx(vcpu)->c_intr = val;
	vcpu->cached |= BIT(VMX_CACHE_INTR);
}

/* The instruction completed: no more STI/MOV SS interrupt shadow. */
static inline void vmx_clear_intr_shadow(struct vtx_vcpu *vcpu)
{
	u32 intr = vmx_intr_state(vcpu);

	if (intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))
		vmx_set_intr_state(vcpu, intr & ~(GUEST_INTR_STATE_STI |
						  GUEST_INTR_STATE_MOV_SS));
}

/*
 * Set the guest's DR7.  The VMCS loads the DR7 in effect at entry: the
 * debugger's while it uses hardware breakpoints (KVM_GUESTDBG_USE_HW_BP,
 * x86/debug.c), else the guest's; when that enables a breakpoint, DR0-DR3
 * are loaded before entry too (run.c).
 */
static inline void vmx_set_dr7(struct vtx_vcpu *vcpu, unsigned long dr7)
{
	unsigned long eff;

	vcpu->dr7 = dr7;
	eff = vcpu->guest_debug & KVM_GUESTDBG_USE_HW_BP ? vcpu->debug_dr7 :
							   dr7;
	vmcs_writel(GUEST_DR7, eff);
	vcpu->guest_bp_enabled = eff & (DR_LOCAL_ENABLE_MASK |
					DR_GLOBAL_ENABLE_MASK);
}

/* The current privilege level: SS.DPL (VM entry keeps them equal). */
static inline int vmx_cpl(struct vtx_vcpu *vcpu)
{
	/* real mode is CPL 0, run at CPL 3 in virtual-8086 mode */
	if (vmx_vm86(vcpu))
		return 0;
	return VMX_AR_DPL(vmcs_read32(GUEST_SS_AR_BYTES));
}

/* The guest runs 64-bit code (CS.L). */
static inline bool vmx_in_64bit_code(struct vtx_vcpu *vcpu)
{
	return vmx_cs_ar(vcpu) & VMX_AR_L_MASK;
}

/*
 * An instruction vtx completed while the debugger single-steps: no trap
 * for it comes from the processor, so KVM_EXIT_DEBUG instead (x86/debug.c).
 * A single-step trap the exit recorded as pending (Bochs records one for
 * an instruction that exits) is that same step: not again.
 */
static inline void vmx_debug_step_done(struct vtx_vcpu *vcpu)
{
	unsigned long pending = vmcs_readl(GUEST_PENDING_DBG_EXCEPTIONS);

	if (pending & DR_STEP)
		vmcs_writel(GUEST_PENDING_DBG_EXCEPTIONS, pending & ~DR_STEP);
	vtx_debug_step_done(vcpu);
}

/* The exit's instruction completed: RIP past it, no interrupt shadow. */
static inline void vmx_skip_instruction(struct vtx_vcpu *vcpu, u32 len)
{
	unsigned long rip = vmx_rip(vcpu) + len;

	/* Outside 64-bit code RIP wraps at 4 GiB; below that, no need to ask. */
	if (rip > U32_MAX && !vmx_in_64bit_code(vcpu))
		rip = (u32)rip;
	vmx_set_rip(vcpu, rip);
	vmx_clear_intr_shadow(vcpu);
	if (unlikely(vcpu->guest_debug & KVM_GUESTDBG_SINGLESTEP))
		vmx_debug_step_done(vcpu);
}

static inline int vmx_skip_exit_instruction(struct vtx_vcpu *vcpu)
{
	vmx_skip_instruction(vcpu, vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
	return 1;
}

static inline int vmx_inject_gp_code(struct vtx_vcpu *vcpu, u32 code)
{
	vtx_queue_exception(vcpu, X86_TRAP_GP, true, code);
	return 1;
}

static inline int vmx_inject_gp(struct vtx_vcpu *vcpu)
{
	return vmx_inject_gp_code(vcpu, 0);
}

static inline int vmx_inject_ud(struct vtx_vcpu *vcpu)
{
	vtx_queue_exception(vcpu, X86_TRAP_UD, false, 0);
	return 1;
}

#endif /* VTX_VMX_H */
