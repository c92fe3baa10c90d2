/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx - the VMX backend's interface to the generic layer.
 */
#ifndef VTX_VMCS_H
#define VTX_VMCS_H

#include <linux/jump_label.h>
#include <linux/types.h>
#include <asm/debugreg.h>
#include "vtx.h"
#include "vmx_ops.h"

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
 * @umip_emulated: the processor lacks UMIP but has descriptor-table
 *		exiting: vtx offers UMIP and emulates it (exit.c)
 * @tick_value:	VMX-preemption timer value of one host tick, 0 when tick
 *		exits are off (vmx.c, tick_exits)
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
	bool umip_emulated;
	u32 tick_value;
};

extern struct vtx_vmx_caps vtx_caps;

/* ept.c: the EPT page-table format (mmu.h), the VMs' only one today. */
extern const struct vtx_mmu_format vtx_ept_format;
u64 vtx_ept_pointer(const struct vtx_mmu *mmu);
extern bool vtx_dump_invalid_vmcs;

/* (Re)load the tick-exit timer (vmx.c, tick_exits), if it is on. */
static inline void vtx_tick_reload(void)
{
	if (vtx_caps.tick_value)
		vmcs_write32(VMX_PREEMPTION_TIMER_VALUE, vtx_caps.tick_value);
}

/* Trampoline results (vmenter.S). */
#define VTX_ENTER_EXIT		0
#define VTX_ENTER_FAIL_VALID	1
#define VTX_ENTER_FAIL_INVALID	2

int vtx_vmenter(struct vtx_vcpu *vcpu, bool resume);
void vtx_vmexit(void);
void vtx_call_nmi_handler(void);

/* vmx.c */
DECLARE_STATIC_KEY_FALSE(vtx_l1d_should_flush);
void vtx_l1d_flush(struct vtx_vcpu *vcpu);
bool vtx_l1d_flush_not_needed_nested(void);
struct vmcs *vtx_alloc_vmcs(void);
void vtx_free_vmcs(struct vmcs *vmcs);
int vtx_alloc_vpid(void);
void vtx_free_vpid(int vpid);

/* vmcs.c */
void vtx_vmcs_percpu_init(void);
void vtx_clear_loaded_vmcss(void);
void vtx_put_host_state(struct vtx_vcpu *vcpu);
int vtx_load_pdptrs(struct vtx_vcpu *vcpu);
void vtx_flush_guest_tlb(struct vtx_vcpu *vcpu);
void vtx_vcpu_load(struct vtx_vcpu *vcpu, int cpu);
void vtx_vcpu_put(struct vtx_vcpu *vcpu);
void vtx_vmcs_clear(struct vtx_vcpu *vcpu);
void vtx_vmcs_init(struct vtx_vcpu *vcpu);
void vtx_prepare_switch_to_guest(struct vtx_vcpu *vcpu);
void vtx_update_host_cr(struct vtx_vcpu *vcpu);
void vtx_set_cr0(struct vtx_vcpu *vcpu, unsigned long cr0);
void vtx_set_cr4(struct vtx_vcpu *vcpu, unsigned long cr4);
void vtx_set_efer(struct vtx_vcpu *vcpu, u64 efer);
unsigned long vtx_get_cr0(struct vtx_vcpu *vcpu);
unsigned long vtx_get_cr4(struct vtx_vcpu *vcpu);
void vtx_get_segment(struct kvm_segment *var, int seg);
void vtx_set_segment(const struct kvm_segment *var, int seg);
void vtx_dump_vmcs(void);
bool vtx_cr4_valid(struct vtx_vcpu *vcpu, unsigned long cr4);
void vtx_update_proc2(struct vtx_vcpu *vcpu);

/* state.c */
long vtx_vcpu_state_ioctl(struct vtx_vcpu *vcpu, unsigned int ioctl,
			  void __user *argp);
unsigned int vtx_xsave_size(void);
bool vtx_xcr0_valid(struct vtx_vcpu *vcpu, u64 val);

/* mmio.c */
int vtx_handle_mmio(struct vtx_vcpu *vcpu, u64 gpa, unsigned long qual);
int vtx_complete_mmio(struct vtx_vcpu *vcpu);

/* exit.c */
int vtx_gva_to_gpa(struct vtx_vcpu *vcpu, u64 gva, bool write, u64 *gpa,
		   u32 *pf_error);
int vtx_guest_virt_copy(struct vtx_vcpu *vcpu, u64 gva, void *buf,
			unsigned int len, bool write);
int vtx_guest_virt_copy_quiet(struct vtx_vcpu *vcpu, u64 gva, void *buf,
			      unsigned int len);
int vtx_handle_exit(struct vtx_vcpu *vcpu);
void vtx_handle_exit_irqoff(struct vtx_vcpu *vcpu);
int vtx_complete_userspace_io(struct vtx_vcpu *vcpu);
void vtx_queue_exception(struct vtx_vcpu *vcpu, u8 vector, bool has_error,
			 u32 error_code);
void vtx_inject_pending_event(struct vtx_vcpu *vcpu);
bool vtx_interrupt_allowed(struct vtx_vcpu *vcpu);
bool vtx_ready_for_interrupt(struct vtx_vcpu *vcpu);

/* Access-rights AVL bit (asm/vmx.h names the others). */
#define VMX_AR_AVL_MASK		BIT(12)

/* Segment indices as in KVM's VCPU_SREG_*; VMCS fields are spaced by 2. */
enum vtx_sreg {
	VTX_SREG_ES, VTX_SREG_CS, VTX_SREG_SS, VTX_SREG_DS,
	VTX_SREG_FS, VTX_SREG_GS, VTX_SREG_LDTR, VTX_SREG_TR,
};

/* Guest fields cached per exit (vtx_vcpu.cached). */
enum vtx_cache {
	VTX_CACHE_RIP, VTX_CACHE_RFLAGS, VTX_CACHE_CS_AR, VTX_CACHE_INTR,
};

static inline unsigned long vtx_rip(struct vtx_vcpu *vcpu)
{
	if (!(vcpu->cached & BIT(VTX_CACHE_RIP))) {
		vcpu->c_rip = vmcs_readl(GUEST_RIP);
		vcpu->cached |= BIT(VTX_CACHE_RIP);
	}
	return vcpu->c_rip;
}

static inline void vtx_set_rip(struct vtx_vcpu *vcpu, unsigned long val)
{
	vmcs_writel(GUEST_RIP, val);
	vcpu->c_rip = val;
	vcpu->cached |= BIT(VTX_CACHE_RIP);
}

static inline unsigned long vtx_rflags(struct vtx_vcpu *vcpu)
{
	if (!(vcpu->cached & BIT(VTX_CACHE_RFLAGS))) {
		vcpu->c_rflags = vmcs_readl(GUEST_RFLAGS);
		vcpu->cached |= BIT(VTX_CACHE_RFLAGS);
	}
	return vcpu->c_rflags;
}

static inline void vtx_set_rflags(struct vtx_vcpu *vcpu, unsigned long val)
{
	vmcs_writel(GUEST_RFLAGS, val);
	vcpu->c_rflags = val;
	vcpu->cached |= BIT(VTX_CACHE_RFLAGS);
}

static inline u32 vtx_cs_ar(struct vtx_vcpu *vcpu)
{
	if (!(vcpu->cached & BIT(VTX_CACHE_CS_AR))) {
		vcpu->c_cs_ar = vmcs_read32(GUEST_CS_AR_BYTES);
		vcpu->cached |= BIT(VTX_CACHE_CS_AR);
	}
	return vcpu->c_cs_ar;
}

static inline u32 vtx_intr_state(struct vtx_vcpu *vcpu)
{
	if (!(vcpu->cached & BIT(VTX_CACHE_INTR))) {
		vcpu->c_intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
		vcpu->cached |= BIT(VTX_CACHE_INTR);
	}
	return vcpu->c_intr;
}

static inline void vtx_set_intr_state(struct vtx_vcpu *vcpu, u32 val)
{
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, val);
	vcpu->c_intr = val;
	vcpu->cached |= BIT(VTX_CACHE_INTR);
}

/* The instruction completed: no more STI/MOV SS interrupt shadow. */
static inline void vtx_clear_intr_shadow(struct vtx_vcpu *vcpu)
{
	u32 intr = vtx_intr_state(vcpu);

	if (intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))
		vtx_set_intr_state(vcpu, intr & ~(GUEST_INTR_STATE_STI |
						  GUEST_INTR_STATE_MOV_SS));
}

/*
 * Set the guest's DR7 (the VMCS loads it at entry) and note whether it
 * enables a breakpoint: then DR0-DR3 are loaded before entry too.
 */
static inline void vtx_set_dr7(struct vtx_vcpu *vcpu, unsigned long dr7)
{
	vmcs_writel(GUEST_DR7, dr7);
	vcpu->guest_bp_enabled = dr7 & (DR_LOCAL_ENABLE_MASK |
					DR_GLOBAL_ENABLE_MASK);
}

/* The current privilege level: SS.DPL (VM entry keeps them equal). */
static inline int vtx_cpl(struct vtx_vcpu *vcpu)
{
	return VMX_AR_DPL(vmcs_read32(GUEST_SS_AR_BYTES));
}

/* The guest runs 64-bit code (CS.L). */
static inline bool vtx_in_64bit_code(struct vtx_vcpu *vcpu)
{
	return vtx_cs_ar(vcpu) & VMX_AR_L_MASK;
}

static inline bool vtx_is_long_mode(struct vtx_vcpu *vcpu)
{
	return vcpu->efer & EFER_LMA;
}

#endif /* VTX_VMCS_H */
